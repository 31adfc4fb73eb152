//! POP3 fixtures: RFC 1939 §7/§10 examples, RFC 5034 §6, RFC 2595 §4, and real captures
//! from /work/shared/corpus (named where used).
//!
//! Checked against tshark on nDPI/tests/cfgs/default/pcap/pop3.pcap:
//! `tshark -Y 'pop.request.command'` shows stream 0 as `user …` then `pass …` (lower case)
//! answered `+OK`, and `AUTH` exchanges in streams 2, 4 and 5; stream 0 is
//! `lower_case_user_pass_from_ndpi_capture` below (one exposure, user present, accepted).
//! zeek/testing/btest/Traces/pop3/pop3.pcap stream 3 (`AUTH PLAIN` → `-ERR`, where tshark
//! shows the AUTH command and its response line) is `auth_plain_rejected_from_zeek_capture`.

use super::*;
use crate::testing::{Harness, anomalies, ctx_tcp, exposures, fact, run_session, software};

fn run(h: &mut Harness<Pop3>, steps: &[(Side, &[u8])]) -> Verdict {
    let mut v = Verdict::Continue;
    for (side, data) in steps {
        v = h.feed(*side, data);
    }
    v
}

fn assert_secret_free(h: &mut Harness<Pop3>, secrets: &[&str]) {
    let all = format!("{:?}{:?}", h.observations(), h.events());
    for s in secrets {
        assert!(!all.contains(s), "{s:?} leaked: {all}");
    }
}

/// nDPI/tests/cfgs/default/pcap/pop3.pcap, stream 0 (commands in lower case: RFC 1939 §3
/// keywords are case-insensitive).
const NDPI_USER_PASS: &[(Side, &[u8])] = &[
    // RFC 1939 §4: the greeting, "+OK" SP text.
    (Side::Server, b"+OK POP server ready H migmxus005\r\n"),
    // RFC 1939 §7 USER SP name.
    (Side::Client, b"user cicciopernacchio@mail.com\r\n"),
    (
        Side::Server,
        b"+OK password required for user \"cicciopernacchio@mail.com\"\r\n",
    ),
    // RFC 1939 §7 PASS SP string: cleartext password.
    (Side::Client, b"pass pippozzo\r\n"),
    (
        Side::Server,
        b"+OK mailbox \"cicciopernacchio@mail.com\" has 2 messages (17672 octets) H migmxus005\r\n",
    ),
    (Side::Client, b"list\r\n"),
];

#[test]
fn lower_case_user_pass_from_ndpi_capture() {
    let mut h = Harness::<Pop3>::tcp(110);
    assert_eq!(
        run(&mut h, NDPI_USER_PASS),
        Verdict::Done,
        "done after the accepted login"
    );
    let obs = h.observations();
    assert_eq!(
        fact(&obs, "pop3.banner"),
        Some("POP server ready H migmxus005")
    );
    let e = exposures(&obs);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].subject, "POP3 USER/PASS");
    assert_eq!(e[0].fields, vec!["password".to_string()]);
    assert_eq!(e[0].user_present, Some(true));
    let ev = h.events();
    assert_eq!(ev.len(), 2);
    assert_eq!(ev[0].body["status"], "+OK");
    assert_eq!(ev[1].body["command"], "PASS");
    assert_eq!(ev[1].body["login"], "accepted");
    assert_secret_free(&mut h, &["ciccio", "pippozzo", "mailbox"]);
}

#[test]
fn user_pass_split_at_every_byte() {
    let mut h = Harness::<Pop3>::tcp(110);
    let mut v = Verdict::Continue;
    for (side, data) in NDPI_USER_PASS {
        for b in data.chunks(1) {
            v = h.feed(*side, b);
        }
    }
    assert_eq!(v, Verdict::Done);
    assert_eq!(exposures(&h.observations()).len(), 1);
    assert_secret_free(&mut h, &["ciccio", "pippozzo"]);
}

#[test]
fn apop_rfc1939_example() {
    // RFC 1939 §7: the greeting's timestamp, then APOP name MD5(timestamp + secret).
    let mut h = Harness::<Pop3>::tcp(110);
    run(
        &mut h,
        &[
            (
                Side::Server,
                b"+OK POP3 server ready <1896.697170952@dbc.mtview.ca.us>\r\n",
            ),
            (
                Side::Client,
                b"APOP mrose c4c9334bac560ecc979e58001b3e22fb\r\n",
            ),
            (Side::Server, b"-ERR permission denied\r\n"),
        ],
    );
    let obs = h.observations();
    let e = exposures(&obs);
    assert_eq!(e[0].subject, "POP3 APOP");
    assert_eq!(e[0].fields, vec!["APOP".to_string()]);
    assert_eq!(e[0].user_present, Some(true));
    assert_eq!(h.events()[1].body["login"], "rejected");
    assert_secret_free(&mut h, &["mrose", "c4c9334b"]);
}

#[test]
fn dovecot_greeting_names_the_product() {
    let mut h = Harness::<Pop3>::tcp(110);
    h.feed(Side::Server, b"+OK Dovecot ready.\r\n");
    let obs = h.observations();
    assert_eq!(software(&obs), vec![("server", "Dovecot".into(), None)]);
    assert_eq!(fact(&obs, "pop3.banner"), None);
}

/// zeek/testing/btest/Traces/pop3/pop3.pcap, stream 3: CAPA (multi-line, lists STLS),
/// AUTH PLAIN, "+ " challenge, response base64("\0" user "\0" password), -ERR.
#[test]
fn auth_plain_rejected_from_zeek_capture() {
    let mut h = Harness::<Pop3>::tcp(110);
    let v = run(
        &mut h,
        &[
            (Side::Server, b"+OK POP server ready H mimap8 0MHXFQ-1VDgSF1308-003NYq\r\n"),
            // RFC 5034 §4: AUTH without a mechanism is not the SASL command.
            (Side::Client, b"AUTH\r\n"),
            (Side::Server, b"-ERR 1 argument required\r\n"),
            // RFC 2449 §5 CAPA: multi-line, ended by ".".
            (Side::Client, b"CAPA\r\n"),
            (Side::Server, b"+OK Capability list follows\r\nTOP\r\nUSER\r\nUIDL\r\nSTLS\r\nSASL PLAIN\r\nIMPLEMENTATION trinity\r\n.\r\n"),
            // RFC 5034 §4 "AUTH" SP mechanism; "+" SP challenge; the response.
            (Side::Client, b"AUTH PLAIN\r\n"),
            (Side::Server, b"+ \r\n"),
            (Side::Client, b"AGRpZ2l0YWxpbnZlc3RpZ2F0b3JAbmV0d29ya3NpbXMuY29tAG5hcGllcg==\r\n"),
            (Side::Server, b"-ERR authentication failed\r\n"),
        ],
    );
    assert_eq!(
        v,
        Verdict::Continue,
        "a failed login does not end the parse"
    );
    let obs = h.observations();
    let e = exposures(&obs);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].subject, "POP3 AUTH PLAIN");
    assert_eq!(e[0].user_present, Some(true));
    assert!(anomalies(&obs).is_empty(), "{:?}", anomalies(&obs));
    let ev = h.events();
    let login = &ev[ev.len() - 1].body;
    assert_eq!(login["mechanism"], "PLAIN");
    assert_eq!(login["login"], "rejected");
    assert_eq!(login["starttls_offered"], true);
    assert_secret_free(&mut h, &["digitalinvestigator", "napier", "AGRpZ2l0"]);
}

/// arkime/tests/pcap/pop3-tag.pcap: XOAUTH2, a bearer token in cleartext.
#[test]
fn xoauth2_bearer_token_is_a_credential() {
    let mut h = Harness::<Pop3>::tcp(110);
    run(
        &mut h,
        &[
            (Side::Server, b"+OK POP3 ready\r\n"),
            (Side::Client, b"AUTH XOAUTH2\r\n"),
            (Side::Server, b"+ \r\n"),
            (Side::Client, b"dXNlcj1qb2Uuc3BlZWRib2F0AWF1dGg9QmVhcmVyIEFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUEBAQ==\r\n"),
            (Side::Server, b"+OK Welcome.\r\n"),
        ],
    );
    let e = exposures(&h.observations());
    assert_eq!(e[0].subject, "POP3 AUTH XOAUTH2");
    assert_eq!(e[0].fields, vec!["token".to_string()]);
    assert_eq!(e[0].user_present, Some(true));
    assert_secret_free(&mut h, &["joe", "speedboat", "Bearer"]);
}

/// nDPI/tests/cfgs/default/pcap/pop3_stls.pcap: STLS → +OK, then TLS.
#[test]
fn stls_accepted_stops_and_no_credential_after_it() {
    let mut h = Harness::<Pop3>::tcp(110);
    let v = run(
        &mut h,
        &[
            (Side::Server, b"+OK lavad\r\n"),
            (Side::Client, b"CAPA\r\n"),
            (Side::Server, b"+OK Capabilities follow.\r\nTOP\r\nUSER\r\nSTLS\r\nIMPLEMENTATION lavad 4.3.0\r\n.\r\n"),
            // RFC 2595 §4 "STLS" → "+OK Begin TLS negotiation".
            (Side::Client, b"STLS\r\n"),
        ],
    );
    assert_eq!(v, Verdict::Continue);
    assert_eq!(
        h.feed(Side::Server, b"+OK Ready to start TLS negotiation.\r\n"),
        Verdict::Done
    );
    assert_eq!(h.feed(Side::Client, b"USER a\r\nPASS b\r\n"), Verdict::Done);
    assert!(exposures(&h.observations()).is_empty());
    let ev = h.events();
    assert_eq!(ev[ev.len() - 1].body["starttls"], true);
}

#[test]
fn multiline_body_lines_are_not_status_lines() {
    // A LIST answer whose lines could look like anything; then a login.
    let mut h = Harness::<Pop3>::tcp(110);
    run(
        &mut h,
        &[
            (Side::Server, b"+OK hi\r\n"),
            (Side::Client, b"LIST\r\nUSER u\r\nPASS p\r\n"),
            (Side::Server, b"+OK 2 messages\r\n1 120\r\n-ERR looks like status\r\n.\r\n+OK\r\n-ERR bad password\r\n"),
        ],
    );
    let ev = h.events();
    assert_eq!(ev[ev.len() - 1].body["login"], "rejected");
}

#[test]
fn unanswered_pass_is_reported_at_end() {
    let mut h = Harness::<Pop3>::tcp(110);
    run(
        &mut h,
        &[
            (Side::Server, b"+OK\r\n"),
            (Side::Client, b"PASS alone\r\n"),
        ],
    );
    h.end();
    let obs = h.observations();
    assert_eq!(exposures(&obs)[0].user_present, Some(false));
    let ev = h.events();
    assert_eq!(ev[ev.len() - 1].body["login"], "no_reply");
}

#[test]
fn greeting_that_is_only_the_status() {
    let mut h = Harness::<Pop3>::tcp(110);
    h.feed(Side::Server, b"+OK\r\n");
    let obs = h.observations();
    assert_eq!(fact(&obs, "pop3.banner"), None);
    assert_eq!(h.events()[0].body["status"], "+OK");
}

#[test]
fn ten_thousand_byte_lines_are_cut() {
    let mut h = Harness::<Pop3>::tcp(110);
    let mut g = b"+OK ".to_vec();
    g.extend(std::iter::repeat_n(b'g', 10_000));
    g.extend_from_slice(b"\r\n");
    h.feed(Side::Server, &g);
    let mut pass = b"PASS ".to_vec();
    pass.extend(std::iter::repeat_n(b'p', 10_000));
    pass.extend_from_slice(b"\r\n");
    h.feed(Side::Client, &pass);
    let obs = h.observations();
    assert!(fact(&obs, "pop3.banner").is_some_and(|b| b.len() <= 256));
    assert_eq!(exposures(&obs).len(), 1);
    assert!(!format!("{obs:?}").contains("pppp"));
    assert_eq!(anomalies(&obs), vec!["pop3_line_too_long"]);
}

#[test]
fn hostile_garbage_replies_are_anomalies() {
    let mut h = Harness::<Pop3>::tcp(110);
    h.feed(Side::Server, b"+OK\r\n");
    h.feed(Side::Server, b"HTTP/1.1 200 OK\r\n\x00\x01\x02\r\n");
    assert_eq!(h.counter("pop3_bad_reply"), 2);
}

#[test]
fn sixty_four_lines_end_the_parse() {
    let mut h = Harness::<Pop3>::tcp(110);
    assert_eq!(h.feed(Side::Client, &b"NOOP\r\n".repeat(64)), Verdict::Done);
}

#[test]
fn probe_only_a_server_greeting() {
    let ctx = ctx_tcp(110);
    assert_eq!(Pop3::probe(b"+", Side::Server, &ctx), Probe::NeedMore);
    assert_eq!(Pop3::probe(b"+OK", Side::Server, &ctx), Probe::NeedMore);
    assert_eq!(
        Pop3::probe(b"+OK Dovecot ready.\r\n", Side::Server, &ctx),
        Probe::Yes
    );
    assert_eq!(Pop3::probe(b"+OK\r\n", Side::Server, &ctx), Probe::Yes);
    assert_eq!(Pop3::probe(b"+OKAY", Side::Server, &ctx), Probe::No);
    assert_eq!(Pop3::probe(b"-ERR x\r\n", Side::Server, &ctx), Probe::No);
    // The client never speaks first (a Redis reply "+OK" follows a client command).
    assert_eq!(Pop3::probe(b"+OK\r\n", Side::Client, &ctx), Probe::No);
    assert_eq!(Pop3::probe(b"USER x\r\n", Side::Client, &ctx), Probe::No);
    assert_eq!(
        Pop3::probe(b"HTTP/1.1 200 OK\r\n", Side::Server, &ctx),
        Probe::No
    );
    let (name, obs, _) = run_session(ctx, NDPI_USER_PASS);
    assert_eq!(name, Some("pop3"));
    assert_eq!(exposures(&obs).len(), 1);
    // A client that speaks first ("*2\r\n$3\r\nGET…" then "+OK") is not taken.
    let (name, _, _) = run_session(
        ctx_tcp(6379),
        &[(Side::Client, b"PING\r\n"), (Side::Server, b"+OK\r\n")],
    );
    assert_ne!(name, Some("pop3"));
}
