//! `wardline users` and `wardline audit` (issue: console and API): accounts added with a
//! password on standard input and a TOTP enrolment URI, listed without secrets, disabled and
//! reset, every change in the hash-chained audit log; `audit verify` finds an entry edited,
//! removed or reordered in the real (SQLCipher) database, naming it.

mod common;

use std::io::Write;
use std::path::Path;
use std::process::{Output, Stdio};

use common::wardline;

const DB_KEY: &str = "7573657273546573744b6579466f725468697354657374496e76656e74656421";

fn run(args: &[&str], stdin: Option<&str>) -> Output {
    let mut child = wardline()
        .env("WARDLINE_DB_KEY", DB_KEY)
        .env("USER", "tester")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run wardline");
    {
        let mut input = child.stdin.take().expect("stdin");
        if let Some(text) = stdin {
            input.write_all(text.as_bytes()).expect("write stdin");
        }
    }
    child.wait_with_output().expect("wait")
}

fn ok(out: &Output) -> String {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The database opened as the store opens it (SQLCipher raw key), to tamper with it.
fn raw(db: &Path) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(db).expect("open");
    conn.execute_batch(&format!("PRAGMA key = \"x'{DB_KEY}'\";"))
        .expect("key");
    conn
}

fn verify(db: &str) -> (bool, String) {
    let out = run(&["audit", "verify", "--db", db], None);
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn accounts_are_added_listed_and_changed_and_every_change_is_audited() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.db");
    let db = db.to_str().unwrap();
    let password = "correct horse battery staple";
    let uri = ok(&run(
        &[
            "users",
            "add",
            "ann",
            "--role",
            "admin",
            "--db",
            db,
            "--password-stdin",
            "--enroll-totp",
        ],
        Some(&format!("{password}\n")),
    ));
    assert!(
        uri.starts_with("otpauth://totp/wardline:ann?secret="),
        "{uri}"
    );
    ok(&run(
        &[
            "users",
            "add",
            "bob",
            "--role",
            "biomed",
            "--db",
            db,
            "--password-stdin",
        ],
        Some("nurse station pumps east wing\n"),
    ));
    // Refusals: a common password, a taken name, an unknown role, no password at all.
    let weak = run(
        &[
            "users",
            "add",
            "carl",
            "--role",
            "analyst",
            "--db",
            db,
            "--password-stdin",
        ],
        Some("password123456\n"),
    );
    assert!(!weak.status.success());
    let err = String::from_utf8_lossy(&weak.stderr);
    assert!(
        err.contains("password refused") && !err.contains("password123456"),
        "{err}"
    );
    assert!(
        !run(
            &[
                "users",
                "add",
                "ANN",
                "--role",
                "admin",
                "--db",
                db,
                "--password-stdin"
            ],
            Some("another good passphrase\n")
        )
        .status
        .success()
    );
    assert!(
        !run(
            &[
                "users",
                "add",
                "dan",
                "--role",
                "root",
                "--db",
                db,
                "--password-stdin"
            ],
            Some("another good passphrase\n")
        )
        .status
        .success()
    );
    assert!(
        !run(
            &["users", "add", "dan", "--role", "admin", "--db", db],
            None
        )
        .status
        .success()
    );

    let list: serde_json::Value = serde_json::from_str(&ok(&run(
        &["users", "list", "--db", db, "--format", "json"],
        None,
    )))
    .unwrap();
    let text = list.to_string();
    assert!(
        !text.contains(password) && !text.contains("argon2") && !text.contains("secret"),
        "{text}"
    );
    assert_eq!(list[0]["name"], "ann");
    assert_eq!(
        (list[0]["totp"].as_bool(), list[1]["totp"].as_bool()),
        (Some(true), Some(false))
    );

    ok(&run(&["users", "reset-mfa", "ann", "--db", db], None));
    ok(&run(&["users", "disable", "bob", "--db", db], None));
    let list: serde_json::Value = serde_json::from_str(&ok(&run(
        &["users", "list", "--db", db, "--format", "json"],
        None,
    )))
    .unwrap();
    assert_eq!(list[0]["totp"], false);
    assert_eq!(list[1]["disabled"], true);

    // The stored password is an argon2id hash; nothing in the file is readable without the key.
    let hash: String = raw(Path::new(db))
        .query_row(
            "SELECT password_hash FROM users WHERE name = 'ann'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(hash.starts_with("$argon2id$"));
    let bytes = std::fs::read(db).unwrap();
    for plain in [&b"user.add"[..], b"$argon2id$", b"otpauth"] {
        assert!(
            !bytes.windows(plain.len()).any(|w| w == plain),
            "{} readable in the file",
            String::from_utf8_lossy(plain)
        );
    }

    let log: serde_json::Value = serde_json::from_str(&ok(&run(
        &["audit", "list", "--db", db, "--format", "json"],
        None,
    )))
    .unwrap();
    let actions: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(
        actions,
        ["user.add", "user.add", "user.reset_mfa", "user.disable"]
    );
    assert_eq!(log[0]["actor"], "cli:tester");
    assert!(!log.to_string().contains(password));
    let (intact, said) = verify(db);
    assert!(intact, "{said}");
    assert!(said.contains("intact (4 entries)"), "{said}");
}

#[test]
fn audit_verify_names_an_edited_removed_or_reordered_entry() {
    let dir = tempfile::tempdir().unwrap();
    let fresh = |name: &str| {
        let db = dir.path().join(name);
        let s = db.to_str().unwrap().to_string();
        for user in ["u1", "u2", "u3", "u4"] {
            ok(&run(
                &[
                    "users",
                    "add",
                    user,
                    "--role",
                    "auditor",
                    "--db",
                    &s,
                    "--password-stdin",
                ],
                Some("long enough passphrase here\n"),
            ));
        }
        assert!(verify(&s).0);
        (db, s)
    };
    // Edited: entry 2 now claims another name.
    let (db, s) = fresh("edit.db");
    raw(&db)
        .execute("UPDATE audit_log SET details = '{\"name\":\"mallory\",\"role\":\"admin\",\"password\":true,\"totp\":false}' WHERE seq = 2", [])
        .unwrap();
    let (intact, said) = verify(&s);
    assert!(
        !intact && said.contains("audit entry 2") && said.contains("edited"),
        "{said}"
    );
    // Removed: entry 3 deleted.
    let (db, s) = fresh("remove.db");
    raw(&db)
        .execute("DELETE FROM audit_log WHERE seq = 3", [])
        .unwrap();
    let (intact, said) = verify(&s);
    assert!(!intact && said.contains("audit entry 3"), "{said}");
    // Reordered: entries 2 and 3 swapped in place.
    let (db, s) = fresh("reorder.db");
    raw(&db)
        .execute_batch(
            "UPDATE audit_log SET seq = -2 WHERE seq = 2;
             UPDATE audit_log SET seq = 2 WHERE seq = 3;
             UPDATE audit_log SET seq = 3 WHERE seq = -2;",
        )
        .unwrap();
    let (intact, said) = verify(&s);
    assert!(!intact && said.contains("audit entry 2"), "{said}");
    // The tail cut: the last entry deleted.
    let (db, s) = fresh("tail.db");
    raw(&db)
        .execute("DELETE FROM audit_log WHERE seq = 4", [])
        .unwrap();
    let (intact, said) = verify(&s);
    assert!(!intact && said.contains("audit entry 4"), "{said}");
}
