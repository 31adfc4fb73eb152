//! `wardline devices list|show|set` over a database that `analyze --db` filled from a
//! simulated hospital (issue: device identification): pages and totals agree with the
//! report, `show` explains attributes with their evidence, a person's override wins, is
//! marked, survives re-analysis and can be removed; bad input is refused with a clear error.

mod common;

use std::path::Path;
use std::process::{Command, Output};

use common::wardline;
use serde_json::Value;

const DB_KEY: &str = "6465766963657354657374496e76656e746564466f7254686973546573742121";

fn run(args: &[&str], db: &Path) -> Output {
    wardline()
        .env("WARDLINE_DB_KEY", DB_KEY)
        .args(args)
        .arg("--db")
        .arg(db)
        .output()
        .expect("run wardline")
}

fn json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "wardline failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

fn analyze(pcap: &Path, db: &Path) -> Value {
    let out = wardline()
        .env("WARDLINE_DB_KEY", DB_KEY)
        .arg("analyze")
        .arg(pcap)
        .args(["--format", "json", "--no-progress", "--db"])
        .arg(db)
        .output()
        .expect("run wardline");
    json(&out)
}

#[test]
fn devices_list_show_set_over_a_database() {
    let dir = tempfile::tempdir().unwrap();
    let pcap = dir.path().join("h.pcapng");
    let db = dir.path().join("h.db");
    let sim = Command::new(env!("CARGO_BIN_EXE_wardline"))
        .args(["sim", "--devices", "150", "--duration", "6m", "--seed", "5"])
        .args(["--no-progress", "--out"])
        .arg(&pcap)
        .arg("--truth")
        .arg(dir.path().join("t.json"))
        .output()
        .unwrap();
    assert!(
        sim.status.success(),
        "{}",
        String::from_utf8_lossy(&sim.stderr)
    );
    let report = analyze(&pcap, &db);
    let reported = report["devices"].as_array().unwrap();

    // list: totals and pages agree with the report; pages neither overlap nor skip.
    let page1 = json(&run(
        &["devices", "list", "--format", "json", "--limit", "50"],
        &db,
    ));
    assert_eq!(page1["total"].as_u64().unwrap(), reported.len() as u64);
    let page2 = json(&run(
        &[
            "devices", "list", "--format", "json", "--limit", "50", "--offset", "50",
        ],
        &db,
    ));
    let ids = |p: &Value| -> Vec<String> {
        p["devices"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["id"].as_str().unwrap().to_owned())
            .collect()
    };
    let mut both = ids(&page1);
    both.extend(ids(&page2));
    let expected: Vec<String> = reported
        .iter()
        .take(100)
        .map(|d| d["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(both, expected);

    // A device with a derived category: show explains it with evidence naming rules.
    let classified = reported
        .iter()
        .find(|d| d["category"].is_object() && d["macs"].as_array().is_some_and(|m| !m.is_empty()))
        .expect("some device is classified");
    let id = classified["id"].as_str().unwrap();
    let shown = json(&run(&["devices", "show", id, "--format", "json"], &db));
    assert_eq!(shown["device"]["category"], classified["category"]);
    let evidence = shown["device"]["category"]["evidence"].as_array().unwrap();
    assert!(
        evidence
            .iter()
            .all(|e| e["source"].as_str().is_some_and(|s| !s.is_empty())
                && e["weight"].as_f64().is_some()
                && e["value"].is_string())
    );
    let table = run(&["devices", "show", id, "--format", "table"], &db);
    let text = String::from_utf8_lossy(&table.stdout);
    assert!(
        text.contains("Identity") && text.contains("Addresses over time"),
        "{text}"
    );

    // set: an override wins, is marked, and survives re-analysis of the same capture.
    let derived = classified["category"]["value"].as_str().unwrap().to_owned();
    let other = if derived == "nurse_call" {
        "smart_bed"
    } else {
        "nurse_call"
    };
    let set = run(
        &[
            "devices",
            "set",
            id,
            &format!("category={other}"),
            "model=Test Model 7",
        ],
        &db,
    );
    assert!(
        set.status.success(),
        "{}",
        String::from_utf8_lossy(&set.stderr)
    );
    let check = |device: &Value| {
        assert_eq!(device["category"]["value"], other);
        assert_eq!(device["category"]["confidence"], 1.0);
        let ev = device["category"]["evidence"].as_array().unwrap();
        assert_eq!(ev[0]["source"], "override");
        assert!(
            ev.iter().any(|e| e["value"] == derived.as_str()),
            "what the wire says is still shown: {ev:?}"
        );
        assert_eq!(device["model"]["value"], "Test Model 7");
    };
    check(&json(&run(&["devices", "show", id, "--format", "json"], &db))["device"]);
    let again = analyze(&pcap, &db);
    let in_report = again["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == id)
        .unwrap();
    check(in_report);
    check(&json(&run(&["devices", "show", id, "--format", "json"], &db))["device"]);

    // NAME= removes the override: the derived value is back.
    let clear = run(&["devices", "set", id, "category=", "model="], &db);
    assert!(clear.status.success());
    let shown = json(&run(&["devices", "show", id, "--format", "json"], &db));
    assert_eq!(shown["device"]["category"]["value"], derived.as_str());
    assert!(
        shown["device"]["model"].is_null()
            || shown["device"]["model"]["evidence"][0]["source"] != "override"
    );

    // Bad input: clear errors, nothing changed.
    for (args, says) in [
        (
            vec!["devices", "set", id, "category=toaster"],
            "not a category",
        ),
        (vec!["devices", "set", id, "colour=red"], "cannot be set"),
        (
            vec!["devices", "set", id, "category"],
            "expected NAME=VALUE",
        ),
        (
            vec!["devices", "set", "mac-000000000000", "model=x"],
            "no device",
        ),
        (vec!["devices", "show", "mac-000000000000"], "no device"),
    ] {
        let out = run(&args, &db);
        assert!(!out.status.success(), "{args:?} should fail");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains(says), "{args:?}: {err}");
    }
    let missing = run(&["devices", "list"], &dir.path().join("none.db"));
    assert!(!missing.status.success());
    assert!(String::from_utf8_lossy(&missing.stderr).contains("no such database"));
    assert!(
        !dir.path().join("none.db").exists(),
        "reading never creates a database"
    );

    // CSV carries the identity columns.
    let csv = run(&["devices", "list", "--format", "csv", "--limit", "3"], &db);
    let header = String::from_utf8_lossy(&csv.stdout);
    let header = header.lines().next().unwrap();
    for col in ["category", "model", "os", "firmware", "modality"] {
        assert!(header.split(',').any(|c| c == col), "{header}");
    }
}
