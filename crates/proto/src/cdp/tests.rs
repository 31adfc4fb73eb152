//! CDP fixtures: frames from the corpus (payload after the 8-byte LLC/SNAP header, each file
//! named at its fixture, expected values taken from tshark 4.0's decode of that frame),
//! hand-built annotated frames (an IP phone), and truncated, oversized and hostile inputs.
//! TLV types and layouts as Cisco documents CDP and Wireshark's packet-cdp.c decodes it.

use serde_json::json;

use super::*;
use crate::testing::{LinkRun, anomalies, fact, facts, hex_parts, run_link, software};

/// What one frame produced.
fn run(payload: &[u8]) -> LinkRun {
    run_link(0x2000, "cdp", payload, observe)
}

/// tcpdump/tests/3560_CDP.pcap, frame 1 (a Catalyst 3560G), the payload after the LLC/SNAP
/// header (AA AA 03, OUI 00-00-0C, PID 0x2000).
const C3560: &[&str] = &[
    "02",                                                               // version 2
    "b4",                                                               // TTL 180 s
    "b0bd",                                                             // checksum
    "0001000a",     // Device ID (0x0001), length 10
    "537769746368", // "Switch"
    "000500c4",     // Software Version (0x0005), length 196, three lines
    "436973636f20494f5320536f6674776172652c20433335363020536f66747761", // Cisco IOS Software, C3560 Softwa
    "7265202843333536302d414456495053455256494345534b392d4d292c205665", // re (C3560-ADVIPSERVICESK9-M), Ve
    "7273696f6e2031322e3228323529534542342c2052454c4541534520534f4654", // rsion 12.2(25)SEB4, RELEASE SOFT
    "574152452028666331290a436f707972696768742028632920313938362d3230", // WARE (fc1)\nCopyright (c) 1986-20
    "303520627920436973636f2053797374656d732c20496e632e0a436f6d70696c", // 05 by Cisco Systems, Inc.\nCompil
    "6564205475652033302d4175672d30352031373a35362062792079656e616e68", // ed Tue 30-Aug-05 17:56 by yenanh
    "00060018",                                 // Platform (0x0006), length 24
    "636973636f2057532d4333353630472d32345053", // "cisco WS-C3560G-24PS"
    "00020011",                                 // Addresses (0x0002), length 17
    "00000001",                                 // number of addresses: 1
    "01",                                       // protocol type 1: NLPID
    "01",                                       // protocol length 1
    "cc",                                       // protocol: NLPID 0xcc, IP
    "0004",                                     // address length 4
    "c0a80001",                                 // 192.168.0.1
    "00030016",                                 // Port ID (0x0003), length 22
    "4769676162697445746865726e6574302f35",     // "GigabitEthernet0/5"
    "00040008",                                 // Capabilities (0x0004), length 8
    "00000028",                                 // switch (0x08), IGMP (0x20)
    "00080024", // Protocol Hello (0x0008), length 36: cluster management, not kept
    "00000c011200000000ffffffff010221ff000000000000001906eab880ff0000",
    "00090007", // VTP Management Domain (0x0009), length 7: not kept
    "4c6162",   // "Lab"
    "000a0006", // Native VLAN (0x000a), length 6
    "0001",     // VLAN 1
    "000b0005", // Duplex (0x000b), length 5
    "01",       // full
    "00120005", // Trust Bitmap (0x0012), length 5
    "00",
    "00130005", // Untrusted Port CoS (0x0013), length 5
    "00",
    "00160011", // Management Addresses (0x0016), length 17
    "00000001", // number of addresses: 1
    "0101cc",   // NLPID, length 1, IP
    "0004",     // address length 4
    "c0a80001", // 192.168.0.1
    "001a0010", // Power Available (0x001a), length 16: not kept
    "0000000100000000ffffffff",
];

#[test]
fn catalyst_frame_matches_tshark() {
    // Expected values from `tshark -r tcpdump/tests/3560_CDP.pcap -Y frame.number==1
    // -T fields -e cdp.version -e cdp.ttl -e cdp.deviceid -e cdp.portid -e cdp.platform
    // -e cdp.software_version -e cdp.capabilities -e cdp.nrgyz.ip_address -e cdp.native_vlan
    // -e cdp.duplex`: 2 | 180 | Switch | GigabitEthernet0/5 | cisco WS-C3560G-24PS |
    // Cisco IOS Software, C3560 Software (C3560-ADVIPSERVICESK9-M), Version 12.2(25)SEB4,
    // RELEASE SOFTWARE (fc1),Copyright (c) 1986-2005 by Cisco Systems, Inc.,Compiled Tue
    // 30-Aug-05 17:56 by yenanh | 0x00000028 | 192.168.0.1,192.168.0.1 | 1 | 1
    let r = run(&hex_parts(C3560));
    let line = "Cisco IOS Software, C3560 Software (C3560-ADVIPSERVICESK9-M), Version \
                12.2(25)SEB4, RELEASE SOFTWARE (fc1)";
    assert_eq!(
        facts(&r.obs),
        vec![
            ("client", "cdp.device_id", "Switch".into()),
            ("client", "cdp.port_id", "GigabitEthernet0/5".into()),
            ("client", "cdp.platform", "cisco WS-C3560G-24PS".into()),
            ("client", "cdp.software_version", line.into()),
            ("client", "cdp.capabilities", "switch,igmp".into()),
            ("client", "cdp.address", "192.168.0.1".into()),
            ("client", "cdp.management_address", "192.168.0.1".into()),
            ("client", "cdp.native_vlan", "1".into()),
        ]
    );
    assert_eq!(
        software(&r.obs),
        vec![("client", "Cisco IOS".into(), Some("12.2(25)SEB4".into()))]
    );
    assert!(anomalies(&r.obs).is_empty());
    assert_eq!(r.counter("messages"), 1);
    let e = r.event();
    assert_eq!(e["version"], 2);
    assert_eq!(e["ttl"], 180);
    assert_eq!(e["device_id"], "Switch");
    assert_eq!(e["capabilities"], json!(["switch", "igmp"]));
    assert_eq!(e["addresses"], json!(["192.168.0.1"]));
    assert_eq!(e["management_addresses"], json!(["192.168.0.1"]));
    assert_eq!(e["native_vlan"], 1);
    assert_eq!(e["duplex"], "full");
    let sw = e["software_version"].as_str().unwrap();
    assert!(sw.contains("(fc1) Copyright (c) 1986-2005"), "{sw}");
    assert!(!sw.contains('\u{fffd}'), "{sw}");
}

/// zeek/testing/btest/Traces/cdp-v1.pcap, frame 1 (a Cisco 1601 router speaking CDP v1).
const V1: &[&str] = &[
    "01",                                                               // version 1
    "b4",                                                               // TTL 180 s
    "dff0",                                                             // checksum
    "00010006",           // Device ID (0x0001), length 6
    "5231",               // "R1"
    "00020011",           // Addresses (0x0002), length 17
    "00000001",           // number of addresses: 1
    "0101cc",             // NLPID, length 1, IP
    "0004",               // address length 4
    "c0a80a01",           // 192.168.10.1
    "0003000d",           // Port ID (0x0003), length 13
    "45746865726e657430", // "Ethernet0"
    "00040008",           // Capabilities (0x0004), length 8
    "00000001",           // router
    "000500d8",           // Software Version (0x0005), length 216, four lines
    "436973636f20496e7465726e6574776f726b204f7065726174696e6720537973", // Cisco Internetwork Operating Sys
    "74656d20536f667477617265200a494f532028746d29203136303020536f6674", // tem Software \nIOS (tm) 1600 Soft
    "77617265202843313630302d4e592d4c292c2056657273696f6e2031312e3228", // ware (C1600-NY-L), Version 11.2(
    "313229502c2052454c4541534520534f4654574152452028666331290a436f70", // 12)P, RELEASE SOFTWARE (fc1)\nCop
    "7972696768742028632920313938362d3139393820627920636973636f205379", // yright (c) 1986-1998 by cisco Sy
    "7374656d732c20496e632e0a436f6d70696c6564205475652030332d4d61722d", // stems, Inc.\nCompiled Tue 03-Mar-
    "39382030363a3333206279206473636877617274",                         // 98 06:33 by dschwart
    "0006000e",             // Platform (0x0006), length 14
    "636973636f2031363031", // "cisco 1601"
];

#[test]
fn version_1_router_matches_tshark() {
    // tshark on zeek/testing/btest/Traces/cdp-v1.pcap frame 1 (fields as above): 1 | 180 | R1
    // | Ethernet0 | cisco 1601 | Cisco Internetwork Operating System Software ,IOS (tm) 1600
    // Software (C1600-NY-L), Version 11.2(12)P, … | 0x00000001 | 192.168.10.1
    let r = run(&hex_parts(V1));
    assert_eq!(fact(&r.obs, "cdp.device_id"), Some("R1"));
    assert_eq!(fact(&r.obs, "cdp.port_id"), Some("Ethernet0"));
    assert_eq!(fact(&r.obs, "cdp.platform"), Some("cisco 1601"));
    assert_eq!(fact(&r.obs, "cdp.capabilities"), Some("router"));
    assert_eq!(fact(&r.obs, "cdp.address"), Some("192.168.10.1"));
    // The first line only (the version is on the second line here).
    assert_eq!(
        fact(&r.obs, "cdp.software_version"),
        Some("Cisco Internetwork Operating System Software")
    );
    assert_eq!(
        software(&r.obs),
        vec![("client", "Cisco IOS".into(), Some("11.2(12)P".into()))]
    );
    assert_eq!(r.event()["version"], 1);
    assert!(anomalies(&r.obs).is_empty());
}

/// A hand-built CDP v2 frame from a Cisco IP phone.
fn phone() -> Vec<u8> {
    hex_parts(&[
        "02",
        "b4",
        "0000",                                 // version 2, TTL 180, checksum (not verified)
        "00010013",                             // Device ID, length 19
        "534550303031313232333341414242",       // "SEP00112233AABB"
        "0003000a",                             // Port ID, length 10
        "506f72742031",                         // "Port 1"
        "00040008",                             // Capabilities, length 8
        "00000490", // host (0x10), VoIP phone (0x80), two-port MAC relay (0x400)
        "00050016", // Software Version, length 22
        "5343435034352e392d342d325352312d3253", // "SCCP45.9-4-2SR1-2S"
        "00060017", // Platform, length 23
        "436973636f2049502050686f6e652037393435", // "Cisco IP Phone 7945"
        "0002002d", // Addresses, length 45
        "00000002", // number of addresses: 2
        "0101cc",
        "0004",
        "0a140305", // NLPID IP: 10.20.3.5
        "02",
        "08",
        "aaaa0300000086dd", // 802.2, length 8, SNAP EtherType 0x86dd: IPv6
        "0010",
        "fe800000000000000211 22fffe33aabb", // fe80::211:22ff:fe33:aabb
        "000e0007",                          // Appliance VLAN-ID (0x000e), length 7: not kept
        "010064",
        "00110008", // MTU (0x0011), length 8
        "000005dc", // 1500
        "000b0005", // Duplex, length 5
        "00",       // half
    ])
}

#[test]
fn ip_phone_frame() {
    let r = run(&phone());
    assert_eq!(
        facts(&r.obs),
        vec![
            ("client", "cdp.device_id", "SEP00112233AABB".into()),
            ("client", "cdp.port_id", "Port 1".into()),
            ("client", "cdp.platform", "Cisco IP Phone 7945".into()),
            (
                "client",
                "cdp.software_version",
                "SCCP45.9-4-2SR1-2S".into()
            ),
            (
                "client",
                "cdp.capabilities",
                "host,voip_phone,two_port_mac_relay".into()
            ),
            ("client", "cdp.address", "10.20.3.5".into()),
            ("client", "cdp.address", "fe80::211:22ff:fe33:aabb".into()),
        ]
    );
    // A phone load name has no "Version": no software guessed from it.
    assert!(software(&r.obs).is_empty());
    let e = r.event();
    assert_eq!(
        e["addresses"],
        json!(["10.20.3.5", "fe80::211:22ff:fe33:aabb"])
    );
    assert_eq!(e["mtu"], 1500);
    assert_eq!(e["duplex"], "half");
    assert!(anomalies(&r.obs).is_empty());
}

/// The CDP header: version 2, TTL 180, checksum.
const HEADER: &str = "02b40000";

fn frame(tlvs: &[&str]) -> Vec<u8> {
    let mut v = hex_parts(&[HEADER]);
    v.extend(hex_parts(tlvs));
    v
}

#[test]
fn tlv_length_zero_stops_reading() {
    let r = run(&frame(&[
        "00010006", "5231",     // Device ID "R1"
        "00060000", // Platform, length 0: below the 4-byte header
        "00030006", "6530", // Port ID "e0": never read
    ]));
    assert_eq!(anomalies(&r.obs), vec!["cdp_bad_tlv_length"]);
    assert_eq!(r.counter("cdp_bad_tlv_length"), 1);
    assert_eq!(fact(&r.obs, "cdp.device_id"), Some("R1"));
    assert_eq!(fact(&r.obs, "cdp.port_id"), None);
}

#[test]
fn tlv_length_two_stops_reading() {
    let r = run(&frame(&["00010002", "00030006", "6530"]));
    assert_eq!(anomalies(&r.obs), vec!["cdp_bad_tlv_length"]);
    assert!(facts(&r.obs).is_empty());
}

#[test]
fn tlv_length_65535_is_truncated() {
    let r = run(&frame(&["00010006", "5231", "0005ffff", "436973636f"]));
    assert_eq!(anomalies(&r.obs), vec!["cdp_truncated_tlv"]);
    assert_eq!(r.counter("cdp_truncated_tlv"), 1);
    assert_eq!(fact(&r.obs, "cdp.device_id"), Some("R1"));
    assert_eq!(fact(&r.obs, "cdp.software_version"), None);
}

#[test]
fn tlv_header_cut_is_truncated() {
    let r = run(&frame(&["00010006", "5231", "0003"]));
    assert_eq!(anomalies(&r.obs), vec!["cdp_truncated_tlv"]);
}

#[test]
fn header_shorter_than_four_bytes() {
    for payload in [&[][..], &[2], &[2, 180, 0]] {
        let r = run(payload);
        assert_eq!(anomalies(&r.obs), vec!["cdp_truncated_header"]);
        assert!(r.events.is_empty());
        assert_eq!(r.counter("messages"), 1);
    }
    // A bare header is a (useless) packet.
    let r = run(&hex_parts(&[HEADER]));
    assert!(anomalies(&r.obs).is_empty());
    assert_eq!(r.event()["ttl"], 180);
}

#[test]
fn unknown_version_is_an_anomaly_and_tlvs_are_read() {
    let r = run(&hex_parts(&["03b40000", "00010006", "5231"]));
    assert_eq!(anomalies(&r.obs), vec!["cdp_bad_version"]);
    assert_eq!(fact(&r.obs, "cdp.device_id"), Some("R1"));
}

#[test]
fn all_capability_bits_set() {
    let r = run(&frame(&["00040008", "ffffffff"]));
    assert_eq!(
        fact(&r.obs, "cdp.capabilities"),
        Some(
            "router,tb_bridge,sr_bridge,switch,host,igmp,repeater,voip_phone,remotely_managed,\
             cvta,two_port_mac_relay"
        )
    );
}

#[test]
fn short_fixed_size_tlvs_are_skipped() {
    let r = run(&frame(&[
        "00040006", "0000", // Capabilities with 2 of its 4 bytes
        "000a0005", "01",       // Native VLAN with 1 of its 2 bytes
        "000b0004", // Duplex with no byte
        "00010006", "5231", // Device ID "R1": still read
    ]));
    assert_eq!(anomalies(&r.obs), vec!["cdp_short_tlv"]);
    assert_eq!(fact(&r.obs, "cdp.device_id"), Some("R1"));
    assert_eq!(fact(&r.obs, "cdp.native_vlan"), None);
}

#[test]
fn address_count_larger_than_the_addresses() {
    let r = run(&frame(&[
        "00020011", // Addresses, length 17
        "ffffffff", // number of addresses: 4294967295
        "0101cc", "0004", "0a000001", // one address: 10.0.0.1
    ]));
    assert_eq!(anomalies(&r.obs), vec!["cdp_truncated_address"]);
    assert_eq!(fact(&r.obs, "cdp.address"), Some("10.0.0.1"));
}

#[test]
fn addresses_are_capped_at_16() {
    let mut tlv = vec![0x00, 0x02, 0, 0, 0, 0, 0, 20];
    for i in 0..20u8 {
        tlv.extend([1, 1, 0xcc, 0, 4, 10, 0, 0, i]);
    }
    let len = tlv.len() as u16;
    tlv[2..4].copy_from_slice(&len.to_be_bytes());
    let mut payload = hex_parts(&[HEADER]);
    payload.extend(tlv);
    let r = run(&payload);
    // 10.0.0.0 is not unspecified: 16 facts.
    assert_eq!(r.all_facts("cdp.address").len(), 16);
    assert_eq!(r.counter("cdp_addresses_dropped"), 4);
    assert_eq!(r.event()["addresses"].as_array().map(Vec::len), Some(16));
}

#[test]
fn unspecified_and_unknown_addresses_are_not_facts() {
    // tcpdump/tests/LLDP_and_CDP.pcap frame 1 announces 0.0.0.0 (tshark:
    // cdp.nrgyz.ip_address = 0.0.0.0,0.0.0.0); here with a CLNS address beside it.
    let r = run(&frame(&[
        "0002001b", // Addresses, length 27
        "00000002", // two addresses
        "0101cc",
        "0004",
        "00000000", // NLPID IP 0.0.0.0
        "010181",
        "0005",
        "4900010203", // NLPID 0x81 (CLNS), 5 bytes
    ]));
    assert_eq!(fact(&r.obs, "cdp.address"), None);
    assert_eq!(
        r.event()["addresses"],
        json!(["0.0.0.0", {"protocol_type": 1, "protocol": "81", "address": "4900010203"}])
    );
}

#[test]
fn a_thousand_tlvs_read_64_and_count_the_rest() {
    let mut payload = hex_parts(&[HEADER]);
    for _ in 0..999 {
        payload.extend([0x00, 0x09, 0x00, 0x04]); // VTP domain, length 4 (empty)
    }
    payload.extend(hex_parts(&["00010006", "5231"])); // Device ID: TLV 1000, past the limit
    let r = run(&payload);
    assert_eq!(r.counter("cdp_tlvs_dropped"), 1000 - 64);
    assert_eq!(fact(&r.obs, "cdp.device_id"), None);
    assert!(anomalies(&r.obs).is_empty());
}

#[test]
fn software_version_fact_is_one_truncated_line() {
    let mut text = b"Cisco IOS Software, Version 15.2(4)E7, ".to_vec();
    text.extend([b'x'; 400]);
    text.extend(b"\nsecond line");
    let mut tlv = vec![0x00, 0x05];
    tlv.extend(((text.len() + 4) as u16).to_be_bytes());
    tlv.extend(&text);
    let mut payload = hex_parts(&[HEADER]);
    payload.extend(tlv);
    let r = run(&payload);
    let line = fact(&r.obs, "cdp.software_version").unwrap();
    assert_eq!(line.len(), 256);
    assert!(line.ends_with(wire::text::TRUNCATION_MARK));
    assert_eq!(
        software(&r.obs),
        vec![("client", "Cisco IOS".into(), Some("15.2(4)E7".into()))]
    );
}

#[test]
fn vtp_domain_and_power_are_not_kept() {
    // The VTP domain names the network, not the device; it is not kept anywhere.
    let r = run(&hex_parts(C3560));
    let all = format!("{:?}{:?}", r.obs, r.events);
    assert!(!all.contains("\"Lab\""), "{all}");
}

#[test]
fn every_prefix_and_bit_flip_of_real_frames_is_safe() {
    for payload in [hex_parts(C3560), hex_parts(V1), phone()] {
        for n in 0..=payload.len() {
            fuzz(&payload[..n]);
        }
        for i in 0..payload.len().min(64) {
            for bit in 0..8 {
                let mut p = payload.clone();
                p[i] ^= 1 << bit;
                fuzz(&p);
            }
        }
    }
}
