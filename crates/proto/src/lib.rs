//! Application protocol parsers: what each device says about itself in its own protocols, and
//! where patient data or passwords cross the network in cleartext.
//!
//! The sensor delivers each flow's reassembled TCP bytes and UDP datagrams per side (client or
//! server) into the flow's [`AppSlot`], which probes the registered parsers by content (ports
//! are hints only), then drives the one that recognised the flow through the [`AppParser`]
//! interface until it says it is done. Parsers write through one handle, [`Out`]: identity
//! facts, software seen, anomalies and exposures as [`model::Observation`]s, EVE-shaped
//! events, and per-protocol counters, all into the sensor's [`Collector`].
//!
//! Every registered protocol is listed once, in `registry.rs` ([`PROTOCOLS`]). Each protocol is
//! a folder: `mod.rs` (its `AppParser`), pure parsing files over `&[u8]`, `tests.rs` with
//! annotated fixtures; `template/` is the one to copy.
//!
//! Guarantees: no panic on any input (bounds-checked reads through [`wire::cursor::Reader`]),
//! bounded memory per flow (one message per side at most [`buffer::MAX_MESSAGE`]), and no
//! patient value, password, community string or cookie in any observation or event: names,
//! counts and presence only. Depends on `model` and `wire`; never on the store.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod buffer;
pub mod emit;
mod out;
mod parser;
mod registry;
mod session;
#[cfg(test)]
mod testing;

#[doc(hidden)]
pub mod fuzzing;

// Protocols, in registry order (registry.rs is the list that counts).
mod bacnet;
mod dhcpv6;
mod dicom;
mod ftp;
mod hl7;
mod http;
mod imap;
mod modbus;
mod mqtt;
mod netbios_ns;
mod ntp;
mod poct1a;
mod pop3;
mod smtp;
mod snmp;
mod ssdp;
mod ssh;
mod syslog;
mod telnet;
#[allow(dead_code)]
mod template;
mod tls;
mod wsdiscovery;

// Link-layer discovery protocols: frames, not flows.
pub mod cdp;
pub mod lldp;

pub use out::{Collector, Out, ProtocolCounters, text_value};
pub use parser::{AppParser, FlowCtx, Probe, Transports, Verdict};
pub use registry::PROTOCOLS;
pub use session::AppSlot;
