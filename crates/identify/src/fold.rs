//! Flow records folded per conversation before they reach the inventory's endpoints.
//!
//! The inventory keeps per endpoint what its flows add up to: packets, bytes, first and last
//! seen, its services and their peers, the protocols recognised on them. None of that needs
//! one update per flow record: a monitor that sends its HL7 results to the engine every
//! minute, a resolver asked the same name over and over, a pump polling its server — each is
//! one conversation repeated from fresh client ports. Updating an endpoint costs several
//! lookups in large maps (the endpoint, its service, the service's peers, the VLANs, the
//! protocol votes), each a likely cache miss; folding a repeated record costs one lookup in
//! a small table. So records are summed here per conversation — client (MAC, IP), server
//! (MAC, IP, port), transport, VLAN, protocol: everything the inventory reads from a record
//! except the client port — and handed on in first-seen order when the table is full or
//! the inventory is read.
//!
//! The totals are per side, counting only the records in which that side sent packets, as
//! the per-record update did: an endpoint's packets, bytes, first and last seen and protocol
//! votes come out the same. Only the order in which conversations reach the endpoints
//! changes, which matters only where a bound is reached (services per endpoint, peers per
//! service): there the first conversation seen keeps its place, as before.

use std::hash::BuildHasher;

use foldhash::fast::FixedState;
use hashbrown::HashTable;
use model::{FlowObservation, Timestamp};

/// Conversations held before they are handed on: 65,536 at 304 bytes each (19 MiB at most,
/// with the index), bounded whatever the capture. Large enough that a hospital's standing
/// conversations (every device with each server it talks to) fold for many minutes of
/// capture.
pub(crate) const CAPACITY: usize = 65_536;

/// What one side of a conversation sent, over the records in which it sent anything.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct SideTotals {
    /// Records in which this side sent at least one packet.
    pub flows: u64,
    pub packets: u64,
    pub bytes: u64,
    /// First and last seen of those records.
    pub first_seen: Timestamp,
    pub last_seen: Timestamp,
    /// Highest TTL / hop limit its packets arrived with (0: none).
    pub max_ttl: u8,
}

impl SideTotals {
    fn add(&mut self, packets: u64, bytes: u64, first: Timestamp, last: Timestamp, ttl: u8) {
        if packets == 0 {
            return;
        }
        self.max_ttl = self.max_ttl.max(ttl);
        if self.flows == 0 {
            self.first_seen = first;
            self.last_seen = last;
        } else {
            self.first_seen = self.first_seen.min(first);
            self.last_seen = self.last_seen.max(last);
        }
        self.flows += 1;
        self.packets += packets;
        self.bytes += bytes;
    }
}

/// One conversation's records, summed.
#[derive(Debug, Clone)]
pub(crate) struct Conversation {
    key: ConversationKey,
    /// The first record: its endpoints, transport, VLAN and protocol name the conversation
    /// (its client port, counters and times are those of that record only: use the totals).
    pub flow: FlowObservation,
    /// Client side, then server side.
    pub sides: [SideTotals; 2],
}

/// What names a conversation, packed into six words: folding is on the per-flow path, and
/// hashing and comparing the record's own fields (options of enums of arrays) costs a hasher
/// round and a branch per field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct ConversationKey {
    client_ip: u128,
    server_ip: u128,
    /// MAC in the low 48 bits, bit 48 set when present.
    client_mac: u64,
    server_mac: u64,
    /// Server port (16 bits), VLAN (17: bit 16 = present), transport (17: bit 16 = link
    /// layer), and each address's family (2 bits each: none, IPv4, IPv6).
    rest: u64,
    /// The protocol name's address and length: names are `&'static str` constants, so equal
    /// names are almost always one address; two addresses for one name only split a
    /// conversation in two, which the inventory adds up the same. (The length tells apart a
    /// name stored as the prefix of another, as "http" in "https".)
    app: (usize, usize),
}

impl ConversationKey {
    fn of(f: &FlowObservation) -> Self {
        /// The address's bits and family (0 none, 1 IPv4, 2 IPv6: an IPv4-mapped IPv6
        /// address is not the IPv4 address).
        fn ip(ip: Option<std::net::IpAddr>) -> (u128, u64) {
            match ip {
                Some(std::net::IpAddr::V4(v4)) => (u128::from(v4.to_bits()), 1),
                Some(std::net::IpAddr::V6(v6)) => (v6.to_bits(), 2),
                None => (0, 0),
            }
        }
        fn mac(mac: Option<model::MacAddr>) -> u64 {
            mac.map_or(0, |m| 1 << 48 | m.to_u64())
        }
        let transport = match f.transport {
            model::Transport::Ip(p) => u64::from(p),
            model::Transport::Link(e) => 1 << 16 | u64::from(e),
        };
        let vlan = f.vlan.map_or(0, |v| 1 << 16 | u64::from(v));
        let (client_ip, client_family) = ip(f.client.ip);
        let (server_ip, server_family) = ip(f.server.ip);
        Self {
            client_ip,
            server_ip,
            client_mac: mac(f.client.mac),
            server_mac: mac(f.server.mac),
            rest: u64::from(f.server.port)
                | vlan << 16
                | transport << 33
                | client_family << 50
                | server_family << 52,
            app: f.app.map_or((0, 0), |a| (a.as_ptr() as usize, a.len())),
        }
    }
}

/// The fold table: conversations in first-seen order, and an index over them.
#[derive(Debug, Default)]
pub(crate) struct FlowFold {
    hasher: FixedState,
    index: HashTable<u32>,
    conversations: Vec<Conversation>,
}

impl FlowFold {
    /// Adds one flow record. True when the table is full: hand the conversations on.
    pub(crate) fn add(&mut self, flow: &FlowObservation) -> bool {
        let key = ConversationKey::of(flow);
        let hash = self.hasher.hash_one(key);
        let conversations = &mut self.conversations;
        let found = self
            .index
            .find(hash, |&i| conversations[i as usize].key == key);
        let i = match found {
            Some(&i) => i as usize,
            None => {
                let i = conversations.len();
                conversations.push(Conversation {
                    key,
                    flow: flow.clone(),
                    sides: [SideTotals::default(); 2],
                });
                let hasher = &self.hasher;
                self.index.insert_unique(hash, i as u32, |&j| {
                    hasher.hash_one(conversations[j as usize].key)
                });
                i
            }
        };
        let sides = &mut conversations[i].sides;
        sides[0].add(
            flow.client_packets,
            flow.client_bytes,
            flow.first_seen,
            flow.last_seen,
            flow.client_ttl,
        );
        sides[1].add(
            flow.server_packets,
            flow.server_bytes,
            flow.first_seen,
            flow.last_seen,
            flow.server_ttl,
        );
        conversations.len() >= CAPACITY
    }

    /// True when nothing is held.
    pub(crate) fn is_empty(&self) -> bool {
        self.conversations.is_empty()
    }

    /// Hands on every conversation held, in first-seen order, and empties the table (its
    /// memory is kept for the next round).
    pub(crate) fn drain(&mut self) -> std::vec::Drain<'_, Conversation> {
        self.index.clear();
        self.conversations.drain(..)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::{Endpoint, FlowEnd, Transport};

    fn record(client_port: u16, server_port: u16, ts: i64, packets: [u64; 2]) -> FlowObservation {
        FlowObservation {
            id: 1,
            app: Some("http"),
            vlan: None,
            transport: Transport::TCP,
            client: Endpoint {
                mac: None,
                ip: Some("10.0.0.1".parse().unwrap()),
                port: client_port,
            },
            server: Endpoint {
                mac: None,
                ip: Some("10.0.0.2".parse().unwrap()),
                port: server_port,
            },
            first_seen: Timestamp(ts),
            last_seen: Timestamp(ts + 5),
            client_packets: packets[0],
            client_bytes: packets[0] * 100,
            server_packets: packets[1],
            server_bytes: packets[1] * 100,
            client_ttl: 64,
            server_ttl: 128,
            end: FlowEnd::Idle,
        }
    }

    #[test]
    fn repeated_conversations_from_new_client_ports_fold_into_one() {
        let mut fold = FlowFold::default();
        assert!(!fold.add(&record(40000, 80, 100, [3, 2])));
        assert!(!fold.add(&record(40001, 80, 50, [1, 0])));
        assert!(!fold.add(&record(40002, 443, 70, [1, 1])));
        let got: Vec<_> = fold.drain().collect();
        assert_eq!(got.len(), 2, "port 80 and port 443 are two conversations");
        assert_eq!(got[0].flow.server.port, 80, "first seen comes first");
        let [client, server] = got[0].sides;
        assert_eq!((client.flows, client.packets, client.bytes), (2, 4, 400));
        assert_eq!(
            (client.first_seen, client.last_seen),
            (Timestamp(50), Timestamp(105))
        );
        // The server answered in one of the two records only: its times are that record's.
        assert_eq!((server.flows, server.packets), (1, 2));
        assert_eq!(
            (server.first_seen, server.last_seen),
            (Timestamp(100), Timestamp(105))
        );
        assert!(fold.is_empty());
    }

    #[test]
    fn a_different_protocol_or_vlan_is_a_different_conversation() {
        let mut fold = FlowFold::default();
        fold.add(&record(40000, 80, 0, [1, 1]));
        let mut tls = record(40001, 80, 0, [1, 1]);
        tls.app = Some("tls");
        fold.add(&tls);
        let mut tagged = record(40002, 80, 0, [1, 1]);
        tagged.vlan = Some(20);
        fold.add(&tagged);
        assert_eq!(fold.drain().count(), 3);
    }

    #[test]
    fn an_ipv4_mapped_ipv6_server_is_not_the_ipv4_server() {
        let mut fold = FlowFold::default();
        fold.add(&record(40000, 80, 0, [1, 1]));
        let mut mapped = record(40001, 80, 0, [1, 1]);
        mapped.server.ip = Some("::ffff:10.0.0.2".parse().unwrap());
        fold.add(&mapped);
        assert_eq!(fold.drain().count(), 2);
    }

    #[test]
    fn says_full_at_capacity() {
        let mut fold = FlowFold::default();
        let mut full = false;
        for port in 0..CAPACITY {
            full = fold.add(&record(40000, port as u16, 0, [1, 1]));
        }
        assert!(full);
        assert_eq!(fold.drain().count(), CAPACITY);
    }
}
