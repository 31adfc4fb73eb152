//! A rule condition's pattern, read once with regex-syntax: its syntax checked, its group
//! names listed, and its shape found — which literal strings (anchored or not) a value must
//! hold for the pattern to match, so that classification tests most conditions with a
//! comparison and runs a regex only when those literals say it can match.
//!
//! Conditions are ASCII case-insensitive with Unicode classes off ([`FLAGS`] is written in
//! front of every pattern). Under those flags a letter of the pattern is a two-byte class
//! (`[Aa]`), which is what lets the literals be compared case-blind; anything that is not a
//! plain literal (a class of more than a few bytes, a repetition, a word boundary, a
//! case-sensitive `(?-i)` letter) makes the pattern a regex.

use std::borrow::Cow;

use regex_syntax::hir::{Class, Hir, HirKind, Look};

/// Written in front of every condition's pattern: ASCII case-insensitive, no Unicode classes.
pub(crate) const FLAGS: &str = "(?i-u)";

/// Most literal strings one pattern is taken apart into (an alternation of vendor names, the
/// options of a few optional groups); past this the pattern is matched as a regex.
const MAX_ALTS: usize = 64;

/// Most bytes of a class taken apart into literals (`(7|9)` is parsed as the class `[79]`).
const MAX_CLASS_BYTES: usize = 8;

/// A literal a value is tested for: lower-case ASCII `text`, at the value's start, at its end,
/// both (the whole value) or anywhere, compared ASCII case-blind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Alt {
    /// The value starts with `text`.
    pub start: bool,
    /// The value ends with `text`.
    pub end: bool,
    /// Lower-case ASCII.
    pub text: Cow<'static, str>,
}

impl Alt {
    /// Whether `value` holds the literal where the anchors say.
    pub(crate) fn holds(&self, value: &[u8]) -> bool {
        let text = self.text.as_bytes();
        match (self.start, self.end) {
            (true, true) => value.eq_ignore_ascii_case(text),
            (true, false) => value
                .get(..text.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(text)),
            (false, true) => value
                .len()
                .checked_sub(text.len())
                .is_some_and(|at| value[at..].eq_ignore_ascii_case(text)),
            (false, false) => contains_ignore_ascii_case(value, text),
        }
    }
}

/// Whether `haystack` contains the lower-case `needle`, ASCII case-blind.
fn contains_ignore_ascii_case(haystack: &[u8], needle: &[u8]) -> bool {
    let Some((&first, _)) = needle.split_first() else {
        return true;
    };
    let Some(last) = haystack.len().checked_sub(needle.len()) else {
        return false;
    };
    (0..=last).any(|i| {
        haystack[i].to_ascii_lowercase() == first
            && haystack[i..i + needle.len()].eq_ignore_ascii_case(needle)
    })
}

/// A pattern as checked: what the regexes are built from, its named groups, and its shape.
#[derive(Debug)]
pub(crate) struct Checked {
    /// [`FLAGS`] and the pattern as written.
    pub pattern: String,
    /// Named groups, in pattern order.
    pub names: Vec<String>,
    /// `alts` are exactly the pattern: it matches a value if and only if one of them holds.
    pub literal: bool,
    /// When `literal`, the pattern itself; otherwise literals one of which every match holds
    /// (empty: none found, the regex decides alone).
    pub alts: Vec<Alt>,
}

/// Checks `pattern` (as written in a rule) and finds its shape.
pub(crate) fn check(pattern: &str) -> Result<Checked, String> {
    let full = format!("{FLAGS}{pattern}");
    let hir = regex_syntax::ParserBuilder::new()
        .unicode(false)
        .utf8(false)
        .nest_limit(64)
        .build()
        .parse(&full)
        .map_err(|e| e.to_string())?;
    let mut names = Vec::new();
    collect_names(&hir, &mut names);
    let (literal, alts) = match exact(&hir) {
        Some(seqs) => (true, alts_of(seqs)),
        None => (false, necessary(&hir).unwrap_or_default()),
    };
    Ok(Checked {
        pattern: full,
        names,
        literal,
        alts,
    })
}

fn collect_names(hir: &Hir, out: &mut Vec<String>) {
    match hir.kind() {
        HirKind::Capture(c) => {
            if let Some(n) = &c.name {
                out.push(n.to_string());
            }
            collect_names(&c.sub, out);
        }
        HirKind::Repetition(r) => collect_names(&r.sub, out),
        HirKind::Concat(hs) | HirKind::Alternation(hs) => {
            for h in hs {
                collect_names(h, out);
            }
        }
        _ => {}
    }
}

/// One string of a pattern's language, with the anchors where they stand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token {
    /// A lower-case ASCII byte, compared case-blind.
    Byte(u8),
    Start,
    End,
}

type Seq = Vec<Token>;

/// Every string `hir` matches, when that is a short list of literals and anchors; `None`
/// when it is not (a repetition, a wide class, a case-sensitive letter, …).
fn exact(hir: &Hir) -> Option<Vec<Seq>> {
    match hir.kind() {
        HirKind::Empty => Some(vec![Vec::new()]),
        HirKind::Literal(lit) => {
            let mut seq = Seq::with_capacity(lit.0.len());
            for &b in lit.0.iter() {
                // A letter outside a class is case-sensitive (`(?-i)`): not comparable
                // case-blind. Non-ASCII bytes stay with the regex.
                if b.is_ascii_alphabetic() || !b.is_ascii() {
                    return None;
                }
                seq.push(Token::Byte(b));
            }
            Some(vec![seq])
        }
        HirKind::Class(class) => {
            // An alternation of single characters is parsed as a class, of code points even
            // with Unicode off (`(7|9)` is `[79]`): either kind, ASCII only.
            let ranges: Vec<(u32, u32)> = match class {
                Class::Bytes(c) => c
                    .ranges()
                    .iter()
                    .map(|r| (u32::from(r.start()), u32::from(r.end())))
                    .collect(),
                Class::Unicode(c) => c
                    .ranges()
                    .iter()
                    .map(|r| (u32::from(r.start()), u32::from(r.end())))
                    .collect(),
            };
            class_bytes(&ranges)
        }
        HirKind::Look(Look::Start) => Some(vec![vec![Token::Start]]),
        HirKind::Look(Look::End) => Some(vec![vec![Token::End]]),
        HirKind::Look(_) => None,
        HirKind::Repetition(r) => match (r.min, r.max) {
            (1, Some(1)) => exact(&r.sub),
            (0, Some(1)) => {
                let mut out = vec![Vec::new()];
                union(&mut out, exact(&r.sub)?)?;
                Some(out)
            }
            _ => None,
        },
        HirKind::Capture(c) => exact(&c.sub),
        HirKind::Concat(hs) => {
            let mut out = vec![Vec::new()];
            for h in hs {
                out = product(&out, &exact(h)?)?;
            }
            Some(out)
        }
        HirKind::Alternation(hs) => {
            let mut out = Vec::new();
            for h in hs {
                union(&mut out, exact(h)?)?;
            }
            Some(out)
        }
    }
}

/// The members of a class as one-byte strings, a letter and its other case as one; `None`
/// for a class of more than a few bytes, or not all ASCII, or with a letter without its
/// other case (a case-sensitive class).
fn class_bytes(ranges: &[(u32, u32)]) -> Option<Vec<Seq>> {
    let mut bytes = Vec::new();
    for &(start, end) in ranges {
        for c in start..=end {
            bytes.push(u8::try_from(c).ok().filter(u8::is_ascii)?);
            if bytes.len() > 2 * MAX_CLASS_BYTES {
                return None;
            }
        }
    }
    let mut out: Vec<Seq> = Vec::new();
    for &b in &bytes {
        if b.is_ascii_alphabetic() {
            let other = if b.is_ascii_lowercase() {
                b.to_ascii_uppercase()
            } else {
                b.to_ascii_lowercase()
            };
            if !bytes.contains(&other) {
                return None;
            }
        }
        let seq = vec![Token::Byte(b.to_ascii_lowercase())];
        if !out.contains(&seq) {
            out.push(seq);
        }
    }
    (out.len() <= MAX_CLASS_BYTES).then_some(out)
}

/// `a` followed by `b`, every way; `None` past [`MAX_ALTS`].
fn product(a: &[Seq], b: &[Seq]) -> Option<Vec<Seq>> {
    if a.len().saturating_mul(b.len()) > MAX_ALTS {
        return None;
    }
    let mut out = Vec::with_capacity(a.len() * b.len());
    for x in a {
        for y in b {
            let mut s = x.clone();
            s.extend_from_slice(y);
            if !out.contains(&s) {
                out.push(s);
            }
        }
    }
    Some(out)
}

/// Adds `more` to `into`; `None` past [`MAX_ALTS`].
fn union(into: &mut Vec<Seq>, more: Vec<Seq>) -> Option<()> {
    for s in more {
        if !into.contains(&s) {
            into.push(s);
        }
    }
    (into.len() <= MAX_ALTS).then_some(())
}

/// The literal a token string asks for: `None` if it can never match (a `^` after a byte,
/// a byte after a `$`).
fn alt_of(seq: &[Token]) -> Option<Alt> {
    let (mut start, mut end) = (false, false);
    let mut text = String::new();
    for &t in seq {
        match t {
            Token::Start if !text.is_empty() => return None,
            Token::Start => start = true,
            Token::End => end = true,
            Token::Byte(_) if end => return None,
            Token::Byte(b) => text.push(char::from(b)),
        }
    }
    Some(Alt {
        start,
        end,
        text: Cow::Owned(text),
    })
}

fn alts_of(seqs: Vec<Seq>) -> Vec<Alt> {
    let mut out: Vec<Alt> = Vec::new();
    for alt in seqs.iter().filter_map(|s| alt_of(s)) {
        if !out.contains(&alt) {
            out.push(alt);
        }
    }
    out
}

/// Literals one of which every match of `hir` holds, for a pattern that is not all literal;
/// `None` when no useful one is found.
fn necessary(hir: &Hir) -> Option<Vec<Alt>> {
    match hir.kind() {
        HirKind::Capture(c) => necessary(&c.sub),
        HirKind::Repetition(r) if r.min >= 1 => match exact(&r.sub) {
            Some(seqs) => useful(alts_of(seqs)),
            None => necessary(&r.sub),
        },
        HirKind::Alternation(hs) => {
            let mut out: Vec<Alt> = Vec::new();
            for h in hs {
                let alts = match exact(h) {
                    Some(seqs) => useful(alts_of(seqs))?,
                    None => necessary(h)?,
                };
                for a in alts {
                    if !out.contains(&a) {
                        out.push(a);
                    }
                }
            }
            (out.len() <= MAX_ALTS).then_some(out)
        }
        HirKind::Concat(_) => {
            let mut parts = Vec::new();
            flatten(hir, &mut parts);
            best_run(&parts)
        }
        _ => None,
    }
}

/// The parts of a concatenation, groups opened up (a group does not change what matches).
fn flatten<'h>(hir: &'h Hir, out: &mut Vec<&'h Hir>) {
    match hir.kind() {
        HirKind::Concat(hs) => {
            for h in hs {
                flatten(h, out);
            }
        }
        HirKind::Capture(c) => flatten(&c.sub, out),
        _ => out.push(hir),
    }
}

/// The best literals of a concatenation: each run of consecutive literal parts is a string
/// every match contains, and so is one repetition of a literal part (`(HP |ProCurve )+`).
fn best_run(parts: &[&Hir]) -> Option<Vec<Alt>> {
    let mut candidates: Vec<Vec<Alt>> = Vec::new();
    let mut run: Option<Vec<Seq>> = None;
    for part in parts {
        if let Some(lang) = exact(part) {
            run = Some(match run.take() {
                None => lang,
                Some(prev) => match product(&prev, &lang) {
                    Some(joined) => joined,
                    None => {
                        close(&mut Some(prev), &mut candidates);
                        lang
                    }
                },
            });
            continue;
        }
        let repeated = match part.kind() {
            HirKind::Repetition(r) if r.min >= 1 => exact(&r.sub),
            _ => None,
        };
        match repeated {
            Some(lang) => {
                // The first repetition follows the run; the last one starts the next.
                let joined = match &run {
                    Some(prev) => product(prev, &lang),
                    None => Some(lang.clone()),
                };
                match joined {
                    Some(j) => close(&mut Some(j), &mut candidates),
                    None => close(&mut run, &mut candidates),
                }
                run = Some(lang);
            }
            None => {
                close(&mut run, &mut candidates);
                if let Some(alts) = necessary(part) {
                    candidates.push(alts);
                }
            }
        }
    }
    close(&mut run, &mut candidates);
    candidates.into_iter().max_by_key(|alts| score(alts))
}

/// Ends a run of literal parts: its literals become a candidate.
fn close(run: &mut Option<Vec<Seq>>, candidates: &mut Vec<Vec<Alt>>) {
    if let Some(seqs) = run.take()
        && let Some(alts) = useful(alts_of(seqs))
    {
        candidates.push(alts);
    }
}

/// How selective a set of literals is: its shortest literal, anchored ones preferred.
fn score(alts: &[Alt]) -> (usize, bool) {
    let shortest = alts.iter().map(|a| a.text.len()).min().unwrap_or(0);
    (shortest, alts.iter().all(|a| a.start || a.end))
}

/// `alts` if every one of them tests at least one byte (an empty set — a string that cannot
/// match — or an empty literal says nothing worth testing).
fn useful(alts: Vec<Alt>) -> Option<Vec<Alt>> {
    (!alts.is_empty() && alts.iter().all(|a| !a.text.is_empty())).then_some(alts)
}

#[cfg(test)]
pub(super) mod tests {
    use proptest::prelude::*;
    use regex_automata::Input;

    use super::*;
    use crate::kb::index::build_matcher;

    /// Whether a checked pattern's literals say what its regex says: the same for a literal
    /// pattern, at least one holding whenever the regex matches otherwise.
    fn agree(checked: &Checked, re: &regex_automata::meta::Regex, value: &[u8]) -> bool {
        let regex = re.is_match(Input::new(value));
        let literals = checked.alts.iter().any(|a| a.holds(value));
        if checked.literal {
            regex == literals
        } else {
            !regex || checked.alts.is_empty() || literals
        }
    }

    /// A small deterministic generator (xorshift).
    pub(in crate::kb) struct Rng(pub(in crate::kb) u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }

        fn below(&mut self, n: usize) -> usize {
            (self.next() % n.max(1) as u64) as usize
        }
    }

    /// A string `hir` matches (anchors and word boundaries aside), ASCII only.
    fn sample(hir: &Hir, rng: &mut Rng, out: &mut Vec<u8>) {
        match hir.kind() {
            HirKind::Empty | HirKind::Look(_) => {}
            HirKind::Literal(lit) => out.extend_from_slice(&lit.0),
            HirKind::Class(Class::Bytes(c)) => {
                let r = c.ranges()[rng.below(c.ranges().len())];
                let span = usize::from(r.end() - r.start()) + 1;
                let b = r.start() + u8::try_from(rng.below(span)).unwrap_or(0);
                out.push(if b.is_ascii() { b } else { b'#' });
            }
            HirKind::Class(Class::Unicode(c)) => {
                let r = c.ranges()[rng.below(c.ranges().len())];
                let span = (u32::from(r.end()) - u32::from(r.start())) as usize + 1;
                let c = u32::from(r.start()) + u32::try_from(rng.below(span)).unwrap_or(0);
                out.push(u8::try_from(c).ok().filter(u8::is_ascii).unwrap_or(b'#'));
            }
            HirKind::Repetition(r) => {
                let extra = r.max.map_or(3, |max| (max - r.min).min(3)) as usize;
                for _ in 0..r.min as usize + rng.below(extra + 1) {
                    sample(&r.sub, rng, out);
                }
            }
            HirKind::Capture(c) => sample(&c.sub, rng, out),
            HirKind::Concat(hs) => {
                for h in hs {
                    sample(h, rng, out);
                }
            }
            HirKind::Alternation(hs) => sample(&hs[rng.below(hs.len())], rng, out),
        }
    }

    /// Values around a pattern: strings it matches, its literals in any case, cut short or
    /// padded, and noise.
    pub(in crate::kb) fn values(hir: &Hir, checked: &Checked, rng: &mut Rng) -> Vec<Vec<u8>> {
        const PAD: &[u8] = b"aZ09 -.,;/^_xX";
        let pad = |rng: &mut Rng| -> Vec<u8> {
            (0..rng.below(4))
                .map(|_| PAD[rng.below(PAD.len())])
                .collect()
        };
        let mut bases: Vec<Vec<u8>> = Vec::new();
        for _ in 0..24 {
            let mut s = Vec::new();
            sample(hir, rng, &mut s);
            bases.push(s);
        }
        for a in &checked.alts {
            let flipped: Vec<u8> = a
                .text
                .bytes()
                .map(|b| {
                    if rng.below(2) == 0 {
                        b.to_ascii_uppercase()
                    } else {
                        b
                    }
                })
                .collect();
            bases.push(a.text.as_bytes().to_vec());
            bases.push(flipped.clone());
            if let Some((_, head)) = flipped.split_last() {
                bases.push(head.to_vec());
            }
            if flipped.len() > 1 {
                bases.push(flipped[1..].to_vec());
            }
        }
        let mut out = Vec::new();
        for b in bases {
            out.push(b.clone());
            let (p, q) = (pad(rng), pad(rng));
            out.push([p.as_slice(), &b].concat());
            out.push([b.as_slice(), &q].concat());
            out.push([p.as_slice(), &b, &q].concat());
        }
        out.push(Vec::new());
        out
    }

    pub(in crate::kb) fn parse(full: &str) -> Hir {
        regex_syntax::ParserBuilder::new()
            .unicode(false)
            .utf8(false)
            .build()
            .parse(full)
            .unwrap()
    }

    fn check_agreement(pattern: &str, rng: &mut Rng) {
        let checked = check(pattern).unwrap();
        let re = build_matcher(&checked.pattern).unwrap();
        let hir = parse(&checked.pattern);
        for v in values(&hir, &checked, rng) {
            assert!(
                agree(&checked, &re, &v),
                "{pattern:?} ({checked:?}) on {:?}",
                String::from_utf8_lossy(&v)
            );
        }
    }

    #[test]
    fn shapes() {
        let lit = |p: &str| {
            let c = check(p).unwrap();
            assert!(c.literal, "{p}: {c:?}");
            c.alts
                .iter()
                .map(|a| (a.start, a.end, a.text.to_string()))
                .collect::<Vec<_>>()
        };
        let t = |s: &str| s.to_owned();
        assert_eq!(lit("^ALARIS MEDICAL"), [(true, false, t("alaris medical"))]);
        assert_eq!(
            lit("^(534|705)$"),
            [(true, true, t("534")), (true, true, t("705"))]
        );
        assert_eq!(lit("^(7|9)$"), [(true, true, t("7")), (true, true, t("9"))]);
        assert_eq!(lit("Hikvision"), [(false, false, t("hikvision"))]);
        assert_eq!(lit("^[Cc]isco\\.$"), [(true, true, t("cisco."))]);
        assert_eq!(
            lit("(^|,)wlan_ap(,|$)"),
            [
                (true, false, t("wlan_ap,")),
                (true, true, t("wlan_ap")),
                (false, false, t(",wlan_ap,")),
                (false, true, t(",wlan_ap")),
            ]
        );
        assert_eq!(lit("^a(,b)?$").len(), 2);
        // A `^` after a byte cannot match: that alternative is dropped.
        assert_eq!(lit("x^|^y"), [(true, false, t("y"))]);
        for p in [
            "^[0-9]+$",
            "(?-i)Acme",
            "\\bacme",
            "^[a-z]x",
            "^a.*b$",
            "\\S",
            "^caf\u{e9}",
        ] {
            let c = check(p);
            assert!(c.as_ref().is_err() || !c.unwrap().literal, "{p}");
        }
        let c = check("^Cisco IOS Software.*Version (?P<v>[^ ,]+)").unwrap();
        assert_eq!(c.names, ["v"]);
        assert_eq!(
            c.alts,
            [Alt {
                start: true,
                end: false,
                text: "cisco ios software".into()
            }]
        );
    }

    /// Every condition of the shipped rules: its literals agree with its regex on values made
    /// from it.
    #[test]
    fn shipped_patterns_agree_with_their_regexes() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        let kb = crate::KnowledgeBase::embedded().unwrap();
        let mut n = 0;
        for rule in kb.rules.iter() {
            for c in rule.matches.iter() {
                let written = c.pattern.strip_prefix(FLAGS).unwrap();
                check_agreement(written, &mut rng);
                n += 1;
            }
        }
        assert!(n > 300, "{n} conditions");
    }

    fn atom() -> impl Strategy<Value = String> {
        prop_oneof![
            "[aAbB1.,_-]{1,3}".prop_map(|s| regex_syntax::escape(&s)),
            Just("^".to_owned()),
            Just("$".to_owned()),
            Just("[ab]".to_owned()),
            Just("[Bb]".to_owned()),
            Just("[0-9]".to_owned()),
            Just("(1|,)".to_owned()),
            Just("a+".to_owned()),
            Just("(?-i)A".to_owned()),
            Just("\\b".to_owned()),
            Just(".".to_owned()),
        ]
    }

    fn pattern() -> impl Strategy<Value = String> {
        let concat = || prop::collection::vec(atom(), 1..5).prop_map(|v| v.concat());
        let group = (concat(), any::<bool>(), any::<bool>()).prop_map(|(c, opt, plus)| {
            format!(
                "({c}){}",
                if plus {
                    "+"
                } else if opt {
                    "?"
                } else {
                    ""
                }
            )
        });
        let piece = prop_oneof![concat(), group];
        let branch = prop::collection::vec(piece, 1..4).prop_map(|v| v.concat());
        prop::collection::vec(branch, 1..4).prop_map(|v| v.join("|"))
    }

    proptest! {
        /// Random patterns of literals, anchors, groups and classes: the shape found agrees
        /// with the regex on values made from the pattern and on noise.
        #[test]
        fn random_patterns_agree_with_their_regexes(
            p in pattern(),
            seed in 1u64..,
            noise in prop::collection::vec("[aAbB1.,_ -]{0,8}", 0..8),
        ) {
            let mut rng = Rng(seed);
            check_agreement(&p, &mut rng);
            let checked = check(&p).unwrap();
            let re = build_matcher(&checked.pattern).unwrap();
            for v in noise {
                prop_assert!(agree(&checked, &re, v.as_bytes()), "{p:?} on {v:?}");
            }
        }
    }
}
