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
