-- Advisories (`wardline vulns import`): one row per tracking id, the advisory as the vuln
-- crate reads it kept as JSON (the store does not interpret it), and its CVEs for lookup.
CREATE TABLE advisories (
    pk            INTEGER PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE CHECK (length(id) > 0),
    format        TEXT NOT NULL,
    revision      TEXT,
    title         TEXT NOT NULL,
    -- The file it was last imported from.
    origin        TEXT NOT NULL,
    imported_at   INTEGER NOT NULL,
    body          TEXT NOT NULL CHECK (json_valid(body))
);
CREATE TABLE advisory_cves (
    advisory_pk   INTEGER NOT NULL REFERENCES advisories (pk) ON DELETE CASCADE,
    cve           TEXT NOT NULL,
    PRIMARY KEY (advisory_pk, cve)
) WITHOUT ROWID;
CREATE INDEX advisory_cves_cve ON advisory_cves (cve);
-- CISA's Known Exploited Vulnerabilities catalog: replaced whole by each import.
CREATE TABLE kev (
    cve           TEXT PRIMARY KEY,
    vendor        TEXT NOT NULL,
    product       TEXT NOT NULL,
    name          TEXT NOT NULL,
    date_added    TEXT NOT NULL,
    due_date      TEXT,
    ransomware    INTEGER NOT NULL CHECK (ransomware IN (0, 1)),
    catalog       TEXT NOT NULL
) WITHOUT ROWID;
-- FIRST EPSS scores: replaced whole by each import (one day's file).
CREATE TABLE epss (
    cve           TEXT PRIMARY KEY,
    epss          REAL NOT NULL CHECK (epss BETWEEN 0 AND 1),
    percentile    REAL NOT NULL CHECK (percentile BETWEEN 0 AND 1),
    score_date    TEXT
) WITHOUT ROWID;
-- Patch records (`wardline patches`): one per device × advisory, and every transition with
-- who, when and why. `verified` is set only by an analysis that saw the fixed version.
CREATE TABLE patch_records (
    pk              INTEGER PRIMARY KEY,
    device_id       TEXT NOT NULL,
    advisory        TEXT NOT NULL,
    state           TEXT NOT NULL
                    CHECK (state IN ('open', 'planned', 'applied', 'verified', 'accepted_risk')),
    cves            TEXT NOT NULL DEFAULT '',
    observed_version TEXT,
    owner           TEXT,
    maintenance_window TEXT,
    compensating_control TEXT,
    accepted_until  TEXT,
    updated_at      INTEGER NOT NULL,
    UNIQUE (device_id, advisory)
);
CREATE TABLE patch_events (
    pk              INTEGER PRIMARY KEY,
    record_pk       INTEGER NOT NULL REFERENCES patch_records (pk) ON DELETE CASCADE,
    at              INTEGER NOT NULL,
    actor           TEXT NOT NULL,
    from_state      TEXT,
    to_state        TEXT NOT NULL,
    why             TEXT NOT NULL
);
CREATE INDEX patch_events_record ON patch_events (record_pk, pk);
