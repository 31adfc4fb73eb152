//! Modbus/TCP ADUs (Modbus Messaging on TCP/IP Implementation Guide V1.0b; Modbus
//! Application Protocol Specification V1.1b3): the MBAP header (Guide §3.1.3) before a PDU,
//! Read Device Identification (function 43 / MEI type 14, Protocol §6.21), with which a
//! server names its vendor, product and revision, and Read Holding Registers (function 3,
//! Protocol §6.3), the everyday poll.

/// The Modbus/TCP server port (Guide §4.1.2).
pub const PORT: u16 = 502;

/// Function codes (Protocol §5.1).
pub mod function {
    /// Read Holding Registers (§6.3).
    pub const READ_HOLDING_REGISTERS: u8 = 0x03;
    /// Encapsulated Interface Transport (§6.19).
    pub const ENCAPSULATED_INTERFACE: u8 = 0x2b;
}

/// MEI type Read Device Identification (§6.21).
pub const MEI_READ_DEVICE_ID: u8 = 0x0e;

/// Read Device ID codes (§6.21): which objects a request asks for.
pub mod read_code {
    /// Basic device identification, stream access (objects 0x00–0x02).
    pub const BASIC: u8 = 0x01;
    /// Regular device identification, stream access (objects 0x03–0x7f).
    pub const REGULAR: u8 = 0x02;
    /// Extended device identification, stream access (0x80–0xff).
    pub const EXTENDED: u8 = 0x03;
    /// One specific object (individual access).
    pub const SPECIFIC: u8 = 0x04;
}

/// Read Device Identification object ids (§6.21, basic and regular categories).
pub mod object {
    /// VendorName (basic, mandatory).
    pub const VENDOR_NAME: u8 = 0x00;
    /// ProductCode (basic, mandatory).
    pub const PRODUCT_CODE: u8 = 0x01;
    /// MajorMinorRevision (basic, mandatory).
    pub const MAJOR_MINOR_REVISION: u8 = 0x02;
    /// VendorUrl (regular, optional).
    pub const VENDOR_URL: u8 = 0x03;
    /// ProductName (regular, optional).
    pub const PRODUCT_NAME: u8 = 0x04;
    /// ModelName (regular, optional).
    pub const MODEL_NAME: u8 = 0x05;
}

/// Conformity level "basic identification (stream access and individual access)" (§6.21).
pub const CONFORMITY_BASIC_INDIVIDUAL: u8 = 0x81;

/// The largest PDU (Protocol §4.1: 256 − server address − CRC = 253 octets).
pub const MAX_PDU: usize = 253;
/// Most registers one Read Holding Registers moves (§6.3: 1 to 125).
pub const MAX_REGISTERS: usize = 125;

/// An ADU: the MBAP header (Guide §3.1.3) — Transaction Identifier, Protocol Identifier 0
/// (Modbus), Length (the octets that follow: Unit Identifier and PDU), Unit Identifier (the
/// serial slave behind a gateway; 0xff when the server is the device itself, Guide §4.4.1.2)
/// — then `pdu` (function code and data, at most [`MAX_PDU`] octets; longer is cut).
pub fn adu(transaction_id: u16, unit_id: u8, pdu: &[u8], out: &mut Vec<u8>) {
    let pdu = pdu.get(..MAX_PDU).unwrap_or(pdu);
    out.extend_from_slice(&transaction_id.to_be_bytes());
    out.extend_from_slice(&0u16.to_be_bytes()); // Protocol Identifier 0 = Modbus
    // Length: Unit Identifier + PDU, at most 254.
    out.extend_from_slice(&(pdu.len() as u16 + 1).to_be_bytes());
    out.push(unit_id);
    out.extend_from_slice(pdu);
}

/// A Read Device Identification request (§6.21): function 43, MEI type 14, Read Device ID
/// code (a [`read_code`]; [`read_code::BASIC`] to start a basic stream) and the Object Id to
/// start from (0 for a whole stream).
pub fn read_device_id_request(
    transaction_id: u16,
    unit_id: u8,
    code: u8,
    object_id: u8,
    out: &mut Vec<u8>,
) {
    let pdu = [
        function::ENCAPSULATED_INTERFACE,
        MEI_READ_DEVICE_ID,
        code,
        object_id,
    ];
    adu(transaction_id, unit_id, &pdu, out);
}

/// The basic identification objects a server answers a basic stream request with (§6.21):
/// all three are mandatory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BasicIdentification<'a> {
    /// Object 0x00 VendorName.
    pub vendor_name: &'a str,
    /// Object 0x01 ProductCode.
    pub product_code: &'a str,
    /// Object 0x02 MajorMinorRevision, e.g. `V2.11`.
    pub revision: &'a str,
}

impl BasicIdentification<'_> {
    /// The Read Device Identification response to a basic stream request: code 01,
    /// conformity level 0x01 (basic, stream access only), objects 0x00–0x02.
    pub fn emit_response(&self, transaction_id: u16, unit_id: u8, out: &mut Vec<u8>) {
        read_device_id_response(
            transaction_id,
            unit_id,
            read_code::BASIC,
            0x01,
            &[
                (object::VENDOR_NAME, self.vendor_name.as_bytes()),
                (object::PRODUCT_CODE, self.product_code.as_bytes()),
                (object::MAJOR_MINOR_REVISION, self.revision.as_bytes()),
            ],
            out,
        );
    }
}

/// A Read Device Identification response (§6.21): function 43, MEI type 14, Read Device ID
/// code, conformity level, More Follows, Next Object Id, Number of objects, then each object
/// as Id, Length, Value. Objects that do not fit the PDU's 253 octets are left for the next
/// transaction, as §6.21 asks of stream access: More Follows 0xff and Next Object Id the first
/// one left out (a value longer than a whole response could hold is cut to fit).
pub fn read_device_id_response(
    transaction_id: u16,
    unit_id: u8,
    code: u8,
    conformity: u8,
    objects: &[(u8, &[u8])],
    out: &mut Vec<u8>,
) {
    // Function, MEI type, code, conformity, More Follows, Next Object Id, count.
    const HEADER: usize = 7;
    const MAX_VALUE: usize = MAX_PDU - HEADER - 2;
    let mut list = Vec::new();
    let mut count = 0u8;
    let mut next = None;
    for &(id, value) in objects {
        let value = value.get(..MAX_VALUE).unwrap_or(value);
        if HEADER + list.len() + 2 + value.len() > MAX_PDU {
            next = Some(id);
            break;
        }
        list.push(id); // Object Id
        list.push(value.len() as u8); // Object Length
        list.extend_from_slice(value); // Object Value
        count += 1;
    }
    let mut pdu = Vec::with_capacity(HEADER + list.len());
    pdu.push(function::ENCAPSULATED_INTERFACE);
    pdu.push(MEI_READ_DEVICE_ID);
    pdu.push(code); // Read Device ID code, as in the request
    pdu.push(conformity); // Conformity level
    pdu.push(if next.is_some() { 0xff } else { 0x00 }); // More Follows
    pdu.push(next.unwrap_or(0)); // Next Object Id: 0 when nothing follows
    pdu.push(count); // Number of objects
    pdu.extend_from_slice(&list);
    adu(transaction_id, unit_id, &pdu, out);
}

/// A Read Holding Registers request (§6.3): function 3, Starting Address, Quantity of
/// Registers (1 to [`MAX_REGISTERS`]; clamped).
pub fn read_holding_registers_request(
    transaction_id: u16,
    unit_id: u8,
    address: u16,
    quantity: u16,
    out: &mut Vec<u8>,
) {
    let quantity = quantity.clamp(1, MAX_REGISTERS as u16);
    let mut pdu = vec![function::READ_HOLDING_REGISTERS];
    pdu.extend_from_slice(&address.to_be_bytes());
    pdu.extend_from_slice(&quantity.to_be_bytes());
    adu(transaction_id, unit_id, &pdu, out);
}

/// Its response (§6.3): function 3, Byte count (2 × N), then the N register values
/// (at most [`MAX_REGISTERS`]; the rest are not sent).
pub fn read_holding_registers_response(
    transaction_id: u16,
    unit_id: u8,
    values: &[u16],
    out: &mut Vec<u8>,
) {
    let values = values.get(..MAX_REGISTERS).unwrap_or(values);
    let mut pdu = vec![function::READ_HOLDING_REGISTERS, (values.len() * 2) as u8];
    for v in values {
        pdu.extend_from_slice(&v.to_be_bytes());
    }
    adu(transaction_id, unit_id, &pdu, out);
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use model::Side;

    use super::*;
    use crate::testing::{anomalies, counter, ctx_tcp, fact, facts, hex, run_session, software};

    const ACME: BasicIdentification<'static> = BasicIdentification {
        vendor_name: "Acme Medical Gas",
        product_code: "MGC-200",
        revision: "V2.11",
    };

    #[test]
    fn adus_match_the_parsers_fixtures() {
        // modbus/tests.rs: modbus.pcap frames 57 and 58, and the invented basic response.
        let mut b = Vec::new();
        read_holding_registers_request(1, 0x0a, 5, 2, &mut b);
        assert_eq!(b, hex("0001 0000 0006 0a 03 0005 0002"));
        let mut b = Vec::new();
        read_holding_registers_response(1, 0x0a, &[0x0009, 0x0018], &mut b);
        assert_eq!(b, hex("0001 0000 0007 0a 03 04 00090018"));
        let mut b = Vec::new();
        ACME.emit_response(1, 1, &mut b);
        let mut expected = hex("0001 0000 002a 01 2b 0e 01 01 00 00 03");
        expected.extend_from_slice(b"\x00\x10Acme Medical Gas\x01\x07MGC-200\x02\x05V2.11");
        assert_eq!(b, expected);
        let mut b = Vec::new();
        read_device_id_request(0, 0xff, read_code::BASIC, 0, &mut b);
        assert_eq!(b, hex("0000 0000 0005 ff 2b 0e 01 00"));
    }

    #[test]
    fn identification_and_a_register_poll_are_read_back() {
        let mut c = Vec::new();
        read_device_id_request(1, 1, read_code::BASIC, 0, &mut c);
        read_holding_registers_request(2, 1, 0x0010, 3, &mut c);
        let mut s = Vec::new();
        ACME.emit_response(1, 1, &mut s);
        read_holding_registers_response(2, 1, &[415, 0, 0xffff], &mut s);

        let (name, obs, mut col) =
            run_session(ctx_tcp(PORT), &[(Side::Client, &c), (Side::Server, &s)]);
        assert_eq!(name, Some("modbus"));
        assert_eq!(
            facts(&obs),
            vec![
                (
                    "server",
                    "modbus.vendor_name",
                    "Acme Medical Gas".to_string()
                ),
                ("server", "modbus.product_code", "MGC-200".into()),
                ("server", "modbus.revision", "V2.11".into()),
            ]
        );
        assert_eq!(fact(&obs, "modbus.revision"), Some("V2.11"));
        assert_eq!(
            software(&obs),
            vec![(
                "server",
                "Acme Medical Gas MGC-200".into(),
                Some("V2.11".into())
            )]
        );
        assert!(anomalies(&obs).is_empty(), "{:?}", anomalies(&obs));
        assert_eq!(counter(&col, "modbus", "messages"), 4);
        let ev = col.take_events();
        assert_eq!(ev[0].body["request"]["mei"]["code"], "RdDevId");
        assert_eq!(ev[1].body["request"]["function_code"], "RdHoldRegs");
        let rsp = &ev[2].body["response"]["mei"];
        assert_eq!(rsp["read_device_id_code"], 1);
        assert_eq!(rsp["conformity_level"], 1);
        assert_eq!(rsp["more_follows"], false);
        assert_eq!(ev[3].body["response"]["function_code"], "RdHoldRegs");
    }

    #[test]
    fn objects_past_one_pdu_are_left_for_the_next_request() {
        let long = [b'x'; 220];
        let mut s = Vec::new();
        read_device_id_response(
            9,
            1,
            read_code::REGULAR,
            CONFORMITY_BASIC_INDIVIDUAL,
            &[
                (object::VENDOR_URL, &long[..]),
                (object::PRODUCT_NAME, b"MedGas Controller"),
                (object::MODEL_NAME, b"MGC-200-EU"),
            ],
            &mut s,
        );
        // 7 header octets + 222 + 19 = 248 fit; the model name's 12 more would not.
        assert!(s.len() - 7 <= MAX_PDU);
        let mut c = Vec::new();
        read_device_id_request(9, 1, read_code::REGULAR, 0, &mut c);
        let (_, obs, mut col) =
            run_session(ctx_tcp(PORT), &[(Side::Client, &c), (Side::Server, &s)]);
        assert_eq!(fact(&obs, "modbus.product_name"), Some("MedGas Controller"));
        assert_eq!(fact(&obs, "modbus.model_name"), None);
        assert!(anomalies(&obs).is_empty(), "{:?}", anomalies(&obs));
        let ev = col.take_events();
        assert_eq!(ev[1].body["response"]["mei"]["more_follows"], true);
        // Next Object Id (after the 7-octet MBAP header and 5 PDU octets) is the model name's.
        assert_eq!(s[12], object::MODEL_NAME);
    }
}
