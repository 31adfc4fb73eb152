//! Patch records: one row per device × advisory, and the transitions that moved it.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::sqlite_error;
use crate::{PatchChange, PatchEvent, PatchRecord, StoreError};
use model::Timestamp;

const COLUMNS: &str = "pk, device_id, advisory, state, cves, observed_version, owner, \
                       maintenance_window, compensating_control, accepted_until";

fn record_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, PatchRecord)> {
    let cves: String = r.get(4)?;
    Ok((
        r.get(0)?,
        PatchRecord {
            device: r.get(1)?,
            advisory: r.get(2)?,
            state: r.get(3)?,
            cves: cves.split_whitespace().map(str::to_string).collect(),
            observed_version: r.get(5)?,
            owner: r.get(6)?,
            maintenance_window: r.get(7)?,
            compensating_control: r.get(8)?,
            accepted_until: r.get(9)?,
            events: Vec::new(),
        },
    ))
}

fn events(conn: &Connection, pk: i64) -> rusqlite::Result<Vec<PatchEvent>> {
    let mut stmt = conn.prepare_cached(
        "SELECT at, actor, from_state, to_state, why FROM patch_events WHERE record_pk = ?1
         ORDER BY pk",
    )?;
    let rows = stmt.query_map([pk], |r| {
        Ok(PatchEvent {
            at: r.get(0)?,
            actor: r.get(1)?,
            from: r.get(2)?,
            to: r.get(3)?,
            why: r.get(4)?,
        })
    })?;
    rows.collect()
}

pub(crate) fn records(
    conn: &Connection,
    path: &Path,
    device: Option<&str>,
) -> Result<Vec<PatchRecord>, StoreError> {
    let read = || -> rusqlite::Result<Vec<PatchRecord>> {
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {COLUMNS} FROM patch_records WHERE ?1 IS NULL OR device_id = ?1
             ORDER BY device_id, advisory"
        ))?;
        let rows: Vec<(i64, PatchRecord)> = stmt
            .query_map([device], record_row)?
            .collect::<rusqlite::Result<_>>()?;
        rows.into_iter()
            .map(|(pk, mut r)| {
                r.events = events(conn, pk)?;
                Ok(r)
            })
            .collect()
    };
    read().map_err(sqlite_error(path, "reading patch records"))
}

pub(crate) fn change(
    conn: &mut Connection,
    path: &Path,
    c: &PatchChange,
    at: Timestamp,
) -> Result<PatchRecord, StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sqlite_error(path, "starting a patch change"))?;
    let apply = || -> rusqlite::Result<PatchRecord> {
        let select =
            format!("SELECT {COLUMNS} FROM patch_records WHERE device_id = ?1 AND advisory = ?2");
        let before = tx
            .prepare_cached(&select)?
            .query_row([&c.device, &c.advisory], record_row)
            .optional()?;
        let (pk, from) = match &before {
            Some((pk, r)) => (*pk, Some(r.state.clone())),
            None => {
                let pk: i64 = tx.query_row(
                    "INSERT INTO patch_records (device_id, advisory, state, updated_at)
                     VALUES (?1, ?2, 'open', ?3) RETURNING pk",
                    params![c.device, c.advisory, at.0],
                    |r| r.get(0),
                )?;
                (pk, None)
            }
        };
        let to =
            c.to.clone()
                .or_else(|| from.clone())
                .unwrap_or_else(|| "open".into());
        tx.execute(
            "UPDATE patch_records SET state = ?2, updated_at = ?3,
                 cves = COALESCE(?4, cves),
                 observed_version = COALESCE(?5, observed_version),
                 owner = COALESCE(?6, owner),
                 maintenance_window = COALESCE(?7, maintenance_window),
                 compensating_control = COALESCE(?8, compensating_control),
                 accepted_until = COALESCE(?9, accepted_until)
             WHERE pk = ?1",
            params![
                pk,
                to,
                at.0,
                c.cves.as_ref().map(|v| v.join(" ")),
                c.observed_version,
                c.owner,
                c.maintenance_window,
                c.compensating_control,
                c.accepted_until
            ],
        )?;
        if from.as_deref() != Some(to.as_str()) || !c.why.is_empty() {
            tx.execute(
                "INSERT INTO patch_events (record_pk, at, actor, from_state, to_state, why)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![pk, at.0, c.actor, from, to, c.why],
            )?;
        }
        let (_, mut record) = tx
            .prepare_cached(&select)?
            .query_row([&c.device, &c.advisory], record_row)?;
        record.events = events(&tx, pk)?;
        Ok(record)
    };
    let record = apply().map_err(sqlite_error(path, "changing a patch record"))?;
    tx.commit()
        .map_err(sqlite_error(path, "committing a patch change"))?;
    Ok(record)
}
