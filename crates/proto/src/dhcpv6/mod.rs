//! DHCPv6 over UDP 546/547 (RFC 8415), with RFC 4704 Client FQDN and RFC 6355 DUID-UUID.
//!
//! A client names itself in every Solicit, Request, Renew...: its DUID (often carrying its
//! MAC), its host name (Client FQDN), its vendor class, and the list of options it asks for
//! (the Option Request Option: its order is an OS fingerprint). A server names itself with
//! its own DUID (Server Identifier). Relay messages are unwrapped through option 9 (at most
//! 4 levels); a Relay-Forw's sender is the relay agent, not the client, so what the relayed
//! message says goes to events only.
//!
//! # Facts
//! About the sender of a client message (Solicit, Request, Confirm, Renew, Rebind, Release,
//! Decline, Information-Request) or of a server message (Advertise, Reply, Reconfigure, and
//! those inside a Relay-Repl):
//! - `dhcpv6.duid`: the sender's DUID as lowercase hex (option 1 Client Identifier in client
//!   messages, option 2 Server Identifier in server messages).
//! - `dhcpv6.duid_type`: `llt`, `en`, `ll`, `uuid` (or the type number).
//! - `dhcpv6.duid_mac`: the MAC inside a DUID-LLT or DUID-LL over Ethernet.
//! - `dhcpv6.enterprise`: the enterprise number of a DUID-EN.
//! - `dhcpv6.vendor_class`: option 16's vendor-class-data strings, comma-joined
//!   (`MSFT 5.0`).
//! - `dhcpv6.vendor_enterprise`: the enterprise number of option 16 or 17.
//! - `dhcpv6.fqdn`: option 39's domain name (client messages only: in a server's reply it is
//!   the client's name, not the server's).
//! - `dhcpv6.oro`: option 6's requested option codes in order, `23,24,39` (client messages).
//!
//! # Event
//! Object `dhcpv6` (Suricata EVE's `dhcp` object is DHCPv4): `msg_type` (the innermost
//! message: `solicit`, `advertise`, ...), `relay_hops` (when relayed), `duid` (the DUID of
//! the message's author as above), `fqdn`, `vendor_class`, `oro` (array of codes).
//!
//! Anomalies: `dhcpv6_truncated`, `dhcpv6_option_truncated`, `dhcpv6_unknown_msg_type`,
//! `dhcpv6_relay_too_deep`, `dhcpv6_relay_without_message`, `dhcpv6_bad_duid`,
//! `dhcpv6_duid_too_long`, `dhcpv6_bad_oro`, `dhcpv6_bad_fqdn`, `dhcpv6_bad_vendor_class`,
//! `dhcpv6_bad_vendor_opts`; `dhcpv6_items_dropped` counts messages with more than 64
//! options or list items.

mod message;
#[cfg(test)]
mod tests;

use std::fmt::Write as _;

use model::{MacAddr, Side, Timestamp};
use serde_json::{Map, Value};

use crate::out::{Out, text_value};
use crate::parser::{AppParser, Datagrams, FlowCtx, Probe, Transports, Verdict};

use message::{Duid, MAX_DUID, Message, is_client_msg, is_server_msg, msg_name};

/// Datagrams read per flow.
const MAX_DATAGRAMS: u32 = 64;

/// RFC 8415 §7.2: clients listen on 546, servers and relays on 547.
const PORTS: [u16; 2] = [546, 547];

/// Per-flow state.
#[derive(Debug, Default)]
pub struct Dhcpv6 {
    datagrams: Datagrams,
}

impl AppParser for Dhcpv6 {
    const NAME: &'static str = "dhcpv6";
    const TRANSPORTS: Transports = Transports::Udp;

    fn probe(first: &[u8], _side: Side, ctx: &FlowCtx) -> Probe {
        // Message type 1–13 and options that parse cleanly to the end; on the DHCPv6 ports
        // that is enough, off them the option naming the sender must be there too.
        match message::probe(first) {
            Some(has_id) if has_id || PORTS.iter().any(|&p| ctx.has_port(p)) => Probe::Yes,
            _ => Probe::No,
        }
    }

    fn new(_ctx: &FlowCtx) -> Self {
        Self::default()
    }

    fn feed(&mut self, side: Side, _ts: Timestamp, data: &[u8], out: &mut Out<'_>) -> Verdict {
        let verdict = self.datagrams.count(MAX_DATAGRAMS, out);
        match message::parse(data) {
            Ok(m) => observe(side, &m, out),
            Err(reason) => out.anomaly(reason),
        }
        verdict
    }

    fn gap(&mut self, _side: Side, _len: u32, _out: &mut Out<'_>) -> Verdict {
        Verdict::Continue
    }

    fn end(&mut self, _out: &mut Out<'_>) {}
}

/// The DUID of the message's author: the client's in client messages, the server's in
/// server messages.
fn author_duid<'a>(m: &Message<'a>) -> Option<&'a [u8]> {
    if is_client_msg(m.msg_type) {
        m.client_id
    } else if is_server_msg(m.msg_type) {
        m.server_id
    } else {
        None
    }
}

fn observe(side: Side, m: &Message<'_>, out: &mut Out<'_>) {
    if m.dropped {
        out.count("dhcpv6_items_dropped");
    }
    let duid = author_duid(m).filter(|d| {
        let ok = d.len() <= MAX_DUID;
        if !ok {
            out.anomaly("dhcpv6_duid_too_long");
        }
        ok
    });
    let parsed = duid
        .map(message::duid)
        .transpose()
        .unwrap_or_else(|reason| {
            out.anomaly(reason);
            None
        });
    let vendor_class = m
        .vendor_class
        .as_ref()
        .map(|(_, items)| items.join(&b","[..]));
    let fqdn = m.fqdn.as_deref().filter(|_| is_client_msg(m.msg_type));
    let oro = (is_client_msg(m.msg_type) && !m.oro.is_empty()).then(|| {
        m.oro
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(",")
    });
    // A Relay-Forw was sent by a relay agent: what it carries is about someone else.
    if !m.relay_forw {
        if let (Some(raw), Some(d)) = (duid, parsed) {
            out.fact_text(side, "dhcpv6.duid", &hex(raw));
            out.fact_text(side, "dhcpv6.duid_type", &d.type_name());
            if let Some(mac) = d.mac() {
                out.fact_text(side, "dhcpv6.duid_mac", &MacAddr(mac).to_string());
            }
            if let Duid::En { enterprise } = d {
                out.fact_text(side, "dhcpv6.enterprise", &enterprise.to_string());
            }
        }
        if let Some(vc) = &vendor_class {
            out.fact(side, "dhcpv6.vendor_class", vc);
        }
        for e in [m.vendor_class.as_ref().map(|(e, _)| *e), m.vendor_opts]
            .into_iter()
            .flatten()
        {
            out.fact_text(side, "dhcpv6.vendor_enterprise", &e.to_string());
        }
        if let Some(name) = fqdn {
            out.fact(side, "dhcpv6.fqdn", name);
        }
        if let Some(oro) = &oro {
            out.fact_text(side, "dhcpv6.oro", oro);
        }
    }
    if out.events_enabled() {
        let mut o = Map::new();
        o.insert("msg_type".into(), msg_name(m.msg_type).into());
        if m.relay_hops > 0 {
            o.insert("relay_hops".into(), m.relay_hops.into());
        }
        if let Some(raw) = duid {
            o.insert("duid".into(), hex(raw).into());
        }
        if let Some(name) = fqdn {
            o.insert("fqdn".into(), text_value(name));
        }
        if let Some(vc) = &vendor_class {
            o.insert("vendor_class".into(), text_value(vc));
        }
        if !m.oro.is_empty() {
            let codes = m.oro.iter().map(|&c| Value::from(c)).collect();
            o.insert("oro".into(), Value::Array(codes));
        }
        out.event(o);
    }
}

/// Lowercase hex, no separators.
fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}
