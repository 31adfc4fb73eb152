//! NVD CVE API 2.0 responses (`/rest/json/cves/2.0`, `"format": "NVD_CVE"`): each CVE read
//! as a one-CVE advisory (format `nvd`) whose products are the vulnerable CPE 2.3 match
//! criteria of its configurations — vendor and product from the CPE name, versions from the
//! CPE's version field or the `versionStart*` / `versionEnd*` bounds.
//!
//! A configuration that ANDs a vulnerable application with platforms it runs on gives the
//! application's product those platforms (`Product::platforms`, from the `vulnerable: false`
//! matches), which matching checks against the device's OS; CPE matches with
//! `vulnerable: false` name platforms, never products.

use serde_json::Value;

use crate::advisory::{Advisory, Cvss, Product, ProductStatus, SingleCve, text_at};
use crate::csaf::ReadError;
use crate::range::{Comparator, Constraint, VersionRange, sorted};

/// Whether a parsed JSON document is an NVD CVE API response.
pub fn is_nvd_cves(doc: &Value) -> bool {
    doc.get("format").and_then(Value::as_str) == Some("NVD_CVE")
}

/// Every CVE of the response, each as an advisory.
pub fn read(doc: &Value) -> Result<Vec<Advisory>, ReadError> {
    let list = doc
        .get("vulnerabilities")
        .and_then(Value::as_array)
        .ok_or_else(|| ReadError {
            path: "/vulnerabilities".into(),
            message: "missing or not an array".into(),
        })?;
    list.iter()
        .enumerate()
        .map(|(i, v)| read_cve(v, &format!("/vulnerabilities/{i}/cve")))
        .collect()
}

fn read_cve(v: &Value, path: &str) -> Result<Advisory, ReadError> {
    let cve = v.get("cve").ok_or_else(|| ReadError {
        path: path.into(),
        message: "missing".into(),
    })?;
    let id = cve
        .get("id")
        .and_then(Value::as_str)
        .filter(|s| s.starts_with("CVE-"))
        .ok_or_else(|| ReadError {
            path: format!("{path}/id"),
            message: "missing or not a CVE id".into(),
        })?
        .to_string();
    let mut products = Vec::new();
    let mut statuses = Vec::new();
    for config in cve
        .get("configurations")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let nodes: Vec<&Value> = config
            .get("nodes")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter(|n| n.get("negate").and_then(Value::as_bool) != Some(true))
            .collect();
        let matches = |vulnerable: bool| {
            nodes
                .iter()
                .flat_map(|n| {
                    n.get("cpeMatch")
                        .and_then(Value::as_array)
                        .into_iter()
                        .flatten()
                })
                .filter(move |m| m.get("vulnerable").and_then(Value::as_bool) == Some(vulnerable))
        };
        // A configuration that ANDs the vulnerable product with platforms it must run on
        // (`operator: AND`, the platforms as not-vulnerable matches): each product carries
        // the platforms, any one of which makes the configuration hold.
        let platforms: Vec<String> =
            if config.get("operator").and_then(Value::as_str) == Some("AND") {
                // Operating systems only (part `o`): a hardware match (part `h`, the device
                // a firmware runs on) names the product, not a platform to hold against
                // the OS.
                let mut p: Vec<String> = matches(false)
                    .filter_map(|m| m.get("criteria").and_then(Value::as_str))
                    .filter(|c| split_cpe(c).get(2).is_some_and(|part| part == "o"))
                    .filter_map(crate::sbom::cpe_parts)
                    .map(|(vendor, product, version)| {
                        if version == "*" || version == "-" {
                            format!("{vendor} {product}")
                        } else {
                            format!("{vendor} {product} {version}")
                        }
                    })
                    .collect();
                p.sort();
                p.dedup();
                p
            } else {
                Vec::new()
            };
        for m in matches(true) {
            let Some(criteria) = m.get("criteria").and_then(Value::as_str) else {
                continue;
            };
            let Some(mut product) = cpe_product(&id, products.len(), criteria, m) else {
                continue;
            };
            product.platforms.clone_from(&platforms);
            statuses.push((product.id.clone(), ProductStatus::KnownAffected));
            products.push(product);
        }
    }
    let metric = |key: &str| -> Option<Cvss> {
        cve.pointer(&format!("/metrics/{key}"))
            .and_then(Value::as_array)?
            .iter()
            .filter_map(|m| {
                Some(Cvss {
                    base_score: m.pointer("/cvssData/baseScore")?.as_f64()?,
                    vector: m
                        .pointer("/cvssData/vectorString")
                        .and_then(Value::as_str)
                        .map(str::to_string),
                })
            })
            .max_by(|a, b| a.base_score.total_cmp(&b.base_score))
    };
    Ok(SingleCve {
        format: "nvd",
        title: text_at(cve, "/descriptions/0/value"),
        publisher: text_at(cve, "/sourceIdentifier"),
        published: text_at(cve, "/published"),
        updated: text_at(cve, "/lastModified"),
        products,
        statuses,
        cwe: text_at(cve, "/weaknesses/0/description/0/value").filter(|w| w.starts_with("CWE-")),
        cvss_v3: metric("cvssMetricV31").or_else(|| metric("cvssMetricV30")),
        cvss_v4: metric("cvssMetricV40"),
        id,
    }
    .into())
}

/// `cpe:2.3:part:vendor:product:version:…` → a product at the CPE's version, or within the
/// match's bounds when the version is `*`.
fn cpe_product(cve: &str, n: usize, criteria: &str, m: &Value) -> Option<Product> {
    let fields = split_cpe(criteria);
    if fields.len() < 6 || fields[0] != "cpe" || fields[1] != "2.3" {
        return None;
    }
    let human = |s: &str| s.replace('_', " ").replace("\\\\", "");
    let (vendor, product, version) = (human(&fields[3]), human(&fields[4]), &fields[5]);
    let bound = |k: &str| m.get(k).and_then(Value::as_str).map(str::to_string);
    let mut cs = Vec::new();
    let mut written = Vec::new();
    for (key, comparator) in [
        ("versionStartIncluding", Comparator::Ge),
        ("versionStartExcluding", Comparator::Gt),
        ("versionEndIncluding", Comparator::Le),
        ("versionEndExcluding", Comparator::Lt),
    ] {
        if let Some(v) = bound(key) {
            written.push(format!("{}{v}", comparator.as_str()));
            cs.push(Constraint {
                comparator,
                version: v,
            });
        }
    }
    let versions = if !cs.is_empty() {
        VersionRange::Constraints(sorted(cs))
    } else if version == "*" {
        written.push("*".into());
        VersionRange::All
    } else if version == "-" {
        // "No version" (NA): the product as a whole.
        written.push("-".into());
        VersionRange::All
    } else {
        written.push(version.clone());
        VersionRange::Constraints(vec![Constraint {
            comparator: Comparator::Eq,
            version: version.clone(),
        }])
    };
    Some(Product {
        id: format!("{cve}-cpe-{n}"),
        full_name: format!("{vendor} {product}"),
        vendor,
        name: product,
        versions,
        version_text: written.join(" "),
        model_numbers: Vec::new(),
        skus: Vec::new(),
        cpe: Some(criteria.to_string()),
        purl: None,
        installed_on: None,
        platforms: Vec::new(),
    })
}

/// CPE 2.3 formatted-string fields: split on `:` except where escaped (`\:`).
pub(crate) fn split_cpe(s: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    let mut escaped = false;
    for c in s.chars() {
        if escaped {
            cur.push(c);
            escaped = false;
        } else if c == '\\' {
            escaped = true;
        } else if c == ':' {
            out.push(std::mem::take(&mut cur));
        } else {
            cur.push(c);
        }
    }
    out.push(cur);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpe_bounds_and_versions_read() {
        let doc = serde_json::json!({"format": "NVD_CVE", "vulnerabilities": [{"cve": {
            "id": "CVE-2099-7", "sourceIdentifier": "x",
            "metrics": {"cvssMetricV31": [{"cvssData": {"baseScore": 7.8, "vectorString": "CVSS:3.1/AV:L"}}]},
            "weaknesses": [{"description": [{"value": "CWE-20"}]}],
            "configurations": [{"operator": "AND", "nodes": [
                {"operator": "OR", "negate": false, "cpeMatch": [
                    {"vulnerable": true, "criteria": "cpe:2.3:a:acme:pump_manager:*:*:*:*:*:*:*:*", "versionStartIncluding": "7.5", "versionEndExcluding": "7.5.101"},
                    {"vulnerable": true, "criteria": "cpe:2.3:a:acme:pump_console:2.0:*:*:*:*:*:*:*"}]},
                {"operator": "OR", "negate": false, "cpeMatch": [
                    {"vulnerable": false, "criteria": "cpe:2.3:o:microsoft:windows:-:*:*:*:*:*:*:*"}]}]}]}}]});
        let a = read(&doc).unwrap();
        assert_eq!(a.len(), 1);
        let a = &a[0];
        assert_eq!(a.products.len(), 2, "the platform is left out");
        assert_eq!(
            a.products[0].platforms,
            ["microsoft windows"],
            "but named as the platform"
        );
        assert_eq!(a.products[0].vendor, "acme");
        assert_eq!(a.products[0].name, "pump manager");
        assert_eq!(a.products[0].versions.contains("7.5.100"), Some(true));
        assert_eq!(a.products[0].versions.contains("7.5.101"), Some(false));
        assert_eq!(a.products[1].versions.contains("2.0"), Some(true));
        assert_eq!(a.products[1].versions.contains("2.1"), Some(false));
        assert_eq!(
            a.vulnerabilities[0].cvss_v3.as_ref().unwrap().base_score,
            7.8
        );
        assert_eq!(a.vulnerabilities[0].cwe.as_deref(), Some("CWE-20"));
    }
}
