//! Line framing shared by the text login protocols (FTP, SMTP, POP3, IMAP): lines end at LF
//! (CR LF on the wire, RFC 959 §4.1.1, RFC 5321 §2.3.8, RFC 1939 §3, RFC 9051 §2.2), are kept
//! up to [`MAX_LINE`] bytes (longer ones are handed on cut, so the command word is still
//! known), and an IMAP literal's raw bytes can be passed over without framing them.
//!
//! Also the reply and command syntax FTP and SMTP share: `xyz SP text` / `xyz-text`
//! (RFC 959 §4.2, RFC 5321 §4.2) and `VERB SP argument` (RFC 959 §5.3, RFC 5321 §4.1.1),
//! and the per-side driving loop all four use ([`feed_lines`], [`LineProtocol`]).

use std::collections::VecDeque;

use model::Side;

use crate::out::Out;
use crate::parser::Verdict;

/// Longest line kept. RFC 5321 §4.5.3.1.4/§4.5.3.1.5 allow 512-octet command and reply lines,
/// RFC 9051 suggests 8000 octets for IMAP commands; what we read (verbs, codes, banners)
/// is at the front, so 1024 bytes is plenty and the rest is dropped.
pub(crate) const MAX_LINE: usize = 1024;

/// One line, without its CR LF.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Line<'a> {
    /// The line's first [`MAX_LINE`] bytes.
    pub text: &'a [u8],
    /// True when the line was longer and its tail was dropped.
    pub truncated: bool,
}

/// What the line handler wants next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Next {
    /// Read the next line.
    Line,
    /// Pass over this many raw bytes (an IMAP literal, RFC 9051 §4.3), then read lines.
    Skip(u64),
    /// Stop reading this side (the rest is TLS, or the parser is done).
    Stop,
}

/// The partial line of one side, kept between deliveries (at most [`MAX_LINE`] bytes).
#[derive(Debug, Default)]
pub(crate) struct LineBuf {
    held: Vec<u8>,
    /// The current line is longer than [`MAX_LINE`]: its tail is being dropped.
    truncated: bool,
    /// Raw bytes still to pass over.
    skip: u64,
    /// After a gap: drop everything up to the next LF (the front of the line was lost).
    resync: bool,
}

impl LineBuf {
    /// Appends `data` and hands each whole line to `on_line`. Returns false when `on_line`
    /// said [`Next::Stop`] (the unread rest of `data` is dropped).
    pub(crate) fn feed(
        &mut self,
        mut data: &[u8],
        mut on_line: impl FnMut(Line<'_>) -> Next,
    ) -> bool {
        loop {
            if self.skip > 0 {
                let n = usize::try_from(self.skip)
                    .unwrap_or(usize::MAX)
                    .min(data.len());
                self.skip -= n as u64;
                data = data.get(n..).unwrap_or_default();
            }
            if data.is_empty() {
                return true;
            }
            let Some(lf) = data.iter().position(|&b| b == b'\n') else {
                if !self.resync {
                    self.hold(data);
                }
                return true;
            };
            let (chunk, rest) = data.split_at(lf);
            data = rest.get(1..).unwrap_or_default();
            if self.resync {
                self.resync = false;
                self.held.clear();
                self.truncated = false;
                continue;
            }
            let next = if self.held.is_empty() && !self.truncated {
                let truncated = chunk.len() > MAX_LINE;
                let text = chunk.get(..MAX_LINE).unwrap_or(chunk);
                on_line(Line {
                    text: strip_cr(text, truncated),
                    truncated,
                })
            } else {
                self.hold(chunk);
                let held = std::mem::take(&mut self.held);
                let truncated = std::mem::take(&mut self.truncated);
                let next = on_line(Line {
                    text: strip_cr(&held, truncated),
                    truncated,
                });
                self.held = held;
                self.held.clear();
                next
            };
            match next {
                Next::Line => {}
                Next::Skip(n) => self.skip = n,
                Next::Stop => return false,
            }
        }
    }

    /// Keeps the front of a line, up to [`MAX_LINE`] bytes.
    fn hold(&mut self, part: &[u8]) {
        let room = MAX_LINE.saturating_sub(self.held.len());
        if part.len() > room {
            self.truncated = true;
        }
        self.held
            .extend_from_slice(part.get(..room).unwrap_or(part));
    }

    /// Bytes held for the line being read (at most [`MAX_LINE`]).
    #[cfg(test)]
    pub(crate) fn held_len(&self) -> usize {
        self.held.len()
    }

    /// Bytes were lost: the line being read is junk up to the next LF. An IMAP literal being
    /// passed over absorbs the loss first.
    pub(crate) fn gap(&mut self, len: u32) {
        if self.skip >= u64::from(len) {
            self.skip -= u64::from(len);
            return;
        }
        self.skip = 0;
        self.held.clear();
        self.truncated = false;
        self.resync = true;
    }
}

/// Lines read per side before a line protocol's parser is done.
pub(crate) const MAX_LINES: u32 = 64;

/// Both sides' line readers and line counts: the framing state every line protocol keeps.
#[derive(Debug, Default)]
pub(crate) struct Sides {
    lines: [LineBuf; 2],
    counts: [u32; 2],
}

impl Sides {
    /// Bytes were lost on `side`: counted as `gap`, and that side's line being read is junk up
    /// to the next LF (see [`LineBuf::gap`]). Protocol state is the caller's to reset.
    pub(crate) fn gap(&mut self, side: Side, len: u32, out: &mut Out<'_>) {
        out.count("gap");
        self.lines[side as usize].gap(len);
    }
}

/// A parser that reads its flow as lines on both sides (FTP, SMTP, POP3, IMAP): what
/// [`feed_lines`] needs from it.
pub(crate) trait LineProtocol {
    /// The anomaly reported for a line longer than [`MAX_LINE`] (e.g. `ftp_line_too_long`).
    const LINE_TOO_LONG: &'static str;
    /// The flow's line readers.
    fn sides(&mut self) -> &mut Sides;
    /// The parser's done flag: set by its line handlers, or here after [`MAX_LINES`] lines.
    fn done(&mut self) -> &mut bool;
    /// Handles one whole line from `side`.
    fn line(&mut self, side: Side, line: Line<'_>, out: &mut Out<'_>) -> Next;
}

/// Implements [`LineProtocol`] for a parser struct with fields `sides: Sides` and
/// `done: bool` and methods `client_line` / `server_line` (one line each side), reporting cut
/// lines as `$too_long`.
macro_rules! line_protocol {
    ($parser:ty, $too_long:literal) => {
        impl $crate::ftp::lines::LineProtocol for $parser {
            const LINE_TOO_LONG: &'static str = $too_long;

            fn sides(&mut self) -> &mut $crate::ftp::lines::Sides {
                &mut self.sides
            }

            fn done(&mut self) -> &mut bool {
                &mut self.done
            }

            fn line(
                &mut self,
                side: model::Side,
                line: $crate::ftp::lines::Line<'_>,
                out: &mut $crate::out::Out<'_>,
            ) -> $crate::ftp::lines::Next {
                match side {
                    model::Side::Client => self.client_line(line, out),
                    model::Side::Server => self.server_line(line, out),
                }
            }
        }
    };
}
pub(crate) use line_protocol;

/// The `AppParser::feed` of a line protocol: frames `data` into lines, counts each as
/// `messages` (and a cut one as [`LineProtocol::LINE_TOO_LONG`]), hands it to
/// [`LineProtocol::line`], and is done once the parser says so or after [`MAX_LINES`] lines on
/// this side.
pub(crate) fn feed_lines<P: LineProtocol>(
    p: &mut P,
    side: Side,
    data: &[u8],
    out: &mut Out<'_>,
) -> Verdict {
    if *p.done() {
        return Verdict::Done;
    }
    let i = side as usize;
    let mut buf = std::mem::take(&mut p.sides().lines[i]);
    buf.feed(data, |line| {
        out.count("messages");
        if line.truncated {
            out.anomaly(P::LINE_TOO_LONG);
        }
        let next = p.line(side, line, out);
        let count = &mut p.sides().counts[i];
        *count += 1;
        if *count >= MAX_LINES {
            *p.done() = true;
        }
        if *p.done() { Next::Stop } else { next }
    });
    p.sides().lines[i] = buf;
    if *p.done() {
        Verdict::Done
    } else {
        Verdict::Continue
    }
}

/// Queues a command awaiting its reply (replies answer commands in order, RFC 959 §4.2,
/// RFC 5321 §4.2, RFC 1939 §3). Beyond `max` waiting the oldest is dropped, counted as
/// `dropped`.
pub(crate) fn push_pending<T>(
    pending: &mut VecDeque<T>,
    cmd: T,
    max: usize,
    dropped: &'static str,
    out: &mut Out<'_>,
) {
    if pending.len() >= max {
        pending.pop_front();
        out.count(dropped);
    }
    pending.push_back(cmd);
}

/// A line without its CR (RFC 959 §4.1.1 Telnet end-of-line); a cut line has none to strip.
fn strip_cr(text: &[u8], truncated: bool) -> &[u8] {
    if truncated {
        text
    } else {
        text.strip_suffix(b"\r").unwrap_or(text)
    }
}

/// One line of an FTP or SMTP reply (RFC 959 §4.2, RFC 5321 §4.2.1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ReplyLine<'a> {
    /// The reply's three-digit code.
    pub code: u16,
    /// The text after the code and its separator (or the whole continuation line).
    pub text: &'a [u8],
    /// The first line of the reply.
    pub first: bool,
    /// The last line of the reply (`xyz SP` or a lone `xyz`).
    pub last: bool,
}

/// Tracks multi-line replies on the server side (RFC 959 §4.2: `xyz-` opens, `xyz SP` closes;
/// lines between need not start with a code).
#[derive(Debug, Default)]
pub(crate) struct Replies {
    open: Option<u16>,
}

impl Replies {
    /// Reads one server line. `None`: not a reply line (no code where one must be).
    pub(crate) fn line<'a>(&mut self, line: &'a [u8]) -> Option<ReplyLine<'a>> {
        let coded = reply_code(line);
        if let Some(open) = self.open {
            let last = matches!(coded, Some((code, b' ' | 0, _)) if code == open);
            let text = match coded {
                Some((code, _, text)) if code == open => text,
                _ => line,
            };
            if last {
                self.open = None;
            }
            return Some(ReplyLine {
                code: open,
                text,
                first: false,
                last,
            });
        }
        let (code, sep, text) = coded?;
        let last = sep != b'-';
        if !last {
            self.open = Some(code);
        }
        Some(ReplyLine {
            code,
            text,
            first: true,
            last,
        })
    }

    /// Forgets an open multi-line reply (after a gap).
    pub(crate) fn reset(&mut self) {
        self.open = None;
    }
}

/// `xyz` then SP, `-` or the end of the line (separator 0): the code, separator and text.
/// RFC 959 §4.2: the first digit is 1–5.
fn reply_code(line: &[u8]) -> Option<(u16, u8, &[u8])> {
    let (digits, rest) = line.split_at_checked(3)?;
    let mut code = 0u16;
    for (i, &d) in digits.iter().enumerate() {
        if !d.is_ascii_digit() || (i == 0 && !(b'1'..=b'5').contains(&d)) {
            return None;
        }
        code = code * 10 + u16::from(d - b'0');
    }
    match rest.split_first() {
        None => Some((code, 0, rest)),
        Some((&sep @ (b' ' | b'-'), text)) => Some((code, sep, text)),
        Some(_) => None,
    }
}

/// A command line split at its first space: the verb and its argument (RFC 959 §5.3,
/// RFC 5321 §4.1.1, RFC 1939 §3). Trailing spaces of the argument are dropped.
pub(crate) fn command(line: &[u8]) -> (&[u8], &[u8]) {
    match line.iter().position(|&b| b == b' ') {
        Some(i) => {
            let (verb, rest) = line.split_at(i);
            (verb, trim_end(rest.get(1..).unwrap_or_default()))
        }
        None => (trim_end(line), &[]),
    }
}

/// `b` without trailing spaces or tabs.
pub(crate) fn trim_end(b: &[u8]) -> &[u8] {
    let end = b
        .iter()
        .rposition(|&c| c != b' ' && c != b'\t')
        .map_or(0, |i| i + 1);
    b.get(..end).unwrap_or_default()
}

/// Case-insensitive ASCII equality (commands and keywords are case-insensitive: RFC 959
/// §5.3, RFC 5321 §2.4, RFC 1939 §3, RFC 9051 §9).
pub(crate) fn eq_ci(a: &[u8], b: &[u8]) -> bool {
    a.eq_ignore_ascii_case(b)
}

/// Case-insensitive prefix test.
pub(crate) fn starts_ci(hay: &[u8], prefix: &[u8]) -> bool {
    hay.get(..prefix.len())
        .is_some_and(|h| h.eq_ignore_ascii_case(prefix))
}

/// Case-insensitive substring test (short needles, short haystacks).
pub(crate) fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty()
        && hay
            .windows(needle.len())
            .any(|w| w.eq_ignore_ascii_case(needle))
}

/// True when `first` is a prefix of `word` or starts with it (case-insensitive): the probe
/// answer "NeedMore" versus "has it".
pub(crate) fn prefix_state(first: &[u8], word: &[u8]) -> Option<bool> {
    let n = first.len().min(word.len());
    let (f, w) = (first.get(..n)?, word.get(..n)?);
    if !f.eq_ignore_ascii_case(w) {
        None
    } else {
        Some(first.len() >= word.len())
    }
}

/// Probes a client's first command: `Yes` when its verb (ended by SP, CR or LF) is one of
/// `verbs`, `NeedMore` while the bytes could still become one, else `No`.
pub(crate) fn probe_verb(first: &[u8], verbs: &[&[u8]]) -> crate::parser::Probe {
    use crate::parser::Probe;
    // Only the longest verb's length plus its delimiter can decide: binary first bytes (a
    // TLS record, a DICOM PDU) are not scanned to their end.
    let longest = verbs.iter().map(|v| v.len()).max().unwrap_or(0);
    let head = first.get(..=longest).unwrap_or(first);
    match head.iter().position(|&b| matches!(b, b' ' | b'\r' | b'\n')) {
        Some(end) => {
            let verb = head.get(..end).unwrap_or_default();
            if verbs.iter().any(|v| eq_ci(v, verb)) {
                Probe::Yes
            } else {
                Probe::No
            }
        }
        None if verbs
            .iter()
            .any(|v| first.len() <= v.len() && prefix_state(first, v).is_some()) =>
        {
            Probe::NeedMore
        }
        None => Probe::No,
    }
}
