//! Fingerprints learned from labelled captures (`wardline kb learn`, `wardline kb evaluate`).
//!
//! A device becomes a set of tokens — what it showed, normalised so that nothing unique to
//! one unit (its MAC, serials, UUIDs, addresses) remains:
//!
//! | token | from |
//! | --- | --- |
//! | `oui:` | the IEEE organisation of its MAC (link-layer: left out with `--no-mac`) |
//! | `dhcp.vc:`, `dhcp.prl:` | DHCP option 60 and the option 55 list |
//! | `host:`, `hostpart:` | its host names, whole and split at `-`, `_`, `.` |
//! | `dns:` | names it asked for (reverse lookups left out: they name addresses) |
//! | `fact:` | application facts (`tls.sni`, `http.user_agent`, `mdns.service_type`, …) |
//! | `svc:` | services offered and used: transport, port (ephemeral ports as `eph`), role |
//! | `app:` | application protocols per role |
//! | `role:`, `sw:` | roles; software products, and products with versions |
//! | `peers:`, `pkts:` | how many services it used, its packets, as powers-of-two buckets |
//!
//! Every string is lower-cased, the device's own MAC digits are cut out (an `ESP_07AEFB` host
//! name becomes `esp_`), and UUIDs and long digit or hex runs become `#`.
//!
//! Each token is weighted by its inverse label frequency, ln(1 + labels ÷ labels that show
//! it): a token every label shows weighs little, one only a few labels show weighs much,
//! however many samples each label has. A sample is the unit vector of its tokens' weights;
//! a label's fingerprint starts as the sum of its samples' vectors and is then refined
//! ([`REFINE_ROUNDS`] passes of S. Tan's large-margin DragPushing for centroid text
//! classifiers): a training sample whose own label does not beat the nearest other label by
//! [`REFINE_MARGIN`] of cosine similarity adds [`REFINE_STEP`] of its vector to its label and
//! takes as much from that rival (no weight below zero). This sharpens what a plain centroid blurs: a label
//! whose samples come in two kinds (two units or firmware versions), two labels that share
//! most tokens and differ in a few. Fingerprints are stored at unit length and no weight is
//! negative, so a device matches the fingerprint of highest cosine similarity, 0–1, which
//! still says how near the nearest learned kind is (what `--kb` thresholds). The tokens it
//! shares with the winner are its evidence.

use std::collections::{BTreeMap, BTreeSet};

use model::Device;
use serde::{Deserialize, Serialize};

/// One labelled sample: a capture's centre device, as tokens.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    /// The label (folder name, after twin merging).
    pub label: String,
    /// Where it came from (the capture's path), for reports.
    pub origin: String,
    /// The id of the device the capture centres on.
    pub device: String,
    /// Its tokens.
    pub tokens: BTreeSet<String>,
}

/// What a label names: `MODEL`, or `CATEGORY:VENDOR:MODEL`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    /// The label as written.
    pub name: String,
    /// DESIGN §4 category, when the label gives one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub category: Option<String>,
    /// Vendor, when the label gives one.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub vendor: Option<String>,
    /// Model.
    pub model: String,
}

impl Label {
    /// Reads `MODEL` or `CATEGORY:VENDOR:MODEL`; an unknown category is an error.
    pub fn parse(name: &str) -> Result<Self, String> {
        let parts: Vec<&str> = name.split(':').map(str::trim).collect();
        match parts.as_slice() {
            [model] if !model.is_empty() => Ok(Self {
                name: name.to_owned(),
                category: None,
                vendor: None,
                model: (*model).to_owned(),
            }),
            [category, vendor, model] if !model.is_empty() => {
                if !category.is_empty() && !crate::CATEGORIES.contains(category) {
                    return Err(format!(
                        "label {name:?}: {category:?} is not a category (DESIGN §4 ids: infusion_pump, ip_camera, …)"
                    ));
                }
                Ok(Self {
                    name: name.to_owned(),
                    category: (!category.is_empty()).then(|| (*category).to_owned()),
                    vendor: (!vendor.is_empty()).then(|| (*vendor).to_owned()),
                    model: (*model).to_owned(),
                })
            }
            _ => Err(format!(
                "label {name:?}: expected MODEL or CATEGORY:VENDOR:MODEL"
            )),
        }
    }
}

/// Twin folders of one model (`EdimaxCam1`, `EdimaxCam2`; `WeMoSwitch`, `WeMoSwitch2`) map to
/// one label: a trailing single digit 1–9 after a letter is dropped when another folder
/// shares the stem. `TP-LinkPlugHS100` and `HS110` (digits after digits) stay apart.
pub fn merge_twins(names: &[String]) -> BTreeMap<String, String> {
    let stem = |n: &str| -> Option<String> {
        let mut chars = n.chars().rev();
        let last = chars.next()?;
        let before = chars.next()?;
        (('1'..='9').contains(&last) && before.is_alphabetic()).then(|| n[..n.len() - 1].to_owned())
    };
    let mut by_stem: BTreeMap<String, Vec<&String>> = BTreeMap::new();
    for n in names {
        by_stem
            .entry(stem(n).unwrap_or_else(|| n.clone()))
            .or_default()
            .push(n);
    }
    let mut out = BTreeMap::new();
    for (s, group) in by_stem {
        let label = if group.len() > 1 { s } else { group[0].clone() };
        for n in group {
            out.insert(n.clone(), label.clone());
        }
    }
    out
}

/// The device a capture is about: the one with the most distinct services (what it offers
/// and what it uses, a DHCP exchange counting as one), then the most packets sent (ties: the
/// earliest seen, the lowest id). The network's own infrastructure — a router that also
/// answers DHCP or DNS, the stage the capture was recorded on — comes after every other
/// device that sent anything; a device that never sent a packet (an address others sent
/// to) comes last of all. A labelled capture is recorded around its device: it boots,
/// joins, finds its cloud, is set up by an app; a phone that sets it up talks to it alone.
/// A device acting as an access point during setup is a router, and may answer DHCP on
/// its own setup network, but it still ranks above a phone that sent nothing; a device that
/// only asks DHCP and announces itself ranks with the phone that opens one connection to
/// it, and wins on packets. On the IoT Sentinel set this picks the labelled MAC in all 525
/// captures (tested).
pub fn centre(devices: &[Device]) -> Option<&Device> {
    let infrastructure = |d: &Device| {
        d.roles.iter().any(|r| r == "router")
            && d.roles
                .iter()
                .any(|r| r == "dhcp_server" || r == "dns_server")
    };
    // What it offers and uses; a DHCP exchange counts as a service used.
    let shown = |d: &Device| d.services.len() + usize::from(d.dhcp.is_some());
    devices.iter().max_by(|a, b| {
        (a.packets > 0, !infrastructure(a), shown(a), a.packets)
            .cmp(&(b.packets > 0, !infrastructure(b), shown(b), b.packets))
            .then(b.first_seen.cmp(&a.first_seen))
            .then(b.id.cmp(&a.id))
    })
}

/// The device's tokens (see the module docs); `no_mac` leaves out what comes from link-layer
/// addresses.
pub fn tokens(d: &Device, no_mac: bool) -> BTreeSet<String> {
    let macs: Vec<String> = d
        .macs
        .iter()
        .map(|m| m.to_string().replace(':', ""))
        .collect();
    let norm = |s: &str| normalize(s, &macs);
    let mut t = BTreeSet::new();
    if !no_mac {
        for e in d.vendor.iter().flat_map(|a| &a.evidence) {
            if e.source == "oui" {
                t.insert(format!("oui:{}", norm(&e.value)));
            }
        }
    }
    if let Some(f) = &d.dhcp {
        if let Some(vc) = &f.vendor_class {
            t.insert(format!("dhcp.vc:{}", norm(vc)));
        }
        if let Some(prl) = &f.param_request_list {
            let list: Vec<String> = prl.iter().map(u8::to_string).collect();
            t.insert(format!("dhcp.prl:{}", list.join(",")));
        }
    }
    for h in &d.hostnames {
        let n = norm(&h.name);
        for part in n.split(['-', '_', '.']).filter(|p| p.len() > 1) {
            t.insert(format!("hostpart:{part}"));
        }
        t.insert(format!("host:{n}"));
    }
    for q in &d.dns_queries {
        let q = q.to_ascii_lowercase();
        if !(q.ends_with(".in-addr.arpa") || q.ends_with(".ip6.arpa")) {
            t.insert(format!("dns:{}", norm(&q)));
        }
    }
    for f in &d.facts {
        if SKIPPED_FACTS.contains(&&*f.key) {
            continue;
        }
        t.insert(format!("fact:{}={}", f.key, norm(&f.value)));
    }
    for s in &d.services {
        let port = if s.port >= 49152 && s.role == "client" || s.port >= 32768 && s.role == "server"
        {
            "eph".to_owned()
        } else {
            s.port.to_string()
        };
        t.insert(format!("svc:{}/{port}/{}", s.transport, s.role));
        if let Some(app) = &s.app {
            t.insert(format!("app:{app}/{}", s.role));
        }
    }
    for r in &d.roles {
        t.insert(format!("role:{r}"));
    }
    for s in &d.software {
        t.insert(format!("sw:{}", norm(&s.product)));
        if let Some(v) = &s.version {
            t.insert(format!("sw:{} {}", norm(&s.product), norm(v)));
        }
    }
    t.insert(format!("peers:{}", bucket(d.services.len() as u64)));
    t.insert(format!("pkts:{}", bucket(d.packets)));
    t
}

/// Facts that name one unit or one moment, not a kind of device.
const SKIPPED_FACTS: &[&str] = &[
    "lldp.chassis_id",
    "lldp.port_id",
    "lldp.management_address",
    "lldp.med_serial_number",
    "lldp.med_asset_id",
    "cdp.address",
    "cdp.management_address",
    "dicom.device_serial_number",
    "poct1a.serial_id",
    "poct1a.device_id",
    "tls.cert_not_after",
    "ssdp.usn",
    "http.upnp_udn",
    "http.upnp_serial_number",
    "ntp.reference_ip",
    "bacnet.device_instance",
];

fn bucket(n: u64) -> u32 {
    64 - n.leading_zeros()
}

/// Lower case; the device's own MAC digits (last 6 and 4) cut out; UUIDs as `#`; IPv4
/// addresses as `#ip`;
/// words (alphanumeric runs) that look like serials, UUID parts or counters — 4 or more
/// digits in 6 or more characters, or 4 or more digits alone — as `#`. Model numbers such
/// as `hs110`, `dch-s150` or `1101w` stay.
fn normalize(s: &str, macs: &[String]) -> String {
    let mut out = s.to_lowercase();
    for m in macs {
        for tail in [
            &m[m.len().saturating_sub(6)..],
            &m[m.len().saturating_sub(4)..],
        ] {
            if tail.len() >= 4 {
                out = out.replace(tail, "");
            }
        }
    }
    static UUID: std::sync::LazyLock<regex::Regex> = std::sync::LazyLock::new(|| {
        regex::Regex::new(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
            .expect("a valid pattern")
    });
    let out = UUID.replace_all(&out, "#");
    // Words and the separators between them, in order.
    let mut pieces: Vec<(bool, String)> = Vec::new();
    for c in out.chars() {
        let word = c.is_ascii_alphanumeric();
        match pieces.last_mut() {
            Some((w, text)) if *w == word => text.push(c),
            _ => pieces.push((word, c.to_string())),
        }
    }
    let mut result = String::with_capacity(out.len());
    let mut i = 0;
    while i < pieces.len() {
        // An IPv4 address: four decimal words joined by single dots.
        if i + 7 <= pieces.len() && is_ipv4(&pieces[i..i + 7]) {
            result.push_str("#ip");
            i += 7;
            continue;
        }
        let (word, text) = &pieces[i];
        let digits = text.chars().filter(char::is_ascii_digit).count();
        let serial = *word && digits >= 4 && (text.len() >= 6 || digits == text.len());
        if serial {
            if !result.ends_with('#') {
                result.push('#');
            }
        } else {
            result.push_str(text);
        }
        i += 1;
    }
    result
}

fn is_ipv4(p: &[(bool, String)]) -> bool {
    p.len() == 7
        && p.iter().enumerate().all(|(i, (word, text))| {
            if i % 2 == 0 {
                *word && text.len() <= 3 && text.chars().all(|c| c.is_ascii_digit())
            } else {
                !*word && text == "."
            }
        })
}

/// Learned fingerprints: a centroid per label over idf-weighted token vectors.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Fingerprints {
    /// Whether link-layer features were left out when learning (and so when matching).
    pub no_mac: bool,
    /// Samples learned from.
    pub samples: usize,
    /// Weight of each token seen: its inverse label frequency, ln(1 + labels ÷ labels that
    /// show it) (files learned before weighed by samples instead; they match the same way).
    pub idf: BTreeMap<String, f32>,
    /// One per label.
    pub fingerprint: Vec<Fingerprint>,
}

/// One label's fingerprint.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fingerprint {
    /// What it names.
    #[serde(flatten)]
    pub label: Label,
    /// Samples of the label.
    pub samples: usize,
    /// Centroid weight per token (normalised to unit length).
    pub tokens: BTreeMap<String, f32>,
}

/// A match: which fingerprint, how similar, and the runner-up.
#[derive(Debug, Clone, PartialEq)]
pub struct Match<'a> {
    /// The best fingerprint.
    pub fingerprint: &'a Fingerprint,
    /// Its cosine similarity, 0–1.
    pub score: f32,
    /// The second best's label and score.
    pub runner_up: Option<(&'a str, f32)>,
    /// The shared tokens that weigh most, heaviest first.
    pub shared: Vec<&'a str>,
}

impl Fingerprints {
    /// Learns from `samples` (labels must already be merged as wanted): token weights by
    /// inverse label frequency, a centroid per label, then [`REFINE_ROUNDS`] rounds of
    /// margin refinement (see the module docs).
    pub fn learn(samples: &[Sample], labels: &BTreeMap<String, Label>, no_mac: bool) -> Self {
        // Which labels show each token.
        let mut holders: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
        for s in samples {
            for t in &s.tokens {
                holders.entry(t).or_default().insert(&s.label);
            }
        }
        let names: Vec<&str> = samples
            .iter()
            .map(|s| s.label.as_str())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let n_labels = names.len().max(1) as f32;
        let idf: BTreeMap<String, f32> = holders
            .iter()
            .map(|(t, ls)| {
                (
                    (*t).to_owned(),
                    round4((1.0 + n_labels / ls.len() as f32).ln()),
                )
            })
            .collect();
        // Tokens as indices (in sorted order), samples as sparse unit vectors.
        let index: BTreeMap<&str, u32> = idf
            .keys()
            .enumerate()
            .map(|(i, t)| (t.as_str(), i as u32))
            .collect();
        let label_of: BTreeMap<&str, usize> =
            names.iter().enumerate().map(|(i, l)| (*l, i)).collect();
        let vectors: Vec<(usize, Vec<(u32, f64)>)> = samples
            .iter()
            .map(|s| {
                let v = vector(&s.tokens, &idf)
                    .into_iter()
                    .map(|(t, w)| (index[t], f64::from(w)))
                    .collect();
                (label_of[s.label.as_str()], v)
            })
            .collect();
        let mut centroids = vec![Centroid::default(); names.len()];
        for (y, v) in &vectors {
            centroids[*y].add(v, 1.0);
        }
        refine(&mut centroids, &vectors);
        let tokens_by_index: Vec<&String> = idf.keys().collect();
        let fingerprint = names
            .iter()
            .zip(&centroids)
            .map(|(label, c)| {
                let norm = c.norm().max(f64::EPSILON);
                let tokens = c
                    .sum
                    .iter()
                    .map(|(i, w)| {
                        (
                            tokens_by_index[*i as usize].clone(),
                            round4((w / norm) as f32),
                        )
                    })
                    .filter(|(_, w)| *w > 0.0)
                    .collect();
                Fingerprint {
                    label: labels.get(*label).cloned().unwrap_or_else(|| Label {
                        name: (*label).to_owned(),
                        category: None,
                        vendor: None,
                        model: (*label).to_owned(),
                    }),
                    samples: vectors.iter().filter(|(y, _)| names[*y] == *label).count(),
                    tokens,
                }
            })
            .collect();
        Self {
            no_mac,
            samples: samples.len(),
            idf,
            fingerprint,
        }
    }

    /// The fingerprints as TOML, the form `--kb FILE` reads.
    pub fn to_toml(&self) -> Result<String, toml::ser::Error> {
        toml::to_string(self)
    }

    /// The fingerprint most similar to `tokens`.
    pub fn best(&self, tokens: &BTreeSet<String>) -> Option<Match<'_>> {
        let v = vector(tokens, &self.idf);
        let mut scored: Vec<(f32, &Fingerprint)> = self
            .fingerprint
            .iter()
            .map(|f| {
                let dot: f32 = v
                    .iter()
                    .map(|(t, w)| w * f.tokens.get(*t).copied().unwrap_or(0.0))
                    .sum();
                (dot, f)
            })
            .collect();
        scored.sort_by(|a, b| {
            b.0.total_cmp(&a.0)
                .then_with(|| a.1.label.name.cmp(&b.1.label.name))
        });
        let (score, best) = *scored.first()?;
        if score <= 0.0 {
            return None;
        }
        let mut shared: Vec<(&str, f32)> = v
            .iter()
            .filter_map(|(t, w)| {
                best.tokens
                    .get_key_value(*t)
                    .map(|(k, fw)| (k.as_str(), w * fw))
            })
            .collect();
        shared.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        Some(Match {
            fingerprint: best,
            score: score.clamp(0.0, 1.0),
            runner_up: scored.get(1).map(|(s, f)| (f.label.name.as_str(), *s)),
            shared: shared.into_iter().take(5).map(|(t, _)| t).collect(),
        })
    }
}

/// The unit-length idf-weighted vector of a token set (tokens the model never saw drop out).
fn vector<'a>(tokens: &'a BTreeSet<String>, idf: &BTreeMap<String, f32>) -> Vec<(&'a str, f32)> {
    let v: Vec<(&str, f32)> = tokens
        .iter()
        .filter_map(|t| idf.get(t).map(|w| (t.as_str(), *w)))
        .collect();
    let norm = v
        .iter()
        .map(|(_, w)| w * w)
        .sum::<f32>()
        .sqrt()
        .max(f32::EPSILON);
    v.into_iter().map(|(t, w)| (t, w / norm)).collect()
}

/// Rounds of margin refinement when learning.
pub const REFINE_ROUNDS: usize = 5;
/// The similarity by which a training sample's own label should beat every other label.
pub const REFINE_MARGIN: f64 = 0.1;
/// How much of a sample's vector a refinement step adds to its label's centroid and takes
/// from the rival's (centroids are sums of unit vectors: a label of many samples moves less).
pub const REFINE_STEP: f64 = 0.5;

/// A label's centroid while learning: the sum of its samples' vectors, by token index.
#[derive(Debug, Clone, Default)]
struct Centroid {
    sum: BTreeMap<u32, f64>,
}

impl Centroid {
    fn add(&mut self, v: &[(u32, f64)], k: f64) {
        for (t, w) in v {
            let e = self.sum.entry(*t).or_default();
            *e = (*e + k * w).max(0.0);
        }
    }

    fn norm(&self) -> f64 {
        self.sum.values().map(|w| w * w).sum::<f64>().sqrt()
    }
}

/// Margin refinement of the centroids (large-margin DragPushing): a training sample whose
/// own label does not beat the nearest other label by [`REFINE_MARGIN`] drags its label's
/// centroid towards it and pushes the rival's away (no weight goes below zero). It corrects what plain centroids blur: a label whose samples
/// come in two kinds (two firmware versions), or two labels that share most tokens and
/// differ in a few. At most [`REFINE_ROUNDS`] passes, in sample order; it stops early when
/// every sample clears the margin.
fn refine(centroids: &mut [Centroid], vectors: &[(usize, Vec<(u32, f64)>)]) {
    if centroids.len() < 2 {
        return;
    }
    let mut norms: Vec<f64> = centroids.iter().map(Centroid::norm).collect();
    for _ in 0..REFINE_ROUNDS {
        let mut changed = false;
        for (y, v) in vectors {
            let score = |c: &Centroid, norm: f64| -> f64 {
                v.iter()
                    .map(|(t, w)| w * c.sum.get(t).copied().unwrap_or(0.0))
                    .sum::<f64>()
                    / norm.max(f64::EPSILON)
            };
            let own = score(&centroids[*y], norms[*y]);
            let Some((rival, best)) = centroids
                .iter()
                .enumerate()
                .filter(|(i, _)| i != y)
                .map(|(i, c)| (i, score(c, norms[i])))
                .max_by(|a, b| a.1.total_cmp(&b.1).then(b.0.cmp(&a.0)))
            else {
                continue;
            };
            if own - best >= REFINE_MARGIN {
                continue;
            }
            changed = true;
            centroids[*y].add(v, REFINE_STEP);
            centroids[rival].add(v, -REFINE_STEP);
            norms[*y] = centroids[*y].norm();
            norms[rival] = centroids[rival].norm();
        }
        if !changed {
            break;
        }
    }
}

fn round4(x: f32) -> f32 {
    (x * 10_000.0).round() / 10_000.0
}

/// Stratified K-fold cross-validation: per label, samples in the given order go to folds
/// round-robin, so every fold holds every label with at least K samples, and no sample (one
/// capture) is ever split.
pub fn evaluate(
    samples: &[Sample],
    labels: &BTreeMap<String, Label>,
    folds: usize,
    no_mac: bool,
) -> Evaluation {
    let folds = folds.max(2);
    let mut fold_of = vec![0usize; samples.len()];
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for (i, s) in samples.iter().enumerate() {
        let n = seen.entry(&s.label).or_default();
        fold_of[i] = *n % folds;
        *n += 1;
    }
    let mut predictions: Vec<(String, Option<String>)> = Vec::with_capacity(samples.len());
    let mut results: Vec<(usize, SampleResult)> = Vec::with_capacity(samples.len());
    for k in 0..folds {
        let train: Vec<Sample> = samples
            .iter()
            .zip(&fold_of)
            .filter(|(_, f)| **f != k)
            .map(|(s, _)| s.clone())
            .collect();
        let model = Fingerprints::learn(&train, labels, no_mac);
        for (i, (s, _)) in samples
            .iter()
            .zip(&fold_of)
            .enumerate()
            .filter(|(_, (_, f))| **f == k)
        {
            let best = model.best(&s.tokens);
            let predicted = best.as_ref().map(|m| m.fingerprint.label.name.clone());
            results.push((
                i,
                SampleResult {
                    capture: s.origin.clone(),
                    device: s.device.clone(),
                    label: s.label.clone(),
                    predicted: predicted.clone(),
                    similarity: best.map_or(0.0, |m| round4(m.score)),
                    fold: k,
                },
            ));
            predictions.push((s.label.clone(), predicted));
        }
    }
    let mut e = Evaluation::from_predictions(&predictions);
    results.sort_by_key(|(i, _)| *i);
    e.samples = results.into_iter().map(|(_, r)| r).collect();
    e
}

/// Per-label precision and recall, confusions and overall accuracy.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Evaluation {
    /// Correct predictions ÷ samples.
    pub overall_accuracy: f64,
    /// Per label.
    pub labels: BTreeMap<String, LabelScore>,
    /// (true label, predicted, count), most frequent first.
    pub confusions: Vec<Confusion>,
    /// Every sample: which device the capture centred on, and what it was taken for.
    pub samples: Vec<SampleResult>,
}

/// One sample's outcome.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SampleResult {
    /// The capture.
    pub capture: String,
    /// The device it centred on.
    pub device: String,
    /// Its label.
    pub label: String,
    /// The label predicted by the fingerprints learned without this sample's fold.
    pub predicted: Option<String>,
    /// Similarity to the predicted fingerprint.
    pub similarity: f32,
    /// Which fold it was tested in.
    pub fold: usize,
}

/// One label's scores.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LabelScore {
    /// Of the samples predicted as this label, the share that were.
    pub precision: f64,
    /// Of this label's samples, the share predicted as it.
    pub recall: f64,
    /// Samples of the label.
    pub support: usize,
}

/// A confusion pair.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Confusion {
    /// The true label.
    pub label: String,
    /// What was predicted (`none` when nothing matched).
    pub predicted: String,
    /// How often.
    pub count: usize,
}

impl Evaluation {
    fn from_predictions(p: &[(String, Option<String>)]) -> Self {
        let mut support: BTreeMap<&str, usize> = BTreeMap::new();
        let mut predicted: BTreeMap<&str, usize> = BTreeMap::new();
        let mut correct: BTreeMap<&str, usize> = BTreeMap::new();
        let mut confusions: BTreeMap<(&str, &str), usize> = BTreeMap::new();
        for (truth, guess) in p {
            *support.entry(truth).or_default() += 1;
            let guess = guess.as_deref().unwrap_or("none");
            *predicted.entry(guess).or_default() += 1;
            if guess == truth {
                *correct.entry(truth).or_default() += 1;
            } else {
                *confusions.entry((truth, guess)).or_default() += 1;
            }
        }
        let total_correct: usize = correct.values().sum();
        let labels = support
            .iter()
            .map(|(l, &n)| {
                let c = correct.get(l).copied().unwrap_or(0);
                let pred = predicted.get(l).copied().unwrap_or(0);
                (
                    (*l).to_owned(),
                    LabelScore {
                        precision: if pred == 0 {
                            0.0
                        } else {
                            c as f64 / pred as f64
                        },
                        recall: c as f64 / n as f64,
                        support: n,
                    },
                )
            })
            .collect();
        let mut confusions: Vec<Confusion> = confusions
            .into_iter()
            .map(|((l, g), count)| Confusion {
                label: l.to_owned(),
                predicted: g.to_owned(),
                count,
            })
            .collect();
        confusions.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.label.cmp(&b.label)));
        Self {
            overall_accuracy: if p.is_empty() {
                0.0
            } else {
                total_correct as f64 / p.len() as f64
            },
            labels,
            confusions,
            samples: Vec::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn twins_merge_and_model_numbers_do_not() {
        let names: Vec<String> = [
            "EdimaxCam1",
            "EdimaxCam2",
            "WeMoSwitch",
            "WeMoSwitch2",
            "TP-LinkPlugHS100",
            "TP-LinkPlugHS110",
            "iKettle2",
            "EdimaxPlug1101W",
        ]
        .map(String::from)
        .to_vec();
        let m = merge_twins(&names);
        assert_eq!(m["EdimaxCam1"], "EdimaxCam");
        assert_eq!(m["EdimaxCam2"], "EdimaxCam");
        assert_eq!(m["WeMoSwitch2"], "WeMoSwitch");
        assert_eq!(m["WeMoSwitch"], "WeMoSwitch");
        assert_eq!(m["TP-LinkPlugHS100"], "TP-LinkPlugHS100");
        assert_eq!(m["TP-LinkPlugHS110"], "TP-LinkPlugHS110");
        assert_eq!(m["iKettle2"], "iKettle2");
        assert_eq!(m["EdimaxPlug1101W"], "EdimaxPlug1101W");
    }

    #[test]
    fn labels_parse() {
        let l = Label::parse("ip_camera:Axis:M3045").unwrap();
        assert_eq!(l.category.as_deref(), Some("ip_camera"));
        assert_eq!(l.vendor.as_deref(), Some("Axis"));
        assert_eq!(l.model, "M3045");
        assert_eq!(Label::parse("HueBridge").unwrap().model, "HueBridge");
        assert!(Label::parse("toaster:Acme:T1").is_err());
        assert!(Label::parse("a:b").is_err());
    }

    #[test]
    fn unit_specific_strings_are_normalised_away() {
        let macs = vec!["5ccf7f07aefb".to_owned()];
        assert_eq!(normalize("ESP_07AEFB", &macs), "esp_");
        assert_eq!(
            normalize("dch0d60.local", &["908d78dd0d60".into()]),
            "dch.local"
        );
        assert_eq!(
            normalize("uuid:2f402f80-da50-11e1-9b23-00178824aabb", &[]),
            "uuid:#"
        );
        assert_eq!(normalize("HS110(EU)", &[]), "hs110(eu)");
        assert_eq!(
            normalize("fw 1.0.12 build 20160412", &[]),
            "fw 1.0.12 build #"
        );
    }

    fn sample(label: &str, tokens: &[&str]) -> Sample {
        Sample {
            label: label.into(),
            origin: String::new(),
            device: String::new(),
            tokens: tokens.iter().map(|t| (*t).to_owned()).collect(),
        }
    }

    #[test]
    fn nearest_centroid_learns_and_evaluates() {
        let samples = vec![
            sample(
                "cam",
                &["dns:cam.example", "svc:tcp/554/server", "oui:acme"],
            ),
            sample(
                "cam",
                &["dns:cam.example", "svc:tcp/554/server", "oui:acme"],
            ),
            sample("cam", &["dns:cam.example", "oui:acme"]),
            sample(
                "plug",
                &["dns:plug.example", "svc:udp/9999/server", "oui:acme"],
            ),
            sample(
                "plug",
                &["dns:plug.example", "svc:udp/9999/server", "oui:acme"],
            ),
            sample("plug", &["dns:plug.example", "oui:acme"]),
        ];
        let labels = BTreeMap::new();
        let model = Fingerprints::learn(&samples, &labels, false);
        let m = model.best(&samples[2].tokens).expect("a match");
        assert_eq!(m.fingerprint.label.name, "cam");
        assert_eq!(m.shared[0], "dns:cam.example");
        let e = evaluate(&samples, &labels, 3, false);
        assert_eq!(e.overall_accuracy, 1.0);
        assert_eq!(e.labels["plug"].support, 3);
        // Serialised and read back, the model predicts the same.
        let text = toml::to_string(&model).unwrap();
        let back: Fingerprints = toml::from_str(&text).unwrap();
        assert_eq!(
            back.best(&samples[5].tokens)
                .unwrap()
                .fingerprint
                .label
                .name,
            "plug"
        );
    }

    fn device(id: &str, packets: u64, services: &[(u16, &str)], roles: &[&str]) -> Device {
        Device {
            id: model::DeviceId(id.into()),
            packets,
            services: services
                .iter()
                .map(|(port, role)| model::Service {
                    transport: "tcp".into(),
                    port: *port,
                    app: None,
                    role: (*role).into(),
                    peers: 1,
                })
                .collect(),
            roles: roles.iter().map(|r| (*r).to_owned()).collect(),
            ..Device::default()
        }
    }

    #[test]
    fn centre_is_the_device_not_the_stage_nor_the_phone() {
        let gateway = device(
            "gateway",
            40,
            &[(53, "server"), (67, "server")],
            &["router", "dhcp_server", "dns_server"],
        );
        // A device serving its own setup network (router, DHCP server) and a phone seen only
        // as the address it was sent to.
        let plug = device(
            "plug",
            13,
            &[(80, "client"), (443, "client"), (67, "server")],
            &["router", "dhcp_server"],
        );
        let silent_phone = device("phone", 0, &[], &[]);
        let devices = [gateway.clone(), silent_phone, plug];
        assert_eq!(centre(&devices).unwrap().id.0, "plug");
        // A device that only asks DHCP, against a phone that opened one connection to it:
        // the DHCP exchange counts as a service, and the device sent more.
        let mut kettle = device("kettle", 9, &[], &[]);
        kettle.dhcp = Some(model::DhcpFingerprint::default());
        let phone = device("phone", 4, &[(2081, "client")], &[]);
        assert_eq!(centre(&[gateway, phone, kettle]).unwrap().id.0, "kettle");
    }

    #[test]
    fn refinement_separates_a_label_of_two_kinds() {
        // Most switches show g-tokens; one of them runs the firmware the insight plugs run
        // (f-tokens) and keeps only its own `sw` token. The plain centroid of `switch` is
        // all g, so that sample sits nearer `insight`; refinement pulls it back.
        let mut samples = Vec::new();
        for _ in 0..3 {
            samples.push(sample("insight", &["f1", "f2", "f3", "f4", "ins"]));
            samples.push(sample("switch", &["g1", "g2", "g3", "g4", "sw"]));
        }
        let odd = sample("switch", &["f1", "f2", "f3", "f4", "sw"]);
        samples.push(odd.clone());
        let model = Fingerprints::learn(&samples, &BTreeMap::new(), false);
        let m = model.best(&odd.tokens).unwrap();
        assert_eq!(m.fingerprint.label.name, "switch");
        assert!(m.score - m.runner_up.unwrap().1 > 0.1, "{m:?}");
        // Weights follow labels, not samples: a token of one label of two weighs ln 3.
        assert_eq!(model.idf["sw"], round4(3f32.ln()));
        assert_eq!(model.idf["f1"], round4(2f32.ln()));
        // Both stay fingerprints of unit length with no negative weight.
        for f in &model.fingerprint {
            let norm: f32 = f.tokens.values().map(|w| w * w).sum::<f32>().sqrt();
            assert!((norm - 1.0).abs() < 1e-3, "{norm}");
            assert!(f.tokens.values().all(|w| *w > 0.0));
        }
        // Plain centroids would have taken it for an insight plug.
        let mut plain = vec![Centroid::default(); 2];
        for s in &samples {
            let v: Vec<(u32, f64)> = vector(&s.tokens, &model.idf)
                .into_iter()
                .map(|(t, w)| {
                    let i = model.idf.keys().position(|k| k == t).unwrap() as u32;
                    (i, f64::from(w))
                })
                .collect();
            plain[usize::from(s.label == "switch")].add(&v, 1.0);
        }
        let q: Vec<(u32, f64)> = vector(&odd.tokens, &model.idf)
            .into_iter()
            .map(|(t, w)| {
                let i = model.idf.keys().position(|k| k == t).unwrap() as u32;
                (i, f64::from(w))
            })
            .collect();
        let cos = |c: &Centroid| {
            q.iter()
                .map(|(t, w)| w * c.sum.get(t).copied().unwrap_or(0.0))
                .sum::<f64>()
                / c.norm()
        };
        assert!(cos(&plain[0]) > cos(&plain[1]));
    }
}
