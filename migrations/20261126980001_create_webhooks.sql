-- Webhook destinations (managed by admins) and the deliveries owed to them.
--
-- Deliveries are written by a trigger on the audit log, in the audited
-- action's own transaction: whichever process or token acted, the event is
-- owed, and the action never waits for a receiver. Each Opsdeck process
-- sends what is due (claimed with SKIP LOCKED) and retries with backoff.

CREATE TABLE webhook (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name          text NOT NULL UNIQUE CHECK (length(name) BETWEEN 1 AND 100),
    -- The URL often is the credential (a Slack hook's path): sealed with
    -- the installation key like other secrets; pages show `display`.
    sealed_url    bytea NOT NULL,
    display       text NOT NULL,
    -- `standard`: Standard Webhooks JSON; `slack`: {"text": …} for a Slack
    -- (or Mattermost, Rocket.Chat) incoming webhook. Both are signed.
    format        text NOT NULL CHECK (format IN ('standard', 'slack')),
    events        text[] NOT NULL CHECK (cardinality(events) >= 1),
    -- The `whsec_…` signing secret, sealed with the installation key.
    sealed_secret bytea NOT NULL,
    created_by    text NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webhook_delivery (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_id      bigint NOT NULL REFERENCES webhook (id) ON DELETE CASCADE,
    event           text NOT NULL,
    -- The `webhook-id` header: the same on every retry, so receivers can
    -- drop duplicates.
    message_id      text NOT NULL UNIQUE,
    payload         jsonb NOT NULL,
    audit_event_id  bigint,
    state           text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'delivered', 'failed')),
    attempts        integer NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    created_at      timestamptz NOT NULL DEFAULT now(),
    finished_at     timestamptz
);
CREATE INDEX webhook_delivery_due_idx ON webhook_delivery (next_attempt_at) WHERE state = 'pending';
CREATE INDEX webhook_delivery_webhook_idx ON webhook_delivery (webhook_id, id DESC);

-- One row per try: the delivery log with the status codes receivers gave.
CREATE TABLE webhook_attempt (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    delivery_id bigint NOT NULL REFERENCES webhook_delivery (id) ON DELETE CASCADE,
    at          timestamptz NOT NULL DEFAULT now(),
    status      integer,
    error       text,
    duration_ms integer NOT NULL
);
CREATE INDEX webhook_attempt_delivery_idx ON webhook_attempt (delivery_id, id);

-- The event kind an audit event is, or NULL when no webhook can subscribe to it.
CREATE FUNCTION webhook_event_kind(action text, outcome text, details jsonb) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE
        WHEN action = 'deploy.finish' AND details->>'state' = 'failed' THEN 'deployment.failed'
        WHEN action = 'deploy.finish' AND details->>'state' = 'rolled_back' THEN 'deployment.rolled_back'
        WHEN action = 'backup.run' AND outcome = 'failure' THEN 'backup.failed'
        WHEN action = 'backup.rpo_missed' THEN 'backup.rpo_missed'
        WHEN action = 'backup.test_restore' AND outcome = 'failure' THEN 'test_restore.failed'
        WHEN action = 'backup.restore' AND outcome = 'intent' THEN 'restore.started'
        WHEN action = 'backup.restore' AND outcome IN ('success', 'failure') THEN 'restore.finished'
        WHEN action = 'incident.declare' AND outcome = 'success' THEN 'incident.declared'
        WHEN action = 'incident.severity' AND outcome = 'success' THEN 'incident.severity_changed'
        WHEN action = 'incident.status' AND outcome = 'success' THEN 'incident.status_changed'
        WHEN action = 'webhook.test' AND outcome = 'success' THEN 'test'
    END
$$;

CREATE FUNCTION webhook_deliveries_from_audit() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    kind text := webhook_event_kind(NEW.action, NEW.outcome, NEW.details);
BEGIN
    IF kind IS NULL THEN
        RETURN NULL;
    END IF;
    INSERT INTO webhook_delivery (webhook_id, event, message_id, payload, audit_event_id)
    SELECT w.id, kind, 'msg_' || NEW.id || '_' || w.id,
           jsonb_build_object(
               'type', kind,
               'timestamp', to_char(NEW.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
               'data', jsonb_build_object(
                   'audit_event_id', NEW.id, 'actor', NEW.actor, 'action', NEW.action,
                   'target', NEW.target, 'outcome', NEW.outcome, 'details', NEW.details)),
           NEW.id
    FROM webhook w
    -- A test goes to the one destination named in its details only.
    -- (Compared as text: a cast could fail and abort the audited action.)
    WHERE CASE WHEN kind = 'test' THEN w.id::text = NEW.details->>'webhook'
               ELSE kind = ANY (w.events) END;
    RETURN NULL;
END $$;
CREATE TRIGGER audit_event_to_webhooks AFTER INSERT ON audit_event
    FOR EACH ROW EXECUTE FUNCTION webhook_deliveries_from_audit();

-- Senders wake at once instead of at their next poll, and the webhooks
-- page follows deliveries and their attempts live.
CREATE FUNCTION webhook_delivery_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('opsdeck_live', 'webhook:' || NEW.webhook_id);
    RETURN NULL;
END $$;
CREATE TRIGGER webhook_delivery_notify AFTER INSERT OR UPDATE ON webhook_delivery
    FOR EACH ROW EXECUTE FUNCTION webhook_delivery_notify();
