//! `wardline devices list|show|set`: the inventory a database holds.

use std::io::{self, Write};
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use model::TsPrecision;
use serde::Serialize;
use store::{DeviceQuery, DeviceSort, FindingQuery, SortOrder, SqliteStore, Store};

use crate::args::{DevicesArgs, DevicesCommand, Format, ListSort};
use crate::report::{AttributeReport, DeviceReport, FindingReport};

pub fn run(args: &DevicesArgs) -> Result<ExitCode> {
    match &args.command {
        DevicesCommand::List {
            db,
            format,
            search,
            category,
            vendor,
            zone,
            risk,
            authorized,
            sort,
            desc,
            limit,
            offset,
        } => {
            let store = open_existing(db)?;
            let page = store
                .devices(&DeviceQuery {
                    text: search.clone(),
                    category: category.clone(),
                    vendor: vendor.clone(),
                    zone: zone.clone(),
                    risk: risk.as_deref().and_then(store::RiskBand::parse),
                    authorized: authorized.as_deref().and_then(store::Authorization::parse),
                    sort: match sort {
                        ListSort::Id => DeviceSort::Id,
                        ListSort::LastSeen => DeviceSort::LastSeen,
                    },
                    order: if *desc {
                        SortOrder::Descending
                    } else {
                        SortOrder::Ascending
                    },
                    limit: *limit,
                    offset: *offset,
                })
                .with_context(|| format!("listing devices in {}", db.display()))?;
            let devices: Vec<DeviceReport> = page
                .items
                .iter()
                .map(|d| DeviceReport::new(d, TsPrecision::Micro))
                .collect();
            let mut out = io::stdout().lock();
            match format.unwrap_or_else(Format::for_stdout) {
                Format::Json => {
                    #[derive(Serialize)]
                    struct ListReport<'a> {
                        total: u64,
                        offset: u64,
                        limit: u32,
                        devices: &'a [DeviceReport],
                    }
                    serde_json::to_writer_pretty(
                        &mut out,
                        &ListReport {
                            total: page.total,
                            offset: page.offset,
                            limit: page.limit,
                            devices: &devices,
                        },
                    )?;
                    writeln!(out)?;
                }
                Format::Csv => crate::output::write_devices_csv(&mut out, &devices)?,
                Format::Table => {
                    crate::output::write_devices_table(&mut out, &devices)?;
                    writeln!(
                        out,
                        "\n{} of {} devices (from {}){}",
                        devices.len(),
                        page.total,
                        page.offset,
                        if page.offset + (devices.len() as u64) < page.total {
                            format!(
                                "; next page: --offset {}",
                                page.offset + devices.len() as u64
                            )
                        } else {
                            String::new()
                        }
                    )?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        DevicesCommand::Show { id, db, format } => {
            let store = open_existing(db)?;
            let Some(device) = store
                .device(id)
                .with_context(|| format!("reading {}", db.display()))?
            else {
                bail!(
                    "{}: no device {id:?} (wardline devices list shows the ids)",
                    db.display()
                );
            };
            let findings = store
                .findings(&FindingQuery {
                    device: Some(id.clone()),
                    limit: DeviceQuery::MAX_LIMIT,
                    ..FindingQuery::default()
                })
                .with_context(|| format!("reading findings in {}", db.display()))?;
            let report = DeviceReport::new(&device, TsPrecision::Micro);
            let findings: Vec<FindingReport> = findings
                .items
                .iter()
                .map(|f| FindingReport::new(f, TsPrecision::Micro))
                .collect();
            let mut out = io::stdout().lock();
            match format.unwrap_or_else(Format::for_stdout) {
                Format::Json | Format::Csv => {
                    #[derive(Serialize)]
                    struct ShowReport<'a> {
                        device: &'a DeviceReport,
                        findings: &'a [FindingReport],
                    }
                    serde_json::to_writer_pretty(
                        &mut out,
                        &ShowReport {
                            device: &report,
                            findings: &findings,
                        },
                    )?;
                    writeln!(out)?;
                }
                Format::Table => {
                    // Rule citations live in the knowledge base, not in every device's evidence.
                    let kb = identify::KnowledgeBase::embedded().ok();
                    write_show(&mut out, &report, &findings, kb.as_ref())?;
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        DevicesCommand::Set {
            id,
            assignments,
            db,
        } => {
            let mut parsed = Vec::new();
            for a in assignments {
                let Some((name, value)) = a.split_once('=') else {
                    bail!("{a:?}: expected NAME=VALUE, e.g. category=infusion_pump (NAME= clears)");
                };
                let name = name.trim();
                let value = value.trim();
                if !ATTRIBUTES.contains(&name) {
                    bail!("{name:?} cannot be set: one of {}", ATTRIBUTES.join(", "));
                }
                if name == "category" && !value.is_empty() && !identify::CATEGORIES.contains(&value)
                {
                    bail!(
                        "{value:?} is not a category; one of: {}",
                        identify::CATEGORIES.join(", ")
                    );
                }
                if name == "modality"
                    && !value.is_empty()
                    && !identify::MODALITIES.contains(&value.to_ascii_uppercase().as_str())
                {
                    bail!("{value:?} is not a DICOM modality (CT, MR, US, CR, DX, …)");
                }
                let value = if name == "modality" {
                    value.to_ascii_uppercase()
                } else {
                    value.to_owned()
                };
                parsed.push((name, value));
            }
            if parsed.is_empty() {
                bail!("nothing to set: give NAME=VALUE, e.g. category=infusion_pump model=8015");
            }
            let mut store = open_existing(db)?;
            let now = crate::analyze::now();
            for (name, value) in &parsed {
                let v = (!value.is_empty()).then_some(value.as_str());
                let found = store
                    .set_override(id, name, v, now)
                    .with_context(|| format!("updating {}", db.display()))?;
                if !found {
                    bail!(
                        "{}: no device {id:?} (wardline devices list shows the ids)",
                        db.display()
                    );
                }
                match v {
                    Some(v) => eprintln!("wardline: {id}: {name} = {v:?} (override)"),
                    None => eprintln!("wardline: {id}: {name} override removed"),
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

const ATTRIBUTES: [&str; 6] = ["vendor", "category", "model", "os", "firmware", "modality"];

/// Opens a database that must already exist: reading commands never create one.
pub(crate) fn open_existing(db: &Path) -> Result<SqliteStore> {
    if !db.exists() {
        bail!(
            "{}: no such database (create one with wardline analyze CAPTURE --db {})",
            db.display(),
            db.display()
        );
    }
    crate::output::open_store(db)
}

/// `devices show` for people: identity with every piece of evidence, then addresses,
/// services, software, facts and findings.
fn write_show(
    out: &mut impl Write,
    d: &DeviceReport,
    findings: &[FindingReport],
    kb: Option<&identify::KnowledgeBase>,
) -> io::Result<()> {
    writeln!(out, "{}", d.id)?;
    writeln!(out, "  MACs:       {}", d.macs.join(", "))?;
    let names: Vec<String> = d
        .hostnames
        .iter()
        .map(|h| format!("{} ({})", h.name, h.source))
        .collect();
    writeln!(out, "  names:      {}", names.join(", "))?;
    let vlans: Vec<String> = d.vlans.iter().map(u16::to_string).collect();
    writeln!(out, "  VLANs:      {}", vlans.join(", "))?;
    match (&d.first_seen, &d.last_seen) {
        (Some(first), Some(last)) => writeln!(out, "  seen:       {first} – {last}")?,
        _ => writeln!(
            out,
            "  seen:       never (a listed asset not seen on the wire)"
        )?,
    }
    writeln!(
        out,
        "  traffic:    {} packets, {} bytes",
        d.packets, d.bytes
    )?;
    if !d.roles.is_empty() {
        writeln!(out, "  roles:      {}", d.roles.join(", "))?;
    }
    writeln!(out)?;
    writeln!(
        out,
        "Identity (value, confidence; every piece of evidence with its weight)"
    )?;
    for (name, attr) in [
        ("vendor", &d.vendor),
        ("category", &d.category),
        ("model", &d.model),
        ("os", &d.os),
        ("firmware", &d.firmware),
        ("modality", &d.modality),
    ] {
        write_attribute(out, name, attr.as_ref(), kb)?;
    }
    writeln!(out)?;
    writeln!(out, "Addresses over time")?;
    for ip in &d.ips {
        writeln!(
            out,
            "  {:<40} {} – {}",
            ip.addr, ip.first_seen, ip.last_seen
        )?;
    }
    if !d.services.is_empty() {
        writeln!(out)?;
        writeln!(out, "Services")?;
        for s in &d.services {
            writeln!(
                out,
                "  {}/{:<6} {:<7} {:<8} {} peer(s)",
                s.transport,
                s.port,
                s.role,
                s.app.as_deref().unwrap_or("-"),
                s.peers
            )?;
        }
    }
    if !d.software.is_empty() {
        writeln!(out)?;
        writeln!(out, "Software")?;
        for s in &d.software {
            writeln!(
                out,
                "  {} {} ({}, {})",
                s.product,
                s.version.as_deref().unwrap_or(""),
                s.source,
                s.role
            )?;
        }
    }
    if !d.facts.is_empty() {
        writeln!(out)?;
        writeln!(out, "Facts")?;
        for f in &d.facts {
            writeln!(out, "  {:<32} {}", f.key, f.value)?;
        }
    }
    writeln!(out)?;
    writeln!(out, "Findings ({})", findings.len())?;
    for f in findings {
        writeln!(out, "  [{}] {} {}: {}", f.severity, f.kind, f.id, f.summary)?;
    }
    Ok(())
}

fn write_attribute(
    out: &mut impl Write,
    name: &str,
    attr: Option<&AttributeReport>,
    kb: Option<&identify::KnowledgeBase>,
) -> io::Result<()> {
    let Some(a) = attr else {
        return writeln!(out, "  {name:<9} unknown");
    };
    let overridden = a.evidence.first().is_some_and(|e| e.source == "override");
    writeln!(
        out,
        "  {name:<9} {}  (confidence {:.2}{})",
        a.value,
        a.confidence,
        if overridden { ", set by hand" } else { "" }
    )?;
    for e in &a.evidence {
        let mark = if e.value.eq_ignore_ascii_case(&a.value) {
            "+"
        } else {
            "-"
        };
        writeln!(
            out,
            "    {mark} {:<24} {:.2}  {:<28} {}",
            e.value, e.weight, e.source, e.detail
        )?;
        if let Some(c) = kb.and_then(|k| k.citation(&e.source)) {
            writeln!(out, "        source: {c}")?;
        }
    }
    Ok(())
}
