-- Runs of runbooks (issue #15): who followed which version when, each
-- step run and checklist item ticked, and the approvals a step waited for.
--
-- A run's history is read from the audit log: every audit event whose
-- details name `runbook.run` (a deploy's intent, a backup's start, a tick,
-- an approval) is copied into `runbook_run_entry` by a trigger, in the
-- transaction that recorded it, and onto the timeline of the open incident
-- the run is attached to. So an action started from a run cannot happen
-- without the run showing it, whichever server fn or token started it.

CREATE TABLE runbook_run (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    runbook_id  bigint NOT NULL,
    version     integer NOT NULL,
    started_by  text NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    incident_id bigint REFERENCES incident (id),
    ended_by    text,
    ended_at    timestamptz,
    FOREIGN KEY (runbook_id, version) REFERENCES runbook_version (runbook_id, version),
    CHECK ((ended_by IS NULL) = (ended_at IS NULL))
);
CREATE INDEX runbook_run_by_runbook ON runbook_run (runbook_id, started_at DESC);

CREATE TABLE runbook_run_entry (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id         bigint NOT NULL REFERENCES runbook_run (id),
    -- No foreign key, like incident_entry: audit rows never go.
    audit_event_id bigint NOT NULL UNIQUE,
    at             timestamptz NOT NULL,
    actor          text NOT NULL,
    action         text NOT NULL,
    target         text NOT NULL,
    outcome        text NOT NULL,
    step           integer,
    item           integer,
    details        jsonb NOT NULL
);
CREATE INDEX runbook_run_entry_by_run ON runbook_run_entry (run_id, id);

-- Each checklist item's state now (the entries keep every tick).
CREATE TABLE runbook_run_item (
    run_id bigint NOT NULL REFERENCES runbook_run (id),
    item   integer NOT NULL CHECK (item >= 1),
    done   boolean NOT NULL,
    actor  text NOT NULL,
    at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (run_id, item)
);

-- A step marked `approval: required` waits here until a second person
-- holding the permission approves it; the approval is used by the one
-- action it allows (`used_at`), so an approved step runs once.
CREATE TABLE runbook_approval (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    run_id       bigint NOT NULL REFERENCES runbook_run (id),
    step         integer NOT NULL CHECK (step >= 1),
    -- What the requester typed for the step's `ask` values.
    typed        jsonb NOT NULL DEFAULT '{}',
    requested_by text NOT NULL,
    requested_at timestamptz NOT NULL DEFAULT now(),
    state        text NOT NULL DEFAULT 'pending'
                 CHECK (state IN ('pending', 'approved', 'declined')),
    decided_by   text,
    decided_at   timestamptz,
    used_at      timestamptz,
    -- The rule the server checks first, kept by the database too.
    CHECK (state = 'declined' OR decided_by IS NULL OR decided_by <> requested_by),
    CHECK (used_at IS NULL OR state = 'approved')
);
-- One open request per step of a run: pending, or approved and unused.
CREATE UNIQUE INDEX runbook_approval_one_open ON runbook_approval (run_id, step)
    WHERE state = 'pending' OR (state = 'approved' AND used_at IS NULL);

CREATE FUNCTION runbook_run_entry_from_audit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    ref jsonb := NEW.details -> 'runbook';
    run bigint;
    attached bigint;
BEGIN
    IF ref IS NULL OR jsonb_typeof(ref -> 'run') IS DISTINCT FROM 'number'
       OR NEW.outcome = 'denied' THEN
        RETURN NULL;
    END IF;
    run := (ref ->> 'run')::bigint;
    INSERT INTO runbook_run_entry (run_id, audit_event_id, at, actor, action, target, outcome, step, item, details)
    VALUES (run, NEW.id, NEW.at, NEW.actor, NEW.action, NEW.target, NEW.outcome,
            (ref ->> 'step')::integer, (ref ->> 'item')::integer, NEW.details);
    SELECT incident_id INTO attached FROM runbook_run WHERE id = run;
    -- An action on a service the incident affects is there already (the
    -- incident trigger fires first, by name): one entry per event.
    INSERT INTO incident_entry (incident_id, kind, at, written_at, actor, body, audit_event_id, details)
    SELECT i.id, 'action', NEW.at, NEW.at, NEW.actor, NEW.action || ' ' || NEW.outcome, NEW.id,
           jsonb_strip_nulls(jsonb_build_object(
               'action', NEW.action, 'outcome', NEW.outcome, 'event', NEW.details,
               'service', CASE WHEN NEW.target LIKE 'service:%'
                               THEN substr(NEW.target, length('service:') + 1) END,
               'backup_target', CASE WHEN NEW.target LIKE 'backup_target:%'
                                     THEN substr(NEW.target, length('backup_target:') + 1) END))
    FROM incident i
    WHERE i.id = attached AND i.status <> 'resolved'
    ON CONFLICT (incident_id, audit_event_id) DO NOTHING;
    PERFORM pg_notify('opsdeck_live', 'runbook_run:' || run);
    RETURN NULL;
END $$;
CREATE TRIGGER audit_event_to_runbook_run AFTER INSERT ON audit_event
    FOR EACH ROW EXECUTE FUNCTION runbook_run_entry_from_audit();

-- The run page follows its run; ending a run is not an audit-less change.
CREATE FUNCTION runbook_run_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('opsdeck_live', 'runbook_run:' || NEW.id);
    RETURN NULL;
END $$;
CREATE TRIGGER runbook_run_notify AFTER UPDATE ON runbook_run
    FOR EACH ROW EXECUTE FUNCTION runbook_run_notify();
