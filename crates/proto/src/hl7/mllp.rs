//! Message framing: MLLP blocks (HL7 v2 Minimal Lower Layer Protocol, release 2 §2:
//! `<SB> data <EB><CR>` with SB = 0x0B, EB = 0x1C, CR = 0x0D) and unframed HL7 (a stream of
//! messages each starting with an `MSH` segment, HL7 v2.5.1 ch. 2.5).
//!
//! [`frame`] looks at the front of one side's buffered bytes and says where the first
//! message ends; it resynchronises after junk or a gap by scanning for the next start block
//! (or, in an unframed stream, the next `MSH` at the start of a segment).

use crate::buffer::Framed;

/// MLLP r2 §2: start block character `<SB>` (VT).
pub(crate) const START_BLOCK: u8 = 0x0B;
/// MLLP r2 §2: end block character `<EB>` (FS), followed by `<CR>`.
pub(crate) const END_BLOCK: u8 = 0x1C;
/// MLLP r2 §2: the carriage return after `<EB>`; HL7 v2.5.1 ch. 2.5.4 segment terminator.
pub(crate) const CR: u8 = 0x0D;
/// Line feed: not HL7's segment terminator, but many senders use it (read leniently).
pub(crate) const LF: u8 = 0x0A;

/// Segment IDs that start a message or a batch (HL7 v2.5.1 ch. 2.10.3: MSH, and the batch
/// headers FHS and BHS): what may follow a start block.
const HEADERS: [&[u8; 3]; 3] = [b"MSH", b"FHS", b"BHS"];

/// Where the first message in a buffer ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Frame {
    /// An MLLP block of this many bytes, `<SB>` through `<EB><CR>` (or `<EB>` alone).
    Block(usize),
    /// An MLLP block whose end block never came: another start block (followed by a header
    /// segment) begins at this offset.
    Unterminated(usize),
    /// An unframed message of this many bytes: up to the next `MSH` segment or start block,
    /// or through an end block.
    Unframed(usize),
    /// The message is not complete yet. No lower bound is given: the buffer's skip-ahead
    /// after an oversized message must never swallow the start of the next one.
    Incomplete,
    /// Blank bytes between messages (CR, LF, spaces, NULs): dropped silently.
    Blank(usize),
    /// Bytes that belong to no message (after a gap, or garbage): dropped and counted.
    Junk(usize),
}

impl From<Frame> for Framed {
    fn from(f: Frame) -> Self {
        match f {
            Frame::Block(n) | Frame::Unterminated(n) | Frame::Unframed(n) => Framed::Message(n),
            Frame::Incomplete => Framed::Incomplete(0),
            Frame::Blank(n) | Frame::Junk(n) => Framed::Skip(n),
        }
    }
}

/// What `b[at..]` says about a header segment starting there: `Some(true)` it is one,
/// `Some(false)` it is not, `None` too few bytes to tell.
fn header_at(b: &[u8], at: usize) -> Option<bool> {
    let rest = b.get(at..).unwrap_or_default();
    let n = rest.len().min(3);
    let head = rest.get(..n).unwrap_or_default();
    let prefix_of_header = HEADERS.iter().any(|h| h.get(..n) == Some(head));
    match (prefix_of_header, n) {
        (false, _) => Some(false),
        (true, 3) => Some(true),
        (true, _) => None,
    }
}

/// Like [`header_at`] for `MSH` only (an unframed message starts at an `MSH` segment).
fn msh_at(b: &[u8], at: usize) -> Option<bool> {
    let rest = b.get(at..).unwrap_or_default();
    let n = rest.len().min(3);
    if rest.get(..n) != b"MSH".get(..n) {
        Some(false)
    } else if n < 3 {
        None
    } else {
        Some(true)
    }
}

fn is_blank(c: u8) -> bool {
    matches!(c, CR | LF | b' ' | b'\t' | 0)
}

/// Finds the end of the first message in `b`. `resume` is where an earlier call on the same
/// message start stopped scanning (0 for a new message); it is updated on `Incomplete` and
/// reset otherwise, so a message arriving in many deliveries is scanned once, not once per
/// delivery.
pub(crate) fn frame(b: &[u8], resume: &mut usize) -> Frame {
    let f = frame_inner(b, resume);
    if !matches!(f, Frame::Incomplete) {
        *resume = 0;
    }
    f
}

fn frame_inner(b: &[u8], resume: &mut usize) -> Frame {
    let Some(&first) = b.first() else {
        return Frame::Incomplete;
    };
    if first == START_BLOCK {
        return block(b, resume);
    }
    if is_blank(first) {
        let n = b.iter().position(|&c| !is_blank(c)).unwrap_or(b.len());
        return Frame::Blank(n);
    }
    match msh_at(b, 0) {
        Some(true) => unframed(b, resume),
        None => Frame::Incomplete,
        Some(false) => junk(b),
    }
}

/// MLLP r2 §2: `<SB>` data `<EB><CR>`. A start block followed by a header segment inside the
/// data means the end block was lost: the block ends there.
fn block(b: &[u8], resume: &mut usize) -> Frame {
    let mut i = (*resume).max(1);
    while let Some(off) = b
        .get(i..)
        .and_then(|r| r.iter().position(|&c| c == END_BLOCK || c == START_BLOCK))
    {
        let at = i + off;
        if b.get(at) == Some(&END_BLOCK) {
            return match b.get(at + 1) {
                Some(&CR) => Frame::Block(at + 2),
                // `<EB>` without `<CR>`: read leniently as the end.
                Some(_) => Frame::Block(at + 1),
                None => {
                    *resume = at;
                    Frame::Incomplete
                }
            };
        }
        // A start block inside the data.
        match header_at(b, at + 1) {
            Some(true) => return Frame::Unterminated(at),
            None => {
                *resume = at;
                return Frame::Incomplete;
            }
            // Not followed by a header: part of the data (the parser notes it).
            Some(false) => i = at + 1,
        }
    }
    *resume = b.len();
    Frame::Incomplete
}

/// An unframed message (HL7 v2.5.1 ch. 2.5): from `MSH` to the next segment that is `MSH`,
/// to a start block, or through an end block.
fn unframed(b: &[u8], resume: &mut usize) -> Frame {
    let mut i = (*resume).max(3);
    while let Some(off) = b.get(i..).and_then(|r| {
        r.iter()
            .position(|&c| matches!(c, CR | LF | START_BLOCK | END_BLOCK))
    }) {
        let at = i + off;
        match b.get(at) {
            Some(&END_BLOCK) => return Frame::Unframed(at + 1),
            Some(&START_BLOCK) => return Frame::Unframed(at),
            _ => {}
        }
        // A segment terminator: is the next segment an MSH?
        let next = at
            + 1
            + b.get(at + 1..)
                .map_or(0, |r| r.iter().take_while(|&&c| c == CR || c == LF).count());
        match msh_at(b, next) {
            Some(true) => return Frame::Unframed(next),
            None => {
                *resume = at;
                return Frame::Incomplete;
            }
            Some(false) => i = next,
        }
    }
    *resume = b.len();
    Frame::Incomplete
}

/// Bytes up to the next start block or the next `MSH` at a segment start.
fn junk(b: &[u8]) -> Frame {
    let mut i = 1;
    while let Some(off) = b
        .get(i..)
        .and_then(|r| r.iter().position(|&c| matches!(c, CR | LF | START_BLOCK)))
    {
        let at = i + off;
        if b.get(at) == Some(&START_BLOCK) {
            return Frame::Junk(at);
        }
        match msh_at(b, at + 1) {
            // The blank run before the MSH is skipped by the next call.
            Some(true) | None => return Frame::Junk(at),
            Some(false) => i = at + 1,
        }
    }
    Frame::Junk(b.len())
}

/// The HL7 message inside a framed message: without `<SB>` and `<EB><CR>`. `terminated` is
/// false for an MLLP block that lost its end block.
pub(crate) fn payload(m: &[u8]) -> (&[u8], bool) {
    match m.strip_prefix(&[START_BLOCK]) {
        Some(inner) => match inner
            .strip_suffix(&[END_BLOCK, CR])
            .or_else(|| inner.strip_suffix(&[END_BLOCK]))
        {
            Some(data) => (data, true),
            None => (inner, false),
        },
        None => (m.strip_suffix(&[END_BLOCK]).unwrap_or(m), true),
    }
}
