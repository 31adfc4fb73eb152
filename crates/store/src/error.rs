//! Errors of the store: each names the database or key file and what failed.

use std::path::PathBuf;

/// Why a store operation failed. Messages never contain key material.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A file operation on the database or its key file failed.
    #[error("{path}: {action}", path = path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// What was being done (`reading the key file`, …).
        action: String,
        /// The operating system's error.
        #[source]
        source: std::io::Error,
    },
    /// An SQLite statement failed.
    #[error("{path}: {action}", path = path.display())]
    Sqlite {
        /// The database.
        path: PathBuf,
        /// What was being done (`merging device 3 ("mac-…")`, …).
        action: String,
        /// SQLite's error.
        #[source]
        source: rusqlite::Error,
    },
    /// The key does not decrypt the file, or the file is not a database at all.
    #[error("wrong key or not a wardline database: {path}", path = path.display())]
    WrongKey {
        /// The database.
        path: PathBuf,
    },
    /// SQLCipher refused the key statement (its error is withheld: it may echo the key).
    #[error("{path}: the database engine refused the encryption key", path = path.display())]
    KeyRejected {
        /// The database.
        path: PathBuf,
    },
    /// This build's SQLite has no encryption, so it refuses to write plaintext.
    #[error(
        "{path}: this wardline was built without SQLCipher and will not store data unencrypted",
        path = path.display()
    )]
    NoEncryption {
        /// The database.
        path: PathBuf,
    },
    /// The file is a readable SQLite database but not one wardline created.
    #[error(
        "{path}: not a wardline database (it already holds other tables or application id \
         {application_id:#x}); choose another path",
        path = path.display()
    )]
    NotWardline {
        /// The database.
        path: PathBuf,
        /// The file's `PRAGMA application_id`.
        application_id: i64,
    },
    /// The database was written by a newer wardline.
    #[error(
        "{path}: database schema version {found} is newer than this wardline supports \
         ({supported}); upgrade wardline",
        path = path.display()
    )]
    NewerSchema {
        /// The database.
        path: PathBuf,
        /// Its schema version.
        found: u32,
        /// The newest version this build knows.
        supported: u32,
    },
    /// A key (from the environment, a key file or a caller) is not 64 hex digits.
    #[error(
        "{origin}: {problem}; a wardline key is 64 hexadecimal characters (a raw 256-bit key), \
         e.g. from `openssl rand -hex 32`"
    )]
    KeyFormat {
        /// Where the key came from (`WARDLINE_DB_KEY`, `key file /var/lib/wardline/db.key`).
        origin: String,
        /// What is wrong with it (never the value).
        problem: String,
    },
    /// A key file exists but others than its owner may read it.
    #[error(
        "key file {path} is readable or writable by group or others (mode {mode:04o}); \
         restrict it with `chmod 600 {path}` and rotate the key if others could have read it",
        path = path.display()
    )]
    KeyFileInsecure {
        /// The key file.
        path: PathBuf,
        /// Its permission bits.
        mode: u32,
    },
    /// The database exists but neither the environment nor a key file provides its key.
    #[error(
        "{db}: the database exists but its key file {key} is missing and {env} is not set; \
         restore the key file or set {env} (a new key would not open this database)",
        db = db.display(),
        key = key.display(),
        env = crate::KEY_ENV
    )]
    KeyFileMissing {
        /// The database.
        db: PathBuf,
        /// Where its key file was looked for.
        key: PathBuf,
    },
    /// The operating system's random generator failed while creating a key.
    #[error("generating a database key: the system random generator failed")]
    Random(#[source] getrandom::Error),
    /// A caller passed something the store cannot hold.
    #[error("{path}: {problem}", path = path.display())]
    InvalidInput {
        /// The database.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// A stored value could not be read back into the model (the file was edited by hand or
    /// damaged).
    #[error("{path}: corrupt value in the database: {problem}", path = path.display())]
    Corrupt {
        /// The database.
        path: PathBuf,
        /// Which value.
        problem: String,
    },
}
