//! `wardline kb learn|evaluate`: fingerprints from a labelled folder tree.
//!
//! Each top-level subfolder of DIR is a label (`MODEL` or `CATEGORY:VENDOR:MODEL`); every
//! capture below it (symlinks followed) is one sample. A sample is the capture's centre
//! device ([`identify::learn::centre`]) as tokens ([`identify::learn::tokens`]).

use std::collections::BTreeMap;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Mutex;

use anyhow::{Context, Result, bail};
use clap::Parser;
use identify::learn::{self, Fingerprints, Label, Sample};

use crate::args::{Cli, Command, Format, KbArgs, KbCommand};

pub fn run(args: &KbArgs) -> Result<ExitCode> {
    match &args.command {
        KbCommand::Learn {
            dir,
            out,
            no_mac,
            no_merge_twins,
            no_progress,
        } => {
            let set = collect(dir, *no_mac, !no_merge_twins, !no_progress)?;
            let model = Fingerprints::learn(&set.samples, &set.labels, *no_mac);
            let mut text = format!(
                "# Learned by `wardline kb learn` from {} ({} samples, {} labels{}).\n\
                 # Use with `wardline analyze --kb {}`; see docs/kb.md.\n",
                dir.display(),
                set.samples.len(),
                model.fingerprint.len(),
                if *no_mac {
                    ", without link-layer features"
                } else {
                    ""
                },
                out.display()
            );
            text.push_str(&model.to_toml().context("writing the fingerprints")?);
            std::fs::write(out, text).with_context(|| format!("writing {}", out.display()))?;
            eprintln!(
                "wardline: {}: {} fingerprints from {} captures ({} skipped)",
                out.display(),
                model.fingerprint.len(),
                set.samples.len(),
                set.skipped
            );
            Ok(ExitCode::SUCCESS)
        }
        KbCommand::Evaluate {
            dir,
            folds,
            no_mac,
            no_merge_twins,
            format,
            no_progress,
        } => {
            if *folds < 2 {
                bail!("--folds {folds}: cross-validation needs at least 2 folds");
            }
            let set = collect(dir, *no_mac, !no_merge_twins, !no_progress)?;
            let eval = learn::evaluate(&set.samples, &set.labels, *folds, *no_mac);
            let mut out = io::stdout().lock();
            match format.unwrap_or(Format::Json) {
                Format::Json | Format::Csv => {
                    serde_json::to_writer_pretty(&mut out, &eval)?;
                    writeln!(out)?;
                }
                Format::Table => {
                    writeln!(
                        out,
                        "{} samples, {} labels, {folds}-fold stratified cross-validation{}",
                        set.samples.len(),
                        eval.labels.len(),
                        if *no_mac {
                            ", no link-layer features"
                        } else {
                            ""
                        }
                    )?;
                    writeln!(out, "overall accuracy {:.3}\n", eval.overall_accuracy)?;
                    writeln!(
                        out,
                        "{:<28} {:>9} {:>7} {:>8}",
                        "LABEL", "PRECISION", "RECALL", "SUPPORT"
                    )?;
                    for (l, s) in &eval.labels {
                        writeln!(
                            out,
                            "{l:<28} {:>9.3} {:>7.3} {:>8}",
                            s.precision, s.recall, s.support
                        )?;
                    }
                    if !eval.confusions.is_empty() {
                        writeln!(out, "\nconfusions (label → predicted: count)")?;
                        for c in &eval.confusions {
                            writeln!(out, "  {} → {}: {}", c.label, c.predicted, c.count)?;
                        }
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

/// Samples and their labels.
struct LabelledSet {
    samples: Vec<Sample>,
    labels: BTreeMap<String, Label>,
    skipped: usize,
}

/// Reads every capture below DIR's label folders, in parallel, into samples sorted by label
/// then path (the order folds are dealt in).
fn collect(dir: &Path, no_mac: bool, merge: bool, progress: bool) -> Result<LabelledSet> {
    let mut folders: Vec<(String, PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        if path.is_dir() {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if !name.starts_with('.') {
                folders.push((name, path));
            }
        }
    }
    folders.sort();
    if folders.is_empty() {
        bail!(
            "{}: no label folders (each top-level subfolder is a label)",
            dir.display()
        );
    }
    let names: Vec<String> = folders.iter().map(|(n, _)| n.clone()).collect();
    let merged = if merge {
        learn::merge_twins(&names)
    } else {
        names.iter().map(|n| (n.clone(), n.clone())).collect()
    };
    let mut labels = BTreeMap::new();
    let mut jobs: Vec<(String, PathBuf)> = Vec::new();
    for (name, path) in &folders {
        let label = merged.get(name).cloned().unwrap_or_else(|| name.clone());
        let parsed =
            Label::parse(&label).map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
        labels.insert(label.clone(), parsed);
        let mut files = Vec::new();
        captures(path, &mut files, 0)?;
        files.sort();
        jobs.extend(files.into_iter().map(|f| (label.clone(), f)));
    }
    let total = jobs.len();
    let next = Mutex::new(0usize);
    let results: Mutex<Vec<(usize, Result<Option<Sample>>)>> = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(8);
    std::thread::scope(|scope| {
        for _ in 0..workers {
            scope.spawn(|| {
                loop {
                    let i = {
                        let mut n = next.lock().unwrap_or_else(|e| e.into_inner());
                        let i = *n;
                        *n += 1;
                        i
                    };
                    let Some((label, path)) = jobs.get(i) else {
                        break;
                    };
                    let sample = sample_of(label, path, no_mac);
                    let mut r = results.lock().unwrap_or_else(|e| e.into_inner());
                    r.push((i, sample));
                    if progress && r.len().is_multiple_of(50) {
                        eprint!("\rwardline: {} of {total} captures", r.len());
                    }
                }
            });
        }
    });
    if progress {
        eprintln!("\rwardline: {total} of {total} captures");
    }
    let mut results = results.into_inner().unwrap_or_else(|e| e.into_inner());
    results.sort_by_key(|(i, _)| *i);
    let mut samples = Vec::new();
    let mut skipped = 0;
    for (i, r) in results {
        match r {
            Ok(Some(s)) => samples.push(s),
            Ok(None) => {
                skipped += 1;
                eprintln!(
                    "wardline: {}: no device to learn from, skipped",
                    jobs[i].1.display()
                );
            }
            Err(e) => {
                skipped += 1;
                eprintln!("wardline: {}: {e:#}, skipped", jobs[i].1.display());
            }
        }
    }
    if samples.is_empty() {
        bail!("{}: no capture gave a sample", dir.display());
    }
    Ok(LabelledSet {
        samples,
        labels,
        skipped,
    })
}

/// Capture files below `dir` (by extension), following symlinks, at most 32 levels deep.
fn captures(dir: &Path, out: &mut Vec<PathBuf>, depth: usize) -> Result<()> {
    if depth > 32 {
        return Ok(());
    }
    for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
        let path = entry?.path();
        // metadata() follows symlinks.
        let Ok(meta) = std::fs::metadata(&path) else {
            continue;
        };
        if meta.is_dir() {
            captures(&path, out, depth + 1)?;
        } else if path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| matches!(e.to_ascii_lowercase().as_str(), "pcap" | "pcapng" | "cap"))
        {
            out.push(path);
        }
    }
    Ok(())
}

/// One capture's centre device as a sample; `None` when it has no device.
fn sample_of(label: &str, path: &Path, no_mac: bool) -> Result<Option<Sample>> {
    let argv = [
        "wardline".as_ref(),
        "analyze".as_ref(),
        path.as_os_str(),
        "--no-progress".as_ref(),
    ];
    let Command::Analyze(args) = Cli::try_parse_from(argv)?.command else {
        unreachable!("parsed an analyze command");
    };
    let (report, _failed) = crate::analyze::analyze_with(&args, None)?;
    Ok(learn::centre(&report.devices.list).map(|d| Sample {
        label: label.to_owned(),
        origin: path.display().to_string(),
        device: d.id.0.clone(),
        tokens: learn::tokens(d, no_mac),
    }))
}
