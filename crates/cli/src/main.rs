//! `wardline`: passive inventory of the devices on a hospital network.
//!
//! The binary only orchestrates: arguments in, library calls, output and exit code. All the
//! work lives in the library crates (capture, wire, flow, proto, sensor, identify, store).
// One unsafe call, the allocator option in `allocator::purge_promptly` (its SAFETY comment
// says why it is sound); everything else is safe code.
#![deny(unsafe_code)]

mod alerts;
mod allocator;
mod analyze;
mod args;
mod assets;
mod config;
mod demo;
mod devices;
mod events;
mod kb;
mod output;
mod patches;
mod report;
mod sensor;
mod sim;
mod users;
mod vulns;
mod vulns_update;
mod zones;

use std::io::Write;
use std::process::ExitCode;

use clap::Parser;

/// mimalloc instead of glibc malloc: flows, DNS names and inventory sets allocate and free
/// small blocks at a high rate; measured ~5% faster on the 1.1 GB bench capture (peak RSS
/// 35 → 47 MiB there, still flat with capture size). Built without transparent huge pages
/// (the `no_thp` feature, workspace Cargo.toml): first touch of a fresh 2 MiB page is slow
/// when the machine has just freed memory (on a VM that hands free memory back to its host,
/// up to a third of a run), and the heap touches 72 MiB with them against 47 without.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = args::Cli::parse();
    let result = match cli.command {
        args::Command::Analyze(a) => analyze::run(&a),
        args::Command::Sensor(a) => sensor::run(&a),
        args::Command::Sim(a) => sim::run(&a),
        args::Command::Demo(a) => demo::run(&a),
        args::Command::Devices(a) => devices::run(&a),
        args::Command::Kb(a) => kb::run(&a),
        args::Command::Assets(a) => assets::run(&a),
        args::Command::Vulns(a) => vulns::run(&a),
        args::Command::Patches(a) => patches::run(&a),
        args::Command::Users(a) => users::run(&a),
        args::Command::Audit(a) => users::audit(&a),
        args::Command::Tokens(a) => users::tokens(&a),
        args::Command::Zones(a) => zones::run(&a),
        args::Command::Serve(a) => serve(&a),
    };
    match result {
        Ok(code) => code,
        Err(err) => {
            // A closed pipe (`wardline analyze … | head`) is not an error.
            if err
                .downcast_ref::<std::io::Error>()
                .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
            {
                return ExitCode::SUCCESS;
            }
            let _ = writeln!(std::io::stderr(), "wardline: error: {err:#}");
            ExitCode::from(2)
        }
    }
}

/// `wardline serve`: the database must exist (it holds the accounts).
/// Flags win over the configuration file's `[serve]` table, which wins over the defaults.
fn serve(a: &args::ServeArgs) -> anyhow::Result<ExitCode> {
    crate::devices::open_existing(&a.db)?;
    let file = config::load(a.config.as_deref())?.serve;
    let (tls_cert, tls_key) = match (&a.tls_cert, &a.tls_key) {
        (Some(c), Some(k)) => (Some(c.clone()), Some(k.clone())),
        _ => (file.tls_cert, file.tls_key),
    };
    let listen = a
        .listen
        .or(file.listen)
        .unwrap_or_else(|| std::net::SocketAddr::from(([127, 0, 0, 1], 8443)));
    let timeout = |value: Option<&String>, default: std::time::Duration, key: &str| match value {
        Some(v) => {
            let secs =
                args::parse_duration(v).map_err(|e| anyhow::anyhow!("[serve] {key}: {e}"))?;
            let d = std::time::Duration::from_secs(secs);
            anyhow::ensure!(
                d <= default,
                "[serve] {key}: {v} is longer than the most allowed ({} minutes)",
                default.as_secs() / 60
            );
            Ok(d)
        }
        None => Ok(default),
    };
    let idle_timeout = timeout(
        file.idle_timeout.as_ref(),
        console::session::IDLE,
        "idle_timeout",
    )?;
    let absolute_timeout = timeout(
        file.absolute_timeout.as_ref(),
        console::session::ABSOLUTE,
        "absolute_timeout",
    )?;
    console::server::serve(&console::server::ServeConfig {
        idle_timeout,
        absolute_timeout,
        db: a.db.clone(),
        listen,
        tls_cert,
        tls_key,
        public_url: a
            .public_url
            .clone()
            .or(file.public_url)
            .unwrap_or_else(|| format!("https://localhost:{}", listen.port())),
    })?;
    Ok(ExitCode::SUCCESS)
}
