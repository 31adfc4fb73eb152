//! Per-flow application state, kept in the flow table's own entry (no second map): probing
//! by content, then the one parser that recognised the flow, then done.

use model::{FlowRef, Side, Timestamp};

use crate::out::{Collector, Out};
use crate::parser::{FlowCtx, Probe, Verdict};
use crate::registry::{self, Parser};

/// Bytes of one side kept while probing; a parser still unsure after this many says no.
const PROBE_LIMIT: usize = 512;

/// UDP datagrams probed before a flow is given up as unknown.
const PROBE_DATAGRAMS: u8 = 4;

/// TCP deliveries watched for a TLS handshake after a parser is done or no parser wanted the
/// flow: TLS often starts after another protocol on the same connection (STARTTLS in SMTP,
/// IMAP, POP3, FTP, LDAP; HTTP CONNECT; a SOCKS or PROXY-protocol header; ADB's STLS), and a
/// ClientHello starts a delivery of its own. Each watched delivery costs a five-byte check.
const WATCH_DELIVERIES: u8 = 4;

/// What a flow's application layer is, as the sink drives it.
#[derive(Debug, Default)]
pub enum AppSlot {
    /// Nothing delivered yet.
    #[default]
    Empty,
    /// UDP: this many datagrams were probed and no parser wanted them (no session yet, so an
    /// unknown UDP flow costs no allocation).
    UdpMisses(u8),
    /// Probing or parsing.
    Live(Box<Session>),
    /// A TCP flow whose parser is done (or that no parser wanted), watched for a TLS
    /// handshake for a few more deliveries (see [`WATCH_DELIVERIES`]).
    Watching {
        /// The protocol recognised first, if any: what the flow record reports.
        first: Option<&'static str>,
        /// Deliveries still watched.
        left: u8,
    },
    /// Delivery stopped: no parser wanted it (`None`) or the parser is done.
    Finished(Option<&'static str>),
}

/// A flow being probed or parsed.
#[derive(Debug)]
pub struct Session {
    flow: FlowRef,
    ctx: FlowCtx,
    state: State,
    /// The protocol the connection spoke before it switched to this one (STARTTLS).
    upgraded_from: Option<&'static str>,
}

#[derive(Debug)]
enum State {
    Probing {
        /// Registry indexes still in the running (bit i: parser i).
        candidates: u64,
        /// Bytes each side sent so far (client, server).
        held: [Vec<u8>; 2],
        /// The side whose bytes came first (fed first once a parser is chosen).
        first: Side,
    },
    Active(Parser),
}

/// What the sink should do after a call.
pub type Next = Verdict;

fn index(side: Side) -> usize {
    match side {
        Side::Client => 0,
        Side::Server => 1,
    }
}

/// Outcome of probing the candidates on some bytes.
enum Probed {
    Matched(usize),
    Pending(u64),
    Rejected,
}

fn probe(candidates: u64, first: &[u8], side: Side, ctx: &FlowCtx, exhausted: bool) -> Probed {
    let mut pending = 0u64;
    for i in 0..registry::count() {
        if candidates & (1 << i) == 0 {
            continue;
        }
        match registry::probe(i, first, side, ctx) {
            Probe::Yes => return Probed::Matched(i),
            Probe::NeedMore if !exhausted => pending |= 1 << i,
            Probe::NeedMore | Probe::No => {}
        }
    }
    if pending == 0 {
        Probed::Rejected
    } else {
        Probed::Pending(pending)
    }
}

impl AppSlot {
    /// The protocol recognised on the flow, if any.
    pub fn app_name(&self) -> Option<&'static str> {
        match self {
            Self::Empty | Self::UdpMisses(_) => None,
            Self::Live(s) => s.upgraded_from.or(match &s.state {
                State::Active(p) => Some(p.name()),
                State::Probing { .. } => None,
            }),
            Self::Watching { first, .. } => *first,
            Self::Finished(name) => *name,
        }
    }

    /// In-order bytes `side` sent on a TCP flow, with the flow's context (transport, ports).
    /// `flow` builds the flow's reference, only when a parser may want it (most flows are
    /// rejected by their first bytes and never need it).
    pub fn data(
        &mut self,
        flow: impl FnOnce() -> FlowRef,
        ctx: FlowCtx,
        side: Side,
        ts: Timestamp,
        data: &[u8],
        collector: &mut Collector,
    ) -> Next {
        match self {
            Self::Empty => {
                let all = registry::candidates(ctx.transport);
                match probe(all, data, side, &ctx, data.len() >= PROBE_LIMIT) {
                    Probed::Rejected => {
                        *self = Self::Watching {
                            first: None,
                            left: WATCH_DELIVERIES,
                        };
                        Verdict::Continue
                    }
                    Probed::Matched(i) => {
                        let mut session = Box::new(Session::active(flow(), ctx, i, collector));
                        let v = session.feed(side, ts, data, collector);
                        *self = Self::Live(session);
                        self.settle(v, ts, collector)
                    }
                    Probed::Pending(candidates) => {
                        let mut held = [Vec::new(), Vec::new()];
                        held[index(side)] = data.to_vec();
                        *self = Self::Live(Box::new(Session {
                            flow: flow(),
                            ctx,
                            state: State::Probing {
                                candidates,
                                held,
                                first: side,
                            },
                            upgraded_from: None,
                        }));
                        Verdict::Continue
                    }
                }
            }
            Self::Live(session) => {
                let v = session.data(side, ts, data, collector);
                self.settle(v, ts, collector)
            }
            Self::Watching { first, left } => {
                let first = *first;
                // RFC 8446 §5.1: a handshake record starts with content type 22.
                if data.first() == Some(&22)
                    && let Some(i) = registry::index_of("tls")
                    && registry::probe(i, data, side, &ctx) == Probe::Yes
                {
                    let mut session = Box::new(Session::active(flow(), ctx, i, collector));
                    session.upgraded_from = first;
                    let v = session.feed(side, ts, data, collector);
                    *self = Self::Live(session);
                    return self.settle(v, ts, collector);
                }
                *left = left.saturating_sub(1);
                if *left == 0 {
                    *self = Self::Finished(first);
                    Verdict::Done
                } else {
                    Verdict::Continue
                }
            }
            Self::Finished(_) | Self::UdpMisses(_) => Verdict::Done,
        }
    }

    /// One UDP datagram `side` sent (see [`Self::data`] for `flow` and `ctx`).
    pub fn datagram(
        &mut self,
        flow: impl FnOnce() -> FlowRef,
        ctx: FlowCtx,
        side: Side,
        ts: Timestamp,
        data: &[u8],
        collector: &mut Collector,
    ) -> Next {
        match self {
            Self::Empty | Self::UdpMisses(_) => {
                let misses = match self {
                    Self::UdpMisses(n) => *n,
                    _ => 0,
                };
                let all = registry::candidates(ctx.transport);
                match probe(all, data, side, &ctx, true) {
                    Probed::Matched(i) => {
                        let mut session = Box::new(Session::active(flow(), ctx, i, collector));
                        let v = session.feed(side, ts, data, collector);
                        *self = Self::Live(session);
                        self.settle(v, ts, collector)
                    }
                    // Some UDP flows start with a datagram nobody knows (a fragment's tail,
                    // noise): the next few get a chance.
                    _ if misses + 1 < PROBE_DATAGRAMS => {
                        *self = Self::UdpMisses(misses + 1);
                        Verdict::Continue
                    }
                    _ => {
                        *self = Self::Finished(None);
                        Verdict::Done
                    }
                }
            }
            Self::Live(session) => {
                let v = session.feed(side, ts, data, collector);
                self.settle(v, ts, collector)
            }
            Self::Finished(_) | Self::Watching { .. } => Verdict::Done,
        }
    }

    /// `len` bytes `side` sent were lost.
    pub fn gap(&mut self, side: Side, ts: Timestamp, len: u32, collector: &mut Collector) -> Next {
        if let Self::Watching { first, .. } = self {
            *self = Self::Finished(*first);
            return Verdict::Done;
        }
        let Self::Live(session) = self else {
            return Verdict::Done;
        };
        let v = match &mut session.state {
            // A hole while probing: the bytes we would probe are not there.
            State::Probing { .. } => Verdict::Done,
            State::Active(p) => {
                let name = p.name();
                p.gap(side, len, &mut Out::new(collector, &session.flow, ts, name))
            }
        };
        if v == Verdict::Done {
            // After a hole nothing is watched: a ClientHello would not be found at a boundary.
            self.end(ts, collector);
        }
        v
    }

    /// The flow ended.
    pub fn end(&mut self, ts: Timestamp, collector: &mut Collector) {
        match self {
            Self::Live(session) => {
                let name = session.finish(ts, collector);
                *self = Self::Finished(session.upgraded_from.or(name));
            }
            Self::Watching { first, .. } => *self = Self::Finished(*first),
            _ => {}
        }
    }

    /// After a call: a `Done` parser is ended and the slot keeps only its name; a TCP flow
    /// whose parser was not TLS is then watched for a TLS handshake (STARTTLS and the like).
    fn settle(&mut self, v: Verdict, ts: Timestamp, collector: &mut Collector) -> Next {
        if v != Verdict::Done {
            return v;
        }
        let watch = match self {
            Self::Live(s) => {
                s.ctx.is_tcp()
                    && !matches!(&s.state, State::Active(p) if p.name() == "tls")
                    && s.upgraded_from.is_none()
            }
            _ => false,
        };
        self.end(ts, collector);
        if matches!(self, Self::Empty | Self::UdpMisses(_)) {
            *self = Self::Finished(None);
        }
        if watch && let Self::Finished(first) = self {
            *self = Self::Watching {
                first: *first,
                left: WATCH_DELIVERIES,
            };
            return Verdict::Continue;
        }
        v
    }
}

impl Session {
    fn active(flow: FlowRef, ctx: FlowCtx, i: usize, collector: &mut Collector) -> Self {
        collector.count(registry::name(i), "flows");
        Self {
            state: State::Active(registry::create(i, &ctx)),
            flow,
            ctx,
            upgraded_from: None,
        }
    }

    fn feed(
        &mut self,
        side: Side,
        ts: Timestamp,
        data: &[u8],
        collector: &mut Collector,
    ) -> Verdict {
        match &mut self.state {
            State::Active(p) => {
                let name = p.name();
                p.feed(
                    side,
                    ts,
                    data,
                    &mut Out::new(collector, &self.flow, ts, name),
                )
            }
            State::Probing { .. } => Verdict::Continue,
        }
    }

    fn data(
        &mut self,
        side: Side,
        ts: Timestamp,
        data: &[u8],
        collector: &mut Collector,
    ) -> Verdict {
        let State::Probing {
            candidates,
            held,
            first,
            ..
        } = &mut self.state
        else {
            return self.feed(side, ts, data, collector);
        };
        let mine = &mut held[index(side)];
        let room = PROBE_LIMIT.saturating_sub(mine.len());
        mine.extend_from_slice(&data[..data.len().min(room)]);
        let first_side = *first;
        let exhausted = mine.len() >= PROBE_LIMIT;
        match probe(*candidates, mine, side, &self.ctx, exhausted) {
            Probed::Rejected => Verdict::Done,
            Probed::Pending(c) => {
                *candidates = c;
                Verdict::Continue
            }
            Probed::Matched(i) => {
                // Replay what each side sent, the earlier side first. What was cut off at the
                // probe limit is lost to the parser: a gap.
                let held = std::mem::take(held);
                let cut = data.len() - data.len().min(room);
                collector.count(registry::name(i), "flows");
                self.state = State::Active(registry::create(i, &self.ctx));
                let order = [first_side, first_side.other()];
                let mut v = Verdict::Continue;
                for s in order {
                    let bytes = &held[index(s)];
                    if !bytes.is_empty() {
                        v = merge(v, self.feed(s, ts, bytes, collector));
                    }
                }
                if cut > 0 && v != Verdict::Done {
                    // The rest of this delivery, past what probing kept.
                    v = merge(v, self.feed(side, ts, &data[data.len() - cut..], collector));
                }
                v
            }
        }
    }

    fn finish(&mut self, ts: Timestamp, collector: &mut Collector) -> Option<&'static str> {
        match &mut self.state {
            State::Active(p) => {
                let name = p.name();
                p.end(&mut Out::new(collector, &self.flow, ts, name));
                Some(name)
            }
            State::Probing { .. } => None,
        }
    }
}

/// Two verdicts of one delivery: `Done` wins, then the deeper `Depth`.
fn merge(a: Verdict, b: Verdict) -> Verdict {
    match (a, b) {
        (Verdict::Done, _) | (_, Verdict::Done) => Verdict::Done,
        (Verdict::Depth(x), Verdict::Depth(y)) => Verdict::Depth(x.max(y)),
        (Verdict::Depth(x), _) | (_, Verdict::Depth(x)) => Verdict::Depth(x),
        _ => Verdict::Continue,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::{counter, ctx_tcp, ctx_udp, run_session, software};

    #[test]
    fn probing_waits_for_enough_bytes_then_replays_both_sides() {
        // The server's banner arrives in two pieces, the client's in between: the parser,
        // chosen on the fourth byte, still sees every byte of both sides.
        let (name, obs, c) = run_session(
            ctx_tcp(2222),
            &[
                (Side::Server, b"SS"),
                (Side::Client, b"SSH-2.0-PuTTY_0.80\r\n"),
                (Side::Server, b"H-2.0-OpenSSH_9.6\r\n"),
            ],
        );
        assert_eq!(name, Some("ssh"));
        assert_eq!(
            software(&obs),
            vec![
                ("client", "PuTTY".into(), Some("0.80".into())),
                ("server", "OpenSSH".into(), Some("9.6".into())),
            ]
        );
        assert_eq!(counter(&c, "ssh", "flows"), 1);
    }

    #[test]
    fn unknown_stream_is_watched_a_few_deliveries_then_given_up() {
        let junk: &[u8] = b"\x00\x01garbage";
        let mut slot = AppSlot::default();
        let mut c = Collector::new(false);
        let ctx = ctx_tcp(9999);
        let flow = crate::testing::flow_ref(&ctx);
        let mut verdicts = Vec::new();
        for _ in 0..6 {
            verdicts.push(slot.data(
                || flow.clone(),
                ctx,
                Side::Client,
                Timestamp(0),
                junk,
                &mut c,
            ));
        }
        let continues = verdicts.iter().filter(|v| **v == Verdict::Continue).count();
        assert_eq!(continues, usize::from(WATCH_DELIVERIES));
        assert_eq!(verdicts[usize::from(WATCH_DELIVERIES)], Verdict::Done);
        assert_eq!(slot.app_name(), None);
    }

    #[test]
    fn tls_after_another_protocol_on_the_connection_is_parsed() {
        // An SSH-like banner exchange, then (as after STARTTLS or a SOCKS/PROXY header) a TLS
        // ClientHello starting a delivery: the TLS parser takes over, the flow stays "ssh".
        // The ClientHello of arkime/tests/pcap/https3-301-get.pcap (the TLS tests annotate
        // it field by field), SNI www.github.com.
        let hex = concat!(
            "16030100720100006e030152937a55b696cc98ae7b08ec10e765c98aefa82db3081771f8627617",
            "b967980800002e00390038003500160013000a00330032002f009a00990096000500040015001200",
            "090014001100080006000300ff0100001700000013001100000e7777772e6769746875622e636f6d"
        );
        let hello = crate::testing::hex(hex);
        let hello = hello.as_slice();
        let (name, obs, c) = run_session(
            ctx_tcp(2222),
            &[
                (Side::Server, b"SSH-2.0-OpenSSH_9.6\r\n"),
                (Side::Client, b"SSH-2.0-PuTTY_0.80\r\n"),
                (Side::Client, hello),
            ],
        );
        assert_eq!(name, Some("ssh"));
        assert_eq!(counter(&c, "tls", "flows"), 1);
        assert!(crate::testing::fact(&obs, "tls.sni").is_some(), "{obs:?}");
    }

    #[test]
    fn gap_while_probing_gives_up() {
        let mut slot = AppSlot::default();
        let mut c = Collector::new(false);
        let ctx = ctx_tcp(22);
        let flow = crate::testing::flow_ref(&ctx);
        let v = slot.data(
            || flow.clone(),
            ctx,
            Side::Server,
            Timestamp(0),
            b"SS",
            &mut c,
        );
        assert_eq!(v, Verdict::Continue);
        assert_eq!(
            slot.gap(Side::Server, Timestamp(0), 10, &mut c),
            Verdict::Done
        );
        assert!(matches!(slot, AppSlot::Finished(None)));
    }

    #[test]
    fn udp_flow_of_unknown_datagrams_is_given_up_after_a_few() {
        let d: &[u8] = b"\x00\x01\x02";
        let (name, _, _) = run_session(ctx_udp(9999), &[(Side::Client, d); 8]);
        assert_eq!(name, None);
    }
}
