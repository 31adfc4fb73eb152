//! Packet sources for the wardline sensor: the [`PacketSource`] trait and readers for pcap and
//! pcapng files.
//!
//! Guarantees:
//! - **Zero copy, bounded memory.** Files are read in large chunks
//!   ([`CaptureLimits::read_buffer`], 256 KiB by default) into one buffer; each [`Frame`]
//!   borrows its bytes from it. Or, when [`CaptureLimits::map_window`] is set (off by
//!   default, see below), a regular file is memory-mapped in bounded windows and each
//!   [`Frame`] borrows straight from the mapping; each window is unmapped once consumed.
//!   Either way there is no allocation and no system call per packet, and memory stays at
//!   `max(read_buffer or map_window, largest accepted record or block)` whatever the file
//!   size: the file is never mapped or read whole.
//! - **Captures are not modified while read.** Like tcpdump and Wireshark, wardline reads
//!   capture files that nobody is writing to or truncating. With mapping on, a file that
//!   shrinks while it is mapped makes the process die of `SIGBUS`; no window ever reaches
//!   past the length the file had when it was opened, and bytes appended after that are not
//!   read. A capture still being written is read through a pipe or with mapping off.
//!
//! Mapping is off by default here (a library should not risk `SIGBUS` for its callers);
//! `wardline analyze` turns it on with [`CaptureLimits::MAP_WINDOW`] (and off with
//! `--no-mmap`). Each window is mapped with `MAP_POPULATE`: its page-table entries are made
//! in one call instead of one fault per page, which is what made mapping pay. On the
//! benchmark capture (`bench/out/capture-1x.pcap`, 1.1 GB, 3.2 M packets, in the page cache,
//! 9 interleaved runs each, 2-core VM, 2026-12-07): read(2) 0.482–0.496 s wall, 8 MiB
//! populated windows 0.473 s (system time 0.17 → 0.12 s; 3–4% per pair), peak RSS 43.6 →
//! 42.9 MiB; 64 MiB windows ran as fast but held 98 MiB, 2 MiB ones 2% slower. Unpopulated
//! windows (measured in an earlier session) paid per 4 KiB page to fault, map and unmap what
//! the copy had cost, and ran no faster than read(2).
//! - **Errors say where.** A [`CaptureError`] names the input, the byte offset of the record
//!   or block at fault and what happened. Every complete frame before a fault is delivered
//!   first; a file cut in the middle of a record ends with a truncation error, one cut at a
//!   record boundary ends cleanly.
//! - **No panics on any input**, checked by the crate's tests over every cut point and damage
//!   pattern of real captures.
//!
//! This crate depends only on `model` (timestamps) and knows nothing of packet contents.

// `deny`, not `forbid`: the one module that maps files (`mmap`) allows `unsafe`, states its
// invariant in `// SAFETY:` comments and has a fuzz target (CONVENTIONS §1).
#![deny(unsafe_code)]
#![deny(missing_docs)]

use std::fmt;
use std::fs::File;
use std::io::Read;
use std::path::Path;
use std::sync::Arc;

use model::{Timestamp, TsPrecision};

mod error;
mod input;
mod link_type;
#[cfg(target_os = "linux")]
mod live;
#[allow(unsafe_code)]
mod mmap;
mod pcap;
mod pcapng;

pub use error::{BlockLengthProblem, CaptureError, ErrorKind, Unit};
pub use link_type::LinkType;
#[cfg(target_os = "linux")]
pub use live::{LiveConfig, LiveError, LiveSource, LiveStats};

use input::{Endian, Input};
use mmap::MappedFile;
use pcap::PcapReader;
use pcapng::PcapNgReader;

/// One captured frame, borrowed from the source's buffer until the next call to
/// [`PacketSource::next_frame`].
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Frame<'a> {
    /// When the frame was captured.
    pub ts: Timestamp,
    /// How `data` begins (Ethernet, Linux cooked, radiotap, …).
    pub link_type: LinkType,
    /// Capture interface, numbered file-wide from 0 (pcap: always 0; pcapng: in order of
    /// the Interface Description Blocks across all sections, as Wireshark numbers them).
    pub interface: u32,
    /// The captured bytes (possibly cut short by the snap length).
    pub data: &'a [u8],
    /// Length of the frame on the wire (may exceed `data.len()`, or, in odd files, be less).
    pub original_len: u32,
}

/// How far a source has read, for a progress bar.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Progress {
    /// Bytes of the input consumed so far (headers, delivered frames and skipped blocks).
    pub bytes_read: u64,
    /// Input size, when known (not for pipes).
    pub total_bytes: Option<u64>,
}

/// The kind of source frames come from.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
#[non_exhaustive]
pub enum CaptureFormat {
    /// Classic libpcap file.
    Pcap,
    /// pcapng file.
    PcapNg,
}

impl CaptureFormat {
    /// Stable lower-case name: `pcap`, `pcapng`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::Pcap => "pcap",
            Self::PcapNg => "pcapng",
        }
    }
}

impl fmt::Display for CaptureFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Limits on what a capture may contain; each hit is an input error naming file and offset
/// (CONVENTIONS §6).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct CaptureLimits {
    /// Largest pcap record (captured length) accepted: 256 KiB, libpcap's and Wireshark's
    /// `MAXIMUM_SNAPLEN` (262144), the largest snap length tcpdump writes.
    pub max_record_len: u32,
    /// Largest pcapng block accepted: 16 MiB, as Wireshark's reader (`MAX_BLOCK_SIZE`),
    /// room for a 256 KiB packet and generous options or name tables.
    pub max_block_len: u32,
    /// Interface Description Blocks accepted in one pcapng section: 65,536 (the obsolete
    /// Packet Block's interface field is 16 bits; real captures have a handful).
    pub max_interfaces_per_section: u32,
    /// Size of one buffered read and of the read buffer at rest: 256 KiB. Small enough that
    /// the bytes one read copies are still in the core's L2 cache when the decoder reaches
    /// them (1 MiB here): measured on a 1.1 GB capture, 64–512 KiB all ran ~5% faster than
    /// 4 MiB. The buffer grows past it only for one record larger than it.
    pub read_buffer: usize,
    /// Length of one mapped window of a regular file, or `0` (the default): files are read
    /// with read(2) into `read_buffer` (the crate docs say why). When set, frames are
    /// borrowed straight from the mapping (no copy); each window is unmapped before the next
    /// is mapped, so mapped pages in the resident set stay under one window (or one larger
    /// record or block). [`Self::MAP_WINDOW`] is the size to use; tests and fuzzing use a
    /// few bytes or KiB so that records straddle window ends.
    pub map_window: usize,
}

impl CaptureLimits {
    /// The mapped window to use when turning mapping on: 8 MiB, populated when mapped (see
    /// the crate docs). Measured on a 1.1 GB capture in the page cache: as fast as 64 MiB
    /// without its 55 MiB of extra resident pages, 2% faster than 2 MiB.
    pub const MAP_WINDOW: usize = 8 * 1024 * 1024;
}

impl Default for CaptureLimits {
    fn default() -> Self {
        Self {
            max_record_len: 256 * 1024,
            max_block_len: 16 * 1024 * 1024,
            max_interfaces_per_section: 65_536,
            read_buffer: 256 * 1024,
            map_window: 0,
        }
    }
}

/// A stream of captured frames: a file now, a live interface later.
pub trait PacketSource {
    /// Next frame, `Ok(None)` at a clean end. An `Err` is final: every frame before it was
    /// delivered, and later calls return `Ok(None)`.
    fn next_frame(&mut self) -> Result<Option<Frame<'_>>, CaptureError>;
    /// Bytes consumed so far and the total, if known.
    fn progress(&self) -> Progress;
    /// What kind of source this is.
    fn format(&self) -> CaptureFormat;
    /// Finest timestamp precision among the interfaces seen so far (microseconds before
    /// any interface is known).
    fn precision(&self) -> TsPrecision;
    /// Distinct link types of the interfaces seen so far, in order of first appearance.
    fn link_types(&self) -> Vec<LinkType>;
}

/// Opens a pcap or pcapng file (recognised by its magic number) with the default limits.
pub fn open(path: &Path) -> Result<FileSource, CaptureError> {
    FileSource::open(path, CaptureLimits::default())
}

/// A pcap or pcapng file (or stream) being read.
#[derive(Debug)]
pub struct FileSource {
    reader: Reader,
}

/// Enum dispatch: one predictable branch per packet, no `Box<dyn>` call.
#[derive(Debug)]
enum Reader {
    Pcap(PcapReader),
    PcapNg(PcapNgReader),
}

/// pcap magic numbers as the first four bytes read (draft-ietf-opsawg-pcap §4).
const PCAP_MICRO_LE: [u8; 4] = [0xd4, 0xc3, 0xb2, 0xa1];
const PCAP_MICRO_BE: [u8; 4] = [0xa1, 0xb2, 0xc3, 0xd4];
const PCAP_NANO_LE: [u8; 4] = [0x4d, 0x3c, 0xb2, 0xa1];
const PCAP_NANO_BE: [u8; 4] = [0xa1, 0xb2, 0x3c, 0x4d];
/// pcapng Section Header Block type, the same in both byte orders (pcapng §4.1).
const PCAPNG_SHB: [u8; 4] = [0x0a, 0x0d, 0x0d, 0x0a];

impl FileSource {
    /// Opens the file at `path`; its display name in errors is the path as given.
    ///
    /// With a non-zero [`CaptureLimits::map_window`], a non-empty regular file is read
    /// through mapped windows of that size, up to the length it has now (see the crate docs:
    /// it must not be modified while it is read), and the rest of it with read(2) if a
    /// mapping fails. Anything else (a FIFO, a character device, `/proc` files that claim 0
    /// bytes), and every file when `map_window` is 0, is read with read(2).
    pub fn open(path: &Path, limits: CaptureLimits) -> Result<Self, CaptureError> {
        let name: Arc<str> = path.display().to_string().into();
        let file = File::open(path)
            .map_err(|e| CaptureError::new(name.clone(), 0, 0, ErrorKind::Open(e)))?;
        let meta = file.metadata().ok();
        let total = meta.as_ref().map(|m| m.len());
        let input = match (&meta, total) {
            (Some(m), Some(len)) if limits.map_window > 0 && m.is_file() && len > 0 => {
                Input::mapped(
                    name,
                    MappedFile::new(file, len, limits.map_window),
                    limits.read_buffer,
                )
            }
            _ => Input::new(name, Box::new(file), total, limits.read_buffer),
        };
        Self::from_input(input, limits)
    }

    /// Reads a capture from any reader (stdin, a socket, a byte slice in a test). `name` is
    /// used in errors; `total_len`, if known, for progress and to size the buffer.
    pub fn from_reader<R: Read + Send + 'static>(
        name: &str,
        reader: R,
        total_len: Option<u64>,
        limits: CaptureLimits,
    ) -> Result<Self, CaptureError> {
        let input = Input::new(name.into(), Box::new(reader), total_len, limits.read_buffer);
        Self::from_input(input, limits)
    }

    fn from_input(mut input: Input, limits: CaptureLimits) -> Result<Self, CaptureError> {
        let got = input
            .ensure(4)
            .map_err(|e| input.error(0, 0, ErrorKind::Io(e)))?;
        if got == 0 {
            return Err(input.error(0, 0, ErrorKind::Empty));
        }
        let magic: [u8; 4] = input.peek();
        let not_a_capture = |input: &Input| {
            input.error(
                0,
                0,
                ErrorKind::NotACapture {
                    first_bytes: input.window(got).to_vec(),
                },
            )
        };
        if got < 4 {
            return Err(not_a_capture(&input));
        }
        let reader = match magic {
            PCAP_MICRO_LE => Reader::Pcap(PcapReader::new(input, Endian::Little, false, &limits)?),
            PCAP_MICRO_BE => Reader::Pcap(PcapReader::new(input, Endian::Big, false, &limits)?),
            PCAP_NANO_LE => Reader::Pcap(PcapReader::new(input, Endian::Little, true, &limits)?),
            PCAP_NANO_BE => Reader::Pcap(PcapReader::new(input, Endian::Big, true, &limits)?),
            PCAPNG_SHB => {
                let mut r = PcapNgReader::new(input, &limits);
                r.prime()?;
                Reader::PcapNg(r)
            }
            _ => return Err(not_a_capture(&input)),
        };
        Ok(Self { reader })
    }

    /// Display name of the input, as used in errors.
    pub fn name(&self) -> &str {
        match &self.reader {
            Reader::Pcap(r) => r.name(),
            Reader::PcapNg(r) => r.name(),
        }
    }

    /// Whether the file is being read through mapped windows (rather than read(2)): true
    /// for a non-empty regular file opened with a non-zero [`CaptureLimits::map_window`],
    /// until a mapping fails.
    pub fn is_mapped(&self) -> bool {
        match &self.reader {
            Reader::Pcap(r) => r.input().is_mapped(),
            Reader::PcapNg(r) => r.input().is_mapped(),
        }
    }

    /// Frames delivered so far.
    pub fn frames_read(&self) -> u64 {
        match &self.reader {
            Reader::Pcap(r) => r.frames(),
            Reader::PcapNg(r) => r.frames(),
        }
    }
}

impl PacketSource for FileSource {
    #[inline]
    fn next_frame(&mut self) -> Result<Option<Frame<'_>>, CaptureError> {
        match &mut self.reader {
            Reader::Pcap(r) => r.next_frame(),
            Reader::PcapNg(r) => r.next_frame(),
        }
    }

    fn progress(&self) -> Progress {
        match &self.reader {
            Reader::Pcap(r) => r.progress(),
            Reader::PcapNg(r) => r.progress(),
        }
    }

    fn format(&self) -> CaptureFormat {
        match &self.reader {
            Reader::Pcap(_) => CaptureFormat::Pcap,
            Reader::PcapNg(_) => CaptureFormat::PcapNg,
        }
    }

    fn precision(&self) -> TsPrecision {
        match &self.reader {
            Reader::Pcap(r) => r.precision(),
            Reader::PcapNg(r) => r.precision(),
        }
    }

    fn link_types(&self) -> Vec<LinkType> {
        match &self.reader {
            Reader::Pcap(r) => r.link_types(),
            Reader::PcapNg(r) => r.link_types(),
        }
    }
}

#[cfg(test)]
mod tests;

/// A source can move to a reader thread.
const _: fn() = || {
    fn send<T: Send>() {}
    send::<FileSource>();
};
