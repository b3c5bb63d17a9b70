-- Sessions remember the user's epoch at sign-in; resetting the password or
-- disabling the user bumps it, which ends every session started before
-- (a counter rather than a time, so clocks of several servers never matter).
ALTER TABLE app_user ADD COLUMN session_epoch integer NOT NULL DEFAULT 0;
