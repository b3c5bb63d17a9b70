-- Seconds an old replica keeps running after it left the service's DNS
-- alias and before it gets SIGTERM: requests it accepted can finish.
ALTER TABLE service ADD COLUMN drain_s integer NOT NULL DEFAULT 3
    CHECK (drain_s BETWEEN 0 AND 300);
