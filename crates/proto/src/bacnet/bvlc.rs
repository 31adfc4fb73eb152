//! BACnet/IP virtual link control (ASHRAE 135 Annex J.2) and the network layer header
//! (clause 6.2), over one UDP datagram.

use wire::cursor::Reader;

use super::tag::inside;

/// BVLC type octet of BACnet/IP (Annex J.2.1).
pub(crate) const BVLC_TYPE: u8 = 0x81;

/// BVLC function codes (Annex J.2.1 Table J-1).
pub(crate) mod function {
    pub const RESULT: u8 = 0x00;
    pub const WRITE_BDT: u8 = 0x01;
    pub const READ_BDT: u8 = 0x02;
    pub const READ_BDT_ACK: u8 = 0x03;
    pub const FORWARDED_NPDU: u8 = 0x04;
    pub const REGISTER_FOREIGN_DEVICE: u8 = 0x05;
    pub const READ_FDT: u8 = 0x06;
    pub const READ_FDT_ACK: u8 = 0x07;
    pub const DELETE_FDT_ENTRY: u8 = 0x08;
    pub const DISTRIBUTE_BROADCAST: u8 = 0x09;
    pub const ORIGINAL_UNICAST_NPDU: u8 = 0x0a;
    pub const ORIGINAL_BROADCAST_NPDU: u8 = 0x0b;
    pub const SECURE_BVLL: u8 = 0x0c;
}

/// The function's name in Annex J.2.
pub(crate) fn function_name(f: u8) -> &'static str {
    match f {
        function::RESULT => "BVLC-Result",
        function::WRITE_BDT => "Write-Broadcast-Distribution-Table",
        function::READ_BDT => "Read-Broadcast-Distribution-Table",
        function::READ_BDT_ACK => "Read-Broadcast-Distribution-Table-Ack",
        function::FORWARDED_NPDU => "Forwarded-NPDU",
        function::REGISTER_FOREIGN_DEVICE => "Register-Foreign-Device",
        function::READ_FDT => "Read-Foreign-Device-Table",
        function::READ_FDT_ACK => "Read-Foreign-Device-Table-Ack",
        function::DELETE_FDT_ENTRY => "Delete-Foreign-Device-Table-Entry",
        function::DISTRIBUTE_BROADCAST => "Distribute-Broadcast-To-Network",
        function::ORIGINAL_UNICAST_NPDU => "Original-Unicast-NPDU",
        function::ORIGINAL_BROADCAST_NPDU => "Original-Broadcast-NPDU",
        function::SECURE_BVLL => "Secure-BVLL",
        _ => "unknown",
    }
}

/// True for a function Annex J.2 defines.
pub(crate) fn valid_function(f: u8) -> bool {
    f <= function::SECURE_BVLL
}

/// Where a function's NPDU starts, for the functions that carry one: after the 4-byte
/// header, and for Forwarded-NPDU after the original source's B/IP address (6 bytes,
/// Annex J.2.9).
pub(crate) fn npdu_offset(f: u8) -> Option<usize> {
    match f {
        function::FORWARDED_NPDU => Some(10),
        function::DISTRIBUTE_BROADCAST
        | function::ORIGINAL_UNICAST_NPDU
        | function::ORIGINAL_BROADCAST_NPDU => Some(4),
        _ => None,
    }
}

/// One BVLL message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Bvlc<'a> {
    /// BVLC function.
    pub function: u8,
    /// The NPDU, for functions that carry one.
    pub npdu: Option<&'a [u8]>,
}

/// Parses a datagram's BVLC header (Annex J.2): type, function, length = the datagram's.
pub(crate) fn parse_bvlc(d: &[u8]) -> Result<Bvlc<'_>, &'static str> {
    let mut r = Reader::new(d);
    if r.u8().map_err(inside)? != BVLC_TYPE {
        return Err("bacnet_not_bacnet_ip");
    }
    let function = r.u8().map_err(inside)?;
    if !valid_function(function) {
        return Err("bacnet_unknown_bvlc_function");
    }
    let length = r.u16().map_err(inside)?;
    if usize::from(length) != d.len() {
        return Err("bacnet_bvlc_length_mismatch");
    }
    let npdu = match npdu_offset(function) {
        Some(at) => Some(d.get(at..).ok_or("bacnet_bvlc_truncated")?),
        None => None,
    };
    Ok(Bvlc { function, npdu })
}

/// NPDU protocol version (clause 6.2.1).
pub(crate) const NPDU_VERSION: u8 = 0x01;

/// The network layer header (clause 6.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Npdu<'a> {
    /// Control octet (clause 6.2.2).
    pub control: u8,
    /// Destination network (DNET), when present.
    pub dnet: Option<u16>,
    /// Source network (SNET), when present.
    pub snet: Option<u16>,
    /// Network layer message type, when the NPDU carries one instead of an APDU.
    pub network_message: Option<u8>,
    /// The APDU, when the NPDU carries one.
    pub apdu: Option<&'a [u8]>,
}

/// Parses an NPDU (clause 6.2).
pub(crate) fn parse_npdu(b: &[u8]) -> Result<Npdu<'_>, &'static str> {
    let mut r = Reader::new(b);
    if r.u8().map_err(inside)? != NPDU_VERSION {
        return Err("bacnet_npdu_version");
    }
    let control = r.u8().map_err(inside)?;
    // Clause 6.2.2: bit 7 network layer message, bit 5 DNET/DLEN/DADR present, bit 3
    // SNET/SLEN/SADR present; bits 6 and 4 reserved.
    if control & 0x50 != 0 {
        return Err("bacnet_npdu_reserved_bits");
    }
    let mut dnet = None;
    if control & 0x20 != 0 {
        dnet = Some(r.u16().map_err(inside)?);
        // DLEN then DADR; DLEN 0 = broadcast on DNET.
        r.u8_prefixed().map_err(inside)?;
    }
    let mut snet = None;
    if control & 0x08 != 0 {
        snet = Some(r.u16().map_err(inside)?);
        // SLEN 0 is invalid (clause 6.2.2).
        if r.u8_prefixed().map_err(inside)?.is_empty() {
            return Err("bacnet_npdu_slen_zero");
        }
    }
    if dnet.is_some() {
        // Hop Count.
        r.u8().map_err(inside)?;
    }
    if control & 0x80 != 0 {
        let t = r.u8().map_err(inside)?;
        return Ok(Npdu {
            control,
            dnet,
            snet,
            network_message: Some(t),
            apdu: None,
        });
    }
    Ok(Npdu {
        control,
        dnet,
        snet,
        network_message: None,
        apdu: Some(r.take_rest()),
    })
}
