//! Network zones (IEC 62443-3-2 zones: groups of assets sharing security requirements) and the
//! conversations between devices that cross them.
//!
//! A zone is named in the configuration with the VLANs and subnets it spans; until one is
//! configured for a device, the device sits in a *provisional* zone named after its VLAN or its
//! /24 (IPv4) or /64 (IPv6), so maps and counts work on day one. Addresses that are not local
//! (RFC 1918, link-local, CGNAT, ULA) are the `internet` zone.

use std::fmt;
use std::net::IpAddr;
use std::str::FromStr;
use std::sync::Arc;

use serde::{Deserialize, Serialize};

use crate::{Timestamp, Transport, ip_is_local};

/// Name of the zone every non-local address falls in.
pub const INTERNET_ZONE: &str = "internet";

/// What a zone holds, which decides the default policy between zones (the live-monitoring
/// issue's conduits). Stable snake_case names in configuration and output.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ZoneKind {
    /// Patient-connected and life-sustaining devices: pumps, monitors, ventilators.
    Clinical,
    /// Modalities, PACS and reading workstations.
    Imaging,
    /// Laboratory analyzers and the LIS.
    Lab,
    /// Building automation: HVAC, elevators, access control, lighting.
    Building,
    /// Administrative IT: workstations, printers, servers.
    Admin,
    /// Guest and patient Wi-Fi.
    Guest,
    /// Network services the others use: DNS, DHCP, directory, routing.
    Infrastructure,
    /// Everything outside the hospital.
    Internet,
    /// Proposed from what was seen and not reviewed yet, or not said.
    Unclassified,
}

impl ZoneKind {
    /// Every kind, in declaration order.
    pub const ALL: [Self; 9] = [
        Self::Clinical,
        Self::Imaging,
        Self::Lab,
        Self::Building,
        Self::Admin,
        Self::Guest,
        Self::Infrastructure,
        Self::Internet,
        Self::Unclassified,
    ];

    /// The stable name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Clinical => "clinical",
            Self::Imaging => "imaging",
            Self::Lab => "lab",
            Self::Building => "building",
            Self::Admin => "admin",
            Self::Guest => "guest",
            Self::Infrastructure => "infrastructure",
            Self::Internet => "internet",
            Self::Unclassified => "unclassified",
        }
    }
}

impl FromStr for ZoneKind {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|k| k.as_str() == s)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|k| k.as_str()).collect();
                format!("unknown zone kind {s:?} (one of {})", names.join(", "))
            })
    }
}

/// An IP prefix in CIDR notation (`10.20.0.0/16`, `fd00:20::/64`); host bits are cleared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Subnet {
    network: IpAddr,
    prefix: u8,
}

impl Subnet {
    /// The prefix `addr/prefix`, host bits cleared; `None` when the length exceeds the family's.
    pub fn new(addr: IpAddr, prefix: u8) -> Option<Self> {
        let network = match addr {
            IpAddr::V4(a) if prefix <= 32 => {
                let mask = u32::MAX.checked_shl(32 - u32::from(prefix)).unwrap_or(0);
                IpAddr::V4((u32::from(a) & mask).into())
            }
            IpAddr::V6(a) if prefix <= 128 => {
                let mask = u128::MAX.checked_shl(128 - u32::from(prefix)).unwrap_or(0);
                IpAddr::V6((u128::from(a) & mask).into())
            }
            _ => return None,
        };
        Some(Self { network, prefix })
    }

    /// The prefix length.
    pub const fn prefix(&self) -> u8 {
        self.prefix
    }

    /// Whether `ip` lies in the prefix (an address of the other family never does).
    pub fn contains(&self, ip: &IpAddr) -> bool {
        Self::new(*ip, self.prefix).is_some_and(|s| s.network == self.network)
    }
}

impl fmt::Display for Subnet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.network, self.prefix)
    }
}

impl FromStr for Subnet {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let (addr, prefix) = s
            .split_once('/')
            .ok_or_else(|| format!("{s:?} is not a subnet (address/prefix-length)"))?;
        let addr: IpAddr = addr
            .parse()
            .map_err(|_| format!("{s:?}: {addr:?} is not an IP address"))?;
        let prefix: u8 = prefix
            .parse()
            .map_err(|_| format!("{s:?}: {prefix:?} is not a prefix length"))?;
        Self::new(addr, prefix)
            .ok_or_else(|| format!("{s:?}: prefix length {prefix} is too long for the address"))
    }
}

impl Serialize for Subnet {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Subnet {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A configured zone: a name, what it holds, and the VLANs and subnets it spans.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Zone {
    /// Unique name (`icu`, `radiology`, `guest-wifi`).
    pub name: String,
    /// What it holds.
    pub kind: ZoneKind,
    /// 802.1Q VLAN ids (innermost tag) in the zone.
    #[serde(default)]
    pub vlans: Vec<u16>,
    /// Subnets in the zone.
    #[serde(default)]
    pub subnets: Vec<Subnet>,
}

/// A conduit (IEC 62443-3-2): conversations a zone may open to another, over some services,
/// optionally only to some addresses (a vendor's update servers on the internet).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Conduit {
    /// The zone opening the conversations: a zone name, `kind:<kind>` or `*`.
    pub from: String,
    /// The zone answering: a zone name (`internet` included), `kind:<kind>` or `*`.
    pub to: String,
    /// Services allowed: `tcp/2575`, `udp/53`, `tcp` (any port), `icmp`; empty: any.
    #[serde(default)]
    pub services: Vec<String>,
    /// Only to these subnets (empty: any address of the `to` zone).
    #[serde(default)]
    pub addresses: Vec<Subnet>,
    /// Why it exists (a change ticket, a vendor's requirement), for people.
    #[serde(default)]
    pub note: Option<String>,
}

/// The zone a device is counted in before zones are configured for it: its VLAN when tagged
/// (`vlan 20`), else the /24 (IPv4) or /64 (IPv6) of `ip`, `unknown` with neither. A
/// device is on the monitored network whatever its address; for an address that is no device
/// see [`peer_zone`].
pub fn provisional_zone(vlan: Option<u16>, ip: Option<&IpAddr>) -> String {
    if let Some(v) = vlan {
        return format!("vlan {v}");
    }
    match ip {
        Some(ip @ IpAddr::V4(_)) => {
            Subnet::new(*ip, 24).map_or_else(String::new, |s| s.to_string())
        }
        Some(ip @ IpAddr::V6(_)) => {
            Subnet::new(*ip, 64).map_or_else(String::new, |s| s.to_string())
        }
        None => "unknown".into(),
    }
}

/// The provisional zone of an address that is no device: `internet` when it is not local,
/// else its /24 or /64 (a host behind a router the inventory could not make a device of).
pub fn peer_zone(ip: &IpAddr) -> String {
    if ip_is_local(ip) {
        provisional_zone(None, Some(ip))
    } else {
        INTERNET_ZONE.into()
    }
}

/// What one client address said to one server address on one service, summed over the flows
/// of an analysis: the edges of the device peer map and the zone × zone traffic matrix.
///
/// Device ids and zone names are shared (`Arc<str>`): a hospital has hundreds of thousands of
/// conversations among far fewer devices and zones, and a copy of each name per conversation
/// was a quarter of an analysis's peak memory at 100,000 devices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conversation {
    /// The side that opened the flows.
    pub client_addr: IpAddr,
    /// The id of the device holding the client address, if it is one (internet hosts are not).
    pub client_device: Option<Arc<str>>,
    /// The client's zone.
    pub client_zone: Arc<str>,
    /// The side that answered.
    pub server_addr: IpAddr,
    /// The id of the device holding the server address, if it is one.
    pub server_device: Option<Arc<str>>,
    /// The server's zone.
    pub server_zone: Arc<str>,
    /// Transport protocol.
    pub transport: Transport,
    /// Server port (0 for transports without ports).
    pub port: u16,
    /// Application protocol recognised on the flows (the latest one named), if any.
    pub app: Option<&'static str>,
    /// Flow records summed.
    pub flows: u64,
    /// Packets both ways.
    pub packets: u64,
    /// Captured bytes both ways.
    pub bytes: u64,
    /// First packet.
    pub first_seen: Timestamp,
    /// Last packet.
    pub last_seen: Timestamp,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subnets_parse_clear_host_bits_and_contain() {
        let s: Subnet = "10.20.3.14/16".parse().unwrap();
        assert_eq!(s.to_string(), "10.20.0.0/16");
        assert!(s.contains(&"10.20.255.1".parse().unwrap()));
        assert!(!s.contains(&"10.21.0.1".parse().unwrap()));
        assert!(!s.contains(&"fd00::1".parse().unwrap()));
        let v6: Subnet = "fd00:20::1/64".parse().unwrap();
        assert_eq!(v6.to_string(), "fd00:20::/64");
        assert!(v6.contains(&"fd00:20::abcd".parse().unwrap()));
        let all: Subnet = "0.0.0.0/0".parse().unwrap();
        assert!(all.contains(&"8.8.8.8".parse().unwrap()));
        for bad in ["10.0.0.0", "10.0.0.0/33", "x/8", "10.0.0.0/-1", "::/129"] {
            assert!(bad.parse::<Subnet>().is_err(), "{bad}");
        }
    }

    #[test]
    fn provisional_zones_name_the_vlan_the_prefix_or_the_internet() {
        let local: IpAddr = "10.20.3.14".parse().unwrap();
        let remote: IpAddr = "93.184.216.34".parse().unwrap();
        assert_eq!(provisional_zone(Some(20), Some(&local)), "vlan 20");
        assert_eq!(provisional_zone(None, Some(&local)), "10.20.3.0/24");
        assert_eq!(provisional_zone(Some(20), Some(&remote)), "vlan 20");
        assert_eq!(provisional_zone(None, Some(&remote)), "93.184.216.0/24");
        assert_eq!(peer_zone(&remote), "internet");
        assert_eq!(peer_zone(&local), "10.20.3.0/24");
        assert_eq!(
            provisional_zone(None, Some(&"fd00:1:2:3::9".parse().unwrap())),
            "fd00:1:2:3::/64"
        );
        assert_eq!(provisional_zone(None, None), "unknown");
    }

    #[test]
    fn zone_kinds_round_trip_and_unknown_ones_are_named() {
        for k in ZoneKind::ALL {
            assert_eq!(k.as_str().parse::<ZoneKind>().unwrap(), k);
        }
        assert!(
            "clinic"
                .parse::<ZoneKind>()
                .unwrap_err()
                .contains("clinical")
        );
    }
}
