//! The one error type of this crate: which input, which byte, what happened.

use std::fmt::{self, Write as _};
use std::io;
use std::sync::Arc;

use crate::CaptureFormat;

/// A capture could not be read (further). Says which input ([`Self::name`]), the byte offset
/// of the header, record or block at fault ([`Self::offset`]) and what happened
/// ([`Self::kind`]). Frames before it were delivered: [`Self::frames_before`] counts them.
///
/// Displays as e.g. `ward3.pcapng: truncated block at byte 1048576 (expected 2048 bytes,
/// file ends after 612)`.
#[derive(Debug, thiserror::Error)]
#[error("{name}: {}", describe(.kind, *.offset))]
pub struct CaptureError {
    name: Arc<str>,
    offset: u64,
    frames_before: u64,
    kind: ErrorKind,
}

impl CaptureError {
    pub(crate) fn new(name: Arc<str>, offset: u64, frames_before: u64, kind: ErrorKind) -> Self {
        Self {
            name,
            offset,
            frames_before,
            kind,
        }
    }

    /// Display name of the input (the path as given, or the name passed to `from_reader`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Byte offset in the input of the header, record or block at fault (0 for file-level
    /// problems such as a bad magic number).
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Frames delivered by the source before this error.
    pub fn frames_before(&self) -> u64 {
        self.frames_before
    }

    /// What went wrong.
    pub fn kind(&self) -> &ErrorKind {
        &self.kind
    }

    /// What went wrong, by value (e.g. to take the `io::Error` out).
    pub fn into_kind(self) -> ErrorKind {
        self.kind
    }
}

/// What went wrong while reading a capture.
#[derive(Debug)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The file could not be opened.
    Open(io::Error),
    /// Reading failed part way.
    Io(io::Error),
    /// The input has no bytes at all.
    Empty,
    /// The first bytes are neither a pcap nor a pcapng magic number.
    NotACapture {
        /// Up to the first four bytes of the input.
        first_bytes: Vec<u8>,
    },
    /// The file's (or a pcapng section's) format version is one this reader does not know.
    UnsupportedVersion {
        /// Which format's version.
        format: CaptureFormat,
        /// Major version found.
        major: u16,
        /// Minor version found.
        minor: u16,
    },
    /// The input ends inside a header, record or block.
    Truncated {
        /// What was being read.
        unit: Unit,
        /// Bytes that unit needs.
        expected: u64,
        /// Bytes of it the input still had.
        available: u64,
    },
    /// A pcap record's captured length is over [`crate::CaptureLimits::max_record_len`].
    RecordTooLong {
        /// The record's captured length (incl_len).
        captured_len: u32,
        /// The limit in force.
        limit: u32,
    },
    /// A pcapng block's total length is impossible.
    BadBlockLength {
        /// The block's type code.
        block_type: u32,
        /// The leading block total length.
        length: u32,
        /// Why it is rejected.
        problem: BlockLengthProblem,
    },
    /// A pcapng section header's byte-order magic is neither 0x1A2B3C4D nor its swap.
    BadByteOrderMagic {
        /// The four bytes found.
        found: [u8; 4],
    },
    /// A pcapng block's fields contradict its length.
    MalformedBlock {
        /// The block's type code.
        block_type: u32,
        /// What is inconsistent.
        reason: &'static str,
    },
    /// A pcapng packet block names an interface that its section has not described.
    UnknownInterface {
        /// The block's type code.
        block_type: u32,
        /// Interface id in the block.
        interface: u32,
        /// Interfaces described so far in the section.
        section_interfaces: u32,
    },
    /// A pcapng section describes more interfaces than
    /// [`crate::CaptureLimits::max_interfaces_per_section`].
    TooManyInterfaces {
        /// The limit in force.
        limit: u32,
    },
}

/// The piece of a capture that was being read when the input ended.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Unit {
    /// The pcap file header (24 bytes).
    FileHeader,
    /// A pcap record header (16 bytes).
    RecordHeader,
    /// A pcap record's packet data.
    Record,
    /// A pcapng block's type and length (8 bytes, 12 for a section header).
    BlockHeader,
    /// A whole pcapng block.
    Block,
}

impl Unit {
    /// Words used in messages.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::FileHeader => "file header",
            Self::RecordHeader => "record header",
            Self::Record => "record",
            Self::BlockHeader => "block header",
            Self::Block => "block",
        }
    }
}

/// Why a pcapng block total length is rejected.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum BlockLengthProblem {
    /// Shorter than the minimum for its block type.
    TooShort {
        /// The minimum.
        min: u32,
    },
    /// Not a multiple of 4 (pcapng §3.1).
    NotMultipleOf4,
    /// Over [`crate::CaptureLimits::max_block_len`].
    OverLimit {
        /// The limit in force.
        limit: u32,
    },
    /// The trailing copy of the length differs from the leading one.
    TrailerMismatch {
        /// The trailing copy.
        trailer: u32,
    },
}

/// Human name of a pcapng block type, for messages.
pub(crate) fn block_name(block_type: u32) -> String {
    match block_type {
        0x0A0D_0D0A => "section header block".into(),
        1 => "interface description block".into(),
        2 => "packet block".into(),
        3 => "simple packet block".into(),
        6 => "enhanced packet block".into(),
        t => format!("block of type 0x{t:08x}"),
    }
}

fn hex(bytes: &[u8]) -> String {
    let mut s = String::new();
    for (i, b) in bytes.iter().enumerate() {
        if i > 0 {
            s.push(' ');
        }
        let _ = write!(s, "{b:02x}");
    }
    s
}

fn describe(kind: &ErrorKind, offset: u64) -> Describe<'_> {
    Describe { kind, offset }
}

struct Describe<'a> {
    kind: &'a ErrorKind,
    offset: u64,
}

impl fmt::Display for Describe<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let at = self.offset;
        match self.kind {
            ErrorKind::Open(e) => write!(f, "cannot open: {e}"),
            ErrorKind::Io(e) => write!(f, "read error at byte {at}: {e}"),
            ErrorKind::Empty => f.write_str("empty file (0 bytes), not a packet capture"),
            ErrorKind::NotACapture { first_bytes } => {
                write!(
                    f,
                    "not a pcap or pcapng capture file (first bytes: {})",
                    hex(first_bytes)
                )?;
                match first_bytes.as_slice() {
                    [0x1f, 0x8b, ..] => f.write_str("; it is gzip-compressed: decompress it first"),
                    [0x34, 0xcd, 0xb2, 0xa1] | [0xa1, 0xb2, 0xcd, 0x34] => {
                        f.write_str("; it is the unsupported \"modified\" (Kuznetzov) pcap variant")
                    }
                    _ => Ok(()),
                }
            }
            ErrorKind::UnsupportedVersion {
                format,
                major,
                minor,
            } => match format {
                CaptureFormat::Pcap => write!(
                    f,
                    "unsupported pcap version {major}.{minor} in the file header (this reader knows 2.x)"
                ),
                _ => write!(
                    f,
                    "unsupported {} section version {major}.{minor} at byte {at} (this reader knows 1.x)",
                    format.name()
                ),
            },
            ErrorKind::Truncated {
                unit,
                expected,
                available,
            } => write!(
                f,
                "truncated {} at byte {at} (expected {expected} bytes, file ends after {available})",
                unit.as_str()
            ),
            ErrorKind::RecordTooLong {
                captured_len,
                limit,
            } => write!(
                f,
                "record at byte {at} has captured length {captured_len}, over the limit of {limit} bytes (damaged file?)"
            ),
            ErrorKind::BadBlockLength {
                block_type,
                length,
                problem,
            } => {
                write!(
                    f,
                    "bad block length {length} at byte {at} ({}: ",
                    block_name(*block_type)
                )?;
                match problem {
                    BlockLengthProblem::TooShort { min } => {
                        write!(f, "shorter than the minimum of {min} bytes)")
                    }
                    BlockLengthProblem::NotMultipleOf4 => f.write_str("not a multiple of 4)"),
                    BlockLengthProblem::OverLimit { limit } => {
                        write!(f, "over the limit of {limit} bytes)")
                    }
                    BlockLengthProblem::TrailerMismatch { trailer } => {
                        write!(f, "the trailing copy says {trailer})")
                    }
                }
            }
            ErrorKind::BadByteOrderMagic { found } => write!(
                f,
                "bad byte-order magic {} in the section header block at byte {at}",
                hex(found)
            ),
            ErrorKind::MalformedBlock { block_type, reason } => {
                write!(
                    f,
                    "malformed {} at byte {at}: {reason}",
                    block_name(*block_type)
                )
            }
            ErrorKind::UnknownInterface {
                block_type,
                interface,
                section_interfaces,
            } => write!(
                f,
                "{} at byte {at} names interface {interface}, but its section describes only {section_interfaces}",
                block_name(*block_type)
            ),
            ErrorKind::TooManyInterfaces { limit } => write!(
                f,
                "interface description block at byte {at} is over the limit of {limit} interfaces in one section"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(offset: u64, kind: ErrorKind) -> String {
        CaptureError::new("ward3.pcapng".into(), offset, 0, kind).to_string()
    }

    #[test]
    fn messages_name_file_offset_and_cause() {
        assert_eq!(
            err(
                1_048_576,
                ErrorKind::Truncated {
                    unit: Unit::Block,
                    expected: 2048,
                    available: 612
                }
            ),
            "ward3.pcapng: truncated block at byte 1048576 (expected 2048 bytes, file ends after 612)"
        );
        assert_eq!(
            err(
                0,
                ErrorKind::NotACapture {
                    first_bytes: vec![0x3c, 0x21, 0x44, 0x4f]
                }
            ),
            "ward3.pcapng: not a pcap or pcapng capture file (first bytes: 3c 21 44 4f)"
        );
        assert_eq!(
            err(
                28,
                ErrorKind::BadBlockLength {
                    block_type: 6,
                    length: 13,
                    problem: BlockLengthProblem::NotMultipleOf4
                }
            ),
            "ward3.pcapng: bad block length 13 at byte 28 (enhanced packet block: not a multiple of 4)"
        );
        assert_eq!(
            err(0, ErrorKind::Empty),
            "ward3.pcapng: empty file (0 bytes), not a packet capture"
        );
        assert!(
            err(
                0,
                ErrorKind::NotACapture {
                    first_bytes: vec![0x1f, 0x8b, 8, 0]
                }
            )
            .ends_with("gzip-compressed: decompress it first")
        );
    }
}
