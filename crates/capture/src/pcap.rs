//! Classic pcap files (libpcap format 2.4, tcpdump.org/manpages/pcap-savefile.5.html,
//! draft-ietf-opsawg-pcap): microsecond and nanosecond, both byte orders.

use model::{Timestamp, TsPrecision};

use crate::error::{CaptureError, ErrorKind, Unit};
use crate::input::{Endian, Input};
use crate::{CaptureFormat, CaptureLimits, Frame, LinkType, Progress};

/// pcap file header length (draft-ietf-opsawg-pcap §4).
pub(crate) const FILE_HEADER_LEN: usize = 24;
/// pcap record header length (draft-ietf-opsawg-pcap §5).
const RECORD_HEADER_LEN: usize = 16;
/// libpcap's `LT_LINKTYPE()`: the low 26 bits are the link type; the high bits carry FCS
/// information (`LT_FCS_LENGTH_PRESENT`, `LT_FCS_LENGTH`), which tcpdump's fuzz files set.
const LINKTYPE_MASK: u32 = 0x03FF_FFFF;

mod field {
    // File header (draft-ietf-opsawg-pcap §4).
    pub(super) const MAJOR: [usize; 2] = [4, 5];
    pub(super) const MINOR: [usize; 2] = [6, 7];
    pub(super) const LINK_TYPE: [usize; 4] = [20, 21, 22, 23];
    // Record header (§5).
    pub(super) const TS_SEC: [usize; 4] = [0, 1, 2, 3];
    pub(super) const TS_FRAC: [usize; 4] = [4, 5, 6, 7];
    pub(super) const INCL_LEN: [usize; 4] = [8, 9, 10, 11];
    pub(super) const ORIG_LEN: [usize; 4] = [12, 13, 14, 15];
}

/// The record header's four `u32` fields (ts_sec, ts_frac, incl_len, orig_len; §5) with one
/// byte-order decision per record instead of one per field (the hot path of every read).
#[inline]
fn record_header_fields(endian: Endian, h: [u8; RECORD_HEADER_LEN]) -> [u32; 4] {
    let little = [
        field::TS_SEC,
        field::TS_FRAC,
        field::INCL_LEN,
        field::ORIG_LEN,
    ]
    .map(|at| u32::from_le_bytes(at.map(|i| h[i])));
    match endian {
        Endian::Little => little,
        Endian::Big => little.map(u32::swap_bytes),
    }
}

/// How record lengths are laid out, by file version (libpcap `sf-pcap.c`, Wireshark
/// `libpcap.c`): before 2.3 incl_len and orig_len were in the other order; some 2.3 writers
/// kept the old order; DG/UX tcpdump wrote version 543.0 with the old order.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Lengths {
    Normal,
    Swapped,
    /// Version 2.3: swapped when incl_len > orig_len.
    MaybeSwapped,
}

/// Reader state of one pcap file.
#[derive(Debug)]
pub(crate) struct PcapReader {
    input: Input,
    endian: Endian,
    /// Nanoseconds per unit of the record's fraction field (1000 or 1).
    frac_ns: i64,
    precision: TsPrecision,
    link_type: LinkType,
    lengths: Lengths,
    max_record_len: u32,
    frames: u64,
    done: bool,
}

impl PcapReader {
    /// Reads the file header; the magic number (first four bytes) gave `endian` and `nanos`.
    pub(crate) fn new(
        mut input: Input,
        endian: Endian,
        nanos: bool,
        limits: &CaptureLimits,
    ) -> Result<Self, CaptureError> {
        let got = input
            .ensure(FILE_HEADER_LEN)
            .map_err(|e| input.error(0, 0, ErrorKind::Io(e)))?;
        if got < FILE_HEADER_LEN {
            return Err(input.error(
                0,
                0,
                ErrorKind::Truncated {
                    unit: Unit::FileHeader,
                    expected: FILE_HEADER_LEN as u64,
                    available: got as u64,
                },
            ));
        }
        let h: [u8; FILE_HEADER_LEN] = input.peek();
        let major = endian.u16(field::MAJOR.map(|i| h[i]));
        let minor = endian.u16(field::MINOR.map(|i| h[i]));
        let lengths = match (major, minor) {
            (2, 0..=2) | (543, 0) => Lengths::Swapped,
            (2, 3) => Lengths::MaybeSwapped,
            (2, _) => Lengths::Normal,
            _ => {
                return Err(input.error(
                    0,
                    0,
                    ErrorKind::UnsupportedVersion {
                        format: CaptureFormat::Pcap,
                        major,
                        minor,
                    },
                ));
            }
        };
        // thiszone (GMT offset) and sigfigs are ignored, as libpcap and Wireshark do: writers
        // store 0 and fuzzed files store noise. snaplen is advisory; records are checked
        // against the limit instead.
        let link_type = LinkType(endian.u32(field::LINK_TYPE.map(|i| h[i])) & LINKTYPE_MASK);
        input.consume(FILE_HEADER_LEN);
        Ok(Self {
            input,
            endian,
            frac_ns: if nanos { 1 } else { 1000 },
            precision: if nanos {
                TsPrecision::Nano
            } else {
                TsPrecision::Micro
            },
            link_type,
            lengths,
            max_record_len: limits.max_record_len,
            frames: 0,
            done: false,
        })
    }

    #[inline]
    pub(crate) fn next_frame(&mut self) -> Result<Option<Frame<'_>>, CaptureError> {
        if self.done {
            return Ok(None);
        }
        let at = self.input.offset();
        let got = self
            .input
            .ensure(RECORD_HEADER_LEN)
            .map_err(|e| self.fail_io(at, e))?;
        if got < RECORD_HEADER_LEN {
            self.done = true;
            if got == 0 {
                return Ok(None);
            }
            return Err(self.fail(
                at,
                ErrorKind::Truncated {
                    unit: Unit::RecordHeader,
                    expected: RECORD_HEADER_LEN as u64,
                    available: got as u64,
                },
            ));
        }
        let h: [u8; RECORD_HEADER_LEN] = self.input.peek();
        let [secs, frac, mut incl_len, mut orig_len] = record_header_fields(self.endian, h);
        match self.lengths {
            Lengths::Normal => {}
            Lengths::Swapped => std::mem::swap(&mut incl_len, &mut orig_len),
            Lengths::MaybeSwapped if incl_len > orig_len => {
                std::mem::swap(&mut incl_len, &mut orig_len)
            }
            Lengths::MaybeSwapped => {}
        }
        if incl_len > self.max_record_len {
            self.done = true;
            return Err(self.fail(
                at,
                ErrorKind::RecordTooLong {
                    captured_len: incl_len,
                    limit: self.max_record_len,
                },
            ));
        }
        let record_len = RECORD_HEADER_LEN + incl_len as usize;
        let got = self
            .input
            .ensure(record_len)
            .map_err(|e| self.fail_io(at, e))?;
        if got < record_len {
            self.done = true;
            return Err(self.fail(
                at,
                ErrorKind::Truncated {
                    unit: Unit::Record,
                    expected: record_len as u64,
                    available: got as u64,
                },
            ));
        }
        let start = self.input.consume(record_len) + RECORD_HEADER_LEN;
        self.frames += 1;
        // Seconds are unsigned (files from 2038 to 2106 exist). A fraction past one second
        // (fuzzed files) carries into the seconds: u32 × 10⁹ + u32 × 10³ fits in i64.
        let ts = Timestamp(i64::from(secs) * 1_000_000_000 + i64::from(frac) * self.frac_ns);
        Ok(Some(Frame {
            ts,
            link_type: self.link_type,
            interface: 0,
            data: self.input.slice(start, incl_len as usize),
            original_len: orig_len,
        }))
    }

    #[cold]
    fn fail(&mut self, at: u64, kind: ErrorKind) -> CaptureError {
        self.done = true;
        self.input.error(at, self.frames, kind)
    }

    #[cold]
    fn fail_io(&mut self, at: u64, e: std::io::Error) -> CaptureError {
        self.fail(at, ErrorKind::Io(e))
    }

    pub(crate) fn progress(&self) -> Progress {
        Progress {
            bytes_read: self.input.offset(),
            total_bytes: self.input.total(),
        }
    }

    pub(crate) fn precision(&self) -> TsPrecision {
        self.precision
    }

    pub(crate) fn link_types(&self) -> Vec<LinkType> {
        vec![self.link_type]
    }

    pub(crate) fn name(&self) -> &str {
        self.input.name()
    }

    pub(crate) fn frames(&self) -> u64 {
        self.frames
    }

    pub(crate) fn input(&self) -> &Input {
        &self.input
    }
}
