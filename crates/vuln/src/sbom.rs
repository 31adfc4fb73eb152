//! Vendor SBOMs (CycloneDX 1.4+ and SPDX 2.3 JSON) and VEX statements (CycloneDX
//! `vulnerabilities` with an `analysis`), read into one shape: what the document describes
//! (its subject: a device model at a firmware version), the components it ships, and what
//! the vendor states of each vulnerability (not affected, affected, fixed, under
//! investigation).
//!
//! A component becomes a reading of the devices the SBOM describes (vendor, product and
//! version, and its CPE when it has one), matched against the advisories and CVE records like
//! the software seen on the wire ([`crate::Matcher::matches_with`]); VEX statements then
//! overrule what matching concluded for their CVEs ([`crate::vex`]).
//!
//! Read tolerantly, as the CSAF reader is: members missing or of the wrong type are left
//! out; a document is refused (with the JSON pointer at fault) only when it has no shape to
//! read at all. Redacted names (`REDACTED`, as in SBOMs published as case studies) count as
//! absent.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::advisory::text_at;
use crate::csaf::ReadError;
use crate::range::{Comparator, Constraint, VersionRange};

/// One SBOM or VEX document.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sbom {
    /// CycloneDX `serialNumber` (`urn:uuid:…`), SPDX `documentNamespace`, or the name the
    /// caller gives a document that has neither (its file).
    pub id: String,
    /// `cyclonedx` or `spdx`.
    pub format: String,
    /// CycloneDX BOM `version` (VEX documents name a BOM as `urn:cdx:SERIAL/VERSION#REF`).
    pub version: Option<u64>,
    /// What the document describes.
    pub subject: Subject,
    pub components: Vec<Component>,
    pub statements: Vec<VexStatement>,
}

/// The product an SBOM describes: a device model (vendor and name), at a version.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Subject {
    /// Its `bom-ref` (CycloneDX) or SPDX id: what VEX statements name.
    pub reference: Option<String>,
    pub vendor: Option<String>,
    pub model: Option<String>,
    pub version: Option<String>,
}

/// One component an SBOM lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Component {
    pub reference: Option<String>,
    /// The maker: the CPE's vendor, else the purl's namespace, else the supplier,
    /// manufacturer, publisher or author.
    pub vendor: Option<String>,
    /// The CPE's product when there is a CPE, else the component's name.
    pub name: String,
    pub version: Option<String>,
    pub cpe: Option<String>,
    pub purl: Option<String>,
}

/// What a VEX statement says of a product and a vulnerability (CISA's four VEX statuses;
/// CycloneDX's impact-analysis states map onto them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VexState {
    NotAffected,
    Affected,
    Fixed,
    UnderInvestigation,
}

impl VexState {
    /// CycloneDX `analysis.state` (1.4+): `resolved` and `resolved_with_pedigree` are fixed,
    /// `exploitable` affected, `in_triage` under investigation, `false_positive` and
    /// `not_affected` not affected.
    pub fn from_cyclonedx(state: &str) -> Option<Self> {
        Some(match state {
            "resolved" | "resolved_with_pedigree" => Self::Fixed,
            "exploitable" => Self::Affected,
            "in_triage" => Self::UnderInvestigation,
            "false_positive" | "not_affected" => Self::NotAffected,
            _ => return None,
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotAffected => "not_affected",
            Self::Affected => "affected",
            Self::Fixed => "fixed",
            Self::UnderInvestigation => "under_investigation",
        }
    }
}

/// One vulnerability's statement.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VexStatement {
    /// The vulnerability id (`CVE-…`, or another scheme's id).
    pub cve: String,
    pub state: VexState,
    /// Why not affected (`code_not_reachable`, …), when stated.
    pub justification: Option<String>,
    /// The vendor's words, cut to 300 characters.
    pub detail: Option<String>,
    /// The highest CVSS score the statement rates it (0 is a real rating: not exploitable
    /// in this product).
    pub cvss: Option<f64>,
    pub targets: Vec<Target>,
}

/// What a statement is about: a `bom-ref` of the same document, or another document's
/// (`urn:cdx:SERIAL/VERSION#REF`), optionally narrowed to versions with a status of their own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Target {
    pub reference: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub versions: Vec<TargetVersion>,
}

/// `affects[].versions[]`: a version or a `vers` range with its own status.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TargetVersion {
    pub range: VersionRange,
    pub text: String,
    /// `affected`, `unaffected` or `unknown`, as written.
    pub status: String,
}

impl Target {
    /// The state a statement of `state` gives a product at `version` (`None`: the version is
    /// not known). Without a version list, the statement's own state; with one, the status
    /// of the entry holding the version (`unaffected` → not affected, `unknown` → under
    /// investigation), `None` when no entry holds it (the statement is not about that
    /// version), and under investigation when the version is not known.
    pub fn state_at(&self, state: VexState, version: Option<&str>) -> Option<VexState> {
        if self.versions.is_empty() {
            return Some(state);
        }
        let Some(version) = version else {
            // Some listed version is (or may be) affected: the device may run it.
            return self
                .versions
                .iter()
                .any(|v| v.status != "unaffected")
                .then_some(VexState::UnderInvestigation);
        };
        let entry = self
            .versions
            .iter()
            .find(|v| v.range.contains(version) == Some(true))?;
        Some(match entry.status.as_str() {
            "unaffected" => VexState::NotAffected,
            "affected" => state,
            _ => VexState::UnderInvestigation,
        })
    }
}

/// Whether a parsed JSON document is a CycloneDX or SPDX document.
pub fn is_sbom(doc: &Value) -> bool {
    is_cyclonedx(doc) || is_spdx(doc)
}

fn is_cyclonedx(doc: &Value) -> bool {
    doc.get("bomFormat").and_then(Value::as_str) == Some("CycloneDX")
}

fn is_spdx(doc: &Value) -> bool {
    doc.get("spdxVersion")
        .and_then(Value::as_str)
        .is_some_and(|v| v.starts_with("SPDX-2."))
}

/// Reads a CycloneDX or SPDX document; `fallback_id` names one that names itself nowhere.
pub fn read(doc: &Value, fallback_id: &str) -> Result<Sbom, ReadError> {
    if is_cyclonedx(doc) {
        read_cyclonedx(doc, fallback_id)
    } else if is_spdx(doc) {
        read_spdx(doc, fallback_id)
    } else {
        Err(ReadError {
            path: String::new(),
            message: "neither CycloneDX (bomFormat) nor SPDX 2.x (spdxVersion)".into(),
        })
    }
}

/// A name that says something: not empty, not redacted.
fn meaningful(s: Option<String>) -> Option<String> {
    s.map(|s| s.trim().to_string()).filter(|s| {
        !s.is_empty()
            && !s.eq_ignore_ascii_case("redacted")
            && !s.eq_ignore_ascii_case("noassertion")
    })
}

/// CPE 2.3 vendor, product and version (underscores read as spaces), when it is one.
pub fn cpe_parts(cpe: &str) -> Option<(String, String, String)> {
    let fields = crate::nvd::split_cpe(cpe);
    if fields.len() < 6 || fields[0] != "cpe" || fields[1] != "2.3" {
        return None;
    }
    let human = |s: &str| s.replace('_', " ");
    Some((human(&fields[3]), human(&fields[4]), fields[5].clone()))
}

/// A purl's namespace (`pkg:maven/com.example/app@1` → `com.example`).
fn purl_namespace(purl: &str) -> Option<String> {
    let rest = purl.strip_prefix("pkg:")?;
    let path = rest.split(['@', '?', '#']).next()?;
    let mut parts: Vec<&str> = path.split('/').collect();
    if parts.len() < 3 {
        return None;
    }
    parts.pop();
    Some(parts[1..].join("/"))
}

fn read_cyclonedx(doc: &Value, fallback_id: &str) -> Result<Sbom, ReadError> {
    if let Some(spec) = doc.get("specVersion").and_then(Value::as_str)
        && !spec.starts_with("1.")
    {
        return Err(ReadError {
            path: "/specVersion".into(),
            message: format!("CycloneDX {spec} is not read (1.x is)"),
        });
    }
    let meta = doc.pointer("/metadata/component");
    let maker = |v: &Value| -> Option<String> {
        [
            "/supplier/name",
            "/manufacturer/name",
            "/publisher",
            "/author",
        ]
        .iter()
        .find_map(|p| meaningful(text_at(v, p)))
    };
    let doc_maker = [
        "/metadata/manufacture/name",
        "/metadata/manufacturer/name",
        "/metadata/supplier/name",
    ]
    .iter()
    .find_map(|p| meaningful(text_at(doc, p)));
    let subject = match meta {
        Some(m) => Subject {
            reference: text_at(m, "/bom-ref"),
            vendor: maker(m).or(doc_maker),
            model: meaningful(text_at(m, "/name")),
            version: meaningful(text_at(m, "/version")),
        },
        None => Subject {
            vendor: doc_maker,
            ..Subject::default()
        },
    };
    let mut components = Vec::new();
    // Depth first, in document order.
    let mut stack: Vec<&Value> = doc
        .get("components")
        .and_then(Value::as_array)
        .map(|a| a.iter().rev().collect())
        .unwrap_or_default();
    while let Some(c) = stack.pop() {
        if let Some(children) = c.get("components").and_then(Value::as_array) {
            stack.extend(children.iter().rev());
        }
        let cpe = text_at(c, "/cpe");
        let purl = text_at(c, "/purl");
        let from_cpe = cpe.as_deref().and_then(cpe_parts);
        let Some(name) = from_cpe
            .as_ref()
            .map(|(_, p, _)| p.clone())
            .or_else(|| meaningful(text_at(c, "/name")))
        else {
            continue;
        };
        let version = meaningful(text_at(c, "/version")).or_else(|| {
            from_cpe
                .as_ref()
                .map(|(_, _, v)| v.clone())
                .filter(|v| v != "*" && v != "-")
        });
        let vendor = from_cpe
            .as_ref()
            .map(|(v, _, _)| v.clone())
            .or_else(|| purl.as_deref().and_then(purl_namespace))
            .or_else(|| maker(c))
            .or_else(|| meaningful(text_at(c, "/group")));
        components.push(Component {
            reference: text_at(c, "/bom-ref"),
            vendor,
            name,
            version,
            cpe,
            purl,
        });
    }
    let statements = doc
        .get("vulnerabilities")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(statement)
        .collect();
    Ok(Sbom {
        id: meaningful(text_at(doc, "/serialNumber")).unwrap_or_else(|| fallback_id.to_string()),
        format: "cyclonedx".into(),
        version: doc.get("version").and_then(Value::as_u64),
        subject,
        components,
        statements,
    })
}

/// A CycloneDX vulnerability with an impact analysis (a VEX statement).
fn statement(v: &Value) -> Option<VexStatement> {
    // CVE ids compare upper case (`cve-2021-44228` is CVE-2021-44228).
    let cve = meaningful(text_at(v, "/id")).map(|id| {
        if id.get(..4).is_some_and(|p| p.eq_ignore_ascii_case("cve-")) {
            id.to_ascii_uppercase()
        } else {
            id
        }
    })?;
    let state = VexState::from_cyclonedx(&text_at(v, "/analysis/state")?)?;
    let targets = v
        .get("affects")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|a| {
            let reference = text_at(a, "/ref")?;
            let versions = a
                .get("versions")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(|e| {
                    let status = text_at(e, "/status").unwrap_or_else(|| "affected".into());
                    if let Some(exact) = text_at(e, "/version") {
                        return Some(TargetVersion {
                            range: VersionRange::Constraints(vec![Constraint {
                                comparator: Comparator::Eq,
                                version: exact.clone(),
                            }]),
                            text: exact,
                            status,
                        });
                    }
                    let text = text_at(e, "/range")?;
                    Some(TargetVersion {
                        range: VersionRange::parse_text(&text),
                        text,
                        status,
                    })
                })
                .collect();
            Some(Target {
                reference,
                versions,
            })
        })
        .collect();
    let cvss = v
        .get("ratings")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|r| {
            r.get("method")
                .and_then(Value::as_str)
                .is_some_and(|m| m.starts_with("CVSS"))
        })
        .filter_map(|r| r.get("score").and_then(Value::as_f64))
        .reduce(f64::max);
    Some(VexStatement {
        cve,
        state,
        justification: meaningful(text_at(v, "/analysis/justification")),
        detail: meaningful(text_at(v, "/analysis/detail")).map(|d| d.chars().take(300).collect()),
        cvss,
        targets,
    })
}

fn read_spdx(doc: &Value, fallback_id: &str) -> Result<Sbom, ReadError> {
    let packages = doc
        .get("packages")
        .and_then(Value::as_array)
        .ok_or_else(|| ReadError {
            path: "/packages".into(),
            message: "missing or not an array".into(),
        })?;
    // The package(s) the document describes: documentDescribes, or DESCRIBES relationships
    // from the document.
    let mut described: Vec<String> = doc
        .get("documentDescribes")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_string))
        .collect();
    for r in doc
        .get("relationships")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if text_at(r, "/relationshipType").as_deref() == Some("DESCRIBES")
            && text_at(r, "/spdxElementId").as_deref() == Some("SPDXRef-DOCUMENT")
            && let Some(id) = text_at(r, "/relatedSpdxElement")
        {
            described.push(id);
        }
    }
    // "Organization: Acme Corp (email)" → "Acme Corp".
    let party = |v: &Value, key: &str| -> Option<String> {
        let s = text_at(v, key)?;
        let s = s.split_once(':').map_or(s.as_str(), |(_, r)| r);
        let s = s.split('(').next().unwrap_or(s);
        meaningful(Some(s.to_string()))
    };
    let mut subject = Subject::default();
    let mut components = Vec::new();
    for p in packages {
        let id = text_at(p, "/SPDXID");
        let refs: Vec<(String, String)> = p
            .get("externalRefs")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|r| {
                Some((
                    text_at(r, "/referenceType")?,
                    text_at(r, "/referenceLocator")?,
                ))
            })
            .collect();
        let cpe = refs
            .iter()
            .find(|(t, _)| t == "cpe23Type")
            .map(|(_, l)| l.clone());
        let purl = refs
            .iter()
            .find(|(t, _)| t == "purl")
            .map(|(_, l)| l.clone());
        let name = meaningful(text_at(p, "/name"));
        let version = meaningful(text_at(p, "/versionInfo"));
        let maker = party(p, "/supplier").or_else(|| party(p, "/originator"));
        if id.is_some()
            && described.contains(id.as_ref().unwrap_or(&String::new()))
            && subject.model.is_none()
        {
            subject = Subject {
                reference: id,
                vendor: maker,
                model: name,
                version,
            };
            continue;
        }
        let from_cpe = cpe.as_deref().and_then(cpe_parts);
        let Some(component_name) = from_cpe.as_ref().map(|(_, p, _)| p.clone()).or(name) else {
            continue;
        };
        components.push(Component {
            reference: id,
            vendor: from_cpe
                .as_ref()
                .map(|(v, _, _)| v.clone())
                .or_else(|| purl.as_deref().and_then(purl_namespace))
                .or(maker),
            name: component_name,
            version,
            cpe,
            purl,
        });
    }
    Ok(Sbom {
        id: meaningful(text_at(doc, "/documentNamespace"))
            .unwrap_or_else(|| fallback_id.to_string()),
        format: "spdx".into(),
        version: None,
        subject,
        components,
        statements: Vec::new(),
    })
}

impl Sbom {
    /// The CycloneDX URN (`urn:cdx:SERIAL/VERSION`) other documents name this one by.
    pub fn urn(&self) -> Option<String> {
        let serial = self.id.strip_prefix("urn:uuid:")?;
        Some(format!("urn:cdx:{serial}/{}", self.version.unwrap_or(1)))
    }

    /// Whether `reference` (a statement's target) names this document's subject or one of
    /// its components: a `bom-ref` of the same document, or `urn:cdx:SERIAL/VERSION#REF`
    /// naming it from another document.
    pub fn is_named_by(&self, reference: &str, from_same_document: bool) -> bool {
        self.local_ref(reference, from_same_document)
            .is_some_and(|local| {
                self.subject.reference.as_deref() == Some(local) || self.component(local).is_some()
            })
    }

    /// The `bom-ref` a reference names in this document: the reference itself from the
    /// same document, or the part after `#` of a BOM-Link to this document's serial number
    /// (any BOM version: the store keeps the latest version of a serial, and a statement
    /// about an earlier one still speaks of the same product).
    pub fn local_ref<'r>(&self, reference: &'r str, from_same_document: bool) -> Option<&'r str> {
        if let Some(rest) = reference.strip_prefix("urn:cdx:") {
            let serial = self.id.strip_prefix("urn:uuid:")?;
            let (doc, r) = rest.split_once('#')?;
            let doc_serial = doc.split_once('/').map_or(doc, |(s, _)| s);
            return doc_serial.eq_ignore_ascii_case(serial).then_some(r);
        }
        from_same_document.then_some(reference)
    }

    /// The component with this `bom-ref`.
    pub fn component(&self, bom_ref: &str) -> Option<&Component> {
        self.components
            .iter()
            .find(|c| c.reference.as_deref() == Some(bom_ref))
    }
}

#[cfg(test)]
mod tests;
