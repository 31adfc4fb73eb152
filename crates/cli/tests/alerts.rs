//! Alert outputs (issue 17): a simulated hospital analysed into a store with every output
//! configured — a JSON-lines file, syslog over UDP (CEF) and over TCP (JSON, octet-counted),
//! and an HTTPS webhook served by Python's `http.server` behind a self-signed certificate
//! made with openssl, which refuses the first delivery with 503 so the retry is exercised.
//!
//! Each output must carry one alert per device and finding kind among the new findings of
//! at least the configured severity, each linking to its stored finding; a second analysis of
//! the same capture adds no finding and so no alert; a rate limit holds the rest back and
//! announces them as one `suppressed` alert.

mod common;

use std::collections::BTreeSet;
use std::io::Read;
use std::net::{TcpListener, UdpSocket};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::{Running, free_port, require, wardline};

const DB_KEY: &str = "616c65727473207465737420646174616261736520206b657920666f72207465";

fn simulate(dir: &Path) -> PathBuf {
    let capture = dir.join("hospital.pcapng");
    let out = wardline()
        .args(["sim", "--devices", "120", "--duration", "5m", "--seed", "4"])
        .args([
            "--inject",
            "cleartext_credentials@2m",
            "--no-progress",
            "--out",
        ])
        .arg(&capture)
        .output()
        .expect("run wardline sim");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    capture
}

fn analyze(capture: &Path, db: &Path, config: &Path) {
    let out = wardline()
        .arg("analyze")
        .arg(capture)
        .args(["--format", "json", "--no-progress", "--db"])
        .arg(db)
        .arg("--config")
        .arg(config)
        .env("WARDLINE_DB_KEY", DB_KEY)
        .env("WARDLINE_TEST_WEBHOOK_TOKEN", "hook-token-123")
        .output()
        .expect("run wardline analyze");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// (kind, device) of the stored findings of at least medium severity, and every finding id.
fn stored(db: &Path) -> (BTreeSet<(String, String)>, BTreeSet<String>) {
    let conn = rusqlite::Connection::open(db).expect("open");
    conn.execute_batch(&format!("PRAGMA key = \"x'{DB_KEY}'\";"))
        .expect("key");
    let mut pairs = BTreeSet::new();
    let mut ids = BTreeSet::new();
    let mut stmt = conn
        .prepare(
            "SELECT f.id, f.kind, d.id, f.severity FROM findings f JOIN devices d
             ON d.pk = f.device_pk",
        )
        .expect("select");
    let rows = stmt
        .query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })
        .expect("query");
    for row in rows {
        let (id, kind, device, severity) = row.expect("row");
        if matches!(severity.as_str(), "medium" | "high" | "critical") {
            pairs.insert((kind, device));
        }
        ids.insert(id);
    }
    (pairs, ids)
}

fn jsonl(path: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON line"))
        .collect()
}

/// The HTTPS webhook receiver: 503 to the first POST, 200 after; each accepted body is a
/// line of `bodies`, each attempt a line of `attempts`, with the Authorization header seen.
fn webhook_server(dir: &Path, port: u16) -> Running {
    let (ca, cert, key) = common::certificates(dir);
    std::fs::copy(&ca, dir.join("hook-ca.pem")).expect("copy the CA");
    let script = r#"
import http.server, ssl, sys
port, cert, key, bodies, attempts = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5]
class Hook(http.server.BaseHTTPRequestHandler):
    calls = 0
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Hook.calls += 1
        with open(attempts, "a") as f:
            f.write(self.headers.get("Authorization", "") + "\n")
        if Hook.calls == 1:
            self.send_response(503); self.end_headers(); return
        with open(bodies, "ab") as f:
            f.write(body + b"\n")
        self.send_response(200); self.end_headers(); self.wfile.write(b"ok")
    def log_message(self, *a):
        pass
server = http.server.HTTPServer(("127.0.0.1", port), Hook)
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()
"#;
    let child = Command::new("python3")
        .arg("-c")
        .arg(script)
        .arg(port.to_string())
        .arg(&cert)
        .arg(&key)
        .arg(dir.join("bodies.jsonl"))
        .arg(dir.join("attempts.txt"))
        .stdout(Stdio::null())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("start the webhook server");
    common::wait_listening(port, "the webhook server");
    Running(child)
}

#[test]
fn new_findings_alert_once_on_every_output_and_a_rate_limit_holds_the_rest() {
    for (tool, package) in [("openssl", "openssl"), ("python3", "python3")] {
        require(tool, package);
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let capture = simulate(d);

    let udp = UdpSocket::bind("127.0.0.1:0").expect("bind udp");
    udp.set_read_timeout(Some(Duration::from_millis(300)))
        .expect("timeout");
    let tcp = TcpListener::bind("127.0.0.1:0").expect("bind tcp");
    let tcp_port = tcp.local_addr().expect("addr").port();
    let tcp_reader = std::thread::spawn(move || {
        let mut all = String::new();
        if let Ok((mut s, _)) = tcp.accept() {
            let _ = s.read_to_string(&mut all);
        }
        all
    });
    let hook_port = free_port();
    let _hook = webhook_server(d, hook_port);

    let alerts = d.join("alerts.jsonl");
    let config = d.join("wardline.toml");
    std::fs::write(
        &config,
        format!(
            "[serve]\npublic_url = \"https://wardline.example.org:8443/\"\n\
             [alerts]\nmin_severity = \"medium\"\n\
             [[alerts.outputs]]\ntype = \"jsonl\"\npath = \"{}\"\n\
             [[alerts.outputs]]\ntype = \"syslog\"\naddress = \"udp://{}\"\n\
             [[alerts.outputs]]\ntype = \"syslog\"\naddress = \"tcp://127.0.0.1:{tcp_port}\"\n\
             format = \"json\"\nfacility = \"local3\"\n\
             [[alerts.outputs]]\ntype = \"webhook\"\nurl = \"https://localhost:{hook_port}/hook\"\n\
             ca_cert = \"{}\"\ntoken_env = \"WARDLINE_TEST_WEBHOOK_TOKEN\"\n",
            alerts.display(),
            udp.local_addr().expect("addr"),
            d.join("hook-ca.pem").display(),
        ),
    )
    .expect("write config");
    let db = d.join("w.db");
    analyze(&capture, &db, &config);

    let (pairs, ids) = stored(&db);
    assert!(
        pairs.iter().any(|(k, _)| k == "cleartext_credentials"),
        "the injected credentials make a finding: {pairs:?}"
    );
    // JSON lines: one alert per (kind, device), each naming a stored finding and linking it.
    let lines = jsonl(&alerts);
    let alerted: BTreeSet<(String, String)> = lines
        .iter()
        .map(|a| {
            let id = a["finding"]["id"].as_str().expect("finding id");
            assert!(ids.contains(id), "{id} is a stored finding");
            assert_eq!(
                a["finding"]["url"],
                format!("https://wardline.example.org:8443/findings/{id}")
            );
            assert_eq!(a["status"], "new");
            assert_eq!(a["source"], "analyze");
            assert!(a.get("evidence").is_none() && a["finding"].get("evidence").is_none());
            (
                a["finding"]["kind"].as_str().expect("kind").to_owned(),
                a["device"]["id"].as_str().expect("device").to_owned(),
            )
        })
        .collect();
    assert_eq!(
        lines.len(),
        alerted.len(),
        "no (kind, device) alerted twice"
    );
    assert_eq!(
        alerted, pairs,
        "every new finding of medium or more alerted"
    );

    // Syslog over UDP: RFC 5424 with CEF, local0, one datagram per alert.
    let mut datagrams = Vec::new();
    let mut buf = [0u8; 65536];
    while let Ok(n) = udp.recv(&mut buf) {
        datagrams.push(String::from_utf8_lossy(&buf[..n]).into_owned());
    }
    assert_eq!(datagrams.len(), lines.len(), "{datagrams:?}");
    for (m, a) in datagrams.iter().zip(&lines) {
        let pri = match a["finding"]["severity"].as_str() {
            Some("critical") => 16 * 8 + 2,
            Some("high") => 16 * 8 + 3,
            _ => 16 * 8 + 4,
        };
        assert!(m.starts_with(&format!("<{pri}>1 ")), "{m}");
        let id = a["finding"]["id"].as_str().expect("id");
        assert!(
            m.contains(" wardline ") && m.contains("CEF:0|wardline|wardline|"),
            "{m}"
        );
        assert!(m.contains(&format!("cs1Label=findingId cs1={id}")), "{m}");
    }

    // Syslog over TCP: octet-counted frames (RFC 6587), JSON messages, local3. The sender's
    // connection closes when analyze exits.
    let stream = tcp_reader.join().expect("tcp reader");
    let mut rest = stream.as_str();
    let mut framed = Vec::new();
    while !rest.is_empty() {
        let (len, tail) = rest.split_once(' ').expect("a length and a space");
        let len: usize = len.parse().expect("an octet count");
        framed.push(&tail[..len]);
        rest = &tail[len..];
    }
    assert_eq!(framed.len(), lines.len());
    for m in &framed {
        assert!(m.starts_with("<"), "{m}");
        let pri: u32 = m[1..m.find('>').expect(">")].parse().expect("pri");
        assert_eq!(pri / 8, 19, "local3: {m}");
        let json = &m[m.find(" - {").expect("a JSON message") + 3..];
        let v: serde_json::Value = serde_json::from_str(json).expect("JSON");
        assert_eq!(v["event_type"], "alert");
    }

    // The webhook: refused once with 503, so one more attempt than alerts; every alert
    // delivered with the bearer token from the environment.
    let bodies = jsonl(&d.join("bodies.jsonl"));
    assert_eq!(bodies.len(), lines.len());
    let attempts = std::fs::read_to_string(d.join("attempts.txt")).expect("attempts");
    assert_eq!(attempts.lines().count(), lines.len() + 1);
    assert!(
        attempts.lines().all(|l| l == "Bearer hook-token-123"),
        "{attempts}"
    );

    // The same capture again: nothing new, nothing alerted.
    analyze(&capture, &db, &config);
    assert_eq!(
        jsonl(&alerts).len(),
        lines.len(),
        "no alert for known findings"
    );

    // A rate limit of two a minute on a fresh store: two alerts, then one for the rest.
    let limited = d.join("limited.jsonl");
    let config = d.join("limited.toml");
    std::fs::write(
        &config,
        format!(
            "[alerts]\nmax_per_minute = 2\n[[alerts.outputs]]\ntype = \"jsonl\"\npath = \"{}\"\n",
            limited.display()
        ),
    )
    .expect("write config");
    analyze(&capture, &d.join("limited.db"), &config);
    let limited = jsonl(&limited);
    assert_eq!(limited.len(), 3, "{limited:?}");
    assert_eq!(limited[2]["status"], "suppressed");
    assert_eq!(
        limited[2]["suppressed"].as_u64(),
        Some(pairs.len() as u64 - 2)
    );
    assert!(
        limited[0]["finding"].get("url").is_none(),
        "no console URL configured"
    );
}

#[test]
fn a_bad_alert_output_is_an_error_naming_the_file_and_entry() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = dir.path().join("bad.toml");
    std::fs::write(
        &config,
        "[[alerts.outputs]]\ntype = \"webhook\"\nurl = \"http://siem.example.org/hook\"\n",
    )
    .expect("write");
    let out = wardline()
        .args(["analyze", "--no-progress", "--format", "json", "--db"])
        .arg(dir.path().join("x.db"))
        .arg("--config")
        .arg(&config)
        .arg(common::corpus().join("arkime/tests/pcap/wireshark-dhcp.pcap"))
        .output()
        .expect("run");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("bad.toml") && err.contains("#1") && err.contains("HTTPS only"),
        "{err}"
    );
}
