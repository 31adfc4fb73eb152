//! Firmware baselines end to end (issue: device identification): a hospital's own baseline
//! file given with `--kb` turns the firmware that Cisco switches announce over CDP/LLDP (a
//! public capture) into `outdated_firmware` and `end_of_support` findings that show the
//! observed version and where it came from; a bad baseline file stops the run naming it.

mod common;

use common::{analyze_json, corpus};

#[test]
fn a_users_baseline_file_flags_old_switch_firmware() {
    let dir = tempfile::tempdir().unwrap();
    let kb = dir.path().join("site-baselines.toml");
    std::fs::write(
        &kb,
        r#"
[[baseline]]
id = "site-catalyst-3560"
source = "our network team's standard, 2026-01"
when.vendor = '^Cisco$'
when.model = '^WS-C3560'
minimum_supported = "15.0(2)SE"
end_of_support = "2021-10"
"#,
    )
    .unwrap();
    let capture = corpus().join("tcpdump/tests/LLDP_and_CDP.pcap");
    let (out, report) = analyze_json(&[&capture], &["--kb", kb.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let findings = report["findings"].as_array().unwrap();
    let of = |kind: &str| -> Vec<&serde_json::Value> {
        findings.iter().filter(|f| f["kind"] == kind).collect()
    };
    let outdated = of("outdated_firmware");
    // Two WS-C3560 switches announce IOS 12.2(44)SE in the capture.
    assert_eq!(outdated.len(), 2, "{findings:#?}");
    for f in &outdated {
        assert_eq!(f["severity"], "high");
        assert_eq!(f["evidence"]["observed_version"], "12.2(44)SE");
        assert_eq!(f["evidence"]["minimum_supported"], "15.0(2)SE");
        assert_eq!(f["evidence"]["baseline"], "site-catalyst-3560");
        assert!(
            f["evidence"]["version_source"]
                .as_str()
                .unwrap()
                .starts_with("kb:"),
            "{f:#?}"
        );
    }
    let ended = of("end_of_support");
    assert_eq!(ended.len(), 2);
    assert!(
        ended
            .iter()
            .all(|f| f["evidence"]["end_of_support"] == "2021-10")
    );
    // Each finding is listed on its device.
    for f in outdated.iter().chain(&ended) {
        let device = report["devices"]
            .as_array()
            .unwrap()
            .iter()
            .find(|d| d["id"] == f["device"])
            .unwrap();
        assert!(device["findings"].as_array().unwrap().contains(&f["id"]));
    }

    // Without the site file the shipped baselines say nothing about these switches' IOS 12.2
    // train (none is published for it), so the findings came from the file.
    let (_, plain) = analyze_json(&[&capture], &[]);
    assert!(
        plain["findings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f["evidence"]["baseline"] != "site-catalyst-3560")
    );
}

#[test]
fn a_bad_baseline_file_stops_the_run_before_any_packet() {
    let dir = tempfile::tempdir().unwrap();
    let kb = dir.path().join("broken.toml");
    std::fs::write(
        &kb,
        "[[baseline]]\nid = \"x\"\nsource = \"s\"\nwhen.model = '('\nminimum_supported = \"1\"\n",
    )
    .unwrap();
    let capture = corpus().join("tcpdump/tests/LLDP_and_CDP.pcap");
    let out = common::wardline()
        .arg("analyze")
        .arg(&capture)
        .args(["--format", "json", "--no-progress", "--kb"])
        .arg(&kb)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("broken.toml") && err.contains("when.model"),
        "{err}"
    );
}
