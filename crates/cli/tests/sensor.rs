//! The live sensor (issue 17) on real interfaces: a veth pair in a network namespace the test
//! creates, a simulated hospital replayed into it with `tcpreplay`, and real hosts talking
//! through it (curl against Python's HTTP server in two namespaces).
//!
//! `wardline sensor` must store what `wardline analyze` stores from the same capture, report
//! the kernel's drop counters, stop cleanly on SIGTERM and SIGINT, and on restart resume the
//! same devices and findings, adding to their counters.
//!
//! Needs root (network namespaces, packet sockets), iproute2, tcpreplay, tcpdump, curl and
//! python3,
//! which `bash .ci/run` installs; without them it fails saying what is missing.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{require, wardline};

const DB_KEY: &str = "6c69766520736e696666696e6720746573742064617461626173652020206b65";

fn require_root_and_tools() {
    assert!(
        Command::new("id")
            .arg("-u")
            .output()
            .is_ok_and(|o| o.stdout.starts_with(b"0\n")),
        "this test creates network namespaces and packet sockets and needs root (bash .ci/run \
         runs it as root)"
    );
    for (tool, package) in [
        ("ip", "iproute2"),
        ("tcpreplay", "tcpreplay"),
        ("tcpdump", "tcpdump"),
        ("sysctl", "procps"),
        ("curl", "curl"),
        ("python3", "python3"),
    ] {
        require(tool, package);
    }
}

fn sh(args: &[&str]) {
    let out = Command::new(args[0])
        .args(&args[1..])
        .output()
        .unwrap_or_else(|e| panic!("running {args:?}: {e}"));
    assert!(
        out.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A network namespace with a veth pair `a` ↔ `b` inside it (MTU 9000: simulated frames may
/// exceed 1500 bytes once tagged); deleted with everything in it when dropped.
struct Namespace(String);

impl Namespace {
    fn new(tag: &str) -> Self {
        let name = format!("wl-{tag}-{}", std::process::id());
        let _ = Command::new("ip").args(["netns", "del", &name]).output();
        sh(&["ip", "netns", "add", &name]);
        let ns = Self(name);
        ns.exec(&["ip", "link", "set", "dev", "lo", "up"]);
        // No router solicitations or address checks of its own: what is on the link is what
        // the test put there.
        for scope in ["all", "default"] {
            ns.exec(&[
                "sysctl",
                "-qw",
                &format!("net.ipv6.conf.{scope}.disable_ipv6=1"),
            ]);
        }
        ns
    }

    fn veth_pair(&self) {
        self.exec(&[
            "ip", "link", "add", "name", "a", "type", "veth", "peer", "name", "b",
        ]);
        for dev in ["a", "b"] {
            self.exec(&["ip", "link", "set", "dev", dev, "mtu", "9000", "up"]);
        }
    }

    fn exec(&self, args: &[&str]) {
        let mut all = vec!["ip", "netns", "exec", &self.0];
        all.extend_from_slice(args);
        sh(&all);
    }

    fn command(&self, program: &str) -> Command {
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", &self.0, program]);
        cmd
    }
}

impl Drop for Namespace {
    fn drop(&mut self) {
        let _ = Command::new("ip").args(["netns", "del", &self.0]).output();
    }
}

/// `wardline sensor` started in `ns` on `interface`, once it says it is capturing.
struct Sensor {
    child: Child,
    stderr: std::sync::mpsc::Receiver<String>,
}

impl Sensor {
    fn start(ns: &Namespace, interface: &str, db: &Path, extra: &[&str]) -> Self {
        let mut child = ns
            .command(env!("CARGO_BIN_EXE_wardline"))
            .args(["sensor", "--interface", interface, "--db"])
            .arg(db)
            .args(["--flush", "1s"])
            .args(extra)
            .env("WARDLINE_DB_KEY", DB_KEY)
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start wardline sensor");
        let (tx, rx) = std::sync::mpsc::channel();
        let stderr = child.stderr.take().expect("stderr");
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let sensor = Self { child, stderr: rx };
        sensor.wait_for("wardline: sensor on");
        sensor
    }

    /// Waits (at most 20 s) for a stderr line containing `text`; returns it.
    fn wait_for(&self, text: &str) -> String {
        let deadline = Instant::now() + Duration::from_secs(20);
        let mut seen = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.stderr.recv_timeout(left) {
                Ok(line) if line.contains(text) => return line,
                Ok(line) => seen.push(line),
                Err(_) => panic!(
                    "the sensor never printed {text:?}; it said:\n{}",
                    seen.join("\n")
                ),
            }
        }
    }

    /// Sends `signal`, waits for the exit and returns the summary printed on stdout.
    fn stop(mut self, signal: &str) -> serde_json::Value {
        sh(&["kill", &format!("-{signal}"), &self.child.id().to_string()]);
        let deadline = Instant::now() + Duration::from_secs(30);
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait") {
                break status;
            }
            assert!(Instant::now() < deadline, "the sensor ignored SIG{signal}");
            std::thread::sleep(Duration::from_millis(50));
        };
        let rest: Vec<String> = self.stderr.try_iter().collect();
        let mut stdout = String::new();
        std::io::Read::read_to_string(&mut self.child.stdout.take().expect("stdout"), &mut stdout)
            .expect("read stdout");
        assert!(
            status.success(),
            "the sensor failed on SIG{signal}: {stdout}\n{}",
            rest.join("\n")
        );
        serde_json::from_str(&stdout)
            .unwrap_or_else(|e| panic!("no summary on stdout ({e}): {stdout}"))
    }
}

fn replay(ns: &Namespace, capture: &Path) {
    let out = ns
        .command("tcpreplay")
        .args(["--intf1", "b", "--topspeed"])
        .arg(capture)
        .output()
        .expect("run tcpreplay");
    assert!(
        out.status.success(),
        "tcpreplay failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn simulate(dir: &Path, devices: &str, inject: &[&str]) -> std::path::PathBuf {
    let capture = dir.join("hospital.pcapng");
    let mut cmd = wardline();
    cmd.args([
        "sim",
        "--devices",
        devices,
        "--duration",
        "3m",
        "--seed",
        "7",
    ])
    .args(["--no-progress", "--out"])
    .arg(&capture);
    for i in inject {
        cmd.args(["--inject", i]);
    }
    let out = cmd.output().expect("run wardline sim");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    capture
}

/// Devices (id → packets) and findings (`kind id` → count) the database holds.
fn stored(db: &Path) -> (BTreeMap<String, i64>, BTreeMap<String, i64>) {
    let conn = rusqlite::Connection::open(db).expect("open the database");
    conn.execute_batch(&format!("PRAGMA key = \"x'{DB_KEY}'\";"))
        .expect("key");
    let devices = conn
        .prepare("SELECT id, packets FROM devices")
        .and_then(|mut s| {
            s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<BTreeMap<_, _>, _>>()
        })
        .expect("read devices");
    let findings = conn
        .prepare("SELECT kind || ' ' || id, count FROM findings")
        .and_then(|mut s| {
            s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<BTreeMap<_, _>, _>>()
        })
        .expect("read findings");
    (devices, findings)
}

fn analyze_into(capture: &Path, db: &Path) {
    let out = wardline()
        .arg("analyze")
        .arg(capture)
        .args(["--format", "json", "--no-progress", "--db"])
        .arg(db)
        .env("WARDLINE_DB_KEY", DB_KEY)
        .output()
        .expect("run wardline analyze");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

fn kernel_dropped(summary: &serde_json::Value) -> u64 {
    summary["kernel"]["dropped"]
        .as_u64()
        .unwrap_or_else(|| panic!("no kernel drop counter in {summary}"))
}

/// tcpdump on the same interface beside the sensor: what the kernel delivered, timestamps
/// and all. Replaying at top speed squeezes three simulated minutes into milliseconds, which
/// changes flows (idle timeouts, a reused address inside one flow), so the reference is
/// `analyze` on these frames, not on the original file.
struct Tcpdump(Child);

impl Tcpdump {
    fn start(ns: &Namespace, interface: &str, out: &Path) -> Self {
        let mut child = ns
            .command("tcpdump")
            .args(["-i", interface, "-U", "-s", "0", "-w"])
            .arg(out)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start tcpdump");
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = BufReader::new(stderr).lines();
        loop {
            match lines.next() {
                Some(Ok(line)) if line.contains("listening on") => break,
                Some(Ok(_)) => {}
                _ => panic!("tcpdump did not start"),
            }
        }
        std::thread::spawn(move || for _ in lines {});
        Self(child)
    }

    fn stop(mut self) {
        sh(&["kill", "-INT", &self.0.id().to_string()]);
        let _ = self.0.wait();
    }
}

#[test]
fn a_replayed_hospital_is_stored_as_analyze_stores_it_and_a_restart_resumes_it() {
    require_root_and_tools();
    let dir = tempfile::tempdir().expect("tempdir");
    let capture = simulate(dir.path(), "80", &["cleartext_credentials@1m"]);
    let frames = {
        let (_, report) = common::analyze_json(&[&capture], &[]);
        report["inputs"][0]["packets"].as_u64().expect("packets")
    };

    let ns = Namespace::new("replay");
    ns.veth_pair();
    let db = dir.path().join("live.db");
    let seen = dir.path().join("seen.pcap");

    // First run: the capture replayed once, stopped by SIGTERM; new findings alert as JSON
    // lines from the store thread.
    let alerts = dir.path().join("alerts.jsonl");
    let config = dir.path().join("wardline.toml");
    std::fs::write(
        &config,
        format!(
            "[[alerts.outputs]]\ntype = \"jsonl\"\npath = \"{}\"\n",
            alerts.display()
        ),
    )
    .expect("write the configuration");
    let config_arg = config.to_str().expect("utf-8");
    let sensor = Sensor::start(&ns, "a", &db, &["--config", config_arg]);
    let tcpdump = Tcpdump::start(&ns, "a", &seen);
    replay(&ns, &capture);
    // A flush (every second) stores it while the sensor runs, before any signal.
    std::thread::sleep(Duration::from_millis(2500));
    tcpdump.stop();
    let reference = dir.path().join("reference.db");
    analyze_into(&seen, &reference);
    let (want_devices, want_findings) = stored(&reference);
    assert!(want_devices.len() >= 40, "{want_devices:?}");
    assert!(
        want_findings.keys().any(|f| f.starts_with("cleartext")),
        "the injected event makes a finding: {want_findings:?}"
    );
    // Devices seen only through flows still open wait for them to end (or the stop).
    let (during, _) = stored(&db);
    assert!(
        during.len() * 10 >= want_devices.len() * 9
            && during.keys().all(|d| want_devices.contains_key(d)),
        "flushed while running: {} of {} devices, {:?}",
        during.len(),
        want_devices.len(),
        during
            .keys()
            .filter(|d| !want_devices.contains_key(*d))
            .collect::<Vec<_>>()
    );
    let summary = sensor.stop("TERM");
    assert_eq!(summary["stopped_by"], "signal", "{summary}");
    assert_eq!(summary["packets"].as_u64(), Some(frames), "{summary}");
    assert_eq!(
        summary["kernel"]["received"].as_u64(),
        Some(frames),
        "{summary}"
    );
    assert_eq!(kernel_dropped(&summary), 0, "{summary}");

    let (devices, findings) = stored(&db);
    let ids = |m: &BTreeMap<String, i64>| m.keys().cloned().collect::<BTreeSet<_>>();
    assert_eq!(
        ids(&devices),
        ids(&want_devices),
        "the live sensor stores the devices analyze stores from the same frames"
    );
    assert_eq!(devices, want_devices, "packets per device");
    let cleartext = |m: &BTreeMap<String, i64>| {
        m.keys()
            .filter(|f| f.starts_with("cleartext"))
            .cloned()
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(
        cleartext(&findings),
        cleartext(&want_findings),
        "the injected cleartext credentials are found live"
    );
    let alerted: Vec<serde_json::Value> = std::fs::read_to_string(&alerts)
        .expect("the alerts file")
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect();
    assert!(
        alerted
            .iter()
            .any(|a| a["finding"]["kind"] == "cleartext_credentials"
                && a["source"] == "live:a"
                && a["status"] == "new"),
        "the live sensor alerts its new findings: {alerted:?}"
    );

    // Second run on the same database: replayed twice, a pause between (two windows), then
    // SIGINT. The same devices and findings are resumed, none new; counters add up.
    let sensor = Sensor::start(&ns, "a", &db, &[]);
    replay(&ns, &capture);
    std::thread::sleep(Duration::from_millis(2500));
    replay(&ns, &capture);
    std::thread::sleep(Duration::from_millis(500));
    let summary = sensor.stop("INT");
    assert_eq!(summary["packets"].as_u64(), Some(2 * frames), "{summary}");
    assert_eq!(summary["devices"]["new"].as_u64(), Some(0), "{summary}");
    assert_eq!(kernel_dropped(&summary), 0, "{summary}");
    assert!(summary["flushes"].as_u64() >= Some(2), "{summary}");
    let (resumed, resumed_findings) = stored(&db);
    assert_eq!(ids(&resumed), ids(&devices), "no device new or lost");
    let total = |m: &BTreeMap<String, i64>| m.values().sum::<i64>();
    assert_eq!(
        total(&resumed),
        3 * total(&devices),
        "device packets add up over the windows of both runs"
    );
    assert_eq!(
        ids(&resumed_findings),
        ids(&findings),
        "no finding new or lost"
    );
}

#[test]
fn real_hosts_talking_through_the_watched_link_are_found() {
    require_root_and_tools();
    let dir = tempfile::tempdir().expect("tempdir");
    // Two hosts: the server's namespace holds the watched interface, the client talks to it.
    let server = Namespace::new("server");
    let client = Namespace::new("client");
    sh(&[
        "ip", "link", "add", "name", "wlsrv0", "type", "veth", "peer", "name", "wlcli0",
    ]);
    sh(&["ip", "link", "set", "wlsrv0", "netns", &server.0]);
    sh(&["ip", "link", "set", "wlcli0", "netns", &client.0]);
    server.exec(&[
        "ip",
        "link",
        "set",
        "dev",
        "wlsrv0",
        "address",
        "00:16:3e:5e:00:01",
    ]);
    client.exec(&[
        "ip",
        "link",
        "set",
        "dev",
        "wlcli0",
        "address",
        "00:16:3e:5e:00:02",
    ]);
    server.exec(&["ip", "addr", "add", "192.0.2.1/24", "dev", "wlsrv0"]);
    client.exec(&["ip", "addr", "add", "192.0.2.2/24", "dev", "wlcli0"]);
    server.exec(&["ip", "link", "set", "dev", "wlsrv0", "up"]);
    client.exec(&["ip", "link", "set", "dev", "wlcli0", "up"]);
    let site = dir.path().join("site");
    std::fs::create_dir(&site).expect("mkdir");
    std::fs::write(site.join("index.html"), "<p>ward</p>").expect("write");
    let _http = common::Running(
        server
            .command("python3")
            .args([
                "-m",
                "http.server",
                "8080",
                "--bind",
                "192.0.2.1",
                "--directory",
            ])
            .arg(&site)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start the HTTP server"),
    );
    let db = dir.path().join("live.db");
    let sensor = Sensor::start(&server, "wlsrv0", &db, &[]);
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let out = client
            .command("curl")
            .args(["-sf", "-A", "WardTest/1.0", "http://192.0.2.1:8080/"])
            .output()
            .expect("run curl");
        if out.status.success() {
            assert!(String::from_utf8_lossy(&out.stdout).contains("ward"));
            break;
        }
        assert!(Instant::now() < deadline, "the HTTP server never answered");
        std::thread::sleep(Duration::from_millis(200));
    }
    std::thread::sleep(Duration::from_millis(1500));
    let summary = sensor.stop("TERM");
    assert_eq!(kernel_dropped(&summary), 0, "{summary}");
    let out = wardline()
        .args(["devices", "show", "--db"])
        .arg(&db)
        .arg("mac-00163e5e0001")
        .env("WARDLINE_DB_KEY", DB_KEY)
        .output()
        .expect("run devices show");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let shown: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let device = &shown["device"];
    assert!(
        device["ips"].to_string().contains("192.0.2.1"),
        "the server holds its address: {device}"
    );
    assert!(
        device["services"].to_string().contains("8080"),
        "the server's HTTP service is seen: {device}"
    );
    let (devices, _) = stored(&db);
    assert!(
        devices.contains_key("mac-00163e5e0002"),
        "the client is a device: {devices:?}"
    );
}

#[test]
fn a_missing_interface_is_a_clear_error() {
    require_root_and_tools();
    let dir = tempfile::tempdir().expect("tempdir");
    let out = wardline()
        .args(["sensor", "--interface", "wl-nonexistent0", "--db"])
        .arg(dir.path().join("x.db"))
        .output()
        .expect("run wardline sensor");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("wl-nonexistent0") && err.contains("finding the interface"),
        "{err}"
    );
}
