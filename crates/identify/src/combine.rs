//! Evidence combination (DESIGN §5): contributions to one attribute → its value, confidence and
//! the whole evidence list, winners and losers.
//!
//! Contributions for the same value (compared by a normalised key: case, and for vendors the
//! alias table) combine as independent signals, noisy-OR: `1 − Π(1 − wᵢ)`, so two weak rules
//! agreeing count more than either, and no pile of weak ones reaches certainty. The value with
//! the highest combined weight wins, ties to the lowest key; its confidence is that weight
//! discounted by half the strongest rival's, so a contested value says so. Contributions are
//! sorted before combining: the same evidence in any order gives bit-identical results.
//!
//! Across runs an attribute keeps its value unless the challenger's combined weight beats it
//! by [`HYSTERESIS`] — evidence that merely ties or edges ahead does not flip it.

use model::{Attribute, Evidence};

/// How far a challenger must outweigh the value an attribute already holds to replace it.
pub const HYSTERESIS: f32 = 0.1;

/// One piece of evidence for one value of one attribute.
#[derive(Debug, Clone, PartialEq)]
pub struct Contribution {
    /// The value it speaks for.
    pub value: String,
    /// Where it came from (`oui`, `kb:<file>/<rule>`, `asset_list`, `user`).
    pub source: String,
    /// What was observed, and why it counts.
    pub detail: String,
    /// 0–1.
    pub weight: f32,
}

impl From<Evidence> for Contribution {
    fn from(e: Evidence) -> Self {
        Self {
            value: e.value,
            source: e.source,
            detail: e.detail,
            weight: e.weight,
        }
    }
}

/// Combines `contributions` into an attribute; `key` normalises values that mean the same
/// (case, aliases); `incumbent` is the value held before (an earlier run), kept unless beaten
/// by [`HYSTERESIS`]. `None` when there is nothing to combine.
pub fn combine(
    contributions: Vec<Contribution>,
    key: impl Fn(&str) -> String,
    incumbent: Option<&str>,
) -> Option<Attribute> {
    let keyed: Vec<(String, Contribution)> = contributions
        .into_iter()
        .filter(counts)
        .map(|c| (key(&c.value), c))
        .collect();
    if keyed.is_empty() {
        return None;
    }
    combine_keyed(keyed, incumbent.map(key))
}

/// Whether a contribution takes part: a weight, and a value that is not blank.
fn counts(c: &Contribution) -> bool {
    c.weight > 0.0 && !c.value.trim().is_empty()
}

/// [`combine`] for contributions already paired with their keys (`incumbent_key` the held
/// value's), for callers that get a value's key along with the value itself.
pub(crate) fn combine_keyed(
    mut keyed: Vec<(String, Contribution)>,
    incumbent_key: Option<String>,
) -> Option<Attribute> {
    keyed.retain(|(_, c)| counts(c));
    if keyed.len() == 1 {
        // One value, no rival (the common case: a device's OUI vendor alone): what the
        // general path computes, without its bookkeeping.
        let (_, c) = keyed.pop()?;
        let combined = 1.0 - (1.0 - c.weight.clamp(0.0, 1.0));
        return Some(Attribute {
            value: c.value.clone(),
            // Discounted by half of no rival: times one.
            confidence: round3(combined.clamp(0.0, 1.0)),
            evidence: vec![Evidence {
                value: c.value,
                source: c.source,
                detail: c.detail,
                weight: c.weight,
            }],
        });
    }
    if keyed.is_empty() {
        return None;
    }
    keyed.sort_by(|(ka, a), (kb, b)| {
        ka.cmp(kb)
            .then(b.weight.total_cmp(&a.weight))
            .then_with(|| a.source.cmp(&b.source))
            .then_with(|| a.detail.cmp(&b.detail))
            .then_with(|| a.value.cmp(&b.value))
    });
    // One contribution per (value, source): the same rule seen again — in another run, on
    // another of the device's values — is the same evidence, not more of it. The heaviest
    // (first after the sort) is kept.
    keyed.dedup_by(|(ka, a), (kb, b)| ka == kb && a.source == b.source);

    // (first contribution, combined weight) per key, in key order: the display value is that
    // of the group's heaviest contribution (its first after the sort).
    let mut groups: Vec<(usize, f32)> = Vec::new();
    for (i, (k, c)) in keyed.iter().enumerate() {
        match groups.last_mut() {
            Some((first, miss)) if keyed[*first].0 == *k => {
                *miss *= 1.0 - c.weight.clamp(0.0, 1.0);
            }
            _ => groups.push((i, 1.0 - c.weight.clamp(0.0, 1.0))),
        }
    }
    for g in &mut groups {
        g.1 = 1.0 - g.1;
    }
    let key_of = |g: &(usize, f32)| keyed[g.0].0.as_str();
    let best = groups
        .iter()
        .enumerate()
        .max_by(|(_, a), (_, b)| a.1.total_cmp(&b.1).then_with(|| key_of(b).cmp(key_of(a))))
        .map(|(i, _)| i)?;
    let mut winner = best;
    if let Some(held) = incumbent_key
        && let Some(i) = groups.iter().position(|g| key_of(g) == held)
        && groups[best].1 < groups[i].1 + HYSTERESIS
    {
        winner = i;
    }
    let rival = groups
        .iter()
        .enumerate()
        .filter(|&(i, _)| i != winner)
        .map(|(_, g)| g.1)
        .fold(0.0_f32, f32::max);
    let (win_first, win_weight) = groups[winner];
    let win_value = keyed[win_first].1.value.clone();
    let confidence = round3((win_weight * (1.0 - rival / 2.0)).clamp(0.0, 1.0));

    // The winner's evidence first, then the other values by weight: each contribution with
    // its group's standing (is it the winner's, its combined weight).
    let mut ranked: Vec<(bool, f32, String, Contribution)> = Vec::with_capacity(keyed.len());
    let mut group = 0;
    for (i, (k, c)) in keyed.into_iter().enumerate() {
        if group + 1 < groups.len() && groups[group + 1].0 == i {
            group += 1;
        }
        ranked.push((group == winner, groups[group].1, k, c));
    }
    ranked.sort_by(|(wa, sa, ka, a), (wb, sb, kb, b)| {
        wb.cmp(wa)
            .then(sb.total_cmp(sa))
            .then_with(|| ka.cmp(kb))
            .then(b.weight.total_cmp(&a.weight))
            .then_with(|| a.source.cmp(&b.source))
            .then_with(|| a.detail.cmp(&b.detail))
    });
    Some(Attribute {
        value: win_value,
        confidence,
        evidence: ranked
            .into_iter()
            .map(|(_, _, _, c)| Evidence {
                value: c.value,
                source: c.source,
                detail: c.detail,
                weight: c.weight,
            })
            .collect(),
    })
}

fn round3(x: f32) -> f32 {
    (x * 1000.0).round() / 1000.0
}

/// The comparison key of a plain attribute value: trimmed, lower case.
pub fn plain_key(value: &str) -> String {
    value.trim().to_lowercase()
}

/// The comparison key of a model name: letters and digits only, lower case, so the spellings
/// of one model agree (`VVX 450` = `VVX450`, `WS-C3560-24TS` = `WS C3560 24TS`). Falls back
/// to [`plain_key`] for a name with no letter or digit.
pub fn model_key(value: &str) -> String {
    let key: String = value
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_lowercase)
        .collect();
    if key.is_empty() {
        plain_key(value)
    } else {
        key
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_model_combine() {
        let a = combine(
            vec![c("VVX 450", "asset_list", 0.9), c("VVX450", "kb:x", 0.8)],
            model_key,
            None,
        )
        .unwrap();
        // One value, both pieces of evidence behind it, no rival.
        assert_eq!(a.value, "VVX 450");
        assert!((a.confidence - 0.98).abs() < 1e-6, "{}", a.confidence);
        assert_eq!(model_key("WS-C3560-24TS"), model_key("ws c3560 24ts"));
        assert_eq!(model_key("--"), "--");
    }

    fn c(value: &str, source: &str, weight: f32) -> Contribution {
        Contribution {
            value: value.into(),
            source: source.into(),
            detail: format!("{source} says {value}"),
            weight,
        }
    }

    #[test]
    fn agreeing_evidence_adds_up_and_losers_are_kept() {
        let a = combine(
            vec![
                c("infusion_pump", "kb:a", 0.5),
                c("patient_monitor", "kb:b", 0.6),
                c("Infusion_Pump", "kb:c", 0.5),
            ],
            plain_key,
            None,
        )
        .unwrap();
        // 1 − 0.5·0.5 = 0.75 beats 0.6; discounted by half the rival: 0.75 · 0.7.
        assert_eq!(a.value, "infusion_pump");
        assert_eq!(a.confidence, 0.525);
        let values: Vec<&str> = a.evidence.iter().map(|e| e.value.as_str()).collect();
        assert_eq!(
            values,
            ["infusion_pump", "Infusion_Pump", "patient_monitor"]
        );
    }

    #[test]
    fn any_order_gives_the_same_attribute() {
        let all = vec![
            c("CT", "kb:a", 0.3),
            c("MR", "kb:b", 0.3),
            c("CT", "kb:c", 0.2),
            c("MR", "kb:d", 0.2),
            c("US", "kb:e", 0.4),
        ];
        let first = combine(all.clone(), plain_key, None);
        let mut rev = all.clone();
        rev.reverse();
        assert_eq!(combine(rev, plain_key, None), first);
        let mut rotated = all;
        rotated.rotate_left(2);
        assert_eq!(combine(rotated, plain_key, None), first);
        // CT and MR tie at 0.44, over US: the lowest key wins the tie.
        assert_eq!(first.unwrap().value, "CT");
    }

    #[test]
    fn an_incumbent_holds_until_clearly_outweighed() {
        let held = vec![c("4.2", "kb:a", 0.5)];
        let edge = vec![c("4.2", "kb:a", 0.5), c("4.3", "kb:b", 0.55)];
        assert_eq!(combine(edge.clone(), plain_key, None).unwrap().value, "4.3");
        assert_eq!(combine(edge, plain_key, Some("4.2")).unwrap().value, "4.2");
        let clear = vec![c("4.2", "kb:a", 0.5), c("4.3", "kb:b", 0.7)];
        assert_eq!(combine(clear, plain_key, Some("4.2")).unwrap().value, "4.3");
        assert_eq!(combine(held, plain_key, Some("4.3")).unwrap().value, "4.2");
    }

    #[test]
    fn nothing_to_combine_is_none() {
        assert_eq!(combine(vec![], plain_key, None), None);
        assert_eq!(combine(vec![c(" ", "kb:a", 0.9)], plain_key, None), None);
        assert_eq!(combine(vec![c("x", "kb:a", 0.0)], plain_key, None), None);
    }

    /// The combination as first written (before the single-value path and group indices):
    /// what `combine` must still give.
    fn reference(
        mut contributions: Vec<Contribution>,
        key: impl Fn(&str) -> String,
        incumbent: Option<&str>,
    ) -> Option<Attribute> {
        contributions.retain(|c| c.weight > 0.0 && !c.value.trim().is_empty());
        if contributions.is_empty() {
            return None;
        }
        let mut keyed: Vec<(String, Contribution)> = contributions
            .into_iter()
            .map(|c| (key(&c.value), c))
            .collect();
        keyed.sort_by(|(ka, a), (kb, b)| {
            ka.cmp(kb)
                .then(b.weight.total_cmp(&a.weight))
                .then_with(|| a.source.cmp(&b.source))
                .then_with(|| a.detail.cmp(&b.detail))
                .then_with(|| a.value.cmp(&b.value))
        });
        keyed.dedup_by(|(ka, a), (kb, b)| ka == kb && a.source == b.source);
        let mut groups: Vec<(String, f32, String)> = Vec::new();
        for (k, c) in &keyed {
            match groups.last_mut() {
                Some((gk, miss, _)) if gk == k => *miss *= 1.0 - c.weight.clamp(0.0, 1.0),
                _ => groups.push((k.clone(), 1.0 - c.weight.clamp(0.0, 1.0), c.value.clone())),
            }
        }
        for g in &mut groups {
            g.1 = 1.0 - g.1;
        }
        let best = groups
            .iter()
            .enumerate()
            .max_by(|(_, a), (_, b)| a.1.total_cmp(&b.1).then_with(|| b.0.cmp(&a.0)))
            .map(|(i, _)| i)?;
        let mut winner = best;
        if let Some(held) = incumbent.map(&key)
            && let Some(i) = groups.iter().position(|g| g.0 == held)
            && groups[best].1 < groups[i].1 + HYSTERESIS
        {
            winner = i;
        }
        let rival = groups
            .iter()
            .enumerate()
            .filter(|&(i, _)| i != winner)
            .map(|(_, g)| g.1)
            .fold(0.0_f32, f32::max);
        let (win_key, win_weight, win_value) = groups[winner].clone();
        let confidence = round3((win_weight * (1.0 - rival / 2.0)).clamp(0.0, 1.0));
        let score = |k: &str| groups.iter().find(|g| g.0 == k).map_or(0.0, |g| g.1);
        keyed.sort_by(|(ka, a), (kb, b)| {
            (kb == &win_key)
                .cmp(&(ka == &win_key))
                .then(score(kb).total_cmp(&score(ka)))
                .then_with(|| ka.cmp(kb))
                .then(b.weight.total_cmp(&a.weight))
                .then_with(|| a.source.cmp(&b.source))
                .then_with(|| a.detail.cmp(&b.detail))
        });
        Some(Attribute {
            value: win_value,
            confidence,
            evidence: keyed
                .into_iter()
                .map(|(_, c)| Evidence {
                    value: c.value,
                    source: c.source,
                    detail: c.detail,
                    weight: c.weight,
                })
                .collect(),
        })
    }

    fn contribution() -> impl proptest::strategy::Strategy<Value = Contribution> {
        use proptest::prelude::*;
        (
            prop_oneof![
                Just("CT"),
                Just("ct"),
                Just(" Ct "),
                Just("MR"),
                Just(""),
                Just("us")
            ],
            prop_oneof![Just("kb:a"), Just("kb:b"), Just("oui"), Just("kb:c")],
            prop_oneof![Just("x"), Just("y")],
            prop_oneof![
                Just(0.0f32),
                Just(0.1),
                Just(0.25),
                Just(0.5),
                Just(0.6),
                Just(0.9),
                Just(1.0),
                Just(1.5),
                Just(-0.2),
                0.0f32..1.0
            ],
        )
            .prop_map(|(value, source, detail, weight)| Contribution {
                value: value.into(),
                source: source.into(),
                detail: detail.into(),
                weight,
            })
    }

    proptest::proptest! {
        /// Same attribute as the first implementation, to the bit, one contribution or many.
        #[test]
        fn combine_gives_what_it_gave(
            contributions in proptest::collection::vec(contribution(), 0..6),
            incumbent in proptest::option::of(proptest::prop_oneof![
                proptest::strategy::Just("ct"), proptest::strategy::Just("MR"), proptest::strategy::Just("xx")
            ]),
        ) {
            let key = |v: &str| v.trim().to_ascii_uppercase();
            let new = combine(contributions.clone(), key, incumbent);
            let old = reference(contributions, key, incumbent);
            proptest::prop_assert_eq!(
                new.as_ref().map(|a| (a.confidence.to_bits(), &a.value, &a.evidence)),
                old.as_ref().map(|a| (a.confidence.to_bits(), &a.value, &a.evidence))
            );
        }
    }
}
