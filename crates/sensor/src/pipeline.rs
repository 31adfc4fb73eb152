//! The per-frame pipeline.

use std::collections::HashMap;

use capture::{Frame, LinkType};
use flow::{
    Delivery, FlowAddr, FlowApp, FlowConfig, FlowId, FlowKey, FlowMeta, FlowTable, PacketInfo,
    StreamSink, TcpSegment, pack_vlans,
};
use foldhash::fast::FixedState;
use model::{
    AppEvent, Endpoint, FlowObservation, FlowRef, MacAddr, Observation, Side, Timestamp, Transport,
};
use proto::{AppSlot, Collector, FlowCtx, Verdict};
use wire::Malformed;
use wire::ipv4::IpProtocol;

use crate::decode::{self, ETHERTYPE_ARP, ETHERTYPE_IPV4, ETHERTYPE_IPV6, Link, LinkError};
use crate::fast;
use crate::fragments::{FragmentKey, FragmentTracker};
use crate::identity;
use crate::stats::SensorStats;

/// Sensor limits and switches. Each field's default is documented where it is defined.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SensorConfig {
    /// Flow table and reassembly limits.
    pub flow: FlowConfig,
    /// Run the application-layer parsers (default on; off measures what they cost).
    pub app_layer: bool,
    /// Build application events (default off: only `--events` needs them).
    pub events: bool,
}

impl Default for SensorConfig {
    fn default() -> Self {
        Self {
            flow: FlowConfig::default(),
            app_layer: true,
            events: false,
        }
    }
}

/// The application-layer state of one flow, kept in the flow table's entry.
#[derive(Debug, Default)]
pub(crate) struct AppState(AppSlot);

impl FlowApp for AppState {
    fn app_name(&self) -> Option<&'static str> {
        self.0.app_name()
    }
}

/// The flow table's sink: hands each flow's bytes to its [`AppSlot`].
struct AppSink<'a> {
    collector: &'a mut Collector,
}

fn flow_ctx(meta: &FlowMeta) -> FlowCtx {
    FlowCtx {
        transport: meta.key.transport,
        client_port: meta.port(Side::Client),
        server_port: meta.port(Side::Server),
    }
}

fn delivery(v: Verdict) -> Delivery {
    match v {
        Verdict::Continue => Delivery::Continue,
        Verdict::Done => Delivery::Stop,
        Verdict::Depth(n) => Delivery::Depth(n),
    }
}

impl StreamSink<AppState> for AppSink<'_> {
    fn data(
        &mut self,
        flow: &FlowMeta,
        app: &mut AppState,
        side: Side,
        ts: Timestamp,
        _offset: u32,
        data: &[u8],
    ) -> Delivery {
        delivery(app.0.data(
            || flow.flow_ref(),
            flow_ctx(flow),
            side,
            ts,
            data,
            self.collector,
        ))
    }

    fn gap(
        &mut self,
        _flow: &FlowMeta,
        app: &mut AppState,
        side: Side,
        ts: Timestamp,
        _offset: u32,
        len: u32,
    ) -> Delivery {
        delivery(app.0.gap(side, ts, len, self.collector))
    }

    fn datagram(
        &mut self,
        flow: &FlowMeta,
        app: &mut AppState,
        side: Side,
        ts: Timestamp,
        data: &[u8],
    ) -> Delivery {
        delivery(app.0.datagram(
            || flow.flow_ref(),
            flow_ctx(flow),
            side,
            ts,
            data,
            self.collector,
        ))
    }

    fn end(&mut self, _flow: &FlowMeta, app: &mut AppState, ts: Timestamp) {
        app.0.end(ts, self.collector);
    }
}

/// The output handle of the packet-level identity decoders (ARP, ND, DHCP, DNS family): they
/// see this, not the whole sensor.
pub(crate) struct IdentityOut<'a> {
    collector: &'a mut Collector,
    pub stats: &'a mut crate::stats::IdentityStats,
    malformed_messages: &'a mut HashMap<Malformed, u64, FixedState>,
}

impl IdentityOut<'_> {
    pub(crate) fn emit(&mut self, obs: Observation) {
        self.collector.emit(obs);
    }

    pub(crate) fn message_malformed(&mut self, reason: Malformed) {
        *self.malformed_messages.entry(reason).or_default() += 1;
    }

    /// True when the fact with fingerprint `h` was emitted recently; records it otherwise.
    pub(crate) fn seen_recently(&mut self, h: u64) -> bool {
        self.collector.seen_recently(h)
    }

    /// Whether `--events` asked for events (build them only then).
    pub(crate) fn events_enabled(&self) -> bool {
        self.collector.events_enabled()
    }

    /// Adds an event (dropped when events are off).
    pub(crate) fn event(&mut self, event: AppEvent) {
        self.collector.event(event);
    }

    /// An application-layer handle for facts a packet-level decoder finds (mDNS DNS-SD).
    pub(crate) fn app<'b>(
        &'b mut self,
        flow: &'b FlowRef,
        ts: Timestamp,
        protocol: &'static str,
    ) -> proto::Out<'b> {
        proto::Out::new(self.collector, flow, ts, protocol)
    }
}

/// Decodes frames, keeps flows, and emits observations. See the crate docs.
#[derive(Debug)]
pub struct Sensor {
    flows: FlowTable<AppState>,
    app_layer: bool,
    fragments: FragmentTracker,
    stats: SensorStats,
    malformed: HashMap<Malformed, u64, FixedState>,
    malformed_messages: HashMap<Malformed, u64, FixedState>,
    unsupported: HashMap<Unsupported, u64, FixedState>,
    /// Observations, events and protocol counters of parsers and identity decoders.
    collector: Collector,
}

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
    /// IPv4 TTL or IPv6 hop limit.
    pub ttl: u8,
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
            app_layer: config.app_layer,
            fragments: FragmentTracker::default(),
            stats: SensorStats::default(),
            malformed: HashMap::default(),
            malformed_messages: HashMap::default(),
            unsupported: HashMap::default(),
            collector: Collector::new(config.events),
        }
    }

    fn identity_out(&mut self) -> IdentityOut<'_> {
        IdentityOut {
            collector: &mut self.collector,
            stats: &mut self.stats.identity,
            malformed_messages: &mut self.malformed_messages,
        }
    }

    /// Takes one frame.
    #[inline]
    pub fn process(&mut self, frame: &Frame<'_>) {
        self.stats.packets += 1;
        self.stats.bytes += frame.data.len() as u64;
        let decoded = match fast_ipv4(frame) {
            Some(ip) => self.ipv4_fast(frame.ts, frame.data.len() as u32, &ip),
            None => self.frame(frame),
        };
        match decoded {
            Ok(()) => self.stats.decoded += 1,
            Err(Dropped::Malformed(m)) => *self.malformed.entry(m).or_default() += 1,
            Err(Dropped::Unsupported(u)) => *self.unsupported.entry(u).or_default() += 1,
        }
    }

    /// What was observed since the last [`Self::clear_observations`]: the application and
    /// identity observations, then the flow records that ended, in that order. Lent, not
    /// handed over: a flow record moved through three vectors on its way to the inventory
    /// cost more than reading it where it lies.
    pub fn observations(&self) -> (&[Observation], &[FlowObservation]) {
        (self.collector.observations(), self.flows.ended())
    }

    /// Forgets what [`Self::observations`] lent (call it once they are read).
    pub fn clear_observations(&mut self) {
        self.collector.clear_observations();
        self.flows.clear_ended();
    }

    /// Application events produced since the last call (only with `SensorConfig::events`).
    pub fn take_events(&mut self) -> Vec<AppEvent> {
        self.collector.take_events()
    }

    /// Advances the capture clock to `now` without a packet, so idle flows expire when
    /// traffic stops (a live sensor calls this on a timer; a capture file never needs to).
    pub fn tick(&mut self, now: Timestamp) {
        if self.app_layer {
            let mut sink = AppSink {
                collector: &mut self.collector,
            };
            self.flows.advance(now, &mut sink);
        } else {
            self.flows.advance(now, &mut ());
        }
    }

    /// The input ended: every open flow is emitted.
    pub fn finish(&mut self) {
        if self.app_layer {
            let mut sink = AppSink {
                collector: &mut self.collector,
            };
            self.flows.finish(&mut sink);
        } else {
            self.flows.finish(&mut ());
        }
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
        stats.app = self.collector.counters();
        stats
    }

    #[inline]
    fn frame(&mut self, frame: &Frame<'_>) -> Result<(), Dropped> {
        let link = decode::decode_link(frame.link_type, frame.data).map_err(|e| match e {
            LinkError::Malformed(m) => Dropped::Malformed(m),
            LinkError::UnsupportedLinkType(n) => Dropped::Unsupported(Unsupported::LinkType(n)),
            LinkError::Ieee80211NoData => Dropped::Unsupported(Unsupported::Ieee80211NoData),
            LinkError::UnsupportedLoopbackFamily => {
                Dropped::Unsupported(Unsupported::LoopbackFamily)
            }
        })?;
        let captured_len = frame.data.len() as u32;
        match link.ethertype {
            ETHERTYPE_IPV4 => self.ipv4(frame.ts, &link, captured_len),
            ETHERTYPE_IPV6 => self.ipv6(frame.ts, &link, captured_len),
            ETHERTYPE_ARP => {
                identity::arp(&mut self.identity_out(), frame.ts, &link)?;
                self.link_only(frame.ts, &link, captured_len);
                Ok(())
            }
            _ => {
                if self.app_layer {
                    self.link_discovery(frame.ts, &link);
                }
                self.link_only(frame.ts, &link, captured_len);
                Ok(())
            }
        }
    }

    /// LLDP and CDP: link-layer announcements of the sender's identity.
    fn link_discovery(&mut self, ts: Timestamp, link: &Link<'_>) {
        let observe: fn(&[u8], &mut proto::Out<'_>) = match link.ethertype {
            decode::ETHERTYPE_LLDP => proto::lldp::observe,
            decode::ETHERTYPE_CDP => proto::cdp::observe,
            _ => return,
        };
        let name = if link.ethertype == decode::ETHERTYPE_LLDP {
            "lldp"
        } else {
            "cdp"
        };
        let Some(src) = link.src_mac else {
            return;
        };
        let flow = FlowRef {
            id: 0,
            transport: Transport::Link(link.ethertype),
            vlan: link.vlans[1].or(link.vlans[0]),
            client: Endpoint {
                mac: Some(src),
                ip: None,
                port: 0,
            },
            server: Endpoint {
                mac: link.dst_mac,
                ip: None,
                port: 0,
            },
        };
        self.collector.count(name, "frames");
        observe(
            link.payload,
            &mut proto::Out::new(&mut self.collector, &flow, ts, name),
        );
    }

    /// Non-IP frames are link-layer conversations keyed by MACs and EtherType.
    fn link_only(&mut self, ts: Timestamp, link: &Link<'_>, captured_len: u32) {
        let Some(src) = link.src_mac else {
            return;
        };
        // The destination MAC is only known for link types that carry it (Ethernet, 802.11);
        // Linux cooked captures carry one address, the sender's.
        let dst = link.dst_mac.unwrap_or(MacAddr::ZERO);
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
            ttl: 0,
            tcp: None,
            datagram: &[],
        };
        self.flows.process(&pkt, &mut ());
    }

    #[inline]
    fn ipv4(&mut self, ts: Timestamp, link: &Link<'_>, captured_len: u32) -> Result<(), Dropped> {
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
            ttl: ip.ttl(),
            protocol,
            transport: ip.payload(),
            fragment,
        };
        self.transport(&net)
    }

    /// The common case, decoded by [`fast::ethernet_ipv4`]: what [`Self::frame`] and
    /// [`Self::ipv4`] make of such a frame, without their checks; and a well-formed TCP
    /// header straight to the flow table, without [`Self::transport`]'s.
    #[inline(always)]
    fn ipv4_fast(
        &mut self,
        ts: Timestamp,
        captured_len: u32,
        ip: &fast::Ipv4<'_>,
    ) -> Result<(), Dropped> {
        let net = Net {
            ts,
            src_mac: Some(ip.src_mac),
            vlans: [None, None],
            src: FlowAddr::v4(ip.src),
            dst: FlowAddr::v4(ip.dst),
            captured_len,
            ttl: ip.ttl,
            protocol: ip.protocol,
            transport: ip.payload,
            fragment: Fragment::No,
        };
        let Some(tcp) = (ip.protocol == IpProtocol::TCP)
            .then(|| fast::tcp(ip.payload))
            .flatten()
        else {
            return self.transport(&net);
        };
        let seg = TcpSegment {
            seq: tcp.seq,
            ack: tcp.ack,
            flags: tcp.flags,
            payload: tcp.payload,
        };
        self.account(&net, tcp.src_port, tcp.dst_port, Some(seg), &[]);
        Ok(())
    }

    #[inline]
    fn ipv6(&mut self, ts: Timestamp, link: &Link<'_>, captured_len: u32) -> Result<(), Dropped> {
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
            ttl: ip.hop_limit(),
            protocol: ext.upper_protocol,
            transport: payload.get(ext.upper_offset..).unwrap_or_default(),
            fragment,
        };
        self.transport(&net)
    }

    #[inline]
    fn transport(&mut self, net: &Net<'_>) -> Result<(), Dropped> {
        if let Fragment::Later(ident) = net.fragment {
            // A later fragment: no transport header. Attribute it through the first one.
            return match self.fragments.later(&net.fragment_key(ident)) {
                Some((sport, dport)) => {
                    self.stats.fragments.matched += 1;
                    self.account(net, sport, dport, None, &[]);
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
                self.account(net, sport, dport, Some(seg), &[]);
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
                        self.identity_out()
                            .message_malformed(Malformed::UdpBadLength);
                        self.account(
                            net,
                            u16::from_be_bytes([s0, s1]),
                            u16::from_be_bytes([d0, d1]),
                            None,
                            &[],
                        );
                        return Ok(());
                    }
                    Err(m) => return Err(m.into()),
                };
                let (sport, dport) = (udp.src_port(), udp.dst_port());
                if let Fragment::First(ident) = net.fragment {
                    self.fragments.first(net.fragment_key(ident), sport, dport);
                }
                // A fragment's payload is incomplete: counted in the flow, not parsed. DHCP
                // and the DNS family have their own decoders (identity.rs): their datagrams,
                // a large share of all UDP, are not offered to the application parsers too.
                let datagram = if net.fragment == Fragment::No && !identity::handles(sport, dport) {
                    udp.payload()
                } else {
                    &[]
                };
                let flow = self.account(net, sport, dport, None, datagram);
                if net.fragment == Fragment::No {
                    let datagram = identity::Datagram {
                        sport,
                        dport,
                        payload: udp.payload(),
                        flow_id: flow.0,
                    };
                    identity::udp(&mut self.identity_out(), net, &datagram);
                }
                Ok(())
            }
            IpProtocol::ICMPV6 => {
                let icmp = wire::icmpv6::Packet::new_checked(net.transport)?;
                self.account(net, 0, 0, None, &[]);
                identity::icmpv6(&mut self.identity_out(), net, &icmp);
                Ok(())
            }
            IpProtocol::ICMP => {
                wire::icmpv4::Packet::new_checked(net.transport)?;
                self.account(net, 0, 0, None, &[]);
                Ok(())
            }
            _ => {
                self.account(net, 0, 0, None, &[]);
                Ok(())
            }
        }
    }

    #[inline(always)]
    fn account(
        &mut self,
        net: &Net<'_>,
        sport: u16,
        dport: u16,
        tcp: Option<TcpSegment<'_>>,
        datagram: &[u8],
    ) -> FlowId {
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
            ttl: net.ttl,
            tcp,
            datagram,
        };
        if self.app_layer {
            let mut sink = AppSink {
                collector: &mut self.collector,
            };
            self.flows.process(&pkt, &mut sink)
        } else {
            self.flows.process(&pkt, &mut ())
        }
    }
}

/// An untagged Ethernet frame's whole IPv4 packet, when the frame is one (see [`fast`]).
#[inline(always)]
fn fast_ipv4<'a>(frame: &Frame<'a>) -> Option<fast::Ipv4<'a>> {
    if frame.link_type == LinkType::ETHERNET {
        fast::ethernet_ipv4(frame.data)
    } else {
        None
    }
}

/// Why a frame was dropped (not `Drop`: that name is `std::ops::Drop`'s).
pub(crate) enum Dropped {
    Malformed(Malformed),
    Unsupported(Unsupported),
}

impl From<Malformed> for Dropped {
    fn from(m: Malformed) -> Self {
        Self::Malformed(m)
    }
}
