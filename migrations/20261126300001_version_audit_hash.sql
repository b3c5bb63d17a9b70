-- Key the audit chain (issue #10, app/src/audit/chain.rs).
--
-- Version 1 events hold sha256(prev_hash || event): whoever owns the database
-- can rewrite a row and recompute every later hash. Version 2 events hold
-- HMAC-SHA256 under a key derived from the installation secret key, which
-- lives outside the database. Existing events stay version 1 (the default
-- here fills them without a row UPDATE, so the append-only trigger is not
-- involved); Opsdeck writes every new event as version 2 and keys an
-- upgraded log at its first start. Verification accepts version 1 only
-- before the first version 2 event, and a log with events but no version 2
-- event is broken: a rewrite cannot downgrade itself to the unkeyed hash.

ALTER TABLE audit_event
    ADD COLUMN hash_version smallint NOT NULL DEFAULT 1 CHECK (hash_version IN (1, 2));
