//! LLDP fixtures: frames from the corpus (payload after the EtherType, each file named at its
//! fixture, expected values taken from tshark 4.0's decode of that frame), hand-built
//! annotated frames (an LLDP-MED phone), and truncated, oversized and hostile inputs.
//! Sections are IEEE 802.1AB-2016 unless named otherwise.

use serde_json::json;

use super::*;
use crate::testing::{LinkRun, anomalies, fact, facts, hex_parts, run_link, software};

/// What one frame produced.
fn run(payload: &[u8]) -> LinkRun {
    run_link(0x88cc, "lldp", payload, observe)
}

/// arkime/tests/pcap/wireshark-lldp.pcap, frame 2 (an Extreme Networks Summit300-48), the
/// payload after EtherType 0x88cc.
const SUMMIT: &[&str] = &[
    "0207",                                           // §8.5.2 Chassis ID: type 1, length 7
    "04",                                             // §8.5.2.2 subtype 4: MAC address
    "000130f9ada0",                                   // 00:01:30:f9:ad:a0
    "0404",                                           // §8.5.3 Port ID: type 2, length 4
    "05",                                             // §8.5.3.2 subtype 5: interface name
    "312f31",                                         // "1/1"
    "0602",                                           // §8.5.4 TTL: type 3, length 2
    "0078",                                           // 120 s
    "0817",                                           // §8.5.5 Port Description: type 4, length 23
    "53756d6d69743330302d34382d506f7274203130303100", // "Summit300-48-Port 1001\0"
    "0a0d",                                           // §8.5.6 System Name: type 5, length 13
    "53756d6d69743330302d343800",                     // "Summit300-48\0"
    "0c4c", // §8.5.7 System Description: type 6, length 76
    "53756d6d69743330302d3438202d2056657273696f6e20372e34652e31202842", // Summit300-48 - Version 7.4e.1 (B
    "75696c642035292062792052656c656173655f4d61737465722030352f32372f", // uild 5) by Release_Master 05/27/
    "30352030343a35333a313100",                                         // 05 04:53:11\0
    "0e04",               // §8.5.8 System Capabilities: type 7, length 4
    "0014",               // capabilities: bridge (bit 3), router (bit 5)
    "0014",               // enabled: the same
    "100e",               // §8.5.9 Management Address: type 8, length 14
    "07",                 // §8.5.9.2 address string length 7
    "06",                 // §8.5.9.3 subtype 6: IEEE 802
    "000130f9ada0",       // 00:01:30:f9:ad:a0
    "02",                 // §8.5.9.5 interface subtype 2: ifIndex
    "000003e9",           // §8.5.9.6 interface number 1001
    "00",                 // §8.5.9.7 OID string length 0
    "fe07",               // §8.6 Organizationally Specific: type 127, length 7
    "00120f02070100",     // IEEE 802.3 (00-12-0F) subtype 2: Power via MDI
    "fe09",               // §8.6: length 9
    "00120f01036c000010", // IEEE 802.3 subtype 1: MAC/PHY configuration/status
    "fe09",               // §8.6: length 9
    "00120f030100000000", // IEEE 802.3 subtype 3: link aggregation
    "fe06",               // §8.6: length 6
    "00120f0405f2",       // IEEE 802.3 subtype 4: maximum frame size 1522
    "fe06",               // §8.6: length 6
    "0080c201",           // IEEE 802.1 (00-80-C2) subtype 1: Port VLAN ID (802.1Q §D.2.1)
    "01e8",               // PVID 488
    "fe07",               // §8.6: length 7
    "0080c202010000",     // IEEE 802.1 subtype 2: port and protocol VLAN ID
    "fe17",               // §8.6: length 23
    "0080c20301e81076322d303438382d30332d3035303500", // IEEE 802.1 subtype 3: VLAN name
    "fe05",               // §8.6: length 5
    "0080c20400",         // IEEE 802.1 subtype 4: protocol identity
    "0000",               // §8.5.1 End Of LLDPDU
];

#[test]
fn summit_frame_matches_tshark() {
    // Expected values from `tshark -r arkime/tests/pcap/wireshark-lldp.pcap -Y frame.number==2
    // -T fields -e lldp.chassis.id.mac -e lldp.port.id -e lldp.time_to_live -e lldp.port.desc
    // -e lldp.tlv.system.name -e lldp.tlv.system.desc -e lldp.tlv.system_cap
    // -e lldp.tlv.enable_system_cap -e lldp.mgn.addr.hex -e lldp.mgn.interface.number
    // -e lldp.ieee.802_1.port_vlan.id`:
    // 00:01:30:f9:ad:a0 | 1/1 | 120 | Summit300-48-Port 1001 | Summit300-48 |
    // Summit300-48 - Version 7.4e.1 (Build 5) by Release_Master 05/27/05 04:53:11 |
    // 0x0014 | 0x0014 | 000130f9ada0 | 1001 | 488
    let r = run(&hex_parts(SUMMIT));
    let desc = "Summit300-48 - Version 7.4e.1 (Build 5) by Release_Master 05/27/05 04:53:11";
    assert_eq!(
        facts(&r.obs),
        vec![
            ("client", "lldp.chassis_id", "00:01:30:f9:ad:a0".into()),
            ("client", "lldp.port_id", "1/1".into()),
            (
                "client",
                "lldp.port_description",
                "Summit300-48-Port 1001".into()
            ),
            ("client", "lldp.system_name", "Summit300-48".into()),
            ("client", "lldp.system_description", desc.into()),
            ("client", "lldp.capabilities", "bridge,router".into()),
            (
                "client",
                "lldp.capabilities_enabled",
                "bridge,router".into()
            ),
            (
                "client",
                "lldp.management_address",
                "00:01:30:f9:ad:a0".into()
            ),
            ("client", "lldp.vlan_id", "488".into()),
        ]
    );
    assert_eq!(
        software(&r.obs),
        vec![("client", "Summit300-48".into(), Some("7.4e.1".into()))]
    );
    assert!(anomalies(&r.obs).is_empty());
    assert_eq!(r.counter("messages"), 1);
    let e = r.event();
    assert_eq!(
        e["chassis_id"],
        json!({"subtype": "mac_address", "id": "00:01:30:f9:ad:a0"})
    );
    assert_eq!(
        e["port_id"],
        json!({"subtype": "interface_name", "id": "1/1"})
    );
    assert_eq!(e["ttl"], 120);
    assert_eq!(e["capabilities"], json!(["bridge", "router"]));
    assert_eq!(e["enabled_capabilities"], json!(["bridge", "router"]));
    assert_eq!(
        e["management_addresses"],
        json!([{"subtype": "ieee802", "address": "00:01:30:f9:ad:a0",
                "interface_subtype": "if_index", "interface_number": 1001}])
    );
    assert_eq!(e["vlan_id"], 488);
    assert!(e.get("med").is_none());
}

/// arkime/tests/pcap/wireshark-lldp.pcap, frame 3 (an HP ProCurve 2600-8-PWR with LLDP-MED).
const PROCURVE: &[&str] = &[
    "0207",                                                 // §8.5.2 Chassis ID: type 1, length 7
    "04",                                                   // subtype 4: MAC address
    "00132157ca40",                                         // 00:13:21:57:ca:40
    "0402",                                                 // §8.5.3 Port ID: type 2, length 2
    "07",                                                   // subtype 7: locally assigned
    "31",                                                   // "1"
    "0602",                                                 // §8.5.4 TTL: type 3, length 2
    "0078",                                                 // 120 s
    "0801", // §8.5.5 Port Description: type 4, length 1
    "31",   // "1"
    "0a1a", // §8.5.6 System Name: type 5, length 26
    "50726f43757276652053776974636820323630302d382d505752", // ProCurve Switch 2600-8-PWR
    "0c5f", // §8.5.7 System Description: type 6, length 95
    "50726f4375727665204a38373632412053776974636820323630302d382d5057", // ProCurve J8762A Switch 2600-8-PW
    "522c207265766973696f6e20482e30382e38392c20524f4d20482e30382e3558", // R, revision H.08.89, ROM H.08.5X
    "20282f73772f636f64652f6275696c642f666973682874735f30385f352929", //  (/sw/code/build/fish(ts_08_5))
    "0e04",               // §8.5.8 System Capabilities: type 7, length 4
    "0014",               // capabilities: bridge, router
    "0004",               // enabled: bridge
    "100c",               // §8.5.9 Management Address: type 8, length 12
    "05",                 // address string length 5
    "01",                 // subtype 1: IPv4
    "0fff7a94",           // 15.255.122.148
    "02",                 // interface subtype 2: ifIndex
    "00000000",           // interface number 0
    "00",                 // OID string length 0
    "fe09",               // §8.6: length 9
    "00120f01036c000010", // IEEE 802.3 subtype 1: MAC/PHY configuration/status
    "fe07",               // §8.6: length 7
    "0012bb01",           // TIA (00-12-BB) subtype 1: LLDP-MED capabilities (TIA-1057 §10.2.2)
    "000f",               // capabilities, network policy, location, extended power (PSE)
    "04",                 // device type 4: network connectivity
    "fe08",               // §8.6: length 8
    "0012bb02014065ae",   // TIA subtype 2: network policy (not kept)
    "fe2e",               // §8.6: length 46
    "0012bb0302",         // TIA subtype 3: location identification, civic address (not kept)
    "28025553010243410309526f736576696c6c650609466f6f7468696c6c7313", // "US", "CA", "Roseville", …
    "04383030301a0352334c", // "8000", "R3L"
    "fe07",               // §8.6: length 7
    "0012bb04030041",     // TIA subtype 4: extended power via MDI (not kept)
    "0000",               // §8.5.1 End Of LLDPDU
];

#[test]
fn procurve_frame_with_med_matches_tshark() {
    // tshark on arkime/tests/pcap/wireshark-lldp.pcap frame 3 (same fields as above, plus
    // -e lldp.mgn.addr.ip4 -e lldp.media.subtype.class): 00:13:21:57:ca:40 | 1 | 120 | 1 |
    // ProCurve Switch 2600-8-PWR | ProCurve J8762A Switch 2600-8-PWR, revision H.08.89, ROM
    // H.08.5X (/sw/code/build/fish(ts_08_5)) | 0x0014 | 0x0004 | 15.255.122.148 | 4
    let r = run(&hex_parts(PROCURVE));
    assert_eq!(fact(&r.obs, "lldp.chassis_id"), Some("00:13:21:57:ca:40"));
    assert_eq!(fact(&r.obs, "lldp.port_id"), Some("1"));
    assert_eq!(fact(&r.obs, "lldp.port_description"), Some("1"));
    assert_eq!(
        fact(&r.obs, "lldp.system_name"),
        Some("ProCurve Switch 2600-8-PWR")
    );
    assert_eq!(fact(&r.obs, "lldp.capabilities"), Some("bridge,router"));
    assert_eq!(fact(&r.obs, "lldp.capabilities_enabled"), Some("bridge"));
    assert_eq!(
        fact(&r.obs, "lldp.management_address"),
        Some("15.255.122.148")
    );
    assert_eq!(
        fact(&r.obs, "lldp.med_device_class"),
        Some("network_connectivity")
    );
    assert_eq!(
        software(&r.obs),
        vec![(
            "client",
            "ProCurve J8762A Switch 2600-8-PWR".into(),
            Some("H.08.89".into())
        )]
    );
    let e = r.event();
    assert_eq!(e["port_id"], json!({"subtype": "local", "id": "1"}));
    assert_eq!(
        e["med"],
        json!({"capabilities": ["capabilities", "network_policy", "location", "power_pse"],
               "device_class": "network_connectivity"})
    );
    // The civic location is not an identity: it is not kept anywhere.
    let all = format!("{:?}{:?}", r.obs, r.events);
    assert!(
        !all.contains("Roseville") && !all.contains("Foothills"),
        "{all}"
    );
}

/// zeek/testing/btest/Traces/lldp.pcap, frame 1 (an SMC GS8P smart switch).
const SMC: &[&str] = &[
    "0207",                       // §8.5.2 Chassis ID: type 1, length 7
    "04",                         // subtype 4: MAC address
    "00222d81db10",               // 00:22:2d:81:db:10
    "0402",                       // §8.5.3 Port ID: type 2, length 2
    "07",                         // subtype 7: locally assigned
    "31",                         // "1"
    "0602",                       // §8.5.4 TTL: type 3, length 2
    "0078",                       // 120 s
    "0807",                       // §8.5.5 Port Description: type 4, length 7
    "506f7274202331",             // "Port #1"
    "0a0d",                       // §8.5.6 System Name: type 5, length 13
    "534d43475338502d536d617274", // "SMCGS8P-Smart"
    "0c23",                       // §8.5.7 System Description: type 6, length 35
    "534d43475338502d536d617274202d20534d43475338502d536d617274207633", // SMCGS8P-Smart - SMCGS8P-Smart v3
    "2e3230",                                                           // ".20"
    "0e04",     // §8.5.8 System Capabilities: type 7, length 4
    "0004",     // capabilities: bridge
    "0004",     // enabled: bridge
    "100c",     // §8.5.9 Management Address: type 8, length 12
    "05",       // address string length 5
    "01",       // subtype 1: IPv4
    "c0a8020a", // 192.168.2.10
    "02",       // interface subtype 2: ifIndex
    "00000001", // interface number 1
    "00",       // OID string length 0
    "0000",     // §8.5.1 End Of LLDPDU
];

#[test]
fn smc_frame_matches_tshark() {
    // tshark on zeek/testing/btest/Traces/lldp.pcap frame 1: 00:22:2d:81:db:10 | 1 | 120 |
    // Port #1 | SMCGS8P-Smart | SMCGS8P-Smart - SMCGS8P-Smart v3.20 | 0x0004 | 0x0004 |
    // 192.168.2.10 | 1
    let mut payload = hex_parts(SMC);
    // The capture's Ethernet trailer after End: padding, ignored.
    payload.extend_from_slice(&[0xbb, 0x14, 0x27, 0x2c]);
    let r = run(&payload);
    assert_eq!(fact(&r.obs, "lldp.chassis_id"), Some("00:22:2d:81:db:10"));
    assert_eq!(fact(&r.obs, "lldp.port_description"), Some("Port #1"));
    assert_eq!(fact(&r.obs, "lldp.system_name"), Some("SMCGS8P-Smart"));
    assert_eq!(fact(&r.obs, "lldp.capabilities"), Some("bridge"));
    assert_eq!(
        fact(&r.obs, "lldp.management_address"),
        Some("192.168.2.10")
    );
    assert_eq!(
        software(&r.obs),
        vec![("client", "SMCGS8P-Smart".into(), Some("3.20".into()))]
    );
    assert!(anomalies(&r.obs).is_empty());
    assert_eq!(r.event()["management_addresses"][0]["interface_number"], 1);
}

/// tcpdump/tests/lldp_mudurl.pcap, frame 1 (an Ubuntu host sending an RFC 8520 MUD URL).
const MUD: &[&str] = &[
    "0207",         // §8.5.2 Chassis ID: type 1, length 7
    "04",           // subtype 4: MAC address
    "002354c25702", // 00:23:54:c2:57:02
    "0407",         // §8.5.3 Port ID: type 2, length 7
    "03",           // §8.5.3.2 subtype 3: MAC address
    "002354c25702", // 00:23:54:c2:57:02
    "0602",         // §8.5.4 TTL: type 3, length 2
    "0078",         // 120 s
    "0a1c",         // §8.5.6 System Name: type 5, length 28
    "75707374616972732e6f66636f75727365696d72696768742e636f6d", // upstairs.ofcourseimright.com
    "0c5c",         // §8.5.7 System Description: type 6, length 92
    "5562756e74752031342e30342e35204c5453204c696e757820332e31332e302d", // Ubuntu 14.04.5 LTS Linux 3.13.0-
    "3130362d67656e6572696320233135332d5562756e747520534d502054756520", // 106-generic #153-Ubuntu SMP Tue
    "44656320362031353a34353a31332055544320323031362069363836", // Dec 6 15:45:13 UTC 2016 i686
    "0e04",                             // §8.5.8 System Capabilities: type 7, length 4
    "009c",                             // bridge, WLAN AP, router, station only
    "0008",                             // enabled: WLAN AP
    "100c",                             // §8.5.9 Management Address: type 8, length 12
    "05",                               // address string length 5
    "01",                               // subtype 1: IPv4
    "3e0cad72",                         // 62.12.173.114
    "02",                               // interface subtype 2: ifIndex
    "00000002",                         // interface number 2
    "00",                               // OID string length 0
    "1018",                             // §8.5.9 Management Address: type 8, length 24
    "11",                               // address string length 17
    "02",                               // subtype 2: IPv6
    "200108a810060004022354fffec25702", // 2001:8a8:1006:4:223:54ff:fec2:5702
    "02",                               // interface subtype 2: ifIndex
    "00000002",                         // interface number 2
    "00",                               // OID string length 0
    "0804",     // §8.5.5 Port Description: type 4, length 4 (after the addresses: legal)
    "65746830", // "eth0"
    "fe09",     // §8.6: length 9
    "00120f030100000000", // IEEE 802.3 subtype 3: link aggregation
    "fe09",     // §8.6: length 9
    "00120f0103ecc30010", // IEEE 802.3 subtype 1: MAC/PHY configuration/status
    "fe40",     // §8.6: length 64
    "00005e01", // IANA (00-00-5E) subtype 1: MUD URL (RFC 8520 §10)
    "68747470733a2f2f696d72696768742e6d75642e6578616d706c652e", // https://imright.mud.example.
    "636f6d2f2e77656c6c2d6b6e6f776e2f6d75642f76312f766f6d697476322e30", // com/.well-known/mud/v1/vomitv2.0
    "0000",                                                             // §8.5.1 End Of LLDPDU
];

#[test]
fn mud_url_frame_matches_tshark() {
    // tshark on tcpdump/tests/lldp_mudurl.pcap frame 1 (-e lldp.port.subtype
    // -e lldp.mgn.addr.ip4 -e lldp.mgn.addr.ip6 …): 00:23:54:c2:57:02 | port subtype 3 |
    // eth0 | upstairs.ofcourseimright.com | Ubuntu 14.04.5 LTS Linux 3.13.0-106-generic … |
    // 0x009c | 0x0008 | 62.12.173.114 | 2001:8a8:1006:4:223:54ff:fec2:5702
    let r = run(&hex_parts(MUD));
    assert_eq!(fact(&r.obs, "lldp.port_id"), Some("00:23:54:c2:57:02"));
    assert_eq!(fact(&r.obs, "lldp.port_description"), Some("eth0"));
    assert_eq!(
        fact(&r.obs, "lldp.system_name"),
        Some("upstairs.ofcourseimright.com")
    );
    assert_eq!(
        fact(&r.obs, "lldp.capabilities"),
        Some("bridge,wlan_ap,router,station")
    );
    assert_eq!(fact(&r.obs, "lldp.capabilities_enabled"), Some("wlan_ap"));
    assert_eq!(
        r.all_facts("lldp.management_address"),
        vec!["62.12.173.114", "2001:8a8:1006:4:223:54ff:fec2:5702"]
    );
    assert_eq!(
        fact(&r.obs, "lldp.mud_url"),
        Some("https://imright.mud.example.com/.well-known/mud/v1/vomitv2.0")
    );
    assert_eq!(
        software(&r.obs),
        vec![("client", "Ubuntu".into(), Some("14.04.5".into()))]
    );
    assert!(anomalies(&r.obs).is_empty());
    assert_eq!(r.event()["management_addresses"][1]["subtype"], "ipv6");
}

/// tcpdump/tests/LLDP_and_CDP.pcap, frame 3 (a Cisco Catalyst 3560 running IOS).
const CISCO: &[&str] = &[
    "0207",                     // §8.5.2 Chassis ID: type 1, length 7
    "04",                       // subtype 4: MAC address
    "00192fa7b28d",             // 00:19:2f:a7:b2:8d
    "040d",                     // §8.5.3 Port ID: type 2, length 13
    "01",                       // subtype 1: interface alias
    "55706c696e6b20746f205331", // "Uplink to S1"
    "0602",                     // §8.5.4 TTL: type 3, length 2
    "0078",                     // 120 s
    "0a0c",                     // §8.5.6 System Name: type 5, length 12
    "53322e636973636f2e636f6d", // "S2.cisco.com"
    "0cbe",                     // §8.5.7 System Description: type 6, length 190, three lines
    "436973636f20494f5320536f6674776172652c20433335363020536f66747761", // Cisco IOS Software, C3560 Softwa
    "7265202843333536302d414456495053455256494345534b392d4d292c205665", // re (C3560-ADVIPSERVICESK9-M), Ve
    "7273696f6e2031322e322834342953452c2052454c4541534520534f46545741", // rsion 12.2(44)SE, RELEASE SOFTWA
    "52452028666331290a436f707972696768742028632920313938362d32303038", // RE (fc1)\nCopyright (c) 1986-2008
    "20627920436973636f2053797374656d732c20496e632e0a436f6d70696c6564", //  by Cisco Systems, Inc.\nCompiled
    "205361742030352d4a616e2d30382030303a3135206279207765696c6975", //  Sat 05-Jan-08 00:15 by weiliu
    "0813",                                   // §8.5.5 Port Description: type 4, length 19
    "4769676162697445746865726e6574302f3133", // "GigabitEthernet0/13"
    "0e04",                                   // §8.5.8 System Capabilities: type 7, length 4
    "0014",                                   // bridge, router
    "0004",                                   // enabled: bridge
    "fe06",                                   // §8.6: length 6
    "0080c201",                               // IEEE 802.1 subtype 1: Port VLAN ID
    "0001",                                   // PVID 1
    "fe09",                                   // §8.6: length 9
    "00120f0103c0360010",                     // IEEE 802.3 subtype 1: MAC/PHY configuration/status
    "0000",                                   // §8.5.1 End Of LLDPDU
];

#[test]
fn cisco_ios_description_names_the_software() {
    // tshark on tcpdump/tests/LLDP_and_CDP.pcap frame 3: 00:19:2f:a7:b2:8d | port subtype 1 |
    // Uplink to S1 | 120 | GigabitEthernet0/13 | S2.cisco.com | Cisco IOS Software, C3560
    // Software (C3560-ADVIPSERVICESK9-M), Version 12.2(44)SE, RELEASE SOFTWARE (fc1)\n… |
    // 0x0014 | 0x0004 | port VLAN 1
    let r = run(&hex_parts(CISCO));
    assert_eq!(fact(&r.obs, "lldp.port_id"), Some("Uplink to S1"));
    assert_eq!(fact(&r.obs, "lldp.system_name"), Some("S2.cisco.com"));
    assert_eq!(fact(&r.obs, "lldp.vlan_id"), Some("1"));
    let sw = software(&r.obs);
    assert_eq!(
        sw,
        vec![("client", "Cisco IOS".into(), Some("12.2(44)SE".into()))]
    );
    // The lines are joined: no replacement characters in the kept description.
    let desc = fact(&r.obs, "lldp.system_description").unwrap();
    assert!(
        desc.starts_with("Cisco IOS Software, C3560 Software"),
        "{desc}"
    );
    assert!(desc.contains("(fc1) Copyright (c) 1986-2008"), "{desc}");
    assert!(!desc.contains('\u{fffd}'), "{desc}");
    assert_eq!(r.event()["port_id"]["subtype"], "interface_alias");
}

#[test]
fn repeated_ttl_tlvs_are_a_duplicate_and_the_first_is_kept() {
    // arkime/tests/pcap/wireshark-lldp.pcap, frame 1: tshark shows four TTL TLVs (120, 1, 2,
    // 3) after chassis 00:04:96:1f:a7:26 and port "1/3", then End and a non-zero trailer.
    let r = run(&hex_parts(&[
        "0207",         // §8.5.2 Chassis ID: type 1, length 7
        "04",           // subtype 4: MAC address
        "0004961fa726", // 00:04:96:1f:a7:26
        "0404",         // §8.5.3 Port ID: type 2, length 4
        "05",           // subtype 5: interface name
        "312f33",       // "1/3"
        "0602",
        "0078", // §8.5.4 TTL 120
        "0602",
        "0001", // §8.5.4 TTL 1: a second TTL (§8.2: exactly one)
        "0602",
        "0002", // TTL 2
        "0602",
        "0003",                               // TTL 3
        "0000",                               // §8.5.1 End Of LLDPDU
        "ffffffffffffffffffffffffffffffaabb", // trailer and FCS as captured: not read
    ]));
    assert_eq!(anomalies(&r.obs), vec!["lldp_duplicate_tlv"]);
    assert_eq!(r.event()["ttl"], 120);
    assert_eq!(fact(&r.obs, "lldp.port_id"), Some("1/3"));
}

/// A hand-built LLDP-MED frame from a VoIP phone (ANSI/TIA-1057 Annex: an endpoint class III
/// device announcing its inventory).
fn phone() -> Vec<u8> {
    hex_parts(&[
        "0206",                             // §8.5.2 Chassis ID: type 1, length 6
        "05",                               // subtype 5: network address
        "01",                               // §8.5.2.3 IANA address family 1: IPv4
        "0a140305",                         // 10.20.3.5
        "0407",                             // §8.5.3 Port ID: type 2, length 7
        "03",                               // subtype 3: MAC address
        "0004f2a1b2c3",                     // 00:04:f2:a1:b2:c3
        "0602",                             // §8.5.4 TTL: type 3, length 2
        "00b4",                             // 180 s
        "0a10",                             // §8.5.6 System Name: type 5, length 16
        "53455030303034463241314232433300", // "SEP0004F2A1B2C3\0" (NUL dropped)
        "0c1c",                             // §8.5.7 System Description: type 6, length 28
        "41636d6520565658203435302c2076657273696f6e20362e332e31", // "Acme VVX 450, version 6.3.1"
        "2e",                               // "."
        "0e04",                             // §8.5.8 System Capabilities: type 7, length 4
        "0024",                             // bridge, telephone
        "0020",                             // enabled: telephone
        "fe07",                             // §8.6: length 7
        "0012bb01",             // TIA subtype 1: LLDP-MED capabilities (TIA-1057 §10.2.2)
        "0033",                 // capabilities, network policy, extended power (PD), inventory
        "03",                   // device type 3: endpoint class III
        "fe08",                 // §8.6: length 8
        "0012bb02",             // TIA subtype 2: network policy (§10.2.3), not kept
        "01a0c8b8",             // voice, tagged, VLAN 100 …
        "fe09",                 // §8.6: length 9
        "0012bb05",             // TIA subtype 5: hardware revision (§10.2.6.1)
        "5265762032",           // "Rev 2"
        "fe09",                 // §8.6: length 9
        "0012bb06",             // TIA subtype 6: firmware revision (§10.2.6.2)
        "312e302e34",           // "1.0.4"
        "fe0e",                 // §8.6: length 14
        "0012bb07",             // TIA subtype 7: software revision (§10.2.6.3)
        "362e332e312e38343237", // "6.3.1.8427"
        "fe0d",                 // §8.6: length 13
        "0012bb08",             // TIA subtype 8: serial number (§10.2.6.4)
        "414243313233343536",   // "ABC123456"
        "fe08",                 // §8.6: length 8
        "0012bb09",             // TIA subtype 9: manufacturer name (§10.2.6.5)
        "41636d65",             // "Acme"
        "fe0a",                 // §8.6: length 10
        "0012bb0a",             // TIA subtype 10: model name (§10.2.6.6)
        "565658343530",         // "VVX450"
        "fe0c",                 // §8.6: length 12
        "0012bb0b",             // TIA subtype 11: asset ID (§10.2.6.7)
        "5741524437 2d3031",    // "WARD7-01"
        "fe06",                 // §8.6: length 6
        "0080c201",             // IEEE 802.1 subtype 1: Port VLAN ID
        "0000",                 // PVID 0: not VLAN-aware (no fact)
        "0000",                 // §8.5.1 End Of LLDPDU
    ])
}

#[test]
fn med_phone_inventory_is_identity() {
    let r = run(&phone());
    assert_eq!(
        facts(&r.obs),
        vec![
            ("client", "lldp.chassis_id", "10.20.3.5".into()),
            ("client", "lldp.port_id", "00:04:f2:a1:b2:c3".into()),
            ("client", "lldp.system_name", "SEP0004F2A1B2C3".into()),
            (
                "client",
                "lldp.system_description",
                "Acme VVX 450, version 6.3.1.".into()
            ),
            ("client", "lldp.capabilities", "bridge,telephone".into()),
            ("client", "lldp.capabilities_enabled", "telephone".into()),
            ("client", "lldp.med_device_class", "endpoint_class_3".into()),
            ("client", "lldp.med_hardware_revision", "Rev 2".into()),
            ("client", "lldp.med_firmware_revision", "1.0.4".into()),
            ("client", "lldp.med_software_revision", "6.3.1.8427".into()),
            ("client", "lldp.med_serial_number", "ABC123456".into()),
            ("client", "lldp.med_manufacturer", "Acme".into()),
            ("client", "lldp.med_model_name", "VVX450".into()),
            ("client", "lldp.med_asset_id", "WARD7-01".into()),
        ]
    );
    // "version 6.3.1.": the trailing dot ends the sentence, not the version.
    assert_eq!(
        software(&r.obs),
        vec![("client", "Acme VVX 450".into(), Some("6.3.1".into()))]
    );
    let e = r.event();
    assert_eq!(
        e["chassis_id"],
        json!({"subtype": "network_address", "id": "10.20.3.5"})
    );
    assert_eq!(e["ttl"], 180);
    assert_eq!(e["vlan_id"], 0);
    assert_eq!(
        e["med"],
        json!({
            "capabilities": ["capabilities", "network_policy", "power_pd", "inventory"],
            "device_class": "endpoint_class_3",
            "hardware_revision": "Rev 2",
            "firmware_revision": "1.0.4",
            "software_revision": "6.3.1.8427",
            "serial_number": "ABC123456",
            "manufacturer": "Acme",
            "model_name": "VVX450",
            "asset_id": "WARD7-01",
        })
    );
    assert!(anomalies(&r.obs).is_empty());
}

/// Chassis ID, Port ID, TTL: the mandatory start (§8.2).
const START: &[&str] = &[
    "0207",
    "04",
    "001b6f010203", // §8.5.2 Chassis ID: MAC 00:1b:6f:01:02:03
    "0403",
    "05",
    "7031", // §8.5.3 Port ID: interface name "p1"
    "0602",
    "0078", // §8.5.4 TTL 120
];

fn with_start(rest: &[&str]) -> Vec<u8> {
    let mut v = hex_parts(START);
    v.extend(hex_parts(rest));
    v
}

#[test]
fn value_past_the_end_is_truncated_and_reading_stops() {
    let r = run(&with_start(&[
        "0a14",       // §8.5.6 System Name, length 20 …
        "6162636465", // … but only 5 bytes follow
    ]));
    assert_eq!(anomalies(&r.obs), vec!["lldp_truncated_tlv"]);
    assert_eq!(r.counter("lldp_truncated_tlv"), 1);
    assert_eq!(fact(&r.obs, "lldp.chassis_id"), Some("00:1b:6f:01:02:03"));
    assert_eq!(fact(&r.obs, "lldp.system_name"), None);
    assert_eq!(r.event()["ttl"], 120);
}

#[test]
fn header_cut_in_half_is_truncated() {
    let r = run(&with_start(&["0a"])); // one byte of a TLV header
    assert_eq!(anomalies(&r.obs), vec!["lldp_truncated_tlv"]);
    // A frame cut inside the chassis ID: truncated, not misordered.
    let r = run(&hex_parts(&["0207", "04001b"]));
    assert_eq!(anomalies(&r.obs), vec!["lldp_truncated_tlv"]);
    assert_eq!(r.counter("messages"), 1);
}

#[test]
fn zero_length_tlvs() {
    let r = run(&hex_parts(&[
        "0200", // §8.5.2 Chassis ID, length 0: below the 2 of §8.5.2.1
        "0401",
        "05",   // §8.5.3 Port ID, length 1: a subtype and no id
        "0600", // §8.5.4 TTL, length 0: below its 2
        "0a00", // §8.5.6 System Name, length 0 (legal: no name)
        "0800", // §8.5.5 Port Description, length 0 (legal)
        "0e00", // §8.5.8 System Capabilities, length 0: below its 4
        "1000", // §8.5.9 Management Address, length 0: no address string length
        "fe00", // §8.6, length 0: no OUI
        "0a05",
        "6e616d6531", // a second System Name "name1": the first (empty) was kept
        "0000",
    ]));
    assert_eq!(anomalies(&r.obs), vec!["lldp_bad_tlv_length"]);
    assert_eq!(r.counter("lldp_bad_tlv_length"), 1);
    assert!(facts(&r.obs).is_empty(), "{:?}", facts(&r.obs));
    assert_eq!(r.event().get("ttl"), None);
}

#[test]
fn wrong_order_is_an_anomaly_and_reading_goes_on() {
    let r = run(&hex_parts(&[
        "0403",
        "05",
        "7031", // §8.5.3 Port ID first: §8.2 wants the Chassis ID
        "0207",
        "04",
        "001b6f010203", // §8.5.2 Chassis ID second
        "0602",
        "0078", // §8.5.4 TTL
        "0a03",
        "737731", // §8.5.6 System Name "sw1"
        "0000",
    ]));
    assert_eq!(anomalies(&r.obs), vec!["lldp_bad_tlv_order"]);
    assert_eq!(fact(&r.obs, "lldp.system_name"), Some("sw1"));
    assert_eq!(fact(&r.obs, "lldp.port_id"), Some("p1"));
}

#[test]
fn missing_mandatory_tlvs_are_a_bad_order() {
    for frame in [
        &[][..],
        &[0, 0],
        &hex_parts(&["0207", "04001b6f010203", "0000"]),
    ] {
        let r = run(frame);
        assert_eq!(
            anomalies(&r.obs),
            vec!["lldp_bad_tlv_order"],
            "{frame:02x?}"
        );
    }
}

#[test]
fn a_thousand_tlvs_read_64_and_count_the_rest() {
    let mut frame = hex_parts(START);
    for _ in 0..997 {
        frame.extend([0x08, 0x00]); // §8.5.5 Port Description, length 0
    }
    frame.extend(hex_parts(&["0a03", "737731"])); // System Name "sw1": TLV 1001, past the limit
    frame.extend([0, 0]); // End: counted too
    let r = run(&frame);
    assert_eq!(r.counter("lldp_tlvs_dropped"), 1002 - 64);
    assert_eq!(fact(&r.obs, "lldp.system_name"), None);
    assert_eq!(fact(&r.obs, "lldp.chassis_id"), Some("00:1b:6f:01:02:03"));
    assert!(anomalies(&r.obs).is_empty());
}

#[test]
fn management_addresses_are_capped_at_16() {
    let mut frame = hex_parts(START);
    for i in 0..20u8 {
        // §8.5.9: string length 5, IPv4, 10.0.0.i, ifIndex, interface i, OID length 0.
        frame.extend([0x10, 0x0c, 5, 1, 10, 0, 0, i, 2, 0, 0, 0, i, 0]);
    }
    let r = run(&frame);
    assert_eq!(r.all_facts("lldp.management_address").len(), 16);
    assert_eq!(r.counter("lldp_addresses_dropped"), 4);
    assert_eq!(
        r.event()["management_addresses"].as_array().map(Vec::len),
        Some(16)
    );
}

#[test]
fn management_address_with_bad_string_length() {
    // §8.5.9.2: the address string length is 2..=32; 0 and 200 are refused, and an address
    // running past the TLV is short.
    for value in [
        &[0x00, 0x01][..],
        &[200, 1, 1, 2, 3, 4, 2, 0, 0, 0, 1, 0],
        &[5, 1, 10, 0],
    ] {
        let mut frame = hex_parts(START);
        frame.extend([0x10, value.len() as u8]);
        frame.extend_from_slice(value);
        let r = run(&frame);
        assert_eq!(
            anomalies(&r.obs),
            vec!["lldp_bad_tlv_length"],
            "{value:02x?}"
        );
        assert_eq!(fact(&r.obs, "lldp.management_address"), None);
    }
}

#[test]
fn all_capability_bits_set() {
    let r = run(&with_start(&["0e04", "ffff", "ffff", "0000"]));
    let all = "other,repeater,bridge,wlan_ap,router,telephone,docsis,station,c_vlan,s_vlan,\
               two_port_mac_relay";
    assert_eq!(fact(&r.obs, "lldp.capabilities"), Some(all));
    assert_eq!(fact(&r.obs, "lldp.capabilities_enabled"), Some(all));
    assert_eq!(
        r.event()["capabilities"].as_array().map(Vec::len),
        Some(11),
        "reserved bits 12-16 are not named"
    );
}

#[test]
fn binary_and_odd_identifiers() {
    // §8.5.2 chassis subtype 7 (local) with binary bytes: hex; port subtype 3 (MAC) with 4
    // bytes: hex; a network address of an unknown family: hex.
    let r = run(&hex_parts(&[
        "0205", "07", "00ff1002", // Chassis ID: local, 00 ff 10 02
        "0405", "03", "01020304", // Port ID: "MAC" of 4 bytes
        "0602", "0078", // TTL
        "0000",
    ]));
    assert_eq!(fact(&r.obs, "lldp.chassis_id"), Some("00ff1002"));
    assert_eq!(fact(&r.obs, "lldp.port_id"), Some("01020304"));
    let id = tlv::Id {
        subtype: 5,
        id: &[0x10, 1, 2],
    };
    assert_eq!(id.text(tlv::IdKind::Chassis), "0102");
    let long = tlv::Id {
        subtype: 7,
        id: &[0xfe; 255],
    };
    let text = long.text(tlv::IdKind::Chassis);
    assert_eq!(text.len(), 256);
    assert!(text.ends_with(wire::text::TRUNCATION_MARK));
}

#[test]
fn long_strings_are_cut_to_256_bytes() {
    let mut frame = hex_parts(START);
    frame.extend([0x0b, 0xff]); // §8.5.6 System Name, length 511 (the 9-bit maximum)
    frame.extend([b'a'; 511]);
    let r = run(&frame);
    let name = fact(&r.obs, "lldp.system_name").unwrap();
    assert_eq!(name.len(), 256);
    assert!(name.ends_with(wire::text::TRUNCATION_MARK));
}

#[test]
fn product_and_version_heuristics_are_conservative() {
    let sw = |s: &str, bare| {
        tlv::software_of(s.as_bytes(), bare).map(|(p, v)| {
            (
                String::from_utf8_lossy(p).into_owned(),
                v.map(|v| String::from_utf8_lossy(v).into_owned()),
            )
        })
    };
    let pv = |p: &str, v: Option<&str>| Some((p.to_string(), v.map(String::from)));
    assert_eq!(
        sw(
            "H3C Comware Platform Software, Software Version 5.20, Release 1808P08\r\nH3C S5800",
            true
        ),
        pv("H3C Comware Platform Software", Some("5.20"))
    );
    assert_eq!(
        sw(
            "Cisco Nexus Operating System (NX-OS) Software, Version 7.0(3)I7(6)",
            true
        ),
        pv("Cisco NX-OS", Some("7.0(3)I7(6)"))
    );
    assert_eq!(
        sw(
            "Cisco IOS Software [Fuji], Catalyst L3 Switch Software (CAT9K_IOSXE), Version \
             16.9.3, RELEASE SOFTWARE (fc2)",
            false
        ),
        pv("Cisco IOS XE", Some("16.9.3"))
    );
    // No version: a short first line is the product only when bare products are allowed.
    assert_eq!(sw("Linux", true), pv("Linux", None));
    assert_eq!(sw("SCCP45.9-4-2SR1-2S", false), None);
    assert_eq!(sw(&"word ".repeat(30), true), None);
    // "Version" without a digit after it, inside another word, or with nothing before it.
    assert_eq!(sw("Version unknown", false), None);
    assert_eq!(sw("Subversion 1.2", false), None);
    assert_eq!(sw("Version 1.2.3", true), None);
    assert_eq!(sw("", true), None);
    assert_eq!(sw("   \r\n", true), None);
}

#[test]
fn no_location_or_policy_value_is_kept() {
    // Of the phone frame only identity is kept: the network policy's bytes and the PVID 0 do
    // not become facts, and the ProCurve location is checked above.
    let r = run(&phone());
    assert!(fact(&r.obs, "lldp.vlan_id").is_none());
    let all = format!("{:?}", r.obs);
    assert!(!all.contains("a0c8b8"), "{all}");
}

#[test]
fn every_prefix_and_bit_flip_of_real_frames_is_safe() {
    // A small deterministic fuzz over corpus frames: every prefix, and every single-bit
    // flip of the first 64 bytes, runs without panic and yields one event.
    for frame in [
        hex_parts(SUMMIT),
        hex_parts(PROCURVE),
        hex_parts(MUD),
        phone(),
    ] {
        for n in 0..=frame.len() {
            fuzz(&frame[..n]);
        }
        for i in 0..frame.len().min(64) {
            for bit in 0..8 {
                let mut f = frame.clone();
                f[i] ^= 1 << bit;
                let r = run(&f);
                assert_eq!(r.events.len(), 1);
            }
        }
    }
}
