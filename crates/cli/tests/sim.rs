//! `wardline sim`: determinism by seed, tshark's verdict on every packet, and what
//! `wardline analyze` recovers of the truth.

#![allow(clippy::unwrap_used)]

mod common;

use std::collections::{HashMap, HashSet};
use std::path::Path;
use std::process::Command;

use serde_json::Value;

fn sim(dir: &Path, seed: u64, devices: usize, duration: &str) -> (Vec<u8>, Value) {
    sim_with(dir, seed, devices, duration, &[])
}

/// `wardline sim` with extra arguments (`--inject …`).
fn sim_with(
    dir: &Path,
    seed: u64,
    devices: usize,
    duration: &str,
    extra: &[&str],
) -> (Vec<u8>, Value) {
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
        .args(extra)
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
    let inject = [
        "--inject",
        "port_scan@2m",
        "--inject",
        "blocklisted_beacon@1m",
    ];
    let (pa, ta) = sim_with(&a, 7, 120, "5m", &inject);
    let (pb, tb) = sim_with(&b, 7, 120, "5m", &inject);
    assert_eq!(ta["events"].as_array().unwrap().len(), 2);
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
        "vlan", "arp", "dhcp", "dns", "mdns", "ntp", "syslog", "tls", "http", "hl7", "dicom",
        "lldp", "snmp", "ssdp", "bacnet", "modbus", "icmpv6",
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

/// (device MAC, value) pairs per attribute.
#[derive(Default)]
struct Pairs(HashMap<&'static str, HashSet<(String, String)>>);

impl Pairs {
    fn add(&mut self, attr: &'static str, mac: &str, value: &str) {
        self.0
            .entry(attr)
            .or_default()
            .insert((mac.to_string(), value.to_string()));
    }

    fn get(&self, attr: &str) -> &HashSet<(String, String)> {
        static EMPTY: std::sync::OnceLock<HashSet<(String, String)>> = std::sync::OnceLock::new();
        self.0
            .get(attr)
            .unwrap_or_else(|| EMPTY.get_or_init(HashSet::new))
    }
}

/// The AE titles and HL7 applications a report device states, as pairs for `mac`.
fn app_facts(found: &mut Pairs, mac: &str, device: &Value) {
    for fact in device["facts"].as_array().unwrap() {
        let value = fact["value"].as_str().unwrap();
        match fact["key"].as_str().unwrap() {
            "dicom.calling_ae_title" | "dicom.called_ae_title" => found.add("ae_title", mac, value),
            "hl7.sending_application" => found.add("hl7_app", mac, value),
            _ => {}
        }
    }
}

#[test]
fn analyze_recovers_what_the_wire_shows_of_the_truth() {
    let dir = tempfile::tempdir().unwrap();
    // With two injected events whose traces the app layer sees: credentials in cleartext, and
    // a device of no population.
    let injected = [
        "--inject",
        "cleartext_credentials@9m",
        "--inject",
        "unknown_device@6m",
    ];
    let (_, truth) = sim_with(dir.path(), 11, 400, "15m", &injected);
    let pcap = dir.path().join("h11.pcapng");
    let kb = identify::KnowledgeBase::embedded().unwrap();
    let vendors = kb.vendors();
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

    let mut truth_pairs = Pairs::default();
    for d in truth["devices"].as_array().unwrap() {
        let mac = d["macs"][0].as_str().unwrap();
        let t = &mut truth_pairs;
        t.add("mac", mac, mac);
        t.add("vlan", mac, &d["vlan"].to_string());
        for ip in d["ips"].as_array().unwrap() {
            t.add("ip", mac, ip["ip"].as_str().unwrap());
        }
        // A device names itself on the wire only in DHCP (option 12).
        if d["dhcp"].as_bool().unwrap() {
            t.add(
                "hostname",
                mac,
                &d["hostname"].as_str().unwrap().to_lowercase(),
            );
        }
        // …and, when it announces a service over mDNS, as `<hostname>.local` in its A record.
        if d["behaviours"]
            .as_array()
            .unwrap()
            .iter()
            .any(|b| b == "mdns")
        {
            let local = format!("{}.local", d["hostname"].as_str().unwrap().to_lowercase());
            t.add("hostname", mac, &local);
        }
        // Randomised MACs carry no vendor.
        if !d["random_mac"].as_bool().unwrap() {
            // The IEEE registry spells one company differently across its OUIs
            // (`Axis Communications AB`, `AXIS COMMUNICATIONS AB`): compared without case.
            // Vendors compare as the knowledge base does: aliases and legal-name spellings
            // ("Becton, Dickinson and Company" is "BD") are one vendor.
            t.add("vendor", mac, &vendors.key(d["vendor"].as_str().unwrap()));
        }
        for v in d["ae_titles"].as_array().into_iter().flatten() {
            t.add("ae_title", mac, v.as_str().unwrap());
        }
        for v in d["hl7_applications"].as_array().into_iter().flatten() {
            t.add("hl7_app", mac, v.as_str().unwrap());
        }
        // The core router is every zone's gateway: on every VLAN, with every gateway address.
        if d["role"] == "router" {
            for z in truth["zones"].as_array().unwrap() {
                t.add("vlan", mac, &z["vlan"].to_string());
                let subnet = z["subnet"].as_str().unwrap();
                let base: std::net::Ipv4Addr = subnet.split('/').next().unwrap().parse().unwrap();
                let gateway = std::net::Ipv4Addr::from(u32::from(base) + 1);
                t.add("ip", mac, &gateway.to_string());
            }
        }
    }
    // Which MAC holds each address (the devices seen with their own MAC).
    let devices = report["devices"].as_array().unwrap();
    let mut mac_of_ip: HashMap<&str, &str> = HashMap::new();
    for d in devices {
        if let Some(mac) = d["macs"]
            .as_array()
            .unwrap()
            .first()
            .and_then(Value::as_str)
        {
            for ip in d["ips"].as_array().unwrap() {
                mac_of_ip.insert(ip["addr"].as_str().unwrap(), mac);
            }
        }
    }
    let mut found = Pairs::default();
    for d in devices {
        let f = &mut found;
        let Some(mac) = d["macs"]
            .as_array()
            .unwrap()
            .first()
            .and_then(Value::as_str)
        else {
            // An address seen only behind the router (a server, from a client's VLAN): what
            // it said in its protocols belongs to the device that holds the address. Its
            // VLANs are the clients', so nothing else of it is scored.
            let ips = d["ips"].as_array().unwrap();
            let Some(mac) = ips
                .iter()
                .find_map(|ip| mac_of_ip.get(ip["addr"].as_str().unwrap()))
            else {
                continue;
            };
            app_facts(f, mac, d);
            continue;
        };
        f.add("mac", mac, mac);
        for v in d["vlans"].as_array().unwrap() {
            f.add("vlan", mac, &v.to_string());
        }
        for ip in d["ips"].as_array().unwrap() {
            f.add("ip", mac, ip["addr"].as_str().unwrap());
        }
        for h in d["hostnames"].as_array().unwrap() {
            let name = h
                .get("name")
                .and_then(Value::as_str)
                .or(h.as_str())
                .unwrap();
            f.add("hostname", mac, &name.to_lowercase());
        }
        if let Some(v) = d["vendor"]["value"].as_str() {
            f.add("vendor", mac, &vendors.key(v));
        }
        app_facts(f, mac, d);
    }
    // Measured on this seed: every attribute at recall and precision 1.000 but the IP
    // recall, 0.998: the router's own address in the datacenter only ever appears as the
    // source of relayed DHCP, and a router's MAC is never bound to an address from IP
    // headers alone (it forwards for many). 0.99 leaves room for that kind of case, not for
    // a lost attribute class.
    for attr in [
        "mac", "vlan", "ip", "hostname", "vendor", "ae_title", "hl7_app",
    ] {
        let (r, p) = score(attr, truth_pairs.get(attr), found.get(attr));
        assert!(
            r >= 0.99 && p >= 0.99,
            "{attr}: recall {r:.3} precision {p:.3}"
        );
    }
    // The injected sign-in is a cleartext_credentials finding on the device that sent it.
    let events = truth["events"].as_array().unwrap();
    let signin = events
        .iter()
        .find(|e| e["kind"] == "cleartext_credentials")
        .unwrap();
    let actor = &truth["devices"][signin["devices"][0].as_u64().unwrap() as usize];
    assert_eq!(actor["id"], signin["devices"][0]);
    let actor_mac = actor["macs"][0].as_str().unwrap();
    let holder = |id: &str| {
        devices
            .iter()
            .find(|d| d["id"] == id)
            .and_then(|d| d["macs"][0].as_str())
            .unwrap_or_default()
            .to_string()
    };
    let credential_findings: Vec<String> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        // The monitoring host's SNMP community `public` is a cleartext credential too: the
        // injected event is the HTTP one.
        .filter(|f| f["kind"] == "cleartext_credentials" && f["evidence"]["protocol"] == "http")
        .map(|f| holder(f["device"].as_str().unwrap()))
        .collect();
    assert_eq!(credential_findings, vec![actor_mac.to_string()]);
    // The unknown device is in the truth (so in the recall above), marked injected.
    let unknown = events
        .iter()
        .find(|e| e["kind"] == "unknown_device")
        .unwrap();
    let pi = &truth["devices"][unknown["devices"][0].as_u64().unwrap() as usize];
    assert_eq!(pi["injected"], true);
    assert!(found.get("mac").contains(&(
        pi["macs"][0].as_str().unwrap().into(),
        pi["macs"][0].as_str().unwrap().into()
    )));
    // Invented patients cross in cleartext HL7 and DICOM: findings, without their values.
    let kinds: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|x| x["kind"].as_str())
        .collect();
    assert!(kinds.contains(&"cleartext_phi"), "{kinds:?}");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        !text.contains("sim-invented-pw"),
        "the injected password reached the report"
    );
    // Invented record numbers are `SIM` + 7 digits (crates/sim/src/behaviour.rs).
    let mrn = text.match_indices("SIM").any(|(i, _)| {
        text[i + 3..].len() >= 7 && text[i + 3..i + 10].bytes().all(|b| b.is_ascii_digit())
    });
    assert!(!mrn, "an invented medical record number reached the report");
}

#[test]
fn demo_runs_from_an_empty_folder_and_shows_devices_and_findings() {
    // From a folder with nothing around it (no ../shared): everything the demo needs is in
    // the binary.
    let cwd = tempfile::tempdir().unwrap();
    let dir = cwd.path().join("demo");
    let out = Command::new(env!("CARGO_BIN_EXE_wardline"))
        .current_dir(cwd.path())
        .env_remove("WARDLINE_DB_KEY")
        .args([
            "demo",
            "--no-progress",
            "--no-serve",
            "--devices",
            "150",
            "--duration",
            "6m",
            "--dir",
        ])
        .arg(&dir)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}\n{stdout}",
        String::from_utf8_lossy(&out.stderr)
    );
    for part in [
        "Devices by zone",
        "icu",
        "radiology",
        "guest",
        "Findings",
        "cleartext_phi",
        "Asset list",
        "unauthorized_device",
        "personal devices",
        "Files",
    ] {
        assert!(stdout.contains(part), "no {part:?} in:\n{stdout}");
    }
    for file in [
        "hospital.pcapng",
        "truth.json",
        "report.json",
        "assets.csv",
        "wardline.db",
        "wardline.db.key",
    ] {
        assert!(dir.join(file).is_file(), "no {file} in {}", dir.display());
    }
    let report: Value =
        serde_json::from_slice(&std::fs::read(dir.join("report.json")).unwrap()).unwrap();
    assert!(report["devices"].as_array().unwrap().len() >= 140);
    // The device plugged in half-way is not on the asset list: it, and nothing the hospital
    // listed, is unauthorized.
    let truth: Value =
        serde_json::from_slice(&std::fs::read(dir.join("truth.json")).unwrap()).unwrap();
    let injected: Vec<String> = truth["devices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["injected"] == true)
        .map(|d| format!("mac-{}", d["macs"][0].as_str().unwrap().replace(':', "")))
        .collect();
    assert_eq!(injected.len(), 1);
    let unauthorized: Vec<&str> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "unauthorized_device")
        .map(|f| f["device"].as_str().unwrap())
        .collect();
    assert!(
        unauthorized.contains(&injected[0].as_str()),
        "{unauthorized:?}"
    );
    // A second demo into the same folder is refused rather than merged into its store.
    let again = Command::new(env!("CARGO_BIN_EXE_wardline"))
        .args(["demo", "--no-progress", "--no-serve", "--dir"])
        .arg(&dir)
        .output()
        .unwrap();
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("exists already"));
}

#[test]
fn every_injection_kind_is_recorded_with_its_devices() {
    let dir = tempfile::tempdir().unwrap();
    let kinds = [
        "port_scan",
        "new_external_destination",
        "blocklisted_beacon",
        "cleartext_credentials",
        "guest_to_clinical",
        "firmware_downgrade",
        "unknown_device",
    ];
    let mut args = Vec::new();
    for (i, k) in kinds.iter().enumerate() {
        args.push("--inject".to_string());
        args.push(format!("{k}@{}m", 5 + i));
    }
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let (_, truth) = sim_with(dir.path(), 5, 300, "20m", &args);
    let events = truth["events"].as_array().unwrap();
    let got: Vec<&str> = events.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(got, kinds, "one event per injection, in time order");
    let n = truth["devices"].as_array().unwrap().len() as u64;
    for e in events {
        let devices = e["devices"].as_array().unwrap();
        assert!(!devices.is_empty(), "{e}: no device (skipped?)");
        assert!(devices.iter().all(|d| d.as_u64().unwrap() < n), "{e}");
        assert!(e["start"].as_str().unwrap() <= e["end"].as_str().unwrap());
    }
    let beacon = &events[2];
    assert!(
        beacon["details"]["beacons"].as_u64().unwrap() >= 10,
        "{beacon}"
    );
    let downgrade = &events[5];
    assert_ne!(downgrade["details"]["from"], downgrade["details"]["to"]);
    // A bad kind is refused with the list of good ones.
    let out = Command::new(env!("CARGO_BIN_EXE_wardline"))
        .args(["sim", "--out"])
        .arg(dir.path().join("x.pcapng"))
        .args(["--inject", "port_scna"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("one of port_scan"));
}

#[test]
fn rate_steers_the_packets_per_simulated_second() {
    let dir = tempfile::tempdir().unwrap();
    let count = |extra: &[&str]| {
        let (pcap, _) = sim_with(dir.path(), 9, 200, "30m", extra);
        // pcapng Enhanced Packet Blocks: type 6, then the block length.
        let mut at = 0;
        let mut n = 0u64;
        while at + 8 <= pcap.len() {
            let t = u32::from_le_bytes(pcap[at..at + 4].try_into().unwrap());
            let len = u32::from_le_bytes(pcap[at + 4..at + 8].try_into().unwrap()) as usize;
            n += u64::from(t == 6);
            at += len.max(12);
        }
        n as f64 / 1800.0
    };
    let natural = count(&[]);
    let slow = count(&["--rate", &format!("{}", natural / 2.0)]);
    let fast = count(&["--rate", &format!("{}", natural * 4.0)]);
    eprintln!(
        "natural {natural:.1}/s, asked {:.1} got {slow:.1}, asked {:.1} got {fast:.1}",
        natural / 2.0,
        natural * 4.0
    );
    // The first minute runs at the profiles' pace and each later one moves at most 2x, so the
    // average over 30 minutes lands near, not on, the target.
    assert!(
        slow < natural * 0.75 && slow > natural * 0.35,
        "slow {slow} natural {natural}"
    );
    assert!(
        fast > natural * 2.5 && fast < natural * 4.6,
        "fast {fast} natural {natural}"
    );
}
