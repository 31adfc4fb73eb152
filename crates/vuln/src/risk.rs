//! How urgent one device × vulnerability match is for this hospital, 0–100, with its parts
//! shown: the published severity (CVSS base), whether it is exploited in the wild (KEV), how
//! likely exploitation is (EPSS), how exposed the device is on the network as seen, and what
//! the device does for patients (DESIGN §4 criticality), scaled by how likely the device is
//! affected at all.
//!
//! score = factor × (5 × CVSS + 20 × KEV + 10 × EPSS + exposure + criticality):
//! - a missing CVSS counts as 5 (medium);
//! - exposure 10 when the device holds a public (internet-routable) address, 8 when the
//!   vulnerable software itself was seen on the wire (the match came from it: an HTTP
//!   server's banner, a DICOM implementation version), 6 when the device was seen serving
//!   others (the vulnerable service may be one of them: which service a CVE lives in is not
//!   known in general), 3 when it was seen but serves nothing, 0 when it was never seen (an
//!   asset-list entry); reachability from guest or internet zones is reported
//!   `not_assessed` until zones are configured (issue "live monitoring and policy");
//! - criticality 10 for life-sustaining, 5 for patient-connected, 0 otherwise;
//! - factor 1 for `affected`, 0.6 for `possibly_affected`, 0 for `fixed` and `not_affected`.
//!
//! The weights make a KEV-listed critical flaw on an internet-facing infusion pump 100, and
//! an unexploited medium one on a printer that serves print jobs 31.

use model::{Device, ip_is_local};
use serde::Serialize;

use crate::matching::MatchStatus;

/// The parts a score is made of, as shown to the user.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskParts {
    pub cvss: Option<f64>,
    pub kev: bool,
    pub epss: Option<f64>,
    pub criticality: String,
    pub exposure: Exposure,
    pub status_factor: f64,
}

/// How exposed a device is, from what the wire showed of it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Exposure {
    /// `internet_facing`, `vulnerable_software_seen`, `serves_on_network`,
    /// `seen_no_service` or `not_seen`.
    pub level: &'static str,
    /// The protocol and role the vulnerable software was seen in (`http server`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seen_on_wire: Option<String>,
    /// Its points in the score (0–10).
    pub points: f64,
    /// The services it was seen serving (`tcp/443 http`), at most 8.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub services: Vec<String>,
    /// Reachability from guest or internet-facing zones: `not_assessed` until zones exist.
    pub zones: &'static str,
}

/// The most services an exposure lists.
const MAX_SERVICES: usize = 8;

/// A device's exposure (module docs) to a match that came from software seen on the wire in
/// `seen_on_wire` (protocol and role), if it did.
pub fn exposure(device: &Device, seen_on_wire: Option<&str>) -> Exposure {
    let services: Vec<String> = device
        .services
        .iter()
        .filter(|s| s.role == "server")
        .take(MAX_SERVICES)
        .map(|s| match &s.app {
            Some(app) => format!("{}/{} {app}", s.transport, s.port),
            None => format!("{}/{}", s.transport, s.port),
        })
        .collect();
    let public = device.ips.iter().any(|s| {
        !ip_is_local(&s.addr)
            && !s.addr.is_loopback()
            && !s.addr.is_unspecified()
            && !s.addr.is_multicast()
    });
    let (level, points) = if public {
        ("internet_facing", 10.0)
    } else if seen_on_wire.is_some() {
        ("vulnerable_software_seen", 8.0)
    } else if !services.is_empty() {
        ("serves_on_network", 6.0)
    } else if device.packets > 0 {
        ("seen_no_service", 3.0)
    } else {
        ("not_seen", 0.0)
    };
    Exposure {
        level,
        points,
        seen_on_wire: seen_on_wire.map(str::to_string),
        services,
        zones: "not_assessed",
    }
}

/// A score and its parts.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Risk {
    pub score: u8,
    pub parts: RiskParts,
}

pub fn risk(
    status: MatchStatus,
    cvss: Option<f64>,
    kev: bool,
    epss: Option<f64>,
    exposure: &Exposure,
    criticality: &str,
) -> Risk {
    let factor = match status {
        MatchStatus::Affected => 1.0,
        MatchStatus::PossiblyAffected => 0.6,
        MatchStatus::Fixed | MatchStatus::NotAffected => 0.0,
    };
    let crit = match criticality {
        "life_sustaining" => 10.0,
        "patient_connected" => 5.0,
        _ => 0.0,
    };
    let raw = 5.0 * cvss.unwrap_or(5.0).clamp(0.0, 10.0)
        + if kev { 20.0 } else { 0.0 }
        + 10.0 * epss.unwrap_or(0.0).clamp(0.0, 1.0)
        + exposure.points.clamp(0.0, 10.0)
        + crit;
    Risk {
        score: (factor * raw).round().clamp(0.0, 100.0) as u8,
        parts: RiskParts {
            cvss,
            kev,
            epss,
            criticality: criticality.to_string(),
            exposure: exposure.clone(),
            status_factor: factor,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn exposed(level: &'static str, points: f64) -> Exposure {
        Exposure {
            level,
            points,
            seen_on_wire: None,
            services: Vec::new(),
            zones: "not_assessed",
        }
    }

    #[test]
    fn the_scale_ends_where_its_docs_say() {
        let internet = exposed("internet_facing", 10.0);
        let serves = exposed("serves_on_network", 6.0);
        let top = risk(
            MatchStatus::Affected,
            Some(10.0),
            true,
            Some(1.0),
            &internet,
            "life_sustaining",
        );
        assert_eq!(top.score, 100);
        let printer = risk(
            MatchStatus::Affected,
            Some(5.0),
            false,
            None,
            &serves,
            "business",
        );
        assert_eq!(printer.score, 31);
        let maybe = risk(
            MatchStatus::PossiblyAffected,
            Some(5.0),
            false,
            None,
            &serves,
            "business",
        );
        assert_eq!(maybe.score, 19);
        let fixed = risk(
            MatchStatus::Fixed,
            Some(10.0),
            true,
            Some(1.0),
            &internet,
            "life_sustaining",
        );
        assert_eq!(fixed.score, 0);
        // KEV membership outranks a higher CVSS alone.
        let kev = risk(
            MatchStatus::Affected,
            Some(7.0),
            true,
            None,
            &serves,
            "business",
        );
        let high = risk(
            MatchStatus::Affected,
            Some(9.8),
            false,
            None,
            &serves,
            "business",
        );
        assert!(kev.score > high.score, "{} {}", kev.score, high.score);
        // Exposure moves the same flaw.
        let hidden = risk(
            MatchStatus::Affected,
            Some(7.0),
            false,
            None,
            &exposed("not_seen", 0.0),
            "business",
        );
        let open = risk(
            MatchStatus::Affected,
            Some(7.0),
            false,
            None,
            &internet,
            "business",
        );
        assert_eq!(open.score - hidden.score, 10);
    }

    #[test]
    fn exposure_reads_addresses_and_services() {
        use model::{DeviceId, IpSighting, Service, Timestamp};
        let sighting = |ip: &str| IpSighting {
            addr: ip.parse().unwrap(),
            first_seen: Timestamp(0),
            last_seen: Timestamp(0),
        };
        let mut d = Device {
            id: DeviceId("mac-000000000001".into()),
            ..Device::default()
        };
        assert_eq!(exposure(&d, None).level, "not_seen");
        d.packets = 10;
        d.ips.push(sighting("10.1.2.3"));
        assert_eq!(exposure(&d, None).level, "seen_no_service");
        d.services.push(Service {
            transport: "tcp".into(),
            port: 104,
            app: Some("dicom".into()),
            role: "server".into(),
            peers: 3,
        });
        let e = exposure(&d, None);
        assert_eq!(
            (e.level, e.services.clone()),
            ("serves_on_network", vec!["tcp/104 dicom".to_string()])
        );
        assert_eq!(
            exposure(&d, Some("http server")).level,
            "vulnerable_software_seen"
        );
        d.ips.push(sighting("fd00::1"));
        assert_eq!(
            exposure(&d, None).level,
            "serves_on_network",
            "ULA is local"
        );
        d.ips.push(sighting("198.51.100.7"));
        assert_eq!(exposure(&d, None).level, "internet_facing");
    }
}
