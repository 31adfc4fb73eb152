-- Vendor SBOMs and VEX documents (`wardline vulns import`): one row per document (CycloneDX
-- serial number, SPDX namespace, or the file for one that names itself nowhere), kept as the
-- vuln crate reads it; the store does not interpret the body. `title` says what it describes.
CREATE TABLE sboms (
    pk            INTEGER PRIMARY KEY,
    id            TEXT NOT NULL UNIQUE CHECK (length(id) > 0),
    format        TEXT NOT NULL,
    revision      TEXT,
    title         TEXT NOT NULL,
    origin        TEXT NOT NULL,
    imported_at   INTEGER NOT NULL,
    body          TEXT NOT NULL CHECK (json_valid(body))
);
