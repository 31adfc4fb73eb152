//! The flow table: a hash map from [`FlowKey`] to a slab of flows, with one LRU list per
//! timeout class so expiry and eviction only ever look at list fronts.

use std::hash::BuildHasher;

use foldhash::fast::FixedState;
use hashbrown::HashTable;
use model::{Endpoint, FlowEnd, FlowObservation, FlowRef, MacAddr, Side, Timestamp, Transport};

use crate::config::FlowConfig;
use crate::key::{FlowKey, KeyDirection};
use crate::lru::{Links, List};
use crate::reassembly::{Ctx, Delivery, HalfStream, ReassemblyStats, StreamSink};

/// Unique id of a flow within one table's life (never reused), for sinks keeping state.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowId(pub u64);

/// A TCP segment's fields the table needs.
#[derive(Debug, Clone, Copy)]
pub struct TcpSegment<'a> {
    /// Sequence number.
    pub seq: u32,
    /// Acknowledgment number (meaningful when ACK is set).
    pub ack: u32,
    /// Flag bits as on the wire (FIN 0x01, SYN 0x02, RST 0x04, PSH 0x08, ACK 0x10, …).
    pub flags: u16,
    /// Payload bytes (as captured).
    pub payload: &'a [u8],
}

const FIN: u16 = 0x01;
const SYN: u16 = 0x02;
const RST: u16 = 0x04;
const ACK: u16 = 0x10;

/// One packet as the flow table sees it.
#[derive(Debug, Clone, Copy)]
pub struct PacketInfo<'a> {
    /// Capture time.
    pub ts: Timestamp,
    /// Canonical key (see [`FlowKey::new`]).
    pub key: FlowKey,
    /// KeyDirection of this packet relative to the key.
    pub dir: KeyDirection,
    /// Link-layer source, when the link type has one.
    pub src_mac: Option<MacAddr>,
    /// Captured frame length, counted in flow bytes.
    pub captured_len: u32,
    /// IPv4 TTL or IPv6 hop limit (0 for frames without IP).
    pub ttl: u8,
    /// TCP fields, for TCP packets.
    pub tcp: Option<TcpSegment<'a>>,
    /// A UDP datagram's payload, delivered to the sink as it is (empty for everything else,
    /// and for fragments, whose payload is incomplete).
    pub datagram: &'a [u8],
}

/// Per-flow state a sink keeps in the flow's own table entry (an application parser's
/// state): no second map keyed by flow.
pub trait FlowApp: Default + std::fmt::Debug {
    /// The application protocol recognised on the flow, for its flow record.
    fn app_name(&self) -> Option<&'static str>;
}

impl FlowApp for () {
    fn app_name(&self) -> Option<&'static str> {
        None
    }
}

/// What a sink may know about a flow: its id, key, which side opened it, when.
#[derive(Debug, Clone)]
pub struct FlowMeta {
    /// Id (unique within the table's life).
    pub id: FlowId,
    /// Key.
    pub key: FlowKey,
    /// Key direction whose sender is the client (the side that opened the conversation).
    pub client_dir: KeyDirection,
    /// First packet of the current record.
    pub first_seen: Timestamp,
    /// Link-layer source per key direction, once seen.
    pub macs: [Option<MacAddr>; 2],
}

impl FlowMeta {
    /// Which side sends in key direction `dir`.
    #[inline]
    pub fn side(&self, dir: KeyDirection) -> Side {
        if dir == self.client_dir {
            Side::Client
        } else {
            Side::Server
        }
    }

    fn dir(&self, side: Side) -> KeyDirection {
        match side {
            Side::Client => self.client_dir,
            Side::Server => self.client_dir.flip(),
        }
    }

    /// The transport port of `side` (0 for transports without ports).
    pub fn port(&self, side: Side) -> u16 {
        self.key.source(self.dir(side)).1
    }

    /// The endpoint of `side`.
    pub fn endpoint(&self, side: Side) -> Endpoint {
        let dir = self.dir(side);
        let (addr, port) = self.key.source(dir);
        match self.key.transport {
            Transport::Link(_) => Endpoint {
                mac: Some(addr.as_mac()),
                ip: None,
                port: 0,
            },
            Transport::Ip(_) => Endpoint {
                mac: self.macs[dir.index()],
                ip: Some(addr.ip()),
                port,
            },
        }
    }

    /// The flow as observations refer to it.
    pub fn flow_ref(&self) -> FlowRef {
        FlowRef {
            id: self.id.0,
            transport: self.key.transport,
            vlan: self.key.inner_vlan(),
            client: self.endpoint(Side::Client),
            server: self.endpoint(Side::Server),
        }
    }

    /// A TCP flow 10.0.0.1:40000 → 10.0.0.2:80, for tests of sinks.
    #[doc(hidden)]
    pub fn for_tests() -> Self {
        let (key, dir) = FlowKey::new(
            Transport::TCP,
            crate::pack_vlans(None, None),
            crate::FlowAddr::v4([10, 0, 0, 1]),
            40000,
            crate::FlowAddr::v4([10, 0, 0, 2]),
            80,
        );
        Self {
            id: FlowId(1),
            key,
            client_dir: dir,
            first_seen: Timestamp(0),
            macs: [None; 2],
        }
    }
}

/// Flow-table counters (`stats.flows` in the report).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FlowStats {
    /// Flows created.
    pub total: u64,
    /// Most flows held at once.
    pub peak_active: u64,
    /// Flows closed by their idle timeout.
    pub evicted_idle: u64,
    /// Flow records split by the active timeout.
    pub evicted_active_timeout: u64,
    /// Flows evicted because the table was full.
    pub evicted_capacity: u64,
    /// Flows still open when the input ended.
    pub ended_at_end_of_input: u64,
    /// TCP reassembly counters.
    pub reassembly: ReassemblyStats,
}

/// Timeout classes; each has its own LRU list ordered by last activity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    TcpEstablished = 0,
    TcpOther = 1,
    Udp = 2,
    Other = 3,
}
const CLASSES: usize = 4;

#[derive(Debug)]
struct Flow<A> {
    meta: FlowMeta,
    class: Class,
    last_seen: Timestamp,
    /// When the flow was last moved to the back of its LRU list (see [`REQUEUE_INTERVAL`]).
    queued_at: Timestamp,
    packets: [u64; 2],
    bytes: [u64; 2],
    /// TCP flags seen per direction (OR of all segments).
    tcp_flags: [u16; 2],
    /// Highest TTL / hop limit seen per direction.
    ttl: [u8; 2],
    streams: Option<Box<[HalfStream; 2]>>,
    /// The sink's per-flow state.
    app: A,
    /// The sink said [`Delivery::Stop`]: no more reassembly or delivery for this flow.
    app_stopped: bool,
    /// The key's hash as the index holds it (see [`Slot`]): removal finds the flow's slot
    /// by it without hashing or comparing the key again.
    hash: u32,
}

/// One entry of the index: a slab position and 32 bits of its key's hash. Eight bytes, not
/// the 52 of a key and position: the index of a busy link (thousands of flows) stays in
/// the core's cache, and the one cache miss of a lookup is the flow itself, which the packet
/// updates anyway. Growing the index rehashes from these bits alone, never touching flows.
#[derive(Debug, Clone, Copy)]
struct Slot {
    idx: u32,
    hash: u32,
}

/// The index's 64-bit hash of a slot's 32 bits: spread over the word (Fibonacci hashing,
/// Knuth TAOCP vol. 3 §6.4) because the table takes its bucket from the low bits and its
/// tag from the top seven.
#[inline]
fn slot_hash(hash: u32) -> u64 {
    u64::from(hash).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// The bidirectional flow table, with per-flow sink state `A`. See the crate docs.
#[derive(Debug)]
pub struct FlowTable<A = ()> {
    config: FlowConfig,
    /// Key → slab position: 8-byte [`Slot`]s compared through the slab (see [`Slot`]).
    index: HashTable<Slot>,
    hasher: FixedState,
    flows: Vec<Option<Flow<A>>>,
    links: Vec<Links>,
    free: Vec<u32>,
    lists: [List; CLASSES],
    next_id: u64,
    now: Timestamp,
    next_sweep: Timestamp,
    total_pending: usize,
    stats: FlowStats,
    ended: Vec<FlowObservation>,
    /// The flow of the previous packet: consecutive packets of one flow (a bulk transfer, a
    /// burst) skip the hash lookup. Cleared when that flow is removed.
    last: Option<(FlowKey, u32)>,
}

/// Expiry is checked at most this often (capture time): timeouts are in seconds, so a
/// per-packet check would only cost time.
const SWEEP_INTERVAL: i64 = 1_000_000_000;

/// A flow is moved to the back of its LRU list at most this often. Moving it on every packet
/// writes up to four scattered cache lines (its links and its neighbours'); a busy flow gets
/// many packets per second, so the lists stay ordered by activity to within this interval,
/// and idle expiry and capacity eviction are exact to within it — the sweep's granularity.
const REQUEUE_INTERVAL: i64 = SWEEP_INTERVAL;

impl<A: FlowApp> FlowTable<A> {
    /// An empty table with these limits.
    pub fn new(config: FlowConfig) -> Self {
        Self {
            config,
            index: HashTable::new(),
            hasher: FixedState::default(),
            flows: Vec::new(),
            links: Vec::new(),
            free: Vec::new(),
            lists: [List::default(); CLASSES],
            next_id: 1,
            now: Timestamp(i64::MIN),
            next_sweep: Timestamp(i64::MIN),
            total_pending: 0,
            stats: FlowStats::default(),
            ended: Vec::new(),
            last: None,
        }
    }

    /// Counters so far.
    pub fn stats(&self) -> &FlowStats {
        &self.stats
    }

    /// Flows currently held.
    pub fn active(&self) -> usize {
        self.index.len()
    }

    /// The flow records emitted since the last [`Self::clear_ended`].
    pub fn ended(&self) -> &[FlowObservation] {
        &self.ended
    }

    /// Forgets the flow records emitted so far (after they were read).
    pub fn clear_ended(&mut self) {
        self.ended.clear();
    }

    /// Takes the flow records emitted since the last call.
    pub fn drain_ended(&mut self) -> std::vec::Drain<'_, FlowObservation> {
        self.ended.drain(..)
    }

    /// Accounts one packet: expires idle flows, finds or creates the packet's flow, updates
    /// its counters and state, and reassembles TCP payload into `sink`.
    #[inline(always)]
    pub fn process<S: StreamSink<A>>(&mut self, pkt: &PacketInfo<'_>, sink: &mut S) -> FlowId {
        // Captures merged out of order can step back in time; the clock never does.
        if pkt.ts > self.now {
            self.now = pkt.ts;
            if self.now >= self.next_sweep {
                self.expire(sink);
                self.next_sweep = Timestamp(self.now.0.saturating_add(SWEEP_INTERVAL));
            }
        }
        let idx = match self.last {
            Some((key, idx)) if key == pkt.key => idx,
            _ => {
                let hash = key_hash(&self.hasher, &pkt.key);
                let flows = &self.flows;
                let found = self.index.find(slot_hash(hash), |s| {
                    s.hash == hash
                        && flows[s.idx as usize]
                            .as_ref()
                            .is_some_and(|f| f.meta.key == pkt.key)
                });
                let idx = match found {
                    Some(s) => s.idx,
                    None => self.create(pkt, hash, sink),
                };
                self.last = Some((pkt.key, idx));
                idx
            }
        };
        let active_timeout = self.config.active_timeout;
        let Some(flow) = self.flows[idx as usize].as_mut() else {
            unreachable!("index points at a live flow");
        };
        if pkt.ts.0.saturating_sub(flow.meta.first_seen.0) > active_timeout {
            self.stats.evicted_active_timeout += 1;
            self.ended.push(observation(flow, FlowEnd::ActiveTimeout));
            flow.meta.first_seen = pkt.ts;
            flow.packets = [0; 2];
            flow.bytes = [0; 2];
        }
        let d = pkt.dir.index();
        flow.packets[d] += 1;
        flow.bytes[d] += u64::from(pkt.captured_len);
        if pkt.ts > flow.last_seen {
            flow.last_seen = pkt.ts;
        }
        if flow.meta.macs[d].is_none() {
            flow.meta.macs[d] = pkt.src_mac;
        }
        flow.ttl[d] = flow.ttl[d].max(pkt.ttl);
        let id = flow.meta.id;
        if pkt.ts.0.saturating_sub(flow.queued_at.0) >= REQUEUE_INTERVAL {
            flow.queued_at = pkt.ts;
            self.lists[flow.class as usize].touch(&mut self.links, idx);
        }
        if let Some(tcp) = &pkt.tcp {
            let flags = flow.tcp_flags[d] | tcp.flags;
            if flags != flow.tcp_flags[d] {
                // The state (and so the timeout class) can only change with a new flag.
                flow.tcp_flags[d] = flags;
                let class = tcp_class(flow.tcp_flags);
                if class != flow.class {
                    self.lists[flow.class as usize].unlink(&mut self.links, idx);
                    flow.class = class;
                    flow.queued_at = pkt.ts;
                    self.lists[class as usize].push_back(&mut self.links, idx);
                }
            }
            // Most TCP packets need no reassembly: decided here, without the call.
            if needs_reassembly(flow, tcp) {
                self.reassemble(idx, pkt, tcp, sink);
            }
        } else if !pkt.datagram.is_empty() && !flow.app_stopped {
            let side = flow.meta.side(pkt.dir);
            if sink.datagram(&flow.meta, &mut flow.app, side, pkt.ts, pkt.datagram)
                == Delivery::Stop
            {
                flow.app_stopped = true;
            }
        }
        id
    }

    fn reassemble<S: StreamSink<A>>(
        &mut self,
        idx: u32,
        pkt: &PacketInfo<'_>,
        tcp: &TcpSegment<'_>,
        sink: &mut S,
    ) {
        let dir = pkt.dir;
        let Some(flow) = self.flows[idx as usize].as_mut() else {
            return;
        };
        // The caller checked `needs_reassembly`: data, a SYN, or an ACK for held streams.
        if flow.streams.is_none() {
            flow.streams = Some(Box::default());
        }
        let Flow {
            meta, streams, app, ..
        } = flow;
        let Some(streams) = streams.as_deref_mut() else {
            return;
        };
        let d = dir.index();
        let mut ctx = Ctx {
            config: &self.config.reassembly,
            stats: &mut self.stats.reassembly,
            total_pending: &mut self.total_pending,
            sink,
            meta,
            app,
            side: meta.side(dir),
            ts: pkt.ts,
            stopped: false,
            depth: 0,
        };
        if tcp.flags & SYN != 0 {
            streams[d].syn(tcp.seq);
        }
        let data_seq = if tcp.flags & SYN != 0 {
            tcp.seq.wrapping_add(1)
        } else {
            tcp.seq
        };
        streams[d].segment(&mut ctx, data_seq, tcp.payload);
        if tcp.flags & ACK != 0 && !ctx.stopped {
            ctx.side = ctx.side.other();
            streams[1 - d].acknowledged(&mut ctx, tcp.ack);
        }
        let (stopped, depth) = (ctx.stopped, ctx.depth);
        if depth > 0 {
            streams[0].deepen(depth);
            streams[1].deepen(depth);
        }
        if stopped {
            // The parser is done: free the held segments and stop reassembling.
            for half in streams.iter_mut() {
                half.release(&mut self.total_pending);
            }
            flow.streams = None;
            flow.app_stopped = true;
        }
    }

    fn create<S: StreamSink<A>>(&mut self, pkt: &PacketInfo<'_>, hash: u32, sink: &mut S) -> u32 {
        if self.index.len() >= self.config.max_flows.max(1) {
            self.evict_least_recent(sink);
        }
        let class = match (&pkt.tcp, pkt.key.transport) {
            (Some(_), _) => Class::TcpOther,
            (None, Transport::Ip(17)) => Class::Udp,
            _ => Class::Other,
        };
        let flow = Flow {
            meta: FlowMeta {
                id: FlowId(self.next_id),
                key: pkt.key,
                client_dir: client_direction(pkt),
                first_seen: pkt.ts,
                macs: [None; 2],
            },
            class,
            last_seen: pkt.ts,
            queued_at: pkt.ts,
            packets: [0; 2],
            bytes: [0; 2],
            tcp_flags: [0; 2],
            ttl: [0; 2],
            streams: None,
            app: A::default(),
            app_stopped: false,
            hash,
        };
        self.next_id += 1;
        let idx = match self.free.pop() {
            Some(idx) => {
                self.flows[idx as usize] = Some(flow);
                idx
            }
            None => {
                self.flows.push(Some(flow));
                self.links.push(Links::default());
                (self.flows.len() - 1) as u32
            }
        };
        self.lists[class as usize].push_back(&mut self.links, idx);
        self.index
            .insert_unique(slot_hash(hash), Slot { idx, hash }, |s| slot_hash(s.hash));
        self.stats.total += 1;
        self.stats.peak_active = self.stats.peak_active.max(self.index.len() as u64);
        idx
    }

    /// Eviction rule when full: the least recently active flow of any class goes.
    fn evict_least_recent<S: StreamSink<A>>(&mut self, sink: &mut S) {
        let victim = self
            .lists
            .iter()
            .filter_map(|l| l.front())
            .min_by_key(|&i| self.flows[i as usize].as_ref().map(|f| f.last_seen));
        if let Some(idx) = victim {
            self.stats.evicted_capacity += 1;
            self.remove(idx, FlowEnd::Capacity, sink);
        }
    }

    fn idle_timeout(&self, class: Class) -> i64 {
        match class {
            Class::TcpEstablished => self.config.tcp_established_idle,
            Class::TcpOther => self.config.tcp_other_idle,
            Class::Udp => self.config.udp_idle,
            Class::Other => self.config.other_idle,
        }
    }

    fn expire<S: StreamSink<A>>(&mut self, sink: &mut S) {
        for class in [
            Class::TcpEstablished,
            Class::TcpOther,
            Class::Udp,
            Class::Other,
        ] {
            let timeout = self.idle_timeout(class);
            while let Some(idx) = self.lists[class as usize].front() {
                let Some(flow) = self.flows[idx as usize].as_mut() else {
                    break;
                };
                if self.now.0.saturating_sub(flow.last_seen.0) > timeout {
                    self.stats.evicted_idle += 1;
                    self.remove(idx, FlowEnd::Idle, sink);
                } else if flow.queued_at < flow.last_seen {
                    // Active since it was queued: give it its place by activity and look on.
                    flow.queued_at = flow.last_seen;
                    self.lists[class as usize].touch(&mut self.links, idx);
                } else {
                    break;
                }
            }
        }
    }

    fn remove<S: StreamSink<A>>(&mut self, idx: u32, end: FlowEnd, sink: &mut S) {
        // Worked on where it lies and dropped there: moving the entry out first copied it
        // (a few hundred bytes) for every flow that ended.
        let Some(flow) = self.flows[idx as usize].as_mut() else {
            return;
        };
        if self.last.is_some_and(|(_, last)| last == idx) {
            self.last = None;
        }
        self.lists[flow.class as usize].unlink(&mut self.links, idx);
        if let Ok(slot) = self
            .index
            .find_entry(slot_hash(flow.hash), |s| s.idx == idx)
        {
            slot.remove();
        }
        self.free.push(idx);
        let mut stopped = flow.app_stopped;
        let Flow {
            meta, streams, app, ..
        } = &mut *flow;
        if let Some(streams) = streams.as_deref_mut() {
            for (d, dir) in [KeyDirection::Forward, KeyDirection::Reverse]
                .into_iter()
                .enumerate()
            {
                let mut ctx = Ctx {
                    config: &self.config.reassembly,
                    stats: &mut self.stats.reassembly,
                    total_pending: &mut self.total_pending,
                    sink: &mut *sink,
                    meta,
                    app: &mut *app,
                    side: meta.side(dir),
                    ts: self.now,
                    stopped,
                    depth: 0,
                };
                streams[d].flush(&mut ctx);
                stopped = ctx.stopped;
                streams[d].release(&mut self.total_pending);
            }
        }
        if !stopped {
            sink.end(meta, app, self.now);
        }
        self.ended.push(observation(flow, end));
        self.flows[idx as usize] = None;
    }

    /// Advances the clock to `now` without a packet (a live sensor's timer when traffic
    /// stops) and expires the flows idle past their timeout. The clock never goes back.
    pub fn advance<S: StreamSink<A>>(&mut self, now: Timestamp, sink: &mut S) {
        if now > self.now {
            self.now = now;
            self.expire(sink);
            self.next_sweep = Timestamp(now.0.saturating_add(SWEEP_INTERVAL));
        }
    }

    /// The input ended: every open flow is emitted (`EndOfInput`), held stream data flushed.
    pub fn finish<S: StreamSink<A>>(&mut self, sink: &mut S) {
        for idx in 0..self.flows.len() as u32 {
            if self.flows[idx as usize].is_some() {
                self.stats.ended_at_end_of_input += 1;
                self.remove(idx, FlowEnd::EndOfInput, sink);
            }
        }
    }
}

/// Whether a segment has anything for reassembly: not once the sink stopped the flow; data
/// or a SYN (which fixes the stream's start) always; a bare ACK only when streams are held
/// (it may release data waiting for it), not on a flow that carried no data yet.
#[inline]
fn needs_reassembly<A>(flow: &Flow<A>, tcp: &TcpSegment<'_>) -> bool {
    !flow.app_stopped
        && (!tcp.payload.is_empty()
            || tcp.flags & SYN != 0
            || (tcp.flags & ACK != 0 && flow.streams.is_some()))
}

/// 32 bits of the key's hash (foldhash's high half: its best-mixed bits).
#[inline]
fn key_hash(hasher: &FixedState, key: &FlowKey) -> u32 {
    (hasher.hash_one(key) >> 32) as u32
}

/// TCP flows are established once both sides sent SYN (or data flowed both ways after a
/// missed handshake) and neither side closed; everything else uses the short timeout.
fn tcp_class(flags: [u16; 2]) -> Class {
    let closing = (flags[0] | flags[1]) & (FIN | RST) != 0;
    let both_acked = flags[0] & ACK != 0 && flags[1] & ACK != 0;
    if !closing && both_acked {
        Class::TcpEstablished
    } else {
        Class::TcpOther
    }
}

/// Who opened the conversation: the SYN sender; a SYN-ACK's receiver; otherwise the first
/// sender, unless it sends from a well-known port (< 1024) to a higher one: a capture that
/// started with a server's reply, or a protocol whose server port is the lower (DHCP 67/68).
fn client_direction(pkt: &PacketInfo<'_>) -> KeyDirection {
    if let Some(tcp) = &pkt.tcp {
        if tcp.flags & (SYN | ACK) == SYN {
            return pkt.dir;
        }
        if tcp.flags & (SYN | ACK) == SYN | ACK {
            return pkt.dir.flip();
        }
    }
    let (_, src_port) = pkt.key.source(pkt.dir);
    let (_, dst_port) = pkt.key.source(pkt.dir.flip());
    if src_port != 0 && src_port < 1024 && src_port < dst_port {
        pkt.dir.flip()
    } else {
        pkt.dir
    }
}

fn observation<A: FlowApp>(flow: &Flow<A>, end: FlowEnd) -> FlowObservation {
    let c = flow.meta.client_dir;
    let s = c.flip();
    FlowObservation {
        id: flow.meta.id.0,
        app: flow.app.app_name(),
        vlan: flow.meta.key.inner_vlan(),
        transport: flow.meta.key.transport,
        client: flow.meta.endpoint(Side::Client),
        server: flow.meta.endpoint(Side::Server),
        first_seen: flow.meta.first_seen,
        last_seen: flow.last_seen,
        client_packets: flow.packets[c.index()],
        client_bytes: flow.bytes[c.index()],
        server_packets: flow.packets[s.index()],
        server_bytes: flow.bytes[s.index()],
        client_ttl: flow.ttl[c.index()],
        server_ttl: flow.ttl[s.index()],
        end,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::key::{FlowAddr, pack_vlans};

    const S: i64 = 1_000_000_000;

    fn udp(ts_s: i64, src: u8, sport: u16, dst: u8, dport: u16) -> PacketInfo<'static> {
        let (key, dir) = FlowKey::new(
            Transport::UDP,
            pack_vlans(None, None),
            FlowAddr::v4([10, 0, 0, src]),
            sport,
            FlowAddr::v4([10, 0, 0, dst]),
            dport,
        );
        PacketInfo {
            ts: Timestamp(ts_s * S),
            key,
            dir,
            src_mac: None,
            captured_len: 100,
            ttl: 64,
            tcp: None,
            datagram: b"x",
        }
    }

    fn tcp(ts_s: i64, fwd: bool, flags: u16, seq: u32, payload: &[u8]) -> PacketInfo<'_> {
        let (a, b) = (FlowAddr::v4([10, 0, 0, 1]), FlowAddr::v4([10, 0, 0, 2]));
        let (src, sp, dst, dp) = if fwd {
            (a, 40000, b, 80)
        } else {
            (b, 80, a, 40000)
        };
        let (key, dir) = FlowKey::new(Transport::TCP, pack_vlans(None, None), src, sp, dst, dp);
        PacketInfo {
            ts: Timestamp(ts_s * S),
            key,
            dir,
            src_mac: None,
            captured_len: 60 + payload.len() as u32,
            ttl: if fwd { 64 } else { 127 },
            tcp: Some(TcpSegment {
                seq,
                ack: 0,
                flags,
                payload,
            }),
            datagram: &[],
        }
    }

    #[test]
    fn counts_both_directions_in_one_flow() {
        let mut t = FlowTable::<()>::new(FlowConfig::default());
        t.process(&udp(0, 1, 5000, 2, 53), &mut ());
        t.process(&udp(0, 2, 53, 1, 5000), &mut ());
        t.process(&udp(1, 1, 5000, 2, 53), &mut ());
        t.finish(&mut ());
        let ended: Vec<_> = t.drain_ended().collect();
        assert_eq!(ended.len(), 1);
        let f = &ended[0];
        assert_eq!(f.client.port, 5000);
        assert_eq!(f.server.port, 53);
        assert_eq!((f.client_packets, f.server_packets), (2, 1));
        assert_eq!(f.end, FlowEnd::EndOfInput);
        assert_eq!(t.stats().ended_at_end_of_input, 1);
    }

    #[test]
    fn udp_flow_expires_after_idle_timeout() {
        let mut t = FlowTable::<()>::new(FlowConfig::default());
        t.process(&udp(0, 1, 5000, 2, 53), &mut ());
        t.process(&udp(60, 3, 5000, 2, 53), &mut ());
        assert_eq!(t.active(), 2, "60 s is not past the 60 s timeout");
        t.process(&udp(61, 3, 5000, 2, 53), &mut ());
        assert_eq!(t.active(), 1);
        assert_eq!(t.stats().evicted_idle, 1);
        assert_eq!(t.drain_ended().next().map(|f| f.end), Some(FlowEnd::Idle));
    }

    #[test]
    fn established_tcp_outlives_udp_timeout() {
        let mut t = FlowTable::<()>::new(FlowConfig::default());
        t.process(&tcp(0, true, SYN, 100, b""), &mut ());
        t.process(&tcp(0, false, SYN | ACK, 500, b""), &mut ());
        t.process(&tcp(0, true, ACK, 101, b""), &mut ());
        t.process(&udp(200, 1, 1, 2, 2), &mut ());
        assert_eq!(t.active(), 2, "established TCP keeps 300 s");
        t.process(&udp(301, 1, 1, 2, 2), &mut ());
        assert_eq!(t.active(), 1);
    }

    #[test]
    fn full_table_evicts_least_recently_active() {
        let config = FlowConfig {
            max_flows: 2,
            ..FlowConfig::default()
        };
        let mut t = FlowTable::<()>::new(config);
        t.process(&udp(0, 1, 5000, 2, 6000), &mut ());
        t.process(&udp(1, 3, 5000, 2, 6000), &mut ());
        t.process(&udp(2, 1, 5000, 2, 6000), &mut ());
        t.process(&udp(3, 4, 5000, 2, 6000), &mut ());
        assert_eq!(t.stats().evicted_capacity, 1);
        let evicted: Vec<_> = t.drain_ended().collect();
        assert_eq!(evicted[0].client.ip, Some("10.0.0.3".parse().unwrap()));
        assert_eq!(evicted[0].end, FlowEnd::Capacity);
    }

    #[test]
    fn active_timeout_splits_the_record() {
        let mut t = FlowTable::<()>::new(FlowConfig::default());
        for s in (0..=1900).step_by(50) {
            t.process(&udp(s, 1, 5000, 2, 53), &mut ());
        }
        assert_eq!(t.stats().evicted_active_timeout, 1);
        let split: Vec<_> = t.drain_ended().collect();
        assert_eq!(split.len(), 1);
        assert_eq!(split[0].end, FlowEnd::ActiveTimeout);
        assert_eq!(t.active(), 1);
    }

    #[test]
    fn syn_ack_first_makes_its_receiver_the_client() {
        let mut t = FlowTable::<()>::new(FlowConfig::default());
        t.process(&tcp(0, false, SYN | ACK, 500, b""), &mut ());
        t.finish(&mut ());
        let f = t.drain_ended().next().unwrap();
        assert_eq!(f.client.port, 40000);
        assert_eq!(f.server.port, 80);
    }

    #[test]
    fn tcp_payload_is_reassembled_per_direction() {
        struct Text(Vec<u8>, Vec<u8>);
        impl StreamSink<()> for Text {
            fn data(
                &mut self,
                _: &FlowMeta,
                _: &mut (),
                side: Side,
                _: Timestamp,
                _: u32,
                data: &[u8],
            ) -> Delivery {
                match side {
                    Side::Client => self.0.extend_from_slice(data),
                    Side::Server => self.1.extend_from_slice(data),
                }
                Delivery::Continue
            }
        }
        let mut sink = Text(vec![], vec![]);
        let mut t = FlowTable::<()>::new(FlowConfig::default());
        t.process(&tcp(0, true, SYN, 100, b""), &mut sink);
        t.process(&tcp(0, false, SYN | ACK, 500, b""), &mut sink);
        t.process(&tcp(0, true, ACK, 105, b"/ HTTP/1.1\r\n"), &mut sink);
        t.process(&tcp(0, true, ACK, 101, b"GE"), &mut sink);
        t.process(&tcp(0, true, ACK, 102, b"ET "), &mut sink);
        t.process(&tcp(0, false, ACK, 501, b"HTTP/1.1 200"), &mut sink);
        t.finish(&mut sink);
        assert_eq!(sink.0, b"GET / HTTP/1.1\r\n");
        assert_eq!(sink.1, b"HTTP/1.1 200");
        let r = &t.stats().reassembly;
        assert_eq!(r.streams, 2);
        assert_eq!(r.out_of_order, 1);
        assert_eq!(r.overlaps, 1);
    }

    /// Records what it was given; stops after `stop_after` deliveries, asks for `depth`.
    #[derive(Default, Debug)]
    struct Recorder {
        calls: Vec<(Side, &'static str, usize)>,
        stop_after: Option<usize>,
        depth: Option<u32>,
    }
    impl Recorder {
        fn verdict(&self) -> Delivery {
            if self.stop_after.is_some_and(|n| self.calls.len() >= n) {
                Delivery::Stop
            } else if let Some(d) = self.depth {
                Delivery::Depth(d)
            } else {
                Delivery::Continue
            }
        }
    }
    impl StreamSink<()> for Recorder {
        fn data(
            &mut self,
            _: &FlowMeta,
            _: &mut (),
            side: Side,
            _: Timestamp,
            _: u32,
            data: &[u8],
        ) -> Delivery {
            self.calls.push((side, "data", data.len()));
            self.verdict()
        }
        fn gap(
            &mut self,
            _: &FlowMeta,
            _: &mut (),
            side: Side,
            _: Timestamp,
            _: u32,
            len: u32,
        ) -> Delivery {
            self.calls.push((side, "gap", len as usize));
            self.verdict()
        }
        fn datagram(
            &mut self,
            _: &FlowMeta,
            _: &mut (),
            side: Side,
            _: Timestamp,
            data: &[u8],
        ) -> Delivery {
            self.calls.push((side, "datagram", data.len()));
            self.verdict()
        }
        fn end(&mut self, _: &FlowMeta, _: &mut (), _: Timestamp) {
            self.calls.push((Side::Client, "end", 0));
        }
    }

    #[test]
    fn sink_sees_client_and_server_sides_not_key_order() {
        // The client (port 40000) has the lower address, then the higher: either way the
        // SYN sender is the client.
        let mut rec = Recorder::default();
        let mut t = FlowTable::<()>::new(FlowConfig::default());
        t.process(&tcp(0, false, SYN, 500, b""), &mut rec);
        t.process(&tcp(0, true, SYN | ACK, 100, b""), &mut rec);
        t.process(&tcp(0, false, ACK, 501, b"hello"), &mut rec);
        t.process(&tcp(0, true, ACK, 101, b"hi"), &mut rec);
        t.process(&udp(1, 1, 5000, 2, 53), &mut rec);
        t.process(&udp(1, 2, 53, 1, 5000), &mut rec);
        t.finish(&mut rec);
        assert_eq!(
            rec.calls,
            vec![
                (Side::Client, "data", 5),
                (Side::Server, "data", 2),
                (Side::Client, "datagram", 1),
                (Side::Server, "datagram", 1),
                (Side::Client, "end", 0),
                (Side::Client, "end", 0),
            ]
        );
    }

    #[test]
    fn stop_ends_delivery_and_reassembly_of_the_flow() {
        let mut rec = Recorder {
            stop_after: Some(1),
            ..Recorder::default()
        };
        let mut t = FlowTable::<()>::new(FlowConfig::default());
        t.process(&tcp(0, true, SYN, 100, b""), &mut rec);
        t.process(&tcp(0, true, ACK, 101, b"one"), &mut rec);
        t.process(&tcp(0, true, ACK, 104, b"two"), &mut rec);
        t.process(&udp(1, 1, 5000, 2, 53), &mut rec);
        t.process(&udp(1, 1, 5000, 2, 53), &mut rec);
        t.finish(&mut rec);
        // One TCP delivery, then nothing (not even end); the UDP flow stops after its first.
        assert_eq!(
            rec.calls,
            vec![(Side::Client, "data", 3), (Side::Client, "datagram", 1)]
        );
        assert_eq!(
            t.stats().reassembly.bytes,
            3,
            "reassembly stopped with the parser"
        );
    }

    #[test]
    fn advancing_the_clock_expires_idle_flows_without_traffic() {
        let mut rec = Recorder::default();
        let mut t = FlowTable::<()>::new(FlowConfig::default());
        t.process(&udp(0, 1, 5000, 2, 53), &mut rec);
        t.advance(Timestamp(30 * S), &mut rec);
        assert_eq!(t.active(), 1);
        t.advance(Timestamp(61 * S), &mut rec);
        assert_eq!(t.active(), 0, "UDP idle timeout is 60 s");
        assert_eq!(rec.calls.last(), Some(&(Side::Client, "end", 0)));
        assert_eq!(t.drain_ended().next().map(|f| f.end), Some(FlowEnd::Idle));
    }

    #[test]
    fn depth_lets_a_parser_read_past_the_default_limit() {
        let config = FlowConfig {
            reassembly: crate::ReassemblyConfig {
                max_stream_bytes: 4,
                ..crate::ReassemblyConfig::default()
            },
            ..FlowConfig::default()
        };
        let run = |depth: Option<u32>| {
            let mut rec = Recorder {
                depth,
                ..Recorder::default()
            };
            let mut t = FlowTable::<()>::new(config.clone());
            t.process(&tcp(0, true, SYN, 100, b""), &mut rec);
            t.process(&tcp(0, true, ACK, 101, b"abc"), &mut rec);
            t.process(&tcp(0, true, ACK, 104, b"defgh"), &mut rec);
            t.finish(&mut rec);
            rec.calls
                .iter()
                .filter(|c| c.1 == "data")
                .map(|c| c.2)
                .sum::<usize>()
        };
        assert_eq!(run(None), 4);
        assert_eq!(run(Some(6)), 6);
    }
}
