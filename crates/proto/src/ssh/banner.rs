//! The SSH identification string (RFC 4253 §4.2).

use crate::buffer::Framed;

/// RFC 4253 §4.2: at most 255 characters including CR LF.
pub(crate) const MAX_LINE: usize = 255;

/// A parsed identification string, borrowing the line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Line<'a> {
    /// The whole line without CR LF.
    pub line: &'a [u8],
    /// `2.0` (or `1.99`).
    pub proto_version: &'a [u8],
    /// `softwareversion` and comments: `OpenSSH_8.9p1 Ubuntu-3`.
    pub software_line: &'a [u8],
    /// Product: `OpenSSH`.
    pub software: &'a [u8],
    /// Version split off the product at `_` or `-`, if any: `8.9p1`.
    pub version: Option<&'a [u8]>,
}

/// What the parser keeps of a side's banner: that it was seen.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Banner;

impl From<&Line<'_>> for Banner {
    fn from(_: &Line<'_>) -> Self {
        Self
    }
}

/// Finds the end of one line (LF, CR optional before it).
pub(crate) fn frame(b: &[u8]) -> Framed {
    match b.iter().position(|&c| c == b'\n') {
        Some(i) => Framed::Message(i + 1),
        None if b.len() > MAX_LINE => Framed::Invalid,
        None => Framed::Incomplete(0),
    }
}

/// Parses one line (with its LF) as an identification string.
pub(crate) fn parse(line: &[u8]) -> Result<Line<'_>, &'static str> {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    let line = line.strip_suffix(b"\r").unwrap_or(line);
    let rest = line.strip_prefix(b"SSH-").ok_or("ssh_not_a_banner")?;
    let dash = rest
        .iter()
        .position(|&c| c == b'-')
        .ok_or("ssh_banner_without_software")?;
    let (proto_version, software_line) = (&rest[..dash], &rest[dash + 1..]);
    let word_end = software_line
        .iter()
        .position(|&c| c == b' ')
        .unwrap_or(software_line.len());
    let word = &software_line[..word_end];
    let (software, version) = match word.iter().position(|&c| c == b'_' || c == b'-') {
        Some(i) => (&word[..i], Some(&word[i + 1..])),
        None => (word, None),
    };
    if software.is_empty() {
        return Err("ssh_banner_without_software");
    }
    Ok(Line {
        line,
        proto_version,
        software_line,
        software,
        version,
    })
}
