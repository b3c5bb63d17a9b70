-- Resource limits for a service's containers. Memory and CPUs are optional
-- (NULL: no limit); every container gets a pids limit, so that a fork bomb
-- or a thread leak in one service cannot exhaust the host's process table.
-- CPUs are stored in thousandths (1500 = 1.5 CPUs) to stay exact.
ALTER TABLE service
    ADD COLUMN memory_mb integer CHECK (memory_mb BETWEEN 6 AND 1048576),
    ADD COLUMN cpu_millis integer CHECK (cpu_millis BETWEEN 10 AND 256000),
    ADD COLUMN pids_limit integer NOT NULL DEFAULT 512 CHECK (pids_limit BETWEEN 16 AND 1000000);
