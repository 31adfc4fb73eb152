//! The sensor pipeline: frames from a [`capture::PacketSource`] ([`Sensor::run`]) are decoded
//! with `wire`, accounted in a [`flow::FlowTable`] whose entries carry each flow's
//! application-layer state, handed per side to the `proto` parsers, and turned into
//! [`model::Observation`]s (finished flows, DHCP, ARP / Neighbor Discovery bindings, DNS-family
//! names, application facts, software, anomalies, exposures) and, when asked, application
//! events.
//!
//! Guarantees: no panic on any input; every frame ends up counted exactly once as decoded,
//! malformed (by reason) or unsupported (by what); memory is bounded by the limits in
//! [`SensorConfig`]; the common per-packet path does not allocate.
//!
//! The sensor half never sees the store: observations are handed to the caller.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod decode;
mod fast;
mod fragments;
mod identity;
mod pipeline;
mod run;
mod stats;

pub use pipeline::{Sensor, SensorConfig};
pub use run::SourceRun;
pub use stats::{FragmentStats, IdentityStats, SensorStats};
