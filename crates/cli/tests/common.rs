//! Shared helpers for the end-to-end tests: run the real `wardline` binary on corpus files.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The shared capture corpus, read in place (never copied into the repo).
pub fn corpus() -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    root.canonicalize().unwrap_or_else(|_| {
        panic!(
            "the capture corpus is missing at {}: these tests read ../shared/corpus beside the repo",
            root.display()
        )
    })
}

pub fn wardline() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_wardline"));
    cmd.env("SOURCE_DATE_EPOCH", "1800000000");
    cmd.env_remove("WARDLINE_DB_KEY");
    cmd
}

/// Runs `wardline analyze --format json` on `files` and returns (output, parsed JSON).
pub fn analyze_json(files: &[&Path], extra: &[&str]) -> (Output, serde_json::Value) {
    let out = wardline()
        .arg("analyze")
        .args(files)
        .args(["--format", "json", "--no-progress"])
        .args(extra)
        .output()
        .expect("run wardline");
    let json = serde_json::from_slice(&out.stdout).unwrap_or_else(|e| {
        panic!(
            "wardline printed no JSON for {files:?} ({e}); stderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out, json)
}

/// A required external tool; absent → the test fails saying how to install it.
pub fn require(tool: &str, package: &str) {
    let found = Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|o| o.status.success());
    assert!(
        found,
        "{tool} is required by this test: install it with `apt-get install -y {package}` (bash .ci/run does)"
    );
}

/// Rows of the corpus manifest as maps column → value.
pub fn manifest() -> Vec<std::collections::HashMap<String, String>> {
    let text = std::fs::read_to_string(corpus().join("MANIFEST.tsv")).expect("MANIFEST.tsv");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split('\t').collect();
    lines
        .map(|l| {
            header
                .iter()
                .zip(l.split('\t'))
                .map(|(h, v)| ((*h).to_owned(), v.to_owned()))
                .collect()
        })
        .collect()
}

/// Runs `f` over `items` on all cores, collecting failures.
pub fn parallel<T: Sync, R: Send>(items: &[T], f: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(2, |n| n.get());
    let next = std::sync::atomic::AtomicUsize::new(0);
    let results = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                    let Some(item) = items.get(i) else { break };
                    let r = f(item);
                    results.lock().expect("lock").push((i, r));
                }
            });
        }
    });
    let mut results = results.into_inner().expect("lock");
    results.sort_by_key(|(i, _)| *i);
    results.into_iter().map(|(_, r)| r).collect()
}

/// A time as tshark prints an X.509 UTCTime (`2026-12-06 20:54:40 (UTC)`) in EVE's form
/// (`2026-12-06T20:54:40`).
pub fn tshark_time_as_eve(v: &str) -> String {
    v.trim_end_matches(" (UTC)").replacen(' ', "T", 1)
}

/// A child process killed (and reaped) when dropped: a server a test started.
#[derive(Debug)]
pub struct Running(pub std::process::Child);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A TCP port free on 127.0.0.1 now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Waits until something listens on 127.0.0.1:`port` (at most 20 s); `what` names it.
pub fn wait_listening(port: u16, what: &str) {
    let start = std::time::Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < std::time::Duration::from_secs(20),
            "{what} did not listen on port {port}"
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// Runs `wardline ARGS` with database key `key` and `stdin`; fails the test unless it
/// succeeds; returns its standard output.
pub fn run_keyed(key: &str, args: &[&str], stdin: &str) -> String {
    use std::io::Write;
    use std::process::Stdio;
    let mut child = wardline()
        .env("WARDLINE_DB_KEY", key)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run wardline");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `cmd`; fails the test with its stderr unless it succeeds.
pub fn run_ok(cmd: &mut Command) {
    let out = cmd.output().expect("run");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// A CA, and a certificate for 127.0.0.1 it signs: (CA PEM, leaf certificate, leaf key).
pub fn certificates(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let p = |n: &str| dir.join(n);
    run_ok(
        Command::new("openssl")
            .args([
                "req",
                "-x509",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-days",
                "2",
                "-subj",
                "/CN=wardline test CA",
                "-keyout",
            ])
            .arg(p("ca.key"))
            .arg("-out")
            .arg(p("ca.pem")),
    );
    run_ok(
        Command::new("openssl")
            .args([
                "req",
                "-newkey",
                "rsa:2048",
                "-nodes",
                "-subj",
                "/CN=localhost",
                "-keyout",
            ])
            .arg(p("leaf.key"))
            .arg("-out")
            .arg(p("leaf.csr")),
    );
    std::fs::write(
        p("leaf.cnf"),
        "[leaf]\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nbasicConstraints=CA:FALSE\n",
    )
    .expect("write the certificate extensions");
    run_ok(
        Command::new("openssl")
            .args([
                "x509",
                "-req",
                "-days",
                "2",
                "-CAcreateserial",
                "-extensions",
                "leaf",
                "-in",
            ])
            .arg(p("leaf.csr"))
            .arg("-CA")
            .arg(p("ca.pem"))
            .arg("-CAkey")
            .arg(p("ca.key"))
            .arg("-extfile")
            .arg(p("leaf.cnf"))
            .arg("-out")
            .arg(p("leaf.pem")),
    );
    (p("ca.pem"), p("leaf.pem"), p("leaf.key"))
}
