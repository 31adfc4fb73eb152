//! NTP packets: the time header of RFC 5905 §7.3 (modes 1–5), the mode 6 control message
//! header (RFC 9327 §2) and the mode 7 private (ntpd "ntpdc") request header. Timestamps are
//! read past, never kept.

use wire::cursor::{ReadError, Reader};

/// RFC 5905 §7.3: the header without extension fields or MAC.
pub(crate) const HEADER_LEN: usize = 48;

/// RFC 9327 §2: the control message header.
pub(crate) const CONTROL_HEADER_LEN: usize = 12;

/// RFC 9327 §2: at most 468 data octets in one control message.
pub(crate) const MAX_CONTROL_DATA: usize = 468;

/// ntpd's mode 7 header (`struct req_pkt` up to `mbz_itemsize`).
pub(crate) const PRIVATE_HEADER_LEN: usize = 8;

/// RFC 5905 §7.3 Figure 8 (modes 1–5).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Header {
    /// VN.
    pub version: u8,
    /// Mode.
    pub mode: u8,
    /// Stratum (0 = unspecified or Kiss-o'-Death, 1 = primary, 2–15 secondary, 16 =
    /// unsynchronised).
    pub stratum: u8,
    /// Poll: log2 seconds.
    pub poll: i8,
    /// Precision: log2 seconds.
    pub precision: i8,
    /// Reference ID: a kiss code or clock source (stratum 0/1), else the upstream's IPv4
    /// address (or a hash of its IPv6 address).
    pub reference_id: [u8; 4],
}

/// RFC 9327 §2 control message (mode 6).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Control<'a> {
    pub version: u8,
    /// R bit.
    pub response: bool,
    /// E bit.
    pub error: bool,
    /// Opcode (1 = read status, 2 = read variables, ...).
    pub opcode: u8,
    /// The data octets (`count` of them).
    pub data: &'a [u8],
}

/// ntpd mode 7 request header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Private {
    pub version: u8,
    /// R bit.
    pub response: bool,
    /// Implementation number (2 = XNTPD, 3 = XNTPD_OLD, 0 = universal).
    pub implementation: u8,
    /// Request code (42 = MON_GETLIST_1, the "monlist" used for amplification).
    pub request: u8,
}

/// One datagram.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Packet<'a> {
    /// Modes 1–5.
    Time(Header),
    /// Mode 6.
    Control(Control<'a>),
    /// Mode 7.
    Private(Private),
}

fn short(_: ReadError) -> &'static str {
    "ntp_truncated"
}

/// VN and mode of the first octet (RFC 5905 §7.3: LI(2) VN(3) Mode(3)).
pub(crate) fn version_mode(b0: u8) -> (u8, u8) {
    ((b0 >> 3) & 0x07, b0 & 0x07)
}

/// Parses one datagram.
pub(crate) fn parse(d: &[u8]) -> Result<Packet<'_>, &'static str> {
    let mut r = Reader::new(d);
    let b0 = r.u8().map_err(short)?;
    let (version, mode) = version_mode(b0);
    if !(1..=4).contains(&version) {
        return Err("ntp_bad_version");
    }
    match mode {
        1..=5 => {
            if d.len() < HEADER_LEN {
                return Err("ntp_truncated");
            }
            let stratum = r.u8().map_err(short)?;
            let poll = r.u8().map_err(short)? as i8;
            let precision = r.u8().map_err(short)? as i8;
            // Root delay, root dispersion (RFC 5905 §7.3), not kept.
            r.skip(8).map_err(short)?;
            let reference_id = r.array().map_err(short)?;
            // Reference, origin, receive and transmit timestamps: not read.
            Ok(Packet::Time(Header {
                version,
                mode,
                stratum,
                poll,
                precision,
                reference_id,
            }))
        }
        6 => {
            // RFC 9327 §2: LI VN Mode | R E M Opcode | Sequence | Status | Association ID |
            // Offset | Count | Data.
            let b1 = r.u8().map_err(short)?;
            r.skip(8).map_err(short)?;
            let count = usize::from(r.u16().map_err(short)?);
            if count > MAX_CONTROL_DATA {
                return Err("ntp_control_count_too_large");
            }
            let data = r.take(count).map_err(short)?;
            Ok(Packet::Control(Control {
                version,
                response: b1 & 0x80 != 0,
                error: b1 & 0x40 != 0,
                opcode: b1 & 0x1f,
                data,
            }))
        }
        7 => {
            // R M VN Mode | A Sequence | Implementation | Request code | Err Nitems | Mbz
            // Itemsize.
            if d.len() < PRIVATE_HEADER_LEN {
                return Err("ntp_truncated");
            }
            let _seq = r.u8().map_err(short)?;
            let implementation = r.u8().map_err(short)?;
            let request = r.u8().map_err(short)?;
            Ok(Packet::Private(Private {
                version,
                response: b0 & 0x80 != 0,
                implementation,
                request,
            }))
        }
        _ => Err("ntp_reserved_mode"),
    }
}

/// RFC 5905 §3 Figure 1 association modes, as named in facts and events.
pub(crate) fn mode_name(mode: u8) -> &'static str {
    match mode {
        1 => "symmetric_active",
        2 => "symmetric_passive",
        3 => "client",
        4 => "server",
        5 => "broadcast",
        6 => "control",
        7 => "private",
        _ => "reserved",
    }
}

/// The quoted value of `name="..."` in a mode 6 read-variables response (RFC 9327 §2: a
/// comma-separated list of `name=value`).
pub(crate) fn control_var<'a>(data: &'a [u8], name: &[u8]) -> Option<&'a [u8]> {
    let mut rest = data;
    loop {
        let at = rest
            .windows(name.len() + 2)
            .position(|w| w.strip_suffix(b"=\"").is_some_and(|n| n == name))?;
        // Only at the start or after a separator, so `xversion` is not `version`.
        let before = at.checked_sub(1).and_then(|i| rest.get(i)).copied();
        let value = rest.get(at + name.len() + 2..)?;
        if before.is_none_or(|b| b == b',' || b.is_ascii_whitespace()) {
            let end = value.iter().position(|&b| b == b'"')?;
            return value.get(..end);
        }
        rest = value;
    }
}
