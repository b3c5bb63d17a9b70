#!/usr/bin/env bash
# Backup figures: an Opsdeck backup of a ~1 GB database (the whole path:
# pg_dump -Fc streamed into the store with sha256, fsync, pg_restore --list,
# records and audit) against a raw `pg_dump -Fc > file` of the same
# database, alternating, RUNS times each, in one run. Uses a private
# PostgreSQL cluster under /tmp (the generated database is kept there for
# the next run); appends a dated section to bench/RESULTS.md.
#   bench/backup.sh                 (defaults: 6,000,000 rows ≈ 1 GB, 3 runs)
#   ROWS=600000 RUNS=1 bench/backup.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.cargo/bin:$PATH"
. bench/lib.sh
ROWS="${ROWS:-6000000}"
RUNS="${RUNS:-3}"
[ -n "${BENCH_BUILT:-}" ] || scripts/ensure-deps run
cargo build --release -q -p server --bin opsdeck --example backup_bench
begin_rows
export OPSDECK_DATA_DIR="/tmp/opsdeck-bench-backup-$(id -u)"
mkdir -p "$OPSDECK_DATA_DIR" && chmod 755 "$OPSDECK_DATA_DIR"
base="$(env -u DATABASE_URL target/release/opsdeck db start)"
work="$(mktemp -d /tmp/opsdeck-bench-backup-files.XXXXXX)"
trap 'rm -rf "$work"; env -u DATABASE_URL target/release/opsdeck db stop >/dev/null' EXIT
admin="${base/\/opsdeck\?//postgres?}"
source_url="${base/\/opsdeck\?//bench_source?}"
opsdeck_url="${base/\/opsdeck\?//bench_opsdeck?}"

rows_now="$(psql -qtA "$source_url" -c "SELECT count(*) FROM events" 2>/dev/null || echo 0)"
if [ "$rows_now" != "$ROWS" ]; then
  echo "generating bench_source with $ROWS rows (once; kept for later runs)…"
  psql -q "$admin" -c "DROP DATABASE IF EXISTS bench_source" -c "CREATE DATABASE bench_source"
  psql -q "$source_url" \
    -c "CREATE TABLE events (id bigint PRIMARY KEY, at timestamptz, kind text, payload text, amount numeric(12,2))" \
    -c "INSERT INTO events SELECT g, '2026-01-01'::timestamptz + g * interval '1 second', 'kind-' || (g % 50),
          md5(g::text) || md5((g * 31)::text) || md5((g * 17)::text), (g % 100000) / 100.0
        FROM generate_series(1, $ROWS) g" \
    -c "VACUUM ANALYZE events"
fi
db_bytes="$(psql -qtA "$admin" -c "SELECT pg_database_size('bench_source')")"
psql -q "$admin" -c "DROP DATABASE IF EXISTS bench_opsdeck" -c "CREATE DATABASE bench_opsdeck"

now() { date +%s.%N; }
raw_times=(); opsdeck_times=(); raw_size=0; opsdeck_size=0
for i in $(seq 1 "$RUNS"); do
  start="$(now)"
  pg_dump -Fc -d "$source_url" > "$work/raw.dump"
  raw_times+=("$(printf '%.2f' "$(echo "$(now) - $start" | bc)")")
  raw_size="$(stat -c %s "$work/raw.dump")"
  rm -f "$work/raw.dump"
  out="$(DATABASE_URL="$opsdeck_url" BENCH_SOURCE_URL="$source_url" BENCH_STORE="$work/store" target/release/examples/backup_bench)"
  opsdeck_times+=("$(echo "$out" | sed -E 's/.*seconds=([0-9.]+).*/\1/')")
  opsdeck_size="$(echo "$out" | sed -E 's/.*size=([0-9]+).*/\1/')"
  rm -rf "$work/store"
  echo "run $i: raw ${raw_times[-1]} s, opsdeck ${opsdeck_times[-1]} s"
done
median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
raw="$(median "${raw_times[@]}")"
ops="$(median "${opsdeck_times[@]}")"
ratio="$(echo "scale=3; $ops / $raw" | bc)"
mib() { echo "scale=1; $1 / 1048576" | bc; }
cmd="ROWS=$ROWS RUNS=$RUNS bench/backup.sh"
row "raw \`pg_dump -Fc > file\` of a $(mib "$db_bytes") MiB database, median (runs)" "${raw} s, $(mib "$raw_size") MiB (${raw_times[*]})" "$cmd"
row "Opsdeck backup (dump + sha256 + fsync + \`pg_restore --list\` + records), median (runs)" "${ops} s, $(mib "$opsdeck_size") MiB (${opsdeck_times[*]})" "$cmd"
row "backup ratio Opsdeck / raw pg_dump" "${ratio}" "$cmd"
publish_rows "backups" "Machine: $(machine); embedded PostgreSQL $(pg_dump --version | awk '{print $3}') (default settings), release build; pg_dump and Opsdeck alternate, $RUNS runs each; one table of $ROWS rows with an index."
