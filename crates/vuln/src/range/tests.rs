use proptest::prelude::*;

use super::*;

fn read(text: &str) -> VersionRange {
    VersionRange::parse_text(text)
}

fn yes(range: &str, versions: &[&str]) {
    let r = read(range);
    for v in versions {
        assert_eq!(r.contains(v), Some(true), "{v} in {range} ({r})");
    }
}

fn no(range: &str, versions: &[&str]) {
    let r = read(range);
    for v in versions {
        assert_eq!(r.contains(v), Some(false), "{v} not in {range} ({r})");
    }
}

#[test]
fn vendor_syntax_inside_vers() {
    // ICSMA-25-100-01: BN10 is past BN9.
    yes(
        "vers:all/<=3.0.11.5_BN9",
        &["3.0.11.5_BN9", "3.0.11.5_BN2", "3.0.10"],
    );
    no("vers:all/<=3.0.11.5_BN9", &["3.0.11.5_BN10", "3.0.12"]);
    yes("vers:all/*", &["anything", "1"]);
    yes("vers:all/<=2025.1_Build_3321", &["2025.1_Build_3000"]);
}

#[test]
fn prose_comparators_suffixes_letters_dates() {
    yes("<= 12.1.3", &["12.1.3", "12.1", "9.19"]);
    no("<= 12.1.3", &["12.3.1", "12.1.4"]);
    yes("< 6.9.2 CU01", &["6.9.2", "6.9.1"]);
    no("< 6.9.2 CU01", &["6.9.2 CU01", "6.9.2 CU02"]);
    yes("<= C.00.04", &["C.00.03", "B.01"]);
    no("<= C.00.04", &["C.00.10"]);
    yes("<8/30/2024", &["8/29/2024", "12/31/2023"]);
    no("<8/30/2024", &["8/30/2024", "1/1/2025"]);
    yes("2.3.6 and  below", &["2.3.6", "2.0"]);
    no("2.3.6 and below", &["2.3.7"]);
    yes("All software Versions L81 and earlier", &["L81", "L80"]);
    no("All software Versions L81 and earlier", &["L82"]);
    yes("prior to 2.2", &["2.1.9"]);
    no("prior to 2.2", &["2.2"]);
    yes("4.2 and later", &["4.2", "5"]);
}

#[test]
fn pipes_are_lists_intervals_or_unions() {
    // A list of points.
    yes("5.0|5.1", &["5.0", "5.1"]);
    no("5.0|5.1", &["5.2", "4.9"]);
    // One interval.
    yes(">= v22D19 | <= v22D28", &["v22D19", "22D20", "v22D28"]);
    no(">= v22D19 | <= v22D28", &["v22D18", "v22D29"]);
    // Points and an interval (ICSMA-22-251-01's WBM list).
    let wbm = "v9 | v11 | v16 | v16D38 | >= v20D29 | <= v20D32";
    yes(wbm, &["v9", "v16D38", "v20D30"]);
    no(wbm, &["v10", "v20D28", "v20D33", "v17"]);
    // Commas and "and".
    yes("V1.1, V1.2, and V1.3", &["1.1", "V1.2", "v1.3"]);
    no("V1.1, V1.2, and V1.3", &["1.4"]);
}

#[test]
fn wildcards_and_asides() {
    yes("V4.x", &["4.0", "4.10.2", "V4.1"]);
    no("V4.x", &["41.0", "5.0", "3.9"]);
    yes("4.7u1 (JACE-8000 Edge 10)", &["4.7u1"]);
    yes("v6.x (with Wireless Battery Modules v9 | v11)", &["6.2"]);
    no(
        "v6.x (with Wireless Battery Modules v9 | v11)",
        &["9", "11"],
    );
}

#[test]
fn prose_that_is_not_a_range_is_not_read() {
    for text in [
        "distributed  < april 1, 2018",
        "* running on old, unsupported operating systems such as Windows 2000",
        "see the vendor's website",
        "",
    ] {
        let r = read(text);
        assert!(!r.is_read(), "{text:?} read as {r}");
        assert_eq!(r.contains("1.0"), None);
    }
}

#[test]
fn canonical_vers_parse_checks() {
    let ok = VersionRange::parse_vers_canonical("vers:npm/>=1.0.0|<2.0.0").unwrap();
    assert_eq!(ok.0, "npm");
    assert_eq!(ok.1.to_string(), ">=1.0.0|<2.0.0");
    for (bad, why) in [
        ("vers:npm/>=1.0.0| <2.0.0", "whitespace"),
        ("vers:npm/|>=1.0.0", "leading pipe"),
        ("vers:npm/>=2.0.0|<1.0.0", "not sorted"),
        ("vers:npm/1.0%2G0", "percent"),
    ] {
        let e = VersionRange::parse_vers_canonical(bad).unwrap_err();
        assert!(e.contains(why), "{bad}: {e}");
    }
}

/// A range over small integer versions, in the vers shape: optional leading upper bound,
/// then lower/upper pairs, then an optional trailing lower bound, with `=` points and `!=`
/// exclusions among them.
fn vers_range() -> impl Strategy<Value = (Vec<(Comparator, u32)>, u32)> {
    (
        proptest::collection::btree_set(0u32..60, 0..8),
        any::<bool>(),
        any::<bool>(),
        proptest::collection::vec((0u32..60, any::<bool>()), 0..3),
        0u32..60,
    )
        .prop_map(|(bounds, lead_upper, strict, points, probe)| {
            let bounds: Vec<u32> = bounds.into_iter().collect();
            let mut cs = Vec::new();
            let mut i = 0;
            if lead_upper && !bounds.is_empty() {
                cs.push((
                    if strict {
                        Comparator::Lt
                    } else {
                        Comparator::Le
                    },
                    bounds[0],
                ));
                i = 1;
            }
            while i < bounds.len() {
                cs.push((
                    if strict {
                        Comparator::Gt
                    } else {
                        Comparator::Ge
                    },
                    bounds[i],
                ));
                if let Some(&hi) = bounds.get(i + 1) {
                    cs.push((
                        if strict {
                            Comparator::Lt
                        } else {
                            Comparator::Le
                        },
                        hi,
                    ));
                }
                i += 2;
            }
            for (p, include) in points {
                cs.push((
                    if include {
                        Comparator::Eq
                    } else {
                        Comparator::Ne
                    },
                    p,
                ));
            }
            (cs, probe)
        })
}

/// The reference model: the set a vers range denotes, point by point.
fn reference(cs: &[(Comparator, u32)], v: u32) -> bool {
    if cs.iter().any(|&(c, p)| c == Comparator::Ne && p == v) {
        // An exclusion wins unless the same point is also listed as included.
        return cs.iter().any(|&(c, p)| c == Comparator::Eq && p == v);
    }
    if cs.iter().any(|&(c, p)| c == Comparator::Eq && p == v) {
        return true;
    }
    let mut bounds: Vec<(Comparator, u32)> = cs
        .iter()
        .copied()
        .filter(|(c, _)| !matches!(c, Comparator::Eq | Comparator::Ne))
        .collect();
    bounds.sort_by_key(|&(_, p)| p);
    if bounds.is_empty() {
        // Only points and exclusions: a list of points holds only those; exclusions alone
        // hold everything else.
        return !cs.iter().any(|&(c, _)| c == Comparator::Eq);
    }
    let below = |c: Comparator, p: u32| if c == Comparator::Lt { v < p } else { v <= p };
    let above = |c: Comparator, p: u32| if c == Comparator::Gt { v > p } else { v >= p };
    type Bound = Option<(Comparator, u32)>;
    let mut intervals: Vec<(Bound, Bound)> = Vec::new();
    let mut rest = bounds.as_slice();
    if let Some((&(c, p), tail)) = rest.split_first()
        && matches!(c, Comparator::Lt | Comparator::Le)
    {
        intervals.push((None, Some((c, p))));
        rest = tail;
    }
    for chunk in rest.chunks(2) {
        intervals.push((Some(chunk[0]), chunk.get(1).copied()));
    }
    intervals
        .iter()
        .any(|(lo, hi)| lo.is_none_or(|(c, p)| above(c, p)) && hi.is_none_or(|(c, p)| below(c, p)))
}

proptest! {
    #[test]
    fn containment_matches_the_reference_model((cs, probe) in vers_range()) {
        // Written unsorted as vers (the reader sorts), each version a dotted form of its
        // integer so that comparison is numeric, not textual.
        let written: Vec<String> = cs
            .iter()
            .rev()
            .map(|&(c, p)| format!("{}{}.0", if c == Comparator::Eq { "" } else { c.as_str() }, p))
            .collect();
        prop_assume!(!written.is_empty());
        // A point both included and excluded is not a range anyone writes.
        prop_assume!(!cs.iter().any(|&(c, p)| c == Comparator::Ne
            && cs.iter().any(|&(d, q)| d == Comparator::Eq && q == p)));
        let text = format!("vers:generic/{}", written.join("|"));
        let range = VersionRange::parse_text(&text);
        prop_assert_eq!(
            range.contains(&format!("{probe}")),
            Some(reference(&cs, probe)),
            "{} contains {}", text, probe
        );
    }
}
