//! Differential test of the application-layer fields against tshark's dissectors, on every
//! corpus capture whose manifest lists the protocol: for each file, the set of values wardline's
//! events carry must equal the set tshark extracts.
//!
//! Known, documented differences (counted, printed, and bounded by the thresholds below):
//! - tshark dissects some protocols only on their registered ports, while wardline probes by
//!   content on any port: a value only wardline has on a non-standard port is not an error
//!   (reported as `wardline_only`).
//! - wardline reassembles the first 64 KiB per direction and stops a flow once its parser is
//!   done; a value tshark finds late in a long flow can be missing (`tshark_only`).
//! - Strings over 256 bytes are cut by wardline (marked `…`): compared on the kept prefix.
//! - Flows whose start was not captured (no ClientHello) give tshark a ServerHello without
//!   JA3; both sides then agree on nothing to compare.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{corpus, manifest, parallel, require, wardline};

/// One compared field: the manifest protocol that selects captures, tshark's field, and the
/// path to the same value in wardline's events (event_type, then keys).
struct Field {
    manifest_protocol: &'static str,
    tshark: &'static str,
    event: &'static [&'static str],
}

const FIELDS: &[Field] = &[
    Field {
        manifest_protocol: "tls",
        tshark: "tls.handshake.extensions_server_name",
        event: &["tls", "sni"],
    },
    Field {
        manifest_protocol: "tls",
        tshark: "tls.handshake.ja3",
        event: &["tls", "ja3", "hash"],
    },
    Field {
        manifest_protocol: "tls",
        tshark: "tls.handshake.ja3s",
        event: &["tls", "ja3s", "hash"],
    },
    Field {
        manifest_protocol: "http",
        tshark: "http.user_agent",
        event: &["http", "http_user_agent"],
    },
    Field {
        manifest_protocol: "http",
        tshark: "http.server",
        event: &["http", "server"],
    },
    Field {
        manifest_protocol: "mqtt",
        tshark: "mqtt.clientid",
        event: &["mqtt", "connect", "client_id"],
    },
    Field {
        manifest_protocol: "lldp",
        tshark: "lldp.tlv.system.name",
        event: &["lldp", "system_name"],
    },
    Field {
        manifest_protocol: "cdp",
        tshark: "cdp.deviceid",
        event: &["cdp", "device_id"],
    },
];

/// Files per protocol compared at most (the corpus has hundreds of TLS captures; the slowest
/// part is tshark).
const MAX_FILES_PER_PROTOCOL: usize = 120;

fn files_with(protocol: &str) -> Vec<PathBuf> {
    let root = corpus();
    let mut files: Vec<PathBuf> = manifest()
        .into_iter()
        .filter(|row| {
            row.get("read_error").is_some_and(String::is_empty)
                && row
                    .get("protocols")
                    .is_some_and(|p| p.split(',').any(|x| x == protocol))
                && row.get("bytes").and_then(|b| b.parse::<u64>().ok()) < Some(4_000_000)
        })
        .filter_map(|row| row.get("path").map(|p| root.join(p)))
        .collect();
    files.sort();
    files.truncate(MAX_FILES_PER_PROTOCOL);
    files
}

/// Comparable form: trimmed, and cut where wardline cuts (256 bytes, `…` marked).
fn comparable(v: &str) -> String {
    let v = v.trim();
    match v.strip_suffix('\u{2026}') {
        Some(prefix) => prefix.to_owned(),
        None => v.to_owned(),
    }
}

fn tshark_values(path: &Path, field: &str) -> BTreeSet<String> {
    let out = Command::new("tshark")
        .args(["-n", "-r"])
        .arg(path)
        .args(["-T", "json", "-e", field])
        .output()
        .expect("run tshark");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let mut values = BTreeSet::new();
    for packet in json.as_array().into_iter().flatten() {
        let layer = &packet["_source"]["layers"][field];
        for v in layer.as_array().into_iter().flatten() {
            if let Some(s) = v.as_str() {
                values.insert(comparable(s));
            }
        }
    }
    values
}

fn wardline_events(path: &Path) -> Vec<serde_json::Value> {
    let dir = tempfile::tempdir().expect("tempdir");
    let events = dir.path().join("events.jsonl");
    let out = wardline()
        .arg("analyze")
        .arg(path)
        .args(["--format", "json", "--no-progress", "--events"])
        .arg(&events)
        .output()
        .expect("run wardline");
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}: wardline failed: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(&events)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("every event line is JSON"))
        .collect()
}

fn event_values(events: &[serde_json::Value], path: &[&str]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for e in events {
        if e["event_type"] != path[0] {
            continue;
        }
        let mut v = &e[path[0]];
        for key in &path[1..] {
            v = &v[*key];
        }
        if let Some(s) = v.as_str() {
            out.insert(comparable(s));
        }
    }
    out
}

#[derive(Default, Debug)]
struct Tally {
    files: usize,
    equal_files: usize,
    agreed: usize,
    tshark_only: Vec<String>,
    wardline_only: Vec<String>,
}

#[test]
fn application_fields_agree_with_tshark() {
    require("tshark", "tshark");
    let mut tallies: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut protocols: Vec<&str> = FIELDS.iter().map(|f| f.manifest_protocol).collect();
    protocols.dedup();
    for protocol in protocols {
        let files = files_with(protocol);
        let fields: Vec<&Field> = FIELDS
            .iter()
            .filter(|f| f.manifest_protocol == protocol)
            .collect();
        let results = parallel(&files, |path| {
            let events = wardline_events(path);
            fields
                .iter()
                .map(|f| {
                    (
                        f.tshark,
                        tshark_values(path, f.tshark),
                        event_values(&events, f.event),
                    )
                })
                .collect::<Vec<_>>()
        });
        for (path, per_field) in files.iter().zip(results) {
            for (field, theirs, ours) in per_field {
                let t = tallies.entry(field).or_default();
                if theirs.is_empty() && ours.is_empty() {
                    continue;
                }
                t.files += 1;
                if theirs == ours {
                    t.equal_files += 1;
                }
                t.agreed += theirs.intersection(&ours).count();
                let name = path.strip_prefix(corpus()).unwrap_or(path).display();
                for v in theirs.difference(&ours) {
                    t.tshark_only.push(format!("{name}: {v:?}"));
                }
                for v in ours.difference(&theirs) {
                    t.wardline_only.push(format!("{name}: {v:?}"));
                }
            }
        }
    }
    let mut failures = Vec::new();
    for (field, t) in &tallies {
        let theirs = t.agreed + t.tshark_only.len();
        let ours = t.agreed + t.wardline_only.len();
        let recall = t.agreed as f64 / theirs.max(1) as f64;
        let precision = t.agreed as f64 / ours.max(1) as f64;
        eprintln!(
            "{field}: {} files, {} identical; {} values agreed, recall {recall:.3}, precision {precision:.3}",
            t.files, t.equal_files, t.agreed
        );
        for d in t.tshark_only.iter().take(8) {
            eprintln!("  tshark only: {d}");
        }
        for d in t.wardline_only.iter().take(8) {
            eprintln!("  wardline only: {d}");
        }
        // Thresholds: the documented differences above, nothing more.
        if recall < 0.9 || precision < 0.9 {
            failures.push(format!(
                "{field}: recall {recall:.3}, precision {precision:.3}"
            ));
        }
    }
    for f in FIELDS {
        let t = tallies.get(f.tshark);
        assert!(
            t.is_some_and(|t| t.agreed > 0),
            "{}: no value of this field was compared: the corpus selection or the parser is broken",
            f.tshark
        );
    }
    assert!(failures.is_empty(), "disagreements with tshark: {failures:#?}");
}
