//! Template: the smallest complete protocol, to copy when adding one. It is compiled and
//! tested but not registered (it is not a real protocol).
//!
//! To add protocol `foo`:
//! 1. `cp -r crates/proto/src/template crates/proto/src/foo`, rename `Template` and `NAME`,
//!    cite the standard in this doc comment.
//! 2. Pure parsing functions go in their own files (`message.rs` here): `&[u8]` in, the item
//!    and what it consumed out, `ReadError::Incomplete` when more bytes are needed.
//! 3. Keep `mod.rs` to the [`AppParser`] impl: probe by content, per-side state, what goes to
//!    `out` (facts, software, exposures, events, counters). Never a patient value or secret.
//! 4. Add one line to `registry.rs`, annotated fixtures to `tests.rs`, a fuzz target
//!    `fuzz/fuzz_targets/proto_foo.rs`, and the facts and event object to ARCHITECTURE.md
//!    and docs/events.md.
//!
//! The fictional protocol: each side sends lines `HELLO <product>/<version>` (a greeting
//! naming its software) and `LOGIN <user> <password>` (a cleartext login).

mod message;
#[cfg(test)]
mod tests;

use model::{ExposureKind, Side, Timestamp};
use serde_json::Map;

use crate::buffer::{Fed, StreamBuf};
use crate::out::{Out, text_value};
use crate::parser::{AppParser, FlowCtx, Probe, Transports, Verdict};

use message::{Message, frame, parse};

/// Per-flow state: one buffer per side (client, server) and how many messages were seen.
#[derive(Debug, Default)]
pub struct Template {
    bufs: [StreamBuf; 2],
    messages: u32,
}

/// Messages read per flow before the parser is done (what identifies a device comes first).
const MAX_MESSAGES: u32 = 64;

impl AppParser for Template {
    const NAME: &'static str = "template";
    const TRANSPORTS: Transports = Transports::Tcp;

    fn probe(first: &[u8], _side: Side, _ctx: &FlowCtx) -> Probe {
        let n = first.len().min(6);
        match &first[..n] {
            b if b != &b"HELLO "[..n] => Probe::No,
            _ if n < 6 => Probe::NeedMore,
            _ => Probe::Yes,
        }
    }

    fn new(_ctx: &FlowCtx) -> Self {
        Self::default()
    }

    fn feed(&mut self, side: Side, _ts: Timestamp, data: &[u8], out: &mut Out<'_>) -> Verdict {
        let mut messages = 0;
        let fed = self.bufs[side as usize].feed(data, message::MAX_LINE, frame, |line| {
            messages += 1;
            match parse(line) {
                Ok(Message::Hello { product, version }) => {
                    out.software(side, product, version, line);
                    if out.events_enabled() {
                        let mut o = Map::new();
                        o.insert("product".into(), text_value(product));
                        out.event(o);
                    }
                }
                Ok(Message::Login { user_present }) => out.exposure(
                    ExposureKind::CleartextCredentials,
                    side,
                    "LOGIN",
                    vec!["password".into()],
                    Some(user_present),
                ),
                Err(reason) => out.anomaly(reason),
            }
        });
        for _ in 0..messages {
            out.count("messages");
        }
        self.messages += messages;
        match fed {
            Fed::Ok if self.messages < MAX_MESSAGES => Verdict::Continue,
            Fed::Ok => Verdict::Done,
            Fed::Invalid | Fed::Oversize => {
                out.anomaly("template_line_too_long");
                Verdict::Done
            }
        }
    }

    fn gap(&mut self, side: Side, _len: u32, _out: &mut Out<'_>) -> Verdict {
        // Line protocol: drop the partial line; the next LF resynchronises.
        self.bufs[side as usize].clear();
        Verdict::Continue
    }

    fn end(&mut self, _out: &mut Out<'_>) {}
}
