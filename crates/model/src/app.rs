//! Application-layer observations: what a flow's protocol said, generic enough that a new
//! protocol needs no new type here, no new report struct and no store migration.
//!
//! Four generic kinds (beside the typed flow, binding and name observations the inventory
//! reasons about): which protocol a flow speaks is on the flow record itself
//! ([`crate::FlowObservation::app`]); **software seen** ([`Software`], Zeek's software
//! framework: the input vulnerability matching works from); identity **facts** ([`Fact`]: a
//! key from a fixed vocabulary and a wire value, e.g. `tls.sni`, `dicom.calling_ae_title`);
//! protocol **anomalies**; and **exposures** ([`Exposure`]: patient data, credentials or weak
//! TLS crossing the wire), which the brain half turns into findings.
//!
//! Every one carries a [`FlowRef`] so a finding can cite the flow it came from. None carries a
//! patient value, a password, a community string or a cookie: names, counts and presence.

use crate::{Endpoint, Timestamp, Transport};

/// Which side of a conversation sent something: the client opened it, the server answered.
/// (Not the flow key's order: that is an implementation detail of the flow table.)
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Side {
    /// The side that opened the conversation (TCP SYN sender, first UDP sender).
    Client,
    /// The other side.
    Server,
}

impl Side {
    /// The other side.
    pub const fn other(self) -> Self {
        match self {
            Self::Client => Self::Server,
            Self::Server => Self::Client,
        }
    }

    /// Stable name used in reports (`client` / `server`).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Client => "client",
            Self::Server => "server",
        }
    }
}

/// A flow as application observations and events refer to it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct FlowRef {
    /// The flow table's id for the flow (unique within one analysis, deterministic for the
    /// same input): EVE's `flow_id`, the same on the flow record.
    pub id: u64,
    /// Transport protocol.
    pub transport: Transport,
    /// Innermost VLAN tag.
    pub vlan: Option<u16>,
    /// The side that opened the conversation.
    pub client: Endpoint,
    /// The other side.
    pub server: Endpoint,
}

impl FlowRef {
    /// The endpoint of `side`.
    pub fn endpoint(&self, side: Side) -> &Endpoint {
        match side {
            Side::Client => &self.client,
            Side::Server => &self.server,
        }
    }
}

/// One application-layer fact, with the flow and time it was seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppObservation {
    /// When it was seen.
    pub ts: Timestamp,
    /// The flow it came from.
    pub flow: FlowRef,
    /// The protocol's stable id (`tls`, `hl7`, `dicom`, …: the parser registry's names).
    pub protocol: &'static str,
    /// What was seen.
    pub kind: AppKind,
}

/// What an [`AppObservation`] says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AppKind {
    /// Software revealed on the wire.
    Software(Software),
    /// An identity fact.
    Fact(Fact),
    /// The protocol misbehaved in a way worth counting against the endpoint (stable
    /// snake_case name, e.g. `tls_record_too_long`).
    Anomaly(&'static str),
    /// Patient data, a credential or weak TLS crossed the wire.
    Exposure(Exposure),
}

/// Software one side revealed (a Server banner, an SSH version string, a DICOM implementation
/// version name, SNMP sysDescr, BACnet firmware revision…).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Software {
    /// Which side runs it.
    pub side: Side,
    /// Product name as the wire gave it (`OpenSSH`, `nginx`, `OFFIS_DCMTK`).
    pub product: String,
    /// Version, when one could be split off (`8.9p1`, `1.24.0`, `368`).
    pub version: Option<String>,
    /// The string it came from, truncated to the wire-string limit.
    pub raw: String,
}

/// An identity fact: a key from the documented vocabulary (ARCHITECTURE.md, "Identity facts")
/// and a value from the wire, about one side.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Fact {
    /// Which side it describes.
    pub side: Side,
    /// Stable key (`tls.sni`, `tls.ja4`, `http.user_agent`, `dicom.calling_ae_title`, …).
    pub key: &'static str,
    /// Value (lossy UTF-8, truncated to the wire-string limit). Never a patient value or a
    /// secret: keys that could carry one are not in the vocabulary.
    pub value: String,
}

/// What kind of exposure: each becomes a finding kind of the same name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ExposureKind {
    /// Patient data (HL7, DICOM patient module, FHIR, POCT1-A) without TLS.
    CleartextPhi,
    /// A login or secret sent in cleartext.
    CleartextCredentials,
    /// A weak TLS session or certificate.
    WeakTls,
}

/// Patient data, a credential or weak TLS seen on one message or handshake. The brain half
/// merges exposures into findings (one per device, kind, protocol, server and subject).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exposure {
    /// Kind.
    pub kind: ExposureKind,
    /// Side whose device the finding is about (the sender of patient data or of a login; the
    /// server for weak TLS).
    pub side: Side,
    /// What was seen, short and value-free: an HL7 message type (`ORU^R01`), a DICOM SOP
    /// class, `USER/PASS`, `TLS 1.0`, `self-signed certificate`…
    pub subject: String,
    /// Field names present (`PID-5`, `(0010,0010) PatientName`) or reasons, never values.
    pub fields: Vec<String>,
    /// For credentials: whether a user name was present (never the name itself).
    pub user_present: Option<bool>,
}
