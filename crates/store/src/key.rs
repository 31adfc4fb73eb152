//! The database encryption key: where it comes from, how it is created, how it is kept secret.
//!
//! Order of precedence (DESIGN §6): the `WARDLINE_DB_KEY` environment variable, else the key
//! file `<database path>.key`, created with 32 random bytes and mode 0600 on first use. The key
//! is never printed: [`Key`]'s `Debug` is redacted and error messages never carry its value.

use std::ffi::OsString;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use zeroize::Zeroizing;

use crate::StoreError;

/// Environment variable holding the key as 64 hex characters.
pub const KEY_ENV: &str = "WARDLINE_DB_KEY";

/// Key length: SQLCipher's raw key is 256 bits.
const KEY_LEN: usize = 32;

/// Largest key file read: 64 hex digits plus whitespace; anything bigger is not a key file.
const KEY_FILE_MAX: u64 = 1024;

/// A raw 256-bit SQLCipher key, wiped from memory on drop.
#[derive(Clone)]
pub struct Key(Zeroizing<[u8; KEY_LEN]>);

impl fmt::Debug for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Key(<redacted>)")
    }
}

/// Where [`Key::resolve`] found the key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyOrigin {
    /// The `WARDLINE_DB_KEY` environment variable.
    Env,
    /// An existing key file.
    KeyFile(PathBuf),
    /// A key file created just now: tell the user to back it up with the database.
    CreatedKeyFile(PathBuf),
}

impl fmt::Display for KeyOrigin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Env => f.write_str(KEY_ENV),
            Self::KeyFile(p) => write!(f, "key file {}", p.display()),
            Self::CreatedKeyFile(p) => write!(f, "new key file {}", p.display()),
        }
    }
}

impl Key {
    /// A key from its 32 bytes.
    pub fn from_bytes(bytes: [u8; KEY_LEN]) -> Self {
        Self(Zeroizing::new(bytes))
    }

    /// A key from 64 hex characters (either case; surrounding whitespace ignored).
    pub fn from_hex(text: &str) -> Result<Self, StoreError> {
        Self::parse(text, "key")
    }

    /// A new key from the operating system's random generator.
    pub fn generate() -> Result<Self, StoreError> {
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        getrandom::fill(bytes.as_mut_slice()).map_err(StoreError::Random)?;
        Ok(Self(bytes))
    }

    /// The key file that belongs to a database: `<db path>.key`.
    pub fn file_for(db_path: &Path) -> PathBuf {
        let mut name = OsString::from(db_path.as_os_str());
        name.push(".key");
        PathBuf::from(name)
    }

    /// Finds the key for the database at `db_path`: from `WARDLINE_DB_KEY` if set, else from
    /// its key file, which is created (0600, random key) when neither it nor the database
    /// exists yet.
    pub fn resolve(db_path: &Path) -> Result<(Self, KeyOrigin), StoreError> {
        match std::env::var(KEY_ENV) {
            Ok(value) => {
                let value = Zeroizing::new(value);
                Self::resolve_with(db_path, Some(value.as_str()))
            }
            Err(std::env::VarError::NotPresent) => Self::resolve_with(db_path, None),
            Err(std::env::VarError::NotUnicode(_)) => Err(StoreError::KeyFormat {
                origin: KEY_ENV.into(),
                problem: "the value is not valid UTF-8".into(),
            }),
        }
    }

    /// [`Key::resolve`] with the environment variable's value passed in (tests cannot set
    /// process-wide variables safely while other tests run).
    pub(crate) fn resolve_with(
        db_path: &Path,
        env: Option<&str>,
    ) -> Result<(Self, KeyOrigin), StoreError> {
        if let Some(value) = env {
            return Ok((Self::parse(value, KEY_ENV)?, KeyOrigin::Env));
        }
        let key_path = Self::file_for(db_path);
        match read_key_file(&key_path)? {
            Some(key) => Ok((key, KeyOrigin::KeyFile(key_path))),
            None => {
                // A database without its key file would get a fresh key that cannot open it:
                // say what is missing instead of failing later with "wrong key".
                if db_path.metadata().is_ok_and(|m| m.len() > 0) {
                    return Err(StoreError::KeyFileMissing {
                        db: db_path.to_path_buf(),
                        key: key_path,
                    });
                }
                let key = Self::generate()?;
                if create_key_file(&key_path, &key)? {
                    Ok((key, KeyOrigin::CreatedKeyFile(key_path)))
                } else {
                    // Another process created it between our read and our create: use theirs.
                    match read_key_file(&key_path)? {
                        Some(theirs) => Ok((theirs, KeyOrigin::KeyFile(key_path))),
                        None => Err(StoreError::Io {
                            path: key_path,
                            action: "reading the key file another process just created".into(),
                            source: io::ErrorKind::NotFound.into(),
                        }),
                    }
                }
            }
        }
    }

    /// The key in SQLCipher's raw-key literal form, `x'<64 hex>'`.
    pub(crate) fn sqlcipher_literal(&self) -> Zeroizing<String> {
        let mut out = Zeroizing::new(String::with_capacity(3 + 2 * KEY_LEN));
        out.push_str("x'");
        for b in self.0.iter() {
            out.push(hex_digit(b >> 4));
            out.push(hex_digit(b & 0x0f));
        }
        out.push('\'');
        out
    }

    fn to_hex(&self) -> Zeroizing<String> {
        let mut out = Zeroizing::new(String::with_capacity(2 * KEY_LEN));
        for b in self.0.iter() {
            out.push(hex_digit(b >> 4));
            out.push(hex_digit(b & 0x0f));
        }
        out
    }

    /// Parses 64 hex digits; `origin` names the source in the error, which never shows the
    /// value (a malformed key may still be someone's passphrase).
    fn parse(text: &str, origin: &str) -> Result<Self, StoreError> {
        let text = text.trim();
        let format_error = |problem: String| StoreError::KeyFormat {
            origin: origin.to_string(),
            problem,
        };
        if text.len() != 2 * KEY_LEN {
            return Err(format_error(format!(
                "expected 64 hexadecimal characters, found {} characters",
                text.chars().count()
            )));
        }
        let mut bytes = Zeroizing::new([0u8; KEY_LEN]);
        for (byte, pair) in bytes.iter_mut().zip(text.as_bytes().chunks_exact(2)) {
            match (hex_value(pair[0]), hex_value(pair[1])) {
                (Some(hi), Some(lo)) => *byte = hi << 4 | lo,
                _ => {
                    return Err(format_error(
                        "it contains characters other than 0-9, a-f, A-F".into(),
                    ));
                }
            }
        }
        Ok(Self(bytes))
    }
}

fn hex_digit(nibble: u8) -> char {
    char::from(b"0123456789abcdef"[usize::from(nibble & 0x0f)])
}

fn hex_value(c: u8) -> Option<u8> {
    match c {
        b'0'..=b'9' => Some(c - b'0'),
        b'a'..=b'f' => Some(c - b'a' + 10),
        b'A'..=b'F' => Some(c - b'A' + 10),
        _ => None,
    }
}

fn io_error(path: &Path, action: &str) -> impl FnOnce(io::Error) -> StoreError {
    let path = path.to_path_buf();
    let action = action.to_string();
    move |source| StoreError::Io {
        path,
        action,
        source,
    }
}

/// Reads an existing key file; `None` if there is none. Refuses one that group or others may
/// read or write, checked on the open handle so the file cannot be swapped in between.
fn read_key_file(path: &Path) -> Result<Option<Key>, StoreError> {
    let file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io_error(path, "opening the key file")(e)),
    };
    let meta = file
        .metadata()
        .map_err(io_error(path, "reading the key file's permissions"))?;
    if !meta.is_file() {
        return Err(StoreError::KeyFormat {
            origin: format!("key file {}", path.display()),
            problem: "it is not a regular file".into(),
        });
    }
    check_private(path, &meta)?;
    let mut text = Zeroizing::new(String::new());
    file.take(KEY_FILE_MAX)
        .read_to_string(&mut text)
        .map_err(io_error(path, "reading the key file"))?;
    Key::parse(&text, &format!("key file {}", path.display())).map(Some)
}

#[cfg(unix)]
fn check_private(path: &Path, meta: &std::fs::Metadata) -> Result<(), StoreError> {
    use std::os::unix::fs::PermissionsExt;
    let mode = meta.permissions().mode() & 0o7777;
    if mode & 0o077 != 0 {
        return Err(StoreError::KeyFileInsecure {
            path: path.to_path_buf(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_private(_path: &Path, _meta: &std::fs::Metadata) -> Result<(), StoreError> {
    Ok(())
}

/// Creates the key file with mode 0600 from the first byte (never a window where it is
/// readable by others). Returns false if it already exists (another process won the race).
fn create_key_file(path: &Path, key: &Key) -> Result<bool, StoreError> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = match options.open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => return Ok(false),
        Err(e) => return Err(io_error(path, "creating the key file")(e)),
    };
    let mut text = key.to_hex();
    text.push('\n');
    let written = file
        .write_all(text.as_bytes())
        .and_then(|()| file.sync_all());
    if let Err(e) = written {
        drop(file);
        // A half-written key file would make the next open fail on its format; best effort.
        let _ = std::fs::remove_file(path);
        return Err(io_error(path, "writing the key file")(e));
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEX: &str = "00112233445566778899aabbccddeeff00112233445566778899AABBCCDDEEFF";

    fn err_text<T: fmt::Debug>(r: Result<T, StoreError>) -> String {
        r.expect_err("expected an error").to_string()
    }

    #[test]
    fn debug_never_shows_the_key() {
        let key = Key::from_hex(HEX).expect("valid key");
        let shown = format!("{key:?} {:?}", (&key, Some(&key)));
        assert!(shown.contains("Key(<redacted>)"));
        assert!(!shown.to_ascii_lowercase().contains("00112233"));
        assert!(!shown.contains("[0, 17"));
    }

    #[test]
    fn parses_hex_either_case_and_renders_sqlcipher_literal() {
        let key = Key::from_hex(&format!("  {HEX}\n")).expect("valid key");
        let lit = key.sqlcipher_literal();
        assert_eq!(
            lit.as_str(),
            "x'00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff'"
        );
    }

    #[test]
    fn malformed_env_key_is_refused_without_echoing_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("w.db");
        let msg = err_text(Key::resolve_with(&db, Some("correct horse battery staple")));
        assert!(msg.starts_with("WARDLINE_DB_KEY: "), "{msg}");
        assert!(msg.contains("64 hexadecimal characters"), "{msg}");
        assert!(msg.contains("found 28 characters"), "{msg}");
        assert!(!msg.contains("horse"), "{msg}");

        let bad = format!("{}zz", &HEX[..62]);
        let msg = err_text(Key::resolve_with(&db, Some(&bad)));
        assert!(msg.contains("other than 0-9, a-f, A-F"), "{msg}");
        let msg = err_text(Key::resolve_with(&db, Some("")));
        assert!(msg.contains("found 0 characters"), "{msg}");
        // Nothing was created on the way.
        assert!(!Key::file_for(&db).exists());
    }

    #[test]
    fn env_key_wins_over_key_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("w.db");
        let (_, origin) = Key::resolve_with(&db, None).expect("creates a key file");
        let (key, origin2) = Key::resolve_with(&db, Some(HEX)).expect("env key");
        assert!(matches!(origin, KeyOrigin::CreatedKeyFile(_)));
        assert_eq!(origin2, KeyOrigin::Env);
        assert_eq!(
            key.to_hex().as_str(),
            HEX.to_ascii_lowercase(),
            "the env key, not the file's"
        );
    }

    #[cfg(unix)]
    #[test]
    fn key_file_is_created_0600_and_reused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("ward.db");
        let (key1, origin1) = Key::resolve_with(&db, None).expect("created");
        let key_path = dir.path().join("ward.db.key");
        assert_eq!(origin1, KeyOrigin::CreatedKeyFile(key_path.clone()));
        let mode = std::fs::metadata(&key_path)
            .expect("key file exists")
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "mode {mode:o}");
        let text = std::fs::read_to_string(&key_path).expect("readable");
        assert_eq!(text.trim().len(), 64);
        assert_eq!(text.trim(), key1.to_hex().as_str());

        let (key2, origin2) = Key::resolve_with(&db, None).expect("reused");
        assert_eq!(origin2, KeyOrigin::KeyFile(key_path));
        assert_eq!(key1.to_hex(), key2.to_hex());

        // Two fresh databases get different keys.
        let (other, _) = Key::resolve_with(&dir.path().join("other.db"), None).expect("created");
        assert_ne!(key1.to_hex(), other.to_hex());
    }

    #[cfg(unix)]
    #[test]
    fn group_or_world_readable_key_file_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("ward.db");
        let key_path = Key::file_for(&db);
        std::fs::write(&key_path, format!("{HEX}\n")).expect("write");
        for mode in [0o644, 0o640, 0o604, 0o660] {
            std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(mode))
                .expect("chmod");
            let msg = err_text(Key::resolve_with(&db, None));
            assert!(
                msg.contains("readable or writable by group or others"),
                "{msg}"
            );
            assert!(msg.contains(&format!("mode {mode:04o}")), "{msg}");
            assert!(msg.contains("chmod 600"), "{msg}");
        }
        std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o400)).expect("chmod");
        let (key, origin) = Key::resolve_with(&db, None).expect("0400 is private");
        assert_eq!(origin, KeyOrigin::KeyFile(key_path));
        assert_eq!(key.to_hex().as_str(), HEX.to_ascii_lowercase());
    }

    #[cfg(unix)]
    #[test]
    fn malformed_key_file_names_the_file() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("ward.db");
        let key_path = Key::file_for(&db);
        std::fs::write(&key_path, "secret-passphrase\n").expect("write");
        std::fs::set_permissions(&key_path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        let msg = err_text(Key::resolve_with(&db, None));
        assert!(
            msg.starts_with(&format!("key file {}: ", key_path.display())),
            "{msg}"
        );
        assert!(!msg.contains("passphrase"), "{msg}");
    }

    #[test]
    fn existing_database_without_key_file_is_not_given_a_new_key() {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = dir.path().join("ward.db");
        std::fs::write(&db, b"not empty").expect("write");
        let msg = err_text(Key::resolve_with(&db, None));
        assert!(msg.contains("its key file"), "{msg}");
        assert!(msg.contains("is missing"), "{msg}");
        assert!(!Key::file_for(&db).exists(), "no key file was created");
    }
}
