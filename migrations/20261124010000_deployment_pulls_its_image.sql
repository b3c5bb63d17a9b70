-- A deploy of a tag the endpoint lacks pulls it as the deployment's first
-- step, streamed like the others, instead of inside the HTTP request. Its
-- release is recorded once the image is there (a release always names an
-- image), so until then the deployment has only the tag it asked for.
ALTER TABLE deployment ALTER COLUMN release_id DROP NOT NULL;
ALTER TABLE deployment ADD COLUMN tag text;
ALTER TABLE deployment ADD CONSTRAINT deployment_has_release_or_pulls_a_tag
    CHECK (release_id IS NOT NULL OR (kind = 'deploy' AND tag IS NOT NULL AND state <> 'succeeded'));
