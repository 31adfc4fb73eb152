//! `truth.json` (`wardline.sim-truth/v1`, docs/sim.md): every simulated device with its true
//! attributes, and the zones.

use serde::Serialize;

use crate::SimConfig;
use crate::data::Model;
use crate::world::World;

/// The truth about one simulation.
#[derive(Debug, Clone, Serialize)]
pub struct Truth {
    /// Schema id.
    pub schema: &'static str,
    /// Seed.
    pub seed: u64,
    /// Start, RFC 3339.
    pub start: String,
    /// End, RFC 3339.
    pub end: String,
    /// Hospital name.
    pub hospital: String,
    /// Zones.
    pub zones: Vec<TruthZone>,
    /// Devices.
    pub devices: Vec<TruthDevice>,
    /// Injected events (`--inject`), in the order they started.
    pub events: Vec<TruthEvent>,
}

/// One injected event.
#[derive(Debug, Clone, Serialize)]
pub struct TruthEvent {
    /// Its kind (`port_scan`, …: crate::inject::Kind).
    pub kind: &'static str,
    /// When it started, RFC 3339.
    pub start: String,
    /// When it ended (for beacons: the last one), RFC 3339.
    pub end: String,
    /// The devices involved, by `devices[].id` (the actor first).
    pub devices: Vec<usize>,
    /// What else identifies it (destination, ports, firmware from/to…).
    pub details: serde_json::Map<String, serde_json::Value>,
}

/// RFC 3339 with microseconds.
pub(crate) fn time(ns: i64) -> String {
    model::Timestamp(ns)
        .rfc3339(model::TsPrecision::Micro)
        .to_string()
}

/// A zone.
#[derive(Debug, Clone, Serialize)]
pub struct TruthZone {
    /// Name.
    pub name: String,
    /// Kind.
    pub kind: String,
    /// Department.
    pub department: String,
    /// VLAN id.
    pub vlan: u16,
    /// Subnet.
    pub subnet: String,
}

/// A device and what it truly is.
#[derive(Debug, Clone, Serialize)]
pub struct TruthDevice {
    /// Stable index in this simulation.
    pub id: usize,
    /// MAC addresses.
    pub macs: Vec<String>,
    /// Addresses over time.
    pub ips: Vec<TruthIp>,
    /// Host name (the one it sends in DHCP, when it uses DHCP).
    pub hostname: String,
    /// Vendor.
    pub vendor: String,
    /// DESIGN §4 category.
    pub category: String,
    /// Model.
    pub model: String,
    /// Firmware / software version.
    pub firmware: String,
    /// Modality, for imaging devices.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub modality: Option<String>,
    /// Zone name.
    pub zone: String,
    /// VLAN id.
    pub vlan: u16,
    /// Profile id (data/profiles.toml).
    pub profile: String,
    /// Core service role.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub role: Option<String>,
    /// DICOM AE titles it uses.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub ae_titles: Vec<String>,
    /// HL7 applications it names itself as (MSH-3).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hl7_applications: Vec<String>,
    /// Whether its MAC is randomised (locally administered).
    pub random_mac: bool,
    /// Whether it uses DHCP.
    pub dhcp: bool,
    /// Behaviours it runs.
    pub behaviours: Vec<String>,
    /// Brought in by an injected event, not by the populations.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub injected: bool,
}

/// An address held from `from` on.
#[derive(Debug, Clone, Serialize)]
pub struct TruthIp {
    /// Address.
    pub ip: String,
    /// Since, RFC 3339 (first use).
    pub from: String,
}

impl Truth {
    /// The truth of a simulated world and the events injected into it.
    pub fn new(config: &SimConfig, model: &Model, world: &World, events: Vec<TruthEvent>) -> Self {
        let zones = world
            .zones
            .iter()
            .map(|w| {
                let z = &model.hospital.zone[w.model_zone];
                TruthZone {
                    name: w.name.clone(),
                    kind: z.kind.clone(),
                    department: z.department.clone(),
                    vlan: w.vlan,
                    subnet: format!("{}/{}", w.base, w.prefix),
                }
            })
            .collect();
        let end = config.start_ns + config.duration_ns;
        let devices = world
            .devices
            .iter()
            .filter(|d| d.boot_ns < end)
            .map(|d| {
                let p = &model.profiles.profile[d.profile];
                let z = &world.zones[d.zone];
                let m = d.mac.0;
                // Senders name themselves in MSH-3; the engine and the monitoring server do in
                // their acknowledgements.
                let is_hl7 = p.behaviours.iter().any(|b| b.starts_with("hl7-"))
                    || matches!(d.role.as_deref(), Some("hl7_engine" | "monitor_server"));
                TruthDevice {
                    id: d.index,
                    macs: vec![format!(
                        "{:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}",
                        m[0], m[1], m[2], m[3], m[4], m[5]
                    )],
                    ips: d
                        .past_ips
                        .iter()
                        .map(|(ip, from)| (*ip, Some(*from)))
                        .chain(std::iter::once((d.ip, d.leased_at)))
                        .filter_map(|(ip, from)| {
                            from.filter(|t| *t < end).map(|t| TruthIp {
                                ip: ip.to_string(),
                                from: time(t),
                            })
                        })
                        // IPv6 stacks use their link-local address from the start (their
                        // first Router Solicitation, ND_AFTER_BOOT_NS after boot).
                        .chain(
                            (p.behaviours.iter().any(|b| b == "nd")
                                && d.boot_ns + crate::ND_AFTER_BOOT_NS < end)
                                .then(|| TruthIp {
                                    ip: d.link_local().to_string(),
                                    from: time(d.boot_ns + crate::ND_AFTER_BOOT_NS),
                                }),
                        )
                        .collect(),
                    hostname: d.hostname.clone(),
                    vendor: p.vendor.clone(),
                    category: p.category.clone(),
                    model: p.model.clone(),
                    firmware: d.firmware.clone(),
                    modality: p.modality.clone(),
                    zone: z.name.clone(),
                    vlan: z.vlan,
                    profile: p.id.clone(),
                    role: d.role.clone(),
                    ae_titles: d.ae_title.iter().cloned().collect(),
                    hl7_applications: if is_hl7 {
                        p.hl7_application.iter().cloned().collect()
                    } else {
                        Vec::new()
                    },
                    random_mac: p.random_mac,
                    dhcp: p.behaviours.iter().any(|b| b == "dhcp") && !p.static_ip,
                    behaviours: p.behaviours.clone(),
                    injected: d.injected,
                }
            })
            .collect();
        Self {
            schema: "wardline.sim-truth/v1",
            seed: config.seed,
            start: time(config.start_ns),
            end: time(end),
            hospital: model.hospital.name.clone(),
            zones,
            devices,
            events,
        }
    }
}
