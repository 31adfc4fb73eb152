//! `wardline sim`: a hospital network on demand. Builds the simulated hospital of
//! `data/hospital.toml` with the device profiles of `data/profiles.toml`, runs its devices'
//! behaviours on a seeded clock and streams the frames they send, in time order, to a pcapng
//! file; returns the truth about every device.
//!
//! Every frame comes from the project's emitters (`wire` `Repr::emit`, `proto::emit`). The
//! same seed gives the same bytes. Memory stays flat: a conversation's frames are held only
//! until every conversation that could still come before them has been built.
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod behaviour;
pub mod data;
pub mod inject;
pub mod packet;
pub mod pcapng;
pub mod rng;
pub mod tcp;
pub mod truth;
pub mod world;

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::io::Write;

use crate::behaviour::{Ctx, interval_ns};
use crate::data::Model;
use crate::packet::{Frames, Net};
use crate::pcapng::PcapngWriter;
use crate::rng::Rng;
use crate::truth::Truth;
use crate::world::World;

/// Errors of the simulator.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The hospital model or a profile is wrong.
    #[error("simulation model: {0}")]
    Model(String),
    /// Writing the capture failed.
    #[error("writing the capture: {0}")]
    Io(#[from] std::io::Error),
}

/// What to simulate.
#[derive(Debug, Clone)]
pub struct SimConfig {
    /// Devices in the hospital, core services and router included.
    pub devices: usize,
    /// Simulated time, ns.
    pub duration_ns: i64,
    /// Seed of every random choice.
    pub seed: u64,
    /// Start of the capture, ns since the Unix epoch.
    pub start_ns: i64,
    /// Labelled events to inject.
    pub injections: Vec<inject::Injection>,
    /// Target packets per simulated second (`--rate`): reached by making every device talk
    /// more or less often (see [`Pace`]); `None`: as often as the profiles say.
    pub rate: Option<f64>,
    /// (profile id, firmware): every device of that profile placed at start runs that
    /// firmware instead of one drawn from the profile's list (`--firmware`). The draw still
    /// happens, so every other choice stays as the seed makes it.
    pub firmware: Vec<(String, String)>,
}

/// How much more often than their profiles say devices talk, steered toward a target rate:
/// every simulated minute the multiplier of every behaviour's interval (DHCP renewals
/// excepted: a lease is a lease) moves by the ratio of the packets the minute had to the
/// target, at most a factor 2 a minute and within 1/100..100 overall. Deterministic: it
/// depends only on what the simulation itself produced.
#[derive(Debug, Clone)]
struct Pace {
    target: Option<f64>,
    /// Interval multiplier (1: as the profiles say).
    factor: f64,
    window_start: i64,
    window_packets: u64,
}

impl Pace {
    const WINDOW_NS: i64 = 60_000_000_000;

    fn new(target: Option<f64>, start: i64) -> Self {
        Self {
            target,
            factor: 1.0,
            window_start: start,
            window_packets: 0,
        }
    }

    /// Counts `packets` built at `ts`; at the end of each window, adjusts the factor.
    fn count(&mut self, ts: i64, packets: usize) {
        let Some(target) = self.target else { return };
        self.window_packets += packets as u64;
        if ts - self.window_start >= Self::WINDOW_NS {
            let seconds = (ts - self.window_start) as f64 / 1e9;
            let observed = self.window_packets as f64 / seconds;
            // More packets than wanted: longer intervals.
            let step = (observed / target.max(1e-9)).clamp(0.5, 2.0);
            self.factor = (self.factor * step).clamp(0.01, 100.0);
            self.window_start = ts;
            self.window_packets = 0;
        }
    }

    /// The interval of `behaviour` at `ts`, paced.
    fn interval(&self, behaviour: &str, ts: i64) -> i64 {
        let base = interval_ns(behaviour, ts);
        if behaviour == "dhcp" {
            base
        } else {
            ((base as f64 * self.factor) as i64).max(1_000_000)
        }
    }
}

/// What was written.
#[derive(Debug, Clone, Copy)]
pub struct Summary {
    /// Frames written.
    pub packets: u64,
    /// Frame bytes written.
    pub bytes: u64,
    /// Devices simulated.
    pub devices: usize,
    /// Devices asked for that did not fit their zone's address plan.
    pub unplaced: usize,
}

/// A pending behaviour run: time, tie-breaker, device, behaviour.
type Task = Reverse<(i64, u64, usize, u16)>;
/// A frame waiting to be written: time, tie-breaker, bytes.
type Pending = Reverse<(i64, u64, Vec<u8>)>;

/// An IPv6 stack solicits routers this long after its device boots (the truth dates the
/// link-local address from then).
pub(crate) const ND_AFTER_BOOT_NS: i64 = 500_000_000;

/// Task ids from here on are injections (index in `SimConfig::injections` + this).
const INJECTED: u16 = 1000;

/// Schedules every behaviour of device `d` from its boot: DHCP and ARP at once, the mDNS
/// announcement two seconds later, the rest at a random phase of their interval. A device without DHCP has its address from boot.
fn schedule_device(ctx: &mut Ctx<'_>, d: usize, tasks: &mut BinaryHeap<Task>, seq: &mut u64) {
    let boot = ctx.world.devices[d].boot_ns;
    let p = &ctx.model.profiles.profile[ctx.world.devices[d].profile];
    if p.static_ip || !p.behaviours.iter().any(|b| b == "dhcp") {
        ctx.world.devices[d].leased_at = Some(boot);
    }
    for (idx, b) in data::BEHAVIOURS.iter().enumerate() {
        if !p.behaviours.iter().any(|x| x == b) {
            continue;
        }
        let first = match *b {
            "dhcp" => boot,
            "arp" => boot + 20_000_000,
            "nd" => boot + ND_AFTER_BOOT_NS,
            // Announced at start-up, after the address (RFC 6762 §8.3).
            "mdns" => boot + 2_000_000_000,
            _ => boot + 1_000_000_000 + ctx.rng.below(interval_ns(b, boot) as u64) as i64,
        };
        *seq += 1;
        tasks.push(Reverse((first, *seq, d, idx as u16)));
    }
}

/// Runs the simulation, writing pcapng to `out`; `progress(simulated ns, total ns)` is called
/// every few thousand frames.
pub fn simulate<W: Write>(
    config: &SimConfig,
    model: &Model,
    out: W,
    mut progress: impl FnMut(i64, i64),
) -> Result<(Summary, Truth, W), SimError> {
    let mut rng = Rng::new(config.seed);
    let mut world = World::build(model, config.devices, config.start_ns, &mut rng);
    for device in &mut world.devices {
        let id = &model.profiles.profile[device.profile].id;
        if let Some((_, firmware)) = config.firmware.iter().find(|(p, _)| p == id) {
            device.firmware = firmware.clone();
        }
    }
    let router_mac = world.devices[world.router].mac;
    let mut ctx = Ctx {
        model,
        world,
        net: Net { router_mac },
        rng,
        hl7: HashMap::new(),
        hl7_seq: 0,
        events: Vec::new(),
    };
    let end = config.start_ns + config.duration_ns;
    let mut writer = PcapngWriter::new(out, concat!("wardline sim ", env!("CARGO_PKG_VERSION")))?;
    let mut tasks: BinaryHeap<Task> = BinaryHeap::new();
    let mut seq = 0u64;
    for d in 0..ctx.world.devices.len() {
        schedule_device(&mut ctx, d, &mut tasks, &mut seq);
    }
    // Injections: task ids from INJECTED on, in the order given.
    let mut injected_event: Vec<Option<usize>> = vec![None; config.injections.len()];
    for (i, inj) in config.injections.iter().enumerate() {
        let at = config.start_ns + inj.offset_ns.unwrap_or(config.duration_ns / 2);
        seq += 1;
        tasks.push(Reverse((at, seq, usize::MAX, INJECTED + i as u16)));
    }
    let mut pending: BinaryHeap<Pending> = BinaryHeap::new();
    let mut frames = Frames::default();
    let mut last_progress = 0u64;
    let mut pace = Pace::new(config.rate, config.start_ns);
    while let Some(Reverse((ts, _, d, idx))) = tasks.pop() {
        if ts >= end {
            break;
        }
        // Every conversation from now on starts at `ts` or later: earlier frames are final.
        while pending.peek().is_some_and(|Reverse((t, _, _))| *t < ts) {
            if let Some(Reverse((t, _, f))) = pending.pop() {
                writer.write(t, &f)?;
            }
        }
        let next = if idx >= INJECTED {
            let i = usize::from(idx - INJECTED);
            let before = ctx.events.len();
            let outcome = inject::run(
                &mut ctx,
                config.injections[i].kind,
                ts,
                injected_event[i],
                &mut frames,
            );
            if injected_event[i].is_none() && ctx.events.len() > before {
                injected_event[i] = Some(before);
            }
            match outcome {
                inject::Outcome::Done => None,
                inject::Outcome::Again(at) => Some(at),
                inject::Outcome::NewDevice(n) => {
                    schedule_device(&mut ctx, n, &mut tasks, &mut seq);
                    None
                }
            }
        } else {
            let behaviour = data::BEHAVIOURS[idx as usize];
            if behaviour::run(&mut ctx, d, behaviour, ts, &mut frames) {
                Some(ts + ctx.rng.jitter(pace.interval(behaviour, ts), 0.2))
            } else {
                Some(ts + 2_000_000_000) // no address yet: try again shortly
            }
        };
        pace.count(ts, frames.list.len());
        for (t, f) in frames.list.drain(..) {
            seq += 1;
            pending.push(Reverse((t, seq, f)));
        }
        if let Some(next) = next {
            seq += 1;
            tasks.push(Reverse((next, seq, d, idx)));
        }
        if writer.packets() >= last_progress + 5_000 {
            last_progress = writer.packets();
            progress(ts - config.start_ns, config.duration_ns);
        }
    }
    while let Some(Reverse((t, _, f))) = pending.pop() {
        if t < end {
            writer.write(t, &f)?;
        }
    }
    progress(config.duration_ns, config.duration_ns);
    let summary = Summary {
        packets: writer.packets(),
        bytes: writer.bytes(),
        devices: ctx.world.devices.len(),
        unplaced: ctx.world.unplaced,
    };
    let events = std::mem::take(&mut ctx.events);
    let truth = Truth::new(config, model, &ctx.world, events);
    let out = writer.finish()?;
    Ok((summary, truth, out))
}
