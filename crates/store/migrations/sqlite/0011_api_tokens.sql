-- Scoped API tokens for integrations (`wardline tokens`): only the SHA-256 of each token (a
-- 256-bit random secret, so a fast hash suffices) is kept; the token is shown once.
CREATE TABLE api_tokens (
    pk            INTEGER PRIMARY KEY,
    name          TEXT NOT NULL UNIQUE COLLATE NOCASE,
    token_hash    TEXT NOT NULL UNIQUE,
    -- Space-separated scopes: read, triage, audit.
    scopes        TEXT NOT NULL,
    created_by    TEXT NOT NULL,
    -- Nanoseconds since the Unix epoch, UTC.
    created_at    INTEGER NOT NULL,
    expires_at    INTEGER,
    last_used_at  INTEGER,
    revoked_at    INTEGER
);
