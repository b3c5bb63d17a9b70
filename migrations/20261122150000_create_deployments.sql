-- Deployments: where services run (endpoint → environment), what they run
-- (immutable releases), and every attempt to change it (deployments with a
-- step log). See DESIGN.md "Flows".

-- A Docker engine. `local` means the engine of Opsdeck's own DOCKER_HOST.
CREATE TABLE endpoint (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name       text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
    kind       text NOT NULL CHECK (kind IN ('local', 'tcp')),
    url        text CHECK ((kind = 'local') = (url IS NULL)),
    -- Paths of the TLS files on Opsdeck's host (as for `docker --tlsverify`):
    -- all three, or none for a plain connection.
    tls_ca     text,
    tls_cert   text,
    tls_key    text,
    created_at timestamptz NOT NULL DEFAULT now(),
    CHECK ((tls_ca IS NULL) = (tls_cert IS NULL) AND (tls_cert IS NULL) = (tls_key IS NULL)),
    CHECK (kind = 'tcp' OR tls_ca IS NULL)
);

CREATE TABLE environment (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
    endpoint_id bigint NOT NULL REFERENCES endpoint (id),
    -- The user-defined Docker network every container of the environment joins.
    network     text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

INSERT INTO endpoint (name, kind) VALUES ('local', 'local');
INSERT INTO environment (name, endpoint_id, network)
SELECT 'production', id, 'opsdeck-production' FROM endpoint WHERE name = 'local';

CREATE TABLE service (
    id                    bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    environment_id        bigint NOT NULL REFERENCES environment (id),
    name                  text NOT NULL CHECK (name ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
    image                 text NOT NULL,
    port                  integer NOT NULL CHECK (port BETWEEN 1 AND 65535),
    health_kind           text NOT NULL CHECK (health_kind IN ('http', 'command')),
    -- The HTTP path, or the command (arguments separated by spaces).
    health_check          text NOT NULL,
    health_interval_s     integer NOT NULL CHECK (health_interval_s BETWEEN 1 AND 300),
    health_timeout_s      integer NOT NULL CHECK (health_timeout_s BETWEEN 1 AND 300),
    health_retries        integer NOT NULL CHECK (health_retries BETWEEN 1 AND 100),
    health_start_period_s integer NOT NULL CHECK (health_start_period_s BETWEEN 0 AND 3600),
    replicas              integer NOT NULL CHECK (replicas BETWEEN 0 AND 50),
    stop_timeout_s        integer NOT NULL CHECK (stop_timeout_s BETWEEN 0 AND 600),
    live_release_id       bigint,
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    UNIQUE (environment_id, name)
);

-- Plain values are stored as text; secret ones only sealed (AES-256-GCM).
CREATE TABLE service_env (
    service_id bigint NOT NULL REFERENCES service (id) ON DELETE CASCADE,
    name       text NOT NULL CHECK (name ~ '^[A-Za-z_][A-Za-z0-9_]{0,127}$'),
    value      text,
    sealed     bytea,
    PRIMARY KEY (service_id, name),
    CHECK ((value IS NULL) <> (sealed IS NULL))
);

-- What a deployment runs: the image id resolved when the tag was deployed
-- and the configuration of that moment. Never changed afterwards.
CREATE TABLE release (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service_id bigint NOT NULL REFERENCES service (id) ON DELETE CASCADE,
    number     integer NOT NULL,
    tag        text NOT NULL,
    image_id   text NOT NULL,
    digest     text,
    config     jsonb NOT NULL,
    created_by text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (service_id, number)
);

CREATE FUNCTION release_is_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'releases are immutable';
END $$;
CREATE TRIGGER release_no_update BEFORE UPDATE ON release
    FOR EACH ROW EXECUTE FUNCTION release_is_immutable();

ALTER TABLE service ADD FOREIGN KEY (live_release_id) REFERENCES release (id);

CREATE TABLE deployment (
    id                  bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    service_id          bigint NOT NULL REFERENCES service (id) ON DELETE CASCADE,
    release_id          bigint NOT NULL REFERENCES release (id),
    previous_release_id bigint REFERENCES release (id),
    kind                text NOT NULL CHECK (kind IN ('deploy', 'rollback', 'scale', 'restart')),
    state               text NOT NULL CHECK (state IN ('running', 'succeeded', 'rolled_back', 'failed', 'interrupted')),
    reason              text,
    health_output       text,
    actor               text NOT NULL,
    started_at          timestamptz NOT NULL DEFAULT now(),
    finished_at         timestamptz
);

-- The database itself refuses a second running deployment of one service;
-- the advisory lock held by the deploying process is what tells a live one
-- from one left behind by a dead process.
CREATE UNIQUE INDEX deployment_one_running ON deployment (service_id) WHERE state = 'running';
CREATE INDEX deployment_service_idx ON deployment (service_id, id DESC);

CREATE TABLE deployment_step (
    id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    deployment_id bigint NOT NULL REFERENCES deployment (id) ON DELETE CASCADE,
    at            timestamptz NOT NULL DEFAULT clock_timestamp(),
    level         text NOT NULL CHECK (level IN ('info', 'warn', 'error')),
    message       text NOT NULL
);
CREATE INDEX deployment_step_idx ON deployment_step (deployment_id, id);

-- Every Opsdeck process streams steps to its browsers from this channel, so
-- a viewer sees a deployment run by another process live.
CREATE FUNCTION deployment_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Two branches: PL/pgSQL resolves every NEW field a statement names.
    IF TG_TABLE_NAME = 'deployment_step' THEN
        PERFORM pg_notify('opsdeck_live', 'deployment:' || NEW.deployment_id);
    ELSE
        PERFORM pg_notify('opsdeck_live', 'deployment:' || NEW.id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER deployment_step_notify AFTER INSERT ON deployment_step
    FOR EACH ROW EXECUTE FUNCTION deployment_notify();
CREATE TRIGGER deployment_state_notify AFTER UPDATE OF state ON deployment
    FOR EACH ROW EXECUTE FUNCTION deployment_notify();
