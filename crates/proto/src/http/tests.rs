//! HTTP/1.x fixtures: real requests and responses from corpus captures (file named at each),
//! invented credentials and patient data, and hostile framing.

use model::ExposureKind;
use serde_json::Value;

use super::*;
use crate::testing::{Harness, anomalies, ctx_tcp, exposures, fact, facts, run_session, software};

/// Everything a test run produced, as text: where no secret or patient value may appear.
fn everything(h: &mut Harness<Http>) -> String {
    let obs = h.observations();
    let events: Vec<String> = h
        .events()
        .iter()
        .map(|e| serde_json::to_string(&e.body).unwrap())
        .collect();
    format!("{obs:?}{events:?}")
}

fn event_bodies(h: &mut Harness<Http>) -> Vec<Value> {
    h.events()
        .into_iter()
        .map(|e| Value::Object(e.body))
        .collect()
}

// ---------------------------------------------------------------------------------------
// Probe
// ---------------------------------------------------------------------------------------

#[test]
fn probe_takes_request_lines_and_status_lines_only() {
    let ctx = ctx_tcp(80);
    // RFC 9112 §3: method SP request-target SP HTTP-version CRLF.
    assert_eq!(Http::probe(b"GE", Side::Client, &ctx), Probe::NeedMore);
    assert_eq!(Http::probe(b"GET", Side::Client, &ctx), Probe::NeedMore);
    assert_eq!(
        Http::probe(b"GET /index", Side::Client, &ctx),
        Probe::NeedMore
    );
    assert_eq!(
        Http::probe(b"GET / HTTP/1.1\r\n", Side::Client, &ctx),
        Probe::Yes
    );
    assert_eq!(
        Http::probe(b"PATCH /x HTTP/1.0\n", Side::Client, &ctx),
        Probe::Yes
    );
    // RFC 9112 §4 status-line, a flow seen from its middle.
    assert_eq!(Http::probe(b"HTTP/1", Side::Server, &ctx), Probe::NeedMore);
    assert_eq!(
        Http::probe(b"HTTP/1.1 200 OK\r\n", Side::Server, &ctx),
        Probe::Yes
    );
    // Look-alikes: RTSP and SIP share methods, not the version; HTTP/2 preface; lowercase.
    let rtsp = b"OPTIONS rtsp://cam/stream RTSP/1.0\r\nCSeq: 1\r\n\r\n";
    assert_eq!(Http::probe(rtsp, Side::Client, &ctx), Probe::No);
    assert_eq!(
        Http::probe(b"OPTIONS sip:a@b SIP/2.0\r\n", Side::Client, &ctx),
        Probe::No
    );
    assert_eq!(
        Http::probe(b"PRI * HTTP/2.0\r\n", Side::Client, &ctx),
        Probe::No
    );
    assert_eq!(
        Http::probe(b"get / HTTP/1.1\r\n", Side::Client, &ctx),
        Probe::No
    );
    assert_eq!(
        Http::probe(b"GET/ HTTP/1.1\r\n", Side::Client, &ctx),
        Probe::No
    );
    // Extension methods (RFC 9110 §9.1: any token), e.g. WebDAV (RFC 4918 §9.1), need the
    // whole request line.
    assert_eq!(
        Http::probe(b"PROPFIND /dav/ HTTP/1.1\r\n", Side::Client, &ctx),
        Probe::Yes
    );
    assert_eq!(
        Http::probe(b"PROPFIND /dav/ HTTP/1.1", Side::Client, &ctx),
        Probe::NeedMore
    );
    assert_eq!(
        Http::probe(b"PROPFIND /dav/ RTSP/1.0\r\n", Side::Client, &ctx),
        Probe::No
    );
    assert_eq!(
        Http::probe(b"AB / HTTP/1.1\r\n", Side::Client, &ctx),
        Probe::No
    );
    assert_eq!(Http::probe(b"GET \x00\x01", Side::Client, &ctx), Probe::No);
    assert_eq!(
        Http::probe(b"RTSP/1.0 200 OK\r\n", Side::Server, &ctx),
        Probe::No
    );
    // A request line longer than 256 bytes is taken before its end.
    let mut long = b"GET /".to_vec();
    long.extend_from_slice(&[b'a'; 300]);
    assert_eq!(Http::probe(&long, Side::Client, &ctx), Probe::Yes);
}

/// The probe as first written (a loop over the methods, a line search then a plausibility
/// pass): the fast one must answer exactly as it did.
fn probe_reference(first: &[u8]) -> Probe {
    fn line(rest: &[u8]) -> Probe {
        let plausible = |b: &u8| b.is_ascii_graphic() || *b == b' ' || *b >= 0x80;
        match rest.iter().position(|&b| b == b'\n') {
            Some(lf) => {
                let line = rest.get(..lf).unwrap_or_default();
                let line = line.strip_suffix(b"\r").unwrap_or(line);
                let ok = line.len() > 9
                    && line.iter().all(plausible)
                    && matches!(line.get(line.len() - 9..), Some([b' ', b'H', b'T', b'T', b'P', b'/', b'1', b'.', d]) if d.is_ascii_digit());
                if ok { Probe::Yes } else { Probe::No }
            }
            None if !rest.iter().all(plausible) => Probe::No,
            None if rest.len() >= 256 => Probe::Yes,
            None => Probe::NeedMore,
        }
    }
    match prefix_match(first, b"HTTP/1.") {
        Probe::No => {}
        p => return p,
    }
    for m in METHODS {
        let m = m.as_bytes();
        let n = first.len().min(m.len() + 1);
        let wanted = m.iter().chain(b" ").take(n);
        if !first.iter().take(n).eq(wanted) {
            continue;
        }
        if n < m.len() + 1 {
            return Probe::NeedMore;
        }
        return line(first.get(m.len() + 1..).unwrap_or_default());
    }
    let token = first
        .iter()
        .take_while(|b| b.is_ascii_uppercase() || **b == b'-' || **b == b'_')
        .count();
    match first.get(token) {
        None if token <= 24 => Probe::NeedMore,
        Some(b' ') if (3..=24).contains(&token) => {
            match line(first.get(token + 1..).unwrap_or_default()) {
                Probe::Yes if first.contains(&b'\n') => Probe::Yes,
                Probe::Yes => Probe::NeedMore,
                p => p,
            }
        }
        _ => Probe::No,
    }
}

#[test]
fn probe_answers_as_the_reference_for_every_byte_everywhere() {
    let ctx = ctx_tcp(80);
    let agrees = |first: &[u8]| {
        assert_eq!(
            Http::probe(first, Side::Client, &ctx),
            probe_reference(first),
            "{first:?}"
        );
    };
    let lines: [&[u8]; 8] = [
        b"GET /index.html HTTP/1.1\r\nHost: a\r\n\r\n",
        b"OPTIONS * HTTP/1.0\n",
        b"PROPFIND /dav/some/longer/path/here HTTP/1.1\r\n",
        b"HTTP/1.1 200 OK\r\n",
        b"CONNECT host:443 HTTP/1.1\r\n",
        b"-X_ /a HTTP/1.1\r\n",
        b"POST /a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p HTTP/1.1\r\n",
        b"OPTIONS rtsp://cam/stream RTSP/1.0\r\n",
    ];
    for line in lines {
        // Every prefix, and every byte value put at every position.
        for n in 0..=line.len() {
            agrees(&line[..n]);
        }
        for pos in 0..line.len() {
            for b in 0..=255u8 {
                let mut v = line.to_vec();
                v[pos] = b;
                agrees(&v);
            }
        }
    }
    let mut long = b"GET /".to_vec();
    long.extend_from_slice(&[b'a'; 300]);
    for pos in [5, 100, 250, 255, 256, 260, 304] {
        for b in [0u8, 0x1f, 0x7f, 0x80, b'\r', b'\n', b' '] {
            let mut v = long.clone();
            v[pos] = b;
            agrees(&v);
        }
    }
}

/// The path reading as first written (one pass per media flag): the one-pass reading of
/// both must agree with it.
fn classify_reference(path: &[u8], media: bool) -> fhir::FhirPath {
    fn is_base(seg: &[u8]) -> bool {
        let lower = |s: &[u8], p: &[u8]| {
            s.len() >= p.len() && s.get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(p))
        };
        seg.windows(4).any(|w| w.eq_ignore_ascii_case(b"fhir"))
            || lower(seg, b"base")
            || [&b"r2"[..], b"r3", b"r4", b"r4b", b"r5", b"dstu2", b"stu3"]
                .iter()
                .any(|v| seg.eq_ignore_ascii_case(v))
    }
    let mut out = fhir::FhirPath::default();
    let mut last_was_base = false;
    for seg in path.split(|&b| b == b'/').filter(|s| !s.is_empty()) {
        if out.resource.is_none()
            && (out.under_base || media)
            && let Some(&(name, phi)) = fhir::RESOURCES.iter().find(|(n, _)| n.as_bytes() == seg)
        {
            out.resource = Some(name);
            out.patient_bearing = phi;
            last_was_base = false;
            continue;
        }
        if out.resource.is_none() && is_base(seg) {
            out.under_base = true;
            last_was_base = true;
        } else {
            last_was_base = false;
        }
    }
    out.is_base = out.resource.is_none() && last_was_base;
    out
}

#[test]
fn fhir_paths_read_as_the_reference() {
    let segments: [&str; 16] = [
        "",
        "fhir",
        "FHIR",
        "xFhIrx",
        "baseR4",
        "Base",
        "r4",
        "R4B",
        "stu3",
        "Patient",
        "Observation",
        "Device",
        "patient",
        "123",
        "_history",
        "$everything",
    ];
    // Every path of up to three of these segments, and a few longer ones.
    let mut paths = vec![String::new()];
    for a in segments {
        paths.push(format!("/{a}"));
        for b in segments {
            paths.push(format!("/{a}/{b}"));
            for c in segments {
                paths.push(format!("/{a}/{b}/{c}"));
            }
        }
    }
    paths.push("/fhir/r4/Patient/1/Observation/2/fhir".into());
    paths.push("//fhir//Patient//".into());
    for p in &paths {
        let (plain, media) = fhir::classify(p.as_bytes());
        assert_eq!(plain, classify_reference(p.as_bytes(), false), "{p}");
        assert_eq!(media, classify_reference(p.as_bytes(), true), "{p}");
    }
}

// ---------------------------------------------------------------------------------------
// Corpus exchanges, compared with tshark
// ---------------------------------------------------------------------------------------

/// arkime/tests/pcap/http-simple-get.pcap, stream 0 (the 5,039-byte HTML body is replaced by
/// as many 'x'). `tshark -Y http -T fields -e http.user_agent -e http.server` gives
/// "curl/7.24.0 (x86_64-apple-darwin12.0) libcurl/7.24.0 OpenSSL/0.9.8y zlib/1.2.5" and
/// "Apache/2.2.15 (CentOS)"; http.host "xxxxxxxxxxxxx.xxx.com", code 403.
const SIMPLE_GET: &[u8] = concat!(
    "GET / HTTP/1.1\r\n", // RFC 9112 §3 request-line
    "User-Agent: curl/7.24.0 (x86_64-apple-darwin12.0) libcurl/7.24.0 OpenSSL/0.9.8y zlib/1.2.5\r\n", // RFC 9110 §10.1.5
    "Host: xxxxxxxxxxxxx.xxx.com\r\n", // RFC 9110 §7.2
    "Accept: */*\r\n",
    "\r\n", // RFC 9112 §2.1 end of head
)
.as_bytes();

const SIMPLE_GET_RESPONSE_HEAD: &[u8] = concat!(
    "HTTP/1.1 403 Forbidden\r\n", // RFC 9112 §4 status-line
    "Date: Mon, 25 Nov 2013 14:55:52 GMT\r\n",
    "Server: Apache/2.2.15 (CentOS)\r\n", // RFC 9110 §10.2.4
    "Accept-Ranges: bytes\r\n",
    "Content-Length: 5039\r\n", // RFC 9110 §8.6: the body's length
    "Connection: close\r\n",
    "Content-Type: text/html; charset=UTF-8\r\n",
    "\r\n",
)
.as_bytes();

#[test]
fn corpus_simple_get_names_client_and_server_as_tshark_does() {
    let body = vec![b'x'; 5039];
    let (name, obs, _) = run_session(
        ctx_tcp(80),
        &[
            (Side::Client, SIMPLE_GET),
            (Side::Server, SIMPLE_GET_RESPONSE_HEAD),
            (Side::Server, &body[..1000]),
            (Side::Server, &body[1000..]),
        ],
    );
    assert_eq!(name, Some("http"));
    assert_eq!(
        fact(&obs, "http.user_agent"),
        Some("curl/7.24.0 (x86_64-apple-darwin12.0) libcurl/7.24.0 OpenSSL/0.9.8y zlib/1.2.5")
    );
    assert_eq!(fact(&obs, "http.server"), Some("Apache/2.2.15 (CentOS)"));
    assert_eq!(fact(&obs, "http.host"), Some("xxxxxxxxxxxxx.xxx.com"));
    assert_eq!(
        software(&obs),
        vec![
            ("client", "curl".into(), Some("7.24.0".into())),
            ("server", "Apache".into(), Some("2.2.15".into())),
        ]
    );
    let sides: Vec<_> = facts(&obs).iter().map(|(s, k, _)| (*s, *k)).collect();
    assert!(sides.contains(&("client", "http.user_agent")));
    assert!(sides.contains(&("server", "http.server")));
}

#[test]
fn corpus_simple_get_event_has_eve_fields() {
    let mut h = Harness::<Http>::tcp(80);
    h.feed(Side::Client, SIMPLE_GET);
    h.feed(Side::Server, SIMPLE_GET_RESPONSE_HEAD);
    assert!(
        h.events().is_empty(),
        "the event waits for the end of the body"
    );
    h.feed(Side::Server, &[b'x'; 5039]);
    let ev = event_bodies(&mut h);
    assert_eq!(ev.len(), 1);
    let e = &ev[0];
    assert_eq!(e["hostname"], "xxxxxxxxxxxxx.xxx.com");
    assert_eq!(e["url"], "/");
    assert_eq!(e["http_method"], "GET");
    assert_eq!(e["protocol"], "HTTP/1.1");
    assert_eq!(e["status"], 403);
    assert_eq!(e["length"], 5039);
    assert_eq!(e["http_content_type"], "text/html; charset=UTF-8");
    assert_eq!(e["server"], "Apache/2.2.15 (CentOS)");
    assert!(
        e["http_user_agent"]
            .as_str()
            .unwrap()
            .starts_with("curl/7.24.0")
    );
    assert_eq!(h.counter("messages"), 2);
}

/// arkime/tests/pcap/http-500-head.pcap, stream 0. tshark: http.user_agent
/// "Mozilla/4.0 (compatible;+MSIE+8.0;+Windows+NT+5.1)" (sent without a space after the
/// colon), http.server "Apache", code 500. A response to HEAD has no body (RFC 9112 §6.3
/// item 1) even without Content-Length and with Connection: close.
#[test]
fn corpus_head_request_response_has_no_body() {
    let request = concat!(
        "HEAD /UpdataConfig.dat HTTP/1.1\r\n",
        "Host: samples.example.com\r\n",
        "Accept: */*\r\n",
        "User-Agent:Mozilla/4.0 (compatible;+MSIE+8.0;+Windows+NT+5.1)\r\n",
        "Connection: close\r\n",
        "\r\n",
    );
    let response = concat!(
        "HTTP/1.1 500 Internal Server Error\r\n",
        "Date: Tue, 26 Feb 2013 15:10:21 GMT\r\n",
        "Server: Apache\r\n",
        "Connection: close\r\n",
        "Content-Type: text/html; charset=iso-8859-1\r\n",
        "\r\n",
    );
    let mut h = Harness::<Http>::tcp(80);
    h.feed(Side::Client, request.as_bytes());
    h.feed(Side::Server, response.as_bytes());
    let obs = h.observations();
    assert_eq!(
        fact(&obs, "http.user_agent"),
        Some("Mozilla/4.0 (compatible;+MSIE+8.0;+Windows+NT+5.1)")
    );
    assert_eq!(fact(&obs, "http.server"), Some("Apache"));
    assert!(software(&obs).contains(&("server", "Apache".into(), None)));
    let ev = event_bodies(&mut h);
    assert_eq!(
        ev.len(),
        1,
        "emitted at the head: a HEAD response has no body"
    );
    assert_eq!(ev[0]["status"], 500);
    assert_eq!(ev[0]["http_method"], "HEAD");
    assert_eq!(ev[0]["length"], 0);
}

/// arkime/tests/pcap/http-basicauth.pcap, stream 0 (a cPanel login; the capture's own
/// credentials are base64 "userrrrr:passwordddd"). tshark: http.user_agent "Mozilla/5.0
/// (Windows NT 5.1; rv:32.0) Gecko/20100101 Firefox/32.0", http.server "cpsrvd/11.44.1.19",
/// http.authorization "Basic dXNlcnJycnI6cGFzc3dvcmRkZGRk", code 304.
#[test]
fn corpus_basic_auth_is_an_exposure_without_the_credential() {
    let request = concat!(
        "GET /xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx/xxx/xxxxxxxxxxxxxxxxxxxx.js HTTP/1.1\r\n",
        "Host: 10.000.000.001:1234\r\n",
        "User-Agent: Mozilla/5.0 (Windows NT 5.1; rv:32.0) Gecko/20100101 Firefox/32.0\r\n",
        "Accept: */*\r\n",
        "Accept-Language: en-GB,en;q=0.5\r\n",
        "Accept-Encoding: gzip, deflate\r\n",
        "Referer: http://10.000.000.001:1234/zzzzzzzzzzzzzzzz/zzzzzzzz/zz/zzzzzzzzz/index.html\r\n",
        "Cookie: zzzzzzzzzzzzzzzzzz=auto; cprelogin=no; cpsession=zzzzzzzzzzzzzzzzzzzzzzzzz; \r\n",
        "Authorization: Basic dXNlcnJycnI6cGFzc3dvcmRkZGRk\r\n", // RFC 7617 §2
        "Connection: keep-alive\r\n",
        "If-Modified-Since: Wed, 29 Oct 2014 01:11:13 GMT\r\n",
        "\r\n",
    );
    let response = concat!(
        "HTTP/1.1 304 Not Modified\r\n", // RFC 9112 §6.3 item 1: no body
        "Server: cpsrvd/11.44.1.19\r\n",
        "X-Keep-Alive-Count: 1\r\n",
        "Connection: Keep-Alive\r\n",
        "Keep-Alive: timeout=70, max=200\r\n",
        "Date: Wed, 29 Oct 2014 17:35:08 GMT\r\n",
        "Cache-Control: max-age=5184000, public\r\n",
        "Expires: Sun, 28 Dec 2014 17:35:07 GMT\r\n",
        "\r\n",
    );
    let mut h = Harness::<Http>::tcp(2082);
    h.feed(Side::Client, request.as_bytes());
    h.feed(Side::Server, response.as_bytes());
    let obs = h.observations();
    let e = exposures(&obs);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].kind, ExposureKind::CleartextCredentials);
    assert_eq!(e[0].side, Side::Client);
    assert_eq!(e[0].subject, "HTTP Basic");
    assert_eq!(e[0].fields, vec!["authorization".to_string()]);
    assert_eq!(e[0].user_present, Some(true));
    assert!(software(&obs).contains(&("server", "cpsrvd".into(), Some("11.44.1.19".into()))));
    let ev = event_bodies(&mut h);
    assert_eq!(ev[0]["authorization_scheme"], "Basic");
    assert_eq!(ev[0]["cookies"], 1);
    assert_eq!(ev[0]["status"], 304);
    assert!(ev[0].get("http_refer").is_none());
    let all = everything(&mut h);
    for secret in [
        "dXNlcnJycnI6cGFzc3dvcmRkZGRk",
        "userrrrr",
        "passwordddd",
        "cpsession",
        "cprelogin",
        "index.html",
    ] {
        assert!(!all.contains(secret), "{secret} leaked");
    }
    assert_eq!(h.counter("cookies"), 1);
}

// ---------------------------------------------------------------------------------------
// Credentials
// ---------------------------------------------------------------------------------------

#[test]
fn invented_basic_credentials_never_appear() {
    // base64("nurse:Secret123!") = "bnVyc2U6U2VjcmV0MTIzIQ=="
    let request = concat!(
        "GET /ward/chart HTTP/1.1\r\n",
        "Host: emr.hospital.example\r\n",
        "Authorization: basic bnVyc2U6U2VjcmV0MTIzIQ==\r\n", // scheme is case-insensitive
        "\r\n",
    );
    let mut h = Harness::<Http>::tcp(80);
    h.feed(Side::Client, request.as_bytes());
    h.feed(Side::Server, b"HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: Basic realm=\"Ward 7 nurse station\"\r\nContent-Length: 0\r\n\r\n");
    let obs = h.observations();
    let e = exposures(&obs);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].subject, "HTTP Basic");
    assert_eq!(e[0].user_present, Some(true));
    // RFC 9110 §11.6.1: the challenge's scheme is a fact, its realm is not.
    assert_eq!(fact(&obs, "http.www_authenticate"), Some("Basic"));
    let all = everything(&mut h);
    for secret in [
        "nurse",
        "Secret123!",
        "bnVyc2U6U2VjcmV0MTIzIQ==",
        "bnVyc2U6",
        "Ward 7",
    ] {
        assert!(!all.contains(secret), "{secret} leaked");
    }
}

#[test]
fn basic_user_presence_is_decoded_not_kept() {
    assert!(auth::basic_user_present(b"bnVyc2U6U2VjcmV0MTIzIQ=="));
    // ":pw" → no user.
    assert!(!auth::basic_user_present(b"OnB3"));
    // "a:" (unpadded) → user "a".
    assert!(auth::basic_user_present(b"YTo"));
    assert!(!auth::basic_user_present(b""));
    assert!(!auth::basic_user_present(b"===="));
    // No colon at all: the whole text is the user-id.
    assert!(auth::basic_user_present(b"bnVyc2U="));
}

#[test]
fn proxy_basic_and_empty_user_are_reported() {
    let mut h = Harness::<Http>::tcp(3128);
    // base64(":Secret123!") = "OlNlY3JldDEyMyE="
    h.feed(
        Side::Client,
        b"GET http://example.org/ HTTP/1.1\r\nHost: example.org\r\nProxy-Authorization: Basic OlNlY3JldDEyMyE=\r\n\r\n",
    );
    let obs = h.observations();
    let e = exposures(&obs);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].fields, vec!["proxy-authorization".to_string()]);
    assert_eq!(e[0].user_present, Some(false));
    assert!(anomalies(&obs).contains(&"http_basic_without_user"));
    assert!(!everything(&mut h).contains("OlNlY3JldDEyMyE="));
}

/// arkime/tests/pcap/http-digestauth.pcap, stream 0 (the capture cuts the header after
/// `cnonce`; the rest of the parameters are RFC 7616 §3.9.1's example shape).
#[test]
fn corpus_digest_is_an_exposure_with_username_presence() {
    let request = concat!(
        "GET /xxxxxxxxxxxxxxxxxxxxxxxxxxx/xxxx/xxxxxxxxxxxxxxxxxxxxxxxx HTTP/1.1\r\n",
        "User-Agent: xxxxxxxxxxxxxxxxxx\r\n",
        "Authorization: Digest username=\"user12345678@domain.xxxx\",realm=\"xxxxxxx\",",
        "nonce=\"xxxxxxxxxxxxxxxx\",uri=\"/xxxxxxxxxxxxxxxxxxxxxxxxxxx/xxxx/xxxxxxxxxxxxxxxxxxxxxxxx\",",
        "algorithm=\"MD5\",cnonce=\"xxxxxxxxxxxx\",nc=00000001,qop=\"auth\",response=\"6629fae49393a05397450978507c4ef1\"\r\n",
        "Host: xxxxxxx.xxxxxxxxxxx.xxx\r\n",
        "\r\n",
    );
    let mut h = Harness::<Http>::tcp(80);
    h.feed(Side::Client, request.as_bytes());
    h.end();
    let obs = h.observations();
    let e = exposures(&obs);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].subject, "HTTP Digest");
    assert_eq!(e[0].user_present, Some(true));
    let all = everything(&mut h);
    assert!(!all.contains("user12345678"));
    assert!(!all.contains("6629fae4"));
    // Unanswered: its event comes at the end.
    assert_eq!(event_bodies(&mut h)[0]["authorization_scheme"], "Digest");
    assert_eq!(h.counter("pairs_unanswered"), 1);
}

#[test]
fn digest_username_parameter_is_found_among_others() {
    assert!(auth::digest_user_present(b"realm=\"a,b\", username=\"x\""));
    assert!(!auth::digest_user_present(b"username=\"\", realm=\"r\""));
    assert!(auth::digest_user_present(
        b"username*=UTF-8''J%C3%A4s%C3%B8n"
    ));
    assert!(!auth::digest_user_present(b"realm=\"username=\\\"x\\\"\""));
    assert!(!auth::digest_user_present(b"garbage"));
    assert!(!auth::digest_user_present(b"\"unterminated"));
}

#[test]
fn bearer_is_an_exposure_and_ntlm_is_not() {
    let mut h = Harness::<Http>::tcp(80);
    h.feed(Side::Client, b"GET /api/v1/orders HTTP/1.1\r\nHost: lis\r\nAuthorization: Bearer eyJhbGciOiJub25lIn0.eyJzdWIiOiJkcmpvbmVzIn0.\r\n\r\n");
    h.feed(Side::Server, b"HTTP/1.1 204 No Content\r\n\r\n");
    h.feed(Side::Client, b"GET /x HTTP/1.1\r\nHost: lis\r\nAuthorization: NTLM TlRMTVNTUAABAAAAB4IIAAAAAAAAAAAAAAAAAAAAAAA=\r\n\r\n");
    h.feed(Side::Server, b"HTTP/1.1 204 No Content\r\n\r\n");
    let obs = h.observations();
    let e = exposures(&obs);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].subject, "HTTP Bearer token");
    assert_eq!(e[0].user_present, None);
    let ev = event_bodies(&mut h);
    assert_eq!(ev[0]["authorization_scheme"], "Bearer");
    assert_eq!(ev[1]["authorization_scheme"], "NTLM");
    let all = everything(&mut h);
    assert!(!all.contains("eyJhbGci"));
    assert!(!all.contains("TlRMTVNT"));
}

#[test]
fn a_credential_without_scheme_is_not_named() {
    let mut h = Harness::<Http>::tcp(80);
    h.feed(
        Side::Client,
        b"GET / HTTP/1.1\r\nAuthorization: s3cr3t-api-key\r\n\r\n",
    );
    h.end();
    let ev = event_bodies(&mut h);
    assert_eq!(ev[0]["authorization_scheme"], "other");
    assert!(!everything(&mut h).contains("s3cr3t"));
}

// ---------------------------------------------------------------------------------------
// FHIR
// ---------------------------------------------------------------------------------------

/// An invented patient created with FHIR's `create` interaction (http.html §3.1.0.8).
const FHIR_PATIENT_BODY: &str = r#"{"resourceType":"Patient","name":[{"family":"Quillfeather","given":["Odalys"]}],"birthDate":"1961-04-02"}"#;

#[test]
fn fhir_patient_post_is_cleartext_phi_from_both_sides() {
    let request = format!(
        "POST /fhir/Patient HTTP/1.1\r\nHost: fhir.hospital.example\r\nContent-Type: application/fhir+json\r\nContent-Length: {}\r\n\r\n{FHIR_PATIENT_BODY}",
        FHIR_PATIENT_BODY.len()
    );
    let reply =
        r#"{"resourceType":"Patient","id":"pat-778812","name":[{"family":"Quillfeather"}]}"#;
    let response = format!(
        "HTTP/1.1 201 Created\r\nServer: HAPI FHIR 6.4.0 REST Server (FHIR Server; FHIR 4.0.1/R4)\r\nLocation: /fhir/Patient/pat-778812/_history/1\r\nContent-Type: application/fhir+json;charset=utf-8\r\nTransfer-Encoding: chunked\r\n\r\n{:x}\r\n{reply}\r\n0\r\n\r\n",
        reply.len()
    );
    let mut h = Harness::<Http>::tcp(8080);
    h.feed(Side::Client, request.as_bytes());
    h.feed(Side::Server, response.as_bytes());
    let obs = h.observations();
    let e = exposures(&obs);
    assert_eq!(e.len(), 2);
    assert_eq!(e[0].kind, ExposureKind::CleartextPhi);
    assert_eq!(e[0].side, Side::Client);
    assert_eq!(e[0].subject, "FHIR Patient POST");
    assert_eq!(e[0].fields, vec!["Patient".to_string()]);
    assert_eq!(e[1].side, Side::Server);
    assert_eq!(e[1].subject, "FHIR Patient POST");
    assert!(facts(&obs).contains(&("server", "http.fhir", "true".into())));
    let ev = event_bodies(&mut h);
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0]["fhir_resource"], "Patient");
    assert_eq!(ev[0]["url"], "/fhir/Patient");
    assert_eq!(ev[0]["status"], 201);
    assert_eq!(ev[0]["length"], reply.len());
    assert_eq!(ev[0]["request_content_type"], "application/fhir+json");
    let all = everything(&mut h);
    for value in ["Quillfeather", "Odalys", "1961", "pat-778812"] {
        assert!(!all.contains(value), "{value} leaked");
    }
}

#[test]
fn fhir_read_has_ids_and_query_removed_and_phi_only_in_the_response() {
    let mut h = Harness::<Http>::tcp(8080);
    h.feed(
        Side::Client,
        b"GET /baseR4/Patient/12345/_history/2?_format=json&name=Quillfeather HTTP/1.1\r\nHost: fhir\r\nAccept: application/json\r\n\r\n",
    );
    h.feed(
        Side::Server,
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
    );
    let obs = h.observations();
    let e = exposures(&obs);
    assert_eq!(e.len(), 1, "the GET has no body; the response does");
    assert_eq!(e[0].side, Side::Server);
    assert_eq!(e[0].subject, "FHIR Patient GET");
    let ev = event_bodies(&mut h);
    assert_eq!(ev[0]["url"], "/baseR4/Patient/{id}/_history/{id}");
    let all = everything(&mut h);
    assert!(!all.contains("12345"));
    assert!(!all.contains("Quillfeather"));
    assert!(!all.contains("_format"));
}

#[test]
fn fhir_by_media_type_without_base_and_non_patient_resources() {
    let mut h = Harness::<Http>::tcp(80);
    // The media type alone makes /Observation FHIR (no base segment).
    h.feed(Side::Client, b"PUT /Observation/bp-1 HTTP/1.1\r\nContent-Type: application/fhir+xml\r\nContent-Length: 4\r\n\r\n<a/>"[..].strip_suffix(b">").unwrap());
    h.feed(Side::Client, b">");
    // Practitioner is recognised but carries no patient data.
    h.feed(
        Side::Client,
        b"POST /fhir/Practitioner HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}",
    );
    // A transaction Bundle POSTed to the base (FHIR http.html §3.1.0.11).
    h.feed(Side::Client, b"POST /fhir/ HTTP/1.1\r\nContent-Type: application/fhir+json\r\nContent-Length: 2\r\n\r\n{}");
    // Not FHIR: a resource-like segment without base or media type.
    h.feed(
        Side::Client,
        b"POST /shop/Device HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}",
    );
    let subjects: Vec<_> = exposures(&h.observations())
        .iter()
        .map(|e| e.subject.clone())
        .collect();
    assert_eq!(subjects, vec!["FHIR Observation PUT", "FHIR Bundle POST"]);
}

#[test]
fn fhir_metadata_marks_the_server_without_exposure() {
    let mut h = Harness::<Http>::tcp(80);
    h.feed(
        Side::Client,
        b"GET /fhir/metadata HTTP/1.1\r\nAccept: application/fhir+json\r\n\r\n",
    );
    h.feed(
        Side::Server,
        b"HTTP/1.1 200 OK\r\nContent-Type: application/fhir+json\r\nContent-Length: 2\r\n\r\n{}",
    );
    let obs = h.observations();
    assert_eq!(fact(&obs, "http.fhir"), Some("true"));
    assert!(exposures(&obs).is_empty());
}

// ---------------------------------------------------------------------------------------
// Pipelining, splitting, framing
// ---------------------------------------------------------------------------------------

/// Three pipelined requests: a GET, a POST with a Content-Length body, a chunked PUT.
const PIPELINED_REQUESTS: &[u8] = concat!(
    "GET /a?q=1 HTTP/1.1\r\nHost: h\r\nUser-Agent: probe/1.0\r\n\r\n",
    "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello",
    "PUT /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n",
)
.as_bytes();

/// Their responses: chunked with extension and trailer (RFC 9112 §7.1.1, §7.1.2), length,
/// and a 304 without body.
const PIPELINED_RESPONSES: &[u8] = concat!(
    "HTTP/1.1 200 OK\r\nServer: nginx/1.24.0\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
    "4\r\nWiki\r\n5;name=value\r\npedia\r\n0\r\nExpires: never\r\n\r\n",
    "HTTP/1.1 404 Not Found\r\nContent-Length: 3\r\n\r\nnot",
    "HTTP/1.1 304 Not Modified\r\n\r\n",
)
.as_bytes();

fn pipelined(
    split_client: usize,
    split_server: usize,
) -> (Vec<Value>, Vec<(&'static str, &'static str, String)>) {
    let mut h = Harness::<Http>::tcp(80);
    let (c1, c2) = PIPELINED_REQUESTS.split_at(split_client);
    let (s1, s2) = PIPELINED_RESPONSES.split_at(split_server);
    // Each side's bytes in two deliveries; responses after the requests they answer.
    for (side, part) in [
        (Side::Client, c1),
        (Side::Client, c2),
        (Side::Server, s1),
        (Side::Server, s2),
    ] {
        if !part.is_empty() {
            assert_ne!(h.feed(side, part), Verdict::Done);
        }
    }
    let obs = h.observations();
    assert!(anomalies(&obs).is_empty(), "{:?}", anomalies(&obs));
    (event_bodies(&mut h), facts(&obs))
}

#[test]
fn pipelined_pairs_in_order() {
    let (ev, facts) = pipelined(PIPELINED_REQUESTS.len(), PIPELINED_RESPONSES.len());
    let got: Vec<_> = ev
        .iter()
        .map(|e| {
            (
                e["http_method"].as_str().unwrap(),
                e["url"].as_str().unwrap(),
                e["status"].as_u64().unwrap(),
                e["length"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            ("GET", "/a", 200, 9),
            ("POST", "/b", 404, 3),
            ("PUT", "/c", 304, 0)
        ]
    );
    assert!(facts.contains(&("server", "http.server", "nginx/1.24.0".into())));
}

#[test]
fn pipelined_split_at_every_byte_boundary() {
    let whole = pipelined(PIPELINED_REQUESTS.len(), PIPELINED_RESPONSES.len());
    for k in 0..=PIPELINED_REQUESTS.len() {
        assert_eq!(
            pipelined(k, PIPELINED_RESPONSES.len()),
            whole,
            "client split at {k}"
        );
    }
    for k in 0..=PIPELINED_RESPONSES.len() {
        assert_eq!(
            pipelined(PIPELINED_REQUESTS.len(), k),
            whole,
            "server split at {k}"
        );
    }
}

#[test]
fn byte_by_byte_delivery_reads_the_same() {
    let mut h = Harness::<Http>::tcp(80);
    for b in PIPELINED_REQUESTS {
        h.feed(Side::Client, std::slice::from_ref(b));
    }
    for b in PIPELINED_RESPONSES {
        h.feed(Side::Server, std::slice::from_ref(b));
    }
    assert_eq!(event_bodies(&mut h).len(), 3);
    assert_eq!(h.counter("messages"), 6);
}

#[test]
fn interim_100_continue_does_not_take_the_request() {
    let mut h = Harness::<Http>::tcp(80);
    h.feed(
        Side::Client,
        b"POST /up HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n",
    );
    h.feed(Side::Server, b"HTTP/1.1 100 Continue\r\n\r\n");
    h.feed(Side::Client, b"ok");
    h.feed(
        Side::Server,
        b"HTTP/1.1 201 Created\r\nContent-Length: 0\r\n\r\n",
    );
    let ev = event_bodies(&mut h);
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0]["status"], 201);
    assert_eq!(ev[0]["http_method"], "POST");
}

#[test]
fn response_until_close_is_skipped_and_counted() {
    let mut h = Harness::<Http>::tcp(80);
    h.feed(Side::Client, b"GET / HTTP/1.0\r\n\r\n");
    // RFC 9112 §6.3 item 8: no length, the body runs to the close; the "head" inside it is body.
    h.feed(
        Side::Server,
        b"HTTP/1.0 200 OK\r\nServer: tiny\r\n\r\nHTTP/1.1 200 OK\r\nServer: fake\r\n\r\n",
    );
    h.end();
    let obs = h.observations();
    assert_eq!(fact(&obs, "http.server"), Some("tiny"));
    assert!(!format!("{obs:?}").contains("fake"));
    assert_eq!(event_bodies(&mut h)[0]["length"], 33);
}

#[test]
fn connect_tunnel_and_upgrade_end_the_flow() {
    let mut h = Harness::<Http>::tcp(3128);
    h.feed(
        Side::Client,
        b"CONNECT pacs.example:443 HTTP/1.1\r\nHost: pacs.example:443\r\n\r\n",
    );
    assert_eq!(
        h.feed(Side::Server, b"HTTP/1.1 200 Connection established\r\n\r\n"),
        Verdict::Done
    );
    let mut h = Harness::<Http>::tcp(80);
    h.feed(
        Side::Client,
        b"GET /ws HTTP/1.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n",
    );
    assert_eq!(
        h.feed(
            Side::Server,
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\n\r\n\x81\x05hello"
        ),
        Verdict::Done
    );
    assert_eq!(event_bodies(&mut h)[0]["status"], 101);
}

#[test]
fn done_after_64_pairs() {
    let mut h = Harness::<Http>::tcp(80);
    let mut v = Verdict::Continue;
    for i in 0..64 {
        assert_eq!(v, Verdict::Continue, "pair {i}");
        h.feed(Side::Client, b"GET / HTTP/1.1\r\n\r\n");
        v = h.feed(Side::Server, b"HTTP/1.1 204 No Content\r\n\r\n");
    }
    assert_eq!(v, Verdict::Done);
}

#[test]
fn response_first_mid_stream_still_names_the_server() {
    // The capture began after the request: the server's bytes come first.
    let (name, obs, c) = run_session(
        ctx_tcp(80),
        &[(Side::Server, b"HTTP/1.1 200 OK\r\nServer: Microsoft-IIS/10.0\r\nX-Powered-By: ASP.NET\r\nContent-Length: 0\r\n\r\n")],
    );
    assert_eq!(name, Some("http"));
    assert_eq!(fact(&obs, "http.x_powered_by"), Some("ASP.NET"));
    assert!(software(&obs).contains(&("server", "Microsoft-IIS".into(), Some("10.0".into()))));
    assert!(anomalies(&obs).contains(&"http_response_without_request"));
    assert_eq!(crate::testing::counter(&c, "http", "messages"), 1);
}

#[test]
fn flow_seen_reversed_still_pairs() {
    // The flow table named the server "client" (it sent first in the capture).
    let mut h = Harness::<Http>::tcp(80);
    h.feed(
        Side::Server,
        b"GET /r HTTP/1.1\r\nUser-Agent: ReverseAgent/2\r\n\r\n",
    );
    h.feed(
        Side::Client,
        b"HTTP/1.1 200 OK\r\nServer: Rev/1\r\nContent-Length: 0\r\n\r\n",
    );
    let obs = h.observations();
    assert!(facts(&obs).contains(&("server", "http.user_agent", "ReverseAgent/2".into())));
    assert!(facts(&obs).contains(&("client", "http.server", "Rev/1".into())));
    assert_eq!(event_bodies(&mut h)[0]["status"], 200);
}

#[test]
fn queries_and_userinfo_are_never_emitted() {
    let mut h = Harness::<Http>::tcp(80);
    h.feed(
        Side::Client,
        b"GET /search?patient=Quillfeather&mrn=99812 HTTP/1.1\r\nHost: h\r\n\r\n",
    );
    h.feed(
        Side::Client,
        b"GET http://bob:hunter2@proxy.example/x;y?z=1#frag HTTP/1.1\r\n\r\n",
    );
    h.end();
    let ev = event_bodies(&mut h);
    assert_eq!(ev[0]["url"], "/search");
    assert_eq!(ev[1]["url"], "http://proxy.example/x;y");
    let all = everything(&mut h);
    for v in ["Quillfeather", "99812", "hunter2", "bob", "frag"] {
        assert!(!all.contains(v), "{v} leaked");
    }
}

#[test]
fn set_cookie_is_counted_not_kept() {
    let mut h = Harness::<Http>::tcp(80);
    h.feed(
        Side::Client,
        b"GET / HTTP/1.1\r\nCookie: JSESSIONID=ABCDEF0123\r\nCookie: b=2\r\n\r\n",
    );
    h.feed(
        Side::Server,
        b"HTTP/1.1 200 OK\r\nSet-Cookie: SID=31d4d96e407aad42; Secure\r\nContent-Length: 0\r\n\r\n",
    );
    let ev = event_bodies(&mut h);
    assert_eq!(ev[0]["cookies"], 2);
    assert_eq!(ev[0]["set_cookies"], 1);
    assert_eq!(h.counter("cookies"), 2);
    assert_eq!(h.counter("set_cookies"), 1);
    let all = everything(&mut h);
    assert!(
        !all.contains("ABCDEF0123") && !all.contains("31d4d96e") && !all.contains("JSESSIONID")
    );
}

// ---------------------------------------------------------------------------------------
// Gaps and the end
// ---------------------------------------------------------------------------------------

#[test]
fn gap_inside_a_known_length_body_keeps_step() {
    let mut h = Harness::<Http>::tcp(80);
    h.feed(
        Side::Client,
        b"GET /big HTTP/1.1\r\n\r\nGET /next HTTP/1.1\r\n\r\n",
    );
    h.feed(
        Side::Server,
        b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n0123456789",
    );
    assert_eq!(h.gap(Side::Server, 980), Verdict::Continue);
    h.feed(
        Side::Server,
        b"0123456789HTTP/1.1 404 Not Found\r\nServer: after-gap\r\nContent-Length: 0\r\n\r\n",
    );
    let ev = event_bodies(&mut h);
    assert_eq!(ev.len(), 2);
    assert_eq!(ev[0]["length"], 1000);
    assert_eq!(ev[1]["status"], 404);
}

#[test]
fn gap_in_a_head_gives_up() {
    let mut h = Harness::<Http>::tcp(80);
    h.feed(Side::Client, b"GET / HTTP/1.1\r\nHo");
    assert_eq!(h.gap(Side::Client, 10), Verdict::Done);
    let mut h = Harness::<Http>::tcp(80);
    h.feed(Side::Client, b"GET / HTTP/1.1\r\n\r\n");
    h.feed(
        Side::Server,
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n12345",
    );
    // More lost than the body has left: the next head's start is lost too.
    assert_eq!(h.gap(Side::Server, 10), Verdict::Done);
}

#[test]
fn truncated_head_at_the_end_emits_nothing_and_does_not_panic() {
    for cut in [1, 5, 17, 30] {
        let mut h = Harness::<Http>::tcp(80);
        h.feed(Side::Client, &SIMPLE_GET[..cut]);
        h.end();
        assert!(h.events().is_empty());
        assert!(exposures(&h.observations()).is_empty());
    }
    // A response cut inside its body still reports its pair at the end.
    let mut h = Harness::<Http>::tcp(80);
    h.feed(Side::Client, SIMPLE_GET);
    h.feed(Side::Server, SIMPLE_GET_RESPONSE_HEAD);
    h.feed(Side::Server, &[b'x'; 100]);
    h.end();
    let ev = event_bodies(&mut h);
    assert_eq!(ev.len(), 1);
    assert_eq!(ev[0]["length"], 100);
}

// ---------------------------------------------------------------------------------------
// Hostile input
// ---------------------------------------------------------------------------------------

#[test]
fn hostile_chunk_size_of_sixteen_fs_stops_the_side() {
    let mut h = Harness::<Http>::tcp(80);
    h.feed(Side::Client, b"GET / HTTP/1.1\r\n\r\n");
    h.feed(Side::Server, b"HTTP/1.1 200 OK\r\nServer: s\r\nTransfer-Encoding: chunked\r\n\r\nffffffffffffffff\r\nabc");
    let obs = h.observations();
    assert_eq!(anomalies(&obs), vec!["http_chunk_size_implausible"]);
    // 17 digits overflow u64: invalid.
    let mut h = Harness::<Http>::tcp(80);
    h.feed(
        Side::Server,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1ffffffffffffffff\r\n",
    );
    assert!(anomalies(&h.observations()).contains(&"http_chunk_size_invalid"));
    // Largest followed size: skipped without overflow, then a gap the size of u32 stays in step.
    let mut h = Harness::<Http>::tcp(80);
    h.feed(Side::Client, b"GET / HTTP/1.1\r\n\r\n");
    h.feed(
        Side::Server,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n10000000000\r\nabc",
    );
    assert_eq!(h.gap(Side::Server, u32::MAX), Verdict::Continue);
    assert!(anomalies(&h.observations()).is_empty());
}

#[test]
fn hostile_endless_chunk_extension_is_bounded() {
    let mut h = Harness::<Http>::tcp(80);
    h.feed(
        Side::Server,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;",
    );
    for _ in 0..10 {
        h.feed(Side::Server, &[b'e'; 1000]);
    }
    assert!(anomalies(&h.observations()).contains(&"http_chunk_line_too_long"));
    assert!(h.parser.sides[1].held.len() <= framing::MAX_CHUNK_LINE);
}

#[test]
fn hostile_bad_chunk_terminator() {
    let mut h = Harness::<Http>::tcp(80);
    h.feed(
        Side::Server,
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcXX",
    );
    assert!(anomalies(&h.observations()).contains(&"http_chunk_missing_crlf"));
}

#[test]
fn hostile_thousand_headers_keep_the_ones_read() {
    let mut request = b"GET /many HTTP/1.1\r\n".to_vec();
    for i in 0..1000 {
        request.extend_from_slice(format!("X-Filler-{i}: {i}\r\n").as_bytes());
    }
    // The fields read come after the first 64: still found.
    request.extend_from_slice(b"Host: late.example\r\nUser-Agent: Late/9.9\r\n\r\n");
    let mut h = Harness::<Http>::tcp(80);
    h.feed(Side::Client, &request);
    h.feed(Side::Server, b"HTTP/1.1 204 No Content\r\n\r\n");
    let obs = h.observations();
    assert_eq!(fact(&obs, "http.host"), Some("late.example"));
    assert_eq!(fact(&obs, "http.user_agent"), Some("Late/9.9"));
    assert_eq!(anomalies(&obs), vec!["http_too_many_headers"]);
    assert_eq!(event_bodies(&mut h)[0]["status"], 204);
}

#[test]
fn hostile_70_kib_header_line_stops_the_side() {
    let mut h = Harness::<Http>::tcp(80);
    h.feed(Side::Client, b"GET / HTTP/1.1\r\nX-Long: ");
    let mut v = Verdict::Continue;
    for _ in 0..70 {
        v = h.feed(Side::Client, &[b'a'; 1024]);
    }
    assert_eq!(v, Verdict::Continue, "the server side can still be read");
    assert_eq!(anomalies(&h.observations()), vec!["http_head_too_long"]);
    assert!(h.parser.sides[0].held.is_empty());
    // The client side is no longer followed; the server side is.
    h.feed(
        Side::Server,
        b"HTTP/1.1 200 OK\r\nServer: still/1\r\nContent-Length: 0\r\n\r\n",
    );
    assert_eq!(fact(&h.observations(), "http.server"), Some("still/1"));
    // In one delivery too.
    let mut h = Harness::<Http>::tcp(80);
    let mut big = b"GET / HTTP/1.1\r\nX-Long: ".to_vec();
    big.extend_from_slice(&vec![b'a'; 70 * 1024]);
    big.extend_from_slice(b"\r\n\r\n");
    h.feed(Side::Client, &big);
    assert_eq!(anomalies(&h.observations()), vec!["http_head_too_long"]);
}

#[test]
fn hostile_content_length_conflict_and_smuggling_tell() {
    let mut h = Harness::<Http>::tcp(80);
    h.feed(
        Side::Client,
        b"POST / HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello",
    );
    assert!(anomalies(&h.observations()).contains(&"http_content_length_conflict"));
    let mut h = Harness::<Http>::tcp(80);
    h.feed(Side::Client, b"POST / HTTP/1.1\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /two HTTP/1.1\r\n\r\n");
    let obs = h.observations();
    assert!(anomalies(&obs).contains(&"http_te_and_cl"));
    // Chunked wins (RFC 9112 §6.3 item 3): the second request is read.
    h.end();
    assert_eq!(event_bodies(&mut h).len(), 2);
    let mut h = Harness::<Http>::tcp(80);
    h.feed(
        Side::Client,
        b"POST / HTTP/1.1\r\nContent-Length: 99999999999999999999999\r\n\r\n",
    );
    assert!(anomalies(&h.observations()).contains(&"http_content_length_invalid"));
}

#[test]
fn hostile_binary_on_the_client_side_is_an_anomaly() {
    let mut h = Harness::<Http>::tcp(80);
    h.feed(Side::Client, b"GET / HTTP/1.1\r\n\r\n");
    h.feed(
        Side::Client,
        b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n",
    );
    assert_eq!(anomalies(&h.observations()).len(), 1);
}

#[test]
fn hostile_many_unanswered_requests_are_capped() {
    let mut h = Harness::<Http>::tcp(80);
    let many = b"GET / HTTP/1.1\r\n\r\n".repeat(100);
    h.feed(Side::Client, &many);
    assert_eq!(h.parser.pending.len(), MAX_PENDING);
    assert_eq!(h.counter("http_requests_dropped"), 36);
}

// ---------------------------------------------------------------------------------------
// UPnP device descriptions
// ---------------------------------------------------------------------------------------

/// nDPI/tests/cfgs/default/pcap/anyconnect-vpn.pcap, tcp.stream 20: Chrome fetching a
/// Chromecast's device description (UDA 2.0 §2.3), answered in one segment.
const CHROMECAST_REQUEST: &[u8] = concat!(
    "GET /ssdp/device-desc.xml HTTP/1.1\r\n",
    "Host: 10.0.0.149:8008\r\n",
    "Connection: keep-alive\r\n",
    "User-Agent: Mozilla/5.0 (Macintosh; Intel Mac OS X 10_13_6) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/77.0.3865.90 Safari/537.36\r\n",
    "Accept-Encoding: gzip, deflate\r\n",
    "\r\n",
)
.as_bytes();

/// Its response: head without spaces after the colons, then the 1,079-byte description.
const CHROMECAST_RESPONSE: &[u8] = concat!(
    "HTTP/1.1 200 OK\r\n",
    "Application-URL:http://10.0.0.149:8008/apps/\r\n",
    "Content-Length:1079\r\n",
    "Content-Type:application/xml\r\n",
    "\r\n",
    "<?xml version=\"1.0\"?>\r\n",
    "<root xmlns=\"urn:schemas-upnp-org:device-1-0\">\r\n",
    "  <specVersion>\r\n",
    "    <major>1</major>\r\n",
    "    <minor>0</minor>\r\n",
    "  </specVersion>\r\n",
    "  <URLBase>http://10.0.0.149:8008</URLBase>\r\n",
    "  <device>\r\n",
    "    <deviceType>urn:dial-multiscreen-org:device:dial:1</deviceType>\r\n",
    "    <friendlyName>Chromecast1699</friendlyName>\r\n",
    "    <manufacturer>Google Inc.</manufacturer>\r\n",
    "    <modelName>Eureka Dongle</modelName>\r\n",
    "    <UDN>uuid:79d88e83-725c-b71b-bad0-5862d5b22386</UDN>\r\n",
    "    <iconList>\r\n",
    "      <icon>\r\n",
    "        <mimetype>image/png</mimetype>\r\n",
    "        <width>98</width>\r\n",
    "        <height>55</height>\r\n",
    "        <depth>32</depth>\r\n",
    "        <url>/setup/icon.png</url>\r\n",
    "      </icon>\r\n",
    "    </iconList>\r\n",
    "    <serviceList>\r\n",
    "      <service>\r\n",
    "        <serviceType>urn:dial-multiscreen-org:service:dial:1</serviceType>\r\n",
    "        <serviceId>urn:dial-multiscreen-org:serviceId:dial</serviceId>\r\n",
    "        <controlURL>/ssdp/notfound</controlURL>\r\n",
    "        <eventSubURL>/ssdp/notfound</eventSubURL>\r\n",
    "        <SCPDURL>/ssdp/notfound</SCPDURL>\r\n",
    "      </service>\r\n",
    "    </serviceList>\r\n",
    "  </device>\r\n",
    "</root>\r\n",
)
.as_bytes();

/// The same capture, tcp.stream 21: a Roku's description; head and body in two segments.
/// tshark: http.server "Roku UPnP/1.0 MiniUPnPd/1.4".
const ROKU_REQUEST: &[u8] = concat!(
    "GET /dial/dd.xml HTTP/1.1\r\n",
    "Host: 10.0.0.151:8060\r\n",
    "Connection: keep-alive\r\n",
    "User-Agent: Mozilla/5.0 (Macintosh; Intel Mac OS X 10_13_6) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/77.0.3865.90 Safari/537.36\r\n",
    "Accept-Encoding: gzip, deflate\r\n",
    "\r\n",
)
.as_bytes();

/// Its response head.
const ROKU_RESPONSE_HEAD: &[u8] = concat!(
    "HTTP/1.1 200 OK\r\n",
    "Server: Roku UPnP/1.0 MiniUPnPd/1.4\r\n",
    "Content-Length: 1140\r\n",
    "Cache-Control: no-cache\r\n",
    "Content-Type: text/xml; charset=\"utf-8\"\r\n",
    "Application-URL: http://10.0.0.151:8060/dial\r\n",
    "\r\n",
)
.as_bytes();

/// Its body (1,140 bytes).
const ROKU_RESPONSE_BODY: &[u8] = concat!(
    "<?xml version=\"1.0\"?>\r\n",
    "<root xmlns=\"urn:schemas-upnp-org:device-1-0\">\r\n",
    "<specVersion>\r\n",
    "<major>1</major>\r\n",
    "<minor>0</minor>\r\n",
    "</specVersion>\r\n",
    "<device>\r\n",
    "<deviceType>urn:roku-com:device:player:1-0</deviceType>\r\n",
    "<friendlyName>Express</friendlyName>\r\n",
    "<manufacturer>Roku</manufacturer>\r\n",
    "<manufacturerURL>http://www.roku.com/</manufacturerURL>\r\n",
    "<modelDescription>Roku Streaming Player Network Media</modelDescription>\r\n",
    "<modelName>Roku Express</modelName>\r\n",
    "<modelNumber>3900X</modelNumber>\r\n",
    "<modelURL>http://www.roku.com/</modelURL>\r\n",
    "<serialNumber>YG004J486863</serialNumber>\r\n",
    "<UDN>uuid:295c0004-6807-106d-80cf-d831342077fb</UDN>\r\n",
    "<serviceList>\r\n",
    "<service>\r\n",
    "<serviceType>urn:roku-com:service:ecp:1</serviceType>\r\n",
    "<serviceId>urn:roku-com:serviceId:ecp1-0</serviceId>\r\n",
    "<controlURL></controlURL>\r\n",
    "<eventSubURL></eventSubURL>\r\n",
    "<SCPDURL>ecp_SCPD.xml</SCPDURL>\r\n",
    "</service>\r\n",
    "<service>\r\n",
    "<serviceType>urn:dial-multiscreen-org:service:dial:1</serviceType>\r\n",
    "<serviceId>urn:dial-multiscreen-org:serviceId:dial1-0</serviceId>\r\n",
    "<controlURL></controlURL>\r\n",
    "<eventSubURL></eventSubURL>\r\n",
    "<SCPDURL>dial_SCPD.xml</SCPDURL>\r\n",
    "</service>\r\n",
    "</serviceList>\r\n",
    "</device>\r\n",
    "</root>\r\n",
)
.as_bytes();

#[test]
fn corpus_chromecast_description_names_the_device() {
    let mut h = Harness::<Http>::tcp(8008);
    h.feed(Side::Client, CHROMECAST_REQUEST);
    h.feed(Side::Server, CHROMECAST_RESPONSE);
    let obs = h.observations();
    let server_facts: Vec<_> = facts(&obs)
        .into_iter()
        .filter(|(side, k, _)| *side == "server" && k.starts_with("http.upnp_"))
        .map(|(_, k, v)| (k, v))
        .collect();
    assert_eq!(
        server_facts,
        vec![
            ("http.upnp_manufacturer", "Google Inc.".into()),
            ("http.upnp_model_name", "Eureka Dongle".into()),
            ("http.upnp_friendly_name", "Chromecast1699".into()),
            (
                "http.upnp_device_type",
                "urn:dial-multiscreen-org:device:dial:1".into()
            ),
            (
                "http.upnp_udn",
                "uuid:79d88e83-725c-b71b-bad0-5862d5b22386".into()
            ),
        ]
    );
    assert_eq!(h.counter("upnp_descriptions"), 1);
    assert_eq!(event_bodies(&mut h)[0]["length"], 1079);
}

#[test]
fn corpus_roku_description_split_across_segments() {
    let mut h = Harness::<Http>::tcp(8060);
    h.feed(Side::Client, ROKU_REQUEST);
    h.feed(Side::Server, ROKU_RESPONSE_HEAD);
    let (a, b) = ROKU_RESPONSE_BODY.split_at(700);
    h.feed(Side::Server, a);
    assert!(fact(&h.observations(), "http.upnp_model_name").is_none());
    h.feed(Side::Server, b);
    let obs = h.observations();
    assert_eq!(
        fact(&obs, "http.server"),
        Some("Roku UPnP/1.0 MiniUPnPd/1.4")
    );
    assert!(software(&obs).contains(&("server", "Roku".into(), None)));
    assert_eq!(fact(&obs, "http.upnp_manufacturer"), Some("Roku"));
    assert_eq!(fact(&obs, "http.upnp_model_name"), Some("Roku Express"));
    assert_eq!(fact(&obs, "http.upnp_model_number"), Some("3900X"));
    assert_eq!(
        fact(&obs, "http.upnp_model_description"),
        Some("Roku Streaming Player Network Media")
    );
    assert_eq!(fact(&obs, "http.upnp_serial_number"), Some("YG004J486863"));
    assert_eq!(
        fact(&obs, "http.upnp_udn"),
        Some("uuid:295c0004-6807-106d-80cf-d831342077fb")
    );
    assert!(
        facts(&obs)
            .iter()
            .all(|(side, k, _)| *side == "server" || !k.starts_with("http.upnp"))
    );
}

fn description_response(body: &[u8]) -> Vec<u8> {
    let mut r = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    r.extend_from_slice(body);
    r
}

#[test]
fn hostile_description_with_100000_nodes_hits_the_node_limit() {
    // 50,000 × (empty element + text node) = 100,000 nodes in 250,000 bytes (under 256 KiB).
    let mut body =
        br#"<?xml version="1.0"?><root xmlns="urn:schemas-upnp-org:device-1-0"><device>"#.to_vec();
    body.extend_from_slice(&b"<a/>x".repeat(50_000));
    body.extend_from_slice(b"<modelName>Hidden</modelName></device></root>");
    assert!(body.len() <= upnp::MAX_XML);
    let mut h = Harness::<Http>::tcp(80);
    h.feed(Side::Client, b"GET /desc.xml HTTP/1.1\r\n\r\n");
    for part in description_response(&body).chunks(1460) {
        h.feed(Side::Server, part);
    }
    let obs = h.observations();
    assert_eq!(anomalies(&obs), vec!["http_upnp_xml_node_limit"]);
    assert!(fact(&obs, "http.upnp_model_name").is_none());
    assert_eq!(event_bodies(&mut h).len(), 1);
}

#[test]
fn hostile_description_over_256_kib_is_not_kept() {
    let mut body = br#"<root xmlns="urn:schemas-upnp-org:device-1-0"><device>"#.to_vec();
    body.extend_from_slice(&vec![b' '; 300 * 1024]);
    body.extend_from_slice(b"</device></root>");
    let mut h = Harness::<Http>::tcp(80);
    h.feed(
        Side::Client,
        b"GET /desc.xml HTTP/1.1\r\n\r\nGET /next HTTP/1.1\r\n\r\n",
    );
    for part in description_response(&body).chunks(8192) {
        h.feed(Side::Server, part);
    }
    h.feed(
        Side::Server,
        b"HTTP/1.1 200 OK\r\nServer: next/1\r\nContent-Length: 0\r\n\r\n",
    );
    let obs = h.observations();
    assert_eq!(anomalies(&obs), vec!["http_upnp_xml_too_large"]);
    assert_eq!(fact(&obs, "http.server"), Some("next/1"));
}

#[test]
fn other_xml_bodies_are_not_kept() {
    let body = format!(
        "<?xml version=\"1.0\"?><soap:Envelope>{}</soap:Envelope>",
        "x".repeat(2000)
    );
    let mut h = Harness::<Http>::tcp(80);
    h.feed(
        Side::Client,
        b"POST /ctl HTTP/1.1\r\nContent-Length: 0\r\n\r\n",
    );
    let response = description_response(body.as_bytes());
    let (head, rest) = response.split_at(response.len() - 1500);
    h.feed(Side::Server, head);
    let Some(ex) = &h.parser.response else {
        panic!("response in progress")
    };
    assert!(
        ex.xml.is_none(),
        "dropped once its first bytes are not a description"
    );
    h.feed(Side::Server, rest);
    assert!(anomalies(&h.observations()).is_empty());
    assert_eq!(h.counter("upnp_descriptions"), 0);
}

#[test]
fn description_read_until_close_is_parsed_at_the_end() {
    let mut h = Harness::<Http>::tcp(80);
    h.feed(Side::Client, b"GET /rootDesc.xml HTTP/1.0\r\n\r\n");
    h.feed(
        Side::Server,
        b"HTTP/1.0 200 OK\r\nContent-Type: text/xml\r\n\r\n",
    );
    h.feed(
        Side::Server,
        br#"<root xmlns="urn:schemas-upnp-org:device-1-0"><device><manufacturer>Philips</manufacturer><presentationURL>http://admin:pw@10.0.0.9/index.html?token=abc</presentationURL></device></root>"#,
    );
    assert!(fact(&h.observations(), "http.upnp_manufacturer").is_none());
    h.end();
    let obs = h.observations();
    assert_eq!(fact(&obs, "http.upnp_manufacturer"), Some("Philips"));
    assert_eq!(
        fact(&obs, "http.upnp_presentation_url"),
        Some("http://10.0.0.9/index.html")
    );
    assert!(!everything(&mut h).contains("token=abc"));
}

#[test]
fn malformed_description_is_an_anomaly() {
    let body = br#"<root xmlns="urn:schemas-upnp-org:device-1-0"><device><modelName>X</device>"#;
    let mut h = Harness::<Http>::tcp(80);
    h.feed(Side::Client, b"GET /d.xml HTTP/1.1\r\n\r\n");
    h.feed(Side::Server, &description_response(body));
    assert_eq!(
        anomalies(&h.observations()),
        vec!["http_upnp_xml_malformed"]
    );
}

#[test]
fn empty_lines_between_messages_are_ignored() {
    // RFC 9112 §2.2: a client may send an extra CRLF after a POST body.
    let mut h = Harness::<Http>::tcp(80);
    h.feed(
        Side::Client,
        b"\r\nPOST /a HTTP/1.1\r\nContent-Length: 2\r\n\r\nok\r\n\r\nGET /b HTTP/1.1\r\n\r\n",
    );
    for b in b"\r\n\r\n" {
        h.feed(Side::Client, std::slice::from_ref(b));
    }
    h.feed(Side::Client, b"GET /c HTTP/1.1\r\n\r\n");
    h.end();
    let urls: Vec<_> = event_bodies(&mut h)
        .iter()
        .map(|e| e["url"].clone())
        .collect();
    assert_eq!(urls, vec!["/a", "/b", "/c"]);
    assert!(anomalies(&h.observations()).is_empty());
}

#[test]
fn gap_on_a_side_no_longer_followed_keeps_the_other() {
    let mut h = Harness::<Http>::tcp(80);
    h.feed(Side::Client, b"\x00\x01 not http\r\n\r\n");
    assert_eq!(h.gap(Side::Client, 100), Verdict::Continue);
    h.feed(
        Side::Server,
        b"HTTP/1.1 200 OK\r\nServer: alive/2\r\nContent-Length: 0\r\n\r\n",
    );
    assert_eq!(fact(&h.observations(), "http.server"), Some("alive/2"));
}
