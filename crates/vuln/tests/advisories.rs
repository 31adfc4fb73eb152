//! Every real advisory in `../shared/advisories/` is read, and the vers-spec conformance
//! suite there holds for the range reader.

use std::path::{Path, PathBuf};

use serde_json::Value;
use vuln::{ProductStatus, VersionRange, csaf};

fn advisories() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/advisories");
    root.canonicalize().unwrap_or_else(|_| {
        panic!(
            "the advisory files are missing at {}: these tests read ../shared/advisories beside the repo",
            root.display()
        )
    })
}

fn json_files(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for entry in std::fs::read_dir(&d).unwrap_or_else(|e| panic!("{}: {e}", d.display())) {
            let path = entry.expect("directory entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "json") {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn load(path: &Path) -> Value {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn every_csaf_file_reads() {
    let files = json_files(&advisories().join("csaf"));
    assert!(files.len() >= 400, "{} CSAF files", files.len());
    let (mut products, mut unread, mut with_fix_text, mut vulns) = (0, 0, 0, 0);
    let mut ids = std::collections::HashSet::new();
    for f in &files {
        let doc = load(f);
        assert!(csaf::is_csaf(&doc), "{}", f.display());
        let a = csaf::read(&doc).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert!(
            ids.insert(a.id.clone()),
            "{}: duplicate id {}",
            f.display(),
            a.id
        );
        assert!(!a.products.is_empty(), "{}: no products", f.display());
        for v in &a.vulnerabilities {
            vulns += 1;
            for (id, _) in &v.statuses {
                assert!(
                    a.product(id).is_some(),
                    "{}: {} names product {id} that the tree does not have",
                    f.display(),
                    v.cve.as_deref().unwrap_or("?")
                );
            }
            if v.remediations.iter().any(|r| !r.fixed_versions.is_empty()) {
                with_fix_text += 1;
            }
        }
        products += a.products.len();
        unread += a.unread_ranges();
    }
    // What the reader cannot read is counted, and stays a small part.
    eprintln!(
        "{} files, {products} products, {unread} version texts not read, {vulns} vulnerabilities, {with_fix_text} with a fixed version in remediation text",
        files.len()
    );
    assert!(unread * 20 < products, "{unread} of {products} not read");
    assert!(with_fix_text * 3 > vulns, "{with_fix_text} of {vulns}");
}

#[test]
fn the_bd_alaris_advisory_reads_as_published() {
    let doc = load(&advisories().join("csaf/csaf_files/OT/white/2023/icsma-23-194-01.json"));
    let a = csaf::read(&doc).unwrap();
    assert_eq!(a.id, "ICSMA-23-194-01");
    let pcu = a.product("CSAFPID-0001").unwrap();
    assert_eq!(pcu.vendor, "Becton, Dickinson and Company (BD)");
    assert!(pcu.name.contains("8015"), "{}", pcu.name);
    assert_eq!(pcu.versions.contains("12.1.3"), Some(true));
    assert_eq!(pcu.versions.contains("12.3.1"), Some(false));
    let statuses: Vec<ProductStatus> = a
        .vulnerabilities
        .iter()
        .flat_map(|v| v.statuses_of("CSAFPID-0001").collect::<Vec<_>>())
        .collect();
    assert!(statuses.iter().all(|s| s.is_affected()) && !statuses.is_empty());
    // The fixed versions are only in the remediation text.
    let fixes: Vec<&String> = a
        .vulnerabilities
        .iter()
        .flat_map(|v| &v.remediations)
        .flat_map(|r| &r.fixed_versions)
        .collect();
    assert!(fixes.iter().any(|f| *f == "12.3.1"), "{fixes:?}");
}

#[test]
fn a_broken_document_is_refused_with_its_json_path() {
    let doc: Value = serde_json::json!({
        "document": {"csaf_version": "2.0", "title": "t", "tracking": {"id": "X-1"}},
        "product_tree": {"branches": [{"category": "vendor", "name": "Acme", "product": {"product_id": "P1", "name": "Acme Pump"}}]},
        "vulnerabilities": [{"cve": "CVE-2020-0001", "product_status": {"known_affected": ["P1", 7]}}]
    });
    let e = csaf::read(&doc).unwrap_err();
    assert_eq!(e.path, "/vulnerabilities/0/product_status/known_affected/1");
    let doc: Value =
        serde_json::json!({"document": {"csaf_version": "2.0", "title": "t", "tracking": {}}});
    assert_eq!(csaf::read(&doc).unwrap_err().path, "/document/tracking/id");
}

fn vers_tests(name: &str) -> Vec<Value> {
    let v = load(&advisories().join("vers/tests").join(name));
    v["tests"].as_array().expect("tests").clone()
}

#[test]
fn vers_conformance_parse() {
    let tests = vers_tests("vers_canonical_parse_test.json");
    assert!(tests.len() >= 10);
    for t in tests {
        let input = t["input"].as_str().unwrap();
        let got = VersionRange::parse_vers_canonical(input);
        if t["expected_failure"].as_bool() == Some(true) {
            let e = got.expect_err(input);
            let want = t["expected_message"].as_str().unwrap_or_default();
            assert_eq!(e, want, "{input}");
        } else {
            let (scheme, range) = got.unwrap_or_else(|e| panic!("{input}: {e}"));
            assert_eq!(scheme, t["expected_output"]["scheme"].as_str().unwrap());
            let VersionRange::Constraints(cs) = range else {
                panic!("{input}: {range:?}")
            };
            let want = t["expected_output"]["version_constraints"]
                .as_array()
                .unwrap();
            assert_eq!(cs.len(), want.len(), "{input}");
            for (c, w) in cs.iter().zip(want) {
                assert_eq!(c.comparator.as_str(), w[0].as_str().unwrap(), "{input}");
                assert_eq!(c.version, w[1].as_str().unwrap(), "{input}");
            }
        }
    }
}

#[test]
fn vers_conformance_containment_and_normal_form() {
    let mut n = 0;
    for name in [
        "npm_range_containment_test.json",
        "pypi_range_containment_test.json",
    ] {
        for t in vers_tests(name) {
            let vers = t["input"]["vers"].as_str().unwrap();
            let version = t["input"]["version"].as_str().unwrap();
            let range = VersionRange::parse_text(vers);
            assert_eq!(
                range.contains(version),
                t["expected_output"].as_bool(),
                "{version} in {vers}"
            );
            n += 1;
        }
    }
    // `validate`: the sorted form of a valid range.
    for t in vers_tests("pypi_range_validate_test.json") {
        let input = t["input"].as_str().unwrap();
        let range = VersionRange::parse_text(input);
        let scheme = input.split('/').next().unwrap();
        assert_eq!(
            format!("{scheme}/{range}"),
            t["expected_output"].as_str().unwrap(),
            "{input}"
        );
        n += 1;
    }
    assert!(n >= 29, "{n}");
}

#[test]
fn every_cve_record_reads() {
    let files = json_files(&advisories().join("nvd/cves"));
    assert!(files.len() >= 20, "{} CVE records", files.len());
    let mut with_range = 0;
    for f in &files {
        let doc = load(f);
        assert!(vuln::cve5::is_cve_record(&doc), "{}", f.display());
        let a = vuln::cve5::read(&doc).unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        assert!(a.id.starts_with("CVE-"), "{}", f.display());
        assert_eq!(a.vulnerabilities.len(), 1);
        if a.products.iter().any(|p| p.versions.is_read()) {
            with_range += 1;
        }
    }
    assert!(
        with_range * 10 >= files.len() * 9,
        "{with_range} of {}",
        files.len()
    );
    // The Alaris PCU record reads as its CSAF advisory does.
    let doc = load(&advisories().join("nvd/cves/2023/30xxx/CVE-2023-30561.json"));
    let a = vuln::cve5::read(&doc).unwrap();
    let pcu = &a.products[0];
    assert!(pcu.name.contains("8015"));
    assert_eq!(pcu.versions.contains("12.1.3"), Some(true));
    assert_eq!(pcu.versions.contains("12.3.1"), Some(false));
}

#[test]
fn nvd_cve_responses_read_with_cpe_products() {
    let dir = advisories().join("nvd/nvd-api");
    let doc = load(&dir.join("cves-2023.json"));
    assert!(vuln::nvd::is_nvd_cves(&doc));
    let all = vuln::nvd::read(&doc).unwrap();
    assert_eq!(all.len(), 200);
    let with_products = all.iter().filter(|a| !a.products.is_empty()).count();
    // The README of shared/ says 199 of the 200 carry CPE configurations.
    assert!(with_products >= 195, "{with_products}");
    assert!(
        all.iter()
            .flat_map(|a| &a.products)
            .all(|p| p.cpe.is_some())
    );
    let one = vuln::nvd::read(&load(&dir.join("cves-CVE-2023-0001.json"))).unwrap();
    assert_eq!(one[0].id, "CVE-2023-0001");
    let agent = &one[0].products[0];
    assert_eq!(agent.vendor, "paloaltonetworks");
    assert_eq!(agent.versions.contains("7.5.100"), Some(true));
    assert_eq!(agent.versions.contains("7.5.101"), Some(false));
    // Match criteria and change history are not CVE responses.
    assert!(!vuln::nvd::is_nvd_cves(&load(
        &dir.join("cpematch-CVE-2022-32223.json")
    )));
}

/// Every SBOM and VEX document in `sbom/` reads: the medical device's components with their
/// CPEs, SPDX's described package, and VEX statements naming other documents by BOM-Link.
#[test]
fn every_sbom_and_vex_document_reads() {
    let dir = advisories().join("sbom");
    let files = json_files(&dir);
    assert!(files.len() >= 40, "{} SBOM files", files.len());
    let mut docs = Vec::new();
    for f in &files {
        let doc = load(f);
        assert!(vuln::sbom::is_sbom(&doc), "{}", f.display());
        let s = vuln::sbom::read(&doc, &f.display().to_string())
            .unwrap_or_else(|e| panic!("{}: {e}", f.display()));
        docs.push((f.strip_prefix(&dir).expect("under sbom/").to_path_buf(), s));
    }
    let by = |p: &str| &docs.iter().find(|(f, _)| f == Path::new(p)).expect(p).1;
    let device = by("medical-device/spacelab-ccny-sbom-completeness/narrow.sbom.json");
    assert!(device.components.len() >= 50, "{}", device.components.len());
    let wolfssl = device
        .components
        .iter()
        .find(|c| c.name == "wolfssl")
        .expect("the device ships wolfSSL");
    assert_eq!(wolfssl.version.as_deref(), Some("4.8.1"));
    assert_eq!(wolfssl.vendor.as_deref(), Some("wolfssl"));
    assert_eq!(device.subject.model, None, "the device's name is redacted");
    let spdx = by("spdx/SPDXJSONExample-v2.3.spdx.json");
    assert_eq!(spdx.format, "spdx");
    assert!(spdx.subject.model.is_some() && !spdx.components.is_empty());
    let not_affected = by("vex/CISA-Use-Cases/Case-1/vex-not_affected.json");
    assert_eq!(not_affected.statements.len(), 1);
    assert_eq!(
        not_affected.statements[0].state,
        vuln::sbom::VexState::NotAffected
    );
    assert_eq!(
        not_affected.statements[0].justification.as_deref(),
        Some("code_not_present")
    );
    // Case 7: one VEX document speaks of two products, each in its own BOM.
    let case7: Vec<vuln::sbom::Sbom> = docs
        .iter()
        .filter(|(f, _)| f.starts_with("vex/CISA-Use-Cases/Case-7"))
        .map(|(_, s)| s.clone())
        .collect();
    assert_eq!(case7.len(), 3);
    let documents = vuln::vex::Documents::new(case7);
    let boms: Vec<usize> = (0..documents.len())
        .filter(|&i| documents.get(i).statements.is_empty())
        .collect();
    assert_eq!(boms.len(), 2, "two BOMs beside the VEX");
    for i in boms {
        let d = documents.get(i);
        let named = documents.said(
            &vuln::vex::Attached {
                doc: i,
                confidence: 1.0,
                why: String::new(),
            },
            Some("2.6"),
        );
        assert!(!named.is_empty(), "the VEX names {:?}", d.subject.model);
    }
}

/// Real NVD records judged for invented devices: an entry with a lower bound is an interval
/// of its own (Bitbucket 7.22.1 is in `>=7.22.0 <8.0.5` of CVE-2022-43781, whatever the
/// other release lines say), and a hardware CPE ANDed with firmware is no OS platform
/// (CVE-2022-40881: SolarView Compact firmware on its hardware).
#[test]
fn real_nvd_records_judge_lines_and_platforms_right() {
    let doc = load(&advisories().join("nvd/nvd-api/cves-2023.json"));
    let records = vuln::nvd::read(&doc).expect("reads");
    let find = |id: &str| {
        records
            .iter()
            .find(|a| a.id == id)
            .unwrap_or_else(|| panic!("{id}"))
    };
    let attr = |v: &str| model::Attribute {
        value: v.into(),
        confidence: 0.9,
        evidence: Vec::new(),
    };
    let device = |vendor: &str, model: &str, firmware: &str, os: Option<&str>| model::Device {
        id: model::DeviceId("mac-000000000001".into()),
        vendor: Some(attr(vendor)),
        model: Some(Box::new(attr(model))),
        firmware: Some(Box::new(attr(firmware))),
        os: os.map(|o| Box::new(attr(o))),
        ..model::Device::default()
    };
    let key = |name: &str| name.to_ascii_lowercase();
    let status = |id: &str, d: &model::Device| {
        let m = vuln::match_device(d, find(id), &key);
        assert!(!m.is_empty(), "{id}: no match");
        m.iter().map(|m| m.status).min().unwrap()
    };
    let bitbucket = |v: &str| device("Atlassian", "Bitbucket", v, None);
    assert_eq!(
        status("CVE-2022-43781", &bitbucket("7.22.1")),
        vuln::MatchStatus::Affected
    );
    assert_eq!(
        status("CVE-2022-43781", &bitbucket("8.0.1")),
        vuln::MatchStatus::Affected
    );
    assert_eq!(
        status("CVE-2022-43781", &bitbucket("8.0.5")),
        vuln::MatchStatus::Fixed
    );
    let solarview = device("Contec", "SolarView Compact", "6.00", Some("Linux"));
    assert_eq!(
        status("CVE-2022-40881", &solarview),
        vuln::MatchStatus::Affected
    );
}
