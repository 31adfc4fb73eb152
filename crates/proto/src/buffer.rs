//! Per-side accumulation for messages that span deliveries.
//!
//! The common case is zero-copy: a delivery that holds whole messages is parsed in place and
//! only an incomplete tail is copied. A message longer than the limit (CONVENTIONS §6: 1 MiB)
//! is skipped, not buffered.

/// One application message parsed at most (CONVENTIONS §6); larger ones are skipped.
pub const MAX_MESSAGE: usize = 1024 * 1024;

/// Bytes of one side kept between deliveries.
#[derive(Debug, Default)]
pub struct StreamBuf {
    held: Vec<u8>,
    /// Bytes still to skip (the rest of an oversized message).
    skip: usize,
}

/// What a message reader says about the bytes at the front of the buffer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Framed {
    /// A whole message of this many bytes is at the front.
    Message(usize),
    /// The message is incomplete; at least this many bytes in all are needed (a lower bound;
    /// 0 when unknown).
    Incomplete(usize),
    /// The bytes at the front are not a message: drop this many and go on.
    Skip(usize),
    /// Give up on this side.
    Invalid,
}

/// Outcome of [`StreamBuf::feed`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fed {
    /// Everything was consumed or held.
    Ok,
    /// The framer said [`Framed::Invalid`].
    Invalid,
    /// A message over the limit was skipped.
    Oversize,
}

impl StreamBuf {
    /// True when nothing is held.
    pub fn is_empty(&self) -> bool {
        self.held.is_empty() && self.skip == 0
    }

    /// Forgets held bytes (after a gap).
    pub fn clear(&mut self) {
        self.held.clear();
        self.skip = 0;
    }

    /// Appends `data` and hands every whole message to `on_message`, using `frame` to find
    /// message boundaries. `limit` caps one message (at most [`MAX_MESSAGE`]).
    pub fn feed(
        &mut self,
        mut data: &[u8],
        limit: usize,
        mut frame: impl FnMut(&[u8]) -> Framed,
        mut on_message: impl FnMut(&[u8]),
    ) -> Fed {
        let limit = limit.min(MAX_MESSAGE);
        let mut result = Fed::Ok;
        if self.skip > 0 {
            let n = self.skip.min(data.len());
            self.skip -= n;
            data = &data[n..];
        }
        // Zero-copy path: nothing held, parse in place.
        if self.held.is_empty() {
            loop {
                if data.is_empty() {
                    return result;
                }
                match frame(data) {
                    Framed::Message(n) if n > limit => {
                        // Whole but over the limit: skipped like one that arrives in pieces.
                        result = Fed::Oversize;
                        data = data.get(n..).unwrap_or_default();
                    }
                    Framed::Message(n) if n > 0 && n <= data.len() => {
                        on_message(&data[..n]);
                        data = &data[n..];
                    }
                    Framed::Skip(n) if n > 0 => data = data.get(n..).unwrap_or_default(),
                    Framed::Invalid => return Fed::Invalid,
                    Framed::Incomplete(need) if need > limit => {
                        self.skip = need - data.len().min(need);
                        return Fed::Oversize;
                    }
                    Framed::Incomplete(_) => {
                        if data.len() > limit {
                            return Fed::Oversize;
                        }
                        self.held.extend_from_slice(data);
                        return result;
                    }
                    // A framer bug (zero-length message): treat as invalid, never loop.
                    Framed::Message(_) | Framed::Skip(_) => return Fed::Invalid,
                }
            }
        }
        self.held.extend_from_slice(data);
        let mut start = 0;
        loop {
            let rest = &self.held[start..];
            if rest.is_empty() {
                break;
            }
            match frame(rest) {
                Framed::Message(n) if n > limit => {
                    result = Fed::Oversize;
                    start = (start + n).min(self.held.len());
                }
                Framed::Message(n) if n > 0 && n <= rest.len() => {
                    on_message(&rest[..n]);
                    start += n;
                }
                Framed::Skip(n) if n > 0 => start = (start + n).min(self.held.len()),
                Framed::Invalid => {
                    result = Fed::Invalid;
                    start = self.held.len();
                    break;
                }
                Framed::Incomplete(need) => {
                    if need > limit || rest.len() > limit {
                        self.skip = need.saturating_sub(rest.len());
                        result = Fed::Oversize;
                        start = self.held.len();
                    }
                    break;
                }
                Framed::Message(_) | Framed::Skip(_) => {
                    result = Fed::Invalid;
                    start = self.held.len();
                    break;
                }
            }
        }
        self.held.drain(..start);
        if self.held.is_empty() {
            // Give back the memory of a large message once it is parsed.
            self.held.shrink_to(4096);
        }
        result
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Messages are a length byte then that many bytes.
    fn frame(b: &[u8]) -> Framed {
        match b.first() {
            Some(&n) if b.len() > usize::from(n) => Framed::Message(usize::from(n) + 1),
            Some(&n) => Framed::Incomplete(usize::from(n) + 1),
            None => Framed::Incomplete(1),
        }
    }

    fn run(chunks: &[&[u8]], limit: usize) -> (Vec<Vec<u8>>, Vec<Fed>) {
        let mut buf = StreamBuf::default();
        let mut got = Vec::new();
        let mut fed = Vec::new();
        for c in chunks {
            fed.push(buf.feed(c, limit, frame, |m| got.push(m.to_vec())));
        }
        (got, fed)
    }

    #[test]
    fn messages_split_across_deliveries_are_joined() {
        let (got, _) = run(&[b"\x02a", b"b\x01", b"c\x03xyz"], 100);
        assert_eq!(
            got,
            vec![b"\x02ab".to_vec(), b"\x01c".to_vec(), b"\x03xyz".to_vec()]
        );
    }

    #[test]
    fn whole_message_over_the_limit_is_skipped_too() {
        let (got, fed) = run(&[b"\x05abcde\x01z"], 4);
        assert_eq!(fed[0], Fed::Oversize);
        assert_eq!(got, vec![b"\x01z".to_vec()]);
    }

    #[test]
    fn oversized_message_is_skipped_and_the_next_one_parsed() {
        let (got, fed) = run(&[b"\x05ab", b"cde\x01z"], 4);
        assert_eq!(fed[0], Fed::Oversize);
        assert_eq!(got, vec![b"\x01z".to_vec()]);
    }
}
