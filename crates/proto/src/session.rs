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
    /// Delivery stopped: no parser wanted it (`None`) or the parser is done.
    Finished(Option<&'static str>),
}

/// A flow being probed or parsed.
#[derive(Debug)]
pub struct Session {
    flow: FlowRef,
    ctx: FlowCtx,
    state: State,
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
            Self::Live(s) => match &s.state {
                State::Active(p) => Some(p.name()),
                State::Probing { .. } => None,
            },
            Self::Finished(name) => *name,
        }
    }

    /// In-order bytes `side` sent on a TCP flow. `flow` builds the flow's reference and
    /// context once, on the first delivery.
    pub fn data(
        &mut self,
        flow: impl FnOnce() -> (FlowRef, FlowCtx),
        side: Side,
        ts: Timestamp,
        data: &[u8],
        collector: &mut Collector,
    ) -> Next {
        match self {
            Self::Empty => {
                let (flow, ctx) = flow();
                let all = registry::candidates(ctx.transport);
                match probe(all, data, side, &ctx, data.len() >= PROBE_LIMIT) {
                    Probed::Rejected => {
                        *self = Self::Finished(None);
                        Verdict::Done
                    }
                    Probed::Matched(i) => {
                        let mut session = Box::new(Session::active(flow, ctx, i, collector));
                        let v = session.feed(side, ts, data, collector);
                        *self = Self::Live(session);
                        self.settle(v, ts, collector)
                    }
                    Probed::Pending(candidates) => {
                        let mut held = [Vec::new(), Vec::new()];
                        held[index(side)] = data.to_vec();
                        *self = Self::Live(Box::new(Session {
                            flow,
                            ctx,
                            state: State::Probing {
                                candidates,
                                held,
                                first: side,
                            },
                        }));
                        Verdict::Continue
                    }
                }
            }
            Self::Live(session) => {
                let v = session.data(side, ts, data, collector);
                self.settle(v, ts, collector)
            }
            Self::Finished(_) | Self::UdpMisses(_) => Verdict::Done,
        }
    }

    /// One UDP datagram `side` sent.
    pub fn datagram(
        &mut self,
        flow: impl FnOnce() -> (FlowRef, FlowCtx),
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
                let (flow, ctx) = flow();
                let all = registry::candidates(ctx.transport);
                match probe(all, data, side, &ctx, true) {
                    Probed::Matched(i) => {
                        let mut session = Box::new(Session::active(flow, ctx, i, collector));
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
            Self::Finished(_) => Verdict::Done,
        }
    }

    /// `len` bytes `side` sent were lost.
    pub fn gap(&mut self, side: Side, ts: Timestamp, len: u32, collector: &mut Collector) -> Next {
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
        self.settle(v, ts, collector)
    }

    /// The flow ended.
    pub fn end(&mut self, ts: Timestamp, collector: &mut Collector) {
        if let Self::Live(session) = self {
            let name = session.finish(ts, collector);
            *self = Self::Finished(name);
        }
    }

    /// After a call: a `Done` parser is ended and the slot keeps only its name.
    fn settle(&mut self, v: Verdict, ts: Timestamp, collector: &mut Collector) -> Next {
        if v == Verdict::Done {
            self.end(ts, collector);
            if matches!(self, Self::Empty | Self::UdpMisses(_)) {
                *self = Self::Finished(None);
            }
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
    fn unknown_stream_is_given_up_at_once() {
        let (name, obs, _) = run_session(ctx_tcp(22), &[(Side::Client, b"\x16\x03\x01garbage")]);
        assert_eq!(name, None);
        assert!(obs.is_empty());
    }

    #[test]
    fn gap_while_probing_gives_up() {
        let mut slot = AppSlot::default();
        let mut c = Collector::new(false);
        let ctx = ctx_tcp(22);
        let flow = crate::testing::flow_ref(&ctx);
        let v = slot.data(
            || (flow.clone(), ctx),
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
