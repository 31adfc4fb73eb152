//! What a server certificate says about its server (RFC 5280 §4.1): names, validity, serial,
//! key, and the SHA-256 of its DER. Decoding is x509-parser's (zero-copy, fuzzed); the caller
//! caps the input at [`super::handshake::MAX_CERT_LEN`].

use std::fmt::Write as _;

use sha2::{Digest as _, Sha256};
use wire::text::wire_text;
use x509_parser::oid_registry;
use x509_parser::prelude::{FromDer as _, X509Certificate};
use x509_parser::public_key::PublicKey;

/// The leaf certificate's facts, already made text (wire text: lossy, truncated).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct CertSummary {
    /// Subject, as Suricata's EVE `tls.subject` prints it: `C=US, O=…, CN=…` (RFC 4514
    /// attribute names, in certificate order).
    pub subject: String,
    /// Issuer, same form.
    pub issuer: String,
    /// Serial number, EVE form: uppercase hex bytes joined by ':'.
    pub serial: String,
    /// notBefore, seconds since the epoch (RFC 5280 §4.1.2.5).
    pub not_before: i64,
    /// notAfter, seconds since the epoch.
    pub not_after: i64,
    /// notAfter as RFC 3339 UTC (the `tls.cert_not_after` fact, made once per certificate).
    pub not_after_text: String,
    /// Issuer name equals subject name (RFC 5280 §6.1: a self-issued certificate; no
    /// signature check).
    pub self_signed: bool,
    /// `RSA`, `EC`, `Ed25519`, `Ed448`, `DSA` or `unknown`.
    pub key_type: &'static str,
    /// Key size in bits (RSA modulus, EC field, 0 when unknown).
    pub key_bits: u32,
    /// SHA-256 of the DER, lowercase hex bytes joined by ':' (empty unless asked for: only
    /// the event carries it).
    pub sha256: String,
}

/// Summarises one DER certificate, its SHA-256 only when `sha256`; the reason names the
/// failure.
pub(crate) fn summarize(der: &[u8], sha256: bool) -> Result<CertSummary, &'static str> {
    let (_, cert) = X509Certificate::from_der(der).map_err(|_| "tls_bad_certificate")?;
    let (key_type, key_bits) = key(&cert);
    let mut serial = String::new();
    for (i, b) in cert.raw_serial().iter().enumerate() {
        if i > 0 {
            serial.push(':');
        }
        let _ = write!(serial, "{b:02X}");
    }
    let sha256 = if sha256 {
        fingerprint_sha256(der)
    } else {
        String::new()
    };
    let not_after = cert.validity().not_after.timestamp();
    Ok(CertSummary {
        subject: wire_text(cert.subject().to_string().as_bytes()),
        issuer: wire_text(cert.issuer().to_string().as_bytes()),
        serial: wire_text(serial.as_bytes()),
        not_before: cert.validity().not_before.timestamp(),
        not_after,
        not_after_text: rfc3339(not_after),
        self_signed: cert.subject().as_raw() == cert.issuer().as_raw(),
        key_type,
        key_bits,
        sha256,
    })
}

/// SHA-256 of the DER, lowercase hex bytes joined by ':'.
fn fingerprint_sha256(der: &[u8]) -> String {
    let mut s = String::with_capacity(95);
    for (i, b) in Sha256::digest(der).iter().enumerate() {
        if i > 0 {
            s.push(':');
        }
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Key algorithm and size from the SubjectPublicKeyInfo (RFC 5280 §4.1.2.7).
fn key(cert: &X509Certificate<'_>) -> (&'static str, u32) {
    let spki = cert.public_key();
    let alg = &spki.algorithm.algorithm;
    // RFC 8410 §3: Ed25519 and Ed448 keys are identified by their algorithm alone.
    if *alg == oid_registry::OID_SIG_ED25519 {
        return ("Ed25519", 256);
    }
    if *alg == oid_registry::OID_SIG_ED448 {
        return ("Ed448", 456);
    }
    match spki.parsed() {
        Ok(PublicKey::RSA(rsa)) => ("RSA", bit_length(rsa.modulus)),
        Ok(PublicKey::EC(ec)) => ("EC", u32::try_from(ec.key_size()).unwrap_or(0)),
        Ok(PublicKey::DSA(y)) => ("DSA", bit_length(y)),
        _ => ("unknown", 0),
    }
}

/// Bits of a big-endian unsigned integer, leading zeros (DER's sign byte) not counted.
/// (x509-parser's `RSAPublicKey::key_size` assumes a sign byte is always present.)
fn bit_length(be: &[u8]) -> u32 {
    let Some(start) = be.iter().position(|&b| b != 0) else {
        return 0;
    };
    let bytes = u32::try_from(be.len() - start).unwrap_or(u32::MAX / 8);
    let lead = be.get(start).map_or(0, |b| b.leading_zeros());
    bytes.saturating_mul(8).saturating_sub(lead)
}

/// Seconds since the epoch as `YYYY-MM-DDTHH:MM:SS` (UTC, no zone: EVE's `notbefore`).
/// Years outside 0..=9999 (not valid X.509 times) are clamped.
pub(crate) fn eve_time(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (y, m, d) = civil_from_days(days);
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}",
        y.clamp(0, 9999),
        m,
        d,
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Seconds since the epoch as RFC 3339 UTC (`…Z`).
pub(crate) fn rfc3339(secs: i64) -> String {
    let mut s = eve_time(secs);
    s.push('Z');
    s
}

/// Days since 1970-01-01 to (year, month, day), proleptic Gregorian (H. Hinnant's
/// `civil_from_days`).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z.clamp(-1_000_000_000, 1_000_000_000) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_printed_in_utc() {
        assert_eq!(eve_time(0), "1970-01-01T00:00:00");
        assert_eq!(rfc3339(1_767_225_600), "2026-01-01T00:00:00Z");
        // RFC 5280 §4.1.2.5: 99991231235959Z means "no expiry".
        assert_eq!(eve_time(253_402_300_799), "9999-12-31T23:59:59");
        assert_eq!(eve_time(951_782_400), "2000-02-29T00:00:00");
    }

    #[test]
    fn bit_length_ignores_sign_bytes() {
        assert_eq!(bit_length(&[0x00, 0x80, 0x00]), 16);
        assert_eq!(bit_length(&[0x7f, 0xff]), 15);
        assert_eq!(bit_length(&[0, 0]), 0);
        assert_eq!(bit_length(&[]), 0);
    }
}
