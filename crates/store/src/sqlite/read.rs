//! Reading devices back: one device by id, or a filtered, sorted page of them.
//!
//! Filtering, ordering and LIMIT/OFFSET are in the SQL; Rust only assembles the page's rows
//! into [`Device`]s and puts each device's own short lists in canonical order.

use std::net::IpAddr;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, Row, params};

use super::sqlite_error;
use crate::{DeviceQuery, DeviceSort, FindingQuery, Page, SortOrder, StoreError};
use model::{
    Attribute, Device, DeviceFact, DeviceId, DeviceSoftware, DhcpFingerprint, Evidence, Finding,
    FindingId, FindingKind, Hostname, HostnameSource, IpSighting, MacAddr, Service, Severity,
    Timestamp,
};

const DEVICE_COLUMNS: &str =
    "d.pk, d.id, d.mac_randomized, d.first_seen, d.last_seen, d.packets, d.bytes, d.zone";

/// A stored value that does not parse back: the file was damaged or edited by hand.
#[derive(Debug)]
struct CorruptValue(String);

impl std::fmt::Display for CorruptValue {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CorruptValue {}

fn corrupt(column: usize, what: String) -> rusqlite::Error {
    rusqlite::Error::FromSqlConversionFailure(
        column,
        rusqlite::types::Type::Text,
        Box::new(CorruptValue(what)),
    )
}

/// Maps a read error: conversion failures become [`StoreError::Corrupt`], others
/// [`StoreError::Sqlite`].
fn read_error(path: &Path, action: String) -> impl FnOnce(rusqlite::Error) -> StoreError {
    let path = path.to_path_buf();
    move |e| match e {
        rusqlite::Error::FromSqlConversionFailure(_, _, inner) => StoreError::Corrupt {
            path,
            problem: format!("{action}: {inner}"),
        },
        e => sqlite_error(&path, action)(e),
    }
}

/// The `devices` row of a device before its lists are loaded.
struct DeviceRow {
    pk: i64,
    device: Device,
}

fn device_row(r: &Row<'_>) -> rusqlite::Result<DeviceRow> {
    let packets: i64 = r.get(5)?;
    let bytes: i64 = r.get(6)?;
    Ok(DeviceRow {
        pk: r.get(0)?,
        device: Device {
            id: DeviceId(r.get(1)?),
            mac_randomized: r.get(2)?,
            first_seen: Timestamp(r.get(3)?),
            last_seen: Timestamp(r.get(4)?),
            packets: u64::try_from(packets).unwrap_or(0),
            bytes: u64::try_from(bytes).unwrap_or(0),
            zone: r.get(7)?,
            ..Device::default()
        },
    })
}

pub(crate) fn device(
    conn: &Connection,
    path: &Path,
    id: &str,
) -> Result<Option<Device>, StoreError> {
    let action = || format!("reading device {id:?}");
    let row = conn
        .prepare_cached(&format!(
            "SELECT {DEVICE_COLUMNS} FROM devices d WHERE d.id = ?1"
        ))
        .and_then(|mut s| s.query_row([id], device_row).optional())
        .map_err(read_error(path, action()))?;
    match row {
        Some(row) => Ok(Some(
            load_lists(conn, row).map_err(read_error(path, action()))?,
        )),
        None => Ok(None),
    }
}

/// Devices holding a trigram at most this often make a text search read the trigram index.
const SELECTIVE_TRIGRAM_DEVICES: i64 = 2_000;

/// Whether the trigram index answers a search for `text` faster than a scan: it has three
/// characters or more and one of its trigrams is held by few devices (or by none: nothing
/// matches). Case folds as the index does (ASCII; other text scans).
fn selective(conn: &Connection, text: &str) -> bool {
    if !text.is_ascii() || text.len() < 3 {
        return false;
    }
    let lower = text.to_ascii_lowercase();
    let mut trigrams: Vec<&str> = (0..=lower.len() - 3).map(|i| &lower[i..i + 3]).collect();
    trigrams.sort_unstable();
    trigrams.dedup();
    let Ok(mut stmt) = conn.prepare_cached("SELECT doc FROM devices_text_vocab WHERE term = ?1")
    else {
        return false;
    };
    trigrams.iter().any(|t| {
        stmt.query_row([t], |r| r.get::<_, i64>(0))
            .optional()
            .is_ok_and(|doc| doc.is_none_or(|d| d <= SELECTIVE_TRIGRAM_DEVICES))
    })
}

/// `text` as a LIKE pattern matching it anywhere, with `\`, `%` and `_` taken literally.
fn like_pattern(text: &str) -> String {
    let mut p = String::with_capacity(text.len() + 2);
    p.push('%');
    for c in text.chars() {
        if matches!(c, '\\' | '%' | '_') {
            p.push('\\');
        }
        p.push(c);
    }
    p.push('%');
    p
}

pub(crate) fn devices(
    conn: &Connection,
    path: &Path,
    query: &DeviceQuery,
) -> Result<Page<Device>, StoreError> {
    let limit = query.limit.min(DeviceQuery::MAX_LIMIT);
    let offset = i64::try_from(query.offset).unwrap_or(i64::MAX);
    let pattern = query
        .text
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(|t| {
            let literal = !t.contains(['\\', '%', '_']);
            if literal && selective(conn, t) {
                (format!("%{t}%"), true)
            } else {
                (like_pattern(t), false)
            }
        });
    let category = query.category.as_deref().filter(|c| !c.is_empty());
    let vendor = query.vendor.as_deref().filter(|v| !v.is_empty());
    let zone = query.zone.as_deref().filter(|z| !z.is_empty());

    // Only fixed fragments go into the SQL text (the user's values are bound parameters),
    // and only the filters in use: a few statement shapes, each prepared once and cached.
    // Without "?N IS NULL OR" around them, an attribute filter drives the query from its
    // (name, value) index: the 5,000 pumps of 100,000 devices are read, not every device.
    let order = match (query.sort, query.order) {
        (DeviceSort::Id, SortOrder::Ascending) => "d.id ASC",
        (DeviceSort::Id, SortOrder::Descending) => "d.id DESC",
        (DeviceSort::LastSeen, SortOrder::Ascending) => "d.last_seen ASC, d.id ASC",
        (DeviceSort::LastSeen, SortOrder::Descending) => "d.last_seen DESC, d.id DESC",
        (DeviceSort::FirstSeen, SortOrder::Ascending) => "d.first_seen ASC, d.id ASC",
        (DeviceSort::FirstSeen, SortOrder::Descending) => "d.first_seen DESC, d.id DESC",
    };
    let mut conditions: Vec<String> = Vec::new();
    let mut bound: Vec<(&str, &dyn rusqlite::ToSql)> = Vec::new();
    if let Some((p, indexed)) = &pattern {
        // The trigram index answers LIKE without ESCAPE for patterns of three characters or
        // more; a wildcard character in the text, or a shorter text, scans the column.
        if *indexed {
            conditions.push(
                "d.pk IN (SELECT rowid FROM devices_text WHERE search_text LIKE :text)".into(),
            );
        } else {
            conditions.push("d.search_text LIKE :text ESCAPE '\\'".into());
        }
        bound.push((":text", p));
    }
    // What a device shows (override first, else derived) is kept on its row (migration
    // 0013), so these filters count and page from one (value, id) index each.
    if let Some(c) = &category {
        conditions.push("d.shown_category = :category".into());
        bound.push((":category", c));
    }
    if let Some(v) = &vendor {
        conditions.push("d.shown_vendor = :vendor".into());
        bound.push((":vendor", v));
    }
    if let Some(z) = &zone {
        conditions.push("d.zone = :zone".into());
        bound.push((":zone", z));
    }
    let risk_bounds = query.risk.and_then(crate::RiskBand::bounds);
    match (query.risk, &risk_bounds) {
        (Some(_), Some((low, high))) => {
            conditions.push(
                "d.pk IN (SELECT device_pk FROM findings
                          WHERE kind = 'vulnerable' AND status <> 'resolved'
                          GROUP BY device_pk
                          HAVING max(coalesce(risk_score, 0)) >= :risk_low
                             AND max(coalesce(risk_score, 0)) < :risk_high)"
                    .into(),
            );
            bound.push((":risk_low", low));
            bound.push((":risk_high", high));
        }
        (Some(_), None) => conditions.push(
            "d.pk NOT IN (SELECT device_pk FROM findings
                          WHERE kind = 'vulnerable' AND status <> 'resolved')"
                .into(),
        ),
        (None, _) => {}
    }
    const LISTED: &str = "d.id IN (SELECT device_id FROM assets WHERE device_id IS NOT NULL)";
    const UNAUTHORIZED: &str = "d.pk IN (SELECT device_pk FROM findings
                                WHERE kind = 'unauthorized_device' AND status <> 'resolved')";
    match query.authorized {
        Some(crate::Authorization::Listed) => conditions.push(LISTED.into()),
        Some(crate::Authorization::Unauthorized) => conditions.push(UNAUTHORIZED.into()),
        Some(crate::Authorization::Unknown) => {
            conditions.push(format!("NOT ({LISTED}) AND NOT ({UNAUTHORIZED})"));
        }
        None => {}
    }
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    };
    // A text search the index does not answer is counted only so far past the page: a
    // common fragment matches tens of thousands of devices, and counting them all would cost
    // more than the page (the scan in listing order stops once the page is found).
    let scanned_text = matches!(pattern, Some((_, false)));
    let cap = i64::try_from(
        query
            .offset
            .saturating_add(u64::from(limit))
            .saturating_add(crate::TEXT_COUNT_AHEAD),
    )
    .unwrap_or(i64::MAX);
    let total = if scanned_text {
        let mut counted = bound.clone();
        counted.push((":cap", &cap));
        conn.prepare_cached(&format!(
            "SELECT count(*) FROM (SELECT 1 FROM devices d{filter} LIMIT :cap)"
        ))
        .and_then(|mut s| s.query_row(counted.as_slice(), |r| r.get::<_, i64>(0)))
    } else {
        conn.prepare_cached(&format!("SELECT count(*) FROM devices d{filter}"))
            .and_then(|mut s| s.query_row(bound.as_slice(), |r| r.get::<_, i64>(0)))
    }
    .map_err(read_error(path, "counting devices".into()))?;
    let total_exact = !scanned_text || total < cap;

    let rows: Vec<DeviceRow> = if limit == 0 {
        Vec::new()
    } else {
        let mut page = bound.clone();
        page.push((":limit", &limit));
        page.push((":offset", &offset));
        conn.prepare_cached(&format!(
            "SELECT {DEVICE_COLUMNS} FROM devices d{filter}
             ORDER BY {order} LIMIT :limit OFFSET :offset"
        ))
        .and_then(|mut s| {
            s.query_map(page.as_slice(), device_row)?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .map_err(read_error(path, "listing devices".into()))?
    };

    let mut items = Vec::with_capacity(rows.len());
    for row in rows {
        let id = row.device.id.0.clone();
        items.push(
            load_lists(conn, row).map_err(read_error(path, format!("reading device {id:?}")))?,
        );
    }
    Ok(Page {
        items,
        total: u64::try_from(total).unwrap_or(0),
        total_exact,
        offset: query.offset,
        limit,
    })
}

/// Loads a device's lists and attributes, each in canonical order.
fn load_lists(conn: &Connection, row: DeviceRow) -> rusqlite::Result<Device> {
    let DeviceRow { pk, mut device } = row;

    device.macs = conn
        .prepare_cached("SELECT mac FROM device_macs WHERE device_pk = ?1")?
        .query_map([pk], |r| {
            let text: String = r.get(0)?;
            text.parse::<MacAddr>()
                .map_err(|_| corrupt(0, format!("MAC address {text:?}")))
        })?
        .collect::<rusqlite::Result<_>>()?;
    device.macs.sort();

    device.ips = conn
        .prepare_cached("SELECT addr, first_seen, last_seen FROM device_ips WHERE device_pk = ?1")?
        .query_map([pk], |r| {
            let text: String = r.get(0)?;
            let addr = text
                .parse::<IpAddr>()
                .map_err(|_| corrupt(0, format!("IP address {text:?}")))?;
            Ok(IpSighting {
                addr,
                first_seen: Timestamp(r.get(1)?),
                last_seen: Timestamp(r.get(2)?),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    device.ips.sort_by_key(|s| s.addr);

    device.hostnames = conn
        .prepare_cached("SELECT name, source FROM device_hostnames WHERE device_pk = ?1")?
        .query_map([pk], |r| {
            let source: String = r.get(1)?;
            Ok(Hostname {
                name: r.get(0)?,
                source: HostnameSource::parse(&source)
                    .ok_or_else(|| corrupt(1, format!("hostname source {source:?}")))?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    device.hostnames.sort();

    device.vlans = conn
        .prepare_cached("SELECT vlan FROM device_vlans WHERE device_pk = ?1 ORDER BY vlan")?
        .query_map([pk], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;

    device.services = conn
        .prepare_cached(
            "SELECT transport, port, app, role, peers FROM device_services
             WHERE device_pk = ?1",
        )?
        .query_map([pk], |r| {
            Ok(Service {
                transport: r.get(0)?,
                port: r.get(1)?,
                app: r.get(2)?,
                role: r.get(3)?,
                peers: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    device
        .services
        .sort_by(|a, b| (&a.transport, a.port, &a.role).cmp(&(&b.transport, b.port, &b.role)));

    device.roles = conn
        .prepare_cached("SELECT role FROM device_roles WHERE device_pk = ?1 ORDER BY role")?
        .query_map([pk], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;

    device.dns_queries = conn
        .prepare_cached("SELECT name FROM device_dns_queries WHERE device_pk = ?1 ORDER BY name")?
        .query_map([pk], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;

    device.software = conn
        .prepare_cached(
            "SELECT product, version, source, role, raw FROM device_software
             WHERE device_pk = ?1 ORDER BY product, version, source, role",
        )?
        .query_map([pk], |r| {
            let version: String = r.get(1)?;
            Ok(DeviceSoftware {
                product: r.get(0)?,
                version: (!version.is_empty()).then_some(version),
                source: r.get(2)?,
                role: r.get(3)?,
                raw: r.get(4)?,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;

    device.facts = conn
        .prepare_cached(
            "SELECT key, value, source, count FROM device_facts
             WHERE device_pk = ?1 ORDER BY key, value, source",
        )?
        .query_map([pk], |r| {
            let count: i64 = r.get(3)?;
            Ok(DeviceFact {
                key: r.get::<_, String>(0)?.into(),
                value: r.get(1)?,
                source: r.get::<_, String>(2)?.into(),
                count: u64::try_from(count).unwrap_or(0),
            })
        })?
        .collect::<rusqlite::Result<_>>()?;

    device.findings = conn
        .prepare_cached("SELECT id FROM findings WHERE device_pk = ?1 ORDER BY id")?
        .query_map([pk], |r| Ok(FindingId(r.get(0)?)))?
        .collect::<rusqlite::Result<_>>()?;

    device.vendor = attribute(conn, pk, "vendor")?;
    device.category = attribute(conn, pk, "category")?.map(Box::new);
    device.model = attribute(conn, pk, "model")?.map(Box::new);
    device.os = attribute(conn, pk, "os")?.map(Box::new);
    device.firmware = attribute(conn, pk, "firmware")?.map(Box::new);
    device.modality = attribute(conn, pk, "modality")?.map(Box::new);

    device.dhcp = conn
        .prepare_cached(
            "SELECT vendor_class, param_request_list, client_id, max_message_size
             FROM device_dhcp WHERE device_pk = ?1",
        )?
        .query_row([pk], |r| {
            Ok(DhcpFingerprint {
                vendor_class: r.get(0)?,
                param_request_list: r.get(1)?,
                client_id: r.get(2)?,
                max_message_size: r.get(3)?,
            })
        })
        .optional()?;

    Ok(device)
}

/// The attribute as the analyses left it, with a person's override (if any) on top: the
/// override's value at confidence 1, its evidence (source `override`) first, then the
/// analyses' evidence.
fn attribute(conn: &Connection, pk: i64, name: &str) -> rusqlite::Result<Option<Attribute>> {
    let derived = derived_attribute(conn, pk, name)?;
    let manual: Option<(String, i64)> = conn
        .prepare_cached(
            "SELECT value, set_at FROM device_overrides WHERE device_pk = ?1 AND name = ?2",
        )?
        .query_row(params![pk, name], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((value, set_at)) = manual else {
        return Ok(derived);
    };
    let mut evidence = vec![Evidence {
        value: value.clone(),
        source: "override".into(),
        detail: format!(
            "set by hand (wardline devices set) at {}",
            model::Timestamp(set_at).rfc3339(model::TsPrecision::Seconds)
        ),
        weight: 1.0,
    }];
    evidence.extend(derived.map(|a| a.evidence).unwrap_or_default());
    Ok(Some(Attribute {
        value,
        confidence: 1.0,
        evidence,
    }))
}

fn derived_attribute(
    conn: &Connection,
    pk: i64,
    name: &str,
) -> rusqlite::Result<Option<Attribute>> {
    let head: Option<(String, f64)> = conn
        .prepare_cached(
            "SELECT value, confidence FROM device_attributes WHERE device_pk = ?1 AND name = ?2",
        )?
        .query_row(params![pk, name], |r| Ok((r.get(0)?, r.get(1)?)))
        .optional()?;
    let Some((value, confidence)) = head else {
        return Ok(None);
    };
    let evidence = conn
        .prepare_cached(
            "SELECT value, source, detail, weight FROM device_attribute_evidence
             WHERE device_pk = ?1 AND name = ?2 ORDER BY ordinal",
        )?
        .query_map(params![pk, name], |r| {
            Ok(Evidence {
                value: r.get(0)?,
                source: r.get(1)?,
                detail: r.get(2)?,
                // Stored from an f32, so the narrowing is exact.
                weight: r.get::<_, f64>(3)? as f32,
            })
        })?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Some(Attribute {
        value,
        confidence: confidence as f32,
        evidence,
    }))
}

fn finding_row(r: &Row<'_>) -> rusqlite::Result<Finding> {
    let kind: String = r.get(1)?;
    let severity: String = r.get(2)?;
    let evidence: String = r.get(5)?;
    let count: i64 = r.get(8)?;
    Ok(Finding {
        id: FindingId(r.get(0)?),
        kind: FindingKind::parse(&kind)
            .ok_or_else(|| corrupt(1, format!("finding kind {kind:?}")))?,
        severity: Severity::parse(&severity)
            .ok_or_else(|| corrupt(2, format!("severity {severity:?}")))?,
        device: DeviceId(r.get(3)?),
        summary: r.get(4)?,
        evidence: serde_json::from_str(&evidence)
            .map_err(|_| corrupt(5, "finding evidence is not a JSON object".into()))?,
        first_seen: Timestamp(r.get(6)?),
        last_seen: Timestamp(r.get(7)?),
        count: u64::try_from(count).unwrap_or(0),
    })
}

/// Finding `id`, if stored.
pub(crate) fn finding(
    conn: &Connection,
    path: &Path,
    id: &str,
) -> Result<Option<Finding>, StoreError> {
    conn.prepare_cached(
        "SELECT f.id, f.kind, f.severity, d.id, f.summary, f.evidence, f.first_seen,
                f.last_seen, f.count
         FROM findings f JOIN devices d ON d.pk = f.device_pk WHERE f.id = ?1",
    )
    .and_then(|mut s| s.query_row([id], finding_row).optional())
    .map_err(read_error(path, format!("reading finding {id:?}")))
}

pub(crate) fn findings(
    conn: &Connection,
    path: &Path,
    query: &FindingQuery,
) -> Result<Page<Finding>, StoreError> {
    let limit = query.limit.min(DeviceQuery::MAX_LIMIT);
    let offset = i64::try_from(query.offset).unwrap_or(i64::MAX);
    // Filters are bound parameters; NULL means "any", so there is one statement shape.
    // The device by its pk (one lookup), so that counting needs no join; the page joins
    // devices only for its own rows, read in listing order from findings_listing.
    let filter = " WHERE (?1 IS NULL OR f.device_pk = (SELECT pk FROM devices WHERE id = ?1))
                     AND (?2 IS NULL OR f.kind = ?2)
                     AND (?3 IS NULL OR f.status = ?3) AND (?4 IS NULL OR f.severity = ?4)";
    let device = query.device.as_deref();
    let kind = query.kind.map(FindingKind::as_str);
    let status = query.status.as_deref();
    let severity = query.severity.map(Severity::as_str);
    let rank = if query.by_risk {
        "coalesce(json_extract(f.evidence, '$.risk.score'), -1) DESC, f.severity_rank"
    } else {
        "f.severity_rank"
    };
    let total: i64 = conn
        .prepare_cached(&format!("SELECT count(*) FROM findings f{filter}"))
        .and_then(|mut s| s.query_row(params![device, kind, status, severity], |r| r.get(0)))
        .map_err(read_error(path, "counting findings".into()))?;
    let items = conn
        .prepare_cached(&format!(
            "SELECT f.id, f.kind, f.severity, d.id, f.summary, f.evidence, f.first_seen,
                    f.last_seen, f.count
             FROM findings f JOIN devices d ON d.pk = f.device_pk{filter}
             ORDER BY {rank} DESC, f.last_seen DESC, f.id ASC LIMIT ?5 OFFSET ?6"
        ))
        .and_then(|mut s| {
            s.query_map(
                params![device, kind, status, severity, limit, offset],
                finding_row,
            )?
            .collect::<rusqlite::Result<Vec<_>>>()
        })
        .map_err(read_error(path, "listing findings".into()))?;
    Ok(Page {
        items,
        total_exact: true,
        total: u64::try_from(total).unwrap_or(0),
        offset: query.offset,
        limit,
    })
}

/// Every derived attribute of device `id` with its evidence, in one query.
pub(crate) fn derived_attributes(
    conn: &Connection,
    id: &str,
) -> rusqlite::Result<Vec<(String, Attribute)>> {
    let mut out: Vec<(String, Attribute)> = Vec::new();
    let mut stmt = conn.prepare_cached(
        "SELECT a.name, a.value, a.confidence, e.value, e.source, e.detail, e.weight
         FROM devices d
         JOIN device_attributes a ON a.device_pk = d.pk
         LEFT JOIN device_attribute_evidence e
             ON e.device_pk = a.device_pk AND e.name = a.name
         WHERE d.id = ?1
         ORDER BY a.name, e.ordinal",
    )?;
    let mut rows = stmt.query([id])?;
    while let Some(r) = rows.next()? {
        let name: String = r.get(0)?;
        if out.last().is_none_or(|(n, _)| *n != name) {
            out.push((
                name.clone(),
                Attribute {
                    value: r.get(1)?,
                    confidence: r.get::<_, f64>(2)? as f32,
                    evidence: Vec::new(),
                },
            ));
        }
        if let (Some(value), Some(source), Some(detail), Some(weight)) = (
            r.get::<_, Option<String>>(3)?,
            r.get::<_, Option<String>>(4)?,
            r.get::<_, Option<String>>(5)?,
            r.get::<_, Option<f64>>(6)?,
        ) && let Some((_, a)) = out.last_mut()
        {
            a.evidence.push(Evidence {
                value,
                source,
                detail,
                weight: weight as f32,
            });
        }
    }
    Ok(out)
}
