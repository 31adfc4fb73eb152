//! Ethernet II frame header (IEEE 802.3 §3.2.6 with the Ethernet II type field).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Destination MAC address                    |
//! +                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                               |                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
//! |                      Source MAC address                       |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |      EtherType / length       |   payload ...
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! The capture usually holds no FCS; short frames may carry zero padding after the upper-layer
//! packet, which the IP views trim by their own length fields.

use core::fmt;

use model::MacAddr;

use crate::Malformed;

/// Field offsets in the Ethernet II header.
mod field {
    pub(crate) type Field = core::ops::Range<usize>;

    /// Destination MAC address.
    pub(crate) const DESTINATION: Field = 0..6;
    /// Source MAC address.
    pub(crate) const SOURCE: Field = 6..12;
    /// EtherType (or 802.3 length when below 0x0600).
    pub(crate) const ETHERTYPE: Field = 12..14;
    /// Start of the payload.
    pub(crate) const PAYLOAD: usize = ETHERTYPE.end;
}

/// Length of the Ethernet II header in bytes.
pub const HEADER_LEN: usize = field::PAYLOAD;

/// The EtherType field: the protocol of the payload, or an IEEE 802.3 length below 0x0600.
///
/// Every 16-bit value is representable; unknown types are not errors.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct EtherType(pub u16);

impl EtherType {
    /// Internet Protocol version 4 (RFC 894).
    pub const IPV4: Self = Self(0x0800);
    /// Address Resolution Protocol (RFC 826).
    pub const ARP: Self = Self(0x0806);
    /// IEEE 802.1Q customer VLAN tag (C-tag).
    pub const VLAN: Self = Self(0x8100);
    /// IEEE 802.1ad service VLAN tag (S-tag, "Q-in-Q").
    pub const QINQ: Self = Self(0x88a8);
    /// Pre-standard Q-in-Q outer tag used by some vendors before 802.1ad.
    pub const QINQ_LEGACY: Self = Self(0x9100);
    /// Internet Protocol version 6 (RFC 2464).
    pub const IPV6: Self = Self(0x86dd);
    /// Link Layer Discovery Protocol (IEEE 802.1AB).
    pub const LLDP: Self = Self(0x88cc);

    /// First value that is a type rather than an IEEE 802.3 length (IEEE 802.3 §3.2.6:
    /// values 0x0600 and above are types; 1536 decimal).
    pub const MIN_TYPE: u16 = 0x0600;

    /// True when the field is an IEEE 802.3 length (below 0x0600): the payload then starts with
    /// an 802.2 LLC header rather than an upper-layer protocol.
    #[inline]
    pub const fn is_802_3_length(self) -> bool {
        self.0 < Self::MIN_TYPE
    }

    /// True for the tag types a VLAN decoder follows: 802.1Q, 802.1ad and legacy Q-in-Q.
    #[inline]
    pub const fn is_vlan_tag(self) -> bool {
        matches!(self.0, 0x8100 | 0x88a8 | 0x9100)
    }
}

impl From<u16> for EtherType {
    #[inline]
    fn from(value: u16) -> Self {
        Self(value)
    }
}

impl From<EtherType> for u16 {
    #[inline]
    fn from(value: EtherType) -> Self {
        value.0
    }
}

impl fmt::Debug for EtherType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match *self {
            Self::IPV4 => "IPv4",
            Self::ARP => "ARP",
            Self::VLAN => "VLAN",
            Self::QINQ => "QinQ",
            Self::QINQ_LEGACY => "QinQ-legacy",
            Self::IPV6 => "IPv6",
            Self::LLDP => "LLDP",
            _ => return write!(f, "EtherType(0x{:04x})", self.0),
        };
        f.write_str(name)
    }
}

impl fmt::Display for EtherType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "0x{:04x}", self.0)
    }
}

/// A read/write view of an Ethernet II frame over any byte buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps a buffer without checking it; getters may panic if it is shorter than
    /// [`HEADER_LEN`]. Use for emitting into a buffer of known size.
    #[inline]
    pub const fn new_unchecked(buffer: T) -> Self {
        Self { buffer }
    }

    /// Wraps a buffer after checking it holds the 14-byte header; no getter panics afterwards.
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, Malformed> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks the buffer holds the whole header.
    #[inline]
    pub fn check_len(&self) -> Result<(), Malformed> {
        if self.buffer.as_ref().len() < HEADER_LEN {
            Err(Malformed::EthernetTruncated)
        } else {
            Ok(())
        }
    }

    /// Returns the underlying buffer.
    #[inline]
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Destination MAC address.
    #[inline]
    pub fn dst_addr(&self) -> MacAddr {
        let b = self.buffer.as_ref();
        MacAddr([b[0], b[1], b[2], b[3], b[4], b[5]])
    }

    /// Source MAC address.
    #[inline]
    pub fn src_addr(&self) -> MacAddr {
        let b = self.buffer.as_ref();
        MacAddr([b[6], b[7], b[8], b[9], b[10], b[11]])
    }

    /// The raw EtherType field; values below 0x0600 are 802.3 lengths
    /// ([`EtherType::is_802_3_length`]) and the caller decides what to do with them.
    #[inline]
    pub fn ethertype(&self) -> EtherType {
        let b = self.buffer.as_ref();
        EtherType(u16::from_be_bytes([b[12], b[13]]))
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Packet<&'a T> {
    /// Everything after the header (including any padding or trailer the capture kept),
    /// borrowed from the original buffer.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        &self.buffer.as_ref()[field::PAYLOAD..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Sets the destination MAC address.
    #[inline]
    pub fn set_dst_addr(&mut self, value: MacAddr) {
        self.buffer.as_mut()[field::DESTINATION].copy_from_slice(&value.0);
    }

    /// Sets the source MAC address.
    #[inline]
    pub fn set_src_addr(&mut self, value: MacAddr) {
        self.buffer.as_mut()[field::SOURCE].copy_from_slice(&value.0);
    }

    /// Sets the EtherType field.
    #[inline]
    pub fn set_ethertype(&mut self, value: EtherType) {
        self.buffer.as_mut()[field::ETHERTYPE].copy_from_slice(&value.0.to_be_bytes());
    }

    /// Mutable access to everything after the header.
    #[inline]
    pub fn payload_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::PAYLOAD..]
    }
}

/// The owned meaning of an Ethernet II header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Repr {
    /// Source MAC address.
    pub src_addr: MacAddr,
    /// Destination MAC address.
    pub dst_addr: MacAddr,
    /// EtherType (or 802.3 length), kept raw.
    pub ethertype: EtherType,
}

impl Repr {
    /// Reads the header of a checked frame. Never fails after `new_checked`; the `Result`
    /// keeps the shape shared by every format.
    pub fn parse<T: AsRef<[u8]>>(packet: &Packet<T>) -> Result<Self, Malformed> {
        packet.check_len()?;
        Ok(Self {
            src_addr: packet.src_addr(),
            dst_addr: packet.dst_addr(),
            ethertype: packet.ethertype(),
        })
    }

    /// Length of the header `emit` writes (the payload follows it).
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the header into the first [`HEADER_LEN`] bytes of `packet`.
    ///
    /// Panics if the buffer is shorter than [`HEADER_LEN`].
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Packet<T>) {
        packet.set_dst_addr(self.dst_addr);
        packet.set_src_addr(self.src_addr);
        packet.set_ethertype(self.ethertype);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // An ARP request broadcast, as captured (no FCS), padded to the 60-byte minimum.
    static FRAME: [u8; 60] = [
        0xff, 0xff, 0xff, 0xff, 0xff, 0xff, // destination: broadcast
        0x00, 0x1b, 0x21, 0x3a, 0x4f, 0x10, // source: 00:1b:21:3a:4f:10 (Intel OUI)
        0x08, 0x06, // EtherType: ARP
        // ARP payload (28 bytes)
        0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01, //
        0x00, 0x1b, 0x21, 0x3a, 0x4f, 0x10, 0xc0, 0xa8, 0x01, 0x0a, //
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xc0, 0xa8, 0x01, 0x01, //
        // padding to 60 bytes (18 bytes)
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];

    #[test]
    fn test_deconstruct() {
        let packet = Packet::new_checked(&FRAME[..]).unwrap();
        assert_eq!(packet.dst_addr(), MacAddr::BROADCAST);
        assert_eq!(
            packet.src_addr(),
            MacAddr([0x00, 0x1b, 0x21, 0x3a, 0x4f, 0x10])
        );
        assert_eq!(packet.ethertype(), EtherType::ARP);
        assert!(!packet.ethertype().is_802_3_length());
        assert_eq!(packet.payload().len(), 46);
        assert_eq!(&packet.payload()[..4], &[0x00, 0x01, 0x08, 0x00]);
    }

    #[test]
    fn test_construct() {
        let repr = Repr {
            src_addr: MacAddr([0x00, 0x1b, 0x21, 0x3a, 0x4f, 0x10]),
            dst_addr: MacAddr::BROADCAST,
            ethertype: EtherType::ARP,
        };
        let mut bytes = vec![0xa5; repr.buffer_len() + 46];
        let mut packet = Packet::new_unchecked(&mut bytes);
        repr.emit(&mut packet);
        packet.payload_mut().copy_from_slice(&FRAME[14..]);
        assert_eq!(&bytes[..], &FRAME[..]);
    }

    #[test]
    fn test_parse_repr() {
        let packet = Packet::new_checked(&FRAME[..]).unwrap();
        let repr = Repr::parse(&packet).unwrap();
        assert_eq!(repr.ethertype, EtherType::ARP);
        assert_eq!(repr.dst_addr, MacAddr::BROADCAST);
    }

    #[test]
    fn truncated_frame_is_rejected() {
        for len in 0..HEADER_LEN {
            assert_eq!(
                Packet::new_checked(&FRAME[..len]),
                Err(Malformed::EthernetTruncated)
            );
        }
        // Exactly a header: empty payload, not an error.
        let packet = Packet::new_checked(&FRAME[..HEADER_LEN]).unwrap();
        assert!(packet.payload().is_empty());
    }

    #[test]
    fn ieee_802_3_length_is_kept_raw() {
        let mut frame = FRAME;
        frame[12..14].copy_from_slice(&46u16.to_be_bytes());
        let packet = Packet::new_checked(&frame[..]).unwrap();
        assert_eq!(packet.ethertype(), EtherType(46));
        assert!(packet.ethertype().is_802_3_length());
        assert!(!EtherType(0x0600).is_802_3_length());
    }

    #[test]
    fn vlan_tag_types() {
        assert!(EtherType::VLAN.is_vlan_tag());
        assert!(EtherType::QINQ.is_vlan_tag());
        assert!(EtherType::QINQ_LEGACY.is_vlan_tag());
        assert!(!EtherType::IPV4.is_vlan_tag());
        assert_eq!(format!("{:?}", EtherType::IPV6), "IPv6");
        assert_eq!(format!("{:?}", EtherType(0x1234)), "EtherType(0x1234)");
        assert_eq!(EtherType::LLDP.to_string(), "0x88cc");
    }

    proptest! {
        #[test]
        fn repr_round_trip(src in any::<[u8; 6]>(), dst in any::<[u8; 6]>(), ty in any::<u16>(),
                           payload in proptest::collection::vec(any::<u8>(), 0..64)) {
            let repr = Repr { src_addr: MacAddr(src), dst_addr: MacAddr(dst), ethertype: EtherType(ty) };
            let mut bytes = vec![0; repr.buffer_len() + payload.len()];
            let mut packet = Packet::new_unchecked(&mut bytes);
            repr.emit(&mut packet);
            packet.payload_mut().copy_from_slice(&payload);
            let packet = Packet::new_checked(&bytes[..]).unwrap();
            prop_assert_eq!(Repr::parse(&packet).unwrap(), repr);
            prop_assert_eq!(packet.payload(), &payload[..]);
        }

        #[test]
        fn never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            if let Ok(packet) = Packet::new_checked(&bytes[..]) {
                let _ = (packet.dst_addr(), packet.src_addr(), packet.ethertype(), packet.payload());
            }
        }
    }
}
