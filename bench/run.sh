#!/usr/bin/env bash
# The benchmark suite: bench/run.sh [--quick]   (as root, or under sudo)
# Installs what test/lib.sh's setup_machine installs (nothing else), starts two private
# clusters, fsync = on (port 54341, /tmp/dbos_bench2) and fsync = off (port 54340,
# /tmp/dbos_bench), creates a database with the DBOS tables and the extension in each, runs
# every benchmark on both side by side, prints the results and their ratios, writes
# bench/results/<timestamp>.md and bench/results/latest.md, and stops the clusters.
# Full run ~10 min (100,000-row statements), --quick ~3 min (20,000-row statements).
# The extension must already be installed (make install); this does not build it.
# Development options (passed to bench/bench.js): --only=1,3  --fsync=on|off|both
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
  echo "bench/run.sh: run as root (or under sudo): the clusters run as the postgres user" >&2
  exit 2
fi
export DBOS_PGPORT=54340 DBOS_PGDATA=/tmp/dbos_bench/data DBOS_PGSOCK=/tmp/dbos_bench/sock
. test/lib.sh
setup_machine
if [ ! -f /usr/lib/postgresql/15/lib/dbos_client.so ]; then
  echo "bench/run.sh: dbos_client is not installed (run make install, or test/demo.sh, first)" >&2
  exit 2
fi
stop_clusters() {
  test/cluster.sh stop
  DBOS_PGPORT=54341 DBOS_PGDATA=/tmp/dbos_bench2/data DBOS_PGSOCK=/tmp/dbos_bench2/sock test/cluster.sh stop
}
trap stop_clusters EXIT
node bench/bench.js "$@"
