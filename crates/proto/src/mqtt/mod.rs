//! MQTT 3.1, 3.1.1 and 5.0 over TCP (OASIS MQTT Version 3.1.1 §2–§3, OASIS MQTT Version 5.0
//! §2–§3; 3.1 is the IBM predecessor, protocol name "MQIsdp"). The client's CONNECT names the
//! client (its client id is the device's identity on the broker) and says whether a user name
//! and password cross in cleartext; the server's CONNACK says whether it let the client in.
//! PUBLISH and SUBSCRIBE are only counted: topic names can carry identifiers (a patient's
//! bed, a pump's serial), so nothing about them is kept.
//!
//! # Facts
//!
//! All about the client (the side that sent CONNECT):
//! - `mqtt.client_id`: the Client Identifier (§3.1.3.1), e.g. `pump-17-XYZ`.
//! - `mqtt.protocol_level`: `3.1`, `3.1.1` or `5.0` (§3.1.2.2 Protocol Level 3/4/5).
//! - `mqtt.username_present`: `true` / `false` (§3.1.2.8 User Name Flag).
//!
//! # Exposures
//!
//! CleartextCredentials (client): CONNECT with the Password Flag (subject `MQTT CONNECT`,
//! field `password`, user present = User Name Flag), or with the User Name Flag alone
//! (subject `MQTT CONNECT username`, field `username`). Neither value is ever read.
//!
//! # Event
//!
//! Object `mqtt`, with Suricata EVE's names:
//! - `{"connect": {qos, retain, dup, protocol_string, protocol_version, client_id,
//!   keep_alive, flags: {username, password, will, will_retain, clean_session}}}` — never
//!   the user name or password.
//! - `{"connack": {qos, retain, dup, session_present, return_code}}`.
//! - at the end of a flow that published or subscribed: `{"summary": {publish, subscribe,
//!   subscribe_topics}}` (counts only).
//!
//! Counters: `messages`, `publish`, `subscribe`, `mqtt_packet_too_large` (over 64 KiB,
//! skipped), and the anomalies: `mqtt_remaining_length_too_long`, `mqtt_varint_too_long`,
//! `mqtt_field_past_end`, `mqtt_unknown_protocol`, `mqtt_invalid_header_flags`,
//! `mqtt_connect_reserved_flag`, `mqtt_connack_reserved_flags`, `mqtt_second_connect`,
//! `mqtt_second_connack`, `mqtt_connect_from_server`, `mqtt_connack_from_client`,
//! `mqtt_subscribe_from_server`, `mqtt_subscribe_without_filter`,
//! `mqtt_reserved_packet_type`.

mod packet;
#[cfg(test)]
mod tests;

use model::{ExposureKind, Side, Timestamp};
use serde_json::{Map, Value};

use crate::buffer::{Fed, MAX_MESSAGE, StreamBuf};
use crate::out::{Out, text_value};
use crate::parser::{AppParser, FlowCtx, Probe, Transports, Verdict};

use packet::{FixedHeader, MAX_PACKET, frame, ptype};

/// Packets read after CONNECT and CONNACK before the parser is done.
const MAX_AFTER_HANDSHAKE: u32 = 64;

/// Smallest CONNECT body: protocol name "MQTT" (2+4), level, flags, keep alive (2), client
/// id length (2) (§3.1.2–§3.1.3).
const MIN_CONNECT: usize = 12;

/// Per-flow state: one buffer per side, and what the exchange has shown so far.
#[derive(Debug, Default)]
pub struct Mqtt {
    bufs: [StreamBuf; 2],
    state: State,
}

#[derive(Debug, Default)]
struct State {
    /// Protocol level from CONNECT (decides whether v5 properties are present).
    level: Option<u8>,
    connack: bool,
    /// Packets after both CONNECT and CONNACK.
    after: u32,
    publish: u32,
    subscribe: u32,
    subscribe_topics: u32,
}

impl AppParser for Mqtt {
    const NAME: &'static str = "mqtt";
    const TRANSPORTS: Transports = Transports::Tcp;

    fn probe(first: &[u8], side: Side, _ctx: &FlowCtx) -> Probe {
        // §3.1.0: the first packet a client sends is CONNECT. A server's CONNACK (20 02 ..)
        // seen mid-stream is four bytes anyone could send: not enough.
        if side != Side::Client {
            return Probe::No;
        }
        probe_connect(first)
    }

    fn new(_ctx: &FlowCtx) -> Self {
        Self::default()
    }

    fn feed(&mut self, side: Side, _ts: Timestamp, data: &[u8], out: &mut Out<'_>) -> Verdict {
        let Self { bufs, state } = self;
        let fed = bufs[side as usize].feed(data, MAX_PACKET, frame, |p| {
            state.packet(side, p, out);
        });
        match fed {
            Fed::Ok => {}
            Fed::Oversize => out.count("mqtt_packet_too_large"),
            Fed::Invalid => {
                // §2.2.3: a Remaining Length of more than four bytes; the stream is lost.
                out.anomaly("mqtt_remaining_length_too_long");
                return Verdict::Done;
            }
        }
        if state.level.is_some() && state.connack && state.after >= MAX_AFTER_HANDSHAKE {
            Verdict::Done
        } else {
            Verdict::Continue
        }
    }

    fn gap(&mut self, _side: Side, _len: u32, _out: &mut Out<'_>) -> Verdict {
        // Packet boundaries cannot be found again in a binary stream.
        Verdict::Done
    }

    fn end(&mut self, out: &mut Out<'_>) {
        let s = &self.state;
        if out.events_enabled() && (s.publish > 0 || s.subscribe > 0) {
            let mut sum = Map::new();
            sum.insert("publish".into(), s.publish.into());
            sum.insert("subscribe".into(), s.subscribe.into());
            sum.insert("subscribe_topics".into(), s.subscribe_topics.into());
            let mut o = Map::new();
            o.insert("summary".into(), Value::Object(sum));
            out.event(o);
        }
    }
}

/// Content check: a CONNECT fixed header with a sane Remaining Length, then the protocol
/// name and level of 3.1 or 3.1.1/5.0 (§3.1.1, §3.1.2.1–2).
fn probe_connect(first: &[u8]) -> Probe {
    match first.first() {
        None => return Probe::NeedMore,
        Some(0x10) => {}
        Some(_) => return Probe::No,
    }
    let h = match packet::fixed_header(first) {
        Ok(h) => h,
        Err(wire::cursor::ReadError::Incomplete { .. }) => return Probe::NeedMore,
        Err(wire::cursor::ReadError::Malformed(_)) => return Probe::No,
    };
    if !(MIN_CONNECT..=MAX_MESSAGE).contains(&h.remaining) {
        return Probe::No;
    }
    let rest = first.get(h.header_len..).unwrap_or_default();
    let names: [(&[u8], &[u8]); 2] = [(b"\x00\x04MQTT", &[3, 4, 5]), (b"\x00\x06MQIsdp", &[3])];
    for (name, levels) in names {
        let n = rest.len().min(name.len());
        if rest.get(..n) != name.get(..n) {
            continue;
        }
        return match rest.get(name.len()) {
            None => Probe::NeedMore,
            Some(level) if levels.contains(level) => Probe::Yes,
            Some(_) => Probe::No,
        };
    }
    Probe::No
}

impl State {
    /// One whole packet from `side`: the transition table of the exchange.
    fn packet(&mut self, side: Side, p: &[u8], out: &mut Out<'_>) {
        out.count("messages");
        let Ok(h) = packet::fixed_header(p) else {
            return;
        };
        let body = p.get(h.header_len..).unwrap_or_default();
        if !h.flags_valid() {
            // §2.2.2: reserved flag values are a protocol violation.
            out.anomaly("mqtt_invalid_header_flags");
        }
        let handshake_done = self.level.is_some() && self.connack;
        match (h.ptype, side) {
            (ptype::CONNECT, Side::Client) if self.level.is_none() => self.connect(&h, body, out),
            // §3.1.0: a client sends CONNECT once per connection.
            (ptype::CONNECT, Side::Client) => out.anomaly("mqtt_second_connect"),
            (ptype::CONNECT, Side::Server) => out.anomaly("mqtt_connect_from_server"),
            (ptype::CONNACK, Side::Server) if !self.connack => self.connack(&h, body, out),
            (ptype::CONNACK, Side::Server) => out.anomaly("mqtt_second_connack"),
            (ptype::CONNACK, Side::Client) => out.anomaly("mqtt_connack_from_client"),
            (ptype::PUBLISH, _) => {
                // §3.3.2.1 Topic Name: counted, never read.
                self.publish += 1;
                out.count("publish");
            }
            (ptype::SUBSCRIBE, Side::Client) => {
                self.subscribe += 1;
                out.count("subscribe");
                match packet::subscribe_filters(body, self.level.unwrap_or(4)) {
                    Ok(n) => self.subscribe_topics += n,
                    Err(reason) => out.anomaly(reason),
                }
            }
            (ptype::SUBSCRIBE, Side::Server) => out.anomaly("mqtt_subscribe_from_server"),
            (ptype::RESERVED, _) => out.anomaly("mqtt_reserved_packet_type"),
            // AUTH exists only in 5.0 (v5.0 §3.15).
            (ptype::AUTH, _) if self.level.is_some_and(|l| l != 5) => {
                out.anomaly("mqtt_reserved_packet_type")
            }
            _ => {}
        }
        if handshake_done {
            self.after += 1;
        }
    }

    fn connect(&mut self, h: &FixedHeader, body: &[u8], out: &mut Out<'_>) {
        let c = match packet::parse_connect(body) {
            Ok(c) => c,
            Err(reason) => {
                out.anomaly(reason);
                // Still the CONNECT: the exchange goes on.
                self.level = Some(4);
                return;
            }
        };
        self.level = Some(c.level);
        if c.flags.reserved() {
            // §3.1.2.3: the reserved flag MUST be zero.
            out.anomaly("mqtt_connect_reserved_flag");
        }
        let user = c.flags.username();
        out.fact(Side::Client, "mqtt.client_id", c.client_id);
        let level = packet::level_name(c.level).unwrap_or("unknown");
        out.fact_text(Side::Client, "mqtt.protocol_level", level);
        out.fact_text(
            Side::Client,
            "mqtt.username_present",
            if user { "true" } else { "false" },
        );
        if c.flags.password() {
            out.exposure(
                ExposureKind::CleartextCredentials,
                Side::Client,
                "MQTT CONNECT",
                vec!["password".into()],
                Some(user),
            );
        } else if user {
            out.exposure(
                ExposureKind::CleartextCredentials,
                Side::Client,
                "MQTT CONNECT username",
                vec!["username".into()],
                Some(true),
            );
        }
        if out.events_enabled() {
            let mut flags = Map::new();
            flags.insert("username".into(), user.into());
            flags.insert("password".into(), c.flags.password().into());
            flags.insert("will".into(), c.flags.will().into());
            flags.insert("will_retain".into(), c.flags.will_retain().into());
            flags.insert("clean_session".into(), c.flags.clean_session().into());
            let mut o = header_fields(h);
            o.insert("protocol_string".into(), text_value(c.protocol_name));
            o.insert("protocol_version".into(), c.level.into());
            o.insert("client_id".into(), text_value(c.client_id));
            o.insert("keep_alive".into(), c.keep_alive.into());
            o.insert("flags".into(), Value::Object(flags));
            let mut e = Map::new();
            e.insert("connect".into(), Value::Object(o));
            out.event(e);
        }
    }

    fn connack(&mut self, h: &FixedHeader, body: &[u8], out: &mut Out<'_>) {
        self.connack = true;
        let a = match packet::parse_connack(body) {
            Ok(a) => a,
            Err(reason) => {
                out.anomaly(reason);
                return;
            }
        };
        if out.events_enabled() {
            let mut o = header_fields(h);
            o.insert("session_present".into(), a.session_present.into());
            o.insert("return_code".into(), a.return_code.into());
            let mut e = Map::new();
            e.insert("connack".into(), Value::Object(o));
            out.event(e);
        }
    }
}

/// EVE's fixed-header fields (qos, retain, dup).
fn header_fields(h: &FixedHeader) -> Map<String, Value> {
    let mut o = Map::new();
    o.insert("qos".into(), h.qos().into());
    o.insert("retain".into(), h.retain().into());
    o.insert("dup".into(), h.dup().into());
    o
}
