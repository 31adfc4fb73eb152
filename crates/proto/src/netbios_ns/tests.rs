//! NetBIOS-NS fixtures: corpus datagrams (expected names from tshark's `nbns.name`,
//! `nbns.nb_flags` and node status fields) and hostile hand-made ones.

use super::*;
use crate::testing::{Harness, anomalies, ctx_udp, facts, hex, mutated_datagrams, run_session};

/// arkime/tests/pcap/nbns.pcap frame 3 (137 → 137 broadcast); tshark: opcode 5
/// (registration), nbns.name "MDJR98<00>", NB flags 0x0000 (unique), address 192.168.239.129.
const REG_MDJR98_00: &str = "
    00 08                   -- RFC 1002 §4.2.1.1 NAME_TRN_ID
    29 00                   -- R 0, OPCODE 5 (registration), NM_FLAGS RD (B 0), RCODE 0
    00 01 00 00 00 00 00 01 -- QDCOUNT 1, ANCOUNT 0, NSCOUNT 0, ARCOUNT 1
    20                      -- §4.2.1.2 QUESTION_NAME: label of 32 octets
    45 4e 45 45 45 4b 46 43 44 4a 44 49 43 41 43 41 -- 'ENEEEKFCDJDICACA' = 'MDJR98  '
    43 41 43 41 43 41 43 41 43 41 43 41 43 41 41 41 -- 'CACACACACACACAAA' = '       ' + 0x00
    00                      -- root label (no scope)
    00 20 00 01             -- QUESTION_TYPE NB, QUESTION_CLASS IN
    c0 0c                   -- §4.2.1.3 RR_NAME: pointer to offset 12
    00 20 00 01             -- RR_TYPE NB, RR_CLASS IN
    00 04 93 e0             -- TTL 300,000 s
    00 06                   -- RDLENGTH 6
    00 00                   -- §4.2.2 NB_FLAGS: G 0 (unique), ONT B
    c0 a8 ef 81             -- NB_ADDRESS 192.168.239.129
";
/// Frame 2: WORKGROUP<00>, NB flags 0x8000 (group).
const REG_WORKGROUP_00: &str = "00022900000100000000000120464845504643454c4548464345504646464143414341434143414341434141410000200001c00c00200001000493e000068000c0a8ef81";
/// Frame 4: MDJR98<20> (server service).
const REG_MDJR98_20: &str = "00062900000100000000000120454e4545454b4643444a444943414341434143414341434143414341434143410000200001c00c00200001000493e000060000c0a8ef81";
/// Frame 26: WORKGROUP<1e> (browser election), group.
const REG_WORKGROUP_1E: &str = "000a2910000100000000000120464845504643454c45484643455046464641434143414341434143414341424f0000200001c00c00200001000493e000068000c0a8ef81";
/// Frame 56: "MARTIN ROSENAU<03>": a Messenger name, i.e. a person's name.
const REG_USER_03: &str = "002e2900000100000000000120454e454246434645454a454f43414643455046444546454f45424646434141440000200001c00c00200001000493e000060000c0a8ef81";

#[test]
fn corpus_registrations_name_the_sender_and_its_workgroup() {
    let frames: Vec<Vec<u8>> = [
        REG_MDJR98_00,
        REG_WORKGROUP_00,
        REG_MDJR98_20,
        REG_WORKGROUP_1E,
        REG_USER_03,
    ]
    .iter()
    .map(|f| hex(f))
    .collect();
    let d: Vec<(Side, &[u8])> = frames.iter().map(|f| (Side::Client, &f[..])).collect();
    let (name, obs, c) = run_session(ctx_udp(137), &d);
    assert_eq!(name, Some("netbios_ns"));
    assert_eq!(
        facts(&obs),
        vec![
            ("client", "netbios.name", "MDJR98".to_string()),
            ("client", "netbios.domain", "WORKGROUP".to_string()),
        ]
    );
    assert_eq!(
        crate::testing::counter(&c, "netbios_ns", "netbios_ns_user_names_withheld"),
        1
    );
    let mut h = Harness::<NetbiosNs>::udp(137);
    for f in &frames {
        h.feed(Side::Client, f);
    }
    let ev = h.events();
    assert_eq!(ev[0].body["opcode"], "registration");
    assert_eq!(ev[0].body["broadcast"], false);
    assert_eq!(ev[3].body["broadcast"], true); // frame 26: flags 0x2910
    assert_eq!(ev[0].body["names"][0]["name"], "MDJR98");
    assert_eq!(ev[0].body["names"][0]["suffix"], "0x00");
    assert_eq!(ev[1].body["names"][1]["group"], true);
    assert_eq!(ev[4].body["names"], Value::Array(vec![]));
    let all = format!("{:?}{:?}", h.observations(), ev);
    assert!(!all.contains("MARTIN") && !all.contains("ROSENAU"));
}

/// nDPI/tests/cfgs/default/pcap/netbios.pcap frames 54 (NBSTAT query for "*" from port 57836)
/// and 55 (the node status response from port 137). tshark: names GUNNAR<00>,
/// VIGILANT_GROUP<00> (group), GUNNAR<20>, VIGILANT_GROUP<1e> (group); Unit ID
/// 00:1c:c4:10:79:0f.
const NBSTAT_Q: &str = "20a80000000100000000000020434b4141414141414141414141414141414141414141414141414141414141410000210001";
const NBSTAT_R: &str = "20a88400000000010000000020434b41414141414141414141414141414141414141414141414141414141414100002100010000000000770447554e4e4152202020202020202020000400564947494c414e545f47524f55502000840047554e4e4152202020202020202020200400564947494c414e545f47524f5550201e8400001cc410790f00000000000000000000000000000000000000000000000000000000000000000000000000000000";

#[test]
fn corpus_node_status_response_lists_the_responders_names() {
    let (q, r) = (hex(NBSTAT_Q), hex(NBSTAT_R));
    let (name, obs, _) = run_session(ctx_udp(137), &[(Side::Client, &q), (Side::Server, &r)]);
    assert_eq!(name, Some("netbios_ns"));
    assert_eq!(
        facts(&obs),
        vec![
            ("server", "netbios.name", "GUNNAR".to_string()),
            ("server", "netbios.domain", "VIGILANT_GROUP".to_string()),
            ("server", "netbios.unit_id", "00:1c:c4:10:79:0f".to_string()),
        ]
    );
    let mut h = Harness::<NetbiosNs>::udp(137);
    h.feed(Side::Server, &r);
    let ev = h.events();
    let names = ev[0].body["names"].as_array().unwrap();
    assert_eq!(names.len(), 5); // the "*" record plus four node names
    assert_eq!(names[2]["name"], "VIGILANT_GROUP");
    assert_eq!(names[2]["section"], "node_status");
    assert_eq!(names[4]["suffix"], "0x1e");
}

#[test]
fn corpus_query_target_is_not_a_fact() {
    // nDPI netbios.pcap frame 1: a broadcast name query for XSTREAM_HY<00> (tshark
    // nbns.name "XSTREAM_HY<00>").
    let q = hex(
        "a7490110000100000000000020464946444645464345464542454e46504549464a4341434143414341434141410000200001",
    );
    let mut h = Harness::<NetbiosNs>::udp(137);
    h.feed(Side::Client, &q);
    assert!(facts(&h.observations()).is_empty());
    let ev = h.events();
    assert_eq!(ev[0].body["opcode"], "query");
    assert_eq!(ev[0].body["names"][0]["name"], "XSTREAM_HY");
    assert_eq!(ev[0].body["names"][0]["section"], "query");
}

#[test]
fn probe_needs_port_137_and_an_encoded_name() {
    let reg = hex(REG_MDJR98_00);
    assert_eq!(
        NetbiosNs::probe(&reg, Side::Client, &ctx_udp(137)),
        Probe::Yes
    );
    // The port is required: the header is DNS's.
    assert_eq!(
        NetbiosNs::probe(&reg, Side::Client, &ctx_udp(53)),
        Probe::No
    );
    // A DNS query for www.example.com on port 137 is not NBNS.
    let dns = hex("1234 0100 0001 0000 0000 0000 03777777076578616d706c6503636f6d00 0001 0001");
    assert_eq!(
        NetbiosNs::probe(&dns, Side::Client, &ctx_udp(137)),
        Probe::No
    );
    // Opcode 3 does not exist.
    let mut bad = reg.clone();
    bad[2] = 0x19;
    assert_eq!(
        NetbiosNs::probe(&bad, Side::Client, &ctx_udp(137)),
        Probe::No
    );
    assert_eq!(
        NetbiosNs::probe(&reg[..30], Side::Client, &ctx_udp(137)),
        Probe::No
    );
}

#[test]
fn hostile_compression_pointer_loop() {
    // The record's name is a pointer to itself (offset 50): a loop.
    let mut d = hex(REG_MDJR98_00);
    d[50] = 0xc0;
    d[51] = 50;
    let mut h = Harness::<NetbiosNs>::udp(137);
    h.feed(Side::Client, &d);
    // A forward pointer (past the end) is refused too.
    d[51] = 0xff;
    h.feed(Side::Client, &d);
    assert_eq!(
        anomalies(&h.observations()),
        vec!["netbios_ns_pointer_loop"]
    );
    assert_eq!(h.counter("netbios_ns_pointer_loop"), 2);
}

#[test]
fn hostile_pointer_chain_is_bounded() {
    // 300 records, each name a pointer to the question name: read up to 64, rest counted.
    let mut d = hex("0001 2800 0001 0000 0000 012c");
    // The question of frame 3 (name at offset 12, type and class).
    d.extend_from_slice(&hex(REG_MDJR98_00)[12..50]);
    for _ in 0..300 {
        d.extend(hex("c00c 0020 0001 00000000 0006 0000 c0a80001"));
    }
    let mut h = Harness::<NetbiosNs>::udp(137);
    h.feed(Side::Client, &d);
    assert_eq!(h.counter("netbios_ns_items_dropped"), 1);
    assert_eq!(
        facts(&h.observations()),
        vec![("client", "netbios.name", "MDJR98".to_string())]
    );
}

#[test]
fn hostile_truncated_and_bad_names() {
    let reg = hex(REG_MDJR98_00);
    let mut h = Harness::<NetbiosNs>::udp(137);
    h.feed(Side::Client, &reg[..reg.len() - 3]);
    h.feed(Side::Client, &reg[..5]);
    assert_eq!(h.counter("netbios_ns_truncated"), 2);
    // QDCOUNT 65535 with one question present.
    let mut many = reg.clone();
    many[4] = 0xff;
    many[5] = 0xff;
    h.feed(Side::Client, &many);
    assert_eq!(
        h.counter("netbios_ns_truncated") + h.counter("netbios_ns_bad_name"),
        3
    );
    // An encoded name with a 'Z' (outside 'A'–'P').
    let mut z = reg.clone();
    z[13] = b'Z';
    h.feed(Side::Client, &z);
    assert!(h.counter("netbios_ns_bad_name") >= 1);
    // A node status with NUM_NAMES 255 and no entries.
    let mut st = hex(NBSTAT_R);
    st[56] = 0xff;
    h.feed(Side::Server, &st);
    assert!(h.counter("netbios_ns_truncated") >= 3);
    assert!(facts(&h.observations()).is_empty());
}

#[test]
fn name_decoding() {
    let n = decode_name(b"EOGFGFCACACACACACACACACACACACACA").unwrap();
    assert_eq!(n.name(), b"Nee");
    assert_eq!(n.suffix(), 0x20);
    assert!(decode_name(b"EOGF").is_none());
}

#[test]
fn done_after_64_datagrams() {
    let mut h = Harness::<NetbiosNs>::udp(137);
    let d = hex(REG_MDJR98_00);
    for _ in 1..MAX_DATAGRAMS {
        assert_eq!(h.feed(Side::Client, &d), Verdict::Continue);
    }
    assert_eq!(h.feed(Side::Client, &d), Verdict::Done);
}

#[test]
fn mutated_fixtures_never_panic() {
    // A deterministic xorshift: flip and truncate the fixtures a few thousand times.
    let bases: Vec<Vec<u8>> = [REG_MDJR98_00, NBSTAT_R, REG_WORKGROUP_00]
        .iter()
        .map(|f| hex(f))
        .collect();
    mutated_datagrams::<NetbiosNs>(137, &bases);
}
