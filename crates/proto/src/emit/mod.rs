//! Emitters: the bytes a device would send, built from owned descriptions — what the hospital
//! simulator (`sim`) puts on its wire, and what the parsers' round-trip tests feed back in
//! (`tests.rs`: every emitter's output, parsed, gives back the facts it was built from).
//!
//! Each emitter appends to a `Vec<u8>` and follows the standard it cites field by field. They
//! write well-formed messages only: the parsers' tests keep building the malformed ones by hand.

pub mod bacnet;
pub mod dicom;
pub mod hl7;
pub mod http;
pub mod lldp;
pub mod modbus;
pub mod snmp;
pub mod ssdp;
pub mod tls;

#[cfg(test)]
mod tests;
