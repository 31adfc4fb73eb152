-- Finding triage (`wardline serve`). findings.status (since 0002: open, acknowledged,
-- resolved) gains who set it and when; every change and comment is kept in order. A resolved
-- finding seen again by a later analysis (last_seen after status_at) opens again.
ALTER TABLE findings ADD COLUMN status_at INTEGER;
ALTER TABLE findings ADD COLUMN status_by TEXT;
CREATE INDEX findings_status ON findings (status, severity);
CREATE TABLE finding_notes (
    pk          INTEGER PRIMARY KEY,
    finding_pk  INTEGER NOT NULL REFERENCES findings (pk) ON DELETE CASCADE,
    -- Nanoseconds since the Unix epoch, UTC.
    at          INTEGER NOT NULL,
    actor       TEXT NOT NULL,
    from_status TEXT,
    to_status   TEXT,
    comment     TEXT CHECK (comment IS NULL OR length(comment) <= 4000)
);
CREATE INDEX finding_notes_finding ON finding_notes (finding_pk, pk);
