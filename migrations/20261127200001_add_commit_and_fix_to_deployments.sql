-- What a deploy may say about the change it ships, for the dashboard's
-- lead time (commit → live) and rework rate (deploys fixing an incident).
-- Both are reported by whoever deploys (a CI pipeline, a person); absent
-- means "not reported", never guessed.
ALTER TABLE deployment
    ADD COLUMN commit_sha text CHECK (commit_sha ~ '^[0-9a-f]{7,64}$'),
    ADD COLUMN committed_at timestamptz CHECK (committed_at IS NULL OR commit_sha IS NOT NULL),
    ADD COLUMN fixes_incident_id bigint REFERENCES incident (id) ON DELETE SET NULL;

CREATE INDEX deployment_fixes_incident ON deployment (fixes_incident_id)
    WHERE fixes_incident_id IS NOT NULL;
