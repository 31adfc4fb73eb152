//! Which rule conditions a device's values satisfy.
//!
//! Every condition is filed under its field as literals to test ([`super::pattern`]): a value
//! is compared only with the literals that could match it — those anchored at its start are
//! looked up by its first byte, those that may stand anywhere are found in one pass over it —
//! and a condition that is not all literal runs its own regex only on the values its literals
//! let through. That regex is built the first time it is needed, so an analysis builds the
//! few its traffic calls for: building one set per field at start-up (with the rule files'
//! parsing, 65 M instructions) was 7% of the bench capture's analysis.

use std::sync::OnceLock;

use model::Device;
use regex_automata::{Input, meta, util::syntax};

use super::pattern::Alt;
use super::rule::{Condition, Field, Rule, Text};

/// NFA size a condition's regex may reach (the per-field sets had the same bound).
const NFA_SIZE_LIMIT: usize = 64 << 20;

/// NFA size of the regex that reads a condition's captures (the bound the captures regex had
/// when it was a `regex::bytes::Regex`: past it, no captures).
const CAPTURES_SIZE_LIMIT: usize = 1 << 20;

/// One literal of one condition.
#[derive(Debug)]
struct Probe {
    alt: Alt,
    rule: u32,
    cond: u8,
    /// The condition is this literal or another of its own: no regex to run.
    literal: bool,
}

impl Probe {
    /// The first byte of its literal (lower case); only for probes with a literal.
    fn first(&self) -> u8 {
        self.alt.text.as_bytes().first().copied().unwrap_or(0)
    }
}

/// A field's probes.
#[derive(Debug, Default)]
struct FieldProbes {
    /// Probes whose literal starts the value, sorted by its first byte: looked up by the
    /// value's.
    anchored: Vec<Probe>,
    /// Probes whose literal may stand anywhere, sorted by its first byte: found in one pass
    /// over the value, whatever their number.
    inner: Vec<Probe>,
    /// The first bytes of `inner`'s literals, a bit each.
    inner_firsts: [u64; 4],
    /// The rest (a literal that ends the value, or none), tested on every value.
    other: Vec<Probe>,
}

impl FieldProbes {
    fn add(&mut self, probe: Probe) {
        match (probe.alt.start, probe.alt.end, probe.alt.text.is_empty()) {
            (true, _, false) => self.anchored.push(probe),
            (false, false, false) => {
                let b = probe.first();
                self.inner_firsts[usize::from(b >> 6)] |= 1 << (b & 63);
                self.inner.push(probe);
            }
            _ => self.other.push(probe),
        }
    }

    fn sort(&mut self) {
        self.anchored.sort_by_key(Probe::first);
        self.inner.sort_by_key(Probe::first);
    }
}

/// The conditions of every rule, by field, and the regexes built so far.
#[derive(Debug)]
pub(super) struct Index {
    fields: Vec<FieldProbes>,
    /// Field numbers of the fields other than facts, in [`fixed_slot`] order.
    fixed: [Option<u32>; 6],
    /// Fact key → field number, sorted by key.
    facts: Vec<(Text, u32)>,
    /// Rules without a regex condition, by something a device must show for them to hold.
    structural: Structural,
    /// Number of each rule's first condition among all conditions.
    base: Vec<u32>,
    /// Each condition's regex, built when first needed.
    regexes: Box<[OnceLock<Option<meta::Regex>>]>,
    /// Each condition's regex with its captures, built when a firing rule needs them.
    captures: Box<[OnceLock<Option<meta::Regex>>]>,
}

/// Rules without a regex condition, each filed under one thing its conditions require.
#[derive(Debug, Default)]
struct Structural {
    /// (role, rule), sorted.
    by_role: Vec<(Text, u32)>,
    /// (application protocol of a service condition, rule), sorted.
    by_app: Vec<(Text, u32)>,
    /// (port of a service condition, rule), sorted.
    by_port: Vec<(u16, u32)>,
    /// Rules requiring none of those (a service on any port): candidates on every device.
    always: Vec<u32>,
}

impl Structural {
    fn add(&mut self, ri: u32, rule: &Rule) {
        if let Some(role) = &rule.role {
            self.by_role.push((role.clone(), ri));
            return;
        }
        for c in [&rule.serves, &rule.uses].into_iter().flatten() {
            if let Some(app) = &c.app {
                self.by_app.push((app.clone(), ri));
                return;
            }
            if let Some(port) = c.port {
                self.by_port.push((port, ri));
                return;
            }
        }
        self.always.push(ri);
    }

    fn sort(&mut self) {
        self.by_role.sort();
        self.by_app.sort();
        self.by_port.sort_unstable();
    }
}

/// The slot of a field other than facts, or its key if it is a fact.
fn fixed_slot(field: &Field) -> Result<usize, &Text> {
    match field {
        Field::Oui => Ok(0),
        Field::VendorClass => Ok(1),
        Field::DhcpPrl => Ok(2),
        Field::Hostname => Ok(3),
        Field::Software => Ok(4),
        Field::Dns => Ok(5),
        Field::Fact(key) => Err(key),
    }
}

impl Index {
    pub(super) fn new(rules: &[Rule]) -> Self {
        let mut fields: Vec<FieldProbes> = Vec::new();
        let mut fixed = [None; 6];
        let mut facts: Vec<(Text, u32)> = Vec::new();
        let mut structural = Structural::default();
        let mut base = Vec::with_capacity(rules.len());
        let mut conditions = 0u32;
        for (ri, rule) in (0u32..).zip(rules) {
            base.push(conditions);
            conditions += u32::try_from(rule.matches.len()).unwrap_or(u32::MAX);
            if rule.matches.is_empty() {
                structural.add(ri, rule);
            }
            for (ci, c) in (0u8..).zip(rule.matches.iter()) {
                let mut new_field = || {
                    fields.push(FieldProbes::default());
                    u32::try_from(fields.len() - 1).unwrap_or(u32::MAX)
                };
                let number = match fixed_slot(&c.field) {
                    Ok(i) => *fixed[i].get_or_insert_with(new_field),
                    Err(key) => match facts.binary_search_by(|(k, _)| k.as_ref().cmp(key)) {
                        Ok(i) => facts[i].1,
                        Err(i) => {
                            let n = new_field();
                            facts.insert(i, (key.clone(), n));
                            n
                        }
                    },
                };
                let probes = &mut fields[number as usize];
                let mut add = |alt: Alt| {
                    probes.add(Probe {
                        alt,
                        rule: ri,
                        cond: ci,
                        literal: c.literal,
                    });
                };
                if c.alts.is_empty() && !c.literal {
                    // No literal every match holds: the regex looks at every value.
                    add(Alt {
                        start: false,
                        end: false,
                        text: Text::Borrowed(""),
                    });
                }
                for alt in c.alts.iter() {
                    add(alt.clone());
                }
            }
        }
        for f in &mut fields {
            f.sort();
        }
        structural.sort();
        let regexes = (0..conditions).map(|_| OnceLock::new()).collect();
        let captures = (0..conditions).map(|_| OnceLock::new()).collect();
        Self {
            fields,
            fixed,
            facts,
            structural,
            base,
            regexes,
            captures,
        }
    }

    /// The conditions `device` satisfies, and with which of its values first.
    pub(super) fn matches<'d>(
        &self,
        rules: &[Rule],
        device: &'d Device,
        derived: &'d mut DerivedText,
    ) -> Matches<'d> {
        let mut m = Matches::default();
        let [oui, vendor_class, prl, hostname, software, dns] = self.fixed;
        if let Some(f) = oui {
            let values = device
                .vendor
                .iter()
                .flat_map(|a| &a.evidence)
                .filter(|e| e.source == "oui");
            for e in values {
                self.scan(rules, f, &e.value, &mut m);
            }
        }
        if let Some(f) = vendor_class {
            for v in device.dhcp.iter().filter_map(|d| d.vendor_class.as_deref()) {
                self.scan(rules, f, v, &mut m);
            }
        }
        if let Some(f) = hostname {
            for h in &device.hostnames {
                self.scan(rules, f, &h.name, &mut m);
            }
        }
        if let Some(f) = dns {
            for v in &device.dns_queries {
                self.scan(rules, f, v, &mut m);
            }
        }
        if !self.facts.is_empty() {
            // Facts come sorted by key: one lookup per key.
            let mut last: Option<(&str, Option<u32>)> = None;
            for fact in &device.facts {
                let field = match last {
                    Some((key, field)) if key == fact.key => field,
                    _ => {
                        let field = self
                            .facts
                            .binary_search_by(|(k, _)| k.as_ref().cmp(&fact.key))
                            .ok()
                            .map(|i| self.facts[i].1);
                        last = Some((&fact.key, field));
                        field
                    }
                };
                if let Some(f) = field {
                    self.scan(rules, f, &fact.value, &mut m);
                }
            }
        }
        if prl.is_some() || software.is_some() {
            derived.fill(device, prl.is_some(), software.is_some());
            let derived: &'d DerivedText = derived;
            if let Some(f) = prl {
                for v in &derived.prl {
                    self.scan(rules, f, v, &mut m);
                }
            }
            if let Some(f) = software {
                for v in &derived.software {
                    self.scan(rules, f, v, &mut m);
                }
            }
        }
        m.touched.sort_unstable();
        m
    }

    /// Tests `value` against the conditions of field `f`.
    fn scan<'d>(&self, rules: &[Rule], f: u32, value: &'d str, m: &mut Matches<'d>) {
        let probes = &self.fields[f as usize];
        let bytes = value.as_bytes();
        m.tried.clear();
        if let Some(&first) = bytes.first() {
            let first = first.to_ascii_lowercase();
            let from = probes.anchored.partition_point(|p| p.first() < first);
            for p in probes.anchored[from..]
                .iter()
                .take_while(|p| p.first() == first)
            {
                if !m.holds(p.rule, p.cond) && p.alt.holds(bytes) {
                    self.accept(rules, p, value, m);
                }
            }
        }
        if !probes.inner.is_empty() {
            for (i, &b) in bytes.iter().enumerate() {
                let b = b.to_ascii_lowercase();
                if probes.inner_firsts[usize::from(b >> 6)] & (1 << (b & 63)) == 0 {
                    continue;
                }
                let rest = &bytes[i + 1..];
                let from = probes.inner.partition_point(|p| p.first() < b);
                for p in probes.inner[from..].iter().take_while(|p| p.first() == b) {
                    let tail = &p.alt.text.as_bytes()[1..];
                    if !m.holds(p.rule, p.cond)
                        && rest
                            .get(..tail.len())
                            .is_some_and(|r| r.eq_ignore_ascii_case(tail))
                    {
                        self.accept(rules, p, value, m);
                    }
                }
            }
        }
        for p in &probes.other {
            if !m.holds(p.rule, p.cond) && p.alt.holds(bytes) {
                self.accept(rules, p, value, m);
            }
        }
    }

    /// `value` holds a literal of `p`'s condition: the condition holds if it is all literal
    /// or its regex says so (run once per value, however many of its literals the value holds).
    fn accept<'d>(&self, rules: &[Rule], p: &Probe, value: &'d str, m: &mut Matches<'d>) {
        if !p.literal {
            if m.tried.contains(&(p.rule, p.cond)) {
                return;
            }
            m.tried.push((p.rule, p.cond));
            let c = &rules[p.rule as usize].matches[usize::from(p.cond)];
            let Some(re) = self.regex(p.rule, p.cond, c) else {
                return;
            };
            if !re.is_match(Input::new(value.as_bytes())) {
                return;
            }
        }
        m.hit(p.rule, p.cond, value, rules.len());
    }

    fn number(&self, rule: u32, cond: u8) -> usize {
        self.base[rule as usize] as usize + usize::from(cond)
    }

    /// The regex of a condition, built at first use. `None` only if it cannot be built (see
    /// [`Self::build_all`]).
    fn regex(&self, rule: u32, cond: u8, c: &Condition) -> Option<&meta::Regex> {
        self.regexes[self.number(rule, cond)]
            .get_or_init(|| build_matcher(&c.pattern).ok())
            .as_ref()
    }

    /// Builds every condition's regex of rules `from..`: rule files read at run time are
    /// checked whole at load, so a pattern too large to build fails there, naming its rule.
    pub(super) fn build_all(&self, rules: &[Rule], from: usize) -> Result<(), (usize, String)> {
        for (ri, rule) in rules.iter().enumerate().skip(from) {
            for (ci, c) in (0u8..).zip(rule.matches.iter()) {
                if c.literal {
                    continue;
                }
                let built = build_matcher(&c.pattern)
                    .map_err(|e| (ri, format!("when.{}: {e}", c.field.name())))?;
                let number = self.number(u32::try_from(ri).unwrap_or(u32::MAX), ci);
                // Set once here, before any classification.
                let _ = self.regexes[number].set(Some(built));
            }
        }
        Ok(())
    }

    /// The named groups condition `cond` of rule `rule` captures in `value`, if it matches.
    pub(super) fn captures(
        &self,
        rule: usize,
        cond: usize,
        c: &Condition,
        value: &str,
    ) -> Option<Vec<(String, String)>> {
        let number = self.base[rule] as usize + cond;
        let re = self.captures[number]
            .get_or_init(|| build_capturer(&c.pattern))
            .as_ref()?;
        let mut caps = re.create_captures();
        re.captures(Input::new(value.as_bytes()), &mut caps);
        if !caps.is_match() {
            return None;
        }
        Some(
            c.names
                .iter()
                .filter_map(|n| {
                    caps.get_group_by_name(n).map(|span| {
                        (
                            n.to_string(),
                            String::from_utf8_lossy(&value.as_bytes()[span.range()])
                                .trim()
                                .to_owned(),
                        )
                    })
                })
                .collect(),
        )
    }

    /// The rules without a regex condition that may hold on `device`, in order: those whose
    /// role it plays, or whose service's application or port it shows (their conditions are
    /// checked whole by the caller).
    pub(super) fn structural_candidates(&self, device: &Device) -> Vec<u32> {
        let s = &self.structural;
        let mut out = s.always.clone();
        let mut add = |table: &[(Text, u32)], key: &str| {
            let from = table.partition_point(|(k, _)| k.as_ref() < key);
            out.extend(
                table[from..]
                    .iter()
                    .take_while(|(k, _)| k.as_ref() == key)
                    .map(|&(_, r)| r),
            );
        };
        for role in &device.roles {
            add(&s.by_role, role);
        }
        for service in &device.services {
            if let Some(app) = &service.app {
                add(&s.by_app, app);
            }
        }
        for service in &device.services {
            let from = s.by_port.partition_point(|&(p, _)| p < service.port);
            out.extend(
                s.by_port[from..]
                    .iter()
                    .take_while(|&&(p, _)| p == service.port)
                    .map(|&(_, r)| r),
            );
        }
        out.sort_unstable();
        out.dedup();
        out
    }
}

/// A condition's regex for matching: what the per-field sets were built with (ASCII, no
/// Unicode classes, bytes). Neither a literal prefilter (the literals were tested already)
/// nor a full DFA: each regex runs on a handful of short values, and building the DFA took
/// nine tenths of building the regex (the lazy DFA is built as it runs).
pub(super) fn build_matcher(pattern: &str) -> Result<meta::Regex, String> {
    meta::Builder::new()
        .configure(
            meta::Config::new()
                .auto_prefilter(false)
                .dfa(false)
                .hybrid(false)
                .onepass(false)
                .nfa_size_limit(Some(NFA_SIZE_LIMIT)),
        )
        .syntax(syntax::Config::new().unicode(false).utf8(false))
        .build(pattern)
        .map_err(|e| e.to_string())
}

/// A condition's regex for its captures: what `regex::bytes::RegexBuilder` built with
/// `unicode(false)` and `size_limit(1 << 20)`, without the prefilter and full DFA that
/// only speed up searches (empty matches may split a code point, as in
/// `regex::bytes`); `None` past that size, as before: no captures.
fn build_capturer(pattern: &str) -> Option<meta::Regex> {
    meta::Builder::new()
        .configure(
            meta::Config::new()
                .auto_prefilter(false)
                .dfa(false)
                .hybrid(false)
                .onepass(false)
                .utf8_empty(false)
                .nfa_size_limit(Some(CAPTURES_SIZE_LIMIT)),
        )
        .syntax(syntax::Config::new().unicode(false).utf8(false))
        .build(pattern)
        .ok()
}

/// What one device satisfies: a bit per condition of each rule it touched, and the first
/// value (in the device's order) each condition matched — what the evidence cites, and where
/// a rule's captures are read from.
#[derive(Debug, Default)]
pub(super) struct Matches<'d> {
    /// Per rule, a bit per condition; empty until the first hit.
    satisfied: Vec<u32>,
    /// Rules with at least one condition satisfied, sorted once matching is done.
    pub(super) touched: Vec<u32>,
    hits: Vec<(u32, u8, &'d str)>,
    /// Conditions whose regex ran on the value being scanned.
    tried: Vec<(u32, u8)>,
}

impl<'d> Matches<'d> {
    fn holds(&self, rule: u32, cond: u8) -> bool {
        self.satisfied
            .get(rule as usize)
            .is_some_and(|m| m & (1 << cond) != 0)
    }

    fn hit(&mut self, rule: u32, cond: u8, value: &'d str, rules: usize) {
        if self.satisfied.is_empty() {
            self.satisfied = vec![0; rules];
        }
        let m = &mut self.satisfied[rule as usize];
        if *m == 0 {
            self.touched.push(rule);
        }
        *m |= 1 << cond;
        self.hits.push((rule, cond, value));
    }

    /// The conditions of `rule` satisfied, a bit each.
    pub(super) fn satisfied(&self, rule: usize) -> u32 {
        self.satisfied.get(rule).copied().unwrap_or(0)
    }

    /// The first value condition `cond` of `rule` matched.
    pub(super) fn first(&self, rule: usize, cond: usize) -> Option<&'d str> {
        self.hits
            .iter()
            .find(|&&(r, c, _)| r as usize == rule && usize::from(c) == cond)
            .map(|&(_, _, v)| v)
    }
}

/// The field values that are not stored as text on the device (the option 55 list,
/// software as `product version`), built only when a rule looks at them.
#[derive(Debug, Default)]
pub(super) struct DerivedText {
    prl: Vec<String>,
    software: Vec<String>,
}

impl DerivedText {
    fn fill(&mut self, d: &Device, prl: bool, software: bool) {
        if prl {
            self.prl = d
                .dhcp
                .iter()
                .filter_map(|f| f.param_request_list.as_ref())
                .map(|l| l.iter().map(u8::to_string).collect::<Vec<_>>().join(","))
                .collect();
        }
        if software {
            self.software = d
                .software
                .iter()
                .map(|s| match &s.version {
                    Some(v) => format!("{} {v}", s.product),
                    None => s.product.clone(),
                })
                .collect();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::kb::pattern::tests::{Rng, parse, values};

    /// Every value made from any shipped condition, scanned under its field: the conditions
    /// found are exactly those of the field whose regex matches it.
    #[test]
    fn scanning_finds_what_each_regex_finds() {
        let kb = crate::KnowledgeBase::embedded().unwrap();
        let rules: &[Rule] = &kb.rules;
        let index = &kb.index;
        let mut rng = Rng(0x2545_f491_4f6c_dd1d);
        let mut by_field: Vec<Vec<(u32, u8, meta::Regex)>> =
            (0..index.fields.len()).map(|_| Vec::new()).collect();
        let mut pool: Vec<Vec<Vec<u8>>> = (0..index.fields.len()).map(|_| Vec::new()).collect();
        for (ri, rule) in (0u32..).zip(rules) {
            for (ci, c) in (0u8..).zip(rule.matches.iter()) {
                let f = match fixed_slot(&c.field) {
                    Ok(i) => index.fixed[i].unwrap(),
                    Err(key) => {
                        let i = index
                            .facts
                            .binary_search_by(|(k, _)| k.as_ref().cmp(key))
                            .unwrap();
                        index.facts[i].1
                    }
                } as usize;
                by_field[f].push((ri, ci, build_matcher(&c.pattern).unwrap()));
                let checked =
                    crate::kb::pattern::check(&c.pattern[crate::kb::pattern::FLAGS.len()..])
                        .unwrap();
                for v in values(&parse(&c.pattern), &checked, &mut rng) {
                    if let Ok(v) = String::from_utf8(v) {
                        pool[f].push(v.into_bytes());
                    }
                }
            }
        }
        let mut checked = 0;
        for (f, values) in pool.iter().enumerate() {
            for v in values {
                let v = std::str::from_utf8(v).unwrap();
                let mut m = Matches::default();
                index.scan(rules, u32::try_from(f).unwrap(), v, &mut m);
                let mut found: Vec<(u32, u8)> = m.hits.iter().map(|&(r, c, _)| (r, c)).collect();
                found.sort_unstable();
                let want: Vec<(u32, u8)> = by_field[f]
                    .iter()
                    .filter(|(_, _, re)| re.is_match(Input::new(v.as_bytes())))
                    .map(|&(r, c, _)| (r, c))
                    .collect();
                assert_eq!(found, want, "field {f} value {v:?}");
                checked += 1;
            }
        }
        assert!(checked > 10_000, "{checked} values");
    }

    /// A device made to satisfy a rule without a regex condition finds that rule among its
    /// candidates; a device showing nothing finds none.
    #[test]
    fn structural_rules_are_found_by_what_they_require() {
        let kb = crate::KnowledgeBase::embedded().unwrap();
        let mut n = 0;
        for (ri, rule) in (0u32..).zip(kb.rules.iter()) {
            if !rule.matches.is_empty() {
                continue;
            }
            let mut device = Device::default();
            if let Some(role) = &rule.role {
                device.roles.push(role.to_string());
            }
            for (c, server) in [(&rule.serves, true), (&rule.uses, false)] {
                if let Some(c) = c {
                    device.services.push(model::Service {
                        transport: c.transport.as_deref().unwrap_or("tcp").to_owned(),
                        port: c.port.unwrap_or(1),
                        app: c.app.as_ref().map(|a| a.to_string()),
                        role: if server { "server" } else { "client" }.to_owned(),
                        peers: c.min_peers,
                    });
                }
            }
            assert!(rule.structural_holds(&device), "{}", rule.source);
            assert!(
                kb.index.structural_candidates(&device).contains(&ri),
                "{}",
                rule.source
            );
            n += 1;
        }
        assert!(n > 10, "{n} rules");
        assert!(
            kb.index
                .structural_candidates(&Device::default())
                .is_empty()
        );
    }
}
