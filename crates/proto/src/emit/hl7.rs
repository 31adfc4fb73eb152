//! HL7 v2 messages in MLLP blocks.
//!
//! A message is a list of segments, each a list of fields joined by `|` and ended by CR
//! (HL7 v2.5.1 ch. 2.5.4); MSH-1 is the field separator itself and MSH-2 the encoding
//! characters `^~\&`. MLLP (HL7 MLLP release 2, §2) wraps a message as
//! `<SB=0x0B> message <EB=0x1C><CR>`.

/// MLLP start block.
pub const START_BLOCK: u8 = 0x0B;
/// MLLP end block.
pub const END_BLOCK: u8 = 0x1C;
/// Segment terminator.
pub const CR: u8 = 0x0D;

/// The MSH fields a sender sets (ch. 2.15.9); the others are written empty or fixed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header<'a> {
    /// MSH-3 sending application.
    pub sending_application: &'a str,
    /// MSH-4 sending facility.
    pub sending_facility: &'a str,
    /// MSH-5 receiving application.
    pub receiving_application: &'a str,
    /// MSH-6 receiving facility.
    pub receiving_facility: &'a str,
    /// MSH-7 date/time of message, `YYYYMMDDHHMMSS`.
    pub timestamp: &'a str,
    /// MSH-9 message type, e.g. `ORU^R01^ORU_R01` or `ACK`.
    pub message_type: &'a str,
    /// MSH-10 message control id.
    pub control_id: &'a str,
    /// MSH-12 version id, e.g. `2.5.1`.
    pub version: &'a str,
}

impl Header<'_> {
    /// The MSH segment: `MSH|^~\&|3|4|5|6|7||9|10|P|12` + CR.
    pub fn emit(&self, out: &mut Vec<u8>) {
        segment(
            out,
            &[
                "MSH",
                "^~\\&",
                self.sending_application,
                self.sending_facility,
                self.receiving_application,
                self.receiving_facility,
                self.timestamp,
                "",
                self.message_type,
                self.control_id,
                "P", // MSH-11 processing id: production
                self.version,
            ],
        );
    }
}

/// Appends one segment: `fields` joined by `|`, then CR.
pub fn segment(out: &mut Vec<u8>, fields: &[&str]) {
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            out.push(b'|');
        }
        out.extend_from_slice(f.as_bytes());
    }
    out.push(CR);
}

/// Wraps `message` (segments, each ended by CR) in an MLLP block.
pub fn mllp(message: &[u8], out: &mut Vec<u8>) {
    out.reserve(message.len() + 3);
    out.push(START_BLOCK);
    out.extend_from_slice(message);
    out.extend_from_slice(&[END_BLOCK, CR]);
}

/// An original-mode acknowledgement (ch. 2.9.2) of the message whose control id is
/// `acked_control_id`: MSH with the applications swapped by the caller, then
/// `MSA|AA|<control id>`.
pub fn ack(header: &Header<'_>, acked_control_id: &str, out: &mut Vec<u8>) {
    header.emit(out);
    segment(out, &["MSA", "AA", acked_control_id]);
}
