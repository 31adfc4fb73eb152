//! The `wardline.analysis/v1` report (DESIGN §5). Table and CSV are views of this object.

use std::borrow::Cow;
use std::collections::BTreeMap;

use identify::InventoryStats;
use model::{Attribute, Device, Finding, Timestamp, TsPrecision};
use sensor::SensorStats;
use serde::Serialize;

/// Schema id; fields are added, never renamed or removed, within v1.
pub const SCHEMA: &str = "wardline.analysis/v1";

#[derive(Debug, Serialize)]
pub struct Report {
    pub schema: &'static str,
    pub generated_at: String,
    pub wardline_version: &'static str,
    pub inputs: Vec<InputReport>,
    pub stats: StatsReport,
    /// Phones, tablets, laptops, wearables and randomised MACs per zone: counted here
    /// rather than reported one by one.
    pub personal_devices: identify::assets::PersonalDevices,
    pub devices: Devices,
    pub findings: Vec<FindingReport>,
}

/// The devices of a report, each turned into its report form only while it is written: at
/// 100,000 devices a second, converted copy of the list would be the largest thing in memory.
#[derive(Debug)]
pub struct Devices {
    pub list: Vec<Device>,
    pub precision: TsPrecision,
}

impl Devices {
    /// Each device in its report form, in order.
    pub fn iter(&self) -> impl Iterator<Item = DeviceReport> + '_ {
        self.list
            .iter()
            .map(|d| DeviceReport::new(d, self.precision))
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }
}

impl Serialize for Devices {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.iter())
    }
}

#[derive(Debug, Serialize)]
pub struct InputReport {
    pub path: String,
    pub format: Option<&'static str>,
    pub link_types: Vec<String>,
    pub packets: u64,
    pub bytes: u64,
    pub first_ts: Option<String>,
    pub last_ts: Option<String>,
    pub error: Option<String>,
}

#[derive(Debug, Serialize)]
pub struct StatsReport {
    pub packets: u64,
    pub bytes: u64,
    pub decoded: u64,
    pub snaplen_truncated: u64,
    pub malformed: BTreeMap<&'static str, u64>,
    pub unsupported: BTreeMap<String, u64>,
    pub malformed_messages: BTreeMap<&'static str, u64>,
    pub fragments: FragmentsReport,
    pub identity: IdentityReport,
    pub flows: FlowsReport,
    pub reassembly: ReassemblyReport,
    pub inventory: InventoryReport,
    /// Per application protocol: flows recognised, messages, malformed reasons, anomalies.
    pub app: BTreeMap<&'static str, BTreeMap<&'static str, u64>>,
    /// Conversations kept for the store's maps and the zone policy (with --db or zones).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub traffic: Option<TrafficReport>,
}

/// The conversation table's counters.
#[derive(Debug, Serialize)]
pub struct TrafficReport {
    /// Conversations kept.
    pub conversations: u64,
    /// Flow records of conversations not kept: the table was full.
    pub untracked_flows: u64,
}

#[derive(Debug, Serialize)]
pub struct FragmentsReport {
    pub packets: u64,
    pub matched: u64,
    pub unmatched: u64,
}

#[derive(Debug, Serialize)]
pub struct IdentityReport {
    pub arp: u64,
    pub neighbor_discovery: u64,
    pub dhcp: u64,
    pub dns: u64,
}

#[derive(Debug, Serialize)]
pub struct FlowsReport {
    pub total: u64,
    pub peak_active: u64,
    pub evicted: EvictedReport,
    pub ended_at_end_of_input: u64,
}

#[derive(Debug, Serialize)]
pub struct EvictedReport {
    pub idle: u64,
    pub active_timeout: u64,
    pub capacity: u64,
}

#[derive(Debug, Serialize)]
pub struct ReassemblyReport {
    pub streams: u64,
    pub bytes: u64,
    pub gaps: u64,
    pub gap_bytes: u64,
    pub overlaps: u64,
    pub retransmissions: u64,
    pub out_of_order: u64,
    pub limit_hits: u64,
    pub bytes_beyond_limit: u64,
}

#[derive(Debug, Serialize)]
pub struct InventoryReport {
    pub devices: u64,
    pub devices_untracked: u64,
    pub endpoints_untracked: u64,
    pub services_untracked: u64,
    pub names_untracked: u64,
    pub remote_endpoints: u64,
    pub routers: u64,
    pub facts_untracked: u64,
    pub software_untracked: u64,
    pub findings_untracked: u64,
}

impl StatsReport {
    pub fn new(s: &SensorStats, inv: &InventoryStats, devices: u64) -> Self {
        let r = &s.flows.reassembly;
        Self {
            packets: s.packets,
            bytes: s.bytes,
            decoded: s.decoded,
            snaplen_truncated: s.snaplen_truncated,
            malformed: s.malformed.clone(),
            unsupported: s.unsupported.clone(),
            malformed_messages: s.malformed_messages.clone(),
            fragments: FragmentsReport {
                packets: s.fragments.packets,
                matched: s.fragments.matched,
                unmatched: s.fragments.unmatched,
            },
            identity: IdentityReport {
                arp: s.identity.arp,
                neighbor_discovery: s.identity.neighbor_discovery,
                dhcp: s.identity.dhcp,
                dns: s.identity.dns,
            },
            flows: FlowsReport {
                total: s.flows.total,
                peak_active: s.flows.peak_active,
                evicted: EvictedReport {
                    idle: s.flows.evicted_idle,
                    active_timeout: s.flows.evicted_active_timeout,
                    capacity: s.flows.evicted_capacity,
                },
                ended_at_end_of_input: s.flows.ended_at_end_of_input,
            },
            reassembly: ReassemblyReport {
                streams: r.streams,
                bytes: r.bytes,
                gaps: r.gaps,
                gap_bytes: r.gap_bytes,
                overlaps: r.overlaps,
                retransmissions: r.retransmissions,
                out_of_order: r.out_of_order,
                limit_hits: r.limit_hits,
                bytes_beyond_limit: r.bytes_beyond_limit,
            },
            inventory: InventoryReport {
                devices,
                devices_untracked: inv.devices_untracked,
                endpoints_untracked: inv.endpoints_untracked,
                services_untracked: inv.services_untracked,
                names_untracked: inv.names_untracked,
                remote_endpoints: inv.remote_endpoints,
                routers: inv.routers,
                facts_untracked: inv.evidence.facts_untracked,
                software_untracked: inv.evidence.software_untracked,
                findings_untracked: inv.evidence.findings_untracked,
            },
            app: s.app.clone(),
            traffic: None,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct DeviceReport {
    pub id: String,
    pub macs: Vec<String>,
    pub mac_randomized: bool,
    pub ips: Vec<IpReport>,
    pub hostnames: Vec<HostnameReport>,
    pub vlans: Vec<u16>,
    /// The network zone: a configured one (`[[zones]]`), else provisional (`vlan 20`,
    /// `10.20.3.0/24`).
    pub zone: Option<String>,
    /// `null` for a listed asset never seen on the wire (an `asset-<tag>` device).
    pub first_seen: Option<String>,
    pub last_seen: Option<String>,
    pub packets: u64,
    pub bytes: u64,
    pub vendor: Option<AttributeReport>,
    pub category: Option<AttributeReport>,
    pub model: Option<AttributeReport>,
    pub os: Option<AttributeReport>,
    pub firmware: Option<AttributeReport>,
    pub modality: Option<AttributeReport>,
    pub dhcp: Option<DhcpReport>,
    pub services: Vec<ServiceReport>,
    pub roles: Vec<String>,
    pub dns_queries: Vec<String>,
    pub software: Vec<SoftwareReport>,
    pub facts: Vec<FactReport>,
    pub findings: Vec<String>,
}

/// `devices[].software[]`: software the wire revealed (DESIGN §5).
#[derive(Debug, Serialize)]
pub struct SoftwareReport {
    pub product: String,
    pub version: Option<String>,
    pub source: String,
    pub role: String,
    pub raw: String,
}

/// `devices[].facts[]`: identity evidence from application protocols (ARCHITECTURE.md lists
/// the keys).
#[derive(Debug, Serialize)]
pub struct FactReport {
    pub key: Cow<'static, str>,
    pub value: String,
    pub source: Cow<'static, str>,
    pub count: u64,
}

/// `findings[]` (DESIGN §5).
#[derive(Debug, Serialize)]
pub struct FindingReport {
    pub id: String,
    pub kind: &'static str,
    pub severity: &'static str,
    pub device: String,
    pub summary: String,
    pub evidence: serde_json::Map<String, serde_json::Value>,
    pub first_seen: String,
    pub last_seen: String,
    pub count: u64,
}

impl FindingReport {
    pub fn new(f: &Finding, p: TsPrecision) -> Self {
        Self {
            id: f.id.0.clone(),
            kind: f.kind.as_str(),
            severity: f.severity.as_str(),
            device: f.device.0.clone(),
            summary: f.summary.clone(),
            evidence: f.evidence.clone(),
            first_seen: ts(f.first_seen, p),
            last_seen: ts(f.last_seen, p),
            count: f.count,
        }
    }
}

#[derive(Debug, Serialize)]
pub struct IpReport {
    pub addr: String,
    pub first_seen: String,
    pub last_seen: String,
}

#[derive(Debug, Serialize)]
pub struct HostnameReport {
    pub name: String,
    pub source: &'static str,
}

#[derive(Debug, Serialize)]
pub struct AttributeReport {
    pub value: String,
    pub confidence: f32,
    pub evidence: Vec<EvidenceReport>,
}

#[derive(Debug, Serialize)]
pub struct EvidenceReport {
    /// The value this contribution speaks for (the attribute's own when it won).
    pub value: String,
    pub source: String,
    pub detail: String,
    pub weight: f32,
}

#[derive(Debug, Serialize)]
pub struct DhcpReport {
    pub vendor_class: Option<String>,
    pub param_request_list: Option<Vec<u8>>,
    pub client_id: Option<String>,
    pub max_message_size: Option<u16>,
}

#[derive(Debug, Serialize)]
pub struct ServiceReport {
    pub transport: String,
    pub port: u16,
    pub app: Option<String>,
    pub role: String,
    pub peers: u32,
}

fn attribute(a: &Attribute) -> AttributeReport {
    AttributeReport {
        value: a.value.clone(),
        confidence: a.confidence,
        evidence: a
            .evidence
            .iter()
            .map(|e| EvidenceReport {
                value: e.value.clone(),
                source: e.source.clone(),
                detail: e.detail.clone(),
                weight: e.weight,
            })
            .collect(),
    }
}

pub fn ts(t: Timestamp, precision: TsPrecision) -> String {
    t.rfc3339(precision).to_string()
}

/// A device's first or last sighting; `None` for time zero, which only a device that was
/// never seen (a listed asset's placeholder) has.
fn seen(t: Timestamp, precision: TsPrecision) -> Option<String> {
    (t.0 != 0).then(|| ts(t, precision))
}

impl DeviceReport {
    pub fn new(d: &Device, p: TsPrecision) -> Self {
        Self {
            id: d.id.0.clone(),
            macs: d.macs.iter().map(ToString::to_string).collect(),
            mac_randomized: d.mac_randomized,
            ips: d
                .ips
                .iter()
                .map(|s| IpReport {
                    addr: s.addr.to_string(),
                    first_seen: ts(s.first_seen, p),
                    last_seen: ts(s.last_seen, p),
                })
                .collect(),
            hostnames: d
                .hostnames
                .iter()
                .map(|h| HostnameReport {
                    name: h.name.clone(),
                    source: h.source.as_str(),
                })
                .collect(),
            vlans: d.vlans.clone(),
            zone: d.zone.clone(),
            first_seen: seen(d.first_seen, p),
            last_seen: seen(d.last_seen, p),
            packets: d.packets,
            bytes: d.bytes,
            vendor: d.vendor.as_ref().map(attribute),
            category: d.category.as_deref().map(attribute),
            model: d.model.as_deref().map(attribute),
            os: d.os.as_deref().map(attribute),
            firmware: d.firmware.as_deref().map(attribute),
            modality: d.modality.as_deref().map(attribute),
            dhcp: d.dhcp.as_ref().map(|f| DhcpReport {
                vendor_class: f.vendor_class.clone(),
                param_request_list: f.param_request_list.clone(),
                client_id: f.client_id.clone(),
                max_message_size: f.max_message_size,
            }),
            services: d
                .services
                .iter()
                .map(|s| ServiceReport {
                    transport: s.transport.clone(),
                    port: s.port,
                    app: s.app.clone(),
                    role: s.role.clone(),
                    peers: s.peers,
                })
                .collect(),
            roles: d.roles.clone(),
            dns_queries: d.dns_queries.clone(),
            software: d
                .software
                .iter()
                .map(|s| SoftwareReport {
                    product: s.product.clone(),
                    version: s.version.clone(),
                    source: s.source.clone(),
                    role: s.role.clone(),
                    raw: s.raw.clone(),
                })
                .collect(),
            facts: d
                .facts
                .iter()
                .map(|f| FactReport {
                    key: f.key.clone(),
                    value: f.value.clone(),
                    source: f.source.clone(),
                    count: f.count,
                })
                .collect(),
            findings: d.findings.iter().map(|f| f.0.clone()).collect(),
        }
    }
}
