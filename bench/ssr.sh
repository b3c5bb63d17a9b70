#!/usr/bin/env bash
# Signed-in page rendering: what people actually load. Seeds 200 services
# (none deployed), one service with 100 releases and 1,000 deployments,
# 9,000 more deployments over the others in the last 90 days (a tenth rolled
# back by the health gate, a third reporting their commit), 1,000 incidents
# (20 open), 10,000 runbooks of ~300 words and 1M audit events,
# signs in as an admin, then measures with wrk (session cookie, load
# generator on the same cores) p50/p99/req/s at 1 and at CONNECTIONS
# clients for `/services`, a service page, `/admin/audit`, `/` (the
# dashboard, over 90 days), the records behind its failure rate and a runbook
# search; the first-load wasm of every page (main module +
# the chunks the server preloads for it) and, in Chromium, the time until
# a few pages are interactive on loopback and on a slow network; plus the
# panel's memory idle and after the load.
#   bench/ssr.sh                          (defaults: 100 clients, 15 s)
#   CONNECTIONS=100 DURATION=15s AUDIT_EVENTS=1000000 bench/ssr.sh
#   PAGES="/services /?days=90" bench/ssr.sh   (only these pages under load)
#   FIRST_LOAD_PAGES="/services" bench/ssr.sh   (only these pages in Chromium)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.cargo/bin:$PATH"
. bench/lib.sh
CONNECTIONS="${CONNECTIONS:-100}"
DURATION="${DURATION:-15s}"
AUDIT_EVENTS="${AUDIT_EVENTS:-1000000}"
[ -n "${BENCH_BUILT:-}" ] || { scripts/ensure-deps test; scripts/build >/dev/null 2>&1; }
ensure_wrk
# The browser driver of the first-load figures, built before anything is measured.
cargo build -q -p end2end --example first_load
begin_rows

start_bench_server ssr
trap stop_bench_server EXIT

echo "seeding: 200 services, 100 releases and 1,000 deployments of one, 9,000 more deployments, 1,000 incidents, 10,000 runbooks, $AUDIT_EVENTS audit events…" >&2
psql -q -v ON_ERROR_STOP=1 "$db" -v events="$AUDIT_EVENTS" <<'SQL'
-- The server installed the starter runbooks (and audited it) at start:
-- seeded events continue the log after those.
SELECT last_id AS base FROM audit_chain_head \gset
INSERT INTO service (environment_id, name, image, port, health_kind, health_check,
                     health_interval_s, health_timeout_s, health_retries,
                     health_start_period_s, replicas, stop_timeout_s)
SELECT e.id, CASE WHEN g = 1 THEN 'web' ELSE 'svc-' || g END, 'bench/web:v1', 8080,
       'http', '/', 5, 3, 3, 0, 2, 10
FROM environment e, generate_series(1, 200) g WHERE e.name = 'production';
INSERT INTO release (service_id, number, tag, image_id, config, created_by)
SELECT s.id, g, 'v' || g, 'sha256:' || md5(g::text) || md5(g::text), '{}', 'user:bench'
FROM service s, generate_series(1, 100) g WHERE s.name = 'web';
INSERT INTO deployment (service_id, release_id, kind, state, actor, started_at, finished_at)
SELECT s.id, r.id, 'deploy', 'succeeded', 'user:bench',
       now() - g * interval '1 minute', now() - g * interval '1 minute' + interval '5 s'
FROM service s
JOIN generate_series(1, 1000) g ON true
JOIN release r ON r.service_id = s.id AND r.number = 1 + g % 100
WHERE s.name = 'web';
INSERT INTO release (service_id, number, tag, image_id, config, created_by)
SELECT s.id, 1, 'v1', 'sha256:' || md5(s.name) || md5(s.name), '{}', 'user:bench'
FROM service s WHERE s.name <> 'web';
INSERT INTO deployment (service_id, release_id, kind, state, actor, started_at, finished_at,
                        commit_sha, committed_at)
SELECT s.id, r.id, 'deploy', CASE WHEN g % 10 = 0 THEN 'rolled_back' ELSE 'succeeded' END,
       'user:bench', now() - (g * 7 + s.id) * interval '1 hour' / 4,
       now() - (g * 7 + s.id) * interval '1 hour' / 4 + interval '40 s',
       CASE WHEN g % 3 = 0 THEN md5(g::text || s.id) END,
       CASE WHEN g % 3 = 0 THEN now() - (g * 7 + s.id) * interval '1 hour' / 4 - interval '3 hours' END
FROM service s JOIN release r ON r.service_id = s.id, generate_series(1, 46) g
WHERE s.name <> 'web' AND s.id % 200 <> 0 LIMIT 9000;
-- Runbooks of 300 words: filler words from a 5,000-word pool, with five
-- words of an ops vocabulary each, so that a two-word search matches a
-- few percent of them, as in a real collection (not every document).
INSERT INTO runbook (slug, title, tags, services, body, version)
SELECT 'runbook-' || g, 'Runbook ' || g || ': ' || w[1 + g % 40] || ' ' || w[1 + (g / 40) % 40],
       ARRAY[w[1 + g % 7], w[1 + g % 11]], ARRAY['production/svc-' || (1 + g % 200)],
       (SELECT string_agg(CASE WHEN x % 60 = 0 THEN w[1 + (x * 7 + floor(random() * 40)::int) % 40]
                               ELSE 'term' || floor(random() * 5000)::int END, ' ')
        -- `0 * g`: one body per runbook, not one computed once for all.
        FROM generate_series(1, 300 + 0 * g) x),
       1
FROM generate_series(1, 10000) g,
     (SELECT ARRAY['deploy', 'rollback', 'restore', 'backup', 'database', 'replica', 'health',
                   'check', 'latency', 'incident', 'page', 'escalate', 'certificate', 'rotate',
                   'disk', 'memory', 'scale', 'traffic', 'failover', 'primary', 'standby',
                   'queue', 'worker', 'cache', 'flush', 'dns', 'timeout', 'retry', 'network',
                   'partition', 'upgrade', 'migration', 'schema', 'lock', 'vacuum', 'index',
                   'alert', 'pager', 'customer', 'status'] AS w) vocabulary;
INSERT INTO runbook_version (runbook_id, version, body, title, tags, services, author, message,
                             content_hash)
SELECT id, 1, body, title, tags, services, 'user:bench', 'seeded', encode(sha256(body::bytea), 'hex')
FROM runbook WHERE slug LIKE 'runbook-%';
INSERT INTO incident (title, severity, status, commander, declared_by, declared_at, started_at,
                      acknowledged_at, resolved_at)
SELECT 'incident ' || g, (ARRAY['SEV1', 'SEV2', 'SEV3'])[1 + g % 3],
       CASE WHEN g <= 20 THEN 'investigating' ELSE 'resolved' END, 'user:bench', 'user:bench',
       now() - g * interval '2 hours', now() - g * interval '2 hours' - interval '10 minutes',
       now() - g * interval '2 hours' + interval '5 minutes',
       CASE WHEN g > 20 THEN now() - g * interval '2 hours' + interval '1 hour' END
FROM generate_series(1, 1000) g;
INSERT INTO audit_event (id, at, actor, action, target, outcome, details, prev_hash, hash)
SELECT :base + g, now() - (:events - g) * interval '1 second', 'user:u' || (g % 20),
       (ARRAY['deploy.deploy', 'deploy.scale', 'backup.run', 'user.sign_in'])[1 + g % 4],
       'service:production/svc-' || (g % 200), 'success', '{}',
       decode(md5((:base + g - 1)::text) || md5((:base + g - 1)::text), 'hex'),
       decode(md5((:base + g)::text) || md5((:base + g)::text), 'hex')
FROM generate_series(1, :events) g;
INSERT INTO backup_target (name, sealed_url, display) VALUES ('bench-db', '\x00', 'db:5432/app');
INSERT INTO backup (target_id, kind, state, actor, error, finished_at)
SELECT id, 'manual', 'failed', 'user:bench', 'seeded by the benchmark', now() FROM backup_target;
UPDATE audit_chain_head SET last_id = :base + :events,
       last_hash = decode(md5((:base + :events)::text) || md5((:base + :events)::text), 'hex');
ANALYZE;
SQL

# One admin, signed in; wrk sends the session cookie.
cookie="$(bench_admin_cookie "$db" "$base" "$work")"
[ -n "$cookie" ] || { echo "sign-in failed" >&2; cat "$work/opsdeck.log" >&2; exit 1; }

read -r -a pages <<<"${PAGES:-/services /services/production/web /admin/audit /?days=90 /dashboard/deployments?days=90&show=failed /runbooks?q=database+failover}"
for page in "${pages[@]}"; do
  status=$(curl -s -o /dev/null -w '%{http_code}' -H "Cookie: $cookie" "$base$page")
  [ "$status" = 200 ] || { echo "$page answered $status signed in" >&2; exit 1; }
  for _ in $(seq 1 10); do curl -fs -o /dev/null -H "Cookie: $cookie" "$base$page"; done
done
# First-load wasm of every page: the main module and the chunks the server
# preloads for the page (its lazy route's split), as one browser with an
# empty cache fetches them before the page works; gzip -9 and the brotli
# file the server sends. Server-only pages (app::SERVER_ONLY) name none: 0;
# island pages (app::ISLAND_PAGES) name the islands bundle's main module
# and their islands' pack (in its folder, pkg/opsdeck-islands.<hash>/).
deployment=$(psql -Atq "$db" -c "SELECT max(id) FROM deployment")
backup=$(psql -Atq "$db" -c "SELECT max(id) FROM backup")
wasm_pages=("/" "/dashboard/deployments" "/services" "/services/new" "/services/production/web"
  "/services/production/web/settings"
  "/deployments/$deployment" "/incidents" "/incidents/1" "/engine" "/admin/audit" "/admin/users"
  "/admin/endpoints" "/admin/webhooks" "/tokens" "/backups" "/backups/bench-db"
  "/backups/bench-db/$backup" "/runbooks" "/runbooks/new" "/runbooks/runbook-1"
  "/runbooks/runbook-1/edit" "/runbooks/runbook-1/diff?from=1&to=1" "/login")
biggest=0 biggest_page="" sizes=""
for page in "${wasm_pages[@]}"; do
  files=$(curl -fs -H "Cookie: $cookie" "$base$page" | grep -oE 'href="/pkg/[^"]+\.(wasm|pack)"' | sed 's/^href="\/pkg\///; s/"$//' | sort -u || true)
  raw=0 gz=0 br=0
  for f in $files; do
    raw=$((raw + $(stat -c %s "target/site/pkg/$f")))
    gz=$((gz + $(gzip -9c "target/site/pkg/$f" | wc -c)))
    br=$((br + $(stat -c %s "target/site/pkg/$f.br")))
  done
  sizes="$sizes${sizes:+, }$page $((gz / 1024))"
  if [ "$gz" -gt "$biggest" ]; then biggest=$gz biggest_page=$page biggest_raw=$raw biggest_br=$br biggest_n=$(echo "$files" | wc -l); fi
done
row "first-load wasm of the biggest page ($biggest_page, $biggest_n files): raw / gzip -9 / brotli as served" \
  "$((biggest_raw / 1024)) KiB / $((biggest / 1024)) KiB / $((biggest_br / 1024)) KiB" \
  "bench/ssr.sh (wasm files and packs the page preloads; gzip -9c | wc -c)"
row "first-load wasm per page, KiB gzip -9" "$sizes" "bench/ssr.sh"

sleep 3
row "idle RSS of \`opsdeck\` (signed-in pages served once)" "$(rss_mib "$pid") MiB" "bench/ssr.sh"
postmaster=$(head -1 "$OPSDECK_DATA_DIR/postgres/postmaster.pid")
row "idle memory of \`opsdeck\` + its PostgreSQL (PSS of both process trees)" \
  "$(($(tree_pss_mib "$pid") + $(tree_pss_mib "$postmaster"))) MiB" "bench/ssr.sh"

# The same first load as a person sees it: Chromium with an empty cache,
# time until the page is interactive (its code hydrated), on loopback and
# throttled to DevTools' "Slow 4G"; with the requests and the bytes on the
# wire (HTTP/1.1 straight to the server: six connections, no multiplexing).
read -r -a load_pages <<<"${FIRST_LOAD_PAGES:-/ /services /services/production/web /incidents/1 /runbooks/runbook-1 /admin/audit /tokens}"
target/debug/examples/first_load "$base" "$cookie" "${load_pages[@]}" >"$work/first-load.tsv"
while IFS=$'\t' read -r network page ms last requests wasm_files wasm_kib all_kib; do
  row "first load of \`$page\`, $network, empty cache: ms until interactive / until the last byte, requests / of them wasm, KiB on the wire / of them wasm" \
    "$([ "$ms" = "never interactive" ] && echo "not interactive within 2 min in any load" || echo "$ms / $last ms, $requests / $wasm_files, $all_kib / $wasm_kib KiB")" \
    "bench/ssr.sh (end2end/examples/first_load.rs, median of 3 loads)"
done <"$work/first-load.tsv"

measure() { # page, connections, duration
  local threads=2
  [ "$2" -ge 2 ] || threads=1
  wrk -t"$threads" -c"$2" -d"$3" --latency -H "Cookie: $cookie" "$base$1"
}
figure() { # wrk output, field
  case "$2" in
    p50) echo "$1" | awk '$1=="50%" {print $2}' ;;
    p99) echo "$1" | awk '$1=="99%" {print $2}' ;;
    rps) echo "$1" | awk '/Requests\/sec/ {printf "%.0f", $2}' ;;
    errors) echo "$1" | awk '/Non-2xx|Socket errors/ {print}' | tr '\n' ' ' ;;
  esac
}
for page in "${pages[@]}"; do
  # Requests of the previous 100-client run are still being answered when
  # wrk stops; without a pause the next 1-client p99 measures that queue.
  sleep 5
  one="$(measure "$page" 1 5s)"
  many="$(measure "$page" "$CONNECTIONS" "$DURATION")"
  errors="$(figure "$many" errors)"
  row "\`GET $page\` signed in, 1 client: p50 / p99 / req/s" \
    "$(figure "$one" p50) / $(figure "$one" p99) / $(figure "$one" rps)" \
    "wrk -t1 -c1 -d5s --latency -H 'Cookie: …' $page"
  row "\`GET $page\` signed in, $CONNECTIONS clients: p50 / p99 / req/s" \
    "$(figure "$many" p50) / $(figure "$many" p99) / $(figure "$many" rps)${errors:+ (errors: $errors)}" \
    "wrk -t2 -c$CONNECTIONS -d$DURATION --latency -H 'Cookie: …' $page"
done
row "RSS of \`opsdeck\` after the load" "$(rss_mib "$pid") MiB" "bench/ssr.sh"

publish_rows "signed-in pages" \
  "Machine: $(machine); release build; embedded PostgreSQL 15; Docker engine reachable. Data: 200 services (none deployed), one with 100 releases and 1,000 deployments, 9,000 more deployments in 90 days, 1,000 incidents (20 open), 10,000 runbooks, $AUDIT_EVENTS audit events. Load generator on the same cores."
