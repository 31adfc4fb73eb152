-- Lists at hospital scale (the console's device and finding lists, 100,000 devices):
-- devices by an attribute's value (derived or overridden) through an index instead of a
-- subquery per device, and findings in their listing order (most severe, newest first)
-- straight from an index instead of sorting every finding for each page.
CREATE INDEX device_attributes_value ON device_attributes (name, value);
CREATE INDEX device_overrides_value ON device_overrides (name, value);
ALTER TABLE findings ADD COLUMN severity_rank INTEGER GENERATED ALWAYS AS (
    CASE severity WHEN 'critical' THEN 4 WHEN 'high' THEN 3 WHEN 'medium' THEN 2
                  WHEN 'low' THEN 1 ELSE 0 END) VIRTUAL;
CREATE INDEX findings_listing ON findings (severity_rank DESC, last_seen DESC, id ASC);
