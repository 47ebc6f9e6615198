#!/usr/bin/env bash
# The read-replica suite: dbos_client on a streaming hot standby (issue 8, item 6).
# Starts a primary (port 55400, /tmp/dbos_standby/primary, dbos_client preloaded, wal_level =
# replica) with the DBOS system tables and the extension, makes a standby of it with
# pg_basebackup -R (port 55401, /tmp/dbos_standby/standby, hot_standby_feedback = on), starts a real DBOS worker
# (test/interop/worker.js) on the primary, and runs test/standby/standby.js twice: standby
# preloaded, then the standby restarted without shared_preload_libraries. Prints one PASS/FAIL
# line per case and `suite standby: N passed, M failed`; exits non-zero on a failure. Stops
# both clusters at exit. Uses the dbos_client installed on the host (does not build it).
# As root (the clusters run as the postgres user). STANDBY_CONF: extra standby settings (development).
set -uo pipefail
cd "$(dirname "$0")/../.."
if [ "$(id -u)" -ne 0 ]; then
  echo "test/standby/run.sh: run as root (the clusters run as the postgres user)" >&2
  exit 2
fi
export DBOS_PGPORT=55400 DBOS_PGDATA=/tmp/dbos_standby/primary/data DBOS_PGSOCK=/tmp/dbos_standby/primary/sock
. test/lib.sh
PGBIN=/usr/lib/postgresql/15/bin
DB=dbos_standby
SB_PORT=55401
SB_DIR=/tmp/dbos_standby/standby
SB_DATA=$SB_DIR/data
SB_SOCK=$SB_DIR/sock
export STANDBY_LOGDIR=/tmp/dbos_standby

as_pg() { runuser -u postgres -- "$@"; }
stop_all() {
  as_pg "$PGBIN/pg_ctl" -D "$SB_DATA" -m fast -w stop >/dev/null 2>&1 || true
  test/cluster.sh stop
}
fail_setup() {
  echo "FAIL setup: $*"
  echo "suite standby: 0 passed, 1 failed"
  exit 1
}
trap stop_all EXIT
trap 'exit 130' INT TERM

setup_machine || fail_setup "setup_machine"
[ -f /usr/lib/postgresql/15/lib/dbos_client.so ] || fail_setup "dbos_client is not installed (make install first)"
# A standby left running by an interrupted run holds the port.
as_pg "$PGBIN/pg_ctl" -D "$SB_DATA" -m fast -w stop >/dev/null 2>&1 || true

# ---- primary ------------------------------------------------------------------------------
DBOS_PGCONF="shared_preload_libraries = 'dbos_client'
wal_level = replica
max_wal_senders = 5
hot_standby = on
wal_keep_size = '256MB'" test/cluster.sh start >/dev/null || fail_setup "start the primary"
PGOPTIONS="-c client_min_messages=warning" prepare_database "$DB" >/dev/null || fail_setup "prepare_database $DB"
psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -c "CREATE EXTENSION dbos_client" || fail_setup "CREATE EXTENSION"

# ---- standby: a base backup of the primary, streaming from it ------------------------------
rm -rf "$SB_DIR"
mkdir -p "$SB_DIR" "$SB_SOCK"
chown -R postgres:postgres "$SB_DIR"
as_pg "$PGBIN/pg_basebackup" -h "$DBOS_PGSOCK" -p "$DBOS_PGPORT" -U postgres -D "$SB_DATA" -R -X stream -c fast --no-sync \
  || fail_setup "pg_basebackup"
# hot_standby_feedback: without it a wait (which holds its statement's snapshot) stops the
# replay at the primary's next cleanup of rows that snapshot could see, for up to
# max_standby_streaming_delay (30 s), and is then cancelled ("conflict with recovery"); case
# wait_get_event_wakes_at_replay_after_vacuum_on_primary fails then. STANDBY_CONF, appended
# last, overrides it: STANDBY_CONF="hot_standby_feedback = off" test/standby/run.sh
cat >> "$SB_DATA/postgresql.conf" <<CONF
port = $SB_PORT
unix_socket_directories = '$SB_SOCK'
hot_standby = on
hot_standby_feedback = on
${STANDBY_CONF:-}
CONF
start_standby() {
  as_pg "$PGBIN/pg_ctl" -D "$SB_DATA" -l "$SB_DIR/server.log" -w start >/dev/null
}
start_standby || fail_setup "start the standby (log: $SB_DIR/server.log)"

passed=0 failed=0
run_mode() {  # run_mode preloaded|plain
  local out rc p f
  out=$(mktemp)
  node test/standby/standby.js --mode="$1" --db="$DB" \
    --primary="$DBOS_PGSOCK:$DBOS_PGPORT" --standby="$SB_SOCK:$SB_PORT" | tee "$out"
  rc=${PIPESTATUS[0]}
  p=$(grep -c '^PASS ' "$out") f=$(grep -c '^FAIL ' "$out")
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    echo "FAIL standby.js --mode=$1 exited with status $rc"
    f=1
  fi
  passed=$((passed + p)) failed=$((failed + f))
  rm -f "$out"
}

run_mode preloaded
# The same cases with the standby not preloaded (the last setting in the file wins).
echo "shared_preload_libraries = ''" >> "$SB_DATA/postgresql.conf"
if as_pg "$PGBIN/pg_ctl" -D "$SB_DATA" -m fast -w stop >/dev/null && start_standby; then
  run_mode plain
else
  echo "FAIL restart the standby without shared_preload_libraries (log: $SB_DIR/server.log)"
  failed=$((failed + 1))
fi

echo "suite standby: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
