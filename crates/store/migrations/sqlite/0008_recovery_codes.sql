-- One-time recovery codes (`wardline serve` second factor of last resort): only their
-- argon2id hashes; a used code is kept, marked, and never accepted again.
CREATE TABLE recovery_codes (
    pk          INTEGER PRIMARY KEY,
    user_name   TEXT NOT NULL COLLATE NOCASE,
    code_hash   TEXT NOT NULL,
    used_at     INTEGER
);
CREATE INDEX recovery_codes_user ON recovery_codes (user_name);
