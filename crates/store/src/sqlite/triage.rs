//! Finding triage: status changes and comments, each kept with who and when; and the
//! breakdowns the console's dashboard shows.

use std::collections::HashMap;
use std::path::Path;

use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use super::sqlite_error;
use crate::{FINDING_STATUSES, FindingNote, FindingTriage, StoreError, TriageChange};

/// Applies every change in one transaction: all or nothing. Returns, per change, whether the
/// finding exists (a missing one changes nothing).
pub(crate) fn triage(
    conn: &mut Connection,
    path: &Path,
    changes: &[TriageChange<'_>],
    at: i64,
) -> Result<Vec<bool>, StoreError> {
    for c in changes {
        if let Some(s) = c.status
            && !FINDING_STATUSES.contains(&s)
        {
            return Err(StoreError::InvalidInput {
                path: path.to_path_buf(),
                problem: format!("no finding status {s:?}: one of {FINDING_STATUSES:?}"),
            });
        }
        if c.status.is_none() && c.comment.is_none_or(|t| t.trim().is_empty()) {
            return Err(StoreError::InvalidInput {
                path: path.to_path_buf(),
                problem: format!("finding {}: a status or a comment is needed", c.finding),
            });
        }
        if c.comment
            .is_some_and(|t| t.chars().count() > crate::MAX_COMMENT_CHARS)
        {
            return Err(StoreError::InvalidInput {
                path: path.to_path_buf(),
                problem: format!(
                    "finding {}: a comment holds at most {} characters",
                    c.finding,
                    crate::MAX_COMMENT_CHARS
                ),
            });
        }
    }
    let mut apply = || -> rusqlite::Result<Vec<bool>> {
        let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
        let mut found = Vec::with_capacity(changes.len());
        for c in changes {
            let row: Option<(i64, String)> = tx
                .prepare_cached("SELECT pk, status FROM findings WHERE id = ?1")?
                .query_row([c.finding], |r| Ok((r.get(0)?, r.get(1)?)))
                .optional()?;
            let Some((pk, from)) = row else {
                found.push(false);
                continue;
            };
            let to = c.status.filter(|s| *s != from);
            if let Some(to) = to {
                tx.prepare_cached(
                    "UPDATE findings SET status = ?2, status_at = ?3, status_by = ?4 WHERE pk = ?1",
                )?
                .execute(params![pk, to, at, c.actor])?;
            }
            let comment = c.comment.map(str::trim).filter(|t| !t.is_empty());
            if to.is_some() || comment.is_some() {
                tx.prepare_cached(
                    "INSERT INTO finding_notes (finding_pk, at, actor, from_status, to_status, comment)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?
                .execute(params![
                    pk,
                    at,
                    c.actor,
                    to.map(|_| from.as_str()),
                    to,
                    comment
                ])?;
            }
            found.push(true);
        }
        tx.commit()?;
        Ok(found)
    };
    apply().map_err(sqlite_error(path, "triaging findings"))
}

/// The triage state of each of `ids` that exists.
pub(crate) fn states(
    conn: &Connection,
    path: &Path,
    ids: &[&str],
) -> Result<HashMap<String, FindingTriage>, StoreError> {
    let read = || -> rusqlite::Result<HashMap<String, FindingTriage>> {
        let mut stmt =
            conn.prepare_cached("SELECT status, status_at, status_by FROM findings WHERE id = ?1")?;
        let mut out = HashMap::with_capacity(ids.len());
        for id in ids {
            if let Some(t) = stmt
                .query_row([id], |r| {
                    Ok(FindingTriage {
                        status: r.get(0)?,
                        at: r.get(1)?,
                        by: r.get(2)?,
                    })
                })
                .optional()?
            {
                out.insert((*id).to_string(), t);
            }
        }
        Ok(out)
    };
    read().map_err(sqlite_error(path, "reading finding states"))
}

/// Every status change and comment of finding `id`, oldest first.
pub(crate) fn notes(
    conn: &Connection,
    path: &Path,
    id: &str,
) -> Result<Vec<FindingNote>, StoreError> {
    let read = || -> rusqlite::Result<Vec<FindingNote>> {
        let mut stmt = conn.prepare_cached(
            "SELECT n.at, n.actor, n.from_status, n.to_status, n.comment
             FROM finding_notes n JOIN findings f ON f.pk = n.finding_pk
             WHERE f.id = ?1 ORDER BY n.pk",
        )?;
        let rows = stmt.query_map([id], |r| {
            Ok(FindingNote {
                at: r.get(0)?,
                actor: r.get(1)?,
                from_status: r.get(2)?,
                to_status: r.get(3)?,
                comment: r.get(4)?,
            })
        })?;
        rows.collect()
    };
    read().map_err(sqlite_error(path, "reading finding notes"))
}

/// Devices per value of attribute `name` (a person's override first, else what the wire
/// said; `""` when neither), or per `zone`, most first.
pub(crate) fn device_breakdown(
    conn: &Connection,
    path: &Path,
    name: &str,
) -> Result<Vec<(String, u64)>, StoreError> {
    if name == "risk" || name == "authorized" {
        return derived_breakdown(conn, path, name);
    }
    // Category, vendor and zone are kept on the device row (migration 0013): one GROUP BY
    // walking its index.
    let column = match name {
        "category" => Some("shown_category"),
        "vendor" => Some("shown_vendor"),
        "zone" => Some("zone"),
        _ => None,
    };
    if let Some(column) = column {
        let read = || -> rusqlite::Result<Vec<(String, u64)>> {
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT coalesce({column}, ''), count(*) FROM devices GROUP BY {column}"
            ))?;
            let mut rows: Vec<(String, u64)> = stmt
                .query_map([], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                    ))
                })?
                .collect::<rusqlite::Result<_>>()?;
            rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
            Ok(rows)
        };
        return read().map_err(sqlite_error(path, "counting devices"));
    }
    let read = || -> rusqlite::Result<Vec<(String, u64)>> {
        // Derived values of devices without an override, plus the overrides, from the
        // (name, value) indexes; the devices with neither are the unknown ones.
        let mut stmt = conn.prepare_cached(
            "SELECT v, sum(n) FROM (
                 SELECT a.value AS v, count(*) AS n FROM device_attributes a
                 WHERE a.name = ?1 AND NOT EXISTS (SELECT 1 FROM device_overrides o
                                                   WHERE o.device_pk = a.device_pk AND o.name = ?1)
                 GROUP BY a.value
                 UNION ALL
                 SELECT o.value, count(*) FROM device_overrides o WHERE o.name = ?1 GROUP BY o.value)
             GROUP BY v",
        )?;
        let mut rows: Vec<(String, u64)> = stmt
            .query_map([name], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    u64::try_from(r.get::<_, i64>(1)?).unwrap_or(0),
                ))
            })?
            .collect::<rusqlite::Result<_>>()?;
        let total: i64 = conn.query_row("SELECT count(*) FROM devices", [], |r| r.get(0))?;
        let known: u64 = rows.iter().map(|r| r.1).sum();
        let unknown = u64::try_from(total).unwrap_or(0).saturating_sub(known);
        if unknown > 0 {
            rows.push((String::new(), unknown));
        }
        rows.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        Ok(rows)
    };
    read().map_err(sqlite_error(path, "counting devices"))
}

/// Devices per risk band or per authorization, every value listed (most urgent first).
fn derived_breakdown(
    conn: &Connection,
    path: &Path,
    name: &str,
) -> Result<Vec<(String, u64)>, StoreError> {
    let read = || -> rusqlite::Result<Vec<(String, u64)>> {
        let total: i64 = conn.query_row("SELECT count(*) FROM devices", [], |r| r.get(0))?;
        let total = u64::try_from(total).unwrap_or(0);
        let mut rows: Vec<(String, u64)> = Vec::new();
        if name == "risk" {
            let mut stmt = conn.prepare_cached(
                "SELECT m FROM (SELECT max(coalesce(risk_score, 0)) AS m FROM findings
                               WHERE kind = 'vulnerable' AND status <> 'resolved'
                               GROUP BY device_pk)",
            )?;
            let mut counts = [0u64; 5];
            for m in stmt.query_map([], |r| r.get::<_, f64>(0))? {
                let band = crate::RiskBand::of(Some(m?));
                if let Some(i) = crate::RiskBand::ALL.iter().position(|b| *b == band) {
                    counts[i] += 1;
                }
            }
            let with: u64 = counts.iter().sum();
            counts[4] = total.saturating_sub(with);
            for (band, n) in crate::RiskBand::ALL.iter().zip(counts) {
                rows.push((band.as_str().to_string(), n));
            }
        } else {
            let listed: i64 = conn.query_row(
                "SELECT count(*) FROM devices
                 WHERE id IN (SELECT device_id FROM assets WHERE device_id IS NOT NULL)",
                [],
                |r| r.get(0),
            )?;
            let unauthorized: i64 = conn.query_row(
                "SELECT count(DISTINCT device_pk) FROM findings
                 WHERE kind = 'unauthorized_device' AND status <> 'resolved'",
                [],
                |r| r.get(0),
            )?;
            let listed = u64::try_from(listed).unwrap_or(0);
            let unauthorized = u64::try_from(unauthorized).unwrap_or(0);
            rows.push(("listed".into(), listed));
            rows.push(("unauthorized".into(), unauthorized));
            rows.push((
                "unknown".into(),
                total.saturating_sub(listed).saturating_sub(unauthorized),
            ));
        }
        Ok(rows)
    };
    read().map_err(sqlite_error(path, "counting devices"))
}

/// New findings per day and severity, the `days` most recent days with any, oldest first.
pub(crate) fn finding_timeline(
    conn: &Connection,
    path: &Path,
    days: u32,
) -> Result<Vec<(i64, String, u64)>, StoreError> {
    let read = || -> rusqlite::Result<Vec<(i64, String, u64)>> {
        let mut stmt = conn.prepare_cached(
            "WITH recent AS (SELECT DISTINCT first_seen / 86400000000000 AS day FROM findings
                             ORDER BY day DESC LIMIT ?1)
             SELECT first_seen / 86400000000000 AS day, severity, count(*) FROM findings
             WHERE first_seen / 86400000000000 IN (SELECT day FROM recent)
             GROUP BY day, severity ORDER BY day, severity",
        )?;
        stmt.query_map([days], |r| {
            Ok((
                r.get::<_, i64>(0)? * 86_400,
                r.get::<_, String>(1)?,
                u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
            ))
        })?
        .collect()
    };
    read().map_err(sqlite_error(path, "reading the findings over time"))
}

/// The highest risk score among the device's vulnerabilities not resolved.
pub(crate) fn device_risk(
    conn: &Connection,
    path: &Path,
    id: &str,
) -> Result<Option<f64>, StoreError> {
    conn.query_row(
        "SELECT max(coalesce(f.risk_score, 0)) FROM findings f JOIN devices d ON d.pk = f.device_pk
         WHERE d.id = ?1 AND f.kind = 'vulnerable' AND f.status <> 'resolved'",
        [id],
        |r| r.get(0),
    )
    .map_err(sqlite_error(path, "reading the device's risk"))
}

/// Whether the device is matched to a listed asset, flagged as not on the list, or neither.
pub(crate) fn device_authorization(
    conn: &Connection,
    path: &Path,
    id: &str,
) -> Result<crate::Authorization, StoreError> {
    let read = || -> rusqlite::Result<crate::Authorization> {
        let listed: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM assets WHERE device_id = ?1)",
            [id],
            |r| r.get(0),
        )?;
        if listed {
            return Ok(crate::Authorization::Listed);
        }
        let flagged: bool = conn.query_row(
            "SELECT EXISTS (SELECT 1 FROM findings f JOIN devices d ON d.pk = f.device_pk
                            WHERE d.id = ?1 AND f.kind = 'unauthorized_device'
                              AND f.status <> 'resolved')",
            [id],
            |r| r.get(0),
        )?;
        Ok(if flagged {
            crate::Authorization::Unauthorized
        } else {
            crate::Authorization::Unknown
        })
    };
    read().map_err(sqlite_error(path, "reading the device's authorization"))
}

/// Findings per (severity, status).
pub(crate) fn finding_breakdown(
    conn: &Connection,
    path: &Path,
) -> Result<Vec<(String, String, u64)>, StoreError> {
    let read = || -> rusqlite::Result<Vec<(String, String, u64)>> {
        let mut stmt = conn.prepare_cached(
            "SELECT severity, status, count(*) FROM findings GROUP BY severity, status",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
            ))
        })?;
        rows.collect()
    };
    read().map_err(sqlite_error(path, "counting findings"))
}

/// Findings per (kind, status): how many, and on how many distinct devices.
pub(crate) fn kind_breakdown(
    conn: &Connection,
    path: &Path,
) -> Result<Vec<(String, String, u64, u64)>, StoreError> {
    let read = || -> rusqlite::Result<Vec<(String, String, u64, u64)>> {
        let mut stmt = conn.prepare_cached(
            "SELECT kind, status, count(*), count(DISTINCT device_pk) FROM findings
             GROUP BY kind, status",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                u64::try_from(r.get::<_, i64>(2)?).unwrap_or(0),
                u64::try_from(r.get::<_, i64>(3)?).unwrap_or(0),
            ))
        })?;
        rows.collect()
    };
    read().map_err(sqlite_error(path, "counting findings by kind"))
}

/// Distinct devices with a finding of one of `kinds` in `status`.
pub(crate) fn devices_with(
    conn: &Connection,
    path: &Path,
    kinds: &[&str],
    status: &str,
) -> Result<u64, StoreError> {
    let kinds = serde_json::to_string(kinds).unwrap_or_else(|_| "[]".into());
    conn.prepare_cached(
        "SELECT count(DISTINCT device_pk) FROM findings
         WHERE status = ?1 AND kind IN (SELECT value FROM json_each(?2))",
    )
    .and_then(|mut s| s.query_row(params![status, kinds], |r| r.get::<_, i64>(0)))
    .map(|n| u64::try_from(n).unwrap_or(0))
    .map_err(sqlite_error(path, "counting devices with findings"))
}
