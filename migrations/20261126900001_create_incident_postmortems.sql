-- The postmortem of an incident (issue #14): written after it is resolved,
-- edited as the review goes on, exported as markdown. One per incident;
-- its action items are rows of their own so that each can be ticked off.

CREATE TABLE incident_postmortem (
    incident_id          bigint PRIMARY KEY REFERENCES incident (id) ON DELETE CASCADE,
    summary              text NOT NULL DEFAULT '',
    impact               text NOT NULL DEFAULT '',
    contributing_factors text NOT NULL DEFAULT '',
    went_well            text NOT NULL DEFAULT '',
    went_badly           text NOT NULL DEFAULT '',
    -- `user:<name>` or `token:<id>`, as the audit log names actors.
    updated_by           text NOT NULL,
    updated_at           timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE incident_action_item (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    incident_id bigint NOT NULL REFERENCES incident (id) ON DELETE CASCADE,
    text        text NOT NULL CHECK (length(text) BETWEEN 1 AND 500),
    owner       text NOT NULL DEFAULT '',
    due         date,
    done        boolean NOT NULL DEFAULT false,
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX incident_action_item_idx ON incident_action_item (incident_id, id);

-- Pages of the incident follow its postmortem like its timeline.
CREATE FUNCTION incident_postmortem_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('opsdeck_live', 'incident:' || NEW.incident_id);
    RETURN NULL;
END $$;
CREATE TRIGGER incident_postmortem_notify AFTER INSERT OR UPDATE ON incident_postmortem
    FOR EACH ROW EXECUTE FUNCTION incident_postmortem_notify();
CREATE TRIGGER incident_action_item_notify AFTER INSERT OR UPDATE ON incident_action_item
    FOR EACH ROW EXECUTE FUNCTION incident_postmortem_notify();
