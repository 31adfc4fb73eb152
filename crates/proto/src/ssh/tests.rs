//! SSH identification strings: RFC 4253 §4.2 examples and real banners.

use super::*;
use crate::testing::{Harness, facts, software};

#[test]
fn openssh_banner_gives_product_and_version() {
    // From RFC 4253 §4.2's grammar, as OpenSSH sends it:
    // "SSH-" protoversion "-" softwareversion SP comments CR LF
    let line = parse(b"SSH-2.0-OpenSSH_8.9p1 Ubuntu-3ubuntu0.1\r\n").unwrap();
    assert_eq!(line.proto_version, b"2.0");
    assert_eq!(line.software, b"OpenSSH");
    assert_eq!(line.version, Some(&b"8.9p1"[..]));
    assert_eq!(line.software_line, b"OpenSSH_8.9p1 Ubuntu-3ubuntu0.1");
}

#[test]
fn banners_without_version_or_software() {
    assert_eq!(parse(b"SSH-2.0-dropbear\r\n").unwrap().version, None);
    assert_eq!(
        parse(b"SSH-1.99-Cisco-1.25\n").unwrap().version,
        Some(&b"1.25"[..])
    );
    assert_eq!(parse(b"SSH-2.0\r\n"), Err("ssh_banner_without_software"));
    assert_eq!(parse(b"SSH-2.0-\r\n"), Err("ssh_banner_without_software"));
    assert_eq!(parse(b"HTTP/1.1 200\r\n"), Err("ssh_not_a_banner"));
}

#[test]
fn both_banners_split_across_segments_then_done() {
    let mut h = Harness::<Ssh>::tcp(22);
    assert_eq!(h.feed(Side::Server, b"SSH-2.0-Open"), Verdict::Continue);
    assert_eq!(h.feed(Side::Server, b"SSH_9.6\r\n"), Verdict::Continue);
    assert_eq!(
        h.feed(Side::Client, b"SSH-2.0-libssh_0.10.6\r\n\0\0\0\x14"),
        Verdict::Done
    );
    let sw = software(&h.observations());
    assert_eq!(
        sw,
        vec![
            ("server", "OpenSSH".into(), Some("9.6".into())),
            ("client", "libssh".into(), Some("0.10.6".into())),
        ]
    );
    assert!(facts(&h.observations()).is_empty());
}

#[test]
fn endless_line_is_an_anomaly_not_a_buffer() {
    let mut h = Harness::<Ssh>::tcp(22);
    h.feed(Side::Server, b"SSH-2.0-");
    let v = h.feed(Side::Server, &[b'A'; 1000]);
    assert_eq!(v, Verdict::Continue);
    assert_eq!(h.counter("ssh_banner_too_long"), 1);
}

#[test]
fn probe_needs_four_bytes() {
    let ctx = crate::testing::ctx_tcp(22);
    assert_eq!(Ssh::probe(b"SS", Side::Server, &ctx), Probe::NeedMore);
    assert_eq!(Ssh::probe(b"SSH-", Side::Server, &ctx), Probe::Yes);
    assert_eq!(Ssh::probe(b"GET ", Side::Client, &ctx), Probe::No);
}
