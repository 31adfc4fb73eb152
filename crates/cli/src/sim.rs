//! `wardline sim`: writes a simulated hospital capture and its truth.

use std::fs::File;
use std::io::{BufWriter, IsTerminal, Write};
use std::process::ExitCode;

use anyhow::{Context, Result};

use crate::args::SimArgs;

/// Runs `wardline sim`.
pub fn run(args: &SimArgs) -> Result<ExitCode> {
    let model = sim::data::Model::embedded()?;
    write(args, &model)?;
    Ok(ExitCode::SUCCESS)
}

/// Simulates `model` as `args` say, writing the capture and the truth; says what it wrote on
/// standard error.
pub fn write(
    args: &SimArgs,
    model: &sim::data::Model,
) -> Result<(sim::Summary, sim::truth::Truth)> {
    for (profile, _) in &args.firmware {
        if !model.profiles.profile.iter().any(|p| &p.id == profile) {
            anyhow::bail!(
                "--firmware {profile}=…: no such profile (ids are in crates/sim/data/profiles.toml)"
            );
        }
    }
    let config = sim::SimConfig {
        devices: args.devices,
        duration_ns: args.duration as i64 * 1_000_000_000,
        seed: args.seed,
        start_ns: args.start * 1_000_000_000,
        injections: args.inject.clone(),
        rate: args.rate,
        firmware: args.firmware.clone(),
    };
    let file =
        File::create(&args.out).with_context(|| format!("creating {}", args.out.display()))?;
    let bar = (!args.no_progress && std::io::stderr().is_terminal()).then(|| {
        let b = indicatif::ProgressBar::new(config.duration_ns.max(1) as u64);
        b.set_style(
            indicatif::ProgressStyle::with_template(
                "simulating {bar:40} {percent}% of simulated time",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        b
    });
    let started = std::time::Instant::now();
    let (summary, truth, out) = sim::simulate(
        &config,
        model,
        BufWriter::with_capacity(1 << 20, file),
        |done, _| {
            if let Some(b) = &bar {
                b.set_position(done.max(0) as u64);
            }
        },
    )
    .with_context(|| format!("writing {}", args.out.display()))?;
    out.into_inner()
        .map_err(|e| e.into_error())
        .with_context(|| format!("writing {}", args.out.display()))?;
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    if let Some(path) = &args.truth {
        let f = File::create(path).with_context(|| format!("creating {}", path.display()))?;
        let mut w = BufWriter::new(f);
        serde_json::to_writer_pretty(&mut w, &truth)?;
        w.write_all(b"\n")?;
        w.flush()
            .with_context(|| format!("writing {}", path.display()))?;
    }
    if summary.unplaced > 0 {
        eprintln!(
            "wardline sim: warning: {} devices did not fit their zones' address plans and were left out (crates/sim/data/hospital.toml)",
            summary.unplaced
        );
    }
    let secs = started.elapsed().as_secs_f64();
    eprintln!(
        "wardline sim: {} devices, {} packets ({:.0} per simulated second, {:.1} MB) in {}, {:.2} s ({:.0} packets/s)",
        summary.devices,
        summary.packets,
        summary.packets as f64 / args.duration.max(1) as f64,
        summary.bytes as f64 / 1e6,
        args.out.display(),
        secs,
        summary.packets as f64 / secs.max(1e-9)
    );
    Ok((summary, truth))
}
