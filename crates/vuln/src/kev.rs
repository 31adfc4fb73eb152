//! CISA's Known Exploited Vulnerabilities catalog (JSON feed, schema in
//! `../shared/advisories/kev/`): which CVEs are exploited in the wild, since when, and by
//! when US federal agencies must act.

use serde_json::Value;

use crate::csaf::ReadError;

/// One catalog entry.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KevEntry {
    pub cve: String,
    pub vendor: String,
    pub product: String,
    pub name: String,
    pub date_added: String,
    pub due_date: Option<String>,
    /// `knownRansomwareCampaignUse` is "Known".
    pub ransomware: bool,
}

/// Whether a parsed JSON document is the KEV catalog.
pub fn is_kev(doc: &Value) -> bool {
    doc.get("catalogVersion").is_some() && doc.get("vulnerabilities").is_some()
}

/// The catalog's version and entries; an entry without a CVE id is refused by its path.
pub fn read(doc: &Value) -> Result<(String, Vec<KevEntry>), ReadError> {
    let version = doc
        .get("catalogVersion")
        .and_then(Value::as_str)
        .ok_or_else(|| ReadError {
            path: "/catalogVersion".into(),
            message: "missing or not a string".into(),
        })?
        .to_string();
    let list = doc
        .get("vulnerabilities")
        .and_then(Value::as_array)
        .ok_or_else(|| ReadError {
            path: "/vulnerabilities".into(),
            message: "missing or not an array".into(),
        })?;
    let mut out = Vec::with_capacity(list.len());
    for (i, v) in list.iter().enumerate() {
        let text = |key: &str| v.get(key).and_then(Value::as_str).map(str::trim);
        let cve = text("cveID")
            .filter(|c| c.starts_with("CVE-"))
            .ok_or_else(|| ReadError {
                path: format!("/vulnerabilities/{i}/cveID"),
                message: "missing or not a CVE id".into(),
            })?;
        out.push(KevEntry {
            cve: cve.to_string(),
            vendor: text("vendorProject").unwrap_or_default().to_string(),
            product: text("product").unwrap_or_default().to_string(),
            name: text("vulnerabilityName").unwrap_or_default().to_string(),
            date_added: text("dateAdded").unwrap_or_default().to_string(),
            due_date: text("dueDate").map(str::to_string),
            ransomware: text("knownRansomwareCampaignUse") == Some("Known"),
        });
    }
    Ok((version, out))
}
