//! The common case in one pass: an untagged Ethernet II frame carrying a whole, unfragmented
//! IPv4 packet — about three packets in four on the benchmark capture — and, inside it, a
//! well-formed TCP header. The general decoders (`decode`, `wire::ipv4`, `wire::tcp`) handle
//! every case and check each field where it is read; here the frame is checked once, up
//! front, and the fields are read from fixed offsets. Anything else — a VLAN tag, IPv6, a
//! fragment, a packet cut by the snap length, a bad header — returns `None` and takes the
//! general path, so the two agree by construction on what this accepts (checked frame by
//! frame over the corpus in the tests below).

use model::MacAddr;
use wire::ipv4::IpProtocol;

/// Ethernet II header (IEEE 802.3 §3.2.6): destination, source, EtherType.
const ETHERNET_LEN: usize = 14;
/// IPv4 header without options (RFC 791 §3.1).
const IPV4_MIN: usize = 20;
/// TCP header without options (RFC 9293 §3.1).
const TCP_MIN: usize = 20;

/// What the pipeline needs of an untagged Ethernet frame with a whole IPv4 packet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Ipv4<'a> {
    pub src_mac: MacAddr,
    pub src: [u8; 4],
    pub dst: [u8; 4],
    pub protocol: IpProtocol,
    pub ttl: u8,
    /// The IP payload: header options skipped, Ethernet padding cut at the total length.
    pub payload: &'a [u8],
}

/// A TCP header's fields, as the flow table takes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tcp<'a> {
    pub src_port: u16,
    pub dst_port: u16,
    pub seq: u32,
    pub ack: u32,
    /// The 12 flag bits, as `wire::tcp::Packet::flags`.
    pub flags: u16,
    pub payload: &'a [u8],
}

/// The frame's IPv4 packet when the frame is the common case, `None` otherwise (module docs).
#[inline(always)]
pub(crate) fn ethernet_ipv4(frame: &[u8]) -> Option<Ipv4<'_>> {
    let (eth, ip) = frame.split_first_chunk::<ETHERNET_LEN>()?;
    // EtherType 0x0800, IPv4 (RFC 894).
    if eth[12..14] != [0x08, 0x00] {
        return None;
    }
    let fixed = ip.first_chunk::<IPV4_MIN>()?;
    // Version 4; IHL in 32-bit words, at least 5.
    let header_len = usize::from(fixed[0] & 0x0f) * 4;
    let total_len = usize::from(u16::from_be_bytes([fixed[2], fixed[3]]));
    let fragment = u16::from_be_bytes([fixed[6], fixed[7]]) & 0x3fff;
    if fixed[0] >> 4 != 4
        || header_len < IPV4_MIN
        || total_len < header_len
        || total_len > ip.len()
        || fragment != 0
    {
        // Not IPv4, a bad header, a total length of 0 (segmentation offload) or past the
        // captured bytes, a fragment: the general path decides.
        return None;
    }
    Some(Ipv4 {
        src_mac: MacAddr([eth[6], eth[7], eth[8], eth[9], eth[10], eth[11]]),
        src: [fixed[12], fixed[13], fixed[14], fixed[15]],
        dst: [fixed[16], fixed[17], fixed[18], fixed[19]],
        protocol: IpProtocol(fixed[9]),
        ttl: fixed[8],
        payload: ip.get(header_len..total_len)?,
    })
}

/// The TCP header at the front of `segment` when it is well formed (at least 20 bytes, a data
/// offset from 5 words to the segment's end), `None` otherwise.
#[inline(always)]
pub(crate) fn tcp(segment: &[u8]) -> Option<Tcp<'_>> {
    let t = segment.first_chunk::<TCP_MIN>()?;
    let data_offset = usize::from(t[12] >> 4) * 4;
    if data_offset < TCP_MIN {
        return None;
    }
    Some(Tcp {
        src_port: u16::from_be_bytes([t[0], t[1]]),
        dst_port: u16::from_be_bytes([t[2], t[3]]),
        seq: u32::from_be_bytes([t[4], t[5], t[6], t[7]]),
        ack: u32::from_be_bytes([t[8], t[9], t[10], t[11]]),
        flags: u16::from_be_bytes([t[12], t[13]]) & 0x0fff,
        payload: segment.get(data_offset..)?,
    })
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use capture::{LinkType, PacketSource};

    use super::*;
    use crate::decode::{ETHERTYPE_IPV4, decode_link};

    /// What the general decoders make of an Ethernet frame, when it is the common case.
    fn general_ipv4(frame: &[u8]) -> Option<Ipv4<'_>> {
        // IPv4 right after the Ethernet header: not under a tag, MPLS, PPPoE or LLC/SNAP.
        if frame.get(12..14)? != [0x08, 0x00] {
            return None;
        }
        let link = decode_link(LinkType::ETHERNET, frame).ok()?;
        if link.ethertype != ETHERTYPE_IPV4 || link.vlans != [None, None] {
            return None;
        }
        let ip = wire::ipv4::Packet::new_checked_truncated(link.payload).ok()?;
        if ip.is_truncated() || ip.total_len() == 0 || ip.is_fragment() {
            return None;
        }
        Some(Ipv4 {
            src_mac: link.src_mac?,
            src: ip.src_addr().octets(),
            dst: ip.dst_addr().octets(),
            protocol: ip.protocol(),
            ttl: ip.ttl(),
            payload: ip.payload(),
        })
    }

    fn general_tcp(segment: &[u8]) -> Option<Tcp<'_>> {
        let tcp = wire::tcp::Packet::new_checked(segment).ok()?;
        Some(Tcp {
            src_port: tcp.src_port(),
            dst_port: tcp.dst_port(),
            seq: tcp.seq_number(),
            ack: tcp.ack_number(),
            flags: tcp.flags().0,
            payload: tcp.payload(),
        })
    }

    /// Counts frames that took the fast IPv4 path, and the TCP segments among them.
    fn check(frame: &[u8], accepted: &mut [u64; 2]) {
        let fast = ethernet_ipv4(frame);
        assert_eq!(fast, general_ipv4(frame), "frame {frame:02x?}");
        let Some(ip) = fast else {
            return;
        };
        accepted[0] += 1;
        if ip.protocol == IpProtocol::TCP {
            let fast = tcp(ip.payload);
            assert_eq!(fast, general_tcp(ip.payload), "frame {frame:02x?}");
            accepted[1] += u64::from(fast.is_some());
        }
    }

    /// Frame by frame over every Ethernet capture of the corpus, and over each frame cut
    /// short and with one header byte flipped: the fast path accepts exactly the frames the
    /// general decoders read as untagged, whole, unfragmented IPv4 TCP, with the same fields.
    #[test]
    fn agrees_with_the_general_decoders_on_the_corpus() {
        let corpus = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/corpus");
        let manifest = std::fs::read_to_string(corpus.join("MANIFEST.tsv"))
            .expect("the shared corpus beside the repository");
        let (mut frames, mut accepted) = (0u64, [0u64; 2]);
        for line in manifest.lines().skip(1) {
            let cols: Vec<&str> = line.split('\t').collect();
            if cols.get(6) != Some(&"1:ether") {
                continue;
            }
            let Ok(mut source) = capture::open(&corpus.join(cols[0])) else {
                continue;
            };
            while let Ok(Some(frame)) = source.next_frame() {
                let data = frame.data;
                frames += 1;
                check(data, &mut accepted);
                // Damaged copies, deterministically: cut at the TCP header, and a bit flipped
                // in each header byte in turn (one byte per frame, by frame number).
                check(&data[..data.len().min(14 + 20 + 10)], &mut accepted);
                let mut flipped = data.to_vec();
                let at = (frames as usize) % 54;
                if let Some(b) = flipped.get_mut(at) {
                    *b ^= 1 << (frames % 8);
                }
                check(&flipped, &mut accepted);
            }
        }
        assert!(frames > 100_000, "{frames} frames read");
        assert!(
            accepted[0] > frames / 2 && accepted[1] > frames / 4,
            "{accepted:?} of {frames} frames took the fast path (IPv4, then TCP)"
        );
    }

    #[test]
    fn declines_what_it_does_not_read() {
        // A minimal IPv4 TCP frame, then one change at a time.
        let mut frame = vec![0u8; 14 + 20 + 20];
        frame[12..14].copy_from_slice(&[0x08, 0x00]);
        frame[14] = 0x45;
        frame[16..18].copy_from_slice(&40u16.to_be_bytes());
        frame[23] = 6;
        frame[14 + 20 + 12] = 0x50;
        fn both(f: &[u8]) -> Option<Tcp<'_>> {
            ethernet_ipv4(f).and_then(|ip| tcp(ip.payload))
        }
        assert!(both(&frame).is_some());
        let declined = |edit: &dyn Fn(&mut Vec<u8>)| {
            let mut f = frame.clone();
            edit(&mut f);
            both(&f).is_none()
        };
        assert!(
            declined(&|f| f[12..14].copy_from_slice(&[0x81, 0x00])),
            "VLAN tag"
        );
        assert!(declined(&|f| f[14] = 0x65), "IPv6 version nibble");
        assert!(declined(&|f| f[14] = 0x44), "IHL below 5");
        assert!(
            declined(&|f| f[16..18].copy_from_slice(&0u16.to_be_bytes())),
            "length 0"
        );
        assert!(
            declined(&|f| f[16..18].copy_from_slice(&41u16.to_be_bytes())),
            "cut short"
        );
        assert!(declined(&|f| f[20] = 0x20), "more fragments");
        assert!(declined(&|f| f[21] = 0x01), "a later fragment");
        assert!(
            ethernet_ipv4(&{
                let mut f = frame.clone();
                f[23] = 17;
                f
            })
            .is_some_and(|ip| ip.protocol == IpProtocol::UDP)
        );
        assert!(
            declined(&|f| f[14 + 20 + 12] = 0x40),
            "TCP data offset below 5"
        );
        assert!(
            declined(&|f| f[14 + 20 + 12] = 0x60),
            "TCP header past the packet"
        );
        assert!(declined(&|f| f.truncate(14 + 19)), "IPv4 header cut");
    }
}
