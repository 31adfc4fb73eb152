//! SSDP fixtures: datagrams from corpus captures (file named at each) and hostile ones.

use serde_json::Value;

use super::*;
use crate::testing::{Harness, anomalies, ctx_udp, fact, facts, run_session, software};

/// suricata-verify/tests/sip-ssdp-pm/ssdp.pcap, frame 1 (a Tomato router's MiniUPnPd; note
/// the mixed-case `lOCATION`: field names are case-insensitive, RFC 9110 §5.1).
const NOTIFY_TOMATO: &[u8] = concat!(
    "NOTIFY * HTTP/1.1\r\n",          // UDA 2.0 §1.2.2 start line
    "HOST: 239.255.255.250:1900\r\n", // multicast address and port
    "CACHE-CONTROL: max-age=120\r\n", // advertisement lifetime
    "lOCATION: http://192.168.1.1:7406/rootDesc.xml\r\n", // description URL
    "SERVER: UPnP/Tomato 1.28.7500 MIPSR2Toastman-RT K26 USB Ext UPnP/1.0 MiniUPnPd/1.6\r\n", // OS UPnP product
    "NT: upnp:rootdevice\r\n", // notification type
    "USN: uuid:04645c3d-e6b4-4eea-bd35-5c320c12969f::upnp:rootdevice\r\n", // §1.1.4 USN
    "NTS: ssdp:alive\r\n",     // notification sub type
    "OPT: \"http://schemas.upnp.org/upnp/1/0/\"; ns=01\r\n",
    "01-NLS: 1\r\n",
    "BOOTID.UPNP.ORG: 1\r\n",      // §1.2.2 BOOTID
    "CONFIGID.UPNP.ORG: 1337\r\n", // §1.2.2 CONFIGID
    "\r\n",
)
.as_bytes();

/// nDPI/tests/cfgs/default/pcap/ssdp-m-search-ua.pcap, frame 1 (Chrome's DIAL search).
const MSEARCH_CHROME: &[u8] = concat!(
    "M-SEARCH * HTTP/1.1\r\n", // UDA 2.0 §1.3.2 start line
    "HOST: 239.255.255.250:1900\r\n",
    "MAN: \"ssdp:discover\"\r\n", // required extension
    "MX: 1\r\n",                  // maximum wait
    "ST: urn:dial-multiscreen-org:service:dial:1\r\n", // search target
    "USER-AGENT: Google Chrome/99.0.4844.74 Mac OS X\r\n", // §1.3.2 USER-AGENT
    "\r\n",
)
.as_bytes();

/// nDPI/tests/cfgs/default/pcap/anyconnect-vpn.pcap, the Roku's unicast answer from port
/// 1900 to Chrome's search (UDA 2.0 §1.3.3).
const RESPONSE_ROKU: &[u8] = concat!(
    "HTTP/1.1 200 OK\r\n", // §1.3.3 start line
    "Cache-Control: max-age=3600\r\n",
    "ST: urn:dial-multiscreen-org:service:dial:1\r\n",
    "USN: uuid:295c0004-6807-106d-80cf-d831342077fb::urn:dial-multiscreen-org:service:dial:1\r\n",
    "Ext: \r\n", // required, empty
    "Server: Roku UPnP/1.0 Roku/9.1.0\r\n",
    "LOCATION: http://10.0.0.151:8060/dial/dd.xml\r\n",
    "WAKEUP: MAC=d8:31:34:20:77:fb;Timeout=10\r\n",
    "\r\n",
)
.as_bytes();

#[test]
fn probe_takes_the_three_start_lines() {
    let ctx = ctx_udp(1900);
    assert_eq!(Ssdp::probe(NOTIFY_TOMATO, Side::Client, &ctx), Probe::Yes);
    assert_eq!(Ssdp::probe(MSEARCH_CHROME, Side::Client, &ctx), Probe::Yes);
    // The response flow runs from the device's port 1900 to the searcher's port.
    let response_ctx = FlowCtx {
        client_port: 1900,
        server_port: 61328,
        ..ctx
    };
    assert_eq!(
        Ssdp::probe(RESPONSE_ROKU, Side::Client, &response_ctx),
        Probe::Yes
    );
    // ST and USN both: content alone decides, whatever the ports.
    assert_eq!(
        Ssdp::probe(RESPONSE_ROKU, Side::Client, &ctx_udp(5000)),
        Probe::Yes
    );
    // Only one of them: port 1900 breaks the tie.
    let st_only = b"HTTP/1.1 200 OK\r\nST: upnp:rootdevice\r\n\r\n";
    assert_eq!(
        Ssdp::probe(st_only, Side::Client, &response_ctx),
        Probe::Yes
    );
    assert_eq!(
        Ssdp::probe(st_only, Side::Client, &ctx_udp(5000)),
        Probe::No
    );
    // Other HTTP-over-UDP look-alikes.
    let plain = b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n";
    assert_eq!(Ssdp::probe(plain, Side::Client, &ctx), Probe::No);
    assert_eq!(
        Ssdp::probe(b"NOTIFY sip:a@b SIP/2.0\r\n", Side::Client, &ctx),
        Probe::No
    );
    assert_eq!(Ssdp::probe(b"M-SEARCH", Side::Client, &ctx), Probe::No);
    assert_eq!(Ssdp::probe(b"", Side::Client, &ctx), Probe::No);
}

#[test]
fn corpus_notify_names_the_router() {
    let (name, obs, _) = run_session(ctx_udp(1900), &[(Side::Client, NOTIFY_TOMATO)]);
    assert_eq!(name, Some("ssdp"));
    assert_eq!(
        fact(&obs, "ssdp.server"),
        Some("UPnP/Tomato 1.28.7500 MIPSR2Toastman-RT K26 USB Ext UPnP/1.0 MiniUPnPd/1.6")
    );
    assert_eq!(
        fact(&obs, "ssdp.usn"),
        Some("uuid:04645c3d-e6b4-4eea-bd35-5c320c12969f")
    );
    assert_eq!(fact(&obs, "ssdp.nt"), Some("upnp:rootdevice"));
    assert_eq!(
        fact(&obs, "ssdp.location"),
        Some("http://192.168.1.1:7406/rootDesc.xml")
    );
    assert!(facts(&obs).iter().all(|(side, _, _)| *side == "client"));
    // The product after the UPnP token is the stack; the OS part is what precedes it.
    let sw = software(&obs);
    assert!(
        sw.contains(&("client", "MiniUPnPd".into(), Some("1.6".into()))),
        "{sw:?}"
    );
    assert_eq!(sw.len(), 2);
}

#[test]
fn notify_event_has_the_fields() {
    let mut h = Harness::<Ssdp>::udp(1900);
    assert_eq!(h.feed(Side::Client, NOTIFY_TOMATO), Verdict::Continue);
    let ev = h.events();
    assert_eq!(ev.len(), 1);
    let e = Value::Object(ev[0].body.clone());
    assert_eq!(e["method"], "NOTIFY");
    assert_eq!(e["nt"], "upnp:rootdevice");
    assert_eq!(e["nts"], "ssdp:alive");
    assert_eq!(
        e["usn"],
        "uuid:04645c3d-e6b4-4eea-bd35-5c320c12969f::upnp:rootdevice"
    );
    assert_eq!(e["location"], "http://192.168.1.1:7406/rootDesc.xml");
    assert!(e.get("st").is_none());
    assert!(e.get("status").is_none());
    assert_eq!(h.counter("messages"), 1);
}

#[test]
fn corpus_msearch_names_the_searcher() {
    let mut h = Harness::<Ssdp>::udp(1900);
    h.feed(Side::Client, MSEARCH_CHROME);
    let obs = h.observations();
    assert_eq!(
        fact(&obs, "ssdp.st"),
        Some("urn:dial-multiscreen-org:service:dial:1")
    );
    assert_eq!(
        fact(&obs, "ssdp.user_agent"),
        Some("Google Chrome/99.0.4844.74 Mac OS X")
    );
    // No UPnP/x.y token: the whole value is the product.
    assert_eq!(
        software(&obs),
        vec![(
            "client",
            "Google Chrome".into(),
            Some("99.0.4844.74".into())
        )]
    );
    assert!(anomalies(&obs).is_empty());
    assert_eq!(h.events()[0].body["method"], "M-SEARCH");
}

#[test]
fn corpus_search_response_names_the_roku() {
    let mut h = Harness::<Ssdp>::udp(61328);
    h.feed(Side::Client, RESPONSE_ROKU);
    let obs = h.observations();
    assert_eq!(fact(&obs, "ssdp.server"), Some("Roku UPnP/1.0 Roku/9.1.0"));
    assert_eq!(
        fact(&obs, "ssdp.usn"),
        Some("uuid:295c0004-6807-106d-80cf-d831342077fb")
    );
    assert_eq!(
        fact(&obs, "ssdp.location"),
        Some("http://10.0.0.151:8060/dial/dd.xml")
    );
    assert_eq!(
        software(&obs),
        vec![
            ("client", "Roku".into(), None),
            ("client", "Roku".into(), Some("9.1.0".into())),
        ]
    );
    let e = &h.events()[0].body;
    assert_eq!(e["method"], "response");
    assert_eq!(e["status"], 200);
    assert_eq!(e["st"], "urn:dial-multiscreen-org:service:dial:1");
}

#[test]
fn server_values_split_into_os_and_product() {
    let parts = |v: &'static [u8]| {
        let (os, product) = message::server_parts(v);
        (
            os.map(|p| (p.name, p.version)),
            product.map(|p| (p.name, p.version)),
        )
    };
    // UDA 2.0 §1.2.2 form.
    assert_eq!(
        parts(b"Linux/3.14 UPnP/2.0 Portable SDK for UPnP devices/1.6.19"),
        (
            Some((&b"Linux"[..], Some(&b"3.14"[..]))),
            Some((&b"Portable SDK for UPnP devices"[..], Some(&b"1.6.19"[..])))
        )
    );
    // UDA 1.0 commas; Windows.
    assert_eq!(
        parts(b"Microsoft-Windows/10.0, UPnP/1.0, UPnP-Device-Host/1.0"),
        (
            Some((&b"Microsoft-Windows"[..], Some(&b"10.0"[..]))),
            Some((&b"UPnP-Device-Host"[..], Some(&b"1.0"[..])))
        )
    );
    // Nothing after the UPnP token; nothing at all.
    assert_eq!(
        parts(b"Linux/4.9 UPnP/1.1"),
        (Some((&b"Linux"[..], Some(&b"4.9"[..]))), None)
    );
    assert_eq!(parts(b""), (None, None));
    assert_eq!(parts(b"/"), (None, None));
    assert_eq!(parts(b"UPnP/1.0"), (None, None));
}

#[test]
fn location_loses_query_and_userinfo() {
    let mut h = Harness::<Ssdp>::udp(1900);
    h.feed(
        Side::Client,
        b"NOTIFY * HTTP/1.1\r\nNT: upnp:rootdevice\r\nNTS: ssdp:alive\r\nLOCATION: http://admin:s3cret@10.1.1.5:49152/desc.xml?session=77aa\r\n\r\n",
    );
    let obs = h.observations();
    assert_eq!(
        fact(&obs, "ssdp.location"),
        Some("http://10.1.1.5:49152/desc.xml")
    );
    let all = format!("{obs:?}{:?}", h.events());
    assert!(!all.contains("s3cret") && !all.contains("77aa") && !all.contains("admin"));
}

#[test]
fn unterminated_head_is_read_and_marked() {
    let mut h = Harness::<Ssdp>::udp(1900);
    h.feed(
        Side::Client,
        b"M-SEARCH * HTTP/1.1\r\nST: ssdp:all\r\nMAN: \"ssdp:discover\"",
    );
    let obs = h.observations();
    assert_eq!(fact(&obs, "ssdp.st"), Some("ssdp:all"));
    assert_eq!(anomalies(&obs), vec!["ssdp_unterminated_head"]);
}

#[test]
fn hostile_datagrams_are_anomalies() {
    let mut h = Harness::<Ssdp>::udp(1900);
    h.feed(Side::Client, b"NOTIFY * HTTP/1.1\r\nNT\x00: x\r\n\r\n");
    h.feed(Side::Client, b"NOTIFY /path HTTP/1.1\r\nNT: x\r\n\r\n");
    h.feed(Side::Client, b"\xff\xfe garbage");
    h.feed(Side::Client, b"");
    let obs = h.observations();
    assert_eq!(
        anomalies(&obs),
        vec!["ssdp_invalid_head", "ssdp_unknown_start_line"]
    );
    assert_eq!(h.counter("ssdp_unknown_start_line"), 3);
    assert!(facts(&obs).is_empty());
}

#[test]
fn hostile_thousand_headers_keep_the_ones_read() {
    let mut d = b"NOTIFY * HTTP/1.1\r\n".to_vec();
    for i in 0..1000 {
        d.extend_from_slice(format!("X-{i}: {i}\r\n").as_bytes());
    }
    d.extend_from_slice(b"SERVER: Linux/5.4 UPnP/2.0 late/1.0\r\nNT: upnp:rootdevice\r\n\r\n");
    let mut h = Harness::<Ssdp>::udp(1900);
    h.feed(Side::Client, &d);
    let obs = h.observations();
    assert_eq!(fact(&obs, "ssdp.nt"), Some("upnp:rootdevice"));
    assert!(software(&obs).contains(&("client", "late".into(), Some("1.0".into()))));
    assert_eq!(anomalies(&obs), vec!["ssdp_too_many_headers"]);
}

#[test]
fn hostile_oversized_datagram_is_an_anomaly() {
    let mut d = b"NOTIFY * HTTP/1.1\r\nNT: ".to_vec();
    d.extend_from_slice(&vec![b'a'; 70 * 1024]);
    d.extend_from_slice(b"\r\n\r\n");
    let mut h = Harness::<Ssdp>::udp(1900);
    h.feed(Side::Client, &d);
    assert_eq!(anomalies(&h.observations()), vec!["ssdp_head_too_long"]);
    // A long value that fits is cut to 256 bytes when kept.
    let mut d = b"NOTIFY * HTTP/1.1\r\nNT: ".to_vec();
    d.extend_from_slice(&vec![b'a'; 1000]);
    d.extend_from_slice(b"\r\n\r\n");
    h.feed(Side::Client, &d);
    let obs = h.observations();
    assert!(fact(&obs, "ssdp.nt").unwrap().len() <= 256);
}

#[test]
fn done_after_256_datagrams_and_repeats_are_one_fact() {
    let mut h = Harness::<Ssdp>::udp(1900);
    for i in 0..255 {
        assert_eq!(
            h.feed(Side::Client, NOTIFY_TOMATO),
            Verdict::Continue,
            "datagram {i}"
        );
    }
    assert_eq!(h.feed(Side::Client, NOTIFY_TOMATO), Verdict::Done);
    let obs = h.observations();
    let servers = facts(&obs)
        .iter()
        .filter(|(_, k, _)| *k == "ssdp.server")
        .count();
    assert_eq!(servers, 1);
    assert_eq!(h.counter("messages"), 256);
}

#[test]
fn gaps_do_not_stop_a_datagram_flow() {
    let mut h = Harness::<Ssdp>::udp(1900);
    assert_eq!(h.gap(Side::Client, 100), Verdict::Continue);
}
