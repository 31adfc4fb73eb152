//! TCP header (RFC 9293 §3.1) and its options.
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |          Source Port          |       Destination Port        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                        Sequence Number                        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Acknowledgment Number                      |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |  Data |     |N|C|E|U|A|P|R|S|F|                               |
//! | Offset| Rsv |S|W|C|R|C|S|S|Y|I|            Window             |
//! |       |     | |R|E|G|K|H|T|N|N|                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |           Checksum            |         Urgent Pointer        |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                    Options                    |    Padding    |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Every flag combination is kept, reserved bits included: odd combinations (SYN+FIN, no
//! flags, all flags) are what scans look like, so nothing here rejects them. The segment's end
//! is the end of the buffer: the IP view's payload already stops at the IP length.

use core::fmt;
use core::iter::FusedIterator;
use core::ops;
use std::net::IpAddr;

use crate::Malformed;
use crate::ipv4::{IpProtocol, OptionBytes, checksum};

/// Field offsets in the TCP header (RFC 9293 §3.1).
mod field {
    pub(crate) type Field = core::ops::Range<usize>;

    /// Source Port.
    pub(crate) const SRC_PORT: Field = 0..2;
    /// Destination Port.
    pub(crate) const DST_PORT: Field = 2..4;
    /// Sequence Number.
    pub(crate) const SEQ_NUM: Field = 4..8;
    /// Acknowledgment Number.
    pub(crate) const ACK_NUM: Field = 8..12;
    /// Data Offset (4 bits), reserved (3 bits), NS and the eight control bits.
    pub(crate) const FLAGS: Field = 12..14;
    /// Window.
    pub(crate) const WIN_SIZE: Field = 14..16;
    /// Checksum.
    pub(crate) const CHECKSUM: Field = 16..18;
    /// Urgent Pointer.
    pub(crate) const URGENT: Field = 18..20;
}

/// Length of the TCP header without options.
pub const HEADER_LEN: usize = field::URGENT.end;

/// Longest TCP header: Data Offset is 4 bits, 15 words of 4 bytes (RFC 9293 §3.1).
pub const MAX_HEADER_LEN: usize = 15 * 4;

/// The 12 bits after the Data Offset: three reserved bits, NS and the eight control bits.
/// Every combination is representable.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Flags(pub u16);

impl Flags {
    /// No more data from sender.
    pub const FIN: Self = Self(0x001);
    /// Synchronize sequence numbers.
    pub const SYN: Self = Self(0x002);
    /// Reset the connection.
    pub const RST: Self = Self(0x004);
    /// Push function.
    pub const PSH: Self = Self(0x008);
    /// Acknowledgment field is significant.
    pub const ACK: Self = Self(0x010);
    /// Urgent pointer field is significant.
    pub const URG: Self = Self(0x020);
    /// ECN-Echo (RFC 3168).
    pub const ECE: Self = Self(0x040);
    /// Congestion Window Reduced (RFC 3168).
    pub const CWR: Self = Self(0x080);
    /// ECN-nonce concealment protection (RFC 3540, historic; reused as AE by Accurate ECN).
    pub const NS: Self = Self(0x100);
    /// The three remaining reserved bits (must be zero; set by some scanners and stacks).
    pub const RESERVED: Self = Self(0xe00);
    /// All 12 bits.
    pub const ALL: Self = Self(0xfff);

    /// No bit set.
    pub const EMPTY: Self = Self(0);

    /// True when every bit of `other` is set.
    #[inline]
    pub const fn contains(self, other: Self) -> bool {
        self.0 & other.0 == other.0
    }

    /// True when any bit of `other` is set.
    #[inline]
    pub const fn intersects(self, other: Self) -> bool {
        self.0 & other.0 != 0
    }

    /// True when no bit is set (a "null scan").
    #[inline]
    pub const fn is_empty(self) -> bool {
        self.0 == 0
    }
}

impl ops::BitOr for Flags {
    type Output = Self;
    #[inline]
    fn bitor(self, rhs: Self) -> Self {
        Self(self.0 | rhs.0)
    }
}

impl ops::BitOrAssign for Flags {
    #[inline]
    fn bitor_assign(&mut self, rhs: Self) {
        self.0 |= rhs.0;
    }
}

impl ops::BitAnd for Flags {
    type Output = Self;
    #[inline]
    fn bitand(self, rhs: Self) -> Self {
        Self(self.0 & rhs.0)
    }
}

impl ops::Not for Flags {
    type Output = Self;
    #[inline]
    fn not(self) -> Self {
        Self(!self.0 & Self::ALL.0)
    }
}

impl fmt::Display for Flags {
    /// Flag names joined by `|` ("SYN|ACK"), reserved bits as "RES(0x..)", "none" if empty.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: [(Flags, &str); 9] = [
            (Flags::FIN, "FIN"),
            (Flags::SYN, "SYN"),
            (Flags::RST, "RST"),
            (Flags::PSH, "PSH"),
            (Flags::ACK, "ACK"),
            (Flags::URG, "URG"),
            (Flags::ECE, "ECE"),
            (Flags::CWR, "CWR"),
            (Flags::NS, "NS"),
        ];
        if self.is_empty() {
            return f.write_str("none");
        }
        let mut first = true;
        let mut sep = |f: &mut fmt::Formatter<'_>| {
            let s = if first { "" } else { "|" };
            first = false;
            f.write_str(s)
        };
        for (flag, name) in NAMES {
            if self.contains(flag) {
                sep(f)?;
                f.write_str(name)?;
            }
        }
        let rest = self.0 & !0x1ff;
        if rest != 0 {
            sep(f)?;
            write!(f, "RES({rest:#x})")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Flags {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Flags({self})")
    }
}

/// TCP option kinds (IANA "TCP Option Kind Numbers") decoded by [`TcpOption`].
mod kind {
    /// End of Option List (RFC 9293).
    pub(crate) const END_OF_LIST: u8 = 0;
    /// No-Operation (RFC 9293).
    pub(crate) const NO_OPERATION: u8 = 1;
    /// Maximum Segment Size (RFC 9293), length 4.
    pub(crate) const MAX_SEGMENT_SIZE: u8 = 2;
    /// Window Scale (RFC 7323), length 3.
    pub(crate) const WINDOW_SCALE: u8 = 3;
    /// SACK Permitted (RFC 2018), length 2.
    pub(crate) const SACK_PERMITTED: u8 = 4;
    /// SACK (RFC 2018), length 2 + 8n.
    pub(crate) const SACK_RANGE: u8 = 5;
    /// Timestamps (RFC 7323), length 10.
    pub(crate) const TIMESTAMPS: u8 = 8;
}

/// The blocks of a SACK option (RFC 2018 §3), borrowed from the packet: 1 to 4 pairs of
/// (left edge, right edge) sequence numbers.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct SackBlocks<'a>(&'a [u8]);

impl<'a> SackBlocks<'a> {
    /// The blocks as (left edge, right edge) pairs.
    pub fn iter(&self) -> impl Iterator<Item = (u32, u32)> + 'a {
        self.0.chunks_exact(8).map(|c| {
            (
                u32::from_be_bytes([c[0], c[1], c[2], c[3]]),
                u32::from_be_bytes([c[4], c[5], c[6], c[7]]),
            )
        })
    }

    /// Number of blocks.
    #[inline]
    pub const fn len(&self) -> usize {
        self.0.len() / 8
    }

    /// True when there are no blocks (never, for a decoded option).
    #[inline]
    pub const fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The raw block bytes (a multiple of 8).
    #[inline]
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.0
    }
}

impl fmt::Debug for SackBlocks<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// One TCP option, borrowed from the packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TcpOption<'a> {
    /// End of Option List (kind 0); the iterator stops after it (the rest is padding).
    EndOfList,
    /// No-Operation (kind 1), used for alignment.
    NoOperation,
    /// Maximum Segment Size (kind 2).
    MaxSegmentSize(u16),
    /// Window Scale shift count (kind 3), raw (RFC 7323 clamps values above 14 when used).
    WindowScale(u8),
    /// SACK Permitted (kind 4).
    SackPermitted,
    /// SACK blocks (kind 5).
    SackRange(SackBlocks<'a>),
    /// Timestamps (kind 8): TSval, TSecr.
    Timestamps(u32, u32),
    /// Any other kind, with the bytes after its kind and length bytes.
    Unknown {
        /// Option kind.
        kind: u8,
        /// Option data (length minus 2 bytes).
        data: &'a [u8],
    },
}

impl TcpOption<'_> {
    /// The option's kind number.
    pub const fn kind(&self) -> u8 {
        match self {
            Self::EndOfList => kind::END_OF_LIST,
            Self::NoOperation => kind::NO_OPERATION,
            Self::MaxSegmentSize(_) => kind::MAX_SEGMENT_SIZE,
            Self::WindowScale(_) => kind::WINDOW_SCALE,
            Self::SackPermitted => kind::SACK_PERMITTED,
            Self::SackRange(_) => kind::SACK_RANGE,
            Self::Timestamps(..) => kind::TIMESTAMPS,
            Self::Unknown { kind, .. } => *kind,
        }
    }
}

/// Iterator over TCP options. Yields `Err(Malformed::TcpBadOptions)` once, then stops, for an
/// option whose length byte is missing, below 2, past the options area, or wrong for its
/// kind. Stops after End of Option List.
#[derive(Debug, Clone)]
pub struct Options<'a> {
    data: &'a [u8],
}

impl<'a> Options<'a> {
    /// Iterates the options in `data` (the bytes between the fixed header and the payload,
    /// e.g. [`Packet::options`] or `Repr::options.as_slice()`).
    #[inline]
    pub const fn new(data: &'a [u8]) -> Self {
        Self { data }
    }

    #[inline]
    fn fail(&mut self) -> Option<Result<TcpOption<'a>, Malformed>> {
        self.data = &[];
        Some(Err(Malformed::TcpBadOptions))
    }
}

impl<'a> Iterator for Options<'a> {
    type Item = Result<TcpOption<'a>, Malformed>;

    fn next(&mut self) -> Option<Self::Item> {
        let data = self.data;
        let (&option_kind, rest) = data.split_first()?;
        match option_kind {
            kind::END_OF_LIST => {
                self.data = &[];
                return Some(Ok(TcpOption::EndOfList));
            }
            kind::NO_OPERATION => {
                self.data = rest;
                return Some(Ok(TcpOption::NoOperation));
            }
            _ => {}
        }
        let Some(&len) = rest.first() else {
            return self.fail();
        };
        let len = usize::from(len);
        let Some(body) = data.get(2..len) else {
            // len < 2 or len past the options area.
            return self.fail();
        };
        self.data = &data[len..];
        let option = match (option_kind, body.len()) {
            (kind::MAX_SEGMENT_SIZE, 2) => {
                TcpOption::MaxSegmentSize(u16::from_be_bytes([body[0], body[1]]))
            }
            (kind::WINDOW_SCALE, 1) => TcpOption::WindowScale(body[0]),
            (kind::SACK_PERMITTED, 0) => TcpOption::SackPermitted,
            // 1 to 4 blocks of 8 bytes (`& 7`: `is_multiple_of` is newer than the MSRV).
            (kind::SACK_RANGE, n) if n != 0 && n & 7 == 0 => TcpOption::SackRange(SackBlocks(body)),
            (kind::TIMESTAMPS, 8) => TcpOption::Timestamps(
                u32::from_be_bytes([body[0], body[1], body[2], body[3]]),
                u32::from_be_bytes([body[4], body[5], body[6], body[7]]),
            ),
            (
                kind::MAX_SEGMENT_SIZE
                | kind::WINDOW_SCALE
                | kind::SACK_PERMITTED
                | kind::SACK_RANGE
                | kind::TIMESTAMPS,
                _,
            ) => return self.fail(),
            (kind, _) => TcpOption::Unknown { kind, data: body },
        };
        Some(Ok(option))
    }
}

impl FusedIterator for Options<'_> {}

/// A read/write view of a TCP segment over any byte buffer; the segment ends at the buffer's
/// end.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps a buffer without checking it; getters may panic on a short or inconsistent
    /// buffer.
    #[inline]
    pub const fn new_unchecked(buffer: T) -> Self {
        Self { buffer }
    }

    /// Wraps a buffer after checking the header (options included) is complete; no getter
    /// panics afterwards.
    ///
    /// Errors: shorter than 20 bytes ([`Malformed::TcpTruncated`]); Data Offset below 5 or
    /// beyond the buffer ([`Malformed::TcpBadDataOffset`]).
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
        if len < HEADER_LEN {
            return Err(Malformed::TcpTruncated);
        }
        let header_len = usize::from(self.header_len());
        if header_len < HEADER_LEN || header_len > len {
            return Err(Malformed::TcpBadDataOffset);
        }
        Ok(())
    }

    /// Returns the underlying buffer.
    #[inline]
    pub fn into_inner(self) -> T {
        self.buffer
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

    /// Sequence number.
    #[inline]
    pub fn seq_number(&self) -> u32 {
        let b = self.buffer.as_ref();
        u32::from_be_bytes([b[4], b[5], b[6], b[7]])
    }

    /// Acknowledgment number (meaningful when ACK is set, kept regardless).
    #[inline]
    pub fn ack_number(&self) -> u32 {
        let b = self.buffer.as_ref();
        u32::from_be_bytes([b[8], b[9], b[10], b[11]])
    }

    /// Header length in bytes (Data Offset × 4), options included.
    #[inline]
    pub fn header_len(&self) -> u8 {
        (self.buffer.as_ref()[field::FLAGS.start] >> 4) * 4
    }

    /// The 12 flag bits: control bits, NS and the reserved bits.
    #[inline]
    pub fn flags(&self) -> Flags {
        let b = self.buffer.as_ref();
        Flags(u16::from_be_bytes([b[12], b[13]]) & Flags::ALL.0)
    }

    /// Window size (unscaled).
    #[inline]
    pub fn window_len(&self) -> u16 {
        let b = self.buffer.as_ref();
        u16::from_be_bytes([b[14], b[15]])
    }

    /// Checksum as on the wire.
    #[inline]
    pub fn checksum(&self) -> u16 {
        let b = self.buffer.as_ref();
        u16::from_be_bytes([b[16], b[17]])
    }

    /// Urgent pointer (meaningful when URG is set, kept regardless).
    #[inline]
    pub fn urgent_at(&self) -> u16 {
        let b = self.buffer.as_ref();
        u16::from_be_bytes([b[18], b[19]])
    }

    /// True when the checksum over pseudo-header, header and payload is correct. Only
    /// meaningful on a whole segment (not snaplen-cut); checksum offload makes bad sums common
    /// on a sending host, so this is a signal, not a reason to drop.
    pub fn verify_checksum(&self, src_addr: &IpAddr, dst_addr: &IpAddr) -> bool {
        let data = self.buffer.as_ref();
        let sum = checksum::combine(&[
            checksum::pseudo_header(src_addr, dst_addr, IpProtocol::TCP, data.len() as u32),
            checksum::data(data),
        ]);
        sum == 0xffff
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Packet<&'a T> {
    /// The raw options bytes, borrowed from the original buffer.
    #[inline]
    pub fn options_bytes(&self) -> &'a [u8] {
        &self.buffer.as_ref()[HEADER_LEN..usize::from(self.header_len())]
    }

    /// Iterator over the options (see [`Options`]).
    #[inline]
    pub fn options(&self) -> Options<'a> {
        Options::new(self.options_bytes())
    }

    /// The payload: everything after the header, borrowed from the original buffer.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        &self.buffer.as_ref()[usize::from(self.header_len())..]
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

    /// Sets the sequence number.
    #[inline]
    pub fn set_seq_number(&mut self, value: u32) {
        self.buffer.as_mut()[field::SEQ_NUM].copy_from_slice(&value.to_be_bytes());
    }

    /// Sets the acknowledgment number.
    #[inline]
    pub fn set_ack_number(&mut self, value: u32) {
        self.buffer.as_mut()[field::ACK_NUM].copy_from_slice(&value.to_be_bytes());
    }

    /// Sets the header length in bytes (rounded down to a multiple of 4, at most 60),
    /// keeping the flags.
    #[inline]
    pub fn set_header_len(&mut self, value: u8) {
        let b = &mut self.buffer.as_mut()[field::FLAGS.start];
        *b = (*b & 0x0f) | (((value / 4) & 0x0f) << 4);
    }

    /// Sets the 12 flag bits, keeping the Data Offset.
    #[inline]
    pub fn set_flags(&mut self, value: Flags) {
        let b = &mut self.buffer.as_mut()[field::FLAGS];
        let raw = (u16::from(b[0] & 0xf0) << 8) | (value.0 & Flags::ALL.0);
        b.copy_from_slice(&raw.to_be_bytes());
    }

    /// Sets the window size.
    #[inline]
    pub fn set_window_len(&mut self, value: u16) {
        self.buffer.as_mut()[field::WIN_SIZE].copy_from_slice(&value.to_be_bytes());
    }

    /// Sets the checksum field to `value`.
    #[inline]
    pub fn set_checksum(&mut self, value: u16) {
        self.buffer.as_mut()[field::CHECKSUM].copy_from_slice(&value.to_be_bytes());
    }

    /// Sets the urgent pointer.
    #[inline]
    pub fn set_urgent_at(&mut self, value: u16) {
        self.buffer.as_mut()[field::URGENT].copy_from_slice(&value.to_be_bytes());
    }

    /// Computes the checksum over pseudo-header, header and payload (the whole buffer) and
    /// stores it.
    pub fn fill_checksum(&mut self, src_addr: &IpAddr, dst_addr: &IpAddr) {
        self.set_checksum(0);
        let data = self.buffer.as_ref();
        let sum = checksum::combine(&[
            checksum::pseudo_header(src_addr, dst_addr, IpProtocol::TCP, data.len() as u32),
            checksum::data(data),
        ]);
        self.set_checksum(!sum);
    }

    /// Mutable access to the options bytes.
    #[inline]
    pub fn options_mut(&mut self) -> &mut [u8] {
        let header_len = usize::from(self.header_len());
        &mut self.buffer.as_mut()[HEADER_LEN..header_len]
    }

    /// Mutable access to the payload.
    #[inline]
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let header_len = usize::from(self.header_len());
        &mut self.buffer.as_mut()[header_len..]
    }
}

/// The owned meaning of a TCP header: every flag bit and the raw options (order and unknown
/// kinds included, as fingerprinting needs them). The checksum is not kept: check it on the
/// view with [`Packet::verify_checksum`]; fill it with [`Packet::fill_checksum`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Repr {
    /// Source port.
    pub src_port: u16,
    /// Destination port.
    pub dst_port: u16,
    /// Sequence number.
    pub seq_number: u32,
    /// Acknowledgment number, kept even without ACK.
    pub ack_number: u32,
    /// All 12 flag bits.
    pub flags: Flags,
    /// Window size (unscaled).
    pub window_len: u16,
    /// Urgent pointer, kept even without URG.
    pub urgent_at: u16,
    /// Raw options, padding included; iterate with `Options::new(options.as_slice())`.
    pub options: OptionBytes,
}

impl Repr {
    /// Reads a checked segment's header. Options are kept raw, so malformed options do not
    /// fail the parse (the [`Options`] iterator reports them).
    pub fn parse<T: AsRef<[u8]>>(packet: &Packet<T>) -> Result<Self, Malformed> {
        packet.check_len()?;
        let header_len = usize::from(packet.header_len());
        let options = &packet.buffer.as_ref()[HEADER_LEN..header_len];
        Ok(Self {
            src_port: packet.src_port(),
            dst_port: packet.dst_port(),
            seq_number: packet.seq_number(),
            ack_number: packet.ack_number(),
            flags: packet.flags(),
            window_len: packet.window_len(),
            urgent_at: packet.urgent_at(),
            // Data Offset counts 4-byte words and is at most 15, so this always fits.
            options: OptionBytes::new(options).ok_or(Malformed::TcpBadDataOffset)?,
        })
    }

    /// Length of the header `emit` writes (20 bytes plus options); the payload follows it.
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN + self.options.len()
    }

    /// Writes the header into the start of `packet` with the checksum set to 0 (call
    /// [`Packet::fill_checksum`] once the payload is written).
    ///
    /// Panics if the buffer is shorter than [`Self::buffer_len`].
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Packet<T>) {
        let header_len = self.buffer_len();
        packet.set_src_port(self.src_port);
        packet.set_dst_port(self.dst_port);
        packet.set_seq_number(self.seq_number);
        packet.set_ack_number(self.ack_number);
        packet.set_header_len(header_len as u8);
        packet.set_flags(self.flags);
        packet.set_window_len(self.window_len);
        packet.set_checksum(0);
        packet.set_urgent_at(self.urgent_at);
        packet.buffer.as_mut()[HEADER_LEN..header_len].copy_from_slice(self.options.as_slice());
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::net::Ipv4Addr;

    const SRC: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 10));
    const DST: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 168, 1, 20));

    // A Linux-style SYN to port 104 (DICOM) with MSS, SACK-permitted, timestamps, NOP and
    // window scale, followed by 2 bytes of payload (unusual on a SYN, but legal).
    static SEGMENT: [u8; 42] = [
        0xb3, 0x4a, // source port 45898
        0x00, 0x68, // destination port 104
        0x12, 0x34, 0x56, 0x78, // sequence number
        0x00, 0x00, 0x00, 0x00, // acknowledgment number
        0xa0, // data offset 10 (40 bytes), reserved 0, NS 0
        0x02, // flags: SYN
        0xfa, 0xf0, // window 64240
        0x00, 0x00, // checksum (filled in by the tests)
        0x00, 0x00, // urgent pointer
        0x02, 0x04, 0x05, 0xb4, // MSS 1460
        0x04, 0x02, // SACK permitted
        0x08, 0x0a, 0x00, 0x01, 0xe2, 0x40, 0x00, 0x00, 0x00, 0x00, // TSval 123456, TSecr 0
        0x01, // NOP
        0x03, 0x03, 0x07, // window scale 7
        0xde, 0xad, // payload
    ];

    fn options_bytes() -> &'static [u8] {
        &SEGMENT[20..40]
    }

    fn fixture_repr() -> Repr {
        Repr {
            src_port: 45898,
            dst_port: 104,
            seq_number: 0x1234_5678,
            ack_number: 0,
            flags: Flags::SYN,
            window_len: 64240,
            urgent_at: 0,
            options: OptionBytes::new(options_bytes()).unwrap(),
        }
    }

    #[test]
    fn test_deconstruct() {
        let packet = Packet::new_checked(&SEGMENT[..]).unwrap();
        assert_eq!(packet.src_port(), 45898);
        assert_eq!(packet.dst_port(), 104);
        assert_eq!(packet.seq_number(), 0x1234_5678);
        assert_eq!(packet.ack_number(), 0);
        assert_eq!(packet.header_len(), 40);
        assert_eq!(packet.flags(), Flags::SYN);
        assert_eq!(packet.window_len(), 64240);
        assert_eq!(packet.checksum(), 0);
        assert_eq!(packet.urgent_at(), 0);
        assert_eq!(packet.options_bytes(), options_bytes());
        assert_eq!(packet.payload(), &[0xde, 0xad]);
        let options: Vec<_> = packet.options().collect::<Result<_, _>>().unwrap();
        assert_eq!(
            options,
            vec![
                TcpOption::MaxSegmentSize(1460),
                TcpOption::SackPermitted,
                TcpOption::Timestamps(123_456, 0),
                TcpOption::NoOperation,
                TcpOption::WindowScale(7),
            ]
        );
        assert_eq!(
            options.iter().map(TcpOption::kind).collect::<Vec<_>>(),
            [2, 4, 8, 1, 3]
        );
        assert_eq!(Repr::parse(&packet).unwrap(), fixture_repr());
    }

    #[test]
    fn test_construct() {
        let repr = fixture_repr();
        let mut bytes = vec![0xa5; repr.buffer_len() + 2];
        let mut packet = Packet::new_unchecked(&mut bytes);
        repr.emit(&mut packet);
        packet.payload_mut().copy_from_slice(&[0xde, 0xad]);
        assert_eq!(&bytes[..], &SEGMENT[..]);
    }

    #[test]
    fn checksum_round_trip() {
        let mut bytes = SEGMENT;
        Packet::new_unchecked(&mut bytes[..]).fill_checksum(&SRC, &DST);
        let packet = Packet::new_checked(&bytes[..]).unwrap();
        assert_ne!(packet.checksum(), 0);
        assert!(packet.verify_checksum(&SRC, &DST));
        assert!(!packet.verify_checksum(&SRC, &SRC));
        let v6s: IpAddr = "2001:db8::1".parse().unwrap();
        let v6d: IpAddr = "2001:db8::2".parse().unwrap();
        Packet::new_unchecked(&mut bytes[..]).fill_checksum(&v6s, &v6d);
        assert!(
            Packet::new_checked(&bytes[..])
                .unwrap()
                .verify_checksum(&v6s, &v6d)
        );
    }

    #[test]
    fn odd_flag_combinations_are_kept() {
        let mut bytes = SEGMENT;
        // Christmas tree + NS + all reserved bits: 0x0fff.
        bytes[12] = 0xaf;
        bytes[13] = 0xff;
        let packet = Packet::new_checked(&bytes[..]).unwrap();
        assert_eq!(packet.flags(), Flags::ALL);
        assert!(packet.flags().contains(Flags::SYN | Flags::FIN | Flags::NS));
        assert!(packet.flags().contains(Flags::RESERVED));
        assert_eq!(packet.header_len(), 40);
        let repr = Repr::parse(&packet).unwrap();
        let mut out = vec![0; 42];
        let mut emitted = Packet::new_unchecked(&mut out);
        repr.emit(&mut emitted);
        emitted.payload_mut().copy_from_slice(&[0xde, 0xad]);
        assert_eq!(&out[..14], &bytes[..14]);
        // SYN+FIN is a flag combination, not an error.
        bytes[12] = 0xa0;
        bytes[13] = 0x03;
        let flags = Packet::new_checked(&bytes[..]).unwrap().flags();
        assert_eq!(flags, Flags::SYN | Flags::FIN);
        assert_eq!(flags.to_string(), "FIN|SYN");
        assert_eq!(Flags::EMPTY.to_string(), "none");
        assert_eq!((Flags::ACK | Flags(0x200)).to_string(), "ACK|RES(0x200)");
        assert_eq!(
            format!("{:?}", Flags::ALL),
            "Flags(FIN|SYN|RST|PSH|ACK|URG|ECE|CWR|NS|RES(0xe00))"
        );
        assert_eq!(!Flags::ALL, Flags::EMPTY);
        assert!(Flags::ALL.intersects(Flags::URG));
        assert!((Flags::SYN & Flags::ACK).is_empty());
        let mut f = Flags::SYN;
        f |= Flags::ACK;
        assert!(f.contains(Flags::SYN | Flags::ACK));
        assert!(!f.contains(Flags::RST));
    }

    #[test]
    fn short_buffer_is_truncated() {
        for len in 0..HEADER_LEN {
            assert_eq!(
                Packet::new_checked(&SEGMENT[..len]),
                Err(Malformed::TcpTruncated)
            );
        }
    }

    #[test]
    fn bad_data_offset_is_rejected() {
        let mut bytes = SEGMENT;
        for offset in 0..5u8 {
            bytes[12] = offset << 4;
            assert_eq!(
                Packet::new_checked(&bytes[..]),
                Err(Malformed::TcpBadDataOffset)
            );
        }
        // Data offset 10 (40 bytes) but only 30 bytes captured.
        assert_eq!(
            Packet::new_checked(&SEGMENT[..30]),
            Err(Malformed::TcpBadDataOffset)
        );
        // Data offset 5 with exactly 20 bytes: header only.
        bytes[12] = 0x50;
        let packet = Packet::new_checked(&bytes[..20]).unwrap();
        assert!(packet.payload().is_empty());
        assert_eq!(packet.options().next(), None);
    }

    fn collect(data: &[u8]) -> Vec<Result<TcpOption<'_>, Malformed>> {
        Options::new(data).collect()
    }

    #[test]
    fn bad_options_yield_an_error_and_stop() {
        let bad = Err(Malformed::TcpBadOptions);
        // Length byte missing.
        assert_eq!(collect(&[0x02]), vec![bad]);
        // Length 0 and 1 (would loop or underflow in a naive walker).
        assert_eq!(collect(&[0x1e, 0x00, 0x01, 0x01]), vec![bad]);
        assert_eq!(
            collect(&[0x01, 0x1e, 0x01]),
            vec![Ok(TcpOption::NoOperation), bad]
        );
        // Length past the end.
        assert_eq!(collect(&[0x02, 0x04, 0x05]), vec![bad]);
        // Known kinds with the wrong length.
        assert_eq!(collect(&[0x02, 0x03, 0x05]), vec![bad]);
        assert_eq!(collect(&[0x03, 0x04, 0x07, 0x00]), vec![bad]);
        assert_eq!(collect(&[0x04, 0x03, 0x00]), vec![bad]);
        assert_eq!(collect(&[0x05, 0x02]), vec![bad]);
        assert_eq!(collect(&[0x05, 0x06, 0, 0, 0, 0]), vec![bad]);
        assert_eq!(collect(&[0x08, 0x06, 0, 0, 0, 0]), vec![bad]);
    }

    #[test]
    fn end_of_list_stops_and_unknown_kinds_are_kept() {
        // TCP Fast Open cookie (kind 34), then EOL, then garbage padding that must be ignored.
        let data = [34, 6, 0xaa, 0xbb, 0xcc, 0xdd, 0, 0xff, 0xff, 0xff];
        assert_eq!(
            collect(&data),
            vec![
                Ok(TcpOption::Unknown {
                    kind: 34,
                    data: &[0xaa, 0xbb, 0xcc, 0xdd]
                }),
                Ok(TcpOption::EndOfList),
            ]
        );
    }

    #[test]
    fn sack_blocks_are_decoded() {
        let mut data = vec![1, 1, 5, 18];
        for (l, r) in [(100u32, 200u32), (300, 400)] {
            data.extend_from_slice(&l.to_be_bytes());
            data.extend_from_slice(&r.to_be_bytes());
        }
        let options = collect(&data);
        assert_eq!(options.len(), 3);
        let Ok(TcpOption::SackRange(blocks)) = options[2] else {
            panic!("expected SACK, got {:?}", options[2]);
        };
        assert_eq!(blocks.len(), 2);
        assert!(!blocks.is_empty());
        assert_eq!(blocks.as_bytes().len(), 16);
        assert_eq!(blocks.iter().collect::<Vec<_>>(), [(100, 200), (300, 400)]);
        assert_eq!(format!("{blocks:?}"), "[(100, 200), (300, 400)]");
    }

    fn arb_repr() -> impl Strategy<Value = Repr> {
        (
            (any::<u16>(), any::<u16>(), any::<u32>(), any::<u32>()),
            (0u16..0x1000, any::<u16>(), any::<u16>()),
            (0usize..=10).prop_flat_map(|words| proptest::collection::vec(any::<u8>(), words * 4)),
        )
            .prop_map(|((sp, dp, seq, ack), (flags, win, urg), opts)| Repr {
                src_port: sp,
                dst_port: dp,
                seq_number: seq,
                ack_number: ack,
                flags: Flags(flags),
                window_len: win,
                urgent_at: urg,
                options: OptionBytes::new(&opts).unwrap(),
            })
    }

    proptest! {
        #[test]
        fn repr_round_trip(repr in arb_repr(), payload in proptest::collection::vec(any::<u8>(), 0..64)) {
            let mut bytes = vec![0; repr.buffer_len() + payload.len()];
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
        fn options_never_panic_and_terminate(data in proptest::collection::vec(any::<u8>(), 0..40)) {
            let mut count = 0;
            let mut errors = 0;
            for option in Options::new(&data) {
                count += 1;
                if option.is_err() { errors += 1; }
                prop_assert!(count <= data.len());
            }
            prop_assert!(errors <= 1);
        }

        #[test]
        fn hostile_input_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..80)) {
            if let Ok(packet) = Packet::new_checked(&bytes[..]) {
                let _ = (packet.payload(), packet.options().count(), packet.flags());
                let _ = packet.verify_checksum(&SRC, &DST);
                prop_assert!(Repr::parse(&packet).is_ok());
            }
        }
    }
}
