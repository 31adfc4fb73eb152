//! `wardline vulns update` against a real HTTPS server (`openssl s_server -WWW`, with a
//! certificate from a CA the test makes): a CSAF `index.txt` and its advisories, the KEV
//! catalog and a gzip-compressed EPSS file are fetched and imported; a missing advisory is an
//! error under its URL while the rest lands; the server's certificate is checked.

mod common;

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::{certificates, require, wardline};

fn advisories() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/advisories")
        .canonicalize()
        .expect("../shared/advisories beside the repo")
}

/// `openssl s_server -WWW` serving `root` on a free port; killed on drop.
struct Server {
    child: Child,
    port: u16,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(root: &Path, cert: &Path, key: &Path) -> Server {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let child = Command::new("openssl")
        .args(["s_server", "-WWW", "-quiet", "-accept"])
        .arg(format!("127.0.0.1:{port}"))
        .arg("-cert")
        .arg(cert)
        .arg("-key")
        .arg(key)
        .current_dir(root)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start openssl s_server");
    let server = Server { child, port };
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "openssl s_server did not listen"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    server
}

fn update(db: &Path, args: &[&str]) -> (std::process::Output, serde_json::Value) {
    let out = wardline()
        .args(["vulns", "update", "--format", "json", "--db"])
        .arg(db)
        .args(args)
        .output()
        .expect("run wardline");
    let json = serde_json::from_slice(&out.stdout).unwrap_or(serde_json::Value::Null);
    (out, json)
}

#[test]
fn online_sources_are_fetched_over_https_and_imported() {
    require("openssl", "openssl");
    require("gzip", "gzip");
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = certificates(dir.path());
    // The feed: two real ICSMA advisories behind an index that also names a missing one, the
    // real KEV catalog, and an EPSS file in FIRST's format, gzip-compressed as FIRST serves it.
    let root = dir.path().join("www");
    let csaf = advisories().join("csaf/csaf_files/OT/white/2024");
    let mut names: Vec<String> = std::fs::read_dir(&csaf)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("icsma") && n.ends_with(".json"))
        .collect();
    names.sort();
    names.truncate(2);
    std::fs::create_dir_all(root.join("csaf/2024")).unwrap();
    for n in &names {
        std::fs::copy(csaf.join(n), root.join("csaf/2024").join(n)).unwrap();
    }
    let index: String = names
        .iter()
        .map(|n| format!("2024/{n}\n"))
        .chain(["2024/icsma-99-999-99.json\n".to_string()])
        .collect();
    std::fs::write(root.join("csaf/index.txt"), index).unwrap();
    std::fs::copy(
        advisories().join("kev/known_exploited_vulnerabilities.json"),
        root.join("kev.json"),
    )
    .unwrap();
    std::fs::write(
        root.join("epss_scores-current.csv"),
        "#model_version:v2025.03.14,score_date:2025-08-25T00:00:00+0000\ncve,epss,percentile\nCVE-2021-44228,0.94358,0.99967\n",
    )
    .unwrap();
    common::run_ok(Command::new("gzip").arg(root.join("epss_scores-current.csv")));
    let server = serve(&root, &cert, &key);
    let base = format!("https://127.0.0.1:{}", server.port);
    let config = dir.path().join("wardline.toml");
    std::fs::write(
        &config,
        format!(
            "[vulns]\nsources = [\"{base}/csaf/index.txt\", \"{base}/kev.json\"]\nca_cert = {:?}\n",
            ca.display().to_string()
        ),
    )
    .unwrap();
    let db = dir.path().join("w.db");
    let epss = format!("{base}/epss_scores-current.csv.gz");
    let args = ["--config", config.to_str().unwrap(), "--source", &epss];
    let (out, report) = update(&db, &args);
    assert_eq!(out.status.code(), Some(1), "one fetch failed: {report}");
    assert_eq!(report["advisories"], 2, "{report}");
    assert_eq!(report["new"], 2, "{report}");
    assert!(
        report["kev"]["entries"].as_u64().unwrap() > 1000,
        "{report}"
    );
    assert_eq!(report["epss"]["scores"], 1, "{report}");
    let errors = report["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 1, "{report}");
    assert_eq!(
        errors[0]["file"],
        format!("{base}/csaf/2024/icsma-99-999-99.json")
    );
    // Again: nothing changes.
    let (_, again) = update(&db, &args);
    assert_eq!(again["unchanged"], 2, "{again}");
    // The server's certificate is checked: without the CA, nothing is fetched.
    let (out, refused) = update(&db, &["--source", &epss]);
    assert_eq!(out.status.code(), Some(1));
    let message = refused["errors"][0]["message"].as_str().unwrap_or_default();
    assert!(message.contains("certificate"), "{refused}");
    assert!(refused.get("epss").is_none(), "{refused}");
    drop(server);
}

#[test]
fn no_source_is_a_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let (out, _) = update(&dir.path().join("w.db"), &[]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("no online source configured"), "{err}");
    let (out, _) = update(
        &dir.path().join("w.db"),
        &["--source", "http://user:secret@127.0.0.1:9/kev.json"],
    );
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("only https://") && !err.contains("secret"),
        "{err}"
    );
}
