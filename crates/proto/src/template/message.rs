//! Template messages: `HELLO product/version` and `LOGIN user password`, one per line.

use crate::buffer::Framed;

/// Longest line read; longer ones are an anomaly.
pub(crate) const MAX_LINE: usize = 1024;

/// One message, borrowing the line; the password is never kept.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Message<'a> {
    Hello {
        product: &'a [u8],
        version: Option<&'a [u8]>,
    },
    Login {
        user_present: bool,
    },
}

/// One line ends at LF.
pub(crate) fn frame(b: &[u8]) -> Framed {
    match b.iter().position(|&c| c == b'\n') {
        Some(i) => Framed::Message(i + 1),
        None => Framed::Incomplete(b.len() + 1),
    }
}

/// Parses one line, LF included.
pub(crate) fn parse(line: &[u8]) -> Result<Message<'_>, &'static str> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    if let Some(rest) = line.strip_prefix(b"HELLO ") {
        let (product, version) = match rest.iter().position(|&c| c == b'/') {
            Some(i) => (&rest[..i], Some(&rest[i + 1..])),
            None => (rest, None),
        };
        return Ok(Message::Hello { product, version });
    }
    if let Some(rest) = line.strip_prefix(b"LOGIN ") {
        let user = rest.split(|&c| c == b' ').next().unwrap_or_default();
        return Ok(Message::Login {
            user_present: !user.is_empty(),
        });
    }
    Err("template_unknown_message")
}
