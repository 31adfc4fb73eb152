//! IMAP (RFC 9051, RFC 3501): the greeting, `LOGIN` (§6.2.3), `AUTHENTICATE` (§6.2.2, with
//! SASL-IR, RFC 4959) and `STARTTLS` (§6.2.1).
//!
//! What matters to a sensor: the server's greeting (its software) and whether a login crossed
//! in cleartext. Commands are tagged; the tagged `OK`/`NO`/`BAD` answers them (§7.1). Literals
//! (`{n}` then `n` raw bytes, §4.3; `{n+}`, RFC 7888) are passed over on both sides, so a
//! user name or password sent as a literal is measured, never read. AUTHENTICATE responses are
//! read with the SASL reader shared in `crate::ftp::sasl`.
//!
//! Done after a successful login (tagged `OK`), after `STARTTLS` is accepted (the rest is TLS:
//! no credential after it is reported), after a `PREAUTH` or `BYE` greeting, or after 64 lines
//! on either side. Failed logins do not end the parse: each retry is reported.
//!
//! # Facts
//! - `imap.banner` (server): the greeting's text after its status and response code (wire
//!   text), when it names no product.
//!
//! Software (server): the product (and version) named in the greeting
//! (`* OK [CAPABILITY …] Dovecot ready.`).
//!
//! # Exposures
//! `CleartextCredentials`, side client: subject `IMAP LOGIN` (field `password`),
//! `IMAP AUTHENTICATE PLAIN` / `IMAP AUTHENTICATE LOGIN` (field `password`) or
//! `IMAP AUTHENTICATE CRAM-MD5` (field `CRAM-MD5`), with whether a non-empty user name was
//! sent. Never the name or the secret.
//!
//! # Event
//! Object `imap`:
//! - greeting: `greeting` (text, wire text), `status` (`"OK"`, `"PREAUTH"`, `"BYE"`).
//! - login (one per `LOGIN` or `AUTHENTICATE`): `command`, `mechanism` (AUTHENTICATE only),
//!   `user_present`, `status` (`"OK"`/`"NO"`/`"BAD"`, absent when no reply was seen),
//!   `login` (`"accepted"`, `"rejected"`, `"cancelled"`, `"no_reply"`), `starttls_offered`
//!   (a capability list showed `STARTTLS`).
//! - TLS upgrade: `command` (`"STARTTLS"`), `status`, `starttls` (`true`).

mod command;
#[cfg(test)]
mod tests;

use model::{ExposureKind, Side, Timestamp};
use serde_json::{Map, Value, json};

use crate::ftp::banner;
use crate::ftp::lines::{self, Line, Next, Sides, eq_ci, prefix_state, starts_ci};
use crate::ftp::sasl::{self, Mech, Sasl, Step};
use crate::out::{Out, text_value};
use crate::parser::{AppParser, FlowCtx, Probe, Transports, Verdict};

use command::{Arg, MAX_TAG, astring, trailing_literal};

/// The command whose tagged reply matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// `LOGIN user password` (non-empty user).
    Login(bool),
    /// `AUTHENTICATE mechanism`: the exchange is in `Imap::sasl`.
    Authenticate,
    /// `STARTTLS`.
    StartTls,
}

/// A command awaiting its tagged reply; the tag (client-chosen, not personal) matches it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Waiting {
    tag: [u8; MAX_TAG],
    tag_len: usize,
    kind: Kind,
}

impl Waiting {
    fn new(tag: &[u8], kind: Kind) -> Self {
        let mut t = [0; MAX_TAG];
        let n = tag.len().min(MAX_TAG);
        if let (Some(dst), Some(src)) = (t.get_mut(..n), tag.get(..n)) {
            dst.copy_from_slice(src);
        }
        Self {
            tag: t,
            tag_len: n,
            kind,
        }
    }

    fn tag(&self) -> &[u8] {
        self.tag.get(..self.tag_len).unwrap_or_default()
    }
}

/// Where the client's command goes on after a literal's bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Cont {
    /// A new command.
    #[default]
    Command,
    /// `LOGIN {n}` user literal: SP and the password come next (non-empty user).
    LoginPassword(bool),
    /// The rest of some command (more literals may follow).
    Rest,
}

/// Per-flow state. Never a user name or password: only whether a name was sent.
#[derive(Debug, Default)]
pub struct Imap {
    sides: Sides,
    greeted: bool,
    waiting: Option<Waiting>,
    cont: Cont,
    sasl: Option<Sasl>,
    tls_offered: bool,
    /// `STARTTLS` awaits its reply: client bytes are not commands until then.
    tls_pending: bool,
    done: bool,
}

impl AppParser for Imap {
    const NAME: &'static str = "imap";
    const TRANSPORTS: Transports = Transports::Tcp;

    fn probe(first: &[u8], side: Side, _ctx: &FlowCtx) -> Probe {
        // RFC 9051 §7.1: the server greets first with an untagged OK, PREAUTH or BYE.
        if side == Side::Client {
            return Probe::No;
        }
        let mut answer = Probe::No;
        for start in [&b"* OK "[..], b"* OK\r", b"* PREAUTH ", b"* BYE "] {
            match prefix_state(first, start) {
                Some(true) => return Probe::Yes,
                Some(false) => answer = Probe::NeedMore,
                None => {}
            }
        }
        answer
    }

    fn new(_ctx: &FlowCtx) -> Self {
        Self::default()
    }

    fn feed(&mut self, side: Side, _ts: Timestamp, data: &[u8], out: &mut Out<'_>) -> Verdict {
        lines::feed_lines(self, side, data, out)
    }

    fn gap(&mut self, side: Side, len: u32, out: &mut Out<'_>) -> Verdict {
        self.sides.gap(side, len, out);
        self.cont = Cont::Command;
        self.tls_pending = false;
        self.finish_waiting(out, None);
        Verdict::Continue
    }

    fn end(&mut self, out: &mut Out<'_>) {
        self.finish_waiting(out, None);
    }
}

lines::line_protocol!(Imap, "imap_line_too_long");

impl Imap {
    fn client_line(&mut self, line: Line<'_>, out: &mut Out<'_>) -> Next {
        if self.tls_pending {
            // RFC 9051 §6.2.1: the client waits for the tagged OK before its ClientHello.
            return Next::Line;
        }
        let text = line.text;
        match std::mem::take(&mut self.cont) {
            Cont::LoginPassword(user) => {
                // After the user literal: SP password.
                let rest = text.strip_prefix(b" ").unwrap_or(text);
                return match astring(rest) {
                    Some((arg, _)) => {
                        self.login_exposure(user, out);
                        self.after_arg(arg)
                    }
                    None => {
                        out.anomaly("imap_login_without_password");
                        Next::Line
                    }
                };
            }
            Cont::Rest => return self.rest_of(text),
            Cont::Command => {}
        }
        if let Some(s) = &mut self.sasl {
            // RFC 9051 §6.2.2: each line after a "+" continuation is a base64 response or "*".
            let step = s.response(text);
            let s = *s;
            self.sasl_step(s, step, out);
            return Next::Line;
        }
        let Some(cmd) = command::command(text) else {
            out.anomaly("imap_bad_command");
            return Next::Line;
        };
        if eq_ci(cmd.name, b"LOGIN") {
            // RFC 9051 §6.2.3: "LOGIN" SP userid SP password (astrings).
            let Some((user, after)) = astring(cmd.rest) else {
                out.anomaly("imap_bad_command");
                return Next::Line;
            };
            self.wait(cmd.tag, Kind::Login(user.non_empty()), out);
            if let Arg::Literal(n) = user {
                self.cont = Cont::LoginPassword(n > 0);
                return Next::Skip(n);
            }
            return match after.strip_prefix(b" ").and_then(astring) {
                Some((pass, _)) => {
                    self.login_exposure(user.non_empty(), out);
                    self.after_arg(pass)
                }
                // The line was cut inside the user name: the password is in the cut tail.
                None if line.truncated => {
                    self.login_exposure(user.non_empty(), out);
                    Next::Line
                }
                None => {
                    out.anomaly("imap_login_without_password");
                    Next::Line
                }
            };
        }
        if eq_ci(cmd.name, b"AUTHENTICATE") {
            // RFC 9051 §6.2.2: "AUTHENTICATE" SP auth-type [SP initial-response] (RFC 4959).
            let (mech, initial) = lines::command(cmd.rest);
            let mut s = Sasl::new(Mech::from_name(mech));
            self.wait(cmd.tag, Kind::Authenticate, out);
            if !initial.is_empty() {
                let step = s.response(initial);
                self.sasl_step(s, step, out);
            }
            self.sasl = Some(s);
            return Next::Line;
        }
        if eq_ci(cmd.name, b"STARTTLS") {
            self.wait(cmd.tag, Kind::StartTls, out);
            self.tls_pending = true;
            return Next::Line;
        }
        self.rest_of(text)
    }

    /// What follows a LOGIN password argument: a literal's bytes, or the end.
    fn after_arg(&mut self, arg: Arg) -> Next {
        match arg {
            Arg::Literal(n) => {
                self.cont = Cont::Rest;
                Next::Skip(n)
            }
            Arg::Atom(_) | Arg::Quoted(_) => Next::Line,
        }
    }

    /// A command line that may end with a literal (APPEND, SEARCH…): pass its bytes over.
    fn rest_of(&mut self, text: &[u8]) -> Next {
        match trailing_literal(text) {
            Some(n) => {
                self.cont = Cont::Rest;
                Next::Skip(n)
            }
            None => Next::Line,
        }
    }

    fn login_exposure(&self, user: bool, out: &mut Out<'_>) {
        out.exposure(
            ExposureKind::CleartextCredentials,
            Side::Client,
            "IMAP LOGIN",
            vec!["password".into()],
            Some(user),
        );
    }

    /// A new command awaiting its tagged reply (an older one still waiting is reported).
    fn wait(&mut self, tag: &[u8], kind: Kind, out: &mut Out<'_>) {
        self.finish_waiting(out, None);
        self.waiting = Some(Waiting::new(tag, kind));
    }

    fn sasl_step(&mut self, s: Sasl, step: Step, out: &mut Out<'_>) {
        s.report(step, "IMAP AUTHENTICATE", "imap_sasl_malformed", out);
        if let Some(current) = &mut self.sasl {
            *current = s;
        }
    }

    fn server_line(&mut self, line: Line<'_>, out: &mut Out<'_>) -> Next {
        let text = line.text;
        let skip = trailing_literal(text).map_or(Next::Line, Next::Skip);
        if !self.greeted {
            self.greeted = true;
            self.greeting(text, out);
            return if self.done { Next::Stop } else { skip };
        }
        if let Some(rest) = text.strip_prefix(b"* ") {
            // RFC 9051 §7.2.2: "* CAPABILITY ..." lists STARTTLS when offered.
            if starts_ci(rest, b"CAPABILITY ") && has_starttls(rest) {
                self.tls_offered = true;
            }
            return skip;
        }
        if text.first() == Some(&b'+') {
            // RFC 9051 §7.5: a command continuation request.
            return skip;
        }
        let Some(w) = self.waiting else {
            return skip;
        };
        let Some(after) = text
            .strip_prefix(w.tag())
            .and_then(|r| r.strip_prefix(b" "))
        else {
            return skip;
        };
        // RFC 9051 §7.1: tagged OK / NO / BAD.
        let (status, _) = lines::command(after);
        let status = if eq_ci(status, b"OK") {
            "OK"
        } else if eq_ci(status, b"NO") {
            "NO"
        } else if eq_ci(status, b"BAD") {
            "BAD"
        } else {
            out.anomaly("imap_bad_reply");
            return skip;
        };
        if w.kind == Kind::StartTls {
            self.waiting = None;
            self.tls_pending = false;
            if status == "OK" {
                if out.events_enabled() {
                    let mut o = Map::new();
                    o.insert("command".into(), json!("STARTTLS"));
                    o.insert("status".into(), json!(status));
                    o.insert("starttls".into(), Value::Bool(true));
                    out.event(o);
                }
                self.done = true;
                return Next::Stop;
            }
            return skip;
        }
        self.finish_waiting(out, Some(status));
        if status == "OK" {
            self.done = true;
            return Next::Stop;
        }
        skip
    }

    /// The greeting: `* OK [code] text`, `* PREAUTH …` or `* BYE …` (RFC 9051 §7.1).
    fn greeting(&mut self, text: &[u8], out: &mut Out<'_>) {
        let Some(rest) = text.strip_prefix(b"* ") else {
            out.anomaly("imap_bad_greeting");
            return;
        };
        let (status, mut rest) = lines::command(rest);
        let status = if eq_ci(status, b"OK") {
            "OK"
        } else if eq_ci(status, b"PREAUTH") {
            // Already authenticated: no login will follow.
            self.done = true;
            "PREAUTH"
        } else if eq_ci(status, b"BYE") {
            self.done = true;
            "BYE"
        } else {
            out.anomaly("imap_bad_greeting");
            return;
        };
        if rest.first() == Some(&b'[') {
            // RFC 9051 §7.1: resp-text-code in brackets, e.g. [CAPABILITY IMAP4rev1 STARTTLS].
            let close = rest.iter().position(|&b| b == b']').unwrap_or(rest.len());
            let (code, after) = rest.split_at(close);
            if starts_ci(code, b"[CAPABILITY ") && has_starttls(code) {
                self.tls_offered = true;
            }
            rest = after.get(1..).unwrap_or_default().trim_ascii_start();
        }
        match banner::product(rest) {
            Some(p) => out.software(Side::Server, p.name, p.version, rest),
            None => out.fact(Side::Server, "imap.banner", rest),
        }
        if out.events_enabled() {
            let mut o = Map::new();
            o.insert("greeting".into(), text_value(rest));
            o.insert("status".into(), json!(status));
            out.event(o);
        }
    }

    /// Reports the login awaiting a reply (with its status, or none seen).
    fn finish_waiting(&mut self, out: &mut Out<'_>, status: Option<&'static str>) {
        let Some(w) = self.waiting.take() else {
            return;
        };
        let sasl = self.sasl.take();
        let (command, user_present) = match w.kind {
            Kind::Login(u) => ("LOGIN", Some(u)),
            Kind::Authenticate => ("AUTHENTICATE", sasl.and_then(|s| s.user_present)),
            Kind::StartTls => return,
        };
        sasl::login_event(
            out,
            command,
            sasl,
            user_present,
            status,
            "OK",
            self.tls_offered,
        );
    }
}

/// A capability list naming STARTTLS (RFC 9051 §6.2.1) as a word.
fn has_starttls(caps: &[u8]) -> bool {
    caps.split(|&b| b == b' ' || b == b']')
        .any(|w| eq_ci(w, b"STARTTLS"))
}
