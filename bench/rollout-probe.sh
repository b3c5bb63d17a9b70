#!/usr/bin/env bash
# Requests through a service's DNS name during rollouts: runs the
# integration test that puts a busybox client on the environment network
# (one request every ~100 ms, 1 s timeout) during a healthy v1 → v2 rollout
# and a failing v3 rollout of 2 replicas, and appends its figures to
# bench/RESULTS.md. Needs DATABASE_URL (a PostgreSQL the tests may use) and
# the Docker engine.
#   DATABASE_URL=postgres://… bench/rollout-probe.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.cargo/bin:$PATH"
out=$(cargo test -p server --test it -- \
  deploy_drain::rollouts_drop_no_request_and_a_failing_release_answers_none \
  --nocapture 2>&1) || { echo "$out" | tail -40; exit 1; }
{
  echo
  echo "## $(date -u +%Y-%m-%d) — requests through the service name during rollouts ($(git rev-parse --short HEAD 2>/dev/null || echo unknown))"
  echo
  echo "Machine: $(nproc) cores, Docker $(docker version -f '{{.Server.Version}}'); debug build of the integration tests."
  echo "Command: \`bench/rollout-probe.sh\` (busybox client on the environment network: \`wget\` of \`http://drain:8080/\` every ~100 ms, 1 s timeout; 2 replicas; HTTP check every 1 s; drain 1 s; stop timeout 1 s)."
  echo
  echo "| rollout | figures |"
  echo "|---|---|"
  echo "$out" | sed -n 's/^PROBE \([^:]*\): \(.*\)$/| \1 | \2 |/p'
} | tee -a bench/RESULTS.md
