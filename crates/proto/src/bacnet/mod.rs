//! bacnet: not written yet (a registered skeleton that recognises nothing).

use model::{Side, Timestamp};

use crate::out::Out;
use crate::parser::{AppParser, FlowCtx, Probe, Transports, Verdict};

/// Per-flow state.
#[derive(Debug, Default)]
pub struct Bacnet;

impl AppParser for Bacnet {
    const NAME: &'static str = "bacnet";
    const TRANSPORTS: Transports = Transports::Udp;

    fn probe(_first: &[u8], _side: Side, _ctx: &FlowCtx) -> Probe {
        Probe::No
    }

    fn new(_ctx: &FlowCtx) -> Self {
        Self
    }

    fn feed(&mut self, _side: Side, _ts: Timestamp, _data: &[u8], _out: &mut Out<'_>) -> Verdict {
        Verdict::Done
    }

    fn gap(&mut self, _side: Side, _len: u32, _out: &mut Out<'_>) -> Verdict {
        Verdict::Done
    }

    fn end(&mut self, _out: &mut Out<'_>) {}
}
