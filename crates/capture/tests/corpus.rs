//! Real captures from `../shared/corpus`, read in place, against what tshark/capinfos/tcpdump
//! say about them.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use capture::{CaptureFormat, CaptureLimits, ErrorKind, FileSource, LinkType, PacketSource, Unit};
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

/// What one full read of a file gave.
#[derive(Debug)]
struct Summary {
    format: CaptureFormat,
    frames: u64,
    first_ns: Option<i64>,
    last_ns: Option<i64>,
    interfaces: Vec<u32>,
    captured_bytes: u64,
    link_types: Vec<LinkType>,
    precision: TsPrecision,
    error: Option<capture::CaptureError>,
}

fn summarize(src: &mut FileSource) -> Summary {
    let mut s = Summary {
        format: src.format(),
        frames: 0,
        first_ns: None,
        last_ns: None,
        interfaces: Vec::new(),
        captured_bytes: 0,
        link_types: Vec::new(),
        precision: TsPrecision::Micro,
        error: None,
    };
    loop {
        match src.next_frame() {
            Ok(Some(f)) => {
                s.frames += 1;
                s.first_ns.get_or_insert(f.ts.0);
                s.last_ns = Some(f.ts.0);
                s.captured_bytes += f.data.len() as u64;
                if !s.interfaces.contains(&f.interface) {
                    s.interfaces.push(f.interface);
                }
            }
            Ok(None) => break,
            Err(e) => {
                assert_eq!(e.frames_before(), s.frames);
                s.error = Some(e);
                break;
            }
        }
    }
    s.link_types = src.link_types();
    s.precision = src.precision();
    s
}

fn read(rel: &str) -> Summary {
    let path = corpus().join(rel);
    // Through mapped windows (tests/mmap.rs compares that path with read(2) in small
    // windows; the manifest test below reads every file both ways).
    let mut src = FileSource::open(&path, mapped()).unwrap_or_else(|e| panic!("{e}"));
    assert!(src.is_mapped(), "{rel}: read through the mmap path");
    let s = summarize(&mut src);
    let p = src.progress();
    if s.error.is_none() {
        assert_eq!(
            Some(p.bytes_read),
            p.total_bytes,
            "{rel}: all bytes consumed"
        );
    }
    s
}

/// Limits that turn mapping on.
fn mapped() -> CaptureLimits {
    CaptureLimits {
        map_window: CaptureLimits::MAP_WINDOW,
        ..CaptureLimits::default()
    }
}

fn ok(rel: &str) -> Summary {
    let s = read(rel);
    if let Some(e) = &s.error {
        panic!("{e}");
    }
    s
}

// Expected values below come from, for each file F:
//   tshark -r F -T fields -e frame.time_epoch -e frame.len -e frame.cap_len -e frame.interface_id
// (first and last line, line count, cap_len sum) and `capinfos F` (interfaces, precision).

#[test]
fn nanosecond_pcap() {
    let s = ok("tcpdump/tests/tcp-handshake-nano.pcap");
    assert_eq!(s.format, CaptureFormat::Pcap);
    assert_eq!(s.frames, 3);
    assert_eq!(s.first_ns, Some(1_418_145_369_924_505_488)); // 1418145369.924505488
    assert_eq!(s.last_ns, Some(1_418_145_370_052_115_157)); // 1418145370.052115157
    assert_eq!(s.link_types, vec![LinkType::LINUX_SLL]);
    assert_eq!(s.precision, TsPrecision::Nano);
    assert_eq!(s.captured_bytes, 220);
}

#[test]
fn big_endian_pcap() {
    let s = ok("arkime/tests/pcap/bigendian.pcap");
    assert_eq!(s.frames, 2);
    assert_eq!(s.first_ns, Some(1_335_958_313_152_630_000)); // 1335958313.152630000
    assert_eq!(s.last_ns, Some(1_335_958_317_529_201_000)); // 1335958317.529201000
    assert_eq!(s.link_types, vec![LinkType::ETHERNET]);
    assert_eq!(s.precision, TsPrecision::Micro);
    assert_eq!(s.captured_bytes, 196);
}

#[test]
fn pcap_fraction_past_one_second_carries() {
    // Records with ts_nsec 999999999, 1000000000 and 2147483648. tshark prints
    // 1418145369.999999999, 1418145370.1000000000 and -1418145370.2147483648 (its display of
    // an out-of-range fraction); this reader carries the excess into the seconds.
    let s = ok("tcpdump/tests/timestamp_invalid_nano.pcap");
    assert_eq!(s.frames, 3);
    assert_eq!(s.first_ns, Some(1_418_145_369_999_999_999));
    assert_eq!(s.last_ns, Some(1_418_145_372_147_483_648));
}

#[test]
fn pcapng_single_packet() {
    let s = ok("tcpdump/tests/icmp-length-zero.pcapng");
    assert_eq!(s.format, CaptureFormat::PcapNg);
    assert_eq!(s.frames, 1);
    assert_eq!(s.first_ns, Some(1_759_756_153_000_001_000)); // 1759756153.000001000
    assert_eq!(s.link_types, vec![LinkType::ETHERNET]);
    assert_eq!(s.precision, TsPrecision::Nano); // capinfos: nanoseconds (9)
    assert_eq!(s.captured_bytes, 98);
}

#[test]
fn pcapng_with_nine_interfaces() {
    // capinfos: "Number of interfaces in file: 9", all Ethernet, microseconds.
    let s = ok("nDPI/tests/cfgs/default/pcap/gre.pcapng");
    assert_eq!(s.frames, 1);
    assert_eq!(s.first_ns, Some(1_483_501_349_095_788_000)); // 1483501349.095788000
    assert_eq!(s.interfaces, vec![0]);
    assert_eq!(s.link_types, vec![LinkType::ETHERNET]);
    assert_eq!(s.precision, TsPrecision::Micro);
    assert_eq!(s.captured_bytes, 384);
}

#[test]
fn pcapng_with_mixed_link_types_and_126_interfaces() {
    // capinfos: 126 interfaces (Ethernet, Linux SLL, 802.3br mPackets; µs and ns);
    // tshark: 18 frames, all on frame.interface_id 48.
    let s = ok("zeek/testing/btest/Traces/ldap/gap-data-missing.pcapng");
    assert_eq!(s.frames, 18);
    assert_eq!(s.first_ns, Some(1_725_966_494_956_327_000)); // 1725966494.956327000
    assert_eq!(s.last_ns, Some(1_725_966_495_127_166_000)); // 1725966495.127166000
    assert_eq!(s.interfaces, vec![48]);
    assert_eq!(
        s.link_types,
        vec![
            LinkType::ETHERNET,
            LinkType::LINUX_SLL,
            LinkType::ETHERNET_MPACKET
        ]
    );
    assert_eq!(s.precision, TsPrecision::Nano);
    assert_eq!(s.captured_bytes, 4969);
}

#[test]
fn pcapng_timestamps_past_2106() {
    // tshark: 4294967296.000000000 — one second past pcap's 32-bit range.
    let s = ok("tcpdump/tests/time_2106_overflow.pcapng");
    assert_eq!(s.frames, 1);
    assert_eq!(s.first_ns, Some(4_294_967_296_000_000_000));
    // tshark: 4323283200.000000000 (2107-01-01).
    let s = ok("tcpdump/tests/time_2107.pcapng");
    assert_eq!(s.frames, 1);
    assert_eq!(s.first_ns, Some(4_323_283_200_000_000_000));
}

#[test]
fn headers_without_packets_are_empty_not_errors() {
    let s = ok("tcpdump/tests/empty.pcap");
    assert_eq!(s.frames, 0);
    assert_eq!(s.link_types, vec![LinkType::ETHERNET]);
    // capinfos: 0 packets, one Ethernet interface, microseconds.
    let s = ok("tcpdump/tests/empty.pcapng");
    assert_eq!(s.frames, 0);
    assert_eq!(s.link_types, vec![LinkType::ETHERNET]);
    assert_eq!(s.precision, TsPrecision::Micro);
}

#[test]
fn pcap_ending_inside_a_record_header() {
    // tcpdump: "truncated dump file; tried to read 16 header bytes, only got 2", 1 packet.
    // Also a version 2.0 file (lengths in the pre-2.3 order) with a nanosecond fraction
    // over 10^9 (0x702f2380), which carries into the seconds.
    let s = read("nDPI/tests/cfgs/default/pcap/fuzz-2021-10-13.pcap");
    assert_eq!(s.frames, 1);
    assert_eq!(s.captured_bytes, 197); // tshark: frame.cap_len 197, frame.len 524501
    assert_eq!(
        s.first_ns,
        Some(980_658_802 * 1_000_000_000 + 1_882_137_472)
    );
    let e = s.error.expect("truncated");
    assert_eq!(e.offset(), 237);
    assert!(matches!(
        e.kind(),
        ErrorKind::Truncated {
            unit: Unit::RecordHeader,
            expected: 16,
            available: 2
        }
    ));
}

/// One row of MANIFEST.tsv.
#[derive(Clone)]
struct Row {
    path: String,
    packets: String,
    read_error: String,
    /// `1:ether,113:linux-sll`: numbers from the file's header or IDBs.
    link_types: String,
    /// `us`, `ns` or `ns,us`.
    ts_precision: String,
}

fn manifest() -> Vec<Row> {
    let text = std::fs::read_to_string(corpus().join("MANIFEST.tsv")).expect("manifest");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().expect("header").split('\t').collect();
    let col = |name: &str| {
        header
            .iter()
            .position(|h| *h == name)
            .unwrap_or_else(|| panic!("manifest has no {name} column"))
    };
    let (path, packets, read_error) = (col("path"), col("packets"), col("read_error"));
    let (link_types, ts_precision) = (col("link_types"), col("ts_precision"));
    lines
        .map(|l| {
            let f: Vec<&str> = l.split('\t').collect();
            let get = |i: usize| f.get(i).copied().unwrap_or("").to_string();
            Row {
                path: get(path),
                packets: get(packets),
                read_error: get(read_error),
                link_types: get(link_types),
                ts_precision: get(ts_precision),
            }
        })
        .collect()
}

/// Files the manifest marks with a `read_error`, and what this reader must do with them.
/// `Ok(n)`: read cleanly, `n` frames. `Err(n)`: `n` frames, then an error.
fn expected_exceptions() -> BTreeMap<&'static str, Result<u64, u64>> {
    let mut m = BTreeMap::new();
    // tshark's dissectors failed on a packet, the capture itself is sound: capinfos count.
    m.insert("nDPI/tests/cfgs/default/pcap/ceph.pcap", Ok(39));
    m.insert(
        "zeek/testing/btest/Traces/ldap/ldap-max-recursion.pcap",
        Ok(500),
    );
    // Damaged files: the manifest's count is what capinfos read before its error, and this
    // reader stops at the same record (over the 256 KiB record limit, or truncated).
    m.insert("nDPI/tests/cfgs/default/pcap/fuzz-2021-10-13.pcap", Err(1));
    m.insert(
        "suricata-verify/tests/bug-1450-04/tls_DER-incomplete-header.pcap",
        Err(6),
    );
    m.insert(
        "suricata-verify/tests/bug-1450-05/tls_DER-incomplete-content.pcap",
        Err(6),
    );
    m.insert(
        "suricata-verify/tests/smtp-to-comma/10.7.29.101_49898-178.63.41.150_25.pcap",
        Err(18),
    );
    // Manifest says 2 (capinfos), this reader 1: the second record claims 1,409,179,648
    // bytes. Wireshark's pcap reader guesses among pcap variants (ss990915, Nokia, …) from
    // the first records and reads this file as another variant, getting a second frame;
    // libpcap has no such guess and stops after 1, as we do
    // (`tcpdump --count -r F`: "invalid packet capture length 1409179648 …", 1 packet).
    m.insert("suricata-verify/tests/bug-6875-01/fuzz.pcap", Err(1));
    // Link types tshark 4.0 cannot read ("unreadable" in the manifest); the files are sound.
    // Counts from `tcpdump --count -r F` (libpcap 1.10.3).
    for (path, n) in [
        ("tcpdump/tests/brcm-tag-prepend.pcap", 15),
        ("tcpdump/tests/brcm-tag.pcap", 23),
        ("tcpdump/tests/dsa-high-vid.pcap", 4),
        ("tcpdump/tests/dsa.pcap", 8),
        ("tcpdump/tests/edsa-high-vid.pcap", 4),
        ("tcpdump/tests/edsa.pcap", 10),
        ("tcpdump/tests/frf16_magic_ie-oobr.pcap", 1),
        ("tcpdump/tests/hoobr_juniper3.pcap", 1),
        ("tcpdump/tests/juniper_es_oobr.pcap", 1),
        (
            "tcpdump/tests/juniper_monitor_invalid_cookie_length.pcap",
            1,
        ),
        ("tcpdump/tests/kday6.pcap", 1),
        ("tcpdump/tests/vtp_asan-2.pcap", 1),
        ("tcpdump/tests/vtp_asan-3.pcap", 1),
        ("tcpdump/tests/vtp_asan.pcap", 5),
    ] {
        m.insert(path, Ok(n));
    }
    m
}

#[test]
fn every_manifest_capture_reads_to_the_capinfos_count_link_types_and_precision() {
    let root = corpus();
    let exceptions = expected_exceptions();
    let mut checked = 0;
    let mut failures = Vec::new();
    let mut seen_exceptions = 0;
    for (row, limits) in manifest()
        .into_iter()
        .flat_map(|row| [(row.clone(), CaptureLimits::default()), (row, mapped())])
    {
        let is_capture = [".pcap", ".pcapng", ".cap"]
            .iter()
            .any(|ext| row.path.ends_with(ext));
        if !is_capture {
            continue;
        }
        if limits.map_window == 0 {
            checked += 1;
        }
        let path = root.join(&row.path);
        let via = if limits.map_window > 0 {
            "mmap"
        } else {
            "read"
        };
        let label = format!("{} ({via})", row.path);
        let got = match FileSource::open(&path, limits) {
            Ok(mut src) => {
                if src.is_mapped() != (limits.map_window > 0) {
                    failures.push(format!("{}: not read through the expected path", label));
                }
                let s = summarize(&mut src);
                // Same link types (as a set) and finest precision as the manifest.
                let mut want: Vec<u32> = row
                    .link_types
                    .split(',')
                    .filter_map(|lt| lt.split(':').next()?.parse().ok())
                    .collect();
                want.sort_unstable();
                want.dedup();
                let mut have: Vec<u32> = s.link_types.iter().map(|lt| lt.0).collect();
                have.sort_unstable();
                if have != want {
                    failures.push(format!("{}: link types {have:?}, manifest {want:?}", label));
                }
                let precision = if row.ts_precision.contains("ns") {
                    TsPrecision::Nano
                } else {
                    TsPrecision::Micro
                };
                if s.precision != precision {
                    failures.push(format!(
                        "{}: precision {:?}, manifest {}",
                        label, s.precision, row.ts_precision
                    ));
                }
                match s.error {
                    None => Ok(s.frames),
                    Some(_) => Err(s.frames),
                }
            }
            Err(e) => {
                failures.push(format!("{}: open failed: {e}", label));
                continue;
            }
        };
        let expected = if row.read_error.is_empty() {
            match row.packets.parse::<u64>() {
                Ok(n) => Ok(n),
                Err(_) => {
                    failures.push(format!("{}: manifest count {:?}", label, row.packets));
                    continue;
                }
            }
        } else if let Some(e) = exceptions.get(row.path.as_str()) {
            if limits.map_window == 0 {
                seen_exceptions += 1;
            }
            *e
        } else {
            failures.push(format!(
                "{}: manifest read_error without an expectation here: {}",
                label, row.read_error
            ));
            continue;
        };
        if got != expected {
            failures.push(format!("{}: got {got:?}, expected {expected:?}", label));
        }
    }
    assert!(
        failures.is_empty(),
        "{} files differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(
        seen_exceptions,
        exceptions.len(),
        "every exception is in the manifest"
    );
    assert!(
        checked >= 3690,
        "only {checked} capture files in the manifest"
    );
}
