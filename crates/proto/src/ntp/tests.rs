//! NTP fixtures: annotated headers (RFC 5905 §7.3, RFC 9327 §2) and corpus datagrams, with
//! expected values taken from tshark (`-e ntp.stratum -e ntp.refid -e ntp.ppoll`).

use super::*;
use crate::testing::{
    Harness, anomalies, ctx_udp, fact, facts, hex, mutated_datagrams, run_session, software,
};

/// A stratum-1 server reply, annotated (RFC 5905 §7.3 Figure 8). Bytes from
/// zeek/testing/btest/Traces/ntp.pcap frame 2; tshark: ntp.stratum 1, ntp.refid 47505373
/// ("GPSs"), ntp.ppoll 8, ntp.precision 236 (-20 as a signed octet).
const SERVER_GPS: &str = "
    24                      -- LI 0, VN 4, Mode 4 (server)
    01                      -- Stratum 1 (primary)
    08                      -- Poll 2^8 s
    ec                      -- Precision -20
    00 00 00 00             -- Root Delay
    00 00 00 41             -- Root Dispersion
    47 50 53 73             -- Reference ID 'GPSs'
    db ac a3 e7 f6 d6 ae 36 -- Reference Timestamp
    db ac a3 e8 77 c4 08 ac -- Origin Timestamp
    db ac a3 e8 82 0d 17 8f -- Receive Timestamp
    db ac a3 e8 82 0e 17 9e -- Transmit Timestamp
";

/// The client request before it (zeek ntp.pcap frame 1): VN 4, mode 3, poll 8.
const CLIENT: &str = "e3000800000000000000000000000000000000000000000000000000000000000000000000000000dbaca3e877c408ac";

#[test]
fn corpus_stratum_1_server_as_tshark_reads_it() {
    let (c, s) = (hex(CLIENT), hex(SERVER_GPS));
    let (name, obs, _) = run_session(ctx_udp(123), &[(Side::Client, &c), (Side::Server, &s)]);
    assert_eq!(name, Some("ntp"));
    assert_eq!(
        facts(&obs),
        vec![
            ("client", "ntp.version", "4".to_string()),
            ("client", "ntp.mode", "client".to_string()),
            ("server", "ntp.version", "4".to_string()),
            ("server", "ntp.mode", "server".to_string()),
            ("server", "ntp.stratum", "1".to_string()),
            ("server", "ntp.reference_id", "GPSs".to_string()),
        ]
    );
    let mut h = Harness::<Ntp>::udp(123);
    h.feed(Side::Server, &s);
    let ev = h.events();
    let o = &ev[0].body;
    assert_eq!(o["version"], 4);
    assert_eq!(o["mode"], "server");
    assert_eq!(o["stratum"], 1);
    assert_eq!(o["reference_id"], "GPSs");
    assert_eq!(o["poll"], 8);
    assert_eq!(o["precision"], -20);
}

/// tcpdump/tests/ntp-time.pcap frame 2: stratum 2 from 132.199.4.1; tshark ntp.refid
/// 84c707c9 = upstream 132.199.7.201.
const SERVER_STRATUM_2: &str = "240208e8000000150000095284c707c9dd47fb3a567637c0dd47fff4edb0ccbcdd47fff4ee0f4743dd47fff4ee1119cf";

#[test]
fn corpus_stratum_2_reference_is_the_upstream_ip() {
    let mut h = Harness::<Ntp>::udp(123);
    h.feed(Side::Server, &hex(SERVER_STRATUM_2));
    let obs = h.observations();
    assert_eq!(fact(&obs, "ntp.stratum"), Some("2"));
    assert_eq!(fact(&obs, "ntp.reference_ip"), Some("132.199.7.201"));
    assert_eq!(fact(&obs, "ntp.reference_id"), None);
    assert_eq!(h.events()[0].body["reference_id"], "132.199.7.201");
}

/// tcpdump/tests/ntp-control.pcap frames 1 and 2: a mode 6 READVAR request and its
/// response naming ntpd 4.2.8p10 on Linux/4.4.79-18.26-default.
const CONTROL_REQ: &str = "
    16                      -- LI 0, VN 2, Mode 6 (control)
    02                      -- R 0, E 0, M 0, Opcode 2 (read variables)
    00 44                   -- Sequence 68
    00 00                   -- Status
    00 00                   -- Association ID 0 (the system)
    00 00                   -- Offset
    00 00                   -- Count 0
";
const CONTROL_RESP: &str = "16820044061800000000018a76657273696f6e3d226e74706420342e322e3870313040312e333732382d6f20467269204d61792032362031343a30373a323920555443203230313720283129222c0d0a70726f636573736f723d227838365f3634222c2073797374656d3d224c696e75782f342e342e37392d31382e32362d64656661756c74222c206c6561703d302c0d0a7374726174756d3d332c20707265636973696f6e3d2d32312c20726f6f7464656c61793d302e3730382c20726f6f74646973703d36392e3833392c0d0a72656669643d3133322e3139392e342e312c2072656674696d653d307864643437663034392e30333439386139662c0d0a636c6f636b3d307864643437663331342e39636335613434352c20706565723d34383832392c2074633d382c206d696e74633d332c206f66667365743d2d302e3438363633332c0d0a6672657175656e63793d2d37362e3339372c207379735f6a69747465723d302e3030303030302c20636c6b5f6a69747465723d302e3331342c0d0a636c6b5f77616e6465723d302e3036330d0a0000";

#[test]
fn corpus_mode6_query_is_an_anomaly_and_the_response_names_ntpd() {
    let mut h = Harness::<Ntp>::udp(123);
    h.feed(Side::Client, &hex(CONTROL_REQ));
    h.feed(Side::Server, &hex(CONTROL_RESP));
    let obs = h.observations();
    assert_eq!(anomalies(&obs), vec!["ntp_mode6_query"]);
    assert_eq!(
        software(&obs),
        vec![("server", "ntpd".to_string(), Some("4.2.8p10".to_string()))]
    );
    assert_eq!(fact(&obs, "ntp.system"), Some("Linux/4.4.79-18.26-default"));
    let ev = h.events();
    assert_eq!(ev[0].body["mode"], "control");
    assert_eq!(ev[0].body["opcode"], 2);
    assert_eq!(ev[1].body["response"], true);
}

#[test]
fn corpus_mode7_query_is_an_anomaly() {
    // tcpdump/tests/ntp-mode7.pcap frame 1: R 0, VN 2, mode 7; implementation 3
    // (XNTPD_OLD), request code 0x1c; 188 zero octets follow.
    let mut req = hex("17 00 03 1c");
    req.resize(192, 0);
    let (name, obs, c) = run_session(ctx_udp(123), &[(Side::Client, &req)]);
    assert_eq!(name, Some("ntp"));
    assert_eq!(anomalies(&obs), vec!["ntp_mode7_query"]);
    assert_eq!(crate::testing::counter(&c, "ntp", "ntp_mode7_query"), 1);
    // A monlist request (REQ_MON_GETLIST_1 = 42).
    let mut h = Harness::<Ntp>::udp(123);
    h.feed(Side::Client, &hex("17 00 03 2a 00 00 00 00"));
    assert_eq!(h.counter("ntp_mode7_monlist"), 1);
    assert_eq!(h.events()[0].body["request_code"], 42);
}

#[test]
fn probe_uses_the_port_only_to_break_ties() {
    let s = hex(SERVER_GPS);
    assert_eq!(Ntp::probe(&s, Side::Server, &ctx_udp(123)), Probe::Yes);
    // A real header is recognised off port 123 too.
    assert_eq!(Ntp::probe(&s, Side::Server, &ctx_udp(5000)), Probe::Yes);
    // Mode 6/7 only on port 123.
    let c = hex(CONTROL_REQ);
    assert_eq!(Ntp::probe(&c, Side::Client, &ctx_udp(123)), Probe::Yes);
    assert_eq!(Ntp::probe(&c, Side::Client, &ctx_udp(5000)), Probe::No);
    // Too short, VN 0, VN 7, stratum 200.
    assert_eq!(Ntp::probe(&s[..47], Side::Server, &ctx_udp(123)), Probe::No);
    let mut v = s.clone();
    v[0] = 0x04;
    assert_eq!(Ntp::probe(&v, Side::Server, &ctx_udp(123)), Probe::No);
    v[0] = 0x3c;
    assert_eq!(Ntp::probe(&v, Side::Server, &ctx_udp(123)), Probe::No);
    let mut st = s.clone();
    st[1] = 200;
    assert_eq!(Ntp::probe(&st, Side::Server, &ctx_udp(123)), Probe::No);
    // An SSDP M-SEARCH reads as VN 1 mode 5 but its "stratum" is '-'.
    let mut ssdp = b"M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\n".to_vec();
    ssdp.resize(64, b' ');
    assert_eq!(Ntp::probe(&ssdp, Side::Client, &ctx_udp(123)), Probe::No);
    // Off port, a poll of 100 is not NTP.
    let mut p = s.clone();
    p[2] = 100;
    assert_eq!(Ntp::probe(&p, Side::Server, &ctx_udp(5000)), Probe::No);
}

#[test]
fn hostile_truncated_and_oversized_control() {
    let mut h = Harness::<Ntp>::udp(123);
    h.feed(Side::Server, &hex(SERVER_GPS)[..20]);
    assert_eq!(h.counter("ntp_truncated"), 1);
    // Mode 6 with a count past the end.
    h.feed(
        Side::Server,
        &hex("16 82 00 01 00 00 00 00 00 00 01 00 41 41"),
    );
    assert_eq!(h.counter("ntp_truncated"), 2);
    // Mode 6 with a count over RFC 9327's 468.
    let mut big = hex("16 82 00 01 00 00 00 00 00 00 ff ff");
    big.resize(12 + 0xffff, b'a');
    h.feed(Side::Server, &big);
    assert_eq!(h.counter("ntp_control_count_too_large"), 1);
    // A READVAR response whose version value never closes its quote.
    let mut open = hex("16 82 00 01 00 00 00 00 00 00 00 0a");
    open.extend_from_slice(b"version=\"x");
    h.feed(Side::Server, &open);
    assert!(software(&h.observations()).is_empty());
}

#[test]
fn kiss_of_death_is_an_anomaly_not_a_fact() {
    let mut kod = hex(SERVER_GPS);
    kod[1] = 0; // stratum 0
    kod[12..16].copy_from_slice(b"RATE");
    let mut h = Harness::<Ntp>::udp(123);
    h.feed(Side::Server, &kod);
    let obs = h.observations();
    assert_eq!(anomalies(&obs), vec!["ntp_kiss_of_death"]);
    assert_eq!(fact(&obs, "ntp.stratum"), None);
    assert_eq!(h.events()[0].body["reference_id"], "RATE");
}

#[test]
fn control_var_matches_whole_names_only() {
    assert_eq!(
        packet::control_var(b"xversion=\"no\", version=\"yes\"", b"version"),
        Some(&b"yes"[..])
    );
    assert_eq!(packet::control_var(b"version=", b"version"), None);
    assert_eq!(packet::control_var(b"", b"version"), None);
}

#[test]
fn done_after_64_datagrams() {
    let mut h = Harness::<Ntp>::udp(123);
    let c = hex(CLIENT);
    for _ in 1..MAX_DATAGRAMS {
        assert_eq!(h.feed(Side::Client, &c), Verdict::Continue);
    }
    assert_eq!(h.feed(Side::Client, &c), Verdict::Done);
}

#[test]
fn mutated_fixtures_never_panic() {
    // A deterministic xorshift: flip and truncate the fixtures a few thousand times.
    let bases: Vec<Vec<u8>> = [SERVER_GPS, CONTROL_RESP, CONTROL_REQ, SERVER_STRATUM_2]
        .iter()
        .map(|f| hex(f))
        .collect();
    mutated_datagrams::<Ntp>(123, &bases);
}
