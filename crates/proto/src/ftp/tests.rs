//! FTP fixtures (RFC 959 §5.4 sequences, RFC 4217 §4, and real captures from
//! /work/shared/corpus, each named where used), plus the shared line reader, greeting and
//! FTP-versus-SMTP probe.
//!
//! Checked against tshark on zeek/testing/btest/Traces/ftp/bruteforce.pcap:
//! `tshark -Y 'ftp.request.command==PASS'` shows 30 PASS commands in 30 streams, each after
//! `USER bro` and answered `530` (`-Y ftp.response.code==230` shows none); stream 0 is
//! `bruteforce_stream_is_one_rejected_login` below, and each stream gives this parser one
//! exposure with a user name present and one `rejected` login event, as tshark sees it.

use super::*;
use crate::testing::{
    Harness, anomalies, counter, ctx_tcp, exposures, fact, run_session, software,
};
use lines::{LineBuf, MAX_LINES};

/// Feeds a transcript, each delivery whole.
fn run(h: &mut Harness<Ftp>, steps: &[(Side, &[u8])]) -> Verdict {
    let mut v = Verdict::Continue;
    for (side, data) in steps {
        v = h.feed(*side, data);
    }
    v
}

/// Feeds a transcript one byte per delivery.
fn run_bytewise(h: &mut Harness<Ftp>, steps: &[(Side, &[u8])]) -> Verdict {
    let mut v = Verdict::Continue;
    for (side, data) in steps {
        for b in data.chunks(1) {
            v = h.feed(*side, b);
        }
    }
    v
}

/// Neither the user name nor the password appears in anything produced.
fn assert_secret_free(h: &mut Harness<Ftp>, secrets: &[&str]) {
    let all = format!("{:?}{:?}", h.observations(), h.events());
    for s in secrets {
        assert!(!all.contains(s), "{s:?} leaked: {all}");
    }
}

/// zeek/testing/btest/Traces/ftp/ftp-password-pass-command.pcap, stream 0.
const FILEZILLA: &[(Side, &[u8])] = &[
    // RFC 959 §4.2 multi-line reply: "220-" first line … "220 " last line.
    (
        Side::Server,
        b"220-FileZilla Server 1.9.1\r\n220 Please visit https://filezilla-project.org/\r\n",
    ),
    // RFC 959 §4.1.1 USER SP username CRLF.
    (Side::Client, b"USER Admin\r\n"),
    // 331 User name okay, need password.
    (Side::Server, b"331 Please, specify the password.\r\n"),
    // PASS SP password CRLF: the cleartext password.
    (Side::Client, b"PASS qwerty\r\n"),
    // 530 Not logged in.
    (Side::Server, b"530 Login incorrect.\r\n"),
];

#[test]
fn filezilla_login_is_a_cleartext_credential_with_user() {
    let mut h = Harness::<Ftp>::tcp(21);
    assert_eq!(run(&mut h, FILEZILLA), Verdict::Continue);
    let obs = h.observations();
    assert_eq!(
        software(&obs),
        vec![("server", "FileZilla Server".into(), Some("1.9.1".into()))]
    );
    let e = exposures(&obs);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].kind, ExposureKind::CleartextCredentials);
    assert_eq!(e[0].side, Side::Client);
    assert_eq!(e[0].subject, "FTP USER/PASS");
    assert_eq!(e[0].fields, vec!["password".to_string()]);
    assert_eq!(e[0].user_present, Some(true));
    let ev = h.events();
    assert_eq!(ev.len(), 2, "greeting and login: {ev:?}");
    assert_eq!(ev[1].body["command"], "PASS");
    assert_eq!(ev[1].body["login"], "rejected");
    assert_eq!(ev[1].body["completion_code"], json!(["530"]));
    assert_eq!(ev[1].body["user_present"], true);
    assert!(ev[1].body.get("command_data").is_none());
    assert_secret_free(&mut h, &["Admin", "qwerty"]);
}

#[test]
fn every_byte_its_own_delivery_gives_the_same() {
    let mut whole = Harness::<Ftp>::tcp(21);
    run(&mut whole, FILEZILLA);
    let mut bytes = Harness::<Ftp>::tcp(21);
    run_bytewise(&mut bytes, FILEZILLA);
    let (w, b) = (whole.observations(), bytes.observations());
    assert_eq!(software(&w), software(&b));
    assert_eq!(exposures(&w), exposures(&b));
    assert_eq!(crate::testing::facts(&w), crate::testing::facts(&b));
    let bodies = |h: &mut Harness<Ftp>| h.events().into_iter().map(|e| e.body).collect::<Vec<_>>();
    assert_eq!(bodies(&mut whole), bodies(&mut bytes));
    assert_eq!(exposures(&bytes.observations()).len(), 1);
    assert_secret_free(&mut bytes, &["Admin", "qwerty"]);
}

/// arkime/tests/pcap/ftp.pcap (anonymous login to a mirror), then SYST as clients send it.
#[test]
fn anonymous_login_then_syst_is_done() {
    let mut h = Harness::<Ftp>::tcp(21);
    let v = run(
        &mut h,
        &[
            (Side::Server, b"220 Welcome to mirrors.rit.edu.\r\n"),
            // RFC 1635: anonymous FTP, the password by convention an e-mail address.
            (Side::Client, b"USER anonymous\r\n"),
            (Side::Server, b"331 Please specify the password.\r\n"),
            (Side::Client, b"PASS ftp@example.com\r\n"),
            // 230 User logged in.
            (Side::Server, b"230 Login successful.\r\n"),
            // RFC 959 §4.1.3 SYST → 215 NAME system type.
            (Side::Client, b"SYST\r\n"),
        ],
    );
    assert_eq!(v, Verdict::Continue, "waits for the SYST reply");
    assert_eq!(
        h.feed(Side::Server, b"215 UNIX Type: L8\r\n"),
        Verdict::Done
    );
    let obs = h.observations();
    assert_eq!(
        fact(&obs, "ftp.banner"),
        Some("Welcome to mirrors.rit.edu.")
    );
    assert_eq!(fact(&obs, "ftp.system"), Some("UNIX Type: L8"));
    assert!(software(&obs).is_empty());
    let e = exposures(&obs);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].subject, "FTP USER/PASS (anonymous)");
    assert_eq!(e[0].user_present, Some(true));
    let ev = h.events();
    assert_eq!(ev[1].body["login"], "accepted");
    assert_eq!(ev[1].body["anonymous"], true);
    assert_secret_free(&mut h, &["ftp@example.com"]);
}

#[test]
fn login_without_syst_is_done_a_few_commands_later() {
    let mut h = Harness::<Ftp>::tcp(21);
    run(
        &mut h,
        &[
            (Side::Server, b"220 ready\r\n"),
            (Side::Client, b"USER u\r\n"),
            (Side::Server, b"331 ok\r\n"),
            (Side::Client, b"PASS p\r\n"),
            (Side::Server, b"230 ok\r\n"),
        ],
    );
    let mut v = Verdict::Continue;
    for _ in 0..=AFTER_LOGIN {
        v = h.feed(Side::Client, b"NOOP\r\n");
    }
    assert_eq!(v, Verdict::Done);
}

/// nDPI/tests/cfgs/default/pcap/ftp_failed.pcap: vsFTPd refuses the user; no password sent.
#[test]
fn vsftpd_version_and_user_refused_without_password() {
    let mut h = Harness::<Ftp>::tcp(21);
    run(
        &mut h,
        &[
            (Side::Server, b"220 (vsFTPd 3.0.3)\r\n"),
            (Side::Client, b"USER hello\r\n"),
            (Side::Server, b"530 This FTP server is anonymous only.\r\n"),
            (Side::Client, b"SYST\r\n"),
            (Side::Server, b"530 Please login with USER and PASS.\r\n"),
            (Side::Client, b"QUIT\r\n"),
            (Side::Server, b"221 Goodbye.\r\n"),
        ],
    );
    let obs = h.observations();
    assert_eq!(
        software(&obs),
        vec![("server", "vsFTPd".into(), Some("3.0.3".into()))]
    );
    assert!(exposures(&obs).is_empty());
    assert_eq!(fact(&obs, "ftp.system"), None, "530 is no SYST answer");
    assert_eq!(fact(&obs, "ftp.banner"), None, "the product is named");
}

/// zeek/testing/btest/Traces/ftp/ftp-auth-tls.pcap: FEAT lists AUTH TLS, AUTH TLS → 234.
#[test]
fn auth_tls_accepted_stops_and_no_credential_after_it() {
    let mut h = Harness::<Ftp>::tcp(21);
    let v = run(
        &mut h,
        &[
            (Side::Server, b"220 (vsFTPd 3.0.5)\r\n"),
            // RFC 2389 FEAT: multi-line 211, one feature per line, each after a space.
            (Side::Client, b"FEAT\r\n"),
            (
                Side::Server,
                b"211-Features:\r\n EPRT\r\n EPSV\r\n AUTH TLS\r\n PBSZ\r\n PROT\r\n211 End\r\n",
            ),
            // RFC 4217 §4: AUTH SP "TLS" → 234: TLS negotiation follows.
            (Side::Client, b"AUTH TLS\r\n"),
        ],
    );
    assert_eq!(v, Verdict::Continue);
    assert_eq!(
        h.feed(Side::Server, b"234 Proceed with negotiation.\r\n"),
        Verdict::Done
    );
    // Whatever follows is TLS; even a line that looks like PASS is not read.
    assert_eq!(h.feed(Side::Client, b"PASS secret\r\n"), Verdict::Done);
    let obs = h.observations();
    assert!(exposures(&obs).is_empty());
    let ev = h.events();
    let last = &ev[ev.len() - 1].body;
    assert_eq!(last["command"], "AUTH");
    assert_eq!(last["command_data"], "TLS");
    assert_eq!(last["starttls"], true);
}

#[test]
fn auth_tls_refused_keeps_reading_and_reports_the_offer() {
    let mut h = Harness::<Ftp>::tcp(21);
    run(
        &mut h,
        &[
            (Side::Server, b"220 FTP server ready\r\n"),
            (Side::Client, b"FEAT\r\n"),
            (Side::Server, b"211-Features:\r\n AUTH TLS\r\n211 End\r\n"),
            (Side::Client, b"AUTH TLS\r\n"),
            // 534 Request denied for policy reasons (RFC 2228).
            (Side::Server, b"534 Policy denied\r\n"),
            (Side::Client, b"USER u\r\nPASS p\r\n"),
            (Side::Server, b"331 ok\r\n230 ok\r\n"),
        ],
    );
    assert_eq!(exposures(&h.observations()).len(), 1);
    let ev = h.events();
    let login = &ev[ev.len() - 1].body;
    assert_eq!(login["starttls_offered"], true);
    assert_eq!(login["login"], "accepted");
}

#[test]
fn pipelined_user_and_pass_match_their_replies_in_order() {
    let mut h = Harness::<Ftp>::tcp(21);
    run(
        &mut h,
        &[
            (Side::Server, b"220 FTP ready\r\n"),
            // Both commands in one segment, before any reply.
            (Side::Client, b"USER u\r\nPASS p\r\n"),
            (Side::Server, b"331 need password\r\n530 no\r\n"),
        ],
    );
    let ev = h.events();
    assert_eq!(ev.len(), 2);
    assert_eq!(ev[1].body["completion_code"], json!(["530"]), "not the 331");
}

#[test]
fn pass_without_user_has_no_user_and_unanswered_login_is_reported_at_end() {
    let mut h = Harness::<Ftp>::tcp(21);
    run(
        &mut h,
        &[
            (Side::Server, b"220 FTP\r\n"),
            (Side::Client, b"PASS lonely\r\n"),
        ],
    );
    h.end();
    let e = exposures(&h.observations());
    assert_eq!(e[0].user_present, Some(false));
    let ev = h.events();
    assert_eq!(ev[1].body["login"], "no_reply");
    assert_eq!(ev[1].body["reply_received"], "no");
    assert_secret_free(&mut h, &["lonely"]);
}

#[test]
fn ten_thousand_byte_user_line_is_cut_but_still_a_login() {
    let mut h = Harness::<Ftp>::tcp(21);
    let mut user = b"USER ".to_vec();
    user.extend(std::iter::repeat_n(b'n', 10_000));
    user.extend_from_slice(b"\r\n");
    h.feed(Side::Server, b"220 FTP\r\n");
    h.feed(Side::Client, &user);
    h.feed(Side::Client, b"PASS p\r\n");
    let obs = h.observations();
    assert_eq!(exposures(&obs)[0].user_present, Some(true));
    assert_eq!(anomalies(&obs), vec!["ftp_line_too_long"]);
    assert!(!format!("{obs:?}").contains("nnnnnnnn"));
}

#[test]
fn ten_thousand_byte_greeting_is_kept_as_wire_text() {
    let mut h = Harness::<Ftp>::tcp(21);
    let mut g = b"220 ".to_vec();
    g.extend(std::iter::repeat_n(b'x', 10_000));
    g.extend_from_slice(b"\r\n");
    // Across two deliveries, so the held part is capped too.
    let (a, b) = g.split_at(5000);
    h.feed(Side::Server, a);
    h.feed(Side::Server, b);
    let obs = h.observations();
    let banner = fact(&obs, "ftp.banner").unwrap();
    assert!(banner.len() <= 256 && banner.ends_with('\u{2026}'));
}

#[test]
fn greeting_that_is_only_the_code() {
    let mut h = Harness::<Ftp>::tcp(21);
    h.feed(Side::Server, b"220\r\n");
    let obs = h.observations();
    assert_eq!(fact(&obs, "ftp.banner"), None);
    let ev = h.events();
    assert_eq!(ev[0].body["completion_code"], json!(["220"]));
    // And the probe: a whole greeting naming nothing waits for the client, or the port.
    assert_eq!(
        Ftp::probe(b"220\r\n", Side::Server, &ctx_tcp(2121)),
        Probe::NeedMore
    );
    assert_eq!(
        Ftp::probe(b"220\r\n", Side::Server, &ctx_tcp(21)),
        Probe::Yes
    );
}

#[test]
fn hostile_reply_without_code_is_an_anomaly() {
    let mut h = Harness::<Ftp>::tcp(21);
    h.feed(Side::Server, b"220 FTP\r\n");
    h.feed(Side::Server, b"hello there\r\n\xff\xfe\r\n");
    assert_eq!(anomalies(&h.observations()), vec!["ftp_bad_reply"]);
    assert_eq!(h.counter("ftp_bad_reply"), 2);
}

#[test]
fn sixty_four_lines_end_the_parse() {
    let mut h = Harness::<Ftp>::tcp(21);
    let many = b"NOOP\r\n".repeat(MAX_LINES as usize);
    assert_eq!(h.feed(Side::Client, &many), Verdict::Done);
    assert_eq!(h.counter("messages"), u64::from(MAX_LINES));
}

#[test]
fn hostile_gap_mid_line_resynchronises_at_the_next_line() {
    let mut h = Harness::<Ftp>::tcp(21);
    h.feed(Side::Server, b"220 FTP\r\n");
    h.feed(Side::Client, b"USER al");
    assert_eq!(h.gap(Side::Client, 100), Verdict::Continue);
    // The tail of the lost line is dropped, the next command read.
    h.feed(Side::Client, b"ice\r\nPASS p\r\n");
    let e = exposures(&h.observations());
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].user_present, Some(false), "the USER was lost");
    assert_eq!(h.counter("gap"), 1);
}

#[test]
fn hostile_pending_commands_are_capped() {
    let mut h = Harness::<Ftp>::tcp(21);
    h.feed(Side::Server, b"220 FTP\r\n");
    h.feed(Side::Client, &b"NOOP\r\n".repeat(20));
    assert_eq!(h.counter("ftp_pending_dropped"), 20 - MAX_PENDING as u64);
}

// ---- probe: FTP versus SMTP (both greet with 220) ----

#[test]
fn probe_greeting_words_decide() {
    let ctx = ctx_tcp(2121);
    assert_eq!(Ftp::probe(b"2", Side::Server, &ctx), Probe::NeedMore);
    assert_eq!(
        Ftp::probe(b"220 ProFTP", Side::Server, &ctx),
        Probe::NeedMore,
        "line not whole"
    );
    assert_eq!(
        Ftp::probe(b"220 ProFTPD 1.3.5 Server\r\n", Side::Server, &ctx),
        Probe::Yes
    );
    assert_eq!(
        Ftp::probe(b"220 (vsFTPd 3.0.3)\r\n", Side::Server, &ctx),
        Probe::Yes
    );
    // RFC 959 §4.2 multi-line greeting: the product on a later line.
    assert_eq!(
        Ftp::probe(b"220-Hi\r\n220-\r\n220 FileZilla\r\n", Side::Server, &ctx),
        Probe::Yes
    );
    let smtp = b"220 mail.example.org ESMTP Postfix (Debian)\r\n";
    assert_eq!(Ftp::probe(smtp, Side::Server, &ctx), Probe::No);
    assert_eq!(
        crate::smtp::Smtp::probe(smtp, Side::Server, &ctx),
        Probe::Yes
    );
    // A host name with "ftp" in it is no FTP word.
    let tricky = b"220 ftp.example.org ESMTP ready\r\n";
    assert_eq!(Ftp::probe(tricky, Side::Server, &ctx), Probe::No);
    assert_eq!(
        Ftp::probe(b"HTTP/1.1 200 OK\r\n", Side::Server, &ctx),
        Probe::No
    );
    assert_eq!(Ftp::probe(b"2200 x\r\n", Side::Server, &ctx), Probe::No);
    assert_eq!(Ftp::probe(b"+OK POP3\r\n", Side::Server, &ctx), Probe::No);
}

#[test]
fn probe_unclear_greeting_waits_for_the_client_command() {
    // "220 Welcome" on an unusual port: the client's first command decides.
    let ctx = ctx_tcp(2121);
    let greeting: &[u8] = b"220 Welcome\r\n";
    assert_eq!(Ftp::probe(greeting, Side::Server, &ctx), Probe::NeedMore);
    assert_eq!(
        crate::smtp::Smtp::probe(greeting, Side::Server, &ctx),
        Probe::NeedMore
    );
    let (name, obs, _) = run_session(
        ctx,
        &[
            (Side::Server, greeting),
            (Side::Client, b"USER bob\r\n"),
            (Side::Client, b"PASS pw\r\n"),
        ],
    );
    assert_eq!(name, Some("ftp"));
    assert_eq!(exposures(&obs).len(), 1);
    assert_eq!(
        fact(&obs, "ftp.banner"),
        Some("Welcome"),
        "the held greeting was replayed"
    );
    let (name, obs, _) = run_session(
        ctx,
        &[(Side::Server, greeting), (Side::Client, b"EHLO pc1\r\n")],
    );
    assert_eq!(name, Some("smtp"));
    assert_eq!(fact(&obs, "smtp.helo"), Some("pc1"));
    // Ports break the tie at once.
    assert_eq!(Ftp::probe(greeting, Side::Server, &ctx_tcp(21)), Probe::Yes);
    assert_eq!(Ftp::probe(greeting, Side::Server, &ctx_tcp(25)), Probe::No);
    assert_eq!(
        crate::smtp::Smtp::probe(greeting, Side::Server, &ctx_tcp(587)),
        Probe::Yes
    );
}

#[test]
fn probe_client_commands() {
    let ctx = ctx_tcp(2121);
    assert_eq!(Ftp::probe(b"US", Side::Client, &ctx), Probe::NeedMore);
    assert_eq!(Ftp::probe(b"USER x\r\n", Side::Client, &ctx), Probe::Yes);
    assert_eq!(Ftp::probe(b"feat\r\n", Side::Client, &ctx), Probe::Yes);
    assert_eq!(Ftp::probe(b"USERS\r\n", Side::Client, &ctx), Probe::No);
    assert_eq!(
        Ftp::probe(b"GET / HTTP/1.1\r\n", Side::Client, &ctx),
        Probe::No
    );
    assert_eq!(Ftp::probe(b"EHLO x\r\n", Side::Client, &ctx), Probe::No);
    // A POP3 port: USER is POP3's too.
    assert_eq!(
        Ftp::probe(b"USER x\r\n", Side::Client, &ctx_tcp(110)),
        Probe::No
    );
}

#[test]
fn registry_probe_picks_ftp_on_a_real_greeting() {
    let (name, obs, c) = run_session(ctx_tcp(21), FILEZILLA);
    assert_eq!(name, Some("ftp"));
    assert_eq!(exposures(&obs).len(), 1);
    assert_eq!(counter(&c, "ftp", "flows"), 1);
}

/// zeek/testing/btest/Traces/ftp/bruteforce.pcap, stream 0 (see the module comment).
#[test]
fn bruteforce_stream_is_one_rejected_login() {
    let mut h = Harness::<Ftp>::tcp(21);
    run(
        &mut h,
        &[
            (
                Side::Server,
                b"220 redmint FTP server (Version 6.4/OpenBSD/Linux-ftpd-0.17) ready.\r\n",
            ),
            (Side::Client, b"USER bro\r\n"),
            (Side::Server, b"331 Password required for bro.\r\n"),
            (Side::Client, b"PASS 1\r\n"),
            (Side::Server, b"530 Login incorrect.\r\n"),
            (Side::Client, b"QUIT\r\n"),
            (Side::Server, b"221 Goodbye.\r\n"),
        ],
    );
    let obs = h.observations();
    assert_eq!(exposures(&obs).len(), 1);
    assert!(
        software(&obs).is_empty(),
        "\"redmint\" is a host name, not a product"
    );
    let ev = h.events();
    assert_eq!(ev[1].body["login"], "rejected");
    // The 331 text names the user: reply texts of logins are never kept.
    assert_secret_free(&mut h, &["bro\"", " bro", "Password required"]);
}

// ---- the shared line reader and greeting analysis ----

#[test]
fn line_reader_joins_splits_and_strips_crlf() {
    let mut buf = LineBuf::default();
    let mut got = Vec::new();
    for part in [&b"ab"[..], b"c\r", b"\nd\n", b"\r\n"] {
        buf.feed(part, |l| {
            got.push((l.text.to_vec(), l.truncated));
            Next::Line
        });
    }
    assert_eq!(
        got,
        vec![
            (b"abc".to_vec(), false),
            (b"d".to_vec(), false),
            (vec![], false)
        ]
    );
}

#[test]
fn line_reader_skips_literal_bytes_and_stops() {
    let mut buf = LineBuf::default();
    let mut got = Vec::new();
    // "x {3}" then 3 raw bytes ("a", LF, "b"), then a line; then stop at "stop".
    let more = buf.feed(b"x {3}\r\na\nbrest\r\nstop\r\nnever\r\n", |l| {
        got.push(l.text.to_vec());
        match l.text {
            b"x {3}" => Next::Skip(3),
            b"stop" => Next::Stop,
            _ => Next::Line,
        }
    });
    assert!(!more);
    assert_eq!(
        got,
        vec![b"x {3}".to_vec(), b"rest".to_vec(), b"stop".to_vec()]
    );
}

#[test]
fn line_reader_caps_what_it_holds() {
    let mut buf = LineBuf::default();
    for _ in 0..100 {
        buf.feed(&[b'a'; 1000], |_| Next::Line);
    }
    assert!(buf.held_len() <= lines::MAX_LINE);
    let mut seen = None;
    buf.feed(b"\n", |l| {
        seen = Some((l.text.len(), l.truncated));
        Next::Line
    });
    assert_eq!(seen, Some((lines::MAX_LINE, true)));
}

#[test]
fn reply_reader_follows_multiline_replies() {
    let mut r = Replies::default();
    let a = r.line(b"211-Features:").unwrap();
    assert!(a.first && !a.last && a.code == 211);
    let b = r.line(b" AUTH TLS").unwrap();
    assert!(!b.first && !b.last && b.text == b" AUTH TLS");
    // RFC 959 §4.2: a line starting with another code inside is text.
    assert!(!r.line(b"220 not the end").unwrap().last);
    assert!(r.line(b"211 End").unwrap().last);
    assert!(
        r.line(b"999 x").is_none(),
        "RFC 959 §4.2: the first digit is 1-5"
    );
    assert!(r.line(b"20").is_none());
    assert!(r.line(b"2x0 no").is_none());
}

#[test]
fn greeting_products() {
    let p = |t: &[u8]| {
        banner::product(t).map(|p| {
            (
                String::from_utf8_lossy(p.name).into_owned(),
                p.version.map(|v| String::from_utf8_lossy(v).into_owned()),
            )
        })
    };
    let some = |n: &str, v: Option<&str>| Some((n.to_string(), v.map(str::to_string)));
    assert_eq!(
        p(b"ProFTPD 1.3.5 Server (Debian) [::ffff:10.0.0.1]"),
        some("ProFTPD", Some("1.3.5"))
    );
    assert_eq!(p(b"(vsFTPd 3.0.3)"), some("vsFTPd", Some("3.0.3")));
    assert_eq!(
        p(b"FileZilla Server 1.9.1"),
        some("FileZilla Server", Some("1.9.1"))
    );
    assert_eq!(
        p(b"mail.example.org ESMTP Postfix (Debian)"),
        some("Postfix", None)
    );
    assert_eq!(
        p(b"xc90.websitewelcome.com ESMTP Exim 4.69 #1 Mon, 05 Oct 2009"),
        some("Exim", Some("4.69"))
    );
    assert_eq!(
        p(b"host ESMTP Sendmail 8.15.2/8.15.2; Tue, 1 Jan"),
        some("Sendmail", Some("8.15.2/8.15.2"))
    );
    assert_eq!(p(b"Dovecot ready."), some("Dovecot", None));
    assert_eq!(
        p(b"ftp.ncsa.illinois.edu FTP Server (Apache/2.2.3 (CentOS) PHP/5.1.6 mod_ftp/0.9.6) ready."),
        some("Apache", Some("2.2.3"))
    );
    assert_eq!(
        p(b"Microsoft Exchange IMAP4rev1 server version 5.5.2650.23 (umr-mail02) ready"),
        some("Microsoft Exchange", Some("5.5.2650.23"))
    );
    assert_eq!(
        p(b"ftp.NetBSD.org FTP server (NetBSD-ftpd 20100320) ready."),
        some("NetBSD-ftpd", Some("20100320"))
    );
    // Nothing recognisable: host names, addresses, dates, versions without a product.
    assert_eq!(p(b"Welcome to mirrors.rit.edu."), None);
    assert_eq!(p(b"mx.google.com ESMTP s4si9696358qcc.63 - gsmtp"), None);
    assert_eq!(
        p(b"redmint FTP server (Version 6.4/OpenBSD/Linux-ftpd-0.17) ready."),
        None
    );
    assert_eq!(p(b"Server at 10.0.0.1 ready"), None);
    assert_eq!(
        p(b"POP3 server ready <1896.697170952@dbc.mtview.ca.us>"),
        None
    );
    assert_eq!(p(b""), None);
}

#[test]
fn probe_decides_on_a_long_first_line_before_its_end() {
    // suricata-verify/tests/smtp-bug-6053/input.pcap: a 220 line longer than the probe's
    // 512 bytes; its whole words already say ESMTP.
    let mut g = b"220 smtpblah.mailserver.xxx.com ESMTP ".to_vec();
    g.extend(std::iter::repeat_n(b'A', 600));
    let ctx = ctx_tcp(2500);
    assert_eq!(crate::smtp::Smtp::probe(&g, Side::Server, &ctx), Probe::Yes);
    assert_eq!(Ftp::probe(&g, Side::Server, &ctx), Probe::No);
    // A bare number is no version ("IMAP server ready H migmx013 104568").
    assert_eq!(banner::product(b"ready H migmx013 104568 IMAP"), None);
}
