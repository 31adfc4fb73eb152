//! An advisory as wardline holds it, whatever format it came in: the products it names
//! (vendor, name, versions, identifiers) and, per vulnerability, each product's status, the
//! scores and the remediations.

use serde::{Deserialize, Serialize};

use crate::range::VersionRange;

/// One published advisory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Advisory {
    /// The tracking id (`ICSMA-23-194-01`, a vendor PSIRT id, a CVE id for a bare record).
    pub id: String,
    pub title: String,
    pub publisher: Option<String>,
    /// Format it was read from: `csaf`, `cve`, `nvd`.
    pub format: String,
    /// First and current release dates, as written (RFC 3339).
    pub released: Option<String>,
    pub revised: Option<String>,
    /// The document's revision (`tracking.version`): a newer import of the same id with a
    /// different revision updates it.
    pub revision: Option<String>,
    pub products: Vec<Product>,
    pub vulnerabilities: Vec<Vulnerability>,
}

/// What a one-CVE source (a CVE JSON 5 record, an NVD CVE) says, before it becomes an
/// [`Advisory`].
pub(crate) struct SingleCve {
    pub id: String,
    pub format: &'static str,
    /// Title or description (cut to 200 characters).
    pub title: Option<String>,
    pub publisher: Option<String>,
    pub published: Option<String>,
    /// Last update: also the revision, so a re-import of a changed record updates it.
    pub updated: Option<String>,
    pub products: Vec<Product>,
    pub statuses: Vec<(String, ProductStatus)>,
    pub cwe: Option<String>,
    pub cvss_v3: Option<Cvss>,
    pub cvss_v4: Option<Cvss>,
}

impl From<SingleCve> for Advisory {
    fn from(s: SingleCve) -> Self {
        Advisory {
            title: s
                .title
                .as_deref()
                .unwrap_or(&s.id)
                .chars()
                .take(200)
                .collect(),
            id: s.id.clone(),
            publisher: s.publisher,
            format: s.format.into(),
            released: s.published,
            revised: s.updated.clone(),
            revision: s.updated,
            products: s.products,
            vulnerabilities: vec![Vulnerability {
                cve: Some(s.id),
                title: None,
                cwe: s.cwe,
                cvss_v3: s.cvss_v3,
                cvss_v4: s.cvss_v4,
                statuses: s.statuses,
                remediations: Vec::new(),
            }],
        }
    }
}

/// The string at a JSON pointer, when there is one.
pub(crate) fn text_at(v: &serde_json::Value, pointer: &str) -> Option<String> {
    v.pointer(pointer)
        .and_then(serde_json::Value::as_str)
        .map(str::to_string)
}

impl Advisory {
    /// How many products carry a version text that was not understood.
    pub fn unread_ranges(&self) -> usize {
        self.products
            .iter()
            .filter(|p| !p.versions.is_read())
            .count()
    }

    /// The product with this id.
    pub fn product(&self, id: &str) -> Option<&Product> {
        self.products.iter().find(|p| p.id == id)
    }
}

/// A product entry: one vendor's product at some versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Product {
    /// The advisory's product id (`CSAFPID-0001`).
    pub id: String,
    pub vendor: String,
    /// Product name (a family's name joined in front when the tree has one).
    pub name: String,
    /// The full product name as the advisory writes it.
    pub full_name: String,
    /// The versions, read; `version_text` is what was written.
    pub versions: VersionRange,
    pub version_text: String,
    /// Identification helpers.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub model_numbers: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub skus: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpe: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub purl: Option<String>,
    /// For a product made by a relationship (firmware installed on a model): the two
    /// products it joins (component, platform).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub installed_on: Option<(String, String)>,
    /// Platforms the product is vulnerable only on (an NVD configuration that ANDs it with
    /// them): "vendor product [version]" each, any one of which will do; empty: any platform.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub platforms: Vec<String>,
}

/// A product's status for one vulnerability (CSAF §3.2.3.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ProductStatus {
    KnownAffected,
    FirstAffected,
    LastAffected,
    Fixed,
    FirstFixed,
    KnownNotAffected,
    Recommended,
    UnderInvestigation,
}

impl ProductStatus {
    /// The status a CSAF `product_status` member names.
    pub fn from_key(key: &str) -> Option<Self> {
        Some(match key {
            "known_affected" => Self::KnownAffected,
            "first_affected" => Self::FirstAffected,
            "last_affected" => Self::LastAffected,
            "fixed" => Self::Fixed,
            "first_fixed" => Self::FirstFixed,
            "known_not_affected" => Self::KnownNotAffected,
            "recommended" => Self::Recommended,
            "under_investigation" => Self::UnderInvestigation,
            _ => return None,
        })
    }

    /// Affected in some sense (known, first, last).
    pub fn is_affected(self) -> bool {
        matches!(
            self,
            Self::KnownAffected | Self::FirstAffected | Self::LastAffected
        )
    }

    pub fn is_fixed(self) -> bool {
        matches!(self, Self::Fixed | Self::FirstFixed)
    }
}

/// One vulnerability of an advisory.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Vulnerability {
    /// CVE id; CSAF allows a vulnerability without one (then `ids` may name it).
    pub cve: Option<String>,
    pub title: Option<String>,
    pub cwe: Option<String>,
    /// CVSS base score and vector, v3.x and v4.0, as the advisory gives them (the highest
    /// when several score groups cover different products).
    pub cvss_v3: Option<Cvss>,
    pub cvss_v4: Option<Cvss>,
    /// (product id, status) for every product the vulnerability names.
    pub statuses: Vec<(String, ProductStatus)>,
    pub remediations: Vec<Remediation>,
}

impl Vulnerability {
    /// The statuses of one product for this vulnerability.
    pub fn statuses_of<'a>(&'a self, product: &'a str) -> impl Iterator<Item = ProductStatus> + 'a {
        self.statuses
            .iter()
            .filter(move |(id, _)| id == product)
            .map(|(_, s)| *s)
    }
}

/// A CVSS score as published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cvss {
    pub base_score: f64,
    pub vector: Option<String>,
}

/// CSAF remediation categories (§3.2.3.12).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RemediationKind {
    VendorFix,
    Mitigation,
    Workaround,
    NoFixPlanned,
    NoneAvailable,
    OptionalPatch,
    FixPlanned,
}

impl RemediationKind {
    pub fn from_key(key: &str) -> Option<Self> {
        Some(match key {
            "vendor_fix" => Self::VendorFix,
            "mitigation" => Self::Mitigation,
            "workaround" => Self::Workaround,
            "no_fix_planned" => Self::NoFixPlanned,
            "none_available" => Self::NoneAvailable,
            "optional_patch" => Self::OptionalPatch,
            "fix_planned" => Self::FixPlanned,
            _ => return None,
        })
    }
}

/// A remediation, with the versions its text names as the fix (ICS-medical advisories give
/// the fixed version only there, often under `mitigation`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Remediation {
    pub kind: RemediationKind,
    pub details: String,
    pub product_ids: Vec<String>,
    /// Versions named as an update target in `details` ("update to version 12.3.1").
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub fixed_versions: Vec<String>,
}
