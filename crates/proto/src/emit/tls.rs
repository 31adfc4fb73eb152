//! TLS records and the cleartext handshake messages a passive sensor sees: ClientHello and
//! ServerHello (RFC 8446 §4.1.2–§4.1.3, RFC 5246 §7.4.1), ServerHelloDone and
//! ClientKeyExchange (RFC 5246 §7.4.5, RFC 8422 §5.7), ChangeCipherSpec, and opaque records
//! standing in for encrypted ones.

/// Record content types (RFC 8446 §5.1).
pub const CHANGE_CIPHER_SPEC: u8 = 20;
/// Handshake records.
pub const HANDSHAKE: u8 = 22;
/// Application data records.
pub const APPLICATION_DATA: u8 = 23;

/// TLS 1.0 … 1.3 protocol versions.
pub const TLS1_0: u16 = 0x0301;
/// TLS 1.2.
pub const TLS1_2: u16 = 0x0303;
/// TLS 1.3 (only ever in `supported_versions`).
pub const TLS1_3: u16 = 0x0304;

/// Extension types written with content by [`ClientHello::emit`] (IANA TLS ExtensionType
/// registry); any other type in the order list is written empty.
pub mod ext {
    /// server_name (RFC 6066 §3).
    pub const SERVER_NAME: u16 = 0;
    /// status_request (RFC 6066 §8).
    pub const STATUS_REQUEST: u16 = 5;
    /// supported_groups (RFC 8422 §5.1.1).
    pub const SUPPORTED_GROUPS: u16 = 10;
    /// ec_point_formats (RFC 8422 §5.1.2).
    pub const EC_POINT_FORMATS: u16 = 11;
    /// signature_algorithms (RFC 8446 §4.2.3).
    pub const SIGNATURE_ALGORITHMS: u16 = 13;
    /// application_layer_protocol_negotiation (RFC 7301).
    pub const ALPN: u16 = 16;
    /// extended_master_secret (RFC 7627), empty.
    pub const EXTENDED_MASTER_SECRET: u16 = 23;
    /// session_ticket (RFC 5077), empty in a new session.
    pub const SESSION_TICKET: u16 = 35;
    /// supported_versions (RFC 8446 §4.2.1).
    pub const SUPPORTED_VERSIONS: u16 = 43;
    /// psk_key_exchange_modes (RFC 8446 §4.2.9).
    pub const PSK_KEY_EXCHANGE_MODES: u16 = 45;
    /// key_share (RFC 8446 §4.2.8).
    pub const KEY_SHARE: u16 = 51;
    /// signed_certificate_timestamp (RFC 6962 §3.3.1), empty in a ClientHello.
    pub const SIGNED_CERTIFICATE_TIMESTAMP: u16 = 18;
    /// padding (RFC 7685), written empty.
    pub const PADDING: u16 = 21;
    /// compress_certificate (RFC 8879): brotli.
    pub const COMPRESS_CERTIFICATE: u16 = 27;
    /// application_settings (ALPS, draft-vvv-tls-alps): `h2`.
    pub const APPLICATION_SETTINGS: u16 = 17513;
    /// renegotiation_info (RFC 5746), initial: one zero byte.
    pub const RENEGOTIATION_INFO: u16 = 0xff01;
}

/// A ClientHello. The extensions are written in the order of `extensions` (the order is part
/// of a client's fingerprint), each with content from the fields below.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientHello<'a> {
    /// legacy_version (0x0303 for TLS 1.2 and 1.3 clients).
    pub version: u16,
    /// 32 random bytes.
    pub random: [u8; 32],
    /// legacy_session_id, 0–32 bytes.
    pub session_id: &'a [u8],
    /// Cipher suites in preference order.
    pub cipher_suites: &'a [u16],
    /// Extension types, in order.
    pub extensions: &'a [u16],
    /// server_name content.
    pub server_name: Option<&'a str>,
    /// supported_groups content.
    pub groups: &'a [u16],
    /// signature_algorithms content.
    pub signature_algorithms: &'a [u16],
    /// ALPN protocol names.
    pub alpn: &'a [&'a str],
    /// supported_versions content.
    pub supported_versions: &'a [u16],
    /// key_share: one share of this group with these key bytes.
    pub key_share: Option<(u16, &'a [u8])>,
}

impl ClientHello<'_> {
    /// The handshake message (type 1), without the record header.
    pub fn emit(&self, out: &mut Vec<u8>) {
        let mut b = Vec::with_capacity(512);
        b.extend_from_slice(&self.version.to_be_bytes());
        b.extend_from_slice(&self.random);
        b.push(self.session_id.len() as u8);
        b.extend_from_slice(self.session_id);
        u16_list(self.cipher_suites, &mut b);
        b.extend_from_slice(&[1, 0]); // compression methods: null only
        let mut exts = Vec::new();
        for &t in self.extensions {
            let mut e = Vec::new();
            match t {
                ext::SERVER_NAME => {
                    if let Some(name) = self.server_name {
                        let mut list = vec![0u8]; // name_type host_name
                        vec16(name.as_bytes(), &mut list);
                        vec16(&list, &mut e);
                    }
                }
                ext::STATUS_REQUEST => e.extend_from_slice(&[1, 0, 0, 0, 0]), // OCSP, no ids
                ext::SUPPORTED_GROUPS => u16_list(self.groups, &mut e),
                ext::EC_POINT_FORMATS => e.extend_from_slice(&[1, 0]), // uncompressed
                ext::SIGNATURE_ALGORITHMS => u16_list(self.signature_algorithms, &mut e),
                ext::ALPN => {
                    let mut list = Vec::new();
                    for p in self.alpn {
                        list.push(p.len() as u8);
                        list.extend_from_slice(p.as_bytes());
                    }
                    vec16(&list, &mut e);
                }
                ext::SUPPORTED_VERSIONS => {
                    e.push((self.supported_versions.len() * 2) as u8);
                    for v in self.supported_versions {
                        e.extend_from_slice(&v.to_be_bytes());
                    }
                }
                ext::PSK_KEY_EXCHANGE_MODES => e.extend_from_slice(&[1, 1]), // psk_dhe_ke
                ext::KEY_SHARE => {
                    let mut shares = Vec::new();
                    if let Some((group, key)) = self.key_share {
                        shares.extend_from_slice(&group.to_be_bytes());
                        vec16(key, &mut shares);
                    }
                    vec16(&shares, &mut e);
                }
                ext::RENEGOTIATION_INFO => e.push(0),
                ext::COMPRESS_CERTIFICATE => e.extend_from_slice(&[2, 0, 2]),
                ext::APPLICATION_SETTINGS => e.extend_from_slice(&[0, 3, 2, b'h', b'2']),
                _ => {}
            }
            exts.extend_from_slice(&t.to_be_bytes());
            vec16(&e, &mut exts);
        }
        vec16(&exts, &mut b);
        handshake(1, &b, out);
    }
}

/// A ServerHello answering with one cipher suite. For TLS 1.3 (`tls13_key_share` set) the
/// extensions are supported_versions (0x0304) and key_share; otherwise renegotiation_info and
/// extended_master_secret, as TLS 1.2 servers commonly answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerHello<'a> {
    /// legacy_version (0x0303; 0x0301 for a TLS 1.0 server).
    pub version: u16,
    /// 32 random bytes.
    pub random: [u8; 32],
    /// Echo of the client's legacy_session_id.
    pub session_id: &'a [u8],
    /// The selected cipher suite.
    pub cipher_suite: u16,
    /// TLS 1.3: the group and key of the server's share.
    pub tls13_key_share: Option<(u16, &'a [u8])>,
}

impl ServerHello<'_> {
    /// The handshake message (type 2), without the record header.
    pub fn emit(&self, out: &mut Vec<u8>) {
        let mut b = Vec::with_capacity(128);
        b.extend_from_slice(&self.version.to_be_bytes());
        b.extend_from_slice(&self.random);
        b.push(self.session_id.len() as u8);
        b.extend_from_slice(self.session_id);
        b.extend_from_slice(&self.cipher_suite.to_be_bytes());
        b.push(0); // compression: null
        let mut exts = Vec::new();
        if let Some((group, key)) = self.tls13_key_share {
            exts.extend_from_slice(&ext::SUPPORTED_VERSIONS.to_be_bytes());
            vec16(&TLS1_3.to_be_bytes(), &mut exts);
            exts.extend_from_slice(&ext::KEY_SHARE.to_be_bytes());
            let mut share = group.to_be_bytes().to_vec();
            vec16(key, &mut share);
            vec16(&share, &mut exts);
        } else {
            exts.extend_from_slice(&ext::RENEGOTIATION_INFO.to_be_bytes());
            vec16(&[0], &mut exts);
            exts.extend_from_slice(&ext::EXTENDED_MASTER_SECRET.to_be_bytes());
            vec16(&[], &mut exts);
        }
        vec16(&exts, &mut b);
        handshake(2, &b, out);
    }
}

/// ServerHelloDone (type 14, empty).
pub fn server_hello_done(out: &mut Vec<u8>) {
    handshake(14, &[], out);
}

/// ClientKeyExchange (type 16) with an ECDHE public point (RFC 8422 §5.7: one length byte).
pub fn client_key_exchange(point: &[u8], out: &mut Vec<u8>) {
    let mut b = vec![point.len() as u8];
    b.extend_from_slice(point);
    handshake(16, &b, out);
}

/// ClientKeyExchange (type 16) for RSA key exchange: the encrypted premaster secret with a
/// 16-bit length (RFC 5246 §7.4.7.1).
pub fn client_key_exchange_rsa(encrypted_premaster: &[u8], out: &mut Vec<u8>) {
    let mut b = Vec::with_capacity(encrypted_premaster.len() + 2);
    vec16(encrypted_premaster, &mut b);
    handshake(16, &b, out);
}

/// Whether a TLS 1.2-or-older cipher suite uses (EC)DHE key exchange (its ClientKeyExchange
/// carries a public value) rather than RSA (an encrypted premaster secret): the ECDHE suites
/// of RFC 8422 / RFC 5289 (0xC0xx) and ChaCha20 (RFC 7905, 0xCCA8–0xCCAA), and the DHE
/// suites this module's callers use (0x0033, 0x0039, 0x0067, 0x006B, 0x009E, 0x009F).
pub fn is_dhe_suite(suite: u16) -> bool {
    matches!(suite >> 8, 0xc0 | 0xcc)
        || matches!(suite, 0x0033 | 0x0039 | 0x0067 | 0x006b | 0x009e | 0x009f)
}

/// Wraps `body` in records of `content_type`, at most 2^14 bytes each (RFC 8446 §5.1).
pub fn records(content_type: u8, version: u16, body: &[u8], out: &mut Vec<u8>) {
    for chunk in body.chunks(1 << 14) {
        out.push(content_type);
        out.extend_from_slice(&version.to_be_bytes());
        out.extend_from_slice(&(chunk.len() as u16).to_be_bytes());
        out.extend_from_slice(chunk);
    }
}

/// A ChangeCipherSpec record (RFC 5246 §7.1; a compatibility record in TLS 1.3, §D.4).
pub fn change_cipher_spec(version: u16, out: &mut Vec<u8>) {
    records(CHANGE_CIPHER_SPEC, version, &[1], out);
}

/// Handshake header: type, 24-bit length, body.
fn handshake(msg_type: u8, body: &[u8], out: &mut Vec<u8>) {
    out.push(msg_type);
    out.extend_from_slice(&(body.len() as u32).to_be_bytes()[1..]);
    out.extend_from_slice(body);
}

/// A vector with a 16-bit length prefix.
fn vec16(body: &[u8], out: &mut Vec<u8>) {
    out.extend_from_slice(&(body.len() as u16).to_be_bytes());
    out.extend_from_slice(body);
}

/// A vector of u16 with a 16-bit byte-length prefix.
fn u16_list(items: &[u16], out: &mut Vec<u8>) {
    out.extend_from_slice(&((items.len() * 2) as u16).to_be_bytes());
    for i in items {
        out.extend_from_slice(&i.to_be_bytes());
    }
}
