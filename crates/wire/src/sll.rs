//! Linux "cooked" capture header, version 1 (`LINKTYPE_LINUX_SLL`, 113).
//!
//! What libpcap writes for `tcpdump -i any` and for devices without a usable link-layer header
//! (<https://www.tcpdump.org/linktypes/LINKTYPE_LINUX_SLL.html>). All fields are big-endian.
//!
//! ```text
//! +---------------------------+
//! |         Packet type       |  2 bytes (PACKET_HOST, PACKET_BROADCAST, ...)
//! +---------------------------+
//! |        ARPHRD_ type       |  2 bytes (link-layer device type)
//! +---------------------------+
//! | Link-layer address length |  2 bytes
//! +---------------------------+
//! |    Link-layer address     |  8 bytes (first `length` bytes are meaningful)
//! +---------------------------+
//! |        Protocol type      |  2 bytes (usually an EtherType)
//! +---------------------------+
//! |           Payload         |
//! ```
//!
//! The protocol field is an EtherType for most devices, but Linux also puts `ETH_P_*` values
//! below 0x0600 there: 0x0001 (`ETH_P_802_3`, Novell raw 802.3), 0x0004 (`ETH_P_802_2`, payload
//! starts with an 802.2 LLC header), 0x000c (`ETH_P_CAN`), and for `ARPHRD_NETLINK` the netlink
//! family. This view only exposes the value: the caller decides what the payload is.

use crate::bytes::read_u16;
use model::MacAddr;

use crate::Malformed;

/// Field offsets in the SLL header.
mod field {
    pub(crate) type Field = core::ops::Range<usize>;

    /// Packet type (`sll_pkttype`).
    pub(crate) const PACKET_TYPE: Field = 0..2;
    /// ARPHRD_ device type (`sll_hatype`).
    pub(crate) const HARDWARE_TYPE: Field = 2..4;
    /// Link-layer address length (`sll_halen`).
    pub(crate) const ADDRESS_LEN: Field = 4..6;
    /// Link-layer address, zero-padded or truncated to 8 bytes (`sll_addr`).
    pub(crate) const ADDRESS: Field = 6..14;
    /// Protocol type (`sll_protocol`).
    pub(crate) const PROTOCOL: Field = 14..16;
    /// Start of the payload.
    pub(crate) const PAYLOAD: usize = PROTOCOL.end;
}

/// Length of the SLL header in bytes.
pub const HEADER_LEN: usize = field::PAYLOAD;

/// Bytes reserved for the link-layer address in SLL and SLL2 headers.
pub const ADDRESS_CAPACITY: usize = field::ADDRESS.end - field::ADDRESS.start;

/// Length of an IEEE 802 (Ethernet, Wi-Fi) address.
const MAC_LEN: usize = 6;

/// Direction/class of a packet as Linux saw it (`PACKET_*` in `<linux/if_packet.h>`), 16 bits
/// wide in SLL v1.
///
/// Every 16-bit value is representable; unknown values are not errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct PacketType(pub u16);

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

/// Link-layer device type (`ARPHRD_*` in `<linux/if_arp.h>`), shared by SLL and SLL2.
///
/// Every 16-bit value is representable; unknown values are not errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct HardwareType(pub u16);

impl HardwareType {
    /// NET/ROM pseudo device (`ARPHRD_NETROM`).
    pub const NETROM: Self = Self(0);
    /// Ethernet (`ARPHRD_ETHER`).
    pub const ETHERNET: Self = Self(1);
    /// IEEE 802.2 networks, e.g. Token Ring (`ARPHRD_IEEE802`).
    pub const IEEE802: Self = Self(6);
    /// InfiniBand (`ARPHRD_INFINIBAND`).
    pub const INFINIBAND: Self = Self(32);
    /// Controller Area Network (`ARPHRD_CAN`).
    pub const CAN: Self = Self(280);
    /// PPP (`ARPHRD_PPP`).
    pub const PPP: Self = Self(512);
    /// IPIP tunnel (`ARPHRD_TUNNEL`).
    pub const TUNNEL: Self = Self(768);
    /// IP6IP6 tunnel (`ARPHRD_TUNNEL6`).
    pub const TUNNEL6: Self = Self(769);
    /// Loopback (`ARPHRD_LOOPBACK`).
    pub const LOOPBACK: Self = Self(772);
    /// SIT (IPv6-in-IPv4) tunnel (`ARPHRD_SIT`).
    pub const SIT: Self = Self(776);
    /// GRE over IP (`ARPHRD_IPGRE`).
    pub const IPGRE: Self = Self(778);
    /// IEEE 802.11 (`ARPHRD_IEEE80211`).
    pub const IEEE80211: Self = Self(801);
    /// IEEE 802.11 with a Prism header (`ARPHRD_IEEE80211_PRISM`).
    pub const IEEE80211_PRISM: Self = Self(802);
    /// IEEE 802.11 with a radiotap header (`ARPHRD_IEEE80211_RADIOTAP`).
    pub const IEEE80211_RADIOTAP: Self = Self(803);
    /// IEEE 802.15.4 (`ARPHRD_IEEE802154`).
    pub const IEEE802154: Self = Self(804);
    /// Netlink (`ARPHRD_NETLINK`): the protocol field is the netlink family.
    pub const NETLINK: Self = Self(824);
    /// Raw IP with no link-layer header, e.g. WireGuard/tun (`ARPHRD_NONE`).
    pub const NONE: Self = Self(0xfffe);
    /// Void type, nothing is known (`ARPHRD_VOID`).
    pub const VOID: Self = Self(0xffff);
}

/// The link-layer address as a MAC when the device is Ethernet and the address is 6 bytes.
#[inline]
pub(crate) fn ethernet_mac(hardware_type: HardwareType, address: &[u8]) -> Option<MacAddr> {
    if hardware_type == HardwareType::ETHERNET && address.len() == MAC_LEN {
        MacAddr::from_bytes(address)
    } else {
        None
    }
}

/// A read/write view of a Linux cooked (v1) capture header over any byte buffer.
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

    /// Wraps a buffer after checking it holds the 16-byte header; no getter panics afterwards.
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
            Err(Malformed::SllTruncated)
        } else {
            Ok(())
        }
    }

    /// Returns the underlying buffer.
    #[inline]
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Packet type (host, broadcast, multicast, other host, outgoing).
    #[inline]
    pub fn packet_type(&self) -> PacketType {
        PacketType(read_u16(self.buffer.as_ref(), field::PACKET_TYPE.start))
    }

    /// ARPHRD_ device type.
    #[inline]
    pub fn hardware_type(&self) -> HardwareType {
        HardwareType(read_u16(self.buffer.as_ref(), field::HARDWARE_TYPE.start))
    }

    /// Link-layer address length as carried (may exceed the 8 bytes kept).
    #[inline]
    pub fn address_len(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::ADDRESS_LEN.start)
    }

    /// The sender's link-layer address: the first `min(address_len, 8)` bytes of the field.
    #[inline]
    pub fn address(&self) -> &[u8] {
        let len = usize::from(self.address_len()).min(ADDRESS_CAPACITY);
        &self.buffer.as_ref()[field::ADDRESS.start..field::ADDRESS.start + len]
    }

    /// The sender's MAC when the device is Ethernet (ARPHRD 1) with a 6-byte address.
    #[inline]
    pub fn mac(&self) -> Option<MacAddr> {
        ethernet_mac(self.hardware_type(), self.address())
    }

    /// Protocol type: usually an EtherType; see the module documentation for values below
    /// 0x0600.
    #[inline]
    pub fn protocol(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::PROTOCOL.start)
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Packet<&'a T> {
    /// Everything after the 16-byte header, borrowed from the original buffer.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        &self.buffer.as_ref()[field::PAYLOAD..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Sets the packet type.
    #[inline]
    pub fn set_packet_type(&mut self, value: PacketType) {
        self.buffer.as_mut()[field::PACKET_TYPE].copy_from_slice(&value.0.to_be_bytes());
    }

    /// Sets the ARPHRD_ device type.
    #[inline]
    pub fn set_hardware_type(&mut self, value: HardwareType) {
        self.buffer.as_mut()[field::HARDWARE_TYPE].copy_from_slice(&value.0.to_be_bytes());
    }

    /// Sets the address length field.
    #[inline]
    pub fn set_address_len(&mut self, value: u16) {
        self.buffer.as_mut()[field::ADDRESS_LEN].copy_from_slice(&value.to_be_bytes());
    }

    /// Sets all 8 bytes of the address field.
    #[inline]
    pub fn set_address_field(&mut self, value: [u8; ADDRESS_CAPACITY]) {
        self.buffer.as_mut()[field::ADDRESS].copy_from_slice(&value);
    }

    /// Sets the protocol type.
    #[inline]
    pub fn set_protocol(&mut self, value: u16) {
        self.buffer.as_mut()[field::PROTOCOL].copy_from_slice(&value.to_be_bytes());
    }

    /// The payload after the header, writable.
    #[inline]
    pub fn payload_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::PAYLOAD..]
    }
}

/// The meaning of an SLL header, losslessly (all 8 address bytes are kept, including any
/// padding beyond `address_len`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Repr {
    /// Packet type.
    pub packet_type: PacketType,
    /// ARPHRD_ device type.
    pub hardware_type: HardwareType,
    /// Link-layer address length as carried.
    pub address_len: u16,
    /// The whole 8-byte address field.
    pub address: [u8; ADDRESS_CAPACITY],
    /// Protocol type.
    pub protocol: u16,
}

impl Repr {
    /// Builds the usual header for a packet from an Ethernet device: a 6-byte address padded
    /// with zeros.
    #[inline]
    pub fn ethernet(packet_type: PacketType, mac: MacAddr, protocol: u16) -> Self {
        let mut address = [0; ADDRESS_CAPACITY];
        address[..MAC_LEN].copy_from_slice(&mac.0);
        Self {
            packet_type,
            hardware_type: HardwareType::ETHERNET,
            address_len: MAC_LEN as u16,
            address,
            protocol,
        }
    }

    /// Reads a checked header.
    pub fn parse<T: AsRef<[u8]>>(packet: &Packet<T>) -> Result<Self, Malformed> {
        packet.check_len()?;
        let mut address = [0; ADDRESS_CAPACITY];
        address.copy_from_slice(&packet.buffer.as_ref()[field::ADDRESS]);
        Ok(Self {
            packet_type: packet.packet_type(),
            hardware_type: packet.hardware_type(),
            address_len: packet.address_len(),
            address,
            protocol: packet.protocol(),
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
        packet.set_packet_type(self.packet_type);
        packet.set_hardware_type(self.hardware_type);
        packet.set_address_len(self.address_len);
        packet.set_address_field(self.address);
        packet.set_protocol(self.protocol);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// zeek testing/btest/Traces/linuxsll-arp.pcap frame 1: a broadcast ARP request.
    const ARP_FROM_ETHERNET: [u8; 20] = [
        0x00, 0x01, // packet type 1: broadcast
        0x00, 0x01, // ARPHRD 1: Ethernet
        0x00, 0x06, // address length 6
        0xcc, 0x2d, 0xe0, 0x26, 0x19, 0x99, 0x00, 0x00, // address cc:2d:e0:26:19:99 + padding
        0x08, 0x06, // protocol 0x0806: ARP
        0x00, 0x01, 0x08, 0x00, // ARP payload begins: htype 1, ptype IPv4
    ];

    /// tcpdump tests/RADIUS-RFC3162.pcap frame 1: IPv4 over loopback.
    const LOOPBACK_IPV4: [u8; 18] = [
        0x00, 0x00, // packet type 0: to us
        0x03, 0x04, // ARPHRD 772: loopback
        0x00, 0x06, // address length 6
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, // address 00:00:00:00:00:00 + padding
        0x08, 0x00, // protocol 0x0800: IPv4
        0x45, 0x00, // IPv4 header begins
    ];

    #[test]
    fn test_deconstruct_ethernet_arp() {
        let p = Packet::new_checked(&ARP_FROM_ETHERNET[..]).expect("valid");
        assert_eq!(p.packet_type(), PacketType::BROADCAST);
        assert_eq!(p.hardware_type(), HardwareType::ETHERNET);
        assert_eq!(p.address_len(), 6);
        assert_eq!(p.address(), [0xcc, 0x2d, 0xe0, 0x26, 0x19, 0x99]);
        assert_eq!(p.mac(), Some(MacAddr([0xcc, 0x2d, 0xe0, 0x26, 0x19, 0x99])));
        assert_eq!(p.protocol(), 0x0806);
        assert_eq!(p.payload(), [0x00, 0x01, 0x08, 0x00]);
    }

    #[test]
    fn test_deconstruct_loopback() {
        let p = Packet::new_checked(&LOOPBACK_IPV4[..]).expect("valid");
        assert_eq!(p.packet_type(), PacketType::HOST);
        assert_eq!(p.hardware_type(), HardwareType::LOOPBACK);
        assert_eq!(p.address(), [0; 6]);
        // Not an Ethernet device: no MAC, even with a 6-byte address.
        assert_eq!(p.mac(), None);
        assert_eq!(p.protocol(), 0x0800);
        assert_eq!(p.payload(), [0x45, 0x00]);
    }

    #[test]
    fn oversized_address_len_is_clamped() {
        let mut bytes = ARP_FROM_ETHERNET;
        bytes[4..6].copy_from_slice(&0xffffu16.to_be_bytes());
        let p = Packet::new_checked(&bytes[..]).expect("valid");
        assert_eq!(p.address_len(), 0xffff);
        assert_eq!(p.address().len(), ADDRESS_CAPACITY);
        assert_eq!(p.mac(), None);
        bytes[4..6].copy_from_slice(&0u16.to_be_bytes());
        let p = Packet::new_checked(&bytes[..]).expect("valid");
        assert!(p.address().is_empty());
        assert_eq!(p.mac(), None);
    }

    #[test]
    fn test_emit_matches_capture() {
        let repr = Repr::parse(&Packet::new_checked(&ARP_FROM_ETHERNET[..]).expect("valid"))
            .expect("parse");
        assert_eq!(
            repr,
            Repr::ethernet(
                PacketType::BROADCAST,
                MacAddr([0xcc, 0x2d, 0xe0, 0x26, 0x19, 0x99]),
                0x0806
            )
        );
        let mut buf = [0xa5; HEADER_LEN];
        repr.emit(&mut Packet::new_unchecked(&mut buf[..]));
        assert_eq!(buf, ARP_FROM_ETHERNET[..HEADER_LEN]);
    }

    #[test]
    fn truncated_header_is_sll_truncated() {
        for len in 0..HEADER_LEN {
            assert_eq!(
                Packet::new_checked(&ARP_FROM_ETHERNET[..len]).err(),
                Some(Malformed::SllTruncated)
            );
        }
        assert_eq!(
            Repr::parse(&Packet::new_unchecked(&ARP_FROM_ETHERNET[..15])),
            Err(Malformed::SllTruncated)
        );
        let p = Packet::new_checked(&ARP_FROM_ETHERNET[..HEADER_LEN]).expect("header only");
        assert!(p.payload().is_empty());
    }

    proptest! {
        #[test]
        fn roundtrip(packet_type: u16, hardware_type: u16, address_len: u16,
                     address: [u8; 8], protocol: u16,
                     payload in proptest::collection::vec(any::<u8>(), 0..16)) {
            let repr = Repr {
                packet_type: PacketType(packet_type),
                hardware_type: HardwareType(hardware_type),
                address_len,
                address,
                protocol,
            };
            let mut buf = vec![0; repr.buffer_len() + payload.len()];
            repr.emit(&mut Packet::new_unchecked(&mut buf));
            buf[HEADER_LEN..].copy_from_slice(&payload);
            let p = Packet::new_checked(&buf[..]).expect("valid");
            prop_assert_eq!(Repr::parse(&p).expect("parse"), repr);
            prop_assert_eq!(p.payload(), &payload[..]);
            prop_assert!(p.address().len() <= ADDRESS_CAPACITY);
        }
    }
}
