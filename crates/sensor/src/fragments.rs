//! Attributing IP fragments to flows without reassembling them.
//!
//! Only the first fragment of a packet carries the transport header, so later fragments have
//! no ports. The first fragment's ports are remembered under (source, destination, protocol,
//! identification) — the fields RFC 791 §3.2 and RFC 8200 §4.5 use to group fragments — and
//! later fragments look them up. The memory is a fixed direct-mapped table: bounded whatever
//! the input, no allocation per packet; a collision forgets the older packet, whose remaining
//! fragments are then counted as unmatched.
//!
//! Payload is not reassembled: a DHCP or DNS message split across fragments is not parsed
//! (counted in `fragments`). Fragments are rare in the captures this sensor serves.

use std::hash::{BuildHasher, Hash};

use flow::FlowAddr;
use foldhash::fast::FixedState;

/// Slots in the table (power of two). 4096 packets in flight is far above what a LAN
/// sensor sees between a first fragment and its last.
const SLOTS: usize = 4096;

/// What identifies the fragments of one IP packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) struct FragmentKey {
    pub src: FlowAddr,
    pub dst: FlowAddr,
    pub protocol: u8,
    pub ident: u32,
}

#[derive(Debug)]
pub(crate) struct FragmentTracker {
    slots: Vec<Option<(FragmentKey, u16, u16)>>,
    hasher: FixedState,
}

impl Default for FragmentTracker {
    fn default() -> Self {
        Self {
            slots: vec![None; SLOTS],
            hasher: FixedState::default(),
        }
    }
}

impl FragmentTracker {
    fn slot(&self, key: &FragmentKey) -> usize {
        let mut h = self.hasher.build_hasher();
        key.hash(&mut h);
        (std::hash::Hasher::finish(&h) as usize) & (SLOTS - 1)
    }

    /// Remembers the ports of a first fragment.
    pub(crate) fn first(&mut self, key: FragmentKey, src_port: u16, dst_port: u16) {
        let i = self.slot(&key);
        self.slots[i] = Some((key, src_port, dst_port));
    }

    /// The ports of a later fragment's packet, if its first fragment was seen.
    pub(crate) fn later(&self, key: &FragmentKey) -> Option<(u16, u16)> {
        match self.slots[self.slot(key)] {
            Some((k, s, d)) if k == *key => Some((s, d)),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(ident: u32) -> FragmentKey {
        FragmentKey {
            src: FlowAddr::v4([10, 0, 0, 1]),
            dst: FlowAddr::v4([10, 0, 0, 2]),
            protocol: 17,
            ident,
        }
    }

    #[test]
    fn later_fragments_find_first_fragment_ports() {
        let mut t = FragmentTracker::default();
        t.first(key(7), 5353, 53);
        assert_eq!(t.later(&key(7)), Some((5353, 53)));
        assert_eq!(t.later(&key(8)), None);
    }
}
