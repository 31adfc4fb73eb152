-- Console accounts (`wardline users`) and the audit log (`wardline audit`).
-- A user's password is kept only as its argon2id PHC string; the TOTP secret as raw bytes
-- (the whole database is encrypted at rest by SQLCipher); `totp_last_step` refuses a code
-- used again. Names compare case-insensitively.
CREATE TABLE users (
    pk              INTEGER PRIMARY KEY,
    name            TEXT NOT NULL UNIQUE COLLATE NOCASE CHECK (length(name) BETWEEN 1 AND 64),
    role            TEXT NOT NULL CHECK (role IN ('admin', 'analyst', 'biomed', 'auditor')),
    password_hash   TEXT,
    totp_secret     BLOB,
    totp_last_step  INTEGER,
    disabled        INTEGER NOT NULL DEFAULT 0 CHECK (disabled IN (0, 1)),
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
-- Hash-chained audit entries: each `hash` covers the entry and the previous entry's hash,
-- so an edited, removed or reordered entry breaks the chain (`wardline audit verify`).
-- `audit_head` holds the last sequence number and hash, written in the same transaction,
-- so a removed tail is seen too.
CREATE TABLE audit_log (
    seq             INTEGER PRIMARY KEY,
    at              INTEGER NOT NULL,
    actor           TEXT NOT NULL,
    source          TEXT NOT NULL,
    action          TEXT NOT NULL,
    details         TEXT NOT NULL CHECK (json_valid(details)),
    prev_hash       TEXT NOT NULL,
    hash            TEXT NOT NULL
);
CREATE TABLE audit_head (
    id              INTEGER PRIMARY KEY CHECK (id = 1),
    seq             INTEGER NOT NULL,
    hash            TEXT NOT NULL
);
