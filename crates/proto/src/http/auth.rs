//! HTTP authentication (RFC 9110 §11): the scheme of Authorization / Proxy-Authorization and
//! WWW-Authenticate, and whether a credential names a user. Credentials are decoded only into
//! a few stack bytes to find the user/password separator and never kept.

/// An authentication scheme (RFC 9110 §11.1: case-insensitive token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scheme {
    /// RFC 7617.
    Basic,
    /// RFC 7616.
    Digest,
    /// RFC 6750.
    Bearer,
    /// MS-NTHT.
    Ntlm,
    /// RFC 4559.
    Negotiate,
    /// Another or malformed scheme (its name is not kept: a header without a scheme would
    /// put the credential itself here).
    Other,
}

impl Scheme {
    /// Canonical name.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Basic => "Basic",
            Self::Digest => "Digest",
            Self::Bearer => "Bearer",
            Self::Ntlm => "NTLM",
            Self::Negotiate => "Negotiate",
            Self::Other => "other",
        }
    }
}

/// `auth-scheme [ 1*SP ( token68 / #auth-param ) ]` (RFC 9110 §11.3, §11.6.2): the scheme and
/// what follows it.
pub(crate) fn split(value: &[u8]) -> (Scheme, &[u8]) {
    let value = wire::text::trim_ascii(value);
    let end = value
        .iter()
        .position(|b| b.is_ascii_whitespace())
        .unwrap_or(value.len());
    let (name, rest) = value.split_at(end);
    let scheme = match name {
        n if n.eq_ignore_ascii_case(b"basic") => Scheme::Basic,
        n if n.eq_ignore_ascii_case(b"digest") => Scheme::Digest,
        n if n.eq_ignore_ascii_case(b"bearer") => Scheme::Bearer,
        n if n.eq_ignore_ascii_case(b"ntlm") => Scheme::Ntlm,
        n if n.eq_ignore_ascii_case(b"negotiate") => Scheme::Negotiate,
        _ => Scheme::Other,
    };
    (scheme, wire::text::trim_ascii(rest))
}

/// The scheme name of a WWW-Authenticate challenge (RFC 9110 §11.6.1): the first token when it
/// is a plain token of at most 32 bytes. Server-chosen, no secret; realm and params dropped.
pub(crate) fn challenge_scheme(value: &[u8]) -> Option<&[u8]> {
    let value = wire::text::trim_ascii(value);
    let end = value
        .iter()
        .position(|&b| b.is_ascii_whitespace() || b == b',')
        .unwrap_or(value.len());
    let name = value.get(..end)?;
    let tchar = |b: &u8| b.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(b);
    (!name.is_empty() && name.len() <= 32 && name.iter().all(tchar)).then_some(name)
}

/// RFC 7617 §2: `token68` is base64 of `user-id ":" password`. True when the user-id is not
/// empty (the whole text when there is no colon). Decodes four characters at a time into a
/// 3-byte stack buffer and stops at the first colon; nothing is kept.
pub(crate) fn basic_user_present(token: &[u8]) -> bool {
    let mut quad = [0u8; 4];
    let mut n = 0;
    let mut any = false;
    for &c in token {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => break, // '=' padding or the end of the token68
        };
        if let Some(slot) = quad.get_mut(n) {
            *slot = v;
        }
        n += 1;
        if n == 4 {
            for b in decode(quad, 3) {
                if b == b':' {
                    return any;
                }
                any = true;
            }
            n = 0;
        }
    }
    // A final group of 2 or 3 characters carries 1 or 2 bytes (RFC 4648 §4).
    if n >= 2 {
        for b in decode(quad, n - 1) {
            if b == b':' {
                return any;
            }
            any = true;
        }
    }
    any
}

/// The first `count` bytes that four base64 sextets encode.
fn decode(q: [u8; 4], count: usize) -> impl Iterator<Item = u8> {
    let [a, b, c, d] = q.map(u32::from);
    let bits = (a << 18) | (b << 12) | (c << 6) | d;
    [(bits >> 16) as u8, (bits >> 8) as u8, bits as u8]
        .into_iter()
        .take(count)
}

/// RFC 7616 §3.4: whether the Digest credentials carry a non-empty `username` (or
/// `username*`, §3.4.4) parameter. Walks `name=value` pairs, honouring quoted strings.
pub(crate) fn digest_user_present(params: &[u8]) -> bool {
    let mut rest = params;
    while !rest.is_empty() {
        let rest_trimmed = wire::text::trim_ascii(rest);
        let Some(eq) = rest_trimmed.iter().position(|&b| b == b'=') else {
            return false;
        };
        let name = wire::text::trim_ascii(rest_trimmed.get(..eq).unwrap_or_default());
        let after = wire::text::trim_ascii(rest_trimmed.get(eq + 1..).unwrap_or_default());
        let (value_len, consumed) = if after.first() == Some(&b'"') {
            // RFC 9110 §5.6.4 quoted-string with quoted-pair.
            let mut i = 1;
            let mut len = 0;
            loop {
                match after.get(i) {
                    None => break (len, i),
                    Some(b'"') => break (len, i + 1),
                    Some(b'\\') => {
                        i += 2;
                        len += 1;
                    }
                    Some(_) => {
                        i += 1;
                        len += 1;
                    }
                }
            }
        } else {
            let end = after.iter().position(|&b| b == b',').unwrap_or(after.len());
            let v = wire::text::trim_ascii(after.get(..end).unwrap_or_default());
            (v.len(), end)
        };
        if name.eq_ignore_ascii_case(b"username") || name.eq_ignore_ascii_case(b"username*") {
            return value_len > 0;
        }
        let tail = after.get(consumed.min(after.len())..).unwrap_or_default();
        rest = match tail.iter().position(|&b| b == b',') {
            Some(i) => tail.get(i + 1..).unwrap_or_default(),
            None => b"",
        };
    }
    false
}
