//! SNMP over UDP: v1 (RFC 1157), v2c (RFC 1901, PDUs of RFC 3416) and v3 (RFC 3412 message
//! header, RFC 3414 USM security parameters), read with a small bounded BER reader (`ber.rs`).
//!
//! What identifies a device is what an agent says about itself in responses and
//! notifications: sysDescr, sysObjectID (whose enterprise arc names the vendor) and sysName
//! (RFC 3418 `system` group), and in v3 its authoritative engine ID (RFC 3411 §5). The
//! community string (v1/v2c) is a cleartext password: it is never kept or emitted, only
//! reported as an exposure once per flow. The v3 user name is presence only; encrypted v3
//! PDUs are not decoded. sysLocation and sysContact are never read (a room or a person).
//!
//! # Facts
//! - `snmp.sys_descr`: sysDescr.0 (1.3.6.1.2.1.1.1.0) from a response or trap, about the
//!   sender (the agent); also reported as software (product = first word, version when the
//!   second word or the word after "Version" looks like one).
//! - `snmp.sys_object_id`: sysObjectID.0 (1.3.6.1.2.1.1.2.0) as a dotted OID, or the
//!   `enterprise` field of a v1 Trap-PDU when it is under 1.3.6.1.4.1 (RFC 1157 §4.1.6: the
//!   sender's sysObjectID).
//! - `snmp.enterprise`: the IANA enterprise number N, from a sysObjectID under
//!   1.3.6.1.4.1.N or from the first four octets of a v3 engine ID.
//! - `snmp.sys_name`: sysName.0 (1.3.6.1.2.1.1.5.0) from a response or trap: the agent's
//!   own name.
//! - `snmp.engine_id`: v3 msgAuthoritativeEngineID as lowercase hex, about the authoritative
//!   side (RFC 3414 §1.5.1: the receiver of a Confirmed-Class PDU, otherwise the sender; told
//!   by msgFlags' reportableFlag so it works for encrypted PDUs too).
//!
//! # Event
//! Object `snmp` (Suricata EVE's field names where EVE has them): `version` (1, 2 or 3),
//! `pdu_type` (`get_request`, `get_next_request`, `get_bulk_request`, `set_request`,
//! `response`, `trap_v1`, `trap_v2`, `inform_request`, `report`; absent when encrypted),
//! `vars` (varbind OIDs, at most 64), `community_present` (v1/v2c; EVE's `community` is never
//! logged), `usm_present` and `security_level` (v3; EVE's `usm` user name is never logged),
//! `encrypted` (v3 privFlag), `error` (error-status name when not noError), `trap_type`
//! (v1 traps: `trap_type`, `oid`, `address`).
//!
//! Counters: `messages`; anomalies named after the BER or SNMP problem (`snmp_ber_truncated`,
//! `snmp_ber_too_deep`, ...); `snmp_varbinds_dropped` when a PDU has more than 64 varbinds.

mod ber;
mod message;
#[cfg(test)]
mod tests;

use std::fmt::Write as _;
use std::net::Ipv4Addr;

use model::{ExposureKind, Side, Timestamp};
use serde_json::{Map, Value};

use crate::out::{Out, text_value};
use crate::parser::{AppParser, Datagrams, FlowCtx, Probe, Transports, Verdict};

use message::{Message, engine_enterprise, oid_enterprise, split_descr};

/// Datagrams read per flow; an agent names itself in the first few responses.
const MAX_DATAGRAMS: u32 = 64;

/// RFC 3411 §5: an engine ID is 5 to 32 octets.
const MAX_ENGINE_ID: usize = 32;

/// RFC 3418 `system` group objects read from responses and traps.
const SYS_DESCR: &str = "1.3.6.1.2.1.1.1.0";
const SYS_OBJECT_ID: &str = "1.3.6.1.2.1.1.2.0";
const SYS_NAME: &str = "1.3.6.1.2.1.1.5.0";

/// Per-flow state.
#[derive(Debug, Default)]
pub struct Snmp {
    datagrams: Datagrams,
    /// The community exposure was reported on this flow.
    exposed: bool,
}

impl AppParser for Snmp {
    const NAME: &'static str = "snmp";
    const TRANSPORTS: Transports = Transports::Udp;

    fn probe(first: &[u8], _side: Side, _ctx: &FlowCtx) -> Probe {
        if probe_message(first) {
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
        match message::parse(data) {
            Ok(m) => self.observe(side, &m, out),
            Err(reason) => out.anomaly(reason),
        }
        verdict
    }

    fn gap(&mut self, _side: Side, _len: u32, _out: &mut Out<'_>) -> Verdict {
        // Datagrams are independent: a lost one costs nothing.
        Verdict::Continue
    }

    fn end(&mut self, _out: &mut Out<'_>) {}
}

/// Strict content check: SEQUENCE (0x30) whose definite length covers the datagram, then
/// INTEGER version 0, 1 or 3 (RFC 1157 §4, RFC 3412 §6), then the community OCTET STRING
/// (v1/v2c) or the msgGlobalData SEQUENCE (v3).
fn probe_message(first: &[u8]) -> bool {
    let mut r = wire::cursor::Reader::new(first);
    if r.u8() != Ok(0x30) {
        return false;
    }
    let len = match r.u8() {
        Ok(n @ 0..=0x7f) => usize::from(n),
        Ok(n @ 0x81..=0x84) => match r.take(usize::from(n & 0x7f)) {
            Ok(b) => b.iter().fold(0usize, |a, &x| (a << 8) | usize::from(x)),
            Err(_) => return false,
        },
        _ => return false,
    };
    // Nothing after the message; a UDP payload is at most 65,507 bytes.
    if r.remaining() > len || len > 65_507 {
        return false;
    }
    matches!(
        r.take(4),
        Ok([0x02, 0x01, 0x00 | 0x01, 0x04] | [0x02, 0x01, 0x03, 0x30])
    )
}

impl Snmp {
    fn observe(&mut self, side: Side, m: &Message<'_>, out: &mut Out<'_>) {
        if m.trailing {
            out.anomaly("snmp_trailing_bytes");
        }
        // RFC 1157 §3.2.5 / RFC 1901 §3: the community is a cleartext shared secret. The
        // manager (the flow's client: the requester, or a trap's sender) sent it.
        if m.community_present && !self.exposed {
            self.exposed = true;
            let subject = if m.version == 0 {
                "SNMPv1 community"
            } else {
                "SNMPv2c community"
            };
            out.exposure(
                ExposureKind::CleartextCredentials,
                Side::Client,
                subject,
                vec!["community".into()],
                // A community is a shared secret, not a user name and a password.
                None,
            );
        }
        if let Some(v3) = &m.v3 {
            if v3.flags & 0x03 == 0x02 {
                // RFC 3412 §7.2 step 5d: privFlag without authFlag is invalid.
                out.anomaly("snmp_v3_priv_without_auth");
            }
            // RFC 3414 §1.5.1: the receiver of a Confirmed-Class PDU (reportableFlag set) is
            // authoritative, otherwise the sender.
            let agent = if v3.reportable() { side.other() } else { side };
            if v3.engine_id.len() > MAX_ENGINE_ID {
                out.anomaly("snmp_v3_engine_id_too_long");
            } else if !v3.engine_id.is_empty() {
                out.fact_text(agent, "snmp.engine_id", &hex(v3.engine_id));
                if let Some(n) = engine_enterprise(v3.engine_id) {
                    out.fact_text(agent, "snmp.enterprise", &n.to_string());
                }
            }
        }
        if let Some(pdu) = &m.pdu {
            if pdu.vars_dropped {
                out.count("snmp_varbinds_dropped");
            }
            if pdu.kind.carries_agent_values() {
                observe_agent_values(side, pdu, out);
            }
        }
        if out.events_enabled() {
            out.event(event(m));
        }
    }
}

/// Facts from a response or notification: what the agent (the sender) says about itself.
fn observe_agent_values(side: Side, pdu: &message::Pdu<'_>, out: &mut Out<'_>) {
    if let Some(trap) = &pdu.trap {
        // RFC 1157 §4.1.6: "enterprise" is the sysObjectID of the generating entity; but a
        // proxy translating v2 notifications puts snmpTraps (1.3.6.1.6.3.1.1.5, RFC 3584
        // §3.1) there, so only an OID under `enterprises` counts.
        if oid_enterprise(&trap.enterprise).is_some() {
            observe_object_id(side, &trap.enterprise, out);
        }
    }
    for vb in &pdu.vars {
        match (vb.oid.as_str(), vb.value.tag) {
            (SYS_DESCR, ber::tag::OCTET_STRING) => {
                let descr = vb.value.value;
                out.fact(side, "snmp.sys_descr", descr);
                let (product, version) = split_descr(descr);
                out.software(side, product, version, descr);
            }
            (SYS_OBJECT_ID, ber::tag::OID) => match ber::oid_text(vb.value.value) {
                Ok(oid) => observe_object_id(side, &oid, out),
                Err(reason) => out.anomaly(reason),
            },
            (SYS_NAME, ber::tag::OCTET_STRING) => out.fact(side, "snmp.sys_name", vb.value.value),
            _ => {}
        }
    }
}

fn observe_object_id(side: Side, oid: &str, out: &mut Out<'_>) {
    out.fact_text(side, "snmp.sys_object_id", oid);
    if let Some(n) = oid_enterprise(oid) {
        out.fact_text(side, "snmp.enterprise", n);
    }
}

fn event(m: &Message<'_>) -> Map<String, Value> {
    let mut o = Map::new();
    o.insert("version".into(), m.eve_version().into());
    if let Some(v3) = &m.v3 {
        o.insert("usm_present".into(), v3.user_present.into());
        o.insert("security_level".into(), v3.security_level().into());
        o.insert("encrypted".into(), (v3.flags & 0x02 != 0).into());
    } else {
        o.insert("community_present".into(), m.community_present.into());
    }
    if let Some(pdu) = &m.pdu {
        o.insert("pdu_type".into(), pdu.kind.name().into());
        // OIDs are rendered by us, but up to 128 arcs: cut to the wire-string limit too.
        let vars: Vec<Value> = pdu
            .vars
            .iter()
            .map(|v| text_value(v.oid.as_bytes()))
            .collect();
        o.insert("vars".into(), Value::Array(vars));
        if pdu.error_status != 0 {
            o.insert("error".into(), message::error_name(pdu.error_status).into());
        }
        if let Some(trap) = &pdu.trap {
            let mut t = Map::new();
            t.insert(
                "trap_type".into(),
                message::generic_trap_name(trap.generic).into(),
            );
            t.insert("oid".into(), text_value(trap.enterprise.as_bytes()));
            if let Some(a) = trap.agent_addr {
                t.insert("address".into(), Ipv4Addr::from(a).to_string().into());
            }
            o.insert("trap_type".into(), Value::Object(t));
        }
        if pdu.vars_dropped {
            o.insert("vars_truncated".into(), true.into());
        }
    }
    o
}

/// Lowercase hex, no separators.
fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}
