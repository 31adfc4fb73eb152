//! Bidirectional flows and TCP stream reassembly.
//!
//! [`FlowTable`] tracks conversations keyed on the 5-tuple plus VLAN ([`FlowKey`]), with a
//! bounded number of entries, per-state idle timeouts, an active timeout that splits long
//! records, and a named eviction rule (least recently active first) when full. Every limit is
//! a field of [`FlowConfig`] and every time one is hit a counter in [`FlowStats`] goes up.
//! Finished flows come out as [`model::FlowObservation`]s.
//!
//! For TCP, each direction is reassembled ([`reassembly`]) for its first bytes (64 KiB by
//! default): in-order data is handed to a [`StreamSink`] without copying; out-of-order segments
//! are held in a bounded buffer; retransmissions, overlaps and gaps are counted.
//!
//! This crate never allocates per packet in the common case and knows nothing of packet
//! formats: the sensor decodes, this crate keeps state. It depends only on `model`.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod config;
mod key;
mod lru;
pub mod reassembly;
mod table;

pub use config::FlowConfig;
pub use key::{FlowAddr, FlowKey, KeyDirection, pack_vlans};
pub use reassembly::{Delivery, ReassemblyConfig, ReassemblyStats, StreamSink};
pub use table::{FlowApp, FlowId, FlowMeta, FlowStats, FlowTable, PacketInfo, TcpSegment};
