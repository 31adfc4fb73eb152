//! SMTP (RFC 5321) with AUTH (RFC 4954) and STARTTLS (RFC 3207).
//!
//! What matters to a sensor: the server's greeting (its name and software), the client's
//! `EHLO`/`HELO` name, and whether a login crossed in cleartext (`AUTH PLAIN`, `AUTH LOGIN`,
//! `AUTH CRAM-MD5`, read with the SASL reader shared in `crate::ftp::sasl`). Replies are
//! matched to commands in order (RFC 5321 §4.2; RFC 2920 pipelining keeps the order).
//!
//! Done after a successful `AUTH` (`235`), after `STARTTLS` is accepted (`220`, RFC 3207 §4:
//! the rest is TLS, and no credential after it is reported), when the message content starts
//! (`354` to `DATA`, or `BDAT`), or after 64 lines on either side. Failed logins do not end
//! the parse: each retry is reported.
//!
//! # Facts
//! - `smtp.greeting_host` (server): the host name at the start of the greeting (RFC 5321
//!   §4.3.1 `220 SP Domain`), the server's own name.
//! - `smtp.banner` (server): the greeting's first line after the code, when it names no
//!   product.
//! - `smtp.helo` (client): the `EHLO`/`HELO` argument (RFC 5321 §4.1.1.1), the client's name.
//!
//! Software (server): product and version named in the greeting (`ESMTP Exim 4.69`,
//! `ESMTP Postfix`).
//!
//! # Exposures
//! `CleartextCredentials`, side client, subject `SMTP AUTH PLAIN` / `SMTP AUTH LOGIN` (field
//! `password`) or `SMTP AUTH CRAM-MD5` (field `CRAM-MD5`: a digest, open to dictionary
//! attack), with whether a non-empty user name was sent. Never the name or the secret.
//!
//! # Event
//! Object `smtp` (Suricata EVE's names where they fit; never a mail address):
//! - greeting: `greeting` (the first line after the code, wire text), `greeting_host`,
//!   `reply_code`.
//! - login (one per `AUTH`): `command` (`"AUTH"`), `mechanism` (`PLAIN`, `LOGIN`,
//!   `CRAM-MD5`, `other`), `user_present`, `reply_code` (absent when none was seen),
//!   `login` (`"accepted"`, `"rejected"`, `"cancelled"`, `"no_reply"`), `starttls_offered`
//!   (the `EHLO` reply listed `STARTTLS`), `helo`.
//! - TLS upgrade: `command` (`"STARTTLS"`), `reply_code`, `starttls` (`true`), `helo`.
//! - transaction (when `DATA`/`BDAT` starts or the flow ends after `MAIL`): `helo`,
//!   `mail_from_present` (a non-null reverse path was given), `rcpt_to_count`.

#[cfg(test)]
mod tests;

use std::collections::VecDeque;

use model::{Side, Timestamp};
use serde_json::{Map, Value, json};

use crate::ftp::SMTP_PORTS;
use crate::ftp::banner::{self, Greeting};
use crate::ftp::lines::{self, Line, Next, Replies, ReplyLine, Sides, eq_ci, starts_ci};
use crate::ftp::sasl::{Mech, Sasl, Step};
use crate::out::{Out, text_value};
use crate::parser::{AppParser, FlowCtx, Probe, Transports, Verdict};

/// Commands awaiting a reply, at most (RFC 2920 pipelines a transaction's commands).
const MAX_PENDING: usize = 16;

/// A command whose reply matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmd {
    /// `EHLO` (true) or `HELO` (RFC 5321 §4.1.1.1).
    Helo(bool),
    /// `AUTH` (RFC 4954 §4): its exchange is in `Smtp::sasl`.
    Auth,
    /// `STARTTLS` (RFC 3207 §4).
    StartTls,
    /// `DATA` (RFC 5321 §4.1.1.4).
    Data,
    /// Anything else.
    Other,
}

/// Per-flow state. Never a user name, password, mail address or message text: only
/// presence flags and counts.
#[derive(Debug, Default)]
pub struct Smtp {
    sides: Sides,
    replies: Replies,
    greeted: bool,
    software_seen: bool,
    pending: VecDeque<Cmd>,
    /// An `AUTH` exchange in progress: client lines are its responses until the final reply.
    sasl: Option<Sasl>,
    tls_offered: bool,
    /// `STARTTLS` awaits its reply: client bytes are not commands until then.
    tls_pending: bool,
    /// The client's `EHLO`/`HELO` name (its identity, kept as wire text for events).
    helo: Option<String>,
    mail_from_present: Option<bool>,
    rcpt_to: u32,
    transaction_reported: bool,
    done: bool,
}

impl AppParser for Smtp {
    const NAME: &'static str = "smtp";
    const TRANSPORTS: Transports = Transports::Tcp;

    fn probe(first: &[u8], side: Side, ctx: &FlowCtx) -> Probe {
        match side {
            // RFC 5321 §3.1: the server speaks first, `220` when ready.
            Side::Server => match banner::classify_220(first) {
                Greeting::Not | Greeting::Ftp => Probe::No,
                Greeting::Partial => Probe::NeedMore,
                Greeting::Smtp => Probe::Yes,
                Greeting::Unclear if SMTP_PORTS.iter().any(|&p| ctx.has_port(p)) => Probe::Yes,
                Greeting::Unclear if ctx.has_port(21) => Probe::No,
                Greeting::Unclear => Probe::NeedMore,
            },
            // RFC 5321 §4.1.4: the client's first command is EHLO or HELO.
            Side::Client => lines::probe_verb(first, &[b"EHLO", b"HELO"]),
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
        if side == Side::Server {
            self.replies.reset();
        }
        self.pending.clear();
        self.tls_pending = false;
        if let Some(s) = self.sasl.take() {
            self.login_event(out, &s, None);
        }
        Verdict::Continue
    }

    fn end(&mut self, out: &mut Out<'_>) {
        if let Some(s) = self.sasl.take() {
            self.login_event(out, &s, None);
        }
        self.transaction_event(out);
    }
}

lines::line_protocol!(Smtp, "smtp_line_too_long");

impl Smtp {
    fn client_line(&mut self, line: Line<'_>, out: &mut Out<'_>) -> Next {
        if self.tls_pending {
            // RFC 3207 §4: the client waits for 220 before its ClientHello.
            return Next::Line;
        }
        if let Some(s) = &mut self.sasl {
            // RFC 4954 §4: each line after a 334 is a base64 response (or `*` to cancel).
            let step = s.response(line.text);
            let s = *s;
            self.sasl_step(s, step, out);
            return Next::Line;
        }
        let (verb, arg) = lines::command(line.text);
        let cmd = if eq_ci(verb, b"EHLO") || eq_ci(verb, b"HELO") {
            // RFC 5321 §4.1.1.1: "EHLO" SP ( Domain / address-literal ).
            let name = arg.split(|&b| b == b' ').next().unwrap_or_default();
            if !name.is_empty() {
                out.fact(Side::Client, "smtp.helo", name);
                self.helo = Some(wire::text::wire_text(name));
            }
            Cmd::Helo(eq_ci(verb, b"EHLO"))
        } else if eq_ci(verb, b"AUTH") {
            // RFC 4954 §4: "AUTH" SP mechanism [SP initial-response].
            let (mech, initial) = lines::command(arg);
            let mut s = Sasl::new(Mech::from_name(mech));
            if !initial.is_empty() {
                let step = s.response(initial);
                self.sasl_step(s, step, out);
            }
            self.sasl = Some(s);
            Cmd::Auth
        } else if eq_ci(verb, b"STARTTLS") {
            self.tls_pending = true;
            Cmd::StartTls
        } else if eq_ci(verb, b"MAIL") {
            // RFC 5321 §4.1.1.2: "MAIL FROM:" Reverse-path; "<>" is the null path. Only
            // whether one was given is kept.
            let path = arg
                .get(5..)
                .filter(|_| starts_ci(arg, b"FROM:"))
                .unwrap_or_default();
            let path = path
                .trim_ascii()
                .split(|&b| b == b' ')
                .next()
                .unwrap_or_default();
            self.mail_from_present = Some(!path.is_empty() && path != b"<>");
            Cmd::Other
        } else if eq_ci(verb, b"RCPT") {
            self.rcpt_to = self.rcpt_to.saturating_add(1);
            Cmd::Other
        } else if eq_ci(verb, b"DATA") {
            Cmd::Data
        } else if eq_ci(verb, b"BDAT") {
            // RFC 3030 §2: the chunk's bytes follow at once; the content is not ours to read.
            self.transaction_event(out);
            self.done = true;
            return Next::Stop;
        } else {
            Cmd::Other
        };
        lines::push_pending(
            &mut self.pending,
            cmd,
            MAX_PENDING,
            "smtp_pending_dropped",
            out,
        );
        Next::Line
    }

    /// Reports what a SASL response revealed.
    fn sasl_step(&mut self, s: Sasl, step: Step, out: &mut Out<'_>) {
        s.report(step, "SMTP AUTH", "smtp_sasl_malformed", out);
        if let Some(current) = &mut self.sasl {
            *current = s;
        }
    }

    fn server_line(&mut self, line: Line<'_>, out: &mut Out<'_>) -> Next {
        let Some(reply) = self.replies.line(line.text) else {
            out.anomaly("smtp_bad_reply");
            return Next::Line;
        };
        if !self.greeted {
            self.greeting_line(&reply, out);
            return Next::Line;
        }
        let cmd = self.pending.front().copied();
        if cmd == Some(Cmd::Helo(true)) {
            // RFC 3207 §4: the EHLO reply lists STARTTLS when offered.
            if !reply.first && eq_ci(lines::trim_end(reply.text), b"STARTTLS") {
                self.tls_offered = true;
            }
        }
        if !reply.last {
            return Next::Line;
        }
        // RFC 4954 §4: 334 continues the AUTH exchange; it is not its final reply.
        if cmd == Some(Cmd::Auth) && reply.code == 334 {
            return Next::Line;
        }
        self.pending.pop_front();
        match cmd {
            Some(Cmd::Auth) => {
                if let Some(s) = self.sasl.take() {
                    self.login_event(out, &s, Some(reply.code));
                }
                // RFC 4954 §6: 235 authentication succeeded.
                if reply.code == 235 {
                    self.done = true;
                    return Next::Stop;
                }
            }
            Some(Cmd::StartTls) => {
                self.tls_pending = false;
                if reply.code == 220 {
                    if out.events_enabled() {
                        let mut o = Map::new();
                        o.insert("command".into(), json!("STARTTLS"));
                        o.insert("reply_code".into(), json!(reply.code));
                        o.insert("starttls".into(), Value::Bool(true));
                        self.add_helo(&mut o);
                        out.event(o);
                    }
                    self.done = true;
                    return Next::Stop;
                }
            }
            Some(Cmd::Data) if reply.code == 354 => {
                // RFC 5321 §4.1.1.4: the content follows.
                self.transaction_event(out);
                self.done = true;
                return Next::Stop;
            }
            _ => {}
        }
        Next::Line
    }

    /// A line of the greeting (RFC 5321 §4.3.1: `220` or `554`, possibly multi-line).
    fn greeting_line(&mut self, reply: &ReplyLine<'_>, out: &mut Out<'_>) {
        let text = lines::trim_end(reply.text).trim_ascii_start();
        let found = banner::product(text);
        if let Some(p) = found.filter(|_| !self.software_seen) {
            self.software_seen = true;
            out.software(Side::Server, p.name, p.version, text);
        }
        if reply.first {
            // "220 SP ( Domain / address-literal ) [ SP textstring ]".
            let host = text.split(|&b| b == b' ').next().unwrap_or_default();
            let host = is_host(host).then_some(host);
            if let Some(host) = host {
                out.fact(Side::Server, "smtp.greeting_host", host);
            }
            if found.is_none() {
                out.fact(Side::Server, "smtp.banner", text);
            }
            if out.events_enabled() {
                let mut o = Map::new();
                o.insert("greeting".into(), text_value(text));
                if let Some(host) = host {
                    o.insert("greeting_host".into(), text_value(host));
                }
                o.insert("reply_code".into(), json!(reply.code));
                out.event(o);
            }
        }
        if reply.last {
            self.greeted = true;
        }
    }

    fn add_helo(&self, o: &mut Map<String, Value>) {
        if let Some(h) = &self.helo {
            o.insert("helo".into(), Value::String(h.clone()));
        }
    }

    fn login_event(&self, out: &mut Out<'_>, s: &Sasl, code: Option<u16>) {
        if !out.events_enabled() {
            return;
        }
        let login = match code {
            _ if s.cancelled => "cancelled",
            None => "no_reply",
            Some(c) if c / 100 == 2 => "accepted",
            Some(_) => "rejected",
        };
        let mut o = Map::new();
        o.insert("command".into(), json!("AUTH"));
        o.insert("mechanism".into(), json!(s.mech.as_str()));
        if let Some(u) = s.user_present {
            o.insert("user_present".into(), Value::Bool(u));
        }
        if let Some(c) = code {
            o.insert("reply_code".into(), json!(c));
        }
        o.insert("login".into(), json!(login));
        o.insert("starttls_offered".into(), Value::Bool(self.tls_offered));
        self.add_helo(&mut o);
        out.event(o);
    }

    /// The mail transaction, once (addresses are personal data: presence and a count only).
    fn transaction_event(&mut self, out: &mut Out<'_>) {
        let Some(from) = self.mail_from_present else {
            return;
        };
        if self.transaction_reported || !out.events_enabled() {
            return;
        }
        self.transaction_reported = true;
        let mut o = Map::new();
        self.add_helo(&mut o);
        o.insert("mail_from_present".into(), Value::Bool(from));
        o.insert("rcpt_to_count".into(), json!(self.rcpt_to));
        out.event(o);
    }
}

/// A host name or address literal as RFC 5321 §4.1.2 allows (`Domain` / `[addr]`).
fn is_host(b: &[u8]) -> bool {
    !b.is_empty()
        && b.len() <= 255
        && b.iter().all(|&c| {
            c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_' | b'[' | b']' | b':')
        })
}
