//! Sensor counters: what was seen, decoded, dropped and why.

use std::collections::BTreeMap;

use flow::FlowStats;

/// IP fragment handling counters.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FragmentStats {
    /// Fragments seen (IPv4 and IPv6).
    pub packets: u64,
    /// Later fragments attributed to their flow through the first fragment's ports.
    pub matched: u64,
    /// Later fragments whose first fragment was not seen (or was forgotten): counted only.
    pub unmatched: u64,
}

/// Identity messages decoded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IdentityStats {
    /// ARP packets.
    pub arp: u64,
    /// IPv6 Neighbor Discovery messages.
    pub neighbor_discovery: u64,
    /// DHCPv4 / BOOTP messages.
    pub dhcp: u64,
    /// DNS, mDNS and LLMNR messages.
    pub dns: u64,
}

/// Everything the sensor counts. Every frame is exactly one of decoded, malformed or
/// unsupported: `packets == decoded + Σ malformed + Σ unsupported`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SensorStats {
    /// Frames read.
    pub packets: u64,
    /// Captured bytes of those frames.
    pub bytes: u64,
    /// Frames decoded down to their last layer we handle.
    pub decoded: u64,
    /// Frames whose IP packet was cut short by the capture's snap length (still decoded).
    pub snaplen_truncated: u64,
    /// Frames rejected, by reason (`ipv4_bad_header_length`, …).
    pub malformed: BTreeMap<&'static str, u64>,
    /// Frames not decoded because we do not handle them (`link_type_147`, …).
    pub unsupported: BTreeMap<String, u64>,
    /// Messages inside decoded frames that were malformed (DHCP, DNS, ND options): the frame
    /// still counts as decoded; the message is counted here by reason.
    pub malformed_messages: BTreeMap<&'static str, u64>,
    /// IP fragments.
    pub fragments: FragmentStats,
    /// Identity protocol messages.
    pub identity: IdentityStats,
    /// Flow table and reassembly.
    pub flows: FlowStats,
    /// Application protocols: per protocol, flows recognised, messages, malformed reasons,
    /// anomalies and limits hit.
    pub app: BTreeMap<&'static str, proto::ProtocolCounters>,
}
