//! Wire text: how every parser turns bytes from the wire into a `String` it may keep.
//!
//! Lossy UTF-8, control characters replaced by U+FFFD, cut at a character boundary to a byte
//! limit (CONVENTIONS §6: 256 by default) and ended with `…` when cut, so a reader sees that it
//! was (CONVENTIONS §2). Allocates only the kept text.

/// Longest text [`wire_text`] returns, in bytes (CONVENTIONS §6 wire-string limit).
pub const MAX_TEXT_LEN: usize = 256;

/// Appended to a text cut at a length limit, so truncation is visible (CONVENTIONS §2).
pub const TRUNCATION_MARK: &str = "\u{2026}";

/// `bytes` without trailing NULs (some senders NUL-terminate or NUL-pad strings).
pub fn trim_nuls(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().rposition(|&b| b != 0).map_or(0, |i| i + 1);
    &bytes[..end]
}

/// `bytes` as text: trailing NULs dropped, invalid UTF-8 and control characters replaced by
/// U+FFFD, cut to [`MAX_TEXT_LEN`] bytes and ended with `…` when longer.
pub fn wire_text(bytes: &[u8]) -> String {
    wire_text_limited(bytes, MAX_TEXT_LEN)
}

/// [`wire_text`] with another byte limit (at least the mark's 3 bytes).
pub fn wire_text_limited(bytes: &[u8], limit: usize) -> String {
    let limit = limit.max(TRUNCATION_MARK.len());
    let bytes = trim_nuls(bytes);
    // Fast path: what devices send is nearly always printable ASCII (0x20..=0x7e: no control
    // characters, one byte per character), which needs no decoding or replacement. Cut at
    // `limit - mark` bytes, exactly where the general path below cuts ASCII.
    if bytes.iter().all(|b| (0x20..0x7f).contains(b)) {
        let keep = if bytes.len() <= limit {
            bytes.len()
        } else {
            limit - TRUNCATION_MARK.len()
        };
        let mut out = String::with_capacity(keep + 3 * usize::from(keep < bytes.len()));
        // Printable ASCII is valid UTF-8.
        out.push_str(std::str::from_utf8(&bytes[..keep]).unwrap_or_default());
        if keep < bytes.len() {
            out.push_str(TRUNCATION_MARK);
        }
        return out;
    }
    general_text(bytes, limit)
}

/// [`wire_text_limited`] for any bytes: lossy UTF-8, control characters replaced.
fn general_text(bytes: &[u8], limit: usize) -> String {
    let text = String::from_utf8_lossy(bytes);
    let clean = |c: char| if c.is_control() { '\u{fffd}' } else { c };
    let total: usize = text.chars().map(|c| clean(c).len_utf8()).sum();
    let budget = if total <= limit {
        limit
    } else {
        limit - TRUNCATION_MARK.len()
    };
    let mut out = String::with_capacity(total.min(limit));
    for c in text.chars().map(clean) {
        if out.len() + c.len_utf8() > budget {
            break;
        }
        out.push(c);
    }
    if total > limit {
        out.push_str(TRUNCATION_MARK);
    }
    out
}

/// `bytes` with ASCII whitespace (and NULs) trimmed at both ends, then as [`wire_text`]:
/// for header values, banners and padded fixed-width fields (DICOM, HL7).
pub fn trimmed_text(bytes: &[u8]) -> String {
    wire_text(trim_ascii(bytes))
}

/// Appends `v` in decimal, digit by digit rather than through `core::fmt`: parsers build
/// numbers into text per message (OID arcs, fingerprints) and the formatter's machinery was
/// most of that cost.
pub fn push_decimal(out: &mut String, mut v: u64) {
    let mut digits = [0u8; 20];
    let mut n = 0;
    loop {
        digits[n] = b'0' + (v % 10) as u8;
        n += 1;
        v /= 10;
        if v == 0 {
            break;
        }
    }
    for &d in digits[..n].iter().rev() {
        out.push(char::from(d));
    }
}

/// Appends `bytes` as lowercase hex digit pairs, `separator` between pairs when given
/// (`00:0b:82` for hardware addresses and client ids as EVE writes them, `000b82` for ids).
pub fn push_hex(out: &mut String, bytes: &[u8], separator: Option<char>) {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    for (i, b) in bytes.iter().enumerate() {
        if let (Some(sep), true) = (separator, i > 0) {
            out.push(sep);
        }
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
}

/// Position of the first `needle` in `hay` (0 for an empty needle).
pub fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    if needle.is_empty() {
        return Some(0);
    }
    hay.windows(needle.len()).position(|w| w == needle)
}

/// `bytes` without leading and trailing ASCII whitespace or NULs.
pub fn trim_ascii(bytes: &[u8]) -> &[u8] {
    let is_pad = |b: &u8| b.is_ascii_whitespace() || *b == 0;
    let start = bytes.iter().position(|b| !is_pad(b)).unwrap_or(bytes.len());
    let end = bytes
        .iter()
        .rposition(|b| !is_pad(b))
        .map_or(start, |i| i + 1);
    &bytes[start..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_cut_at_a_char_boundary_and_marked() {
        assert_eq!(wire_text(&[b'a'; 255]), "a".repeat(255));
        assert_eq!(wire_text(&[b'a'; 256]), "a".repeat(256));
        let cut = wire_text(&[b'a'; 300]);
        assert_eq!(cut.len(), 256);
        assert!(cut.ends_with(TRUNCATION_MARK));
        // 'é' is two bytes: never split.
        let cut = wire_text_limited("éééé".as_bytes(), 6);
        assert_eq!(cut, "é\u{2026}");
    }

    #[test]
    fn control_characters_and_bad_utf8_are_replaced() {
        assert_eq!(wire_text(b"pc\n01\0\0"), "pc\u{fffd}01");
        assert_eq!(wire_text(b"a\xffb"), "a\u{fffd}b");
    }

    #[test]
    fn ascii_fast_path_cuts_like_the_general_path() {
        let printable: Vec<u8> = (0x20..0x7f).collect();
        for len in [
            0, 1, 2, 3, 4, 5, 9, 10, 11, 95, 200, 255, 256, 257, 300, 1000,
        ] {
            let bytes: Vec<u8> = printable.iter().copied().cycle().take(len).collect();
            for limit in [3, 4, 5, 10, 256] {
                assert_eq!(
                    wire_text_limited(&bytes, limit),
                    general_text(&bytes, limit),
                    "len {len} limit {limit}"
                );
            }
        }
    }

    #[test]
    fn hex_matches_the_formatter() {
        let bytes = [0x00, 0x0b, 0x82, 0xff];
        let mut plain = String::new();
        push_hex(&mut plain, &bytes, None);
        assert_eq!(plain, "000b82ff");
        let mut colons = String::new();
        push_hex(&mut colons, &bytes, Some(':'));
        let expected: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(colons, expected.join(":"));
        let mut empty = String::new();
        push_hex(&mut empty, &[], Some(':'));
        assert!(empty.is_empty());
    }

    #[test]
    fn find_locates_the_first_occurrence() {
        assert_eq!(find(b"a</X>b</X>", b"</X>"), Some(1));
        assert_eq!(find(b"abc", b""), Some(0));
        assert_eq!(find(b"ab", b"abc"), None);
        assert_eq!(find(b"", b"a"), None);
    }

    #[test]
    fn decimal_matches_the_formatter() {
        for v in [0, 1, 9, 10, 99, 100, 65_535, 4_294_967_295, u64::MAX] {
            let mut s = String::from("x");
            push_decimal(&mut s, v);
            assert_eq!(s, format!("x{v}"));
        }
    }

    #[test]
    fn trimming_removes_padding_on_both_ends() {
        assert_eq!(trimmed_text(b"  STORESCP \0"), "STORESCP");
        assert_eq!(trim_ascii(b"   "), b"");
        assert_eq!(trim_ascii(b""), b"");
    }
}
