//! ICMP for IPv6 (RFC 4443) and Neighbor Discovery (RFC 4861).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Type      |     Code      |          Checksum             |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     First 4 bytes of the message body (type-specific)         |
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! |     Rest of the message body ...
//! +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//! ```
//!
//! Every message RFC 4443 and RFC 4861 define carries at least 4 body bytes after the 4-byte
//! header, so [`Packet::new_checked`] requires 8 bytes. The checksum covers an IPv6
//! pseudo-header (RFC 4443 §2.3, RFC 8200 §8.1): use [`checksum_ipv6`] or
//! [`Packet::verify_checksum`]; it is not verified on parse, because captured outbound packets
//! often carry a checksum the NIC fills in later.
//!
//! [`NdRepr`] decodes the Neighbor Discovery messages (types 133–137) — target address, flags,
//! router parameters — and [`NdOptions`] walks their options without allocating. The sensor uses
//! the source link-layer address option of RS/RA/NS messages (binds the IPv6 source to a MAC) and
//! the target address plus target link-layer address option of NA messages. RFC 4861's other
//! validity checks (code 0, hop limit 255) are left to the caller: a sensor learns from
//! messages a host would discard.

use crate::bytes::read_u16;
use core::fmt;
use std::net::Ipv6Addr;

use model::MacAddr;

use crate::Malformed;
use crate::ipv4::{IpProtocol, checksum};

/// Field offsets in ICMPv6 messages (RFC 4443 §2.1, RFC 4861 §4).
mod field {
    pub(crate) type Field = core::ops::Range<usize>;

    /// Message type.
    pub(crate) const TYPE: usize = 0;
    /// Type-specific code.
    pub(crate) const CODE: usize = 1;
    /// Checksum over the pseudo-header and the whole message.
    pub(crate) const CHECKSUM: Field = 2..4;
    /// First four body bytes: unused, MTU, pointer, identifier+sequence, ND flags/reserved.
    pub(crate) const REST_OF_HEADER: Field = 4..8;
    /// Echo identifier (RFC 4443 §4.1).
    pub(crate) const ECHO_IDENT: Field = 4..6;
    /// Echo sequence number (RFC 4443 §4.1).
    pub(crate) const ECHO_SEQ_NO: Field = 6..8;
    /// Start of the data after the first 8 bytes.
    pub(crate) const DATA: usize = REST_OF_HEADER.end;

    /// Router Solicitation (RFC 4861 §4.1): options after 4 reserved bytes.
    pub(crate) const RS_OPTIONS: usize = 8;

    /// Router Advertisement (RFC 4861 §4.2): Cur Hop Limit.
    pub(crate) const RA_CUR_HOP_LIMIT: usize = 4;
    /// Router Advertisement: M, O, H, Prf, P flags.
    pub(crate) const RA_FLAGS: usize = 5;
    /// Router Advertisement: Router Lifetime in seconds.
    pub(crate) const RA_ROUTER_LIFETIME: Field = 6..8;
    /// Router Advertisement: Reachable Time in milliseconds.
    pub(crate) const RA_REACHABLE_TIME: Field = 8..12;
    /// Router Advertisement: Retrans Timer in milliseconds.
    pub(crate) const RA_RETRANS_TIME: Field = 12..16;
    /// Router Advertisement: start of options.
    pub(crate) const RA_OPTIONS: usize = RA_RETRANS_TIME.end;

    /// Neighbor Advertisement (RFC 4861 §4.4): R, S, O flags and 29 reserved bits.
    pub(crate) const NA_FLAGS: Field = 4..8;
    /// Neighbor Solicitation/Advertisement and Redirect: Target Address.
    pub(crate) const TARGET_ADDR: Field = 8..24;
    /// Neighbor Solicitation/Advertisement: start of options.
    pub(crate) const NEIGHBOR_OPTIONS: usize = TARGET_ADDR.end;

    /// Redirect (RFC 4861 §4.5): Destination Address.
    pub(crate) const REDIRECT_DEST_ADDR: Field = 24..40;
    /// Redirect: start of options.
    pub(crate) const REDIRECT_OPTIONS: usize = REDIRECT_DEST_ADDR.end;

    /// ND option: type.
    pub(crate) const OPT_TYPE: usize = 0;
    /// ND option: length in units of 8 octets, including type and length.
    pub(crate) const OPT_LEN: usize = 1;
    /// ND option: start of the option's data.
    pub(crate) const OPT_DATA: usize = 2;
}

/// Length of the ICMPv6 header plus the first four body bytes, the minimum message length.
pub const HEADER_LEN: usize = field::DATA;

/// IPv6 Next Header value of ICMPv6, used in the checksum pseudo-header (RFC 4443 §2.3).
pub const NEXT_HEADER: u8 = 58;

/// The ICMPv6 message type (IANA "ICMPv6 Type Numbers" registry).
///
/// Every 8-bit value is representable; unknown types are not errors.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Message(pub u8);

impl Message {
    /// Destination Unreachable (RFC 4443 §3.1).
    pub const DST_UNREACHABLE: Self = Self(1);
    /// Packet Too Big (RFC 4443 §3.2).
    pub const PACKET_TOO_BIG: Self = Self(2);
    /// Time Exceeded (RFC 4443 §3.3).
    pub const TIME_EXCEEDED: Self = Self(3);
    /// Parameter Problem (RFC 4443 §3.4).
    pub const PARAM_PROBLEM: Self = Self(4);
    /// Echo Request (RFC 4443 §4.1).
    pub const ECHO_REQUEST: Self = Self(128);
    /// Echo Reply (RFC 4443 §4.2).
    pub const ECHO_REPLY: Self = Self(129);
    /// Multicast Listener Query (MLDv1 RFC 2710, MLDv2 RFC 3810).
    pub const MLD_QUERY: Self = Self(130);
    /// MLDv1 Multicast Listener Report (RFC 2710).
    pub const MLDV1_REPORT: Self = Self(131);
    /// MLDv1 Multicast Listener Done (RFC 2710).
    pub const MLDV1_DONE: Self = Self(132);
    /// Router Solicitation (RFC 4861 §4.1).
    pub const ROUTER_SOLICIT: Self = Self(133);
    /// Router Advertisement (RFC 4861 §4.2).
    pub const ROUTER_ADVERT: Self = Self(134);
    /// Neighbor Solicitation (RFC 4861 §4.3).
    pub const NEIGHBOR_SOLICIT: Self = Self(135);
    /// Neighbor Advertisement (RFC 4861 §4.4).
    pub const NEIGHBOR_ADVERT: Self = Self(136);
    /// Redirect (RFC 4861 §4.5).
    pub const REDIRECT: Self = Self(137);
    /// Router Renumbering (RFC 2894).
    pub const ROUTER_RENUMBERING: Self = Self(138);
    /// ICMP Node Information Query (RFC 4620).
    pub const NODE_INFO_QUERY: Self = Self(139);
    /// ICMP Node Information Response (RFC 4620).
    pub const NODE_INFO_RESPONSE: Self = Self(140);
    /// MLDv2 Multicast Listener Report (RFC 3810).
    pub const MLDV2_REPORT: Self = Self(143);
    /// Multicast Router Advertisement (RFC 4286).
    pub const MULTICAST_ROUTER_ADVERT: Self = Self(151);
    /// Multicast Router Solicitation (RFC 4286).
    pub const MULTICAST_ROUTER_SOLICIT: Self = Self(152);
    /// Multicast Router Termination (RFC 4286).
    pub const MULTICAST_ROUTER_TERMINATION: Self = Self(153);
    /// RPL Control Message (RFC 6550).
    pub const RPL_CONTROL: Self = Self(155);

    /// Error messages have types 0–127 (RFC 4443 §2.1); their body quotes the invoking packet.
    #[inline]
    pub const fn is_error(self) -> bool {
        self.0 < 128
    }

    /// The five Neighbor Discovery messages, types 133–137, that [`NdRepr`] decodes.
    #[inline]
    pub const fn is_neighbor_discovery(self) -> bool {
        matches!(self.0, 133..=137)
    }

    const fn name(self) -> Option<&'static str> {
        Some(match self.0 {
            1 => "DstUnreachable",
            2 => "PacketTooBig",
            3 => "TimeExceeded",
            4 => "ParamProblem",
            128 => "EchoRequest",
            129 => "EchoReply",
            130 => "MldQuery",
            131 => "Mldv1Report",
            132 => "Mldv1Done",
            133 => "RouterSolicit",
            134 => "RouterAdvert",
            135 => "NeighborSolicit",
            136 => "NeighborAdvert",
            137 => "Redirect",
            138 => "RouterRenumbering",
            139 => "NodeInfoQuery",
            140 => "NodeInfoResponse",
            143 => "Mldv2Report",
            151 => "MulticastRouterAdvert",
            152 => "MulticastRouterSolicit",
            153 => "MulticastRouterTermination",
            155 => "RplControl",
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

/// RFC 1071 checksum of an ICMPv6 message with its IPv6 pseudo-header (RFC 8200 §8.1: source,
/// destination, 32-bit upper-layer length, next header 58).
///
/// Returns the value to store in the checksum field when `data`'s checksum field is zero, and 0
/// when `data` already carries a correct checksum.
pub fn checksum_ipv6(src: Ipv6Addr, dst: Ipv6Addr, data: &[u8]) -> u16 {
    // RFC 8200 §8.1: the upper-layer length is 32 bits; a jumbogram (RFC 2675) longer than
    // 4 GiB cannot reach this function from a capture.
    let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
    let pseudo = checksum::pseudo_header(&src.into(), &dst.into(), IpProtocol::ICMPV6, len);
    !checksum::combine(&[pseudo, checksum::data(data)])
}

/// A read/write view of an ICMPv6 message over any byte buffer.
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
            Err(Malformed::Icmpv6Truncated)
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

    /// Type-specific code.
    #[inline]
    pub fn code(&self) -> u8 {
        self.buffer.as_ref()[field::CODE]
    }

    /// Checksum field as carried.
    #[inline]
    pub fn checksum(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::CHECKSUM.start)
    }

    /// The four body bytes after the checksum, big-endian (MTU of Packet Too Big, pointer of
    /// Parameter Problem, identifier and sequence of echo, ND flags or reserved).
    #[inline]
    pub fn rest_of_header(&self) -> u32 {
        read_u32(self.buffer.as_ref(), field::REST_OF_HEADER.start)
    }

    /// Echo identifier.
    #[inline]
    pub fn echo_ident(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::ECHO_IDENT.start)
    }

    /// Echo sequence number.
    #[inline]
    pub fn echo_seq_no(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::ECHO_SEQ_NO.start)
    }

    /// True when the checksum with the given pseudo-header addresses is correct. A capture cut
    /// short by the snap length cannot be verified and reports `false`.
    #[inline]
    pub fn verify_checksum(&self, src: Ipv6Addr, dst: Ipv6Addr) -> bool {
        checksum_ipv6(src, dst, self.buffer.as_ref()) == 0
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Packet<&'a T> {
    /// Everything after the first 8 bytes, borrowed from the original buffer: echo data, the
    /// invoking packet of an error message, or an ND message's fields after its first word.
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

    /// Sets the four body bytes after the checksum.
    #[inline]
    pub fn set_rest_of_header(&mut self, value: u32) {
        self.buffer.as_mut()[field::REST_OF_HEADER].copy_from_slice(&value.to_be_bytes());
    }

    /// The data after the first 8 bytes, writable.
    #[inline]
    pub fn data_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::DATA..]
    }

    /// Computes the checksum over the pseudo-header and the whole buffer and stores it.
    #[inline]
    pub fn fill_checksum(&mut self, src: Ipv6Addr, dst: Ipv6Addr) {
        self.set_checksum(0);
        let sum = checksum_ipv6(src, dst, self.buffer.as_ref());
        self.set_checksum(sum);
    }
}

/// The meaning of any ICMPv6 message: type, code, first four body bytes and the rest,
/// losslessly (the checksum is recomputed on emit and not kept). [`NdRepr`] decodes further.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Repr<'a> {
    /// Message type.
    pub msg_type: Message,
    /// Type-specific code.
    pub code: u8,
    /// The four body bytes after the checksum.
    pub rest_of_header: u32,
    /// Everything after the first 8 bytes.
    pub data: &'a [u8],
}

impl<'a> Repr<'a> {
    /// Reads a checked packet. Does not verify the checksum.
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

    /// Writes the message and its checksum (with the given pseudo-header addresses) into a
    /// packet whose buffer is exactly [`Repr::buffer_len`] bytes long.
    ///
    /// # Panics
    /// If the buffer is shorter than [`Repr::buffer_len`].
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        packet: &mut Packet<T>,
        src: Ipv6Addr,
        dst: Ipv6Addr,
    ) {
        packet.set_msg_type(self.msg_type);
        packet.set_code(self.code);
        packet.set_rest_of_header(self.rest_of_header);
        packet.data_mut()[..self.data.len()].copy_from_slice(self.data);
        packet.fill_checksum(src, dst);
    }
}

/// Router Advertisement flags byte (RFC 4861 §4.2, RFC 3775 H, RFC 4191 Prf, RFC 4389 P); the
/// whole byte is kept, reserved bits included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct RouterFlags(pub u8);

impl RouterFlags {
    /// M: addresses are available via DHCPv6.
    pub const MANAGED: u8 = 0x80;
    /// O: other configuration is available via DHCPv6.
    pub const OTHER: u8 = 0x40;
    /// H: the router is a Mobile IPv6 home agent (RFC 6275 §7.1).
    pub const HOME_AGENT: u8 = 0x20;
    /// Prf: default router preference, two bits (RFC 4191 §2.2).
    pub const PREFERENCE_MASK: u8 = 0x18;
    /// P: ND proxy (RFC 4389 §4.1.3.3).
    pub const PROXY: u8 = 0x04;

    /// M flag.
    #[inline]
    pub const fn managed(self) -> bool {
        self.0 & Self::MANAGED != 0
    }

    /// O flag.
    #[inline]
    pub const fn other(self) -> bool {
        self.0 & Self::OTHER != 0
    }

    /// H flag.
    #[inline]
    pub const fn home_agent(self) -> bool {
        self.0 & Self::HOME_AGENT != 0
    }

    /// P flag.
    #[inline]
    pub const fn proxy(self) -> bool {
        self.0 & Self::PROXY != 0
    }

    /// Default router preference (RFC 4191 §2.1): 0b01 high, 0b00 medium, 0b11 low, 0b10
    /// reserved.
    #[inline]
    pub const fn preference(self) -> u8 {
        (self.0 & Self::PREFERENCE_MASK) >> 3
    }
}

/// Neighbor Advertisement flags word (RFC 4861 §4.4): R, S, O and the 29 reserved bits, kept
/// whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct NeighborFlags(pub u32);

impl NeighborFlags {
    /// R: the sender is a router.
    pub const ROUTER: u32 = 0x8000_0000;
    /// S: sent in response to a Neighbor Solicitation.
    pub const SOLICITED: u32 = 0x4000_0000;
    /// O: the advertisement should override an existing cache entry.
    pub const OVERRIDE: u32 = 0x2000_0000;

    /// R flag.
    #[inline]
    pub const fn is_router(self) -> bool {
        self.0 & Self::ROUTER != 0
    }

    /// S flag.
    #[inline]
    pub const fn is_solicited(self) -> bool {
        self.0 & Self::SOLICITED != 0
    }

    /// O flag.
    #[inline]
    pub const fn is_override(self) -> bool {
        self.0 & Self::OVERRIDE != 0
    }
}

/// Prefix Information option flags byte (RFC 4861 §4.6.2, RFC 6275 §7.2 R); kept whole.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct PrefixFlags(pub u8);

impl PrefixFlags {
    /// L: the prefix is on-link.
    pub const ON_LINK: u8 = 0x80;
    /// A: the prefix may be used for stateless address autoconfiguration.
    pub const AUTONOMOUS: u8 = 0x40;
    /// R: the prefix field holds the router's full address (RFC 6275 §7.2).
    pub const ROUTER_ADDRESS: u8 = 0x20;

    /// L flag.
    #[inline]
    pub const fn on_link(self) -> bool {
        self.0 & Self::ON_LINK != 0
    }

    /// A flag.
    #[inline]
    pub const fn autonomous(self) -> bool {
        self.0 & Self::AUTONOMOUS != 0
    }
}

/// Neighbor Discovery option type (IANA "IPv6 Neighbor Discovery Option Formats").
///
/// Every 8-bit value is representable; unknown types are not errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct NdOptionType(pub u8);

impl NdOptionType {
    /// Source Link-Layer Address (RFC 4861 §4.6.1).
    pub const SOURCE_LINK_LAYER_ADDR: Self = Self(1);
    /// Target Link-Layer Address (RFC 4861 §4.6.1).
    pub const TARGET_LINK_LAYER_ADDR: Self = Self(2);
    /// Prefix Information (RFC 4861 §4.6.2).
    pub const PREFIX_INFORMATION: Self = Self(3);
    /// Redirected Header (RFC 4861 §4.6.3).
    pub const REDIRECTED_HEADER: Self = Self(4);
    /// MTU (RFC 4861 §4.6.4).
    pub const MTU: Self = Self(5);
    /// Nonce (RFC 3971 §5.3.2).
    pub const NONCE: Self = Self(14);
    /// Route Information (RFC 4191 §2.3).
    pub const ROUTE_INFORMATION: Self = Self(24);
    /// Recursive DNS Server (RFC 8106 §5.1).
    pub const RDNSS: Self = Self(25);
    /// DNS Search List (RFC 8106 §5.2).
    pub const DNSSL: Self = Self(31);
    /// PREF64 (RFC 8781).
    pub const PREF64: Self = Self(38);
}

/// One Neighbor Discovery option, typed where the sensor needs it.
///
/// A known type whose length does not match its definition (e.g. a link-layer address that is
/// not 6 bytes, as on non-Ethernet links) is kept as [`NdOption::Unknown`]. Reserved fields of
/// the MTU and Prefix Information options are not kept and are emitted as zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NdOption<'a> {
    /// Source Link-Layer Address with a 6-byte (IEEE 802) address.
    SourceLinkLayerAddr(MacAddr),
    /// Target Link-Layer Address with a 6-byte (IEEE 802) address.
    TargetLinkLayerAddr(MacAddr),
    /// Prefix Information (length 4).
    PrefixInformation {
        /// Number of leading prefix bits that are valid (0–128, not checked).
        prefix_len: u8,
        /// L, A, R and reserved flags.
        flags: PrefixFlags,
        /// Valid lifetime in seconds (0xffffffff = infinity).
        valid_lifetime: u32,
        /// Preferred lifetime in seconds (0xffffffff = infinity).
        preferred_lifetime: u32,
        /// The prefix (or, with R set, the router's address).
        prefix: Ipv6Addr,
    },
    /// MTU (length 1): the link MTU the router advertises.
    Mtu(u32),
    /// Any other option, or a known type with an unexpected length.
    Unknown {
        /// Option type.
        kind: NdOptionType,
        /// The option's bytes after type and length (length × 8 − 2 bytes).
        data: &'a [u8],
    },
}

/// Length of an option carrying a 6-byte link-layer address: type, length, address.
const LINK_LAYER_OPTION_LEN: usize = 8;
/// Length of a Prefix Information option (RFC 4861 §4.6.2: length 4 units).
const PREFIX_INFORMATION_OPTION_LEN: usize = 32;
/// Length of an MTU option (RFC 4861 §4.6.4: length 1 unit).
const MTU_OPTION_LEN: usize = 8;
/// ND option lengths count 8-octet units (RFC 4861 §4.6).
const OPTION_UNIT: usize = 8;
/// The largest option: a length byte of 255 units.
const MAX_OPTION_LEN: usize = 255 * OPTION_UNIT;

impl<'a> NdOption<'a> {
    /// Types an option from its type byte and the bytes after its length byte.
    fn decode(kind: u8, data: &'a [u8]) -> Self {
        let kind = NdOptionType(kind);
        match (kind, data.len() + field::OPT_DATA) {
            (NdOptionType::SOURCE_LINK_LAYER_ADDR, LINK_LAYER_OPTION_LEN) => {
                MacAddr::from_bytes(data)
                    .map_or(Self::Unknown { kind, data }, Self::SourceLinkLayerAddr)
            }
            (NdOptionType::TARGET_LINK_LAYER_ADDR, LINK_LAYER_OPTION_LEN) => {
                MacAddr::from_bytes(data)
                    .map_or(Self::Unknown { kind, data }, Self::TargetLinkLayerAddr)
            }
            (NdOptionType::MTU, MTU_OPTION_LEN) => {
                // data: reserved (2), MTU (4)
                Self::Mtu(read_u32(data, 2))
            }
            (NdOptionType::PREFIX_INFORMATION, PREFIX_INFORMATION_OPTION_LEN) => {
                // data: prefix length (1), flags (1), valid lifetime (4), preferred lifetime (4),
                // reserved (4), prefix (16)
                Self::PrefixInformation {
                    prefix_len: data[0],
                    flags: PrefixFlags(data[1]),
                    valid_lifetime: read_u32(data, 2),
                    preferred_lifetime: read_u32(data, 6),
                    prefix: read_ipv6(data, 14),
                }
            }
            _ => Self::Unknown { kind, data },
        }
    }

    /// The option's type.
    #[inline]
    pub const fn kind(&self) -> NdOptionType {
        match self {
            Self::SourceLinkLayerAddr(_) => NdOptionType::SOURCE_LINK_LAYER_ADDR,
            Self::TargetLinkLayerAddr(_) => NdOptionType::TARGET_LINK_LAYER_ADDR,
            Self::PrefixInformation { .. } => NdOptionType::PREFIX_INFORMATION,
            Self::Mtu(_) => NdOptionType::MTU,
            Self::Unknown { kind, .. } => *kind,
        }
    }

    /// Bytes [`NdOption::emit`] writes: the option rounded up to a multiple of 8.
    #[inline]
    pub const fn buffer_len(&self) -> usize {
        match self {
            Self::SourceLinkLayerAddr(_) | Self::TargetLinkLayerAddr(_) => LINK_LAYER_OPTION_LEN,
            Self::PrefixInformation { .. } => PREFIX_INFORMATION_OPTION_LEN,
            Self::Mtu(_) => MTU_OPTION_LEN,
            Self::Unknown { data, .. } => {
                (field::OPT_DATA + data.len()).div_ceil(OPTION_UNIT) * OPTION_UNIT
            }
        }
    }

    /// Writes the option at the start of `buf` and returns the bytes written
    /// ([`NdOption::buffer_len`]). Unknown data is padded with zeros to a multiple of 8.
    ///
    /// # Panics
    /// If `buf` is shorter than [`NdOption::buffer_len`], or unknown data is longer than an
    /// option can carry (2038 bytes).
    pub fn emit(&self, buf: &mut [u8]) -> usize {
        let len = self.buffer_len();
        assert!(
            len <= MAX_OPTION_LEN,
            "ND option data longer than 2038 bytes"
        );
        let buf = &mut buf[..len];
        buf.fill(0);
        buf[field::OPT_TYPE] = self.kind().0;
        // len ≤ 2040 was asserted, so the unit count fits a byte.
        buf[field::OPT_LEN] = (len / OPTION_UNIT) as u8;
        let data = &mut buf[field::OPT_DATA..];
        match self {
            Self::SourceLinkLayerAddr(mac) | Self::TargetLinkLayerAddr(mac) => {
                data.copy_from_slice(&mac.0);
            }
            Self::Mtu(mtu) => data[2..6].copy_from_slice(&mtu.to_be_bytes()),
            Self::PrefixInformation {
                prefix_len,
                flags,
                valid_lifetime,
                preferred_lifetime,
                prefix,
            } => {
                data[0] = *prefix_len;
                data[1] = flags.0;
                data[2..6].copy_from_slice(&valid_lifetime.to_be_bytes());
                data[6..10].copy_from_slice(&preferred_lifetime.to_be_bytes());
                data[14..30].copy_from_slice(&prefix.octets());
            }
            Self::Unknown { data: bytes, .. } => data[..bytes.len()].copy_from_slice(bytes),
        }
        len
    }
}

/// The validated options area of a Neighbor Discovery message (RFC 4861 §4.6).
///
/// [`NdOptions::new`] walks the options once and rejects an option of length 0 or one running
/// past the end (RFC 4861 §4.6: "Nodes MUST silently discard an ND packet that contains an
/// option with length zero"), so iterating never fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct NdOptions<'a> {
    data: &'a [u8],
}

impl<'a> NdOptions<'a> {
    /// Validates an options area.
    pub fn new(data: &'a [u8]) -> Result<Self, Malformed> {
        let mut rest = data;
        while !rest.is_empty() {
            let units = *rest
                .get(field::OPT_LEN)
                .ok_or(Malformed::Icmpv6BadNdOption)?;
            let len = usize::from(units) * OPTION_UNIT;
            if len == 0 || len > rest.len() {
                return Err(Malformed::Icmpv6BadNdOption);
            }
            rest = &rest[len..];
        }
        Ok(Self { data })
    }

    /// The raw options bytes.
    #[inline]
    pub const fn as_bytes(&self) -> &'a [u8] {
        self.data
    }

    /// True when the message carries no options.
    #[inline]
    pub const fn is_empty(&self) -> bool {
        self.data.is_empty()
    }

    /// Iterates over the options in wire order.
    #[inline]
    pub const fn iter(&self) -> NdOptionIter<'a> {
        NdOptionIter { rest: self.data }
    }

    /// The first Source Link-Layer Address option with a 6-byte address.
    #[inline]
    pub fn source_link_layer_addr(&self) -> Option<MacAddr> {
        self.iter().find_map(|o| match o {
            NdOption::SourceLinkLayerAddr(mac) => Some(mac),
            _ => None,
        })
    }

    /// The first Target Link-Layer Address option with a 6-byte address.
    #[inline]
    pub fn target_link_layer_addr(&self) -> Option<MacAddr> {
        self.iter().find_map(|o| match o {
            NdOption::TargetLinkLayerAddr(mac) => Some(mac),
            _ => None,
        })
    }
}

impl<'a> IntoIterator for NdOptions<'a> {
    type Item = NdOption<'a>;
    type IntoIter = NdOptionIter<'a>;

    #[inline]
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a> IntoIterator for &NdOptions<'a> {
    type Item = NdOption<'a>;
    type IntoIter = NdOptionIter<'a>;

    #[inline]
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// Iterator over validated ND options; see [`NdOptions::iter`].
#[derive(Debug, Clone)]
pub struct NdOptionIter<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for NdOptionIter<'a> {
    type Item = NdOption<'a>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        let kind = *self.rest.get(field::OPT_TYPE)?;
        let len = usize::from(*self.rest.get(field::OPT_LEN)?) * OPTION_UNIT;
        // NdOptions::new checked these; stay panic-free regardless.
        let Some((option, rest)) = self.rest.split_at_checked(len).filter(|_| len > 0) else {
            self.rest = &[];
            return None;
        };
        self.rest = rest;
        Some(NdOption::decode(kind, &option[field::OPT_DATA..]))
    }
}

impl core::iter::FusedIterator for NdOptionIter<'_> {}

/// The meaning of a Neighbor Discovery message (RFC 4861 §4.1–4.5).
///
/// Reserved fields are not kept and are emitted as zero; the code is emitted as 0. The
/// options are kept as their validated bytes: build them with [`NdOption::emit`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum NdRepr<'a> {
    /// Router Solicitation (133).
    RouterSolicit {
        /// Options (usually a Source Link-Layer Address).
        options: NdOptions<'a>,
    },
    /// Router Advertisement (134).
    RouterAdvert {
        /// Cur Hop Limit hosts should use (0 = unspecified).
        hop_limit: u8,
        /// M, O, H, Prf, P flags.
        flags: RouterFlags,
        /// Router Lifetime in seconds (0 = not a default router).
        router_lifetime: u16,
        /// Reachable Time in milliseconds.
        reachable_time: u32,
        /// Retrans Timer in milliseconds.
        retrans_time: u32,
        /// Options (source link-layer address, MTU, prefixes, ...).
        options: NdOptions<'a>,
    },
    /// Neighbor Solicitation (135).
    NeighborSolicit {
        /// The address being resolved or checked for duplicates.
        target_addr: Ipv6Addr,
        /// Options (a Source Link-Layer Address unless the source is `::`).
        options: NdOptions<'a>,
    },
    /// Neighbor Advertisement (136).
    NeighborAdvert {
        /// R, S, O flags and reserved bits.
        flags: NeighborFlags,
        /// The address whose link-layer address is advertised.
        target_addr: Ipv6Addr,
        /// Options (usually a Target Link-Layer Address).
        options: NdOptions<'a>,
    },
    /// Redirect (137).
    Redirect {
        /// A better first hop for the destination.
        target_addr: Ipv6Addr,
        /// The destination being redirected.
        dest_addr: Ipv6Addr,
        /// Options (target link-layer address, redirected header).
        options: NdOptions<'a>,
    },
}

impl<'a> NdRepr<'a> {
    /// Decodes an ND message; `Ok(None)` for any other type. Errors: [`Malformed::Icmpv6Truncated`]
    /// when the type's fixed part is cut short, [`Malformed::Icmpv6BadNdOption`] for a bad option.
    pub fn parse<T: AsRef<[u8]> + ?Sized>(
        packet: &Packet<&'a T>,
    ) -> Result<Option<Self>, Malformed> {
        packet.check_len()?;
        let msg_type = packet.msg_type();
        let b: &'a [u8] = packet.buffer.as_ref();
        let options_at = match msg_type {
            Message::ROUTER_SOLICIT => field::RS_OPTIONS,
            Message::ROUTER_ADVERT => field::RA_OPTIONS,
            Message::NEIGHBOR_SOLICIT | Message::NEIGHBOR_ADVERT => field::NEIGHBOR_OPTIONS,
            Message::REDIRECT => field::REDIRECT_OPTIONS,
            _ => return Ok(None),
        };
        let options = NdOptions::new(b.get(options_at..).ok_or(Malformed::Icmpv6Truncated)?)?;
        Ok(Some(match msg_type {
            Message::ROUTER_SOLICIT => Self::RouterSolicit { options },
            Message::ROUTER_ADVERT => Self::RouterAdvert {
                hop_limit: b[field::RA_CUR_HOP_LIMIT],
                flags: RouterFlags(b[field::RA_FLAGS]),
                router_lifetime: read_u16(b, field::RA_ROUTER_LIFETIME.start),
                reachable_time: read_u32(b, field::RA_REACHABLE_TIME.start),
                retrans_time: read_u32(b, field::RA_RETRANS_TIME.start),
                options,
            },
            Message::NEIGHBOR_SOLICIT => Self::NeighborSolicit {
                target_addr: read_ipv6(b, field::TARGET_ADDR.start),
                options,
            },
            Message::NEIGHBOR_ADVERT => Self::NeighborAdvert {
                flags: NeighborFlags(read_u32(b, field::NA_FLAGS.start)),
                target_addr: read_ipv6(b, field::TARGET_ADDR.start),
                options,
            },
            _ => Self::Redirect {
                target_addr: read_ipv6(b, field::TARGET_ADDR.start),
                dest_addr: read_ipv6(b, field::REDIRECT_DEST_ADDR.start),
                options,
            },
        }))
    }

    /// The message type.
    #[inline]
    pub const fn msg_type(&self) -> Message {
        match self {
            Self::RouterSolicit { .. } => Message::ROUTER_SOLICIT,
            Self::RouterAdvert { .. } => Message::ROUTER_ADVERT,
            Self::NeighborSolicit { .. } => Message::NEIGHBOR_SOLICIT,
            Self::NeighborAdvert { .. } => Message::NEIGHBOR_ADVERT,
            Self::Redirect { .. } => Message::REDIRECT,
        }
    }

    /// The target address of a Neighbor Solicitation/Advertisement or Redirect.
    #[inline]
    pub const fn target_addr(&self) -> Option<Ipv6Addr> {
        match self {
            Self::NeighborSolicit { target_addr, .. }
            | Self::NeighborAdvert { target_addr, .. }
            | Self::Redirect { target_addr, .. } => Some(*target_addr),
            Self::RouterSolicit { .. } | Self::RouterAdvert { .. } => None,
        }
    }

    /// The message's options.
    #[inline]
    pub const fn options(&self) -> NdOptions<'a> {
        match self {
            Self::RouterSolicit { options }
            | Self::RouterAdvert { options, .. }
            | Self::NeighborSolicit { options, .. }
            | Self::NeighborAdvert { options, .. }
            | Self::Redirect { options, .. } => *options,
        }
    }

    const fn options_offset(&self) -> usize {
        match self {
            Self::RouterSolicit { .. } => field::RS_OPTIONS,
            Self::RouterAdvert { .. } => field::RA_OPTIONS,
            Self::NeighborSolicit { .. } | Self::NeighborAdvert { .. } => field::NEIGHBOR_OPTIONS,
            Self::Redirect { .. } => field::REDIRECT_OPTIONS,
        }
    }

    /// Bytes [`NdRepr::emit`] writes.
    #[inline]
    pub const fn buffer_len(&self) -> usize {
        self.options_offset() + self.options().as_bytes().len()
    }

    /// Writes the message and its checksum (with the given pseudo-header addresses) into a
    /// packet whose buffer is exactly [`NdRepr::buffer_len`] bytes long.
    ///
    /// # Panics
    /// If the buffer is shorter than [`NdRepr::buffer_len`].
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(
        &self,
        packet: &mut Packet<T>,
        src: Ipv6Addr,
        dst: Ipv6Addr,
    ) {
        packet.set_msg_type(self.msg_type());
        packet.set_code(0);
        packet.set_rest_of_header(0);
        let at = self.options_offset();
        let b = packet.buffer.as_mut();
        b[field::DATA..at].fill(0);
        match self {
            Self::RouterSolicit { .. } => {}
            Self::RouterAdvert {
                hop_limit,
                flags,
                router_lifetime,
                reachable_time,
                retrans_time,
                ..
            } => {
                b[field::RA_CUR_HOP_LIMIT] = *hop_limit;
                b[field::RA_FLAGS] = flags.0;
                b[field::RA_ROUTER_LIFETIME].copy_from_slice(&router_lifetime.to_be_bytes());
                b[field::RA_REACHABLE_TIME].copy_from_slice(&reachable_time.to_be_bytes());
                b[field::RA_RETRANS_TIME].copy_from_slice(&retrans_time.to_be_bytes());
            }
            Self::NeighborSolicit { target_addr, .. } => {
                b[field::TARGET_ADDR].copy_from_slice(&target_addr.octets());
            }
            Self::NeighborAdvert {
                flags, target_addr, ..
            } => {
                b[field::NA_FLAGS].copy_from_slice(&flags.0.to_be_bytes());
                b[field::TARGET_ADDR].copy_from_slice(&target_addr.octets());
            }
            Self::Redirect {
                target_addr,
                dest_addr,
                ..
            } => {
                b[field::TARGET_ADDR].copy_from_slice(&target_addr.octets());
                b[field::REDIRECT_DEST_ADDR].copy_from_slice(&dest_addr.octets());
            }
        }
        let options = self.options().as_bytes();
        b[at..at + options.len()].copy_from_slice(options);
        packet.fill_checksum(src, dst);
    }
}

#[inline]
fn read_u32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

#[inline]
fn read_ipv6(b: &[u8], at: usize) -> Ipv6Addr {
    let mut octets = [0; 16];
    octets.copy_from_slice(&b[at..at + 16]);
    Ipv6Addr::from(octets)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const FE80_DEAD: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0xdead);
    const FE80_BEEF: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0xbeef);
    const FE80_1: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 1);
    const FE80_C000: Ipv6Addr = Ipv6Addr::new(0xfe80, 0, 0, 0, 0xc000, 0x54ff, 0xfef5, 0);
    const FF02_1: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 1);
    const C2_MAC: MacAddr = MacAddr([0xc2, 0x00, 0x54, 0xf5, 0x00, 0x00]);
    const MAC_0011: MacAddr = MacAddr([0x00, 0x11, 0x22, 0x33, 0x44, 0x55]);

    /// zeek Traces/icmp/icmp6-nd-short-options.pcap frame 6: NS fe80::1 → ff02::1:ff00:3.
    const NS_WITH_SLLA: [u8; 32] = [
        0x87, // type 135: Neighbor Solicitation (RFC 4861 §4.3)
        0x00, // code 0
        0x15, 0xfd, // checksum
        0x00, 0x00, 0x00, 0x00, // reserved
        // target address fe80::3
        0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x03,
        0x01, // option type 1: Source Link-Layer Address (§4.6.1)
        0x01, // length 1 (8 bytes)
        0x00, 0x11, 0x22, 0x33, 0x44, 0x55, // link-layer address
    ];
    const NS_DST: Ipv6Addr = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 1, 0xff00, 3);

    /// zeek Traces/icmp/icmp6-nd-options.pcap frame 2: NA fe80::c000:54ff:fef5:0 → ff02::1.
    const NA_WITH_TLLA: [u8; 32] = [
        0x88, // type 136: Neighbor Advertisement (RFC 4861 §4.4)
        0x00, // code 0
        0x9a, 0xbb, // checksum
        0xa0, 0x00, 0x00, 0x00, // flags R=1 S=0 O=1, reserved
        // target address fe80::c000:54ff:fef5:0
        0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0xc0, 0x00, 0x54, 0xff, 0xfe, 0xf5, 0x00, 0x00,
        0x02, // option type 2: Target Link-Layer Address
        0x01, // length 1
        0xc2, 0x00, 0x54, 0xf5, 0x00, 0x00, // link-layer address
    ];

    /// zeek Traces/icmp/icmp6-nd-options.pcap frame 3: RA fe80::c000:54ff:fef5:0 → ff02::1.
    const RA_WITH_OPTIONS: [u8; 64] = [
        0x86, // type 134: Router Advertisement (RFC 4861 §4.2)
        0x00, // code 0
        0xc4, 0xfe, // checksum
        0x40, // cur hop limit 64
        0x00, // flags M=0 O=0 H=0 Prf=medium P=0
        0x07, 0x08, // router lifetime 1800 s
        0x00, 0x00, 0x00, 0x00, // reachable time 0
        0x00, 0x00, 0x00, 0x00, // retrans timer 0
        0x01, 0x01, // option: Source Link-Layer Address, length 1
        0xc2, 0x00, 0x54, 0xf5, 0x00, 0x00, //   c2:00:54:f5:00:00
        0x05, 0x01, // option: MTU, length 1 (§4.6.4)
        0x00, 0x00, //   reserved
        0x00, 0x00, 0x05, 0xdc, //   MTU 1500
        0x03, 0x04, // option: Prefix Information, length 4 (§4.6.2)
        0x40, //   prefix length 64
        0xc0, //   flags L=1 A=1
        0x00, 0x27, 0x8d, 0x00, //   valid lifetime 2592000 s
        0x00, 0x09, 0x3a, 0x80, //   preferred lifetime 604800 s
        0x00, 0x00, 0x00, 0x00, //   reserved
        // prefix 2001:db8:0:1::
        0x20, 0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x01, 0, 0, 0, 0, 0, 0, 0, 0,
    ];

    /// zeek Traces/icmp/icmp6-router-advert.pcap: RA fe80::dead → fe80::beef, no options.
    const RA_FLAGS: [u8; 16] = [
        0x86, 0x00, // type 134, code 0
        0xb6, 0xcd, // checksum
        0x0d, // cur hop limit 13
        0xb8, // flags M=1 O=0 H=1 Prf=0b11 (low) P=0
        0x07, 0x08, // router lifetime 1800
        0x00, 0x00, 0x0e, 0x74, // reachable time 3700 ms
        0x00, 0x00, 0x05, 0x14, // retrans timer 1300 ms
    ];

    /// zeek Traces/icmp/icmp6-redirect.pcap: Redirect fe80::dead → fe80::beef.
    const REDIRECT: [u8; 40] = [
        0x89, 0x00, // type 137, code 0
        0x59, 0x3e, // checksum
        0x00, 0x00, 0x00, 0x00, // reserved
        // target address fe80::cafe
        0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xca, 0xfe,
        // destination address fe80::babe
        0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xba, 0xbe,
    ];

    /// zeek Traces/icmp/icmp6-router-solicit.pcap: RS fe80::dead → fe80::beef, no options.
    const RS: [u8; 8] = [0x85, 0x00, 0xe0, 0x1d, 0x00, 0x00, 0x00, 0x00];

    /// zeek Traces/icmp/icmp6-ping.pcap frame 1, first bytes of an echo request.
    const ECHO: [u8; 12] = [
        0x80, 0x00, // type 128 echo request, code 0
        0x29, 0x10, // checksum (of the full message)
        0x00, 0x01, // identifier 1
        0x00, 0x03, // sequence 3
        0x61, 0x62, 0x63, 0x64, // data "abcd..."
    ];

    fn nd(bytes: &[u8]) -> Result<Option<NdRepr<'_>>, Malformed> {
        NdRepr::parse(&Packet::new_checked(bytes)?)
    }

    #[test]
    fn test_deconstruct_neighbor_solicit() {
        let p = Packet::new_checked(&NS_WITH_SLLA[..]).expect("valid");
        assert_eq!(p.msg_type(), Message::NEIGHBOR_SOLICIT);
        assert!(p.msg_type().is_neighbor_discovery());
        assert_eq!(p.code(), 0);
        assert_eq!(p.checksum(), 0x15fd);
        assert!(p.verify_checksum(FE80_1, NS_DST));
        assert!(!p.verify_checksum(FE80_1, FF02_1));
        let repr = NdRepr::parse(&p).expect("valid").expect("ND");
        assert_eq!(
            repr.target_addr(),
            Some(Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 3))
        );
        assert_eq!(repr.options().source_link_layer_addr(), Some(MAC_0011));
        assert_eq!(repr.options().target_link_layer_addr(), None);
        let all: Vec<_> = repr.options().iter().collect();
        assert_eq!(all, [NdOption::SourceLinkLayerAddr(MAC_0011)]);
    }

    #[test]
    fn test_deconstruct_neighbor_advert() {
        let repr = nd(&NA_WITH_TLLA).expect("valid").expect("ND");
        let NdRepr::NeighborAdvert {
            flags,
            target_addr,
            options,
        } = repr
        else {
            panic!("not an NA: {repr:?}");
        };
        assert!(flags.is_router() && !flags.is_solicited() && flags.is_override());
        assert_eq!(target_addr, FE80_C000);
        assert_eq!(options.target_link_layer_addr(), Some(C2_MAC));
        let p = Packet::new_checked(&NA_WITH_TLLA[..]).expect("valid");
        assert!(p.verify_checksum(FE80_C000, FF02_1));
    }

    #[test]
    fn test_deconstruct_router_advert_with_options() {
        let p = Packet::new_checked(&RA_WITH_OPTIONS[..]).expect("valid");
        assert!(p.verify_checksum(FE80_C000, FF02_1));
        let repr = NdRepr::parse(&p).expect("valid").expect("ND");
        let NdRepr::RouterAdvert {
            hop_limit,
            flags,
            router_lifetime,
            reachable_time,
            retrans_time,
            options,
        } = repr
        else {
            panic!("not an RA: {repr:?}");
        };
        assert_eq!(
            (hop_limit, flags, router_lifetime),
            (64, RouterFlags(0), 1800)
        );
        assert_eq!((reachable_time, retrans_time), (0, 0));
        let all: Vec<_> = options.iter().collect();
        assert_eq!(
            all,
            [
                NdOption::SourceLinkLayerAddr(C2_MAC),
                NdOption::Mtu(1500),
                NdOption::PrefixInformation {
                    prefix_len: 64,
                    flags: PrefixFlags(0xc0),
                    valid_lifetime: 2_592_000,
                    preferred_lifetime: 604_800,
                    prefix: Ipv6Addr::new(0x2001, 0xdb8, 0, 1, 0, 0, 0, 0),
                },
            ]
        );
        let NdOption::PrefixInformation { flags, .. } = all[2] else {
            unreachable!()
        };
        assert!(flags.on_link() && flags.autonomous());
        assert_eq!(repr.target_addr(), None);
        assert_eq!(options.source_link_layer_addr(), Some(C2_MAC));
    }

    #[test]
    fn test_deconstruct_router_advert_flags() {
        let p = Packet::new_checked(&RA_FLAGS[..]).expect("valid");
        assert!(p.verify_checksum(FE80_DEAD, FE80_BEEF));
        let Some(NdRepr::RouterAdvert {
            hop_limit,
            flags,
            router_lifetime,
            reachable_time,
            retrans_time,
            options,
        }) = NdRepr::parse(&p).expect("valid")
        else {
            panic!("not an RA");
        };
        assert_eq!(hop_limit, 13);
        assert!(flags.managed() && !flags.other() && flags.home_agent() && !flags.proxy());
        assert_eq!(flags.preference(), 0b11);
        assert_eq!(
            (router_lifetime, reachable_time, retrans_time),
            (1800, 3700, 1300)
        );
        assert!(options.is_empty());
    }

    #[test]
    fn test_deconstruct_redirect_and_router_solicit() {
        let repr = nd(&REDIRECT).expect("valid").expect("ND");
        assert_eq!(
            repr,
            NdRepr::Redirect {
                target_addr: Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0xcafe),
                dest_addr: Ipv6Addr::new(0xfe80, 0, 0, 0, 0, 0, 0, 0xbabe),
                options: NdOptions::default(),
            }
        );
        let p = Packet::new_checked(&REDIRECT[..]).expect("valid");
        assert!(p.verify_checksum(FE80_DEAD, FE80_BEEF));

        let repr = nd(&RS).expect("valid").expect("ND");
        assert_eq!(
            repr,
            NdRepr::RouterSolicit {
                options: NdOptions::default()
            }
        );
        assert!(
            Packet::new_checked(&RS[..])
                .expect("valid")
                .verify_checksum(FE80_DEAD, FE80_BEEF)
        );
    }

    #[test]
    fn test_deconstruct_echo() {
        let p = Packet::new_checked(&ECHO[..]).expect("valid");
        assert_eq!(p.msg_type(), Message::ECHO_REQUEST);
        assert!(!p.msg_type().is_error() && !p.msg_type().is_neighbor_discovery());
        assert_eq!((p.echo_ident(), p.echo_seq_no()), (1, 3));
        assert_eq!(p.data(), b"abcd");
        assert_eq!(nd(&ECHO), Ok(None));
        assert_eq!(format!("{:?}", p.msg_type()), "EchoRequest");
    }

    #[test]
    fn test_emit_matches_capture() {
        for (bytes, src, dst) in [
            (&NS_WITH_SLLA[..], FE80_1, NS_DST),
            (&NA_WITH_TLLA[..], FE80_C000, FF02_1),
            (&RA_WITH_OPTIONS[..], FE80_C000, FF02_1),
            (&RA_FLAGS[..], FE80_DEAD, FE80_BEEF),
            (&REDIRECT[..], FE80_DEAD, FE80_BEEF),
            (&RS[..], FE80_DEAD, FE80_BEEF),
        ] {
            let repr = nd(bytes).expect("valid").expect("ND");
            let mut buf = vec![0xa5; repr.buffer_len()];
            repr.emit(&mut Packet::new_unchecked(&mut buf), src, dst);
            assert_eq!(buf, bytes, "{repr:?}");

            let generic = Repr::parse(&Packet::new_checked(bytes).expect("valid")).expect("valid");
            let mut buf = vec![0xa5; generic.buffer_len()];
            generic.emit(&mut Packet::new_unchecked(&mut buf), src, dst);
            assert_eq!(buf, bytes);
        }
    }

    #[test]
    fn test_option_emit_matches_capture() {
        let repr = nd(&RA_WITH_OPTIONS).expect("valid").expect("ND");
        let mut buf = [0xa5; 48];
        let mut at = 0;
        for option in repr.options() {
            at += option.emit(&mut buf[at..]);
        }
        assert_eq!(at, 48);
        assert_eq!(buf, RA_WITH_OPTIONS[16..]);
    }

    #[test]
    fn truncated_header_is_icmpv6_truncated() {
        for len in 0..HEADER_LEN {
            assert_eq!(
                Packet::new_checked(&RS[..len]).err(),
                Some(Malformed::Icmpv6Truncated)
            );
        }
        assert_eq!(
            Repr::parse(&Packet::new_unchecked(&RS[..3])),
            Err(Malformed::Icmpv6Truncated)
        );
    }

    #[test]
    fn truncated_fixed_part_is_icmpv6_truncated() {
        // zeek Traces/icmp/icmp6-nd-short-options.pcap frames 13–16: 8-byte RA/NA/NS/Redirect.
        for short in [
            [0x86, 0x00, 0x75, 0x18, 0x00, 0x08, 0x07, 0x08],
            [0x88, 0x00, 0xda, 0xa8, 0xa0, 0x00, 0x00, 0x00],
            [0x87, 0x00, 0x7c, 0x24, 0x00, 0x00, 0x00, 0x00],
            [0x89, 0x00, 0x79, 0xa9, 0x00, 0x00, 0x00, 0x00],
        ] {
            assert_eq!(nd(&short), Err(Malformed::Icmpv6Truncated), "{short:02x?}");
        }
        // zeek Traces/icmp/icmp6-nd-short-options.pcap frame 5: an NS whose target address is
        // cut after 8 of its 16 bytes.
        let ns = [
            0x87, 0x00, 0x7d, 0xaa, 0, 0, 0, 0, 0xfe, 0x80, 0, 0, 0, 0, 0, 0,
        ];
        assert_eq!(nd(&ns), Err(Malformed::Icmpv6Truncated));
        // Every cut of a Redirect before the end of its destination address.
        for len in HEADER_LEN..field::REDIRECT_OPTIONS {
            assert_eq!(
                nd(&REDIRECT[..len]),
                Err(Malformed::Icmpv6Truncated),
                "len {len}"
            );
        }
    }

    #[test]
    fn zero_length_option_is_bad_nd_option() {
        let mut bytes = NS_WITH_SLLA;
        bytes[25] = 0; // option length 0 (RFC 4861 §4.6: MUST discard)
        assert_eq!(nd(&bytes), Err(Malformed::Icmpv6BadNdOption));
        assert_eq!(NdOptions::new(&[1, 0]), Err(Malformed::Icmpv6BadNdOption));
    }

    #[test]
    fn option_past_end_is_bad_nd_option() {
        // The message ends 6 bytes into an 8-byte option.
        assert_eq!(nd(&NS_WITH_SLLA[..30]), Err(Malformed::Icmpv6BadNdOption));
        // A lone type byte with no length.
        assert_eq!(nd(&NS_WITH_SLLA[..25]), Err(Malformed::Icmpv6BadNdOption));
        // Length 2 (16 bytes) but only 8 present.
        let mut bytes = NS_WITH_SLLA;
        bytes[25] = 2;
        assert_eq!(nd(&bytes), Err(Malformed::Icmpv6BadNdOption));
        // Maximum length 255 units.
        assert_eq!(
            NdOptions::new(&[1, 255, 0, 0, 0, 0, 0, 0]),
            Err(Malformed::Icmpv6BadNdOption)
        );
    }

    #[test]
    fn link_layer_option_not_six_bytes_is_unknown() {
        // A 16-byte source link-layer address option (e.g. IEEE 802.15.4 EUI-64, RFC 4944).
        let data = [1, 2, 0xaa, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 0];
        let options = NdOptions::new(&data).expect("valid");
        assert_eq!(options.source_link_layer_addr(), None);
        let all: Vec<_> = options.iter().collect();
        assert_eq!(
            all,
            [NdOption::Unknown {
                kind: NdOptionType::SOURCE_LINK_LAYER_ADDR,
                data: &data[2..]
            }]
        );
    }

    fn option_strategy()
    -> impl Strategy<Value = (u8, u8, u32, u32, u32, [u8; 16], [u8; 6], u8, usize)> {
        (
            any::<u8>(),
            any::<u8>(),
            any::<u32>(),
            any::<u32>(),
            any::<u32>(),
            any::<[u8; 16]>(),
            any::<[u8; 6]>(),
            0u8..=7,
            0usize..4,
        )
    }

    fn make_option(
        (a, b, c, d, e, addr, mac, which, units): (
            u8,
            u8,
            u32,
            u32,
            u32,
            [u8; 16],
            [u8; 6],
            u8,
            usize,
        ),
        unknown: &[u8],
    ) -> NdOption<'_> {
        match which {
            0 => NdOption::SourceLinkLayerAddr(MacAddr(mac)),
            1 => NdOption::TargetLinkLayerAddr(MacAddr(mac)),
            2 => NdOption::Mtu(c),
            3 => NdOption::PrefixInformation {
                prefix_len: a,
                flags: PrefixFlags(b),
                valid_lifetime: d,
                preferred_lifetime: e,
                prefix: Ipv6Addr::from(addr),
            },
            // Unknown types, and known types with lengths that are not the known ones.
            4 => NdOption::Unknown {
                kind: NdOptionType(a.max(6)),
                data: &unknown[..6 + 8 * units],
            },
            5 => NdOption::Unknown {
                kind: NdOptionType::SOURCE_LINK_LAYER_ADDR,
                data: &unknown[..14],
            },
            6 => NdOption::Unknown {
                kind: NdOptionType::PREFIX_INFORMATION,
                data: &unknown[..6],
            },
            _ => NdOption::Unknown {
                kind: NdOptionType::MTU,
                data: &unknown[..22],
            },
        }
    }

    proptest! {
        #[test]
        fn roundtrip_generic(msg_type: u8, code: u8, rest: u32, src: [u8; 16], dst: [u8; 16],
                             data in proptest::collection::vec(any::<u8>(), 0..64)) {
            let (src, dst) = (Ipv6Addr::from(src), Ipv6Addr::from(dst));
            let repr = Repr { msg_type: Message(msg_type), code, rest_of_header: rest, data: &data };
            let mut buf = vec![0; repr.buffer_len()];
            repr.emit(&mut Packet::new_unchecked(&mut buf), src, dst);
            let p = Packet::new_checked(&buf[..]).expect("valid");
            prop_assert!(p.verify_checksum(src, dst));
            prop_assert_eq!(Repr::parse(&p).expect("parse"), repr);
        }

        #[test]
        fn roundtrip_nd(kind in 0u8..5, a: u8, b: u32, c: u32, addr: [u8; 16], addr2: [u8; 16],
                        src: [u8; 16], dst: [u8; 16],
                        specs in proptest::collection::vec(option_strategy(), 0..5),
                        unknown in proptest::collection::vec(any::<u8>(), 32)) {
            let options: Vec<NdOption<'_>> = specs.into_iter().map(|s| make_option(s, &unknown)).collect();
            let mut option_bytes = vec![0; options.iter().map(NdOption::buffer_len).sum()];
            let mut at = 0;
            for option in &options {
                at += option.emit(&mut option_bytes[at..]);
            }
            let nd_options = NdOptions::new(&option_bytes).expect("emitted options are valid");
            let repr = match kind {
                0 => NdRepr::RouterSolicit { options: nd_options },
                1 => NdRepr::RouterAdvert {
                    hop_limit: a, flags: RouterFlags(a.rotate_left(3)), router_lifetime: b as u16,
                    reachable_time: b, retrans_time: c, options: nd_options,
                },
                2 => NdRepr::NeighborSolicit { target_addr: Ipv6Addr::from(addr), options: nd_options },
                3 => NdRepr::NeighborAdvert {
                    flags: NeighborFlags(b), target_addr: Ipv6Addr::from(addr), options: nd_options,
                },
                _ => NdRepr::Redirect {
                    target_addr: Ipv6Addr::from(addr), dest_addr: Ipv6Addr::from(addr2),
                    options: nd_options,
                },
            };
            let (src, dst) = (Ipv6Addr::from(src), Ipv6Addr::from(dst));
            let mut buf = vec![0xa5; repr.buffer_len()];
            repr.emit(&mut Packet::new_unchecked(&mut buf), src, dst);
            let p = Packet::new_checked(&buf[..]).expect("valid");
            prop_assert!(p.verify_checksum(src, dst));
            let parsed = NdRepr::parse(&p).expect("valid").expect("ND");
            prop_assert_eq!(parsed, repr);
            let reparsed: Vec<_> = parsed.options().iter().collect();
            prop_assert_eq!(reparsed, options);
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..96),
                                       msg_type in 133u8..=137) {
            let mut bytes = bytes;
            if let Some(t) = bytes.first_mut() {
                *t = msg_type;
            }
            if let Ok(p) = Packet::new_checked(&bytes[..]) {
                let _ = (p.msg_type(), p.code(), p.checksum(), p.rest_of_header(), p.data());
                let _ = (p.echo_ident(), p.echo_seq_no());
                if let Ok(Some(repr)) = NdRepr::parse(&p) {
                    let n = repr.options().iter().count();
                    prop_assert!(n <= bytes.len() / 8);
                    let _ = repr.target_addr();
                }
            }
        }
    }
}
