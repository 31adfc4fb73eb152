//! Link-layer decoding: from a frame of any supported link type to an EtherType and payload.
//!
//! Link types handled: Ethernet (1) with 802.1Q / 802.1ad / QinQ tags and 802.3 LLC/SNAP,
//! BSD loopback NULL (0) and LOOP (108), raw IP (101, 228, 229), Linux cooked SLL (113) and
//! SLL2 (276), plain 802.11 (105) and 802.11 with radiotap (127). Anything else is counted as
//! unsupported by link type number.

use capture::LinkType;
use model::MacAddr;
use wire::Malformed;

/// EtherTypes of the tags we strip (IEEE 802.1Q C-tag, 802.1ad S-tag, pre-standard QinQ).
const ETHERTYPE_VLAN: u16 = 0x8100;
const ETHERTYPE_QINQ: u16 = 0x88a8;
const ETHERTYPE_QINQ_LEGACY: u16 = 0x9100;
pub(crate) const ETHERTYPE_IPV4: u16 = 0x0800;
pub(crate) const ETHERTYPE_IPV6: u16 = 0x86dd;
pub(crate) const ETHERTYPE_ARP: u16 = 0x0806;
/// Stand-in EtherType for 802.3 frames whose LLC is not SNAP (STP, NetBIOS, IPX, …): they are
/// link-layer conversations with no EtherType of their own. 0x0000 is never a real EtherType.
pub(crate) const ETHERTYPE_LLC: u16 = 0x0000;

/// PPPoE session stage (RFC 2516 §4) and MPLS unicast (RFC 3032).
const ETHERTYPE_PPPOE_SESSION: u16 = 0x8864;
const ETHERTYPE_MPLS: u16 = 0x8847;
/// LLDP (IEEE 802.1AB §9.3.3).
pub(crate) const ETHERTYPE_LLDP: u16 = 0x88cc;
/// CDP has no EtherType: it rides 802.3 LLC/SNAP with OUI 00-00-0C, protocol id 0x2000, which
/// stands in for one here (a link-only conversation key and the discovery dispatch).
pub(crate) const ETHERTYPE_CDP: u16 = 0x2000;
/// MPLS labels followed before giving up (RFC 3032 sets no limit; real stacks are short).
const MAX_MPLS_LABELS: usize = 8;

/// VLAN tags followed before giving up (two are kept: outer and inner).
const MAX_VLAN_TAGS: usize = 4;

/// A decoded link layer.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Link<'a> {
    /// Link-layer source, when the link type carries one.
    pub src_mac: Option<MacAddr>,
    /// Link-layer destination, when the link type carries one (Ethernet, 802.11; not SLL,
    /// SLL2, which record one address, nor raw IP or loopback).
    pub dst_mac: Option<MacAddr>,
    /// Outer and inner VLAN ids (for one tag: outer `None`, inner the tag).
    pub vlans: [Option<u16>; 2],
    /// The payload's EtherType.
    pub ethertype: u16,
    /// The payload.
    pub payload: &'a [u8],
}

/// Why a link layer could not be decoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LinkError {
    /// Malformed, by reason.
    Malformed(Malformed),
    /// A link type we do not decode.
    UnsupportedLinkType(u32),
    /// An 802.11 frame that carries no data we decode (management, control, protected,
    /// null data, non-SNAP); these are counted but are not errors.
    Ieee80211NoData,
    /// A loopback header naming an address family that is neither IPv4 nor IPv6.
    UnsupportedLoopbackFamily,
}

impl From<Malformed> for LinkError {
    fn from(m: Malformed) -> Self {
        Self::Malformed(m)
    }
}

/// Decodes the link layer of `data` captured with `link_type`.
#[inline]
pub(crate) fn decode_link(link_type: LinkType, data: &[u8]) -> Result<Link<'_>, LinkError> {
    match link_type.0 {
        1 => ethernet(data),
        0 | 108 => loopback(link_type.0, data),
        101 => raw_ip(data),
        228 => Ok(no_l2(ETHERTYPE_IPV4, data)),
        229 => Ok(no_l2(ETHERTYPE_IPV6, data)),
        113 => {
            let p = wire::sll::Packet::new_checked(data)?;
            with_tags(p.mac(), None, p.protocol(), p.payload())
        }
        276 => {
            let p = wire::sll2::Packet::new_checked(data)?;
            with_tags(p.mac(), None, p.protocol(), p.payload())
        }
        105 => ieee80211(data, false),
        127 => {
            let p = wire::radiotap::Packet::new_checked(data)?;
            ieee80211(p.payload(), p.has_fcs())
        }
        other => Err(LinkError::UnsupportedLinkType(other)),
    }
}

fn no_l2(ethertype: u16, payload: &[u8]) -> Link<'_> {
    Link {
        src_mac: None,
        dst_mac: None,
        vlans: [None, None],
        ethertype,
        payload,
    }
}

#[inline]
fn ethernet(data: &[u8]) -> Result<Link<'_>, LinkError> {
    let eth = wire::ethernet::Packet::new_checked(data)?;
    with_tags(
        Some(eth.src_addr()),
        Some(eth.dst_addr()),
        eth.ethertype().0,
        eth.payload(),
    )
}

/// Strips VLAN tags and 802.3 LLC/SNAP after an EtherType field.
#[inline]
fn with_tags(
    src_mac: Option<MacAddr>,
    dst_mac: Option<MacAddr>,
    ethertype: u16,
    payload: &[u8],
) -> Result<Link<'_>, LinkError> {
    if matches!(ethertype, ETHERTYPE_IPV4 | ETHERTYPE_IPV6) {
        // The common case, untagged IP, inlined into the caller: no call, and the link
        // fields stay in registers.
        return Ok(Link {
            src_mac,
            dst_mac,
            vlans: [None, None],
            ethertype,
            payload,
        });
    }
    tags_and_encapsulations(src_mac, dst_mac, ethertype, payload)
}

/// [`with_tags`] for everything but untagged IP: VLAN tags, PPPoE, MPLS, LLC/SNAP.
#[inline(never)]
fn tags_and_encapsulations(
    src_mac: Option<MacAddr>,
    dst_mac: Option<MacAddr>,
    mut ethertype: u16,
    mut payload: &[u8],
) -> Result<Link<'_>, LinkError> {
    let mut vlans = [None, None];
    let mut tags = 0;
    while matches!(
        ethertype,
        ETHERTYPE_VLAN | ETHERTYPE_QINQ | ETHERTYPE_QINQ_LEGACY
    ) {
        if tags == MAX_VLAN_TAGS {
            return Err(Malformed::VlanTooManyTags.into());
        }
        let tag = wire::vlan::Packet::new_checked(payload)?;
        // Keep the outermost and the innermost tag: the inner one is the zone.
        let id = Some(tag.vlan_id());
        if tags == 0 {
            vlans[1] = id;
        } else {
            vlans[0] = vlans[0].or(vlans[1]);
            vlans[1] = id;
        }
        tags += 1;
        ethertype = tag.ethertype().0;
        payload = tag.payload();
    }
    match ethertype {
        ETHERTYPE_PPPOE_SESSION => (ethertype, payload) = pppoe_session(payload)?,
        ETHERTYPE_MPLS => (ethertype, payload) = mpls(payload)?,
        _ => {}
    }
    if ethertype < 0x0600 {
        // IEEE 802.3 length field: an LLC header follows (IEEE 802.2). RFC 1042 SNAP
        // (AA AA 03 + OUI 00 00 00) carries an EtherType. The length bounds the LLC data:
        // padding to the 60-byte minimum and a captured FCS are not part of it.
        payload = payload.get(..usize::from(ethertype)).unwrap_or(payload);
        match payload {
            [0xaa, 0xaa, 0x03, 0, 0, 0, hi, lo, rest @ ..] => {
                ethertype = u16::from_be_bytes([*hi, *lo]);
                payload = rest;
            }
            // SNAP with Cisco's OUI 00-00-0C and protocol id 0x2000: CDP.
            [0xaa, 0xaa, 0x03, 0, 0, 0x0c, 0x20, 0x00, rest @ ..] => {
                ethertype = ETHERTYPE_CDP;
                payload = rest;
            }
            [_, _, _, ..] => ethertype = ETHERTYPE_LLC,
            _ => return Err(Malformed::LlcTruncated.into()),
        }
    }
    Ok(Link {
        src_mac,
        dst_mac,
        vlans,
        ethertype,
        payload,
    })
}

/// PPPoE session header (6 bytes: ver/type, code, session id, length) then the PPP protocol
/// (RFC 1661 §2: 0x0021 IPv4, 0x0057 IPv6). Other PPP protocols (LCP, IPCP, …) stay
/// link-layer conversations under the PPPoE EtherType.
fn pppoe_session(payload: &[u8]) -> Result<(u16, &[u8]), LinkError> {
    let Some(([_, _, _, _, _, _, hi, lo], rest)) = payload.split_first_chunk::<8>() else {
        return Err(Malformed::PppoeTruncated.into());
    };
    Ok(match u16::from_be_bytes([*hi, *lo]) {
        0x0021 => (ETHERTYPE_IPV4, rest),
        0x0057 => (ETHERTYPE_IPV6, rest),
        _ => (ETHERTYPE_PPPOE_SESSION, payload),
    })
}

/// MPLS label stack entries (4 bytes; bit 8 of byte 2 marks the bottom of the stack); the
/// payload's IP version nibble says what follows (RFC 3032 §2.2 leaves it implicit).
fn mpls(mut payload: &[u8]) -> Result<(u16, &[u8]), LinkError> {
    for _ in 0..MAX_MPLS_LABELS {
        let Some((entry, rest)) = payload.split_first_chunk::<4>() else {
            return Err(Malformed::MplsTruncated.into());
        };
        payload = rest;
        if entry[2] & 0x01 != 0 {
            return Ok(match payload.first().map(|b| b >> 4) {
                Some(4) => (ETHERTYPE_IPV4, payload),
                Some(6) => (ETHERTYPE_IPV6, payload),
                _ => (ETHERTYPE_MPLS, payload),
            });
        }
    }
    Err(Malformed::MplsTooManyLabels.into())
}

/// BSD loopback: a 4-byte address family, host byte order for NULL (0), network order for
/// LOOP (108). IPv6 has several values (24, 28, 30) depending on the BSD.
fn loopback(link_type: u32, data: &[u8]) -> Result<Link<'_>, LinkError> {
    let Some((head, payload)) = data.split_first_chunk::<4>() else {
        return Err(Malformed::LoopbackTruncated.into());
    };
    let family = if link_type == 108 {
        u32::from_be_bytes(*head)
    } else {
        // Host order of the capturing machine: whichever reading is small is right.
        let le = u32::from_le_bytes(*head);
        if le < 0x10000 {
            le
        } else {
            u32::from_be_bytes(*head)
        }
    };
    match family {
        2 => Ok(no_l2(ETHERTYPE_IPV4, payload)),
        24 | 28 | 30 => Ok(no_l2(ETHERTYPE_IPV6, payload)),
        _ => Err(LinkError::UnsupportedLoopbackFamily),
    }
}

/// LINKTYPE_RAW: the IP version nibble says which.
fn raw_ip(data: &[u8]) -> Result<Link<'_>, LinkError> {
    match data.first().map(|b| b >> 4) {
        Some(4) => Ok(no_l2(ETHERTYPE_IPV4, data)),
        Some(6) => Ok(no_l2(ETHERTYPE_IPV6, data)),
        Some(_) => Err(Malformed::Ipv4BadVersion.into()),
        None => Err(Malformed::Ipv4Truncated.into()),
    }
}

fn ieee80211(frame: &[u8], has_fcs: bool) -> Result<Link<'_>, LinkError> {
    match wire::ieee80211::data_frame(frame, has_fcs)? {
        Some(df) => with_tags(
            Some(df.source),
            Some(df.destination),
            df.ethertype,
            df.payload,
        ),
        None => Err(LinkError::Ieee80211NoData),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ethernet_with_qinq_keeps_outer_and_inner() {
        let mut f = vec![0u8; 12];
        f[6..12].copy_from_slice(&[0, 0x1b, 0x6f, 1, 2, 3]);
        f.extend_from_slice(&[0x88, 0xa8, 0x00, 0x64]); // S-tag 100
        f.extend_from_slice(&[0x81, 0x00, 0x00, 0x14]); // C-tag 20
        f.extend_from_slice(&[0x08, 0x00, 0x45]);
        let link = decode_link(LinkType(1), &f).unwrap();
        assert_eq!(link.vlans, [Some(100), Some(20)]);
        assert_eq!(link.ethertype, ETHERTYPE_IPV4);
        assert_eq!(link.payload, &[0x45]);
        assert_eq!(link.src_mac.unwrap().to_string(), "00:1b:6f:01:02:03");
    }

    #[test]
    fn too_many_tags_is_malformed() {
        let mut f = vec![0u8; 12];
        for _ in 0..6 {
            f.extend_from_slice(&[0x81, 0x00, 0x00, 0x01]);
        }
        f.extend_from_slice(&[0x81, 0x00]);
        assert_eq!(
            decode_link(LinkType(1), &f).unwrap_err(),
            LinkError::Malformed(Malformed::VlanTooManyTags)
        );
    }

    #[test]
    fn llc_snap_and_plain_llc() {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x00, 0x30, 0xaa, 0xaa, 0x03, 0, 0, 0, 0x08, 0x06, 1]);
        assert_eq!(
            decode_link(LinkType(1), &f).unwrap().ethertype,
            ETHERTYPE_ARP
        );
        let mut stp = vec![0u8; 12];
        stp.extend_from_slice(&[0x00, 0x26, 0x42, 0x42, 0x03, 0, 0]);
        assert_eq!(
            decode_link(LinkType(1), &stp).unwrap().ethertype,
            ETHERTYPE_LLC
        );
    }

    #[test]
    fn cdp_snap_payload_ends_at_the_802_3_length() {
        let mut f = vec![0u8; 12];
        // 802.3 length 12: SNAP header (8) with Cisco's OUI and PID 0x2000, then 4 CDP bytes;
        // then Ethernet padding and an FCS that are not CDP.
        f.extend_from_slice(&[0x00, 0x0c, 0xaa, 0xaa, 0x03, 0x00, 0x00, 0x0c, 0x20, 0x00]);
        f.extend_from_slice(&[0x02, 0xb4, 0x12, 0x34]);
        f.extend_from_slice(&[0; 10]);
        let link = decode_link(LinkType(1), &f).unwrap();
        assert_eq!(link.ethertype, ETHERTYPE_CDP);
        assert_eq!(link.payload, &[0x02, 0xb4, 0x12, 0x34]);
    }

    #[test]
    fn pppoe_and_mpls_carry_ip() {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[
            0x88, 0x64, 0x11, 0x00, 0x00, 0x01, 0x00, 0x20, 0x00, 0x21, 0x45,
        ]);
        let link = decode_link(LinkType(1), &f).unwrap();
        assert_eq!(
            (link.ethertype, link.payload),
            (ETHERTYPE_IPV4, &[0x45][..])
        );
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x88, 0x47, 0, 0x01, 0x00, 0x40, 0, 0x02, 0x01, 0x40, 0x60]);
        let link = decode_link(LinkType(1), &f).unwrap();
        assert_eq!(
            (link.ethertype, link.payload),
            (ETHERTYPE_IPV6, &[0x60][..])
        );
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x88, 0x47, 0, 0x01]);
        assert_eq!(
            decode_link(LinkType(1), &f).unwrap_err(),
            LinkError::Malformed(Malformed::MplsTruncated)
        );
    }

    #[test]
    fn null_loopback_either_byte_order() {
        let le = [2, 0, 0, 0, 0x45];
        let be = [0, 0, 0, 2, 0x45];
        assert_eq!(
            decode_link(LinkType(0), &le).unwrap().ethertype,
            ETHERTYPE_IPV4
        );
        assert_eq!(
            decode_link(LinkType(0), &be).unwrap().ethertype,
            ETHERTYPE_IPV4
        );
        assert_eq!(
            decode_link(LinkType(108), &[0, 0, 0, 30, 0x60])
                .unwrap()
                .ethertype,
            ETHERTYPE_IPV6
        );
        assert!(decode_link(LinkType(0), &[2, 0]).is_err());
    }

    #[test]
    fn unknown_link_type_is_unsupported() {
        assert_eq!(
            decode_link(LinkType(147), &[1, 2, 3]).unwrap_err(),
            LinkError::UnsupportedLinkType(147)
        );
    }
}
