-- Open event streams re-check their caller when access may have ended, not
-- only on their 30 s timer: a signed-out session (its row deleted), a user
-- disabled, reset or given other roles, a token revoked or deleted. One
-- notification per statement, without ids: the streams re-check themselves
-- (one query each), which is cheaper than telling whose access it was.

CREATE FUNCTION notify_access_change() RETURNS trigger AS $$
BEGIN
    PERFORM pg_notify('opsdeck_live', 'access:0');
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER session_deleted_notifies_access
    AFTER DELETE ON tower_sessions.session
    FOR EACH STATEMENT EXECUTE FUNCTION notify_access_change();

CREATE TRIGGER user_access_changed_notifies_access
    AFTER UPDATE OF disabled, roles, session_epoch, password_hash OR DELETE ON app_user
    FOR EACH STATEMENT EXECUTE FUNCTION notify_access_change();

CREATE TRIGGER token_revoked_notifies_access
    AFTER UPDATE OF revoked_at, expires_at OR DELETE ON api_token
    FOR EACH STATEMENT EXECUTE FUNCTION notify_access_change();
