//! HTTP/1.x (RFC 9112 message syntax, RFC 9110 semantics) in cleartext: request and response
//! heads through `httparse`, responses paired with requests in order (pipelining), bodies
//! followed by their framing (Content-Length, chunked, until close: RFC 9112 §6, §7.1) only to
//! skip them — except a UPnP device description (UDA 2.0 §2.3), kept up to 256 KiB and read
//! for the device's identity. FHIR exchanges (HL7 FHIR RESTful API) with a body on a
//! patient-bearing resource are reported as cleartext patient data; Basic, Digest and Bearer
//! credentials as cleartext credentials. No query string, cookie, credential or body value is
//! kept or emitted.
//!
//! Which side sends requests is learnt from the first bytes (a capture that starts mid-stream
//! may name the server "client"); "requester" and "responder" below mean those sides.
//!
//! # Facts
//!
//! - `http.user_agent` (requester): the User-Agent field (RFC 9110 §10.1.5); its first product
//!   token is also reported as software.
//! - `http.host` (requester): the Host it asked for (RFC 9110 §7.2).
//! - `http.server` (responder): the Server field (RFC 9110 §10.2.4); first product as software.
//! - `http.x_powered_by` (responder): the X-Powered-By field; also software.
//! - `http.www_authenticate` (responder): the scheme of a WWW-Authenticate challenge (RFC 9110
//!   §11.6.1), nothing else of it.
//! - `http.fhir` (responder): `true` when it answers FHIR requests or sends FHIR media types.
//! - From a UPnP device description (UDA 2.0 §2.3 `<root><device>`), all responder:
//!   `http.upnp_manufacturer`, `http.upnp_model_name`, `http.upnp_model_number`,
//!   `http.upnp_model_description`, `http.upnp_friendly_name`, `http.upnp_serial_number`,
//!   `http.upnp_device_type`, `http.upnp_udn` (`uuid:...`), `http.upnp_presentation_url`
//!   (without query or userinfo).
//!
//! # Event
//!
//! One `http` event per request/response pair, at the end of the response (or at the end of
//! the flow for a request never answered), with Suricata EVE's field names: `hostname`, `url`
//! (path only: no query, no userinfo; FHIR ids after the resource type become `{id}`),
//! `http_user_agent`, `http_content_type` (the response's), `http_method`, `protocol`
//! (`HTTP/1.x`), `status`, `length` (response body bytes seen); plus `request_content_type`,
//! `server`, `authorization_scheme` (`Basic`, `Digest`, `Bearer`, `NTLM`, `Negotiate` or
//! `other`), `fhir_resource`, `cookies` / `set_cookies` (how many Cookie / Set-Cookie fields:
//! their values are never read). EVE's `http_refer` is left out: a Referer carries queries.
//!
//! # Counters and anomalies
//!
//! `messages` (heads parsed), `cookies`, `set_cookies`, `pairs_unanswered`,
//! `upnp_descriptions`; anomalies `http_head_too_long`, `http_too_many_headers` (a head over 64
//! fields: only the fields read here are kept), `http_invalid_*` (head syntax),
//! `http_content_length_*`, `http_chunk_*`, `http_request_transfer_encoding_not_chunked`,
//! `http_te_and_cl` (both framings: a smuggling tell, RFC 9112 §6.3 item 3),
//! `http_response_without_request`, `http_basic_without_user`, `http_upnp_xml_*`,
//! `http_requests_dropped` (more than 64 unanswered).

mod auth;
mod fhir;
mod framing;
pub(crate) mod message;
#[cfg(test)]
mod tests;
mod upnp;

use std::collections::VecDeque;

use model::{ExposureKind, Side, Timestamp};
use serde_json::{Map, Value};

use crate::out::{Out, text_value};
use crate::parser::{AppParser, FlowCtx, Probe, Transports, Verdict};

use auth::Scheme;
use fhir::FhirPath;
use framing::{BodyReader, Framing, FramingFields};
use message::{Head, HeadError, Kind, MAX_HEAD, Parsed, Start};

/// Request/response pairs read per flow before the parser is done (what identifies the two
/// sides comes first; later pairs repeat it).
const MAX_PAIRS: u32 = 64;

/// Requests kept while awaiting responses (CONVENTIONS §6 list limit).
const MAX_PENDING: usize = 64;

/// RFC 9110 §9.3 methods (and PATCH, RFC 5789) that the probe accepts at the start of a flow.
const METHODS: [&str; 9] = [
    "GET", "POST", "PUT", "HEAD", "DELETE", "OPTIONS", "PATCH", "CONNECT", "TRACE",
];

/// Header fields this parser reads: kept first when a head has too many fields.
const WANTED: &[&str] = &[
    "host",
    "user-agent",
    "server",
    "content-type",
    "accept",
    "x-powered-by",
    "www-authenticate",
    "authorization",
    "proxy-authorization",
    "content-length",
    "transfer-encoding",
    "cookie",
    "set-cookie",
];

/// Per-flow state.
#[derive(Debug, Default)]
pub struct Http {
    /// Client, server.
    sides: [Stream; 2],
    /// The side that sends requests (learnt from the first bytes).
    requester: Option<Side>,
    /// Requests awaiting their responses, oldest first.
    pending: VecDeque<Pending>,
    /// The response whose body is being read.
    response: Option<Exchange>,
    /// Pairs completed.
    pairs: u32,
}

/// One side's bytes.
#[derive(Debug, Default)]
struct Stream {
    /// An incomplete head or chunk line carried to the next delivery.
    held: Vec<u8>,
    /// How far `held` was already searched for the end of a head.
    scanned: usize,
    state: StreamState,
}

#[derive(Debug, Default)]
enum StreamState {
    /// At the start of a message.
    #[default]
    Head,
    /// Inside a body.
    Body(BodyReader),
    /// Not followed any more (invalid, tunnel, lost framing).
    Stopped,
}

/// A request awaiting its response.
#[derive(Debug)]
struct Pending {
    /// Canonical method name (or `OTHER`).
    method: &'static str,
    /// The request path read as FHIR without and with the FHIR media type evidence.
    fhir_path: FhirPath,
    fhir_path_media: FhirPath,
    /// The request named a FHIR media type (Content-Type or Accept).
    fhir_media: bool,
    /// The request part of the event (when events are on).
    event: Option<Map<String, Value>>,
}

impl Pending {
    /// The FHIR resource of the exchange, given whether the response named a FHIR type.
    fn fhir(&self, response_media: bool) -> Option<FhirPath> {
        let path = if self.fhir_media || response_media {
            self.fhir_path_media
        } else {
            self.fhir_path
        };
        (self.fhir_media || response_media || path.resource.is_some()).then_some(path)
    }
}

/// A response being read, with its request.
#[derive(Debug)]
struct Exchange {
    request: Option<Pending>,
    /// The event so far (when events are on).
    event: Option<Map<String, Value>>,
    /// A UPnP description candidate's bytes (text/xml or application/xml body).
    xml: Option<Vec<u8>>,
    /// Body bytes seen.
    length: u64,
}

impl AppParser for Http {
    const NAME: &'static str = "http";
    const TRANSPORTS: Transports = Transports::Tcp;

    fn probe(first: &[u8], _side: Side, _ctx: &FlowCtx) -> Probe {
        // Every flow that is not TLS or SSH is offered here first: one byte turns away what
        // cannot start a start line (a method token is upper case here, RFC 9110 §9.1; a
        // status-line starts `HTTP/`) before anything else is looked at.
        match first.first() {
            None => return Probe::NeedMore,
            Some(b) if !is_method_byte(*b) => return Probe::No,
            Some(_) => {}
        }
        // A response first: a capture that began mid-stream (RFC 9112 §4 status-line).
        match prefix_match(first, b"HTTP/1.") {
            Probe::No => {}
            p => return p,
        }
        // No registered method is longer than 7 bytes: its SP, if any, is among the first 8.
        let head = first.get(..first.len().min(8)).unwrap_or_default();
        match head.iter().position(|&b| b == b' ') {
            Some(sp) => {
                let token = head.get(..sp).unwrap_or_default();
                if METHODS.iter().any(|m| m.as_bytes() == token) {
                    return request_line_probe(first.get(sp + 1..).unwrap_or_default());
                }
            }
            // A registered method still arriving.
            None if first.len() < 8 && METHODS.iter().any(|m| m.as_bytes().starts_with(first)) => {
                return Probe::NeedMore;
            }
            None => {}
        }
        extension_method_probe(first)
    }

    fn new(_ctx: &FlowCtx) -> Self {
        Self::default()
    }

    fn feed(&mut self, side: Side, _ts: Timestamp, data: &[u8], out: &mut Out<'_>) -> Verdict {
        if self.requester.is_none() && !data.is_empty() {
            self.requester = Some(if data.starts_with(b"HTTP/") {
                side.other()
            } else {
                side
            });
        }
        let i = side as usize;
        if matches!(self.sides[i].state, StreamState::Stopped) {
            return self.verdict();
        }
        let mut held = std::mem::take(&mut self.sides[i].held);
        if held.is_empty() {
            let consumed = self.process(side, data, out);
            held.extend_from_slice(data.get(consumed..).unwrap_or_default());
        } else {
            held.extend_from_slice(data);
            let consumed = self.process(side, &held, out);
            held.drain(..consumed.min(held.len()));
        }
        let stream = &mut self.sides[i];
        if matches!(stream.state, StreamState::Stopped) || held.is_empty() {
            held = Vec::new();
            stream.scanned = 0;
        }
        stream.held = held;
        self.verdict()
    }

    fn gap(&mut self, side: Side, len: u32, out: &mut Out<'_>) -> Verdict {
        let stream = &mut self.sides[side as usize];
        if matches!(stream.state, StreamState::Stopped) {
            // Not followed anyway; the other side may still be.
            return self.verdict();
        }
        if let StreamState::Body(reader) = &mut stream.state
            && stream.held.is_empty()
            && reader.skip_lost(u64::from(len))
        {
            // The hole lies inside a body of known length: still in step.
            if side != self.requester()
                && let Some(ex) = &mut self.response
            {
                ex.length = ex.length.saturating_add(u64::from(len));
                if ex.xml.take().is_some() {
                    out.anomaly("http_upnp_xml_gap");
                }
            }
            return self.verdict();
        }
        // HTTP cannot find its next message boundary reliably.
        Verdict::Done
    }

    fn end(&mut self, out: &mut Out<'_>) {
        let responder = self.requester().other();
        if let Some(mut ex) = self.response.take() {
            // A body read until close is whole now; one cut short is not parsed.
            let until_close = matches!(
                &self.sides[responder as usize].state,
                StreamState::Body(r) if r.until_close()
            );
            if until_close && let Some(xml) = ex.xml.take() {
                read_description(&xml, responder, out);
            }
            self.finish(ex, out);
        }
        while let Some(p) = self.pending.pop_front() {
            out.count("pairs_unanswered");
            if let Some(e) = p.event {
                out.event(e);
            }
        }
    }
}

impl Http {
    fn requester(&self) -> Side {
        self.requester.unwrap_or(Side::Client)
    }

    fn verdict(&self) -> Verdict {
        let stopped = self
            .sides
            .iter()
            .all(|s| matches!(s.state, StreamState::Stopped));
        if self.pairs >= MAX_PAIRS || stopped {
            Verdict::Done
        } else {
            Verdict::Continue
        }
    }

    fn stop(&mut self, side: Side, reason: &'static str, out: &mut Out<'_>) {
        out.anomaly(reason);
        self.sides[side as usize].state = StreamState::Stopped;
    }

    /// Reads whole messages from `buf`; returns the bytes consumed (the rest is an incomplete
    /// head or chunk line, to be held).
    fn process(&mut self, side: Side, buf: &[u8], out: &mut Out<'_>) -> usize {
        let i = side as usize;
        let kind = if side == self.requester() {
            Kind::Request
        } else {
            Kind::Response
        };
        let mut pos = 0;
        while pos < buf.len() {
            let rest = buf.get(pos..).unwrap_or_default();
            match &mut self.sides[i].state {
                StreamState::Stopped => return buf.len(),
                StreamState::Body(reader) => {
                    let keep = match (&mut self.response, kind) {
                        (Some(ex), Kind::Response) => Some(ex),
                        _ => None,
                    };
                    match read_body(reader, rest, keep, out) {
                        Ok(r) => {
                            pos += r.consumed;
                            if !r.done {
                                return pos;
                            }
                            self.sides[i].state = StreamState::Head;
                            if kind == Kind::Response
                                && let Some(mut ex) = self.response.take()
                            {
                                if let Some(xml) = ex.xml.take() {
                                    read_description(&xml, side, out);
                                }
                                self.finish(ex, out);
                            }
                        }
                        Err(reason) => {
                            self.stop(side, reason, out);
                            return buf.len();
                        }
                    }
                }
                StreamState::Head => {
                    // RFC 9112 §2.2: empty lines before a start line are ignored. Dropping
                    // them here also keeps them from posing as the end of a head.
                    let blank = rest
                        .iter()
                        .take_while(|&&b| b == b'\r' || b == b'\n')
                        .count();
                    if blank > 0 {
                        pos += blank;
                        continue;
                    }
                    let scanned = if pos == 0 { self.sides[i].scanned } else { 0 };
                    if scanned > 0 && message::find_head_end(rest, scanned).is_none() {
                        // Already tried this head: wait for its end without re-parsing.
                        if rest.len() > MAX_HEAD {
                            self.stop(side, "http_head_too_long", out);
                            return buf.len();
                        }
                        self.sides[i].scanned = rest.len().saturating_sub(2);
                        return pos;
                    }
                    let parsed = match kind {
                        Kind::Request => message::parse_head(rest, kind, WANTED, |h| {
                            let (pending, framing) = read_request(h, side, out);
                            Summary::Request(pending, framing)
                        }),
                        Kind::Response => message::parse_head(rest, kind, WANTED, |h| {
                            Summary::Response(read_response(h, side, out))
                        }),
                    };
                    match parsed {
                        Parsed::Complete(n, summary) => {
                            out.count("messages");
                            pos += n;
                            self.sides[i].scanned = 0;
                            match summary {
                                Summary::Request(p, framing) => {
                                    self.on_request(side, p, framing, out)
                                }
                                Summary::Response(r) => self.on_response(side, r, out),
                            }
                        }
                        Parsed::Partial => {
                            self.sides[i].scanned = rest.len().saturating_sub(2);
                            return pos;
                        }
                        Parsed::Invalid(e) => {
                            self.stop(side, head_error(e), out);
                            return buf.len();
                        }
                    }
                }
            }
        }
        pos
    }

    fn on_request(
        &mut self,
        side: Side,
        pending: Pending,
        framing: Result<Framing, &'static str>,
        out: &mut Out<'_>,
    ) {
        let framing = match framing {
            Ok(f) => f,
            Err(reason) => {
                self.push_pending(pending, out);
                self.stop(side, reason, out);
                return;
            }
        };
        self.push_pending(pending, out);
        self.sides[side as usize].state = match framing {
            Framing::Length(_) | Framing::Chunked => StreamState::Body(BodyReader::new(framing)),
            Framing::None => StreamState::Head,
            // Not produced for requests (RFC 9112 §6.3 item 6: no length means no body).
            Framing::UntilClose | Framing::Tunnel => StreamState::Stopped,
        };
    }

    fn push_pending(&mut self, pending: Pending, out: &mut Out<'_>) {
        if self.pending.len() < MAX_PENDING {
            self.pending.push_back(pending);
        } else {
            out.anomaly("http_requests_dropped");
        }
    }

    fn on_response(&mut self, side: Side, r: ResponseSummary, out: &mut Out<'_>) {
        // RFC 9110 §15.2: 1xx are interim (101 ends HTTP on the connection); the final
        // response answers the oldest request.
        let interim = (100..200).contains(&r.code) && r.code != 101;
        let request = if interim {
            None
        } else {
            let p = self.pending.pop_front();
            if p.is_none() {
                out.anomaly("http_response_without_request");
            }
            p
        };
        let head_request = request.as_ref().is_some_and(|p| p.method == "HEAD");
        let connect = request.as_ref().is_some_and(|p| p.method == "CONNECT");
        let framing = match framing::response_framing(&r.framing, r.code, head_request, connect) {
            Ok(f) => f,
            Err(reason) => {
                self.stop(side, reason, out);
                Framing::None
            }
        };
        if r.framing.transfer_encoding && r.framing.length.is_some() {
            out.anomaly("http_te_and_cl");
        }
        // FHIR: the responder serves FHIR; a body on a patient-bearing resource is PHI.
        if let Some(req) = &request
            && let Some(path) = req.fhir(r.fhir_media)
        {
            out.fact_text(side, "http.fhir", "true");
            let body = matches!(framing, Framing::Chunked | Framing::Length(_));
            if body && (200..300).contains(&r.code) {
                fhir_exposure(path, req.method, side, out);
            }
        } else if r.fhir_media {
            out.fact_text(side, "http.fhir", "true");
        }
        if interim {
            return;
        }
        let xml = (r.xml
            && matches!(
                framing,
                Framing::Length(_) | Framing::Chunked | Framing::UntilClose
            ))
        .then(Vec::new);
        let ex = Exchange {
            event: r.event,
            request,
            xml,
            length: 0,
        };
        match framing {
            Framing::None => self.finish(ex, out),
            Framing::Tunnel => {
                // The connection is no longer HTTP (WebSocket, TLS through a proxy).
                self.finish(ex, out);
                for s in &mut self.sides {
                    s.state = StreamState::Stopped;
                }
            }
            Framing::Length(_) | Framing::Chunked | Framing::UntilClose => {
                if !matches!(self.sides[side as usize].state, StreamState::Stopped) {
                    self.sides[side as usize].state = StreamState::Body(BodyReader::new(framing));
                }
                self.response = Some(ex);
            }
        }
    }

    /// A pair is complete: its event goes out.
    fn finish(&mut self, ex: Exchange, out: &mut Out<'_>) {
        self.pairs += 1;
        if !out.events_enabled() {
            return;
        }
        let mut e = ex.request.and_then(|p| p.event).unwrap_or_default();
        if let Some(r) = ex.event {
            e.extend(r);
        }
        e.insert("length".into(), Value::from(ex.length));
        out.event(e);
    }
}

/// What a head reader produced.
enum Summary {
    Request(Pending, Result<Framing, &'static str>),
    Response(ResponseSummary),
}

/// A response head, read.
struct ResponseSummary {
    code: u16,
    framing: FramingFields,
    fhir_media: bool,
    /// Content type is text/xml or application/xml (a UPnP description candidate).
    xml: bool,
    event: Option<Map<String, Value>>,
}

fn head_error(e: HeadError) -> &'static str {
    match e {
        HeadError::HeaderName => "http_invalid_header_name",
        HeadError::HeaderValue => "http_invalid_header_value",
        HeadError::NewLine => "http_invalid_newline",
        HeadError::Status => "http_invalid_status",
        HeadError::Token => "http_invalid_request_line",
        HeadError::Version => "http_invalid_version",
        HeadError::TooLong => "http_head_too_long",
    }
}

/// `Yes`/`NeedMore`/`No` for `first` against a fixed prefix.
fn prefix_match(first: &[u8], prefix: &[u8]) -> Probe {
    let n = first.len().min(prefix.len());
    if first.get(..n) != prefix.get(..n) {
        Probe::No
    } else if n < prefix.len() {
        Probe::NeedMore
    } else {
        Probe::Yes
    }
}

/// After `method SP`: a request-target then ` HTTP/1.x` at the end of the line (RFC 9112 §3),
/// so RTSP and SIP (`OPTIONS rtsp://… RTSP/1.0`) are not taken. A line longer than 256 bytes
/// that is still plausible is accepted without its end.
fn request_line_probe(rest: &[u8]) -> Probe {
    // One pass finds the end of the line and checks what comes before it: the first byte
    // that is not plausible (visible ASCII, SP, or ≥ 0x80 as in a UTF-8 path) must be the LF,
    // or a CR just before it. Whole words of plausible bytes are skipped eight at a time.
    let clean_words = rest.chunks_exact(8).take_while(|w| !has_control(w)).count();
    let from = clean_words * 8;
    let stop = rest
        .get(from..)
        .unwrap_or_default()
        .iter()
        .position(|&b| !is_plausible(b))
        .map(|i| from + i);
    let Some(stop) = stop else {
        // No line end yet, and nothing implausible.
        return if rest.len() >= 256 {
            Probe::Yes
        } else {
            Probe::NeedMore
        };
    };
    if !matches!(rest.get(stop..), Some([b'\n', ..] | [b'\r', b'\n', ..])) {
        return Probe::No;
    }
    let line = rest.get(..stop).unwrap_or_default();
    let ok = line.len() > 9
        && matches!(line.get(line.len() - 9..), Some([b' ', b'H', b'T', b'T', b'P', b'/', b'1', b'.', d]) if d.is_ascii_digit());
    if ok { Probe::Yes } else { Probe::No }
}

/// A byte a request line may hold before its end: visible ASCII, SP, or any byte ≥ 0x80 (not
/// a control character: 0x00–0x1F, DEL).
fn is_plausible(b: u8) -> bool {
    b >= 0x20 && b != 0x7f
}

/// True when the 8 bytes of `word` hold a byte that is not [`is_plausible`] (a byte below 0x20
/// or DEL), tested together: the classic "has a byte less than n" and "has a zero byte" word
/// tricks, exact as a yes/no (a borrow only ever follows a byte that matched).
fn has_control(word: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let Ok(bytes) = <[u8; 8]>::try_from(word) else {
        return true;
    };
    let w = u64::from_le_bytes(bytes);
    let below_space = w.wrapping_sub(ONES * 0x20) & !w;
    let del = w ^ (ONES * 0x7f);
    let is_del = del.wrapping_sub(ONES) & !del;
    (below_space | is_del) & HIGH != 0
}

/// A byte an extension method token may start with (see [`extension_method_probe`]); every
/// registered method and `HTTP/` start with one too.
fn is_method_byte(b: u8) -> bool {
    b.is_ascii_uppercase() || b == b'-' || b == b'_'
}

/// Extension methods (WebDAV's PROPFIND, UPnP's SUBSCRIBE…: RFC 9110 §9.1 allows any token):
/// an upper-case token, a space, and a whole request line ending in ` HTTP/1.x`. Stricter
/// than the registered methods (no long-line shortcut): the token alone proves nothing.
fn extension_method_probe(first: &[u8]) -> Probe {
    /// Longest extension method accepted (`VERSION-CONTROL` is 15; the longest registered
    /// WebDAV/DeltaV names stay under this).
    const MAX_TOKEN: usize = 24;
    let token = first.iter().take_while(|b| is_method_byte(**b)).count();
    match first.get(token) {
        None if token <= MAX_TOKEN => Probe::NeedMore,
        Some(b' ') if (3..=MAX_TOKEN).contains(&token) => {
            match request_line_probe(first.get(token + 1..).unwrap_or_default()) {
                Probe::Yes if first.contains(&b'\n') => Probe::Yes,
                Probe::Yes => Probe::NeedMore,
                p => p,
            }
        }
        _ => Probe::No,
    }
}

/// The canonical name of a registered method, `OTHER` for the rest.
fn method_name(method: &str) -> &'static str {
    METHODS
        .iter()
        .find(|m| **m == method)
        .copied()
        .unwrap_or("OTHER")
}

/// Reads a request head: facts and exposures about the requester, and what the response
/// will need.
fn read_request(
    head: &Head<'_, '_>,
    side: Side,
    out: &mut Out<'_>,
) -> (Pending, Result<Framing, &'static str>) {
    let (method, target, minor) = match head.start {
        Start::Request {
            method,
            target,
            minor,
        } => (method, target, minor),
        Start::Response { .. } => ("", &b""[..], 1),
    };
    if head.dropped > 0 {
        out.anomaly("http_too_many_headers");
    }
    let canonical = method_name(method);
    let host = head.field("host");
    if let Some(host) = host {
        out.fact(side, "http.host", host);
    }
    let ua = head.field("user-agent");
    if let Some(ua) = ua {
        out.fact(side, "http.user_agent", ua);
        if let Some((product, version)) = message::first_product(ua) {
            out.software(side, product, version, ua);
        }
    }
    // RFC 9110 §11.6.2 Authorization, §11.7.2 Proxy-Authorization.
    let mut scheme = None;
    for field in ["authorization", "proxy-authorization"] {
        if let Some(v) = head.field(field) {
            let (s, params) = auth::split(v);
            scheme.get_or_insert(s);
            credentials(s, params, side, field, out);
        }
    }
    let content_type = head.field("content-type");
    let fhir_media = content_type.is_some_and(fhir::is_fhir_media)
        || head.fields("accept").any(fhir::is_fhir_media);
    let end = target
        .iter()
        .position(|&b| b == b'?' || b == b'#')
        .unwrap_or(target.len());
    let path = target.get(..end).unwrap_or_default();
    let (fhir_path, fhir_path_media) = fhir::classify(path);
    let cookies = head.fields("cookie").count();
    for _ in 0..cookies {
        out.count("cookies");
    }
    let fields = FramingFields::of(head);
    if fields.transfer_encoding && fields.length.is_some() {
        out.anomaly("http_te_and_cl");
    }
    let framing = framing::request_framing(&fields);
    let pending = Pending {
        method: canonical,
        fhir_path,
        fhir_path_media,
        fhir_media,
        event: None,
    };
    // FHIR: a request body on a patient-bearing resource is PHI sent by the requester.
    let fhir = pending.fhir(false);
    if let Some(path) = fhir
        && matches!(framing, Ok(Framing::Length(_) | Framing::Chunked))
    {
        fhir_exposure(path, canonical, side, out);
    }
    let event = out.events_enabled().then(|| {
        let mut e = Map::new();
        if let Some(h) = host {
            e.insert("hostname".into(), text_value(h));
        }
        let url = if fhir.is_some() {
            message::clean_target(&fhir::redacted_path(path))
        } else {
            message::clean_target(target)
        };
        e.insert("url".into(), Value::String(url));
        if let Some(ua) = ua {
            e.insert("http_user_agent".into(), text_value(ua));
        }
        e.insert("http_method".into(), text_value(method.as_bytes()));
        e.insert("protocol".into(), Value::String(format!("HTTP/1.{minor}")));
        if let Some(ct) = content_type {
            e.insert("request_content_type".into(), text_value(ct));
        }
        if let Some(s) = scheme {
            e.insert("authorization_scheme".into(), Value::from(s.as_str()));
        }
        if let Some(r) = fhir.and_then(|f| f.resource) {
            e.insert("fhir_resource".into(), Value::from(r));
        }
        if cookies > 0 {
            e.insert("cookies".into(), Value::from(cookies));
        }
        e
    });
    (Pending { event, ..pending }, framing)
}

/// A credential in cleartext (RFC 7617 Basic, RFC 7616 Digest, RFC 6750 Bearer); NTLM and
/// Negotiate carry challenge-response tokens, not reusable secrets, and are not reported.
fn credentials(scheme: Scheme, params: &[u8], side: Side, field: &str, out: &mut Out<'_>) {
    let (subject, user_present) = match scheme {
        Scheme::Basic => {
            let present = auth::basic_user_present(params);
            if !present {
                out.anomaly("http_basic_without_user");
            }
            ("HTTP Basic", Some(present))
        }
        Scheme::Digest => ("HTTP Digest", Some(auth::digest_user_present(params))),
        Scheme::Bearer => ("HTTP Bearer token", None),
        Scheme::Ntlm | Scheme::Negotiate | Scheme::Other => return,
    };
    out.exposure(
        ExposureKind::CleartextCredentials,
        side,
        subject,
        vec![field.into()],
        user_present,
    );
}

/// RFC 9110 §6.4: the sender of a FHIR body on a patient-bearing resource exposes PHI. A POST
/// to the base is a transaction or batch Bundle (FHIR http.html §3.1.0.11).
fn fhir_exposure(path: FhirPath, method: &'static str, side: Side, out: &mut Out<'_>) {
    let resource = match path.resource {
        Some(r) if path.patient_bearing => r,
        None if path.is_base && method == "POST" => "Bundle",
        _ => return,
    };
    out.exposure(
        ExposureKind::CleartextPhi,
        side,
        &format!("FHIR {resource} {method}"),
        vec![resource.into()],
        None,
    );
}

/// Reads a response head: facts about the responder and the response part of the event.
fn read_response(head: &Head<'_, '_>, side: Side, out: &mut Out<'_>) -> ResponseSummary {
    let code = match head.start {
        Start::Response { code, .. } => code,
        Start::Request { .. } => 0,
    };
    if head.dropped > 0 {
        out.anomaly("http_too_many_headers");
    }
    let server = head.field("server");
    if let Some(s) = server {
        out.fact(side, "http.server", s);
        if let Some((product, version)) = message::first_product(s) {
            out.software(side, product, version, s);
        }
    }
    if let Some(p) = head.field("x-powered-by") {
        out.fact(side, "http.x_powered_by", p);
        if let Some((product, version)) = message::first_product(p) {
            out.software(side, product, version, p);
        }
    }
    for challenge in head.fields("www-authenticate") {
        if let Some(scheme) = auth::challenge_scheme(challenge) {
            out.fact(side, "http.www_authenticate", scheme);
        }
    }
    let content_type = head.field("content-type");
    let media = content_type.map(message::media_type).unwrap_or_default();
    let xml =
        media.eq_ignore_ascii_case(b"text/xml") || media.eq_ignore_ascii_case(b"application/xml");
    let set_cookies = head.fields("set-cookie").count();
    for _ in 0..set_cookies {
        out.count("set_cookies");
    }
    let event = out.events_enabled().then(|| {
        let mut e = Map::new();
        e.insert("status".into(), Value::from(code));
        if let Some(ct) = content_type {
            e.insert("http_content_type".into(), text_value(ct));
        }
        if let Some(s) = server {
            e.insert("server".into(), text_value(s));
        }
        if set_cookies > 0 {
            e.insert("set_cookies".into(), Value::from(set_cookies));
        }
        e
    });
    ResponseSummary {
        code,
        framing: FramingFields::of(head),
        fhir_media: content_type.is_some_and(fhir::is_fhir_media),
        xml,
        event,
    }
}

/// Feeds body bytes to `reader`; a response's content goes to its UPnP candidate buffer,
/// which is dropped as soon as its first bytes are not a description or it outgrows the cap.
fn read_body(
    reader: &mut BodyReader,
    buf: &[u8],
    exchange: Option<&mut Exchange>,
    out: &mut Out<'_>,
) -> Result<framing::Read, &'static str> {
    let Some(ex) = exchange else {
        return reader.read(buf, |_| {});
    };
    let before = reader.content;
    let mut over = false;
    let read = reader.read(buf, |content| {
        let Some(xml) = &mut ex.xml else {
            return;
        };
        if xml.len() + content.len() > upnp::MAX_XML {
            over = true;
            ex.xml = None;
            return;
        }
        let sniffed = xml.len() >= upnp::SNIFF;
        xml.extend_from_slice(content);
        if !sniffed && xml.len() >= upnp::SNIFF && !upnp::looks_like_description(xml) {
            ex.xml = None;
        }
    });
    ex.length = ex.length.saturating_add(reader.content - before);
    if over {
        out.anomaly("http_upnp_xml_too_large");
    }
    read
}

/// Facts from a UPnP device description served by `side`.
fn read_description(xml: &[u8], side: Side, out: &mut Out<'_>) {
    if !upnp::looks_like_description(xml) {
        return;
    }
    let result = upnp::parse(xml, |d| {
        out.count("upnp_descriptions");
        let fields = [
            ("http.upnp_manufacturer", d.manufacturer),
            ("http.upnp_model_name", d.model_name),
            ("http.upnp_model_number", d.model_number),
            ("http.upnp_model_description", d.model_description),
            ("http.upnp_friendly_name", d.friendly_name),
            ("http.upnp_serial_number", d.serial_number),
            ("http.upnp_device_type", d.device_type),
            ("http.upnp_udn", d.udn),
        ];
        for (key, value) in fields {
            if let Some(v) = value {
                out.fact_text(side, key, v);
            }
        }
        if let Some(url) = d.presentation_url {
            out.fact_text(
                side,
                "http.upnp_presentation_url",
                &message::clean_target(url.as_bytes()),
            );
        }
    });
    match result {
        Ok(()) => {}
        Err(upnp::XmlError::NodeLimit) => out.anomaly("http_upnp_xml_node_limit"),
        Err(upnp::XmlError::Encoding) => out.anomaly("http_upnp_xml_not_utf8"),
        Err(upnp::XmlError::Malformed) => out.anomaly("http_upnp_xml_malformed"),
    }
}
