//! Every capture in the corpus — thousands of files, some deliberately broken — and broken
//! variants generated from them (truncations, bit flips) is either analysed or rejected with
//! a clear error naming the file and the byte offset. Nothing panics.

mod common;

use std::path::{Path, PathBuf};
use std::process::Output;

use common::{corpus, parallel, wardline};

fn all_captures() -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut stack = vec![corpus()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("read corpus dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
            } else if matches!(
                path.extension().and_then(|e| e.to_str()),
                Some("pcap" | "pcapng" | "cap")
            ) {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// Checks one run: success, or exit 1 with an error that names the file (and, for a damaged
/// file, where). Returns a description of what went wrong.
fn judge(path: &Path, out: &Output) -> Result<bool, String> {
    let stderr = String::from_utf8_lossy(&out.stderr);
    match out.status.code() {
        Some(0) => Ok(true),
        Some(1) => {
            let name = path.display().to_string();
            if !stderr.contains(&name) {
                return Err(format!("{name}: error does not name the file: {stderr}"));
            }
            if stderr.contains("panicked") {
                return Err(format!("{name}: panic: {stderr}"));
            }
            // The report is still printed, with the packets before the error.
            let json: serde_json::Value = serde_json::from_slice(&out.stdout)
                .map_err(|e| format!("{name}: no report after an input error ({e})"))?;
            if json["inputs"][0]["error"].is_null() {
                return Err(format!("{name}: exit 1 but the report has no input error"));
            }
            Ok(false)
        }
        other => Err(format!(
            "{}: exit status {other:?} (a crash or panic): {stderr}",
            path.display()
        )),
    }
}

fn run(path: &Path) -> Output {
    wardline()
        .args(["analyze", "--format", "json", "--no-progress"])
        .arg(path)
        .output()
        .expect("run wardline")
}

#[test]
fn every_corpus_capture_is_analysed_or_rejected_clearly() {
    let files = all_captures();
    assert!(
        files.len() > 3000,
        "corpus looks incomplete: {} files",
        files.len()
    );
    let results = parallel(&files, |p| judge(p, &run(p)));
    let failures: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    let analysed = results.iter().filter(|r| matches!(r, Ok(true))).count();
    let rejected = results.iter().filter(|r| matches!(r, Ok(false))).count();
    eprintln!(
        "{} files: {analysed} analysed, {rejected} rejected with an error",
        files.len()
    );
    assert!(
        failures.is_empty(),
        "{} failures:\n{:#?}",
        failures.len(),
        failures
    );
    // The corpus holds a handful of truly broken files (MANIFEST read_error), not hundreds.
    assert!(rejected < 60, "too many rejected files: {rejected}");
}

/// A small deterministic PRNG (xorshift64*), so generated damage is the same on every run.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
}

#[test]
fn truncated_and_bit_flipped_captures_never_panic() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut files = all_captures();
    // Every 25th capture, so the sample spans all sources, link types and formats.
    files.retain(|p| std::fs::metadata(p).is_ok_and(|m| m.len() < 200_000));
    let sample: Vec<PathBuf> = files.iter().step_by(25).cloned().collect();
    let mut rng = Rng(0x5eed_cafe_f00d_0001);
    let mut variants = Vec::new();
    for (i, src) in sample.iter().enumerate() {
        let bytes = std::fs::read(src).expect("read");
        if bytes.len() < 32 {
            continue;
        }
        let ext = src.extension().and_then(|e| e.to_str()).unwrap_or("pcap");
        // Truncations: inside the header, and at three pseudo-random points.
        let mut cuts = vec![10, 30];
        cuts.extend((0..3).map(|_| (rng.next() as usize) % bytes.len()));
        for (j, cut) in cuts.into_iter().enumerate() {
            let p = dir.path().join(format!("{i}-cut{j}.{ext}"));
            std::fs::write(&p, &bytes[..cut.min(bytes.len())]).expect("write");
            variants.push(p);
        }
        // Bit flips: 1, 8 and 64 random bits, past the file header (flipping the magic only
        // tests the magic check).
        for (j, flips) in [1, 8, 64].into_iter().enumerate() {
            let mut damaged = bytes.clone();
            for _ in 0..flips {
                let at = 24 + (rng.next() as usize) % (damaged.len() - 24);
                damaged[at] ^= 1 << (rng.next() % 8);
            }
            let p = dir.path().join(format!("{i}-flip{j}.{ext}"));
            std::fs::write(&p, &damaged).expect("write");
            variants.push(p);
        }
    }
    assert!(variants.len() > 500, "only {} variants", variants.len());
    let results = parallel(&variants, |p| judge(p, &run(p)));
    let failures: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(
        failures.is_empty(),
        "{} failures:\n{:#?}",
        failures.len(),
        failures
    );
    let rejected = results.iter().filter(|r| matches!(r, Ok(false))).count();
    assert!(
        rejected > 0,
        "no damaged file was rejected: the damage is not reaching the reader"
    );
}

#[test]
fn truncated_capture_error_names_file_offset_and_keeps_earlier_packets() {
    let src = corpus().join("arkime/tests/pcap/wireshark-dhcp.pcap");
    let bytes = std::fs::read(&src).expect("read");
    let dir = tempfile::tempdir().expect("tempdir");
    let cut = dir.path().join("cut.pcap");
    std::fs::write(&cut, &bytes[..bytes.len() - 10]).expect("write");
    let out = run(&cut);
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains(&cut.display().to_string()), "{stderr}");
    assert!(stderr.contains("byte"), "offset missing: {stderr}");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert_eq!(
        json["inputs"][0]["packets"], 3,
        "the 3 complete packets were analysed"
    );
    assert!(json["devices"].as_array().is_some_and(|d| !d.is_empty()));
}
