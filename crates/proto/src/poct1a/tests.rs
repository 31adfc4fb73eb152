//! POCT1-A fixtures in the shape of the CLSI POCT1-A2 Device Messaging Layer as vendors'
//! interface guides show it (no public capture carries POCT1-A): an analyzer's hello and
//! device status, a patient observation with invented patient values, the data manager's
//! acknowledgments. Every identifier and value below is invented.

use super::*;
use crate::testing::{
    Harness, anomalies, ctx_tcp, exposures, fact, facts, fuzz_mutated, run_session, software,
};

/// HEL.R01 from a glucose meter: HDR (message header: control id, version, creation time),
/// DEV (device identity), DCP (device capabilities).
const HELLO: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<HEL.R01>
  <HDR>
    <HDR.control_id V="10001"/>
    <HDR.version_id V="POCT1"/>
    <HDR.creation_dttm V="2026-12-06T08:15:00+01:00"/>
  </HDR>
  <DEV>
    <DEV.device_id V="GM-0417"/>
    <DEV.vendor_id V="ACME"/>
    <DEV.model_id V="GlucoCheck 500"/>
    <DEV.serial_id V="SN77120"/>
    <DEV.manufacturer_name V="ACME Diagnostics"/>
    <DEV.hw_version V="B"/>
    <DEV.sw_version V="3.2.1"/>
    <DEV.device_name V="Ward 3 meter"/>
  </DEV>
  <DCP>
    <DCP.application_timeout V="30"/>
  </DCP>
</HEL.R01>
"#;

/// ACK.R01 from the data manager (ACK.type_cd AA: accepted).
const ACK: &str = r#"<?xml version="1.0" encoding="UTF-8"?><ACK.R01><HDR><HDR.control_id V="90001"/><HDR.version_id V="POCT1"/></HDR><ACK><ACK.type_cd V="AA"/><ACK.ack_control_id V="10001"/></ACK></ACK.R01>"#;

/// OBS.R01: one patient result. PT holds the invented patient, OBS the result, OPR the
/// operator (staff id: not kept either).
const OBSERVATION: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<OBS.R01>
  <HDR><HDR.control_id V="10002"/><HDR.version_id V="POCT1"/></HDR>
  <SVC>
    <SVC.role_cd V="OBS"/>
    <SVC.observation_dttm V="2026-12-06T08:20:00+01:00"/>
    <PT>
      <PT.patient_id V="MRN0099887"/>
      <PT.name V="ROE^RICHARD"/>
      <PT.birth_date V="1961-02-03"/>
      <PT.gender_cd V=""/>
      <OBS>
        <OBS.observation_id V="Glucose" SN="ACME"/>
        <OBS.value V="143" U="mg/dL"/>
      </OBS>
    </PT>
    <OPR><OPR.operator_id V="NURSE-4411"/></OPR>
  </SVC>
</OBS.R01>
"#;

/// OBS.R02: a quality-control result, no patient.
const QC: &str = r#"<OBS.R02><HDR><HDR.control_id V="10003"/></HDR><SVC><OBS><OBS.observation_id V="Glucose"/><OBS.value V="98"/></OBS></SVC></OBS.R02>"#;

const SECRETS: &[&str] = &[
    "MRN0099887",
    "ROE^RICHARD",
    "1961-02-03",
    "NURSE-4411",
    "143",
];

fn session(h: &mut Harness<Poct1a>) {
    h.feed(Side::Client, HELLO.as_bytes());
    h.feed(Side::Server, ACK.as_bytes());
    h.feed(Side::Client, OBSERVATION.as_bytes());
    h.feed(Side::Server, ACK.as_bytes());
    h.feed(Side::Client, QC.as_bytes());
}

#[test]
fn hello_names_the_analyzer() {
    let mut h = Harness::<Poct1a>::tcp(5000);
    session(&mut h);
    let obs = h.observations();
    assert_eq!(fact(&obs, "poct1a.device_id"), Some("GM-0417"));
    assert_eq!(fact(&obs, "poct1a.vendor_id"), Some("ACME"));
    assert_eq!(fact(&obs, "poct1a.model_id"), Some("GlucoCheck 500"));
    assert_eq!(fact(&obs, "poct1a.serial_id"), Some("SN77120"));
    assert_eq!(fact(&obs, "poct1a.manufacturer"), Some("ACME Diagnostics"));
    assert_eq!(fact(&obs, "poct1a.sw_version"), Some("3.2.1"));
    assert_eq!(fact(&obs, "poct1a.device_name"), Some("Ward 3 meter"));
    assert!(
        facts(&obs).iter().all(|(side, _, _)| *side == "client"),
        "the analyzer (client) said all of it"
    );
    assert_eq!(
        software(&obs),
        vec![(
            "client",
            "GlucoCheck 500".to_owned(),
            Some("3.2.1".to_owned())
        )]
    );
    assert_eq!(h.counter("messages"), 5);
}

#[test]
fn patient_observation_is_cleartext_phi_with_field_names_only() {
    let mut h = Harness::<Poct1a>::tcp(5000);
    session(&mut h);
    let obs = h.observations();
    let e = exposures(&obs);
    assert_eq!(e.len(), 1, "the QC result carries no patient: {e:?}");
    assert_eq!(e[0].kind, ExposureKind::CleartextPhi);
    assert_eq!(e[0].side, Side::Client);
    assert_eq!(e[0].subject, "OBS.R01");
    // PT.gender_cd is empty: not a field that crossed.
    assert_eq!(
        e[0].fields,
        vec!["PT.patient_id", "PT.name", "PT.birth_date", "OBS.value"]
    );
    let all = format!("{obs:?}{:?}", h.events());
    for s in SECRETS {
        assert!(!all.contains(s), "{s:?} leaked");
    }
}

#[test]
fn events_follow_every_message() {
    let mut h = Harness::<Poct1a>::tcp(5000);
    session(&mut h);
    let events = h.events();
    let types: Vec<&str> = events
        .iter()
        .map(|e| e.body["message_type"].as_str().unwrap())
        .collect();
    assert_eq!(
        types,
        ["HEL.R01", "ACK.R01", "OBS.R01", "ACK.R01", "OBS.R02"]
    );
    assert_eq!(events[0].body["device"]["serial_id"], "SN77120");
    assert_eq!(events[0].body["version"], "POCT1");
    assert_eq!(events[0].body["control_id_present"], true);
    assert_eq!(events[0].body["direction"], "to_server");
    assert_eq!(events[1].body["ack_code"], "AA");
    assert_eq!(
        events[2].body["patient_fields_present"],
        serde_json::json!(["PT.patient_id", "PT.name", "PT.birth_date"])
    );
    assert_eq!(events[2].body["observations"], 1);
    assert_eq!(events[4].body["observations"], 1);
    assert!(events[4].body.get("patient_fields_present").is_none());
}

#[test]
fn probe_by_content_on_any_port() {
    let ctx = ctx_tcp(40123);
    assert_eq!(
        Poct1a::probe(HELLO.as_bytes(), Side::Client, &ctx),
        Probe::Yes
    );
    assert_eq!(Poct1a::probe(QC.as_bytes(), Side::Client, &ctx), Probe::Yes);
    // The declaration alone: wait for the root.
    assert_eq!(
        Poct1a::probe(b"<?xml version=\"1.0\"?>\n", Side::Client, &ctx),
        Probe::NeedMore
    );
    assert_eq!(
        Poct1a::probe(b"<HEL.R", Side::Client, &ctx),
        Probe::NeedMore
    );
    // Other XML and text are not POCT1-A.
    for other in [
        &b"<?xml version='1.0'?><stream:stream to='example.com'>"[..],
        b"<html><body>",
        b"<Envelope xmlns=\"http://www.w3.org/2003/05/soap-envelope\">",
        b"GET / HTTP/1.1\r\n",
        b"\x0bMSH|^~\\&|",
        b"<hel.r01>",
        // A topic field is not a message.
        b"<DEV.device_id V=\"GM-0417\"/>",
        b"<HEL.R01X>",
    ] {
        assert_eq!(
            Poct1a::probe(other, Side::Client, &ctx),
            Probe::No,
            "{:?}",
            String::from_utf8_lossy(other)
        );
    }
}

#[test]
fn registry_recognises_a_session_and_splits_do_not_matter() {
    let whole = [HELLO, ACK, OBSERVATION].concat();
    // Every split of the client's bytes in two deliveries gives the same facts and exposure.
    let reference = {
        let (name, obs, _) = run_session(ctx_tcp(5000), &[(Side::Client, whole.as_bytes())]);
        assert_eq!(name, Some("poct1a"));
        (facts(&obs), exposures(&obs).len())
    };
    for cut in (1..whole.len()).step_by(7) {
        let (a, b) = whole.as_bytes().split_at(cut);
        let (name, obs, _) = run_session(ctx_tcp(5000), &[(Side::Client, a), (Side::Client, b)]);
        assert_eq!(name, Some("poct1a"), "cut at {cut}");
        assert_eq!(
            (facts(&obs), exposures(&obs).len()),
            reference,
            "cut at {cut}"
        );
    }
}

#[test]
fn resynchronises_after_a_gap_and_after_junk() {
    let mut h = Harness::<Poct1a>::tcp(5000);
    h.feed(Side::Client, &HELLO.as_bytes()[..100]);
    assert_eq!(h.gap(Side::Client, 300), Verdict::Depth(DEPTH));
    // The rest of a lost message, then a whole one.
    let after = [&HELLO.as_bytes()[400..], OBSERVATION.as_bytes()].concat();
    h.feed(Side::Client, &after);
    let obs = h.observations();
    assert_eq!(
        exposures(&obs).len(),
        1,
        "the observation after the gap was read"
    );
    assert_eq!(h.counter("messages"), 1);
}

#[test]
fn truncated_message_at_the_end_is_an_anomaly() {
    let mut h = Harness::<Poct1a>::tcp(5000);
    h.feed(Side::Client, &OBSERVATION.as_bytes()[..300]);
    h.end();
    let obs = h.observations();
    assert_eq!(anomalies(&obs), vec!["poct1a_truncated_message"]);
    assert!(exposures(&obs).is_empty());
}

#[test]
fn hostile_dtd_entity_expansion_is_refused() {
    let bomb = r#"<?xml version="1.0"?><!DOCTYPE HEL.R01 [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><HEL.R01><DEV><DEV.device_id V="&b;"/></DEV></HEL.R01>"#;
    let mut h = Harness::<Poct1a>::tcp(5000);
    h.feed(Side::Client, bomb.as_bytes());
    let obs = h.observations();
    assert!(fact(&obs, "poct1a.device_id").is_none());
}

#[test]
fn hostile_not_utf8_and_bad_xml_are_anomalies() {
    let mut h = Harness::<Poct1a>::tcp(5000);
    h.feed(
        Side::Client,
        b"<HEL.R01><DEV.device_id V=\"\xff\xfe\"/></HEL.R01>",
    );
    h.feed(Side::Client, b"<HEL.R01><DEV></HEL.R01>");
    assert_eq!(
        anomalies(&h.observations()),
        vec!["poct1a_not_utf8", "poct1a_bad_xml"]
    );
}

#[test]
fn hostile_node_flood_is_bounded() {
    let mut flood = String::from("<OBS.R01>");
    for _ in 0..25_000 {
        flood.push_str("<X/>");
    }
    flood.push_str("</OBS.R01>");
    let mut h = Harness::<Poct1a>::tcp(5000);
    h.feed(Side::Client, flood.as_bytes());
    assert_eq!(anomalies(&h.observations()), vec!["poct1a_too_many_nodes"]);
}

#[test]
fn hostile_oversized_message_is_skipped_and_the_next_read() {
    let mut big = String::from("<OBS.R01><NTE.text V=\"");
    big.push_str(&"x".repeat(300 * 1024));
    big.push_str("\"/></OBS.R01>");
    let mut h = Harness::<Poct1a>::tcp(5000);
    for chunk in big.as_bytes().chunks(1460) {
        h.feed(Side::Client, chunk);
    }
    h.feed(Side::Client, OBSERVATION.as_bytes());
    assert!(h.counter("poct1a_message_oversize") >= 1);
    assert_eq!(exposures(&h.observations()).len(), 1);
}

#[test]
fn self_closing_keep_alive_is_a_message() {
    let mut h = Harness::<Poct1a>::tcp(5000);
    h.feed(Side::Client, b"<KPA.R01/>\n<KPA.R01/>");
    assert_eq!(h.counter("messages"), 2);
}

#[test]
fn mutated_fixtures_do_not_panic() {
    let seeds: Vec<Vec<u8>> = [HELLO, ACK, OBSERVATION, QC]
        .iter()
        .map(|s| s.as_bytes().to_vec())
        .collect();
    fuzz_mutated("poct1a", &seeds);
}
