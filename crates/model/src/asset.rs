//! The hospital's own asset list (a CMMS or CMDB export): what it says a device is, and how a
//! listed asset was tied to a device seen on the wire.

use std::net::IpAddr;

use crate::MacAddr;

/// One row of the asset list, after column mapping and validation.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Asset {
    /// The asset tag: the list's own key (unique within the list).
    pub tag: String,
    /// Link-layer addresses (a wired and a wireless one are common).
    pub macs: Vec<MacAddr>,
    /// IP addresses (static assignments).
    pub ips: Vec<IpAddr>,
    /// Host name as the list spells it.
    pub hostname: Option<String>,
    /// Serial number.
    pub serial: Option<String>,
    /// Manufacturer.
    pub vendor: Option<String>,
    /// Model.
    pub model: Option<String>,
    /// Firmware or software version.
    pub firmware: Option<String>,
    /// Device category (a DESIGN §4 taxonomy id) when the list's type column names one.
    pub category: Option<String>,
    /// Department or cost centre.
    pub department: Option<String>,
    /// Location (site, building, room).
    pub location: Option<String>,
}

impl Asset {
    /// Id of the device that stands for a listed asset never seen on the wire.
    pub fn placeholder_id(&self) -> crate::DeviceId {
        crate::DeviceId(format!("{}{}", Self::PLACEHOLDER_PREFIX, self.tag))
    }

    /// Prefix of placeholder device ids (`asset-<tag>`).
    pub const PLACEHOLDER_PREFIX: &'static str = "asset-";
}

/// How a listed asset was tied to an observed device, strongest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum AssetMatchReason {
    /// The list's MAC is one of the device's.
    Mac,
    /// The list's host name is one the device used (compared without domain and case).
    Hostname,
    /// The list's IP address is one the device held (most recently, when several did).
    Ip,
}

impl AssetMatchReason {
    /// Stable name (store column, reports).
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Mac => "mac",
            Self::Hostname => "hostname",
            Self::Ip => "ip",
        }
    }

    /// Inverse of [`Self::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Mac, Self::Hostname, Self::Ip]
            .into_iter()
            .find(|r| r.as_str() == s)
    }
}

/// A listed asset with the device it was matched to, as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAsset {
    /// The row.
    pub asset: Asset,
    /// The observed device it is, and why; `None` when never seen.
    pub matched: Option<(crate::DeviceId, AssetMatchReason)>,
    /// Last time the matched device was seen; `None` when never seen.
    pub last_seen: Option<crate::Timestamp>,
    /// The file and line it was last imported from.
    pub origin: String,
}
