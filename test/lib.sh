# Shared steps of the test, demo and bench commands (sourced, not run).
export DBOS_PGPORT=${DBOS_PGPORT:-54329}
export DBOS_PGDATA=${DBOS_PGDATA:-/tmp/dbos_client_cluster/data}
export DBOS_PGSOCK=${DBOS_PGSOCK:-/tmp/dbos_client_cluster/sock}
export PGHOST=$DBOS_PGSOCK PGPORT=$DBOS_PGPORT PGUSER=postgres
export PATH=/usr/lib/postgresql/15/bin:$PATH

. "$(dirname "${BASH_SOURCE[0]}")/apt.sh"

# Debian packages for the build, and the pinned npm packages of the interop worker.
setup_machine() {
  local need=()
  [ -x /usr/lib/postgresql/15/bin/pg_config ] && [ -f /usr/include/postgresql/15/server/postgres.h ] \
    || need+=(postgresql-server-dev-15)
  [ -f /usr/include/rapidjson/document.h ] || need+=(rapidjson-dev)
  command -v make >/dev/null || need+=(make)
  command -v g++ >/dev/null || need+=(g++)
  if [ ${#need[@]} -gt 0 ]; then
    echo "installing ${need[*]}"
    apt_install "${need[@]}"
  fi
  if [ ! -d test/interop/node_modules/@dbos-inc/dbos-sdk ]; then
    (cd test/interop && npm ci --no-audit --no-fund --loglevel=error)
  fi
}

build_and_install() {
  local werror=""
  [ -n "${CI:-}" ] && werror="-Werror"
  make -s clean >/dev/null
  make -s -j2 PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config EXTRA_CXXFLAGS="$werror ${EXTRA_CXXFLAGS:-}" \
    && make -s install PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config >/dev/null
}

# A database holding the DBOS system tables of TypeScript 5.3.0 (migration 123), plus
# schema dbos_legacy108: the same tables without the 109 payload split (version 108).
# Fails (non-zero) when any step fails.
prepare_database() {
  local db=$1 url="postgresql://postgres@127.0.0.1:$DBOS_PGPORT/$1"
  dropdb --if-exists "$db" && createdb "$db" || return 1
  (cd test/interop && npx --no-install dbos schema "$url" >/dev/null \
    && npx --no-install dbos schema "$url" -s dbos_legacy108 >/dev/null) || return 1
  psql -X -q -v ON_ERROR_STOP=1 -d "$db" -c "DROP TABLE dbos_legacy108.workflow_input, dbos_legacy108.workflow_output;
                          UPDATE dbos_legacy108.dbos_migrations SET version = 108;"
}
