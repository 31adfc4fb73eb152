//! DHCPv6 fixtures: corpus messages (expected values from tshark's `dhcpv6.duid.bytes`,
//! `dhcpv6.duid.type`, `dhcpv6.duidllt.link_layer_addr`, `dhcpv6.duiden.enterprise`,
//! `dhcpv6.requested_option_code`, `dhcpv6.client_domain`, `dhcpv6.vendorclass.*`) and
//! hostile hand-made ones.

use super::*;
use crate::testing::{
    Harness, anomalies, ctx_udp, fact, facts, hex, mutated_datagrams, run_session,
};

/// arkime/tests/pcap/wireshark-dhcpv6.pcap frame 2 (546 → 547). tshark: msgtype 1, DUID
/// 000100011c39cf88080027fe8f95 (type 1, link-layer address 08:00:27:fe:8f:95), requested
/// options 23, 24.
const SOLICIT: &str = "
    01                      -- RFC 8415 §8 msg-type SOLICIT
    10 08 74                -- transaction-id
    00 01 00 0e             -- §21.2 OPTION_CLIENTID, length 14
      00 01                 -- §11.2 DUID-LLT
      00 01                 -- hardware type 1 (Ethernet)
      1c 39 cf 88           -- time
      08 00 27 fe 8f 95     -- link-layer address
    00 06 00 04             -- §21.7 OPTION_ORO, length 4
      00 17 00 18           -- 23 (DNS servers), 24 (domain list)
    00 08 00 02 00 00       -- §21.9 OPTION_ELAPSED_TIME 0
    00 19 00 0c             -- §21.21 OPTION_IA_PD, length 12
      27 fe 8f 95 00 00 0e 10 00 00 15 18 -- IAID, T1, T2
";

/// Frame 5 (547 → 546): the Advertise; server DUID 000100011c3825e8080027d410bb.
const ADVERTISE: &str = "021008740019002927fe8f950000000000000000001a00190000119400001c2040200100000000fe0000000000000000000001000e000100011c39cf88080027fe8f950002000e000100011c3825e8080027d410bb";

#[test]
fn corpus_solicit_names_the_client_as_tshark_does() {
    let s = hex(SOLICIT);
    let (name, obs, _) = run_session(ctx_udp(547), &[(Side::Client, &s)]);
    assert_eq!(name, Some("dhcpv6"));
    assert_eq!(
        facts(&obs),
        vec![
            (
                "client",
                "dhcpv6.duid",
                "000100011c39cf88080027fe8f95".to_string()
            ),
            ("client", "dhcpv6.duid_type", "llt".to_string()),
            ("client", "dhcpv6.duid_mac", "08:00:27:fe:8f:95".to_string()),
            ("client", "dhcpv6.oro", "23,24".to_string()),
        ]
    );
    let mut h = Harness::<Dhcpv6>::udp(547);
    h.feed(Side::Client, &s);
    let ev = h.events();
    assert_eq!(ev[0].body["msg_type"], "solicit");
    assert_eq!(ev[0].body["duid"], "000100011c39cf88080027fe8f95");
    assert_eq!(ev[0].body["oro"], serde_json::json!([23, 24]));
}

#[test]
fn corpus_advertise_names_the_server_not_the_client() {
    let mut h = Harness::<Dhcpv6>::udp(546);
    h.feed(Side::Server, &hex(ADVERTISE));
    assert_eq!(
        facts(&h.observations()),
        vec![
            (
                "server",
                "dhcpv6.duid",
                "000100011c3825e8080027d410bb".to_string()
            ),
            ("server", "dhcpv6.duid_type", "llt".to_string()),
            ("server", "dhcpv6.duid_mac", "08:00:27:d4:10:bb".to_string()),
        ]
    );
    assert_eq!(h.events()[0].body["msg_type"], "advertise");
}

/// suricata-verify/tests/smb2-07/20171220_smb_psexec_add_user.pcap frame 2: a Windows
/// Solicit. tshark: DUID 00010001216987c50800277fb58b, client_domain "Victim-PC.contoso.local.",
/// vendorclass enterprise 311, data "MSFT 5.0", requested options 24,23,17,39.
const WINDOWS_SOLICIT: &str = "014c01050008000202bc0001000e00010001216987c50800277fb58b0003000c0e08002700000000000000000027001a000956696374696d2d504307636f6e746f736f056c6f63616c000010000e0000013700084d53465420352e30000600080018001700110027";

#[test]
fn corpus_windows_solicit_fqdn_vendor_class_and_oro() {
    let mut h = Harness::<Dhcpv6>::udp(547);
    h.feed(Side::Client, &hex(WINDOWS_SOLICIT));
    let obs = h.observations();
    assert_eq!(fact(&obs, "dhcpv6.fqdn"), Some("Victim-PC.contoso.local"));
    assert_eq!(fact(&obs, "dhcpv6.vendor_class"), Some("MSFT 5.0"));
    assert_eq!(fact(&obs, "dhcpv6.vendor_enterprise"), Some("311"));
    assert_eq!(fact(&obs, "dhcpv6.oro"), Some("24,23,17,39"));
    assert_eq!(fact(&obs, "dhcpv6.duid_mac"), Some("08:00:27:7f:b5:8b"));
    let ev = h.events();
    assert_eq!(ev[0].body["fqdn"], "Victim-PC.contoso.local");
    assert_eq!(ev[0].body["vendor_class"], "MSFT 5.0");
}

/// tcpdump/tests/dhcpv6-rfc8415-duid-type2.pcap frame 1: a Request whose client DUID is
/// DUID-EN. tshark: duid type 2, bytes 0002000075714853483134343235313438,
/// duiden.enterprise 30065, requested options 59,136,24,23.
const REQUEST_DUID_EN: &str = "03e4a4a30011001a00007571000100124172697374613b48534831343432353134380001001100020000757148534831343432353134380002000e000100012afbf5c4828662a1defd00060008003b008800180017000800020000000f00080006417269737461000300280101000000000e1000001518000500181234567800000000000000000000000400001c2000001d4c";

#[test]
fn corpus_duid_en_enterprise() {
    let mut h = Harness::<Dhcpv6>::udp(547);
    h.feed(Side::Client, &hex(REQUEST_DUID_EN));
    let obs = h.observations();
    assert_eq!(
        fact(&obs, "dhcpv6.duid"),
        Some("0002000075714853483134343235313438")
    );
    assert_eq!(fact(&obs, "dhcpv6.duid_type"), Some("en"));
    assert_eq!(fact(&obs, "dhcpv6.enterprise"), Some("30065"));
    // Option 17 (vendor-specific information) from the same vendor.
    assert_eq!(fact(&obs, "dhcpv6.vendor_enterprise"), Some("30065"));
    assert_eq!(fact(&obs, "dhcpv6.oro"), Some("59,136,24,23"));
    assert_eq!(fact(&obs, "dhcpv6.duid_mac"), None);
    // The server DUID (option 2) in a client's Request is not about the client.
    assert!(!format!("{obs:?}").contains("2afbf5c4"));
}

fn relay(msg_type: u8, inner: &[u8]) -> Vec<u8> {
    let mut v = vec![msg_type, 0];
    v.extend_from_slice(&[0x20; 16]); // link-address
    v.extend_from_slice(&[0xfe; 16]); // peer-address
    v.extend_from_slice(&9u16.to_be_bytes()); // OPTION_RELAY_MSG
    v.extend_from_slice(&(inner.len() as u16).to_be_bytes());
    v.extend_from_slice(inner);
    v
}

#[test]
fn relay_forw_is_unwrapped_but_not_a_fact_about_the_relay() {
    let fwd = relay(12, &hex(SOLICIT));
    let mut h = Harness::<Dhcpv6>::udp(547);
    assert_eq!(Dhcpv6::probe(&fwd, Side::Client, &ctx_udp(547)), Probe::Yes);
    h.feed(Side::Client, &fwd);
    assert!(facts(&h.observations()).is_empty());
    let ev = h.events();
    assert_eq!(ev[0].body["msg_type"], "solicit");
    assert_eq!(ev[0].body["relay_hops"], 1);
    assert_eq!(ev[0].body["duid"], "000100011c39cf88080027fe8f95");
    // A Relay-Repl's sender is the server: its Advertise names it.
    let repl = relay(13, &relay(13, &hex(ADVERTISE)));
    let mut h = Harness::<Dhcpv6>::udp(547);
    h.feed(Side::Server, &repl);
    assert_eq!(
        fact(&h.observations(), "dhcpv6.duid"),
        Some("000100011c3825e8080027d410bb")
    );
    assert_eq!(h.events()[0].body["relay_hops"], 2);
}

#[test]
fn hostile_relay_nesting_100_deep() {
    let mut m = hex(SOLICIT);
    for _ in 0..100 {
        m = relay(12, &m);
    }
    let mut h = Harness::<Dhcpv6>::udp(547);
    h.feed(Side::Client, &m);
    assert_eq!(anomalies(&h.observations()), vec!["dhcpv6_relay_too_deep"]);
    // Four levels are still read.
    let mut ok = hex(SOLICIT);
    for _ in 0..message::MAX_RELAY_DEPTH {
        ok = relay(12, &ok);
    }
    h.feed(Side::Client, &ok);
    assert_eq!(h.events().last().unwrap().body["relay_hops"], 4);
}

#[test]
fn hostile_option_length_past_the_end() {
    let mut s = hex(SOLICIT);
    // OPTION_CLIENTID claims 0xffff octets.
    s[6] = 0xff;
    s[7] = 0xff;
    let mut h = Harness::<Dhcpv6>::udp(547);
    h.feed(Side::Client, &s);
    assert_eq!(
        anomalies(&h.observations()),
        vec!["dhcpv6_option_truncated"]
    );
    assert_eq!(Dhcpv6::probe(&s, Side::Client, &ctx_udp(547)), Probe::No);
    // A relay whose Relay Message option is cut.
    let mut r = relay(12, &hex(SOLICIT));
    r.truncate(40);
    h.feed(Side::Client, &r);
    assert_eq!(h.counter("dhcpv6_option_truncated"), 2);
    // A relay without a Relay Message option.
    let mut bare = relay(12, &[]);
    bare.truncate(34);
    h.feed(Side::Client, &bare);
    assert_eq!(h.counter("dhcpv6_relay_without_message"), 1);
    // Just a message type.
    h.feed(Side::Client, &[1]);
    assert_eq!(h.counter("dhcpv6_truncated"), 1);
}

#[test]
fn hostile_bad_duid_fqdn_and_lists() {
    let mut h = Harness::<Dhcpv6>::udp(547);
    // A 200-octet DUID.
    let mut m = hex("01 000001 0001 00c8");
    m.extend([0xaa; 200]);
    h.feed(Side::Client, &m);
    assert_eq!(h.counter("dhcpv6_duid_too_long"), 1);
    // A DUID-UUID of the wrong length.
    h.feed(Side::Client, &hex("01 000001 0001 0004 0004 0102"));
    assert_eq!(h.counter("dhcpv6_bad_duid"), 1);
    // An FQDN label of 64 octets.
    let mut f = hex("01 000001 0027 0042 00 40");
    f.extend([b'a'; 64]);
    h.feed(Side::Client, &f);
    assert_eq!(h.counter("dhcpv6_bad_fqdn"), 1);
    // An ORO of odd length.
    h.feed(Side::Client, &hex("01 000001 0006 0003 001700"));
    assert_eq!(h.counter("dhcpv6_bad_oro"), 1);
    // 1,000 options and an ORO of 1,000 codes: kept to 64, counted.
    let mut many = hex("01 000001");
    for _ in 0..1000 {
        many.extend(hex("0008 0002 0000"));
    }
    h.feed(Side::Client, &many);
    let mut oro = hex("01 000001 0006 07d0");
    oro.extend([0x00, 0x17].repeat(1000));
    h.feed(Side::Client, &oro);
    assert_eq!(h.counter("dhcpv6_items_dropped"), 2);
    let last = h.events().last().unwrap().body.clone();
    assert_eq!(
        last["oro"].as_array().map(Vec::len),
        Some(message::MAX_LIST)
    );
}

#[test]
fn probe_by_content_with_ports_as_tie_breaker() {
    let s = hex(SOLICIT);
    assert_eq!(Dhcpv6::probe(&s, Side::Client, &ctx_udp(547)), Probe::Yes);
    // Off port: accepted since the Client Identifier is there.
    assert_eq!(Dhcpv6::probe(&s, Side::Client, &ctx_udp(9999)), Probe::Yes);
    // Without a Client Identifier, only on the DHCPv6 ports.
    let no_id = hex("01 000001 0008 0002 0000");
    assert_eq!(
        Dhcpv6::probe(&no_id, Side::Client, &ctx_udp(547)),
        Probe::Yes
    );
    assert_eq!(
        Dhcpv6::probe(&no_id, Side::Client, &ctx_udp(9999)),
        Probe::No
    );
    // Unknown type, reserved option code 0 (DHCPv4's zero padding), no options at all.
    assert_eq!(
        Dhcpv6::probe(
            &hex("0e 000001 0008 0002 0000"),
            Side::Client,
            &ctx_udp(547)
        ),
        Probe::No
    );
    assert_eq!(
        Dhcpv6::probe(&hex("01 010600 0000 0000"), Side::Client, &ctx_udp(547)),
        Probe::No
    );
    assert_eq!(
        Dhcpv6::probe(&hex("01 000001"), Side::Client, &ctx_udp(547)),
        Probe::No
    );
    assert_eq!(Dhcpv6::probe(b"", Side::Client, &ctx_udp(547)), Probe::No);
}

#[test]
fn done_after_64_datagrams() {
    let mut h = Harness::<Dhcpv6>::udp(547);
    let s = hex(SOLICIT);
    for _ in 1..MAX_DATAGRAMS {
        assert_eq!(h.feed(Side::Client, &s), Verdict::Continue);
    }
    assert_eq!(h.feed(Side::Client, &s), Verdict::Done);
}

#[test]
fn mutated_fixtures_never_panic() {
    // A deterministic xorshift: flip and truncate the fixtures a few thousand times.
    let bases: Vec<Vec<u8>> = [SOLICIT, ADVERTISE, WINDOWS_SOLICIT, REQUEST_DUID_EN]
        .iter()
        .map(|f| hex(f))
        .collect();
    mutated_datagrams::<Dhcpv6>(547, &bases);
}
