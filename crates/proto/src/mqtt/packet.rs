//! MQTT control packets, read from one whole packet (OASIS MQTT v3.1.1 §2–§3, MQTT v5.0
//! §2–§3; MQTT v3.1 is v3.1.1's predecessor with protocol name "MQIsdp"). Only what the parser
//! reports is decoded; user names, passwords, will messages and topic names are skipped, never
//! returned.

use wire::cursor::{ReadError, ReadResult, Reader};

use crate::buffer::Framed;

/// Largest packet buffered; bigger ones (large PUBLISH payloads) are skipped and counted.
pub(crate) const MAX_PACKET: usize = 64 * 1024;

/// Control packet types (v3.1.1 §2.2.1 Table 2.1; v5.0 §2.1.2 Table 2-1).
pub(crate) mod ptype {
    pub const RESERVED: u8 = 0;
    pub const CONNECT: u8 = 1;
    pub const CONNACK: u8 = 2;
    pub const PUBLISH: u8 = 3;
    pub const PUBREL: u8 = 6;
    pub const SUBSCRIBE: u8 = 8;
    pub const UNSUBSCRIBE: u8 = 10;
    pub const AUTH: u8 = 15;
}

/// The fixed header (v3.1.1 §2.2): type nibble, flags nibble, Remaining Length.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FixedHeader {
    /// Control packet type (high nibble of byte 1).
    pub ptype: u8,
    /// Flags (low nibble of byte 1; for PUBLISH: DUP, QoS, RETAIN — §2.2.2).
    pub flags: u8,
    /// Remaining Length: bytes after the fixed header.
    pub remaining: usize,
    /// Bytes of the fixed header itself (2..=5).
    pub header_len: usize,
}

impl FixedHeader {
    /// PUBLISH DUP flag (§3.3.1.1).
    pub fn dup(&self) -> bool {
        self.flags & 0x08 != 0
    }

    /// PUBLISH QoS (§3.3.1.2).
    pub fn qos(&self) -> u8 {
        (self.flags >> 1) & 0x03
    }

    /// PUBLISH RETAIN flag (§3.3.1.3).
    pub fn retain(&self) -> bool {
        self.flags & 0x01 != 0
    }

    /// True when the flags nibble has the value §2.2.2 Table 2.2 fixes for this type
    /// (PUBLISH: any DUP/RETAIN, QoS 0..=2).
    pub fn flags_valid(&self) -> bool {
        match self.ptype {
            ptype::PUBLISH => self.qos() != 3,
            ptype::PUBREL | ptype::SUBSCRIBE | ptype::UNSUBSCRIBE => self.flags == 0b0010,
            _ => self.flags == 0,
        }
    }
}

/// A Variable Byte Integer (v3.1.1 §2.2.3 Remaining Length; v5.0 §1.5.5): 7 bits a byte,
/// high bit = more, at most four bytes.
pub(crate) fn varint(r: &mut Reader<'_>) -> ReadResult<u32> {
    let mut value = 0u32;
    for i in 0..4 {
        let b = r.u8()?;
        value |= u32::from(b & 0x7f) << (7 * i);
        if b & 0x80 == 0 {
            return Ok(value);
        }
    }
    Err(ReadError::Malformed("mqtt_varint_too_long"))
}

/// Reads the fixed header at the front of `b`.
pub(crate) fn fixed_header(b: &[u8]) -> ReadResult<FixedHeader> {
    let mut r = Reader::new(b);
    let first = r.u8()?;
    let remaining = varint(&mut r)?;
    Ok(FixedHeader {
        ptype: first >> 4,
        flags: first & 0x0f,
        remaining: remaining as usize,
        header_len: r.position(),
    })
}

/// One packet is its fixed header plus Remaining Length bytes.
pub(crate) fn frame(b: &[u8]) -> Framed {
    match fixed_header(b) {
        Ok(h) => {
            let total = h.header_len + h.remaining;
            if b.len() >= total {
                Framed::Message(total)
            } else {
                Framed::Incomplete(total)
            }
        }
        Err(ReadError::Incomplete { needed }) => Framed::Incomplete(b.len() + needed),
        Err(ReadError::Malformed(_)) => Framed::Invalid,
    }
}

/// Connect Flags (v3.1.1 §3.1.2.3; v5.0 §3.1.2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ConnectFlags(pub u8);

impl ConnectFlags {
    /// User Name Flag (bit 7).
    pub fn username(self) -> bool {
        self.0 & 0x80 != 0
    }
    /// Password Flag (bit 6).
    pub fn password(self) -> bool {
        self.0 & 0x40 != 0
    }
    /// Will Retain (bit 5).
    pub fn will_retain(self) -> bool {
        self.0 & 0x20 != 0
    }
    /// Will Flag (bit 2).
    pub fn will(self) -> bool {
        self.0 & 0x04 != 0
    }
    /// Clean Session (v3.1.1) / Clean Start (v5.0) (bit 1).
    pub fn clean_session(self) -> bool {
        self.0 & 0x02 != 0
    }
    /// Reserved (bit 0): must be 0 (§3.1.2.3).
    pub fn reserved(self) -> bool {
        self.0 & 0x01 != 0
    }
}

/// A CONNECT packet's variable header and client id. User name and password are skipped;
/// only their flags say they were there.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Connect<'a> {
    /// Protocol Name (§3.1.2.1): "MQTT", or "MQIsdp" for 3.1.
    pub protocol_name: &'a [u8],
    /// Protocol Level (§3.1.2.2): 3 = 3.1, 4 = 3.1.1, 5 = 5.0.
    pub level: u8,
    /// Connect Flags (§3.1.2.3).
    pub flags: ConnectFlags,
    /// Keep Alive seconds (§3.1.2.10).
    pub keep_alive: u16,
    /// Client Identifier (§3.1.3.1).
    pub client_id: &'a [u8],
}

/// Any read past the end of a whole packet: the packet's own lengths lie.
fn inside(e: ReadError) -> &'static str {
    match e {
        ReadError::Incomplete { .. } => "mqtt_field_past_end",
        ReadError::Malformed(reason) => reason,
    }
}

/// Skips MQTT 5 properties: a Variable Byte Integer length then that many bytes (v5.0 §2.2.2).
fn skip_properties(r: &mut Reader<'_>) -> ReadResult<()> {
    let len = varint(r)?;
    r.skip(len as usize)
}

/// The protocol level's name as the specifications give it.
pub(crate) fn level_name(level: u8) -> Option<&'static str> {
    match level {
        3 => Some("3.1"),
        4 => Some("3.1.1"),
        5 => Some("5.0"),
        _ => None,
    }
}

/// Parses a CONNECT packet's body (after the fixed header).
pub(crate) fn parse_connect(body: &[u8]) -> Result<Connect<'_>, &'static str> {
    let mut r = Reader::new(body);
    // §3.1.2.1 Protocol Name: UTF-8 string, two-byte length prefix.
    let protocol_name = r.u16_prefixed().map_err(inside)?;
    // §3.1.2.2 Protocol Level.
    let level = r.u8().map_err(inside)?;
    if !matches!((protocol_name, level), (b"MQIsdp", 3) | (b"MQTT", 3..=5)) {
        return Err("mqtt_unknown_protocol");
    }
    // §3.1.2.3 Connect Flags, §3.1.2.10 Keep Alive.
    let flags = ConnectFlags(r.u8().map_err(inside)?);
    let keep_alive = r.u16().map_err(inside)?;
    if level == 5 {
        // v5.0 §3.1.2.11 CONNECT Properties.
        skip_properties(&mut r).map_err(inside)?;
    }
    // §3.1.3.1 Client Identifier.
    let client_id = r.u16_prefixed().map_err(inside)?;
    if flags.will() {
        if level == 5 {
            // v5.0 §3.1.3.2 Will Properties.
            skip_properties(&mut r).map_err(inside)?;
        }
        // §3.1.3.2 Will Topic, §3.1.3.3 Will Message: skipped.
        r.u16_prefixed().map_err(inside)?;
        r.u16_prefixed().map_err(inside)?;
    }
    if flags.username() {
        // §3.1.3.4 User Name: checked for length, never kept.
        r.u16_prefixed().map_err(inside)?;
    }
    if flags.password() {
        // §3.1.3.5 Password: checked for length, never kept.
        r.u16_prefixed().map_err(inside)?;
    }
    Ok(Connect {
        protocol_name,
        level,
        flags,
        keep_alive,
        client_id,
    })
}

/// A CONNACK packet (v3.1.1 §3.2; v5.0 §3.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Connack {
    /// Session Present (§3.2.2.2).
    pub session_present: bool,
    /// Connect Return Code (v3.1.1 §3.2.2.3) / Connect Reason Code (v5.0 §3.2.2.2).
    pub return_code: u8,
}

/// Parses a CONNACK body. v5 properties after the reason code are not read.
pub(crate) fn parse_connack(body: &[u8]) -> Result<Connack, &'static str> {
    let mut r = Reader::new(body);
    // §3.2.2.1 Connect Acknowledge Flags: bits 7-1 reserved, bit 0 Session Present.
    let ack = r.u8().map_err(inside)?;
    let return_code = r.u8().map_err(inside)?;
    if ack & 0xfe != 0 {
        return Err("mqtt_connack_reserved_flags");
    }
    Ok(Connack {
        session_present: ack & 1 != 0,
        return_code,
    })
}

/// Counts the topic filters of a SUBSCRIBE body (v3.1.1 §3.8.3; v5.0 §3.8.2-3); their text is
/// skipped.
pub(crate) fn subscribe_filters(body: &[u8], level: u8) -> Result<u32, &'static str> {
    let mut r = Reader::new(body);
    // §3.8.2 Packet Identifier.
    r.u16().map_err(inside)?;
    if level == 5 {
        // v5.0 §3.8.2.1 SUBSCRIBE Properties.
        skip_properties(&mut r).map_err(inside)?;
    }
    let mut filters = 0u32;
    while !r.is_empty() {
        // §3.8.3 Topic Filter (length-prefixed) then Requested QoS / Subscription Options.
        r.u16_prefixed().map_err(inside)?;
        r.u8().map_err(inside)?;
        filters += 1;
    }
    if filters == 0 {
        // §3.8.3: the payload MUST contain at least one filter.
        return Err("mqtt_subscribe_without_filter");
    }
    Ok(filters)
}
