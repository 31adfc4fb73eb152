//! Syslog messages: the BSD format (RFC 3164 §4.1: `<PRI>TIMESTAMP HOSTNAME TAG[pid]: MSG`)
//! and the IETF format (RFC 5424 §6: `<PRI>VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP
//! PROCID SP MSGID SP STRUCTURED-DATA [SP MSG]`), and RFC 6587 §3.4 TCP framing. The MSG
//! part is never read: it can carry anything.

use crate::buffer::Framed;

/// Longest message framed on TCP (RFC 5425 §4.3.1 asks receivers for 2,048 octets and
/// suggests 8,192; rsyslog's default maximum is 8 KiB, some senders go to 64 KiB).
pub(crate) const MAX_MESSAGE: usize = 64 * 1024;

/// RFC 5424 §6: HOSTNAME is at most 255 octets, APP-NAME 48, PROCID 128, MSGID 32.
const MAX_HOSTNAME: usize = 255;
const MAX_APP_NAME: usize = 48;

/// Which header format.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Format {
    Rfc3164,
    Rfc5424,
}

impl Format {
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Rfc3164 => "rfc3164",
            Self::Rfc5424 => "rfc5424",
        }
    }
}

/// One message's header, borrowing the bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header<'a> {
    pub format: Format,
    /// RFC 5424 §6.2.1: PRI = facility × 8 + severity.
    pub facility: u8,
    pub severity: u8,
    /// The sender's own name (absent, or RFC 5424 NILVALUE `-`, when not sent).
    pub hostname: Option<&'a [u8]>,
    /// RFC 5424 APP-NAME or the RFC 3164 TAG.
    pub app_name: Option<&'a [u8]>,
    /// A PROCID or `[pid]` was sent.
    pub procid_present: bool,
}

/// `<PRI>`: 1–3 digits, at most 191 (RFC 5424 §6.2.1). Returns PRI and the bytes after `>`;
/// `Err(true)` when `b` is a prefix of a valid PRI (more bytes could make it one).
pub(crate) fn pri(b: &[u8]) -> Result<(u8, &[u8]), bool> {
    let rest = match b.split_first() {
        Some((b'<', rest)) => rest,
        Some(_) => return Err(false),
        None => return Err(true),
    };
    let digits = rest.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits > 3 {
        return Err(false);
    }
    let Some(&end) = rest.get(digits) else {
        return Err(true);
    };
    if end != b'>' || digits == 0 {
        return Err(false);
    }
    let value = rest
        .get(..digits)
        .unwrap_or_default()
        .iter()
        .fold(0u16, |a, &d| a * 10 + u16::from(d - b'0'));
    if value > 191 {
        return Err(false);
    }
    Ok((value as u8, rest.get(digits + 1..).unwrap_or_default()))
}

/// RFC 6587 §3.4.1 octet counting: `MSG-LEN SP SYSLOG-MSG`, MSG-LEN = NONZERO-DIGIT
/// *DIGIT. Returns (length, digits + 1); `None` when `b` does not start that way; `Some((0,
/// 0))` when the count is still incomplete.
pub(crate) fn octet_count(b: &[u8]) -> Option<(usize, usize)> {
    let digits = b.iter().take_while(|c| c.is_ascii_digit()).count();
    if digits == 0 || digits > 7 || b.first() == Some(&b'0') {
        return None;
    }
    match b.get(digits) {
        None => Some((0, 0)),
        Some(b' ') => {
            let n = b
                .get(..digits)
                .unwrap_or_default()
                .iter()
                .fold(0usize, |a, &d| a * 10 + usize::from(d - b'0'));
            (n > 0).then_some((n, digits + 1))
        }
        Some(_) => None,
    }
}

/// RFC 6587 framing of a TCP stream: octet counting (§3.4.1) when the message starts with a
/// digit, else non-transparent framing ending at LF (§3.4.2; NUL also seen in practice).
pub(crate) fn frame(b: &[u8]) -> Framed {
    match b.first() {
        None => Framed::Incomplete(1),
        Some(c) if c.is_ascii_digit() => match octet_count(b) {
            Some((0, 0)) => Framed::Incomplete(b.len() + 1),
            Some((n, skip)) => {
                let total = n + skip;
                if b.len() >= total {
                    Framed::Message(total)
                } else {
                    Framed::Incomplete(total)
                }
            }
            None => Framed::Invalid,
        },
        Some(b'<') => match b.iter().position(|&c| c == b'\n' || c == 0) {
            Some(i) => Framed::Message(i + 1),
            None => Framed::Incomplete(b.len() + 1),
        },
        // Stray line ends between messages.
        Some(b'\r' | b'\n' | 0) => Framed::Skip(1),
        Some(_) => Framed::Invalid,
    }
}

/// The syslog message inside one TCP frame (octet count and trailing LF removed).
pub(crate) fn unframe(frame: &[u8]) -> &[u8] {
    let body = match octet_count(frame) {
        Some((n, skip)) if n > 0 => frame.get(skip..).unwrap_or_default(),
        _ => frame,
    };
    body.strip_suffix(b"\n")
        .or_else(|| body.strip_suffix(b"\0"))
        .unwrap_or(body)
}

/// Parses one message's header.
pub(crate) fn parse(msg: &[u8]) -> Result<Header<'_>, &'static str> {
    let (pri, rest) = pri(msg).map_err(|_| "syslog_bad_pri")?;
    let (facility, severity) = (pri >> 3, pri & 7);
    if let Some(h) = rfc5424(rest) {
        return h.map(|(hostname, app_name, procid_present)| Header {
            format: Format::Rfc5424,
            facility,
            severity,
            hostname,
            app_name,
            procid_present,
        });
    }
    let (hostname, app_name, procid_present) = rfc3164(rest);
    Ok(Header {
        format: Format::Rfc3164,
        facility,
        severity,
        hostname,
        app_name,
        procid_present,
    })
}

type Fields<'a> = (Option<&'a [u8]>, Option<&'a [u8]>, bool);

/// RFC 5424 §6.2: `VERSION SP TIMESTAMP SP HOSTNAME SP APP-NAME SP PROCID SP MSGID SP SD`.
/// `None` when the message does not start with VERSION 1 (the only one defined, §9.1), SP,
/// and a TIMESTAMP (NILVALUE or RFC 3339 full-date): then it is not RFC 5424 at all.
fn rfc5424(b: &[u8]) -> Option<Result<Fields<'_>, &'static str>> {
    let rest = b.strip_prefix(b"1 ")?;
    if !(rest.starts_with(b"- ") || iso_timestamp(rest).is_some()) {
        return None;
    }
    let mut fields = rest.splitn(6, |&c| c == b' ');
    let (Some(_ts), Some(host), Some(app), Some(procid), Some(_msgid)) = (
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
        fields.next(),
    ) else {
        return Some(Err("syslog_rfc5424_short_header"));
    };
    let nil = |v: &[u8]| v.is_empty() || v == b"-";
    let printable = |v: &[u8]| v.iter().all(|c| (33..=126).contains(c));
    if !printable(host) || host.len() > MAX_HOSTNAME || !printable(app) || app.len() > MAX_APP_NAME
    {
        return Some(Err("syslog_rfc5424_bad_field"));
    }
    Some(Ok((
        (!nil(host)).then_some(host),
        (!nil(app)).then_some(app),
        !nil(procid),
    )))
}

/// RFC 3164 §4.1.2 HEADER `TIMESTAMP SP HOSTNAME SP` then §4.1.3 TAG. The timestamp is
/// `Mmm dd hh:mm:ss` or, as rsyslog and others send, an RFC 3339 timestamp. Without a
/// valid timestamp nothing is taken (RFC 3164 §4.3.3: the relay would treat it all as MSG).
/// A token right after the timestamp that ends in ':' or holds '[' is the TAG of a message
/// without HOSTNAME; otherwise it is the HOSTNAME, and the next token is a TAG only when it
/// ends at ':' or '['.
fn rfc3164(b: &[u8]) -> Fields<'_> {
    let Some(rest) = bsd_timestamp(b).or_else(|| iso_timestamp(b)) else {
        return (None, None, false);
    };
    let mut words = rest.split(|&c| c == b' ');
    let Some(first) = words.next().filter(|w| !w.is_empty()) else {
        return (None, None, false);
    };
    if let Some((tag, pid)) = tag(first) {
        return (None, Some(tag), pid);
    }
    let host = (first.len() <= MAX_HOSTNAME
        && first
            .iter()
            .all(|c| c.is_ascii_alphanumeric() || b".-_:%".contains(c)))
    .then_some(first);
    let (app, pid) = match (host, words.next().and_then(tag)) {
        (Some(_), Some((t, p))) => (Some(t), p),
        _ => (None, false),
    };
    (host, app, pid)
}

/// RFC 3164 §5.3 TAG: alphanumerics (and `-_./` as real senders use), ended by '[' (a pid)
/// or ':'. Returns the tag and whether a `[pid]` followed.
fn tag(word: &[u8]) -> Option<(&[u8], bool)> {
    let end = word
        .iter()
        .position(|c| !(c.is_ascii_alphanumeric() || b"-_./".contains(c)))?;
    let (name, rest) = word.split_at_checked(end)?;
    if name.is_empty() || name.len() > MAX_APP_NAME {
        return None;
    }
    match rest.first() {
        Some(b':') => Some((name, false)),
        Some(b'[') => rest.contains(&b']').then_some((name, true)),
        _ => None,
    }
}

/// `Mmm dd hh:mm:ss ` (RFC 3164 §4.1.2; a single-digit day is space-padded). Returns the
/// bytes after the space that ends it.
fn bsd_timestamp(b: &[u8]) -> Option<&[u8]> {
    const MONTHS: [&[u8]; 12] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec",
    ];
    let ts = b.get(..16)?;
    let (month, rest) = ts.split_at_checked(3)?;
    if !MONTHS.contains(&month) {
        return None;
    }
    let ok = match rest {
        [b' ', d1, d2, b' ', h1, h2, b':', m1, m2, b':', s1, s2, b' '] => {
            (*d1 == b' ' || d1.is_ascii_digit())
                && [d2, h1, h2, m1, m2, s1, s2]
                    .iter()
                    .all(|c| c.is_ascii_digit())
        }
        _ => false,
    };
    ok.then(|| b.get(16..).unwrap_or_default())
}

/// An RFC 3339 timestamp (`2013-09-12T19:16:34.457849+04:00`) then SP.
pub(crate) fn iso_timestamp(b: &[u8]) -> Option<&[u8]> {
    let end = b.iter().position(|&c| c == b' ')?;
    let ts = b.get(..end)?;
    let shape = ts.len() >= 19
        && ts.get(..4)?.iter().all(u8::is_ascii_digit)
        && ts.get(4) == Some(&b'-')
        && ts.get(10) == Some(&b'T');
    shape.then(|| b.get(end + 1..).unwrap_or_default())
}

/// RFC 5424 §6.2.1 Table 1 facility keywords.
pub(crate) fn facility_name(f: u8) -> &'static str {
    const NAMES: [&str; 24] = [
        "kern",
        "user",
        "mail",
        "daemon",
        "auth",
        "syslog",
        "lpr",
        "news",
        "uucp",
        "cron",
        "authpriv",
        "ftp",
        "ntp",
        "security",
        "console",
        "solaris-cron",
        "local0",
        "local1",
        "local2",
        "local3",
        "local4",
        "local5",
        "local6",
        "local7",
    ];
    NAMES.get(usize::from(f)).copied().unwrap_or("unknown")
}

/// RFC 5424 §6.2.1 Table 2 severity keywords.
pub(crate) fn severity_name(s: u8) -> &'static str {
    const NAMES: [&str; 8] = [
        "emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
    ];
    NAMES.get(usize::from(s)).copied().unwrap_or("unknown")
}

/// True when `b` (the bytes after PRI) starts with an RFC 3164 or RFC 3339 timestamp.
pub(crate) fn starts_with_timestamp(b: &[u8]) -> bool {
    bsd_timestamp(b).is_some() || iso_timestamp(b).is_some()
}
