#!/usr/bin/env bash
# Starts or stops the throwaway PostgreSQL cluster used by the tests, demo and benchmarks.
# Usage: test/cluster.sh start|stop|psql [args...]
# The cluster runs as the postgres user on a private port and socket directory.
set -euo pipefail
PGBIN=${PGBIN:-/usr/lib/postgresql/15/bin}
export DBOS_PGPORT=${DBOS_PGPORT:-54329}
export DBOS_PGDATA=${DBOS_PGDATA:-/tmp/dbos_client_cluster/data}
export DBOS_PGSOCK=${DBOS_PGSOCK:-/tmp/dbos_client_cluster/sock}
EXTRA_CONF=${DBOS_PGCONF:-}

as_pg() { if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi; }

case "${1:-}" in
start)
  if as_pg "$PGBIN/pg_ctl" -D "$DBOS_PGDATA" status >/dev/null 2>&1; then
    as_pg "$PGBIN/pg_ctl" -D "$DBOS_PGDATA" -m fast -w stop >/dev/null
  fi
  rm -rf "$(dirname "$DBOS_PGDATA")"
  mkdir -p "$DBOS_PGDATA" "$DBOS_PGSOCK"
  chown -R postgres:postgres "$(dirname "$DBOS_PGDATA")"
  as_pg "$PGBIN/initdb" -D "$DBOS_PGDATA" -A trust -U postgres --no-sync -E UTF8 >/dev/null
  cat >> "$DBOS_PGDATA/postgresql.conf" <<CONF
port = $DBOS_PGPORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$DBOS_PGSOCK'
max_connections = 200
fsync = off
log_min_messages = warning
log_line_prefix = '%m [%p] '
$EXTRA_CONF
CONF
  as_pg "$PGBIN/pg_ctl" -D "$DBOS_PGDATA" -l "$DBOS_PGDATA/server.log" -w start >/dev/null
  echo "cluster started: port $DBOS_PGPORT, socket $DBOS_PGSOCK, log $DBOS_PGDATA/server.log"
  ;;
stop)
  as_pg "$PGBIN/pg_ctl" -D "$DBOS_PGDATA" -m fast -w stop >/dev/null 2>&1 || true
  ;;
*)
  echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
