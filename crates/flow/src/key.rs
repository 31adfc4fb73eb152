//! Flow keys: a canonical, fixed-size, hashable form of the 5-tuple plus VLAN.

use std::net::{IpAddr, Ipv6Addr};

use model::{MacAddr, Transport};

/// Which way a packet travels relative to the flow key's canonical address order (lower
/// endpoint first). This is key order, not traffic direction: which side is the client is
/// [`model::Side`], decided per flow by the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyDirection {
    /// From the key's first endpoint to its second.
    Forward = 0,
    /// From the second endpoint to the first.
    Reverse = 1,
}

impl KeyDirection {
    /// The other direction.
    pub const fn flip(self) -> Self {
        match self {
            Self::Forward => Self::Reverse,
            Self::Reverse => Self::Forward,
        }
    }

    /// 0 for forward, 1 for reverse: an index into per-direction arrays.
    pub const fn index(self) -> usize {
        self as usize
    }
}

/// An endpoint address in a key: IPv4 (as IPv4-mapped IPv6), IPv6, or a MAC for link-only
/// conversations. Held as one 128-bit integer (network byte order read big-endian) so that
/// comparing, ordering and hashing keys — done for every packet — are integer operations,
/// not byte-slice compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FlowAddr {
    bits: u128,
}

impl FlowAddr {
    /// An IPv4 address.
    #[inline]
    pub fn v4(addr: [u8; 4]) -> Self {
        Self {
            bits: 0xffff_0000_0000 | u128::from(u32::from_be_bytes(addr)),
        }
    }

    /// An IPv6 address.
    #[inline]
    pub fn v6(addr: [u8; 16]) -> Self {
        Self {
            bits: u128::from_be_bytes(addr),
        }
    }

    /// A MAC address (link-only conversations).
    #[inline]
    pub fn mac(mac: MacAddr) -> Self {
        Self {
            bits: u128::from(mac.to_u64()) << 80,
        }
    }

    /// The address as an IP address (IPv4-mapped addresses come back as IPv4).
    pub fn ip(&self) -> IpAddr {
        let v6 = Ipv6Addr::from(self.bits);
        match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => IpAddr::V6(v6),
        }
    }

    /// The address as a MAC (first six bytes), for link-only keys.
    pub fn as_mac(&self) -> MacAddr {
        let b = self.bits.to_be_bytes();
        MacAddr([b[0], b[1], b[2], b[3], b[4], b[5]])
    }

    /// From a std address.
    pub fn from_ip(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => Self::v4(v4.octets()),
            IpAddr::V6(v6) => Self::v6(v6.octets()),
        }
    }
}

/// The canonical key of a bidirectional flow: endpoints sorted so both directions of a
/// conversation map to the same key. VLAN tags are part of the key: the same 5-tuple on two
/// VLANs is two flows (zones are VLANs).
#[derive(Debug, Clone, Copy)]
pub struct FlowKey {
    /// Lower endpoint address.
    pub addr_a: FlowAddr,
    /// Higher endpoint address.
    pub addr_b: FlowAddr,
    /// Port of endpoint a (0 when the transport has none).
    pub port_a: u16,
    /// Port of endpoint b.
    pub port_b: u16,
    /// Outer and inner VLAN ids packed as `outer << 16 | inner`, `0xffff` for an absent tag.
    pub vlans: u32,
    /// Transport.
    pub transport: Transport,
}

/// Compared field by field, inlined: every packet compares its key with the previous
/// packet's and with the index's candidate, and the transport is compared as one integer
/// rather than as an enum (discriminant, then payload).
impl PartialEq for FlowKey {
    #[inline(always)]
    fn eq(&self, other: &Self) -> bool {
        self.addr_a == other.addr_a
            && self.addr_b == other.addr_b
            && self.port_a == other.port_a
            && self.port_b == other.port_b
            && self.vlans == other.vlans
            && transport_code(self.transport) == transport_code(other.transport)
    }
}

impl Eq for FlowKey {}

/// A transport as one integer: the IP protocol number, or `0x1_0000 | EtherType`.
#[inline(always)]
fn transport_code(t: Transport) -> u32 {
    match t {
        Transport::Ip(p) => u32::from(p),
        Transport::Link(e) => 0x1_0000 | u32::from(e),
    }
}

impl FlowKey {
    #[inline]
    fn ports_and_vlans(&self) -> u64 {
        u64::from(self.port_a) << 48 | u64::from(self.port_b) << 32 | u64::from(self.vlans)
    }
}

/// Hashed as three words instead of field by field: the derived impl feeds each array with a
/// length prefix, one hasher round per field, on the per-packet path.
impl std::hash::Hash for FlowKey {
    #[inline]
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        let transport = u64::from(transport_code(self.transport));
        state.write_u128(self.addr_a.bits);
        state.write_u128(self.addr_b.bits);
        state.write_u64(self.ports_and_vlans() ^ (transport << 17));
    }
}

/// Packs up to two VLAN ids (outer first) for [`FlowKey::vlans`].
#[inline]
pub fn pack_vlans(outer: Option<u16>, inner: Option<u16>) -> u32 {
    (u32::from(outer.unwrap_or(0xffff)) << 16) | u32::from(inner.unwrap_or(0xffff))
}

impl FlowKey {
    /// Builds the canonical key of a packet from `src` to `dst` and tells which direction
    /// the packet travels in relative to that key.
    #[inline]
    pub fn new(
        transport: Transport,
        vlans: u32,
        src: FlowAddr,
        src_port: u16,
        dst: FlowAddr,
        dst_port: u16,
    ) -> (Self, KeyDirection) {
        if (src, src_port) <= (dst, dst_port) {
            let key = Self {
                addr_a: src,
                addr_b: dst,
                port_a: src_port,
                port_b: dst_port,
                vlans,
                transport,
            };
            (key, KeyDirection::Forward)
        } else {
            let key = Self {
                addr_a: dst,
                addr_b: src,
                port_a: dst_port,
                port_b: src_port,
                vlans,
                transport,
            };
            (key, KeyDirection::Reverse)
        }
    }

    /// The innermost VLAN id, if the key has one.
    pub fn inner_vlan(&self) -> Option<u16> {
        let inner = (self.vlans & 0xffff) as u16;
        let outer = (self.vlans >> 16) as u16;
        if inner != 0xffff {
            Some(inner)
        } else if outer != 0xffff {
            Some(outer)
        } else {
            None
        }
    }

    /// The sending endpoint (address, port) of a packet travelling in `dir`.
    pub fn source(&self, dir: KeyDirection) -> (FlowAddr, u16) {
        match dir {
            KeyDirection::Forward => (self.addr_a, self.port_a),
            KeyDirection::Reverse => (self.addr_b, self.port_b),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_directions_share_one_key() {
        let a = FlowAddr::v4([10, 0, 0, 1]);
        let b = FlowAddr::v4([10, 0, 0, 2]);
        let (k1, d1) = FlowKey::new(Transport::TCP, pack_vlans(None, None), a, 40000, b, 80);
        let (k2, d2) = FlowKey::new(Transport::TCP, pack_vlans(None, None), b, 80, a, 40000);
        assert_eq!(k1, k2);
        assert_ne!(d1, d2);
        assert_eq!(k1.source(d1), (a, 40000));
        assert_eq!(k2.source(d2), (b, 80));
    }

    #[test]
    fn vlan_is_part_of_the_key() {
        let a = FlowAddr::v4([10, 0, 0, 1]);
        let b = FlowAddr::v4([10, 0, 0, 2]);
        let (k1, _) = FlowKey::new(Transport::UDP, pack_vlans(None, Some(10)), a, 1, b, 2);
        let (k2, _) = FlowKey::new(Transport::UDP, pack_vlans(None, Some(20)), a, 1, b, 2);
        assert_ne!(k1, k2);
        assert_eq!(k1.inner_vlan(), Some(10));
        let (k3, _) = FlowKey::new(Transport::UDP, pack_vlans(Some(100), Some(20)), a, 1, b, 2);
        assert_eq!(k3.inner_vlan(), Some(20));
    }

    #[test]
    fn addresses_round_trip() {
        let v4: IpAddr = "192.0.2.7".parse().unwrap();
        let v6: IpAddr = "2001:db8::7".parse().unwrap();
        assert_eq!(FlowAddr::from_ip(v4).ip(), v4);
        assert_eq!(FlowAddr::from_ip(v6).ip(), v6);
        let mac: MacAddr = "00:1b:6f:0a:0b:0c".parse().unwrap();
        assert_eq!(FlowAddr::mac(mac).as_mac(), mac);
    }
}
