-- An incident's suspected cause (issue #14): an explicit link from the
-- incident to a deployment (deploy, rollback, scale, restart) of one of its
-- services, which the dashboard's change-failure rate counts. Linking is
-- on the timeline as its own kind of entry.

ALTER TABLE incident_entry DROP CONSTRAINT incident_entry_kind_check;
ALTER TABLE incident_entry ADD CONSTRAINT incident_entry_kind_check
    CHECK (kind IN ('note', 'status', 'severity', 'action', 'cause'));

CREATE TABLE incident_deployment (
    incident_id   bigint NOT NULL REFERENCES incident (id) ON DELETE CASCADE,
    -- No foreign key: removing a service removes its deployments, and the
    -- incident must still say what it suspected; what the deployment was
    -- is copied here for that.
    deployment_id bigint NOT NULL,
    service       text NOT NULL,
    kind          text NOT NULL,
    release       integer,
    started_at    timestamptz NOT NULL,
    linked_by     text NOT NULL,
    linked_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (incident_id, deployment_id)
);
CREATE INDEX incident_deployment_deployment_idx ON incident_deployment (deployment_id);

CREATE TRIGGER incident_deployment_notify AFTER INSERT ON incident_deployment
    FOR EACH ROW EXECUTE FUNCTION incident_postmortem_notify();
