//! What devices do on the network: each behaviour builds one conversation's frames at a time
//! and says when it runs next.

use std::collections::HashMap;
use std::net::Ipv4Addr;

use model::{DhcpMessageType, MacAddr};
use proto::emit::{dicom, hl7, http, tls};
use wire::{arp, dhcpv4, dns};

use crate::data::Model;
use crate::packet::{Frames, Host, Net};
use crate::rng::Rng;
use crate::tcp::{Connection, Dir, EndSpec, syn_options};
use crate::world::{World, gateway};

const SEC: i64 = 1_000_000_000;
/// DHCP lease time offered, seconds (renewal at half, RFC 2131 §4.4.5).
const LEASE_S: u32 = 14_400;
/// One-way delay inside the hospital and to the internet.
const LAN_ONE_WAY: i64 = 150_000;
const WAN_ONE_WAY: i64 = 12_000_000;

/// Web sites staff and guests browse (names only: every address is from the documentation
/// ranges of RFC 5737, never a real one).
const SITES: &[&str] = &[
    "www.wikipedia.org",
    "outlook.office365.com",
    "www.youtube.com",
    "news.example.com",
    "weather.example.net",
    "www.uptodate.com",
    "pubmed.ncbi.nlm.nih.gov",
    "login.microsoftonline.com",
];

/// Shared state of the running simulation.
#[derive(Debug)]
pub struct Ctx<'a> {
    /// The model.
    pub model: &'a Model,
    /// The devices.
    pub world: World,
    /// The router.
    pub net: Net,
    /// Randomness.
    pub rng: Rng,
    /// Open HL7 connections by sending device.
    pub hl7: HashMap<usize, Connection>,
    /// HL7 message counter (control ids).
    pub hl7_seq: u64,
    /// Injected events so far, for the truth.
    pub events: Vec<crate::truth::TruthEvent>,
}

impl Ctx<'_> {
    fn vlan(&self, d: usize) -> u16 {
        self.world.zones[self.world.devices[d].zone].vlan
    }

    pub(crate) fn host(&self, d: usize) -> Host {
        self.world.devices[d].host(self.vlan(d))
    }

    /// The VLAN the capture sees a conversation between devices `a` (which started it) and
    /// `b` on: the sensor watches the access side, so the end outside the datacenter; of two
    /// such ends, the one that started it.
    pub(crate) fn view(&self, a: usize, b: usize) -> u16 {
        let in_dc = |d: usize| {
            self.world.zones[self.world.devices[d].zone].model_zone == self.model.service_zone()
        };
        if in_dc(a) && !in_dc(b) {
            self.vlan(b)
        } else {
            self.vlan(a)
        }
    }

    pub(crate) fn internet_host(&mut self, name: &str) -> Host {
        // A stable TEST-NET-3 address per name (RFC 5737 203.0.113.0/24).
        let h = name
            .bytes()
            .fold(7u32, |a, b| a.wrapping_mul(31).wrapping_add(u32::from(b)));
        Host {
            mac: None,
            ip: Ipv4Addr::new(203, 0, 113, (h % 250 + 2) as u8),
            vlan: None,
            ttl: 64,
        }
    }

    fn end_spec(&mut self, d: usize, port: u16) -> EndSpec {
        let p = &self.model.profiles.profile[self.world.devices[d].profile];
        let os = &self.model.profiles.os[&p.os];
        let layout = os.tcp_options.clone();
        let window = os.window;
        let ts = self.rng.u32();
        let isn = self.rng.u32();
        let host = self.host(d);
        let ident = self.world.devices[d].take_ident();
        EndSpec {
            host,
            port,
            isn,
            window,
            syn_options: syn_options(&layout, ts),
            ident,
        }
    }

    fn internet_spec(&mut self, host: Host, port: u16) -> EndSpec {
        EndSpec {
            host,
            port,
            isn: self.rng.u32(),
            window: 65_535,
            syn_options: syn_options("linux", self.rng.u32()),
            ident: self.rng.u32() as u16,
        }
    }

    /// Opens a TCP connection at `ts` from device `client` (an ephemeral port) to `server`.
    pub(crate) fn connect(
        &mut self,
        client: usize,
        server: Peer,
        port: u16,
        ts: i64,
        frames: &mut Frames,
    ) -> Connection {
        let client_device = client;
        let server_device = match server {
            Peer::Device(d) => Some(d),
            Peer::Internet(_) => None,
        };
        let client_port = self.world.devices[client].ephemeral_port();
        let client = self.end_spec(client, client_port);
        let (server, one_way) = match server {
            Peer::Device(d) => (self.end_spec(d, port), LAN_ONE_WAY),
            Peer::Internet(host) => (self.internet_spec(host, port), WAN_ONE_WAY),
        };
        let mut conn = Connection::new(client, server, ts, one_way);
        conn.view = match server_device {
            Some(s) => Some(self.view(client_device, s)),
            None => conn.view,
        };
        conn.open(&self.net, frames);
        conn
    }
}

/// The server end of a connection.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Peer {
    /// A simulated device.
    Device(usize),
    /// A host on the internet.
    Internet(Host),
}

/// How often a behaviour runs, ns, before jitter; human-driven ones slow down at night.
pub fn interval_ns(behaviour: &str, ts: i64) -> i64 {
    let hour = (ts / SEC / 3600) % 24;
    let night = !(7..22).contains(&hour);
    let human = |s: i64| if night { s * 4 } else { s };
    SEC * match behaviour {
        "dhcp" => i64::from(LEASE_S / 2),
        "arp" => 900,
        "dns" => 3600,
        "ntp" => 1024,
        "syslog" => 600,
        "https-pump-server" => 120,
        "https-vendor-cloud" => 300,
        "https-ehr" => human(180),
        "web-browse" => human(240),
        "hl7-oru" => 60,
        "hl7-adt" => 300,
        // A phone leaves and comes back about every 45 min (shift, ward round, a visit).
        "roam" => 2700,
        // Router Solicitation at start-up, then again after a while (RFC 4861 §6.3.7).
        "nd" => 3600,
        "dicom-store" => human(600),
        "http-server-banner" => 1800,
        "mdns" => 1200,
        // NMS polling every 5 min; LLDP's msgTxInterval default 30 s (802.1AB §9.2.5.7);
        // BACnet I-Am every 10 min; Modbus polls every minute; SSDP alive every 30 min
        // (half the 1800 s max-age, UDA 2.0 §1.2.2).
        "snmp" => 300,
        "lldp" => 30,
        "bacnet" => 600,
        "modbus-server" => 60,
        "ssdp" => 900,
        _ => 3600,
    }
}

/// Runs `behaviour` of device `d` at `ts`; false when it could not run yet (no address).
pub fn run(ctx: &mut Ctx<'_>, d: usize, behaviour: &str, ts: i64, frames: &mut Frames) -> bool {
    if behaviour == "dhcp" {
        dhcp(ctx, d, ts, frames);
        return true;
    }
    if ctx.world.devices[d].leased_at.is_none() {
        return false;
    }
    match behaviour {
        "arp" => arp_gateway(ctx, d, ts, frames),
        "dns" => {
            if let Some(s) = ctx.world.service("ntp") {
                let server = &ctx.world.devices[s];
                let name = format!("{}.{}", server.hostname, ctx.model.hospital.domain);
                let ip = server.ip;
                resolve(ctx, d, ts, &name, ip, frames);
            }
        }
        "ntp" => ntp(ctx, d, ts, frames),
        "syslog" => syslog(ctx, d, ts, frames),
        "https-pump-server" => https_to_service(ctx, d, ts, "pump_server", frames),
        "https-ehr" => https_to_service(ctx, d, ts, "ehr", frames),
        "https-vendor-cloud" => {
            let p = &ctx.model.profiles.profile[ctx.world.devices[d].profile];
            if let Some(name) = p.vendor_cloud.clone() {
                https_to_internet(ctx, d, ts, &name, frames);
            }
        }
        "web-browse" => {
            let site = *ctx.rng.pick(SITES);
            if ctx.rng.chance(0.25) {
                http_to_internet(ctx, d, ts, site, frames);
            } else {
                https_to_internet(ctx, d, ts, site, frames);
            }
        }
        "hl7-oru" => hl7_oru(ctx, d, ts, frames),
        "hl7-adt" => hl7_adt(ctx, d, ts, frames),
        "roam" => roam(ctx, d, ts, frames),
        "nd" => router_solicitation(ctx, d, ts, frames),
        "dicom-store" => dicom_store(ctx, d, ts, frames),
        "http-server-banner" => http_banner_poll(ctx, d, ts, frames),
        "mdns" => mdns_announce(ctx, d, ts, frames),
        "snmp" => snmp_poll(ctx, d, ts, frames),
        "lldp" => lldp_announce(ctx, d, ts, frames),
        "bacnet" => bacnet_i_am(ctx, d, ts, frames),
        "modbus-server" => modbus_poll(ctx, d, ts, frames),
        "ssdp" => ssdp_alive(ctx, d, ts, frames),
        _ => {}
    }
    true
}

// ------------------------------------------------------------------------------ link & IP

fn arp_gateway(ctx: &mut Ctx<'_>, d: usize, ts: i64, frames: &mut Frames) {
    let vlan = ctx.vlan(d);
    let dev = &ctx.world.devices[d];
    let base = ctx.world.zones[dev.zone].base;
    let gw = gateway(base);
    let router_mac = ctx.net.router_mac;
    let request = arp::Repr {
        hardware_type: arp::HardwareType::ETHERNET,
        operation: arp::Operation::REQUEST,
        sender_hardware_addr: dev.mac,
        sender_protocol_addr: dev.ip,
        target_hardware_addr: MacAddr([0; 6]),
        target_protocol_addr: gw,
    };
    frames.list.push((
        ts,
        crate::packet::arp_frame(vlan, MacAddr([0xff; 6]), &request),
    ));
    let reply = arp::Repr {
        hardware_type: arp::HardwareType::ETHERNET,
        operation: arp::Operation::REPLY,
        sender_hardware_addr: router_mac,
        sender_protocol_addr: gw,
        target_hardware_addr: dev.mac,
        target_protocol_addr: dev.ip,
    };
    frames.list.push((
        ts + 200_000,
        crate::packet::arp_frame(vlan, dev.mac, &reply),
    ));
}

/// DHCP (RFC 2131): DISCOVER/OFFER/REQUEST/ACK through the router's relay on first boot, a
/// unicast REQUEST/ACK renewal to the server after that.
fn dhcp(ctx: &mut Ctx<'_>, d: usize, ts: i64, frames: &mut Frames) {
    let Some(server) = ctx.world.service("dhcp") else {
        return;
    };
    let dns_ip = ctx.world.service("dns").map(|s| ctx.world.devices[s].ip);
    let ntp_ip = ctx.world.service("ntp").map(|s| ctx.world.devices[s].ip);
    let server_ip = ctx.world.devices[server].ip;
    let vlan = ctx.vlan(d);
    let dev = ctx.world.devices[d].clone();
    let p = &ctx.model.profiles.profile[dev.profile];
    let (base, len) = (
        ctx.world.zones[dev.zone].base,
        ctx.world.zones[dev.zone].prefix,
    );
    let gw = gateway(base);
    let mask = Ipv4Addr::from(u32::MAX << (32 - len));
    let xid = ctx.rng.u32();
    let mut client_opts: Vec<(dhcpv4::OptionCode, Vec<u8>)> = Vec::new();
    let mut client_id = vec![1u8];
    client_id.extend_from_slice(&dev.mac.0);
    client_opts.push((dhcpv4::OptionCode(61), client_id));
    client_opts.push((dhcpv4::OptionCode(57), 1500u16.to_be_bytes().to_vec()));
    if !p.hostname.is_empty() {
        client_opts.push((dhcpv4::OptionCode(12), dev.hostname.as_bytes().to_vec()));
    }
    if let Some(vc) = &p.dhcp_vendor_class {
        client_opts.push((dhcpv4::OptionCode(60), vc.as_bytes().to_vec()));
    }
    client_opts.push((dhcpv4::OptionCode(55), p.dhcp_params.clone()));
    let mut server_opts: Vec<(dhcpv4::OptionCode, Vec<u8>)> = vec![
        (dhcpv4::OptionCode(54), server_ip.octets().to_vec()),
        (dhcpv4::OptionCode(51), LEASE_S.to_be_bytes().to_vec()),
        (dhcpv4::OptionCode(1), mask.octets().to_vec()),
        (dhcpv4::OptionCode(3), gw.octets().to_vec()),
    ];
    if let Some(ip) = dns_ip {
        server_opts.push((dhcpv4::OptionCode(6), ip.octets().to_vec()));
    }
    server_opts.push((
        dhcpv4::OptionCode(15),
        ctx.model.hospital.domain.as_bytes().to_vec(),
    ));
    if let Some(ip) = ntp_ip {
        server_opts.push((dhcpv4::OptionCode(42), ip.octets().to_vec()));
    }
    let message = |op: dhcpv4::Op,
                   t: DhcpMessageType,
                   ciaddr: Ipv4Addr,
                   yiaddr: Ipv4Addr,
                   giaddr: Ipv4Addr,
                   options: Vec<(dhcpv4::OptionCode, Vec<u8>)>| {
        let repr = dhcpv4::Repr {
            op,
            hops: u8::from(giaddr != Ipv4Addr::UNSPECIFIED),
            xid,
            secs: 0,
            flags: 0,
            ciaddr,
            yiaddr,
            siaddr: Ipv4Addr::UNSPECIFIED,
            giaddr,
            chaddr: Some(dev.mac),
            server_name: Vec::new(),
            boot_file: Vec::new(),
            message_type: Some(t),
            options,
            dropped_options: 0,
        };
        let mut buf = vec![0u8; repr.buffer_len()];
        repr.emit(&mut dhcpv4::Packet::new_unchecked(&mut buf[..]));
        buf
    };
    let router = ctx.world.router;
    let router_dc = ctx.host(router);
    let server_host = ctx.host(server);
    let client_bcast = Host {
        mac: Some(dev.mac),
        ip: Ipv4Addr::UNSPECIFIED,
        vlan: Some(vlan),
        ttl: dev.ttl,
    };
    let broadcast = Host {
        mac: Some(MacAddr([0xff; 6])),
        ip: Ipv4Addr::BROADCAST,
        vlan: Some(vlan),
        ttl: 64,
    };
    let relay_on_client_vlan = Host {
        mac: Some(ctx.net.router_mac),
        ip: gw,
        vlan: Some(vlan),
        ttl: 255,
    };
    let client_at = |ip: Ipv4Addr| Host {
        mac: Some(dev.mac),
        ip,
        vlan: Some(vlan),
        ttl: dev.ttl,
    };
    let net = ctx.net;
    let mut t = ts;
    // IP identifications from each sender's own counter.
    let mut ident = dev.ident;
    let mut router_ident = ctx.world.devices[router].ident;
    let mut server_ident = ctx.world.devices[server].ident;
    let step = |frames: &mut Frames,
                t: i64,
                src: &Host,
                dst: &Host,
                ports: (u16, u16),
                payload: &[u8],
                ident: &mut u16| {
        net.udp(frames, t, src, dst, Some(vlan), *ident, ports, payload);
        *ident = ident.wrapping_add(1);
    };
    if dev.leased_at.is_none() {
        // DORA, each message relayed (RFC 1542 §4): client leg on its VLAN, relay leg on the
        // datacenter VLAN with giaddr set.
        let mut req_opts = vec![
            (dhcpv4::OptionCode(50), dev.ip.octets().to_vec()),
            (dhcpv4::OptionCode(54), server_ip.octets().to_vec()),
        ];
        req_opts.extend(client_opts.iter().cloned());
        let flow = [
            (
                DhcpMessageType::DISCOVER,
                client_opts.clone(),
                DhcpMessageType::OFFER,
            ),
            (DhcpMessageType::REQUEST, req_opts, DhcpMessageType::ACK),
        ];
        for (asked, opts, answer) in flow {
            let rq = message(
                dhcpv4::Op::REQUEST,
                asked,
                Ipv4Addr::UNSPECIFIED,
                Ipv4Addr::UNSPECIFIED,
                Ipv4Addr::UNSPECIFIED,
                opts.clone(),
            );
            step(
                frames,
                t,
                &client_bcast,
                &broadcast,
                (68, 67),
                &rq,
                &mut ident,
            );
            t += 300_000;
            let relayed = message(
                dhcpv4::Op::REQUEST,
                asked,
                Ipv4Addr::UNSPECIFIED,
                Ipv4Addr::UNSPECIFIED,
                gw,
                opts,
            );
            step(
                frames,
                t,
                &router_dc,
                &server_host,
                (67, 67),
                &relayed,
                &mut router_ident,
            );
            t += 2_000_000;
            let rp = message(
                dhcpv4::Op::REPLY,
                answer,
                Ipv4Addr::UNSPECIFIED,
                dev.ip,
                gw,
                server_opts.clone(),
            );
            step(
                frames,
                t,
                &server_host,
                &router_dc,
                (67, 67),
                &rp,
                &mut server_ident,
            );
            t += 300_000;
            step(
                frames,
                t,
                &relay_on_client_vlan,
                &client_at(dev.ip),
                (67, 68),
                &rp,
                &mut router_ident,
            );
            t += 5_000_000;
        }
        ctx.world.devices[d].leased_at = Some(t);
    } else {
        // Renewal (RENEWING state): unicast to the server, no option 50/54.
        let rq = message(
            dhcpv4::Op::REQUEST,
            DhcpMessageType::REQUEST,
            dev.ip,
            Ipv4Addr::UNSPECIFIED,
            Ipv4Addr::UNSPECIFIED,
            client_opts,
        );
        step(
            frames,
            t,
            &client_at(dev.ip),
            &server_host,
            (68, 67),
            &rq,
            &mut ident,
        );
        t += 2_000_000;
        let rp = message(
            dhcpv4::Op::REPLY,
            DhcpMessageType::ACK,
            dev.ip,
            dev.ip,
            Ipv4Addr::UNSPECIFIED,
            server_opts,
        );
        step(
            frames,
            t,
            &server_host,
            &client_at(dev.ip),
            (67, 68),
            &rp,
            &mut server_ident,
        );
    }
    ctx.world.devices[d].ident = ident;
    ctx.world.devices[router].ident = router_ident;
    ctx.world.devices[server].ident = server_ident;
}

/// A Router Solicitation from the device's link-local address to all routers, with its
/// Source Link-Layer Address option (RFC 4861 §4.1, §6.3.7), as IPv6 stacks send when the
/// link comes up. (The hospital routes IPv4 only: no router answers.)
fn router_solicitation(ctx: &mut Ctx<'_>, d: usize, ts: i64, frames: &mut Frames) {
    use wire::icmpv6;
    let dev = &ctx.world.devices[d];
    let mut option = [0u8; 8];
    icmpv6::NdOption::SourceLinkLayerAddr(dev.mac).emit(&mut option);
    let message = icmpv6::Repr {
        msg_type: icmpv6::Message::ROUTER_SOLICIT,
        code: 0,
        rest_of_header: 0,
        data: &option,
    };
    let all_routers = std::net::Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 2);
    // 33:33 + the low 32 bits of the group (RFC 2464 §7).
    let group_mac = MacAddr([0x33, 0x33, 0, 0, 0, 2]);
    let frame = crate::packet::icmpv6_frame(
        ctx.vlan(d),
        (dev.mac, group_mac),
        (dev.link_local(), all_routers),
        &message,
    );
    frames.list.push((ts, frame));
}

/// A phone leaves the network and comes back 30 s later with another address: DHCPRELEASE
/// of the old lease (RFC 2131 §4.4.6, unicast to the server), then DISCOVER … ACK for the
/// address the pool gives it now. The truth keeps both addresses with their times.
fn roam(ctx: &mut Ctx<'_>, d: usize, ts: i64, frames: &mut Frames) {
    let Some(server) = ctx.world.service("dhcp") else {
        return;
    };
    let Some(new_ip) = ctx.world.renumber(d) else {
        return;
    };
    let dev = ctx.world.devices[d].clone();
    let server_ip = ctx.world.devices[server].ip;
    let mut client_id = vec![1u8];
    client_id.extend_from_slice(&dev.mac.0);
    let release = dhcpv4::Repr {
        op: dhcpv4::Op::REQUEST,
        hops: 0,
        xid: ctx.rng.u32(),
        secs: 0,
        flags: 0,
        ciaddr: dev.ip,
        yiaddr: Ipv4Addr::UNSPECIFIED,
        siaddr: Ipv4Addr::UNSPECIFIED,
        giaddr: Ipv4Addr::UNSPECIFIED,
        chaddr: Some(dev.mac),
        server_name: Vec::new(),
        boot_file: Vec::new(),
        message_type: Some(DhcpMessageType::RELEASE),
        options: vec![
            (dhcpv4::OptionCode(54), server_ip.octets().to_vec()),
            (dhcpv4::OptionCode(61), client_id),
        ],
        dropped_options: 0,
    };
    let mut bytes = vec![0u8; release.buffer_len()];
    release.emit(&mut dhcpv4::Packet::new_unchecked(&mut bytes[..]));
    let (c, s) = (ctx.host(d), ctx.host(server));
    let ident = ctx.world.devices[d].take_ident();
    ctx.net
        .udp(frames, ts, &c, &s, c.vlan, ident, (68, 67), &bytes);
    // Gone: its kept-open connections are gone with it.
    ctx.hl7.remove(&d);
    let held_since = dev.leased_at.unwrap_or(dev.boot_ns);
    let device = &mut ctx.world.devices[d];
    device.past_ips.push((dev.ip, held_since));
    device.ip = new_ip;
    device.leased_at = None;
    dhcp(ctx, d, ts + 30_000_000_000, frames);
}

/// A DNS query for `name` (type A) and its answer `ip` (RFC 1035), when the device resolves.
pub(crate) fn resolve(
    ctx: &mut Ctx<'_>,
    d: usize,
    ts: i64,
    name: &str,
    ip: Ipv4Addr,
    frames: &mut Frames,
) -> i64 {
    let p = &ctx.model.profiles.profile[ctx.world.devices[d].profile];
    if !p.behaviours.iter().any(|b| b == "dns") {
        return ts;
    }
    let Some(server) = ctx.world.service("dns") else {
        return ts;
    };
    let id = ctx.rng.u32() as u16;
    let question = dns::QuestionRepr {
        name: name.to_string(),
        qtype: dns::RecordType::A,
        qclass: dns::Class::IN,
        unicast_response: false,
    };
    let query = dns::Repr {
        id,
        flags: 0x0100, // RD
        questions: vec![question.clone()],
        ..dns::Repr::default()
    };
    let answer = dns::Repr {
        id,
        flags: 0x8180, // QR, RD, RA
        questions: vec![question],
        answers: vec![dns::RecordRepr {
            name: name.to_string(),
            rtype: dns::RecordType::A,
            class: dns::Class::IN,
            cache_flush: false,
            ttl: 300,
            rdata: ip.octets().to_vec(),
        }],
        ..dns::Repr::default()
    };
    let bytes = |r: &dns::Repr| {
        let mut b = vec![0u8; r.buffer_len()];
        r.emit(&mut dns::Packet::new_unchecked(&mut b[..]));
        b
    };
    let port = ctx.world.devices[d].ephemeral_port();
    let (client, srv) = (ctx.host(d), ctx.host(server));
    let ident = ctx.world.devices[d].take_ident();
    let view = client.vlan;
    ctx.net.udp(
        frames,
        ts,
        &client,
        &srv,
        view,
        ident,
        (port, 53),
        &bytes(&query),
    );
    let ident = ctx.world.devices[server].take_ident();
    ctx.net.udp(
        frames,
        ts + 600_000,
        &srv,
        &client,
        view,
        ident,
        (53, port),
        &bytes(&answer),
    );
    ts + 1_000_000
}

/// NTPv4 client request and server reply (RFC 5905 §7.3: 48-byte header, modes 3 and 4).
fn ntp(ctx: &mut Ctx<'_>, d: usize, ts: i64, frames: &mut Frames) {
    let Some(server) = ctx.world.service("ntp") else {
        return;
    };
    if server == d {
        return;
    }
    // NTP timestamps: seconds since 1900 and a 32-bit fraction.
    let ntp_time = |t: i64| {
        let secs = (t / SEC + 2_208_988_800) as u32;
        let frac = (((t % SEC) as u64) << 32) / SEC as u64;
        let mut b = secs.to_be_bytes().to_vec();
        b.extend_from_slice(&(frac as u32).to_be_bytes());
        b
    };
    let mut rq = vec![0u8; 48];
    rq[0] = 0x23; // LI 0, VN 4, mode 3 (client)
    rq[2] = 6; // poll 2^6
    rq[3] = 0xec; // precision
    rq[40..48].copy_from_slice(&ntp_time(ts));
    let mut rp = vec![0u8; 48];
    rp[0] = 0x24; // LI 0, VN 4, mode 4 (server)
    rp[1] = 2; // stratum 2
    rp[2] = 6;
    rp[3] = 0xe9;
    rp[12..16].copy_from_slice(&[10, 10, 0, 1]); // reference id: its upstream
    rp[16..24].copy_from_slice(&ntp_time(ts - 30 * SEC)); // reference
    rp[24..32].copy_from_slice(&ntp_time(ts)); // origin = client's transmit
    rp[32..40].copy_from_slice(&ntp_time(ts + 200_000)); // receive
    rp[40..48].copy_from_slice(&ntp_time(ts + 250_000)); // transmit
    let (c, s) = (ctx.host(d), ctx.host(server));
    let ident = ctx.world.devices[d].take_ident();
    ctx.net
        .udp(frames, ts, &c, &s, c.vlan, ident, (123, 123), &rq);
    let ident = ctx.world.devices[server].take_ident();
    ctx.net
        .udp(frames, ts + 400_000, &s, &c, c.vlan, ident, (123, 123), &rp);
}

/// One RFC 5424 syslog message over UDP 514 (RFC 5426).
fn syslog(ctx: &mut Ctx<'_>, d: usize, ts: i64, frames: &mut Frames) {
    let Some(server) = ctx.world.service("syslog") else {
        return;
    };
    if server == d {
        return;
    }
    let dev = &ctx.world.devices[d];
    let msg = format!(
        "<134>1 {} {} wardline-sim - - - service heartbeat ok",
        model::Timestamp(ts).rfc3339(model::TsPrecision::Micro),
        dev.hostname
    );
    let (c, s) = (ctx.host(d), ctx.host(server));
    let ident = ctx.world.devices[d].take_ident();
    let port = ctx.world.devices[d].ephemeral_port();
    ctx.net.udp(
        frames,
        ts,
        &c,
        &s,
        c.vlan,
        ident,
        (port, 514),
        msg.as_bytes(),
    );
}

/// An unsolicited mDNS response announcing the device's DNS-SD service (RFC 6762 §8.3,
/// RFC 6763 §4–§6): PTR from the service type to the instance, SRV and TXT of the instance,
/// A of the host, to 224.0.0.251:5353 (TTL 255, §11).
fn mdns_announce(ctx: &mut Ctx<'_>, d: usize, ts: i64, frames: &mut Frames) {
    let dev = &ctx.world.devices[d];
    let p = &ctx.model.profiles.profile[dev.profile];
    let Some(svc) = &p.mdns else {
        return;
    };
    let m = dev.mac.0;
    let fill = |s: &str| {
        s.replace("{model}", &p.model)
            .replace("{firmware}", &dev.firmware)
            .replace("{hostname}", &dev.hostname)
            .replace("{h6}", &format!("{:02X}{:02X}{:02X}", m[3], m[4], m[5]))
    };
    let service = format!("{}.local", svc.service);
    let instance = format!("{}.{service}", fill(&svc.instance));
    let host = format!("{}.local", dev.hostname);
    let record =
        |name: &str, rtype: u16, cache_flush: bool, ttl: u32, rdata: Vec<u8>| dns::RecordRepr {
            name: name.to_string(),
            rtype: dns::RecordType(rtype),
            class: dns::Class::IN,
            cache_flush,
            ttl,
            rdata,
        };
    let mut srv = Vec::new();
    srv.extend_from_slice(&[0, 0, 0, 0]); // priority 0, weight 0 (RFC 2782)
    srv.extend_from_slice(&svc.port.to_be_bytes());
    srv.extend(dns_name(&host));
    let mut txt = Vec::new();
    for t in &svc.txt {
        let t = fill(t);
        let t = &t.as_bytes()[..t.len().min(255)];
        txt.push(t.len() as u8);
        txt.extend_from_slice(t);
    }
    let answer = dns::Repr {
        id: 0,
        flags: 0x8400, // QR, AA (RFC 6762 §18.2, §18.4)
        answers: vec![
            record(&service, 12, false, 4500, dns_name(&instance)), // PTR
            record(&instance, 33, true, 120, srv),                  // SRV
            record(&instance, 16, true, 4500, txt),                 // TXT
            record(&host, 1, true, 120, dev.ip.octets().to_vec()),  // A
        ],
        ..dns::Repr::default()
    };
    let mut bytes = vec![0u8; answer.buffer_len()];
    answer.emit(&mut dns::Packet::new_unchecked(&mut bytes[..]));
    let src = ctx.host(d);
    let group = Host {
        mac: Some(MacAddr([0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb])),
        ip: Ipv4Addr::new(224, 0, 0, 251),
        vlan: src.vlan,
        ttl: 255,
    };
    let src = Host { ttl: 255, ..src };
    let ident = ctx.world.devices[d].take_ident();
    ctx.net.udp(
        frames,
        ts,
        &src,
        &group,
        src.vlan,
        ident,
        (5353, 5353),
        &bytes,
    );
}

/// `{model}`, `{firmware}` and `{hostname}` of device `d` in `pattern`.
fn fill(ctx: &Ctx<'_>, d: usize, pattern: &str) -> String {
    let dev = &ctx.world.devices[d];
    let p = &ctx.model.profiles.profile[dev.profile];
    pattern
        .replace("{model}", &p.model)
        .replace("{firmware}", &dev.firmware)
        .replace("{hostname}", &dev.hostname)
}

/// The monitoring host reads the device's `system` group (sysDescr, sysObjectID, sysName)
/// with SNMPv2c, community `public` as so many networks still have it (RFC 3416 GetRequest
/// and Response over UDP 161).
fn snmp_poll(ctx: &mut Ctx<'_>, d: usize, ts: i64, frames: &mut Frames) {
    use proto::emit::snmp;
    let Some(nms) = ctx.world.service("syslog") else {
        return;
    };
    let p = &ctx.model.profiles.profile[ctx.world.devices[d].profile];
    let Some(agent) = p.snmp.clone() else { return };
    let descr = fill(ctx, d, &agent.sys_descr);
    let name = ctx.world.devices[d].hostname.clone();
    let request_id = ctx.rng.u32() as i32 & 0x7fff_ffff;
    let oids: [&[u32]; 3] = [
        snmp::oid::SYS_DESCR,
        snmp::oid::SYS_OBJECT_ID,
        snmp::oid::SYS_NAME,
    ];
    let mut rq = Vec::new();
    snmp::get_request("public", request_id, &oids, &mut rq);
    let mut rp = Vec::new();
    snmp::get_response(
        "public",
        request_id,
        &[
            (
                snmp::oid::SYS_DESCR,
                snmp::Value::OctetString(descr.as_bytes()),
            ),
            (
                snmp::oid::SYS_OBJECT_ID,
                snmp::Value::ObjectIdentifier(&agent.sys_object_id),
            ),
            (
                snmp::oid::SYS_NAME,
                snmp::Value::OctetString(name.as_bytes()),
            ),
        ],
        &mut rp,
    );
    let view = Some(ctx.view(nms, d));
    let (n, a) = (ctx.host(nms), ctx.host(d));
    let port = ctx.world.devices[nms].ephemeral_port();
    let ident = ctx.world.devices[nms].take_ident();
    ctx.net
        .udp(frames, ts, &n, &a, view, ident, (port, snmp::PORT), &rq);
    let ident = ctx.world.devices[d].take_ident();
    ctx.net.udp(
        frames,
        ts + 3_000_000,
        &a,
        &n,
        view,
        ident,
        (snmp::PORT, port),
        &rp,
    );
}

/// An LLDPDU (IEEE 802.1AB §8) from the device on each VLAN it is on (the router: all).
fn lldp_announce(ctx: &mut Ctx<'_>, d: usize, ts: i64, frames: &mut Frames) {
    use proto::emit::lldp;
    let p = &ctx.model.profiles.profile[ctx.world.devices[d].profile];
    let Some(agent) = p.lldp.clone() else { return };
    let dev = ctx.world.devices[d].clone();
    let description = fill(ctx, d, &agent.system_description);
    let vlans: Vec<u16> = if d == ctx.world.router {
        ctx.world.zones.iter().map(|z| z.vlan).collect()
    } else {
        vec![ctx.vlan(d)]
    };
    let (dst, ethertype) = lldp::link_destination();
    for (i, vlan) in vlans.into_iter().enumerate() {
        let port = if d == ctx.world.router {
            format!("Vlan{vlan}")
        } else {
            "eth0".to_string()
        };
        let mut pdu = Vec::new();
        lldp::Lldpdu {
            chassis_mac: dev.mac.0,
            port_id: lldp::PortId::InterfaceName(&port),
            ttl: 120,
            port_description: None,
            system_name: Some(&dev.hostname),
            system_description: Some(&description),
            capabilities: Some((agent.capabilities, agent.capabilities)),
            management_address: Some(lldp::ManagementAddress {
                address: dev.ip,
                if_index: 1,
            }),
        }
        .emit(&mut pdu);
        let frame = crate::packet::link_frame(vlan, dev.mac, MacAddr(dst), ethertype, &pdu);
        frames.list.push((ts + i as i64 * 1_000_000, frame));
    }
}

/// A BACnet device announces itself: I-Am broadcast on its subnet (ASHRAE 135 §16.10,
/// Annex J.4.5: Original-Broadcast-NPDU to UDP 47808).
fn bacnet_i_am(ctx: &mut Ctx<'_>, d: usize, ts: i64, frames: &mut Frames) {
    use proto::emit::bacnet;
    let p = &ctx.model.profiles.profile[ctx.world.devices[d].profile];
    let Some(vendor_id) = p.bacnet_vendor_id else {
        return;
    };
    let mut apdu = Vec::new();
    bacnet::IAm {
        device_instance: 10_000 + d as u32 % 4_000_000,
        max_apdu: 1476,
        segmentation: bacnet::segmentation::BOTH,
        vendor_id,
    }
    .emit(&mut apdu);
    let mut payload = Vec::new();
    bacnet::datagram(
        bacnet::function::ORIGINAL_BROADCAST_NPDU,
        &apdu,
        &mut payload,
    );
    let zone = &ctx.world.zones[ctx.world.devices[d].zone];
    let directed = Ipv4Addr::from(u32::from(zone.base) | (u32::MAX >> zone.prefix));
    let src = ctx.host(d);
    let all = Host {
        mac: Some(MacAddr([0xff; 6])),
        ip: directed,
        vlan: src.vlan,
        ttl: 64,
    };
    let ident = ctx.world.devices[d].take_ident();
    ctx.net.udp(
        frames,
        ts,
        &src,
        &all,
        src.vlan,
        ident,
        (bacnet::PORT, bacnet::PORT),
        &payload,
    );
}

/// A building controller in the meter's zone polls it over Modbus/TCP (Modbus Messaging on
/// TCP/IP v1.0b): its device identification (function 43/14) and a block of holding
/// registers (function 3) on one connection.
fn modbus_poll(ctx: &mut Ctx<'_>, d: usize, ts: i64, frames: &mut Frames) {
    use proto::emit::modbus;
    let dev = ctx.world.devices[d].clone();
    let p = &ctx.model.profiles.profile[dev.profile];
    let Some(identity) = p.modbus.clone() else {
        return;
    };
    let Some(master) = ctx
        .world
        .devices
        .iter()
        .find(|m| {
            m.zone == dev.zone
                && ctx.model.profiles.profile[m.profile].category == "building_controller"
        })
        .map(|m| m.index)
    else {
        return;
    };
    let net = ctx.net;
    let mut conn = ctx.connect(master, Peer::Device(d), modbus::PORT, ts, frames);
    let tid = ctx.rng.u32() as u16;
    let mut rq = Vec::new();
    modbus::read_device_id_request(tid, 1, modbus::read_code::BASIC, 0, &mut rq);
    conn.send(&net, frames, Dir::ToServer, &rq);
    let mut rp = Vec::new();
    modbus::BasicIdentification {
        vendor_name: &identity.vendor_name,
        product_code: &identity.product_code,
        revision: &dev.firmware,
    }
    .emit_response(tid, 1, &mut rp);
    conn.send(&net, frames, Dir::ToClient, &rp);
    let mut rq = Vec::new();
    modbus::read_holding_registers_request(tid.wrapping_add(1), 1, 3000, 8, &mut rq);
    conn.send(&net, frames, Dir::ToServer, &rq);
    let values: Vec<u16> = (0..8).map(|_| ctx.rng.u32() as u16 & 0x0fff).collect();
    let mut rp = Vec::new();
    modbus::read_holding_registers_response(tid.wrapping_add(1), 1, &values, &mut rp);
    conn.send(&net, frames, Dir::ToClient, &rp);
    conn.close(&net, frames, Dir::ToServer);
}

/// A UPnP device's ssdp:alive for its root device (UDA 2.0 §1.2.2) to 239.255.255.250:1900,
/// IP TTL 2 as the architecture recommends.
fn ssdp_alive(ctx: &mut Ctx<'_>, d: usize, ts: i64, frames: &mut Frames) {
    use proto::emit::ssdp;
    let dev = ctx.world.devices[d].clone();
    let p = &ctx.model.profiles.profile[dev.profile];
    let Some(server) = p.ssdp_server.clone() else {
        return;
    };
    let server = fill(ctx, d, &server);
    let m = dev.mac.0;
    let uuid = format!(
        "uuid:Upnp-BasicDevice-1_0-{:02x}{:02x}{:02x}{:02x}{:02x}{:02x}",
        m[0], m[1], m[2], m[3], m[4], m[5]
    );
    let location = format!("http://{}:49152/rootdesc1.xml", dev.ip);
    let device = ssdp::Device {
        uuid: &uuid,
        location: &location,
        server: &server,
        max_age: 1800,
        boot_id: 1,
        config_id: 1,
    };
    let mut msg = Vec::new();
    device.notify_alive("upnp:rootdevice", &mut msg);
    let src = Host {
        ttl: 2,
        ..ctx.host(d)
    };
    let group = Host {
        mac: Some(MacAddr([0x01, 0x00, 0x5e, 0x7f, 0xff, 0xfa])),
        ip: ssdp::MULTICAST,
        vlan: src.vlan,
        ttl: 2,
    };
    let ident = ctx.world.devices[d].take_ident();
    let port = ctx.world.devices[d].ephemeral_port();
    ctx.net.udp(
        frames,
        ts,
        &src,
        &group,
        src.vlan,
        ident,
        (port, ssdp::PORT),
        &msg,
    );
}

/// A domain name as uncompressed labels (RFC 1035 §3.1), each cut to 63 bytes.
fn dns_name(name: &str) -> Vec<u8> {
    let mut out = Vec::with_capacity(name.len() + 2);
    for label in name.trim_end_matches('.').split('.') {
        let label = &label.as_bytes()[..label.len().min(63)];
        out.push(label.len() as u8);
        out.extend_from_slice(label);
    }
    out.push(0);
    out
}

// ------------------------------------------------------------------------------ TLS, HTTP

fn https_to_service(ctx: &mut Ctx<'_>, d: usize, ts: i64, role: &str, frames: &mut Frames) {
    let Some(server) = ctx.world.service(role) else {
        return;
    };
    let name = format!(
        "{}.{}",
        ctx.world.devices[server].hostname, ctx.model.hospital.domain
    );
    let server_ip = ctx.world.devices[server].ip;
    let t = resolve(ctx, d, ts, &name, server_ip, frames);
    tls_session(ctx, d, Peer::Device(server), t, &name, frames);
}

pub(crate) fn https_to_internet(
    ctx: &mut Ctx<'_>,
    d: usize,
    ts: i64,
    name: &str,
    frames: &mut Frames,
) {
    let host = ctx.internet_host(name);
    let t = resolve(ctx, d, ts, name, host.ip, frames);
    tls_session(ctx, d, Peer::Internet(host), t, name, frames);
}

/// A TLS session: ClientHello with the device's stack, ServerHello, the rest of the
/// handshake and a request/response exchange as opaque encrypted records, then FIN.
pub(crate) fn tls_session(
    ctx: &mut Ctx<'_>,
    d: usize,
    server: Peer,
    ts: i64,
    sni: &str,
    frames: &mut Frames,
) {
    let p = &ctx.model.profiles.profile[ctx.world.devices[d].profile];
    let Some(stack) = p.tls.as_ref().map(|t| ctx.model.profiles.tls[t].clone()) else {
        return;
    };
    let net = ctx.net;
    let mut conn = ctx.connect(d, server, 443, ts, frames);
    let conn = &mut conn;
    let mut random = [0u8; 32];
    ctx.rng.fill(&mut random);
    let mut session_id = [0u8; 32];
    ctx.rng.fill(&mut session_id);
    let mut key = [0u8; 32];
    ctx.rng.fill(&mut key);
    let tls13 = stack.versions.contains(&tls::TLS1_3);
    let alpn: Vec<&str> = stack.alpn.iter().map(String::as_str).collect();
    let legacy = stack.legacy_version.unwrap_or(tls::TLS1_2);
    let hello = tls::ClientHello {
        version: legacy,
        random,
        session_id: if tls13 { &session_id } else { &[] },
        cipher_suites: &stack.ciphers,
        extensions: &stack.extensions,
        server_name: Some(sni),
        groups: &stack.groups,
        signature_algorithms: &stack.signature_algorithms,
        alpn: &alpn,
        supported_versions: &stack.versions,
        key_share: tls13.then_some((29, &key[..])),
    };
    let mut ch = Vec::new();
    hello.emit(&mut ch);
    let mut c1 = Vec::new();
    tls::records(tls::HANDSHAKE, tls::TLS1_0, &ch, &mut c1);
    conn.send(&net, frames, Dir::ToServer, &c1);
    let cipher = if tls13 {
        *stack
            .ciphers
            .iter()
            .find(|c| (0x1301..=0x1303).contains(*c))
            .unwrap_or(&0x1301)
    } else {
        *stack
            .ciphers
            .iter()
            .find(|c| !(0x1301..=0x1303).contains(*c))
            .unwrap_or(&0x002f)
    };
    let mut sr = [0u8; 32];
    ctx.rng.fill(&mut sr);
    let mut sh = Vec::new();
    tls::ServerHello {
        version: legacy,
        random: sr,
        session_id: if tls13 { &session_id } else { &[] },
        cipher_suite: cipher,
        tls13_key_share: tls13.then_some((29, &key[..])),
    }
    .emit(&mut sh);
    let mut s1 = Vec::new();
    let opaque = |n: usize, rng: &mut Rng| {
        let mut b = vec![0u8; n];
        rng.fill(&mut b);
        b
    };
    if tls13 {
        tls::records(tls::HANDSHAKE, legacy, &sh, &mut s1);
        tls::change_cipher_spec(legacy, &mut s1);
        // EncryptedExtensions, Certificate, CertificateVerify, Finished: encrypted.
        let n = 2_400 + ctx.rng.below(1_600) as usize;
        tls::records(
            tls::APPLICATION_DATA,
            legacy,
            &opaque(n, &mut ctx.rng),
            &mut s1,
        );
        conn.send(&net, frames, Dir::ToClient, &s1);
        let mut c2 = Vec::new();
        tls::change_cipher_spec(legacy, &mut c2);
        tls::records(
            tls::APPLICATION_DATA,
            legacy,
            &opaque(53, &mut ctx.rng),
            &mut c2,
        );
        conn.send(&net, frames, Dir::ToServer, &c2);
    } else {
        let mut msgs = sh.clone();
        tls::server_hello_done(&mut msgs);
        tls::records(tls::HANDSHAKE, legacy, &msgs, &mut s1);
        conn.send(&net, frames, Dir::ToClient, &s1);
        let mut c2 = Vec::new();
        let mut cke = Vec::new();
        if tls::is_dhe_suite(cipher) {
            // An uncompressed P-256 point.
            let mut point = vec![4u8];
            point.extend(opaque(64, &mut ctx.rng));
            tls::client_key_exchange(&point, &mut cke);
        } else {
            // The premaster secret encrypted to a 2048-bit RSA key.
            tls::client_key_exchange_rsa(&opaque(256, &mut ctx.rng), &mut cke);
        }
        tls::records(tls::HANDSHAKE, legacy, &cke, &mut c2);
        tls::change_cipher_spec(legacy, &mut c2);
        tls::records(tls::HANDSHAKE, legacy, &opaque(40, &mut ctx.rng), &mut c2); // Finished
        conn.send(&net, frames, Dir::ToServer, &c2);
        let mut s2 = Vec::new();
        tls::change_cipher_spec(legacy, &mut s2);
        tls::records(tls::HANDSHAKE, legacy, &opaque(40, &mut ctx.rng), &mut s2);
        conn.send(&net, frames, Dir::ToClient, &s2);
    }
    let version = if tls13 { tls::TLS1_2 } else { legacy };
    let mut rq = Vec::new();
    let n = 300 + ctx.rng.below(1_200) as usize;
    tls::records(
        tls::APPLICATION_DATA,
        version,
        &opaque(n, &mut ctx.rng),
        &mut rq,
    );
    conn.send(&net, frames, Dir::ToServer, &rq);
    let mut rp = Vec::new();
    let n = 500 + ctx.rng.below(6_000) as usize;
    tls::records(
        tls::APPLICATION_DATA,
        version,
        &opaque(n, &mut ctx.rng),
        &mut rp,
    );
    conn.now += 3_000_000;
    conn.send(&net, frames, Dir::ToClient, &rp);
    conn.close(&net, frames, Dir::ToServer);
}

fn http_to_internet(ctx: &mut Ctx<'_>, d: usize, ts: i64, name: &str, frames: &mut Frames) {
    let p = &ctx.model.profiles.profile[ctx.world.devices[d].profile];
    let Some(ua) = p.user_agent.clone() else {
        return;
    };
    let host = ctx.internet_host(name);
    let t = resolve(ctx, d, ts, name, host.ip, frames);
    let net = ctx.net;
    let mut conn = ctx.connect(d, Peer::Internet(host), 80, t, frames);
    let mut rq = Vec::new();
    http::request(
        "GET",
        "/",
        &[
            ("Host", name),
            ("User-Agent", &ua),
            ("Accept", "*/*"),
            ("Connection", "close"),
        ],
        b"",
        &mut rq,
    );
    conn.send(&net, frames, Dir::ToServer, &rq);
    // A page of some size; its text does not matter to anyone watching the wire.
    let body = format!(
        "<html><body>{}</body></html>",
        "x".repeat(200 + ctx.rng.below(3_000) as usize)
    );
    let mut rp = Vec::new();
    http::response(
        200,
        "OK",
        &[
            ("Server", "nginx"),
            ("Content-Type", "text/html"),
            ("Connection", "close"),
        ],
        body.as_bytes(),
        &mut rp,
    );
    conn.now += 5_000_000;
    conn.send(&net, frames, Dir::ToClient, &rp);
    conn.close(&net, frames, Dir::ToClient);
}

/// The monitoring host (the syslog server) fetches the device's web page: its banner shows.
pub(crate) fn http_banner_poll(ctx: &mut Ctx<'_>, d: usize, ts: i64, frames: &mut Frames) {
    let Some(poller) = ctx.world.service("syslog") else {
        return;
    };
    let p = &ctx.model.profiles.profile[ctx.world.devices[d].profile];
    let Some(banner) = p.server_banner.as_ref() else {
        return;
    };
    let banner = banner.replace("{firmware}", &ctx.world.devices[d].firmware);
    let net = ctx.net;
    let mut conn = ctx.connect(poller, Peer::Device(d), 80, ts, frames);
    let host = ctx.world.devices[d].ip.to_string();
    let mut rq = Vec::new();
    http::request(
        "GET",
        "/",
        &[
            ("Host", &host),
            ("User-Agent", "check_http/v2.3.3 (monitoring-plugins 2.3.3)"),
            ("Connection", "close"),
        ],
        b"",
        &mut rq,
    );
    conn.send(&net, frames, Dir::ToServer, &rq);
    let mut rp = Vec::new();
    http::response(
        200,
        "OK",
        &[("Server", &banner), ("Content-Type", "text/html")],
        b"<html><body>status</body></html>",
        &mut rp,
    );
    conn.send(&net, frames, Dir::ToClient, &rp);
    conn.close(&net, frames, Dir::ToClient);
}

// ------------------------------------------------------------------------------ clinical

/// An invented patient: syllable names and a `SIM` medical record number, which no real
/// record holds.
fn invented_patient(rng: &mut Rng) -> (String, String) {
    const SYL: &[&str] = &[
        "zor", "vak", "mi", "rel", "tan", "qui", "bro", "lex", "dun", "ova", "sel", "kar",
    ];
    let mut word = |n: usize| {
        let mut w = String::new();
        for _ in 0..n {
            w.push_str(rng.pick::<&str>(SYL));
        }
        w.to_uppercase()
    };
    let name = format!("{}^{}", word(3), word(2));
    let mrn = format!("SIM{:07}", rng.below(10_000_000));
    (name, mrn)
}

/// HL7 ORU^R01 with vital signs over MLLP to the interface engine, on one kept-open
/// connection per device; the engine acknowledges each message (HL7 v2.6 ch. 7).
fn hl7_oru(ctx: &mut Ctx<'_>, d: usize, ts: i64, frames: &mut Frames) {
    hl7_send(ctx, d, "hl7_engine", Hl7Event::Observation, ts, frames);
}

/// The interface engine forwards an admission, ADT^A01, to the central monitoring server,
/// which acknowledges it (HL7 v2.6 ch. 3.3.1).
fn hl7_adt(ctx: &mut Ctx<'_>, d: usize, ts: i64, frames: &mut Frames) {
    hl7_send(ctx, d, "monitor_server", Hl7Event::Admission, ts, frames);
}

/// What an HL7 message carries.
#[derive(Debug, Clone, Copy)]
enum Hl7Event {
    /// ORU^R01: PID, OBR, two OBX of vital signs.
    Observation,
    /// ADT^A01: EVN, PID, PV1 with a bed in a ward.
    Admission,
}

/// One HL7 message from device `d` to the service `to` over MLLP on a kept-open connection
/// per sender, and the original-mode acknowledgement (HL7 v2.6 ch. 2.9.2). Patients are
/// invented.
fn hl7_send(ctx: &mut Ctx<'_>, d: usize, to: &str, event: Hl7Event, ts: i64, frames: &mut Frames) {
    let Some(receiver) = ctx.world.service(to) else {
        return;
    };
    let net = ctx.net;
    if !ctx.hl7.contains_key(&d) {
        let conn = ctx.connect(d, Peer::Device(receiver), 2575, ts, frames);
        ctx.hl7.insert(d, conn);
    }
    let dev = ctx.world.devices[d].clone();
    let application = |i: usize| {
        ctx.model.profiles.profile[ctx.world.devices[i].profile]
            .hl7_application
            .clone()
            .unwrap_or_else(|| "HL7".into())
    };
    let (app, receiver_app) = (application(d), application(receiver));
    let facility = if dev.role.is_some() {
        "SGH".to_string()
    } else {
        ctx.world.zones[dev.zone].name.to_uppercase()
    };
    ctx.hl7_seq += 1;
    let control = format!(
        "{}{:08}",
        &dev.hostname.chars().take(4).collect::<String>(),
        ctx.hl7_seq
    );
    let stamp = hl7_time(ts);
    let (patient, mrn) = invented_patient(&mut ctx.rng);
    let (message_type, ack_type) = match event {
        Hl7Event::Observation => ("ORU^R01^ORU_R01", "ACK^R01^ACK"),
        Hl7Event::Admission => ("ADT^A01^ADT_A01", "ACK^A01^ACK"),
    };
    let header = hl7::Header {
        sending_application: &app,
        sending_facility: &facility,
        receiving_application: &receiver_app,
        receiving_facility: "SGH",
        timestamp: &stamp,
        message_type,
        control_id: &control,
        version: "2.6",
    };
    let mut msg = Vec::new();
    header.emit(&mut msg);
    let pid3 = format!("{mrn}^^^SGH^MR");
    match event {
        Hl7Event::Observation => {
            hl7::segment(&mut msg, &["PID", "1", "", &pid3, "", &patient]);
            hl7::segment(&mut msg, &["OBR", "1", "", "", "VITALS^Vital signs^L"]);
            let hr = (60 + ctx.rng.below(50)).to_string();
            let spo2 = (92 + ctx.rng.below(8)).to_string();
            let obx = |n: &str, code: &str, value: &str, unit: &str, msg: &mut Vec<u8>| {
                hl7::segment(
                    msg,
                    &["OBX", n, "NM", code, "", value, unit, "", "", "", "", "F"],
                );
            };
            obx("1", "8867-4^Heart rate^LN", &hr, "/min", &mut msg);
            obx("2", "59408-5^SpO2^LN", &spo2, "%", &mut msg);
        }
        Hl7Event::Admission => {
            hl7::segment(&mut msg, &["EVN", "A01", &stamp]);
            hl7::segment(&mut msg, &["PID", "1", "", &pid3, "", &patient]);
            let bed = format!("WARD^{}^{}", 100 + ctx.rng.below(300), 1 + ctx.rng.below(2));
            hl7::segment(&mut msg, &["PV1", "1", "I", &bed]);
        }
    }
    let mut block = Vec::new();
    hl7::mllp(&msg, &mut block);
    let reply = hl7::Header {
        sending_application: &receiver_app,
        sending_facility: "SGH",
        receiving_application: &app,
        receiving_facility: &facility,
        message_type: ack_type,
        control_id: &format!("ACK{}", ctx.hl7_seq),
        ..header.clone()
    };
    let mut ack = Vec::new();
    hl7::ack(&reply, &control, &mut ack);
    let mut ack_block = Vec::new();
    hl7::mllp(&ack, &mut ack_block);
    if let Some(conn) = ctx.hl7.get_mut(&d) {
        conn.now = conn.now.max(ts);
        conn.send(&net, frames, Dir::ToServer, &block);
        conn.now += 2_000_000;
        conn.send(&net, frames, Dir::ToClient, &ack_block);
    }
}

fn hl7_time(ts: i64) -> String {
    // YYYYMMDDHHMMSS from the RFC 3339 rendering.
    let s = model::Timestamp(ts)
        .rfc3339(model::TsPrecision::Micro)
        .to_string();
    s.chars().filter(char::is_ascii_digit).take(14).collect()
}

/// A DICOM association from a modality to the PACS storing one to three images
/// (PS3.8 §9, PS3.4 Annex B), then released.
fn dicom_store(ctx: &mut Ctx<'_>, d: usize, ts: i64, frames: &mut Frames) {
    let Some(pacs) = ctx.world.service("pacs") else {
        return;
    };
    let dev = ctx.world.devices[d].clone();
    let p = ctx.model.profiles.profile[dev.profile].clone();
    let pacs_profile = ctx.model.profiles.profile[ctx.world.devices[pacs].profile].clone();
    let Some(calling) = dev.ae_title.clone() else {
        return;
    };
    let called = pacs_profile
        .ae_title
        .clone()
        .unwrap_or_else(|| "PACS".into());
    let sop_class = match p.modality.as_deref() {
        Some("MR") => "1.2.840.10008.5.1.4.1.1.4",
        Some("US") => "1.2.840.10008.5.1.4.1.1.6.1",
        _ => "1.2.840.10008.5.1.4.1.1.2",
    };
    let (class_uid, version) = match p.dicom_implementation.as_slice() {
        [u, v, ..] => (u.clone(), v.clone()),
        _ => ("1.2.3".into(), "SIM".into()),
    };
    let (pacs_uid, pacs_version) = match pacs_profile.dicom_implementation.as_slice() {
        [u, v, ..] => (u.clone(), v.clone()),
        _ => ("1.2.3".into(), "PACS".into()),
    };
    let net = ctx.net;
    let mut conn = ctx.connect(d, Peer::Device(pacs), 104, ts, frames);
    let rq_assoc = dicom::Associate {
        called: &called,
        calling: &calling,
        max_pdu: 16_384,
        implementation_class_uid: &class_uid,
        implementation_version: &version,
    };
    let mut rq = Vec::new();
    rq_assoc.emit_request(
        &[dicom::ProposedContext {
            id: 1,
            abstract_syntax: sop_class,
            transfer_syntaxes: &[dicom::IMPLICIT_VR_LITTLE_ENDIAN],
        }],
        &mut rq,
    );
    conn.send(&net, frames, Dir::ToServer, &rq);
    let mut ac = Vec::new();
    dicom::Associate {
        implementation_class_uid: &pacs_uid,
        implementation_version: &pacs_version,
        ..rq_assoc.clone()
    }
    .emit_accept(&[(1, dicom::IMPLICIT_VR_LITTLE_ENDIAN)], &mut ac);
    conn.send(&net, frames, Dir::ToClient, &ac);
    let (patient, mrn) = invented_patient(&mut ctx.rng);
    let images = 1 + ctx.rng.below(3) as u16;
    for i in 1..=images {
        let instance = format!(
            "1.2.826.0.1.3680043.9.7433.{}.{}",
            ctx.rng.below(1_000_000_000),
            i
        );
        let mut cmd = Vec::new();
        dicom::command(
            dicom::C_STORE_RQ,
            sop_class,
            i,
            true,
            Some(&instance),
            None,
            &mut cmd,
        );
        let mut ds = Vec::new();
        dicom::element(0x0008, 0x0016, &dicom::uid(sop_class), &mut ds);
        dicom::element(0x0008, 0x0018, &dicom::uid(&instance), &mut ds);
        dicom::element(
            0x0008,
            0x0060,
            p.modality.as_deref().unwrap_or("OT").as_bytes(),
            &mut ds,
        );
        dicom::element(0x0008, 0x0070, p.vendor.as_bytes(), &mut ds);
        dicom::element(0x0008, 0x0080, ctx.model.hospital.name.as_bytes(), &mut ds);
        dicom::element(0x0008, 0x1010, dev.hostname.as_bytes(), &mut ds);
        dicom::element(
            0x0008,
            0x1040,
            ctx.model.hospital.zone[ctx.world.zones[dev.zone].model_zone]
                .department
                .as_bytes(),
            &mut ds,
        );
        dicom::element(0x0008, 0x1090, p.model.as_bytes(), &mut ds);
        dicom::element(0x0010, 0x0010, patient.as_bytes(), &mut ds);
        dicom::element(0x0010, 0x0020, mrn.as_bytes(), &mut ds);
        dicom::element(0x0018, 0x1020, dev.firmware.as_bytes(), &mut ds);
        let mut pixels = vec![0u8; (8_192 + ctx.rng.below(24_576) as usize) & !1];
        ctx.rng.fill(&mut pixels);
        dicom::element(0x7FE0, 0x0010, &pixels, &mut ds);
        let mut pd = Vec::new();
        dicom::p_data(1, dicom::COMMAND_LAST, &cmd, &mut pd);
        dicom::p_data(1, dicom::DATA_LAST, &ds, &mut pd);
        conn.send(&net, frames, Dir::ToServer, &pd);
        let mut rsp = Vec::new();
        dicom::command(
            dicom::C_STORE_RSP,
            sop_class,
            i,
            false,
            Some(&instance),
            Some(0),
            &mut rsp,
        );
        let mut pr = Vec::new();
        dicom::p_data(1, dicom::COMMAND_LAST, &rsp, &mut pr);
        conn.send(&net, frames, Dir::ToClient, &pr);
    }
    let mut rel = Vec::new();
    dicom::release_request(&mut rel);
    conn.send(&net, frames, Dir::ToServer, &rel);
    let mut rp = Vec::new();
    dicom::release_reply(&mut rp);
    conn.send(&net, frames, Dir::ToClient, &rp);
    conn.close(&net, frames, Dir::ToServer);
}
