//! IMAP fixtures: RFC 9051 §6.2 examples, literals (§4.3, RFC 7888), SASL-IR (RFC 4959),
//! and real captures from /work/shared/corpus (named where used).
//!
//! Checked against tshark on nDPI/tests/cfgs/default/pcap/imap.pcap:
//! `tshark -Y 'imap.request.command==LOGIN'` shows one LOGIN (stream 0, `C00001`) answered
//! `C00001 OK`; this parser reports one `IMAP LOGIN` exposure with a user name and one
//! `accepted` login (`login_from_ndpi_capture`). On nDPI's imap-starttls.pcap tshark shows
//! CAPABILITY then STARTTLS and no LOGIN: this parser reports none
//! (`starttls_accepted_stops_and_no_credential_after_it`).

use super::*;
use crate::testing::{Harness, anomalies, ctx_tcp, exposures, fact, run_session, software};

fn run(h: &mut Harness<Imap>, steps: &[(Side, &[u8])]) -> Verdict {
    let mut v = Verdict::Continue;
    for (side, data) in steps {
        v = h.feed(*side, data);
    }
    v
}

fn assert_secret_free(h: &mut Harness<Imap>, secrets: &[&str]) {
    let all = format!("{:?}{:?}", h.observations(), h.events());
    for s in secrets {
        assert!(!all.contains(s), "{s:?} leaked: {all}");
    }
}

/// nDPI/tests/cfgs/default/pcap/imap.pcap, stream 0.
const NDPI_LOGIN: &[(Side, &[u8])] = &[
    // RFC 9051 §7.1.1: greeting, untagged OK.
    (
        Side::Server,
        b"* OK IMAP4Rev1 Server Version 4.9.04.012\r\n",
    ),
    // tag SP "CAPABILITY".
    (Side::Client, b"C00000 CAPABILITY\r\n"),
    (
        Side::Server,
        b"* CAPABILITY IMAP4rev1 IDLE AUTH=LOGIN AUTH=PLAIN AUTH=CRAM-MD5\r\n",
    ),
    (Side::Server, b"C00000 OK CAPABILITY completed\r\n"),
    // RFC 9051 §6.2.3: tag SP "LOGIN" SP userid SP password, both atoms here.
    (Side::Client, b"C00001 LOGIN samir pfres\r\n"),
    // Tagged OK: the login succeeded.
    (Side::Server, b"C00001 OK LOGIN completed\r\n"),
    (Side::Client, b"C00002 LIST \"\" \"*\"\r\n"),
];

#[test]
fn login_from_ndpi_capture() {
    let mut h = Harness::<Imap>::tcp(143);
    assert_eq!(run(&mut h, NDPI_LOGIN), Verdict::Done);
    let obs = h.observations();
    assert_eq!(
        fact(&obs, "imap.banner"),
        Some("IMAP4Rev1 Server Version 4.9.04.012")
    );
    let e = exposures(&obs);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].subject, "IMAP LOGIN");
    assert_eq!(e[0].fields, vec!["password".to_string()]);
    assert_eq!(e[0].user_present, Some(true));
    let ev = h.events();
    assert_eq!(ev.len(), 2);
    assert_eq!(ev[0].body["status"], "OK");
    assert_eq!(ev[1].body["command"], "LOGIN");
    assert_eq!(ev[1].body["status"], "OK");
    assert_eq!(ev[1].body["login"], "accepted");
    assert_eq!(ev[1].body["starttls_offered"], false);
    assert_secret_free(&mut h, &["samir", "pfres"]);
}

#[test]
fn login_split_at_every_byte() {
    let mut h = Harness::<Imap>::tcp(143);
    let mut v = Verdict::Continue;
    for (side, data) in NDPI_LOGIN {
        for b in data.chunks(1) {
            v = h.feed(*side, b);
        }
    }
    assert_eq!(v, Verdict::Done);
    assert_eq!(exposures(&h.observations()).len(), 1);
    assert_secret_free(&mut h, &["samir", "pfres"]);
}

/// arkime/tests/pcap/imap.pcap: quoted strings, and a product with "server version".
#[test]
fn quoted_login_and_exchange_greeting() {
    let mut h = Harness::<Imap>::tcp(143);
    run(
        &mut h,
        &[
            (Side::Server, b"* OK Microsoft Exchange IMAP4rev1 server version 5.5.2650.23 (umr-mail02) ready\r\n"),
            (Side::Client, b"a0000 CAPABILITY\r\n"),
            (Side::Server, b"* CAPABILITY IMAP4 IMAP4rev1 IDLE LITERAL+ LOGIN-REFERRALS MAILBOX-REFERRALS NAMESPACE AUTH=NTLM\r\na0000 OK CAPABILITY completed.\r\n"),
            // RFC 9051 §4.3 quoted strings.
            (Side::Client, b"a0001 LOGIN \"neulingern\" \"XXXXXX\"\r\n"),
            (Side::Server, b"a0001 OK LOGIN completed.\r\n"),
        ],
    );
    let obs = h.observations();
    assert_eq!(
        software(&obs),
        vec![(
            "server",
            "Microsoft Exchange".into(),
            Some("5.5.2650.23".into())
        )]
    );
    assert_eq!(exposures(&obs)[0].user_present, Some(true));
    assert_secret_free(&mut h, &["neulingern", "XXXXXX"]);
}

#[test]
fn dovecot_greeting_with_capability_code() {
    let mut h = Harness::<Imap>::tcp(143);
    h.feed(
        Side::Server,
        b"* OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN] Dovecot ready.\r\n",
    );
    h.feed(Side::Client, b"a LOGIN \"\" \"x\"\r\n");
    let obs = h.observations();
    assert_eq!(software(&obs), vec![("server", "Dovecot".into(), None)]);
    assert_eq!(
        exposures(&obs)[0].user_present,
        Some(false),
        "empty quoted user"
    );
    h.feed(
        Side::Server,
        b"a NO [AUTHENTICATIONFAILED] Authentication failed.\r\n",
    );
    let ev = h.events();
    assert_eq!(ev[1].body["login"], "rejected");
    assert_eq!(ev[1].body["starttls_offered"], true);
}

#[test]
fn literal_user_and_password_are_measured_not_read() {
    // RFC 9051 §4.3 synchronizing literals: "{5}" CRLF, "+" continuation, 5 bytes; the
    // literal bytes may hold anything, even CR LF and "a2 LOGIN".
    let mut h = Harness::<Imap>::tcp(143);
    let v = run(
        &mut h,
        &[
            (Side::Server, b"* OK ready\r\n"),
            (Side::Client, b"a1 LOGIN {5}\r\n"),
            (Side::Server, b"+ Ready for literal data\r\n"),
            (Side::Client, b"alice {12}\r\n"),
            (Side::Server, b"+ Ready\r\n"),
            (Side::Client, b"se\r\ncr LOGIN\r\n"),
            (Side::Server, b"a1 OK done\r\n"),
        ],
    );
    assert_eq!(v, Verdict::Done);
    let obs = h.observations();
    let e = exposures(&obs);
    assert_eq!(e.len(), 1, "{e:?}");
    assert_eq!(e[0].user_present, Some(true));
    assert!(anomalies(&obs).is_empty(), "{:?}", anomalies(&obs));
    assert_eq!(h.events()[1].body["login"], "accepted");
    assert_secret_free(&mut h, &["alice", "se\\r\\ncr", "cr LOGIN"]);
}

#[test]
fn non_synchronizing_literal_in_one_segment() {
    // RFC 7888 LITERAL+: "{n+}" and the bytes follow at once.
    let mut h = Harness::<Imap>::tcp(143);
    run(
        &mut h,
        &[
            (Side::Server, b"* OK x\r\n"),
            (Side::Client, b"t LOGIN {0+}\r\n {3+}\r\npwd\r\n"),
        ],
    );
    let e = exposures(&h.observations());
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].user_present, Some(false), "a zero-length literal user");
    assert_secret_free(&mut h, &["pwd"]);
}

#[test]
fn authenticate_plain_with_sasl_ir_and_continuation() {
    let mut h = Harness::<Imap>::tcp(143);
    run(
        &mut h,
        &[
            (Side::Server, b"* OK IMAP\r\n"),
            // RFC 4959: initial response on the command line.
            (
                Side::Client,
                b"a AUTHENTICATE PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n",
            ),
            (Side::Server, b"a NO failed\r\n"),
            // RFC 9051 §6.2.2: "+" continuation, then the response line.
            (Side::Client, b"b AUTHENTICATE LOGIN\r\n"),
            (Side::Server, b"+ VXNlcm5hbWU6\r\n"),
            (Side::Client, b"dGlt\r\n"),
            (Side::Server, b"+ UGFzc3dvcmQ6\r\n"),
            (Side::Client, b"dGFuc3RhYWY=\r\n"),
        ],
    );
    assert_eq!(h.feed(Side::Server, b"b OK done\r\n"), Verdict::Done);
    let obs = h.observations();
    let e = exposures(&obs);
    assert_eq!(e.len(), 2);
    assert_eq!(e[0].subject, "IMAP AUTHENTICATE PLAIN");
    assert_eq!(e[1].subject, "IMAP AUTHENTICATE LOGIN");
    assert!(e.iter().all(|e| e.user_present == Some(true)));
    let ev = h.events();
    assert_eq!(ev[1].body["login"], "rejected");
    assert_eq!(ev[2].body["mechanism"], "LOGIN");
    assert_eq!(ev[2].body["login"], "accepted");
    assert_secret_free(&mut h, &["tim", "tanstaaf", "dGlt"]);
}

/// nDPI/tests/cfgs/default/pcap/imap-starttls.pcap (greeting shortened).
#[test]
fn starttls_accepted_stops_and_no_credential_after_it() {
    let mut h = Harness::<Imap>::tcp(143);
    let v = run(
        &mut h,
        &[
            (Side::Server, b"* OK [CAPABILITY IMAP4rev1 LITERAL+ SASL-IR STARTTLS AUTH=LOGIN AUTH=PLAIN] IMAP server ready H migmx013 104568 IMAP\r\n"),
            (Side::Client, b". CAPABILITY\r\n"),
            (Side::Server, b"* CAPABILITY IMAP4rev1 STARTTLS AUTH=LOGIN AUTH=PLAIN\r\n. OK CAPABILITY completed\r\n"),
            // RFC 9051 §6.2.1 STARTTLS → tagged OK, then the TLS handshake.
            (Side::Client, b". STARTTLS\r\n"),
        ],
    );
    assert_eq!(v, Verdict::Continue);
    assert_eq!(
        h.feed(Side::Server, b". OK Begin TLS negotiation now\r\n"),
        Verdict::Done
    );
    assert_eq!(
        h.feed(Side::Client, b"a LOGIN user pass\r\n"),
        Verdict::Done
    );
    assert!(exposures(&h.observations()).is_empty());
    let ev = h.events();
    assert_eq!(ev[ev.len() - 1].body["starttls"], true);
}

#[test]
fn starttls_refused_keeps_reading() {
    let mut h = Harness::<Imap>::tcp(143);
    run(
        &mut h,
        &[
            (Side::Server, b"* OK x\r\n"),
            (Side::Client, b"s STARTTLS\r\n"),
            (Side::Server, b"s BAD not now\r\n"),
            (Side::Client, b"l LOGIN u p\r\n"),
        ],
    );
    assert_eq!(exposures(&h.observations()).len(), 1);
}

#[test]
fn preauth_greeting_is_done() {
    let mut h = Harness::<Imap>::tcp(143);
    // RFC 9051 §7.1.4: PREAUTH, already authenticated.
    assert_eq!(
        h.feed(
            Side::Server,
            b"* PREAUTH IMAP4rev2 server logged in as Smith\r\n"
        ),
        Verdict::Done
    );
    assert_eq!(h.events()[0].body["status"], "PREAUTH");
}

#[test]
fn server_literals_are_passed_over() {
    let mut h = Harness::<Imap>::tcp(143);
    run(
        &mut h,
        &[
            (Side::Server, b"* OK x\r\n"),
            // RFC 9051 §7.5.2 FETCH with a literal holding a line that looks like a reply.
            (
                Side::Server,
                b"* 1 FETCH (BODY[] {14}\r\nl OK fake\r\nxx)\r\n",
            ),
            (Side::Client, b"l LOGIN u p\r\n"),
            (Side::Server, b"l NO really\r\n"),
        ],
    );
    let ev = h.events();
    assert_eq!(ev[ev.len() - 1].body["login"], "rejected");
}

#[test]
fn unanswered_login_is_reported_at_end() {
    let mut h = Harness::<Imap>::tcp(143);
    run(
        &mut h,
        &[
            (Side::Server, b"* OK x\r\n"),
            (Side::Client, b"a LOGIN u p\r\n"),
        ],
    );
    h.end();
    assert_eq!(h.events()[1].body["login"], "no_reply");
}

#[test]
fn greeting_that_is_only_the_status() {
    let mut h = Harness::<Imap>::tcp(143);
    h.feed(Side::Server, b"* OK\r\n");
    assert_eq!(fact(&h.observations(), "imap.banner"), None);
    assert_eq!(h.events()[0].body["status"], "OK");
}

#[test]
fn ten_thousand_byte_lines_are_cut() {
    let mut h = Harness::<Imap>::tcp(143);
    h.feed(Side::Server, b"* OK x\r\n");
    let mut login = b"a LOGIN ".to_vec();
    login.extend(std::iter::repeat_n(b'u', 10_000));
    login.extend_from_slice(b" p\r\n");
    h.feed(Side::Client, &login);
    let obs = h.observations();
    assert_eq!(anomalies(&obs), vec!["imap_line_too_long"]);
    // The password is in the cut tail: still a cleartext login.
    assert_eq!(exposures(&obs).len(), 1);
    assert!(!format!("{obs:?}").contains("uuuu"));
}

#[test]
fn hostile_login_without_password_and_bad_commands() {
    let mut h = Harness::<Imap>::tcp(143);
    h.feed(Side::Server, b"* OK x\r\n");
    h.feed(
        Side::Client,
        b"a LOGIN onlyuser\r\nnotag\r\nb LOGIN \"unterminated\r\n",
    );
    let obs = h.observations();
    assert!(exposures(&obs).is_empty());
    assert_eq!(
        anomalies(&obs),
        vec!["imap_login_without_password", "imap_bad_command"]
    );
}

#[test]
fn hostile_huge_literal_is_skipped_without_buffering() {
    let mut h = Harness::<Imap>::tcp(143);
    h.feed(Side::Server, b"* OK x\r\n");
    h.feed(Side::Client, b"a APPEND INBOX {4294967295}\r\n");
    for _ in 0..100 {
        assert_eq!(h.feed(Side::Client, &[b'\n'; 1000]), Verdict::Continue);
    }
    assert_eq!(h.counter("messages"), 2, "literal bytes are no lines");
    assert_eq!(
        command::trailing_literal(b"x {99999999999}"),
        None,
        "over 10 digits"
    );
}

#[test]
fn probe_only_a_server_greeting() {
    let ctx = ctx_tcp(143);
    assert_eq!(Imap::probe(b"* ", Side::Server, &ctx), Probe::NeedMore);
    assert_eq!(
        Imap::probe(
            b"* OK [CAPABILITY IMAP4rev1] Dovecot ready.\r\n",
            Side::Server,
            &ctx
        ),
        Probe::Yes
    );
    assert_eq!(
        Imap::probe(b"* PREAUTH hi\r\n", Side::Server, &ctx),
        Probe::Yes
    );
    assert_eq!(Imap::probe(b"* OK\r\n", Side::Server, &ctx), Probe::Yes);
    assert_eq!(Imap::probe(b"* OKAY", Side::Server, &ctx), Probe::No);
    assert_eq!(Imap::probe(b"+OK x\r\n", Side::Server, &ctx), Probe::No);
    assert_eq!(Imap::probe(b"* OK x\r\n", Side::Client, &ctx), Probe::No);
    assert_eq!(
        Imap::probe(b"a1 LOGIN x y\r\n", Side::Client, &ctx),
        Probe::No
    );
    let (name, obs, _) = run_session(ctx, NDPI_LOGIN);
    assert_eq!(name, Some("imap"));
    assert_eq!(exposures(&obs).len(), 1);
}
