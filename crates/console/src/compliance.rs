//! What each kind of finding means for the safeguards a hospital is audited against: the
//! HIPAA Security Rule's technical safeguards (45 CFR §164.312; §164.308 and §164.310 where
//! the finding concerns an administrative or physical one) and IEC 62443 (62443-3-3 system
//! requirements, 62443-3-2 zone and conduit requirements, 62443-2-3 patch management). A
//! finding kind may bear on several safeguards; the console counts open findings per
//! safeguard from this table.

use model::FindingKind;

/// One safeguard a finding kind bears on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Safeguard {
    /// `HIPAA` or `IEC 62443`.
    pub framework: &'static str,
    /// The citation (`§164.312(e)(1)`, `62443-3-3 SR 4.1`).
    pub requirement: &'static str,
    /// Its title, as the standard names it.
    pub title: &'static str,
}

const fn s(framework: &'static str, requirement: &'static str, title: &'static str) -> Safeguard {
    Safeguard {
        framework,
        requirement,
        title,
    }
}

const TRANSMISSION: Safeguard = s("HIPAA", "§164.312(e)(1)", "Transmission security");
const TRANSMISSION_ENCRYPTION: Safeguard = s(
    "HIPAA",
    "§164.312(e)(2)(ii)",
    "Encryption (of ePHI in transmission)",
);
const INTEGRITY_CONTROLS: Safeguard = s("HIPAA", "§164.312(e)(2)(i)", "Integrity controls");
const AUTHENTICATION: Safeguard = s("HIPAA", "§164.312(d)", "Person or entity authentication");
const ACCESS_CONTROL: Safeguard = s("HIPAA", "§164.312(a)(1)", "Access control");
const DEVICE_CONTROLS: Safeguard = s("HIPAA", "§164.310(d)(1)", "Device and media controls");
const RISK_MANAGEMENT: Safeguard = s("HIPAA", "§164.308(a)(1)(ii)(B)", "Risk management");
const SR_1_2: Safeguard = s(
    "IEC 62443",
    "62443-3-3 SR 1.2",
    "Software process and device identification and authentication",
);
const SR_1_5: Safeguard = s("IEC 62443", "62443-3-3 SR 1.5", "Authenticator management");
const SR_3_1: Safeguard = s("IEC 62443", "62443-3-3 SR 3.1", "Communication integrity");
const SR_4_1: Safeguard = s(
    "IEC 62443",
    "62443-3-3 SR 4.1",
    "Information confidentiality",
);
const SR_4_3: Safeguard = s("IEC 62443", "62443-3-3 SR 4.3", "Use of cryptography");
const SR_7_8: Safeguard = s(
    "IEC 62443",
    "62443-3-3 SR 7.8",
    "Control system component inventory",
);
const ZCR_3: Safeguard = s(
    "IEC 62443",
    "62443-3-2 ZCR 3",
    "Partition the system under consideration into zones and conduits",
);
// IEC 62443-3-3 SR 5.1 network segmentation and SR 5.2 zone boundary protection: the
// requirements a conversation crossing zones without a conduit breaks.
const SR_5_1: Safeguard = s("IEC 62443", "62443-3-3 SR 5.1", "Network segmentation");
const SR_5_2: Safeguard = s("IEC 62443", "62443-3-3 SR 5.2", "Zone boundary protection");
// SR 6.2 continuous monitoring: a device reaching a known-malicious destination is what
// monitoring exists to notice; HIPAA's security incident procedures respond to it.
const SR_6_2: Safeguard = s("IEC 62443", "62443-3-3 SR 6.2", "Continuous monitoring");
const INCIDENTS: Safeguard = s("HIPAA", "§164.308(a)(6)", "Security incident procedures");
const PATCHING: Safeguard = s(
    "IEC 62443",
    "62443-2-3",
    "Patch management in the IACS environment",
);

/// The safeguards a finding kind bears on.
pub fn safeguards(kind: FindingKind) -> &'static [Safeguard] {
    match kind {
        FindingKind::CleartextPhi => &[TRANSMISSION, TRANSMISSION_ENCRYPTION, SR_4_1, SR_4_3],
        FindingKind::CleartextCredentials => {
            &[AUTHENTICATION, TRANSMISSION, SR_1_5, SR_4_1, SR_4_3]
        }
        FindingKind::WeakTls => &[TRANSMISSION_ENCRYPTION, INTEGRITY_CONTROLS, SR_3_1, SR_4_3],
        FindingKind::UnauthorizedDevice => {
            &[DEVICE_CONTROLS, ACCESS_CONTROL, SR_1_2, SR_7_8, ZCR_3]
        }
        FindingKind::AssetMismatch => &[DEVICE_CONTROLS, SR_7_8],
        FindingKind::OutdatedFirmware
        | FindingKind::EndOfSupport
        | FindingKind::Vulnerable
        | FindingKind::PatchRegression
        | FindingKind::AcceptedRiskExpired => &[RISK_MANAGEMENT, PATCHING],
        FindingKind::SegmentationViolation => &[ACCESS_CONTROL, SR_5_1, SR_5_2, ZCR_3],
        FindingKind::BlocklistedDestination => &[INCIDENTS, SR_5_1, SR_6_2],
        FindingKind::PortScan | FindingKind::Beaconing | FindingKind::NewExternalDestination => {
            &[INCIDENTS, SR_6_2]
        }
    }
}

/// Every safeguard any finding kind bears on, each once, HIPAA first, in citation order.
pub fn all() -> Vec<Safeguard> {
    let mut out: Vec<Safeguard> = Vec::new();
    for k in FindingKind::ALL {
        for s in safeguards(k) {
            if !out.contains(s) {
                out.push(*s);
            }
        }
    }
    out.sort_by(|a, b| (a.framework, a.requirement).cmp(&(b.framework, b.requirement)));
    out
}

/// The finding kinds that bear on `safeguard`.
pub fn kinds(safeguard: &Safeguard) -> Vec<FindingKind> {
    FindingKind::ALL
        .into_iter()
        .filter(|k| safeguards(*k).contains(safeguard))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_bears_on_a_hipaa_and_an_iec_62443_safeguard() {
        for k in FindingKind::ALL {
            let s = safeguards(k);
            assert!(s.iter().any(|g| g.framework == "HIPAA"), "{k:?}");
            assert!(s.iter().any(|g| g.framework == "IEC 62443"), "{k:?}");
        }
        for g in all() {
            assert!(!kinds(&g).is_empty(), "{g:?}");
        }
    }
}
