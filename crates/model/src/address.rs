//! Link-layer addresses and address classification helpers.

use std::fmt;
use std::net::IpAddr;

/// An IEEE 802 48-bit MAC address (EUI-48).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct MacAddr(pub [u8; 6]);

impl MacAddr {
    /// The broadcast address ff:ff:ff:ff:ff:ff.
    pub const BROADCAST: Self = Self([0xff; 6]);
    /// The all-zero address, used by ARP probes and some malformed frames.
    pub const ZERO: Self = Self([0; 6]);

    /// Builds an address from the first six bytes of `bytes`, if there are six.
    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        bytes.get(..6)?.try_into().ok().map(Self)
    }

    /// Group bit (I/G, IEEE 802-2014 §8.2): multicast and broadcast addresses.
    pub const fn is_multicast(&self) -> bool {
        self.0[0] & 0x01 != 0
    }

    /// Locally administered bit (U/L, IEEE 802-2014 §8.2): randomised MACs (Android, iOS,
    /// Windows "random hardware addresses") set it, so its OUI names no vendor.
    pub const fn is_locally_administered(&self) -> bool {
        self.0[0] & 0x02 != 0
    }

    /// A unicast address that can name one station (not group, not all-zero).
    pub fn is_station(&self) -> bool {
        !self.is_multicast() && *self != Self::ZERO
    }

    /// The 24-bit Organizationally Unique Identifier (first three bytes).
    pub const fn oui(&self) -> u32 {
        ((self.0[0] as u32) << 16) | ((self.0[1] as u32) << 8) | self.0[2] as u32
    }

    /// The address as a 48-bit integer, most significant byte first.
    pub const fn to_u64(&self) -> u64 {
        let b = self.0;
        ((b[0] as u64) << 40)
            | ((b[1] as u64) << 32)
            | ((b[2] as u64) << 24)
            | ((b[3] as u64) << 16)
            | ((b[4] as u64) << 8)
            | b[5] as u64
    }

    /// Appends the twelve lowercase hex digits, without separators, to `out` (device ids
    /// are built for every endpoint of a capture: no formatting machinery).
    pub fn push_hex(&self, out: &mut String) {
        for b in self.0 {
            out.extend(hex_pair(b).map(char::from));
        }
    }
}

/// The two lowercase hex digits of `b`.
const fn hex_pair(b: u8) -> [u8; 2] {
    [
        HEX_DIGITS[(b >> 4) as usize],
        HEX_DIGITS[(b & 0xf) as usize],
    ]
}

const HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

impl fmt::Display for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = [b':'; 17];
        for (i, b) in self.0.into_iter().enumerate() {
            text[3 * i..3 * i + 2].copy_from_slice(&hex_pair(b));
        }
        // Only ASCII hex digits and colons were written.
        f.write_str(std::str::from_utf8(&text).map_err(|_| fmt::Error)?)
    }
}

impl fmt::Debug for MacAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(self, f)
    }
}

impl std::str::FromStr for MacAddr {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut out = [0u8; 6];
        let mut parts = s.split([':', '-']);
        for byte in &mut out {
            let part = parts
                .next()
                .ok_or_else(|| format!("not a MAC address: {s}"))?;
            *byte = u8::from_str_radix(part, 16).map_err(|_| format!("not a MAC address: {s}"))?;
        }
        if parts.next().is_some() {
            return Err(format!("not a MAC address: {s}"));
        }
        Ok(Self(out))
    }
}

impl serde::Serialize for MacAddr {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for MacAddr {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// True for an address one station can hold: not unspecified, broadcast, multicast or
/// loopback (a group is no peer, and no device).
pub fn ip_is_unicast(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            !(v4.is_unspecified() || v4.is_broadcast() || v4.is_multicast() || v4.is_loopback())
        }
        IpAddr::V6(v6) => !(v6.is_unspecified() || v6.is_multicast() || v6.is_loopback()),
    }
}

/// True for addresses that belong to a local network rather than the internet: RFC 1918
/// private, RFC 6598 shared, link-local (RFC 3927 / RFC 4291 §2.5.6), IPv6 ULA (RFC 4193).
/// Loopback, unspecified and multicast are never device addresses and return false.
pub fn ip_is_local(ip: &IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_private() || v4.is_link_local() || (o[0] == 100 && (o[1] & 0xc0) == 64)
        }
        IpAddr::V6(v6) => {
            let seg0 = v6.segments()[0];
            (seg0 & 0xffc0) == 0xfe80 || (seg0 & 0xfe00) == 0xfc00
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classifies_group_and_local_bits() {
        let m: MacAddr = "02:00:5e:10:00:01".parse().unwrap();
        assert!(m.is_locally_administered());
        assert!(!m.is_multicast());
        assert!(MacAddr::BROADCAST.is_multicast());
        assert!(!MacAddr::ZERO.is_station());
        let mut hex = String::from("mac-");
        m.push_hex(&mut hex);
        assert_eq!(hex, "mac-02005e100001");
        assert_eq!(m.to_string(), "02:00:5e:10:00:01");
        assert_eq!(m.oui(), 0x02005e);
    }

    #[test]
    fn rejects_short_and_long_mac_text() {
        assert!("00:11:22:33:44".parse::<MacAddr>().is_err());
        assert!("00:11:22:33:44:55:66".parse::<MacAddr>().is_err());
        assert!("00:11:22:33:44:zz".parse::<MacAddr>().is_err());
    }

    #[test]
    fn local_addresses() {
        assert!(ip_is_local(&"10.1.2.3".parse().unwrap()));
        assert!(ip_is_local(&"169.254.1.1".parse().unwrap()));
        assert!(ip_is_local(&"fe80::1".parse().unwrap()));
        assert!(ip_is_local(&"fd00::1".parse().unwrap()));
        assert!(!ip_is_local(&"8.8.8.8".parse().unwrap()));
        assert!(!ip_is_local(&"2001:db8::1".parse().unwrap()));
    }
}
