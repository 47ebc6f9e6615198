#!/usr/bin/env bash
# Wake-up latency on a hot standby (issue 8, item 6): bench/standby.sh [--trials=N]  (as root)
# Starts a primary (port 55410, /tmp/dbos_bench_standby/primary, wal_level = replica,
# autovacuum off) with the DBOS tables and dbos_client, a streaming standby of it made by
# pg_basebackup -R (port 55411, /tmp/dbos_bench_standby/standby, hot_standby_feedback = on),
# and measures from the primary's COMMIT of an event row to dbos.get_event returning,
# p50/p95/max over N trials (default 50), waiting on:
#   1. the primary, preloaded (commit-time wake-ups; the comparison)
#   2. the standby, preloaded            3. the standby, not preloaded (restarted)
#   4. the primary, not preloaded (restarted; polling)
# and, as the floor, a client polling the standby in a tight loop for the row (replay alone;
# 0 when the row is visible there before the writer's COMMIT has returned to it).
# Prints a Markdown table (no assertions), writes bench/results/standby-<UTC timestamp>.md and
# stops both clusters. ~1 minute. Uses the installed dbos_client (does not build it).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
  echo "bench/standby.sh: run as root (the clusters run as the postgres user)" >&2
  exit 2
fi
TRIALS=50
for a in "$@"; do
  case "$a" in
    --trials=*) TRIALS=${a#--trials=} ;;
    *) echo "usage: bench/standby.sh [--trials=N]" >&2; exit 2 ;;
  esac
done
export DBOS_PGPORT=55410 DBOS_PGDATA=/tmp/dbos_bench_standby/primary/data DBOS_PGSOCK=/tmp/dbos_bench_standby/primary/sock
. test/lib.sh
setup_machine
SO=/usr/lib/postgresql/15/lib/dbos_client.so
if [ ! -f "$SO" ]; then
  echo "bench/standby.sh: dbos_client is not installed (run make install first)" >&2
  exit 2
fi
PGBIN=/usr/lib/postgresql/15/bin
DB=dbos_bench
SB_PORT=55411 SB_DIR=/tmp/dbos_bench_standby/standby
SB_DATA=$SB_DIR/data SB_SOCK=$SB_DIR/sock
as_pg() { runuser -u postgres -- "$@"; }
stop_all() {
  as_pg "$PGBIN/pg_ctl" -D "$SB_DATA" -m fast -w stop >/dev/null 2>&1 || true
  test/cluster.sh stop
}
trap stop_all EXIT
as_pg "$PGBIN/pg_ctl" -D "$SB_DATA" -m fast -w stop >/dev/null 2>&1 || true

DBOS_PGCONF="shared_preload_libraries = 'dbos_client'
wal_level = replica
max_wal_senders = 5
autovacuum = off" test/cluster.sh start >/dev/null
createdb "$DB"
(cd test/interop && npx --no-install dbos schema "postgresql://postgres@127.0.0.1:$DBOS_PGPORT/$DB" >/dev/null)
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -c "CREATE EXTENSION dbos_client"

rm -rf "$SB_DIR"
mkdir -p "$SB_DIR" "$SB_SOCK"
chown -R postgres:postgres "$SB_DIR"
as_pg "$PGBIN/pg_basebackup" -h "$DBOS_PGSOCK" -p "$DBOS_PGPORT" -U postgres -D "$SB_DATA" -R -X stream -c fast --no-sync
cat >> "$SB_DATA/postgresql.conf" <<CONF
port = $SB_PORT
unix_socket_directories = '$SB_SOCK'
hot_standby = on
hot_standby_feedback = on
CONF
as_pg "$PGBIN/pg_ctl" -D "$SB_DATA" -l "$SB_DIR/server.log" -w start >/dev/null

out=$(mktemp)
measure() {  # measure primary|standby|replay LABEL
  echo "measuring: $2" >&2
  node bench/standby.js --measure --where="$1" --label="$2" --db="$DB" --trials="$TRIALS" \
    --primary="$DBOS_PGSOCK:$DBOS_PGPORT" --standby="$SB_SOCK:$SB_PORT" >> "$out"
}
restart_without_preload() {  # restart_without_preload DATADIR LOG
  echo "shared_preload_libraries = ''" >> "$1/postgresql.conf"
  as_pg "$PGBIN/pg_ctl" -D "$1" -m fast -w stop >/dev/null
  as_pg "$PGBIN/pg_ctl" -D "$1" -l "$2" -w start >/dev/null
}

measure primary '`get_event` on the primary, preloaded'
measure standby '`get_event` on the standby, preloaded'
measure replay 'replay alone: a client polling the standby in a tight loop'
restart_without_preload "$SB_DATA" "$SB_DIR/server.log"
measure standby '`get_event` on the standby, not preloaded'
restart_without_preload "$DBOS_PGDATA" "$DBOS_PGDATA/server.log"
measure primary '`get_event` on the primary, not preloaded'

mkdir -p bench/results
res=bench/results/standby-$(date -u +%Y-%m-%dT%H%M%S).md
{
  echo "# Standby wake-up latency"
  echo
  echo "$(date -u '+%Y-%m-%d %H:%M UTC'), commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'), dbos_client.so md5 $(md5sum "$SO" | cut -c1-12), $TRIALS trials each, $(nproc) cores."
  echo "Primary COMMIT of an event row (autocommit INSERT) -> \`dbos.get_event(id, key, 30)\` returning; asynchronous streaming replication, both clusters on this machine."
  echo
  node bench/standby.js --report="$out"
} | tee "$res"
rm -f "$out"
