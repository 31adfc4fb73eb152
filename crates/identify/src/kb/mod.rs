//! The knowledge base: fingerprint rules and vendor aliases as reviewable TOML (`kb/rules/`,
//! embedded at build time), plus any files a user adds with `--kb`.
//!
//! Classification evaluates every rule against a finished [`Device`]: for each field a rule
//! can look at (OUI organisation, DHCP, host names, application facts, software, DNS names)
//! one [`RegexSet`] holds every rule's pattern, so each of the device's values is matched once
//! against all rules. A rule fires when all its conditions hold; what it sets becomes a
//! [`Contribution`], and contributions combine into attributes ([`crate::combine`]).

mod rule;
mod vendor;

use std::collections::{BTreeMap, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};

use model::{Attribute, Device};
use regex::bytes::{Regex, RegexBuilder};
use regex_automata::{Input, MatchKind, PatternSet, meta, util::syntax};

use crate::combine::{Contribution, combine, model_key, plain_key};
pub(crate) use rule::{Field, Rule, RuleFile, ServiceCond};
pub use vendor::VendorAliases;

/// The rule files compiled into the binary: (path under the repository, text).
mod embedded {
    include!(concat!(env!("OUT_DIR"), "/kb_rules.rs"));
}

/// The DESIGN §4 taxonomy: the only values `category` takes.
pub const CATEGORIES: &[&str] = &[
    "infusion_pump",
    "ventilator",
    "anesthesia_machine",
    "dialysis_machine",
    "patient_monitor",
    "monitor_gateway",
    "ecg",
    "telemetry_transmitter",
    "wearable_sensor",
    "imaging_modality",
    "pacs",
    "imaging_workstation",
    "lab_analyzer",
    "poc_analyzer",
    "lab_middleware",
    "medication_cabinet",
    "smart_bed",
    "nurse_call",
    "rtls",
    "medical_other",
    "ehr_server",
    "interface_engine",
    "medical_device_server",
    "clinical_workstation",
    "hvac_controller",
    "building_controller",
    "access_control",
    "ip_camera",
    "power_device",
    "lighting_controller",
    "workstation",
    "server",
    "printer",
    "ip_phone",
    "network_switch",
    "router",
    "firewall",
    "wireless_ap",
    "wireless_controller",
    "storage",
    "smart_plug",
    "smart_hub",
    "smart_speaker",
    "iot_sensor",
    "media_device",
    "iot_other",
    "mobile_phone",
    "tablet",
    "laptop",
    "wearable",
    "unknown",
];

/// DICOM modality defined terms (PS3.3 C.7.3.1.1.1) a `modality` value may take.
pub const MODALITIES: &[&str] = &[
    "CR",
    "CT",
    "MR",
    "NM",
    "US",
    "OT",
    "BI",
    "DG",
    "ES",
    "LS",
    "PT",
    "RG",
    "TG",
    "XA",
    "RF",
    "RTIMAGE",
    "RTDOSE",
    "RTSTRUCT",
    "RTPLAN",
    "RTRECORD",
    "HC",
    "DX",
    "MG",
    "IO",
    "PX",
    "GM",
    "SM",
    "XC",
    "PR",
    "AU",
    "ECG",
    "EPS",
    "HD",
    "SR",
    "IVUS",
    "OP",
    "SMR",
    "OCT",
    "OPT",
    "OPM",
    "OPV",
    "OAM",
    "OPR",
    "KO",
    "SEG",
    "REG",
    "BDUS",
    "BMD",
    "DOC",
    "FID",
    "PLAN",
    "IOL",
    "IVOCT",
    "KER",
    "LEN",
    "RESP",
    "SRF",
    "VA",
    "POS",
    "M3D",
    "CTPROTOCOL",
];

/// A rule file that did not load: which file, which rule, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KbError {
    /// The file.
    pub file: String,
    /// The rule's id, when the problem is in one rule.
    pub rule: Option<String>,
    /// What is wrong (TOML errors carry their line and column).
    pub message: String,
}

impl fmt::Display for KbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.rule {
            Some(r) => write!(f, "{}: rule {r:?}: {}", self.file, self.message),
            None => write!(f, "{}: {}", self.file, self.message),
        }
    }
}

impl std::error::Error for KbError {}

/// Which rule, and which of its conditions, a pattern of a field's set is.
type Owner = (usize, usize);

/// Rules and aliases, ready to classify devices.
#[derive(Debug)]
pub struct KnowledgeBase {
    rules: Vec<Rule>,
    vendors: VendorAliases,
    /// Per field: one set of every rule's pattern, and which (rule, condition) each is.
    sets: BTreeMap<Field, (meta::Regex, Vec<Owner>)>,
    /// Rule files loaded, for `--kb` reporting.
    files: Vec<String>,
    /// Fingerprints learned by `wardline kb learn`, with the file stem they came from.
    learned: Vec<(String, crate::learn::Fingerprints)>,
    /// Patterns in the largest set: one match buffer serves every set.
    widest_set: usize,
}

/// Lowest similarity at which a learned fingerprint counts as evidence.
const MIN_LEARNED_SIMILARITY: f32 = 0.35;

impl KnowledgeBase {
    /// The rules shipped in `kb/rules/`.
    pub fn embedded() -> Result<Self, KbError> {
        Self::load(&[])
    }

    /// The shipped rules plus every `.toml` file at `extra` (files, or folders searched
    /// recursively in name order).
    pub fn load(extra: &[PathBuf]) -> Result<Self, KbError> {
        let mut texts: Vec<(String, String)> = embedded::FILES
            .iter()
            .map(|(name, text)| ((*name).to_owned(), (*text).to_owned()))
            .collect();
        for path in extra {
            for file in toml_files(path)? {
                let text = std::fs::read_to_string(&file).map_err(|e| KbError {
                    file: file.display().to_string(),
                    rule: None,
                    message: e.to_string(),
                })?;
                texts.push((file.display().to_string(), text));
            }
        }
        Self::from_texts(&texts)
    }

    /// Compiles rule files given as (name, text).
    pub fn from_texts(texts: &[(String, String)]) -> Result<Self, KbError> {
        let mut rules = Vec::new();
        let mut vendors = VendorAliases::default();
        let mut files = Vec::new();
        let mut learned = Vec::new();
        for (name, text) in texts {
            let stem = Path::new(name)
                .file_stem()
                .map_or_else(|| name.clone(), |s| s.to_string_lossy().into_owned());
            // Learned files hold `[[fingerprint]]` tables (a quick look before the parse that
            // decides: the shipped rule files are parsed once).
            if text.contains("fingerprint")
                && toml::from_str::<toml::Table>(text).is_ok_and(|t| t.contains_key("fingerprint"))
            {
                let model: crate::learn::Fingerprints =
                    toml::from_str(text).map_err(|e| KbError {
                        file: name.clone(),
                        rule: None,
                        message: e.to_string().trim_end().replace('\n', " "),
                    })?;
                learned.push((stem, model));
                files.push(name.clone());
                continue;
            }
            let parsed: RuleFile = toml::from_str(text).map_err(|e| KbError {
                file: name.clone(),
                rule: None,
                message: e.to_string().trim_end().replace('\n', " "),
            })?;
            for spec in parsed.rule {
                let id = spec.id.clone();
                let rule =
                    rule::compile(spec, &stem, parsed.source.as_deref()).map_err(|message| {
                        KbError {
                            file: name.clone(),
                            rule: Some(id),
                            message,
                        }
                    })?;
                rules.push(rule);
            }
            vendors.extend(parsed.vendor).map_err(|message| KbError {
                file: name.clone(),
                rule: None,
                message,
            })?;
            files.push(name.clone());
        }
        let mut seen = std::collections::HashSet::new();
        for r in &rules {
            if !seen.insert(r.source.as_str()) {
                return Err(KbError {
                    file: r.source.clone(),
                    rule: None,
                    message: "two rules with this file name and id".into(),
                });
            }
        }
        let mut patterns: BTreeMap<Field, (Vec<String>, Vec<Owner>)> = BTreeMap::new();
        for (ri, r) in rules.iter().enumerate() {
            for (ci, (field, re)) in r.matches.iter().enumerate() {
                let e = patterns.entry(field.clone()).or_default();
                e.0.push(re.as_str().to_owned());
                e.1.push((ri, ci));
            }
        }
        let mut sets = BTreeMap::new();
        for (field, (pats, owners)) in patterns {
            // Every pattern's matches, not the leftmost one's; no literal prefilter: the set
            // runs once per device value at the end of an analysis, and building a prefilter
            // over hundreds of patterns cost more than all the matching it would save.
            let set = meta::Builder::new()
                .configure(
                    meta::Config::new()
                        .match_kind(MatchKind::All)
                        .auto_prefilter(false)
                        .nfa_size_limit(Some(64 << 20)),
                )
                .syntax(syntax::Config::new().unicode(false).utf8(false))
                .build_many(&pats)
                .map_err(|e| KbError {
                    file: "kb".into(),
                    rule: None,
                    message: format!("patterns of {}: {e}", field.name()),
                })?;
            sets.insert(field, (set, owners));
        }
        let widest_set = sets
            .values()
            .map(|(s, _)| s.pattern_len())
            .max()
            .unwrap_or(0);
        Ok(Self {
            rules,
            vendors,
            sets,
            files,
            learned,
            widest_set,
        })
    }

    /// The citation of the rule an evidence `source` (`kb:<file>/<rule id>`) names.
    pub fn citation(&self, source: &str) -> Option<&str> {
        self.rules
            .iter()
            .find(|r| r.source == source)
            .map(|r| r.citation.as_str())
    }

    /// Rules loaded.
    pub fn rule_count(&self) -> usize {
        self.rules.len()
    }

    /// Files loaded, embedded first.
    pub fn files(&self) -> &[String] {
        &self.files
    }

    /// The vendor alias table.
    pub fn vendors(&self) -> &VendorAliases {
        &self.vendors
    }

    /// Sets the device's vendor, category, model, OS, firmware and modality from the rules
    /// that fire on it, combined with the evidence it already carries (its OUI vendor).
    pub fn classify(&self, device: &mut Device) {
        self.classify_after(device, &[]);
    }

    /// [`Self::classify`] for a device already stored with attributes `before` (by name,
    /// from earlier analyses): their evidence counts with this analysis' evidence, and each
    /// attribute keeps its value unless the new evidence outweighs it by
    /// [`crate::HYSTERESIS`], so attributes do not flap from run to run.
    pub fn classify_after(&self, device: &mut Device, before: &[(String, Attribute)]) {
        let derived = DerivedText::of(device);
        let values = FieldValues::of(device, &derived);
        let mut satisfied = vec![0u32; self.rules.len()];
        // The first value (in the device's order) each (rule, condition) matched: what the
        // evidence cites, and where a rule's captures are read from.
        let mut first: HashMap<Owner, &str> = HashMap::new();
        let mut matched = PatternSet::new(self.widest_set);
        for (field, (set, owners)) in &self.sets {
            for &v in values.get(field) {
                matched.clear();
                set.which_overlapping_matches(&Input::new(v.as_bytes()), &mut matched);
                for i in matched.iter() {
                    let (ri, ci) = owners[i.as_usize()];
                    satisfied[ri] |= 1 << ci;
                    first.entry((ri, ci)).or_insert(v);
                }
            }
        }
        let mut found: BTreeMap<&'static str, Vec<Contribution>> = BTreeMap::new();
        for (ri, rule) in self.rules.iter().enumerate() {
            let full = if rule.matches.len() >= 32 {
                u32::MAX
            } else {
                (1u32 << rule.matches.len()) - 1
            };
            if satisfied[ri] != full || !rule.structural_holds(device) {
                continue;
            }
            rule.contribute(ri, &first, &mut found);
        }
        for (stem, model) in &self.learned {
            learned_contributions(stem, model, device, &mut found);
        }
        let vendor = device.vendor.take().map(Box::new);
        let mut slots = [
            ("vendor", vendor),
            ("category", device.category.take()),
            ("model", device.model.take()),
            ("os", device.os.take()),
            ("firmware", device.firmware.take()),
            ("modality", device.modality.take()),
        ];
        for (name, slot) in &mut slots {
            let name: &'static str = name;
            let mut contributions: Vec<Contribution> = slot
                .take()
                .map(|a| a.evidence.into_iter().map(Contribution::from).collect())
                .unwrap_or_default();
            contributions.extend(found.remove(name).unwrap_or_default());
            let earlier = before.iter().find(|(n, _)| n == name).map(|(_, a)| a);
            if let Some(a) = earlier {
                contributions.extend(
                    a.evidence
                        .iter()
                        .filter(|e| e.source != "override")
                        .cloned()
                        .map(Contribution::from),
                );
            }
            *slot = self
                .combine(name, contributions, earlier.map(|a| a.value.as_str()))
                .map(Box::new);
        }
        let [vendor, category, model, os, firmware, modality] = slots.map(|(_, a)| a);
        device.vendor = vendor.map(|a| *a);
        device.category = category;
        device.model = model;
        device.os = os;
        device.firmware = firmware;
        device.modality = modality;
    }

    fn combine(
        &self,
        name: &str,
        contributions: Vec<Contribution>,
        incumbent: Option<&str>,
    ) -> Option<Attribute> {
        match name {
            "vendor" => {
                let canonical = contributions
                    .into_iter()
                    .map(|mut c| {
                        c.value = self.vendors.canonical(&c.value);
                        c
                    })
                    .collect();
                combine(canonical, |v| self.vendors.key(v), incumbent)
            }
            "modality" => combine(contributions, |v| v.trim().to_ascii_uppercase(), incumbent),
            "model" => combine(contributions, model_key, incumbent),
            _ => combine(contributions, plain_key, incumbent),
        }
    }
}

/// The field values that are not stored as text on the device (the option 55 list,
/// software as `product version`), built once per device.
struct DerivedText {
    prl: Vec<String>,
    software: Vec<String>,
}

impl DerivedText {
    fn of(d: &Device) -> Self {
        Self {
            prl: d
                .dhcp
                .iter()
                .filter_map(|f| f.param_request_list.as_ref())
                .map(|l| l.iter().map(u8::to_string).collect::<Vec<_>>().join(","))
                .collect(),
            software: d
                .software
                .iter()
                .map(|s| match &s.version {
                    Some(v) => format!("{} {v}", s.product),
                    None => s.product.clone(),
                })
                .collect(),
        }
    }
}

/// A device's values per field, in its own (sorted) order.
struct FieldValues<'d> {
    oui: Vec<&'d str>,
    vendor_class: Vec<&'d str>,
    prl: Vec<&'d str>,
    hostnames: Vec<&'d str>,
    facts: BTreeMap<&'d str, Vec<&'d str>>,
    software: Vec<&'d str>,
    dns: Vec<&'d str>,
}

impl<'d> FieldValues<'d> {
    fn of(d: &'d Device, derived: &'d DerivedText) -> Self {
        let mut facts: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        for f in &d.facts {
            facts.entry(&f.key).or_default().push(&f.value);
        }
        Self {
            oui: d
                .vendor
                .iter()
                .flat_map(|a| &a.evidence)
                .filter(|e| e.source == "oui")
                .map(|e| e.value.as_str())
                .collect(),
            vendor_class: d
                .dhcp
                .iter()
                .filter_map(|f| f.vendor_class.as_deref())
                .collect(),
            prl: derived.prl.iter().map(String::as_str).collect(),
            hostnames: d.hostnames.iter().map(|h| h.name.as_str()).collect(),
            facts,
            software: derived.software.iter().map(String::as_str).collect(),
            dns: d.dns_queries.iter().map(String::as_str).collect(),
        }
    }

    fn get(&self, field: &Field) -> &[&'d str] {
        match field {
            Field::Oui => &self.oui,
            Field::VendorClass => &self.vendor_class,
            Field::DhcpPrl => &self.prl,
            Field::Hostname => &self.hostnames,
            Field::Fact(k) => self.facts.get(k.as_str()).map_or(&[], Vec::as_slice),
            Field::Software => &self.software,
            Field::Dns => &self.dns,
        }
    }
}

impl Rule {
    fn structural_holds(&self, d: &Device) -> bool {
        self.role
            .as_ref()
            .is_none_or(|r| d.roles.iter().any(|x| x == r))
            && self
                .serves
                .as_ref()
                .is_none_or(|c| service_holds(d, c, true))
            && self
                .uses
                .as_ref()
                .is_none_or(|c| service_holds(d, c, false))
    }

    /// Adds what the rule sets, with `$name` captures filled from the first value (in the
    /// device's order) each condition matched.
    fn contribute(
        &self,
        index: usize,
        first: &HashMap<Owner, &str>,
        found: &mut BTreeMap<&'static str, Vec<Contribution>>,
    ) {
        let mut captures: BTreeMap<String, String> = BTreeMap::new();
        let mut observed = Vec::new();
        let templated = self.sets.iter().any(|(_, t, _)| t.contains('$'));
        for (ci, (field, re)) in self.matches.iter().enumerate() {
            let Some(v) = first.get(&(index, ci)).copied() else {
                return;
            };
            // A rule's own regex is compiled only when its values use what it captures.
            if templated && !re.names().is_empty() {
                for (name, text) in re.captures(v).unwrap_or_default() {
                    captures.entry(name).or_insert(text);
                }
            }
            observed.push(format!("{} = {}", field.name(), clip(v)));
        }
        if let Some(r) = &self.role {
            observed.push(format!("role {r}"));
        }
        for (what, c) in [("serves", &self.serves), ("uses", &self.uses)] {
            if let Some(c) = c {
                observed.push(format!("{what} {}", c.describe()));
            }
        }
        // What was observed; the rule's citation stays in the knowledge base, found by the
        // evidence's source ([`KnowledgeBase::citation`]), not copied into every device.
        let detail = if observed.is_empty() {
            "rule matched".to_owned()
        } else {
            observed.join("; ")
        };
        for (name, template, weight) in &self.sets {
            let Some(value) = expand(template, &captures) else {
                continue;
            };
            let valid = match *name {
                "category" => CATEGORIES.contains(&value.as_str()),
                "modality" => MODALITIES.contains(&value.to_ascii_uppercase().as_str()),
                _ => true,
            };
            if !valid {
                continue;
            }
            found.entry(name).or_default().push(Contribution {
                value,
                source: self.source.clone(),
                detail: detail.clone(),
                weight: *weight,
            });
        }
    }
}

/// What a learned fingerprint says of `device`: its label's model (and category and vendor
/// when the label names them), weighted by the similarity less half the runner-up's, so a
/// close call counts little.
fn learned_contributions(
    stem: &str,
    model: &crate::learn::Fingerprints,
    device: &Device,
    found: &mut BTreeMap<&'static str, Vec<Contribution>>,
) {
    let tokens = crate::learn::tokens(device, model.no_mac);
    let Some(m) = model.best(&tokens) else {
        return;
    };
    if m.score < MIN_LEARNED_SIMILARITY {
        return;
    }
    let runner = m.runner_up.map_or(0.0, |(_, s)| s);
    let weight = (0.9 * (m.score - runner / 2.0)).clamp(0.05, 0.9);
    let label = &m.fingerprint.label;
    let detail = format!(
        "learned fingerprint {:?}: similarity {:.2}{} from {} sample(s); shares {}",
        label.name,
        m.score,
        m.runner_up
            .map(|(l, s)| format!(" (next {l:?} {s:.2})"))
            .unwrap_or_default(),
        m.fingerprint.samples,
        m.shared.join(", ")
    );
    let source = format!("kb:{stem}/learned:{}", label.name);
    let mut add = |name: &'static str, value: &str, w: f32| {
        found.entry(name).or_default().push(Contribution {
            value: value.to_owned(),
            source: source.clone(),
            detail: detail.clone(),
            weight: w,
        });
    };
    add("model", &label.model, weight);
    if let Some(c) = &label.category {
        add("category", c, weight * 0.8);
    }
    if let Some(v) = &label.vendor {
        add("vendor", v, weight * 0.8);
    }
}

fn service_holds(d: &Device, c: &ServiceCond, server: bool) -> bool {
    d.services.iter().any(|s| {
        (s.role == "server") == server
            && c.app.as_ref().is_none_or(|a| s.app.as_deref() == Some(a))
            && c.port.is_none_or(|p| s.port == p)
            && c.transport.as_ref().is_none_or(|t| s.transport == *t)
            && s.peers >= c.min_peers
    })
}

impl ServiceCond {
    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(a) = &self.app {
            parts.push(a.clone());
        }
        if let Some(t) = &self.transport {
            parts.push(t.clone());
        }
        if let Some(p) = self.port {
            parts.push(format!("port {p}"));
        }
        if self.min_peers > 1 {
            parts.push(format!("to ≥ {} peers", self.min_peers));
        }
        parts.join(" ")
    }
}

/// Fills `$name` / `${name}` from `captures`; `None` if one is missing or the result is empty.
fn expand(template: &str, captures: &BTreeMap<String, String>) -> Option<String> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let (name, tail) = if let Some(braced) = after.strip_prefix('{') {
            let end = braced.find('}')?;
            (&braced[..end], &braced[end + 1..])
        } else {
            let end = after
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(after.len());
            (&after[..end], &after[end..])
        };
        out.push_str(captures.get(name)?);
        rest = tail;
    }
    out.push_str(rest);
    let out = out.trim().to_owned();
    (!out.is_empty()).then_some(out)
}

/// An observed value as evidence detail: at most 80 characters.
fn clip(v: &str) -> String {
    if v.chars().count() <= 80 {
        v.to_owned()
    } else {
        let mut s: String = v.chars().take(79).collect();
        s.push('…');
        s
    }
}

pub(crate) fn toml_files(path: &Path) -> Result<Vec<PathBuf>, KbError> {
    let err = |e: std::io::Error| KbError {
        file: path.display().to_string(),
        rule: None,
        message: e.to_string(),
    };
    let meta = std::fs::metadata(path).map_err(err)?;
    if meta.is_file() {
        return Ok(vec![path.to_path_buf()]);
    }
    let mut out = Vec::new();
    let mut entries: Vec<PathBuf> = std::fs::read_dir(path)
        .map_err(err)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            out.extend(toml_files(&p)?);
        } else if p.extension().is_some_and(|x| x == "toml") {
            out.push(p);
        }
    }
    Ok(out)
}

/// A rule condition's pattern: checked and its group names read at load; compiled only when
/// its rule fires and its captures are needed. Compiling every rule's own regex at start-up
/// took a third of the instructions of a short capture's analysis.
///
/// Patterns are case-insensitive and ASCII (Unicode classes off): the strings they match are
/// protocol fields, and ASCII-only automata are a fraction of the size to build and run. The
/// `(?i-u)` is written into the pattern text, from which the per-field [`RegexSet`] is built.
#[derive(Debug)]
pub(crate) struct Condition {
    pattern: String,
    names: Vec<String>,
    compiled: std::sync::OnceLock<Option<Regex>>,
}

impl Condition {
    pub(crate) fn new(pattern: &str) -> Result<Self, String> {
        let pattern = format!("(?i-u){pattern}");
        let hir = regex_syntax::ParserBuilder::new()
            .unicode(false)
            .utf8(false)
            .nest_limit(64)
            .build()
            .parse(&pattern)
            .map_err(|e| e.to_string())?;
        let mut names = Vec::new();
        collect_names(&hir, &mut names);
        Ok(Self {
            pattern,
            names,
            compiled: std::sync::OnceLock::new(),
        })
    }

    pub(crate) fn as_str(&self) -> &str {
        &self.pattern
    }

    /// Named groups, in pattern order.
    pub(crate) fn names(&self) -> &[String] {
        &self.names
    }

    fn regex(&self) -> Option<&Regex> {
        self.compiled
            .get_or_init(|| {
                RegexBuilder::new(&self.pattern)
                    .unicode(false)
                    .size_limit(1 << 20)
                    .build()
                    .ok()
            })
            .as_ref()
    }

    /// The named groups captured in `value`, if it matches.
    fn captures(&self, value: &str) -> Option<Vec<(String, String)>> {
        let caps = self.regex()?.captures(value.as_bytes())?;
        Some(
            self.names
                .iter()
                .filter_map(|n| {
                    caps.name(n).map(|m| {
                        (
                            n.clone(),
                            String::from_utf8_lossy(m.as_bytes()).trim().to_owned(),
                        )
                    })
                })
                .collect(),
        )
    }
}

fn collect_names(hir: &regex_syntax::hir::Hir, out: &mut Vec<String>) {
    use regex_syntax::hir::HirKind;
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

#[cfg(test)]
mod tests {
    use std::borrow::Cow;

    use model::{DeviceFact, DeviceId, DhcpFingerprint, Evidence, Service};

    use super::*;

    fn kb(text: &str) -> Result<KnowledgeBase, KbError> {
        KnowledgeBase::from_texts(&[("test/rules.toml".into(), text.into())])
    }

    fn fact(key: &'static str, value: &str) -> DeviceFact {
        DeviceFact {
            key: Cow::Borrowed(key),
            value: value.into(),
            source: Cow::Borrowed("test"),
            count: 1,
        }
    }

    fn device() -> Device {
        Device {
            id: DeviceId("mac-001b6f0a0b0c".into()),
            vendor: Some(Attribute {
                value: "Becton, Dickinson and Company".into(),
                confidence: 0.6,
                evidence: vec![Evidence {
                    value: "Becton, Dickinson and Company".into(),
                    source: "oui".into(),
                    detail: "00:1B:6F → Becton, Dickinson and Company (IEEE MA-L)".into(),
                    weight: 0.6,
                }],
            }),
            dhcp: Some(DhcpFingerprint {
                vendor_class: Some("Alaris PCU".into()),
                param_request_list: Some(vec![1, 3, 6, 15]),
                ..DhcpFingerprint::default()
            }),
            facts: vec![
                fact("http.server", "Acme-Pump/12.1.2 (build 44)"),
                fact("tls.sni", "pumps.example.org"),
            ],
            services: vec![Service {
                transport: "tcp".into(),
                port: 104,
                app: Some("dicom".into()),
                role: "server".into(),
                peers: 5,
            }],
            ..Device::default()
        }
    }

    const RULES: &str = r#"
source = "test citation"

[[vendor]]
name = "BD"
aliases = ["Becton, Dickinson and Company"]
source = "test"

[[rule]]
id = "pump-class"
when.vendor_class = '^alaris'
when.dhcp_prl = '^1,3,6,15$'
category = "infusion_pump"
vendor = "Becton Dickinson"
weight = 0.7

[[rule]]
id = "pump-firmware"
source = "own citation"
when.fact."http.server" = 'Acme-Pump/(?P<version>[0-9.]+)'
firmware = "$version"
model = "Acme ${version}x"
weight = 0.5
weights.model = 0.2

[[rule]]
id = "pacs"
when.serves = { app = "dicom", min_peers = 3 }
category = "pacs"
weight = 0.3

[[rule]]
id = "not-me"
when.serves = { app = "dicom", min_peers = 6 }
category = "imaging_modality"
weight = 0.9
"#;

    #[test]
    fn rules_fire_combine_and_explain() {
        let kb = kb(RULES).unwrap();
        let mut d = device();
        kb.classify(&mut d);
        let vendor = d.vendor.unwrap();
        // The OUI's legal name and the rule's "Becton Dickinson" are one vendor: BD.
        assert_eq!(vendor.value, "BD");
        assert_eq!(vendor.evidence.len(), 2);
        assert_eq!(vendor.confidence, 0.88);
        let category = d.category.unwrap();
        assert_eq!(category.value, "infusion_pump");
        // The PACS role rule lost and is listed after the winner.
        assert_eq!(category.evidence[1].value, "pacs");
        assert_eq!(category.evidence[1].source, "kb:rules/pacs");
        assert_eq!(category.confidence, 0.595);
        assert!(
            category.evidence[0]
                .detail
                .contains("dhcp.vendor_class = Alaris PCU"),
            "{}",
            category.evidence[0].detail
        );
        let firmware = d.firmware.unwrap();
        assert_eq!(firmware.value, "12.1.2");
        assert_eq!(
            firmware.evidence[0].detail,
            "http.server = Acme-Pump/12.1.2 (build 44)"
        );
        assert_eq!(
            kb.citation(&firmware.evidence[0].source),
            Some("own citation")
        );
        assert_eq!(
            kb.citation(&category.evidence[0].source),
            Some("test citation")
        );
        let model = d.model.unwrap();
        assert_eq!(
            (model.value.as_str(), model.confidence),
            ("Acme 12.1.2x", 0.2)
        );
        assert_eq!(d.os, None);
        assert_eq!(d.modality, None);
    }

    #[test]
    fn classification_is_repeatable() {
        let kb = kb(RULES).unwrap();
        let mut once = device();
        kb.classify(&mut once);
        let mut twice = once.clone();
        kb.classify(&mut twice);
        assert_eq!(once, twice);
    }

    /// Between runs: what an earlier analysis concluded holds unless this run's evidence
    /// clearly outweighs it, and the earlier evidence is not counted twice.
    #[test]
    fn an_earlier_runs_attribute_holds_against_a_slightly_heavier_rival() {
        let kb = kb(RULES).unwrap();
        let before = vec![(
            "category".to_owned(),
            Attribute {
                value: "patient_monitor".into(),
                confidence: 0.65,
                evidence: vec![Evidence {
                    value: "patient_monitor".into(),
                    source: "kb:old/monitor".into(),
                    detail: "an earlier run".into(),
                    weight: 0.65,
                }],
            },
        )];
        // This run alone says infusion_pump at 0.7 (and pacs at 0.3): 0.7 < 0.65 + 0.1.
        let mut d = device();
        kb.classify_after(&mut d, &before);
        let category = d.category.unwrap();
        assert_eq!(category.value, "patient_monitor");
        assert!(category.evidence.iter().any(|e| e.value == "infusion_pump"));
        // Weaker earlier evidence gives way.
        let mut weak = before.clone();
        weak[0].1.evidence[0].weight = 0.5;
        let mut d = device();
        kb.classify_after(&mut d, &weak);
        assert_eq!(d.category.unwrap().value, "infusion_pump");
        // The same run merged again does not grow its own confidence.
        let mut once = device();
        kb.classify(&mut once);
        let stored: Vec<(String, Attribute)> = once
            .attributes()
            .into_iter()
            .filter_map(|(n, a)| a.map(|a| (n.to_owned(), a.clone())))
            .collect();
        let mut again = device();
        kb.classify_after(&mut again, &stored);
        assert_eq!(again.category, once.category);
        assert_eq!(again.vendor, once.vendor);
    }

    #[test]
    fn bad_rules_name_their_file_and_rule() {
        let cases = [
            (
                "[[rule]]\nid = \"x\"\nweight = 0.5\ncategory = \"pacs\"\nwhen.role = \"dicom_scp\"\n",
                "no source",
            ),
            (
                "source = \"s\"\n[[rule]]\nid = \"x\"\nweight = 0.5\ncategory = \"toaster\"\nwhen.role = \"r\"\n",
                "not a valid category",
            ),
            (
                "source = \"s\"\n[[rule]]\nid = \"x\"\nweight = 1.5\ncategory = \"pacs\"\nwhen.role = \"r\"\n",
                "not in (0, 1]",
            ),
            (
                "source = \"s\"\n[[rule]]\nid = \"x\"\nweight = 0.5\ncategory = \"pacs\"\n",
                "no conditions",
            ),
            (
                "source = \"s\"\n[[rule]]\nid = \"x\"\nweight = 0.5\nwhen.hostname = \"(\"\ncategory = \"pacs\"\n",
                "when.hostname",
            ),
            (
                "source = \"s\"\n[[rule]]\nid = \"x\"\nweight = 0.5\nwhen.hostname = \"a\"\nmodel = \"$m\"\n",
                "no condition captures",
            ),
        ];
        for (text, want) in cases {
            let err = kb(text).unwrap_err();
            assert_eq!(err.file, "test/rules.toml");
            assert_eq!(err.rule.as_deref(), Some("x"), "{err}");
            assert!(err.to_string().contains(want), "{err} should say {want}");
        }
        let err = kb("[[rule]\n").unwrap_err();
        assert_eq!(err.rule, None);
        assert!(err.to_string().starts_with("test/rules.toml: "), "{err}");
        assert!(err.to_string().contains("line 1"), "{err}");
        let err = kb("source = \"s\"\n[[rule]]\nid = \"x\"\nweight = 0.5\nwhen.hostname = \"a\"\nbogus = 1\ncategory = \"pacs\"\n").unwrap_err();
        assert!(err.to_string().contains("bogus"), "{err}");
    }

    #[test]
    fn the_shipped_rules_load() {
        let kb = KnowledgeBase::embedded().unwrap();
        assert!(kb.files().iter().all(|f| f.starts_with("kb/rules/")));
    }
}
