//! ARP over Ethernet for IPv4 (RFC 826), the only combination a LAN sensor meets.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |         Hardware Type         |         Protocol Type         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  HW Addr Len  | Proto Addr Len|           Operation           |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |        Sender Hardware Address (6)  | Sender Protocol Address (4)
//! |        Target Hardware Address (6)  | Target Protocol Address (4)
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! `new_checked` accepts any packet whose addresses are 6-byte hardware and IPv4 protocol
//! addresses (hlen 6, ptype 0x0800, plen 4). The hardware type is kept raw rather than
//! required to be 1: IEEE 802 networks (type 6) use the same 6-byte MACs, and the caller can
//! filter on [`Packet::hardware_type`].

use core::fmt;
use std::net::Ipv4Addr;

use model::MacAddr;

use crate::Malformed;
use crate::ethernet::EtherType;

/// Field offsets in an Ethernet/IPv4 ARP packet (RFC 826).
mod field {
    pub(crate) type Field = core::ops::Range<usize>;

    /// Hardware type (ar$hrd).
    pub(crate) const HTYPE: Field = 0..2;
    /// Protocol type (ar$pro), an EtherType.
    pub(crate) const PTYPE: Field = 2..4;
    /// Hardware address length (ar$hln).
    pub(crate) const HLEN: usize = 4;
    /// Protocol address length (ar$pln).
    pub(crate) const PLEN: usize = 5;
    /// Operation (ar$op).
    pub(crate) const OPER: Field = 6..8;
    /// Sender hardware address (ar$sha).
    pub(crate) const SHA: Field = 8..14;
    /// Sender protocol address (ar$spa).
    pub(crate) const SPA: Field = 14..18;
    /// Target hardware address (ar$tha).
    pub(crate) const THA: Field = 18..24;
    /// Target protocol address (ar$tpa).
    pub(crate) const TPA: Field = 24..28;
}

/// Length of the fixed part before the addresses.
pub const FIXED_LEN: usize = field::OPER.end;

/// Length of an Ethernet/IPv4 ARP packet.
pub const PACKET_LEN: usize = field::TPA.end;

/// ARP hardware type (IANA "Hardware Types").
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct HardwareType(pub u16);

impl HardwareType {
    /// Ethernet (10Mb), used on every Ethernet and Wi-Fi network.
    pub const ETHERNET: Self = Self(1);
    /// IEEE 802 networks.
    pub const IEEE802: Self = Self(6);
}

impl fmt::Debug for HardwareType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::ETHERNET => f.write_str("Ethernet"),
            Self::IEEE802 => f.write_str("IEEE802"),
            _ => write!(f, "HardwareType({})", self.0),
        }
    }
}

/// ARP operation code (IANA "Operation Codes"). Every value is representable.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Operation(pub u16);

impl Operation {
    /// ARP request (RFC 826).
    pub const REQUEST: Self = Self(1);
    /// ARP reply (RFC 826).
    pub const REPLY: Self = Self(2);
    /// Reverse ARP request (RFC 903).
    pub const REVERSE_REQUEST: Self = Self(3);
    /// Reverse ARP reply (RFC 903).
    pub const REVERSE_REPLY: Self = Self(4);
}

impl fmt::Debug for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::REQUEST => f.write_str("Request"),
            Self::REPLY => f.write_str("Reply"),
            Self::REVERSE_REQUEST => f.write_str("ReverseRequest"),
            Self::REVERSE_REPLY => f.write_str("ReverseReply"),
            _ => write!(f, "Operation({})", self.0),
        }
    }
}

/// A read/write view of an Ethernet/IPv4 ARP packet over any byte buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps a buffer without checking it; getters may panic if it is shorter than
    /// [`PACKET_LEN`].
    #[inline]
    pub const fn new_unchecked(buffer: T) -> Self {
        Self { buffer }
    }

    /// Wraps a buffer after checking it holds an Ethernet/IPv4 ARP packet; no getter panics
    /// afterwards. Trailing bytes (Ethernet padding) are ignored.
    ///
    /// Errors: cut short ([`Malformed::ArpTruncated`]); hardware address length not 6, or
    /// protocol not IPv4 with 4-byte addresses ([`Malformed::ArpUnsupportedAddressLength`]).
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, Malformed> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// The checks of [`Self::new_checked`].
    #[inline]
    pub fn check_len(&self) -> Result<(), Malformed> {
        let len = self.buffer.as_ref().len();
        if len < FIXED_LEN {
            return Err(Malformed::ArpTruncated);
        }
        if self.hardware_len() != 6
            || self.protocol_len() != 4
            || self.protocol_type() != EtherType::IPV4
        {
            return Err(Malformed::ArpUnsupportedAddressLength);
        }
        if len < PACKET_LEN {
            return Err(Malformed::ArpTruncated);
        }
        Ok(())
    }

    /// Returns the underlying buffer.
    #[inline]
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Hardware type (1 = Ethernet).
    #[inline]
    pub fn hardware_type(&self) -> HardwareType {
        let b = self.buffer.as_ref();
        HardwareType(u16::from_be_bytes([b[0], b[1]]))
    }

    /// Protocol type (IPv4 after `new_checked`).
    #[inline]
    pub fn protocol_type(&self) -> EtherType {
        let b = self.buffer.as_ref();
        EtherType(u16::from_be_bytes([b[2], b[3]]))
    }

    /// Hardware address length (6 after `new_checked`).
    #[inline]
    pub fn hardware_len(&self) -> u8 {
        self.buffer.as_ref()[field::HLEN]
    }

    /// Protocol address length (4 after `new_checked`).
    #[inline]
    pub fn protocol_len(&self) -> u8 {
        self.buffer.as_ref()[field::PLEN]
    }

    /// Operation.
    #[inline]
    pub fn operation(&self) -> Operation {
        let b = self.buffer.as_ref();
        Operation(u16::from_be_bytes([b[6], b[7]]))
    }

    /// Sender hardware address.
    #[inline]
    pub fn sender_hardware_addr(&self) -> MacAddr {
        let b = self.buffer.as_ref();
        MacAddr([b[8], b[9], b[10], b[11], b[12], b[13]])
    }

    /// Sender protocol address.
    #[inline]
    pub fn sender_protocol_addr(&self) -> Ipv4Addr {
        let b = self.buffer.as_ref();
        Ipv4Addr::new(b[14], b[15], b[16], b[17])
    }

    /// Target hardware address (all-zero in most requests).
    #[inline]
    pub fn target_hardware_addr(&self) -> MacAddr {
        let b = self.buffer.as_ref();
        MacAddr([b[18], b[19], b[20], b[21], b[22], b[23]])
    }

    /// Target protocol address.
    #[inline]
    pub fn target_protocol_addr(&self) -> Ipv4Addr {
        let b = self.buffer.as_ref();
        Ipv4Addr::new(b[24], b[25], b[26], b[27])
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Sets the hardware type.
    #[inline]
    pub fn set_hardware_type(&mut self, value: HardwareType) {
        self.buffer.as_mut()[field::HTYPE].copy_from_slice(&value.0.to_be_bytes());
    }

    /// Sets the protocol type.
    #[inline]
    pub fn set_protocol_type(&mut self, value: EtherType) {
        self.buffer.as_mut()[field::PTYPE].copy_from_slice(&value.0.to_be_bytes());
    }

    /// Sets the hardware address length.
    #[inline]
    pub fn set_hardware_len(&mut self, value: u8) {
        self.buffer.as_mut()[field::HLEN] = value;
    }

    /// Sets the protocol address length.
    #[inline]
    pub fn set_protocol_len(&mut self, value: u8) {
        self.buffer.as_mut()[field::PLEN] = value;
    }

    /// Sets the operation.
    #[inline]
    pub fn set_operation(&mut self, value: Operation) {
        self.buffer.as_mut()[field::OPER].copy_from_slice(&value.0.to_be_bytes());
    }

    /// Sets the sender hardware address.
    #[inline]
    pub fn set_sender_hardware_addr(&mut self, value: MacAddr) {
        self.buffer.as_mut()[field::SHA].copy_from_slice(&value.0);
    }

    /// Sets the sender protocol address.
    #[inline]
    pub fn set_sender_protocol_addr(&mut self, value: Ipv4Addr) {
        self.buffer.as_mut()[field::SPA].copy_from_slice(&value.octets());
    }

    /// Sets the target hardware address.
    #[inline]
    pub fn set_target_hardware_addr(&mut self, value: MacAddr) {
        self.buffer.as_mut()[field::THA].copy_from_slice(&value.0);
    }

    /// Sets the target protocol address.
    #[inline]
    pub fn set_target_protocol_addr(&mut self, value: Ipv4Addr) {
        self.buffer.as_mut()[field::TPA].copy_from_slice(&value.octets());
    }
}

/// The owned meaning of an Ethernet/IPv4 ARP packet (lossless: the address lengths and
/// protocol type are fixed by `new_checked`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Repr {
    /// Hardware type, kept raw (1 = Ethernet).
    pub hardware_type: HardwareType,
    /// Operation.
    pub operation: Operation,
    /// Sender hardware address.
    pub sender_hardware_addr: MacAddr,
    /// Sender protocol address.
    pub sender_protocol_addr: Ipv4Addr,
    /// Target hardware address.
    pub target_hardware_addr: MacAddr,
    /// Target protocol address.
    pub target_protocol_addr: Ipv4Addr,
}

impl Repr {
    /// Reads a checked packet.
    pub fn parse<T: AsRef<[u8]>>(packet: &Packet<T>) -> Result<Self, Malformed> {
        packet.check_len()?;
        Ok(Self {
            hardware_type: packet.hardware_type(),
            operation: packet.operation(),
            sender_hardware_addr: packet.sender_hardware_addr(),
            sender_protocol_addr: packet.sender_protocol_addr(),
            target_hardware_addr: packet.target_hardware_addr(),
            target_protocol_addr: packet.target_protocol_addr(),
        })
    }

    /// Length of the packet `emit` writes (28 bytes).
    pub const fn buffer_len(&self) -> usize {
        PACKET_LEN
    }

    /// Writes the packet into the first 28 bytes of `packet`.
    ///
    /// Panics if the buffer is shorter than [`PACKET_LEN`].
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Packet<T>) {
        packet.set_hardware_type(self.hardware_type);
        packet.set_protocol_type(EtherType::IPV4);
        packet.set_hardware_len(6);
        packet.set_protocol_len(4);
        packet.set_operation(self.operation);
        packet.set_sender_hardware_addr(self.sender_hardware_addr);
        packet.set_sender_protocol_addr(self.sender_protocol_addr);
        packet.set_target_hardware_addr(self.target_hardware_addr);
        packet.set_target_protocol_addr(self.target_protocol_addr);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // "Who has 192.168.1.1? Tell 192.168.1.10", followed by 18 bytes of Ethernet padding.
    static PACKET: [u8; 46] = [
        0x00, 0x01, // hardware type: Ethernet
        0x08, 0x00, // protocol type: IPv4
        0x06, // hardware address length 6
        0x04, // protocol address length 4
        0x00, 0x01, // operation: request
        0x00, 0x1b, 0x21, 0x3a, 0x4f, 0x10, // sender MAC 00:1b:21:3a:4f:10
        0xc0, 0xa8, 0x01, 0x0a, // sender IP 192.168.1.10
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // target MAC (unknown)
        0xc0, 0xa8, 0x01, 0x01, // target IP 192.168.1.1
        // padding (18 bytes)
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    ];

    fn fixture_repr() -> Repr {
        Repr {
            hardware_type: HardwareType::ETHERNET,
            operation: Operation::REQUEST,
            sender_hardware_addr: MacAddr([0x00, 0x1b, 0x21, 0x3a, 0x4f, 0x10]),
            sender_protocol_addr: Ipv4Addr::new(192, 168, 1, 10),
            target_hardware_addr: MacAddr::ZERO,
            target_protocol_addr: Ipv4Addr::new(192, 168, 1, 1),
        }
    }

    #[test]
    fn test_deconstruct() {
        let packet = Packet::new_checked(&PACKET[..]).unwrap();
        assert_eq!(packet.hardware_type(), HardwareType::ETHERNET);
        assert_eq!(packet.protocol_type(), EtherType::IPV4);
        assert_eq!(packet.hardware_len(), 6);
        assert_eq!(packet.protocol_len(), 4);
        assert_eq!(packet.operation(), Operation::REQUEST);
        assert_eq!(
            packet.sender_hardware_addr(),
            MacAddr([0x00, 0x1b, 0x21, 0x3a, 0x4f, 0x10])
        );
        assert_eq!(
            packet.sender_protocol_addr(),
            Ipv4Addr::new(192, 168, 1, 10)
        );
        assert_eq!(packet.target_hardware_addr(), MacAddr::ZERO);
        assert_eq!(packet.target_protocol_addr(), Ipv4Addr::new(192, 168, 1, 1));
        assert_eq!(Repr::parse(&packet).unwrap(), fixture_repr());
    }

    #[test]
    fn test_construct() {
        let repr = fixture_repr();
        let mut bytes = vec![0xa5; repr.buffer_len()];
        repr.emit(&mut Packet::new_unchecked(&mut bytes));
        assert_eq!(&bytes[..], &PACKET[..PACKET_LEN]);
    }

    #[test]
    fn truncated_packet_is_rejected() {
        for len in 0..PACKET_LEN {
            assert_eq!(
                Packet::new_checked(&PACKET[..len]),
                Err(Malformed::ArpTruncated)
            );
        }
    }

    #[test]
    fn unsupported_address_lengths_are_rejected() {
        for (index, value) in [(4, 8u8), (5, 16), (2, 0x86)] {
            let mut bytes = PACKET;
            bytes[index] = value;
            assert_eq!(
                Packet::new_checked(&bytes[..]),
                Err(Malformed::ArpUnsupportedAddressLength)
            );
            // Reported even when the rest is missing: the lengths are known from 8 bytes.
            assert_eq!(
                Packet::new_checked(&bytes[..FIXED_LEN]),
                Err(Malformed::ArpUnsupportedAddressLength)
            );
        }
    }

    #[test]
    fn ieee802_hardware_type_is_kept() {
        let mut bytes = PACKET;
        bytes[1] = 6;
        bytes[7] = 2;
        let packet = Packet::new_checked(&bytes[..]).unwrap();
        assert_eq!(packet.hardware_type(), HardwareType::IEEE802);
        assert_eq!(packet.operation(), Operation::REPLY);
        assert_eq!(format!("{:?}", packet.operation()), "Reply");
        assert_eq!(format!("{:?}", Operation(9)), "Operation(9)");
    }

    proptest! {
        #[test]
        fn repr_round_trip(ht in any::<u16>(), op in any::<u16>(), sha in any::<[u8; 6]>(),
                           spa in any::<[u8; 4]>(), tha in any::<[u8; 6]>(), tpa in any::<[u8; 4]>()) {
            let repr = Repr {
                hardware_type: HardwareType(ht),
                operation: Operation(op),
                sender_hardware_addr: MacAddr(sha),
                sender_protocol_addr: Ipv4Addr::from(spa),
                target_hardware_addr: MacAddr(tha),
                target_protocol_addr: Ipv4Addr::from(tpa),
            };
            let mut bytes = vec![0; repr.buffer_len()];
            repr.emit(&mut Packet::new_unchecked(&mut bytes));
            let packet = Packet::new_checked(&bytes[..]).unwrap();
            prop_assert_eq!(Repr::parse(&packet).unwrap(), repr);
        }

        #[test]
        fn hostile_input_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            let mut bytes = bytes;
            if bytes.len() >= 6 { bytes[2..6].copy_from_slice(&[0x08, 0x00, 6, 4]); }
            if let Ok(packet) = Packet::new_checked(&bytes[..]) {
                prop_assert!(Repr::parse(&packet).is_ok());
            }
        }
    }
}
