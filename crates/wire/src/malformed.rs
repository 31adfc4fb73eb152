//! Why a packet could not be decoded: one reason per failure, each with a stable counter name.

/// A decoding failure. `as_str()` gives the stable snake_case name used as the counter key in
/// `stats.malformed`; add variants freely, never rename one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Malformed {
    /// Ethernet frame shorter than its 14-byte header.
    EthernetTruncated,
    /// 802.1Q/802.1ad tag cut short.
    VlanTruncated,
    /// More stacked VLAN tags than the decoder follows.
    VlanTooManyTags,
    /// Linux cooked (SLL) header cut short.
    SllTruncated,
    /// Linux cooked v2 (SLL2) header cut short.
    Sll2Truncated,
    /// BSD loopback (NULL/LOOP) address-family header cut short.
    LoopbackTruncated,
    /// PPPoE session header cut short.
    PppoeTruncated,
    /// MPLS label stack cut short.
    MplsTruncated,
    /// More MPLS labels than the decoder follows.
    MplsTooManyLabels,
    /// Radiotap header cut short or its length field is inconsistent.
    RadiotapTruncated,
    /// Radiotap version is not 0.
    RadiotapBadVersion,
    /// 802.11 MAC header cut short.
    Ieee80211Truncated,
    /// 802.2 LLC/SNAP header cut short.
    LlcTruncated,
    /// ARP packet cut short.
    ArpTruncated,
    /// ARP hardware/protocol lengths do not fit Ethernet/IPv4.
    ArpUnsupportedAddressLength,
    /// IPv4 packet shorter than 20 bytes.
    Ipv4Truncated,
    /// IPv4 version field is not 4.
    Ipv4BadVersion,
    /// IPv4 IHL below 5 or beyond the packet.
    Ipv4BadHeaderLength,
    /// IPv4 total length smaller than the header or larger than the captured data.
    Ipv4BadTotalLength,
    /// IPv4 options malformed.
    Ipv4BadOptions,
    /// IPv6 packet shorter than 40 bytes.
    Ipv6Truncated,
    /// IPv6 version field is not 6.
    Ipv6BadVersion,
    /// IPv6 payload length larger than the captured data.
    Ipv6BadPayloadLength,
    /// An IPv6 extension header is cut short or its length runs past the packet.
    Ipv6ExtensionTruncated,
    /// More IPv6 extension headers than the decoder follows.
    Ipv6TooManyExtensions,
    /// TCP segment shorter than 20 bytes.
    TcpTruncated,
    /// TCP data offset below 5 or beyond the segment.
    TcpBadDataOffset,
    /// TCP options malformed (length byte zero or past the header).
    TcpBadOptions,
    /// UDP datagram shorter than 8 bytes.
    UdpTruncated,
    /// UDP length field smaller than 8 or larger than the captured data.
    UdpBadLength,
    /// ICMP message shorter than its 4-byte header (or its type's fixed part).
    IcmpTruncated,
    /// ICMPv6 message cut short (header or type's fixed part).
    Icmpv6Truncated,
    /// ICMPv6 Neighbor Discovery option with length 0 or running past the message.
    Icmpv6BadNdOption,
    /// DHCP/BOOTP message shorter than its 236-byte fixed part.
    DhcpTruncated,
    /// DHCP options area malformed (option runs past the message).
    DhcpBadOptions,
    /// DHCP magic cookie missing (plain BOOTP is not an error; a wrong cookie is).
    DhcpBadMagicCookie,
    /// DNS message shorter than its 12-byte header.
    DnsTruncated,
    /// DNS name malformed: label too long, name too long, bad label type.
    DnsBadName,
    /// DNS compression pointer loop or forward pointer.
    DnsPointerLoop,
    /// DNS resource record runs past the message.
    DnsBadRecord,
}

impl Malformed {
    /// Stable snake_case counter name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::EthernetTruncated => "ethernet_truncated",
            Self::VlanTruncated => "vlan_truncated",
            Self::VlanTooManyTags => "vlan_too_many_tags",
            Self::SllTruncated => "sll_truncated",
            Self::Sll2Truncated => "sll2_truncated",
            Self::LoopbackTruncated => "loopback_truncated",
            Self::PppoeTruncated => "pppoe_truncated",
            Self::MplsTruncated => "mpls_truncated",
            Self::MplsTooManyLabels => "mpls_too_many_labels",
            Self::RadiotapTruncated => "radiotap_truncated",
            Self::RadiotapBadVersion => "radiotap_bad_version",
            Self::Ieee80211Truncated => "ieee80211_truncated",
            Self::LlcTruncated => "llc_truncated",
            Self::ArpTruncated => "arp_truncated",
            Self::ArpUnsupportedAddressLength => "arp_unsupported_address_length",
            Self::Ipv4Truncated => "ipv4_truncated",
            Self::Ipv4BadVersion => "ipv4_bad_version",
            Self::Ipv4BadHeaderLength => "ipv4_bad_header_length",
            Self::Ipv4BadTotalLength => "ipv4_bad_total_length",
            Self::Ipv4BadOptions => "ipv4_bad_options",
            Self::Ipv6Truncated => "ipv6_truncated",
            Self::Ipv6BadVersion => "ipv6_bad_version",
            Self::Ipv6BadPayloadLength => "ipv6_bad_payload_length",
            Self::Ipv6ExtensionTruncated => "ipv6_extension_truncated",
            Self::Ipv6TooManyExtensions => "ipv6_too_many_extensions",
            Self::TcpTruncated => "tcp_truncated",
            Self::TcpBadDataOffset => "tcp_bad_data_offset",
            Self::TcpBadOptions => "tcp_bad_options",
            Self::UdpTruncated => "udp_truncated",
            Self::UdpBadLength => "udp_bad_length",
            Self::IcmpTruncated => "icmp_truncated",
            Self::Icmpv6Truncated => "icmpv6_truncated",
            Self::Icmpv6BadNdOption => "icmpv6_bad_nd_option",
            Self::DhcpTruncated => "dhcp_truncated",
            Self::DhcpBadOptions => "dhcp_bad_options",
            Self::DhcpBadMagicCookie => "dhcp_bad_magic_cookie",
            Self::DnsTruncated => "dns_truncated",
            Self::DnsBadName => "dns_bad_name",
            Self::DnsPointerLoop => "dns_pointer_loop",
            Self::DnsBadRecord => "dns_bad_record",
        }
    }
}

impl std::fmt::Display for Malformed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl std::error::Error for Malformed {}
