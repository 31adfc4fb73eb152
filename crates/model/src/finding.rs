//! Findings: what a security engineer should look at, with the evidence, merged across flows.
//!
//! A finding's id is a hash of what identifies it (kind, device, protocol, server, subject),
//! never of when or in which run it was seen, so the same input gives the same id across runs
//! and stores, and re-analysing a capture updates a finding instead of duplicating it. Later
//! issues add kinds; the shape stays.

use std::fmt;

use crate::{DeviceId, Timestamp};

/// Stable finding id: `f-` and 16 lowercase hex digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FindingId(pub String);

impl FindingId {
    /// The id for these identifying parts, in order. FNV-1a 64 over the parts with a separator
    /// byte: fixed by definition (no per-process seed), so ids are stable forever.
    pub fn from_parts(parts: &[&str]) -> Self {
        const OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
        const PRIME: u64 = 0x0000_0100_0000_01b3;
        let mut h = OFFSET;
        for part in parts {
            for &b in part.as_bytes().iter().chain(&[0x1f]) {
                h ^= u64::from(b);
                h = h.wrapping_mul(PRIME);
            }
        }
        Self(format!("f-{h:016x}"))
    }
}

impl fmt::Display for FindingId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a finding is about. Stable snake_case names (`as_str`) are what reports, the store
/// and SIEM rules use; later issues add variants.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum FindingKind {
    /// Patient data crossed the network without encryption.
    CleartextPhi,
    /// A login or secret crossed the network without encryption.
    CleartextCredentials,
    /// A TLS service negotiated an obsolete protocol or presented a weak or invalid
    /// certificate.
    WeakTls,
    /// A device on the wire that the hospital's asset list does not hold (personal devices
    /// are counted apart, not reported one by one).
    UnauthorizedDevice,
    /// The asset list and the wire disagree about a device's vendor, model or firmware.
    AssetMismatch,
    /// A device runs firmware older than its vendor's minimum supported or latest release.
    OutdatedFirmware,
    /// A device (or its OS) is past its vendor's end of support.
    EndOfSupport,
    /// A published advisory affects the device (or possibly does: its firmware is unknown).
    Vulnerable,
    /// A patch verified on the wire is gone: the old, affected version was seen again.
    PatchRegression,
    /// An accepted risk's expiry date has passed.
    AcceptedRiskExpired,
    /// Traffic crossed between zones where no conduit allows it (guest → clinical, building ↔
    /// clinical, clinical ↔ internet, or any crossing under a deny-by-default policy).
    SegmentationViolation,
    /// A device looked up, named or reached a destination on a configured blocklist.
    BlocklistedDestination,
    /// A device probed many ports of one server, or one port of many servers, in a minute.
    PortScan,
    /// A device reached the same internet server at a steady interval.
    Beaconing,
    /// A device with a settled set of internet peers reached one outside it.
    NewExternalDestination,
}

impl FindingKind {
    /// Every kind, for listings and parsing.
    pub const ALL: [Self; 15] = [
        Self::CleartextPhi,
        Self::CleartextCredentials,
        Self::WeakTls,
        Self::UnauthorizedDevice,
        Self::AssetMismatch,
        Self::OutdatedFirmware,
        Self::EndOfSupport,
        Self::Vulnerable,
        Self::PatchRegression,
        Self::AcceptedRiskExpired,
        Self::SegmentationViolation,
        Self::BlocklistedDestination,
        Self::PortScan,
        Self::Beaconing,
        Self::NewExternalDestination,
    ];

    /// Stable name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::CleartextPhi => "cleartext_phi",
            Self::CleartextCredentials => "cleartext_credentials",
            Self::WeakTls => "weak_tls",
            Self::UnauthorizedDevice => "unauthorized_device",
            Self::AssetMismatch => "asset_mismatch",
            Self::OutdatedFirmware => "outdated_firmware",
            Self::EndOfSupport => "end_of_support",
            Self::Vulnerable => "vulnerable",
            Self::PatchRegression => "patch_regression",
            Self::AcceptedRiskExpired => "accepted_risk_expired",
            Self::SegmentationViolation => "segmentation_violation",
            Self::BlocklistedDestination => "blocklisted_destination",
            Self::PortScan => "port_scan",
            Self::Beaconing => "beaconing",
            Self::NewExternalDestination => "new_external_destination",
        }
    }

    /// Inverse of [`Self::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// How urgent a finding is, lowest first (ordering is by urgency).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Severity {
    /// Worth knowing.
    Info,
    /// Low.
    Low,
    /// Medium.
    Medium,
    /// High.
    High,
    /// Critical.
    Critical,
}

impl Severity {
    /// Every severity, lowest first.
    pub const ALL: [Self; 5] = [
        Self::Info,
        Self::Low,
        Self::Medium,
        Self::High,
        Self::Critical,
    ];

    /// Stable name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Info => "info",
            Self::Low => "low",
            Self::Medium => "medium",
            Self::High => "high",
            Self::Critical => "critical",
        }
    }

    /// Inverse of [`Self::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// One finding (DESIGN §5 `findings[]`).
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// Stable id.
    pub id: FindingId,
    /// Kind.
    pub kind: FindingKind,
    /// Severity.
    pub severity: Severity,
    /// The device it is about.
    pub device: DeviceId,
    /// One line: what was seen and why it matters.
    pub summary: String,
    /// Structured evidence (protocol, server, field names, counts, flow ids): never a patient
    /// value or a secret.
    pub evidence: serde_json::Map<String, serde_json::Value>,
    /// First time seen.
    pub first_seen: Timestamp,
    /// Last time seen.
    pub last_seen: Timestamp,
    /// Messages, logins or handshakes merged into it.
    pub count: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finding_id_is_a_fixed_function_of_its_parts() {
        let a = FindingId::from_parts(&["cleartext_phi", "mac-001b6f0a0b0c", "hl7"]);
        assert_eq!(
            a,
            FindingId::from_parts(&["cleartext_phi", "mac-001b6f0a0b0c", "hl7"])
        );
        assert_eq!(a.0.len(), 18);
        assert!(a.0.starts_with("f-"));
        // Part boundaries count: ["ab", "c"] is not ["a", "bc"].
        assert_ne!(
            FindingId::from_parts(&["ab", "c"]),
            FindingId::from_parts(&["a", "bc"])
        );
        // The function is fixed: this value must never change (ids live in stores).
        assert_eq!(FindingId::from_parts(&[]).0, "f-cbf29ce484222325");
    }

    #[test]
    fn kinds_and_severities_round_trip_their_names() {
        for k in FindingKind::ALL {
            assert_eq!(FindingKind::parse(k.as_str()), Some(k));
        }
        for s in Severity::ALL {
            assert_eq!(Severity::parse(s.as_str()), Some(s));
        }
        assert!(Severity::High > Severity::Medium);
    }
}
