//! `wardline demo`: a small simulated hospital, analysed into a fresh database, and what a
//! security team would look at first. Needs nothing outside the repository.

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Context, Result, bail};
use clap::Parser;

use crate::args::{Cli, Command, DemoArgs, SimArgs};
use crate::report::Report;

/// The simulated capture starts here (a Monday morning).
const START: i64 = 1_767_600_000; // 2026-01-05T08:00:00Z

/// Runs `wardline demo`.
pub fn run(args: &DemoArgs) -> Result<ExitCode> {
    let dir = match &args.dir {
        Some(d) => d.clone(),
        None => std::env::temp_dir().join(format!(
            "wardline-demo-{}-{}",
            crate::analyze::now().secs(),
            std::process::id()
        )),
    };
    // A fresh folder: the demo's store must hold this simulation only.
    if dir.exists() {
        bail!(
            "{} exists already: the demo writes into a new folder (give another --dir)",
            dir.display()
        );
    }
    fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
    let capture = dir.join("hospital.pcapng");
    let truth = dir.join("truth.json");
    let report_path = dir.join("report.json");
    let db = dir.join("wardline.db");
    let assets_path = dir.join("assets.csv");
    let config_path = dir.join("wardline.toml");

    let model = sim::data::Model::embedded()?;
    let sim_args = SimArgs {
        devices: args.devices,
        duration: args.duration,
        seed: args.seed,
        start: START,
        out: capture.clone(),
        truth: Some(truth.clone()),
        // Someone plugs a device of their own into the ICU network half-way through: the
        // asset list does not know it.
        inject: vec!["unknown_device".parse().map_err(anyhow::Error::msg)?],
        rate: None,
        no_progress: args.no_progress,
        firmware: Vec::new(),
    };
    let (summary, truth_data) = crate::sim::write(&sim_args, &model)?;
    write_asset_list(&assets_path, &truth_data)?;
    write_zones(&config_path, &truth_data)?;
    let imported = import_asset_list(&assets_path, &db)?;

    // `analyze` with its own defaults, into the fresh database.
    let mut argv = vec![
        "wardline".into(),
        "analyze".into(),
        capture.clone().into_os_string(),
    ];
    argv.extend(["--db".into(), db.clone().into_os_string()]);
    argv.extend(["--config".into(), config_path.clone().into_os_string()]);
    if args.no_progress {
        argv.push("--no-progress".into());
    }
    let Command::Analyze(analyze_args) = Cli::try_parse_from(argv)?.command else {
        bail!("internal error: the demo's analyze command line did not parse as analyze");
    };
    let (report, _failed) = crate::analyze::analyze(&analyze_args)?;
    let mut w = BufWriter::new(
        File::create(&report_path)
            .with_context(|| format!("creating {}", report_path.display()))?,
    );
    serde_json::to_writer_pretty(&mut w, &report)?;
    writeln!(w)?;
    w.flush()
        .with_context(|| format!("writing {}", report_path.display()))?;

    let stdout = io::stdout();
    let mut out = BufWriter::new(stdout.lock());
    print_summary(&mut out, &model, &truth_data, &report, &summary, args)?;
    print_assets(&mut out, &report, imported)?;
    print_files(
        &mut out,
        &dir,
        &[&capture, &truth, &assets_path, &report_path, &db],
    )?;
    out.flush()?;
    drop(out);
    if !args.no_serve {
        serve(&db, args.listen)?;
    }
    Ok(ExitCode::SUCCESS)
}

/// The demo's console: a demo admin with a fresh random password and TOTP secret, printed
/// (marked demo-only), then the console served on the demo's database until Ctrl-C.
fn serve(db: &Path, listen: std::net::SocketAddr) -> Result<()> {
    let codes = console::recovery::new_codes();
    let password = format!("{}-{}", codes[0], codes[1]);
    let hash = console::password::hash(&password).map_err(|e| anyhow::anyhow!("hashing: {e}"))?;
    let mut store = crate::output::open_store(db)?;
    let name = "demo-admin";
    let (uri, recovery) = crate::users::create(
        &mut store,
        name,
        console::Role::Admin,
        Some(hash),
        true,
        "cli:demo",
    )?
    .context("the demo admin has a TOTP secret")?;
    drop(store);
    let url = format!("https://localhost:{}/", listen.port());
    let mut out = io::stdout().lock();
    writeln!(out)?;
    writeln!(
        out,
        "Console (DEMO ONLY: throw-away credentials for this simulated hospital; never use them for anything real)"
    )?;
    writeln!(
        out,
        "  open      {url}  (a self-signed certificate: its fingerprint is printed below)"
    )?;
    writeln!(out, "  user      {name}")?;
    writeln!(out, "  password  {password}")?;
    writeln!(out, "  TOTP      {uri}")?;
    writeln!(
        out,
        "            (add it to an authenticator app, or sign in once with a recovery code instead)"
    )?;
    writeln!(out, "  recovery  {}", recovery.join("  "))?;
    writeln!(out, "Serving until Ctrl-C.")?;
    out.flush()?;
    drop(out);
    console::server::serve(&console::server::ServeConfig {
        db: db.to_path_buf(),
        listen,
        tls_cert: None,
        tls_key: None,
        public_url: url.trim_end_matches('/').to_string(),
        idle_timeout: console::session::IDLE,
        absolute_timeout: console::session::ABSOLUTE,
    })
}

/// Devices by zone and vendor, then the findings.
fn print_summary(
    out: &mut impl Write,
    model: &sim::data::Model,
    truth: &sim::truth::Truth,
    report: &Report,
    summary: &sim::Summary,
    args: &DemoArgs,
) -> io::Result<()> {
    let hospital = &model.hospital;
    writeln!(
        out,
        "{}: {} devices simulated for {} min ({} packets); wardline found {} devices and {} findings.",
        hospital.name,
        summary.devices,
        args.duration / 60,
        summary.packets,
        report.devices.len(),
        report.findings.len()
    )?;
    writeln!(out)?;
    writeln!(out, "Devices by zone (VLAN) and vendor")?;
    let zone_of = |vlan: u16| truth.zones.iter().find(|z| z.vlan == vlan);
    // Devices seen with their own MAC, in their zone; the router is on every VLAN.
    let mut by_zone: BTreeMap<u16, BTreeMap<String, usize>> = BTreeMap::new();
    let mut behind_router = 0;
    let mut routers = 0;
    for d in &report.devices.list {
        if d.macs.is_empty() {
            behind_router += 1;
            continue;
        }
        if d.roles.iter().any(|r| r == "router") {
            routers += 1;
            continue;
        }
        let vendor = d
            .vendor
            .as_ref()
            .map(|v| v.value.clone())
            .unwrap_or_else(|| {
                if d.mac_randomized {
                    "(randomised MAC)".into()
                } else {
                    "(unknown)".into()
                }
            });
        // The IEEE registry spells some companies differently across their OUIs: counted
        // together, shown as first seen.
        for vlan in &d.vlans {
            let vendors = by_zone.entry(*vlan).or_default();
            let key = vendors
                .keys()
                .find(|k| k.eq_ignore_ascii_case(&vendor))
                .cloned()
                .unwrap_or_else(|| vendor.clone());
            *vendors.entry(key).or_default() += 1;
        }
    }
    for (vlan, vendors) in &by_zone {
        let (name, kind) =
            zone_of(*vlan).map_or(("?", "?"), |z| (z.name.as_str(), z.kind.as_str()));
        let total: usize = vendors.values().sum();
        let mut top: Vec<(&String, &usize)> = vendors.iter().collect();
        top.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
        let list = top
            .iter()
            .take(3)
            .map(|(v, n)| format!("{n} {}", short(v, 34)))
            .collect::<Vec<_>>()
            .join(", ");
        let more = if top.len() > 3 {
            format!(", +{} more vendors", top.len() - 3)
        } else {
            String::new()
        };
        writeln!(
            out,
            "  {name:<11} {kind:<9} VLAN {vlan:<4} {total:>4} devices: {list}{more}"
        )?;
    }
    writeln!(
        out,
        "  plus {routers} router(s) on every VLAN, and {behind_router} addresses seen only behind a router (servers reached from other zones)"
    )?;
    writeln!(out)?;

    writeln!(out, "Findings")?;
    if report.findings.is_empty() {
        writeln!(out, "  none")?;
    }
    let mut by_kind: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for f in &report.findings {
        *by_kind.entry((f.severity, f.kind)).or_default() += 1;
    }
    for ((severity, kind), n) in &by_kind {
        writeln!(out, "  {n:>4} × {kind} ({severity})")?;
    }
    let name_of = |id: &str| {
        report
            .devices
            .list
            .iter()
            .find(|d| d.id.0 == id)
            .and_then(|d| {
                d.hostnames
                    .first()
                    .map(|h| h.name.clone())
                    .or_else(|| d.ips.first().map(|i| i.addr.to_string()))
            })
            .unwrap_or_else(|| id.to_string())
    };
    // Examples: two of each kind.
    let mut shown: BTreeMap<&str, usize> = BTreeMap::new();
    let mut listed = 0;
    for f in &report.findings {
        let n = shown.entry(f.kind).or_default();
        if *n < 2 {
            *n += 1;
            listed += 1;
            writeln!(
                out,
                "  - [{}] {}: {}",
                f.severity,
                name_of(&f.device),
                f.summary
            )?;
        }
    }
    if report.findings.len() > listed {
        writeln!(
            out,
            "  … {} more in report.json",
            report.findings.len() - listed
        )?;
    }
    writeln!(out)
}

/// The hospital's asset list as its CMMS would export it: every device the hospital owns
/// (the simulation's populations), not the phones people carry in, not the device injected.
/// The simulated hospital's zones as a configuration file, as its network team would write
/// it: each VLAN (a wing is a VLAN of its own) with its subnet and what it holds.
fn write_zones(path: &Path, truth: &sim::truth::Truth) -> Result<()> {
    let zones: Vec<model::Zone> = truth
        .zones
        .iter()
        .map(|z| {
            let kind = match z.kind.as_str() {
                "servers" => model::ZoneKind::Infrastructure,
                k => k.parse().unwrap_or(model::ZoneKind::Unclassified),
            };
            Ok(model::Zone {
                name: z.name.clone(),
                kind,
                vlans: vec![z.vlan],
                subnets: vec![z.subnet.parse().map_err(anyhow::Error::msg)?],
            })
        })
        .collect::<Result<_>>()?;
    #[derive(serde::Serialize)]
    struct Zones {
        zones: Vec<model::Zone>,
    }
    let text = toml::to_string(&Zones { zones })?;
    fs::write(
        path,
        format!("# The simulated hospital's network zones (wardline demo).\n{text}"),
    )
    .with_context(|| format!("writing {}", path.display()))
}

fn write_asset_list(path: &Path, truth: &sim::truth::Truth) -> Result<()> {
    let personal = ["mobile_phone", "tablet", "laptop", "wearable"];
    let mut w =
        csv::Writer::from_path(path).with_context(|| format!("creating {}", path.display()))?;
    w.write_record([
        "Asset Tag",
        "MAC Address",
        "IP Address",
        "Host Name",
        "Manufacturer",
        "Model",
        "Software Version",
        "Device Type",
        "Department",
    ])?;
    for d in &truth.devices {
        if d.injected || d.random_mac || personal.contains(&d.category.as_str()) {
            continue;
        }
        w.write_record([
            format!("BME-{:05}", d.id),
            d.macs.first().cloned().unwrap_or_default(),
            d.ips.first().map(|i| i.ip.clone()).unwrap_or_default(),
            d.hostname.clone(),
            d.vendor.clone(),
            d.model.clone(),
            d.firmware.clone(),
            d.category.clone(),
            d.zone.clone(),
        ])?;
    }
    w.flush()
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(())
}

/// Imports the list into the demo's store, as `wardline assets import` does.
fn import_asset_list(path: &Path, db: &Path) -> Result<u64> {
    use store::Store;
    let bytes = fs::read(path).with_context(|| format!("reading {}", path.display()))?;
    let list = identify::assets::parse_asset_csv(&bytes)
        .map_err(|e| anyhow::anyhow!("{}: {e}", path.display()))?;
    let mut store = crate::output::open_store(db)?;
    let rows: Vec<(model::Asset, String)> = list
        .rows
        .iter()
        .map(|r| (r.asset.clone(), format!("{}:{}", path.display(), r.line)))
        .collect();
    let summary = store.import_assets(&rows, false, crate::analyze::now())?;
    Ok(summary.new + summary.updated + summary.unchanged)
}

/// What the asset list and the wire say together.
fn print_assets(out: &mut impl Write, report: &Report, listed: u64) -> io::Result<()> {
    let count = |kind: &str| report.findings.iter().filter(|f| f.kind == kind).count();
    writeln!(
        out,
        "Asset list (assets.csv, {listed} devices the hospital owns)"
    )?;
    writeln!(
        out,
        "  {} unauthorized device(s) seen but not listed, {} listed device(s) the wire describes otherwise",
        count("unauthorized_device"),
        count("asset_mismatch")
    )?;
    let p = &report.personal_devices;
    let zones: Vec<String> = p
        .zones
        .iter()
        .map(|z| format!("{} in {}", z.count, z.zone))
        .collect();
    writeln!(
        out,
        "  {} personal devices (phones, tablets, laptops, randomised MACs) counted, not flagged: {}",
        p.total,
        if zones.is_empty() {
            "none".to_string()
        } else {
            zones.join(", ")
        }
    )?;
    writeln!(out)
}

fn print_files(out: &mut impl Write, dir: &Path, files: &[&PathBuf]) -> io::Result<()> {
    writeln!(out, "Files (in {})", dir.display())?;
    for f in files {
        let what = match f.file_name().and_then(|n| n.to_str()) {
            Some("hospital.pcapng") => {
                "the simulated capture (open it in Wireshark, or wardline analyze it)"
            }
            Some("truth.json") => "what every simulated device really is (docs/sim.md)",
            Some("assets.csv") => "the hospital's asset list, imported into the store",
            Some("report.json") => "the analysis report (wardline.analysis/v1)",
            Some("wardline.db") => {
                "the encrypted store (key in wardline.db.key beside it, or WARDLINE_DB_KEY)"
            }
            _ => "",
        };
        writeln!(out, "  {}  {what}", f.display())?;
    }
    Ok(())
}

/// `s` cut to `max` characters with an ellipsis.
fn short(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        s.to_string()
    } else {
        format!("{}…", s.chars().take(max - 1).collect::<String>())
    }
}
