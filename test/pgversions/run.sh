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
PKG_TOOLS=build-essential,debhelper,dpkg-dev,fakeroot,postgresql-server-dev-all   # to build the .deb in the root
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
  rm -rf --one-file-system "$R" "$R.stamp"   # never into a /dev or /proc an aborted run left mounted
  echo "creating the $SUITE root for PostgreSQL $VER in $R"
  start=$(date +%s)
  # Debian testing's Release files can be past their Valid-Until on a frozen mirror.
  mmdebstrap_retry "$LOGS/mmdebstrap.log" "$R" --variant=apt --aptopt='Acquire::Check-Valid-Until "false"' \
    --include=postgresql-$VER,postgresql-server-dev-$VER,g++,make,rapidjson-dev,locales,$PKG_TOOLS \
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
rm -rf --one-file-system "$R/src" && mkdir -p "$R/src"
git ls-files -co --exclude-standard -z | grep -zv '^test/interop/node_modules/\|^examples/node/node_modules/' \
  | tar --null -T - -c 2>/dev/null | tar -x -C "$R/src" || fail_all "copy the tree into the root"
start=$(date +%s)
in_root bash -c "cd /src && make -s -j2 PG_CONFIG=$BIN/pg_config EXTRA_CXXFLAGS=-Werror && make -s install PG_CONFIG=$BIN/pg_config" \
  > "$LOGS/build.log" 2>&1 || { tail -30 "$LOGS/build.log"; fail_all "build with -Werror and install"; }
echo "built and installed for PostgreSQL $VER in $(( $(date +%s) - start )) s"

# ---- the Debian package, built in the root and installed in place of make install ------------
# debian/ with pg_buildext makes postgresql-$VER-dbos-client here (the root's server is the one
# it supports). The suites below then run against the packaged files. A root cached before
# the package tools were part of it gets them now.
pkg_ok=0 pkg_fail=0
packaged_files() {
  local f
  for f in /usr/lib/postgresql/$VER/lib/dbos_client.so /usr/share/postgresql/$VER/extension/dbos_client.control \
           $(cd "$R/src" && ls dbos_client--*.sql | sed "s|^|/usr/share/postgresql/$VER/extension/|"); do
    in_root dpkg -S "$f" >/dev/null 2>&1 || { echo "not in the package: $f"; return 1; }
  done
}
pkg_check() { if eval "$2"; then echo "ok: $1"; pkg_ok=$((pkg_ok + 1)); else echo "FAILED: $1"; pkg_fail=$((pkg_fail + 1)); fi; }
start=$(date +%s)
need_tools=0
for t in ${PKG_TOOLS//,/ }; do
  in_root dpkg-query -W -f='${Status}' "$t" 2>/dev/null | grep -q 'install ok installed' || need_tools=1
done
if [ "$need_tools" = 1 ]; then
  for attempt in 1 2 3; do
    in_root bash -c "apt-get -qq update && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${PKG_TOOLS//,/ }" \
      > "$LOGS/pkg_tools.log" 2>&1 && break
    sleep $((attempt * 20))
  done
fi
rm -rf "$R/pkgsrc" "$R"/postgresql-*-dbos-client*.deb && mkdir -p "$R/pkgsrc"
tar -C "$R/src" --exclude='*.o' --exclude='*.d' --exclude='*.so' --exclude='*.bc' -c . | tar -x -C "$R/pkgsrc"
pkg_check "the .deb builds in the $SUITE root (dpkg-buildpackage, pg_buildext)" \
  'in_root bash -c "cd /pkgsrc && pg_buildext updatecontrol && MAKEFLAGS=-j2 dpkg-buildpackage -us -uc -b" > "$LOGS/deb_build.log" 2>&1 || { tail -30 "$LOGS/deb_build.log"; false; }'
DEB=$(ls "$R"/postgresql-$VER-dbos-client_*.deb 2>/dev/null | head -1)
pkg_check "the package is postgresql-$VER-dbos-client" '[ -n "$DEB" ]'
if [ -n "$DEB" ]; then
  in_root bash -c "cd /src && make -s uninstall PG_CONFIG=$BIN/pg_config" >/dev/null 2>&1
  pkg_check "make uninstall left no dbos_client file to hide a missing one" \
    '! ls $R/usr/lib/postgresql/$VER/lib/dbos_client.so $R/usr/share/postgresql/$VER/extension/dbos_client* >/dev/null 2>&1'
  pkg_check "dpkg installs $(basename "$DEB")" 'in_root dpkg -i "/$(basename "$DEB")" > "$LOGS/deb_install.log" 2>&1'
  pkg_check "the package holds the .so, the control file and every dbos_client--*.sql" packaged_files
fi
echo "package built and installed in $(( $(date +%s) - start )) s; the suites below run against it"
echo "suite deb package (PG $VER): $pkg_ok passed, $pkg_fail failed"
if [ "$pkg_fail" -ne 0 ]; then  # the suites still run, on the make-installed build
  in_root bash -c "cd /src && make -s install PG_CONFIG=$BIN/pg_config" >/dev/null 2>&1
  rc_pkg=1
fi

# ---- a throwaway cluster in the root -------------------------------------------------------
start_cluster() {  # start_cluster EXTRA_CONF
  in_root runuser -u postgres -- "$BIN/pg_ctl" -D /run/dbos_pgv/data -m fast -w stop >/dev/null 2>&1
  rm -rf --one-file-system "$R/run/dbos_pgv" && mkdir -p "$R/run/dbos_pgv/sock" && in_root chown -R postgres:postgres /run/dbos_pgv
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

rc_all=${rc_pkg:-0}
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
