#!/usr/bin/env bash
# The regression, isolation and interop suites against dbos_client built with
# AddressSanitizer + UndefinedBehaviorSanitizer, in one command, twice: on a cluster without
# and on one with shared_preload_libraries = 'dbos_client' (so that the commit-time wake-ups,
# wakeups.cpp, run under the sanitizers too):
#
#   test/sanitize/run.sh            # as root; ends with "sanitize: N passed, M failed"
#
# Each suite of each mode reports `suite ASan <suite> (<mode>): N passed, M failed`: pg_regress
# (one test per file), isolation (per spec), interop (per case) and "ASan reports" (one test:
# no ASan or UBSan report and no crashed backend in that mode). The build, the canary and the
# library checks are setup steps: a failure counts, a success does not.
# Nothing outside $SANITIZE_BASE (/tmp/dbos_asan) is touched: the installed extension stays as it is.
#   /tmp/dbos_asan/src      a copy of the working tree (SANITIZE_SOURCE=<git rev> copies a commit)
#   /tmp/dbos_asan/prefix   a private copy of PostgreSQL 15 (Debian's postgres finds its lib and
#                           share dirs relative to its binary) holding the sanitizer build
#   /tmp/dbos_asan/cluster  data dir and socket of a private cluster on port 54380
#   /tmp/dbos_asan/logs     ASan reports (asan.<pid>), suite logs, server.log of the suites
# The postmaster runs with libasan preloaded (an uninstrumented postgres cannot dlopen an
# ASan module otherwise) plus preload.so (see preload.c: without it postgres hangs at
# start-up, and UBSan ignores UBSAN_OPTIONS). ASan reports go to logs/asan.<pid>; UBSan
# reports go to the server log (stderr); either aborts its backend. Leak detection is off
# (memory contexts look like leaks to LSan). Any ASan or UBSan report, or any crashed
# backend, is a failure. First, a canary module with one heap overflow and one signed
# overflow proves that reports from a dlopen'ed module are seen.
#
# Limits: ASan sees malloc'ed memory, the stack and globals; palloc'ed chunks live inside
# larger malloc'ed blocks of Debian's (not Valgrind/ASan-aware) PostgreSQL, so an overrun
# of a palloc chunk or a double pfree is seen only when it reaches memory given back to
# malloc (e.g. a block freed by a context reset).
#
# Environment: SANITIZE_PORT (54380), SANITIZE_BASE (/tmp/dbos_asan), SANITIZE_SOURCE (worktree | a git rev),
# SANITIZE_CONTROL=1 (the same pipeline without sanitizers: tells a failure caused by the
# sanitizer build, e.g. its slower timing, from one that fails anyway),
# SANITIZE_KEEP=1 (leave the last cluster running), SANITIZE_PGCONF (extra postgresql.conf
# lines), SANITIZE_MODES ("not_preloaded preloaded": the modes to run).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PORT=${SANITIZE_PORT:-54380}
BASE=${SANITIZE_BASE:-/tmp/dbos_asan}
case "$BASE" in /tmp/?*) ;; *) echo "SANITIZE_BASE must be a directory under /tmp (it is wiped)" >&2; exit 2 ;; esac
SRC=$BASE/src
PREFIX=$BASE/prefix
PGDATA=$BASE/cluster/data
SOCK=$BASE/cluster/sock
LOGS=$BASE/logs
OUT=$BASE/out
SYSBIN=/usr/lib/postgresql/15/bin             # clients and pg_config: never sanitized
PGLIB=$PREFIX/usr/lib/postgresql/15/lib
PGBIN=$PREFIX/usr/lib/postgresql/15/bin        # the server that runs the sanitizer build
SANFLAGS='-fsanitize=address,undefined -fno-omit-frame-pointer -O1 -g'
SANLDFLAGS='-fsanitize=address,undefined'
CONTROL=${SANITIZE_CONTROL:-}
if [ -n "$CONTROL" ]; then SANFLAGS=''; SANLDFLAGS=''; echo "mode: CONTROL (no sanitizers)"; fi
LABEL=$([ -n "$CONTROL" ] && echo "control" || echo "ASan")   # suite names: "ASan pg_regress (preloaded)"
MODES=${SANITIZE_MODES:-not_preloaded preloaded}
START=$(date +%s)

for forbidden in 54329 54330 54331 54340 54350 54360; do
  [ "$PORT" = "$forbidden" ] && { echo "port $PORT belongs to another cluster" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "run as root (the cluster runs as the postgres user)" >&2; exit 2; }

passed=0; failed=0
setup_failed=0
pass() { echo "ok   $*"; }   # a setup step: not counted
fail() { setup_failed=$((setup_failed + 1)); echo "FAIL $*"; }   # a failed setup step: counted
suite() {  # suite NAME PASSED FAILED [SKIPPED]: one suite's result line, added to the totals
  echo "suite $LABEL $1: $2 passed, $3 failed${4:+, $4 skipped}"
  passed=$((passed + $2)); failed=$((failed + $3))
}
finish() {
  echo "runtime: $(($(date +%s) - START)) s; logs and reports in $LOGS"
  [ "$setup_failed" -gt 0 ] && suite "setup" 0 "$setup_failed"
  echo "sanitize: $passed passed, $failed failed"
  [ "$failed" -eq 0 ]
  exit
}
phase() { echo "== $* ($(($(date +%s) - START)) s)"; }
as_pg() { runuser -u postgres -- "$@"; }
stop_cluster() {
  [ -f "$PGDATA/postmaster.pid" ] && as_pg "$SYSBIN/pg_ctl" -D "$PGDATA" -m fast -w -t 60 stop >/dev/null 2>&1
  return 0
}

# --- 1. Tools ------------------------------------------------------------------------------
phase "tools"
LIBASAN=$(gcc -print-file-name=libasan.so)
[ -f "$LIBASAN" ] || { fail "no libasan ($LIBASAN): apt-get install gcc"; finish; }
[ -f /usr/include/postgresql/15/server/postgres.h ] || { fail "no postgresql-server-dev-15"; finish; }
[ -f /usr/include/rapidjson/document.h ] || { fail "no rapidjson-dev"; finish; }
[ -d "$ROOT/test/interop/node_modules/@dbos-inc/dbos-sdk" ] \
  || { fail "no test/interop/node_modules: run (cd test/interop && npm ci) once"; finish; }
if ss -ltn 2>/dev/null | grep ":$PORT " >/dev/null; then
  # Only a cluster of ours may hold the port: stop it, else give up.
  if [ -f "$PGDATA/postmaster.pid" ]; then stop_cluster; fi
  if ss -ltn | grep ":$PORT " >/dev/null; then fail "port $PORT is in use by someone else"; finish; fi
fi

# --- 2. Source copy and sanitizer build --------------------------------------------------------
phase "build (ASan + UBSan) in $SRC"
rm -rf "$SRC" "$OUT" "$LOGS" "$PREFIX"
mkdir -p "$SRC" "$OUT" "$LOGS"
if [ "${SANITIZE_SOURCE:-worktree}" = worktree ]; then
  tar -C "$ROOT" --exclude=./.git --exclude=node_modules --exclude='*.o' --exclude='*.so' --exclude='*.bc' \
    --exclude=./results --exclude=./output_iso --exclude='./regression.*' --exclude=./log -cf - . | tar -C "$SRC" -xf - \
    || { fail "copying the working tree"; finish; }
else
  git -C "$ROOT" archive "$SANITIZE_SOURCE" | tar -x -C "$SRC" || { fail "git archive $SANITIZE_SOURCE"; finish; }
fi
echo "source: ${SANITIZE_SOURCE:-worktree} of $ROOT ($(git -C "$ROOT" rev-parse --short HEAD)$(
  [ "${SANITIZE_SOURCE:-worktree}" = worktree ] && [ -n "$(git -C "$ROOT" status --porcelain -- src sql expected test/specs test/expected)" ] && echo ' + uncommitted changes'))"
ln -s "$ROOT/test/interop/node_modules" "$SRC/test/interop/node_modules"
(cd "$SRC" && make -s clean >/dev/null 2>&1
 make -s -j"$(nproc)" PG_CONFIG=$SYSBIN/pg_config EXTRA_CXXFLAGS="$SANFLAGS" \
   EXTRA_LDFLAGS="$SANLDFLAGS") > "$LOGS/build.log" 2>&1
if [ $? -ne 0 ] || { [ -z "$CONTROL" ] && ! ldd "$SRC/dbos_client.so" | grep libasan >/dev/null; }; then
  tail -30 "$LOGS/build.log"; fail "sanitizer build"; finish
fi
pass "$([ -n "$CONTROL" ] && echo "control (no sanitizer)" || echo sanitizer) build ($(ldd "$SRC/dbos_client.so" | grep -oE 'lib(a|ub)san[^ ]*' | sort -u | tr '\n' ' '))"

# --- 3. Private PostgreSQL prefix ----------------------------------------------------------------
phase "private PostgreSQL prefix $PREFIX"
mkdir -p "$PREFIX/usr/lib/postgresql" "$PREFIX/usr/share/postgresql"
cp -a /usr/lib/postgresql/15 "$PREFIX/usr/lib/postgresql/"
cp -a /usr/share/postgresql/15 "$PREFIX/usr/share/postgresql/"
(cd "$SRC" && make -s install DESTDIR="$PREFIX" PG_CONFIG=$SYSBIN/pg_config) >> "$LOGS/build.log" 2>&1 \
  || { fail "install into $PREFIX"; finish; }
[ "$("$PGBIN/pg_config" --pkglibdir)" = "$PGLIB" ] || { fail "private pg_config does not point into $PREFIX"; finish; }
cmp -s "$SRC/dbos_client.so" "$PGLIB/dbos_client.so" || { fail "private dbos_client.so is not the sanitizer build"; finish; }
UBSAN_OPTS="print_stacktrace=1:halt_on_error=1:abort_on_error=1:disable_coredump=1"
gcc -shared -fPIC -O1 -o "$BASE/preload.so" "$HERE/preload.c" -DSANITIZE_UBSAN_OPTIONS="\"$UBSAN_OPTS\"" \
  -Wl,-z,initfirst -Wl,--no-as-needed "$LIBASAN" || { fail "preload.so"; finish; }
gcc -shared -fPIC $SANFLAGS -I/usr/include/postgresql/15/server -o "$PGLIB/dbos_sanitize_canary.so" \
  "$HERE/canary.c" || { fail "canary module"; finish; }

# --- 4. One mode: a private cluster under ASan, the suites, the reports --------------------------
UBSAN_OPTS_ENV="$UBSAN_OPTS"
export PATH=$SYSBIN:$PATH PGHOST=$SOCK PGPORT=$PORT PGUSER=postgres PGDATABASE=postgres TMPDIR=$BASE/tmp
PSQL="psql -X -q -v ON_ERROR_STOP=1"
canary_done=""

start_cluster() {  # start_cluster EXTRA_CONF
  stop_cluster
  rm -rf "$BASE/cluster"
  mkdir -p "$PGDATA" "$SOCK" "$BASE/tmp"
  chown -R postgres:postgres "$BASE/cluster" "$LOGS" "$BASE/tmp"
  as_pg "$PGBIN/initdb" -D "$PGDATA" -A trust -U postgres --no-sync -E UTF8 > "$LOGS/initdb.log" 2>&1 \
    || { cat "$LOGS/initdb.log"; return 1; }
  cat >> "$PGDATA/postgresql.conf" <<CONF
port = $PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$SOCK'
max_connections = 200
fsync = off
log_min_messages = warning
log_line_prefix = '%m [%p] '
max_prepared_transactions = 10
${SANITIZE_PGCONF:-}
$1
CONF
  local preload=(LD_PRELOAD="$LIBASAN:$BASE/preload.so"); [ -n "$CONTROL" ] && preload=()
  # ASAN_OPTIONS / UBSAN_OPTIONS for the postmaster only; clients are not sanitized.
  as_pg env "${preload[@]}" ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:disable_coredump=1:detect_stack_use_after_return=1:log_path=$LOGS/asan" \
    UBSAN_OPTIONS="$UBSAN_OPTS_ENV" \
    timeout 120 "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w -t 100 start > /dev/null \
    || { tail -20 "$PGDATA/server.log"; return 1; }
}

# The test databases, as test/lib.sh prepare_database makes them, on this cluster.
prepare_database() {
  local db=$1 url="postgresql://postgres@127.0.0.1:$PORT/$1"
  dropdb --if-exists "$db" && createdb "$db" || return 1
  (cd "$SRC/test/interop" && npx --no-install dbos schema "$url" >/dev/null \
    && npx --no-install dbos schema "$url" -s dbos_legacy108 >/dev/null) || return 1
  $PSQL -d "$db" -c "DROP TABLE dbos_legacy108.workflow_input, dbos_legacy108.workflow_output;
                     UPDATE dbos_legacy108.dbos_migrations SET version = 108;"
}

# pg_regress / pg_isolation_regress log: one test per file; the files are those on disk.
regress_suite() {  # regress_suite NAME LOG EXIT_STATUS EXPECTED
  local p f
  p=$(grep -cE '\.\.\. ok' "$2"); f=$(grep -cE '\.\.\. FAILED|\.\.\. failed' "$2")
  if [ $((p + f)) -lt "$4" ]; then echo "$1: $(($4 - p - f)) of $4 files did not run"; f=$(($4 - p)); fi
  if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then echo "$1: exit status $3 without a failed test"; f=1; fi
  suite "$1" "$p" "$f"
}

run_mode() {  # run_mode not_preloaded|preloaded
  local tag=$1 mode=${1//_/ } conf="" mlogs="$LOGS/$1" tests specs rc maps
  [ "$tag" = preloaded ] && conf="shared_preload_libraries = 'dbos_client'"
  mkdir -p "$mlogs" "$OUT/$tag"
  phase "cluster on port $PORT, library $mode"
  local names=("pg_regress ($mode)" "isolation ($mode)" "interop ($mode)" "reports ($mode)")
  skip_mode() { fail "$1"; for n in "${names[@]}"; do suite "$n" 0 1; done; }
  start_cluster "$conf" || { skip_mode "cluster start ($mode)"; return; }
  [ "${SANITIZE_KEEP:-}" = 1 ] || trap stop_cluster EXIT

  # The backend maps the private, sanitized library and the ASan runtime (the postmaster too,
  # when the library is preloaded: its backends inherit it).
  maps=$($PSQL -At -c "LOAD 'dbos_client'" -c "SELECT DISTINCT substring(l from '(/\\S+)$')
    FROM regexp_split_to_table(pg_read_file('/proc/' || pg_backend_pid() || '/maps'), E'\\n') l
    WHERE l ~ '(dbos_client|asan)'" 2>&1)
  echo "backend maps:" $maps
  if grep -qx "$PGLIB/dbos_client.so" <<<"$maps" && { [ -n "$CONTROL" ] || grep -q libasan <<<"$maps"; } \
     && ! grep -qx /usr/lib/postgresql/15/lib/dbos_client.so <<<"$maps"; then
    pass "backend loads $PGLIB/dbos_client.so$([ -z "$CONTROL" ] && echo ' under ASan')"
  else
    skip_mode "backend does not load the private sanitizer build ($mode)"; return
  fi
  if [ "$tag" = preloaded ] && ! $PSQL -At -c "SHOW shared_preload_libraries" | grep -q dbos_client; then
    skip_mode "the library is not preloaded"; return
  fi

  # Canary (once): reports from a dlopen'ed module reach the logs.
  if [ -z "$CONTROL" ] && [ -z "$canary_done" ]; then
    canary_done=1
    phase "canary"
    local canary_from=$(($(wc -l < "$PGDATA/server.log") + 1)) f
    $PSQL -c "CREATE FUNCTION asan_canary(int) RETURNS void AS 'dbos_sanitize_canary' LANGUAGE C STRICT;
              CREATE FUNCTION ubsan_canary(int) RETURNS int AS 'dbos_sanitize_canary' LANGUAGE C STRICT;"
    for f in "asan_canary(13)" "ubsan_canary(2147483647)"; do
      $PSQL -c "SELECT $f" >/dev/null 2>&1 && echo "canary $f returned normally"
      for _ in $(seq 100); do $PSQL -c "SELECT 1" >/dev/null 2>&1 && break; sleep 0.2; done   # crash restart
    done
    $PSQL -c "DROP FUNCTION asan_canary(int); DROP FUNCTION ubsan_canary(int)"
    mkdir -p "$LOGS/canary"
    tail -n +"$canary_from" "$PGDATA/server.log" > "$LOGS/canary/server.log"
    mv "$LOGS"/asan.* "$LOGS/canary/" 2>/dev/null
    if grep -q "heap-buffer-overflow" "$LOGS"/canary/asan.* 2>/dev/null \
       && grep -q "canary.c:[0-9:]* runtime error: signed integer overflow" "$LOGS/canary/server.log" \
       && [ "$(grep -c 'terminated by signal 6' "$LOGS/canary/server.log")" = 2 ]; then
      pass "canary: an ASan and a UBSan report from a loaded module are caught, each aborting its backend"
    else
      fail "canary: the sanitizers do not report as expected (see $LOGS/canary)"; finish
    fi
  fi
  local log_from=$(($(wc -l < "$PGDATA/server.log") + 1))   # server log lines after the canary crashes

  phase "databases ($mode)"
  if ! { prepare_database contrib_regression && prepare_database isolation_regression \
         && $PSQL -d isolation_regression -c 'CREATE EXTENSION dbos_client'; }; then
    skip_mode "preparing the test databases ($mode)"; return
  fi

  phase "pg_regress (sql/, expected/), library $mode"
  tests=$(cd "$SRC/sql" && ls *.sql | sed 's/\.sql$//')
  "$PGLIB/pgxs/src/test/regress/pg_regress" --inputdir="$SRC" --outputdir="$OUT/$tag/regress" --bindir="$SYSBIN" \
    --host="$SOCK" --port="$PORT" --use-existing --dbname=contrib_regression $tests > "$mlogs/regress.log" 2>&1
  rc=$?
  cat "$mlogs/regress.log"; regress_suite "pg_regress ($mode)" "$mlogs/regress.log" "$rc" "$(wc -w <<<"$tests")"
  [ -f "$OUT/$tag/regress/regression.diffs" ] && head -100 "$OUT/$tag/regress/regression.diffs"

  phase "isolation (test/specs, test/expected), library $mode"
  specs=$(cd "$SRC/test/specs" && ls *.spec | sed 's/\.spec$//')
  "$PGLIB/pgxs/src/test/isolation/pg_isolation_regress" --inputdir="$SRC/test" --outputdir="$OUT/$tag/isolation" \
    --bindir="$SYSBIN" --host="$SOCK" --port="$PORT" --use-existing --dbname=isolation_regression \
    $specs > "$mlogs/isolation.log" 2>&1
  rc=$?
  cat "$mlogs/isolation.log"; regress_suite "isolation ($mode)" "$mlogs/isolation.log" "$rc" "$(wc -w <<<"$specs")"
  [ -f "$OUT/$tag/isolation/regression.diffs" ] && head -100 "$OUT/$tag/isolation/regression.diffs"

  phase "interop (real DBOS TypeScript worker), library $mode"
  PGHOST=127.0.0.1 PGPORT=$PORT DBOS_SUITE_PREFIX="$LABEL " node "$SRC/test/interop/run.js" > "$mlogs/interop.log" 2>&1
  rc=$?
  # Its own suite line ("suite ASan interop (<mode>): ...") is re-read here, not repeated.
  sed -E 's/^suite /  (interop) suite /' "$mlogs/interop.log"
  local line
  line=$(grep -E "^suite $LABEL interop \\(([a-z ]+)\\): [0-9]+ passed, [0-9]+ failed" "$mlogs/interop.log" | tail -1)
  if [ -n "$line" ]; then
    local skipped
    skipped=$(grep -oE '[0-9]+ skipped' <<<"$line" | grep -oE '[0-9]+')
    suite "interop ($mode)" "$(sed -E 's/.*: ([0-9]+) passed.*/\1/' <<<"$line")" "$(sed -E 's/.* ([0-9]+) failed.*/\1/' <<<"$line")" "$skipped"
    grep -q "($mode)" <<<"$line" || fail "interop reports another mode than $mode: $line"
  else
    echo "interop suite did not report a result (exit status $rc)"; suite "interop ($mode)" 0 1
  fi

  phase "sanitizer reports, library $mode"
  stop_cluster
  tail -n +"$log_from" "$PGDATA/server.log" > "$mlogs/server.log"
  local reports ub bad=0
  reports=$(ls "$LOGS"/asan.* 2>/dev/null)
  for r in $reports; do
    echo "ASan report $r: $(grep -m1 -E 'ERROR: AddressSanitizer' "$r")"; head -60 "$r"; bad=1
    mv "$r" "$mlogs/"
  done
  ub=$(grep -c 'runtime error:' "$mlogs/server.log")
  if [ "$ub" -gt 0 ]; then
    echo "UBSan reports: $ub"; grep -A25 'runtime error:' "$mlogs/server.log" | head -120; bad=1
  fi
  if grep -qE 'terminated by signal|was terminated by exception' "$mlogs/server.log"; then
    echo "crashed backends in the server log:"
    grep -E 'terminated by signal|was terminated by exception' "$mlogs/server.log" | head -20; bad=1
  fi
  # One test per mode: everything above ran without a report or a crash.
  if [ "$bad" = 0 ]; then suite "reports ($mode)" 1 0; else suite "reports ($mode)" 0 1; fi
}

for m in $MODES; do run_mode "$m"; done
[ "${SANITIZE_KEEP:-}" = 1 ] && { start_cluster "$([ "${MODES##* }" = preloaded ] && echo "shared_preload_libraries = 'dbos_client'")" \
  && echo "cluster kept running on port $PORT"; }
finish
