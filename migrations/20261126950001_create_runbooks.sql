-- Runbooks: markdown procedures, every save a new version, nothing lost.
--
-- `runbook` holds what is current (title, tags, services, the newest
-- version's body copied in for search); `runbook_version` holds every text
-- ever saved with who, when, why and a content hash. A save whose hash
-- equals the current version's is not a new version.

-- Tags as one text for the search column. array_to_string is only STABLE
-- (it is polymorphic: element output functions could vary); on text[] it
-- cannot, so this wrapper may be IMMUTABLE, as a generated column needs.
CREATE FUNCTION runbook_tags_text(tags text[]) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT array_to_string(tags, ' ') $$;

CREATE TABLE runbook (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug       text NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(slug) <= 100),
    title      text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    tags       text[] NOT NULL DEFAULT '{}',
    -- `environment/name`, as written: a runbook may outlive a service.
    services   text[] NOT NULL DEFAULT '{}',
    body       text NOT NULL DEFAULT '',
    version    integer NOT NULL DEFAULT 0,
    updated_at timestamptz NOT NULL DEFAULT now(),
    -- Weighted for ranking: title (A) over tags (B) over body (C).
    search     tsvector GENERATED ALWAYS AS (
        setweight(to_tsvector('english', title), 'A') ||
        setweight(to_tsvector('english', runbook_tags_text(tags)), 'B') ||
        setweight(to_tsvector('english', body), 'C')
    ) STORED
);
CREATE INDEX runbook_search_idx ON runbook USING gin (search);

CREATE TABLE runbook_version (
    runbook_id   bigint NOT NULL REFERENCES runbook (id),
    version      integer NOT NULL CHECK (version >= 1),
    body         text NOT NULL,
    title        text NOT NULL,
    tags         text[] NOT NULL,
    services     text[] NOT NULL,
    author       text NOT NULL,
    at           timestamptz NOT NULL DEFAULT now(),
    message      text NOT NULL DEFAULT '',
    -- sha256 (hex) of title, tags, services and body: identifies exactly
    -- what a reader saw, e.g. in the audit event of a step run from it.
    content_hash text NOT NULL CHECK (content_hash ~ '^[0-9a-f]{64}$'),
    PRIMARY KEY (runbook_id, version)
);
