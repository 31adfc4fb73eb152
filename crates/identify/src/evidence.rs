//! What application protocols said about an endpoint — identity facts, software, exposures —
//! accumulated per endpoint, merged into its device, and frozen into the device's `facts`,
//! `software` and the findings about it.
//!
//! Findings merge across flows: one finding per (kind, device, protocol, server, subject) with a
//! count, the union of field names and the first/last time seen. Its id is a hash of exactly
//! those parts ([`FindingId::from_parts`]), so the same input gives the same id in every run and
//! every store.

use std::collections::BTreeSet;

use crate::facts::{FactKinds, Facts};

use litemap::LiteMap;

use model::{
    AppKind, AppObservation, DeviceFact, DeviceId, DeviceSoftware, Exposure, ExposureKind, Finding,
    FindingId, FindingKind, Severity, Timestamp,
};
use serde_json::{Map, Value};

/// Facts kept per endpoint (CONVENTIONS §6 list limit).
const MAX_FACTS: usize = 64;
/// Distinct values kept per fact key and endpoint, so one chatty key (a DICOM SCU proposing
/// dozens of SOP classes) cannot crowd out the others.
const MAX_VALUES_PER_KEY: usize = 8;
/// Software entries kept per endpoint.
const MAX_SOFTWARE: usize = 32;
/// Distinct findings kept per endpoint (a scan of many servers could otherwise grow it).
const MAX_EXPOSURES: usize = 64;
/// Flow ids cited per finding.
const MAX_FLOWS_CITED: usize = 16;
/// Field names kept per finding.
const MAX_FIELDS: usize = 64;

/// Counters of what did not fit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EvidenceStats {
    /// Facts not kept because an endpoint had [`MAX_FACTS`].
    pub facts_untracked: u64,
    /// Software entries not kept.
    pub software_untracked: u64,
    /// Exposures not merged into a finding because an endpoint had [`MAX_EXPOSURES`].
    pub findings_untracked: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct ExposureKey {
    kind: ExposureKind,
    protocol: &'static str,
    /// The flow's server (for weak TLS, the device's own service); made text only when the
    /// finding is built, not for every message merged into it.
    server: (Option<std::net::IpAddr>, u16, Option<model::MacAddr>),
    subject: String,
}

#[derive(Debug, Clone)]
struct ExposureAcc {
    first_seen: Timestamp,
    last_seen: Timestamp,
    count: u64,
    fields: BTreeSet<String>,
    user_present: Option<bool>,
    flows: BTreeSet<u64>,
    /// The other side of the earliest message, e.g. the HL7 sender's receiver; of messages
    /// seen at the same time, the lowest peer (see [`ExposureAcc::offer_peer`]).
    peer: model::Endpoint,
}

impl ExposureAcc {
    /// Keeps `peer` if its message, seen at `ts`, came before the one the kept peer came
    /// from: the same peer whatever order the messages arrive in and the device's endpoints
    /// merge in. Call before `first_seen` takes `ts`.
    fn offer_peer(&mut self, ts: Timestamp, peer: model::Endpoint) {
        let order = |e: &model::Endpoint| (e.ip, e.port, e.mac);
        if (ts, order(&peer)) < (self.first_seen, order(&self.peer)) {
            self.peer = peer;
        }
    }
}

/// Application evidence of one endpoint or device.
#[derive(Debug, Clone, Default)]
pub(crate) struct AppEvidence {
    // Sorted vectors, not B-trees: an endpoint holds a handful of each, and a B-tree's first
    // node has room for eleven (about 800 bytes for the facts alone), which at 100,000
    // devices was the largest part of the inventory's memory.
    /// (key, protocol), value → messages it was stated in.
    facts: Facts,
    software: LiteMap<DeviceSoftware, ()>,
    exposures: LiteMap<ExposureKey, ExposureAcc>,
}

fn endpoint_text(e: &model::Endpoint) -> String {
    match (e.ip, e.mac) {
        (Some(ip), _) if e.port != 0 => std::net::SocketAddr::new(ip, e.port).to_string(),
        (Some(ip), _) => ip.to_string(),
        (None, Some(mac)) => mac.to_string(),
        (None, None) => String::new(),
    }
}

impl AppEvidence {
    /// Adds one observation about this endpoint.
    pub(crate) fn observe(
        &mut self,
        obs: &AppObservation,
        kinds: &mut FactKinds,
        stats: &mut EvidenceStats,
    ) {
        match &obs.kind {
            AppKind::Fact(f) => {
                let Some(kind) = kinds.kind(f.key, obs.protocol) else {
                    stats.facts_untracked += 1;
                    return;
                };
                if self.facts.count_again(kind, &f.value) {
                    return;
                }
                if self.facts.len() < MAX_FACTS && self.facts.values_of(kind) < MAX_VALUES_PER_KEY {
                    self.facts.add(kind, &f.value, 1);
                } else {
                    stats.facts_untracked += 1;
                }
            }
            AppKind::Software(s) => {
                let entry = DeviceSoftware {
                    product: s.product.clone(),
                    version: s.version.clone(),
                    source: obs.protocol.into(),
                    role: s.side.as_str().into(),
                    raw: s.raw.clone(),
                };
                if self.software.len() < MAX_SOFTWARE || self.software.contains_key(&entry) {
                    self.software.insert(entry, ());
                } else {
                    stats.software_untracked += 1;
                }
            }
            AppKind::Exposure(e) => self.exposure(obs, e, stats),
            AppKind::Anomaly(_) => {}
        }
    }

    fn exposure(&mut self, obs: &AppObservation, e: &Exposure, stats: &mut EvidenceStats) {
        let key = ExposureKey {
            kind: e.kind,
            protocol: obs.protocol,
            server: (
                obs.flow.server.ip,
                obs.flow.server.port,
                obs.flow.server.mac,
            ),
            subject: e.subject.clone(),
        };
        if !self.exposures.contains_key(&key) && self.exposures.len() >= MAX_EXPOSURES {
            stats.findings_untracked += 1;
            return;
        }
        let peer = *obs.flow.endpoint(e.side.other());
        let acc = self.exposures.entry(key).or_insert_with(|| ExposureAcc {
            first_seen: obs.ts,
            last_seen: obs.ts,
            count: 0,
            fields: BTreeSet::new(),
            user_present: None,
            flows: BTreeSet::new(),
            peer,
        });
        acc.offer_peer(obs.ts, peer);
        acc.first_seen = acc.first_seen.min(obs.ts);
        acc.last_seen = acc.last_seen.max(obs.ts);
        acc.count += 1;
        for f in &e.fields {
            if acc.fields.len() >= MAX_FIELDS {
                break;
            }
            acc.fields.insert(f.clone());
        }
        if let Some(u) = e.user_present {
            acc.user_present = Some(acc.user_present.unwrap_or(false) | u);
        }
        if acc.flows.len() < MAX_FLOWS_CITED {
            acc.flows.insert(obs.flow.id);
        }
    }

    /// Takes everything `other` holds (the device's endpoints merge into it), by move: the
    /// endpoint's evidence is not needed after it joined its device.
    pub(crate) fn merge(&mut self, other: AppEvidence) {
        self.facts.merge(other.facts);
        self.software.extend(other.software);
        for (k, o) in other.exposures {
            match self.exposures.get_mut(&k) {
                Some(acc) => {
                    acc.offer_peer(o.first_seen, o.peer);
                    acc.first_seen = acc.first_seen.min(o.first_seen);
                    acc.last_seen = acc.last_seen.max(o.last_seen);
                    acc.count += o.count;
                    acc.fields.extend(o.fields);
                    acc.user_present = match (acc.user_present, o.user_present) {
                        (None, x) | (x, None) => x,
                        (Some(a), Some(b)) => Some(a | b),
                    };
                    acc.flows.extend(o.flows);
                    while acc.flows.len() > MAX_FLOWS_CITED {
                        acc.flows.pop_last();
                    }
                }
                None => {
                    self.exposures.insert(k, o);
                }
            }
        }
    }

    /// The device's facts, sorted by key then value (bounded).
    pub(crate) fn facts(&self, kinds: &FactKinds) -> Vec<DeviceFact> {
        self.facts
            .to_device_facts(kinds, MAX_VALUES_PER_KEY, MAX_FACTS)
    }

    /// The device's software (bounded).
    pub(crate) fn software(&self) -> Vec<DeviceSoftware> {
        self.software.keys().take(MAX_SOFTWARE).cloned().collect()
    }

    /// The findings about device `id`, sorted by id.
    pub(crate) fn findings(&self, id: &DeviceId) -> Vec<Finding> {
        let mut out: Vec<Finding> = self
            .exposures
            .iter()
            .map(|(k, acc)| finding(id, k, acc))
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }
}

fn kind_of(kind: ExposureKind) -> FindingKind {
    match kind {
        ExposureKind::CleartextPhi => FindingKind::CleartextPhi,
        ExposureKind::CleartextCredentials => FindingKind::CleartextCredentials,
        ExposureKind::WeakTls => FindingKind::WeakTls,
    }
}

/// Severity by kind; for weak TLS by what is weak (RFC 8996 deprecates TLS 1.0 and 1.1; SSL 3
/// is broken outright, RFC 7568).
fn severity(kind: ExposureKind, subject: &str) -> Severity {
    match kind {
        ExposureKind::CleartextPhi | ExposureKind::CleartextCredentials => Severity::High,
        ExposureKind::WeakTls => {
            let s = subject.to_ascii_lowercase();
            if s.contains("ssl") {
                Severity::High
            } else if s.contains("self-signed") {
                Severity::Low
            } else {
                Severity::Medium
            }
        }
    }
}

fn server_text(k: &ExposureKey) -> String {
    let (ip, port, mac) = k.server;
    endpoint_text(&model::Endpoint { mac, ip, port })
}

fn summary(k: &ExposureKey, acc: &ExposureAcc) -> String {
    let server = server_text(k);
    let proto = k.protocol.to_ascii_uppercase();
    let fields: Vec<&str> = acc.fields.iter().take(4).map(String::as_str).collect();
    let more = if acc.fields.len() > 4 { ", …" } else { "" };
    match k.kind {
        ExposureKind::CleartextPhi => format!(
            "{proto} {} with patient fields ({}{more}) sent unencrypted to {}: anyone on the path can read them",
            k.subject,
            fields.join(", "),
            server
        ),
        ExposureKind::CleartextCredentials => format!(
            "{} sent in cleartext to {}{}: anyone on the path can read the secret",
            k.subject,
            server,
            match acc.user_present {
                Some(true) => " (user name present)",
                Some(false) => " (no user name)",
                None => "",
            }
        ),
        ExposureKind::WeakTls => format!(
            "TLS service {} offers weak protection: {}{}",
            server,
            k.subject,
            if fields.is_empty() {
                String::new()
            } else {
                format!(" ({}{more})", fields.join(", "))
            }
        ),
    }
}

fn finding(id: &DeviceId, k: &ExposureKey, acc: &ExposureAcc) -> Finding {
    let kind = kind_of(k.kind);
    let mut evidence = Map::new();
    evidence.insert("protocol".into(), Value::from(k.protocol));
    let server = server_text(k);
    evidence.insert("server".into(), Value::from(server.clone()));
    evidence.insert("peer".into(), Value::from(endpoint_text(&acc.peer)));
    evidence.insert("subject".into(), Value::from(k.subject.clone()));
    evidence.insert(
        "fields".into(),
        Value::from(acc.fields.iter().cloned().collect::<Vec<_>>()),
    );
    if let Some(u) = acc.user_present {
        evidence.insert("user_present".into(), Value::from(u));
    }
    let noun = match k.kind {
        ExposureKind::CleartextPhi => "messages",
        ExposureKind::CleartextCredentials => "logins",
        ExposureKind::WeakTls => "handshakes",
    };
    evidence.insert(noun.into(), Value::from(acc.count));
    evidence.insert(
        "flows".into(),
        Value::from(acc.flows.iter().copied().collect::<Vec<_>>()),
    );
    Finding {
        id: FindingId::from_parts(&[kind.as_str(), &id.0, k.protocol, &server, &k.subject]),
        kind,
        severity: severity(k.kind, &k.subject),
        device: id.clone(),
        summary: summary(k, acc),
        evidence,
        first_seen: acc.first_seen,
        last_seen: acc.last_seen,
        count: acc.count,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::{Endpoint, FlowRef, Side, Transport};

    /// A weak-TLS handshake of client `n` with the one server, at time `ts`.
    fn weak_tls(n: u8, ts: i64) -> AppObservation {
        let endpoint = |ip: String, port| Endpoint {
            mac: None,
            ip: Some(ip.parse().unwrap()),
            port,
        };
        AppObservation {
            ts: Timestamp(ts),
            flow: FlowRef {
                id: u64::from(n),
                transport: Transport::TCP,
                vlan: None,
                client: endpoint(format!("10.0.1.{n}"), 50000),
                server: endpoint("10.0.0.1".into(), 443),
            },
            protocol: "tls",
            kind: AppKind::Exposure(Exposure {
                kind: ExposureKind::WeakTls,
                side: Side::Server,
                subject: "TLS 1.0".into(),
                fields: vec![],
                user_present: None,
            }),
        }
    }

    fn finding_peer(observations: &[&AppObservation]) -> Value {
        let mut evidence = AppEvidence::default();
        let mut kinds = FactKinds::default();
        for obs in observations {
            evidence.observe(obs, &mut kinds, &mut EvidenceStats::default());
        }
        let findings = evidence.findings(&DeviceId("ip-10.0.0.1".into()));
        assert_eq!(findings.len(), 1);
        findings[0].evidence["peer"].clone()
    }

    /// The finding's peer is the earliest handshake's client (the lowest of simultaneous
    /// ones), whichever order the observations came in or the endpoints merged in.
    #[test]
    fn finding_peer_is_the_earliest_whatever_the_order() {
        let (late, early, early_too) = (weak_tls(1, 20), weak_tls(3, 10), weak_tls(2, 10));
        let expected = Value::from("10.0.1.2:50000");
        assert_eq!(finding_peer(&[&late, &early, &early_too]), expected);
        assert_eq!(finding_peer(&[&early, &early_too, &late]), expected);

        let (mut first, mut second) = (AppEvidence::default(), AppEvidence::default());
        let mut kinds = FactKinds::default();
        first.observe(&late, &mut kinds, &mut EvidenceStats::default());
        first.observe(&early, &mut kinds, &mut EvidenceStats::default());
        second.observe(&early_too, &mut kinds, &mut EvidenceStats::default());
        let mut merged = [AppEvidence::default(), AppEvidence::default()];
        merged[0].merge(first.clone());
        merged[0].merge(second.clone());
        merged[1].merge(second);
        merged[1].merge(first);
        for m in &merged {
            let findings = m.findings(&DeviceId("ip-10.0.0.1".into()));
            assert_eq!(findings[0].evidence["peer"], expected);
        }
    }
}
