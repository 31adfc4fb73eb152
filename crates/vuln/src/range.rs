//! Version ranges as advisories state them: the `vers` notation (package-url/vers-spec) and
//! the prose vendors write instead (`<= 12.1.3`, `2.3.6 and below`, `V4.x`, `v9 | v11 | >=
//! v20D29 | <= v20D32`, `<8/30/2024`).
//!
//! Versions compare with [`model::compare_versions`] whatever the `vers` scheme says: the
//! schemes of medical and building devices are vendor formats (`3.0.11.5_BN9`, `C.00.04`,
//! `V5.00.204`) that no package ecosystem orders, and one comparator that reads them all is
//! what matching needs. Containment follows the vers-spec algorithm: `=` and `!=` decide
//! first, then the remaining comparators, sorted by version, are read as a union of intervals
//! (a leading `<`/`<=` opens one from below, a trailing `>`/`>=` one upwards, and each `>`/`>=`
//! followed by `<`/`<=` bounds one).

use std::cmp::Ordering;
use std::fmt;

use model::compare_versions;
use serde::{Deserialize, Serialize};

/// A constraint's comparator; [`Comparator::Prefix`] is `4.x` (every version that begins
/// with `4`), which vendors write and vers does not have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Comparator {
    #[serde(rename = "<")]
    Lt,
    #[serde(rename = "<=")]
    Le,
    #[serde(rename = "=")]
    Eq,
    #[serde(rename = "!=")]
    Ne,
    #[serde(rename = ">=")]
    Ge,
    #[serde(rename = ">")]
    Gt,
    #[serde(rename = "=*")]
    Prefix,
}

impl Comparator {
    /// As vers writes it (`=` is written, though canonical vers leaves it out).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Lt => "<",
            Self::Le => "<=",
            Self::Eq => "=",
            Self::Ne => "!=",
            Self::Ge => ">=",
            Self::Gt => ">",
            Self::Prefix => "=*",
        }
    }

    fn is_lower_bound(self) -> bool {
        matches!(self, Self::Gt | Self::Ge)
    }

    fn is_upper_bound(self) -> bool {
        matches!(self, Self::Lt | Self::Le)
    }

    /// Whether `version` stands on the allowed side of a bound at `at`.
    fn admits(self, version: &str, at: &str) -> bool {
        let o = compare_versions(version, at);
        match self {
            Self::Lt => o == Ordering::Less,
            Self::Le => o != Ordering::Greater,
            Self::Gt => o == Ordering::Greater,
            Self::Ge => o != Ordering::Less,
            Self::Eq => o == Ordering::Equal,
            Self::Ne => o != Ordering::Equal,
            Self::Prefix => has_prefix(version, at),
        }
    }
}

/// One comparator and the version it compares with.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Constraint {
    pub comparator: Comparator,
    pub version: String,
}

impl fmt::Display for Constraint {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.comparator {
            Comparator::Eq => f.write_str(&self.version),
            Comparator::Prefix => write!(f, "{}.*", self.version),
            c => write!(f, "{}{}", c.as_str(), self.version),
        }
    }
}

/// The versions an advisory product entry covers.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionRange {
    /// Every version (`vers:all/*`, "all versions").
    All,
    /// A union of intervals and points (see the module docs), sorted by version.
    Constraints(Vec<Constraint>),
    /// Text this module does not read (kept as written): matching treats the version as
    /// unknown — possibly affected, never certain.
    Unread(String),
}

impl fmt::Display for VersionRange {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::All => f.write_str("*"),
            Self::Constraints(cs) => {
                for (i, c) in cs.iter().enumerate() {
                    if i > 0 {
                        f.write_str("|")?;
                    }
                    write!(f, "{c}")?;
                }
                Ok(())
            }
            Self::Unread(t) => write!(f, "unread: {t}"),
        }
    }
}

impl VersionRange {
    /// Whether `version` is in the range; `None` when the range was not understood.
    pub fn contains(&self, version: &str) -> Option<bool> {
        match self {
            Self::All => Some(true),
            Self::Constraints(cs) => Some(contains(cs, version)),
            Self::Unread(_) => None,
        }
    }

    /// Whether the range was understood.
    pub fn is_read(&self) -> bool {
        !matches!(self, Self::Unread(_))
    }

    /// A `vers:` string read strictly, as the vers-spec conformance suite requires of
    /// canonical input: no whitespace, no empty constraint, valid and canonical
    /// percent-encoding, constraints sorted by version. Returns the scheme and the range.
    pub fn parse_vers_canonical(text: &str) -> Result<(String, VersionRange), String> {
        let (scheme, body) = split_vers(text)?;
        if text.bytes().any(|b| b.is_ascii_whitespace()) {
            return Err("non-canonical VERS: whitespace is not permitted".into());
        }
        if body.starts_with('|') {
            return Err("non-canonical VERS: leading pipe is not permitted".into());
        }
        if body.ends_with('|') {
            return Err("non-canonical VERS: trailing pipe is not permitted".into());
        }
        if body.contains("||") {
            return Err("non-canonical VERS: consecutive pipes are not permitted".into());
        }
        if body == "*" {
            return Ok((scheme.to_string(), VersionRange::All));
        }
        let mut cs = Vec::new();
        for part in body.split('|') {
            let (comparator, raw) = split_comparator(part);
            if raw.is_empty() {
                return Err(format!("empty version in constraint {part:?}"));
            }
            let version = percent_decode_canonical(raw)?;
            if scheme == "datetime" {
                check_datetime(raw)?;
            }
            cs.push(Constraint {
                comparator,
                version,
            });
        }
        if cs
            .windows(2)
            .any(|w| compare_versions(&w[0].version, &w[1].version) == Ordering::Greater)
        {
            return Err("non-canonical VERS: constraints are not sorted by version".into());
        }
        Ok((scheme.to_string(), VersionRange::Constraints(cs)))
    }

    /// A `vers:` string as advisories write it: whitespace ignored, constraints sorted here,
    /// vendor version syntax kept (`vers:all/<=3.0.11.5_BN9`). `None` if it is not `vers:`.
    pub fn parse_vers_lenient(text: &str) -> Option<Result<VersionRange, String>> {
        let text = text.trim();
        if !text.get(..5)?.eq_ignore_ascii_case("vers:") {
            return None;
        }
        Some(split_vers(text).and_then(|(_, body)| {
            let parts: Vec<&str> = body
                .split('|')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .collect();
            if parts.is_empty() {
                return Err("no constraint after the scheme".into());
            }
            if parts.contains(&"*") {
                return Ok(VersionRange::All);
            }
            let mut cs = Vec::new();
            for part in parts {
                let (comparator, raw) = split_comparator(part);
                let raw = raw.trim();
                if raw.is_empty() {
                    return Err(format!("empty version in constraint {part:?}"));
                }
                let version = percent_decode_lenient(raw);
                cs.push(Constraint {
                    comparator,
                    version,
                });
            }
            Ok(VersionRange::Constraints(sorted(cs)))
        }))
    }

    /// Any version text of an advisory: `vers:` (lenient), or the prose forms vendors use.
    /// What cannot be read is kept as [`VersionRange::Unread`].
    pub fn parse_text(text: &str) -> VersionRange {
        if let Some(parsed) = Self::parse_vers_lenient(text) {
            return parsed.unwrap_or_else(|_| VersionRange::Unread(text.trim().to_string()));
        }
        crate::range::prose::parse(text).unwrap_or_else(|| VersionRange::Unread(text.trim().into()))
    }
}

/// `vers:<scheme>/<constraints>` → (scheme, constraints).
fn split_vers(text: &str) -> Result<(&str, &str), String> {
    let rest = text
        .strip_prefix("vers:")
        .or_else(|| {
            text.get(5..)
                .filter(|_| text[..5].eq_ignore_ascii_case("vers:"))
        })
        .ok_or("not a vers: range")?;
    let (scheme, body) = rest.split_once('/').ok_or("no '/' after the scheme")?;
    if scheme.is_empty() {
        return Err("empty scheme".into());
    }
    Ok((scheme.trim(), body))
}

fn split_comparator(part: &str) -> (Comparator, &str) {
    for (prefix, c) in [
        (">=", Comparator::Ge),
        ("<=", Comparator::Le),
        ("!=", Comparator::Ne),
        ("<", Comparator::Lt),
        (">", Comparator::Gt),
        ("=", Comparator::Eq),
    ] {
        if let Some(rest) = part.strip_prefix(prefix) {
            return (c, rest);
        }
    }
    (Comparator::Eq, part)
}

/// Sorted by version (stable: equal versions keep their written order).
pub(crate) fn sorted(mut cs: Vec<Constraint>) -> Vec<Constraint> {
    cs.sort_by(|a, b| compare_versions(&a.version, &b.version));
    cs
}

/// vers-spec: `%` must start two hex digits; canonical encoding uses upper-case hex and
/// encodes nothing that needs no encoding (here: only `%`, `|`, `/`, `:` and bytes outside
/// printable ASCII need it).
fn percent_decode_canonical(raw: &str) -> Result<String, String> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .filter(|h| h.iter().all(u8::is_ascii_hexdigit))
                .ok_or("non-canonical VERS: invalid percent-encoding in version")?;
            if hex.iter().any(u8::is_ascii_lowercase) {
                return Err(
                    "non-canonical VERS: percent-encoding in version is not canonical".into(),
                );
            }
            let b = u8::from_str_radix(std::str::from_utf8(hex).unwrap_or("00"), 16)
                .map_err(|e| e.to_string())?;
            out.push(b);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| "version is not UTF-8 once decoded".into())
}

fn percent_decode_lenient(raw: &str) -> String {
    percent_decode_canonical(&raw.replace("%3a", "%3A").replace("%2f", "%2F"))
        .unwrap_or_else(|_| raw.to_string())
}

/// The datetime scheme's canonical form: RFC 3339 with upper-case `T` and `Z` and the
/// colons written plainly.
fn check_datetime(raw: &str) -> Result<(), String> {
    if raw.contains('t') || raw.contains('z') {
        return Err("non-canonical VERS: datetime must use uppercase T and Z".into());
    }
    if raw.contains("%3A") {
        return Err("non-canonical VERS: datetime time colons must be unencoded".into());
    }
    if raw.contains("%3a") {
        return Err("non-canonical VERS: percent-encoding in version is not canonical".into());
    }
    Ok(())
}

/// `version` begins with `prefix`'s tokens (digit and letter runs), compared as versions
/// compare them (`4.10.2` begins with `4`, `41.0` does not).
fn has_prefix(version: &str, prefix: &str) -> bool {
    let tv = tokens(version);
    let tp = tokens(prefix);
    tp.len() <= tv.len()
        && tv
            .iter()
            .zip(&tp)
            .all(|(a, b)| compare_versions(a, b) == Ordering::Equal)
}

/// Runs of digits and runs of ASCII letters; a leading `v` before a digit is dropped, as
/// [`compare_versions`] drops it.
fn tokens(v: &str) -> Vec<&str> {
    let v = strip_v(v.trim());
    let b = v.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < b.len() {
        let start = i;
        if b[i].is_ascii_digit() {
            while i < b.len() && b[i].is_ascii_digit() {
                i += 1;
            }
            out.push(&v[start..i]);
        } else if b[i].is_ascii_alphabetic() {
            while i < b.len() && b[i].is_ascii_alphabetic() {
                i += 1;
            }
            out.push(&v[start..i]);
        } else {
            i += 1;
        }
    }
    out
}

/// `V4.2` → `4.2`.
fn strip_v(v: &str) -> &str {
    match v.as_bytes() {
        [b'v' | b'V', d, ..] if d.is_ascii_digit() => &v[1..],
        _ => v,
    }
}

/// The vers-spec containment algorithm over constraints sorted by version.
fn contains(cs: &[Constraint], version: &str) -> bool {
    let mut points = false;
    for c in cs {
        match c.comparator {
            Comparator::Eq | Comparator::Prefix => {
                if c.comparator.admits(version, &c.version) {
                    return true;
                }
                points = true;
            }
            Comparator::Ne if compare_versions(version, &c.version) == Ordering::Equal => {
                return false;
            }
            _ => {}
        }
    }
    let bounds: Vec<&Constraint> = cs
        .iter()
        .filter(|c| c.comparator.is_lower_bound() || c.comparator.is_upper_bound())
        .collect();
    match bounds.as_slice() {
        // Only points and exclusions: in if it was not a point list (`!=1.0` alone is every
        // other version).
        [] => !points,
        [one] => one.comparator.admits(version, &one.version),
        _ => {
            let last = bounds.len() - 2;
            for (i, pair) in bounds.windows(2).enumerate() {
                let (cur, next) = (pair[0], pair[1]);
                if i == 0
                    && cur.comparator.is_upper_bound()
                    && cur.comparator.admits(version, &cur.version)
                {
                    return true;
                }
                if i == last
                    && next.comparator.is_lower_bound()
                    && next.comparator.admits(version, &next.version)
                {
                    return true;
                }
                if cur.comparator.is_lower_bound()
                    && next.comparator.is_upper_bound()
                    && cur.comparator.admits(version, &cur.version)
                    && next.comparator.admits(version, &next.version)
                {
                    return true;
                }
            }
            false
        }
    }
}

mod prose;

#[cfg(test)]
mod tests;
