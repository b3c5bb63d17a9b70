#!/usr/bin/env bash
# Zero-downtime on a Swarm endpoint, as a client sees it: a service of 2
# tasks on a single-node swarm is rolled out ROLLOUTS times through
# Opsdeck's API (v1 ↔ v2, the engine's start-first update), while a busybox
# client on the environment's overlay network asks the service by name
# every ~100 ms (3 s timeout). Records failed / total requests. (The
# published-port variant needs the routing mesh, i.e. the kernel's IPVS;
# where dockerd logs "ipvs is not enabled", it cannot be measured.)
#   bench/swarm-probe.sh                 (defaults: 10 rollouts)
#   ROLLOUTS=10 bench/swarm-probe.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.cargo/bin:$PATH"
. bench/lib.sh
ROLLOUTS="${ROLLOUTS:-10}"
[ -n "${BENCH_BUILT:-}" ] || { scripts/ensure-deps test >/dev/null; scripts/build >/dev/null 2>&1; }
begin_rows

made_swarm=0
had_gwbridge=0
if docker network inspect docker_gwbridge >/dev/null 2>&1; then had_gwbridge=1; fi
if [ "$(docker info --format '{{.Swarm.LocalNodeState}}')" = inactive ]; then
  docker swarm init --advertise-addr 127.0.0.1 >/dev/null
  made_swarm=1
fi
start_bench_server swarmprobe
probe="opsdeck-bench-swarm-probe-$$"
cleanup() {
  docker rm -f "$probe" >/dev/null 2>&1 || true
  docker service ls -q --filter "label=opsdeck.service.name=swarmbench/web" | xargs -r docker service rm >/dev/null
  stop_bench_server
  for _ in $(seq 1 20); do docker network rm opsdeck-swarmbench >/dev/null 2>&1 && break; sleep 0.5; done
  if [ "$made_swarm" = 1 ]; then
    docker swarm leave --force >/dev/null 2>&1 || true
    # `swarm leave` keeps the docker_gwbridge network `swarm init` made;
    # the network browser test fails far more often with it (scripts/test).
    if [ "$had_gwbridge" = 0 ]; then docker network rm docker_gwbridge >/dev/null 2>&1 || true; fi
  fi
}
trap cleanup EXIT

for v in v1 v2; do build_web_image "opsdeck-bench/swarm:$v" "hello from $v" "$work"; done
cookie="$(bench_admin_cookie "$db" "$base" "$work")"
post() { curl -fsS -H "Cookie: $cookie" -H "Origin: $base" --data "$2" "$base$1"; }
check='%2Fbin%2Fbusybox+wget+-q+--spider+http%3A%2F%2F127.0.0.1%3A8080%2Fhealthz'
post /api/create_endpoint 'name=swarm&mode=swarm' >/dev/null
post /api/create_environment 'name=swarmbench&endpoint=swarm' >/dev/null
post /api/save_service "environment=swarmbench&name=web&image=opsdeck-bench%2Fswarm&port=8080&health_kind=command&health_check=$check&health_interval_s=1&health_timeout_s=1&health_retries=2&health_start_period_s=0&replicas=2&stop_timeout_s=2" >/dev/null

deploy() { # tag → seconds the deployment took
  local id state
  id=$(post /api/deploy "service=swarmbench/web&tag=$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["deployment"])')
  while :; do
    state=$(post /api/read_deployment "id=$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["deployment"]["state"])')
    [ "$state" != running ] && break
    sleep 0.2
  done
  [ "$state" = succeeded ] || { echo "deployment $id: $state" >&2; exit 1; }
}

deploy v1
docker run -d --name "$probe" --network opsdeck-swarmbench --entrypoint /bin/busybox \
  opsdeck-bench/swarm:v1 sh -c 'while true; do
    if r=$(busybox timeout 3 busybox wget -q -O - http://web:8080/ 2>/dev/null); then echo "ok $r"; else echo fail; fi
    busybox sleep 0.1; done' >/dev/null
until docker logs "$probe" 2>/dev/null | grep -q '^ok'; do sleep 0.2; done
started=$(date +%s)
to=v2
for _ in $(seq 1 "$ROLLOUTS"); do
  deploy "$to"
  if [ "$to" = v2 ]; then to=v1; else to=v2; fi
done
sleep 1
took=$(($(date +%s) - started))
lines="$(docker logs "$probe" 2>/dev/null)"
total=$(echo "$lines" | grep -c . || true)
failed=$(echo "$lines" | grep -c '^fail' || true)
cmd="ROLLOUTS=$ROLLOUTS bench/swarm-probe.sh"
row "Swarm rollouts through Opsdeck, 2 tasks, start-first: client asking the service name every ~100 ms, failed / total requests over $ROLLOUTS rollouts" \
  "$failed / $total (in $took s)" "$cmd"
publish_rows "zero-downtime rollouts on a Swarm endpoint" \
  "Machine: $(machine), Docker $(docker version -f '{{.Server.Version}}'), single-node swarm; release build; embedded PostgreSQL. Busybox httpd images FROM scratch; command check (busybox wget) every 1 s, 2 retries; stop grace 2 s; v1 ↔ v2 alternated. The client is a busybox container on the environment's overlay network (DNS round robin over running tasks); a published port through the routing mesh needs IPVS, which this kernel lacks."
