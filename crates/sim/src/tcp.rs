//! One TCP connection as both ends would send it (RFC 9293): the three-way handshake with
//! each stack's SYN options, data cut at the MSS with the peer's ACKs, and the FIN exchange.
//! Sequence and acknowledgment numbers are tracked exactly, so tshark sees no gap,
//! retransmission or out-of-order segment.

use wire::ipv4::{IpProtocol, OptionBytes};
use wire::tcp::{self, Flags};

use crate::packet::{Frames, Host, Net, tcp_segment};

/// Maximum segment size used by both ends (Ethernet MTU 1500 − 40).
pub const MSS: usize = 1460;

/// SYN options of a stack (`data/profiles.toml` `[os.*] tcp_options`).
pub fn syn_options(layout: &str, ts_val: u32) -> Vec<u8> {
    let mss = [2, 4, (MSS >> 8) as u8, MSS as u8];
    let mut o = Vec::with_capacity(20);
    match layout {
        // Linux: MSS, SACK permitted, timestamps, NOP, window scale 7.
        "linux" => {
            o.extend_from_slice(&mss);
            o.extend_from_slice(&[4, 2, 8, 10]);
            o.extend_from_slice(&ts_val.to_be_bytes());
            o.extend_from_slice(&[0, 0, 0, 0, 1, 3, 3, 7]);
        }
        // Windows: MSS, NOP, window scale 8, NOP, NOP, SACK permitted.
        "windows" => {
            o.extend_from_slice(&mss);
            o.extend_from_slice(&[1, 3, 3, 8, 1, 1, 4, 2]);
        }
        // XNU: MSS, NOP, window scale 6, NOP, NOP, timestamps, SACK permitted, EOL (+pad).
        "apple" => {
            o.extend_from_slice(&mss);
            o.extend_from_slice(&[1, 3, 3, 6, 1, 1, 8, 10]);
            o.extend_from_slice(&ts_val.to_be_bytes());
            o.extend_from_slice(&[0, 0, 0, 0, 4, 2, 0, 0]);
        }
        _ => o.extend_from_slice(&mss),
    }
    o
}

/// One end's state.
#[derive(Debug, Clone)]
struct End {
    host: Host,
    port: u16,
    /// Next sequence number to send.
    seq: u32,
    window: u16,
    syn_options: Vec<u8>,
    ident: u16,
}

/// A connection between a client and a server.
#[derive(Debug, Clone)]
pub struct Connection {
    client: End,
    server: End,
    /// Time of the next segment, ns.
    pub now: i64,
    /// One-way delay between the ends, ns.
    pub one_way_ns: i64,
    /// Whether the FIN exchange has happened.
    pub closed: bool,
    /// The VLAN the capture sees this connection on (see [`Net::ip`]).
    pub view: Option<u16>,
}

/// Who sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dir {
    /// Client to server.
    ToServer,
    /// Server to client.
    ToClient,
}

/// How one end of a new connection is set up.
#[derive(Debug, Clone)]
pub struct EndSpec {
    /// The host.
    pub host: Host,
    /// Its port.
    pub port: u16,
    /// Its initial sequence number.
    pub isn: u32,
    /// Its window.
    pub window: u16,
    /// Its SYN options.
    pub syn_options: Vec<u8>,
    /// Its next IP identification.
    pub ident: u16,
}

impl Connection {
    /// A connection about to open at `now`.
    pub fn new(client: EndSpec, server: EndSpec, now: i64, one_way_ns: i64) -> Self {
        let view = client.host.vlan.or(server.host.vlan);
        let end = |s: EndSpec| End {
            host: s.host,
            port: s.port,
            seq: s.isn,
            window: s.window,
            syn_options: s.syn_options,
            ident: s.ident,
        };
        Self {
            client: end(client),
            server: end(server),
            now,
            one_way_ns: one_way_ns.max(20_000),
            closed: false,
            view,
        }
    }

    /// SYN, SYN-ACK, ACK.
    pub fn open(&mut self, net: &Net, frames: &mut Frames) {
        let syn = self.client.syn_options.clone();
        self.segment(net, frames, Dir::ToServer, Flags::SYN, &syn, &[], 0);
        self.client.seq = self.client.seq.wrapping_add(1);
        self.now += self.one_way_ns;
        let synack = self.server.syn_options.clone();
        let ack = self.client.seq;
        self.segment(
            net,
            frames,
            Dir::ToClient,
            Flags(Flags::SYN.0 | Flags::ACK.0),
            &synack,
            &[],
            ack,
        );
        self.server.seq = self.server.seq.wrapping_add(1);
        self.now += self.one_way_ns;
        let ack = self.server.seq;
        self.segment(net, frames, Dir::ToServer, Flags::ACK, &[], &[], ack);
        self.now += 50_000;
    }

    /// `data` from one end, cut at the MSS (PSH on the last segment), each pair of segments
    /// acknowledged by the other end.
    pub fn send(&mut self, net: &Net, frames: &mut Frames, dir: Dir, data: &[u8]) {
        if data.is_empty() || self.closed {
            return;
        }
        let chunks: Vec<&[u8]> = data.chunks(MSS).collect();
        let n = chunks.len();
        for (i, chunk) in chunks.into_iter().enumerate() {
            let last = i + 1 == n;
            let flags = if last {
                Flags(Flags::ACK.0 | Flags::PSH.0)
            } else {
                Flags::ACK
            };
            let ack = self.peer(dir).seq;
            self.segment(net, frames, dir, flags, &[], chunk, ack);
            let sender = self.end_mut(dir);
            sender.seq = sender.seq.wrapping_add(chunk.len() as u32);
            // Serialisation at ~1 Gbit/s: 12 µs per full segment.
            self.now += 12_000;
            if i % 2 == 1 || last {
                // The receiver acknowledges every second segment (RFC 9293 §3.8.6.3); the
                // sender waits for it, so no window ever fills.
                self.now += self.one_way_ns;
                let ack = self.end(dir).seq;
                self.segment(net, frames, flip(dir), Flags::ACK, &[], &[], ack);
                self.now += self.one_way_ns;
            }
        }
        self.now += 100_000;
    }

    /// FIN from `first`, FIN-ACK back, last ACK.
    pub fn close(&mut self, net: &Net, frames: &mut Frames, first: Dir) {
        if self.closed {
            return;
        }
        let fin_ack = Flags(Flags::FIN.0 | Flags::ACK.0);
        let ack = self.peer(first).seq;
        self.segment(net, frames, first, fin_ack, &[], &[], ack);
        let s = self.end_mut(first);
        s.seq = s.seq.wrapping_add(1);
        self.now += self.one_way_ns;
        let ack = self.end(first).seq;
        self.segment(net, frames, flip(first), fin_ack, &[], &[], ack);
        let s = self.end_mut(flip(first));
        s.seq = s.seq.wrapping_add(1);
        self.now += self.one_way_ns;
        let ack = self.peer(first).seq;
        self.segment(net, frames, first, Flags::ACK, &[], &[], ack);
        self.closed = true;
    }

    fn end(&self, dir: Dir) -> &End {
        match dir {
            Dir::ToServer => &self.client,
            Dir::ToClient => &self.server,
        }
    }

    fn end_mut(&mut self, dir: Dir) -> &mut End {
        match dir {
            Dir::ToServer => &mut self.client,
            Dir::ToClient => &mut self.server,
        }
    }

    fn peer(&self, dir: Dir) -> &End {
        self.end(flip(dir))
    }

    #[allow(clippy::too_many_arguments)]
    fn segment(
        &mut self,
        net: &Net,
        frames: &mut Frames,
        dir: Dir,
        flags: Flags,
        options: &[u8],
        payload: &[u8],
        ack: u32,
    ) {
        let (from, to) = match dir {
            Dir::ToServer => (&self.client, &self.server),
            Dir::ToClient => (&self.server, &self.client),
        };
        let repr = tcp::Repr {
            src_port: from.port,
            dst_port: to.port,
            seq_number: from.seq,
            ack_number: if flags.0 & Flags::ACK.0 != 0 { ack } else { 0 },
            flags,
            window_len: from.window,
            urgent_at: 0,
            options: OptionBytes::new(options).unwrap_or_default(),
        };
        let seg = tcp_segment(from.host.ip, to.host.ip, &repr, payload);
        let (src, dst, ident) = (from.host, to.host, from.ident);
        let view = self.view;
        net.ip(
            frames,
            self.now,
            &src,
            &dst,
            view,
            ident,
            IpProtocol::TCP,
            &seg,
        );
        let e = self.end_mut(dir);
        e.ident = e.ident.wrapping_add(1);
    }
}

fn flip(dir: Dir) -> Dir {
    match dir {
        Dir::ToServer => Dir::ToClient,
        Dir::ToClient => Dir::ToServer,
    }
}
