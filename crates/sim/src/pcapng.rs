//! A streaming pcapng writer (draft-ietf-opsawg-pcapng §4): one Section Header Block, one
//! Interface Description Block (Ethernet, nanosecond timestamps), then an Enhanced Packet
//! Block per frame. Nothing is held back: memory does not grow with the capture.

use std::io::{self, Write};

/// LINKTYPE_ETHERNET.
const LINKTYPE_ETHERNET: u16 = 1;
/// Frames longer than this are not written whole (none are built longer).
pub const SNAPLEN: u32 = 65_535;

/// Writes pcapng to `W`.
#[derive(Debug)]
pub struct PcapngWriter<W: Write> {
    out: W,
    packets: u64,
    bytes: u64,
}

impl<W: Write> PcapngWriter<W> {
    /// Writes the section header and the interface description.
    pub fn new(mut out: W, application: &str) -> io::Result<Self> {
        // SHB: type, length, byte-order magic, version 1.0, section length unknown (-1),
        // option shb_userappl (4), end of options.
        let mut shb = Vec::new();
        shb.extend_from_slice(&0x1A2B_3C4Du32.to_le_bytes());
        shb.extend_from_slice(&1u16.to_le_bytes());
        shb.extend_from_slice(&0u16.to_le_bytes());
        shb.extend_from_slice(&(-1i64).to_le_bytes());
        option(&mut shb, 4, application.as_bytes());
        option(&mut shb, 0, &[]);
        block(&mut out, 0x0A0D_0D0A, &shb)?;
        // IDB: link type, reserved, snaplen, options if_name (2), if_tsresol (9) = 9 (ns).
        let mut idb = Vec::new();
        idb.extend_from_slice(&LINKTYPE_ETHERNET.to_le_bytes());
        idb.extend_from_slice(&0u16.to_le_bytes());
        idb.extend_from_slice(&SNAPLEN.to_le_bytes());
        option(&mut idb, 2, b"sim-core-span");
        option(&mut idb, 9, &[9]);
        option(&mut idb, 0, &[]);
        block(&mut out, 1, &idb)?;
        Ok(Self {
            out,
            packets: 0,
            bytes: 0,
        })
    }

    /// Writes one frame captured at `ts_ns` (nanoseconds since the Unix epoch).
    pub fn write(&mut self, ts_ns: i64, frame: &[u8]) -> io::Result<()> {
        let ts = ts_ns.max(0) as u64;
        let len = frame.len() as u32;
        let pad = (4 - frame.len() % 4) % 4;
        let total = 32 + frame.len() + pad;
        let mut head = [0u8; 28];
        head[0..4].copy_from_slice(&6u32.to_le_bytes());
        head[4..8].copy_from_slice(&(total as u32).to_le_bytes());
        head[8..12].copy_from_slice(&0u32.to_le_bytes()); // interface 0
        head[12..16].copy_from_slice(&((ts >> 32) as u32).to_le_bytes());
        head[16..20].copy_from_slice(&(ts as u32).to_le_bytes());
        head[20..24].copy_from_slice(&len.to_le_bytes());
        head[24..28].copy_from_slice(&len.to_le_bytes());
        self.out.write_all(&head)?;
        self.out.write_all(frame)?;
        self.out.write_all(&[0u8; 3][..pad])?;
        self.out.write_all(&(total as u32).to_le_bytes())?;
        self.packets += 1;
        self.bytes += frame.len() as u64;
        Ok(())
    }

    /// Frames written so far.
    pub fn packets(&self) -> u64 {
        self.packets
    }

    /// Frame bytes written so far.
    pub fn bytes(&self) -> u64 {
        self.bytes
    }

    /// Flushes and returns the sink.
    pub fn finish(mut self) -> io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

/// One option: code, length, value padded to 4 bytes.
fn option(out: &mut Vec<u8>, code: u16, value: &[u8]) {
    out.extend_from_slice(&code.to_le_bytes());
    out.extend_from_slice(&(value.len() as u16).to_le_bytes());
    out.extend_from_slice(value);
    out.extend(std::iter::repeat_n(0u8, (4 - value.len() % 4) % 4));
}

/// A block: type, total length, body, total length.
fn block<W: Write>(out: &mut W, block_type: u32, body: &[u8]) -> io::Result<()> {
    let total = (12 + body.len()) as u32;
    out.write_all(&block_type.to_le_bytes())?;
    out.write_all(&total.to_le_bytes())?;
    out.write_all(body)?;
    out.write_all(&total.to_le_bytes())
}
