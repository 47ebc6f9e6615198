#!/usr/bin/env bash
# Backend memory during bulk enqueues in ONE transaction, with the system-installed
# (non-sanitizer) dbos_client, on a private cluster (port 54381, /tmp/dbos_mem):
#
#   test/sanitize/memory.sh            # as root; MEMORY_SIZES="100000 1000000" by default
#
# Workloads, each at every size N, each in a fresh session after a warm-up of 1,000 calls
# (library loaded, plans cached), each one statement in one transaction:
#   enqueue     SELECT count(dbos.enqueue('_dbos_internal_queue', NULL, 'f', jsonb_build_array(i)))
#                 FROM generate_series(1, N) i
#   stmt_trig   INSERT of N rows into a table with a statement-level dbos.enqueue_trigger
#               (REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT)
#   row_trig    INSERT of N rows into a table with a row-level dbos.enqueue_trigger
#   row_noop    baseline: the same INSERT with a row-level plpgsql trigger that does nothing
#               (PostgreSQL's own AFTER-trigger event queue grows with N: not ours)
#   stmt_noop   baseline: the same INSERT with a statement-level no-op trigger and a
#               transition table
# A second process samples /proc/<backend pid>/status every 0.25 s (RssAnon = private memory,
# VmRSS, VmHWM; shared buffers show in RssShmem, not in RssAnon) and asks the backend for
# pg_log_backend_memory_contexts() every 5 s (the server log gets its context tree mid-run).
# The session itself reads pg_backend_memory_contexts before, at the end of the statement
# (still in the transaction) and after COMMIT.
# Verdict per workload: bounded when the RssAnon growth at the largest N is at most
# MEMORY_SLACK_MB (default 32) above the growth at the smallest N.
#
# Environment: MEMORY_PORT (54381), MEMORY_SIZES, MEMORY_SLACK_MB, MEMORY_WORKLOADS (default
# all of the above), MEMORY_PGBIN (a server bin dir: default the system's
# /usr/lib/postgresql/15/bin, i.e. the system-installed extension; a private prefix's bin dir
# measures the build installed there), MEMORY_BUILD=worktree|<git rev> (build that source
# without sanitizers into /tmp/dbos_mem/prefix, a private copy of PostgreSQL, and measure it:
# the system installation is never touched).
set -uo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
PORT=${MEMORY_PORT:-54381}
SIZES=${MEMORY_SIZES:-"100000 1000000"}
SLACK_MB=${MEMORY_SLACK_MB:-32}
PGBIN=${MEMORY_PGBIN:-/usr/lib/postgresql/15/bin}
WORKLOADS=${MEMORY_WORKLOADS:-"enqueue stmt_trig stmt_noop row_trig row_noop"}
BASE=/tmp/dbos_mem
PGDATA=$BASE/data
SOCK=$BASE/sock
OUT=$BASE/out
DB=dbos_mem
START=$(date +%s)

for forbidden in 54329 54330 54331 54340 54350 54360 54380; do
  [ "$PORT" = "$forbidden" ] && { echo "port $PORT belongs to another cluster" >&2; exit 2; }
done
[ "$(id -u)" = 0 ] || { echo "run as root (the cluster runs as the postgres user)" >&2; exit 2; }
as_pg() { runuser -u postgres -- "$@"; }
stop_cluster() { [ -f "$PGDATA/postmaster.pid" ] && as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -m fast -w -t 60 stop >/dev/null 2>&1; return 0; }

# --- cluster ---------------------------------------------------------------------------------
if ss -ltn 2>/dev/null | grep ":$PORT " >/dev/null; then
  stop_cluster
  ss -ltn | grep ":$PORT " >/dev/null && { echo "port $PORT is in use by someone else" >&2; exit 2; }
fi
rm -rf "$BASE"
mkdir -p "$PGDATA" "$SOCK" "$OUT"
if [ -n "${MEMORY_BUILD:-}" ]; then
  echo "== building $MEMORY_BUILD (no sanitizers) into $BASE/prefix"
  mkdir -p "$BASE/src" "$BASE/prefix/usr/lib/postgresql" "$BASE/prefix/usr/share/postgresql"
  if [ "$MEMORY_BUILD" = worktree ]; then
    tar -C "$ROOT" --exclude=./.git --exclude=node_modules --exclude='*.o' --exclude='*.so' --exclude='*.bc' -cf - . \
      | tar -C "$BASE/src" -xf -
  else
    git -C "$ROOT" archive "$MEMORY_BUILD" | tar -x -C "$BASE/src"
  fi || exit 1
  cp -a /usr/lib/postgresql/15 "$BASE/prefix/usr/lib/postgresql/"
  cp -a /usr/share/postgresql/15 "$BASE/prefix/usr/share/postgresql/"
  (cd "$BASE/src" && make -s clean >/dev/null 2>&1 && make -s -j"$(nproc)" PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config \
     && make -s install DESTDIR="$BASE/prefix" PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config) > "$BASE/build.log" 2>&1 \
    || { tail -20 "$BASE/build.log"; exit 1; }
  PGBIN=$BASE/prefix/usr/lib/postgresql/15/bin
  echo "source: $MEMORY_BUILD of $ROOT ($(git -C "$ROOT" rev-parse --short HEAD))"
fi
chown -R postgres:postgres "$PGDATA" "$SOCK" "$OUT"
as_pg "$PGBIN/initdb" -D "$PGDATA" -A trust -U postgres --no-sync -E UTF8 >/dev/null || exit 1
cat >> "$PGDATA/postgresql.conf" <<CONF
port = $PORT
listen_addresses = '127.0.0.1'
unix_socket_directories = '$SOCK'
fsync = off
max_wal_size = 4GB
log_line_prefix = '%m [%p] '
CONF
as_pg "$PGBIN/pg_ctl" -D "$PGDATA" -l "$PGDATA/server.log" -w start >/dev/null || exit 1
trap stop_cluster EXIT
export PATH=/usr/lib/postgresql/15/bin:$PATH PGHOST=$SOCK PGPORT=$PORT PGUSER=postgres
PSQL="psql -X -q -v ON_ERROR_STOP=1"
createdb "$DB"
(cd "$ROOT/test/interop" && npx --no-install dbos schema "postgresql://postgres@127.0.0.1:$PORT/$DB" >/dev/null) || exit 1
$PSQL -d "$DB" <<'SQL' || exit 1
CREATE EXTENSION dbos_client;
CREATE FUNCTION noop_trigger() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$;
CREATE TABLE t_stmt_trig (id int, payload text);
CREATE TRIGGER t AFTER INSERT ON t_stmt_trig REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION dbos.enqueue_trigger('q', '', 'wf');
CREATE TABLE t_row_trig (id int, payload text);
CREATE TRIGGER t AFTER INSERT ON t_row_trig FOR EACH ROW EXECUTE FUNCTION dbos.enqueue_trigger('q', '', 'wf');
CREATE TABLE t_stmt_noop (id int, payload text);
CREATE TRIGGER t AFTER INSERT ON t_stmt_noop REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION noop_trigger();
CREATE TABLE t_row_noop (id int, payload text);
CREATE TRIGGER t AFTER INSERT ON t_row_noop FOR EACH ROW EXECUTE FUNCTION noop_trigger();
SQL
lib=$($PSQL -d "$DB" -At -c "LOAD 'dbos_client'" -c "SELECT DISTINCT substring(l from '(/\\S+dbos_client\\S*)')
  FROM regexp_split_to_table(pg_read_file('/proc/' || pg_backend_pid() || '/maps'), E'\\n') l WHERE l ~ 'dbos_client'")
echo "server: $PGBIN/postgres, port $PORT; extension library: $lib (md5 $(md5sum < "$lib" | cut -c1-12), $(date -r "$lib" '+%F %T'))"
extver=$($PSQL -d "$DB" -At -c "SELECT extversion FROM pg_extension WHERE extname = 'dbos_client'")
echo "extension version $extver; work_mem $($PSQL -At -c 'SHOW work_mem'), shared_buffers $($PSQL -At -c 'SHOW shared_buffers')"

statement() {  # $1 workload, $2 N
  case $1 in
    enqueue) echo "SELECT count(dbos.enqueue('_dbos_internal_queue', NULL, 'f', jsonb_build_array(i))) FROM generate_series(1, $2) i" ;;
    *) echo "INSERT INTO t_$1 SELECT i, 'row ' || i FROM generate_series(1, $2) i" ;;
  esac
}
ctx_sum="SELECT pg_size_pretty(sum(total_bytes)) || ' in ' || count(*) || ' contexts; largest: ' ||
  (SELECT string_agg(name || ' ' || pg_size_pretty(total_bytes), ', ') FROM
     (SELECT name, total_bytes FROM pg_backend_memory_contexts ORDER BY total_bytes DESC LIMIT 4) top)
  FROM pg_backend_memory_contexts"
# One snapshot of /proc/<pid>/status: sets ST_ANON, ST_RSS, ST_HWM, ST_FS (file + shared pages), in kB.
snap() {
  local st
  st=$(cat "/proc/$1/status" 2>/dev/null) || return 1
  read -r ST_ANON ST_RSS ST_HWM ST_FS < <(awk '$1 == "RssAnon:" {a = $2} $1 == "VmRSS:" {r = $2} $1 == "VmHWM:" {h = $2}
    $1 == "RssFile:" || $1 == "RssShmem:" {f += $2} END {if (a == "") exit 1; print a, r, h, f}' <<<"$st") || return 1
}
mb() { awk -v v="$1" 'BEGIN {printf "%.1f", v / 1024}'; }

declare -A GROWTH
# One measurement: prints a result line and records the RssAnon growth.
measure() {
  local w=$1 n=$2 app="dbos_mem_$1_$2" tag="$OUT/$1_$2" log_from
  $PSQL -d "$DB" -c "TRUNCATE dbos.workflow_status CASCADE; TRUNCATE t_stmt_trig, t_row_trig, t_stmt_noop, t_row_noop" \
    -c "CHECKPOINT" 2>/dev/null
  log_from=$(($(wc -l < "$PGDATA/server.log") + 1))
  PGAPPNAME=$app $PSQL -d "$DB" -At > "$tag.session" 2>&1 <<SQL &
$(statement "$w" 1000);
TRUNCATE dbos.workflow_status CASCADE;
TRUNCATE t_stmt_trig, t_row_trig, t_stmt_noop, t_row_noop;
SELECT 'before: ' || ($ctx_sum);
SELECT pg_sleep(1.5);
BEGIN;
SELECT 'start: ' || extract(epoch FROM clock_timestamp());
$(statement "$w" "$n");
SELECT 'end of statement: ' || ($ctx_sum);
SELECT 'end: ' || extract(epoch FROM clock_timestamp());
COMMIT;
SELECT 'after commit: ' || ($ctx_sum);
SQL
  local client=$! pid="" i
  for i in $(seq 100); do
    pid=$($PSQL -At -c "SELECT pid FROM pg_stat_activity WHERE application_name = '$app'")
    [ -n "$pid" ] && break; sleep 0.1
  done
  [ -n "$pid" ] || { echo "$w N=$n: no backend found"; wait "$client"; return 1; }
  sleep 1   # warm-up done, pg_sleep running
  echo 5 > "/proc/$pid/clear_refs" 2>/dev/null   # resets VmHWM: from now on it is this run's peak
  local base_anon t0 now last_log=0 peak_anon=0 peak_rss=0 hwm_end=0 fs_end=0 samples=0
  snap "$pid" || { echo "$w N=$n: backend gone"; wait "$client"; return 1; }
  base_anon=$ST_ANON
  t0=$(date +%s.%N)
  echo "t_s rss_anon_kb vm_rss_kb vm_hwm_kb rss_file_shmem_kb" > "$tag.samples"
  while kill -0 "$client" 2>/dev/null && snap "$pid"; do
    now=$(date +%s.%N)
    echo "$(awk -v a="$now" -v b="$t0" 'BEGIN {printf "%.2f", a - b}') $ST_ANON $ST_RSS $ST_HWM $ST_FS" >> "$tag.samples"
    [ "$ST_ANON" -gt "$peak_anon" ] && peak_anon=$ST_ANON
    [ "$ST_RSS" -gt "$peak_rss" ] && peak_rss=$ST_RSS
    hwm_end=$ST_HWM; fs_end=$ST_FS; samples=$((samples + 1))
    if [ $(( ${now%.*} - last_log )) -ge 5 ]; then
      $PSQL -At -c "SELECT pg_log_backend_memory_contexts($pid)" >/dev/null 2>&1; last_log=${now%.*}
    fi
    sleep 0.25
  done
  wait "$client"; local rc=$?
  local secs growth hwm_anon
  secs=$(awk -v s="$(sed -n 's/^start: //p' "$tag.session")" -v e="$(sed -n 's/^end: //p' "$tag.session")" \
    'BEGIN {printf "%.1f", e - s}')
  # Private peak: the sampled RssAnon maximum, or VmHWM minus the file and shared pages
  # mapped at the end (those only grow), whichever is larger (a short run falls between samples).
  hwm_anon=$((hwm_end - fs_end)); [ "$hwm_anon" -gt "$peak_anon" ] && peak_anon=$hwm_anon
  growth=$((peak_anon - base_anon))
  GROWTH[$w,$n]=$growth
  printf '%-10s N=%-8s %6ss  private (RssAnon) %6s -> peak %7s MB, growth %7s MB | VmRSS peak %7s MB, VmHWM %7s MB | %d samples%s\n' \
    "$w" "$n" "$secs" "$(mb "$base_anon")" "$(mb "$peak_anon")" "$(mb "$growth")" "$(mb "$peak_rss")" "$(mb "$hwm_end")" \
    "$samples" "$([ $rc -ne 0 ] && echo "  SESSION FAILED (see $tag.session)")"
  grep -E '^(before|end of statement|after commit): ' "$tag.session" | sed 's/^/             contexts /'
  # The largest context tree that pg_log_backend_memory_contexts logged during the run.
  tail -n +"$log_from" "$PGDATA/server.log" > "$tag.server.log"
  awk -v pid="[$pid]" '
    index($0, pid " LOG:  level: ") { sub(/.*LOG:  level: [0-9]+; /, "")
      if ($0 ~ /more child contexts containing/) { name = "(summarized children)"; tot = $0; sub(/.*containing /, "", tot) }
      else { name = $0; sub(/: [0-9]+ total.*/, "", name); tot = $0; sub(/^.*: /, "", tot); tot = $0; sub(/.*: (.*: )?/, "", tot)
             tot = $0; match($0, /: [0-9]+ total/); tot = substr($0, RSTART + 2, RLENGTH - 8) }
      cur[name] += tot + 0; next }
    index($0, pid " LOG:  Grand total: ") { g = $0; sub(/.*Grand total: /, "", g); sub(/ bytes.*/, "", g)
      if (g + 0 > best + 0) { best = g; delete top; for (k in cur) top[k] = cur[k] } delete cur }
    END { if (best) { print "TOTAL", best; for (k in top) print top[k], k } }' "$tag.server.log" > "$tag.contexts"
  if [ -s "$tag.contexts" ]; then
    printf '             contexts mid-statement (largest logged tree): %s MB total; largest:%s\n' \
      "$(mb $(( $(awk '$1 == "TOTAL" {print $2}' "$tag.contexts") / 1024 )))" \
      "$(grep -v '^TOTAL' "$tag.contexts" | sort -rn | head -4 | awk '{v = $1; $1 = ""; printf "%s %s %.1f MB", (NR > 1 ? "," : ""), substr($0, 2), v / 1048576}')"
  fi
  grep -E "\[$pid\] (WARNING|ERROR|FATAL)" "$tag.server.log" | grep -v 'is not registered' | head -3
}

echo "== backend memory, one transaction per run (figures: MB = MiB)"
for w in $WORKLOADS; do
  for n in $SIZES; do measure "$w" "$n"; done
done

echo "== verdict: RssAnon growth at the largest N vs the smallest (slack $SLACK_MB MB)"
echo "   (a trigger workload is judged on its growth minus that of its no-op baseline, when measured)"
small=$(echo "$SIZES" | tr ' ' '\n' | sort -n | head -1); large=$(echo "$SIZES" | tr ' ' '\n' | sort -n | tail -1)
unbounded=0
for w in $WORKLOADS; do
  gs=${GROWTH[$w,$small]:-}; gl=${GROWTH[$w,$large]:-}
  [ -n "$gs" ] && [ -n "$gl" ] || { echo "$w: missing measurement"; unbounded=$((unbounded + 1)); continue; }
  base=""; case $w in stmt_trig) base=stmt_noop ;; row_trig) base=row_noop ;; esac
  line="$w: growth $(mb "$gs") MB at N=$small, $(mb "$gl") MB at N=$large"
  es=$gs; el=$gl
  if [ -n "$base" ] && [ -n "${GROWTH[$base,$small]:-}" ] && [ -n "${GROWTH[$base,$large]:-}" ]; then
    es=$((gs - GROWTH[$base,$small])); el=$((gl - GROWTH[$base,$large]))
    line="$line; minus $base: $(mb "$es") / $(mb "$el") MB"
  fi
  per_row=$(awk -v a="$el" -v b="$es" -v n1="$small" -v n2="$large" 'BEGIN {printf "%.0f", (a - b) * 1024 / (n2 - n1)}')
  if [ $((el - es)) -le $((SLACK_MB * 1024)) ]; then verdict=bounded; else verdict="GROWS WITH N (~$per_row bytes per row)"; fi
  case $w in *noop) verdict="$verdict (baseline: PostgreSQL alone)" ;; *) [ "${verdict%% *}" = bounded ] || unbounded=$((unbounded + 1)) ;; esac
  echo "$line: $verdict"
done
echo "samples, sessions: $OUT; server log: $PGDATA/server.log; runtime $(($(date +%s) - START)) s"
echo "memory: $unbounded unbounded workload(s)"
[ "$unbounded" -eq 0 ]
