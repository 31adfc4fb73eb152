//! BACnet application layer PDUs (ASHRAE 135 clause 20.1) and the services the parser
//! decodes: I-Am (clause 16.10), Who-Is (clause 16.10) and the ReadProperty /
//! ReadPropertyMultiple acknowledgements (clauses 15.5, 15.7).

use wire::cursor::Reader;

use super::tag::{self, Lvt, app, inside};

/// APDU types (clause 20.1.1, high nibble of the first octet).
pub(crate) mod pdu {
    pub const CONFIRMED_REQUEST: u8 = 0;
    pub const UNCONFIRMED_REQUEST: u8 = 1;
    pub const SIMPLE_ACK: u8 = 2;
    pub const COMPLEX_ACK: u8 = 3;
    pub const SEGMENT_ACK: u8 = 4;
    pub const ERROR: u8 = 5;
    pub const REJECT: u8 = 6;
    pub const ABORT: u8 = 7;
}

/// The APDU type's name.
pub(crate) fn pdu_name(t: u8) -> &'static str {
    match t {
        pdu::CONFIRMED_REQUEST => "confirmed_request",
        pdu::UNCONFIRMED_REQUEST => "unconfirmed_request",
        pdu::SIMPLE_ACK => "simple_ack",
        pdu::COMPLEX_ACK => "complex_ack",
        pdu::SEGMENT_ACK => "segment_ack",
        pdu::ERROR => "error",
        pdu::REJECT => "reject",
        pdu::ABORT => "abort",
        _ => "unknown",
    }
}

/// Unconfirmed service choices (clause 21, BACnetUnconfirmedServiceChoice).
pub(crate) mod unconfirmed {
    pub const I_AM: u8 = 0;
    pub const WHO_IS: u8 = 8;
}

/// Confirmed service choices (clause 21, BACnetConfirmedServiceChoice).
pub(crate) mod confirmed {
    pub const READ_PROPERTY: u8 = 12;
    pub const READ_PROPERTY_MULTIPLE: u8 = 14;
}

/// A service choice's name (clause 21), for the APDU type that carries it.
pub(crate) fn service_name(pdu_type: u8, service: u8) -> &'static str {
    if pdu_type == pdu::UNCONFIRMED_REQUEST {
        return match service {
            0 => "i_am",
            1 => "i_have",
            2 => "unconfirmed_cov_notification",
            3 => "unconfirmed_event_notification",
            4 => "unconfirmed_private_transfer",
            5 => "unconfirmed_text_message",
            6 => "time_synchronization",
            7 => "who_has",
            8 => "who_is",
            9 => "utc_time_synchronization",
            10 => "write_group",
            11 => "unconfirmed_cov_notification_multiple",
            _ => "unknown",
        };
    }
    match service {
        0 => "acknowledge_alarm",
        1 => "confirmed_cov_notification",
        2 => "confirmed_event_notification",
        3 => "get_alarm_summary",
        4 => "get_enrollment_summary",
        5 => "subscribe_cov",
        6 => "atomic_read_file",
        7 => "atomic_write_file",
        8 => "add_list_element",
        9 => "remove_list_element",
        10 => "create_object",
        11 => "delete_object",
        12 => "read_property",
        14 => "read_property_multiple",
        15 => "write_property",
        16 => "write_property_multiple",
        17 => "device_communication_control",
        18 => "confirmed_private_transfer",
        19 => "confirmed_text_message",
        20 => "reinitialize_device",
        26 => "read_range",
        28 => "subscribe_cov_property",
        29 => "get_event_information",
        _ => "unknown",
    }
}

/// One APDU's header and service data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Apdu<'a> {
    /// APDU type.
    pub pdu_type: u8,
    /// Invoke ID (all types but Unconfirmed-Request).
    pub invoke_id: Option<u8>,
    /// Service choice (requests, acknowledgements and errors).
    pub service: Option<u8>,
    /// The PDU is one segment of a longer message (clause 20.1.2.4 SEG).
    pub segmented: bool,
    /// What follows the header (service request / ack data, error or reason).
    pub body: &'a [u8],
}

/// Parses an APDU header (clause 20.1.2–20.1.9).
pub(crate) fn parse_apdu(b: &[u8]) -> Result<Apdu<'_>, &'static str> {
    let mut r = Reader::new(b);
    let first = r.u8().map_err(inside)?;
    let pdu_type = first >> 4;
    let seg = first & 0x08 != 0;
    let mut apdu = Apdu {
        pdu_type,
        invoke_id: None,
        service: None,
        segmented: false,
        body: &[],
    };
    match pdu_type {
        pdu::CONFIRMED_REQUEST => {
            // Clause 20.1.2: max-segments / max-APDU octet, invoke ID, [sequence number,
            // proposed window size], service choice.
            r.u8().map_err(inside)?;
            apdu.invoke_id = Some(r.u8().map_err(inside)?);
            if seg {
                r.skip(2).map_err(inside)?;
            }
            apdu.service = Some(r.u8().map_err(inside)?);
        }
        pdu::UNCONFIRMED_REQUEST => apdu.service = Some(r.u8().map_err(inside)?),
        pdu::SIMPLE_ACK | pdu::ERROR => {
            // Clauses 20.1.4, 20.1.7: invoke ID, service choice.
            apdu.invoke_id = Some(r.u8().map_err(inside)?);
            apdu.service = Some(r.u8().map_err(inside)?);
        }
        pdu::COMPLEX_ACK => {
            // Clause 20.1.5: invoke ID, [sequence number, proposed window size], service.
            apdu.invoke_id = Some(r.u8().map_err(inside)?);
            if seg {
                r.skip(2).map_err(inside)?;
            }
            apdu.service = Some(r.u8().map_err(inside)?);
        }
        pdu::SEGMENT_ACK | pdu::REJECT | pdu::ABORT => {
            // Clauses 20.1.6, 20.1.8, 20.1.9: invoke ID, then sequence/window or a reason.
            apdu.invoke_id = Some(r.u8().map_err(inside)?);
        }
        _ => return Err("bacnet_reserved_apdu_type"),
    }
    apdu.segmented = seg && matches!(pdu_type, pdu::CONFIRMED_REQUEST | pdu::COMPLEX_ACK);
    apdu.body = r.take_rest();
    Ok(apdu)
}

/// The device object type (clause 21 BACnetObjectType).
pub(crate) const OBJECT_DEVICE: u16 = 8;

/// An I-Am request (clause 16.10.2, I-Am-Request).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct IAm {
    /// iAmDeviceIdentifier: object type (8 = device) and instance.
    pub object_type: u16,
    /// Device instance number.
    pub instance: u32,
    /// maxAPDULengthAccepted.
    pub max_apdu: u64,
    /// segmentationSupported (BACnetSegmentation).
    pub segmentation: u64,
    /// vendorID.
    pub vendor_id: u64,
}

/// Reads the next tag, which must be application tag `n`; its content.
fn expect_app<'a>(r: &mut Reader<'a>, n: u8) -> Result<&'a [u8], &'static str> {
    match tag::read(r)? {
        (t, content) if t.is_app(n) => Ok(content),
        _ => Err("bacnet_unexpected_tag"),
    }
}

/// Decodes I-Am's four application-tagged parameters.
pub(crate) fn parse_i_am(body: &[u8]) -> Result<IAm, &'static str> {
    let mut r = Reader::new(body);
    let (object_type, instance) = tag::object_id(expect_app(&mut r, app::OBJECT_IDENTIFIER)?)?;
    let max_apdu = tag::unsigned(expect_app(&mut r, app::UNSIGNED)?)?;
    let segmentation = tag::unsigned(expect_app(&mut r, app::ENUMERATED)?)?;
    let vendor_id = tag::unsigned(expect_app(&mut r, app::UNSIGNED)?)?;
    Ok(IAm {
        object_type,
        instance,
        max_apdu,
        segmentation,
        vendor_id,
    })
}

/// Property values read from acknowledgements, at most this many per PDU.
pub(crate) const MAX_PROPERTIES: usize = 64;

/// A property value the parser may keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Value<'a> {
    /// A CharacterString: (character set, octets).
    Text(u8, &'a [u8]),
    /// An Unsigned.
    Unsigned(u64),
    /// Anything else, or an error result.
    Other,
}

/// One property of one object from a ReadProperty(Multiple) acknowledgement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Property<'a> {
    /// Object type.
    pub object_type: u16,
    /// Object instance.
    pub instance: u32,
    /// BACnetPropertyIdentifier.
    pub property: u32,
    /// Its value, when it is a single primitive the parser reads.
    pub value: Value<'a>,
}

/// Properties of one acknowledgement (at most [`MAX_PROPERTIES`]) and how many were dropped.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub(crate) struct Properties<'a> {
    /// Properties kept.
    pub list: Vec<Property<'a>>,
    /// Properties past the limit.
    pub dropped: usize,
}

impl<'a> Properties<'a> {
    fn push(&mut self, p: Property<'a>) {
        if self.list.len() < MAX_PROPERTIES {
            self.list.push(p);
        } else {
            self.dropped += 1;
        }
    }
}

/// Reads a context tag `n` holding an unsigned (property identifier, array index).
fn context_unsigned(r: &mut Reader<'_>, n: u8) -> Result<u64, &'static str> {
    match tag::read(r)? {
        (t, content) if t.is_context(n) => tag::unsigned(content),
        _ => Err("bacnet_unexpected_tag"),
    }
}

/// Reads the context tag `n` holding an object identifier.
fn context_object_id(r: &mut Reader<'_>, n: u8) -> Result<(u16, u32), &'static str> {
    match tag::read(r)? {
        (t, content) if t.is_context(n) => tag::object_id(content),
        _ => Err("bacnet_unexpected_tag"),
    }
}

/// True when the next tag is context `n` (primitive or opening), not consumed.
fn next_is_context(r: &Reader<'_>, n: u8) -> bool {
    let mut peek = *r;
    tag::read_tag(&mut peek).is_ok_and(|t| t.context && t.number == n)
}

/// Reads an opening tag `n`, the constructed value, and its closing tag; the value's content.
fn enclosed<'a>(r: &mut Reader<'a>, n: u8) -> Result<&'a [u8], &'static str> {
    match tag::read_tag(r)? {
        t if t.is_opening(n) => tag::constructed(r, n),
        _ => Err("bacnet_unexpected_tag"),
    }
}

/// The value inside a propertyValue: a single CharacterString or Unsigned, else Other.
fn single_value(content: &[u8]) -> Result<Value<'_>, &'static str> {
    let mut r = Reader::new(content);
    if r.is_empty() {
        return Ok(Value::Other);
    }
    let (t, c) = tag::read(&mut r)?;
    if !r.is_empty() || t.context {
        return Ok(Value::Other);
    }
    Ok(match t.number {
        app::CHARACTER_STRING => {
            let (set, s) = tag::character_string(c)?;
            Value::Text(set, s)
        }
        app::UNSIGNED if matches!(t.lvt, Lvt::Length(_)) => Value::Unsigned(tag::unsigned(c)?),
        _ => Value::Other,
    })
}

/// Property identifiers are 22-bit enumerations (clause 21); anything wider is malformed.
fn property_id(v: u64) -> Result<u32, &'static str> {
    u32::try_from(v)
        .ok()
        .filter(|&p| p <= 0x003f_ffff)
        .ok_or("bacnet_property_identifier")
}

/// Decodes a ReadProperty-ACK (clause 15.5.1.3): objectIdentifier [0], propertyIdentifier
/// [1], propertyArrayIndex [2] OPTIONAL, propertyValue [3].
pub(crate) fn parse_read_property_ack(body: &[u8]) -> Result<Properties<'_>, &'static str> {
    let mut r = Reader::new(body);
    let (object_type, instance) = context_object_id(&mut r, 0)?;
    let property = property_id(context_unsigned(&mut r, 1)?)?;
    let mut index = false;
    if next_is_context(&r, 2) {
        context_unsigned(&mut r, 2)?;
        index = true;
    }
    let content = enclosed(&mut r, 3)?;
    let value = if index {
        Value::Other
    } else {
        single_value(content)?
    };
    let mut out = Properties::default();
    out.push(Property {
        object_type,
        instance,
        property,
        value,
    });
    Ok(out)
}

/// Decodes a ReadPropertyMultiple-ACK (clause 15.7.1.3): a sequence of ReadAccessResult,
/// each objectIdentifier [0] then listOfResults [1] of propertyIdentifier [2],
/// propertyArrayIndex [3] OPTIONAL and readResult: propertyValue [4] or propertyAccessError
/// [5].
pub(crate) fn parse_read_property_multiple_ack(
    body: &[u8],
) -> Result<Properties<'_>, &'static str> {
    let mut r = Reader::new(body);
    let mut out = Properties::default();
    while !r.is_empty() {
        let (object_type, instance) = context_object_id(&mut r, 0)?;
        let results = enclosed(&mut r, 1)?;
        let mut rr = Reader::new(results);
        while !rr.is_empty() {
            let property = property_id(context_unsigned(&mut rr, 2)?)?;
            let mut index = false;
            if next_is_context(&rr, 3) {
                context_unsigned(&mut rr, 3)?;
                index = true;
            }
            let value = if next_is_context(&rr, 4) {
                let content = enclosed(&mut rr, 4)?;
                if index {
                    Value::Other
                } else {
                    single_value(content)?
                }
            } else {
                enclosed(&mut rr, 5)?;
                Value::Other
            };
            out.push(Property {
                object_type,
                instance,
                property,
                value,
            });
        }
    }
    Ok(out)
}
