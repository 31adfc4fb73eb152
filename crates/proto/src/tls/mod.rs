//! TLS (RFC 8446 TLS 1.3, RFC 5246 TLS 1.2 and earlier): the cleartext handshake. Records
//! (RFC 8446 §5.1) are reassembled per side across TCP deliveries, handshake messages
//! (`msg_type` + uint24 length) across records; the ClientHello (§4.1.2), ServerHello
//! (§4.1.3, with supported_versions giving the TLS 1.3 version and the HelloRetryRequest
//! random) and, for TLS ≤ 1.2 where it is in the clear, the server's Certificate (RFC 5246
//! §7.4.2) are decoded. The handshake follows the transition table in `states.rs`. An SSL
//! 2.0-compatible ClientHello (RFC 5246 appendix E.2) is counted and skipped, not decoded
//! (no JA3/JA4); the server's TLS answer is read as usual. Once the
//! server's cleartext part is over (ServerHelloDone, a TLS 1.3 ServerHello, its
//! ChangeCipherSpec) the parser is done and reassembly of the flow stops.
//!
//! Client certificates are never decoded (their subject names a person); only the server's
//! leaf is. Nothing from the encrypted part is read.
//!
//! # Facts
//!
//! - `tls.sni` (client): the server name the client asked for (RFC 6066 §3, first host_name).
//! - `tls.ja3` (client): the JA3 MD5 of the ClientHello.
//! - `tls.ja4` (client): the JA4 fingerprint of the ClientHello (FoxIO, TCP form `t…`).
//! - `tls.alpn` (client): the first ALPN protocol the client offered (RFC 7301).
//! - `tls.ja3s` (server): the JA3S MD5 of the ServerHello.
//! - `tls.version` (server): the negotiated version (`TLS 1.2`, `TLS 1.3`, `SSL 3.0` …).
//! - `tls.cipher` (server): the chosen cipher suite, IANA name for common suites else `0xNNNN`.
//! - `tls.cert_subject`, `tls.cert_issuer` (server): the leaf certificate's names
//!   (`C=US, O=…, CN=…`).
//! - `tls.cert_not_after` (server): the leaf's notAfter, RFC 3339 UTC.
//!
//! # Exposures
//!
//! `WeakTls` (side Server), at most one per reason per flow: subject `SSL 3.0` / `TLS 1.0` /
//! `TLS 1.1` (a deprecated version negotiated, RFC 8996; field `version`), `expired
//! certificate` / `not-yet-valid certificate` (the leaf's validity against the time of the
//! delivery that carried it; field `not_after` / `not_before`), `self-signed certificate`
//! (issuer name = subject name; field `issuer`), `RSA <n>-bit key` (an RSA leaf key under
//! 2048 bits; field `key_bits`).
//!
//! # Event
//!
//! One `tls` event per handshake, when the server's cleartext part is complete (or at a gap
//! or the end of the flow), with Suricata EVE's field names where EVE has the field: `sni`,
//! `version` (EVE style: `SSLv3`, `TLSv1`, `TLS 1.1`, `TLS 1.2`, `TLS 1.3`), `subject`,
//! `issuerdn`, `serial` (`0C:00:99:…`), `notbefore`, `notafter` (`2026-01-01T00:00:00`, UTC),
//! `ja3` and `ja3s` (`{hash, string}`), `ja4`, `client_alpns`, `server_alpns`,
//! `session_resumed` (an abbreviated handshake); and our own: `fingerprint_sha256` (SHA-256
//! of the leaf's DER, `ab:cd:…`; EVE's `fingerprint` is SHA-1, which we do not compute),
//! `cipher_suite`, `self_signed`, `key_type`, `key_bits`, `chain_length`.
//!
//! # Counters
//!
//! `messages` (handshake messages), `alerts`, `alerts_fatal` (cleartext fatal alerts),
//! `heartbeats`, `sslv2_client_hello`, `encrypted_handshake_records`, `gaps`,
//! `client_side_only` (the client went past its hello and no server byte was seen), limits
//! (`tls_alpn_dropped`, `tls_chain_truncated`, `tls_cert_too_large`,
//! `tls_ja3_string_truncated`) and one per anomaly.

mod cert;
mod fingerprint;
mod handshake;
mod names;
mod record;
mod states;
#[cfg(test)]
mod tests;

use std::rc::Rc;

use model::{ExposureKind, Side, Timestamp};
use serde_json::{Map, Value, json};
use wire::text::{wire_text, wire_text_limited};

use crate::buffer::{Fed, Framed, MAX_MESSAGE, StreamBuf};
use crate::out::Out;
use crate::parser::{AppParser, FlowCtx, Probe, Transports, Verdict};

use cert::CertSummary;
use fingerprint::Ja3;
use handshake::HandshakeType as Ht;
use record::{ContentType, Start};
use states::{Msg, State};

/// Bytes per side the sensor reassembles unless asked for more (CONVENTIONS §6).
const DEFAULT_DEPTH: usize = 64 * 1024;

/// Most bytes per side asked for: one handshake message at the limit plus its record headers.
const MAX_DEPTH: usize = MAX_MESSAGE + MAX_MESSAGE / 256 + DEFAULT_DEPTH;

/// Longest JA3 string kept for the event (real ones are under 600 bytes; the hash is always
/// over the whole string).
const MAX_JA3_STRING: usize = 2048;

/// Exposure reasons already reported on this flow (one each).
mod reported {
    pub const VERSION: u8 = 1;
    pub const EXPIRED: u8 = 2;
    pub const NOT_YET_VALID: u8 = 4;
    pub const SELF_SIGNED: u8 = 8;
    pub const WEAK_RSA: u8 = 16;
}

/// Per-flow state: record and handshake reassembly per side, then the handshake.
#[derive(Debug, Default)]
pub struct Tls {
    /// Record bytes not yet a whole record (client, server).
    records: [StreamBuf; 2],
    /// Handshake bytes not yet a whole message (client, server).
    messages: [StreamBuf; 2],
    handshake: Handshake,
}

/// A client stack's fingerprints, memoised per ClientHello key (shared, not copied, by every
/// connection of the stack).
#[derive(Debug)]
struct ClientPrints {
    ja3: Ja3,
    ja4: String,
}

/// A server stack's answer as text, memoised per ServerHello key.
#[derive(Debug)]
struct ServerPrints {
    ja3s: Ja3,
    version: String,
    cipher: String,
}

/// What the ClientHello said, kept for the event.
#[derive(Debug)]
struct ClientInfo {
    sni: Option<String>,
    prints: Rc<ClientPrints>,
    /// The JA3 string cut for the event, when it is over [`MAX_JA3_STRING`].
    ja3_cut: Option<String>,
    alpns: Vec<String>,
}

/// What the ServerHello said.
#[derive(Debug)]
struct ServerInfo {
    version: u16,
    cipher: u16,
    prints: Rc<ServerPrints>,
    /// The JA3S string cut for the event, when it is over [`MAX_JA3_STRING`].
    ja3s_cut: Option<String>,
    alpn: Option<String>,
}

/// The handshake of one flow, apart from the reassembly buffers.
#[derive(Debug, Default)]
struct Handshake {
    state: State,
    /// Each side's records are ciphertext (after its TLS ≤ 1.2 ChangeCipherSpec).
    encrypted: [bool; 2],
    /// Bytes each side delivered.
    seen: [usize; 2],
    /// Length of the handshake message each side is in the middle of (0: none).
    pending: [usize; 2],
    client: Option<ClientInfo>,
    server: Option<ServerInfo>,
    cert: Option<Rc<CertSummary>>,
    chain_length: usize,
    resumed: bool,
    /// Bytes of an SSL 2.0-compatible ClientHello still to skip.
    sslv2_skip: usize,
    reported: u8,
    event_sent: bool,
    done: bool,
}

fn index(side: Side) -> usize {
    match side {
        Side::Client => 0,
        Side::Server => 1,
    }
}

impl AppParser for Tls {
    const NAME: &'static str = "tls";
    const TRANSPORTS: Transports = Transports::Tcp;

    fn probe(first: &[u8], side: Side, _ctx: &FlowCtx) -> Probe {
        match (record::classify(first), side) {
            (Start::Prefix, _) => Probe::NeedMore,
            // RFC 8446 §2: the client opens with a ClientHello; a flow seen from the middle
            // may show the server's ServerHello first.
            (Start::Handshake(1), Side::Client) | (Start::Handshake(2), Side::Server) => Probe::Yes,
            (Start::Sslv2Hello, Side::Client) => Probe::Yes,
            _ => Probe::No,
        }
    }

    fn new(_ctx: &FlowCtx) -> Self {
        Self::default()
    }

    fn feed(&mut self, side: Side, ts: Timestamp, data: &[u8], out: &mut Out<'_>) -> Verdict {
        let i = index(side);
        let hs = &mut self.handshake;
        if hs.done {
            return Verdict::Done;
        }
        // RFC 5246 appendix E.2: an SSL 2.0-compatible ClientHello has the top bit of its
        // first byte set (a TLS record's first byte is a content type, 20..=24).
        // It is counted and skipped, not decoded; the server answers with TLS records, which
        // are read as usual.
        let mut data = data;
        if side == Side::Client && hs.seen[i] == 0 && data.first().is_some_and(|b| b & 0x80 != 0) {
            out.count("sslv2_client_hello");
            let [Some(b0), Some(b1)] = [data.first(), data.get(1)] else {
                hs.done = true;
                return Verdict::Done;
            };
            // E.2: `msg_length` is the low 15 bits of the two-byte header.
            hs.sslv2_skip = 2 + (usize::from(b0 & 0x7f) << 8 | usize::from(*b1));
            hs.state = hs.state.next(Msg::ClientHello, side);
        }
        if hs.sslv2_skip > 0 && side == Side::Client {
            let n = hs.sslv2_skip.min(data.len());
            hs.sslv2_skip -= n;
            hs.seen[i] = hs.seen[i].saturating_add(n);
            data = data.get(n..).unwrap_or_default();
        }
        hs.seen[i] = hs.seen[i].saturating_add(data.len());
        let messages = &mut self.messages[i];
        let mut bad_header = None;
        let fed = self.records[i].feed(
            data,
            record::HEADER_LEN + record::MAX_RECORD_LEN,
            |b| {
                let f = record::frame(b);
                if f == Framed::Invalid {
                    bad_header = Some(record::header_error(b));
                }
                f
            },
            |rec| hs.record(side, ts, rec, messages, out),
        );
        if fed != Fed::Ok && !hs.over() {
            hs.invalid(bad_header.unwrap_or("tls_bad_record"), out);
        }
        if hs.done || hs.state.server_done() || hs.state == State::Invalid {
            hs.finish(out);
            return Verdict::Done;
        }
        // A handshake message (a long certificate chain) that ends past the default depth.
        let want = (0..2)
            .filter(|&s| hs.pending[s] > 0)
            .map(|s| hs.seen[s] + hs.pending[s] + hs.pending[s] / 256 + 4096)
            .max()
            .unwrap_or(0);
        if want > DEFAULT_DEPTH {
            Verdict::Depth(u32::try_from(want.min(MAX_DEPTH)).unwrap_or(u32::MAX))
        } else {
            Verdict::Continue
        }
    }

    fn gap(&mut self, _side: Side, _len: u32, out: &mut Out<'_>) -> Verdict {
        // Record boundaries are lost with the bytes; what was seen is reported.
        let hs = &mut self.handshake;
        if !hs.done {
            out.count("gaps");
            hs.finish(out);
        }
        Verdict::Done
    }

    fn end(&mut self, out: &mut Out<'_>) {
        self.handshake.finish(out);
    }
}

impl Handshake {
    /// One whole record from `side`.
    fn record(
        &mut self,
        side: Side,
        ts: Timestamp,
        bytes: &[u8],
        buf: &mut StreamBuf,
        out: &mut Out<'_>,
    ) {
        let i = index(side);
        if self.over() {
            return;
        }
        let Some(rec) = record::parse(bytes) else {
            return;
        };
        match rec.content_type {
            ContentType::HANDSHAKE if self.encrypted[i] => out.count("encrypted_handshake_records"),
            ContentType::HANDSHAKE => {
                // RFC 8446 §5.1: handshake fragments are never empty.
                if rec.fragment.is_empty() {
                    out.anomaly("tls_empty_handshake_record");
                    return;
                }
                let mut need = 0;
                let fed = buf.feed(
                    rec.fragment,
                    MAX_MESSAGE,
                    |b| {
                        let f = handshake::frame(b);
                        if let Framed::Incomplete(n) = f {
                            need = n;
                        }
                        f
                    },
                    |msg| self.message(side, ts, msg, out),
                );
                if fed == Fed::Oversize {
                    out.anomaly("tls_handshake_too_long");
                }
                self.pending[i] = if fed == Fed::Ok && !buf.is_empty() {
                    need
                } else {
                    0
                };
            }
            ContentType::CHANGE_CIPHER_SPEC => {
                let before = self.state;
                self.step(Msg::ChangeCipherSpec, side, out);
                // RFC 5246 §7.1: this side's next records are protected. Around TLS 1.3 the
                // CCS is a dummy for middleboxes (RFC 8446 appendix D.4).
                let tls13 = matches!(
                    before,
                    State::ClientHello
                        | State::HelloRetryRequest
                        | State::ClientHelloRetried
                        | State::Tls13
                );
                if !tls13 {
                    self.encrypted[i] = true;
                }
                if self.state == State::ServerChangeCipherSpec {
                    self.resumed = true;
                }
            }
            ContentType::ALERT => {
                out.count("alerts");
                // RFC 5246 §7.2: AlertLevel fatal(2), then the description.
                if !self.encrypted[i] && rec.fragment.first() == Some(&2) {
                    out.count("alerts_fatal");
                }
            }
            ContentType::APPLICATION_DATA => {
                self.step(Msg::ApplicationData, side, out);
            }
            ContentType::HEARTBEAT => out.count("heartbeats"),
            _ => {}
        }
    }

    /// One whole handshake message from `side`.
    fn message(&mut self, side: Side, ts: Timestamp, msg: &[u8], out: &mut Out<'_>) {
        if self.over() {
            return;
        }
        let Some((t, body)) = handshake::split(msg) else {
            return;
        };
        out.count("messages");
        let m = match t {
            // RFC 5246 §7.4.1.1: HelloRequest may come at any time; it changes nothing.
            Ht::HELLO_REQUEST => return,
            Ht::CLIENT_HELLO => Msg::ClientHello,
            Ht::SERVER_HELLO => match handshake::server_hello(body) {
                Ok(hello) => {
                    let m = if hello.retry_request {
                        Msg::HelloRetryRequest
                    } else if matches!(hello.version(), 0x0304 | 0x7f00..=0x7fff) {
                        Msg::ServerHello13
                    } else {
                        Msg::ServerHello
                    };
                    if self.step(m, side, out) && m != Msg::HelloRetryRequest {
                        self.server_hello(&hello, out);
                    }
                    return;
                }
                Err(reason) => return self.invalid(reason, out),
            },
            Ht::CERTIFICATE => Msg::Certificate,
            Ht::CERTIFICATE_STATUS => Msg::CertificateStatus,
            Ht::SERVER_KEY_EXCHANGE => Msg::ServerKeyExchange,
            Ht::CERTIFICATE_REQUEST => Msg::CertificateRequest,
            Ht::SERVER_HELLO_DONE => Msg::ServerHelloDone,
            Ht::CLIENT_KEY_EXCHANGE => Msg::ClientKeyExchange,
            Ht::CERTIFICATE_VERIFY => Msg::CertificateVerify,
            Ht::NEW_SESSION_TICKET => Msg::NewSessionTicket,
            _ => Msg::Other,
        };
        if !self.step(m, side, out) {
            return;
        }
        match (m, side) {
            (Msg::ClientHello, _) => self.client_hello(body, out),
            (Msg::Certificate, Side::Server) => self.certificate(ts, body, out),
            _ => {}
        }
    }

    /// True once nothing more is parsed: done, invalid, or the server's part complete (the
    /// rest of a delivery after ServerHelloDone is not read).
    fn over(&self) -> bool {
        self.done || self.state == State::Invalid || self.state.server_done()
    }

    /// Applies the transition table; false (and the anomaly, once) when the step is illegal.
    fn step(&mut self, msg: Msg, side: Side, out: &mut Out<'_>) -> bool {
        let next = self.state.next(msg, side);
        if next == State::Invalid && side == Side::Client && self.state == State::ClientHello {
            // The client went on (ClientKeyExchange, encrypted data) but nothing of the
            // server was delivered: a one-sided capture (asymmetric routing), not a
            // protocol violation. The ClientHello was all there was to see.
            if self.seen[index(Side::Server)] == 0 {
                out.count("client_side_only");
                self.done = true;
                return false;
            }
        }
        if next == State::Invalid {
            self.invalid("tls_unexpected_message", out);
            return false;
        }
        self.state = next;
        true
    }

    /// Enters the absorbing Invalid state, reporting why (once: the state absorbs).
    fn invalid(&mut self, reason: &'static str, out: &mut Out<'_>) {
        if self.state != State::Invalid {
            out.anomaly(reason);
            self.state = State::Invalid;
        }
    }

    fn client_hello(&mut self, body: &[u8], out: &mut Out<'_>) {
        // The lists (cipher suites, extensions, groups …) are read only when the fingerprints
        // of this client stack are not known yet.
        let mut key = Vec::with_capacity(body.len().min(512));
        let hello = match handshake::client_hello_lean(body, &mut key) {
            Ok(h) => h,
            Err(reason) => return out.anomaly(reason),
        };
        if let Some(reason) = hello.bad_extension {
            out.anomaly(reason);
        }
        if hello.alpn_dropped > 0 {
            out.count("tls_alpn_dropped");
        }
        // After a HelloRetryRequest the second ClientHello repeats the client's identity.
        if self.client.is_some() {
            return;
        }
        let prints = out.memo(&key, || {
            // The same body passed the lean parse, so the full one succeeds too.
            let full = handshake::client_hello(body).unwrap_or_default();
            Rc::new(ClientPrints {
                ja3: fingerprint::ja3(&full),
                ja4: fingerprint::ja4(&full),
            })
        });
        if let Some(sni) = hello.sni {
            out.fact(Side::Client, "tls.sni", sni);
        }
        out.fact_text(Side::Client, "tls.ja3", &prints.ja3.hash);
        out.fact_text(Side::Client, "tls.ja4", &prints.ja4);
        if let Some(alpn) = hello.alpn.first() {
            out.fact(Side::Client, "tls.alpn", alpn);
        }
        let events = out.events_enabled();
        self.client = Some(ClientInfo {
            // Event fields only: not built when no event will be written.
            sni: hello.sni.filter(|_| events).map(wire_text),
            ja3_cut: ja3_cut(&prints.ja3, events, out),
            prints,
            alpns: if events {
                hello.alpn.iter().map(|a| wire_text(a)).collect()
            } else {
                Vec::new()
            },
        });
    }

    fn server_hello(&mut self, hello: &handshake::ServerHello<'_>, out: &mut Out<'_>) {
        if self.server.is_some() {
            return;
        }
        let version = hello.version();
        // A server answers every client stack the same way but for its random, session id and
        // key share (RFC 8446 §4.1.3, §4.2.8): JA3S and the names are computed once per key of
        // what they read (legacy_version, cipher, selected_version, extension types).
        let mut key = Vec::with_capacity(7 + 2 * hello.extensions.len());
        key.extend_from_slice(&hello.legacy_version.to_be_bytes());
        key.extend_from_slice(&hello.cipher.to_be_bytes());
        let selected = hello.selected_version;
        key.push(u8::from(selected.is_some()));
        key.extend_from_slice(&selected.unwrap_or(0).to_be_bytes());
        for t in &hello.extensions {
            key.extend_from_slice(&t.to_be_bytes());
        }
        let prints = out.memo(&key, || {
            Rc::new(ServerPrints {
                ja3s: fingerprint::ja3s(hello),
                version: names::version(version),
                cipher: names::cipher_text(hello.cipher),
            })
        });
        out.fact_text(Side::Server, "tls.ja3s", &prints.ja3s.hash);
        out.fact_text(Side::Server, "tls.version", &prints.version);
        out.fact_text(Side::Server, "tls.cipher", &prints.cipher);
        if let Some(reason) = hello.bad_extension {
            out.anomaly(reason);
        }
        // RFC 8996 (TLS 1.0, 1.1), RFC 7568 (SSL 3.0).
        if names::is_deprecated(version) {
            self.expose(reported::VERSION, &prints.version, "version", out);
        }
        let events = out.events_enabled();
        self.server = Some(ServerInfo {
            version,
            cipher: hello.cipher,
            ja3s_cut: ja3_cut(&prints.ja3s, events, out),
            prints,
            alpn: hello.alpn.filter(|_| events).map(wire_text),
        });
    }

    /// The server's Certificate (RFC 5246 §7.4.2): the leaf is summarised, the chain counted.
    fn certificate(&mut self, ts: Timestamp, body: &[u8], out: &mut Out<'_>) {
        if self.cert.is_some() {
            return;
        }
        let list = match handshake::certificate_list(body) {
            Ok(l) => l,
            Err(reason) => return out.anomaly(reason),
        };
        if list.dropped > 0 {
            out.count("tls_chain_truncated");
        }
        for _ in 0..list.oversized {
            out.count("tls_cert_too_large");
        }
        self.chain_length = list.kept + list.dropped + list.oversized;
        if list.leaf_oversized {
            return;
        }
        let Some(leaf) = list.leaf else {
            // RFC 5246 §7.4.2: a server that sends Certificate sends at least its own.
            return out.anomaly("tls_empty_certificate_list");
        };
        // A server presents the same certificate on every connection: summarised once (its
        // SHA-256 only when there are events to carry it).
        let events = out.events_enabled();
        let c = match out.memo(leaf, || cert::summarize(leaf, events).map(Rc::new)) {
            Ok(c) => c,
            Err(reason) => return out.anomaly(reason),
        };
        out.fact_text(Side::Server, "tls.cert_subject", &c.subject);
        out.fact_text(Side::Server, "tls.cert_issuer", &c.issuer);
        out.fact_text(Side::Server, "tls.cert_not_after", &c.not_after_text);
        // RFC 5280 §4.1.2.5: valid from notBefore to notAfter inclusive.
        let now = ts.secs();
        if now > c.not_after {
            self.expose(reported::EXPIRED, "expired certificate", "not_after", out);
        }
        if now < c.not_before {
            self.expose(
                reported::NOT_YET_VALID,
                "not-yet-valid certificate",
                "not_before",
                out,
            );
        }
        if c.self_signed {
            self.expose(
                reported::SELF_SIGNED,
                "self-signed certificate",
                "issuer",
                out,
            );
        }
        // NIST SP 800-131A: RSA keys under 2048 bits are disallowed.
        if c.key_type == "RSA"
            && c.key_bits > 0
            && c.key_bits < 2048
            && self.reported & reported::WEAK_RSA == 0
        {
            let subject = format!("RSA {}-bit key", c.key_bits);
            self.expose(reported::WEAK_RSA, &subject, "key_bits", out);
        }
        self.cert = Some(c);
    }

    fn expose(&mut self, bit: u8, subject: &str, field: &str, out: &mut Out<'_>) {
        if self.reported & bit == 0 {
            self.reported |= bit;
            out.exposure(
                ExposureKind::WeakTls,
                Side::Server,
                subject,
                vec![field.into()],
                None,
            );
        }
    }

    /// The handshake is over for us: the event (once), and no more parsing.
    fn finish(&mut self, out: &mut Out<'_>) {
        self.done = true;
        if self.event_sent || !out.events_enabled() {
            return;
        }
        if self.client.is_none() && self.server.is_none() {
            return;
        }
        self.event_sent = true;
        let mut o = Map::new();
        if let Some(c) = &self.client {
            if let Some(sni) = &c.sni {
                o.insert("sni".into(), json!(sni));
            }
            let ja3 = &c.prints.ja3;
            let string = c.ja3_cut.as_ref().unwrap_or(&ja3.string);
            o.insert("ja3".into(), json!({"hash": ja3.hash, "string": string}));
            o.insert("ja4".into(), json!(c.prints.ja4));
            if !c.alpns.is_empty() {
                o.insert("client_alpns".into(), json!(c.alpns));
            }
        }
        if let Some(s) = &self.server {
            o.insert("version".into(), json!(names::eve_version(s.version)));
            o.insert("cipher_suite".into(), json!(names::cipher_text(s.cipher)));
            let ja3s = &s.prints.ja3s;
            let string = s.ja3s_cut.as_ref().unwrap_or(&ja3s.string);
            o.insert("ja3s".into(), json!({"hash": ja3s.hash, "string": string}));
            if let Some(alpn) = &s.alpn {
                o.insert("server_alpns".into(), json!([alpn]));
            }
        }
        if self.resumed {
            o.insert("session_resumed".into(), Value::Bool(true));
        }
        if let Some(c) = &self.cert {
            o.insert("subject".into(), json!(c.subject));
            o.insert("issuerdn".into(), json!(c.issuer));
            o.insert("serial".into(), json!(c.serial));
            o.insert("fingerprint_sha256".into(), json!(c.sha256));
            o.insert("notbefore".into(), json!(cert::eve_time(c.not_before)));
            o.insert("notafter".into(), json!(cert::eve_time(c.not_after)));
            o.insert("self_signed".into(), json!(c.self_signed));
            o.insert("key_type".into(), json!(c.key_type));
            o.insert("key_bits".into(), json!(c.key_bits));
        }
        if self.chain_length > 0 {
            o.insert("chain_length".into(), json!(self.chain_length));
        }
        out.event(o);
    }
}

/// The fingerprint string cut to [`MAX_JA3_STRING`] for the event, when events are on and it
/// is longer (counted); the event takes the whole string otherwise.
fn ja3_cut(ja3: &Ja3, events: bool, out: &mut Out<'_>) -> Option<String> {
    if !events || ja3.string.len() <= MAX_JA3_STRING {
        return None;
    }
    out.count("tls_ja3_string_truncated");
    Some(wire_text_limited(ja3.string.as_bytes(), MAX_JA3_STRING))
}
