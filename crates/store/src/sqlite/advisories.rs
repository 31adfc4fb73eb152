//! Advisories in the store: upserted by tracking id (idempotent: the same body again is
//! unchanged), read back whole. The body is the vuln crate's JSON; the store only keeps it.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::sqlite_error;
use crate::{AdvisoryImportSummary, AdvisoryRecord, KevRecord, StoreError};
use model::Timestamp;

/// The two tables of documents kept whole: advisories (with their CVEs indexed) and SBOMs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Documents {
    Advisories,
    Sboms,
}

impl Documents {
    fn table(self) -> &'static str {
        match self {
            Self::Advisories => "advisories",
            Self::Sboms => "sboms",
        }
    }

    fn noun(self) -> &'static str {
        match self {
            Self::Advisories => "advisory",
            Self::Sboms => "SBOM",
        }
    }
}

pub(crate) fn import(
    conn: &mut Connection,
    path: &Path,
    kind: Documents,
    records: &[AdvisoryRecord],
    at: Timestamp,
) -> Result<AdvisoryImportSummary, StoreError> {
    let (table, noun) = (kind.table(), kind.noun());
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sqlite_error(path, format!("starting the {noun} import")))?;
    let mut summary = AdvisoryImportSummary::default();
    for r in records {
        let before: Option<(i64, String, Option<String>)> = tx
            .prepare_cached(&format!(
                "SELECT pk, body, revision FROM {table} WHERE id = ?1"
            ))
            .and_then(|mut s| {
                s.query_row([&r.id], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
                    .optional()
            })
            .map_err(sqlite_error(path, format!("reading {noun} {}", r.id)))?;
        let body = r.body.to_string();
        match &before {
            Some((_, b, rev)) if *b == body && *rev == r.revision => {
                summary.unchanged += 1;
                continue;
            }
            Some(_) => summary.updated += 1,
            None => summary.new += 1,
        }
        let pk: i64 = tx
            .prepare_cached(&format!(
                "INSERT INTO {table} (id, format, revision, title, origin, imported_at, body)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (id) DO UPDATE SET
                     format = excluded.format, revision = excluded.revision,
                     title = excluded.title, origin = excluded.origin,
                     imported_at = excluded.imported_at, body = excluded.body
                 RETURNING pk"
            ))
            .and_then(|mut s| {
                s.query_row(
                    params![r.id, r.format, r.revision, r.title, r.origin, at.0, body],
                    |row| row.get(0),
                )
            })
            .map_err(sqlite_error(path, format!("storing {noun} {}", r.id)))?;
        if kind == Documents::Sboms {
            continue;
        }
        tx.execute("DELETE FROM advisory_cves WHERE advisory_pk = ?1", [pk])
            .map_err(sqlite_error(path, format!("storing advisory {}", r.id)))?;
        for cve in &r.cves {
            tx.prepare_cached(
                "INSERT OR IGNORE INTO advisory_cves (advisory_pk, cve) VALUES (?1, ?2)",
            )
            .and_then(|mut s| s.execute(params![pk, cve]))
            .map_err(sqlite_error(path, format!("storing the CVEs of {}", r.id)))?;
        }
    }
    tx.commit()
        .map_err(sqlite_error(path, format!("committing the {noun} import")))?;
    Ok(summary)
}

pub(crate) fn documents(
    conn: &Connection,
    path: &Path,
    kind: Documents,
) -> Result<Vec<AdvisoryRecord>, StoreError> {
    let read = || -> rusqlite::Result<Vec<AdvisoryRecord>> {
        let mut stmt = conn.prepare(match kind {
            Documents::Advisories => {
                "SELECT a.id, a.format, a.revision, a.title, a.origin, a.body,
                    (SELECT group_concat(cve, ' ') FROM
                        (SELECT cve FROM advisory_cves c WHERE c.advisory_pk = a.pk ORDER BY cve))
                 FROM advisories a ORDER BY a.id"
            }
            Documents::Sboms => {
                "SELECT id, format, revision, title, origin, body, NULL FROM sboms ORDER BY id"
            }
        })?;
        let rows = stmt.query_map([], |r| {
            let body: String = r.get(5)?;
            let cves: Option<String> = r.get(6)?;
            Ok(AdvisoryRecord {
                id: r.get(0)?,
                format: r.get(1)?,
                revision: r.get(2)?,
                title: r.get(3)?,
                origin: r.get(4)?,
                body: serde_json::from_str(&body).map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(
                        5,
                        rusqlite::types::Type::Text,
                        Box::new(e),
                    )
                })?,
                cves: cves
                    .unwrap_or_default()
                    .split_whitespace()
                    .map(str::to_string)
                    .collect(),
            })
        })?;
        rows.collect()
    };
    read().map_err(sqlite_error(path, format!("reading {}s", kind.noun())))
}

/// Replaces the stored KEV catalog with `entries` (one catalog version at a time).
pub(crate) fn replace_kev(
    conn: &mut Connection,
    path: &Path,
    catalog: &str,
    entries: &[KevRecord],
) -> Result<u64, StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sqlite_error(path, "starting the KEV import"))?;
    let write = || -> rusqlite::Result<u64> {
        tx.execute("DELETE FROM kev", [])?;
        let mut n = 0;
        for e in entries {
            n += tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO kev (cve, vendor, product, name, date_added, due_date,
                                                 ransomware, catalog)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                )?
                .execute(params![
                    e.cve,
                    e.vendor,
                    e.product,
                    e.name,
                    e.date_added,
                    e.due_date,
                    e.ransomware,
                    catalog
                ])? as u64;
        }
        Ok(n)
    };
    let n = write().map_err(sqlite_error(path, "storing the KEV catalog"))?;
    tx.commit()
        .map_err(sqlite_error(path, "committing the KEV import"))?;
    Ok(n)
}

/// The stored KEV catalog, by CVE.
pub(crate) fn kev(conn: &Connection, path: &Path) -> Result<Vec<KevRecord>, StoreError> {
    let read = || -> rusqlite::Result<Vec<KevRecord>> {
        let mut stmt = conn.prepare(
            "SELECT cve, vendor, product, name, date_added, due_date, ransomware FROM kev
             ORDER BY cve",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(KevRecord {
                cve: r.get(0)?,
                vendor: r.get(1)?,
                product: r.get(2)?,
                name: r.get(3)?,
                date_added: r.get(4)?,
                due_date: r.get(5)?,
                ransomware: r.get(6)?,
            })
        })?;
        rows.collect()
    };
    read().map_err(sqlite_error(path, "reading the KEV catalog"))
}

/// Replaces the stored EPSS scores with `scores` (cve, epss, percentile) of `score_date`.
pub(crate) fn replace_epss(
    conn: &mut Connection,
    path: &Path,
    score_date: Option<&str>,
    scores: &[(String, f64, f64)],
) -> Result<u64, StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sqlite_error(path, "starting the EPSS import"))?;
    let write = || -> rusqlite::Result<u64> {
        tx.execute("DELETE FROM epss", [])?;
        let mut n = 0;
        for (cve, epss, pct) in scores {
            n += tx
                .prepare_cached(
                    "INSERT OR REPLACE INTO epss (cve, epss, percentile, score_date)
                     VALUES (?1, ?2, ?3, ?4)",
                )?
                .execute(params![cve, epss, pct, score_date])? as u64;
        }
        Ok(n)
    };
    let n = write().map_err(sqlite_error(path, "storing EPSS scores"))?;
    tx.commit()
        .map_err(sqlite_error(path, "committing the EPSS import"))?;
    Ok(n)
}

/// The stored EPSS scores: (cve, epss, percentile), by CVE.
pub(crate) fn epss(conn: &Connection, path: &Path) -> Result<Vec<(String, f64, f64)>, StoreError> {
    let read = || -> rusqlite::Result<Vec<(String, f64, f64)>> {
        let mut stmt = conn.prepare("SELECT cve, epss, percentile FROM epss ORDER BY cve")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        rows.collect()
    };
    read().map_err(sqlite_error(path, "reading EPSS scores"))
}
