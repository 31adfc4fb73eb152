//! A small table of well-known DICOM UIDs (PS3.6 Annex A, "Registry of DICOM Unique
//! Identifiers") to their registered names, and the dataset encoding each transfer syntax
//! implies (PS3.5 §10 and Annex A). Unknown UIDs are kept as the UID by the caller.

/// How a dataset sent under a transfer syntax is encoded, for the element walker.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Encoding {
    /// PS3.5 §A.1: implicit VR little endian (the default transfer syntax).
    ImplicitLittle,
    /// PS3.5 §A.2: explicit VR little endian. Encapsulated (compressed) transfer syntaxes
    /// (PS3.5 §A.4) encode every element but Pixel Data the same way, so they decode too.
    ExplicitLittle,
}

/// PS3.5 §A.1 Implicit VR Little Endian.
pub(crate) const IMPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.2";
/// PS3.5 §A.2 Explicit VR Little Endian.
pub(crate) const EXPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.2.1";
/// PS3.7 §A.2.1 the DICOM application context name.
pub(crate) const APPLICATION_CONTEXT: &str = "1.2.840.10008.3.1.1.1";
/// PS3.4 Annex A: Verification SOP Class (C-ECHO).
pub(crate) const VERIFICATION: &str = "1.2.840.10008.1.1";

/// PS3.6 Annex A: UID → name. Storage classes are PS3.4 §B.5, query/retrieve PS3.4 §C.6.
const NAMES: &[(&str, &str)] = &[
    (VERIFICATION, "Verification SOP Class"),
    (APPLICATION_CONTEXT, "DICOM Application Context Name"),
    // Transfer syntaxes (PS3.5 Annex A).
    (IMPLICIT_VR_LITTLE_ENDIAN, "Implicit VR Little Endian"),
    (EXPLICIT_VR_LITTLE_ENDIAN, "Explicit VR Little Endian"),
    (
        "1.2.840.10008.1.2.1.99",
        "Deflated Explicit VR Little Endian",
    ),
    ("1.2.840.10008.1.2.2", "Explicit VR Big Endian"),
    ("1.2.840.10008.1.2.4.50", "JPEG Baseline (Process 1)"),
    ("1.2.840.10008.1.2.4.51", "JPEG Extended (Process 2 & 4)"),
    (
        "1.2.840.10008.1.2.4.57",
        "JPEG Lossless, Non-Hierarchical (Process 14)",
    ),
    (
        "1.2.840.10008.1.2.4.70",
        "JPEG Lossless, Non-Hierarchical, First-Order Prediction",
    ),
    (
        "1.2.840.10008.1.2.4.80",
        "JPEG-LS Lossless Image Compression",
    ),
    (
        "1.2.840.10008.1.2.4.81",
        "JPEG-LS Lossy (Near-Lossless) Image Compression",
    ),
    (
        "1.2.840.10008.1.2.4.90",
        "JPEG 2000 Image Compression (Lossless Only)",
    ),
    ("1.2.840.10008.1.2.4.91", "JPEG 2000 Image Compression"),
    ("1.2.840.10008.1.2.4.100", "MPEG2 Main Profile / Main Level"),
    (
        "1.2.840.10008.1.2.4.102",
        "MPEG-4 AVC/H.264 High Profile / Level 4.1",
    ),
    ("1.2.840.10008.1.2.5", "RLE Lossless"),
    // Storage SOP classes (PS3.4 §B.5).
    (
        "1.2.840.10008.5.1.4.1.1.1",
        "Computed Radiography Image Storage",
    ),
    (
        "1.2.840.10008.5.1.4.1.1.1.1",
        "Digital X-Ray Image Storage - For Presentation",
    ),
    (
        "1.2.840.10008.5.1.4.1.1.1.1.1",
        "Digital X-Ray Image Storage - For Processing",
    ),
    (
        "1.2.840.10008.5.1.4.1.1.1.2",
        "Digital Mammography X-Ray Image Storage - For Presentation",
    ),
    (
        "1.2.840.10008.5.1.4.1.1.1.2.1",
        "Digital Mammography X-Ray Image Storage - For Processing",
    ),
    ("1.2.840.10008.5.1.4.1.1.2", "CT Image Storage"),
    ("1.2.840.10008.5.1.4.1.1.2.1", "Enhanced CT Image Storage"),
    (
        "1.2.840.10008.5.1.4.1.1.3.1",
        "Ultrasound Multi-frame Image Storage",
    ),
    ("1.2.840.10008.5.1.4.1.1.4", "MR Image Storage"),
    ("1.2.840.10008.5.1.4.1.1.4.1", "Enhanced MR Image Storage"),
    ("1.2.840.10008.5.1.4.1.1.6.1", "Ultrasound Image Storage"),
    (
        "1.2.840.10008.5.1.4.1.1.7",
        "Secondary Capture Image Storage",
    ),
    (
        "1.2.840.10008.5.1.4.1.1.9.1.1",
        "12-lead ECG Waveform Storage",
    ),
    (
        "1.2.840.10008.5.1.4.1.1.11.1",
        "Grayscale Softcopy Presentation State Storage",
    ),
    (
        "1.2.840.10008.5.1.4.1.1.12.1",
        "X-Ray Angiographic Image Storage",
    ),
    (
        "1.2.840.10008.5.1.4.1.1.12.2",
        "X-Ray Radiofluoroscopic Image Storage",
    ),
    (
        "1.2.840.10008.5.1.4.1.1.20",
        "Nuclear Medicine Image Storage",
    ),
    (
        "1.2.840.10008.5.1.4.1.1.77.1.4",
        "VL Photographic Image Storage",
    ),
    ("1.2.840.10008.5.1.4.1.1.88.11", "Basic Text SR Storage"),
    ("1.2.840.10008.5.1.4.1.1.88.22", "Enhanced SR Storage"),
    ("1.2.840.10008.5.1.4.1.1.88.33", "Comprehensive SR Storage"),
    (
        "1.2.840.10008.5.1.4.1.1.88.59",
        "Key Object Selection Document Storage",
    ),
    (
        "1.2.840.10008.5.1.4.1.1.88.67",
        "X-Ray Radiation Dose SR Storage",
    ),
    ("1.2.840.10008.5.1.4.1.1.104.1", "Encapsulated PDF Storage"),
    (
        "1.2.840.10008.5.1.4.1.1.128",
        "Positron Emission Tomography Image Storage",
    ),
    ("1.2.840.10008.5.1.4.1.1.481.1", "RT Image Storage"),
    ("1.2.840.10008.5.1.4.1.1.481.2", "RT Dose Storage"),
    ("1.2.840.10008.5.1.4.1.1.481.3", "RT Structure Set Storage"),
    ("1.2.840.10008.5.1.4.1.1.481.5", "RT Plan Storage"),
    // Query/Retrieve (PS3.4 §C.6) and worklist (PS3.4 §K.6).
    (
        "1.2.840.10008.5.1.4.1.2.1.1",
        "Patient Root Query/Retrieve Information Model - FIND",
    ),
    (
        "1.2.840.10008.5.1.4.1.2.1.2",
        "Patient Root Query/Retrieve Information Model - MOVE",
    ),
    (
        "1.2.840.10008.5.1.4.1.2.1.3",
        "Patient Root Query/Retrieve Information Model - GET",
    ),
    (
        "1.2.840.10008.5.1.4.1.2.2.1",
        "Study Root Query/Retrieve Information Model - FIND",
    ),
    (
        "1.2.840.10008.5.1.4.1.2.2.2",
        "Study Root Query/Retrieve Information Model - MOVE",
    ),
    (
        "1.2.840.10008.5.1.4.1.2.2.3",
        "Study Root Query/Retrieve Information Model - GET",
    ),
    (
        "1.2.840.10008.5.1.4.31",
        "Modality Worklist Information Model - FIND",
    ),
    // Other services seen on modalities (PS3.4 Annexes F, H, J).
    (
        "1.2.840.10008.3.1.2.3.3",
        "Modality Performed Procedure Step SOP Class",
    ),
    (
        "1.2.840.10008.1.20.1",
        "Storage Commitment Push Model SOP Class",
    ),
    (
        "1.2.840.10008.5.1.1.9",
        "Basic Grayscale Print Management Meta SOP Class",
    ),
    (
        "1.2.840.10008.5.1.1.18",
        "Basic Color Print Management Meta SOP Class",
    ),
];

/// The registered name of `uid`, if it is in the table.
pub(crate) fn name(uid: &str) -> Option<&'static str> {
    NAMES.iter().find(|(u, _)| *u == uid).map(|(_, n)| *n)
}

/// The name of `uid`, or the UID itself when unknown.
pub(crate) fn name_or_uid(uid: &str) -> String {
    name(uid).map_or_else(|| uid.to_owned(), str::to_owned)
}

/// The dataset encoding of transfer syntax `uid`, or `None` when this parser does not decode
/// it (deflate, big endian, private syntaxes): those datasets are counted, not read.
pub(crate) fn encoding(uid: &str) -> Option<Encoding> {
    match uid {
        IMPLICIT_VR_LITTLE_ENDIAN => Some(Encoding::ImplicitLittle),
        EXPLICIT_VR_LITTLE_ENDIAN => Some(Encoding::ExplicitLittle),
        // PS3.5 §A.4: encapsulated syntaxes (JPEG family 1.2.840.10008.1.2.4.x, RLE .5,
        // encapsulated uncompressed .1.98) are explicit VR little endian outside Pixel Data.
        "1.2.840.10008.1.2.5" | "1.2.840.10008.1.2.1.98" => Some(Encoding::ExplicitLittle),
        u if u.starts_with("1.2.840.10008.1.2.4.") => Some(Encoding::ExplicitLittle),
        _ => None,
    }
}
