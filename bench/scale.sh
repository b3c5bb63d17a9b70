#!/usr/bin/env bash
# One engine carrying 1,000 services: seeds 1,000 services with a live
# release each, creates one labelled replica container per service on the
# local engine (created, not started: the engine lists them the same, and
# 1,000 running shims would measure the engine, not Opsdeck), then measures
# the engine's listing of them (what Opsdeck asks once per 2 s per
# endpoint), Opsdeck's memory, and `/services` (1,000 rows, healthy counts
# from that listing) at 1 and CONNECTIONS clients. Backs docs/scaling.md.
#   bench/scale.sh                     (defaults: 1,000 services, 100 clients, 15 s)
#   SERVICES=1000 CONNECTIONS=100 DURATION=15s bench/scale.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.cargo/bin:$PATH"
. bench/lib.sh
SERVICES="${SERVICES:-1000}"
CONNECTIONS="${CONNECTIONS:-100}"
DURATION="${DURATION:-15s}"
[ -n "${BENCH_BUILT:-}" ] || { scripts/ensure-deps run; scripts/build >/dev/null 2>&1; }
ensure_wrk
begin_rows

start_bench_server scale
installation=""
cleanup() {
  if [ -n "$installation" ]; then
    docker ps -aq --filter "label=opsdeck.installation=$installation" | xargs -r -n 100 docker rm -f >/dev/null 2>&1 || true
  fi
  stop_bench_server
}
trap cleanup EXIT

build_web_image opsdeck-bench/scale:v1 "hello" "$work"
image_id="$(docker image inspect -f '{{.Id}}' opsdeck-bench/scale:v1)"
echo "seeding $SERVICES services with a live release each…" >&2
psql -q -v ON_ERROR_STOP=1 "$db" -v n="$SERVICES" -v image="$image_id" <<'SQL'
INSERT INTO service (environment_id, name, image, port, health_kind, health_check,
                     health_interval_s, health_timeout_s, health_retries,
                     health_start_period_s, replicas, stop_timeout_s)
SELECT e.id, 'svc-' || g, 'opsdeck-bench/scale', 8080, 'http', '/healthz', 5, 3, 3, 0, 1, 10
FROM environment e, generate_series(1, :n) g WHERE e.name = 'production';
INSERT INTO release (service_id, number, tag, image_id, config, created_by)
SELECT s.id, 1, 'v1', :'image', '{}', 'user:bench' FROM service s;
UPDATE service s SET live_release_id = r.id FROM release r WHERE r.service_id = s.id;
ANALYZE;
SQL
installation="$(psql -tA "$db" -c 'SELECT installation_id FROM instance')"

echo "creating $SERVICES labelled containers…" >&2
started=$(date +%s)
psql -tA -F' ' "$db" -c "SELECT s.id, r.id, s.name FROM service s JOIN release r ON r.id = s.live_release_id" |
  while read -r sid rid name; do
    echo "--label opsdeck.installation=$installation --label opsdeck.service=$sid --label opsdeck.release=$rid --label opsdeck.slot=1 --name production-$name-r1-s1-bench-${installation:0:8} $image_id"
  done | xargs -P 4 -L 1 docker create >/dev/null
made=$(docker ps -aq --filter "label=opsdeck.installation=$installation" | wc -l)
row "containers created on the engine (labelled as Opsdeck's replicas, one per service)" \
  "$made in $(($(date +%s) - started)) s" "bench/scale.sh (docker create, 4 at a time)"

listing_ms() {
  local t0 t1
  t0=$(date +%s%N)
  curl -fs --unix-socket /var/run/docker.sock \
    "http://docker/containers/json?all=1&filters=%7B%22label%22%3A%5B%22opsdeck.installation%3D$installation%22%5D%7D" >/dev/null
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000000))
}
listing_ms >/dev/null
row "the engine's listing of them (one per endpoint per 2 s, shared by all pages)" \
  "$(listing_ms) ms, $(curl -fs --unix-socket /var/run/docker.sock "http://docker/containers/json?all=1&filters=%7B%22label%22%3A%5B%22opsdeck.installation%3D$installation%22%5D%7D" | wc -c) bytes" \
  "curl --unix-socket /var/run/docker.sock 'http://docker/containers/json?all=1&filters={label:[opsdeck.installation=…]}'"

cookie="$(bench_admin_cookie "$db" "$base" "$work")"
[ -n "$cookie" ] || { echo "sign-in failed" >&2; cat "$work/opsdeck.log" >&2; exit 1; }
rows=$(curl -fs -H "Cookie: $cookie" "$base/services" | grep -o 'data-test="service-production-svc-' | wc -l)
[ "$rows" -eq "$SERVICES" ] || { echo "/services lists $rows of $SERVICES services" >&2; exit 1; }
sleep 3
row "idle RSS of \`opsdeck\` ($SERVICES services, \`/services\` served once)" "$(rss_mib "$pid") MiB" "bench/scale.sh"

measure() { # connections, duration
  local threads=2
  [ "$1" -ge 2 ] || threads=1
  wrk -t"$threads" -c"$1" -d"$2" --latency -H "Cookie: $cookie" "$base/services"
}
figures() { # wrk output
  echo "$1" | awk '$1=="50%" {p50=$2} $1=="99%" {p99=$2} /Requests\/sec/ {rps=$2} END {printf "%s / %s / %.0f", p50, p99, rps}'
}
one="$(measure 1 5s)"
row "\`GET /services\` ($SERVICES rows) signed in, 1 client: p50 / p99 / req/s" "$(figures "$one")" \
  "wrk -t1 -c1 -d5s --latency -H 'Cookie: …' /services"
sleep 5
many="$(measure "$CONNECTIONS" "$DURATION")"
row "\`GET /services\` ($SERVICES rows) signed in, $CONNECTIONS clients: p50 / p99 / req/s" "$(figures "$many")" \
  "wrk -t2 -c$CONNECTIONS -d$DURATION --latency -H 'Cookie: …' /services"
row "RSS of \`opsdeck\` after the load" "$(rss_mib "$pid") MiB" "bench/scale.sh"

publish_rows "one engine, $SERVICES services" \
  "Machine: $(machine), Docker $(docker version -f '{{.Server.Version}}'); release build; load generator on the same cores."
