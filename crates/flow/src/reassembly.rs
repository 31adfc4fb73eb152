//! Per-direction TCP stream reassembly of the first bytes of each stream.
//!
//! In-order data is passed to the [`StreamSink`] straight from the packet (no copy).
//! Out-of-order segments are copied into a small per-direction buffer, bounded by segment
//! count and bytes per stream and by one budget for all streams; when a bound is hit the hole
//! before the buffered data is declared a gap (the capture most likely lost that segment) so
//! the buffer drains instead of growing. A hole the peer has acknowledged is a gap too: the
//! sender's data was delivered, the capture missed it.
//!
//! Overlap policy: the first copy of a byte wins (data already delivered is never replaced),
//! as in Suricata's default "first" policy; overlaps and full retransmissions are counted.

use model::{Side, Timestamp};

use crate::table::FlowMeta;

/// Reassembly limits (CONVENTIONS §6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReassemblyConfig {
    /// Bytes delivered per direction; the rest is counted, not buffered (default 64 KiB).
    pub max_stream_bytes: u32,
    /// Out-of-order segments held per direction (default 32).
    pub max_pending_segments: usize,
    /// Out-of-order bytes held per direction (default 64 KiB).
    pub max_pending_bytes: usize,
    /// Out-of-order bytes held across all streams (default 128 MiB).
    pub max_total_pending_bytes: usize,
    /// Most bytes per direction a parser may ask for with [`Delivery::Depth`] (default
    /// 16 MiB: an HL7 or DICOM session's first hundreds of messages; in-order data is not
    /// copied, so this bounds work, not memory).
    pub max_depth_bytes: u32,
}

impl Default for ReassemblyConfig {
    fn default() -> Self {
        Self {
            max_stream_bytes: 64 * 1024,
            max_pending_segments: 32,
            max_pending_bytes: 64 * 1024,
            max_total_pending_bytes: 128 * 1024 * 1024,
            max_depth_bytes: 16 * 1024 * 1024,
        }
    }
}

/// Reassembly counters, summed over all streams.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReassemblyStats {
    /// Directions that carried at least one payload byte.
    pub streams: u64,
    /// Bytes delivered in order to the sink.
    pub bytes: u64,
    /// Holes skipped (data never seen).
    pub gaps: u64,
    /// Bytes skipped in holes.
    pub gap_bytes: u64,
    /// Segments that partly overlapped data already delivered or held.
    pub overlaps: u64,
    /// Segments entirely made of data already delivered.
    pub retransmissions: u64,
    /// Segments that arrived ahead of a hole and were held.
    pub out_of_order: u64,
    /// Times a pending-data bound (segments, bytes, all-streams budget) forced a gap.
    pub limit_hits: u64,
    /// Payload bytes past the per-direction limit: counted, not buffered.
    pub bytes_beyond_limit: u64,
}

/// What the sink wants after a delivery (Zeek's `SetSkip`, CONVENTIONS §2 `Verdict`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Keep delivering, up to the configured depth.
    Continue,
    /// Stop delivering this flow (both sides): reassembly stops and its buffers are freed.
    Stop,
    /// Deliver up to this many bytes per side (more than the default depth: MLLP and DICOM
    /// sessions outlive 64 KiB), capped by [`ReassemblyConfig::max_depth_bytes`].
    Depth(u32),
}

/// Receives what a flow carries, per side (client or server, not key order), with the
/// per-flow state `A` that lives in the flow table's entry. Application parsers sit behind it.
pub trait StreamSink<A> {
    /// In-order TCP bytes `side` sent, continuing at stream offset `offset`.
    fn data(
        &mut self,
        flow: &FlowMeta,
        app: &mut A,
        side: Side,
        ts: Timestamp,
        offset: u32,
        data: &[u8],
    ) -> Delivery;
    /// `len` bytes `side` sent were lost before `offset` (a gap in reassembly). Default:
    /// ignored.
    fn gap(
        &mut self,
        _flow: &FlowMeta,
        _app: &mut A,
        _side: Side,
        _ts: Timestamp,
        _offset: u32,
        _len: u32,
    ) -> Delivery {
        Delivery::Continue
    }
    /// One UDP datagram's payload `side` sent. Default: ignored.
    fn datagram(
        &mut self,
        _flow: &FlowMeta,
        _app: &mut A,
        _side: Side,
        _ts: Timestamp,
        _data: &[u8],
    ) -> Delivery {
        Delivery::Continue
    }
    /// The flow ended (closed, idle, evicted, input ended), after held data was flushed.
    /// Default: nothing.
    fn end(&mut self, _flow: &FlowMeta, _app: &mut A, _ts: Timestamp) {}
}

/// A sink that discards everything (reassembly still runs and counts).
impl<A> StreamSink<A> for () {
    fn data(
        &mut self,
        _: &FlowMeta,
        _: &mut A,
        _: Side,
        _: Timestamp,
        _: u32,
        _: &[u8],
    ) -> Delivery {
        Delivery::Continue
    }
}

/// One held out-of-order segment: its stream offset and bytes.
#[derive(Debug)]
struct Pending {
    offset: u32,
    data: Box<[u8]>,
}

/// Reassembly state of one direction.
#[derive(Debug, Default)]
pub(crate) struct HalfStream {
    /// Sequence number of stream offset 0 (ISN + 1, or the first data segment's sequence
    /// number when the handshake was not captured).
    base: u32,
    started: bool,
    /// Stream offset of the next byte to deliver.
    next: u32,
    pending: Vec<Pending>,
    pending_bytes: usize,
    /// Depth a parser asked for beyond the configured one (0: the configured one).
    depth: u32,
}

/// Everything a segment needs besides itself: limits, counters, the shared byte budget.
pub(crate) struct Ctx<'a, A, S: StreamSink<A>> {
    pub config: &'a ReassemblyConfig,
    pub stats: &'a mut ReassemblyStats,
    pub total_pending: &'a mut usize,
    pub sink: &'a mut S,
    pub meta: &'a FlowMeta,
    pub app: &'a mut A,
    pub side: Side,
    pub ts: Timestamp,
    /// The sink said [`Delivery::Stop`]: nothing more is delivered.
    pub stopped: bool,
    /// The deepest [`Delivery::Depth`] asked for during this call (0: none).
    pub depth: u32,
}

impl<A, S: StreamSink<A>> Ctx<'_, A, S> {
    fn verdict(&mut self, d: Delivery) {
        match d {
            Delivery::Continue => {}
            Delivery::Stop => self.stopped = true,
            Delivery::Depth(n) => self.depth = self.depth.max(n.min(self.config.max_depth_bytes)),
        }
    }
}

impl HalfStream {
    /// Notes the SYN's sequence number: data starts one past it (RFC 9293 §3.4).
    pub(crate) fn syn(&mut self, seq: u32) {
        if !self.started {
            self.base = seq.wrapping_add(1);
            self.started = true;
        }
    }

    /// Takes one segment's payload starting at sequence number `seq`.
    pub(crate) fn segment<A, S: StreamSink<A>>(
        &mut self,
        ctx: &mut Ctx<'_, A, S>,
        seq: u32,
        data: &[u8],
    ) {
        if data.is_empty() {
            return;
        }
        if !self.started {
            self.base = seq;
            self.started = true;
        }
        if self.next == 0 && self.pending.is_empty() {
            // First payload of this direction.
            ctx.stats.streams += 1;
        }
        let limit = ctx.config.max_stream_bytes.max(self.depth);
        // Offsets are relative to `base`; a segment "before" base (negative as i32) is old.
        let rel = seq.wrapping_sub(self.base) as i32;
        let (mut offset, mut data) = if rel < 0 {
            let skip = rel.unsigned_abs() as usize;
            if skip >= data.len() {
                ctx.stats.retransmissions += 1;
                return;
            }
            ctx.stats.overlaps += 1;
            (0u32, &data[skip..])
        } else {
            (rel as u32, data)
        };
        if offset >= limit {
            ctx.stats.bytes_beyond_limit += data.len() as u64;
            return;
        }
        let room = (limit - offset) as usize;
        if data.len() > room {
            ctx.stats.bytes_beyond_limit += (data.len() - room) as u64;
            data = &data[..room];
        }
        let end = offset + data.len() as u32;
        if end <= self.next {
            ctx.stats.retransmissions += 1;
            return;
        }
        if offset < self.next {
            ctx.stats.overlaps += 1;
            data = &data[(self.next - offset) as usize..];
            offset = self.next;
        }
        if offset == self.next {
            self.deliver(ctx, data);
            self.drain(ctx);
        } else {
            self.hold(ctx, offset, data);
        }
    }

    /// The peer acknowledged everything before sequence number `ack`: a hole below it was
    /// lost by the capture, not by the network.
    pub(crate) fn acknowledged<A, S: StreamSink<A>>(&mut self, ctx: &mut Ctx<'_, A, S>, ack: u32) {
        if !self.started || self.pending.is_empty() {
            return;
        }
        let rel = ack.wrapping_sub(self.base) as i32;
        if rel <= 0 {
            return;
        }
        let acked = rel as u32;
        while let Some(first) = self.pending.first() {
            if first.offset > acked || first.offset <= self.next {
                break;
            }
            self.skip_to(ctx, first.offset);
            self.drain(ctx);
        }
    }

    /// End of the flow: whatever is held is delivered after the holes before it.
    pub(crate) fn flush<A, S: StreamSink<A>>(&mut self, ctx: &mut Ctx<'_, A, S>) {
        while let Some(first) = self.pending.first() {
            let offset = first.offset;
            if offset > self.next {
                self.skip_to(ctx, offset);
            }
            self.drain(ctx);
        }
    }

    fn deliver<A, S: StreamSink<A>>(&mut self, ctx: &mut Ctx<'_, A, S>, data: &[u8]) {
        if !ctx.stopped {
            let d = ctx
                .sink
                .data(ctx.meta, ctx.app, ctx.side, ctx.ts, self.next, data);
            ctx.verdict(d);
        }
        ctx.stats.bytes += data.len() as u64;
        self.next += data.len() as u32;
    }

    fn skip_to<A, S: StreamSink<A>>(&mut self, ctx: &mut Ctx<'_, A, S>, offset: u32) {
        let len = offset - self.next;
        if !ctx.stopped {
            let d = ctx
                .sink
                .gap(ctx.meta, ctx.app, ctx.side, ctx.ts, self.next, len);
            ctx.verdict(d);
        }
        ctx.stats.gaps += 1;
        ctx.stats.gap_bytes += u64::from(len);
        self.next = offset;
    }

    /// Delivers held segments that now continue the stream.
    fn drain<A, S: StreamSink<A>>(&mut self, ctx: &mut Ctx<'_, A, S>) {
        while let Some(first) = self.pending.first() {
            if first.offset > self.next {
                break;
            }
            let seg = self.pending.remove(0);
            self.pending_bytes -= seg.data.len();
            *ctx.total_pending -= seg.data.len();
            let end = seg.offset + seg.data.len() as u32;
            if end <= self.next {
                continue;
            }
            let fresh = &seg.data[(self.next - seg.offset) as usize..];
            self.deliver(ctx, fresh);
        }
    }

    fn hold<A, S: StreamSink<A>>(&mut self, ctx: &mut Ctx<'_, A, S>, offset: u32, data: &[u8]) {
        // Trim against segments already held (first copy wins).
        let at = self.pending.partition_point(|p| p.offset < offset);
        let mut start = offset;
        let mut bytes = data;
        if let Some(prev) = at.checked_sub(1).and_then(|i| self.pending.get(i)) {
            let prev_end = prev.offset + prev.data.len() as u32;
            if prev_end >= start + bytes.len() as u32 {
                ctx.stats.retransmissions += 1;
                return;
            }
            if prev_end > start {
                ctx.stats.overlaps += 1;
                bytes = &bytes[(prev_end - start) as usize..];
                start = prev_end;
            }
        }
        if let Some(next) = self.pending.get(at) {
            let end = start + bytes.len() as u32;
            if next.offset < end {
                ctx.stats.overlaps += 1;
                bytes = &bytes[..(next.offset.saturating_sub(start)) as usize];
                if bytes.is_empty() {
                    return;
                }
            }
        }
        ctx.stats.out_of_order += 1;
        let over_budget = self.pending.len() >= ctx.config.max_pending_segments
            || self.pending_bytes + bytes.len() > ctx.config.max_pending_bytes
            || *ctx.total_pending + bytes.len() > ctx.config.max_total_pending_bytes;
        if over_budget {
            ctx.stats.limit_hits += 1;
            if let Some(first) = self.pending.first() {
                // Give up on the oldest hole: skip it and deliver what follows it.
                let first_offset = first.offset;
                self.skip_to(ctx, first_offset);
                self.drain(ctx);
            } else {
                // Nothing held and no room: the hole before this segment is given up.
                self.skip_to(ctx, start);
                self.deliver(ctx, bytes);
                return;
            }
            if start <= self.next {
                // The drain caught up with this segment.
                let end = start + bytes.len() as u32;
                if end > self.next {
                    let fresh = &bytes[(self.next - start) as usize..];
                    self.deliver(ctx, fresh);
                    self.drain(ctx);
                }
                return;
            }
            return self.hold(ctx, start, bytes);
        }
        let at = self.pending.partition_point(|p| p.offset < start);
        self.pending.insert(
            at,
            Pending {
                offset: start,
                data: bytes.into(),
            },
        );
        self.pending_bytes += bytes.len();
        *ctx.total_pending += bytes.len();
    }

    /// Lets this direction deliver up to `depth` bytes (a parser asked for more).
    pub(crate) fn deepen(&mut self, depth: u32) {
        self.depth = self.depth.max(depth);
    }

    /// Releases held bytes from the shared budget (flow removed without flush).
    pub(crate) fn release(&mut self, total_pending: &mut usize) {
        *total_pending -= self.pending_bytes;
        self.pending_bytes = 0;
        self.pending.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Rebuilds the stream the sink saw, with gaps as `None` bytes.
    #[derive(Default)]
    struct Collect {
        bytes: Vec<Option<u8>>,
    }

    impl StreamSink<()> for Collect {
        fn data(
            &mut self,
            _: &FlowMeta,
            _: &mut (),
            _: Side,
            _: Timestamp,
            offset: u32,
            data: &[u8],
        ) -> Delivery {
            assert_eq!(offset as usize, self.bytes.len(), "data must be contiguous");
            self.bytes.extend(data.iter().map(|&b| Some(b)));
            Delivery::Continue
        }
        fn gap(
            &mut self,
            _: &FlowMeta,
            _: &mut (),
            _: Side,
            _: Timestamp,
            offset: u32,
            len: u32,
        ) -> Delivery {
            assert_eq!(offset as usize, self.bytes.len(), "gap must be contiguous");
            self.bytes.extend(std::iter::repeat_n(None, len as usize));
            Delivery::Continue
        }
    }

    struct Harness {
        config: ReassemblyConfig,
        stats: ReassemblyStats,
        total: usize,
        sink: Collect,
        half: HalfStream,
        meta: FlowMeta,
        app: (),
    }

    impl Harness {
        fn new(config: ReassemblyConfig) -> Self {
            Self {
                config,
                stats: ReassemblyStats::default(),
                total: 0,
                sink: Collect::default(),
                half: HalfStream::default(),
                meta: FlowMeta::for_tests(),
                app: (),
            }
        }
        fn ctx(&mut self) -> (Ctx<'_, (), Collect>, &mut HalfStream) {
            (
                Ctx {
                    config: &self.config,
                    stats: &mut self.stats,
                    total_pending: &mut self.total,
                    sink: &mut self.sink,
                    meta: &self.meta,
                    app: &mut self.app,
                    side: Side::Client,
                    ts: Timestamp(0),
                    stopped: false,
                    depth: 0,
                },
                &mut self.half,
            )
        }
        fn seg(&mut self, seq: u32, data: &[u8]) {
            let (mut ctx, half) = self.ctx();
            half.segment(&mut ctx, seq, data);
        }
        fn flush(&mut self) {
            let (mut ctx, half) = self.ctx();
            half.flush(&mut ctx);
        }
        fn text(&self) -> String {
            self.sink
                .bytes
                .iter()
                .map(|b| b.map_or('_', char::from))
                .collect()
        }
    }

    #[test]
    fn in_order_segments_after_syn() {
        let mut h = Harness::new(ReassemblyConfig::default());
        h.half.syn(999);
        h.seg(1000, b"hello ");
        h.seg(1006, b"world");
        assert_eq!(h.text(), "hello world");
        assert_eq!(h.stats.bytes, 11);
        assert_eq!(h.stats.streams, 1);
    }

    #[test]
    fn out_of_order_is_held_then_delivered() {
        let mut h = Harness::new(ReassemblyConfig::default());
        h.half.syn(0);
        h.seg(7, b"world");
        assert_eq!(h.text(), "");
        h.seg(1, b"hello ");
        assert_eq!(h.text(), "hello world");
        assert_eq!(h.stats.out_of_order, 1);
        assert_eq!(h.total, 0, "budget released");
    }

    #[test]
    fn retransmission_and_overlap_keep_first_copy() {
        let mut h = Harness::new(ReassemblyConfig::default());
        h.half.syn(0);
        h.seg(1, b"abcdef");
        h.seg(1, b"abcdef");
        h.seg(4, b"XYZghi");
        assert_eq!(h.text(), "abcdefghi");
        assert_eq!(h.stats.retransmissions, 1);
        assert_eq!(h.stats.overlaps, 1);
    }

    #[test]
    fn sequence_wraps_around_zero() {
        let mut h = Harness::new(ReassemblyConfig::default());
        h.half.syn(u32::MAX - 2);
        h.seg(u32::MAX - 1, b"ab");
        h.seg(0, b"cd");
        assert_eq!(h.text(), "abcd");
    }

    #[test]
    fn limit_counts_bytes_beyond() {
        let config = ReassemblyConfig {
            max_stream_bytes: 4,
            ..ReassemblyConfig::default()
        };
        let mut h = Harness::new(config);
        h.half.syn(0);
        h.seg(1, b"abcdef");
        h.seg(7, b"gh");
        assert_eq!(h.text(), "abcd");
        assert_eq!(h.stats.bytes_beyond_limit, 4);
    }

    #[test]
    fn pending_segment_bound_forces_a_gap() {
        let config = ReassemblyConfig {
            max_pending_segments: 2,
            ..ReassemblyConfig::default()
        };
        let mut h = Harness::new(config);
        h.half.syn(0);
        h.seg(1, b"a");
        // Byte 2 ('b') is never captured.
        h.seg(3, b"c");
        h.seg(4, b"d");
        h.seg(5, b"e");
        assert_eq!(h.stats.limit_hits, 1);
        assert_eq!(h.text(), "a_cde");
        assert_eq!(h.stats.gaps, 1);
    }

    #[test]
    fn acknowledged_hole_is_a_gap() {
        let mut h = Harness::new(ReassemblyConfig::default());
        h.half.syn(0);
        h.seg(1, b"ab");
        h.seg(5, b"ef");
        let (mut ctx, half) = h.ctx();
        half.acknowledged(&mut ctx, 7);
        assert_eq!(h.text(), "ab__ef");
    }

    #[test]
    fn midstream_pickup_starts_at_first_payload() {
        let mut h = Harness::new(ReassemblyConfig::default());
        h.seg(5000, b"xy");
        h.seg(5002, b"z");
        h.seg(4990, b"old");
        assert_eq!(h.text(), "xyz");
    }

    #[test]
    fn flush_delivers_held_data_after_gaps() {
        let mut h = Harness::new(ReassemblyConfig::default());
        h.half.syn(0);
        h.seg(3, b"c");
        h.seg(6, b"f");
        h.flush();
        assert_eq!(h.text(), "__c__f");
        assert_eq!(h.total, 0);
    }

    proptest! {
        /// Any permutation of any segmentation (with duplicates) of a stream reassembles to
        /// the stream itself once flushed, when nothing is lost and the limits are not hit.
        #[test]
        fn permuted_segments_reassemble(
            data in proptest::collection::vec(any::<u8>(), 1..400),
            cuts in proptest::collection::vec(0usize..400, 0..20),
            dups in proptest::collection::vec(0usize..20, 0..5),
            seed in any::<u64>(),
            isn in any::<u32>(),
        ) {
            let mut points: Vec<usize> = cuts.into_iter().filter(|&c| c < data.len()).collect();
            points.push(0);
            points.push(data.len());
            points.sort_unstable();
            points.dedup();
            let mut segs: Vec<(usize, usize)> = points.windows(2).map(|w| (w[0], w[1])).collect();
            for d in dups {
                if let Some(&s) = segs.get(d % segs.len().max(1)) { segs.push(s); }
            }
            // Deterministic shuffle.
            let mut state = seed | 1;
            for i in (1..segs.len()).rev() {
                state ^= state << 13; state ^= state >> 7; state ^= state << 17;
                segs.swap(i, (state % (i as u64 + 1)) as usize);
            }
            let mut h = Harness::new(ReassemblyConfig::default());
            h.half.syn(isn);
            for (a, b) in segs {
                h.seg(isn.wrapping_add(1).wrapping_add(a as u32), &data[a..b]);
            }
            h.flush();
            let got: Vec<u8> = h.sink.bytes.iter().map(|b| b.expect("no gap")).collect();
            prop_assert_eq!(got, data);
            prop_assert_eq!(h.total, 0);
        }
    }
}
