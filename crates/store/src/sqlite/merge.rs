//! Merging one analysis's devices: one transaction, cached prepared statements, set semantics
//! in SQL upserts (see [`crate::Store::merge_devices`] for the rules).

use std::collections::HashSet;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use rusqlite::{OptionalExtension, Transaction, TransactionBehavior, params};

use super::sqlite_error;
use crate::{AnalysisSource, MergeSummary, StoreError};
use model::{Attribute, Device, DhcpFingerprint, Finding};

/// SQLite integers are i64; counters beyond i64::MAX (never reached by a real capture) clamp.
fn clamp_u64(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

pub(crate) fn merge(
    conn: &mut rusqlite::Connection,
    path: &Path,
    devices: &[Device],
    findings: &[Finding],
    conversations: &[model::Conversation],
    source: &AnalysisSource,
) -> Result<MergeSummary, StoreError> {
    let fingerprint = source.fingerprint();
    if fingerprint.is_empty() {
        return Err(StoreError::InvalidInput {
            path: path.to_path_buf(),
            problem: "merging devices from an analysis without inputs: its counters could not \
                      be told apart from another run's"
                .into(),
        });
    }
    let now_ns = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_nanos()).unwrap_or(i64::MAX));

    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sqlite_error(path, "starting the merge transaction"))?;
    let (input_pk, seen_before) = upsert_input(&tx, path, &fingerprint, &source.paths(), now_ns)?;

    let mut summary = MergeSummary {
        source_seen_before: seen_before,
        ..MergeSummary::default()
    };
    let mut touched: HashSet<i64> = HashSet::with_capacity(devices.len());
    for (index, device) in devices.iter().enumerate() {
        let action = || format!("merging device {index} ({:?})", device.id.0);
        merge_one(
            &tx,
            input_pk,
            device,
            &mut touched,
            source.accumulate,
            &mut summary,
        )
        .map_err(|e| sqlite_error(path, action())(e))?;
    }

    // Device totals = sum over distinct analysis sources, recomputed for this source's
    // devices only (walks device_input_counters_input).
    tx.execute(
        "UPDATE devices SET
             packets = (SELECT coalesce(sum(c.packets), 0) FROM device_input_counters c
                        WHERE c.device_pk = devices.pk),
             bytes = (SELECT coalesce(sum(c.bytes), 0) FROM device_input_counters c
                      WHERE c.device_pk = devices.pk)
         WHERE pk IN (SELECT device_pk FROM device_input_counters WHERE input_pk = ?1)",
        [input_pk],
    )
    .map_err(sqlite_error(path, "updating device totals"))?;
    tx.execute(
        "UPDATE devices SET search_text = id
             || char(10) || coalesce((SELECT group_concat(mac, char(10)) FROM device_macs
                                      WHERE device_pk = devices.pk), '')
             || char(10) || coalesce((SELECT group_concat(addr, char(10)) FROM device_ips
                                      WHERE device_pk = devices.pk), '')
             || char(10) || coalesce((SELECT group_concat(name, char(10)) FROM device_hostnames
                                      WHERE device_pk = devices.pk), '')
         WHERE pk IN (SELECT device_pk FROM device_input_counters WHERE input_pk = ?1)",
        [input_pk],
    )
    .map_err(sqlite_error(path, "updating device search text"))?;

    for (index, finding) in findings.iter().enumerate() {
        let action = || format!("merging finding {index} ({:?})", finding.id.0);
        merge_finding(&tx, input_pk, finding, source.accumulate, &mut summary)
            .map_err(|e| sqlite_error(path, action())(e))?;
    }
    tx.execute(
        "UPDATE findings SET count = (SELECT coalesce(sum(c.count), 0)
                                      FROM finding_input_counters c
                                      WHERE c.finding_pk = findings.pk)
         WHERE pk IN (SELECT finding_pk FROM finding_input_counters WHERE input_pk = ?1)",
        [input_pk],
    )
    .map_err(sqlite_error(path, "updating finding counts"))?;

    if !conversations.is_empty() {
        super::traffic::merge_conversations(&tx, path, input_pk, conversations, source.accumulate)?;
    }

    tx.commit()
        .map_err(sqlite_error(path, "committing the merge"))?;
    Ok(summary)
}

/// Finds or records the analysis source; returns its key and whether it was known.
fn upsert_input(
    tx: &Transaction<'_>,
    path: &Path,
    fingerprint: &str,
    paths: &str,
    now_ns: i64,
) -> Result<(i64, bool), StoreError> {
    let existing: Option<i64> = tx
        .query_row(
            "SELECT pk FROM analysis_inputs WHERE fingerprint = ?1",
            [fingerprint],
            |r| r.get(0),
        )
        .optional()
        .map_err(sqlite_error(path, "looking up the analysis input"))?;
    match existing {
        Some(pk) => {
            tx.execute(
                "UPDATE analysis_inputs
                 SET paths = ?2, last_merged_ns = ?3, merges = merges + 1 WHERE pk = ?1",
                params![pk, paths, now_ns],
            )
            .map_err(sqlite_error(path, "recording the analysis input"))?;
            Ok((pk, true))
        }
        None => {
            let pk = tx
                .query_row(
                    "INSERT INTO analysis_inputs (fingerprint, paths, first_merged_ns,
                                                  last_merged_ns)
                     VALUES (?1, ?2, ?3, ?3) RETURNING pk",
                    params![fingerprint, paths, now_ns],
                    |r| r.get(0),
                )
                .map_err(sqlite_error(path, "recording the analysis input"))?;
            Ok((pk, false))
        }
    }
}

fn merge_one(
    tx: &Transaction<'_>,
    input_pk: i64,
    d: &Device,
    touched: &mut HashSet<i64>,
    accumulate: bool,
    summary: &mut MergeSummary,
) -> rusqlite::Result<()> {
    let existing: Option<i64> = tx
        .prepare_cached("SELECT pk FROM devices WHERE id = ?1")?
        .query_row([&d.id.0], |r| r.get(0))
        .optional()?;
    let pk: i64 = match existing {
        Some(pk) => {
            tx.prepare_cached(
                "UPDATE devices SET
                     mac_randomized = max(mac_randomized, ?2),
                     first_seen = min(first_seen, ?3),
                     last_seen = max(last_seen, ?4),
                     zone = coalesce(?5, zone)
                 WHERE pk = ?1",
            )?
            .execute(params![
                pk,
                d.mac_randomized,
                d.first_seen.0,
                d.last_seen.0,
                d.zone
            ])?;
            pk
        }
        None => tx
            .prepare_cached(
                "INSERT INTO devices (id, mac_randomized, first_seen, last_seen, zone)
                 VALUES (?1, ?2, ?3, ?4, ?5) RETURNING pk",
            )?
            .query_row(
                params![
                    d.id.0,
                    d.mac_randomized,
                    d.first_seen.0,
                    d.last_seen.0,
                    d.zone
                ],
                |r| r.get(0),
            )?,
    };
    // The same id twice in one batch: the second adds to the first's counters instead of
    // replacing them.
    let first_in_batch = touched.insert(pk);
    if first_in_batch {
        if existing.is_some() {
            summary.updated_devices += 1;
        } else {
            summary.new_devices += 1;
        }
    }

    let counters_sql = if first_in_batch && !accumulate {
        "INSERT INTO device_input_counters (device_pk, input_pk, packets, bytes)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (device_pk, input_pk) DO UPDATE SET
             packets = excluded.packets, bytes = excluded.bytes"
    } else {
        "INSERT INTO device_input_counters (device_pk, input_pk, packets, bytes)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (device_pk, input_pk) DO UPDATE SET
             packets = min(packets + excluded.packets, 9223372036854775807),
             bytes = min(bytes + excluded.bytes, 9223372036854775807)"
    };
    tx.prepare_cached(counters_sql)?.execute(params![
        pk,
        input_pk,
        clamp_u64(d.packets),
        clamp_u64(d.bytes)
    ])?;

    if !d.macs.is_empty() {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO device_macs (device_pk, mac) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        )?;
        for mac in &d.macs {
            stmt.execute(params![pk, mac.to_string()])?;
        }
    }
    if !d.ips.is_empty() {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO device_ips (device_pk, addr, first_seen, last_seen)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (device_pk, addr) DO UPDATE SET
                 first_seen = min(first_seen, excluded.first_seen),
                 last_seen = max(last_seen, excluded.last_seen)",
        )?;
        for ip in &d.ips {
            stmt.execute(params![
                pk,
                ip.addr.to_string(),
                ip.first_seen.0,
                ip.last_seen.0
            ])?;
        }
    }
    if !d.hostnames.is_empty() {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO device_hostnames (device_pk, name, source) VALUES (?1, ?2, ?3)
             ON CONFLICT DO NOTHING",
        )?;
        for h in &d.hostnames {
            stmt.execute(params![pk, h.name, h.source.as_str()])?;
        }
    }
    if !d.vlans.is_empty() {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO device_vlans (device_pk, vlan) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        )?;
        for vlan in &d.vlans {
            stmt.execute(params![pk, vlan])?;
        }
    }
    if !d.services.is_empty() {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO device_services (device_pk, transport, port, role, app, peers)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (device_pk, transport, port, role) DO UPDATE SET
                 app = coalesce(excluded.app, app),
                 peers = max(peers, excluded.peers)",
        )?;
        for s in &d.services {
            stmt.execute(params![pk, s.transport, s.port, s.role, s.app, s.peers])?;
        }
    }
    if !d.roles.is_empty() {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO device_roles (device_pk, role) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
        )?;
        for role in &d.roles {
            stmt.execute(params![pk, role])?;
        }
    }
    if !d.dns_queries.is_empty() {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO device_dns_queries (device_pk, name) VALUES (?1, ?2)
             ON CONFLICT DO NOTHING",
        )?;
        for name in &d.dns_queries {
            stmt.execute(params![pk, name])?;
        }
    }
    if !d.software.is_empty() {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO device_software (device_pk, product, version, source, role, raw)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT DO NOTHING",
        )?;
        for sw in &d.software {
            stmt.execute(params![
                pk,
                sw.product,
                sw.version.as_deref().unwrap_or(""),
                sw.source,
                sw.role,
                sw.raw
            ])?;
        }
    }
    if !d.facts.is_empty() {
        let mut stmt = tx.prepare_cached(
            "INSERT INTO device_facts (device_pk, key, value, source, count)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (device_pk, key, value, source) DO UPDATE SET
                 count = max(count, excluded.count)",
        )?;
        for f in &d.facts {
            stmt.execute(params![pk, f.key, f.value, f.source, clamp_u64(f.count)])?;
        }
    }
    for (name, attr) in d.attributes() {
        if let Some(attr) = attr {
            replace_attribute(tx, pk, name, attr)?;
        }
    }
    if let Some(dhcp) = &d.dhcp {
        replace_dhcp(tx, pk, dhcp)?;
    }
    Ok(())
}

/// Latest non-null wins: value, confidence and the whole evidence list are replaced.
pub(crate) fn replace_attribute(
    tx: &Transaction<'_>,
    pk: i64,
    name: &str,
    attr: &Attribute,
) -> rusqlite::Result<()> {
    tx.prepare_cached("DELETE FROM device_attribute_evidence WHERE device_pk = ?1 AND name = ?2")?
        .execute(params![pk, name])?;
    tx.prepare_cached(
        "INSERT INTO device_attributes (device_pk, name, value, confidence)
         VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (device_pk, name) DO UPDATE SET
             value = excluded.value, confidence = excluded.confidence",
    )?
    .execute(params![pk, name, attr.value, f64::from(attr.confidence)])?;
    let mut stmt = tx.prepare_cached(
        "INSERT INTO device_attribute_evidence
             (device_pk, name, ordinal, value, source, detail, weight)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?;
    for (ordinal, e) in attr.evidence.iter().enumerate() {
        let ordinal = i64::try_from(ordinal).unwrap_or(i64::MAX);
        stmt.execute(params![
            pk,
            name,
            ordinal,
            e.value,
            e.source,
            e.detail,
            f64::from(e.weight)
        ])?;
    }
    Ok(())
}

/// Latest non-null wins, whole: fields of fingerprints from different runs are never mixed.
fn replace_dhcp(tx: &Transaction<'_>, pk: i64, dhcp: &DhcpFingerprint) -> rusqlite::Result<()> {
    tx.prepare_cached(
        "INSERT INTO device_dhcp (device_pk, vendor_class, param_request_list, client_id,
                                  max_message_size)
         VALUES (?1, ?2, ?3, ?4, ?5)
         ON CONFLICT (device_pk) DO UPDATE SET
             vendor_class = excluded.vendor_class,
             param_request_list = excluded.param_request_list,
             client_id = excluded.client_id,
             max_message_size = excluded.max_message_size",
    )?
    .execute(params![
        pk,
        dhcp.vendor_class,
        dhcp.param_request_list,
        dhcp.client_id,
        dhcp.max_message_size
    ])?;
    Ok(())
}

/// One finding: inserted, or its summary, evidence, severity and time range updated; its count
/// for this analysis source replaced (so re-merging a run does not double it).
fn merge_finding(
    tx: &Transaction<'_>,
    input_pk: i64,
    f: &Finding,
    accumulate: bool,
    summary: &mut MergeSummary,
) -> rusqlite::Result<()> {
    let device_pk: Option<i64> = tx
        .prepare_cached("SELECT pk FROM devices WHERE id = ?1")?
        .query_row([&f.device.0], |r| r.get(0))
        .optional()?;
    let Some(device_pk) = device_pk else {
        // Findings are about devices of the same analysis; one without its device is a caller
        // bug, refused like a constraint violation so the transaction rolls back.
        return Err(rusqlite::Error::InvalidParameterName(format!(
            "finding {} names device {} which is not in this analysis",
            f.id.0, f.device.0
        )));
    };
    let evidence = serde_json::to_string(&f.evidence).unwrap_or_else(|_| "{}".into());
    let existing: Option<(i64, String, Option<i64>)> = tx
        .prepare_cached("SELECT pk, status, status_at FROM findings WHERE id = ?1")?
        .query_row([&f.id.0], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .optional()?;
    let pk: i64 = match existing {
        Some((pk, status, status_at)) => {
            // Resolved, then seen again after the resolution: it opens again, noted.
            if status == "resolved" && status_at.is_some_and(|at| f.last_seen.0 > at) {
                tx.prepare_cached(
                    "UPDATE findings SET status = 'open', status_at = ?2, status_by = 'wardline'
                     WHERE pk = ?1",
                )?
                .execute(params![pk, f.last_seen.0])?;
                tx.prepare_cached(
                    "INSERT INTO finding_notes (finding_pk, at, actor, from_status, to_status, comment)
                     VALUES (?1, ?2, 'wardline', 'resolved', 'open', 'seen again after it was resolved')",
                )?
                .execute(params![pk, f.last_seen.0])?;
                summary.reopened_finding_ids.push(f.id.0.clone());
            }
            tx.prepare_cached(
                "UPDATE findings SET severity = ?2, summary = ?3, evidence = ?4,
                     first_seen = min(first_seen, ?5), last_seen = max(last_seen, ?6)
                 WHERE pk = ?1",
            )?
            .execute(params![
                pk,
                f.severity.as_str(),
                f.summary,
                evidence,
                f.first_seen.0,
                f.last_seen.0
            ])?;
            summary.updated_findings += 1;
            pk
        }
        None => {
            summary.new_findings += 1;
            summary.new_finding_ids.push(f.id.0.clone());
            tx.prepare_cached(
                "INSERT INTO findings (id, kind, severity, device_pk, summary, evidence,
                                       first_seen, last_seen)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING pk",
            )?
            .query_row(
                params![
                    f.id.0,
                    f.kind.as_str(),
                    f.severity.as_str(),
                    device_pk,
                    f.summary,
                    evidence,
                    f.first_seen.0,
                    f.last_seen.0
                ],
                |r| r.get(0),
            )?
        }
    };
    tx.prepare_cached(if accumulate {
        "INSERT INTO finding_input_counters (finding_pk, input_pk, count) VALUES (?1, ?2, ?3)
         ON CONFLICT (finding_pk, input_pk) DO UPDATE SET
             count = min(count + excluded.count, 9223372036854775807)"
    } else {
        "INSERT INTO finding_input_counters (finding_pk, input_pk, count) VALUES (?1, ?2, ?3)
         ON CONFLICT (finding_pk, input_pk) DO UPDATE SET count = excluded.count"
    })?
    .execute(params![pk, input_pk, clamp_u64(f.count)])?;
    Ok(())
}

/// The attribute names an override may set (the report's attribute fields).
const OVERRIDABLE: [&str; 6] = ["vendor", "category", "model", "os", "firmware", "modality"];

/// Sets or removes a person's override of attribute `name` of device `id` (see
/// [`crate::Store::set_override`]).
pub(crate) fn set_override(
    conn: &mut rusqlite::Connection,
    path: &Path,
    id: &str,
    name: &str,
    value: Option<&str>,
    at: model::Timestamp,
) -> Result<bool, StoreError> {
    if !OVERRIDABLE.contains(&name) {
        return Err(StoreError::InvalidInput {
            path: path.to_path_buf(),
            problem: format!(
                "{name:?} is not an attribute that can be set (one of {})",
                OVERRIDABLE.join(", ")
            ),
        });
    }
    let action = || format!("setting {name} of device {id:?}");
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sqlite_error(path, action()))?;
    let pk: Option<i64> = tx
        .prepare_cached("SELECT pk FROM devices WHERE id = ?1")
        .and_then(|mut s| s.query_row([id], |r| r.get(0)).optional())
        .map_err(sqlite_error(path, action()))?;
    let Some(pk) = pk else {
        return Ok(false);
    };
    let result = match value {
        Some(v) => tx.execute(
            "INSERT INTO device_overrides (device_pk, name, value, set_at) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (device_pk, name) DO UPDATE SET value = excluded.value,
                 set_at = excluded.set_at",
            params![pk, name, v, at.0],
        ),
        None => tx.execute(
            "DELETE FROM device_overrides WHERE device_pk = ?1 AND name = ?2",
            params![pk, name],
        ),
    };
    result.map_err(sqlite_error(path, action()))?;
    tx.commit().map_err(sqlite_error(path, action()))?;
    Ok(true)
}
