//! EVE `dhcp` and `dns` objects from real messages, with tshark's reading of the same bytes in
//! the comments (tshark 4.x on the corpus files named).

use super::*;
use serde_json::json;

fn unhex(s: &str) -> Vec<u8> {
    let s: String = s.split_whitespace().collect();
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
        .collect()
}

/// arkime/tests/pcap/wireshark-dhcp.pcap frame 1, DHCP Discover (RFC 2131 §4.4.1).
fn discover() -> Vec<u8> {
    let mut b = unhex(
        "01 01 06 00 \
         00003d1d \
         0000 0000 \
         00000000 00000000 00000000 00000000 \
         000b8201fc42 00000000000000000000",
    );
    b.resize(236, 0); // sname, file
    b.extend(unhex(
        "63825363 \
         350101 \
         3d0701000b8201fc42 \
         320400000000 \
         3704 0103062a \
         ff",
    ));
    // op REQUEST, htype 1, hlen 6, xid 0x3d1d, chaddr 00:0b:82:01:fc:42; magic cookie;
    // 53 DHCPDISCOVER; 61 client id type 1 + MAC; 50 requested 0.0.0.0; 55 [1, 3, 6, 42].
    b
}

/// The same file's frame 2, DHCP Offer: yiaddr 192.168.0.10, siaddr 192.168.0.1; options 53
/// OFFER, 1 mask 255.255.255.0, 58 renewal 1800, 59 rebinding 3150, 51 lease 3600, 54 server
/// 192.168.0.1 (tshark: dhcp.option.renewal_time_value 1800, rebinding 3150, lease 3600).
fn offer() -> Vec<u8> {
    let mut b = unhex(
        "02 01 06 00 \
         00003d1d \
         0000 0000 \
         00000000 c0a8000a c0a80001 00000000 \
         000b8201fc42 00000000000000000000",
    );
    b.resize(236, 0);
    b.extend(unhex(
        "63825363 \
         350102 \
         0104ffffff00 \
         3a0400000708 \
         3b0400000c4e \
         330400000e10 \
         3604c0a80001 \
         ff",
    ));
    b
}

#[test]
fn dhcp_discover_is_a_request_with_the_client_identity() {
    let bytes = discover();
    let packet = wire::dhcpv4::Packet::new_checked(&bytes[..]).unwrap();
    let o = dhcp(&packet);
    assert_eq!(o["type"], "request");
    assert_eq!(o["id"], 0x3d1d);
    assert_eq!(o["client_mac"], "00:0b:82:01:fc:42");
    assert_eq!(o["dhcp_type"], "discover");
    // Suricata writes the identifier without its type octet.
    assert_eq!(o["client_id"], "00:0b:82:01:fc:42");
    assert_eq!(o["requested_ip"], "0.0.0.0");
    assert_eq!(
        o["params"],
        json!(["subnet_mask", "router", "dns_server", "ntp_server"])
    );
    assert_eq!(o["assigned_ip"], "0.0.0.0");
    assert!(!o.contains_key("relay_ip"), "relay_ip is for replies");
}

#[test]
fn dhcp_offer_is_a_reply_with_the_lease() {
    let bytes = offer();
    let packet = wire::dhcpv4::Packet::new_checked(&bytes[..]).unwrap();
    let o = dhcp(&packet);
    assert_eq!(o["type"], "reply");
    assert_eq!(o["dhcp_type"], "offer");
    assert_eq!(o["assigned_ip"], "192.168.0.10");
    assert_eq!(o["next_server_ip"], "192.168.0.1");
    assert_eq!(o["relay_ip"], "0.0.0.0");
    assert_eq!(o["subnet_mask"], "255.255.255.0");
    assert_eq!(o["renewal_time"], 1800);
    assert_eq!(o["rebinding_time"], 3150);
    assert_eq!(o["lease_time"], 3600);
}

#[test]
fn dhcp_options_cut_short_keep_what_came_before() {
    let mut bytes = offer();
    // Option 51 claims 4 bytes; only 2 follow.
    let at = bytes.len() - 13;
    bytes.truncate(at + 4);
    let packet = wire::dhcpv4::Packet::new_checked(&bytes[..]).unwrap();
    let o = dhcp(&packet);
    assert_eq!(o["dhcp_type"], "offer");
    assert_eq!(o["rebinding_time"], 3150);
    assert!(!o.contains_key("lease_time"));
}

/// arkime/tests/pcap/dns-udp.pcap frame 1: query id 0xe039, RD, `www.github.com` A.
const QUERY: &str = "e039 0100 0001 0000 0000 0000 \
                     03777777 06676974687562 03636f6d 00 0001 0001";

/// Frame 2: the response, flags 0x8180 (QR RD RA, NOERROR), 2 answers (CNAME github.com TTL
/// 1980, A 192.30.252.128 TTL 4), 4 authority NS, 4 additional A (tshark: dns.a
/// 192.30.252.128 and the four 10.2.95.12 glue records).
const RESPONSE: &str = "e039 8180 0001 0002 0004 0004 \
    03777777 06676974687562 03636f6d 00 0001 0001 \
    c00c 0005 0001 000007bc 0002 c010 \
    c010 0001 0001 00000004 0004 c01efc80 \
    c010 0002 0001 00000148 0014 036e7333 03703136 0664796e656374 036e6574 00 \
    c010 0002 0001 00000148 0006 036e7332 c04e \
    c010 0002 0001 00000148 0006 036e7334 c04e \
    c010 0002 0001 00000148 0006 036e7331 c04e \
    c06a 0001 0001 00000e10 0004 0a025f0c \
    c04a 0001 0001 00000e10 0004 0a025f0c \
    c08e 0001 0001 00000e10 0004 0a025f0c \
    c07c 0001 0001 00000e10 0004 0a025f0c";

#[test]
fn dns_query_gives_one_event_per_question() {
    let bytes = unhex(QUERY);
    let packet = wire::dns::Packet::new_checked(&bytes[..]).unwrap();
    let events = dns(&packet);
    assert_eq!(events.len(), 1);
    let o = &events[0];
    assert_eq!(o["type"], "query");
    assert_eq!(o["id"], 0xe039);
    assert_eq!(o["rrname"], "www.github.com");
    assert_eq!(o["rrtype"], "A");
    assert_eq!(o["opcode"], 0);
}

#[test]
fn dns_response_lists_the_answer_section_only() {
    let bytes = unhex(RESPONSE);
    let packet = wire::dns::Packet::new_checked(&bytes[..]).unwrap();
    let events = dns(&packet);
    assert_eq!(events.len(), 1);
    let o = &events[0];
    assert_eq!(o["type"], "answer");
    assert_eq!(o["version"], 2);
    assert_eq!(o["flags"], "8180");
    assert_eq!(
        (o["qr"].clone(), o["rd"].clone(), o["ra"].clone()),
        (json!(true), json!(true), json!(true))
    );
    assert!(!o.contains_key("aa"));
    assert_eq!(o["rcode"], "NOERROR");
    assert_eq!(o["rrname"], "www.github.com");
    assert_eq!(
        o["answers"],
        json!([
            {"rrname": "www.github.com", "rrtype": "CNAME", "ttl": 1980, "rdata": "github.com"},
            {"rrname": "github.com", "rrtype": "A", "ttl": 4, "rdata": "192.30.252.128"},
        ])
    );
}

#[test]
fn dns_names_keep_their_case_and_txt_data_is_not_written() {
    // Response: `Ward3-PRINTER.local` TXT "pw=hunter2" (a TXT may carry anything).
    let bytes = unhex(
        "0000 8400 0000 0001 0000 0000 \
         0d5761726433 2d5052494e544552 056c6f63616c 00 0010 0001 00001194 000b 0a70773d68756e74657232",
    );
    let packet = wire::dns::Packet::new_checked(&bytes[..]).unwrap();
    let events = dns(&packet);
    let answer = &events[0]["answers"][0];
    assert_eq!(answer["rrname"], "Ward3-PRINTER.local");
    assert_eq!(answer["rrtype"], "TXT");
    assert!(answer.get("rdata").is_none());
    assert!(!format!("{events:?}").contains("hunter2"));
    assert_eq!(events[0]["aa"], true);
}

#[test]
fn dns_truncated_response_keeps_the_answers_before_the_cut() {
    let mut bytes = unhex(RESPONSE);
    bytes.truncate(12 + 20 + 14 + 10); // header, question, the CNAME, half the A record
    let packet = wire::dns::Packet::new_checked(&bytes[..]).unwrap();
    let events = dns(&packet);
    let answers = events[0]["answers"].as_array().unwrap();
    assert_eq!(answers.len(), 1);
    assert_eq!(answers[0]["rrtype"], "CNAME");
}

#[test]
fn unknown_codes_are_named_by_number() {
    assert_eq!(type_name(RecordType(99)), "TYPE99");
    assert_eq!(type_name(RecordType::HTTPS), "HTTPS");
    assert_eq!(rcode_name(Rcode(12)), "RCODE12");
    assert_eq!(rcode_name(Rcode::NXDOMAIN), "NXDOMAIN");
    assert_eq!(message_type_name(9), "unknown");
    assert_eq!(param_name(121), json!("121"));
    assert_eq!(colon_hex(&[0xde, 0xad]), "de:ad");
}
