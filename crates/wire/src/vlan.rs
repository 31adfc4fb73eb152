//! IEEE 802.1Q VLAN tag (also the 802.1ad S-tag, which has the same layout).
//!
//! The view starts right after the outer EtherType (0x8100, 0x88a8 or 0x9100), at the Tag
//! Control Information, and its payload starts after the inner EtherType:
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! | PCP |D|        VLAN ID        |        inner EtherType        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Stacked tags (Q-in-Q) are decoded by wrapping the payload again while
//! [`EtherType::is_vlan_tag`] holds; the caller bounds the depth
//! ([`Malformed::VlanTooManyTags`]).

use crate::Malformed;
use crate::ethernet::EtherType;

/// Field offsets in the 802.1Q tag (after the outer EtherType).
mod field {
    pub(crate) type Field = core::ops::Range<usize>;

    /// Tag Control Information: PCP (3 bits), DEI (1 bit), VID (12 bits).
    pub(crate) const TCI: Field = 0..2;
    /// EtherType of the encapsulated frame.
    pub(crate) const ETHERTYPE: Field = 2..4;
    /// Start of the payload.
    pub(crate) const PAYLOAD: usize = ETHERTYPE.end;
}

/// Length of the tag as this view sees it (TCI + inner EtherType).
pub const HEADER_LEN: usize = field::PAYLOAD;

/// A read/write view of an 802.1Q tag and what follows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps a buffer without checking it; getters may panic if it is shorter than
    /// [`HEADER_LEN`].
    #[inline]
    pub const fn new_unchecked(buffer: T) -> Self {
        Self { buffer }
    }

    /// Wraps a buffer after checking it holds the 4-byte tag; no getter panics afterwards.
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, Malformed> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks the buffer holds the whole tag.
    #[inline]
    pub fn check_len(&self) -> Result<(), Malformed> {
        if self.buffer.as_ref().len() < HEADER_LEN {
            Err(Malformed::VlanTruncated)
        } else {
            Ok(())
        }
    }

    /// Returns the underlying buffer.
    #[inline]
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// The raw 16-bit Tag Control Information.
    #[inline]
    pub fn tci(&self) -> u16 {
        let b = self.buffer.as_ref();
        u16::from_be_bytes([b[0], b[1]])
    }

    /// Priority Code Point (IEEE 802.1Q §6.9.3), 0..=7.
    #[inline]
    pub fn priority(&self) -> u8 {
        (self.tci() >> 13) as u8
    }

    /// Drop Eligible Indicator (formerly CFI).
    #[inline]
    pub fn dei(&self) -> bool {
        self.tci() & 0x1000 != 0
    }

    /// VLAN identifier, 0..=4095 (0 = priority tag only, 4095 reserved).
    #[inline]
    pub fn vlan_id(&self) -> u16 {
        self.tci() & 0x0fff
    }

    /// EtherType of the encapsulated frame.
    #[inline]
    pub fn ethertype(&self) -> EtherType {
        let b = self.buffer.as_ref();
        EtherType(u16::from_be_bytes([b[2], b[3]]))
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Packet<&'a T> {
    /// Everything after the inner EtherType, borrowed from the original buffer.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        &self.buffer.as_ref()[field::PAYLOAD..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Sets the raw Tag Control Information.
    #[inline]
    pub fn set_tci(&mut self, value: u16) {
        self.buffer.as_mut()[field::TCI].copy_from_slice(&value.to_be_bytes());
    }

    /// Sets PCP, DEI and VID together; values are masked to their widths (3 and 12 bits).
    #[inline]
    pub fn set_tag(&mut self, priority: u8, dei: bool, vlan_id: u16) {
        let tci = (u16::from(priority & 0x07) << 13) | (u16::from(dei) << 12) | (vlan_id & 0x0fff);
        self.set_tci(tci);
    }

    /// Sets the inner EtherType.
    #[inline]
    pub fn set_ethertype(&mut self, value: EtherType) {
        self.buffer.as_mut()[field::ETHERTYPE].copy_from_slice(&value.0.to_be_bytes());
    }

    /// Mutable access to everything after the inner EtherType.
    #[inline]
    pub fn payload_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::PAYLOAD..]
    }
}

/// The owned meaning of an 802.1Q tag. The three TCI fields together are the whole TCI, so the
/// representation is lossless.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Repr {
    /// Priority Code Point, 0..=7 (`emit` masks to 3 bits).
    pub priority: u8,
    /// Drop Eligible Indicator.
    pub dei: bool,
    /// VLAN identifier, 0..=4095 (`emit` masks to 12 bits).
    pub vlan_id: u16,
    /// EtherType of the encapsulated frame.
    pub ethertype: EtherType,
}

impl Repr {
    /// Reads a checked tag. Never fails after `new_checked`.
    pub fn parse<T: AsRef<[u8]>>(packet: &Packet<T>) -> Result<Self, Malformed> {
        packet.check_len()?;
        Ok(Self {
            priority: packet.priority(),
            dei: packet.dei(),
            vlan_id: packet.vlan_id(),
            ethertype: packet.ethertype(),
        })
    }

    /// Length of the tag `emit` writes (4 bytes).
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the tag into the first 4 bytes of `packet`.
    ///
    /// Panics if the buffer is shorter than [`HEADER_LEN`].
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Packet<T>) {
        packet.set_tag(self.priority, self.dei, self.vlan_id);
        packet.set_ethertype(self.ethertype);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // The 802.1Q tag of a frame on VLAN 100 with priority 5 (voice), after EtherType 0x8100.
    static TAG: [u8; 8] = [
        0xa0, 0x64, // TCI: PCP=5 (101), DEI=0, VID=100 (0x064)
        0x08, 0x00, // inner EtherType: IPv4
        0x45, 0x00, 0x00, 0x14, // start of the IPv4 header (payload)
    ];

    #[test]
    fn test_deconstruct() {
        let packet = Packet::new_checked(&TAG[..]).unwrap();
        assert_eq!(packet.tci(), 0xa064);
        assert_eq!(packet.priority(), 5);
        assert!(!packet.dei());
        assert_eq!(packet.vlan_id(), 100);
        assert_eq!(packet.ethertype(), EtherType::IPV4);
        assert_eq!(packet.payload(), &[0x45, 0x00, 0x00, 0x14]);
    }

    #[test]
    fn test_construct() {
        let repr = Repr {
            priority: 5,
            dei: false,
            vlan_id: 100,
            ethertype: EtherType::IPV4,
        };
        let mut bytes = [0xffu8; 8];
        let mut packet = Packet::new_unchecked(&mut bytes[..]);
        repr.emit(&mut packet);
        packet
            .payload_mut()
            .copy_from_slice(&[0x45, 0x00, 0x00, 0x14]);
        assert_eq!(bytes, TAG);
    }

    #[test]
    fn dei_and_max_vid() {
        let bytes = [0xff, 0xff, 0x81, 0x00];
        let packet = Packet::new_checked(&bytes[..]).unwrap();
        assert_eq!(packet.priority(), 7);
        assert!(packet.dei());
        assert_eq!(packet.vlan_id(), 4095);
        assert!(packet.ethertype().is_vlan_tag());
        assert!(packet.payload().is_empty());
    }

    #[test]
    fn truncated_tag_is_rejected() {
        for len in 0..HEADER_LEN {
            assert_eq!(
                Packet::new_checked(&TAG[..len]),
                Err(Malformed::VlanTruncated)
            );
        }
    }

    #[test]
    fn emit_masks_out_of_range_fields() {
        let repr = Repr {
            priority: 0xff,
            dei: true,
            vlan_id: 0xffff,
            ethertype: EtherType::IPV6,
        };
        let mut bytes = [0u8; 4];
        repr.emit(&mut Packet::new_unchecked(&mut bytes[..]));
        assert_eq!(bytes, [0xff, 0xff, 0x86, 0xdd]);
    }

    proptest! {
        #[test]
        fn repr_round_trip(priority in 0u8..8, dei in any::<bool>(), vlan_id in 0u16..4096,
                           ty in any::<u16>()) {
            let repr = Repr { priority, dei, vlan_id, ethertype: EtherType(ty) };
            let mut bytes = vec![0; repr.buffer_len()];
            repr.emit(&mut Packet::new_unchecked(&mut bytes));
            let packet = Packet::new_checked(&bytes[..]).unwrap();
            prop_assert_eq!(Repr::parse(&packet).unwrap(), repr);
        }

        #[test]
        fn any_tci_round_trips(tci in any::<u16>()) {
            let mut bytes = [0u8; 4];
            bytes[..2].copy_from_slice(&tci.to_be_bytes());
            let repr = Repr::parse(&Packet::new_checked(&bytes[..]).unwrap()).unwrap();
            let mut out = [0u8; 4];
            repr.emit(&mut Packet::new_unchecked(&mut out[..]));
            prop_assert_eq!(out, bytes);
        }
    }
}
