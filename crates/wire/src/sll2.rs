//! Linux "cooked" capture header, version 2 (`LINKTYPE_LINUX_SLL2`, 276).
//!
//! libpcap ≥ 1.10 writes it for `tcpdump -i any`; unlike v1 it carries the interface index
//! (<https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL2.html>). All fields are big-endian.
//!
//! ```text
//! +---------------------------+
//! |        Protocol type      |  2 bytes (usually an EtherType)
//! +---------------------------+
//! |       Reserved (MBZ)      |  2 bytes
//! +---------------------------+
//! |      Interface index      |  4 bytes
//! +---------------------------+
//! |        ARPHRD_ type       |  2 bytes
//! +---------------------------+
//! |        Packet type        |  1 byte
//! +---------------------------+
//! | Link-layer address length |  1 byte
//! +---------------------------+
//! |    Link-layer address     |  8 bytes (first `length` bytes are meaningful)
//! +---------------------------+
//! |           Payload         |
//! ```
//!
//! The protocol field has the same meaning as in [`crate::sll`], including the `ETH_P_*`
//! values below 0x0600; the ARPHRD_ type is [`crate::sll::HardwareType`].

use crate::bytes::read_u16;
use model::MacAddr;

use crate::Malformed;
pub use crate::sll::{ADDRESS_CAPACITY, HardwareType};

/// Field offsets in the SLL2 header.
mod field {
    pub(crate) type Field = core::ops::Range<usize>;

    /// Protocol type.
    pub(crate) const PROTOCOL: Field = 0..2;
    /// Reserved, must be zero.
    pub(crate) const RESERVED: Field = 2..4;
    /// Interface index (`if_nametoindex`) of the capturing interface.
    pub(crate) const INTERFACE_INDEX: Field = 4..8;
    /// ARPHRD_ device type.
    pub(crate) const HARDWARE_TYPE: Field = 8..10;
    /// Packet type.
    pub(crate) const PACKET_TYPE: usize = 10;
    /// Link-layer address length.
    pub(crate) const ADDRESS_LEN: usize = 11;
    /// Link-layer address, zero-padded or truncated to 8 bytes.
    pub(crate) const ADDRESS: Field = 12..20;
    /// Start of the payload.
    pub(crate) const PAYLOAD: usize = ADDRESS.end;
}

/// Length of the SLL2 header in bytes.
pub const HEADER_LEN: usize = field::PAYLOAD;

/// Direction/class of a packet as Linux saw it (`PACKET_*` in `<linux/if_packet.h>`), 8 bits
/// wide in SLL2 (16 in v1: [`crate::sll::PacketType`]).
///
/// Every 8-bit value is representable; unknown values are not errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct PacketType(pub u8);

impl PacketType {
    /// Sent to this host (`PACKET_HOST`).
    pub const HOST: Self = Self(0);
    /// Link-layer broadcast (`PACKET_BROADCAST`).
    pub const BROADCAST: Self = Self(1);
    /// Link-layer multicast (`PACKET_MULTICAST`).
    pub const MULTICAST: Self = Self(2);
    /// Sent to another host, seen in promiscuous mode (`PACKET_OTHERHOST`).
    pub const OTHER_HOST: Self = Self(3);
    /// Sent by this host (`PACKET_OUTGOING`).
    pub const OUTGOING: Self = Self(4);
}

impl From<PacketType> for crate::sll::PacketType {
    #[inline]
    fn from(value: PacketType) -> Self {
        Self(u16::from(value.0))
    }
}

/// A read/write view of a Linux cooked v2 capture header over any byte buffer.
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

    /// Wraps a buffer after checking it holds the 20-byte header; no getter panics afterwards.
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
            Err(Malformed::Sll2Truncated)
        } else {
            Ok(())
        }
    }

    /// Returns the underlying buffer.
    #[inline]
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Protocol type: usually an EtherType (see [`crate::sll`] for values below 0x0600).
    #[inline]
    pub fn protocol(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::PROTOCOL.start)
    }

    /// The reserved field (zero in conforming captures).
    #[inline]
    pub fn reserved(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::RESERVED.start)
    }

    /// Interface index of the capturing interface.
    #[inline]
    pub fn interface_index(&self) -> u32 {
        let b = self.buffer.as_ref();
        let at = field::INTERFACE_INDEX.start;
        u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
    }

    /// ARPHRD_ device type.
    #[inline]
    pub fn hardware_type(&self) -> HardwareType {
        HardwareType(read_u16(self.buffer.as_ref(), field::HARDWARE_TYPE.start))
    }

    /// Packet type (host, broadcast, multicast, other host, outgoing).
    #[inline]
    pub fn packet_type(&self) -> PacketType {
        PacketType(self.buffer.as_ref()[field::PACKET_TYPE])
    }

    /// Link-layer address length as carried (may exceed the 8 bytes kept).
    #[inline]
    pub fn address_len(&self) -> u8 {
        self.buffer.as_ref()[field::ADDRESS_LEN]
    }

    /// The link-layer address: the first `min(address_len, 8)` bytes of the field.
    #[inline]
    pub fn address(&self) -> &[u8] {
        let len = usize::from(self.address_len()).min(ADDRESS_CAPACITY);
        &self.buffer.as_ref()[field::ADDRESS.start..field::ADDRESS.start + len]
    }

    /// The MAC when the device is Ethernet (ARPHRD 1) with a 6-byte address.
    #[inline]
    pub fn mac(&self) -> Option<MacAddr> {
        crate::sll::ethernet_mac(self.hardware_type(), self.address())
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Packet<&'a T> {
    /// Everything after the 20-byte header, borrowed from the original buffer.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        &self.buffer.as_ref()[field::PAYLOAD..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Sets the protocol type.
    #[inline]
    pub fn set_protocol(&mut self, value: u16) {
        self.buffer.as_mut()[field::PROTOCOL].copy_from_slice(&value.to_be_bytes());
    }

    /// Sets the reserved field.
    #[inline]
    pub fn set_reserved(&mut self, value: u16) {
        self.buffer.as_mut()[field::RESERVED].copy_from_slice(&value.to_be_bytes());
    }

    /// Sets the interface index.
    #[inline]
    pub fn set_interface_index(&mut self, value: u32) {
        self.buffer.as_mut()[field::INTERFACE_INDEX].copy_from_slice(&value.to_be_bytes());
    }

    /// Sets the ARPHRD_ device type.
    #[inline]
    pub fn set_hardware_type(&mut self, value: HardwareType) {
        self.buffer.as_mut()[field::HARDWARE_TYPE].copy_from_slice(&value.0.to_be_bytes());
    }

    /// Sets the packet type.
    #[inline]
    pub fn set_packet_type(&mut self, value: PacketType) {
        self.buffer.as_mut()[field::PACKET_TYPE] = value.0;
    }

    /// Sets the address length field.
    #[inline]
    pub fn set_address_len(&mut self, value: u8) {
        self.buffer.as_mut()[field::ADDRESS_LEN] = value;
    }

    /// Sets all 8 bytes of the address field.
    #[inline]
    pub fn set_address_field(&mut self, value: [u8; ADDRESS_CAPACITY]) {
        self.buffer.as_mut()[field::ADDRESS].copy_from_slice(&value);
    }

    /// The payload after the header, writable.
    #[inline]
    pub fn payload_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::PAYLOAD..]
    }
}

/// The meaning of an SLL2 header, losslessly (reserved field and all 8 address bytes kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Repr {
    /// Protocol type.
    pub protocol: u16,
    /// Reserved field (zero in conforming captures).
    pub reserved: u16,
    /// Interface index.
    pub interface_index: u32,
    /// ARPHRD_ device type.
    pub hardware_type: HardwareType,
    /// Packet type.
    pub packet_type: PacketType,
    /// Link-layer address length as carried.
    pub address_len: u8,
    /// The whole 8-byte address field.
    pub address: [u8; ADDRESS_CAPACITY],
}

impl Repr {
    /// Builds the usual header for a packet from an Ethernet device: a 6-byte address padded
    /// with zeros, reserved field zero.
    #[inline]
    pub fn ethernet(
        interface_index: u32,
        packet_type: PacketType,
        mac: MacAddr,
        protocol: u16,
    ) -> Self {
        let mut address = [0; ADDRESS_CAPACITY];
        address[..mac.0.len()].copy_from_slice(&mac.0);
        Self {
            protocol,
            reserved: 0,
            interface_index,
            hardware_type: HardwareType::ETHERNET,
            packet_type,
            address_len: 6,
            address,
        }
    }

    /// Reads a checked header.
    pub fn parse<T: AsRef<[u8]>>(packet: &Packet<T>) -> Result<Self, Malformed> {
        packet.check_len()?;
        let mut address = [0; ADDRESS_CAPACITY];
        address.copy_from_slice(&packet.buffer.as_ref()[field::ADDRESS]);
        Ok(Self {
            protocol: packet.protocol(),
            reserved: packet.reserved(),
            interface_index: packet.interface_index(),
            hardware_type: packet.hardware_type(),
            packet_type: packet.packet_type(),
            address_len: packet.address_len(),
            address,
        })
    }

    /// Bytes [`Repr::emit`] writes (the header only; the caller writes the payload).
    #[inline]
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the header.
    ///
    /// # Panics
    /// If the buffer is shorter than [`HEADER_LEN`].
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Packet<T>) {
        packet.set_protocol(self.protocol);
        packet.set_reserved(self.reserved);
        packet.set_interface_index(self.interface_index);
        packet.set_hardware_type(self.hardware_type);
        packet.set_packet_type(self.packet_type);
        packet.set_address_len(self.address_len);
        packet.set_address_field(self.address);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// suricata-verify tests/decode-sll2-01/input.pcap frame 1: an outgoing TCP SYN on eth.
    const OUTGOING_ETHERNET: [u8; 22] = [
        0x08, 0x00, // protocol 0x0800: IPv4
        0x00, 0x00, // reserved
        0x00, 0x00, 0x00, 0x02, // interface index 2
        0x00, 0x01, // ARPHRD 1: Ethernet
        0x04, // packet type 4: outgoing
        0x06, // address length 6
        0xaa, 0x76, 0x30, 0x71, 0xb0, 0xe7, 0x00, 0x00, // address aa:76:30:71:b0:e7 + padding
        0x45, 0x00, // IPv4 header begins
    ];

    /// zeek testing/btest/Traces/linux_dlt_sll2.pcap frame 1: ICMP echo over loopback.
    const LOOPBACK: [u8; 21] = [
        0x08, 0x00, // protocol 0x0800: IPv4
        0x00, 0x00, // reserved
        0x00, 0x00, 0x00, 0x01, // interface index 1 (lo)
        0x03, 0x04, // ARPHRD 772: loopback
        0x00, // packet type 0: to us
        0x06, // address length 6
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // address 00:00:00:00:00:00 + padding
        0x45, // IPv4 header begins
    ];

    const MAC: MacAddr = MacAddr([0xaa, 0x76, 0x30, 0x71, 0xb0, 0xe7]);

    #[test]
    fn test_deconstruct_ethernet() {
        let p = Packet::new_checked(&OUTGOING_ETHERNET[..]).expect("valid");
        assert_eq!(p.protocol(), 0x0800);
        assert_eq!(p.reserved(), 0);
        assert_eq!(p.interface_index(), 2);
        assert_eq!(p.hardware_type(), HardwareType::ETHERNET);
        assert_eq!(p.packet_type(), PacketType::OUTGOING);
        assert_eq!(
            crate::sll::PacketType::from(p.packet_type()),
            crate::sll::PacketType::OUTGOING
        );
        assert_eq!(p.address_len(), 6);
        assert_eq!(p.address(), MAC.0);
        assert_eq!(p.mac(), Some(MAC));
        assert_eq!(p.payload(), [0x45, 0x00]);
    }

    #[test]
    fn test_deconstruct_loopback() {
        let p = Packet::new_checked(&LOOPBACK[..]).expect("valid");
        assert_eq!(p.interface_index(), 1);
        assert_eq!(p.hardware_type(), HardwareType::LOOPBACK);
        assert_eq!(p.packet_type(), PacketType::HOST);
        assert_eq!(p.address(), [0; 6]);
        assert_eq!(p.mac(), None);
        assert_eq!(p.payload(), [0x45]);
    }

    #[test]
    fn oversized_address_len_is_clamped() {
        let mut bytes = OUTGOING_ETHERNET;
        bytes[11] = 255;
        let p = Packet::new_checked(&bytes[..]).expect("valid");
        assert_eq!(p.address().len(), ADDRESS_CAPACITY);
        assert_eq!(p.mac(), None);
    }

    #[test]
    fn test_emit_matches_capture() {
        let repr = Repr::parse(&Packet::new_checked(&OUTGOING_ETHERNET[..]).expect("valid"))
            .expect("parse");
        assert_eq!(repr, Repr::ethernet(2, PacketType::OUTGOING, MAC, 0x0800));
        let mut buf = [0xa5; HEADER_LEN];
        repr.emit(&mut Packet::new_unchecked(&mut buf[..]));
        assert_eq!(buf, OUTGOING_ETHERNET[..HEADER_LEN]);
    }

    #[test]
    fn truncated_header_is_sll2_truncated() {
        for len in 0..HEADER_LEN {
            assert_eq!(
                Packet::new_checked(&LOOPBACK[..len]).err(),
                Some(Malformed::Sll2Truncated)
            );
        }
        assert_eq!(
            Repr::parse(&Packet::new_unchecked(&LOOPBACK[..19])),
            Err(Malformed::Sll2Truncated)
        );
    }

    proptest! {
        #[test]
        fn roundtrip(protocol: u16, reserved: u16, interface_index: u32, hardware_type: u16,
                     packet_type: u8, address_len: u8, address: [u8; 8],
                     payload in proptest::collection::vec(any::<u8>(), 0..16)) {
            let repr = Repr {
                protocol,
                reserved,
                interface_index,
                hardware_type: HardwareType(hardware_type),
                packet_type: PacketType(packet_type),
                address_len,
                address,
            };
            let mut buf = vec![0; repr.buffer_len() + payload.len()];
            repr.emit(&mut Packet::new_unchecked(&mut buf));
            buf[HEADER_LEN..].copy_from_slice(&payload);
            let p = Packet::new_checked(&buf[..]).expect("valid");
            prop_assert_eq!(Repr::parse(&p).expect("parse"), repr);
            prop_assert_eq!(p.payload(), &payload[..]);
        }
    }
}
