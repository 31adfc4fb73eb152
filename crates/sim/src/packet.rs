//! Frames from the project's own emitters (`wire` `Repr::emit`): Ethernet with an 802.1Q tag
//! (the capture is a SPAN of the core switch's trunk, so every frame carries its VLAN),
//! IPv4, UDP and TCP with correct checksums, ARP; routed packets appear on both VLANs they
//! cross, as a router-on-a-stick trunk shows them.

use std::net::{IpAddr, Ipv4Addr};

use model::MacAddr;
use wire::ethernet::{self, EtherType};
use wire::ipv4::{self, IpProtocol, OptionBytes};
use wire::{arp, tcp, udp, vlan};

/// Ethernet (14) + 802.1Q (4).
const L2_LEN: usize = 18;
/// Frames shorter than this (without FCS) are padded (IEEE 802.3 minimum frame).
const MIN_FRAME: usize = 60;
/// A routed leg follows the first after this long (the router's forwarding delay).
const ROUTER_DELAY_NS: i64 = 40_000;

/// One end of a conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Host {
    /// Its MAC (internal hosts), `None` for hosts on the internet.
    pub mac: Option<MacAddr>,
    /// Its address.
    pub ip: Ipv4Addr,
    /// Its VLAN (internal hosts).
    pub vlan: Option<u16>,
    /// Initial TTL of its stack.
    pub ttl: u8,
}

/// The frames of one conversation, in the order they are built (the engine sorts by time).
#[derive(Debug, Default)]
pub struct Frames {
    /// `(time ns, frame)`.
    pub list: Vec<(i64, Vec<u8>)>,
}

/// Everything needed to put an IP packet on the wire: the router between zones.
#[derive(Debug, Clone, Copy)]
pub struct Net {
    /// The core router's MAC (every zone's gateway).
    pub router_mac: MacAddr,
}

impl Net {
    /// Puts one IPv4 packet from `src` to `dst` on the wire as the capture sees it: the
    /// sensor watches the access side of each conversation (`view`: the VLAN of the host that
    /// started it), so a packet between two VLANs appears once, on `view` — from the sender to
    /// the router when the sender is there, from the router (TTL one less) to the receiver
    /// otherwise. One copy per packet keeps every TCP conversation free of the duplicates a
    /// two-leg capture would show to tools that do not key conversations by VLAN. Hosts on the
    /// internet are reached through the router; their packets arrive with a lower TTL.
    #[allow(clippy::too_many_arguments)]
    pub fn ip(
        &self,
        frames: &mut Frames,
        ts: i64,
        src: &Host,
        dst: &Host,
        view: Option<u16>,
        ident: u16,
        protocol: IpProtocol,
        transport: &[u8],
    ) {
        const INTERNET_HOPS: u8 = 12;
        // (VLAN, source MAC, destination MAC, TTL, delay) of the one copy the sensor sees.
        let leg = match (src.vlan, dst.vlan, src.mac, dst.mac) {
            (Some(sv), Some(dv), Some(sm), Some(dm)) if sv == dv => (sv, sm, dm, src.ttl, 0),
            (Some(sv), _, Some(sm), _) if view == Some(sv) || dst.vlan.is_none() => {
                (sv, sm, self.router_mac, src.ttl, 0)
            }
            (sv, Some(dv), _, Some(dm)) => {
                let hops = if sv.is_some() { 1 } else { INTERNET_HOPS };
                (
                    dv,
                    self.router_mac,
                    dm,
                    src.ttl.saturating_sub(hops),
                    ROUTER_DELAY_NS,
                )
            }
            _ => return,
        };
        let (vlan_id, src_mac, dst_mac, ttl, delay) = leg;
        let ip = ipv4::Repr {
            dscp: 0,
            ecn: 0,
            ident,
            reserved_flag: false,
            dont_frag: true,
            more_frags: false,
            frag_offset: 0,
            ttl,
            protocol,
            src_addr: src.ip,
            dst_addr: dst.ip,
            options: OptionBytes::default(),
            payload_len: transport.len(),
        };
        let header = ip.buffer_len();
        let mut buf = l2(
            vlan_id,
            src_mac,
            dst_mac,
            EtherType::IPV4,
            header + transport.len(),
        );
        ip.emit(&mut ipv4::Packet::new_unchecked(&mut buf[L2_LEN..]));
        buf[L2_LEN + header..L2_LEN + header + transport.len()].copy_from_slice(transport);
        frames.list.push((ts + delay, buf));
    }

    /// A UDP datagram (checksum filled).
    #[allow(clippy::too_many_arguments)]
    pub fn udp(
        &self,
        frames: &mut Frames,
        ts: i64,
        src: &Host,
        dst: &Host,
        view: Option<u16>,
        ident: u16,
        ports: (u16, u16),
        payload: &[u8],
    ) {
        let datagram = udp_datagram(src.ip, dst.ip, ports, payload);
        self.ip(
            frames,
            ts,
            src,
            dst,
            view,
            ident,
            IpProtocol::UDP,
            &datagram,
        );
    }
}

/// A UDP datagram with its checksum.
pub fn udp_datagram(src: Ipv4Addr, dst: Ipv4Addr, ports: (u16, u16), payload: &[u8]) -> Vec<u8> {
    let repr = udp::Repr {
        src_port: ports.0,
        dst_port: ports.1,
        payload_len: payload.len(),
    };
    let mut buf = vec![0u8; udp::HEADER_LEN + payload.len()];
    buf[udp::HEADER_LEN..].copy_from_slice(payload);
    let mut packet = udp::Packet::new_unchecked(&mut buf[..]);
    repr.emit(&mut packet);
    packet.fill_checksum(&IpAddr::V4(src), &IpAddr::V4(dst));
    buf
}

/// A TCP segment with its checksum.
pub fn tcp_segment(src: Ipv4Addr, dst: Ipv4Addr, repr: &tcp::Repr, payload: &[u8]) -> Vec<u8> {
    let header = repr.buffer_len();
    let mut buf = vec![0u8; header + payload.len()];
    buf[header..].copy_from_slice(payload);
    let mut packet = tcp::Packet::new_unchecked(&mut buf[..]);
    repr.emit(&mut packet);
    packet.fill_checksum(&IpAddr::V4(src), &IpAddr::V4(dst));
    buf
}

/// A frame of another EtherType (LLDP…) on `vlan_id`, padded to the minimum frame size.
pub fn link_frame(
    vlan_id: u16,
    src: MacAddr,
    dst: MacAddr,
    ethertype: u16,
    payload: &[u8],
) -> Vec<u8> {
    let mut buf = l2(vlan_id, src, dst, EtherType(ethertype), payload.len());
    buf[L2_LEN..L2_LEN + payload.len()].copy_from_slice(payload);
    buf
}

/// An ICMPv6 message in an IPv6 packet (hop limit 255, as Neighbor Discovery requires:
/// RFC 4861 §6.1.1) on `vlan_id`, with its checksum.
pub fn icmpv6_frame(
    vlan_id: u16,
    (src_mac, dst_mac): (MacAddr, MacAddr),
    (src, dst): (std::net::Ipv6Addr, std::net::Ipv6Addr),
    message: &wire::icmpv6::Repr<'_>,
) -> Vec<u8> {
    let ip = wire::ipv6::Repr {
        traffic_class: 0,
        flow_label: 0,
        payload_len: message.buffer_len() as u16,
        next_header: IpProtocol::ICMPV6,
        hop_limit: 255,
        src_addr: src,
        dst_addr: dst,
    };
    let at = L2_LEN + ip.buffer_len();
    let mut buf = l2(
        vlan_id,
        src_mac,
        dst_mac,
        EtherType::IPV6,
        ip.buffer_len() + message.buffer_len(),
    );
    ip.emit(&mut wire::ipv6::Packet::new_unchecked(&mut buf[L2_LEN..at]));
    message.emit(
        &mut wire::icmpv6::Packet::new_unchecked(&mut buf[at..at + message.buffer_len()]),
        src,
        dst,
    );
    buf
}

/// An ARP frame (request broadcast or reply unicast) on `vlan_id`.
pub fn arp_frame(vlan_id: u16, dst_mac: MacAddr, repr: &arp::Repr) -> Vec<u8> {
    let mut buf = l2(
        vlan_id,
        repr.sender_hardware_addr,
        dst_mac,
        EtherType::ARP,
        repr.buffer_len(),
    );
    repr.emit(&mut arp::Packet::new_unchecked(&mut buf[L2_LEN..]));
    buf
}

/// An Ethernet + 802.1Q header with room for `payload_len` bytes (padded to the minimum
/// frame size with zeros).
fn l2(
    vlan_id: u16,
    src_mac: MacAddr,
    dst_mac: MacAddr,
    ethertype: EtherType,
    payload_len: usize,
) -> Vec<u8> {
    let mut buf = vec![0u8; (L2_LEN + payload_len).max(MIN_FRAME)];
    ethernet::Repr {
        src_addr: src_mac,
        dst_addr: dst_mac,
        ethertype: EtherType::VLAN,
    }
    .emit(&mut ethernet::Packet::new_unchecked(&mut buf[..]));
    vlan::Repr {
        priority: 0,
        dei: false,
        vlan_id,
        ethertype,
    }
    .emit(&mut vlan::Packet::new_unchecked(&mut buf[14..]));
    buf
}
