#!/usr/bin/env bash
# The whole test suite, from a fresh clone: installs what it needs, builds and installs the
# extension, starts throwaway clusters, runs every suite, prints a table of the suites (what
# ran where) and closes with "N passed, M failed".
#
# A test case is counted once: a pg_regress file, an isolation spec, an interop case, a
# reliability check, a whole fuzz run. Runs of the same cases preloaded / not preloaded / under
# the sanitizers are suites of their own. A suite that reports no test, a command that fails
# without reporting a failed test, and a failed setup step are failures.
#
# Environment:
#   DBOS_NO_BUILD=1        use the extension already installed (no apt-get, no build, no install)
#   DBOS_SKIP_SANITIZE=1   skip the ASan + UBSan suites (listed as skipped in the table)
#   DBOS_PG_VERSIONS       server versions to test (default "15 17 18"): 15 is the machine's own
#                          and always runs; 17 and 18 run in Debian roots (test/pgversions/run.sh).
#                          DBOS_PG_VERSIONS=15 is the one-version mode for local loops
#   DBOS_PGPORT / DBOS_PGDATA / DBOS_PGSOCK          main cluster (test/lib.sh defaults)
#   DBOS_FUZZ_PORT / DBOS_FUZZ_DIR, DBOS_REL_PORT / DBOS_REL_DIR, SANITIZE_PORT / SANITIZE_BASE:
#                          the other clusters (54350 /tmp/dbos_fuzz, 54360 /tmp/dbos_rel, 54380 /tmp/dbos_asan)
#   DBOS_TEST_LOGS         logs and pg_regress output (default /tmp/dbos_test_logs)
# INTEROP_ONLY is refused here: it would drop interop cases from the count (use it with
# `node test/interop/run.js`, which reports the skipped cases).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
. test/lib.sh

if [ -n "${INTEROP_ONLY:-}" ]; then
  echo "INTEROP_ONLY is set: the full run does not drop tests; run node test/interop/run.js for a subset" >&2
  exit 2
fi
LOGS=${DBOS_TEST_LOGS:-/tmp/dbos_test_logs}
FUZZ_PORT=${DBOS_FUZZ_PORT:-54350} FUZZ_DIR=${DBOS_FUZZ_DIR:-/tmp/dbos_fuzz}
REL_PORT=${DBOS_REL_PORT:-54360} REL_DIR=${DBOS_REL_DIR:-/tmp/dbos_rel}
rm -rf "$LOGS" && mkdir -p "$LOGS" && chmod 777 "$LOGS"

# ---- results: one row per suite -------------------------------------------------------------
S_NAME=(); S_PASS=(); S_FAIL=(); S_SKIP=(); S_NOTE=()
record() {  # record NAME PASSED FAILED [SKIPPED] [NOTE]
  S_NAME+=("$1"); S_PASS+=("$2"); S_FAIL+=("$3"); S_SKIP+=("${4:-0}"); S_NOTE+=("${5:-}")
}
# Records every "suite <name>: N passed, M failed[, K skipped][; note]" line of a log; a command that
# reports no suite, or exits non-zero without a failed test, is a failure of its own.
record_log() {  # record_log LABEL LOG EXIT_STATUS
  local label=$1 log=$2 rc=$3 line name p f k note n=0 fails=0
  while IFS= read -r line; do
    [[ $line =~ ^suite\ ([^:]+):\ ([0-9]+)\ passed,\ ([0-9]+)\ failed(,\ ([0-9]+)\ skipped)?(\;\ (.*))?$ ]] || continue
    name=${BASH_REMATCH[1]} p=${BASH_REMATCH[2]} f=${BASH_REMATCH[3]} k=${BASH_REMATCH[5]:-0} note=${BASH_REMATCH[7]}
    if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
      record "$name" 0 1 "$k" "reported no test"
    else
      record "$name" "$p" "$f" "$k" "$note"
    fi
    n=$((n + 1)); fails=$((fails + f))
  done < <(grep -E '^suite [^:]+: [0-9]+ passed, [0-9]+ failed' "$log")
  if [ "$n" -eq 0 ]; then
    record "$label" 0 1 0 "reported no suite result (exit status $rc)"
  elif [ "$rc" -ne 0 ] && [ "$fails" -eq 0 ]; then
    record "$label" 0 1 0 "exit status $rc without a failed test"
  fi
}
run_logged() {  # run_logged LABEL COMMAND...: runs it, shows and records its suites
  local label=$1; shift
  local log="$LOGS/$(tr -c 'A-Za-z0-9_\n' _ <<<"$label").log"
  "$@" > "$log" 2>&1
  local rc=$?
  cat "$log"
  record_log "$label" "$log" "$rc"
}
# pg_regress / pg_isolation_regress: one test per file; the files expected are the ones on disk.
record_regress() {  # record_regress NAME LOG EXIT_STATUS EXPECTED_COUNT
  local name=$1 log=$2 rc=$3 want=$4 p f note=""
  p=$(grep -cE '\.\.\. ok' "$log")
  f=$(grep -cE '\.\.\. FAILED|\.\.\. failed' "$log")
  if [ $((p + f)) -lt "$want" ]; then
    note="$((want - p - f)) of $want files did not run"; f=$((want - p))
  fi
  if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
    note="exit status $rc without a failed test"; f=1
  fi
  record "$name" "$p" "$f" 0 "$note"
}
setup_fail() {  # a setup step failed: the suites that need it fail
  local what=$1; shift
  echo "SETUP FAILED: $what"
  for s in "$@"; do record "$s" 0 1 0 "setup failed: $what"; done
}
crashes() {  # crashed backends in a server log: a failure of the suites that ran there
  if grep -qE "terminated by signal|was terminated by exception" "$1"; then
    echo "server log $1 shows a crashed backend:"; grep -E "terminated by signal|terminated by exception" "$1" | head -5
    record "$2" 0 1 0 "crashed backend in $1"
  fi
}
summary() {
  local i tp=0 tf=0 tk=0
  echo
  printf '%-44s %7s %7s %8s  %s\n' suite passed failed skipped note
  for i in "${!S_NAME[@]}"; do
    printf '%-44s %7s %7s %8s  %s\n' "${S_NAME[$i]}" "${S_PASS[$i]}" "${S_FAIL[$i]}" "${S_SKIP[$i]}" "${S_NOTE[$i]}"
    tp=$((tp + S_PASS[i])); tf=$((tf + S_FAIL[i])); tk=$((tk + S_SKIP[i]))
  done
  echo
  if [ "$tk" -gt 0 ]; then echo "$tp passed, $tf failed, $tk skipped"; else echo "$tp passed, $tf failed"; fi
  [ "$tf" -eq 0 ]
}

# ---- machine, build -------------------------------------------------------------------------
if [ -n "${DBOS_NO_BUILD:-}" ]; then
  echo "DBOS_NO_BUILD: using the installed extension ($(pg_config --pkglibdir)/dbos_client.so)"
  [ -d test/interop/node_modules/@dbos-inc/dbos-sdk ] || (cd test/interop && npm ci --no-audit --no-fund --loglevel=error)
  if [ ! -f "$(pg_config --sharedir)/extension/dbos_client.control" ]; then
    setup_fail "dbos_client is not installed (DBOS_NO_BUILD)" build; summary; exit 1
  fi
else
  setup_machine
  build_and_install || { setup_fail "build and install" build; summary; exit 1; }
fi

# ---- main cluster, not preloaded: pg_regress and isolation ----------------------------------
trap 'test/cluster.sh stop' EXIT
echo "== pg_regress (sql/, expected/) and isolation (test/specs), library not preloaded"
regress_ok=1; iso_ok=1
test/cluster.sh start || { setup_fail "start cluster" "pg_regress (not preloaded)" "isolation (not preloaded)"; regress_ok=0; iso_ok=0; }
if [ "$regress_ok" = 1 ]; then
  prepare_database contrib_regression || { setup_fail "prepare_database contrib_regression" "pg_regress (not preloaded)"; regress_ok=0; }
  { prepare_database isolation_regression && psql -X -q -v ON_ERROR_STOP=1 -d isolation_regression -c 'CREATE EXTENSION dbos_client'; } \
    || { setup_fail "prepare_database isolation_regression" "isolation (not preloaded)"; iso_ok=0; }
fi
PGXS_DIR=$(dirname "$(pg_config --pgxs)")/..
if [ "$regress_ok" = 1 ]; then
  tests=$(ls sql/*.sql | sed 's|sql/||; s|\.sql$||')
  "$PGXS_DIR/test/regress/pg_regress" --inputdir=. --outputdir="$LOGS/regress" --bindir=/usr/lib/postgresql/15/bin \
    --host="$DBOS_PGSOCK" --port="$DBOS_PGPORT" --use-existing --dbname=contrib_regression $tests > "$LOGS/regress.log" 2>&1
  rc=$?
  cat "$LOGS/regress.log"
  record_regress "pg_regress (not preloaded)" "$LOGS/regress.log" "$rc" "$(wc -w <<<"$tests")"
  [ -f "$LOGS/regress/regression.diffs" ] && head -200 "$LOGS/regress/regression.diffs"
fi
if [ "$iso_ok" = 1 ]; then
  specs=$(ls test/specs/*.spec | sed 's|test/specs/||; s|\.spec$||')
  "$PGXS_DIR/test/isolation/pg_isolation_regress" --inputdir=test --outputdir="$LOGS/isolation" \
    --bindir=/usr/lib/postgresql/15/bin --host="$DBOS_PGSOCK" --port="$DBOS_PGPORT" --use-existing \
    --dbname=isolation_regression $specs > "$LOGS/isolation.log" 2>&1
  rc=$?
  cat "$LOGS/isolation.log"
  record_regress "isolation (not preloaded)" "$LOGS/isolation.log" "$rc" "$(wc -w <<<"$specs")"
  [ -f "$LOGS/isolation/regression.diffs" ] && head -200 "$LOGS/isolation/regression.diffs"
fi
crashes "$DBOS_PGDATA/server.log" "server log (main cluster, not preloaded)"

# ---- main cluster again, preloaded: interop -------------------------------------------------
echo "== interop (real DBOS TypeScript worker), library preloaded"
# Prepared transactions allowed: a case checks that COMMIT PREPARED wakes a waiter.
if DBOS_PGCONF="shared_preload_libraries = 'dbos_client'
max_prepared_transactions = 10" test/cluster.sh start; then
  run_logged interop node test/interop/run.js
  crashes "$DBOS_PGDATA/server.log" "server log (main cluster, preloaded)"
else
  setup_fail "start the preloaded cluster" "interop (preloaded)"
fi
test/cluster.sh stop

echo "== examples: ORM recipes (node-postgres, Knex, Drizzle, Sequelize, SQLAlchemy, Django, psql, trigger), real DBOS worker (own cluster, preloaded)"
run_logged examples test/examples/run.sh

echo "== hot standby: pg_basebackup of a preloaded primary, real DBOS worker; standby preloaded and not (own clusters)"
run_logged standby test/standby/run.sh

echo "== fuzz: seeded random calls of every function (own cluster; longer: test/fuzz/run.sh --long)"
DBOS_PGPORT=$FUZZ_PORT DBOS_PGDATA=$FUZZ_DIR/data DBOS_PGSOCK=$FUZZ_DIR/sock \
  run_logged fuzz test/fuzz/run.sh --repro-dir "$LOGS/fuzz_repro"

echo "== reliability, short version (own cluster, not preloaded then preloaded; longer: test/reliability/run.sh)"
REL_PGPORT=$REL_PORT REL_PGDATA=$REL_DIR/data REL_PGSOCK=$REL_DIR/sock \
  REL_LOG_DIR="$LOGS/reliability" run_logged reliability test/reliability/run.sh --quick

# PostgreSQL 17 and 18, each in a Debian root of its own (cached in /var/cache/dbos_client/roots).
for v in ${DBOS_PG_VERSIONS:-15 17 18}; do
  [ "$v" = 15 ] && continue  # the machine's own server: the suites above
  echo "== PostgreSQL $v: build with -Werror, pg_regress, isolation, interop (own root and cluster)"
  DBOS_TEST_LOGS="$LOGS" run_logged "PostgreSQL $v" test/pgversions/run.sh "$v"
done

if [ -z "${DBOS_SKIP_SANITIZE:-}" ]; then
  echo "== sanitize: the suites under ASan + UBSan, not preloaded and preloaded (own build and cluster)"
  run_logged sanitize test/sanitize/run.sh
else
  record "ASan + UBSan suites" 0 0 0 "not run: DBOS_SKIP_SANITIZE=1"
fi

echo "== Debian package: built from HEAD, installed in a clean Debian 12 root, pg_regress against it"
DBOS_TEST_LOGS="$LOGS" run_logged "deb package" test/package/run.sh

summary
