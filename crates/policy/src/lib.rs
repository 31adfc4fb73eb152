//! Network policy over the inventory (DESIGN §3 `policy`): which zone each device and address
//! is in, which conversations cross between zones, and which crossings no conduit allows
//! (`segmentation_violation`), and which destinations are on blocklists
//! (`blocklisted_destination`), and which devices behave unusually (`port_scan`, `beaconing`,
//! `new_external_destination`).
//!
//! Like the rest of the brain half it reads observations and devices, never packets, and
//! depends on `model` alone.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod behaviour;
mod blocklist;
mod propose;
mod segmentation;
mod traffic;
mod zones;

pub use behaviour::{BehaviourConfig, BehaviourTracker};
pub use blocklist::{
    Blocklist, BlocklistError, Indicator, IndicatorValue, parse as parse_blocklist,
};
pub use propose::{ProposedZone, kind_for_category, propose};
pub use segmentation::{ConduitError, DefaultAction, SegmentationPolicy};
pub use traffic::{TrafficConfig, TrafficStats, TrafficTable};
pub use zones::{ZoneError, ZoneMap};
