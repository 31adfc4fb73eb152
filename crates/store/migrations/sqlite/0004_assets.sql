-- The hospital's asset list (`wardline assets import`): one row per asset tag, with the
-- observed device it was tied to. A listed asset never seen stands as a placeholder device
-- `asset-<tag>` (first_seen = last_seen = 0, no traffic) until a device matches it.
CREATE TABLE assets (
    pk            INTEGER PRIMARY KEY,
    tag           TEXT NOT NULL UNIQUE CHECK (length(tag) > 0),
    -- Lowercase colon MACs and canonical IPs, space separated (an asset may list several).
    macs          TEXT NOT NULL DEFAULT '',
    ips           TEXT NOT NULL DEFAULT '',
    hostname      TEXT,
    serial        TEXT,
    vendor        TEXT,
    model         TEXT,
    firmware      TEXT,
    category      TEXT,
    department    TEXT,
    location      TEXT,
    -- `file:line` it was last imported from.
    origin        TEXT NOT NULL,
    imported_at   INTEGER NOT NULL,
    -- The device it is (an observed device's id; NULL when never seen) and why.
    device_id     TEXT,
    match_reason  TEXT CHECK (match_reason IN ('mac', 'hostname', 'ip')),
    CHECK ((device_id IS NULL) = (match_reason IS NULL))
);
CREATE INDEX assets_device ON assets (device_id);
