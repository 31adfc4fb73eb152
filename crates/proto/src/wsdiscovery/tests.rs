//! WS-Discovery fixtures: real datagrams from nDPI/tests/cfgs/default/pcap/gnutella.pcap
//! (a Windows Hello) and nDPI/tests/cfgs/default/pcap/upnp.pcap (a Resolve), taken with
//! `tshark -r FILE -Y 'udp.port==3702' -T fields -e udp.payload`, and annotated synthetic
//! SDC messages (IEEE 11073-20702 MDPWS types, IEEE 11073-20701 scopes).

#![allow(clippy::unwrap_used)]

use super::*;
use crate::testing::{Harness, anomalies, ctx_udp, fact, facts, fuzz_mutated, run_session};

/// gnutella.pcap frame 38 (10.0.2.15:63957 -> 239.255.255.250:3702, udp.length 1081): the
/// 2005/04 Hello a Windows host sends, byte for byte.
const WINDOWS_HELLO: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>",
    "<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\"",
    " xmlns:wsa=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\"",
    " xmlns:wsd=\"http://schemas.xmlsoap.org/ws/2005/04/discovery\"",
    " xmlns:wsdp=\"http://schemas.xmlsoap.org/ws/2006/02/devprof\"",
    " xmlns:pub=\"http://schemas.microsoft.com/windows/pub/2005/07\">",
    "<soap:Header><wsa:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</wsa:To>",
    "<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Hello</wsa:Action>",
    "<wsa:MessageID>urn:uuid:fa17cd90-8f39-4f5b-9e28-bff08fb5cd0e</wsa:MessageID>",
    "<wsd:AppSequence InstanceId=\"46\"",
    " SequenceId=\"urn:uuid:767389e0-ee9a-4c1c-b902-20cb81d203e0\" MessageNumber=\"1\">",
    "</wsd:AppSequence></soap:Header>",
    "<soap:Body><wsd:Hello><wsa:EndpointReference>",
    "<wsa:Address>urn:uuid:747f3d96-68a7-43f1-8cbe-e8d6dadd0358</wsa:Address>",
    "</wsa:EndpointReference>",
    "<wsd:Types>wsdp:Device pub:Computer</wsd:Types>",
    "<wsd:XAddrs>http://10.0.2.15:5357/747f3d96-68a7-43f1-8cbe-e8d6dadd0358/</wsd:XAddrs>",
    "<wsd:MetadataVersion>2</wsd:MetadataVersion></wsd:Hello></soap:Body></soap:Envelope>",
);

/// upnp.pcap frame 2 (192.168.61.66:58931 -> 239.255.255.250:3702): a Resolve for one
/// endpoint.
const RESOLVE: &str = concat!(
    "<?xml version=\"1.0\" encoding=\"utf-8\"?>",
    "<soap:Envelope xmlns:soap=\"http://www.w3.org/2003/05/soap-envelope\"",
    " xmlns:wsa=\"http://schemas.xmlsoap.org/ws/2004/08/addressing\"",
    " xmlns:wsd=\"http://schemas.xmlsoap.org/ws/2005/04/discovery\">",
    "<soap:Header><wsa:To>urn:schemas-xmlsoap-org:ws:2005:04:discovery</wsa:To>",
    "<wsa:Action>http://schemas.xmlsoap.org/ws/2005/04/discovery/Resolve</wsa:Action>",
    "<wsa:MessageID>urn:uuid:3f42dc9a-24ce-48d1-88f9-16b96a137d71</wsa:MessageID>",
    "</soap:Header>",
    "<soap:Body><wsd:Resolve><wsa:EndpointReference>",
    "<wsa:Address>urn:uuid:e3248000-80ce-11db-8000-001ba99ec956</wsa:Address>",
    "</wsa:EndpointReference></wsd:Resolve></soap:Body></soap:Envelope>",
);

/// An SDC provider's Hello (WS-Discovery 1.1 §4.1 with IEEE 11073-20702 §5 MDPWS types and
/// IEEE 11073-20701 §9 scopes). The location scope names a ward and a bed.
const SDC_HELLO: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<s12:Envelope xmlns:s12="http://www.w3.org/2003/05/soap-envelope"
    xmlns:wsa="http://www.w3.org/2005/08/addressing"
    xmlns:wsd="http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01"
    xmlns:dpws="http://docs.oasis-open.org/ws-dd/ns/dpws/2009/01"
    xmlns:mdpws="http://standards.ieee.org/downloads/11073/11073-20702-2016">
  <s12:Header>
    <!-- WS-Addressing Action: WS-Discovery 1.1 §4.1 Hello -->
    <wsa:Action>http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01/Hello</wsa:Action>
    <wsa:MessageID>urn:uuid:5d1c2b3a-0000-4000-8000-000000000001</wsa:MessageID>
    <wsd:AppSequence InstanceId="7" MessageNumber="1"/>
  </s12:Header>
  <s12:Body>
    <wsd:Hello>
      <!-- §2.5 Endpoint Reference: a stable urn:uuid -->
      <wsa:EndpointReference>
        <wsa:Address>urn:uuid:0b9f2c1e-7d4a-4e8b-9c31-5a6f7e8d9c0b</wsa:Address>
      </wsa:EndpointReference>
      <!-- Types: DPWS device + MDPWS MedicalDevice (IEEE 11073-20702) -->
      <wsd:Types>dpws:Device   mdpws:MedicalDevice</wsd:Types>
      <!-- Scopes: SDC participant key purpose and location context (IEEE 11073-20701) -->
      <wsd:Scopes>
        sdc.mds.pkp:1.2.840.10004.20701.1.1
        sdc.ctxt.loc:/sdc.ctxt.loc.detail/HOSP1%2F%2F%2FICU%2FBed7?fac=HOSP1&amp;bed=Bed7
      </wsd:Scopes>
      <wsd:XAddrs>https://10.0.0.7:6464/device https://[fe80::7]:6464/device</wsd:XAddrs>
      <wsd:MetadataVersion>1</wsd:MetadataVersion>
    </wsd:Hello>
  </s12:Body>
</s12:Envelope>"#;

/// A 1.1 envelope around `body` with Action `.../action`.
fn envelope(action: &str, body: &str) -> String {
    format!(
        concat!(
            "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"",
            " xmlns:a=\"http://www.w3.org/2005/08/addressing\"",
            " xmlns:d=\"http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01\"",
            " xmlns:x=\"urn:example:other\">",
            "<s:Header><a:Action>http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01/{}",
            "</a:Action></s:Header><s:Body>{}</s:Body></s:Envelope>"
        ),
        action, body
    )
}

fn all_facts(h: &mut Harness<WsDiscovery>, key: &str) -> Vec<String> {
    facts(&h.observations())
        .into_iter()
        .filter(|(_, k, _)| *k == key)
        .map(|(_, _, v)| v)
        .collect()
}

#[test]
fn real_windows_hello() {
    // The embedded text is the capture's payload: tshark's udp.length 1081 - 8 header bytes.
    // (tshark 4.0 has no WS-Discovery dissector and no XML decode-as for UDP, so the values
    // below were read from that payload.)
    assert_eq!(WINDOWS_HELLO.len(), 1073);
    let (name, obs, _) = run_session(ctx_udp(3702), &[(Side::Client, WINDOWS_HELLO.as_bytes())]);
    assert_eq!(name, Some("wsdiscovery"));
    assert_eq!(
        fact(&obs, "wsdiscovery.endpoint"),
        Some("urn:uuid:747f3d96-68a7-43f1-8cbe-e8d6dadd0358")
    );
    assert_eq!(
        fact(&obs, "wsdiscovery.types"),
        Some("wsdp:Device pub:Computer")
    );
    assert_eq!(
        fact(&obs, "wsdiscovery.xaddrs"),
        Some("http://10.0.2.15:5357/747f3d96-68a7-43f1-8cbe-e8d6dadd0358/")
    );
    assert_eq!(fact(&obs, "wsdiscovery.sdc"), None);
    assert!(facts(&obs).iter().all(|(side, _, _)| *side == "client"));
    assert!(anomalies(&obs).is_empty());
}

#[test]
fn real_resolve_names_what_it_looks_for_not_the_sender() {
    let mut h = Harness::<WsDiscovery>::udp(3702);
    assert_eq!(h.feed(Side::Client, RESOLVE.as_bytes()), Verdict::Continue);
    assert!(facts(&h.observations()).is_empty());
    let e = &h.events()[0].body;
    assert_eq!(e["action"], "Resolve");
    assert_eq!(
        e["endpoint"],
        "urn:uuid:e3248000-80ce-11db-8000-001ba99ec956"
    );
}

#[test]
fn sdc_hello_marks_a_medical_device() {
    let mut h = Harness::<WsDiscovery>::udp(3702);
    h.feed(Side::Server, SDC_HELLO.as_bytes());
    let obs = h.observations();
    assert!(anomalies(&obs).is_empty(), "{:?}", anomalies(&obs));
    assert_eq!(fact(&obs, "wsdiscovery.sdc"), Some("true"));
    // Whitespace in the list is normalised to single spaces.
    assert_eq!(
        fact(&obs, "wsdiscovery.types"),
        Some("dpws:Device mdpws:MedicalDevice")
    );
    assert_eq!(
        all_facts(&mut h, "wsdiscovery.scopes"),
        vec![
            "sdc.mds.pkp:1.2.840.10004.20701.1.1",
            "sdc.ctxt.loc:/sdc.ctxt.loc.detail/HOSP1%2F%2F%2FICU%2FBed7?fac=HOSP1&bed=Bed7",
        ]
    );
    assert_eq!(all_facts(&mut h, "wsdiscovery.xaddrs").len(), 2);
    let e = &h.events()[0].body;
    assert_eq!(e["action"], "Hello");
    assert_eq!(
        e["types"],
        serde_json::json!(["dpws:Device", "mdpws:MedicalDevice"])
    );
    assert_eq!(e["sdc"], true);
    assert_eq!(
        e["endpoint"],
        "urn:uuid:0b9f2c1e-7d4a-4e8b-9c31-5a6f7e8d9c0b"
    );
}

#[test]
fn medical_device_type_needs_the_mdpws_namespace() {
    // x: is bound to another namespace: "x:MedicalDevice" is not MDPWS's.
    let body = "<d:Hello><d:Types>x:MedicalDevice</d:Types></d:Hello>";
    let mut h = Harness::<WsDiscovery>::udp(3702);
    h.feed(Side::Server, envelope("Hello", body).as_bytes());
    assert_eq!(fact(&h.observations(), "wsdiscovery.sdc"), None);
    assert_eq!(
        fact(&h.observations(), "wsdiscovery.types"),
        Some("x:MedicalDevice")
    );
}

#[test]
fn probe_matches_give_one_entry_per_match() {
    let body = concat!(
        "<d:ProbeMatches>",
        "<d:ProbeMatch><a:EndpointReference><a:Address>urn:uuid:1</a:Address>",
        "</a:EndpointReference><d:Types>x:A</d:Types><d:XAddrs>http://10.0.0.1/</d:XAddrs>",
        "</d:ProbeMatch>",
        "<d:ProbeMatch><a:EndpointReference><a:Address>urn:uuid:2</a:Address>",
        "</a:EndpointReference><d:Scopes>sdc.ctxt.loc:/x</d:Scopes></d:ProbeMatch>",
        "</d:ProbeMatches>"
    );
    let mut h = Harness::<WsDiscovery>::udp(3702);
    h.feed(Side::Server, envelope("ProbeMatches", body).as_bytes());
    assert_eq!(
        all_facts(&mut h, "wsdiscovery.endpoint"),
        vec!["urn:uuid:1", "urn:uuid:2"]
    );
    assert_eq!(fact(&h.observations(), "wsdiscovery.sdc"), Some("true"));
    let e = &h.events()[0].body;
    assert_eq!(e["action"], "ProbeMatches");
    assert_eq!(e["matches"], 2);
    assert_eq!(e["endpoint"], "urn:uuid:1");
}

#[test]
fn probe_types_are_not_facts() {
    let body =
        "<d:Probe><d:Types>x:MedicalDevice</d:Types><d:Scopes>sdc.ctxt.loc:/a</d:Scopes></d:Probe>";
    let mut h = Harness::<WsDiscovery>::udp(3702);
    h.feed(Side::Client, envelope("Probe", body).as_bytes());
    assert!(facts(&h.observations()).is_empty());
    assert_eq!(
        h.events()[0].body["scopes"],
        serde_json::json!(["sdc.ctxt.loc:/a"])
    );
}

#[test]
fn scopes_are_capped_at_16_and_cut_at_256_bytes() {
    let long = format!("sdc.ctxt.loc:/{}", "w".repeat(1000));
    let mut scopes: Vec<String> = (0..20).map(|i| format!("urn:scope:{i}")).collect();
    scopes[0] = long;
    let body = format!(
        "<d:Hello><d:Scopes>{}</d:Scopes></d:Hello>",
        scopes.join(" ")
    );
    let mut h = Harness::<WsDiscovery>::udp(3702);
    h.feed(Side::Server, envelope("Hello", &body).as_bytes());
    let got = all_facts(&mut h, "wsdiscovery.scopes");
    assert_eq!(got.len(), 16);
    assert_eq!(got[0].len(), 256);
    assert!(got[0].ends_with('\u{2026}'));
    assert_eq!(h.counter("wsdiscovery_items_dropped"), 4);
}

#[test]
fn hostile_xml_with_100000_nodes() {
    // The parser stops at 10,000 nodes (roxmltree nodes_limit).
    let text = format!("<a>{}</a>", "<b/>".repeat(100_000));
    assert_eq!(message::parse_str(&text), Err(message::Error::NodesLimit));
    // Through the parser: 15,000 nodes fit in a datagram under 64 KiB.
    let d = envelope("Hello", &"<b/>".repeat(15_000));
    assert!(d.len() < message::MAX_DATAGRAM);
    let mut h = Harness::<WsDiscovery>::udp(3702);
    h.feed(Side::Server, d.as_bytes());
    assert_eq!(
        anomalies(&h.observations()),
        vec!["wsdiscovery_nodes_limit"]
    );
}

#[test]
fn hostile_entity_expansion_is_refused() {
    // Billion laughs: roxmltree refuses any DTD by default (allow_dtd = false).
    let lol = concat!(
        "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">",
        "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">",
        "<!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\">]>",
        "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\">",
        "<s:Body><d:Hello xmlns:d=\"http://docs.oasis-open.org/ws-dd/ns/discovery/2009/01\">",
        "<d:Types>&lol3;</d:Types></d:Hello></s:Body></s:Envelope>"
    );
    assert_eq!(message::parse_str(lol), Err(message::Error::Dtd));
    // An external entity (XXE) is a DTD too.
    let xxe = concat!(
        "<!DOCTYPE e [<!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>",
        "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\"><s:Body>&xxe;",
        "</s:Body></s:Envelope>"
    );
    assert_eq!(message::parse_str(xxe), Err(message::Error::Dtd));
    // An entity reference with no DTD at all is not well-formed.
    let bare = envelope("Hello", "<d:Hello><d:Types>&xxe;</d:Types></d:Hello>");
    assert_eq!(message::parse_str(&bare), Err(message::Error::Xml));
    let mut h = Harness::<WsDiscovery>::udp(3702);
    h.feed(Side::Server, lol.as_bytes());
    let obs = h.observations();
    assert_eq!(anomalies(&obs), vec!["wsdiscovery_dtd"]);
    assert!(facts(&obs).is_empty());
}

#[test]
fn hostile_oversized_and_non_utf8_datagrams() {
    let mut h = Harness::<WsDiscovery>::udp(3702);
    let big = envelope("Hello", &" ".repeat(70_000));
    h.feed(Side::Server, big.as_bytes());
    assert_eq!(h.counter("wsdiscovery_datagram_too_large"), 1);
    let mut latin1 =
        envelope("Hello", "<d:Hello><d:Scopes>urn:x</d:Scopes></d:Hello>").into_bytes();
    latin1.push(0xe9);
    h.feed(Side::Server, &latin1);
    h.feed(Side::Server, b"<html><body>not soap</body></html>");
    h.feed(Side::Server, b"<s:Envelope><unclosed>");
    assert_eq!(
        anomalies(&h.observations()),
        vec![
            "wsdiscovery_not_utf8",
            "wsdiscovery_not_an_envelope",
            "wsdiscovery_invalid_xml"
        ]
    );
    assert!(facts(&h.observations()).is_empty());
}

#[test]
fn done_after_64_datagrams() {
    let mut h = Harness::<WsDiscovery>::udp(3702);
    for _ in 0..63 {
        assert_eq!(h.feed(Side::Client, RESOLVE.as_bytes()), Verdict::Continue);
    }
    assert_eq!(h.feed(Side::Client, RESOLVE.as_bytes()), Verdict::Done);
}

#[test]
fn probe_is_by_content_with_the_port_as_tie_breaker() {
    let wsd = ctx_udp(3702);
    let other = ctx_udp(40001);
    let hello = WINDOWS_HELLO.as_bytes();
    assert_eq!(WsDiscovery::probe(hello, Side::Client, &other), Probe::Yes);
    // BOM and whitespace before the document.
    let bom = [&b"\xef\xbb\xbf \r\n"[..], hello].concat();
    assert_eq!(WsDiscovery::probe(&bom, Side::Client, &other), Probe::Yes);
    // The namespace declared after the first 1 KiB: only on port 3702.
    let late = format!(
        "<s:Envelope xmlns:s=\"http://www.w3.org/2003/05/soap-envelope\">{}<s:Body><d:Hello \
         xmlns:d=\"{}\"/></s:Body></s:Envelope>",
        " ".repeat(1100),
        message::NS_WSD_11
    );
    assert_eq!(
        WsDiscovery::probe(late.as_bytes(), Side::Client, &wsd),
        Probe::Yes
    );
    assert_eq!(
        WsDiscovery::probe(late.as_bytes(), Side::Client, &other),
        Probe::No
    );
    // SSDP, other XML, binary.
    assert_eq!(
        WsDiscovery::probe(b"M-SEARCH * HTTP/1.1\r\n", Side::Client, &wsd),
        Probe::No
    );
    assert_eq!(
        WsDiscovery::probe(b"<root>Envelope</root>", Side::Client, &other),
        Probe::No
    );
    assert_eq!(
        WsDiscovery::probe(b"\x81\x0a\x00\x04", Side::Client, &wsd),
        Probe::No
    );
    assert_eq!(WsDiscovery::probe(b"", Side::Client, &wsd), Probe::No);
}

/// Mutated copies of the fixtures through the fuzz entry point (probe included): nothing
/// panics. Deterministic (xorshift), so a failure reproduces.
#[test]
fn mutated_fixtures_do_not_panic() {
    let seeds: Vec<Vec<u8>> = vec![
        WINDOWS_HELLO.as_bytes().to_vec(),
        SDC_HELLO.as_bytes().to_vec(),
    ];
    fuzz_mutated("wsdiscovery", &seeds);
}
