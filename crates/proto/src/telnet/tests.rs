//! Telnet fixtures: RFC 854/855 command sequences and a real login from
//! /work/shared/corpus.
//!
//! Checked against tshark on nDPI/tests/cfgs/default/pcap/telnet.pcap:
//! `tshark -Y telnet -T fields -e telnet.data` shows the server's `login: ` and `Password:`
//! prompts with the client's `fake` and `user` lines after them (stream 0, one login); this
//! parser reports one `TELNET login` exposure with a user name (`openbsd_login_from_ndpi_capture`).

use super::*;
use crate::testing::{Harness, anomalies, ctx_tcp, exposures, fact, run_session};

fn run(h: &mut Harness<Telnet>, steps: &[(Side, &[u8])]) -> Verdict {
    let mut v = Verdict::Continue;
    for (side, data) in steps {
        v = h.feed(*side, data);
        if v == Verdict::Done {
            break;
        }
    }
    v
}

fn assert_secret_free(h: &mut Harness<Telnet>, secrets: &[&str]) {
    let all = format!("{:?}{:?}", h.observations(), h.events());
    for s in secrets {
        assert!(!all.contains(s), "{s:?} leaked: {all}");
    }
}

/// nDPI/tests/cfgs/default/pcap/telnet.pcap, stream 0, every segment up to the password
/// (user "fake", password "user").
const OPENBSD: &[(Side, &[u8])] = &[
    // IAC DO SUPPRESS-GO-AHEAD(3), IAC WILL TERMINAL-TYPE(24), NAWS(31), TSPEED(32), LFLOW(33),
    // LINEMODE(34), NEW-ENVIRON(39), IAC DO STATUS(5), IAC WILL X-DISPLAY(35) (RFC 854 §"TELNET
    // COMMAND STRUCTURE", option numbers from the IANA registry).
    (Side::Client, b"\xff\xfd\x03\xff\xfb\x18\xff\xfb\x1f\xff\xfb \xff\xfb!\xff\xfb\x22\xff\xfb'\xff\xfd\x05\xff\xfb#"),
    // IAC DO AUTHENTICATION(37).
    (Side::Server, b"\xff\xfd%"),
    // IAC WONT AUTHENTICATION.
    (Side::Client, b"\xff\xfc%"),
    // … IAC SB LINEMODE MODE 0x0b IAC SE (RFC 855 subnegotiation).
    (Side::Server, b"\xff\xfb\x03\xff\xfd\x18\xff\xfd\x1f\xff\xfd \xff\xfd!\xff\xfd\x22\xff\xfa\x22\x01\x0b\xff\xf0"),
    // IAC SB NAWS 0 80 0 32 IAC SE, IAC SB LINEMODE SLC … IAC SE.
    (Side::Client, b"\xff\xfa\x1f\x00P\x00 \xff\xf0\xff\xfa\x22\x03\x01\x00\x00\x03b\x03\x04\x02\x0f\x05\x00\x00\x07b\x1c\x08\x02\x04\x09B\x1a\x0a\x02\x7f\x0b\x02\x15\x0f\x02\x11\x10\x02\x13\x11\x00\x00\x12\x00\x00\xff\xf0\xff\xfd\x03\xff\xfa\x22\x01\x0f\xff\xf0"),
    (Side::Server, b"\xff\xfd'\xff\xfb\x05\xff\xfd#\xff\xfb&\xff\xfd&\xff\xfd$"),
    (Side::Client, b"\xff\xfe&\xff\xfc&\xff\xfc$"),
    // IAC SB TSPEED SEND IAC SE, … TERMINAL-TYPE SEND.
    (Side::Server, b"\xff\xfa \x01\xff\xf0\xff\xfa#\x01\xff\xf0\xff\xfa'\x01\xff\xf0\xff\xfa\x18\x01\xff\xf0"),
    // IAC SB TSPEED IS "9600,9600" IAC SE, X-DISPLAY IS …, TERMINAL-TYPE IS "xterm-color".
    (Side::Client, b"\xff\xfa \x009600,9600\xff\xf0\xff\xfa#\x00bam.zing.org:0.0\xff\xf0\xff\xfa'\x00\x00DISPLAY\x01bam.zing.org:0.0\xff\xf0\xff\xfa\x18\x00xterm-color\xff\xf0"),
    // IAC DO ECHO(1).
    (Side::Server, b"\xff\xfd\x01"),
    (Side::Client, b"\xff\xfc\x01"),
    (Side::Server, b"\xff\xfb\x01\xff\xfa!\x02\xff\xf0\xff\xfc\x01"),
    (Side::Client, b"\xff\xfd\x01\xff\xfe\x01"),
    (Side::Server, b"\xff\xfa\x22\x03\x05\x80\x00\x11\x80\x00\x12\x80\x00\xff\xf0"),
    // NVT text: the banner line, then the prompt.
    (Side::Server, b"\r\nOpenBSD/i386 (oof) (ttyp2)\r\n\r\n"),
    (Side::Server, b"login: "),
    (Side::Client, b"fake\r\n"),
    // IAC WILL ECHO: the server stops echoing for the password.
    (Side::Server, b"\xff\xfb\x01"),
    (Side::Client, b"\xff\xfd\x01"),
    (Side::Server, b"Password:"),
    (Side::Client, b"user\r\n"),
    (Side::Server, b"\r\n"),
];

#[test]
fn openbsd_login_from_ndpi_capture() {
    let mut h = Harness::<Telnet>::tcp(23);
    assert_eq!(
        run(&mut h, OPENBSD),
        Verdict::Done,
        "done at the password line"
    );
    let obs = h.observations();
    assert_eq!(
        fact(&obs, "telnet.banner"),
        Some("OpenBSD/i386 (oof) (ttyp2)")
    );
    let e = exposures(&obs);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].kind, ExposureKind::CleartextCredentials);
    assert_eq!(e[0].side, Side::Client);
    assert_eq!(e[0].subject, "TELNET login");
    assert_eq!(e[0].fields, vec!["password".to_string()]);
    assert_eq!(e[0].user_present, Some(true));
    assert!(anomalies(&obs).is_empty());
    let ev = h.events();
    assert_eq!(ev.len(), 2);
    assert_eq!(ev[1].body["user_present"], true);
    assert_eq!(ev[1].body["password_present"], true);
    assert_secret_free(&mut h, &["fake", "\"user\"", "xterm"]);
}

#[test]
fn one_keystroke_per_segment_with_echo_and_iac_interleaved() {
    let mut h = Harness::<Telnet>::tcp(23);
    h.feed(
        Side::Server,
        b"\xff\xfb\x01\xff\xfb\x03Welcome\r\nUsername: ",
    );
    for &k in b"alice" {
        assert_eq!(h.feed(Side::Client, &[k]), Verdict::Continue);
        // The server echoes each keystroke, sometimes with a NOP (IAC 241) before it.
        h.feed(Side::Server, &[IAC, 241, k]);
        h.feed(Side::Client, &[IAC, 241]);
    }
    h.feed(Side::Client, b"\r");
    h.feed(Side::Client, b"\0");
    h.feed(Side::Server, b"\r\n");
    // The prompt arrives split, an IAC command in the middle of the word.
    h.feed(Side::Server, b"Pass");
    h.feed(Side::Server, &[IAC]);
    h.feed(Side::Server, b"\xfbX");
    h.feed(Side::Server, b"word: ");
    for &k in b"s3cr3t" {
        let v = h.feed(Side::Client, &[k]);
        assert_eq!(v, Verdict::Continue);
        h.feed(Side::Client, &[IAC, 0xfd, 0x01]);
    }
    assert_eq!(h.feed(Side::Client, b"\r\n"), Verdict::Done);
    let obs = h.observations();
    assert_eq!(fact(&obs, "telnet.banner"), Some("Welcome"));
    let e = exposures(&obs);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].user_present, Some(true));
    assert_secret_free(&mut h, &["alice", "s3cr3t", "lice"]);
}

#[test]
fn password_prompt_without_user_prompt() {
    // A router: "User Access Verification" then only "Password:".
    let mut h = Harness::<Telnet>::tcp(23);
    let v = run(
        &mut h,
        &[
            (
                Side::Server,
                b"\xff\xfb\x01\xff\xfb\x03\r\n\r\nUser Access Verification\r\n\r\nPASSWORD: ",
            ),
            (Side::Client, b"cisco\r"),
        ],
    );
    assert_eq!(v, Verdict::Done);
    let obs = h.observations();
    assert_eq!(exposures(&obs)[0].user_present, Some(false));
    assert_eq!(
        fact(&obs, "telnet.banner"),
        Some("User Access Verification")
    );
    assert_secret_free(&mut h, &["cisco"]);
}

#[test]
fn empty_password_is_no_exposure_but_ends_the_parse() {
    let mut h = Harness::<Telnet>::tcp(23);
    h.feed(Side::Server, b"\xff\xfd\x18login:");
    h.feed(Side::Client, b"\r\n");
    h.feed(Side::Server, b"Password:");
    assert_eq!(h.feed(Side::Client, b"\r\n"), Verdict::Done);
    assert!(exposures(&h.observations()).is_empty());
    let ev = h.events();
    assert_eq!(ev[0].body["user_present"], false);
    assert_eq!(ev[0].body["password_present"], false);
}

#[test]
fn iac_iac_is_a_data_byte_and_prompt_text_can_be_anywhere_in_the_line() {
    let mut d = iac::Decoder::default();
    let out: Vec<_> = [
        IAC, IAC, b'a', IAC, 0xfa, 1, IAC, IAC, 2, IAC, 0xf0, b'b', IAC, 0x10,
    ]
    .iter()
    .map(|&b| d.push(b))
    .collect();
    use iac::Byte::{Command as C, Data as D, Invalid as I};
    assert_eq!(
        out,
        vec![C, D(IAC), D(b'a'), C, C, C, C, C, C, C, C, D(b'b'), C, I]
    );
    let mut w = PromptWatch::default();
    let got: Vec<_> = b"host Login :  "
        .iter()
        .filter_map(|&b| w.push(b))
        .collect();
    assert_eq!(
        got,
        vec![Prompt::User],
        "once per line, case and spaces ignored"
    );
}

#[test]
fn hostile_invalid_command_is_an_anomaly() {
    let mut h = Harness::<Telnet>::tcp(23);
    h.feed(Side::Server, b"\xff\xfb\x01\xff\x10hello");
    assert_eq!(anomalies(&h.observations()), vec!["telnet_invalid_command"]);
}

#[test]
fn hostile_endless_subnegotiation_stops_at_the_client_limit() {
    let mut h = Harness::<Telnet>::tcp(23);
    h.feed(Side::Server, b"login: ");
    h.feed(Side::Client, b"\xff\xfa\x18");
    let mut v = Verdict::Continue;
    for _ in 0..5 {
        v = h.feed(Side::Client, &[b'x'; 1000]);
    }
    assert_eq!(v, Verdict::Done);
    assert_eq!(h.counter("telnet_client_limit"), 1);
    assert!(exposures(&h.observations()).is_empty());
}

#[test]
fn endless_server_output_stops_at_the_server_limit_and_keeps_the_banner() {
    let mut h = Harness::<Telnet>::tcp(23);
    h.feed(
        Side::Server,
        b"\xff\xfb\x01Welcome to the ward 3 terminal server\r\n",
    );
    let mut v = Verdict::Continue;
    let mut fed = 0;
    while v == Verdict::Continue && fed < 64 * 1024 {
        v = h.feed(Side::Server, &[b'.'; 1000]);
        fed += 1000;
    }
    assert_eq!(v, Verdict::Done);
    assert!(fed <= MAX_SERVER_BYTES + 1000, "stopped after {fed} bytes");
    assert_eq!(h.counter("telnet_server_limit"), 1);
    let obs = h.observations();
    assert_eq!(
        fact(&obs, "telnet.banner"),
        Some("Welcome to the ward 3 terminal server")
    );
}

#[test]
fn hostile_long_banner_is_capped() {
    let mut h = Harness::<Telnet>::tcp(23);
    h.feed(Side::Server, b"\xff\xfb\x01");
    for _ in 0..10 {
        h.feed(Side::Server, &[b'B'; 1000]);
    }
    h.feed(Side::Server, b"\r\n");
    let obs = h.observations();
    assert!(fact(&obs, "telnet.banner").is_some_and(|b| b.len() <= 256));
}

#[test]
fn gap_ends_the_parse() {
    let mut h = Harness::<Telnet>::tcp(23);
    h.feed(Side::Server, b"login: ");
    assert_eq!(h.gap(Side::Client, 3), Verdict::Done);
}

#[test]
fn probe_needs_iac_and_a_negotiation_verb() {
    let ctx = ctx_tcp(23);
    assert_eq!(Telnet::probe(b"\xff", Side::Server, &ctx), Probe::NeedMore);
    assert_eq!(
        Telnet::probe(b"\xff\xfd\x18", Side::Server, &ctx),
        Probe::Yes
    );
    assert_eq!(
        Telnet::probe(b"\xff\xfb\x01", Side::Client, &ctx),
        Probe::Yes
    );
    assert_eq!(
        Telnet::probe(b"\xff\xfa\x18\x01", Side::Client, &ctx),
        Probe::Yes
    );
    assert_eq!(
        Telnet::probe(b"\xff\xf1", Side::Server, &ctx),
        Probe::No,
        "NOP is no negotiation"
    );
    assert_eq!(Telnet::probe(b"\xff\xff", Side::Server, &ctx), Probe::No);
    assert_eq!(Telnet::probe(b"login: ", Side::Server, &ctx), Probe::No);
    assert_eq!(Telnet::probe(b"GET /", Side::Client, &ctx), Probe::No);
    let (name, obs, _) = run_session(ctx, OPENBSD);
    assert_eq!(name, Some("telnet"));
    assert_eq!(exposures(&obs).len(), 1);
}
