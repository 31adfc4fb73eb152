//! HL7 v2.x messages (HL7 v2.5.1 ch. 2: segments separated by CR, the field separator in
//! MSH-1 and the component, repetition, escape and subcomponent characters in MSH-2), over
//! MLLP (HL7 v2 Minimal Lower Layer Protocol, release 2: `0x0B` message `0x1C 0x0D`) or
//! unframed on the TCP stream.
//!
//! Recognised by content on any port: an MLLP start block followed by `MSH`, or a stream
//! that starts with an MSH header (`MSH|^~\&|`, or `MSH` + a field separator + four or five
//! distinct encoding characters + the separator). A looser header (fewer or repeated
//! encoding characters) is accepted only on HL7's port 2575. Either side may speak first (a
//! server speaks first only with an ACK, framed the same way).
//!
//! Sessions are long-lived and carry many messages: the parser asks for 16 MiB per side and
//! reads every message; after a gap it resynchronises on the next start block (or, unframed,
//! the next `MSH` segment). One message is parsed up to 1 MiB; larger ones are skipped and
//! counted (`hl7_message_oversize`).
//!
//! What is kept: the MSH identity fields, the MSA acknowledgment code, device identifiers
//! (OBX-18, PRT-10, PRT-16), segment names, and the *names* of non-empty patient fields
//! (`PID-5`). Never a value from PID, PV1, NK1, OBX-5, NTE or any other patient segment;
//! MSH-10 (message control id) only as present or not.
//!
//! # Facts
//! Taken only from a well-formed MSH (MSH-9 a message code, MSH-12 a version): a malformed
//! one (`hl7_malformed_msh`) may hold anything, so none of its fields is kept.
//! - `hl7.sending_application`: MSH-3 (HD), about the sender — its main identity evidence
//!   (an interface engine, a monitor gateway, a lab system).
//! - `hl7.sending_facility`: MSH-4 (HD), about the sender.
//! - `hl7.receiving_application`: MSH-5 (HD), about the receiver (the other side).
//! - `hl7.receiving_facility`: MSH-6 (HD, first repetition), about the receiver.
//! - `hl7.version`: MSH-12.1 version id (`2.5.1`), about the sender.
//! - `hl7.message_type`: MSH-9 message code and trigger event (`ORU^R01`), about the sender.
//! - `hl7.equipment_id`: OBX-18 equipment instance identifier or PRT-10 participation
//!   device (EI), about the sender (the device that produced the observation).
//! - `hl7.udi`: PRT-16 UDI device identifier (v2.8.2+), about the sender.
//!
//! # Exposures
//! `CleartextPhi`, side = the sender, subject = the message type (`ORU^R01`), fields = the
//! names of the non-empty patient fields (`PID-3`, `PID-5`, `OBX-5`), once per message that
//! carries any (PID, PD1, PV1, PV2, NK1, MRG, AL1, IAM, DG1, PR1, GT1, IN1–IN3, QPD, NTE, and
//! OBX with a non-empty OBX-5).
//!
//! # Event
//! Object `hl7`, one per message:
//! - `message_type`: MSH-9.1 message code (`ORU`); `trigger_event`: MSH-9.2 (`R01`);
//!   `message_structure`: MSH-9.3 (`ORU_R01`); `version`: MSH-12.1.
//! - `sending_application`, `sending_facility`, `receiving_application`,
//!   `receiving_facility`: MSH-3 to MSH-6.
//! - `ack_code`: MSA-1 (`AA`, `AE`, `AR`, `CA`, `CE`, `CR`), in acknowledgments.
//! - `control_id_present`: MSH-10 is non-empty (never its value).
//! - `segments`: segment IDs in order (at most 64); `segment_count`: all segments.
//! - `patient_fields_present`: names of non-empty patient fields (at most 64).
//! - `equipment_ids`, `udis`: the device identifiers above, when present.
//! - `mllp`: the message was MLLP-framed; `bytes`: its length without framing.
//! - `direction`: `to_server` or `to_client`.
//!
//! Keys with no value are left out.
//!
//! # Anomalies and counters
//! Anomalies: `hl7_missing_msh`, `hl7_malformed_msh`, `hl7_bad_segment_id`,
//! `hl7_unknown_ack_code`, `hl7_missing_end_block`, `hl7_start_block_in_data`,
//! `hl7_data_outside_message`, `hl7_truncated_message`. Counters: `messages`,
//! `hl7_control_id_present`, `hl7_message_oversize`, `hl7_lf_segment_terminator`,
//! `hl7_segment_names_dropped`, `hl7_patient_fields_dropped`, `hl7_device_ids_dropped`,
//! `hl7_fields_over_limit`.

mod message;
mod mllp;
#[cfg(test)]
mod tests;

use model::{ExposureKind, Side, Timestamp};
use serde_json::{Map, Value};

use crate::buffer::{Fed, MAX_MESSAGE, StreamBuf};
use crate::out::{Out, text_value};
use crate::parser::{AppParser, FlowCtx, Probe, Transports, Verdict};

use message::{Message, Shape};
use mllp::{END_BLOCK, Frame, START_BLOCK};

/// Bytes per side delivered to the parser: MLLP sessions are long-lived.
const DEPTH: u32 = 16 << 20;

/// HL7's registered port (IANA "hl7", 2575): a tie-breaker for loose unframed headers only.
const HL7_PORT: u16 = 2575;

/// One side's reading state.
#[derive(Debug, Default)]
struct SideState {
    buf: StreamBuf,
    /// Where the framer stopped scanning the message at the front of `buf`.
    resume: usize,
    /// The bytes held in `buf` start an unframed message (ended by the stream's end).
    pending_unframed: bool,
    /// Bytes are being dropped after a gap or an oversized message: junk is expected.
    resyncing: bool,
}

/// Per-flow state: one reader per side (client, server).
#[derive(Debug, Default)]
pub struct Hl7 {
    sides: [SideState; 2],
}

impl AppParser for Hl7 {
    const NAME: &'static str = "hl7";
    const TRANSPORTS: Transports = Transports::Tcp;

    fn probe(first: &[u8], _side: Side, ctx: &FlowCtx) -> Probe {
        match first.split_first() {
            None => Probe::NeedMore,
            // MLLP r2 §2: <SB> then the message, whose first segment is MSH.
            Some((&START_BLOCK, rest)) => {
                let n = rest.len().min(3);
                if rest.get(..n) != b"MSH".get(..n) {
                    Probe::No
                } else if n < 3 {
                    Probe::NeedMore
                } else {
                    Probe::Yes
                }
            }
            // Unframed: the stream starts with an MSH segment (ch. 2.15.9.1–2).
            Some(_) => match message::header_shape(first) {
                Shape::Prefix => Probe::NeedMore,
                Shape::Standard => Probe::Yes,
                Shape::Loose if ctx.has_port(HL7_PORT) => Probe::Yes,
                Shape::Loose | Shape::No => Probe::No,
            },
        }
    }

    fn new(_ctx: &FlowCtx) -> Self {
        Self::default()
    }

    fn feed(&mut self, side: Side, _ts: Timestamp, data: &[u8], out: &mut Out<'_>) -> Verdict {
        self.deliver(side, data, out);
        Verdict::Depth(DEPTH)
    }

    fn gap(&mut self, side: Side, _len: u32, _out: &mut Out<'_>) -> Verdict {
        // The message in progress is lost; the next start block (or MSH) resynchronises.
        let st = &mut self.sides[side as usize];
        st.buf.clear();
        st.resume = 0;
        st.pending_unframed = false;
        st.resyncing = true;
        Verdict::Depth(DEPTH)
    }

    fn end(&mut self, out: &mut Out<'_>) {
        for side in [Side::Client, Side::Server] {
            let st = &self.sides[side as usize];
            if st.buf.is_empty() {
                continue;
            }
            if st.pending_unframed {
                // An unframed message ends with the stream: close it with an end block,
                // which the framer reads as the end of an unframed message.
                self.deliver(side, &[END_BLOCK], out);
            }
            if !self.sides[side as usize].buf.is_empty() {
                out.anomaly("hl7_truncated_message");
            }
        }
    }
}

impl Hl7 {
    /// Frames `data` into messages and reports each.
    fn deliver(&mut self, side: Side, data: &[u8], out: &mut Out<'_>) {
        let SideState {
            buf,
            resume,
            pending_unframed,
            resyncing,
        } = &mut self.sides[side as usize];
        // Junk while resynchronising is expected; junk once in step is an anomaly. Both
        // closures see the flag, which a message clears.
        let resync = std::cell::Cell::new(*resyncing);
        let mut junk = false;
        let fed = buf.feed(
            data,
            MAX_MESSAGE,
            |b| {
                let f = mllp::frame(b, resume);
                match f {
                    Frame::Junk(_) => junk |= !resync.get(),
                    Frame::Incomplete => *pending_unframed = b.first() != Some(&START_BLOCK),
                    Frame::Block(_) | Frame::Unterminated(_) | Frame::Unframed(_) => {
                        *pending_unframed = false;
                    }
                    Frame::Blank(_) => {}
                }
                f.into()
            },
            |m| {
                resync.set(false);
                report(side, m, out);
            },
        );
        *resyncing = resync.get();
        if junk {
            out.anomaly("hl7_data_outside_message");
        }
        match fed {
            Fed::Ok => {}
            Fed::Oversize => {
                // CONVENTIONS §6: one message is parsed up to 1 MiB; the rest of it is
                // dropped as junk up to the next start block.
                out.count("hl7_message_oversize");
                *resume = 0;
                *pending_unframed = false;
                *resyncing = true;
            }
            Fed::Invalid => {
                *resume = 0;
                *pending_unframed = false;
            }
        }
    }
}

/// Reports one framed message: facts, exposure, counters and the event.
fn report(side: Side, framed: &[u8], out: &mut Out<'_>) {
    if framed.len() > MAX_MESSAGE {
        // A whole oversized message in one delivery is not held, so the buffer's limit
        // does not see it: the same limit applies (CONVENTIONS §6).
        out.count("hl7_message_oversize");
        return;
    }
    out.count("messages");
    let (payload, terminated) = mllp::payload(framed);
    if !terminated {
        out.anomaly("hl7_missing_end_block");
    }
    // MLLP r2 §2: the data must not contain the start block character.
    if payload.contains(&START_BLOCK) {
        out.anomaly("hl7_start_block_in_data");
    }
    let m = message::parse(payload);
    counters(&m, out);
    if let Some(h) = &m.header {
        out.fact(side, "hl7.sending_application", h.sending_application);
        out.fact(side, "hl7.sending_facility", h.sending_facility);
        out.fact(
            side.other(),
            "hl7.receiving_application",
            h.receiving_application,
        );
        out.fact(side.other(), "hl7.receiving_facility", h.receiving_facility);
        out.fact(side, "hl7.version", h.version);
        if let Some(t) = h.message_type() {
            out.fact_text(side, "hl7.message_type", &t);
        }
        if h.control_id_present {
            out.count("hl7_control_id_present");
        }
    }
    for id in &m.equipment {
        out.fact(side, "hl7.equipment_id", id);
    }
    for id in &m.udi {
        out.fact(side, "hl7.udi", id);
    }
    let message_type = m.header.as_ref().and_then(|h| h.message_type());
    if m.patient_data {
        let fields = m.patient_fields.iter().map(|f| f.name()).collect();
        let subject = message_type.as_deref().unwrap_or("unknown");
        out.exposure(ExposureKind::CleartextPhi, side, subject, fields, None);
    }
    if out.events_enabled() {
        let body = event(
            side,
            &m,
            payload.len(),
            framed.first() == Some(&START_BLOCK),
        );
        out.event(body);
    }
}

/// Anomalies and limit counters of one parsed message.
fn counters(m: &Message<'_>, out: &mut Out<'_>) {
    if m.bad_header {
        out.anomaly("hl7_malformed_msh");
    } else if m.header.is_none() {
        out.anomaly("hl7_missing_msh");
    }
    if m.bad_segments > 0 {
        out.anomaly("hl7_bad_segment_id");
    }
    if m.bad_ack_code {
        out.anomaly("hl7_unknown_ack_code");
    }
    if m.lf_terminators {
        // ch. 2.5.4: segments end with CR; LF is read leniently.
        out.count("hl7_lf_segment_terminator");
    }
    if m.segment_count > m.segments.len() + m.bad_segments {
        out.count("hl7_segment_names_dropped");
    }
    if m.patient_fields_dropped > 0 {
        out.count("hl7_patient_fields_dropped");
    }
    if m.devices_dropped > 0 {
        out.count("hl7_device_ids_dropped");
    }
    if m.fields_over_limit > 0 {
        out.count("hl7_fields_over_limit");
    }
}

/// The `hl7` event object of one message (see the module doc).
fn event(side: Side, m: &Message<'_>, bytes: usize, mllp: bool) -> Map<String, Value> {
    let mut o = Map::new();
    let direction = match side {
        Side::Client => "to_server",
        Side::Server => "to_client",
    };
    o.insert("direction".into(), direction.into());
    let mut put = |key: &str, v: &[u8]| {
        if !v.is_empty() {
            o.insert(key.into(), text_value(v));
        }
    };
    if let Some(h) = &m.header {
        put("message_type", h.message_code);
        put("trigger_event", h.trigger_event);
        put("message_structure", h.message_structure);
        put("version", h.version);
        put("sending_application", h.sending_application);
        put("sending_facility", h.sending_facility);
        put("receiving_application", h.receiving_application);
        put("receiving_facility", h.receiving_facility);
    }
    if let Some(code) = m.ack_code {
        put("ack_code", code);
    }
    if let Some(h) = &m.header {
        o.insert("control_id_present".into(), h.control_id_present.into());
    }
    let list = |items: &[&[u8]]| Value::Array(items.iter().map(|i| text_value(i)).collect());
    if !m.equipment.is_empty() {
        o.insert("equipment_ids".into(), list(&m.equipment));
    }
    if !m.udi.is_empty() {
        o.insert("udis".into(), list(&m.udi));
    }
    let segments = m.segments.iter().map(|s| text_value(s)).collect();
    o.insert("segments".into(), Value::Array(segments));
    o.insert("segment_count".into(), m.segment_count.into());
    let fields = m
        .patient_fields
        .iter()
        .map(|f| Value::String(f.name()))
        .collect();
    o.insert("patient_fields_present".into(), Value::Array(fields));
    o.insert("mllp".into(), mllp.into());
    o.insert("bytes".into(), bytes.into());
    o
}
