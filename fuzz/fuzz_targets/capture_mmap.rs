//! pcap / pcapng reading through the mmap path (`FileSource::open` on a regular file) with
//! windows of a few bytes to a few KiB, so that headers, records and blocks straddle window
//! ends: never a panic, and exactly the frames and error of the read(2) path.
#![no_main]

use std::io::Write;
use std::path::PathBuf;
use std::sync::OnceLock;

use capture::{CaptureError, CaptureLimits, FileSource, PacketSource};
use libfuzzer_sys::fuzz_target;

/// Frames as (timestamp, link type, interface, bytes, original length), then the error.
type Read = (
    Vec<(i64, u32, u32, Vec<u8>, u32)>,
    Option<(u64, u64, String)>,
);

fn drain(source: Result<FileSource, CaptureError>) -> Read {
    let describe = |e: CaptureError| {
        // The message starts with the input's name, which differs between the two paths.
        let message = e.to_string();
        let kind = message
            .split_once(": ")
            .map_or(message.clone(), |(_, m)| m.to_string());
        (e.offset(), e.frames_before(), kind)
    };
    let mut source = match source {
        Ok(s) => s,
        Err(e) => return (Vec::new(), Some(describe(e))),
    };
    let mut frames = Vec::new();
    loop {
        match source.next_frame() {
            Ok(Some(f)) => {
                frames.push((
                    f.ts.0,
                    f.link_type.0,
                    f.interface,
                    f.data.to_vec(),
                    f.original_len,
                ));
                if frames.len() > 100_000 {
                    return (frames, None);
                }
            }
            Ok(None) => return (frames, None),
            Err(e) => return (frames, Some(describe(e))),
        }
    }
}

/// One file per fuzzing process, rewritten for each input.
fn path() -> &'static PathBuf {
    static PATH: OnceLock<PathBuf> = OnceLock::new();
    PATH.get_or_init(|| {
        std::env::temp_dir().join(format!("wardline-fuzz-mmap-{}.cap", std::process::id()))
    })
}

fuzz_target!(|data: &[u8]| {
    let expected = drain(FileSource::from_reader(
        "fuzz.pcap",
        std::io::Cursor::new(data.to_vec()),
        Some(data.len() as u64),
        CaptureLimits::default(),
    ));
    let mut file = std::fs::File::create(path()).expect("create temp file");
    file.write_all(data).expect("write temp file");
    drop(file);
    for map_window in [1, 61, 4096] {
        let limits = CaptureLimits {
            map_window,
            ..CaptureLimits::default()
        };
        let got = drain(FileSource::open(path(), limits));
        assert_eq!(got, expected, "map_window {map_window}");
    }
});
