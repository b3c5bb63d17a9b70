-- Browser sessions (tower-sessions' PostgreSQL store; the same layout its
-- own migrate() creates, kept here so that one migration set describes the
-- whole database).
CREATE SCHEMA IF NOT EXISTS tower_sessions;

CREATE TABLE IF NOT EXISTS tower_sessions.session (
    id          text PRIMARY KEY NOT NULL,
    data        bytea NOT NULL,
    expiry_date timestamptz NOT NULL
);

-- Failed sign-ins by client address, for the per-address limit. Shared by
-- every Opsdeck process on this database; old rows are pruned on insert.
CREATE TABLE login_failure (
    client_addr text NOT NULL,
    at          timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX login_failure_addr_at_idx ON login_failure (client_addr, at);
