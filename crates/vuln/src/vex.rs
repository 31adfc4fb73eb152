//! SBOMs attached to devices, and VEX statements honoured.
//!
//! An SBOM is attached to the devices it describes: same vendor (by the caller's vendor key,
//! as advisories are matched), same model, and — when both are known — the same firmware
//! version (an SBOM of firmware 2.1 says nothing certain of a device running 3.0). Its
//! components become readings of those devices ([`Documents::readings`]).
//!
//! A VEX statement is the vendor's word on one vulnerability in one product. It names the
//! product by `bom-ref` — of its own document, or of another as `urn:cdx:SERIAL/VERSION#REF`
//! (CycloneDX 1.4 §"BOM-Link") — and may narrow itself to versions with a status each. For
//! the devices the named document describes, [`apply`] lets it overrule matching for its
//! CVEs: `not_affected` (with its justification) and `fixed` settle them, `affected` confirms
//! them, `under_investigation` leaves them possibly affected; a CVE the statement calls
//! affected or under investigation that no advisory matched still becomes a match, so a
//! vendor's own disclosure is never silent.

use std::collections::BTreeMap;

use model::{Device, compare_versions};

use crate::matching::{Match, MatchStatus, Reading, key_of, model_words};
use crate::sbom::{Sbom, Target, VexState, VexStatement};

/// Every stored SBOM and VEX document, with the statements that name each.
#[derive(Debug)]
pub struct Documents {
    docs: Vec<Sbom>,
    /// Per document, the (document, statement, target) triples that name it.
    named_by: Vec<Vec<(usize, usize, usize)>>,
}

/// A document attached to a device: which, and how sure the attachment is.
#[derive(Debug, Clone, PartialEq)]
pub struct Attached {
    pub doc: usize,
    pub confidence: f32,
    pub why: String,
}

impl Documents {
    pub fn new(docs: Vec<Sbom>) -> Self {
        let mut named_by = vec![Vec::new(); docs.len()];
        for (di, d) in docs.iter().enumerate() {
            for (si, s) in d.statements.iter().enumerate() {
                for (ti, t) in s.targets.iter().enumerate() {
                    for (oi, other) in docs.iter().enumerate() {
                        if other.is_named_by(&t.reference, oi == di) {
                            named_by[oi].push((di, si, ti));
                        }
                    }
                }
            }
        }
        Self { docs, named_by }
    }

    pub fn is_empty(&self) -> bool {
        self.docs.is_empty()
    }

    pub fn len(&self) -> usize {
        self.docs.len()
    }

    pub fn get(&self, i: usize) -> &Sbom {
        &self.docs[i]
    }

    /// The documents that describe `device`.
    pub fn attached(&self, device: &Device, vendor_key: &dyn Fn(&str) -> String) -> Vec<Attached> {
        let (Some(vendor), Some(model)) = (device.vendor.as_ref(), device.model.as_deref()) else {
            return Vec::new();
        };
        let device_vendor = vendor_key(&vendor.value);
        let device_model = model_words(&model.value);
        let firmware = device.firmware.as_deref().map(|f| f.value.as_str());
        let mut out = Vec::new();
        for (i, d) in self.docs.iter().enumerate() {
            let (Some(v), Some(m)) = (d.subject.vendor.as_deref(), d.subject.model.as_deref())
            else {
                continue;
            };
            if vendor_key(v) != device_vendor {
                continue;
            }
            let model_conf = if key_of(m) == device_model.key {
                1.0
            } else if !device_model.distinctive.is_empty()
                && device_model
                    .distinctive
                    .iter()
                    .all(|w| model_words(m).words.contains(w))
            {
                0.9
            } else {
                continue;
            };
            let (version_conf, version_why) = match (d.subject.version.as_deref(), firmware) {
                (Some(sv), Some(fw)) => {
                    if compare_versions(sv, fw) != std::cmp::Ordering::Equal {
                        continue;
                    }
                    (1.0, format!("firmware {fw} as the device runs"))
                }
                (Some(sv), None) => (
                    0.7,
                    format!("firmware {sv} (the device's firmware is not known)"),
                ),
                (None, _) => (0.8, "no firmware version named".to_string()),
            };
            let confidence =
                vendor.confidence.min(1.0) * model.confidence.min(1.0) * model_conf * version_conf;
            out.push(Attached {
                doc: i,
                confidence: (confidence * 1000.0).round() / 1000.0,
                why: format!("it describes {v} {m}, {version_why}"),
            });
        }
        out
    }

    /// The components of an attached document, as readings of the device.
    pub fn readings(&self, a: &Attached) -> Vec<Reading> {
        let d = &self.docs[a.doc];
        d.components
            .iter()
            .filter_map(|c| {
                Some(Reading {
                    vendor: c.vendor.clone()?,
                    product: c.name.clone(),
                    version: c.version.clone(),
                    cpe: c.cpe.clone(),
                    confidence: a.confidence,
                    source: format!(
                        "component {} {} listed by SBOM {} ({})",
                        c.name,
                        c.version.as_deref().unwrap_or("(no version)"),
                        d.id,
                        a.why
                    ),
                })
            })
            .collect()
    }

    /// The statements naming an attached document, each with the state it gives a device at
    /// `firmware` (statements about other versions left out).
    pub fn said(&self, a: &Attached, firmware: Option<&str>) -> Vec<Said<'_>> {
        let attached = &self.docs[a.doc];
        self.named_by[a.doc]
            .iter()
            .filter_map(|&(di, si, ti)| {
                let doc = &self.docs[di];
                let statement = &doc.statements[si];
                let target: &Target = &statement.targets[ti];
                // A statement about a component is narrowed by the component's version;
                // one about the product, by the device's firmware.
                let version = attached
                    .local_ref(&target.reference, di == a.doc)
                    .and_then(|r| attached.component(r))
                    .map_or(firmware, |c| c.version.as_deref());
                let state = target.state_at(statement.state, version)?;
                Some(Said {
                    statement,
                    state,
                    document: &doc.id,
                    product: self.docs[a.doc]
                        .subject
                        .model
                        .as_deref()
                        .unwrap_or_default(),
                    confidence: a.confidence,
                })
            })
            .collect()
    }
}

/// A statement as it applies to one device.
#[derive(Debug, Clone)]
pub struct Said<'a> {
    pub statement: &'a VexStatement,
    /// The state for the device's version.
    pub state: VexState,
    /// The document that says it.
    pub document: &'a str,
    /// The product it is about (the attached document's subject).
    pub product: &'a str,
    /// How sure the attachment is.
    pub confidence: f32,
}

impl Said<'_> {
    fn status(&self) -> MatchStatus {
        match self.state {
            VexState::NotAffected => MatchStatus::NotAffected,
            VexState::Affected => MatchStatus::Affected,
            VexState::Fixed => MatchStatus::Fixed,
            VexState::UnderInvestigation => MatchStatus::PossiblyAffected,
        }
    }

    fn why(&self) -> String {
        let mut why = format!("VEX {}: {}", self.document, self.state.as_str());
        if let Some(j) = &self.statement.justification {
            why.push_str(&format!(" ({j})"));
        }
        if let Some(d) = &self.statement.detail {
            why.push_str(&format!(": {d}"));
        }
        why
    }
}

/// `matches` of `device` with the statements `said` of it honoured (module docs).
pub fn apply(device: &Device, matches: Vec<Match>, said: &[Said<'_>]) -> Vec<Match> {
    if said.is_empty() {
        return matches;
    }
    // Per CVE, the statement that settles it: the most urgent when documents disagree.
    let mut by_cve: BTreeMap<&str, &Said<'_>> = BTreeMap::new();
    for s in said {
        let entry = by_cve.entry(s.statement.cve.as_str()).or_insert(s);
        if s.status() < entry.status() {
            *entry = s;
        }
    }
    let mut out: Vec<Match> = Vec::new();
    let mut covered: Vec<&str> = Vec::new();
    for m in matches {
        let (stated, kept): (Vec<String>, Vec<String>) = m
            .cves
            .iter()
            .cloned()
            .partition(|c| by_cve.contains_key(c.as_str()));
        if stated.is_empty() {
            out.push(m);
            continue;
        }
        // One match per state the statements give this match's CVEs.
        let mut groups: BTreeMap<MatchStatus, (Vec<String>, Vec<String>, f32)> = BTreeMap::new();
        for cve in &stated {
            let s = by_cve[cve.as_str()];
            covered.push(s.statement.cve.as_str());
            let g = groups
                .entry(s.status())
                .or_insert_with(|| (Vec::new(), Vec::new(), s.confidence));
            g.0.push(cve.clone());
            let why = s.why();
            if !g.1.contains(&why) {
                g.1.push(why);
            }
        }
        if !kept.is_empty() {
            out.push(Match {
                cves: kept,
                ..m.clone()
            });
        }
        for (status, (cves, whys, confidence)) in groups {
            out.push(Match {
                cves,
                status,
                confidence: m.confidence.max(confidence),
                why: format!("{}; {}", m.why, whys.join("; ")),
                ..m.clone()
            });
        }
    }
    // What the vendor discloses that no advisory matched.
    for (cve, s) in &by_cve {
        // Only what the vendor says is (or may be) exploitable; never from a statement that
        // calls the product not affected or fixed, whatever a version list left open.
        let disclosed = matches!(s.state, VexState::Affected | VexState::UnderInvestigation)
            && matches!(
                s.statement.state,
                VexState::Affected | VexState::UnderInvestigation
            );
        if covered.contains(cve) || !disclosed {
            continue;
        }
        out.push(Match {
            device: device.id.to_string(),
            advisory: (*cve).to_string(),
            product: s.product.to_string(),
            cves: vec![(*cve).to_string()],
            status: s.status(),
            confidence: s.confidence,
            cvss: s.statement.cvss,
            version: device.firmware.as_deref().map(|f| f.value.clone()),
            why: s.why(),
            seen_on_wire: None,
        });
    }
    merge(out)
}

/// One match per advisory × status: splitting by statement can leave two (the advisory's
/// own `fixed` and a statement's).
fn merge(matches: Vec<Match>) -> Vec<Match> {
    let mut out: Vec<Match> = Vec::new();
    for m in matches {
        match out
            .iter_mut()
            .find(|o| o.advisory == m.advisory && o.status == m.status)
        {
            Some(o) => {
                for c in m.cves {
                    if !o.cves.contains(&c) {
                        o.cves.push(c);
                    }
                }
                o.cves.sort();
                o.confidence = o.confidence.max(m.confidence);
                o.cvss = match (o.cvss, m.cvss) {
                    (Some(a), Some(b)) => Some(a.max(b)),
                    (a, b) => a.or(b),
                };
                if !o.why.contains(&m.why) {
                    o.why = format!("{}; {}", o.why, m.why);
                }
            }
            None => out.push(m),
        }
    }
    out
}

#[cfg(test)]
mod tests;
