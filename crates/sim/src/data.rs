//! The hospital model and device profiles (`data/*.toml`, embedded at build time): loaded,
//! checked for dangling references, and turned into what the simulator needs.

use std::collections::BTreeMap;
use std::net::Ipv4Addr;

use serde::Deserialize;

use crate::SimError;

/// `data/hospital.toml`.
pub const HOSPITAL_TOML: &str = include_str!("../data/hospital.toml");
/// `data/profiles.toml`.
pub const PROFILES_TOML: &str = include_str!("../data/profiles.toml");

/// The hospital: zones, core services and device populations.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Hospital {
    /// Display name.
    pub name: String,
    /// Site id.
    pub site: String,
    /// DNS domain of internal names.
    pub domain: String,
    /// Profile of the core router (every zone's gateway).
    pub router_profile: String,
    /// Zones, each one VLAN.
    pub zone: Vec<Zone>,
    /// Core services.
    pub service: Vec<Service>,
    /// Device populations per zone.
    pub population: Vec<Population>,
}

/// One zone: a VLAN with its address plan.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Zone {
    /// Zone name (`icu`, `guest`…).
    pub name: String,
    /// Zone kind (`clinical`, `imaging`, `guest`…).
    pub kind: String,
    /// Building.
    pub building: String,
    /// Department.
    pub department: String,
    /// 802.1Q VLAN id.
    pub vlan: u16,
    /// IPv4 subnet, `a.b.c.d/len`.
    pub subnet: String,
}

/// A core service.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Service {
    /// Role (`dhcp`, `dns`, `ntp`, `syslog`, `pacs`, `hl7_engine`, `ehr`, `pump_server`,
    /// `monitor_server`).
    pub role: String,
    /// Device profile.
    pub profile: String,
    /// Host name.
    pub hostname: String,
    /// Fixed address in the datacenter zone.
    pub ip: Ipv4Addr,
}

/// The device populations of one zone.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Population {
    /// Zone name.
    pub zone: String,
    /// Profiles and their shares.
    pub profiles: Vec<Share>,
}

/// One profile's share of the device count.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Share {
    /// Profile id.
    pub profile: String,
    /// Weight.
    pub share: u32,
}

/// `data/profiles.toml`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profiles {
    /// IP/TCP stacks by name.
    pub os: BTreeMap<String, OsStack>,
    /// TLS client stacks by name.
    pub tls: BTreeMap<String, TlsStack>,
    /// Device profiles.
    pub profile: Vec<Profile>,
}

/// How a device's IP and TCP stack behaves.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OsStack {
    /// Initial TTL.
    pub ttl: u8,
    /// Initial TCP window.
    pub window: u16,
    /// SYN option layout: `linux`, `windows`, `apple` or `mss`.
    pub tcp_options: String,
}

/// A TLS client stack's ClientHello.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TlsStack {
    /// legacy_version (default 0x0303).
    #[serde(default)]
    pub legacy_version: Option<u16>,
    /// Cipher suites.
    pub ciphers: Vec<u16>,
    /// Extension types in order.
    pub extensions: Vec<u16>,
    /// Supported groups.
    pub groups: Vec<u16>,
    /// Signature algorithms.
    pub signature_algorithms: Vec<u16>,
    /// supported_versions (empty: TLS 1.2 or older only).
    pub versions: Vec<u16>,
    /// ALPN protocols.
    pub alpn: Vec<String>,
}

/// A kind of device and how it presents itself.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// Profile id.
    pub id: String,
    /// DESIGN §4 category id.
    pub category: String,
    /// Imaging modality code, for modalities.
    #[serde(default)]
    pub modality: Option<String>,
    /// Vendor as registered with the IEEE (empty for randomised MACs).
    pub vendor: String,
    /// Model.
    pub model: String,
    /// Firmware or software versions, one picked per device.
    pub firmware: Vec<String>,
    /// OUIs (6 hex digits).
    pub oui: Vec<String>,
    /// Locally administered random MACs instead of an OUI.
    #[serde(default)]
    pub random_mac: bool,
    /// [`OsStack`] name.
    pub os: String,
    /// Host name pattern.
    pub hostname: String,
    /// DHCP option 55, in order.
    #[serde(default)]
    pub dhcp_params: Vec<u8>,
    /// DHCP option 60.
    #[serde(default)]
    pub dhcp_vendor_class: Option<String>,
    /// Statically addressed (no DHCP).
    #[serde(default)]
    pub static_ip: bool,
    /// Behaviours.
    pub behaviours: Vec<String>,
    /// [`TlsStack`] name.
    #[serde(default)]
    pub tls: Option<String>,
    /// HTTP User-Agent.
    #[serde(default)]
    pub user_agent: Option<String>,
    /// HTTP Server header of its web server (`{firmware}` is replaced by the device's).
    #[serde(default)]
    pub server_banner: Option<String>,
    /// An older firmware it can be downgraded to (`--inject firmware_downgrade`).
    #[serde(default)]
    pub old_firmware: Option<String>,
    /// DICOM AE title pattern.
    #[serde(default)]
    pub ae_title: Option<String>,
    /// DICOM implementation class UID and version name.
    #[serde(default)]
    pub dicom_implementation: Vec<String>,
    /// HL7 MSH-3 sending application.
    #[serde(default)]
    pub hl7_application: Option<String>,
    /// The vendor cloud host name it reaches.
    #[serde(default)]
    pub vendor_cloud: Option<String>,
    /// The DNS-SD service it announces over mDNS (behaviour `mdns`).
    #[serde(default)]
    pub mdns: Option<MdnsService>,
    /// What its SNMP agent answers for the `system` group (behaviour `snmp`).
    #[serde(default)]
    pub snmp: Option<SnmpAgent>,
    /// LLDP: its system description and capabilities (behaviour `lldp`).
    #[serde(default)]
    pub lldp: Option<LldpAgent>,
    /// BACnet device: ASHRAE vendor identifier (behaviour `bacnet`).
    #[serde(default)]
    pub bacnet_vendor_id: Option<u16>,
    /// Modbus device identification: vendor, product code (behaviour `modbus-server`; the
    /// revision is the firmware).
    #[serde(default)]
    pub modbus: Option<ModbusIdentity>,
    /// SSDP SERVER header (behaviour `ssdp`; `{firmware}` etc. replaced).
    #[serde(default)]
    pub ssdp_server: Option<String>,
    /// Sources of the facts above.
    pub sources: Vec<String>,
}

/// A DNS-SD service (RFC 6763) a device announces over mDNS (RFC 6762). In `instance` and
/// `txt`, `{model}`, `{firmware}`, `{hostname}` and `{h6}` (the MAC's last six hex digits)
/// are replaced by the device's.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MdnsService {
    /// Service type, e.g. `_ipp._tcp`.
    pub service: String,
    /// Instance name pattern.
    pub instance: String,
    /// Port in the SRV record.
    pub port: u16,
    /// TXT record strings (`key=value`).
    pub txt: Vec<String>,
}

/// An SNMP agent's `system` group (RFC 3418); `{firmware}`, `{hostname}`, `{model}` are
/// replaced in `sys_descr`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SnmpAgent {
    /// sysDescr.0.
    pub sys_descr: String,
    /// sysObjectID.0.
    pub sys_object_id: Vec<u32>,
}

/// What a device says in its LLDPDUs (IEEE 802.1AB §8.5); `{firmware}`, `{hostname}` and
/// `{model}` are replaced in `system_description`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LldpAgent {
    /// System Description TLV.
    pub system_description: String,
    /// System Capabilities (bits of §8.5.8.1: 0x04 bridge, 0x10 router, 0x20 telephone…).
    pub capabilities: u16,
}

/// A Modbus device identification (Modbus Application Protocol §6.21, basic objects).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ModbusIdentity {
    /// VendorName (object 0x00).
    pub vendor_name: String,
    /// ProductCode (object 0x01).
    pub product_code: String,
}

/// Everything loaded and cross-checked.
#[derive(Debug, Clone)]
pub struct Model {
    /// The hospital.
    pub hospital: Hospital,
    /// The profiles.
    pub profiles: Profiles,
    /// Subnet base and prefix length of each zone, in `hospital.zone` order.
    pub subnets: Vec<(Ipv4Addr, u8)>,
}

/// The behaviours a profile may name.
pub const BEHAVIOURS: &[&str] = &[
    "dhcp",
    "arp",
    "dns",
    "ntp",
    "syslog",
    "https-pump-server",
    "https-vendor-cloud",
    "https-ehr",
    "web-browse",
    "hl7-oru",
    "hl7-adt",
    "roam",
    "nd",
    "dicom-store",
    "http-server-banner",
    "mdns",
    "snmp",
    "lldp",
    "bacnet",
    "modbus-server",
    "ssdp",
];

impl Model {
    /// The embedded model.
    pub fn embedded() -> Result<Self, SimError> {
        Self::from_toml(HOSPITAL_TOML, PROFILES_TOML)
    }

    /// Parses and checks a model.
    pub fn from_toml(hospital: &str, profiles: &str) -> Result<Self, SimError> {
        let hospital: Hospital =
            toml::from_str(hospital).map_err(|e| SimError::Model(format!("hospital.toml: {e}")))?;
        let profiles: Profiles =
            toml::from_str(profiles).map_err(|e| SimError::Model(format!("profiles.toml: {e}")))?;
        let bad = |m: String| Err(SimError::Model(m));
        let profile_ids: Vec<&str> = profiles.profile.iter().map(|p| p.id.as_str()).collect();
        let known = |id: &str| profile_ids.contains(&id);
        if !known(&hospital.router_profile) {
            return bad(format!(
                "hospital.toml: router_profile {:?} is not a profile",
                hospital.router_profile
            ));
        }
        let mut subnets = Vec::new();
        for z in &hospital.zone {
            let Some((addr, len)) = z.subnet.split_once('/') else {
                return bad(format!(
                    "hospital.toml: zone {}: subnet {:?} is not a.b.c.d/len",
                    z.name, z.subnet
                ));
            };
            let (Ok(addr), Ok(len)) = (addr.parse::<Ipv4Addr>(), len.parse::<u8>()) else {
                return bad(format!(
                    "hospital.toml: zone {}: subnet {:?} is not a.b.c.d/len",
                    z.name, z.subnet
                ));
            };
            if !(8..=28).contains(&len) {
                return bad(format!(
                    "hospital.toml: zone {}: prefix /{len} outside /8../28",
                    z.name
                ));
            }
            // Wings of a zone take VLAN + 100 and the next blocks of its /16 (world.rs).
            if z.vlan == 0 || z.vlan >= 100 {
                return bad(format!(
                    "hospital.toml: zone {}: VLAN {} outside 1..99",
                    z.name, z.vlan
                ));
            }
            if subnets
                .iter()
                .any(|(a, _): &(Ipv4Addr, u8)| u32::from(*a) >> 16 == u32::from(addr) >> 16)
            {
                return bad(format!(
                    "hospital.toml: zone {}: subnet shares its /16 with another zone",
                    z.name
                ));
            }
            subnets.push((addr, len));
        }
        for s in &hospital.service {
            if !known(&s.profile) {
                return bad(format!(
                    "hospital.toml: service {}: unknown profile {:?}",
                    s.role, s.profile
                ));
            }
        }
        for p in &hospital.population {
            if !hospital.zone.iter().any(|z| z.name == p.zone) {
                return bad(format!(
                    "hospital.toml: population of unknown zone {:?}",
                    p.zone
                ));
            }
            for s in &p.profiles {
                if !known(&s.profile) {
                    return bad(format!(
                        "hospital.toml: zone {}: unknown profile {:?}",
                        p.zone, s.profile
                    ));
                }
            }
        }
        for p in &profiles.profile {
            if !profiles.os.contains_key(&p.os) {
                return bad(format!(
                    "profiles.toml: profile {}: unknown os {:?}",
                    p.id, p.os
                ));
            }
            if let Some(t) = &p.tls
                && !profiles.tls.contains_key(t)
            {
                return bad(format!(
                    "profiles.toml: profile {}: unknown tls {t:?}",
                    p.id
                ));
            }
            if p.oui.is_empty() && !p.random_mac {
                return bad(format!(
                    "profiles.toml: profile {}: no oui and not random_mac",
                    p.id
                ));
            }
            for o in &p.oui {
                if o.len() != 6 || u32::from_str_radix(o, 16).is_err() {
                    return bad(format!(
                        "profiles.toml: profile {}: oui {o:?} is not 6 hex digits",
                        p.id
                    ));
                }
            }
            if p.firmware.is_empty() {
                return bad(format!("profiles.toml: profile {}: no firmware", p.id));
            }
            for b in &p.behaviours {
                if !BEHAVIOURS.contains(&b.as_str()) {
                    return bad(format!(
                        "profiles.toml: profile {}: unknown behaviour {b:?}",
                        p.id
                    ));
                }
            }
        }
        Ok(Self {
            hospital,
            profiles,
            subnets,
        })
    }

    /// The index of a profile by id (checked at load).
    pub fn profile_index(&self, id: &str) -> usize {
        self.profiles
            .profile
            .iter()
            .position(|p| p.id == id)
            .unwrap_or_default()
    }

    /// The datacenter zone: the zone of the core services (the first zone).
    pub fn service_zone(&self) -> usize {
        0
    }
}
