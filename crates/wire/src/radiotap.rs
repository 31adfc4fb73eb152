//! Radiotap capture header (`LINKTYPE_IEEE802_11_RADIOTAP`, 127; <https://www.radiotap.org>).
//!
//! ```text
//! +---------+---------+-------------------+-----------------------------+
//! | version | pad     | length (u16 LE)   | present bitmap (u32 LE) ... |
//! +---------+---------+-------------------+-----------------------------+
//! | fields of the first bitmap, each aligned to its natural size ...    |
//! +---------------------------------------------------------------------+
//! | 802.11 frame (starts `length` bytes after the start of the header)  |
//! ```
//!
//! Unlike the other formats in this crate, radiotap is **little-endian**. Bit 31 of a present
//! bitmap says another bitmap follows; bits 29 and 30 switch namespaces for the *next* bitmap.
//! Field data starts after the last bitmap, in bit order, each field aligned to its natural
//! alignment relative to the start of the header.
//!
//! This view reads the fields of the first (default-namespace) bitmap only, which is where the
//! sensor's facts are: the Flags field's FCS bit (does the 802.11 frame end with a 4-byte FCS?)
//! and, as a plus, TSFT, rate, channel and antenna signal. [`Packet::new_checked`] walks every
//! field the first bitmap announces and rejects a header whose fields or bitmaps run past
//! `length` ([`Malformed::RadiotapTruncated`]); no getter panics afterwards.

use crate::Malformed;

/// Field offsets in the fixed radiotap header.
mod field {
    pub(crate) type Field = core::ops::Range<usize>;

    /// Header revision, always 0.
    pub(crate) const VERSION: usize = 0;
    /// Padding for alignment.
    pub(crate) const PAD: usize = 1;
    /// Length of the whole radiotap header including fields, little-endian.
    pub(crate) const LENGTH: Field = 2..4;
    /// First present bitmap, little-endian.
    pub(crate) const PRESENT: Field = 4..8;
    /// End of the fixed header.
    pub(crate) const END: usize = PRESENT.end;
}

/// Length of the fixed part of the radiotap header (version, pad, length, one bitmap).
pub const HEADER_LEN: usize = field::END;

/// Bytes in one present bitmap.
const BITMAP_LEN: usize = 4;

/// `(alignment, size)` of the fields of the default namespace, by present bit, from the field
/// definitions at <https://www.radiotap.org/fields/defined>. Bit 28 (TLVs) ends the fixed
/// fields; bits 29–31 are namespace and extension bits, not fields.
const FIELDS: [(usize, usize); 28] = [
    (8, 8),  // 0 TSFT: u64 microseconds
    (1, 1),  // 1 Flags: u8
    (1, 1),  // 2 Rate: u8, 500 kbit/s units
    (2, 4),  // 3 Channel: u16 frequency MHz, u16 flags
    (1, 2),  // 4 FHSS: u8 hop set, u8 hop pattern
    (1, 1),  // 5 Antenna signal: s8 dBm
    (1, 1),  // 6 Antenna noise: s8 dBm
    (2, 2),  // 7 Lock quality: u16
    (2, 2),  // 8 TX attenuation: u16
    (2, 2),  // 9 dB TX attenuation: u16
    (1, 1),  // 10 dBm TX power: s8
    (1, 1),  // 11 Antenna: u8
    (1, 1),  // 12 dB antenna signal: u8
    (1, 1),  // 13 dB antenna noise: u8
    (2, 2),  // 14 RX flags: u16
    (2, 2),  // 15 TX flags: u16
    (1, 1),  // 16 RTS retries: u8
    (1, 1),  // 17 Data retries: u8
    (4, 8),  // 18 XChannel: u32 flags, u16 freq, u8 channel, u8 max power
    (1, 3),  // 19 MCS: u8 known, u8 flags, u8 mcs
    (4, 8),  // 20 A-MPDU status: u32 reference, u16 flags, u8 CRC, u8 reserved
    (2, 12), // 21 VHT: u16 known, u8 flags, u8 bandwidth, u8 mcs_nss[4], u8 coding, u8 group, u16 aid
    (8, 12), // 22 Timestamp: u64, u16 accuracy, u8 unit/position, u8 flags
    (2, 12), // 23 HE: u16 data1..data6
    (2, 12), // 24 HE-MU: u16 flags1, u16 flags2, u8 RU_channel1[4], u8 RU_channel2[4]
    (2, 6),  // 25 HE-MU-other-user: u16, u16, u8, u8
    (1, 1),  // 26 0-length-PSDU: u8 type
    (2, 4),  // 27 L-SIG: u16 data1, u16 data2
];

/// Present-bitmap bit numbers of the fields this module reads, and the special bits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PresentBit(pub u32);

impl PresentBit {
    /// TSFT (bit 0).
    pub const TSFT: Self = Self(0);
    /// Flags (bit 1).
    pub const FLAGS: Self = Self(1);
    /// Rate (bit 2).
    pub const RATE: Self = Self(2);
    /// Channel (bit 3).
    pub const CHANNEL: Self = Self(3);
    /// Antenna signal in dBm (bit 5).
    pub const ANTENNA_SIGNAL_DBM: Self = Self(5);
    /// Antenna noise in dBm (bit 6).
    pub const ANTENNA_NOISE_DBM: Self = Self(6);
    /// Antenna index (bit 11).
    pub const ANTENNA: Self = Self(11);
    /// TLVs follow the fixed fields (bit 28).
    pub const TLV: Self = Self(28);
    /// The next bitmap is in the radiotap namespace (bit 29).
    pub const RADIOTAP_NAMESPACE: Self = Self(29);
    /// The next bitmap is in a vendor namespace (bit 30).
    pub const VENDOR_NAMESPACE: Self = Self(30);
    /// Another bitmap follows (bit 31).
    pub const EXT: Self = Self(31);

    /// The bit as a mask over a present bitmap.
    #[inline]
    pub const fn mask(self) -> u32 {
        1 << (self.0 & 31)
    }
}

/// The radiotap Flags field (bit 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Flags(pub u8);

impl Flags {
    /// Sent/received during the contention-free period.
    pub const CFP: u8 = 0x01;
    /// Sent/received with a short preamble.
    pub const SHORT_PREAMBLE: u8 = 0x02;
    /// Sent/received with WEP encryption.
    pub const WEP: u8 = 0x04;
    /// Sent/received with fragmentation.
    pub const FRAGMENTATION: u8 = 0x08;
    /// The 802.11 frame includes its 4-byte FCS at the end.
    pub const FCS: u8 = 0x10;
    /// The 802.11 header is padded to a 32-bit boundary before the body.
    pub const DATA_PAD: u8 = 0x20;
    /// The frame failed the FCS check.
    pub const BAD_FCS: u8 = 0x40;
    /// HT frame with a short guard interval.
    pub const SHORT_GI: u8 = 0x80;

    /// The 802.11 frame ends with a 4-byte FCS.
    #[inline]
    pub const fn has_fcs(self) -> bool {
        self.0 & Self::FCS != 0
    }

    /// The frame failed its FCS check: its contents are not trustworthy.
    #[inline]
    pub const fn bad_fcs(self) -> bool {
        self.0 & Self::BAD_FCS != 0
    }

    /// Padding sits between the 802.11 header and the body (to a 4-byte boundary).
    #[inline]
    pub const fn data_pad(self) -> bool {
        self.0 & Self::DATA_PAD != 0
    }
}

/// The radiotap Channel field (bit 3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Channel {
    /// Centre frequency in MHz.
    pub frequency: u16,
    /// Channel flags (0x0080 2 GHz, 0x0100 5 GHz, 0x0040 OFDM, 0x0020 CCK, ...).
    pub flags: u16,
}

/// Finds field `want` of the first present bitmap as `(offset, size)`; `Ok(None)` when absent.
/// With `want` beyond the table, walks every field to validate the header. Never panics.
fn locate(b: &[u8], want: usize) -> Result<Option<(usize, usize)>, Malformed> {
    let length = b.get(field::LENGTH).ok_or(Malformed::RadiotapTruncated)?;
    let header_len = usize::from(u16::from_le_bytes([length[0], length[1]]));
    if header_len < HEADER_LEN || header_len > b.len() {
        return Err(Malformed::RadiotapTruncated);
    }
    let header = &b[..header_len];
    let present = read_u32_le(header, field::PRESENT.start).ok_or(Malformed::RadiotapTruncated)?;
    // Skip every bitmap: fields start after the last one.
    let mut offset = field::PRESENT.start;
    loop {
        let word = read_u32_le(header, offset).ok_or(Malformed::RadiotapTruncated)?;
        offset += BITMAP_LEN;
        if word & PresentBit::EXT.mask() == 0 {
            break;
        }
    }
    for (bit, &(align, size)) in FIELDS.iter().enumerate() {
        if present & (1 << bit) == 0 {
            continue;
        }
        offset = offset.next_multiple_of(align);
        if offset + size > header_len {
            return Err(Malformed::RadiotapTruncated);
        }
        if bit == want {
            return Ok(Some((offset, size)));
        }
        offset += size;
    }
    Ok(None)
}

#[inline]
fn read_u32_le(b: &[u8], at: usize) -> Option<u32> {
    let w = b.get(at..at + 4)?;
    Some(u32::from_le_bytes([w[0], w[1], w[2], w[3]]))
}

/// A read/write view of a radiotap header over any byte buffer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet<T: AsRef<[u8]>> {
    buffer: T,
}

impl<T: AsRef<[u8]>> Packet<T> {
    /// Wraps a buffer without checking it; getters may panic if it is shorter than
    /// [`HEADER_LEN`]. Use for emitting into a buffer of known size.
    #[inline]
    pub const fn new_unchecked(buffer: T) -> Self {
        Self { buffer }
    }

    /// Wraps a buffer after checking the version, the length field and every field of the first
    /// bitmap; no getter panics afterwards.
    #[inline]
    pub fn new_checked(buffer: T) -> Result<Self, Malformed> {
        let packet = Self::new_unchecked(buffer);
        packet.check_len()?;
        Ok(packet)
    }

    /// Checks the header: [`Malformed::RadiotapTruncated`] when shorter than 8 bytes, when
    /// `length` is below 8 or beyond the buffer, or when a bitmap or field runs past `length`;
    /// [`Malformed::RadiotapBadVersion`] when the version is not 0.
    pub fn check_len(&self) -> Result<(), Malformed> {
        let b = self.buffer.as_ref();
        if b.len() < HEADER_LEN {
            return Err(Malformed::RadiotapTruncated);
        }
        if b[field::VERSION] != 0 {
            return Err(Malformed::RadiotapBadVersion);
        }
        locate(b, usize::MAX).map(|_| ())
    }

    /// Returns the underlying buffer.
    #[inline]
    pub fn into_inner(self) -> T {
        self.buffer
    }

    /// Header revision (0 after `new_checked`).
    #[inline]
    pub fn version(&self) -> u8 {
        self.buffer.as_ref()[field::VERSION]
    }

    /// The pad byte.
    #[inline]
    pub fn pad(&self) -> u8 {
        self.buffer.as_ref()[field::PAD]
    }

    /// Length of the whole radiotap header: the 802.11 frame starts here.
    #[inline]
    pub fn header_len(&self) -> usize {
        let b = self.buffer.as_ref();
        usize::from(u16::from_le_bytes([
            b[field::LENGTH.start],
            b[field::LENGTH.start + 1],
        ]))
    }

    /// The first present bitmap.
    #[inline]
    pub fn present(&self) -> u32 {
        read_u32_le(self.buffer.as_ref(), field::PRESENT.start).unwrap_or(0)
    }

    /// The bytes of a default-namespace field of the first bitmap (`bit` < 28), if present.
    #[inline]
    pub fn field(&self, bit: PresentBit) -> Option<&[u8]> {
        let b = self.buffer.as_ref();
        let (offset, size) = locate(b, bit.0 as usize).ok().flatten()?;
        b.get(offset..offset + size)
    }

    /// TSFT: the MAC's 64-bit microsecond timer when the first bit of the frame arrived.
    #[inline]
    pub fn tsft(&self) -> Option<u64> {
        let f = self.field(PresentBit::TSFT)?;
        Some(u64::from_le_bytes(f.try_into().ok()?))
    }

    /// The Flags field.
    #[inline]
    pub fn flags(&self) -> Option<Flags> {
        Some(Flags(*self.field(PresentBit::FLAGS)?.first()?))
    }

    /// True when the Flags field says the 802.11 frame ends with a 4-byte FCS.
    #[inline]
    pub fn has_fcs(&self) -> bool {
        self.flags().is_some_and(Flags::has_fcs)
    }

    /// TX/RX data rate in units of 500 kbit/s.
    #[inline]
    pub fn rate(&self) -> Option<u8> {
        self.field(PresentBit::RATE)?.first().copied()
    }

    /// The Channel field.
    #[inline]
    pub fn channel(&self) -> Option<Channel> {
        match *self.field(PresentBit::CHANNEL)? {
            [f0, f1, g0, g1] => Some(Channel {
                frequency: u16::from_le_bytes([f0, f1]),
                flags: u16::from_le_bytes([g0, g1]),
            }),
            _ => None,
        }
    }

    /// Antenna signal power in dBm.
    #[inline]
    pub fn antenna_signal_dbm(&self) -> Option<i8> {
        Some(i8::from_le_bytes([*self
            .field(PresentBit::ANTENNA_SIGNAL_DBM)?
            .first()?]))
    }
}

impl<'a, T: AsRef<[u8]> + ?Sized> Packet<&'a T> {
    /// The captured 802.11 frame after the radiotap header (still including its FCS when
    /// [`Packet::has_fcs`]), borrowed from the original buffer.
    #[inline]
    pub fn payload(&self) -> &'a [u8] {
        let b: &'a [u8] = self.buffer.as_ref();
        b.get(self.header_len()..).unwrap_or_default()
    }
}

/// A minimal radiotap header: the fields a simulator needs to make a monitor-mode capture and
/// the sensor reads. Other fields of a parsed header are not kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Repr {
    /// TSFT in microseconds.
    pub tsft: Option<u64>,
    /// Flags (set [`Flags::FCS`] when the frame that follows ends with its FCS).
    pub flags: Option<Flags>,
    /// Rate in units of 500 kbit/s.
    pub rate: Option<u8>,
    /// Channel frequency and flags.
    pub channel: Option<Channel>,
    /// Antenna signal in dBm.
    pub antenna_signal_dbm: Option<i8>,
}

impl Repr {
    /// Reads the supported fields of a checked header.
    pub fn parse<T: AsRef<[u8]>>(packet: &Packet<T>) -> Result<Self, Malformed> {
        packet.check_len()?;
        Ok(Self {
            tsft: packet.tsft(),
            flags: packet.flags(),
            rate: packet.rate(),
            channel: packet.channel(),
            antenna_signal_dbm: packet.antenna_signal_dbm(),
        })
    }

    /// The fields present, as `(bit, bytes in little-endian order)`, in bit order.
    fn fields(&self) -> [(PresentBit, Option<[u8; 8]>, usize); 5] {
        let widen = |b: &[u8]| {
            let mut out = [0; 8];
            out[..b.len()].copy_from_slice(b);
            out
        };
        [
            (PresentBit::TSFT, self.tsft.map(u64::to_le_bytes), 8),
            (PresentBit::FLAGS, self.flags.map(|f| widen(&[f.0])), 1),
            (PresentBit::RATE, self.rate.map(|r| widen(&[r])), 1),
            (
                PresentBit::CHANNEL,
                self.channel.map(|c| {
                    let [f0, f1] = c.frequency.to_le_bytes();
                    let [g0, g1] = c.flags.to_le_bytes();
                    widen(&[f0, f1, g0, g1])
                }),
                4,
            ),
            (
                PresentBit::ANTENNA_SIGNAL_DBM,
                self.antenna_signal_dbm.map(|s| widen(&s.to_le_bytes())),
                1,
            ),
        ]
    }

    /// The present bitmap [`Repr::emit`] writes.
    #[inline]
    pub fn present(&self) -> u32 {
        self.fields()
            .iter()
            .filter(|(_, value, _)| value.is_some())
            .fold(0, |acc, (bit, _, _)| acc | bit.mask())
    }

    /// Bytes [`Repr::emit`] writes: the header with its fields and alignment padding.
    pub fn buffer_len(&self) -> usize {
        let mut offset = HEADER_LEN;
        for (bit, value, size) in self.fields() {
            if value.is_some() {
                offset = offset.next_multiple_of(FIELDS[bit.0 as usize].0) + size;
            }
        }
        offset
    }

    /// Writes the header (version 0, one bitmap, zero padding between fields).
    ///
    /// # Panics
    /// If the buffer is shorter than [`Repr::buffer_len`].
    pub fn emit<T: AsRef<[u8]> + AsMut<[u8]>>(&self, packet: &mut Packet<T>) {
        let len = self.buffer_len();
        let present = self.present();
        let b = &mut packet.buffer.as_mut()[..len];
        b.fill(0);
        // The header of these five fields is at most 8 + 8 + 1 + 1 + 4 + 1 = 23 bytes.
        b[field::LENGTH].copy_from_slice(&(len as u16).to_le_bytes());
        b[field::PRESENT].copy_from_slice(&present.to_le_bytes());
        let mut offset = HEADER_LEN;
        for (bit, value, size) in self.fields() {
            if let Some(bytes) = value {
                offset = offset.next_multiple_of(FIELDS[bit.0 as usize].0);
                b[offset..offset + size].copy_from_slice(&bytes[..size]);
                offset += size;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// arkime tests/pcap/80211http.pcap frame 1: radiotap header, then the 802.11 frame start.
    const ARKIME: [u8; 40] = [
        0x00, // version 0
        0x00, // pad
        0x24, 0x00, // length 36 (little-endian)
        0x2f, 0x40, 0x00,
        0xa0, // present 0xa000402f: TSFT Flags Rate Channel dBmSignal RXflags
        //                          + radiotap NS next (29) + Ext (31)
        0x20, 0x08, 0x00,
        0x00, // present 0x00000820: dBmSignal Antenna (second namespace word)
        0x00, 0x00, 0x00, 0x00, // padding: TSFT is 8-aligned, so it starts at 16
        0x28, 0xeb, 0x68, 0x28, 0x00, 0x00, 0x00, 0x00, // TSFT 677964584 µs
        0x10, // Flags 0x10: FCS at end
        0x16, // Rate 22 × 500 kbit/s = 11 Mbit/s
        0x9e, 0x09, 0xa0, 0x00, // Channel 2462 MHz, flags 0x00a0 (CCK, 2 GHz)
        0xba, // antenna signal -70 dBm
        0x00, // padding: RX flags is 2-aligned
        0x00, 0x00, // RX flags 0
        0xba, 0x00, // second bitmap's fields: antenna signal -70 dBm, antenna 0
        0x08, 0x01, 0x02, 0x01, // 802.11 frame: frame control (data, ToDS), duration 258
    ];

    #[test]
    fn test_deconstruct_arkime() {
        let p = Packet::new_checked(&ARKIME[..]).expect("valid");
        assert_eq!(p.version(), 0);
        assert_eq!(p.pad(), 0);
        assert_eq!(p.header_len(), 36);
        assert_eq!(p.present(), 0xa000_402f);
        assert_eq!(p.tsft(), Some(677_964_584));
        assert_eq!(p.flags(), Some(Flags(0x10)));
        assert!(p.has_fcs());
        assert_eq!(p.rate(), Some(22));
        assert_eq!(
            p.channel(),
            Some(Channel {
                frequency: 2462,
                flags: 0x00a0
            })
        );
        assert_eq!(p.antenna_signal_dbm(), Some(-70));
        assert_eq!(p.field(PresentBit(14)), Some(&[0, 0][..]));
        assert_eq!(p.field(PresentBit::ANTENNA), None);
        assert_eq!(p.payload(), [0x08, 0x01, 0x02, 0x01]);
    }

    #[test]
    fn flags_without_tsft() {
        let bytes = [
            0x00, 0x00, 0x09, 0x00, // version, pad, length 9
            0x02, 0x00, 0x00, 0x00, // present: Flags only
            0x00, // Flags: no FCS
            0xaa, // frame
        ];
        let p = Packet::new_checked(&bytes[..]).expect("valid");
        assert_eq!(p.flags(), Some(Flags(0)));
        assert!(!p.has_fcs());
        assert_eq!(p.tsft(), None);
        assert_eq!(p.payload(), [0xaa]);
    }

    #[test]
    fn no_flags_field_means_no_fcs() {
        let bytes = [0x00, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00];
        let p = Packet::new_checked(&bytes[..]).expect("valid");
        assert_eq!(p.flags(), None);
        assert!(!p.has_fcs());
        assert!(p.payload().is_empty());
    }

    #[test]
    fn short_buffer_is_radiotap_truncated() {
        for len in 0..HEADER_LEN {
            assert_eq!(
                Packet::new_checked(&ARKIME[..len]).err(),
                Some(Malformed::RadiotapTruncated)
            );
        }
        // The header says 36 bytes; every cut inside it is truncated.
        for len in HEADER_LEN..36 {
            assert_eq!(
                Packet::new_checked(&ARKIME[..len]).err(),
                Some(Malformed::RadiotapTruncated),
                "len {len}"
            );
        }
        assert!(Packet::new_checked(&ARKIME[..36]).is_ok());
    }

    #[test]
    fn bad_version_is_radiotap_bad_version() {
        let mut bytes = ARKIME;
        bytes[0] = 1;
        assert_eq!(
            Packet::new_checked(&bytes[..]).err(),
            Some(Malformed::RadiotapBadVersion)
        );
    }

    #[test]
    fn inconsistent_lengths_are_radiotap_truncated() {
        // length below the fixed header
        let mut bytes = ARKIME;
        bytes[2] = 7;
        assert_eq!(
            Packet::new_checked(&bytes[..]).err(),
            Some(Malformed::RadiotapTruncated)
        );
        // length beyond the buffer
        bytes[2] = 41;
        assert_eq!(
            Packet::new_checked(&bytes[..]).err(),
            Some(Malformed::RadiotapTruncated)
        );
        // length too short for the announced fields (ends inside the Channel field)
        bytes[2] = 28;
        assert_eq!(
            Packet::new_checked(&bytes[..]).err(),
            Some(Malformed::RadiotapTruncated)
        );
        // Ext bit set on every bitmap: bitmaps run past length
        let endless = [
            0x00, 0x00, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x80, 0x00, 0x00, 0x00, 0x80,
        ];
        assert_eq!(
            Packet::new_checked(&endless[..]).err(),
            Some(Malformed::RadiotapTruncated)
        );
        // TSFT announced, header of 12 bytes: alignment pushes it to 8..16
        let tsft = [0x00, 0x00, 0x0c, 0x00, 0x01, 0x00, 0x00, 0x00, 0, 0, 0, 0];
        assert_eq!(
            Packet::new_checked(&tsft[..]).err(),
            Some(Malformed::RadiotapTruncated)
        );
    }

    #[test]
    fn test_emit_reproduces_fields() {
        let repr = Repr::parse(&Packet::new_checked(&ARKIME[..]).expect("valid")).expect("parse");
        assert_eq!(
            repr,
            Repr {
                tsft: Some(677_964_584),
                flags: Some(Flags(Flags::FCS)),
                rate: Some(22),
                channel: Some(Channel {
                    frequency: 2462,
                    flags: 0x00a0
                }),
                antenna_signal_dbm: Some(-70),
            }
        );
        let mut buf = vec![0xa5; repr.buffer_len()];
        repr.emit(&mut Packet::new_unchecked(&mut buf));
        // One bitmap: fields start at 8, TSFT at 8..16, then as in the capture.
        assert_eq!(buf.len(), 23);
        assert_eq!(buf[..8], [0x00, 0x00, 23, 0x00, 0x2f, 0x00, 0x00, 0x00]);
        assert_eq!(buf[8..23], ARKIME[16..31]);
    }

    proptest! {
        #[test]
        fn roundtrip(tsft: Option<u64>, flags: Option<u8>, rate: Option<u8>,
                     channel: Option<(u16, u16)>, signal: Option<i8>,
                     frame in proptest::collection::vec(any::<u8>(), 0..8)) {
            let repr = Repr {
                tsft,
                flags: flags.map(Flags),
                rate,
                channel: channel.map(|(frequency, flags)| Channel { frequency, flags }),
                antenna_signal_dbm: signal,
            };
            let mut buf = vec![0; repr.buffer_len() + frame.len()];
            repr.emit(&mut Packet::new_unchecked(&mut buf));
            buf[repr.buffer_len()..].copy_from_slice(&frame);
            let p = Packet::new_checked(&buf[..]).expect("valid");
            prop_assert_eq!(Repr::parse(&p).expect("parse"), repr);
            prop_assert_eq!(p.payload(), &frame[..]);
            prop_assert_eq!(p.has_fcs(), flags.is_some_and(|f| f & Flags::FCS != 0));
        }

        #[test]
        fn arbitrary_bytes_never_panic(mut bytes in proptest::collection::vec(any::<u8>(), 0..64),
                                       len in 0u16..80, present: u32) {
            if bytes.len() >= HEADER_LEN {
                bytes[0] = 0;
                bytes[2..4].copy_from_slice(&len.to_le_bytes());
                bytes[4..8].copy_from_slice(&present.to_le_bytes());
            }
            if let Ok(p) = Packet::new_checked(&bytes[..]) {
                let _ = (p.version(), p.pad(), p.header_len(), p.present(), p.tsft(), p.flags());
                let _ = (p.has_fcs(), p.rate(), p.channel(), p.antenna_signal_dbm(), p.payload());
                for bit in 0..40 {
                    let _ = p.field(PresentBit(bit));
                }
            }
        }
    }
}
