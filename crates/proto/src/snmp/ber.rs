//! A small bounded BER reader (ITU-T X.690) for SNMP messages: definite lengths only, long-form
//! lengths of at most 4 octets, single-octet tags, nesting depth at most [`MAX_DEPTH`].
//!
//! A UDP datagram is a whole message, so running out of bytes is malformed, not incomplete.

use wire::text::push_decimal;

use wire::cursor::{ReadError, Reader};

/// Deepest constructed value entered (an SNMPv3 varbind value sits at depth 6).
pub(crate) const MAX_DEPTH: u8 = 8;

/// Longest OID rendered, in arcs (RFC 2578 §3.5: at most 128 sub-identifiers).
pub(crate) const MAX_OID_ARCS: usize = 128;

/// X.690 §8.1.2 universal tags and SNMP's application tags used here.
pub(crate) mod tag {
    /// X.690 §8.3 INTEGER.
    pub const INTEGER: u8 = 0x02;
    /// X.690 §8.7 OCTET STRING.
    pub const OCTET_STRING: u8 = 0x04;
    /// X.690 §8.19 OBJECT IDENTIFIER.
    pub const OID: u8 = 0x06;
    /// X.690 §8.9 SEQUENCE (constructed).
    pub const SEQUENCE: u8 = 0x30;
    /// RFC 2578 §7.1.5 IpAddress ([APPLICATION 0] IMPLICIT OCTET STRING (SIZE (4))).
    pub const IP_ADDRESS: u8 = 0x40;
    /// RFC 2578 §7.1.8 TimeTicks ([APPLICATION 3]).
    pub const TIME_TICKS: u8 = 0x43;
}

/// Why a BER read failed (stable counter names).
pub(crate) type BerError = &'static str;

/// One tag-length-value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Tlv<'a> {
    /// The identifier octet.
    pub tag: u8,
    /// The contents octets.
    pub value: &'a [u8],
}

/// A reader over the contents of one constructed value, knowing how deep it is.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Ber<'a> {
    r: Reader<'a>,
    depth: u8,
}

impl<'a> Ber<'a> {
    /// A reader over a whole message (depth 0).
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Self {
            r: Reader::new(buf),
            depth: 0,
        }
    }

    /// True when nothing is left.
    pub(crate) fn is_empty(&self) -> bool {
        self.r.is_empty()
    }

    /// The next TLV, whatever its tag.
    pub(crate) fn any(&mut self) -> Result<Tlv<'a>, BerError> {
        let at = self.r;
        let res = read_tlv(&mut self.r);
        if res.is_err() {
            self.r = at;
        }
        res
    }

    /// The next TLV, which must have `tag`.
    pub(crate) fn expect(&mut self, tag: u8) -> Result<&'a [u8], BerError> {
        let at = self.r;
        let tlv = self.any()?;
        if tlv.tag != tag {
            self.r = at;
            return Err("snmp_ber_unexpected_tag");
        }
        Ok(tlv.value)
    }

    /// Enters the next TLV, which must be constructed with `tag`: a reader over its contents,
    /// one level deeper (X.690 §8.1.2.5).
    pub(crate) fn enter(&mut self, tag: u8) -> Result<Ber<'a>, BerError> {
        let value = self.expect(tag)?;
        self.nested(value)
    }

    /// A reader one level deeper over `value` (the contents of a TLV already read, or the
    /// BER inside an OCTET STRING such as RFC 3414 msgSecurityParameters).
    pub(crate) fn nested(&self, value: &'a [u8]) -> Result<Ber<'a>, BerError> {
        if self.depth >= MAX_DEPTH {
            return Err("snmp_ber_too_deep");
        }
        Ok(Ber {
            r: Reader::new(value),
            depth: self.depth + 1,
        })
    }

    /// An INTEGER (X.690 §8.3) that fits an i64.
    pub(crate) fn integer(&mut self) -> Result<i64, BerError> {
        let at = self.r;
        let v = self.expect(tag::INTEGER)?;
        integer(v).inspect_err(|_| self.r = at)
    }
}

/// Reads one TLV (X.690 §8.1): identifier, definite length, contents.
fn read_tlv<'a>(r: &mut Reader<'a>) -> Result<Tlv<'a>, BerError> {
    let tag = r.u8().map_err(truncated)?;
    // X.690 §8.1.2.4: high tag numbers (low five bits all set) are not used by SNMP.
    if tag & 0x1f == 0x1f {
        return Err("snmp_ber_long_tag");
    }
    let first = r.u8().map_err(truncated)?;
    let len = match first {
        // X.690 §8.1.3.4 short form.
        0..=0x7f => usize::from(first),
        // X.690 §8.1.3.6 indefinite form: not allowed in SNMP (RFC 3417 §8).
        0x80 => return Err("snmp_ber_indefinite_length"),
        // X.690 §8.1.3.5 long form, here at most 4 length octets.
        0x81..=0x84 => {
            let n = usize::from(first & 0x7f);
            let bytes = r.take(n).map_err(truncated)?;
            bytes
                .iter()
                .fold(0usize, |acc, &b| (acc << 8) | usize::from(b))
        }
        _ => return Err("snmp_ber_length_too_long"),
    };
    let value = r.take(len).map_err(truncated)?;
    Ok(Tlv { tag, value })
}

fn truncated(_: ReadError) -> BerError {
    "snmp_ber_truncated"
}

/// X.690 §8.3: two's complement, big-endian, 1 to 8 octets here.
pub(crate) fn integer(v: &[u8]) -> Result<i64, BerError> {
    if v.is_empty() || v.len() > 8 {
        return Err("snmp_ber_bad_integer");
    }
    let negative = v.first().is_some_and(|b| b & 0x80 != 0);
    let init: i64 = if negative { -1 } else { 0 };
    Ok(v.iter().fold(init, |acc, &b| (acc << 8) | i64::from(b)))
}

/// X.690 §8.19: an OBJECT IDENTIFIER as dotted text. Sub-identifiers over 32 bits and OIDs over
/// [`MAX_OID_ARCS`] arcs are malformed.
pub(crate) fn oid_text(v: &[u8]) -> Result<String, BerError> {
    if v.is_empty() {
        return Err("snmp_ber_bad_oid");
    }
    let mut out = String::with_capacity(v.len() * 3);
    let mut arcs = 0usize;
    let mut acc: u64 = 0;
    let mut len = 0usize;
    for &b in v {
        len += 1;
        acc = (acc << 7) | u64::from(b & 0x7f);
        // At most 5 octets (35 bits) per sub-identifier, so `acc` cannot overflow.
        if len > 5 {
            return Err("snmp_oid_subid_too_long");
        }
        if b & 0x80 != 0 {
            continue;
        }
        if arcs == 0 {
            // X.690 §8.19.4: the first sub-identifier packs the first two arcs.
            let (x, y) = match acc {
                0..=39 => (0, acc),
                40..=79 => (1, acc - 40),
                _ => (2, acc - 80),
            };
            push_decimal(&mut out, x);
            out.push('.');
            push_decimal(&mut out, y);
            arcs = 2;
        } else {
            if acc > u64::from(u32::MAX) {
                return Err("snmp_oid_subid_too_long");
            }
            out.push('.');
            push_decimal(&mut out, acc);
            arcs += 1;
        }
        if arcs > MAX_OID_ARCS {
            return Err("snmp_oid_too_long");
        }
        acc = 0;
        len = 0;
    }
    if len != 0 {
        // The last octet still had its continuation bit set.
        return Err("snmp_ber_bad_oid");
    }
    Ok(out)
}
