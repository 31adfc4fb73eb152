//! The simulated hospital's devices: placed in zones by the populations' shares, given MACs
//! from their vendors' OUIs (or random local ones), addresses, host names and firmware.

use std::collections::HashSet;
use std::net::Ipv4Addr;

use model::MacAddr;

use crate::data::Model;
use crate::packet::Host;
use crate::rng::Rng;

/// One device.
#[derive(Debug, Clone)]
pub struct Device {
    /// Index in the world.
    pub index: usize,
    /// Profile index.
    pub profile: usize,
    /// Index in [`World::zones`].
    pub zone: usize,
    /// MAC address.
    pub mac: MacAddr,
    /// IPv4 address (leased or static).
    pub ip: Ipv4Addr,
    /// Host name.
    pub hostname: String,
    /// Firmware / software version.
    pub firmware: String,
    /// DICOM AE title, for DICOM devices.
    pub ae_title: Option<String>,
    /// Core service role.
    pub role: Option<String>,
    /// Initial TTL.
    pub ttl: u8,
    /// Next IP identification.
    pub ident: u16,
    /// Next ephemeral port.
    pub next_port: u16,
    /// When it first appears, ns.
    pub boot_ns: i64,
    /// When its address was leased, ns (`None` until then).
    pub leased_at: Option<i64>,
    /// Added by an injected event (`--inject unknown_device`), not by the populations.
    pub injected: bool,
    /// Addresses it held before `ip`, with when it got each.
    pub past_ips: Vec<(Ipv4Addr, i64)>,
}

impl Device {
    /// As an endpoint.
    pub fn host(&self, vlan: u16) -> Host {
        Host {
            mac: Some(self.mac),
            ip: self.ip,
            vlan: Some(vlan),
            ttl: self.ttl,
        }
    }

    /// Its IPv6 link-local address: fe80::/64 with the modified EUI-64 interface identifier
    /// of its MAC (RFC 4291 §2.5.1, Appendix A).
    pub fn link_local(&self) -> std::net::Ipv6Addr {
        let m = self.mac.0;
        std::net::Ipv6Addr::from([
            0xfe,
            0x80,
            0,
            0,
            0,
            0,
            0,
            0,
            m[0] ^ 0x02,
            m[1],
            m[2],
            0xff,
            0xfe,
            m[3],
            m[4],
            m[5],
        ])
    }

    /// Takes the next ephemeral port (49152–65535, RFC 6335 §6).
    pub fn ephemeral_port(&mut self) -> u16 {
        let p = self.next_port;
        self.next_port = if p >= 65_000 { 49_152 } else { p + 1 };
        p
    }

    /// Takes the next IP identification.
    pub fn take_ident(&mut self) -> u16 {
        let i = self.ident;
        self.ident = self.ident.wrapping_add(1);
        i
    }
}

/// The devices and what they share.
#[derive(Debug)]
pub struct World {
    /// Every device; core services first, then the router, then the populations.
    pub devices: Vec<Device>,
    /// Index of the core router.
    pub router: usize,
    /// Index of each core service by role.
    pub services: Vec<(String, usize)>,
    /// The zones in use: each model zone, then the wings added when one filled up.
    pub zones: Vec<ZoneInstance>,
    /// Devices asked for but not placed: every wing their zone may have was full.
    pub unplaced: usize,
    /// MACs given out (each is unique).
    macs: HashSet<[u8; 6]>,
    /// Per model zone: the wing being filled and its next host number.
    filling: Vec<(usize, u32)>,
}

/// One VLAN of the simulated hospital: a zone of the model, or a further wing of it (another
/// floor or building of the same kind) once the first is full.
#[derive(Debug, Clone)]
pub struct ZoneInstance {
    /// The model zone (`hospital.toml`) it is a wing of.
    pub model_zone: usize,
    /// Name: the model zone's, with `-2`, `-3`… for further wings.
    pub name: String,
    /// VLAN id: the model zone's + 100 per wing.
    pub vlan: u16,
    /// Subnet base: the model zone's, then the next blocks of the same size.
    pub base: Ipv4Addr,
    /// Prefix length.
    pub prefix: u8,
}

impl ZoneInstance {
    /// Wing `wing` (0 = the zone itself) of model zone `z`, if its VLAN id and addresses stay
    /// in range (VLAN ≤ 4094, inside the zone's /16).
    fn wing(model: &Model, z: usize, wing: u32) -> Option<Self> {
        let zone = &model.hospital.zone[z];
        let (base, prefix) = model.subnets[z];
        let size = 1u32 << (32 - prefix);
        let vlan = u32::from(zone.vlan) + 100 * wing;
        let start = u32::from(base).checked_add(size.checked_mul(wing)?)?;
        if vlan > 4094 || start >> 16 != u32::from(base) >> 16 {
            return None;
        }
        Some(Self {
            model_zone: z,
            name: if wing == 0 {
                zone.name.clone()
            } else {
                format!("{}-{}", zone.name, wing + 1)
            },
            vlan: vlan as u16,
            base: Ipv4Addr::from(start),
            prefix,
        })
    }

    /// Hosts the block holds (network, gateway and broadcast excluded).
    fn size(&self) -> u32 {
        1u32 << (32 - self.prefix)
    }
}

impl World {
    /// Places `count` devices (at least the core services and the router).
    pub fn build(model: &Model, count: usize, start_ns: i64, rng: &mut Rng) -> Self {
        let mut world = Self {
            devices: Vec::new(),
            router: 0,
            services: Vec::new(),
            zones: (0..model.hospital.zone.len())
                .filter_map(|z| ZoneInstance::wing(model, z, 0))
                .collect(),
            unplaced: 0,
            macs: HashSet::new(),
            filling: (0..model.hospital.zone.len()).map(|z| (z, 10)).collect(),
        };
        let dc = model.service_zone();
        for s in &model.hospital.service {
            let profile = model.profile_index(&s.profile);
            let i = world.add(
                model,
                rng,
                profile,
                dc,
                s.ip,
                Some(s.role.clone()),
                Some(s.hostname.clone()),
                start_ns,
            );
            world.devices[i].leased_at = Some(start_ns);
            world.services.push((s.role.clone(), i));
        }
        let router_profile = model.profile_index(&model.hospital.router_profile);
        let gw = gateway(world.zones[dc].base);
        world.router = world.add(
            model,
            rng,
            router_profile,
            dc,
            gw,
            Some("router".into()),
            None,
            start_ns,
        );
        world.devices[world.router].leased_at = Some(start_ns);

        // Populations: every (zone, profile, share), largest remainder so the total is exact.
        let slots: Vec<(usize, usize, u32)> = model
            .hospital
            .population
            .iter()
            .flat_map(|p| {
                let z = model
                    .hospital
                    .zone
                    .iter()
                    .position(|z| z.name == p.zone)
                    .unwrap_or_default();
                p.profiles
                    .iter()
                    .map(move |s| (z, model.profile_index(&s.profile), s.share))
            })
            .collect();
        let want = count.saturating_sub(world.devices.len());
        let total: u64 = slots.iter().map(|s| u64::from(s.2)).sum::<u64>().max(1);
        let mut counts: Vec<usize> = slots
            .iter()
            .map(|s| (want as u64 * u64::from(s.2) / total) as usize)
            .collect();
        let mut rest = want - counts.iter().sum::<usize>();
        let mut i = 0;
        while rest > 0 && !counts.is_empty() {
            let n = counts.len();
            counts[i % n] += 1;
            rest -= 1;
            i += 1;
        }
        for ((zone, profile, _), n) in slots.iter().zip(counts) {
            for _ in 0..n {
                // Devices come up over the first five minutes.
                let boot = start_ns + rng.below(300_000_000_000) as i64;
                if world.place(model, rng, *zone, *profile, boot).is_none() {
                    world.unplaced += 1;
                }
            }
        }
        world
    }

    /// Adds a device of `profile` to model zone `zone` at the next free address (opening the
    /// zone's next wing when the current one is full); `None` when every wing is full.
    pub fn place(
        &mut self,
        model: &Model,
        rng: &mut Rng,
        zone: usize,
        profile: usize,
        boot_ns: i64,
    ) -> Option<usize> {
        let (mut wing, mut host) = self.filling[zone];
        if host + 1 >= self.zones[wing].size() {
            // Full (the broadcast address is next): open the zone's next wing.
            let next = self.zones.iter().filter(|w| w.model_zone == zone).count() as u32;
            self.zones.push(ZoneInstance::wing(model, zone, next)?);
            (wing, host) = (self.zones.len() - 1, 10);
        }
        self.filling[zone] = (wing, host + 1);
        let ip = Ipv4Addr::from(u32::from(self.zones[wing].base) + host);
        Some(self.add(model, rng, profile, wing, ip, None, None, boot_ns))
    }

    /// Adds one device: a fresh MAC (from the profile's OUIs, or random and locally
    /// administered), its host name, AE title, firmware and stack.
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        model: &Model,
        rng: &mut Rng,
        profile: usize,
        zone: usize,
        ip: Ipv4Addr,
        role: Option<String>,
        hostname: Option<String>,
        boot_ns: i64,
    ) -> usize {
        let p = &model.profiles.profile[profile];
        let mac = loop {
            let mut m = [0u8; 6];
            if p.random_mac {
                rng.fill(&mut m);
                m[0] = (m[0] & 0xfc) | 0x02; // locally administered, unicast
            } else {
                let oui = u32::from_str_radix(rng.pick(p.oui.as_slice()).as_str(), 16)
                    .unwrap_or_default();
                m[..3].copy_from_slice(&oui.to_be_bytes()[1..]);
                rng.fill(&mut m[3..]);
            }
            if self.macs.insert(m) {
                break MacAddr(m);
            }
        };
        let index = self.devices.len();
        let ordinal = index as u32 + 1;
        let hostname =
            hostname.unwrap_or_else(|| expand(&p.hostname, ordinal, &mac, role.as_deref()));
        let ae_title = p.ae_title.as_ref().map(|a| expand(a, ordinal, &mac, None));
        let os = &model.profiles.os[&p.os];
        self.devices.push(Device {
            index,
            profile,
            zone,
            mac,
            ip,
            hostname,
            firmware: rng.pick(&p.firmware).clone(),
            ae_title,
            role,
            ttl: os.ttl,
            ident: rng.u32() as u16,
            next_port: 49_152 + rng.below(15_000) as u16,
            boot_ns,
            leased_at: None,
            injected: false,
            past_ips: Vec::new(),
        });
        index
    }

    /// A fresh address for device `d` in its own wing (a device that left and came back gets
    /// whatever the pool hands out next); `None` when its wing is not the one being filled or
    /// is full.
    pub fn renumber(&mut self, d: usize) -> Option<Ipv4Addr> {
        let wing = self.devices[d].zone;
        let zone = self.zones[wing].model_zone;
        let (filling, host) = self.filling[zone];
        if filling != wing || host + 1 >= self.zones[wing].size() {
            return None;
        }
        self.filling[zone] = (wing, host + 1);
        Some(Ipv4Addr::from(u32::from(self.zones[wing].base) + host))
    }

    /// The device serving `role`.
    pub fn service(&self, role: &str) -> Option<usize> {
        self.services
            .iter()
            .find(|(r, _)| r == role)
            .map(|(_, i)| *i)
    }
}

/// A zone's gateway: the first address of its subnet.
pub fn gateway(base: Ipv4Addr) -> Ipv4Addr {
    Ipv4Addr::from(u32::from(base) + 1)
}

/// Expands `{n4}` (four digits), `{h6}` (the MAC's last six hex digits) and `{role}`.
fn expand(pattern: &str, ordinal: u32, mac: &MacAddr, role: Option<&str>) -> String {
    let m = mac.0;
    pattern
        .replace("{n4}", &format!("{:04}", ordinal % 10_000))
        .replace("{h6}", &format!("{:02X}{:02X}{:02X}", m[3], m[4], m[5]))
        .replace("{role}", role.unwrap_or("host"))
}
