//! One fingerprint rule as written in a `kb/rules/*.toml` file, and its compiled form.
//!
//! ```toml
//! source = "default citation for the rules below"
//!
//! [[rule]]
//! id = "ge-dicom-implementation-uid"
//! source = "GE HealthCare DICOM conformance statements: implementation class UID root"
//! when.fact."dicom.implementation_class_uid" = '^1\.2\.840\.113619\.'
//! vendor = "GE HealthCare"
//! weight = 0.7
//! ```
//!
//! Every condition under `when` must hold (see [`When`]); regexes are case-insensitive and
//! match anywhere unless anchored. Named groups (`(?P<model>…)`) captured by any condition can
//! be used in the rule's values as `$model` or `${model}`.

use std::borrow::Cow;
use std::collections::BTreeMap;

use serde::Deserialize;

use super::pattern::Alt;

/// A rule file.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleFile {
    /// Citation for rules that do not name their own.
    pub source: Option<String>,
    #[serde(default)]
    pub rule: Vec<RuleSpec>,
    /// Vendor names and their aliases.
    #[serde(default)]
    pub vendor: Vec<super::vendor::VendorSpec>,
    /// Firmware baselines: read by `crate::baseline`, so one `--kb` file can hold both.
    #[serde(default, rename = "baseline")]
    pub _baseline: serde::de::IgnoredAny,
    /// Product names: read by `crate::products`.
    #[serde(default, rename = "product")]
    pub _product: serde::de::IgnoredAny,
}

/// A rule as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RuleSpec {
    pub id: String,
    /// Where the fact comes from: vendor documentation, a standard, a public capture.
    pub source: Option<String>,
    #[serde(default)]
    pub when: When,
    /// How much the rule counts, 0–1 (per attribute overrides in `weights`).
    pub weight: f32,
    #[serde(default)]
    pub weights: BTreeMap<String, f32>,
    pub vendor: Option<String>,
    pub category: Option<String>,
    pub model: Option<String>,
    pub os: Option<String>,
    pub firmware: Option<String>,
    pub modality: Option<String>,
}

/// Conditions over what the device showed. Regex fields hold when any of the device's values
/// for that field matches.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct When {
    /// The IEEE registry organisation of the device's (globally unique) MAC.
    pub oui: Option<String>,
    /// DHCP option 60 (vendor class identifier).
    pub vendor_class: Option<String>,
    /// DHCP option 55, the requested options in order, comma-separated (`1,3,6,15,…`).
    pub dhcp_prl: Option<String>,
    /// Any of its host names (DHCP, DNS, mDNS, NetBIOS …).
    pub hostname: Option<String>,
    /// Application facts by key (`tls.sni`, `http.user_agent`, `dicom.implementation_class_uid`,
    /// `hl7.sending_application`, `lldp.system_description`, `snmp.sys_descr`, …).
    #[serde(default)]
    pub fact: BTreeMap<String, String>,
    /// Software seen, as `product version` (or `product` alone).
    pub software: Option<String>,
    /// Any DNS name it asked for.
    pub dns: Option<String>,
    /// A role it plays (`dicom_scp`, `hl7_receiver`, `dhcp_server`, …).
    pub role: Option<String>,
    /// A service it offers.
    pub serves: Option<ServiceCond>,
    /// A service it uses as a client.
    pub uses: Option<ServiceCond>,
}

/// A service condition: the application protocol or port (or both), and how many distinct
/// peers at least.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ServiceCond {
    pub app: Option<Text>,
    pub port: Option<u16>,
    pub transport: Option<Text>,
    #[serde(default = "one")]
    pub min_peers: u32,
}

fn one() -> u32 {
    1
}

/// Text of a compiled rule: borrowed from the rules compiled into the binary
/// (`shipped.rs`), owned when read from a file at run time.
pub(crate) type Text = Cow<'static, str>;

/// A field a regex condition looks at.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) enum Field {
    Oui,
    VendorClass,
    DhcpPrl,
    Hostname,
    Fact(Text),
    Software,
    Dns,
}

impl Field {
    pub(crate) fn name(&self) -> &str {
        match self {
            Self::Oui => "oui",
            Self::VendorClass => "dhcp.vendor_class",
            Self::DhcpPrl => "dhcp.param_request_list",
            Self::Hostname => "hostname",
            Self::Fact(k) => k,
            Self::Software => "software",
            Self::Dns => "dns_query",
        }
    }
}

/// A compiled rule: plain data, so the shipped rules are compiled into the binary as
/// statics (`shipped.rs`) and start-up parses nothing.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Rule {
    /// `kb:<file stem>/<id>`.
    pub source: Text,
    /// The citation.
    pub citation: Text,
    pub matches: Cow<'static, [Condition]>,
    pub role: Option<Text>,
    pub serves: Option<ServiceCond>,
    pub uses: Option<ServiceCond>,
    /// (attribute name, value template, weight).
    pub sets: Cow<'static, [(&'static str, Text, f32)]>,
}

/// A regex condition on one field, with its shape ([`super::pattern`]).
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Condition {
    pub field: Field,
    /// The pattern with [`super::pattern::FLAGS`] in front: what its regexes are built from.
    pub pattern: Text,
    /// Named groups, in pattern order.
    pub names: Cow<'static, [Text]>,
    /// `alts` are the pattern: no regex is needed to match it.
    pub literal: bool,
    /// The pattern's literals, or literals every match of it holds (empty: none).
    pub alts: Cow<'static, [Alt]>,
}

impl Condition {
    pub(crate) fn new(field: Field, pattern: &str) -> Result<Self, String> {
        let checked = super::pattern::check(pattern)?;
        Ok(Self {
            field,
            pattern: Cow::Owned(checked.pattern),
            names: checked.names.into_iter().map(Cow::Owned).collect(),
            literal: checked.literal,
            alts: Cow::Owned(checked.alts),
        })
    }
}

/// The attribute names a rule can set, in report order.
pub(crate) const ATTRIBUTES: [&str; 6] =
    ["vendor", "category", "model", "os", "firmware", "modality"];

/// Checks and compiles one rule of file `stem`.
pub(crate) fn compile(
    spec: RuleSpec,
    stem: &str,
    default_source: Option<&str>,
) -> Result<Rule, String> {
    if spec.id.trim().is_empty() || spec.id.contains(char::is_whitespace) {
        return Err("id must be a non-empty word".into());
    }
    let citation = spec
        .source
        .as_deref()
        .or(default_source)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or("no source: every rule names where its fact comes from")?
        .to_owned();
    if !(spec.weight > 0.0 && spec.weight <= 1.0) {
        return Err(format!("weight {} is not in (0, 1]", spec.weight));
    }
    for (name, w) in &spec.weights {
        if !ATTRIBUTES.contains(&name.as_str()) {
            return Err(format!(
                "weights.{name}: not an attribute ({})",
                ATTRIBUTES.join(", ")
            ));
        }
        if !(*w > 0.0 && *w <= 1.0) {
            return Err(format!("weights.{name} = {w} is not in (0, 1]"));
        }
    }
    let mut sets = Vec::new();
    for (name, value) in [
        ("vendor", spec.vendor),
        ("category", spec.category),
        ("model", spec.model),
        ("os", spec.os),
        ("firmware", spec.firmware),
        ("modality", spec.modality),
    ] {
        let Some(value) = value else { continue };
        if !value.contains('$') {
            let ok = match name {
                "category" => super::CATEGORIES.contains(&value.as_str()),
                "modality" => super::MODALITIES.contains(&value.to_ascii_uppercase().as_str()),
                _ => !value.trim().is_empty(),
            };
            if !ok {
                return Err(format!("{name} = {value:?} is not a valid {name}"));
            }
        }
        let weight = spec.weights.get(name).copied().unwrap_or(spec.weight);
        sets.push((name, Cow::Owned(value), weight));
    }
    if sets.is_empty() {
        return Err("sets nothing: give vendor, category, model, os, firmware or modality".into());
    }
    let w = spec.when;
    let mut matches = Vec::new();
    for (field, pattern) in [
        (Field::Oui, w.oui),
        (Field::VendorClass, w.vendor_class),
        (Field::DhcpPrl, w.dhcp_prl),
        (Field::Hostname, w.hostname),
        (Field::Software, w.software),
        (Field::Dns, w.dns),
    ]
    .into_iter()
    .chain(
        w.fact
            .into_iter()
            .map(|(k, v)| (Field::Fact(Cow::Owned(k)), Some(v))),
    ) {
        let Some(pattern) = pattern else { continue };
        let name = field.name().to_owned();
        let condition = Condition::new(field, &pattern).map_err(|e| format!("when.{name}: {e}"))?;
        matches.push(condition);
    }
    if matches.len() > 31 {
        return Err("more than 31 conditions".into());
    }
    if matches.is_empty() && w.role.is_none() && w.serves.is_none() && w.uses.is_none() {
        return Err("no conditions under `when`".into());
    }
    for (name, template, _) in &sets {
        for needed in template_names(template) {
            if !matches.iter().any(|c| c.names.iter().any(|n| n == needed)) {
                return Err(format!(
                    "{name} uses ${needed}, which no condition captures"
                ));
            }
        }
    }
    Ok(Rule {
        source: Cow::Owned(format!("kb:{stem}/{}", spec.id)),
        citation: Cow::Owned(citation),
        matches: Cow::Owned(matches),
        role: w.role.map(Cow::Owned),
        serves: w.serves,
        uses: w.uses,
        sets: Cow::Owned(sets),
    })
}

/// The `$name` / `${name}` references of a value template.
fn template_names(template: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut rest = template;
    while let Some(i) = rest.find('$') {
        let after = &rest[i + 1..];
        let (name, tail) = if let Some(b) = after.strip_prefix('{') {
            let end = b.find('}').unwrap_or(b.len());
            (&b[..end], b.get(end + 1..).unwrap_or(""))
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        out.push(name);
        rest = tail;
    }
    out
}
