//! HL7 FHIR over HTTP (FHIR R4/R5 RESTful API, http.html): recognised by its media types
//! (§3.1.0.1.8 `application/fhir+json`, `application/fhir+xml`) or by a request path
//! `[base]/[type]/...` whose segment is a resource type. Bodies are never read.

use super::message::media_type;

/// Resource types recognised in a path (FHIR R4 resourcelist.html), patient-bearing or not.
/// Each entry: name, and whether its instances carry patient data (clinical, administrative
/// and financial resources about a patient, and Bundles, which carry any of them).
pub(crate) const RESOURCES: &[(&str, bool)] = &[
    ("Patient", true),
    ("Observation", true),
    ("Encounter", true),
    ("Condition", true),
    ("MedicationRequest", true),
    ("MedicationStatement", true),
    ("MedicationAdministration", true),
    ("MedicationDispense", true),
    ("DiagnosticReport", true),
    ("Bundle", true),
    ("AllergyIntolerance", true),
    ("Procedure", true),
    ("Immunization", true),
    ("CarePlan", true),
    ("CareTeam", true),
    ("DocumentReference", true),
    ("Composition", true),
    ("ImagingStudy", true),
    ("Specimen", true),
    ("ServiceRequest", true),
    ("Appointment", true),
    ("EpisodeOfCare", true),
    ("FamilyMemberHistory", true),
    ("QuestionnaireResponse", true),
    ("RelatedPerson", true),
    ("Coverage", true),
    ("Claim", true),
    ("ExplanationOfBenefit", true),
    ("Consent", true),
    ("Communication", true),
    ("Goal", true),
    ("RiskAssessment", true),
    ("Flag", true),
    ("NutritionOrder", true),
    ("DeviceRequest", true),
    ("MolecularSequence", true),
    ("Practitioner", false),
    ("PractitionerRole", false),
    ("Organization", false),
    ("Location", false),
    ("Device", false),
    ("Medication", false),
    ("Questionnaire", false),
    ("ValueSet", false),
    ("CodeSystem", false),
    ("StructureDefinition", false),
    ("CapabilityStatement", false),
    ("OperationOutcome", false),
    ("Subscription", false),
    ("Endpoint", false),
    ("HealthcareService", false),
    ("Schedule", false),
    ("Slot", false),
];

/// Path segments that mark a FHIR base (`/fhir/`, HAPI's `/baseR4/`, `/R4/`, `/STU3/`...).
fn is_base_segment(seg: &[u8]) -> bool {
    let lower = |s: &[u8], p: &[u8]| {
        s.len() >= p.len() && s.get(..p.len()).is_some_and(|h| h.eq_ignore_ascii_case(p))
    };
    contains_fhir(seg)
        || lower(seg, b"base")
        || [&b"r2"[..], b"r3", b"r4", b"r4b", b"r5", b"dstu2", b"stu3"]
            .iter()
            .any(|v| seg.eq_ignore_ascii_case(v))
}

/// `fhir` anywhere in `seg`, in any case (`b | 0x20` folds exactly the two cases of a letter).
fn contains_fhir(seg: &[u8]) -> bool {
    seg.windows(4).any(|w| {
        matches!(w, [f, h, i, r]
            if f | 0x20 == b'f' && h | 0x20 == b'h' && i | 0x20 == b'i' && r | 0x20 == b'r')
    })
}

/// The resource type `seg` names, and whether it is patient-bearing.
fn resource(seg: &[u8]) -> Option<(&'static str, bool)> {
    // Every resource type starts with an upper-case letter (resourcelist.html): most path
    // segments are turned away by their first byte.
    if !seg.first().is_some_and(u8::is_ascii_uppercase) {
        return None;
    }
    RESOURCES.iter().find(|(n, _)| n.as_bytes() == seg).copied()
}

/// True for a FHIR media type in a Content-Type or Accept value (any element of a list).
pub(crate) fn is_fhir_media(value: &[u8]) -> bool {
    value.split(|&b| b == b',').any(|item| {
        let m = media_type(item);
        m.eq_ignore_ascii_case(b"application/fhir+json")
            || m.eq_ignore_ascii_case(b"application/fhir+xml")
            // DSTU2 names (still served by older servers).
            || m.eq_ignore_ascii_case(b"application/json+fhir")
            || m.eq_ignore_ascii_case(b"application/xml+fhir")
    })
}

/// What a request path says about FHIR.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct FhirPath {
    /// The resource type named in the path, if any.
    pub(crate) resource: Option<&'static str>,
    /// Whether that resource carries patient data.
    pub(crate) patient_bearing: bool,
    /// The path is under a FHIR base segment.
    pub(crate) under_base: bool,
    /// The path ends at the base (a transaction/batch Bundle is POSTed there, FHIR http.html
    /// §3.1.0.11).
    pub(crate) is_base: bool,
}

/// Reads a request path (query already removed) as FHIR without and with media type
/// evidence, in one pass: the first segment that is a resource type, after a base segment
/// or, when the media type says FHIR, anywhere.
pub(crate) fn classify(path: &[u8]) -> (FhirPath, FhirPath) {
    let mut readings = [Reading::default(), Reading::default()];
    for seg in path.split(|&b| b == b'/').filter(|s| !s.is_empty()) {
        if readings.iter().all(|r| r.path.resource.is_some()) {
            // Nothing a later segment says changes either reading.
            break;
        }
        let named = resource(seg);
        // Computed at most once per segment, only when a reading asks.
        let mut base = None;
        for (reading, media) in readings.iter_mut().zip([false, true]) {
            reading.segment(media, named, || {
                *base.get_or_insert_with(|| is_base_segment(seg))
            });
        }
    }
    let [plain, media] = readings.map(Reading::finish);
    (plain, media)
}

/// One reading of a path by [`classify`], segment by segment.
#[derive(Debug, Default)]
struct Reading {
    path: FhirPath,
    last_was_base: bool,
}

impl Reading {
    /// The next segment, which names the resource type `named` (if any); `base` says whether
    /// it is a base segment. `media`: the exchange named a FHIR media type.
    fn segment(
        &mut self,
        media: bool,
        named: Option<(&'static str, bool)>,
        base: impl FnOnce() -> bool,
    ) {
        let out = &mut self.path;
        if out.resource.is_none()
            && (out.under_base || media)
            && let Some((name, phi)) = named
        {
            out.resource = Some(name);
            out.patient_bearing = phi;
            self.last_was_base = false;
            return;
        }
        if out.resource.is_none() && base() {
            out.under_base = true;
            self.last_was_base = true;
        } else {
            self.last_was_base = false;
        }
    }

    fn finish(self) -> FhirPath {
        FhirPath {
            is_base: self.path.resource.is_none() && self.last_was_base,
            ..self.path
        }
    }
}

/// The path to report for a FHIR request: base and resource type kept, ids after the type
/// replaced by `{id}` (a logical id may be a patient identifier); `_history`, `_search` and
/// `$operation` segments kept.
pub(crate) fn redacted_path(path: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(path.len().min(256));
    let mut seen_resource = false;
    for (i, seg) in path.split(|&b| b == b'/').enumerate() {
        if i > 0 {
            out.push(b'/');
        }
        let keep = !seen_resource
            || seg.is_empty()
            || seg.first().is_some_and(|&c| c == b'_' || c == b'$')
            || resource(seg).is_some();
        if keep {
            out.extend_from_slice(seg);
        } else {
            out.extend_from_slice(b"{id}");
        }
        if resource(seg).is_some() {
            seen_resource = true;
        }
        if out.len() > 300 {
            break;
        }
    }
    out
}
