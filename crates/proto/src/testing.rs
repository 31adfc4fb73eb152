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
        let Self {
            parser,
            collector,
            flow,
            ts,
            ..
        } = self;
        let mut out = Out::new(collector, flow, Timestamp(*ts), P::NAME);
        parser.feed(side, Timestamp(*ts), data, &mut out)
    }

    pub fn gap(&mut self, side: Side, len: u32) -> Verdict {
        let Self {
            parser,
            collector,
            flow,
            ts,
            ..
        } = self;
        let mut out = Out::new(collector, flow, Timestamp(*ts), P::NAME);
        parser.gap(side, len, &mut out)
    }

    pub fn end(&mut self) {
        let Self {
            parser,
            collector,
            flow,
            ts,
            ..
        } = self;
        let mut out = Out::new(collector, flow, Timestamp(*ts), P::NAME);
        parser.end(&mut out);
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
        .and_then(|m| m.get(name))
        .copied()
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
            slot.datagram(|| (flow.clone(), ctx), *side, ts, data, &mut collector)
        } else {
            slot.data(|| (flow.clone(), ctx), *side, ts, data, &mut collector)
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
