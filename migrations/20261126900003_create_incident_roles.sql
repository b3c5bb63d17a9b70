-- Who does what in an incident (issue #14): the commander is a column of
-- `incident` already (one at a time, handed over); the scribe (one) and
-- the responders (any number) are rows here. Every assignment is a `role`
-- entry on the timeline.

ALTER TABLE incident_entry DROP CONSTRAINT incident_entry_kind_check;
ALTER TABLE incident_entry ADD CONSTRAINT incident_entry_kind_check
    CHECK (kind IN ('note', 'status', 'severity', 'action', 'cause', 'role'));

CREATE TABLE incident_role (
    incident_id bigint NOT NULL REFERENCES incident (id) ON DELETE CASCADE,
    role        text NOT NULL CHECK (role IN ('scribe', 'responder')),
    -- `user:<name>`, as the audit log names actors.
    person      text NOT NULL,
    assigned_by text NOT NULL,
    assigned_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (incident_id, role, person)
);
-- One scribe at a time.
CREATE UNIQUE INDEX incident_role_one_scribe ON incident_role (incident_id) WHERE role = 'scribe';

CREATE TRIGGER incident_role_notify AFTER INSERT OR UPDATE ON incident_role
    FOR EACH ROW EXECUTE FUNCTION incident_postmortem_notify();
