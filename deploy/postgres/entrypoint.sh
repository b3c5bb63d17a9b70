#!/bin/bash
# Creates the cluster, its user and database on first start (from
# POSTGRES_USER, POSTGRES_PASSWORD, POSTGRES_DB like the public image),
# then runs PostgreSQL in the foreground, listening on every address with
# password (scram) authentication.
set -euo pipefail
: "${POSTGRES_PASSWORD:?set POSTGRES_PASSWORD}"
user="${POSTGRES_USER:-opsdeck}"
db="${POSTGRES_DB:-$user}"
bin="$(dirname "$(compgen -G '/usr/lib/postgresql/*/bin/postgres' | sort -V | tail -1)")"
if [ ! -s "$PGDATA/PG_VERSION" ]; then
  "$bin/initdb" -D "$PGDATA" -U postgres --auth-local=peer --auth-host=scram-sha-256 >/dev/null
  echo "host all all all scram-sha-256" >>"$PGDATA/pg_hba.conf"
  "$bin/pg_ctl" -D "$PGDATA" -w -o "-c listen_addresses=''" start >/dev/null
  # The password goes in as a psql variable, so no quoting can break it.
  psql -v ON_ERROR_STOP=1 -q -U postgres -d postgres -v user="$user" -v db="$db" -v pw="$POSTGRES_PASSWORD" <<'SQL'
CREATE ROLE :"user" LOGIN PASSWORD :'pw';
CREATE DATABASE :"db" OWNER :"user";
SQL
  "$bin/pg_ctl" -D "$PGDATA" -w stop >/dev/null
fi
exec "$bin/postgres" -D "$PGDATA" -c listen_addresses='*'
