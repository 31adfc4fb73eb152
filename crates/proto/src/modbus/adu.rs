//! Modbus/TCP application data units: the MBAP header (Modbus Messaging on TCP/IP
//! Implementation Guide V1.0b §3.1.3) and the PDU's function code, exception responses and
//! Read Device Identification (Modbus Application Protocol Specification V1.1b3 §6.21).

use wire::cursor::{ReadError, Reader};

use crate::buffer::Framed;

/// MBAP header fields (Implementation Guide §3.1.3).
mod field {
    /// Transaction Identifier (2), Protocol Identifier (2), Length (2), Unit Identifier (1).
    pub const HEADER_LEN: usize = 7;
    /// Bytes before the Length field's count starts (it counts the Unit Identifier on).
    pub const LENGTH_END: usize = 6;
}

/// Length field bounds: Unit Identifier + function code at least; Unit Identifier + the
/// largest PDU (253 bytes, Application Protocol §4.1) at most.
pub(crate) const MIN_LENGTH: u16 = 2;
/// See [`MIN_LENGTH`].
pub(crate) const MAX_LENGTH: u16 = 254;

/// Largest ADU: 6 + 254.
pub(crate) const MAX_ADU: usize = field::LENGTH_END + MAX_LENGTH as usize;

/// Exception responses set the function code's high bit (Application Protocol §7).
pub(crate) const EXCEPTION_BIT: u8 = 0x80;

/// Encapsulated Interface Transport (Application Protocol §6.19).
pub(crate) const FC_MEI: u8 = 0x2b;
/// MEI type Read Device Identification (§6.21).
pub(crate) const MEI_READ_DEVICE_ID: u8 = 0x0e;

/// The MBAP header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Mbap {
    /// Transaction Identifier: pairs a response with its request.
    pub transaction_id: u16,
    /// Protocol Identifier: 0 = Modbus.
    pub protocol_id: u16,
    /// Bytes that follow, Unit Identifier included.
    pub length: u16,
    /// Unit Identifier (the serial slave behind a gateway; 0xff when none).
    pub unit_id: u8,
}

impl Mbap {
    /// Bytes of the whole ADU.
    pub fn adu_len(&self) -> usize {
        field::LENGTH_END + usize::from(self.length)
    }
}

/// What an MBAP header check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Check {
    /// A valid header; the ADU is this long.
    Frame(usize),
    /// Valid so far, but the header ends early.
    Prefix,
    /// Not an MBAP header.
    Bad,
}

/// Checks the MBAP header at the front of `b` as far as `b` goes: Protocol Identifier 0,
/// Length in 2..=254.
pub(crate) fn check(b: &[u8]) -> Check {
    let mut r = Reader::new(b);
    let read = (|| -> Result<Mbap, ReadError> {
        let transaction_id = r.u16()?;
        let protocol_id = r.u16()?;
        if protocol_id != 0 {
            return Err(ReadError::Malformed("modbus_protocol_id"));
        }
        let length = r.u16()?;
        if !(MIN_LENGTH..=MAX_LENGTH).contains(&length) {
            return Err(ReadError::Malformed("modbus_length"));
        }
        let unit_id = r.u8()?;
        Ok(Mbap {
            transaction_id,
            protocol_id,
            length,
            unit_id,
        })
    })();
    match read {
        Ok(m) => Check::Frame(m.adu_len()),
        Err(ReadError::Incomplete { .. }) => {
            // A prefix of a valid header: the Protocol Identifier bytes seen must be zero,
            // and so must the Length's high byte (Length <= 254).
            let zero = |i: usize| b.get(i).is_none_or(|&x| x == 0);
            if zero(2) && zero(3) && zero(4) {
                Check::Prefix
            } else {
                Check::Bad
            }
        }
        Err(ReadError::Malformed(_)) => Check::Bad,
    }
}

/// One ADU is the MBAP header's Length plus six bytes.
pub(crate) fn frame(b: &[u8]) -> Framed {
    match check(b) {
        Check::Frame(n) if b.len() >= n => Framed::Message(n),
        Check::Frame(n) => Framed::Incomplete(n),
        Check::Prefix => Framed::Incomplete(field::HEADER_LEN),
        Check::Bad => Framed::Invalid,
    }
}

/// One ADU: the header, the function code and the rest of the PDU.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Adu<'a> {
    /// The MBAP header.
    pub mbap: Mbap,
    /// Function code (exception bit included).
    pub function: u8,
    /// PDU data after the function code.
    pub data: &'a [u8],
}

/// Parses one whole ADU (as [`frame`] cut it).
pub(crate) fn parse(adu: &[u8]) -> Result<Adu<'_>, &'static str> {
    let mut r = Reader::new(adu);
    let past_end = |_| "modbus_adu_truncated";
    let transaction_id = r.u16().map_err(past_end)?;
    let protocol_id = r.u16().map_err(past_end)?;
    let length = r.u16().map_err(past_end)?;
    let unit_id = r.u8().map_err(past_end)?;
    let function = r.u8().map_err(past_end)?;
    Ok(Adu {
        mbap: Mbap {
            transaction_id,
            protocol_id,
            length,
            unit_id,
        },
        function,
        data: r.take_rest(),
    })
}

/// Function codes a request may carry (Application Protocol §5: 1..=127; 0 is invalid).
pub(crate) fn valid_request_function(fc: u8) -> bool {
    (1..EXCEPTION_BIT).contains(&fc)
}

/// Function codes a response may carry: a request's, or it with the exception bit (§7).
pub(crate) fn valid_response_function(fc: u8) -> bool {
    valid_request_function(fc & !EXCEPTION_BIT)
}

/// Suricata's (sawp-modbus) name of a public function code (Application Protocol §5.1).
pub(crate) fn function_name(fc: u8) -> &'static str {
    match fc & !EXCEPTION_BIT {
        1 => "RdCoils",
        2 => "RdDiscreteInputs",
        3 => "RdHoldRegs",
        4 => "RdInputRegs",
        5 => "WrSingleCoil",
        6 => "WrSingleReg",
        7 => "RdExcStatus",
        8 => "Diagnostic",
        11 => "GetCommEventCtr",
        12 => "GetCommEventLog",
        15 => "WrMultCoils",
        16 => "WrMultRegs",
        17 => "ReportServerID",
        20 => "RdFileRec",
        21 => "WrFileRec",
        22 => "MaskWrReg",
        23 => "RdWrMultRegs",
        24 => "RdFIFOQueue",
        43 => "MEI",
        _ => "Unknown",
    }
}

/// Function codes that write coils or registers (§6.5, §6.6, §6.11, §6.12, §6.16, §6.17).
pub(crate) fn is_write(fc: u8) -> bool {
    matches!(fc, 5 | 6 | 15 | 16 | 22 | 23)
}

/// Exception code names (Application Protocol §7), as sawp-modbus spells them.
pub(crate) fn exception_name(code: u8) -> &'static str {
    match code {
        1 => "IllegalFunction",
        2 => "IllegalDataAddr",
        3 => "IllegalDataValue",
        4 => "ServerDeviceFail",
        5 => "Ack",
        6 => "ServerDeviceBusy",
        8 => "MemParityErr",
        10 => "GatewayPathUnavailable",
        11 => "GatewayTargetFailToResp",
        _ => "Unknown",
    }
}

/// Read Device Identification object ids (§6.21 Table "Basic/Regular" categories).
pub(crate) mod object {
    pub const VENDOR_NAME: u8 = 0x00;
    pub const PRODUCT_CODE: u8 = 0x01;
    pub const MAJOR_MINOR_REVISION: u8 = 0x02;
    pub const VENDOR_URL: u8 = 0x03;
    pub const PRODUCT_NAME: u8 = 0x04;
    pub const MODEL_NAME: u8 = 0x05;
    pub const USER_APPLICATION_NAME: u8 = 0x06;
}

/// Objects kept from one response (a response carries at most 255).
pub(crate) const MAX_OBJECTS: usize = 64;

/// A Read Device Identification response (§6.21, function 43 / MEI type 14).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DeviceId<'a> {
    /// Read Device ID code: 1 basic, 2 regular, 3 extended, 4 one object.
    pub read_code: u8,
    /// Conformity level.
    pub conformity: u8,
    /// More Follows: 0xff when the device needs another request for the rest.
    pub more_follows: u8,
    /// (object id, value), at most [`MAX_OBJECTS`].
    pub objects: Vec<(u8, &'a [u8])>,
    /// Objects past [`MAX_OBJECTS`].
    pub dropped: usize,
}

/// Parses a Read Device Identification response's data (after the function code).
pub(crate) fn parse_device_id(data: &[u8]) -> Result<DeviceId<'_>, &'static str> {
    let mut r = Reader::new(data);
    let past_end = |_| "modbus_device_id_truncated";
    let mei = r.u8().map_err(past_end)?;
    if mei != MEI_READ_DEVICE_ID {
        return Err("modbus_not_device_id");
    }
    let read_code = r.u8().map_err(past_end)?;
    let conformity = r.u8().map_err(past_end)?;
    let more_follows = r.u8().map_err(past_end)?;
    let _next_object = r.u8().map_err(past_end)?;
    let count = r.u8().map_err(past_end)?;
    let mut objects = Vec::new();
    let mut dropped = 0;
    for _ in 0..count {
        // Object Id, Object Length, Object Value.
        let id = r.u8().map_err(past_end)?;
        let value = r.u8_prefixed().map_err(past_end)?;
        if objects.len() < MAX_OBJECTS {
            objects.push((id, value));
        } else {
            dropped += 1;
        }
    }
    Ok(DeviceId {
        read_code,
        conformity,
        more_follows,
        objects,
        dropped,
    })
}
