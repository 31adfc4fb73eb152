//! Syslog fixtures: corpus messages (expected values from tshark's `syslog.facility`,
//! `syslog.level`, `syslog.hostname`, `syslog.appname`, `syslog.procid`) and annotated
//! hand-made ones.

use super::*;
use crate::testing::{
    Harness, SEED, anomalies, ctx_tcp, ctx_udp, facts, hex, run_session, xorshift,
};

/// tcpdump/tests/syslog_udp.pcap frames 1 and 3 (UDP to 514).
/// Frame 1: "<5>Sep 12 19:16:12 through logger: test message 21\0"; tshark: facility 0
/// (kern), level 5 (notice), hostname "through", appname "logger".
const BSD_1: &str = "3c353e5365702031322031393a31363a3132207468726f756768206c6f676765723a2074657374206d65737361676520323100";
/// Frame 3: "<13>2013-09-12T19:16:34.457849+04:00 localhost through rsyslog: test message 23"
/// (an RFC 3339 timestamp in a BSD message); tshark: facility 1 (user), level 5.
const BSD_ISO: &str = "3c31333e323031332d30392d31325431393a31363a33342e3435373834392b30343a3030206c6f63616c686f7374207468726f75676820727379736c6f673a2074657374206d657373616765203233";

#[test]
fn corpus_bsd_messages_as_tshark_reads_them() {
    let (a, b) = (hex(BSD_1), hex(BSD_ISO));
    let (name, obs, _) = run_session(ctx_udp(514), &[(Side::Client, &a), (Side::Client, &b)]);
    assert_eq!(name, Some("syslog"));
    // "localhost" is not a fact; "through" in frame 3 is not followed by ':' or '[', so it is
    // not taken as a TAG (tshark shows no appname there either).
    assert_eq!(
        facts(&obs),
        vec![
            ("client", "syslog.hostname", "through".to_string()),
            ("client", "syslog.app_name", "logger".to_string()),
        ]
    );
    let mut h = Harness::<Syslog>::udp(514);
    h.feed(Side::Client, &a);
    h.feed(Side::Client, &b);
    let ev = h.events();
    assert_eq!(ev[0].body["format"], "rfc3164");
    assert_eq!(ev[0].body["facility"], "kern");
    assert_eq!(ev[0].body["severity"], "notice");
    assert_eq!(ev[0].body["procid_present"], false);
    assert_eq!(ev[1].body["facility"], "user");
    assert_eq!(ev[1].body["hostname"], "localhost");
    let all = format!("{:?}{:?}", h.observations(), ev);
    assert!(!all.contains("test message"), "the MSG part is never kept");
}

/// nDPI/tests/cfgs/default/pcap/syslog.pcap frame 85 (UDP 514 → 11000), the header of an RFC
/// 5424 message; tshark: facility 5 (syslog), level 5, hostname "pfSense.localdomain", appname
/// "suricata", procid 37046. The JSON message after "- - " is cut here.
const IETF: &[u8] = b"<45>1 2022-03-02T12:39:47.689392-01:00 pfSense.localdomain suricata 37046 - - {\"timestamp\": \"2022-03-02T12:39:47.561523-0100\", \"flow_id\": 381079355822573";

#[test]
fn corpus_rfc5424_header() {
    let mut h = Harness::<Syslog>::udp(11000);
    assert_eq!(
        Syslog::probe(IETF, Side::Client, &ctx_udp(11000)),
        Probe::Yes
    );
    h.feed(Side::Client, IETF);
    let obs = h.observations();
    assert_eq!(
        facts(&obs),
        vec![
            (
                "client",
                "syslog.hostname",
                "pfSense.localdomain".to_string()
            ),
            ("client", "syslog.app_name", "suricata".to_string()),
        ]
    );
    let ev = h.events();
    let o = &ev[0].body;
    assert_eq!(o["format"], "rfc5424");
    assert_eq!(o["facility"], "syslog");
    assert_eq!(o["severity"], "notice");
    assert_eq!(o["procid_present"], true);
    assert!(!format!("{ev:?}").contains("flow_id"));
}

#[test]
fn corpus_tag_without_hostname() {
    // zeek/testing/btest/Traces/syslog-single-udp.pcap: "<133>Apr  5 12:56:51 robin: Hello,
    // syslog!\0". tshark reads hostname "robin:" and appname "Hello"; RFC 3164 §5.3 says a
    // token ending in ':' is the TAG, so this message has no HOSTNAME.
    let d = hex(
        "3c3133333e4170722020352031323a35363a353120726f62696e3a2048656c6c6f2c207379736c6f672100",
    );
    let mut h = Harness::<Syslog>::udp(514);
    h.feed(Side::Client, &d);
    assert_eq!(
        facts(&h.observations()),
        vec![("client", "syslog.app_name", "robin".to_string())]
    );
    assert_eq!(h.events()[0].body["facility"], "local0");
}

/// zeek/testing/btest/Traces/tcp-syslog.pcap frames 4–7 (TCP 12345 → 514): RFC 6587
/// octet-counted and LF-delimited messages mixed on one stream.
const TCP_FRAMES: [&str; 4] = [
    "3531203c31333e4f63742031312032323a31343a3135206d796d616368696e652073753a2027737520726f6f7427206661696c656420",
    "3c31343e4f63742031312032323a31343a3136206d796d616368696e652073753a2027737520726f6f7427206661696c65640a",
    "3530203c31353e4f63742031312032323a31343a3137206d796d616368696e652073753a2027737520626f6227206661696c656420",
    "3c31363e4f63742031312032323a31343a3138206d796d616368696e652073753a2027737520626f6227206661696c65640a",
];

#[test]
fn corpus_tcp_mixed_framing() {
    let frames: Vec<Vec<u8>> = TCP_FRAMES.iter().map(|f| hex(f)).collect();
    let deliveries: Vec<(Side, &[u8])> = frames.iter().map(|f| (Side::Client, &f[..])).collect();
    let (name, obs, c) = run_session(ctx_tcp(514), &deliveries);
    assert_eq!(name, Some("syslog"));
    assert_eq!(crate::testing::counter(&c, "syslog", "messages"), 4);
    assert_eq!(
        facts(&obs),
        vec![
            ("client", "syslog.hostname", "mymachine".to_string()),
            ("client", "syslog.app_name", "su".to_string()),
        ]
    );
    assert!(!format!("{obs:?}").contains("root"));
}

#[test]
fn tcp_messages_split_across_deliveries() {
    let all: Vec<u8> = TCP_FRAMES.iter().flat_map(|f| hex(f)).collect();
    let mut h = Harness::<Syslog>::tcp(514);
    // Byte by byte: octet counts and LFs split anywhere.
    for b in all.chunks(1) {
        assert_eq!(h.feed(Side::Client, b), Verdict::Continue);
    }
    assert_eq!(h.counter("messages"), 4);
    let ev = h.events();
    assert_eq!(ev.len(), 4);
    assert_eq!(ev[3].body["severity"], "emerg"); // <16>: local... facility 2 (mail), severity 0
    assert_eq!(ev[3].body["facility"], "mail");
}

#[test]
fn message_text_never_appears() {
    let mut h = Harness::<Syslog>::udp(514);
    h.feed(
        Side::Client,
        b"<134>Oct 11 22:14:15 his-gw hl7d[812]: ADT^A01 patient DOE^JOHN MRN 4711 admitted\n",
    );
    h.feed(
        Side::Client,
        b"<134>1 2024-01-01T00:00:00Z his-gw hl7d 812 ADT [meta x=\"1\"] patient DOE^JOHN",
    );
    let obs = h.observations();
    assert_eq!(
        facts(&obs),
        vec![
            ("client", "syslog.hostname", "his-gw".to_string()),
            ("client", "syslog.app_name", "hl7d".to_string()),
        ]
    );
    let ev = h.events();
    assert_eq!(ev[0].body["procid_present"], true);
    assert_eq!(ev[1].body["format"], "rfc5424");
    let all = format!("{obs:?}{ev:?}");
    for s in ["DOE", "JOHN", "4711", "ADT", "meta"] {
        assert!(!all.contains(s), "{s} leaked");
    }
}

#[test]
fn probe_by_content_with_the_port_as_tie_breaker() {
    let udp = ctx_udp(514);
    assert_eq!(Syslog::probe(b"<", Side::Client, &udp), Probe::NeedMore);
    assert_eq!(Syslog::probe(b"<13", Side::Client, &udp), Probe::NeedMore);
    assert_eq!(Syslog::probe(b"<13>x", Side::Client, &udp), Probe::Yes);
    assert_eq!(Syslog::probe(b"<192>x", Side::Client, &udp), Probe::No);
    assert_eq!(Syslog::probe(b"<1234>", Side::Client, &udp), Probe::No);
    assert_eq!(Syslog::probe(b"<>", Side::Client, &udp), Probe::No);
    assert_eq!(Syslog::probe(b"<html>", Side::Client, &udp), Probe::No);
    // Off port 514 the header must look like one.
    let other = ctx_udp(9999);
    assert_eq!(
        Syslog::probe(b"<13>Oct 11 22:14:15 a b: c", Side::Client, &other),
        Probe::Yes
    );
    assert_eq!(
        Syslog::probe(b"<13>hello there, world!", Side::Client, &other),
        Probe::No
    );
    assert_eq!(
        Syslog::probe(b"<13>Oct", Side::Client, &ctx_tcp(9999)),
        Probe::NeedMore
    );
    // TCP octet counting.
    let tcp = ctx_tcp(514);
    assert_eq!(Syslog::probe(b"51", Side::Client, &tcp), Probe::NeedMore);
    assert_eq!(Syslog::probe(b"51 <13>", Side::Client, &tcp), Probe::Yes);
    assert_eq!(
        Syslog::probe(b"220 smtp ready", Side::Client, &tcp),
        Probe::No
    );
    assert_eq!(Syslog::probe(b"51 <13>", Side::Client, &udp), Probe::No);
}

#[test]
fn hostile_bad_pri_is_an_anomaly() {
    let mut h = Harness::<Syslog>::udp(514);
    h.feed(Side::Client, b"<999>Oct 11 22:14:15 host app: x");
    h.feed(Side::Client, b"no pri at all");
    assert_eq!(anomalies(&h.observations()), vec!["syslog_bad_pri"]);
    assert_eq!(h.counter("syslog_bad_pri"), 2);
}

#[test]
fn hostile_rfc5424_fields() {
    let mut h = Harness::<Syslog>::udp(514);
    h.feed(Side::Client, b"<13>1 - host");
    assert_eq!(h.counter("syslog_rfc5424_short_header"), 1);
    let mut long = b"<13>1 - ".to_vec();
    long.extend(std::iter::repeat_n(b'h', 300));
    long.extend_from_slice(b" app - - -");
    h.feed(Side::Client, &long);
    assert_eq!(h.counter("syslog_rfc5424_bad_field"), 1);
    assert!(facts(&h.observations()).is_empty());
}

#[test]
fn hostile_tcp_framing() {
    // An octet count far past the 64 KiB limit: skipped, then the next message parses.
    let mut h = Harness::<Syslog>::tcp(514);
    let mut stream = b"9999999 <13>".to_vec();
    stream.extend(std::iter::repeat_n(b'x', 1000));
    assert_eq!(h.feed(Side::Client, &stream), Verdict::Continue);
    assert_eq!(h.counter("syslog_message_too_long"), 1);
    // Garbage that is neither framing: Done.
    let mut h = Harness::<Syslog>::tcp(514);
    assert_eq!(
        h.feed(Side::Client, b"<13>Oct 11 22:14:15 a b: c\nGARBAGE\n"),
        Verdict::Done
    );
    assert_eq!(h.counter("syslog_bad_framing"), 1);
    assert_eq!(h.counter("messages"), 1);
    // An LF-delimited message that never ends is held only up to the limit.
    let mut h = Harness::<Syslog>::tcp(514);
    let mut endless = b"<13>".to_vec();
    endless.extend(std::iter::repeat_n(b'y', message::MAX_MESSAGE + 10));
    h.feed(Side::Client, &endless);
    assert_eq!(h.counter("syslog_message_too_long"), 1);
}

#[test]
fn done_after_256_messages() {
    let mut h = Harness::<Syslog>::udp(514);
    for _ in 1..MAX_MESSAGES {
        assert_eq!(
            h.feed(Side::Client, b"<13>Oct 11 22:14:15 a b: c"),
            Verdict::Continue
        );
    }
    assert_eq!(
        h.feed(Side::Client, b"<13>Oct 11 22:14:15 a b: c"),
        Verdict::Done
    );
    let mut h = Harness::<Syslog>::tcp(514);
    let many = b"<13>Oct 11 22:14:15 a b: c\n".repeat(300);
    assert_eq!(h.feed(Side::Client, &many), Verdict::Done);
    assert_eq!(h.counter("messages"), u64::from(MAX_MESSAGES));
}

#[test]
fn mutated_messages_never_panic() {
    let mut next = xorshift(SEED);
    let bases: Vec<Vec<u8>> = [BSD_1, BSD_ISO, TCP_FRAMES[0], TCP_FRAMES[1]]
        .iter()
        .map(|f| hex(f))
        .chain([IETF.to_vec()])
        .collect();
    for tcp in [false, true] {
        let ctx = if tcp { ctx_tcp(514) } else { ctx_udp(514) };
        let mut h = Harness::<Syslog>::new(ctx);
        for base in &bases {
            for _ in 0..1000 {
                let mut d = base.clone();
                for _ in 0..(next() % 4) {
                    let i = (next() as usize) % d.len();
                    d[i] = [b' ', b'<', b'>', b'1', b'\n', b':', b'[', next() as u8]
                        [(next() % 8) as usize];
                }
                d.truncate((next() as usize) % (d.len() + 1));
                let _ = Syslog::probe(&d, Side::Client, &ctx);
                h.feed(Side::Client, &d);
            }
        }
        let _ = h.observations();
    }
}
