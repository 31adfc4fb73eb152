//! CVE JSON 5 records (CVE Record Format 5.x, the cvelistV5 layout): one CVE, the products
//! its CNA says it affects with their version ranges, CVSS and CWE — read as a one-CVE
//! advisory (format `cve`, id the CVE id) so that matching treats it like any other.
//!
//! `affected[].versions[]`: `version` alone is that version; with `lessThan` /
//! `lessThanOrEqual` it is an interval from `version` (none when `0`, `*`, `unspecified` or
//! empty) up to that bound; `status` says whether the entry is `affected` or `unaffected`.
//! Metrics are read from the CNA container and then any ADP container (CISA's ADP adds CVSS
//! to records whose CNA gave none).

use serde_json::Value;

use crate::advisory::{Advisory, Cvss, Product, ProductStatus, SingleCve, text_at};
use crate::csaf::ReadError;
use crate::range::{Comparator, Constraint, VersionRange, sorted};

/// Whether a parsed JSON document is a CVE record.
pub fn is_cve_record(doc: &Value) -> bool {
    doc.get("dataType").and_then(Value::as_str) == Some("CVE_RECORD")
}

fn err(path: &str, message: &str) -> ReadError {
    ReadError {
        path: path.into(),
        message: message.into(),
    }
}

/// Reads a CVE record as a one-CVE advisory.
pub fn read(doc: &Value) -> Result<Advisory, ReadError> {
    let id = doc
        .pointer("/cveMetadata/cveId")
        .and_then(Value::as_str)
        .filter(|s| s.starts_with("CVE-"))
        .ok_or_else(|| err("/cveMetadata/cveId", "missing or not a CVE id"))?
        .to_string();
    let cna = doc
        .pointer("/containers/cna")
        .filter(|c| c.is_object())
        .ok_or_else(|| err("/containers/cna", "missing or not an object"))?;
    let mut products = Vec::new();
    let mut statuses = Vec::new();
    if let Some(affected) = cna.get("affected") {
        let list = affected
            .as_array()
            .ok_or_else(|| err("/containers/cna/affected", "not an array"))?;
        for (i, a) in list.iter().enumerate() {
            let path = format!("/containers/cna/affected/{i}");
            let text = |k: &str| a.get(k).and_then(Value::as_str).map(str::trim);
            let vendor = text("vendor").unwrap_or_default().to_string();
            let name = text("product").unwrap_or_default().to_string();
            if name.is_empty() {
                return Err(err(&format!("{path}/product"), "missing product name"));
            }
            let versions = a.get("versions").and_then(Value::as_array);
            let mut by_status: [(ProductStatus, Vec<&Value>); 2] = [
                (ProductStatus::KnownAffected, Vec::new()),
                (ProductStatus::KnownNotAffected, Vec::new()),
            ];
            for v in versions.into_iter().flatten() {
                match v.get("status").and_then(Value::as_str) {
                    Some("affected") => by_status[0].1.push(v),
                    Some("unaffected") => by_status[1].1.push(v),
                    _ => {}
                }
            }
            if by_status.iter().all(|(_, v)| v.is_empty())
                && text("defaultStatus") == Some("affected")
            {
                // No versions, affected by default: every version.
                let pid = format!("{id}-{i}-a");
                products.push(product(
                    &pid,
                    &vendor,
                    &name,
                    VersionRange::All,
                    String::new(),
                ));
                statuses.push((pid, ProductStatus::KnownAffected));
            }
            for (status, entries) in by_status {
                if entries.is_empty() {
                    continue;
                }
                let (range, written) = range_of(&entries);
                let pid = format!("{id}-{i}-{}", if status.is_affected() { "a" } else { "u" });
                products.push(product(&pid, &vendor, &name, range, written));
                statuses.push((pid, status));
            }
        }
    }
    let mut cvss_v3: Option<Cvss> = None;
    let mut cvss_v4: Option<Cvss> = None;
    let containers = std::iter::once(cna).chain(
        doc.pointer("/containers/adp")
            .and_then(Value::as_array)
            .into_iter()
            .flatten(),
    );
    for c in containers {
        for m in c
            .get("metrics")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            for key in ["cvssV4_0", "cvssV3_1", "cvssV3_0"] {
                let Some(score) = m
                    .pointer(&format!("/{key}/baseScore"))
                    .and_then(Value::as_f64)
                else {
                    continue;
                };
                let slot = if key == "cvssV4_0" {
                    &mut cvss_v4
                } else {
                    &mut cvss_v3
                };
                if slot.as_ref().is_none_or(|s| score > s.base_score) {
                    *slot = Some(Cvss {
                        base_score: score,
                        vector: m
                            .pointer(&format!("/{key}/vectorString"))
                            .and_then(Value::as_str)
                            .map(str::to_string),
                    });
                }
            }
        }
    }
    Ok(SingleCve {
        format: "cve",
        title: text_at(cna, "/title").or_else(|| text_at(cna, "/descriptions/0/value")),
        publisher: text_at(doc, "/cveMetadata/assignerShortName"),
        published: text_at(doc, "/cveMetadata/datePublished"),
        updated: text_at(doc, "/cveMetadata/dateUpdated"),
        products,
        statuses,
        cwe: text_at(cna, "/problemTypes/0/descriptions/0/cweId"),
        cvss_v3,
        cvss_v4,
        id,
    }
    .into())
}

fn product(id: &str, vendor: &str, name: &str, versions: VersionRange, written: String) -> Product {
    Product {
        id: id.to_string(),
        vendor: vendor.to_string(),
        name: name.to_string(),
        full_name: format!("{vendor} {name}").trim().to_string(),
        versions,
        version_text: written,
        model_numbers: Vec::new(),
        skus: Vec::new(),
        cpe: None,
        purl: None,
        installed_on: None,
        platforms: Vec::new(),
    }
}

/// A lower bound that means "from the first version".
fn unbounded(v: &str) -> bool {
    matches!(v.trim(), "" | "0" | "*" | "unspecified" | "n/a")
}

/// The union of a product's version entries, and how it was written.
fn range_of(entries: &[&Value]) -> (VersionRange, String) {
    let mut cs = Vec::new();
    let mut written = Vec::new();
    for e in entries {
        let get = |k: &str| e.get(k).and_then(Value::as_str).map(str::trim);
        let version = get("version").unwrap_or_default();
        let upper = get("lessThan")
            .map(|v| (Comparator::Lt, v))
            .or_else(|| get("lessThanOrEqual").map(|v| (Comparator::Le, v)));
        match upper {
            Some((c, bound)) => {
                if !unbounded(version) {
                    cs.push(Constraint {
                        comparator: Comparator::Ge,
                        version: version.to_string(),
                    });
                    written.push(format!(">={version}"));
                }
                if bound == "*" {
                    // Every version from the lower bound up.
                    if unbounded(version) {
                        return (VersionRange::All, "*".into());
                    }
                } else {
                    cs.push(Constraint {
                        comparator: c,
                        version: bound.to_string(),
                    });
                    written.push(format!("{}{bound}", c.as_str()));
                }
            }
            None if version == "*" => return (VersionRange::All, "*".into()),
            None => {
                // A single version, or prose ("all versions").
                match VersionRange::parse_text(version) {
                    VersionRange::Constraints(more) => cs.extend(more),
                    VersionRange::All => return (VersionRange::All, version.to_string()),
                    VersionRange::Unread(t) => return (VersionRange::Unread(t), version.into()),
                }
                written.push(version.to_string());
            }
        }
    }
    (VersionRange::Constraints(sorted(cs)), written.join(" | "))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn affected_ranges_and_metrics_read() {
        let doc = serde_json::json!({
            "dataType": "CVE_RECORD",
            "cveMetadata": {"cveId": "CVE-2099-1234", "assignerShortName": "icscert"},
            "containers": {
                "cna": {
                    "title": "Acme pump",
                    "affected": [{"vendor": "Acme", "product": "Pump 4100", "defaultStatus": "unaffected",
                        "versions": [{"version": "0", "lessThan": "2.2", "status": "affected"},
                                     {"version": "2.5", "status": "affected"}]}],
                    "problemTypes": [{"descriptions": [{"cweId": "CWE-798"}]}]
                },
                "adp": [{"metrics": [{"cvssV3_1": {"baseScore": 9.8, "vectorString": "CVSS:3.1/AV:N"}}]}]
            }
        });
        let a = read(&doc).unwrap();
        assert_eq!(a.id, "CVE-2099-1234");
        let p = &a.products[0];
        assert_eq!(p.versions.contains("2.1"), Some(true));
        assert_eq!(p.versions.contains("2.2"), Some(false));
        assert_eq!(p.versions.contains("2.5"), Some(true));
        assert_eq!(p.versions.contains("2.6"), Some(false));
        let v = &a.vulnerabilities[0];
        assert_eq!(v.cvss_v3.as_ref().unwrap().base_score, 9.8);
        assert_eq!(v.cwe.as_deref(), Some("CWE-798"));
        assert_eq!(v.statuses, [(p.id.clone(), ProductStatus::KnownAffected)]);
    }
}
