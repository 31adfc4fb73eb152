//! HTTP/1.1 message body framing (RFC 9112 §6, §7.1): how long a body is, and a reader that
//! walks over it without keeping it (the content goes to a callback that may keep a bounded
//! prefix).

use super::message::Head;

/// Longest chunk-size line (with extensions) or trailer line read (RFC 9112 §7.1.1 leaves
/// extension length to the recipient; 4 KiB is far above real senders, which send none).
pub(crate) const MAX_CHUNK_LINE: usize = 4096;

/// Largest chunk size followed (1 TiB): anything bigger is hostile, not a body; stopping keeps
/// the skip arithmetic far from overflow.
pub(crate) const MAX_CHUNK: u64 = 1 << 40;

/// How a message's body is delimited (RFC 9112 §6.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// No body.
    None,
    /// Exactly this many bytes (Content-Length, RFC 9112 §6.2).
    Length(u64),
    /// The chunked transfer coding (RFC 9112 §7.1).
    Chunked,
    /// Until the connection closes (a response without length, RFC 9112 §6.3 item 8).
    UntilClose,
    /// The connection stops being HTTP (101 Switching Protocols, 2xx to CONNECT: §6.3 item 2).
    Tunnel,
}

/// The framing fields of a head.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FramingFields {
    /// Content-Length (RFC 9110 §8.6): `None` absent, `Some(Err)` unusable.
    pub(crate) length: Option<Result<u64, &'static str>>,
    /// Transfer-Encoding present (RFC 9112 §6.1).
    pub(crate) transfer_encoding: bool,
    /// Its final coding is `chunked`.
    pub(crate) chunked: bool,
}

impl FramingFields {
    /// Reads Content-Length and Transfer-Encoding from `head`.
    pub(crate) fn of(head: &Head<'_, '_>) -> Self {
        let mut length: Option<Result<u64, &'static str>> = None;
        for v in head.fields("content-length") {
            // RFC 9110 §8.6: a list of identical values may be taken as one value.
            for item in v.split(|&b| b == b',') {
                let parsed = parse_length(wire::text::trim_ascii(item));
                length = match (length, parsed) {
                    (None, p) => Some(p),
                    (Some(Ok(a)), Ok(b)) if a == b => Some(Ok(a)),
                    (Some(Err(e)), _) | (_, Err(e)) => Some(Err(e)),
                    (Some(Ok(_)), Ok(_)) => Some(Err("http_content_length_conflict")),
                };
            }
        }
        let mut transfer_encoding = false;
        let mut last: &[u8] = b"";
        for v in head.fields("transfer-encoding") {
            transfer_encoding = true;
            if let Some(c) = v.rsplit(|&b| b == b',').next() {
                let c = wire::text::trim_ascii(c);
                if !c.is_empty() {
                    last = c;
                }
            }
        }
        Self {
            length,
            transfer_encoding,
            chunked: transfer_encoding && last.eq_ignore_ascii_case(b"chunked"),
        }
    }
}

/// RFC 9110 §8.6 `Content-Length = 1*DIGIT`.
fn parse_length(v: &[u8]) -> Result<u64, &'static str> {
    if v.is_empty() || !v.iter().all(u8::is_ascii_digit) {
        return Err("http_content_length_invalid");
    }
    v.iter()
        .try_fold(0u64, |n, &d| {
            n.checked_mul(10)?.checked_add(u64::from(d - b'0'))
        })
        .ok_or("http_content_length_invalid")
}

/// A request's body framing (RFC 9112 §6.3 items 3, 4, 5, 6). `Err` is a reason to stop
/// following the side (the framing cannot be known).
pub(crate) fn request_framing(f: &FramingFields) -> Result<Framing, &'static str> {
    if f.transfer_encoding {
        // Item 4: a request whose final coding is not chunked cannot be framed.
        return if f.chunked {
            Ok(Framing::Chunked)
        } else {
            Err("http_request_transfer_encoding_not_chunked")
        };
    }
    match f.length {
        Some(Ok(0)) | None => Ok(Framing::None),
        Some(Ok(n)) => Ok(Framing::Length(n)),
        Some(Err(e)) => Err(e),
    }
}

/// A response's body framing (RFC 9112 §6.3 items 1–8), given the request method.
pub(crate) fn response_framing(
    f: &FramingFields,
    code: u16,
    head_request: bool,
    connect_request: bool,
) -> Result<Framing, &'static str> {
    // Item 2: a 2xx to CONNECT switches to a tunnel; 101 switches protocols (RFC 9110 §15.2.2).
    if code == 101 || (connect_request && (200..300).contains(&code)) {
        return Ok(Framing::Tunnel);
    }
    // Item 1: HEAD responses, 1xx, 204 and 304 end at the head.
    if head_request || (100..200).contains(&code) || code == 204 || code == 304 {
        return Ok(Framing::None);
    }
    if f.transfer_encoding {
        // Item 4: chunked last, or else read until close.
        return Ok(if f.chunked {
            Framing::Chunked
        } else {
            Framing::UntilClose
        });
    }
    match f.length {
        Some(Ok(0)) => Ok(Framing::None),
        Some(Ok(n)) => Ok(Framing::Length(n)),
        // Item 5: an invalid Content-Length in a response is unrecoverable.
        Some(Err(e)) => Err(e),
        None => Ok(Framing::UntilClose),
    }
}

/// Where a reader is inside a body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    /// Content bytes left of a Content-Length body.
    Length(u64),
    /// RFC 9112 §7.1: at a chunk-size line.
    ChunkSize,
    /// Content bytes left of the current chunk.
    ChunkData(u64),
    /// The CRLF after a chunk's data.
    ChunkEnd,
    /// RFC 9112 §7.1.2: trailer lines until an empty one.
    Trailer,
    /// Until the connection closes.
    UntilClose,
    /// The body is over.
    Done,
}

/// Walks one body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct BodyReader {
    phase: Phase,
    /// Content bytes seen (chunk framing excluded).
    pub(crate) content: u64,
}

/// What [`BodyReader::read`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Read {
    /// Bytes of the input consumed.
    pub(crate) consumed: usize,
    /// The body ended (the rest of the input is the next message).
    pub(crate) done: bool,
}

impl BodyReader {
    /// A reader for a body framed by `framing` (`None` and `Tunnel` read nothing).
    pub(crate) fn new(framing: Framing) -> Self {
        let phase = match framing {
            Framing::Length(n) if n > 0 => Phase::Length(n),
            Framing::Chunked => Phase::ChunkSize,
            Framing::UntilClose => Phase::UntilClose,
            Framing::Length(_) | Framing::None | Framing::Tunnel => Phase::Done,
        };
        Self { phase, content: 0 }
    }

    /// True for a body read until the connection closes.
    pub(crate) fn until_close(&self) -> bool {
        self.phase == Phase::UntilClose
    }

    /// Reads body bytes at the front of `buf`, handing content to `on_content`. Stops at the
    /// end of the body, or where a chunk-size or trailer line is incomplete (the caller keeps
    /// the unconsumed bytes and calls again with more). `Err` is a framing violation.
    pub(crate) fn read(
        &mut self,
        buf: &[u8],
        mut on_content: impl FnMut(&[u8]),
    ) -> Result<Read, &'static str> {
        let mut pos = 0;
        loop {
            let rest = buf.get(pos..).unwrap_or_default();
            match self.phase {
                Phase::Done => {
                    return Ok(Read {
                        consumed: pos,
                        done: true,
                    });
                }
                _ if rest.is_empty() => {
                    return Ok(Read {
                        consumed: pos,
                        done: false,
                    });
                }
                Phase::Length(left) | Phase::ChunkData(left) => {
                    let n = usize::try_from(left).unwrap_or(usize::MAX).min(rest.len());
                    on_content(rest.get(..n).unwrap_or_default());
                    pos += n;
                    self.content = self.content.saturating_add(n as u64);
                    let left = left - n as u64;
                    self.phase = match self.phase {
                        Phase::Length(_) if left == 0 => Phase::Done,
                        Phase::Length(_) => Phase::Length(left),
                        _ if left == 0 => Phase::ChunkEnd,
                        _ => Phase::ChunkData(left),
                    };
                }
                Phase::UntilClose => {
                    on_content(rest);
                    self.content = self.content.saturating_add(rest.len() as u64);
                    return Ok(Read {
                        consumed: buf.len(),
                        done: false,
                    });
                }
                Phase::ChunkSize => {
                    let Some(line) = line(rest)? else {
                        return Ok(Read {
                            consumed: pos,
                            done: false,
                        });
                    };
                    // RFC 9112 §7.1: chunk-size [ chunk-ext ] CRLF; 16 hex digits at most.
                    let size = match httparse::parse_chunk_size(line) {
                        Ok(httparse::Status::Complete((_, size))) => size,
                        _ => return Err("http_chunk_size_invalid"),
                    };
                    if size > MAX_CHUNK {
                        return Err("http_chunk_size_implausible");
                    }
                    pos += line.len();
                    self.phase = if size == 0 {
                        Phase::Trailer
                    } else {
                        Phase::ChunkData(size)
                    };
                }
                Phase::ChunkEnd => match rest {
                    [b'\r', b'\n', ..] => {
                        pos += 2;
                        self.phase = Phase::ChunkSize;
                    }
                    [b'\n', ..] => {
                        pos += 1;
                        self.phase = Phase::ChunkSize;
                    }
                    [b'\r'] => {
                        return Ok(Read {
                            consumed: pos,
                            done: false,
                        });
                    }
                    _ => return Err("http_chunk_missing_crlf"),
                },
                Phase::Trailer => {
                    let Some(line) = line(rest)? else {
                        return Ok(Read {
                            consumed: pos,
                            done: false,
                        });
                    };
                    pos += line.len();
                    if matches!(line, b"\r\n" | b"\n") {
                        self.phase = Phase::Done;
                    }
                }
            }
        }
    }

    /// `len` bytes of the body were lost: true when they lay inside content of known length
    /// (the reader then stays in step), false when the framing is lost.
    pub(crate) fn skip_lost(&mut self, len: u64) -> bool {
        match self.phase {
            Phase::Length(left) if len < left => {
                self.phase = Phase::Length(left - len);
                self.content = self.content.saturating_add(len);
                true
            }
            Phase::ChunkData(left) if len < left => {
                self.phase = Phase::ChunkData(left - len);
                self.content = self.content.saturating_add(len);
                true
            }
            Phase::UntilClose => {
                self.content = self.content.saturating_add(len);
                true
            }
            _ => false,
        }
    }
}

/// One line (LF included) at the front of `buf`, `None` if incomplete, `Err` when longer than
/// [`MAX_CHUNK_LINE`].
fn line(buf: &[u8]) -> Result<Option<&[u8]>, &'static str> {
    let window = buf.get(..buf.len().min(MAX_CHUNK_LINE)).unwrap_or_default();
    match window.iter().position(|&b| b == b'\n') {
        Some(i) => Ok(window.get(..=i)),
        None if buf.len() >= MAX_CHUNK_LINE => Err("http_chunk_line_too_long"),
        None => Ok(None),
    }
}
