//! Tying listed assets to observed devices: by MAC, then host name, then IP address.
//!
//! A MAC is the strongest tie (it names one interface); a host name may be reused after a
//! device is replaced; an IP address moves with DHCP leases, so it counts last and only for
//! the device that held it most recently. Each device is tied to at most one asset and each
//! asset to at most one device; the stronger reason wins, and among equals the earlier asset
//! (by tag) and the most recently seen device, so the result is the same in any input order.

use std::collections::HashMap;
use std::net::IpAddr;

use model::{Asset, AssetMatchReason, Device, DeviceId, MacAddr, Timestamp};

/// What matching needs to know of an observed device.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DeviceKeys {
    /// Its id.
    pub id: DeviceId,
    /// Its MACs.
    pub macs: Vec<MacAddr>,
    /// Host names it used.
    pub hostnames: Vec<String>,
    /// Addresses it held, with the last time it held each.
    pub ips: Vec<(IpAddr, Timestamp)>,
    /// Last packet time.
    pub last_seen: Timestamp,
}

impl DeviceKeys {
    /// The keys of a device of this analysis.
    pub fn of(device: &Device) -> Self {
        Self {
            id: device.id.clone(),
            macs: device.macs.clone(),
            hostnames: device.hostnames.iter().map(|h| h.name.clone()).collect(),
            ips: device.ips.iter().map(|s| (s.addr, s.last_seen)).collect(),
            last_seen: device.last_seen,
        }
    }

    /// Adds what `other` (the same device, seen again) knows.
    pub fn absorb(&mut self, other: Self) {
        for m in other.macs {
            if !self.macs.contains(&m) {
                self.macs.push(m);
            }
        }
        for h in other.hostnames {
            if !self.hostnames.contains(&h) {
                self.hostnames.push(h);
            }
        }
        for (ip, t) in other.ips {
            match self.ips.iter_mut().find(|(a, _)| *a == ip) {
                Some((_, last)) => *last = (*last).max(t),
                None => self.ips.push((ip, t)),
            }
        }
        self.last_seen = self.last_seen.max(other.last_seen);
    }
}

/// A host name as compared: its first label, lower case (`ICU-PUMP-0417.ward3.example.org`
/// and `icu-pump-0417` are one name).
pub fn host_key(name: &str) -> String {
    name.trim()
        .trim_end_matches('.')
        .split('.')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// For each asset (same order as `assets`), the device it is and why, or `None`.
/// Placeholder devices (`asset-…`) are never candidates.
pub fn match_assets(
    assets: &[Asset],
    devices: &[DeviceKeys],
) -> Vec<Option<(DeviceId, AssetMatchReason)>> {
    // Candidate ties: (reason, asset index, device index), best first.
    let mut by_mac: HashMap<MacAddr, Vec<usize>> = HashMap::new();
    let mut by_host: HashMap<String, Vec<usize>> = HashMap::new();
    let mut by_ip: HashMap<IpAddr, Vec<(Timestamp, usize)>> = HashMap::new();
    for (di, d) in devices.iter().enumerate() {
        if d.id.0.starts_with(Asset::PLACEHOLDER_PREFIX) {
            continue;
        }
        for m in &d.macs {
            by_mac.entry(*m).or_default().push(di);
        }
        for h in &d.hostnames {
            let k = host_key(h);
            if !k.is_empty() {
                by_host.entry(k).or_default().push(di);
            }
        }
        for &(ip, t) in &d.ips {
            by_ip.entry(ip).or_default().push((t, di));
        }
    }
    // Most recently seen first; then id, for a fixed order.
    let recent = |a: &usize, b: &usize| {
        devices[*b]
            .last_seen
            .cmp(&devices[*a].last_seen)
            .then_with(|| devices[*a].id.cmp(&devices[*b].id))
    };
    let mut order: Vec<usize> = (0..assets.len()).collect();
    order.sort_by(|&a, &b| assets[a].tag.cmp(&assets[b].tag));

    let mut result: Vec<Option<(DeviceId, AssetMatchReason)>> = vec![None; assets.len()];
    let mut taken = vec![false; devices.len()];
    for reason in [
        AssetMatchReason::Mac,
        AssetMatchReason::Hostname,
        AssetMatchReason::Ip,
    ] {
        for &ai in &order {
            if result[ai].is_some() {
                continue;
            }
            let asset = &assets[ai];
            let mut candidates: Vec<usize> = match reason {
                AssetMatchReason::Mac => asset
                    .macs
                    .iter()
                    .filter_map(|m| by_mac.get(m))
                    .flatten()
                    .copied()
                    .collect(),
                AssetMatchReason::Hostname => asset
                    .hostname
                    .as_deref()
                    .map(host_key)
                    .and_then(|k| by_host.get(&k))
                    .cloned()
                    .unwrap_or_default(),
                AssetMatchReason::Ip => asset
                    .ips
                    .iter()
                    .filter_map(|ip| {
                        // Only the device that held the address last: an older holder has
                        // since moved on.
                        by_ip.get(ip).and_then(|holders| {
                            holders
                                .iter()
                                .max_by(|a, b| {
                                    a.0.cmp(&b.0)
                                        .then_with(|| devices[b.1].id.cmp(&devices[a.1].id))
                                })
                                .map(|&(_, di)| di)
                        })
                    })
                    .collect(),
            };
            candidates.sort_by(recent);
            if let Some(&di) = candidates.iter().find(|&&di| !taken[di]) {
                taken[di] = true;
                result[ai] = Some((devices[di].id.clone(), reason));
            }
        }
    }
    result
}

/// Extends `matches` (from [`match_assets`]) to the devices that are another view of a
/// matched device: an `ip-…` device (a host seen only through a router) whose address a
/// matched device holds is the same host seen from another segment, so it is the same
/// asset (reason [`AssetMatchReason::Ip`]). Returns (device index, asset index, reason) for
/// every device of `devices` that is a listed asset.
pub fn tie_devices(
    matches: &[Option<(DeviceId, AssetMatchReason)>],
    devices: &[DeviceKeys],
) -> Vec<(usize, usize, AssetMatchReason)> {
    let mut asset_of: HashMap<&DeviceId, (usize, AssetMatchReason)> = HashMap::new();
    for (ai, m) in matches.iter().enumerate() {
        if let Some((d, r)) = m {
            asset_of.insert(d, (ai, *r));
        }
    }
    let mut by_ip: HashMap<IpAddr, usize> = HashMap::new();
    for d in devices {
        if let Some(&(ai, _)) = asset_of.get(&d.id) {
            for (ip, _) in &d.ips {
                by_ip.entry(*ip).or_insert(ai);
            }
        }
    }
    let mut out = Vec::new();
    for (di, d) in devices.iter().enumerate() {
        if let Some(&(ai, r)) = asset_of.get(&d.id) {
            out.push((di, ai, r));
        } else if d.macs.is_empty()
            && let Some(&ai) = d.ips.iter().find_map(|(ip, _)| by_ip.get(ip))
        {
            out.push((di, ai, AssetMatchReason::Ip));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mac(last: u8) -> MacAddr {
        MacAddr([0, 0x1b, 0x6f, 0, 0, last])
    }

    fn device(id: &str, macs: &[MacAddr], host: &[&str], ips: &[(&str, i64)]) -> DeviceKeys {
        DeviceKeys {
            id: DeviceId(id.into()),
            macs: macs.to_vec(),
            hostnames: host.iter().map(|h| (*h).to_string()).collect(),
            ips: ips
                .iter()
                .map(|(a, t)| (a.parse().unwrap(), Timestamp::from_parts(*t, 0)))
                .collect(),
            last_seen: Timestamp::from_parts(ips.iter().map(|i| i.1).max().unwrap_or(0), 0),
        }
    }

    fn asset(tag: &str, macs: &[MacAddr], host: Option<&str>, ips: &[&str]) -> Asset {
        Asset {
            tag: tag.into(),
            macs: macs.to_vec(),
            hostname: host.map(Into::into),
            ips: ips.iter().map(|a| a.parse().unwrap()).collect(),
            ..Asset::default()
        }
    }

    #[test]
    fn mac_then_hostname_then_the_latest_holder_of_an_ip() {
        let devices = [
            device("mac-a", &[mac(1)], &["pump-1"], &[("10.0.0.1", 5)]),
            device(
                "mac-b",
                &[mac(2)],
                &["PUMP-2.ward.example"],
                &[("10.0.0.2", 5)],
            ),
            // Held 10.0.0.3 first; mac-d holds it now.
            device("mac-c", &[mac(3)], &[], &[("10.0.0.3", 1)]),
            device("mac-d", &[mac(4)], &[], &[("10.0.0.3", 9)]),
            device("asset-X", &[mac(9)], &[], &[]),
        ];
        let assets = [
            asset("A", &[mac(1)], Some("pump-2"), &[]),
            asset("B", &[], Some("pump-2"), &[]),
            asset("C", &[], None, &["10.0.0.3"]),
            asset("D", &[mac(9)], None, &[]),
            asset("E", &[], None, &["10.9.9.9"]),
        ];
        let got: Vec<_> = match_assets(&assets, &devices)
            .into_iter()
            .map(|m| m.map(|(id, r)| format!("{id}:{}", r.as_str())))
            .collect();
        assert_eq!(
            got,
            [
                Some("mac-a:mac".to_string()),
                Some("mac-b:hostname".to_string()),
                Some("mac-d:ip".to_string()),
                None,
                None
            ]
        );
    }

    #[test]
    fn a_host_seen_through_a_router_is_the_asset_its_mac_device_is() {
        let devices = [
            device("mac-a", &[mac(1)], &[], &[("10.10.0.20", 5)]),
            device("ip-10.10.0.20", &[], &[], &[("10.10.0.20", 6)]),
            device("ip-10.10.0.99", &[], &[], &[("10.10.0.99", 6)]),
        ];
        let assets = [asset("A", &[mac(1)], None, &["10.10.0.20"])];
        let matches = match_assets(&assets, &devices);
        assert_eq!(matches[0].as_ref().unwrap().0.0, "mac-a");
        let ties = tie_devices(&matches, &devices);
        assert_eq!(
            ties,
            [(0, 0, AssetMatchReason::Mac), (1, 0, AssetMatchReason::Ip)]
        );
    }

    #[test]
    fn a_device_ties_to_one_asset_and_the_stronger_reason_wins() {
        let devices = [device("mac-a", &[mac(1)], &["pump-1"], &[("10.0.0.1", 5)])];
        // Z ties by MAC, A only by IP: Z wins although A sorts first.
        let assets = [
            asset("A", &[], None, &["10.0.0.1"]),
            asset("Z", &[mac(1)], None, &[]),
        ];
        let got = match_assets(&assets, &devices);
        assert_eq!(got[0], None);
        assert_eq!(got[1].as_ref().map(|m| m.1), Some(AssetMatchReason::Mac));
        // Order of the inputs does not matter.
        let mut rev = assets.clone();
        rev.reverse();
        let got_rev = match_assets(&rev, &devices);
        assert_eq!(got_rev[0], got[1]);
    }
}
