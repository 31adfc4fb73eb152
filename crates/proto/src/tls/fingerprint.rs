//! Hello fingerprints: JA3 and JA3S (Salesforce, BSD-3: comma-separated fields of
//! '-'-joined decimal values, MD5) and JA4 for TLS clients (FoxIO's `technical_details/JA4.md`,
//! BSD-3 for JA4 itself). GREASE values (RFC 8701 §2) are left out of all three.

use std::fmt::Write as _;

use md5::{Digest as _, Md5};
use sha2::Sha256;

use super::handshake::{ClientHello, ServerHello, ext};
use wire::text::push_decimal;

/// RFC 8701 §2: GREASE values are 0x0A0A, 0x1A1A, …, 0xFAFA (both bytes equal, low nibble A).
pub(crate) fn is_grease(v: u16) -> bool {
    let [hi, lo] = v.to_be_bytes();
    hi == lo && lo & 0x0f == 0x0a
}

/// A fingerprint's text and digest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Ja3 {
    /// The JA3 (or JA3S) string.
    pub string: String,
    /// MD5 of the string, lowercase hex.
    pub hash: String,
}

const HEX: &[u8; 16] = b"0123456789abcdef";

fn hex(bytes: &[u8]) -> String {
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(HEX[usize::from(b >> 4)]));
        s.push(char::from(HEX[usize::from(b & 0x0f)]));
    }
    s
}

fn md5_hex(s: &str) -> String {
    hex(&Md5::digest(s.as_bytes()))
}

/// Appends `values` in decimal joined by `sep`, leaving out those `skip` says to.
fn join<T: Copy + Into<u32>>(out: &mut String, values: &[T], sep: char, skip: impl Fn(T) -> bool) {
    let mut first = true;
    for &v in values {
        if skip(v) {
            continue;
        }
        if !first {
            out.push(sep);
        }
        first = false;
        push_decimal(out, u64::from(v.into()));
    }
}

fn grease16(v: u16) -> bool {
    is_grease(v)
}

/// JA3: `SSLVersion,Ciphers,Extensions,EllipticCurves,EllipticCurvePointFormats`.
pub(crate) fn ja3(hello: &ClientHello<'_>) -> Ja3 {
    let mut s = String::with_capacity(256);
    push_decimal(&mut s, u64::from(hello.legacy_version));
    s.push(',');
    join(&mut s, &hello.ciphers, '-', grease16);
    s.push(',');
    join(&mut s, &hello.extensions, '-', grease16);
    s.push(',');
    join(&mut s, &hello.groups, '-', grease16);
    s.push(',');
    join(&mut s, &hello.point_formats, '-', |_| false);
    Ja3 {
        hash: md5_hex(&s),
        string: s,
    }
}

/// JA3S: `SSLVersion,Cipher,Extensions` of the ServerHello.
pub(crate) fn ja3s(hello: &ServerHello<'_>) -> Ja3 {
    let mut s = String::with_capacity(64);
    push_decimal(&mut s, u64::from(hello.legacy_version));
    s.push(',');
    push_decimal(&mut s, u64::from(hello.cipher));
    s.push(',');
    join(&mut s, &hello.extensions, '-', grease16);
    Ja3 {
        hash: md5_hex(&s),
        string: s,
    }
}

/// JA4 §"TLS and DTLS Version": two characters for a version.
fn ja4_version(v: u16) -> &'static str {
    match v {
        0x0304 => "13",
        0x0303 => "12",
        0x0302 => "11",
        0x0301 => "10",
        0x0300 => "s3",
        0x0002 => "s2",
        _ => "00",
    }
}

/// JA4 §"ALPN Extension Value": first and last characters of the first ALPN value, or of
/// its hex form when either end is not ASCII alphanumeric; "00" when there is none.
fn ja4_alpn(alpn: Option<&[u8]>) -> [char; 2] {
    let Some((&first, &last)) = alpn.and_then(|a| Some((a.first()?, a.last()?))) else {
        return ['0', '0'];
    };
    if first.is_ascii_alphanumeric() && last.is_ascii_alphanumeric() {
        [char::from(first), char::from(last)]
    } else {
        let digit = |n: u8| char::from_digit(u32::from(n), 16).unwrap_or('0');
        [digit(first >> 4), digit(last & 0x0f)]
    }
}

/// First 12 hex digits of SHA-256 of `s`; "000000000000" for an empty list.
fn ja4_hash(s: &str) -> String {
    if s.is_empty() {
        return "000000000000".into();
    }
    let mut h = hex(&Sha256::digest(s.as_bytes()));
    h.truncate(12);
    h
}

/// Comma-separated 4-digit lowercase hex.
fn hex_list(values: impl Iterator<Item = u16>) -> String {
    let mut s = String::with_capacity(160);
    for v in values {
        if !s.is_empty() {
            s.push(',');
        }
        for shift in [12u16, 8, 4, 0] {
            s.push(char::from(HEX[usize::from((v >> shift) & 0x0f)]));
        }
    }
    s
}

/// JA4 for a ClientHello over TCP (`t…`), e.g. `t13d1516h2_8daaf6152771_e5627efa2ab1`.
pub(crate) fn ja4(hello: &ClientHello<'_>) -> String {
    let no_grease = |l: &[u16]| {
        l.iter()
            .copied()
            .filter(|&v| !is_grease(v))
            .collect::<Vec<_>>()
    };
    let mut ciphers = no_grease(&hello.ciphers);
    let mut exts = no_grease(&hello.extensions);
    // Version: the highest supported_versions entry when the extension is there, else
    // legacy_version (the record's version is ignored).
    let version = if hello.extensions.contains(&ext::SUPPORTED_VERSIONS) {
        no_grease(&hello.supported_versions)
            .into_iter()
            .max()
            .unwrap_or(0)
    } else {
        hello.legacy_version
    };
    let sni = if exts.contains(&ext::SERVER_NAME) {
        'd'
    } else {
        'i'
    };
    let [a1, a2] = ja4_alpn(hello.alpn.first().copied());
    let mut s = String::with_capacity(36);
    let _ = write!(
        s,
        "t{}{}{:02}{:02}{}{}_",
        ja4_version(version),
        sni,
        ciphers.len().min(99),
        exts.len().min(99),
        a1,
        a2
    );
    ciphers.sort_unstable();
    s.push_str(&ja4_hash(&hex_list(ciphers.into_iter())));
    s.push('_');
    // Extensions sorted, SNI and ALPN left out (already in part a), then '_' and the
    // signature algorithms in wire order (no '_' when there are none).
    exts.retain(|&e| e != ext::SERVER_NAME && e != ext::ALPN);
    exts.sort_unstable();
    let mut c = hex_list(exts.iter().copied());
    let sigs = hex_list(
        hello
            .signature_algorithms
            .iter()
            .copied()
            .filter(|&v| !is_grease(v)),
    );
    if !c.is_empty() && !sigs.is_empty() {
        c.push('_');
        c.push_str(&sigs);
    }
    s.push_str(&ja4_hash(&c));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grease_values_are_recognised() {
        assert!(is_grease(0x0a0a));
        assert!(is_grease(0xfafa));
        assert!(!is_grease(0x0a1a));
        assert!(!is_grease(0x1301));
    }

    /// The worked example of FoxIO-LLC/ja4 `technical_details/JA4.md` ("Cipher hash",
    /// "Extension hash"): its lists and the hashes it gives for them.
    #[test]
    fn ja4_parts_match_the_spec_example() {
        let ciphers = [
            0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8, 0xc013, 0xc014,
            0x009c, 0x009d, 0x002f, 0x0035,
        ];
        let exts = [
            0x001b, 0x0000, 0x0033, 0x0010, 0x4469, 0x0017, 0x002d, 0x000d, 0x0005, 0x0023, 0x0012,
            0x002b, 0xff01, 0x000b, 0x000a, 0x0015,
        ];
        let sigs = [
            0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601,
        ];
        let hello = ClientHello {
            legacy_version: 0x0303,
            ciphers: ciphers.to_vec(),
            extensions: exts.to_vec(),
            sni: Some(b"example.com"),
            alpn: vec![b"h2", b"http/1.1"],
            signature_algorithms: sigs.to_vec(),
            supported_versions: vec![0x0a0a, 0x0304, 0x0303],
            ..ClientHello::default()
        };
        assert_eq!(ja4(&hello), "t13d1516h2_8daaf6152771_e5627efa2ab1");
        // Without signature algorithms the list is hashed without a trailing '_'.
        let hello = ClientHello {
            signature_algorithms: Vec::new(),
            ..hello
        };
        assert!(ja4(&hello).ends_with("_6d807ffa2a79"));
    }

    /// JA4.md "ALPN Extension Value": the hex examples it lists.
    #[test]
    fn ja4_alpn_non_alphanumeric_uses_hex() {
        assert_eq!(ja4_alpn(Some(&[0xab])), ['a', 'b']);
        assert_eq!(ja4_alpn(Some(&[0xab, 0xcd])), ['a', 'd']);
        assert_eq!(ja4_alpn(Some(&[0x30, 0xab])), ['3', 'b']);
        assert_eq!(ja4_alpn(Some(&[0x30, 0x31, 0xab, 0xcd])), ['3', 'd']);
        assert_eq!(ja4_alpn(Some(&[0x30, 0xab, 0xcd, 0x31])), ['0', '1']);
        assert_eq!(ja4_alpn(Some(b"http/1.1")), ['h', '1']);
        assert_eq!(ja4_alpn(Some(b"")), ['0', '0']);
        assert_eq!(ja4_alpn(None), ['0', '0']);
    }

    #[test]
    fn empty_lists_hash_to_zeros() {
        let hello = ClientHello {
            legacy_version: 0x0301,
            ..ClientHello::default()
        };
        assert_eq!(ja4(&hello), "t10i000000_000000000000_000000000000");
        assert_eq!(ja3(&hello).string, "769,,,,");
    }
}
