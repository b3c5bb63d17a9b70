-- People who sign in to Opsdeck. Roles are data (viewer, responder,
-- deployer, admin); what each role may do is in app/src/auth/permission.rs.

CREATE TABLE app_user (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    username        text NOT NULL,
    display_name    text NOT NULL,
    password_hash   text NOT NULL,
    roles           text[] NOT NULL DEFAULT '{}',
    disabled        boolean NOT NULL DEFAULT false,
    failed_logins   integer NOT NULL DEFAULT 0,
    locked_until    timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_login_at   timestamptz,
    CONSTRAINT app_user_username_key UNIQUE (username),
    CONSTRAINT app_user_username_format CHECK (username ~ '^[a-z0-9][a-z0-9._-]{1,31}$'),
    CONSTRAINT app_user_roles_known CHECK (roles <@ ARRAY['viewer', 'responder', 'deployer', 'admin']::text[])
);
