//! BACnet/IP fixtures: real datagrams from arkime/tests/pcap/bacnet-stack-services.pcap and
//! nDPI/tests/cfgs/default/pcap/bacnet.pcap (hex from
//! `tshark -r FILE -Y bacapp -T fields -e udp.payload`), and annotated synthetic ones.

#![allow(clippy::unwrap_used)]

use super::*;
use crate::testing::{
    Harness, anomalies, counter, ctx_udp, fact, facts, fuzz_mutated, hex, run_session, software,
};

/// A BVLC Original-Unicast-NPDU around `npdu` (Annex J.2.11), its length filled in.
fn unicast(npdu: &[u8]) -> Vec<u8> {
    let len = u16::try_from(npdu.len() + 4).unwrap().to_be_bytes();
    [&[0x81, 0x0a][..], &len, npdu].concat()
}

/// bacnet-stack-services.pcap frame 13: I-Am, Original-Broadcast-NPDU, routed.
const I_AM_ROUTED: &str = "81 0b 001c \
    01 28 ffff 00 000d 01 3d fe \
    10 00 c4 0200003d 22 01e0 91 00 21 2a";
/// bacnet-stack-services.pcap frame 10: Who-Is for device 61..61 to DNET 65535.
const WHO_IS: &str = "81 0a 0010 01 20 ffff 00 ff 10 08 09 3d 19 3d";
/// bacnet-stack-services.pcap frame 53: ReadProperty ComplexACK, analog-output 101,
/// priority-array (87), sixteen NULLs.
const RP_ACK_PRIORITY: &str = "81 0a 0026 01 08 000d 01 3d 30 01 0c 0c 00400065 19 57 3e \
    00000000000000000000000000000000 3f";
/// nDPI bacnet.pcap frame 17: I-Am, not routed, device 4194303, vendor 260.
const I_AM_PLAIN: &str = "81 0b 0015 01 00 10 00 c4 023fffff 22 05c4 91 03 22 0104";

/// CharacterString in UTF-8, application tag 7 with an extended length (clause 20.2.9).
fn text(s: &str) -> Vec<u8> {
    let len = u8::try_from(s.len() + 1).unwrap();
    [&[0x75, len, 0x00][..], s.as_bytes()].concat()
}

/// One RPM result: propertyIdentifier [2] then propertyValue [4] (clause 15.7.1.3.1).
fn result(property: u8, value: &[u8]) -> Vec<u8> {
    [&[0x29, property, 0x4e][..], value, &[0x4f]].concat()
}

/// An invented ReadPropertyMultiple-ACK for device 123 naming its vendor, model, firmware.
fn rpm_ack() -> Vec<u8> {
    let results = [
        result(77, &text("Isolation-AHU3")),         // object-name
        result(70, &text("OxyGuard 500")),           // model-name
        result(44, &text("4.2.1")),                  // firmware-revision
        result(12, &text("app-7.0")),                // application-software-version
        result(121, &text("Acme Controls")),         // vendor-name
        result(120, &[0x21, 0x2a]),                  // vendor-identifier: Unsigned 42
        result(75, &[0xc4, 0x02, 0x00, 0x00, 0x7b]), // object-identifier: not reported
        // description (28): propertyAccessError [5] {error-class property (2),
        // error-code unknown-property (32)}
        vec![0x29, 0x1c, 0x5e, 0x91, 0x02, 0x91, 0x20, 0x5f],
    ]
    .concat();
    let apdu = [
        &[0x30][..],                     // clause 20.1.5 ComplexACK, not segmented
        &[0x05],                         // invoke ID 5
        &[0x0e],                         // service readPropertyMultiple (14)
        &[0x0c, 0x02, 0x00, 0x00, 0x7b], // [0] objectIdentifier device,123
        &[0x1e],                         // [1] listOfResults opening tag
        &results,
        &[0x1f], // [1] closing tag
    ]
    .concat();
    unicast(&[&[0x01, 0x00][..], &apdu].concat()) // NPDU version 1, control 0
}

/// A ReadProperty-ACK (clause 15.5.1.3) for device 123 with `value` as propertyValue.
fn rp_ack(property: u8, value: &[u8]) -> Vec<u8> {
    let apdu = [
        &[0x30, 0x07, 0x0c][..],         // ComplexACK, invoke 7, readProperty (12)
        &[0x0c, 0x02, 0x00, 0x00, 0x7b], // [0] objectIdentifier device,123
        &[0x19, property],               // [1] propertyIdentifier
        &[0x3e],                         // [3] propertyValue opening tag
        value,
        &[0x3f], // [3] closing tag
    ]
    .concat();
    unicast(&[&[0x01, 0x00][..], &apdu].concat())
}

#[test]
fn real_i_am_matches_tshark() {
    // tshark on bacnet-stack-services.pcap frame 13: bvlc.function 0x0b, bacapp.type 1,
    // bacapp.unconfirmed_service 0, bacapp.instance_number 61, bacapp.vendor_identifier 42;
    // max APDU 480, segmented-both (0).
    let mut h = Harness::<Bacnet>::udp(47808);
    assert_eq!(h.feed(Side::Client, &hex(I_AM_ROUTED)), Verdict::Continue);
    let obs = h.observations();
    assert_eq!(fact(&obs, "bacnet.device_instance"), Some("61"));
    assert_eq!(fact(&obs, "bacnet.vendor_id"), Some("42"));
    assert!(anomalies(&obs).is_empty(), "{:?}", anomalies(&obs));
    let e = &h.events()[0].body;
    assert_eq!(e["bvlc_function"], "Original-Broadcast-NPDU");
    assert_eq!(e["apdu_type"], "unconfirmed_request");
    assert_eq!(e["service"], "i_am");
    assert_eq!(e["device_instance"], 61);
    assert_eq!(e["vendor_id"], 42);
    assert_eq!(e["max_apdu"], 480);
    assert_eq!(e["segmentation"], 0);
}

#[test]
fn real_unrouted_i_am_through_the_registry() {
    // nDPI bacnet.pcap frame 17; tshark: instance 4194303, vendor 260.
    let (name, obs, _) = run_session(ctx_udp(47808), &[(Side::Client, &hex(I_AM_PLAIN))]);
    assert_eq!(name, Some("bacnet"));
    assert_eq!(fact(&obs, "bacnet.device_instance"), Some("4194303"));
    assert_eq!(fact(&obs, "bacnet.vendor_id"), Some("260"));
}

#[test]
fn real_who_is_is_counted() {
    let mut h = Harness::<Bacnet>::udp(47808);
    h.feed(Side::Client, &hex(WHO_IS));
    assert_eq!(h.counter("who_is"), 1);
    assert!(facts(&h.observations()).is_empty());
    assert_eq!(h.events()[0].body["service"], "who_is");
}

#[test]
fn real_read_property_ack_of_another_object() {
    // tshark on frame 53: bacapp.type 3, confirmed_service 12, instance 101, property 87.
    let mut h = Harness::<Bacnet>::udp(47808);
    h.feed(Side::Server, &hex(RP_ACK_PRIORITY));
    let obs = h.observations();
    assert!(anomalies(&obs).is_empty(), "{:?}", anomalies(&obs));
    assert!(facts(&obs).is_empty(), "not the device object");
    let e = &h.events()[0].body;
    assert_eq!(e["apdu_type"], "complex_ack");
    assert_eq!(e["service"], "read_property");
    assert_eq!(e["invoke_id"], 1);
    assert_eq!(e["properties"], serde_json::json!([87]));
}

#[test]
fn read_property_multiple_names_the_device() {
    let mut h = Harness::<Bacnet>::udp(47808);
    h.feed(Side::Server, &rpm_ack());
    h.end();
    let obs = h.observations();
    assert!(anomalies(&obs).is_empty(), "{:?}", anomalies(&obs));
    assert_eq!(fact(&obs, "bacnet.object_name"), Some("Isolation-AHU3"));
    assert_eq!(fact(&obs, "bacnet.model_name"), Some("OxyGuard 500"));
    assert_eq!(fact(&obs, "bacnet.firmware_revision"), Some("4.2.1"));
    assert_eq!(
        fact(&obs, "bacnet.application_software_version"),
        Some("app-7.0")
    );
    assert_eq!(fact(&obs, "bacnet.vendor_name"), Some("Acme Controls"));
    assert_eq!(fact(&obs, "bacnet.vendor_id"), Some("42"));
    assert!(facts(&obs).iter().all(|(side, _, _)| *side == "server"));
    assert_eq!(
        software(&obs),
        vec![(
            "server",
            "Acme Controls OxyGuard 500".into(),
            Some("4.2.1".into())
        )]
    );
    let e = &h.events()[0].body;
    assert_eq!(
        e["properties"],
        serde_json::json!([77, 70, 44, 12, 121, 120, 75, 28])
    );
}

#[test]
fn read_property_acks_build_the_software_across_datagrams() {
    let mut h = Harness::<Bacnet>::udp(47808);
    h.feed(Side::Server, &rp_ack(121, &text("Acme Controls")));
    h.feed(Side::Server, &rp_ack(70, &text("OxyGuard 500")));
    h.feed(Side::Server, &rp_ack(44, &text("4.2.1")));
    h.end();
    assert_eq!(
        software(&h.observations()),
        vec![(
            "server",
            "Acme Controls OxyGuard 500".into(),
            Some("4.2.1".into())
        )]
    );
}

#[test]
fn non_utf8_string_is_kept_and_counted() {
    // Character set 4 = UCS-2 (clause 20.2.9): "AB" as 00 41 00 42.
    let ucs2 = [0x75, 0x05, 0x04, 0x00, 0x41, 0x00, 0x42];
    let mut h = Harness::<Bacnet>::udp(47808);
    h.feed(Side::Server, &rp_ack(77, &ucs2));
    assert_eq!(h.counter("bacnet_non_utf8_string"), 1);
    assert!(fact(&h.observations(), "bacnet.object_name").is_some());
}

#[test]
fn hostile_tag_length_0xffffffff() {
    // Clause 20.2.1.3.1: LVT 5, extended length 255, then a four-octet length.
    let value = [0x75, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, b'x'];
    let mut h = Harness::<Bacnet>::udp(47808);
    assert_eq!(h.feed(Side::Server, &rp_ack(77, &value)), Verdict::Continue);
    let obs = h.observations();
    assert_eq!(anomalies(&obs), vec!["bacnet_tag_length_past_end"]);
    assert!(facts(&obs).is_empty());
}

#[test]
fn hostile_deep_nesting() {
    // Twenty nested context opening tags [0] inside propertyValue, then as many closings.
    let mut value = vec![0x0e; 20];
    value.extend([0x0f; 20]);
    let mut h = Harness::<Bacnet>::udp(47808);
    h.feed(Side::Server, &rp_ack(77, &value));
    assert_eq!(
        anomalies(&h.observations()),
        vec!["bacnet_nesting_too_deep"]
    );
    // Three levels are fine (the value is then not a single string: no fact).
    let mut h = Harness::<Bacnet>::udp(47808);
    h.feed(
        Side::Server,
        &rp_ack(77, &[0x0e, 0x1e, 0x2e, 0x2f, 0x1f, 0x0f]),
    );
    assert!(anomalies(&h.observations()).is_empty());
}

#[test]
fn hostile_unclosed_value_and_extended_tag_number() {
    let mut h = Harness::<Bacnet>::udp(47808);
    // propertyValue opened, then the datagram ends (rp_ack closes [3]; cut it off).
    let mut d = rp_ack(77, &text("x"));
    d.pop();
    let len = u16::try_from(d.len()).unwrap().to_be_bytes();
    d[2..4].copy_from_slice(&len);
    h.feed(Side::Server, &d);
    // Extended tag number (clause 20.2.1.2): tag field 15 (context, length 0), the number
    // in the next octet (the closing tag's), then nothing.
    h.feed(Side::Server, &rp_ack(77, &[0xf8]));
    let a = anomalies(&h.observations());
    assert!(a.contains(&"bacnet_tag_past_end"), "{a:?}");
    assert_eq!(h.counter("bacnet_tag_past_end"), 2);
}

#[test]
fn hostile_bvlc_length_and_npdu() {
    let mut h = Harness::<Bacnet>::udp(47808);
    let mut d = hex(I_AM_PLAIN);
    d.push(0); // one byte more than the BVLC length says
    h.feed(Side::Client, &d);
    h.feed(Side::Client, &unicast(&[0x02, 0x00, 0x10, 0x08])); // NPDU version 2
    h.feed(
        Side::Client,
        &unicast(&[0x01, 0x08, 0x00, 0x01, 0x00, 0x10, 0x08]),
    ); // SLEN 0
    h.feed(Side::Client, &unicast(&[0x01, 0x00, 0x90])); // APDU type 9: reserved
    let a = anomalies(&h.observations());
    assert_eq!(
        a,
        vec![
            "bacnet_bvlc_length_mismatch",
            "bacnet_npdu_version",
            "bacnet_npdu_slen_zero",
            "bacnet_reserved_apdu_type"
        ]
    );
}

#[test]
fn segmented_ack_is_not_decoded() {
    let apdu = [0x38, 0x01, 0x00, 0x04, 0x0c, 0x0c, 0x02, 0x00, 0x00, 0x7b];
    let mut h = Harness::<Bacnet>::udp(47808);
    h.feed(Side::Server, &unicast(&[&[0x01, 0x00][..], &apdu].concat()));
    assert_eq!(h.counter("bacnet_segmented_ack"), 1);
    assert!(anomalies(&h.observations()).is_empty());
}

#[test]
fn done_after_256_datagrams() {
    let mut h = Harness::<Bacnet>::udp(47808);
    let d = hex(WHO_IS);
    for _ in 0..255 {
        assert_eq!(h.feed(Side::Client, &d), Verdict::Continue);
    }
    assert_eq!(h.feed(Side::Client, &d), Verdict::Done);
}

#[test]
fn probe_checks_the_bvlc_header() {
    let bac = ctx_udp(47808);
    let other = ctx_udp(40001);
    assert_eq!(
        Bacnet::probe(&hex(I_AM_PLAIN), Side::Client, &other),
        Probe::Yes
    );
    // Register-Foreign-Device (Annex J.2.6), TTL 60: no NPDU, so only on the BACnet port.
    let register = hex("81 05 0006 003c");
    assert_eq!(Bacnet::probe(&register, Side::Client, &bac), Probe::Yes);
    assert_eq!(Bacnet::probe(&register, Side::Client, &other), Probe::No);
    // Length mismatch, unknown function, wrong type, short.
    assert_eq!(
        Bacnet::probe(&hex("81 0b 0016 0100"), Side::Client, &bac),
        Probe::No
    );
    assert_eq!(
        Bacnet::probe(&hex("81 0d 0004"), Side::Client, &bac),
        Probe::No
    );
    assert_eq!(
        Bacnet::probe(&hex("82 0a 0006 0100"), Side::Client, &bac),
        Probe::No
    );
    assert_eq!(Bacnet::probe(&hex("81 0a"), Side::Client, &bac), Probe::No);
    // An NPDU with another version on another port.
    assert_eq!(
        Bacnet::probe(&hex("81 0a 0006 0200"), Side::Client, &other),
        Probe::No
    );
}

#[test]
fn bvlc_header_alone_off_the_bacnet_port_is_not_bacnet() {
    // A consistent BVLC header, but no NPDU version 1 after it and not on port 47808.
    let d = b"\x81\x0a\x00\x09hello";
    let (name, _, c) = run_session(ctx_udp(40001), &[(Side::Client, d)]);
    assert_ne!(name, Some("bacnet"));
    assert_eq!(counter(&c, "bacnet", "flows"), 0);
    // On the BACnet port the header is enough; the NPDU is then an anomaly.
    let (name, obs, _) = run_session(ctx_udp(47808), &[(Side::Client, d)]);
    assert_eq!(name, Some("bacnet"));
    assert_eq!(anomalies(&obs), vec!["bacnet_npdu_version"]);
}

/// Mutated copies of the fixtures through the fuzz entry point (probe included): nothing
/// panics. Deterministic (xorshift), so a failure reproduces.
#[test]
fn mutated_fixtures_do_not_panic() {
    let seeds: Vec<Vec<u8>> = vec![
        hex(I_AM_ROUTED),
        hex(WHO_IS),
        rpm_ack(),
        hex(RP_ACK_PRIORITY),
    ];
    fuzz_mutated("bacnet", &seeds);
}
