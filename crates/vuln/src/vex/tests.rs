//! An invented device model with an SBOM and VEX statements, against an invented NVD-style
//! record for one of its components: attachment (vendor, model, firmware), component
//! matching by CPE, and each VEX state honoured.

use model::{Attribute, Device, DeviceId, Evidence};
use serde_json::json;

use super::*;
use crate::{Advisory, Matcher, nvd, sbom};

fn attr(value: &str, confidence: f32) -> Attribute {
    Attribute {
        value: value.into(),
        confidence,
        evidence: vec![Evidence {
            source: "test".into(),
            detail: String::new(),
            weight: confidence,
            value: value.into(),
        }],
    }
}

fn device(vendor: &str, model: &str, firmware: Option<&str>) -> Device {
    Device {
        id: DeviceId("mac-0000000000bb".into()),
        vendor: Some(attr(vendor, 0.9)),
        model: Some(Box::new(attr(model, 0.9))),
        firmware: firmware.map(|f| Box::new(attr(f, 0.9))),
        ..Device::default()
    }
}

fn key(name: &str) -> String {
    let k = name.to_ascii_lowercase();
    match k.as_str() {
        "acme medical, inc." | "acme medical" => "acme".into(),
        _ => k,
    }
}

/// Two CVEs in wolfSSL before 5.0, one in zlib.
fn records() -> Vec<Advisory> {
    let cve = |id: &str, cpe: &str, end: &str| {
        json!({"cve": {"id": id, "sourceIdentifier": "x",
            "metrics": {"cvssMetricV31": [{"cvssData": {"baseScore": 7.5}}]},
            "configurations": [{"nodes": [{"operator": "OR", "cpeMatch": [
                {"vulnerable": true, "criteria": cpe, "versionEndExcluding": end}]}]}]}})
    };
    nvd::read(&json!({"format": "NVD_CVE", "vulnerabilities": [
        cve("CVE-2099-1001", "cpe:2.3:a:wolfssl:wolfssl:*:*:*:*:*:*:*:*", "5.0.0"),
        cve("CVE-2099-1002", "cpe:2.3:a:wolfssl:wolfssl:*:*:*:*:*:*:*:*", "5.0.0"),
        cve("CVE-2099-1003", "cpe:2.3:a:zlib:zlib:*:*:*:*:*:*:*:*", "1.2.12"),
    ]}))
    .expect("the invented records read")
}

fn sbom_doc(firmware: &str, wolfssl: &str) -> Sbom {
    sbom::read(
        &json!({
            "bomFormat": "CycloneDX", "specVersion": "1.4", "version": 1,
            "serialNumber": format!("urn:uuid:00000000-0000-0000-0000-00000000{}", firmware.replace('.', "")),
            "metadata": {"component": {"bom-ref": "pump", "name": "Infusion System 4100", "version": firmware,
                "supplier": {"name": "Acme Medical, Inc."}}},
            "components": [
                {"bom-ref": "tls", "name": "WolfSSL", "version": wolfssl, "cpe": format!("cpe:2.3:a:wolfssl:wolfssl:{wolfssl}:*:*:*:*:*:*:*")},
                {"bom-ref": "z", "name": "zlib", "version": "1.2.13", "cpe": "cpe:2.3:a:zlib:zlib:1.2.13:*:*:*:*:*:*:*"}
            ]
        }),
        "sbom.json",
    )
    .expect("the invented SBOM reads")
}

/// A VEX document about the 3.2.1 SBOM, naming it by URN.
fn vex_doc(statements: serde_json::Value) -> Sbom {
    sbom::read(
        &json!({"bomFormat": "CycloneDX", "specVersion": "1.4", "version": 1, "vulnerabilities": statements}),
        "vex.json",
    )
    .expect("the invented VEX reads")
}

const PUMP: &str = "urn:cdx:00000000-0000-0000-0000-00000000321/1#pump";

/// (status, cves, why) of every match for `d`, with the documents attached.
fn judged(d: &Device, docs: &Documents) -> Vec<(MatchStatus, Vec<String>, String)> {
    let advisories = records();
    let matcher = Matcher::new(&advisories, &key);
    let firmware = d.firmware.as_deref().map(|f| f.value.as_str());
    let mut readings = Vec::new();
    let mut said = Vec::new();
    for a in docs.attached(d, &key) {
        readings.extend(docs.readings(&a));
        said.extend(docs.said(&a, firmware));
    }
    let mut out: Vec<_> = apply(d, matcher.matches_with(d, &readings), &said)
        .into_iter()
        .map(|m| (m.status, m.cves, m.why))
        .collect();
    out.sort();
    out
}

#[test]
fn a_component_of_the_devices_sbom_is_matched_by_its_cpe() {
    let docs = Documents::new(vec![sbom_doc("3.2.1", "4.8.1")]);
    let m = judged(
        &device("Acme", "Infusion System 4100", Some("3.2.1")),
        &docs,
    );
    let summary: Vec<(MatchStatus, Vec<String>)> =
        m.iter().map(|(s, c, _)| (*s, c.clone())).collect();
    assert_eq!(
        summary,
        [
            (MatchStatus::Affected, vec!["CVE-2099-1001".to_string()]),
            (MatchStatus::Affected, vec!["CVE-2099-1002".to_string()]),
            (MatchStatus::Fixed, vec!["CVE-2099-1003".to_string()]),
        ],
        "wolfSSL 4.8.1 is in the affected range; zlib 1.2.13 is past its fix: {m:?}"
    );
    assert!(
        m[0].2.contains("component wolfssl 4.8.1") && m[0].2.contains("CPE wolfssl:wolfssl"),
        "{}",
        m[0].2
    );
    // Without the SBOM the device matches nothing: the component is what matched.
    assert!(
        judged(
            &device("Acme", "Infusion System 4100", Some("3.2.1")),
            &Documents::new(vec![])
        )
        .is_empty()
    );
}

#[test]
fn an_sbom_attaches_only_to_its_vendor_model_and_firmware() {
    let docs = Documents::new(vec![sbom_doc("3.2.1", "4.8.1")]);
    let attached = |d: &Device| docs.attached(d, &key);
    assert_eq!(
        attached(&device(
            "Acme Medical",
            "Infusion System 4100",
            Some("3.2.1")
        ))
        .len(),
        1,
        "vendor alias"
    );
    assert_eq!(
        attached(&device("Acme", "4100", Some("3.2.1"))).len(),
        1,
        "the model number alone"
    );
    assert!(
        attached(&device("Acmee", "Infusion System 4100", Some("3.2.1"))).is_empty(),
        "near-miss vendor"
    );
    assert!(
        attached(&device("Acme", "Infusion System 4200", Some("3.2.1"))).is_empty(),
        "near-miss model"
    );
    assert!(
        attached(&device("Acme", "Infusion System 4100", Some("3.3"))).is_empty(),
        "another firmware's SBOM"
    );
    let unknown = attached(&device("Acme", "Infusion System 4100", None));
    assert_eq!(unknown.len(), 1);
    assert!(
        unknown[0].confidence < 0.6,
        "firmware unknown: less sure ({})",
        unknown[0].confidence
    );
    assert!(unknown[0].why.contains("not known"), "{}", unknown[0].why);
}

#[test]
fn vex_statements_overrule_matching_for_their_cves() {
    let vex = vex_doc(json!([
        {"id": "CVE-2099-1001", "analysis": {"state": "not_affected", "justification": "code_not_reachable",
            "detail": "The TLS client is never enabled."}, "affects": [{"ref": PUMP}]},
        {"id": "CVE-2099-1002", "analysis": {"state": "resolved"}, "affects": [{"ref": PUMP}]},
        {"id": "CVE-2099-4444", "analysis": {"state": "exploitable", "detail": "Firmware update pending."},
            "ratings": [{"method": "CVSSv31", "score": 8.8}], "affects": [{"ref": PUMP}]},
        {"id": "CVE-2099-5555", "analysis": {"state": "not_affected"}, "affects": [{"ref": PUMP}]},
        {"id": "CVE-2099-6666", "analysis": {"state": "exploitable"}, "affects": [{"ref": "urn:cdx:00000000-0000-0000-0000-00000000999/1#pump"}]}
    ]));
    let docs = Documents::new(vec![sbom_doc("3.2.1", "4.8.1"), vex]);
    let m = judged(
        &device("Acme", "Infusion System 4100", Some("3.2.1")),
        &docs,
    );
    let summary: Vec<(MatchStatus, Vec<String>)> =
        m.iter().map(|(s, c, _)| (*s, c.clone())).collect();
    assert_eq!(
        summary,
        [
            (MatchStatus::Affected, vec!["CVE-2099-4444".to_string()]),
            (MatchStatus::Fixed, vec!["CVE-2099-1002".to_string()]),
            (MatchStatus::Fixed, vec!["CVE-2099-1003".to_string()]),
            (MatchStatus::NotAffected, vec!["CVE-2099-1001".to_string()]),
        ],
        "CVE-2099-5555 (not affected, matched by nothing) and CVE-2099-6666 (another SBOM) add nothing: {m:?}"
    );
    assert!(
        m[3].2.contains(
            "VEX vex.json: not_affected (code_not_reachable): The TLS client is never enabled."
        ),
        "{}",
        m[2].2
    );
    assert!(
        m[0].2.contains("Firmware update pending"),
        "a disclosed CVE no advisory names is a match: {}",
        m[0].2
    );
}

#[test]
fn a_statement_narrowed_to_versions_applies_by_the_devices_firmware() {
    let statements = json!([
        {"id": "CVE-2099-1001", "analysis": {"state": "not_affected", "justification": "protected_by_mitigating_control"},
         "affects": [{"ref": "pump", "versions": [{"version": "3.2.1", "status": "unaffected"}, {"version": "3.3", "status": "affected"}]}]}
    ]);
    // The statements inside the SBOM itself, naming its own subject.
    let mut own = sbom_doc("3.2.1", "4.8.1");
    own.statements = vex_doc(statements).statements;
    let docs = Documents::new(vec![own]);
    let m = judged(
        &device("Acme", "Infusion System 4100", Some("3.2.1")),
        &docs,
    );
    assert!(
        m.iter()
            .any(|(s, c, _)| *s == MatchStatus::NotAffected && c == &["CVE-2099-1001"]),
        "{m:?}"
    );
    // Unknown firmware: the SBOM attaches, the version-narrowed statement cannot settle it.
    let m = judged(&device("Acme", "Infusion System 4100", None), &docs);
    assert!(
        m.iter().any(|(s, c, _)| *s == MatchStatus::PossiblyAffected
            && c.contains(&"CVE-2099-1001".to_string())),
        "{m:?}"
    );
}

#[test]
fn a_statement_about_a_component_is_narrowed_by_the_components_version() {
    // The statement names the wolfSSL component (bom-ref "tls") and says 4.8.1 is unaffected:
    // the device's firmware (3.2.1) has nothing to do with it.
    let statements = json!([
        {"id": "CVE-2099-1001", "analysis": {"state": "not_affected", "justification": "code_not_reachable"},
         "affects": [{"ref": "tls", "versions": [{"version": "4.8.1", "status": "unaffected"}]}]}
    ]);
    let mut own = sbom_doc("3.2.1", "4.8.1");
    own.statements = vex_doc(statements).statements;
    let docs = Documents::new(vec![own]);
    let m = judged(
        &device("Acme", "Infusion System 4100", Some("3.2.1")),
        &docs,
    );
    assert!(
        m.iter()
            .any(|(s, c, _)| *s == MatchStatus::NotAffected && c == &["CVE-2099-1001"]),
        "{m:?}"
    );
}

#[test]
fn a_not_affected_statement_never_raises_a_cve_nothing_matched() {
    // Every listed version unaffected, the firmware unknown: nothing to say.
    let vex = vex_doc(json!([
        {"id": "CVE-2099-7777", "analysis": {"state": "not_affected", "justification": "code_not_reachable"},
         "affects": [{"ref": PUMP, "versions": [{"range": "vers:semver/>=1.0.0|<=9.0.0", "status": "unaffected"}]}]},
        {"id": "CVE-2099-8888", "analysis": {"state": "not_affected"},
         "affects": [{"ref": PUMP, "versions": [{"version": "3.2.1", "status": "unaffected"}, {"version": "3.3", "status": "affected"}]}]}
    ]));
    let docs = Documents::new(vec![sbom_doc("3.2.1", "4.8.1"), vex]);
    let m = judged(&device("Acme", "Infusion System 4100", None), &docs);
    assert!(
        m.iter().all(|(_, c, _)| !c
            .iter()
            .any(|c| c == "CVE-2099-7777" || c == "CVE-2099-8888")),
        "{m:?}"
    );
}
