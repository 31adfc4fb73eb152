//! IPv4 header (RFC 791 §3.1), plus the IP-layer items IPv4 and IPv6 share: the protocol
//! number [`IpProtocol`], the Internet checksum ([`checksum`], RFC 1071) and the fixed-capacity
//! [`OptionBytes`] used by IPv4 and TCP headers.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |Version|  IHL  |   DSCP    |ECN|          Total Length         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |         Identification        |R|D|M|      Fragment Offset    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  Time to Live |    Protocol   |         Header Checksum       |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                       Source Address                          |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Destination Address                        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Options                    |    Padding    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Two constructors:
//! - [`Packet::new_checked`] requires the whole datagram (`total_len`) to be in the buffer.
//! - [`Packet::new_checked_truncated`] accepts a datagram cut short by the capture's snaplen
//!   (`total_len` beyond the buffer); the sensor uses this one and counts truncation itself
//!   with [`Packet::is_truncated`].
//!
//! With either, [`Packet::payload`] ends at `min(total_len, buffer length)`: Ethernet pads short
//! frames with zeros, and that padding is not IP payload.

use core::fmt;
use std::net::Ipv4Addr;

use crate::Malformed;

/// Field offsets in the IPv4 header (RFC 791 §3.1).
mod field {
    pub(crate) type Field = core::ops::Range<usize>;

    /// Version (4 bits) and Internet Header Length (4 bits, in 32-bit words).
    pub(crate) const VER_IHL: usize = 0;
    /// DSCP (6 bits, RFC 2474) and ECN (2 bits, RFC 3168); formerly Type of Service.
    pub(crate) const DSCP_ECN: usize = 1;
    /// Total Length of the datagram, header included.
    pub(crate) const LENGTH: Field = 2..4;
    /// Identification.
    pub(crate) const IDENT: Field = 4..6;
    /// Flags (reserved, DF, MF) and Fragment Offset (13 bits, in 8-byte units).
    pub(crate) const FLG_OFF: Field = 6..8;
    /// Time to Live.
    pub(crate) const TTL: usize = 8;
    /// Protocol of the payload.
    pub(crate) const PROTOCOL: usize = 9;
    /// Header Checksum.
    pub(crate) const CHECKSUM: Field = 10..12;
    /// Source Address.
    pub(crate) const SRC_ADDR: Field = 12..16;
    /// Destination Address.
    pub(crate) const DST_ADDR: Field = 16..20;
}

/// Length of the IPv4 header without options.
pub const HEADER_LEN: usize = field::DST_ADDR.end;

/// Longest IPv4 header: IHL is 4 bits, 15 words of 4 bytes (RFC 791 §3.1).
pub const MAX_HEADER_LEN: usize = 15 * 4;

/// IP protocol number (IPv4 Protocol, IPv6 Next Header), IANA "Assigned Internet Protocol
/// Numbers". Every 8-bit value is representable.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct IpProtocol(pub u8);

impl IpProtocol {
    /// IPv6 Hop-by-Hop Options (RFC 8200 §4.3).
    pub const IPV6_HOP_BY_HOP: Self = Self(0);
    /// Internet Control Message Protocol (RFC 792).
    pub const ICMP: Self = Self(1);
    /// Internet Group Management Protocol (RFC 3376).
    pub const IGMP: Self = Self(2);
    /// IPv4 encapsulation (IP-in-IP, RFC 2003).
    pub const IPV4: Self = Self(4);
    /// Transmission Control Protocol (RFC 9293).
    pub const TCP: Self = Self(6);
    /// User Datagram Protocol (RFC 768).
    pub const UDP: Self = Self(17);
    /// IPv6 encapsulation (RFC 2473, 6in4).
    pub const IPV6: Self = Self(41);
    /// IPv6 Routing header (RFC 8200 §4.4).
    pub const IPV6_ROUTE: Self = Self(43);
    /// IPv6 Fragment header (RFC 8200 §4.5).
    pub const IPV6_FRAG: Self = Self(44);
    /// Generic Routing Encapsulation (RFC 2784).
    pub const GRE: Self = Self(47);
    /// Encapsulating Security Payload (RFC 4303).
    pub const ESP: Self = Self(50);
    /// Authentication Header (RFC 4302).
    pub const AH: Self = Self(51);
    /// ICMP for IPv6 (RFC 4443).
    pub const ICMPV6: Self = Self(58);
    /// IPv6 No Next Header (RFC 8200 §4.7).
    pub const IPV6_NO_NXT: Self = Self(59);
    /// IPv6 Destination Options (RFC 8200 §4.6).
    pub const IPV6_OPTS: Self = Self(60);
    /// Stream Control Transmission Protocol (RFC 9260).
    pub const SCTP: Self = Self(132);
    /// Mobility header (RFC 6275).
    pub const MOBILITY: Self = Self(135);
    /// Host Identity Protocol (RFC 7401).
    pub const HIP: Self = Self(139);
    /// Shim6 protocol (RFC 5533).
    pub const SHIM6: Self = Self(140);
}

impl From<u8> for IpProtocol {
    #[inline]
    fn from(value: u8) -> Self {
        Self(value)
    }
}

impl From<IpProtocol> for u8 {
    #[inline]
    fn from(value: IpProtocol) -> Self {
        value.0
    }
}

impl fmt::Debug for IpProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match *self {
            Self::IPV6_HOP_BY_HOP => "IPv6-HopByHop",
            Self::ICMP => "ICMP",
            Self::IGMP => "IGMP",
            Self::IPV4 => "IPv4",
            Self::TCP => "TCP",
            Self::UDP => "UDP",
            Self::IPV6 => "IPv6",
            Self::IPV6_ROUTE => "IPv6-Route",
            Self::IPV6_FRAG => "IPv6-Frag",
            Self::GRE => "GRE",
            Self::ESP => "ESP",
            Self::AH => "AH",
            Self::ICMPV6 => "ICMPv6",
            Self::IPV6_NO_NXT => "IPv6-NoNxt",
            Self::IPV6_OPTS => "IPv6-Opts",
            Self::SCTP => "SCTP",
            Self::MOBILITY => "Mobility",
            Self::HIP => "HIP",
            Self::SHIM6 => "Shim6",
            _ => return write!(f, "IpProtocol({})", self.0),
        };
        f.write_str(name)
    }
}

impl fmt::Display for IpProtocol {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

/// The Internet checksum (RFC 1071) shared by IPv4, ICMP, TCP and UDP.
pub mod checksum {
    use std::net::IpAddr;

    use super::IpProtocol;

    /// Adds `data` as big-endian 16-bit words (an odd last byte is padded with zero) into a
    /// 32-bit one's-complement-foldable accumulator.
    #[inline]
    fn accumulate(mut sum: u64, data: &[u8]) -> u64 {
        // Summing 32-bit words into a 64-bit accumulator and folding at the end gives the
        // same one's-complement result as 16-bit words (RFC 1071 §2 (B), byte-order
        // independence and deferred carries) with half the iterations.
        let mut chunks = data.chunks_exact(4);
        for c in &mut chunks {
            sum += u64::from(u32::from_be_bytes([c[0], c[1], c[2], c[3]]));
        }
        let rest = chunks.remainder();
        let mut tail = [0u8; 4];
        tail[..rest.len()].copy_from_slice(rest);
        sum + u64::from(u32::from_be_bytes(tail))
    }

    #[inline]
    fn fold(mut sum: u64) -> u16 {
        while sum > 0xffff {
            sum = (sum & 0xffff) + (sum >> 16);
        }
        sum as u16
    }

    /// One's-complement sum of `data` (not yet complemented). Combine partial sums with
    /// [`combine`]; the checksum field holds `!combine(..)`.
    #[inline]
    pub fn data(data: &[u8]) -> u16 {
        fold(accumulate(0, data))
    }

    /// One's-complement sum of several partial sums.
    #[inline]
    pub fn combine(sums: &[u16]) -> u16 {
        fold(sums.iter().map(|&s| u64::from(s)).sum())
    }

    /// One's-complement sum of the TCP/UDP pseudo-header: RFC 9293 §3.1 and RFC 768 for IPv4,
    /// RFC 8200 §8.1 for IPv6. `length` is the upper-layer length (header plus payload).
    ///
    /// Mixed families are a caller error; they are summed as IPv6 with the IPv4 address
    /// mapped (`::ffff:a.b.c.d`) rather than panicking.
    pub fn pseudo_header(src: &IpAddr, dst: &IpAddr, protocol: IpProtocol, length: u32) -> u16 {
        let sum = match (src, dst) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                let sum = accumulate(0, &s.octets());
                let sum = accumulate(sum, &d.octets());
                // zero, protocol, 16-bit length
                sum + u64::from(protocol.0) + u64::from(length & 0xffff)
            }
            _ => {
                let v6 = |a: &IpAddr| match a {
                    IpAddr::V4(a) => a.to_ipv6_mapped(),
                    IpAddr::V6(a) => *a,
                };
                let sum = accumulate(0, &v6(src).octets());
                let sum = accumulate(sum, &v6(dst).octets());
                // 32-bit length, three zero bytes, next header
                sum + u64::from(length >> 16) + u64::from(length & 0xffff) + u64::from(protocol.0)
            }
        };
        fold(sum)
    }
}

/// Up to 40 bytes of header options kept by value (IPv4 and TCP both allow 40: a 4-bit length
/// field counting 32-bit words, minus the 20-byte fixed header). Always a multiple of 4 bytes
/// long, because both headers are.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct OptionBytes {
    len: u8,
    bytes: [u8; Self::CAPACITY],
}

impl OptionBytes {
    /// Most option bytes an IPv4 or TCP header can carry: (15 - 5) words × 4 bytes.
    pub const CAPACITY: usize = 40;

    /// No options.
    pub const EMPTY: Self = Self {
        len: 0,
        bytes: [0; Self::CAPACITY],
    };

    /// Copies `options` if it is at most [`Self::CAPACITY`] bytes and a multiple of 4.
    pub fn new(options: &[u8]) -> Option<Self> {
        // `& 3` rather than `is_multiple_of(4)`, which is newer than the workspace MSRV (1.85).
        if options.len() > Self::CAPACITY || options.len() & 3 != 0 {
            return None;
        }
        let mut bytes = [0; Self::CAPACITY];
        bytes[..options.len()].copy_from_slice(options);
        Some(Self {
            len: options.len() as u8,
            bytes,
        })
    }

    /// The option bytes, padding included.
    #[inline]
    pub fn as_slice(&self) -> &[u8] {
        &self.bytes[..usize::from(self.len)]
    }

    /// Number of option bytes (a multiple of 4).
    #[inline]
    pub const fn len(&self) -> usize {
        self.len as usize
    }

    /// True when there are no options.
    #[inline]
    pub const fn is_empty(&self) -> bool {
        self.len == 0
    }
}

impl Default for OptionBytes {
    fn default() -> Self {
        Self::EMPTY
    }
}

impl fmt::Debug for OptionBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("OptionBytes(")?;
        for b in self.as_slice() {
            write!(f, "{b:02x}")?;
        }
        f.write_str(")")
    }
}

/// A read/write view of an IPv4 datagram over any byte buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps a buffer without checking it; getters may panic on a short or inconsistent
    /// buffer. Use for emitting into a buffer of known size.
    #[inline]
    pub const fn new_unchecked(buffer: T) -> Self {
        Self { buffer }
    }

    /// Wraps a buffer holding a whole datagram; no getter panics afterwards.
    ///
    /// Errors: shorter than 20 bytes ([`Malformed::Ipv4Truncated`]), version not 4
    /// ([`Malformed::Ipv4BadVersion`]), IHL below 5 or header past the buffer
    /// ([`Malformed::Ipv4BadHeaderLength`]), total length below the header length or beyond
    /// the buffer ([`Malformed::Ipv4BadTotalLength`]).
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, Malformed> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Like [`Self::new_checked`] but accepts a datagram cut short by the capture's snaplen:
    /// `total_len` may exceed the buffer (see [`Self::is_truncated`]). The header itself must
    /// still be complete and `total_len` must still cover it — except that a `total_len` of 0
    /// means "the rest of the buffer": segmentation offload (TSO/GSO, Linux BIG TCP) hands
    /// the capture point datagrams larger than 64 KiB whose length field is left 0, and
    /// Wireshark reads them the same way. No getter panics afterwards, and
    /// [`Packet::payload`] ends at `min(total_len, buffer length)` (the buffer end for 0).
    #[inline]
    pub fn new_checked_truncated(buffer: T) -> Result<Self, Malformed> {
        let packet = Self::new_unchecked(buffer);
        if packet.buffer.as_ref().len() >= HEADER_LEN && packet.total_len() == 0 {
            packet.check_header_fields()?;
        } else {
            packet.check_header()?;
        }
        Ok(packet)
    }

    /// Version and header length checks shared by both constructors.
    fn check_header_fields(&self) -> Result<(), Malformed> {
        let len = self.buffer.as_ref().len();
        if self.version() != 4 {
            return Err(Malformed::Ipv4BadVersion);
        }
        let header_len = usize::from(self.header_len());
        if header_len < HEADER_LEN || header_len > len {
            return Err(Malformed::Ipv4BadHeaderLength);
        }
        Ok(())
    }

    /// The checks of [`Self::new_checked_truncated`].
    #[inline]
    pub fn check_header(&self) -> Result<(), Malformed> {
        let len = self.buffer.as_ref().len();
        if len < HEADER_LEN {
            return Err(Malformed::Ipv4Truncated);
        }
        if self.version() != 4 {
            return Err(Malformed::Ipv4BadVersion);
        }
        let header_len = usize::from(self.header_len());
        if header_len < HEADER_LEN || header_len > len {
            return Err(Malformed::Ipv4BadHeaderLength);
        }
        if usize::from(self.total_len()) < header_len {
            return Err(Malformed::Ipv4BadTotalLength);
        }
        Ok(())
    }

    /// The checks of [`Self::new_checked`].
    #[inline]
    pub fn check_len(&self) -> Result<(), Malformed> {
        self.check_header()?;
        if usize::from(self.total_len()) > self.buffer.as_ref().len() {
            return Err(Malformed::Ipv4BadTotalLength);
        }
        Ok(())
    }

    /// Returns the underlying buffer.
    #[inline]
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// True when `total_len` claims more bytes than the buffer holds (snaplen cut).
    #[inline]
    pub fn is_truncated(&self) -> bool {
        usize::from(self.total_len()) > self.buffer.as_ref().len()
    }

    /// Version field (4 after `new_checked`).
    #[inline]
    pub fn version(&self) -> u8 {
        self.buffer.as_ref()[field::VER_IHL] >> 4
    }

    /// Header length in bytes (IHL × 4), options included.
    #[inline]
    pub fn header_len(&self) -> u8 {
        (self.buffer.as_ref()[field::VER_IHL] & 0x0f) * 4
    }

    /// Differentiated Services Code Point (RFC 2474), 6 bits.
    #[inline]
    pub fn dscp(&self) -> u8 {
        self.buffer.as_ref()[field::DSCP_ECN] >> 2
    }

    /// Explicit Congestion Notification (RFC 3168), 2 bits.
    #[inline]
    pub fn ecn(&self) -> u8 {
        self.buffer.as_ref()[field::DSCP_ECN] & 0x03
    }

    /// Total Length: header plus payload, as claimed on the wire.
    #[inline]
    pub fn total_len(&self) -> u16 {
        let b = self.buffer.as_ref();
        u16::from_be_bytes([b[2], b[3]])
    }

    /// Identification.
    #[inline]
    pub fn ident(&self) -> u16 {
        let b = self.buffer.as_ref();
        u16::from_be_bytes([b[4], b[5]])
    }

    #[inline]
    fn flags_offset(&self) -> u16 {
        let b = self.buffer.as_ref();
        u16::from_be_bytes([b[6], b[7]])
    }

    /// The reserved flag bit (must be zero, RFC 791; the "evil bit" of RFC 3514).
    #[inline]
    pub fn reserved_flag(&self) -> bool {
        self.flags_offset() & 0x8000 != 0
    }

    /// Don't Fragment.
    #[inline]
    pub fn dont_frag(&self) -> bool {
        self.flags_offset() & 0x4000 != 0
    }

    /// More Fragments.
    #[inline]
    pub fn more_frags(&self) -> bool {
        self.flags_offset() & 0x2000 != 0
    }

    /// Fragment offset in bytes (the field counts 8-byte units).
    #[inline]
    pub fn frag_offset(&self) -> u16 {
        (self.flags_offset() & 0x1fff) << 3
    }

    /// True for any fragment: More Fragments set or a nonzero offset.
    #[inline]
    pub fn is_fragment(&self) -> bool {
        self.flags_offset() & 0x3fff != 0
    }

    /// Time to Live.
    #[inline]
    pub fn ttl(&self) -> u8 {
        self.buffer.as_ref()[field::TTL]
    }

    /// Protocol of the payload.
    #[inline]
    pub fn protocol(&self) -> IpProtocol {
        IpProtocol(self.buffer.as_ref()[field::PROTOCOL])
    }

    /// Header Checksum as on the wire.
    #[inline]
    pub fn checksum(&self) -> u16 {
        let b = self.buffer.as_ref();
        u16::from_be_bytes([b[10], b[11]])
    }

    /// Source address.
    #[inline]
    pub fn src_addr(&self) -> Ipv4Addr {
        let b = self.buffer.as_ref();
        Ipv4Addr::new(b[12], b[13], b[14], b[15])
    }

    /// Destination address.
    #[inline]
    pub fn dst_addr(&self) -> Ipv4Addr {
        let b = self.buffer.as_ref();
        Ipv4Addr::new(b[16], b[17], b[18], b[19])
    }

    /// True when the header checksum is correct. Captures on a sending host often show bad
    /// checksums because of checksum offload, so this is a signal, not a reason to drop.
    #[inline]
    pub fn verify_checksum(&self) -> bool {
        let header = &self.buffer.as_ref()[..usize::from(self.header_len())];
        checksum::data(header) == 0xffff
    }

    /// Range of the payload: from the end of the header to `min(total_len, buffer length)`.
    /// Both checked constructors guarantee `header_len <= total_len` and
    /// `header_len <= buffer length`, so the range is valid.
    #[inline]
    fn payload_range(&self) -> core::ops::Range<usize> {
        let len = self.buffer.as_ref().len();
        let end = match self.total_len() {
            0 => len,
            total => usize::from(total).min(len),
        };
        usize::from(self.header_len())..end
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Packet<&'a T> {
    /// The options bytes (between the fixed header and the payload), borrowed from the buffer.
    #[inline]
    pub fn options(&self) -> &'a [u8] {
        &self.buffer.as_ref()[HEADER_LEN..usize::from(self.header_len())]
    }

    /// The payload, ending at `min(total_len, buffer length)` so Ethernet padding is excluded.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        let range = self.payload_range();
        &self.buffer.as_ref()[range]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Sets the version field.
    #[inline]
    pub fn set_version(&mut self, value: u8) {
        let b = &mut self.buffer.as_mut()[field::VER_IHL];
        *b = (*b & 0x0f) | (value << 4);
    }

    /// Sets the header length in bytes (rounded down to a multiple of 4, at most 60).
    #[inline]
    pub fn set_header_len(&mut self, value: u8) {
        let b = &mut self.buffer.as_mut()[field::VER_IHL];
        *b = (*b & 0xf0) | ((value / 4) & 0x0f);
    }

    /// Sets DSCP (6 bits) and ECN (2 bits).
    #[inline]
    pub fn set_dscp_ecn(&mut self, dscp: u8, ecn: u8) {
        self.buffer.as_mut()[field::DSCP_ECN] = (dscp << 2) | (ecn & 0x03);
    }

    /// Sets Total Length.
    #[inline]
    pub fn set_total_len(&mut self, value: u16) {
        self.buffer.as_mut()[field::LENGTH].copy_from_slice(&value.to_be_bytes());
    }

    /// Sets Identification.
    #[inline]
    pub fn set_ident(&mut self, value: u16) {
        self.buffer.as_mut()[field::IDENT].copy_from_slice(&value.to_be_bytes());
    }

    /// Sets the three flag bits and the fragment offset (in bytes, rounded down to 8).
    #[inline]
    pub fn set_flags_frag_offset(
        &mut self,
        reserved: bool,
        dont_frag: bool,
        more_frags: bool,
        frag_offset: u16,
    ) {
        let value = (u16::from(reserved) << 15)
            | (u16::from(dont_frag) << 14)
            | (u16::from(more_frags) << 13)
            | (frag_offset >> 3);
        self.buffer.as_mut()[field::FLG_OFF].copy_from_slice(&value.to_be_bytes());
    }

    /// Sets Time to Live.
    #[inline]
    pub fn set_ttl(&mut self, value: u8) {
        self.buffer.as_mut()[field::TTL] = value;
    }

    /// Sets Protocol.
    #[inline]
    pub fn set_protocol(&mut self, value: IpProtocol) {
        self.buffer.as_mut()[field::PROTOCOL] = value.0;
    }

    /// Sets the Header Checksum field to `value`.
    #[inline]
    pub fn set_checksum(&mut self, value: u16) {
        self.buffer.as_mut()[field::CHECKSUM].copy_from_slice(&value.to_be_bytes());
    }

    /// Sets the source address.
    #[inline]
    pub fn set_src_addr(&mut self, value: Ipv4Addr) {
        self.buffer.as_mut()[field::SRC_ADDR].copy_from_slice(&value.octets());
    }

    /// Sets the destination address.
    #[inline]
    pub fn set_dst_addr(&mut self, value: Ipv4Addr) {
        self.buffer.as_mut()[field::DST_ADDR].copy_from_slice(&value.octets());
    }

    /// Computes the header checksum over the header (as sized by IHL) and stores it.
    #[inline]
    pub fn fill_checksum(&mut self) {
        self.set_checksum(0);
        let header_len = usize::from(self.header_len());
        let sum = checksum::data(&self.buffer.as_ref()[..header_len]);
        self.set_checksum(!sum);
    }

    /// Mutable access to the options bytes.
    #[inline]
    pub fn options_mut(&mut self) -> &mut [u8] {
        let header_len = usize::from(self.header_len());
        &mut self.buffer.as_mut()[HEADER_LEN..header_len]
    }

    /// Mutable access to the payload (same range as `payload`).
    #[inline]
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let range = self.payload_range();
        &mut self.buffer.as_mut()[range]
    }
}

/// The owned meaning of an IPv4 header, lossless except for the checksum (which `emit`
/// recomputes; check it on the view with [`Packet::verify_checksum`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Repr {
    /// Differentiated Services Code Point, 6 bits.
    pub dscp: u8,
    /// Explicit Congestion Notification, 2 bits.
    pub ecn: u8,
    /// Identification.
    pub ident: u16,
    /// Reserved flag bit (should be zero).
    pub reserved_flag: bool,
    /// Don't Fragment.
    pub dont_frag: bool,
    /// More Fragments.
    pub more_frags: bool,
    /// Fragment offset in bytes (a multiple of 8, at most 65528).
    pub frag_offset: u16,
    /// Time to Live.
    pub ttl: u8,
    /// Protocol of the payload.
    pub protocol: IpProtocol,
    /// Source address.
    pub src_addr: Ipv4Addr,
    /// Destination address.
    pub dst_addr: Ipv4Addr,
    /// Header options, padding included.
    pub options: OptionBytes,
    /// Payload length claimed by the header (`total_len - header_len`); for a snaplen-cut
    /// datagram this is more than the captured payload.
    pub payload_len: usize,
}

impl Repr {
    /// Reads a header checked by either constructor. A `total_len` of 0 (segmentation
    /// offload, accepted by [`Packet::new_checked_truncated`]) gives the payload the buffer
    /// holds after the header, as the packet view's payload does.
    pub fn parse<T: AsRef<[u8]>>(packet: &Packet<T>) -> Result<Self, Malformed> {
        let offloaded = packet.buffer.as_ref().len() >= HEADER_LEN && packet.total_len() == 0;
        if offloaded {
            packet.check_header_fields()?;
        } else {
            packet.check_header()?;
        }
        let header_len = usize::from(packet.header_len());
        let options = &packet.buffer.as_ref()[HEADER_LEN..header_len];
        Ok(Self {
            dscp: packet.dscp(),
            ecn: packet.ecn(),
            ident: packet.ident(),
            reserved_flag: packet.reserved_flag(),
            dont_frag: packet.dont_frag(),
            more_frags: packet.more_frags(),
            frag_offset: packet.frag_offset(),
            ttl: packet.ttl(),
            protocol: packet.protocol(),
            src_addr: packet.src_addr(),
            dst_addr: packet.dst_addr(),
            // IHL counts 4-byte words and is at most 15, so this always fits.
            options: OptionBytes::new(options).ok_or(Malformed::Ipv4BadHeaderLength)?,
            payload_len: if offloaded {
                packet.buffer.as_ref().len() - header_len
            } else {
                usize::from(packet.total_len()) - header_len
            },
        })
    }

    /// Length of the header `emit` writes (20 bytes plus options); the payload follows it.
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN + self.options.len()
    }

    /// Writes the header (with a correct checksum) into the start of `packet`; the caller
    /// writes `payload_len` bytes of payload after it. `total_len` is
    /// `buffer_len() + payload_len`, truncated to 16 bits.
    ///
    /// Panics if the buffer is shorter than [`Self::buffer_len`].
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Packet<T>) {
        let header_len = self.buffer_len();
        packet.set_version(4);
        packet.set_header_len(header_len as u8);
        packet.set_dscp_ecn(self.dscp, self.ecn);
        packet.set_total_len((header_len + self.payload_len) as u16);
        packet.set_ident(self.ident);
        packet.set_flags_frag_offset(
            self.reserved_flag,
            self.dont_frag,
            self.more_frags,
            self.frag_offset,
        );
        packet.set_ttl(self.ttl);
        packet.set_protocol(self.protocol);
        packet.set_src_addr(self.src_addr);
        packet.set_dst_addr(self.dst_addr);
        packet.buffer.as_mut()[HEADER_LEN..header_len].copy_from_slice(self.options.as_slice());
        packet.fill_checksum();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // A DNS query over UDP from 192.168.1.10 to 192.168.1.1, followed by 6 bytes of Ethernet
    // padding that are not part of the datagram.
    static PACKET: [u8; 50] = [
        0x45, // version 4, IHL 5 (20 bytes)
        0x00, // DSCP 0, ECN 0
        0x00, 0x2c, // total length 44
        0x1c, 0x46, // identification 0x1c46
        0x40, 0x00, // flags: DF; fragment offset 0
        0x40, // TTL 64
        0x11, // protocol 17 (UDP)
        0x9b, 0x1f, // header checksum
        0xc0, 0xa8, 0x01, 0x0a, // source 192.168.1.10
        0xc0, 0xa8, 0x01, 0x01, // destination 192.168.1.1
        // payload (24 bytes): UDP header + 16 bytes
        0xd4, 0x31, 0x00, 0x35, 0x00, 0x18, 0x00, 0x00, //
        0x12, 0x34, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, //
        0x00, 0x00, 0x00, 0x00, 0x01, 0x61, 0x00, 0x00, //
        // Ethernet padding (6 bytes)
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
    ];

    fn fixture_repr() -> Repr {
        Repr {
            dscp: 0,
            ecn: 0,
            ident: 0x1c46,
            reserved_flag: false,
            dont_frag: true,
            more_frags: false,
            frag_offset: 0,
            ttl: 64,
            protocol: IpProtocol::UDP,
            src_addr: Ipv4Addr::new(192, 168, 1, 10),
            dst_addr: Ipv4Addr::new(192, 168, 1, 1),
            options: OptionBytes::EMPTY,
            payload_len: 24,
        }
    }

    #[test]
    fn test_deconstruct() {
        let packet = Packet::new_checked(&PACKET[..]).unwrap();
        assert_eq!(packet.version(), 4);
        assert_eq!(packet.header_len(), 20);
        assert_eq!(packet.dscp(), 0);
        assert_eq!(packet.ecn(), 0);
        assert_eq!(packet.total_len(), 44);
        assert_eq!(packet.ident(), 0x1c46);
        assert!(!packet.reserved_flag());
        assert!(packet.dont_frag());
        assert!(!packet.more_frags());
        assert_eq!(packet.frag_offset(), 0);
        assert!(!packet.is_fragment());
        assert_eq!(packet.ttl(), 64);
        assert_eq!(packet.protocol(), IpProtocol::UDP);
        assert_eq!(packet.checksum(), 0x9b1f);
        assert!(packet.verify_checksum());
        assert_eq!(packet.src_addr(), Ipv4Addr::new(192, 168, 1, 10));
        assert_eq!(packet.dst_addr(), Ipv4Addr::new(192, 168, 1, 1));
        assert!(packet.options().is_empty());
        assert!(!packet.is_truncated());
        // The payload stops at total_len: the 6 padding bytes are excluded.
        assert_eq!(packet.payload(), &PACKET[20..44]);
    }

    #[test]
    fn test_parse_repr() {
        let packet = Packet::new_checked(&PACKET[..]).unwrap();
        assert_eq!(Repr::parse(&packet).unwrap(), fixture_repr());
    }

    #[test]
    fn test_construct() {
        let repr = fixture_repr();
        let mut bytes = vec![0xa5; 44];
        let mut packet = Packet::new_unchecked(&mut bytes);
        repr.emit(&mut packet);
        packet.payload_mut().copy_from_slice(&PACKET[20..44]);
        assert_eq!(&bytes[..], &PACKET[..44]);
    }

    #[test]
    fn dscp_ecn_and_fragment_fields() {
        let mut bytes = PACKET;
        bytes[1] = 0xb9; // DSCP 46 (EF), ECN 1 (ECT(1))
        bytes[6] = 0xa0; // reserved + MF, offset high bits 0
        bytes[7] = 0xb9; // offset 0xb9 units = 1480 bytes
        let packet = Packet::new_checked(&bytes[..]).unwrap();
        assert_eq!(packet.dscp(), 46);
        assert_eq!(packet.ecn(), 1);
        assert!(packet.reserved_flag());
        assert!(!packet.dont_frag());
        assert!(packet.more_frags());
        assert_eq!(packet.frag_offset(), 1480);
        assert!(packet.is_fragment());
        assert!(!packet.verify_checksum());
        // A fragment with only an offset is a fragment too.
        bytes[6] = 0x00;
        assert!(Packet::new_checked(&bytes[..]).unwrap().is_fragment());
        // Max offset: 8191 units.
        bytes[6] = 0x1f;
        bytes[7] = 0xff;
        assert_eq!(
            Packet::new_checked(&bytes[..]).unwrap().frag_offset(),
            65528
        );
    }

    #[test]
    fn options_are_exposed_and_round_trip() {
        // IHL 6: one option word, Router Alert (RFC 2113: type 148, length 4, value 0).
        let mut bytes = vec![
            0x46, 0xc0, 0x00, 0x20, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, //
            0xc0, 0xa8, 0x01, 0x0a, 0xe0, 0x00, 0x00, 0x16, //
            0x94, 0x04, 0x00, 0x00, // option: Router Alert
            0x22, 0x00, 0xfa, 0x02, 0x00, 0x00, 0x00, 0x01, // IGMPv3 report (start)
        ];
        Packet::new_unchecked(&mut bytes).fill_checksum();
        let packet = Packet::new_checked(&bytes[..]).unwrap();
        assert!(packet.verify_checksum());
        assert_eq!(packet.header_len(), 24);
        assert_eq!(packet.options(), &[0x94, 0x04, 0x00, 0x00]);
        assert_eq!(packet.payload(), &bytes[24..]);
        let repr = Repr::parse(&packet).unwrap();
        assert_eq!(repr.options.as_slice(), &[0x94, 0x04, 0x00, 0x00]);
        assert_eq!(repr.payload_len, 8);
        let mut out = vec![0; 32];
        let mut emitted = Packet::new_unchecked(&mut out);
        repr.emit(&mut emitted);
        emitted.payload_mut().copy_from_slice(&bytes[24..]);
        assert_eq!(out, bytes);
    }

    #[test]
    fn short_buffer_is_truncated() {
        for len in 0..HEADER_LEN {
            assert_eq!(
                Packet::new_checked(&PACKET[..len]),
                Err(Malformed::Ipv4Truncated)
            );
            assert_eq!(
                Packet::new_checked_truncated(&PACKET[..len]),
                Err(Malformed::Ipv4Truncated)
            );
        }
    }

    #[test]
    fn wrong_version_is_rejected() {
        let mut bytes = PACKET;
        bytes[0] = 0x65;
        assert_eq!(
            Packet::new_checked(&bytes[..]),
            Err(Malformed::Ipv4BadVersion)
        );
        assert_eq!(
            Packet::new_checked_truncated(&bytes[..]),
            Err(Malformed::Ipv4BadVersion)
        );
    }

    #[test]
    fn bad_header_length_is_rejected() {
        let mut bytes = PACKET;
        for ihl in 0..5 {
            bytes[0] = 0x40 | ihl;
            assert_eq!(
                Packet::new_checked(&bytes[..]),
                Err(Malformed::Ipv4BadHeaderLength)
            );
        }
        // IHL 15 (60 bytes) but only 50 bytes captured.
        bytes[0] = 0x4f;
        assert_eq!(
            Packet::new_checked_truncated(&bytes[..]),
            Err(Malformed::Ipv4BadHeaderLength)
        );
        // Header fits the buffer but total_len does not cover it.
        bytes[0] = 0x46;
        bytes[2..4].copy_from_slice(&22u16.to_be_bytes());
        assert_eq!(
            Packet::new_checked(&bytes[..]),
            Err(Malformed::Ipv4BadTotalLength)
        );
    }

    #[test]
    fn bad_total_length_is_rejected() {
        let mut bytes = PACKET;
        // 0 is rejected by the strict constructor only (offload, see the test below).
        for total in [1u16, 19] {
            bytes[2..4].copy_from_slice(&total.to_be_bytes());
            assert_eq!(
                Packet::new_checked(&bytes[..]),
                Err(Malformed::Ipv4BadTotalLength)
            );
            assert_eq!(
                Packet::new_checked_truncated(&bytes[..]),
                Err(Malformed::Ipv4BadTotalLength)
            );
        }
        bytes[2..4].copy_from_slice(&51u16.to_be_bytes());
        assert_eq!(
            Packet::new_checked(&bytes[..]),
            Err(Malformed::Ipv4BadTotalLength)
        );
    }

    #[test]
    fn snaplen_cut_datagram_is_accepted_by_truncated_constructor() {
        // Only the first 30 bytes of the 44-byte datagram were captured.
        let cut = &PACKET[..30];
        assert_eq!(Packet::new_checked(cut), Err(Malformed::Ipv4BadTotalLength));
        let packet = Packet::new_checked_truncated(cut).unwrap();
        assert!(packet.is_truncated());
        assert_eq!(packet.payload(), &PACKET[20..30]);
        // The Repr keeps the length claimed on the wire.
        assert_eq!(Repr::parse(&packet).unwrap().payload_len, 24);
        // A capture cut right after the header has an empty payload.
        let packet = Packet::new_checked_truncated(&PACKET[..20]).unwrap();
        assert!(packet.payload().is_empty());
    }

    #[test]
    fn offloaded_datagram_with_zero_total_length_reads_to_buffer_end() {
        // TSO / BIG TCP: the length field is 0, the datagram runs to the end of the frame.
        let mut bytes = PACKET;
        bytes[2..4].copy_from_slice(&0u16.to_be_bytes());
        assert_eq!(
            Packet::new_checked(&bytes[..]),
            Err(Malformed::Ipv4BadTotalLength)
        );
        let packet = Packet::new_checked_truncated(&bytes[..]).unwrap();
        assert_eq!(packet.payload(), &PACKET[20..]);
        assert!(!packet.is_truncated());
        // The Repr agrees with the view: what the constructor accepts, parse accepts.
        assert_eq!(
            Repr::parse(&packet).map(|r| r.payload_len),
            Ok(PACKET.len() - 20)
        );
        bytes[0] = 0x65;
        assert_eq!(
            Packet::new_checked_truncated(&bytes[..]),
            Err(Malformed::Ipv4BadVersion)
        );
    }

    #[test]
    fn total_length_equal_to_header_gives_empty_payload() {
        let mut bytes = PACKET;
        bytes[2..4].copy_from_slice(&20u16.to_be_bytes());
        let packet = Packet::new_checked(&bytes[..]).unwrap();
        assert!(packet.payload().is_empty());
    }

    #[test]
    fn checksum_matches_rfc1071_example() {
        // RFC 1071 §3 example: 00 01 f2 03 f4 f5 f6 f7 sums to ddf2.
        assert_eq!(
            checksum::data(&[0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7]),
            0xddf2
        );
        // Odd length: the last byte is padded with zero.
        assert_eq!(checksum::data(&[0x01, 0x02, 0x03]), 0x0402);
        assert_eq!(checksum::combine(&[0xffff, 0x0001]), 0x0001);
    }

    #[test]
    fn protocol_names() {
        assert_eq!(format!("{:?}", IpProtocol::TCP), "TCP");
        assert_eq!(format!("{:?}", IpProtocol(253)), "IpProtocol(253)");
        assert_eq!(IpProtocol::GRE.to_string(), "47");
        assert_eq!(OptionBytes::new(&[1, 2, 3]), None);
        assert_eq!(OptionBytes::new(&[0; 44]), None);
        assert_eq!(
            format!("{:?}", OptionBytes::new(&[1, 2, 3, 4]).unwrap()),
            "OptionBytes(01020304)"
        );
    }

    fn arb_repr() -> impl Strategy<Value = Repr> {
        (
            (
                0u8..64,
                0u8..4,
                any::<u16>(),
                any::<bool>(),
                any::<bool>(),
                any::<bool>(),
            ),
            (
                0u16..8192,
                any::<u8>(),
                any::<u8>(),
                any::<[u8; 4]>(),
                any::<[u8; 4]>(),
            ),
            (0usize..=10).prop_flat_map(|words| proptest::collection::vec(any::<u8>(), words * 4)),
            0usize..200,
        )
            .prop_map(
                |((dscp, ecn, ident, r, df, mf), (off, ttl, proto, s, d), opts, len)| Repr {
                    dscp,
                    ecn,
                    ident,
                    reserved_flag: r,
                    dont_frag: df,
                    more_frags: mf,
                    frag_offset: off * 8,
                    ttl,
                    protocol: IpProtocol(proto),
                    src_addr: Ipv4Addr::from(s),
                    dst_addr: Ipv4Addr::from(d),
                    options: OptionBytes::new(&opts).unwrap(),
                    payload_len: len,
                },
            )
    }

    proptest! {
        #[test]
        fn repr_round_trip(repr in arb_repr()) {
            let mut bytes = vec![0; repr.buffer_len() + repr.payload_len];
            repr.emit(&mut Packet::new_unchecked(&mut bytes));
            let packet = Packet::new_checked(&bytes[..]).unwrap();
            prop_assert!(packet.verify_checksum());
            prop_assert_eq!(packet.payload().len(), repr.payload_len);
            prop_assert_eq!(Repr::parse(&packet).unwrap(), repr);
        }

        #[test]
        fn hostile_input_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            for packet in [Packet::new_checked(&bytes[..]), Packet::new_checked_truncated(&bytes[..])]
                .into_iter()
                .flatten()
            {
                let _ = (packet.options(), packet.payload(), packet.verify_checksum());
                let _ = Repr::parse(&packet).unwrap();
            }
        }

        #[test]
        fn valid_first_byte_never_panics(ihl in 0u8..16, total in any::<u16>(), len in 0usize..80) {
            let mut bytes = vec![0u8; len];
            if let Some(b) = bytes.get_mut(0) { *b = 0x40 | ihl; }
            if len >= 4 { bytes[2..4].copy_from_slice(&total.to_be_bytes()); }
            if let Ok(packet) = Packet::new_checked_truncated(&bytes[..]) {
                prop_assert!(packet.payload().len() <= len);
                let _ = packet.options();
            }
        }
    }
}
