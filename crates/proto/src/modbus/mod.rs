//! Modbus/TCP (Modbus Messaging on TCP/IP Implementation Guide V1.0b; Modbus Application
//! Protocol Specification V1.1b3). Each ADU is an MBAP header and a PDU; clients send
//! requests, servers (PLCs, gateways, building and medical-gas controllers) answer. The
//! server names itself in a Read Device Identification response (function 43 / MEI type 14,
//! §6.21); everything else is counted and reported as events.
//!
//! # Facts
//!
//! All about the server, from Read Device Identification objects (§6.21):
//! - `modbus.vendor_name`: object 0x00 VendorName.
//! - `modbus.product_code`: object 0x01 ProductCode.
//! - `modbus.revision`: object 0x02 MajorMinorRevision.
//! - `modbus.product_name`: object 0x04 ProductName.
//! - `modbus.model_name`: object 0x05 ModelName.
//!
//! Software (server, once per flow at its end): product = VendorName and ProductName (or
//! ProductCode when no name was sent), version = MajorMinorRevision.
//!
//! # Event
//!
//! Object `modbus`, one per ADU, with Suricata EVE's names: `{"request": {...}}` for what the
//! client sent, `{"response": {...}}` for the server, each holding `transaction_id`,
//! `protocol_id`, `unit_id`, `function_raw`, `function_code` (sawp-modbus names:
//! `RdHoldRegs`, `WrSingleReg`, `MEI`, `Unknown`...), `write` (true for functions 5, 6, 15,
//! 16, 22, 23), and when present `exception: {raw, code}`, `mei: {raw, code}` (for a
//! Read Device Identification response also `read_device_id_code`, `conformity_level`,
//! `more_follows`) and
//! `device_identification: {vendor_name, product_code, revision, product_name, model_name}`.
//!
//! Counters: `messages`, `writes` (write requests), `exceptions` (exception responses),
//! `modbus_objects_dropped`, and the anomalies: `modbus_invalid_mbap` (the parser stops),
//! `modbus_invalid_function`, `modbus_adu_truncated`, `modbus_device_id_truncated`,
//! `modbus_not_device_id`.

mod adu;
#[cfg(test)]
mod tests;

use model::{Side, Timestamp};
use serde_json::{Map, Value};

use crate::buffer::{Fed, StreamBuf};
use crate::out::{Out, text_value};
use crate::parser::{AppParser, FlowCtx, Probe, Transports, Verdict};

use adu::{Check, EXCEPTION_BIT, FC_MEI, MEI_READ_DEVICE_ID, object};

/// PDUs read per flow (both sides) before the parser is done.
const MAX_PDUS: u32 = 256;

/// The IANA port of Modbus/TCP (Implementation Guide §4.1.2).
const MODBUS_PORT: u16 = 502;

/// A kept identification string: at most the wire-text limit.
const MAX_KEPT: usize = wire::text::MAX_TEXT_LEN;

/// Per-flow state: one buffer per side and what the server said about itself.
#[derive(Debug, Default)]
pub struct Modbus {
    bufs: [StreamBuf; 2],
    state: State,
}

#[derive(Debug, Default)]
struct State {
    pdus: u32,
    vendor: Option<Vec<u8>>,
    product_code: Option<Vec<u8>>,
    revision: Option<Vec<u8>>,
    product_name: Option<Vec<u8>>,
    software_done: bool,
}

/// What the probe makes of one frame at the front of some bytes.
enum ProbeFrame {
    No,
    NeedMore,
    Whole(usize),
}

/// `any_function`: on the Modbus port a well-formed MBAP header is enough, whatever the
/// function code (a scanner walking the codes, 0 and 128+ included, is Modbus traffic worth
/// seeing; the parser counts `modbus_invalid_function`).
fn probe_frame(b: &[u8], side: Side, any_function: bool) -> ProbeFrame {
    match adu::check(b) {
        Check::Bad => ProbeFrame::No,
        Check::Prefix => ProbeFrame::NeedMore,
        Check::Frame(n) => {
            // Application Protocol §5 / §7: requests carry 1..=127, responses that or an
            // exception (code | 0x80).
            let valid = match side {
                Side::Client => adu::valid_request_function,
                Side::Server => adu::valid_response_function,
            };
            match b.get(7) {
                None => ProbeFrame::NeedMore,
                Some(&fc) if !any_function && !valid(fc) => ProbeFrame::No,
                Some(_) if b.len() < n => ProbeFrame::NeedMore,
                Some(_) => ProbeFrame::Whole(n),
            }
        }
    }
}

impl AppParser for Modbus {
    const NAME: &'static str = "modbus";
    const TRANSPORTS: Transports = Transports::Tcp;

    fn probe(first: &[u8], side: Side, ctx: &FlowCtx) -> Probe {
        // An MBAP header is weak evidence: seven bytes where only the Protocol Identifier
        // (0) and the Length bound mean anything, and binary protocols often start with
        // zeros. So one whole, consistent frame is enough only on the Modbus port (502);
        // elsewhere the next frame must follow it and be consistent too.
        let on_port = ctx.server_port == MODBUS_PORT;
        let n = match probe_frame(first, side, on_port) {
            ProbeFrame::No => return Probe::No,
            ProbeFrame::NeedMore => return Probe::NeedMore,
            ProbeFrame::Whole(n) => n,
        };
        if on_port {
            return Probe::Yes;
        }
        match first.get(n..).unwrap_or_default() {
            [] => Probe::NeedMore,
            next => match probe_frame(next, side, false) {
                ProbeFrame::No => Probe::No,
                ProbeFrame::NeedMore => Probe::NeedMore,
                ProbeFrame::Whole(_) => Probe::Yes,
            },
        }
    }

    fn new(_ctx: &FlowCtx) -> Self {
        Self::default()
    }

    fn feed(&mut self, side: Side, _ts: Timestamp, data: &[u8], out: &mut Out<'_>) -> Verdict {
        let Self { bufs, state } = self;
        let fed = bufs[side as usize].feed(data, adu::MAX_ADU, adu::frame, |m| {
            state.adu(side, m, out);
        });
        if fed != Fed::Ok {
            // Implementation Guide §3.1.3: Protocol Identifier not 0 or a Length out of
            // 2..=254. Frames cannot be found again after that.
            out.anomaly("modbus_invalid_mbap");
            return Verdict::Done;
        }
        if state.pdus >= MAX_PDUS {
            Verdict::Done
        } else {
            Verdict::Continue
        }
    }

    fn gap(&mut self, _side: Side, _len: u32, _out: &mut Out<'_>) -> Verdict {
        // ADU boundaries cannot be found again in a binary stream.
        Verdict::Done
    }

    fn end(&mut self, out: &mut Out<'_>) {
        self.state.software(out);
    }
}

/// Keeps at most [`MAX_KEPT`] bytes of an identification object (none when empty).
fn keep(v: &[u8]) -> Option<Vec<u8>> {
    let v = v.get(..MAX_KEPT).unwrap_or(v);
    (!v.is_empty()).then(|| v.to_vec())
}

impl State {
    fn adu(&mut self, side: Side, m: &[u8], out: &mut Out<'_>) {
        if self.pdus >= MAX_PDUS {
            return;
        }
        self.pdus += 1;
        out.count("messages");
        let a = match adu::parse(m) {
            Ok(a) => a,
            Err(reason) => {
                out.anomaly(reason);
                return;
            }
        };
        let fc = a.function;
        let valid = match side {
            Side::Client => adu::valid_request_function(fc),
            Side::Server => adu::valid_response_function(fc),
        };
        if !valid {
            // Application Protocol §5: function code 0, or an exception code in a request.
            out.anomaly("modbus_invalid_function");
        }
        let exception = side == Side::Server && fc & EXCEPTION_BIT != 0;
        let write = side == Side::Client && adu::is_write(fc);
        if write {
            out.count("writes");
        }
        if exception {
            out.count("exceptions");
        }
        let mei = (fc == FC_MEI).then(|| a.data.first().copied()).flatten();
        let mut ident = Map::new();
        let mut header = None;
        if side == Side::Server && mei == Some(MEI_READ_DEVICE_ID) {
            match adu::parse_device_id(a.data) {
                Ok(d) => {
                    header = Some((d.read_code, d.conformity, d.more_follows));
                    for _ in 0..d.dropped {
                        out.count("modbus_objects_dropped");
                    }
                    for (id, value) in d.objects {
                        self.object(id, value, out, &mut ident);
                    }
                }
                Err(reason) => out.anomaly(reason),
            }
        }
        if !out.events_enabled() {
            return;
        }
        let mut o = Map::new();
        o.insert("transaction_id".into(), a.mbap.transaction_id.into());
        o.insert("protocol_id".into(), a.mbap.protocol_id.into());
        o.insert("unit_id".into(), a.mbap.unit_id.into());
        o.insert("function_raw".into(), fc.into());
        o.insert("function_code".into(), adu::function_name(fc).into());
        o.insert("write".into(), adu::is_write(fc & !EXCEPTION_BIT).into());
        if exception {
            let code = a.data.first().copied().unwrap_or(0);
            let mut x = Map::new();
            x.insert("raw".into(), code.into());
            x.insert("code".into(), adu::exception_name(code).into());
            o.insert("exception".into(), Value::Object(x));
        } else if let Some(t) = mei {
            let mut x = Map::new();
            x.insert("raw".into(), t.into());
            let code = match t {
                0x0d => "CANOpenGenRefReqResp",
                MEI_READ_DEVICE_ID => "RdDevId",
                _ => "Unknown",
            };
            x.insert("code".into(), code.into());
            if let Some((read_code, conformity, more_follows)) = header {
                // §6.21 response header: Read Device ID code, Conformity level, More Follows.
                x.insert("read_device_id_code".into(), read_code.into());
                x.insert("conformity_level".into(), conformity.into());
                x.insert("more_follows".into(), (more_follows == 0xff).into());
            }
            o.insert("mei".into(), Value::Object(x));
        }
        if !ident.is_empty() {
            o.insert("device_identification".into(), Value::Object(ident));
        }
        let mut e = Map::new();
        let key = match side {
            Side::Client => "request",
            Side::Server => "response",
        };
        e.insert(key.into(), Value::Object(o));
        out.event(e);
    }

    /// One Read Device Identification object (§6.21): a fact for the identifying ones.
    fn object(&mut self, id: u8, value: &[u8], out: &mut Out<'_>, ident: &mut Map<String, Value>) {
        let (key, fact_key, slot) = match id {
            object::VENDOR_NAME => ("vendor_name", "modbus.vendor_name", Some(&mut self.vendor)),
            object::PRODUCT_CODE => (
                "product_code",
                "modbus.product_code",
                Some(&mut self.product_code),
            ),
            object::MAJOR_MINOR_REVISION => {
                ("revision", "modbus.revision", Some(&mut self.revision))
            }
            object::PRODUCT_NAME => (
                "product_name",
                "modbus.product_name",
                Some(&mut self.product_name),
            ),
            object::MODEL_NAME => ("model_name", "modbus.model_name", None),
            // VendorUrl and UserApplicationName (free text): not identity.
            object::VENDOR_URL | object::USER_APPLICATION_NAME => return,
            // Reserved (0x07..=0x7f) and extended, private objects (0x80..=0xff).
            _ => return,
        };
        if let (Some(slot), Some(v)) = (slot, keep(value)) {
            *slot = Some(v);
        }
        out.fact(Side::Server, fact_key, value);
        if out.events_enabled() {
            ident.insert(key.into(), text_value(value));
        }
    }

    /// The server's software, from what Read Device Identification said (once).
    fn software(&mut self, out: &mut Out<'_>) {
        if self.software_done {
            return;
        }
        let name = self.product_name.as_ref().or(self.product_code.as_ref());
        let product: Vec<u8> = match (&self.vendor, name) {
            (Some(v), Some(n)) => [v.as_slice(), b" ", n.as_slice()].concat(),
            (Some(v), None) => v.clone(),
            (None, Some(n)) => n.clone(),
            (None, None) => return,
        };
        self.software_done = true;
        let version = self.revision.as_deref();
        let raw = match version {
            Some(v) => [product.as_slice(), b" ", v].concat(),
            None => product.clone(),
        };
        out.software(Side::Server, &product, version, &raw);
    }
}
