//! IPv6 fixed header (RFC 8200 §3) and an allocation-free walk over its extension headers
//! (RFC 8200 §4, [`walk_extensions`]).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |Version| Traffic Class |           Flow Label                  |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |         Payload Length        |  Next Header  |   Hop Limit   |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                                                               |
//! +                         Source Address (128 bits)             +
//! |                                                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |                                                               |
//! +                      Destination Address (128 bits)           +
//! |                                                               |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! As for IPv4, [`Packet::new_checked`] wants the whole packet and
//! [`Packet::new_checked_truncated`] accepts one cut short by the capture's snaplen; with
//! either, [`Packet::payload`] ends at `min(40 + payload_len, buffer length)`, so Ethernet
//! padding is excluded. A payload length of 0 with a Hop-by-Hop header first is taken as a
//! jumbogram (RFC 2675) whose payload is the rest of the buffer; the Jumbo Payload option itself
//! is not read.

use core::fmt;
use std::net::Ipv6Addr;

use crate::Malformed;
use crate::ipv4::IpProtocol;

/// Field offsets in the IPv6 fixed header (RFC 8200 §3).
mod field {
    pub(crate) type Field = core::ops::Range<usize>;

    /// Version (4 bits), Traffic Class (8 bits), Flow Label (20 bits).
    pub(crate) const VER_TC_FLOW: Field = 0..4;
    /// Payload Length: everything after the fixed header, extension headers included.
    pub(crate) const LENGTH: Field = 4..6;
    /// Next Header.
    pub(crate) const NXT_HDR: usize = 6;
    /// Hop Limit.
    pub(crate) const HOP_LIMIT: usize = 7;
    /// Source Address.
    pub(crate) const SRC_ADDR: Field = 8..24;
    /// Destination Address.
    pub(crate) const DST_ADDR: Field = 24..40;
}

/// Length of the IPv6 fixed header.
pub const HEADER_LEN: usize = field::DST_ADDR.end;

/// A read/write view of an IPv6 packet over any byte buffer.
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

    /// Wraps a buffer holding a whole packet; no getter panics afterwards.
    ///
    /// Errors: shorter than 40 bytes ([`Malformed::Ipv6Truncated`]), version not 6
    /// ([`Malformed::Ipv6BadVersion`]), payload length beyond the buffer
    /// ([`Malformed::Ipv6BadPayloadLength`]).
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, Malformed> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Like [`Self::new_checked`] but accepts a packet cut short by the capture's snaplen
    /// (payload length beyond the buffer, see [`Self::is_truncated`]); the fixed header must
    /// still be complete. No getter panics afterwards.
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
            return Err(Malformed::Ipv6Truncated);
        }
        if self.version() != 6 {
            return Err(Malformed::Ipv6BadVersion);
        }
        Ok(())
    }

    /// The checks of [`Self::new_checked`].
    #[inline]
    pub fn check_len(&self) -> Result<(), Malformed> {
        self.check_header()?;
        if self.is_truncated() {
            return Err(Malformed::Ipv6BadPayloadLength);
        }
        Ok(())
    }

    /// Returns the underlying buffer.
    #[inline]
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// True when the payload length claims more bytes than the buffer holds (snaplen cut).
    #[inline]
    pub fn is_truncated(&self) -> bool {
        !self.is_jumbogram()
            && HEADER_LEN + usize::from(self.payload_len()) > self.buffer.as_ref().len()
    }

    /// True when the payload length is 0 and a Hop-by-Hop header follows: taken as a
    /// jumbogram (RFC 2675 §3) whose payload runs to the end of the buffer.
    #[inline]
    pub fn is_jumbogram(&self) -> bool {
        self.payload_len() == 0 && self.next_header() == IpProtocol::IPV6_HOP_BY_HOP
    }

    /// Version field (6 after `new_checked`).
    #[inline]
    pub fn version(&self) -> u8 {
        self.buffer.as_ref()[0] >> 4
    }

    /// Traffic Class (DSCP in the upper 6 bits, ECN in the lower 2).
    #[inline]
    pub fn traffic_class(&self) -> u8 {
        let b = self.buffer.as_ref();
        (b[0] << 4) | (b[1] >> 4)
    }

    /// Flow Label, 20 bits.
    #[inline]
    pub fn flow_label(&self) -> u32 {
        let b = self.buffer.as_ref();
        u32::from_be_bytes([0, b[1] & 0x0f, b[2], b[3]])
    }

    /// Payload Length as on the wire (extension headers included; 0 for jumbograms).
    #[inline]
    pub fn payload_len(&self) -> u16 {
        let b = self.buffer.as_ref();
        u16::from_be_bytes([b[4], b[5]])
    }

    /// Next Header: the first extension header or the upper-layer protocol.
    #[inline]
    pub fn next_header(&self) -> IpProtocol {
        IpProtocol(self.buffer.as_ref()[field::NXT_HDR])
    }

    /// Hop Limit.
    #[inline]
    pub fn hop_limit(&self) -> u8 {
        self.buffer.as_ref()[field::HOP_LIMIT]
    }

    /// Source address.
    #[inline]
    pub fn src_addr(&self) -> Ipv6Addr {
        let b = self.buffer.as_ref();
        let mut octets = [0u8; 16];
        octets.copy_from_slice(&b[field::SRC_ADDR]);
        Ipv6Addr::from(octets)
    }

    /// Destination address.
    #[inline]
    pub fn dst_addr(&self) -> Ipv6Addr {
        let b = self.buffer.as_ref();
        let mut octets = [0u8; 16];
        octets.copy_from_slice(&b[field::DST_ADDR]);
        Ipv6Addr::from(octets)
    }

    /// Walks the extension headers of the payload (see [`walk_extensions`]).
    #[inline]
    pub fn extensions(&self) -> Result<Extensions, Malformed> {
        let range = self.payload_range();
        walk_extensions(self.next_header(), &self.buffer.as_ref()[range])
    }

    /// From the end of the fixed header to `min(40 + payload_len, buffer length)`, or the
    /// buffer's end for a jumbogram. Both checked constructors guarantee 40 <= buffer length.
    #[inline]
    fn payload_range(&self) -> core::ops::Range<usize> {
        let len = self.buffer.as_ref().len();
        let end = if self.is_jumbogram() {
            len
        } else {
            (HEADER_LEN + usize::from(self.payload_len())).min(len)
        };
        HEADER_LEN..end
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Packet<&'a T> {
    /// Everything after the fixed header (extension headers included), ending at the payload
    /// length so Ethernet padding is excluded; borrowed from the original buffer.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        let range = self.payload_range();
        &self.buffer.as_ref()[range]
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Sets version, traffic class and flow label (masked to 4, 8 and 20 bits).
    #[inline]
    pub fn set_ver_tc_flow(&mut self, version: u8, traffic_class: u8, flow_label: u32) {
        let value = (u32::from(version & 0x0f) << 28)
            | (u32::from(traffic_class) << 20)
            | (flow_label & 0x000f_ffff);
        self.buffer.as_mut()[field::VER_TC_FLOW].copy_from_slice(&value.to_be_bytes());
    }

    /// Sets Payload Length.
    #[inline]
    pub fn set_payload_len(&mut self, value: u16) {
        self.buffer.as_mut()[field::LENGTH].copy_from_slice(&value.to_be_bytes());
    }

    /// Sets Next Header.
    #[inline]
    pub fn set_next_header(&mut self, value: IpProtocol) {
        self.buffer.as_mut()[field::NXT_HDR] = value.0;
    }

    /// Sets Hop Limit.
    #[inline]
    pub fn set_hop_limit(&mut self, value: u8) {
        self.buffer.as_mut()[field::HOP_LIMIT] = value;
    }

    /// Sets the source address.
    #[inline]
    pub fn set_src_addr(&mut self, value: Ipv6Addr) {
        self.buffer.as_mut()[field::SRC_ADDR].copy_from_slice(&value.octets());
    }

    /// Sets the destination address.
    #[inline]
    pub fn set_dst_addr(&mut self, value: Ipv6Addr) {
        self.buffer.as_mut()[field::DST_ADDR].copy_from_slice(&value.octets());
    }

    /// Mutable access to the payload (same range as `payload`).
    #[inline]
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let range = self.payload_range();
        &mut self.buffer.as_mut()[range]
    }
}

/// The owned meaning of an IPv6 fixed header (lossless).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Repr {
    /// Traffic Class.
    pub traffic_class: u8,
    /// Flow Label, 20 bits (`emit` masks it).
    pub flow_label: u32,
    /// Payload Length as claimed on the wire (extension headers included; 0 for a
    /// jumbogram). For a snaplen-cut packet this is more than was captured.
    pub payload_len: u16,
    /// Next Header.
    pub next_header: IpProtocol,
    /// Hop Limit.
    pub hop_limit: u8,
    /// Source address.
    pub src_addr: Ipv6Addr,
    /// Destination address.
    pub dst_addr: Ipv6Addr,
}

impl Repr {
    /// Reads a header checked by either constructor.
    pub fn parse<T: AsRef<[u8]>>(packet: &Packet<T>) -> Result<Self, Malformed> {
        packet.check_header()?;
        Ok(Self {
            traffic_class: packet.traffic_class(),
            flow_label: packet.flow_label(),
            payload_len: packet.payload_len(),
            next_header: packet.next_header(),
            hop_limit: packet.hop_limit(),
            src_addr: packet.src_addr(),
            dst_addr: packet.dst_addr(),
        })
    }

    /// Length of the header `emit` writes (40 bytes); the payload follows it.
    pub const fn buffer_len(&self) -> usize {
        HEADER_LEN
    }

    /// Writes the fixed header into the first 40 bytes of `packet`.
    ///
    /// Panics if the buffer is shorter than [`HEADER_LEN`].
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Packet<T>) {
        packet.set_ver_tc_flow(6, self.traffic_class, self.flow_label);
        packet.set_payload_len(self.payload_len);
        packet.set_next_header(self.next_header);
        packet.set_hop_limit(self.hop_limit);
        packet.set_src_addr(self.src_addr);
        packet.set_dst_addr(self.dst_addr);
    }
}

/// Most extension headers [`walk_extensions`] follows. RFC 8200 §4.1 expects each header at
/// most once (Destination Options twice), about 8 in a legitimate chain; 16 leaves room for odd
/// but harmless stacks while bounding hostile ones.
pub const MAX_EXTENSION_HEADERS: usize = 16;

/// Length of the Fragment header (RFC 8200 §4.5), which has no length field.
pub const FRAGMENT_HEADER_LEN: usize = 8;

/// The content of an IPv6 Fragment header (RFC 8200 §4.5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Fragment {
    /// Fragment offset in bytes (the field counts 8-byte units).
    pub offset: u16,
    /// M flag: more fragments follow.
    pub more_frags: bool,
    /// Identification shared by all fragments of one packet.
    pub ident: u32,
}

/// Where an IPv6 packet's extension-header chain ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Extensions {
    /// The first protocol that is not a followed extension header: TCP, UDP, ICMPv6, ESP
    /// (opaque), No Next Header, … For a non-first fragment, the Next Header of the Fragment
    /// header (the protocol of the reassembled packet).
    pub upper_protocol: IpProtocol,
    /// Offset in the walked data where the upper-layer payload starts.
    pub upper_offset: usize,
    /// The last Fragment header met, if any.
    pub fragment: Option<Fragment>,
    /// Number of extension headers walked.
    pub count: u8,
}

impl Extensions {
    /// True when `data[upper_offset..]` starts with the upper-layer header: the packet is not
    /// a fragment, or is the first fragment (offset 0). Non-first fragments carry only the
    /// middle of the upper-layer data.
    #[inline]
    pub fn has_upper_header(&self) -> bool {
        self.fragment.is_none_or(|f| f.offset == 0)
    }
}

/// Walks IPv6 extension headers (RFC 8200 §4) starting with protocol `first` at the start of
/// `data` (the IPv6 payload), without allocating.
///
/// Follows Hop-by-Hop (0), Routing (43), Fragment (44), Destination Options (60),
/// Authentication Header (51), Mobility (135), HIP (139) and Shim6 (140), and stops at
/// anything else, including ESP (50) and No Next Header (59), which are reported as the upper
/// protocol. A Fragment header with a nonzero offset ends the walk: the rest is the middle of
/// the fragmented packet, not a header ([`Extensions::has_upper_header`] is false).
///
/// Errors: a header that runs past `data` ([`Malformed::Ipv6ExtensionTruncated`]) or a chain
/// longer than [`MAX_EXTENSION_HEADERS`] ([`Malformed::Ipv6TooManyExtensions`]).
pub fn walk_extensions(first: IpProtocol, data: &[u8]) -> Result<Extensions, Malformed> {
    let mut next = first;
    let mut offset = 0usize;
    let mut fragment = None;
    let mut count = 0u8;
    loop {
        let is_extension = matches!(
            next,
            IpProtocol::IPV6_HOP_BY_HOP
                | IpProtocol::IPV6_ROUTE
                | IpProtocol::IPV6_OPTS
                | IpProtocol::MOBILITY
                | IpProtocol::HIP
                | IpProtocol::SHIM6
                | IpProtocol::AH
                | IpProtocol::IPV6_FRAG
        );
        if !is_extension {
            return Ok(Extensions {
                upper_protocol: next,
                upper_offset: offset,
                fragment,
                count,
            });
        }
        if usize::from(count) == MAX_EXTENSION_HEADERS {
            return Err(Malformed::Ipv6TooManyExtensions);
        }
        // `offset <= data.len()` holds on every iteration, and a header is at most
        // (255 + 2) * 8 bytes, so `offset + len` cannot overflow.
        let len = match next {
            IpProtocol::IPV6_FRAG => FRAGMENT_HEADER_LEN,
            _ => {
                let length_byte = *data
                    .get(offset + 1)
                    .ok_or(Malformed::Ipv6ExtensionTruncated)?;
                if next == IpProtocol::AH {
                    // RFC 4302 §2.2: Payload Len is the length in 4-byte units, minus 2.
                    (usize::from(length_byte) + 2) * 4
                } else {
                    // RFC 8200 §4.3: Hdr Ext Len in 8-byte units, not counting the first 8.
                    (usize::from(length_byte) + 1) * 8
                }
            }
        };
        let header = data
            .get(offset..offset + len)
            .ok_or(Malformed::Ipv6ExtensionTruncated)?;
        count += 1;
        offset += len;
        let header_next = IpProtocol(header[0]);
        if next == IpProtocol::IPV6_FRAG {
            let offset_flags = u16::from_be_bytes([header[2], header[3]]);
            let frag = Fragment {
                offset: offset_flags & 0xfff8,
                more_frags: offset_flags & 0x0001 != 0,
                ident: u32::from_be_bytes([header[4], header[5], header[6], header[7]]),
            };
            fragment = Some(frag);
            if frag.offset != 0 {
                return Ok(Extensions {
                    upper_protocol: header_next,
                    upper_offset: offset,
                    fragment,
                    count,
                });
            }
        }
        next = header_next;
    }
}

impl fmt::Display for Fragment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "id={:#x} off={}{}",
            self.ident,
            self.offset,
            if self.more_frags { " MF" } else { "" }
        )
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    // A TCP SYN from fe80::1 to fe80::2 carried after a Hop-by-Hop header (with PadN) and a
    // Destination Options header, plus 4 bytes of trailing link-layer padding.
    static PACKET: [u8; 84] = [
        0x60, 0x2a, 0xbc, 0xde, // version 6, traffic class 0x02, flow label 0xabcde
        0x00, 0x28, // payload length 40 (8 HBH + 8 DestOpt + 24 TCP)
        0x00, // next header: Hop-by-Hop Options
        0xff, // hop limit 255
        0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x01, // source fe80::1
        0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x02, // destination fe80::2
        // Hop-by-Hop (8 bytes): next header 60, hdr ext len 0, PadN(4)
        0x3c, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00, //
        // Destination Options (8 bytes): next header 6 (TCP), hdr ext len 0, PadN(4)
        0x06, 0x00, 0x01, 0x04, 0x00, 0x00, 0x00, 0x00, //
        // TCP header (24 bytes, not decoded here)
        0xc3, 0x50, 0x00, 0x50, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, //
        0x60, 0x02, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x02, 0x04, 0x05, 0xa0, //
        // padding (4 bytes): not IPv6 payload
        0x00, 0x00, 0x00, 0x00,
    ];

    fn fixture_repr() -> Repr {
        Repr {
            traffic_class: 0x02,
            flow_label: 0xabcde,
            payload_len: 40,
            next_header: IpProtocol::IPV6_HOP_BY_HOP,
            hop_limit: 255,
            src_addr: "fe80::1".parse().unwrap(),
            dst_addr: "fe80::2".parse().unwrap(),
        }
    }

    #[test]
    fn test_deconstruct() {
        let packet = Packet::new_checked(&PACKET[..]).unwrap();
        assert_eq!(packet.version(), 6);
        assert_eq!(packet.traffic_class(), 0x02);
        assert_eq!(packet.flow_label(), 0xabcde);
        assert_eq!(packet.payload_len(), 40);
        assert_eq!(packet.next_header(), IpProtocol::IPV6_HOP_BY_HOP);
        assert_eq!(packet.hop_limit(), 255);
        assert_eq!(packet.src_addr(), "fe80::1".parse::<Ipv6Addr>().unwrap());
        assert_eq!(packet.dst_addr(), "fe80::2".parse::<Ipv6Addr>().unwrap());
        assert!(!packet.is_truncated());
        assert!(!packet.is_jumbogram());
        assert_eq!(packet.payload(), &PACKET[40..80]);
        let ext = packet.extensions().unwrap();
        assert_eq!(
            ext,
            Extensions {
                upper_protocol: IpProtocol::TCP,
                upper_offset: 16,
                fragment: None,
                count: 2,
            }
        );
        assert!(ext.has_upper_header());
        assert_eq!(
            &packet.payload()[ext.upper_offset..][..4],
            &[0xc3, 0x50, 0x00, 0x50]
        );
        assert_eq!(Repr::parse(&packet).unwrap(), fixture_repr());
    }

    #[test]
    fn test_construct() {
        let repr = fixture_repr();
        let mut bytes = vec![0xa5; 80];
        let mut packet = Packet::new_unchecked(&mut bytes);
        repr.emit(&mut packet);
        packet.payload_mut().copy_from_slice(&PACKET[40..80]);
        assert_eq!(&bytes[..], &PACKET[..80]);
    }

    #[test]
    fn short_buffer_is_truncated() {
        for len in 0..HEADER_LEN {
            assert_eq!(
                Packet::new_checked(&PACKET[..len]),
                Err(Malformed::Ipv6Truncated)
            );
            assert_eq!(
                Packet::new_checked_truncated(&PACKET[..len]),
                Err(Malformed::Ipv6Truncated)
            );
        }
    }

    #[test]
    fn wrong_version_is_rejected() {
        let mut bytes = PACKET;
        bytes[0] = 0x42;
        assert_eq!(
            Packet::new_checked(&bytes[..]),
            Err(Malformed::Ipv6BadVersion)
        );
        assert_eq!(
            Packet::new_checked_truncated(&bytes[..]),
            Err(Malformed::Ipv6BadVersion)
        );
    }

    #[test]
    fn snaplen_cut_packet() {
        let cut = &PACKET[..60];
        assert_eq!(
            Packet::new_checked(cut),
            Err(Malformed::Ipv6BadPayloadLength)
        );
        let packet = Packet::new_checked_truncated(cut).unwrap();
        assert!(packet.is_truncated());
        assert_eq!(packet.payload(), &PACKET[40..60]);
        // The extension headers were captured, so the walk still finds TCP.
        assert_eq!(packet.extensions().unwrap().upper_protocol, IpProtocol::TCP);
        // Cut inside the Destination Options header.
        let packet = Packet::new_checked_truncated(&PACKET[..52]).unwrap();
        assert_eq!(packet.extensions(), Err(Malformed::Ipv6ExtensionTruncated));
        assert_eq!(Repr::parse(&packet).unwrap().payload_len, 40);
    }

    #[test]
    fn jumbogram_payload_runs_to_end_of_buffer() {
        let mut bytes = PACKET;
        bytes[4] = 0;
        bytes[5] = 0;
        let packet = Packet::new_checked(&bytes[..]).unwrap();
        assert!(packet.is_jumbogram());
        assert!(!packet.is_truncated());
        assert_eq!(packet.payload(), &PACKET[40..]);
        // Payload length 0 without Hop-by-Hop is simply an empty payload.
        bytes[6] = 59;
        let packet = Packet::new_checked(&bytes[..]).unwrap();
        assert!(packet.payload().is_empty());
        assert_eq!(
            packet.extensions().unwrap().upper_protocol,
            IpProtocol::IPV6_NO_NXT
        );
    }

    /// Builds a generic extension header: next header, length byte, zero body.
    fn ext(next: u8, len_byte: u8, unit: usize, extra: usize) -> Vec<u8> {
        let mut v = vec![0u8; (usize::from(len_byte) + extra) * unit];
        v[0] = next;
        v[1] = len_byte;
        v
    }

    fn frag(next: u8, offset: u16, more: bool, ident: u32) -> Vec<u8> {
        let mut v = vec![next, 0];
        v.extend_from_slice(&(offset | u16::from(more)).to_be_bytes());
        v.extend_from_slice(&ident.to_be_bytes());
        v
    }

    #[test]
    fn first_fragment_continues_to_transport() {
        let mut data = frag(17, 0, true, 0xdead_beef);
        data.extend_from_slice(&[0x00, 0x35, 0x00, 0x35, 0, 8, 0, 0]);
        let ext = walk_extensions(IpProtocol::IPV6_FRAG, &data).unwrap();
        assert_eq!(ext.upper_protocol, IpProtocol::UDP);
        assert_eq!(ext.upper_offset, 8);
        assert_eq!(
            ext.fragment,
            Some(Fragment {
                offset: 0,
                more_frags: true,
                ident: 0xdead_beef
            })
        );
        assert!(ext.has_upper_header());
        assert_eq!(ext.fragment.unwrap().to_string(), "id=0xdeadbeef off=0 MF");
    }

    #[test]
    fn later_fragment_stops_the_walk() {
        // Offset 1232 bytes, last fragment; what follows looks like a Routing header but is
        // the middle of the original packet.
        let mut data = frag(6, 1232, false, 7);
        data.extend_from_slice(&ext(43, 0xff, 8, 1)[..8]);
        let ext = walk_extensions(IpProtocol::IPV6_FRAG, &data).unwrap();
        assert_eq!(ext.upper_protocol, IpProtocol::TCP);
        assert_eq!(ext.upper_offset, 8);
        assert_eq!(ext.count, 1);
        assert!(!ext.has_upper_header());
        assert_eq!(ext.fragment.unwrap().offset, 1232);
        assert!(!ext.fragment.unwrap().more_frags);
    }

    #[test]
    fn ah_length_is_in_four_byte_units() {
        // AH with Payload Len 4: (4 + 2) * 4 = 24 bytes (12 fixed + 12 ICV), then ICMPv6.
        let mut data = ext(58, 4, 4, 2);
        data.extend_from_slice(&[128, 0, 0, 0]);
        let ext = walk_extensions(IpProtocol::AH, &data).unwrap();
        assert_eq!(ext.upper_protocol, IpProtocol::ICMPV6);
        assert_eq!(ext.upper_offset, 24);
    }

    #[test]
    fn esp_and_no_next_header_stop_the_walk() {
        let data = ext(50, 1, 8, 1); // Destination Options (16 bytes) then ESP
        let ext = walk_extensions(IpProtocol::IPV6_OPTS, &data).unwrap();
        assert_eq!(ext.upper_protocol, IpProtocol::ESP);
        assert_eq!(ext.upper_offset, 16);
        let ext = walk_extensions(IpProtocol::IPV6_NO_NXT, &[]).unwrap();
        assert_eq!(ext.upper_protocol, IpProtocol::IPV6_NO_NXT);
        assert_eq!(ext.upper_offset, 0);
        assert_eq!(ext.count, 0);
    }

    #[test]
    fn mobility_hip_shim6_and_routing_are_followed() {
        let mut data = ext(139, 0, 8, 1);
        data.extend(ext(140, 1, 8, 1));
        data.extend(ext(135, 0, 8, 1));
        data.extend(ext(59, 2, 8, 1));
        let ext = walk_extensions(IpProtocol::IPV6_ROUTE, &data).unwrap();
        assert_eq!(ext.upper_protocol, IpProtocol::IPV6_NO_NXT);
        assert_eq!(ext.upper_offset, 8 + 16 + 8 + 24);
        assert_eq!(ext.upper_offset, data.len());
        assert_eq!(ext.count, 4);
    }

    #[test]
    fn truncated_extension_is_rejected() {
        // Empty data, one byte, and a length running past the data.
        assert_eq!(
            walk_extensions(IpProtocol::IPV6_HOP_BY_HOP, &[]),
            Err(Malformed::Ipv6ExtensionTruncated)
        );
        assert_eq!(
            walk_extensions(IpProtocol::IPV6_HOP_BY_HOP, &[6]),
            Err(Malformed::Ipv6ExtensionTruncated)
        );
        assert_eq!(
            walk_extensions(IpProtocol::IPV6_ROUTE, &ext(6, 1, 8, 1)[..15]),
            Err(Malformed::Ipv6ExtensionTruncated)
        );
        assert_eq!(
            walk_extensions(IpProtocol::IPV6_FRAG, &frag(6, 0, false, 1)[..7]),
            Err(Malformed::Ipv6ExtensionTruncated)
        );
        assert_eq!(
            walk_extensions(IpProtocol::AH, &ext(6, 4, 4, 2)[..23]),
            Err(Malformed::Ipv6ExtensionTruncated)
        );
    }

    #[test]
    fn too_many_extensions_is_rejected() {
        // 17 Destination Options headers, each pointing at the next.
        let data: Vec<u8> = (0..17).flat_map(|_| ext(60, 0, 8, 1)).collect();
        assert_eq!(
            walk_extensions(IpProtocol::IPV6_OPTS, &data),
            Err(Malformed::Ipv6TooManyExtensions)
        );
        // Exactly 16 followed by TCP is fine.
        let mut data: Vec<u8> = (0..15).flat_map(|_| ext(60, 0, 8, 1)).collect();
        data.extend(ext(6, 0, 8, 1));
        let ext = walk_extensions(IpProtocol::IPV6_OPTS, &data).unwrap();
        assert_eq!(ext.count, 16);
        assert_eq!(ext.upper_protocol, IpProtocol::TCP);
    }

    #[derive(Debug, Clone)]
    enum Hdr {
        Generic(u8, u8),
        Ah(u8),
        Frag(u16, bool, u32),
    }

    fn arb_hdr() -> impl Strategy<Value = Hdr> {
        prop_oneof![
            (
                prop::sample::select(vec![0u8, 43, 60, 135, 139, 140]),
                0u8..4
            )
                .prop_map(|(k, l)| Hdr::Generic(k, l)),
            (1u8..8).prop_map(Hdr::Ah),
            (0u16..8192, any::<bool>(), any::<u32>()).prop_map(|(o, m, i)| Hdr::Frag(o * 8, m, i)),
        ]
    }

    proptest! {
        #[test]
        fn walk_matches_built_chain(chain in proptest::collection::vec(arb_hdr(), 0..16),
                                    upper in prop::sample::select(vec![6u8, 17, 58, 50, 59, 132])) {
            let kinds: Vec<u8> = chain.iter().map(|h| match h {
                Hdr::Generic(k, _) => *k,
                Hdr::Ah(_) => 51,
                Hdr::Frag(..) => 44,
            }).collect();
            let first = kinds.first().copied().unwrap_or(upper);
            let mut data = Vec::new();
            let mut expected = None;
            for (i, h) in chain.iter().enumerate() {
                let next = kinds.get(i + 1).copied().unwrap_or(upper);
                match *h {
                    Hdr::Generic(_, l) => data.extend(ext(next, l, 8, 1)),
                    Hdr::Ah(l) => data.extend(ext(next, l, 4, 2)),
                    Hdr::Frag(o, m, id) => {
                        data.extend(frag(next, o, m, id));
                        if o != 0 && expected.is_none() {
                            expected = Some((IpProtocol(next), data.len(), i + 1));
                        }
                    }
                }
            }
            let (proto, off, count) =
                expected.unwrap_or((IpProtocol(upper), data.len(), chain.len()));
            data.extend_from_slice(&[1, 2, 3, 4]);
            let got = walk_extensions(IpProtocol(first), &data).unwrap();
            prop_assert_eq!(got.upper_protocol, proto);
            prop_assert_eq!(got.upper_offset, off);
            prop_assert_eq!(usize::from(got.count), count);
        }

        #[test]
        fn walk_never_panics(first in any::<u8>(), data in proptest::collection::vec(any::<u8>(), 0..300)) {
            if let Ok(ext) = walk_extensions(IpProtocol(first), &data) {
                prop_assert!(ext.upper_offset <= data.len());
                prop_assert!(usize::from(ext.count) <= MAX_EXTENSION_HEADERS);
            }
        }

        #[test]
        fn repr_round_trip(tc in any::<u8>(), flow in 0u32..(1 << 20), len in 0u16..200,
                           nh in any::<u8>(), hl in any::<u8>(), s in any::<[u8; 16]>(), d in any::<[u8; 16]>()) {
            let repr = Repr {
                traffic_class: tc,
                flow_label: flow,
                payload_len: len,
                next_header: IpProtocol(nh),
                hop_limit: hl,
                src_addr: Ipv6Addr::from(s),
                dst_addr: Ipv6Addr::from(d),
            };
            let mut bytes = vec![0; repr.buffer_len() + usize::from(len)];
            repr.emit(&mut Packet::new_unchecked(&mut bytes));
            let packet = Packet::new_checked(&bytes[..]).unwrap();
            prop_assert_eq!(Repr::parse(&packet).unwrap(), repr);
            if !packet.is_jumbogram() {
                prop_assert_eq!(packet.payload().len(), usize::from(len));
            }
        }

        #[test]
        fn hostile_input_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..120)) {
            let mut bytes = bytes;
            if let Some(b) = bytes.first_mut() { *b = 0x60 | (*b & 0x0f); }
            for packet in [Packet::new_checked(&bytes[..]), Packet::new_checked_truncated(&bytes[..])]
                .into_iter()
                .flatten()
            {
                let _ = (packet.payload(), packet.extensions(), packet.flow_label());
                prop_assert!(Repr::parse(&packet).is_ok());
            }
        }
    }
}
