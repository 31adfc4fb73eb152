//! Entry point for the fuzz targets (`fuzz/fuzz_targets/proto_*.rs`): runs arbitrary bytes
//! through one registered parser as a flow, probe included. Not part of the API.

use model::{Endpoint, FlowRef, Side, Timestamp, Transport};

use crate::out::{Collector, Out};
use crate::parser::{FlowCtx, Transports};
use crate::registry;

/// Runs `data` through parser `protocol`. The input is a sequence of chunks: a control byte
/// (bit 0: side; 0xff: a gap; otherwise bits 1–7 × 8 is the chunk length) then the chunk.
/// Panics only if `protocol` is not registered (a bug in the fuzz target).
pub fn run(protocol: &str, data: &[u8]) {
    let Some(i) = registry::PROTOCOLS.iter().position(|p| *p == protocol) else {
        panic!("{protocol} is not a registered protocol");
    };
    let protocol = registry::name(i);
    let transport = match registry::transports(i) {
        Transports::Udp => Transport::UDP,
        Transports::Tcp | Transports::Both => Transport::TCP,
    };
    let ctx = FlowCtx {
        transport,
        client_port: 40000,
        server_port: 1,
    };
    let endpoint = |port| Endpoint {
        mac: None,
        ip: None,
        port,
    };
    let flow = FlowRef {
        id: 1,
        transport,
        vlan: None,
        client: endpoint(40000),
        server: endpoint(1),
    };
    let mut collector = Collector::new(true);
    let mut parser = registry::create(i, &ctx);
    let mut rest = data;
    let mut t = 0;
    while let Some((&control, tail)) = rest.split_first() {
        t += 1;
        let ts = Timestamp(t);
        let side = if control & 1 == 0 {
            Side::Client
        } else {
            Side::Server
        };
        let mut out = Out::new(&mut collector, &flow, ts, protocol);
        if control == 0xff {
            parser.gap(side, 100, &mut out);
            rest = tail;
            continue;
        }
        let len = (usize::from(control >> 1) * 8).min(tail.len());
        let (chunk, after) = tail.split_at(len);
        let _ = registry::probe(i, chunk, side, &ctx);
        parser.feed(side, ts, chunk, &mut out);
        rest = after;
    }
    parser.end(&mut Out::new(
        &mut collector,
        &flow,
        Timestamp(t + 1),
        protocol,
    ));
    serialise_events(&mut collector);
}

/// Runs `data` as one link-layer frame payload (LLDP, CDP: frames, not flows) through
/// `observe` as `protocol`, on a dummy flow of EtherType `ethertype`, with events on.
pub(crate) fn link_frame(
    protocol: &'static str,
    ethertype: u16,
    data: &[u8],
    observe: fn(&[u8], &mut Out<'_>),
) {
    let endpoint = Endpoint {
        mac: None,
        ip: None,
        port: 0,
    };
    let flow = FlowRef {
        id: 1,
        transport: Transport::Link(ethertype),
        vlan: None,
        client: endpoint,
        server: endpoint,
    };
    let mut collector = Collector::new(true);
    let mut out = Out::new(&mut collector, &flow, Timestamp(0), protocol);
    observe(data, &mut out);
    serialise_events(&mut collector);
}

/// Whatever was produced must be serialisable (events are JSON bodies).
fn serialise_events(collector: &mut Collector) {
    for e in collector.take_events() {
        let _ = serde_json::to_string(&e.body);
    }
}
