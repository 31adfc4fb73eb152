//! Flow records summed per conversation (client address, server address, transport, server
//! port), then resolved to devices and zones: the edges of the console's device peer map and
//! of its zone × zone traffic matrix, and what segmentation policy is checked against.
//!
//! Only IP flows between two unicast addresses are kept (a broadcast or multicast group is no
//! peer). The table is bounded by [`TrafficConfig::max_conversations`]; records of a new
//! conversation once it is full are counted in [`TrafficStats::untracked_flows`].

use std::net::IpAddr;

use foldhash::{HashMap, HashMapExt};
use std::sync::Arc;

use model::{Conversation, Device, FlowObservation, Timestamp, Transport, ip_is_unicast};

use crate::ZoneMap;

/// Limits of the conversation table (CONVENTIONS §6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrafficConfig {
    /// Conversations kept (default 262,144: about 30 MiB at most). A hospital's standing
    /// conversations are each device with the few servers it uses, a fraction of this even
    /// at 100,000 devices; scans and internet browsing fill it first and are counted.
    pub max_conversations: usize,
}

impl Default for TrafficConfig {
    fn default() -> Self {
        Self {
            max_conversations: 262_144,
        }
    }
}

/// Counters of the conversation table.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TrafficStats {
    /// Conversations kept.
    pub conversations: u64,
    /// Flow records of conversations not kept because the table was full.
    pub untracked_flows: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Key {
    client: IpAddr,
    server: IpAddr,
    transport: Transport,
    port: u16,
}

#[derive(Debug, Clone, Copy)]
struct Totals {
    app: Option<&'static str>,
    flows: u64,
    packets: u64,
    bytes: u64,
    first_seen: Timestamp,
    last_seen: Timestamp,
}

/// Flow records summed per conversation.
#[derive(Debug)]
pub struct TrafficTable {
    config: TrafficConfig,
    map: HashMap<Key, Totals>,
    stats: TrafficStats,
}

impl TrafficTable {
    /// An empty table.
    pub fn new(config: TrafficConfig) -> Self {
        Self {
            config,
            map: HashMap::new(),
            stats: TrafficStats::default(),
        }
    }

    /// Adds one flow record.
    pub fn observe_flow(&mut self, flow: &FlowObservation) {
        let (Some(client), Some(server), Transport::Ip(_)) =
            (flow.client.ip, flow.server.ip, flow.transport)
        else {
            return;
        };
        if !ip_is_unicast(&client) || !ip_is_unicast(&server) {
            return;
        }
        let key = Key {
            client,
            server,
            transport: flow.transport,
            port: flow.server.port,
        };
        let packets = flow.client_packets.saturating_add(flow.server_packets);
        let bytes = flow.client_bytes.saturating_add(flow.server_bytes);
        if let Some(t) = self.map.get_mut(&key) {
            t.flows += 1;
            t.packets = t.packets.saturating_add(packets);
            t.bytes = t.bytes.saturating_add(bytes);
            t.first_seen = t.first_seen.min(flow.first_seen);
            t.last_seen = t.last_seen.max(flow.last_seen);
            // The latest protocol named: a port that changed protocol shows what it is now.
            t.app = flow.app.or(t.app);
            return;
        }
        if self.map.len() >= self.config.max_conversations {
            self.stats.untracked_flows += 1;
            return;
        }
        self.map.insert(
            key,
            Totals {
                app: flow.app,
                flows: 1,
                packets,
                bytes,
                first_seen: flow.first_seen,
                last_seen: flow.last_seen,
            },
        );
    }

    /// The conversations, each side resolved to the device holding its address (the one that
    /// held it last, when several did) and to its zone; sorted by client, server, transport,
    /// port.
    pub fn finish(self, devices: &[Device], zones: &ZoneMap) -> (Vec<Conversation>, TrafficStats) {
        let holder = address_holders(devices);
        // One shared id and zone name per device, one zone name per address zone.
        let mut names: Vec<Option<(Arc<str>, Arc<str>)>> = vec![None; devices.len()];
        let mut zone_names: HashMap<String, Arc<str>> = HashMap::new();
        let mut side = |ip: &IpAddr| -> (Option<Arc<str>>, Arc<str>) {
            match holder.get(ip) {
                Some(&i) => {
                    let (id, zone) = names[i].get_or_insert_with(|| {
                        let zone = zones.device_zone(&devices[i]);
                        let zone = zone_names
                            .entry(zone)
                            .or_insert_with_key(|z| Arc::from(z.as_str()))
                            .clone();
                        (Arc::from(devices[i].id.0.as_str()), zone)
                    });
                    (Some(id.clone()), zone.clone())
                }
                None => {
                    let zone = zones.address_zone(ip);
                    let zone = zone_names
                        .entry(zone)
                        .or_insert_with_key(|z| Arc::from(z.as_str()))
                        .clone();
                    (None, zone)
                }
            }
        };
        let mut out: Vec<Conversation> = self
            .map
            .into_iter()
            .map(|(k, t)| {
                let (client_device, client_zone) = side(&k.client);
                let (server_device, server_zone) = side(&k.server);
                Conversation {
                    client_addr: k.client,
                    client_device,
                    client_zone,
                    server_addr: k.server,
                    server_device,
                    server_zone,
                    transport: k.transport,
                    port: k.port,
                    app: t.app,
                    flows: t.flows,
                    packets: t.packets,
                    bytes: t.bytes,
                    first_seen: t.first_seen,
                    last_seen: t.last_seen,
                }
            })
            .collect();
        out.sort_by(|a, b| {
            (a.client_addr, a.server_addr, a.transport, a.port).cmp(&(
                b.client_addr,
                b.server_addr,
                b.transport,
                b.port,
            ))
        });
        let stats = TrafficStats {
            conversations: out.len() as u64,
            ..self.stats
        };
        (out, stats)
    }
}

/// Each address → the index of the device holding it (the one that held it last, when
/// several did).
pub(crate) fn address_holders(devices: &[Device]) -> HashMap<IpAddr, usize> {
    let mut holder: HashMap<IpAddr, (usize, Timestamp)> = HashMap::new();
    for (i, d) in devices.iter().enumerate() {
        for s in &d.ips {
            let e = holder.entry(s.addr).or_insert((i, s.last_seen));
            if s.last_seen > e.1 {
                *e = (i, s.last_seen);
            }
        }
    }
    holder.into_iter().map(|(ip, (i, _))| (ip, i)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::{DeviceId, Endpoint, FlowEnd, IpSighting, Zone, ZoneKind};

    fn flow(
        client: &str,
        server: &str,
        port: u16,
        app: Option<&'static str>,
        t: i64,
    ) -> FlowObservation {
        let ep = |ip: &str, port| Endpoint {
            mac: None,
            ip: Some(ip.parse().unwrap()),
            port,
        };
        FlowObservation {
            id: 1,
            app,
            vlan: None,
            transport: Transport::TCP,
            client: ep(client, 40000),
            server: ep(server, port),
            first_seen: Timestamp(t),
            last_seen: Timestamp(t + 10),
            client_packets: 3,
            client_bytes: 300,
            server_packets: 2,
            server_bytes: 200,
            client_ttl: 64,
            server_ttl: 64,
            end: FlowEnd::Idle,
        }
    }

    fn device(id: &str, ip: &str, vlan: u16) -> Device {
        Device {
            id: DeviceId(id.into()),
            macs: vec!["00:00:5e:00:53:01".parse().unwrap()],
            vlans: vec![vlan],
            ips: vec![IpSighting {
                addr: ip.parse().unwrap(),
                first_seen: Timestamp(0),
                last_seen: Timestamp(100),
            }],
            ..Device::default()
        }
    }

    #[test]
    fn flows_sum_per_conversation_and_resolve_to_devices_and_zones() {
        let mut t = TrafficTable::new(TrafficConfig::default());
        t.observe_flow(&flow("10.20.0.5", "10.30.0.9", 2575, None, 10));
        t.observe_flow(&flow("10.20.0.5", "10.30.0.9", 2575, Some("hl7"), 50));
        t.observe_flow(&flow("10.20.0.5", "93.184.216.34", 443, Some("tls"), 60));
        t.observe_flow(&flow("10.20.0.5", "255.255.255.255", 67, None, 60));
        let zones = ZoneMap::new(vec![Zone {
            name: "icu".into(),
            kind: ZoneKind::Clinical,
            vlans: vec![20],
            subnets: vec![],
        }])
        .unwrap();
        let devices = [
            device("mac-000000000001", "10.20.0.5", 20),
            device("mac-000000000002", "10.30.0.9", 30),
        ];
        let (convs, stats) = t.finish(&devices, &zones);
        assert_eq!(stats.conversations, 2);
        let hl7 = &convs[0];
        assert_eq!(hl7.flows, 2);
        assert_eq!(hl7.packets, 10);
        assert_eq!(hl7.bytes, 1000);
        assert_eq!(
            (hl7.first_seen, hl7.last_seen),
            (Timestamp(10), Timestamp(60))
        );
        assert_eq!(hl7.app, Some("hl7"));
        assert_eq!(&*hl7.client_zone, "icu");
        assert_eq!(&*hl7.server_zone, "vlan 30");
        assert_eq!(hl7.server_device.as_deref(), Some("mac-000000000002"));
        let web = &convs[1];
        assert_eq!(web.server_device, None);
        assert_eq!(&*web.server_zone, "internet");
    }

    #[test]
    fn a_full_table_counts_what_it_cannot_keep() {
        let mut t = TrafficTable::new(TrafficConfig {
            max_conversations: 2,
        });
        for port in 1..=5 {
            t.observe_flow(&flow("10.0.0.1", "10.0.0.2", port, None, 0));
        }
        t.observe_flow(&flow("10.0.0.1", "10.0.0.2", 1, None, 0));
        let (convs, stats) = t.finish(&[], &ZoneMap::default());
        assert_eq!(convs.len(), 2);
        assert_eq!(stats.untracked_flows, 3);
        assert_eq!(convs[0].flows, 2);
    }
}
