//! Telnet (RFC 854) with option negotiation (RFC 855: `IAC WILL/WONT/DO/DONT option`,
//! `IAC SB … IAC SE`).
//!
//! What matters to a sensor: a cleartext login. Commands are stripped from both directions
//! byte by byte ([`iac`]); the server's text is watched for a login prompt (`login:`,
//! `Username:`, `Password:`, case-insensitive), and the client's keystrokes after it —
//! often one byte per segment, echoed by the server — are only checked for whether anything
//! was typed before CR or LF. No typed byte is kept.
//!
//! Done after the password line (CR or LF after `Password:`), after 4 KiB from the client,
//! after 16 KiB from the server (a login prompt comes in the first screens; a session
//! past them is output the sensor has no use for), or on a gap (keystrokes lost: the login
//! cannot be followed).
//!
//! # Facts
//! - `telnet.banner` (server): the first text line the server sent before any prompt (wire
//!   text), when it names no product (`Ubuntu 22.04.4 LTS` names one: software).
//!
//! # Exposures
//! `CleartextCredentials`, side client, subject `TELNET login`, field `password`, when a
//! password was typed after a `Password:` prompt; user present when a user name was typed
//! after a `login:`/`Username:` prompt before it.
//!
//! # Event
//! Object `telnet`:
//! - greeting (the banner line): `banner`.
//! - login (one, at the password line): `command` (`"login"`), `user_present`,
//!   `password_present` (anything typed after `Password:`), `login` (`"no_reply"`: the
//!   parse ends at the password line).

mod iac;
#[cfg(test)]
mod tests;

use model::{ExposureKind, Side, Timestamp};
use serde_json::{Map, Value, json};

use crate::out::{Out, text_value};
use crate::parser::{AppParser, FlowCtx, Probe, Transports, Verdict};

use iac::{Byte, DONT, Decoder, IAC, Prompt, PromptWatch, SB};

/// Client bytes read at most (CONVENTIONS §6 spirit: a login comes early).
const MAX_CLIENT_BYTES: usize = 4096;
/// Server bytes read at most: a login prompt follows the banner and message of the day
/// within the first screens (16 KiB is about eight 80×25 screens of text).
const MAX_SERVER_BYTES: usize = 16 * 1024;
/// Banner line bytes kept (wire text keeps 256 of them).
const MAX_BANNER: usize = 256;

/// Where the login is, as the client's keystrokes go.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
enum Login {
    /// No prompt yet.
    #[default]
    Idle,
    /// After a user prompt: whether anything was typed on this line.
    User { typed: bool },
    /// The user line ended: whether a name was typed.
    UserDone { user: bool },
    /// After `Password:`: whether a user name preceded, and whether anything was typed.
    Password { user: bool, typed: bool },
}

/// Per-flow state: one command decoder per side, the prompt watch, the login's progress.
/// Keystrokes are never kept: only whether some were typed.
#[derive(Debug, Default)]
pub struct Telnet {
    decoders: [Decoder; 2],
    prompt: PromptWatch,
    login: Login,
    /// A prompt was seen: the banner is over.
    prompted: bool,
    /// The server's first line, until it ends (before any prompt).
    banner: Vec<u8>,
    banner_done: bool,
    client_bytes: usize,
    server_bytes: usize,
    done: bool,
}

impl AppParser for Telnet {
    const NAME: &'static str = "telnet";
    const TRANSPORTS: Transports = Transports::Tcp;

    fn probe(first: &[u8], _side: Side, _ctx: &FlowCtx) -> Probe {
        // RFC 854/855: either side opens with IAC then a negotiation verb or SB.
        match first {
            [] | [IAC] => Probe::NeedMore,
            [IAC, SB..=DONT, ..] => Probe::Yes,
            _ => Probe::No,
        }
    }

    fn new(_ctx: &FlowCtx) -> Self {
        Self::default()
    }

    fn feed(&mut self, side: Side, _ts: Timestamp, data: &[u8], out: &mut Out<'_>) -> Verdict {
        if self.done {
            return Verdict::Done;
        }
        out.count("messages");
        match side {
            Side::Server => self.server(data, out),
            Side::Client => self.client(data, out),
        }
        if self.done {
            Verdict::Done
        } else {
            Verdict::Continue
        }
    }

    fn gap(&mut self, _side: Side, _len: u32, out: &mut Out<'_>) -> Verdict {
        out.count("gap");
        self.done = true;
        Verdict::Done
    }

    fn end(&mut self, out: &mut Out<'_>) {
        self.finish_banner(out);
    }
}

impl Telnet {
    fn server(&mut self, data: &[u8], out: &mut Out<'_>) {
        let room = MAX_SERVER_BYTES.saturating_sub(self.server_bytes);
        let take = data.get(..room).unwrap_or(data);
        self.server_bytes += take.len();
        self.server_text(take, out);
        if self.server_bytes >= MAX_SERVER_BYTES {
            out.count("telnet_server_limit");
            // `end` is not called after `Done`: the banner goes out now.
            self.finish_banner(out);
            self.done = true;
        }
    }

    fn server_text(&mut self, data: &[u8], out: &mut Out<'_>) {
        for &b in data {
            let b = match self.decoders[Side::Server as usize].push(b) {
                Byte::Data(b) => b,
                Byte::Command => continue,
                Byte::Invalid => {
                    out.anomaly("telnet_invalid_command");
                    continue;
                }
            };
            if !self.banner_done {
                match b {
                    b'\r' | b'\n' if !self.banner.trim_ascii().is_empty() => {
                        self.finish_banner(out)
                    }
                    b'\r' | b'\n' => self.banner.clear(),
                    _ if self.banner.len() < MAX_BANNER => self.banner.push(b),
                    _ => {}
                }
            }
            match self.prompt.push(b) {
                Some(Prompt::User) => {
                    self.on_prompt(out);
                    self.login = Login::User { typed: false };
                }
                Some(Prompt::Password) => {
                    self.on_prompt(out);
                    let user = match self.login {
                        Login::User { typed } => typed,
                        Login::UserDone { user } => user,
                        Login::Idle | Login::Password { .. } => false,
                    };
                    self.login = Login::Password { user, typed: false };
                }
                None => {}
            }
        }
    }

    /// A prompt ends the banner: text after it may be the user's echo, never kept.
    fn on_prompt(&mut self, out: &mut Out<'_>) {
        if !self.prompted {
            self.prompted = true;
            // The prompt line itself is not a banner.
            self.banner.clear();
            self.finish_banner(out);
        }
    }

    fn finish_banner(&mut self, out: &mut Out<'_>) {
        if self.banner_done {
            return;
        }
        let text = self.banner.trim_ascii();
        if !text.is_empty() {
            match crate::ftp::banner::product(text) {
                Some(p) => out.software(Side::Server, p.name, p.version, text),
                None => out.fact(Side::Server, "telnet.banner", text),
            }
            if out.events_enabled() {
                let mut o = Map::new();
                o.insert("banner".into(), text_value(text));
                out.event(o);
            }
        }
        self.banner_done = true;
        self.banner = Vec::new();
    }

    fn client(&mut self, data: &[u8], out: &mut Out<'_>) {
        let room = MAX_CLIENT_BYTES.saturating_sub(self.client_bytes);
        let take = data.get(..room).unwrap_or(data);
        self.client_bytes += take.len();
        for &b in take {
            let b = match self.decoders[Side::Client as usize].push(b) {
                Byte::Data(b) => b,
                Byte::Command => continue,
                Byte::Invalid => {
                    out.anomaly("telnet_invalid_command");
                    continue;
                }
            };
            // RFC 854: a line ends with CR LF (or CR NUL); NUL is no keystroke.
            let eol = matches!(b, b'\r' | b'\n');
            if b == 0 {
                continue;
            }
            match &mut self.login {
                Login::User { typed } if eol => {
                    self.login = Login::UserDone { user: *typed };
                }
                Login::User { typed } => *typed = true,
                Login::Password { user, typed } if eol => {
                    let (user, typed) = (*user, *typed);
                    self.password_line(user, typed, out);
                    return;
                }
                Login::Password { typed, .. } => *typed = true,
                Login::Idle | Login::UserDone { .. } => {}
            }
        }
        if self.client_bytes >= MAX_CLIENT_BYTES {
            out.count("telnet_client_limit");
            self.done = true;
        }
    }

    /// The password line ended: report it, and stop.
    fn password_line(&mut self, user: bool, typed: bool, out: &mut Out<'_>) {
        if typed {
            out.exposure(
                ExposureKind::CleartextCredentials,
                Side::Client,
                "TELNET login",
                vec!["password".into()],
                Some(user),
            );
        }
        if out.events_enabled() {
            let mut o = Map::new();
            o.insert("command".into(), json!("login"));
            o.insert("user_present".into(), Value::Bool(user));
            o.insert("password_present".into(), Value::Bool(typed));
            o.insert("login".into(), json!("no_reply"));
            out.event(o);
        }
        self.finish_banner(out);
        self.done = true;
    }
}
