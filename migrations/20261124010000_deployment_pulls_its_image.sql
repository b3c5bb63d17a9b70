-- A deploy of a tag the endpoint lacks pulls it as the deployment's first
-- step, streamed like the others, instead of inside the HTTP request. Its
-- release is recorded once the image is there (a release always names an
-- image), so until then the deployment has only the tag it asked for.
ALTER TABLE deployment ALTER COLUMN release_id DROP NOT NULL;
ALTER TABLE deployment ADD COLUMN tag text;
ALTER TABLE deployment ADD CONSTRAINT deployment_has_release_or_pulls_a_tag
    CHECK (release_id IS NOT NULL OR (kind = 'deploy' AND tag IS NOT NULL AND state <> 'succeeded'));

-- Service pages and the services list follow every deployment (started by
-- anyone, from any process) and every change of a service: 'service:<id>'.
CREATE FUNCTION service_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM pg_notify('opsdeck_live', 'service:' || OLD.id);
    ELSIF TG_TABLE_NAME = 'deployment' THEN
        PERFORM pg_notify('opsdeck_live', 'service:' || NEW.service_id);
    ELSE
        PERFORM pg_notify('opsdeck_live', 'service:' || NEW.id);
    END IF;
    RETURN NULL;
END $$;
CREATE TRIGGER deployment_service_notify AFTER INSERT OR UPDATE ON deployment
    FOR EACH ROW EXECUTE FUNCTION service_notify();
CREATE TRIGGER service_notify AFTER INSERT OR UPDATE OR DELETE ON service
    FOR EACH ROW EXECUTE FUNCTION service_notify();
