#!/usr/bin/env bash
# Incident timeline latency: how long after a deployment of an affected
# service ends does a follower of the incident's page learn of it? Deploys
# a real 1-replica service, declares an incident on it, follows
# `/incidents/<id>/events` (the stream the page uses) and restarts the
# service RUNS times; each time measures from the deployment's recorded end
# to the stream's `change` event and to `read_incident` holding the entry.
#   bench/timeline.sh              (RUNS=10)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
export PATH="$HOME/.cargo/bin:$PATH"
. bench/lib.sh
RUNS="${RUNS:-10}"
[ -n "${BENCH_BUILT:-}" ] || { scripts/ensure-deps test >/dev/null; scripts/build >/dev/null 2>&1; }
begin_rows

work="$(mktemp -d /tmp/opsdeck-bench-timeline.XXXXXX)"
chmod 755 "$work"
cleanup() {
  [ -n "${pid:-}" ] && stop_server "$pid"
  docker ps -aq --filter "label=opsdeck.service.name=production/timeline" | xargs -r docker rm -f >/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

build_web_image "opsdeck-bench/timeline:v1" hello "$work"

port=$(free_port)
base="http://127.0.0.1:$port"
export OPSDECK_DATA_DIR="$work/data"
env -u DATABASE_URL OPSDECK_ADDR="127.0.0.1:$port" OPSDECK_LOG=warn \
  LEPTOS_SITE_ROOT="$PWD/target/site" target/release/opsdeck >"$work/opsdeck.log" 2>&1 &
pid=$!
for _ in $(seq 1 300); do curl -fs "$base/ready" >/dev/null && break; sleep 0.2; done
echo 'bench password 1234' | env -u DATABASE_URL OPSDECK_LOG=warn target/release/opsdeck user create \
  --username bench --role admin --password-stdin >/dev/null

BASE="$base" RUNS="$RUNS" python3 - >"$work/figures" <<'PY'
import http.client, json, os, statistics, threading, time, urllib.parse, datetime
base = os.environ["BASE"]; runs = int(os.environ["RUNS"])
host = urllib.parse.urlparse(base).netloc
cookie = None

def call(path, form=""):
    global cookie
    c = http.client.HTTPConnection(host, timeout=60)
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Origin": base}
    if cookie: headers["Cookie"] = cookie
    c.request("POST", path, form, headers)
    r = c.getresponse(); body = r.read()
    set_cookie = r.getheader("Set-Cookie")
    if set_cookie: cookie = set_cookie.split(";")[0]
    if r.status != 200: raise SystemExit(f"{path}: {r.status} {body[:300]}")
    return json.loads(body) if body else None

def at(text):
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()

def wait_end(deployment):
    while True:
        d = call("/api/read_deployment", f"id={deployment}")["deployment"]
        if d["state"] != "running": return d
        time.sleep(0.05)

call("/api/login", "username=bench&password=bench+password+1234")
call("/api/save_service", "environment=production&name=timeline&image=opsdeck-bench%2Ftimeline&port=8080"
     "&health_kind=http&health_check=%2Fhealthz&health_interval_s=1&health_timeout_s=1&health_retries=3"
     "&health_start_period_s=0&replicas=1&stop_timeout_s=1&drain_s=0")
wait_end(call("/api/deploy", "service=production/timeline&tag=v1")["deployment"])
incident = call("/api/declare_incident", "title=bench&severity=SEV3&services[0]=production%2Ftimeline&summary=x")["incident"]

changes = []  # arrival times of `change` events
def follow():
    c = http.client.HTTPConnection(host, timeout=600)
    c.request("GET", f"/incidents/{incident}/events", headers={"Cookie": cookie, "Accept": "text/event-stream"})
    r = c.getresponse()
    while True:
        line = r.fp.readline()
        if not line: return
        if line.startswith(b"event: change"): changes.append(time.time())
threading.Thread(target=follow, daemon=True).start()
time.sleep(1)

to_event, to_entry = [], []
for _ in range(runs):
    seen = len(changes)
    d = wait_end(call("/api/restart", "service=production/timeline")["deployment"])
    ended = at(d["finished_at"])
    # The first change after the end: the entry's own announcement.
    while True:
        later = [t for t in changes[seen:] if t >= ended]
        if later: break
        time.sleep(0.001)
    to_event.append((later[0] - ended) * 1000)
    while True:
        timeline = call("/api/read_incident", f"id={incident}")["timeline"]
        if any((e.get("details") or {}).get("action") == "deploy.finish" and e.get("link") == f"/deployments/{d['id']}" for e in timeline):
            to_entry.append((time.time() - ended) * 1000); break
    time.sleep(0.5)
fmt = lambda xs: f"{statistics.median(xs):.0f} / {max(xs):.0f} ms"
print(fmt(to_event)); print(fmt(to_entry))
PY
mapfile -t figures <"$work/figures"
cmd="RUNS=$RUNS bench/timeline.sh"
row "restart of an affected service ended → \`change\` on the incident's stream: median / max" "${figures[0]}" "$cmd"
row "restart ended → \`read_incident\` holds the entry (stream event + one read): median / max" "${figures[1]}" "$cmd"
publish_rows "incident timeline latency" "Machine: $(machine), Docker $(docker version -f '{{.Server.Version}}'); release build; embedded PostgreSQL; one client on loopback. The end is the deployment's recorded finished_at (the database's clock, same host)."
