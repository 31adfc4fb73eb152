//! Server greetings, shared by FTP, SMTP, POP3 and IMAP: the product and version a greeting
//! text names, and whether a `220` greeting is FTP's (RFC 959 §4.2) or SMTP's (RFC 5321
//! §4.2, §4.3.1). Neither standard fixes the text: these are the patterns servers use.

use super::lines::{Replies, contains_ci, eq_ci};

/// A product named in a greeting, borrowing the text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Product<'a> {
    pub name: &'a [u8],
    pub version: Option<&'a [u8]>,
}

/// Words that are not product names even when a version-like token follows.
const NOT_PRODUCTS: &[&[u8]] = &[
    b"version",
    b"ver",
    b"v",
    b"release",
    b"build",
    b"rev",
    b"revision",
    b"esmtp",
    b"smtp",
    b"lmtp",
    b"ftp",
    b"ftpd",
    b"pop",
    b"pop3",
    b"imap",
    b"imap4",
    b"imap4rev1",
    b"imap4rev2",
    b"server",
    b"service",
    b"daemon",
    b"ready",
    b"welcome",
    b"to",
    b"at",
    b"on",
    b"is",
    b"the",
    b"mail",
    b"host",
    b"hello",
    b"for",
    b"of",
    b"and",
    b"by",
    b"ok",
    b"from",
    b"since",
    b"in",
    b"port",
    b"id",
];

/// Generic words that join the product name before them ("FileZilla Server 1.9.1").
const SUFFIXES: &[&[u8]] = &[b"server", b"service", b"daemon"];

/// Products recognised by name alone when no version follows ("+OK Dovecot ready.").
const KNOWN: &[&[u8]] = &[
    b"Dovecot",
    b"Postfix",
    b"Exim",
    b"Sendmail",
    b"Courier",
    b"Cyrus",
    b"qmail",
    b"vsFTPd",
    b"ProFTPD",
    b"Pure-FTPd",
    b"FileZilla",
    b"hMailServer",
    b"MDaemon",
    b"Zimbra",
    b"Serv-U",
    b"Haraka",
    b"OpenSMTPD",
    b"Dovecot-pop3d",
    b"Qpopper",
];

/// `token` without the brackets and punctuation greetings put around words.
fn trim_token(token: &[u8]) -> &[u8] {
    let lead = |c: &u8| matches!(c, b'(' | b'[' | b'"' | b'\'' | b'<');
    let trail = |c: &u8| {
        matches!(
            c,
            b')' | b']' | b'"' | b'\'' | b',' | b';' | b'.' | b':' | b'>' | b'!'
        )
    };
    let start = token.iter().position(|c| !lead(c)).unwrap_or(token.len());
    let end = token
        .iter()
        .rposition(|c| !trail(c))
        .map_or(start, |i| i + 1);
    token.get(start..end.max(start)).unwrap_or_default()
}

/// A product name: a letter, then letters, digits, `-` or `_`; no dots (host names).
fn is_name(t: &[u8]) -> bool {
    (2..=40).contains(&t.len())
        && t.first().is_some_and(u8::is_ascii_alphabetic)
        && t.iter()
            .all(|&c| c.is_ascii_alphanumeric() || c == b'-' || c == b'_')
        && !NOT_PRODUCTS.iter().any(|w| eq_ci(w, t))
}

/// A version: a digit first, then a dotted form (`1.3.5`, `8.9p1`, `8.15.2/8.15.2`) or a
/// date (`20100320`); never an IPv4 address.
fn is_version(t: &[u8]) -> bool {
    let ok_chars = t.iter().all(|&c| {
        c.is_ascii_alphanumeric() || matches!(c, b'.' | b'-' | b'_' | b'+' | b'~' | b'/')
    });
    if t.len() > 40 || !t.first().is_some_and(u8::is_ascii_digit) || !ok_chars {
        return false;
    }
    if t.iter().all(u8::is_ascii_digit) {
        // Only a date (YYYYMMDD): other bare numbers are ids and counters.
        return t.len() == 8 && (t.starts_with(b"19") || t.starts_with(b"20"));
    }
    let ipv4 = t.split(|&c| c == b'.').count() == 4
        && t.split(|&c| c == b'.')
            .all(|g| !g.is_empty() && g.len() <= 3 && g.iter().all(u8::is_ascii_digit));
    t.contains(&b'.') && !ipv4
}

/// The product (and version) a greeting text names: `Product/1.2`, `Product 1.2`,
/// `(Product 1.2)`, `Product Server 1.2`, or a well-known product name alone.
pub(crate) fn product(text: &[u8]) -> Option<Product<'_>> {
    // Tokens with their offsets, so a two-word product is one slice of `text`.
    let mut tokens: [(usize, &[u8]); 24] = [(0, &[]); 24];
    let mut n = 0;
    let mut pos = 0;
    for raw in text.split(|&c| c == b' ' || c == b'\t') {
        let start = pos;
        pos += raw.len() + 1;
        if raw.is_empty() {
            continue;
        }
        let Some(slot) = tokens.get_mut(n) else { break };
        let t = trim_token(raw);
        let offset = start + raw.iter().position(|c| Some(c) == t.first()).unwrap_or(0);
        *slot = (offset, t);
        n += 1;
    }
    let tokens = tokens.get(..n).unwrap_or_default();
    for (i, &(offset, t)) in tokens.iter().enumerate() {
        // Product/version in one token (RFC 9110-style product tokens: "Apache/2.2.3").
        if let Some(slash) = t.iter().position(|&c| c == b'/') {
            let (name, version) = t.split_at(slash);
            let version = version.get(1..).unwrap_or_default();
            if is_name(name) && version.first().is_some_and(u8::is_ascii_digit) {
                let version = version.split(|&c| c == b'/').next().unwrap_or(version);
                return Some(Product {
                    name,
                    version: Some(version),
                });
            }
            continue;
        }
        let Some(&(_, next)) = tokens.get(i + 1) else {
            break;
        };
        if !is_version(next) {
            continue;
        }
        if is_name(t) {
            return Some(Product {
                name: t,
                version: Some(next),
            });
        }
        // "Microsoft Exchange IMAP4rev1 server version 5.5.2650.23": the run of at least two
        // name words before "version" (over at most two generic words). A lone word there is
        // too often a host name ("redmint FTP server (Version 6.4…").
        if eq_ci(t, b"version") {
            let before = tokens.get(..i).unwrap_or_default();
            let mut names = before.iter().rev().skip_while(|(_, w)| !is_name(w));
            let skipped = before.len() - names.clone().count();
            let run: Vec<_> = names.by_ref().take_while(|(_, w)| is_name(w)).collect();
            if skipped <= 2
                && run.len() >= 2
                && let (Some(&&(start, _)), Some(&&(last, w))) = (run.last(), run.first())
                && let Some(name) = text.get(start..last + w.len())
            {
                return Some(Product {
                    name,
                    version: Some(next),
                });
            }
        }
        // "FileZilla Server 1.9.1": the generic word joins the name before it.
        if SUFFIXES.iter().any(|w| eq_ci(w, t))
            && let Some(&(prev_offset, prev)) = i.checked_sub(1).and_then(|j| tokens.get(j))
            && is_name(prev)
        {
            let end = offset + t.len();
            if let Some(name) = text.get(prev_offset..end) {
                return Some(Product {
                    name,
                    version: Some(next),
                });
            }
        }
    }
    tokens.iter().find_map(|&(_, t)| {
        KNOWN.iter().any(|k| eq_ci(k, t)).then_some(Product {
            name: t,
            version: None,
        })
    })
}

/// What a `220` greeting says it is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Greeting {
    /// Not a 220 reply (or not yet a whole line: see [`classify_220`]).
    Not,
    /// A whole greeting is not there yet.
    Partial,
    /// Names FTP software or the word FTP.
    Ftp,
    /// Names SMTP (ESMTP, Postfix, Exim, Sendmail…).
    Smtp,
    /// Whole greeting, names neither (or both).
    Unclear,
}

/// Words of an FTP greeting (outside host names).
const FTP_WORDS: &[&[u8]] = &[b"ftp", b"filezilla", b"serv-u"];
/// Words of an SMTP greeting (outside host names). RFC 5321 §4.3.1 greetings conventionally
/// carry "ESMTP"; the rest are the common servers.
const SMTP_WORDS: &[&[u8]] = &[b"smtp", b"postfix", b"exim", b"sendmail", b"qmail"];

/// Classifies the first bytes a server sent as an FTP or SMTP `220` greeting (RFC 959 §4.2,
/// RFC 5321 §4.2: `220 SP text` or `220-text` … `220 SP text`). Host-name tokens (with a dot)
/// do not count: `ftp.example.org ESMTP` is SMTP.
pub(crate) fn classify_220(first: &[u8]) -> Greeting {
    // The code: "2", "22" are prefixes; then "220" SP, "-", CR or LF.
    let head = first.get(..4).unwrap_or(first);
    let want = b"220 ";
    for (i, &c) in head.iter().enumerate() {
        let ok = match i {
            3 => matches!(c, b' ' | b'-' | b'\r' | b'\n'),
            _ => want.get(i) == Some(&c),
        };
        if !ok {
            return Greeting::Not;
        }
    }
    if first.len() < 4 {
        return Greeting::Partial;
    }
    let (mut ftp, mut smtp, mut whole) = (false, false, false);
    let mut replies = Replies::default();
    for line in first.split_inclusive(|&c| c == b'\n') {
        let Some(body) = line.strip_suffix(b"\n") else {
            break;
        };
        let body = body.strip_suffix(b"\r").unwrap_or(body);
        let Some(reply) = replies.line(body) else {
            return Greeting::Not;
        };
        if reply.code != 220 {
            return Greeting::Not;
        }
        for word in reply.text.split(|&c| c == b' ' || c == b'\t') {
            let (f, s) = says(word);
            (ftp, smtp) = (ftp | f, smtp | s);
        }
        smtp |= contains_ci(reply.text, b"mail service");
        if reply.last {
            whole = true;
            break;
        }
    }
    if !whole {
        // A long first line still arriving: its whole words count (not the last, which may
        // be cut: "220 ProFTP…").
        let tail = first.rsplit(|&c| c == b'\n').next().unwrap_or_default();
        let mut words = tail.split(|&c| c == b' ' || c == b'\t').skip(1).peekable();
        while let Some(word) = words.next() {
            if words.peek().is_none() {
                break;
            }
            let (f, s) = says(word);
            (ftp, smtp) = (ftp | f, smtp | s);
        }
    }
    match (ftp, smtp) {
        (true, false) => Greeting::Ftp,
        (false, true) => Greeting::Smtp,
        _ if whole => Greeting::Unclear,
        _ => Greeting::Partial,
    }
}

/// Whether a greeting word names FTP, SMTP (a host name, with a dot inside, names neither).
fn says(word: &[u8]) -> (bool, bool) {
    if word.contains(&b'.') && word.len() > 3 && !word.ends_with(b".") {
        return (false, false);
    }
    (
        FTP_WORDS.iter().any(|w| contains_ci(word, w)),
        SMTP_WORDS.iter().any(|w| contains_ci(word, w)),
    )
}
