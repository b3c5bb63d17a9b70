# Shared by the benchmark scripts (sourced, not run). Each figure is a row
# `| figure | value | command |`. Run alone, a script appends its own dated
# section to bench/RESULTS.md; under bench/all.sh (BENCH_ROWS names a file)
# it adds its rows there, and all.sh writes one section for the whole run.

# Adds one figure: row "figure" "value" "command that produced it".
row() {
  printf '| %s | %s | `%s` |\n' "$1" "$2" "$3" >>"$BENCH_OUT"
}

# Starts collecting rows for this script.
begin_rows() {
  BENCH_OUT="$(mktemp)"
}

# Publishes the rows: into all.sh's table, or as a dated section whose title
# is "$1" and whose note (machine, settings) is "$2".
publish_rows() {
  if [ -n "${BENCH_ROWS:-}" ]; then
    cat "$BENCH_OUT" >>"$BENCH_ROWS"
  else
    {
      echo
      echo "## $(date -u +%Y-%m-%d) — $1 ($(git rev-parse --short HEAD 2>/dev/null || echo unknown))"
      echo
      echo "$2"
      echo
      echo "| figure | value | command |"
      echo "|---|---|---|"
      cat "$BENCH_OUT"
    } | tee -a bench/RESULTS.md
  fi
  rm -f "$BENCH_OUT"
}

# Proportional set size, in MiB, of process $1 and all its descendants
# (PSS splits shared pages, so PostgreSQL's shared buffers count once).
tree_pss_mib() {
  local pids total=0 pid kib
  pids="$(descendants "$1")"
  for pid in $1 $pids; do
    kib=$(awk '/^Pss:/ {print $2}' "/proc/$pid/smaps_rollup" 2>/dev/null || echo 0)
    total=$((total + ${kib:-0}))
  done
  echo $((total / 1024))
}

descendants() {
  local child
  for child in $(cat /proc/"$1"/task/*/children 2>/dev/null); do
    echo "$child"
    descendants "$child"
  done
}

rss_mib() {
  echo $(($(awk '/VmRSS/ {print $2}' "/proc/$1/status") / 1024))
}

machine() {
  echo "$(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, $(. /etc/os-release; echo "$PRETTY_NAME")"
}

ensure_wrk() {
  command -v wrk >/dev/null && return 0
  local sudo_=""
  [ "$(id -u)" -eq 0 ] || sudo_=sudo
  $sudo_ apt-get install -y -qq wrk >/dev/null
}

# Builds image $1 FROM scratch around Debian's static busybox serving
# "$2" at / and "ok" at /healthz on port 8080, as the tests do; $3 is a
# scratch folder for the build context.
build_web_image() {
  local ctx="$3/ctx-${1//[:\/]/-}"
  mkdir -p "$ctx/www"
  cp /bin/busybox "$ctx/busybox"
  echo "$2" >"$ctx/www/index.html"; echo ok >"$ctx/www/healthz"
  printf 'FROM scratch\nCOPY busybox /bin/busybox\nCOPY www/ /www/\nEXPOSE 8080\nENTRYPOINT ["/bin/busybox","httpd","-f","-p","8080","-h","/www"]\n' >"$ctx/Dockerfile"
  docker build -q -t "$1" "$ctx" >/dev/null
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# Stops the server $1 (SIGTERM), waits up to 60 s for it to finish its
# shutdown, then kills it: a benchmark run must end even if a shutdown does
# not (and says so, since that is a bug worth a look).
stop_server() {
  local pid="$1" waited=0
  kill -TERM "$pid" 2>/dev/null || return 0
  while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt 600 ]; do
    sleep 0.1
    waited=$((waited + 1))
  done
  if kill -0 "$pid" 2>/dev/null; then
    echo "bench: opsdeck (pid $pid) still running 60 s after SIGTERM; killed" >&2
    kill -KILL "$pid" 2>/dev/null
  fi
  wait "$pid" 2>/dev/null || true
}

# Creates admin `bench` in database $1 and signs in at $2 with the plain
# form post a browser without JavaScript makes (cookie jar in folder $3);
# prints the session cookie (`opsdeck_session=…`) for wrk and curl.
bench_admin_cookie() {
  echo 'a long benchmark password' | DATABASE_URL="$1" target/release/opsdeck user create \
    --username bench --role admin --password-stdin >/dev/null
  curl -fs -o /dev/null -c "$3/cookies" -H "Origin: $2" \
    --data-urlencode username=bench --data-urlencode 'password=a long benchmark password' \
    "$2/api/login"
  awk '$6 == "opsdeck_session" {print $6 "=" $7}' "$3/cookies"
}

# Starts the release build on an embedded PostgreSQL of its own under a
# fresh folder (`$work`), and sets `db`, `port`, `base` and `pid`. Call
# `stop_bench_server` on exit ($1 names the folder: /tmp/opsdeck-bench-$1.*).
start_bench_server() {
  work="$(mktemp -d "/tmp/opsdeck-bench-$1.XXXXXX")"
  chmod 755 "$work"
  export OPSDECK_DATA_DIR="$work/data"
  db="$(env -u DATABASE_URL target/release/opsdeck db start)"
  port=$(free_port)
  base="http://127.0.0.1:$port"
  DATABASE_URL="$db" OPSDECK_ADDR="127.0.0.1:$port" OPSDECK_LOG=warn \
    LEPTOS_SITE_ROOT="$PWD/target/site" target/release/opsdeck serve >"$work/opsdeck.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 300); do curl -fs "$base/ready" >/dev/null && break; sleep 0.2; done
  curl -fs "$base/ready" >/dev/null || { cat "$work/opsdeck.log"; return 1; }
}

stop_bench_server() {
  stop_server "$pid"
  env -u DATABASE_URL target/release/opsdeck db stop >/dev/null 2>&1 || true
  rm -rf "$work"
}
