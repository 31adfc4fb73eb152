//! SSDP messages (UPnP Device Architecture 2.0 §1): HTTP-syntax heads over UDP, one per
//! datagram — `NOTIFY * HTTP/1.1` (§1.2 advertisements), `M-SEARCH * HTTP/1.1` (§1.3.2
//! searches) and `HTTP/1.1 200 OK` (§1.3.3 search responses).

use crate::http::message::{self, Head, HeadError, Kind, Parsed, Start};

/// Header fields SSDP reads: kept first when a message has too many fields.
const WANTED: &[&str] = &["nt", "nts", "st", "usn", "server", "location", "user-agent"];

/// Which SSDP message a datagram is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Method {
    /// UDA 2.0 §1.2.2 / §1.2.3: `ssdp:alive`, `ssdp:byebye`, `ssdp:update`.
    Notify,
    /// UDA 2.0 §1.3.2.
    MSearch,
    /// UDA 2.0 §1.3.3 search response (status code kept).
    Response(u16),
}

impl Method {
    /// Name for events.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Notify => "NOTIFY",
            Self::MSearch => "M-SEARCH",
            Self::Response(_) => "response",
        }
    }
}

/// The fields of one SSDP message, borrowed from the datagram (values trimmed).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Message<'a> {
    pub(crate) method: Method,
    /// NT: notification type (NOTIFY).
    pub(crate) nt: Option<&'a [u8]>,
    /// NTS: notification sub type (NOTIFY).
    pub(crate) nts: Option<&'a [u8]>,
    /// ST: search target (M-SEARCH, response).
    pub(crate) st: Option<&'a [u8]>,
    /// USN: unique service name (`uuid:device-UUID[::type]`).
    pub(crate) usn: Option<&'a [u8]>,
    /// SERVER: `OS/version UPnP/2.0 product/version` (NOTIFY, response).
    pub(crate) server: Option<&'a [u8]>,
    /// LOCATION: URL of the device description (NOTIFY, response).
    pub(crate) location: Option<&'a [u8]>,
    /// USER-AGENT: `OS/version UPnP/2.0 product/version` (M-SEARCH, optional).
    pub(crate) user_agent: Option<&'a [u8]>,
    /// Header fields not kept (over 64).
    pub(crate) dropped: usize,
    /// The head had no final empty line.
    pub(crate) unterminated: bool,
}

/// Why a datagram is not an SSDP message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Error {
    /// Not a well-formed head.
    Syntax(HeadError),
    /// The head ends without its empty line (truncated datagram).
    Truncated,
    /// A well-formed head that is not one of the three SSDP start lines.
    NotSsdp,
}

impl Error {
    /// Stable anomaly name.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Syntax(HeadError::TooLong) => "ssdp_head_too_long",
            Self::Syntax(_) => "ssdp_invalid_head",
            Self::Truncated => "ssdp_truncated",
            Self::NotSsdp => "ssdp_unknown_start_line",
        }
    }
}

/// The start line of a datagram (UDA 2.0 §1.2.2, §1.3.2, §1.3.3), `None` when it is none of
/// SSDP's three.
pub(crate) fn start_kind(datagram: &[u8]) -> Option<Kind> {
    if datagram.starts_with(b"NOTIFY * HTTP/1.") || datagram.starts_with(b"M-SEARCH * HTTP/1.") {
        Some(Kind::Request)
    } else if datagram.starts_with(b"HTTP/1.") {
        Some(Kind::Response)
    } else {
        None
    }
}

/// Parses one datagram and calls `read` with its fields. A head without its final empty line
/// (some senders stop after the last field) is read as if it had one and marked
/// [`Message::unterminated`].
pub(crate) fn parse<R>(datagram: &[u8], read: impl FnOnce(&Message<'_>) -> R) -> Result<R, Error> {
    let kind = start_kind(datagram).ok_or(Error::NotSsdp)?;
    let owned;
    let unterminated = message::find_head_end(datagram, 0).is_none();
    let bytes = if unterminated {
        owned = [datagram, b"\r\n\r\n"].concat();
        &owned[..]
    } else {
        datagram
    };
    let parsed = message::parse_head(bytes, kind, WANTED, |head| {
        method_of(head).map(|method| {
            read(&Message {
                method,
                nt: head.field("nt"),
                nts: head.field("nts"),
                st: head.field("st"),
                usn: head.field("usn"),
                server: head.field("server"),
                location: head.field("location"),
                user_agent: head.field("user-agent"),
                dropped: head.dropped,
                unterminated,
            })
        })
    });
    match parsed {
        Parsed::Complete(_, Some(r)) => Ok(r),
        Parsed::Complete(_, None) => Err(Error::NotSsdp),
        Parsed::Partial => Err(Error::Truncated),
        Parsed::Invalid(e) => Err(Error::Syntax(e)),
    }
}

fn method_of(head: &Head<'_, '_>) -> Option<Method> {
    match head.start {
        Start::Request {
            method: "NOTIFY",
            target: b"*",
            ..
        } => Some(Method::Notify),
        Start::Request {
            method: "M-SEARCH",
            target: b"*",
            ..
        } => Some(Method::MSearch),
        Start::Response { code, .. } => Some(Method::Response(code)),
        Start::Request { .. } => None,
    }
}

/// The `uuid:device-UUID` part of a USN (UDA 2.0 §1.1.4: `uuid:device-UUID[::urn:...]`).
pub(crate) fn usn_uuid(usn: &[u8]) -> &[u8] {
    match wire::text::find(usn, b"::") {
        Some(i) => usn.get(..i).unwrap_or_default(),
        None => usn,
    }
}

/// A product named in a SERVER or USER-AGENT value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Product<'a> {
    /// Name, before the `/`.
    pub(crate) name: &'a [u8],
    /// Version, after it.
    pub(crate) version: Option<&'a [u8]>,
    /// The whole part of the value this was read from.
    pub(crate) raw: &'a [u8],
}

/// UDA 2.0 §1.2.2 SERVER / §1.3.2 USER-AGENT: `OS/version UPnP/2.0 product/version` (UDA 1.0
/// separated them with commas). Returns the OS and product parts, each split at its `/`; a
/// value without a `UPnP/<digit>` token is all product (`Google Chrome/99.0 Mac OS X`).
pub(crate) fn server_parts(value: &[u8]) -> (Option<Product<'_>>, Option<Product<'_>>) {
    let value = wire::text::trim_ascii(value);
    // The last token `UPnP/<digit>...` separates OS from product.
    let mut upnp: Option<(usize, usize)> = None;
    let mut i = 0;
    while i < value.len() {
        let start = i;
        while i < value.len() && !value.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        let token = value.get(start..i).unwrap_or_default();
        let token = token.strip_suffix(b",").unwrap_or(token);
        if token.len() > 5
            && token
                .get(..5)
                .is_some_and(|p| p.eq_ignore_ascii_case(b"upnp/"))
            && token.get(5).is_some_and(u8::is_ascii_digit)
        {
            upnp = Some((start, i));
        }
        while i < value.len() && value.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
    }
    let Some((start, end)) = upnp else {
        return (None, split_product(value));
    };
    let os = trim_sep(value.get(..start).unwrap_or_default());
    let product = trim_sep(value.get(end..).unwrap_or_default());
    (split_product(os), split_product(product))
}

/// Whitespace and the UDA 1.0 comma separators trimmed.
fn trim_sep(v: &[u8]) -> &[u8] {
    let v = wire::text::trim_ascii(v);
    let v = v.strip_prefix(b",").unwrap_or(v);
    let v = v.strip_suffix(b",").unwrap_or(v);
    wire::text::trim_ascii(v)
}

/// `name/version rest`: name is everything before the first `/` (it may hold spaces:
/// `Portable SDK for UPnP devices/1.6.19`), version runs to the next space or comma.
fn split_product(v: &[u8]) -> Option<Product<'_>> {
    if v.is_empty() {
        return None;
    }
    match v.iter().position(|&b| b == b'/') {
        Some(slash) => {
            let name = trim_sep(v.get(..slash).unwrap_or_default());
            let rest = v.get(slash + 1..).unwrap_or_default();
            let end = rest
                .iter()
                .position(|&b| b.is_ascii_whitespace() || b == b',')
                .unwrap_or(rest.len());
            let version = rest.get(..end).filter(|s| !s.is_empty());
            (!name.is_empty()).then_some(Product {
                name,
                version,
                raw: v,
            })
        }
        None => Some(Product {
            name: v,
            version: None,
            raw: v,
        }),
    }
}
