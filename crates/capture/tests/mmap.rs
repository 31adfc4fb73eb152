//! The mmap path against the read(2) path, over real captures: with windows of a few KiB,
//! records and blocks straddle window ends all through each file, and every frame (time,
//! link type, interface, bytes, original length), the error that ends a damaged file, the
//! progress and the file-level answers must be the same as when the file is read with
//! read(2).

use std::io::Write;
use std::path::{Path, PathBuf};

use capture::{CaptureLimits, FileSource, LinkType, PacketSource, Progress};
use model::TsPrecision;

fn corpus() -> PathBuf {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
    assert!(
        dir.join("MANIFEST.tsv").is_file(),
        "test corpus missing at {}: the shared/ folder must sit beside the repository",
        dir.display()
    );
    dir
}

#[derive(Clone, PartialEq, Eq, Debug)]
struct Owned {
    ts: i64,
    link_type: LinkType,
    interface: u32,
    data: Vec<u8>,
    original_len: u32,
}

/// Everything one full read gives.
#[derive(PartialEq, Eq, Debug)]
struct Read {
    frames: Vec<Owned>,
    /// The error's message, offset and frames before it.
    error: Option<(String, u64, u64)>,
    progress: Progress,
    link_types: Vec<LinkType>,
    precision: TsPrecision,
}

fn read_with(path: &Path, map_window: usize) -> Read {
    let limits = CaptureLimits {
        map_window,
        ..CaptureLimits::default()
    };
    let mut src = match FileSource::open(path, limits) {
        Ok(s) => s,
        Err(e) => {
            return Read {
                frames: Vec::new(),
                error: Some((e.to_string(), e.offset(), e.frames_before())),
                progress: Progress::default(),
                link_types: Vec::new(),
                precision: TsPrecision::Micro,
            };
        }
    };
    assert_eq!(
        src.is_mapped(),
        map_window > 0,
        "{}: read through the expected path",
        path.display()
    );
    let mut frames = Vec::new();
    let error = loop {
        match src.next_frame() {
            Ok(Some(f)) => frames.push(Owned {
                ts: f.ts.0,
                link_type: f.link_type,
                interface: f.interface,
                data: f.data.to_vec(),
                original_len: f.original_len,
            }),
            Ok(None) => break None,
            Err(e) => break Some((e.to_string(), e.offset(), e.frames_before())),
        }
    };
    // No mapping failed on the way (that would silently test the read path instead).
    assert_eq!(src.is_mapped(), map_window > 0, "{}", path.display());
    Read {
        frames,
        error,
        progress: src.progress(),
        link_types: src.link_types(),
        precision: src.precision(),
    }
}

/// Reads `path` with read(2) and through windows of each size; all must agree.
fn check_same(path: &Path, windows: &[usize]) -> usize {
    let expected = read_with(path, 0);
    for &w in windows {
        let got = read_with(path, w);
        assert_eq!(
            got.frames.len(),
            expected.frames.len(),
            "{} window {w}: frame count",
            path.display()
        );
        for (i, (g, e)) in got.frames.iter().zip(&expected.frames).enumerate() {
            assert_eq!(g, e, "{} window {w}: frame {i}", path.display());
        }
        assert_eq!(got, expected, "{} window {w}", path.display());
    }
    expected.frames.len()
}

/// (path, bytes, read_error) of every capture in the manifest, sorted by path.
fn manifest() -> Vec<(String, u64, String)> {
    let text = std::fs::read_to_string(corpus().join("MANIFEST.tsv")).expect("manifest");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split('\t').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).expect(name);
    let (path, bytes, read_error) = (col("path"), col("bytes"), col("read_error"));
    let mut rows: Vec<(String, u64, String)> = lines
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let get = |i: usize| f.get(i).copied().unwrap_or("").to_string();
            (get(path), get(bytes).parse().unwrap_or(0), get(read_error))
        })
        .filter(|(p, _, _)| [".pcap", ".pcapng", ".cap"].iter().any(|e| p.ends_with(e)))
        .collect();
    rows.sort();
    rows
}

fn is_pcapng(path: &Path) -> bool {
    std::fs::read(path).is_ok_and(|b| b.starts_with(&[0x0a, 0x0d, 0x0d, 0x0a]))
}

/// Every `n`-th of `items`, at most `count` of them.
fn spread<T: Clone>(items: &[T], count: usize) -> Vec<T> {
    let step = (items.len() / count).max(1);
    items.iter().step_by(step).take(count).cloned().collect()
}

const WINDOWS: [usize; 3] = [4096, 8192, 3 * 4096];

#[test]
fn corpus_files_read_the_same_through_small_windows() {
    let root = corpus();
    let rows = manifest();
    // Files of several windows, so that many records straddle window ends.
    let big: Vec<PathBuf> = rows
        .iter()
        .filter(|(_, bytes, _)| *bytes > 64 * 1024)
        .map(|(p, _, _)| root.join(p))
        .collect();
    let (ng, classic): (Vec<PathBuf>, Vec<PathBuf>) = big.into_iter().partition(|p| is_pcapng(p));
    let mut files = spread(&ng, 20);
    files.extend(spread(&classic, 30));
    // And every file the manifest marks as damaged (truncated, oversized records).
    files.extend(
        rows.iter()
            .filter(|(_, _, err)| !err.is_empty())
            .map(|(p, _, _)| root.join(p)),
    );
    files.sort();
    files.dedup();
    assert!(files.len() >= 50, "only {} files", files.len());
    let pcapng = files.iter().filter(|p| is_pcapng(p)).count();
    assert!(pcapng >= 20, "only {pcapng} pcapng files");
    let mut frames = 0;
    for path in &files {
        frames += check_same(path, &WINDOWS);
    }
    assert!(frames > 10_000, "only {frames} frames compared");
}

#[test]
fn multi_section_pcapng_reads_the_same_through_small_windows() {
    // pcapng sections may be concatenated (pcapng §3.1): files made of two or three corpus
    // pcapng files, each section with its own interfaces, some ending in a cut block.
    let root = corpus();
    let ng: Vec<PathBuf> = manifest()
        .iter()
        .filter(|(_, bytes, err)| *bytes > 16 * 1024 && err.is_empty())
        .map(|(p, _, _)| root.join(p))
        .filter(|p| is_pcapng(p))
        .collect();
    let parts = spread(&ng, 12);
    assert!(parts.len() >= 12);
    let dir = tempfile::tempdir().expect("temp dir");
    for (i, group) in parts.chunks(3).enumerate() {
        let mut bytes = Vec::new();
        for p in group.iter().take(2 + i % 2) {
            bytes.extend(std::fs::read(p).expect("corpus file"));
        }
        let cut = if i % 2 == 1 {
            bytes.len() - 10
        } else {
            bytes.len()
        };
        let path = dir.path().join(format!("multi-{i}.pcapng"));
        let mut f = std::fs::File::create(&path).expect("create");
        f.write_all(&bytes[..cut]).expect("write");
        drop(f);
        let expected = read_with(&path, 0);
        let first_section = read_with(&group[0], 0);
        assert!(
            expected.frames.len() > first_section.frames.len(),
            "{}: later sections read",
            path.display()
        );
        assert_eq!(expected.error.is_some(), cut < bytes.len());
        // Window 1: every record or block is mapped on its own, ending exactly where it
        // ends, so the next header always straddles.
        check_same(&path, &[1, 100, 4096, 8192]);
    }
}
