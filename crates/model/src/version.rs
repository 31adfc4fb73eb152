//! Comparing firmware and software versions across vendor formats: dotted numbers (`4.2.10`),
//! build numbers (`3.0.11.5_BN10`), letters (`C.00.04`, `1.0.2k`), suffixes (`6.9.2 CU01`)
//! and pre-releases (`2.0-rc1`).
//!
//! A version is read as a sequence of tokens: runs of digits (compared as numbers, so `10` >
//! `9` and `007` = `7`) and runs of letters (compared case-insensitively); every other
//! character only separates. Zeros that only pad are dropped (`1.0` = `1.0.0` = `1`). Sequences
//! compare token by token; at one place a pre-release word (`dev`, `snapshot`, `alpha`,
//! `beta`, `preview`, `pre`, `rc`, in that order) sorts before the version ending there
//! (`2.0-rc1` < `2.0`), any other word after it (`6.9.2 CU01` > `6.9.2`, `1.0.2k` > `1.0.2`),
//! and a number after any word (`1.0.1` > `1.0.a`). This is a total order (property-tested).
//! A `v` or `V` just before the first digit is dropped (`V4.2` = `4.2`).
//! Dates order by day: year-month-day as written (`2024-08-30`, `20240830` as one number),
//! and the US month/day/year that advisories use (`8/30/2024`) read as year, month, day, so
//! `8/30/2024` = `2024-08-30` < `1/5/2025`. (Day/month/year, the European order, cannot be
//! told from it by its digits alone and is not read as a date.)

use std::cmp::Ordering;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Token<'a> {
    /// Digits without leading zeros ("" for zero).
    Number(&'a str),
    /// Letters, compared ASCII case-insensitively.
    Word(&'a str),
}

fn tokens(v: &str) -> Vec<Token<'_>> {
    if let Some(date) = us_date(v) {
        return date;
    }
    // `V4.2` is `4.2`: a `v` in front of the first digit only names what follows.
    let v = v.trim_start();
    let v = match v.as_bytes() {
        [b'v' | b'V', d, ..] if d.is_ascii_digit() => &v[1..],
        _ => v,
    };
    let mut out = Vec::new();
    let bytes = v.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        let start = i;
        if bytes[i].is_ascii_digit() {
            while i < bytes.len() && bytes[i].is_ascii_digit() {
                i += 1;
            }
            out.push(Token::Number(v[start..i].trim_start_matches('0')));
        } else if bytes[i].is_ascii_alphabetic() {
            while i < bytes.len() && bytes[i].is_ascii_alphabetic() {
                i += 1;
            }
            out.push(Token::Word(&v[start..i]));
        } else {
            // A separator, or a byte of a non-ASCII character: skipped whole.
            i += v[i..].chars().next().map_or(1, char::len_utf8);
        }
    }
    out
}

/// `M/D/YYYY` (the whole string, one or two digits for month and day, a valid month and day
/// number) as the tokens of `YYYY.M.D`.
fn us_date(v: &str) -> Option<Vec<Token<'_>>> {
    let mut parts = v.trim().split('/');
    let (m, d, y) = (parts.next()?, parts.next()?, parts.next()?);
    let digits = |s: &str, lens: std::ops::RangeInclusive<usize>| {
        lens.contains(&s.len()) && s.bytes().all(|b| b.is_ascii_digit())
    };
    if parts.next().is_some() || !digits(m, 1..=2) || !digits(d, 1..=2) || !digits(y, 4..=4) {
        return None;
    }
    let (month, day) = (m.parse::<u8>().ok()?, d.parse::<u8>().ok()?);
    if !(1..=12).contains(&month) || !(1..=31).contains(&day) {
        return None;
    }
    Some(
        [y, m, d]
            .into_iter()
            .map(|s| Token::Number(s.trim_start_matches('0')))
            .collect(),
    )
}

const PRE_RELEASE: &[&str] = &["dev", "snapshot", "alpha", "beta", "preview", "pre", "rc"];

/// Where a token (or the end of a version) ranks: pre-release words (in release order), then
/// the end, then other words (alphabetically, case-insensitive), then numbers (by value).
/// Comparing versions as sequences of these ranks, ended by the end, is a total order.
#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Rank {
    PreRelease(usize),
    End,
    Word(Vec<u8>),
    /// Digit count, then the digits: numeric order without overflow.
    Number(usize, Vec<u8>),
}

fn rank(t: Option<&Token<'_>>) -> Rank {
    match t {
        None => Rank::End,
        Some(Token::Number(n)) => Rank::Number(n.len(), n.as_bytes().to_vec()),
        Some(Token::Word(w)) => match PRE_RELEASE.iter().position(|p| p.eq_ignore_ascii_case(w)) {
            Some(i) => Rank::PreRelease(i),
            None => Rank::Word(w.bytes().map(|c| c.to_ascii_lowercase()).collect()),
        },
    }
}

/// Zeros that only pad (before a word or the end: `1.0` is `1`, `1.0a` is `1a`) dropped.
fn canonical(tokens: Vec<Token<'_>>) -> Vec<Token<'_>> {
    let mut out: Vec<Token<'_>> = Vec::with_capacity(tokens.len());
    let mut zeros = 0;
    for t in tokens {
        match t {
            Token::Number("") => zeros += 1,
            Token::Number(_) => {
                out.extend(std::iter::repeat_n(Token::Number(""), zeros));
                zeros = 0;
                out.push(t);
            }
            Token::Word(_) => {
                zeros = 0;
                out.push(t);
            }
        }
    }
    out
}

/// Compares two version strings (see the module docs).
pub fn compare_versions(a: &str, b: &str) -> Ordering {
    let (ta, tb) = (canonical(tokens(a)), canonical(tokens(b)));
    for i in 0..=ta.len().max(tb.len()) {
        let o = rank(ta.get(i)).cmp(&rank(tb.get(i)));
        if o != Ordering::Equal {
            return o;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    #[test]
    fn vendor_formats_order_as_their_vendors_mean() {
        let ordered = [
            ("1.9", "1.10"),
            ("3.0.11.5_BN9", "3.0.11.5_BN10"),
            ("C.00.04", "C.00.10"),
            ("1.0.2", "1.0.2k"),
            ("6.9.2", "6.9.2 CU01"),
            ("2.0-rc1", "2.0"),
            ("2.0-beta", "2.0-rc1"),
            ("v4.2", "v4.10"),
            ("R2", "R10"),
            ("1.0.a", "1.0.1"),
            ("8/30/2024", "1/5/2025"),
            ("12/31/2023", "1/1/2024"),
            ("2024-08-30", "9/1/2024"),
        ];
        for (lo, hi) in ordered {
            assert_eq!(compare_versions(lo, hi), Ordering::Less, "{lo} < {hi}");
            assert_eq!(compare_versions(hi, lo), Ordering::Greater, "{hi} > {lo}");
        }
        for (x, y) in [
            ("1.0", "1.0.0"),
            ("007", "7"),
            ("V2.1", "v2.1"),
            ("V4.2", "4.2"),
            ("v10", "10.0"),
            ("1_0", "1.0"),
            ("8/30/2024", "2024-08-30"),
            ("08/30/2024", "2024.8.30"),
        ] {
            assert_eq!(compare_versions(x, y), Ordering::Equal, "{x} = {y}");
        }
    }

    fn version() -> impl Strategy<Value = String> {
        proptest::collection::vec(
            prop_oneof![
                (0u32..40).prop_map(|n| n.to_string()),
                proptest::sample::select(vec!["a", "b", "rc", "beta", "BN", "CU", "k"])
                    .prop_map(str::to_owned),
            ],
            0..6,
        )
        .prop_flat_map(|parts| {
            proptest::sample::select(vec![".", "-", "_", " "]).prop_map(move |sep| parts.join(sep))
        })
    }

    proptest! {
        #[test]
        fn comparison_is_a_total_order(a in version(), b in version(), c in version()) {
            prop_assert_eq!(compare_versions(&a, &a), Ordering::Equal);
            prop_assert_eq!(compare_versions(&a, &b), compare_versions(&b, &a).reverse());
            if compare_versions(&a, &b) != Ordering::Greater
                && compare_versions(&b, &c) != Ordering::Greater
            {
                prop_assert_ne!(compare_versions(&a, &c), Ordering::Greater, "{} {} {}", a, b, c);
            }
        }

        #[test]
        fn dotted_numbers_order_like_their_tuples(
            a in proptest::collection::vec(0u64..1000, 1..5),
            b in proptest::collection::vec(0u64..1000, 1..5),
        ) {
            let text = |v: &[u64]| v.iter().map(u64::to_string).collect::<Vec<_>>().join(".");
            // Trailing zeros mean nothing: compare the tuples without them.
            let trim = |v: &[u64]| {
                let mut v = v.to_vec();
                while v.last() == Some(&0) { v.pop(); }
                v
            };
            prop_assert_eq!(compare_versions(&text(&a), &text(&b)), trim(&a).cmp(&trim(&b)));
        }

        #[test]
        fn us_dates_order_by_day(
            a in (2000u32..2040, 1u32..=12, 1u32..=28),
            b in (2000u32..2040, 1u32..=12, 1u32..=28),
        ) {
            let us = |(y, m, d): (u32, u32, u32)| format!("{m}/{d}/{y}");
            let iso = |(y, m, d): (u32, u32, u32)| format!("{y:04}-{m:02}-{d:02}");
            prop_assert_eq!(compare_versions(&us(a), &us(b)), a.cmp(&b));
            prop_assert_eq!(compare_versions(&us(a), &iso(b)), a.cmp(&b));
        }
    }
}
