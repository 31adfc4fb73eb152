//! `wardline assets import|list` and the reconciliation `analyze --db` does against the list
//! (issue: device identification): a CMMS export with malformed rows keeps its good rows and
//! names the bad ones by line; listed devices are matched to the wire; unlisted non-personal
//! devices become `unauthorized_device`, personal ones are only counted; a list that names
//! another vendor gives `asset_mismatch`; a listed asset never seen is a device `asset-<tag>`.

mod common;

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::process::{Command, Output};

use common::wardline;
use serde_json::Value;

const DB_KEY: &str = "617373657473546573744b6579466f725468697354657374496e76656e746564";
const PERSONAL: &[&str] = &["mobile_phone", "tablet", "laptop", "wearable"];

fn run(args: &[&str]) -> Output {
    wardline()
        .env("WARDLINE_DB_KEY", DB_KEY)
        .args(args)
        .output()
        .expect("run wardline")
}

fn json(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        )
    })
}

fn analyze(pcap: &Path, db: Option<&Path>) -> Value {
    let mut cmd = wardline();
    cmd.env("WARDLINE_DB_KEY", DB_KEY)
        .arg("analyze")
        .arg(pcap)
        .args(["--format", "json", "--no-progress"]);
    if let Some(db) = db {
        cmd.arg("--db").arg(db);
    }
    let out = cmd.output().expect("run wardline");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    json(&out)
}

/// CSV cell, quoted.
fn cell(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

#[test]
fn asset_list_import_reconcile_and_findings() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("h.pcapng");
    let truth_path = dir.path().join("t.json");
    let db = dir.path().join("h.db");
    let sim = Command::new(env!("CARGO_BIN_EXE_wardline"))
        .args(["sim", "--devices", "120", "--duration", "6m", "--seed", "7"])
        .args(["--no-progress", "--out"])
        .arg(&pcap)
        .arg("--truth")
        .arg(&truth_path)
        .output()
        .unwrap();
    assert!(
        sim.status.success(),
        "{}",
        String::from_utf8_lossy(&sim.stderr)
    );
    let truth: Value = serde_json::from_slice(&std::fs::read(&truth_path).unwrap()).unwrap();
    let plain = analyze(&pcap, None);
    let seen: HashMap<String, Value> = plain["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["id"].as_str().unwrap().to_string(), d.clone()))
        .collect();

    // The list: every non-personal device of the simulated hospital but every fourth, keyed
    // by MAC; one gets another vendor than the wire shows.
    let mut lines = vec![
        "Asset Tag,MAC Address,IP Address,Host Name,Manufacturer,Model,Software Version,Device Type,Department"
            .to_string(),
    ];
    let mut listed_ids = BTreeSet::new();
    let mut unlisted_ids = BTreeSet::new();
    let mut tampered: Option<String> = None;
    for (i, d) in truth["devices"].as_array().unwrap().iter().enumerate() {
        let category = d["category"].as_str().unwrap_or_default();
        let personal = PERSONAL.contains(&category) || d["random_mac"].as_bool() == Some(true);
        let Some(mac) = d["macs"]
            .as_array()
            .and_then(|m| m.first())
            .and_then(Value::as_str)
        else {
            continue;
        };
        let id = format!("mac-{}", mac.replace(':', ""));
        if personal {
            continue;
        }
        if i % 4 == 3 {
            unlisted_ids.insert(id);
            continue;
        }
        let mut vendor = d["vendor"].as_str().unwrap_or_default().to_string();
        if tampered.is_none()
            && seen
                .get(&id)
                .is_some_and(|s| s["vendor"]["confidence"].as_f64().unwrap_or(0.0) >= 0.5)
        {
            vendor = "Acme Medical Corp".into();
            tampered = Some(id.clone());
        }
        listed_ids.insert(id);
        let ip = d["ips"][0]["ip"].as_str().unwrap_or_default();
        lines.push(
            [
                format!("BME-{i:04}"),
                mac.to_uppercase(),
                ip.to_string(),
                d["hostname"].as_str().unwrap_or_default().to_string(),
                vendor,
                d["model"].as_str().unwrap_or_default().to_string(),
                d["firmware"].as_str().unwrap_or_default().to_string(),
                category.replace('_', " "),
                d["zone"].as_str().unwrap_or_default().to_string(),
            ]
            .iter()
            .map(|c| cell(c))
            .collect::<Vec<_>>()
            .join(","),
        );
    }
    let tampered = tampered.expect("a listed device with a wire vendor");
    // Never seen on the wire (a documentation MAC, RFC 7042).
    lines.push("NEVER-1,00-00-5E-00-53-01,,,BD,Alaris 8015,12.1.2,Infusion Pump,ICU".into());
    let good_rows = lines.len() - 1;
    let bad_mac_line = lines.len() + 1;
    lines.push("BAD-1,00:11:22:33:44,,,,,,,".into());
    let bad_ip_line = lines.len() + 1;
    lines.push("BAD-2,,10.0.0.300,,,,,,".into());
    let dup_line = lines.len() + 1;
    lines.push("NEVER-1,00:00:5e:00:53:02,,,,,,,".into());
    let csv = dir.path().join("assets.csv");
    std::fs::write(&csv, lines.join("\r\n") + "\r\n").unwrap();
    let db_s = db.to_str().unwrap();
    let csv_s = csv.to_str().unwrap();

    // Import: good rows kept, bad ones named by line, exit 1.
    let out = run(&["assets", "import", csv_s, "--db", db_s, "--format", "json"]);
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let import = json(&out);
    assert_eq!(import["imported"].as_u64().unwrap(), good_rows as u64);
    assert_eq!(import["new"].as_u64().unwrap(), good_rows as u64);
    let error_lines: Vec<u64> = import["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["line"].as_u64().unwrap())
        .collect();
    assert_eq!(
        error_lines,
        [bad_mac_line as u64, bad_ip_line as u64, dup_line as u64]
    );
    assert!(String::from_utf8_lossy(&out.stderr).contains(&format!("assets.csv:{bad_mac_line}")));
    // Nothing analysed yet: every asset is a placeholder.
    assert_eq!(import["not_seen"].as_u64().unwrap(), good_rows as u64);

    // Analyse into the store: reconciliation against the list.
    let report = analyze(&pcap, Some(&db));
    let findings = report["findings"].as_array().unwrap();
    let by_kind = |kind: &str| -> BTreeSet<String> {
        findings
            .iter()
            .filter(|f| f["kind"] == kind)
            .map(|f| f["device"].as_str().unwrap().to_string())
            .collect()
    };
    let unauthorized = by_kind("unauthorized_device");
    let devices: Vec<&Value> = report["devices"].as_array().unwrap().iter().collect();
    for d in &devices {
        let id = d["id"].as_str().unwrap();
        let personal = d["mac_randomized"] == true
            || PERSONAL.contains(&d["category"]["value"].as_str().unwrap_or_default());
        if listed_ids.contains(id) {
            assert!(!unauthorized.contains(id), "{id} is listed");
            // The list's word is evidence of source asset_list.
            assert!(
                d["vendor"]["evidence"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|e| e["source"] == "asset_list"),
                "{id}: no asset_list evidence"
            );
        }
        if personal {
            assert!(!unauthorized.contains(id), "{id} is personal");
        }
        if unlisted_ids.contains(id) {
            assert!(unauthorized.contains(id), "{id} is not listed");
        }
    }
    assert!(unlisted_ids.iter().any(|id| unauthorized.contains(id)));
    // Personal devices are counted per zone instead.
    let personal_total = devices
        .iter()
        .filter(|d| {
            d["mac_randomized"] == true
                || PERSONAL.contains(&d["category"]["value"].as_str().unwrap_or_default())
        })
        .count() as u64;
    assert!(personal_total > 0, "the simulated hospital has phones");
    assert_eq!(
        report["personal_devices"]["total"].as_u64().unwrap(),
        personal_total
    );
    let per_zone: u64 = report["personal_devices"]["zones"]
        .as_array()
        .unwrap()
        .iter()
        .map(|z| z["count"].as_u64().unwrap())
        .sum();
    assert_eq!(per_zone, personal_total);

    // The tampered vendor: a mismatch naming both values.
    let mismatch = findings
        .iter()
        .find(|f| f["kind"] == "asset_mismatch" && f["device"] == tampered.as_str())
        .unwrap_or_else(|| panic!("no asset_mismatch for {tampered}"));
    let field = &mismatch["evidence"]["fields"][0];
    assert_eq!(field["field"], "vendor");
    assert_eq!(field["asset_list"], "Acme Medical Corp");
    assert_ne!(field["wire"], "Acme Medical Corp");
    assert_eq!(mismatch["severity"], "medium");
    // Untampered listed devices agree with the wire's vendor (aliases applied).
    assert!(
        findings
            .iter()
            .filter(|f| f["kind"] == "asset_mismatch")
            .all(|f| f["evidence"]["fields"]
                .as_array()
                .unwrap()
                .iter()
                .all(|x| x["field"] != "vendor" || x["asset_list"] == "Acme Medical Corp")),
        "a vendor mismatch on an untampered row: {findings:#?}"
    );

    // The never-seen asset is a device of its own, and `assets list --not-seen` shows it.
    let shown = run(&[
        "devices",
        "show",
        "asset-NEVER-1",
        "--db",
        db_s,
        "--format",
        "json",
    ]);
    assert!(
        shown.status.success(),
        "{}",
        String::from_utf8_lossy(&shown.stderr)
    );
    let shown = json(&shown);
    let shown = &shown["device"];
    assert_eq!(shown["model"]["value"], "Alaris 8015");
    assert_eq!(shown["model"]["evidence"][0]["source"], "asset_list");
    assert_eq!(shown["packets"], 0);
    assert!(shown["last_seen"].is_null(), "never seen: {shown:#?}");
    let not_seen = json(&run(&[
        "assets",
        "list",
        "--db",
        db_s,
        "--not-seen",
        "100000",
        "--format",
        "json",
    ]));
    let tags: Vec<&str> = not_seen
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["tag"].as_str().unwrap())
        .collect();
    assert!(tags.contains(&"NEVER-1"), "{tags:?}");
    let all = json(&run(&["assets", "list", "--db", db_s, "--format", "json"]));
    let matched_by_mac = all
        .as_array()
        .unwrap()
        .iter()
        .filter(|a| a["matched_by"] == "mac")
        .count();
    assert!(matched_by_mac > 0);
    assert!(
        all.as_array()
            .unwrap()
            .iter()
            .filter(|a| a["device"].is_string())
            .all(|a| a["days_not_seen"].is_number())
    );

    // Importing the same list again changes nothing; re-analysing gives the same findings.
    let again = json(&run(&[
        "assets", "import", csv_s, "--db", db_s, "--format", "json",
    ]));
    assert_eq!(again["new"].as_u64().unwrap(), 0);
    assert_eq!(again["unchanged"].as_u64().unwrap(), good_rows as u64);
    let report2 = analyze(&pcap, Some(&db));
    let ids = |r: &Value| -> BTreeSet<String> {
        r["findings"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&report), ids(&report2));
}

#[test]
fn an_unusable_asset_list_is_refused_naming_the_file() {
    let dir = tempfile::tempdir().unwrap();
    let csv = dir.path().join("list.csv");
    std::fs::write(&csv, "Model,Notes\nX,y\n").unwrap();
    let db = dir.path().join("h.db");
    let out = run(&[
        "assets",
        "import",
        csv.to_str().unwrap(),
        "--db",
        db.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("list.csv") && err.contains("line 1"), "{err}");
}
