-- Backups and restores on incident timelines (issue #14). A backup target
-- is related to a service by the service's `backup_target_id` (its
-- pre-deploy backup target: the database the service uses), so a backup
-- run or restore of that target lands on the timeline of every open
-- incident affecting such a service, like a deploy of the service does.
-- One entry per incident and event, even when several of its services
-- share the target (the timeline keeps one entry per audit event).

CREATE OR REPLACE FUNCTION incident_entry_from_audit() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.outcome = 'denied' THEN
        RETURN NULL;
    END IF;
    IF NEW.target LIKE 'service:%'
       AND (NEW.action LIKE 'deploy.%' OR NEW.action = 'service.remove') THEN
        INSERT INTO incident_entry (incident_id, kind, at, written_at, actor, body, audit_event_id, details)
        SELECT i.id, 'action', NEW.at, NEW.at, NEW.actor, NEW.action || ' ' || NEW.outcome, NEW.id,
               jsonb_build_object('action', NEW.action, 'outcome', NEW.outcome,
                                  'service', s.service, 'event', NEW.details)
        FROM incident i JOIN incident_service s ON s.incident_id = i.id
        WHERE i.status <> 'resolved' AND s.service = substr(NEW.target, length('service:') + 1);
    ELSIF NEW.target LIKE 'backup_target:%' AND NEW.action IN ('backup.run', 'backup.restore') THEN
        INSERT INTO incident_entry (incident_id, kind, at, written_at, actor, body, audit_event_id, details)
        SELECT DISTINCT ON (i.id)
               i.id, 'action', NEW.at, NEW.at, NEW.actor, NEW.action || ' ' || NEW.outcome, NEW.id,
               jsonb_build_object('action', NEW.action, 'outcome', NEW.outcome,
                                  'service', s.service, 'backup_target', t.name,
                                  'event', NEW.details)
        FROM incident i JOIN incident_service s ON s.incident_id = i.id
        JOIN service sv ON sv.id = s.service_id
        JOIN backup_target t ON t.id = sv.backup_target_id
        WHERE i.status <> 'resolved'
          AND t.name = substr(NEW.target, length('backup_target:') + 1)
        ORDER BY i.id, s.service;
    END IF;
    RETURN NULL;
END $$;
