//! The knowledge base: fingerprint rules and vendor aliases as reviewable TOML (`kb/rules/`),
//! plus any files a user adds with `--kb`.
//!
//! The shipped files are compiled into the binary as data (`shipped.rs`, generated from them
//! and checked against them by `the_shipped_rules_are_compiled_in`), so start-up parses
//! nothing; files given at run time are parsed and checked at load.
//!
//! Classification evaluates every rule against a finished [`Device`]. A rule condition is a
//! pattern on one field (OUI organisation, DHCP, host names, application facts, software, DNS
//! names); most are literals (`^ALARIS MEDICAL SYSTEMS`, `^(534|705)$`) and are compared as
//! such, the others run their own regex on the values their literals let through
//! ([`index`]). A rule fires when all its conditions hold; what it sets becomes a
//! [`Contribution`], and contributions combine into attributes ([`crate::combine`]).

mod index;
pub(crate) mod pattern;
#[cfg(test)]
mod render;
mod rule;
#[rustfmt::skip]
mod shipped;
mod vendor;

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};
use std::fmt;
use std::path::{Path, PathBuf};

use model::{Attribute, Device};

use crate::combine::{Contribution, combine, combine_keyed, model_key, plain_key};
use index::{DerivedText, Index, Matches};
pub(crate) use rule::{Rule, RuleFile, ServiceCond};
pub use vendor::VendorAliases;

/// The rule files compiled into the binary: (path under the repository, text), and a digest
/// of them that tells whether `shipped.rs` was generated from these very files.
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

/// Rules and aliases, ready to classify devices.
#[derive(Debug)]
pub struct KnowledgeBase {
    rules: Cow<'static, [Rule]>,
    vendors: VendorAliases,
    /// The rules' conditions by field, and their regexes once built.
    index: Index,
    /// Rule files loaded, for `--kb` reporting.
    files: Vec<String>,
    /// Fingerprints learned by `wardline kb learn`, with the file stem they came from.
    learned: Vec<(String, crate::learn::Fingerprints)>,
}

/// Lowest similarity at which a learned fingerprint counts as evidence.
const MIN_LEARNED_SIMILARITY: f32 = 0.35;

/// A knowledge base being put together: the shipped rules, then files read at run time.
struct Loader {
    rules: Cow<'static, [Rule]>,
    vendors: VendorAliases,
    files: Vec<String>,
    learned: Vec<(String, crate::learn::Fingerprints)>,
    /// Rules from here on were parsed at run time: checked whole at load.
    parsed_from: usize,
    /// (first rule, file) of each file parsed at run time.
    parsed_files: Vec<(usize, String)>,
}

impl Loader {
    fn empty() -> Self {
        Self {
            rules: Cow::Borrowed(&[]),
            vendors: VendorAliases::default(),
            files: Vec::new(),
            learned: Vec::new(),
            parsed_from: 0,
            parsed_files: Vec::new(),
        }
    }

    /// The shipped rules: the compiled-in data, or, if `kb/rules/` changed since `shipped.rs`
    /// was generated (a test says so until it is regenerated), the files parsed as any other.
    fn shipped() -> Result<Self, KbError> {
        if shipped::DIGEST != embedded::DIGEST {
            let mut loader = Self::empty();
            for (name, text) in embedded::FILES {
                loader.add(name, text)?;
            }
            return Ok(loader);
        }
        Ok(Self {
            rules: Cow::Borrowed(shipped::RULES),
            vendors: VendorAliases::shipped(shipped::VENDORS),
            files: shipped::FILES.iter().map(|f| (*f).to_owned()).collect(),
            learned: Vec::new(),
            parsed_from: shipped::RULES.len(),
            parsed_files: Vec::new(),
        })
    }

    /// Adds one rule (or learned fingerprints) file.
    fn add(&mut self, name: &str, text: &str) -> Result<(), KbError> {
        let stem = Path::new(name)
            .file_stem()
            .map_or_else(|| name.to_owned(), |s| s.to_string_lossy().into_owned());
        // Learned files hold `[[fingerprint]]` tables (a quick look before the parse that
        // decides: rule files are parsed once).
        if text.contains("fingerprint")
            && toml::from_str::<toml::Table>(text).is_ok_and(|t| t.contains_key("fingerprint"))
        {
            let model: crate::learn::Fingerprints = toml::from_str(text).map_err(|e| KbError {
                file: name.to_owned(),
                rule: None,
                message: e.to_string().trim_end().replace('\n', " "),
            })?;
            self.learned.push((stem, model));
            self.files.push(name.to_owned());
            return Ok(());
        }
        let parsed: RuleFile = toml::from_str(text).map_err(|e| KbError {
            file: name.to_owned(),
            rule: None,
            message: e.to_string().trim_end().replace('\n', " "),
        })?;
        self.parsed_files.push((self.rules.len(), name.to_owned()));
        for spec in parsed.rule {
            let id = spec.id.clone();
            let rule = rule::compile(spec, &stem, parsed.source.as_deref()).map_err(|message| {
                KbError {
                    file: name.to_owned(),
                    rule: Some(id),
                    message,
                }
            })?;
            self.rules.to_mut().push(rule);
        }
        self.vendors
            .extend(parsed.vendor)
            .map_err(|message| KbError {
                file: name.to_owned(),
                rule: None,
                message,
            })?;
        self.files.push(name.to_owned());
        Ok(())
    }

    fn finish(self) -> Result<KnowledgeBase, KbError> {
        let rules = self.rules;
        if self.parsed_from < rules.len() {
            let mut seen = HashSet::new();
            for r in rules.iter() {
                if !seen.insert(r.source.as_ref()) {
                    return Err(KbError {
                        file: r.source.to_string(),
                        rule: None,
                        message: "two rules with this file name and id".into(),
                    });
                }
            }
        }
        let index = Index::new(&rules);
        // Files read at run time fail here if a pattern is too large to build; the shipped
        // ones build theirs at first use (every one is built by a test).
        index
            .build_all(&rules, self.parsed_from)
            .map_err(|(ri, message)| {
                let file = self
                    .parsed_files
                    .iter()
                    .rev()
                    .find(|(first, _)| *first <= ri)
                    .map_or_else(|| "kb".to_owned(), |(_, f)| f.clone());
                let id = rules[ri]
                    .source
                    .split_once('/')
                    .map_or_else(|| rules[ri].source.to_string(), |(_, id)| id.to_owned());
                KbError {
                    file,
                    rule: Some(id),
                    message,
                }
            })?;
        Ok(KnowledgeBase {
            rules,
            vendors: self.vendors,
            index,
            files: self.files,
            learned: self.learned,
        })
    }
}

impl KnowledgeBase {
    /// The rules shipped in `kb/rules/`.
    pub fn embedded() -> Result<Self, KbError> {
        Self::load(&[])
    }

    /// The shipped rules plus every `.toml` file at `extra` (files, or folders searched
    /// recursively in name order).
    pub fn load(extra: &[PathBuf]) -> Result<Self, KbError> {
        let mut loader = Loader::shipped()?;
        for (name, text) in texts_with(&[], extra)? {
            loader.add(&name, &text)?;
        }
        loader.finish()
    }

    /// Compiles rule files given as (name, text).
    pub fn from_texts(texts: &[(String, String)]) -> Result<Self, KbError> {
        let mut loader = Loader::empty();
        for (name, text) in texts {
            loader.add(name, text)?;
        }
        loader.finish()
    }

    /// The citation of the rule an evidence `source` (`kb:<file>/<rule id>`) names.
    pub fn citation(&self, source: &str) -> Option<&str> {
        self.rules
            .iter()
            .find(|r| r.source == source)
            .map(|r| r.citation.as_ref())
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
        // What each attribute gets from the rules, in [`rule::ATTRIBUTES`] order.
        let mut found: [Vec<Contribution>; 6] = Default::default();
        {
            let device: &Device = device;
            let mut derived = DerivedText::default();
            let matches = self.index.matches(&self.rules, device, &mut derived);
            let structural = self.index.structural_candidates(device);
            // Only rules a value touched can fire, and those without a regex condition whose
            // role or service the device shows.
            for ri in in_order(&matches.touched, &structural) {
                let ri = ri as usize;
                let rule = &self.rules[ri];
                let full = if rule.matches.len() >= 32 {
                    u32::MAX
                } else {
                    (1u32 << rule.matches.len()) - 1
                };
                if matches.satisfied(ri) != full || !rule.structural_holds(device) {
                    continue;
                }
                self.contribute(ri, &matches, &mut found);
            }
            for (stem, model) in &self.learned {
                learned_contributions(stem, model, device, &mut found);
            }
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
        for ((name, slot), new) in slots.iter_mut().zip(&mut found) {
            let name: &'static str = name;
            let earlier = before.iter().find(|(n, _)| n == name).map(|(_, a)| a);
            if slot.is_none() && new.is_empty() && earlier.is_none() {
                // Nothing to combine: the attribute stays unset.
                continue;
            }
            let mut contributions: Vec<Contribution> = slot
                .take()
                .map(|a| a.evidence.into_iter().map(Contribution::from).collect())
                .unwrap_or_default();
            contributions.append(new);
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
                // Each value as its canonical name, keyed by that name's normal form.
                let keyed = contributions
                    .into_iter()
                    .map(|mut c| {
                        let (canonical, key) = self.vendors.canonical_and_key(&c.value);
                        c.value = canonical;
                        (key, c)
                    })
                    .collect();
                combine_keyed(keyed, incumbent.map(|v| self.vendors.key(v)))
            }
            "modality" => combine(contributions, |v| v.trim().to_ascii_uppercase(), incumbent),
            "model" => combine(contributions, model_key, incumbent),
            _ => combine(contributions, plain_key, incumbent),
        }
    }

    /// Adds what rule `index` sets, with `$name` captures filled from the first value (in the
    /// device's order) each condition matched.
    fn contribute(&self, index: usize, m: &Matches<'_>, found: &mut [Vec<Contribution>; 6]) {
        let rule = &self.rules[index];
        let mut captures: BTreeMap<String, String> = BTreeMap::new();
        let mut observed = Vec::new();
        let templated = rule.sets.iter().any(|(_, t, _)| t.contains('$'));
        for (ci, c) in rule.matches.iter().enumerate() {
            let Some(v) = m.first(index, ci) else {
                return;
            };
            // A condition's capturing regex is built only when its rule's values use it.
            if templated && !c.names.is_empty() {
                for (name, text) in self.index.captures(index, ci, c, v).unwrap_or_default() {
                    captures.entry(name).or_insert(text);
                }
            }
            observed.push(format!("{} = {}", c.field.name(), clip(v)));
        }
        if let Some(r) = &rule.role {
            observed.push(format!("role {r}"));
        }
        for (what, c) in [("serves", &rule.serves), ("uses", &rule.uses)] {
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
        for (name, template, weight) in rule.sets.iter() {
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
            if let Some(slot) = attribute_slot(found, name) {
                slot.push(Contribution {
                    value,
                    source: rule.source.to_string(),
                    detail: detail.clone(),
                    weight: *weight,
                });
            }
        }
    }
}

/// The contributions to attribute `name` (one of [`rule::ATTRIBUTES`]).
fn attribute_slot<'f>(
    found: &'f mut [Vec<Contribution>; 6],
    name: &str,
) -> Option<&'f mut Vec<Contribution>> {
    let i = rule::ATTRIBUTES.iter().position(|a| *a == name)?;
    found.get_mut(i)
}

/// The numbers of two sorted lists, merged in order.
fn in_order<'a>(a: &'a [u32], b: &'a [u32]) -> impl Iterator<Item = u32> + 'a {
    let (mut i, mut j) = (0, 0);
    std::iter::from_fn(move || match (a.get(i), b.get(j)) {
        (Some(&x), Some(&y)) if x <= y => {
            i += 1;
            Some(x)
        }
        (_, Some(&y)) => {
            j += 1;
            Some(y)
        }
        (Some(&x), None) => {
            i += 1;
            Some(x)
        }
        (None, None) => None,
    })
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
}

/// What a learned fingerprint says of `device`: its label's model (and category and vendor
/// when the label names them), weighted by the similarity less half the runner-up's, so a
/// close call counts little.
fn learned_contributions(
    stem: &str,
    model: &crate::learn::Fingerprints,
    device: &Device,
    found: &mut [Vec<Contribution>; 6],
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
        if let Some(slot) = attribute_slot(found, name) {
            slot.push(Contribution {
                value: value.to_owned(),
                source: source.clone(),
                detail: detail.clone(),
                weight: w,
            });
        }
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
            && c.app
                .as_ref()
                .is_none_or(|a| s.app.as_deref() == Some(a.as_ref()))
            && c.port.is_none_or(|p| s.port == p)
            && c.transport.as_ref().is_none_or(|t| s.transport == *t)
            && s.peers >= c.min_peers
    })
}

impl ServiceCond {
    fn describe(&self) -> String {
        let mut parts = Vec::new();
        if let Some(a) = &self.app {
            parts.push(a.to_string());
        }
        if let Some(t) = &self.transport {
            parts.push(t.to_string());
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

/// The shipped `files` and every TOML file in `extra` (files or folders, as `--kb` takes
/// them), as (name, text): what the table loaders (baselines, product names) read.
pub(crate) fn texts_with(
    files: &[(&str, &str)],
    extra: &[PathBuf],
) -> Result<Vec<(String, String)>, KbError> {
    let mut texts: Vec<(String, String)> = files
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
    Ok(texts)
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

    /// `shipped.rs` is what compiling `kb/rules/*.toml` as they are gives; with
    /// `WARDLINE_BLESS` set, a stale one is rewritten (run the test again to check it).
    #[test]
    fn the_shipped_rules_are_compiled_in() {
        let mut loader = Loader::empty();
        for (name, text) in embedded::FILES {
            loader.add(name, text).unwrap();
        }
        assert!(
            loader.learned.is_empty(),
            "learned fingerprints are not compiled in: keep them out of kb/rules"
        );
        let files = loader.files.clone();
        let rules = loader.rules.clone().into_owned();
        let vendors = loader.vendors.clone();
        // Checks the rules whole, building every regex.
        loader.finish().unwrap();
        let source = render::render(embedded::DIGEST, &files, &rules, &vendors.entries()).unwrap();
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/kb/shipped.rs");
        let current = std::fs::read_to_string(&path).unwrap_or_default();
        if current != source {
            if std::env::var_os("WARDLINE_BLESS").is_some() {
                std::fs::write(&path, source).unwrap();
                return;
            }
            panic!(
                "src/kb/shipped.rs was not generated from kb/rules/*.toml as they are: \
                 WARDLINE_BLESS=1 cargo test -p identify the_shipped_rules_are_compiled_in"
            );
        }
        assert_eq!(shipped::DIGEST, embedded::DIGEST);
        assert_eq!(shipped::FILES, files);
        assert_eq!(shipped::RULES, rules);
        assert_eq!(shipped::VENDORS, vendors.entries());
        let kb = KnowledgeBase::embedded().unwrap();
        assert!(
            matches!(kb.rules, Cow::Borrowed(_)),
            "not the compiled-in rules"
        );
    }

    #[test]
    fn the_shipped_rules_load() {
        let kb = KnowledgeBase::embedded().unwrap();
        assert!(kb.files().iter().all(|f| f.starts_with("kb/rules/")));
    }
}
