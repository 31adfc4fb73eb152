//! Invented inventories against an invented advisory: near-miss names and versions, boundary
//! versions, fixes named only in remediation text, known_not_affected products.

use model::{Attribute, Device, DeviceId, Evidence};

use super::*;
use crate::csaf;

fn advisory() -> Advisory {
    let doc = serde_json::json!({
        "document": {"csaf_version": "2.0", "title": "Acme pumps", "tracking": {"id": "TEST-PUMP-1", "version": "1"}},
        "product_tree": {"branches": [{"category": "vendor", "name": "Acme Medical, Inc. (Acme)", "branches": [
            {"category": "product_name", "name": "Acme Infusion System Model 4100", "branches": [
                {"category": "product_version_range", "name": "<= 3.2.1", "product": {"product_id": "P1", "name": "Acme 4100 <= 3.2.1"}}]},
            {"category": "product_name", "name": "Acme Infusion System Model 4200", "branches": [
                {"category": "product_version_range", "name": "vers:all/<2.0", "product": {"product_id": "P2", "name": "Acme 4200 < 2.0"}}]},
            {"category": "product_name", "name": "Acme Gateway", "branches": [
                {"category": "product_version", "name": "see vendor notice", "product": {"product_id": "P3", "name": "Acme Gateway"}}]},
            {"category": "product_name", "name": "Acme Infusion System Model 4300", "product": {"product_id": "P4", "name": "Acme 4300"}}
        ]}]},
        "vulnerabilities": [{
            "cve": "CVE-2099-0001",
            "product_status": {"known_affected": ["P1", "P2", "P3"], "known_not_affected": ["P4"]},
            "scores": [{"cvss_v3": {"baseScore": 8.1, "vectorString": "CVSS:3.1/AV:A"}, "products": ["P1"]}],
            "remediations": [{"category": "mitigation", "details": "Acme recommends updating the Model 4100 to version 3.4.0 or later.", "product_ids": ["P1"]}]
        }]
    });
    csaf::read(&doc).expect("the invented advisory reads")
}

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

fn device(vendor: &str, model: Option<&str>, firmware: Option<&str>) -> Device {
    Device {
        id: DeviceId("mac-0000000000aa".into()),
        vendor: Some(attr(vendor, 0.9)),
        model: model.map(|m| Box::new(attr(m, 0.9))),
        firmware: firmware.map(|f| Box::new(attr(f, 0.8))),
        ..Device::default()
    }
}

/// The test's vendor key: lower-case words, with one alias table entry.
fn key(name: &str) -> String {
    let k = words(name).join(" ");
    match k.as_str() {
        "acme medical inc" | "acme medical" => "acme".into(),
        _ => k,
    }
}

fn statuses(d: &Device) -> Vec<(MatchStatus, String)> {
    match_device(d, &advisory(), &key)
        .into_iter()
        .map(|m| (m.status, m.product))
        .collect()
}

#[test]
fn a_model_in_range_is_affected_with_the_reason() {
    let m = match_device(
        &device("Acme", Some("4100"), Some("3.2.1")),
        &advisory(),
        &key,
    );
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(m[0].status, MatchStatus::Affected);
    assert_eq!(m[0].cves, ["CVE-2099-0001"]);
    assert_eq!(m[0].cvss, Some(8.1));
    assert!(
        m[0].why.contains("4100") && m[0].why.contains("3.2.1"),
        "{}",
        m[0].why
    );
    assert!(
        m[0].confidence > 0.5 && m[0].confidence < 1.0,
        "{}",
        m[0].confidence
    );
}

#[test]
fn boundary_versions_and_fixes_named_only_in_text() {
    let st = |fw: &str| statuses(&device("Acme", Some("4100"), Some(fw)))[0].0;
    assert_eq!(st("3.2.1"), MatchStatus::Affected);
    assert_eq!(st("3.2.0"), MatchStatus::Affected);
    // Past the range but below the fix the remediation names: past the range is fixed too
    // (nothing says 3.3 is affected).
    assert_eq!(st("3.3"), MatchStatus::Fixed);
    assert_eq!(st("3.4.0"), MatchStatus::Fixed);
    assert_eq!(st("V3.4.0"), MatchStatus::Fixed);
    // An exclusive bound: 2.0 is the first unaffected version.
    let st2 = |fw: &str| statuses(&device("Acme", Some("4200"), Some(fw)))[0].0;
    assert_eq!(st2("1.9.9"), MatchStatus::Affected);
    assert_eq!(st2("2.0"), MatchStatus::Fixed);
}

#[test]
fn unknown_firmware_or_unread_range_is_possibly_affected() {
    let m = statuses(&device("Acme", Some("4100"), None));
    assert_eq!(m[0].0, MatchStatus::PossiblyAffected);
    let m = statuses(&device("Acme", Some("Gateway"), Some("1.0")));
    assert_eq!(m[0].0, MatchStatus::PossiblyAffected);
}

#[test]
fn known_not_affected_products_say_so() {
    let m = statuses(&device("Acme", Some("4300"), Some("1.0")));
    assert_eq!(
        m,
        [(
            MatchStatus::NotAffected,
            "Acme Infusion System Model 4300".to_string()
        )]
    );
}

#[test]
fn near_misses_do_not_match() {
    // Another vendor with the same model number.
    assert!(statuses(&device("Apex", Some("4100"), Some("3.0"))).is_empty());
    // A near model number.
    assert!(statuses(&device("Acme", Some("410"), Some("3.0"))).is_empty());
    assert!(statuses(&device("Acme", Some("4101"), Some("3.0"))).is_empty());
    // A vendor alone never matches.
    assert!(statuses(&device("Acme", None, Some("3.0"))).is_empty());
    // The vendor's alias (written with its legal suffix) matches.
    assert_eq!(
        statuses(&device("Acme Medical", Some("4100"), Some("3.0")))[0].0,
        MatchStatus::Affected
    );
}

#[test]
fn the_vendor_index_finds_what_matching_one_by_one_finds() {
    let advisories = [advisory()];
    let matcher = Matcher::new(&advisories, &key);
    for d in [
        device("Acme", Some("4100"), Some("3.0")),
        device("Acme Medical", Some("4300"), None),
        device("Apex", Some("4100"), Some("3.0")),
    ] {
        assert_eq!(matcher.matches(&d), match_device(&d, &advisories[0], &key));
    }
}

fn software(product: &str, version: &str) -> model::DeviceSoftware {
    model::DeviceSoftware {
        product: product.into(),
        version: Some(version.into()),
        source: "lldp".into(),
        role: "server".into(),
        raw: format!("{product} {version}"),
    }
}

#[test]
fn software_seen_on_the_wire_gives_the_version_the_attributes_lack() {
    let advisories = [advisory()];
    let matcher = Matcher::new(&advisories, &key);
    // Model known, firmware not: possibly affected from the attributes alone…
    let mut d = device("Acme", Some("4100"), None);
    assert_eq!(matcher.matches(&d)[0].status, MatchStatus::PossiblyAffected);
    // …affected once the device shows its software with a version.
    d.software
        .push(software("Acme Infusion System 4100", "3.2.0"));
    let m = matcher.matches(&d);
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(m[0].status, MatchStatus::Affected);
    assert!(
        m[0].why
            .starts_with("software \"Acme Infusion System 4100\" 3.2.0"),
        "{}",
        m[0].why
    );
    assert_eq!(
        m[0].seen_on_wire.as_deref(),
        Some("lldp server"),
        "exposed: seen on the wire"
    );
    assert_eq!(
        matcher.matches(&device("Acme", Some("4100"), Some("3.2.0")))[0].seen_on_wire,
        None
    );
    // No vendor attribute at all: the software's first word names the vendor.
    let mut bare = Device {
        id: DeviceId("mac-0000000000bb".into()),
        ..Device::default()
    };
    bare.software.push(software("Acme 4100", "3.5"));
    let m = matcher.matches(&bare);
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(m[0].status, MatchStatus::Fixed);
    // Software of another product does not match.
    let mut other = device("Acme", Some("4100"), None);
    other.software.push(software("Acme Gateway Console", "9.9"));
    assert_eq!(
        matcher.matches(&other)[0].status,
        MatchStatus::PossiblyAffected
    );
}

#[test]
fn a_model_known_by_another_name_matches_through_the_product_tables() {
    let advisories = [advisory()];
    let matcher = Matcher::new(&advisories, &key);
    let d = device("Acme Medical", Some("PumpPrime"), Some("3.0"));
    assert!(
        matcher.matches(&d).is_empty(),
        "the CMMS name alone names nothing"
    );
    let names = |vendor: &str, model: &str| -> Vec<String> {
        if vendor == "acme" && model.eq_ignore_ascii_case("pumpprime") {
            vec!["Acme Infusion System Model 4100".into(), "Infuser".into()]
        } else {
            Vec::new()
        }
    };
    let matcher = Matcher::new(&advisories, &key).with_product_names(&names);
    let m = matcher.matches(&d);
    assert_eq!(m.len(), 1, "{m:?}");
    assert_eq!(m[0].status, MatchStatus::Affected);
    assert!(
        m[0].why
            .contains("also called \"Acme Infusion System Model 4100\""),
        "{}",
        m[0].why
    );
    // Another vendor's model of that name is not renamed.
    assert!(
        matcher
            .matches(&device("Other", Some("PumpPrime"), Some("3.0")))
            .is_empty()
    );
}

#[test]
fn another_name_never_overrides_the_models_own_number() {
    let advisories = [advisory()];
    let names = |_: &str, _: &str| -> Vec<String> { vec!["Acme Infusion System".into()] };
    let matcher = Matcher::new(&advisories, &key).with_product_names(&names);
    // Model 9999 is none of the advisory's 4100/4200/4300, whatever its family is called.
    let m = matcher.matches(&device("Acme", Some("Infusion System 9999"), Some("1.0")));
    assert!(m.is_empty(), "{m:?}");
}

#[test]
fn entries_bounded_on_release_lines_judge_each_line_by_its_own_fix() {
    let doc = serde_json::json!({
        "document": {"csaf_version": "2.0", "title": "Acme viewer", "tracking": {"id": "TEST-LINES-1", "version": "1"}},
        "product_tree": {"branches": [{"category": "vendor", "name": "Acme", "branches": [
            {"category": "product_name", "name": "Acme Viewer", "branches": [
                {"category": "product_version_range", "name": "<11.0.6", "product": {"product_id": "V11", "name": "Acme Viewer <11.0.6"}},
                {"category": "product_version_range", "name": "<12.0.4", "product": {"product_id": "V12", "name": "Acme Viewer <12.0.4"}}]}]}]},
        "vulnerabilities": [{"cve": "CVE-2099-0011", "product_status": {"known_affected": ["V11", "V12"]}}]
    });
    let advisory = csaf::read(&doc).expect("reads");
    let status = |fw: &str| {
        let m = match_device(&device("Acme", Some("Viewer"), Some(fw)), &advisory, &key);
        assert_eq!(m.len(), 1, "{fw}: {m:?}");
        m[0].status
    };
    assert_eq!(status("11.0.5"), MatchStatus::Affected);
    assert_eq!(
        status("11.0.7"),
        MatchStatus::Fixed,
        "the 11 line is fixed in 11.0.6"
    );
    assert_eq!(status("12.0.1"), MatchStatus::Affected);
    assert_eq!(status("12.0.4"), MatchStatus::Fixed);
    assert_eq!(
        status("10.2"),
        MatchStatus::Affected,
        "a line no entry names: below both bounds"
    );
    assert_eq!(status("13.1"), MatchStatus::Fixed);
}

#[test]
fn a_product_vulnerable_only_on_a_platform_is_held_against_the_devices_os() {
    let doc = serde_json::json!({"format": "NVD_CVE", "vulnerabilities": [{"cve": {
        "id": "CVE-2099-0021", "sourceIdentifier": "x",
        "configurations": [{"operator": "AND", "nodes": [
            {"operator": "OR", "cpeMatch": [{"vulnerable": true, "criteria": "cpe:2.3:a:acme:viewer:*:*:*:*:*:*:*:*", "versionEndExcluding": "5.0"}]},
            {"operator": "OR", "cpeMatch": [{"vulnerable": false, "criteria": "cpe:2.3:o:microsoft:windows:-:*:*:*:*:*:*:*"}]}]}]}}]});
    let advisory = crate::nvd::read(&doc).expect("reads").remove(0);
    let with_os = |os: Option<&str>| {
        let mut d = device("Acme", Some("Viewer"), Some("4.2"));
        d.os = os.map(|o| Box::new(attr(o, 0.8)));
        let m = match_device(&d, &advisory, &key);
        assert_eq!(m.len(), 1, "{m:?}");
        m.into_iter().next().unwrap()
    };
    let win = with_os(Some("Windows 10"));
    assert_eq!(win.status, MatchStatus::Affected);
    let linux = with_os(Some("Linux"));
    assert_eq!(linux.status, MatchStatus::NotAffected);
    assert!(
        linux.why.contains("only on microsoft windows"),
        "{}",
        linux.why
    );
    let unknown = with_os(None);
    assert_eq!(unknown.status, MatchStatus::Affected);
    assert!(unknown.confidence < win.confidence);
}
