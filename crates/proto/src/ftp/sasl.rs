//! SASL exchanges in cleartext, shared by SMTP AUTH (RFC 4954), POP3 AUTH (RFC 5034) and IMAP
//! AUTHENTICATE (RFC 9051 §6.2.2): which mechanism, whether a user name was sent, and when the
//! secret crossed the wire. Responses are base64 (RFC 4648 §4); they are decoded one byte at
//! a time into counters, so no decoded byte (user name or password) is ever kept.

use model::{ExposureKind, Side};
use serde_json::{Map, Value, json};

use super::lines::eq_ci;
use crate::out::Out;

/// A SASL mechanism (RFC 4422 §3.1 names).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Mech {
    /// RFC 4616: `[authzid] NUL authcid NUL passwd` in one response.
    Plain,
    /// draft-murchison-sasl-login: user name, then password, each its own response.
    Login,
    /// RFC 2195: `user SP hex-digest`, one response to the server's challenge.
    CramMd5,
    /// Google's XOAUTH2: `user=name ^A auth=Bearer token ^A ^A`, a bearer token in one
    /// response.
    XOauth2,
    /// RFC 7628 OAUTHBEARER: `gs2-header ^A auth=Bearer token ^A ^A` (`a=name` in the header).
    OAuthBearer,
    /// Anything else: no credential reported.
    Other,
}

impl Mech {
    /// The mechanism a command names.
    pub(crate) fn from_name(name: &[u8]) -> Self {
        if eq_ci(name, b"PLAIN") {
            Self::Plain
        } else if eq_ci(name, b"LOGIN") {
            Self::Login
        } else if eq_ci(name, b"CRAM-MD5") {
            Self::CramMd5
        } else if eq_ci(name, b"XOAUTH2") {
            Self::XOauth2
        } else if eq_ci(name, b"OAUTHBEARER") {
            Self::OAuthBearer
        } else {
            Self::Other
        }
    }

    /// Stable name for subjects and events (never the wire text of an unknown one).
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Self::Plain => "PLAIN",
            Self::Login => "LOGIN",
            Self::CramMd5 => "CRAM-MD5",
            Self::XOauth2 => "XOAUTH2",
            Self::OAuthBearer => "OAUTHBEARER",
            Self::Other => "other",
        }
    }

    /// The exposure's field: a cleartext password or token, or the mechanism of a digest.
    pub(crate) fn field(self) -> &'static str {
        match self {
            Self::Plain | Self::Login => "password",
            Self::XOauth2 | Self::OAuthBearer => "token",
            Self::CramMd5 | Self::Other => self.as_str(),
        }
    }
}

/// One SASL exchange in progress: what has been learnt, never what was sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sasl {
    pub mech: Mech,
    /// Client responses seen so far.
    responses: u8,
    /// Whether a non-empty user name was sent (once known).
    pub user_present: Option<bool>,
    /// The secret (or digest) was sent: the exposure is reported.
    pub credential: bool,
    /// The client cancelled with `*` (RFC 4954 §4, RFC 9051 §6.2.2).
    pub cancelled: bool,
}

/// What one client response was.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    /// Nothing to report yet.
    More,
    /// The credential crossed the wire now: report it.
    Credential,
    /// Not base64: the exchange is malformed (still reported if it carried the secret).
    Malformed,
}

impl Sasl {
    /// An exchange started by a command naming `mech`.
    pub(crate) fn new(mech: Mech) -> Self {
        Self {
            mech,
            responses: 0,
            user_present: None,
            credential: false,
            cancelled: false,
        }
    }

    /// Reports what one client response revealed (`step`, after this exchange took it in):
    /// the anomaly `malformed` when it was not base64, and the cleartext-credentials exposure
    /// (subject `"{command} {mechanism}"`, e.g. `SMTP AUTH PLAIN`) when the secret crossed.
    pub(crate) fn report(
        &self,
        step: Step,
        command: &str,
        malformed: &'static str,
        out: &mut Out<'_>,
    ) {
        if step == Step::Malformed {
            out.anomaly(malformed);
        }
        if step == Step::Credential || (step == Step::Malformed && self.credential) {
            let subject = format!("{command} {}", self.mech.as_str());
            out.exposure(
                ExposureKind::CleartextCredentials,
                Side::Client,
                &subject,
                vec![self.mech.field().into()],
                self.user_present,
            );
        }
    }

    /// One client response (a whole line, or the command's initial response, RFC 4954 §4 /
    /// RFC 4959). `=` is an empty initial response.
    pub(crate) fn response(&mut self, line: &[u8]) -> Step {
        let line = line.trim_ascii();
        if line == b"*" {
            self.cancelled = true;
            return Step::More;
        }
        let line: &[u8] = if line == b"=" { b"" } else { line };
        self.responses = self.responses.saturating_add(1);
        match (self.mech, self.responses) {
            (Mech::Plain, 1) => {
                // RFC 4616 §2: message = [authzid] UTF8NUL authcid UTF8NUL passwd.
                let mut nuls = 0u8;
                let mut authcid = 0usize;
                let ok = decode(line, |b| {
                    if b == 0 {
                        nuls = nuls.saturating_add(1);
                    } else if nuls == 1 {
                        authcid += 1;
                    }
                });
                self.user_present = Some(authcid > 0);
                self.credential = true;
                if ok && nuls == 2 {
                    Step::Credential
                } else {
                    Step::Malformed
                }
            }
            (Mech::Login, 1) => {
                let mut len = 0usize;
                let ok = decode(line, |_| len += 1);
                self.user_present = Some(len > 0);
                if ok { Step::More } else { Step::Malformed }
            }
            (Mech::Login, 2) => {
                self.credential = true;
                if decode(line, |_| {}) {
                    Step::Credential
                } else {
                    Step::Malformed
                }
            }
            (Mech::CramMd5, 1) => {
                // RFC 2195 §2: user name, SP, 32 hex digits.
                let (mut user, mut spaced) = (0usize, false);
                let ok = decode(line, |b| {
                    if b == b' ' {
                        spaced = true;
                    } else if !spaced {
                        user += 1;
                    }
                });
                self.user_present = Some(user > 0);
                self.credential = true;
                if ok && spaced {
                    Step::Credential
                } else {
                    Step::Malformed
                }
            }
            (Mech::XOauth2 | Mech::OAuthBearer, 1) => {
                // XOAUTH2 fields are split by ^A, the key "user"; OAUTHBEARER's GS2 header
                // (RFC 7628 §3.1, RFC 5801 §4) by ",", the key "a". Only the value's length
                // is counted.
                let (sep, key): (u8, &[u8]) = if self.mech == Mech::XOauth2 {
                    (1, b"user=")
                } else {
                    (b',', b"a=")
                };
                let mut field = KeyValue::new(key);
                let mut auth = 0usize;
                let ok = decode(line, |b| {
                    if b == 1 {
                        auth += 1;
                    }
                    if auth == 0 || sep == 1 {
                        field.push(b, sep);
                    }
                });
                self.user_present = Some(field.value_len > 0);
                self.credential = true;
                if ok && auth > 0 {
                    Step::Credential
                } else {
                    Step::Malformed
                }
            }
            _ => Step::More,
        }
    }
}

/// Measures the value of `key=` in a stream of `sep`-separated fields, byte by byte.
#[derive(Debug)]
struct KeyValue<'k> {
    key: &'k [u8],
    /// Bytes of the current field read so far.
    pos: usize,
    /// The current field starts with the key.
    matching: bool,
    value_len: usize,
}

impl<'k> KeyValue<'k> {
    fn new(key: &'k [u8]) -> Self {
        Self {
            key,
            pos: 0,
            matching: true,
            value_len: 0,
        }
    }

    fn push(&mut self, b: u8, sep: u8) {
        if b == sep {
            self.pos = 0;
            self.matching = true;
            return;
        }
        if self.matching {
            match self.key.get(self.pos) {
                Some(&k) => self.matching = k == b,
                None => self.value_len += 1,
            }
        }
        self.pos = self.pos.saturating_add(1);
    }
}

/// Decodes base64 (RFC 4648 §4) one byte at a time into `each`; false on a character outside
/// the alphabet. Padding and a final partial group are accepted.
fn decode(text: &[u8], mut each: impl FnMut(u8)) -> bool {
    let mut acc = 0u32;
    let mut bits = 0u32;
    for &c in text {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            b'=' => break,
            _ => return false,
        };
        acc = (acc << 6 | u32::from(v)) & 0xff_ffff;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            each((acc >> bits) as u8);
        }
    }
    true
}

/// The login event POP3 and IMAP report (one per login command): `command`, `mechanism`
/// (a SASL exchange only), `user_present`, `status` (the reply's status word, absent when no
/// reply was seen), `login` (`"accepted"` when `status` is `accepted`, `"rejected"`,
/// `"cancelled"`, `"no_reply"`) and `starttls_offered`.
pub(crate) fn login_event(
    out: &mut Out<'_>,
    command: &'static str,
    sasl: Option<Sasl>,
    user_present: Option<bool>,
    status: Option<&'static str>,
    accepted: &str,
    tls_offered: bool,
) {
    if !out.events_enabled() {
        return;
    }
    let login = match status {
        _ if sasl.is_some_and(|s| s.cancelled) => "cancelled",
        None => "no_reply",
        Some(s) if s == accepted => "accepted",
        Some(_) => "rejected",
    };
    let mut o = Map::new();
    o.insert("command".into(), json!(command));
    if let Some(s) = sasl {
        o.insert("mechanism".into(), json!(s.mech.as_str()));
    }
    if let Some(u) = user_present {
        o.insert("user_present".into(), Value::Bool(u));
    }
    if let Some(s) = status {
        o.insert("status".into(), json!(s));
    }
    o.insert("login".into(), json!(login));
    o.insert("starttls_offered".into(), Value::Bool(tls_offered));
    out.event(o);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_decodes_rfc4648_vectors() {
        // RFC 4648 §10 test vectors.
        for (enc, dec) in [
            (&b""[..], &b""[..]),
            (b"Zg==", b"f"),
            (b"Zm8=", b"fo"),
            (b"Zm9v", b"foo"),
            (b"Zm9vYg==", b"foob"),
            (b"Zm9vYmE=", b"fooba"),
            (b"Zm9vYmFy", b"foobar"),
        ] {
            let mut got = Vec::new();
            assert!(decode(enc, |b| got.push(b)));
            assert_eq!(got, dec);
        }
        assert!(!decode(b"Zm9v!", |_| {}));
    }

    #[test]
    fn plain_user_presence() {
        // RFC 4616 §4 example: "\0tim\0tanstaaftanstaaf".
        let mut s = Sasl::new(Mech::Plain);
        assert_eq!(
            s.response(b"AHRpbQB0YW5zdGFhZnRhbnN0YWFm"),
            Step::Credential
        );
        assert_eq!(s.user_present, Some(true));
        // "\0\0secret": no authcid.
        let mut s = Sasl::new(Mech::Plain);
        assert_eq!(s.response(b"AABzZWNyZXQ="), Step::Credential);
        assert_eq!(s.user_present, Some(false));
        // No NULs at all.
        let mut s = Sasl::new(Mech::Plain);
        assert_eq!(s.response(b"c2VjcmV0"), Step::Malformed);
    }

    #[test]
    fn login_takes_two_responses_and_cancel_is_not_a_credential() {
        let mut s = Sasl::new(Mech::Login);
        assert_eq!(s.response(b"dGlt"), Step::More);
        assert_eq!(s.response(b"dGFuc3RhYWY="), Step::Credential);
        assert_eq!(s.user_present, Some(true));
        let mut s = Sasl::new(Mech::Login);
        assert_eq!(s.response(b"*"), Step::More);
        assert!(s.cancelled && !s.credential);
    }

    #[test]
    fn bearer_tokens_are_credentials() {
        // arkime/tests/pcap/pop3-tag.pcap: "user=joe.speedboat^Aauth=Bearer AAAA…^A^A".
        let mut s = Sasl::new(Mech::XOauth2);
        let r =
            b"dXNlcj1qb2Uuc3BlZWRib2F0AWF1dGg9QmVhcmVyIEFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUEBAQ==";
        assert_eq!(s.response(r), Step::Credential);
        assert_eq!(s.user_present, Some(true));
        assert_eq!(Mech::XOauth2.field(), "token");
        // RFC 7628 §4.1: "n,a=user@example.com,^Ahost=server.example.com^Aport=143^A
        // auth=Bearer vF9dft4qmTc2Nvb3RlckBhbHRhdmlzdGEuY29tCg==^A^A".
        let mut s = Sasl::new(Mech::OAuthBearer);
        let r = b"bixhPXVzZXJAZXhhbXBsZS5jb20sAWhvc3Q9c2VydmVyLmV4YW1wbGUuY29tAXBvcnQ9MTQzAWF1dGg9QmVhcmVyIHZGOWRmdDRxbVRjMk52YjNSbGNrQmhiSFJoZG1semRHRXVZMjl0Q2c9PQEB";
        assert_eq!(s.response(r), Step::Credential);
        assert_eq!(s.user_present, Some(true));
        // "n,,^Aauth=Bearer x^A^A": no authzid.
        let mut s = Sasl::new(Mech::OAuthBearer);
        assert_eq!(
            s.response(b"biwsAWF1dGg9QmVhcmVyIHgBAQ=="),
            Step::Credential
        );
        assert_eq!(s.user_present, Some(false));
    }

    #[test]
    fn cram_md5_rfc2195_example() {
        // RFC 2195 §2: "tim b913a602c7eda7a495b4e6e7334d3890".
        let mut s = Sasl::new(Mech::CramMd5);
        let r = b"dGltIGI5MTNhNjAyYzdlZGE3YTQ5NWI0ZTZlNzMzNGQzODkw";
        assert_eq!(s.response(r), Step::Credential);
        assert_eq!(s.user_present, Some(true));
    }
}
