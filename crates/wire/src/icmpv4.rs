//! ICMP for IPv4 (RFC 792).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Type      |     Code      |          Checksum             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |        Rest of header (identifier/sequence, gateway, ...)     |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Data (echo data, or the invoking IP header + 8 bytes) ...
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Every message RFC 792 defines has this 8-byte header, so [`Packet::new_checked`] requires 8
//! bytes. The checksum is not verified on parse: captured outbound packets often carry a
//! checksum the NIC fills in later, and a sensor still wants to see them; use
//! [`Packet::verify_checksum`] where it matters.
//!
//! This module also holds the crate's RFC 1071 Internet checksum arithmetic, which
//! [`crate::icmpv6`] reuses with the IPv6 pseudo-header.

use crate::bytes::read_u16;
use core::fmt;
use std::net::Ipv4Addr;

use crate::Malformed;
use crate::ipv4::checksum;

/// Field offsets in the ICMP header (RFC 792).
mod field {
    pub(crate) type Field = core::ops::Range<usize>;

    /// Message type.
    pub(crate) const TYPE: usize = 0;
    /// Type-specific code.
    pub(crate) const CODE: usize = 1;
    /// Ones'-complement checksum of the whole ICMP message.
    pub(crate) const CHECKSUM: Field = 2..4;
    /// The four type-specific bytes after the checksum.
    pub(crate) const REST_OF_HEADER: Field = 4..8;
    /// Echo identifier (echo, timestamp, information messages).
    pub(crate) const ECHO_IDENT: Field = 4..6;
    /// Echo sequence number.
    pub(crate) const ECHO_SEQ_NO: Field = 6..8;
    /// Start of the data.
    pub(crate) const DATA: usize = REST_OF_HEADER.end;
}

/// Length of the ICMP header in bytes.
pub const HEADER_LEN: usize = field::DATA;

/// The ICMP message type (RFC 792 and the IANA "ICMP Type Numbers" registry).
///
/// Every 8-bit value is representable; unknown types are not errors.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Message(pub u8);

impl Message {
    /// Echo Reply.
    pub const ECHO_REPLY: Self = Self(0);
    /// Destination Unreachable.
    pub const DST_UNREACHABLE: Self = Self(3);
    /// Source Quench (deprecated by RFC 6633).
    pub const SOURCE_QUENCH: Self = Self(4);
    /// Redirect.
    pub const REDIRECT: Self = Self(5);
    /// Echo Request.
    pub const ECHO_REQUEST: Self = Self(8);
    /// Router Advertisement (RFC 1256).
    pub const ROUTER_ADVERT: Self = Self(9);
    /// Router Solicitation (RFC 1256).
    pub const ROUTER_SOLICIT: Self = Self(10);
    /// Time Exceeded.
    pub const TIME_EXCEEDED: Self = Self(11);
    /// Parameter Problem.
    pub const PARAM_PROBLEM: Self = Self(12);
    /// Timestamp Request.
    pub const TIMESTAMP: Self = Self(13);
    /// Timestamp Reply.
    pub const TIMESTAMP_REPLY: Self = Self(14);
    /// Information Request (deprecated by RFC 6918).
    pub const INFO_REQUEST: Self = Self(15);
    /// Information Reply (deprecated by RFC 6918).
    pub const INFO_REPLY: Self = Self(16);
    /// Address Mask Request (RFC 950, deprecated by RFC 6918).
    pub const ADDRESS_MASK_REQUEST: Self = Self(17);
    /// Address Mask Reply (RFC 950, deprecated by RFC 6918).
    pub const ADDRESS_MASK_REPLY: Self = Self(18);

    /// True for the error messages whose data carries the invoking datagram's IP header and
    /// first 8 data bytes (RFC 792): destination unreachable, source quench, redirect, time
    /// exceeded, parameter problem.
    #[inline]
    pub const fn is_error(self) -> bool {
        matches!(self.0, 3 | 4 | 5 | 11 | 12)
    }

    const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            0 => "EchoReply",
            3 => "DstUnreachable",
            4 => "SourceQuench",
            5 => "Redirect",
            8 => "EchoRequest",
            9 => "RouterAdvert",
            10 => "RouterSolicit",
            11 => "TimeExceeded",
            12 => "ParamProblem",
            13 => "Timestamp",
            14 => "TimestampReply",
            15 => "InfoRequest",
            16 => "InfoReply",
            17 => "AddressMaskRequest",
            18 => "AddressMaskReply",
            _ => return None,
        })
    }
}

impl From<u8> for Message {
    #[inline]
    fn from(value: u8) -> Self {
        Self(value)
    }
}

impl fmt::Debug for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.name() {
            Some(name) => f.write_str(name),
            None => write!(f, "Message({})", self.0),
        }
    }
}

impl fmt::Display for Message {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// A read/write view of an ICMP message over any byte buffer.
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

    /// Wraps a buffer after checking it holds the 8-byte header; no getter panics afterwards.
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
            Err(Malformed::IcmpTruncated)
        } else {
            Ok(())
        }
    }

    /// Returns the underlying buffer.
    #[inline]
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Message type.
    #[inline]
    pub fn msg_type(&self) -> Message {
        Message(self.buffer.as_ref()[field::TYPE])
    }

    /// Type-specific code (e.g. 3 = port unreachable for [`Message::DST_UNREACHABLE`]).
    #[inline]
    pub fn code(&self) -> u8 {
        self.buffer.as_ref()[field::CODE]
    }

    /// Checksum field as carried.
    #[inline]
    pub fn checksum(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::CHECKSUM.start)
    }

    /// The four type-specific bytes after the checksum, big-endian.
    #[inline]
    pub fn rest_of_header(&self) -> u32 {
        let b = self.buffer.as_ref();
        let r = field::REST_OF_HEADER.start;
        u32::from_be_bytes([b[r], b[r + 1], b[r + 2], b[r + 3]])
    }

    /// Echo/timestamp/information identifier (first half of the rest of header).
    #[inline]
    pub fn echo_ident(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::ECHO_IDENT.start)
    }

    /// Echo/timestamp/information sequence number (second half of the rest of header).
    #[inline]
    pub fn echo_seq_no(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::ECHO_SEQ_NO.start)
    }

    /// Gateway address of a [`Message::REDIRECT`] (the rest of header read as an address).
    #[inline]
    pub fn redirect_gateway(&self) -> Ipv4Addr {
        Ipv4Addr::from(self.rest_of_header())
    }

    /// True when the checksum over the whole buffer is correct. A capture cut short by the
    /// snap length cannot be verified and reports `false`.
    #[inline]
    pub fn verify_checksum(&self) -> bool {
        checksum::data(self.buffer.as_ref()) == 0xffff
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Packet<&'a T> {
    /// Everything after the 8-byte header, borrowed from the original buffer: echo data, or for
    /// error messages ([`Message::is_error`]) the invoking IP header and leading data bytes.
    #[inline]
    pub fn data(&self) -> &'a [u8] {
        &self.buffer.as_ref()[field::DATA..]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Sets the message type.
    #[inline]
    pub fn set_msg_type(&mut self, value: Message) {
        self.buffer.as_mut()[field::TYPE] = value.0;
    }

    /// Sets the code.
    #[inline]
    pub fn set_code(&mut self, value: u8) {
        self.buffer.as_mut()[field::CODE] = value;
    }

    /// Sets the checksum field to a given value.
    #[inline]
    pub fn set_checksum(&mut self, value: u16) {
        self.buffer.as_mut()[field::CHECKSUM].copy_from_slice(&value.to_be_bytes());
    }

    /// Sets the four type-specific bytes after the checksum.
    #[inline]
    pub fn set_rest_of_header(&mut self, value: u32) {
        self.buffer.as_mut()[field::REST_OF_HEADER].copy_from_slice(&value.to_be_bytes());
    }

    /// The data after the header, writable.
    #[inline]
    pub fn data_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::DATA..]
    }

    /// Computes the checksum over the whole buffer and stores it.
    #[inline]
    pub fn fill_checksum(&mut self) {
        self.set_checksum(0);
        let sum = !checksum::data(self.buffer.as_ref());
        self.set_checksum(sum);
    }
}

/// The meaning of an ICMP message: type, code, the four type-specific header bytes and the
/// data, losslessly (the checksum is recomputed on emit and not kept).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Repr<'a> {
    /// Message type.
    pub msg_type: Message,
    /// Type-specific code.
    pub code: u8,
    /// The four bytes after the checksum (identifier/sequence, gateway, pointer, unused).
    pub rest_of_header: u32,
    /// Everything after the header.
    pub data: &'a [u8],
}

impl<'a> Repr<'a> {
    /// Reads a checked packet. Does not verify the checksum (see the module documentation).
    pub fn parse<T: AsRef<[u8]> + ?Sized>(packet: &Packet<&'a T>) -> Result<Self, Malformed> {
        packet.check_len()?;
        Ok(Self {
            msg_type: packet.msg_type(),
            code: packet.code(),
            rest_of_header: packet.rest_of_header(),
            data: packet.data(),
        })
    }

    /// Bytes [`Repr::emit`] writes.
    #[inline]
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN + self.data.len()
    }

    /// Writes the message and its checksum into a packet whose buffer is exactly
    /// [`Repr::buffer_len`] bytes long (the checksum covers the whole buffer).
    ///
    /// # Panics
    /// If the buffer is shorter than [`Repr::buffer_len`].
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Packet<T>) {
        packet.set_msg_type(self.msg_type);
        packet.set_code(self.code);
        packet.set_rest_of_header(self.rest_of_header);
        packet.data_mut()[..self.data.len()].copy_from_slice(self.data);
        packet.fill_checksum();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// zeek testing/btest/Traces/icmp/icmp-ping.pcap frame 1, ICMP part (after Ethernet + IPv4).
    const ECHO_REQUEST: [u8; 64] = [
        0x08, // type: echo request (RFC 792)
        0x00, // code 0
        0x69, 0x09, // checksum
        0x88, 0x1c, // identifier 0x881c
        0x00, 0x00, // sequence number 0
        // data: 8-byte timestamp then 0x08..0x37
        0x4f, 0x85, 0xe0, 0x43, 0x00, 0x0e, 0xeb, 0xff, 0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e,
        0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17, 0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d,
        0x1e, 0x1f, 0x20, 0x21, 0x22, 0x23, 0x24, 0x25, 0x26, 0x27, 0x28, 0x29, 0x2a, 0x2b, 0x2c,
        0x2d, 0x2e, 0x2f, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37,
    ];

    /// zeek testing/btest/Traces/icmp/icmp-destunreach-udp.pcap, ICMP header and the start of
    /// the quoted datagram.
    const PORT_UNREACHABLE: [u8; 16] = [
        0x03, // type: destination unreachable
        0x03, // code 3: port unreachable
        0x03, 0xbb, // checksum (of the full 160-byte message, not of this prefix)
        0x00, 0x00, 0x00, 0x00, // unused
        // invoking IPv4 header begins: version 4, IHL 5, TOS 0, total length 0xa3 ...
        0x45, 0x00, 0x00, 0xa3, 0x37, 0x11, 0x00, 0x00,
    ];

    #[test]
    fn test_deconstruct_echo_request() {
        let p = Packet::new_checked(&ECHO_REQUEST[..]).expect("valid");
        assert_eq!(p.msg_type(), Message::ECHO_REQUEST);
        assert_eq!(p.code(), 0);
        assert_eq!(p.checksum(), 0x6909);
        assert_eq!(p.echo_ident(), 0x881c);
        assert_eq!(p.echo_seq_no(), 0);
        assert_eq!(p.rest_of_header(), 0x881c_0000);
        assert_eq!(p.data().len(), 56);
        assert_eq!(p.data()[8], 0x08);
        assert!(p.verify_checksum());
        assert!(!p.msg_type().is_error());
        assert_eq!(format!("{:?}", p.msg_type()), "EchoRequest");
    }

    #[test]
    fn test_deconstruct_port_unreachable() {
        let p = Packet::new_checked(&PORT_UNREACHABLE[..]).expect("valid");
        assert_eq!(p.msg_type(), Message::DST_UNREACHABLE);
        assert!(p.msg_type().is_error());
        assert_eq!(p.code(), 3);
        assert_eq!(p.data()[0], 0x45);
        // The capture holds only part of the message here: the checksum cannot match.
        assert!(!p.verify_checksum());
    }

    #[test]
    fn redirect_gateway_reads_rest_of_header() {
        let bytes = [5, 1, 0, 0, 192, 168, 1, 254];
        let p = Packet::new_checked(&bytes[..]).expect("valid");
        assert_eq!(p.redirect_gateway(), Ipv4Addr::new(192, 168, 1, 254));
        assert!(p.data().is_empty());
    }

    #[test]
    fn test_emit_matches_capture() {
        let p = Packet::new_checked(&ECHO_REQUEST[..]).expect("valid");
        let repr = Repr::parse(&p).expect("parse");
        let mut buf = vec![0xa5; repr.buffer_len()];
        repr.emit(&mut Packet::new_unchecked(&mut buf));
        assert_eq!(buf, ECHO_REQUEST);
    }

    #[test]
    fn truncated_header_is_icmp_truncated() {
        for len in 0..HEADER_LEN {
            assert_eq!(
                Packet::new_checked(&ECHO_REQUEST[..len]).err(),
                Some(Malformed::IcmpTruncated),
                "len {len}"
            );
        }
        let unchecked = Packet::new_unchecked(&ECHO_REQUEST[..4]);
        assert_eq!(Repr::parse(&unchecked), Err(Malformed::IcmpTruncated));
    }

    #[test]
    fn unknown_type_is_representable() {
        let bytes = [200, 7, 0, 0, 1, 2, 3, 4];
        let p = Packet::new_checked(&bytes[..]).expect("valid");
        assert_eq!(p.msg_type(), Message(200));
        assert_eq!(format!("{:?}", p.msg_type()), "Message(200)");
    }

    proptest! {
        #[test]
        fn roundtrip(msg_type: u8, code: u8, rest: u32,
                     data in proptest::collection::vec(any::<u8>(), 0..64)) {
            let repr = Repr { msg_type: Message(msg_type), code, rest_of_header: rest, data: &data };
            let mut buf = vec![0; repr.buffer_len()];
            repr.emit(&mut Packet::new_unchecked(&mut buf));
            let p = Packet::new_checked(&buf[..]).expect("emitted packet is valid");
            prop_assert!(p.verify_checksum());
            prop_assert_eq!(Repr::parse(&p).expect("parse"), repr);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..32)) {
            if let Ok(p) = Packet::new_checked(&bytes[..]) {
                let _ = (p.msg_type(), p.code(), p.checksum(), p.rest_of_header(), p.data());
                let _ = (p.echo_ident(), p.echo_seq_no(), p.redirect_gateway(), p.verify_checksum());
            }
        }
    }
}
