-- Zones, the conversations between devices, and device lists filtered at hospital scale.
--
-- 1. What a device shows as its category and vendor (an override first, else the derived
--    value) and its zone, kept on the device row with indexes in listing order: filtering
--    100,000 devices by a broad category counts and pages from one index instead of a union
--    of two attribute subqueries (248 ms p95 before, bench/console-scale.sh). Triggers keep
--    the two shown values current whoever writes an attribute or an override.
ALTER TABLE devices ADD COLUMN shown_category TEXT;
ALTER TABLE devices ADD COLUMN shown_vendor TEXT;
-- The zone the latest analysis put the device in (a configured zone or a provisional one).
ALTER TABLE devices ADD COLUMN zone TEXT;
CREATE INDEX devices_shown_category ON devices (shown_category, id);
CREATE INDEX devices_shown_vendor ON devices (shown_vendor, id);
CREATE INDEX devices_zone ON devices (zone, id);

UPDATE devices SET
    shown_category = coalesce(
        (SELECT value FROM device_overrides WHERE device_pk = devices.pk AND name = 'category'),
        (SELECT value FROM device_attributes WHERE device_pk = devices.pk AND name = 'category')),
    shown_vendor = coalesce(
        (SELECT value FROM device_overrides WHERE device_pk = devices.pk AND name = 'vendor'),
        (SELECT value FROM device_attributes WHERE device_pk = devices.pk AND name = 'vendor'));

CREATE TRIGGER device_attributes_shown_insert AFTER INSERT ON device_attributes
WHEN NEW.name IN ('category', 'vendor') BEGIN
    UPDATE devices SET
        shown_category = coalesce(
            (SELECT value FROM device_overrides WHERE device_pk = devices.pk AND name = 'category'),
            (SELECT value FROM device_attributes WHERE device_pk = devices.pk AND name = 'category')),
        shown_vendor = coalesce(
            (SELECT value FROM device_overrides WHERE device_pk = devices.pk AND name = 'vendor'),
            (SELECT value FROM device_attributes WHERE device_pk = devices.pk AND name = 'vendor'))
    WHERE pk = NEW.device_pk;
END;
CREATE TRIGGER device_attributes_shown_update AFTER UPDATE ON device_attributes
WHEN NEW.name IN ('category', 'vendor') OR OLD.name IN ('category', 'vendor') BEGIN
    UPDATE devices SET
        shown_category = coalesce(
            (SELECT value FROM device_overrides WHERE device_pk = devices.pk AND name = 'category'),
            (SELECT value FROM device_attributes WHERE device_pk = devices.pk AND name = 'category')),
        shown_vendor = coalesce(
            (SELECT value FROM device_overrides WHERE device_pk = devices.pk AND name = 'vendor'),
            (SELECT value FROM device_attributes WHERE device_pk = devices.pk AND name = 'vendor'))
    WHERE pk IN (NEW.device_pk, OLD.device_pk);
END;
CREATE TRIGGER device_attributes_shown_delete AFTER DELETE ON device_attributes
WHEN OLD.name IN ('category', 'vendor') BEGIN
    UPDATE devices SET
        shown_category = coalesce(
            (SELECT value FROM device_overrides WHERE device_pk = devices.pk AND name = 'category'),
            (SELECT value FROM device_attributes WHERE device_pk = devices.pk AND name = 'category')),
        shown_vendor = coalesce(
            (SELECT value FROM device_overrides WHERE device_pk = devices.pk AND name = 'vendor'),
            (SELECT value FROM device_attributes WHERE device_pk = devices.pk AND name = 'vendor'))
    WHERE pk = OLD.device_pk;
END;
CREATE TRIGGER device_overrides_shown_insert AFTER INSERT ON device_overrides
WHEN NEW.name IN ('category', 'vendor') BEGIN
    UPDATE devices SET
        shown_category = coalesce(
            (SELECT value FROM device_overrides WHERE device_pk = devices.pk AND name = 'category'),
            (SELECT value FROM device_attributes WHERE device_pk = devices.pk AND name = 'category')),
        shown_vendor = coalesce(
            (SELECT value FROM device_overrides WHERE device_pk = devices.pk AND name = 'vendor'),
            (SELECT value FROM device_attributes WHERE device_pk = devices.pk AND name = 'vendor'))
    WHERE pk = NEW.device_pk;
END;
CREATE TRIGGER device_overrides_shown_update AFTER UPDATE ON device_overrides
WHEN NEW.name IN ('category', 'vendor') OR OLD.name IN ('category', 'vendor') BEGIN
    UPDATE devices SET
        shown_category = coalesce(
            (SELECT value FROM device_overrides WHERE device_pk = devices.pk AND name = 'category'),
            (SELECT value FROM device_attributes WHERE device_pk = devices.pk AND name = 'category')),
        shown_vendor = coalesce(
            (SELECT value FROM device_overrides WHERE device_pk = devices.pk AND name = 'vendor'),
            (SELECT value FROM device_attributes WHERE device_pk = devices.pk AND name = 'vendor'))
    WHERE pk IN (NEW.device_pk, OLD.device_pk);
END;
CREATE TRIGGER device_overrides_shown_delete AFTER DELETE ON device_overrides
WHEN OLD.name IN ('category', 'vendor') BEGIN
    UPDATE devices SET
        shown_category = coalesce(
            (SELECT value FROM device_overrides WHERE device_pk = devices.pk AND name = 'category'),
            (SELECT value FROM device_attributes WHERE device_pk = devices.pk AND name = 'category')),
        shown_vendor = coalesce(
            (SELECT value FROM device_overrides WHERE device_pk = devices.pk AND name = 'vendor'),
            (SELECT value FROM device_attributes WHERE device_pk = devices.pk AND name = 'vendor'))
    WHERE pk = OLD.device_pk;
END;

-- 2. Text search through a trigram index (FTS5, SQLite ≥ 3.34) over the search text each
--    merge rebuilds: `LIKE '%10.20.%'` reads the matching rows' trigrams instead of every
--    device's text (221 ms p95 before). External content: the text is stored once, in
--    devices; triggers keep the index in step.
CREATE VIRTUAL TABLE devices_text USING fts5(
    search_text, content = 'devices', content_rowid = 'pk', tokenize = 'trigram');
INSERT INTO devices_text (devices_text) VALUES ('rebuild');
CREATE TRIGGER devices_text_insert AFTER INSERT ON devices BEGIN
    INSERT INTO devices_text (rowid, search_text) VALUES (NEW.pk, NEW.search_text);
END;
CREATE TRIGGER devices_text_delete AFTER DELETE ON devices BEGIN
    INSERT INTO devices_text (devices_text, rowid, search_text)
    VALUES ('delete', OLD.pk, OLD.search_text);
END;
CREATE TRIGGER devices_text_update AFTER UPDATE OF search_text ON devices
WHEN NEW.search_text IS NOT OLD.search_text BEGIN
    INSERT INTO devices_text (devices_text, rowid, search_text)
    VALUES ('delete', OLD.pk, OLD.search_text);
    INSERT INTO devices_text (rowid, search_text) VALUES (NEW.pk, NEW.search_text);
END;

-- 3. Configured zones (`[[zones]]` in the configuration), kept so that an analysis or the
--    console without the file sees the same ones. vlans and subnets: comma-separated text.
CREATE TABLE zones (
    name     TEXT PRIMARY KEY CHECK (length(name) > 0),
    kind     TEXT NOT NULL,
    vlans    TEXT NOT NULL DEFAULT '',
    subnets  TEXT NOT NULL DEFAULT '',
    set_at   INTEGER NOT NULL
) WITHOUT ROWID;

-- 4. Conversations: one client address with one server address on one service, summed per
--    analysis source like device counters (re-merging a source replaces its share). Each side
--    names the device holding the address when there is one, and its zone.
CREATE TABLE conversations (
    pk                INTEGER PRIMARY KEY,
    client_addr       TEXT NOT NULL,
    server_addr       TEXT NOT NULL,
    -- model::Transport::name(): tcp, udp, icmp, sctp, ip-proto-N.
    transport         TEXT NOT NULL,
    port              INTEGER NOT NULL CHECK (port BETWEEN 0 AND 65535),
    client_device_pk  INTEGER REFERENCES devices (pk) ON DELETE SET NULL,
    server_device_pk  INTEGER REFERENCES devices (pk) ON DELETE SET NULL,
    client_zone       TEXT NOT NULL,
    server_zone       TEXT NOT NULL,
    app               TEXT,
    flows             INTEGER NOT NULL DEFAULT 0,
    packets           INTEGER NOT NULL DEFAULT 0,
    bytes             INTEGER NOT NULL DEFAULT 0,
    first_seen        INTEGER NOT NULL,
    last_seen         INTEGER NOT NULL,
    UNIQUE (client_addr, server_addr, transport, port)
);
CREATE INDEX conversations_client_device ON conversations (client_device_pk)
    WHERE client_device_pk IS NOT NULL;
CREATE INDEX conversations_server_device ON conversations (server_device_pk)
    WHERE server_device_pk IS NOT NULL;
-- The zone × zone matrix is one GROUP BY over this covering index.
CREATE INDEX conversations_zones ON conversations (client_zone, server_zone, flows, bytes);

CREATE TABLE conversation_input_counters (
    conversation_pk  INTEGER NOT NULL REFERENCES conversations (pk) ON DELETE CASCADE,
    input_pk         INTEGER NOT NULL REFERENCES analysis_inputs (pk) ON DELETE CASCADE,
    flows            INTEGER NOT NULL CHECK (flows >= 0),
    packets          INTEGER NOT NULL CHECK (packets >= 0),
    bytes            INTEGER NOT NULL CHECK (bytes >= 0),
    PRIMARY KEY (conversation_pk, input_pk)
) WITHOUT ROWID;
CREATE INDEX conversation_input_counters_input ON conversation_input_counters (input_pk);

-- 5. Device filters by risk (the highest risk score of the device's vulnerabilities not
--    resolved) and by authorization, and the newest devices first.
ALTER TABLE findings ADD COLUMN risk_score REAL GENERATED ALWAYS AS (
    json_extract(evidence, '$.risk.score')) VIRTUAL;
CREATE INDEX findings_device_risk ON findings (kind, status, device_pk, risk_score);
CREATE INDEX devices_first_seen ON devices (first_seen, id);

-- 6. How many devices hold each trigram: a text search reads the index only when one of
--    its trigrams is rare (a MAC or host name fragment); a common one ("10.20.") is faster
--    scanned in listing order, stopping once the page and a bounded count are found.
CREATE VIRTUAL TABLE devices_text_vocab USING fts5vocab('devices_text', 'row');

-- 7. Findings counted without reading their (large) evidence: the listing's count with its
--    optional filters, the dashboard's severity × status table and its findings per day are
--    scans of these covering indexes, not of the table (at 100,000 devices and 32,000
--    findings the count had grown to 160 ms p95).
CREATE INDEX findings_filters ON findings (status, severity, kind, device_pk);
CREATE INDEX findings_first_seen ON findings (first_seen, severity);
