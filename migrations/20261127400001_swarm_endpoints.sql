-- Swarm endpoints and published ports (issue #17).
--
-- An endpoint runs its services as plain containers (`standalone`, Opsdeck
-- rolls them out replica by replica) or as Swarm services (`swarm`, the
-- engine rolls them out: Opsdeck sends a service update and follows it).
-- The mode is chosen, not detected, so that one engine in a swarm can still
-- carry standalone environments beside Swarm ones; Opsdeck checks that the
-- engine is a Swarm manager when a Swarm endpoint is created and again at
-- every rollout.
ALTER TABLE endpoint
    ADD COLUMN mode text NOT NULL DEFAULT 'standalone' CHECK (mode IN ('standalone', 'swarm'));

-- The port a Swarm service publishes on every node (ingress routing mesh),
-- forwarded to the service's own port. Only Swarm services publish: on a
-- standalone engine two replicas cannot bind one host port, so a reverse
-- proxy on the environment network reaches the service's DNS alias instead.
ALTER TABLE service
    ADD COLUMN published_port integer CHECK (published_port BETWEEN 1 AND 65535);
