//! Zones and conversations: the configured zones, each analysis's conversations summed per
//! source (the same rule as device counters), the zone × zone matrix and conversation pages.

use std::path::Path;

use rusqlite::{Connection, Row, Transaction, params};

use super::sqlite_error;
use crate::{ConversationQuery, DeviceQuery, Page, StoreError, StoredConversation, ZoneLink};
use model::{Conversation, Timestamp, Zone};

fn clamp(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

fn count(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

/// Upserts `conversations` for analysis source `input_pk`, then recomputes the totals of the
/// conversations that source touched.
pub(crate) fn merge_conversations(
    tx: &Transaction<'_>,
    path: &Path,
    input_pk: i64,
    conversations: &[Conversation],
    accumulate: bool,
) -> Result<(), StoreError> {
    let write = || -> rusqlite::Result<()> {
        let mut upsert = tx.prepare_cached(
            "INSERT INTO conversations (client_addr, server_addr, transport, port,
                 client_device_pk, server_device_pk, client_zone, server_zone, app,
                 first_seen, last_seen)
             VALUES (?1, ?2, ?3, ?4,
                 (SELECT pk FROM devices WHERE id = ?5), (SELECT pk FROM devices WHERE id = ?6),
                 ?7, ?8, ?9, ?10, ?11)
             ON CONFLICT (client_addr, server_addr, transport, port) DO UPDATE SET
                 client_device_pk = coalesce(excluded.client_device_pk, client_device_pk),
                 server_device_pk = coalesce(excluded.server_device_pk, server_device_pk),
                 client_zone = excluded.client_zone,
                 server_zone = excluded.server_zone,
                 app = coalesce(excluded.app, app),
                 first_seen = min(first_seen, excluded.first_seen),
                 last_seen = max(last_seen, excluded.last_seen)
             RETURNING pk",
        )?;
        let mut counters = tx.prepare_cached(if accumulate {
            "INSERT INTO conversation_input_counters (conversation_pk, input_pk, flows, packets,
                                                      bytes)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (conversation_pk, input_pk) DO UPDATE SET
                 flows = min(flows + excluded.flows, 9223372036854775807),
                 packets = min(packets + excluded.packets, 9223372036854775807),
                 bytes = min(bytes + excluded.bytes, 9223372036854775807)"
        } else {
            "INSERT INTO conversation_input_counters (conversation_pk, input_pk, flows, packets,
                                                      bytes)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (conversation_pk, input_pk) DO UPDATE SET
                 flows = excluded.flows, packets = excluded.packets, bytes = excluded.bytes"
        })?;
        for c in conversations {
            let pk: i64 = upsert.query_row(
                params![
                    c.client_addr.to_string(),
                    c.server_addr.to_string(),
                    c.transport.name(),
                    c.port,
                    c.client_device.as_deref(),
                    c.server_device.as_deref(),
                    &*c.client_zone,
                    &*c.server_zone,
                    c.app,
                    c.first_seen.0,
                    c.last_seen.0,
                ],
                |r| r.get(0),
            )?;
            counters.execute(params![
                pk,
                input_pk,
                clamp(c.flows),
                clamp(c.packets),
                clamp(c.bytes)
            ])?;
        }
        tx.execute(
            "UPDATE conversations SET
                 flows = (SELECT coalesce(sum(c.flows), 0) FROM conversation_input_counters c
                          WHERE c.conversation_pk = conversations.pk),
                 packets = (SELECT coalesce(sum(c.packets), 0) FROM conversation_input_counters c
                            WHERE c.conversation_pk = conversations.pk),
                 bytes = (SELECT coalesce(sum(c.bytes), 0) FROM conversation_input_counters c
                          WHERE c.conversation_pk = conversations.pk)
             WHERE pk IN (SELECT conversation_pk FROM conversation_input_counters
                          WHERE input_pk = ?1)",
            [input_pk],
        )?;
        Ok(())
    };
    write().map_err(sqlite_error(path, "merging conversations"))
}

pub(crate) fn set_zones(
    conn: &mut Connection,
    path: &Path,
    zones: &[Zone],
    at: Timestamp,
) -> Result<(), StoreError> {
    let mut write = || -> rusqlite::Result<()> {
        let tx = conn.transaction()?;
        tx.execute("DELETE FROM zones", [])?;
        {
            let mut insert = tx.prepare_cached(
                "INSERT INTO zones (name, kind, vlans, subnets, set_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            )?;
            for z in zones {
                let vlans: Vec<String> = z.vlans.iter().map(u16::to_string).collect();
                let subnets: Vec<String> = z.subnets.iter().map(ToString::to_string).collect();
                insert.execute(params![
                    z.name,
                    z.kind.as_str(),
                    vlans.join(","),
                    subnets.join(","),
                    at.0
                ])?;
            }
        }
        tx.commit()
    };
    write().map_err(sqlite_error(path, "storing the zones"))
}

pub(crate) fn zones(conn: &Connection, path: &Path) -> Result<Vec<Zone>, StoreError> {
    let read = || -> rusqlite::Result<Vec<(String, String, String, String)>> {
        let mut stmt =
            conn.prepare_cached("SELECT name, kind, vlans, subnets FROM zones ORDER BY name")?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect()
    };
    let rows = read().map_err(sqlite_error(path, "reading the zones"))?;
    let corrupt = |name: &str, problem: String| StoreError::Corrupt {
        path: path.to_path_buf(),
        problem: format!("zone {name:?}: {problem}"),
    };
    rows.into_iter()
        .map(|(name, kind, vlans, subnets)| {
            let kind = kind.parse().map_err(|e| corrupt(&name, e))?;
            let vlans = vlans
                .split(',')
                .filter(|v| !v.is_empty())
                .map(|v| v.parse().map_err(|_| corrupt(&name, format!("VLAN {v:?}"))))
                .collect::<Result<_, _>>()?;
            let subnets = subnets
                .split(',')
                .filter(|v| !v.is_empty())
                .map(|v| v.parse().map_err(|e| corrupt(&name, e)))
                .collect::<Result<_, _>>()?;
            Ok(Zone {
                name,
                kind,
                vlans,
                subnets,
            })
        })
        .collect()
}

pub(crate) fn zone_matrix(conn: &Connection, path: &Path) -> Result<Vec<ZoneLink>, StoreError> {
    let read = || -> rusqlite::Result<Vec<ZoneLink>> {
        let mut stmt = conn.prepare_cached(
            "SELECT client_zone, server_zone, count(*), sum(flows), sum(bytes)
             FROM conversations GROUP BY client_zone, server_zone
             ORDER BY client_zone, server_zone",
        )?;
        stmt.query_map([], |r| {
            Ok(ZoneLink {
                client_zone: r.get(0)?,
                server_zone: r.get(1)?,
                conversations: count(r.get(2)?),
                flows: count(r.get(3)?),
                bytes: count(r.get(4)?),
            })
        })?
        .collect()
    };
    read().map_err(sqlite_error(path, "reading the zone matrix"))
}

pub(crate) fn zone_violations(
    conn: &Connection,
    path: &Path,
) -> Result<Vec<(String, String, u64)>, StoreError> {
    let read = || -> rusqlite::Result<Vec<(String, String, u64)>> {
        // Through findings_filters (status, severity, kind): only these findings' evidence
        // is read.
        let mut stmt = conn.prepare_cached(
            "SELECT json_extract(evidence, '$.client_zone') AS c,
                    json_extract(evidence, '$.server_zone') AS s, count(*)
             FROM findings WHERE kind = 'segmentation_violation' AND status <> 'resolved'
             GROUP BY c, s ORDER BY c, s",
        )?;
        stmt.query_map([], |r| {
            Ok((
                r.get::<_, Option<String>>(0)?.unwrap_or_default(),
                r.get::<_, Option<String>>(1)?.unwrap_or_default(),
                count(r.get(2)?),
            ))
        })?
        .collect()
    };
    read().map_err(sqlite_error(path, "reading the segmentation findings"))
}

fn conversation_row(r: &Row<'_>) -> rusqlite::Result<StoredConversation> {
    Ok(StoredConversation {
        client_addr: r.get(0)?,
        client_device: r.get(1)?,
        client_zone: r.get(2)?,
        server_addr: r.get(3)?,
        server_device: r.get(4)?,
        server_zone: r.get(5)?,
        transport: r.get(6)?,
        port: r.get(7)?,
        app: r.get(8)?,
        flows: count(r.get(9)?),
        packets: count(r.get(10)?),
        bytes: count(r.get(11)?),
        first_seen: Timestamp(r.get(12)?),
        last_seen: Timestamp(r.get(13)?),
    })
}

pub(crate) fn conversations(
    conn: &Connection,
    path: &Path,
    query: &ConversationQuery,
) -> Result<Page<StoredConversation>, StoreError> {
    let limit = query.limit.min(DeviceQuery::MAX_LIMIT);
    let offset = i64::try_from(query.offset).unwrap_or(i64::MAX);
    let mut conditions: Vec<&str> = Vec::new();
    let mut bound: Vec<(&str, &dyn rusqlite::ToSql)> = Vec::new();
    let device = query.device.as_deref().filter(|d| !d.is_empty());
    if let Some(d) = &device {
        // Either side, each through its partial index.
        conditions.push(
            "c.pk IN (SELECT c2.pk FROM conversations c2 JOIN devices d2
                        ON d2.pk = c2.client_device_pk WHERE d2.id = :device
                      UNION
                      SELECT c3.pk FROM conversations c3 JOIN devices d3
                        ON d3.pk = c3.server_device_pk WHERE d3.id = :device)",
        );
        bound.push((":device", d));
    }
    let client_zone = query.client_zone.as_deref().filter(|z| !z.is_empty());
    if let Some(z) = &client_zone {
        conditions.push("c.client_zone = :client_zone");
        bound.push((":client_zone", z));
    }
    let server_zone = query.server_zone.as_deref().filter(|z| !z.is_empty());
    if let Some(z) = &server_zone {
        conditions.push("c.server_zone = :server_zone");
        bound.push((":server_zone", z));
    }
    let filter = if conditions.is_empty() {
        String::new()
    } else {
        format!(" WHERE {}", conditions.join(" AND "))
    };
    let total: i64 = conn
        .prepare_cached(&format!("SELECT count(*) FROM conversations c{filter}"))
        .and_then(|mut s| s.query_row(bound.as_slice(), |r| r.get(0)))
        .map_err(sqlite_error(path, "counting conversations"))?;
    let mut page = bound.clone();
    page.push((":limit", &limit));
    page.push((":offset", &offset));
    let items = conn
        .prepare_cached(&format!(
            "SELECT c.client_addr, dc.id, c.client_zone, c.server_addr, ds.id, c.server_zone,
                    c.transport, c.port, c.app, c.flows, c.packets, c.bytes, c.first_seen,
                    c.last_seen
             FROM conversations c
             LEFT JOIN devices dc ON dc.pk = c.client_device_pk
             LEFT JOIN devices ds ON ds.pk = c.server_device_pk{filter}
             ORDER BY c.bytes DESC, c.client_addr, c.server_addr, c.transport, c.port
             LIMIT :limit OFFSET :offset"
        ))
        .and_then(|mut s| {
            s.query_map(page.as_slice(), conversation_row)?
                .collect::<rusqlite::Result<Vec<_>>>()
        })
        .map_err(sqlite_error(path, "listing conversations"))?;
    Ok(Page {
        items,
        total: count(total),
        total_exact: true,
        offset: query.offset,
        limit,
    })
}
