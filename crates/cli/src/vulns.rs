//! `wardline vulns`: advisories into the store.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result};
use serde::Serialize;
use serde_json::Value;
use store::{AdvisoryRecord, Store};

use crate::args::{Format, VulnsArgs, VulnsCommand};

pub fn run(args: &VulnsArgs) -> Result<ExitCode> {
    match &args.command {
        VulnsCommand::Import { paths, db, format } => import(paths, db, *format),
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
    Some(if has("/catalogVersion") && has("/vulnerabilities") {
        ("cisa_kev", reason)
    } else if doc.get("dataType").and_then(Value::as_str) == Some("CVE_RECORD") {
        ("cve_record", reason)
    } else if doc.get("format").and_then(Value::as_str) == Some("NVD_CVE") || has("/resultsPerPage")
    {
        ("nvd_api", reason)
    } else if has("/bomFormat") {
        ("cyclonedx", reason)
    } else if has("/spdxVersion") {
        ("spdx", reason)
    } else if has("/$schema") && (has("/properties") || has("/definitions") || has("/$defs")) {
        ("json_schema", "a schema, not an advisory")
    } else if has("/tests") {
        ("test_suite", "not an advisory")
    } else {
        ("unknown", "not a format wardline reads")
    })
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

fn import(paths: &[PathBuf], db: &Path, format: Option<Format>) -> Result<ExitCode> {
    let files = json_files(paths)?;
    let mut records: Vec<AdvisoryRecord> = Vec::new();
    let mut errors = Vec::new();
    let mut skipped = Vec::new();
    let (mut unread, mut vulnerabilities) = (0u64, 0u64);
    for file in &files {
        let name = file.display().to_string();
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
        match vuln::csaf::read(&doc) {
            Ok(advisory) => {
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
                // The same id from two files: the later file (by path order) stands.
                records.retain(|r| r.id != advisory.id);
                records.push(AdvisoryRecord {
                    id: advisory.id,
                    format: advisory.format,
                    revision: advisory.revision,
                    title: advisory.title,
                    origin: name,
                    cves,
                    body,
                });
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
    let report = ImportReport {
        files: files.len() as u64,
        advisories: records.len() as u64,
        new: summary.new,
        updated: summary.updated,
        unchanged: summary.unchanged,
        errors,
        skipped,
        unread_version_texts: unread,
        vulnerabilities,
    };
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
