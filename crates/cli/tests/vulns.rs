//! `wardline vulns import`: every file of `../shared/advisories/` is imported or accounted
//! for, a second import changes nothing, and a broken file is refused by JSON path while the
//! others are kept.

mod common;

use std::path::{Path, PathBuf};

use common::wardline;

fn advisories() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/advisories");
    root.canonicalize()
        .unwrap_or_else(|_| panic!("the advisory files are missing at {}", root.display()))
}

fn import(args: &[&str], db: &Path) -> (std::process::Output, serde_json::Value) {
    let out = wardline()
        .args(["vulns", "import"])
        .args(args)
        .arg("--db")
        .arg(db)
        .args(["--format", "json"])
        .output()
        .expect("run wardline");
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "{e}: {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out, json)
}

/// `vulns list --format json` of the whole store.
fn vulns_list(db: &Path) -> serde_json::Value {
    let out = wardline()
        .args(["vulns", "list", "--format", "json", "--db"])
        .arg(db)
        .output()
        .expect("run wardline");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("vulns list prints JSON")
}

fn import_assets(csv: &Path, db: &Path) {
    let out = wardline()
        .args(["assets", "import"])
        .arg(csv)
        .arg("--db")
        .arg(db)
        .args(["--format", "json"])
        .output()
        .expect("run wardline");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn the_shared_advisories_import_and_again_change_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.db");
    let folder = advisories();
    let (out, first) = import(&[folder.to_str().unwrap()], &db);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(first["errors"].as_array().unwrap().len(), 0, "{first}");
    assert!(first["kev"]["file"].as_str().is_some(), "{first}");
    // 426 CSAF advisories, 24 CVE records, and the 201 CVEs of the two NVD CVE responses.
    let advisories_read = first["advisories"].as_u64().unwrap();
    assert!(advisories_read >= 426 + 24 + 200, "{first}");
    assert_eq!(first["new"], advisories_read);
    // Every file is accounted for: read, refused or skipped with its kind.
    for s in first["skipped"].as_array().unwrap() {
        assert!(s["kind"].as_str().is_some_and(|k| !k.is_empty()), "{s}");
    }
    let (_, again) = import(&[folder.to_str().unwrap()], &db);
    assert_eq!(again["new"], 0);
    assert_eq!(again["updated"], 0);
    assert_eq!(again["unchanged"], advisories_read);
}

#[test]
fn a_broken_file_is_refused_by_path_and_the_rest_kept() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.db");
    let good = advisories().join("csaf/csaf_files/OT/white/2023/icsma-23-194-01.json");
    let mut broken: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&good).unwrap()).unwrap();
    broken["document"]["tracking"]["id"] = serde_json::json!("TEST-BROKEN-1");
    broken["vulnerabilities"][1]["remediations"][0]["category"] = serde_json::json!("pray");
    let broken_path = dir.path().join("broken.json");
    std::fs::write(&broken_path, serde_json::to_vec(&broken).unwrap()).unwrap();
    let not_json = dir.path().join("cut.json");
    std::fs::write(&not_json, b"{\"document\": {").unwrap();
    let (out, report) = import(
        &[
            good.to_str().unwrap(),
            broken_path.to_str().unwrap(),
            not_json.to_str().unwrap(),
        ],
        &db,
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(report["advisories"], 1, "{report}");
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 2, "{report}");
    let by_file = |f: &Path| {
        errors
            .iter()
            .find(|e| e["file"] == f.display().to_string())
            .unwrap_or_else(|| panic!("no error for {}: {report}", f.display()))
    };
    assert_eq!(
        by_file(&broken_path)["path"],
        "/vulnerabilities/1/remediations/0/category"
    );
    assert!(
        by_file(&not_json)["message"]
            .as_str()
            .unwrap()
            .contains("not JSON")
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("broken.json: /vulnerabilities/1/remediations/0/category"),
        "{stderr}"
    );
}

/// An asset list of invented pumps and a monitor against the real advisories: affected in
/// range, fixed past it, possibly affected without a firmware, a near-miss model left alone,
/// and the KEV catalog read.
#[test]
fn listed_devices_are_matched_to_real_advisories() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.db");
    let csv = dir.path().join("assets.csv");
    std::fs::write(
        &csv,
        "Asset Tag,Manufacturer,Model,Firmware Version,Type\n\
         PUMP-001,BD,Alaris PCU 8015,12.1.2,infusion_pump\n\
         PUMP-002,Becton Dickinson,8015,12.3.1,infusion_pump\n\
         PUMP-003,CareFusion,Alaris 8015,,infusion_pump\n\
         PUMP-004,BD,Alaris 8016,12.1.2,infusion_pump\n\
         MON-001,Hillrom,Connex Vital Signs Monitor CVSM,2.43.01,patient_monitor\n\
         PUMP-005,BD,Alaris PC Unit,12.1.2,infusion_pump\n\
         MON-002,Welch Allyn,CVSM,2.43.01,patient_monitor\n",
    )
    .unwrap();
    import_assets(&csv, &db);
    let (out, report) = import(&[advisories().to_str().unwrap()], &db);
    assert!(out.status.success());
    assert!(
        report["kev"]["entries"].as_u64().unwrap() > 1000,
        "{report}"
    );
    // EPSS in FIRST's documented format (no real file is in shared/): one score for a CVE
    // of the Alaris advisory.
    let epss = dir.path().join("epss_scores-2025-08-25.csv");
    std::fs::write(
        &epss,
        "#model_version:v2025.03.14,score_date:2025-08-25T00:00:00+0000\n\
         cve,epss,percentile\n\
         CVE-2023-30559,0.50000,0.99000\n\
         CVE-2021-44228,0.94358,0.99967\n",
    )
    .unwrap();
    let (out, report) = import(&[epss.to_str().unwrap()], &db);
    assert!(out.status.success(), "{report}");
    assert_eq!(report["epss"]["scores"], 2, "{report}");

    let list = vulns_list(&db);
    let list = list.as_array().unwrap();
    let find = |tag: &str, advisory: &str| {
        list.iter()
            .find(|e| e["asset_tag"] == tag && e["advisory"] == advisory)
            .cloned()
    };
    let alaris = "ICSMA-23-194-01";
    let p1 = find("PUMP-001", alaris).expect("PUMP-001 matched");
    assert_eq!(p1["status"], "affected");
    assert!(
        p1["cves"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c == "CVE-2023-30559")
    );
    assert!(p1["why"].as_str().unwrap().contains("<=12.1.3"), "{p1}");
    assert_eq!(p1["risk"]["parts"]["criticality"], "life_sustaining");
    assert_eq!(p1["risk"]["parts"]["epss"], 0.5);
    assert!(p1["risk"]["score"].as_u64().unwrap() > 50, "{p1}");
    assert_eq!(
        find("PUMP-002", alaris).expect("PUMP-002")["status"],
        "fixed"
    );
    assert_eq!(
        find("PUMP-003", alaris).expect("PUMP-003")["status"],
        "possibly_affected"
    );
    assert!(
        find("PUMP-004", alaris).is_none(),
        "a near-miss model matched"
    );
    // The CMMS's "Alaris PC Unit" is the advisory's "Alaris Point-of-Care Unit (PCU) Model
    // 8015" through kb/products.
    let p5 = find("PUMP-005", alaris).expect("PUMP-005 matched through the product names");
    assert_eq!(p5["status"], "affected");
    assert!(
        p5["why"].as_str().unwrap().contains("kb product names"),
        "{p5}"
    );
    // A monitor recorded under the brand ("Welch Allyn") and an abbreviation ("CVSM") is the
    // maker's (Hillrom's) "Welch Allyn Connex Vital Signs Monitor (CVSM)".
    let m2 = find("MON-002", "ICSMA-21-152-01").expect("MON-002 matched under its brand");
    assert_eq!(m2["status"], "affected");
    assert!(m2["why"].as_str().unwrap().contains("is the brand"), "{m2}");
    assert_eq!(
        find("MON-001", "ICSMA-21-152-01").expect("MON-001")["status"],
        "affected"
    );
    // Most urgent first.
    let scores: Vec<u64> = list
        .iter()
        .map(|e| e["risk"]["score"].as_u64().unwrap())
        .collect();
    assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
}

/// `analyze --db` raises a `vulnerable` finding for a seen device the asset list names as an
/// affected pump, in the report and in the store.
#[test]
fn analyze_reports_vulnerable_devices_from_stored_advisories() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.db");
    let csv = dir.path().join("assets.csv");
    // The MAC of the device the IoT Sentinel Aria capture centres on, listed as a BD pump.
    std::fs::write(
        &csv,
        "Asset Tag,MAC,Manufacturer,Model,Firmware Version,Type\n\
         PUMP-9,00:b5:6d:06:08:ba,BD,Alaris 8015,12.1.2,infusion_pump\n",
    )
    .unwrap();
    import_assets(&csv, &db);
    let (out, _) = import(&[advisories().to_str().unwrap()], &db);
    assert!(out.status.success());
    let capture = common::corpus().join("iot-sentinel/Aria");
    let capture = std::fs::read_dir(&capture)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap"))
        .min()
        .unwrap();
    let (out, report) = common::analyze_json(&[&capture], &["--db", db.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let vulnerable: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "vulnerable")
        .collect();
    assert_eq!(vulnerable.len(), 1, "{vulnerable:?}");
    let f = vulnerable[0];
    assert_eq!(f["device"], "mac-00b56d0608ba");
    assert_eq!(f["evidence"]["advisory"], "ICSMA-23-194-01");
    assert_eq!(f["evidence"]["status"], "affected");
    assert_eq!(f["severity"], "high");
    // Stored with the analysis: the device's page lists it.
    let out = wardline()
        .args(["devices", "show", "mac-00b56d0608ba", "--format", "json"])
        .arg("--db")
        .arg(&db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown = String::from_utf8_lossy(&out.stdout);
    assert!(shown.contains("ICSMA-23-194-01"), "{shown}");
}

#[test]
fn a_bad_epss_row_is_refused_by_line() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.db");
    let epss = dir.path().join("epss.csv");
    std::fs::write(
        &epss,
        "cve,epss,percentile\nCVE-2020-0001,0.1,0.2\nCVE-2020-0002,7,0.2\n",
    )
    .unwrap();
    let (out, report) = import(&[epss.to_str().unwrap()], &db);
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(report["errors"][0]["path"], "line 3", "{report}");
}

/// A vendor SBOM (the real, redacted medical-device SBOM in `shared/`, attached to a model
/// with `--sbom-vendor/--sbom-model/--sbom-firmware`) maps a CVE of one of its components
/// (wolfSSL 4.8.1, by CPE) to the devices of that model and firmware; a VEX document naming
/// the SBOM by BOM-Link settles another CVE as not affected.
#[test]
fn a_vendor_sbom_maps_component_cves_to_its_devices_and_vex_is_honoured() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.db");
    let csv = dir.path().join("assets.csv");
    std::fs::write(
        &csv,
        "Asset Tag,Manufacturer,Model,Firmware Version\n\
         PUMP-101,Acme Medical,Infusion System 4100,3.2.1\n\
         PUMP-102,Acme Medical,Infusion System 4100,4.0\n\
         PUMP-103,Acme Medical,Infusion System 4100,\n\
         PUMP-104,Acme Medical,Infusion System 4200,3.2.1\n",
    )
    .unwrap();
    import_assets(&csv, &db);
    let sbom_path =
        advisories().join("sbom/medical-device/spacelab-ccny-sbom-completeness/narrow.sbom.json");
    let sbom: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&sbom_path).unwrap()).unwrap();
    let serial = sbom["serialNumber"]
        .as_str()
        .expect("the SBOM has a serial number");
    let urn = format!(
        "urn:cdx:{}/{}#{}",
        serial.trim_start_matches("urn:uuid:"),
        sbom["version"],
        sbom["metadata"]["component"]["bom-ref"].as_str().unwrap()
    );
    // Two invented CVEs in wolfSSL before 5.0.0, as NVD's API would give them.
    let nvd = dir.path().join("nvd-wolfssl.json");
    let cve = |id: &str| {
        serde_json::json!({"cve": {"id": id, "sourceIdentifier": "test", "lastModified": "2026-01-01T00:00:00",
            "metrics": {"cvssMetricV31": [{"cvssData": {"baseScore": 9.1, "vectorString": "CVSS:3.1/AV:N"}}]},
            "configurations": [{"nodes": [{"operator": "OR", "cpeMatch": [{"vulnerable": true,
                "criteria": "cpe:2.3:a:wolfssl:wolfssl:*:*:*:*:*:*:*:*", "versionEndExcluding": "5.0.0"}]}]}]}})
    };
    std::fs::write(
        &nvd,
        serde_json::json!({"format": "NVD_CVE", "vulnerabilities": [cve("CVE-2099-2001"), cve("CVE-2099-2002")]})
            .to_string(),
    )
    .unwrap();
    let vex = dir.path().join("vex.json");
    std::fs::write(
        &vex,
        serde_json::json!({"bomFormat": "CycloneDX", "specVersion": "1.4", "version": 1,
            "vulnerabilities": [{"id": "CVE-2099-2002", "analysis": {"state": "not_affected",
                "justification": "code_not_reachable", "detail": "The TLS client is never enabled."},
                "affects": [{"ref": urn}]}]})
        .to_string(),
    )
    .unwrap();
    let (out, report) = import(&[nvd.to_str().unwrap()], &db);
    assert!(out.status.success(), "{report}");
    let sbom_args = [
        sbom_path.to_str().unwrap(),
        vex.to_str().unwrap(),
        "--sbom-vendor",
        "Acme Medical",
        "--sbom-model",
        "Infusion System 4100",
        "--sbom-firmware",
        "3.2.1",
    ];
    let (out, report) = import(&sbom_args, &db);
    assert!(out.status.success(), "{report}");
    assert_eq!(report["sboms"]["documents"], 2, "{report}");
    assert_eq!(report["sboms"]["new"], 2, "{report}");
    assert!(
        report["sboms"]["components"].as_u64().unwrap() >= 50,
        "{report}"
    );
    assert_eq!(report["sboms"]["vex_statements"], 1, "{report}");
    assert_eq!(
        report["sboms"]["unattached"].as_array().unwrap().len(),
        0,
        "{report}"
    );
    let (_, again) = import(&sbom_args, &db);
    assert_eq!(again["sboms"]["unchanged"], 2, "{again}");

    let list = vulns_list(&db);
    let of = |tag: &str, cve: &str| -> Vec<serde_json::Value> {
        list.as_array()
            .unwrap()
            .iter()
            .filter(|e| {
                e["asset_tag"] == tag && e["cves"].as_array().unwrap().iter().any(|c| c == cve)
            })
            .cloned()
            .collect()
    };
    let affected = of("PUMP-101", "CVE-2099-2001");
    assert_eq!(affected.len(), 1, "{list}");
    assert_eq!(affected[0]["status"], "affected");
    let why = affected[0]["why"].as_str().unwrap();
    assert!(
        why.contains("component wolfssl 4.8.1") && why.contains("CPE wolfssl:wolfssl"),
        "{why}"
    );
    let settled = of("PUMP-101", "CVE-2099-2002");
    assert_eq!(settled.len(), 1, "{list}");
    assert_eq!(settled[0]["status"], "not_affected");
    assert!(
        settled[0]["why"]
            .as_str()
            .unwrap()
            .contains("code_not_reachable"),
        "{}",
        settled[0]
    );
    assert!(
        of("PUMP-102", "CVE-2099-2001").is_empty(),
        "an SBOM of 3.2.1 applied to firmware 4.0"
    );
    assert!(
        of("PUMP-104", "CVE-2099-2001").is_empty(),
        "an SBOM applied to another model"
    );
    let unknown = of("PUMP-103", "CVE-2099-2001");
    assert_eq!(
        unknown.len(),
        1,
        "firmware unknown: the SBOM still applies: {list}"
    );
    assert!(
        unknown[0]["confidence"].as_f64().unwrap() < affected[0]["confidence"].as_f64().unwrap(),
        "and less surely"
    );
}
