//! Segmentation (IEC 62443-3-2 zones and conduits, 62443-3-3 SR 5.1/5.2): which conversations
//! may cross from one zone to another, and `segmentation_violation` findings for those that
//! crossed where nothing allows it.
//!
//! A conversation between two different zones is checked when both zones have a kind (a
//! configured zone, or `internet`):
//! - a configured **conduit** whose `from`, `to`, services and addresses all match allows it;
//! - otherwise the **rules every hospital shares** forbid: guest → clinical, imaging, lab,
//!   building or admin; building ↔ clinical, imaging or lab; clinical, imaging or lab ↔
//!   internet (a vendor's cloud is reached through a conduit naming its addresses);
//! - with `default = "deny"`, every other crossing between kinded zones is forbidden too.
//!
//! One finding per (client, server zone, service), naming the rule, the servers (at most
//! eight shown, all counted), flows, bytes and when, so a person can check it on the wire.

use std::collections::BTreeMap;
use std::fmt;
use std::net::IpAddr;

use model::{
    Conduit, Conversation, DeviceId, Finding, FindingId, FindingKind, Severity, Subnet, Timestamp,
    Transport, ZoneKind,
};
use serde_json::json;

use crate::ZoneMap;

/// Servers listed in a finding's evidence (all are counted).
const MAX_SERVERS: usize = 8;

/// What happens to a crossing no conduit and no shared rule speaks of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DefaultAction {
    /// Allowed (only the shared rules and conduits decide).
    #[default]
    Allow,
    /// Forbidden: every crossing between kinded zones needs a conduit.
    Deny,
}

/// Why a conduit cannot be used; names the conduit by its position (1-based) and the value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConduitError {
    /// Position of the conduit in the configuration, from 1.
    pub index: usize,
    /// What is wrong.
    pub problem: String,
}

impl fmt::Display for ConduitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "conduit {}: {}", self.index, self.problem)
    }
}

impl std::error::Error for ConduitError {}

/// One side of a conduit.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ZoneMatch {
    Any,
    Name(String),
    Kind(ZoneKind),
}

/// A service a conduit allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct ServiceMatch {
    transport: Transport,
    /// `None`: any port.
    port: Option<u16>,
}

#[derive(Debug, Clone)]
struct Rule {
    from: ZoneMatch,
    to: ZoneMatch,
    services: Vec<ServiceMatch>,
    addresses: Vec<Subnet>,
    label: String,
}

/// The zone policy: configured conduits, the shared rules, a default.
#[derive(Debug, Clone, Default)]
pub struct SegmentationPolicy {
    rules: Vec<Rule>,
    default: DefaultAction,
}

fn transport_named(name: &str) -> Option<Transport> {
    Some(match name {
        "tcp" => Transport::TCP,
        "udp" => Transport::UDP,
        "icmp" => Transport::Ip(1),
        "icmpv6" => Transport::Ip(58),
        "sctp" => Transport::Ip(132),
        _ => return None,
    })
}

fn zone_match(text: &str, zones: &ZoneMap) -> Result<ZoneMatch, String> {
    if text == "*" {
        return Ok(ZoneMatch::Any);
    }
    if let Some(kind) = text.strip_prefix("kind:") {
        return kind.parse().map(ZoneMatch::Kind);
    }
    if text == model::INTERNET_ZONE || zones.zones().iter().any(|z| z.name == text) {
        return Ok(ZoneMatch::Name(text.to_string()));
    }
    Err(format!(
        "no zone {text:?} is configured (a zone name, \"internet\", \"kind:<kind>\" or \"*\")"
    ))
}

fn service_match(text: &str) -> Result<ServiceMatch, String> {
    let (transport, port) = match text.split_once('/') {
        Some((t, p)) => (
            t,
            Some(
                p.parse::<u16>()
                    .map_err(|_| format!("service {text:?}: {p:?} is not a port"))?,
            ),
        ),
        None => (text, None),
    };
    let transport = transport_named(transport).ok_or_else(|| {
        format!("service {text:?}: transport is one of tcp, udp, icmp, icmpv6, sctp")
    })?;
    Ok(ServiceMatch { transport, port })
}

/// The kind of a zone by name: a configured zone's, `internet`'s, none for a provisional one.
fn kind_of(zones: &ZoneMap, name: &str) -> Option<ZoneKind> {
    if name == model::INTERNET_ZONE {
        return Some(ZoneKind::Internet);
    }
    zones
        .zones()
        .iter()
        .find(|z| z.name == name)
        .map(|z| z.kind)
}

/// The shared rule a crossing between these kinds breaks, with its severity.
fn shared_rule(from: ZoneKind, to: ZoneKind) -> Option<(&'static str, Severity)> {
    use ZoneKind::{Admin, Building, Clinical, Guest, Imaging, Internet, Lab};
    let care = |k: ZoneKind| matches!(k, Clinical | Imaging | Lab);
    match (from, to) {
        (Guest, k) if care(k) => {
            Some(("guest networks never reach clinical zones", Severity::High))
        }
        (Guest, Building | Admin) => Some((
            "guest networks never reach building or administrative zones",
            Severity::Medium,
        )),
        (Building, k) if care(k) => Some((
            "building systems and clinical zones stay apart",
            Severity::Medium,
        )),
        (k, Building) if care(k) => Some((
            "building systems and clinical zones stay apart",
            Severity::Medium,
        )),
        (k, Internet) if care(k) => Some((
            "clinical zones reach the internet only through a conduit (a vendor's listed endpoints)",
            Severity::High,
        )),
        (Internet, k) if care(k) => Some((
            "nothing on the internet opens conversations into clinical zones",
            Severity::Critical,
        )),
        _ => None,
    }
}

impl SegmentationPolicy {
    /// The policy of `conduits` over `zones`, with `default` for crossings nothing speaks of.
    pub fn new(
        conduits: &[Conduit],
        zones: &ZoneMap,
        default: DefaultAction,
    ) -> Result<Self, ConduitError> {
        let rules = conduits
            .iter()
            .enumerate()
            .map(|(i, c)| {
                let err = |problem: String| ConduitError {
                    index: i + 1,
                    problem,
                };
                Ok(Rule {
                    from: zone_match(&c.from, zones).map_err(err)?,
                    to: zone_match(&c.to, zones).map_err(err)?,
                    services: c
                        .services
                        .iter()
                        .map(|s| service_match(s))
                        .collect::<Result<_, _>>()
                        .map_err(err)?,
                    addresses: c.addresses.clone(),
                    label: format!(
                        "conduit {}: {} → {}{}",
                        i + 1,
                        c.from,
                        c.to,
                        c.note
                            .as_deref()
                            .map(|n| format!(" ({n})"))
                            .unwrap_or_default()
                    ),
                })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { rules, default })
    }

    fn side_matches(m: &ZoneMatch, name: &str, kind: Option<ZoneKind>) -> bool {
        match m {
            ZoneMatch::Any => true,
            ZoneMatch::Name(n) => n == name,
            ZoneMatch::Kind(k) => kind == Some(*k),
        }
    }

    /// The conduit allowing `c`, if one does.
    fn conduit(
        &self,
        c: &Conversation,
        from: Option<ZoneKind>,
        to: Option<ZoneKind>,
    ) -> Option<&Rule> {
        self.rules.iter().find(|r| {
            Self::side_matches(&r.from, &c.client_zone, from)
                && Self::side_matches(&r.to, &c.server_zone, to)
                && (r.services.is_empty()
                    || r.services
                        .iter()
                        .any(|s| s.transport == c.transport && s.port.is_none_or(|p| p == c.port)))
                && (r.addresses.is_empty()
                    || r.addresses.iter().any(|a| a.contains(&c.server_addr)))
        })
    }

    /// The `segmentation_violation` findings of `conversations`, sorted by id.
    pub fn evaluate(&self, conversations: &[Conversation], zones: &ZoneMap) -> Vec<Finding> {
        #[derive(Default)]
        struct Acc {
            servers: BTreeMap<IpAddr, ()>,
            apps: BTreeMap<&'static str, ()>,
            flows: u64,
            bytes: u64,
            first: Option<Timestamp>,
            last: Option<Timestamp>,
        }
        // (device, client addr, client zone, server zone, transport, port) → what crossed.
        type Key = (DeviceId, IpAddr, String, String, Transport, u16);
        let mut found: BTreeMap<Key, (Acc, String, Severity)> = BTreeMap::new();
        for c in conversations {
            if c.client_zone == c.server_zone {
                continue;
            }
            let (Some(from), Some(to)) = (
                kind_of(zones, &c.client_zone),
                kind_of(zones, &c.server_zone),
            ) else {
                continue;
            };
            if self.conduit(c, Some(from), Some(to)).is_some() {
                continue;
            }
            let (rule, severity) = match shared_rule(from, to) {
                Some((rule, severity)) => (rule.to_string(), severity),
                None if self.default == DefaultAction::Deny => (
                    format!(
                        "no conduit allows {} → {} (deny by default)",
                        from.as_str(),
                        to.as_str()
                    ),
                    Severity::Medium,
                ),
                None => continue,
            };
            // The finding is the client's (it opened the conversation); an internet client's
            // is the server's.
            let Some(device) = c
                .client_device
                .as_deref()
                .or(c.server_device.as_deref())
                .map(|d| DeviceId(d.to_string()))
            else {
                continue;
            };
            let key = (
                device,
                c.client_addr,
                c.client_zone.to_string(),
                c.server_zone.to_string(),
                c.transport,
                c.port,
            );
            let (acc, _, _) = found
                .entry(key)
                .or_insert_with(|| (Acc::default(), rule, severity));
            acc.servers.insert(c.server_addr, ());
            if let Some(app) = c.app {
                acc.apps.insert(app, ());
            }
            acc.flows = acc.flows.saturating_add(c.flows);
            acc.bytes = acc.bytes.saturating_add(c.bytes);
            acc.first = Some(acc.first.map_or(c.first_seen, |f| f.min(c.first_seen)));
            acc.last = Some(acc.last.map_or(c.last_seen, |l| l.max(c.last_seen)));
        }
        let mut out: Vec<Finding> = found
            .into_iter()
            .map(
                |((device, client, cz, sz, transport, port), (acc, rule, severity))| {
                    let service = format!("{}/{port}", transport.name());
                    let servers: Vec<String> = acc
                        .servers
                        .keys()
                        .take(MAX_SERVERS)
                        .map(ToString::to_string)
                        .collect();
                    let count = acc.servers.len();
                    let summary = format!(
                        "{client} in zone {cz} opened {service} to {} in zone {sz}: {rule}",
                        if count == 1 {
                            servers[0].clone()
                        } else {
                            format!("{count} servers")
                        }
                    );
                    let mut evidence = serde_json::Map::new();
                    evidence.insert("client".into(), json!(client.to_string()));
                    evidence.insert("client_zone".into(), json!(cz));
                    evidence.insert(
                        "client_zone_kind".into(),
                        json!(kind_of(zones, &cz).map(ZoneKind::as_str)),
                    );
                    evidence.insert("server_zone".into(), json!(sz));
                    evidence.insert(
                        "server_zone_kind".into(),
                        json!(kind_of(zones, &sz).map(ZoneKind::as_str)),
                    );
                    evidence.insert("service".into(), json!(service));
                    evidence.insert("apps".into(), json!(acc.apps.keys().collect::<Vec<_>>()));
                    evidence.insert("servers".into(), json!(servers));
                    evidence.insert("server_count".into(), json!(count));
                    evidence.insert("flows".into(), json!(acc.flows));
                    evidence.insert("bytes".into(), json!(acc.bytes));
                    evidence.insert("rule".into(), json!(rule));
                    Finding {
                        id: FindingId::from_parts(&[
                            FindingKind::SegmentationViolation.as_str(),
                            &device.0,
                            &client.to_string(),
                            &sz,
                            &service,
                        ]),
                        kind: FindingKind::SegmentationViolation,
                        severity,
                        device,
                        summary,
                        evidence,
                        first_seen: acc.first.unwrap_or_default(),
                        last_seen: acc.last.unwrap_or_default(),
                        count: acc.flows,
                    }
                },
            )
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }

    /// The conduits, as configured, for people (`conduit N: from → to (note)`).
    pub fn conduit_labels(&self) -> Vec<&str> {
        self.rules.iter().map(|r| r.label.as_str()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::Zone;

    fn zones() -> ZoneMap {
        let z = |name: &str, kind| Zone {
            name: name.into(),
            kind,
            vlans: vec![],
            subnets: vec![],
        };
        ZoneMap::new(vec![
            z("icu", ZoneKind::Clinical),
            z("guest", ZoneKind::Guest),
            z("bms", ZoneKind::Building),
            z("office", ZoneKind::Admin),
            z("dc", ZoneKind::Infrastructure),
        ])
        .unwrap()
    }

    fn conv(client: &str, cz: &str, server: &str, sz: &str, port: u16) -> Conversation {
        Conversation {
            client_addr: client.parse().unwrap(),
            client_device: Some(format!("ip-{client}").into()),
            client_zone: cz.into(),
            server_addr: server.parse().unwrap(),
            server_device: None,
            server_zone: sz.into(),
            transport: Transport::TCP,
            port,
            app: Some("tls"),
            flows: 2,
            packets: 10,
            bytes: 1000,
            first_seen: Timestamp(10),
            last_seen: Timestamp(20),
        }
    }

    #[test]
    fn the_shared_rules_flag_what_every_hospital_forbids() {
        let z = zones();
        let policy = SegmentationPolicy::new(&[], &z, DefaultAction::Allow).unwrap();
        let convs = [
            conv("10.90.0.5", "guest", "10.20.0.7", "icu", 443),
            conv("10.90.0.5", "guest", "10.20.0.8", "icu", 443),
            conv("10.60.0.2", "bms", "10.20.0.7", "icu", 502),
            conv("10.20.0.7", "icu", "93.184.216.34", "internet", 443),
            conv("10.20.0.7", "icu", "10.10.0.5", "dc", 2575),
            conv("10.40.0.3", "office", "10.10.0.5", "dc", 445),
            // Provisional zones have no kind: not judged.
            conv("10.70.0.3", "vlan 70", "10.20.0.7", "icu", 22),
        ];
        let f = policy.evaluate(&convs, &z);
        let rules: Vec<(&str, &str, Severity, u64)> = f
            .iter()
            .map(|f| {
                (
                    f.evidence["client_zone"].as_str().unwrap(),
                    f.evidence["server_zone"].as_str().unwrap(),
                    f.severity,
                    f.evidence["server_count"].as_u64().unwrap(),
                )
            })
            .collect();
        assert_eq!(f.len(), 3, "{rules:?}");
        assert!(rules.contains(&("guest", "icu", Severity::High, 2)));
        assert!(rules.contains(&("bms", "icu", Severity::Medium, 1)));
        assert!(rules.contains(&("icu", "internet", Severity::High, 1)));
        let guest = f
            .iter()
            .find(|f| f.evidence["client_zone"] == "guest")
            .unwrap();
        assert_eq!(guest.count, 4);
        assert_eq!(guest.evidence["service"], "tcp/443");
        assert!(guest.summary.contains("2 servers"), "{}", guest.summary);
    }

    #[test]
    fn conduits_allow_exactly_their_services_and_addresses() {
        let z = zones();
        let conduits = [Conduit {
            from: "kind:clinical".into(),
            to: "internet".into(),
            services: vec!["tcp/443".into()],
            addresses: vec!["93.184.216.0/24".parse().unwrap()],
            note: Some("pump vendor cloud".into()),
        }];
        let policy = SegmentationPolicy::new(&conduits, &z, DefaultAction::Allow).unwrap();
        let ok = conv("10.20.0.7", "icu", "93.184.216.34", "internet", 443);
        let other_port = conv("10.20.0.7", "icu", "93.184.216.34", "internet", 80);
        let other_host = conv("10.20.0.7", "icu", "8.8.8.8", "internet", 443);
        let f = policy.evaluate(&[ok, other_port, other_host], &z);
        assert_eq!(f.len(), 2);
        assert!(
            f.iter()
                .all(|f| f.evidence["rule"].as_str().unwrap().contains("conduit"))
        );
        assert_eq!(
            policy.conduit_labels(),
            ["conduit 1: kind:clinical → internet (pump vendor cloud)"]
        );
    }

    #[test]
    fn deny_by_default_needs_a_conduit_for_every_crossing() {
        let z = zones();
        let conduits = [Conduit {
            from: "icu".into(),
            to: "dc".into(),
            services: vec!["tcp/2575".into(), "udp".into()],
            addresses: vec![],
            note: None,
        }];
        let policy = SegmentationPolicy::new(&conduits, &z, DefaultAction::Deny).unwrap();
        let f = policy.evaluate(
            &[
                conv("10.20.0.7", "icu", "10.10.0.5", "dc", 2575),
                conv("10.20.0.7", "icu", "10.10.0.5", "dc", 22),
                conv("10.40.0.3", "office", "10.10.0.5", "dc", 445),
            ],
            &z,
        );
        let pairs: Vec<(&str, &str)> = f
            .iter()
            .map(|f| {
                (
                    f.evidence["client_zone"].as_str().unwrap(),
                    f.evidence["service"].as_str().unwrap(),
                )
            })
            .collect();
        assert_eq!(pairs.len(), 2, "{pairs:?}");
        assert!(pairs.contains(&("icu", "tcp/22")) && pairs.contains(&("office", "tcp/445")));
    }

    #[test]
    fn a_conduit_naming_an_unknown_zone_or_service_is_refused_by_position() {
        let z = zones();
        let bad = |from: &str, services: &[&str]| {
            SegmentationPolicy::new(
                &[Conduit {
                    from: from.into(),
                    to: "*".into(),
                    services: services.iter().map(|s| s.to_string()).collect(),
                    addresses: vec![],
                    note: None,
                }],
                &z,
                DefaultAction::Allow,
            )
            .unwrap_err()
            .to_string()
        };
        assert!(bad("icuu", &[]).starts_with("conduit 1: no zone \"icuu\""));
        assert!(bad("kind:ward", &[]).contains("unknown zone kind"));
        assert!(bad("icu", &["tcp/http"]).contains("not a port"));
        assert!(bad("icu", &["gre"]).contains("transport is one of"));
    }
}
