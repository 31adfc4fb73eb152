//! How urgent one device × vulnerability match is for this hospital, 0–100, with its parts
//! shown: the published severity (CVSS base), whether it is exploited in the wild (KEV), how
//! likely exploitation is (EPSS), and what the device does for patients (DESIGN §4
//! criticality), scaled by how likely the device is affected at all.
//!
//! score = factor × (6 × CVSS + 20 × KEV + 10 × EPSS + criticality), criticality 10 for
//! life-sustaining, 5 for patient-connected, 0 otherwise; a missing CVSS counts as 5 (medium);
//! factor 1 for `affected`, 0.6 for `possibly_affected`, 0 for `fixed` and `not_affected`.
//! The weights make a KEV-listed critical flaw on an infusion pump 100 and an unexploited
//! medium one on a printer 30.

use serde::Serialize;

use crate::matching::MatchStatus;

/// The parts a score is made of, as shown to the user.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RiskParts {
    pub cvss: Option<f64>,
    pub kev: bool,
    pub epss: Option<f64>,
    pub criticality: String,
    /// Exposure in context (the vulnerable service seen, reachable from guest or internet
    /// zones): not assessed until zones exist.
    pub exposure: &'static str,
    pub status_factor: f64,
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
    let raw = 6.0 * cvss.unwrap_or(5.0).clamp(0.0, 10.0)
        + if kev { 20.0 } else { 0.0 }
        + 10.0 * epss.unwrap_or(0.0).clamp(0.0, 1.0)
        + crit;
    Risk {
        score: (factor * raw).round().clamp(0.0, 100.0) as u8,
        parts: RiskParts {
            cvss,
            kev,
            epss,
            criticality: criticality.to_string(),
            exposure: "not_assessed",
            status_factor: factor,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_scale_ends_where_its_docs_say() {
        let top = risk(
            MatchStatus::Affected,
            Some(10.0),
            true,
            Some(1.0),
            "life_sustaining",
        );
        assert_eq!(top.score, 100);
        let printer = risk(MatchStatus::Affected, Some(5.0), false, None, "business");
        assert_eq!(printer.score, 30);
        let maybe = risk(
            MatchStatus::PossiblyAffected,
            Some(5.0),
            false,
            None,
            "business",
        );
        assert_eq!(maybe.score, 18);
        let fixed = risk(
            MatchStatus::Fixed,
            Some(10.0),
            true,
            Some(1.0),
            "life_sustaining",
        );
        assert_eq!(fixed.score, 0);
        // KEV membership outranks a higher CVSS alone.
        let kev = risk(MatchStatus::Affected, Some(7.0), true, None, "business");
        let high = risk(MatchStatus::Affected, Some(9.8), false, None, "business");
        assert!(kev.score > high.score, "{} {}", kev.score, high.score);
    }
}
