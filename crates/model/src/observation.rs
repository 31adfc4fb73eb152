//! Observations: timestamped, typed facts about endpoints, produced by the sensor half and
//! consumed by the brain half. They never carry patient values or secrets.

use std::net::IpAddr;

use crate::{MacAddr, Timestamp};

/// A fact the sensor saw on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Observation {
    /// A flow ended (closed, timed out, evicted, or the input ended): its endpoints and counters.
    Flow(FlowObservation),
    /// A DHCPv4 message (RFC 2131) with the identity options it carried.
    /// Boxed: it is twice the size of a flow record, and flow records (by far the most
    /// frequent observation) are moved through vectors of this enum.
    Dhcp(Box<DhcpObservation>),
    /// An address binding: `mac` answered for or announced `ip` (ARP sender, IPv6 ND
    /// source/target link-layer option, DHCP lease).
    Binding {
        /// When it was seen.
        ts: Timestamp,
        /// VLAN the frame carried (innermost tag), if any.
        vlan: Option<u16>,
        /// The station that holds the address.
        mac: MacAddr,
        /// The address it holds.
        ip: IpAddr,
        /// Which protocol said so.
        source: BindingSource,
    },
    /// A name bound to an address (DNS/mDNS/LLMNR answer, PTR) or asked for (query).
    Name(NameObservation),
    /// What an application protocol said (software, identity fact, anomaly, exposure).
    /// Boxed like DHCP: rarer than flow records and larger.
    App(Box<crate::AppObservation>),
}

/// Which protocol produced a [`Observation::Binding`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BindingSource {
    /// ARP request or reply sender fields (RFC 826).
    Arp,
    /// IPv6 Neighbor Discovery link-layer address option (RFC 4861 §4.6.1).
    NeighborDiscovery,
}

/// Transport protocol of a flow: the IP protocol number, or a link-layer-only conversation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Transport {
    /// IP protocol number (6 TCP, 17 UDP, 1 ICMP, 58 ICMPv6, …).
    Ip(u8),
    /// A non-IP frame conversation, keyed by EtherType (ARP 0x0806, LLDP 0x88cc, …).
    Link(u16),
}

impl Transport {
    /// TCP.
    pub const TCP: Self = Self::Ip(6);
    /// UDP.
    pub const UDP: Self = Self::Ip(17);

    /// Stable short name used in services and reports.
    pub fn name(self) -> String {
        match self {
            Self::Ip(6) => "tcp".into(),
            Self::Ip(17) => "udp".into(),
            Self::Ip(1) => "icmp".into(),
            Self::Ip(58) => "icmpv6".into(),
            Self::Ip(132) => "sctp".into(),
            Self::Ip(p) => format!("ip-proto-{p}"),
            Self::Link(0x0806) => "arp".into(),
            Self::Link(e) => format!("ethertype-0x{e:04x}"),
        }
    }
}

/// One side of a flow.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Endpoint {
    /// Link-layer address, when the link type has one.
    pub mac: Option<MacAddr>,
    /// Network address (absent for link-only conversations).
    pub ip: Option<IpAddr>,
    /// Transport port (0 when the transport has none).
    pub port: u16,
}

/// Why a flow record was emitted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FlowEnd {
    /// No packet for the idle timeout of its state.
    Idle,
    /// Open longer than the active timeout: the record is split, the flow continues.
    ActiveTimeout,
    /// Evicted to make room when the table was full (least recently active first).
    Capacity,
    /// The input ended with the flow still open.
    EndOfInput,
}

impl FlowEnd {
    /// Stable snake_case name used in flow records.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Idle => "idle",
            Self::ActiveTimeout => "active_timeout",
            Self::Capacity => "capacity",
            Self::EndOfInput => "end_of_input",
        }
    }
}

/// A finished (or split) flow record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowObservation {
    /// The flow table's id (EVE `flow_id`; application observations refer to it).
    pub id: u64,
    /// Application protocol a parser recognised on the flow (`tls`, `hl7`, …), if any.
    pub app: Option<&'static str>,
    /// VLAN id of the innermost tag (802.1Q C-tag): the zone.
    pub vlan: Option<u16>,
    /// Transport protocol.
    pub transport: Transport,
    /// The side that sent the first packet seen (for TCP, the SYN sender when seen).
    pub client: Endpoint,
    /// The other side.
    pub server: Endpoint,
    /// First packet time.
    pub first_seen: Timestamp,
    /// Last packet time.
    pub last_seen: Timestamp,
    /// Packets client → server.
    pub client_packets: u64,
    /// Captured bytes client → server (frame lengths as captured).
    pub client_bytes: u64,
    /// Packets server → client.
    pub server_packets: u64,
    /// Captured bytes server → client.
    pub server_bytes: u64,
    /// Highest IPv4 TTL / IPv6 hop limit the client's packets arrived with (0: none, or not
    /// IP). A host sends with an initial value (64, 128, 255); one hop lower means a router
    /// forwarded it onto the captured segment.
    pub client_ttl: u8,
    /// The same for the server's packets.
    pub server_ttl: u8,
    /// Why the record was emitted.
    pub end: FlowEnd,
}

/// DHCPv4 message type (option 53, RFC 2132 §9.6), kept total: unknown values are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DhcpMessageType(pub u8);

impl DhcpMessageType {
    /// DHCPDISCOVER.
    pub const DISCOVER: Self = Self(1);
    /// DHCPOFFER.
    pub const OFFER: Self = Self(2);
    /// DHCPREQUEST.
    pub const REQUEST: Self = Self(3);
    /// DHCPDECLINE.
    pub const DECLINE: Self = Self(4);
    /// DHCPACK.
    pub const ACK: Self = Self(5);
    /// DHCPNAK.
    pub const NAK: Self = Self(6);
    /// DHCPRELEASE.
    pub const RELEASE: Self = Self(7);
    /// DHCPINFORM.
    pub const INFORM: Self = Self(8);
}

/// The identity content of one DHCPv4 message. Strings are lossy UTF-8, truncated to the
/// wire-string limit (CONVENTIONS §6).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DhcpObservation {
    /// When it was seen.
    pub ts: Timestamp,
    /// The client's VLAN: the frame's (innermost tag) when the client itself sent the frame
    /// (source MAC = chaddr); `None` for relayed or routed copies and servers' answers.
    pub vlan: Option<u16>,
    /// Client hardware address (chaddr), when htype is Ethernet.
    pub client_mac: Option<MacAddr>,
    /// BOOTREQUEST (op 1): sent by the client, so its options describe the client.
    pub is_request: bool,
    /// Option 53; `None` for plain BOOTP.
    pub message_type: Option<DhcpMessageType>,
    /// ciaddr, when non-zero.
    pub client_ip: Option<IpAddr>,
    /// yiaddr, when non-zero (the address offered or leased).
    pub your_ip: Option<IpAddr>,
    /// Option 12 host name.
    pub hostname: Option<String>,
    /// Option 50 requested IP address.
    pub requested_ip: Option<IpAddr>,
    /// Option 54 server identifier.
    pub server_id: Option<IpAddr>,
    /// Option 55 parameter request list, in the client's order (an OS fingerprint).
    pub param_request_list: Option<Vec<u8>>,
    /// Option 57 maximum DHCP message size.
    pub max_message_size: Option<u16>,
    /// Option 60 vendor class identifier.
    pub vendor_class: Option<String>,
    /// Option 61 client identifier, as lowercase hex (type byte first).
    pub client_id: Option<String>,
    /// Option 81 client FQDN (RFC 4702), domain name part.
    pub fqdn: Option<String>,
    /// Option 1 subnet mask, in a server's answer.
    pub subnet_mask: Option<IpAddr>,
    /// Option 3, the client's first (preferred) router, in a server's answer.
    pub router: Option<IpAddr>,
}

/// Which protocol produced a [`NameObservation`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum NameSource {
    /// Unicast DNS (RFC 1035).
    Dns,
    /// Multicast DNS (RFC 6762), UDP 5353.
    Mdns,
    /// LLMNR (RFC 4795), UDP 5355.
    Llmnr,
}

impl NameSource {
    /// Stable name used in reports.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Dns => "dns",
            Self::Mdns => "mdns",
            Self::Llmnr => "llmnr",
        }
    }
}

/// A DNS-family name seen on the wire.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NameObservation {
    /// `asker` asked for `name` (question section of a query).
    Query {
        /// When.
        ts: Timestamp,
        /// VLAN of the frame.
        vlan: Option<u16>,
        /// The querying endpoint (source of the query packet).
        asker: Endpoint,
        /// Name asked for, lowercase, without trailing dot.
        name: String,
        /// Protocol.
        source: NameSource,
    },
    /// An answer record bound `name` to `ip` (A/AAAA, or PTR read in reverse).
    Answer {
        /// When.
        ts: Timestamp,
        /// VLAN of the frame.
        vlan: Option<u16>,
        /// The endpoint that sent the answer (for mDNS, usually the named host itself).
        responder: Endpoint,
        /// The name, lowercase, without trailing dot.
        name: String,
        /// The address the name resolves to.
        ip: IpAddr,
        /// Protocol.
        source: NameSource,
    },
}
