#!/usr/bin/env bash
# The benchmark suite: bench/run.sh [--quick]   (as root, or under sudo)
# Installs what test/lib.sh's setup_machine installs (nothing else), starts a private cluster
# on port 54340 (/tmp/dbos_bench), creates a database with the DBOS tables and the extension,
# runs every benchmark, prints the results and their ratios, writes bench/results/<timestamp>.md
# and bench/results/latest.md, and stops the cluster. Full run ~12 min, --quick under 3 min.
# The extension must already be installed (make install); this does not build it.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "$(id -u)" -ne 0 ]; then
  echo "bench/run.sh: run as root (or under sudo): the cluster runs as the postgres user" >&2
  exit 2
fi
export DBOS_PGPORT=54340 DBOS_PGDATA=/tmp/dbos_bench/data DBOS_PGSOCK=/tmp/dbos_bench/sock
. test/lib.sh
setup_machine
if [ ! -f /usr/lib/postgresql/15/lib/dbos_client.so ]; then
  echo "bench/run.sh: dbos_client is not installed (run make install, or test/demo.sh, first)" >&2
  exit 2
fi
trap 'test/cluster.sh stop' EXIT
node bench/bench.js "$@"
