//! pcapng files (draft-ietf-opsawg-pcapng, "PCAP Next Generation Dump File Format").
//!
//! Reads Section Header Blocks (both byte orders, any number of sections: each one resets
//! the interfaces), Interface Description Blocks (link type, snaplen, `if_tsresol`,
//! `if_tsoffset`), Enhanced Packet Blocks, Simple Packet Blocks and obsolete Packet Blocks;
//! every other block type is skipped whole.
//!
//! A packet block naming an interface its section has not described is an error, as in
//! libpcap and Wireshark: without the IDB the link type is unknown, and such a file is
//! damaged rather than odd.

use model::{Timestamp, TsPrecision};

use crate::error::{BlockLengthProblem, CaptureError, ErrorKind, Unit};
use crate::input::{Endian, Input};
use crate::{CaptureLimits, Frame, LinkType, Progress};

/// Block type codes (pcapng §4, §11.1).
mod block {
    pub(super) const SECTION_HEADER: u32 = 0x0A0D_0D0A;
    pub(super) const INTERFACE_DESCRIPTION: u32 = 1;
    pub(super) const PACKET: u32 = 2;
    pub(super) const SIMPLE_PACKET: u32 = 3;
    pub(super) const ENHANCED_PACKET: u32 = 6;
}

/// Smallest legal block: type, length, trailing length (§3.1).
const MIN_BLOCK_LEN: u32 = 12;
/// SHB without options: 12 + byte-order magic 4 + versions 4 + section length 8 (§4.1).
const MIN_SHB_LEN: u32 = 28;
/// IDB without options: 12 + link type 2 + reserved 2 + snaplen 4 (§4.2).
const MIN_IDB_LEN: u32 = 20;
/// EPB and PB without data: 12 + interface 4 + timestamp 8 + lengths 8 (§4.3, appendix A).
const MIN_EPB_LEN: u32 = 32;
/// SPB without data: 12 + original length 4 (§4.4).
const MIN_SPB_LEN: u32 = 16;
/// Offset of the packet data in EPB and PB.
const EPB_DATA: usize = 28;
/// Offset of the packet data in SPB.
const SPB_DATA: usize = 12;
/// Byte-order magic as it reads in a little-endian file (§4.1).
const BOM_LITTLE: [u8; 4] = [0x4D, 0x3C, 0x2B, 0x1A];
/// Byte-order magic as it reads in a big-endian file.
const BOM_BIG: [u8; 4] = [0x1A, 0x2B, 0x3C, 0x4D];
/// IDB option codes (§4.2).
const OPT_ENDOFOPT: u16 = 0;
const OPT_IF_TSRESOL: u16 = 9;
const OPT_IF_TSOFFSET: u16 = 14;
/// `if_tsresol` default: 10^-6 s (§4.2).
const DEFAULT_TSRESOL: u8 = 6;

const NS_PER_SEC: u128 = 1_000_000_000;

/// How one interface's 64-bit timestamp units become nanoseconds; fixed per IDB so the
/// per-packet cost is one multiply (or shift) in the common resolutions.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum TsConv {
    /// Units of 10^-n s with n ≤ 9: ns = units × 10^(9-n).
    Mul(u64),
    /// Units of 10^-n s with 9 < n ≤ 19: ns = units / 10^(n-9).
    Div(u64),
    /// Units of 2^-n s: ns = units × 10^9 >> n (units × 10^9 < 2^94 fits u128).
    Shift(u32),
    /// Units of 10^-n s with 19 < n ≤ 38: ns = units × 10^9 / 10^n.
    Ratio(u128),
    /// Units so small that every 64-bit count is under 1 ns.
    Zero,
}

impl TsConv {
    /// From an `if_tsresol` value: high bit clear → 10^-n, set → 2^-n.
    fn from_tsresol(tsresol: u8) -> Self {
        let n = u32::from(tsresol & 0x7f);
        if tsresol & 0x80 != 0 {
            // units × 10^9 < 2^94, so shifting by 94 or more always gives 0.
            if n >= 94 { Self::Zero } else { Self::Shift(n) }
        } else if n <= 9 {
            Self::Mul(10u64.pow(9 - n))
        } else if n <= 19 {
            Self::Div(10u64.pow(n - 9))
        } else if n <= 38 {
            Self::Ratio(10u128.pow(n))
        } else {
            Self::Zero
        }
    }

    #[inline]
    fn to_ns(self, units: u64) -> i128 {
        let ns: u128 = match self {
            Self::Mul(f) => u128::from(units) * u128::from(f),
            Self::Div(d) => u128::from(units / d),
            Self::Shift(n) => (u128::from(units) * NS_PER_SEC) >> n,
            Self::Ratio(per_sec) => u128::from(units) * NS_PER_SEC / per_sec,
            Self::Zero => 0,
        };
        // ≤ 2^64 × 10^9 < 2^94: fits i128.
        ns as i128
    }
}

/// Fractional digits a resolution needs (decimal: n; binary: smallest d with 10^d ≥ 2^n).
fn tsresol_precision(tsresol: u8) -> TsPrecision {
    let n = u32::from(tsresol & 0x7f);
    if tsresol & 0x80 == 0 {
        return TsPrecision::from_digits(n);
    }
    if n >= 30 {
        return TsPrecision::Nano; // 2^30 > 10^9
    }
    let units = 1u64 << n;
    let mut digits = 0;
    while 10u64.pow(digits) < units {
        digits += 1;
    }
    TsPrecision::from_digits(digits)
}

/// One described interface of the current section.
#[derive(Clone, Copy, Debug)]
struct Interface {
    link_type: LinkType,
    snaplen: u32,
    conv: TsConv,
    /// `if_tsoffset` in nanoseconds.
    offset_ns: i128,
}

/// Distinct link types in order of first appearance; pcapng link types are 16-bit, so a
/// 64 Ki-bit set bounds the cost of a hostile file with millions of IDBs.
#[derive(Debug)]
struct LinkTypeSet {
    seen: Box<[u64; 1024]>,
    order: Vec<LinkType>,
}

impl LinkTypeSet {
    fn new() -> Self {
        Self {
            seen: Box::new([0; 1024]),
            order: Vec::new(),
        }
    }

    fn insert(&mut self, link_type: u16) {
        let (word, bit) = (usize::from(link_type >> 6), link_type & 63);
        let Some(w) = self.seen.get_mut(word) else {
            return;
        };
        if *w & (1 << bit) == 0 {
            *w |= 1 << bit;
            self.order.push(LinkType(u32::from(link_type)));
        }
    }
}

/// What the block loop found: a packet to hand out.
struct Packet {
    ts: Timestamp,
    link_type: LinkType,
    interface: u32,
    data_start: usize,
    captured_len: usize,
    original_len: u32,
}

/// Reader state of one pcapng file.
#[derive(Debug)]
pub(crate) struct PcapNgReader {
    input: Input,
    endian: Endian,
    interfaces: Vec<Interface>,
    /// File-wide index of the current section's interface 0.
    section_first_interface: u32,
    link_types: LinkTypeSet,
    precision: Option<TsPrecision>,
    /// Timestamp of the previous packet, for Simple Packet Blocks (which have none).
    last_ts: Timestamp,
    max_block_len: u32,
    max_interfaces: u32,
    frames: u64,
    done: bool,
}

impl PcapNgReader {
    /// `input` is positioned at the first Section Header Block (magic already recognised).
    pub(crate) fn new(input: Input, limits: &CaptureLimits) -> Self {
        Self {
            input,
            endian: Endian::Little,
            interfaces: Vec::new(),
            section_first_interface: 0,
            link_types: LinkTypeSet::new(),
            precision: None,
            last_ts: Timestamp(0),
            max_block_len: limits.max_block_len,
            max_interfaces: limits.max_interfaces_per_section,
            frames: 0,
            done: false,
        }
    }

    /// Reads the first Section Header Block and the Interface Description Blocks right after
    /// it, so that `link_types()` and `precision()` answer before the first packet. Any other
    /// block is left for `next_frame`.
    pub(crate) fn prime(&mut self) -> Result<(), CaptureError> {
        // The magic was sniffed: the first block is an SHB (or a truncated one).
        self.read_block()?;
        while !self.done {
            let at = self.input.offset();
            let got = self.input.ensure(8).map_err(|e| self.fail_io(at, e))?;
            let head: [u8; 8] = self.input.peek();
            let block_type = self.endian.u32([head[0], head[1], head[2], head[3]]);
            if got < 8 || block_type != block::INTERFACE_DESCRIPTION {
                // A packet, another block, the end or a partial header: for `next_frame`.
                return Ok(());
            }
            // IDBs carry no packet, so nothing is lost here.
            self.read_block()?;
        }
        Ok(())
    }

    #[inline]
    pub(crate) fn next_frame(&mut self) -> Result<Option<Frame<'_>>, CaptureError> {
        if self.done {
            return Ok(None);
        }
        loop {
            if let Some(p) = self.read_block()? {
                self.frames += 1;
                self.last_ts = p.ts;
                return Ok(Some(Frame {
                    ts: p.ts,
                    link_type: p.link_type,
                    interface: p.interface,
                    data: self.input.slice(p.data_start, p.captured_len),
                    original_len: p.original_len,
                }));
            }
            if self.done {
                return Ok(None);
            }
        }
    }

    /// Reads one block: a packet to hand out, or `None` after a block that is none (and at
    /// the clean end, with `done` set).
    fn read_block(&mut self) -> Result<Option<Packet>, CaptureError> {
        let at = self.input.offset();
        let got = self.input.ensure(8).map_err(|e| self.fail_io(at, e))?;
        if got < 8 {
            self.done = true;
            if got == 0 {
                return Ok(None);
            }
            return Err(self.fail(
                at,
                ErrorKind::Truncated {
                    unit: Unit::BlockHeader,
                    expected: 8,
                    available: got as u64,
                },
            ));
        }
        let head: [u8; 8] = self.input.peek();
        let type_bytes = [head[0], head[1], head[2], head[3]];
        if type_bytes == block::SECTION_HEADER.to_le_bytes() {
            // The SHB's type code reads the same in both orders; its byte-order magic says
            // how to read everything else in the section, its own length included.
            let got = self.input.ensure(12).map_err(|e| self.fail_io(at, e))?;
            if got < 12 {
                return Err(self.fail(
                    at,
                    ErrorKind::Truncated {
                        unit: Unit::BlockHeader,
                        expected: 12,
                        available: got as u64,
                    },
                ));
            }
            let h: [u8; 12] = self.input.peek();
            let bom = [h[8], h[9], h[10], h[11]];
            self.endian = if bom == BOM_LITTLE {
                Endian::Little
            } else if bom == BOM_BIG {
                Endian::Big
            } else {
                return Err(self.fail(at, ErrorKind::BadByteOrderMagic { found: bom }));
            };
        }
        let e = self.endian;
        let block_type = e.u32(type_bytes);
        let length = e.u32([head[4], head[5], head[6], head[7]]);
        let min = match block_type {
            block::SECTION_HEADER => MIN_SHB_LEN,
            block::INTERFACE_DESCRIPTION => MIN_IDB_LEN,
            block::ENHANCED_PACKET | block::PACKET => MIN_EPB_LEN,
            block::SIMPLE_PACKET => MIN_SPB_LEN,
            _ => MIN_BLOCK_LEN,
        };
        let problem = if length < min {
            Some(BlockLengthProblem::TooShort { min })
        } else if length & 3 != 0 {
            // Not a multiple of 4 (written without `is_multiple_of`, newer than rust-version).
            Some(BlockLengthProblem::NotMultipleOf4)
        } else if length > self.max_block_len {
            Some(BlockLengthProblem::OverLimit {
                limit: self.max_block_len,
            })
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(self.fail(
                at,
                ErrorKind::BadBlockLength {
                    block_type,
                    length,
                    problem,
                },
            ));
        }
        let len = length as usize;
        let got = self.input.ensure(len).map_err(|e| self.fail_io(at, e))?;
        if got < len {
            return Err(self.fail(
                at,
                ErrorKind::Truncated {
                    unit: Unit::Block,
                    expected: u64::from(length),
                    available: got as u64,
                },
            ));
        }
        let body = self.input.window(len);
        let trailer = e.u32_at(body, len - 4).unwrap_or(0);
        if trailer != length {
            return Err(self.fail(
                at,
                ErrorKind::BadBlockLength {
                    block_type,
                    length,
                    problem: BlockLengthProblem::TrailerMismatch { trailer },
                },
            ));
        }
        match block_type {
            block::SECTION_HEADER => {
                let major = e.u16_at(body, 12).unwrap_or(0);
                let minor = e.u16_at(body, 14).unwrap_or(0);
                if major != 1 {
                    return Err(self.fail(
                        at,
                        ErrorKind::UnsupportedVersion {
                            format: crate::CaptureFormat::PcapNg,
                            major,
                            minor,
                        },
                    ));
                }
                // A new section: its interfaces are numbered from 0 again; ours continue
                // file-wide (as Wireshark numbers them).
                let described = u32::try_from(self.interfaces.len()).unwrap_or(u32::MAX);
                self.section_first_interface =
                    self.section_first_interface.saturating_add(described);
                self.interfaces.clear();
                self.input.consume(len);
                Ok(None)
            }
            block::INTERFACE_DESCRIPTION => {
                if self.interfaces.len() >= self.max_interfaces as usize {
                    return Err(self.fail(
                        at,
                        ErrorKind::TooManyInterfaces {
                            limit: self.max_interfaces,
                        },
                    ));
                }
                let (interface, link_type, precision) = parse_idb(body, e);
                self.link_types.insert(link_type);
                self.precision = Some(self.precision.map_or(precision, |p| p.max(precision)));
                self.interfaces.push(interface);
                self.input.consume(len);
                Ok(None)
            }
            block::ENHANCED_PACKET | block::PACKET => {
                let (interface, ts_high, ts_low) = if block_type == block::PACKET {
                    // Obsolete Packet Block (pcapng appendix A): 16-bit interface id and
                    // drops count, then the same layout as an EPB.
                    (
                        u32::from(e.u16_at(body, 8).unwrap_or(0)),
                        e.u32_at(body, 12).unwrap_or(0),
                        e.u32_at(body, 16).unwrap_or(0),
                    )
                } else {
                    (
                        e.u32_at(body, 8).unwrap_or(0),
                        e.u32_at(body, 12).unwrap_or(0),
                        e.u32_at(body, 16).unwrap_or(0),
                    )
                };
                let captured = e.u32_at(body, 20).unwrap_or(0);
                let original_len = e.u32_at(body, 24).unwrap_or(0);
                // Data plus its padding must fit before the trailing length; with `len` a
                // multiple of 4 this is the same as the unpadded data fitting.
                if u64::from(captured) > u64::from(length) - u64::from(MIN_EPB_LEN) {
                    return Err(self.fail(
                        at,
                        ErrorKind::MalformedBlock {
                            block_type,
                            reason: "captured length runs past the end of the block",
                        },
                    ));
                }
                let Some(iface) = self.interfaces.get(interface as usize).copied() else {
                    return Err(self.unknown_interface(at, block_type, interface));
                };
                let units = (u64::from(ts_high) << 32) | u64::from(ts_low);
                let ns = iface.conv.to_ns(units) + iface.offset_ns;
                let ts = Timestamp(ns.clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64);
                let start = self.input.consume(len);
                Ok(Some(Packet {
                    ts,
                    link_type: iface.link_type,
                    interface: self.section_first_interface.saturating_add(interface),
                    data_start: start + EPB_DATA,
                    captured_len: captured as usize,
                    original_len,
                }))
            }
            block::SIMPLE_PACKET => {
                let Some(iface) = self.interfaces.first().copied() else {
                    return Err(self.unknown_interface(at, block_type, 0));
                };
                let original_len = e.u32_at(body, 8).unwrap_or(0);
                // §4.4: captured length = min(original length, block room, snaplen).
                let mut captured = original_len.min(length - MIN_SPB_LEN);
                if iface.snaplen != 0 {
                    captured = captured.min(iface.snaplen);
                }
                let start = self.input.consume(len);
                Ok(Some(Packet {
                    ts: self.last_ts,
                    link_type: iface.link_type,
                    interface: self.section_first_interface,
                    data_start: start + SPB_DATA,
                    captured_len: captured as usize,
                    original_len,
                }))
            }
            _ => {
                // Name resolution, interface statistics, decryption secrets, custom and
                // unknown blocks: nothing a packet reader needs.
                self.input.consume(len);
                Ok(None)
            }
        }
    }

    #[cold]
    fn unknown_interface(&mut self, at: u64, block_type: u32, interface: u32) -> CaptureError {
        let section_interfaces = u32::try_from(self.interfaces.len()).unwrap_or(u32::MAX);
        self.fail(
            at,
            ErrorKind::UnknownInterface {
                block_type,
                interface,
                section_interfaces,
            },
        )
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
        self.precision.unwrap_or(TsPrecision::Micro)
    }

    pub(crate) fn link_types(&self) -> Vec<LinkType> {
        self.link_types.order.clone()
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

/// Interface, its 16-bit link type and its precision from a whole IDB (length checked).
/// Malformed options end option parsing without failing the file: the interface is still
/// usable with the defaults.
fn parse_idb(body: &[u8], e: Endian) -> (Interface, u16, TsPrecision) {
    let link_type = e.u16_at(body, 8).unwrap_or(0);
    let snaplen = e.u32_at(body, 12).unwrap_or(0);
    let mut tsresol = DEFAULT_TSRESOL;
    let mut tsoffset: i64 = 0;
    let mut options = body
        .get(MIN_IDB_LEN as usize - 4..body.len().saturating_sub(4))
        .unwrap_or_default();
    while let (Some(code), Some(len)) = (e.u16_at(options, 0), e.u16_at(options, 2)) {
        if code == OPT_ENDOFOPT {
            break;
        }
        let len = usize::from(len);
        let Some(value) = options.get(4..4 + len) else {
            break;
        };
        match (code, value) {
            (OPT_IF_TSRESOL, [r, ..]) => tsresol = *r,
            (OPT_IF_TSOFFSET, [a, b, c, d, f, g, h, i, ..]) => {
                tsoffset = e.u64([*a, *b, *c, *d, *f, *g, *h, *i]) as i64;
            }
            _ => {}
        }
        options = options
            .get(4 + len.next_multiple_of(4)..)
            .unwrap_or_default();
    }
    let interface = Interface {
        link_type: LinkType(u32::from(link_type)),
        snaplen,
        conv: TsConv::from_tsresol(tsresol),
        offset_ns: i128::from(tsoffset) * NS_PER_SEC as i128,
    };
    (interface, link_type, tsresol_precision(tsresol))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tsresol_conversions() {
        let micro = TsConv::from_tsresol(6);
        assert_eq!(micro, TsConv::Mul(1000));
        assert_eq!(micro.to_ns(1_500_000), 1_500_000_000);
        assert_eq!(TsConv::from_tsresol(9).to_ns(7), 7);
        assert_eq!(TsConv::from_tsresol(0).to_ns(3), 3_000_000_000);
        assert_eq!(TsConv::from_tsresol(12).to_ns(1_999), 1);
        // 2^-10 s units: 1024 units = 1 s; 1 unit = 976562.5 ns, floored.
        assert_eq!(TsConv::from_tsresol(0x80 | 10).to_ns(1024), 1_000_000_000);
        assert_eq!(TsConv::from_tsresol(0x80 | 10).to_ns(1), 976_562);
        assert_eq!(TsConv::from_tsresol(0x80).to_ns(2), 2_000_000_000);
        // 10^-20 s: u64::MAX units is 0.18 s.
        assert_eq!(TsConv::from_tsresol(20).to_ns(u64::MAX), 184_467_440);
        assert_eq!(TsConv::from_tsresol(38).to_ns(u64::MAX), 0);
        assert_eq!(TsConv::from_tsresol(0x7f), TsConv::Zero);
        assert_eq!(TsConv::from_tsresol(0xff), TsConv::Zero);
        // The largest count at the coarsest resolution does not overflow.
        assert_eq!(
            TsConv::from_tsresol(0).to_ns(u64::MAX),
            i128::from(u64::MAX) * 1_000_000_000
        );
    }

    #[test]
    fn tsresol_precisions() {
        assert_eq!(tsresol_precision(6), TsPrecision::Micro);
        assert_eq!(tsresol_precision(9), TsPrecision::Nano);
        assert_eq!(tsresol_precision(3), TsPrecision::Milli);
        assert_eq!(tsresol_precision(0), TsPrecision::Seconds);
        assert_eq!(tsresol_precision(0x80), TsPrecision::Seconds);
        assert_eq!(tsresol_precision(0x80 | 10), TsPrecision::Micro); // 1024 → 4 digits
        assert_eq!(tsresol_precision(0x80 | 20), TsPrecision::Nano); // 2^20 → 7 digits
        assert_eq!(tsresol_precision(0x80 | 100), TsPrecision::Nano);
    }

    #[test]
    fn idb_options_parse_and_tolerate_garbage() {
        let mut b = Vec::new();
        b.extend_from_slice(&1u32.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes()); // length, unchecked here
        b.extend_from_slice(&113u16.to_le_bytes());
        b.extend_from_slice(&[0, 0]);
        b.extend_from_slice(&65535u32.to_le_bytes());
        // if_tsresol = 9
        b.extend_from_slice(&9u16.to_le_bytes());
        b.extend_from_slice(&1u16.to_le_bytes());
        b.extend_from_slice(&[9, 0, 0, 0]);
        // if_tsoffset = -2 s
        b.extend_from_slice(&14u16.to_le_bytes());
        b.extend_from_slice(&8u16.to_le_bytes());
        b.extend_from_slice(&(-2i64).to_le_bytes());
        // an option running past the end
        b.extend_from_slice(&2u16.to_le_bytes());
        b.extend_from_slice(&200u16.to_le_bytes());
        b.extend_from_slice(&0u32.to_le_bytes()); // trailing length slot
        let (iface, lt, precision) = parse_idb(&b, Endian::Little);
        assert_eq!(lt, 113);
        assert_eq!(iface.snaplen, 65535);
        assert_eq!(iface.conv, TsConv::Mul(1));
        assert_eq!(iface.offset_ns, -2_000_000_000);
        assert_eq!(precision, TsPrecision::Nano);
    }

    #[test]
    fn link_type_set_keeps_first_appearance_order() {
        let mut s = LinkTypeSet::new();
        for lt in [113, 1, 113, 274, 1, 65535] {
            s.insert(lt);
        }
        assert_eq!(
            s.order,
            vec![LinkType(113), LinkType(1), LinkType(274), LinkType(65535)]
        );
    }
}
