//! What one association keeps between PDUs: the negotiated parameters (owned, bounded, for
//! the association event and for decoding data sets) and the per-side reassembly of PDV
//! fragments into DIMSE messages (PS3.8 §9.3.5, Annex E; PS3.7 §6.3.1).
//!
//! Patient data: a data set's bytes are held only until the message's data set is walked
//! (at most [`DATASET_PREFIX`] bytes); what is kept afterwards is equipment values and the
//! tags of patient attributes, never a patient value.

use model::Side;
use serde_json::{Map, Value, json};
use wire::text::trimmed_text;

use super::dataset::{self, DATASET_PREFIX, Stop};
use super::dimse::{self, CommandSet};
use super::pdu::{Associate, Pdv, PresentationContext, Refusal, UserInfo};
use super::uids::{self, Encoding};
use crate::out::Out;

/// Largest command set reassembled: real command sets are under 300 bytes; anything bigger
/// than this is hostile (the 1 MiB message limit would also hold, this is tighter).
const MAX_COMMAND: usize = 64 * 1024;

/// Messages reassembled at once per side (one per presentation context in flight): the
/// upper layer lets PDVs of several contexts interleave (PS3.8 §9.3.5), real peers rarely
/// have more than one or two in flight.
const MAX_OPEN_MESSAGES: usize = 4;

/// One side's implementation, from its User Information item.
#[derive(Debug, Default, Clone)]
pub(crate) struct Implementation {
    /// PS3.7 §D.3.3.2 Implementation Class UID.
    pub class_uid: Option<String>,
    /// PS3.7 §D.3.3.2 Implementation Version Name.
    pub version: Option<String>,
    /// PS3.8 §D.1 maximum length received.
    pub max_pdu_length: Option<u32>,
}

impl Implementation {
    fn from_user(u: &UserInfo<'_>) -> Self {
        Self {
            class_uid: u.implementation_class_uid.map(trimmed_text),
            version: u.implementation_version.map(trimmed_text),
            max_pdu_length: u.max_pdu_length,
        }
    }

    fn json(&self) -> Value {
        let mut o = Map::new();
        if let Some(v) = &self.class_uid {
            o.insert("implementation_class_uid".into(), json!(v));
        }
        if let Some(v) = &self.version {
            o.insert("implementation_version".into(), json!(v));
        }
        if let Some(v) = self.max_pdu_length {
            o.insert("max_pdu_length".into(), json!(v));
        }
        Value::Object(o)
    }
}

/// One presentation context: proposed in the RQ, answered in the AC.
#[derive(Debug, Clone)]
pub(crate) struct Context {
    /// Presentation-context-ID.
    pub id: u8,
    /// Abstract syntax UID (unknown when only the AC was seen).
    pub abstract_syntax: Option<String>,
    /// Proposed transfer syntax UIDs.
    pub proposed: Vec<String>,
    /// PS3.8 §9.3.3.2 Result/Reason from the AC.
    pub result: Option<u8>,
    /// The transfer syntax UID the acceptor chose.
    pub transfer_syntax: Option<String>,
}

impl Context {
    fn from_rq(pc: &PresentationContext<'_>) -> Self {
        Self {
            id: pc.id,
            abstract_syntax: pc.abstract_syntax.map(trimmed_text),
            proposed: pc
                .transfer_syntaxes
                .iter()
                .map(|t| trimmed_text(t))
                .collect(),
            result: None,
            transfer_syntax: None,
        }
    }

    /// True when the acceptor accepted it (PS3.8 §9.3.3.2: result 0).
    pub(crate) fn accepted(&self) -> bool {
        self.result == Some(0)
    }
}

/// How the association ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// A-ASSOCIATE-RJ.
    Rejected(Refusal),
    /// A-RELEASE-RP.
    Released,
    /// A-ABORT from this side.
    Aborted(Side, Refusal),
}

/// Presentation contexts kept per association for the event (CONVENTIONS §6 list limit);
/// the rest are counted (their accept state is still kept, in [`ContextTable`]).
pub(crate) const MAX_CONTEXTS: usize = 64;

/// What is known of one presentation context ID, for every ID (an association may
/// negotiate up to 128, PS3.8 §9.3.2.2: odd IDs 1–255), one byte each.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) enum ContextState {
    /// Never mentioned.
    #[default]
    Unknown,
    /// Proposed in the RQ, not (yet) answered.
    Proposed,
    /// Answered with a non-zero result.
    Rejected,
    /// Accepted; data sets decode with this encoding (`None`: not decoded here).
    Accepted(Option<Encoding>),
}

/// [`ContextState`] by presentation-context-ID.
#[derive(Debug, Clone)]
pub(crate) struct ContextTable([ContextState; 256]);

impl Default for ContextTable {
    fn default() -> Self {
        Self([ContextState::Unknown; 256])
    }
}

impl ContextTable {
    /// The state of `id`.
    pub(crate) fn get(&self, id: u8) -> ContextState {
        self.0.get(usize::from(id)).copied().unwrap_or_default()
    }

    fn set(&mut self, id: u8, state: ContextState) {
        if let Some(s) = self.0.get_mut(usize::from(id)) {
            *s = state;
        }
    }
}

/// What recording an RQ or AC dropped or found odd, for the caller to count.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Negotiated {
    /// Presentation contexts past [`MAX_CONTEXTS`] (not in the event).
    pub contexts_dropped: usize,
    /// Proposed transfer syntaxes past the per-context limit.
    pub transfer_syntaxes_dropped: usize,
    /// AC contexts whose ID the RQ did not propose.
    pub unknown_contexts: usize,
}

/// The negotiated association, owned and bounded.
#[derive(Debug, Default)]
pub(crate) struct Association {
    /// PS3.8 §9.3.2 protocol-version.
    pub protocol_version: Option<u16>,
    /// Calling-AE-title (the requestor's, the client).
    pub calling_ae: Option<String>,
    /// Called-AE-title (the acceptor's, the server).
    pub called_ae: Option<String>,
    /// Application context name UID.
    pub application_context: Option<String>,
    /// Presentation contexts, at most [`MAX_CONTEXTS`], for the event.
    pub contexts: Vec<Context>,
    /// Presentation contexts past the limit.
    pub contexts_dropped: usize,
    /// Every context ID's state (for decoding PDVs on any of them).
    pub table: ContextTable,
    /// Implementation of each side (client, server).
    pub implementation: [Implementation; 2],
    /// A-ASSOCIATE-AC seen.
    pub accepted: bool,
    /// How it ended.
    pub outcome: Option<Outcome>,
    /// DIMSE messages completed.
    pub messages: u32,
}

impl Association {
    /// Records an A-ASSOCIATE-RQ (from the client).
    pub(crate) fn request(&mut self, a: &Associate<'_>) -> Negotiated {
        self.header(a);
        let mut n = Negotiated::default();
        for pc in a.contexts() {
            n.transfer_syntaxes_dropped += pc.transfer_syntaxes_dropped;
            self.table.set(pc.id, ContextState::Proposed);
            if self.contexts.len() < MAX_CONTEXTS {
                self.contexts.push(Context::from_rq(&pc));
            } else {
                n.contexts_dropped += 1;
            }
        }
        self.contexts_dropped += n.contexts_dropped;
        self.implementation[Side::Client as usize] = Implementation::from_user(&a.user);
        n
    }

    /// Records an A-ASSOCIATE-AC (from the server).
    pub(crate) fn accept(&mut self, a: &Associate<'_>) -> Negotiated {
        let picked_up = self.protocol_version.is_none();
        if picked_up {
            // PS3.8 §9.3.3: the AC returns the RQ's AE titles (not tested, but real peers do).
            self.header(a);
        }
        self.accepted = true;
        let mut n = Negotiated::default();
        for pc in a.contexts() {
            let ts = pc.transfer_syntaxes.first().map(|t| trimmed_text(t));
            if !picked_up && self.table.get(pc.id) != ContextState::Proposed {
                n.unknown_contexts += 1;
            }
            let state = match pc.result {
                Some(0) => ContextState::Accepted(ts.as_deref().and_then(uids::encoding)),
                _ => ContextState::Rejected,
            };
            self.table.set(pc.id, state);
            if let Some(c) = self.contexts.iter_mut().find(|c| c.id == pc.id) {
                c.result = pc.result;
                c.transfer_syntax = ts;
            } else if self.contexts.len() < MAX_CONTEXTS {
                self.contexts.push(Context {
                    id: pc.id,
                    abstract_syntax: None,
                    proposed: Vec::new(),
                    result: pc.result,
                    transfer_syntax: ts,
                });
            } else if picked_up {
                // Otherwise the RQ already counted it.
                n.contexts_dropped += 1;
            }
        }
        self.contexts_dropped += n.contexts_dropped;
        self.implementation[Side::Server as usize] = Implementation::from_user(&a.user);
        n
    }

    fn header(&mut self, a: &Associate<'_>) {
        self.protocol_version = Some(a.protocol_version);
        self.calling_ae = Some(trimmed_text(a.calling_ae));
        self.called_ae = Some(trimmed_text(a.called_ae));
        self.application_context = a.application_context.map(trimmed_text);
    }

    /// The context with `id`.
    pub(crate) fn context(&self, id: u8) -> Option<&Context> {
        self.contexts.iter().find(|c| c.id == id)
    }

    /// The association event body; `end` says why it is reported.
    pub(crate) fn event(&self, end: &str) -> Map<String, Value> {
        let mut o = Map::new();
        o.insert("type".into(), json!("association"));
        if let Some(v) = self.protocol_version {
            o.insert("protocol_version".into(), json!(v));
        }
        if let Some(v) = &self.calling_ae {
            o.insert("calling_ae_title".into(), json!(v));
        }
        if let Some(v) = &self.called_ae {
            o.insert("called_ae_title".into(), json!(v));
        }
        if let Some(v) = &self.application_context {
            o.insert("application_context".into(), json!(uids::name_or_uid(v)));
        }
        let contexts: Vec<Value> = self.contexts.iter().map(context_json).collect();
        o.insert("presentation_contexts".into(), Value::Array(contexts));
        if self.contexts_dropped > 0 {
            o.insert(
                "presentation_contexts_dropped".into(),
                json!(self.contexts_dropped),
            );
        }
        o.insert(
            "client".into(),
            self.implementation[Side::Client as usize].json(),
        );
        o.insert(
            "server".into(),
            self.implementation[Side::Server as usize].json(),
        );
        let result = match self.outcome {
            Some(Outcome::Rejected(_)) => "rejected",
            _ if self.accepted => "accepted",
            _ => "unanswered",
        };
        o.insert("result".into(), json!(result));
        match self.outcome {
            Some(Outcome::Rejected(r)) => {
                o.insert(
                    "reject".into(),
                    json!({
                        "result": reject_result(r.result),
                        "source": reject_source(r.source),
                        "reason": reject_reason(r.source, r.reason),
                    }),
                );
            }
            Some(Outcome::Aborted(side, r)) => {
                o.insert(
                    "abort".into(),
                    json!({
                        "side": side.as_str(),
                        "source": abort_source(r.source),
                        "reason": abort_reason(r.source, r.reason),
                    }),
                );
            }
            Some(Outcome::Released) | None => {}
        }
        o.insert("end".into(), json!(end));
        o.insert("messages".into(), json!(self.messages));
        o
    }
}

fn context_json(c: &Context) -> Value {
    let mut o = Map::new();
    o.insert("id".into(), json!(c.id));
    if let Some(a) = &c.abstract_syntax {
        o.insert("abstract_syntax".into(), json!(uids::name_or_uid(a)));
    }
    if !c.proposed.is_empty() {
        let ts: Vec<String> = c.proposed.iter().map(|t| uids::name_or_uid(t)).collect();
        o.insert("transfer_syntaxes".into(), json!(ts));
    }
    if let Some(r) = c.result {
        o.insert("result".into(), json!(context_result(r)));
    }
    if let Some(t) = &c.transfer_syntax {
        o.insert("transfer_syntax".into(), json!(uids::name_or_uid(t)));
    }
    Value::Object(o)
}

/// PS3.8 §9.3.3.2 Result/Reason.
fn context_result(r: u8) -> &'static str {
    match r {
        0 => "acceptance",
        1 => "user-rejection",
        2 => "no-reason",
        3 => "abstract-syntax-not-supported",
        4 => "transfer-syntaxes-not-supported",
        _ => "unknown",
    }
}

/// PS3.8 §9.3.4 Table 9-21 Result.
fn reject_result(r: u8) -> &'static str {
    match r {
        1 => "rejected-permanent",
        2 => "rejected-transient",
        _ => "unknown",
    }
}

/// PS3.8 §9.3.4 Table 9-21 Source.
fn reject_source(s: u8) -> &'static str {
    match s {
        1 => "service-user",
        2 => "service-provider-acse",
        3 => "service-provider-presentation",
        _ => "unknown",
    }
}

/// PS3.8 §9.3.4 Table 9-21 Reason/Diag., by source.
fn reject_reason(source: u8, reason: u8) -> &'static str {
    match (source, reason) {
        (1, 1) | (2, 1) => "no-reason-given",
        (1, 2) => "application-context-name-not-supported",
        (1, 3) => "calling-AE-title-not-recognized",
        (1, 7) => "called-AE-title-not-recognized",
        (2, 2) => "protocol-version-not-supported",
        (3, 1) => "temporary-congestion",
        (3, 2) => "local-limit-exceeded",
        _ => "reserved",
    }
}

/// PS3.8 §9.3.8 Table 9-26 Source.
fn abort_source(s: u8) -> &'static str {
    match s {
        0 => "service-user",
        2 => "service-provider",
        _ => "reserved",
    }
}

/// PS3.8 §9.3.8 Table 9-26 Reason/Diag. (meaningful only from the provider).
fn abort_reason(source: u8, reason: u8) -> &'static str {
    match (source, reason) {
        (2, 0) => "reason-not-specified",
        (2, 1) => "unrecognized-PDU",
        (2, 2) => "unexpected-PDU",
        (2, 4) => "unrecognized-PDU-parameter",
        (2, 5) => "unexpected-PDU-parameter",
        (2, 6) => "invalid-PDU-parameter-value",
        (2, _) => "reserved",
        _ => "not-specified",
    }
}

/// A decoded command, owned (a few numbers and one UID).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Command {
    /// (0000,0100) Command Field.
    pub field: u16,
    /// (0000,0002) / (0000,0003) SOP class UID.
    pub sop_class_uid: Option<String>,
    /// (0000,0110) Message ID.
    pub message_id: Option<u16>,
    /// (0000,0120) Message ID Being Responded To.
    pub responded_to: Option<u16>,
    /// (0000,0900) Status.
    pub status: Option<u16>,
    /// A data set follows.
    pub has_data_set: bool,
}

impl Command {
    fn from_set(c: &CommandSet<'_>) -> Self {
        Self {
            field: c.command_field.unwrap_or_default(),
            sop_class_uid: c.sop_class_uid.map(trimmed_text),
            message_id: c.message_id,
            responded_to: c.responded_to,
            status: c.status,
            has_data_set: c.has_data_set(),
        }
    }
}

/// Equipment values of a data set, owned (identity facts about the sending device).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Equipment {
    /// (0008,0060) Modality.
    pub modality: Option<String>,
    /// (0008,0070) Manufacturer.
    pub manufacturer: Option<String>,
    /// (0008,0080) Institution Name.
    pub institution_name: Option<String>,
    /// (0008,1010) Station Name.
    pub station_name: Option<String>,
    /// (0008,1040) Institutional Department Name.
    pub department_name: Option<String>,
    /// (0008,1090) Manufacturer's Model Name.
    pub model_name: Option<String>,
    /// (0018,1000) Device Serial Number.
    pub device_serial_number: Option<String>,
    /// (0018,1020) Software Versions.
    pub software_versions: Option<String>,
}

impl Equipment {
    fn from_walk(e: &dataset::Equipment<'_>) -> Self {
        let t = |v: Option<&[u8]>| v.map(trimmed_text).filter(|s| !s.is_empty());
        Self {
            modality: t(e.modality),
            manufacturer: t(e.manufacturer),
            institution_name: t(e.institution_name),
            station_name: t(e.station_name),
            department_name: t(e.department_name),
            model_name: t(e.model_name),
            device_serial_number: t(e.device_serial_number),
            software_versions: t(e.software_versions),
        }
    }

    /// (fact key, value) pairs, in a fixed order.
    pub(crate) fn facts(&self) -> [(&'static str, Option<&str>); 8] {
        [
            ("dicom.modality", self.modality.as_deref()),
            ("dicom.manufacturer", self.manufacturer.as_deref()),
            ("dicom.model_name", self.model_name.as_deref()),
            ("dicom.software_versions", self.software_versions.as_deref()),
            ("dicom.station_name", self.station_name.as_deref()),
            ("dicom.institution_name", self.institution_name.as_deref()),
            ("dicom.department_name", self.department_name.as_deref()),
            (
                "dicom.device_serial_number",
                self.device_serial_number.as_deref(),
            ),
        ]
    }

    /// The event object: fact keys without the `dicom.` prefix.
    pub(crate) fn json(&self) -> Value {
        let mut o = Map::new();
        for (k, v) in self.facts() {
            if let Some(v) = v {
                o.insert(k.trim_start_matches("dicom.").into(), json!(v));
            }
        }
        Value::Object(o)
    }
}

/// What walking one data set found: equipment (C-STORE-RQ only) and patient tags.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Found {
    /// The transfer syntax was one this parser decodes.
    pub decoded: bool,
    /// Equipment attributes (kept for C-STORE-RQ data sets only).
    pub equipment: Equipment,
    /// Group-0010 element numbers with a value (tags only).
    pub patient_elements: Vec<u16>,
    /// Why the walk ended.
    pub stop: Option<Stop>,
}

impl Found {
    fn walk(data: &[u8], encoding: Option<Encoding>, keep_equipment: bool) -> Self {
        let Some(enc) = encoding else {
            return Self {
                decoded: false,
                equipment: Equipment::default(),
                patient_elements: Vec::new(),
                stop: None,
            };
        };
        let s = dataset::walk(data, enc);
        Self {
            decoded: true,
            equipment: if keep_equipment {
                Equipment::from_walk(&s.equipment)
            } else {
                Equipment::default()
            },
            patient_elements: s.patient_elements,
            stop: Some(s.stop),
        }
    }
}

/// A DIMSE message whose last fragment arrived (or which was cut short).
#[derive(Debug)]
pub(crate) struct Completed {
    /// Presentation-context-ID it travelled on.
    pub context_id: u8,
    /// The command.
    pub command: Command,
    /// The data set walk, when a data set was announced and arrived.
    pub found: Option<Found>,
}

/// One message being reassembled on one presentation context.
#[derive(Debug, Default)]
struct Assembly {
    context_id: u8,
    /// Command fragments so far.
    command: Vec<u8>,
    /// The command, once complete, while its data set is awaited.
    pending: Option<Command>,
    /// Data set fragments so far (at most [`DATASET_PREFIX`]; patient bytes live here only
    /// until the walk).
    data_set: Vec<u8>,
    /// The walk, once done (the prefix filled before the last fragment).
    found: Option<Found>,
}

/// One side's messages in reassembly.
#[derive(Debug, Default)]
pub(crate) struct Reassembly {
    open: Vec<Assembly>,
}

impl Reassembly {
    /// Forgets every partial message (after a lost PDU).
    pub(crate) fn clear(&mut self) {
        self.open = Vec::new();
    }

    /// Takes one PDV; `encoding` is the data set encoding of its presentation context;
    /// `done` gets each message it completes.
    pub(crate) fn pdv(
        &mut self,
        pdv: &Pdv<'_>,
        encoding: Option<Encoding>,
        out: &mut Out<'_>,
        mut done: impl FnMut(Completed, &mut Out<'_>),
    ) {
        let i = match self
            .open
            .iter()
            .position(|a| a.context_id == pdv.context_id)
        {
            Some(i) => i,
            None if self.open.len() < MAX_OPEN_MESSAGES => {
                self.open.push(Assembly {
                    context_id: pdv.context_id,
                    ..Assembly::default()
                });
                self.open.len() - 1
            }
            None => {
                out.count("dicom_open_messages_limit");
                return;
            }
        };
        let Some(a) = self.open.get_mut(i) else {
            return;
        };
        let finished = if pdv.is_command {
            command_fragment(a, pdv, out, &mut done)
        } else {
            data_set_fragment(a, pdv, encoding, out, &mut done)
        };
        if finished {
            // Dropping the assembly frees its buffers (and any data set bytes) at once.
            self.open.swap_remove(i);
        }
    }
}

/// PS3.8 Annex E.2 bit 0 set: a command fragment. Returns true when the assembly is finished.
fn command_fragment(
    a: &mut Assembly,
    pdv: &Pdv<'_>,
    out: &mut Out<'_>,
    done: &mut impl FnMut(Completed, &mut Out<'_>),
) -> bool {
    if let Some(cmd) = a.pending.take() {
        // PS3.7 §9.3.1: the announced data set must follow its command; a new command
        // means it never came.
        out.anomaly("dicom_data_set_missing");
        done(
            Completed {
                context_id: a.context_id,
                command: cmd,
                found: None,
            },
            out,
        );
        a.data_set = Vec::new();
        a.found = None;
    }
    let parsed = if a.command.is_empty() && pdv.is_last {
        // One fragment (the common case): parse in place.
        dimse::parse(pdv.data).map(|c| Command::from_set(&c))
    } else {
        if a.command.len() + pdv.data.len() > MAX_COMMAND {
            out.anomaly("dicom_command_too_long");
            return true;
        }
        a.command.extend_from_slice(pdv.data);
        if !pdv.is_last {
            return false;
        }
        let parsed = dimse::parse(&a.command).map(|c| Command::from_set(&c));
        a.command = Vec::new();
        parsed
    };
    match parsed {
        Err(reason) => {
            out.anomaly(reason);
            true
        }
        Ok(cmd) if cmd.has_data_set => {
            a.pending = Some(cmd);
            false
        }
        Ok(cmd) => {
            done(
                Completed {
                    context_id: a.context_id,
                    command: cmd,
                    found: None,
                },
                out,
            );
            true
        }
    }
}

/// PS3.8 Annex E.2 bit 0 clear: a data set fragment. Returns true when the assembly is done.
fn data_set_fragment(
    a: &mut Assembly,
    pdv: &Pdv<'_>,
    encoding: Option<Encoding>,
    out: &mut Out<'_>,
    done: &mut impl FnMut(Completed, &mut Out<'_>),
) -> bool {
    let Some(cmd) = &a.pending else {
        out.anomaly("dicom_data_set_without_command");
        return true;
    };
    let keep_equipment = cmd.field == dimse::C_STORE_RQ;
    if a.found.is_none() {
        if a.data_set.is_empty() && pdv.is_last {
            // One fragment (the common case): walk in place, copy nothing.
            let prefix = pdv.data.get(..DATASET_PREFIX).unwrap_or(pdv.data);
            if prefix.len() < pdv.data.len() {
                out.count("dicom_data_set_prefix_limit");
            }
            a.found = Some(Found::walk(prefix, encoding, keep_equipment));
        } else {
            let room = DATASET_PREFIX.saturating_sub(a.data_set.len());
            let take = pdv.data.get(..room).unwrap_or(pdv.data);
            a.data_set.extend_from_slice(take);
            let full = a.data_set.len() >= DATASET_PREFIX;
            if full || pdv.is_last {
                if full && (take.len() < pdv.data.len() || !pdv.is_last) {
                    out.count("dicom_data_set_prefix_limit");
                }
                a.found = Some(Found::walk(&a.data_set, encoding, keep_equipment));
                // The raw bytes (patient values included) are not kept past the walk.
                a.data_set = Vec::new();
            }
        }
    }
    if !pdv.is_last {
        return false;
    }
    if let Some(cmd) = a.pending.take() {
        if encoding.is_none() {
            out.count("dicom_data_set_not_decoded");
        }
        done(
            Completed {
                context_id: a.context_id,
                command: cmd,
                found: a.found.take(),
            },
            out,
        );
    }
    true
}

/// Splits an implementation version name at the last `_` or `-` followed by a digit:
/// `OFFIS_DCMTK_368` → (`OFFIS_DCMTK`, `368`). No clean split: the whole name, no version.
pub(crate) fn split_version(name: &str) -> (&str, Option<&str>) {
    let clean = |v: &str| {
        v.starts_with(|d: char| d.is_ascii_digit())
            && v.chars().all(|d| d.is_ascii_alphanumeric() || d == '.')
    };
    let cut = name
        .char_indices()
        .filter(|&(_, c)| c == '_' || c == '-')
        .filter_map(|(i, _)| Some((name.get(..i)?, name.get(i + 1..)?)))
        .rfind(|(product, version)| !product.is_empty() && clean(version));
    match cut {
        Some((product, version)) => (product, Some(version)),
        None => (name, None),
    }
}

/// The software of an equipment record: product = manufacturer + model (or either alone),
/// version = software versions.
pub(crate) fn equipment_software(e: &Equipment) -> Option<(String, Option<&str>, String)> {
    let product = match (e.manufacturer.as_deref(), e.model_name.as_deref()) {
        (Some(m), Some(n)) => format!("{m} {n}"),
        (Some(m), None) => m.to_owned(),
        (None, Some(n)) => n.to_owned(),
        (None, None) => return None,
    };
    let version = e.software_versions.as_deref();
    let raw = match version {
        Some(v) => format!("{product} {v}"),
        None => product.clone(),
    };
    Some((product, version, raw))
}
