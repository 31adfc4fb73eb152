//! Template fixtures: each line annotated with what it is.

use super::*;
use crate::testing::{Harness, anomalies, exposures, software};

#[test]
fn hello_names_the_software_and_login_is_an_exposure() {
    let mut h = Harness::<Template>::tcp(7777);
    // "HELLO " product "/" version LF, split across two deliveries.
    h.feed(Side::Server, b"HELLO Acme");
    h.feed(Side::Server, b"/1.2\n");
    // "LOGIN " user SP password LF: the password must not appear anywhere.
    h.feed(Side::Client, b"LOGIN alice s3cret\n");
    let obs = h.observations();
    assert_eq!(
        software(&obs),
        vec![("server", "Acme".into(), Some("1.2".into()))]
    );
    let e = exposures(&obs);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].user_present, Some(true));
    assert!(!format!("{obs:?}{:?}", h.events()).contains("s3cret"));
    assert_eq!(h.counter("messages"), 2);
}

#[test]
fn unknown_line_is_an_anomaly_once() {
    let mut h = Harness::<Template>::tcp(7777);
    h.feed(Side::Client, b"BOGUS\nBOGUS\n");
    assert_eq!(
        anomalies(&h.observations()),
        vec!["template_unknown_message"]
    );
    assert_eq!(h.counter("template_unknown_message"), 2);
}

#[test]
fn overlong_line_stops_the_parser() {
    let mut h = Harness::<Template>::tcp(7777);
    assert_eq!(h.feed(Side::Client, &[b'x'; 2000]), Verdict::Done);
    assert_eq!(h.counter("template_line_too_long"), 1);
}

#[test]
fn probe_is_by_content() {
    let ctx = crate::testing::ctx_tcp(80);
    assert_eq!(Template::probe(b"HEL", Side::Server, &ctx), Probe::NeedMore);
    assert_eq!(Template::probe(b"HELLO x", Side::Server, &ctx), Probe::Yes);
    assert_eq!(Template::probe(b"GET /", Side::Client, &ctx), Probe::No);
}
