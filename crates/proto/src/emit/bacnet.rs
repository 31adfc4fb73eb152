//! BACnet/IP datagrams (ASHRAE 135-2020): the BVLC header of Annex J.2, the NPDU header of
//! clause 6.2 and the unconfirmed Who-Is and I-Am services (clause 16.10) with the
//! application and context tags of clause 20.2. A building controller answers a Who-Is
//! (usually broadcast to port 47808) with an I-Am naming its device instance and vendor.
//!
//! A datagram is `BVLC (4 octets) | NPDU header (2 octets here: no routing) | APDU`; build
//! the APDU with [`who_is`] or [`IAm::emit`] and wrap it with [`datagram`].

/// The BACnet/IP UDP port 0xBAC0 (Annex J.1).
pub const PORT: u16 = 47808;

/// BVLC type octet of BACnet/IP (Annex J.2.1).
pub const BVLC_TYPE: u8 = 0x81;

/// BVLC functions that carry an NPDU from its originator (Annex J.2.1 Table J-1).
pub mod function {
    /// Original-Unicast-NPDU (Annex J.2.11): to one B/IP address.
    pub const ORIGINAL_UNICAST_NPDU: u8 = 0x0a;
    /// Original-Broadcast-NPDU (Annex J.2.12): to the local IP broadcast address.
    pub const ORIGINAL_BROADCAST_NPDU: u8 = 0x0b;
}

/// NPDU protocol version (clause 6.2.1).
pub const NPDU_VERSION: u8 = 0x01;

/// BACnetSegmentation values (clause 21) for [`IAm::segmentation`].
pub mod segmentation {
    /// segmented-both.
    pub const BOTH: u8 = 0;
    /// segmented-transmit.
    pub const TRANSMIT: u8 = 1;
    /// segmented-receive.
    pub const RECEIVE: u8 = 2;
    /// no-segmentation.
    pub const NONE: u8 = 3;
}

/// The device object type (clause 21 BACnetObjectType `device`).
pub const OBJECT_DEVICE: u16 = 8;
/// Largest object instance number (clause 20.2.14: 22 bits); `4194303` also means "any".
pub const MAX_INSTANCE: u32 = 0x003f_ffff;

/// APDU type Unconfirmed-Request (clause 20.1.3), in the high nibble.
const UNCONFIRMED_REQUEST: u8 = 0x10;
/// BACnetUnconfirmedServiceChoice (clause 21): i-Am and who-Is.
const SERVICE_I_AM: u8 = 0;
const SERVICE_WHO_IS: u8 = 8;

/// Application tag numbers (clause 20.2.1.4).
pub mod app_tag {
    /// Unsigned Integer.
    pub const UNSIGNED: u8 = 2;
    /// Character String.
    pub const CHARACTER_STRING: u8 = 7;
    /// Enumerated.
    pub const ENUMERATED: u8 = 9;
    /// BACnetObjectIdentifier.
    pub const OBJECT_IDENTIFIER: u8 = 12;
}

/// A whole BACnet/IP datagram: the BVLC header (Annex J.2: type 0x81, `function`, the
/// datagram's length in two octets), an NPDU header without routing information (clause
/// 6.2: version 1, control 0x00 — an APDU, no DNET/SNET, no reply expected, normal
/// priority) and `apdu`.
pub fn datagram(function: u8, apdu: &[u8], out: &mut Vec<u8>) {
    let len = 4 + 2 + apdu.len();
    out.push(BVLC_TYPE); // Annex J.2.1 BVLC Type
    out.push(function); // Annex J.2.1 BVLC Function
    // Annex J.2.1 BVLC Length: the whole datagram, this header included. A UDP payload is
    // at most 65,507 octets, so a real APDU always fits.
    out.extend_from_slice(&u16::try_from(len).unwrap_or(u16::MAX).to_be_bytes());
    out.push(NPDU_VERSION); // clause 6.2.1 protocol version
    out.push(0x00); // clause 6.2.2 NPCI control: APDU, no DNET/SNET, normal priority
    out.extend_from_slice(apdu);
}

/// A Who-Is APDU (clause 16.10.1): Unconfirmed-Request, service who-Is, and for a ranged
/// search the device instance limits `(low, high)` as context tags 0 and 1
/// (deviceInstanceRangeLowLimit, deviceInstanceRangeHighLimit; both or neither, each at
/// most [`MAX_INSTANCE`]).
pub fn who_is(range: Option<(u32, u32)>, out: &mut Vec<u8>) {
    out.push(UNCONFIRMED_REQUEST); // clause 20.1.3: PDU type 1, reserved bits 0
    out.push(SERVICE_WHO_IS);
    if let Some((low, high)) = range {
        context_unsigned(0, low.min(MAX_INSTANCE), out);
        context_unsigned(1, high.min(MAX_INSTANCE), out);
    }
}

/// An I-Am request (clause 16.10.2, I-Am-Request): the device's identity, four application
/// tagged values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IAm {
    /// iAmDeviceIdentifier: the device object's instance number (at most
    /// [`MAX_INSTANCE`]; more is cut to 22 bits).
    pub device_instance: u32,
    /// maxAPDULengthAccepted (clause 20.1.2.5: 50, 128, 206, 480, 1024 or 1476 — 1476 fits
    /// one Ethernet frame of BACnet/IP).
    pub max_apdu: u32,
    /// segmentationSupported, a [`segmentation`] value.
    pub segmentation: u8,
    /// vendorID: the ASHRAE-assigned vendor identifier.
    pub vendor_id: u16,
}

impl IAm {
    /// The APDU: Unconfirmed-Request, service i-Am, then objectIdentifier (device,
    /// instance), Unsigned, Enumerated and Unsigned application tags (clause 16.10.2).
    pub fn emit(&self, out: &mut Vec<u8>) {
        out.push(UNCONFIRMED_REQUEST); // clause 20.1.3: PDU type 1
        out.push(SERVICE_I_AM);
        app_object_id(OBJECT_DEVICE, self.device_instance, out);
        app_unsigned(app_tag::UNSIGNED, self.max_apdu, out);
        app_unsigned(app_tag::ENUMERATED, u32::from(self.segmentation), out);
        app_unsigned(app_tag::UNSIGNED, u32::from(self.vendor_id), out);
    }
}

/// A primitive tag header (clause 20.2.1): tag number (4 bits, or 15 and an extended number
/// octet, clause 20.2.1.2), class (bit 3: 1 = context specific), and the length in the LVT
/// field when it is at most 4, else LVT 5 and an extended length (clause 20.2.1.3.1: one
/// octet up to 253, 254 and two octets up to 65535, else 255 and four octets).
pub fn tag(number: u8, context: bool, len: usize, out: &mut Vec<u8>) {
    let class = if context { 0x08 } else { 0x00 };
    let lvt = if len <= 4 { len as u8 } else { 5 };
    if number < 15 {
        out.push((number << 4) | class | lvt);
    } else {
        out.push(0xf0 | class | lvt);
        out.push(number);
    }
    if len > 4 {
        if len <= 253 {
            out.push(len as u8);
        } else if let Ok(n) = u16::try_from(len) {
            out.push(254);
            out.extend_from_slice(&n.to_be_bytes());
        } else {
            out.push(255);
            out.extend_from_slice(&u32::try_from(len).unwrap_or(u32::MAX).to_be_bytes());
        }
    }
}

/// An Unsigned (clause 20.2.4) or Enumerated (clause 20.2.11) value under application tag
/// `tag_number`: big-endian in the fewest octets (at least one).
pub fn app_unsigned(tag_number: u8, value: u32, out: &mut Vec<u8>) {
    let b = minimal(value);
    tag(tag_number, false, b.len(), out);
    out.extend_from_slice(b.as_slice());
}

/// An Unsigned value under context tag `tag_number` (clause 20.2.1.3.2), as service
/// parameters are tagged.
pub fn context_unsigned(tag_number: u8, value: u32, out: &mut Vec<u8>) {
    let b = minimal(value);
    tag(tag_number, true, b.len(), out);
    out.extend_from_slice(b.as_slice());
}

/// A BACnetObjectIdentifier (clause 20.2.14) under application tag 12: four octets, the
/// object type in the high 10 bits and the instance in the low 22.
pub fn app_object_id(object_type: u16, instance: u32, out: &mut Vec<u8>) {
    tag(app_tag::OBJECT_IDENTIFIER, false, 4, out);
    let v = (u32::from(object_type & 0x03ff) << 22) | (instance & MAX_INSTANCE);
    out.extend_from_slice(&v.to_be_bytes());
}

/// A CharacterString (clause 20.2.9) in UTF-8 (character set 0) under application tag 7.
pub fn app_character_string(s: &str, out: &mut Vec<u8>) {
    tag(app_tag::CHARACTER_STRING, false, s.len() + 1, out);
    out.push(0); // ISO 10646 (UTF-8)
    out.extend_from_slice(s.as_bytes());
}

/// `value`'s big-endian octets without leading zeros (one octet for 0).
fn minimal(value: u32) -> Minimal {
    let bytes = value.to_be_bytes();
    let skip = bytes.iter().take_while(|&&b| b == 0).count().min(3);
    Minimal { bytes, skip }
}

/// The significant octets of a `u32`.
struct Minimal {
    bytes: [u8; 4],
    skip: usize,
}

impl Minimal {
    fn as_slice(&self) -> &[u8] {
        self.bytes.get(self.skip..).unwrap_or_default()
    }

    fn len(&self) -> usize {
        4 - self.skip
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use model::Side;

    use super::*;
    use crate::testing::{anomalies, counter, ctx_udp, facts, hex, run_session};

    #[test]
    fn i_am_matches_a_captured_one() {
        // nDPI bacnet.pcap frame 17 (the fixture I_AM_PLAIN of bacnet/tests.rs): device
        // 4194303, max APDU 1476, no-segmentation, vendor 260.
        let mut apdu = Vec::new();
        IAm {
            device_instance: 4_194_303,
            max_apdu: 1476,
            segmentation: segmentation::NONE,
            vendor_id: 260,
        }
        .emit(&mut apdu);
        let mut d = Vec::new();
        datagram(function::ORIGINAL_BROADCAST_NPDU, &apdu, &mut d);
        assert_eq!(
            d,
            hex("81 0b 0015 01 00 10 00 c4 023fffff 22 05c4 91 03 22 0104")
        );
    }

    #[test]
    fn who_is_encodings() {
        let mut a = Vec::new();
        who_is(None, &mut a);
        assert_eq!(a, [0x10, 0x08]);
        let mut a = Vec::new();
        // Context tag 0 with one octet, context tag 1 with three (clause 20.2.1.3.2).
        who_is(Some((61, 70_000)), &mut a);
        assert_eq!(a, hex("10 08 09 3d 1b 011170"));
    }

    #[test]
    fn tags_take_extended_numbers_and_lengths() {
        let mut v = Vec::new();
        app_character_string("OxyGuard", &mut v);
        assert_eq!(v, [&[0x75, 0x09, 0x00][..], b"OxyGuard"].concat());
        let mut v = Vec::new();
        tag(20, true, 300, &mut v);
        assert_eq!(v, [0xfd, 20, 254, 0x01, 0x2c]);
        let mut v = Vec::new();
        app_unsigned(app_tag::UNSIGNED, 0, &mut v);
        assert_eq!(v, [0x21, 0x00]);
    }

    #[test]
    fn who_is_and_i_am_are_read_back() {
        let mut a = Vec::new();
        who_is(Some((1000, 1999)), &mut a);
        let mut who = Vec::new();
        datagram(function::ORIGINAL_BROADCAST_NPDU, &a, &mut who);
        let mut a = Vec::new();
        IAm {
            device_instance: 1205,
            max_apdu: 1476,
            segmentation: segmentation::BOTH,
            vendor_id: 5,
        }
        .emit(&mut a);
        let mut i_am = Vec::new();
        datagram(function::ORIGINAL_UNICAST_NPDU, &a, &mut i_am);

        let (name, obs, mut c) = run_session(
            ctx_udp(PORT),
            &[(Side::Client, &who), (Side::Server, &i_am)],
        );
        assert_eq!(name, Some("bacnet"));
        assert_eq!(
            facts(&obs),
            vec![
                ("server", "bacnet.device_instance", "1205".to_string()),
                ("server", "bacnet.vendor_id", "5".into()),
            ]
        );
        assert!(anomalies(&obs).is_empty(), "{:?}", anomalies(&obs));
        assert_eq!(counter(&c, "bacnet", "who_is"), 1);
        let events = c.take_events();
        assert_eq!(events[0].body["bvlc_function"], "Original-Broadcast-NPDU");
        assert_eq!(events[0].body["service"], "who_is");
        let e = &events[1].body;
        assert_eq!(e["bvlc_function"], "Original-Unicast-NPDU");
        assert_eq!(e["apdu_type"], "unconfirmed_request");
        assert_eq!(e["service"], "i_am");
        assert_eq!(e["device_instance"], 1205);
        assert_eq!(e["vendor_id"], 5);
        assert_eq!(e["max_apdu"], 1476);
        assert_eq!(e["segmentation"], 0);
    }
}
