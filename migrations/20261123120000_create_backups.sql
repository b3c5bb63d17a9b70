-- Database backups: targets (PostgreSQL databases reached by a sealed
-- connection URL), schedules with GFS retention, backups (pg_dump -Fc files
-- in the backup store), and restores. See DESIGN.md "Flows" and issue #5.

CREATE TABLE backup_target (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name        text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$'),
    -- The connection URL, sealed with the installation's secret key
    -- (AES-256-GCM): it holds a password and is never shown again.
    sealed_url  bytea NOT NULL,
    -- `host:port/database`, what pages show instead of the URL.
    display     text NOT NULL,
    -- Recovery point objective: the page turns red when the newest good
    -- backup is older than this.
    rpo_hours   integer NOT NULL DEFAULT 24 CHECK (rpo_hours BETWEEN 1 AND 8760),
    -- Reported by the last connection test or backup.
    server_version text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- At most one schedule per target; retention applies after each scheduled run.
CREATE TABLE backup_schedule (
    target_id    bigint PRIMARY KEY REFERENCES backup_target (id) ON DELETE CASCADE,
    cron         text NOT NULL,
    keep_daily   integer NOT NULL DEFAULT 30 CHECK (keep_daily BETWEEN 0 AND 1000),
    keep_weekly  integer NOT NULL DEFAULT 13 CHECK (keep_weekly BETWEEN 0 AND 1000),
    keep_monthly integer NOT NULL DEFAULT 12 CHECK (keep_monthly BETWEEN 0 AND 1000),
    -- Slots at or before this instant never run: saving a schedule does not
    -- fire a slot of the past.
    active_since timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE backup (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    target_id      bigint NOT NULL REFERENCES backup_target (id) ON DELETE CASCADE,
    -- manual: "back up now"; scheduled: a cron slot; safety: taken before a
    -- restore; pre_deploy: taken before a deployment.
    kind           text NOT NULL CHECK (kind IN ('manual', 'scheduled', 'safety', 'pre_deploy')),
    reason         text,
    -- The cron slot a scheduled backup ran for; unique per target, which is
    -- how two Opsdeck processes agree that a slot runs exactly once.
    slot           timestamptz CHECK ((kind = 'scheduled') = (slot IS NOT NULL)),
    state          text NOT NULL CHECK (state IN ('running', 'succeeded', 'failed')),
    -- Path of the dump inside the backup store (set once it is complete).
    file           text,
    bytes_written  bigint NOT NULL DEFAULT 0,
    size_bytes     bigint,
    sha256         text CHECK (sha256 ~ '^[0-9a-f]{64}$'),
    server_version text,
    error          text,
    actor          text NOT NULL,
    started_at     timestamptz NOT NULL DEFAULT now(),
    finished_at    timestamptz,
    -- First verification: `pg_restore --list` read the whole archive.
    verified_at    timestamptz,
    toc_entries    integer,
    verify_error   text,
    -- Deep verification ("test restore") into a scratch database.
    test_state     text CHECK (test_state IN ('running', 'passed', 'failed')),
    test_started_at timestamptz,
    test_finished_at timestamptz,
    test_tables    jsonb,
    test_error     text,
    -- Set when retention removed the file; the row stays as history.
    deleted_at     timestamptz,
    deleted_by     text,
    CHECK (state <> 'succeeded' OR (file IS NOT NULL AND sha256 IS NOT NULL AND size_bytes IS NOT NULL))
);
CREATE UNIQUE INDEX backup_one_per_slot ON backup (target_id, slot) WHERE slot IS NOT NULL;
CREATE INDEX backup_target_idx ON backup (target_id, id DESC);

CREATE TABLE backup_restore (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    target_id        bigint NOT NULL REFERENCES backup_target (id) ON DELETE CASCADE,
    backup_id        bigint NOT NULL REFERENCES backup (id),
    -- The backup of the state just before; restoring it undoes this restore.
    safety_backup_id bigint REFERENCES backup (id),
    state            text NOT NULL CHECK (state IN ('running', 'succeeded', 'failed')),
    -- running: safety_backup → checking → restoring
    phase            text NOT NULL DEFAULT 'safety_backup',
    bytes_read       bigint NOT NULL DEFAULT 0,
    total_bytes      bigint NOT NULL,
    error            text,
    actor            text NOT NULL,
    started_at       timestamptz NOT NULL DEFAULT now(),
    finished_at      timestamptz
);
CREATE INDEX backup_restore_target_idx ON backup_restore (target_id, id DESC);

-- Pages follow a target's backups and restores live, in every process.
CREATE FUNCTION backup_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('opsdeck_live', 'backup_target:' || NEW.target_id);
    IF TG_TABLE_NAME = 'backup' THEN
        PERFORM pg_notify('opsdeck_live', 'backup:' || NEW.id);
    ELSE
        PERFORM pg_notify('opsdeck_live', 'backup_restore:' || NEW.id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER backup_live AFTER INSERT OR UPDATE ON backup
    FOR EACH ROW EXECUTE FUNCTION backup_notify();
CREATE TRIGGER backup_restore_live AFTER INSERT OR UPDATE ON backup_restore
    FOR EACH ROW EXECUTE FUNCTION backup_notify();
