//! Identity on packets: ARP, IPv6 Neighbor Discovery, DHCPv4, DNS / mDNS / LLMNR.
//!
//! These run only for the packets that carry them (by EtherType, ICMPv6 type or UDP port),
//! so the common path pays one comparison. A malformed message inside a well-formed packet
//! is counted in `malformed_messages`; the packet itself still counts as decoded.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use model::{
    BindingSource, DhcpObservation, FlowRef, MacAddr, NameObservation, NameSource, Observation,
    Timestamp,
};
use wire::dns::{Rdata, RecordType};
use wire::icmpv6::NdRepr;

use crate::decode::Link;
use crate::pipeline::{Dropped, IdentityOut, Net};

mod eve;

/// Wire strings kept (CONVENTIONS §6).
const MAX_STRING: usize = 256;
/// DNS records read per message (CONVENTIONS §6 list limit).
const MAX_RECORDS: usize = 64;

/// ARP (RFC 826): the sender fields bind an IPv4 address to a MAC.
pub(crate) fn arp(
    out: &mut IdentityOut<'_>,
    ts: Timestamp,
    link: &Link<'_>,
) -> Result<(), Dropped> {
    let arp = wire::arp::Packet::new_checked(link.payload)?;
    out.stats.arp += 1;
    let mac = arp.sender_hardware_addr();
    let ip = arp.sender_protocol_addr();
    // An ARP probe (RFC 5227) has sender address 0.0.0.0: it claims nothing yet.
    if !ip.is_unspecified() && mac.is_station() {
        out.emit(Observation::Binding {
            ts,
            vlan: link.vlans[1].or(link.vlans[0]),
            mac,
            ip: IpAddr::V4(ip),
            source: BindingSource::Arp,
        });
    }
    Ok(())
}

/// IPv6 Neighbor Discovery (RFC 4861): link-layer address options bind addresses to MACs.
pub(crate) fn icmpv6(out: &mut IdentityOut<'_>, net: &Net<'_>, icmp: &wire::icmpv6::Packet<&[u8]>) {
    let nd = match NdRepr::parse(icmp) {
        Ok(Some(nd)) => nd,
        Ok(None) => return,
        Err(m) => return out.message_malformed(m),
    };
    out.stats.neighbor_discovery += 1;
    let IpAddr::V6(src) = net.src.ip() else {
        return;
    };
    let (ip, mac) = match nd {
        // §4.3: the Source Link-Layer Address option names the sender's MAC.
        NdRepr::NeighborSolicit { options, .. }
        | NdRepr::RouterSolicit { options }
        | NdRepr::RouterAdvert { options, .. } => (src, options.source_link_layer_addr()),
        // §4.4: the Target Link-Layer Address option names the target's MAC; without it the
        // advertisement came from the target itself.
        NdRepr::NeighborAdvert {
            target_addr,
            options,
            ..
        } => (
            target_addr,
            options.target_link_layer_addr().or(net.src_mac),
        ),
        NdRepr::Redirect { .. } => return,
    };
    if let Some(mac) = mac.filter(MacAddr::is_station)
        && !ip.is_unspecified()
        && !ip.is_multicast()
    {
        out.emit(Observation::Binding {
            ts: net.ts,
            vlan: net.vlan(),
            mac,
            ip: IpAddr::V6(ip),
            source: BindingSource::NeighborDiscovery,
        });
    }
}

/// True when [`udp`] decodes datagrams between these ports.
#[inline]
pub(crate) fn handles(sport: u16, dport: u16) -> bool {
    let known = |p: u16| matches!(p, 53 | 67 | 68 | 5353 | 5355);
    known(sport) || known(dport)
}

/// UDP identity protocols, recognised by well-known port on either side.
#[inline]
pub(crate) fn udp(out: &mut IdentityOut<'_>, net: &Net<'_>, datagram: &Datagram<'_>) {
    let either = |p: u16| datagram.sport == p || datagram.dport == p;
    if either(67) || either(68) {
        dhcp(out, net, datagram);
    } else if either(53) {
        dns(out, net, datagram, NameSource::Dns);
    } else if either(5353) {
        dns(out, net, datagram, NameSource::Mdns);
    } else if either(5355) {
        dns(out, net, datagram, NameSource::Llmnr);
    }
}

/// A UDP datagram for the identity decoders: ports, payload, and the flow it belongs to (for
/// the events' `flow_id`).
pub(crate) struct Datagram<'a> {
    pub sport: u16,
    pub dport: u16,
    pub payload: &'a [u8],
    pub flow_id: u64,
}

impl Datagram<'_> {
    /// The EVE event `event_type` with `body`, in the packet's direction.
    fn event(
        &self,
        out: &mut IdentityOut<'_>,
        net: &Net<'_>,
        event_type: &'static str,
        body: serde_json::Map<String, serde_json::Value>,
    ) {
        out.event(model::AppEvent {
            ts: net.ts,
            flow: eve::packet_flow(net, self.flow_id, self.sport, self.dport),
            event_type,
            body,
        });
    }
}

fn nonzero(ip: Ipv4Addr) -> Option<IpAddr> {
    (!ip.is_unspecified()).then_some(IpAddr::V4(ip))
}

/// DHCPv4 (RFC 2131) with the identity options of RFC 2132 and RFC 4702.
fn dhcp(out: &mut IdentityOut<'_>, net: &Net<'_>, datagram: &Datagram<'_>) {
    let packet = match wire::dhcpv4::Packet::new_checked(datagram.payload) {
        Ok(p) => p,
        Err(m) => return out.message_malformed(m),
    };
    if out.events_enabled() {
        datagram.event(out, net, "dhcp", eve::dhcp(&packet));
    }
    let id = match packet.identity() {
        Ok(id) => id,
        Err(m) => return out.message_malformed(m),
    };
    out.stats.dhcp += 1;
    let obs = DhcpObservation {
        ts: net.ts,
        // Only a frame the client sent itself is on the client's VLAN: a relay's copy (RFC
        // 1542 §4), a server's answer through a router, or a renewal seen on the server's
        // side of the router (RFC 2131 §4.4.5) crosses another one.
        vlan: net
            .vlan()
            .filter(|_| net.src_mac.is_some() && net.src_mac == packet.client_hardware_addr()),
        client_mac: packet.client_hardware_addr(),
        is_request: packet.op() == wire::dhcpv4::Op::REQUEST,
        message_type: id.message_type,
        client_ip: nonzero(packet.ciaddr()),
        your_ip: nonzero(packet.yiaddr()),
        hostname: id.hostname_text(),
        requested_ip: id.requested_ip.map(IpAddr::V4),
        server_id: id.server_id.map(IpAddr::V4),
        param_request_list: id
            .param_request_list
            .map(|l| l[..l.len().min(MAX_STRING)].to_vec()),
        max_message_size: id.max_message_size,
        vendor_class: id.vendor_class_text(),
        client_id: id.client_id_hex(),
        fqdn: match id.client_fqdn.map(|f| f.name_lowercase()) {
            Some(Ok(name)) if !name.is_empty() => Some(name),
            Some(Err(m)) => {
                out.message_malformed(m);
                None
            }
            _ => None,
        },
        subnet_mask: id.subnet_mask.map(IpAddr::V4),
        router: id.router.map(IpAddr::V4),
    };
    out.emit(Observation::Dhcp(Box::new(obs)));
}

/// Fingerprint of a DNS-family fact: what kind, from whom or for which address, which name
/// (ASCII-lowercased labels), so repeats can be skipped before any string is built.
fn name_fingerprint(kind: u8, who: u128, name: &wire::dns::Name<'_>) -> u64 {
    use std::hash::{BuildHasher, Hasher};
    let mut h = foldhash::fast::FixedState::default().build_hasher();
    h.write_u8(kind);
    h.write_u128(who);
    let mut lower = [0u8; 63];
    for label in name.labels() {
        let n = label.len().min(lower.len());
        for (d, s) in lower.iter_mut().zip(label) {
            *d = s.to_ascii_lowercase();
        }
        h.write(&lower[..n]);
        h.write_u8(0);
    }
    // Never 0: 0 marks an empty slot.
    h.finish() | 1
}

/// DNS, mDNS and LLMNR share one wire format (RFC 1035, RFC 6762, RFC 4795).
fn dns(out: &mut IdentityOut<'_>, net: &Net<'_>, datagram: &Datagram<'_>, source: NameSource) {
    let packet = match wire::dns::Packet::new_checked(datagram.payload) {
        Ok(p) => p,
        Err(m) => return out.message_malformed(m),
    };
    out.stats.dns += 1;
    if out.events_enabled() {
        for body in eve::dns(&packet) {
            datagram.event(out, net, eve::dns_event_type(source), body);
        }
    }
    let me = net.source(datagram.sport);
    if !packet.is_response() {
        for q in packet.questions().take(MAX_RECORDS) {
            match q {
                Ok(q) => {
                    let who = u128::from_be_bytes(match me.ip {
                        Some(IpAddr::V6(v6)) => v6.octets(),
                        Some(IpAddr::V4(v4)) => v4.to_ipv6_mapped().octets(),
                        None => [0; 16],
                    });
                    if out.seen_recently(name_fingerprint(source as u8, who, &q.name)) {
                        continue;
                    }
                    let name = q.name.to_string_lossy_lower();
                    if !name.is_empty() {
                        out.emit(Observation::Name(NameObservation::Query {
                            ts: net.ts,
                            vlan: net.vlan(),
                            asker: me,
                            name,
                            source,
                        }));
                    }
                }
                Err(m) => return out.message_malformed(m),
            }
        }
        return;
    }
    let mut sd_flow = None;
    for record in packet.records().take(MAX_RECORDS) {
        let record = match record {
            Ok(r) => r,
            Err(m) => return out.message_malformed(m),
        };
        if source == NameSource::Mdns && matches!(record.rtype, RecordType::PTR | RecordType::TXT) {
            let flow = sd_flow.get_or_insert_with(|| FlowRef {
                id: 0,
                transport: model::Transport::UDP,
                vlan: net.vlan(),
                client: me,
                server: model::Endpoint {
                    mac: None,
                    ip: Some(net.dst.ip()),
                    port: 5353,
                },
            });
            dns_sd(&mut out.app(flow, net.ts, "mdns"), &record);
        }
        let fresh = |out: &mut IdentityOut<'_>, ip: IpAddr, name: &wire::dns::Name<'_>| {
            let who = match ip {
                IpAddr::V6(v6) => u128::from_be_bytes(v6.octets()),
                IpAddr::V4(v4) => u128::from_be_bytes(v4.to_ipv6_mapped().octets()),
            };
            !out.seen_recently(name_fingerprint(0x80 | source as u8, who, name))
        };
        let (name, ip) = match record.data() {
            Ok(Rdata::A(a)) => {
                if !fresh(out, IpAddr::V4(a), &record.name) {
                    continue;
                }
                (record.name.to_string_lossy_lower(), IpAddr::V4(a))
            }
            Ok(Rdata::Aaaa(a)) => {
                if !fresh(out, IpAddr::V6(a), &record.name) {
                    continue;
                }
                (record.name.to_string_lossy_lower(), IpAddr::V6(a))
            }
            Ok(Rdata::Ptr(target))
                if record.rtype == RecordType::PTR && is_reverse_name(&record.name) =>
            {
                // The reverse name stands for the address: a repeat is skipped before either
                // name is rendered.
                let reverse = name_fingerprint(0x40 | source as u8, 0, &record.name);
                if out.seen_recently(name_fingerprint(
                    0x80 | source as u8,
                    u128::from(reverse),
                    &target,
                )) {
                    continue;
                }
                let Some(ip) = reverse_name_ip(&record.name.to_string_lossy_lower()) else {
                    continue; // Not an address (`in-addr.arpa` zone names and the like).
                };
                (target.to_string_lossy_lower(), ip)
            }
            Ok(_) => continue,
            Err(m) => {
                out.message_malformed(m);
                continue;
            }
        };
        if name.is_empty() {
            continue;
        }
        out.emit(Observation::Name(NameObservation::Answer {
            ts: net.ts,
            vlan: net.vlan(),
            responder: me,
            name,
            ip,
            source,
        }));
    }
}

/// DNS-SD TXT keys (RFC 6763 §6) that name what a device is, and the fact each becomes: the
/// keys printers (Bonjour Printing 1.2: `ty`, `product`, `usb_MFG`, `usb_MDL`), AirPlay/Apple
/// (`am`, `model`, `osxvers`), Google Cast (`md`, `fn` is a user-given name: not kept) and
/// generic IoT firmware (`fv`, `firmware`, `vers`) use.
const TXT_FACTS: &[(&[u8], &str)] = &[
    (b"ty", "mdns.model"),
    (b"product", "mdns.product"),
    (b"usb_MFG", "mdns.manufacturer"),
    (b"usb_MDL", "mdns.model"),
    (b"mfg", "mdns.manufacturer"),
    (b"manufacturer", "mdns.manufacturer"),
    (b"md", "mdns.model"),
    (b"model", "mdns.model"),
    (b"am", "mdns.model"),
    (b"osxvers", "mdns.os_version"),
    (b"fv", "mdns.firmware"),
    (b"firmware", "mdns.firmware"),
    (b"vers", "mdns.version"),
];

/// DNS-SD (RFC 6763) in an mDNS answer: PTR records name service types (`_ipp._tcp.local`)
/// and their instances (`Ward 3 Printer._ipp._tcp.local`: the instance label is the device's
/// advertised name); TXT records carry key=value pairs, of which the identity keys above are
/// kept. Facts about the responder (the device that answers for itself in mDNS).
fn dns_sd(out: &mut proto::Out<'_>, record: &wire::dns::Record<'_>) {
    match record.data() {
        Ok(Rdata::Ptr(target)) => {
            let mut labels = record.name.labels();
            let Some(first) = labels.next() else {
                return;
            };
            if !first.starts_with(b"_") || is_reverse_name(&record.name) {
                return;
            }
            let service = record.name.to_string_lossy_lower();
            if service.starts_with("_services._dns-sd.") {
                // RFC 6763 §9: the target is a service type the responder offers.
                out.fact_text(
                    model::Side::Client,
                    "mdns.service_type",
                    &target.to_string_lossy_lower(),
                );
                return;
            }
            out.fact_text(model::Side::Client, "mdns.service_type", &service);
            if let Some(instance) = target.labels().next() {
                out.fact(model::Side::Client, "mdns.instance", instance);
            }
        }
        Ok(Rdata::Txt(strings)) => {
            for kv in strings.take(MAX_RECORDS) {
                let (key, value) = match kv.iter().position(|&b| b == b'=') {
                    Some(i) => (&kv[..i], &kv[i + 1..]),
                    None => continue,
                };
                if let Some((_, fact)) = TXT_FACTS.iter().find(|(k, _)| k.eq_ignore_ascii_case(key))
                {
                    out.fact(model::Side::Client, fact, value);
                }
            }
        }
        _ => {}
    }
}

/// True when `name` ends in `in-addr.arpa` or `ip6.arpa`, checked on the labels without
/// building a string.
fn is_reverse_name(name: &wire::dns::Name<'_>) -> bool {
    let mut last = [&[][..]; 2];
    for label in name.labels() {
        last = [last[1], label];
    }
    last[1].eq_ignore_ascii_case(b"arpa")
        && (last[0].eq_ignore_ascii_case(b"in-addr") || last[0].eq_ignore_ascii_case(b"ip6"))
}

/// The address named by a reverse-lookup name (RFC 1035 §3.5 `in-addr.arpa`, RFC 3596 §2.5
/// `ip6.arpa`).
fn reverse_name_ip(name: &str) -> Option<IpAddr> {
    if let Some(v4) = name.strip_suffix(".in-addr.arpa") {
        let mut octets = [0u8; 4];
        let mut parts = v4.split('.');
        for o in octets.iter_mut().rev() {
            *o = parts.next()?.parse().ok()?;
        }
        return parts
            .next()
            .is_none()
            .then_some(IpAddr::V4(Ipv4Addr::from(octets)));
    }
    let v6 = name.strip_suffix(".ip6.arpa")?;
    let mut value: u128 = 0;
    let mut count = 0;
    for (i, nibble) in v6.split('.').enumerate() {
        let digit = u128::from(u8::from_str_radix(nibble, 16).ok()?);
        if nibble.len() != 1 || i >= 32 {
            return None;
        }
        value |= digit << (4 * i);
        count += 1;
    }
    (count == 32).then_some(IpAddr::V6(Ipv6Addr::from(value)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverse_name_check_reads_only_the_last_labels() {
        let wire_name = |text: &str| {
            let mut out = Vec::new();
            for label in text.split('.') {
                out.push(label.len() as u8);
                out.extend_from_slice(label.as_bytes());
            }
            out.push(0);
            out
        };
        for (text, want) in [
            ("4.3.2.10.in-addr.arpa", true),
            ("b.a.ip6.ARPA", true),
            ("_ipp._tcp.local", false),
            ("arpa", false),
            ("in-addr.arpa.example", false),
        ] {
            let bytes = wire_name(text);
            let (name, _) = wire::dns::Name::parse(&bytes, 0).unwrap();
            assert_eq!(is_reverse_name(&name), want, "{text}");
        }
    }

    #[test]
    fn reverse_names() {
        assert_eq!(
            reverse_name_ip("4.3.2.10.in-addr.arpa"),
            Some("10.2.3.4".parse().unwrap())
        );
        assert_eq!(reverse_name_ip("3.2.10.in-addr.arpa"), None);
        assert_eq!(reverse_name_ip("x.3.2.10.in-addr.arpa"), None);
        let v6 = "b.a.9.8.7.6.5.0.4.0.0.0.3.0.0.0.2.0.0.0.1.0.0.0.0.0.0.0.1.2.3.4.ip6.arpa";
        assert_eq!(
            reverse_name_ip(v6),
            Some("4321:0:1:2:3:4:567:89ab".parse().unwrap())
        );
        assert_eq!(reverse_name_ip("_http._tcp.local"), None);
    }
}
