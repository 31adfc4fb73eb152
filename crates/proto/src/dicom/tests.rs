//! DICOM fixtures, built by hand from PS3.8 §9.3 (PDUs), PS3.7 Annex E (command sets) and
//! PS3.5 §7 (data elements). Each builder names the fields it writes; the patient values
//! ("DOE^JANE", "PID12345") are invented and must never come out of the parser.

#![allow(clippy::unwrap_used)]

use super::*;
use crate::testing::{
    Harness, anomalies, ctx_tcp, exposures, fact, facts, hex, run_session, software,
};

const PATIENT_NAME: &str = "DOE^JANE";
const PATIENT_ID: &str = "PID12345";

const CT_IMAGE_STORAGE: &str = "1.2.840.10008.5.1.4.1.1.2";
const JPEG_BASELINE: &str = "1.2.840.10008.1.2.4.50";

// ---------------------------------------------------------------- builders (PS3.8 §9.3)

/// PS3.8 §9.3.1 PDU: PDU-type (1), reserved (1), PDU-length (4, BE), body.
fn pdu(t: u8, body: &[u8]) -> Vec<u8> {
    let mut v = vec![t, 0x00];
    v.extend_from_slice(&(body.len() as u32).to_be_bytes());
    v.extend_from_slice(body);
    v
}

/// PS3.8 §9.3.2.1 item: item-type (1), reserved (1), item-length (2, BE), body.
fn item(t: u8, body: &[u8]) -> Vec<u8> {
    let mut v = vec![t, 0x00];
    v.extend_from_slice(&(body.len() as u16).to_be_bytes());
    v.extend_from_slice(body);
    v
}

/// A UID as sent: PS3.5 §9.1, padded with one NUL to an even length.
fn uid(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    if v.len() % 2 == 1 {
        v.push(0);
    }
    v
}

/// PS3.8 §9.3.2: a 16-byte AE title, space padded.
fn ae(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    v.resize(16, b' ');
    v
}

/// PS3.8 §9.3.2 / §9.3.3 A-ASSOCIATE-RQ (`rq`) or -AC body around the given items.
fn associate(rq: bool, called: &str, calling: &str, items: &[Vec<u8>]) -> Vec<u8> {
    let mut b = vec![0x00, 0x01]; // protocol-version: bit 0 = version 1
    b.extend_from_slice(&[0x00, 0x00]); // reserved
    b.extend(ae(called)); // Called-AE-title
    b.extend(ae(calling)); // Calling-AE-title
    b.extend_from_slice(&[0u8; 32]); // reserved
    b.extend(item(0x10, &uid(uids::APPLICATION_CONTEXT))); // §9.3.2.1 application context
    for i in items {
        b.extend_from_slice(i);
    }
    pdu(if rq { 0x01 } else { 0x02 }, &b)
}

/// PS3.8 §9.3.2.2 presentation context (RQ): ID, reserved, reserved, reserved, then the
/// abstract syntax sub-item (0x30) and transfer syntax sub-items (0x40).
fn pc_rq(id: u8, abstract_syntax: &str, transfer_syntaxes: &[&str]) -> Vec<u8> {
    let mut b = vec![id, 0, 0, 0];
    b.extend(item(0x30, &uid(abstract_syntax)));
    for t in transfer_syntaxes {
        b.extend(item(0x40, &uid(t)));
    }
    item(0x20, &b)
}

/// PS3.8 §9.3.3.2 presentation context (AC): ID, reserved, result/reason, reserved, one
/// transfer syntax sub-item.
fn pc_ac(id: u8, result: u8, transfer_syntax: &str) -> Vec<u8> {
    let mut b = vec![id, 0, result, 0];
    b.extend(item(0x40, &uid(transfer_syntax)));
    item(0x21, &b)
}

/// PS3.8 §9.3.2.3 user information: max length (0x51, §D.1), implementation class UID
/// (0x52) and version name (0x55, PS3.7 §D.3.3.2).
fn user_info(max: u32, class_uid: &str, version: &str) -> Vec<u8> {
    let mut b = item(0x51, &max.to_be_bytes());
    b.extend(item(0x52, &uid(class_uid)));
    b.extend(item(0x55, version.as_bytes()));
    item(0x50, &b)
}

/// PS3.8 §9.3.5 P-DATA-TF with PDV items: item-length (4, BE), presentation-context-ID,
/// message control header (Annex E.2: bit 0 command, bit 1 last), fragment.
fn p_data(pdvs: &[(u8, u8, &[u8])]) -> Vec<u8> {
    let mut b = Vec::new();
    for (id, control, data) in pdvs {
        b.extend_from_slice(&((data.len() + 2) as u32).to_be_bytes());
        b.push(*id);
        b.push(*control);
        b.extend_from_slice(data);
    }
    pdu(0x04, &b)
}

/// Annex E.2 message control headers.
const COMMAND_LAST: u8 = 0x03;
const COMMAND_MORE: u8 = 0x01;
const DATA_LAST: u8 = 0x02;
const DATA_MORE: u8 = 0x00;

/// PS3.5 §7.1.3 implicit VR little endian element: group, element (LE), u32 length, value
/// (padded to even length with a space, or NUL for UIDs as given).
fn implicit(group: u16, element: u16, value: &[u8]) -> Vec<u8> {
    let mut v = group.to_le_bytes().to_vec();
    v.extend_from_slice(&element.to_le_bytes());
    let mut value = value.to_vec();
    if value.len() % 2 == 1 {
        value.push(b' ');
    }
    v.extend_from_slice(&(value.len() as u32).to_le_bytes());
    v.extend(value);
    v
}

/// PS3.5 §7.1.2 explicit VR little endian element with a short (2-byte) length.
fn explicit(group: u16, element: u16, vr: &[u8; 2], value: &[u8]) -> Vec<u8> {
    let mut v = group.to_le_bytes().to_vec();
    v.extend_from_slice(&element.to_le_bytes());
    v.extend_from_slice(vr);
    let mut value = value.to_vec();
    if value.len() % 2 == 1 {
        value.push(b' ');
    }
    v.extend_from_slice(&(value.len() as u16).to_le_bytes());
    v.extend(value);
    v
}

/// PS3.7 Annex E command set (implicit VR LE, group 0000): Affected SOP Class UID
/// (0000,0002), Command Field (0000,0100), Message ID (0000,0110) or Message ID Being
/// Responded To (0000,0120), Command Data Set Type (0000,0800), Status (0000,0900).
fn command(
    field: u16,
    sop_class: &str,
    message_id: u16,
    data_set: bool,
    status: Option<u16>,
) -> Vec<u8> {
    let mut c = implicit(0x0000, 0x0002, &uid(sop_class));
    c.extend(implicit(0x0000, 0x0100, &field.to_le_bytes()));
    let id_tag = if field & 0x8000 == 0 { 0x0110 } else { 0x0120 };
    c.extend(implicit(0x0000, id_tag, &message_id.to_le_bytes()));
    let ds: u16 = if data_set { 0x0000 } else { 0x0101 };
    c.extend(implicit(0x0000, 0x0800, &ds.to_le_bytes()));
    if let Some(s) = status {
        c.extend(implicit(0x0000, 0x0900, &s.to_le_bytes()));
    }
    // (0000,0000) Command Group Length first (PS3.7 §E.1).
    let mut out = implicit(0x0000, 0x0000, &(c.len() as u32).to_le_bytes());
    out.extend(c);
    out
}

/// A CT data set (implicit VR LE) with equipment attributes and the invented patient.
fn ct_data_set() -> Vec<u8> {
    let mut d = Vec::new();
    d.extend(implicit(0x0008, 0x0016, &uid(CT_IMAGE_STORAGE))); // SOP Class UID
    d.extend(implicit(0x0008, 0x0060, b"CT")); // Modality
    d.extend(implicit(0x0008, 0x0070, b"ACME Medical")); // Manufacturer
    d.extend(implicit(0x0008, 0x0080, b"General Hospital")); // Institution Name
    d.extend(implicit(0x0008, 0x1010, b"CTSTATION1")); // Station Name
    d.extend(implicit(0x0008, 0x1040, b"Radiology")); // Institutional Department Name
    d.extend(implicit(0x0008, 0x1090, b"Scanner 64")); // Manufacturer's Model Name
    d.extend(implicit(0x0010, 0x0010, PATIENT_NAME.as_bytes())); // Patient's Name
    d.extend(implicit(0x0010, 0x0020, PATIENT_ID.as_bytes())); // Patient ID
    d.extend(implicit(0x0010, 0x0030, b"")); // Patient's Birth Date, empty (type 2)
    d.extend(implicit(0x0018, 0x1000, b"SN-0042")); // Device Serial Number
    d.extend(implicit(0x0018, 0x1020, b"VA20\\SP1")); // Software Versions, two values
    d.extend(implicit(0x0020, 0x000D, &uid("1.2.3.4"))); // Study Instance UID: past group 0018
    d.extend(implicit(0x7FE0, 0x0010, &[0u8; 64])); // Pixel Data
    d
}

/// An RQ proposing Verification (1) and CT storage (3); an AC accepting both.
fn rq_ac() -> (Vec<u8>, Vec<u8>) {
    let rq = associate(
        true,
        "STORESCP",
        "CT_MODALITY",
        &[
            pc_rq(1, uids::VERIFICATION, &[uids::IMPLICIT_VR_LITTLE_ENDIAN]),
            pc_rq(
                3,
                CT_IMAGE_STORAGE,
                &[
                    uids::EXPLICIT_VR_LITTLE_ENDIAN,
                    uids::IMPLICIT_VR_LITTLE_ENDIAN,
                ],
            ),
            user_info(16384, "1.2.276.0.7230010.3.0.3.6.8", "OFFIS_DCMTK_368"),
        ],
    );
    let ac = associate(
        false,
        "STORESCP",
        "CT_MODALITY",
        &[
            pc_ac(1, 0, uids::IMPLICIT_VR_LITTLE_ENDIAN),
            pc_ac(3, 0, uids::IMPLICIT_VR_LITTLE_ENDIAN),
            user_info(0, "1.2.826.0.1.3680043.9.3811.2.0.2", "PYNETDICOM_200"),
        ],
    );
    (rq, ac)
}

fn no_patient_values(h: &mut Harness<Dicom>) {
    let obs = format!("{:?}", h.observations());
    let events: Vec<String> = h
        .events()
        .iter()
        .map(|e| serde_json::to_string(&e.body).unwrap())
        .collect();
    let events = events.join("\n");
    for v in [PATIENT_NAME, PATIENT_ID] {
        assert!(!obs.contains(v), "{v} in observations");
        assert!(!events.contains(v), "{v} in events");
    }
}

fn event_of<'a>(events: &'a [model::AppEvent], kind: &str) -> Vec<&'a Map<String, Value>> {
    events
        .iter()
        .filter(|e| e.body.get("type").and_then(Value::as_str) == Some(kind))
        .map(|e| &e.body)
        .collect()
}

// ---------------------------------------------------------------- a literal fixture

/// A-ASSOCIATE-RQ with one Verification context, written out byte by byte.
const ECHO_RQ: &[u8] = &[
    0x01, 0x00, // PS3.8 §9.3.2 PDU-type A-ASSOCIATE-RQ, reserved
    0x00, 0x00, 0x00, 0xb0, // PDU-length 176 = 68 fixed + 25 + 50 + 33 (items)
    0x00, 0x01, // protocol-version 1
    0x00, 0x00, // reserved
    b'A', b'N', b'Y', b'-', b'S', b'C', b'P', b' ', b' ', b' ', b' ', b' ', b' ', b' ', b' ',
    b' ', // Called-AE-title "ANY-SCP"
    b'E', b'C', b'H', b'O', b'S', b'C', b'U', b' ', b' ', b' ', b' ', b' ', b' ', b' ', b' ',
    b' ', // Calling-AE-title "ECHOSCU"
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, // reserved (32)
    0x10, 0x00, 0x00, 0x15, // §9.3.2.1 Application Context Item, length 21
    b'1', b'.', b'2', b'.', b'8', b'4', b'0', b'.', b'1', b'0', b'0', b'0', b'8', b'.', b'3', b'.',
    b'1', b'.', b'1', b'.', b'1', // "1.2.840.10008.3.1.1.1"
    0x20, 0x00, 0x00, 0x2e, // §9.3.2.2 Presentation Context Item, length 46
    0x01, 0x00, 0x00, 0x00, // presentation-context-ID 1, reserved ×3
    0x30, 0x00, 0x00, 0x11, // §9.3.2.2.1 Abstract Syntax Sub-Item, length 17
    b'1', b'.', b'2', b'.', b'8', b'4', b'0', b'.', b'1', b'0', b'0', b'0', b'8', b'.', b'1', b'.',
    b'1', // "1.2.840.10008.1.1" Verification
    0x40, 0x00, 0x00, 0x11, // §9.3.2.2.2 Transfer Syntax Sub-Item, length 17
    b'1', b'.', b'2', b'.', b'8', b'4', b'0', b'.', b'1', b'0', b'0', b'0', b'8', b'.', b'1', b'.',
    b'2', // "1.2.840.10008.1.2" Implicit VR Little Endian
    0x50, 0x00, 0x00, 0x1d, // §9.3.2.3 User Information Item, length 29
    0x51, 0x00, 0x00, 0x04, // §D.1 Maximum Length Sub-Item, length 4
    0x00, 0x00, 0x40, 0x00, // maximum-length-received 16384
    0x52, 0x00, 0x00, 0x05, // PS3.7 §D.3.3.2 Implementation Class UID Sub-Item, length 5
    b'1', b'.', b'2', b'.', b'3', // "1.2.3"
    0x55, 0x00, 0x00, 0x08, // Implementation Version Name Sub-Item, length 8
    b'E', b'C', b'H', b'O', b'_', b'1', b'.', b'0', // "ECHO_1.0"
];

/// P-DATA-TF carrying a C-ECHO-RQ command in one PDV.
const ECHO_P_DATA: &[u8] = &[
    0x04, 0x00, // PS3.8 §9.3.5 PDU-type P-DATA-TF, reserved
    0x00, 0x00, 0x00, 0x4a, // PDU-length 74
    0x00, 0x00, 0x00, 0x46, // §9.3.5.1 PDV item-length 70
    0x01, // presentation-context-ID 1
    0x03, // Annex E.2 message control header: command, last fragment
    0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, // PS3.7 (0000,0000) group length, 4 bytes
    0x38, 0x00, 0x00, 0x00, // = 56
    0x00, 0x00, 0x02, 0x00, 0x12, 0x00, 0x00, 0x00, // (0000,0002) Affected SOP Class UID, 18
    b'1', b'.', b'2', b'.', b'8', b'4', b'0', b'.', b'1', b'0', b'0', b'0', b'8', b'.', b'1', b'.',
    b'1', 0x00, // "1.2.840.10008.1.1" + NUL pad
    0x00, 0x00, 0x00, 0x01, 0x02, 0x00, 0x00, 0x00, // (0000,0100) Command Field, 2 bytes
    0x30, 0x00, // 0x0030 C-ECHO-RQ
    0x00, 0x00, 0x10, 0x01, 0x02, 0x00, 0x00, 0x00, // (0000,0110) Message ID, 2 bytes
    0x07, 0x00, // 7
    0x00, 0x00, 0x00, 0x08, 0x02, 0x00, 0x00, 0x00, // (0000,0800) Command Data Set Type
    0x01, 0x01, // 0x0101: no data set
];

#[test]
fn literal_echo_association_gives_ae_titles_and_implementation() {
    let mut h = Harness::<Dicom>::tcp(104);
    assert_eq!(h.feed(Side::Client, ECHO_RQ), Verdict::Depth(DEPTH));
    let ac = associate(
        false,
        "ANY-SCP",
        "ECHOSCU",
        &[
            pc_ac(1, 0, uids::IMPLICIT_VR_LITTLE_ENDIAN),
            user_info(0, "1.9", "SCP_2.1"),
        ],
    );
    h.feed(Side::Server, &ac);
    h.feed(Side::Client, ECHO_P_DATA);
    let rsp = command(0x8030, uids::VERIFICATION, 7, false, Some(0x0000));
    h.feed(Side::Server, &p_data(&[(1, COMMAND_LAST, &rsp)]));
    h.feed(Side::Client, &pdu(0x05, &[0; 4])); // A-RELEASE-RQ
    assert_eq!(h.feed(Side::Server, &pdu(0x06, &[0; 4])), Verdict::Done); // A-RELEASE-RP
    let obs = h.observations();
    assert_eq!(fact(&obs, "dicom.calling_ae_title"), Some("ECHOSCU"));
    assert_eq!(fact(&obs, "dicom.called_ae_title"), Some("ANY-SCP"));
    let f = facts(&obs);
    assert!(f.contains(&("client", "dicom.implementation_class_uid", "1.2.3".into())));
    assert!(f.contains(&("server", "dicom.implementation_class_uid", "1.9".into())));
    assert!(f.contains(&("client", "dicom.sop_class", "Verification SOP Class".into())));
    assert!(f.contains(&("server", "dicom.role", "scp".into())));
    assert_eq!(
        software(&obs),
        vec![
            ("client", "ECHO".into(), Some("1.0".into())),
            ("server", "SCP".into(), Some("2.1".into())),
        ]
    );
    assert!(anomalies(&obs).is_empty(), "{:?}", anomalies(&obs));
    let events = h.events();
    let dimse = event_of(&events, "dimse");
    assert_eq!(dimse.len(), 2);
    assert_eq!(dimse[0]["command"], "C-ECHO-RQ");
    assert_eq!(dimse[0]["message_id"], 7);
    assert_eq!(dimse[0]["sop_class"], "Verification SOP Class");
    assert_eq!(dimse[1]["command"], "C-ECHO-RSP");
    assert_eq!(dimse[1]["status"], 0);
    assert_eq!(dimse[1]["status_class"], "success");
    assert_eq!(dimse[1]["message_id_being_responded_to"], 7);
    let a = event_of(&events, "association");
    assert_eq!(a.len(), 1);
    assert_eq!(a[0]["end"], "released");
    assert_eq!(a[0]["result"], "accepted");
    assert_eq!(
        a[0]["application_context"],
        "DICOM Application Context Name"
    );
    assert_eq!(a[0]["client"]["max_pdu_length"], 16384);
    assert_eq!(a[0]["messages"], 2);
    let pc = &a[0]["presentation_contexts"][0];
    assert_eq!(pc["abstract_syntax"], "Verification SOP Class");
    assert_eq!(pc["transfer_syntaxes"][0], "Implicit VR Little Endian");
    assert_eq!(pc["result"], "acceptance");
    assert_eq!(h.counter("messages"), 2);
}

#[test]
fn implementation_version_splits_at_the_last_separator_before_digits() {
    use super::assoc::split_version;
    assert_eq!(
        split_version("OFFIS_DCMTK_368"),
        ("OFFIS_DCMTK", Some("368"))
    );
    assert_eq!(split_version("PYNETDICOM_200"), ("PYNETDICOM", Some("200")));
    assert_eq!(split_version("dcm4che-5.29.2"), ("dcm4che", Some("5.29.2")));
    assert_eq!(split_version("OSIRIX"), ("OSIRIX", None));
    assert_eq!(split_version("GE_CT_V1"), ("GE_CT_V1", None));
    assert_eq!(split_version("_123"), ("_123", None));
}

// ---------------------------------------------------------------- C-STORE and patient data

fn c_store_session(h: &mut Harness<Dicom>) {
    let (rq, ac) = rq_ac();
    h.feed(Side::Client, &rq);
    h.feed(Side::Server, &ac);
    let cmd = command(0x0001, CT_IMAGE_STORAGE, 1, true, None);
    let data = ct_data_set();
    // Command and data set in one P-DATA-TF, as storescu sends small objects.
    h.feed(
        Side::Client,
        &p_data(&[(3, COMMAND_LAST, &cmd), (3, DATA_LAST, &data)]),
    );
    let rsp = command(0x8001, CT_IMAGE_STORAGE, 1, false, Some(0x0000));
    h.feed(Side::Server, &p_data(&[(3, COMMAND_LAST, &rsp)]));
}

#[test]
fn c_store_gives_equipment_facts_and_one_phi_exposure_without_values() {
    let mut h = Harness::<Dicom>::tcp(11112);
    c_store_session(&mut h);
    let obs = h.observations();
    let f = facts(&obs);
    for (key, value) in [
        ("dicom.modality", "CT"),
        ("dicom.manufacturer", "ACME Medical"),
        ("dicom.institution_name", "General Hospital"),
        ("dicom.station_name", "CTSTATION1"),
        ("dicom.department_name", "Radiology"),
        ("dicom.model_name", "Scanner 64"),
        ("dicom.device_serial_number", "SN-0042"),
        ("dicom.software_versions", "VA20\\SP1"),
    ] {
        assert!(
            f.contains(&("client", key, value.into())),
            "{key} missing in {f:?}"
        );
    }
    assert!(f.contains(&("client", "dicom.calling_ae_title", "CT_MODALITY".into())));
    assert!(f.contains(&("server", "dicom.sop_class", "CT Image Storage".into())));
    assert!(software(&obs).contains(&(
        "client",
        "ACME Medical Scanner 64".into(),
        Some("VA20\\SP1".into())
    )));
    assert!(software(&obs).contains(&("client", "OFFIS_DCMTK".into(), Some("368".into()))));
    let e = exposures(&obs);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].kind, model::ExposureKind::CleartextPhi);
    assert_eq!(e[0].side, Side::Client);
    assert_eq!(e[0].subject, "CT Image Storage C-STORE");
    // The empty Patient's Birth Date carries nothing: not listed.
    assert_eq!(
        e[0].fields,
        vec!["(0010,0010) PatientName", "(0010,0020) PatientID"]
    );
    let events = h.events();
    let dimse = event_of(&events, "dimse");
    assert_eq!(dimse[0]["command"], "C-STORE-RQ");
    assert_eq!(dimse[0]["sop_class"], "CT Image Storage");
    assert_eq!(dimse[0]["transfer_syntax"], "Implicit VR Little Endian");
    assert_eq!(dimse[0]["equipment"]["modality"], "CT");
    assert_eq!(dimse[0]["equipment"]["manufacturer"], "ACME Medical");
    assert_eq!(
        dimse[0]["patient_attributes_present"][0],
        "(0010,0010) PatientName"
    );
    assert_eq!(dimse[1]["command"], "C-STORE-RSP");
    assert_eq!(dimse[1]["status_class"], "success");
    no_patient_values(&mut h);
}

#[test]
fn patient_values_appear_nowhere_even_when_events_and_end_run() {
    let mut h = Harness::<Dicom>::tcp(104);
    c_store_session(&mut h);
    h.end();
    assert_eq!(event_of(&h.events(), "association")[0]["end"], "flow_ended");
    no_patient_values(&mut h);
}

#[test]
fn fragments_across_pdus_are_reassembled_per_context() {
    let mut h = Harness::<Dicom>::tcp(104);
    let (rq, ac) = rq_ac();
    h.feed(Side::Client, &rq);
    h.feed(Side::Server, &ac);
    let cmd = command(0x0001, CT_IMAGE_STORAGE, 9, true, None);
    let data = ct_data_set();
    let (c1, c2) = cmd.split_at(20);
    let (d1, rest) = data.split_at(37);
    let (d2, d3) = rest.split_at(101);
    // Command in two fragments, data set in three, over four PDUs; a C-ECHO on context 1
    // interleaves between them (PS3.8 §9.3.5 allows PDVs of other contexts in between).
    let echo = command(0x0030, uids::VERIFICATION, 10, false, None);
    h.feed(Side::Client, &p_data(&[(3, COMMAND_MORE, c1)]));
    h.feed(
        Side::Client,
        &p_data(&[(3, COMMAND_LAST, c2), (3, DATA_MORE, d1)]),
    );
    h.feed(
        Side::Client,
        &p_data(&[(1, COMMAND_LAST, &echo), (3, DATA_MORE, d2)]),
    );
    h.feed(Side::Client, &p_data(&[(3, DATA_LAST, d3)]));
    let obs = h.observations();
    assert_eq!(fact(&obs, "dicom.modality"), Some("CT"));
    assert_eq!(exposures(&obs).len(), 1);
    let events = h.events();
    let dimse = event_of(&events, "dimse");
    assert_eq!(dimse.len(), 2);
    assert_eq!(dimse[0]["command"], "C-ECHO-RQ");
    assert_eq!(dimse[1]["command"], "C-STORE-RQ");
    assert_eq!(dimse[1]["message_id"], 9);
    no_patient_values(&mut h);
}

#[test]
fn every_split_of_an_associate_rq_gives_the_same_facts() {
    let (rq, _) = rq_ac();
    let mut expected = None;
    for cut in 0..=rq.len() {
        let mut h = Harness::<Dicom>::tcp(104);
        let (a, b) = rq.split_at(cut);
        h.feed(Side::Client, a);
        h.feed(Side::Client, b);
        let got = facts(&h.observations());
        assert!(!got.is_empty(), "cut at {cut}");
        match &expected {
            None => expected = Some(got),
            Some(e) => assert_eq!(&got, e, "cut at {cut}"),
        }
    }
}

#[test]
fn every_split_of_a_c_store_p_data_gives_the_same_exposure() {
    let (rq, ac) = rq_ac();
    let cmd = command(0x0001, CT_IMAGE_STORAGE, 1, true, None);
    let data = ct_data_set();
    let pd = p_data(&[(3, COMMAND_LAST, &cmd), (3, DATA_LAST, &data)]);
    for cut in 0..=pd.len() {
        let mut h = Harness::<Dicom>::tcp(104);
        h.feed(Side::Client, &rq);
        h.feed(Side::Server, &ac);
        let (a, b) = pd.split_at(cut);
        h.feed(Side::Client, a);
        h.feed(Side::Client, b);
        let obs = h.observations();
        assert_eq!(exposures(&obs).len(), 1, "cut at {cut}");
        assert_eq!(
            fact(&obs, "dicom.manufacturer"),
            Some("ACME Medical"),
            "cut at {cut}"
        );
    }
}

#[test]
fn explicit_vr_jpeg_data_set_is_decoded() {
    let mut h = Harness::<Dicom>::tcp(104);
    let rq = associate(
        true,
        "PACS",
        "US_CART",
        &[pc_rq(5, "1.2.840.10008.5.1.4.1.1.6.1", &[JPEG_BASELINE])],
    );
    let ac = associate(false, "PACS", "US_CART", &[pc_ac(5, 0, JPEG_BASELINE)]);
    h.feed(Side::Client, &rq);
    h.feed(Side::Server, &ac);
    let cmd = command(0x0001, "1.2.840.10008.5.1.4.1.1.6.1", 1, true, None);
    let mut d = explicit(0x0008, 0x0060, b"CS", b"US"); // Modality
    d.extend(explicit(0x0008, 0x0070, b"LO", b"SonoCorp")); // Manufacturer
    d.extend(explicit(0x0010, 0x0010, b"PN", PATIENT_NAME.as_bytes())); // Patient's Name
    d.extend(explicit(0x0010, 0x0040, b"CS", b"F")); // Patient's Sex
    d.extend(explicit(0x0018, 0x1020, b"LO", b"2.4.1")); // Software Versions
    h.feed(
        Side::Client,
        &p_data(&[(5, COMMAND_LAST, &cmd), (5, DATA_LAST, &d)]),
    );
    let obs = h.observations();
    assert_eq!(fact(&obs, "dicom.modality"), Some("US"));
    assert!(software(&obs).contains(&("client", "SonoCorp".into(), Some("2.4.1".into()))));
    let e = exposures(&obs);
    assert_eq!(e[0].subject, "Ultrasound Image Storage C-STORE");
    assert_eq!(
        e[0].fields,
        vec!["(0010,0010) PatientName", "(0010,0040) PatientSex"]
    );
    no_patient_values(&mut h);
}

#[test]
fn c_find_response_with_patient_attributes_is_an_exposure_from_the_server() {
    let find = "1.2.840.10008.5.1.4.1.2.2.1";
    let mut h = Harness::<Dicom>::tcp(104);
    let rq = associate(
        true,
        "PACS",
        "VIEWER",
        &[pc_rq(1, find, &[uids::IMPLICIT_VR_LITTLE_ENDIAN])],
    );
    let ac = associate(
        false,
        "PACS",
        "VIEWER",
        &[pc_ac(1, 0, uids::IMPLICIT_VR_LITTLE_ENDIAN)],
    );
    h.feed(Side::Client, &rq);
    h.feed(Side::Server, &ac);
    // Query keys: an empty PatientName is a return key, not data.
    let q = command(0x0020, find, 1, true, None);
    let mut keys = implicit(0x0008, 0x0052, b"STUDY");
    keys.extend(implicit(0x0010, 0x0010, b""));
    h.feed(
        Side::Client,
        &p_data(&[(1, COMMAND_LAST, &q), (1, DATA_LAST, &keys)]),
    );
    let r = command(0x8020, find, 1, true, Some(0xFF00));
    let mut ans = implicit(0x0008, 0x0052, b"STUDY");
    ans.extend(implicit(0x0008, 0x0070, b"NotTheServer")); // Manufacturer of the study
    ans.extend(implicit(0x0010, 0x0010, PATIENT_NAME.as_bytes()));
    h.feed(
        Side::Server,
        &p_data(&[(1, COMMAND_LAST, &r), (1, DATA_LAST, &ans)]),
    );
    let obs = h.observations();
    let e = exposures(&obs);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].side, Side::Server);
    assert_eq!(
        e[0].subject,
        "Study Root Query/Retrieve Information Model - FIND C-FIND"
    );
    // Equipment facts come only from C-STORE-RQ data sets.
    assert_eq!(fact(&obs, "dicom.manufacturer"), None);
    let events = h.events();
    assert_eq!(event_of(&events, "dimse")[1]["status_class"], "pending");
    no_patient_values(&mut h);
}

// ---------------------------------------------------------------- association outcomes

#[test]
fn reject_ends_the_association_with_its_reason() {
    let mut h = Harness::<Dicom>::tcp(104);
    let (rq, _) = rq_ac();
    h.feed(Side::Client, &rq);
    // PS3.8 §9.3.4: reserved, result 1 (permanent), source 1 (user), reason 3 (calling AE).
    let rj = pdu(0x03, &[0x00, 0x01, 0x01, 0x03]);
    assert_eq!(h.feed(Side::Server, &rj), Verdict::Done);
    let events = h.events();
    let a = event_of(&events, "association");
    assert_eq!(a[0]["result"], "rejected");
    assert_eq!(a[0]["end"], "rejected");
    assert_eq!(a[0]["reject"]["reason"], "calling-AE-title-not-recognized");
    assert_eq!(a[0]["reject"]["result"], "rejected-permanent");
    assert!(fact(&h.observations(), "dicom.role").is_none());
}

#[test]
fn abort_ends_the_association() {
    let mut h = Harness::<Dicom>::tcp(104);
    let (rq, ac) = rq_ac();
    h.feed(Side::Client, &rq);
    h.feed(Side::Server, &ac);
    // PS3.8 §9.3.8: reserved ×2, source 2 (provider), reason 2 (unexpected PDU).
    assert_eq!(
        h.feed(Side::Server, &pdu(0x07, &[0, 0, 2, 2])),
        Verdict::Done
    );
    let events = h.events();
    let a = event_of(&events, "association");
    assert_eq!(a[0]["end"], "aborted");
    assert_eq!(a[0]["abort"]["side"], "server");
    assert_eq!(a[0]["abort"]["reason"], "unexpected-PDU");
}

#[test]
fn mid_stream_pickup_from_the_accept() {
    let (_, ac) = rq_ac();
    let cmd = command(0x0001, CT_IMAGE_STORAGE, 1, true, None);
    let data = ct_data_set();
    let pd = p_data(&[(3, COMMAND_LAST, &cmd), (3, DATA_LAST, &data)]);
    let (name, obs, c) = run_session(ctx_tcp(4242), &[(Side::Server, &ac), (Side::Client, &pd)]);
    assert_eq!(name, Some("dicom"));
    assert_eq!(fact(&obs, "dicom.called_ae_title"), Some("STORESCP"));
    assert_eq!(fact(&obs, "dicom.modality"), Some("CT"));
    assert_eq!(exposures(&obs).len(), 1);
    assert_eq!(crate::testing::counter(&c, "dicom", "flows"), 1);
}

#[test]
fn registry_picks_dicom_for_an_associate_rq_on_any_port() {
    let (rq, ac) = rq_ac();
    let (name, obs, _) = run_session(
        ctx_tcp(5678),
        &[
            (Side::Client, &rq[..7]),
            (Side::Client, &rq[7..]),
            (Side::Server, &ac),
        ],
    );
    assert_eq!(name, Some("dicom"));
    assert_eq!(fact(&obs, "dicom.calling_ae_title"), Some("CT_MODALITY"));
}

// ---------------------------------------------------------------- probe

#[test]
fn probe_is_by_content_and_strict() {
    let ctx = ctx_tcp(4000);
    let (rq, ac) = rq_ac();
    for n in 0..10 {
        assert_eq!(
            Dicom::probe(&rq[..n], Side::Client, &ctx),
            Probe::NeedMore,
            "{n} bytes"
        );
    }
    assert_eq!(Dicom::probe(&rq[..10], Side::Client, &ctx), Probe::Yes);
    assert_eq!(Dicom::probe(&rq, Side::Client, &ctx), Probe::Yes);
    assert_eq!(Dicom::probe(&ac, Side::Server, &ctx), Probe::Yes);
    // An RQ from the server or an AC from the client is not an association.
    assert_eq!(Dicom::probe(&rq, Side::Server, &ctx), Probe::No);
    assert_eq!(Dicom::probe(&ac, Side::Client, &ctx), Probe::No);
    // Wrong protocol version, a reserved byte set, a huge length, other protocols.
    let mut bad = rq.clone();
    bad[7] = 2;
    assert_eq!(Dicom::probe(&bad, Side::Client, &ctx), Probe::No);
    assert_eq!(Dicom::probe(&[0x01, 0x01], Side::Client, &ctx), Probe::No);
    assert_eq!(
        Dicom::probe(&[0x01, 0x00, 0x01], Side::Client, &ctx),
        Probe::No
    );
    assert_eq!(
        Dicom::probe(b"GET / HTTP/1.1\r\n", Side::Client, &ctx),
        Probe::No
    );
    assert_eq!(
        Dicom::probe(
            b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03",
            Side::Client,
            &ctx
        ),
        Probe::No
    );
    // A control character in an AE title.
    let mut bad = rq.clone();
    bad[12] = 0x01;
    assert_eq!(Dicom::probe(&bad, Side::Client, &ctx), Probe::No);
    // A P-DATA-TF first is not picked up.
    assert_eq!(Dicom::probe(ECHO_P_DATA, Side::Client, &ctx), Probe::No);
}

#[test]
fn a_bare_reject_seen_first_needs_the_dicom_port() {
    let rj = pdu(0x03, &[0x00, 0x02, 0x03, 0x01]);
    assert_eq!(Dicom::probe(&rj, Side::Server, &ctx_tcp(4000)), Probe::No);
    assert_eq!(Dicom::probe(&rj, Side::Server, &ctx_tcp(104)), Probe::Yes);
    assert_eq!(Dicom::probe(&rj, Side::Server, &ctx_tcp(11112)), Probe::Yes);
    assert_eq!(
        Dicom::probe(&rj[..9], Side::Server, &ctx_tcp(104)),
        Probe::NeedMore
    );
    assert_eq!(
        Dicom::probe(&pdu(0x03, &[0, 9, 9, 9]), Side::Server, &ctx_tcp(104)),
        Probe::No
    );
}

// ---------------------------------------------------------------- hostile and truncated

#[test]
fn truncated_associate_rq_yields_nothing_and_no_panic() {
    let (rq, _) = rq_ac();
    for n in 0..rq.len() {
        let mut h = Harness::<Dicom>::tcp(104);
        h.feed(Side::Client, &rq[..n]);
        h.end();
        assert!(facts(&h.observations()).is_empty(), "{n} bytes");
    }
}

#[test]
fn item_length_running_past_the_pdu_is_an_anomaly() {
    let mut rq = associate(
        true,
        "A",
        "B",
        &[pc_rq(
            1,
            uids::VERIFICATION,
            &[uids::IMPLICIT_VR_LITTLE_ENDIAN],
        )],
    );
    // The presentation context item (after the 68 fixed bytes and the 25-byte application
    // context item) claims 0x7fff bytes.
    let at = pdu::HEADER_LEN + pdu::ASSOCIATE_FIXED_LEN + 25 + 2;
    rq[at] = 0x7f;
    rq[at + 1] = 0xff;
    let mut h = Harness::<Dicom>::tcp(104);
    assert_eq!(h.feed(Side::Client, &rq), Verdict::Done);
    assert_eq!(anomalies(&h.observations()), vec!["dicom_item_truncated"]);
    assert!(facts(&h.observations()).is_empty());
}

#[test]
fn pdu_length_of_all_ones_gives_up_without_buffering() {
    for t in [0x01u8, 0x02, 0x04, 0x05] {
        let mut h = Harness::<Dicom>::tcp(104);
        if t != 0x01 {
            let (rq, ac) = rq_ac();
            h.feed(Side::Client, &rq);
            h.feed(Side::Server, &ac);
        }
        let mut p = vec![t, 0x00, 0xff, 0xff, 0xff, 0xff];
        p.extend_from_slice(&[0u8; 64]);
        assert_eq!(h.feed(Side::Client, &p), Verdict::Done, "type {t}");
        assert_eq!(h.counter("dicom_bad_pdu_header"), 1, "type {t}");
    }
}

#[test]
fn unknown_pdu_type_gives_up() {
    let mut h = Harness::<Dicom>::tcp(104);
    let (rq, _) = rq_ac();
    h.feed(Side::Client, &rq);
    assert_eq!(h.feed(Side::Server, &pdu(0x09, &[0; 4])), Verdict::Done);
    assert_eq!(anomalies(&h.observations()), vec!["dicom_bad_pdu_header"]);
    assert_eq!(event_of(&h.events(), "association")[0]["end"], "invalid");
}

#[test]
fn pdu_out_of_order_is_invalid_once_and_absorbing() {
    let mut h = Harness::<Dicom>::tcp(104);
    let (rq, _) = rq_ac();
    h.feed(Side::Client, &rq);
    // P-DATA-TF before the A-ASSOCIATE-AC: no row allows it.
    let two = [ECHO_P_DATA, ECHO_P_DATA].concat();
    assert_eq!(h.feed(Side::Client, &two), Verdict::Done);
    assert_eq!(h.feed(Side::Client, ECHO_P_DATA), Verdict::Done);
    assert_eq!(anomalies(&h.observations()), vec!["dicom_unexpected_pdu"]);
    assert_eq!(h.counter("dicom_unexpected_pdu"), 1);
    assert_eq!(h.counter("messages"), 0);
}

#[test]
fn transition_table_rows() {
    use state::{State::*, next};
    let c = Side::Client;
    let s = Side::Server;
    assert_eq!(next(Idle, PduType::ASSOCIATE_RQ, c), Requested);
    assert_eq!(next(Idle, PduType::ASSOCIATE_RQ, s), Invalid);
    assert_eq!(next(Requested, PduType::ASSOCIATE_AC, s), Established);
    assert_eq!(next(Requested, PduType::ASSOCIATE_AC, c), Invalid);
    assert_eq!(next(Established, PduType::RELEASE_RQ, c), Releasing(c));
    assert_eq!(next(Releasing(c), PduType::P_DATA_TF, s), Releasing(c));
    assert_eq!(next(Releasing(c), PduType::P_DATA_TF, c), Invalid);
    assert_eq!(next(Releasing(c), PduType::RELEASE_RP, s), Closed);
    assert_eq!(next(Established, PduType::ASSOCIATE_RQ, c), Invalid);
    assert_eq!(next(Requested, PduType::ABORT, c), Closed);
    assert_eq!(next(Invalid, PduType::ASSOCIATE_RQ, c), Invalid);
    assert_eq!(next(Closed, PduType::P_DATA_TF, c), Invalid);
}

#[test]
fn hundred_presentation_contexts_keep_sixty_four_and_decode_on_all() {
    // dcmtk's storescu proposes 128 contexts by default: the event keeps 64, but a C-STORE
    // on any accepted context still decodes.
    let ids = (0..100u8).map(|i| 2 * i + 1);
    let mut rq_items: Vec<Vec<u8>> = ids
        .clone()
        .map(|id| pc_rq(id, CT_IMAGE_STORAGE, &[uids::IMPLICIT_VR_LITTLE_ENDIAN]))
        .collect();
    rq_items.push(user_info(0, "1.2.3", "X"));
    let ac_items: Vec<Vec<u8>> = ids
        .map(|id| pc_ac(id, 0, uids::IMPLICIT_VR_LITTLE_ENDIAN))
        .collect();
    let mut h = Harness::<Dicom>::tcp(104);
    h.feed(Side::Client, &associate(true, "SCP", "SCU", &rq_items));
    h.feed(Side::Server, &associate(false, "SCP", "SCU", &ac_items));
    let cmd = command(0x0001, CT_IMAGE_STORAGE, 1, true, None);
    h.feed(
        Side::Client,
        &p_data(&[(199, COMMAND_LAST, &cmd), (199, DATA_LAST, &ct_data_set())]),
    );
    h.end();
    assert_eq!(h.counter("dicom_presentation_contexts_dropped"), 36);
    let obs = h.observations();
    assert_eq!(fact(&obs, "dicom.modality"), Some("CT"));
    assert!(anomalies(&obs).is_empty(), "{:?}", anomalies(&obs));
    let events = h.events();
    let a = event_of(&events, "association");
    assert_eq!(a[0]["presentation_contexts"].as_array().unwrap().len(), 64);
    assert_eq!(a[0]["presentation_contexts_dropped"], 36);
    assert_eq!(a[0]["end"], "flow_ended");
}

#[test]
fn unanswered_association_is_reported_at_the_end() {
    let mut h = Harness::<Dicom>::tcp(104);
    h.feed(Side::Client, &rq_ac().0);
    h.end();
    let events = h.events();
    assert_eq!(event_of(&events, "association")[0]["result"], "unanswered");
}

#[test]
fn ac_answering_an_unproposed_context_is_an_anomaly() {
    let mut h = Harness::<Dicom>::tcp(104);
    h.feed(Side::Client, &rq_ac().0);
    h.feed(
        Side::Server,
        &associate(
            false,
            "S",
            "C",
            &[pc_ac(9, 0, uids::IMPLICIT_VR_LITTLE_ENDIAN)],
        ),
    );
    assert_eq!(
        anomalies(&h.observations()),
        vec!["dicom_ac_unknown_context"]
    );
}

#[test]
fn too_many_transfer_syntaxes_are_counted() {
    let ts: Vec<&str> = vec![uids::IMPLICIT_VR_LITTLE_ENDIAN; 40];
    let rq = associate(true, "SCP", "SCU", &[pc_rq(1, uids::VERIFICATION, &ts)]);
    let mut h = Harness::<Dicom>::tcp(104);
    h.feed(Side::Client, &rq);
    assert_eq!(h.counter("dicom_transfer_syntaxes_dropped"), 40 - 16);
}

fn established() -> Harness<Dicom> {
    let mut h = Harness::<Dicom>::tcp(104);
    let (rq, ac) = rq_ac();
    h.feed(Side::Client, &rq);
    h.feed(Side::Server, &ac);
    h
}

fn store_with(data: &[u8]) -> Harness<Dicom> {
    let mut h = established();
    let cmd = command(0x0001, CT_IMAGE_STORAGE, 1, true, None);
    h.feed(
        Side::Client,
        &p_data(&[(3, COMMAND_LAST, &cmd), (3, DATA_LAST, data)]),
    );
    h
}

#[test]
fn element_length_past_the_end_stops_the_walk() {
    let mut d = implicit(0x0008, 0x0060, b"CT");
    // (0008,0070) Manufacturer claiming 1000 bytes with 4 present.
    d.extend_from_slice(&[0x08, 0x00, 0x70, 0x00, 0xe8, 0x03, 0x00, 0x00]);
    d.extend_from_slice(b"ACME");
    let mut h = store_with(&d);
    let obs = h.observations();
    assert_eq!(fact(&obs, "dicom.modality"), Some("CT"));
    assert_eq!(fact(&obs, "dicom.manufacturer"), None);
    assert_eq!(h.counter("dicom_data_set_truncated"), 1);
}

#[test]
fn element_length_of_all_ones_on_a_plain_element_stops_the_walk() {
    let mut d = implicit(0x0008, 0x0060, b"CT");
    // Explicit VR LO with undefined length is not a sequence (PS3.5 §7.1.2).
    let mut h = established();
    d.extend_from_slice(&[0x08, 0x00, 0x70, 0x00, 0xff, 0xff, 0xff, 0xff, 0x00]);
    let cmd = command(0x0001, CT_IMAGE_STORAGE, 1, true, None);
    h.feed(
        Side::Client,
        &p_data(&[(3, COMMAND_LAST, &cmd), (3, DATA_LAST, &d)]),
    );
    // Implicit VR: undefined length is read as a sequence, whose items then do not parse.
    assert_eq!(fact(&h.observations(), "dicom.modality"), Some("CT"));
    let s = dataset::walk(&d, uids::Encoding::ImplicitLittle);
    assert_eq!(s.stop, dataset::Stop::Truncated);
    let e = [
        explicit(0x0008, 0x0060, b"CS", b"CT"),
        vec![0x08, 0x00, 0x70, 0x00, b'L', b'O', 0xff, 0xff],
    ]
    .concat();
    let s = dataset::walk(&e, uids::Encoding::ExplicitLittle);
    assert_eq!(s.equipment.modality, Some(&b"CT"[..]));
    assert_eq!(
        s.stop,
        dataset::Stop::Truncated,
        "LO's 2-byte length 0xffff runs past the end"
    );
}

/// An undefined-length sequence (PS3.5 §7.5.2): (gggg,eeee) len 0xffffffff, items
/// (FFFE,E000), item delimiters (FFFE,E00D), sequence delimiter (FFFE,E0DD).
fn undefined_sequence(group: u16, element: u16, items: &[Vec<u8>]) -> Vec<u8> {
    let mut v = group.to_le_bytes().to_vec();
    v.extend_from_slice(&element.to_le_bytes());
    v.extend_from_slice(&[0xff; 4]); // undefined length
    for body in items {
        v.extend_from_slice(&[0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff]); // item, undefined
        v.extend_from_slice(body);
        v.extend_from_slice(&[0xfe, 0xff, 0x0d, 0xe0, 0, 0, 0, 0]); // item delimitation
    }
    v.extend_from_slice(&[0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0]); // sequence delimitation
    v
}

#[test]
fn undefined_length_sequences_are_skipped_and_the_walk_goes_on() {
    let mut d = implicit(0x0008, 0x0060, b"MR");
    d.extend(implicit(0x0008, 0x0070, b"MagnaCorp"));
    // (0008,1032) Procedure Code Sequence, with a nested undefined-length sequence inside.
    let inner = undefined_sequence(0x0008, 0x0104, &[implicit(0x0008, 0x0100, b"X")]);
    let body = [implicit(0x0008, 0x0100, b"CODE1"), inner].concat();
    d.extend(undefined_sequence(
        0x0008,
        0x1032,
        &[body, implicit(0x0008, 0x0102, b"DCM")],
    ));
    d.extend(implicit(0x0008, 0x1090, b"Magna 3T"));
    d.extend(implicit(0x0010, 0x0010, PATIENT_NAME.as_bytes()));
    d.extend(implicit(0x0018, 0x1020, b"R5"));
    let mut h = store_with(&d);
    let obs = h.observations();
    assert_eq!(fact(&obs, "dicom.model_name"), Some("Magna 3T"));
    assert_eq!(fact(&obs, "dicom.software_versions"), Some("R5"));
    assert_eq!(exposures(&obs)[0].fields, vec!["(0010,0010) PatientName"]);
    assert_eq!(h.counter("dicom_data_set_truncated"), 0);
    no_patient_values(&mut h);
}

#[test]
fn unterminated_or_too_deep_sequences_stop_safely() {
    // Unterminated: a sequence that never delimits.
    let mut d = implicit(0x0008, 0x0060, b"CT");
    d.extend_from_slice(&[0x08, 0x00, 0x32, 0x10, 0xff, 0xff, 0xff, 0xff]);
    d.extend_from_slice(&[0xfe, 0xff, 0x00, 0xe0, 0xff, 0xff, 0xff, 0xff]);
    let s = dataset::walk(&d, uids::Encoding::ImplicitLittle);
    assert_eq!(s.equipment.modality, Some(&b"CT"[..]));
    assert_eq!(s.stop, dataset::Stop::Truncated);
    // 40 nested undefined-length sequences.
    let mut deep = Vec::new();
    for _ in 0..40 {
        deep.extend_from_slice(&[0x08, 0x00, 0x32, 0x10, 0xff, 0xff, 0xff, 0xff]);
    }
    let s = dataset::walk(&deep, uids::Encoding::ImplicitLittle);
    assert_eq!(s.stop, dataset::Stop::TooDeep);
    // A stray delimiter at top level.
    let s = dataset::walk(
        &[0xfe, 0xff, 0xdd, 0xe0, 0, 0, 0, 0],
        uids::Encoding::ImplicitLittle,
    );
    assert_eq!(s.stop, dataset::Stop::Malformed);
    // A bad explicit VR.
    let s = dataset::walk(
        &[0x08, 0x00, 0x60, 0x00, b'c', b's', 2, 0, b'C', b'T'],
        uids::Encoding::ExplicitLittle,
    );
    assert_eq!(s.stop, dataset::Stop::Malformed);
}

#[test]
fn data_set_beyond_the_prefix_is_read_only_to_the_limit() {
    let mut h = established();
    let cmd = command(0x0001, CT_IMAGE_STORAGE, 1, true, None);
    let mut d = implicit(0x0008, 0x0060, b"CT");
    d.extend(implicit(0x0010, 0x0020, PATIENT_ID.as_bytes()));
    // (0010,4000) Patient Comments: 200 KiB, far past the prefix, in 16 KiB fragments.
    d.extend_from_slice(&[0x10, 0x00, 0x00, 0x40]);
    d.extend_from_slice(&(200u32 * 1024).to_le_bytes());
    d.extend(std::iter::repeat_n(b'Z', 200 * 1024));
    h.feed(Side::Client, &p_data(&[(3, COMMAND_LAST, &cmd)]));
    let chunks: Vec<&[u8]> = d.chunks(16 * 1024).collect();
    for (i, c) in chunks.iter().enumerate() {
        let control = if i + 1 == chunks.len() {
            DATA_LAST
        } else {
            DATA_MORE
        };
        h.feed(Side::Client, &p_data(&[(3, control, c)]));
    }
    let obs = h.observations();
    assert_eq!(fact(&obs, "dicom.modality"), Some("CT"));
    assert_eq!(h.counter("dicom_data_set_prefix_limit"), 1);
    assert_eq!(h.counter("messages"), 1);
    assert_eq!(exposures(&obs)[0].fields, vec!["(0010,0020) PatientID"]);
    no_patient_values(&mut h);
}

#[test]
fn oversized_p_data_is_skipped_and_the_next_message_parsed() {
    let mut h = established();
    let cmd = command(0x0001, CT_IMAGE_STORAGE, 1, true, None);
    let big = vec![0u8; 2 * 1024 * 1024];
    let pd = p_data(&[(3, COMMAND_LAST, &cmd), (3, DATA_LAST, &big)]);
    for c in pd.chunks(64 * 1024) {
        h.feed(Side::Client, c);
    }
    assert_eq!(h.counter("dicom_pdu_too_long"), 1);
    h.feed(Side::Client, ECHO_P_DATA);
    let events = h.events();
    let dimse = event_of(&events, "dimse");
    assert_eq!(dimse.len(), 1);
    assert_eq!(dimse[0]["command"], "C-ECHO-RQ");
}

#[test]
fn unknown_transfer_syntax_data_set_is_counted_not_decoded() {
    let mut h = Harness::<Dicom>::tcp(104);
    let deflate = "1.2.840.10008.1.2.1.99";
    h.feed(
        Side::Client,
        &associate(true, "S", "C", &[pc_rq(1, CT_IMAGE_STORAGE, &[deflate])]),
    );
    h.feed(
        Side::Server,
        &associate(false, "S", "C", &[pc_ac(1, 0, deflate)]),
    );
    let cmd = command(0x0001, CT_IMAGE_STORAGE, 1, true, None);
    h.feed(
        Side::Client,
        &p_data(&[(1, COMMAND_LAST, &cmd), (1, DATA_LAST, &ct_data_set())]),
    );
    let obs = h.observations();
    assert_eq!(fact(&obs, "dicom.modality"), None);
    assert!(exposures(&obs).is_empty());
    assert_eq!(h.counter("dicom_data_set_not_decoded"), 1);
    let events = h.events();
    assert_eq!(event_of(&events, "dimse")[0]["data_set_decoded"], false);
}

#[test]
fn hostile_pdvs_are_anomalies_not_panics() {
    // A PDV item of length 1 (no room for the control header), then one running past the PDU.
    let mut h = established();
    h.feed(Side::Client, &pdu(0x04, &[0, 0, 0, 1, 3]));
    h.feed(Side::Client, &pdu(0x04, &[0, 0, 0, 9, 3, 3]));
    // A data set with no command before it; a command set outside group 0000.
    h.feed(Side::Client, &p_data(&[(3, DATA_LAST, b"xx")]));
    h.feed(
        Side::Client,
        &p_data(&[(3, COMMAND_LAST, &implicit(0x0008, 0x0060, b"CT"))]),
    );
    // A PDV on a context nobody negotiated.
    h.feed(
        Side::Client,
        &p_data(&[(77, COMMAND_LAST, &command(0x0030, "1.2", 1, false, None))]),
    );
    let a = anomalies(&h.observations());
    for name in [
        "dicom_pdv_too_short",
        "dicom_pdv_truncated",
        "dicom_data_set_without_command",
        "dicom_command_bad_group",
        "dicom_pdv_unknown_context",
    ] {
        assert!(a.contains(&name), "{name} not in {a:?}");
    }
}

#[test]
fn endless_command_fragments_are_bounded() {
    let mut h = established();
    let chunk = vec![0u8; 16 * 1024];
    for _ in 0..8 {
        h.feed(Side::Client, &p_data(&[(3, COMMAND_MORE, &chunk)]));
    }
    assert_eq!(h.counter("dicom_command_too_long"), 1);
}

#[test]
fn missing_data_set_is_reported_when_the_next_command_comes() {
    let mut h = established();
    let cmd = command(0x0001, CT_IMAGE_STORAGE, 1, true, None);
    h.feed(Side::Client, &p_data(&[(3, COMMAND_LAST, &cmd)]));
    h.feed(Side::Client, &p_data(&[(3, COMMAND_LAST, &cmd)]));
    assert_eq!(h.counter("dicom_data_set_missing"), 1);
    assert_eq!(h.counter("messages"), 1);
}

#[test]
fn gap_gives_up_and_reports_the_association() {
    let mut h = established();
    assert_eq!(h.gap(Side::Client, 100), Verdict::Done);
    h.end();
    let events = h.events();
    let a = event_of(&events, "association");
    assert_eq!(a.len(), 1);
    assert_eq!(a[0]["end"], "gap");
}

// ---------------------------------------------------------------- a real dcmtk exchange

/// A real C-STORE association, one TCP payload per entry, captured on loopback (made here,
/// not from the corpus): `dump2dcm` built a CT object with the invented patient above, then
/// `storescp -aet STORESCP 11112` and `storescu -aet CT_MODALITY -aec STORESCP -R localhost
/// 11112 ct.dcm` (dcmtk 3.6.7), `tcpdump -i lo`, payloads by `tshark -T fields -e
/// tcp.payload`. tshark (`-d tcp.port==11112,dicom`) reads: called AE `STORESCP`, calling AE
/// `CT_MODALITY`, implementation class UID 1.2.276.0.7230010.3.0.3.6.7 and version
/// OFFIS_DCMTK_367 on both sides, max PDU 16384, presentation context results 0 and 0.
const DCMTK_STORE: &[(Side, &str)] = &[
    (
        Side::Client,
        concat!(
            "0100000001280001000053544f5245534350202020202020202043545f4d4f44414c49545920202020200000",
            "00000000000000000000000000000000000000000000000000000000000010000015312e322e3834302e3130",
            "3030382e332e312e312e31200000380100ff0030000019312e322e3834302e31303030382e352e312e342e31",
            "2e312e3240000013312e322e3834302e31303030382e312e322e312000004d0300ff0030000019312e322e38",
            "34302e31303030382e352e312e342e312e312e3240000013312e322e3834302e31303030382e312e322e3240",
            "000011312e322e3834302e31303030382e312e325000003a51000004000040005200001b312e322e3237362e",
            "302e373233303031302e332e302e332e362e375500000f4f464649535f44434d544b5f333637",
        ),
    ),
    (
        Side::Server,
        concat!(
            "0200000000d90001000053544f5245534350202020202020202043545f4d4f44414c49545920202020200000",
            "00000000000000000000000000000000000000000000000000000000000010000015312e322e3834302e3130",
            "3030382e332e312e312e312100001b0100000040000013312e322e3834302e31303030382e312e322e312100",
            "001b0300000040000013312e322e3834302e31303030382e312e322e325000003a5100000400004000520000",
            "1b312e322e3237362e302e373233303031302e332e302e332e362e375500000f4f464649535f44434d544b5f",
            "333637",
        ),
    ),
    (Side::Client, "040000000086000000820103"),
    (
        Side::Client,
        concat!(
            "000000000400000074000000000002001a000000312e322e3834302e31303030382e352e312e342e312e312e",
            "3200000000010200000001000000100102000000010000000007020000000000000000080200000001000000",
            "001022000000312e322e3832362e302e312e333638303034332e322e313132352e39392e312e310004000000",
            "01f6000001f201020800160055491a00312e322e3834302e31303030382e352e312e342e312e312e32000800",
            "180055492200312e322e3832362e302e312e333638303034332e322e313132352e39392e312e310008006000",
            "435302004354080070004c4f140041434d45204d65646963616c2053797374656d73080080004c4f10004765",
            "6e6572616c20486f73706974616c0800101053480a00435453544154494f4e31080040104c4f0a0052616469",
            "6f6c6f677920080090104c4f0a005363616e6e657220363410001000504e0800444f455e4a414e4510002000",
            "4c4f080050494431323334351000300044410800313937303031303110004000435302004620180000104c4f",
            "0800534e2d3030343220180020104c4f0800564132305c53503120000d0055492000312e322e3832362e302e",
            "312e333638303034332e322e313132352e39392e320020000e0055492000312e322e3832362e302e312e3336",
            "38303034332e322e313132352e39392e3300280002005553020001002800040043530c004d4f4e4f4348524f",
            "4d45322028001000555302000400280011005553020004002800000155530200100028000101555302000c00",
            "28000201555302000b0028000301555302000000e07f10004f57000020000000000001000200030004000500",
            "06000700080009000a000b000c000d000e000f00",
        ),
    ),
    (Side::Server, "040000000086000000820103"),
    (
        Side::Server,
        concat!(
            "000000000400000074000000000002001a000000312e322e3834302e31303030382e352e312e342e312e312e",
            "3200000000010200000001800000200102000000010000000008020000000101000000090200000000000000",
            "001022000000312e322e3832362e302e312e333638303034332e322e313132352e39392e312e3100",
        ),
    ),
    (Side::Client, "05000000000400000000"),
    (Side::Server, "06000000000400000000"),
];

#[test]
fn dcmtk_store_capture_matches_tshark() {
    let deliveries: Vec<(Side, Vec<u8>)> = DCMTK_STORE.iter().map(|(s, h)| (*s, hex(h))).collect();
    let refs: Vec<(Side, &[u8])> = deliveries.iter().map(|(s, d)| (*s, d.as_slice())).collect();
    let (name, obs, c) = run_session(ctx_tcp(11112), &refs);
    assert_eq!(name, Some("dicom"));
    let f = facts(&obs);
    for (side, key, value) in [
        ("client", "dicom.calling_ae_title", "CT_MODALITY"),
        ("server", "dicom.called_ae_title", "STORESCP"),
        (
            "client",
            "dicom.implementation_class_uid",
            "1.2.276.0.7230010.3.0.3.6.7",
        ),
        ("server", "dicom.implementation_version", "OFFIS_DCMTK_367"),
        ("client", "dicom.modality", "CT"),
        ("client", "dicom.manufacturer", "ACME Medical Systems"),
        ("client", "dicom.device_serial_number", "SN-0042"),
        ("server", "dicom.sop_class", "CT Image Storage"),
    ] {
        assert!(
            f.contains(&(side, key, value.into())),
            "{side} {key} {value} not in {f:?}"
        );
    }
    assert!(software(&obs).contains(&("server", "OFFIS_DCMTK".into(), Some("367".into()))));
    let e = exposures(&obs);
    assert_eq!(e.len(), 1);
    assert_eq!(
        e[0].fields,
        vec![
            "(0010,0010) PatientName",
            "(0010,0020) PatientID",
            "(0010,0030) PatientBirthDate",
            "(0010,0040) PatientSex",
        ]
    );
    assert!(anomalies(&obs).is_empty(), "{:?}", anomalies(&obs));
    assert_eq!(crate::testing::counter(&c, "dicom", "messages"), 2);
    let text = format!("{obs:?}");
    assert!(!text.contains(PATIENT_NAME) && !text.contains(PATIENT_ID));
}
