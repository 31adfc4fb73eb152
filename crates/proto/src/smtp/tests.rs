//! SMTP fixtures: RFC 4954 §4/§6 exchanges, RFC 3207 §4 STARTTLS, and real captures from
//! /work/shared/corpus (named where used).
//!
//! Checked against tshark on zeek/testing/btest/Traces/smtp.pcap:
//! `tshark -Y 'smtp.req.command==AUTH || smtp.auth.username'` shows one AUTH LOGIN exchange
//! (the command, then the user-name line) in stream 0, answered `235`; this parser reports
//! one `SMTP AUTH LOGIN` exposure with a user name and one `accepted` login
//! (`auth_login_exchange_from_zeek_capture`).

use super::*;
use crate::testing::{Harness, anomalies, ctx_tcp, exposures, fact, facts, run_session, software};

fn run(h: &mut Harness<Smtp>, steps: &[(Side, &[u8])]) -> Verdict {
    let mut v = Verdict::Continue;
    for (side, data) in steps {
        v = h.feed(*side, data);
    }
    v
}

fn assert_secret_free(h: &mut Harness<Smtp>, secrets: &[&str]) {
    let all = format!("{:?}{:?}", h.observations(), h.events());
    for s in secrets {
        assert!(!all.contains(s), "{s:?} leaked: {all}");
    }
}

/// zeek/testing/btest/Traces/smtp.pcap, stream 0 (base64 of the user name and password
/// as captured; decoded they are "gurpartap@patriots.in" and "punjab@123").
const EXIM_AUTH_LOGIN: &[(Side, &[u8])] = &[
    // RFC 5321 §4.2 multi-line 220: "220-" Domain SP text … "220" SP text.
    (
        Side::Server,
        b"220-xc90.websitewelcome.com ESMTP Exim 4.69 #1 Mon, 05 Oct 2009 01:05:54 -0500 \r\n\
220-We do not authorize the use of this system to transport unsolicited, \r\n\
220 and/or bulk e-mail.\r\n",
    ),
    // RFC 5321 §4.1.1.1 "EHLO" SP Domain.
    (Side::Client, b"EHLO GP\r\n"),
    // RFC 5321 §4.1.1.1 EHLO reply: one extension per line (RFC 4954 §3 AUTH, RFC 3207 §4
    // STARTTLS).
    (
        Side::Server,
        b"250-xc90.websitewelcome.com Hello GP [122.162.143.157]\r\n250-SIZE 52428800\r\n\
250-PIPELINING\r\n250-AUTH PLAIN LOGIN\r\n250-STARTTLS\r\n250 HELP\r\n",
    ),
    // RFC 4954 §4 "AUTH" SP mechanism, no initial response.
    (Side::Client, b"AUTH LOGIN\r\n"),
    // 334 SP base64("Username:").
    (Side::Server, b"334 VXNlcm5hbWU6\r\n"),
    // The user name, base64.
    (Side::Client, b"Z3VycGFydGFwQHBhdHJpb3RzLmlu\r\n"),
    // 334 SP base64("Password:").
    (Side::Server, b"334 UGFzc3dvcmQ6\r\n"),
    // The password, base64.
    (Side::Client, b"cHVuamFiQDEyMw==\r\n"),
    // RFC 4954 §6: 235 2.7.0 Authentication Succeeded.
    (Side::Server, b"235 Authentication succeeded\r\n"),
];

const SECRETS: &[&str] = &[
    "gurpartap",
    "patriots",
    "punjab",
    "Z3VycGFydGFw",
    "cHVuamFi",
];

#[test]
fn auth_login_exchange_from_zeek_capture() {
    let mut h = Harness::<Smtp>::tcp(25);
    assert_eq!(
        run(&mut h, EXIM_AUTH_LOGIN),
        Verdict::Done,
        "done after 235"
    );
    let obs = h.observations();
    assert_eq!(
        software(&obs),
        vec![("server", "Exim".into(), Some("4.69".into()))]
    );
    assert_eq!(
        fact(&obs, "smtp.greeting_host"),
        Some("xc90.websitewelcome.com")
    );
    assert_eq!(fact(&obs, "smtp.helo"), Some("GP"));
    assert_eq!(fact(&obs, "smtp.banner"), None, "the product is named");
    let e = exposures(&obs);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].subject, "SMTP AUTH LOGIN");
    assert_eq!(e[0].fields, vec!["password".to_string()]);
    assert_eq!(e[0].user_present, Some(true));
    assert_eq!(e[0].side, Side::Client);
    let ev = h.events();
    assert_eq!(ev.len(), 2);
    assert_eq!(ev[0].body["greeting_host"], "xc90.websitewelcome.com");
    assert_eq!(ev[1].body["mechanism"], "LOGIN");
    assert_eq!(ev[1].body["login"], "accepted");
    assert_eq!(ev[1].body["reply_code"], 235);
    assert_eq!(ev[1].body["starttls_offered"], true);
    assert_eq!(ev[1].body["helo"], "GP");
    assert_secret_free(&mut h, SECRETS);
}

#[test]
fn auth_login_split_at_every_byte() {
    let mut h = Harness::<Smtp>::tcp(25);
    let mut v = Verdict::Continue;
    for (side, data) in EXIM_AUTH_LOGIN {
        for b in data.chunks(1) {
            v = h.feed(*side, b);
        }
    }
    assert_eq!(v, Verdict::Done);
    let e = exposures(&h.observations());
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].user_present, Some(true));
    assert_secret_free(&mut h, SECRETS);
}

/// arkime/tests/pcap/smtp-data-250.pcap: AUTH PLAIN with an initial response (RFC 4954 §4),
/// base64("\0" "12345678@aol.com" "\0" "passwd").
#[test]
fn auth_plain_initial_response_then_mail_is_not_read() {
    let mut h = Harness::<Smtp>::tcp(587);
    let v = run(
        &mut h,
        &[
            (Side::Server, b"220-mtaout-ma02.r1000.mx.aol.com ESMTP MUA/Third Party Client Interface\r\n220 which n\r\n"),
            (Side::Client, b"EHLO localhost\r\n"),
            (Side::Server, b"250-mtaout-ma02.r1000.mx.aol.com\r\n250-STARTTLS\r\n250 AUTH PLAIN LOGIN\r\n"),
            (Side::Client, b"AUTH PLAIN ADEyMzQ1Njc4QGFvbC5jb20AcGFzc3dk\r\n"),
            (Side::Server, b"235 2.7.0 Authentication successful\r\n"),
            (Side::Client, b"MAIL FROM: <12345678@aol.com>\r\n"),
        ],
    );
    assert_eq!(v, Verdict::Done);
    let obs = h.observations();
    let e = exposures(&obs);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].subject, "SMTP AUTH PLAIN");
    assert_eq!(e[0].user_present, Some(true));
    assert!(
        software(&obs).is_empty(),
        "\"MUA/Third\" is no product/version"
    );
    assert_eq!(
        fact(&obs, "smtp.banner"),
        Some("mtaout-ma02.r1000.mx.aol.com ESMTP MUA/Third Party Client Interface")
    );
    assert_secret_free(&mut h, &["12345678", "passwd", "ADEyMzQ1"]);
}

#[test]
fn auth_plain_after_334_and_rejected_retry_is_reported_too() {
    let mut h = Harness::<Smtp>::tcp(25);
    run(
        &mut h,
        &[
            (
                Side::Server,
                b"220 mail.example.org ESMTP Postfix (Debian)\r\n",
            ),
            (Side::Client, b"EHLO pc\r\n"),
            (Side::Server, b"250 AUTH PLAIN\r\n"),
            (Side::Client, b"AUTH PLAIN\r\n"),
            // RFC 4954 §4: "334 " with an empty challenge.
            (Side::Server, b"334 \r\n"),
            // RFC 4616 §4: "\0tim\0tanstaaftanstaaf".
            (Side::Client, b"AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n"),
            // RFC 4954 §6: 535 5.7.8 Authentication credentials invalid.
            (Side::Server, b"535 5.7.8 Error: authentication failed\r\n"),
            (Side::Client, b"AUTH PLAIN AHRpbQB0YW5zdGFhZnRhbnN0YWFm\r\n"),
        ],
    );
    let obs = h.observations();
    assert_eq!(software(&obs), vec![("server", "Postfix".into(), None)]);
    assert_eq!(exposures(&obs).len(), 2);
    let ev = h.events();
    assert_eq!(ev[1].body["login"], "rejected");
    assert_eq!(ev[1].body["reply_code"], 535);
    assert_secret_free(&mut h, &["tim", "tanstaaf"]);
}

#[test]
fn cram_md5_is_a_digest_exposure() {
    // RFC 2195 §2 example (via RFC 4954): challenge, then "tim b913a6…".
    let mut h = Harness::<Smtp>::tcp(25);
    run(
        &mut h,
        &[
            (Side::Server, b"220 ESMTP\r\n"),
            (Side::Client, b"AUTH CRAM-MD5\r\n"),
            (
                Side::Server,
                b"334 PDE4OTYuNjk3MTcwOTUyQHBvc3RvZmZpY2UucmVzdG9uLm1jaS5uZXQ+\r\n",
            ),
            (
                Side::Client,
                b"dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw\r\n",
            ),
            (Side::Server, b"235 Authentication successful\r\n"),
        ],
    );
    let e = exposures(&h.observations());
    assert_eq!(e[0].subject, "SMTP AUTH CRAM-MD5");
    assert_eq!(e[0].fields, vec!["CRAM-MD5".to_string()]);
    assert_eq!(e[0].user_present, Some(true));
    assert_secret_free(&mut h, &["tim", "b913a6"]);
}

#[test]
fn cancelled_auth_is_no_credential() {
    let mut h = Harness::<Smtp>::tcp(25);
    run(
        &mut h,
        &[
            (Side::Server, b"220 ESMTP\r\n"),
            (Side::Client, b"AUTH LOGIN\r\n"),
            (Side::Server, b"334 VXNlcm5hbWU6\r\n"),
            // RFC 4954 §4: "*" cancels; the server answers 501.
            (Side::Client, b"*\r\n"),
            (Side::Server, b"501 5.7.0 Authentication aborted\r\n"),
        ],
    );
    assert!(exposures(&h.observations()).is_empty());
    assert_eq!(h.events()[1].body["login"], "cancelled");
}

/// arkime/tests/pcap/smtp-starttls.pcap: STARTTLS → 220, then TLS.
#[test]
fn starttls_accepted_stops_and_no_credential_after_it() {
    let mut h = Harness::<Smtp>::tcp(25);
    let v = run(
        &mut h,
        &[
            (Side::Server, b"220 mx.google.com ESMTP s4si9696358qcc.63 - gsmtp\r\n"),
            (Side::Client, b"EHLO xxxxxxxxxxxxx.xxx.com\r\n"),
            (Side::Server, b"250-mx.google.com at your service, [10.000.000.01]\r\n250-SIZE 35882577\r\n250-8BITMIME\r\n250-STARTTLS\r\n250-ENHANCEDSTATUSCODES\r\n250-PIPELINING\r\n250 CHUNKING\r\n"),
            // RFC 3207 §4 "STARTTLS" → "220 2.0.0 Ready to start TLS".
            (Side::Client, b"STARTTLS\r\n"),
        ],
    );
    assert_eq!(v, Verdict::Continue);
    assert_eq!(
        h.feed(Side::Server, b"220 2.0.0 Ready to start TLS\r\n"),
        Verdict::Done
    );
    assert_eq!(
        h.feed(Side::Client, b"AUTH PLAIN AHRpbQB0YW5zdGFhZg==\r\n"),
        Verdict::Done
    );
    let obs = h.observations();
    assert!(exposures(&obs).is_empty());
    assert_eq!(fact(&obs, "smtp.greeting_host"), Some("mx.google.com"));
    let ev = h.events();
    assert_eq!(ev[ev.len() - 1].body["starttls"], true);
}

#[test]
fn starttls_refused_keeps_reading() {
    let mut h = Harness::<Smtp>::tcp(25);
    run(
        &mut h,
        &[
            (Side::Server, b"220 ESMTP\r\n"),
            (Side::Client, b"STARTTLS\r\n"),
            // RFC 3207 §4: 454 TLS not available.
            (
                Side::Server,
                b"454 TLS not available due to temporary reason\r\n",
            ),
            (Side::Client, b"AUTH PLAIN AHRpbQB0YW5zdGFhZg==\r\n"),
        ],
    );
    assert_eq!(exposures(&h.observations()).len(), 1);
}

#[test]
fn mail_transaction_has_no_addresses() {
    // RFC 5321 §3.3, with RFC 2920 pipelining: MAIL, RCPT, RCPT, DATA in one segment.
    let mut h = Harness::<Smtp>::tcp(25);
    let v = run(
        &mut h,
        &[
            (Side::Server, b"220 relay.example.org ESMTP\r\n"),
            (Side::Client, b"EHLO client.example.net\r\n"),
            (Side::Server, b"250 PIPELINING\r\n"),
            (Side::Client, b"MAIL FROM:<alice@example.net>\r\nRCPT TO:<bob@example.org>\r\nRCPT TO:<carol@example.org>\r\nDATA\r\n"),
            (Side::Server, b"250 ok\r\n250 ok\r\n250 ok\r\n354 go ahead\r\n"),
        ],
    );
    assert_eq!(v, Verdict::Done, "the content is not read");
    let ev = h.events();
    let t = &ev[ev.len() - 1].body;
    assert_eq!(t["mail_from_present"], true);
    assert_eq!(t["rcpt_to_count"], 2);
    assert_eq!(t["helo"], "client.example.net");
    assert_secret_free(&mut h, &["alice", "bob@", "carol"]);
}

#[test]
fn null_reverse_path_is_no_sender() {
    let mut h = Harness::<Smtp>::tcp(25);
    run(
        &mut h,
        &[
            (Side::Server, b"220 x ESMTP\r\n"),
            (Side::Client, b"HELO a\r\nMAIL FROM:<>\r\n"),
        ],
    );
    h.end();
    let ev = h.events();
    assert_eq!(ev[ev.len() - 1].body["mail_from_present"], false);
}

#[test]
fn greeting_that_is_only_the_code() {
    let mut h = Harness::<Smtp>::tcp(25);
    h.feed(Side::Server, b"220\r\n");
    let obs = h.observations();
    assert!(facts(&obs).is_empty());
    assert_eq!(h.events()[0].body["reply_code"], 220);
    assert_eq!(
        Smtp::probe(b"220\r\n", Side::Server, &ctx_tcp(2525)),
        Probe::Yes
    );
    assert_eq!(
        Smtp::probe(b"220\r\n", Side::Server, &ctx_tcp(9999)),
        Probe::NeedMore
    );
}

#[test]
fn ten_thousand_byte_lines_are_cut() {
    let mut h = Harness::<Smtp>::tcp(25);
    h.feed(Side::Server, b"220 ESMTP\r\n");
    let mut ehlo = b"EHLO ".to_vec();
    ehlo.extend(std::iter::repeat_n(b'h', 10_000));
    ehlo.extend_from_slice(b"\r\n");
    h.feed(Side::Client, &ehlo);
    // A 10,000-byte base64 PLAIN response: cut, still a credential.
    let mut auth = b"AUTH PLAIN ".to_vec();
    auth.extend(std::iter::repeat_n(b'A', 10_000));
    auth.extend_from_slice(b"\r\n");
    h.feed(Side::Client, &auth);
    let obs = h.observations();
    assert!(fact(&obs, "smtp.helo").is_some_and(|h| h.len() <= 256));
    assert_eq!(exposures(&obs).len(), 1);
    assert!(anomalies(&obs).contains(&"smtp_line_too_long"));
}

#[test]
fn hostile_bad_base64_is_an_anomaly_and_still_a_credential() {
    let mut h = Harness::<Smtp>::tcp(25);
    run(
        &mut h,
        &[
            (Side::Server, b"220 ESMTP\r\n"),
            (Side::Client, b"AUTH PLAIN !!notbase64!!\r\n"),
        ],
    );
    let obs = h.observations();
    assert_eq!(anomalies(&obs), vec!["smtp_sasl_malformed"]);
    assert_eq!(exposures(&obs).len(), 1);
}

#[test]
fn hostile_binary_server_lines_are_anomalies() {
    let mut h = Harness::<Smtp>::tcp(25);
    h.feed(Side::Server, b"\x16\x03\x01\x00\x05hello\n\x00\x00\n");
    assert_eq!(anomalies(&h.observations()), vec!["smtp_bad_reply"]);
}

#[test]
fn probe_by_content() {
    let ctx = ctx_tcp(2500);
    assert_eq!(
        Smtp::probe(
            b"220 mail.example.org ESMTP Postfix (Debian)\r\n",
            Side::Server,
            &ctx
        ),
        Probe::Yes
    );
    assert_eq!(
        Smtp::probe(
            b"220 smtp.example.com Microsoft ESMTP MAIL Service ready\r\n",
            Side::Server,
            &ctx
        ),
        Probe::Yes
    );
    assert_eq!(
        Smtp::probe(b"220 ProFTPD 1.3.5 Server\r\n", Side::Server, &ctx),
        Probe::No
    );
    assert_eq!(Smtp::probe(b"220-", Side::Server, &ctx), Probe::NeedMore);
    assert_eq!(Smtp::probe(b"EHL", Side::Client, &ctx), Probe::NeedMore);
    assert_eq!(Smtp::probe(b"EHLO pc\r\n", Side::Client, &ctx), Probe::Yes);
    assert_eq!(Smtp::probe(b"helo pc\r\n", Side::Client, &ctx), Probe::Yes);
    assert_eq!(Smtp::probe(b"USER x\r\n", Side::Client, &ctx), Probe::No);
    assert_eq!(
        Smtp::probe(b"GET / HTTP/1.1\r\n", Side::Client, &ctx),
        Probe::No
    );
    assert_eq!(Smtp::probe(b"* OK IMAP\r\n", Side::Server, &ctx), Probe::No);
    let (name, _, _) = run_session(ctx_tcp(25), EXIM_AUTH_LOGIN);
    assert_eq!(name, Some("smtp"));
}
