-- Identification (issue: device identification). Every piece of evidence records the value it
-- spoke for, so a losing contribution can be shown beside the winner. Attributes other than
-- the vendor (category, model, os, firmware, modality) use the same tables by name.
ALTER TABLE device_attribute_evidence ADD COLUMN value TEXT NOT NULL DEFAULT '';
