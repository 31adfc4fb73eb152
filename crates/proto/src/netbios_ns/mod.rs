//! NetBIOS Name Service over UDP 137 (RFC 1001 §15, RFC 1002 §4.2): name registration,
//! refresh, release, queries and node status (NBSTAT) responses.
//!
//! A Windows or Samba host broadcasts registrations of its own names at boot and on refresh:
//! its computer name (suffix 0x00 workstation, 0x20 file server) and its workgroup or
//! domain (group 0x00, 0x1B domain master browser, 0x1C domain controllers, 0x1D master
//! browser, 0x1E browser elections). A node status response lists every name of the
//! responder. Query targets are other machines' names: they go to events only. Names with
//! suffix 0x03 (the Messenger service) are often the logged-on user's name: they are never
//! kept, only counted (`netbios_ns_user_names_withheld`).
//!
//! # Facts
//! - `netbios.name`: a unique name with suffix 0x00 or 0x20 that the sender registers,
//!   refreshes or releases, or lists in a node status response: its computer name.
//! - `netbios.domain`: a group name with suffix 0x00, or a name with suffix 0x1B, 0x1C,
//!   0x1D or 0x1E, from the same messages: the sender's workgroup or domain.
//! - `netbios.unit_id`: the UNIT_ID of a node status response (the adapter's MAC on
//!   Windows; all zeros, not reported, on Samba).
//!
//! # Event
//! Object `netbios_ns`: `opcode` (`query`, `registration`, `release`, `wack`, `refresh`,
//! `multihomed_registration`), `response` (bool), `rcode`, `broadcast`, `names` (at most 64:
//! `name`, `suffix` as `0xNN`, `group`, `type` `NB`/`NBSTAT`, `section` `query`/`record`/
//! `node_status`).
//!
//! Anomalies: `netbios_ns_truncated`, `netbios_ns_bad_name`, `netbios_ns_pointer_loop`,
//! `netbios_ns_unknown_opcode`; `netbios_ns_items_dropped` counts packets with more than 64
//! questions or records.

mod packet;
#[cfg(test)]
mod tests;

use model::{MacAddr, Side, Timestamp};
use serde_json::{Map, Value};

use crate::out::{Out, text_value};
use crate::parser::{AppParser, Datagrams, FlowCtx, Probe, Transports, Verdict};

use packet::{NbName, Packet, TYPE_NBSTAT, decode_name, known_opcode, opcode_name};

/// Datagrams read per flow (137 ↔ 137 broadcast flows last all day).
const MAX_DATAGRAMS: u32 = 64;

/// RFC 1002 §4.2: the name service port.
const PORT: u16 = 137;

/// Per-flow state.
#[derive(Debug, Default)]
pub struct NetbiosNs {
    datagrams: Datagrams,
}

impl AppParser for NetbiosNs {
    const NAME: &'static str = "netbios_ns";
    const TRANSPORTS: Transports = Transports::Udp;

    fn probe(first: &[u8], _side: Side, ctx: &FlowCtx) -> Probe {
        // The header is DNS's (RFC 1002 §4.2.1.1), so content alone cannot tell NBNS from DNS,
        // mDNS or LLMNR: here the port is required, as well as a consistent header and a
        // first name that is a 32-octet first-level-encoded NetBIOS name.
        if ctx.has_port(PORT) && probe_packet(first) {
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
            Ok(p) => observe(side, &p, out),
            Err(reason) => out.anomaly(reason),
        }
        verdict
    }

    fn gap(&mut self, _side: Side, _len: u32, _out: &mut Out<'_>) -> Verdict {
        Verdict::Continue
    }

    fn end(&mut self, _out: &mut Out<'_>) {}
}

fn probe_packet(d: &[u8]) -> bool {
    let word = |i: usize| match (d.get(i), d.get(i + 1)) {
        (Some(&a), Some(&b)) => u16::from_be_bytes([a, b]),
        _ => u16::MAX,
    };
    let opcode = ((word(2) >> 11) & 0x0f) as u8;
    let (qd, an, ns, ar) = (word(4), word(6), word(8), word(10));
    known_opcode(opcode)
        && qd <= 4
        && an <= 4
        && ns <= 4
        && ar <= 4
        && qd + an >= 1
        && d.get(12) == Some(&0x20)
        && d.get(13..45).and_then(decode_name).is_some()
}

/// Classifies a name the sender claims as its own: the fact key, or None.
fn own_name_key(n: &NbName, group: bool, out: &mut Out<'_>) -> Option<&'static str> {
    if !n.is_plain() {
        return None;
    }
    match (n.suffix(), group) {
        (0x03, _) => {
            out.count("netbios_ns_user_names_withheld");
            None
        }
        (0x00, true) | (0x1b..=0x1e, _) => Some("netbios.domain"),
        (0x00 | 0x20, false) => Some("netbios.name"),
        _ => None,
    }
}

fn observe(side: Side, p: &Packet, out: &mut Out<'_>) {
    if !known_opcode(p.opcode) {
        out.anomaly("netbios_ns_unknown_opcode");
    }
    if p.dropped {
        out.count("netbios_ns_items_dropped");
    }
    // RFC 1002 §4.2.2–4.2.4, §4.2.9: registration, release and refresh requests name the
    // sender's own names; the additional record's NB_FLAGS carries the group bit.
    if !p.response && matches!(p.opcode, 5 | 6 | 8 | 9 | 15) {
        let group = p
            .records
            .iter()
            .find_map(|r| r.nb_flags)
            .is_some_and(|f| f & 0x8000 != 0);
        for q in &p.questions {
            if let Some(key) = own_name_key(&q.name, group, out) {
                out.fact(side, key, q.name.name());
            }
        }
    }
    // RFC 1002 §4.2.18 node status response: the responder's name table.
    if p.response {
        for r in p.records.iter().filter(|r| r.rtype == TYPE_NBSTAT) {
            for (n, flags) in &r.node_names {
                if let Some(key) = own_name_key(n, flags & 0x8000 != 0, out) {
                    out.fact(side, key, n.name());
                }
            }
            if let Some(mac) = r.unit_id.filter(|m| *m != [0; 6]) {
                out.fact_text(side, "netbios.unit_id", &MacAddr(mac).to_string());
            }
        }
    }
    if out.events_enabled() {
        out.event(event(p));
    }
}

fn event(p: &Packet) -> Map<String, Value> {
    let mut names = Vec::new();
    let mut push = |n: &NbName, group: Option<bool>, t: u16, section: &str| {
        // Messenger (0x03) names are often user names: never in events either.
        if names.len() >= packet::MAX_ITEMS || n.suffix() == 0x03 {
            return;
        }
        let mut o = Map::new();
        o.insert("name".into(), text_value(n.name()));
        o.insert("suffix".into(), format!("0x{:02x}", n.suffix()).into());
        if let Some(g) = group {
            o.insert("group".into(), g.into());
        }
        let kind = if t == TYPE_NBSTAT { "NBSTAT" } else { "NB" };
        o.insert("type".into(), kind.into());
        o.insert("section".into(), section.into());
        names.push(Value::Object(o));
    };
    for q in &p.questions {
        push(&q.name, None, q.qtype, "query");
    }
    for r in &p.records {
        push(
            &r.name,
            r.nb_flags.map(|f| f & 0x8000 != 0),
            r.rtype,
            "record",
        );
        for (n, f) in &r.node_names {
            push(n, Some(f & 0x8000 != 0), TYPE_NBSTAT, "node_status");
        }
    }
    let mut o = Map::new();
    o.insert("opcode".into(), opcode_name(p.opcode).into());
    o.insert("response".into(), p.response.into());
    o.insert("rcode".into(), p.rcode.into());
    o.insert("broadcast".into(), p.broadcast.into());
    o.insert("names".into(), Value::Array(names));
    o
}
