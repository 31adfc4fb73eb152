//! `wardline sim`: determinism by seed, tshark's verdict on every packet, and what
//! `wardline analyze` recovers of the truth.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn sim(dir: &Path, seed: u64, devices: usize, duration: &str) -> (Vec<u8>, Value) {
    let pcap = dir.join(format!("h{seed}.pcapng"));
    let truth = dir.join(format!("t{seed}.json"));
    let out = Command::new(env!("CARGO_BIN_EXE_wardline"))
        .args([
            "sim",
            "--devices",
            &devices.to_string(),
            "--duration",
            duration,
            "--seed",
            &seed.to_string(),
            "--no-progress",
            "--out",
        ])
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
    let t: Value = serde_json::from_slice(&std::fs::read(&truth).unwrap()).unwrap();
    (std::fs::read(&pcap).unwrap(), t)
}

#[test]
fn the_same_seed_gives_the_same_capture_and_truth() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a");
    let b = dir.path().join("b");
    std::fs::create_dir_all(&a).unwrap();
    std::fs::create_dir_all(&b).unwrap();
    let (pa, ta) = sim(&a, 7, 120, "5m");
    let (pb, tb) = sim(&b, 7, 120, "5m");
    assert!(pa.len() > 10_000);
    assert!(pa == pb, "same seed, different capture");
    assert_eq!(ta, tb);
    let (pc, _) = sim(&a, 8, 120, "5m");
    assert!(pa != pc, "another seed gave the same capture");
}

#[test]
fn tshark_finds_no_malformed_packet_nor_any_warning() {
    common::require("tshark", "tshark");
    let dir = tempfile::tempdir().unwrap();
    sim(dir.path(), 3, 300, "10m");
    let pcap = dir.path().join("h3.pcapng");
    let checks = [
        "-o",
        "tcp.check_checksum:TRUE",
        "-o",
        "udp.check_checksum:TRUE",
        "-o",
        "ip.check_checksum:TRUE",
    ];
    let expert = Command::new("tshark")
        .arg("-r")
        .arg(&pcap)
        .args(checks)
        .args(["-q", "-z", "expert"])
        .output()
        .unwrap();
    assert!(expert.status.success());
    let text = String::from_utf8_lossy(&expert.stdout);
    assert!(
        text.contains("Chats ("),
        "tshark printed no expert summary: {text}"
    );
    for section in ["Errors (", "Warns ("] {
        assert!(
            !text.contains(section),
            "tshark expert info has {section}…):\n{text}"
        );
    }
    // Every protocol the simulator emits is there, dissected as such.
    let phs = Command::new("tshark")
        .arg("-r")
        .arg(&pcap)
        .args(["-q", "-z", "io,phs"])
        .output()
        .unwrap();
    let phs = String::from_utf8_lossy(&phs.stdout);
    for proto in [
        "vlan", "arp", "dhcp", "dns", "ntp", "syslog", "tls", "http", "hl7", "dicom",
    ] {
        assert!(
            phs.lines()
                .any(|l| l.trim_start().starts_with(&format!("{proto} "))),
            "no {proto} in\n{phs}"
        );
    }
}

/// Recall and precision of one attribute: `truth` and `found` as sets of (device MAC, value).
fn score(
    name: &str,
    truth: &HashSet<(String, String)>,
    found: &HashSet<(String, String)>,
) -> (f64, f64) {
    let hit = truth.intersection(found).count() as f64;
    let recall = hit / truth.len().max(1) as f64;
    let precision = hit / found.len().max(1) as f64;
    eprintln!(
        "{name:10} truth {:5} found {:5} recall {recall:.3} precision {precision:.3}",
        truth.len(),
        found.len()
    );
    (recall, precision)
}

#[test]
fn analyze_recovers_what_the_wire_shows_of_the_truth() {
    let dir = tempfile::tempdir().unwrap();
    let (_, truth) = sim(dir.path(), 11, 400, "15m");
    let pcap = dir.path().join("h11.pcapng");
    let out = Command::new(env!("CARGO_BIN_EXE_wardline"))
        .args(["analyze", "--format", "json", "--no-progress"])
        .arg(&pcap)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();

    let mut t: HashMap<&str, HashSet<(String, String)>> = HashMap::new();
    for d in truth["devices"].as_array().unwrap() {
        let mac = d["macs"][0].as_str().unwrap().to_string();
        t.entry("mac")
            .or_default()
            .insert((mac.clone(), mac.clone()));
        t.entry("vlan")
            .or_default()
            .insert((mac.clone(), d["vlan"].to_string()));
        // The core router is every zone's gateway: on every VLAN.
        if d["role"] == "router" {
            for z in truth["zones"].as_array().unwrap() {
                t.entry("vlan")
                    .or_default()
                    .insert((mac.clone(), z["vlan"].to_string()));
                let base: std::net::Ipv4Addr = z["subnet"]
                    .as_str()
                    .unwrap()
                    .split('/')
                    .next()
                    .unwrap()
                    .parse()
                    .unwrap();
                let gateway = std::net::Ipv4Addr::from(u32::from(base) + 1);
                t.entry("ip")
                    .or_default()
                    .insert((mac.clone(), gateway.to_string()));
            }
        }
        for ip in d["ips"].as_array().unwrap() {
            t.entry("ip")
                .or_default()
                .insert((mac.clone(), ip["ip"].as_str().unwrap().to_string()));
        }
        // A device names itself on the wire only in DHCP (option 12).
        if d["dhcp"].as_bool().unwrap() {
            t.entry("hostname")
                .or_default()
                .insert((mac.clone(), d["hostname"].as_str().unwrap().to_lowercase()));
        }
    }
    let mut f: HashMap<&str, HashSet<(String, String)>> = HashMap::new();
    for d in report["devices"].as_array().unwrap() {
        let Some(mac) = d["macs"]
            .as_array()
            .unwrap()
            .first()
            .and_then(Value::as_str)
        else {
            continue; // an address seen only behind the router
        };
        let mac = mac.to_string();
        f.entry("mac")
            .or_default()
            .insert((mac.clone(), mac.clone()));
        for v in d["vlans"].as_array().unwrap() {
            f.entry("vlan")
                .or_default()
                .insert((mac.clone(), v.to_string()));
        }
        for ip in d["ips"].as_array().unwrap() {
            f.entry("ip")
                .or_default()
                .insert((mac.clone(), ip["addr"].as_str().unwrap().to_string()));
        }
        for h in d["hostnames"].as_array().unwrap() {
            let name = h
                .get("name")
                .and_then(Value::as_str)
                .or(h.as_str())
                .unwrap_or_default();
            f.entry("hostname")
                .or_default()
                .insert((mac.clone(), name.to_lowercase()));
        }
    }
    // Thresholds: the simulated wire shows every one of these, so anything lost is a defect —
    // except what the schedule leaves unseen: a device that boots in the last seconds may not
    // have finished DHCP (hence 0.97, not 1.0).
    for (attr, min_recall, min_precision) in [
        ("mac", 0.97, 0.99),
        ("vlan", 0.97, 0.99),
        ("ip", 0.97, 0.99),
        ("hostname", 0.97, 0.99),
    ] {
        let empty = HashSet::new();
        let (r, p) = score(
            attr,
            t.get(attr).unwrap_or(&empty),
            f.get(attr).unwrap_or(&empty),
        );
        assert!(
            r >= min_recall && p >= min_precision,
            "{attr}: recall {r:.3} precision {p:.3}"
        );
    }
    // Invented patients cross in cleartext HL7 and DICOM: findings, without their values.
    let kinds: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|x| x["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"cleartext_phi"), "{kinds:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    // Invented record numbers are `SIM` + 7 digits (crates/sim/src/behaviour.rs).
    let mrn = text.match_indices("SIM").any(|(i, _)| {
        text[i + 3..].len() >= 7 && text[i + 3..i + 10].bytes().all(|b| b.is_ascii_digit())
    });
    assert!(!mrn, "an invented medical record number reached the report");
}
