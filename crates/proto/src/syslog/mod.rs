//! Syslog: the BSD format (RFC 3164) and the IETF format (RFC 5424), over UDP (RFC 5426: one
//! message per datagram, port 514) and over TCP with RFC 6587 framing (octet counting
//! `123 <34>...` or LF-delimited).
//!
//! A device that logs names itself in every message header: its HOSTNAME and the APP-NAME
//! (or TAG) of the program logging. The MSG part is never read or kept: it can carry
//! anything, patient names included. A relay may forward a message unchanged (RFC 3164
//! §4.3), so the HOSTNAME can be the originator's rather than the sender's.
//!
//! # Facts
//! - `syslog.hostname`: HOSTNAME from the header, about the sender (not `-`, not
//!   `localhost`).
//! - `syslog.app_name`: RFC 5424 APP-NAME or RFC 3164 TAG (`sshd`, `kernel`, ...).
//!
//! # Event
//! Object `syslog`: `format` (`rfc3164` / `rfc5424`), `facility` and `severity` (RFC 5424
//! §6.2.1 keywords, e.g. `local0`, `notice`), `hostname`, `app_name`, `procid_present`.
//! Never the message text.
//!
//! Counters: `messages`; anomalies `syslog_bad_pri`, `syslog_rfc5424_short_header`,
//! `syslog_rfc5424_bad_field`, `syslog_bad_framing` (TCP); `syslog_message_too_long` when a
//! TCP message exceeds 64 KiB.

mod message;
#[cfg(test)]
mod tests;

use model::{Side, Timestamp};
use serde_json::Map;

use crate::buffer::{Fed, StreamBuf};
use crate::out::{Out, text_value};
use crate::parser::{AppParser, FlowCtx, Probe, Transports, Verdict};

use message::{Header, facility_name, frame, octet_count, pri, severity_name, unframe};

/// Messages read per flow before the parser is done.
const MAX_MESSAGES: u32 = 256;

/// RFC 5426 §3.3 (UDP) and RFC 3195/6587 practice (TCP 514, 601).
const PORTS: [u16; 2] = [514, 601];

/// Per-flow state.
#[derive(Debug)]
pub struct Syslog {
    tcp: bool,
    bufs: [StreamBuf; 2],
    messages: u32,
}

impl AppParser for Syslog {
    const NAME: &'static str = "syslog";
    const TRANSPORTS: Transports = Transports::Both;

    fn probe(first: &[u8], _side: Side, ctx: &FlowCtx) -> Probe {
        let on_port = PORTS.iter().any(|&p| ctx.has_port(p));
        let mut msg = first;
        if ctx.is_tcp() && first.first().is_some_and(u8::is_ascii_digit) {
            // RFC 6587 §3.4.1 octet counting: `MSG-LEN SP` before the message.
            match octet_count(first) {
                Some((0, 0)) => return Probe::NeedMore,
                Some((_, skip)) => msg = first.get(skip..).unwrap_or_default(),
                None => return Probe::No,
            }
        }
        match pri(msg) {
            Err(true) => Probe::NeedMore,
            Err(false) => Probe::No,
            Ok(_) if on_port => Probe::Yes,
            // Off the syslog ports the header must also start like one (RFC 5424 VERSION 1,
            // or an RFC 3164 / RFC 3339 timestamp).
            Ok((_, rest)) => probe_header(rest),
        }
    }

    fn new(ctx: &FlowCtx) -> Self {
        Self {
            tcp: ctx.is_tcp(),
            bufs: Default::default(),
            messages: 0,
        }
    }

    fn feed(&mut self, side: Side, _ts: Timestamp, data: &[u8], out: &mut Out<'_>) -> Verdict {
        if !self.tcp {
            // RFC 5426 §3.1: one message per datagram; trailing LF or NUL are not part of it.
            let msg = data.strip_suffix(b"\n").unwrap_or(data);
            let msg = msg.strip_suffix(b"\r").unwrap_or(msg);
            let msg = msg.strip_suffix(b"\0").unwrap_or(msg);
            self.message(side, msg, out);
            return self.verdict();
        }
        let mut seen = 0u32;
        let room = MAX_MESSAGES.saturating_sub(self.messages);
        let fed = self.bufs[side as usize].feed(data, message::MAX_MESSAGE, frame, |m| {
            if seen < room {
                seen += 1;
                handle(side, unframe(m), out);
            }
        });
        self.messages += seen;
        match fed {
            Fed::Ok => self.verdict(),
            Fed::Oversize => {
                out.count("syslog_message_too_long");
                self.verdict()
            }
            Fed::Invalid => {
                out.anomaly("syslog_bad_framing");
                Verdict::Done
            }
        }
    }

    fn gap(&mut self, _side: Side, _len: u32, _out: &mut Out<'_>) -> Verdict {
        if self.tcp {
            // Octet counting cannot be resynchronised after lost bytes.
            Verdict::Done
        } else {
            Verdict::Continue
        }
    }

    fn end(&mut self, _out: &mut Out<'_>) {}
}

impl Syslog {
    fn message(&mut self, side: Side, msg: &[u8], out: &mut Out<'_>) {
        self.messages += 1;
        handle(side, msg, out);
    }

    fn verdict(&self) -> Verdict {
        if self.messages >= MAX_MESSAGES {
            Verdict::Done
        } else {
            Verdict::Continue
        }
    }
}

/// The bytes after `<PRI>` start like a syslog header; `NeedMore` while too short to tell.
fn probe_header(rest: &[u8]) -> Probe {
    if rest.len() < 16 {
        return Probe::NeedMore;
    }
    let rfc5424 = rest.starts_with(b"1 ");
    let parsed = message::starts_with_timestamp(rest);
    if rfc5424 || parsed {
        Probe::Yes
    } else {
        Probe::No
    }
}

fn handle(side: Side, msg: &[u8], out: &mut Out<'_>) {
    out.count("messages");
    match message::parse(msg) {
        Ok(h) => observe(side, &h, out),
        Err(reason) => out.anomaly(reason),
    }
}

fn observe(side: Side, h: &Header<'_>, out: &mut Out<'_>) {
    let hostname = h.hostname.filter(|n| {
        !n.eq_ignore_ascii_case(b"localhost") && !n.eq_ignore_ascii_case(b"localhost.localdomain")
    });
    if let Some(name) = hostname {
        out.fact(side, "syslog.hostname", name);
    }
    if let Some(app) = h.app_name {
        out.fact(side, "syslog.app_name", app);
    }
    if out.events_enabled() {
        let mut o = Map::new();
        o.insert("format".into(), h.format.name().into());
        o.insert("facility".into(), facility_name(h.facility).into());
        o.insert("severity".into(), severity_name(h.severity).into());
        if let Some(name) = h.hostname {
            o.insert("hostname".into(), text_value(name));
        }
        if let Some(app) = h.app_name {
            o.insert("app_name".into(), text_value(app));
        }
        o.insert("procid_present".into(), h.procid_present.into());
        out.event(o);
    }
}
