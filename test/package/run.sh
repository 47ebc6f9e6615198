#!/usr/bin/env bash
# The Debian package test: builds the .deb from a committed revision (test/package/build.sh),
# installs it with dpkg in a clean Debian 12 root that holds PostgreSQL 15 and nothing to build
# with, starts a throwaway cluster in that root and runs the pg_regress suite (sql/, expected/)
# against it from the host. Also runs test/package/meta.sh (META.json and version checks).
#
# Usage: test/package/run.sh [--ref REV] [--debs DIR]
#   --ref REV   revision to build and whose sql/ and expected/ to run (default HEAD)
#   --debs DIR  test the .deb files already in DIR instead of building them
# Environment: DBOS_PKG_PORT (55200; the autopkgtest's cluster uses the next port), DBOS_TEST_LOGS (/tmp/dbos_test_logs; output in .../package),
#   DBOS_ROOTS_CACHE (/var/cache/dbos_client/roots).
# The clean root is made once with mmdebstrap and cached (stamp file written last); each run
# mounts an overlay over it (or copies it where overlayfs is not available), so the cached
# root stays clean. Runs as root (mount, chroot).
# Prints "suite package metadata: ..." and "suite deb package (PG 15): N passed, M failed":
# one case per pg_regress file, plus "the .deb holds the .so, the control file and every
# dbos_client--*.sql", "the .deb installs with dpkg in the clean root and CREATE EXTENSION
# works" and "debian/tests/create-extension (autopkgtest) passes in the root".
# Exits non-zero on any failure.
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
REF=HEAD DEBS=""
while [ $# -gt 0 ]; do
  case $1 in
    --ref) REF=$2; shift 2 ;;
    --debs) DEBS=$(cd "$2" && pwd); shift 2 ;;
    *) echo "usage: $0 [--ref REV] [--debs DIR]" >&2; exit 2 ;;
  esac
done
PGV=15
PORT=${DBOS_PKG_PORT:-55200}
CACHE=${DBOS_ROOTS_CACHE:-/var/cache/dbos_client/roots}
CLEAN=$CACHE/bookworm-clean STAMP=$CACHE/bookworm-clean.stamp
LOGS=${DBOS_TEST_LOGS:-/tmp/dbos_test_logs}/package
SUITE="deb package (PG $PGV)"
HOSTBIN=/usr/lib/postgresql/$PGV/bin

PASS=0 FAIL=0 TOTAL_FILES=0 RAN_FILES=0
ok()   { PASS=$((PASS + 1)); echo "ok: $*"; }
bad()  { FAIL=$((FAIL + 1)); echo "FAILED: $*"; }
finish() {  # prints the suite line; files that did not run are failures
  local missing=$((TOTAL_FILES - RAN_FILES))
  if [ "$missing" -gt 0 ]; then
    echo "$missing of $TOTAL_FILES pg_regress files did not run"; FAIL=$((FAIL + missing))
  fi
  echo "timings: build ${T_BUILD:-0} s, clean root ${T_ROOT:-0} s (${ROOT_KIND:-not made}), install + cluster + suite ${T_TEST:-0} s"
  echo "suite $SUITE: $PASS passed, $FAIL failed"
  [ "$FAIL" -eq 0 ] && [ "${META_RC:-0}" -eq 0 ]
  exit $?
}
[ "$(id -u)" = 0 ] || { echo "run.sh must run as root (mount, chroot)"; bad "setup: not root"; finish; }

rm -rf "$LOGS" && mkdir -p "$LOGS" && chmod 777 "$LOGS"
RUN=$(mktemp -d /tmp/dbos_client_pkgtest.XXXXXX)
M=$RUN/root
cleanup() {
  trap '' INT TERM   # a second signal must not cut the cleanup short
  if [ -f "$M/var/tmp/dbos_pkg/data/postmaster.pid" ]; then
    chroot "$M" runuser -u postgres -- /usr/lib/postgresql/$PGV/bin/pg_ctl -D /var/tmp/dbos_pkg/data -m immediate -w stop >/dev/null 2>&1 \
      || kill -9 "$(head -1 "$M/var/tmp/dbos_pkg/data/postmaster.pid")" 2>/dev/null
  fi
  # Anything else still running in this root (an interrupted autopkgtest cluster) was started here.
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/root" 2>/dev/null)" = "$M" ] && kill -9 "${p#/proc/}" 2>/dev/null
  done
  # Every mount under the run directory, innermost first.
  for mp in $(awk -v r="$RUN/" 'index($2, r) == 1 {print $2}' /proc/mounts | sort -r); do
    umount "$mp" 2>/dev/null || umount -l "$mp"
  done
  if grep -qF " $RUN/" /proc/mounts; then
    echo "not removing $RUN: something is still mounted under it"
  else
    rm -rf "$RUN"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# ---- the revision under test: its sql/, expected/, control, META.json ---------------------------
SRC=$RUN/src
mkdir -p "$SRC"
if ! git -C "$ROOT" archive --format=tar "$REF" | tar -x -C "$SRC"; then bad "setup: git archive $REF"; finish; fi
TESTS=$(cd "$SRC" && ls sql/*.sql | sed 's|sql/||; s|\.sql$||')
TOTAL_FILES=$(wc -w <<<"$TESTS")
EXTVERSION=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$SRC/dbos_client.control")

echo "== META.json and versions ($REF)"
test/package/meta.sh "$SRC"; META_RC=$?

. test/roots.sh  # mmdebstrap_retry

# ---- host tools: mmdebstrap, pg_regress and psql (build deps), the DBOS CLI ---------------------
need=()
command -v mmdebstrap >/dev/null || need+=(mmdebstrap)
[ -x "$HOSTBIN/psql" ] || need+=(postgresql-client-$PGV)
[ -x /usr/lib/postgresql/$PGV/lib/pgxs/src/test/regress/pg_regress ] || need+=(postgresql-server-dev-$PGV)
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]}"
  apt_install "${need[@]}" \
    || { bad "setup: apt-get install ${need[*]}"; finish; }
fi
if [ ! -d test/interop/node_modules/@dbos-inc/dbos-sdk ]; then
  (cd test/interop && npm ci --no-audit --no-fund --loglevel=error) || { bad "setup: npm ci in test/interop"; finish; }
fi

# ---- the packages ---------------------------------------------------------------------------------
if [ -z "$DEBS" ]; then
  echo "== building the .deb from $REF"
  DEBS=$RUN/debs
  t=$(date +%s)
  test/package/build.sh --ref "$REF" --out "$DEBS" || { bad "setup: test/package/build.sh"; finish; }
  T_BUILD=$(( $(date +%s) - t ))
fi
DEB=$(ls "$DEBS"/postgresql-$PGV-dbos-client_*.deb 2>/dev/null | head -1)
[ -n "$DEB" ] || { bad "setup: no postgresql-$PGV-dbos-client_*.deb in $DEBS"; finish; }
echo "package: $(basename "$DEB")"

# Case: the files the extension needs are in the package.
contents=$(dpkg-deb -c "$DEB" | awk '{print $6}' | sed 's|^\./|/|')
missing=()
for f in /usr/lib/postgresql/$PGV/lib/dbos_client.so /usr/share/postgresql/$PGV/extension/dbos_client.control \
         $(cd "$SRC" && ls dbos_client--*.sql | sed "s|^|/usr/share/postgresql/$PGV/extension/|"); do
  grep -qxF "$f" <<<"$contents" || missing+=("$f")
done
if [ ${#missing[@]} -eq 0 ]; then
  ok "the .deb holds the .so, the control file and the $(cd "$SRC" && ls dbos_client--*.sql | wc -l) dbos_client--*.sql files of $REF"
else
  bad "the .deb lacks ${missing[*]}"
fi

# ---- the clean root: made once, then only read (overlay) ----------------------------------------
t=$(date +%s)
mkdir -p "$CACHE"
exec 9>"$CACHE/.lock"
flock 9
# The package depends on a minimum minor release (postgresql-15 (>> 15.x), from the build
# machine's postgresql-common): a cached root with an older server is made again.
min=$(dpkg-deb -f "$DEB" Depends | grep -oE "postgresql-$PGV \(>> [^)]*\)" | sed -E 's/.*>> ([^)]*)\)/\1/')
have=""
[ -f "$STAMP" ] && have=$(chroot "$CLEAN" dpkg-query -W -f='${Version}' postgresql-$PGV 2>/dev/null)
if [ -n "$have" ] && [ -x "$CLEAN/usr/lib/postgresql/$PGV/bin/postgres" ] \
   && { [ -z "$min" ] || dpkg --compare-versions "$have" gt "$min"; }; then
  ROOT_KIND=warm
else
  ROOT_KIND=cold
  [ -n "$have" ] && echo "the cached root has postgresql-$PGV $have; the package needs >> $min"
  echo "== creating the clean Debian 12 root $CLEAN (mmdebstrap, postgresql-$PGV only)"
  rm -f "$STAMP"; rm -rf --one-file-system "$CLEAN" "$CLEAN.tmp"
  if ! mmdebstrap_retry "$LOGS/mmdebstrap.log" "$CLEAN.tmp" --quiet --mode=root --variant=minbase \
        --include=postgresql-$PGV bookworm "$CLEAN.tmp" \
        "deb http://deb.debian.org/debian bookworm main" \
        "deb http://deb.debian.org/debian bookworm-updates main" \
        "deb http://deb.debian.org/debian-security bookworm-security main"; then
    rm -rf --one-file-system "$CLEAN.tmp"
    bad "setup: mmdebstrap"; flock -u 9; finish
  fi
  mv "$CLEAN.tmp" "$CLEAN" && date -u > "$STAMP"
fi
flock -u 9
T_ROOT=$(( $(date +%s) - t ))
echo "clean root ($ROOT_KIND, $T_ROOT s): $(chroot "$CLEAN" dpkg-query -W -f='${Package} ${Version}\n' postgresql-$PGV)"
t=$(date +%s)

mkdir -p "$RUN/upper" "$RUN/work" "$M"
if ! mount -t overlay overlay -o "lowerdir=$CLEAN,upperdir=$RUN/upper,workdir=$RUN/work" "$M" 2>/dev/null; then
  echo "no overlay mount here: copying the clean root"
  cp -a "$CLEAN/." "$M/" || { bad "setup: copying the clean root"; finish; }
fi
mount -t proc proc "$M/proc" \
  && mount -t tmpfs -o mode=755,size=64m dev "$M/dev" \
  || { bad "setup: mounting the root"; finish; }
for n in "null 1 3" "zero 1 5" "full 1 7" "random 1 8" "urandom 1 9" "tty 5 0"; do
  set -- $n
  mknod -m 666 "$M/dev/$1" c "$2" "$3" 2>/dev/null \
    || { touch "$M/dev/$1" && mount --bind "/dev/$1" "$M/dev/$1"; } || { bad "setup: /dev/$1 in the root"; finish; }
done
mkdir -m 1777 "$M/dev/shm"

# Case: dpkg installs the package in the clean root and the server loads it.
cp "$DEB" "$M/tmp/"
inroot() { chroot "$M" "$@"; }
aspg()   { chroot "$M" runuser -u postgres -- "$@"; }
PGBIN=/usr/lib/postgresql/$PGV/bin DATA=/var/tmp/dbos_pkg/data SOCK=/var/tmp/dbos_pkg/sock
if ss -ltn "( sport = :$PORT )" | grep -q LISTEN; then bad "setup: port $PORT is in use"; finish; fi
installed=0
if inroot dpkg -i "/tmp/$(basename "$DEB")" > "$LOGS/dpkg.log" 2>&1; then
  installed=1
else
  cat "$LOGS/dpkg.log"
fi
mkdir -p "$M/var/tmp/dbos_pkg/sock" && inroot chown -R postgres:postgres /var/tmp/dbos_pkg
started=0
if aspg $PGBIN/initdb -D $DATA -A trust -U postgres --no-sync -E UTF8 > "$LOGS/initdb.log" 2>&1; then
  cat >> "$M$DATA/postgresql.conf" <<CONF
port = $PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$SOCK'
fsync = off
log_min_messages = warning
log_line_prefix = '%m [%p] '
CONF
  aspg $PGBIN/pg_ctl -D $DATA -l $DATA/server.log -w start >/dev/null && started=1
fi
[ "$started" = 1 ] || { cat "$LOGS/initdb.log" "$M$DATA/server.log" 2>/dev/null | tail -20; bad "setup: starting the cluster in the root"; finish; }
echo "cluster in the root: 127.0.0.1:$PORT, socket $M$SOCK"

# From the host, over TCP, with the host's client programs (as test/lib.sh's prepare_database).
export DBOS_PGPORT=$PORT DBOS_PGSOCK=$M$SOCK DBOS_PGDATA=$M$DATA
. test/lib.sh
export PGHOST=127.0.0.1 PGPORT=$PORT PGUSER=postgres
got=$(aspg $PGBIN/psql -X -q -At -h $SOCK -p $PORT -d postgres -v ON_ERROR_STOP=1 \
        -c "CREATE DATABASE pkg_smoke" -c "\\c pkg_smoke" -c "CREATE EXTENSION dbos_client" \
        -c "SELECT extversion FROM pg_extension WHERE extname = 'dbos_client'" 2>&1)
# The root is clean: no compiler, no make, no PostgreSQL headers (the package was built elsewhere).
dirty=$(cd "$M" && ls -d usr/bin/gcc usr/bin/g++ usr/bin/cc usr/bin/make usr/include/postgresql 2>/dev/null | xargs)
[ -z "$dirty" ] || echo "the root is not clean: it holds $dirty"
if [ "$installed" = 1 ] && [ "$got" = "$EXTVERSION" ] && [ -z "$dirty" ]; then
  ok "the .deb installs with dpkg in the clean root; CREATE EXTENSION gives version $got"
else
  bad "the .deb installs with dpkg in the clean root and CREATE EXTENSION gives $EXTVERSION (dpkg: $([ $installed = 1 ] && echo ok || echo failed); psql: $got; build tools in the root: ${dirty:-none})"
fi

# Case: the package's autopkgtest (debian/tests) passes in the root.
if [ -x "$SRC/debian/tests/create-extension" ]; then
  mkdir -p "$M/tmp/src" && cp -r "$SRC/debian" "$M/tmp/src/"
  if inroot env PGPORT=$((PORT + 1)) sh -c 'cd /tmp/src && debian/tests/create-extension' > "$LOGS/autopkgtest.log" 2>&1 \
     && grep -qx "dbos_client $EXTVERSION" "$LOGS/autopkgtest.log"; then
    ok "debian/tests/create-extension (autopkgtest) passes in the root"
  else
    tail -20 "$LOGS/autopkgtest.log"; bad "debian/tests/create-extension (autopkgtest) in the root"
  fi
else
  bad "debian/tests/create-extension is missing"
fi

# ---- pg_regress ---------------------------------------------------------------------------------
if prepare_database contrib_regression > "$LOGS/prepare.log" 2>&1; then
  /usr/lib/postgresql/$PGV/lib/pgxs/src/test/regress/pg_regress --inputdir="$SRC" --outputdir="$LOGS/regress" \
    --bindir=$HOSTBIN --host=127.0.0.1 --port="$PORT" --use-existing --dbname=contrib_regression $TESTS \
    > "$LOGS/regress.log" 2>&1
  rc=$?
  cat "$LOGS/regress.log"
  p=$(grep -cE '\.\.\. ok' "$LOGS/regress.log")
  f=$(grep -cE '\.\.\. FAILED|\.\.\. failed' "$LOGS/regress.log")
  PASS=$((PASS + p)); FAIL=$((FAIL + f)); RAN_FILES=$((p + f))
  [ "$rc" -ne 0 ] && [ "$f" -eq 0 ] && bad "pg_regress exited with $rc without a failed test"
  [ -f "$LOGS/regress/regression.diffs" ] && head -100 "$LOGS/regress/regression.diffs"
else
  cat "$LOGS/prepare.log"; bad "setup: prepare_database contrib_regression"
fi
if grep -qE "terminated by signal|was terminated by exception" "$M$DATA/server.log"; then
  grep -E "terminated by signal|terminated by exception" "$M$DATA/server.log" | head -5
  bad "the server log of the root shows a crashed backend"
fi
T_TEST=$(( $(date +%s) - t ))
finish
