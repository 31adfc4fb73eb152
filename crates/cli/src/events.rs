//! `--events FILE`: application events as JSON lines in the shape of Suricata's EVE output
//! (docs/events.md): `timestamp`, `flow_id`, `src_ip`, `src_port`, `dest_ip`, `dest_port`,
//! `proto`, `event_type`, `app_proto`, then one object named after the protocol. `src` is the
//! side that opened the flow (the client), as in EVE's transaction records.

use std::io::{self, Write};

use model::{AppEvent, Transport, TsPrecision};
use serde_json::{Map, Value};

/// Writes events, one JSON object per line.
#[derive(Debug)]
pub struct EventWriter<W: Write> {
    out: W,
    /// Events written.
    pub written: u64,
}

/// EVE's protocol names (upper case) for the transports it knows.
fn proto_name(t: Transport) -> String {
    match t {
        Transport::Ip(6) => "TCP".into(),
        Transport::Ip(17) => "UDP".into(),
        Transport::Ip(1) => "ICMP".into(),
        Transport::Ip(58) => "IPv6-ICMP".into(),
        Transport::Ip(132) => "SCTP".into(),
        Transport::Ip(n) => n.to_string(),
        Transport::Link(e) => format!("ETHERTYPE-0x{e:04x}"),
    }
}

impl<W: Write> EventWriter<W> {
    /// A writer over `out`.
    pub fn new(out: W) -> Self {
        Self { out, written: 0 }
    }

    /// Writes one event.
    pub fn write(&mut self, e: &AppEvent) -> io::Result<()> {
        let f = &e.flow;
        let mut m = Map::new();
        m.insert(
            "timestamp".into(),
            Value::from(e.ts.rfc3339(TsPrecision::Micro).to_string()),
        );
        if f.id != 0 {
            m.insert("flow_id".into(), Value::from(f.id));
        }
        if let Some(v) = f.vlan {
            m.insert("vlan".into(), Value::from(vec![v]));
        }
        if let Some(ip) = f.client.ip {
            m.insert("src_ip".into(), Value::from(ip.to_string()));
            m.insert("src_port".into(), Value::from(f.client.port));
        }
        if let Some(ip) = f.server.ip {
            m.insert("dest_ip".into(), Value::from(ip.to_string()));
            m.insert("dest_port".into(), Value::from(f.server.port));
        }
        m.insert("proto".into(), Value::from(proto_name(f.transport)));
        if f.client.mac.is_some() || f.server.mac.is_some() {
            let mut ether = Map::new();
            if let Some(mac) = f.client.mac {
                ether.insert("src_mac".into(), Value::from(mac.to_string()));
            }
            if let Some(mac) = f.server.mac {
                ether.insert("dest_mac".into(), Value::from(mac.to_string()));
            }
            m.insert("ether".into(), Value::Object(ether));
        }
        m.insert("event_type".into(), Value::from(e.event_type));
        m.insert("app_proto".into(), Value::from(e.event_type));
        m.insert(e.event_type.into(), Value::Object(e.body.clone()));
        serde_json::to_writer(&mut self.out, &m)?;
        self.out.write_all(b"\n")?;
        self.written += 1;
        Ok(())
    }

    /// Flushes.
    pub fn finish(mut self) -> io::Result<()> {
        self.out.flush()
    }
}
