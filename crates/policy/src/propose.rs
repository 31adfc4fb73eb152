//! `wardline zones propose`: zones proposed from what was seen, for a person to review and
//! accept into the configuration. Stations (devices seen with their own MAC; routers and
//! devices behind them are left out) are grouped by VLAN, or by /24 (/64) when untagged; each
//! group's subnets are the /24s its members hold; its kind is the one its identified devices
//! vote for by category (DESIGN §4 groups; medical and building devices weigh three times an
//! office machine, server or phone), `unclassified` when none do.

use std::collections::BTreeMap;
use std::net::IpAddr;

use model::{Device, Subnet, Zone, ZoneKind};

/// Subnets listed per proposed zone; more are counted in [`ProposedZone::more_subnets`].
const MAX_SUBNETS: usize = 32;

/// One proposed zone with what it is made of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProposedZone {
    /// The zone as it would be configured.
    pub zone: Zone,
    /// Stations in it.
    pub devices: u64,
    /// Devices per category (most first; `unknown` for none).
    pub categories: Vec<(String, u64)>,
    /// /24s (or /64s) beyond the [`MAX_SUBNETS`] listed.
    pub more_subnets: usize,
}

/// The zone kind a category votes for; `None` for network gear, consumer IoT, clinical
/// workstations and unknowns, which sit anywhere.
pub fn kind_for_category(category: &str) -> Option<ZoneKind> {
    Some(match category {
        "imaging_modality" | "pacs" | "imaging_workstation" => ZoneKind::Imaging,
        "lab_analyzer" | "poc_analyzer" | "lab_middleware" => ZoneKind::Lab,
        "ehr_server" | "interface_engine" | "medical_device_server" | "server" | "storage" => {
            ZoneKind::Infrastructure
        }
        "workstation" | "printer" | "ip_phone" => ZoneKind::Admin,
        "mobile_phone" | "tablet" | "laptop" | "wearable" => ZoneKind::Guest,
        // Clinical workstations serve every care area (radiology reading rooms, the lab,
        // wards): they say nothing about which one a network is.
        "clinical_workstation" => return None,
        c => match model::criticality(c) {
            "life_sustaining" | "patient_connected" | "clinical" => ZoneKind::Clinical,
            "facility" => ZoneKind::Building,
            _ => return None,
        },
    })
}

fn prefix_of(ip: &IpAddr) -> Option<Subnet> {
    Subnet::new(*ip, if ip.is_ipv4() { 24 } else { 64 })
}

#[derive(Default)]
struct Group {
    vlan: Option<u16>,
    subnets: BTreeMap<String, Subnet>,
    categories: BTreeMap<String, u64>,
    votes: BTreeMap<ZoneKind, u64>,
    devices: u64,
}

/// Zones proposed from `devices`, ordered by VLAN, then untagged prefixes.
pub fn propose(devices: &[Device]) -> Vec<ProposedZone> {
    let mut groups: BTreeMap<(u8, String), Group> = BTreeMap::new();
    for d in devices {
        if d.macs.is_empty() || d.roles.iter().any(|r| r == "router") {
            continue;
        }
        let address = d.placing_address();
        let key = match (d.placing_vlan(), address.and_then(prefix_of)) {
            (Some(v), _) => (0, format!("{v:05}")),
            (None, Some(p)) => (1, p.to_string()),
            (None, None) => continue,
        };
        let g = groups.entry(key).or_default();
        g.vlan = d.placing_vlan();
        g.devices += 1;
        if let Some(p) = address.and_then(prefix_of) {
            g.subnets.insert(p.to_string(), p);
        }
        let category = d.category.as_ref().map_or("unknown", |c| c.value.as_str());
        *g.categories.entry(category.to_string()).or_default() += 1;
        if let Some(k) = kind_for_category(category) {
            // Medical and building devices say what a network is for; office machines,
            // servers and phones turn up everywhere (a reading room's PCs, a ward's printer),
            // so each of them counts a third as much.
            let weight = match k {
                ZoneKind::Clinical | ZoneKind::Imaging | ZoneKind::Lab | ZoneKind::Building => 3,
                _ => 1,
            };
            *g.votes.entry(k).or_default() += weight;
        }
    }
    groups
        .into_iter()
        .map(|((_, key), g)| {
            let name = match g.vlan {
                Some(v) => format!("vlan-{v}"),
                None => format!("net-{}", key.replace(['.', ':', '/'], "-")),
            };
            let kind = g
                .votes
                .iter()
                .max_by_key(|(k, n)| (**n, std::cmp::Reverse(**k)))
                .map_or(ZoneKind::Unclassified, |(k, _)| *k);
            let mut categories: Vec<(String, u64)> = g.categories.into_iter().collect();
            categories.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            let all: Vec<Subnet> = g.subnets.into_values().collect();
            let more_subnets = all.len().saturating_sub(MAX_SUBNETS);
            ProposedZone {
                zone: Zone {
                    name,
                    kind,
                    vlans: g.vlan.into_iter().collect(),
                    subnets: all.into_iter().take(MAX_SUBNETS).collect(),
                },
                devices: g.devices,
                categories,
                more_subnets,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::{Attribute, DeviceId, IpSighting, Timestamp};

    fn station(n: u8, vlan: Option<u16>, ip: &str, category: &str) -> Device {
        Device {
            id: DeviceId(format!("mac-0000000000{n:02x}")),
            macs: vec![format!("00:00:5e:00:53:{n:02x}").parse().unwrap()],
            vlans: vlan.into_iter().collect(),
            ips: vec![IpSighting {
                addr: ip.parse().unwrap(),
                first_seen: Timestamp(1),
                last_seen: Timestamp(2),
            }],
            category: Some(Box::new(Attribute {
                value: category.into(),
                confidence: 0.9,
                evidence: vec![],
            })),
            ..Device::default()
        }
    }

    #[test]
    fn stations_group_by_vlan_or_prefix_and_vote_the_kind() {
        let mut router = station(9, Some(20), "10.20.0.1", "router");
        router.roles.push("router".into());
        let mut routed = station(10, Some(20), "10.10.0.5", "server");
        routed.macs.clear();
        let devices = [
            station(1, Some(20), "10.20.0.5", "infusion_pump"),
            station(2, Some(20), "10.20.1.6", "patient_monitor"),
            station(3, Some(20), "10.20.0.7", "mobile_phone"),
            station(11, Some(20), "10.20.0.8", "workstation"),
            station(12, Some(20), "10.20.0.9", "workstation"),
            station(4, Some(90), "10.90.0.7", "mobile_phone"),
            station(5, Some(90), "10.90.0.8", "laptop"),
            station(6, None, "192.168.5.9", "hvac_controller"),
            station(7, None, "192.168.5.10", "network_switch"),
            router,
            routed,
        ];
        let p = propose(&devices);
        assert_eq!(p.len(), 3);
        assert_eq!(p[0].zone.name, "vlan-20");
        assert_eq!(p[0].zone.kind, ZoneKind::Clinical);
        assert_eq!(
            p[0].devices, 5,
            "the router and the routed server are left out"
        );
        let subnets: Vec<String> = p[0].zone.subnets.iter().map(ToString::to_string).collect();
        assert_eq!(subnets, ["10.20.0.0/24", "10.20.1.0/24"]);
        assert_eq!(p[1].zone.kind, ZoneKind::Guest);
        assert_eq!(p[2].zone.name, "net-192-168-5-0-24");
        assert_eq!(p[2].zone.kind, ZoneKind::Building);
        assert!(p[2].zone.vlans.is_empty());
        assert_eq!(p[2].categories[0].1, 1);
    }
}
