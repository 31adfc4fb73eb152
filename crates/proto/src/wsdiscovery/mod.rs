//! WS-Discovery over SOAP-over-UDP, port 3702 (OASIS WS-Discovery 1.1 and the April 2005
//! version Windows and DPWS 1.0 use). Devices announce themselves (Hello, Bye) and answer
//! searches (ProbeMatches, ResolveMatches) with their endpoint (a `urn:uuid`), types (QNames
//! such as `dpws:Device`), scopes and transport addresses. IEEE 11073 SDC medical devices
//! (IEEE 11073-20702 MDPWS, 11073-20701) discover each other this way: their types include
//! `mdpws:MedicalDevice` and their scopes use `sdc.*` URI schemes, location scopes
//! (`sdc.ctxt.loc:/...`) naming facility, ward and bed.
//!
//! XML is parsed with roxmltree (no DTD, so no entity expansion; at most 10,000 nodes) from
//! datagrams of at most 64 KiB.
//!
//! # Facts
//!
//! About the sender, from Hello, Bye, ProbeMatch and ResolveMatch only (a Probe's or
//! Resolve's types, scopes and endpoint are what it looks for, not what it is):
//! - `wsdiscovery.endpoint`: EndpointReference Address (WS-Discovery 1.1 §2.5), e.g.
//!   `urn:uuid:...`.
//! - `wsdiscovery.types`: the Types list as sent (space-separated QNames, §4.1).
//! - `wsdiscovery.scopes`: one fact per scope URI (at most 16 per datagram; facility data
//!   such as SDC location scopes, cut at 256 bytes).
//! - `wsdiscovery.xaddrs`: one fact per transport address (at most 16 per datagram).
//! - `wsdiscovery.sdc`: `true` when a type is MDPWS MedicalDevice or a scope is an SDC
//!   scope (`sdc.` scheme).
//!
//! # Event
//!
//! Object `wsdiscovery`, one per datagram: `action` (wsa:Action's last segment: `Hello`,
//! `Bye`, `Probe`, `ProbeMatches`, `Resolve`, `ResolveMatches`), `types`, `scopes`, `xaddrs`
//! (arrays, over all matches), `endpoint` (the first), `matches` (ProbeMatches /
//! ResolveMatches), `sdc`.
//!
//! Counters: `messages`, `wsdiscovery_datagram_too_large`, `wsdiscovery_items_dropped`, and
//! the anomalies `wsdiscovery_not_utf8`, `wsdiscovery_dtd`, `wsdiscovery_nodes_limit`,
//! `wsdiscovery_invalid_xml`, `wsdiscovery_not_an_envelope`.

mod message;
#[cfg(test)]
mod tests;

use model::{Side, Timestamp};
use serde_json::{Map, Value};

use crate::out::Out;
use crate::parser::{AppParser, Datagrams, FlowCtx, Probe, Transports, Verdict};

use message::{Kind, MAX_DATAGRAM, MAX_URIS};

/// Datagrams read per flow before the parser is done.
const MAX_DATAGRAMS: u32 = 64;

/// The WS-Discovery multicast port (WS-Discovery 1.1 §2.4).
const WSD_PORT: u16 = 3702;

/// Per-flow state.
#[derive(Debug, Default)]
pub struct WsDiscovery {
    datagrams: Datagrams,
}

impl AppParser for WsDiscovery {
    const NAME: &'static str = "wsdiscovery";
    const TRANSPORTS: Transports = Transports::Udp;

    fn probe(first: &[u8], _side: Side, ctx: &FlowCtx) -> Probe {
        // An XML document with "Envelope" and a WS-Discovery namespace in its first 1 KiB;
        // an Envelope without the namespace that early only on port 3702.
        match message::looks_like(first) {
            (true, true) => Probe::Yes,
            (true, false) if ctx.has_port(WSD_PORT) => Probe::Yes,
            _ => Probe::No,
        }
    }

    fn new(_ctx: &FlowCtx) -> Self {
        Self::default()
    }

    fn feed(&mut self, side: Side, _ts: Timestamp, data: &[u8], out: &mut Out<'_>) -> Verdict {
        let verdict = self.datagrams.count(MAX_DATAGRAMS, out);
        if data.len() > MAX_DATAGRAM {
            out.count("wsdiscovery_datagram_too_large");
        } else {
            match message::parse(data) {
                Ok(m) => report(side, &m, out),
                Err(e) => out.anomaly(e.as_str()),
            }
        }
        verdict
    }

    fn gap(&mut self, _side: Side, _len: u32, _out: &mut Out<'_>) -> Verdict {
        // Datagrams stand alone.
        Verdict::Continue
    }

    fn end(&mut self, _out: &mut Out<'_>) {}
}

/// Facts (for messages about the sender) and the event of one message.
fn report(side: Side, m: &message::Message, out: &mut Out<'_>) {
    for _ in 0..m.dropped {
        out.count("wsdiscovery_items_dropped");
    }
    if m.kind.describes_sender() {
        let (mut scopes, mut xaddrs) = (0, 0);
        for e in &m.entries {
            if let Some(ep) = &e.endpoint {
                out.fact_text(side, "wsdiscovery.endpoint", ep);
            }
            if let Some(t) = &e.types {
                out.fact_text(side, "wsdiscovery.types", t);
            }
            for s in &e.scopes {
                if scopes < MAX_URIS {
                    out.fact_text(side, "wsdiscovery.scopes", s);
                    scopes += 1;
                } else {
                    out.count("wsdiscovery_items_dropped");
                }
            }
            for x in &e.xaddrs {
                if xaddrs < MAX_URIS {
                    out.fact_text(side, "wsdiscovery.xaddrs", x);
                    xaddrs += 1;
                } else {
                    out.count("wsdiscovery_items_dropped");
                }
            }
            if e.sdc {
                out.fact_text(side, "wsdiscovery.sdc", "true");
            }
        }
    }
    if !out.events_enabled() {
        return;
    }
    let strings = |f: &dyn Fn(&message::Entry) -> Vec<String>| -> Value {
        Value::Array(m.entries.iter().flat_map(f).map(Value::String).collect())
    };
    let mut o = Map::new();
    o.insert("action".into(), m.action.clone().into());
    o.insert(
        "types".into(),
        strings(&|e| {
            e.types
                .iter()
                .flat_map(|t| t.split(' '))
                .map(String::from)
                .collect()
        }),
    );
    o.insert("scopes".into(), strings(&|e| e.scopes.clone()));
    o.insert("xaddrs".into(), strings(&|e| e.xaddrs.clone()));
    if let Some(ep) = m.entries.iter().find_map(|e| e.endpoint.clone()) {
        o.insert("endpoint".into(), ep.into());
    }
    if matches!(m.kind, Kind::ProbeMatches | Kind::ResolveMatches) {
        o.insert("matches".into(), m.entries.len().into());
    }
    o.insert("sdc".into(), m.entries.iter().any(|e| e.sdc).into());
    out.event(o);
}
