//! Readers over hand-built captures: every field placed by the builders below, so each test
//! states exactly which bytes it feeds in.

use std::io::{self, Cursor, Read};

use super::*;

// ---------------------------------------------------------------- builders

fn u16b(be: bool, v: u16) -> [u8; 2] {
    if be { v.to_be_bytes() } else { v.to_le_bytes() }
}
fn u32b(be: bool, v: u32) -> [u8; 4] {
    if be { v.to_be_bytes() } else { v.to_le_bytes() }
}

/// pcap file header: magic, version 2.4, thiszone 0, sigfigs 0, snaplen, link type.
fn pcap_header(be: bool, nano: bool, version: (u16, u16), link_type: u32) -> Vec<u8> {
    let magic: u32 = if nano { 0xa1b2_3c4d } else { 0xa1b2_c3d4 };
    let mut v = Vec::new();
    v.extend(u32b(be, magic));
    v.extend(u16b(be, version.0));
    v.extend(u16b(be, version.1));
    v.extend(u32b(be, 0)); // thiszone
    v.extend(u32b(be, 0)); // sigfigs
    v.extend(u32b(be, 65535)); // snaplen
    v.extend(u32b(be, link_type));
    v
}

/// pcap record: ts_sec, ts_frac, incl_len, orig_len, data.
fn pcap_record(be: bool, secs: u32, frac: u32, data: &[u8], orig: u32) -> Vec<u8> {
    let mut v = Vec::new();
    v.extend(u32b(be, secs));
    v.extend(u32b(be, frac));
    v.extend(u32b(be, data.len() as u32));
    v.extend(u32b(be, orig));
    v.extend(data);
    v
}

/// pcapng block: type, total length, body padded to 4, total length.
fn block(be: bool, block_type: u32, body: &[u8]) -> Vec<u8> {
    let padded = body.len().next_multiple_of(4);
    let total = (12 + padded) as u32;
    let mut v = Vec::new();
    v.extend(u32b(be, block_type));
    v.extend(u32b(be, total));
    v.extend(body);
    v.resize(8 + padded, 0);
    v.extend(u32b(be, total));
    v
}

fn shb(be: bool) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend(u32b(be, 0x1A2B_3C4D));
    body.extend(u16b(be, 1));
    body.extend(u16b(be, 0));
    body.extend((-1i64).to_le_bytes()); // section length unknown (same in both orders)
    block(be, 0x0A0D_0D0A, &body)
}

/// IDB with options as (code, value) pairs; ends with opt_endofopt when there are any.
fn idb(be: bool, link_type: u16, snaplen: u32, options: &[(u16, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend(u16b(be, link_type));
    body.extend([0, 0]);
    body.extend(u32b(be, snaplen));
    for (code, value) in options {
        body.extend(u16b(be, *code));
        body.extend(u16b(be, value.len() as u16));
        body.extend(*value);
        body.resize(body.len().next_multiple_of(4), 0);
    }
    if !options.is_empty() {
        body.extend([0, 0, 0, 0]);
    }
    block(be, 1, &body)
}

fn epb(be: bool, interface: u32, ts: u64, data: &[u8], orig: u32) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend(u32b(be, interface));
    body.extend(u32b(be, (ts >> 32) as u32));
    body.extend(u32b(be, ts as u32));
    body.extend(u32b(be, data.len() as u32));
    body.extend(u32b(be, orig));
    body.extend(data);
    block(be, 6, &body)
}

fn pb(be: bool, interface: u16, ts: u64, data: &[u8], orig: u32) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend(u16b(be, interface));
    body.extend(u16b(be, 0)); // drops
    body.extend(u32b(be, (ts >> 32) as u32));
    body.extend(u32b(be, ts as u32));
    body.extend(u32b(be, data.len() as u32));
    body.extend(u32b(be, orig));
    body.extend(data);
    block(be, 2, &body)
}

fn spb(be: bool, data: &[u8], orig: u32) -> Vec<u8> {
    let mut body = Vec::new();
    body.extend(u32b(be, orig));
    body.extend(data);
    block(be, 3, &body)
}

/// An owned copy of a frame, to compare.
#[derive(Clone, PartialEq, Eq, Debug)]
struct Owned {
    ts: i64,
    link_type: u32,
    interface: u32,
    data: Vec<u8>,
    original_len: u32,
}

fn owned(f: &Frame<'_>) -> Owned {
    Owned {
        ts: f.ts.0,
        link_type: f.link_type.0,
        interface: f.interface,
        data: f.data.to_vec(),
        original_len: f.original_len,
    }
}

fn frame(ts: i64, link_type: u32, interface: u32, data: &[u8], original_len: u32) -> Owned {
    Owned {
        ts,
        link_type,
        interface,
        data: data.to_vec(),
        original_len,
    }
}

fn open_bytes(bytes: &[u8], limits: CaptureLimits) -> Result<FileSource, CaptureError> {
    FileSource::from_reader(
        "test.cap",
        Cursor::new(bytes.to_vec()),
        Some(bytes.len() as u64),
        limits,
    )
}

/// All frames, then the error that ended the read (if any).
fn read_all_with(src: &mut FileSource) -> (Vec<Owned>, Option<CaptureError>) {
    let mut frames = Vec::new();
    loop {
        match src.next_frame() {
            Ok(Some(f)) => frames.push(owned(&f)),
            Ok(None) => return (frames, None),
            Err(e) => {
                // Final: nothing after it.
                assert!(matches!(src.next_frame(), Ok(None)));
                return (frames, Some(e));
            }
        }
    }
}

fn read_all(bytes: &[u8]) -> (Vec<Owned>, Option<CaptureError>) {
    let mut src = open_bytes(bytes, CaptureLimits::default()).expect("opens");
    read_all_with(&mut src)
}

fn open_err(bytes: &[u8]) -> CaptureError {
    open_bytes(bytes, CaptureLimits::default()).expect_err("must not open")
}

const S: i64 = 1_000_000_000;

// ---------------------------------------------------------------- pcap

#[test]
fn pcap_all_four_magics_read_the_same_frames() {
    for be in [false, true] {
        for nano in [false, true] {
            let mul = if nano { 1 } else { 1000 };
            let mut f = pcap_header(be, nano, (2, 4), 1);
            f.extend(pcap_record(be, 1_700_000_000, 250_000, b"abcd", 60));
            f.extend(pcap_record(be, 1_700_000_001, 0, b"", 0));
            let mut src = open_bytes(&f, CaptureLimits::default()).unwrap();
            assert_eq!(src.format(), CaptureFormat::Pcap);
            assert_eq!(
                src.precision(),
                if nano {
                    TsPrecision::Nano
                } else {
                    TsPrecision::Micro
                }
            );
            assert_eq!(src.link_types(), vec![LinkType::ETHERNET]);
            let (frames, err) = read_all_with(&mut src);
            assert!(err.is_none(), "{err:?}");
            assert_eq!(
                frames,
                vec![
                    frame(1_700_000_000 * S + 250_000 * mul, 1, 0, b"abcd", 60),
                    frame(1_700_000_001 * S, 1, 0, b"", 0),
                ],
                "be={be} nano={nano}"
            );
            assert_eq!(
                src.progress(),
                Progress {
                    bytes_read: f.len() as u64,
                    total_bytes: Some(f.len() as u64)
                }
            );
            assert_eq!(src.frames_read(), 2);
        }
    }
}

#[test]
fn pcap_seconds_are_unsigned_and_fraction_overflow_carries() {
    let mut f = pcap_header(false, false, (2, 4), 1);
    f.extend(pcap_record(false, u32::MAX, 999_999, b"x", 1));
    f.extend(pcap_record(false, 10, 2_500_000, b"y", 1)); // 2.5 s of "microseconds"
    f.extend(pcap_record(false, u32::MAX, u32::MAX, b"z", 1));
    let (frames, err) = read_all(&f);
    assert!(err.is_none());
    assert_eq!(frames[0].ts, i64::from(u32::MAX) * S + 999_999_000);
    assert_eq!(frames[1].ts, 12 * S + 500_000_000);
    assert_eq!(
        frames[2].ts,
        i64::from(u32::MAX) * S + i64::from(u32::MAX) * 1000
    );
}

#[test]
fn pcap_header_only_is_zero_frames() {
    let f = pcap_header(false, false, (2, 4), 1);
    let (frames, err) = read_all(&f);
    assert!(frames.is_empty());
    assert!(err.is_none());
}

#[test]
fn empty_and_tiny_inputs_are_named_errors() {
    let e = open_err(b"");
    assert!(matches!(e.kind(), ErrorKind::Empty));
    assert_eq!(
        e.to_string(),
        "test.cap: empty file (0 bytes), not a packet capture"
    );
    let e = open_err(b"\xd4\xc3");
    assert_eq!(
        e.to_string(),
        "test.cap: not a pcap or pcapng capture file (first bytes: d4 c3)"
    );
    let e = open_err(b"<!DOCTYPE html>");
    assert_eq!(
        e.to_string(),
        "test.cap: not a pcap or pcapng capture file (first bytes: 3c 21 44 4f)"
    );
    let e = open_err(&pcap_header(false, false, (2, 4), 1)[..20]);
    assert_eq!(
        e.to_string(),
        "test.cap: truncated file header at byte 0 (expected 24 bytes, file ends after 20)"
    );
}

#[test]
fn pcap_unknown_major_version_is_rejected() {
    let e = open_err(&pcap_header(true, false, (3, 0), 1));
    assert!(matches!(
        e.kind(),
        ErrorKind::UnsupportedVersion {
            format: CaptureFormat::Pcap,
            major: 3,
            minor: 0
        }
    ));
    assert_eq!(
        e.to_string(),
        "test.cap: unsupported pcap version 3.0 in the file header (this reader knows 2.x)"
    );
}

#[test]
fn pcap_before_2_3_has_lengths_swapped() {
    // Version 2.2: the record header holds orig_len first, then incl_len.
    let mut f = pcap_header(false, false, (2, 2), 1);
    f.extend(u32b(false, 5));
    f.extend(u32b(false, 0));
    f.extend(u32b(false, 1500)); // orig_len
    f.extend(u32b(false, 3)); // incl_len
    f.extend(b"abc");
    let (frames, err) = read_all(&f);
    assert!(err.is_none());
    assert_eq!(frames, vec![frame(5 * S, 1, 0, b"abc", 1500)]);

    // Version 2.3: swapped only where incl_len > orig_len would make no sense.
    let mut f = pcap_header(false, false, (2, 3), 1);
    f.extend(pcap_record(false, 1, 0, b"abc", 1500));
    f.extend(u32b(false, 2));
    f.extend(u32b(false, 0));
    f.extend(u32b(false, 1500));
    f.extend(u32b(false, 2));
    f.extend(b"de");
    let (frames, _) = read_all(&f);
    assert_eq!(frames[0].original_len, 1500);
    assert_eq!(frames[1].data, b"de");
    assert_eq!(frames[1].original_len, 1500);
}

#[test]
fn pcap_link_type_drops_fcs_bits() {
    // tcpdump's fuzz files set LT_FCS_LENGTH bits above the link type (libpcap LT_LINKTYPE).
    let mut f = pcap_header(false, false, (2, 4), 0x3000_0001);
    f.extend(pcap_record(false, 0, 0, b"a", 1));
    let (frames, _) = read_all(&f);
    assert_eq!(frames[0].link_type, 1);
}

#[test]
fn pcap_record_over_limit_names_offset() {
    let limits = CaptureLimits::default();
    let at_limit = vec![0u8; limits.max_record_len as usize];
    let mut f = pcap_header(false, false, (2, 4), 1);
    f.extend(pcap_record(false, 0, 0, &at_limit, 70_000));
    let second = f.len();
    let mut rec = pcap_record(false, 0, 0, b"", 0);
    rec[8..12].copy_from_slice(&(limits.max_record_len + 1).to_le_bytes());
    f.extend(rec);
    let (frames, err) = read_all(&f);
    assert_eq!(frames.len(), 1);
    assert_eq!(frames[0].data.len(), 262_144);
    let err = err.expect("limit error");
    assert_eq!(err.offset(), second as u64);
    assert_eq!(err.frames_before(), 1);
    assert_eq!(
        err.to_string(),
        format!(
            "test.cap: record at byte {second} has captured length 262145, over the limit of 262144 bytes (damaged file?)"
        )
    );
}

#[test]
fn pcap_incl_len_over_orig_len_is_allowed() {
    let mut f = pcap_header(false, false, (2, 4), 1);
    f.extend(pcap_record(false, 0, 0, b"abcdef", 2));
    let (frames, err) = read_all(&f);
    assert!(err.is_none());
    assert_eq!(frames, vec![frame(0, 1, 0, b"abcdef", 2)]);
}

#[test]
fn pcap_truncated_record_reports_its_offset_after_earlier_frames() {
    let mut f = pcap_header(false, false, (2, 4), 1);
    f.extend(pcap_record(false, 0, 0, b"abcd", 4));
    let second = f.len();
    f.extend(pcap_record(false, 0, 0, &[7; 100], 100));
    f.truncate(f.len() - 40);
    let (frames, err) = read_all(&f);
    assert_eq!(frames.len(), 1);
    let err = err.unwrap();
    assert_eq!(
        err.to_string(),
        format!(
            "test.cap: truncated record at byte {second} (expected 116 bytes, file ends after 76)"
        )
    );
    assert!(matches!(
        err.kind(),
        ErrorKind::Truncated {
            unit: Unit::Record,
            expected: 116,
            available: 76
        }
    ));
}

#[test]
fn read_errors_are_reported_with_offset() {
    struct FailAfter(Cursor<Vec<u8>>);
    impl Read for FailAfter {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.0.read(out)?;
            if n == 0 {
                Err(io::Error::other("cable pulled"))
            } else {
                Ok(n)
            }
        }
    }
    let mut f = pcap_header(false, false, (2, 4), 1);
    f.extend(pcap_record(false, 0, 0, b"abcd", 4));
    let end = f.len();
    let mut src = FileSource::from_reader(
        "pipe",
        FailAfter(Cursor::new(f)),
        None,
        CaptureLimits::default(),
    )
    .unwrap();
    let (frames, err) = read_all_with(&mut src);
    assert_eq!(frames.len(), 1);
    let err = err.unwrap();
    assert_eq!(err.offset(), end as u64);
    assert_eq!(
        err.to_string(),
        format!("pipe: read error at byte {end}: cable pulled")
    );
    assert_eq!(src.progress().total_bytes, None);
}

#[test]
fn open_missing_file_says_cannot_open() {
    let e = open(Path::new("/nonexistent/ward.pcap")).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Open(_)));
    assert!(
        e.to_string()
            .starts_with("/nonexistent/ward.pcap: cannot open: "),
        "{e}"
    );
}

// ---------------------------------------------------------------- pcapng

#[test]
fn pcapng_sections_interfaces_and_packet_blocks() {
    let micro = [6u8];
    let nano = [9u8];
    let offset = 100i64.to_le_bytes();
    let mut f = shb(false);
    f.extend(idb(false, 1, 0, &[])); // interface 0: Ethernet, µs
    f.extend(idb(false, 113, 4, &[(9, &nano), (14, &offset)])); // 1: SLL, ns, +100 s
    f.extend(epb(false, 0, 1_500_000, b"eth0", 64));
    f.extend(epb(false, 1, 2_000_000_007, b"sll", 3));
    // Skipped blocks: name resolution (4), interface statistics (5), custom (0xBAD).
    f.extend(block(false, 4, &[0; 8]));
    f.extend(block(false, 5, &[0; 12]));
    f.extend(block(false, 0x0000_0BAD, &[1, 2, 3]));
    // SPB: interface 0, previous timestamp, data cut to min(orig, room).
    f.extend(spb(false, b"simple", 6));
    f.extend(pb(false, 1, 5, b"old", 3));
    // A big-endian section: interfaces start again at 0 in the file, 2 file-wide.
    f.extend(shb(true));
    f.extend(idb(true, 101, 0, &[(9, &micro)]));
    f.extend(epb(true, 0, 3_000_000, b"raw", 3));
    let mut src = open_bytes(&f, CaptureLimits::default()).unwrap();
    assert_eq!(src.format(), CaptureFormat::PcapNg);
    // Known before the first packet: the first section's interfaces.
    assert_eq!(src.link_types(), vec![LinkType(1), LinkType(113)]);
    assert_eq!(src.precision(), TsPrecision::Nano);
    let (frames, err) = read_all_with(&mut src);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(
        frames,
        vec![
            frame(1_500_000_000, 1, 0, b"eth0", 64),
            frame(102 * S + 7, 113, 1, b"sll", 3),
            frame(102 * S + 7, 1, 0, b"simple", 6),
            frame(100 * S + 5, 113, 1, b"old", 3),
            frame(3 * S, 101, 2, b"raw", 3),
        ]
    );
    assert_eq!(
        src.link_types(),
        vec![LinkType(1), LinkType(113), LinkType(101)]
    );
    assert_eq!(src.progress().bytes_read, f.len() as u64);
}

#[test]
fn pcapng_simple_packet_respects_snaplen() {
    let mut f = shb(false);
    f.extend(idb(false, 1, 4, &[]));
    f.extend(spb(false, b"abcdefgh", 1000));
    let (frames, err) = read_all(&f);
    assert!(err.is_none());
    assert_eq!(frames, vec![frame(0, 1, 0, b"abcd", 1000)]);
}

#[test]
fn pcapng_binary_resolution_and_negative_offset() {
    let res = [0x80 | 10u8]; // 2^-10 s
    let offset = (-10i64).to_le_bytes();
    let mut f = shb(false);
    f.extend(idb(false, 1, 0, &[(9, &res), (14, &offset)]));
    f.extend(epb(false, 0, 1024 * 3 + 512, b"a", 1));
    let (frames, _) = read_all(&f);
    assert_eq!(frames[0].ts, -7 * S + 500_000_000);
}

#[test]
fn pcapng_extreme_timestamps_saturate() {
    let res = [0u8]; // whole seconds: u64::MAX s is far past i64 nanoseconds
    let offset = i64::MIN.to_le_bytes();
    let mut f = shb(false);
    f.extend(idb(false, 1, 0, &[(9, &res)]));
    f.extend(idb(false, 1, 0, &[(9, &res), (14, &offset)]));
    f.extend(epb(false, 0, u64::MAX, b"a", 1));
    f.extend(epb(false, 1, 0, b"b", 1));
    let (frames, err) = read_all(&f);
    assert!(err.is_none());
    assert_eq!(frames[0].ts, i64::MAX);
    assert_eq!(frames[1].ts, i64::MIN);
}

#[test]
fn pcapng_section_with_header_only_has_no_frames() {
    let (frames, err) = read_all(&shb(true));
    assert!(frames.is_empty());
    assert!(err.is_none());
    let src = open_bytes(&shb(true), CaptureLimits::default()).unwrap();
    assert!(src.link_types().is_empty());
    assert_eq!(src.precision(), TsPrecision::Micro);
}

#[test]
fn pcapng_unknown_interface_is_an_error_after_earlier_frames() {
    let mut f = shb(false);
    f.extend(idb(false, 1, 0, &[]));
    f.extend(epb(false, 0, 0, b"ok", 2));
    let bad = f.len();
    f.extend(epb(false, 1, 0, b"bad", 3));
    let (frames, err) = read_all(&f);
    assert_eq!(frames.len(), 1);
    let err = err.unwrap();
    assert_eq!(err.frames_before(), 1);
    assert_eq!(
        err.to_string(),
        format!(
            "test.cap: enhanced packet block at byte {bad} names interface 1, but its section describes only 1"
        )
    );
    // A new section forgets the old one's interfaces.
    let mut f = shb(false);
    f.extend(idb(false, 1, 0, &[]));
    f.extend(shb(false));
    f.extend(spb(false, b"x", 1));
    let (frames, err) = read_all(&f);
    assert!(frames.is_empty());
    assert!(matches!(
        err.unwrap().kind(),
        ErrorKind::UnknownInterface {
            block_type: 3,
            interface: 0,
            section_interfaces: 0
        }
    ));
}

/// The second block of `f` with its leading length replaced.
fn with_second_block_length(be: bool, length: u32) -> (Vec<u8>, usize) {
    let mut f = shb(be);
    let at = f.len();
    f.extend(idb(be, 1, 0, &[]));
    f[at + 4..at + 8].copy_from_slice(&u32b(be, length));
    (f, at)
}

#[test]
fn pcapng_bad_block_lengths_are_errors() {
    let (f, at) = with_second_block_length(false, 22);
    let e = open_err(&f);
    assert_eq!(e.offset(), at as u64);
    assert_eq!(
        e.to_string(),
        format!(
            "test.cap: bad block length 22 at byte {at} (interface description block: not a multiple of 4)"
        )
    );
    let (f, _) = with_second_block_length(true, 8);
    assert!(matches!(
        open_err(&f).kind(),
        ErrorKind::BadBlockLength {
            problem: BlockLengthProblem::TooShort { min: 20 },
            ..
        }
    ));
    let (mut f, _) = with_second_block_length(false, 24);
    f.extend([0; 8]);
    assert!(matches!(
        open_err(&f).kind(),
        ErrorKind::BadBlockLength {
            problem: BlockLengthProblem::TrailerMismatch { trailer: 0 },
            ..
        }
    ));
    let (f, _) = with_second_block_length(false, 0x0100_0004);
    assert!(matches!(
        open_err(&f).kind(),
        ErrorKind::BadBlockLength {
            problem: BlockLengthProblem::OverLimit { limit: 16_777_216 },
            ..
        }
    ));
    // Within the limit but past the end of the file: truncated, not over-allocated.
    let (f, at) = with_second_block_length(false, 0x00F0_0000);
    let e = open_err(&f);
    assert_eq!(
        e.to_string(),
        format!(
            "test.cap: truncated block at byte {at} (expected 15728640 bytes, file ends after 20)"
        )
    );
}

#[test]
fn pcapng_captured_length_past_block_is_malformed() {
    let mut f = shb(false);
    f.extend(idb(false, 1, 0, &[]));
    let at = f.len();
    let mut b = epb(false, 0, 0, b"abcd", 4);
    b[20..24].copy_from_slice(&9u32.to_le_bytes());
    f.extend(b);
    let (_, err) = read_all(&f);
    assert_eq!(
        err.unwrap().to_string(),
        format!(
            "test.cap: malformed enhanced packet block at byte {at}: captured length runs past the end of the block"
        )
    );
}

#[test]
fn pcapng_bad_byte_order_magic_and_version() {
    let mut f = shb(false);
    f[8] = 0x99;
    assert_eq!(
        open_err(&f).to_string(),
        "test.cap: bad byte-order magic 99 3c 2b 1a in the section header block at byte 0"
    );
    let mut f = shb(true);
    f[12..14].copy_from_slice(&2u16.to_be_bytes());
    assert_eq!(
        open_err(&f).to_string(),
        "test.cap: unsupported pcapng section version 2.0 at byte 0 (this reader knows 1.x)"
    );
}

#[test]
fn pcapng_interface_limit() {
    let mut f = shb(false);
    for _ in 0..3 {
        f.extend(idb(false, 1, 0, &[]));
    }
    let limits = CaptureLimits {
        max_interfaces_per_section: 2,
        ..CaptureLimits::default()
    };
    let e = open_bytes(&f, limits).unwrap_err();
    assert!(matches!(
        e.kind(),
        ErrorKind::TooManyInterfaces { limit: 2 }
    ));
    assert_eq!(e.offset(), 28 + 2 * 20);
}

#[test]
fn pcapng_trailing_partial_block_header_is_truncation() {
    let mut f = shb(false);
    f.extend(idb(false, 1, 0, &[]));
    f.extend(epb(false, 0, 0, b"ok", 2));
    let at = f.len();
    f.extend([6, 0, 0]);
    let (frames, err) = read_all(&f);
    assert_eq!(frames.len(), 1);
    assert_eq!(
        err.unwrap().to_string(),
        format!(
            "test.cap: truncated block header at byte {at} (expected 8 bytes, file ends after 3)"
        )
    );
}

// ---------------------------------------------------------------- buffering

/// Hands out at most `step` bytes per read, like a pipe.
struct Trickle {
    data: Cursor<Vec<u8>>,
    step: usize,
}

impl Read for Trickle {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        let n = self.step.min(out.len());
        self.data.read(&mut out[..n])
    }
}

/// A deterministic mixed file: records of lengths 0..300 that straddle any buffer size.
fn mixed_pcapng() -> Vec<u8> {
    let mut f = shb(false);
    f.extend(idb(false, 1, 0, &[]));
    f.extend(idb(false, 276, 0, &[(9, &[9])]));
    let mut x: u32 = 12345;
    for i in 0..200u32 {
        x = x.wrapping_mul(1_103_515_245).wrapping_add(12345);
        let len = (x >> 16) as usize % 300;
        let data: Vec<u8> = (0..len).map(|j| (i as usize + j) as u8).collect();
        f.extend(epb(false, i % 2, u64::from(i) * 1000, &data, len as u32));
        if i % 17 == 0 {
            f.extend(block(false, 5, &vec![0; len]));
        }
    }
    f
}

#[test]
fn tiny_buffers_and_trickling_reads_give_the_same_frames() {
    let f = mixed_pcapng();
    let (expected, err) = read_all(&f);
    assert!(err.is_none());
    assert_eq!(expected.len(), 200);
    for read_buffer in [1, 13, 64, 333, 4096] {
        for step in [1, 7, 100_000] {
            let limits = CaptureLimits {
                read_buffer,
                ..CaptureLimits::default()
            };
            let reader = Trickle {
                data: Cursor::new(f.clone()),
                step,
            };
            let mut src = FileSource::from_reader("pipe", reader, None, limits).unwrap();
            let (frames, err) = read_all_with(&mut src);
            assert!(err.is_none(), "{err:?}");
            assert_eq!(frames, expected, "read_buffer={read_buffer} step={step}");
        }
    }
}

#[test]
fn buffer_stays_bounded_by_read_buffer_and_largest_record() {
    // Reading a file much larger than the buffer never holds more than one chunk plus one
    // record: checked through the Debug view's buffer length.
    let f = mixed_pcapng();
    let limits = CaptureLimits {
        read_buffer: 1024,
        ..CaptureLimits::default()
    };
    let mut src = open_bytes(&f, limits).unwrap();
    while let Ok(Some(_)) = src.next_frame() {
        let debug = format!("{src:?}");
        let len: usize = debug
            .split("buffer_len: ")
            .nth(1)
            .and_then(|s| s.split(',').next())
            .and_then(|s| s.parse().ok())
            .expect("buffer_len in Debug output");
        assert!(len <= 1024 + 400, "buffer grew to {len}");
    }
}

// ---------------------------------------------------------------- mapped files

fn temp_file(bytes: &[u8]) -> tempfile::NamedTempFile {
    use std::io::Write;
    let mut f = tempfile::NamedTempFile::new().expect("temp file");
    f.write_all(bytes).expect("write temp file");
    f
}

fn map_limits(map_window: usize) -> CaptureLimits {
    CaptureLimits {
        map_window,
        ..CaptureLimits::default()
    }
}

/// Opens `path` through the mmap path, with a mapping that fails after `fail_after` windows.
fn open_mapped_failing(path: &Path, map_window: usize, fail_after: u32) -> FileSource {
    let file = File::open(path).expect("open");
    let len = file.metadata().expect("metadata").len();
    let mut mapped = MappedFile::new(file, len, map_window);
    mapped.fail_after = Some(fail_after);
    let limits = CaptureLimits {
        map_window,
        read_buffer: 100,
        ..CaptureLimits::default()
    };
    FileSource::from_input(Input::mapped("test.cap".into(), mapped, 100), limits).expect("opens")
}

/// A number after `field: ` in the source's Debug view.
fn debug_field(src: &FileSource, field: &str) -> usize {
    format!("{src:?}")
        .split(&format!("{field}: "))
        .nth(1)
        .and_then(|s| s.split(',').next())
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("{field} in {src:?}"))
}

#[test]
fn tiny_windows_give_the_same_frames_as_read() {
    let f = mixed_pcapng();
    let (expected, err) = read_all(&f);
    assert!(err.is_none());
    let file = temp_file(&f);
    for map_window in [1, 13, 64, 333, 4096, 8192, 1 << 20] {
        let mut src = FileSource::open(file.path(), map_limits(map_window)).unwrap();
        assert!(src.is_mapped());
        assert_eq!(src.link_types(), vec![LinkType(1), LinkType(276)]);
        let (frames, err) = read_all_with(&mut src);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(frames, expected, "map_window={map_window}");
        assert!(src.is_mapped(), "no fallback");
        assert_eq!(
            src.progress(),
            Progress {
                bytes_read: f.len() as u64,
                total_bytes: Some(f.len() as u64)
            }
        );
        // The last window is unmapped once consumed.
        assert_eq!(debug_field(&src, "mapped_len"), 0);
    }
}

#[test]
fn mapped_window_stays_bounded() {
    // One window at a time, of `map_window` bytes, or less than a page of already-consumed
    // lead plus one block when that is larger.
    let f = mixed_pcapng();
    let file = temp_file(&f);
    assert!(f.len() > 3 * 8192, "a file of several windows");
    let mut src = FileSource::open(file.path(), map_limits(8192)).unwrap();
    let mut frames = 0;
    while let Ok(Some(_)) = src.next_frame() {
        let len = debug_field(&src, "mapped_len");
        assert!(len <= 8192, "window of {len} bytes");
        frames += 1;
    }
    assert_eq!(frames, 200);
}

#[test]
fn a_failing_mapping_falls_back_to_read_without_losing_a_frame() {
    let f = mixed_pcapng();
    let (expected, _) = read_all(&f);
    let file = temp_file(&f);
    for fail_after in [0, 1, 2, 5, 40] {
        let mut src = open_mapped_failing(file.path(), 512, fail_after);
        let (frames, err) = read_all_with(&mut src);
        assert!(err.is_none(), "{err:?}");
        assert_eq!(frames, expected, "fail_after={fail_after}");
        assert!(!src.is_mapped(), "switched to read(2)");
        assert_eq!(src.progress().bytes_read, f.len() as u64);
    }
    // A failure at a truncated record still reports the truncation at the right offset.
    let cut = &f[..f.len() - 7];
    let (expected, expected_err) = read_all(cut);
    let file = temp_file(cut);
    for fail_after in [0, 3] {
        let mut src = open_mapped_failing(file.path(), 512, fail_after);
        let (frames, err) = read_all_with(&mut src);
        assert_eq!(frames, expected);
        let (err, want) = (err.expect("truncated"), expected_err.as_ref().expect("cut"));
        assert_eq!(err.offset(), want.offset());
        assert_eq!(err.to_string(), want.to_string());
    }
}

#[test]
fn truncated_mapped_file_reports_offset_and_earlier_frames() {
    let mut f = pcap_header(false, false, (2, 4), 1);
    let rec = pcap_record(false, 1, 2, &[0xaa; 5000], 5000);
    for _ in 0..3 {
        f.extend(&rec);
    }
    f.truncate(f.len() - 1);
    let file = temp_file(&f);
    let name = file.path().display().to_string();
    for map_window in [1, 4096, 8192] {
        let mut src = FileSource::open(file.path(), map_limits(map_window)).unwrap();
        let (frames, err) = read_all_with(&mut src);
        assert_eq!(frames.len(), 2);
        let err = err.expect("truncated");
        assert_eq!(err.frames_before(), 2);
        assert_eq!(
            err.to_string(),
            format!(
                "{name}: truncated record at byte {} (expected 5016 bytes, file ends after 5015)",
                24 + 2 * 5016
            )
        );
    }
}

#[test]
fn window_zero_empty_files_and_devices_are_read_with_read() {
    let f = mixed_pcapng();
    let file = temp_file(&f);
    let src = FileSource::open(file.path(), map_limits(0)).unwrap();
    assert!(!src.is_mapped());
    let src = FileSource::open(file.path(), CaptureLimits::default()).unwrap();
    assert!(!src.is_mapped(), "read(2) by default");
    let src = FileSource::open(file.path(), map_limits(CaptureLimits::MAP_WINDOW)).unwrap();
    assert!(src.is_mapped());
    // Empty regular file and a character device: the read(2) path's named errors.
    let empty = temp_file(b"");
    let e = FileSource::open(empty.path(), map_limits(4096)).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Empty), "{e}");
    let e = FileSource::open(Path::new("/dev/null"), map_limits(4096)).unwrap_err();
    assert!(matches!(e.kind(), ErrorKind::Empty), "{e}");
}

#[cfg(target_os = "linux")]
#[test]
fn a_fifo_is_read_with_read() {
    let dir = tempfile::tempdir().expect("temp dir");
    let fifo = dir.path().join("capture.fifo");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .is_ok_and(|s| s.success());
    if !made {
        eprintln!("mkfifo unavailable: skipped");
        return;
    }
    let f = mixed_pcapng();
    let (expected, _) = read_all(&f);
    let writer = {
        let (fifo, f) = (fifo.clone(), f.clone());
        std::thread::spawn(move || {
            use std::io::Write;
            let mut w = File::options().write(true).open(fifo).expect("open fifo");
            w.write_all(&f).expect("write fifo");
        })
    };
    let mut src = FileSource::open(&fifo, map_limits(CaptureLimits::MAP_WINDOW)).unwrap();
    assert!(!src.is_mapped());
    let (frames, err) = read_all_with(&mut src);
    assert!(err.is_none(), "{err:?}");
    assert_eq!(frames, expected);
    writer.join().expect("writer");
}
