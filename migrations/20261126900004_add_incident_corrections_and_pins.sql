-- Two later touches of an incident (issue #14): when the impact began may
-- be corrected (the time first recorded is kept beside it), and timeline
-- entries may be pinned as key moments.

ALTER TABLE incident ADD COLUMN original_started_at timestamptz;
COMMENT ON COLUMN incident.original_started_at IS
    'started_at as declared, set by the first correction (NULL: never corrected)';

ALTER TABLE incident_entry ADD COLUMN pinned boolean NOT NULL DEFAULT false;

ALTER TABLE incident_entry DROP CONSTRAINT incident_entry_kind_check;
ALTER TABLE incident_entry ADD CONSTRAINT incident_entry_kind_check
    CHECK (kind IN ('note', 'status', 'severity', 'action', 'cause', 'role', 'started'));

-- A pin changes the page like a new entry does.
CREATE TRIGGER incident_entry_pin_notify AFTER UPDATE OF pinned ON incident_entry
    FOR EACH ROW EXECUTE FUNCTION incident_notify();
