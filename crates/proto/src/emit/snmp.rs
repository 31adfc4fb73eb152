//! SNMPv2c messages (RFC 1901 §3, PDUs of RFC 3416 §3) in BER (ITU-T X.690, definite
//! lengths, as RFC 3417 §8 requires): a manager's GetRequest and the agent's Response, over
//! UDP to the agent's port 161.
//!
//! Message ::= SEQUENCE { version INTEGER (1 = v2c), community OCTET STRING, data PDU }, and
//! a PDU is `[n] IMPLICIT SEQUENCE { request-id, error-status, error-index, VarBindList }`.
//! The community string is the caller's: it crosses the wire in cleartext, which is what the
//! sensor reports (never its value).

/// The agent's UDP port (RFC 3417 §3).
pub const PORT: u16 = 161;

/// `version` of an SNMPv2c message (RFC 1901 §3: 1).
pub const VERSION_2C: i64 = 1;

/// RFC 3418 `system` group instances an NMS asks for first.
pub mod oid {
    /// sysDescr.0 (RFC 3418 §2): a textual description of the entity.
    pub const SYS_DESCR: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 1, 0];
    /// sysObjectID.0: the vendor's authoritative identification, under 1.3.6.1.4.1.
    pub const SYS_OBJECT_ID: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 2, 0];
    /// sysUpTime.0: TimeTicks since the network management part was re-initialised.
    pub const SYS_UP_TIME: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 3, 0];
    /// sysName.0: the administratively assigned name, by convention the FQDN.
    pub const SYS_NAME: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 5, 0];
    /// sysServices.0: an INTEGER of the OSI layers the entity serves.
    pub const SYS_SERVICES: &[u32] = &[1, 3, 6, 1, 2, 1, 1, 7, 0];
}

/// PDU tags (RFC 3416 §3: context-specific, constructed).
pub mod pdu {
    /// GetRequest-PDU `[0]`.
    pub const GET_REQUEST: u8 = 0xa0;
    /// GetNextRequest-PDU `[1]`.
    pub const GET_NEXT_REQUEST: u8 = 0xa1;
    /// Response-PDU `[2]`.
    pub const RESPONSE: u8 = 0xa2;
}

/// A varbind value (RFC 3416 §3 ObjectSyntax, the kinds agents answer the `system` group
/// with).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Value<'a> {
    /// OCTET STRING (X.690 §8.7), e.g. sysDescr, sysName.
    OctetString(&'a [u8]),
    /// OBJECT IDENTIFIER (X.690 §8.19), e.g. sysObjectID.
    ObjectIdentifier(&'a [u32]),
    /// INTEGER (X.690 §8.3; RFC 2578 Integer32).
    Integer(i64),
    /// TimeTicks (RFC 2578 §7.1.8: `[APPLICATION 3]`, hundredths of a second).
    TimeTicks(u32),
    /// NULL (X.690 §8.8): RFC 3416's `unSpecified`, the value of every varbind in a request.
    Null,
}

/// A variable binding: the object instance's OID and its value (RFC 3416 §3 VarBind).
pub type Varbind<'a> = (&'a [u32], Value<'a>);

/// A v2c GetRequest (RFC 3416 §4.2.1) for `oids`, each bound to NULL.
pub fn get_request(community: &str, request_id: i32, oids: &[&[u32]], out: &mut Vec<u8>) {
    let varbinds: Vec<Varbind<'_>> = oids.iter().map(|&o| (o, Value::Null)).collect();
    message(community, pdu::GET_REQUEST, request_id, &varbinds, out);
}

/// A v2c Response (RFC 3416 §4.2.1, §3) answering request `request_id` with `varbinds`,
/// error-status noError.
pub fn get_response(community: &str, request_id: i32, varbinds: &[Varbind<'_>], out: &mut Vec<u8>) {
    message(community, pdu::RESPONSE, request_id, varbinds, out);
}

/// A whole v2c message (RFC 1901 §3) carrying one PDU of type `pdu_type` (a [`pdu`] tag),
/// error-status and error-index 0.
pub fn message(
    community: &str,
    pdu_type: u8,
    request_id: i32,
    varbinds: &[Varbind<'_>],
    out: &mut Vec<u8>,
) {
    // RFC 3416 §3: VarBindList ::= SEQUENCE OF VarBind; VarBind ::= SEQUENCE { name, value }.
    let mut list = Vec::new();
    for (name, value) in varbinds {
        let mut vb = Vec::new();
        ber::oid(name, &mut vb);
        match *value {
            Value::OctetString(s) => ber::tlv(ber::tag::OCTET_STRING, s, &mut vb),
            Value::ObjectIdentifier(o) => ber::oid(o, &mut vb),
            Value::Integer(n) => ber::integer(ber::tag::INTEGER, n, &mut vb),
            Value::TimeTicks(t) => ber::integer(ber::tag::TIME_TICKS, i64::from(t), &mut vb),
            Value::Null => ber::tlv(ber::tag::NULL, &[], &mut vb),
        }
        ber::tlv(ber::tag::SEQUENCE, &vb, &mut list);
    }
    // RFC 3416 §3 PDU ::= SEQUENCE { request-id Integer32, error-status, error-index,
    // variable-bindings }.
    let mut body = Vec::new();
    ber::integer(ber::tag::INTEGER, i64::from(request_id), &mut body);
    ber::integer(ber::tag::INTEGER, 0, &mut body); // error-status noError(0)
    ber::integer(ber::tag::INTEGER, 0, &mut body); // error-index 0
    ber::tlv(ber::tag::SEQUENCE, &list, &mut body);
    // RFC 1901 §3 Message ::= SEQUENCE { version, community, data }.
    let mut msg = Vec::new();
    ber::integer(ber::tag::INTEGER, VERSION_2C, &mut msg);
    ber::tlv(ber::tag::OCTET_STRING, community.as_bytes(), &mut msg);
    ber::tlv(pdu_type, &body, &mut msg);
    ber::tlv(ber::tag::SEQUENCE, &msg, out);
}

/// A tiny BER writer (ITU-T X.690 §8): single-octet tags, definite lengths in the shortest
/// form, contents built first so their length is known.
pub mod ber {
    /// Identifier octets used by SNMP (X.690 §8.1.2; RFC 2578 §7.1 application tags).
    pub mod tag {
        /// INTEGER (universal 2).
        pub const INTEGER: u8 = 0x02;
        /// OCTET STRING (universal 4).
        pub const OCTET_STRING: u8 = 0x04;
        /// NULL (universal 5).
        pub const NULL: u8 = 0x05;
        /// OBJECT IDENTIFIER (universal 6).
        pub const OID: u8 = 0x06;
        /// SEQUENCE (universal 16, constructed).
        pub const SEQUENCE: u8 = 0x30;
        /// TimeTicks (`[APPLICATION 3]` IMPLICIT INTEGER).
        pub const TIME_TICKS: u8 = 0x43;
    }

    /// A length octet run (X.690 §8.1.3): short form below 128 (§8.1.3.4), else long form,
    /// `0x80 | n` then the length in `n` big-endian octets, no leading zero (§8.1.3.5).
    pub fn length(len: usize, out: &mut Vec<u8>) {
        if len < 0x80 {
            out.push(len as u8);
            return;
        }
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        let significant = bytes.get(skip..).unwrap_or_default();
        out.push(0x80 | significant.len() as u8);
        out.extend_from_slice(significant);
    }

    /// One TLV: `tag`, the length of `contents`, `contents`.
    pub fn tlv(tag: u8, contents: &[u8], out: &mut Vec<u8>) {
        out.push(tag);
        length(contents.len(), out);
        out.extend_from_slice(contents);
    }

    /// An INTEGER-encoded value under `tag` (X.690 §8.3): two's complement, big-endian, in
    /// the fewest octets — the first nine bits are never all zeros or all ones (§8.3.2).
    pub fn integer(tag: u8, value: i64, out: &mut Vec<u8>) {
        let bytes = value.to_be_bytes();
        let mut start = 0;
        while start < bytes.len() - 1 {
            let (b, next) = (bytes[start], bytes[start + 1]);
            // Redundant leading octet: it only repeats the next octet's sign bit.
            if (b == 0x00 && next & 0x80 == 0) || (b == 0xff && next & 0x80 != 0) {
                start += 1;
            } else {
                break;
            }
        }
        tlv(tag, bytes.get(start..).unwrap_or_default(), out);
    }

    /// An OBJECT IDENTIFIER (X.690 §8.19): the first two arcs packed into one
    /// sub-identifier as `40 × x + y` (§8.19.4), then each arc in base 128, high bit set on
    /// all octets but the last (§8.19.2). Missing leading arcs count as 0 (an OID has at
    /// least two, RFC 2578 §3.5).
    pub fn oid(arcs: &[u32], out: &mut Vec<u8>) {
        let mut contents = Vec::with_capacity(arcs.len() + 4);
        let first = |i: usize| u64::from(arcs.get(i).copied().unwrap_or(0));
        sub_identifier(40 * first(0) + first(1), &mut contents);
        for &arc in arcs.iter().skip(2) {
            sub_identifier(u64::from(arc), &mut contents);
        }
        tlv(tag::OID, &contents, out);
    }

    /// One sub-identifier in base 128, most significant group first (X.690 §8.19.2).
    fn sub_identifier(mut v: u64, out: &mut Vec<u8>) {
        let mut groups = [0u8; 10];
        let mut n = 0;
        loop {
            groups[n] = (v & 0x7f) as u8;
            n += 1;
            v >>= 7;
            if v == 0 {
                break;
            }
        }
        for i in (0..n).rev() {
            let more = if i > 0 { 0x80 } else { 0 };
            out.push(groups[i] | more);
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use model::Side;

    use super::*;
    use crate::testing::{anomalies, ctx_udp, exposures, fact, facts, hex, run_session, software};

    /// RFC 1157 §4 / RFC 3416 §3: the annotated GetRequest of `snmp/tests.rs` (v2c,
    /// community 's3cr3tComm', request-id 42, sysName.0 = NULL).
    const GET_SYSNAME: &str = "30 2a 02 01 01 04 0a 73 33 63 72 33 74 43 6f 6d 6d
        a0 19 02 01 2a 02 01 00 02 01 00 30 0e 30 0c 06 08 2b 06 01 02 01 01 05 00 05 00";

    #[test]
    fn get_request_matches_the_parsers_annotated_fixture() {
        let mut b = Vec::new();
        get_request("s3cr3tComm", 42, &[oid::SYS_NAME], &mut b);
        assert_eq!(b, hex(GET_SYSNAME));
    }

    #[test]
    fn ber_lengths_integers_and_oids_take_the_shortest_form() {
        let len = |n| {
            let mut v = Vec::new();
            ber::length(n, &mut v);
            v
        };
        // X.690 §8.1.3.4 and §8.1.3.5.
        assert_eq!(len(0), [0x00]);
        assert_eq!(len(127), [0x7f]);
        assert_eq!(len(128), [0x81, 0x80]);
        assert_eq!(len(255), [0x81, 0xff]);
        assert_eq!(len(256), [0x82, 0x01, 0x00]);
        assert_eq!(len(70_000), [0x83, 0x01, 0x11, 0x70]);
        let int = |n| {
            let mut v = Vec::new();
            ber::integer(ber::tag::INTEGER, n, &mut v);
            v
        };
        // X.690 §8.3.2: no redundant leading octets.
        assert_eq!(int(0), [0x02, 0x01, 0x00]);
        assert_eq!(int(127), [0x02, 0x01, 0x7f]);
        assert_eq!(int(128), [0x02, 0x02, 0x00, 0x80]);
        assert_eq!(int(-1), [0x02, 0x01, 0xff]);
        assert_eq!(int(-128), [0x02, 0x01, 0x80]);
        assert_eq!(int(-129), [0x02, 0x02, 0xff, 0x7f]);
        assert_eq!(int(i64::MIN), [&[0x02, 0x08, 0x80][..], &[0; 7]].concat());
        let mut v = Vec::new();
        ber::integer(ber::tag::TIME_TICKS, i64::from(u32::MAX), &mut v);
        assert_eq!(v, [0x43, 0x05, 0x00, 0xff, 0xff, 0xff, 0xff]);
        // X.690 §8.19.5's example {2 100 3} and a multi-octet arc.
        let mut v = Vec::new();
        ber::oid(&[2, 100, 3], &mut v);
        assert_eq!(v, [0x06, 0x03, 0x81, 0x34, 0x03]);
        let mut v = Vec::new();
        ber::oid(&[1, 3, 6, 1, 4, 1, 8072], &mut v);
        assert_eq!(v, [0x06, 0x07, 0x2b, 0x06, 0x01, 0x04, 0x01, 0xbf, 0x08]);
    }

    #[test]
    fn system_group_get_and_response_are_read_back() {
        // Over 127 bytes, so the message, PDU, list and this value take long-form lengths.
        let descr = "Philips IntelliVue MX800 Version 3.2.1 patient monitor, \
                     network interface module NIM-7 build 2026-01-15, serial interface disabled";
        assert!(descr.len() > 127);
        let object_id: &[u32] = &[1, 3, 6, 1, 4, 1, 311, 1, 1, 3, 1, 2];
        let mut rq = Vec::new();
        get_request(
            "hosp-ro-7",
            0x1234_5678,
            &[
                oid::SYS_DESCR,
                oid::SYS_OBJECT_ID,
                oid::SYS_UP_TIME,
                oid::SYS_NAME,
                oid::SYS_SERVICES,
            ],
            &mut rq,
        );
        let mut rp = Vec::new();
        get_response(
            "hosp-ro-7",
            0x1234_5678,
            &[
                (oid::SYS_DESCR, Value::OctetString(descr.as_bytes())),
                (oid::SYS_OBJECT_ID, Value::ObjectIdentifier(object_id)),
                (oid::SYS_UP_TIME, Value::TimeTicks(3_600_000)),
                (oid::SYS_NAME, Value::OctetString(b"icu-mon-12")),
                (oid::SYS_SERVICES, Value::Integer(72)),
            ],
            &mut rp,
        );
        assert_eq!(rp[1], 0x82, "long-form message length, two octets");

        let (name, obs, mut c) =
            run_session(ctx_udp(PORT), &[(Side::Client, &rq), (Side::Server, &rp)]);
        assert_eq!(name, Some("snmp"));
        assert_eq!(
            facts(&obs),
            vec![
                ("server", "snmp.sys_descr", descr.to_string()),
                (
                    "server",
                    "snmp.sys_object_id",
                    "1.3.6.1.4.1.311.1.1.3.1.2".into()
                ),
                ("server", "snmp.enterprise", "311".into()),
                ("server", "snmp.sys_name", "icu-mon-12".into()),
            ]
        );
        assert_eq!(
            software(&obs),
            vec![("server", "Philips".into(), Some("3.2.1".into()))]
        );
        assert!(anomalies(&obs).is_empty(), "{:?}", anomalies(&obs));
        assert_eq!(exposures(&obs).len(), 1, "the community, once per flow");
        let events = c.take_events();
        assert_eq!(events[0].body["pdu_type"], "get_request");
        assert_eq!(events[0].body["version"], 2);
        assert_eq!(events[0].body["vars"][1], "1.3.6.1.2.1.1.2.0");
        assert_eq!(events[1].body["pdu_type"], "response");
        assert!(events[1].body.get("error").is_none());
        let all = format!("{obs:?}{events:?}");
        assert!(!all.contains("hosp-ro-7"), "community leaked");
        assert!(fact(&obs, "snmp.engine_id").is_none());
    }
}
