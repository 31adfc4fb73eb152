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

use foldhash::HashMap;

use serde::Deserialize;

use super::rule::Text;

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
#[derive(Debug, Default, Clone)]
pub struct VendorAliases {
    /// An alias's normal form → (its canonical name, that name's normal form): borrowed from
    /// the shipped table (`shipped.rs`), owned when read at run time.
    canonical: HashMap<Text, (Text, Text)>,
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
    if !name.is_ascii() {
        return normalize_chars(name);
    }
    // ASCII: the same words, lower case, one space apart, without a vector of them.
    let mut out = String::with_capacity(name.len());
    let mut gap = false;
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() {
            if gap && !out.is_empty() {
                out.push(' ');
            }
            gap = false;
            out.push(char::from(b.to_ascii_lowercase()));
        } else {
            gap = true;
        }
    }
    while let Some(space) = out.rfind(' ')
        && SUFFIXES.contains(&&out[space + 1..])
    {
        out.truncate(space);
    }
    out
}

/// [`normalize`] for any text: letters and digits of every script.
fn normalize_chars(name: &str) -> String {
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
    /// The aliases compiled into the binary.
    pub(crate) fn shipped(table: &'static [(&'static str, &'static str, &'static str)]) -> Self {
        let mut canonical = HashMap::with_capacity_and_hasher(table.len(), Default::default());
        for &(alias, name, key) in table {
            canonical.insert(
                Text::Borrowed(alias),
                (Text::Borrowed(name), Text::Borrowed(key)),
            );
        }
        Self { canonical }
    }

    pub(crate) fn extend(&mut self, specs: Vec<VendorSpec>) -> Result<(), String> {
        for spec in specs {
            let name = spec.name.trim().to_owned();
            if name.is_empty() {
                return Err("a [[vendor]] without a name".into());
            }
            if spec.source.as_deref().is_none_or(|s| s.trim().is_empty()) {
                return Err(format!("vendor {name:?}: no source"));
            }
            let name_key = normalize(&name);
            for alias in std::iter::once(&name).chain(&spec.aliases) {
                let key = normalize(alias);
                match self.lookup(&key) {
                    Some((other, _)) if other != name => {
                        return Err(format!(
                            "vendor {name:?}: alias {alias:?} already names {other:?}"
                        ));
                    }
                    Some(_) => {}
                    None => {
                        self.canonical.insert(
                            Text::Owned(key),
                            (Text::Owned(name.clone()), Text::Owned(name_key.clone())),
                        );
                    }
                }
            }
        }
        Ok(())
    }

    /// (canonical name, its normal form) for a normal form.
    fn lookup(&self, normal: &str) -> Option<(&str, &str)> {
        self.canonical
            .get(normal)
            .map(|(name, key)| (name.as_ref(), key.as_ref()))
    }

    /// The canonical name for `name`, or `name` itself if the table does not know it.
    pub fn canonical(&self, name: &str) -> String {
        match self.lookup(&normalize(name)) {
            Some((canonical, _)) => canonical.to_owned(),
            None => name.trim().to_owned(),
        }
    }

    /// The comparison key: the canonical name's normal form.
    pub fn key(&self, name: &str) -> String {
        let n = normalize(name);
        match self.lookup(&n) {
            Some((_, key)) => key.to_owned(),
            None => n,
        }
    }

    /// [`Self::canonical`] and the [`Self::key`] of that canonical name, normalising once.
    pub(crate) fn canonical_and_key(&self, name: &str) -> (String, String) {
        let n = normalize(name);
        match self.lookup(&n) {
            Some((canonical, key)) => (canonical.to_owned(), key.to_owned()),
            // Unknown: the name, trimmed, whose normal form is this one.
            None => (name.trim().to_owned(), n),
        }
    }

    /// Every alias as (normal form, canonical name, its normal form), sorted: what
    /// `shipped.rs` is generated from.
    #[cfg(test)]
    pub(crate) fn entries(&self) -> Vec<(&str, &str, &str)> {
        let mut out: Vec<(&str, &str, &str)> = self
            .canonical
            .iter()
            .map(|(k, (n, nk))| (k.as_ref(), n.as_ref(), nk.as_ref()))
            .collect();
        out.sort_unstable();
        out
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

    proptest::proptest! {
        /// The ASCII path finds the words the general one does.
        #[test]
        fn ascii_names_normalize_as_any_text(name in "[ -~]{0,40}") {
            proptest::prop_assert_eq!(normalize(&name), normalize_chars(&name));
        }
    }
}
