//! POCT1-A (CLSI POCT1-A2, *Point-of-Care Connectivity; Approved Standard — Second Edition*,
//! Device Messaging Layer): XML messages from point-of-care analyzers (glucose meters, blood
//! gas and coagulation analyzers, urine and HbA1c readers) to a data manager over TCP, as the
//! vendors' published interface specifications describe it (e.g. Quidel Sofia, Abbott i-STAT,
//! Siemens DCA Vantage LIS interface guides): each message one XML document whose root names
//! the message type (`HEL.R01`, `DST.R01`, `OBS.R01`, `OBS.R02`, `ACK.R01`, `EOT.R01`,
//! `END.R01`, `REQ.R01`, `DTV.R02`, `KPA.R01`…), values in `V` attributes.
//!
//! Recognised by content on any port: an optional XML declaration, then a root element named
//! like a POCT1-A message type (three upper-case letters, a dot, a suffix: `HEL.R01`). Either
//! side may speak first. Sessions carry every result a device uploads: the parser asks for
//! 16 MiB per side and reads up to 4,096 messages; one message is read up to 256 KiB (larger
//! ones are skipped, `poct1a_message_oversize`). After a gap or bytes that are not a message
//! it resynchronises on the next XML declaration or message root.
//!
//! What is kept: the device identity of `DEV` topics (hello and device status), the version
//! and the presence of a control id from `HDR`, the acknowledgment code, and the *names* of
//! the non-empty patient fields (`PT.patient_id`). Never a value of `PT`, `OBS` (results),
//! `OPR` (operator ids) or `NTE` (free text).
//!
//! # Facts
//! About the sender of the message (the analyzer, for `HEL.R01` and `DST.R01`):
//! - `poct1a.device_id`: `DEV.device_id`.
//! - `poct1a.vendor_id`: `DEV.vendor_id`.
//! - `poct1a.model_id`: `DEV.model_id`.
//! - `poct1a.serial_id`: `DEV.serial_id`.
//! - `poct1a.manufacturer`: `DEV.manufacturer_name`.
//! - `poct1a.hw_version`: `DEV.hw_version`.
//! - `poct1a.sw_version`: `DEV.sw_version`.
//! - `poct1a.device_name`: `DEV.device_name`.
//!
//! Software: the model (`DEV.model_id`, else the device name, else the vendor id) with
//! `DEV.sw_version`.
//!
//! # Exposures
//! `CleartextPhi`, side = the sender, subject = the message type (`OBS.R01`),
//! fields = the names of the non-empty `PT.*` fields and `OBS.value` when results were
//! there, once per message that carries a patient field.
//!
//! # Event
//! Object `poct1a`, one per message: `message_type`, `version` (`HDR.version_id`),
//! `control_id_present`, `device` (the `DEV` fields above, without the prefix),
//! `patient_fields_present` (names), `observations` (results with a value: a count),
//! `ack_code` (`ACK.type_cd`), `bytes`, `direction` (`to_server` / `to_client`).
//!
//! Counters: `messages`, `poct1a_message_oversize`, and the anomalies `poct1a_not_utf8`,
//! `poct1a_bad_xml`, `poct1a_too_many_nodes`, `poct1a_truncated_message`.

mod message;
#[cfg(test)]
mod tests;

use model::{ExposureKind, Side, Timestamp};
use serde_json::{Map, Value};

use crate::buffer::{Fed, Framed, StreamBuf};
use crate::out::{Out, text_value};
use crate::parser::{AppParser, FlowCtx, Probe, Transports, Verdict};

use message::{MAX_MESSAGE, Message, message_len, parse, root};

/// Bytes per side a session may run to (devices upload a day's results in one session).
const DEPTH: u32 = 16 << 20;

/// Messages read per flow before the parser is done.
const MAX_MESSAGES: u32 = 4096;

/// Per-flow state: one buffer per side and the messages read.
#[derive(Debug, Default)]
pub struct Poct1a {
    bufs: [StreamBuf; 2],
    messages: u32,
}

impl AppParser for Poct1a {
    const NAME: &'static str = "poct1a";
    const TRANSPORTS: Transports = Transports::Tcp;

    fn probe(first: &[u8], _side: Side, _ctx: &FlowCtx) -> Probe {
        match root(first) {
            None => Probe::NeedMore,
            Some(Ok(_)) => Probe::Yes,
            Some(Err(())) => Probe::No,
        }
    }

    fn new(_ctx: &FlowCtx) -> Self {
        Self::default()
    }

    fn feed(&mut self, side: Side, _ts: Timestamp, data: &[u8], out: &mut Out<'_>) -> Verdict {
        let mut messages = 0;
        let fed = self.bufs[side as usize].feed(data, MAX_MESSAGE, frame, |bytes| {
            messages += 1;
            report(side, bytes, out);
        });
        self.messages += messages;
        if fed == Fed::Oversize {
            out.count("poct1a_message_oversize");
        }
        if self.messages >= MAX_MESSAGES {
            Verdict::Done
        } else {
            Verdict::Depth(DEPTH)
        }
    }

    fn gap(&mut self, side: Side, _len: u32, _out: &mut Out<'_>) -> Verdict {
        // The message in progress is lost; the framer skips to the next message start.
        self.bufs[side as usize].clear();
        Verdict::Depth(DEPTH)
    }

    fn end(&mut self, out: &mut Out<'_>) {
        if self.bufs.iter().any(|b| !b.is_empty()) {
            out.anomaly("poct1a_truncated_message");
        }
    }
}

/// A whole message at the front, or how to get past bytes that do not start one: up to the
/// next XML declaration or message root (resynchronisation after a gap).
fn frame(b: &[u8]) -> Framed {
    // Line ends between messages are not part of the next one (its XML declaration must come
    // first in the document).
    let blank = b.iter().take_while(|c| c.is_ascii_whitespace()).count();
    if blank > 0 {
        return Framed::Skip(blank);
    }
    match root(b) {
        None => Framed::Incomplete(0),
        Some(Ok((start, name))) => match message_len(b, start, name) {
            Some(n) => Framed::Message(n),
            None => Framed::Incomplete(0),
        },
        Some(Err(())) => {
            // One look at each `<`: a declaration, a message-type root, or one too close to
            // the end to tell.
            let next = b.iter().enumerate().skip(1).find_map(|(i, &c)| {
                let rest = b.get(i..).filter(|_| c == b'<')?;
                message::may_start(rest).then_some(i)
            });
            Framed::Skip(next.unwrap_or(b.len()))
        }
    }
}

/// Facts, software, exposure and event of one message.
fn report(side: Side, bytes: &[u8], out: &mut Out<'_>) {
    out.count("messages");
    let m = match parse(bytes) {
        Ok(m) => m,
        Err(e) => return out.anomaly(e.as_str()),
    };
    for (field, value) in &m.device {
        out.fact(side, field.fact, value.as_bytes());
    }
    let get = |k: &str| {
        m.device
            .iter()
            .find(|(f, _)| f.name == k)
            .map(|(_, v)| v.as_str())
    };
    if let Some(product) = get("model_id")
        .or_else(|| get("device_name"))
        .or_else(|| get("vendor_id"))
    {
        let version = get("sw_version");
        let raw = [get("manufacturer_name"), Some(product), version]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" ");
        out.software(
            side,
            product.as_bytes(),
            version.map(str::as_bytes),
            raw.as_bytes(),
        );
    }
    if !m.patient_fields.is_empty() {
        let mut fields = m.patient_fields.clone();
        if m.observations > 0 {
            fields.push("OBS.value".into());
        }
        out.exposure(
            ExposureKind::CleartextPhi,
            side,
            &m.message_type,
            fields,
            None,
        );
    }
    if out.events_enabled() {
        out.event(event(side, &m, bytes.len()));
    }
}

fn event(side: Side, m: &Message, bytes: usize) -> Map<String, Value> {
    let mut o = Map::new();
    o.insert("message_type".into(), text_value(m.message_type.as_bytes()));
    if let Some(v) = &m.version {
        o.insert("version".into(), text_value(v.as_bytes()));
    }
    o.insert("control_id_present".into(), m.control_id_present.into());
    if !m.device.is_empty() {
        let device = m
            .device
            .iter()
            .map(|(k, v)| (k.name.to_owned(), text_value(v.as_bytes())))
            .collect();
        o.insert("device".into(), Value::Object(device));
    }
    if !m.patient_fields.is_empty() {
        let names = m
            .patient_fields
            .iter()
            .map(|f| text_value(f.as_bytes()))
            .collect();
        o.insert("patient_fields_present".into(), Value::Array(names));
    }
    if m.observations > 0 {
        o.insert("observations".into(), m.observations.into());
    }
    if let Some(code) = &m.ack_code {
        o.insert("ack_code".into(), text_value(code.as_bytes()));
    }
    o.insert("bytes".into(), bytes.into());
    let direction = match side {
        Side::Client => "to_server",
        Side::Server => "to_client",
    };
    o.insert("direction".into(), direction.into());
    o
}
