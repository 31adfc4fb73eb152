//! Unusual behaviour read from flow records, each finding explained against what the device
//! did before or what a normal conversation looks like:
//!
//! - `port_scan`: one client opening connections to many ports of one server (vertical) or to
//!   one port of many servers (horizontal) within a minute, counting only attempts that were
//!   refused or unanswered, as Zeek's scan policy counts failed connections (MITRE ATT&CK
//!   T1046, Network Service Discovery).
//! - `beaconing`: a device reaching the same internet server and port again and again at a
//!   steady interval (a median interval of at least 10 s, each within 10 % of it, at least
//!   five times): how implants call home (ATT&CK T1071 with T1029, Scheduled Transfer).
//! - `new_external_destination`: a device with a small, settled set of internet peers during
//!   the learning part of the observation (its first `learning_fraction`) reaching an internet
//!   address outside it afterwards. Baselines are per device family (category and vendor):
//!   general-purpose computers people browse from (workstations, phones, servers), network
//!   gear (which forwards others' traffic), families
//!   with more internet peers than `max_baseline_destinations` while learning have no such
//!   baseline and are not judged, nor is anything when the learning part is under 5 minutes.
//!
//! State is bounded (CONVENTIONS §6): clients, series and destinations per client have caps,
//! and what does not fit is counted, not kept.

use std::net::IpAddr;

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use serde_json::json;

use model::{
    Device, DeviceId, Finding, FindingId, FindingKind, FlowObservation, Severity, Timestamp,
    Transport, ip_is_local, ip_is_unicast,
};

const SECOND: i64 = 1_000_000_000;

/// Thresholds and limits.
#[derive(Debug, Clone, PartialEq)]
pub struct BehaviourConfig {
    /// Distinct ports of one server within a minute that make a (vertical) scan: 15, Zeek's
    /// `Scan::port_scan_threshold`.
    pub scan_ports: usize,
    /// Distinct servers on one port within a minute that make a (horizontal) scan: 25,
    /// Zeek's `Scan::addr_scan_threshold`.
    pub scan_hosts: usize,
    /// Fewest repetitions of one internet (server, port) that can be beaconing.
    pub beacon_min_flows: usize,
    /// The part of the observed time (from the first flow to the last) that forms baselines.
    pub learning_fraction: f64,
    /// A device with more internet peers than this while learning has no baseline.
    pub max_baseline_destinations: usize,
    /// The shortest learning part a baseline is drawn from, seconds: a capture of a few
    /// seconds says nothing about what a device usually reaches.
    pub min_learning_seconds: i64,
    /// Clients tracked (the rest are counted in `untracked_flows`).
    pub max_clients: usize,
    /// Categories of general-purpose computers people browse from: they have no settled set
    /// of internet peers, so no baseline to leave.
    pub browsing_categories: Vec<String>,
}

impl Default for BehaviourConfig {
    fn default() -> Self {
        Self {
            scan_ports: 15,
            scan_hosts: 25,
            beacon_min_flows: 5,
            learning_fraction: 0.4,
            max_baseline_destinations: 8,
            min_learning_seconds: 300,
            max_clients: 65_536,
            browsing_categories: [
                "workstation",
                "clinical_workstation",
                "imaging_workstation",
                "laptop",
                "mobile_phone",
                "tablet",
                "server",
                "unknown",
                // Phones reach whoever they call (RTP media to each caller's address).
                "ip_phone",
                // Network gear forwards everyone's traffic; its "destinations" are theirs.
                "router",
                "firewall",
                "network_switch",
                "wireless_ap",
                "wireless_controller",
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

/// Attempts remembered per client and minute for scan detection.
const SCAN_SAMPLE: usize = 512;
/// Attempts held across all clients (24 MiB).
const MAX_ATTEMPTS_HELD: usize = 1 << 20;
/// Flow start times kept per (client, internet server, port) series.
const SERIES_LEN: usize = 32;
/// Series kept per client.
const SERIES_PER_CLIENT: usize = 64;
/// Internet destinations remembered per client.
const DESTINATIONS_PER_CLIENT: usize = 64;

#[derive(Debug, Default)]
struct Client {
    /// The minute the scan sample covers, and its failed (server, port) attempts.
    minute: i64,
    attempts: Vec<(IpAddr, u16)>,
    /// Scans found: (vertical target or horizontal port) → evidence.
    scans: Vec<Scan>,
    /// (server, transport, port) → connection start times, and whether the last record was
    /// split by the active timeout (its successor continues it: no new connection).
    series: HashMap<(IpAddr, Transport, u16), (Vec<Timestamp>, bool)>,
    /// Internet destination → (first seen, flows, bytes, port).
    destinations: HashMap<IpAddr, (Timestamp, u64, u64, u16)>,
    /// More internet destinations than remembered.
    destinations_overflow: bool,
}

#[derive(Debug, Clone)]
struct Scan {
    /// `vertical` (ports of one server) or `horizontal` (one port of many servers).
    shape: &'static str,
    targets: Vec<String>,
    /// The port of a horizontal scan.
    port: Option<u16>,
    distinct: usize,
    start: Timestamp,
}

/// Flow records watched for unusual behaviour.
#[derive(Debug)]
pub struct BehaviourTracker {
    config: BehaviourConfig,
    clients: HashMap<IpAddr, Client>,
    first: Option<Timestamp>,
    last: Timestamp,
    /// Scan attempts held by all clients.
    attempts_held: usize,
    /// Flow records of clients not tracked because the table was full.
    pub untracked_flows: u64,
}

impl BehaviourTracker {
    /// An empty tracker.
    pub fn new(config: BehaviourConfig) -> Self {
        Self {
            config,
            clients: HashMap::new(),
            first: None,
            last: Timestamp(i64::MIN),
            attempts_held: 0,
            untracked_flows: 0,
        }
    }

    /// Takes one flow record.
    pub fn observe_flow(&mut self, flow: &FlowObservation) {
        let (Some(client_ip), Some(server), Transport::Ip(_)) =
            (flow.client.ip, flow.server.ip, flow.transport)
        else {
            return;
        };
        if !ip_is_unicast(&client_ip) || !ip_is_unicast(&server) {
            return;
        }
        self.first = Some(
            self.first
                .map_or(flow.first_seen, |f| f.min(flow.first_seen)),
        );
        self.last = self.last.max(flow.last_seen);
        // Answered: the server sent more than a refusal (a RST is one packet).
        let answered = flow.server_packets >= 2;
        let internet = !ip_is_local(&server) && server != client_ip;
        // Only unsuccessful attempts count toward a scan (as in Zeek's scan policy), and only
        // internet peers toward beacons and baselines: the common case, an answered
        // conversation inside the hospital, costs nothing here.
        if answered && !internet {
            return;
        }
        // Disjoint borrows: the configuration is read while a client is updated (a clone
        // here, per flow, cost the whole analysis a third of its speed).
        let Self {
            config,
            clients,
            attempts_held,
            untracked_flows,
            ..
        } = self;
        let full = clients.len() >= config.max_clients;
        let client = match clients.entry(client_ip) {
            std::collections::hash_map::Entry::Occupied(o) => o.into_mut(),
            std::collections::hash_map::Entry::Vacant(_) if full => {
                *untracked_flows += 1;
                return;
            }
            std::collections::hash_map::Entry::Vacant(v) => v.insert(Client::default()),
        };

        // Scans: unsuccessful attempts per minute of the flow's start.
        if !answered {
            let minute = flow.first_seen.0.div_euclid(60 * SECOND);
            if minute != client.minute || client.attempts.len() >= SCAN_SAMPLE {
                *attempts_held -= client.attempts.len();
                judge_scan(client, config);
                client.minute = minute;
                client.attempts.clear();
            }
            if *attempts_held < MAX_ATTEMPTS_HELD {
                client.attempts.push((server, flow.server.port));
                *attempts_held += 1;
            }
        }

        if ip_is_local(&server) || server == client_ip {
            return;
        }
        // Beaconing: connection start times per internet (server, port).
        let key = (server, flow.transport, flow.server.port);
        let split = flow.end == model::FlowEnd::ActiveTimeout;
        if let Some((starts, continued)) = client.series.get_mut(&key) {
            if !*continued && starts.len() < SERIES_LEN {
                starts.push(flow.first_seen);
            }
            *continued = split;
        } else if client.series.len() < SERIES_PER_CLIENT {
            client.series.insert(key, (vec![flow.first_seen], split));
        }
        // New destinations: the internet peers and when each was first reached.
        let bytes = flow.client_bytes.saturating_add(flow.server_bytes);
        if let Some(d) = client.destinations.get_mut(&server) {
            d.0 = d.0.min(flow.first_seen);
            d.1 += 1;
            d.2 = d.2.saturating_add(bytes);
        } else if client.destinations.len() < DESTINATIONS_PER_CLIENT {
            client
                .destinations
                .insert(server, (flow.first_seen, 1, bytes, flow.server.port));
        } else {
            client.destinations_overflow = true;
        }
    }

    /// `new_external_destination`: per device family (category and vendor), the internet
    /// addresses its members reached while learning form its baseline; a member reaching
    /// one outside it afterwards is a finding. A family whose baseline is large (browsing
    /// workstations, phones) or whose members reached more than can be remembered has none,
    /// and unclassified devices have no family.
    fn new_destinations(
        &self,
        devices: &[Device],
        holders: &HashMap<IpAddr, usize>,
        learned_until: Timestamp,
    ) -> Vec<Finding> {
        type Family = (String, String);
        let family_of = |d: &Device| -> Option<Family> {
            let category = d.category.as_ref()?.value.clone();
            if self.config.browsing_categories.contains(&category) {
                return None;
            }
            let vendor = d
                .vendor
                .as_ref()
                .map(|v| v.value.clone())
                .unwrap_or_default();
            Some((category, vendor))
        };
        let mut baselines: HashMap<Family, Option<HashSet<IpAddr>>> = HashMap::new();
        let mut members: Vec<(&IpAddr, &Client, usize, Family)> = Vec::new();
        for (ip, client) in &self.clients {
            let Some(&i) = holders.get(ip) else { continue };
            let Some(family) = family_of(&devices[i]) else {
                continue;
            };
            let baseline = baselines
                .entry(family.clone())
                .or_insert_with(|| Some(HashSet::new()));
            if client.destinations_overflow {
                *baseline = None;
            }
            if let Some(b) = baseline {
                b.extend(
                    client
                        .destinations
                        .iter()
                        .filter(|(_, d)| d.0 <= learned_until)
                        .map(|(ip, _)| *ip),
                );
                if b.len() > self.config.max_baseline_destinations {
                    *baseline = None;
                }
            }
            // A device that first appeared after the learning part is judged by its family.
            members.push((ip, client, i, family));
        }
        let mut out = Vec::new();
        for (_, client, i, family) in members {
            let Some(Some(baseline)) = baselines.get(&family) else {
                continue;
            };
            for (dest, d) in &client.destinations {
                if d.0 > learned_until && !baseline.contains(dest) {
                    out.push(new_destination_finding(
                        &devices[i].id.0,
                        &family,
                        dest,
                        d,
                        baseline,
                        learned_until,
                    ));
                }
            }
        }
        out
    }

    /// The findings, each about the device holding the client address (the one that held it
    /// last when several did; clients with no device are skipped), sorted by id.
    pub fn findings(mut self, devices: &[Device]) -> Vec<Finding> {
        let holders = crate::traffic::address_holders(devices);
        let config = self.config.clone();
        let (Some(first), last) = (self.first, self.last) else {
            return Vec::new();
        };
        let learned_until = Timestamp(
            first.0 + ((last.0 - first.0) as f64 * config.learning_fraction.clamp(0.0, 1.0)) as i64,
        );
        let mut out = Vec::new();
        for (ip, client) in &mut self.clients {
            judge_scan(client, &config);
            let Some(&i) = holders.get(ip) else { continue };
            let device = &devices[i].id.0;
            for scan in &client.scans {
                out.push(scan_finding(device, ip, scan));
            }
            for ((server, transport, port), (starts, _)) in &client.series {
                if let Some(b) = beacon(starts, config.beacon_min_flows) {
                    out.push(beacon_finding(device, ip, server, *transport, *port, &b));
                }
            }
        }
        if learned_until.0 - first.0 >= config.min_learning_seconds * SECOND {
            out.extend(self.new_destinations(devices, &holders, learned_until));
        }
        out.sort_by(|a, b| a.id.0.cmp(&b.id.0));
        out.dedup_by(|a, b| a.id == b.id);
        out
    }
}

/// Adds a scan if the minute's attempts make one.
fn judge_scan(client: &mut Client, config: &BehaviourConfig) {
    // Only failed attempts are held: a client using many services of one server (a PACS,
    // a domain controller) gets answers and never gets here.
    if client.attempts.len() < config.scan_ports.min(config.scan_hosts) {
        return;
    }
    let start = Timestamp(client.minute * 60 * SECOND);
    // Vertical: distinct ports per server; horizontal: distinct servers per port.
    let mut per_server: HashMap<IpAddr, HashSet<u16>> = HashMap::new();
    let mut per_port: HashMap<u16, HashSet<IpAddr>> = HashMap::new();
    for &(server, port) in &client.attempts {
        per_server.entry(server).or_default().insert(port);
        per_port.entry(port).or_default().insert(server);
    }
    for (server, ports) in per_server {
        if ports.len() >= config.scan_ports {
            client.scans.push(Scan {
                shape: "vertical",
                targets: vec![server.to_string()],
                port: None,
                distinct: ports.len(),
                start,
            });
        }
    }
    for (port, servers) in per_port {
        if servers.len() >= config.scan_hosts {
            let mut targets: Vec<String> = servers.iter().map(ToString::to_string).collect();
            targets.sort();
            targets.truncate(8);
            client.scans.push(Scan {
                shape: "horizontal",
                targets,
                port: Some(port),
                distinct: servers.len(),
                start,
            });
        }
    }
    client.attempts.clear();
}

fn scan_finding(device: &str, ip: &IpAddr, scan: &Scan) -> Finding {
    let mut evidence = serde_json::Map::new();
    evidence.insert("client".into(), json!(ip.to_string()));
    evidence.insert("shape".into(), json!(scan.shape));
    evidence.insert("targets".into(), json!(scan.targets));
    evidence.insert(
        if scan.shape == "vertical" {
            "distinct_ports"
        } else {
            "distinct_servers"
        }
        .into(),
        json!(scan.distinct),
    );
    if let Some(port) = scan.port {
        evidence.insert("port".into(), json!(port));
    }
    evidence.insert("window_seconds".into(), json!(60));
    evidence.insert(
        "baseline".into(),
        json!("a client uses a few services of a server, and they answer; here each of these attempts within one minute was refused or unanswered"),
    );
    Finding {
        id: FindingId::from_parts(&[
            FindingKind::PortScan.as_str(),
            device,
            scan.shape,
            &scan.targets.join(","),
        ]),
        kind: FindingKind::PortScan,
        severity: Severity::High,
        device: DeviceId(device.to_owned()),
        summary: format!(
            "{device} scanned {} {} of {} in a minute, each refused or unanswered",
            scan.distinct,
            if scan.shape == "vertical" {
                "ports"
            } else {
                "servers"
            },
            if scan.shape == "vertical" {
                scan.targets[0].clone()
            } else {
                format!(
                    "{} and others",
                    scan.targets.first().cloned().unwrap_or_default()
                )
            }
        ),
        evidence,
        first_seen: scan.start,
        last_seen: Timestamp(scan.start.0 + 60 * SECOND),
        count: scan.distinct as u64,
    }
}

/// A steady series: (median interval s, largest deviation as a fraction, repetitions, first,
/// last).
struct Beacon {
    interval: f64,
    deviation: f64,
    count: usize,
    first: Timestamp,
    last: Timestamp,
}

fn beacon(starts: &[Timestamp], min_flows: usize) -> Option<Beacon> {
    if starts.len() < min_flows.max(3) {
        return None;
    }
    let mut t: Vec<i64> = starts.iter().map(|s| s.0).collect();
    t.sort_unstable();
    let mut gaps: Vec<f64> = t
        .windows(2)
        .map(|w| (w[1] - w[0]) as f64 / SECOND as f64)
        .collect();
    gaps.sort_by(f64::total_cmp);
    let median = gaps[gaps.len() / 2];
    if median < 10.0 {
        return None;
    }
    let deviation = gaps
        .iter()
        .map(|g| (g - median).abs() / median)
        .fold(0.0, f64::max);
    (deviation <= 0.1).then(|| Beacon {
        interval: median,
        deviation,
        count: t.len(),
        first: Timestamp(t[0]),
        last: Timestamp(t[t.len() - 1]),
    })
}

fn beacon_finding(
    device: &str,
    ip: &IpAddr,
    server: &IpAddr,
    transport: Transport,
    port: u16,
    b: &Beacon,
) -> Finding {
    let mut evidence = serde_json::Map::new();
    evidence.insert("client".into(), json!(ip.to_string()));
    evidence.insert("server".into(), json!(server.to_string()));
    evidence.insert(
        "service".into(),
        json!(format!("{}/{port}", transport.name())),
    );
    evidence.insert("connections".into(), json!(b.count));
    evidence.insert(
        "interval_seconds".into(),
        json!((b.interval * 10.0).round() / 10.0),
    );
    evidence.insert(
        "largest_deviation".into(),
        json!((b.deviation * 1000.0).round() / 1000.0),
    );
    evidence.insert(
        "baseline".into(),
        json!("people and most services reach internet servers irregularly; every interval here is within 10% of the median"),
    );
    Finding {
        id: FindingId::from_parts(&[
            FindingKind::Beaconing.as_str(),
            device,
            &server.to_string(),
            &port.to_string(),
        ]),
        kind: FindingKind::Beaconing,
        severity: Severity::Medium,
        device: DeviceId(device.to_owned()),
        summary: format!(
            "{device} reached {server} on {}/{port} {} times, every {:.0} s (±{:.0}%)",
            transport.name(),
            b.count,
            b.interval,
            b.deviation * 100.0
        ),
        evidence,
        first_seen: b.first,
        last_seen: b.last,
        count: b.count as u64,
    }
}

fn new_destination_finding(
    device: &str,
    family: &(String, String),
    dest: &IpAddr,
    d: &(Timestamp, u64, u64, u16),
    baseline: &HashSet<IpAddr>,
    learned_until: Timestamp,
) -> Finding {
    let mut known: Vec<String> = baseline.iter().map(ToString::to_string).collect();
    known.sort();
    let mut evidence = serde_json::Map::new();
    evidence.insert("destination".into(), json!(dest.to_string()));
    evidence.insert("port".into(), json!(d.3));
    evidence.insert("flows".into(), json!(d.1));
    evidence.insert("bytes".into(), json!(d.2));
    evidence.insert("family_category".into(), json!(family.0));
    if !family.1.is_empty() {
        evidence.insert("family_vendor".into(), json!(family.1));
    }
    evidence.insert("baseline_destinations".into(), json!(known));
    evidence.insert(
        "learned_until".into(),
        json!(
            learned_until
                .rfc3339(model::TsPrecision::Seconds)
                .to_string()
        ),
    );
    Finding {
        id: FindingId::from_parts(&[
            FindingKind::NewExternalDestination.as_str(),
            device,
            &dest.to_string(),
        ]),
        kind: FindingKind::NewExternalDestination,
        severity: Severity::Medium,
        device: DeviceId(device.to_owned()),
        summary: format!(
            "{device} reached internet address {dest} (port {}), outside the {} its family ({}{}) reached while the baseline was learned",
            d.3,
            match known.len() {
                0 => "none".to_owned(),
                1 => "one address".to_owned(),
                n => format!("{n} addresses"),
            },
            family.0,
            if family.1.is_empty() {
                String::new()
            } else {
                format!(", {}", family.1)
            }
        ),
        evidence,
        first_seen: d.0,
        last_seen: d.0,
        count: d.1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::{Attribute, Endpoint, FlowEnd, IpSighting};

    fn flow(client: &str, server: &str, port: u16, t_secs: f64, answered: bool) -> FlowObservation {
        let ep = |ip: &str, port| Endpoint {
            mac: None,
            ip: Some(ip.parse().unwrap()),
            port,
        };
        let t = (t_secs * SECOND as f64) as i64;
        FlowObservation {
            id: 1,
            app: None,
            vlan: None,
            transport: Transport::TCP,
            client: ep(client, 40000),
            server: ep(server, port),
            first_seen: Timestamp(t),
            last_seen: Timestamp(t + 1000),
            client_packets: if answered { 6 } else { 1 },
            client_bytes: 100,
            server_packets: if answered { 5 } else { 1 },
            server_bytes: 100,
            client_ttl: 64,
            server_ttl: 64,
            end: FlowEnd::Idle,
        }
    }

    fn device(id: &str, ip: &str, category: Option<&str>) -> Device {
        Device {
            id: DeviceId(id.into()),
            ips: vec![IpSighting {
                addr: ip.parse().unwrap(),
                first_seen: Timestamp(0),
                last_seen: Timestamp(1),
            }],
            category: category.map(|c| {
                Box::new(Attribute {
                    value: c.into(),
                    confidence: 0.9,
                    evidence: vec![],
                })
            }),
            ..Device::default()
        }
    }

    fn kinds(findings: &[Finding]) -> Vec<(&'static str, String)> {
        findings
            .iter()
            .map(|f| (f.kind.as_str(), f.device.0.clone()))
            .collect()
    }

    #[test]
    fn refused_ports_make_a_scan_and_answered_ones_do_not() {
        let mut t = BehaviourTracker::new(BehaviourConfig::default());
        for p in 1..=40 {
            t.observe_flow(&flow(
                "10.0.0.5",
                "10.0.0.9",
                p,
                100.0 + f64::from(p) * 0.01,
                p == 22,
            ));
            // A client using 40 services of a server that answers them all.
            t.observe_flow(&flow("10.0.0.6", "10.0.0.9", 1000 + p, 100.0, true));
        }
        let devices = [
            device("scanner", "10.0.0.5", None),
            device("busy", "10.0.0.6", None),
        ];
        let found = t.findings(&devices);
        assert_eq!(kinds(&found), [("port_scan", "scanner".to_string())]);
        // The open port answered: only the 39 refused attempts count.
        assert_eq!(found[0].evidence["distinct_ports"], 39);
    }

    #[test]
    fn a_steady_interval_to_one_internet_server_is_beaconing_and_a_jittery_one_is_not() {
        let mut t = BehaviourTracker::new(BehaviourConfig::default());
        for i in 0..8 {
            let i = f64::from(i);
            t.observe_flow(&flow(
                "10.0.0.5",
                "198.51.100.7",
                443,
                i * 60.0 + (i * 0.7) % 1.2,
                true,
            ));
            // People browsing: irregular.
            t.observe_flow(&flow("10.0.0.6", "198.51.100.8", 443, i * i * 13.0, true));
            // Steady, but inside the hospital (an NTP or monitoring poll): not a beacon.
            t.observe_flow(&flow("10.0.0.7", "10.0.0.1", 123, i * 64.0, true));
        }
        let devices = [
            device("beacon", "10.0.0.5", None),
            device("person", "10.0.0.6", None),
            device("poller", "10.0.0.7", None),
        ];
        let found = t.findings(&devices);
        assert_eq!(kinds(&found), [("beaconing", "beacon".to_string())]);
        assert_eq!(found[0].evidence["connections"], 8);
    }

    #[test]
    fn a_pump_leaving_its_familys_baseline_is_found_and_a_workstation_is_not_judged() {
        let mut t = BehaviourTracker::new(BehaviourConfig::default());
        // Learning: the first 40% of 0..1000 s.
        t.observe_flow(&flow("10.0.0.5", "203.0.113.10", 443, 0.0, true));
        t.observe_flow(&flow("10.0.0.6", "203.0.113.10", 443, 50.0, true));
        t.observe_flow(&flow("10.0.0.8", "203.0.113.20", 443, 10.0, true));
        // Afterwards: one pump reaches a new address; the other pump the family's own; the
        // workstation anything.
        t.observe_flow(&flow("10.0.0.5", "198.51.100.66", 443, 900.0, true));
        t.observe_flow(&flow("10.0.0.6", "203.0.113.10", 443, 950.0, true));
        t.observe_flow(&flow("10.0.0.8", "198.51.100.99", 443, 1000.0, true));
        let devices = [
            device("pump-a", "10.0.0.5", Some("infusion_pump")),
            device("pump-b", "10.0.0.6", Some("infusion_pump")),
            device("pc", "10.0.0.8", Some("workstation")),
        ];
        let found = t.findings(&devices);
        assert_eq!(
            kinds(&found),
            [("new_external_destination", "pump-a".to_string())]
        );
        assert_eq!(
            found[0].evidence["baseline_destinations"],
            json!(["203.0.113.10"])
        );
    }
}
