#!/usr/bin/env bash
# Deploy time of a 3-replica v1 → v2 rolling update through Opsdeck, next to
# the same start-first steps done with the raw docker CLI (start a new
# container, probe its HTTP check until it answers, stop and remove one old
# container; three times), in one run on the same engine and images.
# Appends a dated section to bench/RESULTS.md. Everything stays on this
# machine: loopback and the engine's bridge network.
#   bench/deploy.sh              (RUNS=3 alternated pairs)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.cargo/bin:$PATH"
. bench/lib.sh
RUNS="${RUNS:-3}"
# Seconds a replica leaving the service keeps answering before it is stopped
# (the service's `drain_s`; Opsdeck's default is 3). The CLI steps wait the
# same, so both sides do the same zero-drop rollout.
DRAIN="${DRAIN:-3}"
[ -n "${BENCH_BUILT:-}" ] || { scripts/ensure-deps test >/dev/null; scripts/build >/dev/null 2>&1; }
begin_rows

work="$(mktemp -d /tmp/opsdeck-bench-deploy.XXXXXX)"
chmod 755 "$work"
net=opsdeck-production
cleanup() {
  [ -n "${pid:-}" ] && stop_server "$pid"
  docker ps -aq --filter label=opsdeck.bench=cli | xargs -r docker rm -f >/dev/null
  docker ps -aq --filter "label=opsdeck.service.name=production/bench" | xargs -r docker rm -f >/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# Two images FROM scratch around Debian's static busybox, as in the tests.
for v in v1 v2; do build_web_image "opsdeck-bench/web:$v" "hello from $v" "$work"; done

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
export OPSDECK_DATA_DIR="$work/data"
env -u DATABASE_URL OPSDECK_ADDR="127.0.0.1:$port" OPSDECK_LOG=warn \
  LEPTOS_SITE_ROOT="$PWD/target/site" target/release/opsdeck >"$work/opsdeck.log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do curl -fs "$base/ready" >/dev/null && break; sleep 0.2; done
echo 'bench password 1234' | env -u DATABASE_URL OPSDECK_LOG=warn target/release/opsdeck user create \
  --username bench --role admin --password-stdin >/dev/null
jar="$work/cookies"
post() { curl -fsS -b "$jar" -c "$jar" -H "Origin: $base" --data "$2" "$base$1"; }
post /api/login 'username=bench&password=bench+password+1234' >/dev/null || true
post /api/save_service "environment=production&name=bench&image=opsdeck-bench%2Fweb&port=8080&health_kind=http&health_check=%2Fhealthz&health_interval_s=1&health_timeout_s=1&health_retries=3&health_start_period_s=0&replicas=3&stop_timeout_s=1&drain_s=$DRAIN" >/dev/null

# Deploys a tag and waits; prints the server-side duration in seconds.
opsdeck_deploy() {
  local id state
  id=$(post /api/deploy "service=production/bench&tag=$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["deployment"])')
  while :; do
    state=$(post /api/read_deployment "id=$id" | python3 -c 'import json,sys; d=json.load(sys.stdin)["deployment"]; print(d["state"])')
    [ "$state" != running ] && break
    sleep 0.1
  done
  [ "$state" = succeeded ] || { echo "deployment $id: $state" >&2; exit 1; }
  post /api/read_deployment "id=$id" | python3 -c '
import json,sys,datetime
d=json.load(sys.stdin)["deployment"]
p=lambda s: datetime.datetime.fromisoformat(s.replace("Z","+00:00"))
print("%.2f" % (p(d["finished_at"])-p(d["started_at"])).total_seconds())'
}

# The same steps by hand: start new, probe like Opsdeck does (after 0.3 s,
# then every second), stop and remove one old replica; three slots.
cli_up() { # tag slot → container id
  docker run -d --network "$net" --label opsdeck.bench=cli --name "bench-cli-$1-$2-$RANDOM" "opsdeck-bench/web:$1" >/dev/null
}
cli_ip() { docker inspect -f "{{(index .NetworkSettings.Networks \"$net\").IPAddress}}" "$1"; }
cli_rollout() { # from to
  local olds news start end c ip
  mapfile -t olds < <(docker ps -q --filter label=opsdeck.bench=cli --filter "ancestor=opsdeck-bench/web:$1")
  start=$(date +%s.%N)
  for slot in 1 2 3; do
    c=$(docker run -d --network "$net" --label opsdeck.bench=cli "opsdeck-bench/web:$2")
    sleep 0.3
    ip=$(cli_ip "$c")
    until curl -fs -m 1 "http://$ip:8080/healthz" >/dev/null; do sleep 1; done
    sleep "$DRAIN"
    docker stop -t 1 "${olds[$((slot - 1))]}" >/dev/null
    docker rm "${olds[$((slot - 1))]}" >/dev/null
  done
  end=$(date +%s.%N)
  python3 -c "print('%.2f' % ($end - $start))"
}

opsdeck_deploy v1 >/dev/null
for _ in 1 2 3; do docker run -d --network "$net" --label opsdeck.bench=cli "opsdeck-bench/web:v1" >/dev/null; done
ours=(); theirs=()
from=v1; to=v2
for _ in $(seq 1 "$RUNS"); do
  ours+=("$(opsdeck_deploy "$to")")
  theirs+=("$(cli_rollout "$from" "$to")")
  tmp=$from; from=$to; to=$tmp
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
m_ours=$(median "${ours[@]}"); m_theirs=$(median "${theirs[@]}")
ratio=$(python3 -c "print('%.2f' % ($m_ours / $m_theirs))")

cmd="RUNS=$RUNS DRAIN=$DRAIN bench/deploy.sh"
row "deploy v1→v2, 3 replicas, through Opsdeck: runs / median" "${ours[*]} / $m_ours s" "$cmd"
row "the same start-first steps with the docker CLI: runs / median" "${theirs[*]} / $m_theirs s" "$cmd"
row "deploy ratio Opsdeck / docker CLI" "$ratio" "$cmd"
publish_rows "rolling deploy, 3 replicas" "Machine: $(machine), Docker $(docker version -f '{{.Server.Version}}'); release build; embedded PostgreSQL. Busybox httpd images FROM scratch; HTTP check every 1 s, first probe after 0.3 s; stop timeout 1 s; a drain of $DRAIN s per replica on both sides; v1↔v2 alternated."
