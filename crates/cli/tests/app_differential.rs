//! Differential test of the application-layer fields against tshark's dissectors, on every
//! corpus capture whose manifest lists the protocol: for each file, the set of values wardline's
//! events carry must equal the set tshark extracts.
//!
//! Differences are classified, printed, and bounded:
//! - **Explained tshark-only values**: the capture carries the protocol inside something
//!   wardline does not follow yet — tunnels and encapsulations the sensor does not decode (GRE,
//!   ERSPAN, CAPWAP, IP-in-IP, SCTP, link types such as NFLOG or Cisco HDLC), or TLS started
//!   after another protocol on the same connection (STARTTLS in SMTP/LDAP/MySQL, HTTP CONNECT,
//!   SOCKS, the PROXY protocol, OpenVPN, ADB's STLS): wardline gives a flow to one parser. The
//!   manifest's protocol tree says which files these are.
//! - **wardline-only text values** must appear verbatim in the capture's bytes (wardline
//!   probes by content on any port and follows streams tshark's reassembly gave up on; the
//!   value is then real, not invented). Hash values (JA3/JA3S) cannot be checked that way and
//!   count as unexplained.
//! - Strings over 256 bytes are cut by wardline (marked `…`): compared on the kept prefix.
//!
//! What is left (unexplained tshark-only and hash-only differences) must stay under 5% of
//! tshark's values per field.

mod common;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{corpus, manifest, parallel, require, tshark_time_as_eve, wardline};

/// One compared field: the manifest protocol that selects captures, tshark's field, and the
/// path to the same value in wardline's events (event_type, then keys).
struct Field {
    manifest_protocol: &'static str,
    /// The name the comparison is reported under (tshark's field, or it with a qualifier).
    label: &'static str,
    tshark: &'static str,
    /// Where wardline puts the value; several when tshark's field covers several of our
    /// parsers (tshark's `http.*` fields also cover SSDP, HTTP over UDP). An array on the way
    /// is searched element by element.
    events: &'static [&'static [&'static str]],
    /// tshark display filter limiting the packets compared, when the field is also in
    /// packets wardline does not decode as that protocol by design.
    filter: Option<&'static str>,
    /// Brings wardline's value to tshark's representation, where the two differ by design.
    ours: fn(String) -> String,
    /// Events per flow after which the parser stops by design (a bound of CONVENTIONS §6):
    /// tshark-only values of a file where a flow reached it are explained.
    bound: Option<usize>,
    /// Which of tshark's values in one packet are compared, in wardline's representation.
    theirs: fn(&[String]) -> Vec<String>,
    /// The byte forms a wardline-only value would have in the capture (to check it is real).
    wire_forms: fn(&str) -> Vec<Vec<u8>>,
}

impl Field {
    /// The comparison of tshark's `tshark` with wardline's `events` on the files listing
    /// `manifest_protocol`: every packet, every value, compared as it is.
    const fn new(
        manifest_protocol: &'static str,
        tshark: &'static str,
        events: &'static [&'static [&'static str]],
    ) -> Self {
        Self {
            manifest_protocol,
            label: tshark,
            tshark,
            events,
            filter: None,
            ours: same,
            bound: None,
            theirs: all,
            wire_forms: verbatim,
        }
    }

    const fn filter(self, filter: &'static str) -> Self {
        Self {
            filter: Some(filter),
            ..self
        }
    }
}

/// A text value is in the capture as it is.
fn verbatim(v: &str) -> Vec<Vec<u8>> {
    vec![v.as_bytes().to_vec()]
}

/// A certificate time `2026-12-06T20:54:40` is in the DER as UTCTime `261206205440Z` or
/// GeneralizedTime `20261206205440Z` (RFC 5280 §4.1.2.5).
fn der_time(v: &str) -> Vec<Vec<u8>> {
    let digits: String = v.chars().filter(char::is_ascii_digit).collect();
    let general = format!("{digits}Z");
    let utc = general.get(2..).unwrap_or_default().to_owned();
    vec![general.into_bytes(), utc.into_bytes()]
}

/// Every value tshark lists in the packet.
fn all(values: &[String]) -> Vec<String> {
    values.to_vec()
}

/// A Certificate message lists every certificate of the chain, the leaf (the server's own)
/// first, each with notBefore then notAfter (UTCTime; certificates valid past 2049 use
/// GeneralizedTime, a field of its own, and are left out).
fn leaf_time(values: &[String], index: usize) -> Vec<String> {
    values
        .get(index)
        .map(|v| tshark_time_as_eve(v))
        .into_iter()
        .collect()
}

fn leaf_not_before(values: &[String]) -> Vec<String> {
    leaf_time(values, 0)
}

fn leaf_not_after(values: &[String]) -> Vec<String> {
    leaf_time(values, 1)
}

/// Values compared as they are.
fn same(v: String) -> String {
    v
}

/// tshark's `modbus.func_code` drops the exception bit (0x80) that EVE's `function_raw` keeps.
fn without_exception_bit(v: String) -> String {
    v.parse::<u8>().map_or(v, |code| (code & 0x7f).to_string())
}

const FIELDS: &[Field] = &[
    Field::new(
        "tls",
        "tls.handshake.extensions_server_name",
        &[&["tls", "sni"]],
    ),
    Field::new("tls", "tls.handshake.ja3", &[&["tls", "ja3", "hash"]]),
    Field::new("tls", "tls.handshake.ja3s", &[&["tls", "ja3s", "hash"]]),
    // Certificate validity (TLS ≤ 1.2, where the certificate is in cleartext): the leaf's.
    Field {
        label: "x509af.utcTime (leaf notBefore)",
        theirs: leaf_not_before,
        wire_forms: der_time,
        ..Field::new("tls", "x509af.utcTime", &[&["tls", "notbefore"]]).filter(SERVER_CERTIFICATES)
    },
    Field {
        label: "x509af.utcTime (leaf notAfter)",
        theirs: leaf_not_after,
        wire_forms: der_time,
        ..Field::new("tls", "x509af.utcTime", &[&["tls", "notafter"]]).filter(SERVER_CERTIFICATES)
    },
    Field::new(
        "http",
        "http.user_agent",
        &[&["http", "http_user_agent"], &["ssdp", "user_agent"]],
    ),
    Field::new(
        "http",
        "http.server",
        &[&["http", "server"], &["ssdp", "server"]],
    ),
    Field::new(
        "mqtt",
        "mqtt.clientid",
        &[&["mqtt", "connect", "client_id"]],
    ),
    Field::new("lldp", "lldp.tlv.system.name", &[&["lldp", "system_name"]]),
    Field::new("cdp", "cdp.deviceid", &[&["cdp", "device_id"]]),
    Field {
        // proto::snmp reads 64 datagrams per flow (identity comes in the first).
        bound: Some(64),
        // Not the SNMP quoted inside ICMP errors.
        ..Field::new("snmp", "snmp.name", &[&["snmp", "vars"]]).filter("udp && !icmp && !icmpv6")
    },
    Field::new(
        "mbtcp",
        "mbtcp.unit_id",
        &[
            &["modbus", "request", "unit_id"],
            &["modbus", "response", "unit_id"],
        ],
    ),
    Field {
        ours: without_exception_bit,
        ..Field::new(
            "mbtcp",
            "modbus.func_code",
            &[
                &["modbus", "request", "function_raw"],
                &["modbus", "response", "function_raw"],
            ],
        )
    },
    // I-Am (unconfirmed service 0): the device's own instance and vendor. (tshark's
    // instance_number is also every object identifier of every other service.)
    Field::new(
        "bacapp",
        "bacapp.instance_number",
        &[&["bacnet", "device_instance"]],
    )
    .filter("bacapp.unconfirmed_service == 0"),
    Field::new(
        "bacapp",
        "bacapp.vendor_identifier",
        &[&["bacnet", "vendor_id"]],
    )
    .filter("bacapp.unconfirmed_service == 0"),
    Field::new("hl7", "hl7.message.type", &[&["hl7", "message_type"]]),
    // The packet-level identity protocols' events (DHCP and the DNS family over UDP).
    Field::new("dhcp", "dhcp.option.hostname", &[&["dhcp", "hostname"]]),
    Field::new("dhcp", "dhcp.hw.mac_addr", &[&["dhcp", "client_mac"]]),
    Field::new(
        "dns",
        "dns.qry.name",
        &[
            &["dns", "rrname"],
            &["mdns", "rrname"],
            &["llmnr", "rrname"],
        ],
    )
    .filter(DNS_OVER_UDP),
];

/// DNS packets wardline decodes: over UDP on the DNS family's ports (53, mDNS 5353, LLMNR
/// 5355: the identity decoders go by port; DNSCrypt-style DNS on 443 and DNS over TCP are not
/// parsed yet), unfragmented (fragments are counted, not reassembled), not quoted inside an
/// ICMP error.
const DNS_OVER_UDP: &str = "udp && (udp.port == 53 || udp.port == 5353 || udp.port == 5355) \
    && !icmp && !icmpv6 && !(ip.flags.mf == 1) && !(ip.frag_offset > 0)";

/// Packets with a server's Certificate message whose times are all UTCTime: a client's
/// certificate (mutual TLS) travels with its ClientKeyExchange or CertificateVerify, which a
/// server never sends; wardline reports the server's.
const SERVER_CERTIFICATES: &str = "tls.handshake.type == 11 && !(tls.handshake.type == 16) \
    && !(tls.handshake.type == 15) && !x509af.generalizedTime";

/// Files per protocol compared at most (the corpus has hundreds of TLS captures; the slowest
/// part is tshark).
const MAX_FILES_PER_PROTOCOL: usize = 120;

/// Link types the sensor decodes (the robustness and tshark differential tests use the same).
const DECODED_LINK_TYPES: &[&str] = &[
    "0", "1", "101", "105", "108", "113", "127", "228", "229", "276",
];

/// Protocols in tshark's tree that carry traffic wardline does not follow in this version.
const NOT_FOLLOWED: &[&str] = &[
    "gre",
    "erspan",
    "capwap.data",
    "vxlan",
    "geneve",
    "teredo",
    "l2tp",
    "sctp",
    "socks",
    "proxy",
    "openvpn",
    "nflog",
    "chdlc",
    "gtp",
    "ayiya",
    // TLS inside QUIC (tshark decrypts QUIC Initial packets; wardline has no QUIC parser yet).
    "quic",
];

/// Protocols that can switch their connection to TLS midway (STARTTLS and the like).
const UPGRADES_TO_TLS: &[&str] = &[
    "smtp", "ldap", "mysql", "pgsql", "imap", "pop", "ftp", "xmpp", "http", "nntp", "tds",
];

/// Why tshark can see a value of `protocol` wardline does not, from the file's manifest row;
/// `None` when nothing explains it.
fn known_gap(row: &std::collections::HashMap<String, String>, protocol: &str) -> Option<String> {
    let links = row
        .get("link_types")
        .map(String::as_str)
        .unwrap_or_default();
    for link in links.split(',') {
        let number = link.split(':').next().unwrap_or_default();
        if !DECODED_LINK_TYPES.contains(&number) {
            return Some(format!("link type {link} not decoded"));
        }
    }
    let tree: Vec<&str> = row
        .get("protocols")
        .map(String::as_str)
        .unwrap_or_default()
        .split(',')
        .collect();
    if let Some(p) = tree.iter().find(|p| NOT_FOLLOWED.contains(p)) {
        return Some(format!("carried in {p}"));
    }
    // IP in IP (4in6, 6in4): both network layers in the tree, one after the other.
    if tree
        .windows(2)
        .any(|w| matches!(w, ["ip", "ipv6"] | ["ipv6", "ip"]))
    {
        return Some("IP-in-IP tunnel".into());
    }
    // The protocol after another one on the same connection (STARTTLS, a SOCKS or CONNECT
    // handshake tshark shows as `data`): wardline gives a connection to one parser.
    let at = tree.iter().position(|p| *p == protocol);
    if let Some(t) = at
        && tree[..t]
            .iter()
            .any(|p| (protocol == "tls" && UPGRADES_TO_TLS.contains(p)) || *p == "data")
    {
        return Some(format!(
            "{protocol} after another protocol on the connection"
        ));
    }
    None
}

/// The manifest row of `path`.
fn row_of(path: &Path) -> std::collections::HashMap<String, String> {
    let rel = path
        .strip_prefix(corpus())
        .unwrap_or(path)
        .display()
        .to_string();
    manifest()
        .into_iter()
        .find(|r| r.get("path") == Some(&rel))
        .unwrap_or_default()
}

fn files_with(protocol: &str) -> Vec<PathBuf> {
    let root = corpus();
    let mut files: Vec<PathBuf> = manifest()
        .into_iter()
        .filter(|row| {
            row.get("read_error").is_some_and(String::is_empty)
                && row
                    .get("protocols")
                    .is_some_and(|p| p.split(',').any(|x| x == protocol))
                && row.get("bytes").and_then(|b| b.parse::<u64>().ok()) < Some(4_000_000)
        })
        .filter_map(|row| row.get("path").map(|p| root.join(p)))
        .collect();
    files.sort();
    files.truncate(MAX_FILES_PER_PROTOCOL);
    files
}

/// Comparable form: trimmed, cut where wardline cuts (256 bytes, `…` marked), and ASCII only:
/// tshark shows bytes it does not take for ASCII as U+FFFD one by one where wardline decodes
/// UTF-8, so non-ASCII characters are dropped on both sides.
///
/// tshark writes bytes it cannot print in a DNS name as `\DDD` escapes (RFC 1035 §5.1) where
/// wardline writes U+FFFD: both are dropped. The root name is `<Root>` in tshark and `<root>`
/// in EVE.
fn comparable(v: &str) -> String {
    let v = v.trim();
    let v = v.strip_suffix('\u{2026}').unwrap_or(v);
    if v.eq_ignore_ascii_case("<root>") {
        return "<root>".into();
    }
    let mut out = String::with_capacity(v.len());
    let mut chars = v.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' && chars.peek().is_some_and(char::is_ascii_digit) {
            for _ in 0..3 {
                chars.next_if(char::is_ascii_digit);
            }
            continue;
        }
        if c.is_ascii() {
            out.push(c);
        }
    }
    out
}

/// tshark's placeholders for a DNS name it could not read (`<Name too long>`, `<Unknown
/// extended label>`): no name to compare.
fn tshark_placeholder(v: &str) -> bool {
    v.starts_with('<') && v.ends_with('>') && v != "<root>"
}

fn tshark_values(
    path: &Path,
    field: &str,
    filter: Option<&str>,
    pick: fn(&[String]) -> Vec<String>,
) -> BTreeSet<String> {
    let mut cmd = Command::new("tshark");
    cmd.args(["-n", "-r"]).arg(path);
    if let Some(f) = filter {
        cmd.args(["-Y", f]);
    }
    let out = cmd
        .args(["-T", "json", "-e", field])
        .output()
        .expect("run tshark");
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap_or_default();
    let mut values = BTreeSet::new();
    for packet in json.as_array().into_iter().flatten() {
        let layer = &packet["_source"]["layers"][field];
        let in_packet: Vec<String> = layer
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|v| v.as_str().map(str::to_owned))
            .collect();
        for v in pick(&in_packet) {
            values.insert(comparable(&v));
        }
    }
    values
}

fn wardline_events(path: &Path) -> Vec<serde_json::Value> {
    let dir = tempfile::tempdir().expect("tempdir");
    let events = dir.path().join("events.jsonl");
    let out = wardline()
        .arg("analyze")
        .arg(path)
        .args(["--format", "json", "--no-progress", "--events"])
        .arg(&events)
        .output()
        .expect("run wardline");
    assert!(
        out.status.code().is_some_and(|c| c <= 1),
        "{}: wardline failed: {}",
        path.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read_to_string(&events)
        .unwrap_or_default()
        .lines()
        .map(|l| serde_json::from_str(l).expect("every event line is JSON"))
        .collect()
}

fn event_values(events: &[serde_json::Value], path: &[&str]) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for e in events {
        if e["event_type"] != path[0] {
            continue;
        }
        collect_strings(&e[path[0]], &path[1..], &mut out);
    }
    out
}

/// Whether some flow has `bound` events of `event_type` (the parser stopped there).
fn flow_reached(events: &[serde_json::Value], event_type: &str, bound: usize) -> bool {
    let mut per_flow: BTreeMap<u64, usize> = BTreeMap::new();
    for e in events.iter().filter(|e| e["event_type"] == event_type) {
        *per_flow
            .entry(e["flow_id"].as_u64().unwrap_or(0))
            .or_default() += 1;
    }
    per_flow.values().any(|&n| n >= bound)
}

/// The strings at `keys` under `v`, looking into every element of the arrays on the way.
fn collect_strings(v: &serde_json::Value, keys: &[&str], out: &mut BTreeSet<String>) {
    match (v, keys) {
        (serde_json::Value::Array(items), _) => {
            for item in items {
                collect_strings(item, keys, out);
            }
        }
        (serde_json::Value::String(s), []) => {
            out.insert(comparable(s));
        }
        (serde_json::Value::Number(n), []) => {
            out.insert(n.to_string());
        }
        (_, [key, rest @ ..]) => collect_strings(&v[*key], rest, out),
        _ => {}
    }
}

#[derive(Default, Debug)]
struct Tally {
    files: usize,
    equal_files: usize,
    agreed: usize,
    /// Values tshark saw and wardline did not, with a known reason.
    explained: Vec<String>,
    /// Values only wardline saw that are verbatim in the capture.
    in_capture: Vec<String>,
    /// Everything else.
    unexplained: Vec<String>,
}

#[test]
fn application_fields_agree_with_tshark() {
    require("tshark", "tshark");
    let mut tallies: BTreeMap<&str, Tally> = BTreeMap::new();
    let mut protocols: Vec<&str> = FIELDS.iter().map(|f| f.manifest_protocol).collect();
    protocols.dedup();
    // WARDLINE_DIFF_PROTOCOLS=dns,dhcp compares only those (for a developer's quick run).
    let only = std::env::var("WARDLINE_DIFF_PROTOCOLS").ok();
    let selected = |protocol: &str| {
        only.as_deref()
            .is_none_or(|o| o.split(',').any(|p| p == protocol))
    };
    protocols.retain(|p| selected(p));
    for protocol in protocols {
        let files = files_with(protocol);
        let fields: Vec<&Field> = FIELDS
            .iter()
            .filter(|f| f.manifest_protocol == protocol)
            .collect();
        let results = parallel(&files, |path| {
            let events = wardline_events(path);
            fields
                .iter()
                .map(|&f| {
                    (
                        f,
                        tshark_values(path, f.tshark, f.filter, f.theirs),
                        f.events
                            .iter()
                            .flat_map(|path| event_values(&events, path))
                            .map(f.ours)
                            .collect::<BTreeSet<_>>(),
                        f.bound
                            .is_some_and(|b| flow_reached(&events, f.events[0][0], b)),
                    )
                })
                .collect::<Vec<_>>()
        });
        for (path, per_field) in files.iter().zip(results) {
            let row = row_of(path);
            let gap = known_gap(&row, protocol);
            let raw = std::fs::read(path).unwrap_or_default();
            let name = path
                .strip_prefix(corpus())
                .unwrap_or(path)
                .display()
                .to_string();
            for (field, theirs, mut ours, bounded) in per_field {
                let t = tallies.entry(field.label).or_default();
                // A long value wardline cut at 256 bytes (after replacing undecodable bytes,
                // which can make it shorter than tshark's): the same value when tshark's
                // starts with the kept part.
                let cut: Vec<(String, String)> = ours
                    .difference(&theirs)
                    .filter(|v| v.len() >= 64)
                    .filter_map(|v| {
                        theirs
                            .difference(&ours)
                            .find(|w| w.starts_with(v.as_str()))
                            .map(|w| (v.clone(), w.clone()))
                    })
                    .collect();
                for (v, w) in cut {
                    ours.remove(&v);
                    ours.insert(w);
                }
                if theirs.is_empty() && ours.is_empty() {
                    continue;
                }
                t.files += 1;
                if theirs == ours {
                    t.equal_files += 1;
                }
                t.agreed += theirs.intersection(&ours).count();
                for v in theirs.difference(&ours) {
                    if tshark_placeholder(v) {
                        t.explained
                            .push(format!("{name}: {v:?} (tshark's placeholder)"));
                        continue;
                    }
                    if bounded {
                        t.explained
                            .push(format!("{name}: {v:?} (past the parser's per-flow bound)"));
                        continue;
                    }
                    match &gap {
                        Some(why) => t.explained.push(format!("{name}: {v:?} ({why})")),
                        None => t.unexplained.push(format!("{name}: tshark only {v:?}")),
                    }
                }
                for v in ours.difference(&theirs) {
                    let in_capture = !v.is_empty()
                        && (field.wire_forms)(v).iter().any(|form| {
                            !form.is_empty()
                                && raw.windows(form.len()).any(|w| w == form.as_slice())
                        });
                    if in_capture {
                        t.in_capture.push(format!("{name}: {v:?}"));
                    } else {
                        t.unexplained.push(format!("{name}: wardline only {v:?}"));
                    }
                }
            }
        }
    }
    let mut failures = Vec::new();
    for (field, t) in &tallies {
        let theirs = t.agreed + t.explained.len() + t.unexplained.len();
        let rate = t.unexplained.len() as f64 / theirs.max(1) as f64;
        eprintln!(
            "{field}: {} files ({} identical), {} values agreed, {} explained gaps, {} found \
             only by wardline and present in the capture, {} unexplained ({:.1}%)",
            t.files,
            t.equal_files,
            t.agreed,
            t.explained.len(),
            t.in_capture.len(),
            t.unexplained.len(),
            rate * 100.0
        );
        for d in t.explained.iter().take(4) {
            eprintln!("  explained: {d}");
        }
        for d in t.in_capture.iter().take(4) {
            eprintln!("  wardline only, in the capture: {d}");
        }
        for d in &t.unexplained {
            eprintln!("  UNEXPLAINED: {d}");
        }
        if rate > 0.05 {
            failures.push(format!("{field}: {:.1}% unexplained", rate * 100.0));
        }
    }
    for f in FIELDS {
        if !selected(f.manifest_protocol) {
            continue;
        }
        let t = tallies.get(f.label);
        assert!(
            t.is_some_and(|t| t.agreed > 0),
            "{}: no value of this field was compared: the corpus selection or the parser is broken",
            f.label
        );
    }
    assert!(
        failures.is_empty(),
        "disagreements with tshark: {failures:#?}"
    );
}
