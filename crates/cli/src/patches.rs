//! `wardline patches`: per device × advisory, a patch record that moves open → planned →
//! applied (claimed) → **verified**, and only an analysis that sees a version at or past the
//! fix on the wire verifies it; the old version seen again reopens it with a
//! `patch_regression` finding. A device that cannot be patched gets a compensating control
//! and an accepted-risk expiry that raises `accepted_risk_expired` once it passes.

use std::collections::HashMap;
use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use store::{PatchChange, PatchRecord, Store};

use crate::args::{Format, PatchTarget, PatchesArgs, PatchesCommand};
use crate::vulns::Judged;

/// Who a command-line change is recorded as: `--by`, else `$USER`, else `unknown`.
fn actor(by: Option<&str>) -> String {
    by.map(str::to_string)
        .or_else(|| std::env::var("USER").ok().filter(|u| !u.is_empty()))
        .unwrap_or_else(|| "unknown".into())
}

pub fn run(args: &PatchesArgs) -> Result<ExitCode> {
    match &args.command {
        PatchesCommand::List {
            db,
            device,
            state,
            format,
        } => list(db, device.as_deref(), state.as_deref(), *format),
        PatchesCommand::Plan {
            target,
            window,
            owner,
        } => transition(
            target,
            PatchChange {
                owner: Some(owner.clone()),
                maintenance_window: Some(window.clone()),
                ..change(target, "planned", format!("planned for {window}"))
            },
            &["open", "planned"],
        ),
        PatchesCommand::Apply { target } => transition(
            target,
            change(
                target,
                "applied",
                "applied (claimed; verified when seen on the wire)".into(),
            ),
            &["open", "planned"],
        ),
        PatchesCommand::AcceptRisk {
            target,
            until,
            control,
        } => {
            if model::Timestamp::parse_rfc3339_seconds(&format!("{until}T00:00:00Z")).is_none() {
                bail!("--until {until:?}: expected a date like 2027-06-30");
            }
            transition(
                target,
                PatchChange {
                    compensating_control: Some(control.clone()),
                    accepted_until: Some(until.clone()),
                    ..change(
                        target,
                        "accepted_risk",
                        format!("risk accepted until {until}: {control}"),
                    )
                },
                &["open", "planned", "applied"],
            )
        }
    }
}

/// A person's move of `target` to state `to`, with their reason or `default_why`.
fn change(target: &PatchTarget, to: &str, default_why: String) -> PatchChange {
    PatchChange {
        device: target.device.clone(),
        advisory: target.advisory.clone(),
        to: Some(to.into()),
        actor: actor(target.by.as_deref()),
        why: target.why.clone().unwrap_or(default_why),
        ..PatchChange::default()
    }
}

/// A person's change: allowed only from `from` states, on a record an analysis opened.
fn transition(target: &PatchTarget, change: PatchChange, from: &[&str]) -> Result<ExitCode> {
    let db = &target.db;
    let mut store = crate::devices::open_existing(db)?;
    let Some(record) = store
        .patch_records(Some(&change.device))?
        .into_iter()
        .find(|r| r.advisory == change.advisory)
    else {
        bail!(
            "{}: no patch record for {} × {}: analyses open one for each device an advisory \
             affects (wardline vulns import, then wardline analyze --db)",
            db.display(),
            change.device,
            change.advisory
        );
    };
    if !from.contains(&record.state.as_str()) {
        bail!(
            "{} × {} is {}: {} only from {}",
            change.device,
            change.advisory,
            record.state,
            change.to.as_deref().unwrap_or("?"),
            from.join(" or ")
        );
    }
    let at = crate::analyze::now();
    let from_state = record.state.clone();
    let record = store.change_patch(&change, at)?;
    audit_transition(&mut store, at, "cli", &from_state, &record, &change)?;
    let mut out = io::stdout().lock();
    crate::output::write_json(&mut out, &record)?;
    Ok(ExitCode::SUCCESS)
}

/// A patch record's state change in the hash-chained audit log: who, from and to, and the
/// reason's length (a person's free text is not copied into the log, as for triage comments).
fn audit_transition(
    store: &mut impl Store,
    at: model::Timestamp,
    source: &str,
    from: &str,
    record: &PatchRecord,
    change: &PatchChange,
) -> Result<()> {
    console::audit::record(
        store,
        at.0,
        &change.actor,
        source,
        "patch.state",
        serde_json::json!({
            "device": record.device,
            "advisory": record.advisory,
            "from": from,
            "to": record.state,
            "reason_chars": change.why.chars().count(),
        }),
    )?;
    Ok(())
}

fn list(
    db: &Path,
    device: Option<&str>,
    state: Option<&str>,
    format: Option<Format>,
) -> Result<ExitCode> {
    let store = crate::devices::open_existing(db)?;
    let records: Vec<PatchRecord> = store
        .patch_records(device)?
        .into_iter()
        .filter(|r| state.is_none_or(|s| r.state == s))
        .collect();
    let mut out = io::stdout().lock();
    match format.unwrap_or_else(Format::for_stdout) {
        Format::Json => crate::output::write_json(&mut out, &records)?,
        Format::Csv => {
            let mut w = csv::Writer::from_writer(&mut out);
            w.write_record([
                "device",
                "advisory",
                "state",
                "cves",
                "observed_version",
                "owner",
                "maintenance_window",
                "compensating_control",
                "accepted_until",
                "last_change",
            ])?;
            for r in &records {
                w.write_record([
                    r.device.as_str(),
                    &r.advisory,
                    &r.state,
                    &r.cves.join(" "),
                    r.observed_version.as_deref().unwrap_or(""),
                    r.owner.as_deref().unwrap_or(""),
                    r.maintenance_window.as_deref().unwrap_or(""),
                    r.compensating_control.as_deref().unwrap_or(""),
                    r.accepted_until.as_deref().unwrap_or(""),
                    r.events.last().map_or("", |e| e.why.as_str()),
                ])?;
            }
            w.flush()?;
        }
        Format::Table => {
            writeln!(
                out,
                "{:<22} {:<17} {:<14} {:<12} last change",
                "device", "advisory", "state", "seen"
            )?;
            for r in &records {
                writeln!(
                    out,
                    "{:<22} {:<17} {:<14} {:<12} {}",
                    r.device,
                    r.advisory,
                    r.state,
                    r.observed_version.as_deref().unwrap_or("-"),
                    r.events.last().map_or("", |e| e.why.as_str())
                )?;
            }
            if records.is_empty() {
                writeln!(out, "no patch records")?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The firmware a device's own analysis saw on the wire: its value when the evidence that
/// carried it came from traffic (not the asset list, not a person's override).
fn wire_firmware(view: &model::Device) -> Option<(String, String)> {
    let fw = view.firmware.as_ref()?;
    let from_wire = fw
        .evidence
        .iter()
        .filter(|e| e.value == fw.value)
        .find(|e| e.source != identify::assets::ASSET_SOURCE && e.source != "override")?;
    Some((fw.value.clone(), from_wire.source.clone()))
}

/// After an analysis into the store: open records for newly affected devices; verify those
/// whose fixed version this run saw on the wire (`run_views`: the run's own reading of the
/// devices that have records, without the history that keeps attributes from flapping);
/// reopen verified ones whose old version came back; flag expired accepted risks.
pub fn after_analysis(
    store: &mut impl Store,
    db: &Path,
    devices: &[model::Device],
    judged: &Judged,
    run_views: &HashMap<String, model::Device>,
) -> Result<Vec<model::Finding>> {
    let mut records: HashMap<(String, String), PatchRecord> = store
        .patch_records(None)
        .with_context(|| format!("reading patch records in {}", db.display()))?
        .into_iter()
        .map(|r| ((r.device.clone(), r.advisory.clone()), r))
        .collect();
    let now = crate::analyze::now();
    let mut findings = Vec::new();
    // State changes the wire caused (verified, reopened), audited once the records are written.
    let mut transitions: Vec<(String, PatchRecord, PatchChange)> = Vec::new();
    let mut apply = |c: &PatchChange| -> Result<PatchRecord> {
        store
            .change_patch(c, now)
            .with_context(|| format!("recording a patch change in {}", db.display()))
    };
    for (d, entries) in devices.iter().zip(&judged.entries) {
        // New records for what affects the device now.
        for e in entries {
            if !matches!(e.status, "affected" | "possibly_affected") {
                continue;
            }
            let k = (d.id.0.clone(), e.advisory.clone());
            if records.contains_key(&k) {
                continue;
            }
            let r = apply(&PatchChange {
                device: k.0.clone(),
                advisory: k.1.clone(),
                to: Some("open".into()),
                actor: "wardline".into(),
                why: format!("{}: {}", e.status, e.why),
                cves: Some(e.cves.clone()),
                observed_version: e.version.clone(),
                ..PatchChange::default()
            })?;
            records.insert(k, r);
        }
        // What this run saw on the wire moves existing records.
        let Some(view) = run_views.get(&d.id.0) else {
            continue;
        };
        let Some((version, source)) = wire_firmware(view) else {
            continue;
        };
        for e in judged.run_entries.get(&d.id.0).into_iter().flatten() {
            let k = (d.id.0.clone(), e.advisory.clone());
            let Some(record) = records.get(&k) else {
                continue;
            };
            let (to, why) = match (record.state.as_str(), e.status) {
                ("open" | "planned" | "applied" | "accepted_risk", "fixed") => (
                    "verified",
                    format!("firmware {version} seen on the wire ({source}): {}", e.why),
                ),
                ("verified", "affected") => {
                    findings.push(regression(d, e, &version, &source));
                    (
                        "open",
                        format!(
                            "regression: firmware {version} seen on the wire again ({source}): {}",
                            e.why
                        ),
                    )
                }
                _ => {
                    if record.observed_version.as_deref() != Some(version.as_str()) {
                        let r = apply(&PatchChange {
                            device: k.0.clone(),
                            advisory: k.1.clone(),
                            actor: "wardline".into(),
                            observed_version: Some(version.clone()),
                            ..PatchChange::default()
                        })?;
                        records.insert(k, r);
                    }
                    continue;
                }
            };
            let from = record.state.clone();
            let change = PatchChange {
                device: k.0.clone(),
                advisory: k.1.clone(),
                to: Some(to.into()),
                actor: "wardline".into(),
                why,
                observed_version: Some(version.clone()),
                ..PatchChange::default()
            };
            let r = apply(&change)?;
            transitions.push((from, r.clone(), change));
            records.insert(k, r);
        }
    }
    for (from, record, change) in &transitions {
        audit_transition(store, now, "analyze", from, record, change)
            .with_context(|| format!("auditing a patch change in {}", db.display()))?;
    }
    // Accepted risks past their date.
    let today = crate::report::ts(now, model::TsPrecision::Seconds);
    let today = today.get(..10).unwrap_or_default().to_string();
    for r in records.values() {
        if r.state == "accepted_risk"
            && let Some(until) = &r.accepted_until
            && until.as_str() < today.as_str()
            && let Some(d) = devices.iter().find(|d| d.id.0 == r.device)
        {
            findings.push(expired(d, r, until));
        }
    }
    Ok(findings)
}

fn regression(
    d: &model::Device,
    e: &crate::vulns::ListEntry,
    version: &str,
    source: &str,
) -> model::Finding {
    let mut evidence = serde_json::Map::new();
    evidence.insert("advisory".into(), serde_json::json!(e.advisory));
    evidence.insert("cves".into(), serde_json::json!(e.cves));
    evidence.insert("version".into(), serde_json::json!(version));
    evidence.insert("source".into(), serde_json::json!(source));
    evidence.insert("why".into(), serde_json::json!(e.why));
    model::Finding {
        id: model::FindingId::from_parts(&[
            model::FindingKind::PatchRegression.as_str(),
            &d.id.0,
            &e.advisory,
        ]),
        kind: model::FindingKind::PatchRegression,
        severity: model::Severity::High,
        device: d.id.clone(),
        summary: format!(
            "{} runs {version} again, which {} affects: the verified patch is gone",
            e.product, e.advisory
        ),
        evidence,
        first_seen: d.first_seen,
        last_seen: d.last_seen,
        count: 1,
    }
}

fn expired(d: &model::Device, r: &PatchRecord, until: &str) -> model::Finding {
    let mut evidence = serde_json::Map::new();
    evidence.insert("advisory".into(), serde_json::json!(r.advisory));
    evidence.insert("accepted_until".into(), serde_json::json!(until));
    evidence.insert(
        "compensating_control".into(),
        serde_json::json!(r.compensating_control),
    );
    model::Finding {
        id: model::FindingId::from_parts(&[
            model::FindingKind::AcceptedRiskExpired.as_str(),
            &d.id.0,
            &r.advisory,
        ]),
        kind: model::FindingKind::AcceptedRiskExpired,
        severity: model::Severity::Medium,
        device: d.id.clone(),
        summary: format!(
            "the accepted risk of {} on this device expired on {until}",
            r.advisory
        ),
        evidence,
        first_seen: d.first_seen,
        last_seen: d.last_seen,
        count: 1,
    }
}
