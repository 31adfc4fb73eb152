//! SNMP fixtures: hand-annotated messages (RFC 1157 §4, RFC 3416 §3, RFC 3412 §6, RFC 3414
//! §2.4) and real datagrams from the corpus, with expected values taken from tshark.

use super::*;
use crate::testing::{
    Harness, anomalies, ctx_udp, exposures, fact, facts, hex, mutated_datagrams, run_session,
    software,
};

/// A TLV with a definite length (short or long form).
fn tlv(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut v = vec![tag];
    let n = body.len();
    if n < 0x80 {
        v.push(n as u8);
    } else {
        let bytes = (n as u32).to_be_bytes();
        let skip = bytes.iter().take_while(|&&b| b == 0).count();
        v.push(0x80 | (4 - skip) as u8);
        v.extend_from_slice(&bytes[skip..]);
    }
    v.extend_from_slice(body);
    v
}

/// v2c GetRequest for sysName.0 with community "s3cr3tComm".
const GET_SYSNAME: &str = "
    30 2a                               -- RFC 1157 §4 Message SEQUENCE, 42 bytes
      02 01 01                          -- version INTEGER 1 (v2c, RFC 1901 §3)
      04 0a 73 33 63 72 33 74 43 6f 6d 6d -- community OCTET STRING 's3cr3tComm'
      a0 19                             -- RFC 3416 §3 GetRequest-PDU [0], 25 bytes
        02 01 2a                        -- request-id 42
        02 01 00                        -- error-status noError
        02 01 00                        -- error-index 0
        30 0e                           -- VarBindList SEQUENCE
          30 0c                         -- VarBind SEQUENCE
            06 08 2b 06 01 02 01 01 05 00 -- name OID 1.3.6.1.2.1.1.5.0 (sysName.0)
            05 00                       -- value NULL (unSpecified)
";

/// The agent's Response: sysName.0 = "pump-07".
const RESPONSE_SYSNAME: &str = "
    30 31                               -- Message SEQUENCE, 49 bytes
      02 01 01                          -- version v2c
      04 0a 73 33 63 72 33 74 43 6f 6d 6d -- community 's3cr3tComm'
      a2 20                             -- RFC 3416 §3 Response-PDU [2], 32 bytes
        02 01 2a                        -- request-id 42
        02 01 00                        -- error-status noError
        02 01 00                        -- error-index 0
        30 15                           -- VarBindList
          30 13                         -- VarBind
            06 08 2b 06 01 02 01 01 05 00 -- name sysName.0
            04 07 70 75 6d 70 2d 30 37  -- value OCTET STRING 'pump-07'
";

/// A SetRequest writing sysName.0 = "rogue": a manager's wish, not the agent's identity.
const SET_SYSNAME: &str = "
    30 2f                               -- Message SEQUENCE, 47 bytes
      02 01 01                          -- version v2c
      04 0a 73 33 63 72 33 74 43 6f 6d 6d -- community 's3cr3tComm'
      a3 1e                             -- RFC 3416 §3 SetRequest-PDU [3]
        02 01 2b 02 01 00 02 01 00      -- request-id 43, error-status, error-index
        30 13                           -- VarBindList
          30 11                         -- VarBind
            06 08 2b 06 01 02 01 01 05 00 -- name sysName.0
            04 05 72 6f 67 75 65        -- value 'rogue'
";

fn assert_no_secret<P: AppParser>(h: &mut Harness<P>, secrets: &[&str]) {
    let all = format!("{:?}{:?}", h.observations(), h.events());
    for s in secrets {
        assert!(!all.contains(s), "{s} leaked");
    }
}

#[test]
fn annotated_v2c_get_and_response() {
    let mut h = Harness::<Snmp>::udp(161);
    assert_eq!(h.feed(Side::Client, &hex(GET_SYSNAME)), Verdict::Continue);
    h.feed(Side::Server, &hex(RESPONSE_SYSNAME));
    let obs = h.observations();
    assert_eq!(
        facts(&obs),
        vec![("server", "snmp.sys_name", "pump-07".to_string())]
    );
    let e = exposures(&obs);
    assert_eq!(e.len(), 1, "once per flow");
    assert_eq!(e[0].kind, ExposureKind::CleartextCredentials);
    assert_eq!(e[0].side, Side::Client);
    assert_eq!(e[0].fields, vec!["community".to_string()]);
    let ev = h.events();
    assert_eq!(ev.len(), 2);
    let first = Value::Object(ev[0].body.clone());
    assert_eq!(first["version"], 2);
    assert_eq!(first["pdu_type"], "get_request");
    assert_eq!(first["vars"][0], "1.3.6.1.2.1.1.5.0");
    assert_eq!(first["community_present"], true);
    assert!(first.get("community").is_none());
    assert_eq!(ev[1].body["pdu_type"], "response");
    assert_no_secret(&mut h, &["s3cr3tComm", "s3cr3t"]);
    assert_eq!(h.counter("messages"), 2);
}

#[test]
fn set_request_values_are_not_facts() {
    let mut h = Harness::<Snmp>::udp(161);
    h.feed(Side::Client, &hex(SET_SYSNAME));
    let obs = h.observations();
    assert!(facts(&obs).is_empty());
    assert_eq!(h.events()[0].body["pdu_type"], "set_request");
    assert_no_secret(&mut h, &["s3cr3tComm", "rogue"]);
}

/// zeek/testing/btest/Traces/snmp/snmpwalk-short.pcap frames 1, 2, 4 and 10 (a v2c walk of
/// the system group). Expected values from `tshark -e snmp.name -e snmp.value.octets -e
/// snmp.value.oid`: sysDescr "Linux ubuntu-512mb-sfo2-01 4.4.0-31-generic ...", sysObjectID
/// 1.3.6.1.4.1.8072.3.2.10 (net-snmp), sysName "ubuntu-512mb-sfo2-01".
const WALK_REQ: &str =
    "302602010104067075626c6963a119020409584e45020100020100300b300906052b060102010500";
const WALK_DESCR: &str = "30819002010104067075626c6963a28182020409584e450201000201003074307206082b0601020101010004664c696e7578207562756e74752d3531326d622d73666f322d303120342e342e302d33312d67656e65726963202335307e31342e30342e312d5562756e747520534d5020576564204a756c2031332030313a30373a3332205554432032303136207838365f3634";
const WALK_OBJID: &str = "303302010104067075626c6963a226020409584e460201000201003018301606082b0601020101020006 0a2b06010401bf0803020a";
const WALK_NAME: &str = "303d02010104067075626c6963a230020409584e490201000201003022302006082b0601020101050004147562756e74752d3531326d622d73666f322d3031";

#[test]
fn corpus_snmpwalk_names_the_agent_as_tshark_does() {
    let (req, d, o, n) = (
        hex(WALK_REQ),
        hex(WALK_DESCR),
        hex(WALK_OBJID),
        hex(WALK_NAME),
    );
    let (name, obs, c) = run_session(
        ctx_udp(161),
        &[
            (Side::Client, &req),
            (Side::Server, &d),
            (Side::Server, &o),
            (Side::Server, &n),
        ],
    );
    assert_eq!(name, Some("snmp"));
    assert_eq!(
        fact(&obs, "snmp.sys_descr"),
        Some(
            "Linux ubuntu-512mb-sfo2-01 4.4.0-31-generic #50~14.04.1-Ubuntu SMP Wed Jul 13 \
             01:07:32 UTC 2016 x86_64"
        )
    );
    assert_eq!(
        fact(&obs, "snmp.sys_object_id"),
        Some("1.3.6.1.4.1.8072.3.2.10")
    );
    assert_eq!(fact(&obs, "snmp.enterprise"), Some("8072"));
    assert_eq!(fact(&obs, "snmp.sys_name"), Some("ubuntu-512mb-sfo2-01"));
    assert!(facts(&obs).iter().all(|(side, _, _)| *side == "server"));
    // The second word is a host name, not a version: product only.
    assert_eq!(software(&obs), vec![("server", "Linux".into(), None)]);
    assert_eq!(exposures(&obs).len(), 1);
    assert!(!format!("{obs:?}").contains("public"));
    assert_eq!(crate::testing::counter(&c, "snmp", "messages"), 4);
}

/// zeek/testing/btest/Traces/snmp/snmpv3_get_next.pcap frames 1–4 (engine discovery, then
/// a noAuthNoPriv GetNext by user "username"). tshark: snmp.msgAuthoritativeEngineID
/// 80001f8880a9498e5e3a2c3043, snmp.engineid.enterprise 8072.
const V3_FRAMES: [&str; 4] = [
    "303d02010330100204207b2f72020240000401040201030410300e040002012a02012a040004000400301404000400a00e0204207b2f720201000201003000",
    "306a02010330100204207b2f7202024000040100020103041d301b040d80001f8880a9498e5e3a2c30430201dd0201dd0400040004003034040d80001f8880a9498e5e3a2c30430400a8210204207b2f720201000201003013301106092b060106030f010100410400000003",
    "307902010330100204207b2f72020240000401040201030431302f040d80001f8880a9498e5e3a2c30430201dd0201dd0408757365726e616d65040c0000000000000000000000000400302f040d80001f8880a9498e5e3a2c30430400a11c0204207b2f72020100020100300e300c06082b060102010106000500",
    "306d02010330100204207b2f720202400004010002010304253023040d80001f8880a9498e5e3a2c30430201dd0201dd0408757365726e616d6504000400302f040d80001f8880a9498e5e3a2c30430400a21c0204207b2f72020100020100300e300c06082b060102010106000400",
];

#[test]
fn corpus_v3_engine_id_is_about_the_agent() {
    let mut h = Harness::<Snmp>::udp(161);
    for (i, f) in V3_FRAMES.iter().enumerate() {
        let side = if i % 2 == 0 {
            Side::Client
        } else {
            Side::Server
        };
        h.feed(side, &hex(f));
    }
    let obs = h.observations();
    assert_eq!(
        facts(&obs),
        vec![
            (
                "server",
                "snmp.engine_id",
                "80001f8880a9498e5e3a2c3043".to_string()
            ),
            ("server", "snmp.enterprise", "8072".to_string()),
        ]
    );
    assert!(exposures(&obs).is_empty());
    let ev = h.events();
    assert_eq!(ev[1].body["pdu_type"], "report");
    assert_eq!(ev[2].body["usm_present"], true);
    assert_eq!(ev[2].body["security_level"], "noAuthNoPriv");
    assert_eq!(ev[2].body["version"], 3);
    assert_no_secret(&mut h, &["username"]);
}

/// suricata-verify/tests/snmp-v3-encrypted/SNMPv3.pcap frames 3 and 4 (authPriv, user
/// "admin"). tshark: engine ID 000039e7000000a1c0a81da0, snmp.engineid.enterprise 14823
/// (the older 12-octet format, high bit clear).
const V3_ENC_REQ: &str = "307f020103300f02030091c90202080004010702010304383036040c000039e7000000a1c0a81da0020202f0020302fde7040561646d696e040cac1663903625bedee6f324660408cb26d90073efc352042f14094a43804d88fc6f523fe1b2aa27dc1faf23afdf770307ec27291d55348436405a858eb23a56b157716eb85a5143";

#[test]
fn corpus_v3_encrypted_pdu_is_not_decoded() {
    let mut h = Harness::<Snmp>::udp(161);
    // The request is reportable: the receiver (the server) is authoritative.
    h.feed(Side::Client, &hex(V3_ENC_REQ));
    let obs = h.observations();
    assert_eq!(
        facts(&obs),
        vec![
            (
                "server",
                "snmp.engine_id",
                "000039e7000000a1c0a81da0".to_string()
            ),
            ("server", "snmp.enterprise", "14823".to_string()),
        ]
    );
    let ev = h.events();
    assert_eq!(ev[0].body["security_level"], "authPriv");
    assert_eq!(ev[0].body["encrypted"], true);
    assert!(ev[0].body.get("pdu_type").is_none());
    assert_no_secret(&mut h, &["admin"]);
}

/// suricata-verify/tests/firewall/ruletype-firewall-54-snmp-v1-trap/
/// public-wiresharkwiki-c06-snmpv1-trap-app-r1-1-12.pcap frame 1: a v1 Trap from port 1040 to
/// 162. tshark: snmp.enterprise 1.3.6.1.4.1.4.1.2.21, agent-addr 127.0.0.1, coldStart.
const V1_TRAP: &str = "303802010004067075626c6963a42b06092b060104010401021540047f000001020100020100430100300f300d06082b06010201020100020121";

#[test]
fn corpus_v1_trap_names_the_sender() {
    let t = hex(V1_TRAP);
    let (name, obs, _) = run_session(ctx_udp(162), &[(Side::Client, &t)]);
    assert_eq!(name, Some("snmp"));
    assert_eq!(
        facts(&obs),
        vec![
            (
                "client",
                "snmp.sys_object_id",
                "1.3.6.1.4.1.4.1.2.21".to_string()
            ),
            ("client", "snmp.enterprise", "4".to_string()),
        ]
    );
    let e = exposures(&obs);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].subject, "SNMPv1 community");
    assert!(!format!("{obs:?}").contains("public"));
    let mut h = Harness::<Snmp>::udp(162);
    h.feed(Side::Client, &t);
    let ev = h.events();
    assert_eq!(ev[0].body["version"], 1);
    assert_eq!(ev[0].body["pdu_type"], "trap_v1");
    assert_eq!(ev[0].body["trap_type"]["trap_type"], "coldStart");
    assert_eq!(ev[0].body["trap_type"]["address"], "127.0.0.1");
    assert_eq!(ev[0].body["vars"][0], "1.3.6.1.2.1.2.1.0");
}

#[test]
fn v1_trap_with_snmp_traps_enterprise_is_not_a_sys_object_id() {
    // The same trap with enterprise 1.3.6.1.6.3.1.1.5 (snmpTraps, RFC 3584 §3.1), as
    // nDPI/tests/cfgs/default/pcap/snmp.pcap has it.
    let mut t = hex(V1_TRAP);
    let at = t
        .windows(11)
        .position(|w| w == hex("06 09 2b 06 01 04 01 04 01 02 15"))
        .unwrap();
    t.splice(at..at + 11, hex("06 09 2b 06 01 06 03 01 01 05 00"));
    let mut h = Harness::<Snmp>::udp(162);
    h.feed(Side::Client, &t);
    assert!(facts(&h.observations()).is_empty());
    assert_eq!(
        h.events()[0].body["trap_type"]["oid"],
        "1.3.6.1.6.3.1.1.5.0"
    );
}

#[test]
fn sys_descr_split_is_conservative() {
    assert_eq!(
        split_descr(
            b"Cisco IOS Software, C2960 Software (C2960-LANBASEK9-M), Version 12.2(55)SE, RELEASE"
        ),
        (&b"Cisco"[..], Some(&b"12.2(55)SE"[..]))
    );
    assert_eq!(
        split_descr(b"RICOH 1.05 x"),
        (&b"RICOH"[..], Some(&b"1.05"[..]))
    );
    assert_eq!(
        split_descr(b"HP ETHERNET MULTI-ENVIRONMENT"),
        (&b"HP"[..], None)
    );
    assert_eq!(split_descr(b"   "), (&b""[..], None));
}

#[test]
fn probe_is_strict() {
    let ctx = ctx_udp(161);
    assert_eq!(
        Snmp::probe(&hex(GET_SYSNAME), Side::Client, &ctx),
        Probe::Yes
    );
    assert_eq!(
        Snmp::probe(&hex(V3_FRAMES[0]), Side::Client, &ctx),
        Probe::Yes
    );
    // Version 2 does not exist on the wire.
    let mut bad = hex(GET_SYSNAME);
    bad[4] = 2;
    assert_eq!(Snmp::probe(&bad, Side::Client, &ctx), Probe::No);
    // Trailing bytes after the message.
    let mut long = hex(GET_SYSNAME);
    long.push(0);
    assert_eq!(Snmp::probe(&long, Side::Client, &ctx), Probe::No);
    // CLDAP (RFC 1798): SEQUENCE, INTEGER message id 1, then searchRequest, not a community.
    let cldap = hex("30 0c 02 01 01 63 07 04 00 0a 01 00 0a 01 00");
    assert_eq!(Snmp::probe(&cldap, Side::Client, &ctx), Probe::No);
    assert_eq!(Snmp::probe(b"", Side::Client, &ctx), Probe::No);
    assert_eq!(Snmp::probe(b"\x30", Side::Client, &ctx), Probe::No);
}

#[test]
fn truncated_datagram_is_malformed() {
    let full = hex(RESPONSE_SYSNAME);
    let mut h = Harness::<Snmp>::udp(161);
    h.feed(Side::Server, &full[..full.len() - 3]);
    assert_eq!(anomalies(&h.observations()), vec!["snmp_ber_truncated"]);
    assert!(facts(&h.observations()).is_empty());
}

#[test]
fn hostile_length_past_the_end() {
    // SEQUENCE claiming 0x7f bytes with only a few present.
    let mut h = Harness::<Snmp>::udp(161);
    h.feed(Side::Client, &hex("30 7f 02 01 01 04 01 61"));
    assert_eq!(h.counter("snmp_ber_truncated"), 1);
}

#[test]
fn hostile_four_octet_length_of_all_ones() {
    let mut h = Harness::<Snmp>::udp(161);
    h.feed(Side::Client, &hex("30 84 ff ff ff ff 02 01 01 04 00"));
    assert_eq!(h.counter("snmp_ber_truncated"), 1);
    // Five length octets are refused outright.
    h.feed(Side::Client, &hex("30 85 00 00 00 00 05 02 01 01 04 00"));
    assert_eq!(h.counter("snmp_ber_length_too_long"), 1);
    // Indefinite length (X.690 §8.1.3.6) is not SNMP.
    h.feed(Side::Client, &hex("30 80 02 01 01 00 00"));
    assert_eq!(h.counter("snmp_ber_indefinite_length"), 1);
    assert_eq!(
        Snmp::probe(
            &hex("30 84 ff ff ff ff 02 01 01 04"),
            Side::Client,
            &ctx_udp(161)
        ),
        Probe::No
    );
}

#[test]
fn hostile_nesting_depth_100() {
    let mut inner = tlv(0x02, &[1]);
    for _ in 0..100 {
        inner = tlv(0x30, &inner);
    }
    // The generic reader refuses to go deeper than MAX_DEPTH.
    let mut b = ber::Ber::new(&inner);
    let mut depth = 0;
    let err = loop {
        match b.enter(0x30) {
            Ok(next) => {
                b = next;
                depth += 1;
            }
            Err(e) => break e,
        }
    };
    assert_eq!(err, "snmp_ber_too_deep");
    assert_eq!(depth, ber::MAX_DEPTH);
    // And the parser reports it without panicking.
    let mut h = Harness::<Snmp>::udp(161);
    h.feed(Side::Client, &inner);
    assert_eq!(
        anomalies(&h.observations()),
        vec!["snmp_ber_unexpected_tag"]
    );
}

#[test]
fn hostile_ten_thousand_varbinds() {
    let vb = tlv(
        0x30,
        &[tlv(0x06, &[0x2b, 6, 1, 2, 1, 1, 5, 0]), vec![0x05, 0]].concat(),
    );
    let list = tlv(0x30, &vb.repeat(10_000));
    let pdu = tlv(0xa2, &[hex("02 01 01 02 01 00 02 01 00"), list].concat());
    let msg = tlv(
        0x30,
        &[hex("02 01 01 04 06 70 75 62 6c 69 63"), pdu].concat(),
    );
    let mut h = Harness::<Snmp>::udp(161);
    h.feed(Side::Server, &msg);
    let ev = h.events();
    assert_eq!(
        ev[0].body["vars"].as_array().map(Vec::len),
        Some(message::MAX_VARBINDS)
    );
    assert_eq!(ev[0].body["vars_truncated"], true);
    assert_eq!(h.counter("snmp_varbinds_dropped"), 1);
    assert_no_secret(&mut h, &["public"]);
}

#[test]
fn hostile_oid_subidentifier_too_long() {
    // zeek/testing/btest/Traces/snmp/snmp-oid-subidentifier-too-long.pcap's idea: a
    // sub-identifier of six continuation octets.
    assert_eq!(
        ber::oid_text(&hex("2b 81 81 81 81 81 01")),
        Err("snmp_oid_subid_too_long")
    );
    assert_eq!(ber::oid_text(&hex("2b 86")), Err("snmp_ber_bad_oid"));
    assert_eq!(
        ber::oid_text(&hex("2b 06 01 8f 51")).as_deref(),
        Ok("1.3.6.1.2001")
    );
    assert_eq!(ber::oid_text(&[0x88, 0x37, 0x03]).as_deref(), Ok("2.999.3"));
    // 129 arcs is over RFC 2578's 128.
    let mut long = vec![0x2b];
    long.extend([0x8f, 0xff, 0xff, 0x7f].repeat(127));
    assert_eq!(ber::oid_text(&long), Err("snmp_oid_too_long"));
}

#[test]
fn long_oids_are_cut_in_events() {
    // 120 arcs of 4294967295 render to over 1,000 characters.
    let mut oid = vec![0x2b];
    oid.extend([0x8f, 0xff, 0xff, 0xff, 0x7f].repeat(120));
    let vb = tlv(0x30, &[tlv(0x06, &oid), vec![0x05, 0]].concat());
    let pdu = tlv(
        0xa0,
        &[hex("02 01 01 02 01 00 02 01 00"), tlv(0x30, &vb)].concat(),
    );
    let msg = tlv(0x30, &[hex("02 01 01 04 00"), pdu].concat());
    let mut h = Harness::<Snmp>::udp(161);
    h.feed(Side::Client, &msg);
    let ev = h.events();
    let var = ev[0].body["vars"][0].as_str().unwrap();
    assert!(var.len() <= wire::text::MAX_TEXT_LEN && var.ends_with('\u{2026}'));
}

#[test]
fn engine_id_formats() {
    assert_eq!(
        message::engine_enterprise(&hex("80001f8880a9498e5e3a2c3043")),
        Some(8072)
    );
    assert_eq!(
        message::engine_enterprise(&hex("000039e7000000a1c0a81da0")),
        Some(14823)
    );
    assert_eq!(message::engine_enterprise(&hex("0000")), None);
}

#[test]
fn done_after_enough_datagrams() {
    let mut h = Harness::<Snmp>::udp(161);
    let d = hex(GET_SYSNAME);
    for _ in 1..MAX_DATAGRAMS {
        assert_eq!(h.feed(Side::Client, &d), Verdict::Continue);
    }
    assert_eq!(h.feed(Side::Client, &d), Verdict::Done);
    assert_eq!(exposures(&h.observations()).len(), 1);
}

#[test]
fn mutated_fixtures_never_panic() {
    // A deterministic xorshift: flip and truncate the fixtures a few thousand times.
    let bases: Vec<Vec<u8>> = [RESPONSE_SYSNAME, V3_FRAMES[2], V1_TRAP, WALK_DESCR]
        .iter()
        .map(|f| hex(f))
        .collect();
    mutated_datagrams::<Snmp>(161, &bases);
}
