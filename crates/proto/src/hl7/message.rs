//! One HL7 v2 message (HL7 v2.5.1 ch. 2.5–2.7): segments separated by CR, fields by the
//! message's own field separator (MSH-1), components, repetitions and subcomponents by the
//! encoding characters in MSH-2.
//!
//! [`parse`] keeps only what the sensor may keep: the identity fields of MSH, the MSA
//! acknowledgment code, device identifiers (OBX-18, PRT-10, PRT-16), segment names, and the
//! *names* of non-empty patient fields (`PID-5`), never their values.

/// Segment names recorded per message (CONVENTIONS §6 list limit); the rest are counted.
pub(crate) const MAX_SEGMENT_NAMES: usize = 64;
/// Patient field names recorded per message; the rest are counted.
pub(crate) const MAX_PATIENT_FIELDS: usize = 64;
/// Device identifiers kept per message (OBX-18 / PRT-10, and PRT-16 each).
pub(crate) const MAX_DEVICE_IDS: usize = 8;
/// Fields looked at per segment (PID has 39, IN1 53): later ones are not examined.
pub(crate) const MAX_FIELDS: usize = 128;

/// HL7 v2.5.1 ch. 2.5.4 default separators, used when a message has no MSH to say.
const DEFAULT_FIELD_SEP: u8 = b'|';
const DEFAULT_ENCODING: &[u8] = b"^~\\&";

/// The separators of one message (HL7 v2.5.1 ch. 2.5.4, MSH-1 and MSH-2).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Separators {
    /// MSH-1 field separator (`|`).
    pub field: u8,
    /// MSH-2 first character: component separator (`^`).
    pub component: u8,
    /// MSH-2 second character: repetition separator (`~`).
    pub repetition: u8,
    /// MSH-2 fourth character: subcomponent separator (`&`).
    pub subcomponent: u8,
}

impl Separators {
    fn new(field: u8, encoding: &[u8]) -> Self {
        let enc = |i: usize| encoding.get(i).or(DEFAULT_ENCODING.get(i)).copied();
        Self {
            field,
            component: enc(0).unwrap_or(b'^'),
            repetition: enc(1).unwrap_or(b'~'),
            subcomponent: enc(3).unwrap_or(b'&'),
        }
    }
}

/// What the MSH segment says (HL7 v2.5.1 ch. 2.15.9). Values borrow the message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Header<'a> {
    /// MSH-3 sending application (HD), trailing empty components removed.
    pub sending_application: &'a [u8],
    /// MSH-4 sending facility (HD).
    pub sending_facility: &'a [u8],
    /// MSH-5 receiving application (HD).
    pub receiving_application: &'a [u8],
    /// MSH-6 receiving facility (HD).
    pub receiving_facility: &'a [u8],
    /// MSH-9.1 message code (`ORU`).
    pub message_code: &'a [u8],
    /// MSH-9.2 trigger event (`R01`).
    pub trigger_event: &'a [u8],
    /// MSH-9.3 message structure (`ORU_R01`).
    pub message_structure: &'a [u8],
    /// MSH-10 message control id is non-empty (the value is never kept: it may identify).
    pub control_id_present: bool,
    /// MSH-12.1 version id (`2.5.1`).
    pub version: &'a [u8],
}

/// A code of HL7 table 0076 / 0003 (`ORU`, `R01`, `Z99`): three upper-case letters or
/// digits.
fn is_code(c: &[u8]) -> bool {
    c.len() == 3
        && c.iter()
            .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit())
}

impl Header<'_> {
    /// MSH-9 holds a message code (and, when present, a trigger event code and a structure
    /// id of table 0354 such as `ORU_R01`), and MSH-12 looks like a version (`2.5.1`).
    fn is_well_formed(&self) -> bool {
        let structure_ok = self.message_structure.len() <= 10
            && self
                .message_structure
                .iter()
                .all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'_');
        let version_ok = self.version.len() <= 16
            && self
                .version
                .iter()
                .all(|b| b.is_ascii_digit() || *b == b'.');
        is_code(self.message_code)
            && (self.trigger_event.is_empty() || is_code(self.trigger_event))
            && structure_ok
            && version_ok
    }

    /// `code^trigger` (`ORU^R01`), or the code alone; `None` when MSH-9 is empty.
    pub fn message_type(&self) -> Option<String> {
        if self.message_code.is_empty() {
            return None;
        }
        let mut t = String::from_utf8_lossy(self.message_code).into_owned();
        if !self.trigger_event.is_empty() {
            t.push('^');
            t.push_str(&String::from_utf8_lossy(self.trigger_event));
        }
        Some(t)
    }
}

/// A segment whose fields may carry patient data, and which of its fields to look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Watch {
    /// Every field but field 1 (a Set ID: a sequence number, not patient data).
    AfterSetId,
    /// Every field.
    All,
    /// Only this field (OBX-5 observation value).
    Only(usize),
}

/// Segments that carry patient data (HL7 v2.5.1 ch. 3 Patient Administration, ch. 6
/// Financial Management, ch. 7 Observation Reporting, ch. 2.15.10 NTE).
const PATIENT_SEGMENTS: &[(&[u8; 3], Watch)] = &[
    (b"PID", Watch::AfterSetId), // ch. 3.4.2 patient identification
    (b"PD1", Watch::All),        // ch. 3.4.10 patient additional demographic
    (b"PV1", Watch::AfterSetId), // ch. 3.4.3 patient visit
    (b"PV2", Watch::All),        // ch. 3.4.4 patient visit - additional information
    (b"NK1", Watch::AfterSetId), // ch. 3.4.5 next of kin / associated parties
    (b"MRG", Watch::All),        // ch. 3.4.9 merge patient information (prior ids)
    (b"AL1", Watch::AfterSetId), // ch. 3.4.6 patient allergy information
    (b"IAM", Watch::AfterSetId), // ch. 3.4.7 patient adverse reaction information
    (b"DG1", Watch::AfterSetId), // ch. 6.5.2 diagnosis
    (b"PR1", Watch::AfterSetId), // ch. 6.5.4 procedures
    (b"GT1", Watch::AfterSetId), // ch. 6.5.5 guarantor
    (b"IN1", Watch::AfterSetId), // ch. 6.5.6 insurance
    (b"IN2", Watch::All),        // ch. 6.5.7 insurance additional information
    (b"IN3", Watch::AfterSetId), // ch. 6.5.8 insurance additional information, certification
    (b"OBX", Watch::Only(5)),    // ch. 7.4.2 observation/result: OBX-5 observation value
    (b"NTE", Watch::AfterSetId), // ch. 2.15.10 notes and comments (free text)
    (b"QPD", Watch::All),        // ch. 5.5.4 query parameters (patient ids, names)
];

/// A non-empty patient field: segment and field number (`PID`, 5 → `PID-5`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct FieldName {
    segment: [u8; 3],
    field: u16,
}

impl FieldName {
    /// `PID-5`.
    pub fn name(&self) -> String {
        format!("{}-{}", String::from_utf8_lossy(&self.segment), self.field)
    }
}

/// What one message says, bounded.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct Message<'a> {
    /// The MSH segment, when the message has a well-formed one.
    pub header: Option<Header<'a>>,
    /// The first MSH segment was not well formed (its message type is not a code): none of
    /// its fields are kept, since they may be anything (a spliced or corrupted stream).
    pub bad_header: bool,
    /// MSA-1 acknowledgment code (ch. 2.15.8), when one of AA, AE, AR, CA, CE, CR.
    pub ack_code: Option<&'a [u8]>,
    /// MSA-1 held something else.
    pub bad_ack_code: bool,
    /// OBX-18 equipment instance identifiers (ch. 7.4.2.18) and PRT-10 participation
    /// devices (v2.7+, ch. 7 PRT), distinct, at most [`MAX_DEVICE_IDS`].
    pub equipment: Vec<&'a [u8]>,
    /// PRT-16 UDI device identifiers (v2.8.2+), distinct, at most [`MAX_DEVICE_IDS`].
    pub udi: Vec<&'a [u8]>,
    /// Device identifiers beyond the limit.
    pub devices_dropped: usize,
    /// Segment IDs in order, at most [`MAX_SEGMENT_NAMES`].
    pub segments: Vec<[u8; 3]>,
    /// Every segment, recorded or not.
    pub segment_count: usize,
    /// Segments whose ID is not three upper-case letters or digits (not recorded).
    pub bad_segments: usize,
    /// Non-empty patient fields, distinct, in order of first appearance.
    pub patient_fields: Vec<FieldName>,
    /// Distinct patient fields beyond [`MAX_PATIENT_FIELDS`].
    pub patient_fields_dropped: usize,
    /// Some patient segment had a non-empty watched field.
    pub patient_data: bool,
    /// Segments with more than [`MAX_FIELDS`] fields.
    pub fields_over_limit: usize,
    /// Segments were ended by LF rather than CR (ch. 2.5.4 says CR).
    pub lf_terminators: bool,
}

/// Splits on `sep`; a small helper so every split is the same.
fn split(b: &[u8], sep: u8) -> impl Iterator<Item = &[u8]> {
    b.split(move |&c| c == sep)
}

/// The `n`th (0-based) piece of `b` split on `sep`, or empty.
fn nth(b: &[u8], sep: u8, n: usize) -> &[u8] {
    split(b, sep).nth(n).unwrap_or_default()
}

/// A coded value: its first repetition's first component's first subcomponent, trimmed.
fn coded<'a>(b: &'a [u8], s: &Separators, component: usize) -> &'a [u8] {
    let rep = nth(b, s.repetition, 0);
    let comp = nth(rep, s.component, component);
    wire::text::trim_ascii(nth(comp, s.subcomponent, 0))
}

/// An identifier field (HD, EI): trimmed, trailing empty components removed.
fn identifier<'a>(b: &'a [u8], s: &Separators) -> &'a [u8] {
    let mut v = wire::text::trim_ascii(b);
    while let Some(rest) = v.strip_suffix(&[s.component]) {
        v = rest;
    }
    v
}

/// The first repetition of an identifier field (MSH-6 repeats from v2.7).
fn first_identifier<'a>(b: &'a [u8], s: &Separators) -> &'a [u8] {
    identifier(nth(b, s.repetition, 0), s)
}

/// True when `field` holds data: not empty, not only separators and blanks, not the HL7
/// null `""` (ch. 2.5.3 "delete the value").
fn has_data(field: &[u8], s: &Separators) -> bool {
    let content = field.iter().any(|&c| {
        !(c == s.component || c == s.repetition || c == s.subcomponent || c.is_ascii_whitespace())
    });
    content && wire::text::trim_ascii(field) != b"\"\""
}

/// A segment ID (ch. 2.5.1): three characters, an upper-case letter then letters or digits.
fn segment_id(seg: &[u8], field_sep: u8) -> Option<[u8; 3]> {
    let id: [u8; 3] = seg.get(..3)?.try_into().ok()?;
    let ok = id[0].is_ascii_uppercase()
        && id[1..]
            .iter()
            .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit())
        && seg.get(3).is_none_or(|&c| c == field_sep);
    ok.then_some(id)
}

/// The separators a message declares (MSH-1, MSH-2: ch. 2.15.9.1–2), from its first segment
/// when that is a header (MSH, or the batch headers FHS/BHS which share the layout).
fn separators(first: &[u8]) -> Option<(Separators, &[u8])> {
    let id = first.get(..3)?;
    if !matches!(id, b"MSH" | b"FHS" | b"BHS") {
        return None;
    }
    let fs = *first.get(3)?;
    if !is_separator_char(fs) {
        return None;
    }
    let encoding = nth(first.get(4..)?, fs, 0);
    Some((Separators::new(fs, encoding), encoding))
}

/// A character that may be a separator: printable ASCII, not a letter or digit (ch. 2.5.4).
pub(crate) fn is_separator_char(c: u8) -> bool {
    c.is_ascii_punctuation()
}

/// ch. 2.15.8.1 MSA-1 acknowledgment codes (table 0008).
const ACK_CODES: [&[u8]; 6] = [b"AA", b"AE", b"AR", b"CA", b"CE", b"CR"];

/// Parses one message (`payload`: segments, without MLLP framing). Never fails: what is
/// missing or malformed shows in the result.
pub(crate) fn parse(payload: &[u8]) -> Message<'_> {
    let mut m = Message::default();
    let mut segs = payload
        .split(|&c| c == super::mllp::CR || c == super::mllp::LF)
        .filter(|s| !s.is_empty());
    m.lf_terminators = payload.contains(&super::mllp::LF);
    let first = segs.clone().next().unwrap_or_default();
    let s = separators(first).map_or(
        Separators::new(DEFAULT_FIELD_SEP, DEFAULT_ENCODING),
        |(s, _)| s,
    );
    for seg in &mut segs {
        m.segment_count += 1;
        let Some(id) = segment_id(seg, s.field) else {
            m.bad_segments += 1;
            continue;
        };
        if m.segments.len() < MAX_SEGMENT_NAMES {
            m.segments.push(id);
        }
        match &id {
            b"MSH" if m.header.is_none() && !m.bad_header => {
                let h = header(seg, &s);
                if h.is_well_formed() {
                    m.header = Some(h);
                } else {
                    m.bad_header = true;
                }
            }
            b"MSA" if m.ack_code.is_none() && !m.bad_ack_code => {
                // ch. 2.15.8.1 MSA-1
                let code = coded(nth(seg, s.field, 1), &s, 0);
                if ACK_CODES.contains(&code) {
                    m.ack_code = Some(code);
                } else {
                    m.bad_ack_code = true;
                }
            }
            // ch. 7.4.2.18 OBX-18 equipment instance identifier (EI, repeating)
            b"OBX" => device_ids(&mut m, nth(seg, s.field, 18), &s, false),
            b"PRT" => {
                // v2.8 ch. 7 PRT-10 participation device (EI, repeating);
                // v2.8.2 ch. 7 PRT-16 UDI device identifier.
                device_ids(&mut m, nth(seg, s.field, 10), &s, false);
                device_ids(&mut m, nth(seg, s.field, 16), &s, true);
            }
            _ => {}
        }
        if let Some((_, watch)) = PATIENT_SEGMENTS.iter().find(|(name, _)| **name == id) {
            patient_fields(&mut m, id, seg, *watch, &s);
        }
    }
    m
}

/// ch. 2.15.9 MSH: fields are numbered from the field separator (MSH-1), so the piece after
/// the segment ID is MSH-2 and piece `n` is MSH-(n+1).
fn header<'a>(seg: &'a [u8], s: &Separators) -> Header<'a> {
    let mut f: [&[u8]; 12] = [&[]; 12];
    for (i, piece) in split(seg, s.field).take(12).enumerate() {
        if let Some(slot) = f.get_mut(i) {
            *slot = piece;
        }
    }
    let msh = |n: usize| f.get(n - 1).copied().unwrap_or_default();
    let msg_type = msh(9); // ch. 2.15.9.9 MSH-9 message type (MSG)
    Header {
        sending_application: first_identifier(msh(3), s), // ch. 2.15.9.3
        sending_facility: first_identifier(msh(4), s),    // ch. 2.15.9.4
        receiving_application: first_identifier(msh(5), s), // ch. 2.15.9.5
        receiving_facility: first_identifier(msh(6), s),  // ch. 2.15.9.6
        message_code: coded(msg_type, s, 0),              // MSG.1 message code
        trigger_event: coded(msg_type, s, 1),             // MSG.2 trigger event
        message_structure: coded(msg_type, s, 2),         // MSG.3 message structure
        control_id_present: has_data(msh(10), s),         // ch. 2.15.9.10
        version: coded(msh(12), s, 0),                    // ch. 2.15.9.12 VID.1 version id
    }
}

/// Adds the repetitions of an EI field, distinct, within the limit.
fn device_ids<'a>(m: &mut Message<'a>, field: &'a [u8], s: &Separators, udi: bool) {
    for rep in split(field, s.repetition) {
        let id = identifier(rep, s);
        if !has_data(id, s) {
            continue;
        }
        let list = if udi { &mut m.udi } else { &mut m.equipment };
        if list.contains(&id) {
            continue;
        }
        if list.len() < MAX_DEVICE_IDS {
            list.push(id);
        } else {
            m.devices_dropped += 1;
        }
    }
}

/// Records the names of the watched non-empty fields of a patient segment (piece `n` after
/// splitting on the field separator is field `n`: ch. 2.5.2).
fn patient_fields(m: &mut Message<'_>, id: [u8; 3], seg: &[u8], watch: Watch, s: &Separators) {
    let mut pieces = split(seg, s.field).enumerate().skip(1);
    for (n, field) in pieces.by_ref().take(MAX_FIELDS) {
        let watched = match watch {
            Watch::All => true,
            Watch::AfterSetId => n > 1,
            Watch::Only(k) => n == k,
        };
        if !watched || !has_data(field, s) {
            continue;
        }
        m.patient_data = true;
        let name = FieldName {
            segment: id,
            field: u16::try_from(n).unwrap_or(u16::MAX),
        };
        if m.patient_fields.contains(&name) {
            continue;
        }
        if m.patient_fields.len() < MAX_PATIENT_FIELDS {
            m.patient_fields.push(name);
        } else {
            m.patient_fields_dropped += 1;
        }
    }
    if pieces.next().is_some() {
        m.fields_over_limit += 1;
    }
}

/// How the first bytes of an unframed stream look (HL7 v2.5.1 ch. 2.15.9.1–2:
/// `MSH` + field separator + encoding characters + field separator).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Shape {
    /// Too few bytes to tell, and a prefix of a header.
    Prefix,
    /// `MSH` + a separator + four (v2.7+: five) distinct encoding characters + the separator.
    Standard,
    /// `MSH` + a separator + 1–5 separator characters + the separator, not all distinct or
    /// fewer than four: HL7-like, accepted only on HL7's port.
    Loose,
    /// Not an HL7 header.
    No,
}

/// Classifies the first bytes of a stream that does not start with a start block.
pub(crate) fn header_shape(b: &[u8]) -> Shape {
    let n = b.len().min(3);
    if b.get(..n) != b"MSH".get(..n) {
        return Shape::No;
    }
    let Some(&fs) = b.get(3) else {
        return Shape::Prefix;
    };
    if !is_separator_char(fs) {
        return Shape::No;
    }
    let enc = b.get(4..).unwrap_or_default();
    let Some(end) = enc.iter().take(6).position(|&c| c == fs) else {
        // No second separator yet: still a prefix while every byte could be an encoding char.
        return if enc.len() < 6 && enc.iter().all(|&c| is_separator_char(c)) {
            Shape::Prefix
        } else {
            Shape::No
        };
    };
    let enc = enc.get(..end).unwrap_or_default();
    if enc.is_empty() || enc.len() > 5 || !enc.iter().all(|&c| is_separator_char(c)) {
        return Shape::No;
    }
    let distinct = enc
        .iter()
        .enumerate()
        .all(|(i, c)| !enc.get(i + 1..).unwrap_or_default().contains(c));
    if distinct && enc.len() >= 4 {
        Shape::Standard
    } else {
        Shape::Loose
    }
}
