//! Configured zones and the lookup from a VLAN or an address to its zone.

use std::fmt;
use std::net::IpAddr;

use foldhash::{HashMap, HashMapExt};
use model::{Device, Subnet, Zone, peer_zone, provisional_zone};

/// Why a set of zones cannot be used: each names the zone (and the VLAN) at fault.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ZoneError {
    /// A zone without a name.
    EmptyName,
    /// Two zones of one name.
    DuplicateName(String),
    /// The name of the zone non-local addresses fall in, given to a configured zone.
    ReservedName(String),
    /// One VLAN in two zones: which one a device on it belongs to would be a coin toss.
    VlanInTwoZones {
        /// The VLAN id.
        vlan: u16,
        /// The zone listing it first.
        first: String,
        /// The zone listing it again.
        second: String,
    },
    /// One subnet in two zones.
    SubnetInTwoZones {
        /// The subnet.
        subnet: String,
        /// The zone listing it first.
        first: String,
        /// The zone listing it again.
        second: String,
    },
}

impl fmt::Display for ZoneError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::EmptyName => write!(f, "a zone has an empty name"),
            Self::DuplicateName(n) => write!(f, "zone {n:?} is configured twice"),
            Self::ReservedName(n) => write!(
                f,
                "zone name {n:?} is reserved for addresses outside the hospital"
            ),
            Self::VlanInTwoZones {
                vlan,
                first,
                second,
            } => write!(f, "VLAN {vlan} is in zone {first:?} and in zone {second:?}"),
            Self::SubnetInTwoZones {
                subnet,
                first,
                second,
            } => write!(
                f,
                "subnet {subnet} is in zone {first:?} and in zone {second:?}"
            ),
        }
    }
}

impl std::error::Error for ZoneError {}

/// The configured zones, indexed for lookup. A device or address no configured zone spans
/// gets a provisional zone ([`model::provisional_zone`], [`model::peer_zone`]).
#[derive(Debug, Clone, Default)]
pub struct ZoneMap {
    zones: Vec<Zone>,
    by_vlan: HashMap<u16, usize>,
    /// Longest prefix first, so the first match is the most specific.
    subnets: Vec<(Subnet, usize)>,
}

impl ZoneMap {
    /// Indexes `zones`, refusing ambiguous ones (see [`ZoneError`]).
    pub fn new(zones: Vec<Zone>) -> Result<Self, ZoneError> {
        let mut by_vlan: HashMap<u16, usize> = HashMap::new();
        let mut subnets: Vec<(Subnet, usize)> = Vec::new();
        let mut names: HashMap<&str, ()> = HashMap::new();
        for (i, z) in zones.iter().enumerate() {
            if z.name.trim().is_empty() {
                return Err(ZoneError::EmptyName);
            }
            if z.name == model::INTERNET_ZONE && z.kind != model::ZoneKind::Internet {
                return Err(ZoneError::ReservedName(z.name.clone()));
            }
            if names.insert(&z.name, ()).is_some() {
                return Err(ZoneError::DuplicateName(z.name.clone()));
            }
            for &vlan in &z.vlans {
                if let Some(&j) = by_vlan.get(&vlan)
                    && j != i
                {
                    return Err(ZoneError::VlanInTwoZones {
                        vlan,
                        first: zones[j].name.clone(),
                        second: z.name.clone(),
                    });
                }
                by_vlan.insert(vlan, i);
            }
            for s in &z.subnets {
                if let Some((_, j)) = subnets.iter().find(|(t, j)| t == s && *j != i) {
                    return Err(ZoneError::SubnetInTwoZones {
                        subnet: s.to_string(),
                        first: zones[*j].name.clone(),
                        second: z.name.clone(),
                    });
                }
                subnets.push((*s, i));
            }
        }
        subnets.sort_by_key(|(s, _)| std::cmp::Reverse(s.prefix()));
        Ok(Self {
            zones,
            by_vlan,
            subnets,
        })
    }

    /// The configured zones, as given.
    pub fn zones(&self) -> &[Zone] {
        &self.zones
    }

    /// Whether no zone is configured.
    pub fn is_empty(&self) -> bool {
        self.zones.is_empty()
    }

    /// The configured zone spanning `vlan` (first) or `ip` (most specific subnet), if any.
    pub fn configured(&self, vlan: Option<u16>, ip: Option<&IpAddr>) -> Option<&Zone> {
        vlan.and_then(|v| self.by_vlan.get(&v))
            .or_else(|| {
                let ip = ip?;
                self.subnets
                    .iter()
                    .find(|(s, _)| s.contains(ip))
                    .map(|(_, i)| i)
            })
            .map(|&i| &self.zones[i])
    }

    /// The zone of a device: a configured zone spanning one of its VLANs (a station seen with
    /// its own MAC), else one spanning its placing address ([`Device::placing_address`]), else
    /// its provisional zone. A device known only by address (behind a router) is placed by
    /// its address alone: the VLANs its packets crossed are its peers'.
    pub fn device_zone(&self, device: &Device) -> String {
        let address = device.placing_address();
        let by_vlan = || {
            device
                .vlans
                .iter()
                .find_map(|&v| self.configured(Some(v), None))
        };
        let by_address = || self.configured(None, address);
        let configured = if device.macs.is_empty() {
            by_address()
        } else {
            by_vlan().or_else(by_address)
        };
        configured.map_or_else(
            || provisional_zone(device.placing_vlan(), address),
            |z| z.name.clone(),
        )
    }

    /// The zone of an address no device holds: a configured subnet's, else `internet` or
    /// its provisional zone.
    pub fn address_zone(&self, ip: &IpAddr) -> String {
        self.configured(None, Some(ip))
            .map_or_else(|| peer_zone(ip), |z| z.name.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::{DeviceId, IpSighting, Timestamp, ZoneKind};

    fn zone(name: &str, kind: ZoneKind, vlans: &[u16], subnets: &[&str]) -> Zone {
        Zone {
            name: name.into(),
            kind,
            vlans: vlans.to_vec(),
            subnets: subnets.iter().map(|s| s.parse().unwrap()).collect(),
        }
    }

    fn device(vlans: &[u16], ip: &str) -> Device {
        Device {
            id: DeviceId("mac-001b6f0a0b0c".into()),
            macs: vec!["00:1b:6f:0a:0b:0c".parse().unwrap()],
            vlans: vlans.to_vec(),
            ips: vec![IpSighting {
                addr: ip.parse().unwrap(),
                first_seen: Timestamp(1),
                last_seen: Timestamp(2),
            }],
            ..Device::default()
        }
    }

    #[test]
    fn vlans_then_the_most_specific_subnet_then_provisional() {
        let map = ZoneMap::new(vec![
            zone("icu", ZoneKind::Clinical, &[20], &["10.20.0.0/16"]),
            zone("icu-gw", ZoneKind::Infrastructure, &[], &["10.20.0.0/24"]),
            zone("guest", ZoneKind::Guest, &[90], &[]),
        ])
        .unwrap();
        assert_eq!(map.device_zone(&device(&[90], "10.20.0.5")), "guest");
        assert_eq!(map.device_zone(&device(&[], "10.20.0.5")), "icu-gw");
        assert_eq!(map.device_zone(&device(&[], "10.20.7.5")), "icu");
        assert_eq!(map.device_zone(&device(&[], "10.30.7.5")), "10.30.7.0/24");
        assert_eq!(map.device_zone(&device(&[31], "10.30.7.5")), "vlan 31");
        // Known only by address (behind a router): the address places it, not the VLAN its
        // packets were seen on.
        let mut routed = device(&[90], "10.20.7.5");
        routed.macs.clear();
        assert_eq!(map.device_zone(&routed), "icu");
        routed.ips[0].addr = "10.30.7.5".parse().unwrap();
        assert_eq!(map.device_zone(&routed), "10.30.7.0/24");
        assert_eq!(map.address_zone(&"10.20.9.9".parse().unwrap()), "icu");
        assert_eq!(map.address_zone(&"8.8.8.8".parse().unwrap()), "internet");
    }

    #[test]
    fn ambiguous_zones_are_refused_by_name() {
        let e = ZoneMap::new(vec![
            zone("icu", ZoneKind::Clinical, &[20], &[]),
            zone("lab", ZoneKind::Lab, &[20], &[]),
        ])
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            "VLAN 20 is in zone \"icu\" and in zone \"lab\""
        );
        let e = ZoneMap::new(vec![
            zone("a", ZoneKind::Lab, &[], &["10.0.0.0/8"]),
            zone("b", ZoneKind::Lab, &[], &["10.1.2.3/8"]),
        ])
        .unwrap_err();
        assert!(e.to_string().contains("10.0.0.0/8"), "{e}");
        assert!(ZoneMap::new(vec![zone("a", ZoneKind::Lab, &[], &[]); 2]).is_err());
        assert!(ZoneMap::new(vec![zone(" ", ZoneKind::Lab, &[], &[])]).is_err());
        assert!(ZoneMap::new(vec![zone("internet", ZoneKind::Guest, &[], &[])]).is_err());
    }
}
