#!/usr/bin/env bash
# The fuzz test: a cluster (started here unless one already runs on the given env), a fresh
# database with the DBOS system tables and the extension, then the fuzzer.
#   test/fuzz/run.sh [fuzz.js options: --seed N|random, --calls N, --long, ...]
# Env: DBOS_PGPORT / DBOS_PGDATA / DBOS_PGSOCK (default: port 54350, /tmp/dbos_fuzz/...).
# Needs the extension installed (make install) and test/interop/node_modules.
# Last lines: "fuzz: N calls, M violations (...)" and "suite fuzz (<mode>): 1 passed, 0 failed"
# (the run is one test; "0 passed, 1 failed" when anything failed); exit 0 only when it passed.
set -uo pipefail
cd "$(dirname "$0")/../.."
export DBOS_PGPORT=${DBOS_PGPORT:-54350}
export DBOS_PGDATA=${DBOS_PGDATA:-/tmp/dbos_fuzz/data}
export DBOS_PGSOCK=${DBOS_PGSOCK:-/tmp/dbos_fuzz/sock}
. test/lib.sh
DB=${DBOS_FUZZ_DB:-dbos_fuzz}

fail() { echo "fuzz: setup failed: $*"; echo "suite ${DBOS_SUITE_PREFIX:-}fuzz: 0 passed, 1 failed"; exit 1; }

as_pg() { if [ "$(id -un)" = postgres ]; then "$@"; else runuser -u postgres -- "$@"; fi; }
started=0
if ! as_pg pg_ctl -D "$DBOS_PGDATA" status >/dev/null 2>&1; then
  test/cluster.sh start || fail "cannot start the cluster"
  started=1
  trap 'test/cluster.sh stop' EXIT
fi
[ -d test/interop/node_modules/pg ] || (cd test/interop && npm ci --no-audit --no-fund --loglevel=error) \
  || fail "npm ci in test/interop"
dropdb --if-exists "$DB" && createdb "$DB" || fail "createdb $DB"
(cd test/interop && npx --no-install dbos schema "postgresql://postgres@127.0.0.1:$DBOS_PGPORT/$DB" >/dev/null) \
  || fail "dbos schema"
psql -X -q -d "$DB" -c 'CREATE EXTENSION dbos_client' || fail "CREATE EXTENSION dbos_client"

node test/fuzz/fuzz.js --host "$DBOS_PGSOCK" --port "$DBOS_PGPORT" --db "$DB" --log "$DBOS_PGDATA/server.log" "$@"
rc=$?
exit $rc
