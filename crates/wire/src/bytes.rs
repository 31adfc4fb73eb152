//! Fixed-offset big-endian reads for views whose lengths were checked once by `new_checked`
//! (the smoltcp contract): these index directly and may only be called after that check.
//! Parsers of unchecked input use [`crate::cursor::Reader`] instead.

/// The big-endian `u16` at `at`. Panics if `b` is shorter than `at + 2`: callers check first.
#[inline]
pub(crate) fn read_u16(b: &[u8], at: usize) -> u16 {
    u16::from_be_bytes([b[at], b[at + 1]])
}
