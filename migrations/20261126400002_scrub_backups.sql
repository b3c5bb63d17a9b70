-- Scrub (issue #11): stored files are hashed again daily and on demand; a
-- file whose sha256 no longer matches (or that is gone) is marked corrupted
-- and never again counted as verified, restored or test-restored.
ALTER TABLE backup
    ADD COLUMN scrubbed_at  timestamptz,
    ADD COLUMN corrupted_at timestamptz,
    -- What the scrub found: the file's sha256 now, or why it cannot be read.
    ADD COLUMN corruption   text,
    ADD CONSTRAINT backup_corruption_check CHECK ((corrupted_at IS NULL) = (corruption IS NULL));
