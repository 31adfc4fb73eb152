//! `wardline analyze`: captures → sensor → inventory → report (and store).

use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result};
use capture::PacketSource;
use identify::{Inventory, InventoryConfig};
use indicatif::{ProgressBar, ProgressStyle};
use model::{Timestamp, TsPrecision};
use sensor::{Sensor, SensorConfig};
use store::Store;

use crate::args::{AnalyzeArgs, Format};
use crate::events::EventWriter;
use crate::output::{FlowWriter, write_csv, write_table};
use crate::report::{Devices, FindingReport, InputReport, Report, SCHEMA, StatsReport, ts};

/// Observations are handed from the sensor to the inventory in batches of this many frames:
/// often enough to keep the buffer small, rarely enough to cost nothing per packet.
const DRAIN_EVERY: u64 = 4096;

const SECOND: i64 = 1_000_000_000;

fn sensor_config(args: &AnalyzeArgs) -> SensorConfig {
    let mut config = SensorConfig::default();
    let f = &mut config.flow;
    f.max_flows = args.max_flows;
    f.reassembly.max_stream_bytes = args.reassembly_bytes;
    f.tcp_established_idle = i64::from(args.tcp_idle) * SECOND;
    f.udp_idle = i64::from(args.udp_idle) * SECOND;
    f.active_timeout = i64::from(args.active_timeout) * SECOND;
    config.app_layer = !args.no_app_layer;
    config.events = args.events.is_some();
    config
}

/// What one input contributed, before formatting.
struct InputRun {
    report: InputReport,
    first_ts: Option<Timestamp>,
    last_ts: Option<Timestamp>,
    precision: TsPrecision,
    size: u64,
}

/// Where observations and events go between batches.
pub(crate) struct Sinks<'a> {
    pub inventory: Inventory,
    /// Conversations for the store's peer and zone maps: only kept with --db.
    pub traffic: Option<policy::TrafficTable>,
    /// Flow records watched for scans, beacons and new destinations.
    pub behaviour: Option<policy::BehaviourTracker>,
    pub flows: Option<FlowWriter<BufWriter<File>>>,
    pub flows_path: Option<&'a Path>,
    pub events: Option<EventWriter<BufWriter<File>>>,
    pub events_path: Option<&'a Path>,
}

struct Pipeline<'a> {
    sensor: Sensor,
    sinks: Sinks<'a>,
}

/// What a run's flow records were summed and watched in, judged once its devices are known.
pub(crate) struct Watched {
    pub traffic: Option<policy::TrafficTable>,
    pub behaviour: Option<policy::BehaviourTracker>,
}

impl Sinks<'_> {
    /// Moves what the sensor produced into the inventory and the output files.
    pub fn drain(&mut self, sensor: &mut Sensor) -> Result<()> {
        if let Some(w) = self.events.as_mut() {
            for e in sensor.take_events() {
                w.write(&e).with_context(|| {
                    format!(
                        "writing events to {}",
                        self.events_path.unwrap_or(Path::new("")).display()
                    )
                })?;
            }
        }
        let (observations, flows) = sensor.observations();
        for obs in observations {
            self.inventory.observe(obs);
        }
        for flow in flows {
            if let Some(w) = self.flows.as_mut() {
                w.write(flow).with_context(|| {
                    format!(
                        "writing flows to {}",
                        self.flows_path.unwrap_or(Path::new("")).display()
                    )
                })?;
            }
            self.inventory.observe_flow(flow);
            if let Some(t) = self.traffic.as_mut() {
                t.observe_flow(flow);
            }
            if let Some(b) = self.behaviour.as_mut() {
                b.observe_flow(flow);
            }
        }
        sensor.clear_observations();
        Ok(())
    }
}

impl Pipeline<'_> {
    fn drain(&mut self) -> Result<()> {
        self.sinks.drain(&mut self.sensor)
    }
}

fn progress_bar(args: &AnalyzeArgs, total: u64) -> Option<ProgressBar> {
    if args.no_progress || !io::stderr().is_terminal() {
        return None;
    }
    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} {msg} [{bar:30}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta} left)",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar())
        .progress_chars("=> "),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    Some(bar)
}

fn analyze_input(
    path: &Path,
    no_mmap: bool,
    pipeline: &mut Pipeline<'_>,
    bar: Option<&ProgressBar>,
    done_bytes: u64,
) -> Result<InputRun> {
    let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let mut run = InputRun {
        report: InputReport {
            path: path.display().to_string(),
            format: None,
            link_types: Vec::new(),
            packets: 0,
            bytes: 0,
            first_ts: None,
            last_ts: None,
            error: None,
        },
        first_ts: None,
        last_ts: None,
        precision: TsPrecision::Micro,
        size,
    };
    if let Some(bar) = bar {
        bar.set_message(
            path.file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
        );
    }
    // Mapped in windows of MAP_WINDOW, each populated at once: no kernel copy per read and
    // no page fault per page (bench/README.md has the figures).
    let limits = capture::CaptureLimits {
        map_window: if no_mmap {
            0
        } else {
            capture::CaptureLimits::MAP_WINDOW
        },
        ..capture::CaptureLimits::default()
    };
    let mut source = match capture::FileSource::open(path, limits) {
        Ok(s) => s,
        Err(e) => {
            run.report.error = Some(e.to_string());
            return Ok(run);
        }
    };
    run.report.format = Some(source.format().name());
    // The sensor's frame loop; between batches the sinks drain and the bar moves.
    let Pipeline { sensor, sinks } = pipeline;
    let sensor_run = sensor.run(&mut source, DRAIN_EVERY, |sensor, src| {
        if let Some(bar) = bar {
            bar.set_position(done_bytes + src.progress().bytes_read);
        }
        sinks.drain(sensor)
    })?;
    let packets = sensor_run.packets;
    let bytes = sensor_run.bytes;
    let error = sensor_run.error;
    run.first_ts = sensor_run.first_ts;
    run.last_ts = sensor_run.last_ts;
    run.precision = source.precision();
    run.report.link_types = source
        .link_types()
        .iter()
        .map(|l| l.name().into_owned())
        .collect();
    run.report.packets = packets;
    run.report.bytes = bytes;
    if let Some(e) = error {
        run.report.error = Some(format!(
            "{e}; the {packets} packets before it were analysed"
        ));
    }
    Ok(run)
}

pub(crate) fn now() -> Timestamp {
    // SOURCE_DATE_EPOCH (reproducible-builds.org) pins the report time for golden tests.
    if let Some(secs) = std::env::var("SOURCE_DATE_EPOCH")
        .ok()
        .and_then(|s| s.parse::<i64>().ok())
    {
        return Timestamp::from_parts(secs, 0);
    }
    let d = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp::from_parts(d.as_secs() as i64, 0)
}

pub fn run(args: &AnalyzeArgs) -> Result<ExitCode> {
    let (report, failed) = analyze(args)?;
    let stdout = io::stdout();
    let format = args.format.unwrap_or_else(Format::for_stdout);
    let mut out = BufWriter::new(stdout.lock());
    match format {
        Format::Json => {
            serde_json::to_writer_pretty(&mut out, &report)?;
            writeln!(out)?;
        }
        Format::Table => write_table(&mut out, &report)?,
        Format::Csv => write_csv(&mut out, &report)?,
    }
    out.flush()?;
    Ok(if failed {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

/// Analyses the inputs (and merges them into `--db`), returning the report and whether an
/// input failed part-way.
pub fn analyze(args: &AnalyzeArgs) -> Result<(Report, bool)> {
    // Rule files are checked before any packet is read: a typo fails fast, naming the file.
    let kb = identify::KnowledgeBase::load(&args.kb).context("loading the knowledge base")?;
    let baselines =
        identify::Baselines::load(&args.kb).context("loading the firmware baselines")?;
    analyze_with(args, Some((&kb, &baselines)))
}

/// [`analyze`] with a knowledge base already loaded, or none: devices as the wire showed
/// them, unclassified (what `kb learn` reads its features from).
pub fn analyze_with(
    args: &AnalyzeArgs,
    knowledge: Option<(&identify::KnowledgeBase, &identify::Baselines)>,
) -> Result<(Report, bool)> {
    let kb = knowledge.map(|k| k.0);
    let baselines = knowledge.map(|k| k.1);
    let flows = match &args.flows {
        Some(p) => Some(
            FlowWriter::new(BufWriter::new(
                File::create(p).with_context(|| format!("creating {}", p.display()))?,
            ))
            .with_context(|| format!("writing {}", p.display()))?,
        ),
        None => None,
    };
    let inventory_config = InventoryConfig {
        max_devices: args.max_devices,
        ..InventoryConfig::default()
    };
    let events = match &args.events {
        Some(p) => Some(EventWriter::new(BufWriter::new(
            File::create(p).with_context(|| format!("creating {}", p.display()))?,
        ))),
        None => None,
    };
    let config = crate::config::load(args.config.as_deref())?;
    let blocklist = load_blocklists(config.policy.blocklists.iter().chain(&args.blocklists))?;
    // The configured policy is checked before the packets, not after them: a misspelt zone
    // in a conduit must not cost an hour of analysis.
    let configured_zones = zone_map(args.config.as_deref(), config.zones.clone())?;
    // Alerts announce what a merge adds, so they need a store to tell new from known.
    let alerter = match &args.db {
        Some(_) => crate::alerts::Alerter::new(
            &config,
            &args
                .config
                .as_deref()
                .map_or_else(|| "configuration".into(), |p| p.display().to_string()),
            "analyze",
        )?,
        None => None,
    };
    if !configured_zones.is_empty() {
        segmentation_policy(args.config.as_deref(), &config, &configured_zones)?;
    }
    let policy_layer = args.db.is_some() || !config.zones.is_empty() || !blocklist.is_empty();
    let mut pipeline = Pipeline {
        sensor: Sensor::new(sensor_config(args)),
        sinks: Sinks {
            inventory: Inventory::new(inventory_config),
            // The policy layer — conversations for the store's maps and the zone policy, and
            // flow records watched for unusual behaviour — runs with a store or a configured
            // policy, not on the plain inventory run the benchmark times (behaviour tracking
            // alone adds 12% there: README, "Unusual behaviour").
            traffic: policy_layer.then(|| {
                policy::TrafficTable::new(policy::TrafficConfig {
                    max_conversations: args.max_conversations,
                })
            }),
            behaviour: policy_layer
                .then(|| policy::BehaviourTracker::new(policy::BehaviourConfig::default())),
            flows,
            flows_path: args.flows.as_deref(),
            events,
            events_path: args.events.as_deref(),
        },
    };
    let total: u64 = args
        .inputs
        .iter()
        .map(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0))
        .sum();
    let bar = progress_bar(args, total);
    let mut runs = Vec::new();
    let mut done = 0;
    for path in &args.inputs {
        let run = analyze_input(path, args.no_mmap, &mut pipeline, bar.as_ref(), done)?;
        done += run.size;
        if let Some(e) = &run.report.error {
            let msg = format!("wardline: {e}");
            match &bar {
                Some(b) => b.println(msg),
                None => eprintln!("{msg}"),
            }
        }
        runs.push(run);
    }
    pipeline.sensor.finish();
    pipeline.drain()?;
    if let Some(bar) = &bar {
        bar.finish_and_clear();
    }
    if let Some(w) = pipeline.sinks.flows.take() {
        w.finish().context("writing flow records")?;
    }
    if let Some(w) = pipeline.sinks.events.take() {
        let written = w.written;
        w.finish().context("writing events")?;
        if let Some(p) = &args.events {
            eprintln!("wardline: {}: {written} events", p.display());
        }
    }
    let stats = pipeline.sensor.stats();
    // The flow table and parser state are done with: freed before the inventory builds its
    // devices, the moment memory peaks.
    let Pipeline { sensor, sinks } = pipeline;
    drop(sensor);
    // Packets are done: what forming the devices frees goes back to the system at once.
    crate::allocator::purge_promptly();
    let (mut devices, mut findings, inventory_stats) = sinks.inventory.finish_with_findings();
    let traffic_stats: Option<policy::TrafficStats>;

    // The store (with --db) and the zones: configured, else the ones the store kept.
    let (opened, zones) = match &args.db {
        Some(db) => {
            let (key, _origin) = store::Key::resolve(db)
                .with_context(|| format!("opening the key for {}", db.display()))?;
            let mut store = store::SqliteStore::open(db, &key)?;
            let zones = store_zones(&mut store, db, configured_zones)?;
            (Some((store, db)), zones)
        }
        None => (None, configured_zones),
    };
    let judges = Judges {
        kb,
        baselines,
        kb_paths: &args.kb,
        config_path: args.config.as_deref(),
        config: &config,
        blocklist: &blocklist,
        zones: &zones,
    };
    if let Some((mut store, db)) = opened {
        let concluded = judges.conclude_into_store(
            &mut store,
            db,
            &mut devices,
            &mut findings,
            Watched {
                traffic: sinks.traffic,
                behaviour: sinks.behaviour,
            },
            &analysis_source(&runs),
        )?;
        traffic_stats = concluded.traffic;
        concluded.print(db);
        if let Some(mut alerter) = alerter {
            alerter.announce(&concluded.summary, &findings, &devices);
            alerter.finish();
        }
    } else {
        for device in &mut devices {
            if let Some(kb) = kb {
                kb.classify(device);
            }
        }
        traffic_stats = judges
            .judge_traffic(
                Watched {
                    traffic: sinks.traffic,
                    behaviour: sinks.behaviour,
                },
                &mut devices,
                &mut findings,
            )?
            .1;
        if let Some(baselines) = baselines {
            findings.extend(baseline_findings(
                baselines,
                &mut devices,
                &std::collections::HashMap::new(),
            ));
        }
    }
    let personal_devices = identify::assets::personal_devices(&devices);

    let precision = runs
        .iter()
        .map(|r| r.precision)
        .max()
        .unwrap_or(TsPrecision::Micro);
    let inputs = runs
        .into_iter()
        .map(|mut r| {
            r.report.first_ts = r.first_ts.map(|t| ts(t, r.precision));
            r.report.last_ts = r.last_ts.map(|t| ts(t, r.precision));
            r.report
        })
        .collect::<Vec<_>>();
    let failed = inputs.iter().any(|i| i.error.is_some());
    let report = Report {
        schema: SCHEMA,
        generated_at: ts(now(), TsPrecision::Seconds),
        wardline_version: env!("CARGO_PKG_VERSION"),
        stats: StatsReport {
            traffic: traffic_stats.map(|t| crate::report::TrafficReport {
                conversations: t.conversations,
                untracked_flows: t.untracked_flows,
            }),
            ..StatsReport::new(&stats, &inventory_stats, devices.len() as u64)
        },
        personal_devices,
        devices: Devices {
            list: devices,
            precision,
        },
        inputs,
        // Each finding is dropped as soon as its report entry is built.
        findings: findings
            .into_iter()
            .map(|f| FindingReport::new(&f, precision))
            .collect(),
    };
    Ok((report, failed))
}

/// `outdated_firmware` and `end_of_support` findings of every device against the baselines,
/// as of the analysis time; `overridden` holds the stored form of devices a person corrected,
/// whose set attributes count instead of the derived ones.
fn baseline_findings(
    baselines: &identify::Baselines,
    devices: &mut [model::Device],
    overridden: &std::collections::HashMap<String, model::Device>,
) -> Vec<model::Finding> {
    let today = now();
    let mut out = Vec::new();
    for d in devices.iter_mut() {
        let found = match overridden.get(&d.id.0) {
            Some(stored) => {
                let mut view = d.clone();
                let set = |a: &Option<Box<model::Attribute>>| {
                    a.as_ref()
                        .filter(|a| a.evidence.first().is_some_and(|e| e.source == "override"))
                        .cloned()
                };
                if let Some(v) = stored
                    .vendor
                    .as_ref()
                    .filter(|a| a.evidence.first().is_some_and(|e| e.source == "override"))
                {
                    view.vendor = Some(v.clone());
                }
                for (slot, stored) in [
                    (&mut view.category, &stored.category),
                    (&mut view.model, &stored.model),
                    (&mut view.os, &stored.os),
                    (&mut view.firmware, &stored.firmware),
                    (&mut view.modality, &stored.modality),
                ] {
                    if let Some(a) = set(stored) {
                        *slot = Some(a);
                    }
                }
                baselines.findings(&view, today)
            }
            None => baselines.findings(d, today),
        };
        for f in found {
            d.findings.push(f.id.clone());
            out.push(f);
        }
    }
    out
}

/// The blocklists, read and indexed; a bad line is an error naming the file and line.
pub(crate) fn load_blocklists<'a>(
    paths: impl Iterator<Item = &'a std::path::PathBuf>,
) -> Result<policy::Blocklist> {
    let mut indicators = Vec::new();
    for p in paths {
        let text =
            std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?;
        indicators.extend(
            policy::parse_blocklist(&text, &p.display().to_string())
                .map_err(|e| anyhow::anyhow!("blocklist {e}"))?,
        );
    }
    Ok(policy::Blocklist::new(indicators))
}

/// `found`, each also listed on its device.
fn listed(found: Vec<model::Finding>, devices: &mut [model::Device]) -> Vec<model::Finding> {
    for f in &found {
        if let Ok(i) = devices.binary_search_by(|d| d.id.0.as_str().cmp(&f.device.0)) {
            devices[i].findings.push(f.id.clone());
        }
    }
    found
}

/// The configured conduits and default over `zones`; errors name the file.
pub(crate) fn segmentation_policy(
    path: Option<&Path>,
    config: &crate::config::Config,
    zones: &policy::ZoneMap,
) -> Result<policy::SegmentationPolicy> {
    let name = || path.map_or_else(|| "configuration".into(), |p| p.display().to_string());
    let default = config.policy.default_action().with_context(name)?;
    policy::SegmentationPolicy::new(&config.conduits, zones, default)
        .map_err(|e| anyhow::anyhow!("{}: [[conduits]]: {e}", name()))
}

/// The `segmentation_violation` findings of this run's conversations under the configured
/// conduits and policy (each also listed on its device).
fn segmentation_findings(
    path: Option<&Path>,
    config: &crate::config::Config,
    zones: &policy::ZoneMap,
    conversations: &[model::Conversation],
    devices: &mut [model::Device],
) -> Result<Vec<model::Finding>> {
    let policy = segmentation_policy(path, config, zones)?;
    Ok(listed(policy.evaluate(conversations, zones), devices))
}

/// The configured zones, indexed; an ambiguous set is an error naming the file.
pub(crate) fn zone_map(config: Option<&Path>, zones: Vec<model::Zone>) -> Result<policy::ZoneMap> {
    policy::ZoneMap::new(zones).map_err(|e| {
        anyhow::anyhow!(
            "{}: [[zones]]: {e}",
            config.map_or_else(|| "configuration".into(), |p| p.display().to_string())
        )
    })
}

/// The zones for this run: the configuration's, kept in the store for later runs and the
/// console; without any configured, the ones the store kept.
pub(crate) fn store_zones(
    store: &mut store::SqliteStore,
    db: &Path,
    configured: policy::ZoneMap,
) -> Result<policy::ZoneMap> {
    if configured.is_empty() {
        let kept = store
            .zones()
            .with_context(|| format!("reading the zones in {}", db.display()))?;
        return policy::ZoneMap::new(kept)
            .map_err(|e| anyhow::anyhow!("{}: stored zones: {e}", db.display()));
    }
    store
        .set_zones(configured.zones(), now())
        .with_context(|| format!("storing the zones in {}", db.display()))?;
    Ok(configured)
}

/// The analysis source of these inputs, as the store records it.
fn analysis_source(runs: &[InputRun]) -> store::AnalysisSource {
    store::AnalysisSource {
        inputs: runs
            .iter()
            .map(|r| store::CaptureInput {
                path: r.report.path.clone(),
                size: r.size,
                sha256: None,
                first_ts: r.first_ts,
            })
            .collect(),
        accumulate: false,
    }
}

/// What judges a run's devices once its packets are read: the rules, the firmware baselines,
/// the configuration (zones, conduits, blocklists). `analyze` uses it once, the live sensor
/// at every flush.
pub(crate) struct Judges<'a> {
    pub kb: Option<&'a identify::KnowledgeBase>,
    pub baselines: Option<&'a identify::Baselines>,
    pub kb_paths: &'a [std::path::PathBuf],
    pub config_path: Option<&'a Path>,
    pub config: &'a crate::config::Config,
    pub blocklist: &'a policy::Blocklist,
    pub zones: &'a policy::ZoneMap,
}

/// What merging one run into the store did.
pub(crate) struct Concluded {
    pub summary: store::MergeSummary,
    pub traffic: Option<policy::TrafficStats>,
    /// Listed assets: (listed, never seen), when an asset list is imported.
    pub assets: Option<(u64, u64)>,
}

impl Concluded {
    /// The merge's one-line account on stderr.
    pub fn print(&self, db: &Path) {
        let summary = &self.summary;
        eprintln!(
            "wardline: {}: {} new and {} updated devices, {} new and {} updated findings{}",
            db.display(),
            summary.new_devices,
            summary.updated_devices,
            summary.new_findings,
            summary.updated_findings,
            if summary.source_seen_before {
                " (these captures were stored before: merged, not double-counted)"
            } else {
                ""
            }
        );
        if let Some((listed, not_seen)) = self.assets {
            eprintln!(
                "wardline: {}: {listed} listed assets, {} seen, {not_seen} never seen",
                db.display(),
                listed - not_seen,
            );
        }
    }
}

impl Judges<'_> {
    /// Weighs a run's devices against what the store concluded before (earlier evidence,
    /// the asset list, corrections, advisories, patch records), judges its traffic, and
    /// merges devices, findings and conversations into the store as `source`'s share.
    pub fn conclude_into_store(
        &self,
        store: &mut store::SqliteStore,
        db: &Path,
        devices: &mut [model::Device],
        findings: &mut Vec<model::Finding>,
        flows_watched: Watched,
        source: &store::AnalysisSource,
    ) -> Result<Concluded> {
        let (kb, baselines) = (self.kb, self.baselines);
        // The asset list's word on each listed device is evidence beside the wire's.
        let reconciliation = crate::assets::reconcile(store, db, devices)?;
        // Devices with patch records are also read as this run alone saw them (the history
        // that keeps attributes from flapping would hide an update seen on the wire).
        let watched: std::collections::HashSet<String> = store
            .patch_records(None)
            .with_context(|| format!("reading {}", db.display()))?
            .into_iter()
            .map(|r| r.device)
            .collect();
        let mut run_views = std::collections::HashMap::new();
        // Each device weighs this run's evidence against what earlier runs concluded.
        for device in devices.iter_mut() {
            let mut before = store
                .derived_attributes(&device.id.0)
                .with_context(|| format!("reading {}", db.display()))?;
            // The list as it is now speaks for it, not as an earlier run read it.
            for (_, a) in &mut before {
                a.evidence
                    .retain(|e| e.source != identify::assets::ASSET_SOURCE);
            }
            if let Some(kb) = kb {
                if watched.contains(&device.id.0) {
                    let mut view = device.clone();
                    kb.classify(&mut view);
                    run_views.insert(device.id.0.clone(), view);
                }
                kb.classify_after(device, &before);
            }
        }
        if let Some(kb) = kb {
            findings.extend(crate::assets::findings_after_classification(
                &reconciliation,
                kb,
                devices,
            ));
        }
        if let Some(baselines) = baselines {
            // Baselines judge what a person set by hand over what the wire suggested.
            let mut overridden = std::collections::HashMap::new();
            for id in store
                .overridden_devices()
                .with_context(|| format!("reading {}", db.display()))?
            {
                if let Some(d) = store.device(&id)? {
                    overridden.insert(id, d);
                }
            }
            findings.extend(baseline_findings(baselines, devices, &overridden));
        }
        // The advisories the store holds (`wardline vulns import`), against this run's devices.
        if let Some(kb) = kb
            && let Some(judged) =
                crate::vulns::judge(store, db, kb.vendors(), self.kb_paths, devices, &run_views)?
        {
            findings.extend(crate::vulns::findings(devices, &judged)?);
            findings.extend(crate::patches::after_analysis(
                store, db, devices, &judged, &run_views,
            )?);
        }
        let (conversations, counted) = self.judge_traffic(flows_watched, devices, findings)?;
        let summary = store
            .merge_analysis_with_traffic(devices, findings, &conversations, source)
            .with_context(|| format!("storing devices and findings in {}", db.display()))?;
        crate::assets::record(store, db, &reconciliation)?;
        let assets = (!reconciliation.assets.is_empty())
            .then_some((reconciliation.assets.len() as u64, reconciliation.not_seen));
        // Attributes a person set stay set: the report shows them as the store does.
        for id in store
            .overridden_devices()
            .with_context(|| format!("reading {}", db.display()))?
        {
            if let (Ok(i), Some(stored)) = (
                devices.binary_search_by(|d| d.id.0.as_str().cmp(&id)),
                store.device(&id)?,
            ) {
                let d = &mut devices[i];
                d.vendor = stored.vendor;
                d.category = stored.category;
                d.model = stored.model;
                d.os = stored.os;
                d.firmware = stored.firmware;
                d.modality = stored.modality;
            }
        }
        Ok(Concluded {
            summary,
            traffic: counted,
            assets,
        })
    }

    /// Places every device in its zone, then judges this run's conversations: segmentation
    /// and blocklists → findings (each also listed on its device). Returns the conversations
    /// (for the store) and the table's counters; without a table, only the zones are set.
    pub fn judge_traffic(
        &self,
        Watched { traffic, behaviour }: Watched,
        devices: &mut [model::Device],
        findings: &mut Vec<model::Finding>,
    ) -> Result<(Vec<model::Conversation>, Option<policy::TrafficStats>)> {
        for d in devices.iter_mut() {
            d.zone = Some(self.zones.device_zone(d));
        }
        if let Some(b) = behaviour {
            let found = b.findings(devices);
            findings.extend(listed(found, devices));
        }
        let Some(table) = traffic else {
            return Ok((Vec::new(), None));
        };
        let (conversations, counted) = table.finish(devices, self.zones);
        findings.extend(segmentation_findings(
            self.config_path,
            self.config,
            self.zones,
            &conversations,
            devices,
        )?);
        findings.extend(listed(
            self.blocklist.findings(devices, &conversations),
            devices,
        ));
        Ok((conversations, Some(counted)))
    }
}
