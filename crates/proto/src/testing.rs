//! Test helpers shared by every protocol's `tests.rs`: a parser with a collector and a fixed
//! flow, and readers for what it produced.

#![allow(clippy::unwrap_used, missing_docs, dead_code)]

use std::net::{IpAddr, Ipv4Addr};

use model::{AppKind, Endpoint, FlowRef, MacAddr, Observation, Side, Timestamp, Transport};

use crate::out::{Collector, Out};
use crate::parser::{AppParser, FlowCtx, Verdict};
use crate::session::AppSlot;

pub fn ctx_tcp(server_port: u16) -> FlowCtx {
    FlowCtx {
        transport: Transport::TCP,
        client_port: 40000,
        server_port,
    }
}

pub fn ctx_udp(server_port: u16) -> FlowCtx {
    FlowCtx {
        transport: Transport::UDP,
        client_port: 40000,
        server_port,
    }
}

pub fn flow_ref(ctx: &FlowCtx) -> FlowRef {
    FlowRef {
        id: 7,
        transport: ctx.transport,
        vlan: None,
        client: Endpoint {
            mac: Some(MacAddr([0, 0x1b, 0x6f, 1, 2, 3])),
            ip: Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1))),
            port: ctx.client_port,
        },
        server: Endpoint {
            mac: Some(MacAddr([0, 0x1b, 0x6f, 4, 5, 6])),
            ip: Some(IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2))),
            port: ctx.server_port,
        },
    }
}

/// One parser over one flow, with events on.
pub struct Harness<P> {
    pub parser: P,
    pub collector: Collector,
    pub flow: FlowRef,
    pub observations: Vec<Observation>,
    pub events: Vec<model::AppEvent>,
    ts: i64,
}

impl<P: AppParser> Harness<P> {
    pub fn new(ctx: FlowCtx) -> Self {
        Self {
            parser: P::new(&ctx),
            collector: Collector::new(true),
            flow: flow_ref(&ctx),
            observations: Vec::new(),
            events: Vec::new(),
            ts: 1_700_000_000_000_000_000,
        }
    }

    pub fn tcp(server_port: u16) -> Self {
        Self::new(ctx_tcp(server_port))
    }

    pub fn udp(server_port: u16) -> Self {
        Self::new(ctx_udp(server_port))
    }

    pub fn feed(&mut self, side: Side, data: &[u8]) -> Verdict {
        self.ts += 1_000_000;
        self.with_out(|parser, ts, out| parser.feed(side, ts, data, out))
    }

    pub fn gap(&mut self, side: Side, len: u32) -> Verdict {
        self.with_out(|parser, _, out| parser.gap(side, len, out))
    }

    pub fn end(&mut self) {
        self.with_out(|parser, _, out| parser.end(out));
    }

    /// Calls the parser with an output handle at the current time.
    fn with_out<R>(&mut self, f: impl FnOnce(&mut P, Timestamp, &mut Out<'_>) -> R) -> R {
        let Self {
            parser,
            collector,
            flow,
            ts,
            ..
        } = self;
        let mut out = Out::new(collector, flow, Timestamp(*ts), P::NAME);
        f(parser, Timestamp(*ts), &mut out)
    }

    /// Everything observed so far.
    pub fn observations(&mut self) -> Vec<Observation> {
        self.observations
            .extend(self.collector.drain_observations());
        self.observations.clone()
    }

    /// Every event so far (JSON bodies).
    pub fn events(&mut self) -> Vec<model::AppEvent> {
        self.events.extend(self.collector.take_events());
        self.events.clone()
    }

    /// A counter of this protocol.
    pub fn counter(&self, name: &str) -> u64 {
        counter(&self.collector, P::NAME, name)
    }
}

pub fn counter(c: &Collector, protocol: &str, name: &str) -> u64 {
    c.counters()
        .get(protocol)
        .and_then(|m| m.get(name).copied())
        .unwrap_or(0)
}

/// (side, key, value) of every fact.
pub fn facts(obs: &[Observation]) -> Vec<(&'static str, &'static str, String)> {
    obs.iter()
        .filter_map(|o| match o {
            Observation::App(a) => match &a.kind {
                AppKind::Fact(f) => Some((f.side.as_str(), f.key, f.value.clone())),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// The value of the first fact with `key`.
pub fn fact<'a>(obs: &'a [Observation], key: &str) -> Option<&'a str> {
    obs.iter().find_map(|o| match o {
        Observation::App(a) => match &a.kind {
            AppKind::Fact(f) if f.key == key => Some(f.value.as_str()),
            _ => None,
        },
        _ => None,
    })
}

/// (side, product, version) of every software observation.
pub fn software(obs: &[Observation]) -> Vec<(&'static str, String, Option<String>)> {
    obs.iter()
        .filter_map(|o| match o {
            Observation::App(a) => match &a.kind {
                AppKind::Software(s) => {
                    Some((s.side.as_str(), s.product.clone(), s.version.clone()))
                }
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// Every exposure.
pub fn exposures(obs: &[Observation]) -> Vec<model::Exposure> {
    obs.iter()
        .filter_map(|o| match o {
            Observation::App(a) => match &a.kind {
                AppKind::Exposure(e) => Some(e.clone()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// Every anomaly name.
pub fn anomalies(obs: &[Observation]) -> Vec<&'static str> {
    obs.iter()
        .filter_map(|o| match o {
            Observation::App(a) => match &a.kind {
                AppKind::Anomaly(n) => Some(*n),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

/// Runs whole deliveries through the registry (probing included), as the sensor does.
pub fn run_session(
    ctx: FlowCtx,
    deliveries: &[(Side, &[u8])],
) -> (Option<&'static str>, Vec<Observation>, Collector) {
    let mut slot = AppSlot::default();
    let mut collector = Collector::new(true);
    let flow = flow_ref(&ctx);
    for (i, (side, data)) in deliveries.iter().enumerate() {
        let ts = Timestamp(1_700_000_000_000_000_000 + i as i64);
        let v = if ctx.transport == Transport::UDP {
            slot.datagram(|| flow.clone(), ctx, *side, ts, data, &mut collector)
        } else {
            slot.data(|| flow.clone(), ctx, *side, ts, data, &mut collector)
        };
        if v == Verdict::Done {
            break;
        }
    }
    let name = slot.app_name();
    slot.end(Timestamp(1_800_000_000_000_000_000), &mut collector);
    let obs = collector.drain_observations().collect();
    (name.or(slot.app_name()), obs, collector)
}

/// Bytes from a hex fixture: whitespace between digits is ignored, and so is the rest of a
/// line after `--` (an annotation). Panics on an odd number of digits or a non-hex digit.
pub fn hex(s: &str) -> Vec<u8> {
    let digits: Vec<u8> = s
        .lines()
        .map(|l| l.split("--").next().unwrap_or(""))
        .flat_map(str::bytes)
        .filter(|b| !b.is_ascii_whitespace())
        .collect();
    assert!(digits.len().is_multiple_of(2), "odd hex fixture");
    digits
        .chunks(2)
        .map(|p| u8::from_str_radix(std::str::from_utf8(p).unwrap(), 16).unwrap())
        .collect()
}

/// [`hex`] of a fixture written as annotated parts (one per field).
pub fn hex_parts(parts: &[&str]) -> Vec<u8> {
    hex(&parts.concat())
}

/// The seed of every deterministic mutation test, so a failure reproduces.
pub const SEED: u64 = 0x9e37_79b9_7f4a_7c15;

/// A deterministic xorshift64 generator (13, 7, 17) starting from `seed`.
pub fn xorshift(seed: u64) -> impl FnMut() -> u64 {
    let mut x = seed;
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
}

/// Mutates each of `bases` (non-empty) 1000 times from `seed`: up to 3 bytes overwritten, then
/// cut to a random length; each copy goes to `f` with a random side.
pub fn mutate_all(seed: u64, bases: &[Vec<u8>], mut f: impl FnMut(Side, &[u8])) {
    let mut next = xorshift(seed);
    for base in bases {
        for _ in 0..1000 {
            let mut d = base.clone();
            for _ in 0..(next() % 4) {
                let i = (next() as usize) % d.len();
                d[i] = next() as u8;
            }
            d.truncate((next() as usize) % (d.len() + 1));
            let side = if next().is_multiple_of(2) {
                Side::Client
            } else {
                Side::Server
            };
            f(side, &d);
        }
    }
}

/// [`mutate_all`] over a UDP parser on `server_port`: each copy is probed and fed to a fresh
/// parser. Nothing may panic.
pub fn mutated_datagrams<P: AppParser + Default>(server_port: u16, bases: &[Vec<u8>]) {
    let ctx = ctx_udp(server_port);
    let mut h = Harness::<P>::new(ctx);
    mutate_all(SEED, bases, |side, d| {
        let _ = P::probe(d, side, &ctx);
        h.feed(side, d);
        h.parser = P::default();
    });
    let _ = h.observations();
}

/// 4000 mutated copies of `seeds` (taken in turn, 1 to 4 bytes overwritten) through the fuzz
/// entry point of `protocol` (probe included), both as one framed chunk and raw. Nothing may
/// panic.
pub fn fuzz_mutated(protocol: &str, seeds: &[Vec<u8>]) {
    let mut next = xorshift(SEED);
    for round in 0..4000 {
        let mut d = seeds[round % seeds.len()].clone();
        for _ in 0..1 + next() % 4 {
            let i = (next() as usize) % d.len().max(1);
            if let Some(b) = d.get_mut(i) {
                *b = next() as u8;
            }
        }
        // Fuzz input format: a control byte (side, length / 8) then the chunk.
        let mut input = vec![u8::try_from((d.len() / 8).min(127)).unwrap() << 1];
        input.extend(&d);
        crate::fuzzing::run(protocol, &input);
        crate::fuzzing::run(protocol, &d);
    }
}

/// What one link-layer frame (LLDP, CDP) produced.
pub struct LinkRun {
    pub obs: Vec<Observation>,
    pub events: Vec<model::AppEvent>,
    pub collector: Collector,
    protocol: &'static str,
}

impl LinkRun {
    /// A counter of the frame's protocol.
    pub fn counter(&self, name: &str) -> u64 {
        counter(&self.collector, self.protocol, name)
    }

    /// The frame's one event.
    pub fn event(&self) -> &serde_json::Map<String, serde_json::Value> {
        assert_eq!(self.events.len(), 1, "one event per frame");
        &self.events[0].body
    }

    /// Every value of the facts with `key`.
    pub fn all_facts(&self, key: &str) -> Vec<String> {
        facts(&self.obs)
            .into_iter()
            .filter(|(_, k, _)| *k == key)
            .map(|(_, _, v)| v)
            .collect()
    }
}

/// Runs one frame's `payload` (after EtherType `ethertype`) through `observe`, as `protocol`.
pub fn run_link(
    ethertype: u16,
    protocol: &'static str,
    payload: &[u8],
    observe: impl FnOnce(&[u8], &mut Out<'_>),
) -> LinkRun {
    let ctx = FlowCtx {
        transport: Transport::Link(ethertype),
        client_port: 0,
        server_port: 0,
    };
    let flow = flow_ref(&ctx);
    let mut collector = Collector::new(true);
    let mut out = Out::new(&mut collector, &flow, Timestamp(1), protocol);
    observe(payload, &mut out);
    let obs = collector.drain_observations().collect();
    let events = collector.take_events();
    LinkRun {
        obs,
        events,
        collector,
        protocol,
    }
}
