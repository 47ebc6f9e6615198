#!/usr/bin/env bash
# Suite "examples": runs every recipe of examples/ (node-postgres, Knex, Drizzle, Sequelize,
# SQLAlchemy, Django, psql, trigger) against a real DBOS TypeScript worker (examples/worker.js,
# dbos-sdk 5.3.0 from test/interop/node_modules) on a throwaway cluster with the dbos_client
# extension already installed on the host (this script does not build it).
#
# One test case per recipe file; a recipe exits non-zero on any failed check. Prints
# `PASS name` / `FAIL name: why`, then `suite examples: N passed, M failed`; exit status 0 only
# when M = 0. Setup: npm ci in examples/node, apt-get install of Debian's python3-sqlalchemy,
# python3-django, python3-psycopg2 (the Python recipes run under /usr/bin/python3).
#
# Environment: DBOS_EX_PORT (55300), DBOS_EX_DIR (/tmp/dbos_examples), EXAMPLES_LOG_DIR (logs of
# the recipes and the worker, /tmp/dbos_examples_logs), EXAMPLES_ONLY (a regexp
# on the recipe names: runs only those; the others are not counted).
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
export DBOS_PGPORT=${DBOS_EX_PORT:-55300}
DIR=${DBOS_EX_DIR:-/tmp/dbos_examples}
export DBOS_PGDATA=$DIR/data DBOS_PGSOCK=$DIR/sock
export DBOS_PGCONF="shared_preload_libraries = 'dbos_client'"
. test/lib.sh
DB=dbos_examples
URL="postgresql://postgres@127.0.0.1:$DBOS_PGPORT/$DB"
LOG=${EXAMPLES_LOG_DIR:-/tmp/dbos_examples_logs}
rm -rf "$LOG" && mkdir -p "$LOG"
RECIPES=(node/pg.js node/knex.js node/drizzle.js node/sequelize.js
         python/sqlalchemy_recipe.py python/django_recipe.py psql/enqueue.sql psql/trigger.sql)

WPID=
cleanup() {
  if [ -n "$WPID" ]; then
    kill "$WPID" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$WPID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$WPID" 2>/dev/null
  fi
  test/cluster.sh stop
}
trap cleanup EXIT
# A setup step that fails: every recipe is reported failed, "not run".
setup_failed() {
  echo "examples: setup failed: $1" >&2
  for r in "${RECIPES[@]}"; do echo "FAIL ${r%.*}: not run ($1)"; done
  echo "suite examples: 0 passed, ${#RECIPES[@]} failed"
  exit 1
}

# ---- setup ----------------------------------------------------------------------------------
if ! /usr/bin/python3 -c 'import sqlalchemy, django, psycopg2' 2>/dev/null; then
  apt_install python3-sqlalchemy python3-django python3-psycopg2 2>"$LOG/apt.log" \
    || setup_failed "apt-get install python3-sqlalchemy python3-django python3-psycopg2 (see $LOG/apt.log)"
fi
if [ ! -d test/interop/node_modules/@dbos-inc/dbos-sdk ]; then
  (cd test/interop && npm ci --no-audit --no-fund --loglevel=error) >"$LOG/npm_interop.log" 2>&1 \
    || setup_failed "npm ci in test/interop (see $LOG/npm_interop.log)"
fi
if ! (cd examples/node && npm ls --depth=0 >/dev/null 2>&1); then
  (cd examples/node && npm ci --no-audit --no-fund --loglevel=error) >"$LOG/npm_examples.log" 2>&1 \
    || setup_failed "npm ci in examples/node (see $LOG/npm_examples.log)"
fi
test/cluster.sh start >"$LOG/cluster.log" 2>&1 || setup_failed "cluster start (see $LOG/cluster.log)"
{ prepare_database "$DB" && psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -c 'CREATE EXTENSION dbos_client'; } \
  >"$LOG/prepare.log" 2>&1 || setup_failed "DBOS schema or CREATE EXTENSION (see $LOG/prepare.log)"

# The worker reads stdin until EOF: a coprocess, whose stdin closes when this script ends.
coproc WORKER { DBOS_SYSTEM_DATABASE_URL=$URL NODE_PATH=$ROOT/test/interop/node_modules \
  exec node examples/worker.js >"$LOG/worker.log" 2>&1; }
WPID=$WORKER_PID
for _ in $(seq 300); do
  grep -q '^READY' "$LOG/worker.log" 2>/dev/null && break
  kill -0 "$WPID" 2>/dev/null || break
  sleep 0.1
done
grep -q '^READY' "$LOG/worker.log" || setup_failed "worker did not start (see $LOG/worker.log)"

# ---- recipes --------------------------------------------------------------------------------
pass=0 fail=0
for r in "${RECIPES[@]}"; do
  name=${r%.*}
  if [ -n "${EXAMPLES_ONLY:-}" ] && ! [[ $name =~ $EXAMPLES_ONLY ]]; then continue; fi
  out="$LOG/$(tr / _ <<<"$name").log"
  case $r in
    *.js)  cmd=(node "examples/$r") ;;
    *.py)  cmd=(/usr/bin/python3 "examples/$r") ;;
    *.sql) cmd=(psql -X -q -v ON_ERROR_STOP=1 -d "$DB" -f "examples/$r") ;;
  esac
  DATABASE_URL=$URL PGDATABASE=$DB timeout 120 "${cmd[@]}" >"$out" 2>&1
  rc=$?
  if [ $rc -eq 0 ]; then
    echo "PASS $name"; pass=$((pass + 1))
  else
    why=$(grep -m1 -E 'FAILED|ERROR' "$out" || grep -v '^\s*$' "$out" | tail -n 3 | tr '\n' ' ')
    [ $rc -eq 124 ] && why="timed out after 120 s; $why"
    echo "FAIL $name: exit $rc: ${why:0:400} (log $out)"; fail=$((fail + 1))
  fi
done
if grep -E 'PANIC|terminated by signal' "$DBOS_PGDATA/server.log"; then
  echo "FAIL server: crashed during the suite (see $DBOS_PGDATA/server.log)"; fail=$((fail + 1))
fi
if ! kill -0 "$WPID" 2>/dev/null; then
  echo "FAIL worker: exited during the suite (see $LOG/worker.log)"; fail=$((fail + 1))
fi
echo "suite examples: $pass passed, $fail failed"
[ $fail -eq 0 ]
