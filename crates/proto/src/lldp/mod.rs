//! LLDP, the Link Layer Discovery Protocol (IEEE 802.1AB-2016): a link-layer frame
//! (EtherType 0x88cc) in which a device announces itself to its neighbours. Not a flow: the
//! sensor calls [`observe`] once per frame, with `out` built on a flow whose client endpoint
//! is the frame's source MAC. Everything in the frame describes the sender, so every fact
//! and software observation is about [`Side::Client`].
//!
//! Read: the mandatory Chassis ID, Port ID and TTL TLVs (§8.5.2–§8.5.4, which must come first
//! and in that order), Port Description, System Name, System Description, System
//! Capabilities and Management Address (§8.5.5–§8.5.9), and of the organizationally specific
//! TLVs (§8.6) IEEE 802.1's Port VLAN ID (802.1Q-2018 §D.2.1), LLDP-MED capabilities and
//! inventory (ANSI/TIA-1057 §10.2.2, §10.2.6) and the MUD URL (RFC 8520 §10). Parsing is in
//! `tlv.rs`.
//!
//! Limits: 64 TLVs per frame (the rest counted as `lldp_tlvs_dropped`), 16 management
//! addresses (`lldp_addresses_dropped`), strings as wire text (256 bytes).
//!
//! Anomalies: `lldp_truncated_tlv` (a TLV runs past the frame: reading stops),
//! `lldp_bad_tlv_order` (the first three TLVs are not Chassis ID, Port ID, TTL),
//! `lldp_duplicate_tlv` (a second Chassis ID, Port ID or TTL), `lldp_bad_tlv_length` (a TLV
//! too short for its fixed fields: skipped). Counter `messages`: frames read.
//!
//! # Facts
//! All about the sender (client side):
//! - `lldp.chassis_id`: the Chassis ID (a MAC as `aa:bb:cc:dd:ee:ff`, a network address as
//!   an IP, other subtypes as text, or hex when binary).
//! - `lldp.port_id`: the Port ID, formatted the same way.
//! - `lldp.port_description`: the Port Description.
//! - `lldp.system_name`: the System Name (usually the host name).
//! - `lldp.system_description`: the System Description (lines joined by spaces).
//! - `lldp.capabilities`: the system capabilities, comma-separated names (`other`,
//!   `repeater`, `bridge`, `wlan_ap`, `router`, `telephone`, `docsis`, `station`, `c_vlan`,
//!   `s_vlan`, `two_port_mac_relay`).
//! - `lldp.capabilities_enabled`: the enabled capabilities, the same names.
//! - `lldp.management_address`: each management address (IPv4, IPv6, or MAC for 802).
//! - `lldp.vlan_id`: the Port VLAN ID (when not 0).
//! - `lldp.med_device_class`: the LLDP-MED device type (`endpoint_class_1` … `_3`,
//!   `network_connectivity`).
//! - `lldp.med_hardware_revision`, `lldp.med_firmware_revision`,
//!   `lldp.med_software_revision`, `lldp.med_serial_number`, `lldp.med_manufacturer`,
//!   `lldp.med_model_name`, `lldp.med_asset_id`: the LLDP-MED inventory strings.
//! - `lldp.mud_url`: the MUD URL (RFC 8520), naming the manufacturer's device profile.
//!
//! Software: from the System Description — product and version when recognised (Cisco's
//! "… Version X, …", "Name - Version X", "Name, revision X", "Name X.Y.Z", "Name vX.Y"),
//! else its first words as the product; raw is the description.
//!
//! # Event
//! One `lldp` object per frame:
//! `chassis_id` {`subtype` (`mac_address`, `network_address`, `interface_name`, `local`, …),
//! `id`}, `port_id` {`subtype`, `id`}, `ttl`, `port_description`, `system_name`,
//! `system_description`, `capabilities` and `enabled_capabilities` (arrays of names),
//! `management_addresses` (array of {`subtype` (`ipv4`, `ipv6`, `ieee802`, `other`),
//! `address`, `interface_subtype` (`if_index`, `system_port_number`, `unknown`),
//! `interface_number`}), `vlan_id`, `med` {`capabilities`, `device_class`,
//! `hardware_revision`, `firmware_revision`, `software_revision`, `serial_number`,
//! `manufacturer`, `model_name`, `asset_id`}, `mud_url`. Absent TLVs are absent keys.

#[cfg(test)]
mod tests;
pub(crate) mod tlv;

use model::Side;
use serde_json::{Map, Value};

use crate::out::{Out, text_value};

use tlv::{IdKind, Lldpdu};

/// Reads one LLDP frame's payload (the bytes after EtherType 0x88cc) and writes what it
/// says about the sender: facts, software, anomalies, the `messages` counter and one `lldp`
/// event. Never panics; reads at most 64 TLVs.
pub fn observe(payload: &[u8], out: &mut Out<'_>) {
    out.count("messages");
    let du = tlv::parse(payload);
    let p = du.problems;
    if p.truncated_tlv {
        out.anomaly("lldp_truncated_tlv");
    }
    if p.bad_order {
        out.anomaly("lldp_bad_tlv_order");
    }
    if p.duplicate_tlv {
        out.anomaly("lldp_duplicate_tlv");
    }
    if p.bad_tlv_length {
        out.anomaly("lldp_bad_tlv_length");
    }
    for _ in 0..p.dropped_tlvs {
        out.count("lldp_tlvs_dropped");
    }
    for _ in 0..p.dropped_addresses {
        out.count("lldp_addresses_dropped");
    }

    let side = Side::Client;
    if let Some(id) = du.chassis_id {
        out.fact_text(side, "lldp.chassis_id", &id.text(IdKind::Chassis));
    }
    if let Some(id) = du.port_id {
        out.fact_text(side, "lldp.port_id", &id.text(IdKind::Port));
    }
    if let Some(v) = du.port_description {
        out.fact(side, "lldp.port_description", v);
    }
    if let Some(v) = du.system_name {
        out.fact(side, "lldp.system_name", v);
    }
    if let Some(desc) = du.system_description {
        let line = tlv::one_line(desc);
        out.fact(side, "lldp.system_description", &line);
        if let Some((product, version)) = tlv::software_of(desc, true) {
            out.software(side, product, version, &line);
        }
    }
    if let Some((system, enabled)) = du.capabilities {
        let names = |bits| tlv::capability_names(bits).collect::<Vec<_>>().join(",");
        out.fact_text(side, "lldp.capabilities", &names(system));
        out.fact_text(side, "lldp.capabilities_enabled", &names(enabled));
    }
    for a in &du.management_addresses {
        out.fact_text(
            side,
            "lldp.management_address",
            &tlv::address_text(a.subtype, a.address),
        );
    }
    if let Some(vlan) = du.vlan_id.filter(|&v| v != 0) {
        // 802.1Q-2018 §D.2.1.1: PVID 0 means the port is not VLAN-aware.
        out.fact_text(side, "lldp.vlan_id", &vlan.to_string());
    }
    let med = &du.med;
    if let Some((_, class)) = med.capabilities.filter(|&(_, c)| (1..=4).contains(&c)) {
        out.fact_text(side, "lldp.med_device_class", tlv::med_class_name(class));
    }
    for (key, _, value) in med_strings(&du) {
        if let Some(v) = value {
            out.fact(side, key, v);
        }
    }
    if let Some(url) = du.mud_url {
        out.fact(side, "lldp.mud_url", url);
    }

    if out.events_enabled() {
        out.event(event(&du));
    }
}

/// An LLDP-MED inventory string: fact key, event field, value.
type MedString<'a> = (&'static str, &'static str, Option<&'a [u8]>);

/// The LLDP-MED inventory strings with their fact key and event field.
fn med_strings<'a>(du: &Lldpdu<'a>) -> [MedString<'a>; 7] {
    let m = du.med;
    [
        (
            "lldp.med_hardware_revision",
            "hardware_revision",
            m.hardware_revision,
        ),
        (
            "lldp.med_firmware_revision",
            "firmware_revision",
            m.firmware_revision,
        ),
        (
            "lldp.med_software_revision",
            "software_revision",
            m.software_revision,
        ),
        ("lldp.med_serial_number", "serial_number", m.serial_number),
        ("lldp.med_manufacturer", "manufacturer", m.manufacturer),
        ("lldp.med_model_name", "model_name", m.model_name),
        ("lldp.med_asset_id", "asset_id", m.asset_id),
    ]
}

/// The `lldp` event object (see the module doc).
fn event(du: &Lldpdu<'_>) -> Map<String, Value> {
    let mut o = Map::new();
    let names = |it: &mut dyn Iterator<Item = &'static str>| {
        Value::Array(it.map(|n| Value::String(n.into())).collect())
    };
    for (key, id, kind) in [
        ("chassis_id", du.chassis_id, IdKind::Chassis),
        ("port_id", du.port_id, IdKind::Port),
    ] {
        if let Some(id) = id {
            let mut m = Map::new();
            m.insert("subtype".into(), id.subtype_name(kind).into());
            m.insert("id".into(), id.text(kind).into());
            o.insert(key.into(), Value::Object(m));
        }
    }
    if let Some(ttl) = du.ttl {
        o.insert("ttl".into(), ttl.into());
    }
    for (key, value) in [
        ("port_description", du.port_description),
        ("system_name", du.system_name),
    ] {
        if let Some(v) = value {
            o.insert(key.into(), text_value(v));
        }
    }
    if let Some(desc) = du.system_description {
        o.insert(
            "system_description".into(),
            text_value(&tlv::one_line(desc)),
        );
    }
    if let Some((system, enabled)) = du.capabilities {
        o.insert(
            "capabilities".into(),
            names(&mut tlv::capability_names(system)),
        );
        o.insert(
            "enabled_capabilities".into(),
            names(&mut tlv::capability_names(enabled)),
        );
    }
    if !du.management_addresses.is_empty() {
        let list = du
            .management_addresses
            .iter()
            .map(|a| {
                let mut m = Map::new();
                m.insert("subtype".into(), tlv::family_name(a.subtype).into());
                m.insert(
                    "address".into(),
                    tlv::address_text(a.subtype, a.address).into(),
                );
                m.insert(
                    "interface_subtype".into(),
                    tlv::interface_subtype_name(a.interface_subtype).into(),
                );
                m.insert("interface_number".into(), a.interface_number.into());
                Value::Object(m)
            })
            .collect();
        o.insert("management_addresses".into(), Value::Array(list));
    }
    if let Some(vlan) = du.vlan_id {
        o.insert("vlan_id".into(), vlan.into());
    }
    if !du.med.is_empty() {
        let mut m = Map::new();
        if let Some((bits, class)) = du.med.capabilities {
            m.insert(
                "capabilities".into(),
                names(&mut tlv::med_capability_names(bits)),
            );
            m.insert("device_class".into(), tlv::med_class_name(class).into());
        }
        for (_, field, value) in med_strings(du) {
            if let Some(v) = value {
                m.insert(field.into(), text_value(v));
            }
        }
        o.insert("med".into(), Value::Object(m));
    }
    if let Some(url) = du.mud_url {
        o.insert("mud_url".into(), text_value(url));
    }
    o
}

/// Fuzz entry (`fuzz/fuzz_targets/proto_lldp.rs`): runs `data` as one LLDP payload through
/// [`observe`] on a dummy flow, with events on. Not part of the API.
#[doc(hidden)]
pub fn fuzz(data: &[u8]) {
    crate::fuzzing::link_frame("lldp", 0x88cc, data, observe);
}
