//! The per-frame pipeline.

use std::collections::HashMap;

use capture::Frame;
use flow::{FlowAddr, FlowConfig, FlowKey, FlowTable, PacketInfo, TcpSegment, pack_vlans};
use foldhash::fast::FixedState;
use model::{Endpoint, MacAddr, Observation, Timestamp, Transport};
use wire::Malformed;
use wire::ipv4::IpProtocol;

use crate::decode::{self, ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, Link, LinkError};
use crate::fragments::{FragmentKey, FragmentTracker};
use crate::identity;
use crate::stats::SensorStats;

/// Sensor limits. Each field's default is documented where it is defined.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SensorConfig {
    /// Flow table and reassembly limits.
    pub flow: FlowConfig,
}

/// Decodes frames, keeps flows, and emits observations. See the crate docs.
#[derive(Debug)]
pub struct Sensor {
    flows: FlowTable,
    fragments: FragmentTracker,
    stats: SensorStats,
    malformed: HashMap<Malformed, u64, FixedState>,
    malformed_messages: HashMap<Malformed, u64, FixedState>,
    unsupported: HashMap<Unsupported, u64, FixedState>,
    observations: Vec<Observation>,
    /// Fingerprints of identity facts emitted recently (direct-mapped): the same DNS query or
    /// answer repeats many times on a network and one observation of it is enough.
    recent: Vec<u64>,
}

/// Slots of the recent-facts filter (power of two). A collision only re-emits a fact.
const RECENT_SLOTS: usize = 8192;

/// Why a frame was not decoded, before it is turned into a counter name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Unsupported {
    LinkType(u32),
    Ieee80211NoData,
    LoopbackFamily,
}

impl Unsupported {
    fn name(self) -> String {
        match self {
            Self::LinkType(n) => format!("link_type_{n}"),
            Self::Ieee80211NoData => "ieee80211_no_data".into(),
            Self::LoopbackFamily => "loopback_family".into(),
        }
    }
}

/// Everything known about a packet once its network layer is decoded.
#[derive(Clone, Copy)]
pub(crate) struct Net<'a> {
    pub ts: Timestamp,
    pub src_mac: Option<MacAddr>,
    pub vlans: [Option<u16>; 2],
    /// Addresses in flow-key form (built once, used for the key and converted on demand).
    pub src: FlowAddr,
    pub dst: FlowAddr,
    pub captured_len: u32,
    /// Transport protocol and its bytes (the upper-layer header onward).
    pub protocol: IpProtocol,
    pub transport: &'a [u8],
    /// Whether this is a fragment, and which.
    pub fragment: Fragment,
}

/// Fragment status of a packet, with the IP identification when it is one.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fragment {
    /// Not a fragment.
    No,
    /// The first fragment (offset 0): carries the transport header.
    First(u32),
    /// A later fragment: no transport header.
    Later(u32),
}

impl Net<'_> {
    fn fragment_key(&self, ident: u32) -> FragmentKey {
        FragmentKey {
            src: self.src,
            dst: self.dst,
            protocol: self.protocol.0,
            ident,
        }
    }
}

impl Net<'_> {
    pub(crate) fn vlan(&self) -> Option<u16> {
        self.vlans[1].or(self.vlans[0])
    }

    pub(crate) fn source(&self, port: u16) -> Endpoint {
        Endpoint {
            mac: self.src_mac,
            ip: Some(self.src.ip()),
            port,
        }
    }
}

impl Sensor {
    /// A sensor with these limits.
    pub fn new(config: SensorConfig) -> Self {
        Self {
            flows: FlowTable::new(config.flow),
            fragments: FragmentTracker::default(),
            stats: SensorStats::default(),
            malformed: HashMap::default(),
            malformed_messages: HashMap::default(),
            unsupported: HashMap::default(),
            observations: Vec::new(),
            recent: vec![0; RECENT_SLOTS],
        }
    }

    /// True when the fact with fingerprint `h` was emitted recently; records it otherwise.
    pub(crate) fn seen_recently(&mut self, h: u64) -> bool {
        let slot = &mut self.recent[(h as usize) & (RECENT_SLOTS - 1)];
        let seen = *slot == h;
        *slot = h;
        seen
    }

    /// Takes one frame.
    #[inline]
    pub fn process(&mut self, frame: &Frame<'_>) {
        self.stats.packets += 1;
        self.stats.bytes += frame.data.len() as u64;
        match self.frame(frame) {
            Ok(()) => self.stats.decoded += 1,
            Err(Drop::Malformed(m)) => *self.malformed.entry(m).or_default() += 1,
            Err(Drop::Unsupported(u)) => *self.unsupported.entry(u).or_default() += 1,
        }
    }

    /// Observations produced since the last call (flow records included).
    pub fn drain_observations(&mut self) -> impl Iterator<Item = Observation> + '_ {
        self.observations
            .extend(self.flows.drain_ended().map(Observation::Flow));
        self.observations.drain(..)
    }

    /// The input ended: every open flow is emitted.
    pub fn finish(&mut self) {
        self.flows.finish(&mut ());
    }

    /// Flows currently held.
    pub fn active_flows(&self) -> usize {
        self.flows.active()
    }

    /// Counters so far.
    pub fn stats(&self) -> SensorStats {
        let mut stats = self.stats.clone();
        stats.flows = self.flows.stats().clone();
        stats.malformed = self
            .malformed
            .iter()
            .map(|(m, n)| (m.as_str(), *n))
            .collect();
        stats.malformed_messages = self
            .malformed_messages
            .iter()
            .map(|(m, n)| (m.as_str(), *n))
            .collect();
        stats.unsupported = self
            .unsupported
            .iter()
            .map(|(u, n)| (u.name(), *n))
            .collect();
        stats
    }

    pub(crate) fn stats_identity(&mut self) -> &mut crate::stats::IdentityStats {
        &mut self.stats.identity
    }

    pub(crate) fn message_malformed(&mut self, reason: Malformed) {
        *self.malformed_messages.entry(reason).or_default() += 1;
    }

    pub(crate) fn emit(&mut self, obs: Observation) {
        self.observations.push(obs);
    }

    #[inline]
    fn frame(&mut self, frame: &Frame<'_>) -> Result<(), Drop> {
        let link = decode::decode_link(frame.link_type, frame.data).map_err(|e| match e {
            LinkError::Malformed(m) => Drop::Malformed(m),
            LinkError::UnsupportedLinkType(n) => Drop::Unsupported(Unsupported::LinkType(n)),
            LinkError::Ieee80211NoData => Drop::Unsupported(Unsupported::Ieee80211NoData),
            LinkError::UnsupportedLoopbackFamily => Drop::Unsupported(Unsupported::LoopbackFamily),
        })?;
        let captured_len = frame.data.len() as u32;
        match link.ethertype {
            ETHERTYPE_IPV4 => self.ipv4(frame.ts, &link, captured_len),
            ETHERTYPE_IPV6 => self.ipv6(frame.ts, &link, captured_len),
            ETHERTYPE_ARP => {
                identity::arp(self, frame.ts, &link)?;
                self.link_only(frame.ts, &link, frame.data, captured_len);
                Ok(())
            }
            _ => {
                self.link_only(frame.ts, &link, frame.data, captured_len);
                Ok(())
            }
        }
    }

    /// Non-IP frames are link-layer conversations keyed by MACs and EtherType.
    fn link_only(&mut self, ts: Timestamp, link: &Link<'_>, data: &[u8], captured_len: u32) {
        let Some(src) = link.src_mac else {
            return;
        };
        // The destination MAC is only known for link types that carry it (Ethernet).
        let dst = MacAddr::from_bytes(data).filter(|_| data.len() >= 14);
        let dst = dst.unwrap_or(MacAddr::ZERO);
        let (key, dir) = FlowKey::new(
            Transport::Link(link.ethertype),
            pack_vlans(link.vlans[0], link.vlans[1]),
            FlowAddr::mac(src),
            0,
            FlowAddr::mac(dst),
            0,
        );
        let pkt = PacketInfo {
            ts,
            key,
            dir,
            src_mac: Some(src),
            captured_len,
            tcp: None,
        };
        self.flows.process(&pkt, &mut ());
    }

    #[inline]
    fn ipv4(&mut self, ts: Timestamp, link: &Link<'_>, captured_len: u32) -> Result<(), Drop> {
        let ip = wire::ipv4::Packet::new_checked_truncated(link.payload)?;
        if ip.is_truncated() {
            self.stats.snaplen_truncated += 1;
        }
        let src = ip.src_addr();
        let dst = ip.dst_addr();
        let protocol = ip.protocol();
        let mut fragment = Fragment::No;
        if ip.is_fragment() {
            self.stats.fragments.packets += 1;
            let ident = u32::from(ip.ident());
            fragment = if ip.frag_offset() == 0 {
                Fragment::First(ident)
            } else {
                Fragment::Later(ident)
            };
        }
        let net = Net {
            ts,
            src_mac: link.src_mac,
            vlans: link.vlans,
            src: FlowAddr::v4(src.octets()),
            dst: FlowAddr::v4(dst.octets()),
            captured_len,
            protocol,
            transport: ip.payload(),
            fragment,
        };
        self.transport(&net)
    }

    #[inline]
    fn ipv6(&mut self, ts: Timestamp, link: &Link<'_>, captured_len: u32) -> Result<(), Drop> {
        let ip = wire::ipv6::Packet::new_checked_truncated(link.payload)?;
        if ip.is_truncated() {
            self.stats.snaplen_truncated += 1;
        }
        let payload = ip.payload();
        let ext = wire::ipv6::walk_extensions(ip.next_header(), payload)?;
        let src = ip.src_addr();
        let dst = ip.dst_addr();
        let mut fragment = Fragment::No;
        if let Some(f) = ext.fragment {
            self.stats.fragments.packets += 1;
            fragment = if f.offset == 0 {
                Fragment::First(f.ident)
            } else {
                Fragment::Later(f.ident)
            };
        }
        let net = Net {
            ts,
            src_mac: link.src_mac,
            vlans: link.vlans,
            src: FlowAddr::v6(src.octets()),
            dst: FlowAddr::v6(dst.octets()),
            captured_len,
            protocol: ext.upper_protocol,
            transport: payload.get(ext.upper_offset..).unwrap_or_default(),
            fragment,
        };
        self.transport(&net)
    }

    #[inline]
    fn transport(&mut self, net: &Net<'_>) -> Result<(), Drop> {
        if let Fragment::Later(ident) = net.fragment {
            // A later fragment: no transport header. Attribute it through the first one.
            return match self.fragments.later(&net.fragment_key(ident)) {
                Some((sport, dport)) => {
                    self.stats.fragments.matched += 1;
                    self.account(net, sport, dport, None);
                    Ok(())
                }
                None => {
                    self.stats.fragments.unmatched += 1;
                    Ok(())
                }
            };
        }
        match net.protocol {
            IpProtocol::TCP => {
                let tcp = wire::tcp::Packet::new_checked(net.transport)?;
                let (sport, dport) = (tcp.src_port(), tcp.dst_port());
                if let Fragment::First(ident) = net.fragment {
                    self.fragments.first(net.fragment_key(ident), sport, dport);
                }
                let seg = TcpSegment {
                    seq: tcp.seq_number(),
                    ack: tcp.ack_number(),
                    flags: tcp.flags().0,
                    // A first fragment's payload is incomplete: do not reassemble it.
                    payload: if net.fragment != Fragment::No {
                        &[]
                    } else {
                        tcp.payload()
                    },
                };
                self.account(net, sport, dport, Some(seg));
                Ok(())
            }
            IpProtocol::UDP => {
                let udp = match wire::udp::Packet::new_checked_truncated(net.transport) {
                    Ok(udp) => udp,
                    Err(Malformed::UdpBadLength) if net.transport.len() >= 8 => {
                        // A length field below the header's own 8 bytes: the ports are still
                        // there and the flow is real (scans and evasion look like this); the
                        // payload is not trusted. Counted as an anomaly, decoded as a flow.
                        let [s0, s1, d0, d1, ..] = *net.transport else {
                            return Err(Malformed::UdpTruncated.into());
                        };
                        self.message_malformed(Malformed::UdpBadLength);
                        self.account(
                            net,
                            u16::from_be_bytes([s0, s1]),
                            u16::from_be_bytes([d0, d1]),
                            None,
                        );
                        return Ok(());
                    }
                    Err(m) => return Err(m.into()),
                };
                let (sport, dport) = (udp.src_port(), udp.dst_port());
                if let Fragment::First(ident) = net.fragment {
                    self.fragments.first(net.fragment_key(ident), sport, dport);
                }
                self.account(net, sport, dport, None);
                if net.fragment == Fragment::No {
                    identity::udp(self, net, sport, dport, udp.payload());
                }
                Ok(())
            }
            IpProtocol::ICMPV6 => {
                let icmp = wire::icmpv6::Packet::new_checked(net.transport)?;
                self.account(net, 0, 0, None);
                identity::icmpv6(self, net, &icmp);
                Ok(())
            }
            IpProtocol::ICMP => {
                wire::icmpv4::Packet::new_checked(net.transport)?;
                self.account(net, 0, 0, None);
                Ok(())
            }
            _ => {
                self.account(net, 0, 0, None);
                Ok(())
            }
        }
    }

    #[inline(always)]
    fn account(&mut self, net: &Net<'_>, sport: u16, dport: u16, tcp: Option<TcpSegment<'_>>) {
        let (key, dir) = FlowKey::new(
            Transport::Ip(net.protocol.0),
            pack_vlans(net.vlans[0], net.vlans[1]),
            net.src,
            sport,
            net.dst,
            dport,
        );
        let pkt = PacketInfo {
            ts: net.ts,
            key,
            dir,
            src_mac: net.src_mac,
            captured_len: net.captured_len,
            tcp,
        };
        self.flows.process(&pkt, &mut ());
    }
}

/// Why a frame was dropped.
pub(crate) enum Drop {
    Malformed(Malformed),
    Unsupported(Unsupported),
}

impl From<Malformed> for Drop {
    fn from(m: Malformed) -> Self {
        Self::Malformed(m)
    }
}
