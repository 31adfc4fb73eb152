//! TLS fixtures. Hellos come from public corpus captures (named at each constant, read in
//! place with `tshark -r FILE -q -z follow,tcp,raw,0`); their JA3/JA3S are compared with
//! tshark 4.0's `tls.handshake.ja3`, `ja3_full`, `ja3s`, `ja3s_full`, their JA4 with FoxIO's
//! published values. Certificates other than the corpus one were made with `openssl ca` for
//! these tests. Every field is annotated with its standard's section.

use model::{ExposureKind, Observation};
use serde_json::Value;

use super::*;
use crate::testing::{
    Harness, SEED, anomalies, ctx_tcp, exposures, fact, facts, hex, run_session, xorshift,
};

/// A record (RFC 5246 §6.2.1): type, version 0x0303, uint16 length, fragment.
fn record(content_type: u8, fragment: &[u8]) -> Vec<u8> {
    let mut r = vec![content_type, 3, 3];
    r.extend_from_slice(&u16::try_from(fragment.len()).unwrap().to_be_bytes());
    r.extend_from_slice(fragment);
    r
}

/// A handshake message (RFC 8446 §4): type, uint24 length, body.
fn handshake(msg_type: u8, body: &[u8]) -> Vec<u8> {
    let mut m = vec![msg_type];
    m.extend_from_slice(&u32::try_from(body.len()).unwrap().to_be_bytes()[1..]);
    m.extend_from_slice(body);
    m
}

/// A Certificate body (RFC 5246 §7.4.2): uint24 list length, then uint24-prefixed DER.
fn certificate_body(certs: &[&[u8]]) -> Vec<u8> {
    let mut list = Vec::new();
    for c in certs {
        list.extend_from_slice(&u32::try_from(c.len()).unwrap().to_be_bytes()[1..]);
        list.extend_from_slice(c);
    }
    let mut body = u32::try_from(list.len()).unwrap().to_be_bytes()[1..].to_vec();
    body.extend(list);
    body
}

/// Handshake messages packed into as many records as needed (2^14 bytes each).
fn handshake_records(messages: &[u8]) -> Vec<u8> {
    messages
        .chunks(1 << 14)
        .flat_map(|c| record(22, c))
        .collect()
}

/// A ServerHello body (RFC 8446 §4.1.3) with `random`, `cipher` and raw `extensions`.
fn server_hello_body(version: u16, random: [u8; 32], cipher: u16, extensions: &[u8]) -> Vec<u8> {
    let mut b = version.to_be_bytes().to_vec();
    b.extend_from_slice(&random); // Random
    b.push(0); // legacy_session_id_echo, empty
    b.extend_from_slice(&cipher.to_be_bytes()); // cipher_suite
    b.push(0); // legacy_compression_method null
    b.extend_from_slice(&u16::try_from(extensions.len()).unwrap().to_be_bytes());
    b.extend_from_slice(extensions);
    b
}

/// A minimal TLS 1.2 ServerHello record: TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256, no
/// extensions.
fn server_hello_12() -> Vec<u8> {
    record(
        22,
        &handshake(2, &server_hello_body(0x0303, [7; 32], 0xc02f, &[])),
    )
}

/// Feeds `data` at a chosen time (seconds since the epoch).
fn feed_at(h: &mut Harness<Tls>, side: Side, secs: i64, data: &[u8]) -> Verdict {
    let ts = Timestamp(secs * 1_000_000_000);
    let mut out = Out::new(&mut h.collector, &h.flow, ts, Tls::NAME);
    h.parser.feed(side, ts, data, &mut out)
}

fn event(h: &mut Harness<Tls>) -> serde_json::Map<String, Value> {
    let events = h.events();
    assert_eq!(events.len(), 1, "one event per handshake: {events:?}");
    events[0].body.clone()
}

fn weak(obs: &[Observation]) -> Vec<String> {
    exposures(obs)
        .into_iter()
        .inspect(|e| {
            assert_eq!(e.kind, ExposureKind::WeakTls);
            assert_eq!(e.side, Side::Server);
        })
        .map(|e| e.subject)
        .collect()
}

/// ClientHello from arkime/tests/pcap/https3-301-get.pcap (extracted with tshark -z follow,tcp,raw).
const HTTPS3_CLIENT_HELLO: &str = concat!(
    "1603010072", // record: handshake(22), version 0301, length 114 (RFC 5246 §6.2.1)
    "0100006e",   // handshake: client_hello(1), length 110 (RFC 8446 §4)
    "0301",       // legacy_version 0301 (RFC 8446 §4.1.2)
    "52937a55b696cc98ae7b08ec10e765c98aefa82db3081771f8627617b9679808", // random (32 bytes)
    "00",         // legacy_session_id, length 0
    "002e00390038003500160013000a00330032002f009a00990096000500040015", // cipher_suites, 23 suites
    "001200090014001100080006000300ff",
    "0100",                                           // legacy_compression_methods, 1
    "0017",                                           // extensions, length 23 (RFC 8446 §4.2)
    "00000013001100000e7777772e6769746875622e636f6d", // ext 0x0000 server_name (RFC 6066 §3), length 19
);
/// ServerHello from arkime/tests/pcap/https3-301-get.pcap (extracted with tshark -z follow,tcp,raw).
const HTTPS3_SERVER_HELLO: &str = concat!(
    "1603010055", // record: handshake(22), version 0301, length 85 (RFC 5246 §6.2.1)
    "02000051",   // handshake: server_hello(2), length 81 (RFC 8446 §4)
    "0301",       // legacy_version 0301 (RFC 8446 §4.1.3)
    "52937a4f757c6a4a77a32ba36d0f40917216b9f233330ba4d1b10b4b0714fd86", // random (32 bytes)
    "20dddbfd5162689bb01e3f0ba158a586de9097b26cfc83599391cbb5e128d34b", // legacy_session_id, length 32
    "97",
    "0005",       // cipher_suite 0005
    "00",         // legacy_compression_method
    "0009",       // extensions, length 9 (RFC 8446 §4.2)
    "00000000",   // ext 0x0000 server_name (RFC 6066 §3), length 0
    "ff01000100", // ext 0xff01 renegotiation_info (RFC 5746), length 1
);

/// ClientHello from arkime/tests/pcap/tls-alpn-h2.pcap (extracted with tshark -z follow,tcp,raw).
const ALPN_H2_CLIENT_HELLO: &str = concat!(
    "16030100e8", // record: handshake(22), version 0301, length 232 (RFC 5246 §6.2.1)
    "010000e4",   // handshake: client_hello(1), length 228 (RFC 8446 §4)
    "0303",       // legacy_version 0303 (RFC 8446 §4.1.2)
    "858226c04fbaeddef4246093b4cfdab38f9dcfef145360e417686575cac49c70", // random (32 bytes)
    "00",         // legacy_session_id, length 0
    "005cc030c02cc028c024c014c00a009f006b0039cca9cca8ccaaff8500c40088", // cipher_suites, 46 suites
    "0081009d003d003500c00084c02fc02bc027c023c013c009009e0067003300be",
    "0045009c003c002f00ba0041c011c00700050004c012c0080016000a00ff",
    "0100",                                                   // legacy_compression_methods, 1
    "005f", // extensions, length 95 (RFC 8446 §4.2)
    "0000001700150000127777772e636c6f7564666c6172652e636f6d", // ext 0x0000 server_name (RFC 6066 §3), length 23
    "000b00020100", // ext 0x000b ec_point_formats (RFC 8422 §5.1.2), length 2
    "000a00080006001d00170018", // ext 0x000a supported_groups (RFC 8446 §4.2.7), length 8
    "000d001c001a06010603efef0501050304010403eeeeeded0301030302010203", // ext 0x000d signature_algorithms (RFC 8446 §4.2.3), length 28
    "0010000e000c02683208687474702f312e31", // ext 0x0010 ALPN (RFC 7301 §3.1), length 14
);
/// ServerHello from arkime/tests/pcap/tls-alpn-h2.pcap (extracted with tshark -z follow,tcp,raw).
const ALPN_H2_SERVER_HELLO: &str = concat!(
    "1603030064", // record: handshake(22), version 0303, length 100 (RFC 5246 §6.2.1)
    "02000060",   // handshake: server_hello(2), length 96 (RFC 8446 §4)
    "0303",       // legacy_version 0303 (RFC 8446 §4.1.3)
    "5f0236c07f47bfb12dc2da706ecb3fe7f9eeac9968cc2ddf444f574e47524401", // random (32 bytes)
    "20b89ff1ab695278c69b8a73f76242ef755e0b13dc6d459aaaa784fec9c2dfce", // legacy_session_id, length 32
    "34",
    "cca9",               // cipher_suite cca9
    "00",                 // legacy_compression_method
    "0018",               // extensions, length 24 (RFC 8446 §4.2)
    "00000000",           // ext 0x0000 server_name (RFC 6066 §3), length 0
    "ff01000100",         // ext 0xff01 renegotiation_info (RFC 5746), length 1
    "000b00020100",       // ext 0x000b ec_point_formats (RFC 8422 §5.1.2), length 2
    "001000050003026832", // ext 0x0010 ALPN (RFC 7301 §3.1), length 5
);

/// ClientHello from arkime/tests/pcap/openssl-tls1_2.pcap (extracted with tshark -z follow,tcp,raw).
const OPENSSL12_CLIENT_HELLO: &str = concat!(
    "1603010102", // record: handshake(22), version 0301, length 258 (RFC 5246 §6.2.1)
    "010000fe",   // handshake: client_hello(1), length 254 (RFC 8446 §4)
    "0303",       // legacy_version 0303 (RFC 8446 §4.1.2)
    "543dd3283283692d85f9416b5ccc65d2aafca45c6530b3c6eafbf6d371b6a015", // random (32 bytes)
    "00",         // legacy_session_id, length 0
    "0094c030c02cc028c024c014c00a00a3009f006b006a0039003800880087c032", // cipher_suites, 74 suites
    "c02ec02ac026c00fc005009d003d00350084c012c00800160013c00dc003000a",
    "c02fc02bc027c023c013c00900a2009e0067004000330032009a009900450044",
    "c031c02dc029c025c00ec004009c003c002f009600410007c011c007c00cc002",
    "000500040015001200090014001100080006000300ff",
    "0100",                 // legacy_compression_methods, 1
    "0041",                 // extensions, length 65 (RFC 8446 §4.2)
    "000b000403000102",     // ext 0x000b ec_point_formats (RFC 8422 §5.1.2), length 4
    "000a0006000400180017", // ext 0x000a supported_groups (RFC 8446 §4.2.7), length 6
    "00230000",             // ext 0x0023 session_ticket (RFC 5077), length 0
    "000d002200200601060206030501050205030401040204030301030203030201", // ext 0x000d signature_algorithms (RFC 8446 §4.2.3), length 34
    "020202030101",
    "000f000101", // ext 0x000f heartbeat (RFC 6520), length 1
);
/// ServerHello from arkime/tests/pcap/openssl-tls1_2.pcap (extracted with tshark -z follow,tcp,raw).
const OPENSSL12_SERVER_HELLO: &str = concat!(
    "160303003d", // record: handshake(22), version 0303, length 61 (RFC 5246 §6.2.1)
    "02000039",   // handshake: server_hello(2), length 57 (RFC 8446 §4)
    "0303",       // legacy_version 0303 (RFC 8446 §4.1.3)
    "543dd328b38b445686739d58fab733fa23838f575e0e5ad9a1b9baace6cc3b41", // random (32 bytes)
    "00",         // legacy_session_id, length 0
    "c02f",       // cipher_suite c02f
    "00",         // legacy_compression_method
    "0011",       // extensions, length 17 (RFC 8446 §4.2)
    "ff01000100", // ext 0xff01 renegotiation_info (RFC 5746), length 1
    "000b000403000102", // ext 0x000b ec_point_formats (RFC 8422 §5.1.2), length 4
    "00230000",   // ext 0x0023 session_ticket (RFC 5077), length 0
);

/// ClientHello from arkime/tests/pcap/curl-enabled-tls13.pcap (extracted with tshark -z follow,tcp,raw).
const CURL13_CLIENT_HELLO: &str = concat!(
    "1603010200", // record: handshake(22), version 0301, length 512 (RFC 5246 §6.2.1)
    "010001fc",   // handshake: client_hello(1), length 508 (RFC 8446 §4)
    "0303",       // legacy_version 0303 (RFC 8446 §4.1.2)
    "896833458d7827917b0deb0813ebd3ebf3bc731018ee722dc10e502eb72f9fbd", // random (32 bytes)
    "20002ec375729614262a240f08055b7ef2a11799c7f032a7f5838890823f079b", // legacy_session_id, length 32
    "fc",
    "000813021303130100ff", // cipher_suites, 4 suites
    "0100",                 // legacy_compression_methods, 1
    "01ab",                 // extensions, length 427 (RFC 8446 §4.2)
    "000000160014000011656e61626c65642e746c7331332e636f6d", // ext 0x0000 server_name (RFC 6066 §3), length 22
    "000b000403000102", // ext 0x000b ec_point_formats (RFC 8422 §5.1.2), length 4
    "000a000c000a001d0017001e00190018", // ext 0x000a supported_groups (RFC 8446 §4.2.7), length 12
    "33740000", // ext 0x3374 next_protocol_negotiation (draft-agl-tls-nextprotoneg), length 0
    "0010000e000c02683208687474702f312e31", // ext 0x0010 ALPN (RFC 7301 §3.1), length 14
    "00160000", // ext 0x0016 encrypt_then_mac (RFC 7366), length 0
    "00170000", // ext 0x0017 extended_master_secret (RFC 7627), length 0
    "00310000", // ext 0x0031 post_handshake_auth (RFC 8446 §4.2.6), length 0
    "000d001e001c040305030603080708080809080a080b08040805080604010501", // ext 0x000d signature_algorithms (RFC 8446 §4.2.3), length 30
    "0601",
    "002b0003020304", // ext 0x002b supported_versions (RFC 8446 §4.2.1), length 3
    "002d00020101",   // ext 0x002d psk_key_exchange_modes (RFC 8446 §4.2.9), length 2
    "003300260024001d0020a3fde1f9062b99be7617356eda87a4632172eddfb7c4", // ext 0x0033 key_share (RFC 8446 §4.2.8), length 38
    "4c4aa418e963a0351f05",
    "001500fa00000000000000000000000000000000000000000000000000000000", // ext 0x0015 padding (RFC 7685), length 250
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0000000000000000000000000000000000000000000000000000000000000000",
    "000000000000000000000000000000000000000000000000000000000000",
);
/// ServerHello from arkime/tests/pcap/curl-enabled-tls13.pcap (extracted with tshark -z follow,tcp,raw).
const CURL13_SERVER_HELLO: &str = concat!(
    "160303007a", // record: handshake(22), version 0303, length 122 (RFC 5246 §6.2.1)
    "02000076",   // handshake: server_hello(2), length 118 (RFC 8446 §4)
    "0303",       // legacy_version 0303 (RFC 8446 §4.1.3)
    "b8c9880b726331dc722a062c3c9cfaef3b92519103ee6c82c95c35feafeaea6f", // random (32 bytes)
    "20002ec375729614262a240f08055b7ef2a11799c7f032a7f5838890823f079b", // legacy_session_id, length 32
    "fc",
    "1302",                                                             // cipher_suite 1302
    "00",                                                               // legacy_compression_method
    "002e", // extensions, length 46 (RFC 8446 §4.2)
    "00330024001d00207638c3d535c8152369bd8562a94abcf77c8aadd9017d9652", // ext 0x0033 key_share (RFC 8446 §4.2.8), length 36
    "9ba6c6aa8cf2810b",
    "002b00020304", // ext 0x002b supported_versions (RFC 8446 §4.2.1), length 2
);

/// ClientHello from arkime/tests/pcap/ssl-selfsign.pcap (extracted with tshark -z follow,tcp,raw).
const SELFSIGN_CLIENT_HELLO: &str = concat!(
    "1603000059", // record: handshake(22), version 0300, length 89 (RFC 5246 §6.2.1)
    "01000055",   // handshake: client_hello(1), length 85 (RFC 8446 §4)
    "0300",       // legacy_version 0300 (RFC 8446 §4.1.2)
    "5a9034bd92fec92297d5f519735488ac0fd2f00b941cc02661e1019ea3738667", // random (32 bytes)
    "00",         // legacy_session_id, length 0
    "002e00390038003500160013000a00330032002f009a00990096000500040015", // cipher_suites, 23 suites
    "001200090014001100080006000300ff",
    "0100", // legacy_compression_methods, 1
);
/// ServerHello from arkime/tests/pcap/ssl-selfsign.pcap (extracted with tshark -z follow,tcp,raw).
const SELFSIGN_SERVER_HELLO: &str = concat!(
    "1603000051", // record: handshake(22), version 0300, length 81 (RFC 5246 §6.2.1)
    "0200004d",   // handshake: server_hello(2), length 77 (RFC 8446 §4)
    "0300",       // legacy_version 0300 (RFC 8446 §4.1.3)
    "5a9034bdcb5a2dcceaf78e1628cf9255c846fd81f776e8a8e62da81c3d7311ee", // random (32 bytes)
    "20d8085c19d95282c3729bf84782c55e9464780f2721648365a55ad6be14ede7", // legacy_session_id, length 32
    "10",
    "0035",       // cipher_suite 0035
    "00",         // legacy_compression_method
    "0005",       // extensions, length 5 (RFC 8446 §4.2)
    "ff01000100", // ext 0xff01 renegotiation_info (RFC 5746), length 1
);
/// The server's Certificate record from arkime/tests/pcap/ssl-selfsign.pcap.
const SELFSIGN_CERTIFICATE: &str = concat!(
    "1603000229", // record: handshake(22), SSL 3.0, length 553 (RFC 6101 §5.2.1)
    "0b000225",   // handshake: certificate(11), length 549 (RFC 5246 §7.4.2)
    "000222",     // certificate_list, length 546
    "00021f",     // ASN.1Cert, length 543
    "3082021b30820184a003020102020900b27e45d092b4dddf300d06092a864886", // DER (RFC 5280 §4.1): CN=molochftw, self-issued, RSA 1024-bit, 2018-02-23..2018-03-25
    "f70d0101050500301431123010060355040313096d6f6c6f6368667477301e17",
    "0d3138303232333135323633385a170d3138303332353135323633385a301431",
    "123010060355040313096d6f6c6f636866747730819f300d06092a864886f70d",
    "010101050003818d0030818902818100b32dd3e06866147df7bae875479347e8",
    "8a550d7a580bc6988c72c3a782cbedd68a5a898d361af4e51e59b9b9d78ccc45",
    "e6fe008912e296ad81ac58f1b1c6d8a995697f69b43e92fec29dd8291ee59378",
    "a42a2d7f282972121acc666c4f516140059a490b64b47eae5f756cf8910e6071",
    "30004e0b02ab07451b137cf5c60548f10203010001a3753073301d0603551d0e",
    "04160414af961bea6b81a6e09c3729924fce4174b7246e9230440603551d2304",
    "3d303b8014af961bea6b81a6e09c3729924fce4174b7246e92a118a416301431",
    "123010060355040313096d6f6c6f6368667477820900b27e45d092b4dddf300c",
    "0603551d13040530030101ff300d06092a864886f70d01010505000381810073",
    "af18e431046a5e5965d621c85b25fc2bc00fc06ee35375d066850221178c26bf",
    "0b9cf6c315ba663ff39de8f0fd8d5edc44379d4a41661b0ce7ff924b93108a9b",
    "9c10ea842be3bb84c0011f997c1b2cb849d1b5a38aa624a708dca99384afb019",
    "56f203d4300f3419a27f4955bf16d072e45b2147a2d58030988d66afa31d55",
);
/// The server's CertificateRequest and ServerHelloDone from arkime/tests/pcap/ssl-selfsign.pcap.
const SELFSIGN_SERVER_DONE: &str = concat!(
    "1603000038", // record: handshake(22), SSL 3.0, length 56
    "0d000030",   // handshake: certificate_request(13), length 48 (RFC 5246 §7.4.4)
    "020102002b00293027310b3009060355040313024d4f310b3009060355040a13", // certificate_types, certificate_authorities (SSL 3.0 form: no signature_algorithms)
    "024c4f310b3009060355040613024348",
    "0e000000", // handshake: server_hello_done(14), length 0 (RFC 5246 §7.4.5)
);
/// DER certificate made with `openssl ca` for these tests: RSA 2048-bit, O=Example Medical, CN=pacs.example, issuer CN=Test CA, serial 0x1000, 2020-01-01..2040-01-01.
const LEAF_DER: &str = concat!(
    "308201f63082019d02021000300a06082a8648ce3d04030230123110300e0603",
    "5504030c0754657374204341301e170d3230303130313030303030305a170d34",
    "30303130313030303030305a30313115301306035504030c0c706163732e6578",
    "616d706c6531183016060355040a0c0f4578616d706c65204d65646963616c30",
    "820122300d06092a864886f70d01010105000382010f003082010a0282010100",
    "cb5dff046cb27bf8c58d0236e44c95d91bfab4d364325c0585f1dd0f69755270",
    "dd0bc7fb9def7345889b2072a13f27eb694b00dc8c30e0c1583ebf07b2341cb1",
    "24ca27a94d0a390740f81a4d383ece0689eab1c762b83c61469362e565acb588",
    "8054d0c43177060cf12c0ee42e8635c65957370ae30aeb10a24ee0e94ce07b00",
    "1454b819d2506a5477841b2aa6f9fe2e00213e499b9377563471b5a0680df325",
    "f29ff9eebc659902baa6fe766856ce06cd8f2ff68f7d24bfac875d6845476cd3",
    "1141162ebfb2a665df54962651675de797d6f89d131b114f517ff5331a1d1ff0",
    "969d72edc183c75d2067c2fe1333a371714e3c74db39eb7c77d85b2a9e6d4b63",
    "0203010001300a06082a8648ce3d040302034700304402202c2e125ce92d2f80",
    "0947071e2ab60ddfd9ae9823597b93cd6581f2990b0b27b5022072952261c4bc",
    "f5216f2bc0a61763a92567e58b63e915150c5c51c1a97df4683e",
);
/// DER certificate made with `openssl ca` for these tests: EC P-256, CN=old.example, issuer CN=Test CA, serial 0x1001, 2010-01-01..2015-01-01.
const EXPIRED_DER: &str = concat!(
    "3082010f3081b702021001300a06082a8648ce3d04030230123110300e060355",
    "04030c0754657374204341301e170d3130303130313030303030305a170d3135",
    "303130313030303030305a30163114301206035504030c0b6f6c642e6578616d",
    "706c653059301306072a8648ce3d020106082a8648ce3d03010703420004b825",
    "1625cb008fcb48204655eea6e13947afee1acba9dbedb8b7be47ac4e9056257a",
    "8019390d99f36e0e348c02e980de44c85bbe2cfdf832f1b6da5a17635d3c300a",
    "06082a8648ce3d0403020347003044022022c2ffe111490155c52c227b08d972",
    "9bef69163ef548f1b2f86ef81d997a74450220172ad9ae3d1fc3e1e82490c5f9",
    "85998f8c2c31cf155179cda3406b5469f469d2",
);
/// DER certificate made with `openssl ca` for these tests: EC P-256, CN=future.example, issuer CN=Test CA, serial 0x1002, 2050-01-01..2060-01-01.
const FUTURE_DER: &str = concat!(
    "308201173081be02021002300a06082a8648ce3d04030230123110300e060355",
    "04030c07546573742043413022180f32303530303130313030303030305a180f",
    "32303630303130313030303030305a30193117301506035504030c0e66757475",
    "72652e6578616d706c653059301306072a8648ce3d020106082a8648ce3d0301",
    "07034200042b17eb49a7273f2132c52a407f60b7096912a633d88cc869d48dda",
    "81820fc8ed0271aefde9c3679ea0c75ee5137d42d78be04a7d78fce536f2cc64",
    "08bf7ed681300a06082a8648ce3d0403020348003045022100ebbfcdec0ecad7",
    "bf346c8d1c4aba339e5c0f5ba0330127f1c2a76bac9aac364702207ac8581c5f",
    "ec3084d953d63ced292c4a17f157e4f74a7aa42c044b298b4bad1c",
);

// ---------------------------------------------------------------------------------------
// Probe.

#[test]
fn probe_is_by_content() {
    let ctx = ctx_tcp(443);
    let ch = hex(ALPN_H2_CLIENT_HELLO);
    let sh = hex(ALPN_H2_SERVER_HELLO);
    for n in 0..6 {
        assert_eq!(
            Tls::probe(&ch[..n], Side::Client, &ctx),
            Probe::NeedMore,
            "{n} bytes"
        );
    }
    assert_eq!(Tls::probe(&ch, Side::Client, &ctx), Probe::Yes);
    // Mid-stream: the server's ServerHello is the first thing seen.
    assert_eq!(Tls::probe(&sh, Side::Server, &ctx), Probe::Yes);
    // A ClientHello from the server, a ServerHello from the client: not a handshake start.
    assert_eq!(Tls::probe(&ch, Side::Server, &ctx), Probe::No);
    assert_eq!(Tls::probe(&sh, Side::Client, &ctx), Probe::No);
    // Application data first, a bad version, an insane length, plain text.
    assert_eq!(
        Tls::probe(b"\x17\x03\x03\x00\x10\x01", Side::Client, &ctx),
        Probe::No
    );
    assert_eq!(
        Tls::probe(b"\x16\x02\x00\x00\x10\x01", Side::Client, &ctx),
        Probe::No
    );
    assert_eq!(
        Tls::probe(b"\x16\x03\x01\xff\xff\x01", Side::Client, &ctx),
        Probe::No
    );
    assert_eq!(
        Tls::probe(b"\x16\x03\x01garbage", Side::Client, &ctx),
        Probe::No
    );
    assert_eq!(
        Tls::probe(b"GET / HTTP/1.1\r\n", Side::Client, &ctx),
        Probe::No
    );
    // RFC 5246 E.2: SSL 2.0-compatible CLIENT-HELLO (length 0x8031, msg 1, version 3.1).
    let v2 = [0x80, 0x31, 0x01, 0x03, 0x01, 0x00, 0x18];
    assert_eq!(Tls::probe(&v2[..3], Side::Client, &ctx), Probe::NeedMore);
    assert_eq!(Tls::probe(&v2, Side::Client, &ctx), Probe::Yes);
    assert_eq!(
        Tls::probe(&[0x80, 0x31, 0x02, 0x03, 0x01], Side::Client, &ctx),
        Probe::No
    );
}

#[test]
fn registry_picks_tls_for_a_client_hello() {
    let ch = hex(ALPN_H2_CLIENT_HELLO);
    let (name, obs, c) = run_session(ctx_tcp(8443), &[(Side::Client, &ch)]);
    assert_eq!(name, Some("tls"));
    assert_eq!(fact(&obs, "tls.sni"), Some("www.cloudflare.com"));
    assert_eq!(crate::testing::counter(&c, "tls", "flows"), 1);
}

// ---------------------------------------------------------------------------------------
// Real hellos: JA3/JA3S against tshark 4.0.17, JA4 against FoxIO's published values.

#[test]
fn https3_301_get_tls10_hello_fingerprints() {
    let mut h = Harness::<Tls>::tcp(443);
    h.feed(Side::Client, &hex(HTTPS3_CLIENT_HELLO));
    h.feed(Side::Server, &hex(HTTPS3_SERVER_HELLO));
    let obs = h.observations();
    assert_eq!(fact(&obs, "tls.sni"), Some("www.github.com"));
    // tshark -r arkime/tests/pcap/https3-301-get.pcap -e tls.handshake.ja3 / ja3s
    assert_eq!(
        fact(&obs, "tls.ja3"),
        Some("06a92bf69b367389d2feb0d70501ddfe")
    );
    assert_eq!(
        fact(&obs, "tls.ja3s"),
        Some("d2e6f7ef558ea8036c7e21b163b2d1af")
    );
    // FoxIO-LLC/ja4 rust/ja4/src/snapshots/ja4__insta@https3-301-get.pcap.snap (same
    // capture: www.github.com, port 62599): ja4 t10d230100_6a57a6f57151_000000000000.
    assert_eq!(
        fact(&obs, "tls.ja4"),
        Some("t10d230100_6a57a6f57151_000000000000")
    );
    assert_eq!(fact(&obs, "tls.version"), Some("TLS 1.0"));
    assert_eq!(fact(&obs, "tls.cipher"), Some("TLS_RSA_WITH_RC4_128_SHA"));
    assert_eq!(fact(&obs, "tls.alpn"), None);
    // RFC 8996: TLS 1.0 is deprecated.
    assert_eq!(weak(&obs), vec!["TLS 1.0"]);
}

#[test]
fn tls_alpn_h2_hello_fingerprints() {
    let mut h = Harness::<Tls>::tcp(443);
    h.feed(Side::Client, &hex(ALPN_H2_CLIENT_HELLO));
    h.feed(Side::Server, &hex(ALPN_H2_SERVER_HELLO));
    let obs = h.observations();
    assert_eq!(fact(&obs, "tls.sni"), Some("www.cloudflare.com"));
    assert_eq!(fact(&obs, "tls.alpn"), Some("h2"));
    // tshark -r arkime/tests/pcap/tls-alpn-h2.pcap -e tls.handshake.ja3 / ja3s
    assert_eq!(
        fact(&obs, "tls.ja3"),
        Some("3faa4ad39f690c4ef1c3160caa375465")
    );
    assert_eq!(
        fact(&obs, "tls.ja3s"),
        Some("7f76f3e952a1bc7d407366fafe1db7ed")
    );
    // FoxIO-LLC/ja4 rust/ja4/src/snapshots/ja4__insta@tls-alpn-h2.pcap.snap (same capture:
    // www.cloudflare.com, port 64034): ja4 t12d4605h2_85626a9a5f7f_aaf95bb78ec9.
    assert_eq!(
        fact(&obs, "tls.ja4"),
        Some("t12d4605h2_85626a9a5f7f_aaf95bb78ec9")
    );
    assert_eq!(fact(&obs, "tls.version"), Some("TLS 1.2"));
    assert_eq!(
        fact(&obs, "tls.cipher"),
        Some("TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256")
    );
    assert!(weak(&obs).is_empty());
    // The ServerHello alone does not end a TLS 1.2 handshake: the certificate comes next.
    assert_eq!(h.feed(Side::Server, &[]), Verdict::Continue);
    h.end();
    let e = event(&mut h);
    // tshark -e tls.handshake.ja3_full / ja3s_full for the same packets.
    assert_eq!(
        e["ja3"]["string"],
        "771,49200-49196-49192-49188-49172-49162-159-107-57-52393-52392-52394-65413-196-136-\
         129-157-61-53-192-132-49199-49195-49191-49187-49171-49161-158-103-51-190-69-156-60-\
         47-186-65-49169-49159-5-4-49170-49160-22-10-255,0-11-10-13-16,29-23-24,0"
    );
    assert_eq!(e["ja3s"]["string"], "771,52393,0-65281-11-16");
    assert_eq!(e["client_alpns"], serde_json::json!(["h2", "http/1.1"]));
    assert_eq!(e["server_alpns"], serde_json::json!(["h2"]));
    assert_eq!(e["version"], "TLS 1.2");
}

#[test]
fn openssl_tls12_hello_fingerprints() {
    let mut h = Harness::<Tls>::tcp(443);
    h.feed(Side::Client, &hex(OPENSSL12_CLIENT_HELLO));
    h.feed(Side::Server, &hex(OPENSSL12_SERVER_HELLO));
    let obs = h.observations();
    // tshark -r arkime/tests/pcap/openssl-tls1_2.pcap -e tls.handshake.ja3 / ja3s
    assert_eq!(
        fact(&obs, "tls.ja3"),
        Some("c1a36e1a870786cc75edddc0009eaf3a")
    );
    assert_eq!(
        fact(&obs, "tls.ja3s"),
        Some("ccc514751b175866924439bdbb5bba34")
    );
    assert_eq!(
        fact(&obs, "tls.cipher"),
        Some("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256")
    );
    h.end();
    let e = event(&mut h);
    assert_eq!(e["ja3s"]["string"], "771,49199,65281-11-35");
    assert!(
        e["ja3"]["string"]
            .as_str()
            .unwrap()
            .ends_with(",11-10-35-13-15,24-23,0-1-2")
    );
}

#[test]
fn curl_tls13_server_hello_ends_the_parse() {
    let mut h = Harness::<Tls>::tcp(443);
    assert_eq!(
        h.feed(Side::Client, &hex(CURL13_CLIENT_HELLO)),
        Verdict::Continue
    );
    // RFC 8446 §4.2.1: supported_versions selects 0x0304; what follows is encrypted.
    assert_eq!(
        h.feed(Side::Server, &hex(CURL13_SERVER_HELLO)),
        Verdict::Done
    );
    let obs = h.observations();
    // tshark -r arkime/tests/pcap/curl-enabled-tls13.pcap -e tls.handshake.ja3 / ja3s
    assert_eq!(
        fact(&obs, "tls.ja3"),
        Some("eeadfd2f446a45ded96f804720a0c75b")
    );
    assert_eq!(
        fact(&obs, "tls.ja3s"),
        Some("907bf3ecef1c987c889946b737b43de8")
    );
    assert_eq!(fact(&obs, "tls.version"), Some("TLS 1.3"));
    assert_eq!(fact(&obs, "tls.cipher"), Some("TLS_AES_256_GCM_SHA384"));
    // Its ClientHello offers TLS 1.3 in supported_versions and no GREASE.
    assert!(fact(&obs, "tls.ja4").unwrap().starts_with("t13"));
    let e = event(&mut h);
    assert_eq!(e["version"], "TLS 1.3");
    assert!(
        e.get("subject").is_none(),
        "TLS 1.3 certificates are encrypted"
    );
    assert!(anomalies(&obs).is_empty());
}

// ---------------------------------------------------------------------------------------
// A real SSL 3.0 handshake with a self-signed 1024-bit RSA certificate.

fn selfsign_server_flight() -> Vec<u8> {
    let mut s = hex(SELFSIGN_SERVER_HELLO);
    s.extend(hex(SELFSIGN_CERTIFICATE));
    s.extend(hex(SELFSIGN_SERVER_DONE));
    s
}

/// First packet time of arkime/tests/pcap/ssl-selfsign.pcap (2018-02-23T15:35:25Z), within
/// the certificate's validity.
const SELFSIGN_CAPTURE_SECS: i64 = 1_519_400_125;

#[test]
fn ssl3_self_signed_server_is_weak_three_ways() {
    let mut h = Harness::<Tls>::tcp(443);
    let t = SELFSIGN_CAPTURE_SECS;
    assert_eq!(
        feed_at(&mut h, Side::Client, t, &hex(SELFSIGN_CLIENT_HELLO)),
        Verdict::Continue
    );
    // ServerHelloDone (RFC 5246 §7.4.5): the server's part is complete.
    assert_eq!(
        feed_at(&mut h, Side::Server, t, &selfsign_server_flight()),
        Verdict::Done
    );
    let obs = h.observations();
    // tshark -r arkime/tests/pcap/ssl-selfsign.pcap -e tls.handshake.ja3 / ja3s
    assert_eq!(
        fact(&obs, "tls.ja3"),
        Some("03e697d7655911e630ee3ee8e2a02ba4")
    );
    assert_eq!(
        fact(&obs, "tls.ja3s"),
        Some("9f527afa113542d92a2c3b08c525ee1d")
    );
    assert_eq!(fact(&obs, "tls.version"), Some("SSL 3.0"));
    assert_eq!(
        fact(&obs, "tls.cipher"),
        Some("TLS_RSA_WITH_AES_256_CBC_SHA")
    );
    // openssl x509 -noout -subject -issuer -dates: CN = molochftw, notAfter Mar 25 15:26:38 2018.
    assert_eq!(fact(&obs, "tls.cert_subject"), Some("CN=molochftw"));
    assert_eq!(fact(&obs, "tls.cert_issuer"), Some("CN=molochftw"));
    assert_eq!(
        fact(&obs, "tls.cert_not_after"),
        Some("2018-03-25T15:26:38Z")
    );
    assert_eq!(
        weak(&obs),
        vec!["SSL 3.0", "self-signed certificate", "RSA 1024-bit key"],
        "valid at capture time, so not expired"
    );
    let e = event(&mut h);
    assert_eq!(e["version"], "SSLv3");
    assert_eq!(e["subject"], "CN=molochftw");
    assert_eq!(e["issuerdn"], "CN=molochftw");
    assert_eq!(e["serial"], "00:B2:7E:45:D0:92:B4:DD:DF");
    assert_eq!(e["notbefore"], "2018-02-23T15:26:38");
    assert_eq!(e["notafter"], "2018-03-25T15:26:38");
    // openssl x509 -fingerprint -sha256
    assert_eq!(
        e["fingerprint_sha256"],
        "a8:36:4f:90:35:b2:93:1c:1b:14:69:7b:7e:de:7f:89:7e:6d:cd:06:55:37:16:be:bd:8b:99:53:e9:37:cb:4a"
    );
    assert_eq!(e["self_signed"], true);
    assert_eq!(e["key_type"], "RSA");
    assert_eq!(e["key_bits"], 1024);
    assert_eq!(e["chain_length"], 1);
    assert_eq!(e["cipher_suite"], "TLS_RSA_WITH_AES_256_CBC_SHA");
    assert!(anomalies(&obs).is_empty(), "{:?}", anomalies(&obs));
}

#[test]
fn certificate_seen_after_its_not_after_is_expired() {
    let mut h = Harness::<Tls>::tcp(443);
    // The harness clock is 2023: five years after the certificate's notAfter.
    h.feed(Side::Client, &hex(SELFSIGN_CLIENT_HELLO));
    h.feed(Side::Server, &selfsign_server_flight());
    let w = weak(&h.observations());
    assert!(w.contains(&"expired certificate".to_string()), "{w:?}");
    assert!(!w.contains(&"not-yet-valid certificate".to_string()));
}

// ---------------------------------------------------------------------------------------
// Certificates made for these tests.

/// ServerHello + Certificate (`certs`) + ServerHelloDone, in one record each.
fn tls12_server_flight(certs: &[&[u8]]) -> Vec<u8> {
    let mut s = server_hello_12();
    s.extend(handshake_records(&handshake(11, &certificate_body(certs))));
    s.extend(record(22, &handshake(14, &[])));
    s
}

#[test]
fn ca_issued_rsa_2048_leaf_is_not_weak() {
    let mut h = Harness::<Tls>::tcp(443);
    let leaf = hex(LEAF_DER);
    let ca_signed = hex(EXPIRED_DER);
    assert_eq!(
        h.feed(Side::Server, &tls12_server_flight(&[&leaf, &ca_signed])),
        Verdict::Done
    );
    let obs = h.observations();
    assert_eq!(
        fact(&obs, "tls.cert_subject"),
        Some("CN=pacs.example, O=Example Medical")
    );
    assert_eq!(fact(&obs, "tls.cert_issuer"), Some("CN=Test CA"));
    assert_eq!(
        fact(&obs, "tls.cert_not_after"),
        Some("2040-01-01T00:00:00Z")
    );
    // Only the leaf counts: the expired second certificate is not reported.
    assert!(weak(&obs).is_empty(), "{:?}", weak(&obs));
    let e = event(&mut h);
    assert_eq!(e["key_type"], "RSA");
    assert_eq!(e["key_bits"], 2048);
    assert_eq!(e["self_signed"], false);
    assert_eq!(e["serial"], "10:00");
    assert_eq!(e["chain_length"], 2);
    // openssl x509 -fingerprint -sha256 of the generated certificate.
    assert_eq!(
        e["fingerprint_sha256"],
        "c9:e6:78:57:52:ae:a4:30:04:a6:a3:c5:9b:1c:cd:88:50:4d:6b:04:af:9d:59:81:ac:59:45:93:a4:64:6f:c9"
    );
    assert!(e.get("sni").is_none(), "no ClientHello was seen");
}

#[test]
fn expired_and_not_yet_valid_leaves_are_weak() {
    for (der, subject) in [
        (EXPIRED_DER, "expired certificate"),
        (FUTURE_DER, "not-yet-valid certificate"),
    ] {
        let mut h = Harness::<Tls>::tcp(443);
        h.feed(Side::Server, &tls12_server_flight(&[&hex(der)]));
        let obs = h.observations();
        assert_eq!(weak(&obs), vec![subject]);
        let e = exposures(&obs).remove(0);
        assert_eq!(e.fields.len(), 1);
        let body = event(&mut h);
        assert_eq!(body["key_type"], "EC");
        assert_eq!(body["key_bits"], 256);
    }
}

#[test]
fn truncated_certificate_is_malformed() {
    let leaf = hex(LEAF_DER);
    let mut body = certificate_body(&[&leaf]);
    body.truncate(body.len() - 100); // the cert's length now runs past the message
    let mut h = Harness::<Tls>::tcp(443);
    let mut s = server_hello_12();
    s.extend(record(22, &handshake(11, &body)));
    h.feed(Side::Server, &s);
    let obs = h.observations();
    assert_eq!(anomalies(&obs), vec!["tls_bad_certificate_list"]);
    assert_eq!(fact(&obs, "tls.cert_subject"), None);
}

#[test]
fn bogus_der_is_an_anomaly_not_a_crash() {
    let leaf = hex(LEAF_DER);
    for bogus in [
        b"not a certificate".to_vec(),
        leaf[..leaf.len() / 2].to_vec(),
        vec![0x30; 70],
    ] {
        let mut h = Harness::<Tls>::tcp(443);
        assert_eq!(
            h.feed(Side::Server, &tls12_server_flight(&[&bogus])),
            Verdict::Done
        );
        let obs = h.observations();
        assert_eq!(anomalies(&obs), vec!["tls_bad_certificate"]);
        assert_eq!(fact(&obs, "tls.cert_subject"), None);
    }
}

#[test]
fn chain_of_100_certificates_keeps_64() {
    let expired = hex(EXPIRED_DER);
    let chain: Vec<&[u8]> = (0..100).map(|_| &expired[..]).collect();
    let mut h = Harness::<Tls>::tcp(443);
    assert_eq!(
        h.feed(Side::Server, &tls12_server_flight(&chain)),
        Verdict::Done
    );
    assert_eq!(h.counter("tls_chain_truncated"), 1);
    assert_eq!(weak(&h.observations()), vec!["expired certificate"]);
    assert_eq!(event(&mut h)["chain_length"], 100);
}

#[test]
fn oversized_leaf_is_counted_not_parsed() {
    let big = vec![0x30; handshake::MAX_CERT_LEN + 1];
    let mut h = Harness::<Tls>::tcp(443);
    h.feed(Side::Server, &tls12_server_flight(&[&big]));
    assert_eq!(h.counter("tls_cert_too_large"), 1);
    assert_eq!(fact(&h.observations(), "tls.cert_subject"), None);
}

#[test]
fn client_certificates_are_never_decoded() {
    // RFC 5246 §7.4.6: the client's Certificate names a person (a clinician's card).
    let mut h = Harness::<Tls>::tcp(443);
    h.feed(Side::Client, &hex(ALPN_H2_CLIENT_HELLO));
    h.feed(Side::Server, &tls12_server_flight(&[&hex(LEAF_DER)]));
    let mut h2 = Harness::<Tls>::tcp(443);
    h2.feed(Side::Client, &hex(ALPN_H2_CLIENT_HELLO));
    h2.feed(Side::Server, &server_hello_12());
    h2.feed(Side::Server, &record(22, &handshake(14, &[])));
    // After ServerHelloDone the parser is done: the client's Certificate is not read.
    let client_cert = record(22, &handshake(11, &certificate_body(&[&hex(FUTURE_DER)])));
    assert_eq!(h2.feed(Side::Client, &client_cert), Verdict::Done);
    h2.end();
    let text = format!("{:?}{:?}", h2.observations(), h2.events());
    assert!(!text.contains("future.example"));
}

// ---------------------------------------------------------------------------------------
// Reassembly.

#[test]
fn records_split_at_every_byte_boundary() {
    let ch = hex(ALPN_H2_CLIENT_HELLO);
    let server = selfsign_server_flight();
    let reference = {
        let mut h = Harness::<Tls>::tcp(443);
        h.feed(Side::Client, &ch);
        h.feed(Side::Server, &server);
        facts(&h.observations())
    };
    assert_eq!(reference.len(), 10, "{reference:?}");
    for k in 1..ch.len() {
        let mut h = Harness::<Tls>::tcp(443);
        h.feed(Side::Client, &ch[..k]);
        h.feed(Side::Client, &ch[k..]);
        h.feed(Side::Server, &server);
        assert_eq!(facts(&h.observations()), reference, "client split at {k}");
    }
    for k in 1..server.len() {
        let mut h = Harness::<Tls>::tcp(443);
        h.feed(Side::Client, &ch);
        h.feed(Side::Server, &server[..k]);
        assert_eq!(
            h.feed(Side::Server, &server[k..]),
            Verdict::Done,
            "server split at {k}"
        );
        assert_eq!(facts(&h.observations()), reference, "server split at {k}");
    }
    // And one byte per delivery.
    let mut h = Harness::<Tls>::tcp(443);
    for b in &ch {
        h.feed(Side::Client, std::slice::from_ref(b));
    }
    for b in &server {
        h.feed(Side::Server, std::slice::from_ref(b));
    }
    assert_eq!(facts(&h.observations()), reference);
}

#[test]
fn handshake_message_spanning_three_records() {
    // The ClientHello's handshake message (after its 5-byte record header) cut in three
    // records: RFC 8446 §5.1 lets a message span records.
    let ch = hex(ALPN_H2_CLIENT_HELLO);
    let msg = &ch[record::HEADER_LEN..];
    let (a, rest) = msg.split_at(3); // not even the whole handshake header
    let (b, c) = rest.split_at(100);
    let mut stream = record(22, a);
    stream.extend(record(22, b));
    stream.extend(record(22, c));
    let mut h = Harness::<Tls>::tcp(443);
    h.feed(Side::Client, &stream);
    let obs = h.observations();
    assert_eq!(
        fact(&obs, "tls.ja4"),
        Some("t12d4605h2_85626a9a5f7f_aaf95bb78ec9")
    );
    assert_eq!(h.counter("messages"), 1);
}

#[test]
fn long_certificate_message_asks_for_more_depth() {
    // A Certificate message of 300,000 bytes: past the 64 KiB the sensor keeps by default.
    let mut s = server_hello_12();
    let mut msg = vec![11];
    msg.extend_from_slice(&300_000u32.to_be_bytes()[1..]);
    msg.extend_from_slice(&[0; 1000]);
    s.extend(record(22, &msg));
    let mut h = Harness::<Tls>::tcp(443);
    match h.feed(Side::Server, &s) {
        Verdict::Depth(n) => assert!(n as usize > 300_000, "{n}"),
        v => panic!("{v:?}"),
    }
}

#[test]
fn handshake_message_over_one_mib_is_skipped() {
    let mut s = server_hello_12();
    let mut msg = vec![11];
    msg.extend_from_slice(&0x00ff_ffffu32.to_be_bytes()[1..]); // 16 MiB
    msg.extend_from_slice(&[0; 100]);
    s.extend(record(22, &msg));
    let mut h = Harness::<Tls>::tcp(443);
    h.feed(Side::Server, &s);
    assert_eq!(anomalies(&h.observations()), vec!["tls_handshake_too_long"]);
}

// ---------------------------------------------------------------------------------------
// Hostile records and hellos.

#[test]
fn record_length_ffff_is_not_tls() {
    // RFC 8446 §5.2: no record is longer than 2^14 + 2048 (RFC 5246 §6.2.3).
    let mut h = Harness::<Tls>::tcp(443);
    let mut bad = hex(ALPN_H2_CLIENT_HELLO);
    bad[3] = 0xff;
    bad[4] = 0xff;
    assert_eq!(h.feed(Side::Client, &bad), Verdict::Done);
    let obs = h.observations();
    assert_eq!(anomalies(&obs), vec!["tls_record_too_long"]);
    assert!(facts(&obs).is_empty());
}

#[test]
fn bad_content_type_mid_stream_is_invalid() {
    let mut h = Harness::<Tls>::tcp(443);
    let mut s = hex(ALPN_H2_CLIENT_HELLO);
    s.extend_from_slice(b"\x63\x03\x03\x00\x01x");
    assert_eq!(h.feed(Side::Client, &s), Verdict::Done);
    let obs = h.observations();
    assert_eq!(anomalies(&obs), vec!["tls_bad_content_type"]);
    // What came before the garbage is kept.
    assert_eq!(fact(&obs, "tls.sni"), Some("www.cloudflare.com"));
    assert_eq!(h.events().len(), 1);
}

/// A ClientHello body with `extensions` (type, data) and `ciphers`.
fn client_hello_body(ciphers: &[u16], extensions: &[(u16, Vec<u8>)]) -> Vec<u8> {
    let mut b = vec![3, 3]; // legacy_version TLS 1.2
    b.extend_from_slice(&[0x42; 32]); // random
    b.push(0); // legacy_session_id
    b.extend_from_slice(&u16::try_from(ciphers.len() * 2).unwrap().to_be_bytes());
    for c in ciphers {
        b.extend_from_slice(&c.to_be_bytes());
    }
    b.extend_from_slice(&[1, 0]); // legacy_compression_methods: null
    let mut exts = Vec::new();
    for (t, data) in extensions {
        exts.extend_from_slice(&t.to_be_bytes());
        exts.extend_from_slice(&u16::try_from(data.len()).unwrap().to_be_bytes());
        exts.extend_from_slice(data);
    }
    b.extend_from_slice(&u16::try_from(exts.len()).unwrap().to_be_bytes());
    b.extend(exts);
    b
}

#[test]
fn thousand_extensions_are_fingerprinted_not_kept() {
    let exts: Vec<(u16, Vec<u8>)> = (0..1000).map(|i| (0x1000 + i, Vec::new())).collect();
    let body = client_hello_body(&[0x1301, 0x0a0a], &exts);
    let mut h = Harness::<Tls>::tcp(443);
    assert_eq!(
        h.feed(Side::Client, &record(22, &handshake(1, &body))),
        Verdict::Continue
    );
    let obs = h.observations();
    // JA4 caps the count at 99; GREASE 0x0a0a is not counted; no SNI, no ALPN.
    let ja4 = fact(&obs, "tls.ja4").unwrap();
    assert!(ja4.starts_with("t12i019900_"), "{ja4}");
    assert!(anomalies(&obs).is_empty());
    h.end();
    let e = event(&mut h);
    let s = e["ja3"]["string"].as_str().unwrap();
    assert!(s.len() <= MAX_JA3_STRING + 3, "event string is capped");
    assert_eq!(h.counter("tls_ja3_string_truncated"), 1);
}

/// Two connections of one endpoint whose hellos differ only in `legacy_version` (RFC 8446
/// §4.1.2, §4.1.3): the fingerprints and the version differ, memoised or not. JA4's hashes:
/// SHA-256 of "002f,c013" and of "ff01", first 12 hex digits.
#[test]
fn hellos_differing_only_in_legacy_version_are_fingerprinted_apart() {
    let mut h = Harness::<Tls>::tcp(443);
    let mut versions = Vec::new();
    for v in [0x0303u16, 0x0302] {
        h.parser = Tls::default();
        let mut ch = client_hello_body(&[0xc013, 0x002f], &[(0xff01, vec![0])]);
        ch[..2].copy_from_slice(&v.to_be_bytes());
        h.feed(Side::Client, &record(22, &handshake(1, &ch)));
        let sh = server_hello_body(v, [7; 32], 0xc013, &[]);
        h.feed(Side::Server, &record(22, &handshake(2, &sh)));
        h.end();
        let events = h.events();
        let e = &events.last().unwrap().body;
        versions.push((
            e["ja3"]["string"].as_str().unwrap().to_owned(),
            e["ja4"].as_str().unwrap().to_owned(),
            e["ja3s"]["string"].as_str().unwrap().to_owned(),
            e["version"].as_str().unwrap().to_owned(),
        ));
    }
    assert_eq!(
        versions,
        vec![
            (
                "771,49171-47,65281,,".to_owned(),
                "t12i020100_1528752d3c34_bc98f8e001b5".to_owned(),
                "771,49171,".to_owned(),
                "TLS 1.2".to_owned()
            ),
            (
                "770,49171-47,65281,,".to_owned(),
                "t11i020100_1528752d3c34_bc98f8e001b5".to_owned(),
                "770,49171,".to_owned(),
                "TLS 1.1".to_owned()
            ),
        ]
    );
    let obs = h.observations();
    let ja3s: Vec<_> = facts(&obs)
        .into_iter()
        .filter(|f| f.1 == "tls.ja3")
        .collect();
    assert_eq!(ja3s.len(), 2, "{ja3s:?}");
}

/// The ClientHello memo key: GREASE draws (RFC 8701 §2), which the fingerprints leave out,
/// key alike; what the fingerprints read keys apart.
#[test]
fn client_hello_keys_ignore_grease_draws_only() {
    let key = |ciphers: &[u16], exts: &[(u16, Vec<u8>)]| {
        let body = client_hello_body(ciphers, exts);
        let mut k = Vec::new();
        handshake::client_hello_lean(&body, &mut k).unwrap();
        k
    };
    // supported_groups (RFC 8446 §4.2.7): uint16 length 4, then GREASE or `g`, then x25519.
    let groups = |g: u16| (10, [&[0, 4][..], &g.to_be_bytes(), &[0, 0x1d]].concat());
    assert_eq!(
        key(&[0x0a0a, 0x1301], &[(0x1a1a, vec![]), groups(0x2a2a)]),
        key(&[0xfafa, 0x1301], &[(0x3a3a, vec![1]), groups(0x4a4a)])
    );
    assert_ne!(
        key(&[0x1301], &[groups(0x0017)]),
        key(&[0x1301], &[groups(0x0018)])
    );
    assert_ne!(key(&[0x1301, 0x1302], &[]), key(&[0x1302, 0x1301], &[]));
    // A malformed supported_groups keys apart from an absent list's values.
    assert_ne!(
        key(&[0x1301], &[(10, vec![0, 3, 0, 0x1d, 0])]),
        key(&[0x1301], &[(10, vec![0, 0])])
    );
}

#[test]
fn malformed_extension_keeps_the_hello() {
    // server_name whose list length runs past the extension (RFC 6066 §3).
    let body = client_hello_body(&[0x1301], &[(0, vec![0x00, 0x20, 0x00, 0x00, 0x01, b'a'])]);
    let mut h = Harness::<Tls>::tcp(443);
    h.feed(Side::Client, &record(22, &handshake(1, &body)));
    let obs = h.observations();
    assert_eq!(anomalies(&obs), vec!["tls_bad_server_name"]);
    assert!(fact(&obs, "tls.ja3").is_some());
    assert_eq!(fact(&obs, "tls.sni"), None);
}

#[test]
fn truncated_client_hello_is_an_anomaly() {
    // A well-framed ClientHello message whose body is only its first 20 bytes (version and
    // part of the random): RFC 8446 §4.1.2 fields run past the message.
    let ch = hex(ALPN_H2_CLIENT_HELLO);
    let msg = handshake(1, &ch[9..29]);
    let mut h = Harness::<Tls>::tcp(443);
    h.feed(Side::Client, &record(22, &msg));
    assert_eq!(anomalies(&h.observations()), vec!["tls_bad_client_hello"]);
}

#[test]
fn empty_handshake_record_is_an_anomaly() {
    let mut h = Harness::<Tls>::tcp(443);
    let mut s = record(22, &[]);
    s.extend(hex(ALPN_H2_CLIENT_HELLO));
    h.feed(Side::Client, &s);
    let obs = h.observations();
    assert_eq!(anomalies(&obs), vec!["tls_empty_handshake_record"]);
    assert!(fact(&obs, "tls.ja3").is_some());
}

#[test]
fn message_out_of_order_is_invalid_once() {
    let mut h = Harness::<Tls>::tcp(443);
    h.feed(Side::Client, &hex(ALPN_H2_CLIENT_HELLO));
    // ServerHelloDone before any ServerHello, twice.
    let shd = record(22, &handshake(14, &[]));
    let mut s = shd.clone();
    s.extend(shd);
    assert_eq!(h.feed(Side::Server, &s), Verdict::Done);
    assert_eq!(anomalies(&h.observations()), vec!["tls_unexpected_message"]);
    assert_eq!(h.counter("tls_unexpected_message"), 1);
    assert_eq!(h.feed(Side::Server, &server_hello_12()), Verdict::Done);
}

#[test]
fn client_only_capture_is_not_an_anomaly() {
    // Asymmetric routing: only the client's side is captured. Its ClientKeyExchange and
    // ChangeCipherSpec follow the hello with no ServerHello in between.
    let mut c = hex(ALPN_H2_CLIENT_HELLO);
    c.extend(record(22, &handshake(16, &[0x20; 33])));
    c.extend(record(20, &[1]));
    let mut h = Harness::<Tls>::tcp(443);
    assert_eq!(h.feed(Side::Client, &c), Verdict::Done);
    assert!(anomalies(&h.observations()).is_empty());
    assert_eq!(h.counter("client_side_only"), 1);
    assert_eq!(event(&mut h)["sni"], "www.cloudflare.com");
}

#[test]
fn sslv2_client_hello_is_counted_only() {
    // RFC 5246 E.2 V2ClientHello: length 0x801f, msg_type 1, version 0x0301, cipher_spec
    // length 6, session_id length 0, challenge length 16, two 3-byte cipher specs,
    // challenge.
    let mut v2 = vec![
        0x80, 0x1f, 0x01, 0x03, 0x01, 0x00, 0x06, 0x00, 0x00, 0x00, 0x10,
    ];
    v2.extend_from_slice(&[0x00, 0x00, 0x2f, 0x00, 0x00, 0x35]);
    v2.extend_from_slice(&[0x11; 16]);
    let (name, obs, c) = run_session(ctx_tcp(443), &[(Side::Client, &v2)]);
    assert_eq!(name, Some("tls"));
    assert!(obs.is_empty());
    assert_eq!(crate::testing::counter(&c, "tls", "sslv2_client_hello"), 1);
    // The server answers in TLS (as in arkime/tests/pcap/pppoe.pcap): that part is read.
    let mut h = Harness::<Tls>::tcp(443);
    let (a, b) = v2.split_at(9);
    h.feed(Side::Client, a);
    h.feed(Side::Client, b);
    assert_eq!(
        h.feed(Side::Server, &tls12_server_flight(&[&hex(LEAF_DER)])),
        Verdict::Done
    );
    let obs = h.observations();
    assert_eq!(
        fact(&obs, "tls.ja3"),
        None,
        "SSL 2.0 hellos are not fingerprinted"
    );
    assert_eq!(fact(&obs, "tls.version"), Some("TLS 1.2"));
    assert!(anomalies(&obs).is_empty(), "{:?}", anomalies(&obs));
}

#[test]
fn tls13_draft_server_hello_has_the_draft_layout() {
    // arkime/tests/pcap/tls13.pcap: draft-18 ServerHello (version 0x7f12, random,
    // cipher_suite, extensions; no session id, no compression). tshark's ja3s_full:
    // "32530,4865,40", ja3s b8a8031b301aef7618403061e9f33065.
    let mut body = vec![0x7f, 0x12];
    body.extend_from_slice(&[0x33; 32]); // random
    body.extend_from_slice(&[0x13, 0x01]); // cipher_suite TLS_AES_128_GCM_SHA256
    body.extend_from_slice(&[0x00, 0x04, 0x00, 0x28, 0x00, 0x00]); // key_share(40), empty
    let mut h = Harness::<Tls>::tcp(443);
    assert_eq!(
        h.feed(Side::Server, &record(22, &handshake(2, &body))),
        Verdict::Done
    );
    let obs = h.observations();
    assert_eq!(
        fact(&obs, "tls.ja3s"),
        Some("b8a8031b301aef7618403061e9f33065")
    );
    assert_eq!(fact(&obs, "tls.version"), Some("TLS 1.3 draft-18"));
}

// ---------------------------------------------------------------------------------------
// Handshake variants.

#[test]
fn hello_retry_request_then_tls13() {
    let ch = hex(CURL13_CLIENT_HELLO);
    // RFC 8446 §4.1.4 HelloRetryRequest: the special random, supported_versions 0x0304.
    let sv13 = [0x00, 0x2b, 0x00, 0x02, 0x03, 0x04];
    let hrr = record(
        22,
        &handshake(
            2,
            &server_hello_body(0x0303, handshake::HELLO_RETRY_REQUEST_RANDOM, 0x1302, &sv13),
        ),
    );
    let ccs = record(20, &[1]);
    let sh = record(
        22,
        &handshake(2, &server_hello_body(0x0303, [9; 32], 0x1302, &sv13)),
    );
    let mut h = Harness::<Tls>::tcp(443);
    assert_eq!(h.feed(Side::Client, &ch), Verdict::Continue);
    // RFC 8446 D.4: a dummy ChangeCipherSpec after the HelloRetryRequest is not encryption.
    let mut s = hrr;
    s.extend(&ccs);
    assert_eq!(h.feed(Side::Server, &s), Verdict::Continue);
    let mut c2 = ccs.clone();
    c2.extend(&ch);
    assert_eq!(h.feed(Side::Client, &c2), Verdict::Continue);
    assert_eq!(h.feed(Side::Server, &sh), Verdict::Done);
    let obs = h.observations();
    assert!(anomalies(&obs).is_empty(), "{:?}", anomalies(&obs));
    assert_eq!(fact(&obs, "tls.version"), Some("TLS 1.3"));
    assert_eq!(h.counter("messages"), 4);
    assert_eq!(facts(&obs).iter().filter(|f| f.1 == "tls.ja3").count(), 1);
}

#[test]
fn abbreviated_handshake_is_session_resumed() {
    let mut h = Harness::<Tls>::tcp(443);
    h.feed(Side::Client, &hex(ALPN_H2_CLIENT_HELLO));
    // RFC 5246 §7.3 figure 2: ServerHello, [ChangeCipherSpec], Finished (encrypted).
    let mut s = server_hello_12();
    s.extend(record(20, &[1]));
    s.extend(record(22, &[0xde; 40]));
    assert_eq!(h.feed(Side::Server, &s), Verdict::Done);
    assert!(anomalies(&h.observations()).is_empty());
    assert_eq!(event(&mut h)["session_resumed"], true);
}

#[test]
fn alerts_are_counted_and_change_nothing() {
    let mut h = Harness::<Tls>::tcp(443);
    // RFC 5246 §7.2: Alert { level warning(1), description close_notify(0) }, then the hello.
    let mut c = record(21, &[1, 0]);
    c.extend(hex(ALPN_H2_CLIENT_HELLO));
    h.feed(Side::Client, &c);
    // fatal(2) handshake_failure(40) from the server.
    h.feed(Side::Server, &record(21, &[2, 40]));
    assert_eq!(h.counter("alerts"), 2);
    assert_eq!(h.counter("alerts_fatal"), 1);
    let obs = h.observations();
    assert_eq!(fact(&obs, "tls.sni"), Some("www.cloudflare.com"));
    assert!(anomalies(&obs).is_empty());
}

#[test]
fn gap_reports_what_was_seen() {
    let mut h = Harness::<Tls>::tcp(443);
    h.feed(Side::Client, &hex(ALPN_H2_CLIENT_HELLO));
    assert_eq!(h.gap(Side::Server, 100), Verdict::Done);
    assert_eq!(h.counter("gaps"), 1);
    let e = event(&mut h);
    assert_eq!(e["sni"], "www.cloudflare.com");
    assert_eq!(e["ja4"], "t12d4605h2_85626a9a5f7f_aaf95bb78ec9");
    h.end();
    assert_eq!(h.events().len(), 1, "the event is sent once");
}

#[test]
fn no_secret_reaches_observations_or_events() {
    // The client random, session ids and key exchange bytes are secrets' material; the
    // client's certificate names a person. None may be kept.
    let mut h = Harness::<Tls>::tcp(443);
    let t = SELFSIGN_CAPTURE_SECS;
    feed_at(&mut h, Side::Client, t, &hex(SELFSIGN_CLIENT_HELLO));
    feed_at(&mut h, Side::Server, t, &selfsign_server_flight());
    h.end();
    let text = format!("{:?}{:?}", h.observations(), h.events()).to_lowercase();
    for secret in [
        "5a9034bd92fec922", // client random (SELFSIGN_CLIENT_HELLO)
        "d8085c19d95282c3", // server session id (SELFSIGN_SERVER_HELLO)
        "b32dd3e06866147d", // the server key's modulus
    ] {
        assert!(!text.contains(secret), "{secret} leaked");
    }
}

#[test]
fn mutated_handshakes_never_panic() {
    // Deterministic xorshift: flip, truncate and splice bytes of the real flights, and feed
    // them in odd-sized pieces. Nothing may panic; every run ends Done or Continue/Depth.
    let mut next = xorshift(SEED);
    let client = hex(ALPN_H2_CLIENT_HELLO);
    let server = selfsign_server_flight();
    for _ in 0..3000 {
        let mut c = client.clone();
        let mut s = server.clone();
        for buf in [&mut c, &mut s] {
            for _ in 0..(next() % 4) {
                let at = (next() as usize) % buf.len();
                buf[at] = next() as u8;
            }
            if next().is_multiple_of(4) {
                let keep = (next() as usize) % buf.len();
                buf.truncate(keep);
            }
        }
        let mut h = Harness::<Tls>::tcp(443);
        let step = 1 + (next() as usize) % 700;
        for piece in c.chunks(step) {
            h.feed(Side::Client, piece);
        }
        for piece in s.chunks(step) {
            h.feed(Side::Server, piece);
        }
        h.end();
        for e in h.events() {
            serde_json::to_string(&e.body).unwrap();
        }
    }
}
