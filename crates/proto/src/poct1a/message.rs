//! POCT1-A device messages (CLSI POCT1-A2, *Point-of-Care Connectivity*, Device Messaging
//! Layer): one XML document per message, the root element named after the message type in
//! HL7 v2 style (`HEL.R01` hello, `DST.R01` device status, `OBS.R01` patient observations,
//! `OBS.R02` non-patient observations, `ACK.R01`, `EOT.R01`, `END.R01`, `REQ.R01`, `DTV.R02`
//! directives, `KPA.R01` keep-alive…), every value in a `V` attribute
//! (`<DEV.device_id V="1234"/>`), in topics named by a prefix (`HDR.`, `DEV.`, `PT.`, `OBS.`,
//! `OPR.`, `ACK.`). Messages follow one another on the TCP stream without other framing.

use roxmltree::{Document, ParsingOptions};
use wire::text::find;

/// Longest message read (CONVENTIONS §6 caps one message at 1 MiB; a POCT1-A message is a
/// few KiB, a batch of results tens of KiB): larger ones are skipped and counted. Lower than
/// the general cap because the framer rescans a message that arrives in many segments.
pub(crate) const MAX_MESSAGE: usize = 256 * 1024;

/// XML nodes parsed per message at most (roxmltree allocates per node).
const NODES_LIMIT: u32 = 20_000;

/// Length of a message type name (`DTV.R02`).
const MAX_ROOT_NAME: usize = 7;

/// Patient field names kept per message.
pub(crate) const MAX_PATIENT_FIELDS: usize = 64;

/// What one message says. Patient values are never kept: only the names of the patient
/// fields that were not empty.
#[derive(Debug, Default, PartialEq, Eq)]
pub(crate) struct Message {
    /// Root element: the message type (`HEL.R01`).
    pub message_type: String,
    /// `HDR.version_id` (`POCT1`).
    pub version: Option<String>,
    /// `HDR.control_id` was not empty (its value is never kept).
    pub control_id_present: bool,
    /// `DEV.*` identity values, by the entry of [`DEVICE_FIELDS`] naming them.
    pub device: Vec<(&'static DeviceField, String)>,
    /// Names of the `PT.*` fields with a value (`PT.patient_id`).
    pub patient_fields: Vec<String>,
    /// `OBS` topics with a non-empty `OBS.value`.
    pub observations: u32,
    /// `ACK.type_cd` (`AA` accepted, `AE` error).
    pub ack_code: Option<String>,
}

/// One device identity field of a `DEV` topic: its name without the prefix (as events show
/// it) and the fact it becomes.
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct DeviceField {
    pub name: &'static str,
    pub fact: &'static str,
}

/// The device identity fields read from a `DEV` topic.
pub(crate) const DEVICE_FIELDS: &[DeviceField] = &[
    DeviceField {
        name: "device_id",
        fact: "poct1a.device_id",
    },
    DeviceField {
        name: "vendor_id",
        fact: "poct1a.vendor_id",
    },
    DeviceField {
        name: "model_id",
        fact: "poct1a.model_id",
    },
    DeviceField {
        name: "serial_id",
        fact: "poct1a.serial_id",
    },
    DeviceField {
        name: "manufacturer_name",
        fact: "poct1a.manufacturer",
    },
    DeviceField {
        name: "hw_version",
        fact: "poct1a.hw_version",
    },
    DeviceField {
        name: "sw_version",
        fact: "poct1a.sw_version",
    },
    DeviceField {
        name: "device_name",
        fact: "poct1a.device_name",
    },
];

/// Why a message could not be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Error {
    NotUtf8,
    Xml,
    NodeLimit,
}

impl Error {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::NotUtf8 => "poct1a_not_utf8",
            Self::Xml => "poct1a_bad_xml",
            Self::NodeLimit => "poct1a_too_many_nodes",
        }
    }
}

/// Where the root element of a message starts and its name, past an optional byte-order mark,
/// whitespace, the XML declaration and comments. `None`: more bytes are needed. `Some(Err)`:
/// this is not a POCT1-A message.
pub(crate) fn root(b: &[u8]) -> Option<Result<(usize, &[u8]), ()>> {
    let mut i = if b.starts_with(b"\xef\xbb\xbf") { 3 } else { 0 };
    loop {
        while b.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        let rest = b.get(i..)?;
        if rest.is_empty() {
            return None;
        }
        if rest.first() != Some(&b'<') {
            return Some(Err(()));
        }
        // The declaration (`<?xml …?>`) or a comment: skip to its end.
        let close: &[u8] = match rest.get(1) {
            None => return None,
            Some(b'?') => b"?>",
            Some(b'!') => b"-->",
            Some(_) => break,
        };
        let end = find(rest, close)?;
        i += end + close.len();
    }
    let start = i;
    let name_start = start + 1;
    let mut j = name_start;
    loop {
        match b.get(j) {
            None if j - name_start <= MAX_ROOT_NAME => return None,
            Some(&c) if c.is_ascii_alphanumeric() || c == b'.' || c == b'_' => j += 1,
            _ => break,
        }
        if j - name_start > MAX_ROOT_NAME {
            return Some(Err(()));
        }
    }
    let name = &b[name_start..j];
    if is_message_type(name) {
        Some(Ok((start, name)))
    } else {
        Some(Err(()))
    }
}

/// `AAA.Rnn`: three upper-case letters, a dot, `R` and two digits (`HEL.R01`, `OBS.R02`,
/// `DTV.R02`). Topic fields inside a message (`DEV.device_id`) never look like it.
pub(crate) fn is_message_type(name: &[u8]) -> bool {
    match name {
        [a, b, c, b'.', b'R', d, e] => {
            [a, b, c].iter().all(|x| x.is_ascii_uppercase())
                && d.is_ascii_digit()
                && e.is_ascii_digit()
        }
        _ => false,
    }
}

/// Whether `b` (starting at a `<`) may open a message: a message-type root, an XML
/// declaration, or too few bytes to tell.
pub(crate) fn may_start(b: &[u8]) -> bool {
    if b.starts_with(b"<?xml") {
        return true;
    }
    match b.get(1..8) {
        Some(name) => {
            is_message_type(name)
                && matches!(
                    b.get(8),
                    None | Some(b'>' | b'/' | b' ' | b'\t' | b'\r' | b'\n')
                )
        }
        None => b"<?xml".starts_with(b) || b.get(1).is_none_or(u8::is_ascii_uppercase),
    }
}

/// Length of the message at the front of `b` (up to and including its root's end tag), or
/// `None` when it has not ended yet. `name` and `start` from [`root`].
pub(crate) fn message_len(b: &[u8], start: usize, name: &[u8]) -> Option<usize> {
    let after_name = start + 1 + name.len();
    // A self-closing root (`<KPA.R01/>`) ends at its own `/>`.
    let open_end = after_name + b.get(after_name..)?.iter().position(|&c| c == b'>')?;
    if b.get(open_end.wrapping_sub(1)) == Some(&b'/') {
        return Some(open_end + 1);
    }
    let mut close = Vec::with_capacity(name.len() + 3);
    close.extend_from_slice(b"</");
    close.extend_from_slice(name);
    let from = open_end + 1;
    let at = from + find(b.get(from..)?, &close)?;
    let gt = at + close.len() + b.get(at + close.len()..)?.iter().position(|&c| c == b'>')?;
    Some(gt + 1)
}

/// Reads one whole message.
pub(crate) fn parse(bytes: &[u8]) -> Result<Message, Error> {
    let text = std::str::from_utf8(bytes).map_err(|_| Error::NotUtf8)?;
    let options = ParsingOptions {
        // No DTD, so no entity expansion.
        allow_dtd: false,
        nodes_limit: NODES_LIMIT,
        ..ParsingOptions::default()
    };
    let doc = Document::parse_with_options(text, options).map_err(|e| match e {
        roxmltree::Error::NodesLimitReached => Error::NodeLimit,
        _ => Error::Xml,
    })?;
    let root = doc.root_element();
    let mut m = Message {
        message_type: root.tag_name().name().to_owned(),
        ..Message::default()
    };
    for node in root.descendants().filter(roxmltree::Node::is_element) {
        let name = node.tag_name().name();
        let value = node.attribute("V").map(str::trim).unwrap_or_default();
        if value.is_empty() {
            continue;
        }
        if let Some(field) = name.strip_prefix("PT.") {
            if !field.is_empty()
                && m.patient_fields.len() < MAX_PATIENT_FIELDS
                && !m.patient_fields.iter().any(|f| f == name)
            {
                m.patient_fields.push(name.to_owned());
            }
            continue;
        }
        match name {
            "HDR.version_id" => m.version = Some(value.to_owned()),
            "HDR.control_id" => m.control_id_present = true,
            "OBS.value" => m.observations += 1,
            "ACK.type_cd" => m.ack_code = Some(value.to_owned()),
            _ => {
                if let Some(field) = name.strip_prefix("DEV.")
                    && let Some(known) = DEVICE_FIELDS.iter().find(|f| f.name == field)
                    && !m.device.iter().any(|(k, _)| *k == known)
                {
                    m.device.push((known, value.to_owned()));
                }
            }
        }
    }
    Ok(m)
}
