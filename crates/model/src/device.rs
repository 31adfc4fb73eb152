//! The device inventory: what the brain half builds from observations and the store keeps.

use std::borrow::Cow;
use std::fmt;
use std::net::IpAddr;

use crate::{MacAddr, Timestamp};

/// Stable device id (DESIGN §5): `mac-<12 hex>` for a device known by a globally unique MAC,
/// `ip-<address>` for one known only by an IP address.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct DeviceId(pub String);

impl DeviceId {
    /// Id of a device keyed by its MAC.
    pub fn from_mac(mac: MacAddr) -> Self {
        let mut id = String::with_capacity(16);
        id.push_str("mac-");
        mac.push_hex(&mut id);
        Self(id)
    }

    /// Id of a device known only by an IP address.
    pub fn from_ip(ip: IpAddr) -> Self {
        Self(format!("ip-{ip}"))
    }
}

impl fmt::Display for DeviceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// One contribution to an attribute's value.
#[derive(Debug, Clone, PartialEq)]
pub struct Evidence {
    /// The value it speaks for: the attribute's value when it won, another when it lost.
    pub value: String,
    /// Where it came from (`oui`, `kb:<rule file>/<rule id>`, `asset_list`, …).
    pub source: String,
    /// Human-readable detail (`00:1B:6F → Becton, Dickinson and Company`).
    pub detail: String,
    /// How much it counts, 0–1.
    pub weight: f32,
}

/// A derived attribute: a value, how sure we are, and every piece of evidence considered.
#[derive(Debug, Clone, PartialEq)]
pub struct Attribute {
    /// The chosen value.
    pub value: String,
    /// Confidence 0–1.
    pub confidence: f32,
    /// Every contribution, including those that lost.
    pub evidence: Vec<Evidence>,
}

/// An address a device held, and when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IpSighting {
    /// The address.
    pub addr: IpAddr,
    /// First time it was seen held by this device.
    pub first_seen: Timestamp,
    /// Last time.
    pub last_seen: Timestamp,
}

/// Which protocol named a device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum HostnameSource {
    /// DHCP option 12.
    Dhcp,
    /// DHCP option 81 (client FQDN).
    DhcpFqdn,
    /// A unicast DNS answer (A/AAAA/PTR).
    Dns,
    /// A multicast DNS answer.
    Mdns,
    /// An LLMNR answer.
    Llmnr,
}

impl HostnameSource {
    /// Stable name used in reports and the store.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Dhcp => "dhcp",
            Self::DhcpFqdn => "dhcp_fqdn",
            Self::Dns => "dns",
            Self::Mdns => "mdns",
            Self::Llmnr => "llmnr",
        }
    }

    /// Inverse of [`Self::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "dhcp" => Self::Dhcp,
            "dhcp_fqdn" => Self::DhcpFqdn,
            "dns" => Self::Dns,
            "mdns" => Self::Mdns,
            "llmnr" => Self::Llmnr,
            _ => return None,
        })
    }
}

/// A name a device is known by.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Hostname {
    /// The name as seen (lossy UTF-8, truncated to the wire-string limit).
    pub name: String,
    /// Which protocol gave it.
    pub source: HostnameSource,
}

/// What a device's DHCP client said about itself: an OS / firmware fingerprint. Ordered so
/// that a choice between two fingerprints of the same instant can follow the values, not the
/// order they arrived in.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Default)]
pub struct DhcpFingerprint {
    /// Option 60.
    pub vendor_class: Option<String>,
    /// Option 55, in order.
    pub param_request_list: Option<Vec<u8>>,
    /// Option 61, hex.
    pub client_id: Option<String>,
    /// Option 57.
    pub max_message_size: Option<u16>,
}

/// A port a device used, as client or server.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Service {
    /// `tcp`, `udp`, …
    pub transport: String,
    /// The server port.
    pub port: u16,
    /// Application protocol, once a parser recognised it.
    pub app: Option<String>,
    /// `client` or `server`.
    pub role: String,
    /// Distinct peers seen on it.
    pub peers: u32,
}

/// Software a device revealed on the wire (DESIGN §5 `software[]`): the input of
/// vulnerability matching.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeviceSoftware {
    /// Product as the wire gave it.
    pub product: String,
    /// Version, when split off.
    pub version: Option<String>,
    /// Protocol that revealed it (`http`, `ssh`, `dicom`, …).
    pub source: String,
    /// `client` or `server`: the role the device played when it said so.
    pub role: String,
    /// The raw string.
    pub raw: String,
}

/// An identity fact about a device (`tls.sni`, `http.user_agent`, `dicom.ae_title`, …): the
/// evidence identification reasons over.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DeviceFact {
    /// Stable key from the facts vocabulary (ARCHITECTURE.md). Borrowed from the parsers'
    /// vocabulary when the inventory builds it (no allocation per fact and device), owned
    /// when read back from a store.
    pub key: Cow<'static, str>,
    /// Value.
    pub value: String,
    /// Protocol that said it (borrowed or owned, like `key`).
    pub source: Cow<'static, str>,
    /// Times it was observed in this analysis. A fact the same endpoint repeats while it is
    /// still in the sensor's recent-facts filter (the last 65,536 facts) is observed once, so
    /// this counts sightings after a gap, not messages: at least 1, and the same for the same
    /// input.
    pub count: u64,
}

impl Device {
    /// The VLAN that says where the device sits: its first, when it is a station seen with its
    /// own MAC. A device known only by address sits behind a router: the VLANs its packets
    /// were seen on are its peers', not its own.
    pub fn placing_vlan(&self) -> Option<u16> {
        if self.macs.is_empty() {
            None
        } else {
            self.vlans.first().copied()
        }
    }

    /// The address that says where the device sits: the most recently seen IPv4 address that
    /// is not link-local, else such an IPv6 address, else the most recent of any (a link-local
    /// fe80::/64 is on every segment, so it places nothing when a routable one exists).
    pub fn placing_address(&self) -> Option<&std::net::IpAddr> {
        let link_local = |ip: &std::net::IpAddr| match ip {
            std::net::IpAddr::V4(a) => a.is_link_local(),
            std::net::IpAddr::V6(a) => (a.segments()[0] & 0xffc0) == 0xfe80,
        };
        let latest = |keep: &dyn Fn(&std::net::IpAddr) -> bool| {
            self.ips
                .iter()
                .filter(|s| keep(&s.addr))
                .max_by_key(|s| s.last_seen)
                .map(|s| &s.addr)
        };
        latest(&|ip| ip.is_ipv4() && !link_local(ip))
            .or_else(|| latest(&|ip| !link_local(ip)))
            .or_else(|| latest(&|_| true))
    }

    /// The derived attributes by their stable names (store columns, report fields).
    pub fn attributes(&self) -> [(&'static str, Option<&Attribute>); 6] {
        [
            ("vendor", self.vendor.as_ref()),
            ("category", self.category.as_deref()),
            ("model", self.model.as_deref()),
            ("os", self.os.as_deref()),
            ("firmware", self.firmware.as_deref()),
            ("modality", self.modality.as_deref()),
        ]
    }
}

/// One device of the inventory.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Device {
    /// Stable id.
    pub id: DeviceId,
    /// Link-layer addresses.
    pub macs: Vec<MacAddr>,
    /// True when its MAC is locally administered (likely randomised).
    pub mac_randomized: bool,
    /// Addresses held over time.
    pub ips: Vec<IpSighting>,
    /// Names.
    pub hostnames: Vec<Hostname>,
    /// VLANs it was seen on.
    pub vlans: Vec<u16>,
    /// First packet time.
    pub first_seen: Timestamp,
    /// Last packet time.
    pub last_seen: Timestamp,
    /// Packets sent by the device.
    pub packets: u64,
    /// Captured bytes sent by the device.
    pub bytes: u64,
    /// Manufacturer.
    pub vendor: Option<Attribute>,
    // The attributes below are boxed: most devices lack most of them, and inline each empty
    // one cost 56 bytes in every device (24 MiB at 100,000 devices).
    /// What kind of device (DESIGN §4 taxonomy id: `infusion_pump`, `pacs`, …).
    pub category: Option<Box<Attribute>>,
    /// Product model.
    pub model: Option<Box<Attribute>>,
    /// Operating system.
    pub os: Option<Box<Attribute>>,
    /// Firmware or software version of the device as a whole.
    pub firmware: Option<Box<Attribute>>,
    /// DICOM modality (CT, MR, US, …) of an imaging device.
    pub modality: Option<Box<Attribute>>,
    /// DHCP fingerprint.
    pub dhcp: Option<DhcpFingerprint>,
    /// Services used or offered.
    pub services: Vec<Service>,
    /// Roles (`router`, `dhcp_server`, `dns_server`, …).
    pub roles: Vec<String>,
    /// DNS names the device asked for (bounded).
    pub dns_queries: Vec<String>,
    /// Software seen (bounded).
    pub software: Vec<DeviceSoftware>,
    /// Identity facts from application protocols (bounded).
    pub facts: Vec<DeviceFact>,
    /// Ids of the findings about this device.
    pub findings: Vec<crate::FindingId>,
    /// The network zone it sits in: a configured zone, else a provisional one
    /// ([`crate::provisional_zone`]); `None` until an analysis placed it.
    pub zone: Option<String>,
}
