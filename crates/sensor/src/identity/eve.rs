//! EVE events for the packet-level identity protocols: `dhcp` and `dns` (also `mdns` and
//! `llmnr`, which share DNS's wire format), with the field names of Suricata's EVE output so
//! SIEM parsers written for Suricata read them unchanged. Built only when `--events` asked for
//! them; one event per message (DHCP) or per question and per response (DNS), whatever the
//! identity decoders' de-duplication did with the observations.
//!
//! Nothing here carries a secret or a patient value: DNS TXT and unknown record data are not
//! written (only the record type), DHCP options other than the ones below are not written.

use std::net::{IpAddr, Ipv4Addr};

use model::{Endpoint, FlowRef, NameSource, Transport};
use serde_json::{Map, Value};
use wire::dhcpv4::OptionCode;
use wire::dns::{Rcode, Rdata, RecordType};

use crate::pipeline::Net;

/// DNS answers written per response (CONVENTIONS §6 list limit).
const MAX_ANSWERS: usize = 64;
/// Addresses written per DHCP address-list option (routers, DNS servers).
const MAX_ADDRESSES: usize = 16;

/// The packet's own direction: EVE writes a response from the server (`src_ip`) to the client.
pub(crate) fn packet_flow(net: &Net<'_>, flow_id: u64, sport: u16, dport: u16) -> FlowRef {
    FlowRef {
        id: flow_id,
        transport: Transport::UDP,
        vlan: net.vlan(),
        client: net.source(sport),
        server: Endpoint {
            mac: None,
            ip: Some(net.dst.ip()),
            port: dport,
        },
    }
}

/// EVE `dhcp` (Suricata's extended DHCP logger): `type` (`request`/`reply`), `id` (xid),
/// `client_mac`, `assigned_ip`, `client_ip`, `relay_ip` and `next_server_ip` (replies),
/// `dhcp_type`, `client_id`, `hostname`, `requested_ip`, `params`, `lease_time`,
/// `renewal_time`, `rebinding_time`, `subnet_mask`, `routers`, `dns_servers`, and
/// `vendor_class_identifier`. `params` lists option 55 in the client's order, by EVE's names
/// where EVE names the option (`subnet_mask`, `router`, `dns_server`, `domain`, `ntp_server`…)
/// and as the code in text for the rest (EVE leaves those out; the order is a fingerprint).
pub(crate) fn dhcp(packet: &wire::dhcpv4::Packet<&[u8]>) -> Map<String, Value> {
    let mut o = Map::new();
    let request = packet.op() == wire::dhcpv4::Op::REQUEST;
    o.insert(
        "type".into(),
        Value::from(if request { "request" } else { "reply" }),
    );
    o.insert("id".into(), Value::from(packet.xid()));
    // chaddr is 16 bytes of which `hlen` are the address (6 on Ethernet).
    let hardware = packet.chaddr();
    let hlen = usize::from(packet.hlen()).min(hardware.len());
    o.insert(
        "client_mac".into(),
        Value::from(colon_hex(hardware.get(..hlen).unwrap_or_default())),
    );
    o.insert(
        "assigned_ip".into(),
        Value::from(packet.yiaddr().to_string()),
    );
    o.insert("client_ip".into(), Value::from(packet.ciaddr().to_string()));
    if !request {
        o.insert("relay_ip".into(), Value::from(packet.giaddr().to_string()));
        o.insert(
            "next_server_ip".into(),
            Value::from(packet.siaddr().to_string()),
        );
    }
    for option in packet.options() {
        // A malformed options area was counted by the identity decoder; what came before it
        // is still written.
        let Ok((code, value)) = option else { break };
        // The first occurrence of an option is the one written (as the identity decoder reads).
        if let Some((key, v)) = option_value(code, value) {
            o.entry(key).or_insert(v);
        }
    }
    o
}

/// The EVE key and value of one DHCP option, for the options EVE writes.
fn option_value(code: OptionCode, value: &[u8]) -> Option<(&'static str, Value)> {
    let text = |key| (!value.is_empty()).then(|| (key, Value::from(wire::text::wire_text(value))));
    let address = |key| ipv4(value).map(|ip| (key, Value::from(ip.to_string())));
    let seconds = |key| {
        <[u8; 4]>::try_from(value)
            .ok()
            .map(|s| (key, Value::from(u32::from_be_bytes(s))))
    };
    match code {
        OptionCode::MESSAGE_TYPE => match value {
            [t] => Some(("dhcp_type", Value::from(message_type_name(*t)))),
            _ => None,
        },
        OptionCode::HOSTNAME => text("hostname"),
        OptionCode::VENDOR_CLASS => text("vendor_class_identifier"),
        // RFC 2132 §9.14: a type octet, then the identifier (EVE writes the identifier).
        OptionCode::CLIENT_ID => match value {
            [_, id @ ..] if !id.is_empty() => Some(("client_id", Value::from(colon_hex(id)))),
            _ => None,
        },
        OptionCode::REQUESTED_IP => address("requested_ip"),
        OptionCode::SUBNET_MASK => address("subnet_mask"),
        OptionCode::ROUTER => Some(("routers", addresses(value))),
        OptionCode::DNS_SERVER => Some(("dns_servers", addresses(value))),
        OptionCode::LEASE_TIME => seconds("lease_time"),
        OptionCode::RENEWAL_TIME => seconds("renewal_time"),
        OptionCode::REBINDING_TIME => seconds("rebinding_time"),
        OptionCode::PARAMETER_REQUEST_LIST => Some((
            "params",
            Value::Array(value.iter().map(|&c| param_name(c)).collect()),
        )),
        _ => None,
    }
}

/// RFC 2132 §9.6 message types, named as EVE names them.
fn message_type_name(t: u8) -> &'static str {
    match t {
        1 => "discover",
        2 => "offer",
        3 => "request",
        4 => "decline",
        5 => "ack",
        6 => "nak",
        7 => "release",
        8 => "inform",
        _ => "unknown",
    }
}

/// Option 55 entries: EVE's names for the options it names, the code as text for the rest
/// (EVE drops those; an order-preserving list is what fingerprinting needs).
fn param_name(code: u8) -> Value {
    let name = match code {
        1 => "subnet_mask",
        3 => "router",
        6 => "dns_server",
        15 => "domain",
        35 => "arp_timeout",
        42 => "ntp_server",
        66 => "tftp_server_name",
        150 => "tftp_server_ip",
        _ => return Value::from(code.to_string()),
    };
    Value::from(name)
}

fn ipv4(value: &[u8]) -> Option<Ipv4Addr> {
    <[u8; 4]>::try_from(value).ok().map(Ipv4Addr::from)
}

fn addresses(value: &[u8]) -> Value {
    Value::Array(
        value
            .chunks_exact(4)
            .take(MAX_ADDRESSES)
            .filter_map(ipv4)
            .map(|ip| Value::from(ip.to_string()))
            .collect(),
    )
}

/// Bytes as `aa:bb:cc`, as EVE writes hardware addresses and client ids (at most 64 bytes).
fn colon_hex(bytes: &[u8]) -> String {
    let bytes = bytes.get(..64).unwrap_or(bytes);
    let mut s = String::with_capacity(bytes.len() * 3);
    wire::text::push_hex(&mut s, bytes, Some(':'));
    s
}

/// The event type for a DNS-family source: EVE's `dns`, and `mdns` / `llmnr` (same object)
/// so a SIEM can tell multicast name traffic from resolver traffic.
pub(crate) fn dns_event_type(source: NameSource) -> &'static str {
    match source {
        NameSource::Mdns => "mdns",
        NameSource::Llmnr => "llmnr",
        _ => "dns",
    }
}

/// EVE `dns`, Suricata's version 2 object: a query gives one event per question (`type`
/// `query`, `id`, `rrname`, `rrtype`, `opcode`); a response one event (`version` 2, `type`
/// `answer`, `id`, `flags` in hex, `qr`, `aa`, `tc`, `rd`, `ra`, `opcode`, `rcode`, the first
/// question's `rrname`/`rrtype`, and `answers` with `rrname`, `rrtype`, `ttl` and `rdata`
/// for address and name records; TXT and unknown records without `rdata`). Names keep their
/// case. Malformed records end the list.
pub(crate) fn dns(packet: &wire::dns::Packet<&[u8]>) -> Vec<Map<String, Value>> {
    let id = Value::from(packet.id());
    let opcode = Value::from(packet.opcode().0);
    if !packet.is_response() {
        let mut events = Vec::new();
        for q in packet.questions().take(MAX_ANSWERS) {
            let Ok(q) = q else { break };
            let mut o = Map::new();
            o.insert("type".into(), Value::from("query"));
            o.insert("id".into(), id.clone());
            o.insert("rrname".into(), Value::from(name_text(&q.name)));
            o.insert("rrtype".into(), Value::from(type_name(q.qtype)));
            o.insert("opcode".into(), opcode.clone());
            events.push(o);
        }
        return events;
    }
    let mut o = Map::new();
    o.insert("version".into(), Value::from(2));
    o.insert("type".into(), Value::from("answer"));
    o.insert("id".into(), id);
    o.insert("flags".into(), Value::from(format!("{:x}", packet.flags())));
    o.insert("qr".into(), Value::Bool(true));
    for (name, set) in [
        ("aa", packet.authoritative()),
        ("tc", packet.truncated()),
        ("rd", packet.recursion_desired()),
        ("ra", packet.recursion_available()),
    ] {
        if set {
            o.insert(name.into(), Value::Bool(true));
        }
    }
    o.insert("opcode".into(), opcode);
    if let Some(Ok(q)) = packet.questions().next() {
        o.insert("rrname".into(), Value::from(name_text(&q.name)));
        o.insert("rrtype".into(), Value::from(type_name(q.qtype)));
    }
    o.insert("rcode".into(), Value::from(rcode_name(packet.rcode())));
    let mut answers = Vec::new();
    for record in packet.answers().take(MAX_ANSWERS) {
        let Ok(record) = record else { break };
        let mut a = Map::new();
        a.insert("rrname".into(), Value::from(name_text(&record.name)));
        a.insert("rrtype".into(), Value::from(type_name(record.rtype)));
        a.insert("ttl".into(), Value::from(record.ttl));
        let rdata = match record.data() {
            Ok(Rdata::A(ip)) => Some(IpAddr::V4(ip).to_string()),
            Ok(Rdata::Aaaa(ip)) => Some(IpAddr::V6(ip).to_string()),
            Ok(Rdata::Cname(n) | Rdata::Ptr(n) | Rdata::Ns(n)) => Some(name_text(&n)),
            Ok(Rdata::Mx { exchange, .. }) => Some(name_text(&exchange)),
            Ok(Rdata::Srv { target, .. }) => Some(name_text(&target)),
            // TXT and unknown data may carry anything: only the record type is written.
            Ok(Rdata::Txt(_) | Rdata::Other(_)) | Err(_) => None,
        };
        if let Some(r) = rdata {
            a.insert("rdata".into(), Value::from(r));
        }
        answers.push(Value::Object(a));
    }
    if !answers.is_empty() {
        o.insert("answers".into(), Value::Array(answers));
    }
    vec![o]
}

/// A name as sent (EVE keeps the case; the observations lowercase it), `<root>` for the root.
fn name_text(name: &wire::dns::Name<'_>) -> String {
    if name.is_root() {
        return "<root>".into();
    }
    name.to_string_lossy()
}

/// RFC 1035 §3.2.2 / IANA mnemonics; RFC 3597 §5 `TYPEnnn` for the rest.
fn type_name(t: RecordType) -> String {
    let name = match t {
        RecordType::A => "A",
        RecordType::NS => "NS",
        RecordType::CNAME => "CNAME",
        RecordType::SOA => "SOA",
        RecordType::PTR => "PTR",
        RecordType::HINFO => "HINFO",
        RecordType::MX => "MX",
        RecordType::TXT => "TXT",
        RecordType::AAAA => "AAAA",
        RecordType::SRV => "SRV",
        RecordType::OPT => "OPT",
        RecordType::NSEC => "NSEC",
        RecordType::SVCB => "SVCB",
        RecordType::HTTPS => "HTTPS",
        RecordType::AXFR => "AXFR",
        RecordType::ANY => "ANY",
        RecordType(n) => return format!("TYPE{n}"),
    };
    name.to_owned()
}

/// RFC 1035 §4.1.1 / RFC 2136 §2.2 response codes as EVE writes them.
fn rcode_name(r: Rcode) -> String {
    let name = match r {
        Rcode::NOERROR => "NOERROR",
        Rcode::FORMERR => "FORMERR",
        Rcode::SERVFAIL => "SERVFAIL",
        Rcode::NXDOMAIN => "NXDOMAIN",
        Rcode::NOTIMP => "NOTIMP",
        Rcode::REFUSED => "REFUSED",
        Rcode::YXDOMAIN => "YXDOMAIN",
        Rcode::YXRRSET => "YXRRSET",
        Rcode::NXRRSET => "NXRRSET",
        Rcode::NOTAUTH => "NOTAUTH",
        Rcode::NOTZONE => "NOTZONE",
        Rcode(n) => return format!("RCODE{n}"),
    };
    name.to_owned()
}

#[cfg(test)]
mod tests;
