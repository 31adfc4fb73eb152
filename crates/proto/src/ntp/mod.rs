//! NTP over UDP (RFC 5905 §7.3 packet header; RFC 9327 mode 6 control messages; ntpd's
//! mode 7 private requests).
//!
//! A time server says what it is in every reply: its stratum and reference ID (a clock
//! source such as "GPS" at stratum 1, else its upstream's address). Mode 6 and mode 7 queries
//! are how NTP amplification and reconnaissance work, so each is an anomaly; a mode 6
//! read-variables response names the daemon's version and operating system.
//!
//! # Facts
//! - `ntp.version`: the NTP version (1–4) the sender speaks.
//! - `ntp.mode`: the sender's association mode (`client`, `server`, `broadcast`,
//!   `symmetric_active`, `symmetric_passive`).
//! - `ntp.stratum`: a time source's stratum (1–16; from server, broadcast and symmetric
//!   packets, about the sender).
//! - `ntp.reference_id`: a stratum-1 server's clock source, four ASCII characters
//!   (`GPS`, `PPS`, `ATOM`...; RFC 5905 §7.3).
//! - `ntp.reference_ip`: a stratum ≥ 2 server's upstream server, IPv4 dotted. Not emitted
//!   when the sender speaks IPv6 (then the reference ID is a hash of an IPv6 address).
//! - `ntp.system`: the `system` variable of a mode 6 read-variables response (e.g.
//!   `Linux/4.4.79`); the `version` variable becomes software (`ntpd`, `4.2.8p10`).
//!
//! # Event
//! Object `ntp`: `version`, `mode` (name), and for modes 1–5 `stratum`, `reference_id` (text:
//! kiss code or clock source at stratum 0/1, IPv4 dotted otherwise), `poll`, `precision`;
//! for mode 6 `opcode`, `response`, `error`; for mode 7 `request_code`, `implementation`,
//! `response`.
//!
//! Anomalies: `ntp_mode6_query`, `ntp_mode7_query`, `ntp_mode7_monlist` (request code 42 or
//! 20, MON_GETLIST), `ntp_kiss_of_death` (stratum 0 from a server, RFC 5905 §7.4), and
//! malformed reasons (`ntp_truncated`, `ntp_bad_version`, ...).

mod packet;
#[cfg(test)]
mod tests;

use std::net::{IpAddr, Ipv4Addr};

use model::{Side, Timestamp};
use serde_json::Map;

use crate::out::{Out, text_value};
use crate::parser::{AppParser, Datagrams, FlowCtx, Probe, Transports, Verdict};

use packet::{Control, HEADER_LEN, Header, Packet, Private, control_var, mode_name};

/// Datagrams read per flow (a client polls the same server for hours; the first few say it
/// all).
const MAX_DATAGRAMS: u32 = 64;

/// The NTP port (RFC 5905 §7.2).
const PORT: u16 = 123;

/// Per-flow state.
#[derive(Debug, Default)]
pub struct Ntp {
    datagrams: Datagrams,
}

impl AppParser for Ntp {
    const NAME: &'static str = "ntp";
    const TRANSPORTS: Transports = Transports::Udp;

    fn probe(first: &[u8], _side: Side, ctx: &FlowCtx) -> Probe {
        if probe_packet(first, ctx.has_port(PORT)) {
            Probe::Yes
        } else {
            Probe::No
        }
    }

    fn new(_ctx: &FlowCtx) -> Self {
        Self::default()
    }

    fn feed(&mut self, side: Side, _ts: Timestamp, data: &[u8], out: &mut Out<'_>) -> Verdict {
        let verdict = self.datagrams.count(MAX_DATAGRAMS, out);
        match packet::parse(data) {
            Ok(Packet::Time(h)) => time(side, &h, out),
            Ok(Packet::Control(c)) => control(side, &c, out),
            Ok(Packet::Private(p)) => private(&p, out),
            Err(reason) => out.anomaly(reason),
        }
        verdict
    }

    fn gap(&mut self, _side: Side, _len: u32, _out: &mut Out<'_>) -> Verdict {
        Verdict::Continue
    }

    fn end(&mut self, _out: &mut Out<'_>) {}
}

/// Content check. The 48-octet header has little structure, so the port breaks ties: on
/// port 123 VN 1–4, mode 1–5 and stratum ≤ 16 are enough (modes 6 and 7 only there); off it
/// the header must also look like a real one (VN 3–4, poll 0–17, precision −32–0, length 48
/// plus whole 32-bit words of extension fields or MAC).
fn probe_packet(first: &[u8], on_port: bool) -> bool {
    let Some(&b0) = first.first() else {
        return false;
    };
    let (version, mode) = packet::version_mode(b0);
    if !(1..=4).contains(&version) {
        return false;
    }
    let byte = |i: usize| first.get(i).copied().unwrap_or(0);
    match mode {
        1..=5 if first.len() >= HEADER_LEN && byte(1) <= 16 => {
            on_port
                || (version >= 3
                    && (0..=17).contains(&(byte(2) as i8))
                    && (-32..=0).contains(&(byte(3) as i8))
                    && (first.len() - HEADER_LEN).is_multiple_of(4)
                    && first.len() <= 1024)
        }
        // RFC 9327 §2: 12-octet header, then `count` data octets.
        6 if on_port => {
            let count = usize::from(u16::from_be_bytes([byte(10), byte(11)]));
            first.len() >= packet::CONTROL_HEADER_LEN
                && count <= packet::MAX_CONTROL_DATA
                && packet::CONTROL_HEADER_LEN + count <= first.len()
        }
        7 if on_port => first.len() >= packet::PRIVATE_HEADER_LEN,
        _ => false,
    }
}

/// Modes 1–5 (RFC 5905 §7.3).
fn time(side: Side, h: &Header, out: &mut Out<'_>) {
    out.fact_text(side, "ntp.version", &h.version.to_string());
    out.fact_text(side, "ntp.mode", mode_name(h.mode));
    // Server, broadcast and symmetric packets describe a time source: the sender.
    let source = matches!(h.mode, 1 | 2 | 4 | 5);
    if source && h.stratum == 0 {
        // RFC 5905 §7.4: stratum 0 with a four-character kiss code (RATE, DENY, ...).
        out.anomaly("ntp_kiss_of_death");
    }
    if source && (1..=16).contains(&h.stratum) {
        out.fact_text(side, "ntp.stratum", &h.stratum.to_string());
        if h.stratum == 1 {
            // RFC 5905 §7.3: "a four-octet, left-justified, zero-padded ASCII string".
            if is_ascii_refid(&h.reference_id) {
                out.fact(side, "ntp.reference_id", &h.reference_id);
            }
        } else if h.stratum < 16 && h.reference_id != [0; 4] && !sender_is_ipv6(side, out) {
            let ip = Ipv4Addr::from(h.reference_id).to_string();
            out.fact_text(side, "ntp.reference_ip", &ip);
        }
    }
    if out.events_enabled() {
        let mut o = Map::new();
        o.insert("version".into(), h.version.into());
        o.insert("mode".into(), mode_name(h.mode).into());
        o.insert("stratum".into(), h.stratum.into());
        let refid = if h.stratum <= 1 {
            text_value(&h.reference_id)
        } else {
            Ipv4Addr::from(h.reference_id).to_string().into()
        };
        o.insert("reference_id".into(), refid);
        o.insert("poll".into(), h.poll.into());
        o.insert("precision".into(), h.precision.into());
        out.event(o);
    }
}

/// Mode 6 (RFC 9327).
fn control(side: Side, c: &Control<'_>, out: &mut Out<'_>) {
    if c.response {
        // Opcode 2 READVAR: `version="ntpd 4.2.8p10@1.3728-o ..."`, `system="Linux/..."`.
        if c.opcode == 2 {
            if let Some(v) = control_var(c.data, b"version") {
                let mut words = v.split(|b| *b == b' ');
                let product = words.next().unwrap_or_default();
                let version = words
                    .next()
                    .and_then(|w| w.split(|b| *b == b'@').next())
                    .filter(|w| w.first().is_some_and(u8::is_ascii_digit));
                out.software(side, product, version, v);
            }
            if let Some(s) = control_var(c.data, b"system") {
                out.fact(side, "ntp.system", s);
            }
        }
    } else {
        out.anomaly("ntp_mode6_query");
    }
    if out.events_enabled() {
        let mut o = Map::new();
        o.insert("version".into(), c.version.into());
        o.insert("mode".into(), "control".into());
        o.insert("opcode".into(), c.opcode.into());
        o.insert("response".into(), c.response.into());
        o.insert("error".into(), c.error.into());
        out.event(o);
    }
}

/// Mode 7 (ntpd private).
fn private(p: &Private, out: &mut Out<'_>) {
    if !p.response {
        out.anomaly("ntp_mode7_query");
        // REQ_MON_GETLIST (20) and REQ_MON_GETLIST_1 (42): "monlist" (CVE-2013-5211).
        if matches!(p.request, 20 | 42) {
            out.anomaly("ntp_mode7_monlist");
        }
    }
    if out.events_enabled() {
        let mut o = Map::new();
        o.insert("version".into(), p.version.into());
        o.insert("mode".into(), "private".into());
        o.insert("request_code".into(), p.request.into());
        o.insert("implementation".into(), p.implementation.into());
        o.insert("response".into(), p.response.into());
        out.event(o);
    }
}

/// Printable ASCII, left-justified, zero-padded, not empty.
fn is_ascii_refid(id: &[u8; 4]) -> bool {
    let text = wire::text::trim_nuls(id);
    !text.is_empty() && text.iter().all(|b| b.is_ascii_graphic() || *b == b' ')
}

fn sender_is_ipv6(side: Side, out: &Out<'_>) -> bool {
    let flow = out.flow();
    let ep = match side {
        Side::Client => &flow.client,
        Side::Server => &flow.server,
    };
    matches!(ep.ip, Some(IpAddr::V6(_)))
}
