//! POP3 (RFC 1939) with `USER`/`PASS` and `APOP` (§7), SASL `AUTH` (RFC 5034) and `STLS`
//! (RFC 2595 §4), `CAPA` (RFC 2449).
//!
//! What matters to a sensor: the server's greeting (its software) and whether a login crossed
//! in cleartext. Status replies (`+OK`/`-ERR`, RFC 1939 §3) answer commands in order;
//! multi-line responses end at a lone `.`; `+ ` lines continue an AUTH exchange (RFC 5034 §4),
//! whose responses are read with the SASL reader shared in `crate::ftp::sasl`.
//!
//! Done after a successful login (`+OK` to `PASS`, `APOP` or `AUTH`), after `STLS` is
//! accepted (the rest is TLS: no credential after it is reported), or after 64 lines on either
//! side. Failed logins do not end the parse: each retry is reported.
//!
//! # Facts
//! - `pop3.banner` (server): the greeting's text after `+OK` (wire text), when it names no
//!   product.
//!
//! Software (server): the product (and version) named in the greeting (`+OK Dovecot ready.`).
//!
//! # Exposures
//! `CleartextCredentials`, side client: subject `POP3 USER/PASS` (field `password`),
//! `POP3 APOP` (field `APOP`: an MD5 digest of the secret, RFC 1939 §7), `POP3 AUTH PLAIN` /
//! `POP3 AUTH LOGIN` (field `password`) or `POP3 AUTH CRAM-MD5` (field `CRAM-MD5`), with
//! whether a non-empty user name was sent. Never the name or the secret.
//!
//! # Event
//! Object `pop3`:
//! - greeting: `greeting` (text after the status, wire text), `status` (`"+OK"`/`"-ERR"`).
//! - login (one per `PASS`, `APOP` or `AUTH`): `command`, `mechanism` (AUTH only),
//!   `user_present`, `status` (absent when no reply was seen), `login` (`"accepted"`,
//!   `"rejected"`, `"cancelled"`, `"no_reply"`), `starttls_offered` (`CAPA` listed `STLS`).
//! - TLS upgrade: `command` (`"STLS"`), `status`, `starttls` (`true`).

#[cfg(test)]
mod tests;

use std::collections::VecDeque;

use model::{ExposureKind, Side, Timestamp};
use serde_json::{Map, Value, json};

use crate::ftp::banner;
use crate::ftp::lines::{self, Line, Next, Sides, eq_ci, prefix_state};
use crate::ftp::sasl::{self, Mech, Sasl, Step};
use crate::out::{Out, text_value};
use crate::parser::{AppParser, FlowCtx, Probe, Transports, Verdict};

/// Commands awaiting a reply, at most (RFC 2449 §6.6 PIPELINING).
const MAX_PENDING: usize = 8;

/// A command whose reply matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmd {
    /// `USER` (non-empty name).
    User(bool),
    /// `PASS` after such a `USER` (or none).
    Pass(bool),
    /// `APOP name digest` (non-empty name).
    Apop(bool),
    /// `AUTH mechanism`: the exchange is in `Pop3::sasl`.
    Auth,
    /// `STLS`.
    Stls,
    /// `CAPA`: multi-line, lists `STLS` when offered (RFC 2595 §4).
    Capa,
    /// A command answered with a multi-line response (RFC 1939 §5: `LIST`, `UIDL` without
    /// argument, `RETR`, `TOP`; `AUTH` without argument lists mechanisms).
    Multi,
    /// Anything else.
    Other,
}

/// Per-flow state. Never a user name or password: only whether a name was sent.
#[derive(Debug, Default)]
pub struct Pop3 {
    sides: Sides,
    greeted: bool,
    pending: VecDeque<Cmd>,
    /// Reading the lines of a multi-line response (of this command) until `.`.
    multiline: Option<Cmd>,
    sasl: Option<Sasl>,
    /// The last `USER` had a non-empty name.
    user: Option<bool>,
    tls_offered: bool,
    /// `STLS` awaits its reply: client bytes are not commands until then.
    tls_pending: bool,
    done: bool,
}

impl AppParser for Pop3 {
    const NAME: &'static str = "pop3";
    const TRANSPORTS: Transports = Transports::Tcp;

    fn probe(first: &[u8], side: Side, _ctx: &FlowCtx) -> Probe {
        // RFC 1939 §4: the server greets first with a positive response, "+OK" SP text. The
        // client never speaks first: anything from it (a Redis client's command) is not POP3.
        if side == Side::Client {
            return Probe::No;
        }
        match prefix_state(first, b"+OK") {
            None => Probe::No,
            Some(false) => Probe::NeedMore,
            Some(true) => match first.get(3) {
                None => Probe::NeedMore,
                Some(b' ' | b'\r' | b'\n') => Probe::Yes,
                Some(_) => Probe::No,
            },
        }
    }

    fn new(_ctx: &FlowCtx) -> Self {
        Self::default()
    }

    fn feed(&mut self, side: Side, _ts: Timestamp, data: &[u8], out: &mut Out<'_>) -> Verdict {
        lines::feed_lines(self, side, data, out)
    }

    fn gap(&mut self, side: Side, len: u32, out: &mut Out<'_>) -> Verdict {
        self.sides.gap(side, len, out);
        self.pending.clear();
        self.multiline = None;
        self.tls_pending = false;
        if let Some(s) = self.sasl.take() {
            self.login_event(out, "AUTH", Some(s), s.user_present, None);
        }
        Verdict::Continue
    }

    fn end(&mut self, out: &mut Out<'_>) {
        while let Some(cmd) = self.pending.pop_front() {
            match cmd {
                Cmd::Pass(u) => self.login_event(out, "PASS", None, Some(u), None),
                Cmd::Apop(u) => self.login_event(out, "APOP", None, Some(u), None),
                Cmd::Auth => {
                    if let Some(s) = self.sasl.take() {
                        self.login_event(out, "AUTH", Some(s), s.user_present, None);
                    }
                }
                _ => {}
            }
        }
    }
}

lines::line_protocol!(Pop3, "pop3_line_too_long");

impl Pop3 {
    fn client_line(&mut self, line: Line<'_>, out: &mut Out<'_>) -> Next {
        if self.tls_pending {
            // RFC 2595 §4: the client waits for +OK before its ClientHello.
            return Next::Line;
        }
        if let Some(s) = &mut self.sasl {
            // RFC 5034 §4: each line after a "+ " challenge is a base64 response or "*".
            let step = s.response(line.text);
            let s = *s;
            self.sasl_step(s, step, out);
            return Next::Line;
        }
        let (verb, arg) = lines::command(line.text);
        let cmd = if eq_ci(verb, b"USER") {
            // RFC 1939 §7 USER name.
            self.user = Some(!arg.is_empty());
            Cmd::User(!arg.is_empty())
        } else if eq_ci(verb, b"PASS") {
            // RFC 1939 §7 PASS string: the password in cleartext, reported as it crosses.
            let present = self.user.unwrap_or(false);
            out.exposure(
                ExposureKind::CleartextCredentials,
                Side::Client,
                "POP3 USER/PASS",
                vec!["password".into()],
                Some(present),
            );
            Cmd::Pass(present)
        } else if eq_ci(verb, b"APOP") {
            // RFC 1939 §7 APOP name digest: MD5(timestamp secret), open to dictionary attack.
            let (name, _digest) = lines::command(arg);
            out.exposure(
                ExposureKind::CleartextCredentials,
                Side::Client,
                "POP3 APOP",
                vec!["APOP".into()],
                Some(!name.is_empty()),
            );
            Cmd::Apop(!name.is_empty())
        } else if eq_ci(verb, b"AUTH") && !arg.is_empty() {
            // RFC 5034 §4: "AUTH" SP mechanism [SP initial-response].
            let (mech, initial) = lines::command(arg);
            let mut s = Sasl::new(Mech::from_name(mech));
            if !initial.is_empty() {
                let step = s.response(initial);
                self.sasl_step(s, step, out);
            }
            self.sasl = Some(s);
            Cmd::Auth
        } else if eq_ci(verb, b"STLS") {
            self.tls_pending = true;
            Cmd::Stls
        } else if eq_ci(verb, b"CAPA") {
            Cmd::Capa
        } else if eq_ci(verb, b"RETR")
            || eq_ci(verb, b"TOP")
            || ((eq_ci(verb, b"LIST") || eq_ci(verb, b"UIDL") || eq_ci(verb, b"AUTH"))
                && arg.is_empty())
        {
            Cmd::Multi
        } else {
            Cmd::Other
        };
        lines::push_pending(
            &mut self.pending,
            cmd,
            MAX_PENDING,
            "pop3_pending_dropped",
            out,
        );
        Next::Line
    }

    fn sasl_step(&mut self, s: Sasl, step: Step, out: &mut Out<'_>) {
        s.report(step, "POP3 AUTH", "pop3_sasl_malformed", out);
        if let Some(current) = &mut self.sasl {
            *current = s;
        }
    }

    fn server_line(&mut self, line: Line<'_>, out: &mut Out<'_>) -> Next {
        let text = line.text;
        if let Some(cmd) = self.multiline {
            // RFC 1939 §3: a multi-line response ends with "." alone; other lines starting
            // with "." are byte-stuffed.
            if text == b"." {
                self.multiline = None;
            } else if cmd == Cmd::Capa && eq_ci(lines::trim_end(text), b"STLS") {
                self.tls_offered = true;
            }
            return Next::Line;
        }
        let status = if prefix_state(text, b"+OK") == Some(true) {
            Some(true)
        } else if prefix_state(text, b"-ERR") == Some(true) {
            Some(false)
        } else {
            None
        };
        let Some(ok) = status else {
            if self.sasl.is_some() && text.first() == Some(&b'+') {
                // RFC 5034 §4: "+" SP base64 challenge.
                return Next::Line;
            }
            out.anomaly("pop3_bad_reply");
            return Next::Line;
        };
        let rest = text.get(if ok { 3 } else { 4 }..).unwrap_or_default();
        let rest = lines::trim_end(rest).trim_ascii_start();
        if !self.greeted {
            self.greeted = true;
            self.greeting(rest, ok, out);
            return Next::Line;
        }
        let status = if ok { "+OK" } else { "-ERR" };
        match self.pending.pop_front() {
            Some(Cmd::Pass(u)) => {
                self.login_event(out, "PASS", None, Some(u), Some(status));
                self.done |= ok;
            }
            Some(Cmd::Apop(u)) => {
                self.login_event(out, "APOP", None, Some(u), Some(status));
                self.done |= ok;
            }
            Some(Cmd::Auth) => {
                if let Some(s) = self.sasl.take() {
                    self.login_event(out, "AUTH", Some(s), s.user_present, Some(status));
                }
                self.done |= ok;
            }
            Some(Cmd::Stls) => {
                self.tls_pending = false;
                if ok {
                    // RFC 2595 §4: TLS negotiation begins at once.
                    if out.events_enabled() {
                        let mut o = Map::new();
                        o.insert("command".into(), json!("STLS"));
                        o.insert("status".into(), json!(status));
                        o.insert("starttls".into(), Value::Bool(true));
                        out.event(o);
                    }
                    self.done = true;
                }
            }
            Some(cmd @ (Cmd::Capa | Cmd::Multi)) if ok => self.multiline = Some(cmd),
            _ => {}
        }
        if self.done { Next::Stop } else { Next::Line }
    }

    fn greeting(&mut self, text: &[u8], ok: bool, out: &mut Out<'_>) {
        match banner::product(text) {
            Some(p) => out.software(Side::Server, p.name, p.version, text),
            None => out.fact(Side::Server, "pop3.banner", text),
        }
        if out.events_enabled() {
            let mut o = Map::new();
            o.insert("greeting".into(), text_value(text));
            o.insert("status".into(), json!(if ok { "+OK" } else { "-ERR" }));
            out.event(o);
        }
    }

    fn login_event(
        &self,
        out: &mut Out<'_>,
        command: &'static str,
        sasl: Option<Sasl>,
        user_present: Option<bool>,
        status: Option<&'static str>,
    ) {
        sasl::login_event(
            out,
            command,
            sasl,
            user_present,
            status,
            "+OK",
            self.tls_offered,
        );
    }
}
