#!/usr/bin/env bash
# Reliability suite: waits that must end (waits.js) and a soak with real DBOS workers, worker
# and backend SIGKILLs (soak.js), on a private cluster (port 54360, /tmp/dbos_rel).
#
#   test/reliability/run.sh [--quick]     (as root; the cluster runs as the postgres user)
#
# --quick (CI, under ~2 minutes on an unloaded 2-CPU machine): 20 s soak; 10 trials (not 20)
# of the timeout_seconds case and of the idle-cluster shutdown baseline; no committed
# 200k/100k bulk runs (only the SIGKILLed ones). Default: 60 s soak, every case. Needs the extension
# installed (make install) and test/interop/node_modules (npm ci there).
# Ends with `reliability: N passed, M failed`; exit status 0 iff M = 0.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)

QUICK=""
case "${1:-}" in
  --quick) QUICK=--quick ;;
  "") ;;
  *) echo "usage: $0 [--quick]" >&2; exit 2 ;;
esac

export DBOS_PGPORT=54360 DBOS_PGDATA=/tmp/dbos_rel/data DBOS_PGSOCK=/tmp/dbos_rel/sock
export REL_DATABASE=dbos_rel REL_LOG_DIR=/tmp/dbos_rel_logs
export PATH=/usr/lib/postgresql/15/bin:$PATH
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -h "$DBOS_PGSOCK" -p "$DBOS_PGPORT" -U postgres)
URL="postgresql://postgres@127.0.0.1:$DBOS_PGPORT/$REL_DATABASE"

passed=0
failed=0
finish() {
  echo "reliability: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit $?
}

if [ ! -d test/interop/node_modules/@dbos-inc/dbos-sdk ] || [ ! -d test/interop/node_modules/pg ]; then
  echo "test/interop/node_modules is missing: run (cd test/interop && npm ci) first"
  failed=1; finish
fi
if [ ! -f "$(pg_config --sharedir)/extension/dbos_client.control" ]; then
  echo "the dbos_client extension is not installed: run make install first"
  failed=1; finish
fi

trap 'test/cluster.sh stop' EXIT
rm -rf "$REL_LOG_DIR" && mkdir -p "$REL_LOG_DIR"
t0=$(date +%s)
if ! test/cluster.sh start \
  || ! "${PSQL[@]}" -d postgres -c "CREATE DATABASE $REL_DATABASE" \
  || ! (cd test/interop && npx --no-install dbos schema "$URL" >/dev/null) \
  || ! "${PSQL[@]}" -d "$REL_DATABASE" -c "CREATE EXTENSION dbos_client"; then
  echo "setup failed"
  failed=1; finish
fi
echo "extension $("${PSQL[@]}" -At -d "$REL_DATABASE" -c "SELECT extversion FROM pg_extension WHERE extname = 'dbos_client'"), database $REL_DATABASE on port $DBOS_PGPORT"

# Adds the "<suite>: N passed, M failed" line of a log to the totals.
count() {
  local suite=$1 log=$2 line
  line=$(grep -E "^$suite: [0-9]+ passed, [0-9]+ failed" "$log" | tail -1)
  if [ -n "$line" ]; then
    passed=$((passed + $(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')))
    failed=$((failed + $(echo "$line" | sed -E 's/.* ([0-9]+) failed/\1/')))
  else
    echo "$suite did not report a result"
    failed=$((failed + 1))
  fi
}

if [ -n "$QUICK" ]; then
  export REL_OWN_TIMEOUT_TRIALS=${REL_OWN_TIMEOUT_TRIALS:-10} REL_SHUTDOWN_IDLE_TRIALS=${REL_SHUTDOWN_IDLE_TRIALS:-10}
else
  export REL_SHUTDOWN_IDLE_SESSIONS=${REL_SHUTDOWN_IDLE_SESSIONS:-1}
fi

echo "== waits (cancel, statement_timeout, timeout_seconds, terminate, fast shutdown)"
t1=$(date +%s)
node test/reliability/waits.js 2>&1 | tee "$REL_LOG_DIR/waits.log"
count waits "$REL_LOG_DIR/waits.log"
echo "# waits: $(( $(date +%s) - t1 )) s"

echo "== soak (real DBOS workers, worker kill -9, backend kill -9 in bulk enqueues)"
t1=$(date +%s)
node test/reliability/soak.js $QUICK 2>&1 | tee "$REL_LOG_DIR/soak.log"
count soak "$REL_LOG_DIR/soak.log"
echo "# soak: $(( $(date +%s) - t1 )) s"

cp "$DBOS_PGDATA/server.log" "$REL_LOG_DIR/server.log" 2>/dev/null || true
echo "# total $(( $(date +%s) - t0 )) s (load average $(cut -d' ' -f1-3 /proc/loadavg)); logs in $REL_LOG_DIR"
finish
