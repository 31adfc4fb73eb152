//! Learned fingerprints on the labelled IoT Sentinel captures (`../shared/corpus/iot-sentinel`,
//! 31 folders, 27 types once numbered twins merge, 525 captures; issue: device
//! identification): `wardline kb evaluate` with 10 stratified folds, with and without
//! link-layer features, and `kb learn` + `analyze --kb` on a capture.
//!
//! Floors, from runs of this code: 0.950 overall with link-layer features and 0.950 without
//! (the IoT Sentinel paper reports 0.815 without); before token weights by label and the
//! margin refinement of the centroids, 0.933 and 0.931. What remains is between devices built
//! on the same hardware and firmware: SmarterCoffee and iKettle2 (ESP8266 boards whose
//! captures are the same DHCP, ARP and IGMP packets, token for token: 19 of their 38 captures
//! can be right at best), Edimax SP-1101W and SP-2101W, and the D-Link door sensor, which is
//! set up through the hub and so shows the hub's traffic. The paper confuses these too. The
//! floors sit 0.02 below the measured values: the evaluation is deterministic, so a drop
//! means the features, the weights or the centring changed, and small changes to any may
//! move a few of 525 samples. The centring finds the labelled MAC in all 525 captures.

mod common;

use std::collections::BTreeMap;

use common::{corpus, wardline};
use serde_json::Value;

fn evaluate(extra: &[&str]) -> Value {
    let out = wardline()
        .args(["kb", "evaluate"])
        .arg(corpus().join("iot-sentinel"))
        .args(["--folds", "10", "--format", "json", "--no-progress"])
        .args(extra)
        .output()
        .expect("run wardline");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON")
}

/// Folder → the labelled device's MAC, from the corpus README's table.
fn labelled_macs() -> BTreeMap<String, String> {
    let readme = std::fs::read_to_string(corpus().join("iot-sentinel/README.md"))
        .expect("the iot-sentinel README");
    readme
        .lines()
        .filter_map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            let mac = cells.get(6)?;
            (mac.len() == 17 && mac.matches(':').count() == 5)
                .then(|| (cells[1].to_owned(), mac.replace(':', "")))
        })
        .collect()
}

#[test]
fn iot_sentinel_cross_validation_with_and_without_link_layer_features() {
    let macs = labelled_macs();
    assert_eq!(macs.len(), 31, "the README's device table");
    for (extra, floor) in [(&[][..], 0.93), (&["--no-mac"][..], 0.93)] {
        let e = evaluate(extra);
        let accuracy = e["overall_accuracy"].as_f64().unwrap();
        let labels = e["labels"].as_object().unwrap();
        eprintln!(
            "{extra:?}: overall accuracy {accuracy:.3}, {} labels",
            labels.len()
        );
        assert_eq!(
            labels.len(),
            27,
            "numbered twins merge into the paper's 27 types"
        );
        let support: u64 = labels
            .values()
            .map(|l| l["support"].as_u64().unwrap())
            .sum();
        assert_eq!(support, 525, "every capture is one sample");
        assert!(
            accuracy >= floor,
            "{extra:?}: accuracy {accuracy:.3} below {floor}"
        );
        for c in e["confusions"].as_array().unwrap() {
            assert!(c["label"] != c["predicted"]);
        }
        // The capture's device is the labelled one: checked against the README's MACs.
        let samples = e["samples"].as_array().unwrap();
        let centred = samples
            .iter()
            .filter(|s| {
                let capture = s["capture"].as_str().unwrap();
                let folder = capture.rsplit('/').nth(1).unwrap();
                s["device"].as_str().unwrap() == format!("mac-{}", macs[folder])
            })
            .count();
        eprintln!(
            "centred on the labelled device in {centred} of {}",
            samples.len()
        );
        assert!(
            centred >= 523,
            "centred on the labelled MAC in only {centred} of 525"
        );
    }
}

#[test]
fn learned_fingerprints_identify_a_capture_through_analyze_kb() {
    let dir = tempfile::tempdir().unwrap();
    let model = dir.path().join("iot.toml");
    let learn = wardline()
        .args(["kb", "learn"])
        .arg(corpus().join("iot-sentinel"))
        .arg("--out")
        .arg(&model)
        .arg("--no-progress")
        .output()
        .unwrap();
    assert!(
        learn.status.success(),
        "{}",
        String::from_utf8_lossy(&learn.stderr)
    );
    let capture = corpus().join("iot-sentinel/TP-LinkPlugHS110/Setup-A-1-STA.pcap");
    let out = wardline()
        .arg("analyze")
        .arg(&capture)
        .args(["--format", "json", "--no-progress", "--kb"])
        .arg(&model)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    let plug = report["devices"]
        .as_array()
        .unwrap()
        .iter()
        .find(|d| d["id"] == "mac-50c7bf00c703")
        .expect("the HS110");
    assert_eq!(plug["model"]["value"], "TP-LinkPlugHS110");
    let evidence = &plug["model"]["evidence"][0];
    assert_eq!(evidence["source"], "kb:iot/learned:TP-LinkPlugHS110");
    assert!(evidence["detail"].as_str().unwrap().contains("similarity"));
    // A broken fingerprint file is refused, naming it.
    std::fs::write(dir.path().join("bad.toml"), "fingerprint = 3\n").unwrap();
    let bad = wardline()
        .arg("analyze")
        .arg(&capture)
        .args(["--format", "json", "--no-progress", "--kb"])
        .arg(dir.path().join("bad.toml"))
        .output()
        .unwrap();
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("bad.toml"));
}
