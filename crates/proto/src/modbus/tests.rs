//! Modbus/TCP fixtures: real ADUs from suricata-verify/tests/modbus/modbus.pcap and
//! zeek/testing/btest/Traces/modbus/modbus-eit.pcap (hex from
//! `tshark -r FILE -Y mbtcp -T fields -e tcp.payload`), and annotated synthetic ones.

#![allow(clippy::unwrap_used)]

use super::*;
use crate::testing::{
    Harness, anomalies, ctx_tcp, fact, facts, fuzz_mutated, hex, run_session, software,
};

/// modbus.pcap frame 8: Diagnostic (8) request, unit 10.
const DIAG_REQ: &str = "0000 0000 0006 0a 08 0004 0000";
/// modbus.pcap frame 9: exception response 0x88, exception code 11.
const DIAG_EXC: &str = "0000 0000 0003 0a 88 0b";
/// modbus.pcap frame 57: Read Holding Registers (3), address 5, quantity 2.
const READ_REQ: &str = "0001 0000 0006 0a 03 0005 0002";
/// modbus.pcap frame 58: its response, 4 bytes of register values.
const READ_RSP: &str = "0001 0000 0007 0a 03 04 00090018";
/// modbus.pcap frame 60: Write Single Coil (5), address 2, value 0.
const WRITE_REQ: &str = "0001 0000 0006 0a 05 0002 0000";
/// modbus.pcap frame 32: Read Device Identification request (43/14), code 3, object 1 (and
/// one trailing byte the capture has).
const DEVID_REQ: &str = "0001 0000 0006 0a 2b 0e 03 01 00";

/// An invented Read Device Identification response, basic category (§6.21).
fn devid_basic() -> Vec<u8> {
    [
        &[0x00, 0x01][..],           // MBAP Transaction Identifier 1
        &[0x00, 0x00],               // MBAP Protocol Identifier 0 = Modbus
        &[0x00, 42],                 // MBAP Length: unit id + 41 PDU bytes
        &[0x01],                     // MBAP Unit Identifier 1
        &[0x2b],                     // §6.19 function 43 Encapsulated Interface Transport
        &[0x0e],                     // §6.21 MEI type 14 Read Device Identification
        &[0x01],                     // Read Device ID code 01 = basic
        &[0x01],                     // Conformity level 01 = basic, stream access only
        &[0x00],                     // More Follows: no
        &[0x00],                     // Next Object Id
        &[0x03],                     // Number of objects
        b"\x00\x10Acme Medical Gas", // object 0x00 VendorName
        b"\x01\x07MGC-200",          // object 0x01 ProductCode
        b"\x02\x05V2.11",            // object 0x02 MajorMinorRevision
    ]
    .concat()
}

/// The regular category that follows: VendorUrl, ProductName, ModelName, UserApplicationName.
fn devid_regular() -> Vec<u8> {
    let objects: Vec<u8> = [
        &b"\x03\x10http://acme.test"[..], // 0x03 VendorUrl: not a fact
        b"\x04\x11MedGas Controller",     // 0x04 ProductName
        b"\x05\x0aMGC-200-EU",            // 0x05 ModelName
        b"\x06\x0dWard 5 Oxygen",         // 0x06 UserApplicationName: free text, not kept
    ]
    .concat();
    let pdu = [&[0x2b, 0x0e, 0x02, 0x02, 0x00, 0x00, 0x04][..], &objects].concat();
    let len = u16::try_from(pdu.len() + 1).unwrap().to_be_bytes();
    [&[0x00, 0x02, 0x00, 0x00][..], &len, &[0x01], &pdu].concat()
}

#[test]
fn real_exception_response_matches_tshark() {
    // Expected from tshark on modbus.pcap frames 8 and 9: mbtcp.trans_id 0, mbtcp.prot_id 0,
    // mbtcp.unit_id 10, modbus.func_code 8, modbus.exception_code 11.
    let mut h = Harness::<Modbus>::tcp(502);
    h.feed(Side::Client, &hex(DIAG_REQ));
    h.feed(Side::Server, &hex(DIAG_EXC));
    let ev = h.events();
    let req = &ev[0].body["request"];
    assert_eq!(req["transaction_id"], 0);
    assert_eq!(req["protocol_id"], 0);
    assert_eq!(req["unit_id"], 10);
    assert_eq!(req["function_raw"], 8);
    assert_eq!(req["function_code"], "Diagnostic");
    let rsp = &ev[1].body["response"];
    assert_eq!(rsp["function_raw"], 0x88);
    assert_eq!(rsp["function_code"], "Diagnostic");
    assert_eq!(rsp["exception"]["raw"], 11);
    assert_eq!(rsp["exception"]["code"], "GatewayTargetFailToResp");
    assert_eq!(h.counter("exceptions"), 1);
    assert!(anomalies(&h.observations()).is_empty());
}

#[test]
fn real_eit_exception_from_zeek_capture() {
    // modbus-eit.pcap frames 3 and 4: a Read Device Identification request to unit 255
    // answered with exception 0xab, code 4 (tshark: modbus.func_code 43, exception 4).
    let mut h = Harness::<Modbus>::tcp(502);
    h.feed(Side::Client, &hex("0000 0000 0005 ff 2b 0e 01 00"));
    h.feed(Side::Server, &hex("0000 0000 0003 ff ab 04"));
    let ev = h.events();
    assert_eq!(ev[0].body["request"]["mei"]["code"], "RdDevId");
    assert_eq!(ev[0].body["request"]["unit_id"], 255);
    assert_eq!(
        ev[1].body["response"]["exception"]["code"],
        "ServerDeviceFail"
    );
    assert!(facts(&h.observations()).is_empty());
}

#[test]
fn reads_writes_and_mei_requests_through_the_registry() {
    let req = [hex(READ_REQ), hex(WRITE_REQ), hex(DEVID_REQ)].concat();
    let (name, obs, c) = run_session(
        ctx_tcp(502),
        &[(Side::Client, &req), (Side::Server, &hex(READ_RSP))],
    );
    assert_eq!(name, Some("modbus"));
    assert!(anomalies(&obs).is_empty());
    assert_eq!(crate::testing::counter(&c, "modbus", "writes"), 1);
    assert_eq!(crate::testing::counter(&c, "modbus", "messages"), 4);
}

#[test]
fn device_identification_gives_facts_and_software() {
    let mut h = Harness::<Modbus>::tcp(502);
    h.feed(Side::Client, &hex(DEVID_REQ));
    h.feed(Side::Server, &devid_basic());
    h.feed(Side::Server, &devid_regular());
    h.end();
    let obs = h.observations();
    assert_eq!(fact(&obs, "modbus.vendor_name"), Some("Acme Medical Gas"));
    assert_eq!(fact(&obs, "modbus.product_code"), Some("MGC-200"));
    assert_eq!(fact(&obs, "modbus.revision"), Some("V2.11"));
    assert_eq!(fact(&obs, "modbus.product_name"), Some("MedGas Controller"));
    assert_eq!(fact(&obs, "modbus.model_name"), Some("MGC-200-EU"));
    assert!(facts(&obs).iter().all(|(side, _, _)| *side == "server"));
    assert_eq!(
        software(&obs),
        vec![(
            "server",
            "Acme Medical Gas MedGas Controller".into(),
            Some("V2.11".into())
        )]
    );
    let all = format!("{obs:?}{:?}", h.events());
    assert!(!all.contains("Ward 5"), "user application name leaked");
    let ev = h.events();
    let rsp = &ev[1].body["response"];
    assert_eq!(
        rsp["device_identification"]["vendor_name"],
        "Acme Medical Gas"
    );
    assert_eq!(rsp["mei"]["read_device_id_code"], 1);
    assert_eq!(rsp["mei"]["conformity_level"], 1);
    assert_eq!(rsp["mei"]["more_follows"], false);
}

#[test]
fn software_without_product_name_uses_the_product_code() {
    let mut h = Harness::<Modbus>::tcp(502);
    h.feed(Side::Server, &devid_basic());
    h.end();
    assert_eq!(
        software(&h.observations()),
        vec![(
            "server",
            "Acme Medical Gas MGC-200".into(),
            Some("V2.11".into())
        )]
    );
}

#[test]
fn adus_split_across_deliveries() {
    let mut h = Harness::<Modbus>::tcp(502);
    let rsp = devid_basic();
    for chunk in rsp.chunks(5) {
        assert_eq!(h.feed(Side::Server, chunk), Verdict::Continue);
    }
    assert_eq!(fact(&h.observations(), "modbus.revision"), Some("V2.11"));
    assert_eq!(h.counter("messages"), 1);
}

#[test]
fn done_after_256_pdus() {
    let mut h = Harness::<Modbus>::tcp(502);
    let req = hex(READ_REQ);
    for _ in 0..255 {
        assert_eq!(h.feed(Side::Client, &req), Verdict::Continue);
    }
    assert_eq!(h.feed(Side::Client, &req), Verdict::Done);
}

/// arkime/tests/pcap/modbus.pcap stream 6 (tshark decodes it as Modbus/TCP by port): a scan
/// of the function codes from 0, each answered with an exception.
#[test]
fn function_code_scan_on_port_502_is_modbus() {
    // MBAP: transaction 0, protocol 0, length 6, unit 1; function 0 (not a function).
    let first = hex("0000 0000 0006 01 00 0000 0000");
    assert_eq!(
        Modbus::probe(&first, Side::Client, &ctx_tcp(502)),
        Probe::Yes
    );
    // Off the Modbus port the same bytes are not evidence enough.
    let twice = [first.clone(), first.clone()].concat();
    assert_eq!(
        Modbus::probe(&twice, Side::Client, &ctx_tcp(5020)),
        Probe::No
    );
    let mut h = Harness::<Modbus>::tcp(502);
    assert_eq!(h.feed(Side::Client, &first), Verdict::Continue);
    // The exception response: function 0x80, exception 01 (illegal function).
    let answer = hex("0000 0000 0003 01 80 01");
    assert_eq!(h.feed(Side::Server, &answer), Verdict::Continue);
    assert_eq!(h.counter("messages"), 2);
}

#[test]
fn hostile_mbap_length_zero() {
    let bad = hex("0001 0000 0000 01 03");
    assert_eq!(Modbus::probe(&bad, Side::Client, &ctx_tcp(502)), Probe::No);
    let mut h = Harness::<Modbus>::tcp(502);
    assert_eq!(h.feed(Side::Client, &bad), Verdict::Done);
    assert_eq!(anomalies(&h.observations()), vec!["modbus_invalid_mbap"]);
}

#[test]
fn hostile_mbap_length_65535() {
    let mut bad = hex("0001 0000 ffff 01 03");
    bad.extend([0u8; 300]);
    assert_eq!(Modbus::probe(&bad, Side::Client, &ctx_tcp(502)), Probe::No);
    let mut h = Harness::<Modbus>::tcp(502);
    assert_eq!(h.feed(Side::Client, &bad), Verdict::Done);
    assert_eq!(anomalies(&h.observations()), vec!["modbus_invalid_mbap"]);
}

#[test]
fn hostile_device_id_object_past_the_end() {
    // One object announced 0xff bytes long inside a 12-byte ADU.
    let rsp = hex("0003 0000 000b 01 2b 0e 01 01 00 00 01 00 ff 41");
    let mut h = Harness::<Modbus>::tcp(502);
    h.feed(Side::Server, &rsp);
    let obs = h.observations();
    assert_eq!(anomalies(&obs), vec!["modbus_device_id_truncated"]);
    assert!(facts(&obs).is_empty());
}

#[test]
fn hostile_device_id_with_255_objects() {
    // Number of objects 255, but only 120 empty private objects fit before the ADU ends:
    // an anomaly, nothing kept.
    let mut pdu = vec![0x2b, 0x0e, 0x01, 0x01, 0x00, 0x00, 0xff];
    pdu.extend(std::iter::repeat_n([0x80, 0x00], 120).flatten());
    let len = u16::try_from(pdu.len() + 1).unwrap().to_be_bytes();
    let adu = [&[0, 4, 0, 0][..], &len, &[1], &pdu].concat();
    let mut h = Harness::<Modbus>::tcp(502);
    h.feed(Side::Server, &adu);
    assert_eq!(
        anomalies(&h.observations()),
        vec!["modbus_device_id_truncated"]
    );
}

#[test]
fn exception_function_in_a_request_is_an_anomaly() {
    let mut h = Harness::<Modbus>::tcp(502);
    h.feed(Side::Client, &hex("0001 0000 0002 01 83"));
    h.feed(Side::Client, &hex("0001 0000 0002 01 00"));
    assert_eq!(
        anomalies(&h.observations()),
        vec!["modbus_invalid_function"]
    );
    assert_eq!(h.counter("modbus_invalid_function"), 2);
}

#[test]
fn probe_needs_port_502_or_two_frames() {
    let one = hex(READ_REQ);
    let two = [hex(READ_REQ), hex(WRITE_REQ)].concat();
    let p502 = ctx_tcp(502);
    let other = ctx_tcp(5020);
    assert_eq!(Modbus::probe(&one, Side::Client, &p502), Probe::Yes);
    assert_eq!(
        Modbus::probe(&one[..5], Side::Client, &p502),
        Probe::NeedMore
    );
    assert_eq!(
        Modbus::probe(&one[..11], Side::Client, &p502),
        Probe::NeedMore
    );
    assert_eq!(Modbus::probe(&one, Side::Client, &other), Probe::NeedMore);
    assert_eq!(
        Modbus::probe(&two[..15], Side::Client, &other),
        Probe::NeedMore
    );
    assert_eq!(Modbus::probe(&two, Side::Client, &other), Probe::Yes);
    // A frame followed by bytes that are not one.
    let junk = [hex(READ_REQ), b"\x01\x02\x03\x04\x05\x06\x07\x08".to_vec()].concat();
    assert_eq!(Modbus::probe(&junk, Side::Client, &other), Probe::No);
    // Exception responses only from the server, off the Modbus port; on it any function code
    // in a well-formed MBAP header (a scanner's, a mis-oriented flow's) is Modbus.
    let exc = hex(DIAG_EXC);
    assert_eq!(Modbus::probe(&exc, Side::Server, &p502), Probe::Yes);
    assert_eq!(Modbus::probe(&exc, Side::Client, &p502), Probe::Yes);
    assert_eq!(Modbus::probe(&exc, Side::Client, &other), Probe::No);
    // Text and other binary protocols.
    assert_eq!(
        Modbus::probe(b"GET / HTTP/1.1\r\n", Side::Client, &p502),
        Probe::No
    );
    assert_eq!(
        Modbus::probe(&hex("0001 0001 0006 01 03 0000 0001"), Side::Client, &p502),
        Probe::No
    );
}

#[test]
fn gap_ends_the_parser() {
    let mut h = Harness::<Modbus>::tcp(502);
    h.feed(Side::Client, &hex(READ_REQ)[..4]);
    assert_eq!(h.gap(Side::Client, 100), Verdict::Done);
}

/// Mutated copies of the fixtures through the fuzz entry point (probe included): nothing
/// panics. Deterministic (xorshift), so a failure reproduces.
#[test]
fn mutated_fixtures_do_not_panic() {
    let seeds: Vec<Vec<u8>> = vec![hex(READ_REQ), devid_basic(), devid_regular(), hex(DIAG_EXC)];
    fuzz_mutated("modbus", &seeds);
}
