//! CSAF 2.0 (OASIS, 2022) advisories: the subset matching needs, read tolerantly.
//!
//! Read from the JSON tree by hand rather than by derived types: real advisories bend the
//! schema (strings where numbers belong, members missing or empty), and a refused file must
//! be named with the JSON path at fault (`/vulnerabilities/3/product_status/fixed/0`), which
//! the walker knows as it goes. What is read:
//!
//! - `document`: `csaf_version` (2.x), `title`, `publisher.name`, `tracking` (`id`, dates,
//!   `version`);
//! - `product_tree`: `branches` (vendor → product family → product name → product version
//!   or version range, at any depth; a `product` at any branch), top-level
//!   `full_product_names`, `relationships` (a component installed on a platform becomes a
//!   product of its own: the platform's name, the component's versions), `product_groups`;
//!   identification helpers `cpe`, `purl`, `model_numbers`, `skus`;
//! - `vulnerabilities`: `cve`, `cwe.id`, `title`, `product_status` (every status; group ids
//!   expanded), `scores` (`cvss_v3`, `cvss_v4`: base score and vector), `remediations`
//!   (category, details, product and group ids, and the versions the details name as the fix).

use std::collections::HashMap;

use serde_json::Value;

use crate::advisory::{
    Advisory, Cvss, Product, ProductStatus, Remediation, RemediationKind, Vulnerability,
};
use crate::range::VersionRange;

/// Why a document was refused: where in it, and what.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadError {
    /// JSON pointer (RFC 6901) to the member at fault; empty for the whole document.
    pub path: String,
    pub message: String,
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for ReadError {}

fn err(path: &str, message: impl Into<String>) -> ReadError {
    ReadError {
        path: path.to_string(),
        message: message.into(),
    }
}

/// Whether a parsed JSON document is a CSAF document (has `document.csaf_version`).
pub fn is_csaf(doc: &Value) -> bool {
    doc.pointer("/document/csaf_version").is_some()
}

/// Reads a CSAF 2.0 document.
pub fn read(doc: &Value) -> Result<Advisory, ReadError> {
    let document = object(doc, "/document")?;
    let version = string(document.get("csaf_version"), "/document/csaf_version")?;
    if !version.starts_with("2.") {
        return Err(err(
            "/document/csaf_version",
            format!("CSAF {version} is not read (2.x only)"),
        ));
    }
    let tracking = object(doc, "/document/tracking")?;
    let id = string(tracking.get("id"), "/document/tracking/id")?;
    if id.trim().is_empty() {
        return Err(err("/document/tracking/id", "empty tracking id"));
    }
    let title = string(document.get("title"), "/document/title")?;
    let mut tree = Tree::default();
    if let Some(pt) = doc.get("product_tree") {
        tree.read(pt, "/product_tree")?;
    }
    let mut vulnerabilities = Vec::new();
    if let Some(vs) = doc.get("vulnerabilities") {
        let vs = vs
            .as_array()
            .ok_or_else(|| err("/vulnerabilities", "not an array"))?;
        for (i, v) in vs.iter().enumerate() {
            vulnerabilities.push(read_vulnerability(
                v,
                &format!("/vulnerabilities/{i}"),
                &tree,
            )?);
        }
    }
    Ok(Advisory {
        id: id.trim().to_string(),
        title: title.trim().to_string(),
        publisher: doc
            .pointer("/document/publisher/name")
            .and_then(Value::as_str)
            .map(str::to_string),
        format: "csaf".into(),
        released: tracking
            .get("initial_release_date")
            .and_then(Value::as_str)
            .map(str::to_string),
        revised: tracking
            .get("current_release_date")
            .and_then(Value::as_str)
            .map(str::to_string),
        revision: tracking.get("version").and_then(|v| match v {
            Value::String(s) => Some(s.clone()),
            Value::Number(n) => Some(n.to_string()),
            _ => None,
        }),
        products: tree.products,
        vulnerabilities,
    })
}

fn object<'a>(doc: &'a Value, path: &str) -> Result<&'a serde_json::Map<String, Value>, ReadError> {
    doc.pointer(path)
        .ok_or_else(|| err(path, "missing"))?
        .as_object()
        .ok_or_else(|| err(path, "not an object"))
}

fn string<'a>(v: Option<&'a Value>, path: &str) -> Result<&'a str, ReadError> {
    v.ok_or_else(|| err(path, "missing"))?
        .as_str()
        .ok_or_else(|| err(path, "not a string"))
}

/// The product tree, read into products, with the group table for expanding ids.
#[derive(Default)]
struct Tree {
    products: Vec<Product>,
    groups: HashMap<String, Vec<String>>,
}

/// Where a branch walk stands: the names of the branches above.
#[derive(Default, Clone)]
struct Context {
    vendor: String,
    family: Option<String>,
    product: Option<String>,
    version: Option<(String, bool)>,
}

impl Tree {
    fn read(&mut self, pt: &Value, path: &str) -> Result<(), ReadError> {
        if let Some(branches) = pt.get("branches") {
            self.branches(branches, &format!("{path}/branches"), &Context::default())?;
        }
        if let Some(names) = pt.get("full_product_names").and_then(Value::as_array) {
            for (i, fpn) in names.iter().enumerate() {
                let p = format!("{path}/full_product_names/{i}");
                let product = self.full_product_name(fpn, &p, &Context::default())?;
                self.products.push(product);
            }
        }
        if let Some(groups) = pt.get("product_groups").and_then(Value::as_array) {
            for (i, g) in groups.iter().enumerate() {
                let p = format!("{path}/product_groups/{i}");
                let id = string(g.get("group_id"), &format!("{p}/group_id"))?;
                let ids = id_list(g.get("product_ids"), &format!("{p}/product_ids"))?;
                self.groups.insert(id.to_string(), ids);
            }
        }
        if let Some(rels) = pt.get("relationships").and_then(Value::as_array) {
            for (i, r) in rels.iter().enumerate() {
                self.relationship(r, &format!("{path}/relationships/{i}"))?;
            }
        }
        Ok(())
    }

    fn branches(&mut self, v: &Value, path: &str, ctx: &Context) -> Result<(), ReadError> {
        let list = v.as_array().ok_or_else(|| err(path, "not an array"))?;
        for (i, b) in list.iter().enumerate() {
            let p = format!("{path}/{i}");
            let category = b.get("category").and_then(Value::as_str).unwrap_or("");
            let name = string(b.get("name"), &format!("{p}/name"))?
                .trim()
                .to_string();
            let mut here = ctx.clone();
            match category {
                "vendor" => here.vendor = name,
                "product_family" => {
                    here.family = Some(match &ctx.family {
                        Some(f) => format!("{f} {name}"),
                        None => name,
                    })
                }
                "product_name" => here.product = Some(name),
                "product_version" => here.version = Some((name, false)),
                "product_version_range" => here.version = Some((name, true)),
                // service_pack, patch_level, architecture, language, legacy, host_name,
                // specification: kept out of the name.
                _ => {}
            }
            if let Some(product) = b.get("product") {
                let product = self.full_product_name(product, &format!("{p}/product"), &here)?;
                self.products.push(product);
            }
            if let Some(children) = b.get("branches") {
                self.branches(children, &format!("{p}/branches"), &here)?;
            }
        }
        Ok(())
    }

    fn full_product_name(
        &self,
        fpn: &Value,
        path: &str,
        ctx: &Context,
    ) -> Result<Product, ReadError> {
        let id = string(fpn.get("product_id"), &format!("{path}/product_id"))?;
        let full_name = fpn
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .trim()
            .to_string();
        let name = match (&ctx.family, &ctx.product) {
            (Some(f), Some(p)) if !p.to_lowercase().contains(&f.to_lowercase()) => {
                format!("{f} {p}")
            }
            (_, Some(p)) => p.clone(),
            (Some(f), None) => f.clone(),
            (None, None) => full_name.clone(),
        };
        let (version_text, versions) = match &ctx.version {
            Some((text, _)) => (text.clone(), VersionRange::parse_text(text)),
            // No version branch: the product at every version.
            None => (String::new(), VersionRange::All),
        };
        let helper = fpn.get("product_identification_helper");
        let strings = |key: &str| -> Vec<String> {
            helper
                .and_then(|h| h.get(key))
                .and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(Value::as_str)
                        .map(|s| s.trim().to_string())
                        .filter(|s| !s.is_empty())
                        .collect()
                })
                .unwrap_or_default()
        };
        Ok(Product {
            id: id.to_string(),
            vendor: ctx.vendor.clone(),
            name,
            full_name,
            versions,
            version_text,
            model_numbers: strings("model_numbers"),
            skus: strings("skus"),
            cpe: helper
                .and_then(|h| h.get("cpe"))
                .and_then(Value::as_str)
                .map(str::to_string),
            purl: helper
                .and_then(|h| h.get("purl"))
                .and_then(Value::as_str)
                .map(str::to_string),
            installed_on: None,
            platforms: Vec::new(),
        })
    }

    /// `installed_on` / `installed_with` / … : a product of its own, named after the
    /// platform (the device a hospital has), at the component's versions.
    fn relationship(&mut self, r: &Value, path: &str) -> Result<(), ReadError> {
        let component = string(
            r.get("product_reference"),
            &format!("{path}/product_reference"),
        )?;
        let platform = string(
            r.get("relates_to_product_reference"),
            &format!("{path}/relates_to_product_reference"),
        )?;
        let fpn = r
            .get("full_product_name")
            .ok_or_else(|| err(&format!("{path}/full_product_name"), "missing"))?;
        let mut product = self.full_product_name(
            fpn,
            &format!("{path}/full_product_name"),
            &Context::default(),
        )?;
        let find = |id: &str| self.products.iter().find(|p| p.id == id);
        let (comp, plat) = (find(component), find(platform));
        if let Some(plat) = plat {
            product.vendor = plat.vendor.clone();
            product.name = plat.name.clone();
            product.model_numbers = plat.model_numbers.clone();
        }
        if let Some(comp) = comp {
            if product.vendor.is_empty() {
                product.vendor = comp.vendor.clone();
            }
            product.versions = comp.versions.clone();
            product.version_text = comp.version_text.clone();
        }
        product.installed_on = Some((component.to_string(), platform.to_string()));
        self.products.push(product);
        Ok(())
    }

    /// Product ids and group ids, groups expanded to their products.
    fn expand(&self, ids: Vec<String>) -> Vec<String> {
        let mut out = Vec::new();
        for id in ids {
            match self.groups.get(&id) {
                Some(members) => out.extend(members.iter().cloned()),
                None => out.push(id),
            }
        }
        out
    }
}

fn id_list(v: Option<&Value>, path: &str) -> Result<Vec<String>, ReadError> {
    let Some(v) = v else {
        return Ok(Vec::new());
    };
    let list = v.as_array().ok_or_else(|| err(path, "not an array"))?;
    list.iter()
        .enumerate()
        .map(|(i, x)| {
            x.as_str()
                .map(|s| s.trim().to_string())
                .ok_or_else(|| err(&format!("{path}/{i}"), "not a string"))
        })
        .collect()
}

fn read_vulnerability(v: &Value, path: &str, tree: &Tree) -> Result<Vulnerability, ReadError> {
    let mut statuses = Vec::new();
    if let Some(ps) = v.get("product_status") {
        let ps = ps
            .as_object()
            .ok_or_else(|| err(&format!("{path}/product_status"), "not an object"))?;
        for (key, ids) in ps {
            let p = format!("{path}/product_status/{key}");
            let Some(status) = ProductStatus::from_key(key) else {
                return Err(err(&p, format!("unknown product status {key:?}")));
            };
            for id in tree.expand(id_list(Some(ids), &p)?) {
                statuses.push((id, status));
            }
        }
    }
    let mut cvss_v3: Option<Cvss> = None;
    let mut cvss_v4: Option<Cvss> = None;
    if let Some(scores) = v.get("scores").and_then(Value::as_array) {
        for (i, s) in scores.iter().enumerate() {
            for (key, slot, vector_key) in [
                ("cvss_v3", &mut cvss_v3, "vectorString"),
                ("cvss_v4", &mut cvss_v4, "vectorString"),
            ] {
                let Some(c) = s.get(key) else { continue };
                let p = format!("{path}/scores/{i}/{key}/baseScore");
                let score = match c.get("baseScore") {
                    Some(Value::Number(n)) => n.as_f64(),
                    Some(Value::String(s)) => s.trim().parse().ok(),
                    _ => None,
                }
                .filter(|s| (0.0..=10.0).contains(s))
                .ok_or_else(|| err(&p, "missing or not a score from 0 to 10"))?;
                let vector = c
                    .get(vector_key)
                    .and_then(Value::as_str)
                    .map(str::to_string);
                if slot.as_ref().is_none_or(|kept| score > kept.base_score) {
                    *slot = Some(Cvss {
                        base_score: score,
                        vector,
                    });
                }
            }
        }
    }
    let mut remediations = Vec::new();
    if let Some(rs) = v.get("remediations").and_then(Value::as_array) {
        for (i, r) in rs.iter().enumerate() {
            let p = format!("{path}/remediations/{i}");
            let category = string(r.get("category"), &format!("{p}/category"))?;
            let kind = RemediationKind::from_key(category).ok_or_else(|| {
                err(
                    &format!("{p}/category"),
                    format!("unknown remediation category {category:?}"),
                )
            })?;
            let details = r
                .get("details")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            let mut ids = id_list(r.get("product_ids"), &format!("{p}/product_ids"))?;
            ids.extend(id_list(r.get("group_ids"), &format!("{p}/group_ids"))?);
            remediations.push(Remediation {
                kind,
                fixed_versions: fixed_versions(&details),
                details,
                product_ids: tree.expand(ids),
            });
        }
    }
    Ok(Vulnerability {
        cve: v
            .get("cve")
            .and_then(Value::as_str)
            .map(|s| s.trim().to_string()),
        title: v.get("title").and_then(Value::as_str).map(str::to_string),
        cwe: v
            .pointer("/cwe/id")
            .and_then(Value::as_str)
            .map(str::to_string),
        cvss_v3,
        cvss_v4,
        statuses,
        remediations,
    })
}

/// Versions a remediation's text names as what to update to: a version-like word after
/// "version", "versions", "to", "release" or "firmware" in a sentence that speaks of
/// updating, upgrading, a fix or a patch; and `v1.52`-style words anywhere in such a
/// sentence.
pub fn fixed_versions(details: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    // Sentences end at a full stop before a space (versions hold dots), a semicolon or a line.
    let sentences = details
        .split(". ")
        .flat_map(|s| s.split([';', '\n']).collect::<Vec<_>>());
    for sentence in sentences {
        let lower = sentence.to_ascii_lowercase();
        let speaks_of_fix = ["update", "upgrade", "fix", "patch", "remediat", "release"]
            .iter()
            .any(|w| lower.contains(w));
        if !speaks_of_fix {
            continue;
        }
        let words: Vec<&str> = sentence.split_whitespace().collect();
        for (i, raw) in words.iter().enumerate() {
            let word =
                raw.trim_matches(|c: char| matches!(c, ',' | ';' | ':' | '(' | ')' | '"' | '\''));
            let word = word.strip_suffix('.').unwrap_or(word);
            let prev = i
                .checked_sub(1)
                .map(|j| words[j].to_ascii_lowercase())
                .unwrap_or_default();
            let after_trigger = matches!(
                prev.trim_matches(|c: char| !c.is_ascii_alphanumeric()),
                "version" | "versions" | "to" | "release" | "firmware" | "software" | "v"
            );
            let v_word = matches!(word.as_bytes(), [b'v' | b'V', d, ..] if d.is_ascii_digit())
                && word.contains('.');
            if (after_trigger && version_like(word)) || v_word {
                let w = word.to_string();
                if !out.contains(&w) {
                    out.push(w);
                }
            }
        }
    }
    out
}

/// A word that reads as a version: digits, with a dot or led by letters (`12.3.1`, `D29`,
/// `L81`, `C.00.04`), not a year alone, a CVE or a URL.
fn version_like(word: &str) -> bool {
    let has_digit = word.bytes().any(|b| b.is_ascii_digit());
    let ok_chars = word
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'));
    let year = word.len() == 4 && word.bytes().all(|b| b.is_ascii_digit());
    has_digit
        && ok_chars
        && !year
        && !word.to_ascii_uppercase().starts_with("CVE")
        && (word.contains('.') || word.starts_with(|c: char| c.is_ascii_alphabetic()))
}
