//! CDP, the Cisco Discovery Protocol (versions 1 and 2): a link-layer frame (IEEE 802.3 with
//! an LLC/SNAP header, OUI 00-00-0C, protocol id 0x2000, sent to 01:00:0c:cc:cc:cc) in which
//! Cisco switches, routers, access points and IP phones announce themselves. Not a flow: the
//! sensor calls [`observe`] once per frame, with `out` built on a flow whose client endpoint
//! is the frame's source MAC. Everything in the frame describes the sender, so every fact
//! and software observation is about [`Side::Client`].
//!
//! Read: the header (version, TTL, checksum — not verified) and the TLVs Device ID (0x0001),
//! Addresses (0x0002), Port ID (0x0003), Capabilities (0x0004), Software Version (0x0005),
//! Platform (0x0006), Native VLAN (0x000a), Duplex (0x000b), MTU (0x0011), System Name
//! (0x0014) and Management Addresses (0x0016). Parsing is in `tlv.rs`.
//!
//! Limits: 64 TLVs per frame (the rest counted as `cdp_tlvs_dropped`), 16 addresses
//! (`cdp_addresses_dropped`), strings as wire text (256 bytes).
//!
//! Anomalies: `cdp_truncated_header` (under 4 bytes), `cdp_bad_version` (not 1 or 2: the
//! TLVs are read all the same), `cdp_truncated_tlv` (a TLV runs past the frame: reading
//! stops), `cdp_bad_tlv_length` (a TLV length under 4: reading stops), `cdp_short_tlv` (a
//! fixed-size TLV too short: skipped), `cdp_truncated_address` (an Addresses TLV ends before
//! its addresses). Counter `messages`: frames read.
//!
//! # Facts
//! All about the sender (client side):
//! - `cdp.device_id`: the Device ID (host name, or a serial/MAC-based id on phones).
//! - `cdp.port_id`: the interface the frame was sent on ("GigabitEthernet0/5", "Port 1").
//! - `cdp.platform`: the hardware model ("cisco WS-C2960-24TT-L", "Cisco IP Phone 7945").
//! - `cdp.software_version`: the first line of the Software Version.
//! - `cdp.system_name`: the System Name TLV.
//! - `cdp.capabilities`: comma-separated names of the capability bits set (`router`,
//!   `tb_bridge`, `sr_bridge`, `switch`, `host`, `igmp`, `repeater`, `voip_phone`,
//!   `remotely_managed`, `cvta`, `two_port_mac_relay`).
//! - `cdp.address`: each IPv4/IPv6 address of the Addresses TLV (0.0.0.0 and :: left out).
//! - `cdp.management_address`: each IPv4/IPv6 address of the Management Addresses TLV.
//! - `cdp.native_vlan`: the native VLAN of the sending port.
//!
//! Software: from the Software Version — "Cisco IOS" (or "Cisco IOS XE", "Cisco NX-OS") with
//! the token after "Version " ("12.2(50)SE5"), or another product when the first line reads
//! "Name … Version X" / "Name X.Y.Z"; raw is the text with its lines joined by spaces.
//!
//! # Event
//! One `cdp` object per frame: `version`, `ttl`, `device_id`, `port_id`, `platform`,
//! `software_version` (lines joined by spaces), `system_name`, `capabilities` (array of
//! names), `addresses` and `management_addresses` (arrays of IP text; other protocols as
//! `{"protocol_type", "protocol", "address"}` in hex), `native_vlan`, `duplex` (`half`,
//! `full`, `unknown`), `mtu`. Absent TLVs are absent keys.

#[cfg(test)]
mod tests;
pub(crate) mod tlv;

use model::Side;
use serde_json::{Map, Value};

use crate::lldp::tlv::{hex, one_line, software_of};
use crate::out::{Out, text_value};

use tlv::{AddressSource, Cdp};

/// Reads one CDP frame's payload (the bytes after the 8-byte LLC/SNAP header) and writes what
/// it says about the sender: facts, software, anomalies, the `messages` counter and one
/// `cdp` event. Never panics; reads at most 64 TLVs and 16 addresses.
pub fn observe(payload: &[u8], out: &mut Out<'_>) {
    out.count("messages");
    let cdp = tlv::parse(payload);
    let p = cdp.problems;
    for (hit, name) in [
        (p.truncated_header, "cdp_truncated_header"),
        (p.bad_version, "cdp_bad_version"),
        (p.truncated_tlv, "cdp_truncated_tlv"),
        (p.bad_tlv_length, "cdp_bad_tlv_length"),
        (p.short_tlv, "cdp_short_tlv"),
        (p.truncated_address, "cdp_truncated_address"),
    ] {
        if hit {
            out.anomaly(name);
        }
    }
    for _ in 0..p.dropped_tlvs {
        out.count("cdp_tlvs_dropped");
    }
    for _ in 0..p.dropped_addresses {
        out.count("cdp_addresses_dropped");
    }
    if p.truncated_header {
        return;
    }

    let side = Side::Client;
    for (key, value) in [
        ("cdp.device_id", cdp.device_id),
        ("cdp.port_id", cdp.port_id),
        ("cdp.platform", cdp.platform),
        ("cdp.system_name", cdp.system_name),
    ] {
        if let Some(v) = value {
            out.fact(side, key, v);
        }
    }
    if let Some(sw) = cdp.software_version {
        out.fact(side, "cdp.software_version", tlv::first_line(sw));
        if let Some((product, version)) = software_of(sw, false) {
            out.software(side, product, version, &one_line(sw));
        }
    }
    if let Some(bits) = cdp.capabilities {
        let names = tlv::capability_names(bits).collect::<Vec<_>>().join(",");
        out.fact_text(side, "cdp.capabilities", &names);
    }
    for (source, a) in &cdp.addresses {
        let Some(ip) = a.ip().filter(|ip| !ip.is_unspecified()) else {
            continue;
        };
        let key = match source {
            AddressSource::Interface => "cdp.address",
            AddressSource::Management => "cdp.management_address",
        };
        out.fact_text(side, key, &ip.to_string());
    }
    if let Some(vlan) = cdp.native_vlan {
        out.fact_text(side, "cdp.native_vlan", &vlan.to_string());
    }

    if out.events_enabled() {
        out.event(event(&cdp));
    }
}

/// The `cdp` event object (see the module doc).
fn event(cdp: &Cdp<'_>) -> Map<String, Value> {
    let mut o = Map::new();
    o.insert("version".into(), cdp.version.into());
    o.insert("ttl".into(), cdp.ttl.into());
    for (key, value) in [
        ("device_id", cdp.device_id),
        ("port_id", cdp.port_id),
        ("platform", cdp.platform),
        ("system_name", cdp.system_name),
    ] {
        if let Some(v) = value {
            o.insert(key.into(), text_value(v));
        }
    }
    if let Some(sw) = cdp.software_version {
        o.insert("software_version".into(), text_value(&one_line(sw)));
    }
    if let Some(bits) = cdp.capabilities {
        let names = tlv::capability_names(bits).map(|n| Value::String(n.into()));
        o.insert("capabilities".into(), Value::Array(names.collect()));
    }
    for (key, source) in [
        ("addresses", AddressSource::Interface),
        ("management_addresses", AddressSource::Management),
    ] {
        let list: Vec<Value> = cdp
            .addresses
            .iter()
            .filter(|(s, _)| *s == source)
            .map(|(_, a)| match a.ip() {
                Some(ip) => Value::String(ip.to_string()),
                None => {
                    let mut m = Map::new();
                    m.insert("protocol_type".into(), a.protocol_type.into());
                    m.insert("protocol".into(), hex(a.protocol).into());
                    m.insert("address".into(), hex(a.address).into());
                    Value::Object(m)
                }
            })
            .collect();
        if !list.is_empty() {
            o.insert(key.into(), Value::Array(list));
        }
    }
    if let Some(vlan) = cdp.native_vlan {
        o.insert("native_vlan".into(), vlan.into());
    }
    if let Some(duplex) = cdp.duplex {
        let d = match duplex {
            0 => "half",
            1 => "full",
            _ => "unknown",
        };
        o.insert("duplex".into(), d.into());
    }
    if let Some(mtu) = cdp.mtu {
        o.insert("mtu".into(), mtu.into());
    }
    o
}

/// Fuzz entry (`fuzz/fuzz_targets/proto_cdp.rs`): runs `data` as one CDP payload through
/// [`observe`] on a dummy flow, with events on. Not part of the API.
#[doc(hidden)]
pub fn fuzz(data: &[u8]) {
    crate::fuzzing::link_frame("cdp", 0x2000, data, observe);
}
