//! The version prose of advisories, read into constraints — or refused, so that matching
//! says "version rule not understood" instead of guessing.
//!
//! Read: a comparator and a version (`<= 12.1.3`, `< 6.9.2 CU01`, `<8/30/2024`); a version
//! and a direction (`2.3.6 and below`, `L81 and earlier`, `4.2 and later`); `prior to` /
//! `before` a version; `all versions`; wildcards (`V4.x`, `4.*`); lists and intervals joined by
//! `|`, `,`, ` / ` or `and` (`5.0|5.1`, `V1.1, V1.2, and V1.3`, `>= v20D29 | <= v20D32`).
//! Parenthesised asides (`4.7u1 (JACE-8000 Edge 10)`) are dropped. Anything holding a word that
//! is not part of a version or of these phrases (`distributed < april 1, 2018`, `running on old
//! operating systems`) is not read.

use super::{Comparator, Constraint, VersionRange, sorted};

/// Words that introduce a version and mean nothing more.
const LEAD_INS: &[&str] = &[
    "all", "software", "firmware", "version", "versions", "release", "releases", "and", "or", "the",
];

/// Words that may stand inside a version string (`MP1.1 Build 845`, `1.1.3 MR Build 11`).
const VERSION_WORDS: &[&str] = &[
    "build", "b", "sp", "mr", "cu", "rev", "r", "patch", "update", "hotfix", "hf", "u", "x",
];

const MONTHS: &[&str] = &[
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
    "jan",
    "feb",
    "mar",
    "apr",
    "jun",
    "jul",
    "aug",
    "sep",
    "sept",
    "oct",
    "nov",
    "dec",
];

/// Trailing phrases: the version and everything below (`Le`) or above (`Ge`).
const AND_BELOW: &[&str] = &[
    "and below",
    "and earlier",
    "and prior",
    "and older",
    "and lower",
    "or below",
    "or earlier",
    "or prior",
    "or older",
    "or lower",
    "and all prior versions",
    "and all previous versions",
    "and previous versions",
    "and prior versions",
    "and earlier versions",
];
const AND_ABOVE: &[&str] = &[
    "and above",
    "and later",
    "and newer",
    "and higher",
    "or above",
    "or later",
    "or newer",
    "or higher",
];
/// Leading phrases: everything below the version (`Lt`).
const PRIOR_TO: &[&str] = &[
    "prior to",
    "before",
    "earlier than",
    "older than",
    "lower than",
    "below",
];

/// The range `text` states, or `None` if it is not read.
pub(crate) fn parse(text: &str) -> Option<VersionRange> {
    let text = drop_asides(text)?;
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let original = text.trim_end_matches('.');
    // Phrases are found in the lower-cased text; versions keep the case they were written
    // in (ASCII lower-casing keeps every byte offset).
    let lower_owned = original.to_ascii_lowercase();
    let lower = lower_owned.as_str();
    if lower.is_empty() {
        return None;
    }
    if matches!(lower, "*" | "all" | "all versions" | "any" | "any version") {
        return Some(VersionRange::All);
    }
    let mut constraints = Vec::new();
    for item in split_items(lower) {
        for found in item_constraints(item)? {
            // Every slice `item_constraints` returns is a slice of `lower`.
            let at = found.version.as_ptr() as usize - lower.as_ptr() as usize;
            constraints.push(Constraint {
                comparator: found.comparator,
                version: original[at..at + found.version.len()].to_string(),
            });
        }
    }
    if constraints.is_empty() {
        return None;
    }
    Some(VersionRange::Constraints(sorted(constraints)))
}

/// The text without `( … )` asides; `None` if the parentheses do not balance.
fn drop_asides(text: &str) -> Option<String> {
    let mut out = String::with_capacity(text.len());
    let mut depth = 0u32;
    for c in text.chars() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.checked_sub(1)?,
            _ if depth == 0 => out.push(c),
            _ => {}
        }
    }
    (depth == 0).then_some(out)
}

/// Items of a list: split on `|`, `,`, ` / ` and a standalone `and` that joins two versions
/// (not the `and` of `and below`).
fn split_items(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    for part in text.split(['|', ',']) {
        for piece in part.split(" / ") {
            let piece = piece.trim();
            if piece.is_empty() {
                continue;
            }
            out.extend(split_on_and(piece));
        }
    }
    out
}

fn split_on_and(piece: &str) -> Vec<&str> {
    let phrase_follows = |rest: &str| {
        let rest = rest.trim_start();
        AND_BELOW.iter().chain(AND_ABOVE).any(|p| {
            p.strip_prefix("and ")
                .is_some_and(|tail| rest.starts_with(tail))
        }) || rest.starts_with("all ")
            || rest.starts_with("previous")
            || rest.starts_with("prior")
    };
    let mut out = Vec::new();
    let mut rest = piece;
    while let Some(at) = rest.find(" and ") {
        let (head, tail) = (&rest[..at], &rest[at + 5..]);
        if phrase_follows(tail) {
            break;
        }
        if !head.trim().is_empty() {
            out.push(head.trim());
        }
        rest = tail;
    }
    if !rest.trim().is_empty() {
        out.push(rest.trim());
    }
    out
}

/// One list item as constraints (one, except none for a bare lead-in).
fn item_constraints(item: &str) -> Option<Vec<Found<'_>>> {
    // Lead-in words: "all software versions L81 and earlier", "and V1.3".
    let item = strip_lead_ins(item.trim());
    if LEAD_INS.contains(&item) {
        return Some(Vec::new());
    }
    for p in AND_BELOW {
        if let Some(v) = item.strip_suffix(p) {
            return one(Comparator::Le, v);
        }
    }
    for p in AND_ABOVE {
        if let Some(v) = item.strip_suffix(p) {
            return one(Comparator::Ge, v);
        }
    }
    for p in PRIOR_TO {
        if let Some(v) = item.strip_prefix(p) {
            return one(Comparator::Lt, v);
        }
    }
    for (prefix, c) in [
        (">=", Comparator::Ge),
        ("=>", Comparator::Ge),
        ("<=", Comparator::Le),
        ("=<", Comparator::Le),
        ("!=", Comparator::Ne),
        ("<", Comparator::Lt),
        (">", Comparator::Gt),
        ("=", Comparator::Eq),
    ] {
        if let Some(v) = item.strip_prefix(prefix) {
            return one(c, v);
        }
    }
    if let Some(stem) = item
        .strip_suffix(".x")
        .or_else(|| item.strip_suffix(".*"))
        .or_else(|| item.strip_suffix("_x"))
    {
        return one(Comparator::Prefix, stem);
    }
    one(Comparator::Eq, item)
}

/// A constraint whose version is still a slice of the lower-cased text.
struct Found<'a> {
    comparator: Comparator,
    version: &'a str,
}

fn one(comparator: Comparator, version: &str) -> Option<Vec<Found<'_>>> {
    let version = version.trim().trim_start_matches(['=', ' ']);
    let version = strip_lead_ins(version);
    if !looks_like_version(version) {
        return None;
    }
    Some(vec![Found {
        comparator,
        version,
    }])
}

fn strip_lead_ins(mut v: &str) -> &str {
    while let Some((first, rest)) = v.split_once(char::is_whitespace) {
        if LEAD_INS.contains(&first) {
            v = rest.trim_start();
        } else {
            break;
        }
    }
    v
}

/// A version: has a digit, no comparator left inside, no month name, and every
/// letters-only word is one that versions use.
fn looks_like_version(v: &str) -> bool {
    if v.is_empty() || !v.bytes().any(|b| b.is_ascii_digit()) || v.contains(['<', '>', '=']) {
        return false;
    }
    if v.starts_with(|c: char| !c.is_ascii_alphanumeric()) {
        return false;
    }
    v.split(|c: char| c.is_whitespace())
        .filter(|w| !w.is_empty())
        .all(|w| {
            let letters_only = w.chars().all(|c| c.is_ascii_alphabetic());
            !MONTHS.contains(&w) && (!letters_only || VERSION_WORDS.contains(&w) || w.len() == 1)
        })
}
