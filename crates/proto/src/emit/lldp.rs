//! LLDPDUs (IEEE 802.1AB-2016 §8): the TLVs a station or bridge announces itself with, one
//! frame every `msgTxInterval` (§9.2.5.7, 30 s by default). The frame around them is the
//! caller's: destination [`NEAREST_BRIDGE`], the sender's MAC as source, EtherType
//! [`ETHERTYPE`] ([`ethernet_header`] writes the three).
//!
//! TLV format (§8.4.1): a 16-bit header of 7-bit type and 9-bit length, then the value. The
//! mandatory Chassis ID, Port ID and TTL come first and in that order (§8.2), the optional
//! ones follow, and End Of LLDPDU closes the list (§8.5.1).

use std::net::Ipv4Addr;

/// Nearest bridge group MAC address (§7.1), the usual LLDP destination: no bridge forwards
/// it.
pub const NEAREST_BRIDGE: [u8; 6] = [0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e];
/// The LLDP EtherType (§7.2).
pub const ETHERTYPE: u16 = 0x88cc;

/// The (destination MAC, EtherType) of an LLDP frame (§7.1, §7.2).
pub fn link_destination() -> ([u8; 6], u16) {
    (NEAREST_BRIDGE, ETHERTYPE)
}

/// The 14-byte Ethernet II header of an LLDP frame from `source`: [`NEAREST_BRIDGE`],
/// `source`, [`ETHERTYPE`]. The LLDPDU follows; padding to the 60-byte minimum is the
/// caller's (it comes after End Of LLDPDU, where the parser stops reading).
pub fn ethernet_header(source: [u8; 6], out: &mut Vec<u8>) {
    out.extend_from_slice(&NEAREST_BRIDGE);
    out.extend_from_slice(&source);
    out.extend_from_slice(&ETHERTYPE.to_be_bytes());
}

/// TLV types (§8.4.1 Table 8-1).
pub mod tlv_type {
    /// End Of LLDPDU (§8.5.1).
    pub const END: u8 = 0;
    /// Chassis ID (§8.5.2).
    pub const CHASSIS_ID: u8 = 1;
    /// Port ID (§8.5.3).
    pub const PORT_ID: u8 = 2;
    /// Time To Live (§8.5.4).
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
}

/// System capabilities bits (§8.5.8.1 Table 8-4; bit 1 of the table is the least
/// significant), for [`Lldpdu::capabilities`].
pub mod capability {
    /// Other.
    pub const OTHER: u16 = 1 << 0;
    /// Repeater.
    pub const REPEATER: u16 = 1 << 1;
    /// MAC Bridge component (a switch).
    pub const BRIDGE: u16 = 1 << 2;
    /// 802.11 Access Point.
    pub const WLAN_AP: u16 = 1 << 3;
    /// Router.
    pub const ROUTER: u16 = 1 << 4;
    /// Telephone.
    pub const TELEPHONE: u16 = 1 << 5;
    /// DOCSIS cable device.
    pub const DOCSIS: u16 = 1 << 6;
    /// Station Only (an end station: a modality, a pump, a PC).
    pub const STATION: u16 = 1 << 7;
}

/// Chassis ID subtype MAC address (§8.5.2.2 Table 8-2).
const CHASSIS_MAC: u8 = 4;
/// Port ID subtypes (§8.5.3.2 Table 8-3): MAC address and interface name.
const PORT_MAC: u8 = 3;
const PORT_INTERFACE_NAME: u8 = 5;
/// Longest string TLV value and identifier (§8.5.3.1, §8.5.5.1–§8.5.7.1: 255 octets).
const MAX_STRING: usize = 255;

/// The Port ID (§8.5.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PortId<'a> {
    /// Subtype 5, interface name (ifName, RFC 2863), e.g. `eth0` or `Gi1/0/12`; 1 to 255
    /// octets (longer is cut; an empty name is written as one space).
    InterfaceName(&'a str),
    /// Subtype 3, the port's MAC address.
    Mac([u8; 6]),
}

/// A Management Address TLV (§8.5.9) for an IPv4 address, with its interface numbered by
/// ifIndex (§8.5.9.5 subtype 2) and no OID.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ManagementAddress {
    /// The address (§8.5.9.4; IANA address family 1).
    pub address: Ipv4Addr,
    /// ifIndex of the interface the address belongs to (§8.5.9.6; 0 when unknown).
    pub if_index: u32,
}

/// One LLDPDU. String fields are cut to the 255 octets a TLV holds (at a character
/// boundary).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lldpdu<'a> {
    /// Chassis ID (§8.5.2), subtype 4: the station's MAC address.
    pub chassis_mac: [u8; 6],
    /// Port ID (§8.5.3).
    pub port_id: PortId<'a>,
    /// Time To Live, seconds (§8.5.4; 120 is 4 × the default 30 s interval, 0 withdraws).
    pub ttl: u16,
    /// Port Description (§8.5.5), e.g. ifDescr.
    pub port_description: Option<&'a str>,
    /// System Name (§8.5.6), usually the host name.
    pub system_name: Option<&'a str>,
    /// System Description (§8.5.7): hardware, operating system, software versions.
    pub system_description: Option<&'a str>,
    /// System Capabilities (§8.5.8): (capabilities, enabled capabilities), bits of
    /// [`capability`].
    pub capabilities: Option<(u16, u16)>,
    /// Management Address (§8.5.9).
    pub management_address: Option<ManagementAddress>,
}

impl Lldpdu<'_> {
    /// The TLVs, End Of LLDPDU included: the frame's payload after the EtherType.
    pub fn emit(&self, out: &mut Vec<u8>) {
        // §8.5.2: chassis ID subtype, then the ID (subtype 4: a 6-octet MAC).
        let mut v = vec![CHASSIS_MAC];
        v.extend_from_slice(&self.chassis_mac);
        tlv(tlv_type::CHASSIS_ID, &v, out);
        // §8.5.3: port ID subtype, then 1..=255 octets of ID.
        let mut v = Vec::with_capacity(16);
        match self.port_id {
            PortId::InterfaceName(name) => {
                v.push(PORT_INTERFACE_NAME);
                let name = cut(name, MAX_STRING);
                v.extend_from_slice(if name.is_empty() { b" " } else { name });
            }
            PortId::Mac(mac) => {
                v.push(PORT_MAC);
                v.extend_from_slice(&mac);
            }
        }
        tlv(tlv_type::PORT_ID, &v, out);
        // §8.5.4: a 2-octet TTL in seconds.
        tlv(tlv_type::TTL, &self.ttl.to_be_bytes(), out);
        // §8.5.5–§8.5.7: strings of 0..=255 octets (§8.2: optional TLVs in any order).
        for (kind, value) in [
            (tlv_type::PORT_DESCRIPTION, self.port_description),
            (tlv_type::SYSTEM_NAME, self.system_name),
            (tlv_type::SYSTEM_DESCRIPTION, self.system_description),
        ] {
            if let Some(s) = value {
                tlv(kind, cut(s, MAX_STRING), out);
            }
        }
        // §8.5.8: system capabilities (2 octets), then enabled capabilities (2 octets).
        if let Some((system, enabled)) = self.capabilities {
            let mut v = system.to_be_bytes().to_vec();
            v.extend_from_slice(&enabled.to_be_bytes());
            tlv(tlv_type::SYSTEM_CAPABILITIES, &v, out);
        }
        if let Some(m) = self.management_address {
            let mut v = Vec::with_capacity(12);
            v.push(5); // §8.5.9.2 address string length: subtype + 4 octets
            v.push(1); // §8.5.9.3 address subtype: IANA address family 1, IPv4
            v.extend_from_slice(&m.address.octets()); // §8.5.9.4 management address
            v.push(2); // §8.5.9.5 interface numbering subtype 2: ifIndex
            v.extend_from_slice(&m.if_index.to_be_bytes()); // §8.5.9.6 interface number
            v.push(0); // §8.5.9.7 OID string length 0: no OID
            tlv(tlv_type::MANAGEMENT_ADDRESS, &v, out);
        }
        // §8.5.1: End Of LLDPDU, type 0, length 0.
        tlv(tlv_type::END, &[], out);
    }
}

/// One TLV (§8.4.1): type in the high 7 bits and length in the low 9 of a 16-bit header,
/// then the value. Every value written here is at most 256 octets, within the 511 allowed.
fn tlv(kind: u8, value: &[u8], out: &mut Vec<u8>) {
    let len = value.len().min(0x01ff);
    let header = (u16::from(kind) << 9) | len as u16;
    out.extend_from_slice(&header.to_be_bytes());
    out.extend_from_slice(value.get(..len).unwrap_or(value));
}

/// `s` cut to at most `max` bytes at a character boundary.
fn cut(s: &str, max: usize) -> &[u8] {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    s.as_bytes().get(..end).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use serde_json::json;

    use super::*;
    use crate::testing::{LinkRun, anomalies, fact, facts, run_link, software};

    /// One frame's payload through the sensor's LLDP entry point, as `lldp/tests.rs` runs it.
    fn run(payload: &[u8]) -> LinkRun {
        run_link(ETHERTYPE, "lldp", payload, crate::lldp::observe)
    }

    fn switch() -> Lldpdu<'static> {
        Lldpdu {
            chassis_mac: [0x00, 0x1b, 0x6f, 0x01, 0x02, 0x03],
            port_id: PortId::InterfaceName("Gi1/0/12"),
            ttl: 120,
            port_description: Some("ICU bed 12 monitor"),
            system_name: Some("icu-sw-02"),
            system_description: Some("Cisco IOS Software, C2960X Software, Version 15.2(7)E8"),
            capabilities: Some((capability::BRIDGE | capability::ROUTER, capability::BRIDGE)),
            management_address: Some(ManagementAddress {
                address: Ipv4Addr::new(10, 20, 0, 2),
                if_index: 1012,
            }),
        }
    }

    #[test]
    fn full_lldpdu_is_read_back() {
        let mut payload = Vec::new();
        switch().emit(&mut payload);
        let r = run(&payload);
        let desc = "Cisco IOS Software, C2960X Software, Version 15.2(7)E8";
        assert_eq!(
            facts(&r.obs),
            vec![
                ("client", "lldp.chassis_id", "00:1b:6f:01:02:03".into()),
                ("client", "lldp.port_id", "Gi1/0/12".into()),
                (
                    "client",
                    "lldp.port_description",
                    "ICU bed 12 monitor".into()
                ),
                ("client", "lldp.system_name", "icu-sw-02".into()),
                ("client", "lldp.system_description", desc.into()),
                ("client", "lldp.capabilities", "bridge,router".into()),
                ("client", "lldp.capabilities_enabled", "bridge".into()),
                ("client", "lldp.management_address", "10.20.0.2".into()),
            ]
        );
        assert_eq!(
            software(&r.obs),
            vec![("client", "Cisco IOS".into(), Some("15.2(7)E8".into()))]
        );
        assert!(anomalies(&r.obs).is_empty(), "{:?}", anomalies(&r.obs));
        let e = r.event();
        assert_eq!(
            e["chassis_id"],
            json!({"subtype": "mac_address", "id": "00:1b:6f:01:02:03"})
        );
        assert_eq!(
            e["port_id"],
            json!({"subtype": "interface_name", "id": "Gi1/0/12"})
        );
        assert_eq!(e["ttl"], 120);
        assert_eq!(
            e["management_addresses"],
            json!([{"subtype": "ipv4", "address": "10.20.0.2",
                    "interface_subtype": "if_index", "interface_number": 1012}])
        );
    }

    #[test]
    fn minimal_lldpdu_with_a_mac_port_id_is_read_back() {
        let du = Lldpdu {
            chassis_mac: [0x00, 0x09, 0xfb, 0xaa, 0xbb, 0xcc],
            port_id: PortId::Mac([0x00, 0x09, 0xfb, 0xaa, 0xbb, 0xcd]),
            ttl: 0,
            port_description: None,
            system_name: None,
            system_description: None,
            capabilities: None,
            management_address: None,
        };
        let mut payload = Vec::new();
        du.emit(&mut payload);
        // §8.5.2–§8.5.4 and §8.5.1, byte for byte.
        assert_eq!(
            payload,
            [
                &[0x02, 0x07, 0x04][..],               // Chassis ID, length 7, MAC
                &[0x00, 0x09, 0xfb, 0xaa, 0xbb, 0xcc], //
                &[0x04, 0x07, 0x03],                   // Port ID, length 7, MAC
                &[0x00, 0x09, 0xfb, 0xaa, 0xbb, 0xcd], //
                &[0x06, 0x02, 0x00, 0x00],             // TTL 0
                &[0x00, 0x00],                         // End
            ]
            .concat()
        );
        let r = run(&payload);
        assert_eq!(fact(&r.obs, "lldp.chassis_id"), Some("00:09:fb:aa:bb:cc"));
        assert_eq!(fact(&r.obs, "lldp.port_id"), Some("00:09:fb:aa:bb:cd"));
        assert_eq!(r.event()["ttl"], 0);
        assert!(anomalies(&r.obs).is_empty());
    }

    #[test]
    fn long_strings_are_cut_to_one_tlv() {
        let long = "é".repeat(200); // 400 bytes
        let du = Lldpdu {
            system_description: Some(&long),
            port_id: PortId::InterfaceName(""),
            ..switch()
        };
        let mut payload = Vec::new();
        du.emit(&mut payload);
        let r = run(&payload);
        assert!(anomalies(&r.obs).is_empty(), "{:?}", anomalies(&r.obs));
        // 127 two-byte characters: 254 bytes, the longest whole prefix within 255.
        assert_eq!(r.event()["system_description"], "é".repeat(127));
        assert_eq!(fact(&r.obs, "lldp.port_id"), Some(" "));
    }

    #[test]
    fn ethernet_header_is_nearest_bridge_and_ethertype() {
        let mut h = Vec::new();
        ethernet_header([2, 0, 0, 0, 0, 1], &mut h);
        assert_eq!(
            h,
            [
                0x01, 0x80, 0xc2, 0x00, 0x00, 0x0e, 2, 0, 0, 0, 0, 1, 0x88, 0xcc
            ]
        );
        assert_eq!(link_destination(), (NEAREST_BRIDGE, 0x88cc));
    }
}
