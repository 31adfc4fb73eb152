//! A patch proven on the wire: a simulated core router listed as a Cisco Catalyst 9500 runs
//! 17.9.4a, which an advisory affects; an analysis of a capture where it runs 17.9.5 (the
//! simulator's `--firmware`) verifies the patch record; a third capture with 17.9.4a again
//! reopens it with a `patch_regression` finding. Plus the person's transitions and their
//! audit trail.

mod common;

use std::path::Path;

use common::wardline;

const ADVISORY: &str = r#"{"document": {"csaf_version": "2.0", "title": "Test Cisco Catalyst advisory", "tracking": {"id": "TEST-CISCO-1", "version": "1"}},
 "product_tree": {"branches": [{"category": "vendor", "name": "Cisco", "branches": [
   {"category": "product_name", "name": "Catalyst 9500 Series Switches", "branches": [
     {"category": "product_version_range", "name": "<= 17.9.4a", "product": {"product_id": "P1", "name": "Cisco Catalyst 9500 <= 17.9.4a"}}]}]}]},
 "vulnerabilities": [{"cve": "CVE-2099-0002", "product_status": {"known_affected": ["P1"]},
   "scores": [{"cvss_v3": {"baseScore": 7.5}, "products": ["P1"]}],
   "remediations": [{"category": "vendor_fix", "details": "Update to version 17.9.5 or later.", "product_ids": ["P1"]}]}]}"#;

fn run(args: &[&str], db: &Path) -> (std::process::Output, String) {
    let out = wardline()
        .args(args)
        .arg("--db")
        .arg(db)
        .output()
        .expect("run wardline");
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    (out, stdout)
}

fn sim(dir: &Path, name: &str, extra: &[&str]) -> std::path::PathBuf {
    let path = dir.join(name);
    let out = wardline()
        .args([
            "sim",
            "--devices",
            "40",
            "--duration",
            "5m",
            "--seed",
            "3",
            "--no-progress",
        ])
        .arg("--out")
        .arg(&path)
        .args(extra)
        .output()
        .expect("run wardline sim");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    path
}

/// The asset list names the simulated core router a Cisco Catalyst 9500, and the store holds
/// the test advisory against it.
fn list_router_and_advisory(dir: &Path, db: &Path) {
    let assets = dir.join("assets.csv");
    let advisory = dir.join("advisory.json");
    std::fs::write(
        &assets,
        "Asset Tag,IP,Manufacturer,Model\nNET-1,10.10.0.1,Cisco,Catalyst 9500\n",
    )
    .expect("write the asset list");
    std::fs::write(&advisory, ADVISORY).expect("write the advisory");
    for args in [
        ["assets", "import", assets.to_str().expect("utf-8")],
        ["vulns", "import", advisory.to_str().expect("utf-8")],
    ] {
        let (out, _) = run(&args, db);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

fn router_record(db: &Path) -> serde_json::Value {
    let (out, stdout) = run(
        &[
            "patches",
            "list",
            "--device",
            "ip-10.10.0.1",
            "--format",
            "json",
        ],
        db,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let list: serde_json::Value = serde_json::from_str(&stdout).expect("patches list JSON");
    list.as_array()
        .and_then(|l| l.iter().find(|r| r["advisory"] == "TEST-CISCO-1").cloned())
        .expect("a record for the router")
}

fn analyze(capture: &Path, db: &Path) -> serde_json::Value {
    let (out, report) = common::analyze_json(&[capture], &["--db", db.to_str().expect("utf-8")]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    report
}

#[test]
fn a_patch_is_verified_on_the_wire_and_reopened_by_a_regression() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.db");
    let old = sim(dir.path(), "old.pcapng", &[]);
    let new = sim(
        dir.path(),
        "new.pcapng",
        &["--firmware", "core-router=17.9.5"],
    );
    list_router_and_advisory(dir.path(), &db);

    // 1: the old firmware on the wire opens a record.
    analyze(&old, &db);
    let r = router_record(&db);
    assert_eq!(r["state"], "open", "{r}");
    assert_eq!(r["observed_version"], "17.9.4a");

    // A person plans and applies it: claimed, not verified.
    let (out, _) = run(
        &[
            "patches",
            "plan",
            "ip-10.10.0.1",
            "TEST-CISCO-1",
            "--window",
            "2027-01-12 02:00",
            "--owner",
            "netops",
            "--by",
            "alice",
        ],
        &db,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (out, _) = run(
        &[
            "patches",
            "apply",
            "ip-10.10.0.1",
            "TEST-CISCO-1",
            "--by",
            "bob",
        ],
        &db,
    );
    assert!(out.status.success());
    assert_eq!(router_record(&db)["state"], "applied");

    // 2: the fixed firmware seen on the wire verifies it.
    analyze(&new, &db);
    let r = router_record(&db);
    assert_eq!(r["state"], "verified", "{r}");
    assert_eq!(r["observed_version"], "17.9.5");
    let last = r["events"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(last["actor"], "wardline");
    assert!(
        last["why"].as_str().unwrap().contains("seen on the wire"),
        "{last}"
    );

    // 3: the old firmware again reopens it, with a finding.
    let report = analyze(&old, &db);
    let r = router_record(&db);
    assert_eq!(r["state"], "open", "{r}");
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["kind"] == "patch_regression" && f["device"] == "ip-10.10.0.1"),
        "no patch_regression finding"
    );
    // Every transition is recorded with who and why, in order.
    let trail: Vec<(String, String)> = r["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["actor"].as_str().unwrap().to_string(),
                e["to"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: Vec<(String, String)> = [
        ("wardline", "open"),
        ("alice", "planned"),
        ("bob", "applied"),
        ("wardline", "verified"),
        ("wardline", "open"),
    ]
    .iter()
    .map(|(a, t)| (a.to_string(), t.to_string()))
    .collect();
    assert_eq!(trail, want);

    // The same state changes are in the hash-chained audit log (all but the record's
    // opening), with who, from and to, and never the reason's text.
    let (out, log) = run(&["audit", "list", "--format", "json"], &db);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let log: serde_json::Value = serde_json::from_str(&log).unwrap();
    let audited: Vec<(String, String, String, String)> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "patch.state")
        .map(|e| {
            (
                e["actor"].as_str().unwrap().to_string(),
                e["source"].as_str().unwrap().to_string(),
                e["details"]["from"].as_str().unwrap().to_string(),
                e["details"]["to"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let want: Vec<(String, String, String, String)> = [
        ("alice", "cli", "open", "planned"),
        ("bob", "cli", "planned", "applied"),
        ("wardline", "analyze", "applied", "verified"),
        ("wardline", "analyze", "verified", "open"),
    ]
    .iter()
    .map(|(a, s, f, t)| (a.to_string(), s.to_string(), f.to_string(), t.to_string()))
    .collect();
    assert_eq!(audited, want);
    assert!(
        !log.to_string().contains("2027-01-12 02:00"),
        "a reason's text was logged"
    );
    let (out, _) = run(&["audit", "verify"], &db);
    assert!(out.status.success());
}

#[test]
fn transitions_outside_the_workflow_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.db");
    let old = sim(dir.path(), "old.pcapng", &[]);
    list_router_and_advisory(dir.path(), &db);
    analyze(&old, &db);
    // No record for an advisory that does not affect the device.
    let (out, _) = run(&["patches", "apply", "ip-10.10.0.1", "NOPE-1"], &db);
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("no patch record"));
    // Accepting the risk needs a real date, then it holds; a plan after it is refused.
    let (out, _) = run(
        &[
            "patches",
            "accept-risk",
            "ip-10.10.0.1",
            "TEST-CISCO-1",
            "--until",
            "soon",
            "--control",
            "VLAN",
        ],
        &db,
    );
    assert!(!out.status.success());
    let (out, _) = run(
        &[
            "patches",
            "accept-risk",
            "ip-10.10.0.1",
            "TEST-CISCO-1",
            "--until",
            "2020-01-31",
            "--control",
            "isolated management VLAN",
        ],
        &db,
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let (out, _) = run(
        &[
            "patches",
            "plan",
            "ip-10.10.0.1",
            "TEST-CISCO-1",
            "--window",
            "x",
            "--owner",
            "y",
        ],
        &db,
    );
    assert!(!out.status.success());
    // Its date has passed: the next analysis says so.
    let report = analyze(&old, &db);
    assert!(
        report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["kind"] == "accepted_risk_expired" && f["device"] == "ip-10.10.0.1"),
        "no accepted_risk_expired finding"
    );
}
