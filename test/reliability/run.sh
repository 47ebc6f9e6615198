#!/usr/bin/env bash
# Reliability suite: waits that must end (waits.js), a soak with real DBOS workers and SIGKILLs
# of bulk statements (soak.js), on a private cluster, run once with the library not preloaded
# and once with shared_preload_libraries = 'dbos_client' (the recommended mode, where waits are
# woken by commits): each part of each mode is a suite of its own.
#
#   test/reliability/run.sh [--quick]     (as root; the cluster runs as the postgres user)
#
# Not preloaded: waits (and, without --quick, the soak). Preloaded: waits, soak, bulk kill -9.
# --quick (CI): 20 s soak (not 60), 10 trials (not 20) of the timeout_seconds case and of the
# idle-cluster shutdown baseline, fewer rows and kill moments in the bulk trials. Needs the
# extension installed (make install) and test/interop/node_modules (npm ci there).
# Env: REL_PGPORT / REL_PGDATA / REL_PGSOCK (default 54360, /tmp/dbos_rel/{data,sock}),
# REL_DATABASE (dbos_rel), REL_LOG_DIR (/tmp/dbos_rel_logs).
# Prints `suite reliability <part> (<mode>): N passed, M failed` per suite, then
# `reliability: N passed, M failed`; exit status 0 iff M = 0.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)

QUICK=""
case "${1:-}" in
  --quick) QUICK=--quick ;;
  "") ;;
  *) echo "usage: $0 [--quick]" >&2; exit 2 ;;
esac

export DBOS_PGPORT=${REL_PGPORT:-54360} DBOS_PGDATA=${REL_PGDATA:-/tmp/dbos_rel/data} DBOS_PGSOCK=${REL_PGSOCK:-/tmp/dbos_rel/sock}
export REL_DATABASE=${REL_DATABASE:-dbos_rel} REL_LOG_DIR=${REL_LOG_DIR:-/tmp/dbos_rel_logs}
export PATH=/usr/lib/postgresql/15/bin:$PATH
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h "$DBOS_PGSOCK" -p "$DBOS_PGPORT" -U postgres)
URL="postgresql://postgres@127.0.0.1:$DBOS_PGPORT/$REL_DATABASE"
PREFIX=${DBOS_SUITE_PREFIX:-}

passed=0
failed=0
fail_suite() {  # a suite that could not run: "suite <name>: 0 passed, 1 failed"
  echo "$2"
  echo "suite ${PREFIX}reliability $1: 0 passed, 1 failed"
  failed=$((failed + 1))
}
finish() {
  echo "reliability: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}

if [ ! -d test/interop/node_modules/@dbos-inc/dbos-sdk ] || [ ! -d test/interop/node_modules/pg ]; then
  fail_suite "setup" "test/interop/node_modules is missing: run (cd test/interop && npm ci) first"; finish
fi
if [ ! -f "$(pg_config --sharedir)/extension/dbos_client.control" ]; then
  fail_suite "setup" "the dbos_client extension is not installed: run make install first"; finish
fi

trap 'test/cluster.sh stop' EXIT
rm -rf "$REL_LOG_DIR" && mkdir -p "$REL_LOG_DIR"
t0=$(date +%s)
if [ -n "$QUICK" ]; then
  export REL_OWN_TIMEOUT_TRIALS=${REL_OWN_TIMEOUT_TRIALS:-10} REL_SHUTDOWN_IDLE_TRIALS=${REL_SHUTDOWN_IDLE_TRIALS:-10}
else
  export REL_SHUTDOWN_IDLE_SESSIONS=${REL_SHUTDOWN_IDLE_SESSIONS:-1}
fi

# Adds the "suite ..." lines of a log to the totals; a part that reports none is a failure.
count() {
  local part=$1 log=$2 line n=0
  while IFS= read -r line; do
    passed=$((passed + $(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<<"$line")))
    failed=$((failed + $(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")))
    n=$((n + 1))
  done < <(grep -E '^suite [^:]+: [0-9]+ passed, [0-9]+ failed' "$log")
  [ "$n" -gt 0 ] || fail_suite "$part" "$part did not report a result"
}

# A fresh cluster in the given mode, with the DBOS tables and the extension.
start_mode() {  # start_mode preloaded|"not preloaded"
  local conf=""
  [ "$1" = preloaded ] && conf="shared_preload_libraries = 'dbos_client'"
  test/cluster.sh stop
  DBOS_PGCONF="$conf" test/cluster.sh start \
    && "${PSQL[@]}" -d postgres -c "CREATE DATABASE $REL_DATABASE" \
    && (cd test/interop && npx --no-install dbos schema "$URL" >/dev/null) \
    && "${PSQL[@]}" -d "$REL_DATABASE" -c "CREATE EXTENSION dbos_client" \
    && echo "extension $("${PSQL[@]}" -At -d "$REL_DATABASE" -c "SELECT extversion FROM pg_extension WHERE extname = 'dbos_client'"), database $REL_DATABASE on port $DBOS_PGPORT, library $1"
}

part() {  # part NAME LOGFILE COMMAND...: runs one part, shows and counts its suites
  local name=$1 log=$2; shift 2
  local t1; t1=$(date +%s)
  echo "== $name"
  "$@" 2>&1 | tee "$log"
  count "$name" "$log"
  echo "# $name: $(( $(date +%s) - t1 )) s"
}

for mode in "not preloaded" preloaded; do
  tag=${mode// /_}
  if ! start_mode "$mode"; then
    fail_suite "waits ($mode)" "setup of the $mode cluster failed"
    [ "$mode" = preloaded ] && fail_suite "soak ($mode)" "" && fail_suite "bulk kill -9 ($mode)" ""
    continue
  fi
  part "waits ($mode): cancel, statement_timeout, timeout_seconds, terminate, fast shutdown" \
    "$REL_LOG_DIR/waits-$tag.log" node test/reliability/waits.js
  if [ "$mode" = preloaded ]; then
    part "soak ($mode): real DBOS workers, worker kill -9; bulk statements killed by SIGKILL" \
      "$REL_LOG_DIR/soak-$tag.log" node test/reliability/soak.js $QUICK
  elif [ -z "$QUICK" ]; then
    part "soak ($mode): real DBOS workers, worker kill -9" \
      "$REL_LOG_DIR/soak-$tag.log" env REL_BULK=0 node test/reliability/soak.js
  fi
  cp "$DBOS_PGDATA/server.log" "$REL_LOG_DIR/server-$tag.log" 2>/dev/null || true
done

echo "# total $(( $(date +%s) - t0 )) s (load average $(cut -d' ' -f1-3 /proc/loadavg)); logs in $REL_LOG_DIR"
finish
