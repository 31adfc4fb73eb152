//! Parse/emit symmetry: every emitter's output, run through the registry exactly as the sensor
//! delivers it (probing included), gives back the facts it was built from. The patient values
//! are invented and must not come back.

#![allow(clippy::unwrap_used)]

use model::Side;

use super::*;
use crate::testing::{ctx_tcp, exposures, fact, run_session};

#[test]
fn hl7_oru_over_mllp_is_read_back() {
    let header = hl7::Header {
        sending_application: "PUMP_GW",
        sending_facility: "ICU",
        receiving_application: "ENGINE",
        receiving_facility: "HOSP",
        timestamp: "20260101120000",
        message_type: "ORU^R01^ORU_R01",
        control_id: "MSG00001",
        version: "2.6",
    };
    let mut msg = Vec::new();
    header.emit(&mut msg);
    hl7::segment(
        &mut msg,
        &[
            "PID",
            "1",
            "",
            "SIM0000042^^^HOSP^MR",
            "",
            "TESTPERSON^ALPHA",
        ],
    );
    hl7::segment(
        &mut msg,
        &["OBX", "1", "NM", "8867-4^Heart rate^LN", "", "72", "/min"],
    );
    let mut rq = Vec::new();
    hl7::mllp(&msg, &mut rq);
    let reply_header = hl7::Header {
        sending_application: "ENGINE",
        sending_facility: "HOSP",
        receiving_application: "PUMP_GW",
        receiving_facility: "ICU",
        message_type: "ACK^R01^ACK",
        control_id: "ACK00001",
        ..header.clone()
    };
    let mut ack = Vec::new();
    hl7::ack(&reply_header, "MSG00001", &mut ack);
    let mut rp = Vec::new();
    hl7::mllp(&ack, &mut rp);

    let (name, obs, _) = run_session(ctx_tcp(2575), &[(Side::Client, &rq), (Side::Server, &rp)]);
    assert_eq!(name, Some("hl7"));
    assert_eq!(fact(&obs, "hl7.sending_application"), Some("PUMP_GW"));
    assert_eq!(fact(&obs, "hl7.sending_facility"), Some("ICU"));
    assert_eq!(fact(&obs, "hl7.receiving_application"), Some("ENGINE"));
    assert_eq!(exposures(&obs).len(), 1, "{obs:?}");
    let all = format!("{obs:?}");
    assert!(!all.contains("TESTPERSON") && !all.contains("SIM0000042"));
}

#[test]
fn http_request_and_response_heads_are_read_back() {
    let mut rq = Vec::new();
    http::request(
        "GET",
        "/api/status",
        &[
            ("Host", "pumps.hospital.example"),
            ("User-Agent", "PumpAgent/4.2"),
        ],
        b"",
        &mut rq,
    );
    let mut rp = Vec::new();
    http::response(
        200,
        "OK",
        &[
            ("Server", "nginx/1.24.0"),
            ("Content-Type", "application/json"),
        ],
        b"{}",
        &mut rp,
    );
    let (name, obs, _) = run_session(ctx_tcp(80), &[(Side::Client, &rq), (Side::Server, &rp)]);
    assert_eq!(name, Some("http"));
    assert_eq!(fact(&obs, "http.host"), Some("pumps.hospital.example"));
    assert_eq!(fact(&obs, "http.user_agent"), Some("PumpAgent/4.2"));
    assert_eq!(fact(&obs, "http.server"), Some("nginx/1.24.0"));
}

#[test]
fn tls_hellos_are_read_back_with_their_fingerprints() {
    let key = [7u8; 32];
    let hello = tls::ClientHello {
        version: tls::TLS1_2,
        random: [1; 32],
        session_id: &[2; 32],
        cipher_suites: &[0x1301, 0x1302, 0xc02f],
        extensions: &[
            tls::ext::SERVER_NAME,
            tls::ext::SUPPORTED_GROUPS,
            tls::ext::SIGNATURE_ALGORITHMS,
            tls::ext::ALPN,
            tls::ext::SUPPORTED_VERSIONS,
            tls::ext::KEY_SHARE,
        ],
        server_name: Some("pumps.vendor.example"),
        groups: &[29, 23],
        signature_algorithms: &[0x0403, 0x0804],
        alpn: &["http/1.1"],
        supported_versions: &[tls::TLS1_3, tls::TLS1_2],
        key_share: Some((29, &key)),
    };
    let mut ch = Vec::new();
    hello.emit(&mut ch);
    let mut client = Vec::new();
    tls::records(tls::HANDSHAKE, tls::TLS1_0, &ch, &mut client);
    let mut sh = Vec::new();
    tls::ServerHello {
        version: tls::TLS1_2,
        random: [3; 32],
        session_id: &[2; 32],
        cipher_suite: 0x1301,
        tls13_key_share: Some((29, &key)),
    }
    .emit(&mut sh);
    let mut server = Vec::new();
    tls::records(tls::HANDSHAKE, tls::TLS1_2, &sh, &mut server);
    tls::change_cipher_spec(tls::TLS1_2, &mut server);
    tls::records(tls::APPLICATION_DATA, tls::TLS1_2, &[9; 100], &mut server);

    let (name, obs, _) = run_session(
        ctx_tcp(443),
        &[(Side::Client, &client), (Side::Server, &server)],
    );
    assert_eq!(name, Some("tls"));
    assert_eq!(fact(&obs, "tls.sni"), Some("pumps.vendor.example"));
    assert_eq!(fact(&obs, "tls.alpn"), Some("http/1.1"));
    assert_eq!(fact(&obs, "tls.version"), Some("TLS 1.3"));
    // JA4: t(cp) 13(version) d(domain) 03(ciphers) 06(extensions) h1(alpn) _ …
    assert!(
        fact(&obs, "tls.ja4").unwrap().starts_with("t13d0306h1_"),
        "{obs:?}"
    );
    assert!(fact(&obs, "tls.ja3").is_some());
}

#[test]
fn dicom_c_store_association_is_read_back() {
    const CT: &str = "1.2.840.10008.5.1.4.1.1.2";
    let assoc = dicom::Associate {
        called: "PACS_SCP",
        calling: "CT_ROOM1",
        max_pdu: 16384,
        implementation_class_uid: "1.2.3.4.5",
        implementation_version: "SIMCT_21",
    };
    let mut c = Vec::new();
    assoc.emit_request(
        &[dicom::ProposedContext {
            id: 1,
            abstract_syntax: CT,
            transfer_syntaxes: &[dicom::IMPLICIT_VR_LITTLE_ENDIAN],
        }],
        &mut c,
    );
    let mut s = Vec::new();
    dicom::Associate {
        implementation_version: "PACS_3",
        ..assoc.clone()
    }
    .emit_accept(&[(1, dicom::IMPLICIT_VR_LITTLE_ENDIAN)], &mut s);
    let mut cmd = Vec::new();
    dicom::command(
        dicom::C_STORE_RQ,
        CT,
        1,
        true,
        Some("1.2.3.9"),
        None,
        &mut cmd,
    );
    let mut ds = Vec::new();
    dicom::element(0x0008, 0x0016, &dicom::uid(CT), &mut ds);
    dicom::element(0x0008, 0x0060, b"CT", &mut ds);
    dicom::element(0x0008, 0x0070, b"SIM Medical", &mut ds);
    dicom::element(0x0008, 0x1090, b"Scanner 128", &mut ds);
    dicom::element(0x0010, 0x0010, b"TESTPERSON^ALPHA", &mut ds);
    dicom::element(0x0018, 0x1020, b"VB10", &mut ds);
    let mut store = Vec::new();
    dicom::p_data(1, dicom::COMMAND_LAST, &cmd, &mut store);
    dicom::p_data(1, dicom::DATA_LAST, &ds, &mut store);
    dicom::release_request(&mut store);
    let mut rsp = Vec::new();
    dicom::command(
        dicom::C_STORE_RSP,
        CT,
        1,
        false,
        Some("1.2.3.9"),
        Some(0),
        &mut rsp,
    );
    let mut s2 = Vec::new();
    dicom::p_data(1, dicom::COMMAND_LAST, &rsp, &mut s2);
    dicom::release_reply(&mut s2);

    let (name, obs, _) = run_session(
        ctx_tcp(104),
        &[
            (Side::Client, &c),
            (Side::Server, &s),
            (Side::Client, &store),
            (Side::Server, &s2),
        ],
    );
    assert_eq!(name, Some("dicom"));
    assert_eq!(fact(&obs, "dicom.calling_ae_title"), Some("CT_ROOM1"));
    assert_eq!(fact(&obs, "dicom.called_ae_title"), Some("PACS_SCP"));
    assert_eq!(fact(&obs, "dicom.modality"), Some("CT"));
    assert_eq!(fact(&obs, "dicom.manufacturer"), Some("SIM Medical"));
    assert_eq!(fact(&obs, "dicom.model_name"), Some("Scanner 128"));
    assert_eq!(exposures(&obs).len(), 1, "{obs:?}");
    assert!(!format!("{obs:?}").contains("TESTPERSON"));
}

#[test]
fn basic_authorization_is_base64_of_user_colon_password() {
    // RFC 7617 §2's example, and RFC 4648 §10 vectors for each padding length.
    assert_eq!(
        http::basic_authorization("Aladdin", "open sesame"),
        "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
    );
    assert_eq!(http::basic_authorization("f", "o"), "Basic Zjpv");
    assert_eq!(http::basic_authorization("fo", "ob"), "Basic Zm86b2I=");
}

#[test]
fn http_basic_credentials_are_an_exposure_without_the_secret() {
    let mut rq = Vec::new();
    let auth = http::basic_authorization("admin", "invented-pass");
    http::request(
        "GET",
        "/hp/device/SignIn",
        &[("Host", "10.60.0.20"), ("Authorization", &auth)],
        b"",
        &mut rq,
    );
    let mut rp = Vec::new();
    http::response(200, "OK", &[("Server", "HP HTTP Server")], b"ok", &mut rp);
    let (_, obs, _) = run_session(ctx_tcp(80), &[(Side::Client, &rq), (Side::Server, &rp)]);
    assert_eq!(exposures(&obs).len(), 1, "{obs:?}");
    assert!(!format!("{obs:?}").contains("invented-pass"));
}
