//! UDP header (RFC 768).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |          Source Port          |       Destination Port        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |            Length             |           Checksum            |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! [`Packet::new_checked`] wants the whole datagram; [`Packet::new_checked_truncated`] accepts
//! one cut short by the capture's snaplen, and a length of 0 (IPv6 jumbograms, RFC 2675 §4) as
//! "to the end of the buffer". With either, [`Packet::payload`] ends at the length field (or
//! the buffer's end if that comes first).

use std::net::IpAddr;

use crate::Malformed;
use crate::ipv4::{IpProtocol, checksum};

/// Field offsets in the UDP header (RFC 768).
mod field {
    pub(crate) type Field = core::ops::Range<usize>;

    /// Source Port.
    pub(crate) const SRC_PORT: Field = 0..2;
    /// Destination Port.
    pub(crate) const DST_PORT: Field = 2..4;
    /// Length of header plus data.
    pub(crate) const LENGTH: Field = 4..6;
    /// Checksum (0 = none, IPv4 only).
    pub(crate) const CHECKSUM: Field = 6..8;
}

/// Length of the UDP header.
pub const HEADER_LEN: usize = field::CHECKSUM.end;

/// A read/write view of a UDP datagram over any byte buffer.
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

    /// Wraps a buffer holding a whole datagram; no getter panics afterwards.
    ///
    /// Errors: shorter than 8 bytes ([`Malformed::UdpTruncated`]); length field below 8 or
    /// beyond the buffer ([`Malformed::UdpBadLength`]).
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, Malformed> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Like [`Self::new_checked`] but tolerant of snaplen-cut captures: the length field may
    /// exceed the buffer ([`Self::is_truncated`]) and 0 means "to the end of the buffer"
    /// (jumbograms). A length of 1 to 7 is still [`Malformed::UdpBadLength`]. No getter panics
    /// afterwards.
    #[inline]
    pub fn new_checked_truncated(buffer: T) -> Result<Self, Malformed> {
        let packet = Self::new_unchecked(buffer);
        packet.check_header()?;
        Ok(packet)
    }

    /// The checks of [`Self::new_checked_truncated`].
    #[inline]
    pub fn check_header(&self) -> Result<(), Malformed> {
        if self.buffer.as_ref().len() < HEADER_LEN {
            return Err(Malformed::UdpTruncated);
        }
        let len = self.len();
        if len != 0 && usize::from(len) < HEADER_LEN {
            return Err(Malformed::UdpBadLength);
        }
        Ok(())
    }

    /// The checks of [`Self::new_checked`].
    #[inline]
    pub fn check_len(&self) -> Result<(), Malformed> {
        if self.buffer.as_ref().len() < HEADER_LEN {
            return Err(Malformed::UdpTruncated);
        }
        let len = usize::from(self.len());
        if len < HEADER_LEN || len > self.buffer.as_ref().len() {
            return Err(Malformed::UdpBadLength);
        }
        Ok(())
    }

    /// Returns the underlying buffer.
    #[inline]
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// True when the length field claims more bytes than the buffer holds (snaplen cut).
    #[inline]
    pub fn is_truncated(&self) -> bool {
        usize::from(self.len()) > self.buffer.as_ref().len()
    }

    /// Source port.
    #[inline]
    pub fn src_port(&self) -> u16 {
        let b = self.buffer.as_ref();
        u16::from_be_bytes([b[0], b[1]])
    }

    /// Destination port.
    #[inline]
    pub fn dst_port(&self) -> u16 {
        let b = self.buffer.as_ref();
        u16::from_be_bytes([b[2], b[3]])
    }

    /// Length field: header plus payload as claimed on the wire (0 for a jumbogram).
    #[inline]
    #[allow(clippy::len_without_is_empty)] // the field's name in RFC 768; never "empty"
    pub fn len(&self) -> u16 {
        let b = self.buffer.as_ref();
        u16::from_be_bytes([b[4], b[5]])
    }

    /// Checksum as on the wire (0 = not computed, allowed over IPv4 only).
    #[inline]
    pub fn checksum(&self) -> u16 {
        let b = self.buffer.as_ref();
        u16::from_be_bytes([b[6], b[7]])
    }

    /// End of the datagram: the length field, capped at the buffer; 0 means the buffer's end.
    #[inline]
    fn end(&self) -> usize {
        let buffer_len = self.buffer.as_ref().len();
        match usize::from(self.len()) {
            0 => buffer_len,
            len => len.min(buffer_len),
        }
    }

    /// True when the checksum is correct for this pseudo-header, or absent (0) over IPv4.
    /// Only meaningful on a whole datagram (not [`Self::is_truncated`]); checksum offload
    /// makes bad sums common on a sending host, so this is a signal, not a reason to drop.
    pub fn verify_checksum(&self, src_addr: &IpAddr, dst_addr: &IpAddr) -> bool {
        if self.checksum() == 0 && src_addr.is_ipv4() {
            return true;
        }
        let data = &self.buffer.as_ref()[..self.end()];
        let sum = checksum::combine(&[
            checksum::pseudo_header(src_addr, dst_addr, IpProtocol::UDP, data.len() as u32),
            checksum::data(data),
        ]);
        sum == 0xffff
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Packet<&'a T> {
    /// The payload, ending at the length field (or the buffer's end if that comes first, or
    /// for a length of 0); borrowed from the original buffer.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        let end = self.end();
        &self.buffer.as_ref()[HEADER_LEN..end]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Sets the source port.
    #[inline]
    pub fn set_src_port(&mut self, value: u16) {
        self.buffer.as_mut()[field::SRC_PORT].copy_from_slice(&value.to_be_bytes());
    }

    /// Sets the destination port.
    #[inline]
    pub fn set_dst_port(&mut self, value: u16) {
        self.buffer.as_mut()[field::DST_PORT].copy_from_slice(&value.to_be_bytes());
    }

    /// Sets the length field.
    #[inline]
    pub fn set_len(&mut self, value: u16) {
        self.buffer.as_mut()[field::LENGTH].copy_from_slice(&value.to_be_bytes());
    }

    /// Sets the checksum field to `value`.
    #[inline]
    pub fn set_checksum(&mut self, value: u16) {
        self.buffer.as_mut()[field::CHECKSUM].copy_from_slice(&value.to_be_bytes());
    }

    /// Computes the checksum over pseudo-header, header and payload (up to the length field)
    /// and stores it; a computed 0 is sent as 0xffff (RFC 768).
    pub fn fill_checksum(&mut self, src_addr: &IpAddr, dst_addr: &IpAddr) {
        self.set_checksum(0);
        let end = self.end();
        let data = &self.buffer.as_ref()[..end];
        let sum = !checksum::combine(&[
            checksum::pseudo_header(src_addr, dst_addr, IpProtocol::UDP, data.len() as u32),
            checksum::data(data),
        ]);
        self.set_checksum(if sum == 0 { 0xffff } else { sum });
    }

    /// Mutable access to the payload (same range as `payload`).
    #[inline]
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let end = self.end();
        &mut self.buffer.as_mut()[HEADER_LEN..end]
    }
}

/// The owned meaning of a UDP header. The checksum is not kept: it depends on the IP
/// addresses and payload; check it on the view with [`Packet::verify_checksum`] and fill it
/// with [`Packet::fill_checksum`] after writing the payload.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Repr {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Payload length claimed by the length field (`len - 8`); for a length of 0
    /// (jumbogram) the bytes after the header in the buffer.
    pub payload_len: usize,
}

impl Repr {
    /// Reads a header checked by either constructor.
    pub fn parse<T: AsRef<[u8]>>(packet: &Packet<T>) -> Result<Self, Malformed> {
        packet.check_header()?;
        let payload_len = match usize::from(packet.len()) {
            0 => packet.buffer.as_ref().len() - HEADER_LEN,
            len => len - HEADER_LEN,
        };
        Ok(Self {
            src_port: packet.src_port(),
            dst_port: packet.dst_port(),
            payload_len,
        })
    }

    /// Length of the header `emit` writes (8 bytes); the payload follows it.
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the header into the first 8 bytes of `packet`, with the checksum set to 0
    /// (call [`Packet::fill_checksum`] once the payload is written). A datagram too long for
    /// the 16-bit length gets length 0, as for a jumbogram (RFC 2675 §4).
    ///
    /// Panics if the buffer is shorter than [`HEADER_LEN`].
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Packet<T>) {
        packet.set_src_port(self.src_port);
        packet.set_dst_port(self.dst_port);
        let len = u16::try_from(HEADER_LEN + self.payload_len).unwrap_or(0);
        packet.set_len(len);
        packet.set_checksum(0);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::net::Ipv4Addr;

    const SRC: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 10));
    const DST: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 1));

    // A DNS query for "a." from 192.168.1.10:54321 to 192.168.1.1:53.
    static DATAGRAM: [u8; 25] = [
        0xd4, 0x31, // source port 54321
        0x00, 0x35, // destination port 53
        0x00, 0x19, // length 25
        0x92, 0x63, // checksum
        // DNS (17 bytes): id, flags RD, 1 question, "a." IN A
        0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, //
        0x01, 0x61, 0x00, 0x00, 0x01,
    ];

    fn fixture_repr() -> Repr {
        Repr {
            src_port: 54321,
            dst_port: 53,
            payload_len: 17,
        }
    }

    #[test]
    fn test_deconstruct() {
        let packet = Packet::new_checked(&DATAGRAM[..]).unwrap();
        assert_eq!(packet.src_port(), 54321);
        assert_eq!(packet.dst_port(), 53);
        assert_eq!(packet.len(), 25);
        assert_eq!(packet.checksum(), 0x9263);
        assert!(packet.verify_checksum(&SRC, &DST));
        assert!(!packet.verify_checksum(&DST, &DST));
        assert!(!packet.is_truncated());
        assert_eq!(packet.payload(), &DATAGRAM[8..]);
        assert_eq!(Repr::parse(&packet).unwrap(), fixture_repr());
    }

    #[test]
    fn test_construct() {
        let repr = fixture_repr();
        let mut bytes = vec![0xa5; repr.buffer_len() + repr.payload_len];
        let mut packet = Packet::new_unchecked(&mut bytes);
        repr.emit(&mut packet);
        packet.payload_mut().copy_from_slice(&DATAGRAM[8..]);
        packet.fill_checksum(&SRC, &DST);
        assert_eq!(&bytes[..], &DATAGRAM[..]);
    }

    #[test]
    fn checksum_over_ipv6() {
        let src: IpAddr = "2001:db8::1".parse().unwrap();
        let dst: IpAddr = "2001:db8::2".parse().unwrap();
        let mut bytes = DATAGRAM;
        let mut packet = Packet::new_unchecked(&mut bytes[..]);
        packet.fill_checksum(&src, &dst);
        let packet = Packet::new_checked(&bytes[..]).unwrap();
        assert!(packet.verify_checksum(&src, &dst));
        let other: IpAddr = "2001:db8::3".parse().unwrap();
        assert!(!packet.verify_checksum(&src, &other));
        // Zero means "no checksum" only over IPv4.
        let mut bytes = DATAGRAM;
        bytes[6..8].copy_from_slice(&[0, 0]);
        let packet = Packet::new_checked(&bytes[..]).unwrap();
        assert!(packet.verify_checksum(&SRC, &DST));
        assert!(!packet.verify_checksum(&src, &dst));
    }

    #[test]
    fn payload_ends_at_length_field() {
        // Trailing bytes after the datagram (e.g. left by a lower layer) are not payload.
        let mut bytes = DATAGRAM.to_vec();
        bytes.extend_from_slice(&[0, 0, 0]);
        let packet = Packet::new_checked(&bytes[..]).unwrap();
        assert_eq!(packet.payload(), &DATAGRAM[8..]);
    }

    #[test]
    fn short_buffer_is_truncated() {
        for len in 0..HEADER_LEN {
            assert_eq!(
                Packet::new_checked(&DATAGRAM[..len]),
                Err(Malformed::UdpTruncated)
            );
            assert_eq!(
                Packet::new_checked_truncated(&DATAGRAM[..len]),
                Err(Malformed::UdpTruncated)
            );
        }
    }

    #[test]
    fn bad_length_is_rejected() {
        let mut bytes = DATAGRAM;
        for len in [0u16, 1, 7] {
            bytes[4..6].copy_from_slice(&len.to_be_bytes());
            assert_eq!(
                Packet::new_checked(&bytes[..]),
                Err(Malformed::UdpBadLength)
            );
        }
        for len in [1u16, 7] {
            bytes[4..6].copy_from_slice(&len.to_be_bytes());
            assert_eq!(
                Packet::new_checked_truncated(&bytes[..]),
                Err(Malformed::UdpBadLength)
            );
        }
        bytes[4..6].copy_from_slice(&26u16.to_be_bytes());
        assert_eq!(
            Packet::new_checked(&bytes[..]),
            Err(Malformed::UdpBadLength)
        );
    }

    #[test]
    fn snaplen_cut_datagram_is_accepted_by_truncated_constructor() {
        let cut = &DATAGRAM[..12];
        assert_eq!(Packet::new_checked(cut), Err(Malformed::UdpBadLength));
        let packet = Packet::new_checked_truncated(cut).unwrap();
        assert!(packet.is_truncated());
        assert_eq!(packet.payload(), &DATAGRAM[8..12]);
        assert_eq!(Repr::parse(&packet).unwrap().payload_len, 17);
    }

    #[test]
    fn zero_length_runs_to_end_of_buffer() {
        let mut bytes = DATAGRAM;
        bytes[4..6].copy_from_slice(&[0, 0]);
        let packet = Packet::new_checked_truncated(&bytes[..]).unwrap();
        assert!(!packet.is_truncated());
        assert_eq!(packet.payload(), &DATAGRAM[8..]);
        assert_eq!(Repr::parse(&packet).unwrap().payload_len, 17);
        // And emit writes 0 again for a datagram too long for 16 bits.
        let repr = Repr {
            src_port: 1,
            dst_port: 2,
            payload_len: 70_000,
        };
        let mut out = [0xffu8; 8];
        repr.emit(&mut Packet::new_unchecked(&mut out[..]));
        assert_eq!(out, [0, 1, 0, 2, 0, 0, 0, 0]);
    }

    proptest! {
        #[test]
        fn repr_round_trip(src_port in any::<u16>(), dst_port in any::<u16>(),
                           payload in proptest::collection::vec(any::<u8>(), 0..300)) {
            let repr = Repr { src_port, dst_port, payload_len: payload.len() };
            let mut bytes = vec![0; repr.buffer_len() + repr.payload_len];
            let mut packet = Packet::new_unchecked(&mut bytes);
            repr.emit(&mut packet);
            packet.payload_mut().copy_from_slice(&payload);
            packet.fill_checksum(&SRC, &DST);
            let packet = Packet::new_checked(&bytes[..]).unwrap();
            prop_assert!(packet.verify_checksum(&SRC, &DST));
            prop_assert_eq!(packet.payload(), &payload[..]);
            prop_assert_eq!(Repr::parse(&packet).unwrap(), repr);
        }

        #[test]
        fn hostile_input_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
            for packet in [Packet::new_checked(&bytes[..]), Packet::new_checked_truncated(&bytes[..])]
                .into_iter()
                .flatten()
            {
                prop_assert!(packet.payload().len() <= bytes.len());
                let _ = packet.verify_checksum(&SRC, &DST);
                prop_assert!(Repr::parse(&packet).is_ok());
            }
        }
    }
}
