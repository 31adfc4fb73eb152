//! A refillable input window: large reads or mapped windows, zero-copy views, bounded memory.
//!
//! Two stores behind one interface (`ensure`, `peek`, `window`, `consume`, `slice`):
//!
//! - **read(2)** (pipes, [`crate::FileSource::from_reader`], and the fallback): the buffer is
//!   read in chunks of `read_buffer` bytes. When a caller needs more bytes than are
//!   buffered, the unconsumed tail moves to the front and the rest of the buffer is filled
//!   again; the buffer grows only when a single record or block is larger than it (up to the
//!   record or block limit, checked by the callers before asking). Memory is therefore at
//!   most `max(read_buffer, largest accepted record) + a little`, whatever the input size.
//! - **mmap** (regular files when `map_window` is set, [`crate::mmap`]): the "buffer" is a
//!   mapped window of the file. When a caller needs more bytes than the window holds, the
//!   window is unmapped and the next is mapped from the page holding the first unconsumed
//!   byte, so nothing is ever copied; mapped pages in the resident set stay under
//!   `max(map_window, a page + largest accepted record)`.

use std::fmt;
use std::io::{self, Read, Seek, SeekFrom};
use std::sync::Arc;

use crate::error::{CaptureError, ErrorKind};
use crate::mmap::MappedFile;

/// Mapped store: how far ahead of the reader cache lines are prefetched (of 1, 4, 8 and
/// 16 KiB, 4 and 8 KiB measured best on `wardline analyze`), and how many bytes' worth at a
/// time (one call per 512 bytes consumed, not one per packet).
const PREFETCH_AHEAD: usize = 4096;
const PREFETCH_BATCH: usize = 512;

/// Buffers no smaller than this are allocated even for tiny inputs (cheap; avoids reallocations).
const MIN_BUFFER: usize = 4096;

/// Byte order of the capture's integers.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Endian {
    Little,
    Big,
}

impl Endian {
    #[inline]
    pub(crate) fn u16(self, b: [u8; 2]) -> u16 {
        match self {
            Self::Little => u16::from_le_bytes(b),
            Self::Big => u16::from_be_bytes(b),
        }
    }

    #[inline]
    pub(crate) fn u32(self, b: [u8; 4]) -> u32 {
        match self {
            Self::Little => u32::from_le_bytes(b),
            Self::Big => u32::from_be_bytes(b),
        }
    }

    #[inline]
    pub(crate) fn u64(self, b: [u8; 8]) -> u64 {
        match self {
            Self::Little => u64::from_le_bytes(b),
            Self::Big => u64::from_be_bytes(b),
        }
    }

    /// A `u32` at `at` in `bytes`, or `None` when `bytes` is too short.
    #[inline]
    pub(crate) fn u32_at(self, bytes: &[u8], at: usize) -> Option<u32> {
        let b = bytes.get(at..)?.first_chunk::<4>()?;
        Some(self.u32(*b))
    }

    /// A `u16` at `at` in `bytes`, or `None` when `bytes` is too short.
    #[inline]
    pub(crate) fn u16_at(self, bytes: &[u8], at: usize) -> Option<u16> {
        let b = bytes.get(at..)?.first_chunk::<2>()?;
        Some(self.u16(*b))
    }
}

/// Where an [`Input`]'s bytes come from.
enum Store {
    /// read(2) into an owned buffer (pipes, `from_reader`, and the fallback).
    Read {
        reader: Box<dyn Read + Send>,
        buf: Vec<u8>,
    },
    /// Windows of a memory-mapped regular file.
    Map(MappedFile),
}

/// The buffered (or mapped) input of one capture.
///
/// Both stores expose the same view: bytes `pos..end` of [`Self::data`] are the unconsumed
/// ones that are at hand, and `data()[0]` is input offset `base`. For a mapped file `data()`
/// is the current window and `end` its length.
pub(crate) struct Input {
    name: Arc<str>,
    store: Store,
    /// Next unconsumed byte in `data()`.
    pos: usize,
    /// End of the valid bytes in `data()`.
    end: usize,
    /// Input offset of `data()[0]`.
    base: u64,
    eof: bool,
    total: Option<u64>,
    /// Size of one read and of the read buffer at rest (also after a mapping fails).
    read_buffer: usize,
    /// Mapped store: index in the window up to which cache lines were prefetched.
    prefetched: usize,
}

impl fmt::Debug for Input {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Input");
        d.field("name", &self.name);
        match &self.store {
            Store::Read { buf, .. } => d.field("buffer_len", &buf.len()),
            Store::Map(m) => d.field("mapped_len", &m.bytes().len()),
        };
        d.field("offset", &self.offset())
            .field("buffered", &(self.end - self.pos))
            .field("eof", &self.eof)
            .field("total", &self.total)
            .finish()
    }
}

impl Input {
    pub(crate) fn new(
        name: Arc<str>,
        reader: Box<dyn Read + Send>,
        total: Option<u64>,
        read_buffer: usize,
    ) -> Self {
        let chunk = read_buffer.max(1);
        // A small file needs no more than its own size (+1 so that one read also sees EOF).
        let size = match total {
            Some(t) => usize::try_from(t.saturating_add(1))
                .unwrap_or(usize::MAX)
                .clamp(MIN_BUFFER.min(chunk), chunk),
            None => chunk,
        };
        Self {
            name,
            store: Store::Read {
                reader,
                buf: vec![0; size],
            },
            pos: 0,
            end: 0,
            base: 0,
            eof: false,
            total,
            read_buffer: chunk,
            prefetched: 0,
        }
    }

    /// Reads the regular file `file` through mapped windows (nothing is mapped yet). If a
    /// mapping fails, the input goes on with read(2) from the same offset in `read_buffer`
    /// chunks, so a file system that cannot map still reads.
    pub(crate) fn mapped(name: Arc<str>, file: MappedFile, read_buffer: usize) -> Self {
        let total = Some(file.len());
        Self {
            name,
            store: Store::Map(file),
            pos: 0,
            end: 0,
            base: 0,
            eof: false,
            total,
            read_buffer: read_buffer.max(1),
            prefetched: 0,
        }
    }

    pub(crate) fn name(&self) -> &Arc<str> {
        &self.name
    }

    /// Input offset of the next unconsumed byte.
    #[inline]
    pub(crate) fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// Total input size, when known.
    pub(crate) fn total(&self) -> Option<u64> {
        self.total
    }

    /// Whether the input is read through mapped windows (it may switch to read(2) if a
    /// mapping fails).
    pub(crate) fn is_mapped(&self) -> bool {
        matches!(self.store, Store::Map(_))
    }

    /// The bytes `pos..end` index into.
    #[inline]
    fn data(&self) -> &[u8] {
        match &self.store {
            Store::Read { buf, .. } => buf,
            Store::Map(m) => m.bytes(),
        }
    }

    /// Makes at least `n` bytes available past the current position if the input has them.
    /// Returns how many are available, capped at `n` (less than `n` only at the input's end).
    #[inline]
    pub(crate) fn ensure(&mut self, n: usize) -> io::Result<usize> {
        if self.end - self.pos >= n {
            Ok(n)
        } else {
            self.refill(n)
        }
    }

    #[cold]
    #[inline(never)]
    fn refill(&mut self, n: usize) -> io::Result<usize> {
        if let Store::Map(map) = &mut self.store {
            let at = self.base + self.pos as u64;
            if self.eof {
                // The window reaches the end of the file: nothing more to map. Once all of
                // it is consumed, unmap it (no frame borrows it past this call).
                if self.pos == self.end && self.end > 0 {
                    map.release();
                    self.base = at;
                    self.pos = 0;
                    self.end = 0;
                }
                return Ok((self.end - self.pos).min(n));
            }
            // The next window starts at the first unconsumed byte, so a record or block
            // that straddles the old window's end lies whole in the new one.
            match map.map_at(at, n) {
                Ok(start) => {
                    self.base = start;
                    self.prefetched = 0;
                    self.pos = (at - start) as usize;
                    self.end = map.bytes().len();
                    self.eof = start + self.end as u64 >= map.len();
                    return Ok((self.end - self.pos).min(n));
                }
                Err(_) => self.fall_back_to_read(at)?,
            }
        }
        let Store::Read { reader, buf } = &mut self.store else {
            return Ok(0);
        };
        if self.pos > 0 {
            buf.copy_within(self.pos..self.end, 0);
            self.base += self.pos as u64;
            self.end -= self.pos;
            self.pos = 0;
        }
        if buf.len() < n {
            // One record or block larger than the buffer: grow to fit it (callers check the
            // limits before asking, so this stays bounded).
            buf.resize(n, 0);
        }
        while self.end < n && !self.eof {
            match reader.read(&mut buf[self.end..]) {
                Ok(0) => self.eof = true,
                Ok(k) => self.end += k,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok((self.end - self.pos).min(n))
    }

    /// A mapping failed (address space, a file system without mmap): read the rest of the
    /// file with read(2) from input offset `at`, up to the length it had at open.
    #[cold]
    fn fall_back_to_read(&mut self, at: u64) -> io::Result<()> {
        let placeholder = Store::Read {
            reader: Box::new(io::empty()),
            buf: Vec::new(),
        };
        let Store::Map(map) = std::mem::replace(&mut self.store, placeholder) else {
            return Ok(());
        };
        let len = map.len();
        let mut file = map.into_file();
        file.seek(SeekFrom::Start(at))?;
        let left = len.saturating_sub(at);
        let chunk = self.read_buffer;
        let size = usize::try_from(left.saturating_add(1))
            .unwrap_or(usize::MAX)
            .clamp(MIN_BUFFER.min(chunk), chunk);
        self.store = Store::Read {
            reader: Box::new(file.take(left)),
            buf: vec![0; size],
        };
        self.base = at;
        self.pos = 0;
        self.end = 0;
        self.eof = false;
        Ok(())
    }

    /// The first `N` buffered bytes (zeros past the buffered ones; callers `ensure` first).
    #[inline]
    pub(crate) fn peek<const N: usize>(&self) -> [u8; N] {
        match self
            .data()
            .get(self.pos..self.end)
            .and_then(|s| s.first_chunk::<N>())
        {
            Some(b) => *b,
            None => [0; N],
        }
    }

    /// The next `len` buffered bytes (callers `ensure(len)` first; shorter if they did not).
    #[inline]
    pub(crate) fn window(&self, len: usize) -> &[u8] {
        let end = self.pos.saturating_add(len).min(self.end);
        self.data().get(self.pos..end).unwrap_or_default()
    }

    /// Consumes `len` buffered bytes; returns the buffer index where they start, for
    /// [`Self::slice`].
    #[inline]
    pub(crate) fn consume(&mut self, len: usize) -> usize {
        let start = self.pos;
        self.pos = self.pos.saturating_add(len).min(self.end);
        if let Store::Map(map) = &self.store {
            // Keep the CPU loading the window a little ahead of the reader (mmap::prefetch).
            let ahead = self.pos + PREFETCH_AHEAD;
            if ahead > self.prefetched {
                let to = ahead + PREFETCH_BATCH;
                crate::mmap::prefetch(map.bytes(), self.prefetched.max(self.pos), to);
                self.prefetched = to;
            }
        }
        start
    }

    /// Bytes `start..start + len` of the buffer, valid until the next `ensure`.
    #[inline]
    pub(crate) fn slice(&self, start: usize, len: usize) -> &[u8] {
        self.data()
            .get(start..start.saturating_add(len))
            .unwrap_or_default()
    }

    /// An error about the unit at input offset `offset`.
    #[cold]
    pub(crate) fn error(&self, offset: u64, frames: u64, kind: ErrorKind) -> CaptureError {
        CaptureError::new(self.name.clone(), offset, frames, kind)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Hands out at most `step` bytes per read, like a pipe.
    struct Trickle {
        data: Vec<u8>,
        at: usize,
        step: usize,
    }

    impl Read for Trickle {
        fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
            let n = self.step.min(out.len()).min(self.data.len() - self.at);
            out[..n].copy_from_slice(&self.data[self.at..self.at + n]);
            self.at += n;
            Ok(n)
        }
    }

    #[test]
    fn refill_keeps_tail_and_offsets() {
        let data: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
        let reader = Trickle {
            data: data.clone(),
            at: 0,
            step: 7,
        };
        let mut input = Input::new("t".into(), Box::new(reader), None, 16);
        let mut offset = 0usize;
        for len in [3usize, 16, 1, 40, 5, 100, 2] {
            assert_eq!(input.ensure(len).unwrap(), len);
            assert_eq!(input.offset(), offset as u64);
            assert_eq!(input.window(len), &data[offset..offset + len]);
            let start = input.consume(len);
            assert_eq!(input.slice(start, len), &data[offset..offset + len]);
            offset += len;
        }
        // Read to the end: the last ensure reports what is left.
        let left = data.len() - offset;
        assert_eq!(input.ensure(left + 10).unwrap(), left);
        input.consume(left);
        assert_eq!(input.ensure(1).unwrap(), 0);
        assert_eq!(input.offset(), data.len() as u64);
    }

    #[test]
    fn small_total_allocates_small_buffer() {
        let buffer_len = |input: &Input| match &input.store {
            Store::Read { buf, .. } => buf.len(),
            Store::Map(_) => unreachable!("a reader is never mapped"),
        };
        let input = Input::new("t".into(), Box::new(io::empty()), Some(10), 1 << 22);
        assert_eq!(buffer_len(&input), MIN_BUFFER);
        let input = Input::new("t".into(), Box::new(io::empty()), Some(1 << 30), 1 << 22);
        assert_eq!(buffer_len(&input), 1 << 22);
    }

    #[test]
    fn read_errors_propagate() {
        struct Failing;
        impl Read for Failing {
            fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
                Err(io::Error::other("disk on fire"))
            }
        }
        let mut input = Input::new("t".into(), Box::new(Failing), None, 64);
        assert_eq!(input.ensure(4).unwrap_err().to_string(), "disk on fire");
    }
}
