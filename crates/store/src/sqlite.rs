//! The embedded backend: one SQLCipher-encrypted SQLite file.

mod accounts;
mod advisories;
mod assets;
mod merge;
mod migrate;
mod patches;
mod read;
mod traffic;
mod triage;

use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, ErrorCode, OpenFlags};

use crate::{
    AdvisoryImportSummary, AdvisoryRecord, AnalysisSource, AssetImportSummary, AuditHasher,
    AuditLog, AuditRecord, DeviceQuery, FindingQuery, KevRecord, Key, MergeSummary, Page,
    PatchChange, PatchRecord, Store, StoreError, UserRecord,
};
use model::{Asset, Device, Finding, StoredAsset};

/// How long a statement waits for another process's write lock (`wardline serve` reading
/// while `wardline analyze` merges) before failing with "database is locked".
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);

/// Prepared statements kept per connection: the merge uses about 20, listings a dozen more.
const STATEMENT_CACHE: usize = 64;

/// A [`Store`] in an encrypted SQLite file.
#[derive(Debug)]
pub struct SqliteStore {
    conn: Connection,
    path: PathBuf,
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` with `key`, checks that the key opens
    /// it, and applies pending migrations.
    ///
    /// Fails with [`StoreError::WrongKey`] when the key does not decrypt the file (or it is
    /// not a database), and [`StoreError::NewerSchema`] when a newer wardline wrote it.
    pub fn open(path: &Path, key: &Key) -> Result<Self, StoreError> {
        let conn = Connection::open_with_flags(
            path,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(sqlite_error(path, "opening the database"))?;
        let mut store = Self {
            conn,
            path: path.to_path_buf(),
        };
        store.apply_key(key)?;
        store.configure()?;
        migrate::migrate(&mut store.conn, path)?;
        Ok(store)
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// `PRAGMA key` must be the first statement on the connection; then reading the schema
    /// proves the key decrypts the file.
    fn apply_key(&mut self, key: &Key) -> Result<(), StoreError> {
        let literal = key.sqlcipher_literal();
        // The key is hex-validated, so the literal cannot break out of the quotes. SQLite's
        // error text is dropped: it could quote the statement, and with it the key.
        let statement = zeroize::Zeroizing::new(format!("PRAGMA key = \"{}\";", *literal));
        self.conn
            .execute_batch(&statement)
            .map_err(|_| StoreError::KeyRejected {
                path: self.path.clone(),
            })?;

        // SQLCipher logs decryption failures to stderr by default; a wrong key is reported
        // through our error instead. (Process-wide setting; no other statement precedes key.)
        self.conn
            .execute_batch("PRAGMA cipher_log_level = NONE;")
            .map_err(sqlite_error(&self.path, "silencing SQLCipher's log"))?;

        // Without SQLCipher, PRAGMA key is silently ignored: refuse to write plaintext.
        let cipher: Option<String> = self
            .conn
            .query_row("PRAGMA cipher_version", [], |r| r.get(0))
            .ok();
        if cipher.is_none_or(|v| v.is_empty()) {
            return Err(StoreError::NoEncryption {
                path: self.path.clone(),
            });
        }

        match self
            .conn
            .query_row("SELECT count(*) FROM sqlite_master", [], |r| {
                r.get::<_, i64>(0)
            }) {
            Ok(_) => Ok(()),
            Err(e) if e.sqlite_error_code() == Some(ErrorCode::NotADatabase) => {
                Err(StoreError::WrongKey {
                    path: self.path.clone(),
                })
            }
            Err(e) => Err(sqlite_error(&self.path, "reading the database schema")(e)),
        }
    }

    fn configure(&mut self) -> Result<(), StoreError> {
        let path = self.path.clone();
        self.conn
            .busy_timeout(BUSY_TIMEOUT)
            .map_err(sqlite_error(&path, "setting the busy timeout"))?;
        self.conn
            .set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        // WAL: readers (the console) do not block the writer (an analysis) and vice versa;
        // SQLCipher encrypts the WAL file too. NORMAL sync is durable at checkpoints and safe
        // against corruption in WAL mode. Temp tables and sort spills stay in memory, never in
        // an unencrypted temporary file.
        self.conn
            .execute_batch(
                "PRAGMA foreign_keys = ON;
                 PRAGMA synchronous = NORMAL;
                 PRAGMA temp_store = MEMORY;",
            )
            .map_err(sqlite_error(&path, "configuring the connection"))?;
        let mode: String = self
            .conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(sqlite_error(&path, "switching to WAL journal mode"))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(StoreError::InvalidInput {
                path,
                problem: format!(
                    "the database refuses WAL journal mode (got {mode}); is it on a network \
                     file system?"
                ),
            });
        }
        Ok(())
    }
}

/// Maps a rusqlite error to [`StoreError::Sqlite`] naming the database and the action.
pub(crate) fn sqlite_error(
    path: &Path,
    action: impl Into<String>,
) -> impl FnOnce(rusqlite::Error) -> StoreError {
    let path = path.to_path_buf();
    let action = action.into();
    move |source| StoreError::Sqlite {
        path,
        action,
        source,
    }
}

impl Store for SqliteStore {
    fn merge_analysis(
        &mut self,
        devices: &[Device],
        findings: &[Finding],
        source: &AnalysisSource,
    ) -> Result<MergeSummary, StoreError> {
        merge::merge(&mut self.conn, &self.path, devices, findings, &[], source)
    }

    fn merge_analysis_with_traffic(
        &mut self,
        devices: &[Device],
        findings: &[Finding],
        conversations: &[model::Conversation],
        source: &AnalysisSource,
    ) -> Result<MergeSummary, StoreError> {
        merge::merge(
            &mut self.conn,
            &self.path,
            devices,
            findings,
            conversations,
            source,
        )
    }

    fn set_zones(&mut self, zones: &[model::Zone], at: model::Timestamp) -> Result<(), StoreError> {
        traffic::set_zones(&mut self.conn, &self.path, zones, at)
    }

    fn finding_timeline(&self, days: u32) -> Result<Vec<(i64, String, u64)>, StoreError> {
        triage::finding_timeline(&self.conn, &self.path, days)
    }

    fn device_risk(&self, id: &str) -> Result<Option<f64>, StoreError> {
        triage::device_risk(&self.conn, &self.path, id)
    }

    fn device_authorization(&self, id: &str) -> Result<crate::Authorization, StoreError> {
        triage::device_authorization(&self.conn, &self.path, id)
    }

    fn zones(&self) -> Result<Vec<model::Zone>, StoreError> {
        traffic::zones(&self.conn, &self.path)
    }

    fn zone_violations(&self) -> Result<Vec<(String, String, u64)>, StoreError> {
        traffic::zone_violations(&self.conn, &self.path)
    }

    fn zone_matrix(&self) -> Result<Vec<crate::ZoneLink>, StoreError> {
        traffic::zone_matrix(&self.conn, &self.path)
    }

    fn conversations(
        &self,
        query: &crate::ConversationQuery,
    ) -> Result<crate::Page<crate::StoredConversation>, StoreError> {
        traffic::conversations(&self.conn, &self.path, query)
    }

    fn triage(
        &mut self,
        changes: &[crate::TriageChange<'_>],
        at: i64,
    ) -> Result<Vec<bool>, StoreError> {
        triage::triage(&mut self.conn, &self.path, changes, at)
    }

    fn finding_states(
        &self,
        ids: &[&str],
    ) -> Result<std::collections::HashMap<String, crate::FindingTriage>, StoreError> {
        triage::states(&self.conn, &self.path, ids)
    }

    fn add_passkey(&mut self, passkey: &crate::PasskeyRecord) -> Result<(), StoreError> {
        accounts::add_passkey(&self.conn, &self.path, passkey)
    }

    fn passkeys(&self, user: &str) -> Result<Vec<crate::PasskeyRecord>, StoreError> {
        accounts::passkeys(&self.conn, &self.path, user)
    }

    fn update_passkey(
        &mut self,
        credential_id: &str,
        passkey: &str,
        at: i64,
    ) -> Result<bool, StoreError> {
        accounts::update_passkey(&self.conn, &self.path, credential_id, passkey, at)
    }

    fn delete_passkeys(&mut self, user: &str) -> Result<u64, StoreError> {
        accounts::delete_passkeys(&self.conn, &self.path, user)
    }

    fn add_token(&mut self, token: &crate::ApiTokenRecord) -> Result<(), StoreError> {
        accounts::add_token(&self.conn, &self.path, token)
    }

    fn tokens(&self) -> Result<Vec<crate::ApiTokenRecord>, StoreError> {
        accounts::tokens(&self.conn, &self.path)
    }

    fn token_by_hash(&self, hash: &str) -> Result<Option<crate::ApiTokenRecord>, StoreError> {
        accounts::token_by_hash(&self.conn, &self.path, hash)
    }

    fn touch_token(&mut self, hash: &str, at: i64) -> Result<(), StoreError> {
        accounts::touch_token(&self.conn, &self.path, hash, at)
    }

    fn revoke_token(&mut self, name: &str, at: i64) -> Result<bool, StoreError> {
        accounts::revoke_token(&self.conn, &self.path, name, at)
    }

    fn finding(&self, id: &str) -> Result<Option<Finding>, StoreError> {
        read::finding(&self.conn, &self.path, id)
    }

    fn finding_notes(&self, id: &str) -> Result<Vec<crate::FindingNote>, StoreError> {
        triage::notes(&self.conn, &self.path, id)
    }

    fn device_breakdown(&self, name: &str) -> Result<Vec<(String, u64)>, StoreError> {
        triage::device_breakdown(&self.conn, &self.path, name)
    }

    fn finding_breakdown(&self) -> Result<Vec<(String, String, u64)>, StoreError> {
        triage::finding_breakdown(&self.conn, &self.path)
    }

    fn devices_with_findings(&self, kinds: &[&str], status: &str) -> Result<u64, StoreError> {
        triage::devices_with(&self.conn, &self.path, kinds, status)
    }

    fn finding_kind_breakdown(&self) -> Result<Vec<(String, String, u64, u64)>, StoreError> {
        triage::kind_breakdown(&self.conn, &self.path)
    }

    fn findings(&self, query: &FindingQuery) -> Result<Page<Finding>, StoreError> {
        read::findings(&self.conn, &self.path, query)
    }

    fn device(&self, id: &str) -> Result<Option<Device>, StoreError> {
        read::device(&self.conn, &self.path, id)
    }

    fn devices(&self, query: &DeviceQuery) -> Result<Page<Device>, StoreError> {
        // One read transaction for the page: its count and rows come from one snapshot, and
        // the per-device list queries share one lock instead of taking and dropping the
        // file lock each (a 10,000-device page: half the time of reading 100,000 devices
        // went to fcntl locking without it).
        let tx = self
            .conn
            .unchecked_transaction()
            .map_err(sqlite_error(&self.path, "starting a read"))?;
        let page = read::devices(&tx, &self.path, query)?;
        tx.finish()
            .map_err(sqlite_error(&self.path, "ending a read"))?;
        Ok(page)
    }

    fn device_count(&self) -> Result<u64, StoreError> {
        let n: i64 = self
            .conn
            .query_row("SELECT count(*) FROM devices", [], |r| r.get(0))
            .map_err(sqlite_error(&self.path, "counting devices"))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    fn derived_attributes(&self, id: &str) -> Result<Vec<(String, model::Attribute)>, StoreError> {
        read::derived_attributes(&self.conn, id)
            .map_err(sqlite_error(&self.path, "reading attributes"))
    }

    fn overridden_devices(&self) -> Result<Vec<String>, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT DISTINCT d.id FROM device_overrides o JOIN devices d ON d.pk = o.device_pk
                 ORDER BY d.id",
            )
            .and_then(|mut s| {
                s.query_map([], |r| r.get(0))?
                    .collect::<rusqlite::Result<Vec<String>>>()
            })
            .map_err(sqlite_error(&self.path, "reading overrides"))
    }

    fn randomized_macs(&self) -> Result<Vec<(String, String)>, StoreError> {
        self.conn
            .prepare_cached(
                "SELECT m.mac, d.id FROM devices d JOIN device_macs m ON m.device_pk = d.pk
                 WHERE d.mac_randomized AND d.id LIKE 'ip-%'",
            )
            .and_then(|mut s| {
                s.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                    .collect::<rusqlite::Result<Vec<(String, String)>>>()
            })
            .map_err(sqlite_error(&self.path, "reading randomised MACs"))
    }

    fn set_override(
        &mut self,
        id: &str,
        name: &str,
        value: Option<&str>,
        at: model::Timestamp,
    ) -> Result<bool, StoreError> {
        merge::set_override(&mut self.conn, &self.path, id, name, value, at)
    }

    fn import_assets(
        &mut self,
        rows: &[(Asset, String)],
        replace: bool,
        at: model::Timestamp,
    ) -> Result<AssetImportSummary, StoreError> {
        assets::import(&mut self.conn, &self.path, rows, replace, at)
    }

    fn assets(&self) -> Result<Vec<StoredAsset>, StoreError> {
        assets::assets(&self.conn, &self.path)
    }

    fn device_identities(&self) -> Result<Vec<Device>, StoreError> {
        assets::device_identities(&self.conn, &self.path)
    }

    fn record_asset_matches(
        &mut self,
        matches: &[(String, Option<(model::DeviceId, model::AssetMatchReason)>)],
        placeholders: &[Device],
    ) -> Result<(), StoreError> {
        assets::record_matches(&mut self.conn, &self.path, matches, placeholders)
    }

    fn import_advisories(
        &mut self,
        records: &[AdvisoryRecord],
        at: model::Timestamp,
    ) -> Result<AdvisoryImportSummary, StoreError> {
        advisories::import(
            &mut self.conn,
            &self.path,
            advisories::Documents::Advisories,
            records,
            at,
        )
    }

    fn advisories(&self) -> Result<Vec<AdvisoryRecord>, StoreError> {
        advisories::documents(&self.conn, &self.path, advisories::Documents::Advisories)
    }

    fn import_sboms(
        &mut self,
        records: &[AdvisoryRecord],
        at: model::Timestamp,
    ) -> Result<AdvisoryImportSummary, StoreError> {
        advisories::import(
            &mut self.conn,
            &self.path,
            advisories::Documents::Sboms,
            records,
            at,
        )
    }

    fn sboms(&self) -> Result<Vec<AdvisoryRecord>, StoreError> {
        advisories::documents(&self.conn, &self.path, advisories::Documents::Sboms)
    }

    fn add_user(&mut self, user: &UserRecord) -> Result<(), StoreError> {
        accounts::add_user(&self.conn, &self.path, user)
    }

    fn update_user(&mut self, user: &UserRecord) -> Result<bool, StoreError> {
        accounts::update_user(&self.conn, &self.path, user)
    }

    fn user(&self, name: &str) -> Result<Option<UserRecord>, StoreError> {
        accounts::user(&self.conn, &self.path, name)
    }

    fn users(&self) -> Result<Vec<UserRecord>, StoreError> {
        accounts::users(&self.conn, &self.path)
    }

    fn set_recovery_codes(&mut self, user: &str, hashes: &[String]) -> Result<(), StoreError> {
        accounts::set_recovery_codes(&mut self.conn, &self.path, user, hashes)
    }

    fn recovery_codes(&self, user: &str) -> Result<Vec<(i64, String)>, StoreError> {
        accounts::recovery_codes(&self.conn, &self.path, user)
    }

    fn mark_recovery_code_used(&mut self, key: i64, at: i64) -> Result<bool, StoreError> {
        accounts::mark_recovery_code_used(&self.conn, &self.path, key, at)
    }

    fn append_audit(
        &mut self,
        entry: AuditRecord,
        hasher: AuditHasher<'_>,
    ) -> Result<AuditRecord, StoreError> {
        accounts::append_audit(&mut self.conn, &self.path, entry, hasher)
    }

    fn audit_log(&self) -> Result<AuditLog, StoreError> {
        accounts::audit_log(&self.conn, &self.path)
    }

    fn replace_kev(&mut self, catalog: &str, entries: &[KevRecord]) -> Result<u64, StoreError> {
        advisories::replace_kev(&mut self.conn, &self.path, catalog, entries)
    }

    fn kev(&self) -> Result<Vec<KevRecord>, StoreError> {
        advisories::kev(&self.conn, &self.path)
    }

    fn replace_epss(
        &mut self,
        score_date: Option<&str>,
        scores: &[(String, f64, f64)],
    ) -> Result<u64, StoreError> {
        advisories::replace_epss(&mut self.conn, &self.path, score_date, scores)
    }

    fn epss(&self) -> Result<Vec<(String, f64, f64)>, StoreError> {
        advisories::epss(&self.conn, &self.path)
    }

    fn patch_records(&self, device: Option<&str>) -> Result<Vec<PatchRecord>, StoreError> {
        patches::records(&self.conn, &self.path, device)
    }

    fn change_patch(
        &mut self,
        change: &PatchChange,
        at: model::Timestamp,
    ) -> Result<PatchRecord, StoreError> {
        patches::change(&mut self.conn, &self.path, change, at)
    }

    fn schema_version(&self) -> Result<u32, StoreError> {
        migrate::user_version(&self.conn, &self.path)
    }
}
