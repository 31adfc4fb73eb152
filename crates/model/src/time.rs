//! Capture timestamps: nanoseconds since the Unix epoch, printed as RFC 3339 UTC.

use std::fmt;

/// Nanoseconds since 1970-01-01T00:00:00Z. Signed so that odd capture headers (negative
/// offsets) stay representable; i64 nanoseconds reach the year 2262, past pcap's 2106 limit.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Debug)]
pub struct Timestamp(pub i64);

/// How many fractional digits a capture's clock really has.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Debug)]
pub enum TsPrecision {
    /// Whole seconds.
    Seconds,
    /// Milliseconds (3 digits).
    Milli,
    /// Microseconds (6 digits): classic pcap.
    #[default]
    Micro,
    /// Nanoseconds (9 digits): nanosecond pcap, most pcapng.
    Nano,
}

impl TsPrecision {
    /// Fractional digits printed for this precision.
    pub const fn digits(self) -> usize {
        match self {
            Self::Seconds => 0,
            Self::Milli => 3,
            Self::Micro => 6,
            Self::Nano => 9,
        }
    }

    /// The precision that shows `digits` fractional digits without losing any (rounded up).
    pub const fn from_digits(digits: u32) -> Self {
        match digits {
            0 => Self::Seconds,
            1..=3 => Self::Milli,
            4..=6 => Self::Micro,
            _ => Self::Nano,
        }
    }
}

impl Timestamp {
    /// Seconds plus nanoseconds, saturating at the representable range.
    pub fn from_parts(secs: i64, nanos: u32) -> Self {
        Self(
            secs.saturating_mul(1_000_000_000)
                .saturating_add(i64::from(nanos)),
        )
    }

    /// Whole seconds since the epoch (floor).
    pub const fn secs(self) -> i64 {
        self.0.div_euclid(1_000_000_000)
    }

    /// Nanoseconds past [`Self::secs`].
    pub const fn subsec_nanos(self) -> u32 {
        self.0.rem_euclid(1_000_000_000) as u32
    }

    /// RFC 3339 text in UTC with `precision` fractional digits, e.g. `2026-11-20T08:00:00.000001Z`.
    pub fn rfc3339(self, precision: TsPrecision) -> Rfc3339 {
        Rfc3339(self, precision)
    }

    /// Reads a whole-second UTC time, `YYYY-MM-DDTHH:MM:SSZ` (what [`Self::rfc3339`] writes
    /// with [`TsPrecision::Seconds`]); `None` for anything else or an impossible date.
    pub fn parse_rfc3339_seconds(text: &str) -> Option<Self> {
        let b = text.as_bytes();
        let shape = b.len() == 20
            && [4, 7].iter().all(|&i| b[i] == b'-')
            && b[10] == b'T'
            && [13, 16].iter().all(|&i| b[i] == b':')
            && b[19] == b'Z';
        if !shape {
            return None;
        }
        let num = |from: usize, to: usize| -> Option<i64> {
            let digits = &b[from..to];
            digits.iter().all(u8::is_ascii_digit).then(|| {
                digits
                    .iter()
                    .fold(0i64, |n, d| n * 10 + i64::from(d - b'0'))
            })
        };
        let (y, m, d) = (num(0, 4)?, num(5, 7)?, num(8, 10)?);
        let (hh, mm, ss) = (num(11, 13)?, num(14, 16)?, num(17, 19)?);
        if !(1..=12).contains(&m) || d < 1 || hh > 23 || mm > 59 || ss > 59 {
            return None;
        }
        let days = days_from_civil(y, m as u32, d as u32);
        // An impossible day (Feb 30) comes back as another date.
        if civil_from_days(days) != (y, m as u32, d as u32) {
            return None;
        }
        Some(Self::from_parts(
            days * 86_400 + hh * 3600 + mm * 60 + ss,
            0,
        ))
    }
}

/// Display adapter returned by [`Timestamp::rfc3339`].
#[derive(Debug, Clone, Copy)]
pub struct Rfc3339(Timestamp, TsPrecision);

impl fmt::Display for Rfc3339 {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.0.secs();
        let days = secs.div_euclid(86_400);
        let rem = secs.rem_euclid(86_400);
        let (y, m, d) = civil_from_days(days);
        let digits = self.1.digits();
        let frac = self.0.subsec_nanos() / 10u32.pow(9 - digits as u32);
        // Reports print a timestamp per address and device: digits written directly.
        // `YYYY-MM-DDTHH:MM:SS` + `.` + up to 9 digits + `Z`. Nanoseconds in an i64 span
        // the years 1677–2262, so four year digits always suffice.
        let mut text = [0u8; 30];
        put_digits(&mut text[0..4], y as u64);
        text[4] = b'-';
        put_digits(&mut text[5..7], u64::from(m));
        text[7] = b'-';
        put_digits(&mut text[8..10], u64::from(d));
        text[10] = b'T';
        put_digits(&mut text[11..13], (rem / 3600) as u64);
        text[13] = b':';
        put_digits(&mut text[14..16], (rem % 3600 / 60) as u64);
        text[16] = b':';
        put_digits(&mut text[17..19], (rem % 60) as u64);
        let mut len = 19;
        if digits > 0 {
            text[19] = b'.';
            put_digits(&mut text[20..20 + digits], u64::from(frac));
            len = 20 + digits;
        }
        text[len] = b'Z';
        // Only ASCII digits and separators were written.
        f.write_str(std::str::from_utf8(&text[..=len]).map_err(|_| fmt::Error)?)
    }
}

/// Writes `value` as exactly `out.len()` decimal digits, zero-padded (higher digits dropped).
fn put_digits(out: &mut [u8], mut value: u64) {
    for digit in out.iter_mut().rev() {
        *digit = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

/// Days since 1970-01-01 → proleptic Gregorian (year, month, day). Howard Hinnant's
/// `civil_from_days` (public domain, <http://howardhinnant.github.io/date_algorithms.html>).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (if m <= 2 { y + 1 } else { y }, m, d)
}

/// Proleptic Gregorian (year, month, day) → days since 1970-01-01: the inverse of
/// [`civil_from_days`] (Howard Hinnant's `days_from_civil`, same source).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let mp = i64::from(if m > 2 { m - 3 } else { m + 9 });
    let doy = (153 * mp + 2) / 5 + i64::from(d) - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_it_formats_in_whole_seconds() {
        for secs in [
            0i64,
            951_782_400,
            1_767_600_000,
            4_102_444_799,
            7_258_118_399,
        ] {
            let t = Timestamp::from_parts(secs, 0);
            let text = t.rfc3339(TsPrecision::Seconds).to_string();
            assert_eq!(Timestamp::parse_rfc3339_seconds(&text), Some(t), "{text}");
        }
        for bad in [
            "2026-02-30T00:00:00Z",
            "2026-13-01T00:00:00Z",
            "2026-01-01T24:00:00Z",
            "2026-01-01 00:00:00Z",
            "2026-01-01T00:00:00",
            "2026-01-01T00:00:00.5Z",
            "+026-01-01T00:00:00Z",
        ] {
            assert_eq!(Timestamp::parse_rfc3339_seconds(bad), None, "{bad}");
        }
    }

    #[test]
    fn formats_epoch_and_precision() {
        let t = Timestamp::from_parts(0, 1_000);
        assert_eq!(
            t.rfc3339(TsPrecision::Micro).to_string(),
            "1970-01-01T00:00:00.000001Z"
        );
        assert_eq!(
            t.rfc3339(TsPrecision::Seconds).to_string(),
            "1970-01-01T00:00:00Z"
        );
        assert_eq!(
            t.rfc3339(TsPrecision::Nano).to_string(),
            "1970-01-01T00:00:00.000001000Z"
        );
    }

    #[test]
    fn formats_leap_day_and_far_future() {
        // 2024-02-29T12:34:56Z = 1709210096
        let t = Timestamp::from_parts(1_709_210_096, 0);
        assert_eq!(
            t.rfc3339(TsPrecision::Seconds).to_string(),
            "2024-02-29T12:34:56Z"
        );
        // pcap's unsigned 32-bit seconds end in 2106.
        let t = Timestamp::from_parts(u32::MAX as i64, 0);
        assert_eq!(
            t.rfc3339(TsPrecision::Seconds).to_string(),
            "2106-02-07T06:28:15Z"
        );
    }

    /// The digit-writing path agrees with `format!` over the whole i64 range (1677–2262)
    /// and every precision.
    #[test]
    fn direct_digits_match_general_formatting() {
        let reference = |t: Timestamp, p: TsPrecision| {
            let secs = t.secs();
            let (y, m, d) = civil_from_days(secs.div_euclid(86_400));
            let rem = secs.rem_euclid(86_400);
            let mut s = format!(
                "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}",
                rem / 3600,
                rem % 3600 / 60,
                rem % 60
            );
            let digits = p.digits();
            if digits > 0 {
                let frac = t.subsec_nanos() / 10u32.pow(9 - digits as u32);
                s += &format!(".{frac:0digits$}");
            }
            s + "Z"
        };
        let mut x = 0x9e37_79b9_7f4a_7c15u64;
        let mut times = vec![Timestamp(i64::MIN), Timestamp(i64::MAX), Timestamp(0)];
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            times.push(Timestamp(x as i64));
        }
        for t in times {
            for p in [
                TsPrecision::Seconds,
                TsPrecision::Milli,
                TsPrecision::Micro,
                TsPrecision::Nano,
            ] {
                assert_eq!(t.rfc3339(p).to_string(), reference(t, p));
            }
        }
        assert_eq!(
            Timestamp(i64::MIN).rfc3339(TsPrecision::Nano).to_string(),
            "1677-09-21T00:12:43.145224192Z"
        );
    }

    #[test]
    fn negative_times_floor() {
        let t = Timestamp(-1);
        assert_eq!(t.secs(), -1);
        assert_eq!(t.subsec_nanos(), 999_999_999);
        assert_eq!(
            t.rfc3339(TsPrecision::Nano).to_string(),
            "1969-12-31T23:59:59.999999999Z"
        );
    }
}
