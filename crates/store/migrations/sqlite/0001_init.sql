-- wardline store, schema 1: the device inventory.
--
-- Applied by crates/store/src/sqlite/migrate.rs inside one transaction, which also sets
-- PRAGMA user_version = 1. Never edit a migration that has shipped: add 0002_….sql instead.
--
-- Conventions: child tables key on the integer devices.pk (smaller, faster than the text id),
-- are WITHOUT ROWID when their primary key is the whole lookup path, and cascade on delete.
-- Timestamps are i64 nanoseconds since the Unix epoch (model::Timestamp). Counters are i64
-- (SQLite's only integer type); model's u64 values are clamped to i64::MAX on write.

-- 'WARD': lets open() tell a wardline database from some other SQLite file.
PRAGMA application_id = 1463898692;

-- One analysis run (a set of capture files), identified by the fingerprint of its inputs so
-- that merging the same run again replaces its counters instead of adding them twice.
CREATE TABLE analysis_inputs (
    pk               INTEGER PRIMARY KEY,
    fingerprint      TEXT NOT NULL UNIQUE CHECK (length(fingerprint) > 0),
    -- Paths as last given, for people reading the table; not part of the identity.
    paths            TEXT NOT NULL,
    first_merged_ns  INTEGER NOT NULL,
    last_merged_ns   INTEGER NOT NULL,
    merges           INTEGER NOT NULL DEFAULT 1
);

CREATE TABLE devices (
    pk              INTEGER PRIMARY KEY,
    id              TEXT NOT NULL UNIQUE CHECK (length(id) > 0),
    mac_randomized  INTEGER NOT NULL DEFAULT 0 CHECK (mac_randomized IN (0, 1)),
    first_seen      INTEGER NOT NULL,
    last_seen       INTEGER NOT NULL,
    -- Sums of device_input_counters, kept here so listings need no aggregate.
    packets         INTEGER NOT NULL DEFAULT 0,
    bytes           INTEGER NOT NULL DEFAULT 0,
    -- id, MACs, IPs and hostnames joined by newlines, rebuilt by every merge that touches the
    -- device: the text filter is then one LIKE per row instead of four subqueries (a filtered
    -- listing over 100,000 devices went from ~400 ms to ~150 ms in a debug test build).
    search_text     TEXT NOT NULL DEFAULT ''
);
-- Listing sorted by last_seen (ties broken by id) walks this index.
CREATE INDEX devices_last_seen ON devices (last_seen, id);

-- Per device and analysis run: what that run counted. Re-merging a run overwrites its row.
CREATE TABLE device_input_counters (
    device_pk  INTEGER NOT NULL REFERENCES devices (pk) ON DELETE CASCADE,
    input_pk   INTEGER NOT NULL REFERENCES analysis_inputs (pk) ON DELETE CASCADE,
    packets    INTEGER NOT NULL CHECK (packets >= 0),
    bytes      INTEGER NOT NULL CHECK (bytes >= 0),
    PRIMARY KEY (device_pk, input_pk)
) WITHOUT ROWID;
CREATE INDEX device_input_counters_input ON device_input_counters (input_pk);

-- MAC as lowercase colon text (00:1b:6f:0a:0b:0c): searchable by substring, sorts as bytes.
CREATE TABLE device_macs (
    device_pk  INTEGER NOT NULL REFERENCES devices (pk) ON DELETE CASCADE,
    mac        TEXT NOT NULL CHECK (length(mac) = 17),
    PRIMARY KEY (device_pk, mac)
) WITHOUT ROWID;
CREATE INDEX device_macs_mac ON device_macs (mac);

-- Address as canonical text (std Display of IpAddr).
CREATE TABLE device_ips (
    device_pk   INTEGER NOT NULL REFERENCES devices (pk) ON DELETE CASCADE,
    addr        TEXT NOT NULL CHECK (length(addr) > 0),
    first_seen  INTEGER NOT NULL,
    last_seen   INTEGER NOT NULL,
    PRIMARY KEY (device_pk, addr)
) WITHOUT ROWID;
CREATE INDEX device_ips_addr ON device_ips (addr);

-- source: model::HostnameSource::as_str().
CREATE TABLE device_hostnames (
    device_pk  INTEGER NOT NULL REFERENCES devices (pk) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    source     TEXT NOT NULL,
    PRIMARY KEY (device_pk, name, source)
) WITHOUT ROWID;
CREATE INDEX device_hostnames_name ON device_hostnames (name);

CREATE TABLE device_vlans (
    device_pk  INTEGER NOT NULL REFERENCES devices (pk) ON DELETE CASCADE,
    vlan       INTEGER NOT NULL CHECK (vlan BETWEEN 0 AND 4095),
    PRIMARY KEY (device_pk, vlan)
) WITHOUT ROWID;

-- One row per (transport, port, role); app is the latest recognised protocol, peers the most
-- distinct peers any run saw.
CREATE TABLE device_services (
    device_pk  INTEGER NOT NULL REFERENCES devices (pk) ON DELETE CASCADE,
    transport  TEXT NOT NULL,
    port       INTEGER NOT NULL CHECK (port BETWEEN 0 AND 65535),
    role       TEXT NOT NULL,
    app        TEXT,
    peers      INTEGER NOT NULL CHECK (peers >= 0),
    PRIMARY KEY (device_pk, transport, port, role)
) WITHOUT ROWID;

CREATE TABLE device_roles (
    device_pk  INTEGER NOT NULL REFERENCES devices (pk) ON DELETE CASCADE,
    role       TEXT NOT NULL,
    PRIMARY KEY (device_pk, role)
) WITHOUT ROWID;

CREATE TABLE device_dns_queries (
    device_pk  INTEGER NOT NULL REFERENCES devices (pk) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    PRIMARY KEY (device_pk, name)
) WITHOUT ROWID;

-- Derived attributes by name ('vendor' today; category, model, os, firmware later need no
-- migration). A merge that carries the attribute replaces value, confidence and evidence.
CREATE TABLE device_attributes (
    device_pk   INTEGER NOT NULL REFERENCES devices (pk) ON DELETE CASCADE,
    name        TEXT NOT NULL,
    value       TEXT NOT NULL,
    confidence  REAL NOT NULL,
    PRIMARY KEY (device_pk, name)
) WITHOUT ROWID;

-- Every contribution to an attribute, in the order identify listed it.
CREATE TABLE device_attribute_evidence (
    device_pk  INTEGER NOT NULL,
    name       TEXT NOT NULL,
    ordinal    INTEGER NOT NULL,
    source     TEXT NOT NULL,
    detail     TEXT NOT NULL,
    weight     REAL NOT NULL,
    PRIMARY KEY (device_pk, name, ordinal),
    FOREIGN KEY (device_pk, name) REFERENCES device_attributes (device_pk, name)
        ON DELETE CASCADE
) WITHOUT ROWID;

-- The latest DHCP fingerprint a run reported (replaced whole, never mixed field by field).
CREATE TABLE device_dhcp (
    device_pk           INTEGER PRIMARY KEY REFERENCES devices (pk) ON DELETE CASCADE,
    vendor_class        TEXT,
    param_request_list  BLOB,
    client_id           TEXT,
    max_message_size    INTEGER CHECK (max_message_size BETWEEN 0 AND 65535)
);
