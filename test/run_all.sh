#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what it needs, builds and installs the
# extension, starts a throwaway cluster, runs pg_regress, the isolation specs and the
# interop tests with a real DBOS worker, stops the cluster, and prints "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
. test/lib.sh

setup_machine
build_and_install || { echo "0 passed, 1 failed"; exit 1; }
trap 'test/cluster.sh stop' EXIT
test/cluster.sh start
prepare_database contrib_regression
prepare_database isolation_regression
psql -X -q -d isolation_regression -c 'CREATE EXTENSION dbos_client'

passed=0; failed=0
check_server_log() {  # a crashed backend anywhere in the run is a failure
  if grep -qE "terminated by signal|was terminated by exception" "$DBOS_PGDATA/server.log"; then
    echo "server log shows a crashed backend:"; grep -E "terminated by signal|terminated by exception" "$DBOS_PGDATA/server.log"
    failed=$((failed + 1))
  fi
}
count() {  # adds pg_regress "ok"/"FAILED" lines of a log to the totals
  local p f
  p=$(grep -cE '\.\.\. ok' "$1" || true)
  f=$(grep -cE '\.\.\. FAILED|\.\.\. failed' "$1" || true)
  passed=$((passed + p)); failed=$((failed + f))
}

echo "== pg_regress (sql/, expected/)"
make -s installcheck REGRESS="$(ls sql/*.sql | sed 's|sql/||; s|\.sql$||' | tr '\n' ' ')" ISOLATION= \
  > /tmp/dbos_regress.log 2>&1
cat /tmp/dbos_regress.log; count /tmp/dbos_regress.log
[ -f regression.diffs ] && head -200 regression.diffs

echo "== isolation (test/specs, test/expected)"
make -s installcheck REGRESS= > /tmp/dbos_isolation.log 2>&1
cat /tmp/dbos_isolation.log; count /tmp/dbos_isolation.log
[ -f output_iso/regression.diffs ] && head -200 output_iso/regression.diffs

suite() {  # runs a suite that ends with "<name>: N passed, M failed" and adds its counts
  local name=$1; shift
  "$@" > "/tmp/dbos_$name.log" 2>&1
  cat "/tmp/dbos_$name.log"
  local line
  line=$(grep -E "^$name: [0-9]+ passed, [0-9]+ failed" "/tmp/dbos_$name.log" | tail -1)
  if [ -n "$line" ]; then
    passed=$((passed + $(echo "$line" | sed -E 's/.*: ([0-9]+) passed.*/\1/')))
    failed=$((failed + $(echo "$line" | sed -E 's/.* ([0-9]+) failed/\1/')))
  else
    failed=$((failed + 1)); echo "$name suite did not report a result"
  fi
}

echo "== interop (real DBOS TypeScript worker), on a cluster with the library preloaded"
check_server_log
DBOS_PGCONF="shared_preload_libraries = 'dbos_client'" test/cluster.sh start
suite interop node test/interop/run.js
check_server_log
test/cluster.sh stop

echo "== fuzz: seeded random calls of every function (its own cluster; longer: test/fuzz/run.sh --long)"
DBOS_PGPORT=54350 DBOS_PGDATA=/tmp/dbos_fuzz/data DBOS_PGSOCK=/tmp/dbos_fuzz/sock suite fuzz test/fuzz/run.sh

echo "== reliability, short version (its own cluster; the long soak: test/reliability/run.sh)"
suite reliability test/reliability/run.sh --quick

if [ -z "${DBOS_SKIP_SANITIZE:-}" ]; then
  echo "== sanitize: regression, isolation and interop under ASan + UBSan (own build and cluster)"
  suite sanitize test/sanitize/run.sh
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
