//! FTP control connections (RFC 959), with the security extensions of RFC 2228 (`AUTH`) and
//! FTP over TLS (RFC 4217 §4: `AUTH TLS` → `234`, then the connection is TLS).
//!
//! What matters to a sensor: the server's greeting (its software), its `SYST` answer, and
//! whether a login crossed in cleartext (`USER` / `PASS`, RFC 959 §4.1.1). Replies are matched
//! to commands in order (RFC 959 §4.2: one reply per command; `1yz` replies are preliminary).
//!
//! The line reader, the greeting analysis and the SASL reader in this folder are shared with
//! SMTP, POP3 and IMAP (`crate::ftp::{lines, banner, sasl}`).
//!
//! Done after a successful login (once `SYST` was answered, or 8 commands later), after an
//! accepted `AUTH TLS`/`AUTH SSL` (the rest is TLS), or after 64 lines on either side. Failed
//! logins do not end the parse: each retry is reported.
//!
//! # Facts
//! - `ftp.banner` (server): the greeting's first line after the code (wire text), when it
//!   names no product.
//! - `ftp.system` (server): the `215` reply to `SYST` (RFC 959 §4.1.3), e.g. `UNIX Type: L8`.
//!
//! Software (server): product and version named in the greeting (`220 ProFTPD 1.3.5 Server`,
//! `220 (vsFTPd 3.0.3)`).
//!
//! # Exposures
//! `CleartextCredentials`, side client, subject `FTP USER/PASS` (or `FTP USER/PASS
//! (anonymous)` when the user was `anonymous` or `ftp`, RFC 1635), field `password`, with
//! whether a non-empty user name preceded it. Never the name or the password.
//!
//! # Event
//! Object `ftp` (Suricata EVE's names where they fit):
//! - greeting: `reply` (the greeting's first line, wire text), `completion_code` (`["220"]`),
//!   `reply_received` (`"yes"`).
//! - login (one per `PASS`, or a `USER` answered `230`): `command` (`"PASS"` / `"USER"`; never
//!   `command_data`), `user_present`, `anonymous`, `completion_code` (`["230"]`, empty when no
//!   reply was seen), `reply_received` (`"yes"`/`"no"`), `login` (`"accepted"`, `"rejected"`,
//!   `"incomplete"` for a `3yz` asking for more, `"no_reply"`), `starttls_offered` (`FEAT`
//!   listed `AUTH TLS`).
//! - TLS upgrade: `command` (`"AUTH"`), `command_data` (`"TLS"`/`"SSL"`), `completion_code`,
//!   `reply_received`, `starttls` (`true`).

pub(crate) mod banner;
pub(crate) mod lines;
pub(crate) mod sasl;
#[cfg(test)]
mod tests;

use std::collections::VecDeque;

use model::{ExposureKind, Side, Timestamp};
use serde_json::{Map, Value, json};

use crate::out::{Out, text_value};
use crate::parser::{AppParser, FlowCtx, Probe, Transports, Verdict};

use banner::Greeting;
use lines::{Line, Next, Replies, ReplyLine, Sides, contains_ci, eq_ci};

/// Commands awaiting a reply, at most (RFC 959 has one in flight; clients pipeline a few).
const MAX_PENDING: usize = 8;
/// Client commands after a successful login still read, waiting for `SYST`.
const AFTER_LOGIN: u8 = 8;
/// Ports that make an unclear `220` greeting SMTP's (RFC 5321 §4.5.4 / RFC 6409 / common).
pub(crate) const SMTP_PORTS: [u16; 3] = [25, 587, 2525];

/// A command whose reply matters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cmd {
    /// `USER`: whether the name was non-empty, and anonymous (RFC 1635).
    User { present: bool, anonymous: bool },
    /// `PASS` after such a `USER` (or none).
    Pass { present: bool, anonymous: bool },
    /// `AUTH TLS` / `AUTH SSL` (RFC 4217 §4) — true for SSL.
    AuthTls { ssl: bool },
    /// `SYST` (RFC 959 §4.1.3).
    Syst,
    /// `FEAT` (RFC 2389).
    Feat,
    /// Anything else.
    Other,
}

/// Per-flow state: lines per side, commands awaiting replies, what the login did. The user
/// name and password are never kept: only whether a name was sent.
#[derive(Debug, Default)]
pub struct Ftp {
    sides: Sides,
    replies: Replies,
    /// The greeting (first reply) was read.
    greeted: bool,
    pending: VecDeque<Cmd>,
    /// The greeting named its software.
    software_seen: bool,
    /// The last `USER`: (non-empty, anonymous).
    user: Option<(bool, bool)>,
    /// `FEAT` listed `AUTH TLS`.
    tls_offered: bool,
    /// A client `AUTH TLS` awaits its reply: client bytes are not commands until then.
    tls_pending: bool,
    /// Client commands since a successful login.
    after_login: Option<u8>,
    /// `SYST` was answered.
    syst_seen: bool,
    done: bool,
}

impl AppParser for Ftp {
    const NAME: &'static str = "ftp";
    const TRANSPORTS: Transports = Transports::Tcp;

    fn probe(first: &[u8], side: Side, ctx: &FlowCtx) -> Probe {
        match side {
            // RFC 959 §5.4: the server speaks first, `220` when ready.
            Side::Server => match banner::classify_220(first) {
                Greeting::Not | Greeting::Smtp => Probe::No,
                Greeting::Partial => Probe::NeedMore,
                Greeting::Ftp => Probe::Yes,
                Greeting::Unclear if ctx.has_port(21) => Probe::Yes,
                Greeting::Unclear if SMTP_PORTS.iter().any(|&p| ctx.has_port(p)) => Probe::No,
                Greeting::Unclear => Probe::NeedMore,
            },
            // The client's first command decides an unclear greeting: commands SMTP has not.
            Side::Client if ctx.has_port(110) => Probe::No,
            Side::Client => {
                lines::probe_verb(first, &[b"USER", b"AUTH", b"FEAT", b"SYST", b"OPTS"])
            }
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
        // Which reply answers which command is lost.
        self.pending.clear();
        self.tls_pending = false;
        Verdict::Continue
    }

    fn end(&mut self, out: &mut Out<'_>) {
        // Logins whose reply never came.
        while let Some(cmd) = self.pending.pop_front() {
            if let Cmd::Pass { present, anonymous } = cmd {
                self.login_event(out, "PASS", present, anonymous, None);
            }
        }
    }
}

lines::line_protocol!(Ftp, "ftp_line_too_long");

impl Ftp {
    fn client_line(&mut self, line: Line<'_>, out: &mut Out<'_>) -> Next {
        if self.tls_pending {
            // RFC 4217 §4: the client waits for 234 before its ClientHello.
            return Next::Line;
        }
        let (verb, arg) = lines::command(line.text);
        let cmd = if eq_ci(verb, b"USER") {
            // RFC 959 §4.1.1 USER; RFC 1635 anonymous FTP.
            let anonymous = eq_ci(arg, b"anonymous") || eq_ci(arg, b"ftp");
            self.user = Some((!arg.is_empty(), anonymous));
            Cmd::User {
                present: !arg.is_empty(),
                anonymous,
            }
        } else if eq_ci(verb, b"PASS") {
            // RFC 959 §4.1.1 PASS: the password in cleartext. Reported now: it has crossed.
            let (present, anonymous) = self.user.unwrap_or((false, false));
            let subject = if anonymous {
                "FTP USER/PASS (anonymous)"
            } else {
                "FTP USER/PASS"
            };
            out.exposure(
                ExposureKind::CleartextCredentials,
                Side::Client,
                subject,
                vec!["password".into()],
                Some(present),
            );
            Cmd::Pass { present, anonymous }
        } else if eq_ci(verb, b"AUTH") && (eq_ci(arg, b"TLS") || eq_ci(arg, b"SSL")) {
            // RFC 4217 §4 (TLS; SSL is its historical alias, §17).
            self.tls_pending = true;
            Cmd::AuthTls {
                ssl: eq_ci(arg, b"SSL"),
            }
        } else if eq_ci(verb, b"SYST") {
            Cmd::Syst
        } else if eq_ci(verb, b"FEAT") {
            Cmd::Feat
        } else {
            Cmd::Other
        };
        lines::push_pending(
            &mut self.pending,
            cmd,
            MAX_PENDING,
            "ftp_pending_dropped",
            out,
        );
        if let Some(n) = &mut self.after_login {
            *n += 1;
            if *n > AFTER_LOGIN {
                self.done = true;
            }
        }
        Next::Line
    }

    fn server_line(&mut self, line: Line<'_>, out: &mut Out<'_>) -> Next {
        let Some(reply) = self.replies.line(line.text) else {
            out.anomaly("ftp_bad_reply");
            return Next::Line;
        };
        if !self.greeted {
            self.greeting_line(&reply, out);
            return Next::Line;
        }
        let cmd = self.pending.front().copied();
        match cmd {
            Some(Cmd::Syst) if reply.first && reply.code == 215 => {
                out.fact(Side::Server, "ftp.system", lines::trim_end(reply.text));
            }
            Some(Cmd::Feat) if !reply.first && contains_ci(reply.text, b"AUTH TLS") => {
                self.tls_offered = true;
            }
            _ => {}
        }
        // RFC 959 §4.2: 1yz is preliminary; the command is answered by the last line of the
        // next reply.
        if !reply.last || reply.code < 200 {
            return Next::Line;
        }
        self.pending.pop_front();
        match cmd {
            Some(Cmd::Pass { present, anonymous }) => {
                self.login_event(out, "PASS", present, anonymous, Some(reply.code));
                if reply.code / 100 == 2 {
                    self.logged_in();
                }
            }
            Some(Cmd::User { present, anonymous }) if reply.code == 230 => {
                // RFC 959 §5.4: USER answered 230 logs in without a password.
                self.login_event(out, "USER", present, anonymous, Some(reply.code));
                self.logged_in();
            }
            Some(Cmd::AuthTls { ssl }) => {
                self.tls_pending = false;
                if reply.code == 234 {
                    // RFC 4217 §4: TLS negotiation follows; nothing more is readable.
                    if out.events_enabled() {
                        let mut o = Map::new();
                        o.insert("command".into(), json!("AUTH"));
                        o.insert(
                            "command_data".into(),
                            json!(if ssl { "SSL" } else { "TLS" }),
                        );
                        o.insert("completion_code".into(), json!([reply.code.to_string()]));
                        o.insert("reply_received".into(), json!("yes"));
                        o.insert("starttls".into(), Value::Bool(true));
                        out.event(o);
                    }
                    self.done = true;
                    return Next::Stop;
                }
            }
            Some(Cmd::Syst) => {
                self.syst_seen = true;
                if self.after_login.is_some() {
                    self.done = true;
                }
            }
            _ => {}
        }
        Next::Line
    }

    /// A line of the greeting (RFC 959 §5.4: `120` then `220`, or `220`, or `421`).
    fn greeting_line(&mut self, reply: &ReplyLine<'_>, out: &mut Out<'_>) {
        let text = lines::trim_end(reply.text).trim_ascii_start();
        let found = banner::product(text);
        if let Some(p) = found.filter(|_| !self.software_seen) {
            self.software_seen = true;
            out.software(Side::Server, p.name, p.version, text);
        }
        if reply.first {
            if found.is_none() {
                out.fact(Side::Server, "ftp.banner", text);
            }
            if out.events_enabled() {
                let mut o = Map::new();
                o.insert("reply".into(), Value::Array(vec![text_value(text)]));
                o.insert("completion_code".into(), json!([reply.code.to_string()]));
                o.insert("reply_received".into(), json!("yes"));
                out.event(o);
            }
        }
        if reply.last && reply.code >= 200 {
            self.greeted = true;
        }
    }

    fn logged_in(&mut self) {
        if self.syst_seen {
            self.done = true;
        } else if self.after_login.is_none() {
            self.after_login = Some(0);
        }
    }

    fn login_event(
        &self,
        out: &mut Out<'_>,
        command: &'static str,
        present: bool,
        anonymous: bool,
        code: Option<u16>,
    ) {
        if !out.events_enabled() {
            return;
        }
        let login = match code.map(|c| c / 100) {
            None => "no_reply",
            Some(2) => "accepted",
            Some(3) => "incomplete",
            Some(_) => "rejected",
        };
        let mut o = Map::new();
        o.insert("command".into(), json!(command));
        o.insert("user_present".into(), Value::Bool(present));
        o.insert("anonymous".into(), Value::Bool(anonymous));
        let codes: Vec<String> = code.iter().map(u16::to_string).collect();
        o.insert("completion_code".into(), json!(codes));
        o.insert(
            "reply_received".into(),
            json!(if code.is_some() { "yes" } else { "no" }),
        );
        o.insert("login".into(), json!(login));
        o.insert("starttls_offered".into(), Value::Bool(self.tls_offered));
        out.event(o);
    }
}
