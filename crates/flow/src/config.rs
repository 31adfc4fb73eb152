//! Limits of the flow table (CONVENTIONS §6). Every field has the documented default.

use crate::reassembly::ReassemblyConfig;

/// Flow-table limits and timeouts. Durations are in nanoseconds of capture time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FlowConfig {
    /// Most flows held at once; when full, the least recently active flow is evicted
    /// (`flows.evicted.capacity`). Default 1,000,000 (CONVENTIONS §6).
    pub max_flows: usize,
    /// Idle timeout of an established TCP flow (default 300 s).
    pub tcp_established_idle: i64,
    /// Idle timeout of a TCP flow that is opening, closing or closed (default 30 s).
    pub tcp_other_idle: i64,
    /// Idle timeout of a UDP flow (default 60 s).
    pub udp_idle: i64,
    /// Idle timeout of any other flow: ICMP, other IP protocols, link-only (default 30 s).
    pub other_idle: i64,
    /// A flow open longer than this is emitted and its record restarted (default 30 min).
    pub active_timeout: i64,
    /// TCP reassembly limits.
    pub reassembly: ReassemblyConfig,
}

const SECOND: i64 = 1_000_000_000;

impl Default for FlowConfig {
    fn default() -> Self {
        Self {
            max_flows: 1_000_000,
            tcp_established_idle: 300 * SECOND,
            tcp_other_idle: 30 * SECOND,
            udp_idle: 60 * SECOND,
            other_idle: 30 * SECOND,
            active_timeout: 30 * 60 * SECOND,
            reassembly: ReassemblyConfig::default(),
        }
    }
}
