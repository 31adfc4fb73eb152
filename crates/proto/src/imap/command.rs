//! IMAP command syntax (RFC 9051 §4, §9; RFC 3501 §4, §9): tags, astrings and literals. Only
//! lengths come out of an argument, never its content (it may be a user name or password).

/// How one `astring` argument was written (RFC 9051 §4.1–§4.3, §9 `astring`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Arg {
    /// An atom of this many bytes.
    Atom(usize),
    /// A quoted string of this many characters (escapes undone).
    Quoted(usize),
    /// A literal `{n}` / `{n+}` (RFC 7888): its `n` bytes follow the line's CR LF.
    Literal(u64),
}

/// One command line's front: `tag SP command [SP rest]` (RFC 9051 §9 `command`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Command<'a> {
    pub tag: &'a [u8],
    pub name: &'a [u8],
    pub rest: &'a [u8],
}

/// Longest tag kept to match its tagged reply.
pub(crate) const MAX_TAG: usize = 32;

/// Splits a command line into tag, command name and the rest.
pub(crate) fn command(line: &[u8]) -> Option<Command<'_>> {
    let mut parts = line.splitn(3, |&b| b == b' ');
    let tag = parts
        .next()
        .filter(|t| !t.is_empty() && t.len() <= MAX_TAG)?;
    let name = parts.next().filter(|n| !n.is_empty())?;
    Some(Command {
        tag,
        name,
        rest: parts.next().unwrap_or_default(),
    })
}

/// The literal announced at the end of a line (`{n}` or `{n+}`, RFC 9051 §4.3, RFC 7888),
/// after which `n` raw bytes follow.
pub(crate) fn trailing_literal(line: &[u8]) -> Option<u64> {
    let body = line.strip_suffix(b"}")?;
    let open = body.iter().rposition(|&b| b == b'{')?;
    let digits = body.get(open + 1..)?;
    let digits = digits.strip_suffix(b"+").unwrap_or(digits);
    if digits.is_empty() || digits.len() > 10 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    digits.iter().try_fold(0u64, |n, &d| {
        n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
    })
}

/// Reads the `astring` at the front of `b`: how it was written and what follows it. A
/// literal must end the line (its bytes come after CR LF).
pub(crate) fn astring(b: &[u8]) -> Option<(Arg, &[u8])> {
    match b.first()? {
        b'"' => {
            // RFC 9051 §4.3: quoted = DQUOTE *QUOTED-CHAR DQUOTE, with \" and \\ escapes.
            let mut len = 0usize;
            let mut escaped = false;
            for (i, &c) in b.iter().enumerate().skip(1) {
                match (escaped, c) {
                    (false, b'\\') => escaped = true,
                    (false, b'"') => {
                        return Some((Arg::Quoted(len), b.get(i + 1..).unwrap_or_default()));
                    }
                    _ => {
                        escaped = false;
                        len += 1;
                    }
                }
            }
            None
        }
        b'{' => trailing_literal(b).map(|n| (Arg::Literal(n), &[][..])),
        _ => {
            // RFC 9051 §9: atom = 1*ATOM-CHAR (no SP, no CTL, no specials).
            let end = b.iter().position(|&c| c == b' ').unwrap_or(b.len());
            let (atom, rest) = b.split_at(end);
            Some((Arg::Atom(atom.len()), rest))
        }
    }
}

impl Arg {
    /// True when the argument is not the empty string.
    pub(crate) fn non_empty(self) -> bool {
        match self {
            Self::Atom(n) | Self::Quoted(n) => n > 0,
            Self::Literal(n) => n > 0,
        }
    }
}
