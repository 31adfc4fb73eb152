//! DICOM upper layer over TCP (PS3.8 §9: PDUs and the association), DIMSE command sets
//! (PS3.7 §9–§10, Annex E) and the first bytes of data sets (PS3.5 §7, implicit and explicit
//! VR little endian and the encapsulated syntaxes; other transfer syntaxes are counted, not
//! decoded).
//!
//! The association is followed through an explicit transition table (`state.rs`); PDUs are
//! framed per side (`pdu.rs`, at most 1 MiB each, larger P-DATA-TF skipped); PDV fragments are
//! reassembled per presentation context into DIMSE messages (`assoc.rs`); command sets are
//! decoded (`dimse.rs`); of each data set only the first 64 KiB is read, and only up to the
//! end of group 0018 (`dataset.rs`). Patient attributes (group 0010) are reported by tag name
//! only: their values are never kept, not even in the event.
//!
//! # Facts
//!
//! Side = the side that said it.
//! - `dicom.calling_ae_title` (client): Calling-AE-title of the A-ASSOCIATE-RQ (PS3.8 §9.3.2).
//! - `dicom.called_ae_title` (server): Called-AE-title, the AE the client addressed.
//! - `dicom.implementation_class_uid` (each side): PS3.7 §D.3.3.2, from its RQ or AC.
//! - `dicom.implementation_version` (each side): Implementation Version Name; also a
//!   software record (`OFFIS_DCMTK_368` → product `OFFIS_DCMTK`, version `368`).
//! - `dicom.role` (each side): `scu` for the requestor, `scp` for the acceptor.
//! - `dicom.sop_class` (each side): the name (or UID) of each accepted abstract syntax.
//! - From C-STORE-RQ data sets, about the sender: `dicom.modality` (0008,0060),
//!   `dicom.manufacturer` (0008,0070), `dicom.institution_name` (0008,0080),
//!   `dicom.station_name` (0008,1010), `dicom.department_name` (0008,1040),
//!   `dicom.model_name` (0008,1090), `dicom.device_serial_number` (0018,1000),
//!   `dicom.software_versions` (0018,1020); with a software record (product = manufacturer
//!   and model, version = software versions). A C-STORE sent by an archive carries the
//!   equipment of the modality that made the image.
//!
//! # Exposures
//!
//! `CleartextPhi`, once per DIMSE message whose data set has a non-empty group-0010
//! attribute; side = sender, subject `"<SOP class> <service>"` (`CT Image Storage C-STORE`),
//! fields like `(0010,0010) PatientName`.
//!
//! # Event
//!
//! Object `dicom`, two kinds, told apart by `type`:
//! - `association` (once, on release, abort, reject, a protocol violation, a gap or the end
//!   of the flow): `protocol_version`, `calling_ae_title`, `called_ae_title`,
//!   `application_context`, `presentation_contexts` (`id`, `abstract_syntax`,
//!   `transfer_syntaxes` proposed, `result`, `transfer_syntax` accepted; at most 64, then
//!   `presentation_contexts_dropped`), `client` / `server` (`implementation_class_uid`,
//!   `implementation_version`, `max_pdu_length`), `result` (`accepted` / `rejected` /
//!   `unanswered`), `reject` (`result`, `source`, `reason`), `abort` (`side`, `source`,
//!   `reason`), `end` (`released` / `aborted` / `rejected` / `invalid` / `gap` /
//!   `flow_ended`), `messages`.
//! - `dimse` (one per message): `side`, `command` (`C-STORE-RQ`…), `presentation_context_id`,
//!   `message_id`, `message_id_being_responded_to`, `sop_class`, `status`, `status_class`,
//!   `data_set` (bool), `transfer_syntax`, `data_set_decoded`; for C-STORE-RQ `equipment`
//!   (the fact keys above without `dicom.`); `patient_attributes_present` (tag names).
//!
//! Names are PS3.6 registry names where `uids.rs` knows the UID, else the UID.

mod assoc;
mod dataset;
mod dimse;
mod pdu;
mod state;
#[cfg(test)]
mod tests;
mod uids;

use model::{ExposureKind, Side, Timestamp};
use serde_json::{Map, Value, json};
use wire::text::trim_ascii;

use crate::buffer::{Fed, MAX_MESSAGE, StreamBuf};
use crate::out::Out;
use crate::parser::{AppParser, FlowCtx, Probe, Transports, Verdict};

use assoc::{
    Association, Completed, ContextState, Negotiated, Outcome, Reassembly, equipment_software,
    split_version,
};
use pdu::{Associate, PduType, UserInfo};
use state::State;

/// Bytes per side followed: long associations (many C-STOREs) carry a new device's
/// equipment in every data set, and the association event comes at the end.
const DEPTH: u32 = 16 << 20;

/// Well-known DICOM ports (PS3.15 / IANA: 104 "dicom", 11112 "dicom" registered), used only
/// to break the tie on a bare A-ASSOCIATE-RJ seen first.
const PORTS: [u16; 2] = [104, 11112];

/// Per-flow state: each side's PDU buffer, and the association.
#[derive(Debug, Default)]
pub struct Dicom {
    bufs: [StreamBuf; 2],
    core: Core,
}

#[derive(Debug, Default)]
struct Core {
    state: State,
    assoc: Association,
    reassembly: [Reassembly; 2],
    /// The association event was emitted.
    reported: bool,
}

impl AppParser for Dicom {
    const NAME: &'static str = "dicom";
    const TRANSPORTS: Transports = Transports::Tcp;

    fn probe(first: &[u8], side: Side, ctx: &FlowCtx) -> Probe {
        let Some(&t) = first.first() else {
            return Probe::NeedMore;
        };
        let associate = match (PduType(t), side) {
            // PS3.8 §9.3.2 from the requestor, or §9.3.3/§9.3.4 from the acceptor when the
            // capture started after the request.
            (PduType::ASSOCIATE_RQ, Side::Client) | (PduType::ASSOCIATE_AC, Side::Server) => true,
            (PduType::ASSOCIATE_RJ, Side::Server) => false,
            _ => return Probe::No,
        };
        // Bytes 1..6: reserved 0, then the length. An association PDU is at most 1 MiB
        // here, so the length's top byte is 0; an RJ's length is exactly 4.
        let expected: &[u8] = if associate { &[0, 0] } else { &[0, 0, 0, 0, 4] };
        let n = first.len().saturating_sub(1).min(expected.len());
        if first.get(1..1 + n) != expected.get(..n) {
            return Probe::No;
        }
        if first.len() < 10 {
            return Probe::NeedMore;
        }
        let Some((_, len)) = pdu::header(first) else {
            return Probe::NeedMore;
        };
        if !associate {
            // PS3.8 §9.3.4: reserved, result 1–2, source 1–3, reason; ten bytes is thin
            // evidence, so the port breaks the tie.
            let ok = matches!(first.get(6..9), Some([0, 1 | 2, 1..=3]))
                && PORTS.iter().any(|&p| ctx.has_port(p));
            return if ok { Probe::Yes } else { Probe::No };
        }
        // PS3.8 §9.3.2: protocol-version 0x0001 at offset 6.
        let length_ok = (len as usize) >= pdu::ASSOCIATE_FIXED_LEN
            && (len as usize) + pdu::HEADER_LEN <= MAX_MESSAGE;
        if !length_ok || first.get(6..8) != Some(&[0x00, 0x01]) {
            return Probe::No;
        }
        // What else is already there must fit: AE titles are ISO 646 graphic characters
        // and spaces (PS3.5 §6.2 AE), and the first item is one the RQ/AC defines.
        let ae_ok = first
            .get(10..42)
            .unwrap_or_else(|| first.get(10..).unwrap_or_default())
            .iter()
            .all(|&b| (0x20..0x7f).contains(&b));
        let item_ok = first
            .get(74)
            .is_none_or(|b| matches!(b, 0x10 | 0x20 | 0x21 | 0x50));
        if ae_ok && item_ok {
            Probe::Yes
        } else {
            Probe::No
        }
    }

    fn new(_ctx: &FlowCtx) -> Self {
        Self::default()
    }

    fn feed(&mut self, side: Side, _ts: Timestamp, data: &[u8], out: &mut Out<'_>) -> Verdict {
        if matches!(self.core.state, State::Closed | State::Invalid) {
            return Verdict::Done;
        }
        let core = &mut self.core;
        let fed = self.bufs[side as usize].feed(data, MAX_MESSAGE, pdu::frame, |bytes| {
            core.pdu(side, bytes, out);
        });
        match fed {
            Fed::Ok => {}
            Fed::Invalid => {
                // Not a PDU header where one must be: framing is lost.
                out.anomaly("dicom_bad_pdu_header");
                self.core.state = State::Invalid;
            }
            Fed::Oversize => {
                // A P-DATA-TF over 1 MiB was skipped: its fragments are lost.
                out.anomaly("dicom_pdu_too_long");
                self.core.reassembly[side as usize].clear();
            }
        }
        self.core.verdict(out)
    }

    fn gap(&mut self, _side: Side, _len: u32, out: &mut Out<'_>) -> Verdict {
        // PDUs are length-framed with nothing to resynchronise on: give up.
        out.count("dicom_gap");
        self.core.report("gap", out);
        Verdict::Done
    }

    fn end(&mut self, out: &mut Out<'_>) {
        self.core.report("flow_ended", out);
    }
}

impl Core {
    /// Done once the association is over (or broken); otherwise follow it deep.
    fn verdict(&mut self, out: &mut Out<'_>) -> Verdict {
        let end = match (self.state, self.assoc.outcome) {
            (State::Invalid, _) => "invalid",
            (State::Closed, Some(Outcome::Released)) => "released",
            (State::Closed, Some(Outcome::Rejected(_))) => "rejected",
            (State::Closed, _) => "aborted",
            _ => return Verdict::Depth(DEPTH),
        };
        self.report(end, out);
        Verdict::Done
    }

    /// Emits the association event once, if anything was seen.
    fn report(&mut self, end: &str, out: &mut Out<'_>) {
        if self.reported || self.state == State::Idle {
            return;
        }
        self.reported = true;
        if out.events_enabled() {
            out.event(self.assoc.event(end));
        }
    }

    /// One whole PDU from `side`.
    fn pdu(&mut self, side: Side, bytes: &[u8], out: &mut Out<'_>) {
        let Some((t, _)) = pdu::header(bytes) else {
            return;
        };
        if matches!(self.state, State::Closed | State::Invalid) {
            return;
        }
        let body = bytes.get(pdu::HEADER_LEN..).unwrap_or_default();
        let next = state::next(self.state, t, side);
        if next == State::Invalid {
            out.anomaly("dicom_unexpected_pdu");
            self.state = State::Invalid;
            return;
        }
        out.count("pdus");
        let ok = match t {
            PduType::ASSOCIATE_RQ => {
                pdu::parse_associate(body, true).map(|a| self.request(&a, out))
            }
            PduType::ASSOCIATE_AC => {
                pdu::parse_associate(body, false).map(|a| self.accept(&a, out))
            }
            PduType::ASSOCIATE_RJ => pdu::parse_refusal(body).map(|r| {
                self.assoc.outcome = Some(Outcome::Rejected(r));
            }),
            PduType::P_DATA_TF => {
                self.p_data(side, body, out);
                Ok(())
            }
            PduType::RELEASE_RP => {
                self.assoc.outcome = Some(Outcome::Released);
                Ok(())
            }
            PduType::ABORT => pdu::parse_refusal(body).map(|r| {
                self.assoc.outcome = Some(Outcome::Aborted(side, r));
            }),
            _ => Ok(()),
        };
        match ok {
            Ok(()) => self.state = next,
            Err(reason) => {
                out.anomaly(reason);
                self.state = State::Invalid;
            }
        }
    }

    /// PS3.8 §9.3.2 A-ASSOCIATE-RQ from the client.
    fn request(&mut self, a: &Associate<'_>, out: &mut Out<'_>) {
        let n = self.assoc.request(a);
        if a.protocol_version & 0x0001 == 0 {
            out.anomaly("dicom_unsupported_protocol_version");
        }
        count_negotiated(n, out);
        out.fact(
            Side::Client,
            "dicom.calling_ae_title",
            trim_ascii(a.calling_ae),
        );
        out.fact(
            Side::Server,
            "dicom.called_ae_title",
            trim_ascii(a.called_ae),
        );
        implementation_facts(Side::Client, &a.user, out);
    }

    /// PS3.8 §9.3.3 A-ASSOCIATE-AC from the server.
    fn accept(&mut self, a: &Associate<'_>, out: &mut Out<'_>) {
        let picked_up = self.assoc.protocol_version.is_none();
        count_negotiated(self.assoc.accept(a), out);
        if picked_up {
            out.fact(
                Side::Client,
                "dicom.calling_ae_title",
                trim_ascii(a.calling_ae),
            );
            out.fact(
                Side::Server,
                "dicom.called_ae_title",
                trim_ascii(a.called_ae),
            );
        }
        implementation_facts(Side::Server, &a.user, out);
        out.fact_text(Side::Client, "dicom.role", "scu");
        out.fact_text(Side::Server, "dicom.role", "scp");
        for c in self.assoc.contexts.iter().filter(|c| c.accepted()) {
            if let Some(uid) = &c.abstract_syntax {
                let name = uids::name_or_uid(uid);
                out.fact_text(Side::Client, "dicom.sop_class", &name);
                out.fact_text(Side::Server, "dicom.sop_class", &name);
            }
        }
    }

    /// PS3.8 §9.3.5 P-DATA-TF: each PDV into the sender's reassembly.
    fn p_data(&mut self, side: Side, body: &[u8], out: &mut Out<'_>) {
        let assoc = &mut self.assoc;
        let reassembly = &mut self.reassembly[side as usize];
        for pdv in pdu::pdvs(body) {
            let pdv = match pdv {
                Ok(p) => p,
                Err(reason) => {
                    out.anomaly(reason);
                    break;
                }
            };
            let encoding = match assoc.table.get(pdv.context_id) {
                ContextState::Accepted(encoding) => encoding,
                _ => {
                    // PS3.8 §9.3.5.1: PDVs use an accepted presentation context.
                    out.anomaly("dicom_pdv_unknown_context");
                    None
                }
            };
            reassembly.pdv(&pdv, encoding, out, |m, out| message(assoc, side, m, out));
        }
    }
}

/// Counts what negotiation dropped, and AC contexts nobody proposed.
fn count_negotiated(n: Negotiated, out: &mut Out<'_>) {
    for _ in 0..n.contexts_dropped {
        out.count("dicom_presentation_contexts_dropped");
    }
    for _ in 0..n.transfer_syntaxes_dropped {
        out.count("dicom_transfer_syntaxes_dropped");
    }
    for _ in 0..n.unknown_contexts {
        out.anomaly("dicom_ac_unknown_context");
    }
}

/// Facts and software from a User Information item (PS3.7 §D.3.3.2).
fn implementation_facts(side: Side, user: &UserInfo<'_>, out: &mut Out<'_>) {
    if let Some(uid) = user.implementation_class_uid {
        out.fact(side, "dicom.implementation_class_uid", trim_ascii(uid));
    }
    if let Some(v) = user.implementation_version {
        let v = wire::text::trimmed_text(v);
        out.fact_text(side, "dicom.implementation_version", &v);
        let (product, version) = split_version(&v);
        out.software(
            side,
            product.as_bytes(),
            version.map(str::as_bytes),
            v.as_bytes(),
        );
    }
}

/// One complete DIMSE message from `side`: exposure, equipment facts, event.
fn message(assoc: &mut Association, side: Side, m: Completed, out: &mut Out<'_>) {
    assoc.messages = assoc.messages.saturating_add(1);
    out.count("messages");
    let cmd = &m.command;
    let context = assoc.context(m.context_id);
    let sop = cmd
        .sop_class_uid
        .as_deref()
        .or_else(|| context.and_then(|c| c.abstract_syntax.as_deref()))
        .map(uids::name_or_uid);
    let (name, service) = match dimse::command_name(cmd.field) {
        Some((n, s)) => (n.to_owned(), s),
        None => {
            out.anomaly("dicom_unknown_command");
            (format!("0x{:04X}", cmd.field), "DIMSE")
        }
    };
    if let Some(found) = &m.found {
        match found.stop {
            Some(dataset::Stop::Malformed) => out.anomaly("dicom_data_set_malformed"),
            Some(dataset::Stop::Truncated) => out.count("dicom_data_set_truncated"),
            Some(dataset::Stop::TooDeep) => out.count("dicom_data_set_too_deep"),
            Some(dataset::Stop::UndefinedLength) => out.count("dicom_data_set_undefined_length"),
            Some(dataset::Stop::End | dataset::Stop::PastEquipmentGroups) | None => {}
        }
        if !found.patient_elements.is_empty() {
            let fields = found
                .patient_elements
                .iter()
                .map(|&e| dataset::patient_attribute_name(e))
                .collect();
            let subject = format!(
                "{} {service}",
                sop.as_deref().unwrap_or("unknown SOP class")
            );
            out.exposure(ExposureKind::CleartextPhi, side, &subject, fields, None);
        }
        if cmd.field == dimse::C_STORE_RQ && found.decoded {
            for (key, value) in found.equipment.facts() {
                if let Some(v) = value {
                    out.fact_text(side, key, v);
                }
            }
            if let Some((product, version, raw)) = equipment_software(&found.equipment) {
                out.software(
                    side,
                    product.as_bytes(),
                    version.map(str::as_bytes),
                    raw.as_bytes(),
                );
            }
        }
    }
    if !out.events_enabled() {
        return;
    }
    let mut o = Map::new();
    o.insert("type".into(), json!("dimse"));
    o.insert("side".into(), json!(side.as_str()));
    o.insert("command".into(), json!(name));
    o.insert("presentation_context_id".into(), json!(m.context_id));
    if let Some(v) = cmd.message_id {
        o.insert("message_id".into(), json!(v));
    }
    if let Some(v) = cmd.responded_to {
        o.insert("message_id_being_responded_to".into(), json!(v));
    }
    if let Some(v) = &sop {
        o.insert("sop_class".into(), json!(v));
    }
    if let Some(v) = cmd.status {
        o.insert("status".into(), json!(v));
        o.insert("status_class".into(), json!(dimse::status_class(v)));
    }
    o.insert("data_set".into(), json!(cmd.has_data_set));
    if let Some(ts) = context
        .and_then(|c| c.transfer_syntax.as_deref())
        .filter(|_| cmd.has_data_set)
    {
        o.insert("transfer_syntax".into(), json!(uids::name_or_uid(ts)));
    }
    if let Some(found) = &m.found {
        o.insert("data_set_decoded".into(), json!(found.decoded));
        if cmd.field == dimse::C_STORE_RQ {
            o.insert("equipment".into(), found.equipment.json());
        }
        let names: Vec<Value> = found
            .patient_elements
            .iter()
            .map(|&e| Value::String(dataset::patient_attribute_name(e)))
            .collect();
        o.insert("patient_attributes_present".into(), Value::Array(names));
    }
    out.event(o);
}
