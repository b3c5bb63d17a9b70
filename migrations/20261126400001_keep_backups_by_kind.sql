-- Retention by kind (issue #11): GFS applies to scheduled backups only;
-- manual backups stay until someone deletes them; safety (pre-restore) and
-- pre-deploy backups stay at least this many days, and the safety backup
-- of the newest restore stays whatever its age.
ALTER TABLE backup_schedule
    ADD COLUMN keep_safety_days integer NOT NULL DEFAULT 7 CHECK (keep_safety_days BETWEEN 0 AND 3650);
