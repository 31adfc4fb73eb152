//! HL7 v2 fixtures. Messages are built field by field, each field annotated with its name
//! and the standard's section; the patient in them is invented ("DOE^JANE", MRN0001234, born
//! 19800101) and must appear nowhere in what the parser produces.

use model::Observation;
use serde_json::Value;

use super::mllp::{CR, END_BLOCK, START_BLOCK};
use super::*;
use crate::testing::{
    Harness, anomalies, counter, ctx_tcp, exposures, fact, facts, run_session, software,
};

/// One segment: fields joined by `|`, ended by CR (HL7 v2.5.1 ch. 2.5.4).
fn seg(fields: &[&str]) -> Vec<u8> {
    let mut s = fields.join("|").into_bytes();
    s.push(CR);
    s
}

/// An MLLP block (MLLP r2 §2): <SB> segments <EB><CR>.
fn block(segments: &[Vec<u8>]) -> Vec<u8> {
    let mut b = vec![START_BLOCK];
    for s in segments {
        b.extend_from_slice(s);
    }
    b.extend_from_slice(&[END_BLOCK, CR]);
    b
}

/// The segments of an ORU^R01 from a monitor gateway: MSH, PID, PV1, OBR, two OBX.
fn oru_segments() -> Vec<Vec<u8>> {
    vec![
        // ch. 2.15.9 MSH message header
        seg(&[
            "MSH",   // segment ID; MSH-1 field separator is the '|' after it
            "^~\\&", // MSH-2 encoding characters: component ^, repetition ~,
            //                        escape \, subcomponent &
            "MONITOR_GW",      // MSH-3 sending application
            "ICU",             // MSH-4 sending facility
            "HIS",             // MSH-5 receiving application
            "HOSP",            // MSH-6 receiving facility
            "20240101120000",  // MSH-7 date/time of message
            "",                // MSH-8 security
            "ORU^R01^ORU_R01", // MSH-9 message type: code ^ trigger ^ structure
            "CTRL000042",      // MSH-10 message control id (never kept)
            "P",               // MSH-11 processing id
            "2.5.1",           // MSH-12 version id
        ]),
        // ch. 3.4.2 PID patient identification (invented patient)
        seg(&[
            "PID",                  // segment ID
            "1",                    // PID-1 set id (not patient data)
            "",                     // PID-2 patient id (withdrawn)
            "MRN0001234^^^HOSP^MR", // PID-3 patient identifier list
            "",                     // PID-4 alternate patient id
            "DOE^JANE",             // PID-5 patient name
            "",                     // PID-6 mother's maiden name
            "19800101",             // PID-7 date/time of birth
            "F",                    // PID-8 administrative sex
        ]),
        // ch. 3.4.3 PV1 patient visit
        seg(&[
            "PV1",      // segment ID
            "1",        // PV1-1 set id
            "I",        // PV1-2 patient class
            "ICU^BED7", // PV1-3 assigned patient location
        ]),
        // ch. 7.4.1 OBR observation request
        seg(&["OBR", "1", "", "", "VITALS^Vital signs^L"]),
        // ch. 7.4.2 OBX observation/result, with the equipment that measured it
        seg(&[
            "OBX",                        // segment ID
            "1",                          // OBX-1 set id
            "NM",                         // OBX-2 value type
            "8867-4^Heart rate^LN",       // OBX-3 observation identifier
            "",                           // OBX-4 observation sub-id
            "72",                         // OBX-5 observation value (patient data)
            "/min^beats per minute^UCUM", // OBX-6 units
            "",
            "",
            "",
            "",  // OBX-7 .. OBX-10
            "F", // OBX-11 observation result status
            "",
            "",
            "",
            "",
            "",
            "",                                      // OBX-12 .. OBX-17
            "MON-0042^ACME^0012345678ABCDEF^EUI-64", // OBX-18 equipment instance identifier
        ]),
        seg(&[
            "OBX",
            "2",
            "NM",
            "2708-6^SpO2^LN",
            "",
            "98",
            "%^percent^UCUM",
            "",
            "",
            "",
            "",
            "F",
        ]),
    ]
}

fn oru() -> Vec<u8> {
    block(&oru_segments())
}

/// ch. 2.15.8 MSA: the receiver's general acknowledgment of the ORU.
fn ack() -> Vec<u8> {
    let mut b = vec![START_BLOCK]; // MLLP r2 §2 <SB>
    b.extend_from_slice(b"MSH|^~\\&|"); // MSH, MSH-1 '|', MSH-2 encoding characters
    b.extend_from_slice(b"HIS|HOSP|"); // MSH-3 sending application, MSH-4 sending facility
    b.extend_from_slice(b"MONITOR_GW|ICU|"); // MSH-5, MSH-6: the original sender
    b.extend_from_slice(b"20240101120001||"); // MSH-7 date/time, MSH-8 security
    b.extend_from_slice(b"ACK^R01^ACK|"); // MSH-9 message type
    b.extend_from_slice(b"ACK0001|P|2.5.1\r"); // MSH-10 control id, MSH-11, MSH-12 version
    b.extend_from_slice(b"MSA|AA|CTRL000042\r"); // MSA-1 ack code AA, MSA-2 control id
    b.extend_from_slice(&[END_BLOCK, CR]); // <EB><CR>
    b
}

/// Values that must never leave the parser.
const SECRETS: &[&str] = &[
    "DOE",
    "JANE",
    "MRN0001234",
    "19800101",
    "CTRL000042",
    "beats per minute",
    "Heart rate",
    "BED7",
    "MOUSE",
    "135769",
    "Penicillin",
    "Lake Buena",
];

fn assert_no_patient_values(obs: &[Observation], events: &[model::AppEvent]) {
    let all = format!("{obs:?}{events:?}");
    for s in SECRETS {
        assert!(!all.contains(s), "{s} leaked into the output");
    }
    // OBX-5 values "72" and "98" as kept strings (Debug quotes them).
    assert!(
        !all.contains("\"72\"") && !all.contains("\"98\""),
        "OBX-5 leaked"
    );
}

fn event_list(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(String::from))
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn oru_from_a_monitor_names_both_sides_and_is_a_phi_exposure() {
    let mut h = Harness::<Hl7>::tcp(6661);
    assert_eq!(h.feed(Side::Client, &oru()), Verdict::Depth(16 << 20));
    let obs = h.observations();
    let f = facts(&obs);
    for want in [
        ("client", "hl7.sending_application", "MONITOR_GW"),
        ("client", "hl7.sending_facility", "ICU"),
        ("server", "hl7.receiving_application", "HIS"),
        ("server", "hl7.receiving_facility", "HOSP"),
        ("client", "hl7.version", "2.5.1"),
        ("client", "hl7.message_type", "ORU^R01"),
        (
            "client",
            "hl7.equipment_id",
            "MON-0042^ACME^0012345678ABCDEF^EUI-64",
        ),
    ] {
        assert!(
            f.contains(&(want.0, want.1, want.2.into())),
            "missing {want:?} in {f:?}"
        );
    }
    assert_eq!(f.len(), 7, "{f:?}");
    assert!(software(&obs).is_empty());
    let e = exposures(&obs);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].kind, ExposureKind::CleartextPhi);
    assert_eq!(e[0].side, Side::Client);
    assert_eq!(e[0].subject, "ORU^R01");
    assert_eq!(
        e[0].fields,
        [
            "PID-3", "PID-5", "PID-7", "PID-8", "PV1-2", "PV1-3", "OBX-5"
        ]
    );
    let ev = h.events();
    assert_eq!(ev.len(), 1);
    let b = &ev[0].body;
    assert_eq!(ev[0].event_type, "hl7");
    assert_eq!(b["message_type"], "ORU");
    assert_eq!(b["trigger_event"], "R01");
    assert_eq!(b["message_structure"], "ORU_R01");
    assert_eq!(b["version"], "2.5.1");
    assert_eq!(b["sending_application"], "MONITOR_GW");
    assert_eq!(b["receiving_facility"], "HOSP");
    assert_eq!(b["control_id_present"], true);
    assert_eq!(b["segment_count"], 6);
    assert_eq!(b["mllp"], true);
    assert_eq!(b["direction"], "to_server");
    assert_eq!(
        event_list(&b["segments"]),
        ["MSH", "PID", "PV1", "OBR", "OBX", "OBX"]
    );
    assert_eq!(
        event_list(&b["patient_fields_present"]),
        [
            "PID-3", "PID-5", "PID-7", "PID-8", "PV1-2", "PV1-3", "OBX-5"
        ]
    );
    assert!(b.get("ack_code").is_none());
    assert_eq!(b["bytes"], oru().len() - 3);
    assert_no_patient_values(&obs, &ev);
    assert_eq!(h.counter("messages"), 1);
    assert_eq!(h.counter("hl7_control_id_present"), 1);
    assert!(anomalies(&obs).is_empty(), "{:?}", anomalies(&obs));
}

#[test]
fn ack_from_the_server_carries_its_code_and_no_exposure() {
    let (name, obs, c) = run_session(
        ctx_tcp(6661),
        &[(Side::Client, &oru()), (Side::Server, &ack())],
    );
    assert_eq!(name, Some("hl7"));
    let f = facts(&obs);
    assert!(f.contains(&("server", "hl7.sending_application", "HIS".into())));
    assert!(f.contains(&("client", "hl7.receiving_application", "MONITOR_GW".into())));
    assert!(f.contains(&("server", "hl7.message_type", "ACK^R01".into())));
    assert_eq!(
        exposures(&obs).len(),
        1,
        "only the ORU carries patient data"
    );
    assert_eq!(counter(&c, "hl7", "messages"), 2);
    assert_eq!(counter(&c, "hl7", "flows"), 1);

    let mut h = Harness::<Hl7>::tcp(6661);
    h.feed(Side::Server, &ack());
    let ev = h.events();
    assert_eq!(ev[0].body["ack_code"], "AA");
    assert_eq!(ev[0].body["direction"], "to_client");
    assert_no_patient_values(&h.observations(), &ev);
}

#[test]
fn server_speaking_first_with_an_ack_is_recognised() {
    let (name, obs, _) = run_session(ctx_tcp(7000), &[(Side::Server, &ack())]);
    assert_eq!(name, Some("hl7"));
    assert_eq!(fact(&obs, "hl7.sending_application"), Some("HIS"));
}

#[test]
fn adt_a01_lists_patient_fields_by_name_only() {
    // ch. 3.3.1 ADT^A01 admit/visit notification, v2.3.
    let msg = block(&[
        seg(&[
            "MSH",
            "^~\\&",
            "ADT_SYS",
            "HOSP",
            "LAB",
            "HOSP",
            "20240101",
            "",
            "ADT^A01",
            "CTRL000042",
            "P",
            "2.3",
        ]),
        seg(&["EVN", "A01", "20240101"]), // ch. 3.4.1 EVN event type (not patient data)
        seg(&["PID", "1", "", "MRN0001234", "", "DOE^JANE", "", "19800101"]),
        seg(&["NK1", "1", "DOE^JOHN", "SPO"]), // ch. 3.4.5 NK1-2 name, NK1-3 relationship
        seg(&["PV1", "1", "O", "", "", "", "", "^^^^"]), // PV1-7 only separators: empty
    ]);
    let mut h = Harness::<Hl7>::tcp(2575);
    h.feed(Side::Client, &msg);
    let obs = h.observations();
    let e = exposures(&obs);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].subject, "ADT^A01");
    assert_eq!(
        e[0].fields,
        ["PID-3", "PID-5", "PID-7", "NK1-2", "NK1-3", "PV1-2"]
    );
    assert_eq!(fact(&obs, "hl7.version"), Some("2.3"));
    assert_no_patient_values(&obs, &h.events());
}

/// nDPI tests/cfgs/default/pcap/hl7.pcap (port 6661): the ADT^A01 of frame 4 and the ACK of
/// frame 5, payloads as `tshark -T fields -e tcp.payload` prints them. tshark's own HL7
/// dissector (`-d tcp.port==6661,hl7`) reads the same: message type ADT / ACK, event A01,
/// MSH "field 4/5/6/7" (its numbering counts the segment id) = SENDING_APPLICATION,
/// SENDING_FACILITY, RECEIVING_APPLICATION, RECEIVING_FACILITY, version 2.3.
const NDPI_ADT: &[u8] = b"\x0bMSH|^~\\&|SENDING_APPLICATION|SENDING_FACILITY|RECEIVING_APPLICATION|RECEIVING_FACILITY|20110613083617||ADT^A01|934576120110613083617|P|2.3||||\rEVN|A01|20110613083617|||\rPID|1||135769||MOUSE^MICKEY^||19281118|M|||123 Main St.^^Lake Buena Vista^FL ^32830||(407)939-5555^^^ohtoodles@notdisney.com|||||1719|999999999||| |MOUSETOWN||||||||||||||||\rNK1|1|MOUSE^MINNIE|WIFE||||||NK\rPV1|1|O|||||^^^^^^^^|^^^^^^^^\rAL1|1||^Penicillin||Anaphylactic shock\rAL1|2||^Cat dander||Skin rash\r\x1c\r";
const NDPI_ACK: &[u8] = b"\x0bMSH|^~\\&|RECEIVING_APPLICATION|RECEIVING_FACILITY|SENDING_APPLICATION|SENDING_FACILITY|20180129192342.245||ACK|20180129192342.245|P|2.3\rMSA|AA|934576120110613083617\r\x1c\r";

#[test]
fn ndpi_capture_matches_tshark() {
    assert_eq!(NDPI_ADT.len(), 477);
    assert_eq!(NDPI_ACK.len(), 168);
    let (name, obs, _) = run_session(
        ctx_tcp(6661),
        &[(Side::Client, NDPI_ADT), (Side::Server, NDPI_ACK)],
    );
    assert_eq!(name, Some("hl7"));
    let f = facts(&obs);
    for want in [
        ("client", "hl7.sending_application", "SENDING_APPLICATION"),
        ("client", "hl7.sending_facility", "SENDING_FACILITY"),
        (
            "server",
            "hl7.receiving_application",
            "RECEIVING_APPLICATION",
        ),
        ("server", "hl7.receiving_facility", "RECEIVING_FACILITY"),
        ("client", "hl7.message_type", "ADT^A01"),
        ("client", "hl7.version", "2.3"),
        ("server", "hl7.sending_application", "RECEIVING_APPLICATION"),
        ("server", "hl7.message_type", "ACK"),
    ] {
        assert!(
            f.contains(&(want.0, want.1, want.2.into())),
            "missing {want:?} in {f:?}"
        );
    }
    let e = exposures(&obs);
    assert_eq!(e.len(), 1);
    assert_eq!(
        e[0].fields,
        [
            "PID-3", "PID-5", "PID-7", "PID-8", "PID-11", "PID-13", "PID-18", "PID-19", "PID-23",
            "NK1-2", "NK1-3", "NK1-9", "PV1-2", "AL1-3", "AL1-5"
        ]
    );
    let all = format!("{obs:?}");
    for s in [
        "MICKEY",
        "19281118",
        "407",
        "notdisney",
        "MOUSETOWN",
        "Anaphylactic",
    ] {
        assert!(!all.contains(s), "{s} leaked");
    }
}

#[test]
fn a_message_split_at_every_byte_gives_the_same_result() {
    let msg = oru();
    let mut whole = Harness::<Hl7>::tcp(6661);
    whole.feed(Side::Client, &msg);
    let want = (
        facts(&whole.observations()),
        exposures(&whole.observations()),
    );
    let want_events: Vec<_> = whole.events().into_iter().map(|e| e.body).collect();
    for k in 1..msg.len() {
        let mut h = Harness::<Hl7>::tcp(6661);
        h.feed(Side::Client, &msg[..k]);
        h.feed(Side::Client, &msg[k..]);
        let obs = h.observations();
        assert_eq!((facts(&obs), exposures(&obs)), want, "split at {k}");
        let got: Vec<_> = h.events().into_iter().map(|e| e.body).collect();
        assert_eq!(got, want_events, "split at {k}");
    }
}

#[test]
fn a_message_delivered_one_byte_at_a_time_is_parsed_once() {
    let mut h = Harness::<Hl7>::tcp(6661);
    for b in oru() {
        h.feed(Side::Client, &[b]);
    }
    assert_eq!(h.counter("messages"), 1);
    assert_eq!(
        fact(&h.observations(), "hl7.sending_application"),
        Some("MONITOR_GW")
    );
}

#[test]
fn probe_through_the_registry_on_a_split_start() {
    let msg = oru();
    let (name, obs, _) = run_session(
        ctx_tcp(6661),
        &[(Side::Client, &msg[..2]), (Side::Client, &msg[2..])],
    );
    assert_eq!(name, Some("hl7"));
    assert_eq!(exposures(&obs).len(), 1);
}

#[test]
fn two_messages_in_one_delivery() {
    let mut both = oru();
    both.extend_from_slice(&oru());
    let mut h = Harness::<Hl7>::tcp(6661);
    h.feed(Side::Client, &both);
    let obs = h.observations();
    assert_eq!(h.counter("messages"), 2);
    assert_eq!(exposures(&obs).len(), 2, "one exposure per message");
    assert_eq!(h.events().len(), 2);
    // Facts repeat on the flow: kept once.
    assert_eq!(facts(&obs).len(), 7);
}

#[test]
fn unframed_stream_is_read_and_the_last_message_ends_with_the_flow() {
    // HL7 v2.5.1 ch. 2.5: no MLLP, messages back to back, each starting with MSH.
    let mut s = Vec::new();
    for m in [oru_segments(), oru_segments()] {
        for seg in m {
            s.extend_from_slice(&seg);
        }
    }
    let (name, obs, c) = run_session(ctx_tcp(9100), &[(Side::Client, &s)]);
    assert_eq!(name, Some("hl7"));
    assert_eq!(
        counter(&c, "hl7", "messages"),
        2,
        "the second one is flushed at the end"
    );
    assert_eq!(exposures(&obs).len(), 2);
    assert_eq!(fact(&obs, "hl7.sending_application"), Some("MONITOR_GW"));
    assert!(anomalies(&obs).is_empty(), "{:?}", anomalies(&obs));
}

#[test]
fn unframed_with_lf_terminators_is_read_leniently() {
    let s = b"MSH|^~\\&|LAB_GW|LAB|HIS|HOSP|20240101||ORU^R01|C1|P|2.4\nPID|1||MRN0001234\n";
    let mut h = Harness::<Hl7>::tcp(9100);
    h.feed(Side::Client, s);
    h.end();
    let obs = h.observations();
    assert_eq!(fact(&obs, "hl7.sending_application"), Some("LAB_GW"));
    assert_eq!(exposures(&obs)[0].fields, ["PID-3"]);
    assert_eq!(h.counter("hl7_lf_segment_terminator"), 1);
    assert_no_patient_values(&obs, &h.events());
}

#[test]
fn custom_separators_are_the_messages_own() {
    // MSH-1 '#', MSH-2 "*~\&": component separator '*'. The '|' is ordinary data here.
    let msg = block(&[
        b"MSH#*~\\&#LAB|GW*1.2.3*ISO#LAB#HIS#HOSP#20240101##ORU*R01#CTRL000042#P#2.5\r".to_vec(),
        b"PID#1##MRN0001234##DOE*JANE\r".to_vec(),
        b"OBX#1#NM#HR##72\r".to_vec(),
    ]);
    let mut h = Harness::<Hl7>::tcp(6661);
    h.feed(Side::Client, &msg);
    let obs = h.observations();
    assert_eq!(
        fact(&obs, "hl7.sending_application"),
        Some("LAB|GW*1.2.3*ISO")
    );
    assert_eq!(fact(&obs, "hl7.message_type"), Some("ORU^R01"));
    assert_eq!(fact(&obs, "hl7.version"), Some("2.5"));
    assert_eq!(exposures(&obs)[0].fields, ["PID-3", "PID-5", "OBX-5"]);
    assert_no_patient_values(&obs, &h.events());
}

#[test]
fn unframed_custom_field_separator_probes() {
    let ctx = ctx_tcp(9100);
    assert_eq!(Hl7::probe(b"MSH#*~\\&#LAB", Side::Client, &ctx), Probe::Yes);
    // v2.7 ch. 2.5.5.2: a fifth encoding character, the truncation character '#'.
    assert_eq!(
        Hl7::probe(b"MSH|^~\\&#|LAB", Side::Client, &ctx),
        Probe::Yes
    );
}

#[test]
fn probe_is_by_content_and_port_breaks_ties_only() {
    let ctx = ctx_tcp(80);
    let p = |b: &[u8]| Hl7::probe(b, Side::Client, &ctx);
    assert_eq!(p(b""), Probe::NeedMore);
    assert_eq!(p(b"\x0b"), Probe::NeedMore);
    assert_eq!(p(b"\x0bMS"), Probe::NeedMore);
    assert_eq!(p(b"\x0bMSH"), Probe::Yes);
    assert_eq!(p(b"\x0bGET"), Probe::No);
    assert_eq!(p(b"M"), Probe::NeedMore);
    assert_eq!(p(b"MSH|^~"), Probe::NeedMore);
    assert_eq!(p(b"MSH|^~\\&"), Probe::NeedMore);
    assert_eq!(p(b"MSH|^~\\&|"), Probe::Yes);
    assert_eq!(p(b"MSG|^~\\&|"), Probe::No);
    assert_eq!(p(b"MSH ^~\\&|"), Probe::No, "a space is not a separator");
    assert_eq!(p(b"MSHA^~\\&A"), Probe::No, "a letter is not a separator");
    assert_eq!(p(b"MSH|abcd|"), Probe::No);
    assert_eq!(
        p(b"MSH|^^^^|"),
        Probe::No,
        "repeated encoding characters: loose"
    );
    assert_eq!(p(b"GET / HTTP/1.1\r\n"), Probe::No);
    assert_eq!(p(b"\x16\x03\x01\x02\x00"), Probe::No);
    // A loose header (two encoding characters) only on HL7's port.
    assert_eq!(p(b"MSH|^~|APP"), Probe::No);
    assert_eq!(
        Hl7::probe(b"MSH|^~|APP", Side::Client, &ctx_tcp(2575)),
        Probe::Yes
    );
}

#[test]
fn truncated_frame_is_an_anomaly_at_the_end_and_reveals_nothing() {
    let msg = oru();
    let mut h = Harness::<Hl7>::tcp(6661);
    h.feed(Side::Client, &msg[..msg.len() / 2]);
    h.end();
    let obs = h.observations();
    assert_eq!(anomalies(&obs), ["hl7_truncated_message"]);
    assert!(facts(&obs).is_empty());
    assert_eq!(h.counter("messages"), 0);
}

#[test]
fn missing_end_block_is_noticed_at_the_next_start_block() {
    let mut first = oru();
    first.truncate(first.len() - 2); // drop <EB><CR>
    first.extend_from_slice(&ack());
    let mut h = Harness::<Hl7>::tcp(6661);
    h.feed(Side::Client, &first);
    let obs = h.observations();
    assert_eq!(h.counter("messages"), 2);
    assert_eq!(h.counter("hl7_missing_end_block"), 1);
    assert!(anomalies(&obs).contains(&"hl7_missing_end_block"));
    // The unterminated ORU was still read (its bytes were all there).
    assert_eq!(exposures(&obs).len(), 1);
    assert_no_patient_values(&obs, &h.events());
}

#[test]
fn start_block_inside_data_is_data_unless_a_header_follows() {
    let msg = block(&[
        seg(&[
            "MSH", "^~\\&", "APP\x0bX", "FAC", "", "", "", "", "ORU^R01", "1", "P", "2.5",
        ]),
        seg(&["OBX", "1", "ST", "X", "", "\x0bMSG"]),
    ]);
    let mut h = Harness::<Hl7>::tcp(6661);
    h.feed(Side::Client, &msg);
    let obs = h.observations();
    assert_eq!(h.counter("messages"), 1);
    assert_eq!(h.counter("hl7_start_block_in_data"), 1);
    assert_eq!(exposures(&obs).len(), 1);
    // Wire text replaces the control character.
    assert_eq!(fact(&obs, "hl7.sending_application"), Some("APP\u{fffd}X"));
}

#[test]
fn two_mib_message_is_skipped_and_the_next_one_read() {
    let mut big = vec![START_BLOCK];
    big.extend_from_slice(b"MSH|^~\\&|BIG_APP|FAC|||||ORU^R01|1|P|2.5\r");
    let obx = seg(&["OBX", "1", "ED", "PDF", "", &"A".repeat(1000)]);
    while big.len() < 2 << 20 {
        big.extend_from_slice(&obx);
    }
    big.extend_from_slice(&[END_BLOCK, CR]);
    big.extend_from_slice(&ack());
    // Whole, then in 1460-byte segments as TCP delivers it.
    for chunk in [big.len(), 1460] {
        let mut h = Harness::<Hl7>::tcp(6661);
        for c in big.chunks(chunk) {
            assert_eq!(h.feed(Side::Client, c), Verdict::Depth(16 << 20));
        }
        let obs = h.observations();
        assert_eq!(h.counter("hl7_message_oversize"), 1, "chunk {chunk}");
        assert_eq!(h.counter("messages"), 1, "chunk {chunk}");
        assert_eq!(
            fact(&obs, "hl7.sending_application"),
            Some("HIS"),
            "chunk {chunk}"
        );
        assert!(facts(&obs).iter().all(|f| f.2 != "BIG_APP"));
        assert!(
            anomalies(&obs).is_empty(),
            "resync is not an anomaly: {:?}",
            anomalies(&obs)
        );
    }
}

#[test]
fn ten_thousand_segments_are_bounded() {
    let mut segs = vec![seg(&[
        "MSH",
        "^~\\&",
        "MONITOR_GW",
        "ICU",
        "",
        "",
        "",
        "",
        "ORU^R01",
        "1",
        "P",
        "2.6",
    ])];
    for i in 0..10_000 {
        segs.push(seg(&["OBX", &i.to_string(), "NM", "HR", "", "72"]));
        if i % 100 == 0 {
            segs.push(seg(&["NTE", "1", "", "free text about DOE"]));
        }
    }
    let msg = block(&segs);
    let mut h = Harness::<Hl7>::tcp(6661);
    h.feed(Side::Client, &msg);
    let obs = h.observations();
    let ev = h.events();
    let b = &ev[0].body;
    assert_eq!(b["segment_count"], 10_101);
    assert_eq!(event_list(&b["segments"]).len(), 64);
    assert_eq!(event_list(&b["patient_fields_present"]), ["OBX-5", "NTE-3"]);
    assert_eq!(h.counter("hl7_segment_names_dropped"), 1);
    assert_eq!(exposures(&obs).len(), 1);
    assert_no_patient_values(&obs, &ev);
}

#[test]
fn many_patient_fields_are_capped() {
    let fields: Vec<String> = (0..300).map(|i| format!("v{i}")).collect();
    let mut pid = vec!["PID"];
    pid.extend(fields.iter().map(String::as_str));
    let mut zpid = vec!["IN1"];
    zpid.extend(fields.iter().map(String::as_str));
    let msg = block(&[
        seg(&[
            "MSH", "^~\\&", "A", "B", "", "", "", "", "ADT^A08", "1", "P", "2.5",
        ]),
        seg(&pid),
        seg(&zpid),
    ]);
    let mut h = Harness::<Hl7>::tcp(6661);
    h.feed(Side::Client, &msg);
    let obs = h.observations();
    let e = exposures(&obs);
    assert_eq!(e[0].fields.len(), 64);
    assert_eq!(h.counter("hl7_patient_fields_dropped"), 1);
    assert_eq!(h.counter("hl7_fields_over_limit"), 1);
    assert!(!format!("{obs:?}{:?}", h.events()).contains("v17"));
}

#[test]
fn gap_resynchronises_on_the_next_start_block() {
    let msg = oru();
    let mut h = Harness::<Hl7>::tcp(6661);
    h.feed(Side::Client, &msg[..40]);
    assert_eq!(h.gap(Side::Client, 100), Verdict::Depth(16 << 20));
    let mut rest = msg[140..].to_vec();
    rest.extend_from_slice(&ack());
    h.feed(Side::Client, &rest);
    let obs = h.observations();
    assert_eq!(h.counter("messages"), 1, "only the ACK after the gap");
    assert_eq!(fact(&obs, "hl7.sending_application"), Some("HIS"));
    assert!(anomalies(&obs).is_empty(), "{:?}", anomalies(&obs));
}

#[test]
fn junk_between_frames_is_an_anomaly_and_skipped() {
    let mut d = b"garbage\r\nPID|1||MRN0001234\r".to_vec();
    d.extend_from_slice(&ack());
    let mut h = Harness::<Hl7>::tcp(6661);
    h.feed(Side::Client, &d);
    let obs = h.observations();
    assert_eq!(anomalies(&obs), ["hl7_data_outside_message"]);
    assert_eq!(h.counter("messages"), 1);
    assert!(exposures(&obs).is_empty(), "junk is not parsed");
    assert_no_patient_values(&obs, &h.events());
}

#[test]
fn equipment_and_udi_from_prt_segments() {
    // v2.8.2 ch. 7 PRT participation: PRT-10 device (EI), PRT-16 UDI device identifier.
    let mut prt = vec!["PRT", "1", "UC", "", "EQUIP", "DOE^JANE"]; // PRT-5 person: not kept
    prt.extend(["", "", "", ""]); // PRT-6 .. PRT-9
    prt.push("PUMP-7~PUMP-8"); // PRT-10 participation device, two repetitions
    prt.extend(["", "", "", "", ""]); // PRT-11 .. PRT-15
    prt.push("(01)00812345678903(21)SN123"); // PRT-16 UDI device identifier
    let msg = block(&[
        seg(&[
            "MSH", "^~\\&", "PUMP_GW", "ICU", "", "", "", "", "ORU^R40", "1", "P", "2.8.2",
        ]),
        seg(&prt),
    ]);
    let mut h = Harness::<Hl7>::tcp(6661);
    h.feed(Side::Client, &msg);
    let obs = h.observations();
    let f = facts(&obs);
    assert!(f.contains(&("client", "hl7.equipment_id", "PUMP-7".into())));
    assert!(f.contains(&("client", "hl7.equipment_id", "PUMP-8".into())));
    assert!(f.contains(&("client", "hl7.udi", "(01)00812345678903(21)SN123".into())));
    assert_eq!(
        event_list(&h.events()[0].body["udis"]),
        ["(01)00812345678903(21)SN123"]
    );
    assert!(exposures(&obs).is_empty(), "PRT is not a patient segment");
    assert_no_patient_values(&obs, &h.events());
}

#[test]
fn many_equipment_ids_are_capped() {
    let ids: Vec<String> = (0..20).map(|i| format!("DEV{i}")).collect();
    let mut segs = vec![seg(&[
        "MSH", "^~\\&", "GW", "", "", "", "", "", "ORU^R01", "1", "P", "2.6",
    ])];
    for id in &ids {
        let mut obx = vec!["OBX", "1", "NM", "HR", "", ""];
        obx.extend(["", "", "", "", "", "", "", "", "", "", "", ""]); // OBX-6 .. OBX-17
        obx.push(id); // OBX-18
        segs.push(seg(&obx));
    }
    let mut h = Harness::<Hl7>::tcp(6661);
    h.feed(Side::Client, &block(&segs));
    let obs = h.observations();
    let n = facts(&obs)
        .iter()
        .filter(|f| f.1 == "hl7.equipment_id")
        .count();
    assert_eq!(n, message::MAX_DEVICE_IDS);
    assert_eq!(h.counter("hl7_device_ids_dropped"), 1);
    assert!(exposures(&obs).is_empty(), "OBX-5 empty: no patient data");
}

#[test]
fn empty_and_null_patient_fields_are_no_exposure() {
    let msg = block(&[
        seg(&[
            "MSH", "^~\\&", "A", "", "", "", "", "", "ADT^A08", "1", "P", "2.5",
        ]),
        seg(&["PID", "1", "", "^^^~^", "", "\"\"", "", " "]), // set id, separators, HL7 null
        seg(&["OBX", "1", "NM", "HR", "", ""]),               // OBX-5 empty
    ]);
    let mut h = Harness::<Hl7>::tcp(6661);
    h.feed(Side::Client, &msg);
    assert!(exposures(&h.observations()).is_empty());
}

#[test]
fn hostile_unknown_ack_code_is_not_kept() {
    let msg = block(&[
        seg(&[
            "MSH", "^~\\&", "A", "", "", "", "", "", "ACK", "1", "P", "2.5",
        ]),
        seg(&["MSA", "DOE^JANE", "1"]),
    ]);
    let mut h = Harness::<Hl7>::tcp(6661);
    h.feed(Side::Server, &msg);
    let obs = h.observations();
    assert_eq!(anomalies(&obs), ["hl7_unknown_ack_code"]);
    assert!(h.events()[0].body.get("ack_code").is_none());
    assert_no_patient_values(&obs, &h.events());
}

#[test]
fn hostile_bad_segment_ids_are_not_recorded() {
    // A free-text line break inside a value makes a "segment" of patient text.
    let msg = block(&[
        seg(&[
            "MSH", "^~\\&", "A", "", "", "", "", "", "ORU^R01", "1", "P", "2.5",
        ]),
        b"NTE|1||see\rDoe Jane said|x\rjane|\r".to_vec(),
    ]);
    let mut h = Harness::<Hl7>::tcp(6661);
    h.feed(Side::Client, &msg);
    let obs = h.observations();
    assert_eq!(anomalies(&obs), ["hl7_bad_segment_id"]);
    let ev = h.events();
    assert_eq!(event_list(&ev[0].body["segments"]), ["MSH", "NTE"]);
    assert_eq!(ev[0].body["segment_count"], 4);
    assert!(!format!("{obs:?}{ev:?}").to_lowercase().contains("jane"));
}

#[test]
fn hostile_frame_without_msh() {
    let mut h = Harness::<Hl7>::tcp(6661);
    h.feed(
        Side::Client,
        &block(&[seg(&["PID", "1", "", "MRN0001234"])]),
    );
    h.feed(Side::Client, &[START_BLOCK, END_BLOCK, CR]); // an empty block
    let obs = h.observations();
    assert_eq!(h.counter("hl7_missing_msh"), 2);
    let e = exposures(&obs);
    assert_eq!(e[0].subject, "unknown");
    assert_eq!(e[0].fields, ["PID-3"]);
    assert!(facts(&obs).is_empty());
    assert_no_patient_values(&obs, &h.events());
}

#[test]
fn hostile_short_and_odd_headers_do_not_panic() {
    for m in [
        &b"\x0bMSH\x1c\r"[..],
        b"\x0bMSH|\x1c\r",
        b"\x0bMSH|^\x1c\r",
        b"\x0bMSH\r\r\r\x1c\r",
        b"\x0bMSHMSHMSH\x1c\r",
        b"\x0b\x0b\x0b\x1c\x1c\r\r",
        b"\x0bMSH|^~\\&|||||||^^^^|\x1c\r",
        b"\x0bMSH|^~\\&|\xff\xfe|\x00|\x1c\r",
        b"MSH|^~\\&|\x0b\x1c\x0b",
        b"\x1c\r\x1c\r\x0b",
    ] {
        let mut h = Harness::<Hl7>::tcp(6661);
        h.feed(Side::Client, m);
        h.gap(Side::Client, 5);
        h.feed(Side::Client, m);
        h.end();
        let _ = h.observations();
    }
}

#[test]
fn hostile_overlong_sending_application_is_truncated() {
    let app = "X".repeat(10_000);
    let msg = block(&[seg(&[
        "MSH", "^~\\&", &app, "", "", "", "", "", "ORU^R01", "1", "P", "2.5",
    ])]);
    let mut h = Harness::<Hl7>::tcp(6661);
    h.feed(Side::Client, &msg);
    let obs = h.observations();
    let v = fact(&obs, "hl7.sending_application").unwrap_or_default();
    assert_eq!(v.len(), wire::text::MAX_TEXT_LEN);
    assert!(v.ends_with(wire::text::TRUNCATION_MARK));
}

#[test]
fn framer_pure_cases() {
    let mut r = 0;
    // <SB> "MSH" <EB> <CR>: a 6-byte block.
    assert_eq!(
        mllp::frame(b"\x0bMSH\x1c\r\x0b", &mut r),
        mllp::Frame::Block(6)
    );
    assert_eq!(mllp::frame(b"\x0bMSH\x1c", &mut r), mllp::Frame::Incomplete);
    assert_eq!(r, 4, "resumes at the end block");
    assert_eq!(mllp::frame(b"\x0bMSH\x1c\r", &mut r), mllp::Frame::Block(6));
    assert_eq!(r, 0);
    assert_eq!(
        mllp::frame(b"\x0bMSH\r\x0bMSH", &mut r),
        mllp::Frame::Unterminated(5)
    );
    assert_eq!(mllp::frame(b"\r\n  \x0b", &mut r), mllp::Frame::Blank(4));
    assert_eq!(mllp::frame(b"xx\x0bMSH", &mut r), mllp::Frame::Junk(2));
    assert_eq!(
        mllp::frame(b"MSH|a\rPID|\rMSH|b", &mut r),
        mllp::Frame::Unframed(11)
    );
    assert_eq!(mllp::frame(b"MSH|a\rMS", &mut r), mllp::Frame::Incomplete);
    assert_eq!(mllp::payload(b"\x0bMSH\x1c\r"), (&b"MSH"[..], true));
    assert_eq!(mllp::payload(b"\x0bMSH\r"), (&b"MSH\r"[..], false));
    assert_eq!(mllp::payload(b"MSH\r\x1c"), (&b"MSH\r"[..], true));
}

/// A loopback capture made for this parser: python-hl7 0.4.5's `mllp_send` sending an
/// ORU^R01 to its own asyncio MLLP server (`hl7.mllp.start_hl7_server`), which answered with
/// `Message.create_ack()`; payloads from `tshark -T fields -e tcp.payload`. tshark's HL7
/// dissector (`-d tcp.port==6000,hl7`) reads ORU/R01 then ACK/R01 with MSH-3 MONITOR_GW then
/// HIS, as below. The ACK's MSH-10 is the library's generated control id.
const PYHL7_ORU: &[u8] = b"\x0bMSH|^~\\&|MONITOR_GW|ICU|HIS|HOSP|20240101120000||ORU^R01^ORU_R01|CTRL000042|P|2.5.1\rPID|1||MRN0001234^^^HOSP^MR||DOE^JANE||19800101|F\rOBX|1|NM|8867-4^Heart rate^LN||72|/min|||||F|||||||MON-0042^ACME\x1c\r";
const PYHL7_ACK: &[u8] = b"\x0bMSH|^~\\&|HIS|HOSP|MONITOR_GW|ICU|20261202150026||ACK^R01^ACK|6336150026563353GI7N|P|2.5.1\rMSA|AA|CTRL000042\r\x1c\r";

#[test]
fn python_hl7_loopback_capture() {
    let (name, obs, c) = run_session(
        ctx_tcp(6000),
        &[(Side::Client, PYHL7_ORU), (Side::Server, PYHL7_ACK)],
    );
    assert_eq!(name, Some("hl7"));
    let f = facts(&obs);
    for want in [
        ("client", "hl7.sending_application", "MONITOR_GW"),
        ("client", "hl7.equipment_id", "MON-0042^ACME"),
        ("server", "hl7.sending_application", "HIS"),
        ("server", "hl7.message_type", "ACK^R01"),
    ] {
        assert!(
            f.contains(&(want.0, want.1, want.2.into())),
            "missing {want:?} in {f:?}"
        );
    }
    assert_eq!(
        exposures(&obs)[0].fields,
        ["PID-3", "PID-5", "PID-7", "PID-8", "OBX-5"]
    );
    assert_eq!(counter(&c, "hl7", "messages"), 2);
    assert!(anomalies(&obs).is_empty());
    assert_no_patient_values(&obs, &[]);
    assert!(!format!("{obs:?}").contains("GI7N"), "control id not kept");
}

#[test]
fn hostile_mutated_messages_in_random_pieces_do_not_panic() {
    // A fixed xorshift: mutates the ORU and the ACK byte by byte (framing bytes included)
    // and delivers them in random pieces with gaps, through the fuzz entry point too.
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let alphabet = [
        START_BLOCK,
        END_BLOCK,
        CR,
        b'\n',
        b'|',
        b'^',
        b'~',
        b'M',
        b'S',
        b'H',
        0,
    ];
    for _ in 0..2000 {
        let mut sides = [oru(), ack()];
        for m in &mut sides {
            for _ in 0..(next() % 8) {
                let i = (next() as usize) % m.len();
                m[i] = alphabet[(next() as usize) % alphabet.len()];
            }
            m.truncate(m.len() - (next() as usize) % 16);
        }
        // Each side's bytes in order (as TCP delivers them), the two sides interleaved.
        let mut h = Harness::<Hl7>::tcp(6661);
        let mut rest = [&sides[0][..], &sides[1][..]];
        while rest.iter().any(|r| !r.is_empty()) {
            let i = (next() % 2) as usize;
            let side = [Side::Client, Side::Server][i];
            let n = (1 + (next() as usize) % 64).min(rest[i].len());
            let (a, b) = rest[i].split_at(n);
            h.feed(side, a);
            if next() % 50 == 0 {
                h.gap(side, 10);
            }
            rest[i] = b;
        }
        h.end();
        let obs = h.observations();
        let all = format!("{obs:?}{:?}", h.events());
        assert!(
            !all.contains("MRN0001234") && !all.contains("DOE^JANE"),
            "{:?}\n{all}",
            sides
                .iter()
                .map(|m| String::from_utf8_lossy(m))
                .collect::<Vec<_>>()
        );
        crate::fuzzing::run("hl7", &sides.concat());
    }
}

#[test]
fn hostile_malformed_msh_keeps_none_of_its_fields() {
    // An MSH whose later fields are another segment's (a corrupted or spliced stream): MSH-9
    // is not a message code, so MSH-3..6 may be anything and none is kept.
    let msg = block(&[
        b"MSH|^~\\&|MONITOR_001234^^^HOSP^MR||DOE^JANE||19800101|F\r".to_vec(),
        seg(&["PV1", "1", "I"]),
    ]);
    let mut h = Harness::<Hl7>::tcp(6661);
    h.feed(Side::Client, &msg);
    let obs = h.observations();
    assert!(facts(&obs).is_empty(), "{:?}", facts(&obs));
    assert_eq!(anomalies(&obs), ["hl7_malformed_msh"]);
    assert_eq!(exposures(&obs)[0].fields, ["PV1-2"]);
    let ev = h.events();
    assert!(ev[0].body.get("sending_application").is_none());
    assert_no_patient_values(&obs, &ev);
}
