//! A bounded walker over the top-level elements of a DICOM data set (PS3.5 §7), reading only
//! the General Equipment attributes (PS3.3 §C.7.5.1) and noting which Patient Module
//! attributes (group 0010, PS3.3 §C.7.1.1) carry a value — by tag, never by value.
//!
//! The walk stops at the first element past group 0018 (the equipment attributes this parser
//! wants are in groups 0008 and 0018, and elements are in ascending tag order, PS3.5 §7.1),
//! at the end of the bytes it was given (at most a 64 KiB prefix), or at anything malformed.
//! Sequences of undefined length are skipped by counting item and sequence delimiters, to a
//! bounded depth.

use wire::cursor::Reader;

use super::uids::Encoding;

/// Bytes of a data set read at most: the equipment and patient groups come first, and a
/// modality's header rarely exceeds a few KiB before group 0018 ends.
pub(crate) const DATASET_PREFIX: usize = 64 * 1024;

/// Nested sequence/item levels skipped before the walk gives up (real data sets nest 3–5).
const MAX_DEPTH: u32 = 16;

/// Distinct patient attributes remembered per data set (CONVENTIONS §6 list limit).
const MAX_PATIENT_ATTRIBUTES: usize = 64;

/// PS3.5 §7.1.2: undefined length.
const UNDEFINED: u32 = 0xFFFF_FFFF;

/// PS3.5 §7.5: the item and delimitation tags of group FFFE.
const ITEM_GROUP: u16 = 0xFFFE;
const ITEM: u16 = 0xE000;
const ITEM_DELIMITATION: u16 = 0xE00D;
const SEQUENCE_DELIMITATION: u16 = 0xE0DD;

/// Groups read: General Equipment (0008, 0018) and Patient (0010).
const GROUP_IDENTIFYING: u16 = 0x0008;
const GROUP_PATIENT: u16 = 0x0010;
const GROUP_ACQUISITION: u16 = 0x0018;

/// The General Equipment (and General Series Modality) values found; borrowed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct Equipment<'a> {
    /// (0008,0060) Modality.
    pub modality: Option<&'a [u8]>,
    /// (0008,0070) Manufacturer.
    pub manufacturer: Option<&'a [u8]>,
    /// (0008,0080) Institution Name.
    pub institution_name: Option<&'a [u8]>,
    /// (0008,1010) Station Name.
    pub station_name: Option<&'a [u8]>,
    /// (0008,1040) Institutional Department Name.
    pub department_name: Option<&'a [u8]>,
    /// (0008,1090) Manufacturer's Model Name.
    pub model_name: Option<&'a [u8]>,
    /// (0018,1000) Device Serial Number.
    pub device_serial_number: Option<&'a [u8]>,
    /// (0018,1020) Software Versions (multi-valued, `\` separated).
    pub software_versions: Option<&'a [u8]>,
}

/// Why the walk ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Stop {
    /// The bytes ended on an element boundary.
    End,
    /// An element past group 0018: nothing more to read.
    PastEquipmentGroups,
    /// An element ran past the bytes given (a truncated prefix or a lying length).
    Truncated,
    /// An undefined length the walker cannot skip (not a sequence).
    UndefinedLength,
    /// Nested sequences deeper than the limit.
    TooDeep,
    /// An explicit VR that is not two upper-case letters, or a stray delimiter.
    Malformed,
}

/// What one walk found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Summary<'a> {
    /// Equipment attributes.
    pub equipment: Equipment<'a>,
    /// Element numbers of group-0010 attributes with a non-empty value, ascending, at most
    /// 64. Only the tag is kept.
    pub patient_elements: Vec<u16>,
    /// Why the walk ended.
    pub stop: Stop,
}

/// PS3.5 §7.1.2: explicit VRs with a 2-byte reserved field and a 4-byte length.
fn long_length_vr(vr: [u8; 2]) -> bool {
    matches!(
        &vr,
        b"OB"
            | b"OD"
            | b"OF"
            | b"OL"
            | b"OV"
            | b"OW"
            | b"SQ"
            | b"SV"
            | b"UC"
            | b"UN"
            | b"UR"
            | b"UT"
            | b"UV"
    )
}

/// One element header: tag, VR (explicit only) and value length.
struct Header {
    group: u16,
    element: u16,
    vr: Option<[u8; 2]>,
    len: u32,
}

/// Reads an element header (PS3.5 §7.1.2 explicit, §7.1.3 implicit); item tags (FFFE) have
/// no VR in either encoding (PS3.5 §7.5).
fn element_header(r: &mut Reader<'_>, enc: Encoding) -> Result<Header, Stop> {
    let group = r.u16_le().map_err(|_| Stop::Truncated)?;
    let element = r.u16_le().map_err(|_| Stop::Truncated)?;
    if group == ITEM_GROUP || enc == Encoding::ImplicitLittle {
        let len = r.u32_le().map_err(|_| Stop::Truncated)?;
        return Ok(Header {
            group,
            element,
            vr: None,
            len,
        });
    }
    let vr = r.array::<2>().map_err(|_| Stop::Truncated)?;
    if !vr.iter().all(u8::is_ascii_uppercase) {
        return Err(Stop::Malformed);
    }
    let len = if long_length_vr(vr) {
        r.skip(2).map_err(|_| Stop::Truncated)?; // reserved
        r.u32_le().map_err(|_| Stop::Truncated)?
    } else {
        u32::from(r.u16_le().map_err(|_| Stop::Truncated)?)
    };
    Ok(Header {
        group,
        element,
        vr: Some(vr),
        len,
    })
}

/// Skips the contents of an undefined-length sequence whose header was just read, up to and
/// including its Sequence Delimitation Item (PS3.5 §7.5.1–§7.5.2). Each step consumes at least
/// 8 bytes, so the work is bounded by the input; nesting is bounded by [`MAX_DEPTH`].
fn skip_undefined_sequence(r: &mut Reader<'_>, enc: Encoding) -> Result<(), Stop> {
    let mut depth = 1u32;
    while depth > 0 {
        let h = element_header(r, enc)?;
        if h.group == ITEM_GROUP {
            match (h.element, h.len) {
                (ITEM, UNDEFINED) => depth += 1,
                (ITEM, len) => r.skip(len as usize).map_err(|_| Stop::Truncated)?,
                (ITEM_DELIMITATION | SEQUENCE_DELIMITATION, _) => depth -= 1,
                _ => return Err(Stop::Malformed),
            }
        } else if h.len == UNDEFINED {
            // A nested sequence, read in the same encoding (a nested undefined-length UN in
            // explicit VR would be misread, and the walk then stops as malformed: safe).
            depth += 1;
        } else {
            r.skip(h.len as usize).map_err(|_| Stop::Truncated)?;
        }
        if depth > MAX_DEPTH {
            return Err(Stop::TooDeep);
        }
    }
    Ok(())
}

/// Walks the top-level elements of `data` under `enc`.
pub(crate) fn walk(data: &[u8], enc: Encoding) -> Summary<'_> {
    let mut s = Summary {
        equipment: Equipment::default(),
        patient_elements: Vec::new(),
        stop: Stop::End,
    };
    let mut r = Reader::new(data);
    s.stop = loop {
        if r.is_empty() {
            break Stop::End;
        }
        let h = match element_header(&mut r, enc) {
            Ok(h) => h,
            Err(stop) => break stop,
        };
        if h.group == ITEM_GROUP {
            break Stop::Malformed; // a delimiter at top level
        }
        if h.group > GROUP_ACQUISITION {
            break Stop::PastEquipmentGroups;
        }
        if h.len == UNDEFINED {
            let is_sequence = matches!(h.vr, None | Some([b'S', b'Q']) | Some([b'U', b'N']));
            if !is_sequence {
                break Stop::UndefinedLength;
            }
            if h.group == GROUP_PATIENT && s.patient_elements.len() < MAX_PATIENT_ATTRIBUTES {
                // A patient sequence (e.g. Other Patient IDs Sequence) carries values.
                s.patient_elements.push(h.element);
            }
            // PS3.5 §6.2.2: the content of an undefined-length UN is implicit VR LE.
            let inner = if h.vr == Some(*b"UN") {
                Encoding::ImplicitLittle
            } else {
                enc
            };
            match skip_undefined_sequence(&mut r, inner) {
                Ok(()) => continue,
                Err(stop) => break stop,
            }
        }
        let value = match r.take(h.len as usize) {
            Ok(v) => v,
            Err(_) => break Stop::Truncated,
        };
        let e = &mut s.equipment;
        match (h.group, h.element) {
            // PS3.3 §C.7.3.1 General Series: Modality.
            (GROUP_IDENTIFYING, 0x0060) => e.modality = Some(value),
            // PS3.3 §C.7.5.1 General Equipment.
            (GROUP_IDENTIFYING, 0x0070) => e.manufacturer = Some(value),
            (GROUP_IDENTIFYING, 0x0080) => e.institution_name = Some(value),
            (GROUP_IDENTIFYING, 0x1010) => e.station_name = Some(value),
            (GROUP_IDENTIFYING, 0x1040) => e.department_name = Some(value),
            (GROUP_IDENTIFYING, 0x1090) => e.model_name = Some(value),
            (GROUP_ACQUISITION, 0x1000) => e.device_serial_number = Some(value),
            (GROUP_ACQUISITION, 0x1020) => e.software_versions = Some(value),
            // PS3.3 §C.7.1.1 Patient Module: note the tag of a non-empty value (the group
            // length element 0000 is not an attribute). The value is not kept.
            (GROUP_PATIENT, element) if element != 0x0000 => {
                let empty = wire::text::trim_ascii(value).is_empty();
                if !empty
                    && !s.patient_elements.contains(&element)
                    && s.patient_elements.len() < MAX_PATIENT_ATTRIBUTES
                {
                    s.patient_elements.push(element);
                }
            }
            _ => {}
        }
    };
    s.patient_elements.sort_unstable();
    s
}

/// PS3.6 Table 6-1 keywords of common group-0010 attributes.
const PATIENT_KEYWORDS: &[(u16, &str)] = &[
    (0x0010, "PatientName"),
    (0x0020, "PatientID"),
    (0x0021, "IssuerOfPatientID"),
    (0x0030, "PatientBirthDate"),
    (0x0032, "PatientBirthTime"),
    (0x0040, "PatientSex"),
    (0x0050, "PatientInsurancePlanCodeSequence"),
    (0x1000, "OtherPatientIDs"),
    (0x1001, "OtherPatientNames"),
    (0x1002, "OtherPatientIDsSequence"),
    (0x1005, "PatientBirthName"),
    (0x1010, "PatientAge"),
    (0x1020, "PatientSize"),
    (0x1030, "PatientWeight"),
    (0x1040, "PatientAddress"),
    (0x1060, "PatientMotherBirthName"),
    (0x2000, "MedicalAlerts"),
    (0x2110, "Allergies"),
    (0x2154, "PatientTelephoneNumbers"),
    (0x2160, "EthnicGroup"),
    (0x2180, "Occupation"),
    (0x21B0, "AdditionalPatientHistory"),
    (0x21C0, "PregnancyStatus"),
    (0x4000, "PatientComments"),
];

/// `(0010,eeee) Keyword` for a patient attribute (the tag alone when the keyword is not in
/// the table).
pub(crate) fn patient_attribute_name(element: u16) -> String {
    match PATIENT_KEYWORDS.iter().find(|(e, _)| *e == element) {
        Some((_, k)) => format!("(0010,{element:04X}) {k}"),
        None => format!("(0010,{element:04X})"),
    }
}
