#!/usr/bin/env bash
# The regression, isolation and interop suites against dbos_client built with
# AddressSanitizer + UndefinedBehaviorSanitizer, in one command:
#
#   test/sanitize/run.sh            # as root; ends with "sanitize: N passed, M failed"
#
# Nothing outside /tmp/dbos_asan is touched: the system-installed extension stays as it is.
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
# Environment: SANITIZE_PORT (54380), SANITIZE_SOURCE (worktree | a git rev),
# SANITIZE_CONTROL=1 (the same pipeline without sanitizers: tells a failure caused by the
# sanitizer build, e.g. its slower timing, from one that fails anyway),
# SANITIZE_KEEP=1 (leave the cluster running), SANITIZE_PGCONF (extra postgresql.conf
# lines, e.g. "shared_preload_libraries = 'dbos_client'").
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PORT=${SANITIZE_PORT:-54380}
BASE=/tmp/dbos_asan
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
START=$(date +%s)

for forbidden in 54329 54330 54331 54340 54350 54360; do
  [ "$PORT" = "$forbidden" ] && { echo "port $PORT belongs to another cluster" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "run as root (the cluster runs as the postgres user)" >&2; exit 2; }

passed=0; failed=0
pass() { passed=$((passed + 1)); echo "PASS $*"; }
fail() { failed=$((failed + 1)); echo "FAIL $*"; }
finish() {
  echo "runtime: $(($(date +%s) - START)) s; logs and reports in $LOGS"
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

# --- 4. Private cluster under ASan ---------------------------------------------------------------
phase "cluster on port $PORT"
stop_cluster
rm -rf "$BASE/cluster"
mkdir -p "$PGDATA" "$SOCK" "$BASE/tmp"
chown -R postgres:postgres "$BASE/cluster" "$LOGS" "$BASE/tmp"
as_pg "$PGBIN/initdb" -D "$PGDATA" -A trust -U postgres --no-sync -E UTF8 > "$LOGS/initdb.log" 2>&1 \
  || { cat "$LOGS/initdb.log"; fail "initdb"; finish; }
cat >> "$PGDATA/postgresql.conf" <<CONF
port = $PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$SOCK'
max_connections = 200
fsync = off
log_min_messages = warning
log_line_prefix = '%m [%p] '
${SANITIZE_PGCONF:-}
CONF
export ASAN_OPTIONS="detect_leaks=0:abort_on_error=1:disable_coredump=1:detect_stack_use_after_return=1:log_path=$LOGS/asan"
export UBSAN_OPTIONS="$UBSAN_OPTS"   # for a child that initializes UBSan itself; see preload.c
preload=(LD_PRELOAD="$LIBASAN:$BASE/preload.so"); [ -n "$CONTROL" ] && preload=()
as_pg env "${preload[@]}" ASAN_OPTIONS="$ASAN_OPTIONS" UBSAN_OPTIONS="$UBSAN_OPTIONS" \
  timeout 120 "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w -t 100 start > /dev/null \
  || { tail -20 "$PGDATA/server.log"; fail "cluster start"; finish; }
unset ASAN_OPTIONS UBSAN_OPTIONS   # for the postmaster only; clients are not sanitized
[ "${SANITIZE_KEEP:-}" = 1 ] || trap stop_cluster EXIT
export PATH=$SYSBIN:$PATH PGHOST=$SOCK PGPORT=$PORT PGUSER=postgres PGDATABASE=postgres TMPDIR=$BASE/tmp
PSQL="psql -X -q -v ON_ERROR_STOP=1"

# The backend must map the private, sanitized library and the ASan runtime.
maps=$($PSQL -At -c "LOAD 'dbos_client'" -c "SELECT DISTINCT substring(l from '(/\\S+)$')
  FROM regexp_split_to_table(pg_read_file('/proc/' || pg_backend_pid() || '/maps'), E'\\n') l
  WHERE l ~ '(dbos_client|asan)'" 2>&1)
echo "backend maps:" $maps
if grep -qx "$PGLIB/dbos_client.so" <<<"$maps" && { [ -n "$CONTROL" ] || grep -q libasan <<<"$maps"; } \
   && ! grep -qx /usr/lib/postgresql/15/lib/dbos_client.so <<<"$maps"; then
  pass "backend loads $PGLIB/dbos_client.so$([ -z "$CONTROL" ] && echo ' under ASan')"
else
  fail "backend does not load the private sanitizer build"; finish
fi

# --- 5. Canary: reports from a dlopen'ed module reach the logs -------------------------------------
if [ -z "$CONTROL" ]; then
phase "canary"
canary_from=$(($(wc -l < "$PGDATA/server.log") + 1))
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
log_from=$(($(wc -l < "$PGDATA/server.log") + 1))   # server log lines after the canary crashes

# --- 6. Databases (test/lib.sh prepare_database, on this cluster) -----------------------------------
prepare_database() {
  local db=$1 url="postgresql://postgres@127.0.0.1:$PORT/$1"
  dropdb --if-exists "$db" && createdb "$db" || return 1
  (cd "$SRC/test/interop" && npx --no-install dbos schema "$url" >/dev/null \
    && npx --no-install dbos schema "$url" -s dbos_legacy108 >/dev/null) || return 1
  $PSQL -d "$db" -c "DROP TABLE dbos_legacy108.workflow_input, dbos_legacy108.workflow_output;
                     UPDATE dbos_legacy108.dbos_migrations SET version = 108;"
}
phase "databases"
prepare_database contrib_regression && prepare_database isolation_regression \
  && $PSQL -d isolation_regression -c 'CREATE EXTENSION dbos_client' \
  || { fail "preparing the test databases"; finish; }

count() {  # pg_regress "ok"/"FAILED" lines of a log
  local p f
  p=$(grep -cE '\.\.\. ok' "$1"); f=$(grep -cE '\.\.\. FAILED|\.\.\. failed' "$1")
  passed=$((passed + p)); failed=$((failed + f))
  [ "$p" -gt 0 ] || [ "$f" -gt 0 ] || fail "$2 reported no test"
}

# --- 7. pg_regress ---------------------------------------------------------------------------
phase "pg_regress (sql/, expected/)"
"$PGLIB/pgxs/src/test/regress/pg_regress" --inputdir="$SRC" --outputdir="$OUT/regress" --bindir="$SYSBIN" \
  --host="$SOCK" --port="$PORT" --use-existing --dbname=contrib_regression \
  $(cd "$SRC/sql" && ls *.sql | sed 's/\.sql$//') > "$LOGS/regress.log" 2>&1
cat "$LOGS/regress.log"; count "$LOGS/regress.log" pg_regress
[ -f "$OUT/regress/regression.diffs" ] && head -100 "$OUT/regress/regression.diffs"

# --- 8. Isolation specs ------------------------------------------------------------------------
if ls "$SRC"/test/specs/*.spec >/dev/null 2>&1; then
  phase "isolation (test/specs, test/expected)"
  "$PGLIB/pgxs/src/test/isolation/pg_isolation_regress" --inputdir="$SRC/test" --outputdir="$OUT/isolation" \
    --bindir="$SYSBIN" --host="$SOCK" --port="$PORT" --use-existing --dbname=isolation_regression \
    $(cd "$SRC/test/specs" && ls *.spec | sed 's/\.spec$//') > "$LOGS/isolation.log" 2>&1
  cat "$LOGS/isolation.log"; count "$LOGS/isolation.log" isolation
  [ -f "$OUT/isolation/regression.diffs" ] && head -100 "$OUT/isolation/regression.diffs"
fi

# --- 9. Interop with a real DBOS worker ----------------------------------------------------------
phase "interop (real DBOS TypeScript worker)"
PGHOST=127.0.0.1 PGPORT=$PORT node "$SRC/test/interop/run.js" > "$LOGS/interop.log" 2>&1
cat "$LOGS/interop.log"
line=$(grep -E '^interop: [0-9]+ passed, [0-9]+ failed' "$LOGS/interop.log" | tail -1)
if [ -n "$line" ]; then
  passed=$((passed + $(echo "$line" | sed -E 's/interop: ([0-9]+) passed.*/\1/')))
  failed=$((failed + $(echo "$line" | sed -E 's/.* ([0-9]+) failed/\1/')))
else
  fail "interop suite did not report a result"
fi

# --- 10. Sanitizer reports and crashes ---------------------------------------------------------------
phase "sanitizer reports"
stop_cluster
tail -n +"$log_from" "$PGDATA/server.log" > "$LOGS/server.log"
reports=$(ls "$LOGS"/asan.* 2>/dev/null)
for r in $reports; do
  fail "ASan report $r: $(grep -m1 -E 'ERROR: AddressSanitizer' "$r")"
  head -60 "$r"
done
ub=$(grep -c 'runtime error:' "$LOGS/server.log")
if [ "$ub" -gt 0 ]; then
  grep -n 'runtime error:' "$LOGS/server.log" | while read -r l; do fail "UBSan report: $l"; done
  failed=$((failed + ub))   # (the loop above runs in a subshell)
  grep -A25 'runtime error:' "$LOGS/server.log" | head -120
fi
[ -z "$reports" ] && [ "$ub" -eq 0 ] && pass "no ASan or UBSan report"
if grep -qE 'terminated by signal|was terminated by exception' "$LOGS/server.log"; then
  fail "crashed backends in the server log:"
  grep -E 'terminated by signal|was terminated by exception' "$LOGS/server.log" | head -20
else
  pass "no crashed backend in the server log"
fi
finish
