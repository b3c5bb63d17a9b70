#!/usr/bin/env bash
# Audit log figures: chained appends per second (1 and 8 writers) and the
# audit page's query over 1M events (first page, a deep keyset page, and
# filters). Uses a private PostgreSQL cluster under /tmp and a scratch
# database; appends a dated section to bench/RESULTS.md.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.cargo/bin:$PATH"
. bench/lib.sh
[ -n "${BENCH_BUILT:-}" ] || scripts/ensure-deps run
cargo build --release -q -p server --bin opsdeck --example audit_bench
begin_rows
export OPSDECK_DATA_DIR="/tmp/opsdeck-bench-audit-$(id -u)"
mkdir -p "$OPSDECK_DATA_DIR" && chmod 755 "$OPSDECK_DATA_DIR"
base="$(env -u DATABASE_URL target/release/opsdeck db start)"
trap 'env -u DATABASE_URL target/release/opsdeck db stop >/dev/null' EXIT
admin="${base/\/opsdeck\?//postgres?}"
psql -q "$admin" -c "DROP DATABASE IF EXISTS bench_audit" -c "CREATE DATABASE bench_audit"
out="$(DATABASE_URL="${base/\/opsdeck\?//bench_audit?}" target/release/examples/audit_bench)"
echo "$out"
value() { echo "$out" | awk -v k="$1" -v c="$2" '$1==k && index($0,c) {for (i=1;i<=NF;i++) if ($i ~ /^(value|best_ms)=/) {split($i,a,"="); print a[2]}}'; }
cmd="bench/audit.sh"
row "chained audit appends/s, 1 writer" "$(value appends_per_second writers=1)" "$cmd"
row "chained audit appends/s, 8 writers" "$(value appends_per_second writers=8)" "$cmd"
for c in first_page deep_page_before_500000 actor_filter action_prefix_filter actor_and_action_filter; do
  row "audit page query over 1M events, $c (best of 10)" "$(value page_query "case=$c ") ms" "$cmd"
done
publish_rows "audit log" "Machine: $(machine); embedded PostgreSQL 15 (default settings, fsync on), release build; 2,000 appends per writer count, each in its own transaction; best of 10 page queries of 51 rows."
