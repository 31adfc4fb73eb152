//! `wardline assets import|list`, and the reconciliation of an analysis against the asset
//! list a store holds (what `analyze --db` adds to its findings).

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use identify::assets::{
    DeviceKeys, attach_asset_evidence, is_personal, match_assets, mismatch_finding,
    parse_asset_csv, placeholder_device, tie_devices, unauthorized_finding,
};
use model::{Asset, AssetMatchReason, Device, DeviceId, Finding, TsPrecision};
use serde::Serialize;
use store::{SqliteStore, Store};

use crate::args::{AssetsArgs, AssetsCommand, Format};
use crate::report::ts;

pub fn run(args: &AssetsArgs) -> Result<ExitCode> {
    match &args.command {
        AssetsCommand::Import {
            file,
            db,
            replace,
            format,
        } => import(file, db, *replace, *format),
        AssetsCommand::List {
            db,
            not_seen,
            format,
        } => list(db, *not_seen, *format),
    }
}

/// What `assets import` prints.
#[derive(Debug, Serialize)]
struct ImportReport {
    file: String,
    rows: u64,
    imported: u64,
    new: u64,
    updated: u64,
    unchanged: u64,
    removed: u64,
    errors: Vec<RowErrorReport>,
    ignored_columns: Vec<String>,
    matched: BTreeMap<&'static str, u64>,
    not_seen: u64,
}

#[derive(Debug, Serialize)]
struct RowErrorReport {
    file: String,
    line: u64,
    message: String,
}

fn import(file: &Path, db: &Path, replace: bool, format: Option<Format>) -> Result<ExitCode> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let list = parse_asset_csv(&bytes).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let mut store = crate::output::open_store(db)?;
    let rows: Vec<(Asset, String)> = list
        .rows
        .iter()
        .map(|r| (r.asset.clone(), format!("{}:{}", file.display(), r.line)))
        .collect();
    if replace && rows.is_empty() {
        anyhow::bail!(
            "{}: no usable row; refusing to replace the stored asset list with nothing",
            file.display()
        );
    }
    let summary = store
        .import_assets(&rows, replace, crate::analyze::now())
        .with_context(|| format!("storing the asset list in {}", db.display()))?;
    let outcome = reconcile(&store, db, &mut [])?;
    record(&mut store, db, &outcome)?;

    let report = ImportReport {
        file: file.display().to_string(),
        rows: (list.rows.len() + list.errors.len()) as u64,
        imported: list.rows.len() as u64,
        new: summary.new,
        updated: summary.updated,
        unchanged: summary.unchanged,
        removed: summary.removed,
        errors: list
            .errors
            .iter()
            .map(|e| RowErrorReport {
                file: file.display().to_string(),
                line: e.line,
                message: e.message.clone(),
            })
            .collect(),
        ignored_columns: list.ignored_columns.clone(),
        matched: outcome.matched_by,
        not_seen: outcome.not_seen,
    };
    for e in &report.errors {
        eprintln!("wardline: {}:{}: {}", e.file, e.line, e.message);
    }
    let mut out = io::stdout().lock();
    match format.unwrap_or_else(Format::for_stdout) {
        Format::Json | Format::Csv => crate::output::write_json(&mut out, &report)?,
        Format::Table => {
            writeln!(
                out,
                "{}: {} assets imported ({} new, {} updated, {} unchanged, {} removed), {} rows with errors",
                report.file,
                report.imported,
                report.new,
                report.updated,
                report.unchanged,
                report.removed,
                report.errors.len()
            )?;
            let matched: Vec<String> = report
                .matched
                .iter()
                .map(|(k, v)| format!("{v} by {k}"))
                .collect();
            writeln!(
                out,
                "matched to devices seen: {}; never seen: {}",
                if matched.is_empty() {
                    "none".to_string()
                } else {
                    matched.join(", ")
                },
                report.not_seen
            )?;
            if !report.ignored_columns.is_empty() {
                writeln!(
                    out,
                    "columns ignored: {}",
                    report.ignored_columns.join(", ")
                )?;
            }
        }
    }
    out.flush()?;
    Ok(if report.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

/// What a reconciliation concluded.
#[derive(Debug, Default)]
pub struct Reconciliation {
    /// The stored list.
    pub assets: Vec<Asset>,
    /// For each asset, the device it is and why.
    pub matches: Vec<Option<(DeviceId, AssetMatchReason)>>,
    /// Devices standing for assets never seen.
    pub placeholders: Vec<Device>,
    /// Every device that is a listed asset (by index into `assets`), and why.
    pub ties: HashMap<DeviceId, (usize, AssetMatchReason)>,
    /// Listed assets tied to a device, by reason.
    pub matched_by: BTreeMap<&'static str, u64>,
    /// Listed assets tied to no device.
    pub not_seen: u64,
}

/// Ties the store's asset list to its devices and this analysis's `devices` (MAC, host
/// name, IP), adds the list's evidence to the matched devices of this analysis (before they
/// are classified). [`record`] stores the ties once the analysis is merged; findings come
/// from [`findings_after_classification`]. With no asset list, finds nothing.
pub fn reconcile(store: &SqliteStore, db: &Path, devices: &mut [Device]) -> Result<Reconciliation> {
    let stored = store
        .assets()
        .with_context(|| format!("reading the asset list in {}", db.display()))?;
    let mut outcome = Reconciliation::default();
    if stored.is_empty() {
        return Ok(outcome);
    }
    let assets: Vec<Asset> = stored.into_iter().map(|s| s.asset).collect();
    let mut keys: BTreeMap<DeviceId, DeviceKeys> = store
        .device_identities()
        .with_context(|| format!("reading devices in {}", db.display()))?
        .iter()
        .map(|d| (d.id.clone(), DeviceKeys::of(d)))
        .collect();
    for d in devices.iter() {
        let k = DeviceKeys::of(d);
        match keys.get_mut(&d.id) {
            Some(existing) => existing.absorb(k),
            None => {
                keys.insert(d.id.clone(), k);
            }
        }
    }
    let keys: Vec<DeviceKeys> = keys.into_values().collect();
    let matches = match_assets(&assets, &keys);

    // Every device that is a listed asset: the matched ones, and the same hosts seen
    // through a router by address only.
    outcome.ties = tie_devices(&matches, &keys)
        .into_iter()
        .map(|(di, ai, r)| (keys[di].id.clone(), (ai, r)))
        .collect();
    for d in devices.iter_mut() {
        if let Some(&(ai, reason)) = outcome.ties.get(&d.id) {
            attach_asset_evidence(d, &assets[ai], reason);
        }
    }
    for (asset, m) in assets.iter().zip(&matches) {
        match m {
            Some((_, reason)) => *outcome.matched_by.entry(reason.as_str()).or_default() += 1,
            None => {
                outcome.not_seen += 1;
                outcome.placeholders.push(placeholder_device(asset));
            }
        }
    }
    outcome.assets = assets;
    outcome.matches = matches;
    Ok(outcome)
}

/// Stores which device each listed asset is, and the placeholders of those never seen.
pub fn record(store: &mut SqliteStore, db: &Path, outcome: &Reconciliation) -> Result<()> {
    if outcome.assets.is_empty() {
        return Ok(());
    }
    let tagged: Vec<(String, Option<(DeviceId, AssetMatchReason)>)> = outcome
        .assets
        .iter()
        .map(|a| a.tag.clone())
        .zip(outcome.matches.iter().cloned())
        .collect();
    store
        .record_asset_matches(&tagged, &outcome.placeholders)
        .with_context(|| format!("recording asset matches in {}", db.display()))
}

/// `unauthorized_device` and `asset_mismatch` findings about this analysis's devices, once
/// they are classified. Nothing when the store holds no asset list.
pub fn findings_after_classification(
    outcome: &Reconciliation,
    kb: &identify::KnowledgeBase,
    devices: &mut [Device],
) -> Vec<Finding> {
    if outcome.assets.is_empty() {
        return Vec::new();
    }
    let listed = outcome.assets.len();
    let mut findings = Vec::new();
    for d in devices.iter_mut() {
        // Placeholders are the list itself; internet hosts (public addresses with no MAC)
        // are peers, not devices on the hospital's network.
        if d.id.0.starts_with(Asset::PLACEHOLDER_PREFIX)
            || (d.macs.is_empty() && !d.ips.iter().any(|s| model::ip_is_local(&s.addr)))
        {
            continue;
        }
        let finding = match outcome.ties.get(&d.id) {
            Some(&(ai, reason)) => mismatch_finding(d, &outcome.assets[ai], reason, kb.vendors()),
            None if !is_personal(d) => Some(unauthorized_finding(d, listed)),
            None => None,
        };
        if let Some(f) = finding {
            d.findings.push(f.id.clone());
            findings.push(f);
        }
    }
    findings
}

/// One row of `assets list`.
#[derive(Debug, Serialize)]
struct AssetReport {
    tag: String,
    device: Option<String>,
    matched_by: Option<&'static str>,
    last_seen: Option<String>,
    days_not_seen: Option<i64>,
    macs: Vec<String>,
    ips: Vec<String>,
    hostname: Option<String>,
    serial: Option<String>,
    vendor: Option<String>,
    model: Option<String>,
    firmware: Option<String>,
    category: Option<String>,
    department: Option<String>,
    location: Option<String>,
    origin: String,
}

const DAY_NS: i64 = 86_400 * 1_000_000_000;

fn list(db: &Path, not_seen: Option<u32>, format: Option<Format>) -> Result<ExitCode> {
    let store = crate::devices::open_existing(db)?;
    let now = crate::analyze::now();
    let rows: Vec<AssetReport> = store
        .assets()
        .with_context(|| format!("reading the asset list in {}", db.display()))?
        .into_iter()
        .map(|s| {
            let days = s
                .last_seen
                .filter(|t| t.0 > 0)
                .map(|t| (now.0 - t.0).max(0) / DAY_NS);
            AssetReport {
                tag: s.asset.tag,
                device: s.matched.as_ref().map(|(d, _)| d.0.clone()),
                matched_by: s.matched.as_ref().map(|(_, r)| r.as_str()),
                last_seen: s
                    .last_seen
                    .filter(|t| t.0 > 0)
                    .map(|t| ts(t, TsPrecision::Seconds)),
                days_not_seen: days,
                macs: s.asset.macs.iter().map(ToString::to_string).collect(),
                ips: s.asset.ips.iter().map(ToString::to_string).collect(),
                hostname: s.asset.hostname,
                serial: s.asset.serial,
                vendor: s.asset.vendor,
                model: s.asset.model,
                firmware: s.asset.firmware,
                category: s.asset.category,
                department: s.asset.department,
                location: s.asset.location,
                origin: s.origin,
            }
        })
        // --not-seen N: never seen, or last seen N days ago or more.
        .filter(|r| not_seen.is_none_or(|n| r.days_not_seen.is_none_or(|d| d >= i64::from(n))))
        .collect();
    let mut out = io::stdout().lock();
    match format.unwrap_or_else(Format::for_stdout) {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &rows)?;
            writeln!(out)?;
        }
        Format::Csv => {
            let mut w = csv::Writer::from_writer(&mut out);
            w.write_record([
                "tag",
                "device",
                "matched_by",
                "last_seen",
                "days_not_seen",
                "vendor",
                "model",
                "firmware",
                "department",
                "location",
            ])?;
            for r in &rows {
                w.write_record([
                    r.tag.as_str(),
                    r.device.as_deref().unwrap_or_default(),
                    r.matched_by.unwrap_or_default(),
                    r.last_seen.as_deref().unwrap_or_default(),
                    &r.days_not_seen.map(|d| d.to_string()).unwrap_or_default(),
                    r.vendor.as_deref().unwrap_or_default(),
                    r.model.as_deref().unwrap_or_default(),
                    r.firmware.as_deref().unwrap_or_default(),
                    r.department.as_deref().unwrap_or_default(),
                    r.location.as_deref().unwrap_or_default(),
                ])?;
            }
            w.flush()?;
        }
        Format::Table => {
            writeln!(
                out,
                "{:<16} {:<20} {:<9} {:<12} {:<20} {:<20}",
                "TAG", "DEVICE", "MATCHED", "NOT SEEN", "VENDOR", "MODEL"
            )?;
            for r in &rows {
                writeln!(
                    out,
                    "{:<16} {:<20} {:<9} {:<12} {:<20} {:<20}",
                    r.tag,
                    r.device.as_deref().unwrap_or("-"),
                    r.matched_by.unwrap_or("-"),
                    r.days_not_seen
                        .map_or("never seen".to_string(), |d| format!("{d} days")),
                    r.vendor.as_deref().unwrap_or("-"),
                    r.model.as_deref().unwrap_or("-"),
                )?;
            }
            writeln!(out, "{} assets", rows.len())?;
        }
    }
    out.flush()?;
    Ok(ExitCode::SUCCESS)
}
