//! Vendor names: one canonical name per manufacturer and the spellings that mean it (the IEEE
//! registry's legal names, brands, acquired companies), from `[[vendor]]` tables in kb files:
//!
//! ```toml
//! [[vendor]]
//! name = "BD"
//! aliases = ["Becton, Dickinson and Company", "Becton Dickinson", "CareFusion"]
//! source = "BD annual report 2015: CareFusion acquisition"
//! ```
//!
//! Names compare by a normal form: lower case, punctuation as spaces, and corporate suffixes
//! ("Inc.", "Co., Ltd.", "GmbH", …) dropped, so "Philips Medical Systems Inc" and "PHILIPS
//! MEDICAL SYSTEMS" are one name even without an alias.

use std::collections::HashMap;

use serde::Deserialize;

/// A `[[vendor]]` table as written.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct VendorSpec {
    name: String,
    #[serde(default)]
    aliases: Vec<String>,
    source: Option<String>,
}

/// Normal form → canonical name.
#[derive(Debug, Default)]
pub struct VendorAliases {
    canonical: HashMap<String, String>,
}

/// Words dropped from the end of a company name before comparing.
const SUFFIXES: &[&str] = &[
    "inc",
    "incorporated",
    "corp",
    "corporation",
    "co",
    "company",
    "ltd",
    "limited",
    "llc",
    "plc",
    "gmbh",
    "ag",
    "kg",
    "sa",
    "sas",
    "srl",
    "spa",
    "bv",
    "nv",
    "ab",
    "as",
    "oy",
    "pty",
    "kk",
    "lp",
    // What is left of "… and Company", "… & Co.".
    "and",
];

/// The normal form of a company name.
pub fn normalize(name: &str) -> String {
    let lowered: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_lowercase().next().unwrap_or(c)
            } else {
                ' '
            }
        })
        .collect();
    let mut words: Vec<&str> = lowered.split_whitespace().collect();
    while words.len() > 1 && words.last().is_some_and(|w| SUFFIXES.contains(w)) {
        words.pop();
    }
    words.join(" ")
}

impl VendorAliases {
    pub(crate) fn extend(&mut self, specs: Vec<VendorSpec>) -> Result<(), String> {
        for spec in specs {
            let name = spec.name.trim().to_owned();
            if name.is_empty() {
                return Err("a [[vendor]] without a name".into());
            }
            if spec.source.as_deref().is_none_or(|s| s.trim().is_empty()) {
                return Err(format!("vendor {name:?}: no source"));
            }
            for alias in std::iter::once(&name).chain(&spec.aliases) {
                let key = normalize(alias);
                if let Some(other) = self.canonical.get(&key)
                    && *other != name
                {
                    return Err(format!(
                        "vendor {name:?}: alias {alias:?} already names {other:?}"
                    ));
                }
                self.canonical.insert(key, name.clone());
            }
        }
        Ok(())
    }

    /// The canonical name for `name`, or `name` itself if the table does not know it.
    pub fn canonical(&self, name: &str) -> String {
        self.canonical
            .get(&normalize(name))
            .cloned()
            .unwrap_or_else(|| name.trim().to_owned())
    }

    /// The comparison key: the canonical name's normal form.
    pub fn key(&self, name: &str) -> String {
        let n = normalize(name);
        match self.canonical.get(&n) {
            Some(c) => normalize(c),
            None => n,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suffixes_and_punctuation_do_not_matter() {
        assert_eq!(
            normalize("Philips Medical Systems Inc."),
            "philips medical systems"
        );
        assert_eq!(
            normalize("PHILIPS MEDICAL SYSTEMS"),
            "philips medical systems"
        );
        assert_eq!(
            normalize("Hon Hai Precision Ind. Co.,Ltd."),
            "hon hai precision ind"
        );
        assert_eq!(normalize("The Company"), "the");
        assert_eq!(
            normalize("Becton, Dickinson and Company"),
            "becton dickinson"
        );
        assert_eq!(normalize("Johnson & Johnson"), "johnson johnson");
    }

    #[test]
    fn aliases_map_to_one_name_and_conflicts_are_refused() {
        let mut v = VendorAliases::default();
        let spec = |name: &str, aliases: &[&str]| VendorSpec {
            name: name.into(),
            aliases: aliases.iter().map(|a| (*a).into()).collect(),
            source: Some("test".into()),
        };
        v.extend(vec![spec(
            "BD",
            &["Becton, Dickinson and Company", "CareFusion"],
        )])
        .unwrap();
        assert_eq!(v.canonical("BECTON DICKINSON AND COMPANY"), "BD");
        assert_eq!(v.key("CareFusion Inc"), "bd");
        assert_eq!(v.canonical("Acme Medical"), "Acme Medical");
        let err = v.extend(vec![spec("Other", &["CareFusion"])]).unwrap_err();
        assert!(err.contains("already names"), "{err}");
    }
}
