-- One row describing this Opsdeck installation. Several Opsdeck processes may
-- share one database; the installation id tells them (and their logs) apart
-- from another installation's.
CREATE TABLE instance (
    singleton       boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    installation_id uuid NOT NULL DEFAULT gen_random_uuid(),
    created_at      timestamptz NOT NULL DEFAULT now()
);

INSERT INTO instance DEFAULT VALUES;
