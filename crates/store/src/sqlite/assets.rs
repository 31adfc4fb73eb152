//! The asset list in the store: import (upsert by tag, or replace), read back with the device
//! each asset was tied to, and the ties and placeholder devices a reconciliation records.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, Transaction, TransactionBehavior, params};

use super::merge::replace_attribute;
use super::sqlite_error;
use crate::{AssetImportSummary, StoreError};
use model::{
    Asset, AssetMatchReason, Device, DeviceId, Hostname, HostnameSource, IpSighting, MacAddr,
    StoredAsset, Timestamp,
};

fn join<T: ToString>(items: &[T]) -> String {
    items
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

/// Row values of an asset, in column order after the tag.
fn columns(a: &Asset) -> [Option<String>; 10] {
    [
        Some(join(&a.macs)),
        Some(join(&a.ips)),
        a.hostname.clone(),
        a.serial.clone(),
        a.vendor.clone(),
        a.model.clone(),
        a.firmware.clone(),
        a.category.clone(),
        a.department.clone(),
        a.location.clone(),
    ]
}

const ASSET_COLUMNS: &str = "tag, macs, ips, hostname, serial, vendor, model, firmware, \
                             category, department, location";

fn asset_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Asset> {
    let list = |i: usize| -> rusqlite::Result<String> { r.get(i) };
    Ok(Asset {
        tag: r.get(0)?,
        macs: list(1)?
            .split_whitespace()
            .filter_map(|m| m.parse::<MacAddr>().ok())
            .collect(),
        ips: list(2)?
            .split_whitespace()
            .filter_map(|a| a.parse::<IpAddr>().ok())
            .collect(),
        hostname: r.get(3)?,
        serial: r.get(4)?,
        vendor: r.get(5)?,
        model: r.get(6)?,
        firmware: r.get(7)?,
        category: r.get(8)?,
        department: r.get(9)?,
        location: r.get(10)?,
    })
}

pub(crate) fn import(
    conn: &mut Connection,
    path: &Path,
    rows: &[(Asset, String)],
    replace: bool,
    at: Timestamp,
) -> Result<AssetImportSummary, StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sqlite_error(path, "starting the asset import"))?;
    let summary = import_in(&tx, rows, replace, at)
        .map_err(sqlite_error(path, "importing the asset list"))?;
    tx.commit()
        .map_err(sqlite_error(path, "committing the asset import"))?;
    Ok(summary)
}

fn import_in(
    tx: &Transaction<'_>,
    rows: &[(Asset, String)],
    replace: bool,
    at: Timestamp,
) -> rusqlite::Result<AssetImportSummary> {
    let mut summary = AssetImportSummary::default();
    let select = format!("SELECT {ASSET_COLUMNS} FROM assets WHERE tag = ?1");
    for (asset, origin) in rows {
        let before = tx
            .prepare_cached(&select)?
            .query_row([&asset.tag], asset_row)
            .optional()?;
        match &before {
            None => summary.new += 1,
            Some(b) if b == asset => summary.unchanged += 1,
            Some(_) => summary.updated += 1,
        }
        let c = columns(asset);
        tx.prepare_cached(
            "INSERT INTO assets (tag, macs, ips, hostname, serial, vendor, model, firmware,
                                 category, department, location, origin, imported_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)
             ON CONFLICT (tag) DO UPDATE SET
                 macs = excluded.macs, ips = excluded.ips, hostname = excluded.hostname,
                 serial = excluded.serial, vendor = excluded.vendor, model = excluded.model,
                 firmware = excluded.firmware, category = excluded.category,
                 department = excluded.department, location = excluded.location,
                 origin = excluded.origin, imported_at = excluded.imported_at",
        )?
        .execute(params![
            asset.tag, c[0], c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], origin, at.0
        ])?;
    }
    if replace {
        // Tags the new list no longer holds go, with their placeholders.
        tx.execute_batch(
            "CREATE TEMP TABLE IF NOT EXISTS import_tags (tag TEXT PRIMARY KEY);
             DELETE FROM import_tags;",
        )?;
        for (asset, _) in rows {
            tx.prepare_cached("INSERT OR IGNORE INTO import_tags (tag) VALUES (?1)")?
                .execute([&asset.tag])?;
        }
        tx.execute(
            "DELETE FROM devices WHERE id IN
                 (SELECT ?1 || tag FROM assets WHERE tag NOT IN (SELECT tag FROM import_tags))",
            [Asset::PLACEHOLDER_PREFIX],
        )?;
        summary.removed = tx.execute(
            "DELETE FROM assets WHERE tag NOT IN (SELECT tag FROM import_tags)",
            [],
        )? as u64;
        tx.execute_batch("DELETE FROM import_tags;")?;
    }
    Ok(summary)
}

pub(crate) fn assets(conn: &Connection, path: &Path) -> Result<Vec<StoredAsset>, StoreError> {
    let sql = format!(
        "SELECT {}, a.origin, a.device_id, a.match_reason, d.last_seen
         FROM assets a LEFT JOIN devices d ON d.id = a.device_id
         ORDER BY a.tag",
        ASSET_COLUMNS
            .split(", ")
            .map(|c| format!("a.{}", c.trim()))
            .collect::<Vec<_>>()
            .join(", ")
    );
    let read = || -> rusqlite::Result<Vec<StoredAsset>> {
        let mut stmt = conn.prepare_cached(&sql)?;
        let rows = stmt.query_map([], |r| {
            let asset = asset_row(r)?;
            let device: Option<String> = r.get(12)?;
            let reason: Option<String> = r.get(13)?;
            let last_seen: Option<i64> = r.get(14)?;
            let matched = match (device, reason.as_deref().and_then(AssetMatchReason::parse)) {
                (Some(d), Some(reason)) => Some((DeviceId(d), reason)),
                _ => None,
            };
            Ok(StoredAsset {
                asset,
                last_seen: matched.as_ref().and(last_seen).map(Timestamp),
                matched,
                origin: r.get(11)?,
            })
        })?;
        rows.collect()
    };
    read().map_err(sqlite_error(path, "reading the asset list"))
}

pub(crate) fn device_identities(conn: &Connection, path: &Path) -> Result<Vec<Device>, StoreError> {
    let read = || -> rusqlite::Result<Vec<Device>> {
        let mut devices: Vec<Device> = Vec::new();
        let mut index: HashMap<i64, usize> = HashMap::new();
        let mut stmt = conn.prepare_cached(
            "SELECT pk, id, last_seen FROM devices WHERE id NOT LIKE 'asset-%' ORDER BY id",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            index.insert(r.get(0)?, devices.len());
            devices.push(Device {
                id: DeviceId(r.get(1)?),
                last_seen: Timestamp(r.get(2)?),
                ..Device::default()
            });
        }
        let mut stmt = conn.prepare_cached("SELECT device_pk, mac FROM device_macs")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let (pk, mac): (i64, String) = (r.get(0)?, r.get(1)?);
            if let (Some(&i), Ok(mac)) = (index.get(&pk), mac.parse::<MacAddr>()) {
                devices[i].macs.push(mac);
            }
        }
        let mut stmt =
            conn.prepare_cached("SELECT device_pk, addr, first_seen, last_seen FROM device_ips")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let (pk, addr): (i64, String) = (r.get(0)?, r.get(1)?);
            if let (Some(&i), Ok(addr)) = (index.get(&pk), addr.parse::<IpAddr>()) {
                devices[i].ips.push(IpSighting {
                    addr,
                    first_seen: Timestamp(r.get(2)?),
                    last_seen: Timestamp(r.get(3)?),
                });
            }
        }
        let mut stmt =
            conn.prepare_cached("SELECT device_pk, name, source FROM device_hostnames")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let (pk, name, source): (i64, String, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
            if let (Some(&i), Some(source)) = (index.get(&pk), HostnameSource::parse(&source)) {
                devices[i].hostnames.push(Hostname { name, source });
            }
        }
        Ok(devices)
    };
    read().map_err(sqlite_error(path, "reading device identities"))
}

pub(crate) fn record_matches(
    conn: &mut Connection,
    path: &Path,
    matches: &[(String, Option<(DeviceId, AssetMatchReason)>)],
    placeholders: &[Device],
) -> Result<(), StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sqlite_error(path, "starting to record asset matches"))?;
    record_in(&tx, matches, placeholders).map_err(sqlite_error(path, "recording asset matches"))?;
    tx.commit()
        .map_err(sqlite_error(path, "committing asset matches"))
}

fn record_in(
    tx: &Transaction<'_>,
    matches: &[(String, Option<(DeviceId, AssetMatchReason)>)],
    placeholders: &[Device],
) -> rusqlite::Result<()> {
    for (tag, m) in matches {
        tx.prepare_cached("UPDATE assets SET device_id = ?2, match_reason = ?3 WHERE tag = ?1")?
            .execute(params![
                tag,
                m.as_ref().map(|(d, _)| d.0.as_str()),
                m.as_ref().map(|(_, r)| r.as_str())
            ])?;
        // Seen now, or placeholder rebuilt below: either way the old placeholder goes.
        tx.prepare_cached("DELETE FROM devices WHERE id = ?1")?
            .execute([format!("{}{tag}", Asset::PLACEHOLDER_PREFIX)])?;
    }
    for d in placeholders {
        let pk: i64 = tx
            .prepare_cached(
                "INSERT INTO devices (id, first_seen, last_seen, search_text)
                 VALUES (?1, 0, 0, ?2) RETURNING pk",
            )?
            .query_row(
                params![
                    d.id.0,
                    std::iter::once(d.id.0.clone())
                        .chain(d.macs.iter().map(ToString::to_string))
                        .collect::<Vec<_>>()
                        .join("\n")
                ],
                |r| r.get(0),
            )?;
        for mac in &d.macs {
            tx.prepare_cached(
                "INSERT INTO device_macs (device_pk, mac) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            )?
            .execute(params![pk, mac.to_string()])?;
        }
        for (name, attr) in d.attributes() {
            if let Some(attr) = attr {
                replace_attribute(tx, pk, name, attr)?;
            }
        }
    }
    Ok(())
}
