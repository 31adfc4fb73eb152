//! `wardline analyze --db`: devices land in the encrypted store; re-running merges.

mod common;

use std::os::unix::fs::PermissionsExt;

use common::{corpus, wardline};

fn analyze_into(db: &std::path::Path, capture: &std::path::Path) -> std::process::Output {
    wardline()
        .args(["analyze", "--format", "json", "--no-progress", "--db"])
        .arg(db)
        .arg(capture)
        .output()
        .expect("run wardline")
}

#[test]
fn rerun_on_same_db_merges_and_the_file_is_encrypted() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("wardline.db");
    let capture = corpus().join("arkime/tests/pcap/wireshark-dhcp.pcap");

    let first = analyze_into(&db, &capture);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let stderr = String::from_utf8_lossy(&first.stderr);
    assert!(stderr.contains("new"), "{stderr}");

    // The key file was created 0600 beside the database.
    let key = dir.path().join("wardline.db.key");
    let mode = std::fs::metadata(&key)
        .expect("key file")
        .permissions()
        .mode()
        & 0o777;
    assert_eq!(mode, 0o600);

    let second = analyze_into(&db, &capture);
    assert!(second.status.success());
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.contains(" 0 new"),
        "second run must not add devices: {stderr}"
    );
    assert!(stderr.contains("merged, not double-counted"), "{stderr}");

    // Nothing readable in the file without the key.
    let bytes = std::fs::read(&db).expect("db");
    assert!(!bytes.starts_with(b"SQLite format 3\0"));
    let json: serde_json::Value = serde_json::from_slice(&first.stdout).expect("json");
    for d in json["devices"].as_array().expect("devices") {
        let id = d["id"].as_str().expect("id");
        assert!(
            !bytes.windows(id.len()).any(|w| w == id.as_bytes()),
            "device id {id} readable in the database file"
        );
    }

    // A wrong key is refused with a clear message.
    let wrong = wardline()
        .env("WARDLINE_DB_KEY", "00".repeat(32))
        .args(["analyze", "--format", "json", "--no-progress", "--db"])
        .arg(&db)
        .arg(&capture)
        .output()
        .expect("run");
    assert_eq!(wrong.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&wrong.stderr).contains("wrong key"));
}
