//! DICOM upper-layer PDUs (PS3.8 §9.3), DIMSE command sets (PS3.7 Annex E) and data set
//! elements in implicit VR little endian (PS3.5 §7.1.3).

/// The DICOM application context name (PS3.7 Annex A.2.1).
pub const APPLICATION_CONTEXT: &str = "1.2.840.10008.3.1.1.1";
/// Implicit VR Little Endian, the default transfer syntax (PS3.5 §10.1).
pub const IMPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.2";
/// Explicit VR Little Endian (PS3.5 §A.2).
pub const EXPLICIT_VR_LITTLE_ENDIAN: &str = "1.2.840.10008.1.2.1";
/// Verification SOP class (C-ECHO, PS3.4 Annex A).
pub const VERIFICATION: &str = "1.2.840.10008.1.1";

/// PS3.7 §9.3.1.1 C-STORE-RQ command field.
pub const C_STORE_RQ: u16 = 0x0001;
/// PS3.7 §9.3.1.2 C-STORE-RSP command field.
pub const C_STORE_RSP: u16 = 0x8001;
/// PS3.8 §9.3.1 / Annex E.2 message control header: command fragment, last.
pub const COMMAND_LAST: u8 = 0x03;
/// Data set fragment, last.
pub const DATA_LAST: u8 = 0x02;

/// One proposed presentation context (PS3.8 §9.3.2.2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposedContext<'a> {
    /// Odd id, 1..=255.
    pub id: u8,
    /// Abstract syntax (SOP class UID).
    pub abstract_syntax: &'a str,
    /// Transfer syntaxes offered, in preference order.
    pub transfer_syntaxes: &'a [&'a str],
}

/// An A-ASSOCIATE-RQ (`request`) or -AC: the AE titles, the presentation contexts (proposed,
/// or accepted as `(id, transfer syntax)`), and the user information sub-items.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Associate<'a> {
    /// Called AE title (at most 16 characters; longer is cut).
    pub called: &'a str,
    /// Calling AE title.
    pub calling: &'a str,
    /// Maximum PDU length the sender receives (PS3.8 §D.1).
    pub max_pdu: u32,
    /// Implementation Class UID (PS3.7 §D.3.3.2).
    pub implementation_class_uid: &'a str,
    /// Implementation Version Name (at most 16 characters).
    pub implementation_version: &'a str,
}

impl Associate<'_> {
    /// A-ASSOCIATE-RQ proposing `contexts`.
    pub fn emit_request(&self, contexts: &[ProposedContext<'_>], out: &mut Vec<u8>) {
        let mut items = Vec::new();
        for c in contexts {
            let mut b = vec![c.id, 0, 0, 0];
            item(0x30, &uid(c.abstract_syntax), &mut b);
            for t in c.transfer_syntaxes {
                item(0x40, &uid(t), &mut b);
            }
            item(0x20, &b, &mut items);
        }
        self.emit(0x01, &items, out);
    }

    /// A-ASSOCIATE-AC accepting each `(id, transfer syntax)` (result 0, acceptance).
    pub fn emit_accept(&self, accepted: &[(u8, &str)], out: &mut Vec<u8>) {
        let mut items = Vec::new();
        for (id, transfer_syntax) in accepted {
            let mut b = vec![*id, 0, 0, 0];
            item(0x40, &uid(transfer_syntax), &mut b);
            item(0x21, &b, &mut items);
        }
        self.emit(0x02, &items, out);
    }

    fn emit(&self, pdu_type: u8, context_items: &[u8], out: &mut Vec<u8>) {
        let mut b = vec![0x00, 0x01, 0x00, 0x00]; // protocol version 1, reserved
        b.extend_from_slice(&ae_title(self.called));
        b.extend_from_slice(&ae_title(self.calling));
        b.extend_from_slice(&[0u8; 32]);
        item(0x10, &uid(APPLICATION_CONTEXT), &mut b);
        b.extend_from_slice(context_items);
        let mut user = Vec::new();
        item(0x51, &self.max_pdu.to_be_bytes(), &mut user);
        item(0x52, &uid(self.implementation_class_uid), &mut user);
        let version =
            &self.implementation_version.as_bytes()[..self.implementation_version.len().min(16)];
        item(0x55, version, &mut user);
        item(0x50, &user, &mut b);
        pdu(pdu_type, &b, out);
    }
}

/// A-RELEASE-RQ (PS3.8 §9.3.6).
pub fn release_request(out: &mut Vec<u8>) {
    pdu(0x05, &[0; 4], out);
}

/// A-RELEASE-RP (PS3.8 §9.3.7).
pub fn release_reply(out: &mut Vec<u8>) {
    pdu(0x06, &[0; 4], out);
}

/// P-DATA-TF (PS3.8 §9.3.5) carrying one PDV: context id, message control header, bytes.
pub fn p_data(context_id: u8, control: u8, data: &[u8], out: &mut Vec<u8>) {
    let mut b = Vec::with_capacity(data.len() + 6);
    b.extend_from_slice(&((data.len() + 2) as u32).to_be_bytes());
    b.push(context_id);
    b.push(control);
    b.extend_from_slice(data);
    pdu(0x04, &b, out);
}

/// A DIMSE command set (PS3.7 Annex E, implicit VR LE, group 0000): Command Group Length,
/// Affected SOP Class UID, Command Field, Message ID (or Message ID Being Responded To for a
/// response), Command Data Set Type, then Affected SOP Instance UID and Status when given.
pub fn command(
    field: u16,
    sop_class: &str,
    message_id: u16,
    has_data_set: bool,
    sop_instance: Option<&str>,
    status: Option<u16>,
    out: &mut Vec<u8>,
) {
    let mut c = Vec::new();
    element(0x0000, 0x0002, &uid(sop_class), &mut c);
    element(0x0000, 0x0100, &field.to_le_bytes(), &mut c);
    let id_tag = if field & 0x8000 == 0 { 0x0110 } else { 0x0120 };
    element(0x0000, id_tag, &message_id.to_le_bytes(), &mut c);
    let data_set_type: u16 = if has_data_set { 0x0000 } else { 0x0101 };
    element(0x0000, 0x0800, &data_set_type.to_le_bytes(), &mut c);
    if let Some(s) = status {
        element(0x0000, 0x0900, &s.to_le_bytes(), &mut c);
    }
    if let Some(i) = sop_instance {
        element(0x0000, 0x1000, &uid(i), &mut c);
    }
    element(0x0000, 0x0000, &(c.len() as u32).to_le_bytes(), out);
    out.extend_from_slice(&c);
}

/// One implicit VR little endian data element (PS3.5 §7.1.3): tag, 32-bit length, value
/// padded to an even length with a space (text) — pass UIDs through [`uid`] first, which
/// pads with NUL as §9.1 requires. Elements must be appended in ascending tag order.
pub fn element(group: u16, element: u16, value: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&group.to_le_bytes());
    out.extend_from_slice(&element.to_le_bytes());
    let padded = value.len() + value.len() % 2;
    out.extend_from_slice(&(padded as u32).to_le_bytes());
    out.extend_from_slice(value);
    if value.len() % 2 == 1 {
        out.push(b' ');
    }
}

/// A UID value: padded with one NUL to an even length (PS3.5 §9.1).
pub fn uid(s: &str) -> Vec<u8> {
    let mut v = s.as_bytes().to_vec();
    if v.len() % 2 == 1 {
        v.push(0);
    }
    v
}

/// PS3.8 §9.3.1: type, reserved, 32-bit big-endian length, body.
fn pdu(pdu_type: u8, body: &[u8], out: &mut Vec<u8>) {
    out.push(pdu_type);
    out.push(0);
    out.extend_from_slice(&(body.len() as u32).to_be_bytes());
    out.extend_from_slice(body);
}

/// PS3.8 §9.3.2.1: type, reserved, 16-bit big-endian length, body.
fn item(item_type: u8, body: &[u8], out: &mut Vec<u8>) {
    out.push(item_type);
    out.push(0);
    out.extend_from_slice(&(body.len() as u16).to_be_bytes());
    out.extend_from_slice(body);
}

/// A 16-byte AE title, space padded (PS3.8 §9.3.2).
fn ae_title(s: &str) -> [u8; 16] {
    let mut a = [b' '; 16];
    let b = s.as_bytes();
    let n = b.len().min(16);
    a[..n].copy_from_slice(&b[..n]);
    a
}
