//! HTTP/1.x message heads (RFC 9112 §2–§5) through `httparse`, with the sensor's caps: a head
//! is at most [`MAX_HEAD`] bytes and at most [`MAX_HEADERS`] header lines are kept. SSDP (UPnP
//! Device Architecture 2.0 §1) borrows this syntax over UDP and reads its heads here too.

use std::mem::MaybeUninit;

use wire::text::find;

/// Longest message head read (RFC 9112 §2.3 leaves it to the recipient; 64 KiB is more than
/// any server accepts by default: Apache 8 KiB per line × 100 lines, nginx 4 × 8 KiB).
pub(crate) const MAX_HEAD: usize = 64 * 1024;

/// Header lines kept per head (CONVENTIONS §6 list limit); the rest are counted.
pub(crate) const MAX_HEADERS: usize = 64;

/// Which start line a head has (RFC 9112 §3 request-line, §4 status-line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    /// `method SP request-target SP HTTP-version`.
    Request,
    /// `HTTP-version SP status-code SP [reason-phrase]`.
    Response,
}

/// The start line of a parsed head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Start<'b> {
    /// RFC 9112 §3.
    Request {
        /// RFC 9110 §9 method token.
        method: &'b str,
        /// RFC 9112 §3.2 request-target, as sent (query included: never emit it whole).
        target: &'b [u8],
        /// Minor version of `HTTP/1.x`.
        minor: u8,
    },
    /// RFC 9112 §4.
    Response {
        /// Minor version of `HTTP/1.x`.
        minor: u8,
        /// RFC 9110 §15 status code.
        code: u16,
    },
}

/// One parsed head: start line, the header fields kept, and how many were dropped.
#[derive(Debug)]
pub(crate) struct Head<'h, 'b> {
    pub(crate) start: Start<'b>,
    pub(crate) headers: &'h [httparse::Header<'b>],
    /// Header lines not kept (over [`MAX_HEADERS`], or not wanted when there were too many).
    pub(crate) dropped: usize,
}

impl<'b> Head<'_, 'b> {
    /// The first field named `name` (field names are case-insensitive, RFC 9110 §5.1), value
    /// trimmed of optional whitespace (RFC 9110 §5.5).
    pub(crate) fn field(&self, name: &str) -> Option<&'b [u8]> {
        self.headers
            .iter()
            .find(|h| h.name.eq_ignore_ascii_case(name))
            .map(|h| wire::text::trim_ascii(h.value))
    }

    /// Every value of the fields named `name`.
    pub(crate) fn fields<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'b [u8]> + 's {
        self.headers
            .iter()
            .filter(move |h| h.name.eq_ignore_ascii_case(name))
            .map(|h| wire::text::trim_ascii(h.value))
    }
}

/// Why a head is not HTTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum HeadError {
    /// RFC 9110 §5.1 field-name.
    HeaderName,
    /// RFC 9110 §5.5 field-value.
    HeaderValue,
    /// Bad line ending.
    NewLine,
    /// RFC 9112 §4 status-line.
    Status,
    /// RFC 9110 §9.1 method token or request-target.
    Token,
    /// RFC 9112 §2.3 HTTP-version.
    Version,
    /// No end of head within [`MAX_HEAD`].
    TooLong,
}

/// Outcome of [`parse_head`].
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Parsed<R> {
    /// A whole head of this many bytes (empty line included), and what the reader made of it.
    Complete(usize, R),
    /// More bytes are needed.
    Partial,
    /// Not an HTTP head.
    Invalid(HeadError),
}

impl From<httparse::Error> for HeadError {
    fn from(e: httparse::Error) -> Self {
        match e {
            httparse::Error::HeaderName => Self::HeaderName,
            httparse::Error::HeaderValue => Self::HeaderValue,
            httparse::Error::NewLine => Self::NewLine,
            httparse::Error::Status => Self::Status,
            httparse::Error::Token => Self::Token,
            httparse::Error::Version => Self::Version,
            // Only reachable from the reduced copy, which keeps at most MAX_HEADERS lines.
            httparse::Error::TooManyHeaders => Self::HeaderName,
        }
    }
}

/// Lenient where real senders are sloppy and the meaning is still clear.
fn config() -> httparse::ParserConfig {
    let mut c = httparse::ParserConfig::default();
    c.allow_spaces_after_header_name_in_responses(true)
        .allow_multiple_spaces_in_request_line_delimiters(true)
        .allow_multiple_spaces_in_response_status_delimiters(true)
        // RFC 9112 §5.2: obs-fold in a response may be replaced by SP.
        .allow_obsolete_multiline_headers_in_responses(true);
    c
}

/// Offset just past the empty line ending a head (RFC 9112 §2.1), searching from `from`.
/// Accepts bare LF line ends (RFC 9112 §2.2 allows recipients to).
pub(crate) fn find_head_end(buf: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while let Some(rel) = buf.get(i..)?.iter().position(|&b| b == b'\n') {
        let lf = i + rel;
        match buf.get(lf + 1..) {
            Some([b'\n', ..]) => return Some(lf + 2),
            Some([b'\r', b'\n', ..]) => return Some(lf + 3),
            _ => i = lf + 1,
        }
    }
    None
}

/// Parses the head at the front of `buf` and hands it to `read`. When the head has more than
/// [`MAX_HEADERS`] fields, only the `wanted` ones (case-insensitive names) are kept, up to the
/// cap, from a bounded copy of the head, and the rest counted in [`Head::dropped`].
pub(crate) fn parse_head<R>(
    buf: &[u8],
    kind: Kind,
    wanted: &[&str],
    read: impl FnOnce(&Head<'_, '_>) -> R,
) -> Parsed<R> {
    match parse_exact(buf, kind, 0, read) {
        Err((HeadErrorOr::TooMany, read)) => reduced(buf, kind, wanted, read),
        Err((HeadErrorOr::Error(e), _)) => Parsed::Invalid(e),
        Ok(None) if buf.len() > MAX_HEAD => Parsed::Invalid(HeadError::TooLong),
        Ok(None) => Parsed::Partial,
        Ok(Some((n, _))) if n > MAX_HEAD => Parsed::Invalid(HeadError::TooLong),
        Ok(Some((n, r))) => Parsed::Complete(n, r),
    }
}

enum HeadErrorOr {
    TooMany,
    Error(HeadError),
}

type Exact<R, F> = Result<Option<(usize, R)>, (HeadErrorOr, F)>;

/// One httparse pass; gives `read` back when the head has too many fields.
fn parse_exact<R, F: FnOnce(&Head<'_, '_>) -> R>(
    buf: &[u8],
    kind: Kind,
    dropped: usize,
    read: F,
) -> Exact<R, F> {
    // Left uninitialised: httparse writes the lines it parses and hands back only those (the
    // 64 empty headers it would otherwise start from cost more than most heads' parsing).
    let mut slots = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
    let config = config();
    let status = match kind {
        Kind::Request => {
            let mut req = httparse::Request::new(&mut []);
            match config.parse_request_with_uninit_headers(&mut req, buf, &mut slots) {
                Ok(httparse::Status::Complete(n)) => {
                    let start = Start::Request {
                        method: req.method.unwrap_or_default(),
                        target: req.path.unwrap_or_default().as_bytes(),
                        minor: req.version.unwrap_or(1),
                    };
                    Ok(Some((n, start, req.headers)))
                }
                Ok(httparse::Status::Partial) => Ok(None),
                Err(e) => Err(e),
            }
        }
        Kind::Response => {
            let mut res = httparse::Response::new(&mut []);
            match config.parse_response_with_uninit_headers(&mut res, buf, &mut slots) {
                Ok(httparse::Status::Complete(n)) => {
                    let start = Start::Response {
                        minor: res.version.unwrap_or(1),
                        code: res.code.unwrap_or_default(),
                    };
                    Ok(Some((n, start, res.headers)))
                }
                Ok(httparse::Status::Partial) => Ok(None),
                Err(e) => Err(e),
            }
        }
    };
    match status {
        Ok(Some((n, start, headers))) => {
            let head = Head {
                start,
                headers,
                dropped,
            };
            Ok(Some((n, read(&head))))
        }
        Ok(None) => Ok(None),
        Err(httparse::Error::TooManyHeaders) => Err((HeadErrorOr::TooMany, read)),
        Err(e) => Err((HeadErrorOr::Error(e.into()), read)),
    }
}

/// A head with too many fields: copy the start line and the wanted fields (at most
/// [`MAX_HEADERS`], with their obs-fold continuation lines) and parse the copy.
fn reduced<R>(
    buf: &[u8],
    kind: Kind,
    wanted: &[&str],
    read: impl FnOnce(&Head<'_, '_>) -> R,
) -> Parsed<R> {
    let Some(end) = find_head_end(buf, 0) else {
        return if buf.len() > MAX_HEAD {
            Parsed::Invalid(HeadError::TooLong)
        } else {
            Parsed::Partial
        };
    };
    if end > MAX_HEAD {
        return Parsed::Invalid(HeadError::TooLong);
    }
    let head = buf.get(..end).unwrap_or_default();
    let mut copy = Vec::with_capacity(end.min(8192));
    let (mut kept, mut dropped, mut keeping, mut started) = (0, 0, false, false);
    for line in head.split_inclusive(|&b| b == b'\n') {
        let blank = matches!(line, b"\r\n" | b"\n");
        if !started {
            // RFC 9112 §2.2: empty lines before the start line are ignored.
            if !blank {
                copy.extend_from_slice(line);
                started = true;
            }
            continue;
        }
        if blank {
            break;
        }
        if matches!(line.first(), Some(b' ' | b'\t')) {
            // RFC 9112 §5.2 obs-fold: belongs to the field before it.
            if keeping {
                copy.extend_from_slice(line);
            }
            continue;
        }
        let name = line.split(|&b| b == b':').next().unwrap_or_default();
        let name = wire::text::trim_ascii(name);
        keeping = kept < MAX_HEADERS
            && wanted
                .iter()
                .any(|w| w.as_bytes().eq_ignore_ascii_case(name));
        if keeping {
            kept += 1;
            copy.extend_from_slice(line);
        } else {
            dropped += 1;
        }
    }
    copy.extend_from_slice(b"\r\n");
    match parse_exact(&copy, kind, dropped, read) {
        Ok(Some((_, r))) => Parsed::Complete(end, r),
        Ok(None) => Parsed::Invalid(HeadError::NewLine),
        Err((HeadErrorOr::Error(e), _)) => Parsed::Invalid(e),
        Err((HeadErrorOr::TooMany, _)) => Parsed::Invalid(HeadError::HeaderName),
    }
}

/// `Product/Version` of the first product token (RFC 9110 §10.1.5 User-Agent, §10.2.4
/// Server: `product *( RWS ( product / comment ) )`, `product = token ["/" product-version]`).
pub(crate) fn first_product(value: &[u8]) -> Option<(&[u8], Option<&[u8]>)> {
    let value = wire::text::trim_ascii(value);
    if value.first() == Some(&b'(') {
        return None;
    }
    let token = value
        .split(|b| b.is_ascii_whitespace())
        .next()
        .unwrap_or_default();
    let mut parts = token.splitn(2, |&b| b == b'/');
    let product = parts.next().filter(|p| !p.is_empty())?;
    Some((product, parts.next().filter(|v| !v.is_empty())))
}

/// A request-target or URL without what must not be kept: the query and fragment (RFC 3986
/// §3.4, §3.5: they carry search terms, identifiers, tokens) and any userinfo in the authority
/// (RFC 3986 §3.2.1: `user:password@`). Wire text, at most 256 bytes.
pub(crate) fn clean_target(target: &[u8]) -> String {
    let end = target
        .iter()
        .position(|&b| b == b'?' || b == b'#')
        .unwrap_or(target.len());
    let target = target.get(..end).unwrap_or_default();
    // absolute-form (RFC 9112 §3.2.2): scheme "://" authority path-abempty.
    if let Some(at) = find(target, b"://") {
        let (scheme, rest) = target.split_at(at + 3);
        let auth_end = rest.iter().position(|&b| b == b'/').unwrap_or(rest.len());
        let (authority, path) = rest.split_at(auth_end);
        let host = match authority.iter().rposition(|&b| b == b'@') {
            Some(i) => authority.get(i + 1..).unwrap_or_default(),
            None => authority,
        };
        let mut joined = Vec::with_capacity(scheme.len() + host.len() + path.len().min(300));
        joined.extend_from_slice(scheme);
        joined.extend_from_slice(host);
        joined.extend_from_slice(path.get(..path.len().min(300)).unwrap_or_default());
        return wire::text::wire_text(&joined);
    }
    wire::text::wire_text(target)
}

/// The media type of a Content-Type or Accept element, without parameters (RFC 9110 §8.3.1).
pub(crate) fn media_type(value: &[u8]) -> &[u8] {
    let end = value.iter().position(|&b| b == b';').unwrap_or(value.len());
    wire::text::trim_ascii(value.get(..end).unwrap_or_default())
}
