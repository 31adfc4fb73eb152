//! A real router with one and with two hosts behind it (issue: device identification).
//! `peers/router.sh` builds network namespaces — a near host, a Linux router forwarding
//! between two segments, and far hosts on a bridge behind it — has the far hosts fetch a page
//! from the near host, and captures the near segment. `wardline analyze` must make the router
//! a router holding only its own addresses, and every far host a device of its own (`ip-…`):
//! before TTL evidence, a router with few hosts behind it absorbed their addresses.
//!
//! Needs root (network namespaces), iproute2, tcpdump, curl and python3, which `bash .ci/run`
//! installs; without them it fails saying what is missing.

mod common;

use std::path::Path;
use std::process::Command;

use common::{require, wardline};

const ROUTER: &str = "mac-00163e610001";
const NEAR: &str = "mac-00163e610002";

fn run(far: usize) {
    assert!(
        Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0\n")),
        "this test creates network namespaces and needs root (bash .ci/run runs it as root)"
    );
    for (tool, package) in [
        ("ip", "iproute2"),
        ("tcpdump", "tcpdump"),
        ("curl", "curl"),
        ("python3", "python3"),
    ] {
        require(tool, package);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/peers/router.sh");
    let out = Command::new("bash")
        .arg(&script)
        .arg(dir.path())
        .arg(far.to_string())
        .output()
        .expect("run the namespaces");
    assert!(
        out.status.success(),
        "router.sh failed: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    let out = wardline()
        .arg("analyze")
        .arg(dir.path().join("router.pcap"))
        .args(["--format", "json", "--no-progress"])
        .output()
        .expect("run wardline");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON report");
    let devices = report["devices"].as_array().expect("devices");
    let ids: Vec<&str> = devices.iter().filter_map(|d| d["id"].as_str()).collect();
    let mut want: Vec<String> = (0..far).map(|i| format!("ip-10.62.0.{}", i + 2)).collect();
    want.extend([ROUTER.to_owned(), NEAR.to_owned()]);
    assert_eq!(ids, want, "one device per host, the far ones by address");

    let device = |id: &str| devices.iter().find(|d| d["id"] == id).expect(id);
    let v4 = |d: &serde_json::Value| -> Vec<String> {
        d["ips"]
            .as_array()
            .expect("ips")
            .iter()
            .filter_map(|s| s["addr"].as_str())
            .filter(|a| !a.contains(':'))
            .map(str::to_owned)
            .collect()
    };
    let router = device(ROUTER);
    assert_eq!(router["roles"], serde_json::json!(["router"]));
    assert_eq!(
        v4(router),
        ["10.61.0.1"],
        "the router holds only its own address"
    );
    assert_eq!(router["category"]["value"], "router");
    assert_eq!(v4(device(NEAR)), ["10.61.0.2"]);
    for i in 0..far {
        let addr = format!("10.62.0.{}", i + 2);
        let host = device(&format!("ip-{addr}"));
        assert_eq!(v4(host), std::slice::from_ref(&addr));
        assert!(
            host["packets"].as_u64().unwrap_or(0) > 0,
            "{addr} is credited with its own packets"
        );
    }
    assert_eq!(report["stats"]["inventory"]["routers"], 1);
}

#[test]
fn a_router_with_one_host_behind_it_keeps_the_host_a_device() {
    run(1);
}

#[test]
fn a_router_with_two_hosts_behind_it_keeps_each_host_a_device() {
    run(2);
}
