//! Bounded windows of a memory-mapped capture file: the crate's one module with `unsafe`.
//!
//! When [`crate::CaptureLimits::map_window`] is set, a regular file is read through one
//! read-only window of that many bytes at a time. Frames borrow straight from the mapping:
//! no copy into a buffer. When the reader needs bytes past the window's end (a record or
//! block that straddles it), the window is unmapped first, and the next one is mapped from
//! the start of the page that holds the first unconsumed byte, so consecutive windows overlap
//! by the straddling record plus less than a page and that record lies whole in the new
//! window; nothing is copied. A window is longer than `map_window` only when one record or
//! block (plus that lead of less than a page) is, so the mapped pages in the resident set
//! stay under `max(map_window, 4 KiB + largest accepted record or block)` whatever the file
//! size (CONVENTIONS §7).
//!
//! # The invariant
//!
//! A mapping hands out `&[u8]` into the page cache. That is sound only while nobody changes
//! the mapped bytes or truncates the file under it: a write would change bytes behind a
//! shared reference (formally undefined behaviour), and a truncation turns reads of the
//! mapped pages past the new end into `SIGBUS`, which kills the process. wardline therefore
//! reads captures that are **not being modified concurrently**, as tcpdump and Wireshark
//! assume; a capture still being written is read with mapping off or through a pipe (the
//! read(2) path). Within that assumption this module never maps past the length the file
//! had when it was opened, so every mapped byte exists in the file.
//!
//! # Speed
//!
//! Measured with `wardline analyze` on a 1.1 GB pcap in the page cache (medians of
//! interleaved runs on a noisy 2-core VM): the mapping saves the kernel's copy (system time
//! 0.22 → 0.15 s) but the parser then misses the CPU caches on every packet, which read(2)
//! had just filled (user time 0.54 → 0.62 s); prefetching 4 KiB ahead of the reader
//! ([`prefetch`]) takes user time back to 0.54 s. Whether the whole beats read(2) depends on
//! how the pages get mapped: faulted in one 4 KiB page at a time, mapping, unmapping and TLB
//! misses cost about what the copy did, and it broke even; populated when the window is
//! mapped (`MAP_POPULATE`, as now), it beats read(2) by 3–4% (the crate docs have the
//! numbers).

use std::fs::File;
use std::io;

use memmap2::{Advice, Mmap, MmapOptions};

/// Windows start on this file offset alignment: a 4 KiB page. (memmap2 aligns the offset
/// down to the system's real page size in any case and hides the slack.)
const ALIGN: u64 = 4096;

/// A regular file read through one mapped window at a time.
#[derive(Debug)]
pub(crate) struct MappedFile {
    file: File,
    /// File length when it was opened: no window reaches past it.
    len: u64,
    /// Default window length (a window grows past it only for one larger record or block).
    window: usize,
    /// The mapped window, `None` before the first and after [`Self::release`].
    map: Option<Mmap>,
    /// Test hook: the number of further windows that may be mapped before `map_at` fails.
    #[cfg(test)]
    pub(crate) fail_after: Option<u32>,
}

impl MappedFile {
    /// `file` must be a regular file of length `len` (> 0) that nobody modifies while it is
    /// read (module docs). Maps nothing yet.
    pub(crate) fn new(file: File, len: u64, window: usize) -> Self {
        Self {
            file,
            len,
            window: window.max(1),
            map: None,
            #[cfg(test)]
            fail_after: None,
        }
    }

    /// File length at open.
    pub(crate) fn len(&self) -> u64 {
        self.len
    }

    /// Unmaps the current window, then maps one that holds file bytes
    /// `offset..offset + need` and, file length permitting, reaches `window` bytes past its
    /// start. The window starts at `offset` rounded down to a page ([`ALIGN`]); returns that
    /// start. On error nothing is mapped.
    pub(crate) fn map_at(&mut self, offset: u64, need: usize) -> io::Result<u64> {
        // Drop (munmap) the old window before mapping the next: one window in the RSS.
        self.map = None;
        #[cfg(test)]
        if let Some(left) = self.fail_after.as_mut() {
            if *left == 0 {
                return Err(io::Error::other("injected mmap failure"));
            }
            *left -= 1;
        }
        let start = offset - offset % ALIGN;
        // Below ALIGN, so it fits in usize.
        let lead = (offset - start) as usize;
        let want = self.window.max(lead.saturating_add(need));
        let left = self.len.saturating_sub(start);
        let len = usize::try_from(left).map_or(want, |left| want.min(left));
        if len == 0 {
            return Ok(start);
        }
        let map = {
            let mut options = MmapOptions::new();
            // Populate: the window's page-table entries are made in this one call, not by a
            // fault per page as the parser walks it (the crate docs have the figures).
            options.offset(start).len(len).populate();
            // SAFETY: (1) `start + len <= self.len`, the file's length when it was opened
            // (`len` is cut at `self.len - start` above), so every mapped byte exists in the
            // file and reading it cannot fault while the file keeps that length. (2) The
            // mapping is read-only and owned by `self.map`; slices of it are lent only by
            // `bytes(&self)`, so the borrow checker ends every one of them before `map_at` or
            // `release` (both `&mut self`) unmaps it, and no slice outlives the mapping.
            // (3) What the compiler cannot check — that no one writes to or truncates the
            // file while it is mapped, which would change bytes behind a `&[u8]` or raise
            // SIGBUS — is the documented precondition of reading a capture file (module and
            // crate docs): wardline reads captures that are not being modified concurrently,
            // as tcpdump and Wireshark assume.
            unsafe { options.map(&self.file)? }
        };
        // Advice only: the read is correct whether or not the kernel takes it. Sequential:
        // readahead on faults as for read(2), pages behind us reclaimed first. Not WillNeed:
        // it reads the whole window in before returning, so on an uncached file the reader
        // stalls at every window instead of overlapping I/O with parsing (measured on a bare
        // read of a 1.1 GB capture not in the page cache: 0.75 s with it, 0.3 s without).
        let _ = map.advise(Advice::Sequential);
        self.map = Some(map);
        Ok(start)
    }

    /// The mapped window (empty when nothing is mapped).
    #[inline]
    pub(crate) fn bytes(&self) -> &[u8] {
        self.map.as_deref().unwrap_or_default()
    }

    /// Unmaps the current window.
    pub(crate) fn release(&mut self) {
        self.map = None;
    }

    /// The file, for reading on with read(2) when mapping fails.
    pub(crate) fn into_file(self) -> File {
        self.file
    }
}

/// Hints the CPU to load the cache lines of `bytes[from..to]` (clipped to `bytes`) into its
/// caches. A mapped window is not in the CPU caches (read(2) leaves what it copied there), and
/// a packet parser reading headers a few hundred bytes apart stalls on each; loading a few
/// KiB ahead of the reader hides that (module docs, "Speed"). A hint only: it has no effect
/// on what the program computes.
#[inline]
pub(crate) fn prefetch(bytes: &[u8], from: usize, to: usize) {
    #[cfg(target_arch = "x86_64")]
    {
        let to = to.min(bytes.len());
        let mut i = from;
        while i < to {
            let p = bytes[i..].as_ptr().cast::<i8>();
            // SAFETY: `_mm_prefetch` needs the SSE target feature, which every x86_64 CPU
            // has (it is in the x86_64 baseline the crate is compiled for). It reads no
            // memory as far as the program is concerned and never faults, whatever the
            // address; `p` points into `bytes` in any case.
            unsafe { std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(p) };
            i += 64;
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = (bytes, from, to);
}
