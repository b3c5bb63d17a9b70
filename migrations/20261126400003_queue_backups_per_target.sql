-- One pg_dump per target at a time (issue #11): a backup requested while
-- another of its target runs waits as `queued`; `started_at` is when its
-- dump began, `requested_at` when it was asked for.
ALTER TABLE backup DROP CONSTRAINT backup_state_check;
ALTER TABLE backup ADD CONSTRAINT backup_state_check
    CHECK (state IN ('queued', 'running', 'succeeded', 'failed'));
ALTER TABLE backup ADD COLUMN requested_at timestamptz;
UPDATE backup SET requested_at = started_at;
ALTER TABLE backup ALTER COLUMN requested_at SET DEFAULT now(),
                   ALTER COLUMN requested_at SET NOT NULL;
