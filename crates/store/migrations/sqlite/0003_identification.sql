-- Identification (issue: device identification). Every piece of evidence records the value it
-- spoke for, so a losing contribution can be shown beside the winner. Attributes other than
-- the vendor (category, model, os, firmware, modality) use the same tables by name.
ALTER TABLE device_attribute_evidence ADD COLUMN value TEXT NOT NULL DEFAULT '';

-- A person's correction of a derived attribute (`wardline devices set ID category=…`). Kept
-- apart from device_attributes, which every analysis replaces: the override survives
-- re-analysis, and reading a device shows it first, marked as such, before what the wire says.
CREATE TABLE device_overrides (
    device_pk  INTEGER NOT NULL REFERENCES devices (pk) ON DELETE CASCADE,
    name       TEXT NOT NULL,
    value      TEXT NOT NULL,
    -- Nanoseconds since the Unix epoch, UTC.
    set_at     INTEGER NOT NULL,
    PRIMARY KEY (device_pk, name)
) WITHOUT ROWID;
