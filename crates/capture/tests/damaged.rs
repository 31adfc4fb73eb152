//! Damaged captures made deterministically from small corpus files: cut at every byte,
//! length fields rewritten, every byte flipped. Each must give exactly the complete frames
//! before the damage, then an error naming the right offset (or a clean end when the cut
//! falls on a record boundary) — and never panic. Each is read both with read(2) and through
//! mapped windows (see `read`).

use std::io::{Cursor, Write};
use std::path::Path;

use capture::{
    BlockLengthProblem, CaptureError, CaptureLimits, ErrorKind, FileSource, PacketSource, Unit,
};

/// Little-endian µs pcap, 3 records (24 + 3 × 16 + 220 = 292 bytes).
const SMALL_PCAP: &str = "tcpdump/tests/tcp-handshake-nano.pcap";
/// Big-endian pcap, 2 records.
const SMALL_PCAP_BE: &str = "arkime/tests/pcap/bigendian.pcap";
/// pcapng: SHB, IDB, 4 EPBs, ISB (816 bytes).
const SMALL_PCAPNG: &str = "nDPI/tests/cfgs/default/pcap/path_of_exile.pcapng";

fn load(rel: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/corpus")
        .join(rel);
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; the test corpus (shared/) must sit beside the repository",
            path.display()
        )
    })
}

#[derive(Clone, PartialEq, Eq, Debug)]
struct Owned {
    ts: i64,
    interface: u32,
    data: Vec<u8>,
    original_len: u32,
}

/// Opens and reads `bytes` to the end: the frames, then the error that stopped it (from
/// opening or reading). Reads them from memory with read(2), then again from a file through
/// mapped windows of several sizes (down to one byte: every record mapped on its own), which
/// must give the same frames and the same error.
fn read(bytes: &[u8], limits: CaptureLimits) -> (Vec<Owned>, Option<CaptureError>) {
    let src = FileSource::from_reader(
        "cut.cap",
        Cursor::new(bytes.to_vec()),
        Some(bytes.len() as u64),
        limits,
    );
    let expected = drain(src);
    let mut file = tempfile::NamedTempFile::new().expect("temp file");
    file.write_all(bytes).expect("write temp file");
    for map_window in [1, 24, 100, 4096] {
        let limits = CaptureLimits {
            map_window,
            ..limits
        };
        let src = FileSource::open(file.path(), limits);
        if let Ok(src) = &src {
            assert!(src.is_mapped(), "a non-empty file is mapped");
        }
        let got = drain(src);
        assert_eq!(got.0, expected.0, "map_window {map_window}: frames");
        let describe = |e: &Option<CaptureError>| {
            e.as_ref().map(|e| {
                (
                    // The message names the file: compare what follows the name.
                    e.to_string().split_once(": ").map(|(_, m)| m.to_string()),
                    e.offset(),
                    e.frames_before(),
                    format!("{:?}", e.kind()),
                )
            })
        };
        assert_eq!(
            describe(&got.1),
            describe(&expected.1),
            "map_window {map_window}: error"
        );
    }
    expected
}

fn drain(src: Result<FileSource, CaptureError>) -> (Vec<Owned>, Option<CaptureError>) {
    let mut src = match src {
        Ok(s) => s,
        Err(e) => return (Vec::new(), Some(e)),
    };
    let mut frames = Vec::new();
    loop {
        match src.next_frame() {
            Ok(Some(f)) => frames.push(Owned {
                ts: f.ts.0,
                interface: f.interface,
                data: f.data.to_vec(),
                original_len: f.original_len,
            }),
            Ok(None) => return (frames, None),
            Err(e) => {
                assert_eq!(e.frames_before(), frames.len() as u64);
                assert!(matches!(src.next_frame(), Ok(None)), "an error is final");
                return (frames, Some(e));
            }
        }
    }
}

fn read_default(bytes: &[u8]) -> (Vec<Owned>, Option<CaptureError>) {
    read(bytes, CaptureLimits::default())
}

/// A unit of the file as this test's own walker sees it: where it starts, how long it is,
/// how many bytes its fixed header has, and whether it carries a packet.
#[derive(Clone, Copy, Debug)]
struct Piece {
    start: usize,
    len: usize,
    header: usize,
    packet: bool,
    unit: Unit,
}

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}
fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}

/// pcap file header and records (independent of the reader under test).
fn pcap_pieces(b: &[u8], big_endian: bool) -> Vec<Piece> {
    let u32_at = if big_endian { be32 } else { le32 };
    let mut v = vec![Piece {
        start: 0,
        len: 24,
        header: 24,
        packet: false,
        unit: Unit::FileHeader,
    }];
    let mut at = 24;
    while at < b.len() {
        let len = 16 + u32_at(b, at + 8) as usize;
        v.push(Piece {
            start: at,
            len,
            header: 16,
            packet: true,
            unit: Unit::Record,
        });
        at += len;
    }
    assert_eq!(at, b.len());
    v
}

/// pcapng blocks of a little-endian single-section file.
fn pcapng_pieces(b: &[u8]) -> Vec<Piece> {
    let mut v = Vec::new();
    let mut at = 0;
    while at < b.len() {
        let block_type = le32(b, at);
        let len = le32(b, at + 4) as usize;
        v.push(Piece {
            start: at,
            len,
            header: if block_type == 0x0A0D_0D0A { 12 } else { 8 },
            packet: matches!(block_type, 2 | 3 | 6),
            unit: Unit::Block,
        });
        at += len;
    }
    assert_eq!(at, b.len());
    v
}

fn packets_before(pieces: &[Piece], end: usize) -> usize {
    pieces
        .iter()
        .filter(|p| p.packet && p.start + p.len <= end)
        .count()
}

fn check_every_cut(file: &[u8], pieces: &[Piece]) {
    let (all, err) = read_default(file);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(all.len(), pieces.iter().filter(|p| p.packet).count());
    for cut in 0..=file.len() {
        let (frames, err) = read_default(&file[..cut]);
        let complete = packets_before(pieces, cut);
        assert_eq!(frames.len(), complete, "cut at {cut}");
        assert_eq!(
            frames[..],
            all[..complete],
            "cut at {cut}: frames before the cut"
        );
        let on_boundary = pieces.iter().any(|p| p.start + p.len == cut);
        if on_boundary {
            assert!(err.is_none(), "cut at {cut} on a boundary: {err:?}");
            continue;
        }
        let err = err.unwrap_or_else(|| panic!("cut at {cut}: no error"));
        if cut == 0 {
            assert!(matches!(err.kind(), ErrorKind::Empty), "{err}");
            continue;
        }
        if cut < 4 {
            assert!(matches!(err.kind(), ErrorKind::NotACapture { .. }), "{err}");
            continue;
        }
        let piece = pieces
            .iter()
            .find(|p| p.start < cut && cut < p.start + p.len)
            .expect("cut inside a piece");
        assert_eq!(err.offset(), piece.start as u64, "cut at {cut}: {err}");
        let available = (cut - piece.start) as u64;
        let (unit, expected) =
            if (available as usize) < piece.header && piece.unit != Unit::FileHeader {
                let unit = if piece.unit == Unit::Record {
                    Unit::RecordHeader
                } else {
                    Unit::BlockHeader
                };
                // A pcapng block header is 8 bytes; an SHB's needs its byte-order magic too.
                let need = if piece.unit == Unit::Block && available < 8 {
                    8
                } else {
                    piece.header
                };
                (unit, need as u64)
            } else {
                (piece.unit, piece.len as u64)
            };
        match err.kind() {
            ErrorKind::Truncated {
                unit: u,
                expected: e,
                available: a,
            } => {
                assert_eq!(
                    (*u, *e, *a),
                    (unit, expected, available),
                    "cut at {cut}: {err}"
                );
            }
            other => panic!("cut at {cut}: {other:?}"),
        }
        let message = err.to_string();
        assert!(
            message.starts_with(&format!(
                "cut.cap: truncated {} at byte {}",
                unit.as_str(),
                piece.start
            )),
            "{message}"
        );
    }
}

#[test]
fn truncated_pcap_at_every_byte_reports_offset() {
    let file = load(SMALL_PCAP);
    check_every_cut(&file, &pcap_pieces(&file, false));
}

#[test]
fn truncated_big_endian_pcap_at_every_byte_reports_offset() {
    let file = load(SMALL_PCAP_BE);
    check_every_cut(&file, &pcap_pieces(&file, true));
}

#[test]
fn truncated_pcapng_block_reports_offset() {
    let file = load(SMALL_PCAPNG);
    let pieces = pcapng_pieces(&file);
    assert_eq!(
        pieces
            .iter()
            .map(|p| le32(&file, p.start))
            .collect::<Vec<_>>(),
        vec![0x0A0D_0D0A, 1, 6, 6, 6, 6, 5],
        "the file's block layout this test was written for"
    );
    check_every_cut(&file, &pieces);
}

#[test]
fn flipped_pcap_record_length_is_an_error_at_that_record() {
    let file = load(SMALL_PCAP);
    let pieces = pcap_pieces(&file, false);
    for (i, rec) in pieces.iter().skip(1).enumerate() {
        // All bits set: far over the record limit.
        let mut f = file.clone();
        f[rec.start + 8..rec.start + 12].copy_from_slice(&u32::MAX.to_le_bytes());
        let (frames, err) = read_default(&f);
        assert_eq!(frames.len(), i);
        let err = err.expect("error");
        assert_eq!(err.offset(), rec.start as u64);
        assert!(matches!(
            err.kind(),
            ErrorKind::RecordTooLong {
                captured_len: u32::MAX,
                limit: 262_144
            }
        ));
        // Under the limit but longer than the rest of the file: truncated at that record.
        let mut f = file.clone();
        f[rec.start + 8..rec.start + 12].copy_from_slice(&100_000u32.to_le_bytes());
        let (frames, err) = read_default(&f);
        assert_eq!(frames.len(), i);
        let err = err.expect("error");
        assert_eq!(err.offset(), rec.start as u64);
        assert!(matches!(
            err.kind(),
            ErrorKind::Truncated {
                unit: Unit::Record,
                expected: 100_016,
                ..
            }
        ));
    }
}

#[test]
fn oversize_pcap_record_is_rejected_unless_the_limit_allows_it() {
    // The first record of a real file, grown to 300,000 bytes of packet data.
    let file = load(SMALL_PCAP);
    let first = pcap_pieces(&file, false)[1];
    let mut f = file[..first.start + first.len].to_vec();
    f[first.start + 8..first.start + 12].copy_from_slice(&300_000u32.to_le_bytes());
    f.resize(first.start + 16 + 300_000, 0xab);
    let (frames, err) = read_default(&f);
    assert!(frames.is_empty());
    let err = err.expect("over the limit");
    assert_eq!(
        err.to_string(),
        "cut.cap: record at byte 24 has captured length 300000, over the limit of 262144 bytes (damaged file?)"
    );
    let limits = CaptureLimits {
        max_record_len: 1 << 20,
        ..CaptureLimits::default()
    };
    let (frames, err) = read(&f, limits);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].data.len(), 300_000);
}

#[test]
fn bad_pcapng_block_lengths_are_errors_at_that_block() {
    let file = load(SMALL_PCAPNG);
    let pieces = pcapng_pieces(&file);
    for block in &pieces[1..] {
        let at = block.start;
        let before = packets_before(&pieces, at);
        let len = block.len as u32;
        for (new_len, want) in [
            (len + 1, Some(BlockLengthProblem::NotMultipleOf4)),
            (len - 2, Some(BlockLengthProblem::NotMultipleOf4)),
            (8, None), // too short: minimum depends on the block type
            (
                0x7FFF_FFF0,
                Some(BlockLengthProblem::OverLimit { limit: 16 << 20 }),
            ),
        ] {
            let mut f = file.clone();
            f[at + 4..at + 8].copy_from_slice(&new_len.to_le_bytes());
            let (frames, err) = read_default(&f);
            assert_eq!(frames.len(), before, "block at {at}, length {new_len}");
            let err = err.expect("error");
            assert_eq!(err.offset(), at as u64, "{err}");
            match (err.kind(), want) {
                (
                    ErrorKind::BadBlockLength {
                        problem, length, ..
                    },
                    Some(w),
                ) => {
                    assert_eq!((*problem, *length), (w, new_len));
                }
                (
                    ErrorKind::BadBlockLength {
                        problem: BlockLengthProblem::TooShort { .. },
                        ..
                    },
                    None,
                ) => {}
                (other, _) => panic!("block at {at}, length {new_len}: {other:?}"),
            }
        }
        // A multiple of 4 that does not match the trailing copy: the trailer check (or, for
        // the last block, the end of the file) catches it.
        let mut f = file.clone();
        f[at + 4..at + 8].copy_from_slice(&(len + 4).to_le_bytes());
        let (frames, err) = read_default(&f);
        assert_eq!(frames.len(), before);
        let err = err.expect("error");
        assert_eq!(err.offset(), at as u64);
        assert!(
            matches!(
                err.kind(),
                ErrorKind::BadBlockLength {
                    problem: BlockLengthProblem::TrailerMismatch { .. },
                    ..
                } | ErrorKind::Truncated {
                    unit: Unit::Block,
                    ..
                }
            ),
            "{err}"
        );
    }
}

#[test]
fn pcapng_block_over_a_lowered_limit() {
    let file = load(SMALL_PCAPNG);
    let pieces = pcapng_pieces(&file);
    let biggest = pieces.iter().max_by_key(|p| p.len).expect("blocks");
    let limits = CaptureLimits {
        max_block_len: biggest.len as u32 - 4,
        ..CaptureLimits::default()
    };
    let (frames, err) = read(&file, limits);
    assert_eq!(frames.len(), packets_before(&pieces, biggest.start));
    let err = err.expect("over the limit");
    assert_eq!(err.offset(), biggest.start as u64);
    assert!(matches!(
        err.kind(),
        ErrorKind::BadBlockLength {
            problem: BlockLengthProblem::OverLimit { .. },
            ..
        }
    ));
}

#[test]
fn every_flipped_byte_reads_without_panic() {
    // Each byte inverted in turn: whatever it hits, the reader returns frames that are a
    // subset of the input's bytes and ends with Ok or an error, never a panic or a hang.
    for rel in [SMALL_PCAP, SMALL_PCAP_BE, SMALL_PCAPNG] {
        let file = load(rel);
        for i in 0..file.len() {
            let mut f = file.clone();
            f[i] ^= 0xff;
            let (frames, _) = read_default(&f);
            let total: usize = frames.iter().map(|fr| fr.data.len()).sum();
            assert!(total <= f.len(), "{rel} byte {i}");
        }
    }
}
