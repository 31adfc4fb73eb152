//! The same input gives the same report, byte for byte: every run of the process hashes with
//! new random keys (and reads the files mapped or with read(2)), so any choice that follows hash-map order (which services a device keeps
//! when it has more than the cap, say) would show here as a difference between runs.

mod common;

use std::path::PathBuf;

use common::{analyze_json, corpus};

#[test]
fn same_captures_same_report() {
    let dir = corpus().join("nDPI/tests/cfgs/default/pcap");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "pcap" || e == "pcapng"))
        .collect();
    files.sort();
    assert!(
        files.len() > 100,
        "expected the nDPI captures in {}",
        dir.display()
    );
    let paths: Vec<&std::path::Path> = files.iter().map(PathBuf::as_path).collect();

    let (_, first) = analyze_json(&paths, &[]);
    // The test means something only if some device reached the per-device service cap.
    let cap = 64;
    let capped = first["devices"]
        .as_array()
        .expect("devices array")
        .iter()
        .filter(|d| d["services"].as_array().is_some_and(|s| s.len() == cap))
        .count();
    assert!(
        capped > 0,
        "no device reached {cap} services: pick a busier input"
    );

    // Run 3 reads the files with read(2) instead of mapping them: the same frames.
    for (run, extra) in [(2, &[][..]), (3, &["--no-mmap"][..])] {
        let (_, again) = analyze_json(&paths, extra);
        assert!(
            again == first,
            "run {run} ({extra:?}) differs from run 1 on the same {} captures",
            paths.len()
        );
    }
}
