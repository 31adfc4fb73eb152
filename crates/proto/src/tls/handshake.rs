//! Handshake messages (RFC 8446 §4, RFC 5246 §7.4): `HandshakeType msg_type; uint24 length;`
//! then the body. ClientHello, ServerHello and Certificate are decoded; the rest are only
//! named. Every function takes one whole message body (framed by [`frame`]), so a short read
//! is a malformed message, never "wait for more".

use wire::cursor::{ReadError, Reader};

use super::fingerprint::is_grease;
use crate::buffer::Framed;

/// Handshake header: type (1) and uint24 length (3).
pub(crate) const HEADER_LEN: usize = 4;

/// ALPN protocol names kept from one hello (CONVENTIONS §6 list limit); the rest counted.
pub(crate) const MAX_ALPN: usize = 64;

/// Certificates kept from one chain (CONVENTIONS §6 list limit); the rest counted.
pub(crate) const MAX_CERTS: usize = 64;

/// Largest certificate handed to the X.509 parser: real ones are 1–8 KiB; a bigger one is
/// counted and skipped rather than parsed.
pub(crate) const MAX_CERT_LEN: usize = 64 * 1024;

/// Handshake message types (RFC 8446 §4 `HandshakeType`, RFC 5246 §7.4, RFC 6066 §8).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct HandshakeType(pub u8);

impl HandshakeType {
    /// hello_request(0), RFC 5246 §7.4.1.1.
    pub const HELLO_REQUEST: Self = Self(0);
    /// client_hello(1).
    pub const CLIENT_HELLO: Self = Self(1);
    /// server_hello(2).
    pub const SERVER_HELLO: Self = Self(2);
    /// new_session_ticket(4), RFC 5077 §3.3.
    pub const NEW_SESSION_TICKET: Self = Self(4);
    /// certificate(11).
    pub const CERTIFICATE: Self = Self(11);
    /// server_key_exchange(12).
    pub const SERVER_KEY_EXCHANGE: Self = Self(12);
    /// certificate_request(13).
    pub const CERTIFICATE_REQUEST: Self = Self(13);
    /// server_hello_done(14).
    pub const SERVER_HELLO_DONE: Self = Self(14);
    /// certificate_verify(15).
    pub const CERTIFICATE_VERIFY: Self = Self(15);
    /// client_key_exchange(16).
    pub const CLIENT_KEY_EXCHANGE: Self = Self(16);
    /// certificate_status(22), RFC 6066 §8.
    pub const CERTIFICATE_STATUS: Self = Self(22);
}

/// Extension types read here (IANA "TLS ExtensionType Values").
pub(crate) mod ext {
    /// server_name, RFC 6066 §3.
    pub const SERVER_NAME: u16 = 0;
    /// supported_groups (elliptic_curves), RFC 8422 §5.1.1, RFC 8446 §4.2.7.
    pub const SUPPORTED_GROUPS: u16 = 10;
    /// ec_point_formats, RFC 8422 §5.1.2.
    pub const EC_POINT_FORMATS: u16 = 11;
    /// signature_algorithms, RFC 8446 §4.2.3.
    pub const SIGNATURE_ALGORITHMS: u16 = 13;
    /// application_layer_protocol_negotiation, RFC 7301 §3.1.
    pub const ALPN: u16 = 16;
    /// supported_versions, RFC 8446 §4.2.1.
    pub const SUPPORTED_VERSIONS: u16 = 43;
}

/// RFC 8446 §4.1.3: a HelloRetryRequest is a ServerHello whose random is SHA-256 of
/// "HelloRetryRequest".
pub(crate) const HELLO_RETRY_REQUEST_RANDOM: [u8; 32] = [
    0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91,
    0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c,
];

/// Frames one handshake message at the front of the handshake byte stream.
pub(crate) fn frame(b: &[u8]) -> Framed {
    let mut r = Reader::new(b);
    let (Ok(_), Ok(len)) = (r.u8(), r.u24()) else {
        return Framed::Incomplete(HEADER_LEN);
    };
    let total = HEADER_LEN + len as usize;
    if b.len() >= total {
        Framed::Message(total)
    } else {
        Framed::Incomplete(total)
    }
}

/// Splits a whole message into its type and body.
pub(crate) fn split(msg: &[u8]) -> Option<(HandshakeType, &[u8])> {
    let mut r = Reader::new(msg);
    let t = r.u8().ok()?;
    let body = r.u24_prefixed().ok()?;
    Some((HandshakeType(t), body))
}

/// A ClientHello's fields that identify the client. Lists are in wire order, GREASE
/// included (the fingerprints drop it); they are bounded by the message's own length
/// fields (at most 32,767 cipher suites, 16,383 extensions) and dropped after parsing.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct ClientHello<'a> {
    /// `legacy_version` (RFC 8446 §4.1.2; the offered version in TLS ≤ 1.2).
    pub legacy_version: u16,
    /// `cipher_suites`.
    pub ciphers: Vec<u16>,
    /// Extension types, in order.
    pub extensions: Vec<u16>,
    /// The first `host_name` of server_name (RFC 6066 §3).
    pub sni: Option<&'a [u8]>,
    /// ALPN protocol names (RFC 7301 §3.1), at most [`MAX_ALPN`].
    pub alpn: Vec<&'a [u8]>,
    /// ALPN names past [`MAX_ALPN`].
    pub alpn_dropped: usize,
    /// supported_groups.
    pub groups: Vec<u16>,
    /// ec_point_formats.
    pub point_formats: Vec<u8>,
    /// signature_algorithms.
    pub signature_algorithms: Vec<u16>,
    /// supported_versions (RFC 8446 §4.2.1 client form).
    pub supported_versions: Vec<u16>,
    /// The first malformed extension body, if any (the hello is still used).
    pub bad_extension: Option<&'static str>,
}

/// A ServerHello's fields (RFC 8446 §4.1.3, RFC 5246 §7.4.1.3).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct ServerHello<'a> {
    /// `legacy_version` (the negotiated version in TLS ≤ 1.2; 0x0303 in TLS 1.3).
    pub legacy_version: u16,
    /// True when the random is [`HELLO_RETRY_REQUEST_RANDOM`].
    pub retry_request: bool,
    /// `cipher_suite`.
    pub cipher: u16,
    /// Extension types, in order.
    pub extensions: Vec<u16>,
    /// supported_versions' `selected_version` (RFC 8446 §4.2.1 server form).
    pub selected_version: Option<u16>,
    /// The ALPN protocol the server chose (RFC 7301 §3.1: exactly one).
    pub alpn: Option<&'a [u8]>,
    /// The first malformed extension body, if any.
    pub bad_extension: Option<&'static str>,
}

impl ServerHello<'_> {
    /// The negotiated version: supported_versions when present (RFC 8446 §4.2.1), else
    /// `legacy_version`.
    pub fn version(&self) -> u16 {
        self.selected_version.unwrap_or(self.legacy_version)
    }
}

/// Certificates of a Certificate message (RFC 5246 §7.4.2): the leaf, the rest counted
/// (only the leaf is decoded, so the chain is not kept).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct CertificateList<'a> {
    /// The first certificate kept (the leaf, unless it was over [`MAX_CERT_LEN`]).
    pub leaf: Option<&'a [u8]>,
    /// DER certificates kept: at most [`MAX_CERTS`], each at most [`MAX_CERT_LEN`] bytes.
    pub kept: usize,
    /// Certificates past [`MAX_CERTS`].
    pub dropped: usize,
    /// Certificates over [`MAX_CERT_LEN`] (not kept).
    pub oversized: usize,
    /// True when the leaf was over [`MAX_CERT_LEN`].
    pub leaf_oversized: bool,
}

/// A short read inside a whole message means its lengths disagree: malformed.
fn or<T>(r: Result<T, ReadError>, reason: &'static str) -> Result<T, &'static str> {
    r.map_err(|_| reason)
}

/// `bytes` when it can be a list of u16 values (odd lengths are malformed).
fn even<'a>(bytes: &'a [u8], reason: &'static str) -> Result<&'a [u8], &'static str> {
    if bytes.len().is_multiple_of(2) {
        Ok(bytes)
    } else {
        Err(reason)
    }
}

/// The big-endian u16 values of `bytes` (checked by [`even`]).
fn u16s(bytes: &[u8]) -> Vec<u16> {
    bytes
        .chunks_exact(2)
        .filter_map(|c| <[u8; 2]>::try_from(c).ok().map(u16::from_be_bytes))
        .collect()
}

/// A list of big-endian u16 values, `bytes` long (odd lengths are malformed).
fn u16_list(bytes: &[u8], reason: &'static str) -> Result<Vec<u16>, &'static str> {
    even(bytes, reason).map(u16s)
}

/// Walks `extensions` (`Extension extensions<0..2^16-1>`, RFC 8446 §4.2): calls `each` with
/// every type and body, in order.
fn walk_extensions<'a>(
    r: &mut Reader<'a>,
    mut each: impl FnMut(u16, &'a [u8]),
) -> Result<(), &'static str> {
    // RFC 5246 §7.4.1.2: the extensions block may be absent altogether (SSL 3.0 hellos).
    if r.is_empty() {
        return Ok(());
    }
    let mut exts = Reader::new(or(r.u16_prefixed(), "tls_bad_extensions_length")?);
    while !exts.is_empty() {
        let t = or(exts.u16(), "tls_bad_extension")?;
        let body = or(exts.u16_prefixed(), "tls_bad_extension")?;
        each(t, body);
    }
    Ok(())
}

/// Parses a ClientHello body (RFC 8446 §4.1.2), every list included (what the fingerprints
/// read).
pub(crate) fn client_hello(body: &[u8]) -> Result<ClientHello<'_>, &'static str> {
    parse_client_hello(body, true, &mut Vec::new())
}

/// Checks a ClientHello body exactly as [`client_hello`] does and keeps what every connection
/// needs (SNI, ALPN, the limit counts, the first bad extension) but not the lists; `key` gets
/// the fingerprints' inputs: `legacy_version`, the cipher suites, every extension type and what
/// the fingerprints read of supported_groups, ec_point_formats, signature_algorithms, ALPN and
/// supported_versions. Every GREASE value (RFC 8701 §2), which the fingerprints leave out, is
/// written as 0x0A0A. A client stack sends the same key on every connection whatever its
/// random, session id, key shares (RFC 8446 §4.2.8) and GREASE draws, so the fingerprints are
/// computed once per key.
pub(crate) fn client_hello_lean<'a>(
    body: &'a [u8],
    key: &mut Vec<u8>,
) -> Result<ClientHello<'a>, &'static str> {
    parse_client_hello(body, false, key)
}

/// Appends `bytes` to a fingerprint key after its uint16 length (lengths inside one message
/// fit: an extension body is `<0..2^16-1>`), so the key reads back unambiguously.
fn push_prefixed(key: &mut Vec<u8>, bytes: &[u8]) {
    let len = u16::try_from(bytes.len()).unwrap_or(u16::MAX);
    key.extend_from_slice(&len.to_be_bytes());
    key.extend_from_slice(bytes);
}

/// Appends a list of u16 values (checked by [`even`]) like [`push_prefixed`], each GREASE
/// value as 0x0A0A (copied whole, then rewritten in place: keys are built on every hello).
fn push_u16s(key: &mut Vec<u8>, bytes: &[u8]) {
    let start = key.len() + 2;
    push_prefixed(key, bytes);
    for v in key.get_mut(start..).unwrap_or_default().chunks_exact_mut(2) {
        // RFC 8701 §2, as `is_grease`: both bytes equal, low nibble A.
        if let [hi, lo] = v
            && hi == lo
            && *lo & 0x0f == 0x0a
        {
            *hi = 0x0a;
            *lo = 0x0a;
        }
    }
}

/// Appends an extension's part of a fingerprint key: 1 then `list` (as `push`
/// writes it) when it parsed, else 0 (a malformed body leaves the lists as they were).
fn push_parsed(key: &mut Vec<u8>, list: Option<&[u8]>, push: fn(&mut Vec<u8>, &[u8])) {
    match list {
        Some(l) => {
            key.push(1);
            push(key, l);
        }
        None => key.push(0),
    }
}

/// The ClientHello parse behind [`client_hello`] (`lists`) and [`client_hello_lean`] (`key`):
/// one walk, so both accept and reject the same bodies.
fn parse_client_hello<'a>(
    body: &'a [u8],
    lists: bool,
    key: &mut Vec<u8>,
) -> Result<ClientHello<'a>, &'static str> {
    let mut r = Reader::new(body);
    let bad = "tls_bad_client_hello";
    let mut hello = ClientHello {
        legacy_version: or(r.u16(), bad)?,
        ..ClientHello::default()
    };
    or(r.skip(32), bad)?; // Random random
    let session_id = or(r.u8_prefixed(), bad)?; // opaque legacy_session_id<0..32>
    if session_id.len() > 32 {
        return Err(bad);
    }
    let suites = or(r.u16_prefixed(), bad)?; // CipherSuite cipher_suites<2..2^16-2>
    if lists {
        hello.ciphers = u16_list(suites, bad)?;
    } else {
        even(suites, bad)?;
        key.extend_from_slice(&hello.legacy_version.to_be_bytes());
        push_u16s(key, suites);
    }
    let _compression = or(r.u8_prefixed(), bad)?; // opaque legacy_compression_methods<1..2^8-1>
    let mut bad_ext = None;
    walk_extensions(&mut r, |t, data| {
        if lists {
            hello.extensions.push(t);
        } else {
            let t = if is_grease(t) { 0x0a0a } else { t };
            key.extend_from_slice(&t.to_be_bytes());
        }
        let parsed = match t {
            ext::SERVER_NAME => server_name(data).map(|n| hello.sni = hello.sni.or(n)),
            ext::SUPPORTED_GROUPS => {
                let l = u16_prefixed_list(data).map_err(|_| "tls_bad_supported_groups");
                if lists {
                    l.map(|l| hello.groups = u16s(l))
                } else {
                    push_parsed(key, l.ok(), push_u16s);
                    l.map(|_| ())
                }
            }
            // RFC 8422 §5.1.2: ECPointFormat ec_point_format_list<1..2^8-1>
            ext::EC_POINT_FORMATS => {
                let l = Reader::new(data)
                    .u8_prefixed()
                    .map_err(|_| "tls_bad_ec_point_formats");
                if lists {
                    l.map(|l| hello.point_formats = l.to_vec())
                } else {
                    push_parsed(key, l.ok(), push_prefixed);
                    l.map(|_| ())
                }
            }
            ext::SIGNATURE_ALGORITHMS => {
                let l = u16_prefixed_list(data).map_err(|_| "tls_bad_signature_algorithms");
                if lists {
                    l.map(|l| hello.signature_algorithms = u16s(l))
                } else {
                    push_parsed(key, l.ok(), push_u16s);
                    l.map(|_| ())
                }
            }
            ext::ALPN => {
                if !lists {
                    push_prefixed(key, data);
                }
                alpn_list(data, &mut hello.alpn, &mut hello.alpn_dropped)
            }
            // RFC 8446 §4.2.1: ProtocolVersion versions<2..254> (one-byte length).
            ext::SUPPORTED_VERSIONS => {
                let l = Reader::new(data)
                    .u8_prefixed()
                    .map_err(|_| "tls_bad_supported_versions")
                    .and_then(|l| even(l, "tls_bad_supported_versions"));
                if lists {
                    l.map(|l| hello.supported_versions = u16s(l))
                } else {
                    push_parsed(key, l.ok(), push_u16s);
                    l.map(|_| ())
                }
            }
            _ => Ok(()),
        };
        if let Err(reason) = parsed {
            bad_ext = bad_ext.or(Some(reason));
        }
    })?;
    hello.bad_extension = bad_ext;
    Ok(hello)
}

/// `uint16 length` then that many bytes of u16 values: the values' bytes.
fn u16_prefixed_list(data: &[u8]) -> Result<&[u8], &'static str> {
    let list = or(Reader::new(data).u16_prefixed(), "tls_bad_list")?;
    even(list, "tls_bad_list")
}

/// RFC 6066 §3: `ServerName server_name_list<1..2^16-1>`, each `NameType name_type;
/// HostName host_name<1..2^16-1>` for name_type host_name(0). The first host name.
fn server_name(data: &[u8]) -> Result<Option<&[u8]>, &'static str> {
    let bad = "tls_bad_server_name";
    // RFC 6066 §3: a server's server_name extension is empty.
    if data.is_empty() {
        return Ok(None);
    }
    let mut list = Reader::new(or(Reader::new(data).u16_prefixed(), bad)?);
    while !list.is_empty() {
        let name_type = or(list.u8(), bad)?;
        let name = or(list.u16_prefixed(), bad)?;
        if name_type == 0 && !name.is_empty() {
            return Ok(Some(name));
        }
    }
    Ok(None)
}

/// RFC 7301 §3.1: `ProtocolName protocol_name_list<2..2^16-1>`, each `opaque
/// ProtocolName<1..2^8-1>`.
fn alpn_list<'a>(
    data: &'a [u8],
    out: &mut Vec<&'a [u8]>,
    dropped: &mut usize,
) -> Result<(), &'static str> {
    let bad = "tls_bad_alpn";
    let mut list = Reader::new(or(Reader::new(data).u16_prefixed(), bad)?);
    while !list.is_empty() {
        let name = or(list.u8_prefixed(), bad)?;
        if out.len() < MAX_ALPN {
            out.push(name);
        } else {
            *dropped += 1;
        }
    }
    Ok(())
}

/// Parses a ServerHello body (RFC 8446 §4.1.3; RFC 5246 §7.4.1.3).
pub(crate) fn server_hello(body: &[u8]) -> Result<ServerHello<'_>, &'static str> {
    let mut r = Reader::new(body);
    let bad = "tls_bad_server_hello";
    let mut hello = ServerHello {
        legacy_version: or(r.u16(), bad)?,
        ..ServerHello::default()
    };
    let random = or(r.array::<32>(), bad)?;
    hello.retry_request = random == HELLO_RETRY_REQUEST_RANDOM;
    // draft-ietf-tls-tls13-21 §4.1.3 and earlier drafts (version 0x7f00 + draft < 22) put
    // the real version here and had no session id echo or compression method.
    let early_draft = matches!(hello.legacy_version, 0x7f00..=0x7f15);
    if !early_draft {
        let session_id = or(r.u8_prefixed(), bad)?; // legacy_session_id_echo<0..32>
        if session_id.len() > 32 {
            return Err(bad);
        }
    }
    hello.cipher = or(r.u16(), bad)?;
    if !early_draft {
        let _compression = or(r.u8(), bad)?; // legacy_compression_method
    }
    let mut bad_ext = None;
    walk_extensions(&mut r, |t, data| {
        hello.extensions.push(t);
        let parsed = match t {
            // RFC 8446 §4.2.1: the server sends one `ProtocolVersion selected_version`.
            ext::SUPPORTED_VERSIONS => match Reader::new(data).u16() {
                Ok(v) if data.len() == 2 => {
                    hello.selected_version = Some(v);
                    Ok(())
                }
                _ => Err("tls_bad_supported_versions"),
            },
            ext::ALPN => {
                let mut names = Vec::new();
                let mut dropped = 0;
                let res = alpn_list(data, &mut names, &mut dropped);
                hello.alpn = names.first().copied();
                res
            }
            _ => Ok(()),
        };
        if let Err(reason) = parsed {
            bad_ext = bad_ext.or(Some(reason));
        }
    })?;
    hello.bad_extension = bad_ext;
    Ok(hello)
}

/// Parses a TLS ≤ 1.2 Certificate body (RFC 5246 §7.4.2): `ASN.1Cert
/// certificate_list<0..2^24-1>`, each `opaque ASN.1Cert<1..2^24-1>`.
pub(crate) fn certificate_list(body: &[u8]) -> Result<CertificateList<'_>, &'static str> {
    let bad = "tls_bad_certificate_list";
    let mut r = Reader::new(body);
    let mut list = Reader::new(or(r.u24_prefixed(), bad)?);
    let mut out = CertificateList::default();
    let mut index = 0usize;
    while !list.is_empty() {
        let cert = or(list.u24_prefixed(), bad)?;
        if index >= MAX_CERTS {
            out.dropped += 1;
        } else if cert.len() > MAX_CERT_LEN {
            out.oversized += 1;
            out.leaf_oversized |= index == 0;
        } else {
            out.leaf = out.leaf.or(Some(cert));
            out.kept += 1;
        }
        index += 1;
    }
    Ok(out)
}
