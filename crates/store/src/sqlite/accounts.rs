//! Console accounts and the hash-chained audit log. The chain's hash function is the
//! caller's (the console's): the store only keeps the order, reads the head and writes the
//! entry and the new head in one transaction, so two writers (the console and a command) can
//! never fork the chain.

use std::path::Path;

use rusqlite::{Connection, OptionalExtension, Row, TransactionBehavior, params};

use super::sqlite_error;
use crate::{
    ApiTokenRecord, AuditHasher, AuditLog, AuditRecord, PasskeyRecord, StoreError, UserRecord,
};

const USER_COLUMNS: &str =
    "name, role, password_hash, totp_secret, totp_last_step, disabled, created_at, updated_at";

fn user_row(r: &Row<'_>) -> rusqlite::Result<UserRecord> {
    Ok(UserRecord {
        name: r.get(0)?,
        role: r.get(1)?,
        password_hash: r.get(2)?,
        totp_secret: r.get(3)?,
        totp_last_step: r.get(4)?,
        disabled: r.get(5)?,
        created_at: r.get(6)?,
        updated_at: r.get(7)?,
    })
}

pub(crate) fn add_user(conn: &Connection, path: &Path, u: &UserRecord) -> Result<(), StoreError> {
    conn.execute(
        &format!("INSERT INTO users ({USER_COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"),
        params![
            u.name,
            u.role,
            u.password_hash,
            u.totp_secret,
            u.totp_last_step,
            u.disabled,
            u.created_at,
            u.updated_at
        ],
    )
    .map_err(sqlite_error(path, format!("adding user {:?}", u.name)))?;
    Ok(())
}

pub(crate) fn update_user(
    conn: &Connection,
    path: &Path,
    u: &UserRecord,
) -> Result<bool, StoreError> {
    let n = conn
        .execute(
            "UPDATE users SET role = ?2, password_hash = ?3, totp_secret = ?4,
                 totp_last_step = ?5, disabled = ?6, updated_at = ?7
             WHERE name = ?1",
            params![
                u.name,
                u.role,
                u.password_hash,
                u.totp_secret,
                u.totp_last_step,
                u.disabled,
                u.updated_at
            ],
        )
        .map_err(sqlite_error(path, format!("updating user {:?}", u.name)))?;
    Ok(n == 1)
}

pub(crate) fn user(
    conn: &Connection,
    path: &Path,
    name: &str,
) -> Result<Option<UserRecord>, StoreError> {
    conn.query_row(
        &format!("SELECT {USER_COLUMNS} FROM users WHERE name = ?1"),
        [name],
        user_row,
    )
    .optional()
    .map_err(sqlite_error(path, format!("reading user {name:?}")))
}

pub(crate) fn users(conn: &Connection, path: &Path) -> Result<Vec<UserRecord>, StoreError> {
    let read = || -> rusqlite::Result<Vec<UserRecord>> {
        let mut stmt = conn.prepare(&format!(
            "SELECT {USER_COLUMNS} FROM users ORDER BY name COLLATE NOCASE"
        ))?;
        let rows = stmt.query_map([], user_row)?;
        rows.collect()
    };
    read().map_err(sqlite_error(path, "reading users"))
}

pub(crate) fn append_audit(
    conn: &mut Connection,
    path: &Path,
    mut entry: AuditRecord,
    hasher: AuditHasher<'_>,
) -> Result<AuditRecord, StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sqlite_error(path, "starting an audit entry"))?;
    let head: Option<(i64, String)> = tx
        .query_row("SELECT seq, hash FROM audit_head WHERE id = 1", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .optional()
        .map_err(sqlite_error(path, "reading the audit head"))?;
    let (last, prev) = head.unwrap_or((0, String::new()));
    entry.seq = last + 1;
    entry.prev_hash = prev;
    entry.hash = String::new();
    entry.hash = hasher(&entry.prev_hash, &entry);
    tx.execute(
        "INSERT INTO audit_log (seq, at, actor, source, action, details, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        params![
            entry.seq,
            entry.at,
            entry.actor,
            entry.source,
            entry.action,
            entry.details.to_string(),
            entry.prev_hash,
            entry.hash
        ],
    )
    .map_err(sqlite_error(path, "writing an audit entry"))?;
    tx.execute(
        "INSERT INTO audit_head (id, seq, hash) VALUES (1, ?1, ?2)
         ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash",
        params![entry.seq, entry.hash],
    )
    .map_err(sqlite_error(path, "writing the audit head"))?;
    tx.commit()
        .map_err(sqlite_error(path, "committing an audit entry"))?;
    Ok(entry)
}

pub(crate) fn audit_log(conn: &Connection, path: &Path) -> Result<AuditLog, StoreError> {
    let read = || -> rusqlite::Result<AuditLog> {
        let mut stmt = conn.prepare(
            "SELECT seq, at, actor, source, action, details, prev_hash, hash
             FROM audit_log ORDER BY seq",
        )?;
        let rows = stmt.query_map([], |r| {
            let details: String = r.get(5)?;
            Ok(AuditRecord {
                seq: r.get(0)?,
                at: r.get(1)?,
                actor: r.get(2)?,
                source: r.get(3)?,
                action: r.get(4)?,
                details: serde_json::from_str(&details).map_err(|e| {
                    rusqlite::Error::FromSqlConversionFailure(
                        5,
                        rusqlite::types::Type::Text,
                        Box::new(e),
                    )
                })?,
                prev_hash: r.get(6)?,
                hash: r.get(7)?,
            })
        })?;
        let entries = rows.collect::<rusqlite::Result<Vec<_>>>()?;
        let head = conn
            .query_row("SELECT seq, hash FROM audit_head WHERE id = 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        Ok(AuditLog { entries, head })
    };
    read().map_err(sqlite_error(path, "reading the audit log"))
}

pub(crate) fn set_recovery_codes(
    conn: &mut Connection,
    path: &Path,
    user: &str,
    hashes: &[String],
) -> Result<(), StoreError> {
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sqlite_error(path, "starting the recovery codes"))?;
    tx.execute("DELETE FROM recovery_codes WHERE user_name = ?1", [user])
        .map_err(sqlite_error(path, "replacing recovery codes"))?;
    for h in hashes {
        tx.execute(
            "INSERT INTO recovery_codes (user_name, code_hash) VALUES (?1, ?2)",
            params![user, h],
        )
        .map_err(sqlite_error(path, "storing a recovery code"))?;
    }
    tx.commit()
        .map_err(sqlite_error(path, "committing the recovery codes"))
}

pub(crate) fn recovery_codes(
    conn: &Connection,
    path: &Path,
    user: &str,
) -> Result<Vec<(i64, String)>, StoreError> {
    let read = || -> rusqlite::Result<Vec<(i64, String)>> {
        let mut stmt = conn.prepare(
            "SELECT pk, code_hash FROM recovery_codes WHERE user_name = ?1 AND used_at IS NULL",
        )?;
        let rows = stmt.query_map([user], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect()
    };
    read().map_err(sqlite_error(path, "reading recovery codes"))
}

pub(crate) fn mark_recovery_code_used(
    conn: &Connection,
    path: &Path,
    key: i64,
    at: i64,
) -> Result<bool, StoreError> {
    // One statement: of two requests with the same code, exactly one changes the row.
    let n = conn
        .execute(
            "UPDATE recovery_codes SET used_at = ?2 WHERE pk = ?1 AND used_at IS NULL",
            params![key, at],
        )
        .map_err(sqlite_error(path, "using a recovery code"))?;
    Ok(n == 1)
}

pub(crate) fn add_passkey(
    conn: &Connection,
    path: &Path,
    p: &PasskeyRecord,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO passkeys (user_name, name, credential_id, passkey, created_at, last_used_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            p.user,
            p.name,
            p.credential_id,
            p.passkey,
            p.created_at,
            p.last_used_at
        ],
    )
    .map_err(sqlite_error(path, "storing a passkey"))?;
    Ok(())
}

pub(crate) fn passkeys(
    conn: &Connection,
    path: &Path,
    user: &str,
) -> Result<Vec<PasskeyRecord>, StoreError> {
    let read = || -> rusqlite::Result<Vec<PasskeyRecord>> {
        let mut stmt = conn.prepare_cached(
            "SELECT user_name, name, credential_id, passkey, created_at, last_used_at
             FROM passkeys WHERE user_name = ?1 ORDER BY pk",
        )?;
        let rows = stmt.query_map([user], |r| {
            Ok(PasskeyRecord {
                user: r.get(0)?,
                name: r.get(1)?,
                credential_id: r.get(2)?,
                passkey: r.get(3)?,
                created_at: r.get(4)?,
                last_used_at: r.get(5)?,
            })
        })?;
        rows.collect()
    };
    read().map_err(sqlite_error(path, "reading passkeys"))
}

pub(crate) fn update_passkey(
    conn: &Connection,
    path: &Path,
    credential_id: &str,
    passkey: &str,
    at: i64,
) -> Result<bool, StoreError> {
    let n = conn
        .execute(
            "UPDATE passkeys SET passkey = ?2, last_used_at = ?3 WHERE credential_id = ?1",
            params![credential_id, passkey, at],
        )
        .map_err(sqlite_error(path, "updating a passkey"))?;
    Ok(n == 1)
}

pub(crate) fn delete_passkeys(
    conn: &Connection,
    path: &Path,
    user: &str,
) -> Result<u64, StoreError> {
    let n = conn
        .execute("DELETE FROM passkeys WHERE user_name = ?1", [user])
        .map_err(sqlite_error(path, "removing passkeys"))?;
    Ok(n as u64)
}

const TOKEN_COLUMNS: &str =
    "name, token_hash, scopes, created_by, created_at, expires_at, last_used_at, revoked_at";

fn token_row(r: &Row<'_>) -> rusqlite::Result<ApiTokenRecord> {
    let scopes: String = r.get(2)?;
    Ok(ApiTokenRecord {
        name: r.get(0)?,
        token_hash: r.get(1)?,
        scopes: scopes.split_whitespace().map(str::to_string).collect(),
        created_by: r.get(3)?,
        created_at: r.get(4)?,
        expires_at: r.get(5)?,
        last_used_at: r.get(6)?,
        revoked_at: r.get(7)?,
    })
}

pub(crate) fn add_token(
    conn: &Connection,
    path: &Path,
    t: &ApiTokenRecord,
) -> Result<(), StoreError> {
    conn.execute(
        "INSERT INTO api_tokens (name, token_hash, scopes, created_by, created_at, expires_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![
            t.name,
            t.token_hash,
            t.scopes.join(" "),
            t.created_by,
            t.created_at,
            t.expires_at
        ],
    )
    .map_err(|e| match e {
        rusqlite::Error::SqliteFailure(f, _)
            if f.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            StoreError::InvalidInput {
                path: path.to_path_buf(),
                problem: format!("a token named {:?} exists", t.name),
            }
        }
        e => sqlite_error(path, "storing a token")(e),
    })?;
    Ok(())
}

pub(crate) fn tokens(conn: &Connection, path: &Path) -> Result<Vec<ApiTokenRecord>, StoreError> {
    let read = || -> rusqlite::Result<Vec<ApiTokenRecord>> {
        let mut stmt = conn.prepare(&format!(
            "SELECT {TOKEN_COLUMNS} FROM api_tokens ORDER BY name COLLATE NOCASE"
        ))?;
        let rows = stmt.query_map([], token_row)?;
        rows.collect()
    };
    read().map_err(sqlite_error(path, "reading tokens"))
}

pub(crate) fn token_by_hash(
    conn: &Connection,
    path: &Path,
    hash: &str,
) -> Result<Option<ApiTokenRecord>, StoreError> {
    conn.prepare_cached(&format!(
        "SELECT {TOKEN_COLUMNS} FROM api_tokens WHERE token_hash = ?1"
    ))
    .and_then(|mut s| s.query_row([hash], token_row).optional())
    .map_err(sqlite_error(path, "reading a token"))
}

pub(crate) fn touch_token(
    conn: &Connection,
    path: &Path,
    hash: &str,
    at: i64,
) -> Result<(), StoreError> {
    conn.prepare_cached("UPDATE api_tokens SET last_used_at = ?2 WHERE token_hash = ?1")
        .and_then(|mut s| s.execute(params![hash, at]))
        .map_err(sqlite_error(path, "recording a token's use"))?;
    Ok(())
}

pub(crate) fn revoke_token(
    conn: &Connection,
    path: &Path,
    name: &str,
    at: i64,
) -> Result<bool, StoreError> {
    let n = conn
        .execute(
            "UPDATE api_tokens SET revoked_at = ?2 WHERE name = ?1 AND revoked_at IS NULL",
            params![name, at],
        )
        .map_err(sqlite_error(path, "revoking a token"))?;
    Ok(n == 1)
}
