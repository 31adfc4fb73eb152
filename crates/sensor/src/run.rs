//! The frame loop: one [`PacketSource`] through the sensor. `analyze`, `demo` and a live
//! sensor drive this same loop, so every input goes through one pipeline.

use capture::{CaptureError, PacketSource};
use model::Timestamp;

use crate::pipeline::Sensor;

/// What one source contributed.
#[derive(Debug, Default)]
pub struct SourceRun {
    /// Frames read.
    pub packets: u64,
    /// Captured bytes of those frames.
    pub bytes: u64,
    /// Earliest frame time.
    pub first_ts: Option<Timestamp>,
    /// Latest frame time.
    pub last_ts: Option<Timestamp>,
    /// Why the source stopped early (every frame before it was processed).
    pub error: Option<CaptureError>,
}

impl Sensor {
    /// Reads every frame of `source` into the sensor. Every `batch` frames and at the end,
    /// `on_batch(self, source)` runs (drain observations, move a progress bar); an error from
    /// it stops the run and is returned. A capture error ends the source, not the run: it is
    /// returned in [`SourceRun::error`].
    pub fn run<P: PacketSource, E>(
        &mut self,
        source: &mut P,
        batch: u64,
        mut on_batch: impl FnMut(&mut Self, &P) -> Result<(), E>,
    ) -> Result<SourceRun, E> {
        let batch = batch.max(1);
        let mut packets = 0u64;
        let mut bytes = 0u64;
        // Earliest and latest frame time, as plain integers in the per-frame loop.
        let (mut first_ts, mut last_ts) = (i64::MAX, i64::MIN);
        let error = loop {
            match source.next_frame() {
                Ok(Some(frame)) => {
                    packets += 1;
                    bytes += frame.data.len() as u64;
                    first_ts = first_ts.min(frame.ts.0);
                    last_ts = last_ts.max(frame.ts.0);
                    self.process(&frame);
                }
                Ok(None) => break None,
                Err(e) => break Some(e),
            }
            if packets.is_multiple_of(batch) {
                on_batch(self, source)?;
            }
        };
        on_batch(self, source)?;
        Ok(SourceRun {
            packets,
            bytes,
            first_ts: (packets > 0).then_some(Timestamp(first_ts)),
            last_ts: (packets > 0).then_some(Timestamp(last_ts)),
            error,
        })
    }
}
