#!/usr/bin/env bash
# Every benchmark in one run, written as one dated section of
# bench/RESULTS.md: memory, first-load wasm and, in Chromium, the time until
# pages are interactive, signed-out and signed-in page rendering, deploy vs
# the docker CLI, backup vs raw pg_dump, audit appends, the audit page over
# 1M events, the incident timeline's latency and one engine with 1,000
# services. Each row names the command that made
# it, so any figure can be rerun alone. Took 29 min on two cores after the
# release build (2026-11-28, clean clone; part of it generating the ~1 GB
# backup source, kept for later runs), before ssr.sh's first loads in
# Chromium (36 page loads; a few minutes more, not yet timed in a full run).
#   bench/all.sh
#   QUICK=1 bench/all.sh      (small sizes and short loads: checks the scripts, not the figures)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.cargo/bin:$PATH"
. bench/lib.sh
scripts/ensure-deps test >/dev/null
scripts/build >/dev/null 2>&1
export BENCH_BUILT=1
if [ -n "${QUICK:-}" ]; then
  export DURATION=3s CONNECTIONS=20 AUDIT_EVENTS=20000 RUNS=1 ROWS=100000 SERVICES=50 ROLLOUTS=2
fi

BENCH_ROWS="$(mktemp)"
export BENCH_ROWS
trap 'rm -f "$BENCH_ROWS"' EXIT
# The HTTP and deploy figures first, on the binary cargo-leptos built;
# backup.sh and audit.sh build their own programs afterwards.
for bench in baseline ssr scale deploy swarm-probe timeline backup audit; do
  echo "== bench/$bench.sh" >&2
  "bench/$bench.sh" >&2
done

{
  echo
  echo "## $(date -u +%Y-%m-%d) — all benchmarks, one run ($(git rev-parse --short HEAD 2>/dev/null || echo unknown))${QUICK:+ — QUICK sizes, not comparable}"
  echo
  echo "Machine: $(machine), Docker $(docker version -f '{{.Server.Version}}' 2>/dev/null || echo unreachable); release build; embedded PostgreSQL 15; load generators on the same cores."
  echo "Command: \`${QUICK:+QUICK=1 }bench/all.sh\`."
  echo
  echo "| figure | value | command |"
  echo "|---|---|---|"
  cat "$BENCH_ROWS"
} | tee -a bench/RESULTS.md
