//! Firmware baselines (`kb/baselines/*.toml`, format in its README): per vendor, model,
//! category or OS, the minimum supported and latest known versions and the end-of-support
//! date, each with its source → `outdated_firmware` and `end_of_support` findings that show
//! the observed version and the attribute evidence it came from.

use std::cmp::Ordering;
use std::collections::{BTreeMap, HashSet};
use std::path::PathBuf;

use model::{Attribute, Device, Finding, FindingId, FindingKind, Severity, Timestamp};
use regex::Regex;
use serde::Deserialize;
use serde_json::json;

use crate::kb::pattern::Alt;
use crate::{KbError, compare_versions};

/// Baseline files compiled into the binary: (path under the repository, text).
mod embedded {
    include!(concat!(env!("OUT_DIR"), "/kb_baselines.rs"));
}

/// An attribute must be at least this sure before a baseline is applied on its word: a
/// guessed model or a contested firmware string is not worth a finding.
pub const MIN_CONFIDENCE: f32 = 0.5;

/// Categories whose devices keep a patient alive or are connected to one (DESIGN §4
/// criticality): their end of support is a high-severity finding.
const CRITICAL_CATEGORIES: &[&str] = &[
    "infusion_pump",
    "ventilator",
    "anesthesia_machine",
    "dialysis_machine",
    "patient_monitor",
    "monitor_gateway",
    "ecg",
    "telemetry_transmitter",
    "wearable_sensor",
];

#[derive(Debug, Default, Deserialize)]
struct BaselineFile {
    // Rule files may hold baselines too (one --kb file for a hospital's own knowledge); the
    // rule keys are the rule loader's business.
    #[serde(default)]
    baseline: Vec<BaselineSpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct BaselineSpec {
    id: String,
    source: String,
    #[serde(default)]
    when: BTreeMap<String, String>,
    minimum_supported: Option<String>,
    latest: Option<String>,
    latest_as_of: Option<String>,
    end_of_support: Option<String>,
    note: Option<String>,
}

/// The attributes a baseline may test.
const WHEN_KEYS: &[&str] = &["vendor", "category", "model", "os"];

/// A `when` pattern: checked at load (a typo fails the run before any packet), compiled on
/// first use — most baselines never meet a device they could apply to, and compiling all of
/// them would cost every run its start-up time (66 patterns: about 60 M instructions).
#[derive(Debug)]
struct LazyRegex {
    pattern: String,
    /// Literals one of which every match holds, compared ASCII case-blind (the rules'
    /// pattern analysis, `kb::pattern`): a value holding none of them cannot match, and is
    /// turned away without compiling or running the regex. Empty: no literal is known (a
    /// pattern outside what that analysis reads, such as a non-ASCII letter), the regex
    /// decides alone. Found on first use, like the regex.
    needs_one_of: std::sync::OnceLock<Vec<Alt>>,
    compiled: std::sync::OnceLock<Regex>,
}

impl LazyRegex {
    fn new(pattern: &str) -> Result<Self, String> {
        regex_syntax::ParserBuilder::new()
            .nest_limit(64)
            .build()
            .parse(pattern)
            .map_err(|e| e.to_string())?;
        Ok(Self {
            pattern: pattern.to_string(),
            needs_one_of: std::sync::OnceLock::new(),
            compiled: std::sync::OnceLock::new(),
        })
    }

    fn needs_one_of(&self) -> &[Alt] {
        // The analysis reads the pattern ASCII case-insensitive: it accepts at least what the
        // pattern as written accepts (whose `(?i)` folds Unicode too, so a value spelt with a
        // Kelvin sign for a `k` would be turned away — vendor and OS names are ASCII).
        self.needs_one_of.get_or_init(|| {
            crate::kb::pattern::check(&self.pattern)
                .map(|c| c.alts)
                .unwrap_or_default()
        })
    }

    /// False when `value` cannot match (it holds none of the needed literals).
    fn may_match(&self, value: &str) -> bool {
        let alts = self.needs_one_of();
        alts.is_empty() || alts.iter().any(|alt| alt.holds(value.as_bytes()))
    }

    /// The compiled pattern; `None` only if it exceeds the regex size limit (then it
    /// matches nothing, as a rule that cannot be evaluated should).
    fn get(&self) -> Option<&Regex> {
        if let Some(r) = self.compiled.get() {
            return Some(r);
        }
        let r = regex::RegexBuilder::new(&self.pattern)
            .size_limit(1 << 20)
            .build()
            .ok()?;
        Some(self.compiled.get_or_init(|| r))
    }
}

/// One baseline, compiled.
#[derive(Debug)]
struct Baseline {
    id: String,
    file: String,
    source: String,
    when: Vec<(&'static str, LazyRegex)>,
    minimum_supported: Option<String>,
    latest: Option<String>,
    latest_as_of: Option<String>,
    /// (as written, first instant past support).
    end_of_support: Option<(String, Timestamp)>,
    note: Option<String>,
}

/// Every baseline, ready to check devices.
#[derive(Debug, Default)]
pub struct Baselines {
    entries: Vec<Baseline>,
}

impl Baselines {
    /// The shipped baselines only.
    pub fn embedded() -> Result<Self, KbError> {
        Self::load(&[])
    }

    /// The shipped baselines and the `[[baseline]]` entries of every TOML file in `extra`
    /// (files or folders, as `--kb` takes them).
    pub fn load(extra: &[PathBuf]) -> Result<Self, KbError> {
        let texts = crate::kb::texts_with(embedded::FILES, extra)?;
        Self::from_texts(&texts)
    }

    /// Compiles baseline files given as (name, text). Fails on the first bad entry, naming
    /// the file and the entry.
    pub fn from_texts(texts: &[(String, String)]) -> Result<Self, KbError> {
        let mut entries = Vec::new();
        let mut ids = HashSet::new();
        for (file, text) in texts {
            let parsed: BaselineFile = toml::from_str(text).map_err(|e| KbError {
                file: file.clone(),
                rule: None,
                message: e.to_string(),
            })?;
            for spec in parsed.baseline {
                let err = |message: String| KbError {
                    file: file.clone(),
                    rule: Some(spec.id.clone()),
                    message,
                };
                if !ids.insert(spec.id.clone()) {
                    return Err(err("baseline id used twice".into()));
                }
                entries.push(compile(file, &spec).map_err(err)?);
            }
        }
        Ok(Self { entries })
    }

    /// Number of baselines.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// True when there are none.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The findings `device` earns against every baseline on `today`: one
    /// `outdated_firmware` per baseline whose version floor or latest release it is below,
    /// one `end_of_support` per baseline whose date has passed.
    pub fn findings(&self, device: &Device, today: Timestamp) -> Vec<Finding> {
        let mut out = Vec::new();
        let attributes = device.attributes();
        for b in &self.entries {
            let Some(matched) = b.matches(&attributes) else {
                continue;
            };
            let version = match &matched.version {
                Some(v) => Some((
                    v.clone(),
                    matched.version_from,
                    attribute(&attributes, matched.version_from),
                )),
                None => device
                    .firmware
                    .as_deref()
                    .filter(|a| a.confidence >= MIN_CONFIDENCE)
                    .map(|a| (a.value.clone(), "firmware", Some(a))),
            };
            if let Some((version, from, attr)) = &version
                && let Some(f) = b.outdated(device, version, from, *attr, &matched)
            {
                out.push(f);
            }
            if let Some((written, due)) = &b.end_of_support
                && today >= *due
            {
                out.push(b.ended(
                    device,
                    written,
                    version.as_ref().map(|v| v.0.as_str()),
                    &matched,
                ));
            }
        }
        out
    }
}

/// What a baseline matched on a device.
struct Matched {
    /// attribute → value, for the evidence.
    values: BTreeMap<&'static str, String>,
    /// The `version` capture, when a `when` regex has one.
    version: Option<String>,
    /// Which attribute the captured version came from.
    version_from: &'static str,
}

/// A device's identity attributes by name ([`Device::attributes`]), listed once per device.
type Attributes<'a> = [(&'static str, Option<&'a Attribute>); 6];

fn attribute<'a>(attributes: &Attributes<'a>, name: &str) -> Option<&'a Attribute> {
    attributes
        .iter()
        .find(|(n, _)| *n == name)
        .and_then(|(_, a)| *a)
}

impl Baseline {
    fn matches(&self, attributes: &Attributes<'_>) -> Option<Matched> {
        let mut m = Matched {
            values: BTreeMap::new(),
            version: None,
            version_from: "firmware",
        };
        // Every attribute present, sure enough and holding its pattern's literals before any
        // pattern is compiled or run.
        let mut attrs: [Option<&Attribute>; WHEN_KEYS.len()] = [None; WHEN_KEYS.len()];
        for ((name, re), slot) in self.when.iter().zip(attrs.iter_mut()) {
            let attr = attribute(attributes, name).filter(|a| a.confidence >= MIN_CONFIDENCE)?;
            if !re.may_match(&attr.value) {
                return None;
            }
            *slot = Some(attr);
        }
        for ((name, re), attr) in self.when.iter().zip(attrs.into_iter().flatten()) {
            let caps = re.get()?.captures(&attr.value)?;
            if let Some(v) = caps.name("version") {
                m.version = Some(v.as_str().to_string());
                m.version_from = name;
            }
            m.values.insert(name, attr.value.clone());
        }
        Some(m)
    }

    fn evidence_base(&self, matched: &Matched) -> serde_json::Map<String, serde_json::Value> {
        let mut e = serde_json::Map::new();
        e.insert("baseline".into(), json!(self.id));
        e.insert("baseline_file".into(), json!(self.file));
        e.insert("source".into(), json!(self.source));
        e.insert("matched".into(), json!(matched.values));
        if let Some(n) = &self.note {
            e.insert("note".into(), json!(n));
        }
        e
    }

    fn outdated(
        &self,
        device: &Device,
        version: &str,
        from: &str,
        attr: Option<&Attribute>,
        matched: &Matched,
    ) -> Option<Finding> {
        let below_minimum = self
            .minimum_supported
            .as_deref()
            .filter(|min| compare_versions(version, min) == Ordering::Less);
        let below_latest = self
            .latest
            .as_deref()
            .filter(|l| compare_versions(version, l) == Ordering::Less);
        // `os Android 12` reads better than `os 12` when the version was captured from it.
        let shown = matched
            .values
            .get(from)
            .filter(|v| v.as_str() != version)
            .map_or_else(
                || version.to_string(),
                |v| format!("{v:?} (version {version})"),
            );
        let (severity, summary) = match (below_minimum, below_latest) {
            (Some(min), _) => (
                Severity::High,
                format!(
                    "{from} {shown} is older than the minimum supported {min} ({})",
                    self.id
                ),
            ),
            (None, Some(latest)) => (
                Severity::Low,
                format!(
                    "{from} {shown} is older than the latest release {latest}{} ({})",
                    self.latest_as_of
                        .as_deref()
                        .map(|d| format!(" known in {d}"))
                        .unwrap_or_default(),
                    self.id
                ),
            ),
            (None, None) => return None,
        };
        let mut evidence = self.evidence_base(matched);
        evidence.insert("observed_version".into(), json!(version));
        evidence.insert("version_from".into(), json!(from));
        if let Some(a) = attr {
            evidence.insert("version_confidence".into(), json!(a.confidence));
            if let Some(top) = a.evidence.iter().find(|e| e.value == a.value) {
                evidence.insert("version_source".into(), json!(top.source));
            }
        }
        if let Some(min) = &self.minimum_supported {
            evidence.insert("minimum_supported".into(), json!(min));
        }
        if let Some(l) = &self.latest {
            evidence.insert("latest".into(), json!(l));
        }
        if let Some(d) = &self.latest_as_of {
            evidence.insert("latest_as_of".into(), json!(d));
        }
        Some(Finding {
            id: FindingId::from_parts(&[
                FindingKind::OutdatedFirmware.as_str(),
                &device.id.0,
                &self.id,
            ]),
            kind: FindingKind::OutdatedFirmware,
            severity,
            device: device.id.clone(),
            summary,
            evidence,
            first_seen: device.first_seen,
            last_seen: device.last_seen,
            count: 1,
        })
    }

    fn ended(
        &self,
        device: &Device,
        written: &str,
        version: Option<&str>,
        matched: &Matched,
    ) -> Finding {
        let critical = device
            .category
            .as_ref()
            .is_some_and(|c| CRITICAL_CATEGORIES.contains(&c.value.as_str()));
        let what: Vec<&str> = matched.values.values().map(String::as_str).collect();
        let mut evidence = self.evidence_base(matched);
        evidence.insert("end_of_support".into(), json!(written));
        if let Some(v) = version {
            evidence.insert("observed_version".into(), json!(v));
        }
        Finding {
            id: FindingId::from_parts(&[
                FindingKind::EndOfSupport.as_str(),
                &device.id.0,
                &self.id,
            ]),
            kind: FindingKind::EndOfSupport,
            severity: if critical {
                Severity::High
            } else {
                Severity::Medium
            },
            device: device.id.clone(),
            summary: format!(
                "{} is past its end of support ({written}, {})",
                what.join(" "),
                self.id
            ),
            evidence,
            first_seen: device.first_seen,
            last_seen: device.last_seen,
            count: 1,
        }
    }
}

fn compile(file: &str, spec: &BaselineSpec) -> Result<Baseline, String> {
    if spec.id.is_empty()
        || !spec
            .id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err("id must be lowercase letters, digits and '-'".into());
    }
    if spec.source.trim().is_empty() {
        return Err("source is empty: every baseline names where its facts come from".into());
    }
    if spec.when.is_empty() {
        return Err("no when.* condition: a baseline must say which devices it is about".into());
    }
    if spec.minimum_supported.is_none() && spec.latest.is_none() && spec.end_of_support.is_none() {
        return Err("needs minimum_supported, latest or end_of_support".into());
    }
    if spec.latest.is_some() && spec.latest_as_of.is_none() {
        return Err("latest needs latest_as_of (when that was the latest)".into());
    }
    let mut when = Vec::new();
    for (key, pattern) in &spec.when {
        let name = WHEN_KEYS
            .iter()
            .find(|k| *k == key)
            .ok_or_else(|| format!("when.{key}: only {} can be tested", WHEN_KEYS.join(", ")))?;
        let re = LazyRegex::new(pattern).map_err(|e| format!("when.{key}: {e}"))?;
        when.push((*name, re));
    }
    let end_of_support = match &spec.end_of_support {
        Some(d) => Some((
            d.clone(),
            first_instant_after(d).ok_or_else(|| {
                format!("end_of_support {d:?} is not a date like 2025-12-31 or 2025-12")
            })?,
        )),
        None => None,
    };
    Ok(Baseline {
        id: spec.id.clone(),
        file: file.to_string(),
        source: spec.source.clone(),
        when,
        minimum_supported: spec.minimum_supported.clone(),
        latest: spec.latest.clone(),
        latest_as_of: spec.latest_as_of.clone(),
        end_of_support,
        note: spec.note.clone(),
    })
}

/// The first instant after support ends: the day after `YYYY-MM-DD`, the first day of the
/// month after `YYYY-MM` (a month-only date means the end of that month).
fn first_instant_after(date: &str) -> Option<Timestamp> {
    let parts: Vec<&str> = date.trim().split('-').collect();
    let num = |s: &str| s.parse::<u32>().ok();
    let (y, m, d) = match parts.as_slice() {
        [y, m] if y.len() == 4 && m.len() == 2 => (num(y)?, num(m)?, None),
        [y, m, d] if y.len() == 4 && m.len() == 2 && d.len() == 2 => {
            (num(y)?, num(m)?, Some(num(d)?))
        }
        _ => return None,
    };
    if !(1..=12).contains(&m) {
        return None;
    }
    let start = |y: u32, m: u32, d: u32| {
        Timestamp::parse_rfc3339_seconds(&format!("{y:04}-{m:02}-{d:02}T00:00:00Z"))
    };
    match d {
        Some(d) => {
            // Validates the day (parse refuses 2025-02-30), then moves one day on.
            let day = start(y, m, d)?;
            Some(Timestamp(day.0 + 86_400 * 1_000_000_000))
        }
        None if m == 12 => start(y + 1, 1, 1),
        None => start(y, m + 1, 1),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::{DeviceId, Evidence};

    fn attr(value: &str, confidence: f32) -> Attribute {
        Attribute {
            value: value.into(),
            confidence,
            evidence: vec![Evidence {
                value: value.into(),
                source: "kb:test/rule".into(),
                detail: String::new(),
                weight: confidence,
            }],
        }
    }

    fn baselines(text: &str) -> Baselines {
        Baselines::from_texts(&[("t.toml".into(), text.into())]).unwrap()
    }

    const PUMP: &str = r#"
[[baseline]]
id = "pump"
source = "vendor bulletin"
when.vendor = '^BD$'
when.model = '(?i)8015'
minimum_supported = "12.1.0"
latest = "12.3.1"
latest_as_of = "2025-06"
end_of_support = "2030-12"
"#;

    fn pump(firmware: Option<(&str, f32)>) -> Device {
        Device {
            id: DeviceId("mac-001b6f000001".into()),
            vendor: Some(attr("BD", 0.9)),
            model: Some(Box::new(attr("Alaris 8015", 0.8))),
            category: Some(Box::new(attr("infusion_pump", 0.8))),
            firmware: firmware.map(|(v, c)| Box::new(attr(v, c))),
            ..Device::default()
        }
    }

    fn day(s: &str) -> Timestamp {
        Timestamp::parse_rfc3339_seconds(&format!("{s}T00:00:00Z")).unwrap()
    }

    #[test]
    fn below_the_floor_is_high_below_latest_is_low_current_is_silent() {
        let b = baselines(PUMP);
        let today = day("2026-01-01");
        let f = b.findings(&pump(Some(("9.19", 0.7))), today);
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].kind, FindingKind::OutdatedFirmware);
        assert_eq!(f[0].severity, Severity::High);
        assert_eq!(f[0].evidence["observed_version"], "9.19");
        assert_eq!(f[0].evidence["version_source"], "kb:test/rule");
        let f = b.findings(&pump(Some(("12.2", 0.7))), today);
        assert_eq!(f[0].severity, Severity::Low);
        assert!(b.findings(&pump(Some(("12.3.1", 0.7))), today).is_empty());
        assert!(b.findings(&pump(Some(("12.10", 0.7))), today).is_empty());
        // A guess is not enough.
        assert!(b.findings(&pump(Some(("9.19", 0.3))), today).is_empty());
        // No version: nothing to compare (and support has not ended).
        assert!(b.findings(&pump(None), today).is_empty());
    }

    #[test]
    fn end_of_support_counts_from_the_day_after() {
        let b = baselines(PUMP);
        assert!(b.findings(&pump(None), day("2030-12-31")).is_empty());
        let f = b.findings(&pump(None), day("2031-01-01"));
        assert_eq!(f.len(), 1);
        assert_eq!(f[0].kind, FindingKind::EndOfSupport);
        // A pump is life-sustaining.
        assert_eq!(f[0].severity, Severity::High);
        assert_eq!(first_instant_after("2024-02-29"), Some(day("2024-03-01")));
        assert_eq!(first_instant_after("2024-12"), Some(day("2025-01-01")));
        assert_eq!(first_instant_after("2024-13"), None);
        assert_eq!(first_instant_after("24-12-01"), None);
    }

    #[test]
    fn a_version_capture_compares_the_os() {
        let b = baselines(
            r#"
[[baseline]]
id = "android"
source = "bulletins"
when.os = '^Android (?P<version>\d+)$'
minimum_supported = "14"
"#,
        );
        let mut phone = Device {
            id: DeviceId("mac-1".into()),
            os: Some(Box::new(attr("Android 12", 0.6))),
            ..Device::default()
        };
        let f = b.findings(&phone, day("2026-01-01"));
        assert_eq!(f[0].evidence["version_from"], "os");
        assert_eq!(f[0].evidence["observed_version"], "12");
        phone.os = Some(Box::new(attr("Android 15", 0.6)));
        assert!(b.findings(&phone, day("2026-01-01")).is_empty());
    }

    #[test]
    fn bad_entries_name_file_and_id() {
        for (text, needle) in [
            (
                "[[baseline]]\nid = \"a\"\nsource = \"s\"\nwhen.model = \"x\"\n",
                "needs",
            ),
            (
                "[[baseline]]\nid = \"a\"\nsource = \"\"\nwhen.model = \"x\"\nlatest = \"1\"\nlatest_as_of = \"2025\"\n",
                "source",
            ),
            (
                "[[baseline]]\nid = \"a\"\nsource = \"s\"\nwhen.serial = \"x\"\nminimum_supported = \"1\"\n",
                "when.serial",
            ),
            (
                "[[baseline]]\nid = \"a\"\nsource = \"s\"\nwhen.model = \"(\"\nminimum_supported = \"1\"\n",
                "when.model",
            ),
            (
                "[[baseline]]\nid = \"a\"\nsource = \"s\"\nwhen.model = \"x\"\nend_of_support = \"soon\"\n",
                "soon",
            ),
            (
                "[[baseline]]\nid = \"a\"\nsource = \"s\"\nwhen.model = \"x\"\nlatest = \"2\"\n",
                "latest_as_of",
            ),
            (
                "[[baseline]]\nid = \"a\"\nsource = \"s\"\nwhen.model = \"x\"\nminimum_supported = \"1\"\nmystery = 1\n",
                "mystery",
            ),
        ] {
            let err = Baselines::from_texts(&[("f.toml".into(), text.into())]).unwrap_err();
            assert_eq!(err.file, "f.toml");
            assert!(err.to_string().contains(needle), "{err}");
        }
    }

    #[test]
    fn the_shipped_baselines_load() {
        let b = Baselines::embedded().unwrap();
        assert!(b.len() >= 40, "{}", b.len());
    }

    /// The literal pre-check never turns away a value the pattern matches: every shipped
    /// pattern against every vendor name and alias the knowledge base knows and OS strings,
    /// each as written, upper- and lower-cased.
    #[test]
    fn the_literal_precheck_never_hides_a_match() {
        let b = Baselines::embedded().unwrap();
        let kb = crate::KnowledgeBase::embedded().unwrap();
        let mut values: Vec<String> = kb
            .vendors()
            .entries()
            .into_iter()
            .flat_map(|(a, c, k)| [a.to_string(), c.to_string(), k.to_string()])
            .collect();
        for os in [
            "Linux 6.1",
            "Linux 6.12",
            "Linux 4.19",
            "Linux 5.4.0",
            "Android 12",
            "Android 5",
            "VMware ESXi",
            "Windows 10",
            "Dräger",
            "Mobotix AG",
            "Tridium Inc",
            "IOS XE 17.9",
        ] {
            values.push(os.to_string());
        }
        let cased: Vec<String> = values
            .iter()
            .flat_map(|v| [v.clone(), v.to_uppercase(), v.to_lowercase()])
            .collect();
        let (mut checked, mut prefiltered, mut matched) = (0, 0, 0);
        for baseline in &b.entries {
            for (_, re) in &baseline.when {
                checked += 1;
                if !re.needs_one_of().is_empty() {
                    prefiltered += 1;
                }
                let full = re.get().unwrap();
                for v in &cased {
                    if full.is_match(v) {
                        matched += 1;
                        assert!(re.may_match(v), "{} turned away {v:?}", re.pattern);
                    }
                }
            }
        }
        assert!(prefiltered * 10 >= checked * 9, "{prefiltered}/{checked}");
        assert!(matched >= 30, "{matched}");
    }
}
