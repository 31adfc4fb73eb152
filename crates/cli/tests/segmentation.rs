//! Zones and segmentation end to end: a simulated hospital with guest phones reaching infusion
//! pumps injected, its zones configured as its network team would, `analyze --config` →
//! `segmentation_violation` findings, checked against the simulator's ground truth (every
//! injected crossing found, nothing else reported between guest and clinical zones).

// A test panics on what it does not expect: unwrap is its assertion.
#![allow(clippy::unwrap_used)]

mod common;

use std::collections::HashSet;
use std::path::Path;

fn sim(dir: &Path, injections: &[&str]) -> (std::path::PathBuf, serde_json::Value) {
    let pcap = dir.join("h.pcapng");
    let truth = dir.join("truth.json");
    let mut cmd = common::wardline();
    cmd.args([
        "sim",
        "--devices",
        "300",
        "--duration",
        "10m",
        "--seed",
        "11",
        "--no-progress",
    ]);
    for i in injections {
        cmd.args(["--inject", i]);
    }
    let out = cmd
        .arg("--out")
        .arg(&pcap)
        .arg("--truth")
        .arg(&truth)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let truth: serde_json::Value = serde_json::from_slice(&std::fs::read(&truth).unwrap()).unwrap();
    (pcap, truth)
}

/// The simulated hospital's zones as a configuration file, plus `extra` text.
fn config(dir: &Path, truth: &serde_json::Value, extra: &str) -> std::path::PathBuf {
    let mut text = String::new();
    for z in truth["zones"].as_array().unwrap() {
        let kind = match z["kind"].as_str().unwrap() {
            "servers" => "infrastructure",
            k => k,
        };
        text.push_str(&format!(
            "[[zones]]\nname = \"{}\"\nkind = \"{kind}\"\nvlans = [{}]\nsubnets = [\"{}\"]\n\n",
            z["name"].as_str().unwrap(),
            z["vlan"],
            z["subnet"].as_str().unwrap()
        ));
    }
    text.push_str(extra);
    let path = dir.join("wardline.toml");
    std::fs::write(&path, text).unwrap();
    path
}

fn analyze(pcap: &Path, config: &Path) -> (std::process::Output, serde_json::Value) {
    let (out, report) = common::analyze_json(&[pcap], &["--config", config.to_str().unwrap()]);
    (out, report)
}

fn analyze_failing(pcap: &Path, config: &Path) -> std::process::Output {
    common::wardline()
        .arg("analyze")
        .arg(pcap)
        .args(["--format", "json", "--no-progress", "--config"])
        .arg(config)
        .output()
        .unwrap()
}

fn addresses(truth: &serde_json::Value, device: u64) -> HashSet<String> {
    truth["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == device)
        .unwrap()["ips"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["ip"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn guest_phones_reaching_pumps_are_found_and_nothing_else_between_guest_and_clinical() {
    let dir = tempfile::tempdir().unwrap();
    let (pcap, truth) = sim(
        dir.path(),
        &[
            "guest_to_clinical@2m",
            "guest_to_clinical@5m",
            "guest_to_clinical@8m",
        ],
    );
    let cfg = config(dir.path(), &truth, "");
    let (out, report) = analyze(&pcap, &cfg);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let traffic = &report["stats"]["traffic"];
    assert!(
        traffic["conversations"].as_u64().unwrap() > 100,
        "{traffic}"
    );
    assert_eq!(traffic["untracked_flows"], 0);

    let events: Vec<&serde_json::Value> = truth["events"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "guest_to_clinical")
        .collect();
    assert_eq!(events.len(), 3, "{}", truth["events"]);
    let crossings: Vec<&serde_json::Value> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| {
            f["kind"] == "segmentation_violation"
                && f["evidence"]["client_zone_kind"] == "guest"
                && f["evidence"]["server_zone_kind"] == "clinical"
        })
        .collect();
    // Recall: each injected crossing is a finding with the phone as client, the pump among
    // the servers, on tcp/443.
    let mut matched = HashSet::new();
    for e in &events {
        let phone = addresses(&truth, e["devices"][0].as_u64().unwrap());
        let pump = addresses(&truth, e["devices"][1].as_u64().unwrap());
        let hit = crossings.iter().position(|f| {
            phone.contains(f["evidence"]["client"].as_str().unwrap())
                && f["evidence"]["servers"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|s| pump.contains(s.as_str().unwrap()))
                && f["evidence"]["service"] == "tcp/443"
        });
        let hit = hit.unwrap_or_else(|| panic!("{e} not found in {crossings:?}"));
        matched.insert(hit);
    }
    // Precision: every guest → clinical finding is one of the injected crossings.
    assert_eq!(matched.len(), crossings.len(), "{crossings:#?}");
    for f in &crossings {
        assert_eq!(f["severity"], "high");
        assert!(
            f["evidence"]["rule"].as_str().unwrap().contains("guest"),
            "{f}"
        );
        // The finding is listed on its device.
        let device = f["device"].as_str().unwrap();
        let d = report["devices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["id"] == device)
            .unwrap();
        assert_eq!(d["zone"], "guest", "{d}");
        assert!(
            d["findings"]
                .as_array()
                .unwrap()
                .iter()
                .any(|id| *id == f["id"])
        );
    }
}

#[test]
fn a_conduit_allows_what_it_names_and_bad_policy_is_refused_by_file() {
    let dir = tempfile::tempdir().unwrap();
    let (pcap, truth) = sim(dir.path(), &["guest_to_clinical@2m"]);
    // A conduit for exactly that crossing: nothing guest → clinical is reported any more.
    let cfg = config(
        dir.path(),
        &truth,
        "[[conduits]]\nfrom = \"kind:guest\"\nto = \"kind:clinical\"\nservices = [\"tcp/443\"]\n\
         note = \"a test\"\n",
    );
    let (out, report) = analyze(&pcap, &cfg);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        !report["findings"].as_array().unwrap().iter().any(|f| {
            f["kind"] == "segmentation_violation" && f["evidence"]["client_zone_kind"] == "guest"
        }),
        "the conduit did not allow it"
    );
    // A full conversation table is counted, not silent.
    let (_, small) = common::analyze_json(
        &[&pcap],
        &[
            "--config",
            cfg.to_str().unwrap(),
            "--max-conversations",
            "10",
        ],
    );
    assert_eq!(small["stats"]["traffic"]["conversations"], 10);
    assert!(
        small["stats"]["traffic"]["untracked_flows"]
            .as_u64()
            .unwrap()
            > 0
    );
    // A conduit naming a zone nobody configured: an error naming the file and the conduit.
    let bad = config(
        dir.path(),
        &truth,
        "[[conduits]]\nfrom = \"guests\"\nto = \"*\"\n",
    );
    let out = analyze_failing(&pcap, &bad);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("wardline.toml") && err.contains("conduit 1") && err.contains("\"guests\""),
        "{err}"
    );
    let bad = config(dir.path(), &truth, "[policy]\ndefault = \"block\"\n");
    let out = analyze_failing(&pcap, &bad);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("\"block\""), "{err}");
}

/// The simulator's beaconing workstation, against a blocklist naming the beacon's domain
/// among others, as a plain list and as a STIX 2.1 bundle: exactly that device is reported,
/// by its DNS queries and the TLS SNI it sent.
#[test]
fn a_beacon_to_a_blocklisted_domain_is_found_from_plain_and_stix_lists() {
    let dir = tempfile::tempdir().unwrap();
    let (pcap, truth) = sim(dir.path(), &["blocklisted_beacon@2m"]);
    let event = truth["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["kind"] == "blocklisted_beacon")
        .expect("the beacon ran");
    let beacon_domain = event["details"]["domain"].as_str().unwrap();
    let parent = beacon_domain.split_once('.').unwrap().1;
    let actor = addresses(&truth, event["devices"][0].as_u64().unwrap());
    let plain = dir.path().join("list.txt");
    std::fs::write(
        &plain,
        format!("# test list\nnever-seen.example\n0.0.0.0 ads.never-seen.example\n{parent}\n"),
    )
    .unwrap();
    let stix = dir.path().join("feed.json");
    std::fs::write(
        &stix,
        format!(
            r#"{{"type": "bundle", "id": "bundle--1", "objects": [
                {{"type": "indicator", "id": "indicator--1", "pattern_type": "stix",
                  "pattern": "[domain-name:value = '{beacon_domain}']"}},
                {{"type": "identity", "id": "identity--2", "name": "a feed"}}]}}"#
        ),
    )
    .unwrap();
    for list in [&plain, &stix] {
        let (out, report) =
            common::analyze_json(&[&pcap], &["--blocklist", list.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let found: Vec<&serde_json::Value> = report["findings"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|f| f["kind"] == "blocklisted_destination")
            .collect();
        assert_eq!(found.len(), 1, "{list:?}: {found:#?}");
        let f = found[0];
        let device = report["devices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["id"] == f["device"])
            .unwrap();
        assert!(
            device["ips"]
                .as_array()
                .unwrap()
                .iter()
                .any(|i| actor.contains(i["addr"].as_str().unwrap())),
            "{device}"
        );
        let via: Vec<&str> = f["evidence"]["matched_by"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap())
            .collect();
        assert!(
            via.contains(&"dns_query") && via.contains(&"tls_sni"),
            "{via:?}"
        );
        assert_eq!(f["severity"], "high");
    }
    // A line that is no destination: an error naming the file and line.
    let bad = dir.path().join("bad.txt");
    std::fs::write(&bad, "evil.example\nthis is not one\n").unwrap();
    let out = common::wardline()
        .arg("analyze")
        .arg(&pcap)
        .args(["--format", "json", "--no-progress", "--blocklist"])
        .arg(&bad)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success() && err.contains("bad.txt:2"), "{err}");
}

/// `zones propose` on an analysed hospital, against the simulator's truth: one zone per VLAN,
/// each of the kind the hospital model gives it, its subnets inside the VLAN's.
#[test]
fn proposed_zones_match_the_hospitals_vlans_and_kinds() {
    let dir = tempfile::tempdir().unwrap();
    let (pcap, truth) = sim(dir.path(), &[]);
    let db = dir.path().join("w.db");
    let out = common::wardline()
        .arg("analyze")
        .arg(&pcap)
        .args(["--format", "json", "--no-progress", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = common::wardline()
        .args(["zones", "propose", "--format", "json", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let proposed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let proposed = proposed.as_array().unwrap();
    let zones = truth["zones"].as_array().unwrap();
    assert_eq!(proposed.len(), zones.len(), "{proposed:#?}");
    for z in zones {
        let want = match z["kind"].as_str().unwrap() {
            "servers" => "infrastructure",
            k => k,
        };
        let p = proposed
            .iter()
            .find(|p| p["zone"]["vlans"] == serde_json::json!([z["vlan"]]))
            .unwrap_or_else(|| panic!("no zone for VLAN {}", z["vlan"]));
        assert_eq!(p["zone"]["kind"], want, "{} {p}", z["name"]);
        let subnet: Vec<&str> = z["subnet"].as_str().unwrap().split('/').collect();
        let base = subnet[0].rsplitn(3, '.').last().unwrap(); // a.b of the VLAN's subnet
        for s in p["zone"]["subnets"].as_array().unwrap() {
            assert!(
                s.as_str().unwrap().starts_with(&format!("{base}.")),
                "{s} in {z}"
            );
        }
    }
    // The TOML form is a configuration analyze accepts as it is.
    let out = common::wardline()
        .args(["zones", "propose", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let cfg = dir.path().join("proposed.toml");
    std::fs::write(&cfg, &out.stdout).unwrap();
    let (out, report) = analyze(&pcap, &cfg);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        report["devices"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["zone"] == "vlan-20")
    );
}
