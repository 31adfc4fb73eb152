//! SSH (RFC 4253 §4.2): the identification string each side sends first,
//! `SSH-protoversion-softwareversion SP comments CR LF`, names its software.
//!
//! # Facts
//!
//! None: the banner is software (`out.software(side, "OpenSSH", "8.9p1", whole line)`).
//!
//! # Event
//!
//! Object `ssh` (Suricata EVE's shape), one per banner: `{"client": {proto_version,
//! software_version}}` or `{"server": {...}}`, `software_version` being the banner after the
//! protocol version (`OpenSSH_8.9p1 Ubuntu-3`).

mod banner;
#[cfg(test)]
mod tests;

use model::{Side, Timestamp};
use serde_json::{Map, Value};

use crate::buffer::{Fed, StreamBuf};
use crate::out::{Out, text_value};
use crate::parser::{AppParser, FlowCtx, Probe, Transports, Verdict};

pub(crate) use banner::{Banner, frame, parse};

/// Per-flow state: each side's banner, once.
#[derive(Debug, Default)]
pub struct Ssh {
    bufs: [StreamBuf; 2],
    seen: [Option<Banner>; 2],
}

impl AppParser for Ssh {
    const NAME: &'static str = "ssh";
    const TRANSPORTS: Transports = Transports::Tcp;

    fn probe(first: &[u8], _side: Side, _ctx: &FlowCtx) -> Probe {
        // RFC 4253 §4.2: the string starts "SSH-"; a server may send other lines first, but
        // none of the servers we meet do, and those lines could be anything.
        let n = first.len().min(4);
        if first[..n] != b"SSH-"[..n] {
            Probe::No
        } else if n < 4 {
            Probe::NeedMore
        } else {
            Probe::Yes
        }
    }

    fn new(_ctx: &FlowCtx) -> Self {
        Self::default()
    }

    fn feed(&mut self, side: Side, _ts: Timestamp, data: &[u8], out: &mut Out<'_>) -> Verdict {
        let i = side as usize;
        if self.seen[i].is_some() {
            return self.verdict();
        }
        let mut seen = None;
        let fed = self.bufs[i].feed(data, banner::MAX_LINE, frame, |line| {
            if seen.is_some() {
                return;
            }
            match parse(line) {
                Ok(b) => {
                    out.count("messages");
                    out.software(side, b.software, b.version, b.line);
                    if out.events_enabled() {
                        let mut s = Map::new();
                        s.insert("proto_version".into(), text_value(b.proto_version));
                        s.insert("software_version".into(), text_value(b.software_line));
                        let mut o = Map::new();
                        o.insert(side.as_str().into(), Value::Object(s));
                        out.event(o);
                    }
                    seen = Some(Banner::from(&b));
                }
                Err(reason) => {
                    out.anomaly(reason);
                    seen = Some(Banner);
                }
            }
        });
        if seen.is_none() && matches!(fed, Fed::Invalid | Fed::Oversize) {
            out.anomaly("ssh_banner_too_long");
            seen = Some(Banner);
        }
        if seen.is_some() {
            self.seen[i] = seen;
        }
        self.verdict()
    }

    fn gap(&mut self, _side: Side, _len: u32, _out: &mut Out<'_>) -> Verdict {
        Verdict::Done
    }

    fn end(&mut self, _out: &mut Out<'_>) {}
}

impl Ssh {
    /// Both banners seen: the rest is the encrypted transport.
    fn verdict(&self) -> Verdict {
        if self.seen.iter().all(Option::is_some) {
            Verdict::Done
        } else {
            Verdict::Continue
        }
    }
}
