//! MQTT fixtures: real packets from suricata-verify captures (hex from
//! `tshark -r FILE -Y mqtt -T fields -e tcp.payload`) and annotated synthetic packets.

#![allow(clippy::unwrap_used)]

use super::*;
use crate::testing::{
    Harness, anomalies, ctx_tcp, exposures, fact, facts, fuzz_mutated, hex, run_session,
};

/// suricata-verify/tests/mqtt311-pub-userpass/input.pcap frame 4 (client -> 1883).
const V311_CONNECT: &str = "10 2b \
    0004 4d515454 \
    04 \
    c2 \
    003c \
    0013 6d79766f69636569736d7970617373706f7274 \
    0004 75736572 \
    0004 70617373";
/// Same capture, frame 6: CONNACK, session present 0, return code 0.
const V311_CONNACK: &str = "20 02 00 00";
/// Same capture, frame 8: PUBLISH QoS 0 to "topicX".
const V311_PUBLISH: &str = "30180006746f70696358626161626161626c61636b7368656570";
/// Same capture, frame 9: DISCONNECT.
const V311_DISCONNECT: &str = "e000";

/// An invented CONNECT from an infusion pump: every credential and will field present.
fn pump_connect() -> Vec<u8> {
    [
        &[0x10][..],                      // §2.2.1 packet type 1 CONNECT, §2.2.2 flags 0000
        &[80],                            // §2.2.3 Remaining Length 80
        b"\x00\x04MQTT",                  // §3.1.2.1 Protocol Name, length 4
        &[0x04],                          // §3.1.2.2 Protocol Level 4 = 3.1.1
        &[0xc6], // §3.1.2.3 Connect Flags: user name, password, will (QoS 0), clean session
        &[0x00, 0x3c], // §3.1.2.10 Keep Alive 60 s
        b"\x00\x0bpump-17-XYZ", // §3.1.3.1 Client Identifier
        b"\x00\x15hospital/ward3/pump17", // §3.1.3.2 Will Topic
        b"\x00\x07offline", // §3.1.3.3 Will Message
        b"\x00\x0bnurse.jones", // §3.1.3.4 User Name
        b"\x00\x0aPump$ecret", // §3.1.3.5 Password
    ]
    .concat()
}

fn connack() -> Vec<u8> {
    hex(V311_CONNACK)
}

#[test]
fn real_311_connect_matches_tshark() {
    // Expected values from tshark on mqtt311-pub-userpass/input.pcap frames 4 and 6:
    // mqtt.clientid = myvoiceismypassport, mqtt.ver = 4, mqtt.conack.val = 0,
    // mqtt.username / mqtt.passwd present (user / pass).
    let mut h = Harness::<Mqtt>::tcp(1883);
    assert_eq!(h.feed(Side::Client, &hex(V311_CONNECT)), Verdict::Continue);
    h.feed(Side::Server, &connack());
    h.feed(Side::Client, &hex(V311_PUBLISH));
    h.feed(Side::Client, &hex(V311_DISCONNECT));
    let obs = h.observations();
    assert_eq!(fact(&obs, "mqtt.client_id"), Some("myvoiceismypassport"));
    assert_eq!(fact(&obs, "mqtt.protocol_level"), Some("3.1.1"));
    assert_eq!(fact(&obs, "mqtt.username_present"), Some("true"));
    assert!(facts(&obs).iter().all(|(side, _, _)| *side == "client"));
    let e = exposures(&obs);
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].subject, "MQTT CONNECT");
    assert_eq!(e[0].fields, vec!["password".to_string()]);
    assert_eq!(e[0].user_present, Some(true));
    assert_eq!(h.counter("publish"), 1);
    assert_eq!(h.counter("messages"), 4);
    h.end();
    let events = h.events();
    let connect = &events[0].body["connect"];
    assert_eq!(connect["protocol_string"], "MQTT");
    assert_eq!(connect["protocol_version"], 4);
    assert_eq!(connect["client_id"], "myvoiceismypassport");
    assert_eq!(connect["flags"]["username"], true);
    assert_eq!(connect["flags"]["password"], true);
    assert_eq!(connect["flags"]["clean_session"], true);
    assert!(connect.get("username").is_none() && connect.get("password").is_none());
    let connack = &events[1].body["connack"];
    assert_eq!(connack["return_code"], 0);
    assert_eq!(connack["session_present"], false);
    assert_eq!(events[2].body["summary"]["publish"], 1);
    // The user name "user" and password "pass" are nowhere as values.
    let text = format!("{:?}", events.iter().map(|e| &e.body).collect::<Vec<_>>());
    assert!(!text.contains("\"user\"") && !text.contains("\"pass\""));
}

#[test]
fn real_v5_connect_with_properties() {
    // suricata-verify/tests/mqtt5-pub-userpass/input.pcap frames 4 and 6; tshark: mqtt.ver = 5,
    // mqtt.clientid = myvoiceismypassport.
    let connect = hex("10 2f 0004 4d515454 05 c2 003c \
         03 21 0014 \
         0013 6d79766f69636569736d7970617373706f7274 0004 75736572 0004 70617373"); // v5.0 §3.1.2.11: properties length 3 = Receive Maximum (0x21) 20
    let connack = hex("20 06 00 00 03 22 000a"); // v5.0 §3.2: reason 0, Topic Alias Maximum 10
    let mut h = Harness::<Mqtt>::tcp(1883);
    h.feed(Side::Client, &connect);
    h.feed(Side::Server, &connack);
    let obs = h.observations();
    assert_eq!(fact(&obs, "mqtt.client_id"), Some("myvoiceismypassport"));
    assert_eq!(fact(&obs, "mqtt.protocol_level"), Some("5.0"));
    assert!(anomalies(&obs).is_empty(), "{:?}", anomalies(&obs));
    let events = h.events();
    assert_eq!(events[0].body["connect"]["protocol_version"], 5);
    assert_eq!(events[1].body["connack"]["return_code"], 0);
}

#[test]
fn real_31_mqisdp_connect() {
    // suricata-verify/tests/mqtt31-pub-userpass/input.pcap frame 4; tshark: mqtt.ver = 3.
    let connect = hex("10 2d 0006 4d5149736470 03 c2 003c \
         0013 6d79766f69636569736d7970617373706f7274 0004 75736572 0004 70617373");
    let (name, obs, _) = run_session(ctx_tcp(1883), &[(Side::Client, &connect)]);
    assert_eq!(name, Some("mqtt"));
    assert_eq!(fact(&obs, "mqtt.protocol_level"), Some("3.1"));
    assert_eq!(fact(&obs, "mqtt.client_id"), Some("myvoiceismypassport"));
}

#[test]
fn invented_password_appears_nowhere() {
    let mut h = Harness::<Mqtt>::tcp(1883);
    h.feed(Side::Client, &pump_connect());
    h.feed(Side::Server, &connack());
    h.end();
    let obs = h.observations();
    assert_eq!(fact(&obs, "mqtt.client_id"), Some("pump-17-XYZ"));
    let all = format!("{obs:?}{:?}", h.events());
    for secret in ["Pump$ecret", "nurse.jones", "hospital", "ward3", "offline"] {
        assert!(!all.contains(secret), "{secret} leaked");
    }
    assert_eq!(h.events()[0].body["connect"]["flags"]["will"], true);
}

#[test]
fn username_alone_is_its_own_exposure() {
    let connect = [
        &[0x10, 21][..], // CONNECT, Remaining Length 21
        b"\x00\x04MQTT",
        &[4],             // §3.1.2.1-2 "MQTT" level 4
        &[0x82],          // §3.1.2.3 user name flag + clean session, no password
        &[0, 10],         // Keep Alive 10
        b"\x00\x02id",    // Client Identifier "id"
        b"\x00\x05admin", // User Name
    ]
    .concat();
    let mut h = Harness::<Mqtt>::tcp(1883);
    h.feed(Side::Client, &connect);
    let e = exposures(&h.observations());
    assert_eq!(e.len(), 1);
    assert_eq!(e[0].subject, "MQTT CONNECT username");
    assert_eq!(e[0].user_present, Some(true));
    assert!(!format!("{:?}{:?}", h.observations(), h.events()).contains("admin"));
}

#[test]
fn anonymous_connect_has_no_exposure() {
    let connect = [
        &[0x10, 14][..],
        b"\x00\x04MQTT",
        &[4],
        &[0x02],
        &[0, 60],
        b"\x00\x02id",
    ]
    .concat();
    let mut h = Harness::<Mqtt>::tcp(1883);
    h.feed(Side::Client, &connect);
    let obs = h.observations();
    assert!(exposures(&obs).is_empty());
    assert_eq!(fact(&obs, "mqtt.username_present"), Some("false"));
}

#[test]
fn connect_split_byte_by_byte() {
    let mut h = Harness::<Mqtt>::tcp(1883);
    for b in pump_connect() {
        h.feed(Side::Client, &[b]);
    }
    assert_eq!(
        fact(&h.observations(), "mqtt.client_id"),
        Some("pump-17-XYZ")
    );
    assert_eq!(h.counter("messages"), 1);
}

#[test]
fn done_after_handshake_and_64_packets() {
    let mut h = Harness::<Mqtt>::tcp(1883);
    h.feed(Side::Client, &pump_connect());
    assert_eq!(h.feed(Side::Server, &connack()), Verdict::Continue);
    let publish = hex(V311_PUBLISH);
    for _ in 0..63 {
        assert_eq!(h.feed(Side::Client, &publish), Verdict::Continue);
    }
    assert_eq!(h.feed(Side::Client, &publish), Verdict::Done);
    assert_eq!(h.counter("publish"), 64);
}

#[test]
fn subscribe_is_counted_with_its_filters() {
    let subscribe = [
        &[0x82, 17][..], // §3.8.1 SUBSCRIBE, flags 0010, Remaining Length 17
        &[0x00, 0x01],   // §3.8.2 Packet Identifier 1
        b"\x00\x05ward3",
        &[1], // §3.8.3 Topic Filter + Requested QoS 1
        b"\x00\x04bed7",
        &[0], // second filter, QoS 0
    ]
    .concat();
    let mut h = Harness::<Mqtt>::tcp(1883);
    h.feed(Side::Client, &pump_connect());
    h.feed(Side::Client, &subscribe);
    h.end();
    assert_eq!(h.counter("subscribe"), 1);
    let events = h.events();
    let sum = &events.last().unwrap().body["summary"];
    assert_eq!(sum["subscribe"], 1);
    assert_eq!(sum["subscribe_topics"], 2);
    assert!(!format!("{events:?}{:?}", h.observations()).contains("ward3"));
}

#[test]
fn hostile_remaining_length_of_five_bytes() {
    // §2.2.3: at most four bytes; the fifth continuation byte is malformed.
    let bad = hex("10 ff ff ff ff 01");
    assert_eq!(Mqtt::probe(&bad, Side::Client, &ctx_tcp(1883)), Probe::No);
    let mut h = Harness::<Mqtt>::tcp(1883);
    assert_eq!(h.feed(Side::Client, &bad), Verdict::Done);
    assert_eq!(
        anomalies(&h.observations()),
        vec!["mqtt_remaining_length_too_long"]
    );
}

#[test]
fn hostile_string_length_past_the_end() {
    // Client Identifier length 0x0100 inside a 12-byte body.
    let connect = [
        &[0x10, 12][..],
        b"\x00\x04MQTT",
        &[4, 0x02, 0, 60],
        &[0x01, 0x00],
    ]
    .concat();
    let mut h = Harness::<Mqtt>::tcp(1883);
    h.feed(Side::Client, &connect);
    let obs = h.observations();
    assert_eq!(anomalies(&obs), vec!["mqtt_field_past_end"]);
    assert!(facts(&obs).is_empty());
}

#[test]
fn hostile_password_length_past_the_end() {
    // Password flag set, password length 0xffff with two bytes left.
    let connect = [
        &[0x10, 18][..],
        b"\x00\x04MQTT",
        &[4, 0x42, 0, 60],
        b"\x00\x02id",
        &[0xff, 0xff, b'P', b'u'],
    ]
    .concat();
    let mut h = Harness::<Mqtt>::tcp(1883);
    h.feed(Side::Client, &connect);
    let obs = h.observations();
    assert_eq!(anomalies(&obs), vec!["mqtt_field_past_end"]);
    assert!(exposures(&obs).is_empty());
}

#[test]
fn oversized_publish_is_skipped_and_the_next_packet_read() {
    let mut h = Harness::<Mqtt>::tcp(1883);
    h.feed(Side::Client, &pump_connect());
    // PUBLISH with Remaining Length 100,000 (a0 8d 06), past the 64 KiB packet limit.
    let mut big = hex("30 a0 8d 06");
    big.extend(std::iter::repeat_n(0u8, 100_000));
    h.feed(Side::Client, &big[..50_000]);
    h.feed(Side::Client, &big[50_000..]);
    h.feed(Side::Client, &hex(V311_PUBLISH));
    assert_eq!(h.counter("mqtt_packet_too_large"), 1);
    assert_eq!(h.counter("publish"), 1);
}

#[test]
fn second_connect_and_bad_flags_are_anomalies() {
    let mut h = Harness::<Mqtt>::tcp(1883);
    h.feed(Side::Client, &pump_connect());
    h.feed(Side::Client, &pump_connect());
    h.feed(Side::Client, &hex("36 00")); // PUBLISH QoS 3: §3.3.1.2 reserved
    let a = anomalies(&h.observations());
    assert!(a.contains(&"mqtt_second_connect"), "{a:?}");
    assert!(a.contains(&"mqtt_invalid_header_flags"), "{a:?}");
}

#[test]
fn probe_accepts_connect_prefixes_only() {
    let ctx = ctx_tcp(1883);
    let c = hex(V311_CONNECT);
    for n in 0..9 {
        assert_eq!(
            Mqtt::probe(&c[..n], Side::Client, &ctx),
            Probe::NeedMore,
            "prefix {n}"
        );
    }
    assert_eq!(Mqtt::probe(&c[..9], Side::Client, &ctx), Probe::Yes);
    // A mid-stream CONNACK or PUBLISH is not enough, nor is a CONNECT from the server.
    assert_eq!(Mqtt::probe(&connack(), Side::Server, &ctx), Probe::No);
    assert_eq!(
        Mqtt::probe(&hex(V311_PUBLISH), Side::Client, &ctx),
        Probe::No
    );
    assert_eq!(Mqtt::probe(&c, Side::Server, &ctx), Probe::No);
    // Wrong protocol name, wrong level, absurd Remaining Length.
    assert_eq!(
        Mqtt::probe(&hex("10 2b 0004 4d515458 04"), Side::Client, &ctx),
        Probe::No
    );
    assert_eq!(
        Mqtt::probe(&hex("10 2b 0004 4d515454 09"), Side::Client, &ctx),
        Probe::No
    );
    assert_eq!(
        Mqtt::probe(&hex("10 02 0004"), Side::Client, &ctx),
        Probe::No
    );
    assert_eq!(
        Mqtt::probe(b"GET / HTTP/1.1\r\n", Side::Client, &ctx),
        Probe::No
    );
}

#[test]
fn gap_ends_the_parser() {
    let mut h = Harness::<Mqtt>::tcp(1883);
    h.feed(Side::Client, &pump_connect());
    assert_eq!(h.gap(Side::Client, 10), Verdict::Done);
}

/// Mutated copies of the fixtures through the fuzz entry point (probe included): nothing
/// panics. Deterministic (xorshift), so a failure reproduces.
#[test]
fn mutated_fixtures_do_not_panic() {
    let seeds: Vec<Vec<u8>> = vec![
        hex(V311_CONNECT),
        pump_connect(),
        connack(),
        hex(V311_PUBLISH),
    ];
    fuzz_mutated("mqtt", &seeds);
}
