-- Incidents (issue #14): what is declared, the services it affects, and its
-- timeline. Notes, status and severity changes are written by Opsdeck's
-- server fns; the actions taken on an affected service (deploy, rollback,
-- scale, restart, repair, removal) are written here, by a trigger on the
-- audit log, in the transaction of the audit event itself: whichever
-- Opsdeck process or API token acted, the entry exists exactly when the
-- event does, and carries its id.

CREATE TABLE incident (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    title           text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    severity        text NOT NULL CHECK (severity IN ('SEV1', 'SEV2', 'SEV3')),
    status          text NOT NULL DEFAULT 'investigating'
                    CHECK (status IN ('investigating', 'identified', 'monitoring', 'resolved')),
    summary         text NOT NULL DEFAULT '',
    -- `user:<name>` or `token:<id>`, as the audit log names actors.
    commander       text NOT NULL,
    declared_by     text NOT NULL,
    declared_at     timestamptz NOT NULL DEFAULT now(),
    -- When the impact began; the declaration time unless corrected.
    started_at      timestamptz NOT NULL,
    -- The first time someone with the permission acted on it after declaring.
    acknowledged_at timestamptz,
    resolved_at     timestamptz,
    CHECK ((status = 'resolved') = (resolved_at IS NOT NULL))
);
CREATE INDEX incident_open_idx ON incident (id) WHERE status <> 'resolved';

-- The affected services, by `environment/name`: the name outlives the
-- service row (a removal is itself a timeline entry), `service_id` not.
CREATE TABLE incident_service (
    incident_id bigint NOT NULL REFERENCES incident (id) ON DELETE CASCADE,
    service     text NOT NULL,
    service_id  bigint REFERENCES service (id) ON DELETE SET NULL,
    PRIMARY KEY (incident_id, service)
);
CREATE INDEX incident_service_name_idx ON incident_service (service);

-- `at`: when it happened (a note may tell of something earlier);
-- `written_at`: when it was written. Both are kept.
CREATE TABLE incident_entry (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id    bigint NOT NULL REFERENCES incident (id) ON DELETE CASCADE,
    kind           text NOT NULL CHECK (kind IN ('note', 'status', 'severity', 'action')),
    at             timestamptz NOT NULL,
    written_at     timestamptz NOT NULL DEFAULT now(),
    actor          text NOT NULL,
    -- A note's markdown source; for the others a one-line summary.
    body           text NOT NULL,
    -- The audit event the entry records (every kind has one). No foreign
    -- key: audit_event's rows never go, and a reference would make a
    -- TRUNCATE of the log fail on it instead of on the log's own guard.
    audit_event_id bigint,
    details        jsonb NOT NULL DEFAULT '{}',
    UNIQUE (incident_id, audit_event_id)
);
CREATE INDEX incident_entry_idx ON incident_entry (incident_id, at, id);

-- An audited action on `service:<environment>/<name>` lands on the
-- timeline of every open incident affecting that service.
CREATE FUNCTION incident_entry_from_audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.target NOT LIKE 'service:%'
       OR NEW.outcome = 'denied'
       OR NOT (NEW.action LIKE 'deploy.%' OR NEW.action = 'service.remove') THEN
        RETURN NULL;
    END IF;
    INSERT INTO incident_entry (incident_id, kind, at, written_at, actor, body, audit_event_id, details)
    SELECT i.id, 'action', NEW.at, NEW.at, NEW.actor, NEW.action || ' ' || NEW.outcome, NEW.id,
           jsonb_build_object('action', NEW.action, 'outcome', NEW.outcome,
                              'service', s.service, 'event', NEW.details)
    FROM incident i JOIN incident_service s ON s.incident_id = i.id
    WHERE i.status <> 'resolved' AND s.service = substr(NEW.target, length('service:') + 1);
    RETURN NULL;
END $$;
CREATE TRIGGER audit_event_to_incident_timeline AFTER INSERT ON audit_event
    FOR EACH ROW EXECUTE FUNCTION incident_entry_from_audit();

-- Pages of an incident and the incidents list follow these.
CREATE FUNCTION incident_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Two branches: PL/pgSQL resolves every NEW field a statement names.
    IF TG_TABLE_NAME = 'incident_entry' THEN
        PERFORM pg_notify('opsdeck_live', 'incident:' || NEW.incident_id);
    ELSE
        PERFORM pg_notify('opsdeck_live', 'incident:' || NEW.id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER incident_entry_notify AFTER INSERT ON incident_entry
    FOR EACH ROW EXECUTE FUNCTION incident_notify();
CREATE TRIGGER incident_notify AFTER INSERT OR UPDATE ON incident
    FOR EACH ROW EXECUTE FUNCTION incident_notify();
