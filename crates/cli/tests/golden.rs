//! Golden tests: the whole `wardline.analysis/v1` report for a few corpus captures, as insta
//! snapshots (review changes with `cargo insta review`; never accept blindly).

mod common;

use common::{analyze_json, corpus};

fn golden(name: &str, relative: &str) {
    let path = corpus().join(relative);
    let (out, mut json) = analyze_json(&[&path], &[]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The corpus location differs between machines; the rest must not.
    json["inputs"][0]["path"] = serde_json::Value::String(format!("<corpus>/{relative}"));
    insta::assert_json_snapshot!(name, json);
}

#[test]
fn golden_dhcp_exchange() {
    golden("dhcp_exchange", "arkime/tests/pcap/wireshark-dhcp.pcap");
}

#[test]
fn golden_dhcp_vendor_class() {
    golden(
        "dhcp_vendor_class",
        "suricata-verify/tests/dhcp-eve-extended-option-60/input.pcap",
    );
}

#[test]
fn golden_mdns_names() {
    golden("mdns_names", "zeek/testing/btest/Traces/dns/mdns.pcap");
}

#[test]
fn golden_ipv6_neighbor_discovery() {
    golden(
        "ipv6_neighbor_discovery",
        "zeek/testing/btest/Traces/icmp/icmp6-nd-options.pcap",
    );
}

#[test]
fn golden_qinq_vlans() {
    golden("qinq_vlans", "zeek/testing/btest/Traces/q-in-q.pcap");
}

#[test]
fn golden_linux_sll2() {
    golden(
        "linux_sll2",
        "zeek/testing/btest/Traces/linux_dlt_sll2.pcap",
    );
}

// Identification goldens: captures where the kb names what a device is, so a rule or
// combination change shows up as a reviewed snapshot diff.

/// Cisco switches announcing themselves by CDP and LLDP: category, model, OS and firmware
/// from the platform and software-version strings.
#[test]
fn golden_identification_cdp_lldp_switches() {
    golden(
        "identification_cdp_lldp_switches",
        "tcpdump/tests/LLDP_and_CDP.pcap",
    );
}

/// A Philips Hue bridge setting up (IoT Sentinel): smart hub from its SSDP/HTTP
/// self-description, firmware from the bridge's own version string.
#[test]
fn golden_identification_hue_bridge() {
    golden(
        "identification_hue_bridge",
        "iot-sentinel/HueBridge/Setup-A-1-STA.pcap",
    );
}

/// BACnet/IP devices: the building-controller role from the protocol they serve.
#[test]
fn golden_identification_bacnet() {
    golden(
        "identification_bacnet",
        "arkime/tests/pcap/bacnet-stack-services.pcap",
    );
}
