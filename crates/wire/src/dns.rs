//! DNS messages (RFC 1035 §4), also used by multicast DNS (RFC 6762) and LLMNR (RFC 4795),
//! which share the wire format.
//!
//! ```text
//!                                 1  1  1  1  1  1
//!   0  1  2  3  4  5  6  7  8  9  0  1  2  3  4  5
//! +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//! |                      ID                       |
//! +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//! |QR|   Opcode  |AA|TC|RD|RA| Z|AD|CD|   RCODE   |
//! +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//! |                    QDCOUNT                    |
//! |                    ANCOUNT                    |
//! |                    NSCOUNT                    |
//! |                    ARCOUNT                    |
//! +--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+--+
//! | Question section, then answer, authority and  |
//! | additional resource records                   |
//! ```
//!
//! Reading allocates nothing: [`Packet::questions`], [`Packet::records`] and
//! [`Packet::answers`] are iterators over the message buffer, names are [`Name`] handles
//! (message + offset) whose [`Name::labels`] follow compression pointers, and typed record data
//! ([`Record::data`]) borrows from the message. Only [`Name::write_lowercase`],
//! [`Name::to_string_lossy_lower`] and [`Repr`] allocate.
//!
//! Every iterator is bounded twice: by the counts in the header and by the buffer. It yields
//! at most one error and then stops, so a header claiming 65,535 records in a 100-byte packet
//! ends after the first record that does not fit. The iterators do not apply the 64-item list
//! limit (CONVENTIONS §6); whoever keeps items does ([`Repr::parse`] keeps [`MAX_ITEMS`]).
//!
//! Name limits, each checked by [`Name::parse`] before a [`Name`] exists:
//! - a name's uncompressed wire length is at most [`MAX_NAME_LEN`] = 255 octets (RFC 1035
//!   §2.3.4), else [`Malformed::DnsBadName`];
//! - a length octet with the top bits `01` (RFC 6891 extended label, i.e. a "label" of 64 or
//!   more octets) or `10` (reserved) is [`Malformed::DnsBadName`]; so labels are at most
//!   [`MAX_LABEL_LEN`] = 63 octets;
//! - a compression pointer must point strictly before the start of the label sequence that
//!   contains it (so pointers only go backwards and cannot loop), and a name follows at most
//!   [`MAX_POINTER_HOPS`] pointers; otherwise [`Malformed::DnsPointerLoop`];
//! - a name running off the end of the message is [`Malformed::DnsTruncated`] in the question
//!   section and [`Malformed::DnsBadRecord`] in a resource record.
//!
//! For mDNS, the top bit of a question's class is the "unicast response" bit and the top bit
//! of a record's class is the "cache flush" bit (RFC 6762 §5.4, §10.2); both are split off the
//! class here. LLMNR reuses the header bits with other names (C at AA, T at RD; RFC 4795 §2.1.1);
//! read them with the same accessors.

use crate::bytes::read_u16;
use core::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use crate::Malformed;

/// Field offsets in the DNS header (RFC 1035 §4.1.1).
mod field {
    pub(crate) type Field = core::ops::Range<usize>;

    /// Identifier chosen by the querier.
    pub(crate) const ID: Field = 0..2;
    /// QR, Opcode, AA, TC, RD, RA, Z, AD, CD, RCODE.
    pub(crate) const FLAGS: Field = 2..4;
    /// Number of entries in the question section.
    pub(crate) const QDCOUNT: Field = 4..6;
    /// Number of resource records in the answer section.
    pub(crate) const ANCOUNT: Field = 6..8;
    /// Number of name server resource records in the authority section.
    pub(crate) const NSCOUNT: Field = 8..10;
    /// Number of resource records in the additional section.
    pub(crate) const ARCOUNT: Field = 10..12;
}

/// Length of the DNS header in bytes.
pub const HEADER_LEN: usize = field::ARCOUNT.end;

/// Longest name, in uncompressed wire octets including length octets and the root (RFC 1035
/// §2.3.4: "255 octets or less").
pub const MAX_NAME_LEN: usize = 255;

/// Longest label in octets (RFC 1035 §2.3.4: "63 octets or less").
pub const MAX_LABEL_LEN: usize = 63;

/// Most compression pointers one name may follow. Pointers must go strictly backwards, so they
/// cannot loop; this bounds the work on a chain of pointers to pointers. A name has at most 127
/// labels (255 octets) and a compressor needs at most one pointer per label, so 128 pointers
/// plus 127 labels bound one name's walk at 255 steps — the same budget as Suricata's
/// `dns_parse_name`, which stops after 255 labels-or-pointers.
pub const MAX_POINTER_HOPS: usize = 128;

/// Longest text [`Name::write_lowercase`] produces, in bytes (CONVENTIONS §6 wire-string
/// limit).
pub const MAX_NAME_TEXT_LEN: usize = 256;

/// Questions and records [`Repr::parse`] keeps per section (CONVENTIONS §6 list limit).
pub const MAX_ITEMS: usize = 64;

use crate::text::TRUNCATION_MARK;

/// Length of a resource record's fixed part after its name: type, class, TTL, RDLENGTH.
const RR_FIXED_LEN: usize = 10;

/// Length of a question's fixed part after its name: QTYPE, QCLASS.
const QUESTION_FIXED_LEN: usize = 4;

/// Top bit of a class: mDNS unicast-response (questions) or cache-flush (records).
const CLASS_MDNS_BIT: u16 = 0x8000;

mod flag {
    pub(crate) const QR: u16 = 0x8000;
    pub(crate) const OPCODE_SHIFT: u16 = 11;
    pub(crate) const OPCODE_MASK: u16 = 0xf;
    pub(crate) const AA: u16 = 0x0400;
    pub(crate) const TC: u16 = 0x0200;
    pub(crate) const RD: u16 = 0x0100;
    pub(crate) const RA: u16 = 0x0080;
    pub(crate) const Z: u16 = 0x0040;
    pub(crate) const AD: u16 = 0x0020;
    pub(crate) const CD: u16 = 0x0010;
    pub(crate) const RCODE_MASK: u16 = 0x000f;
}

/// A resource record type / question type (RFC 1035 §3.2.2, §3.2.3 and the IANA "Resource
/// Record (RR) TYPEs" registry). Every 16-bit value is representable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct RecordType(pub u16);

impl RecordType {
    /// IPv4 host address.
    pub const A: Self = Self(1);
    /// Authoritative name server.
    pub const NS: Self = Self(2);
    /// Canonical name of an alias.
    pub const CNAME: Self = Self(5);
    /// Start of a zone of authority.
    pub const SOA: Self = Self(6);
    /// Domain name pointer (reverse lookups, DNS-SD service enumeration).
    pub const PTR: Self = Self(12);
    /// Host information (CPU and OS strings).
    pub const HINFO: Self = Self(13);
    /// Mail exchange.
    pub const MX: Self = Self(15);
    /// Text strings (DNS-SD service metadata).
    pub const TXT: Self = Self(16);
    /// IPv6 host address (RFC 3596).
    pub const AAAA: Self = Self(28);
    /// Service location (RFC 2782).
    pub const SRV: Self = Self(33);
    /// EDNS(0) option pseudo-record (RFC 6891).
    pub const OPT: Self = Self(41);
    /// Next secure record (RFC 4034); mDNS uses it for negative responses (RFC 6762 §6.1).
    pub const NSEC: Self = Self(47);
    /// Service binding (RFC 9460).
    pub const SVCB: Self = Self(64);
    /// HTTPS service binding (RFC 9460).
    pub const HTTPS: Self = Self(65);
    /// Zone transfer (question only).
    pub const AXFR: Self = Self(252);
    /// All records (question only; RFC 8482 "ANY").
    pub const ANY: Self = Self(255);
}

/// A DNS class (RFC 1035 §3.2.4), with the mDNS top bit removed. Every value is
/// representable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Class(pub u16);

impl Class {
    /// The Internet.
    pub const IN: Self = Self(1);
    /// Chaos (used for `version.bind`-style server queries).
    pub const CH: Self = Self(3);
    /// Hesiod.
    pub const HS: Self = Self(4);
    /// NONE (dynamic update, RFC 2136).
    pub const NONE: Self = Self(254);
    /// Any class (question only).
    pub const ANY: Self = Self(255);
}

/// The header's 4-bit operation code (RFC 1035 §4.1.1, IANA "DNS OpCodes").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Opcode(pub u8);

impl Opcode {
    /// Standard query.
    pub const QUERY: Self = Self(0);
    /// Inverse query (obsolete, RFC 3425).
    pub const IQUERY: Self = Self(1);
    /// Server status request.
    pub const STATUS: Self = Self(2);
    /// Zone change notification (RFC 1996).
    pub const NOTIFY: Self = Self(4);
    /// Dynamic update (RFC 2136).
    pub const UPDATE: Self = Self(5);
    /// DNS stateful operations (RFC 8490).
    pub const DSO: Self = Self(6);
}

/// The header's 4-bit response code (RFC 1035 §4.1.1, IANA "DNS RCODEs").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Rcode(pub u8);

impl Rcode {
    /// No error.
    pub const NOERROR: Self = Self(0);
    /// Format error.
    pub const FORMERR: Self = Self(1);
    /// Server failure.
    pub const SERVFAIL: Self = Self(2);
    /// Non-existent domain.
    pub const NXDOMAIN: Self = Self(3);
    /// Not implemented.
    pub const NOTIMP: Self = Self(4);
    /// Query refused.
    pub const REFUSED: Self = Self(5);
    /// Name exists when it should not (RFC 2136).
    pub const YXDOMAIN: Self = Self(6);
    /// RR set exists when it should not (RFC 2136).
    pub const YXRRSET: Self = Self(7);
    /// RR set that should exist does not (RFC 2136).
    pub const NXRRSET: Self = Self(8);
    /// Server not authoritative for zone (RFC 2136) / not authorized (RFC 8945).
    pub const NOTAUTH: Self = Self(9);
    /// Name not contained in zone (RFC 2136).
    pub const NOTZONE: Self = Self(10);
}

/// A read/write view of a DNS message over any byte buffer. After [`Packet::new_checked`]
/// the header getters cannot panic; the sections are read through iterators that check every
/// length themselves. The iterators live on `Packet<&[u8]>` so that the names and records
/// they yield borrow from the message, not from the view (wrap an owned buffer with
/// `Packet::new_unchecked(&buf[..])` to read it).
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

    /// Wraps a buffer after checking it holds the 12-byte header.
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, Malformed> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks the buffer holds the whole header ([`Malformed::DnsTruncated`] otherwise).
    #[inline]
    pub fn check_len(&self) -> Result<(), Malformed> {
        if self.buffer.as_ref().len() < HEADER_LEN {
            Err(Malformed::DnsTruncated)
        } else {
            Ok(())
        }
    }

    /// Returns the underlying buffer.
    #[inline]
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Message identifier (0 in mDNS multicast messages, RFC 6762 §18.1).
    #[inline]
    pub fn id(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::ID.start)
    }

    /// The raw 16-bit flags word (QR … RCODE), losslessly.
    #[inline]
    pub fn flags(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::FLAGS.start)
    }

    /// QR: true for a response, false for a query.
    #[inline]
    pub fn is_response(&self) -> bool {
        self.flags() & flag::QR != 0
    }

    /// Opcode: kind of query.
    #[inline]
    pub fn opcode(&self) -> Opcode {
        Opcode(((self.flags() >> flag::OPCODE_SHIFT) & flag::OPCODE_MASK) as u8)
    }

    /// AA: authoritative answer (LLMNR: C, conflict).
    #[inline]
    pub fn authoritative(&self) -> bool {
        self.flags() & flag::AA != 0
    }

    /// TC: the message was truncated to fit the transport.
    #[inline]
    pub fn truncated(&self) -> bool {
        self.flags() & flag::TC != 0
    }

    /// RD: recursion desired (LLMNR: T, tentative).
    #[inline]
    pub fn recursion_desired(&self) -> bool {
        self.flags() & flag::RD != 0
    }

    /// RA: recursion available.
    #[inline]
    pub fn recursion_available(&self) -> bool {
        self.flags() & flag::RA != 0
    }

    /// Z: reserved bit, must be zero (RFC 1035; still reserved after RFC 2535 took AD/CD).
    #[inline]
    pub fn z(&self) -> bool {
        self.flags() & flag::Z != 0
    }

    /// AD: authentic data (RFC 4035 §3.2.3).
    #[inline]
    pub fn authentic_data(&self) -> bool {
        self.flags() & flag::AD != 0
    }

    /// CD: checking disabled (RFC 4035 §3.2.2).
    #[inline]
    pub fn checking_disabled(&self) -> bool {
        self.flags() & flag::CD != 0
    }

    /// Response code (the low 4 bits; EDNS extends it in the OPT record).
    #[inline]
    pub fn rcode(&self) -> Rcode {
        Rcode((self.flags() & flag::RCODE_MASK) as u8)
    }

    /// QDCOUNT: questions the header claims.
    #[inline]
    pub fn question_count(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::QDCOUNT.start)
    }

    /// ANCOUNT: answer records the header claims.
    #[inline]
    pub fn answer_count(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::ANCOUNT.start)
    }

    /// NSCOUNT: authority records the header claims.
    #[inline]
    pub fn authority_count(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::NSCOUNT.start)
    }

    /// ARCOUNT: additional records the header claims.
    #[inline]
    pub fn additional_count(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::ARCOUNT.start)
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Packet<&'a T> {
    /// The whole message.
    #[inline]
    pub fn message(&self) -> &'a [u8] {
        self.buffer.as_ref()
    }

    /// The question section, in order. Yields at most [`Self::question_count`] items, stops
    /// after the first error ([`Malformed::DnsTruncated`], [`Malformed::DnsBadName`] or
    /// [`Malformed::DnsPointerLoop`]).
    pub fn questions(&self) -> Questions<'a> {
        Questions::new(self.message())
    }

    /// The answer, authority and additional records, in order, each tagged with its
    /// [`Section`]. The question section is walked (and validated) first; its error, if any,
    /// is the only item. Stops after the first error.
    pub fn records(&self) -> Records<'a> {
        Records::new(self.message(), false)
    }

    /// The answer section only: like [`Self::records`] but stops after the last answer.
    pub fn answers(&self) -> Records<'a> {
        Records::new(self.message(), true)
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Sets the identifier.
    #[inline]
    pub fn set_id(&mut self, value: u16) {
        self.buffer.as_mut()[field::ID].copy_from_slice(&value.to_be_bytes());
    }

    /// Sets the raw flags word.
    #[inline]
    pub fn set_flags(&mut self, value: u16) {
        self.buffer.as_mut()[field::FLAGS].copy_from_slice(&value.to_be_bytes());
    }

    /// Sets QDCOUNT.
    #[inline]
    pub fn set_question_count(&mut self, value: u16) {
        self.buffer.as_mut()[field::QDCOUNT].copy_from_slice(&value.to_be_bytes());
    }

    /// Sets ANCOUNT.
    #[inline]
    pub fn set_answer_count(&mut self, value: u16) {
        self.buffer.as_mut()[field::ANCOUNT].copy_from_slice(&value.to_be_bytes());
    }

    /// Sets NSCOUNT.
    #[inline]
    pub fn set_authority_count(&mut self, value: u16) {
        self.buffer.as_mut()[field::NSCOUNT].copy_from_slice(&value.to_be_bytes());
    }

    /// Sets ARCOUNT.
    #[inline]
    pub fn set_additional_count(&mut self, value: u16) {
        self.buffer.as_mut()[field::ARCOUNT].copy_from_slice(&value.to_be_bytes());
    }

    /// Everything after the header, writable.
    #[inline]
    pub fn body_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[HEADER_LEN..]
    }
}

// ---------------------------------------------------------------------------------------------
// Names

/// A validated, possibly compressed domain name inside a message: the message and the offset
/// where the name starts. Cheap to copy; reading it allocates nothing.
///
/// Equality compares the labels ASCII-case-insensitively (RFC 4343), not the offsets.
#[derive(Clone, Copy)]
pub struct Name<'a> {
    message: &'a [u8],
    offset: usize,
}

impl<'a> Name<'a> {
    /// Validates the name starting at `offset` in `message` (see the module documentation for
    /// the limits) and returns it with the offset just past its in-place part (after the
    /// terminating root label or the first compression pointer): where the enclosing question
    /// or record continues.
    ///
    /// Errors: [`Malformed::DnsTruncated`] if the name runs off the end of `message`,
    /// [`Malformed::DnsBadName`] for a bad label type or a name over 255 octets,
    /// [`Malformed::DnsPointerLoop`] for a pointer that does not point strictly backwards or
    /// too many pointers.
    pub fn parse(message: &'a [u8], offset: usize) -> Result<(Self, usize), Malformed> {
        let mut pos = offset;
        // Start of the label sequence being read: the name itself, then each pointer target.
        let mut segment_start = offset;
        let mut end = None;
        let mut wire_len = 0usize;
        let mut hops = 0usize;
        loop {
            let len = *message.get(pos).ok_or(Malformed::DnsTruncated)?;
            match len & 0xc0 {
                0x00 => {
                    let len = usize::from(len);
                    wire_len += 1 + len;
                    if wire_len > MAX_NAME_LEN {
                        return Err(Malformed::DnsBadName);
                    }
                    if len == 0 {
                        let end = end.unwrap_or(pos + 1);
                        return Ok((Self { message, offset }, end));
                    }
                    if message.len() < pos + 1 + len {
                        return Err(Malformed::DnsTruncated);
                    }
                    pos += 1 + len;
                }
                0xc0 => {
                    let low = *message.get(pos + 1).ok_or(Malformed::DnsTruncated)?;
                    let target = (usize::from(len & 0x3f) << 8) | usize::from(low);
                    if end.is_none() {
                        end = Some(pos + 2);
                    }
                    hops += 1;
                    // RFC 1035 §4.1.4: a pointer refers to "a prior occurrence of the same
                    // name". Requiring targets strictly before the current label sequence
                    // makes loops impossible, where Suricata only catches self-references.
                    if target >= segment_start || hops > MAX_POINTER_HOPS {
                        return Err(Malformed::DnsPointerLoop);
                    }
                    segment_start = target;
                    pos = target;
                }
                // 0x40: extended label type (RFC 6891 §5, deprecated); 0x80: reserved.
                _ => return Err(Malformed::DnsBadName),
            }
        }
    }

    /// Offset of the name's first octet in the message.
    #[inline]
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The labels from left to right (`www`, `example`, `com`), following compression
    /// pointers, without the empty root label. Allocation-free.
    #[inline]
    pub fn labels(&self) -> Labels<'a> {
        Labels {
            message: self.message,
            pos: self.offset,
            hops: 0,
        }
    }

    /// True for the root name (no labels).
    #[inline]
    pub fn is_root(&self) -> bool {
        self.labels().next().is_none()
    }

    /// Number of labels, without the root.
    pub fn label_count(&self) -> usize {
        self.labels().count()
    }

    /// Appends the name as text to `out`: labels joined by `.`, no trailing dot, the root as
    /// the empty string. ASCII letters are lowercased (DNS names are ASCII-case-insensitive,
    /// RFC 4343); valid UTF-8 is kept (mDNS instance names are UTF-8, RFC 6763 §4.1.3); each
    /// invalid UTF-8 sequence and each non-ASCII control character becomes U+FFFD; a `.` or `\`
    /// inside a label becomes `\.` or `\\`, and an ASCII control byte becomes `\DDD` (RFC 1035
    /// §5.1 escapes), so labels stay distinguishable.
    ///
    /// At most [`MAX_NAME_TEXT_LEN`] bytes are appended; a longer rendering is cut and ends
    /// with `…`. Returns true when it was cut.
    pub fn write_lowercase(&self, out: &mut String) -> bool {
        write_labels_text(self.labels(), out)
    }

    /// The name as a new `String` with the letters' case as sent (what EVE logs), otherwise
    /// as [`Self::write_lowercase`] renders it: escapes, replacement characters, the cut.
    pub fn to_string_lossy(&self) -> String {
        let mut out = String::with_capacity(48);
        write_labels(self.labels(), &mut out, false);
        out
    }

    /// The name as a new lowercase `String`, as [`Self::write_lowercase`] renders it.
    pub fn to_string_lossy_lower(&self) -> String {
        // Room for most host and service names without regrowing.
        let mut out = String::with_capacity(48);
        self.write_lowercase(&mut out);
        out
    }

    /// True when the name equals `dotted` (labels separated by `.`, optional trailing dot, no
    /// escapes), ASCII-case-insensitively. Allocation-free.
    pub fn eq_dotted(&self, dotted: &str) -> bool {
        let dotted = dotted.strip_suffix('.').unwrap_or(dotted);
        if dotted.is_empty() {
            return self.is_root();
        }
        let mut mine = self.labels();
        for want in dotted.split('.') {
            match mine.next() {
                Some(label) if label.eq_ignore_ascii_case(want.as_bytes()) => {}
                _ => return false,
            }
        }
        mine.next().is_none()
    }

    /// Appends the uncompressed wire form (length-prefixed labels and the root octet).
    fn push_wire(&self, out: &mut Vec<u8>) {
        for label in self.labels() {
            out.push(label.len() as u8);
            out.extend_from_slice(label);
        }
        out.push(0);
    }
}

impl PartialEq for Name<'_> {
    fn eq(&self, other: &Self) -> bool {
        let mut a = self.labels();
        let mut b = other.labels();
        loop {
            match (a.next(), b.next()) {
                (None, None) => return true,
                (Some(x), Some(y)) if x.eq_ignore_ascii_case(y) => {}
                _ => return false,
            }
        }
    }
}

impl Eq for Name<'_> {}

impl fmt::Display for Name<'_> {
    /// The same text as [`Name::write_lowercase`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_string_lossy_lower())
    }
}

impl fmt::Debug for Name<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Name(\"{self}\" @{})", self.offset)
    }
}

/// The labels of a [`Name`], following compression pointers. Only created for validated
/// names; it still stops (rather than panics or loops) on anything unexpected.
#[derive(Debug, Clone)]
pub struct Labels<'a> {
    message: &'a [u8],
    pos: usize,
    hops: usize,
}

impl<'a> Iterator for Labels<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        loop {
            let len = *self.message.get(self.pos)?;
            match len & 0xc0 {
                0x00 if len != 0 => {
                    let start = self.pos + 1;
                    let label = self.message.get(start..start + usize::from(len))?;
                    self.pos = start + usize::from(len);
                    return Some(label);
                }
                0xc0 if self.hops < MAX_POINTER_HOPS => {
                    let low = *self.message.get(self.pos + 1)?;
                    let target = (usize::from(len & 0x3f) << 8) | usize::from(low);
                    if target >= self.pos {
                        self.pos = usize::MAX;
                        return None;
                    }
                    self.hops += 1;
                    self.pos = target;
                }
                _ => {
                    self.pos = usize::MAX;
                    return None;
                }
            }
        }
    }
}

/// Renders labels as [`Name::write_lowercase`] describes, appended to `out`, cut at
/// [`MAX_NAME_TEXT_LEN`] bytes (whole pieces only: an escape is never split). Returns whether
/// it was cut. One pass: a rendering that runs over the limit is cut back to the last piece
/// that fits the budget left for the mark.
pub(crate) fn write_labels_text<'l, I>(labels: I, out: &mut String) -> bool
where
    I: Iterator<Item = &'l [u8]>,
{
    write_labels(labels, out, true)
}

/// [`write_labels_text`], ASCII letters lowercased or not.
fn write_labels<'l>(labels: impl Iterator<Item = &'l [u8]>, out: &mut String, lower: bool) -> bool {
    let start = out.len();
    let budget = MAX_NAME_TEXT_LEN - TRUNCATION_MARK.len();
    let mut fits = start;
    let mut over = false;
    for_each_text_piece(labels, lower, |piece| {
        out.push_str(piece);
        let used = out.len() - start;
        if used <= budget {
            fits = out.len();
        }
        over = used > MAX_NAME_TEXT_LEN;
        !over
    });
    if over {
        out.truncate(fits);
        out.push_str(TRUNCATION_MARK);
    }
    over
}

/// Calls `f` with successive pieces of the text of `labels` until it returns false.
fn for_each_text_piece<'l>(
    labels: impl Iterator<Item = &'l [u8]>,
    lower: bool,
    mut f: impl FnMut(&str) -> bool,
) {
    for (i, label) in labels.enumerate() {
        if i > 0 && !f(".") {
            return;
        }
        if !label_text_pieces(label, lower, &mut f) {
            return;
        }
    }
}

/// Calls `f` with the text pieces of one label; false if `f` asked to stop.
fn label_text_pieces(label: &[u8], lower: bool, f: &mut impl FnMut(&str) -> bool) -> bool {
    // Fast path for the usual host-name label (lowercase letters, digits, `-`, `_`, and
    // other printable ASCII that needs no escape): the label is its own text.
    if label.iter().all(|&b| {
        b.is_ascii_graphic() && !(lower && b.is_ascii_uppercase()) && b != b'.' && b != b'\\'
    }) && let Ok(text) = core::str::from_utf8(label)
    {
        return f(text);
    }
    for chunk in label.utf8_chunks() {
        let valid = chunk.valid();
        let mut run_start = 0;
        for (i, c) in valid.char_indices() {
            let mut buf = [0u8; 4];
            let replacement: &str = match c {
                'A'..='Z' if lower => c.to_ascii_lowercase().encode_utf8(&mut buf),
                '.' => "\\.",
                '\\' => "\\\\",
                c if c.is_ascii_control() => {
                    let b = c as u8;
                    buf = [b'\\', b'0' + b / 100, b'0' + b / 10 % 10, b'0' + b % 10];
                    core::str::from_utf8(&buf).unwrap_or("\\?")
                }
                c if c.is_control() => "\u{fffd}",
                _ => continue,
            };
            if run_start < i && !f(&valid[run_start..i]) {
                return false;
            }
            if !f(replacement) {
                return false;
            }
            run_start = i + c.len_utf8();
        }
        if run_start < valid.len() && !f(&valid[run_start..]) {
            return false;
        }
        if !chunk.invalid().is_empty() && !f("\u{fffd}") {
            return false;
        }
    }
    true
}

/// Converts name text as [`Name::write_lowercase`] writes it back to uncompressed wire form:
/// `\.`, `\\` and `\DDD` are unescaped, empty labels (a trailing dot) are skipped, a label
/// longer than 63 octets is cut to 63. The root is the empty string.
fn text_to_wire(text: &str, out: &mut Vec<u8>) {
    let bytes = text.as_bytes();
    let mut label: Vec<u8> = Vec::with_capacity(MAX_LABEL_LEN);
    let mut i = 0;
    let flush = |label: &mut Vec<u8>, out: &mut Vec<u8>| {
        if !label.is_empty() {
            label.truncate(MAX_LABEL_LEN);
            out.push(label.len() as u8);
            out.extend_from_slice(label);
            label.clear();
        }
    };
    while let Some(&b) = bytes.get(i) {
        match b {
            b'.' => {
                flush(&mut label, out);
                i += 1;
            }
            b'\\' => {
                let digits = bytes
                    .get(i + 1..i + 4)
                    .filter(|d| d.iter().all(u8::is_ascii_digit));
                if let Some(d) = digits {
                    let value = u16::from(d[0] - b'0') * 100
                        + u16::from(d[1] - b'0') * 10
                        + u16::from(d[2] - b'0');
                    label.push(value as u8);
                    i += 4;
                } else if let Some(&next) = bytes.get(i + 1) {
                    label.push(next);
                    i += 2;
                } else {
                    label.push(b'\\');
                    i += 1;
                }
            }
            _ => {
                label.push(b);
                i += 1;
            }
        }
    }
    flush(&mut label, out);
    out.push(0);
}

// ---------------------------------------------------------------------------------------------
// Questions

/// One entry of the question section (RFC 1035 §4.1.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Question<'a> {
    /// QNAME.
    pub name: Name<'a>,
    /// QTYPE.
    pub qtype: RecordType,
    /// QCLASS without the mDNS unicast-response bit.
    pub qclass: Class,
    /// mDNS "QU" bit: the top bit of QCLASS (RFC 6762 §5.4). Always false in plain DNS in
    /// practice.
    pub unicast_response: bool,
}

/// Iterator over the question section; see [`Packet::questions`].
#[derive(Debug, Clone)]
pub struct Questions<'a> {
    message: &'a [u8],
    pos: usize,
    remaining: u16,
}

impl<'a> Questions<'a> {
    fn new(message: &'a [u8]) -> Self {
        let remaining = if message.len() < HEADER_LEN {
            0
        } else {
            read_u16(message, field::QDCOUNT.start)
        };
        Self {
            message,
            pos: HEADER_LEN,
            remaining,
        }
    }

    /// Offset just past the questions read so far (the answer section, once exhausted).
    pub fn offset(&self) -> usize {
        self.pos
    }
}

impl<'a> Iterator for Questions<'a> {
    type Item = Result<Question<'a>, Malformed>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        self.remaining -= 1;
        match parse_question(self.message, self.pos) {
            Ok((question, next)) => {
                self.pos = next;
                Some(Ok(question))
            }
            Err(e) => {
                self.remaining = 0;
                Some(Err(e))
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        (0, Some(usize::from(self.remaining)))
    }
}

fn parse_question(message: &[u8], pos: usize) -> Result<(Question<'_>, usize), Malformed> {
    let (name, end) = Name::parse(message, pos)?;
    let fixed = message
        .get(end..end + QUESTION_FIXED_LEN)
        .ok_or(Malformed::DnsTruncated)?;
    let class = read_u16(fixed, 2);
    Ok((
        Question {
            name,
            qtype: RecordType(read_u16(fixed, 0)),
            qclass: Class(class & !CLASS_MDNS_BIT),
            unicast_response: class & CLASS_MDNS_BIT != 0,
        },
        end + QUESTION_FIXED_LEN,
    ))
}

// ---------------------------------------------------------------------------------------------
// Resource records

/// The section a resource record came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Section {
    /// Answer section (ANCOUNT).
    Answer,
    /// Authority section (NSCOUNT).
    Authority,
    /// Additional section (ARCOUNT), where EDNS OPT records live.
    Additional,
}

/// One resource record (RFC 1035 §4.1.3), borrowing from the message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Record<'a> {
    /// The section it came from.
    pub section: Section,
    /// Owner name.
    pub name: Name<'a>,
    /// TYPE.
    pub rtype: RecordType,
    /// CLASS without the mDNS cache-flush bit. For OPT records this field is the UDP payload
    /// size instead; use [`Record::raw_class`].
    pub class: Class,
    /// mDNS cache-flush bit: the top bit of CLASS (RFC 6762 §10.2).
    pub cache_flush: bool,
    /// TTL in seconds.
    pub ttl: u32,
    /// RDATA, exactly RDLENGTH bytes.
    pub rdata: &'a [u8],
    rdata_offset: usize,
    message: &'a [u8],
}

impl<'a> Record<'a> {
    /// The CLASS field as carried, with the cache-flush bit.
    #[inline]
    pub fn raw_class(&self) -> u16 {
        self.class.0 | if self.cache_flush { CLASS_MDNS_BIT } else { 0 }
    }

    /// Offset of the RDATA in the message.
    #[inline]
    pub fn rdata_offset(&self) -> usize {
        self.rdata_offset
    }

    /// Decodes the RDATA of the types a sensor reads. A and AAAA are decoded in class IN only
    /// (other classes define other formats); names in RDATA may be compressed and point
    /// anywhere earlier in the message, but their in-place part must lie within the RDATA.
    /// Other types, and A/AAAA outside class IN, are [`Rdata::Other`].
    ///
    /// Errors: [`Malformed::DnsBadRecord`] when the RDATA does not have the type's shape (an A
    /// record that is not 4 bytes, a name running past the RDATA, a TXT string running past
    /// the RDATA); [`Malformed::DnsBadName`] / [`Malformed::DnsPointerLoop`] for a bad name.
    pub fn data(&self) -> Result<Rdata<'a>, Malformed> {
        let rdata = self.rdata;
        Ok(match self.rtype {
            RecordType::A if self.class == Class::IN => Rdata::A(Ipv4Addr::from(
                <[u8; 4]>::try_from(rdata).map_err(|_| Malformed::DnsBadRecord)?,
            )),
            RecordType::AAAA if self.class == Class::IN => Rdata::Aaaa(Ipv6Addr::from(
                <[u8; 16]>::try_from(rdata).map_err(|_| Malformed::DnsBadRecord)?,
            )),
            RecordType::NS => Rdata::Ns(self.name_in_rdata(0)?.0),
            RecordType::CNAME => Rdata::Cname(self.name_in_rdata(0)?.0),
            RecordType::PTR => Rdata::Ptr(self.name_in_rdata(0)?.0),
            RecordType::MX => {
                let fixed = rdata.get(..2).ok_or(Malformed::DnsBadRecord)?;
                Rdata::Mx {
                    preference: read_u16(fixed, 0),
                    exchange: self.name_in_rdata(2)?.0,
                }
            }
            RecordType::SRV => {
                // RFC 2782 forbids compressing the target; mDNS allows it (RFC 6762 §18.14).
                let fixed = rdata.get(..6).ok_or(Malformed::DnsBadRecord)?;
                Rdata::Srv {
                    priority: read_u16(fixed, 0),
                    weight: read_u16(fixed, 2),
                    port: read_u16(fixed, 4),
                    target: self.name_in_rdata(6)?.0,
                }
            }
            RecordType::TXT => {
                let strings = CharacterStrings { data: rdata };
                if !strings.is_well_formed() {
                    return Err(Malformed::DnsBadRecord);
                }
                Rdata::Txt(strings)
            }
            _ => Rdata::Other(rdata),
        })
    }

    /// The address of a well-formed A or AAAA record of class IN, else `None`.
    pub fn ip_addr(&self) -> Option<IpAddr> {
        match self.data() {
            Ok(Rdata::A(a)) => Some(IpAddr::V4(a)),
            Ok(Rdata::Aaaa(a)) => Some(IpAddr::V6(a)),
            _ => None,
        }
    }

    /// The name starting `at` bytes into the RDATA, and the RDATA-relative offset past it.
    fn name_in_rdata(&self, at: usize) -> Result<(Name<'a>, usize), Malformed> {
        let rdata_end = self.rdata_offset + self.rdata.len();
        if at >= self.rdata.len() {
            return Err(Malformed::DnsBadRecord);
        }
        let (name, end) = Name::parse(self.message, self.rdata_offset + at).map_err(in_record)?;
        if end > rdata_end {
            return Err(Malformed::DnsBadRecord);
        }
        Ok((name, end - self.rdata_offset))
    }
}

/// Decoded RDATA; see [`Record::data`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Rdata<'a> {
    /// IPv4 address (RFC 1035 §3.4.1).
    A(Ipv4Addr),
    /// IPv6 address (RFC 3596 §2.2).
    Aaaa(Ipv6Addr),
    /// Name server (RFC 1035 §3.3.11).
    Ns(Name<'a>),
    /// Canonical name (RFC 1035 §3.3.1).
    Cname(Name<'a>),
    /// Pointer target: the host name of a reverse lookup, or a DNS-SD service instance.
    Ptr(Name<'a>),
    /// Mail exchange (RFC 1035 §3.3.9).
    Mx {
        /// Preference (lower is preferred).
        preference: u16,
        /// Mail server.
        exchange: Name<'a>,
    },
    /// Service location (RFC 2782).
    Srv {
        /// Priority (lower is preferred).
        priority: u16,
        /// Relative weight among equal priorities.
        weight: u16,
        /// Port of the service.
        port: u16,
        /// Host providing the service.
        target: Name<'a>,
    },
    /// Text strings (RFC 1035 §3.3.14; DNS-SD key=value pairs, RFC 6763 §6).
    Txt(CharacterStrings<'a>),
    /// Any other type, undecoded.
    Other(&'a [u8]),
}

/// The `<character-string>`s of a TXT record (RFC 1035 §3.3): length-prefixed byte strings.
/// Validated before it is handed out, so it yields every string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CharacterStrings<'a> {
    data: &'a [u8],
}

impl CharacterStrings<'_> {
    fn is_well_formed(&self) -> bool {
        let mut rest = self.data;
        while let Some((&len, tail)) = rest.split_first() {
            match tail.get(usize::from(len)..) {
                Some(next) => rest = next,
                None => return false,
            }
        }
        true
    }
}

impl<'a> Iterator for CharacterStrings<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let (&len, tail) = self.data.split_first()?;
        let Some((string, rest)) = tail.split_at_checked(usize::from(len)) else {
            self.data = &[];
            return None;
        };
        self.data = rest;
        Some(string)
    }
}

/// Iterator over resource records; see [`Packet::records`] and [`Packet::answers`].
#[derive(Debug, Clone)]
pub struct Records<'a> {
    message: &'a [u8],
    pos: usize,
    /// Records left in the answer, authority and additional sections.
    remaining: [u16; 3],
    section: usize,
    /// An error found while skipping the questions, reported as the first item.
    pending: Option<Malformed>,
}

impl<'a> Records<'a> {
    fn new(message: &'a [u8], answers_only: bool) -> Self {
        let mut questions = Questions::new(message);
        let mut pending = None;
        for question in questions.by_ref() {
            if let Err(e) = question {
                pending = Some(e);
            }
        }
        let remaining = if message.len() < HEADER_LEN || pending.is_some() {
            [0; 3]
        } else if answers_only {
            [read_u16(message, field::ANCOUNT.start), 0, 0]
        } else {
            [
                read_u16(message, field::ANCOUNT.start),
                read_u16(message, field::NSCOUNT.start),
                read_u16(message, field::ARCOUNT.start),
            ]
        };
        Self {
            message,
            pos: questions.offset(),
            remaining,
            section: 0,
            pending,
        }
    }

    /// Offset just past the records read so far.
    pub fn offset(&self) -> usize {
        self.pos
    }
}

impl<'a> Iterator for Records<'a> {
    type Item = Result<Record<'a>, Malformed>;

    fn next(&mut self) -> Option<Self::Item> {
        if let Some(e) = self.pending.take() {
            return Some(Err(e));
        }
        while self.remaining.get(self.section) == Some(&0) {
            self.section += 1;
        }
        let remaining = self.remaining.get_mut(self.section)?;
        *remaining -= 1;
        let section = match self.section {
            0 => Section::Answer,
            1 => Section::Authority,
            _ => Section::Additional,
        };
        match parse_record(self.message, self.pos, section) {
            Ok((record, next)) => {
                self.pos = next;
                Some(Ok(record))
            }
            Err(e) => {
                self.remaining = [0; 3];
                Some(Err(e))
            }
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left: usize = self.remaining.iter().map(|&n| usize::from(n)).sum();
        (0, Some(left + usize::from(self.pending.is_some())))
    }
}

/// In a resource record, running off the end is a bad record, not a truncated question.
fn in_record(e: Malformed) -> Malformed {
    match e {
        Malformed::DnsTruncated => Malformed::DnsBadRecord,
        other => other,
    }
}

fn parse_record(
    message: &[u8],
    pos: usize,
    section: Section,
) -> Result<(Record<'_>, usize), Malformed> {
    let (name, end) = Name::parse(message, pos).map_err(in_record)?;
    let fixed = message
        .get(end..end + RR_FIXED_LEN)
        .ok_or(Malformed::DnsBadRecord)?;
    let class = read_u16(fixed, 2);
    let rdlength = usize::from(read_u16(fixed, 8));
    let rdata_offset = end + RR_FIXED_LEN;
    let rdata = message
        .get(rdata_offset..rdata_offset + rdlength)
        .ok_or(Malformed::DnsBadRecord)?;
    Ok((
        Record {
            section,
            name,
            rtype: RecordType(read_u16(fixed, 0)),
            class: Class(class & !CLASS_MDNS_BIT),
            cache_flush: class & CLASS_MDNS_BIT != 0,
            ttl: u32::from_be_bytes([fixed[4], fixed[5], fixed[6], fixed[7]]),
            rdata,
            rdata_offset,
            message,
        },
        rdata_offset + rdlength,
    ))
}

// ---------------------------------------------------------------------------------------------
// Repr

/// An owned question.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct QuestionRepr {
    /// QNAME as [`Name::write_lowercase`] renders it.
    pub name: String,
    /// QTYPE.
    pub qtype: RecordType,
    /// QCLASS without the mDNS bit.
    pub qclass: Class,
    /// mDNS unicast-response bit.
    pub unicast_response: bool,
}

/// An owned resource record.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RecordRepr {
    /// Owner name as [`Name::write_lowercase`] renders it.
    pub name: String,
    /// TYPE.
    pub rtype: RecordType,
    /// CLASS without the mDNS bit.
    pub class: Class,
    /// mDNS cache-flush bit.
    pub cache_flush: bool,
    /// TTL in seconds.
    pub ttl: u32,
    /// RDATA. For NS, CNAME, PTR, MX, SRV and SOA the names in it are decompressed (written
    /// in full, original case), so the bytes stand on their own outside the message.
    pub rdata: Vec<u8>,
}

/// The owned meaning of a DNS message: header, questions and the three record sections.
///
/// Names are kept as lowercase text, so the case of names is not kept (DNS compares names
/// case-insensitively); everything else is. Each section keeps at most [`MAX_ITEMS`] items;
/// the rest are counted in `dropped`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Repr {
    /// Message identifier.
    pub id: u16,
    /// The raw flags word (QR, opcode, AA, TC, RD, RA, Z, AD, CD, RCODE).
    pub flags: u16,
    /// Question section.
    pub questions: Vec<QuestionRepr>,
    /// Answer section.
    pub answers: Vec<RecordRepr>,
    /// Authority section.
    pub authorities: Vec<RecordRepr>,
    /// Additional section.
    pub additionals: Vec<RecordRepr>,
    /// Questions and records beyond [`MAX_ITEMS`] per section, not kept (not emitted).
    pub dropped: usize,
}

impl Repr {
    /// Reads a whole message. Fails on the first malformed question or record (see
    /// [`Packet::questions`], [`Packet::records`] and, for the types whose names are
    /// decompressed, [`Record::data`]).
    pub fn parse<T: AsRef<[u8]>>(packet: &Packet<T>) -> Result<Self, Malformed> {
        packet.check_len()?;
        let mut repr = Self {
            id: packet.id(),
            flags: packet.flags(),
            ..Self::default()
        };
        let packet = Packet::new_unchecked(packet.buffer.as_ref());
        for question in packet.questions() {
            let question = question?;
            if repr.questions.len() == MAX_ITEMS {
                repr.dropped += 1;
                continue;
            }
            repr.questions.push(QuestionRepr {
                name: question.name.to_string_lossy_lower(),
                qtype: question.qtype,
                qclass: question.qclass,
                unicast_response: question.unicast_response,
            });
        }
        for record in packet.records() {
            let record = record?;
            let list = match record.section {
                Section::Answer => &mut repr.answers,
                Section::Authority => &mut repr.authorities,
                Section::Additional => &mut repr.additionals,
            };
            if list.len() == MAX_ITEMS {
                repr.dropped += 1;
                continue;
            }
            list.push(RecordRepr {
                name: record.name.to_string_lossy_lower(),
                rtype: record.rtype,
                class: record.class,
                cache_flush: record.cache_flush,
                ttl: record.ttl,
                rdata: decompressed_rdata(&record)?,
            });
        }
        Ok(repr)
    }

    /// Bytes [`Repr::emit`] writes.
    pub fn buffer_len(&self) -> usize {
        let mut scratch = Vec::new();
        let mut len = HEADER_LEN;
        for q in &self.questions {
            scratch.clear();
            text_to_wire(&q.name, &mut scratch);
            len += scratch.len() + QUESTION_FIXED_LEN;
        }
        for r in self.records() {
            scratch.clear();
            text_to_wire(&r.name, &mut scratch);
            len += scratch.len() + RR_FIXED_LEN + r.rdata.len().min(usize::from(u16::MAX));
        }
        len
    }

    /// Writes the message without name compression. Section counts are the vector lengths
    /// (at most 65,535 each); RDATA longer than 65,535 bytes is cut. Names are written from
    /// their text (see [`Name::write_lowercase`] for the escapes); a label over 63 octets is
    /// cut to 63.
    ///
    /// # Panics
    /// If the buffer is shorter than [`Repr::buffer_len`].
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Packet<T>) {
        packet.set_id(self.id);
        packet.set_flags(self.flags);
        packet.set_question_count(count_u16(self.questions.len()));
        packet.set_answer_count(count_u16(self.answers.len()));
        packet.set_authority_count(count_u16(self.authorities.len()));
        packet.set_additional_count(count_u16(self.additionals.len()));
        let mut body = Vec::with_capacity(self.buffer_len() - HEADER_LEN);
        for q in self.questions.iter().take(usize::from(u16::MAX)) {
            text_to_wire(&q.name, &mut body);
            body.extend_from_slice(&q.qtype.0.to_be_bytes());
            let class = q.qclass.0
                | if q.unicast_response {
                    CLASS_MDNS_BIT
                } else {
                    0
                };
            body.extend_from_slice(&class.to_be_bytes());
        }
        for r in self.records() {
            text_to_wire(&r.name, &mut body);
            body.extend_from_slice(&r.rtype.0.to_be_bytes());
            let class = r.class.0 | if r.cache_flush { CLASS_MDNS_BIT } else { 0 };
            body.extend_from_slice(&class.to_be_bytes());
            body.extend_from_slice(&r.ttl.to_be_bytes());
            let rdata = r.rdata.get(..usize::from(u16::MAX)).unwrap_or(&r.rdata);
            body.extend_from_slice(&count_u16(rdata.len()).to_be_bytes());
            body.extend_from_slice(rdata);
        }
        packet.body_mut()[..body.len()].copy_from_slice(&body);
    }

    fn records(&self) -> impl Iterator<Item = &RecordRepr> {
        let cap = usize::from(u16::MAX);
        self.answers
            .iter()
            .take(cap)
            .chain(self.authorities.iter().take(cap))
            .chain(self.additionals.iter().take(cap))
    }
}

fn count_u16(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

/// The RDATA with the names of the RFC 1035 types that may be compressed (RFC 3597 §4) and of
/// SRV (compressed by mDNS) written in full.
fn decompressed_rdata(record: &Record<'_>) -> Result<Vec<u8>, Malformed> {
    // Fixed prefix before the (first) name.
    let prefix = match record.rtype {
        RecordType::NS | RecordType::CNAME | RecordType::PTR | RecordType::SOA => 0,
        RecordType::MX => 2,
        RecordType::SRV => 6,
        _ => return Ok(record.rdata.to_vec()),
    };
    let mut out = Vec::with_capacity(record.rdata.len() + 32);
    out.extend_from_slice(record.rdata.get(..prefix).ok_or(Malformed::DnsBadRecord)?);
    let (name, mut end) = record.name_in_rdata(prefix)?;
    name.push_wire(&mut out);
    if record.rtype == RecordType::SOA {
        // SOA: MNAME, RNAME, then SERIAL, REFRESH, RETRY, EXPIRE, MINIMUM (RFC 1035 §3.3.13).
        let (rname, rname_end) = record.name_in_rdata(end)?;
        rname.push_wire(&mut out);
        end = rname_end;
        if record.rdata.len() < end + 20 {
            return Err(Malformed::DnsBadRecord);
        }
    }
    out.extend_from_slice(record.rdata.get(end..).unwrap_or_default());
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Hex with whitespace allowed, for annotated fixtures.
    fn hex(s: &str) -> Vec<u8> {
        let digits: Vec<u8> = s.bytes().filter(|b| !b.is_ascii_whitespace()).collect();
        digits
            .chunks(2)
            .map(|pair| {
                let text = core::str::from_utf8(pair).expect("ascii");
                u8::from_str_radix(text, 16).expect("hex digit")
            })
            .collect()
    }

    fn all_records(msg: &[u8]) -> Vec<Result<Record<'_>, Malformed>> {
        Packet::new_checked(msg)
            .expect("header")
            .records()
            .collect()
    }

    fn first_question_error(msg: &[u8]) -> Option<Malformed> {
        Packet::new_checked(msg)
            .expect("header")
            .questions()
            .find_map(Result::err)
    }

    /// arkime tests/pcap/dns-udp.pcap frame 2: response to `www.github.com A` with a CNAME,
    /// an A, four NS in authority and four A glue records, all compressed.
    fn github_response() -> Vec<u8> {
        hex(concat!(
            "e039",                // ID
            "8180",                // flags: QR=1 opcode=QUERY RD=1 RA=1 rcode=NOERROR
            "0001 0002 0004 0004", // QDCOUNT 1, ANCOUNT 2, NSCOUNT 4, ARCOUNT 4
            // @12 question: www.github.com A IN
            "03 777777 06 676974687562 03 636f6d 00",
            "0001 0001",
            // @32 answer 1: ptr->12 (www.github.com) CNAME IN ttl 1980, rdlength 2, ptr->16
            "c00c 0005 0001 000007bc 0002 c010",
            // @46 answer 2: ptr->16 (github.com) A IN ttl 4, 192.30.252.128
            "c010 0001 0001 00000004 0004 c01efc80",
            // @62 authority: github.com NS ns3.p16.dynect.net (full name @74)
            "c010 0002 0001 00000148 0014 036e7333 03703136 0664796e656374 036e6574 00",
            // @94 authority: github.com NS ns2 + ptr->78 (p16.dynect.net)
            "c010 0002 0001 00000148 0006 036e7332 c04e",
            // NS ns4, NS ns1
            "c010 0002 0001 00000148 0006 036e7334 c04e",
            "c010 0002 0001 00000148 0006 036e7331 c04e",
            // additional: glue A records for ns2, ns3 (@74), ns1, ns4, all 10.2.95.12
            "c06a 0001 0001 00000e10 0004 0a025f0c",
            "c04a 0001 0001 00000e10 0004 0a025f0c",
            "c08e 0001 0001 00000e10 0004 0a025f0c",
            "c07c 0001 0001 00000e10 0004 0a025f0c",
        ))
    }

    #[test]
    fn test_deconstruct_header_and_question() {
        let msg = github_response();
        let p = Packet::new_checked(&msg[..]).expect("valid");
        assert_eq!(p.id(), 0xe039);
        assert!(p.is_response());
        assert_eq!(p.opcode(), Opcode::QUERY);
        assert!(!p.authoritative() && !p.truncated() && !p.z());
        assert!(p.recursion_desired() && p.recursion_available());
        assert!(!p.authentic_data() && !p.checking_disabled());
        assert_eq!(p.rcode(), Rcode::NOERROR);
        assert_eq!(
            (
                p.question_count(),
                p.answer_count(),
                p.authority_count(),
                p.additional_count()
            ),
            (1, 2, 4, 4)
        );
        let questions: Vec<_> = p.questions().collect::<Result<_, _>>().expect("ok");
        assert_eq!(questions.len(), 1);
        let q = questions[0];
        assert_eq!(q.name.to_string_lossy_lower(), "www.github.com");
        assert!(q.name.eq_dotted("WWW.GitHub.com."));
        assert!(!q.name.eq_dotted("github.com"));
        assert_eq!(q.name.label_count(), 3);
        assert_eq!(
            (q.qtype, q.qclass, q.unicast_response),
            (RecordType::A, Class::IN, false)
        );
    }

    #[test]
    fn test_parse_compressed_answers_authority_additional() {
        let msg = github_response();
        let records: Vec<_> = all_records(&msg)
            .into_iter()
            .collect::<Result<_, _>>()
            .expect("ok");
        assert_eq!(records.len(), 10);
        let cname = records[0];
        assert_eq!(cname.section, Section::Answer);
        assert_eq!(cname.name.to_string_lossy_lower(), "www.github.com");
        assert_eq!(cname.ttl, 1980);
        match cname.data().expect("cname") {
            Rdata::Cname(target) => assert_eq!(target.to_string_lossy_lower(), "github.com"),
            other => panic!("unexpected {other:?}"),
        }
        let a = records[1];
        assert_eq!(a.name.to_string_lossy_lower(), "github.com");
        assert_eq!(
            a.ip_addr(),
            Some(IpAddr::V4(Ipv4Addr::new(192, 30, 252, 128)))
        );
        let ns: Vec<String> = records[2..6]
            .iter()
            .map(|r| {
                assert_eq!(r.section, Section::Authority);
                match r.data().expect("ns") {
                    Rdata::Ns(n) => n.to_string_lossy_lower(),
                    other => panic!("unexpected {other:?}"),
                }
            })
            .collect();
        assert_eq!(
            ns,
            [
                "ns3.p16.dynect.net",
                "ns2.p16.dynect.net",
                "ns4.p16.dynect.net",
                "ns1.p16.dynect.net"
            ]
        );
        let glue: Vec<String> = records[6..].iter().map(|r| r.name.to_string()).collect();
        assert_eq!(
            glue,
            [
                "ns2.p16.dynect.net",
                "ns3.p16.dynect.net",
                "ns1.p16.dynect.net",
                "ns4.p16.dynect.net"
            ]
        );
        assert!(records[6..].iter().all(|r| r.section == Section::Additional
            && r.ip_addr() == Some(IpAddr::V4(Ipv4Addr::new(10, 2, 95, 12)))));
        // answers() stops after the answer section.
        let p = Packet::new_checked(&msg[..]).expect("valid");
        assert_eq!(p.answers().count(), 2);
    }

    /// zeek testing/btest/Traces/dns/mdns.pcap frame 4 (IPv4 copy): an mDNS announcement with
    /// AAAA, A and PTR records, all with the cache-flush bit.
    fn mdns_announcement() -> Vec<u8> {
        hex(concat!(
            "0000",                // ID 0 (RFC 6762 §18.1)
            "8400",                // QR=1 AA=1
            "0000 0006 0000 0000", // no questions, 6 answers
            // @12 johanna-QEMU-Virtual-Machine.local AAAA, class IN|cache-flush, ttl 0
            "1c 6a6f68616e6e612d51454d552d5669727475616c2d4d616368696e65 05 6c6f63616c 00",
            "001c 8001 00000000 0010 fd52429ec03c8235883cd6fffee14dc4",
            // 4.c.d.4...ip6.arpa PTR, cache-flush, -> ptr @12
            "0134 0163 0164 0134 0131 0165 0165 0166 0166 0166 0136 0164 0163 0133 0138 0138",
            "0135 0133 0132 0138 0163 0133 0130 0163 0165 0139 0132 0134 0132 0135 0164 0166",
            "03 697036 04 61727061 00 000c 8001 00000000 0002 c00c",
            // johanna...local (ptr @12) AAAA fd52:429e:c03c:8235:5968:5bc6:1563:f82f
            "c00c 001c 8001 00000000 0010 fd52429ec03c823559685bc61563f82f",
            // f.2.8.f...  + ptr->106 (ip6.arpa) PTR -> @12
            "0166 0132 0138 0166 0133 0136 0135 0131 0136 0163 0162 0135 0138 0136 0139 0135",
            "c06a 000c 8001 00000000 0002 c00c",
            // johanna...local A 10.0.2.7
            "c00c 0001 8001 00000000 0004 0a000207",
            // 7.2.0.10.in-addr + ptr->142 (arpa) PTR -> @12
            "0137 0132 0130 023130 07 696e2d61646472 c08e 000c 8001 00000000 0002 c00c",
        ))
    }

    #[test]
    fn test_parse_mdns_cache_flush_aaaa_a_ptr() {
        let msg = mdns_announcement();
        let p = Packet::new_checked(&msg[..]).expect("valid");
        assert_eq!(p.id(), 0);
        assert!(p.is_response() && p.authoritative());
        let records: Vec<_> = p.answers().collect::<Result<_, _>>().expect("ok");
        assert_eq!(records.len(), 6);
        for r in &records {
            assert!(r.cache_flush);
            assert_eq!(r.class, Class::IN);
            assert_eq!(r.raw_class(), 0x8001);
        }
        assert_eq!(
            records[0].name.to_string_lossy_lower(),
            "johanna-qemu-virtual-machine.local"
        );
        assert_eq!(
            records[0].ip_addr(),
            Some(
                "fd52:429e:c03c:8235:883c:d6ff:fee1:4dc4"
                    .parse()
                    .expect("ip")
            )
        );
        assert_eq!(
            records[1].name.to_string(),
            "4.c.d.4.1.e.e.f.f.f.6.d.c.3.8.8.5.3.2.8.c.3.0.c.e.9.2.4.2.5.d.f.ip6.arpa"
        );
        let Rdata::Ptr(host) = records[1].data().expect("ptr") else {
            panic!("not a PTR");
        };
        assert_eq!(
            host.to_string_lossy_lower(),
            "johanna-qemu-virtual-machine.local"
        );
        // The handle sits at the pointer in the RDATA; its labels are those @12.
        assert_eq!(host.offset(), records[1].rdata_offset());
        assert!(
            records[3].name.eq_dotted(
                "f.2.8.f.3.6.5.1.6.c.b.5.8.6.9.5.5.3.2.8.c.3.0.c.e.9.2.4.2.5.d.f.ip6.arpa"
            )
        );
        assert_eq!(
            records[4].ip_addr(),
            Some(IpAddr::V4(Ipv4Addr::new(10, 0, 2, 7)))
        );
        assert_eq!(records[5].name.to_string(), "7.2.0.10.in-addr.arpa");
        assert_eq!(records[5].data().expect("ptr"), Rdata::Ptr(host));
    }

    /// zeek mdns.pcap frame 2: a query for `_ipp._tcp.local` and `_ipps._tcp.local` PTR.
    #[test]
    fn test_parse_mdns_query() {
        let msg = hex(concat!(
            "0000 0000 0002 0000 0000 0000", // ID 0, query, 2 questions
            "04 5f697070 04 5f746370 05 6c6f63616c 00 000c 0001", // _ipp._tcp.local PTR IN (QM)
            "05 5f69707073 c011 000c 0001",  // _ipps + ptr->17 (_tcp.local)
        ));
        let p = Packet::new_checked(&msg[..]).expect("valid");
        let names: Vec<String> = p
            .questions()
            .map(|q| {
                let q = q.expect("question");
                assert_eq!(
                    (q.qtype, q.qclass, q.unicast_response),
                    (RecordType::PTR, Class::IN, false)
                );
                q.name.to_string_lossy_lower()
            })
            .collect();
        assert_eq!(names, ["_ipp._tcp.local", "_ipps._tcp.local"]);
        assert_eq!(p.records().count(), 0);
    }

    #[test]
    fn test_unicast_response_bit_is_split_off() {
        // Same as the mDNS query above with QCLASS 0x8001 ("QU" question, RFC 6762 §5.4).
        let msg = hex("0000 0000 0001 0000 0000 0000 05 6c6f63616c 00 00ff 8001");
        let q = Packet::new_checked(&msg[..])
            .expect("valid")
            .questions()
            .next()
            .expect("one")
            .expect("ok");
        assert_eq!(
            (q.qtype, q.qclass, q.unicast_response),
            (RecordType::ANY, Class::IN, true)
        );
    }

    /// suricata-verify tests/llmnr/llmnr-udp frame 2: LLMNR answer `hs2011 A 192.168.10.101`
    /// (the answer's owner name is written out again in upper case, not compressed).
    #[test]
    fn test_parse_llmnr_response() {
        let msg = hex(concat!(
            "c341 8000 0001 0001 0000 0000", // ID, QR=1, 1 question, 1 answer
            "06 687332303131 00 0001 0001",  // hs2011 A IN
            "06 485332303131 00 0001 0001 0000001e 0004 c0a80a65", // HS2011 A ttl 30
        ));
        let p = Packet::new_checked(&msg[..]).expect("valid");
        let r = p.answers().next().expect("one").expect("ok");
        assert_eq!(r.name.to_string_lossy_lower(), "hs2011");
        assert_eq!(r.ttl, 30);
        assert_eq!(
            r.ip_addr(),
            Some(IpAddr::V4(Ipv4Addr::new(192, 168, 10, 101)))
        );
        let q = p.questions().next().expect("one").expect("ok");
        assert_eq!(q.name, r.name, "names compare case-insensitively");
    }

    /// suricata-verify tests/dns/dns-udp-eve-log-srv frame 2: two SRV answers, targets
    /// uncompressed, plus an OPT record (UDP payload size 4096 in the class field).
    #[test]
    fn test_parse_srv_and_opt() {
        let msg = hex(concat!(
            "eb56 8180 0001 0002 0000 0001",
            "045f736970 045f756470 03736970 05766f696365 06676f6f676c65 03636f6d 00 0021 0001",
            // _sip._udp.sip.voice.google.com SRV IN ttl 275 rdlength 38: prio 20 weight 1 5060
            "c00c 0021 0001 00000113 0026 0014 0001 13c4",
            "0d7369702d616e79636173742d32 05766f696365 06676f6f676c65 03636f6d 00",
            "c00c 0021 0001 00000113 0026 000a 0001 13c4",
            "0d7369702d616e79636173742d31 05766f696365 06676f6f676c65 03636f6d 00",
            // OPT: root name, type 41, class 4096, ttl 0, rdlength 0
            "00 0029 1000 00000000 0000",
        ));
        let records: Vec<_> = all_records(&msg)
            .into_iter()
            .collect::<Result<_, _>>()
            .expect("ok");
        assert_eq!(records.len(), 3);
        match records[0].data().expect("srv") {
            Rdata::Srv {
                priority,
                weight,
                port,
                target,
            } => {
                assert_eq!((priority, weight, port), (20, 1, 5060));
                assert_eq!(target.to_string(), "sip-anycast-2.voice.google.com");
            }
            other => panic!("unexpected {other:?}"),
        }
        let opt = records[2];
        assert_eq!(opt.section, Section::Additional);
        assert_eq!(opt.rtype, RecordType::OPT);
        assert!(opt.name.is_root());
        assert_eq!(opt.name.to_string_lossy_lower(), "");
        assert_eq!(opt.raw_class(), 4096);
        assert_eq!(opt.data().expect("opt"), Rdata::Other(&[]));
    }

    /// suricata-verify tests/dns/dns-udp-eve-txt frame 2: `google.com TXT "v=spf1 …"`.
    #[test]
    fn test_parse_txt() {
        let msg = hex(concat!(
            "6e53 8180 0001 0001 0000 0001",
            "06676f6f676c65 03636f6d 00 0010 0001",
            // google.com TXT IN ttl 3217 rdlength 36: one 35-byte character-string
            "c00c 0010 0001 00000c91 0024 23",
            "763d7370663120696e636c7564653a5f7370662e676f6f676c652e636f6d207e616c6c",
            "00 0029 1000 00000000 0000",
        ));
        let r = all_records(&msg)[0].expect("txt");
        let Rdata::Txt(strings) = r.data().expect("txt") else {
            panic!("not TXT");
        };
        let strings: Vec<&[u8]> = strings.collect();
        assert_eq!(strings, [&b"v=spf1 include:_spf.google.com ~all"[..]]);
    }

    #[test]
    fn txt_string_running_past_rdata_is_bad_record() {
        // TXT rdlength 3: a string claiming 5 bytes.
        let msg = hex("0000 8400 0000 0001 0000 0000 00 0010 0001 00000000 0003 05 6162");
        let r = all_records(&msg)[0].expect("record");
        assert_eq!(r.data(), Err(Malformed::DnsBadRecord));
        // An empty TXT rdata and an empty string are both fine (RFC 6763 §6.1).
        let msg = hex("0000 8400 0000 0001 0000 0000 00 0010 0001 00000000 0001 00");
        let Ok(Rdata::Txt(strings)) = all_records(&msg)[0].expect("record").data() else {
            panic!("not TXT");
        };
        assert_eq!(strings.collect::<Vec<_>>(), [&b""[..]]);
    }

    /// zeek testing/btest/Traces/dns/max-compression-depth.pcap: seven A answers for `a`, each
    /// owner name a pointer to the previous answer's name, so the last follows six pointers.
    #[test]
    fn pointer_chain_from_real_capture_resolves() {
        let mut msg = hex("1234 8180 0001 0007 0000 0000 0161 00 0001 0001");
        msg.extend(hex("0161 00 0001 0001 0000012c 0004 7f000001")); // @19
        let mut previous = 19u8;
        for i in 2..=7u8 {
            let here = msg.len() as u8;
            msg.extend([0xc0, previous]);
            msg.extend(hex("0001 0001 0000012c 0004 7f0000"));
            msg.push(i);
            previous = here;
        }
        let records: Vec<_> = all_records(&msg)
            .into_iter()
            .collect::<Result<_, _>>()
            .expect("ok");
        assert_eq!(records.len(), 7);
        for (i, r) in records.iter().enumerate() {
            assert_eq!(r.name.to_string_lossy_lower(), "a");
            assert_eq!(
                r.ip_addr(),
                Some(IpAddr::V4(Ipv4Addr::new(127, 0, 0, i as u8 + 1)))
            );
        }
    }

    // ---- hostile names ----

    /// zeek testing/btest/Traces/dns/dns-invalid-names.pcap frame 2: the question name is a
    /// pointer to itself (offset 12).
    #[test]
    fn self_pointer_is_pointer_loop() {
        let msg = hex("2223 0100 0001 0000 0000 0000 c00c 0001 0001");
        assert_eq!(first_question_error(&msg), Some(Malformed::DnsPointerLoop));
        assert_eq!(all_records(&msg), [Err(Malformed::DnsPointerLoop)]);
    }

    /// dns-invalid-names.pcap frames 1 and 3: a label cut off, and a name with no root label.
    #[test]
    fn name_running_off_the_end_is_truncated() {
        let msg = hex("2222 0100 0001 0000 0000 0000 03 61");
        assert_eq!(first_question_error(&msg), Some(Malformed::DnsTruncated));
        let msg = hex("2224 0100 0001 0000 0000 0000 03 616263");
        assert_eq!(first_question_error(&msg), Some(Malformed::DnsTruncated));
        // A pointer cut after its first byte.
        let msg = hex("2224 0100 0001 0000 0000 0000 c0");
        assert_eq!(first_question_error(&msg), Some(Malformed::DnsTruncated));
        // Name complete, QTYPE/QCLASS missing.
        let msg = hex("2224 0100 0001 0000 0000 0000 0161 00 0001");
        assert_eq!(first_question_error(&msg), Some(Malformed::DnsTruncated));
    }

    #[test]
    fn forward_pointer_is_pointer_loop() {
        // Question name @12 points forward to a valid name @18.
        let msg = hex("0000 0100 0001 0000 0000 0000 c012 0001 0001 0161 00");
        assert_eq!(first_question_error(&msg), Some(Malformed::DnsPointerLoop));
    }

    #[test]
    fn two_pointer_loop_is_pointer_loop() {
        // @12: ptr->14, @14: ptr->12. From 12 the first hop is forward; from 14 the second.
        let msg = hex("0000 0100 0000 0000 0000 0000 c00e c00c");
        assert_eq!(Name::parse(&msg, 12).err(), Some(Malformed::DnsPointerLoop));
        assert_eq!(Name::parse(&msg, 14).err(), Some(Malformed::DnsPointerLoop));
        // A label then a pointer back into the same name: "a" @12, ptr->12 @14.
        let msg = hex("0000 0100 0000 0000 0000 0000 0161 c00c");
        assert_eq!(Name::parse(&msg, 12).err(), Some(Malformed::DnsPointerLoop));
    }

    #[test]
    fn pointer_hop_limit() {
        // @12 the root; then pointers, each to the previous one.
        let chain = |hops: usize| {
            let mut msg = vec![0u8; 12];
            msg.push(0);
            for _ in 0..hops {
                let previous = msg.len() - if msg.len() == 13 { 1 } else { 2 };
                msg.extend([0xc0 | (previous >> 8) as u8, previous as u8]);
            }
            msg
        };
        let ok = chain(MAX_POINTER_HOPS);
        let (name, end) = Name::parse(&ok, ok.len() - 2).expect("within the limit");
        assert!(name.is_root());
        assert_eq!(end, ok.len());
        let too_many = chain(MAX_POINTER_HOPS + 1);
        assert_eq!(
            Name::parse(&too_many, too_many.len() - 2).err(),
            Some(Malformed::DnsPointerLoop)
        );
    }

    #[test]
    fn label_of_64_octets_is_bad_name() {
        let mut msg = hex("0000 0100 0001 0000 0000 0000 40");
        msg.extend([b'a'; 64]);
        msg.extend(hex("00 0001 0001"));
        assert_eq!(first_question_error(&msg), Some(Malformed::DnsBadName));
        // 63 is the longest allowed label.
        let mut msg = hex("0000 0100 0001 0000 0000 0000 3f");
        msg.extend([b'a'; 63]);
        msg.extend(hex("00 0001 0001"));
        assert_eq!(first_question_error(&msg), None);
    }

    #[test]
    fn reserved_label_type_is_bad_name() {
        let msg = hex("0000 0100 0001 0000 0000 0000 80 00 0001 0001");
        assert_eq!(first_question_error(&msg), Some(Malformed::DnsBadName));
    }

    #[test]
    fn name_over_255_octets_is_bad_name() {
        // Four 63-octet labels: 4 * 64 + 1 = 257 octets.
        let mut msg = hex("0000 0100 0001 0000 0000 0000");
        for _ in 0..4 {
            msg.push(63);
            msg.extend([b'x'; 63]);
        }
        msg.extend(hex("00 0001 0001"));
        assert_eq!(first_question_error(&msg), Some(Malformed::DnsBadName));
        // 255 octets exactly is fine: 3 * 64 + 62 + 1.
        let mut msg = hex("0000 0100 0001 0000 0000 0000");
        for _ in 0..3 {
            msg.push(63);
            msg.extend([b'x'; 63]);
        }
        msg.push(61);
        msg.extend([b'y'; 61]);
        msg.extend(hex("00 0001 0001"));
        let q = Packet::new_checked(&msg[..])
            .expect("hdr")
            .questions()
            .next()
            .expect("q");
        assert_eq!(
            q.expect("255 octets").name.to_string_lossy_lower().len(),
            253
        );
        // Compression cannot dodge the limit: a 254-octet name reached through a pointer, then
        // another label in front of it.
        let mut long = msg[..12 + 254].to_vec();
        long.push(0); // root ending the 255-octet name @12
        let ptr_at = long.len();
        long.extend(hex("0178 c00c")); // "x" + ptr->12: 2 + 255 octets
        assert_eq!(
            Name::parse(&long, ptr_at).err(),
            Some(Malformed::DnsBadName)
        );
    }

    #[test]
    fn counts_larger_than_the_packet_end_quickly() {
        // 65535 questions claimed, one present.
        let msg = hex("0000 0100 ffff 0000 0000 0000 0161 00 0001 0001");
        let items: Vec<_> = Packet::new_checked(&msg[..])
            .expect("hdr")
            .questions()
            .collect();
        assert_eq!(items.len(), 2);
        assert_eq!(items[1], Err(Malformed::DnsTruncated));
        // 65535 of each record section claimed in a 100-byte packet.
        let mut msg = hex("0000 8180 0000 ffff ffff ffff");
        msg.extend(hex("00 0001 0001 00000000 0004 01020304")); // one root A record, 15 bytes
        msg.resize(100, 0); // then zeros: each zero byte starts a root record that is cut off
        let items = all_records(&msg);
        assert!(items.len() < 10, "{} items", items.len());
        assert_eq!(items.last(), Some(&Err(Malformed::DnsBadRecord)));
        let p = Packet::new_checked(&msg[..]).expect("hdr");
        assert!(p.answers().count() < 10);
    }

    #[test]
    fn record_running_past_the_end_is_bad_record() {
        // rdlength 4, 3 bytes present.
        let msg = hex("0000 8180 0000 0001 0000 0000 00 0001 0001 00000000 0004 010203");
        assert_eq!(all_records(&msg), [Err(Malformed::DnsBadRecord)]);
        // Fixed part cut short.
        let msg = hex("0000 8180 0000 0001 0000 0000 00 0001 0001 0000");
        assert_eq!(all_records(&msg), [Err(Malformed::DnsBadRecord)]);
        // Owner name cut short.
        let msg = hex("0000 8180 0000 0001 0000 0000 05 6162");
        assert_eq!(all_records(&msg), [Err(Malformed::DnsBadRecord)]);
        // A record whose RDATA is not 4 bytes.
        let msg = hex("0000 8180 0000 0001 0000 0000 00 0001 0001 00000000 0003 010203");
        let r = all_records(&msg)[0].expect("record");
        assert_eq!(r.data(), Err(Malformed::DnsBadRecord));
        assert_eq!(r.ip_addr(), None);
    }

    #[test]
    fn name_in_rdata_must_stay_inside_rdata() {
        // PTR rdlength 2 but the name "abc" takes 5 bytes (runs into the next record).
        let msg = hex(concat!(
            "0000 8400 0000 0002 0000 0000",
            "00 000c 0001 00000000 0002 03 61",
            "62 63 00 0001 0001 00000000 0000",
        ));
        let records = all_records(&msg);
        assert_eq!(
            records[0].expect("record").data(),
            Err(Malformed::DnsBadRecord)
        );
        // A PTR whose rdata name points forward.
        let msg = hex("0000 8400 0000 0001 0000 0000 00 000c 0001 00000000 0002 c020");
        let r = all_records(&msg)[0].expect("record");
        assert_eq!(r.data(), Err(Malformed::DnsPointerLoop));
        // An empty PTR rdata.
        let msg = hex("0000 8400 0000 0001 0000 0000 00 000c 0001 00000000 0000");
        assert_eq!(
            all_records(&msg)[0].expect("record").data(),
            Err(Malformed::DnsBadRecord)
        );
    }

    #[test]
    fn short_header_is_truncated() {
        assert_eq!(
            Packet::new_checked(&[0u8; 11][..]).err(),
            Some(Malformed::DnsTruncated)
        );
        assert_eq!(
            Repr::parse(&Packet::new_unchecked(&[0u8; 3][..])),
            Err(Malformed::DnsTruncated)
        );
        // Iterators over an unchecked short buffer are empty, not panicking.
        let p = Packet::new_unchecked(&[0u8; 5][..]);
        assert_eq!(p.questions().count(), 0);
        assert_eq!(p.records().count(), 0);
    }

    #[test]
    fn text_rendering_escapes_and_lossy_utf8() {
        // Labels: "A.b", "c\d", "\x01", "é" (UTF-8), "\xff" (invalid), "Ü" in a label of its own.
        let msg = hex("03 412e62 03 635c64 01 01 02 c3a9 01 ff 02 c39c 00");
        let (name, _) = Name::parse(&msg, 0).expect("valid");
        assert_eq!(
            name.to_string_lossy_lower(),
            "a\\.b.c\\\\d.\\001.é.\u{fffd}.Ü"
        );
        // The same rendering with the letters' case kept.
        assert_eq!(name.to_string_lossy(), "A\\.b.c\\\\d.\\001.é.\u{fffd}.Ü");
        let mixed_msg = hex("05 5761726433 05 4c6f63616c 00");
        let (mixed, _) = Name::parse(&mixed_msg, 0).expect("valid");
        assert_eq!(mixed.to_string_lossy(), "Ward3.Local");
        assert_eq!(mixed.to_string_lossy_lower(), "ward3.local");
        assert_eq!(name.label_count(), 6);
        // The text converts back to the same labels (except the invalid byte).
        let mut wire = Vec::new();
        text_to_wire(&name.to_string_lossy_lower(), &mut wire);
        assert_eq!(wire[..13], hex("03 612e62 03 635c64 01 01 02 c3a9")[..]);
    }

    #[test]
    fn text_longer_than_limit_is_cut_and_marked() {
        // 255-octet name of control bytes: each renders as 4 bytes, far over 256.
        let mut msg = Vec::new();
        for _ in 0..3 {
            msg.push(63);
            msg.extend([0x07; 63]);
        }
        msg.push(61);
        msg.extend([0x07; 61]);
        msg.push(0);
        let (name, _) = Name::parse(&msg, 0).expect("valid");
        let mut out = String::from("prefix:");
        assert!(name.write_lowercase(&mut out));
        let text = &out["prefix:".len()..];
        assert!(text.len() <= MAX_NAME_TEXT_LEN);
        assert!(text.ends_with(TRUNCATION_MARK));
        assert!(text.starts_with("\\007\\007"));
        // Whole pieces up to the budget left for the mark: 63 escapes of 4 bytes and the dot
        // (253 bytes), then the 3-byte mark.
        assert_eq!(text.len(), MAX_NAME_TEXT_LEN);
        assert!(text.ends_with(&format!("\\007.{TRUNCATION_MARK}")));
        // Display gives the same text.
        assert_eq!(name.to_string(), text);
        // A short name is not cut.
        let plain = hex("01 61 00");
        let (name, _) = Name::parse(&plain, 0).expect("valid");
        let mut out = String::new();
        assert!(!name.write_lowercase(&mut out));
        assert_eq!(out, "a");
    }

    #[test]
    fn repr_parse_decompresses_rdata_names() {
        let msg = github_response();
        let repr = Repr::parse(&Packet::new_checked(&msg[..]).expect("hdr")).expect("repr");
        assert_eq!(repr.id, 0xe039);
        assert_eq!(repr.flags, 0x8180);
        assert_eq!(repr.questions.len(), 1);
        assert_eq!(repr.answers.len(), 2);
        assert_eq!(repr.authorities.len(), 4);
        assert_eq!(repr.additionals.len(), 4);
        // CNAME target written in full: github.com.
        assert_eq!(repr.answers[0].rdata, hex("06 676974687562 03 636f6d 00"));
        // Re-emitted without compression and parsed again: the same meaning.
        let mut buf = vec![0; repr.buffer_len()];
        repr.emit(&mut Packet::new_unchecked(&mut buf[..]));
        assert!(buf.len() > msg.len());
        let again = Repr::parse(&Packet::new_checked(&buf[..]).expect("hdr")).expect("repr");
        assert_eq!(again, repr);
    }

    #[test]
    fn repr_keeps_at_most_max_items_per_section() {
        let mut msg = hex("0000 8180 0000 0050 0000 0000");
        for _ in 0..80 {
            msg.extend(hex("00 0001 0001 00000000 0004 01020304"));
        }
        let repr = Repr::parse(&Packet::new_checked(&msg[..]).expect("hdr")).expect("repr");
        assert_eq!(repr.answers.len(), MAX_ITEMS);
        assert_eq!(repr.dropped, 80 - MAX_ITEMS);
    }

    #[test]
    fn repr_soa_decompression() {
        // example SOA: mname ns.a, rname ptr->12 ("a"), then 20 bytes.
        let msg = hex(concat!(
            "0000 8180 0001 0000 0001 0000 0161 00 0006 0001",
            "c00c 0006 0001 00000000 001b 026e73 c00c c00c",
            "00000001 00000002 00000003 00000004 00000005",
        ));
        let repr = Repr::parse(&Packet::new_checked(&msg[..]).expect("hdr")).expect("repr");
        let mut want = hex("026e73 0161 00 0161 00");
        want.extend(hex("00000001 00000002 00000003 00000004 00000005"));
        assert_eq!(repr.authorities[0].rdata, want);
        // SOA cut before its 20 fixed bytes.
        let mut short = msg.clone();
        short[29..31].copy_from_slice(&[0, 10]); // rdlength 10
        short.truncate(31 + 10);
        assert_eq!(
            Repr::parse(&Packet::new_checked(&short[..]).expect("hdr")),
            Err(Malformed::DnsBadRecord)
        );
    }

    fn label_strategy() -> impl Strategy<Value = Vec<u8>> {
        let alphabet: Vec<u8> = b"abcxyz0189-_ .\\\x01\x7f".to_vec();
        proptest::collection::vec(proptest::sample::select(alphabet), 1..12)
    }

    fn name_strategy() -> impl Strategy<Value = String> {
        proptest::collection::vec(label_strategy(), 0..5).prop_map(|labels| {
            let mut out = String::new();
            write_labels_text(labels.iter().map(Vec::as_slice), &mut out);
            out
        })
    }

    fn question_strategy() -> impl Strategy<Value = QuestionRepr> {
        (name_strategy(), any::<u16>(), 0..0x8000u16, any::<bool>()).prop_map(
            |(name, qtype, qclass, unicast_response)| QuestionRepr {
                name,
                qtype: RecordType(qtype),
                qclass: Class(qclass),
                unicast_response,
            },
        )
    }

    fn record_strategy() -> impl Strategy<Value = RecordRepr> {
        let plain_type = any::<u16>().prop_filter("types with names in rdata", |t| {
            ![2, 5, 6, 12, 15, 33].contains(t)
        });
        let plain = (plain_type, proptest::collection::vec(any::<u8>(), 0..40));
        let ptr = label_strategy().prop_map(|label| {
            let mut rdata = vec![label.len() as u8];
            rdata.extend(label);
            rdata.push(0);
            (RecordType::PTR.0, rdata)
        });
        (
            name_strategy(),
            prop_oneof![plain, ptr],
            0..0x8000u16,
            any::<bool>(),
            any::<u32>(),
        )
            .prop_map(
                |(name, (rtype, rdata), class, cache_flush, ttl)| RecordRepr {
                    name,
                    rtype: RecordType(rtype),
                    class: Class(class),
                    cache_flush,
                    ttl,
                    rdata,
                },
            )
    }

    proptest! {
        #[test]
        fn roundtrip(
            id: u16,
            flags: u16,
            questions in proptest::collection::vec(question_strategy(), 0..4),
            answers in proptest::collection::vec(record_strategy(), 0..4),
            authorities in proptest::collection::vec(record_strategy(), 0..3),
            additionals in proptest::collection::vec(record_strategy(), 0..3),
        ) {
            let repr = Repr { id, flags, questions, answers, authorities, additionals, dropped: 0 };
            let mut buf = vec![0; repr.buffer_len()];
            repr.emit(&mut Packet::new_unchecked(&mut buf[..]));
            let p = Packet::new_checked(&buf[..]).expect("emitted message has a header");
            prop_assert_eq!(Repr::parse(&p).expect("parse"), repr);
        }

        #[test]
        fn mutated_real_messages_never_panic(
            which: bool,
            edits in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8),
            cut in any::<usize>(),
        ) {
            let mut msg = if which { github_response() } else { mdns_announcement() };
            for (at, byte) in edits {
                let len = msg.len();
                msg[at % len] = byte;
            }
            msg.truncate(HEADER_LEN + cut % (msg.len() - HEADER_LEN + 1));
            let p = Packet::new_checked(&msg[..]).expect("header kept");
            for record in p.records().flatten() {
                let mut out = String::new();
                let _ = record.name.write_lowercase(&mut out);
                prop_assert!(out.len() <= MAX_NAME_TEXT_LEN);
                match record.data() {
                    Ok(Rdata::Ptr(n) | Rdata::Cname(n) | Rdata::Ns(n)) => {
                        prop_assert!(n.to_string_lossy_lower().len() <= MAX_NAME_TEXT_LEN);
                    }
                    Ok(Rdata::Srv { target, .. }) => {
                        let _ = target.label_count();
                    }
                    _ => {}
                }
            }
            if let Ok(repr) = Repr::parse(&p) {
                let mut buf = vec![0; repr.buffer_len()];
                repr.emit(&mut Packet::new_unchecked(&mut buf[..]));
            }
        }

        #[test]
        fn arbitrary_bytes_never_panic_and_end(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
            if let Ok(p) = Packet::new_checked(&bytes[..]) {
                let _ = (p.id(), p.opcode(), p.rcode(), p.flags());
                prop_assert!(p.questions().count() <= usize::from(p.question_count()));
                for record in p.records().flatten() {
                    let _ = record.name.to_string_lossy_lower();
                    if let Ok(Rdata::Txt(strings)) = record.data() {
                        let _ = strings.count();
                    }
                }
                let _ = Repr::parse(&p);
            }
        }
    }
}
