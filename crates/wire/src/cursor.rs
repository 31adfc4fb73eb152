//! A bounds-checked reader over untrusted bytes (rustls `Reader` style), shared by every
//! parser that reads a structure front to back.
//!
//! Every read either returns the value and advances, or fails without advancing: with
//! [`ReadError::Incomplete`] when the buffer ends before the value (the caller may wait for
//! more bytes of a stream) or, from the parser's own checks, [`ReadError::Malformed`] with a
//! stable snake_case reason. Nothing here indexes, so nothing here panics.

/// Why a read failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReadError {
    /// The input ended: at least `needed` more bytes are required.
    Incomplete {
        /// Bytes missing (a lower bound).
        needed: usize,
    },
    /// The input breaks the format: a stable snake_case reason, counted by protocol.
    Malformed(&'static str),
}

/// Result of a read.
pub type ReadResult<T> = Result<T, ReadError>;

/// A cursor over a byte slice.
#[derive(Debug, Clone, Copy)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    /// A reader at the start of `buf`.
    pub const fn new(buf: &'a [u8]) -> Self {
        Self { buf, pos: 0 }
    }

    /// Bytes read so far.
    pub const fn position(&self) -> usize {
        self.pos
    }

    /// Bytes left.
    pub fn remaining(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// True when nothing is left.
    pub fn is_empty(&self) -> bool {
        self.remaining() == 0
    }

    /// The unread bytes (without consuming them).
    pub fn rest(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or_default()
    }

    /// Takes the next `n` bytes.
    pub fn take(&mut self, n: usize) -> ReadResult<&'a [u8]> {
        let rest = self.rest();
        match rest.get(..n) {
            Some(bytes) => {
                self.pos += n;
                Ok(bytes)
            }
            None => Err(ReadError::Incomplete {
                needed: n - rest.len(),
            }),
        }
    }

    /// Takes everything left.
    pub fn take_rest(&mut self) -> &'a [u8] {
        let rest = self.rest();
        self.pos = self.buf.len();
        rest
    }

    /// Skips `n` bytes.
    pub fn skip(&mut self, n: usize) -> ReadResult<()> {
        self.take(n).map(|_| ())
    }

    /// A reader over the next `n` bytes, which this one skips.
    pub fn sub(&mut self, n: usize) -> ReadResult<Reader<'a>> {
        self.take(n).map(Reader::new)
    }

    /// Takes the next `N` bytes as an array.
    pub fn array<const N: usize>(&mut self) -> ReadResult<[u8; N]> {
        let bytes = self.take(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    /// The next byte, not consumed.
    pub fn peek_u8(&self) -> ReadResult<u8> {
        self.rest()
            .first()
            .copied()
            .ok_or(ReadError::Incomplete { needed: 1 })
    }

    /// One byte.
    pub fn u8(&mut self) -> ReadResult<u8> {
        Ok(self.array::<1>()?[0])
    }

    /// Big-endian u16.
    pub fn u16(&mut self) -> ReadResult<u16> {
        self.array().map(u16::from_be_bytes)
    }

    /// Big-endian 24-bit integer (TLS handshake lengths).
    pub fn u24(&mut self) -> ReadResult<u32> {
        let [a, b, c] = self.array()?;
        Ok(u32::from_be_bytes([0, a, b, c]))
    }

    /// Big-endian u32.
    pub fn u32(&mut self) -> ReadResult<u32> {
        self.array().map(u32::from_be_bytes)
    }

    /// Little-endian u16 (DICOM little-endian transfer syntaxes).
    pub fn u16_le(&mut self) -> ReadResult<u16> {
        self.array().map(u16::from_le_bytes)
    }

    /// Little-endian u32.
    pub fn u32_le(&mut self) -> ReadResult<u32> {
        self.array().map(u32::from_le_bytes)
    }

    /// A slice prefixed by a one-byte length.
    pub fn u8_prefixed(&mut self) -> ReadResult<&'a [u8]> {
        let at = *self;
        let len = self.u8()?;
        self.take(usize::from(len)).inspect_err(|_| *self = at)
    }

    /// A slice prefixed by a big-endian two-byte length.
    pub fn u16_prefixed(&mut self) -> ReadResult<&'a [u8]> {
        let at = *self;
        let len = self.u16()?;
        self.take(usize::from(len)).inspect_err(|_| *self = at)
    }

    /// A slice prefixed by a big-endian three-byte length.
    pub fn u24_prefixed(&mut self) -> ReadResult<&'a [u8]> {
        let at = *self;
        let len = self.u24()?;
        self.take(len as usize).inspect_err(|_| *self = at)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_advance_and_failures_do_not() {
        let mut r = Reader::new(&[0x01, 0x02, 0x03, 0x00, 0x02, 0xaa]);
        assert_eq!(r.u8(), Ok(1));
        assert_eq!(r.u16(), Ok(0x0203));
        assert_eq!(r.u32(), Err(ReadError::Incomplete { needed: 1 }));
        assert_eq!(r.position(), 3, "a failed read does not advance");
        // Length 2 but only one byte left: incomplete by one, and the length is not consumed.
        assert_eq!(r.u16_prefixed(), Err(ReadError::Incomplete { needed: 1 }));
        assert_eq!(r.position(), 3);
        assert_eq!(r.take_rest(), &[0x00, 0x02, 0xaa]);
        assert!(r.is_empty());
        assert_eq!(r.peek_u8(), Err(ReadError::Incomplete { needed: 1 }));
    }

    #[test]
    fn sub_reader_is_bounded() {
        let mut r = Reader::new(b"abcdef");
        let mut sub = r.sub(2).unwrap();
        assert_eq!(sub.take(3), Err(ReadError::Incomplete { needed: 1 }));
        assert_eq!(sub.take(2), Ok(&b"ab"[..]));
        assert_eq!(r.rest(), b"cdef");
        assert_eq!(r.u24(), Ok(0x636465));
        assert_eq!(r.u16_le(), Err(ReadError::Incomplete { needed: 1 }));
    }
}
