//! BACnet/IP (ASHRAE 135: Annex J BACnet/IP virtual link layer, clause 6 network layer,
//! clause 20 application layer encoding, clauses 15–16 services). Building automation:
//! air handling, isolation-room pressure, medical gas alarms. A device announces itself in
//! I-Am (its device instance and vendor id) and names its vendor, model and firmware in the
//! device object's properties, which ReadProperty and ReadPropertyMultiple acknowledgements
//! carry.
//!
//! # Facts
//!
//! All about the side that sent the datagram:
//! - `bacnet.device_instance`: the device object's instance number, from I-Am (16.10).
//! - `bacnet.vendor_id`: the ASHRAE vendor identifier, from I-Am or the device object's
//!   vendor-identifier property (120).
//! - `bacnet.object_name`: the device object's object-name (property 77).
//! - `bacnet.model_name`: model-name (70).
//! - `bacnet.firmware_revision`: firmware-revision (44).
//! - `bacnet.application_software_version`: application-software-version (12).
//! - `bacnet.vendor_name`: vendor-name (121).
//!
//! Software (the responder, once per flow at its end): product = vendor-name and
//! model-name, version = firmware-revision.
//!
//! Character strings in another character set than UTF-8 (clause 20.2.9 set 0) are kept as
//! wire text anyway and counted (`bacnet_non_utf8_string`).
//!
//! # Event
//!
//! Object `bacnet`, one per datagram: `bvlc_function` (Annex J.2 name, e.g.
//! `Original-Broadcast-NPDU`), and when present `network_message` (clause 6.2.4 type),
//! `apdu_type` (`confirmed_request`, `unconfirmed_request`, `simple_ack`, `complex_ack`,
//! `segment_ack`, `error`, `reject`, `abort`), `service` (clause 21 name in snake_case,
//! e.g. `i_am`, `who_is`, `read_property`) and `service_choice` (its number), `invoke_id`,
//! `segmented`, `device_instance` and `vendor_id` (I-Am), `properties` (the property
//! identifiers of a ReadProperty(Multiple) acknowledgement, at most 64).
//!
//! Counters: `messages`, `who_is`, `bacnet_segmented_ack` (segments not decoded),
//! `bacnet_properties_dropped`, `bacnet_non_utf8_string`, and the anomalies (one per
//! datagram at most): BVLC `bacnet_not_bacnet_ip`, `bacnet_unknown_bvlc_function`,
//! `bacnet_bvlc_length_mismatch`, `bacnet_bvlc_truncated`; NPDU `bacnet_npdu_version`,
//! `bacnet_npdu_reserved_bits`, `bacnet_npdu_slen_zero`; APDU `bacnet_reserved_apdu_type`,
//! `bacnet_i_am_not_a_device`; tags `bacnet_tag_past_end`, `bacnet_tag_length`,
//! `bacnet_tag_length_past_end`, `bacnet_unexpected_tag`, `bacnet_unsigned_length`,
//! `bacnet_object_id_length`, `bacnet_character_string_empty`, `bacnet_nesting_too_deep`,
//! `bacnet_closing_tag_mismatch`, `bacnet_property_identifier`.

mod apdu;
mod bvlc;
mod tag;
#[cfg(test)]
mod tests;

use model::{Side, Timestamp};
use serde_json::{Map, Value};

use crate::out::Out;
use crate::parser::{AppParser, Datagrams, FlowCtx, Probe, Transports, Verdict};

use apdu::{OBJECT_DEVICE, confirmed, pdu, unconfirmed};

/// Datagrams read per flow before the parser is done.
const MAX_DATAGRAMS: u32 = 256;

/// The BACnet/IP UDP port 0xBAC0 (Annex J.1).
const BACNET_PORT: u16 = 47808;

/// A kept identification string: at most the wire-text limit.
const MAX_KEPT: usize = wire::text::MAX_TEXT_LEN;

/// Device object properties the parser reports (clause 21 BACnetPropertyIdentifier).
mod property {
    pub const APPLICATION_SOFTWARE_VERSION: u32 = 12;
    pub const FIRMWARE_REVISION: u32 = 44;
    pub const MODEL_NAME: u32 = 70;
    pub const OBJECT_NAME: u32 = 77;
    pub const VENDOR_IDENTIFIER: u32 = 120;
    pub const VENDOR_NAME: u32 = 121;
}

/// Per-flow state: datagrams seen and what each side said about its device object.
#[derive(Debug, Default)]
pub struct Bacnet {
    datagrams: Datagrams,
    devices: [Device; 2],
}

#[derive(Debug, Default)]
struct Device {
    vendor_name: Option<Vec<u8>>,
    model_name: Option<Vec<u8>>,
    firmware: Option<Vec<u8>>,
    software_done: bool,
}

impl AppParser for Bacnet {
    const NAME: &'static str = "bacnet";
    const TRANSPORTS: Transports = Transports::Udp;

    fn probe(first: &[u8], _side: Side, ctx: &FlowCtx) -> Probe {
        // Annex J.2: type 0x81, a defined function, and a BVLC length equal to the datagram's.
        let [0x81, function, hi, lo, ..] = *first else {
            return Probe::No;
        };
        if !bvlc::valid_function(function)
            || usize::from(u16::from_be_bytes([hi, lo])) != first.len()
        {
            return Probe::No;
        }
        // An NPDU that starts with protocol version 1 (clause 6.2.1) makes it certain; a
        // bare BVLL message (Register-Foreign-Device, BVLC-Result...) is a few bytes anyone
        // could send, so it needs the BACnet port too.
        let npdu_version = bvlc::npdu_offset(function).and_then(|at| first.get(at));
        if npdu_version == Some(&bvlc::NPDU_VERSION) || ctx.has_port(BACNET_PORT) {
            Probe::Yes
        } else {
            Probe::No
        }
    }

    fn new(_ctx: &FlowCtx) -> Self {
        Self::default()
    }

    fn feed(&mut self, side: Side, _ts: Timestamp, data: &[u8], out: &mut Out<'_>) -> Verdict {
        let verdict = self.datagrams.count(MAX_DATAGRAMS, out);
        let mut event = Map::new();
        if let Err(reason) = self.datagram(side, data, out, &mut event) {
            out.anomaly(reason);
        }
        if out.events_enabled() && !event.is_empty() {
            out.event(event);
        }
        verdict
    }

    fn gap(&mut self, _side: Side, _len: u32, _out: &mut Out<'_>) -> Verdict {
        // Datagrams stand alone.
        Verdict::Continue
    }

    fn end(&mut self, out: &mut Out<'_>) {
        for side in [Side::Client, Side::Server] {
            self.devices[side as usize].software(side, out);
        }
    }
}

/// Keeps at most [`MAX_KEPT`] bytes (none when empty).
fn keep(v: &[u8]) -> Option<Vec<u8>> {
    let v = v.get(..MAX_KEPT).unwrap_or(v);
    (!v.is_empty()).then(|| v.to_vec())
}

impl Bacnet {
    /// One datagram: BVLC, NPDU, APDU, service. Fills `event` as far as it got.
    fn datagram(
        &mut self,
        side: Side,
        data: &[u8],
        out: &mut Out<'_>,
        event: &mut Map<String, Value>,
    ) -> Result<(), &'static str> {
        let events = out.events_enabled();
        let b = bvlc::parse_bvlc(data)?;
        if events {
            event.insert(
                "bvlc_function".into(),
                bvlc::function_name(b.function).into(),
            );
        }
        let Some(npdu) = b.npdu else {
            return Ok(());
        };
        let n = bvlc::parse_npdu(npdu)?;
        if let Some(t) = n.network_message {
            if events {
                event.insert("network_message".into(), t.into());
            }
            return Ok(());
        }
        let Some(apdu) = n.apdu else {
            return Ok(());
        };
        let a = apdu::parse_apdu(apdu)?;
        if events {
            event.insert("apdu_type".into(), apdu::pdu_name(a.pdu_type).into());
            if let Some(s) = a.service {
                event.insert("service".into(), apdu::service_name(a.pdu_type, s).into());
                event.insert("service_choice".into(), s.into());
            }
            if let Some(id) = a.invoke_id {
                event.insert("invoke_id".into(), id.into());
            }
            if a.segmented {
                event.insert("segmented".into(), true.into());
            }
        }
        match (a.pdu_type, a.service) {
            (pdu::UNCONFIRMED_REQUEST, Some(unconfirmed::I_AM)) => {
                let i = apdu::parse_i_am(a.body)?;
                if i.object_type != OBJECT_DEVICE {
                    // Clause 16.10.2: iAmDeviceIdentifier names a device object.
                    return Err("bacnet_i_am_not_a_device");
                }
                out.fact_text(side, "bacnet.device_instance", &i.instance.to_string());
                out.fact_text(side, "bacnet.vendor_id", &i.vendor_id.to_string());
                if events {
                    event.insert("device_instance".into(), i.instance.into());
                    event.insert("vendor_id".into(), i.vendor_id.into());
                    event.insert("max_apdu".into(), i.max_apdu.into());
                    event.insert("segmentation".into(), i.segmentation.into());
                }
            }
            (pdu::UNCONFIRMED_REQUEST, Some(unconfirmed::WHO_IS)) => out.count("who_is"),
            (
                pdu::COMPLEX_ACK,
                Some(s @ (confirmed::READ_PROPERTY | confirmed::READ_PROPERTY_MULTIPLE)),
            ) => {
                if a.segmented {
                    // Clause 20.1.5: a segment is not a whole acknowledgement.
                    out.count("bacnet_segmented_ack");
                    return Ok(());
                }
                let props = if s == confirmed::READ_PROPERTY {
                    apdu::parse_read_property_ack(a.body)?
                } else {
                    apdu::parse_read_property_multiple_ack(a.body)?
                };
                for _ in 0..props.dropped {
                    out.count("bacnet_properties_dropped");
                }
                let device = &mut self.devices[side as usize];
                for p in &props.list {
                    if p.object_type == OBJECT_DEVICE {
                        device.property(side, p, out);
                    }
                }
                if events {
                    let ids: Vec<Value> = props.list.iter().map(|p| p.property.into()).collect();
                    event.insert("properties".into(), Value::Array(ids));
                }
            }
            _ => {}
        }
        Ok(())
    }
}

impl Device {
    /// One device object property from `side`: a fact when it identifies the device.
    fn property(&mut self, side: Side, p: &apdu::Property<'_>, out: &mut Out<'_>) {
        let (set, text) = match p.value {
            apdu::Value::Text(set, text) => (set, text),
            apdu::Value::Unsigned(v) if p.property == property::VENDOR_IDENTIFIER => {
                out.fact_text(side, "bacnet.vendor_id", &v.to_string());
                return;
            }
            apdu::Value::Unsigned(_) | apdu::Value::Other => return,
        };
        let key = match p.property {
            property::OBJECT_NAME => "bacnet.object_name",
            property::MODEL_NAME => "bacnet.model_name",
            property::FIRMWARE_REVISION => "bacnet.firmware_revision",
            property::APPLICATION_SOFTWARE_VERSION => "bacnet.application_software_version",
            property::VENDOR_NAME => "bacnet.vendor_name",
            _ => return,
        };
        if set != tag::CHARSET_UTF8 {
            // Clause 20.2.9: DBCS, JIS X 0208, UCS-4, UCS-2, ISO 8859-1. Kept as wire text.
            out.count("bacnet_non_utf8_string");
        }
        let slot = match p.property {
            property::MODEL_NAME => Some(&mut self.model_name),
            property::FIRMWARE_REVISION => Some(&mut self.firmware),
            property::VENDOR_NAME => Some(&mut self.vendor_name),
            _ => None,
        };
        if let (Some(slot), Some(v)) = (slot, keep(text)) {
            *slot = Some(v);
        }
        out.fact(side, key, text);
    }

    /// The device's software, from vendor-name, model-name and firmware-revision (once).
    fn software(&mut self, side: Side, out: &mut Out<'_>) {
        if self.software_done {
            return;
        }
        let product: Vec<u8> = match (&self.vendor_name, &self.model_name) {
            (Some(v), Some(m)) => [v.as_slice(), b" ", m.as_slice()].concat(),
            (Some(x), None) | (None, Some(x)) => x.clone(),
            (None, None) => return,
        };
        self.software_done = true;
        let version = self.firmware.as_deref();
        let raw = match version {
            Some(v) => [product.as_slice(), b" ", v].concat(),
            None => product.clone(),
        };
        out.software(side, &product, version, &raw);
    }
}
