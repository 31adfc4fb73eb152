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
        Self(((frame_type.0 as u16 & 0x3) << 2) | ((subtype as u16 & 0xf) << 4) | (flags & 0xff00))
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
        self.frame_type().0 == FrameType::DATA.0 && self.subtype() & subtype::data::NO_DATA_BIT == 0
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
        self.order() && (self.is_qos_data() || self.frame_type().0 == FrameType::MANAGEMENT.0)
    }

    /// Offset of the QoS Control field, after Address 4 if present.
    #[inline]
    const fn qos_offset(self) -> usize {
        if self.has_addr4() {
            field::ADDR4.end
        } else {
            HEADER_LEN_3ADDR
        }
    }

    /// Offset of the HT Control field.
    #[inline]
    const fn ht_offset(self) -> usize {
        if self.is_qos_data() {
            self.qos_offset() + QOS_CONTROL_LEN
        } else {
            HEADER_LEN_3ADDR
        }
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
                if self.has_addr2() {
                    CONTROL_HEADER_LEN_TA
                } else {
                    // ACK, CTS; also the Control Wrapper, whose carried frame control and HT
                    // control are left in the body.
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
        let fc = b
            .get(field::FRAME_CONTROL)
            .ok_or(Malformed::Ieee80211Truncated)?;
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
        FrameControl(read_u16_le(
            self.buffer.as_ref(),
            field::FRAME_CONTROL.start,
        ))
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
        let end = frame
            .len()
            .checked_sub(FCS_LEN)
            .ok_or(Malformed::Ieee80211Truncated)?;
        &frame[..end]
    } else {
        frame
    };
    let fc = frame
        .get(field::FRAME_CONTROL)
        .ok_or(Malformed::Ieee80211Truncated)?;
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
    Ok(llc_snap(body)?.map(|(ethertype, payload)| DataFrame {
        ethertype,
        payload,
        ..base
    }))
}

/// Decodes the next A-MSDU subframe from `rest`, skipping those that are not SNAP.
fn next_amsdu_subframe<'a>(
    base: &DataFrame<'a>,
    mut rest: &'a [u8],
) -> Result<Option<DataFrame<'a>>, Malformed> {
    while !rest.is_empty() {
        let header = rest
            .get(..AMSDU_HEADER_LEN)
            .ok_or(Malformed::Ieee80211Truncated)?;
        let len = usize::from(u16::from_be_bytes([header[12], header[13]]));
        let end = AMSDU_HEADER_LEN + len;
        let msdu = rest
            .get(AMSDU_HEADER_LEN..end)
            .ok_or(Malformed::Ieee80211Truncated)?;
        // Every subframe but the last is padded to a multiple of 4 bytes.
        rest = rest
            .get(end.next_multiple_of(AMSDU_ALIGN)..)
            .unwrap_or_default();
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
    let snap = body
        .get(field::SNAP_OUI.start..LLC_SNAP_LEN)
        .ok_or(Malformed::LlcTruncated)?;
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Decodes whitespace-separated hex, for the parts of fixtures that are upper layers.
    fn hex(s: &str) -> Vec<u8> {
        let digits: Vec<u8> = s.bytes().filter(u8::is_ascii_hexdigit).collect();
        digits
            .chunks(2)
            .map(|pair| {
                let text = std::str::from_utf8(pair).expect("ascii");
                u8::from_str_radix(text, 16).expect("hex")
            })
            .collect()
    }

    fn concat(parts: &[&[u8]]) -> Vec<u8> {
        parts.concat()
    }

    const AP: MacAddr = MacAddr([0x8a, 0x15, 0x14, 0x9b, 0x5a, 0xe0]);
    const IPAD: MacAddr = MacAddr([0x90, 0x72, 0x40, 0x97, 0xb6, 0xf5]);
    const ROUTER: MacAddr = MacAddr([0x44, 0x2b, 0x03, 0xaa, 0xab, 0x8d]);

    /// zeek testing/btest/Traces/wlanmon.pcap frame 1 (LINKTYPE_IEEE802_11): QoS data, ToDS.
    const QOS_TO_DS_HEADER: [u8; 34] = [
        0x88, 0x01, // frame control: version 0, type 2 (data), subtype 8 (QoS data); ToDS
        0x2c, 0x00, // duration 44 µs
        0x8a, 0x15, 0x14, 0x9b, 0x5a, 0xe0, // addr1 = BSSID (ToDS=1 FromDS=0)
        0x90, 0x72, 0x40, 0x97, 0xb6, 0xf5, // addr2 = SA
        0x44, 0x2b, 0x03, 0xaa, 0xab, 0x8d, // addr3 = DA
        0x10, 0x00, // sequence control: fragment 0, sequence 1
        0x06, 0x00, // QoS control: TID 6
        0xaa, 0xaa, 0x03, // LLC: DSAP SNAP, SSAP SNAP, UI
        0x00, 0x00, 0x00, // SNAP OUI 00-00-00 (RFC 1042)
        0x08, 0x00, // EtherType IPv4
    ];
    /// The rest of frame 1: a 63-byte IPv4/UDP DNS query, then 4 trailing FCS bytes.
    const QOS_TO_DS_REST: &str = "
        45 00 00 3f d6 8d 00 00 40 11 ae a2 ac 11 9c 4c d0 43 dc dc f1 2a 00 35 00 2b c5 df
        a7 2f 01 00 00 01 00 00 00 00 00 00 07 63 61 70 74 69 76 65 05 61 70 70 6c 65 03 63
        6f 6d 00 00 01 00 01
        03 12 c6 a7";

    /// wlanmon.pcap frame 2: QoS data, FromDS (first 34 bytes).
    const QOS_FROM_DS_HEADER: [u8; 34] = [
        0x88, 0x02, // frame control: QoS data; FromDS
        0x30, 0x00, // duration 48
        0x90, 0x72, 0x40, 0x97, 0xb6, 0xf5, // addr1 = DA
        0x8a, 0x15, 0x14, 0x9b, 0x5a, 0xe0, // addr2 = BSSID
        0x44, 0x2b, 0x03, 0xaa, 0xab, 0x8d, // addr3 = SA
        0x40, 0x00, // sequence 4
        0x00, 0x00, // QoS control: TID 0
        0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00, // LLC/SNAP, IPv4
    ];

    /// wlanmon.pcap frame 3: non-QoS data, FromDS, to an IPv6 multicast group (first 32 bytes).
    const DATA_FROM_DS_MULTICAST: [u8; 34] = [
        0x08, 0x02, // frame control: data (subtype 0); FromDS
        0x00, 0x00, // duration 0
        0x33, 0x33, 0x00, 0x00, 0x00, 0xfb, // addr1 = DA 33:33:00:00:00:fb (mDNS group)
        0x8a, 0x15, 0x14, 0x9b, 0x5a, 0xe0, // addr2 = BSSID
        0xa4, 0x67, 0x06, 0xf7, 0xec, 0x54, // addr3 = SA
        0xb0, 0xad, // sequence 2779
        0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x86, 0xdd, // LLC/SNAP, IPv6
        0x60, 0x00, // IPv6 header begins
    ];

    /// arkime tests/pcap/80211http.pcap frame 1 (LINKTYPE_IEEE802_11_RADIOTAP), whole.
    fn arkime_frame() -> Vec<u8> {
        concat(&[
            // radiotap: v0, length 36, two bitmaps, TSFT, Flags 0x10 (FCS at end), ...
            &hex("00 00 24 00 2f 40 00 a0 20 08 00 00 00 00 00 00
                  28 eb 68 28 00 00 00 00 10 16 9e 09 a0 00 ba 00 00 00 ba 00"),
            &[
                0x08, 0x01, // frame control: data (subtype 0); ToDS
                0x02, 0x01, // duration 258
                0x88, 0x25, 0x93, 0x40, 0x6b, 0x6f, // addr1 = BSSID
                0xf8, 0xa9, 0xd0, 0x1e, 0x90, 0xa3, // addr2 = SA
                0x88, 0x25, 0x93, 0x40, 0x6b, 0x6f, // addr3 = DA (the AP itself)
                0x20, 0xb7, // sequence 2930
                0xaa, 0xaa, 0x03, 0x00, 0x00, 0x00, 0x08, 0x00, // LLC/SNAP, IPv4
            ],
            // IPv4/TCP SYN, 60 bytes
            &hex(
                "45 00 00 3c f9 31 40 00 40 06 61 30 ac 05 05 71 0e 11 20 d3 c1 09 00 50
                  96 74 0d d6 00 00 00 00 a0 02 ff ff 0d 1b 00 00 02 04 05 b4 04 02 08 0a
                  ff ff f4 e7 00 00 00 00 01 03 03 06",
            ),
            &[0x38, 0xac, 0x82, 0xfa], // FCS
        ])
    }

    #[test]
    fn test_deconstruct_qos_data_to_ds() {
        let frame = concat(&[&QOS_TO_DS_HEADER, &hex(QOS_TO_DS_REST)]);
        assert_eq!(frame.len(), 101);
        let p = Packet::new_checked(&frame[..]).expect("valid");
        let fc = p.frame_control();
        assert_eq!(fc, FrameControl(0x0188));
        assert_eq!(fc.protocol_version(), 0);
        assert_eq!(fc.frame_type(), FrameType::DATA);
        assert_eq!(fc.subtype(), subtype::data::QOS_DATA);
        assert!(fc.to_ds() && !fc.from_ds());
        assert!(!fc.more_fragments() && !fc.retry() && !fc.power_management());
        assert!(!fc.more_data() && !fc.protected() && !fc.order());
        assert!(fc.is_qos_data() && fc.is_data_with_payload());
        assert_eq!(p.duration(), 44);
        assert_eq!(p.addr1(), AP);
        assert_eq!(p.addr2(), Some(IPAD));
        assert_eq!(p.addr3(), Some(ROUTER));
        assert_eq!(p.sequence_control(), Some(0x0010));
        assert_eq!(p.addr4(), None);
        assert_eq!(p.qos_control(), Some(6));
        assert_eq!(p.ht_control(), None);
        assert_eq!(p.header_len(), 26);
        assert_eq!(p.payload()[..3], [0xaa, 0xaa, 0x03]);

        let df = data_frame(&frame, true).expect("valid").expect("data");
        assert_eq!(df.bssid, Some(AP));
        assert_eq!(df.source, IPAD);
        assert_eq!(df.destination, ROUTER);
        assert_eq!((df.receiver, df.transmitter), (AP, IPAD));
        assert_eq!(df.ethertype, 0x0800);
        assert_eq!(df.payload.len(), 63);
        assert_eq!(df.payload[0], 0x45);
        assert_eq!(df.next_msdu(), Ok(None));
        // Without FCS stripping the 4 trailing bytes stay in the payload.
        let df = data_frame(&frame, false).expect("valid").expect("data");
        assert_eq!(df.payload.len(), 67);
    }

    #[test]
    fn test_deconstruct_qos_data_from_ds() {
        let df = data_frame(&QOS_FROM_DS_HEADER, false)
            .expect("valid")
            .expect("data");
        assert_eq!(df.destination, IPAD);
        assert_eq!(df.bssid, Some(AP));
        assert_eq!(df.source, ROUTER);
        assert_eq!(df.ethertype, 0x0800);
        assert!(df.payload.is_empty());
    }

    #[test]
    fn test_deconstruct_data_from_ds_multicast() {
        let p = Packet::new_checked(&DATA_FROM_DS_MULTICAST[..]).expect("valid");
        assert_eq!(p.header_len(), 24);
        assert_eq!(p.qos_control(), None);
        assert_eq!(p.sequence_control().map(|s| s >> 4), Some(2779));
        let df = data_frame(&DATA_FROM_DS_MULTICAST, false)
            .expect("valid")
            .expect("data");
        assert_eq!(df.destination, MacAddr([0x33, 0x33, 0, 0, 0, 0xfb]));
        assert_eq!(df.source, MacAddr([0xa4, 0x67, 0x06, 0xf7, 0xec, 0x54]));
        assert_eq!(df.bssid, Some(AP));
        assert_eq!(df.ethertype, 0x86dd);
        assert_eq!(df.payload, [0x60, 0x00]);
    }

    #[test]
    fn radiotap_then_data_frame() {
        let bytes = arkime_frame();
        assert_eq!(bytes.len(), 132);
        let radiotap = crate::radiotap::Packet::new_checked(&bytes[..]).expect("radiotap");
        assert!(radiotap.has_fcs());
        let df = data_frame(radiotap.payload(), radiotap.has_fcs())
            .expect("valid")
            .expect("data");
        let ap = MacAddr([0x88, 0x25, 0x93, 0x40, 0x6b, 0x6f]);
        let station = MacAddr([0xf8, 0xa9, 0xd0, 0x1e, 0x90, 0xa3]);
        assert_eq!(
            (df.source, df.destination, df.bssid),
            (station, ap, Some(ap))
        );
        assert_eq!(df.ethertype, 0x0800);
        assert_eq!(df.payload.len(), 60);
        assert_eq!(df.payload[..2], [0x45, 0x00]);
        assert_eq!(df.payload[59], 0x06);
    }

    /// Builds a data frame from a header repr, an EtherType and a payload.
    fn build(repr: &Repr, ethertype: u16, payload: &[u8]) -> Vec<u8> {
        let mut buf = vec![0; repr.buffer_len() + LLC_SNAP_LEN + payload.len()];
        repr.emit(&mut Packet::new_unchecked(&mut buf));
        let at = repr.buffer_len();
        emit_llc_snap(&mut buf[at..], ethertype);
        buf[at + LLC_SNAP_LEN..].copy_from_slice(payload);
        buf
    }

    fn header(frame_control: FrameControl) -> Repr {
        Repr {
            frame_control,
            duration: 0,
            addr1: MacAddr([1; 6]),
            addr2: Some(MacAddr([2; 6])),
            addr3: Some(MacAddr([3; 6])),
            sequence_control: Some(0x1230),
            addr4: Some(MacAddr([4; 6])),
            qos_control: Some(0),
            ht_control: Some(0x0102_0304),
        }
    }

    #[test]
    fn address_table_for_all_ds_combinations() {
        let (a1, a2, a3, a4) = (
            MacAddr([1; 6]),
            MacAddr([2; 6]),
            MacAddr([3; 6]),
            MacAddr([4; 6]),
        );
        for (flags, da, sa, bssid) in [
            (0, a1, a2, Some(a3)),
            (FrameControl::TO_DS, a3, a2, Some(a1)),
            (FrameControl::FROM_DS, a1, a3, Some(a2)),
            (FrameControl::TO_DS | FrameControl::FROM_DS, a3, a4, None),
        ] {
            let fc = FrameControl::new(FrameType::DATA, subtype::data::DATA, flags);
            let frame = build(&header(fc), 0x0806, b"arp");
            let df = data_frame(&frame, false).expect("valid").expect("data");
            assert_eq!(
                (df.destination, df.source, df.bssid),
                (da, sa, bssid),
                "{fc:?}"
            );
            assert_eq!((df.receiver, df.transmitter), (a1, a2));
            assert_eq!((df.ethertype, df.payload), (0x0806, &b"arp"[..]));
        }
    }

    #[test]
    fn four_address_qos_with_ht_control() {
        let fc = FrameControl::new(
            FrameType::DATA,
            subtype::data::QOS_DATA,
            FrameControl::TO_DS | FrameControl::FROM_DS | FrameControl::ORDER,
        );
        assert_eq!(fc.header_len(), 24 + 6 + 2 + 4);
        let frame = build(&header(fc), 0x86dd, b"v6");
        let p = Packet::new_checked(&frame[..]).expect("valid");
        assert_eq!(p.addr4(), Some(MacAddr([4; 6])));
        assert_eq!(p.qos_control(), Some(0));
        assert_eq!(p.ht_control(), Some(0x0102_0304));
        assert_eq!(Repr::parse(&p), Ok(header(fc)));
        let df = data_frame(&frame, false).expect("valid").expect("data");
        assert_eq!((df.ethertype, df.payload), (0x86dd, &b"v6"[..]));
        // Order on a non-QoS data frame means strictly ordered, not +HTC.
        let fc = FrameControl::new(FrameType::DATA, subtype::data::DATA, FrameControl::ORDER);
        assert_eq!(fc.header_len(), 24);
    }

    #[test]
    fn frames_without_decodable_data_are_none() {
        let data = FrameControl::new(FrameType::DATA, subtype::data::DATA, 0);
        for fc in [
            FrameControl::new(FrameType::DATA, subtype::data::NULL, FrameControl::TO_DS),
            FrameControl::new(
                FrameType::DATA,
                subtype::data::QOS_NULL,
                FrameControl::TO_DS,
            ),
            FrameControl::new(
                FrameType::DATA,
                subtype::data::QOS_DATA,
                FrameControl::PROTECTED,
            ),
            FrameControl::new(FrameType::MANAGEMENT, subtype::management::BEACON, 0),
            FrameControl(data.0 | 1), // protocol version 1
        ] {
            let frame = build(&header(fc), 0x0800, b"x");
            assert_eq!(data_frame(&frame, false), Ok(None), "{fc:?}");
        }
        // ACK: 10 bytes, control type.
        let ack = [0xd4, 0x00, 0x00, 0x00, 1, 2, 3, 4, 5, 6];
        assert_eq!(data_frame(&ack, false), Ok(None));
        let p = Packet::new_checked(&ack[..]).expect("valid");
        assert_eq!(p.frame_control().frame_type(), FrameType::CONTROL);
        assert_eq!(p.frame_control().subtype(), subtype::control::ACK);
        assert_eq!(p.addr1(), MacAddr([1, 2, 3, 4, 5, 6]));
        assert_eq!(
            (p.addr2(), p.addr3(), p.sequence_control()),
            (None, None, None)
        );
        assert!(p.payload().is_empty());
    }

    #[test]
    fn non_snap_llc_is_none_and_bridge_tunnel_is_accepted() {
        let fc = FrameControl::new(FrameType::DATA, subtype::data::DATA, FrameControl::TO_DS);
        let mut frame = build(&header(fc), 0x80f3, b"aarp");
        assert!(data_frame(&frame, false).expect("valid").is_some());
        frame[24 + 5] = 0xf8; // SNAP OUI 00-00-F8: 802.1H bridge tunnel
        let df = data_frame(&frame, false).expect("valid").expect("data");
        assert_eq!(df.ethertype, 0x80f3);
        frame[24 + 3..24 + 6].copy_from_slice(&[0x00, 0x40, 0x96]); // Cisco OUI: not an EtherType
        assert_eq!(data_frame(&frame, false), Ok(None));
        frame[24..27].copy_from_slice(&[0x42, 0x42, 0x03]); // spanning tree LLC, not SNAP
        assert_eq!(data_frame(&frame, false), Ok(None));
    }

    #[test]
    fn control_frames_with_transmitter() {
        let rts = [0xb4, 0x00, 0x10, 0x00, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2];
        let p = Packet::new_checked(&rts[..]).expect("valid");
        assert_eq!(p.frame_control().subtype(), subtype::control::RTS);
        assert_eq!(p.duration(), 16);
        assert_eq!(p.addr2(), Some(MacAddr([2; 6])));
        assert_eq!(p.addr3(), None);
        // An RTS cut after its RA.
        assert_eq!(
            Packet::new_checked(&rts[..10]).err(),
            Some(Malformed::Ieee80211Truncated)
        );
    }

    #[test]
    fn truncated_frames_are_ieee80211_truncated() {
        let frame = concat(&[&QOS_TO_DS_HEADER, &hex(QOS_TO_DS_REST)]);
        // Shorter than the FCS being stripped.
        for len in 0..FCS_LEN {
            assert_eq!(
                data_frame(&frame[..len], true),
                Err(Malformed::Ieee80211Truncated)
            );
        }
        // No room for the frame control.
        assert_eq!(
            data_frame(&frame[..1], false),
            Err(Malformed::Ieee80211Truncated)
        );
        assert_eq!(
            Packet::new_checked(&frame[..1]).err(),
            Some(Malformed::Ieee80211Truncated)
        );
        // Every cut inside the 26-byte QoS data header.
        for len in 2..26 {
            assert_eq!(
                data_frame(&frame[..len], false),
                Err(Malformed::Ieee80211Truncated)
            );
            assert_eq!(
                Packet::new_checked(&frame[..len]).err(),
                Some(Malformed::Ieee80211Truncated)
            );
        }
        assert_eq!(
            Repr::parse(&Packet::new_unchecked(&frame[..20])),
            Err(Malformed::Ieee80211Truncated)
        );
    }

    #[test]
    fn short_body_is_llc_truncated() {
        let frame = concat(&[&QOS_TO_DS_HEADER, &hex(QOS_TO_DS_REST)]);
        // Every cut between the end of the header and the end of the SNAP header.
        for len in 26..34 {
            assert_eq!(
                data_frame(&frame[..len], false),
                Err(Malformed::LlcTruncated),
                "{len}"
            );
        }
        assert!(data_frame(&frame[..34], false).expect("valid").is_some());
    }

    /// A-MSDU subframe: DA, SA, big-endian length, MSDU.
    fn subframe(da: u8, sa: u8, msdu: &[u8]) -> Vec<u8> {
        let len = u16::try_from(msdu.len()).expect("short").to_be_bytes();
        concat(&[&[da; 6], &[sa; 6], &len, msdu])
    }

    #[test]
    fn amsdu_subframes_are_unpacked() {
        let fc = FrameControl::new(
            FrameType::DATA,
            subtype::data::QOS_DATA,
            FrameControl::FROM_DS,
        );
        let mut repr = header(fc);
        repr.qos_control = Some(0x0080); // A-MSDU present
        let mut frame = vec![0; repr.buffer_len()];
        repr.emit(&mut Packet::new_unchecked(&mut frame));
        let first = subframe(0xd1, 0x51, &hex("aa aa 03 00 00 00 08 00 45"));
        let skipped = subframe(0xd2, 0x52, &hex("42 42 03 00")); // not SNAP
        let last = subframe(0xd3, 0x53, &hex("aa aa 03 00 00 00 86 dd 60 00"));
        // 14 + 9 = 23 → pad 1; 14 + 4 = 18 → pad 2; the last subframe is not padded.
        frame.extend(concat(&[&first, &[0], &skipped, &[0, 0], &last]));
        let df = data_frame(&frame, false).expect("valid").expect("first");
        assert_eq!(
            (df.destination, df.source),
            (MacAddr([0xd1; 6]), MacAddr([0x51; 6]))
        );
        assert_eq!((df.ethertype, df.payload), (0x0800, &[0x45][..]));
        assert_eq!(df.bssid, Some(MacAddr([2; 6])));
        let df = df.next_msdu().expect("valid").expect("last");
        assert_eq!(
            (df.destination, df.source),
            (MacAddr([0xd3; 6]), MacAddr([0x53; 6]))
        );
        assert_eq!((df.ethertype, df.payload), (0x86dd, &[0x60, 0x00][..]));
        assert_eq!(df.next_msdu(), Ok(None));

        // A subframe whose length runs past the body.
        let mut cut = frame.clone();
        cut.truncate(frame.len() - 1);
        let df = data_frame(&cut, false).expect("valid").expect("first");
        assert_eq!(df.next_msdu(), Err(Malformed::Ieee80211Truncated));
        // A subframe header cut short.
        let at = repr.buffer_len() + 10;
        assert_eq!(
            data_frame(&frame[..at], false),
            Err(Malformed::Ieee80211Truncated)
        );
    }

    proptest! {
        #[test]
        fn header_roundtrip(fc: u16, bytes in proptest::collection::vec(any::<u8>(), 36)) {
            let fc = FrameControl(fc);
            let mut wire = bytes[..fc.header_len()].to_vec();
            wire[..2].copy_from_slice(&fc.0.to_le_bytes());
            let repr = Repr::parse(&Packet::new_checked(&wire[..]).expect("valid")).expect("parse");
            prop_assert_eq!(repr.buffer_len(), wire.len());
            let mut out = vec![0xa5; repr.buffer_len()];
            repr.emit(&mut Packet::new_unchecked(&mut out));
            prop_assert_eq!(&out, &wire);
            prop_assert_eq!(Repr::parse(&Packet::new_checked(&out[..]).expect("valid")), Ok(repr));
        }

        #[test]
        fn arbitrary_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..80),
                                       fc: u16, has_fcs: bool) {
            let mut bytes = bytes;
            if bytes.len() >= 2 {
                bytes[..2].copy_from_slice(&fc.to_le_bytes());
            }
            if let Ok(Some(mut df)) = data_frame(&bytes, has_fcs) {
                let mut n = 0;
                while let Ok(Some(next)) = df.next_msdu() {
                    df = next;
                    n += 1;
                    prop_assert!(n < 80);
                }
            }
            if let Ok(p) = Packet::new_checked(&bytes[..]) {
                let _ = (p.frame_control(), p.duration(), p.addr1(), p.addr2(), p.addr3());
                let _ = (p.sequence_control(), p.addr4(), p.qos_control(), p.ht_control());
                let _ = p.payload();
            }
        }
    }
}
