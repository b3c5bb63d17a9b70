-- Exact restores (issue #11): `exact` (the default now) drops what the
-- backup does not contain in the schemas it covers, in the restore's one
-- transaction; `merge` is pg_restore --clean --if-exists as before, which
-- keeps objects created after the backup (every earlier restore was one).
ALTER TABLE backup_restore
    ADD COLUMN mode text NOT NULL DEFAULT 'merge' CHECK (mode IN ('exact', 'merge'));
