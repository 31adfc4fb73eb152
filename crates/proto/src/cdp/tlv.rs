//! CDP packets (Cisco Discovery Protocol v1/v2, as Cisco documents it and Wireshark's
//! packet-cdp.c decodes it): a 4-byte header (version, TTL, checksum) then TLVs of a 2-byte
//! type and a 2-byte length that includes the 4-byte TLV header. Pure parsing of one frame's
//! payload (after the LLC/SNAP header, OUI 00-00-0C, PID 0x2000) into [`Cdp`], a struct of
//! fields borrowed from the frame.
//!
//! Parsing never fails: what breaks the format is recorded in [`Problems`]; reading stops
//! where the next TLV cannot be found (a length past the end, or smaller than its header).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use wire::cursor::{ReadError, ReadResult, Reader};

/// TLVs read per frame (CONVENTIONS §6 list limit); the rest are counted, not read.
pub(crate) const MAX_TLVS: usize = 64;
/// Addresses kept per frame (Addresses and Management Addresses together); the rest are
/// counted.
pub(crate) const MAX_ADDRESSES: usize = 16;

/// TLV types (Cisco CDP; Wireshark packet-cdp.c `type_vals`).
pub(crate) mod tlv_type {
    /// Device ID: the sender's name.
    pub const DEVICE_ID: u16 = 0x0001;
    /// Addresses of the interface the frame was sent on.
    pub const ADDRESSES: u16 = 0x0002;
    /// Port ID: the interface the frame was sent on.
    pub const PORT_ID: u16 = 0x0003;
    /// Capabilities bitmap.
    pub const CAPABILITIES: u16 = 0x0004;
    /// Software version (text, often several lines).
    pub const SOFTWARE_VERSION: u16 = 0x0005;
    /// Platform (hardware model).
    pub const PLATFORM: u16 = 0x0006;
    /// Native VLAN (2 bytes).
    pub const NATIVE_VLAN: u16 = 0x000a;
    /// Duplex (1 byte: 0 half, 1 full).
    pub const DUPLEX: u16 = 0x000b;
    /// MTU (4 bytes).
    pub const MTU: u16 = 0x0011;
    /// System name (text).
    pub const SYSTEM_NAME: u16 = 0x0014;
    /// Management addresses (the Addresses format).
    pub const MANAGEMENT_ADDRESSES: u16 = 0x0016;
}

/// One address of an Addresses TLV: protocol type (1 NLPID, 2 IEEE 802.2), protocol, address.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Address<'a> {
    /// 1 NLPID, 2 IEEE 802.2.
    pub protocol_type: u8,
    /// The protocol: one NLPID byte, or an 802.2 LLC/SNAP header.
    pub protocol: &'a [u8],
    /// The address.
    pub address: &'a [u8],
}

/// 802.2 LLC/SNAP header naming IPv6 (EtherType 0x86dd) in an Addresses TLV.
const SNAP_IPV6: [u8; 8] = [0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x86, 0xdd];

impl Address<'_> {
    /// The address as an IP, when it is one (NLPID 0xcc with 4 bytes: IPv4; 802.2 SNAP
    /// EtherType 0x86dd with 16 bytes: IPv6).
    pub fn ip(&self) -> Option<IpAddr> {
        match (self.protocol_type, self.protocol) {
            (1, [0xcc]) => <[u8; 4]>::try_from(self.address)
                .ok()
                .map(|a| IpAddr::V4(Ipv4Addr::from(a))),
            (2, p) if p == SNAP_IPV6 => <[u8; 16]>::try_from(self.address)
                .ok()
                .map(|a| IpAddr::V6(Ipv6Addr::from(a))),
            _ => None,
        }
    }
}

/// What broke the format in one frame (each a counter or anomaly in `mod.rs`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Problems {
    /// Fewer than 4 bytes: no header.
    pub truncated_header: bool,
    /// Version neither 1 nor 2.
    pub bad_version: bool,
    /// A TLV header or value ran past the end of the frame: reading stopped there.
    pub truncated_tlv: bool,
    /// A TLV length smaller than the 4-byte header: reading stopped there.
    pub bad_tlv_length: bool,
    /// A fixed-size TLV (capabilities, VLAN, duplex, MTU) too short: skipped.
    pub short_tlv: bool,
    /// An Addresses TLV ended before the addresses it announced.
    pub truncated_address: bool,
    /// TLVs past [`MAX_TLVS`], counted, not read.
    pub dropped_tlvs: u32,
    /// Addresses past [`MAX_ADDRESSES`].
    pub dropped_addresses: u32,
}

/// Which TLV an address came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum AddressSource {
    /// 0x0002 Addresses.
    Interface,
    /// 0x0016 Management Addresses.
    Management,
}

/// One CDP packet, fields borrowed from the frame; absent TLVs are `None`. Where a TLV
/// appears more than once the first is kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Cdp<'a> {
    /// Header: CDP version (1 or 2).
    pub version: u8,
    /// Header: seconds the receiver keeps the information.
    pub ttl: u8,
    /// Header: checksum (not verified).
    pub checksum: u16,
    /// 0x0001.
    pub device_id: Option<&'a [u8]>,
    /// 0x0003.
    pub port_id: Option<&'a [u8]>,
    /// 0x0004.
    pub capabilities: Option<u32>,
    /// 0x0005.
    pub software_version: Option<&'a [u8]>,
    /// 0x0006.
    pub platform: Option<&'a [u8]>,
    /// 0x000a.
    pub native_vlan: Option<u16>,
    /// 0x000b: 0 half, 1 full.
    pub duplex: Option<u8>,
    /// 0x0011.
    pub mtu: Option<u32>,
    /// 0x0014.
    pub system_name: Option<&'a [u8]>,
    /// 0x0002 and 0x0016 addresses, at most [`MAX_ADDRESSES`].
    pub addresses: Vec<(AddressSource, Address<'a>)>,
    /// TLVs read.
    pub tlvs: usize,
    /// Format violations.
    pub problems: Problems,
}

/// Reads one TLV: type (2), length (2, including these 4 bytes), value. `Ok(None)` at the end
/// of the input; `Incomplete` when cut; `Malformed` for a length below 4 (which would never
/// advance).
pub(crate) fn next_tlv<'a>(r: &mut Reader<'a>) -> ReadResult<Option<(u16, &'a [u8])>> {
    if r.is_empty() {
        return Ok(None);
    }
    let at = *r;
    let result = (|| {
        let kind = r.u16()?;
        let len = usize::from(r.u16()?);
        let value_len = len
            .checked_sub(4)
            .ok_or(ReadError::Malformed("cdp_bad_tlv_length"))?;
        Ok(Some((kind, r.take(value_len)?)))
    })();
    if result.is_err() {
        *r = at;
    }
    result
}

/// Parses one CDP packet (the payload after the LLC/SNAP header).
pub(crate) fn parse(payload: &[u8]) -> Cdp<'_> {
    let mut cdp = Cdp::default();
    let mut r = Reader::new(payload);
    let (Ok(version), Ok(ttl), Ok(checksum)) = (r.u8(), r.u8(), r.u16()) else {
        cdp.problems.truncated_header = true;
        return cdp;
    };
    cdp.version = version;
    cdp.ttl = ttl;
    cdp.checksum = checksum;
    cdp.problems.bad_version = !matches!(version, 1 | 2);
    loop {
        let (kind, value) = match next_tlv(&mut r) {
            Ok(Some(tlv)) => tlv,
            Ok(None) => break,
            Err(ReadError::Incomplete { .. }) => {
                cdp.problems.truncated_tlv = true;
                break;
            }
            Err(ReadError::Malformed(_)) => {
                cdp.problems.bad_tlv_length = true;
                break;
            }
        };
        if cdp.tlvs == MAX_TLVS {
            // CONVENTIONS §6: count what is not read; each TLV is at least 4 bytes, so the
            // walk is bounded by the frame.
            cdp.problems.dropped_tlvs = cdp.problems.dropped_tlvs.saturating_add(1);
            continue;
        }
        cdp.tlvs += 1;
        read_tlv(&mut cdp, kind, value);
    }
    cdp
}

/// Stores one TLV's meaning in `cdp`.
fn read_tlv<'a>(cdp: &mut Cdp<'a>, kind: u16, value: &'a [u8]) {
    let mut r = Reader::new(value);
    match kind {
        tlv_type::DEVICE_ID => first(&mut cdp.device_id, value),
        tlv_type::PORT_ID => first(&mut cdp.port_id, value),
        tlv_type::SOFTWARE_VERSION => first(&mut cdp.software_version, value),
        tlv_type::PLATFORM => first(&mut cdp.platform, value),
        tlv_type::SYSTEM_NAME => first(&mut cdp.system_name, value),
        tlv_type::CAPABILITIES => fixed(&mut cdp.capabilities, r.u32(), &mut cdp.problems),
        tlv_type::NATIVE_VLAN => fixed(&mut cdp.native_vlan, r.u16(), &mut cdp.problems),
        tlv_type::DUPLEX => fixed(&mut cdp.duplex, r.u8(), &mut cdp.problems),
        tlv_type::MTU => fixed(&mut cdp.mtu, r.u32(), &mut cdp.problems),
        tlv_type::ADDRESSES => addresses(cdp, AddressSource::Interface, value),
        tlv_type::MANAGEMENT_ADDRESSES => addresses(cdp, AddressSource::Management, value),
        // VTP domain, power, trust, cluster and others: nothing that names the device.
        _ => {}
    }
}

/// Keeps the first occurrence of a text TLV.
fn first<'a>(slot: &mut Option<&'a [u8]>, value: &'a [u8]) {
    slot.get_or_insert(value);
}

/// Keeps the first occurrence of a fixed-size TLV; a short one is recorded.
fn fixed<T>(slot: &mut Option<T>, read: ReadResult<T>, problems: &mut Problems) {
    match read {
        Ok(v) => {
            slot.get_or_insert(v);
        }
        Err(_) => problems.short_tlv = true,
    }
}

/// Addresses TLV: number of addresses (4), then each: protocol type (1), protocol length (1),
/// protocol, address length (2), address.
fn addresses<'a>(cdp: &mut Cdp<'a>, source: AddressSource, value: &'a [u8]) {
    let mut r = Reader::new(value);
    let Ok(count) = r.u32() else {
        cdp.problems.truncated_address = true;
        return;
    };
    // The announced count is not trusted: the walk is bounded by the TLV's bytes.
    for _ in 0..count {
        match address(&mut r) {
            Ok(a) if cdp.addresses.len() < MAX_ADDRESSES => cdp.addresses.push((source, a)),
            Ok(_) => {
                cdp.problems.dropped_addresses = cdp.problems.dropped_addresses.saturating_add(1);
            }
            Err(_) => {
                cdp.problems.truncated_address = true;
                return;
            }
        }
    }
}

/// One address of an Addresses TLV.
fn address<'a>(r: &mut Reader<'a>) -> ReadResult<Address<'a>> {
    let protocol_type = r.u8()?;
    let protocol = r.u8_prefixed()?;
    let address = r.u16_prefixed()?;
    Ok(Address {
        protocol_type,
        protocol,
        address,
    })
}

/// Capability bits, least significant first (Wireshark packet-cdp.c).
const CAPABILITIES: [&str; 11] = [
    "router",
    "tb_bridge",
    "sr_bridge",
    "switch",
    "host",
    "igmp",
    "repeater",
    "voip_phone",
    "remotely_managed",
    "cvta",
    "two_port_mac_relay",
];

/// Names of the capabilities set in the bitmap (unnamed bits are not listed).
pub(crate) fn capability_names(bits: u32) -> impl Iterator<Item = &'static str> {
    CAPABILITIES
        .iter()
        .enumerate()
        .filter(move |(i, _)| bits & (1 << i) != 0)
        .map(|(_, name)| *name)
}

/// The first line of a (multi-line) software version, without trailing spaces.
pub(crate) fn first_line(text: &[u8]) -> &[u8] {
    let line = text
        .split(|&b| b == b'\r' || b == b'\n')
        .next()
        .unwrap_or_default();
    wire::text::trim_ascii(line)
}
