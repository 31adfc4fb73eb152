//! TOTP second factors (RFC 6238 over RFC 4226 HOTP; HMAC-SHA1, 6 digits, 30-second steps:
//! what every authenticator app reads from an `otpauth://` URI). A code is accepted for the
//! current step and one step either side (clock drift, RFC 6238 §5.2), and only for a step
//! later than the last one accepted: a code seen once is refused on replay.

use password_hash::rand_core::{OsRng, RngCore};
use totp_rs::{Algorithm, TOTP};

/// Seconds per step.
pub const STEP: u64 = 30;
/// Digits per code.
pub const DIGITS: usize = 6;
/// Secret length: 160 bits, RFC 4226 §4's recommendation.
pub const SECRET_BYTES: usize = 20;
/// The issuer authenticator apps show.
pub const ISSUER: &str = "wardline";

/// A fresh random secret.
pub fn new_secret() -> Vec<u8> {
    let mut s = vec![0u8; SECRET_BYTES];
    OsRng.fill_bytes(&mut s);
    s
}

fn totp(secret: &[u8], account: &str) -> TOTP {
    TOTP::new_unchecked(
        Algorithm::SHA1,
        DIGITS,
        1,
        STEP,
        secret.to_vec(),
        Some(ISSUER.to_string()),
        account.to_string(),
    )
}

/// The `otpauth://totp/…` enrolment URI (the secret in base32): shown once, to the user.
pub fn enrolment_uri(secret: &[u8], account: &str) -> String {
    totp(secret, account).get_url()
}

/// The code an authenticator enrolled with `uri` (an `otpauth://totp/…` URI) shows at
/// `unix_seconds`: for scripts and tests that sign in as a person would.
pub fn code_from_uri(uri: &str, unix_seconds: u64) -> Option<String> {
    TOTP::from_url_unchecked(uri)
        .ok()
        .map(|t| t.generate(unix_seconds))
}

/// The code for the step holding `unix_seconds`.
pub fn code_at(secret: &[u8], unix_seconds: u64) -> String {
    totp(secret, "").generate(unix_seconds)
}

/// The step `code` is valid for at `unix_seconds` (within ±1 step), if it is later than
/// `last_step` (the last one accepted); `None` for a wrong, stale or replayed code.
pub fn accept(secret: &[u8], code: &str, unix_seconds: u64, last_step: Option<i64>) -> Option<i64> {
    let code = code.trim();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let now = (unix_seconds / STEP) as i64;
    let t = totp(secret, "");
    (now - 1..=now + 1)
        .filter(|&step| step >= 0 && last_step.is_none_or(|last| step > last))
        .find(|&step| constant_time_eq(t.generate(step as u64 * STEP).as_bytes(), code.as_bytes()))
}

/// Compares without stopping at the first difference.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 Appendix B, SHA-1 column, cut to 6 digits (the code is the low digits).
    #[test]
    fn codes_match_the_rfc_6238_test_vectors() {
        let secret = b"12345678901234567890";
        for (t, code8) in [
            (59u64, "94287082"),
            (1_111_111_109, "07081804"),
            (1_111_111_111, "14050471"),
            (1_234_567_890, "89005924"),
            (2_000_000_000, "69279037"),
            (20_000_000_000, "65353130"),
        ] {
            assert_eq!(code_at(secret, t), code8[2..], "T = {t}");
        }
    }

    #[test]
    fn drift_of_one_step_is_accepted_and_a_replay_is_not() {
        let secret = new_secret();
        let now = 1_800_000_000;
        let code = code_at(&secret, now);
        let step = accept(&secret, &code, now, None).expect("current code");
        assert_eq!(step, (now / STEP) as i64);
        assert_eq!(
            accept(&secret, &code, now, Some(step)),
            None,
            "replay refused"
        );
        assert!(accept(&secret, &code_at(&secret, now - STEP), now, None).is_some());
        assert!(accept(&secret, &code_at(&secret, now + STEP), now, None).is_some());
        assert_eq!(
            accept(&secret, &code_at(&secret, now - 2 * STEP), now, None),
            None
        );
        assert_eq!(accept(&secret, "12345", now, None), None);
        assert_eq!(accept(&secret, "abcdef", now, None), None);
        let uri = enrolment_uri(&secret, "ann");
        assert!(uri.starts_with("otpauth://totp/wardline:ann?"), "{uri}");
        assert_eq!(code_from_uri(&uri, now).as_deref(), Some(code.as_str()));
        assert!(uri.contains("issuer=wardline"), "{uri}");
    }
}
