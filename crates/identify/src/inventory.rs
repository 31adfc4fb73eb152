//! The device inventory: observations in, devices out.
//!
//! A device is a station that sent packets. It is keyed by its MAC when the link has one,
//! or by its IP address when it does not (raw-IP captures) or when it sits behind a router.
//!
//! **Routers must not merge devices.** A router's MAC is the link-layer source of every packet
//! it forwards, so one MAC shows many source IPs. Traffic is therefore first accumulated per
//! (MAC, IP) endpoint; at the end a MAC that sourced more distinct addresses of one family
//! than [`InventoryConfig::router_threshold`] is a router: it keeps only the addresses bound to
//! it by ARP, Neighbor Discovery or DHCP, gets the `router` role, and the local addresses
//! behind it become devices of their own (`ip-<address>`). Internet hosts behind a router are
//! not inventory: they are counted in [`InventoryStats::remote_endpoints`].
//!
//! Randomised (locally administered) MACs rotate, so devices that only have such MACs are
//! keyed by their IP address (DESIGN §5) and merged when they held the same one.
//!
//! Every collection is bounded by a field of [`InventoryConfig`] with a counter when hit.

use std::collections::BTreeMap;
use std::collections::hash_map::Entry;

use crate::facts::FactKinds;
use crate::flat::{FlatMap, FlatSet};

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};
use std::net::IpAddr;

use model::{
    AppKind, AppObservation, Device, DeviceId, DhcpFingerprint, DhcpObservation, Finding,
    FlowObservation, Hostname, HostnameSource, IpSighting, MacAddr, NameObservation, NameSource,
    Observation, Service, Timestamp, Transport, ip_is_local, ip_is_unicast,
};

use crate::evidence::{AppEvidence, EvidenceStats};
use crate::fold::{Conversation, FlowFold};
use crate::oui::vendor_attribute;

/// Router addresses (DHCP option 3) kept: one per subnet, so thousands at most.
const MAX_GATEWAYS: usize = 4096;

/// Limits of one analysis' inventory (CONVENTIONS §6).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventoryConfig {
    /// Devices tracked; later ones are counted, not tracked (default 1,000,000).
    pub max_devices: usize,
    /// (MAC, IP) endpoints accumulated before devices are formed (default 2,000,000).
    pub max_endpoints: usize,
    /// Addresses kept per device, most recently seen kept (default 64).
    pub max_ips_per_device: usize,
    /// Hostnames kept per device (default 32).
    pub max_hostnames_per_device: usize,
    /// DNS query names kept per device (default 64).
    pub max_dns_queries_per_device: usize,
    /// Services kept per device, those with the most peers (default 64). Each (MAC, IP)
    /// endpoint holds at most four times as many, so a port scan cannot grow memory: when
    /// full, the newest service makes room for a new one if it has at most one peer, and a
    /// flow whose service finds no room is counted in [`InventoryStats::services_untracked`].
    pub max_services_per_device: usize,
    /// Distinct peers counted per service before the count saturates (default 1024).
    pub max_peers_per_service: usize,
    /// Name → address answers kept (default 200,000).
    pub max_names: usize,
    /// A MAC sourcing more distinct addresses than this, in one address family, is a router
    /// (default 4: a host has one IPv4 address, or a few with aliases or VRRP).
    pub router_threshold: usize,
}

impl InventoryConfig {
    fn max_services_per_endpoint(&self) -> usize {
        self.max_services_per_device.saturating_mul(4)
    }
}

impl Default for InventoryConfig {
    fn default() -> Self {
        Self {
            max_devices: 1_000_000,
            max_endpoints: 2_000_000,
            max_ips_per_device: 64,
            max_hostnames_per_device: 32,
            max_dns_queries_per_device: 64,
            max_services_per_device: 64,
            max_peers_per_service: 1024,
            max_names: 200_000,
            router_threshold: 4,
        }
    }
}

/// Inventory counters, reported beside the devices.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InventoryStats {
    /// Devices not tracked because `max_devices` was reached.
    pub devices_untracked: u64,
    /// Endpoints not tracked because `max_endpoints` was reached.
    pub endpoints_untracked: u64,
    /// Flow sides whose service (transport, port, role) was not tracked: their endpoint
    /// already held four times `max_services_per_device` services and its newest one had
    /// several peers. Services with one peer evicted to make room are not counted.
    pub services_untracked: u64,
    /// Name answers not kept because `max_names` was reached.
    pub names_untracked: u64,
    /// Distinct internet (non-local) addresses seen behind routers: not devices.
    pub remote_endpoints: u64,
    /// MACs classified as routers.
    pub routers: u64,
    /// Application evidence that did not fit its endpoint's bounds.
    pub evidence: EvidenceStats,
}

/// Service key: (transport, server port, the device is the server).
type ServiceKey = (Transport, u16, bool);

/// The application protocols recognised on each service, with the flows each was recognised
/// in. One service can show several (a proxy port speaking HTTP to some clients and TLS to
/// others); the report names the one with the most flows, ties to the lowest name, so the
/// choice follows neither the order the flows ended in nor the order endpoints merge in.
#[derive(Debug, Default)]
struct AppVotes {
    flows: FlatMap<(ServiceKey, &'static str), u64>,
}

impl AppVotes {
    fn add(&mut self, key: ServiceKey, app: &'static str, flows: u64) {
        *self.flows.entry((key, app)).or_default() += flows;
    }

    /// Forgets the service `key` (evicted from its endpoint), so votes stay bounded by the
    /// services kept.
    fn forget(&mut self, key: ServiceKey) {
        self.flows.retain(|(k, _), _| *k != key);
    }

    fn merge(&mut self, other: &AppVotes) {
        for (&(key, app), &flows) in &other.flows {
            self.add(key, app, flows);
        }
    }

    /// Each service's protocol: the most flows, ties to the lowest name.
    fn winners(&self) -> BTreeMap<ServiceKey, &'static str> {
        let mut best: BTreeMap<ServiceKey, (&'static str, u64)> = BTreeMap::new();
        // Names come in ascending order per service, so a later name wins only with more flows.
        for (&(key, app), &flows) in &self.flows {
            let kept = best.entry(key).or_insert((app, flows));
            if flows > kept.1 {
                *kept = (app, flows);
            }
        }
        best.into_iter().map(|(key, (app, _))| (key, app)).collect()
    }
}

/// The distinct peers of one service: the first two kept inline (most services have one or
/// two — a host's resolver, its gateway, the server it polls), a hash set past them. Saves the
/// set's allocation and a hash per flow on the inventory's per-flow path.
#[derive(Debug)]
enum PeerSet {
    Few(u8, [IpAddr; 2]),
    Many(HashSet<IpAddr>),
}

impl Default for PeerSet {
    fn default() -> Self {
        Self::Few(0, [IpAddr::V4(std::net::Ipv4Addr::UNSPECIFIED); 2])
    }
}

impl PeerSet {
    fn len(&self) -> usize {
        match self {
            Self::Few(n, _) => usize::from(*n),
            Self::Many(set) => set.len(),
        }
    }

    fn insert(&mut self, ip: IpAddr) {
        match self {
            Self::Few(n, ips) => {
                let held = &ips[..usize::from(*n)];
                if held.contains(&ip) {
                    return;
                }
                if let Some(slot) = ips.get_mut(usize::from(*n)) {
                    *slot = ip;
                    *n += 1;
                } else {
                    let mut set = HashSet::with_capacity(4);
                    set.extend(ips.iter().copied());
                    set.insert(ip);
                    *self = Self::Many(set);
                }
            }
            Self::Many(set) => {
                set.insert(ip);
            }
        }
    }
}

/// Traffic of one (MAC, IP) endpoint.
#[derive(Debug, Default)]
struct EndpointState {
    first_seen: Option<Timestamp>,
    last_seen: Timestamp,
    packets: u64,
    bytes: u64,
    /// Highest TTL / hop limit its packets arrived with (0: none seen): an initial value
    /// (64, 128, 255) when it sent them onto the segment itself, lower when a router did.
    max_ttl: u8,
    vlans: FlatSet<u16>,
    /// (transport, server port, role is server) → distinct peers.
    services: HashMap<(Transport, u16, bool), PeerSet>,
    /// The service added last: the one a full map gives up for a new one while it has at
    /// most one peer (see [`Self::evict_newest_single_peer_service`]).
    newest_service: Option<(Transport, u16, bool)>,
    dns_queries: FlatSet<String>,
    /// Application protocols recognised per service (from the flow records), with flows.
    apps: AppVotes,
    /// What application protocols said about this endpoint.
    app: AppEvidence,
}

impl EndpointState {
    /// Makes room in a full service map by dropping the newest service if it has at most one
    /// peer: the one-peer ports of a scan keep recycling one slot, services with several
    /// peers stay, and a busy service whose flows end after a scan's still finds a place.
    /// Constant time, and the same choice for the same input. False when the newest service
    /// has several peers (the new service is then counted as untracked).
    fn evict_newest_single_peer_service(&mut self) -> bool {
        let Some(newest) = self.newest_service.take() else {
            return false;
        };
        if self
            .services
            .get(&newest)
            .is_some_and(|peers| peers.len() <= 1)
        {
            self.services.remove(&newest);
            self.apps.forget(newest);
            true
        } else {
            self.newest_service = Some(newest);
            false
        }
    }

    fn seen(&mut self, first: Timestamp, last: Timestamp) {
        self.first_seen = Some(self.first_seen.map_or(first, |f| f.min(first)));
        self.last_seen = self.last_seen.max(last);
    }
}

/// What a MAC said about itself outside its traffic.
#[derive(Debug, Default)]
struct MacState {
    first_seen: Option<Timestamp>,
    last_seen: Timestamp,
    /// Non-IP frames sent (ARP, LLDP, …).
    link_packets: u64,
    link_bytes: u64,
    vlans: FlatSet<u16>,
    /// Addresses bound by ARP / ND / DHCP, with first and last time.
    bound: FlatMap<IpAddr, (Timestamp, Timestamp)>,
    hostnames: FlatSet<Hostname>,
    /// The latest client fingerprint by capture time, with that time.
    dhcp: Option<(Timestamp, DhcpFingerprint)>,
    /// What link-layer announcements (LLDP, CDP) said about the MAC.
    app: AppEvidence,
}

impl MacState {
    fn seen(&mut self, ts: Timestamp) {
        self.first_seen = Some(self.first_seen.map_or(ts, |f| f.min(ts)));
        self.last_seen = self.last_seen.max(ts);
    }
    fn bind(&mut self, ip: IpAddr, ts: Timestamp) {
        let e = self.bound.entry(ip).or_insert((ts, ts));
        e.0 = e.0.min(ts);
        e.1 = e.1.max(ts);
    }
}

/// Builds devices from observations. Feed it with [`Inventory::observe`], then call
/// [`Inventory::finish`].
#[derive(Debug, Default)]
pub struct Inventory {
    config: InventoryConfig,
    stats: InventoryStats,
    endpoints: HashMap<(Option<MacAddr>, IpAddr), EndpointState>,
    macs: HashMap<MacAddr, MacState>,
    /// Address → names it answered to.
    names: HashMap<IpAddr, FlatSet<Hostname>>,
    names_len: usize,
    /// The (key, protocol) pairs the endpoints' facts are filed under.
    fact_kinds: FactKinds,
    /// Addresses DHCP servers named as their clients' router (option 3).
    gateways: HashSet<IpAddr>,
    /// Flow records not yet applied to the endpoints.
    fold: FlowFold,
    /// Randomised MACs earlier inventories keyed by an address (a live sensor's windows).
    randomized: RandomizedKeys,
}

/// The addresses that keyed devices with randomised MACs, carried from one inventory to the
/// next: a live sensor stores a window every few seconds, and a phone whose window held only
/// link-local traffic (mDNS, ND) would otherwise be a device of its own, apart from the
/// `ip-…` device its MAC joined in an earlier window (DESIGN §5).
#[derive(Debug, Clone, Default)]
pub struct RandomizedKeys {
    by_mac: HashMap<MacAddr, IpAddr>,
}

impl RandomizedKeys {
    /// At most this many MACs are remembered; when full, the memory starts again (a MAC
    /// forgotten costs one stray `mac-…` device until its address is seen again).
    pub const MAX: usize = 65_536;

    /// Learns the MACs of `devices` keyed by an address (`ip-…` with randomised MACs).
    pub fn learn(&mut self, devices: &[Device]) {
        for d in devices.iter().filter(|d| d.mac_randomized) {
            let Some(ip) =
                d.id.0
                    .strip_prefix("ip-")
                    .and_then(|a| a.parse::<IpAddr>().ok())
            else {
                continue;
            };
            for mac in &d.macs {
                self.insert(*mac, ip);
            }
        }
    }

    /// Remembers that `mac` was keyed by `ip` (read back from a store at start).
    pub fn insert(&mut self, mac: MacAddr, ip: IpAddr) {
        if self.by_mac.len() >= Self::MAX {
            self.by_mac.clear();
        }
        self.by_mac.insert(mac, ip);
    }

    /// MACs remembered.
    pub fn len(&self) -> usize {
        self.by_mac.len()
    }

    /// Nothing remembered.
    pub fn is_empty(&self) -> bool {
        self.by_mac.is_empty()
    }

    fn get(&self, macs: &FlatSet<MacAddr>) -> Option<IpAddr> {
        macs.iter().find_map(|m| self.by_mac.get(m).copied())
    }
}

impl Inventory {
    /// Randomised MACs earlier inventories keyed by an address: a device here known only by
    /// such a MAC and link-local addresses joins that address's device.
    pub fn remember_randomized(&mut self, keys: RandomizedKeys) {
        self.randomized = keys;
    }

    /// An empty inventory with these limits.
    pub fn new(config: InventoryConfig) -> Self {
        Self {
            config,
            ..Self::default()
        }
    }

    /// Takes one observation.
    pub fn observe(&mut self, obs: &Observation) {
        match obs {
            Observation::Flow(flow) => self.observe_flow(flow),
            Observation::Dhcp(dhcp) => self.dhcp(dhcp),
            Observation::Binding {
                ts, vlan, mac, ip, ..
            } => {
                if mac.is_station()
                    && ip_is_unicast(ip)
                    && let Some(m) = self.mac(*mac)
                {
                    m.seen(*ts);
                    m.bind(*ip, *ts);
                    m.vlans.extend(*vlan);
                }
            }
            Observation::Name(name) => self.name(name),
            Observation::App(app) => self.app(app),
        }
    }

    /// Takes one flow record (as [`Self::observe`] with [`Observation::Flow`], without the
    /// record having to be moved into an observation first).
    pub fn observe_flow(&mut self, flow: &FlowObservation) {
        if self.fold.add(flow) {
            self.apply_folded_flows();
        }
    }

    fn mac(&mut self, mac: MacAddr) -> Option<&mut MacState> {
        let full = self.macs.len() >= self.config.max_devices;
        let state = bounded_entry(&mut self.macs, mac, full);
        if state.is_none() {
            self.stats.devices_untracked += 1;
        }
        state
    }

    fn endpoint(&mut self, mac: Option<MacAddr>, ip: IpAddr) -> Option<&mut EndpointState> {
        let full = self.endpoints.len() >= self.config.max_endpoints;
        let state = bounded_entry(&mut self.endpoints, (mac, ip), full);
        if state.is_none() {
            self.stats.endpoints_untracked += 1;
        }
        state
    }

    /// Hands the folded conversations to the endpoints (see [`crate::fold`]).
    fn apply_folded_flows(&mut self) {
        if self.fold.is_empty() {
            return;
        }
        let mut fold = std::mem::take(&mut self.fold);
        for conversation in fold.drain() {
            self.conversation(&conversation);
        }
        self.fold = fold;
    }

    fn conversation(&mut self, conversation: &Conversation) {
        let flow = &conversation.flow;
        let [client, server] = &conversation.sides;
        let sides = [
            (&flow.client, &flow.server, client, false),
            (&flow.server, &flow.client, server, true),
        ];
        for (me, peer, totals, is_server) in sides {
            if totals.packets == 0 {
                continue;
            }
            let mac = me.mac.filter(MacAddr::is_station);
            let ip = me.ip.filter(ip_is_unicast);
            match (mac, ip) {
                (Some(mac), None) => {
                    // Link-only conversations (ARP, LLDP, …) and IP packets from no address
                    // yet (a DHCP client's 0.0.0.0): the MAC's own traffic.
                    if let Some(m) = self.mac(mac) {
                        m.seen(totals.first_seen);
                        m.seen(totals.last_seen);
                        m.link_packets += totals.packets;
                        m.link_bytes += totals.bytes;
                        m.vlans.extend(flow.vlan);
                    } else {
                        // Counted per record, as when each record came on its own.
                        self.stats.devices_untracked += totals.flows - 1;
                    }
                }
                (mac, Some(ip)) => {
                    if me.mac.is_some() && mac.is_none() {
                        // A group or zero source MAC: not a station.
                        continue;
                    }
                    let max_peers = self.config.max_peers_per_service;
                    let max_services = self.config.max_services_per_endpoint();
                    let Some(e) = self.endpoint(mac, ip) else {
                        // Counted per record, as when each record came on its own.
                        self.stats.endpoints_untracked += totals.flows - 1;
                        continue;
                    };
                    e.seen(totals.first_seen, totals.last_seen);
                    e.packets += totals.packets;
                    e.bytes += totals.bytes;
                    // Only unicast traffic says how far a sender is: IGMP, OSPF, LLMNR and
                    // SSDP go to groups at a TTL of 1–4 by design, from hosts next door.
                    if peer.ip.as_ref().is_some_and(ip_is_unicast) {
                        e.max_ttl = e.max_ttl.max(totals.max_ttl);
                    }
                    e.vlans.extend(flow.vlan);
                    if matches!(flow.transport, Transport::Ip(6 | 17 | 132)) {
                        let key = (flow.transport, flow.server.port, is_server);
                        if e.services.len() >= max_services
                            && !e.services.contains_key(&key)
                            && !e.evict_newest_single_peer_service()
                        {
                            self.stats.services_untracked += totals.flows;
                            continue;
                        }
                        let peers = match e.services.entry(key) {
                            Entry::Occupied(entry) => entry.into_mut(),
                            Entry::Vacant(entry) => {
                                e.newest_service = Some(key);
                                entry.insert(PeerSet::default())
                            }
                        };
                        if let Some(peer_ip) = peer.ip
                            && peers.len() < max_peers
                        {
                            peers.insert(peer_ip);
                        }
                        if let Some(app) = flow.app {
                            e.apps.add(key, app, totals.flows);
                        }
                    }
                }
                _ => {}
            }
        }
    }

    /// Application evidence goes to the endpoint of the side it describes; link-layer
    /// announcements (LLDP, CDP: no IP) to the MAC.
    fn app(&mut self, obs: &AppObservation) {
        let side = match &obs.kind {
            AppKind::Fact(f) => f.side,
            AppKind::Software(s) => s.side,
            AppKind::Exposure(e) => e.side,
            AppKind::Anomaly(_) => return,
        };
        let me = obs.flow.endpoint(side);
        let mac = me.mac.filter(MacAddr::is_station);
        let ip = me.ip.filter(ip_is_unicast);
        let mut stats = std::mem::take(&mut self.stats.evidence);
        let mut kinds = std::mem::take(&mut self.fact_kinds);
        match (mac, ip) {
            (Some(mac), None) => {
                if let Some(m) = self.mac(mac) {
                    m.app.observe(obs, &mut kinds, &mut stats);
                }
            }
            (mac, Some(ip)) if me.mac.is_none() || mac.is_some() => {
                if let Some(e) = self.endpoint(mac, ip) {
                    e.seen(obs.ts, obs.ts);
                    e.app.observe(obs, &mut kinds, &mut stats);
                }
            }
            _ => {}
        }
        self.fact_kinds = kinds;
        self.stats.evidence = stats;
    }

    fn dhcp(&mut self, dhcp: &DhcpObservation) {
        if !dhcp.is_request
            && let Some(router) = dhcp.router.filter(ip_is_unicast)
            && self.gateways.len() < MAX_GATEWAYS
        {
            self.gateways.insert(router);
        }
        let Some(mac) = dhcp.client_mac.filter(MacAddr::is_station) else {
            return;
        };
        let Some(m) = self.mac(mac) else {
            return;
        };
        m.seen(dhcp.ts);
        m.vlans.extend(dhcp.vlan);
        let from_client = dhcp.is_request;
        if from_client {
            if let Some(name) = dhcp.hostname.as_ref().filter(|n| !n.is_empty()) {
                m.hostnames.insert(Hostname {
                    name: name.clone(),
                    source: HostnameSource::Dhcp,
                });
            }
            if let Some(name) = dhcp.fqdn.as_ref().filter(|n| !n.is_empty()) {
                m.hostnames.insert(Hostname {
                    name: name.clone(),
                    source: HostnameSource::DhcpFqdn,
                });
            }
            let has_fingerprint = dhcp.vendor_class.is_some()
                || dhcp.param_request_list.is_some()
                || dhcp.client_id.is_some();
            if has_fingerprint {
                // The latest client message by capture time describes the client best
                // (firmware updates); at the same instant the greater fingerprint wins, so the
                // order captures are given in (or messages arrive in) does not matter.
                let fingerprint = DhcpFingerprint {
                    vendor_class: dhcp.vendor_class.clone(),
                    param_request_list: dhcp.param_request_list.clone(),
                    client_id: dhcp.client_id.clone(),
                    max_message_size: dhcp.max_message_size,
                };
                let newer = m
                    .dhcp
                    .as_ref()
                    .is_none_or(|(ts, kept)| (dhcp.ts, &fingerprint) > (*ts, kept));
                if newer {
                    m.dhcp = Some((dhcp.ts, fingerprint));
                }
            }
            if let Some(ip) = dhcp.client_ip.filter(ip_is_unicast) {
                m.bind(ip, dhcp.ts);
            }
        } else if dhcp.message_type == Some(model::DhcpMessageType::ACK) {
            // RFC 2131 §3.1 step 5: the ACK commits yiaddr to chaddr.
            if let Some(ip) = dhcp.your_ip.filter(ip_is_unicast) {
                m.bind(ip, dhcp.ts);
            }
        }
    }

    fn name(&mut self, name: &NameObservation) {
        match name {
            NameObservation::Query { asker, name, .. } => {
                let max = self.config.max_dns_queries_per_device;
                let mac = asker.mac.filter(MacAddr::is_station);
                if let Some(ip) = asker.ip.filter(ip_is_unicast)
                    && let Some(e) = self.endpoint(mac, ip)
                    && e.dns_queries.len() < max
                {
                    e.dns_queries.insert(name.clone());
                }
            }
            NameObservation::Answer {
                name, ip, source, ..
            } => {
                if name.is_empty() || !ip_is_unicast(ip) {
                    return;
                }
                let source = match source {
                    NameSource::Dns => HostnameSource::Dns,
                    NameSource::Mdns => HostnameSource::Mdns,
                    NameSource::Llmnr => HostnameSource::Llmnr,
                };
                let hostname = Hostname {
                    name: name.clone(),
                    source,
                };
                let names = self.names.entry(*ip).or_default();
                if names.contains(&hostname) {
                    return;
                }
                if self.names_len >= self.config.max_names {
                    self.stats.names_untracked += 1;
                    return;
                }
                names.insert(hostname);
                self.names_len += 1;
            }
        }
    }

    /// Counters so far (flow records still being folded are applied first).
    pub fn stats(&mut self) -> &InventoryStats {
        self.apply_folded_flows();
        &self.stats
    }

    /// Forms the devices, sorted by id, and returns them with the final counters.
    pub fn finish(self) -> (Vec<Device>, InventoryStats) {
        let (devices, _, stats) = self.finish_with_findings();
        (devices, stats)
    }

    /// [`Self::finish`], with the findings about the devices (sorted by id); each device
    /// lists the ids of its own.
    pub fn finish_with_findings(mut self) -> (Vec<Device>, Vec<Finding>, InventoryStats) {
        self.apply_folded_flows();
        // Its table (kept for reuse while flows come in) is not needed any more.
        self.fold = Default::default();
        let routers = self.find_routers();
        self.stats.routers = routers.len() as u64;
        // What the endpoints below need of the MAC states once those are moved into the
        // builders: each router's own addresses — bound to it by ARP, ND or DHCP, or sent
        // from at an initial TTL (not forwarded).
        let mut router_bound: HashSet<(MacAddr, IpAddr)> = routers
            .iter()
            .filter_map(|mac| self.macs.get(mac).map(|s| (mac, s)))
            .flat_map(|(mac, s)| s.bound.keys().map(move |ip| (*mac, *ip)))
            .collect();
        router_bound.extend(self.endpoints.iter().filter_map(|((mac, ip), e)| {
            let mac = (*mac)?;
            (routers.contains(&mac) && hops_travelled(e.max_ttl) == Some(0)).then_some((mac, *ip))
        }));
        let mut builders: BTreeMap<DeviceId, Builder> = BTreeMap::new();

        // MAC devices first: their bound addresses decide who holds which IP. Each state is
        // moved into its builder, so the inventory's memory goes down as the devices' goes up.
        for (mac, state) in std::mem::take(&mut self.macs) {
            let b = builders.entry(DeviceId::from_mac(mac)).or_default();
            b.macs.insert(mac);
            b.absorb_mac(state);
        }
        let mut remote = HashSet::new();
        for ((mac, ip), e) in std::mem::take(&mut self.endpoints) {
            let id = match mac {
                Some(mac) if !routers.contains(&mac) => {
                    let id = DeviceId::from_mac(mac);
                    let b = builders.entry(id.clone()).or_default();
                    b.macs.insert(mac);
                    b.ip(ip, e.first_seen.unwrap_or_default(), e.last_seen);
                    id
                }
                Some(mac) => {
                    // Behind a router: the router MAC carried it. Its traffic is the router's
                    // link-layer traffic; the address is a device only if it is local.
                    let rid = DeviceId::from_mac(mac);
                    let rb = builders.entry(rid).or_default();
                    rb.macs.insert(mac);
                    rb.roles.insert("router".into());
                    rb.traffic(&e, false);
                    if router_bound.contains(&(mac, ip)) {
                        rb.ip(ip, e.first_seen.unwrap_or_default(), e.last_seen);
                        rb.services(&e, &self.config);
                        rb.dns_queries.extend(e.dns_queries);
                        rb.app.merge(e.app);
                        continue;
                    }
                    if !ip_is_local(&ip) {
                        remote.insert(ip);
                        continue;
                    }
                    DeviceId::from_ip(ip)
                }
                None => DeviceId::from_ip(ip),
            };
            let b = builders.entry(id).or_default();
            if mac.is_none() || mac.is_some_and(|m| routers.contains(&m)) {
                b.ip(ip, e.first_seen.unwrap_or_default(), e.last_seen);
            }
            b.traffic(&e, true);
            b.services(&e, &self.config);
            b.dns_queries.extend(e.dns_queries);
            b.app.merge(e.app);
        }
        self.stats.remote_endpoints = remote.len() as u64;

        let mut builders = rekey_randomized(builders, &self.randomized);

        // Names answered for an address go to the device holding it: first a device whose MAC
        // is bound to it (ARP, ND, DHCP), then the first (by id) that used it — an address
        // seen only behind a router is the same device seen from another segment, and a MAC
        // that merely carried the address may be a router for it.
        let mut holder: HashMap<IpAddr, DeviceId> = HashMap::new();
        for (id, b) in &builders {
            for ip in b.bound.iter() {
                holder.entry(*ip).or_insert_with(|| id.clone());
            }
        }
        for (id, b) in &builders {
            for ip in b.ips.keys() {
                holder.entry(*ip).or_insert_with(|| id.clone());
            }
        }
        for (ip, names) in std::mem::take(&mut self.names) {
            if let Some(b) = holder.get(&ip).and_then(|id| builders.get_mut(id)) {
                b.hostnames.extend(names);
            }
        }

        let mut findings = Vec::new();
        let mut devices: Vec<Device> = builders
            .into_iter()
            .take(self.config.max_devices)
            .map(|(id, b)| {
                let (device, mut found) = b.build(id, &self.config, &self.fact_kinds);
                findings.append(&mut found);
                device
            })
            .collect();
        devices.sort_by(|a, b| a.id.cmp(&b.id));
        findings.sort_by(|a, b| a.id.cmp(&b.id));
        (devices, findings, self.stats)
    }

    /// MACs that forward for other hosts. Any one of these signals makes a router:
    ///
    /// - it sourced more distinct addresses of one family, not its own, than the threshold
    ///   (a busy gateway);
    /// - a DHCP server named an address of its as the clients' router (option 3, RFC 2132
    ///   §3.5): bound to it, or sent from at an initial TTL;
    /// - it has an address of its own (bound to it by ARP, ND or DHCP, or sent from at an
    ///   initial TTL) and carries another, not its own, whose packets arrived below an initial
    ///   TTL: a router decrements the TTL of what it forwards (RFC 791 §3.2, RFC 1812
    ///   §5.3.1; the hop limit, RFC 8200 §3), a host sends at its initial value (RFC 1700's
    ///   64, Windows' 128, 255 for ND). One host behind it is enough.
    fn find_routers(&self) -> HashSet<MacAddr> {
        #[derive(Default)]
        struct Seen {
            unbound: [usize; 2],
            own: bool,
            forwarded: bool,
            gateway: bool,
        }
        let mut per_mac: HashMap<MacAddr, Seen> = HashMap::new();
        for ((mac, ip), e) in &self.endpoints {
            let Some(mac) = mac else { continue };
            if is_link_local(ip) {
                continue;
            }
            let state = self.macs.get(mac);
            let bound = state.is_some_and(|s| s.bound.contains_key(ip));
            let hops = hops_travelled(e.max_ttl);
            let seen = per_mac.entry(*mac).or_default();
            if bound || hops == Some(0) {
                seen.own = true;
                seen.gateway |= self.gateways.contains(ip);
            } else {
                seen.forwarded |= hops.is_some_and(|h| h > 0);
            }
            if !bound {
                // Counted whatever the TTL: routers' own protocols (VRRP, OSPF, RIP) are sent
                // at an initial TTL from each router's address under one shared MAC.
                seen.unbound[usize::from(ip.is_ipv4())] += 1;
            }
        }
        // Addresses bound by ARP, ND or DHCP only (the MAC never sent IP from them in the
        // capture) are its own too, and may be the gateway.
        for (mac, state) in &self.macs {
            if let Some(seen) = per_mac.get_mut(mac) {
                seen.own |= state.bound.keys().any(|ip| !is_link_local(ip));
                seen.gateway |= state.bound.keys().any(|ip| self.gateways.contains(ip));
            } else if state.bound.keys().any(|ip| self.gateways.contains(ip)) {
                per_mac.entry(*mac).or_default().gateway = true;
            }
        }
        per_mac
            .into_iter()
            .filter(|(_, s)| {
                s.unbound.iter().any(|&n| n > self.config.router_threshold)
                    || s.gateway
                    || (s.own && s.forwarded)
            })
            .map(|(mac, _)| mac)
            .collect()
    }
}

/// How many routers a packet crossed, from the TTL it arrived with: the distance below the
/// nearest initial value at or above it (32, 64, 128, 255: what stacks start from). `None`
/// when no IP packet was seen.
fn hops_travelled(ttl: u8) -> Option<u8> {
    if ttl == 0 {
        return None;
    }
    [32u8, 64, 128, 255]
        .into_iter()
        .find(|&initial| initial >= ttl)
        .map(|initial| initial - ttl)
}

fn is_link_local(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => v4.is_link_local(),
        IpAddr::V6(v6) => v6.segments()[0] & 0xffc0 == 0xfe80,
    }
}

/// Devices known only by randomised (locally administered) MACs are keyed by an address they
/// held instead (DESIGN §5): such MACs rotate, the address is the better key, and two MACs
/// of one device that held the same address merge. IPv4 first, then global IPv6; link-local
/// addresses are derived from the MAC itself and identify nothing more. A MAC with no such
/// address here takes the one `remembered` from earlier inventories.
fn rekey_randomized(
    builders: BTreeMap<DeviceId, Builder>,
    remembered: &RandomizedKeys,
) -> BTreeMap<DeviceId, Builder> {
    let mut out: BTreeMap<DeviceId, Builder> = BTreeMap::new();
    for (id, b) in builders {
        let randomized = !b.macs.is_empty() && b.macs.iter().all(MacAddr::is_locally_administered);
        let address = b
            .ips
            .keys()
            .filter(|ip| !is_link_local(ip))
            .min_by_key(|ip| (ip.is_ipv6(), **ip))
            .copied();
        let id = match (randomized, address.or_else(|| remembered.get(&b.macs))) {
            (true, Some(ip)) => DeviceId::from_ip(ip),
            _ => id,
        };
        match out.get_mut(&id) {
            Some(existing) => existing.merge(b),
            None => {
                out.insert(id, b);
            }
        }
    }
    out
}

/// Accumulates one device before it is frozen into a [`Device`].
#[derive(Debug, Default)]
struct Builder {
    macs: FlatSet<MacAddr>,
    ips: FlatMap<IpAddr, (Timestamp, Timestamp)>,
    /// The addresses its MACs are bound to (ARP, ND, DHCP): a subset of `ips`.
    bound: FlatSet<IpAddr>,
    hostnames: FlatSet<Hostname>,
    vlans: FlatSet<u16>,
    first_seen: Option<Timestamp>,
    last_seen: Timestamp,
    packets: u64,
    bytes: u64,
    /// The latest DHCP client fingerprint by capture time (see [`MacState::dhcp`]).
    dhcp: Option<(Timestamp, DhcpFingerprint)>,
    services: FlatMap<(Transport, u16, bool), usize>,
    roles: FlatSet<String>,
    dns_queries: FlatSet<String>,
    apps: AppVotes,
    app: AppEvidence,
}

impl Builder {
    fn seen(&mut self, first: Timestamp, last: Timestamp) {
        self.first_seen = Some(self.first_seen.map_or(first, |f| f.min(first)));
        self.last_seen = self.last_seen.max(last);
    }

    fn ip(&mut self, ip: IpAddr, first: Timestamp, last: Timestamp) {
        let e = self.ips.entry(ip).or_insert((first, last));
        e.0 = e.0.min(first);
        e.1 = e.1.max(last);
    }

    /// Keeps the later fingerprint (the greater one at the same instant): the same choice
    /// whatever order MACs and builders merge in.
    fn dhcp_fingerprint(&mut self, d: (Timestamp, DhcpFingerprint)) {
        if self.dhcp.as_ref().is_none_or(|kept| d > *kept) {
            self.dhcp = Some(d);
        }
    }

    fn merge(&mut self, o: Builder) {
        self.macs.extend(o.macs);
        self.bound.extend(o.bound);
        for (ip, (first, last)) in o.ips {
            self.ip(ip, first, last);
        }
        self.hostnames.extend(o.hostnames);
        self.vlans.extend(o.vlans);
        if let Some(first) = o.first_seen {
            self.seen(first, o.last_seen);
        }
        self.packets += o.packets;
        self.bytes += o.bytes;
        if let Some(d) = o.dhcp {
            self.dhcp_fingerprint(d);
        }
        for (key, peers) in o.services {
            *self.services.entry(key).or_default() += peers;
        }
        self.roles.extend(o.roles);
        self.dns_queries.extend(o.dns_queries);
        self.apps.merge(&o.apps);
        self.app.merge(o.app);
    }

    fn absorb_mac(&mut self, s: MacState) {
        if let Some(first) = s.first_seen {
            self.seen(first, s.last_seen);
        }
        self.packets += s.link_packets;
        self.bytes += s.link_bytes;
        self.vlans.extend(s.vlans);
        for (ip, (first, last)) in s.bound {
            self.bound.insert(ip);
            self.ip(ip, first, last);
        }
        self.hostnames.extend(s.hostnames);
        if let Some(d) = s.dhcp {
            self.dhcp_fingerprint(d);
        }
        self.app.merge(s.app);
    }

    fn traffic(&mut self, e: &EndpointState, counts: bool) {
        if let Some(first) = e.first_seen {
            self.seen(first, e.last_seen);
        }
        if counts {
            self.packets += e.packets;
            self.bytes += e.bytes;
        }
        self.vlans.extend(e.vlans.iter().copied());
    }

    /// Adds an endpoint's services; [`Self::build`] keeps the busiest.
    fn services(&mut self, e: &EndpointState, config: &InventoryConfig) {
        for (key, peers) in &e.services {
            let n = self.services.entry(*key).or_default();
            *n = (*n + peers.len()).min(config.max_peers_per_service);
        }
        self.apps.merge(&e.apps);
    }

    fn build(
        mut self,
        id: DeviceId,
        config: &InventoryConfig,
        kinds: &FactKinds,
    ) -> (Device, Vec<Finding>) {
        let apps = self.apps.winners();
        for (&(_, _, is_server), &app) in &apps {
            if let Some(role) = app_role(app, is_server) {
                self.roles.insert(role.into());
            }
        }
        for &(transport, port, is_server) in self.services.keys() {
            if !is_server {
                continue;
            }
            let role = match (transport, port) {
                (Transport::Ip(17), 67) => "dhcp_server",
                (Transport::Ip(17 | 6), 53) => "dns_server",
                (Transport::Ip(17), 123) => "ntp_server",
                (Transport::Ip(17 | 6), 514) => "syslog_server",
                _ => continue,
            };
            self.roles.insert(role.into());
        }
        let mac_randomized =
            !self.macs.is_empty() && self.macs.iter().all(MacAddr::is_locally_administered);
        let vendor = self
            .macs
            .iter()
            .find(|m| !m.is_locally_administered())
            .and_then(|m| vendor_attribute(*m));
        // Keep the most recently seen addresses when over the limit.
        let mut ips: Vec<IpSighting> = self
            .ips
            .into_iter()
            .map(|(addr, (first_seen, last_seen))| IpSighting {
                addr,
                first_seen,
                last_seen,
            })
            .collect();
        if ips.len() > config.max_ips_per_device {
            ips.sort_by_key(|s| std::cmp::Reverse(s.last_seen));
            ips.truncate(config.max_ips_per_device);
            ips.sort_by_key(|s| s.addr);
        }
        let mut services: Vec<_> = self.services.into_iter().collect();
        if services.len() > config.max_services_per_device {
            // The services with the most peers, ties to the lowest (transport, port, role):
            // the same choice whatever order the endpoints were merged in.
            services.sort_by_key(|&(key, peers)| (std::cmp::Reverse(peers), key));
            services.truncate(config.max_services_per_device);
            services.sort_unstable_by_key(|&(key, _)| key);
        }
        let services = services
            .into_iter()
            .map(|((transport, port, is_server), peers)| Service {
                transport: transport.name(),
                port,
                app: apps
                    .get(&(transport, port, is_server))
                    .map(|a| (*a).to_string()),
                role: if is_server { "server" } else { "client" }.into(),
                peers: peers as u32,
            })
            .collect();
        let findings = self.app.findings(&id);
        let device = Device {
            findings: findings.iter().map(|f| f.id.clone()).collect(),
            facts: self.app.facts(kinds),
            software: self.app.software(),
            id,
            macs: self.macs.into_iter().collect(),
            mac_randomized,
            ips,
            hostnames: self
                .hostnames
                .into_iter()
                .take(config.max_hostnames_per_device)
                .collect(),
            vlans: self.vlans.into_iter().collect(),
            first_seen: self.first_seen.unwrap_or_default(),
            last_seen: self.last_seen,
            packets: self.packets,
            bytes: self.bytes,
            vendor,
            dhcp: self.dhcp.map(|(_, fingerprint)| fingerprint),
            services,
            roles: self.roles.into_iter().collect(),
            dns_queries: self
                .dns_queries
                .into_iter()
                .take(config.max_dns_queries_per_device)
                .collect(),
            ..Device::default()
        };
        (device, findings)
    }
}

/// The role (DESIGN §4) a device plays when it speaks `app` on the server side or the client
/// side of a flow.
fn app_role(app: &str, is_server: bool) -> Option<&'static str> {
    Some(match (app, is_server) {
        ("dicom", true) => "dicom_scp",
        ("dicom", false) => "dicom_scu",
        ("hl7", true) => "hl7_receiver",
        ("hl7", false) => "hl7_sender",
        ("mqtt", true) => "mqtt_broker",
        ("http", true) => "web_server",
        ("snmp", true) => "snmp_agent",
        ("modbus", true) => "modbus_server",
        ("bacnet", _) => "bacnet_device",
        ("ntp", true) => "ntp_server",
        ("syslog", true) => "syslog_server",
        _ => return None,
    })
}

/// The value under `key`, inserted empty unless the map is `full`: one hash lookup per flow
/// side, where a `contains_key` check before `entry` would cost two.
fn bounded_entry<K: Eq + std::hash::Hash, V: Default>(
    map: &mut HashMap<K, V>,
    key: K,
    full: bool,
) -> Option<&mut V> {
    match map.entry(key) {
        Entry::Occupied(entry) => Some(entry.into_mut()),
        Entry::Vacant(entry) if !full => Some(entry.insert(V::default())),
        Entry::Vacant(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use model::{BindingSource, DhcpMessageType, Endpoint, FlowEnd};

    fn mac(s: &str) -> MacAddr {
        s.parse().unwrap()
    }

    impl Inventory {
        /// The inventory with every flow record applied to its endpoints.
        fn settled(&mut self) -> &Self {
            self.apply_folded_flows();
            self
        }
    }
    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    fn flow(cmac: &str, cip: &str, smac: &str, sip: &str, port: u16) -> Observation {
        Observation::Flow(FlowObservation {
            id: 1,
            app: None,
            vlan: Some(20),
            transport: Transport::TCP,
            client: Endpoint {
                mac: Some(mac(cmac)),
                ip: Some(ip(cip)),
                port: 50000,
            },
            server: Endpoint {
                mac: Some(mac(smac)),
                ip: Some(ip(sip)),
                port,
            },
            first_seen: Timestamp(1),
            last_seen: Timestamp(2),
            client_packets: 3,
            client_bytes: 300,
            server_packets: 2,
            server_bytes: 200,
            // Unknown: the router tests below that need TTLs set them.
            client_ttl: 0,
            server_ttl: 0,
            end: FlowEnd::Idle,
        })
    }

    const HOST: &str = "00:1b:6f:0a:0b:0c";
    const GW: &str = "00:00:0c:07:ac:01";
    /// The server of the service-cap tests, device `mac-001b6f000001`.
    const SERVER: &str = "00:1b:6f:00:00:01";

    /// Two services per device, so eight per endpoint.
    fn small_service_cap() -> InventoryConfig {
        InventoryConfig {
            max_services_per_device: 2,
            ..InventoryConfig::default()
        }
    }

    /// A flow from client number `n` (its own MAC and address) to `SERVER` at `server_ip`.
    fn client_flow(n: u8, server_ip: &str, port: u16) -> Observation {
        let client_mac = format!("00:1b:6f:00:01:{n:02x}");
        let client_ip = format!("10.0.1.{n}");
        flow(&client_mac, &client_ip, SERVER, server_ip, port)
    }

    fn server_device(devices: &[Device]) -> &Device {
        devices
            .iter()
            .find(|d| d.id.0 == "mac-001b6f000001")
            .unwrap()
    }

    /// Folding flow records per conversation gives the devices one update per record gives:
    /// repeats from new client ports, a server silent in some records, two protocols on one
    /// service, other VLANs and times out of order.
    #[test]
    fn folded_flow_records_give_the_devices_of_one_update_per_record() {
        let mut records = Vec::new();
        for i in 0..40u8 {
            // Three clients, two services: every conversation repeats.
            let port = [80, 443][usize::from(i % 2)];
            let Observation::Flow(mut f) = client_flow(i % 3, "10.0.0.1", port) else {
                unreachable!()
            };
            f.client.port = 40000 + u16::from(i);
            f.first_seen = Timestamp(i64::from(100 - i));
            f.last_seen = Timestamp(i64::from(100 - i) + i64::from(i % 7));
            f.server_packets = u64::from(i % 4 != 1) * u64::from(i);
            f.server_bytes = f.server_packets * 60;
            if f.server_packets == 0 {
                // The latest records of all, unanswered: they must not extend the server's
                // times nor count as flows it answered.
                f.last_seen = Timestamp(1000 + i64::from(i));
            }
            f.app = match (port, i % 5) {
                (443, 0) => Some("http"),
                (443, _) => Some("tls"),
                _ => Some("http"),
            };
            f.vlan = Some(20 + u16::from(i % 6 == 0));
            records.push(Observation::Flow(f));
        }
        let mut folded = Inventory::new(InventoryConfig::default());
        let mut one_by_one = Inventory::new(InventoryConfig::default());
        for r in &records {
            folded.observe(r);
            one_by_one.observe(r);
            one_by_one.settled();
        }
        let (a, a_stats) = folded.finish();
        let (b, b_stats) = one_by_one.finish();
        assert_eq!(a, b);
        assert_eq!(a_stats, b_stats);
        assert!(a.iter().any(|d| !d.services.is_empty()));
    }

    /// An endpoint the bound leaves out is counted once per flow record, folded or not.
    #[test]
    fn untracked_endpoints_are_counted_per_record() {
        let mut inv = Inventory::new(InventoryConfig {
            max_endpoints: 1,
            ..InventoryConfig::default()
        });
        for _ in 0..3 {
            inv.observe(&client_flow(1, "10.0.0.1", 80));
        }
        assert_eq!(
            inv.stats().endpoints_untracked,
            3,
            "the server, in each record"
        );
    }

    #[test]
    fn router_mac_does_not_merge_hosts_behind_it() {
        let mut inv = Inventory::new(InventoryConfig::default());
        // The host talks to six internet servers and two hosts on another local subnet;
        // every reply arrives with the gateway's MAC.
        for i in 1..=6 {
            inv.observe(&flow(HOST, "10.0.0.5", GW, &format!("93.184.216.{i}"), 443));
        }
        inv.observe(&flow(HOST, "10.0.0.5", GW, "10.9.0.7", 104));
        inv.observe(&flow(HOST, "10.0.0.5", GW, "10.9.0.8", 104));
        let (devices, stats) = inv.finish();
        let ids: Vec<_> = devices.iter().map(|d| d.id.0.as_str()).collect();
        assert_eq!(
            ids,
            [
                "ip-10.9.0.7",
                "ip-10.9.0.8",
                "mac-00000c07ac01",
                "mac-001b6f0a0b0c"
            ]
        );
        assert_eq!(stats.routers, 1);
        assert_eq!(stats.remote_endpoints, 6);
        let gw = &devices[2];
        assert_eq!(gw.roles, ["router"]);
        assert!(
            gw.ips.is_empty(),
            "forwarded addresses are not the router's"
        );
        let host = &devices[3];
        assert_eq!(host.ips.len(), 1);
        assert_eq!(host.packets, 3 * 8);
        let pacs = &devices[0];
        assert_eq!(pacs.services[0].port, 104);
        assert_eq!(pacs.services[0].role, "server");
    }

    /// `flow`, with the TTLs each side's packets arrived with.
    fn flow_ttl(cmac: &str, cip: &str, smac: &str, sip: &str, ttls: (u8, u8)) -> Observation {
        let mut obs = flow(cmac, cip, smac, sip, 80);
        if let Observation::Flow(f) = &mut obs {
            (f.client_ttl, f.server_ttl) = ttls;
        }
        obs
    }

    fn arp(m: &str, addr: &str) -> Observation {
        Observation::Binding {
            ts: Timestamp(1),
            vlan: None,
            mac: mac(m),
            ip: ip(addr),
            source: BindingSource::Arp,
        }
    }

    /// One or two hosts behind a router: their packets reach the segment one hop down
    /// (TTL 63 from a Linux host, 127 from Windows) with the router's MAC, while the router
    /// answers ARP for its own address. Each far host is a device; the router holds only
    /// its own address.
    #[test]
    fn a_router_with_one_or_two_hosts_behind_it_is_found_by_ttl() {
        for far in [&["10.2.0.2"][..], &["10.2.0.2", "10.2.0.3"]] {
            let mut inv = Inventory::new(InventoryConfig::default());
            inv.observe(&arp(GW, "10.1.0.1"));
            inv.observe(&arp(HOST, "10.1.0.2"));
            for (i, addr) in far.iter().enumerate() {
                let ttl = if i == 0 { 63 } else { 127 };
                inv.observe(&flow_ttl(GW, addr, HOST, "10.1.0.2", (ttl, 64)));
            }
            let (devices, stats) = inv.finish();
            assert_eq!(stats.routers, 1, "{far:?}");
            let ids: Vec<&str> = devices.iter().map(|d| d.id.0.as_str()).collect();
            let mut want: Vec<String> = far.iter().map(|a| format!("ip-{a}")).collect();
            want.extend(["mac-00000c07ac01".into(), "mac-001b6f0a0b0c".into()]);
            assert_eq!(ids, want);
            let router = devices
                .iter()
                .find(|d| d.id.0 == "mac-00000c07ac01")
                .unwrap();
            assert_eq!(router.roles, ["router"]);
            let held: Vec<String> = router.ips.iter().map(|s| s.addr.to_string()).collect();
            assert_eq!(held, ["10.1.0.1"]);
        }
    }

    /// A host with a second address of its own (an alias, sent at its initial TTL) and a
    /// host whose packets all come at one TTL are not routers.
    #[test]
    fn hosts_at_their_initial_ttl_are_not_routers() {
        let mut inv = Inventory::new(InventoryConfig::default());
        inv.observe(&arp(HOST, "10.1.0.2"));
        inv.observe(&flow_ttl(HOST, "10.1.0.2", SERVER, "10.1.0.9", (64, 128)));
        inv.observe(&flow_ttl(HOST, "10.1.0.3", SERVER, "10.1.0.9", (64, 128)));
        // No own address seen, one forwarded-looking: not enough to call it a router.
        inv.observe(&flow_ttl(GW, "10.1.0.7", SERVER, "10.1.0.9", (60, 128)));
        let (devices, stats) = inv.finish();
        assert_eq!(stats.routers, 0);
        assert!(devices.iter().all(|d| d.roles.is_empty()));
    }

    /// A DHCP server naming an address as the clients' router makes the MAC that holds it
    /// a router, before any host behind it speaks.
    #[test]
    fn the_dhcp_router_option_names_a_router() {
        let mut inv = Inventory::new(InventoryConfig::default());
        inv.observe(&Observation::Dhcp(Box::new(DhcpObservation {
            ts: Timestamp(11),
            client_mac: Some(mac(HOST)),
            message_type: Some(DhcpMessageType::ACK),
            your_ip: Some(ip("10.1.0.2")),
            subnet_mask: Some(ip("255.255.255.0")),
            router: Some(ip("10.1.0.1")),
            ..DhcpObservation::default()
        })));
        inv.observe(&arp(GW, "10.1.0.1"));
        inv.observe(&flow(GW, "10.1.0.1", HOST, "10.1.0.2", 53));
        inv.observe(&flow(GW, "10.5.0.9", HOST, "10.1.0.2", 80));
        let (devices, stats) = inv.finish();
        assert_eq!(stats.routers, 1);
        let ids: Vec<&str> = devices.iter().map(|d| d.id.0.as_str()).collect();
        assert_eq!(ids, ["ip-10.5.0.9", "mac-00000c07ac01", "mac-001b6f0a0b0c"]);
    }

    /// A server seen on more ports than a device keeps: the busiest services are kept, the
    /// same ones whatever order the flows ended in (hash-map order differs per process).
    #[test]
    fn service_cap_keeps_the_busiest_whatever_the_order() {
        // Port 104 has three clients, 2575 two, the rest one each; two server addresses.
        let flows: Vec<Observation> = [
            (1, 104, "10.0.0.1"),
            (2, 104, "10.0.0.1"),
            (3, 104, "10.0.0.2"),
            (1, 2575, "10.0.0.1"),
            (2, 2575, "10.0.0.2"),
            (1, 22, "10.0.0.1"),
            (1, 80, "10.0.0.2"),
            (2, 443, "10.0.0.1"),
        ]
        .into_iter()
        .map(|(client, port, server_ip)| client_flow(client, server_ip, port))
        .collect();
        let server_services = |order: &[usize]| {
            let mut inv = Inventory::new(small_service_cap());
            for &i in order {
                inv.observe(&flows[i]);
            }
            let (devices, _) = inv.finish();
            server_device(&devices)
                .services
                .iter()
                .map(|s| (s.port, s.peers))
                .collect::<Vec<_>>()
        };
        let forward: Vec<usize> = (0..flows.len()).collect();
        let backward: Vec<usize> = forward.iter().rev().copied().collect();
        let shuffled = [5, 0, 7, 3, 1, 6, 2, 4];
        assert_eq!(server_services(&forward), [(104, 3), (2575, 2)]);
        assert_eq!(server_services(&backward), [(104, 3), (2575, 2)]);
        assert_eq!(server_services(&shuffled), [(104, 3), (2575, 2)]);
    }

    /// A scan cannot grow an endpoint's services past four times the device cap, and a busy
    /// service whose flows end after the scan's still finds a place and is reported.
    #[test]
    fn endpoint_services_are_bounded_and_a_late_busy_service_still_fits() {
        let mut inv = Inventory::new(small_service_cap());
        // A scan: one client, 20 ports of one server (one peer each).
        for port in 1..=20 {
            inv.observe(&flow(HOST, "10.0.0.5", SERVER, "10.0.0.1", port));
        }
        assert!(
            inv.settled()
                .endpoints
                .values()
                .all(|e| e.services.len() <= 8)
        );
        assert_eq!(
            inv.stats().services_untracked,
            0,
            "one-peer services make room"
        );
        // Then five clients' HTTPS flows end.
        for client in 1..=5 {
            inv.observe(&client_flow(client, "10.0.0.1", 443));
        }
        assert!(
            inv.settled()
                .endpoints
                .values()
                .all(|e| e.services.len() <= 8)
        );
        let (devices, _) = inv.finish();
        let server = server_device(&devices);
        assert_eq!(server.services.len(), 2);
        assert!(
            server
                .services
                .iter()
                .any(|s| s.port == 443 && s.peers == 5 && s.role == "server"),
            "{:?}",
            server.services
        );
    }

    /// An endpoint full of services with several peers each counts the flows whose service
    /// it cannot take.
    #[test]
    fn full_endpoint_counts_the_services_it_cannot_track() {
        let mut inv = Inventory::new(small_service_cap());
        for port in 1..=8 {
            for client in 1..=2 {
                inv.observe(&client_flow(client, "10.0.0.1", port));
            }
        }
        assert_eq!(inv.stats().services_untracked, 0);
        inv.observe(&flow(HOST, "10.0.0.5", SERVER, "10.0.0.1", 999));
        assert_eq!(inv.stats().services_untracked, 1);
    }

    /// A flow to `SERVER` at `server_ip`:80 from client number `n`, recognised as `app`.
    fn app_flow(n: u8, server_ip: &str, app: &'static str) -> Observation {
        let mut obs = client_flow(n, server_ip, 80);
        if let Observation::Flow(f) = &mut obs {
            f.app = Some(app);
        }
        obs
    }

    /// The server's port-80 service: its protocol and the server's roles.
    fn port_80_app(flows: &[Observation]) -> (Option<String>, Vec<String>) {
        let mut inv = Inventory::new(InventoryConfig::default());
        for f in flows {
            inv.observe(f);
        }
        let (devices, _) = inv.finish();
        let server = server_device(&devices);
        let service = server
            .services
            .iter()
            .find(|s| s.port == 80 && s.role == "server")
            .unwrap();
        (service.app.clone(), server.roles.clone())
    }

    /// One service recognised as two protocols: the report names the one most flows showed,
    /// not the one the last flow to end showed.
    #[test]
    fn service_app_is_the_one_most_flows_showed_whatever_the_order() {
        let flows = [
            app_flow(1, "10.0.0.1", "tls"),
            app_flow(2, "10.0.0.1", "http"),
            app_flow(3, "10.0.0.1", "tls"),
        ];
        for order in [[0, 1, 2], [2, 0, 1], [0, 2, 1]] {
            let ordered: Vec<Observation> = order.iter().map(|&i| flows[i].clone()).collect();
            assert_eq!(port_80_app(&ordered), (Some("tls".into()), vec![]));
        }
    }

    /// An evicted service takes its protocol votes with it: a scan's recycled slot does not
    /// leave one vote behind per port.
    #[test]
    fn forgotten_service_leaves_no_votes() {
        let (web, other) = ((Transport::TCP, 80, true), (Transport::TCP, 8080, true));
        let mut votes = AppVotes::default();
        votes.add(web, "http", 2);
        votes.add(web, "tls", 1);
        votes.add(other, "http", 1);
        votes.forget(web);
        assert_eq!(votes.flows.len(), 1);
        assert_eq!(votes.winners().get(&web), None);
        assert_eq!(votes.winners().get(&other), Some(&"http"));
    }

    /// The server's two addresses (two endpoints of one device) saw one flow each on port 80,
    /// one HTTP and one TLS: which endpoint merged last used to win, and that followed the
    /// hash map's order, different in every run. A tie goes to the lowest name.
    #[test]
    fn service_app_tie_between_endpoints_goes_to_the_lowest_name() {
        let http = app_flow(1, "10.0.0.1", "http");
        let tls = app_flow(2, "10.0.0.2", "tls");
        let expected = (Some("http".to_string()), vec!["web_server".to_string()]);
        assert_eq!(port_80_app(&[http.clone(), tls.clone()]), expected);
        assert_eq!(port_80_app(&[tls, http]), expected);
    }

    #[test]
    fn peer_set_counts_distinct_peers_inline_then_in_a_set() {
        let mut peers = PeerSet::default();
        assert_eq!(peers.len(), 0);
        for (i, a) in ["10.0.0.1", "10.0.0.1", "10.0.0.2", "10.0.0.1"]
            .iter()
            .enumerate()
        {
            peers.insert(ip(a));
            assert!(matches!(peers, PeerSet::Few(..)), "after {i}");
        }
        assert_eq!(peers.len(), 2);
        peers.insert(ip("fe80::1"));
        peers.insert(ip("10.0.0.2"));
        assert!(matches!(peers, PeerSet::Many(_)));
        assert_eq!(peers.len(), 3);
        // 0.0.0.0 fills the unused inline slots: it still counts once when it is a real peer.
        let mut zero = PeerSet::default();
        zero.insert(ip("0.0.0.0"));
        zero.insert(ip("0.0.0.0"));
        assert_eq!(zero.len(), 1);
    }

    #[test]
    fn dhcp_fingerprint_is_the_latest_by_capture_time_whatever_the_order() {
        let request = |ts: i64, vendor: &str| {
            Observation::Dhcp(Box::new(DhcpObservation {
                ts: Timestamp(ts),
                client_mac: Some(mac(HOST)),
                is_request: true,
                message_type: Some(DhcpMessageType::REQUEST),
                vendor_class: Some(vendor.into()),
                ..DhcpObservation::default()
            }))
        };
        let vendor_after = |order: &[Observation]| {
            let mut inv = Inventory::new(InventoryConfig::default());
            for o in order {
                inv.observe(o);
            }
            let (devices, _) = inv.finish();
            devices[0]
                .dhcp
                .as_ref()
                .unwrap()
                .vendor_class
                .clone()
                .unwrap()
        };
        // Firmware 2.1 renewed after 1.9: two captures given in either order.
        let old = request(10, "pump-fw-1.9");
        let new = request(20, "pump-fw-2.1");
        assert_eq!(vendor_after(&[old.clone(), new.clone()]), "pump-fw-2.1");
        assert_eq!(vendor_after(&[new, old]), "pump-fw-2.1");
        // The same instant: the same choice either way.
        let a = request(30, "a");
        let b = request(30, "b");
        assert_eq!(vendor_after(&[a.clone(), b.clone()]), vendor_after(&[b, a]));
    }

    #[test]
    fn dhcp_names_and_binds_the_client() {
        let mut inv = Inventory::new(InventoryConfig::default());
        inv.observe(&Observation::Dhcp(Box::new(DhcpObservation {
            ts: Timestamp(10),
            client_mac: Some(mac(HOST)),
            is_request: true,
            message_type: Some(DhcpMessageType::REQUEST),
            hostname: Some("ICU-PUMP-0417".into()),
            vendor_class: Some("BD-Alaris".into()),
            param_request_list: Some(vec![1, 3, 6, 15]),
            ..DhcpObservation::default()
        })));
        inv.observe(&Observation::Dhcp(Box::new(DhcpObservation {
            ts: Timestamp(11),
            client_mac: Some(mac(HOST)),
            message_type: Some(DhcpMessageType::ACK),
            your_ip: Some(ip("10.20.3.14")),
            hostname: Some("server-said-this".into()),
            ..DhcpObservation::default()
        })));
        let (devices, _) = inv.finish();
        assert_eq!(devices.len(), 1);
        let d = &devices[0];
        assert_eq!(d.hostnames.len(), 1, "only the client's own name counts");
        assert_eq!(d.hostnames[0].name, "ICU-PUMP-0417");
        assert_eq!(d.ips[0].addr, ip("10.20.3.14"));
        assert_eq!(
            d.dhcp.as_ref().unwrap().param_request_list,
            Some(vec![1, 3, 6, 15])
        );
    }

    #[test]
    fn mdns_answer_names_the_holder() {
        let mut inv = Inventory::new(InventoryConfig::default());
        inv.observe(&arp(HOST, "10.0.0.5"));
        inv.observe(&Observation::Name(NameObservation::Answer {
            ts: Timestamp(2),
            vlan: None,
            responder: Endpoint {
                mac: Some(mac(HOST)),
                ip: Some(ip("10.0.0.5")),
                port: 5353,
            },
            name: "printer.local".into(),
            ip: ip("10.0.0.5"),
            source: NameSource::Mdns,
        }));
        let (devices, _) = inv.finish();
        assert_eq!(devices[0].hostnames[0].name, "printer.local");
        assert_eq!(devices[0].hostnames[0].source, HostnameSource::Mdns);
    }

    #[test]
    fn a_name_goes_to_the_mac_bound_to_the_address_not_to_one_that_carried_it() {
        // 10.0.0.5 is bound to HOST by ARP; GW (too few addresses to count as a router)
        // carried packets to 10.0.0.5 from another segment, and sorts first by id.
        let mut inv = Inventory::new(InventoryConfig::default());
        inv.observe(&arp(HOST, "10.0.0.5"));
        inv.observe(&flow(SERVER, "10.0.1.9", GW, "10.0.0.5", 443));
        inv.observe(&Observation::Name(NameObservation::Answer {
            ts: Timestamp(2),
            vlan: None,
            responder: Endpoint {
                mac: Some(mac(SERVER)),
                ip: Some(ip("10.0.1.53")),
                port: 53,
            },
            name: "pumpsrv.hospital.example".into(),
            ip: ip("10.0.0.5"),
            source: NameSource::Dns,
        }));
        let (devices, _) = inv.finish();
        let named: Vec<&str> = devices
            .iter()
            .filter(|d| {
                d.hostnames
                    .iter()
                    .any(|h| h.name == "pumpsrv.hospital.example")
            })
            .map(|d| d.id.0.as_str())
            .collect();
        assert_eq!(named, ["mac-001b6f0a0b0c"]);
    }

    #[test]
    fn randomised_macs_holding_one_address_merge() {
        let mut inv = Inventory::new(InventoryConfig::default());
        for m in ["da:a1:19:00:00:01", "da:a1:19:00:00:02"] {
            inv.observe(&Observation::Binding {
                ts: Timestamp(1),
                vlan: None,
                mac: mac(m),
                ip: ip("10.0.0.9"),
                source: BindingSource::Arp,
            });
        }
        let (devices, _) = inv.finish();
        assert_eq!(devices.len(), 1);
        assert_eq!(devices[0].id.0, "ip-10.0.0.9");
        assert!(devices[0].mac_randomized);
        assert_eq!(devices[0].macs.len(), 2);
        assert!(devices[0].vendor.is_none());
    }

    #[test]
    fn a_randomised_mac_seen_only_link_local_joins_the_address_an_earlier_window_keyed_it_by() {
        let binding = |m: &str, a: &str| Observation::Binding {
            ts: Timestamp(1),
            vlan: None,
            mac: mac(m),
            ip: ip(a),
            source: BindingSource::NeighborDiscovery,
        };
        let mut first = Inventory::new(InventoryConfig::default());
        first.observe(&binding("da:a1:19:00:00:01", "10.0.0.9"));
        let (devices, _) = first.finish();
        let mut keys = RandomizedKeys::default();
        keys.learn(&devices);
        assert_eq!(keys.len(), 1);

        let window = || {
            let mut inv = Inventory::new(InventoryConfig::default());
            inv.observe(&binding("da:a1:19:00:00:01", "fe80::d8a1:19ff:fe00:1"));
            inv
        };
        // Without the memory, a device of its own; with it, the earlier window's device.
        assert_eq!(window().finish().0[0].id.0, "mac-daa119000001");
        let mut remembered = window();
        remembered.remember_randomized(keys);
        assert_eq!(remembered.finish().0[0].id.0, "ip-10.0.0.9");
    }

    #[test]
    fn device_limit_is_counted() {
        let config = InventoryConfig {
            max_devices: 1,
            ..InventoryConfig::default()
        };
        let mut inv = Inventory::new(config);
        for m in ["00:1b:6f:00:00:01", "00:1b:6f:00:00:02"] {
            inv.observe(&Observation::Binding {
                ts: Timestamp(1),
                vlan: None,
                mac: mac(m),
                ip: ip("10.0.0.9"),
                source: BindingSource::Arp,
            });
        }
        assert_eq!(inv.stats().devices_untracked, 1);
        assert_eq!(inv.finish().0.len(), 1);
    }
}
