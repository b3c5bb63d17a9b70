-- Pre-deploy backups: a service may name a backup target; each deploy or
-- rollback of it first takes a backup of that target and waits for it,
-- unless the deployer skips it, giving a reason.
ALTER TABLE service
    ADD COLUMN backup_target_id bigint REFERENCES backup_target (id) ON DELETE SET NULL;

ALTER TABLE deployment
    -- The backup taken before this deployment (retention may delete it later).
    ADD COLUMN backup_id bigint REFERENCES backup (id) ON DELETE SET NULL,
    -- Why the deployer skipped the pre-deploy backup.
    ADD COLUMN backup_skipped text CHECK (backup_skipped IS NULL OR length(btrim(backup_skipped)) > 0);
