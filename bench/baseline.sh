#!/usr/bin/env bash
# Baseline figures for Opsdeck: idle memory, home-page SSR latency and
# throughput under load, and the wasm bundle size. Appends a dated section to
# bench/RESULTS.md. Load goes to 127.0.0.1 only, bounded in time.
#   bench/baseline.sh            (defaults: 50 connections, 20 s)
#   CONNECTIONS=50 DURATION=20s bench/baseline.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.cargo/bin:$PATH"
. bench/lib.sh
CONNECTIONS="${CONNECTIONS:-50}"
DURATION="${DURATION:-20s}"
[ -n "${BENCH_BUILT:-}" ] || { scripts/ensure-deps run; scripts/build >/dev/null 2>&1; }
ensure_wrk
begin_rows

data="$(mktemp -d /tmp/opsdeck-bench.XXXXXX)"
chmod 755 "$data"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
env -u DATABASE_URL OPSDECK_ADDR="127.0.0.1:$port" OPSDECK_DATA_DIR="$data/data" OPSDECK_LOG=warn \
  LEPTOS_SITE_ROOT="$PWD/target/site" target/release/opsdeck >"$data/opsdeck.log" 2>&1 &
pid=$!
cleanup() { stop_server "$pid"; rm -rf "$data"; }
trap cleanup EXIT
for _ in $(seq 1 300); do curl -fs "http://127.0.0.1:$port/ready" >/dev/null && break; sleep 0.2; done
curl -fs "http://127.0.0.1:$port/ready" >/dev/null || { cat "$data/opsdeck.log"; exit 1; }

# A few warm-up requests, then idle memory after the first pages were served.
for _ in $(seq 1 20); do curl -fs "http://127.0.0.1:$port/" >/dev/null; done
sleep 5
rss_kib=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")

wrk_out="$(wrk -t2 -c"$CONNECTIONS" -d"$DURATION" --latency "http://127.0.0.1:$port/")"
p50=$(echo "$wrk_out" | awk '$1=="50%" {print $2}')
p99=$(echo "$wrk_out" | awk '$1=="99%" {print $2}')
rps=$(echo "$wrk_out" | awk '/Requests\/sec/ {print $2}')
errors=$(echo "$wrk_out" | awk '/Non-2xx|Socket errors/ {print}' | tr '\n' ' ')
rss_after_kib=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
# One connection: the latency of a single page render, without queueing.
single="$(wrk -t1 -c1 -d5s --latency "http://127.0.0.1:$port/")"
single_p50=$(echo "$single" | awk '$1=="50%" {print $2}')
single_p99=$(echo "$single" | awk '$1=="99%" {print $2}')

# The name carries a content hash in a release build.
wasm=$(ls target/site/pkg/opsdeck*.wasm | head -1)
wasm_raw=$(stat -c %s "$wasm")
wasm_gz=$(gzip -9c "$wasm" | wc -c)

wasm_br=$(stat -c %s "$wasm.br" 2>/dev/null || echo 0)
cmd="bench/baseline.sh (wrk -t2 -c$CONNECTIONS -d$DURATION --latency /)"
row "idle RSS of \`opsdeck\`, signed out (after 20 warm-up requests)" "$((rss_kib / 1024)) MiB" "$cmd"
row "RSS after the signed-out load run" "$((rss_after_kib / 1024)) MiB" "$cmd"
row "\`GET /\` signed out, 1 connection: p50 / p99" "$single_p50 / $single_p99" "wrk -t1 -c1 -d5s --latency /"
row "\`GET /\` signed out, $CONNECTIONS connections: p50 / p99 / req/s" "$p50 / $p99 / $rps${errors:+ (errors: $errors)}" "$cmd"
row "main wasm module, which every page loads (raw / gzip -9 / brotli as served; pages add their chunks, see bench/ssr.sh)" \
  "$((wasm_raw / 1024)) KiB / $((wasm_gz / 1024)) KiB / $((wasm_br / 1024)) KiB" "ls target/site/pkg/*.wasm; gzip -9c | wc -c"
publish_rows "baseline" "Machine: $(machine); release build; embedded PostgreSQL; Docker engine reachable. Load generator on the same cores."
