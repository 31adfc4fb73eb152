//! Product names: the other names one vendor's product goes by — the advisory's ("Alaris
//! Point-of-Care Unit (PCU) Model 8015"), the hospital's CMMS spelling ("Alaris PC Unit"),
//! the model number ("8015") — from `[[product]]` tables in `kb/products/` and any `--kb`
//! file:
//!
//! ```toml
//! [[product]]
//! vendor = "BD"            # brand = "…" when devices may be recorded under a brand
//! name = "Alaris PC Unit"
//! aliases = ["Alaris Point-of-Care Unit", "Alaris PCU", "Model 8015"]
//! source = "BD Alaris System user manual: the PC unit is model 8015"
//! ```
//!
//! Vulnerability matching tries a device's model under each of its product's names, so an
//! advisory that names the product one way reaches devices recorded another way. Names compare
//! by their letters and digits only (case, spaces and punctuation aside); vendors by the
//! vendor alias tables.

use std::path::PathBuf;

use serde::Deserialize;

use crate::kb::{KbError, VendorAliases};

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/kb_products.rs"));
}

#[derive(Debug, Default, Deserialize)]
struct ProductFile {
    // Rule and baseline keys are their loaders' business.
    #[serde(default)]
    product: Vec<ProductSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ProductSpec {
    vendor: String,
    /// A brand the vendor sells it under (Hillrom's "Welch Allyn"), which devices may be
    /// recorded under instead.
    brand: Option<String>,
    name: String,
    #[serde(default)]
    aliases: Vec<String>,
    source: Option<String>,
}

/// One product: its vendor's key and every name it goes by (the first is the canonical one).
#[derive(Debug, Clone)]
struct Product {
    vendor_key: String,
    brand_key: Option<String>,
    names: Vec<String>,
    keys: Vec<String>,
}

/// Every product's names.
#[derive(Debug, Default, Clone)]
pub struct ProductNames {
    products: Vec<Product>,
}

/// A name's comparison key: its letters and digits, lower case.
fn key(name: &str) -> String {
    name.chars()
        .filter(char::is_ascii_alphanumeric)
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

impl ProductNames {
    /// The shipped tables and the `[[product]]` tables of every TOML file in `extra` (files
    /// or folders, as `--kb` takes them), vendors folded by `vendors`.
    pub fn load(extra: &[PathBuf], vendors: &VendorAliases) -> Result<Self, KbError> {
        let texts = crate::kb::texts_with(embedded::FILES, extra)?;
        Self::from_texts(&texts, vendors)
    }

    /// Reads `[[product]]` tables from (name, text) files. Fails on the first bad entry,
    /// naming the file and the product.
    pub fn from_texts(
        texts: &[(String, String)],
        vendors: &VendorAliases,
    ) -> Result<Self, KbError> {
        let mut products: Vec<Product> = Vec::new();
        for (file, text) in texts {
            let parsed: ProductFile = toml::from_str(text).map_err(|e| KbError {
                file: file.clone(),
                rule: None,
                message: e.to_string().trim_end().replace('\n', " "),
            })?;
            for spec in parsed.product {
                let err = |message: String| KbError {
                    file: file.clone(),
                    rule: Some(spec.name.clone()),
                    message,
                };
                if spec.source.as_deref().is_none_or(|s| s.trim().is_empty()) {
                    return Err(err("a [[product]] without a source".into()));
                }
                let vendor_key = vendors.key(&spec.vendor);
                let brand_key = spec.brand.as_deref().map(|b| vendors.key(b));
                let names: Vec<String> = std::iter::once(&spec.name)
                    .chain(&spec.aliases)
                    .map(|n| n.trim().to_owned())
                    .collect();
                let keys: Vec<String> = names.iter().map(|n| key(n)).collect();
                if let Some(bad) = names.iter().zip(&keys).find(|(_, k)| k.len() < 3) {
                    return Err(err(format!(
                        "name {:?} is too short to tell products apart",
                        bad.0
                    )));
                }
                for (n, k) in names.iter().zip(&keys) {
                    if let Some(other) = products
                        .iter()
                        .find(|p| p.vendor_key == vendor_key && p.keys.contains(k))
                    {
                        return Err(err(format!(
                            "name {n:?} already names {:?} of the same vendor",
                            other.names[0]
                        )));
                    }
                }
                products.push(Product {
                    vendor_key,
                    brand_key,
                    names,
                    keys,
                });
            }
        }
        Ok(Self { products })
    }

    /// Number of products.
    pub fn len(&self) -> usize {
        self.products.len()
    }

    /// Whether no table names a product.
    pub fn is_empty(&self) -> bool {
        self.products.is_empty()
    }

    /// The other names of the product that `model` names for the vendor (or brand) of key
    /// `vendor_key` (empty when no table knows it).
    pub fn other_names(&self, vendor_key: &str, model: &str) -> Vec<&str> {
        let k = key(model);
        self.products
            .iter()
            .find(|p| {
                (p.vendor_key == vendor_key || p.brand_key.as_deref() == Some(vendor_key))
                    && p.keys.contains(&k)
            })
            .map(|p| {
                p.names
                    .iter()
                    .zip(&p.keys)
                    .filter(|(_, nk)| **nk != k)
                    .map(|(n, _)| n.as_str())
                    .collect()
            })
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::KnowledgeBase;

    #[test]
    fn the_shipped_tables_load_and_name_products_by_vendor() {
        let kb = KnowledgeBase::embedded().unwrap();
        let names = ProductNames::load(&[], kb.vendors()).unwrap();
        assert!(names.len() >= 10, "{}", names.len());
        let bd = kb.vendors().key("Becton, Dickinson and Company");
        let other = names.other_names(&bd, "alaris pcu");
        assert!(other.contains(&"Alaris Point-of-Care Unit"), "{other:?}");
        assert!(
            names
                .other_names(&kb.vendors().key("Philips"), "Alaris PCU")
                .is_empty(),
            "another vendor's product"
        );
    }

    #[test]
    fn bad_tables_are_refused_by_file_and_product() {
        let vendors = VendorAliases::default();
        let text = |t: &str| vec![("mine.toml".to_string(), t.to_string())];
        let e = ProductNames::from_texts(
            &text("[[product]]\nvendor = \"A\"\nname = \"Pump 1\"\n"),
            &vendors,
        )
        .unwrap_err();
        assert_eq!(
            (e.file.as_str(), e.rule.as_deref()),
            ("mine.toml", Some("Pump 1"))
        );
        assert!(e.message.contains("source"), "{}", e.message);
        let e = ProductNames::from_texts(
            &text("[[product]]\nvendor = \"A\"\nname = \"Pump 1\"\naliases = [\"P1\"]\nsource = \"s\"\n"),
            &vendors,
        )
        .unwrap_err();
        assert!(e.message.contains("too short"), "{}", e.message);
        let e = ProductNames::from_texts(
            &text("[[product]]\nvendor = \"A\"\nname = \"Pump 1\"\nsource = \"s\"\n[[product]]\nvendor = \"A\"\nname = \"PUMP-1\"\nsource = \"s\"\n"),
            &vendors,
        )
        .unwrap_err();
        assert!(e.message.contains("already names"), "{}", e.message);
        // A rule file holding products and rules reads.
        let ok = ProductNames::from_texts(
            &text("[[rule]]\nid = \"x\"\n[[product]]\nvendor = \"A\"\nname = \"Pump 1\"\naliases = [\"Infusor 100\"]\nsource = \"s\"\n"),
            &vendors,
        )
        .unwrap();
        assert_eq!(ok.other_names(&vendors.key("A"), "infusor-100"), ["Pump 1"]);
    }
}
