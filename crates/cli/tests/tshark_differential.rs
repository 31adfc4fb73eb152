//! Differential test against tshark's dissectors on a broad sample of the corpus: packet
//! counts, TCP/UDP 5-tuples, DHCP host names and vendor classes, DNS query names.
//!
//! tshark is the reference; where the two legitimately differ the comparison says why in a
//! comment (tshark dissects tunnels and ICMP-embedded headers, wardline does not yet).

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{analyze_json, corpus, manifest, parallel, require};

/// Link types wardline decodes (LINKTYPE numbers).
const DECODED_LINK_TYPES: &[&str] = &[
    "0", "1", "101", "105", "108", "113", "127", "228", "229", "276",
];

/// Files where wardline and tshark differ by design, each with the reason. Everything else in
/// the sample must agree exactly.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[
    (
        "nDPI/tests/cfgs/default/pcap/ip_fragmented_garbage.pcap",
        "overlapping IPv4 fragments: tshark reassembles them (later bytes win) and reads ports \
         from the result; wardline takes the ports of the first fragment and does not reassemble",
    ),
    (
        "zeek/testing/btest/Traces/ipv4/fragmented-2.pcap",
        "fragments that never reassemble: tshark shows no transport header, wardline attributes \
         them to the first fragment's ports",
    ),
    (
        "suricata-verify/tests/decode-nsh-type2/input.pcap",
        "Network Service Header (EtherType 0x894f) encapsulation is not decoded by wardline",
    ),
    (
        "tcpdump/tests/macsec-short-shorter.pcap",
        "MACsec (IEEE 802.1AE, EtherType 0x88e5) frames are not decoded by wardline",
    ),
    (
        "suricata-verify/tests/dns/dns-forward-pointer/input.pcap",
        "a DNS compression pointer pointing forward: RFC 1035 §4.1.4 says pointers refer to a \
         prior occurrence, so wardline rejects the name (dns_pointer_loop); tshark follows it",
    ),
];

fn sample() -> Vec<PathBuf> {
    let root = corpus();
    let rows: Vec<_> = manifest()
        .into_iter()
        .filter(|r| {
            r["read_error"].is_empty()
                && !r["protocols"].contains("_ws.malformed")
                && !r["protocols"].contains("_ws.short")
                && r["bytes"].parse::<u64>().is_ok_and(|b| b < 1_500_000)
                && r["link_types"].split(',').all(|lt| {
                    DECODED_LINK_TYPES.contains(&lt.split(':').next().unwrap_or_default())
                })
        })
        .collect();
    // Every file with DHCP or DNS-family names, plus every 6th other file: broad over sources,
    // link types and protocols, and all the identity captures.
    rows.iter()
        .enumerate()
        .filter(|(i, r)| {
            r["protocols"].contains("dhcp") || r["protocols"].contains("dns") || i % 6 == 0
        })
        .filter(|(_, r)| !KNOWN_DIFFERENCES.iter().any(|(f, _)| *f == r["path"]))
        .map(|(_, r)| root.join(&r["path"]))
        .collect()
}

/// First value of a tshark field that may repeat (tunnels, ICMP errors): the outer header.
fn first(field: &str) -> &str {
    field.split(',').next().unwrap_or_default()
}

#[derive(Debug, Default, PartialEq)]
struct Facts {
    packets: u64,
    tuples: BTreeSet<String>,
    dhcp_hostnames: BTreeSet<String>,
    dhcp_vendor_classes: BTreeSet<String>,
    dns_queries: BTreeSet<String>,
    /// A device reached the per-device query limit: wardline's set is then a subset.
    dns_queries_capped: bool,
}

/// wardline keeps this many query names per device (CONVENTIONS §6 list limit).
const DNS_QUERIES_PER_DEVICE: usize = 64;

fn tuple(proto: &str, a: &str, ap: &str, b: &str, bp: &str) -> String {
    let (x, y) = (format!("{a}#{ap}"), format!("{b}#{bp}"));
    if x <= y {
        format!("{proto} {x} {y}")
    } else {
        format!("{proto} {y} {x}")
    }
}

/// Names both tools render the same way: printable, unescaped, within the 253-character
/// limit of a DNS name in text (RFC 1035 §2.3.4). Hostile names (binary labels, tunnels) are
/// rendered with RFC 1035 `\DDD` escapes by wardline and differently by tshark.
fn comparable_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 253
        && name != "<Root>"
        && !name.starts_with('<')
        && name.bytes().all(|b| b.is_ascii_graphic() && b != b'\\')
}

fn tshark_facts(path: &Path) -> Facts {
    let fields = [
        "frame.protocols",
        "ip.src",
        "ip.dst",
        "ipv6.src",
        "ipv6.dst",
        "tcp.srcport",
        "tcp.dstport",
        "udp.srcport",
        "udp.dstport",
        "dhcp.type",
        "dhcp.option.hostname",
        "dhcp.option.vendor_class_id",
        "dns.flags.response",
        "dns.qry.name",
    ];
    let mut cmd = Command::new("tshark");
    cmd.arg("-r")
        .arg(path)
        .args(["-T", "fields", "-E", "separator=\t", "-E", "occurrence=a"]);
    for f in fields {
        cmd.args(["-e", f]);
    }
    let out = cmd.output().expect("run tshark");
    let text = String::from_utf8_lossy(&out.stdout);
    let mut facts = Facts::default();
    for line in text.lines() {
        facts.packets += 1;
        let v: Vec<&str> = line.split('\t').collect();
        let get = |i: usize| v.get(i).copied().unwrap_or_default();
        let stack: Vec<&str> = get(0).split(':').collect();
        // The outer IP header is the first of the stack; its addresses are the first values
        // of ip.* or ipv6.* accordingly (an IPv6 tunnel may carry IPv4, and vice versa).
        let ip_at = stack.iter().position(|p| *p == "ip" || *p == "ipv6");
        let (src, dst) = match ip_at.map(|i| stack[i]) {
            Some("ip") => (first(get(1)), first(get(2))),
            Some(_) => (first(get(3)), first(get(4))),
            None => continue,
        };
        // The first transport header must follow the first IP header (IPv6 extension headers
        // aside). Otherwise it belongs to something carried inside: an ICMP error quoting the
        // offending packet, or IP in IP. tshark reports such inner ports as the packet's own;
        // wardline accounts the outer ICMP / IP-in-IP packet.
        let next = ip_at.and_then(|i| stack[i + 1..].iter().find(|p| !p.starts_with("ipv6.")));
        let transport = next.copied().unwrap_or_default();
        if transport == "tcp" && !get(5).is_empty() {
            facts
                .tuples
                .insert(tuple("tcp", src, first(get(5)), dst, first(get(6))));
        } else if transport == "udp" && !get(7).is_empty() {
            facts
                .tuples
                .insert(tuple("udp", src, first(get(7)), dst, first(get(8))));
        }
        // DHCP: what clients said about themselves (BOOTREQUEST).
        if get(9) == "1" {
            for h in get(10).split(',').filter(|s| !s.is_empty()) {
                facts.dhcp_hostnames.insert(h.to_owned());
            }
            for c in get(11).split(',').filter(|s| !s.is_empty()) {
                facts.dhcp_vendor_classes.insert(c.to_owned());
            }
        }
        // DNS family: question names of queries. wardline recognises DNS, mDNS and LLMNR by
        // their UDP ports today (content probing comes with application parsers), and keeps
        // queries per device, so loopback askers (not devices) are left out.
        let dns_port = [first(get(7)), first(get(8))]
            .iter()
            .any(|p| matches!(*p, "53" | "5353" | "5355"));
        let loopback = src.starts_with("127.") || src == "::1";
        if get(12) == "0" && transport == "udp" && dns_port && !loopback {
            for q in get(13).split(',').filter(|s| comparable_name(s)) {
                facts.dns_queries.insert(q.to_ascii_lowercase());
            }
        }
    }
    facts
}

fn wardline_facts(path: &Path) -> (Facts, serde_json::Value) {
    let dir = tempfile::tempdir().expect("tempdir");
    let flows = dir.path().join("flows.csv");
    let (_, json) = analyze_json(&[path], &["--flows", flows.to_str().expect("utf-8 path")]);
    let mut facts = Facts {
        packets: json["inputs"][0]["packets"].as_u64().unwrap_or_default(),
        ..Facts::default()
    };
    let csv = std::fs::read_to_string(&flows).expect("flows csv");
    for line in csv.lines().skip(1) {
        let c: Vec<&str> = line.split(',').collect();
        if c[0] == "tcp" || c[0] == "udp" {
            facts.tuples.insert(tuple(c[0], c[3], c[4], c[6], c[7]));
        }
    }
    for d in json["devices"].as_array().into_iter().flatten() {
        for h in d["hostnames"].as_array().into_iter().flatten() {
            if h["source"] == "dhcp" {
                facts
                    .dhcp_hostnames
                    .insert(h["name"].as_str().unwrap_or_default().to_owned());
            }
        }
        if let Some(vc) = d["dhcp"]["vendor_class"].as_str() {
            facts.dhcp_vendor_classes.insert(vc.to_owned());
        }
        let queries = d["dns_queries"].as_array().map_or(&[][..], Vec::as_slice);
        if queries.len() >= DNS_QUERIES_PER_DEVICE {
            facts.dns_queries_capped = true;
        }
        for q in queries
            .iter()
            .filter_map(|q| q.as_str())
            .filter(|q| comparable_name(q))
        {
            facts.dns_queries.insert(q.to_owned());
        }
    }
    (facts, json)
}

#[test]
fn agrees_with_tshark_on_a_broad_corpus_sample() {
    require("tshark", "tshark");
    let files = sample();
    assert!(files.len() >= 300, "sample too small: {}", files.len());
    let results = parallel(&files, |path| {
        let want = tshark_facts(path);
        let (got, _) = wardline_facts(path);
        let mut diffs = BTreeMap::new();
        if want.packets != got.packets {
            diffs.insert(
                "packets",
                format!("tshark {} wardline {}", want.packets, got.packets),
            );
        }
        let mut set = |name: &'static str, w: &BTreeSet<String>, g: &BTreeSet<String>| {
            if w != g {
                let missing: Vec<_> = w.difference(g).take(5).collect();
                let extra: Vec<_> = g.difference(w).take(5).collect();
                diffs.insert(name, format!("missing {missing:?} extra {extra:?}"));
            }
        };
        set("tuples", &want.tuples, &got.tuples);
        set("dhcp_hostnames", &want.dhcp_hostnames, &got.dhcp_hostnames);
        set(
            "dhcp_vendor_classes",
            &want.dhcp_vendor_classes,
            &got.dhcp_vendor_classes,
        );
        if got.dns_queries_capped {
            if !got.dns_queries.is_subset(&want.dns_queries) {
                let extra: Vec<_> = got
                    .dns_queries
                    .difference(&want.dns_queries)
                    .take(5)
                    .collect();
                diffs.insert("dns_queries", format!("capped, yet extra {extra:?}"));
            }
        } else {
            set("dns_queries", &want.dns_queries, &got.dns_queries);
        }
        (
            path.strip_prefix(corpus())
                .unwrap_or(path)
                .display()
                .to_string(),
            diffs,
            want,
        )
    });
    let totals = results.iter().fold([0usize; 4], |mut t, (_, _, w)| {
        t[0] += w.tuples.len();
        t[1] += w.dhcp_hostnames.len();
        t[2] += w.dhcp_vendor_classes.len();
        t[3] += w.dns_queries.len();
        t
    });
    eprintln!(
        "{} files compared: {} 5-tuples, {} DHCP host names, {} vendor classes, {} DNS names",
        results.len(),
        totals[0],
        totals[1],
        totals[2],
        totals[3]
    );
    assert!(
        totals[1] >= 10 && totals[3] >= 100,
        "sample lacks identity data: {totals:?}"
    );
    let failures: Vec<_> = results.iter().filter(|(_, d, _)| !d.is_empty()).collect();
    let report: Vec<String> = failures
        .iter()
        .map(|(f, d, _)| format!("{f}: {d:?}"))
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} files differ:\n{}",
        failures.len(),
        results.len(),
        report.join("\n")
    );
}
