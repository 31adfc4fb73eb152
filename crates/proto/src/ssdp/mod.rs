//! SSDP (UPnP Device Architecture 2.0 §1): HTTP-syntax messages over UDP, usually to
//! 239.255.255.250:1900 — NOTIFY advertisements (§1.2), M-SEARCH searches (§1.3.2) and their
//! unicast `HTTP/1.1 200 OK` responses (§1.3.3). Devices name their OS, UPnP stack and
//! description URL; searchers name their user agent. Heads are read with the HTTP parser's
//! `httparse` wrapper (`crate::http::message`).
//!
//! # Facts
//!
//! All about the sender of the datagram:
//!
//! - `ssdp.server`: the SERVER field (§1.2.2 `OS/version UPnP/2.0 product/version`); its OS
//!   and product parts are also reported as software.
//! - `ssdp.usn`: the `uuid:device-UUID` part of the USN (§1.1.4), without the type suffix.
//! - `ssdp.nt`: the notification type of a NOTIFY (§1.2.2).
//! - `ssdp.st`: the search target of an M-SEARCH or a response (§1.3.2, §1.3.3).
//! - `ssdp.location`: the LOCATION URL of the device description (no query, no userinfo).
//! - `ssdp.user_agent`: the USER-AGENT of an M-SEARCH (§1.3.2); also software.
//!
//! # Event
//!
//! One `ssdp` event per datagram: `method` (`NOTIFY`, `M-SEARCH` or `response`), `status`
//! (responses), `nt`, `nts`, `st`, `usn`, `server`, `location`, `user_agent` — each only when
//! present.
//!
//! # Counters and anomalies
//!
//! `messages`; anomalies `ssdp_invalid_head`, `ssdp_head_too_long`, `ssdp_truncated`,
//! `ssdp_unterminated_head` (no final empty line: read anyway), `ssdp_unknown_start_line`,
//! `ssdp_too_many_headers`.

mod message;
#[cfg(test)]
mod tests;

use model::{Side, Timestamp};
use serde_json::{Map, Value};

use crate::http::message::clean_target;
use crate::out::{Out, text_value};
use crate::parser::{AppParser, Datagrams, FlowCtx, Probe, Transports, Verdict};

use message::{Message, Method};

/// Datagrams read per flow: a multicast flow repeats the same few advertisements every
/// `max-age`; 256 covers every distinct one a device sends (UDA 2.0 §1.2.2: root device,
/// each embedded device and each service, three to five per device).
const MAX_DATAGRAMS: u32 = 256;

/// Bytes of a response looked at by the probe for its ST/USN fields.
const PROBE_SCAN: usize = 2048;

/// Per-flow state.
#[derive(Debug, Default)]
pub struct Ssdp {
    datagrams: Datagrams,
}

impl AppParser for Ssdp {
    const NAME: &'static str = "ssdp";
    const TRANSPORTS: Transports = Transports::Udp;

    fn probe(first: &[u8], _side: Side, ctx: &FlowCtx) -> Probe {
        // UDA 2.0 §1.2.2 and §1.3.2 start lines.
        if first.starts_with(b"NOTIFY * HTTP/1.1") || first.starts_with(b"M-SEARCH * HTTP/1.1") {
            return Probe::Yes;
        }
        // §1.3.3: a search response is an HTTP 200 with ST and USN fields; with only one of
        // them, port 1900 breaks the tie.
        if first.starts_with(b"HTTP/1.1 200") {
            let (st, usn) = has_st_usn(first);
            if (st && usn) || ((st || usn) && ctx.has_port(1900)) {
                return Probe::Yes;
            }
        }
        Probe::No
    }

    fn new(_ctx: &FlowCtx) -> Self {
        Self::default()
    }

    fn feed(&mut self, side: Side, _ts: Timestamp, data: &[u8], out: &mut Out<'_>) -> Verdict {
        let verdict = self.datagrams.count(MAX_DATAGRAMS, out);
        if let Err(e) = message::parse(data, |m| report(m, side, out)) {
            out.anomaly(e.as_str());
        }
        verdict
    }

    fn gap(&mut self, _side: Side, _len: u32, _out: &mut Out<'_>) -> Verdict {
        // Datagrams are whole: a lost one loses nothing of the next.
        Verdict::Continue
    }

    fn end(&mut self, _out: &mut Out<'_>) {}
}

/// Whether the first lines of a response carry ST and USN fields.
fn has_st_usn(first: &[u8]) -> (bool, bool) {
    let scan = first.get(..first.len().min(PROBE_SCAN)).unwrap_or_default();
    let mut st = false;
    let mut usn = false;
    for line in scan.split(|&b| b == b'\n').skip(1) {
        let name = line.split(|&b| b == b':').next().unwrap_or_default();
        if line.len() == name.len() {
            continue; // no colon
        }
        let name = wire::text::trim_ascii(name);
        st |= name.eq_ignore_ascii_case(b"st");
        usn |= name.eq_ignore_ascii_case(b"usn");
    }
    (st, usn)
}

/// Facts, software and the event of one message sent by `side`.
fn report(m: &Message<'_>, side: Side, out: &mut Out<'_>) {
    if m.unterminated {
        out.anomaly("ssdp_unterminated_head");
    }
    if m.dropped > 0 {
        out.anomaly("ssdp_too_many_headers");
    }
    if let Some(server) = m.server {
        out.fact(side, "ssdp.server", server);
        products(server, side, out);
    }
    if let Some(usn) = m.usn {
        out.fact(side, "ssdp.usn", message::usn_uuid(usn));
    }
    if let Some(nt) = m.nt {
        out.fact(side, "ssdp.nt", nt);
    }
    if let Some(st) = m.st {
        out.fact(side, "ssdp.st", st);
    }
    let location = m.location.map(clean_target);
    if let Some(l) = &location {
        out.fact_text(side, "ssdp.location", l);
    }
    if let Some(ua) = m.user_agent {
        out.fact(side, "ssdp.user_agent", ua);
        products(ua, side, out);
    }
    if !out.events_enabled() {
        return;
    }
    let mut e = Map::new();
    e.insert("method".into(), Value::from(m.method.as_str()));
    if let Method::Response(code) = m.method {
        e.insert("status".into(), Value::from(code));
    }
    let fields = [
        ("nt", m.nt),
        ("nts", m.nts),
        ("st", m.st),
        ("usn", m.usn),
        ("server", m.server),
        ("user_agent", m.user_agent),
    ];
    for (key, value) in fields {
        if let Some(v) = value {
            e.insert(key.into(), text_value(v));
        }
    }
    if let Some(l) = location {
        e.insert("location".into(), Value::String(l));
    }
    out.event(e);
}

/// The OS and the product of a SERVER or USER-AGENT value, as software (each with its own
/// part as the raw string, so both survive the repeat filter).
fn products(value: &[u8], side: Side, out: &mut Out<'_>) {
    let (os, product) = message::server_parts(value);
    for p in [os, product].into_iter().flatten() {
        out.software(side, p.name, p.version, p.raw);
    }
}
