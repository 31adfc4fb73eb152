//! Devices against advisories: which advisory products a device is (vendor, then product or
//! model), whether its version is in the affected range, and how sure that is — each match
//! with the reasons spelt out.
//!
//! - **Vendor**: the device's vendor and each form of the advisory's vendor name (as written,
//!   without a parenthesised part, the parenthesised part itself, each of several joined by
//!   `and` or a comma) compared by the caller's vendor key (the knowledge base's alias
//!   tables: "Becton, Dickinson and Company" = "BD" = "CareFusion").
//! - **Product**: a model number named by the advisory (identification helper) equal to the
//!   device's model (0.95); every digit-bearing word of the device's model in the product's
//!   name (0.9: `8015` in "Alaris Point-of-Care Unit (PCU) Model 8015"); every word of the
//!   device's model in the product name, or every word of the product name in the model (a
//!   family: 0.6). Nothing weaker: a vendor alone never matches.
//! - **Version**: the device's firmware (or the version of software it was seen running
//!   under the product's name) in the product's range → `affected`; past the range or at a
//!   version the remediation text names as the fix → `fixed`; below the range →
//!   `not_affected`; a `known_not_affected` product → `not_affected`; no version known or a
//!   range not understood → `possibly_affected` (never silence, never certainty).

use std::cmp::Ordering;
use std::collections::BTreeMap;

use model::{Device, compare_versions};
use serde::Serialize;

use crate::advisory::{Advisory, Product, ProductStatus, Vulnerability};

/// A device × advisory verdict.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchStatus {
    Affected,
    PossiblyAffected,
    Fixed,
    NotAffected,
}

impl MatchStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Affected => "affected",
            Self::PossiblyAffected => "possibly_affected",
            Self::Fixed => "fixed",
            Self::NotAffected => "not_affected",
        }
    }
}

/// One device matched to one advisory product, for the vulnerabilities of one status.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Match {
    pub device: String,
    pub advisory: String,
    pub product: String,
    pub cves: Vec<String>,
    pub status: MatchStatus,
    /// 0–1: how sure the vendor, product and version reading is.
    pub confidence: f32,
    /// The highest CVSS base score among `cves` (v4 when given, else v3).
    pub cvss: Option<f64>,
    /// The version compared, and where it came from.
    pub version: Option<String>,
    pub why: String,
    /// When the match came from software seen on the wire: the protocol that showed it and
    /// the role the device played in it (`http server`): the vulnerable software is exposed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seen_on_wire: Option<String>,
}

/// How a device is seen for matching: its identity attributes (value, confidence) and the
/// software the wire showed.
struct Seen<'a> {
    vendor: Option<(&'a str, f32)>,
    model: Option<(&'a str, f32)>,
    firmware: Option<(&'a str, f32)>,
    /// A CPE 2.3 name the reading comes with (an SBOM component's).
    cpe: Option<&'a str>,
    /// The device's operating system, for products vulnerable only on some platforms.
    os: Option<&'a str>,
}

/// A further reading of a device for [`Matcher::matches_with`]: a component an SBOM says the
/// device ships (vendor, product, version, CPE), and how sure it is that the device ships it.
#[derive(Debug, Clone, PartialEq)]
pub struct Reading {
    pub vendor: String,
    pub product: String,
    pub version: Option<String>,
    pub cpe: Option<String>,
    pub confidence: f32,
    /// What the reading is, starting each match's `why` ("component wolfssl 4.8.1 of SBOM …").
    pub source: String,
}

fn attr(a: Option<&model::Attribute>) -> Option<(&str, f32)> {
    a.map(|a| (a.value.as_str(), a.confidence))
}

fn seen(device: &Device) -> Seen<'_> {
    Seen {
        vendor: attr(device.vendor.as_ref()),
        model: attr(device.model.as_deref()),
        firmware: attr(device.firmware.as_deref()),
        cpe: None,
        os: device.os.as_deref().map(|o| o.value.as_str()),
    }
}

/// Lower-case ASCII words (letters and digits).
fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect()
}

/// Words too common in product names to identify anything.
const STOP: &[&str] = &[
    "the", "and", "for", "with", "model", "models", "system", "systems", "series", "device",
    "devices", "software", "firmware", "version", "versions", "all", "of", "by", "unit",
];

/// The forms of an advisory vendor name to look up.
fn vendor_forms(name: &str) -> Vec<String> {
    let mut out = vec![name.trim().to_string()];
    if let (Some(open), Some(close)) = (name.find('('), name.rfind(')'))
        && open < close
    {
        out.push(
            format!("{}{}", &name[..open], &name[close + 1..])
                .trim()
                .to_string(),
        );
        out.push(name[open + 1..close].trim().to_string());
    }
    for part in name.split([',', '/']).flat_map(|p| p.split(" and ")) {
        let part = part.trim();
        if !part.is_empty() && part.len() < name.len() {
            out.push(part.to_string());
        }
    }
    out.retain(|f| !f.is_empty());
    out.dedup();
    out
}

/// A product's words and keys, worked out once per advisory set (not per device).
#[derive(Debug, Clone)]
struct Prepared {
    /// Vendor keys of every form of the product's vendor name.
    vendor_keys: Vec<String>,
    /// Vendor keys of the brand a product name starts with ("Welch Allyn" of Hillrom's
    /// "Welch Allyn Connex Vital Signs Monitor"): a device recorded under the brand is the
    /// maker's.
    brand_keys: Vec<String>,
    /// Model numbers and SKUs as keys (letters and digits only).
    number_keys: Vec<String>,
    /// Words of the name, full name and model numbers.
    product_words: Vec<String>,
    /// Words of the name without stop words.
    name_words: Vec<String>,
}

pub(crate) fn key_of(s: &str) -> String {
    words(s).concat()
}

fn prepare(product: &Product, vendor_key: &dyn Fn(&str) -> String) -> Prepared {
    let mut vendor_keys: Vec<String> = vendor_forms(&product.vendor)
        .iter()
        .map(|f| vendor_key(f))
        .collect();
    vendor_keys.sort();
    vendor_keys.dedup();
    let name_words: Vec<&str> = product.name.split_whitespace().take(2).collect();
    let mut brand_keys: Vec<String> = (1..=name_words.len())
        .filter(|&n| {
            name_words[..n]
                .iter()
                .all(|w| w.len() >= 3 && w.chars().all(|c| c.is_alphabetic()))
        })
        .map(|n| vendor_key(&name_words[..n].join(" ")))
        .filter(|k| !vendor_keys.contains(k))
        .collect();
    brand_keys.sort();
    brand_keys.dedup();
    Prepared {
        vendor_keys,
        brand_keys,
        number_keys: product
            .model_numbers
            .iter()
            .chain(&product.skus)
            .map(|n| key_of(n))
            .collect(),
        product_words: words(&product.name)
            .into_iter()
            .chain(words(&product.full_name))
            .chain(product.model_numbers.iter().flat_map(|n| words(n)))
            .collect(),
        name_words: words(&product.name)
            .into_iter()
            .filter(|w| !STOP.contains(&w.as_str()))
            .collect(),
    }
}

/// A device model's words and key, worked out once per device.
pub(crate) struct ModelWords<'a> {
    model: &'a str,
    pub(crate) key: String,
    pub(crate) words: Vec<String>,
    /// Its words holding a digit.
    pub(crate) distinctive: Vec<String>,
}

pub(crate) fn model_words(model: &str) -> ModelWords<'_> {
    let words: Vec<String> = words(model)
        .into_iter()
        .filter(|w| !STOP.contains(&w.as_str()))
        .collect();
    let distinctive = words
        .iter()
        .filter(|w| w.bytes().any(|b| b.is_ascii_digit()))
        .cloned()
        .collect();
    ModelWords {
        model,
        key: key_of(model),
        words,
        distinctive,
    }
}

/// How well a device model names a product: (confidence, reason), or `None`.
fn product_match(m: &ModelWords<'_>, product: &Product, p: &Prepared) -> Option<(f32, String)> {
    let model = m.model;
    if m.key.is_empty() {
        return None;
    }
    if let Some(i) = p.number_keys.iter().position(|n| *n == m.key) {
        let n = product
            .model_numbers
            .iter()
            .chain(&product.skus)
            .nth(i)
            .map_or("", String::as_str);
        return Some((
            0.95,
            format!("model {model:?} is the advisory's model number {n:?}"),
        ));
    }
    if !m.distinctive.is_empty() && m.distinctive.iter().all(|w| p.product_words.contains(w)) {
        return Some((
            0.9,
            format!("model {model:?} names product {:?}", product.name),
        ));
    }
    if m.distinctive.is_empty()
        && !m.words.is_empty()
        && m.words.iter().all(|w| p.product_words.contains(w))
    {
        return Some((
            0.6,
            format!("model {model:?} is a word of product {:?}", product.name),
        ));
    }
    // A family named by the advisory ("IntelliVue") whose member the device is.
    if !p.name_words.is_empty()
        && p.name_words.iter().all(|w| m.words.contains(w))
        && p.name_words.iter().any(|w| w.len() >= 3)
    {
        return Some((
            0.6,
            format!(
                "product {:?} is the family of model {model:?}",
                product.name
            ),
        ));
    }
    None
}

/// A reading's CPE naming the product's CPE vendor and product (versions aside).
fn cpe_match(cpe: Option<&str>, product: &Product) -> Option<(f32, String)> {
    let (vendor, name, _) = crate::sbom::cpe_parts(cpe?)?;
    let (pv, pn, _) = crate::sbom::cpe_parts(product.cpe.as_deref()?)?;
    (vendor.eq_ignore_ascii_case(&pv) && name.eq_ignore_ascii_case(&pn)).then(|| {
        (
            0.95,
            format!("CPE {vendor}:{name} is the advisory's CPE product"),
        )
    })
}

/// A product's status for one vulnerability: the strongest the advisory states.
fn stated(v: &Vulnerability, product: &str) -> Option<ProductStatus> {
    let all: Vec<ProductStatus> = v.statuses_of(product).collect();
    all.iter()
        .copied()
        .find(|s| s.is_affected())
        .or_else(|| all.iter().copied().find(|s| s.is_fixed()))
        .or_else(|| all.first().copied())
}

/// The lowest version the remediations of `v` name as the fix for `product` that lies past
/// the product's affected range.
fn fix_version<'a>(v: &'a Vulnerability, product: &Product) -> Option<&'a str> {
    v.remediations
        .iter()
        .filter(|r| r.product_ids.iter().any(|id| id == &product.id))
        .flat_map(|r| r.fixed_versions.iter())
        .map(String::as_str)
        .filter(|f| product.versions.contains(f) == Some(false))
        .min_by(|a, b| compare_versions(a, b))
}

/// Every match of `device` against `advisory`, one per (product, status).
pub fn match_device(
    device: &Device,
    advisory: &Advisory,
    vendor_key: &dyn Fn(&str) -> String,
) -> Vec<Match> {
    let prepared: Vec<Prepared> = advisory
        .products
        .iter()
        .map(|p| prepare(p, vendor_key))
        .collect();
    let Some(vendor) = device.vendor.as_ref() else {
        return Vec::new();
    };
    match_prepared(device, advisory, &prepared, &vendor_key(&vendor.value), &[])
}

/// [`match_device`] with the advisory's products prepared and the device's vendor key known.
fn match_prepared(
    device: &Device,
    advisory: &Advisory,
    prepared: &[Prepared],
    device_vendor: &str,
    other_names: &[(String, ModelWords<'_>)],
) -> Vec<Match> {
    match_seen(
        device,
        &seen(device),
        advisory,
        prepared,
        device_vendor,
        "",
        other_names,
    )
}

/// Matches one reading of a device (its attributes, or one piece of software it showed) whose
/// vendor has key `vendor_key`; `prefix` starts each `why` (what the reading was);
/// `other_names` are the model's other names (the knowledge base's product tables), tried
/// when the model itself names no product.
fn match_seen(
    device: &Device,
    s: &Seen<'_>,
    advisory: &Advisory,
    prepared: &[Prepared],
    device_vendor: &str,
    prefix: &str,
    other_names: &[(String, ModelWords<'_>)],
) -> Vec<Match> {
    let (Some((vendor, vendor_conf)), Some((model, model_conf))) = (s.vendor, s.model) else {
        return Vec::new();
    };
    let m = model_words(model);
    let mut best: Option<(&Product, f32, String, String)> = None;
    for (product, p) in advisory.products.iter().zip(prepared) {
        let (brand_factor, vendor_reason) = if p.vendor_keys.iter().any(|k| k == device_vendor) {
            (
                1.0,
                format!("vendor {vendor:?} is the advisory's {:?}", product.vendor),
            )
        } else if p.brand_keys.iter().any(|k| k == device_vendor) {
            (
                0.9,
                format!(
                    "vendor {vendor:?} is the brand the advisory's product {:?} (by {:?}) is named under",
                    product.name, product.vendor
                ),
            )
        } else {
            continue;
        };
        let Some((conf, reason)) = cpe_match(s.cpe, product)
            .or_else(|| product_match(&m, product, p))
            .or_else(|| {
                // The name that names the product best, unless the product contradicts the
                // model's own numbers ("Alaris 8015" is also called "Alaris PC Unit", which
                // must not make it the "Alaris 8000 PC unit").
                if !m.distinctive.iter().all(|w| p.product_words.contains(w)) {
                    return None;
                }
                other_names
                    .iter()
                    .filter_map(|(name, words)| {
                        let (conf, reason) = product_match(words, product, p)?;
                        Some((
                            conf * 0.95,
                            format!(
                                "model {model:?} is also called {name:?} (kb product names); {reason}"
                            ),
                        ))
                    })
                    .max_by(|a, b| a.0.total_cmp(&b.0))
            })
        else {
            continue;
        };
        // Among products that match as well, the one whose range holds the firmware.
        let holds = |p: &Product| {
            s.firmware
                .and_then(|(f, _)| p.versions.contains(f))
                .unwrap_or(false)
        };
        let conf = conf * brand_factor;
        let better = match &best {
            None => true,
            Some((b, bc, _, _)) => conf > *bc || (conf == *bc && holds(product) && !holds(b)),
        };
        if better {
            best = Some((product, conf, reason, vendor_reason));
        }
    }
    let Some((product, product_conf, product_reason, vendor_reason)) = best else {
        return Vec::new();
    };
    // Every product of the advisory this device is (same name, other version ranges) is
    // judged together: affected by one range is affected.
    let same: Vec<&Product> = advisory
        .products
        .iter()
        .filter(|p| p.name == product.name && p.vendor == product.vendor)
        .collect();
    let same = version_line(same, s.firmware.map(|(f, _)| f));
    let mut by_status: BTreeMap<MatchStatus, (Vec<String>, Option<f64>, String, f32)> =
        BTreeMap::new();
    let base = vendor_conf.min(1.0) * model_conf.min(1.0) * product_conf;
    for v in &advisory.vulnerabilities {
        let mut verdicts = Vec::new();
        for p in &same {
            let Some(status) = stated(v, &p.id) else {
                continue;
            };
            verdicts.push(on_platform(p, judge(p, status, v, s.firmware), s.os));
        }
        // The most urgent verdict across the product's entries.
        let Some((status, why, version_conf)) = verdicts.into_iter().min_by_key(|(st, _, _)| *st)
        else {
            continue;
        };
        let cvss = v
            .cvss_v4
            .as_ref()
            .or(v.cvss_v3.as_ref())
            .map(|c| c.base_score);
        let entry = by_status
            .entry(status)
            .or_insert_with(|| (Vec::new(), None, why.clone(), base * version_conf));
        if let Some(cve) = &v.cve
            && !entry.0.contains(cve)
        {
            entry.0.push(cve.clone());
        }
        entry.1 = match (entry.1, cvss) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        };
    }
    by_status
        .into_iter()
        .map(|(status, (mut cves, cvss, version_why, confidence))| {
            cves.sort();
            Match {
                device: device.id.to_string(),
                advisory: advisory.id.clone(),
                product: product.name.clone(),
                cves,
                status,
                confidence: (confidence * 1000.0).round() / 1000.0,
                cvss,
                version: s.firmware.map(|(f, _)| f.to_string()),
                why: format!("{prefix}{vendor_reason}; {product_reason}; {version_why}"),
                seen_on_wire: None,
            }
        })
        .collect()
}

/// A verdict of affected (or possibly) for a product vulnerable only on some platforms, held
/// against the device's OS: another OS makes it not affected; an unknown one leaves it, less
/// surely. A platform holds when a word of its product name (three letters or more: `windows`
/// of "microsoft windows", `linux` of "linux linux kernel") is a word of the OS.
fn on_platform(
    product: &Product,
    (status, why, conf): (MatchStatus, String, f32),
    os: Option<&str>,
) -> (MatchStatus, String, f32) {
    if product.platforms.is_empty()
        || !matches!(
            status,
            MatchStatus::Affected | MatchStatus::PossiblyAffected
        )
    {
        return (status, why, conf);
    }
    let list = product.platforms.join(", ");
    let Some(os) = os else {
        return (
            status,
            format!("{why}; only on {list}, and the device's OS is not known"),
            conf * 0.8,
        );
    };
    let os_words = words(os);
    let holds = product.platforms.iter().any(|platform| {
        // "vendor product [version]": the vendor is the first word.
        words(platform)
            .iter()
            .skip(1)
            .any(|w| w.len() >= 3 && !w.bytes().all(|b| b.is_ascii_digit()) && os_words.contains(w))
    });
    if holds {
        (
            status,
            format!("{why}; on {list}, as the device's OS {os:?}"),
            conf,
        )
    } else {
        (
            MatchStatus::NotAffected,
            format!("{why}; but only on {list}, and the device runs {os:?}"),
            conf,
        )
    }
}

/// The first component of a version (`11` of `11.0.6`, `v9` → `9`), lower case.
fn first_component(version: &str) -> Option<String> {
    let v = version.trim().trim_start_matches(['v', 'V']);
    let first = v.split(|c: char| !c.is_ascii_alphanumeric()).next()?;
    (!first.is_empty()).then(|| first.to_ascii_lowercase())
}

/// The release line a product entry is about: the first component of its one upper bound
/// (`<11.0.6` → `11`), when it has exactly one and no lower bound (an entry with a lower
/// bound, `>=7.22.0 <8.0.5`, is an interval of its own and spans lines).
fn line_of(product: &Product) -> Option<String> {
    let crate::VersionRange::Constraints(cs) = &product.versions else {
        return None;
    };
    if cs
        .iter()
        .any(|c| matches!(c.comparator, crate::Comparator::Ge | crate::Comparator::Gt))
    {
        return None;
    }
    let mut uppers = cs
        .iter()
        .filter(|c| matches!(c.comparator, crate::Comparator::Lt | crate::Comparator::Le));
    let upper = uppers.next()?;
    if uppers.next().is_some() {
        return None;
    }
    first_component(&upper.version)
}

/// An advisory that gives one product several entries bounded on different release lines
/// (`< 11.0.6` and `< 12.0.4`: fixed in 11.0.6 for the 11 line, in 12.0.4 for the 12 line)
/// means each line by its own bound, not their union: a device on a line one of them names
/// is judged by that entry (and by entries naming no line). Otherwise all entries count.
fn version_line<'a>(same: Vec<&'a Product>, firmware: Option<&str>) -> Vec<&'a Product> {
    let Some(line) = firmware.and_then(first_component) else {
        return same;
    };
    let lines: Vec<Option<String>> = same.iter().map(|p| line_of(p)).collect();
    let distinct: std::collections::BTreeSet<&String> = lines.iter().flatten().collect();
    if distinct.len() < 2 || !distinct.contains(&line) {
        return same;
    }
    same.into_iter()
        .zip(lines)
        .filter(|(_, l)| l.as_ref().is_none_or(|l| *l == line))
        .map(|(p, _)| p)
        .collect()
}

/// One product entry's verdict for one vulnerability: (status, why, how sure the version
/// reading is).
fn judge(
    product: &Product,
    stated: ProductStatus,
    v: &Vulnerability,
    firmware: Option<(&str, f32)>,
) -> (MatchStatus, String, f32) {
    let range = if product.version_text.is_empty() {
        "every version".to_string()
    } else {
        format!("versions {:?}", product.version_text)
    };
    if stated == ProductStatus::KnownNotAffected {
        return (
            MatchStatus::NotAffected,
            format!("the advisory lists {range} as not affected"),
            1.0,
        );
    }
    let Some((version, version_conf)) = firmware else {
        return (
            MatchStatus::PossiblyAffected,
            format!("firmware not known; the advisory names {range}"),
            0.5,
        );
    };
    let fix = fix_version(v, product);
    match product.versions.contains(version) {
        None => (
            MatchStatus::PossiblyAffected,
            format!("firmware {version:?}; the advisory's version rule {range} is not understood"),
            0.5,
        ),
        Some(true) if stated.is_fixed() => (
            MatchStatus::Fixed,
            format!("firmware {version:?} is in {range}, which the advisory lists as fixed"),
            version_conf,
        ),
        Some(true) => (
            MatchStatus::Affected,
            format!("firmware {version:?} is in the affected {range}"),
            version_conf,
        ),
        Some(false) => {
            if let Some(f) = fix
                && compare_versions(version, f) != Ordering::Less
            {
                return (
                    MatchStatus::Fixed,
                    format!("firmware {version:?} is at or past the fix {f:?} the advisory names"),
                    version_conf,
                );
            }
            if above_range(product, version) {
                (
                    MatchStatus::Fixed,
                    format!("firmware {version:?} is past the affected {range}"),
                    version_conf,
                )
            } else {
                (
                    MatchStatus::NotAffected,
                    format!("firmware {version:?} is outside the affected {range}"),
                    version_conf,
                )
            }
        }
    }
}

/// Whether `version` lies past the product's range: above every bound, or at a `<` bound
/// (`<2.2` ends just below 2.2).
fn above_range(product: &Product, version: &str) -> bool {
    match &product.versions {
        crate::VersionRange::Constraints(cs) => cs.iter().all(|c| {
            let o = compare_versions(version, &c.version);
            o == Ordering::Greater
                || (o == Ordering::Equal && c.comparator == crate::Comparator::Lt)
        }),
        _ => false,
    }
}

/// (vendor key, model) → the model's other names (the knowledge base's product tables).
pub type OtherNames<'a> = &'a dyn Fn(&str, &str) -> Vec<String>;

/// Advisories indexed by the vendor keys their products name, so that a device is compared
/// only with the advisories of its own vendor (100,000 devices × every advisory would
/// otherwise compare every product of every advisory for each device).
pub struct Matcher<'a> {
    advisories: &'a [Advisory],
    prepared: Vec<Vec<Prepared>>,
    by_vendor: std::collections::HashMap<String, Vec<usize>>,
    vendor_key: &'a dyn Fn(&str) -> String,
    /// (vendor key, model) → the model's other names.
    product_names: Option<OtherNames<'a>>,
}

impl std::fmt::Debug for Matcher<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Matcher")
            .field("advisories", &self.advisories.len())
            .field("vendors", &self.by_vendor.len())
            .finish()
    }
}

impl<'a> Matcher<'a> {
    pub fn new(advisories: &'a [Advisory], vendor_key: &'a dyn Fn(&str) -> String) -> Self {
        let mut by_vendor: std::collections::HashMap<String, Vec<usize>> =
            std::collections::HashMap::new();
        let mut prepared = Vec::with_capacity(advisories.len());
        for (i, a) in advisories.iter().enumerate() {
            let products: Vec<Prepared> =
                a.products.iter().map(|p| prepare(p, vendor_key)).collect();
            let mut keys: Vec<&String> = products
                .iter()
                .flat_map(|p| p.vendor_keys.iter().chain(&p.brand_keys))
                .collect();
            keys.sort();
            keys.dedup();
            for k in keys {
                by_vendor.entry(k.clone()).or_default().push(i);
            }
            prepared.push(products);
        }
        Self {
            advisories,
            prepared,
            by_vendor,
            vendor_key,
            product_names: None,
        }
    }

    /// Every match of one further reading (wire software, an SBOM component) against the
    /// advisories of vendor key `key`, with the advisory's index.
    fn match_reading(
        &self,
        device: &Device,
        reading: &Seen<'_>,
        key: &str,
        prefix: &str,
    ) -> Vec<(usize, Match)> {
        let Some(candidates) = self.by_vendor.get(key) else {
            return Vec::new();
        };
        candidates
            .iter()
            .flat_map(|&i| {
                match_seen(
                    device,
                    reading,
                    &self.advisories[i],
                    &self.prepared[i],
                    key,
                    prefix,
                    &[],
                )
                .into_iter()
                .map(move |m| (i, m))
            })
            .collect()
    }

    /// Tries each device model under its other names too: `names(vendor key, model)` gives
    /// them (the knowledge base's product tables).
    pub fn with_product_names(mut self, names: OtherNames<'a>) -> Self {
        self.product_names = Some(names);
        self
    }

    /// Every match of `device`: its identity attributes (vendor, model, firmware) against the
    /// advisories of its vendor, and each piece of software it showed on the wire with a
    /// version (`Polycom VVX 450` 6.4.3.5018 over LLDP) against the advisories of the
    /// device's vendor or of the software's first word. Per advisory the reading that knows
    /// a version wins over one that does not.
    pub fn matches(&self, device: &Device) -> Vec<Match> {
        self.matches_with(device, &[])
    }

    /// [`Self::matches`], with further readings of the device (the components its SBOMs
    /// list) matched like the software it showed, each against the advisories of its own
    /// vendor.
    pub fn matches_with(&self, device: &Device, extra: &[Reading]) -> Vec<Match> {
        let device_vendor = device
            .vendor
            .as_ref()
            .map(|v| ((self.vendor_key)(&v.value), v.value.as_str(), v.confidence));
        // (advisory index, the software entry it came from (None: the attributes), match)
        let mut found: Vec<(usize, Option<usize>, Match)> = Vec::new();
        if let Some((key, _, _)) = &device_vendor
            && let Some(candidates) = self.by_vendor.get(key)
        {
            let names: Vec<String> = match (self.product_names, device.model.as_deref()) {
                (Some(f), Some(model)) => f(key, &model.value),
                _ => Vec::new(),
            };
            let other_names: Vec<(String, ModelWords<'_>)> =
                names.iter().map(|n| (n.clone(), model_words(n))).collect();
            for &i in candidates {
                for m in match_prepared(
                    device,
                    &self.advisories[i],
                    &self.prepared[i],
                    key,
                    &other_names,
                ) {
                    found.push((i, None, m));
                }
            }
        }
        for (si, sw) in device.software.iter().enumerate() {
            let Some(version) = sw.version.as_deref().filter(|v| !v.is_empty()) else {
                continue;
            };
            let first = sw.product.split_whitespace().next().unwrap_or_default();
            let mut readings: Vec<(String, &str, f32)> = Vec::new();
            if let Some((key, name, conf)) = &device_vendor {
                readings.push((key.clone(), name, *conf));
            }
            let own = (self.vendor_key)(first);
            if !first.is_empty() && readings.iter().all(|(k, _, _)| *k != own) {
                readings.push((own, first, 0.6));
            }
            let prefix = format!(
                "software {:?} {version} seen on the wire ({}): ",
                sw.product, sw.source
            );
            // A server's software is exposed to whoever reaches it; a client's (a
            // User-Agent) only to the servers it visits.
            let exposed = (sw.role == "server").then(|| format!("{} {}", sw.source, sw.role));
            for (key, vendor, conf) in &readings {
                let reading = Seen {
                    vendor: Some((vendor, *conf)),
                    model: Some((&sw.product, 0.8)),
                    firmware: Some((version, 0.8)),
                    cpe: None,
                    os: device.os.as_deref().map(|o| o.value.as_str()),
                };
                for (i, mut m) in self.match_reading(device, &reading, key, &prefix) {
                    m.seen_on_wire.clone_from(&exposed);
                    found.push((i, Some(si), m));
                }
            }
        }
        for (k, r) in extra.iter().enumerate() {
            let key = (self.vendor_key)(&r.vendor);
            let reading = Seen {
                vendor: Some((&r.vendor, r.confidence)),
                model: Some((&r.product, 1.0)),
                firmware: r.version.as_deref().map(|v| (v, 1.0)),
                cpe: r.cpe.as_deref(),
                os: device.os.as_deref().map(|o| o.value.as_str()),
            };
            let prefix = format!("{}: ", r.source);
            for (i, m) in self.match_reading(device, &reading, &key, &prefix) {
                found.push((i, Some(device.software.len() + k), m));
            }
        }
        // Per advisory, one reading: the attributes', unless they know no version and a
        // piece of software does (then the first such software entry).
        let knows_version = |i: usize, from: Option<usize>| {
            found
                .iter()
                .any(|(j, f, m)| *j == i && *f == from && m.status != MatchStatus::PossiblyAffected)
        };
        let mut advisories_seen: Vec<usize> = Vec::new();
        let mut chosen: Vec<(bool, Match)> = Vec::new();
        for (i, _, _) in &found {
            if advisories_seen.contains(i) {
                continue;
            }
            advisories_seen.push(*i);
            let has_attributes = found.iter().any(|(j, f, _)| j == i && f.is_none());
            let software = found
                .iter()
                .filter(|(j, f, _)| j == i && f.is_some())
                .map(|(_, f, _)| *f)
                .find(|f| knows_version(*i, *f))
                .or_else(|| {
                    found
                        .iter()
                        .find(|(j, f, _)| j == i && f.is_some())
                        .map(|(_, f, _)| *f)
                });
            let from = if has_attributes && (knows_version(*i, None) || software.is_none()) {
                None
            } else {
                software.flatten()
            };
            for (j, f, m) in &found {
                if j == i && *f == from {
                    chosen.push((
                        matches!(self.advisories[*i].format.as_str(), "cve" | "nvd"),
                        m.clone(),
                    ));
                }
            }
        }
        // A CVE record (CVE JSON 5 or NVD) adds nothing when an advisory that matched this
        // device names its CVE: the advisory (with its remediations) speaks for it.
        let covered: std::collections::HashSet<String> = chosen
            .iter()
            .filter(|(single, _)| !single)
            .flat_map(|(_, m)| m.cves.iter().cloned())
            .collect();
        chosen.retain(|(single, m)| !single || !m.cves.iter().all(|c| covered.contains(c)));
        chosen.into_iter().map(|(_, m)| m).collect()
    }
}

#[cfg(test)]
mod tests;
