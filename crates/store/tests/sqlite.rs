//! The SQLCipher store through its public API: round trips, merge semantics, transactions,
//! encryption, schema versions, listings.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use model::{
    Attribute, Device, DeviceFact, DeviceId, DeviceSoftware, DhcpFingerprint, Evidence, Finding,
    FindingId, FindingKind, Hostname, HostnameSource, IpSighting, MacAddr, Service, Severity,
    Timestamp,
};
use store::{
    AnalysisSource, CaptureInput, DeviceQuery, DeviceSort, FindingQuery, Key, SortOrder,
    SqliteStore, Store, StoreError,
};

type TestResult = Result<(), Box<dyn std::error::Error>>;

const KEY_A: &str = "a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebfc0";
const KEY_B: &str = "0000000000000000000000000000000000000000000000000000000000000001";

fn key(hex: &str) -> Key {
    Key::from_hex(hex).expect("test key is valid hex")
}

fn db_in(dir: &tempfile::TempDir) -> PathBuf {
    dir.path().join("wardline.db")
}

fn open(path: &Path) -> SqliteStore {
    SqliteStore::open(path, &key(KEY_A)).expect("open with the right key")
}

fn source(name: &str, size: u64) -> AnalysisSource {
    AnalysisSource::single(CaptureInput {
        path: format!("{name}.pcapng"),
        size,
        sha256: None,
        first_ts: Some(Timestamp(1_700_000_000_000_000_000)),
    })
}

fn mac(s: &str) -> MacAddr {
    s.parse().expect("test MAC")
}

fn ip(s: &str) -> IpAddr {
    s.parse().expect("test IP")
}

fn sighting(addr: &str, first: i64, last: i64) -> IpSighting {
    IpSighting {
        addr: ip(addr),
        first_seen: Timestamp(first),
        last_seen: Timestamp(last),
    }
}

fn service(transport: &str, port: u16, app: Option<&str>, role: &str, peers: u32) -> Service {
    Service {
        transport: transport.into(),
        port,
        app: app.map(Into::into),
        role: role.into(),
        peers,
    }
}

/// An infusion pump with every field set.
fn pump() -> Device {
    let m = mac("00:1b:6f:0a:0b:0c");
    Device {
        id: DeviceId::from_mac(m),
        macs: vec![m],
        mac_randomized: false,
        ips: vec![
            sighting("10.20.3.14", 100, 900),
            sighting("fe80::21b:6fff:fe0a:b0c", 150, 800),
        ],
        hostnames: vec![
            Hostname {
                name: "ICU-PUMP-0417".into(),
                source: HostnameSource::Dhcp,
            },
            Hostname {
                name: "icu-pump-0417.local".into(),
                source: HostnameSource::Mdns,
            },
        ],
        vlans: vec![20],
        first_seen: Timestamp(100),
        last_seen: Timestamp(900),
        packets: 5120,
        bytes: 812_345,
        vendor: Some(Attribute {
            value: "Becton, Dickinson and Company".into(),
            confidence: 0.92,
            evidence: vec![
                Evidence {
                    value: "Becton, Dickinson and Company".into(),
                    source: "oui".into(),
                    detail: "00:1B:6F → Becton, Dickinson and Company".into(),
                    weight: 0.6,
                },
                Evidence {
                    value: "BD".into(),
                    source: "dhcp".into(),
                    detail: "option 60 'BD Alaris'".into(),
                    weight: 0.32,
                },
            ],
        }),
        category: Some(Box::new(Attribute {
            value: "infusion_pump".into(),
            confidence: 0.7,
            evidence: vec![Evidence {
                value: "infusion_pump".into(),
                source: "kb:pumps/bd-alaris-vendor-class".into(),
                detail: "dhcp.vendor_class = BD Alaris".into(),
                weight: 0.7,
            }],
        })),
        model: None,
        os: None,
        firmware: Some(Box::new(Attribute {
            value: "12.1.2".into(),
            confidence: 0.5,
            evidence: vec![Evidence {
                value: "12.1.2".into(),
                source: "kb:pumps/bd-firmware".into(),
                detail: "http.server = Alaris/12.1.2".into(),
                weight: 0.5,
            }],
        })),
        modality: None,
        dhcp: Some(DhcpFingerprint {
            vendor_class: Some("BD Alaris".into()),
            param_request_list: Some(vec![1, 3, 6, 15]),
            client_id: Some("01001b6f0a0b0c".into()),
            max_message_size: Some(576),
        }),
        services: vec![
            service("tcp", 443, Some("tls"), "client", 1),
            service("udp", 53, Some("dns"), "client", 2),
        ],
        roles: vec![],
        dns_queries: vec![
            "pumps.hospital.example".into(),
            "ntp.hospital.example".into(),
        ],
        software: vec![DeviceSoftware {
            product: "Alaris".into(),
            version: Some("9.33".into()),
            source: "http".into(),
            role: "client".into(),
            raw: "Alaris/9.33".into(),
        }],
        facts: vec![
            DeviceFact {
                key: "tls.sni".into(),
                value: "pumps.hospital.example".into(),
                source: "tls".into(),
                count: 3,
            },
            DeviceFact {
                key: "http.user_agent".into(),
                value: "Alaris/9.33".into(),
                source: "http".into(),
                count: 1,
            },
        ],
        findings: vec![],
        zone: Some("icu".into()),
    }
}

/// A small device known only by IP, with a given last_seen.
fn ip_device(n: u32, last_seen: i64) -> Device {
    let block = n / 250;
    let addr = ip(&format!(
        "10.{}.{}.{}",
        9 + block / 256,
        block % 256,
        n % 250 + 1
    ));
    Device {
        id: DeviceId::from_ip(addr),
        ips: vec![IpSighting {
            addr,
            first_seen: Timestamp(last_seen - 10),
            last_seen: Timestamp(last_seen),
        }],
        first_seen: Timestamp(last_seen - 10),
        last_seen: Timestamp(last_seen),
        packets: u64::from(n) + 1,
        bytes: 100 * (u64::from(n) + 1),
        ..Device::default()
    }
}

/// The device as the store returns it: every set sorted, duplicates gone.
fn canonical(mut d: Device) -> Device {
    d.macs.sort();
    d.macs.dedup();
    d.ips.sort_by_key(|s| s.addr);
    d.hostnames.sort();
    d.hostnames.dedup();
    d.vlans.sort();
    d.vlans.dedup();
    d.services
        .sort_by(|a, b| (&a.transport, a.port, &a.role).cmp(&(&b.transport, b.port, &b.role)));
    d.roles.sort();
    d.roles.dedup();
    d.dns_queries.sort();
    d.dns_queries.dedup();
    d.software.sort();
    d.software.dedup();
    d.facts
        .sort_by(|a, b| (&a.key, &a.value, &a.source).cmp(&(&b.key, &b.value, &b.source)));
    d
}

/// Row counts of every table, to prove a merge or a failure changed nothing.
fn table_counts(path: &Path) -> Vec<(String, i64)> {
    let conn = raw_keyed(path, KEY_A);
    let tables: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    tables
        .into_iter()
        .map(|t| {
            let n: i64 = conn
                .query_row(&format!("SELECT count(*) FROM \"{t}\""), [], |r| r.get(0))
                .expect("count");
            (t, n)
        })
        .collect()
}

/// A plain rusqlite connection with the key applied by hand.
fn raw_keyed(path: &Path, hex: &str) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open(path).expect("open raw");
    conn.execute_batch(&format!("PRAGMA key = \"x'{hex}'\";"))
        .expect("key");
    conn
}

#[test]
fn round_trip_returns_what_was_merged() -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut store = open(&db_in(&dir));
    let pump = pump();
    let other = ip_device(7, 5000);
    let summary = store.merge_devices(&[pump.clone(), other.clone()], &source("ward3", 1))?;
    assert_eq!(summary.new_devices, 2);
    assert_eq!(summary.updated_devices, 0);
    assert!(!summary.source_seen_before);

    let back = store.device(&pump.id.0)?.ok_or("pump missing")?;
    assert_eq!(back, canonical(pump));
    let back = store.device(&other.id.0)?.ok_or("ip device missing")?;
    assert_eq!(back, canonical(other));
    assert_eq!(store.device("mac-ffffffffffff")?, None);
    assert_eq!(store.device_count()?, 2);
    Ok(())
}

#[test]
fn round_trip_survives_reopen_and_keeps_empty_values() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = db_in(&dir);
    let mut d = pump();
    d.dhcp = Some(DhcpFingerprint {
        param_request_list: Some(vec![]),
        ..DhcpFingerprint::default()
    });
    d.vendor = Some(Attribute {
        value: "x".into(),
        confidence: 0.1,
        evidence: vec![],
    });
    d.services[0].app = None;
    d.packets = u64::MAX; // clamps to i64::MAX, never wraps
    {
        let mut store = open(&path);
        store.merge_devices(std::slice::from_ref(&d), &source("a", 1))?;
    }
    let store = open(&path);
    let back = store.device(&d.id.0)?.ok_or("missing")?;
    d.packets = i64::MAX as u64;
    assert_eq!(back, canonical(d));
    Ok(())
}

/// A cleartext-PHI finding about `device`, `count` messages.
fn phi_finding(device: &Device, count: u64) -> Finding {
    let mut evidence = serde_json::Map::new();
    evidence.insert("protocol".into(), "hl7".into());
    evidence.insert("fields".into(), vec!["PID-3", "PID-5"].into());
    Finding {
        id: FindingId::from_parts(&["cleartext_phi", &device.id.0, "hl7", "10.20.1.5:2575"]),
        kind: FindingKind::CleartextPhi,
        severity: Severity::High,
        device: device.id.clone(),
        summary: "HL7 ORU^R01 with patient fields sent unencrypted".into(),
        evidence,
        first_seen: Timestamp(100),
        last_seen: Timestamp(200),
        count,
    }
}

#[test]
fn findings_round_trip_merge_by_id_and_count_per_source() -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut store = open(&db_in(&dir));
    let pump = pump();
    let other = ip_device(3, 50);
    let mut weak = phi_finding(&other, 1);
    weak.id = FindingId::from_parts(&["weak_tls", &other.id.0]);
    weak.kind = FindingKind::WeakTls;
    weak.severity = Severity::Medium;
    let devices = [pump.clone(), other.clone()];
    let s = store.merge_analysis(
        &devices,
        &[phi_finding(&pump, 14), weak.clone()],
        &source("a", 1),
    )?;
    assert_eq!((s.new_findings, s.updated_findings), (2, 0));

    let page = store.findings(&FindingQuery::default())?;
    assert_eq!(page.total, 2);
    assert_eq!(
        page.items[0],
        phi_finding(&pump, 14),
        "high sorts before medium"
    );
    assert_eq!(page.items[1].kind, FindingKind::WeakTls);
    let back = store.device(&pump.id.0)?.ok_or("pump missing")?;
    assert_eq!(back.findings, vec![phi_finding(&pump, 14).id]);

    // The same analysis again: nothing doubles. Another analysis adds its count.
    let s = store.merge_analysis(&devices, &[phi_finding(&pump, 14)], &source("a", 1))?;
    assert_eq!((s.new_findings, s.updated_findings), (0, 1));
    let only_pump = FindingQuery {
        device: Some(pump.id.0.clone()),
        ..FindingQuery::default()
    };
    assert_eq!(store.findings(&only_pump)?.items[0].count, 14);
    store.merge_analysis(&devices, &[phi_finding(&pump, 6)], &source("b", 2))?;
    let page = store.findings(&only_pump)?;
    assert_eq!((page.total, page.items[0].count), (1, 20));
    let weak_only = FindingQuery {
        kind: Some(FindingKind::WeakTls),
        ..FindingQuery::default()
    };
    assert_eq!(store.findings(&weak_only)?.items, vec![weak]);
    Ok(())
}

#[test]
fn a_finding_about_an_unknown_device_rolls_the_merge_back() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = db_in(&dir);
    let mut store = open(&path);
    let before = table_counts(&path);
    let stray = phi_finding(&ip_device(9, 9), 1);
    let err = store.merge_analysis(&[pump()], &[stray], &source("a", 1));
    assert!(err.is_err());
    assert_eq!(
        table_counts(&path),
        before,
        "the devices were not stored either"
    );
    Ok(())
}

#[test]
fn remerging_the_same_analysis_changes_nothing() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = db_in(&dir);
    let mut store = open(&path);
    let devices = vec![pump(), ip_device(1, 10), ip_device(2, 20)];
    store.merge_devices(&devices, &source("ward3", 1))?;
    let before = table_counts(&path);
    let pump_before = store.device(&devices[0].id.0)?;

    let summary = store.merge_devices(&devices, &source("ward3", 1))?;
    assert_eq!(summary.new_devices, 0);
    assert_eq!(summary.updated_devices, 3);
    assert!(summary.source_seen_before);
    assert_eq!(store.device_count()?, 3);
    assert_eq!(table_counts(&path), before, "no row added by the re-merge");
    assert_eq!(store.device(&devices[0].id.0)?, pump_before);
    let back = store.device(&devices[0].id.0)?.ok_or("missing")?;
    assert_eq!(back.packets, 5120, "counters not doubled");
    assert_eq!(back.bytes, 812_345);

    // A moved copy of the same capture (same content identity) is the same analysis.
    let mut moved = source("ward3", 1);
    moved.inputs[0].path = "/archive/ward3-copy.pcapng".into();
    assert!(store.merge_devices(&devices, &moved)?.source_seen_before);
    assert_eq!(table_counts(&path), before);
    Ok(())
}

#[test]
fn a_second_analysis_unions_sets_and_adds_counters() -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut store = open(&dir.path().join("w.db"));
    let first = pump();
    store.merge_devices(std::slice::from_ref(&first), &source("monday", 1))?;

    let mut second = pump();
    second.ips = vec![
        sighting("10.20.3.14", 50, 2000), // earlier first, later last
        sighting("10.20.3.99", 1500, 1600),
    ];
    second.hostnames = vec![
        Hostname {
            name: "ICU-PUMP-0417".into(),
            source: HostnameSource::Dhcp, // same: no duplicate
        },
        Hostname {
            name: "ICU-PUMP-0417".into(),
            source: HostnameSource::Dns, // same name, other source: kept
        },
    ];
    second.macs.push(mac("02:11:22:33:44:55"));
    second.mac_randomized = true;
    second.vlans = vec![20, 30];
    second.first_seen = Timestamp(50);
    second.last_seen = Timestamp(2000);
    second.packets = 80;
    second.bytes = 655;
    second.vendor = None; // keeps Monday's vendor
    second.dhcp = Some(DhcpFingerprint {
        vendor_class: None,
        param_request_list: Some(vec![1, 3]),
        client_id: None,
        max_message_size: None,
    });
    second.services = vec![
        service("tcp", 443, None, "client", 5), // peers max, app kept
        service("tcp", 443, Some("tls"), "server", 1), // other role: new row
    ];
    second.roles = vec!["web_server".into()];
    second.dns_queries = vec!["ntp.hospital.example".into(), "update.bd.example".into()];

    let summary = store.merge_devices(std::slice::from_ref(&second), &source("tuesday", 2))?;
    assert_eq!(summary.updated_devices, 1);
    assert!(!summary.source_seen_before);

    let got = store.device(&first.id.0)?.ok_or("missing")?;
    assert_eq!(
        got.macs,
        vec![mac("00:1b:6f:0a:0b:0c"), mac("02:11:22:33:44:55")]
    );
    assert!(got.mac_randomized);
    assert_eq!(
        got.ips,
        vec![
            sighting("10.20.3.14", 50, 2000),
            sighting("10.20.3.99", 1500, 1600),
            sighting("fe80::21b:6fff:fe0a:b0c", 150, 800),
        ]
    );
    assert_eq!(got.hostnames.len(), 3, "{:?}", got.hostnames);
    assert_eq!(got.vlans, vec![20, 30]);
    assert_eq!(
        (got.first_seen, got.last_seen),
        (Timestamp(50), Timestamp(2000))
    );
    assert_eq!(got.packets, 5120 + 80);
    assert_eq!(got.bytes, 812_345 + 655);
    assert_eq!(got.vendor, first.vendor, "null does not erase");
    assert_eq!(got.dhcp, second.dhcp, "latest fingerprint replaces whole");
    assert_eq!(
        got.services,
        vec![
            service("tcp", 443, Some("tls"), "client", 5),
            service("tcp", 443, Some("tls"), "server", 1),
            service("udp", 53, Some("dns"), "client", 2),
        ]
    );
    assert_eq!(got.roles, vec!["web_server".to_string()]);
    assert_eq!(
        got.dns_queries,
        vec![
            "ntp.hospital.example".to_string(),
            "pumps.hospital.example".to_string(),
            "update.bd.example".to_string()
        ]
    );

    // The text filter finds what only the second analysis added.
    for text in ["10.20.3.99", "02:11:22"] {
        let page = store.devices(&DeviceQuery {
            text: Some(text.into()),
            ..DeviceQuery::default()
        })?;
        assert_eq!(page.total, 1, "{text}");
    }

    // Re-merging Monday with new counts replaces Monday's share only.
    let mut monday_again = first.clone();
    monday_again.packets = 1000;
    monday_again.bytes = 1;
    store.merge_devices(&[monday_again], &source("monday", 1))?;
    let got = store.device(&first.id.0)?.ok_or("missing")?;
    assert_eq!(got.packets, 1000 + 80);
    assert_eq!(got.bytes, 1 + 655);

    // A newer vendor replaces value, confidence and evidence.
    let mut third = pump();
    third.vendor = Some(Attribute {
        value: "BD".into(),
        confidence: 0.5,
        evidence: vec![Evidence {
            value: "BD".into(),
            source: "kb".into(),
            detail: "rule 12".into(),
            weight: 0.5,
        }],
    });
    store.merge_devices(std::slice::from_ref(&third), &source("wednesday", 3))?;
    let got = store.device(&first.id.0)?.ok_or("missing")?;
    assert_eq!(got.vendor, third.vendor);
    // An older, narrower view merged later shrinks nothing: times stay widest, peers
    // largest, a randomised MAC stays flagged.
    assert_eq!(got.ips[0], sighting("10.20.3.14", 50, 2000));
    assert_eq!(
        (got.first_seen, got.last_seen),
        (Timestamp(50), Timestamp(2000))
    );
    assert_eq!(
        got.services[0],
        service("tcp", 443, Some("tls"), "client", 5)
    );
    assert!(got.mac_randomized);
    assert_eq!(got.packets, 1000 + 80 + 5120);
    Ok(())
}

#[test]
fn a_live_sources_windows_add_up_and_randomized_macs_are_read_back() -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut store = open(&db_in(&dir));
    let live = AnalysisSource {
        accumulate: true,
        ..source("live:eth0", 0)
    };
    let pump = pump();
    let mut phone = ip_device(7, 100);
    phone.macs = vec![mac("da:00:00:00:00:07")];
    phone.mac_randomized = true;
    // Three windows of one live run: each merge adds its share to the same source.
    for _ in 0..3 {
        store.merge_analysis(
            &[pump.clone(), phone.clone()],
            &[phi_finding(&pump, 2)],
            &live,
        )?;
    }
    let packets = |store: &SqliteStore, id: &str| -> Result<u64, Box<dyn std::error::Error>> {
        Ok(store.device(id)?.ok_or("missing")?.packets)
    };
    assert_eq!(packets(&store, &phone.id.0)?, 3 * phone.packets);
    assert_eq!(
        store.device(&pump.id.0)?.ok_or("missing")?.packets,
        3 * pump.packets
    );
    let only_pump = FindingQuery {
        device: Some(pump.id.0.clone()),
        ..FindingQuery::default()
    };
    assert_eq!(store.findings(&only_pump)?.items[0].count, 6);
    // A capture analysed beside it still replaces its own share on a re-merge.
    store.merge_devices(std::slice::from_ref(&phone), &source("x", 1))?;
    store.merge_devices(std::slice::from_ref(&phone), &source("x", 1))?;
    assert_eq!(packets(&store, &phone.id.0)?, 4 * phone.packets);
    assert_eq!(
        store.randomized_macs()?,
        vec![("da:00:00:00:00:07".to_string(), phone.id.0.clone())]
    );
    Ok(())
}

#[test]
fn the_same_device_twice_in_one_batch_adds_up() -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut store = open(&db_in(&dir));
    let a = ip_device(3, 100); // packets 4
    let summary = store.merge_devices(&[a.clone(), a.clone()], &source("x", 1))?;
    assert_eq!(summary.new_devices, 1);
    assert_eq!(summary.updated_devices, 0);
    assert_eq!(store.device(&a.id.0)?.ok_or("missing")?.packets, 8);
    // and re-merging that batch is still idempotent
    store.merge_devices(&[a.clone(), a.clone()], &source("x", 1))?;
    assert_eq!(store.device(&a.id.0)?.ok_or("missing")?.packets, 8);
    Ok(())
}

#[test]
fn a_failed_merge_leaves_the_store_as_it_was() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = db_in(&dir);
    let mut store = open(&path);
    store.merge_devices(&[pump(), ip_device(1, 10)], &source("good", 1))?;
    let before = table_counts(&path);
    let pump_before = store.device(&pump().id.0)?;

    let mut changed = pump();
    changed.packets = 1;
    changed.hostnames.push(Hostname {
        name: "SHOULD-NOT-STAY".into(),
        source: HostnameSource::Dns,
    });
    let bad = Device {
        id: DeviceId(String::new()), // violates CHECK (length(id) > 0)
        ..ip_device(99, 99)
    };
    let batch = vec![changed, ip_device(2, 20), bad, ip_device(3, 30)];
    let err = store
        .merge_devices(&batch, &source("bad", 2))
        .expect_err("empty id must fail");
    let msg = err.to_string();
    assert!(msg.contains("merging device 2"), "{msg}");
    assert!(msg.contains(&path.display().to_string()), "{msg}");
    assert!(matches!(err, StoreError::Sqlite { .. }));

    assert_eq!(table_counts(&path), before, "nothing of the batch stayed");
    assert_eq!(store.device(&pump().id.0)?, pump_before);
    assert_eq!(store.device_count()?, 2);

    // A VLAN outside 0..=4095 is refused the same way.
    let mut vlan = ip_device(5, 5);
    vlan.vlans = vec![4096];
    assert!(store.merge_devices(&[vlan], &source("vlan", 3)).is_err());
    assert_eq!(table_counts(&path), before);

    // And the store still works afterwards.
    store.merge_devices(&[ip_device(2, 20)], &source("after", 4))?;
    assert_eq!(store.device_count()?, 3);
    Ok(())
}

#[test]
fn merge_without_inputs_is_refused() -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut store = open(&db_in(&dir));
    let err = store
        .merge_devices(&[pump()], &AnalysisSource::default())
        .expect_err("no inputs");
    assert!(err.to_string().contains("without inputs"), "{err}");
    assert_eq!(store.device_count()?, 0);
    Ok(())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn the_file_is_encrypted_and_needs_the_right_key() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = db_in(&dir);
    {
        let mut store = open(&path);
        store.merge_devices(&[pump()], &source("ward3", 1))?;
    } // closing checkpoints the WAL into the main file

    let wal = PathBuf::from(format!("{}-wal", path.display()));
    for file in [&path, &wal] {
        let Ok(bytes) = std::fs::read(file) else {
            continue;
        };
        assert!(
            !contains(&bytes, b"SQLite format 3\0"),
            "{}",
            file.display()
        );
        for plain in [
            &b"ICU-PUMP-0417"[..],
            b"Becton",
            b"mac-001b6f0a0b0c",
            b"00:1b:6f:0a:0b:0c",
            b"10.20.3.14",
            b"device_hostnames",
            b"CREATE TABLE",
        ] {
            assert!(
                !contains(&bytes, plain),
                "{} contains {:?}",
                file.display(),
                String::from_utf8_lossy(plain)
            );
        }
    }
    assert!(std::fs::metadata(&path)?.len() > 4096, "data was written");

    // A different key: the clear error.
    let err = SqliteStore::open(&path, &key(KEY_B)).expect_err("wrong key");
    assert!(matches!(err, StoreError::WrongKey { .. }));
    assert_eq!(
        err.to_string(),
        format!("wrong key or not a wardline database: {}", path.display())
    );

    // Plain SQLite without a key cannot read it.
    let plain = rusqlite::Connection::open(&path)?;
    let read = plain.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
        r.get::<_, i64>(0)
    });
    assert!(read.is_err(), "read without key: {read:?}");
    drop(plain);

    // The right key works, and the data is there.
    let store = open(&path);
    assert_eq!(store.device_count()?, 1);
    assert!(store.device(&pump().id.0)?.is_some());
    Ok(())
}

#[test]
fn a_plain_sqlite_file_is_refused() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = dir.path().join("plain.db");
    {
        let conn = rusqlite::Connection::open(&path)?;
        conn.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (1);")?;
    }
    let err = SqliteStore::open(&path, &key(KEY_A)).expect_err("plaintext db");
    assert!(matches!(err, StoreError::WrongKey { .. }), "{err}");

    // Garbage is "not a database" too.
    let junk = dir.path().join("junk.db");
    std::fs::write(&junk, vec![0x5a; 8192])?;
    let err = SqliteStore::open(&junk, &key(KEY_A)).expect_err("junk");
    assert!(matches!(err, StoreError::WrongKey { .. }), "{err}");
    Ok(())
}

#[test]
fn an_encrypted_database_of_another_application_is_refused() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = db_in(&dir);
    {
        let conn = raw_keyed(&path, KEY_A);
        conn.execute_batch("CREATE TABLE patients (name TEXT);")?;
    }
    let err = SqliteStore::open(&path, &key(KEY_A)).expect_err("foreign db");
    assert!(matches!(err, StoreError::NotWardline { .. }), "{err}");
    assert!(err.to_string().contains("not a wardline database"), "{err}");
    // and it was not touched
    let conn = raw_keyed(&path, KEY_A);
    let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    assert_eq!(v, 0);
    Ok(())
}

#[test]
fn a_newer_schema_is_refused_with_a_clear_message() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = db_in(&dir);
    let current = {
        let mut store = open(&path);
        store.merge_devices(&[pump()], &source("a", 1))?;
        store.schema_version()?
    };
    assert!(current >= 1);
    {
        let conn = raw_keyed(&path, KEY_A);
        conn.pragma_update(None, "user_version", current + 41)?;
    }
    let err = SqliteStore::open(&path, &key(KEY_A)).expect_err("newer schema");
    assert!(matches!(err, StoreError::NewerSchema { .. }));
    assert_eq!(
        err.to_string(),
        format!(
            "{}: database schema version {} is newer than this wardline supports ({current}); \
             upgrade wardline",
            path.display(),
            current + 41
        )
    );
    Ok(())
}

#[test]
fn open_is_idempotent_and_records_the_schema_version() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = db_in(&dir);
    let v1 = open(&path).schema_version()?;
    let v2 = open(&path).schema_version()?;
    assert_eq!(v1, v2);
    assert!(v1 >= 1);
    let conn = raw_keyed(&path, KEY_A);
    let app: i64 = conn.query_row("PRAGMA application_id", [], |r| r.get(0))?;
    assert_eq!(app, 0x5741_5244, "WARD");
    Ok(())
}

#[test]
fn the_store_is_usable_as_a_trait_object() -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut store: Box<dyn Store> = Box::new(open(&db_in(&dir)));
    store.merge_devices(&[pump()], &source("a", 1))?;
    assert_eq!(store.device_count()?, 1);
    Ok(())
}

fn ids(page: &store::Page<Device>) -> Vec<&str> {
    page.items.iter().map(|d| d.id.0.as_str()).collect()
}

#[test]
fn listing_paginates_filters_and_sorts_in_the_database() -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut store = open(&db_in(&dir));
    // 25 ip devices whose last_seen runs against their id order, plus the pump.
    let mut devices: Vec<Device> = (0..25)
        .map(|n| ip_device(n, 10_000 - i64::from(n)))
        .collect();
    devices.push(pump());
    store.merge_devices(&devices, &source("list", 1))?;

    let mut all_ids: Vec<String> = devices.iter().map(|d| d.id.0.clone()).collect();
    all_ids.sort();

    // Pages by id ascending cover everything once, in order.
    let mut seen = Vec::new();
    let mut offset = 0;
    loop {
        let page = store.devices(&DeviceQuery {
            limit: 7,
            offset,
            ..DeviceQuery::default()
        })?;
        assert_eq!(page.total, 26);
        assert_eq!(page.limit, 7);
        assert!(page.items.len() <= 7);
        if page.items.is_empty() {
            break;
        }
        seen.extend(page.items.iter().map(|d| d.id.0.clone()));
        offset += 7;
    }
    assert_eq!(seen, all_ids);

    // Descending id.
    let page = store.devices(&DeviceQuery {
        order: SortOrder::Descending,
        limit: 3,
        ..DeviceQuery::default()
    })?;
    let mut expected: Vec<&str> = all_ids.iter().rev().take(3).map(String::as_str).collect();
    assert_eq!(ids(&page), expected);

    // last_seen descending: the pump (900) is oldest; ip_device(0) newest.
    let page = store.devices(&DeviceQuery {
        sort: DeviceSort::LastSeen,
        order: SortOrder::Descending,
        limit: 2,
        ..DeviceQuery::default()
    })?;
    expected = vec![devices[0].id.0.as_str(), devices[1].id.0.as_str()];
    assert_eq!(ids(&page), expected);
    let page = store.devices(&DeviceQuery {
        sort: DeviceSort::LastSeen,
        order: SortOrder::Ascending,
        limit: 2,
        ..DeviceQuery::default()
    })?;
    expected = vec![devices[25].id.0.as_str(), devices[24].id.0.as_str()];
    assert_eq!(ids(&page), expected);

    // Text filters: hostname (case-insensitive), MAC, IP, id; totals follow the filter.
    for text in ["icu-pump", "00:1b:6f", "10.20.3", "mac-001b", "FE80::21B"] {
        let page = store.devices(&DeviceQuery {
            text: Some(text.into()),
            ..DeviceQuery::default()
        })?;
        assert_eq!(page.total, 1, "{text}");
        assert_eq!(ids(&page), vec![pump().id.0.as_str()], "{text}");
    }
    // "10.9.0.1" matches 10.9.0.1 and 10.9.0.10..19 (substring), not others.
    let page = store.devices(&DeviceQuery {
        text: Some("10.9.0.1".into()),
        limit: 100,
        ..DeviceQuery::default()
    })?;
    assert_eq!(page.total, 11);
    assert!(page.items.iter().all(|d| d.id.0.contains("10.9.0.1")));
    // Filter plus pagination.
    let page = store.devices(&DeviceQuery {
        text: Some("10.9.0.1".into()),
        limit: 4,
        offset: 8,
        ..DeviceQuery::default()
    })?;
    assert_eq!(page.total, 11);
    assert_eq!(page.items.len(), 3);
    // LIKE wildcards in the text are literal.
    for text in ["%", "_", "10.9.0._"] {
        let page = store.devices(&DeviceQuery {
            text: Some(text.into()),
            ..DeviceQuery::default()
        })?;
        assert_eq!(page.total, 0, "{text}");
    }
    // Blank text keeps everything; limit 0 returns only the total; huge limits clamp.
    let page = store.devices(&DeviceQuery {
        text: Some("  ".into()),
        limit: 0,
        ..DeviceQuery::default()
    })?;
    assert_eq!((page.total, page.items.len()), (26, 0));
    let page = store.devices(&DeviceQuery {
        limit: u32::MAX,
        ..DeviceQuery::default()
    })?;
    assert_eq!(page.limit, DeviceQuery::MAX_LIMIT);
    assert_eq!(page.items.len(), 26);
    // Listed devices are complete, not just ids.
    let pump_listed = page
        .items
        .iter()
        .find(|d| d.id == pump().id)
        .ok_or("pump listed")?;
    assert_eq!(pump_listed, &canonical(pump()));
    // Offset past the end.
    let page = store.devices(&DeviceQuery {
        offset: u64::MAX,
        ..DeviceQuery::default()
    })?;
    assert_eq!((page.total, page.items.len()), (26, 0));
    Ok(())
}

#[test]
fn listing_uses_indexes_not_a_sort_in_memory() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = db_in(&dir);
    drop(open(&path));
    let conn = raw_keyed(&path, KEY_A);
    // The shapes store::devices runs (all device columns, optionally the text filter).
    let columns = "d.pk, d.id, d.mac_randomized, d.first_seen, d.last_seen, d.packets, d.bytes";
    let filter = "WHERE d.search_text LIKE '%x%' ESCAPE '\\'";
    for sql in [
        format!("SELECT {columns} FROM devices d ORDER BY d.last_seen DESC, d.id DESC LIMIT 10"),
        format!("SELECT {columns} FROM devices d ORDER BY d.last_seen ASC, d.id ASC LIMIT 10"),
        format!("SELECT {columns} FROM devices d ORDER BY d.id ASC LIMIT 10"),
        format!("SELECT {columns} FROM devices d {filter} ORDER BY d.id DESC LIMIT 10"),
    ] {
        let plan: Vec<String> = conn
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?
            .query_map([], |r| r.get::<_, String>(3))?
            .collect::<Result<_, _>>()?;
        let plan = plan.join(" | ");
        assert!(plan.contains("USING"), "{sql}: {plan}");
        assert!(!plan.contains("TEMP B-TREE"), "{sql}: {plan}");
    }
    Ok(())
}

/// Many devices in one merge, checked for content; the timing is printed, not asserted.
/// `cargo test -p store --release -- --ignored --nocapture merge_scale` runs 100,000.
fn merge_many(n: u32) -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut store = open(&db_in(&dir));
    let devices: Vec<Device> = (0..n)
        .map(|i| {
            let mut d = ip_device(i, i64::from(i) + 1000);
            let m = MacAddr([0x00, 0x1b, 0x6f, (i >> 16) as u8, (i >> 8) as u8, i as u8]);
            d.id = DeviceId::from_mac(m);
            d.macs = vec![m];
            d.hostnames = vec![Hostname {
                name: format!("HOST-{i}"),
                source: HostnameSource::Dhcp,
            }];
            d.services = vec![service("tcp", 443, Some("tls"), "client", 1)];
            d.dns_queries = vec!["a.example".into(), "b.example".into()];
            d.vendor = pump().vendor;
            d.dhcp = pump().dhcp;
            d
        })
        .collect();
    let started = std::time::Instant::now();
    let summary = store.merge_devices(&devices, &source("scale", u64::from(n)))?;
    let first = started.elapsed();
    let started = std::time::Instant::now();
    store.merge_devices(&devices, &source("scale", u64::from(n)))?;
    let again = started.elapsed();
    eprintln!("merged {n} devices in {first:?}; re-merged in {again:?}");
    assert_eq!(summary.new_devices, u64::from(n));
    assert_eq!(store.device_count()?, u64::from(n));
    let last = &devices[devices.len() - 1];
    assert_eq!(
        store.device(&last.id.0)?.as_ref(),
        Some(&canonical(last.clone()))
    );
    let started = std::time::Instant::now();
    let page = store.devices(&DeviceQuery {
        text: Some(format!("HOST-{}", n - 1)),
        ..DeviceQuery::default()
    })?;
    let filtered = started.elapsed();
    assert_eq!(page.total, 1);
    let started = std::time::Instant::now();
    let page = store.devices(&DeviceQuery {
        sort: DeviceSort::LastSeen,
        order: SortOrder::Descending,
        offset: u64::from(n / 2),
        ..DeviceQuery::default()
    })?;
    let middle = started.elapsed();
    assert_eq!(page.items.len(), (n as usize - n as usize / 2).min(100));
    eprintln!(
        "text filter over {n}: {filtered:?}; page of 100 at offset {}: {middle:?}",
        n / 2
    );
    Ok(())
}

#[test]
fn merge_scale_small() -> TestResult {
    merge_many(2_000)
}

#[test]
#[ignore = "slow in debug builds; run with --release to see the 100,000-device timing"]
fn merge_scale_100k() -> TestResult {
    merge_many(100_000)
}

fn listed(tag: &str, mac_text: &str, model: &str) -> model::Asset {
    model::Asset {
        tag: tag.into(),
        macs: vec![mac(mac_text)],
        model: Some(model.into()),
        ..model::Asset::default()
    }
}

#[test]
fn asset_list_upserts_replaces_and_keeps_placeholders_in_step() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = db_in(&dir);
    let mut store = open(&path);
    let at = Timestamp(1_800_000_000_000_000_000);
    let rows = vec![
        (
            listed("A", "00:1b:6f:00:00:01", "8015"),
            "l.csv:2".to_string(),
        ),
        (
            listed("B", "00:1b:6f:00:00:02", "8015"),
            "l.csv:3".to_string(),
        ),
    ];
    let s = store.import_assets(&rows, false, at)?;
    assert_eq!((s.new, s.updated, s.unchanged, s.removed), (2, 0, 0, 0));
    // Again: nothing new; one changed row is an update.
    let s = store.import_assets(&rows, false, at)?;
    assert_eq!((s.new, s.unchanged), (0, 2));
    let changed = vec![(
        listed("B", "00:1b:6f:00:00:02", "8100"),
        "l.csv:3".to_string(),
    )];
    let s = store.import_assets(&changed, false, at)?;
    assert_eq!((s.updated, s.removed), (1, 0));
    assert_eq!(
        store.assets()?.len(),
        2,
        "without --replace nothing is removed"
    );

    // A is seen (the device exists), B never: B stands as a placeholder device.
    store.merge_devices(&[pump()], &source("monday", 1))?;
    let placeholder = Device {
        id: DeviceId("asset-B".into()),
        macs: vec![mac("00:1b:6f:00:00:02")],
        ..Device::default()
    };
    store.record_asset_matches(
        &[
            ("A".into(), Some((pump().id, model::AssetMatchReason::Mac))),
            ("B".into(), None),
        ],
        std::slice::from_ref(&placeholder),
    )?;
    let assets = store.assets()?;
    assert_eq!(
        assets[0].matched.as_ref().map(|m| m.0.clone()),
        Some(pump().id)
    );
    assert_eq!(assets[0].last_seen, Some(pump().last_seen));
    assert_eq!(assets[1].matched, None);
    assert!(store.device("asset-B")?.is_some());
    // Placeholders are not candidates for matching.
    assert!(
        store
            .device_identities()?
            .iter()
            .all(|d| !d.id.0.starts_with("asset-"))
    );

    // Replacing with a list without B removes B and its placeholder.
    let s = store.import_assets(&rows[..1], true, at)?;
    assert_eq!(s.removed, 1);
    assert_eq!(store.assets()?.len(), 1);
    assert!(store.device("asset-B")?.is_none());
    assert!(store.device(&pump().id.0)?.is_some());
    Ok(())
}

#[test]
fn advisories_upsert_by_id_and_read_back_with_their_cves() -> TestResult {
    use store::AdvisoryRecord;
    let dir = tempfile::tempdir()?;
    let path = db_in(&dir);
    let mut store = open(&path);
    let record = |id: &str, body: serde_json::Value, cves: &[&str]| AdvisoryRecord {
        id: id.into(),
        format: "csaf".into(),
        revision: Some("1".into()),
        title: format!("{id} title"),
        origin: format!("{id}.json"),
        cves: cves.iter().map(|c| (*c).to_string()).collect(),
        body,
    };
    let a = record(
        "ICSMA-1",
        serde_json::json!({"x": 1}),
        &["CVE-2024-2", "CVE-2024-1"],
    );
    let b = record("ICSMA-2", serde_json::json!({"x": 2}), &[]);
    let first = store.import_advisories(&[a.clone(), b.clone()], model::Timestamp(1))?;
    assert_eq!((first.new, first.updated, first.unchanged), (2, 0, 0));
    let again = store.import_advisories(&[a.clone(), b.clone()], model::Timestamp(2))?;
    assert_eq!((again.new, again.updated, again.unchanged), (0, 0, 2));
    let a2 = record("ICSMA-1", serde_json::json!({"x": 3}), &["CVE-2024-3"]);
    let changed = store.import_advisories(std::slice::from_ref(&a2), model::Timestamp(3))?;
    assert_eq!((changed.new, changed.updated, changed.unchanged), (0, 1, 0));
    let stored = store.advisories()?;
    assert_eq!(stored.len(), 2);
    assert_eq!(stored[0], a2);
    assert_eq!(stored[1], b);
    Ok(())
}

fn with_category(mut d: Device, category: &str) -> Device {
    d.category = Some(Box::new(Attribute {
        value: category.into(),
        confidence: 0.9,
        evidence: Vec::new(),
    }));
    d
}

/// The console's filters and counts: devices by the category they show (an override wins
/// over what the wire said), devices per category, findings by status and severity.
#[test]
fn devices_filter_and_count_by_the_category_they_show() -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut store = open(&db_in(&dir));
    let devices: Vec<Device> = (0..6)
        .map(|n| match n {
            0..=2 => with_category(ip_device(n, 100 + i64::from(n)), "infusion_pump"),
            3 | 4 => with_category(ip_device(n, 100 + i64::from(n)), "printer"),
            _ => ip_device(n, 100 + i64::from(n)),
        })
        .collect();
    store.merge_devices(&devices, &source("a", 1))?;
    // A person says device 2 is a patient monitor: it leaves the pumps.
    assert!(store.set_override(
        &devices[2].id.0,
        "category",
        Some("patient_monitor"),
        Timestamp(5)
    )?);
    let pumps = store.devices(&DeviceQuery {
        category: Some("infusion_pump".into()),
        ..DeviceQuery::default()
    })?;
    let ids: Vec<&str> = pumps.items.iter().map(|d| d.id.0.as_str()).collect();
    assert_eq!(pumps.total, 2);
    assert_eq!(ids, [devices[0].id.0.as_str(), devices[1].id.0.as_str()]);
    let monitors = store.devices(&DeviceQuery {
        category: Some("patient_monitor".into()),
        ..DeviceQuery::default()
    })?;
    assert_eq!(monitors.total, 1);
    let counts = store.device_breakdown("category")?;
    assert_eq!(
        counts,
        vec![
            ("infusion_pump".to_string(), 2),
            ("printer".to_string(), 2),
            (String::new(), 1),
            ("patient_monitor".to_string(), 1),
        ]
    );
    Ok(())
}

/// Triage: a status and a comment kept with who and when, all or nothing over a batch; an
/// unknown status refused; a resolved finding seen again by a later analysis opens again.
#[test]
fn triage_is_kept_with_its_history_and_a_finding_seen_again_reopens() -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut store = open(&db_in(&dir));
    let pump = pump();
    let f = phi_finding(&pump, 3);
    store.merge_analysis(
        std::slice::from_ref(&pump),
        std::slice::from_ref(&f),
        &source("a", 1),
    )?;
    let change =
        |status: Option<&'static str>, comment: Option<&'static str>| store::TriageChange {
            finding: "",
            status,
            comment,
            actor: "ann",
        };
    let mut ack = change(Some("acknowledged"), Some("ticket 12"));
    ack.finding = &f.id.0;
    let mut missing = change(Some("resolved"), None);
    missing.finding = "f-none";
    assert_eq!(store.triage(&[ack, missing], 1_000)?, vec![true, false]);
    let mut bad = change(Some("closed"), None);
    bad.finding = &f.id.0;
    assert!(store.triage(&[bad], 2_000).is_err());
    let state = store.finding_states(&[f.id.0.as_str()])?;
    assert_eq!(state[&f.id.0].status, "acknowledged");
    assert_eq!(state[&f.id.0].by.as_deref(), Some("ann"));
    let only_ack = FindingQuery {
        status: Some("acknowledged".into()),
        severity: Some(Severity::High),
        ..FindingQuery::default()
    };
    assert_eq!(store.findings(&only_ack)?.total, 1);
    let mut resolve = change(Some("resolved"), None);
    resolve.finding = &f.id.0;
    store.triage(&[resolve], 3_000)?;
    // The same evidence again (last seen 200, before the resolution): it stays resolved.
    store.merge_analysis(
        std::slice::from_ref(&pump),
        std::slice::from_ref(&f),
        &source("b", 2),
    )?;
    assert_eq!(
        store.finding_states(&[f.id.0.as_str()])?[&f.id.0].status,
        "resolved"
    );
    // Seen after it was resolved: open again, noted.
    let mut later = f.clone();
    later.last_seen = Timestamp(5_000);
    store.merge_analysis(std::slice::from_ref(&pump), &[later], &source("c", 3))?;
    assert_eq!(
        store.finding_states(&[f.id.0.as_str()])?[&f.id.0].status,
        "open"
    );
    let notes = store.finding_notes(&f.id.0)?;
    let steps: Vec<(Option<&str>, Option<&str>, &str)> = notes
        .iter()
        .map(|n| {
            (
                n.from_status.as_deref(),
                n.to_status.as_deref(),
                n.actor.as_str(),
            )
        })
        .collect();
    assert_eq!(
        steps,
        [
            (Some("open"), Some("acknowledged"), "ann"),
            (Some("acknowledged"), Some("resolved"), "ann"),
            (Some("resolved"), Some("open"), "wardline"),
        ]
    );
    assert_eq!(notes[0].comment.as_deref(), Some("ticket 12"));
    Ok(())
}

fn conversation(client: &str, server: &str, port: u16, bytes: u64) -> model::Conversation {
    let dev = |a: &str| {
        let addr = ip(a);
        model::ip_is_local(&addr).then(|| DeviceId::from_ip(addr).0.into())
    };
    let zone = |a: &str| {
        if model::ip_is_local(&ip(a)) {
            if a.starts_with("10.20.") {
                "icu"
            } else {
                "lab"
            }
            .to_string()
        } else {
            model::INTERNET_ZONE.to_string()
        }
    };
    model::Conversation {
        client_addr: ip(client),
        client_device: dev(client),
        client_zone: zone(client).into(),
        server_addr: ip(server),
        server_device: dev(server),
        server_zone: zone(server).into(),
        transport: model::Transport::TCP,
        port,
        app: (port == 443).then_some("tls"),
        flows: 2,
        packets: 10,
        bytes,
        first_seen: Timestamp(100),
        last_seen: Timestamp(200),
    }
}

fn zoned_device(addr: &str, zone: &str) -> Device {
    let a = ip(addr);
    Device {
        id: DeviceId::from_ip(a),
        ips: vec![sighting(addr, 100, 200)],
        first_seen: Timestamp(100),
        last_seen: Timestamp(200),
        zone: Some(zone.into()),
        ..Device::default()
    }
}

#[test]
fn conversations_sum_per_source_and_make_the_zone_matrix_and_peer_lists() -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut store = open(&db_in(&dir));
    let devices = [
        zoned_device("10.20.0.5", "icu"),
        zoned_device("10.20.0.6", "icu"),
        zoned_device("10.40.0.9", "lab"),
    ];
    let convs = [
        conversation("10.20.0.5", "10.40.0.9", 2575, 1_000),
        conversation("10.20.0.6", "10.40.0.9", 2575, 3_000),
        conversation("10.20.0.5", "93.184.216.34", 443, 500),
    ];
    store.merge_analysis_with_traffic(&devices, &[], &convs, &source("a", 1))?;
    // The same source again replaces its share; another source adds to it.
    store.merge_analysis_with_traffic(&devices, &[], &convs, &source("a", 1))?;
    store.merge_analysis_with_traffic(&devices, &[], &convs[..1], &source("b", 2))?;

    let matrix = store.zone_matrix()?;
    let cell = |c: &str, s: &str| {
        matrix
            .iter()
            .find(|l| l.client_zone == c && l.server_zone == s)
    };
    let icu_lab = cell("icu", "lab").ok_or("icu → lab")?;
    assert_eq!(
        (icu_lab.conversations, icu_lab.flows, icu_lab.bytes),
        (2, 6, 5_000)
    );
    assert_eq!(cell("icu", "internet").ok_or("icu → internet")?.bytes, 500);
    assert!(cell("lab", "icu").is_none());

    // One device's conversations, either side, most bytes first.
    let lab = DeviceId::from_ip(ip("10.40.0.9")).0;
    let page = store.conversations(&store::ConversationQuery {
        device: Some(lab.clone()),
        ..store::ConversationQuery::default()
    })?;
    assert_eq!(page.total, 2);
    assert_eq!(page.items[0].client_addr, "10.20.0.6");
    assert_eq!(page.items[0].server_device.as_deref(), Some(lab.as_str()));
    assert_eq!(page.items[1].bytes, 2_000);
    let web = store.conversations(&store::ConversationQuery {
        server_zone: Some("internet".into()),
        ..store::ConversationQuery::default()
    })?;
    assert_eq!(web.total, 1);
    assert_eq!(web.items[0].server_device, None);
    assert_eq!(web.items[0].app.as_deref(), Some("tls"));
    assert_eq!(web.items[0].transport, "tcp");

    // Devices carry their zone; the zone filters and counts.
    let icu = store.devices(&DeviceQuery {
        zone: Some("icu".into()),
        ..DeviceQuery::default()
    })?;
    assert_eq!(icu.total, 2);
    assert!(icu.items.iter().all(|d| d.zone.as_deref() == Some("icu")));
    assert_eq!(
        store.device_breakdown("zone")?,
        vec![("icu".to_string(), 2), ("lab".to_string(), 1)]
    );
    Ok(())
}

#[test]
fn zones_are_replaced_whole_and_read_back() -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut store = open(&db_in(&dir));
    let icu = model::Zone {
        name: "icu".into(),
        kind: model::ZoneKind::Clinical,
        vlans: vec![20, 120],
        subnets: vec!["10.20.0.0/22".parse()?, "fd00:20::/64".parse()?],
    };
    let guest = model::Zone {
        name: "guest".into(),
        kind: model::ZoneKind::Guest,
        vlans: vec![],
        subnets: vec![],
    };
    store.set_zones(&[icu.clone(), guest.clone()], Timestamp(1))?;
    assert_eq!(store.zones()?, vec![guest, icu.clone()]);
    store.set_zones(std::slice::from_ref(&icu), Timestamp(2))?;
    assert_eq!(store.zones()?, vec![icu]);
    Ok(())
}

#[test]
fn shown_category_follows_overrides_and_text_search_uses_the_trigram_index() -> TestResult {
    let dir = tempfile::tempdir()?;
    let path = db_in(&dir);
    let mut store = open(&path);
    let mut devices: Vec<Device> = (0..30).map(|n| ip_device(n, 1_000)).collect();
    devices.push(pump());
    store.merge_devices(&devices, &source("s", 1))?;
    let by = |store: &SqliteStore, c: &str| -> Result<u64, StoreError> {
        Ok(store
            .devices(&DeviceQuery {
                category: Some(c.into()),
                limit: 0,
                ..DeviceQuery::default()
            })?
            .total)
    };
    assert_eq!(by(&store, "infusion_pump")?, 1);
    // An override wins, and removing it brings the derived value back.
    let first = devices[0].id.0.clone();
    store.set_override(&first, "category", Some("infusion_pump"), Timestamp(5))?;
    store.set_override(&pump().id.0, "category", Some("ventilator"), Timestamp(5))?;
    assert_eq!(by(&store, "infusion_pump")?, 1);
    assert_eq!(by(&store, "ventilator")?, 1);
    store.set_override(&pump().id.0, "category", None, Timestamp(6))?;
    assert_eq!(by(&store, "infusion_pump")?, 2);
    assert_eq!(by(&store, "ventilator")?, 0);
    // A new analysis that derives another category moves the device.
    let mut again = pump();
    if let Some(c) = again.category.as_deref_mut() {
        c.value = "patient_monitor".into();
    }
    store.merge_devices(&[again], &source("t", 1))?;
    assert_eq!(by(&store, "patient_monitor")?, 1);
    assert_eq!(by(&store, "infusion_pump")?, 1);

    // The text filter reads the trigram index for three characters or more.
    let conn = raw_keyed(&path, KEY_A);
    let plan: Vec<String> = conn
        .prepare(
            "EXPLAIN QUERY PLAN SELECT count(*) FROM devices d
             WHERE d.pk IN (SELECT rowid FROM devices_text WHERE search_text LIKE '%10.9.0%')",
        )?
        .query_map([], |r| r.get::<_, String>(3))?
        .collect::<Result<_, _>>()?;
    assert!(plan.join(" | ").contains("VIRTUAL TABLE INDEX"), "{plan:?}");
    // Results after a device's addresses change follow the new text.
    let mut moved = ip_device(0, 2_000);
    moved.hostnames = vec![Hostname {
        name: "LAB-ANALYZER-7".into(),
        source: HostnameSource::Dhcp,
    }];
    store.merge_devices(&[moved], &source("u", 1))?;
    let hits = store.devices(&DeviceQuery {
        text: Some("analyzer-7".into()),
        ..DeviceQuery::default()
    })?;
    assert_eq!(ids(&hits), vec![devices[0].id.0.as_str()]);
    Ok(())
}

fn finding_of(device: &Device, kind: FindingKind, score: Option<f64>, day: i64) -> Finding {
    let mut evidence = serde_json::Map::new();
    if let Some(s) = score {
        evidence.insert("risk".into(), serde_json::json!({ "score": s }));
    }
    let at = Timestamp(day * 86_400_000_000_000 + 5);
    Finding {
        id: FindingId::from_parts(&[kind.as_str(), &device.id.0, &format!("{score:?}")]),
        kind,
        severity: Severity::High,
        device: device.id.clone(),
        summary: "test".into(),
        evidence,
        first_seen: at,
        last_seen: at,
        count: 1,
    }
}

#[test]
fn devices_filter_by_risk_band_and_authorization_and_findings_count_per_day() -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut store = open(&db_in(&dir));
    let devices: Vec<Device> = (0..5).map(|n| ip_device(n, 1_000 + i64::from(n))).collect();
    let findings = vec![
        // Device 0: its highest open score (85) decides: critical.
        finding_of(&devices[0], FindingKind::Vulnerable, Some(85.0), 20_000),
        finding_of(&devices[0], FindingKind::Vulnerable, Some(30.0), 20_000),
        // Device 1: medium. Device 2: low, and not on the asset list.
        finding_of(&devices[1], FindingKind::Vulnerable, Some(45.0), 20_001),
        finding_of(&devices[2], FindingKind::Vulnerable, Some(12.0), 20_001),
        finding_of(&devices[2], FindingKind::UnauthorizedDevice, None, 20_002),
    ];
    store.merge_analysis(&devices, &findings, &source("r", 1))?;
    let ids_of =
        |store: &SqliteStore, risk: Option<store::RiskBand>, auth: Option<store::Authorization>| {
            store
                .devices(&DeviceQuery {
                    risk,
                    authorized: auth,
                    ..DeviceQuery::default()
                })
                .map(|p| p.items.into_iter().map(|d| d.id.0).collect::<Vec<_>>())
        };
    let id = |n: usize| devices[n].id.0.clone();
    assert_eq!(
        ids_of(&store, Some(store::RiskBand::Critical), None)?,
        vec![id(0)]
    );
    assert_eq!(
        ids_of(&store, Some(store::RiskBand::High), None)?,
        Vec::<String>::new()
    );
    assert_eq!(
        ids_of(&store, Some(store::RiskBand::Medium), None)?,
        vec![id(1)]
    );
    assert_eq!(
        ids_of(&store, Some(store::RiskBand::Low), None)?,
        vec![id(2)]
    );
    assert_eq!(
        ids_of(&store, Some(store::RiskBand::None), None)?,
        vec![id(3), id(4)]
    );
    assert_eq!(store.device_risk(&id(0))?, Some(85.0));
    assert_eq!(store.device_risk(&id(3))?, None);
    // Resolving the 85 leaves the 30: device 0 is low now.
    let critical = findings[0].id.0.clone();
    store.triage(
        &[store::TriageChange {
            finding: &critical,
            status: Some("resolved"),
            comment: None,
            actor: "ana",
        }],
        1,
    )?;
    assert_eq!(
        ids_of(&store, Some(store::RiskBand::Low), None)?,
        vec![id(0), id(2)]
    );
    let risk = store.device_breakdown("risk")?;
    assert_eq!(
        risk,
        vec![
            ("critical".to_string(), 0),
            ("high".to_string(), 0),
            ("medium".to_string(), 1),
            ("low".to_string(), 2),
            ("none".to_string(), 2),
        ]
    );

    // Authorization: device 4 matched to a listed asset, device 2 flagged, the rest neither.
    let asset = listed("T-4", "00:1b:6f:00:00:09", "8015");
    store.import_assets(&[(asset, "l.csv:2".into())], false, Timestamp(1))?;
    store.record_asset_matches(
        &[(
            "T-4".into(),
            Some((devices[4].id.clone(), model::AssetMatchReason::Ip)),
        )],
        &[],
    )?;
    assert_eq!(
        ids_of(&store, None, Some(store::Authorization::Listed))?,
        vec![id(4)]
    );
    assert_eq!(
        ids_of(&store, None, Some(store::Authorization::Unauthorized))?,
        vec![id(2)]
    );
    assert_eq!(
        ids_of(&store, None, Some(store::Authorization::Unknown))?,
        vec![id(0), id(1), id(3)]
    );
    assert_eq!(
        store.device_authorization(&id(4))?,
        store::Authorization::Listed
    );
    assert_eq!(
        store.device_authorization(&id(2))?,
        store::Authorization::Unauthorized
    );
    assert_eq!(
        store.device_breakdown("authorized")?,
        vec![
            ("listed".to_string(), 1),
            ("unauthorized".to_string(), 1),
            ("unknown".to_string(), 3)
        ]
    );

    // New findings per day and severity, oldest first; the most recent days only.
    let timeline = store.finding_timeline(2)?;
    assert_eq!(
        timeline,
        vec![
            (20_001 * 86_400, "high".to_string(), 2),
            (20_002 * 86_400, "high".to_string(), 1),
        ]
    );
    assert_eq!(
        store.finding_timeline(30)?[0],
        (20_000 * 86_400, "high".to_string(), 2)
    );
    // Newest first by first sighting.
    let newest = store.devices(&DeviceQuery {
        sort: DeviceSort::FirstSeen,
        order: SortOrder::Descending,
        limit: 2,
        ..DeviceQuery::default()
    })?;
    assert_eq!(ids(&newest), vec![id(4).as_str(), id(3).as_str()]);
    Ok(())
}

#[test]
fn a_broad_text_search_counts_past_the_page_and_a_narrow_one_exactly() -> TestResult {
    let dir = tempfile::tempdir()?;
    let mut store = open(&db_in(&dir));
    let devices: Vec<Device> = (0..2_500).map(|n| ip_device(n, 1_000)).collect();
    store.merge_devices(&devices, &source("many", 1))?;
    // "10.9." is in every device's address: scanned, counted to 1,000 past the page.
    let broad = store.devices(&DeviceQuery {
        text: Some("10.9.".into()),
        limit: 10,
        offset: 20,
        ..DeviceQuery::default()
    })?;
    assert_eq!(broad.items.len(), 10);
    assert!(!broad.total_exact);
    assert_eq!(broad.total, 20 + 10 + store::TEXT_COUNT_AHEAD);
    // Near the end the count reaches the end and is exact again.
    let tail = store.devices(&DeviceQuery {
        text: Some("10.9.".into()),
        limit: 100,
        offset: 2_000,
        ..DeviceQuery::default()
    })?;
    assert!(tail.total_exact);
    assert_eq!(tail.total, 2_500);
    // "10.9.3.17" has a rare trigram: the index answers, exactly (10.9.3.17, .170-.179).
    let narrow = store.devices(&DeviceQuery {
        text: Some("10.9.3.17".into()),
        limit: 100,
        ..DeviceQuery::default()
    })?;
    assert!(narrow.total_exact);
    assert_eq!(narrow.total, 11);
    assert!(narrow.items.iter().all(|d| d.id.0.contains("10.9.3.17")));
    // A trigram no device holds: nothing, at once.
    let none = store.devices(&DeviceQuery {
        text: Some("zzz-none".into()),
        ..DeviceQuery::default()
    })?;
    assert_eq!((none.total, none.total_exact), (0, true));
    Ok(())
}
