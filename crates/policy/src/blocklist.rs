//! Blocklists of malicious destinations → `blocklisted_destination` findings.
//!
//! Read from the formats threat feeds deliver, recognised by content:
//! - **STIX 2.1 bundles** (what MISP and TAXII feeds deliver): `indicator` objects whose
//!   `pattern` compares `domain-name:value`, `ipv4-addr:value`, `ipv6-addr:value` or
//!   `url:value` with `=` (OASIS STIX 2.1 §9.7 patterning); other objects are skipped, and
//!   revoked indicators too.
//! - **abuse.ch CSV** (URLhaus `url`, ThreatFox `ioc_value`+`ioc_type`, Feodo Tracker
//!   `dst_ip`), `#` comment lines and quoted fields allowed.
//! - **Plain lists**: one domain, IP address, CIDR or URL per line, or hosts-file lines
//!   (`0.0.0.0 evil.example`); `#` comments.
//!
//! A domain covers its subdomains (as DNS response-policy zones do). Matched against the
//! names a device asked DNS for, the TLS SNI and HTTP Host it sent, and the addresses it
//! talked to.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use foldhash::HashMap;
use model::{Conversation, Device, DeviceId, Finding, FindingId, FindingKind, Severity, Subnet};
use serde_json::json;

/// What an indicator names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndicatorValue {
    /// A domain and its subdomains (lowercase, no trailing dot).
    Domain(String),
    /// One address.
    Ip(IpAddr),
    /// A prefix.
    Subnet(Subnet),
}

/// One entry of a blocklist, with where it came from (`file:line`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Indicator {
    /// What it names.
    pub value: IndicatorValue,
    /// `file:line` (or `file` and the STIX id).
    pub origin: String,
}

/// A line (or object) of a blocklist that is not one; names the place.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlocklistError {
    /// `file:line` or `file`.
    pub at: String,
    /// What is wrong.
    pub problem: String,
}

impl fmt::Display for BlocklistError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.problem)
    }
}

impl std::error::Error for BlocklistError {}

/// A domain as compared: lowercase, without a trailing dot; `None` when it is no host name.
fn domain(text: &str) -> Option<String> {
    let d = text.trim().trim_end_matches('.').to_ascii_lowercase();
    let ok = !d.is_empty()
        && d.len() <= 253
        && d.contains('.')
        && d.split('.').all(|label| {
            !label.is_empty()
                && label.len() <= 63
                && label
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        });
    ok.then_some(d)
}

/// The host of a URL (`http://evil.example:8080/x` → `evil.example`).
fn url_host(url: &str) -> Option<&str> {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?', '#']).next()?;
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if let Some(v6) = host.strip_prefix('[') {
        return v6.split(']').next();
    }
    Some(host.split(':').next().unwrap_or(host))
}

/// An indicator from one plain value: an address, a prefix, a URL or a domain.
fn value_of(text: &str) -> Option<IndicatorValue> {
    let t = text.trim().trim_matches('"');
    if let Ok(ip) = t.parse::<IpAddr>() {
        return Some(IndicatorValue::Ip(ip));
    }
    if t.contains('/') && !t.contains("://") {
        return t.parse::<Subnet>().ok().map(IndicatorValue::Subnet);
    }
    if t.contains("://") {
        let host = url_host(t)?;
        return value_of(host);
    }
    domain(t).map(IndicatorValue::Domain)
}

/// Splits one CSV line (abuse.ch quote every field; commas inside quotes are kept).
fn csv_fields(line: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = line.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => out.push(std::mem::take(&mut field)),
            c => field.push(c),
        }
    }
    out.push(field);
    out.into_iter().map(|f| f.trim().to_string()).collect()
}

/// The value of a STIX pattern's comparisons this reads (`[domain-name:value = 'x']`, several
/// joined by OR).
fn stix_values(pattern: &str) -> Vec<IndicatorValue> {
    let mut out = Vec::new();
    for part in pattern.split(" OR ") {
        let part = part.trim().trim_start_matches('[').trim_end_matches(']');
        let Some((path, value)) = part.split_once('=') else {
            continue;
        };
        let value = value.trim().trim_matches('\'');
        let v = match path.trim() {
            "domain-name:value" => domain(value).map(IndicatorValue::Domain),
            "ipv4-addr:value" | "ipv6-addr:value" => value_of(value),
            "url:value" => url_host(value).and_then(value_of),
            _ => None,
        };
        out.extend(v);
    }
    out
}

/// The indicators of one blocklist file's text; `name` is how findings cite it.
pub fn parse(text: &str, name: &str) -> Result<Vec<Indicator>, BlocklistError> {
    let trimmed = text.trim_start_matches('\u{feff}').trim_start();
    if trimmed.starts_with('{') {
        return parse_stix(trimmed, name);
    }
    let mut out = Vec::new();
    // CSV: the header names the column (abuse.ch files put it in a comment line).
    let mut column: Option<(usize, Option<usize>)> = None;
    for (i, raw) in text.lines().enumerate() {
        let at = || format!("{name}:{}", i + 1);
        let line = raw.trim();
        let header = line.trim_start_matches('#').trim();
        let lower = header.to_ascii_lowercase();
        if column.is_none()
            && (lower.contains("ioc_value")
                || lower.contains("dst_ip")
                || lower.starts_with("id,dateadded,url")
                || lower.contains("\"url\""))
        {
            let fields: Vec<String> = csv_fields(&lower);
            let value = fields
                .iter()
                .position(|f| matches!(f.as_str(), "ioc_value" | "dst_ip" | "url"));
            let kind = fields.iter().position(|f| f == "ioc_type");
            if let Some(v) = value {
                column = Some((v, kind));
                continue;
            }
        }
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let value = match column {
            Some((v, kind)) => {
                let fields = csv_fields(line);
                let Some(cell) = fields.get(v) else {
                    return Err(BlocklistError {
                        at: at(),
                        problem: format!("{} fields, the value is field {}", fields.len(), v + 1),
                    });
                };
                // ThreatFox: "ip:port" values, and hashes (not destinations) skipped.
                let kind = kind.and_then(|k| fields.get(k)).map(String::as_str);
                match kind {
                    Some(k) if k.ends_with("hash") => continue,
                    Some("ip:port") => cell
                        .rsplit_once(':')
                        .map_or(cell.as_str(), |(ip, _)| ip)
                        .to_string(),
                    _ => cell.clone(),
                }
            }
            None => {
                // Hosts-file lines: "0.0.0.0 evil.example" (the address is the sinkhole).
                let mut words = line.split_whitespace();
                let first = words.next().unwrap_or_default();
                match words.next() {
                    Some(host) if matches!(first, "0.0.0.0" | "127.0.0.1" | "::" | "::1") => {
                        host.to_string()
                    }
                    _ => first.to_string(),
                }
            }
        };
        let parsed = value_of(&value).ok_or_else(|| BlocklistError {
            at: at(),
            problem: format!("{value:?} is not a domain, IP address, subnet or URL"),
        })?;
        out.push(Indicator {
            value: parsed,
            origin: at(),
        });
    }
    Ok(out)
}

fn parse_stix(text: &str, name: &str) -> Result<Vec<Indicator>, BlocklistError> {
    let err = |problem: String| BlocklistError {
        at: name.to_string(),
        problem,
    };
    let bundle: serde_json::Value =
        serde_json::from_str(text).map_err(|e| err(format!("not JSON: {e}")))?;
    if bundle["type"] != "bundle" {
        return Err(err(
            "a JSON blocklist must be a STIX 2.1 bundle (\"type\": \"bundle\")".into(),
        ));
    }
    let objects = bundle["objects"]
        .as_array()
        .ok_or_else(|| err("the bundle has no \"objects\" array".into()))?;
    let mut out = Vec::new();
    for o in objects {
        if o["type"] != "indicator" || o["revoked"] == true {
            continue;
        }
        let id = o["id"].as_str().unwrap_or("indicator");
        if let Some(pattern) = o["pattern"].as_str() {
            for value in stix_values(pattern) {
                out.push(Indicator {
                    value,
                    origin: format!("{name} {id}"),
                });
            }
        }
    }
    Ok(out)
}

/// Indicators indexed for matching.
#[derive(Debug, Default)]
pub struct Blocklist {
    indicators: Vec<Indicator>,
    domains: HashMap<String, usize>,
    ips: HashMap<IpAddr, usize>,
    subnets: Vec<(Subnet, usize)>,
}

/// How a device met an indicator.
#[derive(Debug, Default)]
struct Hit {
    via: BTreeMap<&'static str, ()>,
    names: BTreeMap<String, ()>,
    addresses: BTreeMap<IpAddr, ()>,
    flows: u64,
    bytes: u64,
    first: Option<model::Timestamp>,
    last: Option<model::Timestamp>,
}

impl Blocklist {
    /// Indexes `indicators` (the first of duplicates kept).
    pub fn new(indicators: Vec<Indicator>) -> Self {
        let mut b = Self::default();
        for (i, ind) in indicators.iter().enumerate() {
            match &ind.value {
                IndicatorValue::Domain(d) => {
                    b.domains.entry(d.clone()).or_insert(i);
                }
                IndicatorValue::Ip(ip) => {
                    b.ips.entry(*ip).or_insert(i);
                }
                IndicatorValue::Subnet(s) => b.subnets.push((*s, i)),
            }
        }
        b.indicators = indicators;
        b
    }

    /// How many indicators.
    pub fn len(&self) -> usize {
        self.indicators.len()
    }

    /// Whether it holds none.
    pub fn is_empty(&self) -> bool {
        self.indicators.is_empty()
    }

    /// The indicator covering `name` or one of its parent domains.
    fn domain(&self, name: &str) -> Option<usize> {
        let name = domain(name)?;
        let mut rest = name.as_str();
        loop {
            if let Some(&i) = self.domains.get(rest) {
                return Some(i);
            }
            rest = rest.split_once('.')?.1;
        }
    }

    fn ip(&self, ip: &IpAddr) -> Option<usize> {
        self.ips.get(ip).copied().or_else(|| {
            self.subnets
                .iter()
                .find(|(s, _)| s.contains(ip))
                .map(|(_, i)| *i)
        })
    }

    /// `blocklisted_destination` findings: one per device and indicator, with every way the
    /// device met it (DNS query, TLS SNI, HTTP Host, connection), sorted by id.
    pub fn findings(&self, devices: &[Device], conversations: &[Conversation]) -> Vec<Finding> {
        if self.is_empty() {
            return Vec::new();
        }
        let mut hits: BTreeMap<(String, usize), Hit> = BTreeMap::new();
        for d in devices {
            for q in &d.dns_queries {
                if let Some(i) = self.domain(q) {
                    let h = hits.entry((d.id.0.clone(), i)).or_default();
                    h.via.insert("dns_query", ());
                    h.names.insert(q.to_ascii_lowercase(), ());
                }
            }
            for f in &d.facts {
                let via = match f.key.as_ref() {
                    "tls.sni" => "tls_sni",
                    "http.host" => "http_host",
                    _ => continue,
                };
                let host = f.value.split(':').next().unwrap_or(&f.value);
                if let Some(i) = self
                    .domain(host)
                    .or_else(|| host.parse().ok().and_then(|ip| self.ip(&ip)))
                {
                    let h = hits.entry((d.id.0.clone(), i)).or_default();
                    h.via.insert(via, ());
                    h.names.insert(host.to_ascii_lowercase(), ());
                }
            }
        }
        for c in conversations {
            // The device that opened a conversation to a listed address, or answered one
            // from it.
            let (device, other) = match (&c.client_device, &c.server_device) {
                (Some(d), _) if self.ip(&c.server_addr).is_some() => (d, c.server_addr),
                (_, Some(d)) if self.ip(&c.client_addr).is_some() => (d, c.client_addr),
                _ => continue,
            };
            let Some(i) = self.ip(&other) else { continue };
            let h = hits.entry((device.to_string(), i)).or_default();
            h.via.insert("connection", ());
            h.addresses.insert(other, ());
            h.flows = h.flows.saturating_add(c.flows);
            h.bytes = h.bytes.saturating_add(c.bytes);
            h.first = Some(h.first.map_or(c.first_seen, |f| f.min(c.first_seen)));
            h.last = Some(h.last.map_or(c.last_seen, |l| l.max(c.last_seen)));
        }
        let seen = |id: &str| devices.iter().find(|d| d.id.0 == id);
        let mut out: Vec<Finding> = hits
            .into_iter()
            .map(|((device, i), h)| {
                let ind = &self.indicators[i];
                let (kind, value) = match &ind.value {
                    IndicatorValue::Domain(d) => ("domain", d.clone()),
                    IndicatorValue::Ip(ip) => ("ip", ip.to_string()),
                    IndicatorValue::Subnet(s) => ("subnet", s.to_string()),
                };
                let via: Vec<&str> = h.via.keys().copied().collect();
                let d = seen(&device);
                let first = h.first.or(d.map(|d| d.first_seen)).unwrap_or_default();
                let last = h.last.or(d.map(|d| d.last_seen)).unwrap_or_default();
                let mut evidence = serde_json::Map::new();
                evidence.insert("indicator".into(), json!(value));
                evidence.insert("indicator_type".into(), json!(kind));
                evidence.insert("list".into(), json!(ind.origin));
                evidence.insert("matched_by".into(), json!(via));
                evidence.insert(
                    "names".into(),
                    json!(h.names.keys().take(8).collect::<Vec<_>>()),
                );
                evidence.insert(
                    "addresses".into(),
                    json!(
                        h.addresses
                            .keys()
                            .take(8)
                            .map(ToString::to_string)
                            .collect::<Vec<_>>()
                    ),
                );
                evidence.insert("flows".into(), json!(h.flows));
                evidence.insert("bytes".into(), json!(h.bytes));
                Finding {
                    id: FindingId::from_parts(&[
                        FindingKind::BlocklistedDestination.as_str(),
                        &device,
                        &value,
                    ]),
                    kind: FindingKind::BlocklistedDestination,
                    // A connection made is worse than a name looked up.
                    severity: if h.via.contains_key("connection")
                        || h.via.contains_key("tls_sni")
                        || h.via.contains_key("http_host")
                    {
                        Severity::High
                    } else {
                        Severity::Medium
                    },
                    summary: format!(
                        "{device} reached blocklisted {kind} {value} ({}; listed in {})",
                        via.join(", "),
                        ind.origin
                    ),
                    device: DeviceId(device),
                    evidence,
                    first_seen: first,
                    last_seen: last,
                    count: h.flows.max(1),
                }
            })
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::{DeviceFact, Timestamp, Transport};
    use std::borrow::Cow;

    #[test]
    fn plain_lists_and_hosts_files_read_domains_addresses_prefixes_and_urls() {
        let text = "# comment\n\nevil.example\n0.0.0.0 ads.tracker.example\n203.0.113.7\n\
                    198.51.100.0/24\nhttp://drop.example:8080/payload.bin\nBAD.Example.\n";
        let got = parse(text, "l.txt").unwrap();
        let values: Vec<&IndicatorValue> = got.iter().map(|i| &i.value).collect();
        assert_eq!(values.len(), 6);
        assert_eq!(values[0], &IndicatorValue::Domain("evil.example".into()));
        assert_eq!(
            values[1],
            &IndicatorValue::Domain("ads.tracker.example".into())
        );
        assert_eq!(
            values[2],
            &IndicatorValue::Ip("203.0.113.7".parse().unwrap())
        );
        assert!(matches!(values[3], IndicatorValue::Subnet(_)));
        assert_eq!(values[4], &IndicatorValue::Domain("drop.example".into()));
        assert_eq!(values[5], &IndicatorValue::Domain("bad.example".into()));
        assert_eq!(got[2].origin, "l.txt:5");
        let e = parse("evil.example\nnot a domain!\n", "l.txt").unwrap_err();
        assert_eq!(e.at, "l.txt:2");
    }

    #[test]
    fn abuse_ch_csv_reads_the_value_column_and_skips_hashes() {
        let urlhaus = "################\n# abuse.ch URLhaus\n# id,dateadded,url,url_status,last_online,threat,tags,urlhaus_link,reporter\n\
            \"1\",\"2026-12-01 10:00:00\",\"http://198.51.100.9/x.sh\",\"online\",\"\",\"malware_download\",\"elf\",\"https://urlhaus.abuse.ch/url/1/\",\"r\"\n\
            \"2\",\"2026-12-01 10:00:00\",\"https://bad,host.example/a\",\"online\",\"\",\"x\",\"y\",\"z\",\"r\"\n";
        assert!(parse(urlhaus, "u.csv").is_err(), "a comma is no host name");
        let urlhaus = urlhaus.lines().take(4).collect::<Vec<_>>().join("\n");
        let got = parse(&urlhaus, "u.csv").unwrap();
        assert_eq!(got.len(), 1);
        assert_eq!(
            got[0].value,
            IndicatorValue::Ip("198.51.100.9".parse().unwrap())
        );
        let threatfox = "# \"first_seen_utc\",\"ioc_id\",\"ioc_value\",\"ioc_type\",\"threat_type\"\n\
            \"2026-12-01\",\"1\",\"c2.evil.example\",\"domain\",\"botnet_cc\"\n\
            \"2026-12-01\",\"2\",\"203.0.113.5:443\",\"ip:port\",\"botnet_cc\"\n\
            \"2026-12-01\",\"3\",\"d41d8cd98f00b204e9800998ecf8427e\",\"md5_hash\",\"payload\"\n";
        let got = parse(threatfox, "t.csv").unwrap();
        assert_eq!(got.len(), 2);
        assert_eq!(
            got[1].value,
            IndicatorValue::Ip("203.0.113.5".parse().unwrap())
        );
        let feodo = "first_seen_utc,dst_ip,dst_port,c2_status,last_online,malware\n\
                     2026-12-01 00:00:00,192.0.2.44,447,online,2026-12-02,QakBot\n";
        assert_eq!(parse(feodo, "f.csv").unwrap().len(), 1);
    }

    #[test]
    fn stix_bundles_read_indicator_patterns_and_skip_the_rest() {
        let bundle = r#"{"type": "bundle", "id": "bundle--1", "objects": [
            {"type": "indicator", "id": "indicator--a", "pattern_type": "stix",
             "pattern": "[domain-name:value = 'c2.evil.example']"},
            {"type": "indicator", "id": "indicator--b", "pattern_type": "stix",
             "pattern": "[ipv4-addr:value = '203.0.113.9'] OR [url:value = 'http://drop.example/x']"},
            {"type": "indicator", "id": "indicator--c", "revoked": true,
             "pattern": "[domain-name:value = 'old.example']"},
            {"type": "malware", "id": "malware--d", "name": "x"}
        ]}"#;
        let got = parse(bundle, "feed.json").unwrap();
        let values: Vec<&IndicatorValue> = got.iter().map(|i| &i.value).collect();
        assert_eq!(values.len(), 3);
        assert_eq!(values[0], &IndicatorValue::Domain("c2.evil.example".into()));
        assert_eq!(got[1].origin, "feed.json indicator--b");
        assert!(parse("{\"type\": \"report\"}", "x.json").is_err());
    }

    #[test]
    fn devices_meet_indicators_by_name_sni_and_connection() {
        let list = Blocklist::new(parse("evil.example\n203.0.113.0/24\n", "l.txt").unwrap());
        let mut d = Device {
            id: DeviceId("mac-000000000001".into()),
            dns_queries: vec!["cdn.EVIL.example".into(), "fine.example".into()],
            ..Device::default()
        };
        d.facts.push(DeviceFact {
            key: Cow::Borrowed("tls.sni"),
            value: "cdn.evil.example".into(),
            source: Cow::Borrowed("tls"),
            count: 1,
        });
        let conv = Conversation {
            client_addr: "10.0.0.5".parse().unwrap(),
            client_device: Some("mac-000000000001".into()),
            client_zone: "icu".into(),
            server_addr: "203.0.113.50".parse().unwrap(),
            server_device: None,
            server_zone: "internet".into(),
            transport: Transport::TCP,
            port: 443,
            app: Some("tls"),
            flows: 3,
            packets: 30,
            bytes: 3000,
            first_seen: Timestamp(5),
            last_seen: Timestamp(9),
        };
        let f = list.findings(&[d], &[conv]);
        assert_eq!(f.len(), 2);
        let by_name = f
            .iter()
            .find(|f| f.evidence["indicator"] == "evil.example")
            .unwrap();
        assert_eq!(
            by_name.evidence["matched_by"],
            json!(["dns_query", "tls_sni"])
        );
        assert_eq!(by_name.severity, Severity::High);
        let by_ip = f
            .iter()
            .find(|f| f.evidence["indicator_type"] == "subnet")
            .unwrap();
        assert_eq!(by_ip.evidence["addresses"], json!(["203.0.113.50"]));
        assert_eq!(by_ip.evidence["flows"], 3);
        assert_eq!(by_ip.evidence["list"], "l.txt:2");
    }
}
