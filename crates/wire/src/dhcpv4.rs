//! DHCPv4 and BOOTP messages (RFC 2131, RFC 951), their options (RFC 2132) and the client
//! FQDN option (RFC 4702).
//!
//! ```text
//!  0                   1                   2                   3
//!  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//! +---------------+---------------+---------------+---------------+
//! |     op (1)    |   htype (1)   |   hlen (1)    |   hops (1)    |
//! +---------------+---------------+---------------+---------------+
//! |                            xid (4)                            |
//! +-------------------------------+-------------------------------+
//! |           secs (2)            |           flags (2)           |
//! +-------------------------------+-------------------------------+
//! |                          ciaddr  (4)                          |
//! |                          yiaddr  (4)                          |
//! |                          siaddr  (4)                          |
//! |                          giaddr  (4)                          |
//! +---------------------------------------------------------------+
//! |                          chaddr  (16)                         |
//! |                          sname   (64)                         |
//! |                          file    (128)                        |
//! +---------------------------------------------------------------+
//! |                  magic cookie 99.130.83.99 (4)                |
//! |                          options (variable)                   |
//! +---------------------------------------------------------------+
//! ```
//!
//! [`Packet::new_checked`] needs the 236-byte BOOTP fixed part ([`Malformed::DhcpTruncated`]).
//! What follows decides the kind of message:
//! - fewer than 4 more bytes, or a vendor area starting with four zero bytes: plain BOOTP
//!   (RFC 951) without options — not an error, [`Packet::options`] is empty;
//! - the RFC 1497 magic cookie 0x63825363: DHCP (or BOOTP with RFC 1497 vendor extensions),
//!   options follow;
//! - anything else: [`Malformed::DhcpBadMagicCookie`]. RFC 951 lets a vendor put its own
//!   magic number there, but on the DHCP ports that is either ancient or not DHCP at all.
//!
//! Options are read by an allocation-free iterator ([`Options`]); [`Packet::identity`]
//! gathers, in one pass, the fields a sensor keeps about the client. Option overload (option
//! 52, RFC 2132 §9.3) is honoured: after the options field, the `file` field and then the
//! `sname` field are read as options when option 52 says so (RFC 2131 §4.1 order).

use crate::bytes::read_u16;
use std::net::Ipv4Addr;

use model::{DhcpMessageType, MacAddr};

use crate::Malformed;
use crate::dns::write_labels_text;
use crate::text::TRUNCATION_MARK;

/// Field offsets in the BOOTP/DHCP message (RFC 2131 §2, Figure 1).
mod field {
    pub(crate) type Field = core::ops::Range<usize>;

    /// Message op code: 1 BOOTREQUEST, 2 BOOTREPLY.
    pub(crate) const OP: usize = 0;
    /// Hardware address type (ARP hardware types, RFC 1700; 1 = Ethernet).
    pub(crate) const HTYPE: usize = 1;
    /// Hardware address length (6 for Ethernet).
    pub(crate) const HLEN: usize = 2;
    /// Relay agent hops.
    pub(crate) const HOPS: usize = 3;
    /// Transaction ID chosen by the client.
    pub(crate) const XID: Field = 4..8;
    /// Seconds since the client began acquisition or renewal.
    pub(crate) const SECS: Field = 8..10;
    /// Flags; the top bit is BROADCAST.
    pub(crate) const FLAGS: Field = 10..12;
    /// Client IP address (when the client already has one).
    pub(crate) const CIADDR: Field = 12..16;
    /// "Your" (client) IP address: the address offered or assigned.
    pub(crate) const YIADDR: Field = 16..20;
    /// Next server to use in bootstrap.
    pub(crate) const SIADDR: Field = 20..24;
    /// Relay agent IP address.
    pub(crate) const GIADDR: Field = 24..28;
    /// Client hardware address, padded to 16 bytes.
    pub(crate) const CHADDR: Field = 28..44;
    /// Optional server host name, NUL-terminated.
    pub(crate) const SNAME: Field = 44..108;
    /// Boot file name, NUL-terminated.
    pub(crate) const FILE: Field = 108..236;
    /// RFC 1497 / RFC 2131 §3 magic cookie.
    pub(crate) const MAGIC_COOKIE: Field = 236..240;
    /// Start of the options.
    pub(crate) const OPTIONS: usize = MAGIC_COOKIE.end;
}

/// Length of the BOOTP fixed part, without the magic cookie: the shortest message accepted.
pub const BOOTP_LEN: usize = field::FILE.end;

/// Length of the fixed part with the magic cookie: where options start.
pub const HEADER_LEN: usize = field::OPTIONS;

/// The DHCP magic cookie, 99.130.83.99 (RFC 2131 §3, RFC 1497).
pub const MAGIC_COOKIE: u32 = 0x6382_5363;

use crate::text::trim_nuls;
pub use crate::text::{MAX_TEXT_LEN, wire_text};

/// Options [`Repr::parse`] keeps (CONVENTIONS §6 list limit); the rest are counted.
pub const MAX_OPTIONS: usize = 64;

/// Longest name in an option 81 canonical (DNS wire format) encoding, in octets (RFC 1035
/// §2.3.4, referenced by RFC 4702 §2.3.1).
const MAX_FQDN_WIRE_LEN: usize = 255;

/// Longest value one option carries (its length is one octet, RFC 2132 §2).
const MAX_OPTION_LEN: usize = 255;

/// BROADCAST bit of the flags field (RFC 2131 §2, Figure 2).
const FLAG_BROADCAST: u16 = 0x8000;

/// The message op code (RFC 2131 §2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Op(pub u8);

impl Op {
    /// BOOTREQUEST: client to server.
    pub const REQUEST: Self = Self(1);
    /// BOOTREPLY: server to client.
    pub const REPLY: Self = Self(2);
}

/// A DHCP option code (RFC 2132 and the IANA "BOOTP Vendor Extensions and DHCP Options"
/// registry). Every value is representable; unknown codes are not errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct OptionCode(pub u8);

impl OptionCode {
    /// Pad (one byte, no length).
    pub const PAD: Self = Self(0);
    /// Subnet mask.
    pub const SUBNET_MASK: Self = Self(1);
    /// Time offset from UTC.
    pub const TIME_OFFSET: Self = Self(2);
    /// Routers.
    pub const ROUTER: Self = Self(3);
    /// DNS servers.
    pub const DNS_SERVER: Self = Self(6);
    /// Client host name (RFC 2132 §3.14).
    pub const HOSTNAME: Self = Self(12);
    /// Domain name (RFC 2132 §3.17).
    pub const DOMAIN_NAME: Self = Self(15);
    /// Broadcast address.
    pub const BROADCAST_ADDRESS: Self = Self(28);
    /// NTP servers.
    pub const NTP_SERVERS: Self = Self(42);
    /// Vendor-specific information.
    pub const VENDOR_SPECIFIC: Self = Self(43);
    /// Requested IP address (RFC 2132 §9.1).
    pub const REQUESTED_IP: Self = Self(50);
    /// IP address lease time.
    pub const LEASE_TIME: Self = Self(51);
    /// Option overload: options continue in `file` (1), `sname` (2) or both (3).
    pub const OVERLOAD: Self = Self(52);
    /// DHCP message type (RFC 2132 §9.6).
    pub const MESSAGE_TYPE: Self = Self(53);
    /// Server identifier (RFC 2132 §9.7).
    pub const SERVER_ID: Self = Self(54);
    /// Parameter request list (RFC 2132 §9.8): an OS fingerprint.
    pub const PARAMETER_REQUEST_LIST: Self = Self(55);
    /// Error message text.
    pub const MESSAGE: Self = Self(56);
    /// Maximum DHCP message size (RFC 2132 §9.10).
    pub const MAX_MESSAGE_SIZE: Self = Self(57);
    /// Renewal (T1) time.
    pub const RENEWAL_TIME: Self = Self(58);
    /// Rebinding (T2) time.
    pub const REBINDING_TIME: Self = Self(59);
    /// Vendor class identifier (RFC 2132 §9.13).
    pub const VENDOR_CLASS: Self = Self(60);
    /// Client identifier (RFC 2132 §9.14).
    pub const CLIENT_ID: Self = Self(61);
    /// User class (RFC 3004).
    pub const USER_CLASS: Self = Self(77);
    /// Client FQDN (RFC 4702).
    pub const CLIENT_FQDN: Self = Self(81);
    /// Relay agent information (RFC 3046).
    pub const RELAY_AGENT_INFO: Self = Self(82);
    /// Client system architecture (RFC 4578, PXE).
    pub const CLIENT_ARCH: Self = Self(93);
    /// Client machine identifier / UUID (RFC 4578, PXE).
    pub const CLIENT_MACHINE_ID: Self = Self(97);
    /// Domain search list (RFC 3397).
    pub const DOMAIN_SEARCH: Self = Self(119);
    /// Classless static routes (RFC 3442).
    pub const CLASSLESS_STATIC_ROUTE: Self = Self(121);
    /// Vendor-identifying vendor class (RFC 3925).
    pub const VENDOR_IDENTIFYING_VENDOR_CLASS: Self = Self(124);
    /// Vendor-identifying vendor-specific information (RFC 3925).
    pub const VENDOR_IDENTIFYING_VENDOR_SPECIFIC: Self = Self(125);
    /// Manufacturer Usage Description URL (RFC 8520).
    pub const MUD_URL: Self = Self(161);
    /// End of options.
    pub const END: Self = Self(255);
}

/// A read/write view of a DHCP/BOOTP message over any byte buffer. After
/// [`Packet::new_checked`] no getter panics.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps a buffer without checking it; getters may panic if it is shorter than
    /// [`BOOTP_LEN`]. Use for emitting into a buffer of known size.
    #[inline]
    pub const fn new_unchecked(buffer: T) -> Self {
        Self { buffer }
    }

    /// Wraps a buffer after [`Self::check_len`].
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, Malformed> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks the fixed part is present ([`Malformed::DhcpTruncated`]) and that a vendor
    /// area, if there is one, starts with the magic cookie or four zero bytes
    /// ([`Malformed::DhcpBadMagicCookie`]); see the module documentation.
    pub fn check_len(&self) -> Result<(), Malformed> {
        let b = self.buffer.as_ref();
        if b.len() < BOOTP_LEN {
            return Err(Malformed::DhcpTruncated);
        }
        match self.magic_cookie() {
            Some(MAGIC_COOKIE | 0) | None => Ok(()),
            Some(_) => Err(Malformed::DhcpBadMagicCookie),
        }
    }

    /// Returns the underlying buffer.
    #[inline]
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Message op code.
    #[inline]
    pub fn op(&self) -> Op {
        Op(self.buffer.as_ref()[field::OP])
    }

    /// Hardware address type (1 = Ethernet).
    #[inline]
    pub fn htype(&self) -> u8 {
        self.buffer.as_ref()[field::HTYPE]
    }

    /// Hardware address length.
    #[inline]
    pub fn hlen(&self) -> u8 {
        self.buffer.as_ref()[field::HLEN]
    }

    /// Relay agent hops.
    #[inline]
    pub fn hops(&self) -> u8 {
        self.buffer.as_ref()[field::HOPS]
    }

    /// Transaction ID.
    #[inline]
    pub fn xid(&self) -> u32 {
        let b = &self.buffer.as_ref()[field::XID];
        u32::from_be_bytes([b[0], b[1], b[2], b[3]])
    }

    /// Seconds elapsed since the client began.
    #[inline]
    pub fn secs(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::SECS.start)
    }

    /// The raw flags field.
    #[inline]
    pub fn flags(&self) -> u16 {
        read_u16(self.buffer.as_ref(), field::FLAGS.start)
    }

    /// The BROADCAST flag: the client wants replies broadcast.
    #[inline]
    pub fn broadcast(&self) -> bool {
        self.flags() & FLAG_BROADCAST != 0
    }

    /// Client IP address (ciaddr).
    #[inline]
    pub fn ciaddr(&self) -> Ipv4Addr {
        read_ipv4(self.buffer.as_ref(), field::CIADDR.start)
    }

    /// "Your" IP address (yiaddr): the address the server offers or assigns.
    #[inline]
    pub fn yiaddr(&self) -> Ipv4Addr {
        read_ipv4(self.buffer.as_ref(), field::YIADDR.start)
    }

    /// Next server IP address (siaddr).
    #[inline]
    pub fn siaddr(&self) -> Ipv4Addr {
        read_ipv4(self.buffer.as_ref(), field::SIADDR.start)
    }

    /// Relay agent IP address (giaddr).
    #[inline]
    pub fn giaddr(&self) -> Ipv4Addr {
        read_ipv4(self.buffer.as_ref(), field::GIADDR.start)
    }

    /// The 16-byte client hardware address field, padding included.
    #[inline]
    pub fn chaddr(&self) -> &[u8] {
        &self.buffer.as_ref()[field::CHADDR]
    }

    /// The client's MAC address, when the hardware type is Ethernet (htype 1, hlen 6).
    #[inline]
    pub fn client_hardware_addr(&self) -> Option<MacAddr> {
        if self.htype() == 1 && self.hlen() == 6 {
            MacAddr::from_bytes(self.chaddr())
        } else {
            None
        }
    }

    /// The 64-byte server host name field as carried (NUL-padded, or options when
    /// overloaded).
    #[inline]
    pub fn sname(&self) -> &[u8] {
        &self.buffer.as_ref()[field::SNAME]
    }

    /// The 128-byte boot file name field as carried (NUL-padded, or options when
    /// overloaded).
    #[inline]
    pub fn file(&self) -> &[u8] {
        &self.buffer.as_ref()[field::FILE]
    }

    /// The first four bytes of the vendor area, `None` when the message ends before them.
    #[inline]
    pub fn magic_cookie(&self) -> Option<u32> {
        let b = self.buffer.as_ref().get(field::MAGIC_COOKIE)?;
        Some(u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    }

    /// True when the magic cookie is present, so options follow (DHCP, or BOOTP with
    /// RFC 1497 extensions); false for plain BOOTP.
    #[inline]
    pub fn is_dhcp(&self) -> bool {
        self.magic_cookie() == Some(MAGIC_COOKIE)
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Packet<&'a T> {
    /// The options in order (options field, then `file` and `sname` when overloaded),
    /// borrowing from the buffer. Empty for plain BOOTP. Allocation-free; see [`Options`].
    pub fn options(&self) -> Options<'a> {
        let b: &'a [u8] = self.buffer.as_ref();
        let options: &'a [u8] = if self.is_dhcp() {
            b.get(field::OPTIONS..).unwrap_or_default()
        } else {
            &[]
        };
        Options {
            data: options,
            pos: 0,
            region: Region::Options,
            overload: 0,
            sname: b.get(field::SNAME).unwrap_or_default(),
            file: b.get(field::FILE).unwrap_or_default(),
        }
    }

    /// The client-describing options, gathered in one pass over [`Self::options`].
    ///
    /// When an option appears more than once, the first occurrence with a usable value is
    /// kept (RFC 3396 says to concatenate repeated options; real clients do not split these
    /// short options, and taking the first bounds what a hostile message can make us keep).
    /// Values of the wrong length (a requested IP that is not 4 bytes) or below the RFC 2132
    /// minimum length (an empty host name) are skipped.
    ///
    /// Errors: [`Malformed::DhcpBadOptions`] when an option runs past the end of its area.
    pub fn identity(&self) -> Result<Identity<'a>, Malformed> {
        let mut id = Identity::default();
        for option in self.options() {
            let (code, value) = option?;
            match code {
                OptionCode::MESSAGE_TYPE => {
                    if let (None, [t]) = (id.message_type, value) {
                        id.message_type = Some(DhcpMessageType(*t));
                    }
                }
                OptionCode::HOSTNAME => first_non_empty(&mut id.hostname, value, 1),
                OptionCode::REQUESTED_IP => first_ipv4(&mut id.requested_ip, value),
                OptionCode::SERVER_ID => first_ipv4(&mut id.server_id, value),
                OptionCode::SUBNET_MASK => first_ipv4(&mut id.subnet_mask, value),
                OptionCode::ROUTER if value.len() % 4 == 0 => {
                    first_ipv4(&mut id.router, value.get(..4).unwrap_or_default());
                }
                OptionCode::PARAMETER_REQUEST_LIST => {
                    first_non_empty(&mut id.param_request_list, value, 1);
                }
                OptionCode::MAX_MESSAGE_SIZE => {
                    if let (None, [hi, lo]) = (id.max_message_size, value) {
                        id.max_message_size = Some(u16::from_be_bytes([*hi, *lo]));
                    }
                }
                OptionCode::VENDOR_CLASS => first_non_empty(&mut id.vendor_class, value, 1),
                // RFC 2132 §9.14: type octet plus at least one octet of identifier.
                OptionCode::CLIENT_ID => first_non_empty(&mut id.client_id, value, 2),
                OptionCode::CLIENT_FQDN => {
                    if let (None, [flags, rcode1, rcode2, name @ ..]) = (id.client_fqdn, value) {
                        id.client_fqdn = Some(ClientFqdn {
                            flags: *flags,
                            rcode1: *rcode1,
                            rcode2: *rcode2,
                            domain_name: name,
                        });
                    }
                }
                _ => {}
            }
        }
        Ok(id)
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Sets the op code.
    #[inline]
    pub fn set_op(&mut self, value: Op) {
        self.buffer.as_mut()[field::OP] = value.0;
    }

    /// Sets the hardware type.
    #[inline]
    pub fn set_htype(&mut self, value: u8) {
        self.buffer.as_mut()[field::HTYPE] = value;
    }

    /// Sets the hardware address length.
    #[inline]
    pub fn set_hlen(&mut self, value: u8) {
        self.buffer.as_mut()[field::HLEN] = value;
    }

    /// Sets the hop count.
    #[inline]
    pub fn set_hops(&mut self, value: u8) {
        self.buffer.as_mut()[field::HOPS] = value;
    }

    /// Sets the transaction ID.
    #[inline]
    pub fn set_xid(&mut self, value: u32) {
        self.buffer.as_mut()[field::XID].copy_from_slice(&value.to_be_bytes());
    }

    /// Sets the seconds field.
    #[inline]
    pub fn set_secs(&mut self, value: u16) {
        self.buffer.as_mut()[field::SECS].copy_from_slice(&value.to_be_bytes());
    }

    /// Sets the raw flags field.
    #[inline]
    pub fn set_flags(&mut self, value: u16) {
        self.buffer.as_mut()[field::FLAGS].copy_from_slice(&value.to_be_bytes());
    }

    /// Sets ciaddr.
    #[inline]
    pub fn set_ciaddr(&mut self, value: Ipv4Addr) {
        self.buffer.as_mut()[field::CIADDR].copy_from_slice(&value.octets());
    }

    /// Sets yiaddr.
    #[inline]
    pub fn set_yiaddr(&mut self, value: Ipv4Addr) {
        self.buffer.as_mut()[field::YIADDR].copy_from_slice(&value.octets());
    }

    /// Sets siaddr.
    #[inline]
    pub fn set_siaddr(&mut self, value: Ipv4Addr) {
        self.buffer.as_mut()[field::SIADDR].copy_from_slice(&value.octets());
    }

    /// Sets giaddr.
    #[inline]
    pub fn set_giaddr(&mut self, value: Ipv4Addr) {
        self.buffer.as_mut()[field::GIADDR].copy_from_slice(&value.octets());
    }

    /// The 16-byte chaddr field, writable.
    #[inline]
    pub fn chaddr_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::CHADDR]
    }

    /// Sets an Ethernet client address: htype 1, hlen 6, the MAC then zero padding.
    pub fn set_client_hardware_addr(&mut self, value: MacAddr) {
        self.set_htype(1);
        self.set_hlen(6);
        let chaddr = self.chaddr_mut();
        chaddr.fill(0);
        chaddr[..6].copy_from_slice(&value.0);
    }

    /// The 64-byte sname field, writable.
    #[inline]
    pub fn sname_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::SNAME]
    }

    /// The 128-byte file field, writable.
    #[inline]
    pub fn file_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::FILE]
    }

    /// Sets the vendor-area magic cookie (the buffer must hold [`HEADER_LEN`] bytes).
    #[inline]
    pub fn set_magic_cookie(&mut self, value: u32) {
        self.buffer.as_mut()[field::MAGIC_COOKIE].copy_from_slice(&value.to_be_bytes());
    }

    /// Everything after the magic cookie, writable.
    #[inline]
    pub fn options_mut(&mut self) -> &mut [u8] {
        &mut self.buffer.as_mut()[field::OPTIONS..]
    }
}

// ---------------------------------------------------------------------------------------------
// Options

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Region {
    Options,
    File,
    Sname,
    Done,
}

/// Allocation-free iterator over DHCP options, yielding `(code, value)`.
///
/// PAD is skipped; END ends the current area. A missing END is tolerated: the area simply
/// ends with the buffer (Wireshark flags it, but clients and servers accept it). An option
/// whose length octet is missing or whose value runs past the end of its area yields
/// [`Malformed::DhcpBadOptions`] once, then the iterator stops.
///
/// Option overload (52, RFC 2132 §9.3): the first well-formed option 52 in the options field
/// makes the iterator continue into `file` (value bit 1) and then `sname` (bit 2) after the
/// options field, as RFC 2131 §4.1 orders; option 52 is yielded too. Option 52 inside `file`
/// or `sname` is ignored.
#[derive(Debug, Clone)]
pub struct Options<'a> {
    data: &'a [u8],
    pos: usize,
    region: Region,
    overload: u8,
    sname: &'a [u8],
    file: &'a [u8],
}

impl Options<'_> {
    fn next_region(&mut self) {
        let (region, data) = match self.region {
            Region::Options if self.overload & 1 != 0 => (Region::File, self.file),
            Region::Options | Region::File if self.overload & 2 != 0 => (Region::Sname, self.sname),
            _ => (Region::Done, &[][..]),
        };
        self.region = region;
        self.data = data;
        self.pos = 0;
    }
}

impl<'a> Iterator for Options<'a> {
    type Item = Result<(OptionCode, &'a [u8]), Malformed>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.region == Region::Done {
                return None;
            }
            let Some(&code) = self.data.get(self.pos) else {
                self.next_region();
                continue;
            };
            match OptionCode(code) {
                OptionCode::PAD => self.pos += 1,
                OptionCode::END => self.next_region(),
                code => {
                    let value = self.data.get(self.pos + 1).and_then(|&len| {
                        self.data.get(self.pos + 2..self.pos + 2 + usize::from(len))
                    });
                    let Some(value) = value else {
                        self.region = Region::Done;
                        return Some(Err(Malformed::DhcpBadOptions));
                    };
                    self.pos += 2 + value.len();
                    if let (Region::Options, OptionCode::OVERLOAD, 0, [overload]) =
                        (self.region, code, self.overload, value)
                    {
                        self.overload = *overload;
                    }
                    return Some(Ok((code, value)));
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Identity

/// The options that describe a DHCP client, borrowed from the message; see
/// [`Packet::identity`]. `None` means absent (or unusable, see there). Strings are raw bytes;
/// the `*_text` methods give the lossy, truncated `String` (allocating only then).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Identity<'a> {
    /// Option 53 message type; `None` for plain BOOTP.
    pub message_type: Option<DhcpMessageType>,
    /// Option 12 host name (1-255 bytes).
    pub hostname: Option<&'a [u8]>,
    /// Option 50 requested IP address (exactly 4 bytes).
    pub requested_ip: Option<Ipv4Addr>,
    /// Option 54 server identifier (exactly 4 bytes).
    pub server_id: Option<Ipv4Addr>,
    /// Option 55 parameter request list, option codes in the client's order.
    pub param_request_list: Option<&'a [u8]>,
    /// Option 57 maximum DHCP message size (exactly 2 bytes).
    pub max_message_size: Option<u16>,
    /// Option 60 vendor class identifier.
    pub vendor_class: Option<&'a [u8]>,
    /// Option 61 client identifier: type octet then identifier (2 bytes or more).
    pub client_id: Option<&'a [u8]>,
    /// Option 81 client FQDN (3 bytes or more).
    pub client_fqdn: Option<ClientFqdn<'a>>,
    /// Option 1 subnet mask (exactly 4 bytes), from a server.
    pub subnet_mask: Option<Ipv4Addr>,
    /// Option 3, the first router listed (RFC 2132 §3.5: in order of preference; the value
    /// a multiple of 4 bytes).
    pub router: Option<Ipv4Addr>,
}

impl Identity<'_> {
    /// The host name as lossy UTF-8 (see [`wire_text`]).
    pub fn hostname_text(&self) -> Option<String> {
        self.hostname.map(wire_text)
    }

    /// The vendor class identifier as lossy UTF-8 (see [`wire_text`]).
    pub fn vendor_class_text(&self) -> Option<String> {
        self.vendor_class.map(wire_text)
    }

    /// The client identifier as lowercase hex, type octet first, cut to [`MAX_TEXT_LEN`]
    /// bytes with a trailing `…` when longer.
    pub fn client_id_hex(&self) -> Option<String> {
        self.client_id.map(|id| {
            let budget = if id.len() * 2 <= MAX_TEXT_LEN {
                id.len()
            } else {
                (MAX_TEXT_LEN - TRUNCATION_MARK.len()) / 2
            };
            let mut out = String::with_capacity(MAX_TEXT_LEN);
            crate::text::push_hex(&mut out, id.get(..budget).unwrap_or(id), None);
            if budget < id.len() {
                out.push_str(TRUNCATION_MARK);
            }
            out
        })
    }
}

/// Option 81, client FQDN (RFC 4702 §2): flags, two deprecated RCODE octets, domain name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ClientFqdn<'a> {
    /// Flags: see the `FLAG_*` constants.
    pub flags: u8,
    /// RCODE1 (deprecated, RFC 4702 §2.2).
    pub rcode1: u8,
    /// RCODE2 (deprecated).
    pub rcode2: u8,
    /// The domain name as carried: ASCII, or DNS wire format when [`Self::FLAG_E`] is set.
    pub domain_name: &'a [u8],
}

impl ClientFqdn<'_> {
    /// S: the server should perform the A RR (forward) update.
    pub const FLAG_S: u8 = 0x01;
    /// O: the server overrode the client's S preference (server to client only).
    pub const FLAG_O: u8 = 0x02;
    /// E: the name is in canonical DNS wire format, not deprecated ASCII.
    pub const FLAG_E: u8 = 0x04;
    /// N: the server should perform no DNS updates.
    pub const FLAG_N: u8 = 0x08;

    /// True when the name uses the canonical wire format (E flag).
    #[inline]
    pub fn is_canonical_encoding(&self) -> bool {
        self.flags & Self::FLAG_E != 0
    }

    /// The domain name as lowercase text, rendered like [`crate::dns::Name::write_lowercase`]
    /// (labels joined by `.`, no trailing dot, escapes, at most 256 bytes). Allocates.
    ///
    /// With the E flag the name is DNS wire format without compression (RFC 4702 §2.3.1); a
    /// partial name (no root label) is accepted. Without it the ASCII text is split at dots
    /// (empty labels and trailing NULs dropped).
    ///
    /// Errors: [`Malformed::DhcpBadOptions`] for a wire-format name with a compression pointer
    /// or other label type, a label running past the option, bytes after the root label, or
    /// more than 255 octets.
    pub fn name_lowercase(&self) -> Result<String, Malformed> {
        let mut out = String::new();
        if self.is_canonical_encoding() {
            let labels = WireLabels {
                rest: self.domain_name,
            };
            if !labels.is_well_formed() {
                return Err(Malformed::DhcpBadOptions);
            }
            write_labels_text(labels, &mut out);
        } else {
            let text = trim_nuls(self.domain_name);
            let labels = text.split(|&b| b == b'.').filter(|l| !l.is_empty());
            write_labels_text(labels, &mut out);
        }
        Ok(out)
    }
}

/// Labels of an uncompressed DNS wire-format name (option 81 with the E flag).
#[derive(Debug, Clone)]
struct WireLabels<'a> {
    rest: &'a [u8],
}

impl WireLabels<'_> {
    fn is_well_formed(&self) -> bool {
        let mut rest = self.rest;
        let mut wire_len = 0;
        while let Some((&len, tail)) = rest.split_first() {
            wire_len += 1 + usize::from(len);
            if len & 0xc0 != 0 || wire_len > MAX_FQDN_WIRE_LEN {
                return false;
            }
            if len == 0 {
                return tail.is_empty();
            }
            match tail.get(usize::from(len)..) {
                Some(next) => rest = next,
                None => return false,
            }
        }
        true
    }
}

impl<'a> Iterator for WireLabels<'a> {
    type Item = &'a [u8];

    fn next(&mut self) -> Option<&'a [u8]> {
        let (&len, tail) = self.rest.split_first()?;
        match tail.split_at_checked(usize::from(len)) {
            Some((label, rest)) if len != 0 => {
                self.rest = rest;
                Some(label)
            }
            _ => {
                self.rest = &[];
                None
            }
        }
    }
}

fn first_non_empty<'a>(slot: &mut Option<&'a [u8]>, value: &'a [u8], min_len: usize) {
    if slot.is_none() && value.len() >= min_len {
        *slot = Some(value);
    }
}

fn first_ipv4(slot: &mut Option<Ipv4Addr>, value: &[u8]) {
    if slot.is_none() {
        *slot = <[u8; 4]>::try_from(value).ok().map(Ipv4Addr::from);
    }
}

// ---------------------------------------------------------------------------------------------
// Repr

/// The owned meaning of a DHCP/BOOTP message.
///
/// Kept: every fixed field, the Ethernet client address, `sname`/`file` text, the message type
/// and every other option in order (PAD and END are structure, not kept). Not kept: the
/// chaddr of non-Ethernet hardware (`chaddr` is `None`; emit then writes htype 0, hlen 0) and
/// bytes after END. At most [`MAX_OPTIONS`] options are kept; the rest are counted in
/// `dropped_options`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Repr {
    /// Op code.
    pub op: Op,
    /// Relay hops.
    pub hops: u8,
    /// Transaction ID.
    pub xid: u32,
    /// Seconds elapsed.
    pub secs: u16,
    /// Raw flags field.
    pub flags: u16,
    /// Client IP address.
    pub ciaddr: Ipv4Addr,
    /// "Your" IP address.
    pub yiaddr: Ipv4Addr,
    /// Next server IP address.
    pub siaddr: Ipv4Addr,
    /// Relay agent IP address.
    pub giaddr: Ipv4Addr,
    /// Client MAC address, when htype is Ethernet (1) and hlen 6.
    pub chaddr: Option<MacAddr>,
    /// `sname` up to its first NUL; empty when it holds overloaded options.
    pub server_name: Vec<u8>,
    /// `file` up to its first NUL; empty when it holds overloaded options.
    pub boot_file: Vec<u8>,
    /// Option 53 (its first one-byte occurrence); `None` for plain BOOTP.
    pub message_type: Option<DhcpMessageType>,
    /// The other options in order, as `(code, value)`.
    pub options: Vec<(OptionCode, Vec<u8>)>,
    /// Options beyond [`MAX_OPTIONS`], not kept (not emitted).
    pub dropped_options: usize,
}

impl Repr {
    /// Reads a checked message. Errors: [`Malformed::DhcpBadOptions`] from the options.
    pub fn parse<T: AsRef<[u8]>>(packet: &Packet<T>) -> Result<Self, Malformed> {
        packet.check_len()?;
        let view = Packet::new_unchecked(packet.buffer.as_ref());
        let mut message_type = None;
        let mut options = Vec::new();
        let mut dropped_options = 0;
        let mut overload = 0;
        for option in view.options() {
            let (code, value) = option?;
            if let (OptionCode::MESSAGE_TYPE, None, [t]) = (code, message_type, value) {
                message_type = Some(DhcpMessageType(*t));
                continue;
            }
            if let (OptionCode::OVERLOAD, 0, [o]) = (code, overload, value) {
                overload = *o;
            }
            if options.len() == MAX_OPTIONS {
                dropped_options += 1;
            } else {
                options.push((code, value.to_vec()));
            }
        }
        let until_nul = |field: &[u8]| {
            let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
            field[..end].to_vec()
        };
        Ok(Self {
            op: view.op(),
            hops: view.hops(),
            xid: view.xid(),
            secs: view.secs(),
            flags: view.flags(),
            ciaddr: view.ciaddr(),
            yiaddr: view.yiaddr(),
            siaddr: view.siaddr(),
            giaddr: view.giaddr(),
            chaddr: view.client_hardware_addr(),
            server_name: if overload & 2 != 0 {
                Vec::new()
            } else {
                until_nul(view.sname())
            },
            boot_file: if overload & 1 != 0 {
                Vec::new()
            } else {
                until_nul(view.file())
            },
            message_type,
            options,
            dropped_options,
        })
    }

    /// Bytes [`Repr::emit`] writes: the fixed part, cookie, options and END.
    pub fn buffer_len(&self) -> usize {
        let message_type = if self.message_type.is_some() { 3 } else { 0 };
        let options: usize = self
            .options
            .iter()
            .map(|(_, value)| encoded_option_len(value.len()))
            .sum();
        HEADER_LEN + message_type + options + 1
    }

    /// Writes the message: the fixed part, the magic cookie, option 53 first, the other
    /// options in order, then END. A value longer than 255 bytes is split into consecutive
    /// options of the same code (RFC 3396 §5). `server_name` and `boot_file` are cut to their
    /// fields (64 and 128 bytes).
    ///
    /// # Panics
    /// If the buffer is shorter than [`Repr::buffer_len`].
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Packet<T>) {
        packet.set_op(self.op);
        packet.set_hops(self.hops);
        packet.set_xid(self.xid);
        packet.set_secs(self.secs);
        packet.set_flags(self.flags);
        packet.set_ciaddr(self.ciaddr);
        packet.set_yiaddr(self.yiaddr);
        packet.set_siaddr(self.siaddr);
        packet.set_giaddr(self.giaddr);
        match self.chaddr {
            Some(mac) => packet.set_client_hardware_addr(mac),
            None => {
                packet.set_htype(0);
                packet.set_hlen(0);
                packet.chaddr_mut().fill(0);
            }
        }
        copy_padded(packet.sname_mut(), &self.server_name);
        copy_padded(packet.file_mut(), &self.boot_file);
        packet.set_magic_cookie(MAGIC_COOKIE);
        let out = packet.options_mut();
        let mut pos = 0;
        let mut put = |code: OptionCode, value: &[u8]| {
            out[pos] = code.0;
            out[pos + 1] = value.len() as u8;
            out[pos + 2..pos + 2 + value.len()].copy_from_slice(value);
            pos += 2 + value.len();
        };
        if let Some(message_type) = self.message_type {
            put(OptionCode::MESSAGE_TYPE, &[message_type.0]);
        }
        for (code, value) in &self.options {
            if value.is_empty() {
                put(*code, &[]);
            }
            for chunk in value.chunks(MAX_OPTION_LEN) {
                put(*code, chunk);
            }
        }
        out[pos] = OptionCode::END.0;
    }
}

/// Encoded size of one option value, split per RFC 3396 when over 255 bytes.
fn encoded_option_len(len: usize) -> usize {
    let pieces = len.div_ceil(MAX_OPTION_LEN).max(1);
    2 * pieces + len
}

fn copy_padded(field: &mut [u8], value: &[u8]) {
    field.fill(0);
    let n = value.len().min(field.len());
    field[..n].copy_from_slice(&value[..n]);
}

#[inline]
fn read_ipv4(b: &[u8], at: usize) -> Ipv4Addr {
    Ipv4Addr::new(b[at], b[at + 1], b[at + 2], b[at + 3])
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

    /// A message: `fixed` (op through giaddr, 28 bytes) + `chaddr` (16 bytes), zeroed sname
    /// and file, then `vendor` (cookie and options).
    fn message(fixed: &str, chaddr: &str, vendor: &str) -> Vec<u8> {
        let mut m = hex(fixed);
        assert_eq!(m.len(), 28);
        let mut ch = hex(chaddr);
        ch.resize(16, 0);
        m.extend(ch);
        m.extend([0u8; 64 + 128]); // sname, file
        m.extend(hex(vendor));
        m
    }

    /// suricata-verify tests/dhcp-eve-extended-option-60/input.pcap, frame 1: a DHCPREQUEST
    /// from an Apple laptop (UDP payload, 314 bytes).
    fn apple_request() -> Vec<u8> {
        message(
            concat!(
                "01 01 06 00",                         // op BOOTREQUEST, htype Ethernet, hlen 6, hops 0
                "e01cc718",                            // xid
                "0000 0000",                           // secs 0, flags 0 (unicast)
                "00000000 00000000 00000000 00000000", // ciaddr yiaddr siaddr giaddr
            ),
            "28cfdadc8d76", // chaddr 28:cf:da:dc:8d:76, padding
            concat!(
                "63825363",                                // magic cookie
                "35 01 03",                                // 53 message type: DHCPREQUEST
                "3d 07 01 28cfdadc8d76",                   // 61 client id: type 1 (Ethernet) + MAC
                "32 04 c0a8016f",                          // 50 requested IP 192.168.1.111
                "0c 0c 4e69636b734d6163426f6f6b",          // 12 host name "NicksMacBook"
                "51 0f 00 00 00 4e69636b734d6163426f6f6b", // 81 FQDN, flags 0 (ASCII), name
                "3c 08 4d53465420352e30",                  // 60 vendor class "MSFT 5.0"
                "37 0c 010f03062c2e2f1f2179f92b",          // 55 parameter request list (12 codes)
                "ff",                                      // END
            ),
        )
    }

    /// tcpdump tests/dhcp-mud.pcap frame 1: a DHCPREQUEST from a Raspberry Pi (dhcpcd) with
    /// a MUD URL (RFC 8520) and a maximum message size (UDP payload, 394 bytes).
    fn raspberry_request() -> Vec<u8> {
        message(
            concat!(
                "01 01 06 01", // BOOTREQUEST, Ethernet, hlen 6, hops 1 (relayed)
                "068c4847",    // xid
                "0000 0000",   // secs, flags
                "3e0cad7b 00000000 00000000 3e0cad79", // ciaddr 62.12.173.123, giaddr .121
            ),
            "b827ebb853c8",
            concat!(
                "63825363",
                "35 01 03",              // 53: DHCPREQUEST
                "3d 07 01 b827ebb853c8", // 61 client id
                "39 02 05c0",            // 57 max message size 1472
                // 161 MUD URL "https://mudctl.example.com/.well-known/mud/v1/rasbp101"
                "a1 36 68747470733a2f2f6d756463746c2e6578616d706c652e636f6d2f2e77656c6c2d6b6e",
                "6f776e2f6d75642f76312f7261736270313031",
                // 60 vendor class "dhcpcd-6.11.5:Linux-4.1.18-v7+:armv7l:BCM2709"
                "3c 2d 6468637063642d362e31312e353a4c696e75782d342e312e31382d76372b3a61726d76",
                "376c3a42434d32373039",
                "0c 0b 7261737062657272797069", // 12 host name "raspberrypi"
                "91 01 01",                     // 145 forcerenew nonce capable: HMAC-MD5
                "37 10 01792103060c0f1c2a33363a3b646577", // 55 PRL (16 codes)
                "ff",
            ),
        )
    }

    /// arkime tests/pcap/wireshark-dhcp.pcap frame 2: a DHCPOFFER, options then END then
    /// zero padding (UDP payload, 300 bytes).
    fn offer() -> Vec<u8> {
        message(
            concat!(
                "02 01 06 00", // BOOTREPLY
                "00003d1d",    // xid
                "0000 0000",
                "00000000 c0a8000a c0a80001 00000000", // yiaddr 192.168.0.10, siaddr .1
            ),
            "000b8201fc42",
            concat!(
                "63825363",
                "35 01 02",       // 53: DHCPOFFER
                "01 04 ffffff00", // 1 subnet mask
                "3a 04 00000708", // 58 renewal time 1800 s
                "3b 04 00000c4e", // 59 rebinding time 3150 s
                "33 04 00000e10", // 51 lease time 3600 s
                "36 04 c0a80001", // 54 server id 192.168.0.1
                "ff",
                "0000000000000000000000000000000000000000000000000000", // padding to 300
            ),
        )
    }

    #[test]
    fn fixtures_match_their_captured_lengths() {
        assert_eq!(apple_request().len(), 314);
        assert_eq!(raspberry_request().len(), 394);
        assert_eq!(offer().len(), 300);
    }

    #[test]
    fn test_deconstruct_request() {
        let msg = apple_request();
        let p = Packet::new_checked(&msg[..]).expect("valid");
        assert_eq!(p.op(), Op::REQUEST);
        assert_eq!((p.htype(), p.hlen(), p.hops()), (1, 6, 0));
        assert_eq!(p.xid(), 0xe01c_c718);
        assert_eq!((p.secs(), p.flags(), p.broadcast()), (0, 0, false));
        assert_eq!(p.ciaddr(), Ipv4Addr::UNSPECIFIED);
        assert_eq!(
            p.client_hardware_addr(),
            Some(MacAddr([0x28, 0xcf, 0xda, 0xdc, 0x8d, 0x76]))
        );
        assert_eq!(p.chaddr().len(), 16);
        assert!(p.sname().iter().all(|&b| b == 0) && p.file().len() == 128);
        assert_eq!(p.magic_cookie(), Some(MAGIC_COOKIE));
        assert!(p.is_dhcp());
        let codes: Vec<u8> = p.options().map(|o| o.expect("ok").0.0).collect();
        assert_eq!(codes, [53, 61, 50, 12, 81, 60, 55]);
    }

    #[test]
    fn identity_of_apple_request() {
        let msg = apple_request();
        let id = Packet::new_checked(&msg[..])
            .expect("valid")
            .identity()
            .expect("identity");
        assert_eq!(id.message_type, Some(DhcpMessageType::REQUEST));
        assert_eq!(id.hostname, Some(&b"NicksMacBook"[..]));
        assert_eq!(id.hostname_text().as_deref(), Some("NicksMacBook"));
        assert_eq!(id.requested_ip, Some(Ipv4Addr::new(192, 168, 1, 111)));
        assert_eq!(id.server_id, None);
        assert_eq!(
            id.param_request_list,
            Some(&[1, 15, 3, 6, 44, 46, 47, 31, 33, 121, 249, 43][..])
        );
        assert_eq!(id.max_message_size, None);
        assert_eq!(id.vendor_class_text().as_deref(), Some("MSFT 5.0"));
        assert_eq!(id.client_id_hex().as_deref(), Some("0128cfdadc8d76"));
        let fqdn = id.client_fqdn.expect("option 81");
        assert_eq!((fqdn.flags, fqdn.rcode1, fqdn.rcode2), (0, 0, 0));
        assert!(!fqdn.is_canonical_encoding());
        assert_eq!(fqdn.name_lowercase().as_deref(), Ok("nicksmacbook"));
    }

    #[test]
    fn identity_of_relayed_raspberry_request() {
        let msg = raspberry_request();
        let p = Packet::new_checked(&msg[..]).expect("valid");
        assert_eq!(p.hops(), 1);
        assert_eq!(p.ciaddr(), Ipv4Addr::new(62, 12, 173, 123));
        assert_eq!(p.giaddr(), Ipv4Addr::new(62, 12, 173, 121));
        let id = p.identity().expect("identity");
        assert_eq!(id.message_type, Some(DhcpMessageType::REQUEST));
        assert_eq!(id.hostname_text().as_deref(), Some("raspberrypi"));
        assert_eq!(id.max_message_size, Some(1472));
        assert_eq!(
            id.vendor_class_text().as_deref(),
            Some("dhcpcd-6.11.5:Linux-4.1.18-v7+:armv7l:BCM2709")
        );
        assert_eq!(id.param_request_list.map(<[u8]>::len), Some(16));
        assert_eq!(id.client_fqdn, None);
        let mud = p
            .options()
            .find_map(|o| match o {
                Ok((OptionCode::MUD_URL, v)) => Some(v),
                _ => None,
            })
            .expect("MUD URL");
        assert_eq!(
            mud,
            b"https://mudctl.example.com/.well-known/mud/v1/rasbp101"
        );
    }

    #[test]
    fn offer_with_padding_after_end() {
        let msg = offer();
        let p = Packet::new_checked(&msg[..]).expect("valid");
        assert_eq!(p.op(), Op::REPLY);
        assert_eq!(p.yiaddr(), Ipv4Addr::new(192, 168, 0, 10));
        assert_eq!(p.siaddr(), Ipv4Addr::new(192, 168, 0, 1));
        let id = p.identity().expect("identity");
        assert_eq!(id.message_type, Some(DhcpMessageType::OFFER));
        assert_eq!(id.server_id, Some(Ipv4Addr::new(192, 168, 0, 1)));
        assert_eq!(p.options().count(), 6);
        let repr = Repr::parse(&p).expect("repr");
        assert_eq!(repr.options.len(), 5);
        assert_eq!(
            repr.options[0],
            (OptionCode::SUBNET_MASK, vec![255, 255, 255, 0])
        );
    }

    #[test]
    fn short_message_is_truncated() {
        let msg = apple_request();
        assert_eq!(
            Packet::new_checked(&msg[..BOOTP_LEN - 1]).err(),
            Some(Malformed::DhcpTruncated)
        );
        assert_eq!(
            Repr::parse(&Packet::new_unchecked(&msg[..10])),
            Err(Malformed::DhcpTruncated)
        );
    }

    #[test]
    fn plain_bootp_has_no_options() {
        let msg = apple_request();
        // Fixed part only, or a few vendor bytes short of a cookie.
        for len in [BOOTP_LEN, BOOTP_LEN + 3] {
            let p = Packet::new_checked(&msg[..len]).expect("plain BOOTP");
            assert_eq!(p.magic_cookie(), None);
            assert!(!p.is_dhcp());
            assert_eq!(p.options().count(), 0);
            assert_eq!(p.identity().expect("empty"), Identity::default());
        }
        // RFC 951 300-byte message with an unused (zero) vendor area.
        let mut bootp = msg[..BOOTP_LEN].to_vec();
        bootp.resize(300, 0);
        let p = Packet::new_checked(&bootp[..]).expect("plain BOOTP");
        assert_eq!(p.magic_cookie(), Some(0));
        assert_eq!(p.options().count(), 0);
        let repr = Repr::parse(&p).expect("repr");
        assert_eq!(repr.message_type, None);
        assert!(repr.options.is_empty());
    }

    #[test]
    fn wrong_cookie_is_bad_magic_cookie() {
        let mut msg = apple_request();
        msg[BOOTP_LEN..HEADER_LEN].copy_from_slice(b"CMU\0"); // a CMU BOOTP vendor cookie
        assert_eq!(
            Packet::new_checked(&msg[..]).err(),
            Some(Malformed::DhcpBadMagicCookie)
        );
        assert_eq!(
            Repr::parse(&Packet::new_unchecked(&msg[..])),
            Err(Malformed::DhcpBadMagicCookie)
        );
    }

    fn with_options(options: &str) -> Vec<u8> {
        let mut m = message(
            "01 01 06 00 00000001 0000 0000 00000000 00000000 00000000 00000000",
            "020000000001",
            "63825363",
        );
        m.extend(hex(options));
        m
    }

    #[test]
    fn option_length_past_end_is_bad_options() {
        // Host name claims 16 bytes, 3 present.
        let msg = with_options("35 01 01 0c 10 616263");
        let p = Packet::new_checked(&msg[..]).expect("header fine");
        let items: Vec<_> = p.options().collect();
        assert_eq!(
            items,
            [
                Ok((OptionCode::MESSAGE_TYPE, &[1u8][..])),
                Err(Malformed::DhcpBadOptions)
            ]
        );
        assert_eq!(p.identity(), Err(Malformed::DhcpBadOptions));
        assert_eq!(Repr::parse(&p), Err(Malformed::DhcpBadOptions));
        // A code as the last byte, without its length octet.
        let msg = with_options("35 01 01 0c");
        let p = Packet::new_checked(&msg[..]).expect("header fine");
        assert_eq!(p.options().last(), Some(Err(Malformed::DhcpBadOptions)));
        // A host name of 255 bytes cut by the capture.
        let mut msg = with_options("0c ff");
        msg.extend([b'h'; 200]);
        let p = Packet::new_checked(&msg[..]).expect("header fine");
        assert_eq!(p.identity(), Err(Malformed::DhcpBadOptions));
    }

    #[test]
    fn missing_end_is_tolerated() {
        let msg = with_options("35 01 01 0c 03 616263");
        let p = Packet::new_checked(&msg[..]).expect("valid");
        let id = p.identity().expect("no END is fine");
        assert_eq!(id.message_type, Some(DhcpMessageType::DISCOVER));
        assert_eq!(id.hostname, Some(&b"abc"[..]));
        // Options after END are not read.
        let msg = with_options("35 01 01 ff 0c 03 616263");
        let id = Packet::new_checked(&msg[..]).expect("valid").identity();
        assert_eq!(id.expect("ok").hostname, None);
    }

    #[test]
    fn zero_length_and_wrong_length_options_are_skipped_by_identity() {
        let msg = with_options(concat!(
            "00 00",          // PAD PAD
            "0c 00",          // empty host name
            "32 03 0a0000",   // requested IP of 3 bytes
            "35 02 0101",     // message type of 2 bytes
            "39 01 05",       // max message size of 1 byte
            "3d 01 01",       // client id of 1 byte
            "51 02 0000",     // FQDN without rcode2
            "0c 04 686f7374", // host name "host"
            "32 04 0a000001", // requested IP 10.0.0.1
            "35 01 08",       // DHCPINFORM
            "ff",
        ));
        let p = Packet::new_checked(&msg[..]).expect("valid");
        let items: Vec<_> = p.options().collect::<Result<_, _>>().expect("well formed");
        assert_eq!(items[0], (OptionCode::HOSTNAME, &[][..]));
        let id = p.identity().expect("identity");
        assert_eq!(id.hostname, Some(&b"host"[..]));
        assert_eq!(id.requested_ip, Some(Ipv4Addr::new(10, 0, 0, 1)));
        assert_eq!(id.message_type, Some(DhcpMessageType::INFORM));
        assert_eq!(id.max_message_size, None);
        assert_eq!(id.client_id, None);
        assert_eq!(id.client_fqdn, None);
    }

    #[test]
    fn first_occurrence_wins() {
        let msg = with_options("0c 03 6f6e65 0c 03 74776f ff");
        let id = Packet::new_checked(&msg[..]).expect("valid").identity();
        assert_eq!(id.expect("ok").hostname, Some(&b"one"[..]));
    }

    #[test]
    fn huge_hostname_is_cut_to_the_text_limit() {
        // The longest host name one option carries: 255 bytes of 0xe9 ('é' in Latin-1, invalid
        // UTF-8), each rendered as U+FFFD (3 bytes): 765 bytes of text before the cut.
        let mut options = vec![12u8, 255];
        options.extend([0xe9; 255]);
        let mut msg = with_options("");
        msg.extend(options);
        msg.push(255);
        let id = Packet::new_checked(&msg[..])
            .expect("valid")
            .identity()
            .expect("ok");
        assert_eq!(id.hostname.map(<[u8]>::len), Some(255));
        let text = id.hostname_text().expect("text");
        assert!(text.len() <= MAX_TEXT_LEN);
        assert!(text.ends_with(TRUNCATION_MARK));
        assert!(text.starts_with("\u{fffd}\u{fffd}"));
        // 255 ASCII bytes fit untouched.
        assert_eq!(wire_text(&[b'a'; 255]), "a".repeat(255));
        // Trailing NULs dropped, control characters replaced.
        assert_eq!(wire_text(b"pc\n01\0\0"), "pc\u{fffd}01");
        // A 255-byte client id renders as cut hex.
        let hex_id = Identity {
            client_id: Some(&[0xab; 255]),
            ..Identity::default()
        }
        .client_id_hex()
        .expect("hex");
        assert!(hex_id.len() <= MAX_TEXT_LEN && hex_id.ends_with(TRUNCATION_MARK));
    }

    #[test]
    fn fqdn_canonical_wire_encoding() {
        // RFC 4702 §2.3.1: flags S|E, rcodes 255 (RFC 4702 §2.2 asks clients to send 255),
        // then "Laptop7.Ward3.Example" in DNS wire format.
        let msg = with_options(concat!(
            "51 1a 05 ff ff",
            "07 4c6170746f7037 05 5761726433 07 4578616d706c65 00",
            "ff",
        ));
        let id = Packet::new_checked(&msg[..])
            .expect("valid")
            .identity()
            .expect("ok");
        let fqdn = id.client_fqdn.expect("81");
        assert!(fqdn.is_canonical_encoding());
        assert_eq!(fqdn.flags & ClientFqdn::FLAG_S, ClientFqdn::FLAG_S);
        assert_eq!(
            fqdn.name_lowercase().as_deref(),
            Ok("laptop7.ward3.example")
        );
        // A partial name (no root label) is allowed.
        let partial = ClientFqdn {
            flags: ClientFqdn::FLAG_E,
            rcode1: 0,
            rcode2: 0,
            domain_name: &hex("07 4c6170746f7037"),
        };
        assert_eq!(partial.name_lowercase().as_deref(), Ok("laptop7"));
        // Hostile encodings.
        for bad in [
            "c0 00",             // compression pointer
            "07 4c6170",         // label past the option
            "01 61 00 01 62 00", // bytes after the root label
            "40 61",             // label type 0x40
        ] {
            let fqdn = ClientFqdn {
                domain_name: &hex(bad),
                ..partial
            };
            assert_eq!(
                fqdn.name_lowercase(),
                Err(Malformed::DhcpBadOptions),
                "{bad}"
            );
        }
        let mut long = Vec::new();
        for _ in 0..4 {
            long.push(63);
            long.extend([b'x'; 63]);
        }
        let fqdn = ClientFqdn {
            domain_name: &long,
            ..partial
        };
        assert_eq!(fqdn.name_lowercase(), Err(Malformed::DhcpBadOptions));
        // ASCII encoding with a trailing dot and NUL.
        let ascii = ClientFqdn {
            flags: 0,
            rcode1: 0,
            rcode2: 0,
            domain_name: b"PC-12.Ward.\0",
        };
        assert_eq!(ascii.name_lowercase().as_deref(), Ok("pc-12.ward"));
    }

    #[test]
    fn option_overload_reads_file_then_sname() {
        let mut msg = with_options("35 01 03 34 01 03 ff");
        // file: host name "f" then END; sname: vendor class "v" then END.
        msg[field::FILE.start..field::FILE.start + 4].copy_from_slice(&hex("0c 01 66 ff"));
        msg[field::SNAME.start..field::SNAME.start + 4].copy_from_slice(&hex("3c 01 76 ff"));
        let p = Packet::new_checked(&msg[..]).expect("valid");
        let codes: Vec<u8> = p.options().map(|o| o.expect("ok").0.0).collect();
        assert_eq!(codes, [53, 52, 12, 60]);
        let id = p.identity().expect("ok");
        assert_eq!(id.hostname, Some(&b"f"[..]));
        assert_eq!(id.vendor_class, Some(&b"v"[..]));
        let repr = Repr::parse(&p).expect("repr");
        assert!(repr.server_name.is_empty() && repr.boot_file.is_empty());
        // Overload 1: file only; sname stays a name.
        msg[HEADER_LEN + 5] = 1;
        msg[field::SNAME].fill(0);
        msg[field::SNAME.start..field::SNAME.start + 3].copy_from_slice(b"srv");
        let p = Packet::new_checked(&msg[..]).expect("valid");
        let codes: Vec<u8> = p.options().map(|o| o.expect("ok").0.0).collect();
        assert_eq!(codes, [53, 52, 12]);
        let repr = Repr::parse(&p).expect("repr");
        assert_eq!(repr.server_name, b"srv");
        // A bad option inside the overloaded file field is reported.
        msg[field::FILE.start..field::FILE.start + 4].copy_from_slice(&hex("0c 7f 66 ff"));
        let p = Packet::new_checked(&msg[..]).expect("valid");
        assert_eq!(p.options().last(), Some(Err(Malformed::DhcpBadOptions)));
    }

    #[test]
    fn emit_splits_long_values() {
        let repr = Repr {
            op: Op::REQUEST,
            hops: 0,
            xid: 1,
            secs: 0,
            flags: 0,
            ciaddr: Ipv4Addr::UNSPECIFIED,
            yiaddr: Ipv4Addr::UNSPECIFIED,
            siaddr: Ipv4Addr::UNSPECIFIED,
            giaddr: Ipv4Addr::UNSPECIFIED,
            chaddr: None,
            server_name: Vec::new(),
            boot_file: Vec::new(),
            message_type: Some(DhcpMessageType::DISCOVER),
            options: vec![(OptionCode(224), vec![7; 300])],
            dropped_options: 0,
        };
        let mut buf = vec![0xee; repr.buffer_len()];
        repr.emit(&mut Packet::new_unchecked(&mut buf[..]));
        let p = Packet::new_checked(&buf[..]).expect("valid");
        let lens: Vec<usize> = p.options().map(|o| o.expect("ok").1.len()).collect();
        assert_eq!(lens, [1, 255, 45]);
        assert_eq!(p.client_hardware_addr(), None);
        assert_eq!(buf.last(), Some(&255));
    }

    #[test]
    fn repr_keeps_at_most_max_options() {
        let mut msg = with_options("");
        for _ in 0..100 {
            msg.extend([224, 0]);
        }
        let repr = Repr::parse(&Packet::new_checked(&msg[..]).expect("valid")).expect("repr");
        assert_eq!(repr.options.len(), MAX_OPTIONS);
        assert_eq!(repr.dropped_options, 100 - MAX_OPTIONS);
    }

    fn option_strategy() -> impl Strategy<Value = (OptionCode, Vec<u8>)> {
        (
            (1u8..=254).prop_filter("structural options", |c| *c != 52 && *c != 53),
            proptest::collection::vec(any::<u8>(), 0..=255),
        )
            .prop_map(|(code, value)| (OptionCode(code), value))
    }

    fn text_strategy(max: usize) -> impl Strategy<Value = Vec<u8>> {
        proptest::collection::vec(1u8..=255, 0..=max)
    }

    prop_compose! {
        fn repr_strategy()(
            op: u8, hops: u8, xid: u32, secs: u16, flags: u16,
            addrs: [u32; 4],
            mac in proptest::option::of(any::<[u8; 6]>()),
            server_name in text_strategy(64),
            boot_file in text_strategy(128),
            message_type in proptest::option::of(any::<u8>()),
            options in proptest::collection::vec(option_strategy(), 0..8),
        ) -> Repr {
            Repr {
                op: Op(op), hops, xid, secs, flags,
                ciaddr: Ipv4Addr::from(addrs[0]),
                yiaddr: Ipv4Addr::from(addrs[1]),
                siaddr: Ipv4Addr::from(addrs[2]),
                giaddr: Ipv4Addr::from(addrs[3]),
                chaddr: mac.map(MacAddr),
                server_name, boot_file,
                message_type: message_type.map(DhcpMessageType),
                options,
                dropped_options: 0,
            }
        }
    }

    proptest! {
        #[test]
        fn roundtrip(repr in repr_strategy()) {
            let mut buf = vec![0; repr.buffer_len()];
            repr.emit(&mut Packet::new_unchecked(&mut buf[..]));
            let p = Packet::new_checked(&buf[..]).expect("emitted message is valid");
            prop_assert_eq!(Repr::parse(&p).expect("parse"), repr);
        }

        #[test]
        fn arbitrary_options_never_panic(tail in proptest::collection::vec(any::<u8>(), 0..300)) {
            let mut msg = with_options("");
            msg.extend(&tail);
            let p = Packet::new_checked(&msg[..]).expect("header fine");
            prop_assert!(p.options().count() <= tail.len() + 1);
            if let Ok(id) = p.identity() {
                let _ = (id.hostname_text(), id.vendor_class_text(), id.client_id_hex());
                if let Some(fqdn) = id.client_fqdn {
                    let _ = fqdn.name_lowercase();
                }
            }
            let _ = Repr::parse(&p);
        }
    }
}
