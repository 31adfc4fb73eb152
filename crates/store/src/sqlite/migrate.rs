//! Versioned schema migrations: numbered SQL files applied in order at open.
//!
//! To change the schema, add `migrations/sqlite/NNNN_what.sql` and one line to
//! [`MIGRATIONS`]; never edit a migration that has shipped. The schema version is SQLite's
//! `PRAGMA user_version`, which is written in the same transaction as the migration.

use std::path::Path;

use rusqlite::{Connection, TransactionBehavior};

use super::sqlite_error;
use crate::StoreError;

/// `PRAGMA application_id` of a wardline database: ASCII `WARD`.
pub(crate) const APPLICATION_ID: i64 = 0x5741_5244;

/// One schema step.
struct Migration {
    version: u32,
    name: &'static str,
    sql: &'static str,
}

/// Every migration, in order; `version` is the position (1-based), checked by a test.
const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "0001_init.sql",
        sql: include_str!("../../migrations/sqlite/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "0002_app_layer.sql",
        sql: include_str!("../../migrations/sqlite/0002_app_layer.sql"),
    },
    Migration {
        version: 3,
        name: "0003_identification.sql",
        sql: include_str!("../../migrations/sqlite/0003_identification.sql"),
    },
    Migration {
        version: 4,
        name: "0004_assets.sql",
        sql: include_str!("../../migrations/sqlite/0004_assets.sql"),
    },
    Migration {
        version: 5,
        name: "0005_advisories.sql",
        sql: include_str!("../../migrations/sqlite/0005_advisories.sql"),
    },
    Migration {
        version: 6,
        name: "0006_sboms.sql",
        sql: include_str!("../../migrations/sqlite/0006_sboms.sql"),
    },
    Migration {
        version: 7,
        name: "0007_accounts.sql",
        sql: include_str!("../../migrations/sqlite/0007_accounts.sql"),
    },
    Migration {
        version: 8,
        name: "0008_recovery_codes.sql",
        sql: include_str!("../../migrations/sqlite/0008_recovery_codes.sql"),
    },
    Migration {
        version: 9,
        name: "0009_triage.sql",
        sql: include_str!("../../migrations/sqlite/0009_triage.sql"),
    },
    Migration {
        version: 10,
        name: "0010_passkeys.sql",
        sql: include_str!("../../migrations/sqlite/0010_passkeys.sql"),
    },
    Migration {
        version: 11,
        name: "0011_api_tokens.sql",
        sql: include_str!("../../migrations/sqlite/0011_api_tokens.sql"),
    },
    Migration {
        version: 12,
        name: "0012_list_indexes.sql",
        sql: include_str!("../../migrations/sqlite/0012_list_indexes.sql"),
    },
    Migration {
        version: 13,
        name: "0013_zones_traffic.sql",
        sql: include_str!("../../migrations/sqlite/0013_zones_traffic.sql"),
    },
];

/// The newest schema version this build knows.
pub(crate) const LATEST_VERSION: u32 = MIGRATIONS.len() as u32;

/// The database's schema version.
pub(crate) fn user_version(conn: &Connection, path: &Path) -> Result<u32, StoreError> {
    let v: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(sqlite_error(path, "reading the schema version"))?;
    u32::try_from(v).map_err(|_| StoreError::Corrupt {
        path: path.to_path_buf(),
        problem: format!("schema version {v}"),
    })
}

/// Refuses newer or foreign databases, then applies the pending migrations in one
/// transaction (so a crash mid-way leaves the previous version intact).
pub(crate) fn migrate(conn: &mut Connection, path: &Path) -> Result<u32, StoreError> {
    let current = checked_version(conn, path)?;
    if current == LATEST_VERSION {
        return Ok(current);
    }
    // IMMEDIATE: take the write lock now, then re-read, so two processes opening a new
    // database at once do not both run 0001.
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sqlite_error(path, "starting the migration transaction"))?;
    let current = checked_version(&tx, path)?;
    for m in MIGRATIONS.iter().filter(|m| m.version > current) {
        tx.execute_batch(m.sql)
            .map_err(sqlite_error(path, format!("applying migration {}", m.name)))?;
        tx.pragma_update(None, "user_version", m.version)
            .map_err(sqlite_error(
                path,
                format!("recording migration {}", m.name),
            ))?;
    }
    tx.commit()
        .map_err(sqlite_error(path, "committing the migrations"))?;
    Ok(LATEST_VERSION)
}

fn checked_version(conn: &Connection, path: &Path) -> Result<u32, StoreError> {
    let version = user_version(conn, path)?;
    if version > LATEST_VERSION {
        return Err(StoreError::NewerSchema {
            path: path.to_path_buf(),
            found: version,
            supported: LATEST_VERSION,
        });
    }
    let application_id: i64 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(sqlite_error(path, "reading the application id"))?;
    let foreign = if version == 0 {
        let tables: i64 = conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| r.get(0))
            .map_err(sqlite_error(path, "reading the database schema"))?;
        tables > 0 || application_id != 0
    } else {
        application_id != APPLICATION_ID
    };
    if foreign {
        return Err(StoreError::NotWardline {
            path: path.to_path_buf(),
            application_id,
        });
    }
    Ok(version)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_numbered_in_order_and_all_listed() {
        for (i, m) in MIGRATIONS.iter().enumerate() {
            assert_eq!(m.version as usize, i + 1, "{}", m.name);
            assert!(
                m.name.starts_with(&format!("{:04}_", m.version)),
                "{} does not start with its version",
                m.name
            );
        }
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
        let mut files: Vec<String> = std::fs::read_dir(&dir)
            .expect("migrations dir")
            .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
            .filter(|n| n.ends_with(".sql"))
            .collect();
        files.sort();
        let listed: Vec<&str> = MIGRATIONS.iter().map(|m| m.name).collect();
        assert_eq!(files, listed, "every file in migrations/sqlite/ is listed");
    }

    #[test]
    fn init_sets_the_application_id() {
        assert!(
            MIGRATIONS[0]
                .sql
                .contains(&format!("PRAGMA application_id = {APPLICATION_ID};"))
        );
    }
}
