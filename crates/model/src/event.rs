//! Application events: one per TLS handshake, HTTP request, DICOM association, HL7 message,
//! login…, written by `--events` as JSON lines in the shape of Suricata's EVE output
//! (docs/events.md). Built only when events were asked for.

use crate::{FlowRef, Timestamp};

/// One application event.
#[derive(Debug, Clone, PartialEq)]
pub struct AppEvent {
    /// When the event's message was seen.
    pub ts: Timestamp,
    /// The flow.
    pub flow: FlowRef,
    /// EVE `event_type`, also the name of the protocol object (`tls`, `http`, `dicom`…).
    pub event_type: &'static str,
    /// The protocol object: EVE's field names where EVE has the protocol. Never a patient
    /// value, a password, a community string or a cookie.
    pub body: serde_json::Map<String, serde_json::Value>,
}
