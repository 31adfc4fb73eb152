//! The TLS record layer (RFC 5246 §6.2, RFC 8446 §5.1): `ContentType type; ProtocolVersion
//! legacy_record_version; uint16 length; opaque fragment[length]`, and the content check the
//! probe uses.

use wire::cursor::Reader;

use crate::buffer::Framed;

/// Record header length: type (1), version (2), length (2).
pub(crate) const HEADER_LEN: usize = 5;

/// Largest record accepted: RFC 5246 §6.2.3 allows a TLSCiphertext fragment of 2^14 + 2048
/// bytes (RFC 8446 §5.2 narrows it to 2^14 + 256, a subset); a longer one is not TLS.
pub(crate) const MAX_RECORD_LEN: usize = (1 << 14) + 2048;

/// A record's content type (RFC 8446 §5.1 `ContentType`). Unknown values stay representable.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ContentType(pub u8);

impl ContentType {
    /// RFC 5246 §7.1 `change_cipher_spec(20)`.
    pub const CHANGE_CIPHER_SPEC: Self = Self(20);
    /// RFC 5246 §7.2 `alert(21)`.
    pub const ALERT: Self = Self(21);
    /// RFC 5246 §7.4 `handshake(22)`.
    pub const HANDSHAKE: Self = Self(22);
    /// RFC 5246 §6.2 `application_data(23)`.
    pub const APPLICATION_DATA: Self = Self(23);
    /// RFC 6520 §3 `heartbeat(24)`.
    pub const HEARTBEAT: Self = Self(24);
}

/// One record, borrowing its fragment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Record<'a> {
    /// Content type.
    pub content_type: ContentType,
    /// `legacy_record_version` (RFC 8446 §5.1: 0x0301 in a first ClientHello, else 0x0303).
    pub version: u16,
    /// The fragment (plaintext before ChangeCipherSpec, ciphertext after).
    pub fragment: &'a [u8],
}

/// True for a record header's type, version and length that a TLS stack would send.
fn header_is_sane(content_type: u8, major: u8, minor: u8, len: usize) -> bool {
    // RFC 8446 §5.1 record types 20..=23, RFC 6520 heartbeat 24; RFC 5246 appendix E: every
    // SSL 3.0 / TLS version has major 3 (minor 0 = SSL 3.0 … 4 = TLS 1.3 drafts' records).
    (20..=24).contains(&content_type) && major == 3 && minor <= 4 && len <= MAX_RECORD_LEN
}

/// Frames one record at the front of `b` (for [`crate::buffer::StreamBuf`]).
pub(crate) fn frame(b: &[u8]) -> Framed {
    let mut r = Reader::new(b);
    let (Ok(content_type), Ok([major, minor]), Ok(len)) = (r.u8(), r.array::<2>(), r.u16()) else {
        return Framed::Incomplete(HEADER_LEN);
    };
    if !header_is_sane(content_type, major, minor, usize::from(len)) {
        return Framed::Invalid;
    }
    let total = HEADER_LEN + usize::from(len);
    if b.len() >= total {
        Framed::Message(total)
    } else {
        Framed::Incomplete(total)
    }
}

/// Why [`parse`] rejected a record header (the stable anomaly name).
pub(crate) fn header_error(b: &[u8]) -> &'static str {
    let mut r = Reader::new(b);
    match (r.u8(), r.array::<2>(), r.u16()) {
        (Ok(t), _, _) if !(20..=24).contains(&t) => "tls_bad_content_type",
        (_, Ok([major, minor]), _) if major != 3 || minor > 4 => "tls_bad_record_version",
        (_, _, Ok(len)) if usize::from(len) > MAX_RECORD_LEN => "tls_record_too_long",
        _ => "tls_bad_record",
    }
}

/// Splits one whole record (as framed by [`frame`]) into its parts.
pub(crate) fn parse(b: &[u8]) -> Option<Record<'_>> {
    let mut r = Reader::new(b);
    let content_type = ContentType(r.u8().ok()?);
    let version = r.u16().ok()?;
    let fragment = r.u16_prefixed().ok()?;
    Some(Record {
        content_type,
        version,
        fragment,
    })
}

/// What the first bytes of a side look like.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Start {
    /// A TLS handshake record carrying this handshake type first.
    Handshake(u8),
    /// An SSL 2.0-compatible ClientHello (RFC 5246 appendix E.2).
    Sslv2Hello,
    /// A prefix of one of the above.
    Prefix,
    /// Neither.
    Other,
}

/// Classifies the first bytes a side sent (the probe's content check).
pub(crate) fn classify(first: &[u8]) -> Start {
    match *first {
        // RFC 5246 §6.2.1 header of a handshake record, then the handshake type (§7.4).
        [22, 3, minor, hi, lo, msg_type, ..] => {
            let len = usize::from(u16::from_be_bytes([hi, lo]));
            // A hello is at least its 4-byte handshake header plus version and random.
            if minor <= 4 && (4..=MAX_RECORD_LEN).contains(&len) {
                Start::Handshake(msg_type)
            } else {
                Start::Other
            }
        }
        [] | [22] | [22, 3] => Start::Prefix,
        [22, 3, minor, ..] if minor <= 4 => Start::Prefix,
        // RFC 5246 E.2: a two-byte length with the top bit set, msg_type 1 (CLIENT-HELLO),
        // then the highest version the client supports (0x0002 SSL 2.0 or 0x03xx).
        [b0, _, 1, major, minor, ..] if b0 & 0x80 != 0 => {
            if (major == 0 && minor == 2) || (major == 3 && minor <= 4) {
                Start::Sslv2Hello
            } else {
                Start::Other
            }
        }
        [b0] | [b0, _] if b0 & 0x80 != 0 => Start::Prefix,
        [b0, _, 1] | [b0, _, 1, 0 | 3] if b0 & 0x80 != 0 => Start::Prefix,
        _ => Start::Other,
    }
}
