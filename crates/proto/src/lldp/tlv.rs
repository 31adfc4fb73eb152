//! LLDPDU TLVs (IEEE 802.1AB-2016 §8.4–§8.6): pure parsing of one frame's payload into
//! [`Lldpdu`], a struct of fields borrowed from the frame, plus the text forms the sensor
//! keeps (identifiers, addresses, capability names) and the product/version heuristic for
//! system descriptions (shared with CDP's software version).
//!
//! Parsing never fails: a frame is read TLV by TLV and what breaks the format is recorded in
//! [`Problems`] (and reading stops only where the next TLV cannot be found).

use std::net::{Ipv4Addr, Ipv6Addr};

use model::MacAddr;
use wire::cursor::{ReadError, ReadResult, Reader};
use wire::text::{find, trim_ascii, trim_nuls, wire_text};

/// TLVs read per frame (CONVENTIONS §6 list limit); the rest are counted, not read.
pub(crate) const MAX_TLVS: usize = 64;
/// Management addresses kept per frame; the rest are counted.
pub(crate) const MAX_ADDRESSES: usize = 16;

/// TLV type values (IEEE 802.1AB-2016 §8.4.1 Table 8-1).
pub(crate) mod tlv_type {
    /// End Of LLDPDU (§8.5.1).
    pub const END: u8 = 0;
    /// Chassis ID (§8.5.2), mandatory, first.
    pub const CHASSIS_ID: u8 = 1;
    /// Port ID (§8.5.3), mandatory, second.
    pub const PORT_ID: u8 = 2;
    /// Time To Live (§8.5.4), mandatory, third.
    pub const TTL: u8 = 3;
    /// Port Description (§8.5.5).
    pub const PORT_DESCRIPTION: u8 = 4;
    /// System Name (§8.5.6).
    pub const SYSTEM_NAME: u8 = 5;
    /// System Description (§8.5.7).
    pub const SYSTEM_DESCRIPTION: u8 = 6;
    /// System Capabilities (§8.5.8).
    pub const SYSTEM_CAPABILITIES: u8 = 7;
    /// Management Address (§8.5.9).
    pub const MANAGEMENT_ADDRESS: u8 = 8;
    /// Organizationally Specific (§8.6).
    pub const ORG_SPECIFIC: u8 = 127;
}

/// Organizationally unique identifiers of the §8.6 TLVs read here.
pub(crate) mod oui {
    /// IEEE 802.1 (IEEE 802.1Q-2018 Annex D).
    pub const IEEE_802_1: [u8; 3] = [0x00, 0x80, 0xc2];
    /// IEEE 802.3 (IEEE 802.3-2018 Clause 79): recognised, nothing kept.
    pub const IEEE_802_3: [u8; 3] = [0x00, 0x12, 0x0f];
    /// TIA TR-41, LLDP-MED (ANSI/TIA-1057 §10.2).
    pub const TIA_TR41: [u8; 3] = [0x00, 0x12, 0xbb];
    /// IANA (RFC 8520 §10: the MUD URL TLV).
    pub const IANA: [u8; 3] = [0x00, 0x00, 0x5e];
}

/// A chassis or port identifier: its subtype and the bytes as sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Id<'a> {
    /// §8.5.2.2 Table 8-2 (chassis) or §8.5.3.2 Table 8-3 (port).
    pub subtype: u8,
    /// The identifier (1–255 bytes).
    pub id: &'a [u8],
}

/// One Management Address TLV (§8.5.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ManagementAddress<'a> {
    /// IANA address family number (§8.5.9.3): 1 IPv4, 2 IPv6, 6 IEEE 802.
    pub subtype: u8,
    /// The address (1–31 bytes).
    pub address: &'a [u8],
    /// Interface numbering subtype (§8.5.9.5): 1 unknown, 2 ifIndex, 3 system port number.
    pub interface_subtype: u8,
    /// Interface number (§8.5.9.6).
    pub interface_number: u32,
}

/// What LLDP-MED TLVs (ANSI/TIA-1057 §10.2) say about the device.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Med<'a> {
    /// §10.2.2: capabilities bitmap and device type (class).
    pub capabilities: Option<(u16, u8)>,
    /// §10.2.6.1 Hardware Revision.
    pub hardware_revision: Option<&'a [u8]>,
    /// §10.2.6.2 Firmware Revision.
    pub firmware_revision: Option<&'a [u8]>,
    /// §10.2.6.3 Software Revision.
    pub software_revision: Option<&'a [u8]>,
    /// §10.2.6.4 Serial Number.
    pub serial_number: Option<&'a [u8]>,
    /// §10.2.6.5 Manufacturer Name.
    pub manufacturer: Option<&'a [u8]>,
    /// §10.2.6.6 Model Name.
    pub model_name: Option<&'a [u8]>,
    /// §10.2.6.7 Asset ID.
    pub asset_id: Option<&'a [u8]>,
}

impl Med<'_> {
    /// True when no LLDP-MED TLV was read.
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }
}

/// What broke the format in one frame (each a counter or anomaly in `mod.rs`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Problems {
    /// A TLV header or value ran past the end of the frame: reading stopped there.
    pub truncated_tlv: bool,
    /// The first three TLVs were not Chassis ID, Port ID, TTL (§8.2).
    pub bad_order: bool,
    /// A Chassis ID, Port ID or TTL TLV appeared twice (§8.2: exactly one each).
    pub duplicate_tlv: bool,
    /// A TLV was shorter than its fixed fields (§8.5.2–§8.5.9): skipped.
    pub bad_tlv_length: bool,
    /// TLVs past [`MAX_TLVS`], counted, not read.
    pub dropped_tlvs: u32,
    /// Management addresses past [`MAX_ADDRESSES`].
    pub dropped_addresses: u32,
}

/// One LLDPDU, fields borrowed from the frame; absent TLVs are `None`. Where a TLV that may
/// appear once appears more often, the first is kept.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Lldpdu<'a> {
    /// §8.5.2 Chassis ID.
    pub chassis_id: Option<Id<'a>>,
    /// §8.5.3 Port ID.
    pub port_id: Option<Id<'a>>,
    /// §8.5.4 Time To Live, seconds.
    pub ttl: Option<u16>,
    /// §8.5.5 Port Description.
    pub port_description: Option<&'a [u8]>,
    /// §8.5.6 System Name.
    pub system_name: Option<&'a [u8]>,
    /// §8.5.7 System Description.
    pub system_description: Option<&'a [u8]>,
    /// §8.5.8 System Capabilities: (capabilities, enabled capabilities).
    pub capabilities: Option<(u16, u16)>,
    /// §8.5.9 Management Addresses, at most [`MAX_ADDRESSES`].
    pub management_addresses: Vec<ManagementAddress<'a>>,
    /// IEEE 802.1Q-2018 §D.2.1 Port VLAN ID.
    pub vlan_id: Option<u16>,
    /// ANSI/TIA-1057 LLDP-MED.
    pub med: Med<'a>,
    /// RFC 8520 §10 MUD URL.
    pub mud_url: Option<&'a [u8]>,
    /// TLVs read (End included).
    pub tlvs: usize,
    /// Format violations.
    pub problems: Problems,
}

/// Reads one TLV header and value (§8.4.1: 7-bit type, 9-bit length, then the value).
/// `Ok(None)` at the end of the input; `Incomplete` when the header or value is cut.
pub(crate) fn next_tlv<'a>(r: &mut Reader<'a>) -> ReadResult<Option<(u8, &'a [u8])>> {
    if r.is_empty() {
        return Ok(None);
    }
    let at = *r;
    let header = r.u16()?;
    let kind = (header >> 9) as u8;
    let len = usize::from(header & 0x01ff);
    match r.take(len) {
        Ok(value) => Ok(Some((kind, value))),
        Err(e) => {
            *r = at;
            Err(e)
        }
    }
}

/// Parses one LLDPDU (the frame's payload after the EtherType 0x88cc).
pub(crate) fn parse(payload: &[u8]) -> Lldpdu<'_> {
    let mut du = Lldpdu::default();
    let mut r = Reader::new(payload);
    loop {
        let (kind, value) = match next_tlv(&mut r) {
            Ok(Some(tlv)) => tlv,
            Ok(None) => break,
            Err(_) => {
                du.problems.truncated_tlv = true;
                break;
            }
        };
        if du.tlvs == MAX_TLVS {
            // CONVENTIONS §6: count what is not read; the walk is bounded by the frame.
            du.problems.dropped_tlvs = du.problems.dropped_tlvs.saturating_add(1);
            if kind == tlv_type::END {
                break;
            }
            continue;
        }
        // §8.2: Chassis ID, Port ID and TTL are the first three TLVs, in that order.
        let expected = [tlv_type::CHASSIS_ID, tlv_type::PORT_ID, tlv_type::TTL];
        if expected.get(du.tlvs).is_some_and(|&want| kind != want) {
            du.problems.bad_order = true;
        }
        du.tlvs += 1;
        if kind == tlv_type::END {
            // §8.5.1: End Of LLDPDU; what follows is padding.
            break;
        }
        read_tlv(&mut du, kind, value);
    }
    if du.tlvs < 3 && !du.problems.truncated_tlv {
        // The frame ended (or an End TLV came) before the three mandatory TLVs.
        du.problems.bad_order = true;
    }
    du
}

/// Stores one TLV's meaning in `du`.
fn read_tlv<'a>(du: &mut Lldpdu<'a>, kind: u8, value: &'a [u8]) {
    match kind {
        tlv_type::CHASSIS_ID | tlv_type::PORT_ID => {
            // §8.5.2.1 / §8.5.3.1: TLV length 2..=256 (subtype + 1..=255 bytes).
            let Some((&subtype, id)) = value.split_first().filter(|(_, id)| !id.is_empty()) else {
                du.problems.bad_tlv_length = true;
                return;
            };
            let slot = if kind == tlv_type::CHASSIS_ID {
                &mut du.chassis_id
            } else {
                &mut du.port_id
            };
            if slot.is_some() {
                du.problems.duplicate_tlv = true;
            } else {
                *slot = Some(Id { subtype, id });
            }
        }
        tlv_type::TTL => match value.get(..2) {
            // §8.5.4.1: TTL length 2.
            Some(&[a, b]) => {
                if du.ttl.is_some() {
                    du.problems.duplicate_tlv = true;
                } else {
                    du.ttl = Some(u16::from_be_bytes([a, b]));
                }
            }
            _ => du.problems.bad_tlv_length = true,
        },
        tlv_type::PORT_DESCRIPTION => first(&mut du.port_description, value),
        tlv_type::SYSTEM_NAME => first(&mut du.system_name, value),
        tlv_type::SYSTEM_DESCRIPTION => first(&mut du.system_description, value),
        tlv_type::SYSTEM_CAPABILITIES => match value.get(..4) {
            // §8.5.8: two 2-octet bitmaps, system capabilities then enabled capabilities.
            Some(&[a, b, c, d]) => {
                du.capabilities
                    .get_or_insert((u16::from_be_bytes([a, b]), u16::from_be_bytes([c, d])));
            }
            _ => du.problems.bad_tlv_length = true,
        },
        tlv_type::MANAGEMENT_ADDRESS => match management_address(value) {
            Ok(a) if du.management_addresses.len() < MAX_ADDRESSES => {
                du.management_addresses.push(a);
            }
            Ok(_) => {
                du.problems.dropped_addresses = du.problems.dropped_addresses.saturating_add(1);
            }
            Err(_) => du.problems.bad_tlv_length = true,
        },
        tlv_type::ORG_SPECIFIC => org_specific(du, value),
        // Reserved types 9..=126 (§8.4.1 Table 8-1): skipped.
        _ => {}
    }
}

/// Keeps the first occurrence of a string TLV (§8.5.5–§8.5.7: 0..=255 octets).
fn first<'a>(slot: &mut Option<&'a [u8]>, value: &'a [u8]) {
    slot.get_or_insert(value);
}

/// §8.5.9 Management Address: string length (1 + address length), subtype, address,
/// interface numbering subtype, interface number (4), OID string length, OID.
fn management_address(value: &[u8]) -> ReadResult<ManagementAddress<'_>> {
    let mut r = Reader::new(value);
    let string_len = usize::from(r.u8()?);
    // §8.5.9.2: the address string is 2..=32 octets (subtype + 1..=31 octets of address).
    if !(2..=32).contains(&string_len) {
        return Err(ReadError::Malformed("lldp_bad_tlv_length"));
    }
    let subtype = r.u8()?;
    let address = r.take(string_len - 1)?;
    let interface_subtype = r.u8()?;
    let interface_number = r.u32()?;
    // §8.5.9.7: OID string length and OID follow; they name no device and are not kept.
    Ok(ManagementAddress {
        subtype,
        address,
        interface_subtype,
        interface_number,
    })
}

/// §8.6 Organizationally Specific TLV: OUI (3), subtype (1), information string.
fn org_specific<'a>(du: &mut Lldpdu<'a>, value: &'a [u8]) {
    let mut r = Reader::new(value);
    let (Ok(org), Ok(subtype)) = (r.array::<3>(), r.u8()) else {
        du.problems.bad_tlv_length = true;
        return;
    };
    let info = r.rest();
    match (org, subtype) {
        // IEEE 802.1Q-2018 §D.2.1 Port VLAN ID TLV: 2-octet PVID.
        (oui::IEEE_802_1, 1) => match info.get(..2) {
            Some(&[a, b]) => {
                du.vlan_id.get_or_insert(u16::from_be_bytes([a, b]));
            }
            _ => du.problems.bad_tlv_length = true,
        },
        // ANSI/TIA-1057 §10.2.2 LLDP-MED Capabilities: 2-octet bitmap, 1-octet device type.
        (oui::TIA_TR41, 1) => match info.get(..3) {
            Some(&[a, b, class]) => {
                du.med
                    .capabilities
                    .get_or_insert((u16::from_be_bytes([a, b]), class));
            }
            _ => du.problems.bad_tlv_length = true,
        },
        // ANSI/TIA-1057 §10.2.6 Inventory Management TLV set: strings of 0..=32 octets.
        (oui::TIA_TR41, 5) => first(&mut du.med.hardware_revision, info),
        (oui::TIA_TR41, 6) => first(&mut du.med.firmware_revision, info),
        (oui::TIA_TR41, 7) => first(&mut du.med.software_revision, info),
        (oui::TIA_TR41, 8) => first(&mut du.med.serial_number, info),
        (oui::TIA_TR41, 9) => first(&mut du.med.manufacturer, info),
        (oui::TIA_TR41, 10) => first(&mut du.med.model_name, info),
        (oui::TIA_TR41, 11) => first(&mut du.med.asset_id, info),
        // RFC 8520 §10: the MUD URL the device's manufacturer publishes.
        (oui::IANA, 1) => first(&mut du.mud_url, info),
        // IEEE 802.3 Clause 79 (MAC/PHY, power, aggregation, frame size): nothing that names
        // the device.
        (oui::IEEE_802_3, _) => {}
        // LLDP-MED network policy, location and power (TIA), other organisations: the same.
        _ => {}
    }
}

/// Which identifier an [`Id`] is: the subtypes differ (§8.5.2.2 vs §8.5.3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum IdKind {
    /// Chassis ID (Table 8-2).
    Chassis,
    /// Port ID (Table 8-3).
    Port,
}

impl Id<'_> {
    /// The identifier as text: a MAC address as `aa:bb:…`, a network address as an IP (or
    /// MAC), other subtypes as wire text when printable, else lowercase hex.
    pub fn text(&self, kind: IdKind) -> String {
        match (kind, self.subtype) {
            // Table 8-2 subtype 4 / Table 8-3 subtype 3: MAC address (IEEE 802 EUI-48).
            (IdKind::Chassis, 4) | (IdKind::Port, 3) => mac_or_hex(self.id),
            // Table 8-2 subtype 5 / Table 8-3 subtype 4: network address, prefixed by its IANA
            // address family number (§8.5.2.3 / §8.5.3.3).
            (IdKind::Chassis, 5) | (IdKind::Port, 4) => match self.id.split_first() {
                Some((&family, address)) => address_text(family, address),
                None => String::new(),
            },
            _ => text_or_hex(self.id),
        }
    }

    /// The subtype's name (Table 8-2 / Table 8-3), `reserved` for others.
    pub fn subtype_name(&self, kind: IdKind) -> &'static str {
        match (kind, self.subtype) {
            (IdKind::Chassis, 1) => "chassis_component",
            (IdKind::Chassis, 2) | (IdKind::Port, 1) => "interface_alias",
            (IdKind::Chassis, 3) | (IdKind::Port, 2) => "port_component",
            (IdKind::Chassis, 4) | (IdKind::Port, 3) => "mac_address",
            (IdKind::Chassis, 5) | (IdKind::Port, 4) => "network_address",
            (IdKind::Chassis, 6) | (IdKind::Port, 5) => "interface_name",
            (IdKind::Port, 6) => "agent_circuit_id",
            (IdKind::Chassis, 7) | (IdKind::Port, 7) => "local",
            _ => "reserved",
        }
    }
}

/// An address of IANA address family `family` (1 IPv4, 2 IPv6, 6 IEEE 802) as text; other
/// families, or lengths that do not fit the family, as lowercase hex.
pub(crate) fn address_text(family: u8, address: &[u8]) -> String {
    match (family, address.len()) {
        (1, 4) => match <[u8; 4]>::try_from(address) {
            Ok(a) => Ipv4Addr::from(a).to_string(),
            Err(_) => hex(address),
        },
        (2, 16) => match <[u8; 16]>::try_from(address) {
            Ok(a) => Ipv6Addr::from(a).to_string(),
            Err(_) => hex(address),
        },
        (6, 6) => mac_or_hex(address),
        _ => hex(address),
    }
}

/// Name of an IANA address family used by §8.5.9.3 (and network-address ids).
pub(crate) fn family_name(family: u8) -> &'static str {
    match family {
        1 => "ipv4",
        2 => "ipv6",
        6 => "ieee802",
        _ => "other",
    }
}

/// §8.5.9.5 interface numbering subtype name.
pub(crate) fn interface_subtype_name(subtype: u8) -> &'static str {
    match subtype {
        2 => "if_index",
        3 => "system_port_number",
        _ => "unknown",
    }
}

/// Six bytes as a MAC address, anything else as hex.
fn mac_or_hex(bytes: &[u8]) -> String {
    match MacAddr::from_bytes(bytes) {
        Some(mac) if bytes.len() == 6 => mac.to_string(),
        _ => hex(bytes),
    }
}

/// Printable UTF-8 as wire text, anything else (binary ids) as lowercase hex.
pub(crate) fn text_or_hex(bytes: &[u8]) -> String {
    let trimmed = trim_nuls(bytes);
    match std::str::from_utf8(trimmed) {
        Ok(s) if !s.is_empty() && !s.chars().any(char::is_control) => wire_text(trimmed),
        _ => hex(bytes),
    }
}

/// Lowercase hex, cut like wire text (at most 256 characters, marked when cut).
pub(crate) fn hex(bytes: &[u8]) -> String {
    // One byte more than fits, so a cut one is marked by wire_text.
    let shown = bytes.get(..129).unwrap_or(bytes);
    let mut s = String::with_capacity(shown.len() * 2);
    wire::text::push_hex(&mut s, shown, None);
    wire_text(s.as_bytes())
}

/// §8.5.8.1 Table 8-4 system capabilities, bit 1 (least significant) first.
const CAPABILITIES: [&str; 11] = [
    "other",
    "repeater",
    "bridge",
    "wlan_ap",
    "router",
    "telephone",
    "docsis",
    "station",
    "c_vlan",
    "s_vlan",
    "two_port_mac_relay",
];

/// Names of the capabilities set in a §8.5.8 bitmap (reserved bits are not named).
pub(crate) fn capability_names(bits: u16) -> impl Iterator<Item = &'static str> {
    CAPABILITIES
        .iter()
        .enumerate()
        .filter(move |(i, _)| bits & (1 << i) != 0)
        .map(|(_, name)| *name)
}

/// ANSI/TIA-1057 §10.2.2.1 LLDP-MED capabilities, bit 0 first.
const MED_CAPABILITIES: [&str; 6] = [
    "capabilities",
    "network_policy",
    "location",
    "power_pse",
    "power_pd",
    "inventory",
];

/// Names of the LLDP-MED capabilities set.
pub(crate) fn med_capability_names(bits: u16) -> impl Iterator<Item = &'static str> {
    MED_CAPABILITIES
        .iter()
        .enumerate()
        .filter(move |(i, _)| bits & (1 << i) != 0)
        .map(|(_, name)| *name)
}

/// ANSI/TIA-1057 §10.2.2.2 LLDP-MED device type.
pub(crate) fn med_class_name(class: u8) -> &'static str {
    match class {
        1 => "endpoint_class_1",
        2 => "endpoint_class_2",
        3 => "endpoint_class_3",
        4 => "network_connectivity",
        _ => "not_defined",
    }
}

/// Bytes of a description looked at for product and version.
const SCAN: usize = 512;
/// Longest product name taken from a description without a version in it.
const MAX_BARE_PRODUCT: usize = 64;

/// Product and version in a system description (LLDP) or software version string (CDP),
/// or `None` when nothing product-like is there. Conservative:
/// - Cisco's "Cisco IOS Software, … Version 12.2(50)SE5, …" (and IOS XE, NX-OS, and the old
///   "Cisco Internetwork Operating System Software / IOS (tm)") gives "Cisco IOS" and the
///   token after "Version ";
/// - otherwise the first line's "Version X" / "revision X" (X containing a digit), or its
///   first dotted number "X.Y.Z" / "vX.Y", is the version and the words before it (up to a
///   comma or " - ") the product;
/// - otherwise, when `bare_product`, the first line's first words are the product.
pub(crate) fn software_of(text: &[u8], bare_product: bool) -> Option<(&[u8], Option<&[u8]>)> {
    let text = trim_ascii(text.get(..SCAN).unwrap_or(text));
    if let Some(product) = cisco_product(text) {
        return Some((product, word_after(text, b"Version ", false)));
    }
    let line = trim_ascii(
        text.split(|&b| b == b'\r' || b == b'\n')
            .next()
            .unwrap_or_default(),
    );
    let (before, version) = match keyword_version(line) {
        Some(found) => found,
        None => match dotted_version(line) {
            Some(found) => found,
            None if bare_product => {
                let product = product_of(line);
                return (!product.is_empty() && product.len() <= MAX_BARE_PRODUCT)
                    .then_some((product, None));
            }
            None => return None,
        },
    };
    let product = product_of(before);
    (!product.is_empty()).then_some((product, Some(version)))
}

/// Cisco's operating systems, by the names their version strings carry.
fn cisco_product(text: &[u8]) -> Option<&'static [u8]> {
    let has = |needle: &[u8]| find(text, needle).is_some();
    if has(b"NX-OS") && has(b"Cisco") {
        Some(b"Cisco NX-OS")
    } else if has(b"Cisco IOS") || has(b"IOS (tm)") || has(b"Cisco Internetwork Operating") {
        if has(b"IOS XE") || has(b"IOS-XE") || has(b"IOSXE") {
            Some(b"Cisco IOS XE")
        } else {
            Some(b"Cisco IOS")
        }
    } else {
        None
    }
}

/// "version X" or "revision X" (any case, at a word start) in `line`: the text before the
/// keyword and X.
fn keyword_version(line: &[u8]) -> Option<(&[u8], &[u8])> {
    for keyword in [&b"version"[..], b"revision"] {
        let mut from = 0;
        while let Some(i) = line
            .get(from..)
            .and_then(|rest| find_ci(rest, keyword))
            .map(|i| i + from)
        {
            let word_start = i == 0 || line.get(i - 1).is_some_and(|b| !b.is_ascii_alphanumeric());
            // A separator, then the token: "Version 7.4e.1", "version: 3.2".
            let version = line.get(i + keyword.len()..).and_then(|after| {
                let after = after.strip_prefix(b":").unwrap_or(after);
                after.first().filter(|b| b.is_ascii_whitespace())?;
                word_after(after, b"", true)
            });
            if let (true, Some(v)) = (word_start, version) {
                return Some((line.get(..i).unwrap_or_default(), v));
            }
            from = i + keyword.len();
        }
    }
    None
}

/// The first whitespace-separated token of `line` shaped like a version: digits and dots with
/// at least two dots ("14.04.5"), or "v" + digits and dots with at least one ("v3.20", given
/// as "3.20"). Returns the text before it and the version.
fn dotted_version(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let mut pos = 0;
    for token in line.split(|b| b.is_ascii_whitespace()) {
        let start = pos;
        pos += token.len() + 1;
        let token = token
            .strip_suffix(b",")
            .or_else(|| token.strip_suffix(b";"))
            .unwrap_or(token);
        let (body, min_dots) = match token.strip_prefix(b"v").or(token.strip_prefix(b"V")) {
            Some(body) => (body, 1),
            None => (token, 2),
        };
        let numeric = body.iter().all(|b| b.is_ascii_digit() || *b == b'.');
        let ends = body.first().is_some_and(u8::is_ascii_digit)
            && body.last().is_some_and(u8::is_ascii_digit);
        let dots = body.iter().filter(|&&b| b == b'.').count();
        if numeric && ends && dots >= min_dots {
            return Some((line.get(..start).unwrap_or_default(), body));
        }
    }
    None
}

/// The token after the first `prefix` in `text` (up to whitespace, ',' or ';'), when it starts
/// with a digit; with `any_start`, when it merely contains one.
fn word_after<'a>(text: &'a [u8], prefix: &[u8], any_start: bool) -> Option<&'a [u8]> {
    let at = find(text, prefix)? + prefix.len();
    let rest = text.get(at..)?;
    let rest = rest.get(rest.iter().position(|b| !b.is_ascii_whitespace())?..)?;
    let end = rest
        .iter()
        .position(|&b| b.is_ascii_whitespace() || b == b',' || b == b';')
        .unwrap_or(rest.len());
    // A sentence's full stop is not part of the version ("version 6.3.1.").
    let token = rest.get(..end)?;
    let token = token.strip_suffix(b".").unwrap_or(token);
    let ok = if any_start {
        token.iter().any(u8::is_ascii_digit)
    } else {
        token.first().is_some_and(u8::is_ascii_digit)
    };
    ok.then_some(token)
}

/// The product part of the text before a version: up to the first ',' or " - ", trimmed of
/// spaces and dangling separators.
fn product_of(before: &[u8]) -> &[u8] {
    let mut p = before;
    if let Some(i) = p.iter().position(|&b| b == b',') {
        p = p.get(..i).unwrap_or_default();
    }
    if let Some(i) = find(p, b" - ") {
        p = p.get(..i).unwrap_or_default();
    }
    let is_pad = |b: &u8| b.is_ascii_whitespace() || matches!(b, b'-' | b':' | b',' | b'(');
    let end = p.iter().rposition(|b| !is_pad(b)).map_or(0, |i| i + 1);
    trim_ascii(p.get(..end).unwrap_or_default())
}

/// `text` with each run of CR, LF and tabs made one space, at most [`SCAN`] bytes: multi-line
/// descriptions as one line of raw text.
pub(crate) fn one_line(text: &[u8]) -> Vec<u8> {
    let text = trim_ascii(text.get(..SCAN).unwrap_or(text));
    let mut out = Vec::with_capacity(text.len());
    for &b in text {
        let b = if matches!(b, b'\r' | b'\n' | b'\t') {
            b' '
        } else {
            b
        };
        if !(b == b' ' && out.last() == Some(&b' ')) {
            out.push(b);
        }
    }
    out
}

/// Position of `needle` (lowercase ASCII) in `hay`, ignoring ASCII case.
fn find_ci(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    hay.windows(needle.len())
        .position(|w| w.eq_ignore_ascii_case(needle))
}
