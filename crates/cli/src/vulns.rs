//! `wardline vulns`: advisories into the store.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use store::{AdvisoryRecord, Store};

use crate::args::{Format, VulnsArgs, VulnsCommand};

pub fn run(args: &VulnsArgs) -> Result<ExitCode> {
    match &args.command {
        VulnsCommand::Import {
            paths,
            db,
            format,
            sbom_vendor,
            sbom_model,
            sbom_firmware,
        } => {
            let describes = vuln::sbom::Subject {
                reference: None,
                vendor: sbom_vendor.clone(),
                model: sbom_model.clone(),
                version: sbom_firmware.clone(),
            };
            import(paths, db, *format, &describes)
        }
        VulnsCommand::Update {
            db,
            config,
            sources,
            ca_cert,
            format,
        } => crate::vulns_update::update(&crate::vulns_update::UpdateRequest {
            config: config.as_deref(),
            sources,
            ca_cert: ca_cert.as_deref(),
            db,
            format: *format,
        }),
        VulnsCommand::List {
            db,
            device,
            kev,
            kb,
            format,
        } => list(db, device.as_deref(), *kev, kb, *format),
    }
}

/// What `vulns import` prints (`files`, `advisories`, `new`, `updated`, `errors` are the
/// contract; the rest is added).
#[derive(Debug, Serialize)]
struct ImportReport {
    files: u64,
    advisories: u64,
    new: u64,
    updated: u64,
    unchanged: u64,
    errors: Vec<FileError>,
    skipped: Vec<Skipped>,
    /// Product version texts no rule reads (kept; matching treats the version as unknown).
    unread_version_texts: u64,
    vulnerabilities: u64,
    /// The KEV catalog imported, when one was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    kev: Option<KevImport>,
    /// The EPSS scores imported, when a file was given.
    #[serde(skip_serializing_if = "Option::is_none")]
    epss: Option<EpssImport>,
    /// The SBOM and VEX documents imported.
    sboms: SbomImport,
}

#[derive(Debug, Default, Serialize)]
struct SbomImport {
    documents: u64,
    new: u64,
    updated: u64,
    unchanged: u64,
    components: u64,
    vex_statements: u64,
    /// Documents that name no device vendor and model and whose statements name no other
    /// document: kept, but attached to no device until imported again with `--sbom-vendor`
    /// and `--sbom-model`.
    unattached: Vec<String>,
}

#[derive(Debug, Serialize)]
struct EpssImport {
    file: String,
    score_date: Option<String>,
    model_version: Option<String>,
    scores: u64,
}

#[derive(Debug, Serialize)]
struct KevImport {
    file: String,
    catalog: String,
    entries: u64,
}

#[derive(Debug, Serialize)]
struct FileError {
    file: String,
    /// JSON pointer to the member at fault ("" for the whole file).
    path: String,
    message: String,
}

#[derive(Debug, Serialize)]
struct Skipped {
    file: String,
    kind: &'static str,
    reason: &'static str,
}

/// What a JSON file is, by its shape.
fn kind_of(doc: &Value) -> Option<(&'static str, &'static str)> {
    let has = |p: &str| doc.pointer(p).is_some();
    let reason = "not read by this version of wardline yet";
    if vuln::csaf::is_csaf(doc) {
        return None;
    }
    if vuln::kev::is_kev(doc)
        || vuln::cve5::is_cve_record(doc)
        || vuln::nvd::is_nvd_cves(doc)
        || vuln::sbom::is_sbom(doc)
    {
        return None;
    }
    Some(
        if doc.get("dataType").and_then(Value::as_str) == Some("CVE_RECORD") {
            ("cve_record", reason)
        } else if doc.get("format").and_then(Value::as_str) == Some("NVD_CVE")
            || has("/resultsPerPage")
        {
            ("nvd_api", reason)
        } else if has("/$schema") && (has("/properties") || has("/definitions") || has("/$defs")) {
            ("json_schema", "a schema, not an advisory")
        } else if has("/tests") {
            ("test_suite", "not an advisory")
        } else {
            ("unknown", "not a format wardline reads")
        },
    )
}

fn json_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for p in paths {
        let meta = std::fs::metadata(p).with_context(|| format!("reading {}", p.display()))?;
        if meta.is_dir() {
            let mut stack = vec![p.clone()];
            while let Some(dir) = stack.pop() {
                for entry in
                    std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))?
                {
                    let path = entry?.path();
                    if path.is_dir() {
                        stack.push(path);
                    } else if path
                        .extension()
                        .is_some_and(|e| e.eq_ignore_ascii_case("json"))
                    {
                        out.push(path);
                    }
                }
            }
        } else {
            out.push(p.clone());
        }
    }
    out.sort();
    out.dedup();
    Ok(out)
}

/// An SBOM or VEX document as the store keeps it, with what `describes` (the import's
/// `--sbom-*` flags) sets in place of what it names.
fn sbom_record(
    mut sbom: vuln::sbom::Sbom,
    describes: &vuln::sbom::Subject,
    origin: &str,
    report: &mut SbomImport,
) -> Result<AdvisoryRecord> {
    let s = &mut sbom.subject;
    for (mine, given) in [
        (&mut s.vendor, &describes.vendor),
        (&mut s.model, &describes.model),
        (&mut s.version, &describes.version),
    ] {
        if given.is_some() {
            mine.clone_from(given);
        }
    }
    report.components += sbom.components.len() as u64;
    report.vex_statements += sbom.statements.len() as u64;
    let names_other = sbom
        .statements
        .iter()
        .flat_map(|v| &v.targets)
        .any(|t| t.reference.starts_with("urn:cdx:"));
    if (s.vendor.is_none() || s.model.is_none()) && !names_other {
        report.unattached.push(origin.to_string());
    }
    let title = match (&s.vendor, &s.model) {
        (Some(v), Some(m)) => format!("{v} {m} {}", s.version.as_deref().unwrap_or(""))
            .trim()
            .to_string(),
        _ => "(no device named)".to_string(),
    };
    let mut cves: Vec<String> = sbom.statements.iter().map(|v| v.cve.clone()).collect();
    cves.sort();
    cves.dedup();
    Ok(AdvisoryRecord {
        body: serde_json::to_value(&sbom)?,
        id: sbom.id,
        format: sbom.format,
        revision: sbom.version.map(|v| v.to_string()),
        title,
        origin: origin.to_string(),
        cves,
    })
}

fn import(
    paths: &[PathBuf],
    db: &Path,
    format: Option<Format>,
    describes: &vuln::sbom::Subject,
) -> Result<ExitCode> {
    let files = json_files(paths)?
        .into_iter()
        .map(|f| {
            let name = f.display().to_string();
            (f, name)
        })
        .collect();
    import_files(files, Vec::new(), db, format, describes)
}

/// Imports `files` (each with the name reports give it: its path, or the URL it was fetched
/// from); `failed` are files that never arrived (a fetch that failed), reported as errors.
pub(crate) fn import_files(
    files: Vec<(PathBuf, String)>,
    failed: Vec<(String, String)>,
    db: &Path,
    format: Option<Format>,
    describes: &vuln::sbom::Subject,
) -> Result<ExitCode> {
    let mut sbom_report = SbomImport::default();
    let mut sboms: Vec<AdvisoryRecord> = Vec::new();
    let mut records: Vec<AdvisoryRecord> = Vec::new();
    let mut by_id: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    let mut errors = Vec::new();
    let mut skipped = Vec::new();
    let (mut unread, mut vulnerabilities) = (0u64, 0u64);
    let mut kev: Option<(String, String, Vec<store::KevRecord>)> = None;
    // (file, its model and date, (CVE, probability, percentile) rows).
    type EpssFile = (String, vuln::epss::EpssMeta, Vec<(String, f64, f64)>);
    let mut epss: Option<EpssFile> = None;
    for (file, message) in failed {
        errors.push(FileError {
            file,
            path: String::new(),
            message,
        });
    }
    for (file, name) in &files {
        let name = name.clone();
        let bytes = match std::fs::read(file) {
            Ok(b) => b,
            Err(e) => {
                errors.push(FileError {
                    file: name,
                    path: String::new(),
                    message: format!("cannot read: {e}"),
                });
                continue;
            }
        };
        if file
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("csv"))
        {
            let text = String::from_utf8_lossy(&bytes);
            if !vuln::epss::is_epss(&text) {
                skipped.push(Skipped {
                    file: name,
                    kind: "csv",
                    reason: "not an EPSS file (cve,epss,percentile)",
                });
                continue;
            }
            match vuln::epss::read(&text) {
                Ok((meta, scores)) => {
                    let rows = scores
                        .into_iter()
                        .map(|s| (s.cve, s.epss, s.percentile))
                        .collect();
                    epss = Some((name, meta, rows));
                }
                Err(e) => errors.push(FileError {
                    file: name,
                    path: format!("line {}", e.line),
                    message: e.message,
                }),
            }
            continue;
        }
        let doc: Value = match serde_json::from_slice(&bytes) {
            Ok(d) => d,
            Err(e) => {
                errors.push(FileError {
                    file: name,
                    path: String::new(),
                    message: format!("not JSON: {e}"),
                });
                continue;
            }
        };
        if let Some((kind, reason)) = kind_of(&doc) {
            skipped.push(Skipped {
                file: name,
                kind,
                reason,
            });
            continue;
        }
        if vuln::kev::is_kev(&doc) {
            match vuln::kev::read(&doc) {
                Ok((catalog, entries)) => {
                    let records = entries
                        .into_iter()
                        .map(|e| store::KevRecord {
                            cve: e.cve,
                            vendor: e.vendor,
                            product: e.product,
                            name: e.name,
                            date_added: e.date_added,
                            due_date: e.due_date,
                            ransomware: e.ransomware,
                        })
                        .collect();
                    kev = Some((name, catalog, records));
                }
                Err(e) => errors.push(FileError {
                    file: name,
                    path: e.path,
                    message: e.message,
                }),
            }
            continue;
        }
        if vuln::sbom::is_sbom(&doc) {
            // A document without a serial number is named by its file name and content, so
            // the same file imported from two paths is one document.
            let digest: String = Sha256::digest(&bytes)
                .iter()
                .take(6)
                .map(|b| format!("{b:02x}"))
                .collect();
            let short = name.rsplit('/').next().unwrap_or(&name).to_string();
            let fallback = format!("{short} sha256:{digest}");
            match vuln::sbom::read(&doc, &fallback) {
                Ok(sbom) => {
                    let record = sbom_record(sbom, describes, &name, &mut sbom_report)?;
                    // The same document in two files: the later one stands.
                    sboms.retain(|r| r.id != record.id);
                    sboms.push(record);
                }
                Err(e) => errors.push(FileError {
                    file: name,
                    path: e.path,
                    message: e.message,
                }),
            }
            continue;
        }
        let read = if vuln::nvd::is_nvd_cves(&doc) {
            vuln::nvd::read(&doc)
        } else if vuln::cve5::is_cve_record(&doc) {
            vuln::cve5::read(&doc).map(|a| vec![a])
        } else {
            vuln::csaf::read(&doc).map(|a| vec![a])
        };
        match read {
            Ok(advisories) => {
                for advisory in advisories {
                    unread += advisory.unread_ranges() as u64;
                    vulnerabilities += advisory.vulnerabilities.len() as u64;
                    let mut cves: Vec<String> = advisory
                        .vulnerabilities
                        .iter()
                        .filter_map(|v| v.cve.clone())
                        .collect();
                    cves.sort();
                    cves.dedup();
                    let body = serde_json::to_value(&advisory)?;
                    let record = AdvisoryRecord {
                        id: advisory.id,
                        format: advisory.format,
                        revision: advisory.revision,
                        title: advisory.title,
                        origin: name.clone(),
                        cves,
                        body,
                    };
                    // The same id from two files (or sources): the later file (by path
                    // order) stands.
                    match by_id.get(&record.id) {
                        Some(&i) => records[i] = record,
                        None => {
                            by_id.insert(record.id.clone(), records.len());
                            records.push(record);
                        }
                    }
                }
            }
            Err(e) => errors.push(FileError {
                file: name,
                path: e.path,
                message: e.message,
            }),
        }
    }
    let mut store = crate::output::open_store(db)?;
    let summary = store
        .import_advisories(&records, crate::analyze::now())
        .with_context(|| format!("storing advisories in {}", db.display()))?;
    let summary_sboms = store
        .import_sboms(&sboms, crate::analyze::now())
        .with_context(|| format!("storing SBOMs in {}", db.display()))?;
    sbom_report.documents = sboms.len() as u64;
    sbom_report.new = summary_sboms.new;
    sbom_report.updated = summary_sboms.updated;
    sbom_report.unchanged = summary_sboms.unchanged;
    let kev = match kev {
        Some((file, catalog, records)) => {
            let entries = store
                .replace_kev(&catalog, &records)
                .with_context(|| format!("storing the KEV catalog in {}", db.display()))?;
            Some(KevImport {
                file,
                catalog,
                entries,
            })
        }
        None => None,
    };
    let epss = match epss {
        Some((file, meta, rows)) => {
            let scores = store
                .replace_epss(meta.score_date.as_deref(), &rows)
                .with_context(|| format!("storing EPSS scores in {}", db.display()))?;
            Some(EpssImport {
                file,
                score_date: meta.score_date,
                model_version: meta.model_version,
                scores,
            })
        }
        None => None,
    };
    let report = ImportReport {
        kev,
        epss,
        files: files.len() as u64,
        advisories: records.len() as u64,
        new: summary.new,
        updated: summary.updated,
        unchanged: summary.unchanged,
        errors,
        skipped,
        unread_version_texts: unread,
        vulnerabilities,
        sboms: sbom_report,
    };
    for f in &report.sboms.unattached {
        eprintln!(
            "wardline: {f}: the SBOM names no device vendor and model: kept, but attached to no device (import it with --sbom-vendor and --sbom-model)"
        );
    }
    for e in &report.errors {
        if e.path.is_empty() {
            eprintln!("wardline: {}: {}", e.file, e.message);
        } else {
            eprintln!("wardline: {}: {}: {}", e.file, e.path, e.message);
        }
    }
    let mut out = io::stdout().lock();
    match format.unwrap_or_else(Format::for_stdout) {
        Format::Json | Format::Csv => crate::output::write_json(&mut out, &report)?,
        Format::Table => {
            writeln!(
                out,
                "{} files: {} advisories ({} new, {} updated, {} unchanged), {} vulnerabilities, {} refused, {} skipped",
                report.files,
                report.advisories,
                report.new,
                report.updated,
                report.unchanged,
                report.vulnerabilities,
                report.errors.len(),
                report.skipped.len()
            )?;
            if report.sboms.documents > 0 {
                writeln!(
                    out,
                    "{} SBOM and VEX documents ({} new, {} updated, {} unchanged): {} components, {} VEX statements, {} attached to no device",
                    report.sboms.documents,
                    report.sboms.new,
                    report.sboms.updated,
                    report.sboms.unchanged,
                    report.sboms.components,
                    report.sboms.vex_statements,
                    report.sboms.unattached.len()
                )?;
            }
            if report.unread_version_texts > 0 {
                writeln!(
                    out,
                    "{} product version texts were not understood (kept; their devices will be 'possibly affected')",
                    report.unread_version_texts
                )?;
            }
            for s in &report.skipped {
                writeln!(out, "skipped {} ({}): {}", s.file, s.kind, s.reason)?;
            }
        }
    }
    Ok(if report.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// One line of `vulns list` (`device`, `asset_tag`, `advisory`, `cves`, `status`,
/// `confidence`, `kev`, `risk`, `why` are the contract).
#[derive(Debug, Serialize)]
pub(crate) struct ListEntry {
    pub(crate) device: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) asset_tag: Option<String>,
    pub(crate) advisory: String,
    pub(crate) cves: Vec<String>,
    pub(crate) status: &'static str,
    pub(crate) confidence: f32,
    pub(crate) kev: bool,
    pub(crate) risk: vuln::Risk,
    pub(crate) why: String,
    pub(crate) product: String,
    pub(crate) version: Option<String>,
}

/// What matching needs from the store: the advisories, the KEV CVEs, and which asset tag
/// each device is.
pub(crate) struct Intel {
    pub(crate) advisories: Vec<vuln::Advisory>,
    pub(crate) kev: std::collections::HashSet<String>,
    /// CVE → exploitation probability.
    pub(crate) epss: std::collections::HashMap<String, f64>,
    pub(crate) tags: std::collections::HashMap<String, String>,
    /// Vendor SBOMs and VEX documents.
    pub(crate) documents: vuln::vex::Documents,
}

pub(crate) fn intel(store: &impl Store, db: &Path) -> Result<Intel> {
    let advisories: Vec<vuln::Advisory> = store
        .advisories()?
        .into_iter()
        .map(|r| {
            serde_json::from_value(r.body)
                .with_context(|| format!("advisory {} in {} is unreadable", r.id, db.display()))
        })
        .collect::<Result<_>>()?;
    let kev = store.kev()?.into_iter().map(|k| k.cve).collect();
    let epss = store
        .epss()?
        .into_iter()
        .map(|(cve, p, _)| (cve, p))
        .collect();
    let mut tags = std::collections::HashMap::new();
    for a in store.assets()? {
        let id = match &a.matched {
            Some((id, _)) => id.to_string(),
            None => format!("asset-{}", a.asset.tag),
        };
        tags.insert(id, a.asset.tag);
    }
    let documents = vuln::vex::Documents::new(
        store
            .sboms()?
            .into_iter()
            .map(|r| {
                serde_json::from_value(r.body)
                    .with_context(|| format!("SBOM {} in {} is unreadable", r.id, db.display()))
            })
            .collect::<Result<_>>()?,
    );
    Ok(Intel {
        advisories,
        kev,
        epss,
        tags,
        documents,
    })
}

/// One device's entries: its matches with KEV membership and risk.
pub(crate) fn entries_for(
    matcher: &vuln::Matcher<'_>,
    vendor_key: &dyn Fn(&str) -> String,
    intel: &Intel,
    device: &model::Device,
) -> Vec<ListEntry> {
    let criticality = device
        .category
        .as_ref()
        .map_or("unknown", |c| model::criticality(&c.value));
    let firmware = device.firmware.as_deref().map(|f| f.value.as_str());
    let mut readings = Vec::new();
    let mut said = Vec::new();
    for a in intel.documents.attached(device, vendor_key) {
        readings.extend(intel.documents.readings(&a));
        said.extend(intel.documents.said(&a, firmware));
    }
    vuln::vex::apply(device, matcher.matches_with(device, &readings), &said)
        .into_iter()
        .map(|m| {
            let in_kev = m.cves.iter().any(|c| intel.kev.contains(c));
            // The highest probability among the match's CVEs.
            let epss = m
                .cves
                .iter()
                .filter_map(|c| intel.epss.get(c).copied())
                .reduce(f64::max);
            ListEntry {
                asset_tag: intel.tags.get(&m.device).cloned(),
                risk: vuln::risk(
                    m.status,
                    m.cvss,
                    in_kev,
                    epss,
                    &vuln::exposure(device, m.seen_on_wire.as_deref()),
                    criticality,
                ),
                device: m.device,
                advisory: m.advisory,
                cves: m.cves,
                status: m.status.as_str(),
                confidence: m.confidence,
                kev: in_kev,
                why: m.why,
                product: m.product,
                version: m.version,
            }
        })
        .collect()
}

/// What the stored advisories say of an analysis' devices: each device's entries (matched
/// once, for its `vulnerable` findings and its patch records alike). `None` when the store
/// holds no advisory.
pub fn judge(
    store: &impl Store,
    db: &Path,
    vendors: &identify::VendorAliases,
    kb_paths: &[PathBuf],
    devices: &[model::Device],
    run_views: &std::collections::HashMap<String, model::Device>,
) -> Result<Option<Judged>> {
    let intel = intel(store, db)?;
    if intel.advisories.is_empty() && intel.documents.is_empty() {
        return Ok(None);
    }
    let products =
        identify::ProductNames::load(kb_paths, vendors).context("loading the product names")?;
    let key = |name: &str| vendors.key(name);
    let names = other_names(&products);
    let matcher = vuln::Matcher::new(&intel.advisories, &key).with_product_names(&names);
    let entries = devices
        .iter()
        .map(|d| entries_for(&matcher, &key, &intel, d))
        .collect();
    // The run's own reading of watched devices, matched the same way.
    let run_entries = run_views
        .iter()
        .map(|(id, view)| (id.clone(), entries_for(&matcher, &key, &intel, view)))
        .collect();
    Ok(Some(Judged {
        entries,
        run_entries,
    }))
}

/// The matcher's view of the product tables: (vendor key, model) → the model's other names.
fn other_names(products: &identify::ProductNames) -> impl Fn(&str, &str) -> Vec<String> + '_ {
    |vendor_key: &str, model: &str| {
        products
            .other_names(vendor_key, model)
            .into_iter()
            .map(str::to_string)
            .collect()
    }
}

/// [`judge`]'s result.
pub struct Judged {
    /// Per device of the analysis (same order), its entries.
    pub entries: Vec<Vec<ListEntry>>,
    /// Per watched device id, the entries of its run-only reading.
    pub run_entries: std::collections::HashMap<String, Vec<ListEntry>>,
}

/// `vulnerable` findings: one per device × advisory that affects or possibly affects it,
/// its severity from the risk score.
pub fn findings(devices: &[model::Device], judged: &Judged) -> Result<Vec<model::Finding>> {
    let mut out = Vec::new();
    for (d, entries) in devices.iter().zip(&judged.entries) {
        for e in entries {
            if !matches!(e.status, "affected" | "possibly_affected") {
                continue;
            }
            let severity = match e.risk.score {
                70.. => model::Severity::Critical,
                50..=69 => model::Severity::High,
                25..=49 => model::Severity::Medium,
                _ => model::Severity::Low,
            };
            let summary = format!(
                "{} {} {} ({}{})",
                e.product,
                if e.status == "affected" {
                    "is affected by"
                } else {
                    "may be affected by"
                },
                e.advisory,
                e.cves.join(", "),
                if e.kev {
                    "; exploited in the wild per CISA KEV"
                } else {
                    ""
                }
            );
            let mut evidence = serde_json::Map::new();
            evidence.insert("advisory".into(), serde_json::json!(e.advisory));
            evidence.insert("cves".into(), serde_json::json!(e.cves));
            evidence.insert("status".into(), serde_json::json!(e.status));
            let confidence = (f64::from(e.confidence) * 1000.0).round() / 1000.0;
            evidence.insert("confidence".into(), serde_json::json!(confidence));
            evidence.insert("kev".into(), serde_json::json!(e.kev));
            evidence.insert("risk".into(), serde_json::to_value(&e.risk)?);
            evidence.insert("why".into(), serde_json::json!(e.why));
            if let Some(v) = &e.version {
                evidence.insert("version".into(), serde_json::json!(v));
            }
            out.push(model::Finding {
                id: model::FindingId::from_parts(&[
                    model::FindingKind::Vulnerable.as_str(),
                    &d.id.0,
                    &e.advisory,
                ]),
                kind: model::FindingKind::Vulnerable,
                severity,
                device: d.id.clone(),
                summary,
                evidence,
                first_seen: d.first_seen,
                last_seen: d.last_seen,
                count: 1,
            });
        }
    }
    Ok(out)
}

fn list(
    db: &Path,
    only: Option<&str>,
    kev_only: bool,
    kb_paths: &[PathBuf],
    format: Option<Format>,
) -> Result<ExitCode> {
    let store = crate::devices::open_existing(db)?;
    let intel = intel(&store, db)?;
    let kb = identify::KnowledgeBase::load(kb_paths).context("loading the knowledge base")?;
    let vendors = kb.vendors();
    let products =
        identify::ProductNames::load(kb_paths, vendors).context("loading the product names")?;
    let key = |name: &str| vendors.key(name);
    let names = other_names(&products);
    let matcher = vuln::Matcher::new(&intel.advisories, &key).with_product_names(&names);
    let mut entries = Vec::new();
    let mut judge = |device: &model::Device| {
        entries.extend(
            entries_for(&matcher, &key, &intel, device)
                .into_iter()
                .filter(|e| !kev_only || e.kev),
        );
    };
    match only {
        Some(id) => {
            let device = store
                .device(id)?
                .with_context(|| format!("{}: no device {id}", db.display()))?;
            judge(&device);
        }
        None => {
            let mut query = store::DeviceQuery {
                limit: store::DeviceQuery::MAX_LIMIT,
                ..store::DeviceQuery::default()
            };
            loop {
                let page = store.devices(&query)?;
                for d in &page.items {
                    judge(d);
                }
                query.offset += page.items.len() as u64;
                if page.items.is_empty() || query.offset >= page.total {
                    break;
                }
            }
        }
    }
    entries.sort_by(|a, b| {
        b.risk
            .score
            .cmp(&a.risk.score)
            .then_with(|| a.device.cmp(&b.device))
            .then_with(|| a.advisory.cmp(&b.advisory))
            .then_with(|| a.status.cmp(b.status))
    });
    let mut out = io::stdout().lock();
    match format.unwrap_or_else(Format::for_stdout) {
        Format::Json => crate::output::write_json(&mut out, &entries)?,
        Format::Csv => {
            let mut w = csv::Writer::from_writer(&mut out);
            w.write_record([
                "device",
                "asset_tag",
                "advisory",
                "cves",
                "status",
                "confidence",
                "kev",
                "risk",
                "product",
                "version",
                "why",
            ])?;
            for e in &entries {
                w.write_record([
                    e.device.as_str(),
                    e.asset_tag.as_deref().unwrap_or(""),
                    &e.advisory,
                    &e.cves.join(" "),
                    e.status,
                    &e.confidence.to_string(),
                    if e.kev { "true" } else { "false" },
                    &e.risk.score.to_string(),
                    &e.product,
                    e.version.as_deref().unwrap_or(""),
                    &e.why,
                ])?;
            }
            w.flush()?;
        }
        Format::Table => {
            writeln!(
                out,
                "{:>4}  {:<22} {:<17} {:<18} {:<4} CVEs",
                "risk", "device", "advisory", "status", "kev"
            )?;
            for e in &entries {
                writeln!(
                    out,
                    "{:>4}  {:<22} {:<17} {:<18} {:<4} {}",
                    e.risk.score,
                    e.device,
                    e.advisory,
                    e.status,
                    if e.kev { "yes" } else { "" },
                    e.cves.join(" ")
                )?;
            }
            if entries.is_empty() {
                writeln!(out, "no device matches a stored advisory")?;
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}
