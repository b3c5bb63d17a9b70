-- The dashboard reads the deploys and rollbacks that ended in its period
-- (7 to 90 days): without this it reads every deployment ever made.
CREATE INDEX deployment_finished_idx ON deployment (finished_at)
    WHERE kind IN ('deploy', 'rollback');
