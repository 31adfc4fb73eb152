//! Network policy over the inventory (DESIGN §3 `policy`): which zone each device and address
//! is in, and which conversations cross between zones.
//!
//! Like the rest of the brain half it reads observations and devices, never packets, and
//! depends on `model` alone.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod traffic;
mod zones;

pub use traffic::{TrafficConfig, TrafficStats, TrafficTable};
pub use zones::{ZoneError, ZoneMap};
