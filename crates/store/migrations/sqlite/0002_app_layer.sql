-- wardline store, schema 2: what application protocols revealed, and findings.
--
-- Generic by design: a new protocol adds fact keys and software sources, a later issue adds
-- finding kinds; neither needs a migration.

-- Software the wire revealed (DESIGN §5 software[]). version '' when none was split off, so
-- it can be part of the key.
CREATE TABLE device_software (
    device_pk  INTEGER NOT NULL REFERENCES devices (pk) ON DELETE CASCADE,
    product    TEXT NOT NULL,
    version    TEXT NOT NULL DEFAULT '',
    source     TEXT NOT NULL,
    role       TEXT NOT NULL,
    raw        TEXT NOT NULL,
    PRIMARY KEY (device_pk, product, version, source, role)
) WITHOUT ROWID;
CREATE INDEX device_software_product ON device_software (product, version);

-- Identity facts (key vocabulary in ARCHITECTURE.md). count: the most flows any one run saw
-- the fact in (like device_services.peers: re-merging a run does not inflate it).
CREATE TABLE device_facts (
    device_pk  INTEGER NOT NULL REFERENCES devices (pk) ON DELETE CASCADE,
    key        TEXT NOT NULL,
    value      TEXT NOT NULL,
    source     TEXT NOT NULL,
    count      INTEGER NOT NULL CHECK (count >= 0),
    PRIMARY KEY (device_pk, key, value, source)
) WITHOUT ROWID;
CREATE INDEX device_facts_key ON device_facts (key, value);

-- Findings, keyed by their stable id (model::FindingId: a hash of kind, device, protocol,
-- server and subject, so the same input gives the same id in every store). evidence is a JSON
-- object of names and counts, never a patient value or a secret. status is for triage (later
-- issues): 'open' until someone says otherwise.
CREATE TABLE findings (
    pk          INTEGER PRIMARY KEY,
    id          TEXT NOT NULL UNIQUE CHECK (length(id) > 0),
    kind        TEXT NOT NULL,
    severity    TEXT NOT NULL,
    device_pk   INTEGER NOT NULL REFERENCES devices (pk) ON DELETE CASCADE,
    summary     TEXT NOT NULL,
    evidence    TEXT NOT NULL CHECK (json_valid(evidence)),
    first_seen  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL,
    -- Sum of finding_input_counters, kept here so listings need no aggregate.
    count       INTEGER NOT NULL DEFAULT 0,
    status      TEXT NOT NULL DEFAULT 'open'
);
CREATE INDEX findings_device ON findings (device_pk);
CREATE INDEX findings_kind ON findings (kind, severity);
CREATE INDEX findings_last_seen ON findings (last_seen, id);

-- Per finding and analysis run: how many messages / logins / handshakes that run merged.
-- Re-merging a run overwrites its row, as for device_input_counters.
CREATE TABLE finding_input_counters (
    finding_pk  INTEGER NOT NULL REFERENCES findings (pk) ON DELETE CASCADE,
    input_pk    INTEGER NOT NULL REFERENCES analysis_inputs (pk) ON DELETE CASCADE,
    count       INTEGER NOT NULL CHECK (count >= 0),
    PRIMARY KEY (finding_pk, input_pk)
) WITHOUT ROWID;
CREATE INDEX finding_input_counters_input ON finding_input_counters (input_pk);
