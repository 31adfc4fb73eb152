//! `wardline sensor`: a live interface through the same pipeline as `analyze`.
//!
//! Two threads. The capture thread reads the kernel's ring, runs the sensor (flows,
//! parsers) and hands observations to a window: an inventory and a conversation table of what
//! was seen since the last flush. Every flush interval the window goes to the store thread,
//! which classifies its devices against what the store already concluded, judges them
//! (baselines, advisories, zones, blocklists) and merges them in one transaction, then the
//! capture thread starts a new window. SQLite never stalls the ring, and memory holds one
//! window and the flow table, so it stays flat however long the sensor runs.
//!
//! All windows of one run are one analysis source whose counters add up (`accumulate`); a
//! restart is a new source over the same devices and findings, so it resumes them.

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, TrySendError, sync_channel};
use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use capture::{LiveConfig, LiveSource};
use identify::{Inventory, InventoryConfig};
use model::Timestamp;
use sensor::{Sensor, SensorConfig};
use serde::Serialize;
use store::Store;

use crate::analyze::{Judges, Sinks, load_blocklists, segmentation_policy, store_zones, zone_map};
use crate::args::{SensorArgs, parse_duration};

/// Frames between two hand-overs of observations to the window (as in `analyze`).
const DRAIN_EVERY: u64 = 4096;
/// Frames between two looks at the clock (a flush or the deadline may be due).
const CLOCK_EVERY: u64 = 1024;
/// The longest the capture thread waits for a frame before looking at signals and timers.
const WAIT: Duration = Duration::from_millis(100);

/// What the store thread has done, read by the status line.
#[derive(Debug, Default)]
struct Stored {
    flushes: AtomicU64,
    new_devices: AtomicU64,
    updated_devices: AtomicU64,
    new_findings: AtomicU64,
    updated_findings: AtomicU64,
    /// Milliseconds the last flush took.
    last_flush_ms: AtomicU64,
}

impl Stored {
    /// One flush stored, taking `took`.
    fn record(&self, s: &store::MergeSummary, took: Duration) {
        self.flushes.fetch_add(1, Ordering::Relaxed);
        for (counter, n) in [
            (&self.new_devices, s.new_devices),
            (&self.updated_devices, s.updated_devices),
            (&self.new_findings, s.new_findings),
            (&self.updated_findings, s.updated_findings),
        ] {
            counter.fetch_add(n, Ordering::Relaxed);
        }
        self.last_flush_ms
            .store(took.as_millis() as u64, Ordering::Relaxed);
    }
}

/// The run's account, printed as JSON on stdout when the sensor stops.
#[derive(Debug, Serialize)]
struct Summary {
    interface: String,
    stopped_by: &'static str,
    seconds: f64,
    packets: u64,
    bytes: u64,
    decoded: u64,
    kernel: KernelCounters,
    flushes: u64,
    /// Flushes put off because the store thread was still busy with the previous one.
    deferred_flushes: u64,
    devices: NewUpdated,
    findings: NewUpdated,
    #[serde(skip_serializing_if = "Option::is_none")]
    error: Option<String>,
}

#[derive(Debug, Serialize)]
struct KernelCounters {
    received: u64,
    dropped: u64,
    freezes: u64,
}

#[derive(Debug, Serialize)]
struct NewUpdated {
    new: u64,
    updated: u64,
}

/// The sensor's settings: flags over `[sensor]` over defaults.
struct Settings {
    flush: Duration,
    status: Option<Duration>,
    live: LiveConfig,
}

fn settings(
    args: &SensorArgs,
    config: &crate::config::SensorConfig,
    path: &str,
) -> Result<Settings> {
    let duration = |key: &str, value: &Option<String>, default: u64| -> Result<Option<u64>> {
        match value.as_deref().map(str::trim) {
            None => Ok(Some(default)),
            Some("0" | "0s") => Ok(None),
            Some(v) => parse_duration(v)
                .map(Some)
                .map_err(|e| anyhow::anyhow!("{path}: [sensor] {key}: {e}")),
        }
    };
    let flush = match args.flush {
        Some(s) => s,
        None => duration("flush", &config.flush, 5)?
            .ok_or_else(|| anyhow::anyhow!("{path}: [sensor] flush: must be at least 1s"))?,
    };
    let status = duration("status", &config.status, 60)?;
    let ring_mib = config.ring_mib.unwrap_or(64);
    if !(2..=4096).contains(&ring_mib) {
        anyhow::bail!("{path}: [sensor] ring_mib = {ring_mib}: between 2 and 4096");
    }
    Ok(Settings {
        flush: Duration::from_secs(flush),
        status: status.map(Duration::from_secs),
        live: LiveConfig {
            block_count: ring_mib,
            promiscuous: config.promiscuous.unwrap_or(true),
            ..LiveConfig::default()
        },
    })
}

fn new_window(args: &SensorArgs) -> Sinks<'static> {
    Sinks {
        inventory: Inventory::new(InventoryConfig {
            max_devices: args.max_devices,
            ..InventoryConfig::default()
        }),
        traffic: Some(policy::TrafficTable::new(policy::TrafficConfig {
            max_conversations: args.max_conversations,
        })),
        // Scans, beacons and new destinations need minutes to hours of one device's flows,
        // more than a window holds: not judged live yet (docs/sensor.md).
        behaviour: None,
        flows: None,
        flows_path: None,
        events: None,
        events_path: None,
    }
}

fn sensor_config(args: &SensorArgs) -> SensorConfig {
    let mut config = SensorConfig::default();
    config.flow.max_flows = args.max_flows;
    // A flow open longer than a minute is reported in one-minute records (as NetFlow and
    // IPFIX exporters do), so a device whose only traffic is one long connection is stored
    // within a minute, not when the connection ends.
    config.flow.active_timeout = 60 * 1_000_000_000;
    config.app_layer = !args.no_app_layer;
    config
}

pub fn run(args: &SensorArgs) -> Result<ExitCode> {
    // Everything that can be wrong with the setup fails before the interface is opened.
    let kb = identify::KnowledgeBase::load(&args.kb).context("loading the knowledge base")?;
    let baselines =
        identify::Baselines::load(&args.kb).context("loading the firmware baselines")?;
    let config = crate::config::load(args.config.as_deref())?;
    let config_name = args
        .config
        .as_deref()
        .map_or_else(|| "configuration".into(), |p| p.display().to_string());
    let settings = settings(args, &config.sensor, &config_name)?;
    let blocklist = load_blocklists(config.policy.blocklists.iter().chain(&args.blocklists))?;
    let alerter =
        crate::alerts::Alerter::new(&config, &config_name, &format!("live:{}", args.interface))?;
    let configured = zone_map(args.config.as_deref(), config.zones.clone())?;
    if !configured.is_empty() {
        segmentation_policy(args.config.as_deref(), &config, &configured)?;
    }
    let db = args.db.clone();
    let (key, _origin) = store::Key::resolve(&db)
        .with_context(|| format!("opening the key for {}", db.display()))?;
    let mut store = store::SqliteStore::open(&db, &key)?;
    let zones = store_zones(&mut store, &db, configured)?;

    let mut source = LiveSource::open(&args.interface, settings.live)?;
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGTERM, signal_hook::consts::SIGINT] {
        signal_hook::flag::register(signal, Arc::clone(&stop))
            .context("installing the SIGTERM and SIGINT handlers")?;
    }
    let started = Instant::now();
    // The run's analysis source: the interface and the moment it started.
    let analysis = store::AnalysisSource {
        inputs: vec![store::CaptureInput {
            path: format!("live:{}", args.interface),
            size: 0,
            sha256: None,
            first_ts: Some(wall_clock()),
        }],
        accumulate: true,
    };
    eprintln!(
        "wardline: sensor on {} → {} (stored every {} s; SIGTERM or Ctrl-C stops it)",
        args.interface,
        db.display(),
        settings.flush.as_secs()
    );

    let stored = Arc::new(Stored::default());
    let (windows, received) = sync_channel::<Sinks<'static>>(1);
    let store_thread = {
        let stored = Arc::clone(&stored);
        let kb_paths = args.kb.clone();
        let config_path = args.config.clone();
        let db = db.clone();
        std::thread::Builder::new()
            .name("wardline-store".into())
            .spawn(move || {
                store_windows(StoreThread {
                    received,
                    store,
                    db,
                    kb,
                    baselines,
                    kb_paths,
                    config_path,
                    config,
                    blocklist,
                    zones,
                    analysis,
                    stored,
                    alerter,
                })
            })
            .context("starting the store thread")?
    };

    let mut sensor = Sensor::new(sensor_config(args));
    let deadline = args.duration.map(|s| started + Duration::from_secs(s));
    let mut window = new_window(args);
    let mut next_flush = started + settings.flush;
    let mut next_status = settings.status.map(|s| started + s);
    let (mut packets, mut bytes, mut deferred) = (0u64, 0u64, 0u64);
    let mut store_gone = false;
    let mut capture_error = None;
    let mut since_drain = 0u64;
    let mut link_down_seen = 0u64;
    let stopped_by = loop {
        if stop.load(Ordering::Relaxed) {
            break "signal";
        }
        let look_at_clock = match source.next_frame(WAIT) {
            Ok(Some(frame)) => {
                packets += 1;
                bytes += frame.data.len() as u64;
                sensor.process(&frame);
                since_drain += 1;
                if since_drain >= DRAIN_EVERY {
                    since_drain = 0;
                    window.drain(&mut sensor)?;
                }
                packets.is_multiple_of(CLOCK_EVERY)
            }
            Ok(None) => true,
            Err(e) => {
                capture_error = Some(e.to_string());
                break "error";
            }
        };
        if !look_at_clock {
            continue;
        }
        let at = Instant::now();
        if deadline.is_some_and(|d| at >= d) {
            break "duration";
        }
        if at >= next_flush {
            next_flush = at + settings.flush;
            // Idle flows end on the clock when the link is quiet, not only on the next frame.
            sensor.tick(wall_clock());
            window.drain(&mut sensor)?;
            since_drain = 0;
            match windows.try_send(std::mem::replace(&mut window, new_window(args))) {
                Ok(()) => {}
                Err(TrySendError::Full(kept)) => {
                    // The store is still writing the last window: this one grows until the
                    // next flush instead of queueing (memory stays one window).
                    window = kept;
                    deferred += 1;
                }
                Err(TrySendError::Disconnected(_)) => {
                    store_gone = true;
                    break "error";
                }
            }
        }
        if source.link_down_events() != link_down_seen {
            link_down_seen = source.link_down_events();
            eprintln!(
                "wardline: sensor {}: the interface is down; waiting for it to come back",
                args.interface
            );
        }
        if let Some(due) = next_status
            && at >= due
        {
            next_status = settings.status.map(|s| at + s);
            let kernel = source.stats()?;
            eprintln!(
                "wardline: sensor {}: {packets} packets, {} kernel drops, {} flows, {} flushes \
                 (last {} ms), {} new devices, {} new findings",
                args.interface,
                kernel.dropped,
                sensor.active_flows(),
                stored.flushes.load(Ordering::Relaxed),
                stored.last_flush_ms.load(Ordering::Relaxed),
                stored.new_devices.load(Ordering::Relaxed),
                stored.new_findings.load(Ordering::Relaxed),
            );
        }
    };
    // Stopping: every open flow ends now, and the last window is stored before exit.
    sensor.finish();
    window.drain(&mut sensor)?;
    if !store_gone {
        // A blocking send: the store thread takes it after the window it is writing.
        let _ = windows.send(window);
    }
    drop(windows);
    let store_result = store_thread
        .join()
        .map_err(|_| anyhow::anyhow!("the store thread panicked"))?;
    let kernel = source.stats()?;
    let stats = sensor.stats();
    let mut error = capture_error;
    if let Err(e) = &store_result {
        error = Some(format!("{e:#}"));
    }
    let summary = Summary {
        interface: args.interface.clone(),
        stopped_by,
        seconds: started.elapsed().as_secs_f64(),
        packets,
        bytes,
        decoded: stats.decoded,
        kernel: KernelCounters {
            received: kernel.received,
            dropped: kernel.dropped,
            freezes: kernel.freezes,
        },
        flushes: stored.flushes.load(Ordering::Relaxed),
        deferred_flushes: deferred,
        devices: NewUpdated {
            new: stored.new_devices.load(Ordering::Relaxed),
            updated: stored.updated_devices.load(Ordering::Relaxed),
        },
        findings: NewUpdated {
            new: stored.new_findings.load(Ordering::Relaxed),
            updated: stored.updated_findings.load(Ordering::Relaxed),
        },
        error,
    };
    println!("{}", serde_json::to_string_pretty(&summary)?);
    if let Some(e) = &summary.error {
        eprintln!("wardline: sensor {}: {e}", args.interface);
        return Ok(ExitCode::from(1));
    }
    eprintln!(
        "wardline: sensor {} stopped ({stopped_by}): {packets} packets, {} kernel drops, {} \
         flushes into {}",
        args.interface,
        kernel.dropped,
        summary.flushes,
        db.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// The wall clock as a capture timestamp (the kernel stamps frames with the same clock).
pub(crate) fn wall_clock() -> Timestamp {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Timestamp(i64::try_from(d.as_nanos()).unwrap_or(i64::MAX))
}

/// What the store thread owns.
struct StoreThread {
    received: Receiver<Sinks<'static>>,
    store: store::SqliteStore,
    db: PathBuf,
    kb: identify::KnowledgeBase,
    baselines: identify::Baselines,
    kb_paths: Vec<PathBuf>,
    config_path: Option<PathBuf>,
    config: crate::config::Config,
    blocklist: policy::Blocklist,
    zones: policy::ZoneMap,
    analysis: store::AnalysisSource,
    stored: Arc<Stored>,
    alerter: Option<crate::alerts::Alerter>,
}

/// Stores each window as it comes, until the capture thread hangs up. An error stops the
/// thread (the capture thread sees it gone and stops too); what was stored stays stored.
fn store_windows(mut t: StoreThread) -> Result<()> {
    // Rotating MACs stay on the devices earlier runs keyed by their address.
    let mut randomized = identify::RandomizedKeys::default();
    for (mac, id) in t
        .store
        .randomized_macs()
        .with_context(|| format!("reading {}", t.db.display()))?
    {
        if let (Ok(mac), Some(Ok(ip))) = (
            mac.parse::<model::MacAddr>(),
            id.strip_prefix("ip-").map(str::parse::<std::net::IpAddr>),
        ) {
            randomized.insert(mac, ip);
        }
    }
    let judges = Judges {
        kb: Some(&t.kb),
        baselines: Some(&t.baselines),
        kb_paths: &t.kb_paths,
        config_path: t.config_path.as_deref(),
        config: &t.config,
        blocklist: &t.blocklist,
        zones: &t.zones,
    };
    for window in t.received.iter() {
        let began = Instant::now();
        let crate::analyze::Sinks {
            inventory,
            traffic,
            behaviour,
            ..
        } = window;
        let mut inventory = inventory;
        inventory.remember_randomized(randomized.clone());
        let (mut devices, mut findings, _) = inventory.finish_with_findings();
        randomized.learn(&devices);
        if devices.is_empty() {
            continue;
        }
        let concluded = judges.conclude_into_store(
            &mut t.store,
            &t.db,
            &mut devices,
            &mut findings,
            crate::analyze::Watched { traffic, behaviour },
            &t.analysis,
        )?;
        let s = &concluded.summary;
        if let Some(alerter) = t.alerter.as_mut() {
            alerter.announce(s, &findings, &devices);
        }
        t.stored.record(s, began.elapsed());
    }
    if let Some(alerter) = t.alerter {
        alerter.finish();
    }
    Ok(())
}
