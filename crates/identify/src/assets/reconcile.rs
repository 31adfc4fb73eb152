//! The asset list against the wire: the list's vendor, model and firmware as evidence, and
//! the findings — a device the list does not hold, a device the list describes otherwise.

use std::collections::BTreeMap;

use model::{
    Asset, AssetMatchReason, Attribute, Device, Evidence, Finding, FindingId, FindingKind, Severity,
};
use serde_json::{Value, json};

use crate::combine::{Contribution, combine, model_key, plain_key};
use crate::{VendorAliases, compare_versions};

/// Source name of evidence taken from the asset list.
pub const ASSET_SOURCE: &str = "asset_list";

/// Weight of the list's word: strong (a person recorded it against the serial), but not
/// certainty — lists go stale, and the wire may show a device was swapped or updated.
pub const ASSET_WEIGHT: f32 = 0.9;

/// The wire must say a value at least this surely before it is called a disagreement:
/// an OUI-only category hint is not worth a finding.
pub const MISMATCH_MIN_CONFIDENCE: f32 = 0.5;

/// Categories of devices people bring (DESIGN §4 "personal"): counted per zone, never
/// reported one by one as unauthorized.
pub const PERSONAL_CATEGORIES: &[&str] = &["mobile_phone", "tablet", "laptop", "wearable"];

/// True for a phone, tablet, laptop or wearable, or a device behind a randomised MAC (which
/// only personal operating systems use).
pub fn is_personal(device: &Device) -> bool {
    device.mac_randomized
        || device
            .category
            .as_ref()
            .is_some_and(|c| PERSONAL_CATEGORIES.contains(&c.value.as_str()))
}

/// Adds what the list says of `asset` to `device`'s vendor, category, model and firmware as
/// evidence of source [`ASSET_SOURCE`]; classification then weighs it with the wire's.
pub fn attach_asset_evidence(device: &mut Device, asset: &Asset, reason: AssetMatchReason) {
    let detail = |field: &str| {
        format!(
            "asset list {}: {field} (matched by {})",
            asset.tag,
            reason.as_str()
        )
    };
    let evidence = |value: &str, field: &str| Evidence {
        value: value.to_string(),
        source: ASSET_SOURCE.to_string(),
        detail: detail(field),
        weight: ASSET_WEIGHT,
    };
    if let Some(v) = &asset.vendor {
        push(&mut device.vendor, evidence(v, "manufacturer"));
    }
    for (slot, value, field) in [
        (&mut device.category, &asset.category, "type"),
        (&mut device.model, &asset.model, "model"),
        (&mut device.firmware, &asset.firmware, "firmware"),
    ] {
        if let Some(v) = value {
            let mut inner = slot.take().map(|b| *b);
            push(&mut inner, evidence(v, field));
            *slot = inner.map(Box::new);
        }
    }
}

fn push(slot: &mut Option<Attribute>, e: Evidence) {
    match slot {
        Some(a) => {
            a.evidence.retain(|x| x.source != ASSET_SOURCE);
            a.evidence.push(e);
        }
        None => {
            *slot = Some(Attribute {
                value: e.value.clone(),
                confidence: e.weight,
                evidence: vec![e],
            });
        }
    }
}

/// The placeholder device of a listed asset never seen on the wire: its id is `asset-<tag>`,
/// its MACs the list's, its attributes the list's (as evidence), and no traffic.
pub fn placeholder_device(asset: &Asset) -> Device {
    let mut d = Device {
        id: asset.placeholder_id(),
        macs: asset.macs.clone(),
        ..Device::default()
    };
    attach_asset_evidence(&mut d, asset, AssetMatchReason::Mac);
    // Nothing was matched: say so instead of a match reason.
    for (_, attr) in [
        ("vendor", d.vendor.as_mut()),
        ("category", d.category.as_deref_mut()),
        ("model", d.model.as_deref_mut()),
        ("firmware", d.firmware.as_deref_mut()),
    ] {
        if let Some(a) = attr {
            for e in &mut a.evidence {
                e.detail = e
                    .detail
                    .replace(" (matched by mac)", " (not seen on the wire)");
            }
        }
    }
    d
}

/// The zone a device is counted in: the one an analysis placed it in, else its provisional
/// zone (its VLAN when tagged, else the /24 or /64 of its placing address).
pub fn provisional_zone(device: &Device) -> String {
    device
        .zone
        .clone()
        .unwrap_or_else(|| model::provisional_zone(device.placing_vlan(), device.placing_address()))
}

/// `unauthorized_device`: a non-personal device seen on the wire that the list does not hold.
pub fn unauthorized_finding(device: &Device, listed: usize) -> Finding {
    let id = FindingId::from_parts(&[FindingKind::UnauthorizedDevice.as_str(), &device.id.0]);
    let what = describe(device);
    let mut evidence = serde_json::Map::new();
    evidence.insert("listed_assets".into(), json!(listed));
    evidence.insert(
        "macs".into(),
        json!(
            device
                .macs
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
        ),
    );
    evidence.insert(
        "ips".into(),
        json!(
            device
                .ips
                .iter()
                .map(|s| s.addr.to_string())
                .collect::<Vec<_>>()
        ),
    );
    evidence.insert(
        "hostnames".into(),
        json!(
            device
                .hostnames
                .iter()
                .map(|h| h.name.clone())
                .collect::<Vec<_>>()
        ),
    );
    for (name, attr) in device.attributes() {
        if let Some(a) = attr {
            evidence.insert(name.into(), json!(a.value));
        }
    }
    Finding {
        id,
        kind: FindingKind::UnauthorizedDevice,
        severity: Severity::Medium,
        device: device.id.clone(),
        summary: format!(
            "{what} is on the network but not in the asset list ({listed} assets listed)"
        ),
        evidence,
        first_seen: device.first_seen,
        last_seen: device.last_seen,
        count: 1,
    }
}

/// A short description of a device: `BD infusion_pump mac-001b6f0a0b0c`.
fn describe(device: &Device) -> String {
    let mut parts: Vec<&str> = Vec::new();
    if let Some(v) = &device.vendor {
        parts.push(&v.value);
    }
    if let Some(m) = &device.model {
        parts.push(&m.value);
    } else if let Some(c) = &device.category {
        parts.push(&c.value);
    }
    parts.push(&device.id.0);
    parts.join(" ")
}

/// `asset_mismatch`: the list and the wire name a different vendor, model or firmware for
/// the same device. The wire's value is what the wire's evidence alone concludes (the list's
/// evidence left out), and counts only when it is at least [`MISMATCH_MIN_CONFIDENCE`] sure.
pub fn mismatch_finding(
    device: &Device,
    asset: &Asset,
    reason: AssetMatchReason,
    vendors: &VendorAliases,
) -> Option<Finding> {
    let mut fields: Vec<Value> = Vec::new();
    let mut severity = Severity::Low;
    let checks: [(&str, Option<&Attribute>, &Option<String>); 3] = [
        ("vendor", device.vendor.as_ref(), &asset.vendor),
        ("model", device.model.as_deref(), &asset.model),
        ("firmware", device.firmware.as_deref(), &asset.firmware),
    ];
    for (field, attr, listed) in checks {
        let (Some(attr), Some(listed)) = (attr, listed) else {
            continue;
        };
        let Some(wire) = wire_only(field, attr, vendors) else {
            continue;
        };
        if wire.confidence < MISMATCH_MIN_CONFIDENCE || agree(field, &wire.value, listed, vendors) {
            continue;
        }
        if field != "model" {
            // Another maker, or firmware other than recorded: swapped, spoofed or updated
            // outside change control.
            severity = Severity::Medium;
        }
        let source = wire
            .evidence
            .iter()
            .find(|e| {
                if field == "model" {
                    model_key(&e.value) == model_key(&wire.value)
                } else {
                    plain_key(&e.value) == plain_key(&wire.value)
                }
            })
            .map(|e| e.source.clone())
            .unwrap_or_default();
        fields.push(json!({
            "field": field,
            "asset_list": listed,
            "wire": wire.value,
            "wire_confidence": wire.confidence,
            "wire_source": source,
        }));
    }
    if fields.is_empty() {
        return None;
    }
    let names: Vec<String> = fields
        .iter()
        .map(|f| {
            format!(
                "{} {:?} listed, {:?} seen",
                f["field"].as_str().unwrap_or_default(),
                f["asset_list"].as_str().unwrap_or_default(),
                f["wire"].as_str().unwrap_or_default()
            )
        })
        .collect();
    let mut evidence = serde_json::Map::new();
    evidence.insert("asset_tag".into(), json!(asset.tag));
    evidence.insert("matched_by".into(), json!(reason.as_str()));
    evidence.insert("fields".into(), Value::Array(fields));
    Some(Finding {
        id: FindingId::from_parts(&[FindingKind::AssetMismatch.as_str(), &device.id.0]),
        kind: FindingKind::AssetMismatch,
        severity,
        device: device.id.clone(),
        summary: format!("asset {}: {}", asset.tag, names.join("; ")),
        evidence,
        first_seen: device.first_seen,
        last_seen: device.last_seen,
        count: 1,
    })
}

/// What the attribute's evidence concludes without the asset list.
fn wire_only(field: &str, attr: &Attribute, vendors: &VendorAliases) -> Option<Attribute> {
    let contributions: Vec<Contribution> = attr
        .evidence
        .iter()
        .filter(|e| e.source != ASSET_SOURCE && e.source != "override")
        .cloned()
        .map(Contribution::from)
        .collect();
    if field == "vendor" {
        let canonical = contributions
            .into_iter()
            .map(|mut c| {
                c.value = vendors.canonical(&c.value);
                c
            })
            .collect();
        combine(canonical, |v| vendors.key(v), None)
    } else if field == "model" {
        combine(contributions, model_key, None)
    } else {
        combine(contributions, plain_key, None)
    }
}

/// Whether the list's and the wire's values mean the same: vendors through the alias table,
/// firmware as versions (`12.1` = `12.1.0`), models when one contains the other once case,
/// spaces and punctuation are set aside (`Alaris 8015` and `8015`, `MX-450` and `mx450`).
fn agree(field: &str, wire: &str, listed: &str, vendors: &VendorAliases) -> bool {
    match field {
        "vendor" => {
            vendors.key(&vendors.canonical(wire)) == vendors.key(&vendors.canonical(listed))
        }
        "firmware" => compare_versions(wire, listed) == std::cmp::Ordering::Equal,
        _ => {
            let squash = |s: &str| -> String {
                s.chars()
                    .filter(char::is_ascii_alphanumeric)
                    .map(|c| c.to_ascii_lowercase())
                    .collect()
            };
            let (w, l) = (squash(wire), squash(listed));
            if w.is_empty() || l.is_empty() {
                return false;
            }
            if w.contains(&l) || l.contains(&w) {
                return true;
            }
            // A model number is the part with digits: `PowerLogic PM5560` is the
            // `METSEPM5560` a meter announces, `Alaris PC 8015` the `8015` a CMMS lists.
            let numbers = |s: &str| -> Vec<String> {
                s.split(|c: char| !c.is_ascii_alphanumeric())
                    .filter(|t| t.len() >= 4 && t.chars().any(|c| c.is_ascii_digit()))
                    .map(str::to_ascii_lowercase)
                    .collect()
            };
            numbers(listed).iter().any(|n| w.contains(n.as_str()))
                || numbers(wire).iter().any(|n| l.contains(n.as_str()))
        }
    }
}

/// Personal devices per provisional zone: how many, by category (`unknown` when none), and
/// how many behind randomised MACs.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct PersonalDevices {
    /// All personal devices.
    pub total: u64,
    /// Per zone, sorted by zone.
    pub zones: Vec<PersonalZone>,
}

/// One zone's personal devices.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct PersonalZone {
    /// `vlan 20`, `10.20.3.0/24`, …
    pub zone: String,
    /// Personal devices in it.
    pub count: u64,
    /// By category.
    pub categories: BTreeMap<String, u64>,
    /// Of them, behind a randomised MAC.
    pub randomized_macs: u64,
}

/// Counts the personal devices among `devices`.
pub fn personal_devices<'a>(devices: impl IntoIterator<Item = &'a Device>) -> PersonalDevices {
    let mut zones: BTreeMap<String, PersonalZone> = BTreeMap::new();
    let mut total = 0;
    for d in devices.into_iter().filter(|d| is_personal(d)) {
        total += 1;
        let zone = provisional_zone(d);
        let z = zones.entry(zone.clone()).or_insert_with(|| PersonalZone {
            zone,
            ..PersonalZone::default()
        });
        z.count += 1;
        let category = d
            .category
            .as_ref()
            .map_or("unknown", |c| c.value.as_str())
            .to_string();
        *z.categories.entry(category).or_default() += 1;
        if d.mac_randomized {
            z.randomized_macs += 1;
        }
    }
    PersonalDevices {
        total,
        zones: zones.into_values().collect(),
    }
}
