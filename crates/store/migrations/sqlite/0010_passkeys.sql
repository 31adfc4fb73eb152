-- WebAuthn passkeys (`wardline serve` second factor): the relying party's record of each
-- credential (its public key, id and signature counter as JSON), never a private key.
CREATE TABLE passkeys (
    pk             INTEGER PRIMARY KEY,
    user_name      TEXT NOT NULL COLLATE NOCASE,
    name           TEXT NOT NULL CHECK (length(name) BETWEEN 1 AND 64),
    credential_id  TEXT NOT NULL UNIQUE,
    passkey        TEXT NOT NULL CHECK (json_valid(passkey)),
    -- Nanoseconds since the Unix epoch, UTC.
    created_at     INTEGER NOT NULL,
    last_used_at   INTEGER
);
CREATE INDEX passkeys_user ON passkeys (user_name);
