-- The tamper-evident audit log (see DESIGN.md, "The audit log").
--
-- Append-only: UPDATE, DELETE and TRUNCATE raise an error. Hash-chained: each
-- event stores the previous event's hash and sha256(prev_hash || canonical
-- encoding of the event), computed by Opsdeck (app/src/audit/chain.rs), so
-- that `opsdeck audit verify` proves nothing was altered or removed.
-- Writers serialize on the single row of audit_chain_head (SELECT … FOR
-- UPDATE in the writer's own transaction), which also hands out gapless ids.

CREATE TABLE audit_event (
    id          bigint PRIMARY KEY,
    at          timestamptz NOT NULL,
    actor       text NOT NULL,
    action      text NOT NULL,
    target      text NOT NULL,
    outcome     text NOT NULL CHECK (outcome IN ('intent', 'success', 'failure', 'denied')),
    request_id  text,
    client_addr text,
    details     jsonb NOT NULL,
    prev_hash   bytea NOT NULL CHECK (length(prev_hash) = 32),
    hash        bytea NOT NULL CHECK (length(hash) = 32)
);

CREATE INDEX audit_event_at_idx ON audit_event (at DESC, id DESC);
CREATE INDEX audit_event_actor_idx ON audit_event (actor, id DESC);
CREATE INDEX audit_event_action_idx ON audit_event (action, id DESC);

CREATE TABLE audit_chain_head (
    singleton boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    last_id   bigint NOT NULL,
    last_hash bytea NOT NULL CHECK (length(last_hash) = 32)
);

INSERT INTO audit_chain_head (last_id, last_hash) VALUES (0, decode(repeat('00', 32), 'hex'));

CREATE FUNCTION audit_event_is_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_event is append-only: % is not allowed', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END;
$$;

CREATE TRIGGER audit_event_no_update_or_delete
    BEFORE UPDATE OR DELETE ON audit_event
    FOR EACH ROW EXECUTE FUNCTION audit_event_is_append_only();

CREATE TRIGGER audit_event_no_truncate
    BEFORE TRUNCATE ON audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION audit_event_is_append_only();
