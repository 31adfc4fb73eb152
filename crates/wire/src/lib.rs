//! Packet formats as zero-copy views plus owned, validated representations.
//!
//! Each format lives in its own module and exports a `Packet<T: AsRef<[u8]>>` view over any
//! byte buffer and a `Repr` with `parse`, `buffer_len` and `emit` (smoltcp's `wire` shape).
//! `Packet::new_checked` validates every length the accessors rely on, once: **no getter panics
//! after `new_checked` succeeds**. Every failure is a [`Malformed`] reason with a stable
//! snake_case name, so a sensor can count why packets were dropped.
//!
//! This crate does no I/O and depends only on `model` (for shared address types).
#![forbid(unsafe_code)]
#![deny(missing_docs)]

mod bytes;
mod malformed;

pub mod arp;
pub mod cursor;
pub mod dhcpv4;
pub mod dns;
pub mod ethernet;
pub mod icmpv4;
pub mod icmpv6;
pub mod ieee80211;
pub mod ipv4;
pub mod ipv6;
pub mod radiotap;
pub mod sll;
pub mod sll2;
pub mod tcp;
pub mod text;
pub mod udp;
pub mod vlan;

pub use malformed::Malformed;
