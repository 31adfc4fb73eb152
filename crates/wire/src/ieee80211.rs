//! IEEE 802.11 MAC header (IEEE 802.11-2020 §9.2) and the 802.2 LLC/SNAP header of data frames.
//!
//! ```text
//! Data frame (§9.3.2.1):
//! +-------+--------+-------+-------+-------+---------+-------+-------+-------+------+-----+
//! | Frame | Dur/ID | Addr1 | Addr2 | Addr3 | Seq Ctl | Addr4 | QoS   | HT    | Body | FCS |
//! | Ctl 2 |   2    |   6   |   6   |   6   |    2    |  0/6  | 0/2   | 0/4   |      | 4   |
//! +-------+--------+-------+-------+-------+---------+-------+-------+-------+------+-----+
//! ```
//!
//! Multi-byte 802.11 fields are **little-endian** (§9.2.2); the SNAP EtherType is big-endian.
//! Management frames have the same first 24 bytes (plus HT Control when the Order bit is set);
//! control frames are short (10 or 16 bytes) and carry no sequence control.
//!
//! [`data_frame`] is what the sensor calls on every 802.11 frame (plain, `LINKTYPE_IEEE802_11`
//! 105, or after the radiotap header of 127): for a non-protected data frame it returns the
//! logical source and destination stations (§9.3.2.1 Table 9-60), the BSSID, the EtherType
//! from the LLC/SNAP header and the payload. A-MSDUs (§9.3.2.2) are unpacked one subframe at a
//! time with [`DataFrame::next_msdu`].
//!
//! Not handled: protocol version ≠ 0 (802.11ah PV1 short frames: [`data_frame`] returns
//! `Ok(None)`), the radiotap "data pad" flag (Atheros padding between header and body), and mesh
//! data frames (their Mesh Control field is not LLC, so they come out as `Ok(None)`).

use core::fmt;

use model::MacAddr;

use crate::Malformed;

/// Field offsets in the 802.11 MAC header (§9.2.3).
mod field {
    pub(crate) type Field = core::ops::Range<usize>;

    /// Frame Control.
    pub(crate) const FRAME_CONTROL: Field = 0..2;
    /// Duration/ID.
    pub(crate) const DURATION: Field = 2..4;
    /// Address 1 (receiver).
    pub(crate) const ADDR1: Field = 4..10;
    /// Address 2 (transmitter).
    pub(crate) const ADDR2: Field = 10..16;
    /// Address 3.
    pub(crate) const ADDR3: Field = 16..22;
    /// Sequence Control.
    pub(crate) const SEQUENCE_CONTROL: Field = 22..24;
    /// Address 4 (data frames with ToDS and FromDS).
    pub(crate) const ADDR4: Field = 24..30;

    /// 802.2 LLC: DSAP, SSAP, control (RFC 1042 SNAP: AA AA 03).
    pub(crate) const LLC: Field = 0..3;
    /// SNAP: organisation code.
    pub(crate) const SNAP_OUI: Field = 3..6;
    /// SNAP: protocol id (EtherType when the OUI is 00-00-00 or 00-00-F8).
    pub(crate) const SNAP_ETHERTYPE: Field = 6..8;

    /// A-MSDU subframe (§9.3.2.2.2): destination address.
    pub(crate) const AMSDU_DA: Field = 0..6;
    /// A-MSDU subframe: source address.
    pub(crate) const AMSDU_SA: Field = 6..12;
    /// A-MSDU subframe: MSDU length, big-endian.
    pub(crate) const AMSDU_LENGTH: Field = 12..14;
}

/// The shortest MAC header (ACK and CTS control frames: frame control, duration, RA).
pub const MIN_HEADER_LEN: usize = field::ADDR1.end;
/// Length of the three-address header of management and data frames.
pub const HEADER_LEN_3ADDR: usize = field::SEQUENCE_CONTROL.end;
/// Length of an LLC/SNAP header (RFC 1042).
pub const LLC_SNAP_LEN: usize = field::SNAP_ETHERTYPE.end;
/// Length of an FCS.
pub const FCS_LEN: usize = 4;
/// Length of a QoS Control field.
const QOS_CONTROL_LEN: usize = 2;
/// Length of an HT Control field.
const HT_CONTROL_LEN: usize = 4;
/// Length of the short control-frame header carrying RA and TA.
const CONTROL_HEADER_LEN_TA: usize = field::ADDR2.end;
/// Length of an A-MSDU subframe header.
const AMSDU_HEADER_LEN: usize = field::AMSDU_LENGTH.end;
/// A-MSDU subframes are padded to a multiple of 4 bytes (§9.3.2.2.2).
const AMSDU_ALIGN: usize = 4;

/// LLC header announcing SNAP (DSAP AA, SSAP AA, UI control 03; RFC 1042).
const LLC_SNAP: [u8; 3] = [0xaa, 0xaa, 0x03];
/// SNAP OUI for RFC 1042 encapsulation of EtherTypes.
const OUI_RFC1042: [u8; 3] = [0x00, 0x00, 0x00];
/// SNAP OUI for 802.1H bridge tunnel encapsulation (AppleTalk/IPX translation).
const OUI_BRIDGE_TUNNEL: [u8; 3] = [0x00, 0x00, 0xf8];

/// The frame type (Frame Control bits B2–B3, §9.2.4.1.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct FrameType(pub u8);

impl FrameType {
    /// Management frames (beacons, probes, association, authentication, action).
    pub const MANAGEMENT: Self = Self(0);
    /// Control frames (RTS, CTS, ACK, block ack, ...).
    pub const CONTROL: Self = Self(1);
    /// Data frames.
    pub const DATA: Self = Self(2);
    /// Extension frames (DMG beacon, S1G beacon).
    pub const EXTENSION: Self = Self(3);
}

/// Subtype values by frame type (§9.2.4.1.3 Table 9-1).
pub mod subtype {
    /// Management frame subtypes.
    pub mod management {
        /// Association Request.
        pub const ASSOCIATION_REQUEST: u8 = 0;
        /// Association Response.
        pub const ASSOCIATION_RESPONSE: u8 = 1;
        /// Reassociation Request.
        pub const REASSOCIATION_REQUEST: u8 = 2;
        /// Reassociation Response.
        pub const REASSOCIATION_RESPONSE: u8 = 3;
        /// Probe Request.
        pub const PROBE_REQUEST: u8 = 4;
        /// Probe Response.
        pub const PROBE_RESPONSE: u8 = 5;
        /// Timing Advertisement.
        pub const TIMING_ADVERTISEMENT: u8 = 6;
        /// Beacon.
        pub const BEACON: u8 = 8;
        /// ATIM.
        pub const ATIM: u8 = 9;
        /// Disassociation.
        pub const DISASSOCIATION: u8 = 10;
        /// Authentication.
        pub const AUTHENTICATION: u8 = 11;
        /// Deauthentication.
        pub const DEAUTHENTICATION: u8 = 12;
        /// Action.
        pub const ACTION: u8 = 13;
        /// Action No Ack.
        pub const ACTION_NO_ACK: u8 = 14;
    }

    /// Control frame subtypes.
    pub mod control {
        /// Trigger.
        pub const TRIGGER: u8 = 2;
        /// TACK.
        pub const TACK: u8 = 3;
        /// Beamforming Report Poll.
        pub const BEAMFORMING_REPORT_POLL: u8 = 4;
        /// VHT/HE NDP Announcement.
        pub const NDP_ANNOUNCEMENT: u8 = 5;
        /// Control Frame Extension.
        pub const CONTROL_FRAME_EXTENSION: u8 = 6;
        /// Control Wrapper.
        pub const CONTROL_WRAPPER: u8 = 7;
        /// Block Ack Request.
        pub const BLOCK_ACK_REQUEST: u8 = 8;
        /// Block Ack.
        pub const BLOCK_ACK: u8 = 9;
        /// PS-Poll.
        pub const PS_POLL: u8 = 10;
        /// RTS.
        pub const RTS: u8 = 11;
        /// CTS.
        pub const CTS: u8 = 12;
        /// Ack.
        pub const ACK: u8 = 13;
        /// CF-End.
        pub const CF_END: u8 = 14;
        /// CF-End + CF-Ack.
        pub const CF_END_CF_ACK: u8 = 15;
    }

    /// Data frame subtypes: bit 0x8 = QoS, bit 0x4 = no data (§9.2.4.1.3).
    pub mod data {
        /// Data.
        pub const DATA: u8 = 0;
        /// Null (no data).
        pub const NULL: u8 = 4;
        /// QoS Data.
        pub const QOS_DATA: u8 = 8;
        /// QoS Data + CF-Ack.
        pub const QOS_DATA_CF_ACK: u8 = 9;
        /// QoS Data + CF-Poll.
        pub const QOS_DATA_CF_POLL: u8 = 10;
        /// QoS Data + CF-Ack + CF-Poll.
        pub const QOS_DATA_CF_ACK_CF_POLL: u8 = 11;
        /// QoS Null (no data).
        pub const QOS_NULL: u8 = 12;
        /// QoS CF-Poll (no data).
        pub const QOS_CF_POLL: u8 = 14;
        /// QoS CF-Ack + CF-Poll (no data).
        pub const QOS_CF_ACK_CF_POLL: u8 = 15;
        /// Subtype bit: the frame has a QoS Control field.
        pub const QOS_BIT: u8 = 0x8;
        /// Subtype bit: the frame carries no data.
        pub const NO_DATA_BIT: u8 = 0x4;
    }
}

/// The Frame Control field read little-endian (§9.2.4.1): B0–B1 protocol version, B2–B3 type,
/// B4–B7 subtype, B8–B15 flags. Wireshark shows the two bytes in wire order, i.e. swapped.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FrameControl(pub u16);

impl FrameControl {
    /// To DS.
    pub const TO_DS: u16 = 0x0100;
    /// From DS.
    pub const FROM_DS: u16 = 0x0200;
    /// More Fragments.
    pub const MORE_FRAGMENTS: u16 = 0x0400;
    /// Retry.
    pub const RETRY: u16 = 0x0800;
    /// Power Management.
    pub const POWER_MANAGEMENT: u16 = 0x1000;
    /// More Data.
    pub const MORE_DATA: u16 = 0x2000;
    /// Protected Frame: the body is encrypted.
    pub const PROTECTED: u16 = 0x4000;
    /// +HTC/Order.
    pub const ORDER: u16 = 0x8000;

    /// Builds a frame control from type, subtype (low 4 bits used) and flag bits.
    #[inline]
    pub const fn new(frame_type: FrameType, subtype: u8, flags: u16) -> Self {
        Self(
            ((frame_type.0 as u16 & 0x3) << 2) | ((subtype as u16 & 0xf) << 4) | (flags & 0xff00),
        )
    }

    /// Protocol version (0 for every frame this module decodes).
    #[inline]
    pub const fn protocol_version(self) -> u8 {
        (self.0 & 0x3) as u8
    }

    /// Frame type.
    #[inline]
    pub const fn frame_type(self) -> FrameType {
        FrameType(((self.0 >> 2) & 0x3) as u8)
    }

    /// Subtype (see [`subtype`]).
    #[inline]
    pub const fn subtype(self) -> u8 {
        ((self.0 >> 4) & 0xf) as u8
    }

    /// To DS flag.
    #[inline]
    pub const fn to_ds(self) -> bool {
        self.0 & Self::TO_DS != 0
    }

    /// From DS flag.
    #[inline]
    pub const fn from_ds(self) -> bool {
        self.0 & Self::FROM_DS != 0
    }

    /// More Fragments flag.
    #[inline]
    pub const fn more_fragments(self) -> bool {
        self.0 & Self::MORE_FRAGMENTS != 0
    }

    /// Retry flag.
    #[inline]
    pub const fn retry(self) -> bool {
        self.0 & Self::RETRY != 0
    }

    /// Power Management flag.
    #[inline]
    pub const fn power_management(self) -> bool {
        self.0 & Self::POWER_MANAGEMENT != 0
    }

    /// More Data flag.
    #[inline]
    pub const fn more_data(self) -> bool {
        self.0 & Self::MORE_DATA != 0
    }

    /// Protected Frame flag.
    #[inline]
    pub const fn protected(self) -> bool {
        self.0 & Self::PROTECTED != 0
    }

    /// +HTC/Order flag.
    #[inline]
    pub const fn order(self) -> bool {
        self.0 & Self::ORDER != 0
    }

    /// A data frame whose subtype has the QoS bit: it carries a QoS Control field.
    #[inline]
    pub const fn is_qos_data(self) -> bool {
        self.frame_type().0 == FrameType::DATA.0 && self.subtype() & subtype::data::QOS_BIT != 0
    }

    /// A data frame whose subtype carries data (not Null, QoS Null, CF-Poll...).
    #[inline]
    pub const fn is_data_with_payload(self) -> bool {
        self.frame_type().0 == FrameType::DATA.0
            && self.subtype() & subtype::data::NO_DATA_BIT == 0
    }

    /// A data frame with both DS bits: it carries Address 4 (WDS / mesh).
    #[inline]
    const fn has_addr4(self) -> bool {
        self.frame_type().0 == FrameType::DATA.0 && self.to_ds() && self.from_ds()
    }

    /// Whether Address 2 (TA) is present: management and data frames, and the control frames
    /// that carry a TA (§9.3.1).
    #[inline]
    const fn has_addr2(self) -> bool {
        match self.frame_type() {
            FrameType::MANAGEMENT | FrameType::DATA => true,
            FrameType::CONTROL => matches!(self.subtype(), 2..=5 | 8..=11 | 14 | 15),
            _ => false,
        }
    }

    /// Whether Address 3 and Sequence Control are present: management and data frames.
    #[inline]
    const fn has_addr3(self) -> bool {
        matches!(self.frame_type(), FrameType::MANAGEMENT | FrameType::DATA)
    }

    /// Whether an HT Control field is present: QoS data and management frames with Order set
    /// (§9.2.4.1.10).
    #[inline]
    const fn has_ht_control(self) -> bool {
        self.order()
            && (self.is_qos_data() || self.frame_type().0 == FrameType::MANAGEMENT.0)
    }

    /// Offset of the QoS Control field, after Address 4 if present.
    #[inline]
    const fn qos_offset(self) -> usize {
        if self.has_addr4() { field::ADDR4.end } else { HEADER_LEN_3ADDR }
    }

    /// Offset of the HT Control field.
    #[inline]
    const fn ht_offset(self) -> usize {
        if self.is_qos_data() { self.qos_offset() + QOS_CONTROL_LEN } else { HEADER_LEN_3ADDR }
    }

    /// Length of the MAC header this frame control announces (protocol version 0).
    #[inline]
    pub const fn header_len(self) -> usize {
        match self.frame_type() {
            FrameType::MANAGEMENT | FrameType::DATA => {
                if self.has_ht_control() {
                    self.ht_offset() + HT_CONTROL_LEN
                } else if self.is_qos_data() {
                    self.qos_offset() + QOS_CONTROL_LEN
                } else {
                    self.qos_offset()
                }
            }
            FrameType::CONTROL => {
                if self.has_addr2() || self.subtype() == subtype::control::CONTROL_WRAPPER {
                    // RA, TA; the Control Wrapper has RA, carried frame control, HT control.
                    CONTROL_HEADER_LEN_TA
                } else {
                    MIN_HEADER_LEN
                }
            }
            _ => MIN_HEADER_LEN,
        }
    }
}

impl fmt::Debug for FrameControl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "FrameControl(0x{:04x}: type {} subtype {}",
            self.0,
            self.frame_type().0,
            self.subtype()
        )?;
        for (bit, name) in [
            (Self::TO_DS, "ToDS"),
            (Self::FROM_DS, "FromDS"),
            (Self::MORE_FRAGMENTS, "MoreFrag"),
            (Self::RETRY, "Retry"),
            (Self::POWER_MANAGEMENT, "PwrMgt"),
            (Self::MORE_DATA, "MoreData"),
            (Self::PROTECTED, "Protected"),
            (Self::ORDER, "Order"),
        ] {
            if self.0 & bit != 0 {
                write!(f, " {name}")?;
            }
        }
        f.write_str(")")
    }
}

/// A read/write view of an 802.11 MAC header over any byte buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps a buffer without checking it; getters may panic if it is shorter than the header
    /// its frame control announces. Use for emitting into a buffer of known size.
    #[inline]
    pub const fn new_unchecked(buffer: T) -> Self {
        Self { buffer }
    }

    /// Wraps a buffer after checking it holds the whole MAC header its frame control announces;
    /// no getter panics afterwards.
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, Malformed> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks the buffer holds the frame control and the header it announces
    /// ([`Malformed::Ieee80211Truncated`] otherwise).
    #[inline]
    pub fn check_len(&self) -> Result<(), Malformed> {
        let b = self.buffer.as_ref();
        let fc = b.get(field::FRAME_CONTROL).ok_or(Malformed::Ieee80211Truncated)?;
        let fc = FrameControl(u16::from_le_bytes([fc[0], fc[1]]));
        if b.len() < fc.header_len() {
            Err(Malformed::Ieee80211Truncated)
        } else {
            Ok(())
        }
    }

    /// Returns the underlying buffer.
    #[inline]
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Frame Control.
    #[inline]
    pub fn frame_control(&self) -> FrameControl {
        FrameControl(read_u16_le(self.buffer.as_ref(), field::FRAME_CONTROL.start))
    }

    /// Duration/ID.
    #[inline]
    pub fn duration(&self) -> u16 {
        read_u16_le(self.buffer.as_ref(), field::DURATION.start)
    }

    /// Length of the MAC header (see [`FrameControl::header_len`]).
    #[inline]
    pub fn header_len(&self) -> usize {
        self.frame_control().header_len()
    }

    /// Address 1: the receiver (RA), present in every frame.
    #[inline]
    pub fn addr1(&self) -> MacAddr {
        read_mac(self.buffer.as_ref(), field::ADDR1.start)
    }

    /// Address 2: the transmitter (TA), in management and data frames and the control frames
    /// that carry one (RTS, PS-Poll, block ack, ...); not in ACK or CTS.
    #[inline]
    pub fn addr2(&self) -> Option<MacAddr> {
        self.frame_control()
            .has_addr2()
            .then(|| read_mac(self.buffer.as_ref(), field::ADDR2.start))
    }

    /// Address 3, in management frames (BSSID) and data frames (meaning per the DS bits).
    #[inline]
    pub fn addr3(&self) -> Option<MacAddr> {
        self.frame_control()
            .has_addr3()
            .then(|| read_mac(self.buffer.as_ref(), field::ADDR3.start))
    }

    /// Sequence Control (fragment number in bits 0–3, sequence number in 4–15), in management
    /// and data frames.
    #[inline]
    pub fn sequence_control(&self) -> Option<u16> {
        self.frame_control()
            .has_addr3()
            .then(|| read_u16_le(self.buffer.as_ref(), field::SEQUENCE_CONTROL.start))
    }

    /// Address 4, in data frames with both ToDS and FromDS.
    #[inline]
    pub fn addr4(&self) -> Option<MacAddr> {
        self.frame_control()
            .has_addr4()
            .then(|| read_mac(self.buffer.as_ref(), field::ADDR4.start))
    }

    /// QoS Control (TID in bits 0–3, A-MSDU present in bit 7), in QoS data frames.
    #[inline]
    pub fn qos_control(&self) -> Option<u16> {
        let fc = self.frame_control();
        fc.is_qos_data()
            .then(|| read_u16_le(self.buffer.as_ref(), fc.qos_offset()))
    }

    /// HT Control, in QoS data and management frames with the Order bit set.
    #[inline]
    pub fn ht_control(&self) -> Option<u32> {
        let fc = self.frame_control();
        fc.has_ht_control().then(|| {
            let b = self.buffer.as_ref();
            let at = fc.ht_offset();
            u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
        })
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Packet<&'a T> {
    /// The frame body after the MAC header (including a trailing FCS if the capture kept one),
    /// borrowed from the original buffer.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        let b: &'a [u8] = self.buffer.as_ref();
        b.get(self.header_len()..).unwrap_or_default()
    }
}

impl<T: AsRef<[u8]> + AsMut<[u8]>> Packet<T> {
    /// Sets Frame Control.
    #[inline]
    pub fn set_frame_control(&mut self, value: FrameControl) {
        self.buffer.as_mut()[field::FRAME_CONTROL].copy_from_slice(&value.0.to_le_bytes());
    }

    /// Sets Duration/ID.
    #[inline]
    pub fn set_duration(&mut self, value: u16) {
        self.buffer.as_mut()[field::DURATION].copy_from_slice(&value.to_le_bytes());
    }

    /// Sets Address 1.
    #[inline]
    pub fn set_addr1(&mut self, value: MacAddr) {
        self.buffer.as_mut()[field::ADDR1].copy_from_slice(&value.0);
    }

    /// Sets Address 2 (the caller makes sure the frame has one).
    #[inline]
    pub fn set_addr2(&mut self, value: MacAddr) {
        self.buffer.as_mut()[field::ADDR2].copy_from_slice(&value.0);
    }

    /// Sets Address 3 (management and data frames).
    #[inline]
    pub fn set_addr3(&mut self, value: MacAddr) {
        self.buffer.as_mut()[field::ADDR3].copy_from_slice(&value.0);
    }

    /// Sets Sequence Control (management and data frames).
    #[inline]
    pub fn set_sequence_control(&mut self, value: u16) {
        self.buffer.as_mut()[field::SEQUENCE_CONTROL].copy_from_slice(&value.to_le_bytes());
    }

    /// Sets Address 4 (data frames with ToDS and FromDS).
    #[inline]
    pub fn set_addr4(&mut self, value: MacAddr) {
        self.buffer.as_mut()[field::ADDR4].copy_from_slice(&value.0);
    }

    /// Sets QoS Control at the offset the current frame control gives (QoS data frames).
    #[inline]
    pub fn set_qos_control(&mut self, value: u16) {
        let at = self.frame_control().qos_offset();
        self.buffer.as_mut()[at..at + QOS_CONTROL_LEN].copy_from_slice(&value.to_le_bytes());
    }

    /// Sets HT Control at the offset the current frame control gives.
    #[inline]
    pub fn set_ht_control(&mut self, value: u32) {
        let at = self.frame_control().ht_offset();
        self.buffer.as_mut()[at..at + HT_CONTROL_LEN].copy_from_slice(&value.to_le_bytes());
    }

    /// The body after the header, writable.
    #[inline]
    pub fn payload_mut(&mut self) -> &mut [u8] {
        let at = self.header_len();
        &mut self.buffer.as_mut()[at..]
    }
}

/// The meaning of an 802.11 MAC header, losslessly: which optional fields exist follows from
/// `frame_control` (an optional field given but not announced is not written; one announced but
/// `None` is written as zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Repr {
    /// Frame Control.
    pub frame_control: FrameControl,
    /// Duration/ID.
    pub duration: u16,
    /// Address 1.
    pub addr1: MacAddr,
    /// Address 2.
    pub addr2: Option<MacAddr>,
    /// Address 3.
    pub addr3: Option<MacAddr>,
    /// Sequence Control.
    pub sequence_control: Option<u16>,
    /// Address 4.
    pub addr4: Option<MacAddr>,
    /// QoS Control.
    pub qos_control: Option<u16>,
    /// HT Control.
    pub ht_control: Option<u32>,
}

impl Repr {
    /// Reads a checked header.
    pub fn parse<T: AsRef<[u8]>>(packet: &Packet<T>) -> Result<Self, Malformed> {
        packet.check_len()?;
        Ok(Self {
            frame_control: packet.frame_control(),
            duration: packet.duration(),
            addr1: packet.addr1(),
            addr2: packet.addr2(),
            addr3: packet.addr3(),
            sequence_control: packet.sequence_control(),
            addr4: packet.addr4(),
            qos_control: packet.qos_control(),
            ht_control: packet.ht_control(),
        })
    }

    /// Bytes [`Repr::emit`] writes: the header length `frame_control` announces.
    #[inline]
    pub const fn buffer_len(&self) -> usize {
        self.frame_control.header_len()
    }

    /// Writes the header.
    ///
    /// # Panics
    /// If the buffer is shorter than [`Repr::buffer_len`].
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Packet<T>) {
        let fc = self.frame_control;
        packet.buffer.as_mut()[..fc.header_len()].fill(0);
        packet.set_frame_control(fc);
        packet.set_duration(self.duration);
        packet.set_addr1(self.addr1);
        if fc.has_addr2() {
            packet.set_addr2(self.addr2.unwrap_or_default());
        }
        if fc.has_addr3() {
            packet.set_addr3(self.addr3.unwrap_or_default());
            packet.set_sequence_control(self.sequence_control.unwrap_or_default());
        }
        if fc.has_addr4() {
            packet.set_addr4(self.addr4.unwrap_or_default());
        }
        if fc.is_qos_data() {
            packet.set_qos_control(self.qos_control.unwrap_or_default());
        }
        if fc.has_ht_control() {
            packet.set_ht_control(self.ht_control.unwrap_or_default());
        }
    }
}

/// Writes an RFC 1042 LLC/SNAP header (AA AA 03 00 00 00 + EtherType) at the start of `buf`
/// and returns [`LLC_SNAP_LEN`].
///
/// # Panics
/// If `buf` is shorter than [`LLC_SNAP_LEN`].
pub fn emit_llc_snap(buf: &mut [u8], ethertype: u16) -> usize {
    buf[field::LLC].copy_from_slice(&LLC_SNAP);
    buf[field::SNAP_OUI].copy_from_slice(&OUI_RFC1042);
    buf[field::SNAP_ETHERTYPE].copy_from_slice(&ethertype.to_be_bytes());
    LLC_SNAP_LEN
}

/// One MSDU of a non-protected 802.11 data frame: who sent it to whom, and what it carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataFrame<'a> {
    /// Frame Control of the carrying frame.
    pub frame_control: FrameControl,
    /// Address 1: the station that receives the frame over the air.
    pub receiver: MacAddr,
    /// Address 2: the station that transmits the frame over the air.
    pub transmitter: MacAddr,
    /// The logical destination (DA).
    pub destination: MacAddr,
    /// The logical source (SA).
    pub source: MacAddr,
    /// The BSSID; `None` for four-address (WDS/mesh) frames, which do not carry it.
    pub bssid: Option<MacAddr>,
    /// The EtherType from the SNAP header.
    pub ethertype: u16,
    /// The bytes after the LLC/SNAP header (FCS removed).
    pub payload: &'a [u8],
    /// A-MSDU subframes after this one.
    amsdu_rest: &'a [u8],
}

impl<'a> DataFrame<'a> {
    /// The next MSDU of an A-MSDU (§9.3.2.2): `Ok(None)` after the last one or when the frame
    /// was not an A-MSDU. Subframes whose LLC is not RFC 1042/802.1H SNAP are skipped.
    pub fn next_msdu(&self) -> Result<Option<Self>, Malformed> {
        next_amsdu_subframe(self, self.amsdu_rest)
    }
}

/// Decodes a non-protected 802.11 data frame down to its EtherType and payload.
///
/// `has_fcs` removes a trailing 4-byte FCS first (from radiotap's Flags field, or known for the
/// capture). Returns `Ok(None)` for management, control and extension frames, protocol version
/// ≠ 0, data subtypes without data (Null, QoS Null, CF-Poll), protected frames, and bodies that
/// are not RFC 1042 or 802.1H SNAP. Errors: [`Malformed::Ieee80211Truncated`] when the frame is
/// shorter than its FCS or MAC header (or an A-MSDU subframe header/length runs past the body),
/// [`Malformed::LlcTruncated`] when the body is too short for LLC/SNAP.
///
/// For an A-MSDU the first subframe is returned; call [`DataFrame::next_msdu`] for the rest.
pub fn data_frame(frame: &[u8], has_fcs: bool) -> Result<Option<DataFrame<'_>>, Malformed> {
    let frame = if has_fcs {
        let end = frame.len().checked_sub(FCS_LEN).ok_or(Malformed::Ieee80211Truncated)?;
        &frame[..end]
    } else {
        frame
    };
    let fc = frame.get(field::FRAME_CONTROL).ok_or(Malformed::Ieee80211Truncated)?;
    let fc = FrameControl(u16::from_le_bytes([fc[0], fc[1]]));
    if fc.protocol_version() != 0 || !fc.is_data_with_payload() || fc.protected() {
        return Ok(None);
    }
    let packet = Packet::new_checked(frame)?;
    let addr1 = packet.addr1();
    let addr2 = read_mac(frame, field::ADDR2.start);
    let addr3 = read_mac(frame, field::ADDR3.start);
    // §9.3.2.1 Table 9-60: meaning of the address fields by (ToDS, FromDS).
    let (destination, source, bssid) = match (fc.to_ds(), fc.from_ds()) {
        (false, false) => (addr1, addr2, Some(addr3)),
        (true, false) => (addr3, addr2, Some(addr1)),
        (false, true) => (addr1, addr3, Some(addr2)),
        (true, true) => (addr3, read_mac(frame, field::ADDR4.start), None),
    };
    let base = DataFrame {
        frame_control: fc,
        receiver: addr1,
        transmitter: addr2,
        destination,
        source,
        bssid,
        ethertype: 0,
        payload: &[],
        amsdu_rest: &[],
    };
    let body = packet.payload();
    // QoS Control bit 7: the body is an A-MSDU (§9.2.4.5.9).
    if packet.qos_control().is_some_and(|qos| qos & 0x0080 != 0) {
        return next_amsdu_subframe(&base, body);
    }
    Ok(llc_snap(body)?.map(|(ethertype, payload)| DataFrame { ethertype, payload, ..base }))
}

/// Decodes the next A-MSDU subframe from `rest`, skipping those that are not SNAP.
fn next_amsdu_subframe<'a>(
    base: &DataFrame<'a>,
    mut rest: &'a [u8],
) -> Result<Option<DataFrame<'a>>, Malformed> {
    while !rest.is_empty() {
        let header = rest.get(..AMSDU_HEADER_LEN).ok_or(Malformed::Ieee80211Truncated)?;
        let len = usize::from(u16::from_be_bytes([header[12], header[13]]));
        let end = AMSDU_HEADER_LEN + len;
        let msdu = rest.get(AMSDU_HEADER_LEN..end).ok_or(Malformed::Ieee80211Truncated)?;
        // Every subframe but the last is padded to a multiple of 4 bytes.
        rest = rest.get(end.next_multiple_of(AMSDU_ALIGN)..).unwrap_or_default();
        if let Some((ethertype, payload)) = llc_snap(msdu)? {
            return Ok(Some(DataFrame {
                destination: read_mac(header, field::AMSDU_DA.start),
                source: read_mac(header, field::AMSDU_SA.start),
                ethertype,
                payload,
                amsdu_rest: rest,
                ..*base
            }));
        }
    }
    Ok(None)
}

/// Reads an RFC 1042 / 802.1H LLC/SNAP header: `Ok(None)` when the LLC is not SNAP or the OUI
/// does not encapsulate an EtherType.
fn llc_snap(body: &[u8]) -> Result<Option<(u16, &[u8])>, Malformed> {
    let llc = body.get(field::LLC).ok_or(Malformed::LlcTruncated)?;
    if llc != LLC_SNAP {
        return Ok(None);
    }
    let snap = body.get(field::SNAP_OUI.start..LLC_SNAP_LEN).ok_or(Malformed::LlcTruncated)?;
    let (oui, ethertype) = snap.split_at(3);
    if oui != OUI_RFC1042 && oui != OUI_BRIDGE_TUNNEL {
        return Ok(None);
    }
    let ethertype = u16::from_be_bytes([ethertype[0], ethertype[1]]);
    Ok(Some((ethertype, &body[LLC_SNAP_LEN..])))
}

#[inline]
fn read_u16_le(b: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([b[at], b[at + 1]])
}

#[inline]
fn read_mac(b: &[u8], at: usize) -> MacAddr {
    MacAddr([b[at], b[at + 1], b[at + 2], b[at + 3], b[at + 4], b[at + 5]])
}
