#!/usr/bin/env bash
# Builds and tests the extension on another PostgreSQL major version, in a second Debian root:
#   test/pgversions/run.sh 17     (Debian 13 "trixie": postgresql-17)
#   test/pgversions/run.sh 18     (Debian testing "forky": postgresql-18)
# The root is made once with mmdebstrap (retried: a mirror mid-sync fails a download) and cached in
# ${DBOS_ROOTS_CACHE:-/var/cache/dbos_client/roots}/pg<ver>
# (about 1.4 GB, 40-80 s; a stamp file is written last). Each run copies the working tree into
# the root, builds it with -Werror against that root's pg_config, installs it there, starts a
# throwaway cluster in the root as postgres (port 55170 for 17, 55180 for 18; override with
# PGV_PORT) and runs: pg_regress and the isolation specs with the root's own tools (library not
# preloaded), then the interop suite with a real DBOS worker from the host over TCP (preloaded).
# Prints "suite <name> (PG <ver>, ...): N passed, M failed" lines; exits non-zero on a failure.
# Mounts and the cluster are released at exit.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT_DIR=$(pwd)
VER=${1:?usage: $0 17|18}
case "$VER" in
  17) SUITE=trixie ;;
  18) SUITE=forky ;;
  *) echo "no Debian suite known for PostgreSQL $VER" >&2; exit 2 ;;
esac
PORT=${PGV_PORT:-551${VER: -1}0}
CACHE=${DBOS_ROOTS_CACHE:-/var/cache/dbos_client/roots}
R=$CACHE/pg$VER
LOGS=${DBOS_TEST_LOGS:-/tmp/dbos_test_logs}/pg$VER
BIN=/usr/lib/postgresql/$VER/bin
PGXS_TEST=/usr/lib/postgresql/$VER/lib/pgxs/src/test
mkdir -p "$LOGS" "$CACHE"

. test/roots.sh  # mmdebstrap_retry

fail_all() {  # a setup step failed: every suite of this version fails
  echo "SETUP FAILED (PG $VER): $1"
  for s in "pg_regress (PG $VER, not preloaded)" "isolation (PG $VER, not preloaded)" "interop (PG $VER, preloaded)"; do
    echo "suite $s: 0 passed, 1 failed; setup failed: $1"
  done
  exit 1
}

# ---- the root -----------------------------------------------------------------------------
if [ ! -f "$R.stamp" ]; then
  command -v mmdebstrap >/dev/null || apt_install mmdebstrap || fail_all "apt-get install mmdebstrap"
  rm -rf "$R" "$R.stamp"
  echo "creating the $SUITE root for PostgreSQL $VER in $R"
  start=$(date +%s)
  # Debian testing's Release files can be past their Valid-Until on a frozen mirror.
  mmdebstrap_retry "$LOGS/mmdebstrap.log" "$R" --variant=apt --aptopt='Acquire::Check-Valid-Until "false"' \
    --include=postgresql-$VER,postgresql-server-dev-$VER,g++,make,rapidjson-dev,locales \
    "$SUITE" "$R" http://deb.debian.org/debian \
    || fail_all "mmdebstrap $SUITE: $(grep -E '^E: ' "$LOGS/mmdebstrap.log" | tail -1 | cut -c1-120)"
  date -u > "$R.stamp"
  echo "root ready in $(( $(date +%s) - start )) s"
fi

MOUNTS=()
cleanup() {
  chroot "$R" runuser -u postgres -- "$BIN/pg_ctl" -D /run/dbos_pgv/data -m immediate -w stop >/dev/null 2>&1
  for ((i = ${#MOUNTS[@]} - 1; i >= 0; i--)); do umount -l "${MOUNTS[$i]}" 2>/dev/null; done
}
trap cleanup EXIT
trap 'exit 130' INT TERM
for m in proc dev dev/shm; do
  mkdir -p "$R/$m"
  if [ "$m" = proc ]; then mount -t proc proc "$R/proc"; else mount --bind "/$m" "$R/$m"; fi \
    && MOUNTS+=("$R/$m") || fail_all "mount /$m in the root"
done
in_root() { chroot "$R" "$@"; }

# ---- build and install in the root ----------------------------------------------------------
rm -rf "$R/src" && mkdir -p "$R/src"
git ls-files -co --exclude-standard -z | grep -zv '^test/interop/node_modules/\|^examples/node/node_modules/' \
  | tar --null -T - -c 2>/dev/null | tar -x -C "$R/src" || fail_all "copy the tree into the root"
start=$(date +%s)
in_root bash -c "cd /src && make -s -j2 PG_CONFIG=$BIN/pg_config EXTRA_CXXFLAGS=-Werror && make -s install PG_CONFIG=$BIN/pg_config" \
  > "$LOGS/build.log" 2>&1 || { tail -30 "$LOGS/build.log"; fail_all "build with -Werror and install"; }
echo "built and installed for PostgreSQL $VER in $(( $(date +%s) - start )) s"

# ---- a throwaway cluster in the root -------------------------------------------------------
start_cluster() {  # start_cluster EXTRA_CONF
  in_root runuser -u postgres -- "$BIN/pg_ctl" -D /run/dbos_pgv/data -m fast -w stop >/dev/null 2>&1
  rm -rf "$R/run/dbos_pgv" && mkdir -p "$R/run/dbos_pgv/sock" && in_root chown -R postgres:postgres /run/dbos_pgv
  in_root runuser -u postgres -- "$BIN/initdb" -D /run/dbos_pgv/data -A trust -U postgres --no-sync -E UTF8 >/dev/null || return 1
  cat >> "$R/run/dbos_pgv/data/postgresql.conf" <<CONF
port = $PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '/run/dbos_pgv/sock'
max_connections = 200
fsync = off
log_min_messages = warning
log_line_prefix = '%m [%p] '
$1
CONF
  in_root runuser -u postgres -- "$BIN/pg_ctl" -D /run/dbos_pgv/data -l /run/dbos_pgv/server.log -w start >/dev/null
}
crashed() { grep -qE "terminated by signal|was terminated by exception" "$R/run/dbos_pgv/server.log"; }

# Host clients (psql 15, npx dbos schema, node) reach the server over TCP.
export PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=postgres DBOS_PGPORT=$PORT
. test/lib.sh
export PGHOST=127.0.0.1 PGPORT=$PORT

count_regress() {  # count_regress NAME LOG EXIT_STATUS EXPECTED
  local p f
  p=$(grep -cE '\.\.\. ok|^ok ' "$2"); f=$(grep -cE '\.\.\. FAILED|\.\.\. failed|^not ok ' "$2")
  [ $((p + f)) -lt "$4" ] && f=$(($4 - p))
  [ "$3" -ne 0 ] && [ "$f" -eq 0 ] && f=1
  echo "suite $1: $p passed, $f failed"
}

rc_all=0
if start_cluster ""; then
  tests=$(ls sql/*.sql | sed 's|sql/||; s|\.sql$||')
  specs=$(ls test/specs/*.spec | sed 's|test/specs/||; s|\.spec$||')
  if prepare_database contrib_regression; then
    in_root runuser -u postgres -- bash -c "cd /src && $PGXS_TEST/regress/pg_regress --inputdir=. --outputdir=/tmp/pgv_regress \
      --bindir=$BIN --host=/run/dbos_pgv/sock --port=$PORT --use-existing --dbname=contrib_regression $(echo $tests)" \
      > "$LOGS/regress.log" 2>&1
    rc=$?; cat "$LOGS/regress.log"
    [ -f "$R/tmp/pgv_regress/regression.diffs" ] && head -150 "$R/tmp/pgv_regress/regression.diffs"
    count_regress "pg_regress (PG $VER, not preloaded)" "$LOGS/regress.log" $rc "$(wc -w <<<"$tests")"
    [ $rc -ne 0 ] && rc_all=1
  else
    echo "suite pg_regress (PG $VER, not preloaded): 0 passed, 1 failed"; rc_all=1
  fi
  if prepare_database isolation_regression && psql -X -q -v ON_ERROR_STOP=1 -d isolation_regression -c 'CREATE EXTENSION dbos_client'; then
    in_root runuser -u postgres -- bash -c "cd /src && $PGXS_TEST/isolation/pg_isolation_regress --inputdir=test \
      --outputdir=/tmp/pgv_isolation --bindir=$BIN --host=/run/dbos_pgv/sock --port=$PORT --use-existing \
      --dbname=isolation_regression $(echo $specs)" > "$LOGS/isolation.log" 2>&1
    rc=$?; cat "$LOGS/isolation.log"
    [ -f "$R/tmp/pgv_isolation/regression.diffs" ] && head -150 "$R/tmp/pgv_isolation/regression.diffs"
    count_regress "isolation (PG $VER, not preloaded)" "$LOGS/isolation.log" $rc "$(wc -w <<<"$specs")"
    [ $rc -ne 0 ] && rc_all=1
  else
    echo "suite isolation (PG $VER, not preloaded): 0 passed, 1 failed"; rc_all=1
  fi
  if crashed; then echo "suite server log (PG $VER, not preloaded): 0 passed, 1 failed"; rc_all=1; fi
else
  fail_all "start a cluster in the root"
fi

if start_cluster "shared_preload_libraries = 'dbos_client'
max_prepared_transactions = 10"; then
  DBOS_SUITE_PREFIX="PG $VER " node test/interop/run.js > "$LOGS/interop.log" 2>&1
  rc=$?; cat "$LOGS/interop.log"
  [ $rc -ne 0 ] && rc_all=1
  if crashed; then echo "suite server log (PG $VER, preloaded): 0 passed, 1 failed"; rc_all=1; fi
else
  echo "suite interop (PG $VER, preloaded): 0 passed, 1 failed"; rc_all=1
fi
exit $rc_all
