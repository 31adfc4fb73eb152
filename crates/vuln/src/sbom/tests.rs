//! Invented documents in each shape; the real ones in `../shared/advisories/sbom/` are read
//! by `tests/advisories.rs`.

use serde_json::json;

use super::*;

#[test]
fn a_cyclonedx_sbom_gives_its_subject_and_components() {
    let doc = json!({
        "bomFormat": "CycloneDX", "specVersion": "1.5", "version": 2,
        "serialNumber": "urn:uuid:11111111-2222-3333-4444-555555555555",
        "metadata": {"component": {"type": "device", "bom-ref": "pump", "name": "Infusion System 4100",
            "version": "3.2.1", "supplier": {"name": "Acme Medical"}}},
        "components": [
            {"bom-ref": "c1", "name": "WolfSSL", "version": "4.8.1", "cpe": "cpe:2.3:a:wolfssl:wolfssl:4.8.1:*:*:*:*:*:*:*"},
            {"bom-ref": "c2", "name": "busybox", "version": "1.31.0", "purl": "pkg:generic/busybox.net/busybox@1.31.0",
             "components": [{"bom-ref": "c3", "name": "ash", "version": "1.31.0", "supplier": {"name": "REDACTED"}}]},
            {"bom-ref": "c4", "name": "REDACTED"}
        ]
    });
    let s = read(&doc, "file.json").expect("reads");
    assert_eq!(s.id, "urn:uuid:11111111-2222-3333-4444-555555555555");
    assert_eq!(
        s.urn().as_deref(),
        Some("urn:cdx:11111111-2222-3333-4444-555555555555/2")
    );
    assert_eq!(s.subject.vendor.as_deref(), Some("Acme Medical"));
    assert_eq!(s.subject.model.as_deref(), Some("Infusion System 4100"));
    assert_eq!(s.subject.version.as_deref(), Some("3.2.1"));
    let names: Vec<(&str, Option<&str>, Option<&str>)> = s
        .components
        .iter()
        .map(|c| (c.name.as_str(), c.vendor.as_deref(), c.version.as_deref()))
        .collect();
    assert_eq!(
        names,
        [
            ("wolfssl", Some("wolfssl"), Some("4.8.1")),
            ("busybox", Some("busybox.net"), Some("1.31.0")),
            ("ash", None, Some("1.31.0")),
        ],
        "CPE first, purl namespace next; nested components read; redacted names dropped"
    );
    assert!(s.is_named_by("c3", true));
    assert!(s.is_named_by("pump", true));
    assert!(
        !s.is_named_by("pump", false),
        "another document names it by URN"
    );
    assert!(s.is_named_by("urn:cdx:11111111-2222-3333-4444-555555555555/2#pump", false));
    assert!(
        s.is_named_by("urn:cdx:11111111-2222-3333-4444-555555555555/1#pump", false),
        "an earlier BOM version of the same serial still names the product"
    );
    assert!(
        s.is_named_by("urn:cdx:11111111-2222-3333-4444-555555555555/2#c3", true),
        "a BOM-Link to itself"
    );
    assert!(!s.is_named_by("urn:cdx:99999999-2222-3333-4444-555555555555/2#pump", false));
}

#[test]
fn vex_states_justifications_and_version_statuses_are_read() {
    let doc = json!({
        "bomFormat": "CycloneDX", "specVersion": "1.4", "version": 1,
        "metadata": {"component": {"bom-ref": "p", "name": "ABC"}},
        "vulnerabilities": [
            {"id": "CVE-2099-1", "analysis": {"state": "not_affected", "justification": "code_not_reachable", "detail": "TCP/IP stack not used"},
             "affects": [{"ref": "p", "versions": [{"version": "2.5", "status": "unaffected"}, {"range": "vers:generic/>=2.6|<3.0", "status": "affected"}]}]},
            {"id": "CVE-2099-2", "analysis": {"state": "resolved"}, "affects": [{"ref": "p"}],
             "ratings": [{"method": "CVSSv31", "score": 9.8}, {"method": "other", "score": 10}]},
            {"id": "CVE-2099-3", "analysis": {"state": "in_triage"}, "affects": [{"ref": "p"}]},
            {"id": "cve-2099-4", "analysis": {"state": "exploitable"}, "affects": [{"ref": "p"}]},
            {"id": "CVE-2099-5", "affects": [{"ref": "p"}]}
        ]
    });
    let s = read(&doc, "vex.json").expect("reads");
    assert_eq!(s.id, "vex.json", "no serial number: the file names it");
    let states: Vec<(&str, VexState)> = s
        .statements
        .iter()
        .map(|v| (v.cve.as_str(), v.state))
        .collect();
    assert_eq!(
        states,
        [
            ("CVE-2099-1", VexState::NotAffected),
            ("CVE-2099-2", VexState::Fixed),
            ("CVE-2099-3", VexState::UnderInvestigation),
            ("CVE-2099-4", VexState::Affected),
        ],
        "a vulnerability without an analysis is no statement"
    );
    let first = &s.statements[0];
    assert_eq!(first.justification.as_deref(), Some("code_not_reachable"));
    let t = &first.targets[0];
    assert_eq!(
        t.state_at(first.state, Some("2.5")),
        Some(VexState::NotAffected)
    );
    assert_eq!(
        t.state_at(first.state, Some("2.7")),
        Some(VexState::NotAffected),
        "affected per version keeps the statement's state"
    );
    assert_eq!(
        t.state_at(VexState::Affected, Some("2.7")),
        Some(VexState::Affected)
    );
    assert_eq!(
        t.state_at(first.state, Some("3.1")),
        None,
        "not a version the statement is about"
    );
    assert_eq!(
        t.state_at(first.state, None),
        Some(VexState::UnderInvestigation),
        "3.0 may be affected"
    );
    let all_unaffected = Target {
        reference: "p".into(),
        versions: vec![TargetVersion {
            range: VersionRange::All,
            text: "*".into(),
            status: "unaffected".into(),
        }],
    };
    assert_eq!(
        all_unaffected.state_at(VexState::NotAffected, None),
        None,
        "nothing to raise"
    );
    assert_eq!(s.statements[1].cvss, Some(9.8));
}

#[test]
fn an_spdx_document_gives_the_described_package_and_the_rest_as_components() {
    let doc = json!({
        "spdxVersion": "SPDX-2.3", "SPDXID": "SPDXRef-DOCUMENT",
        "documentNamespace": "https://acme.example/spdx/monitor-7-1.0",
        "documentDescribes": ["SPDXRef-monitor"],
        "packages": [
            {"SPDXID": "SPDXRef-openssl", "name": "openssl", "versionInfo": "1.1.1k", "supplier": "Organization: OpenSSL Project (openssl@example.org)",
             "externalRefs": [{"referenceCategory": "SECURITY", "referenceType": "cpe23Type", "referenceLocator": "cpe:2.3:a:openssl:openssl:1.1.1k:*:*:*:*:*:*:*"}]},
            {"SPDXID": "SPDXRef-monitor", "name": "PatientWatch 7", "versionInfo": "1.0", "supplier": "Organization: Acme Medical"},
            {"SPDXID": "SPDXRef-zlib", "name": "zlib", "versionInfo": "1.2.11", "supplier": "NOASSERTION"}
        ]
    });
    let s = read(&doc, "x").expect("reads");
    assert_eq!(s.format, "spdx");
    assert_eq!(s.subject.model.as_deref(), Some("PatientWatch 7"));
    assert_eq!(s.subject.vendor.as_deref(), Some("Acme Medical"));
    assert_eq!(s.components.len(), 2);
    assert_eq!(s.components[0].vendor.as_deref(), Some("openssl"));
    assert_eq!(s.components[1].vendor, None, "NOASSERTION is no supplier");
}

#[test]
fn what_is_not_an_sbom_is_refused_with_the_place() {
    let e = read(
        &json!({"bomFormat": "CycloneDX", "specVersion": "2.0"}),
        "x",
    )
    .unwrap_err();
    assert_eq!(e.path, "/specVersion");
    let e = read(&json!({"spdxVersion": "SPDX-2.3"}), "x").unwrap_err();
    assert_eq!(e.path, "/packages");
    assert!(read(&json!({"hello": 1}), "x").is_err());
}
