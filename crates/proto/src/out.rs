//! The one handle a parser gets: [`Out`] writes observations, events and counters into the
//! sensor's [`Collector`], stamped with the flow, time and protocol of the delivery.

use std::collections::BTreeMap;
use std::hash::{BuildHasher, Hash, Hasher};

use model::{
    AppEvent, AppKind, AppObservation, Exposure, ExposureKind, Fact, FlowRef, Observation, Side,
    Software, Timestamp,
};
use serde_json::{Map, Value};
use wire::text::wire_text;

/// Slots of the recent-facts filter (power of two; 512 KiB). A collision only re-emits a
/// fact. Sized for a hospital's devices times the facts each repeats on every flow: with
/// 8,192 slots, the 2,552 devices of the benchmark capture re-emitted so many facts that the
/// whole run took 6% more instructions (callgrind: 3,368 M against 3,170 M with 65,536).
const RECENT_SLOTS: usize = 65536;

/// Results memoised by [`Out::memo`] before the memo starts over (bounded memory: each entry is
/// a small summary, a few hundred bytes).
const MEMO_ENTRIES: usize = 4096;

/// Counters of one protocol (`stats.app.<protocol>` in the report): `flows` recognised,
/// `messages`, and one counter per malformed reason, anomaly and limit.
pub type ProtocolCounters = BTreeMap<&'static str, u64>;

/// Everything parsers and packet-level identity decoders produce, until the caller drains it.
#[derive(Debug)]
pub struct Collector {
    observations: Vec<Observation>,
    events: Option<Vec<AppEvent>>,
    /// Counters keyed by the addresses of their (static) names: counting happens per message,
    /// so it is one integer hash, not two string comparisons per tree level. The same name at
    /// two addresses (two copies of a literal) is merged by [`Collector::counters`].
    counters: std::collections::HashMap<
        (usize, usize),
        (&'static str, &'static str, u64),
        foldhash::fast::FixedState,
    >,
    /// Fingerprints of facts emitted recently (direct-mapped): the same fact repeats on every
    /// flow of a device and one observation per flow and value is enough.
    recent: Vec<u64>,
    /// Memoised pure functions of wire bytes (see [`Out::memo`]).
    memo: std::collections::HashMap<
        (std::any::TypeId, u64),
        Box<dyn std::any::Any>,
        foldhash::fast::FixedState,
    >,
}

impl Default for Collector {
    fn default() -> Self {
        Self::new(false)
    }
}

impl Collector {
    /// A collector; `events` says whether application events are built at all.
    pub fn new(events: bool) -> Self {
        Self {
            observations: Vec::new(),
            events: events.then(Vec::new),
            counters: std::collections::HashMap::default(),
            recent: vec![0; RECENT_SLOTS],
            memo: std::collections::HashMap::default(),
        }
    }

    /// True when events are being collected.
    pub fn events_enabled(&self) -> bool {
        self.events.is_some()
    }

    /// Adds an observation.
    pub fn emit(&mut self, obs: Observation) {
        self.observations.push(obs);
    }

    /// Adds an event (dropped when events are off).
    pub fn event(&mut self, event: AppEvent) {
        if let Some(events) = &mut self.events {
            events.push(event);
        }
    }

    /// Counts `name` for `protocol`.
    pub fn count(&mut self, protocol: &'static str, name: &'static str) {
        let key = (protocol.as_ptr() as usize, name.as_ptr() as usize);
        self.counters.entry(key).or_insert((protocol, name, 0)).2 += 1;
    }

    /// True when the fact with fingerprint `h` was emitted recently; records it otherwise.
    pub fn seen_recently(&mut self, h: u64) -> bool {
        let h = h | 1; // 0 marks an empty slot.
        let slot = &mut self.recent[(h as usize) & (RECENT_SLOTS - 1)];
        let seen = *slot == h;
        *slot = h;
        seen
    }

    /// The observations produced since the last [`Self::clear_observations`].
    pub fn observations(&self) -> &[Observation] {
        &self.observations
    }

    /// Forgets the observations produced so far (after they were read).
    pub fn clear_observations(&mut self) {
        self.observations.clear();
    }

    /// Takes the observations produced since the last call.
    pub fn drain_observations(&mut self) -> std::vec::Drain<'_, Observation> {
        self.observations.drain(..)
    }

    /// Takes the events produced since the last call (none when events are off).
    pub fn take_events(&mut self) -> Vec<AppEvent> {
        self.events.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// Counters so far, by protocol.
    pub fn counters(&self) -> BTreeMap<&'static str, ProtocolCounters> {
        let mut out: BTreeMap<&'static str, ProtocolCounters> = BTreeMap::new();
        for &(protocol, name, n) in self.counters.values() {
            *out.entry(protocol).or_default().entry(name).or_default() += n;
        }
        out
    }
}

/// What a parser writes through: the collector plus the flow, time and protocol of the
/// delivery being parsed.
#[derive(Debug)]
pub struct Out<'a> {
    collector: &'a mut Collector,
    flow: &'a FlowRef,
    ts: Timestamp,
    protocol: &'static str,
}

impl<'a> Out<'a> {
    /// A handle for one delivery.
    pub fn new(
        collector: &'a mut Collector,
        flow: &'a FlowRef,
        ts: Timestamp,
        protocol: &'static str,
    ) -> Self {
        Self {
            collector,
            flow,
            ts,
            protocol,
        }
    }

    /// The flow being parsed.
    pub fn flow(&self) -> &FlowRef {
        self.flow
    }

    /// True when events are collected: build event bodies only then.
    pub fn events_enabled(&self) -> bool {
        self.collector.events_enabled()
    }

    /// The value of `make` for `bytes`, computed once for the same bytes: for pure functions
    /// of wire bytes that devices repeat on every flow (a server's certificate summary, a
    /// client stack's ClientHello fingerprints). Keyed by the result type and a 64-bit hash of
    /// the bytes; bounded ([`MEMO_ENTRIES`], then it starts over).
    pub fn memo<T: Clone + 'static>(&mut self, bytes: &[u8], make: impl FnOnce() -> T) -> T {
        let mut h = foldhash::fast::FixedState::default().build_hasher();
        h.write(bytes);
        h.write_usize(bytes.len());
        let key = (std::any::TypeId::of::<T>(), h.finish());
        let memo = &mut self.collector.memo;
        if let Some(v) = memo.get(&key).and_then(|v| v.downcast_ref::<T>()) {
            return v.clone();
        }
        let v = make();
        if memo.len() >= MEMO_ENTRIES {
            memo.clear();
        }
        memo.insert(key, Box::new(v.clone()));
        v
    }

    /// Counts `name` (`messages`, a malformed reason, a limit) for this protocol.
    pub fn count(&mut self, name: &'static str) {
        self.collector.count(self.protocol, name);
    }

    fn app(&mut self, kind: AppKind) {
        self.collector
            .emit(Observation::App(Box::new(AppObservation {
                ts: self.ts,
                flow: self.flow.clone(),
                protocol: self.protocol,
                kind,
            })));
    }

    /// Fingerprint of what `side`'s endpoint said: the endpoint (address and MAC, not the
    /// flow or its ports), the protocol and `parts`. A device repeats the same facts on every
    /// flow (the same SNI, User-Agent, AE title); one observation of each per device and
    /// recent window is enough, and the repeats are dropped before any string is built.
    fn fingerprint(&self, side: Side, parts: impl Hash) -> u64 {
        let mut h = foldhash::fast::FixedState::default().build_hasher();
        let me = self.flow.endpoint(side);
        me.ip.hash(&mut h);
        me.mac.hash(&mut h);
        self.protocol.hash(&mut h);
        parts.hash(&mut h);
        h.finish()
    }

    /// An identity fact about `side`, from wire bytes (kept as wire text). Repeats on the
    /// same flow are dropped.
    pub fn fact(&mut self, side: Side, key: &'static str, value: &[u8]) {
        if value.is_empty() {
            return;
        }
        let h = self.fingerprint(side, (key, value));
        if self.collector.seen_recently(h) {
            return;
        }
        self.app(AppKind::Fact(Fact {
            side,
            key,
            value: wire_text(value),
        }));
    }

    /// [`Self::fact`] with a value already made text (a hash, a number, a name).
    pub fn fact_text(&mut self, side: Side, key: &'static str, value: &str) {
        self.fact(side, key, value.as_bytes());
    }

    /// Software `side` revealed: product, version (when split off) and the raw string.
    pub fn software(&mut self, side: Side, product: &[u8], version: Option<&[u8]>, raw: &[u8]) {
        if product.is_empty() {
            return;
        }
        let h = self.fingerprint(side, ("software", raw));
        if self.collector.seen_recently(h) {
            return;
        }
        self.app(AppKind::Software(Software {
            side,
            product: wire_text(product),
            version: version.filter(|v| !v.is_empty()).map(wire_text),
            raw: wire_text(raw),
        }));
    }

    /// The protocol misbehaved: counted always, observed once per flow.
    pub fn anomaly(&mut self, name: &'static str) {
        self.count(name);
        let h = self.fingerprint(Side::Client, ("anomaly", self.flow.id, name));
        if !self.collector.seen_recently(h) {
            self.app(AppKind::Anomaly(name));
        }
    }

    /// Patient data, a credential or weak TLS crossed the wire. `fields` are names, never
    /// values.
    pub fn exposure(
        &mut self,
        kind: ExposureKind,
        side: Side,
        subject: &str,
        fields: Vec<String>,
        user_present: Option<bool>,
    ) {
        self.app(AppKind::Exposure(Exposure {
            kind,
            side,
            subject: wire_text(subject.as_bytes()),
            fields,
            user_present,
        }));
    }

    /// An application event named after this protocol, with `body` as its object. Build
    /// `body` only when [`Self::events_enabled`].
    pub fn event(&mut self, body: Map<String, Value>) {
        if self.collector.events_enabled() {
            self.collector.event(AppEvent {
                ts: self.ts,
                flow: self.flow.clone(),
                event_type: self.protocol,
                body,
            });
        }
    }
}

/// A JSON string value from wire bytes (wire text: lossy, truncated).
pub fn text_value(bytes: &[u8]) -> Value {
    Value::String(wire_text(bytes))
}
