//! The interface every application parser implements (CONVENTIONS §2), in the spirit of
//! Zeek's analyzers (`DeliverStream`, `Undelivered`, `EndOfData`, `SetSkip`) and Suricata's
//! per-direction probe/parse functions.

use model::{Side, Timestamp, Transport};

use crate::out::Out;

/// What a flow looks like to a parser before it has seen anything: transport and ports.
/// Ports are hints only; parsers recognise themselves by content.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FlowCtx {
    /// TCP or UDP.
    pub transport: Transport,
    /// The client's port.
    pub client_port: u16,
    /// The server's port.
    pub server_port: u16,
}

impl FlowCtx {
    /// True when either side uses `port`.
    pub fn has_port(&self, port: u16) -> bool {
        self.client_port == port || self.server_port == port
    }

    /// True for TCP.
    pub fn is_tcp(&self) -> bool {
        self.transport == Transport::TCP
    }
}

/// Which transports a parser reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Transports {
    /// Reassembled TCP streams.
    Tcp,
    /// UDP datagrams, one message each.
    Udp,
    /// Both.
    Both,
}

impl Transports {
    /// True when a flow over `t` is for this parser.
    pub fn admits(self, t: Transport) -> bool {
        matches!(
            (self, t),
            (Self::Tcp | Self::Both, Transport::Ip(6))
                | (Self::Udp | Self::Both, Transport::Ip(17))
        )
    }
}

/// A parser's answer to "is this yours?", given the first bytes one side sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Probe {
    /// Yes: create the parser and feed it.
    Yes,
    /// No: never ask again for this flow.
    No,
    /// Cannot tell yet: ask again with more bytes (TCP only; a UDP datagram is whole).
    NeedMore,
}

/// What a parser wants after a delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Keep delivering.
    Continue,
    /// Seen enough: stop delivering this flow (reassembly stops too).
    Done,
    /// Keep delivering, up to this many bytes per side (beyond the default 64 KiB).
    Depth(u32),
}

/// One application protocol's parser. One value lives in each flow that speaks it.
pub trait AppParser: Sized {
    /// Stable protocol id used in flow records, services, facts, events and stats.
    const NAME: &'static str;
    /// Transports it reads.
    const TRANSPORTS: Transports;
    /// Content check on the first bytes `side` sent (at most a few hundred bytes).
    fn probe(first: &[u8], side: Side, ctx: &FlowCtx) -> Probe;
    /// A parser for a flow that probed `Yes`.
    fn new(ctx: &FlowCtx) -> Self;
    /// Bytes `side` sent at `ts` (TCP: the next in-order bytes; UDP: one datagram). Writes
    /// observations and events to `out`; never keeps patient values or secrets.
    fn feed(&mut self, side: Side, ts: Timestamp, data: &[u8], out: &mut Out<'_>) -> Verdict;
    /// `len` bytes `side` sent were lost: resynchronise or give up.
    fn gap(&mut self, side: Side, len: u32, out: &mut Out<'_>) -> Verdict;
    /// The flow ended.
    fn end(&mut self, out: &mut Out<'_>);
}

/// A UDP parser's datagram budget (each datagram is one message): counts them and ends the
/// flow's parse after the protocol's limit.
#[derive(Debug, Default)]
pub(crate) struct Datagrams(u32);

impl Datagrams {
    /// Counts one more datagram, and the `messages` counter. Returns the verdict for it:
    /// [`Verdict::Done`] once `max` datagrams were read.
    pub(crate) fn count(&mut self, max: u32, out: &mut Out<'_>) -> Verdict {
        self.0 += 1;
        out.count("messages");
        if self.0 >= max {
            Verdict::Done
        } else {
            Verdict::Continue
        }
    }
}
