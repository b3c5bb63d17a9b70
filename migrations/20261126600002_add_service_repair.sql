-- Whether Opsdeck puts back replicas that vanish or die behind its back;
-- each repair is a deployment of kind `repair` by `system`.
ALTER TABLE service ADD COLUMN repair boolean NOT NULL DEFAULT true;
ALTER TABLE deployment DROP CONSTRAINT deployment_kind_check;
ALTER TABLE deployment ADD CONSTRAINT deployment_kind_check
    CHECK (kind IN ('deploy', 'rollback', 'scale', 'restart', 'repair'));
