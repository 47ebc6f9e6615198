#!/usr/bin/env node
'use strict';
// Randomized, seeded tester of every dbos.* function of the dbos_client extension.
//
//   node test/fuzz/fuzz.js [--seed N|random] [--calls N] [--long] [--host H] [--port P] [--db D]
//
// Calls: dbos.enqueue (all 16 arguments, positional and named in random subsets), dbos.send,
// dbos.get_event, dbos.get_status, dbos.get_result (timeouts 0 and small, NaN, infinities, ...),
// dbos.enqueue_trigger (triggers with hostile arguments on scratch tables, row and statement
// level, fired by INSERT/UPDATE/DELETE/MERGE/TRUNCATE), several calls in one PL/pgSQL block,
// the settings dbos.system_schema / application_name / app_version, schema drift (DDL on a
// DBOS schema between two calls of one transaction), and the 1.1 management functions when
// installed (cancel/resume/fork/delete/set_workflow_priority, list_*, get_events,
// read_stream). See test/fuzz/README.md.
//
// Each call runs in its own transaction, behind a savepoint: BEGIN; checksum; [fixture rows
// of the call]; checksum; SAVEPOINT; [settings, role, encoding]; CALL. A failed call is rolled
// back to the savepoint and the checksum of every DBOS table (and the scratch tables) must be
// what it was before the call; the transaction then commits or rolls back at random, and the
// next call checks the committed state too. Every error is classified:
//   README        a SQLSTATE the README's table documents for this function
//   trigger-doc   a refusal of dbos.enqueue_trigger documented by sql/10_enqueue_trigger.sql
//                 and src/triggers.cpp (the README's table does not list them)
//   pg-input      a SQLSTATE Postgres raises for an argument before our code runs (type input,
//                 sizes, call resolution): allowed only when an argument of the call carries it
//   schema-drift  a SQLSTATE Postgres raises in our statements because a "ddl" call changed a
//                 column type, added a check or a user trigger (allowed for that DDL only)
//   env           57014 for a call that may wait without limit (cut by statement_timeout),
//                 42501 under a role without rights, 25006 in a READ ONLY transaction, 22P05
//                 when client_encoding LATIN1 cannot show a character
// Anything else is a violation, as are XX000, a lost connection, rows left behind by a failed
// call, writes a failing call attempted before it failed (counted by PostgreSQL whatever the
// rollback, see attemptsFunctionSql), an enqueue whose arguments get_status reads back
// differently, and invalid UTF-8 in an error text. The server log is checked for crashed
// backends and the postmaster PID for a restart. Last lines: "fuzz: N calls, M violations
// (...)", then "suite fuzz (<mode>): 1 passed, 0 failed" (the run is one test; "0 passed,
// 1 failed" when M > 0).
const fs = require('fs');
const path = require('path');
const { Client } = require(process.env.DBOS_FUZZ_PG || path.join(__dirname, '..', 'interop', 'node_modules', 'pg'));
const G = require('./gen');
const { q, qi, v } = G;

// --- options ------------------------------------------------------------------------------

function parseArgs(argv) {
  const o = {
    seed: 1, calls: null, long: false, host: process.env.DBOS_PGSOCK || '127.0.0.1',
    port: Number(process.env.DBOS_PGPORT || 54350), db: 'dbos_fuzz', user: 'postgres', log: null,
    resetEvery: 400, maxSeconds: 0, reproDir: '/tmp/dbos_fuzz_repro', verbose: false, only: null,
  };
  for (let i = 2; i < argv.length; i++) {
    const a = argv[i];
    const next = () => {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      return argv[++i];
    };
    if (a === '--seed') { const s = next(); o.seed = s === 'random' ? (Math.random() * 2 ** 32) >>> 0 : Number(s) >>> 0; }
    else if (a === '--calls') o.calls = Number(next());
    else if (a === '--long') o.long = true;
    else if (a === '--host') o.host = next();
    else if (a === '--port') o.port = Number(next());
    else if (a === '--db') o.db = next();
    else if (a === '--user') o.user = next();
    else if (a === '--log') o.log = next();
    else if (a === '--reset-every') o.resetEvery = Number(next());
    else if (a === '--max-seconds') o.maxSeconds = Number(next());
    else if (a === '--repro-dir') o.reproDir = next();
    else if (a === '--only') o.only = next().split(',');
    else if (a === '--verbose' || a === '-v') o.verbose = true;
    else if (a === '--selftest-crash') o.selftestCrash = Number(next()); // kills our backend at that call
    else if (a === '--selftest-write') o.selftestWrite = true; // every enqueue writes, then fails (see selftestWriteSql)
    else if (a === '--help' || a === '-h') {
      console.log('usage: node test/fuzz/fuzz.js [--seed N|random] [--calls N] [--long] [--host H] [--port P] [--db D]\n' +
        '  [--log server.log] [--reset-every N] [--max-seconds S] [--repro-dir DIR] [--only fn,fn] [--verbose]\n' +
        'Default: seed 1, 2000 calls (~30-40 s); --long: 40000 calls. The database must be a scratch one\n' +
        '(its name must start with dbos_fuzz): the fuzzer empties its DBOS tables.');
      process.exit(0);
    } else throw new Error(`unknown option ${a}`);
  }
  if (o.calls === null) o.calls = o.long ? 40000 : 2000;
  return o;
}

// --- what is allowed ----------------------------------------------------------------------

// The README's SQLSTATE table, per function (what each row says the code is for).
const README = {
  enqueue: ['22004', '22023', '22003', '22008', '22001', '23505', '54000', '3F000', '42P01', '0A000', 'DB006'],
  send: ['22004', '22023', '23503', '54000', '3F000', '42P01', '0A000'],
  get_event: ['22004', '22023', '25000', '55000', '54001', '3F000', '42P01', '0A000'],
  get_result: ['22004', '22023', '25000', '55000', '54001', '3F000', '42P01', '0A000', 'DB001', 'DB002', 'DB003', 'DB004', 'DB005'],
  get_status: ['22004', '22023', '54001', '3F000', '42P01', '0A000'],
  trigger: ['22004', '22023', '22003', '22008', '22001', '23505', '54000', '3F000', '42P01', '0A000', 'DB006'],
  trigger_direct: [],
  set_config: [],
  // 1.1, management and observability ("Unknown workflows raise DB004, except in delete_workflow").
  cancel_workflow: ['22004', '22023', 'DB004', '3F000', '42P01', '0A000'],
  resume_workflow: ['22004', '22023', 'DB004', '3F000', '42P01', '0A000'],
  fork_workflow: ['22004', '22023', '54000', 'DB004', 'DB006', '3F000', '42P01', '0A000'],
  delete_workflow: ['22004', '22023', '3F000', '42P01', '0A000'],
  set_workflow_priority: ['22004', '22023', '22003', 'DB004', '3F000', '42P01', '0A000'],
  list_workflows: ['22023', '54001', '3F000', '42P01', '0A000'],
  list_queued_workflows: ['22023', '54001', '3F000', '42P01', '0A000'],
  list_workflow_steps: ['22004', '22023', 'DB004', '54001', '3F000', '42P01', '0A000'],
  get_events: ['22004', '22023', '54001', '3F000', '42P01', '0A000'],
  read_stream: ['22004', '22023', 'DB004', '54001', '3F000', '42P01', '0A000'],
  // 1.3: queues, versions, delays, bulk management, waiting on many (README "Errors").
  register_queue: ['22004', '22023', '42939', '23505', '54000', '3F000', '42P01', '0A000'],
  retrieve_queue: ['22004', '22023', '54000', '3F000', '42P01', '0A000'],
  delete_queue: ['22004', '22023', '54000', '3F000', '42P01', '0A000'],
  list_queues: ['22023', '3F000', '42P01', '0A000'],
  queue_stats: ['22023', '3F000', '42P01', '0A000'],
  list_application_versions: ['22023', '3F000', '42P01', '0A000'],
  get_latest_application_version: ['22023', '3F000', '42P01', '0A000'],
  set_workflow_delay: ['22004', '22023', '22008', '3F000', '42P01', '0A000'],
  cancel_workflows: ['22004', '22023', '2202E', 'DB004', '3F000', '42P01', '0A000'],
  resume_workflows: ['22004', '22023', '2202E', 'DB004', '3F000', '42P01', '0A000'],
  delete_workflows: ['22004', '22023', '2202E', '3F000', '42P01', '0A000'],
  wait_first: ['22004', '22023', '2202E', 'DB004', '25000', '55000', '3F000', '42P01', '0A000'],
  wait_all: ['22004', '22023', '2202E', 'DB004', '25000', '55000', '3F000', '42P01', '0A000'],
  read_stream_offset: ['22004', '22023', 'DB004', 'DB005', '25000', '55000', '54001', '3F000', '42P01', '0A000'],
};
const MANAGEMENT = ['cancel_workflow', 'resume_workflow', 'fork_workflow', 'delete_workflow', 'set_workflow_priority',
  'list_workflows', 'list_queued_workflows', 'list_workflow_steps', 'get_events', 'read_stream',
  'register_queue', 'retrieve_queue', 'delete_queue', 'list_queues', 'queue_stats', 'list_application_versions',
  'get_latest_application_version', 'set_workflow_delay', 'cancel_workflows', 'resume_workflows', 'delete_workflows',
  'wait_first', 'wait_all', 'read_stream_offset'];
// dbos.enqueue_trigger's own refusals (sql/10_enqueue_trigger.sql, src/triggers.cpp).
const TRIGGER_DOC = ['39P01', '42809', '42703', '42701', '42804', '22007', '55000'];

const SQLSTATE_NAMES = {
  '22004': 'null_value_not_allowed', '22023': 'invalid_parameter_value', '22003': 'numeric_value_out_of_range',
  '22008': 'datetime_field_overflow', '22001': 'string_data_right_truncation', '23505': 'unique_violation',
  '23503': 'foreign_key_violation', '25000': 'invalid_transaction_state', '55000': 'object_not_in_prerequisite_state',
  '54000': 'program_limit_exceeded', '54001': 'statement_too_complex', '3F000': 'invalid_schema_name',
  '42P01': 'undefined_table', '0A000': 'feature_not_supported', DB001: 'workflow ERROR', DB002: 'workflow CANCELLED',
  DB003: 'max recovery attempts', DB004: 'no such workflow', DB005: 'get_result timeout', DB006: 'workflow ID conflict',
  '22P02': 'invalid_text_representation', '22007': 'invalid_datetime_format', '22015': 'interval_field_overflow',
  '57014': 'query_canceled', '42883': 'undefined_function', '42725': 'ambiguous_function', '22P05': 'untranslatable_character',
  '42501': 'insufficient_privilege', '25006': 'read_only_sql_transaction', '39P01': 'trigger_protocol_violated',
  '42809': 'wrong_object_type', '42703': 'undefined_column', '42602': 'invalid_name', XX000: 'internal_error',
  '22021': 'character_not_in_repertoire', '40001': 'serialization_failure', '42601': 'syntax_error',
};

// --- fixed names --------------------------------------------------------------------------

const SCRATCH = 'fz sch"ema ü';
const S = qi(SCRATCH);
const ITEMS = `${S}.${qi('it"ems ü')}`;
const PARTS = `${S}.parts`;
const VIEW = `${S}.${qi('vue ü')}`;
const QUOTED = 'Fz "Q\'uoted" ü';
// Schemas with DBOS tables: name -> {input: has workflow_input/output, full: serves enqueue}.
const SCHEMAS = {
  dbos: { input: true, full: true },
  fz_legacy: { input: false, full: true },
  [QUOTED]: { input: true, full: true },
  fz_nodelay: { input: true, full: true },
  fz_old: { input: false, full: false },
  fz_partial: { input: false, full: false },
};
const QUEUES = ['_dbos_internal_queue', 'fuzz_q', 'fuzz_part_q'];
const EVENT_KEYS = ['k', '', 'ключ 🦄', "it's", 'status', 'a"b'];
const DEDUPS = ['d1', 'd2', 'd3'];
const IDEMPOTENCY = ['ik1', 'ik2', 'ik3'];
const STATUSES = ['SUCCESS', 'SUCCESS', 'ERROR', 'ERROR', 'CANCELLED', 'MAX_RECOVERY_ATTEMPTS_EXCEEDED', 'RETRIES_EXCEEDED',
  'PENDING', 'ENQUEUED', 'DELAYED', null, 'weird'];
const ITEM_COLUMNS = ['id', 'name', 'note', 'tag', 'part', 'j', 'js', 'n', 'f', 'b', 'ts', 'arr', 'wéird "col'];

// Schema drift: DDL on schema fz_ddl inside a call (rolled back), between a first call that
// fills our caches and the fuzzed call. Each comes with the SQLSTATEs Postgres may raise in
// our statements because of it (a column of another type, a check, a user trigger).
const WS = 'fz_ddl.workflow_status';
const DRIFT = [
  ['ALTER TABLE fz_ddl.workflow_input RENAME TO workflow_input_x'],
  ['ALTER TABLE fz_ddl.workflow_output RENAME TO workflow_output_x'],
  ['ALTER TABLE fz_ddl.workflow_input RENAME TO workflow_input_x; ALTER TABLE fz_ddl.workflow_output RENAME TO workflow_output_x'],
  ['ALTER TABLE fz_ddl.dbos_migrations RENAME TO migrations_x'],
  ['ALTER TABLE fz_ddl.queues RENAME TO queues_x'],
  ['ALTER TABLE fz_ddl.workflow_events RENAME TO workflow_events_x'],
  ['ALTER SCHEMA fz_ddl RENAME TO fz_ddl_x'],
  ['ALTER SCHEMA fz_ddl RENAME TO fz_ddl_x; CREATE SCHEMA fz_ddl'],
  ...['delay_until_epoch_ms', 'application_name', 'creator_xid', 'queue_partition_key', 'serialization', 'inputs', 'output',
    'attributes', 'completed_at', 'forked_from', 'executor_id', 'priority', 'status'].map((c) => [`ALTER TABLE ${WS} DROP COLUMN ${c} CASCADE`]),
  ['ALTER TABLE fz_ddl.workflow_input DROP COLUMN retention_timestamp'],
  ['ALTER TABLE fz_ddl.notifications DROP COLUMN serialization'],
  [`ALTER TABLE ${WS} ADD COLUMN fz_extra int DEFAULT 1`],
  [`ALTER TABLE ${WS} ADD COLUMN fz_required int NOT NULL DEFAULT 1; ALTER TABLE ${WS} ALTER COLUMN fz_required DROP DEFAULT`, '23502'],
  [`DROP INDEX fz_ddl.workflow_status_attributes_idx; ALTER TABLE ${WS} ALTER COLUMN attributes TYPE json USING '{"a": 1}'::json`, '42804', '42846', '42883'],
  [`ALTER TABLE ${WS} ALTER COLUMN priority TYPE bigint`, '42804', '42883'],
  [`ALTER TABLE ${WS} ALTER COLUMN priority TYPE numeric`, '42804', '42883'],
  [`ALTER TABLE ${WS} ALTER COLUMN priority TYPE text USING 'p' || priority`, '42804', '42883'],
  [`ALTER TABLE ${WS} ALTER COLUMN executor_id TYPE uuid USING gen_random_uuid()`, '42804', '42883'],
  [`ALTER TABLE ${WS} ALTER COLUMN executor_id TYPE int USING 7`, '42804', '42883'],
  [`ALTER TABLE ${WS} ALTER COLUMN parent_workflow_id TYPE bigint USING 7`, '42804', '42883'],
  [`ALTER TABLE ${WS} ALTER COLUMN status TYPE varchar(40)`, '42883'],
  [`ALTER TABLE ${WS} ALTER COLUMN name TYPE varchar(300)`, '22001', '42883'],
  [`ALTER TABLE ${WS} ALTER COLUMN created_at TYPE numeric`, '42883'],
  [`ALTER TABLE ${WS} ALTER COLUMN created_at TYPE text`, '42804', '42883'],
  [`ALTER TABLE ${WS} ALTER COLUMN recovery_attempts TYPE text USING 'x'`, '22P02', '42804', '42883'],
  [`ALTER TABLE ${WS} ALTER COLUMN workflow_timeout_ms TYPE double precision`, '42883'],
  [`ALTER TABLE ${WS} ALTER COLUMN workflow_uuid TYPE varchar(64)`, '22001', '42883'],
  [`ALTER TABLE fz_ddl.workflow_events ALTER COLUMN value TYPE jsonb USING value::jsonb`, '42804', '42883'],
  [`ALTER TABLE fz_ddl.notifications ALTER COLUMN message TYPE jsonb USING message::jsonb`, '42804', '42883'],
  [`ALTER TABLE ${WS} ADD CONSTRAINT fz_small CHECK (priority < 10) NOT VALID`, '23514'],
  [`CREATE TRIGGER fz_refuse BEFORE INSERT ON ${WS} FOR EACH ROW EXECUTE FUNCTION fz_ddl.refuse()`, 'P0001'],
  [`CREATE TRIGGER fz_refuse BEFORE INSERT ON fz_ddl.notifications FOR EACH ROW EXECUTE FUNCTION fz_ddl.refuse()`, 'P0001'],
  [`CREATE TRIGGER fz_skip BEFORE INSERT ON ${WS} FOR EACH ROW EXECUTE FUNCTION fz_ddl.skip()`, '40001'],
  [`CREATE TRIGGER fz_skip BEFORE INSERT ON fz_ddl.workflow_input FOR EACH ROW EXECUTE FUNCTION fz_ddl.skip()`],
  [`CREATE RULE fz_nothing AS ON INSERT TO fz_ddl.notifications DO INSTEAD NOTHING`, '23503'],
  [`CREATE INDEX ON ${WS} (name, status)`],
  [`ALTER TABLE ${WS} RENAME COLUMN name TO fz_name`],
  [`ALTER TABLE ${WS} RENAME COLUMN name TO fz_name; ALTER TABLE ${WS} RENAME COLUMN fz_name TO name`],
  [`REVOKE ALL ON ${WS} FROM PUBLIC`],
];

function setupSql() {
  const like = (schema, table) => `CREATE TABLE ${qi(schema)}.${table} (LIKE dbos.${table} INCLUDING ALL)`;
  const copy = (schema, tables, version) => [
    `CREATE SCHEMA ${qi(schema)}`,
    ...tables.map((t) => like(schema, t)),
    `CREATE TABLE ${qi(schema)}.dbos_migrations (version bigint PRIMARY KEY)`,
    `INSERT INTO ${qi(schema)}.dbos_migrations VALUES (${version})`,
  ];
  // operation_outputs, streams, workflow_events_history: read and written by the 1.1 functions.
  const all = ['workflow_status', 'workflow_input', 'workflow_output', 'notifications', 'workflow_events', 'queues',
    'operation_outputs', 'streams', 'workflow_events_history'];
  const legacy = ['workflow_status', 'notifications', 'workflow_events', 'queues'];
  return [
    `DROP SCHEMA IF EXISTS fz_legacy, ${qi(QUOTED)}, fz_old, fz_nodelay, fz_partial, fz_empty, fz_ddl, fz_ddl_x, fuzz_util, ${S} CASCADE`,
    'CREATE EXTENSION IF NOT EXISTS dbos_client',
    ...copy('fz_legacy', legacy, 108),
    ...copy(QUOTED, all, 123),
    ...copy('fz_nodelay', all, 123),
    'ALTER TABLE fz_nodelay.workflow_status DROP COLUMN delay_until_epoch_ms, DROP COLUMN queue_partition_key, ' +
      'DROP COLUMN application_name, DROP COLUMN creator_xid',
    ...copy('fz_old', ['workflow_status', 'notifications', 'workflow_events'], 20),
    'ALTER TABLE fz_old.workflow_status DROP COLUMN serialization',
    'ALTER TABLE fz_old.notifications DROP COLUMN serialization',
    'CREATE SCHEMA fz_partial', like('fz_partial', 'workflow_status'),
    // Changed by "ddl" calls (always rolled back): not in the checksum.
    ...copy('fz_ddl', all, 123),
    `CREATE FUNCTION fz_ddl.refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'refused by %', TG_NAME USING DETAIL = '%s %n'; END $$`,
    `CREATE FUNCTION fz_ddl.skip() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NULL; END $$`,
    'CREATE SCHEMA fz_empty',
    ...['dbos', 'fz_legacy', QUOTED, 'fz_nodelay'].map((s) =>
      `INSERT INTO ${qi(s)}.queues (name) VALUES ('fuzz_q'), ('fuzz_part_q') ON CONFLICT DO NOTHING`),
    `UPDATE dbos.queues SET partition_queue = true WHERE name = 'fuzz_part_q'`,
    // Roles: one without rights on the DBOS tables, one with DBOS's client rights.
    `DO $$ BEGIN CREATE ROLE fuzz_noprivs NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$`,
    `DO $$ BEGIN CREATE ROLE fuzz_client NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$`,
    ...Object.keys(SCHEMAS).concat('fz_empty').map((s) => `GRANT USAGE ON SCHEMA ${qi(s)} TO fuzz_noprivs, fuzz_client`),
    // What DBOS's client needs: SELECT and INSERT; UPDATE and DELETE for the 1.1 functions.
    ...Object.keys(SCHEMAS).map((s) => `GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA ${qi(s)} TO fuzz_client`),
    // Scratch tables for triggers: hostile names, a dropped column, a partition with another
    // column order, an auto-updatable view.
    `CREATE SCHEMA ${S}`,
    `CREATE TABLE ${ITEMS} (dropme1 int, id int UNIQUE, name text, note text, tag text, part text, j jsonb, js json, ` +
      `n numeric, f float8, b bytea, ts timestamptz, arr int[], ${qi('wéird "col')} text)`,
    `ALTER TABLE ${ITEMS} DROP COLUMN dropme1`,
    `CREATE TABLE ${PARTS} (id int, note text, tag text) PARTITION BY RANGE (id)`,
    `CREATE TABLE ${S}.parts_lo PARTITION OF ${PARTS} FOR VALUES FROM (MINVALUE) TO (1000000)`,
    `CREATE TABLE ${S}.parts_hi (tag text, extra int, note text, id int)`,
    `ALTER TABLE ${S}.parts_hi DROP COLUMN extra`,
    `ALTER TABLE ${PARTS} ATTACH PARTITION ${S}.parts_hi FOR VALUES FROM (1000000) TO (MAXVALUE)`,
    `CREATE VIEW ${VIEW} AS SELECT id, name, note, tag FROM ${ITEMS}`,
    `GRANT USAGE ON SCHEMA ${S} TO fuzz_noprivs, fuzz_client`,
    `GRANT ALL ON ALL TABLES IN SCHEMA ${S} TO fuzz_noprivs, fuzz_client`,
  ];
}

// The checksum of every table a call may write: row count and a hash of (table, xmin, ctid),
// which changes with any insert, update or delete.
function checksumFunctionSql(tables) {
  const parts = tables.map(([label, t]) =>
    `(SELECT ${q(label)} || ':' || count(*) || ':' || coalesce(sum(hashtext(tableoid::text || '/' || xmin::text || '/' || ctid::text)::int8), 0) FROM ${t})`);
  return [
    'CREATE SCHEMA fuzz_util',
    // PL/pgSQL keeps the plan for the session (a SQL function would plan it on every call).
    `CREATE FUNCTION fuzz_util.checksum() RETURNS text LANGUAGE plpgsql VOLATILE SECURITY DEFINER SET search_path = pg_catalog AS $fn$ BEGIN RETURN concat_ws(' ', ${parts.join(', ')}); END $fn$`,
    'GRANT USAGE ON SCHEMA fuzz_util TO PUBLIC',
  ];
}

// The writes this backend attempted on the tables of the DBOS schemas, as PostgreSQL counts
// them: inserts, updates and deletes, whether they commit, roll back or abort. Read before a
// call and after its error (and the rollback to the savepoint), it shows whether the call
// wrote anything before failing, which the rollback would hide from the checksum. The counts
// are this backend's own (pg_stat_xact_all_tables: not yet flushed, flushed only between
// transactions), so other sessions cannot move them. Tables are named by OID: the text must
// read the same under any client_encoding (a SET LOCAL of it is undone by the rollback).
function attemptsFunctionSql() {
  const schemas = Object.keys(SCHEMAS).concat('fz_empty').map(q).join(', ');
  return [
    `CREATE FUNCTION fuzz_util.attempts() RETURNS text LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = pg_catalog AS $fn$
       SELECT coalesce(string_agg(format('%s:%s/%s/%s', relid, n_tup_ins, n_tup_upd, n_tup_del), ' ' ORDER BY relid), '')
         FROM pg_stat_xact_all_tables WHERE schemaname IN (${schemas}) AND n_tup_ins + n_tup_upd + n_tup_del > 0 $fn$`,
  ];
}

// --selftest-write: a trigger that makes every dbos.enqueue write its row and then fail with
// a documented SQLSTATE (22023). The rollback leaves nothing, so only the attempted-writes
// check can see it: the run must report "wrote before failing" violations.
function selftestWriteSql() {
  return [
    `CREATE FUNCTION fuzz_util.selftest_fail() RETURNS trigger LANGUAGE plpgsql AS $fn$ BEGIN
       IF current_setting('fuzz.selftest_write', true) = 'on' THEN
         RAISE EXCEPTION 'selftest: failing after the write' USING ERRCODE = '22023';
       END IF; RETURN NULL; END $fn$`,
    'CREATE TRIGGER fuzz_selftest_fail AFTER INSERT ON dbos.workflow_status FOR EACH ROW EXECUTE FUNCTION fuzz_util.selftest_fail()',
  ];
}

// A JSON text for a one-line message: runs of a repeated digit shortened, at most 140 characters.
const squeeze = (t) => {
  const x = String(t).replace(/(\d)\1{19,}/g, (m) => `${m[0]}…(${m.length}x)`);
  return x.length > 140 ? x.slice(0, 140) + '…' : x;
};

// --- the fuzzer ---------------------------------------------------------------------------

class Fuzzer {
  constructor(opts) {
    this.o = opts;
    this.rng = G.makeRng(opts.seed);
    this.stats = new Map(); // fn -> Map(outcome -> count)
    this.classes = new Map(); // code -> Set(class)
    this.violations = []; // {sig, call, ...}
    this.passed = 0;
    this.failed = 0;
    this.callsTried = 0;
    this.ids = []; // committed workflow IDs in schema dbos
    this.fixtures = {}; // status -> [ids] (committed, schema dbos)
    this.eventIds = []; // committed workflows with events
    this.itemId = 1000;
    this.expectCommitted = null; // {checksum, callIndex} after a failed call
    this.notices = [];
    this.slowest = [];
    this.reconnects = 0;
  }

  // ---- connection -----------------------------------------------------------------------

  async connect() {
    const c = new Client({ host: this.o.host, port: this.o.port, user: this.o.user, database: this.o.db,
      application_name: 'dbos_fuzz' });
    c.on('error', () => { this.dead = true; });
    c.on('notice', (n) => this.notices.push(n));
    await c.connect();
    this.client = c;
    this.dead = false;
    // Our errors are expected by the thousand: keep them (and their 1 MB texts) out of the
    // server log; crashes are logged by the postmaster whatever this session says.
    await c.query("SET log_min_messages = 'fatal'; SET log_min_error_statement = 'panic'; SET client_min_messages = 'notice'");
    const r = await c.query('SELECT pg_backend_pid() AS pid');
    this.backendPid = r.rows[0].pid;
  }

  async reconnect() {
    this.reconnects++;
    try { await this.client.end(); } catch (e) { /* already gone */ }
    const deadline = Date.now() + 60000;
    for (;;) {
      try {
        await this.connect();
        return;
      } catch (e) {
        if (Date.now() > deadline) throw new Error(`cannot reconnect: ${e.message}`);
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  async sql(text) {
    const t = Date.now();
    try { return await this.client.query(text); } finally {
      const k = text.startsWith('BEGIN') ? 'begin' : text.startsWith('SAVEPOINT') ? 'ctx' : text.startsWith('ROLLBACK TO') ? 'rbsp' : text.startsWith('RELEASE') ? 'release' : 'other';
      this.prof = this.prof || {};
      this.prof[k] = (this.prof[k] || 0) + Date.now() - t;
    }
  }

  // ---- setup and reset ------------------------------------------------------------------

  async setup() {
    if (!/^dbos_fuzz/.test(this.o.db)) throw new Error(`refusing to fuzz database "${this.o.db}": its name must start with dbos_fuzz`);
    const dd = await this.sql("SELECT current_setting('data_directory') AS d, pg_postmaster_start_time()::text AS t");
    this.dataDir = dd.rows[0].d;
    this.postmasterStart = dd.rows[0].t;
    this.logPath = this.o.log || path.join(this.dataDir, 'server.log');
    this.logOffset = fs.existsSync(this.logPath) ? fs.statSync(this.logPath).size : null;
    this.postmasterPid = this.readPostmasterPid();
    for (const s of setupSql()) await this.sql(s);
    const tables = [];
    for (const [schema, info] of Object.entries(SCHEMAS)) {
      const names = ['workflow_status', 'notifications', 'workflow_events', 'operation_outputs', 'streams', 'workflow_events_history']
        .concat(info.input ? ['workflow_input', 'workflow_output'] : []);
      for (const t of names) {
        const exists = await this.sql(`SELECT to_regclass(${q(qi(schema) + '.' + t)}) IS NOT NULL AS e`);
        if (exists.rows[0].e) tables.push([`${schema}.${t}`, `${qi(schema)}.${t}`]);
      }
    }
    tables.push(['items', ITEMS], ['parts', PARTS]);
    this.trackedTables = tables;
    for (const s of checksumFunctionSql(tables)) await this.sql(s);
    for (const s of attemptsFunctionSql()) await this.sql(s);
    if (this.o.selftestWrite) for (const s of selftestWriteSql()) await this.sql(s);
    this.mode = (await this.sql(`SELECT current_setting('shared_preload_libraries') ~ '(^|[ ,])dbos_client($|[ ,])' AS p`)).rows[0].p
      ? 'preloaded' : 'not preloaded';
    // IDs returned by a successful dbos.enqueue that have no row once the statement ended.
    await this.sql(`CREATE FUNCTION fuzz_util.missing(schema text, ids text[]) RETURNS text[] LANGUAGE plpgsql SECURITY DEFINER
      SET search_path = pg_catalog AS $fn$ DECLARE r text[]; BEGIN
        EXECUTE format('SELECT array_agg(i) FROM unnest($1) i WHERE NOT EXISTS (SELECT 1 FROM %I.workflow_status s WHERE s.workflow_uuid = i)', schema)
          INTO r USING ids; RETURN r; END $fn$`);
    const fns = await this.sql("SELECT DISTINCT proname FROM pg_proc WHERE pronamespace = 'dbos'::regnamespace");
    this.functions = new Set(fns.rows.map((r) => r.proname));
    this.hasTable = new Set(tables.map(([label]) => label));
    await this.reset();
  }

  readPostmasterPid() {
    try { return fs.readFileSync(path.join(this.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0].trim(); } catch (e) { return null; }
  }

  // Empties the tables and plants committed fixtures (deterministic from the seed).
  async reset() {
    const stmts = [];
    for (const [label, t] of this.trackedTables) {
      if (label === 'items' || label === 'parts') continue;
      stmts.push(`DELETE FROM ${t}`);
    }
    stmts.push(`TRUNCATE ${ITEMS}, ${PARTS}`);
    stmts.push(`INSERT INTO ${ITEMS} (id, name, note, tag, part, n) SELECT i, 'seed' || i, 'seed-note-' || i, NULL, 'p' || (i % 3), i FROM generate_series(1, 20) i`);
    stmts.push(`INSERT INTO ${PARTS} (id, note, tag) SELECT i * 100000, 'seed-part-' || i, NULL FROM generate_series(1, 20) i`);
    this.ids = [];
    this.fixtures = {};
    this.eventIds = [];
    this.fixtureSql = new Map(); // committed fixture ID -> the statements that wrote it
    this.streamKeys = new Map(); // fixture ID -> its stream key
    const rng = this.rng;
    let k = 0;
    for (const status of ['SUCCESS', 'SUCCESS', 'SUCCESS', 'ERROR', 'ERROR', 'CANCELLED', 'MAX_RECOVERY_ATTEMPTS_EXCEEDED',
      'RETRIES_EXCEEDED', 'PENDING', 'ENQUEUED', 'DELAYED']) {
      const id = `fx-${status.toLowerCase()}-${this.o.seed}-${this.epoch || 0}-${k++}`;
      const rows = this.plantSql('dbos', id, status, rng.chance(0.7));
      this.fixtureSql.set(id, rows);
      stmts.push(...rows);
      (this.fixtures[status] = this.fixtures[status] || []).push(id);
      this.ids.push(id);
    }
    await this.sql('BEGIN');
    try {
      for (const s of stmts) await this.sql(s);
      await this.sql('COMMIT');
    } catch (e) {
      await this.sql('ROLLBACK').catch(() => {});
      throw new Error(`reset failed: ${e.message}`);
    }
    this.epoch = (this.epoch || 0) + 1;
    this.expectCommitted = null;
  }

  // Rows of one workflow as another SDK (or a broken writer) could leave them: statements.
  plantSql(schema, id, status, withEvents) {
    const rng = this.rng;
    const info = SCHEMAS[schema];
    const tag = rng.weighted([[3, 'portable_json'], [3, 'js_superjson'], [2, null], [1, 'DBOS_JSON'], [1, 'py_pickle'],
      [0.5, 'DBOS_GOB'], [0.3, ''], [0.3, () => G.randomUnicode(rng, 5)]]);
    const payload = (kind) => G.payloadSql(rng, tag, kind);
    const output = status === 'SUCCESS' ? (rng.chance(0.9) ? payload('value') : 'NULL') : (rng.chance(0.15) ? payload('value') : 'NULL');
    const error = status === 'ERROR' ? (rng.chance(0.92) ? payload('error') : 'NULL') : (rng.chance(0.1) ? payload('error') : 'NULL');
    const inputs = rng.chance(0.85) ? payload('inputs') : 'NULL';
    const now = Date.now();
    const created = now - rng.int(1e9);
    const cols = {
      workflow_uuid: q(id), status: status === null ? 'NULL' : q(status), name: q(rng.pick(['fzWorkflow', 'onRow', 'é'.repeat(300)])),
      class_name: rng.pick(['NULL', "'FzClass'", "''", q('ü'.repeat(255))]), config_name: rng.pick(['NULL', "'cfg'", q("it's")]),
      queue_name: rng.pick(['NULL', "'fuzz_q'", "'_dbos_internal_queue'"]), serialization: tag === null ? 'NULL' : q(tag),
      created_at: String(created), updated_at: String(created + rng.int(1e6)), priority: String(rng.pick([0, 1, 2147483647])),
      recovery_attempts: String(rng.pick([0, 1, 100])), workflow_timeout_ms: rng.pick(['NULL', '1', '60000', '4503599627370496']),
      workflow_deadline_epoch_ms: rng.pick(['NULL', String(now + 1000)]), started_at_epoch_ms: rng.pick(['NULL', String(created + 5)]),
      executor_id: rng.pick(['NULL', "'local'"]), authenticated_user: rng.pick(['NULL', q('üser')]),
      deduplication_id: 'NULL', parent_workflow_id: rng.pick(['NULL', "'parent'"]), forked_from: 'NULL',
      attributes: rng.pick(['NULL', `'{"a": [1, "ü"]}'`]),
    };
    const inStatus = !info.input || rng.chance(0.4);
    if (inStatus) { cols.output = output; cols.error = error; }
    if (!info.input || rng.chance(0.3)) cols.inputs = inputs;
    if (schema === 'fz_old') delete cols.serialization;
    if (schema !== 'fz_nodelay' && schema !== 'fz_old' && schema !== 'fz_partial') {
      if (status === 'DELAYED') cols.delay_until_epoch_ms = String(now + 3600000);
      cols.completed_at = rng.pick(['NULL', String(created + 10)]);
    }
    const s = qi(schema);
    const out = [`INSERT INTO ${s}.workflow_status (${Object.keys(cols).join(', ')}) VALUES (${Object.values(cols).join(', ')})`];
    if (info.input) {
      if (!inStatus && (output !== 'NULL' || error !== 'NULL' || rng.chance(0.5)))
        out.push(`INSERT INTO ${s}.workflow_output (workflow_uuid, output, error) VALUES (${q(id)}, ${output}, ${error})`);
      if (!cols.inputs && inputs !== 'NULL') out.push(`INSERT INTO ${s}.workflow_input (workflow_uuid, inputs) VALUES (${q(id)}, ${inputs})`);
    }
    if (withEvents && schema !== 'fz_partial') {
      const keys = rng.shuffle(EVENT_KEYS).slice(0, rng.range(1, 3));
      for (const key of keys) {
        const etag = rng.weighted([[3, 'portable_json'], [2, 'js_superjson'], [2, null], [1, 'DBOS_JSON'], [1, 'py_pickle']]);
        const ser = schema === 'fz_old' ? '' : `, ${etag === null ? 'NULL' : q(etag)}`;
        out.push(`INSERT INTO ${s}.workflow_events (workflow_uuid, key, value${schema === 'fz_old' ? '' : ', serialization'}) VALUES (${q(id)}, ${q(key)}, ${G.payloadSql(rng, etag, 'value')}${ser})`);
      }
      if (schema === 'dbos') this.eventIds.push(id);
    }
    // Checkpoints, streams and event history (read by the 1.1 functions, copied by fork).
    if (this.hasTable && this.hasTable.has(`${schema}.operation_outputs`) && rng.chance(0.6)) {
      const n = rng.range(1, 4);
      let fid = rng.pick([0, 1]);
      for (let i = 0; i < n; i++, fid += rng.range(1, 3)) {
        const stag = rng.weighted([[3, 'portable_json'], [2, 'js_superjson'], [2, null], [1, 'DBOS_JSON'], [1, 'py_pickle']]);
        const started = created + rng.int(1e5);
        out.push(`INSERT INTO ${s}.operation_outputs (workflow_uuid, function_id, function_name, output, error, child_workflow_id, ` +
          `started_at_epoch_ms, completed_at_epoch_ms, serialization) VALUES (${q(id)}, ${fid}, ${q(rng.pick(['step', 'DBOS.sleep', 'é'.repeat(100), '']))}, ` +
          `${rng.chance(0.7) ? G.payloadSql(rng, stag, 'value') : 'NULL'}, ${rng.chance(0.2) ? G.payloadSql(rng, stag, 'error') : 'NULL'}, ` +
          `${rng.pick(['NULL', q(this.anyIdOrSelf(id))])}, ${rng.pick(['NULL', String(started)])}, ${rng.pick(['NULL', String(started + 7)])}, ${stag === null ? 'NULL' : q(stag)})`);
      }
    }
    if (this.hasTable && this.hasTable.has(`${schema}.streams`) && rng.chance(0.4)) {
      const key = rng.pick(EVENT_KEYS);
      const n = rng.range(1, 4);
      let off = rng.chance(0.9) ? 0 : 1;
      for (let i = 0; i < n; i++, off += rng.chance(0.9) ? 1 : 2) { // sometimes a gap
        const closed = i === n - 1 && rng.chance(0.4);
        const stag = rng.weighted([[3, 'portable_json'], [1, 'js_superjson'], [1, null], [1, 'DBOS_JSON']]);
        out.push(`INSERT INTO ${s}.streams (workflow_uuid, key, value, "offset", function_id, serialization) VALUES (${q(id)}, ${q(key)}, ` +
          `${closed ? q(rng.pick(['"__DBOS_STREAM_CLOSED__"', '__DBOS_STREAM_CLOSED__'])) : G.payloadSql(rng, stag, 'value')}, ${off}, ${i}, ${stag === null ? 'NULL' : q(stag)})`);
      }
      if (schema === 'dbos') this.streamKeys.set(id, key);
    }
    if (this.hasTable && this.hasTable.has(`${schema}.workflow_events_history`) && rng.chance(0.3)) {
      out.push(`INSERT INTO ${s}.workflow_events_history (workflow_uuid, function_id, key, value, serialization) VALUES (${q(id)}, ${rng.int(4)}, ` +
        `${q(rng.pick(EVENT_KEYS))}, ${G.payloadSql(rng, 'portable_json', 'value')}, 'portable_json')`);
    }
    return out;
  }

  // ---- argument helpers -----------------------------------------------------------------

  anyIdOrSelf(self) {
    const all = Object.values(this.fixtures || {}).flat();
    return all.length && this.rng.chance(0.5) ? this.rng.pick(all) : self;
  }

  anyId() {
    const rng = this.rng;
    const all = Object.values(this.fixtures).flat();
    return rng.weighted([[3, () => rng.pick(this.ids.length ? this.ids : all)], [2, () => rng.pick(all)]]);
  }

  workflowIdArg(kind, planted) {
    const rng = this.rng;
    return rng.weighted([
      [planted ? 3 : 0, () => v(q(planted))],
      [3, () => v(q(this.anyId()))],
      [kind === 'event' ? 3 : 0.5, () => v(q(rng.pick(this.eventIds.length ? this.eventIds : [this.anyId()])))],
      [kind === 'result' ? 2 : 0.5, () => v(q(rng.pick(this.fixtures[rng.pick(Object.keys(this.fixtures))])))],
      [kind === 'stream' && this.streamKeys.size ? 3 : 0, () => v(q(rng.pick([...this.streamKeys.keys()])))],
      [0.7, () => v(q(`nope-${rng.int(1e6)}`))],
      [1.5, () => G.genText(rng, { nullP: 0.25, emptyP: 0.2, tag: 'id' })],
    ]);
  }

  // A call in mixed notation: positional first, then named in random order.
  callExpr(fname, params, required, gens, hz, force = []) {
    const rng = this.rng;
    const k = rng.weighted([[0.3, required], [0.35, () => rng.int(params.length + 1)], [0.1, params.length], [0.25, 0]]);
    const args = [];
    const given = {};
    for (let i = 0; i < k; i++) {
      const a = gens[params[i]]();
      a.hz.forEach((h) => hz.add(h));
      args.push(a.sql);
      given[params[i]] = a;
    }
    const named = [];
    for (let i = k; i < params.length; i++) {
      const p = params[i];
      const include = force.includes(p) || (i < required ? rng.chance(0.98) : rng.chance(0.35));
      if (!include) continue;
      const a = gens[p]();
      a.hz.forEach((h) => hz.add(h));
      named.push(`${p} => ${a.sql}`);
      given[p] = a;
    }
    for (let i = 0; i < required; i++) if (!given[params[i]]) hz.add('42883');
    if (rng.chance(0.015)) {
      named.push(`${rng.pick(['fz_bogus', 'timeout_ms', 'queue', 'args_json', 'message_id'])} => ${rng.pick(['1', "'x'", 'NULL'])}`);
      hz.add('42883');
    }
    return { expr: `dbos.${fname}(${args.concat(rng.shuffle(named)).join(', ')})`, given };
  }

  // ---- call builders --------------------------------------------------------------------

  buildEnqueue(call, idx, inner = false) {
    const rng = this.rng;
    const fresh = `fz-${this.o.seed}-${idx}${inner ? '-' + rng.int(1e6) : ''}`;
    call.freshId = fresh;
    const textOr = (opts) => () => G.genText(rng, opts);
    const gens = {
      queue_name: textOr({ pool: QUEUES, poolP: 0.75, nullP: 0.03, emptyP: 0.02, longP: 0.02, tag: 'queue' }),
      workflow_class: textOr({ pool: ['FzClass', 'Other'], poolP: 0.3, nullP: 0.35, emptyP: 0.1, longP: 0.06, tag: 'class' }),
      workflow_name: textOr({ pool: ['fzWorkflow', 'onRow'], poolP: 0.7, nullP: 0.03, emptyP: 0.02, tag: 'name' }),
      args: () => G.genJson(rng, 'array'),
      workflow_id: () => rng.weighted([[0.45, () => v(q(fresh))], [0.15, () => v(q(this.anyId()))],
        [0.4, textOr({ nullP: 0.3, emptyP: 0.05, tag: 'id' })]]),
      app_version: textOr({ nullP: 0.6 }),
      priority: () => G.genPriority(rng),
      deduplication_id: () => rng.weighted([[0.5, () => v('NULL')], [0.25, () => v(q(rng.pick(DEDUPS)))], [0.25, textOr({ tag: 'dedup' })]]),
      timeout: () => G.genInterval(rng),
      delay: () => G.genInterval(rng, { nullP: 0.55 }),
      partition_key: textOr({ nullP: 0.6 }),
      named_args: () => G.genJson(rng, 'object', { nullP: 0.55 }),
      config_name: textOr({ nullP: 0.65, longP: 0.06 }),
      application_name: textOr({ nullP: 0.65 }),
      serialization: () => rng.weighted([[0.5, () => v('NULL')], [0.2, () => v("'portable_json'")], [0.15, () => v("'js_superjson'")],
        [0.05, () => v(`pg_catalog.repeat('é', ${rng.pick([1021, 1022, 1023, 3000])})`)], [0.1, textOr({ nullP: 0 })]]),
      duplication_policy: () => rng.weighted([[0.3, () => v("'reject'")], [0.3, () => v("'return_existing'")],
        [0.1, () => v("'return-existing'")], [0.1, () => v('NULL')], [0.2, textOr({ nullP: 0 })]]),
    };
    // Plausible values: in a "clean" call all arguments but one are plausible, so that calls
    // get past validation into conflicts, deduplication, delays and the payload encoders.
    const sane = {
      queue_name: () => v(q(rng.pick(QUEUES))),
      workflow_class: () => v(rng.pick(['NULL', "'FzClass'", "''"])),
      workflow_name: () => v(q(rng.pick(['fzWorkflow', 'onRow']))),
      args: () => { const a = G.genJson(rng, 'array', { nullP: 0 }); return a.hz.length ? v("'[1, \"a\"]'") : a; },
      workflow_id: () => rng.weighted([[0.6, () => v(q(fresh))], [0.2, () => v('NULL')], [0.2, () => v(q(this.anyId()))]]),
      app_version: () => v(rng.pick(['NULL', "'v1'"])),
      priority: () => v(rng.pick(['NULL', '0', '5', '2147483647'])),
      deduplication_id: () => rng.weighted([[0.55, () => v('NULL')], [0.35, () => v(q(rng.pick(DEDUPS)))], [0.1, () => v(q(`u-${fresh}`))]]),
      timeout: () => v(rng.pick(['NULL', "'10 s'", "'1 hour'", "'1 microsecond'"])),
      delay: () => v(rng.pick(['NULL', "'0'", "'1 s'", "'1 hour'"])),
      partition_key: () => v(rng.pick(['NULL', "'p1'"])),
      named_args: () => v(rng.pick(['NULL', `'{"k": 1}'`, `'{}'`])),
      config_name: () => v(rng.pick(['NULL', "'cfg'"])),
      application_name: () => v(rng.pick(['NULL', "'app'"])),
      serialization: () => v(rng.pick(['NULL', "'portable_json'", "'js_superjson'"])),
      duplication_policy: () => v(rng.pick(["'reject'", "'return_existing'"])),
    };
    const params = Object.keys(gens);
    const clean = rng.chance(0.45);
    const wild = rng.chance(0.6) ? rng.pick(params) : null;
    const use = {};
    for (const p of params) use[p] = clean && p !== wild ? sane[p] : gens[p];
    const { expr, given } = this.callExpr('enqueue', params, 3, use, call.hz);
    call.returnsId = given.workflow_id ? given.workflow_id.sql === q(fresh) : false;
    // For the round-trip check: the arguments as given, when they are a small literal.
    const args = given.args ? given.args.sql : "'[]'";
    const ser = given.serialization ? given.serialization.sql : 'NULL';
    if (call.returnsId && args.length < 4000 && !/repeat|generate_series|chr\(/.test(args) && /^(NULL|'portable_json'|'js_superjson')$/.test(ser))
      call.roundTrip = { id: fresh, args };
    return expr;
  }

  buildSend(call) {
    const rng = this.rng;
    const gens = {
      destination_id: () => rng.weighted([[0.6, () => v(q(this.anyId()))], [0.1, () => v(q(`nope-${rng.int(1e6)}`))],
        [0.05, () => v(`pg_catalog.repeat('d', ${rng.pick([7980, 7990, 7997, 7998, 8000, 100000])})`, '54000')],
        [0.25, () => G.genText(rng, { nullP: 0.2, emptyP: 0.15, tag: 'dest' })]]),
      message: () => G.genJson(rng, 'any', { nullP: 0.1 }),
      topic: () => rng.weighted([[0.35, () => v('NULL')], [0.25, () => v(q(rng.pick(['t1', '', '__null__topic__', 'ü'])))],
        [0.05, () => v(`pg_catalog.repeat('t', ${rng.pick([7900, 7950, 7990, 7997, 7998, 8000])})`, '54000')],
        [0.35, () => G.genText(rng, { tag: 'topic' })]]),
      idempotency_key: () => rng.weighted([[0.45, () => v('NULL')], [0.25, () => v(q(rng.pick(IDEMPOTENCY)))],
        [0.3, () => G.genText(rng, { tag: 'idem' })]]),
      serialization: () => rng.weighted([[0.5, () => v('NULL')], [0.2, () => v("'portable_json'")], [0.2, () => v("'js_superjson'")],
        [0.1, () => G.genText(rng, { nullP: 0 })]]),
    };
    const sane = {
      destination_id: () => v(q(this.anyId())),
      message: () => { const a = G.genJson(rng, 'any', { nullP: 0.1 }); return a.hz.length ? v(`'{"m": 1}'`) : a; },
      topic: () => v(rng.pick(['NULL', "'t1'", "''"])),
      idempotency_key: () => v(rng.pick(['NULL', 'NULL', ...IDEMPOTENCY.map(q)])),
      serialization: () => v(rng.pick(['NULL', "'portable_json'", "'js_superjson'"])),
    };
    const params = Object.keys(gens);
    const clean = rng.chance(0.45);
    const wild = rng.chance(0.6) ? rng.pick(params) : null;
    const use = {};
    for (const p of params) use[p] = clean && p !== wild ? sane[p] : gens[p];
    return this.callExpr('send', params, 2, use, call.hz).expr;
  }

  maybePlant(call, idx) {
    const rng = this.rng;
    if (call.readOnly || !rng.chance(0.35)) return null;
    const schema = call.schema && SCHEMAS[call.schema] ? call.schema : 'dbos';
    const id = `pl-${this.o.seed}-${idx}`;
    call.pre.push(...this.plantSql(schema, id, rng.pick(STATUSES), rng.chance(0.7)));
    return id;
  }

  buildGetEvent(call, idx, inner = false) {
    const rng = this.rng;
    const planted = inner ? null : this.maybePlant(call, idx);
    const gens = {
      workflow_id: () => this.workflowIdArg('event', planted),
      key: () => rng.weighted([[0.65, () => v(q(rng.pick(EVENT_KEYS)))], [0.35, () => G.genText(rng, { nullP: 0.15, tag: 'key' })]]),
      timeout_seconds: () => { const s = inner ? v(rng.pick(['0', '0.001', "'-0'"])) : G.genSeconds(rng); call.unbounded = call.unbounded || !!s.unbounded; return s; },
    };
    const r = this.callExpr('get_event', Object.keys(gens), 2, gens, call.hz, inner ? ['timeout_seconds'] : []);
    if (!r.given.timeout_seconds) call.unbounded = true; // default: 60 s
    return r.expr;
  }

  buildGetResult(call, idx, inner = false) {
    const planted = inner ? null : this.maybePlant(call, idx);
    const rng = this.rng;
    const gens = {
      workflow_id: () => this.workflowIdArg('result', planted),
      timeout_seconds: () => { const s = inner ? v(rng.pick(['0', '0.001'])) : G.genSeconds(rng); call.unbounded = call.unbounded || !!s.unbounded; return s; },
    };
    const r = this.callExpr('get_result', Object.keys(gens), 1, gens, call.hz, inner ? ['timeout_seconds'] : []);
    if (!r.given.timeout_seconds) call.unbounded = true; // default: NULL, no limit
    return r.expr;
  }

  buildGetStatus(call, idx, inner = false) {
    const planted = inner ? null : this.maybePlant(call, idx);
    const gens = { workflow_id: () => this.workflowIdArg('status', planted) };
    return this.callExpr('get_status', ['workflow_id'], 1, gens, call.hz).expr;
  }

  // --- 1.1: management and observability ---------------------------------------------------

  boolArg() {
    const rng = this.rng;
    return rng.weighted([[3, () => v('NULL')], [4, () => v(rng.pick(['true', 'false']))], [1, () => v(rng.pick(["'t'", "'yes'", "'off'"]))],
      [0.3, () => v("'maybe'", '22P02')], [0.3, () => v(rng.pick(['1', "'t'::text"]), '42883')]]);
  }

  intArg(extra = []) {
    const rng = this.rng;
    return rng.weighted([[3, () => v(rng.pick(['0', '1', '2', '5', ...extra]))], [1, () => v('NULL')],
      [1, () => v(rng.pick(['-1', '2147483647', '-2147483648']))], [0.3, () => v("'2147483648'", '22003')],
      [0.3, () => v(rng.pick(["'1.5'", "'x'"]), '22P02')], [0.3, () => v(rng.pick(['2147483648', '1.5', "'1'::text"]), '42883')]]);
  }

  floatArg() {
    const rng = this.rng;
    return rng.weighted([[3, () => v(rng.pick(['1', '0.5', '2', '60']))], [1, () => v('NULL')],
      [1, () => v(rng.pick(['0', '-1', "'NaN'", "'Infinity'", "'-Infinity'", '1e308']))], [0.3, () => v("'x'", '22P02')]]);
  }

  // A text[] of generated elements, with NULLs, empties, repeats and odd shapes.
  textArrayArg(elem) {
    const rng = this.rng;
    return rng.weighted([[1, () => v('NULL')], [1, () => v("'{}'")],
      [5, () => { const n = rng.range(1, 4); const xs = []; for (let i = 0; i < n; i++) xs.push(elem()); return v(`ARRAY[${xs.join(', ')}]::text[]`); }],
      [1, () => { const x = elem(); return v(`ARRAY[${x}, ${x}]::text[]`); }],
      [0.7, () => v(rng.pick(["ARRAY[NULL]::text[]", "ARRAY['']", "'{{a,b},{c,d}}'::text[]", "'[0:1]={a,b}'::text[]"]))],
      [0.3, () => v(`(SELECT pg_catalog.array_agg('s' || i) FROM pg_catalog.generate_series(1, ${rng.pick([100, 5000])}) i)`)]]);
  }

  tsArg() {
    const rng = this.rng;
    return rng.weighted([[4, () => v('NULL')], [3, () => v(rng.pick(['now()', "now() - interval '1 day'", "'epoch'", "'2000-01-01'"]))],
      [1, () => v(rng.pick(["'infinity'", "'-infinity'", "'294276-12-31 23:59:59+00'", "'4713-01-01 00:00:00+00 BC'"]))],
      [0.3, () => v(rng.pick(["'soon'", "'2020-13-45'"]), '22007', '22008')], [0.3, () => v(rng.pick(['1', "'x'::text"]), '42883')]]);
  }

  statusArrayArg() {
    const rng = this.rng;
    return rng.weighted([[4, () => v('NULL')], [3, () => v(rng.pick(["ARRAY['ENQUEUED']", "ARRAY['SUCCESS', 'ERROR']", "'{}'", "'{PENDING,DELAYED,ENQUEUED}'",
      "ARRAY[NULL]::text[]", "ARRAY['ü', '']", "'{{SUCCESS,ERROR},{PENDING,ENQUEUED}}'", "'[0:1]={SUCCESS,ERROR}'"]))],
      [0.5, () => v(rng.pick(["'{'", "'SUCCESS'"]), '22P02')], [0.3, () => v(rng.pick(["'SUCCESS'::text", "ARRAY[1]"]), '42883')],
      [0.3, () => v(`(SELECT pg_catalog.array_agg('s' || i) FROM pg_catalog.generate_series(1, ${rng.pick([1000, 100000])}) i)`)]]);
  }

  buildManagement(call, fn, idx) {
    const rng = this.rng;
    const planted = ['list_workflows', 'list_queued_workflows'].includes(fn) ? null : this.maybePlant(call, idx);
    const id = () => this.workflowIdArg(fn === 'read_stream' ? 'stream' : 'status', planted);
    const text = (opts) => () => G.genText(rng, opts);
    const queue = text({ pool: QUEUES, poolP: 0.6, nullP: 0.3, tag: 'queue' });
    let params;
    let required;
    switch (fn) {
      case 'cancel_workflow': case 'list_workflow_steps': case 'get_events':
        params = { workflow_id: id }; required = 1; break;
      case 'resume_workflow': params = { workflow_id: id, queue_name: queue }; required = 1; break;
      case 'delete_workflow': params = { workflow_id: id, delete_children: () => this.boolArg() }; required = 1; break;
      case 'set_workflow_priority': params = { workflow_id: id, priority: () => G.genPriority(rng) }; required = 2; break;
      case 'fork_workflow':
        params = {
          workflow_id: id, start_step: () => this.intArg(['3', '100']),
          new_workflow_id: () => rng.weighted([[3, () => v('NULL')], [3, () => v(q(`fk-${this.o.seed}-${idx}`))], [1, () => v(q(this.anyId()))],
            [2, text({ nullP: 0.1, tag: 'newid' })]]),
          app_version: text({ nullP: 0.6 }), queue_name: queue,
        };
        required = 2;
        break;
      case 'read_stream':
        params = {
          workflow_id: id,
          key: () => rng.weighted([[3, () => v(q(planted ? rng.pick(EVENT_KEYS) : this.streamKeys.get(rng.pick([...this.streamKeys.keys(), 'x'])) || 'k'))],
            [2, text({ nullP: 0.15, tag: 'key' })]]),
          from_offset: () => this.intArg(),
        };
        required = 2;
        break;
      case 'list_workflows':
        params = {
          status: () => this.statusArrayArg(), workflow_name: text({ pool: ['fzWorkflow', 'onRow'], poolP: 0.4, nullP: 0.5 }),
          queue_name: queue, app_version: text({ nullP: 0.7 }), created_after: () => this.tsArg(), created_before: () => this.tsArg(),
          limit_rows: () => this.intArg(['10', '100']), offset_rows: () => this.intArg(), descending: () => this.boolArg(),
          load_input: () => this.boolArg(), load_output: () => this.boolArg(),
        };
        required = 0;
        break;
      case 'list_queued_workflows':
        params = {
          queue_name: queue, status: () => this.statusArrayArg(), workflow_name: text({ pool: ['fzWorkflow', 'onRow'], poolP: 0.4, nullP: 0.5 }),
          created_after: () => this.tsArg(), created_before: () => this.tsArg(), limit_rows: () => this.intArg(['10', '100']),
          offset_rows: () => this.intArg(), descending: () => this.boolArg(), load_input: () => this.boolArg(),
        };
        required = 0;
        break;
      // 1.3
      case 'register_queue':
        params = {
          queue_name: text({ pool: [...QUEUES, 'fuzz_sql_q', '_dbos_mine'], poolP: 0.6, nullP: 0.1, tag: 'queue' }),
          concurrency: () => this.intArg(['10']), worker_concurrency: () => this.intArg(), rate_limit_max: () => this.intArg(),
          rate_limit_period_sec: () => this.floatArg(), partition_concurrency: () => this.intArg(),
          partition_worker_concurrency: () => this.intArg(), partition_rate_limit_max: () => this.intArg(),
          partition_rate_limit_period_sec: () => this.floatArg(), polling_interval_sec: () => this.floatArg(),
          on_conflict: text({ pool: ['always_update', 'never_update', 'update_if_latest_version'], poolP: 0.8, nullP: 0.2 }),
          application_name: text({ pool: ['fz_app', 'fz_other'], poolP: 0.5, nullP: 0.5 }),
        };
        required = 1;
        break;
      case 'retrieve_queue': case 'delete_queue':
        params = { queue_name: text({ pool: [...QUEUES, 'fuzz_sql_q'], poolP: 0.7, nullP: 0.1, tag: 'queue' }) }; required = 1; break;
      case 'queue_stats': params = { queue_name: queue }; required = 0; break;
      case 'list_queues': case 'list_application_versions':
        params = { application_name: () => this.textArrayArg(() => q(rng.pick(['fz_app', 'fz_other', '']))) }; required = 0; break;
      case 'get_latest_application_version': params = { application_name: text({ pool: ['fz_app'], poolP: 0.5, nullP: 0.5 }) }; required = 0; break;
      case 'set_workflow_delay':
        params = { workflow_id: id, delay: () => G.genInterval(rng),
          delay_until: () => this.tsArg() };
        required = 1;
        break;
      case 'cancel_workflows': case 'wait_first': case 'wait_all':
        params = { workflow_ids: () => this.textArrayArg(() => q(this.anyId())) };
        if (fn !== 'cancel_workflows') params.timeout_seconds = () => v(rng.pick(['0', '0.001', '0.01']));
        required = 1;
        break;
      case 'resume_workflows':
        params = { workflow_ids: () => this.textArrayArg(() => q(this.anyId())), queue_name: queue }; required = 1; break;
      case 'delete_workflows':
        params = { workflow_ids: () => this.textArrayArg(() => q(this.anyId())), delete_children: () => this.boolArg() }; required = 1; break;
      case 'read_stream_offset':
        params = {
          workflow_id: id,
          key: () => rng.weighted([[3, () => v(q(this.streamKeys.get(rng.pick([...this.streamKeys.keys(), 'x'])) || 'k'))],
            [2, text({ nullP: 0.15, tag: 'key' })]]),
          stream_offset: () => this.intArg(),
          timeout_seconds: () => v(rng.pick(['0', '0.001', '0.01'])),
        };
        required = 3;
        break;
      default: throw new Error(fn);
    }
    // Waits without a bounded timeout would hang the run: the timeout is always given.
    const force = ['wait_first', 'wait_all', 'read_stream_offset'].includes(fn) ? ['timeout_seconds'] : [];
    const expr = this.callExpr(fn, Object.keys(params), required, params, call.hz, force).expr;
    if (fn.startsWith('list_') || fn === 'get_events' || fn === 'read_stream' || fn === 'queue_stats') {
      return rng.weighted([[3, `SELECT count(*) FROM ${expr}`], [2, `SELECT * FROM ${expr} LIMIT 20`],
        [1, `SELECT pg_catalog.md5(pg_catalog.string_agg(x::text, ',')) FROM ${expr} x`]]);
    }
    return `SELECT ${expr}`;
  }

  // A SELECT around a function call expression.
  wrapSelect(fn, expr) {
    const rng = this.rng;
    if (fn === 'get_status') {
      // (f(x)).* calls f once per column (28 times).
      return rng.weighted([[5, `SELECT ${expr}`], [2, `SELECT * FROM ${expr}`], [0.3, `SELECT (${expr}).*`],
        [1, `SELECT (${expr}).status`], [1, `SELECT s.input, s.output, s.error FROM ${expr} s`]]);
    }
    return rng.weighted([[7, `SELECT ${expr}`], [1, `SELECT * FROM ${expr}`],
      [fn === 'get_result' || fn === 'get_event' ? 0 : 1, `SELECT ${expr} FROM pg_catalog.generate_series(1, ${rng.range(2, 3)})`],
      [1, `WITH x AS (SELECT ${expr} AS r) SELECT r FROM x`]]);
  }

  // ---- triggers -------------------------------------------------------------------------

  triggerOption() {
    const rng = this.rng;
    const col = () => rng.weighted([[6, () => rng.pick(ITEM_COLUMNS)], [1, () => rng.pick(['nope', 'dropme1', 'ctid', 'xmin', 'tableoid', 'ID', 'Id', ''])],
      [1, () => rng.pick(G.HOSTILE)], [0.2, () => 'x'.repeat(rng.pick([64, 300, 100000]))]]);
    const list = () => rng.weighted([[4, () => rng.shuffle(ITEM_COLUMNS).slice(0, rng.range(1, 4)).join(rng.pick([',', ', ', ' , ']))],
      [1, () => rng.pick(['id,,nope', ',', ' , ', 'id,id,id', 'id,', ',id', 'wéird "col,id', 'NOTE'])],
      [0.3, () => Array(rng.pick([100, 5000])).fill('id').join(',')], [1, col]]);
    const interval = () => rng.weighted([[5, () => rng.pick(['10 s', '1 hour', '0', '0 s', '1 microsecond', '-1 s', '1 mon -30 days',
      '100000 years', '178000000 years', 'P1Y', 'PT0.5S', '2147483647 days', '@ 1 minute ago', '1 day -86400000001 microseconds'])],
      [2, () => rng.pick(['soon', 'infinity', '', 'NaN', '1 fortnight', '9999999999 years', '1e400 s', 'P', '10'])],
      [0.5, () => '1 s '.repeat(rng.pick([70, 1000]))], [0.5, () => rng.pick(G.HOSTILE)]]);
    const name = rng.weighted([[8, () => rng.pick(['workflow_id_column', 'deduplication_column', 'partition_column', 'priority',
      'app_version', 'application_name', 'delay', 'timeout', 'columns', 'when_changed'])],
      [1, () => rng.pick(['colour', '', ' priority', 'PRIORITY', 'priority ', 'delay\n', 'é', "it's"])]]);
    if (rng.chance(0.04)) return rng.pick(['priority', 'noequals', '', '=', '==', '=5']);
    let value;
    switch (name) {
      case 'workflow_id_column': case 'deduplication_column': case 'partition_column': value = col(); break;
      case 'priority': value = rng.pick(['0', '5', '2147483647', '2147483648', '-1', 'high', '', ' 5', '+5', '0x10', '1e3',
        '99999999999999999999', '-0', '5 ', '007']); break;
      case 'delay': case 'timeout': value = interval(); break;
      case 'columns': case 'when_changed': value = list(); break;
      default: value = rng.weighted([[3, () => rng.pick(G.WORDS)], [1, () => rng.pick(G.HOSTILE)],
        [1, () => rng.pick(G.UNICODE)], [0.2, () => 'v'.repeat(rng.pick([256, 70000]))], [0.3, '']]);
    }
    return `${name}=${value}`;
  }

  triggerArgs() {
    const rng = this.rng;
    const text = (pool, poolP) => rng.weighted([[poolP, () => rng.pick(pool)], [0.06, ''], [0.1, () => rng.pick(G.HOSTILE)],
      [0.08, () => rng.pick(G.UNICODE)], [0.03, () => rng.pick(['x'.repeat(256), 'é'.repeat(255), 'é'.repeat(256), 'q'.repeat(70000)])]]);
    const args = [text(QUEUES, 0.8), rng.chance(0.5) ? '' : text(['FzClass'], 0.6), text(['onRow', 'fzWorkflow'], 0.8)];
    const n = rng.weighted([[3, 0], [4, 1], [3, 2], [2, 3], [1, 5]]);
    for (let i = 0; i < n; i++) args.push(this.triggerOption());
    if (rng.chance(0.04)) return args.slice(0, rng.int(3));
    return args;
  }

  // A value for a column of the items table, as SQL (hazards into hz).
  itemValue(col, hz, noteFor) {
    const rng = this.rng;
    const t = (opts) => { const a = G.genText(rng, { wrongTypeP: 0, ...opts }); a.hz.forEach((h) => hz.add(h)); return a.sql; };
    switch (col) {
      case 'id': return String(this.itemId++);
      case 'note': return rng.weighted([[6, () => q(noteFor)], [1, 'NULL'], [2, () => t({ tag: 'note' })]]);
      case 'tag': return rng.weighted([[5, 'NULL'], [2, () => q(rng.pick(DEDUPS))], [2, () => t({ tag: 'tag' })]]);
      case 'part': return rng.weighted([[3, 'NULL'], [3, "'p1'"], [1, () => t({ tag: 'part' })]]);
      case 'name': return t({ nullP: 0.2 });
      case 'wéird "col': return t({ nullP: 0.3 });
      case 'j': return rng.weighted([[2, 'NULL'], [3, () => q(G.randomJsonText(rng))]]);
      case 'js': return rng.weighted([[2, 'NULL'], [3, () => q(G.randomJsonText(rng))],
        [1, () => q(rng.pick(['"\\u0000"', '{"a":1,"a":2}', '[1e400]', '  {"x" : [ ] }  ', '"\\ud83e\\udd84"']))]]);
      case 'n': return rng.pick(['NULL', '1', "'NaN'", '1e300', "'Infinity'", '-0.000001', "'1e1000'"]);
      case 'f': return rng.pick(['NULL', '1.5', "'NaN'", "'Infinity'", "'-Infinity'", "'-0'", '1e308']);
      case 'b': return rng.pick(['NULL', "'\\x00ff'::bytea", "''::bytea", "pg_catalog.convert_to('ü', 'UTF8')"]);
      case 'ts': return rng.pick(['NULL', 'now()', "'infinity'", "'-infinity'", "'294276-12-31 23:59:59+00'", "'4713-01-01 00:00:00+00 BC'"]);
      case 'arr': return rng.pick(['NULL', "'{1,NULL,3}'", "'{}'", "'[0:1]={1,2}'"]);
      default: return 'NULL';
    }
  }

  // The firing statement for one of the trigger's events.
  triggerDml(target, event, idx, hz) {
    const rng = this.rng;
    const note = () => `n-${this.o.seed}-${idx}-${rng.int(1e9)}`;
    if (target === 'parts') {
      switch (event) {
        case 'INSERT': return rng.weighted([
          [3, () => `INSERT INTO ${PARTS} (id, note, tag) VALUES ${Array.from({ length: rng.range(1, 3) }, () =>
            `(${rng.pick([this.itemId++, 1000000 + this.itemId++])}, ${rng.chance(0.85) ? q(note()) : 'NULL'}, ${rng.chance(0.7) ? 'NULL' : q(rng.pick(DEDUPS))})`).join(', ')}`],
          [1, () => `INSERT INTO ${PARTS} (id, note) SELECT ${this.itemId} + i, 'pb-' || ${this.itemId += 3000} || '-' || i FROM pg_catalog.generate_series(1, ${rng.pick([2, 999, 1001])}) i`]]);
        case 'UPDATE': return rng.pick([
          `UPDATE ${PARTS} SET note = ${q(note())} || id WHERE id % ${rng.range(2, 7)} = 0`,
          `UPDATE ${PARTS} SET id = id + 1000000, note = 'moved-' || id || ${q(note())} WHERE id < 1000000 AND id % 3 = 0`,
          `UPDATE ${PARTS} SET tag = ${q(rng.pick(DEDUPS))} WHERE id = (SELECT min(id) FROM ${PARTS})`]);
        case 'DELETE': return `DELETE FROM ${PARTS} WHERE id IN (SELECT id FROM ${PARTS} ORDER BY id LIMIT ${rng.range(1, 3)})`;
        default: return `TRUNCATE ${PARTS}`;
      }
    }
    const table = target === 'view' ? VIEW : ITEMS;
    const cols = target === 'view' ? ['id', 'name', 'note', 'tag'] : ITEM_COLUMNS;
    switch (event) {
      case 'INSERT': return rng.weighted([
        [4, () => {
          const use = ['id'].concat(rng.shuffle(cols.slice(1)).slice(0, rng.range(0, cols.length - 1)));
          const rows = Array.from({ length: rng.weighted([[6, 1], [3, 2], [1, 4]]) }, () => {
            const n = rng.chance(0.1) ? 'dup-note' : note();
            return `(${use.map((c) => this.itemValue(c, hz, n)).join(', ')})`;
          });
          return `INSERT INTO ${table} (${use.map(qi).join(', ')}) VALUES ${rows.join(', ')}`;
        }],
        [1, () => {
          const n = rng.weighted([[5, 3], [2, 999], [1, 1000], [1, 1001], [0.5, 2500]]);
          const base = this.itemId;
          this.itemId += n + 1;
          return `INSERT INTO ${table} (id, note, tag) SELECT ${base} + i, ${q(note())} || '-' || i, ${rng.chance(0.8) ? 'NULL' : "'bt-' || (i % 5)"} FROM pg_catalog.generate_series(1, ${n}) i`;
        }],
        [target === 'view' ? 0 : 1, () => `INSERT INTO ${table} (id, note) VALUES (${rng.range(1, 25)}, ${q(note())}) ON CONFLICT (id) DO UPDATE SET note = EXCLUDED.note || '-upd'`],
      ]);
      case 'UPDATE': return rng.weighted([
        [3, () => `UPDATE ${table} SET note = ${q(note())} || '-' || id${target === 'view' ? '' : ', n = coalesce(n, 0) + 1'} WHERE id % ${rng.range(2, 9)} = ${rng.int(2)}`],
        [1, () => `UPDATE ${table} SET name = name WHERE id <= ${rng.range(1, 30)}`],
        [1, () => `UPDATE ${table} SET tag = ${this.itemValue('tag', hz)}, note = ${this.itemValue('note', hz, note())} WHERE id = (SELECT min(id) FROM ${table})`],
        [target === 'view' ? 0 : 1, () => `MERGE INTO ${table} t USING (VALUES (${rng.range(1, 25)}, ${q(note())}), (${this.itemId++}, ${q(note())})) s(id, note) ON t.id = s.id ` +
          'WHEN MATCHED THEN UPDATE SET note = s.note WHEN NOT MATCHED THEN INSERT (id, note) VALUES (s.id, s.note)'],
      ]);
      case 'DELETE': return `DELETE FROM ${table} WHERE id IN (SELECT id FROM ${table} ORDER BY id LIMIT ${rng.range(1, 4)})`;
      default: return `TRUNCATE ${ITEMS}`;
    }
  }

  buildTrigger(call, idx) {
    const rng = this.rng;
    const target = rng.weighted([[7, 'items'], [2, 'parts'], [1, 'view']]);
    const stmt = rng.chance(target === 'view' ? 0.5 : 0.45);
    let timing = 'AFTER';
    if (target === 'view') timing = stmt ? 'AFTER' : 'INSTEAD OF';
    else if (rng.chance(0.06)) timing = 'BEFORE';
    let events;
    if (stmt && target !== 'view' && rng.chance(0.04)) events = ['TRUNCATE'];
    else {
      events = rng.shuffle(['INSERT', 'UPDATE', 'DELETE']).slice(0, rng.weighted([[5, 1], [2, 2], [1, 3]]));
    }
    let referencing = '';
    // Transition tables: AFTER, one event, not on views; row level not on partitioned tables.
    const canRef = timing === 'AFTER' && events.length === 1 && events[0] !== 'TRUNCATE' && target !== 'view' && (stmt || target === 'items');
    if (canRef && rng.chance(stmt ? 0.88 : 0.15)) {
      const e = events[0];
      const refs = [];
      if ((e === 'INSERT' || e === 'UPDATE') && (e === 'INSERT' || rng.chance(0.85))) refs.push('NEW TABLE AS new_rows');
      if ((e === 'DELETE' || e === 'UPDATE') && (e === 'DELETE' || rng.chance(0.85))) refs.push('OLD TABLE AS old_rows');
      if (refs.length) referencing = ` REFERENCING ${refs.join(' ')}`;
    }
    const tname = rng.weighted([[5, 'fz_trg'], [1, 'trg "q\' ü'], [0.5, 't'.repeat(63)]]);
    const args = this.triggerArgs();
    const tableSql = target === 'items' ? ITEMS : target === 'parts' ? PARTS : VIEW;
    // Column lists (UPDATE OF) and transition tables do not go together.
    const evSql = events.map((e) => (e === 'UPDATE' && !referencing && timing !== 'INSTEAD OF' && rng.chance(0.15) ? 'UPDATE OF note, tag' : e)).join(' OR ');
    call.pre.push(`CREATE TRIGGER ${qi(tname)} ${timing} ${evSql} ON ${tableSql}${referencing} FOR EACH ${stmt ? 'STATEMENT' : 'ROW'} ` +
      `EXECUTE FUNCTION dbos.enqueue_trigger(${args.map(q).join(', ')})`);
    call.post.push(`DROP TRIGGER ${qi(tname)} ON ${tableSql}`);
    const event = rng.pick(events);
    return this.triggerDml(target, event, idx, call.hz);
  }

  // Several calls in one PL/pgSQL block, each in its own exception block (a subtransaction):
  // each reports its SQLSTATE and whether the checksum came back, by NOTICE.
  buildMulti(call, idx) {
    const rng = this.rng;
    const n = rng.range(2, 4);
    const body = [];
    call.inner = [];
    for (let i = 0; i < n; i++) {
      const fn = rng.pick(['enqueue', 'enqueue', 'send', 'get_status', 'get_event', 'get_result']);
      const sub = { fn, hz: new Set(), pre: [], post: [] };
      const expr = fn === 'enqueue' ? this.buildEnqueue(sub, idx, true) : fn === 'send' ? this.buildSend(sub)
        : fn === 'get_status' ? this.buildGetStatus(sub, idx, true) : fn === 'get_event' ? this.buildGetEvent(sub, idx, true)
          : this.buildGetResult(sub, idx, true);
      call.inner.push({ fn, hz: sub.hz, expr });
      // An enqueue by assignment (no query of its own) or by SELECT INTO; then the next query
      // must see its row ("rows are written ... before the next query starts").
      const assign = rng.chance(0.5);
      call.inner[i].form = assign ? 'r := dbos.enqueue(...)' : 'SELECT dbos.enqueue(...) INTO r';
      const run = fn === 'enqueue' ? `${assign ? `r := ${expr};` : `SELECT ${expr} INTO r;`}
    EXECUTE pg_catalog.format('SELECT EXISTS (SELECT 1 FROM %I.workflow_status WHERE workflow_uuid = $1)', pg_catalog.current_setting('dbos.system_schema')) INTO vis USING r;
    RAISE NOTICE 'fz-inner ${i} ok vis=% id=%', vis, r;` : `PERFORM ${expr};
    RAISE NOTICE 'fz-inner ${i} ok';`;
      // PERFORM 1: a query, so that rows still buffered by the previous call are written
      // before the checksum's query takes its snapshot.
      // The handler runs after the rollback of the exception block: the checksum proves the
      // rollback, the attempted writes whether the call wrote before failing.
      body.push(`  PERFORM 1;
  c := fuzz_util.checksum();
  a := fuzz_util.attempts();
  BEGIN
    ${run}
  EXCEPTION WHEN OTHERS THEN
    GET STACKED DIAGNOSTICS st = RETURNED_SQLSTATE, m = MESSAGE_TEXT;
    RAISE NOTICE 'fz-inner ${i} err % % % %', st, (fuzz_util.checksum() = c), (fuzz_util.attempts() = a), pg_catalog.left(m, 300);
  END;`);
    }
    let tag = 'fzdo';
    const text = body.join('\n');
    while (text.includes(`$${tag}$`)) tag += 'x';
    return `DO $${tag}$\nDECLARE c text; a text; st text; m text; r text; vis boolean;\nBEGIN\n${text}\nEND $${tag}$`;
  }

  // Schema drift: a first call fills the caches (profile, plans), DDL changes the tables, then
  // the fuzzed call runs on the changed tables, in the same transaction (rolled back).
  buildDdl(call, idx) {
    const rng = this.rng;
    const [ddl, ...hz] = rng.pick(DRIFT);
    hz.forEach((h) => call.hz.add(h));
    call.drift = ddl;
    call.end = 'ROLLBACK';
    call.schema = 'fz_ddl';
    call.role = null;
    call.readOnly = false;
    call.ctx.push("SELECT pg_catalog.set_config('dbos.system_schema', 'fz_ddl', true)");
    const warmId = `fzw-${this.o.seed}-${idx}`;
    const warm = `SELECT dbos.enqueue('_dbos_internal_queue', 'C', 'w', '[1, "a"]', workflow_id => ${q(warmId)}, ` +
      `priority => 3, delay => ${rng.pick(["NULL", "'1 hour'"])}, partition_key => ${rng.pick(["NULL", "'p'"])}), ` +
      `dbos.get_status(${q(warmId)}) IS NOT NULL, dbos.send(${q(warmId)}, '{"m": 1}', 't'), dbos.get_event(${q(warmId)}, 'k', 0)`;
    const fn = rng.pick(['enqueue', 'enqueue', 'send', 'get_status', 'get_status', 'get_event', 'get_result',
      ...['list_workflows', 'fork_workflow', 'cancel_workflow', 'delete_workflow', 'get_events'].filter((f) => this.functions.has(f))]);
    call.innerFn = fn;
    const sub = { fn, hz: call.hz, pre: [], post: [], ctx: [] };
    let expr;
    if (fn === 'enqueue') expr = this.buildEnqueue(sub, idx, true);
    else if (fn === 'send') expr = rng.chance(0.7) ? `dbos.send(${q(warmId)}, ${q(G.randomJsonText(rng))}, ${rng.pick(["NULL", "'t'"])})` : this.buildSend(sub);
    else if (fn === 'get_status') expr = `dbos.get_status(${q(rng.chance(0.8) ? warmId : this.anyId())})`;
    else if (fn === 'get_event') expr = `dbos.get_event(${q(warmId)}, 'k', 0)`;
    else if (fn === 'get_result') expr = `dbos.get_result(${q(warmId)}, 0)`;
    else if (fn === 'list_workflows') expr = `dbos.list_workflows(load_input => true, load_output => ${rng.pick(['true', 'false'])})`;
    else if (fn === 'fork_workflow') expr = `dbos.fork_workflow(${q(warmId)}, ${rng.pick([0, 1, 5])})`;
    else expr = `dbos.${fn}(${q(warmId)})`;
    const set = fn === 'get_status' || fn === 'list_workflows' || fn === 'get_events';
    return `${warm}; ${ddl}; ${set ? `SELECT * FROM ${expr}` : `SELECT ${expr}`}`;
  }

  // Random values for the three settings, as set_config calls (expressions allowed).
  settings(call) {
    const rng = this.rng;
    const out = [];
    if (rng.chance(0.5)) {
      const sch = rng.weighted([[3, () => v(q(rng.pick(Object.keys(SCHEMAS))))],
        [2, () => v(q(rng.pick(['fz_empty', 'fz_nope', '', 'DBOS', '"dbos"', ' dbos', 'dbos ', 'pg_catalog', 'public', 'information_schema', 'pg_toast'])))],
        [1, () => G.genText(rng, { nullP: 0.2, wrongTypeP: 0, nulP: 0 })]]);
      sch.hz.forEach((h) => call.hz.add(h));
      const m = /^'(.*)'$/s.exec(sch.sql);
      call.schema = m ? m[1].replace(/''/g, "'") : sch.sql === 'NULL' ? 'dbos' : '?';
      out.push(`SELECT pg_catalog.set_config('dbos.system_schema', ${sch.sql}, true)`);
    }
    for (const name of ['application_name', 'app_version']) {
      if (!rng.chance(0.4)) continue;
      // A long value lands in indexed columns (application_name is in DBOS's queue index).
      const val = G.genText(rng, { nullP: 0.2, emptyP: 0.2, wrongTypeP: 0, nulP: 0 });
      val.hz.forEach((h) => call.hz.add(h));
      out.push(`SELECT pg_catalog.set_config('dbos.${name}', ${val.sql}, true)`);
    }
    return out;
  }

  buildCall(idx) {
    const rng = this.rng;
    const weights = [[30, 'enqueue'], [14, 'send'], [10, 'get_event'], [10, 'get_status'], [10, 'get_result'], [18, 'trigger'],
      [5, 'multi'], [1.5, 'set_config'], [0.5, 'trigger_direct'], [2, 'ddl'],
      ...MANAGEMENT.filter((f) => this.functions.has(f)).map((f) => [f.startsWith('list_') ? 2 : 2.5, f])]
      .filter(([, f]) => !this.o.only || this.o.only.includes(f));
    const fn = rng.weighted(weights);
    const call = { idx, fn, hz: new Set(), pre: [], post: [], ctx: [], unbounded: false, schema: 'dbos' };
    call.iso = rng.weighted([[82, 'READ COMMITTED'], [10, 'REPEATABLE READ'], [5, 'SERIALIZABLE']]);
    call.readOnly = fn !== 'trigger' && rng.chance(0.03);
    if (rng.chance(0.22)) call.ctx.push(...this.settings(call));
    if (fn !== 'trigger' && fn !== 'multi' && rng.chance(0.06)) call.role = rng.pick(['fuzz_noprivs', 'fuzz_client']);
    if (rng.chance(0.04)) call.latin1 = true;
    switch (fn) {
      case 'enqueue': call.sql = this.wrapSelect(fn, this.buildEnqueue(call, idx)); break;
      case 'send': call.sql = this.wrapSelect(fn, this.buildSend(call)); break;
      case 'get_event': call.sql = this.wrapSelect(fn, this.buildGetEvent(call, idx)); break;
      case 'get_status': call.sql = this.wrapSelect(fn, this.buildGetStatus(call, idx)); break;
      case 'get_result': call.sql = this.wrapSelect(fn, this.buildGetResult(call, idx)); break;
      case 'trigger': call.sql = this.buildTrigger(call, idx); break;
      case 'multi': call.sql = this.buildMulti(call, idx); break;
      case 'ddl': call.sql = this.buildDdl(call, idx); break;
      case 'cancel_workflow': case 'resume_workflow': case 'fork_workflow': case 'delete_workflow': case 'set_workflow_priority':
      case 'list_workflows': case 'list_queued_workflows': case 'list_workflow_steps': case 'get_events': case 'read_stream':
      case 'register_queue': case 'retrieve_queue': case 'delete_queue': case 'list_queues': case 'queue_stats':
      case 'list_application_versions': case 'get_latest_application_version': case 'set_workflow_delay':
      case 'cancel_workflows': case 'resume_workflows': case 'delete_workflows': case 'wait_first': case 'wait_all':
      case 'read_stream_offset':
        call.sql = this.buildManagement(call, fn, idx);
        break;
      case 'trigger_direct':
        call.sql = rng.pick(['SELECT dbos.enqueue_trigger()', 'SELECT * FROM dbos.enqueue_trigger()']);
        call.hz.add('42804'); // a trigger function in FROM: refused by the parser
        break;
      case 'set_config': {
        const name = rng.pick(['fz_nope', 'System_Schema', 'APP_VERSION', 'application_name', 'system_schema.x', '', 'é', "it's"]);
        call.hz.add('42602');
        call.sql = rng.chance(0.5) ? `SELECT pg_catalog.set_config(${q('dbos.' + name)}, ${G.genText(rng, { nullP: 0.2, wrongTypeP: 0, nulP: 0 }).sql}, true)`
          : `SET LOCAL ${name && /^[a-z_]+$/i.test(name) ? 'dbos.' + name : qi('dbos.' + name)} = 'x'`;
        break;
      }
      default: throw new Error(fn);
    }
    if (call.readOnly) call.pre = [];
    call.stmtTimeout = call.unbounded ? rng.pick([20, 50, 100]) : 60000; // 60 s: a hang
    call.end = fn === 'ddl' ? 'ROLLBACK' : rng.chance(0.6) ? 'COMMIT' : 'ROLLBACK';
    return call;
  }

  // ---- running and judging --------------------------------------------------------------

  contextSql(call) {
    const s = ['SAVEPOINT fz', ...call.ctx];
    if (this.o.selftestWrite) s.push("SET LOCAL fuzz.selftest_write = 'on'");
    if (call.role) s.push(`SET LOCAL ROLE ${call.role}`);
    if (call.latin1) s.push("SET LOCAL client_encoding = 'LATIN1'");
    s.push(`SET LOCAL statement_timeout = ${call.stmtTimeout}`); // last: the settings take time (1 MB values)
    return s;
  }

  reproScript(call, extra = '') {
    const lines = [`-- dbos_fuzz seed ${this.o.seed}, call #${call.idx} (${call.fn})${extra}`,
      `BEGIN ISOLATION LEVEL ${call.iso}${call.readOnly ? ' READ ONLY' : ''};`];
    // Committed fixture rows the call reads (written here in the same transaction: a wait
    // on a non-final one then fails with 55000 instead of waiting).
    const text = call.sql + call.pre.join('\n');
    for (const [id, rows] of this.fixtureSql) {
      if (!text.includes(q(id))) continue;
      lines.push(`-- fixture ${id} (committed before the call in the fuzz run):`);
      for (const r of rows) lines.push(r + ';');
    }
    for (const p of call.pre) lines.push(p + ';');
    for (const p of this.contextSql(call)) lines.push(p + ';');
    lines.push(call.sql + ';');
    lines.push('ROLLBACK;');
    return lines.join('\n');
  }

  classify(fn, code, hz, call) {
    if (!code) return 'violation';
    if (code === 'XX000') return 'violation';
    if ((README[fn] || []).includes(code)) return 'README';
    if (fn === 'trigger' && TRIGGER_DOC.includes(code)) return 'trigger-doc';
    if (fn === 'trigger_direct' && code === '39P01') return 'trigger-doc';
    if (fn === 'ddl') {
      if ((README[call.innerFn] || []).includes(code) || ['42P01', '3F000', '0A000', '23503', '25000', '55000'].includes(code)) return 'README';
      if (hz.has(code)) return 'schema-drift';
    }
    if (hz.has(code)) return 'pg-input';
    if (code === '57014' && call.unbounded) return 'env';
    if (code === '42501' && call.role === 'fuzz_noprivs') return 'env';
    if (code === '25006' && call.readOnly) return 'env';
    if (code === '22P05' && call.latin1) return 'env';
    if (code === '42602' && fn === 'set_config') return 'env';
    // dbos.system_schema is superuser-only (README, Settings).
    if (code === '42501' && fn === 'set_config' && call.role) return 'README';
    return 'violation';
  }

  count(fn, outcome, cls) {
    if (!this.stats.has(fn)) this.stats.set(fn, new Map());
    const m = this.stats.get(fn);
    m.set(outcome, (m.get(outcome) || 0) + 1);
    if (cls) {
      if (!this.classes.has(outcome)) this.classes.set(outcome, new Map());
      const c = this.classes.get(outcome);
      c.set(cls, (c.get(cls) || 0) + 1);
    }
  }

  violation(call, kind, err, extra = {}) {
    const msg = err ? String(err.message || '') : '';
    const sig = `${call.fn}|${kind}|${err && err.code ? err.code : ''}|${msg.replace(/"[^"]*"/g, '"…"').replace(/\d+/g, 'N').slice(0, 80)}` +
      (call.drift ? `|${call.innerFn}|${call.drift}` : '');
    if (call.drift) extra.note = `${extra.note ? extra.note + '; ' : ''}schema drift: ${call.drift}; then ${call.innerFn}`;
    this.violations.push({ sig, kind, fn: call.fn, idx: call.idx, code: err && err.code, message: msg, detail: err && err.detail,
      file: err && err.file, line: err && err.line, routine: err && err.routine, repro: this.reproScript(call, extra.note ? ` — ${extra.note}` : ''), ...extra });
  }

  // "schema.table +i/+u/+d" for each table whose attempted-write counts moved from a to b.
  async attemptsDiff(a, b) {
    const parse = (t) => new Map(t.split(' ').filter(Boolean).map((x) => { const [oid, c] = x.split(':'); return [oid, c.split('/').map(Number)]; }));
    const before = parse(a);
    const out = [];
    for (const [oid, c] of parse(b)) {
      const p = before.get(oid) || [0, 0, 0];
      if (c.some((n, i) => n !== p[i])) {
        const name = (await this.sql(`SELECT ${oid}::oid::regclass::text AS n`).catch(() => ({ rows: [{ n: oid }] }))).rows[0].n;
        out.push(`${name} +${c[0] - p[0]}/+${c[1] - p[1]}/+${c[2] - p[2]}`);
      }
    }
    return out.join(', ');
  }

  // Whether a call that failed with `code` must have written nothing at all (README: "Every
  // bad input is an ERROR that writes nothing"): not a conflict found by writing (23505,
  // DB006), not an interruption or an encoding failure of the result (57014, 22P05), and not a
  // call whose statements include writes of their own (schema drift: a first call, then DDL).
  mustNotWrite(call, fn, code) {
    if (call.fn === 'ddl') return false;
    // A row-level trigger writes each row's workflow when that row fires it, as an INSERT in
    // the trigger would: a later row's error follows earlier rows' writes (statement-level
    // triggers check every row first).
    if (call.fn === 'trigger' && /FOR EACH ROW/.test([...(call.pre || []), call.sql || ''].join('\n'))) return false;
    return !['23505', 'DB006', '57014', '22P05', '40001', '40P01'].includes(code);
  }

  judge(call, fn, err, hz) {
    this.callsTried++;
    if (!err) {
      this.count(fn, 'success');
      this.passed++;
      return true;
    }
    const code = err.code;
    const cls = this.classify(fn, code, hz, call);
    this.count(fn, code || 'connection lost', cls);
    let ok = cls !== 'violation';
    if (!ok) this.violation(call, code ? (code === 'XX000' ? 'XX000' : 'undocumented SQLSTATE') : 'connection lost', err, { note: fn !== call.fn ? `inner ${fn}` : '' });
    // Invalid UTF-8 from the server reaches us as U+FFFD (our inputs never contain it).
    const texts = [err.message, err.detail, err.hint].filter(Boolean).join('\n');
    if (ok && !call.latin1 && texts.includes('\ufffd') && !call.sql.includes('\ufffd') && !call.pre.join('').includes('\ufffd')) {
      this.violation(call, 'invalid UTF-8 in error text', err);
      ok = false;
    }
    if (ok) this.passed++; else this.failed++;
    return ok;
  }

  async runCall(call) {
    this.notices = [];
    const t0 = Date.now();
    let c0, c1, a0;
    try {
      const r = await this.sql(`BEGIN ISOLATION LEVEL ${call.iso}${call.readOnly ? ' READ ONLY' : ''}; SELECT fuzz_util.checksum() AS c`);
      c0 = r[1].rows[0].c;
      if (this.expectCommitted && this.expectCommitted.checksum !== c0) {
        const prev = this.expectCommitted.call;
        this.demote();
        this.violation(prev, 'rows left behind after commit', { message: `committed checksum ${c0} != expected ${this.expectCommitted.checksum}` });
      }
      this.expectCommitted = null;
      c1 = c0;
      if (call.pre.length) {
        const r2 = await this.sql(call.pre.join(';\n') + '; SELECT fuzz_util.checksum() AS c');
        c1 = r2[r2.length - 1].rows[0].c;
      }
      // The attempted writes so far, read before the statement_timeout (set last) applies.
      const ctxSql = this.contextSql(call);
      const ctx = await this.sql([...ctxSql.slice(0, -1), 'SELECT fuzz_util.attempts() AS a', ctxSql[ctxSql.length - 1]].join('; '));
      a0 = ctx[ctx.length - 2].rows[0].a;
    } catch (e) {
      if (this.lostConnection(e)) return this.connectionLost(call, e);
      // The harness itself failed (a fixture row or a setting): report it, it is our bug.
      this.callsTried++;
      this.failed++;
      this.count(call.fn, 'harness error', 'violation');
      this.violation(call, 'harness error', e);
      await this.sql('ROLLBACK').catch(() => {});
      return;
    }

    let res = null;
    let err = null;
    try {
      res = await this.sql(call.sql);
    } catch (e) {
      err = e;
    }
    const ms = Date.now() - t0;
    if (process.env.DBOS_FUZZ_PROFILE) {
      this.fnProf = this.fnProf || {};
      const k = call.fn + (call.unbounded ? '~' : '');
      const e = this.fnProf[k] = this.fnProf[k] || [0, 0];
      e[0]++; e[1] += ms;
    }
    if (err && this.lostConnection(err)) return this.connectionLost(call, err);

    if (call.fn === 'multi') this.judgeMulti(call, err);
    else this.judge(call, call.fn, err, call.hz);
    this.slowest.push([ms, call.fn, call.idx]);
    if (this.slowest.length > 50) { this.slowest.sort((a, b) => b[0] - a[0]); this.slowest.length = 10; }

    try {
      const reset = call.role ? 'RESET ROLE; ' : '';
      const post = call.post.length ? call.post.join('; ') + '; ' : '';
      if (!err) {
        await this.checkEnqueued(call, res);
        if (call.roundTrip && !call.latin1 && !call.role && call.schema === 'dbos') await this.roundTrip(call);
        await this.sql(`RELEASE SAVEPOINT fz; ${reset}${post}${call.end}`);
        if (call.end === 'COMMIT' && call.fn === 'enqueue' && call.returnsId && (call.schema === 'dbos') && !call.latin1) {
          this.ids.push(call.freshId);
          if (this.ids.length > 300) this.ids.splice(0, 100);
        }
      } else {
        const r = await this.sql('ROLLBACK TO SAVEPOINT fz; SELECT fuzz_util.checksum() AS c, fuzz_util.attempts() AS a');
        const c2 = r[1].rows[0].c;
        const a2 = r[1].rows[0].a;
        if (c2 !== c1) {
          this.demote();
          this.violation(call, 'rows left behind', err, { note: `checksum before ${c1}, after ${c2}` });
        } else if (a2 !== a0 && this.mustNotWrite(call, call.fn, err.code)) {
          this.demote();
          this.violation(call, 'wrote before failing', err, { note: `writes attempted by the call (inserted/updated/deleted): ${await this.attemptsDiff(a0, a2)}` });
        }
        await this.sql(`${post}${call.end}`);
        this.expectCommitted = { checksum: call.end === 'COMMIT' ? c1 : c0, call };
      }
    } catch (e) {
      if (this.lostConnection(e)) return this.connectionLost(call, e, true);
      this.demote();
      this.violation(call, 'harness error (end of transaction)', e);
      await this.sql('ROLLBACK').catch(() => {});
      this.expectCommitted = null;
    }
  }

  // "Rows are written when the statement ends": every ID a successful dbos.enqueue returned
  // has its row once the statement is over (also the IDs enqueued inside a DO block).
  async checkEnqueued(call, res) {
    if (call.latin1) return;
    let ids = [];
    if (call.fn === 'enqueue' && res) {
      for (const r of [].concat(res)) for (const row of r.rows || []) for (const val of Object.values(row)) if (typeof val === 'string') ids.push(val);
    } else if (call.fn === 'multi' || call.fn === 'ddl') {
      for (const n of this.notices) {
        const m = /^fz-inner \d+ ok vis=\w+ id=([\s\S]*)$/.exec(n.message || '');
        if (m) ids.push(m[1]);
      }
    }
    const schema = call.schema;
    if (!ids.length || !schema || schema === '?' || !SCHEMAS[schema] || !SCHEMAS[schema].full) return;
    const r = await this.sql(`SELECT fuzz_util.missing(${q(schema)}, ARRAY[${ids.map(q).join(', ')}]::text[]) AS m`);
    const missing = r.rows[0].m;
    if (missing && missing.length) {
      this.demote();
      this.violation(call, 'enqueued workflow has no row after the statement', { message: `dbos.enqueue returned ${missing.slice(0, 5).join(', ')} but ${qi(schema)}.workflow_status has no such row` });
    }
  }

  // What get_status reads back of the arguments just enqueued must be the arguments (in the
  // same transaction); a difference, or an error of get_status, is a violation.
  async roundTrip(call) {
    const { id, args } = call.roundTrip;
    try {
      const r = await this.sql(`SAVEPOINT rt; SELECT (s.input = (${args})::jsonb) AS same, s.input::text AS got, (${args})::jsonb::text AS want, s.serialization FROM dbos.get_status(${q(id)}) s; RELEASE SAVEPOINT rt`);
      const row = r[1].rows[0];
      if (!row || row.same !== true) {
        this.demote();
        this.violation(call, 'round trip: get_status reads back other arguments', {
          message: row ? `enqueue(args => ${squeeze(row.want)}) [${row.serialization}] reads back as ${squeeze(row.got)}` : `get_status(${id}) returned no row` });
      }
    } catch (e) {
      if (this.lostConnection(e)) throw e;
      this.demote();
      this.violation(call, 'round trip: get_status fails on what enqueue accepted', e);
      await this.sql('ROLLBACK TO SAVEPOINT rt');
    }
  }

  // A call already counted as passed turns out to have left rows behind: count it as failed.
  demote() {
    if (this.passed > 0) this.passed--;
    this.failed++;
  }

  judgeMulti(call, err) {
    const seen = new Set();
    for (const n of this.notices) {
      const vis = /^fz-inner (\d+) ok vis=(\w+) id=/.exec(n.message || '');
      const m = /^fz-inner (\d+) (ok|err) ?(\S*) ?([tf]?) ?([tf]?) ?([\s\S]*)$/.exec((n.message || '').replace(/ ok vis=[\s\S]*$/, ' ok'));
      if (!m) continue;
      const i = Number(m[1]);
      seen.add(i);
      const inner = call.inner[i];
      const sub = { ...call, fn: 'multi', sql: call.sql };
      if (m[2] === 'ok') {
        if (this.judge(sub, inner.fn, null, inner.hz) && vis && vis[2] === 'f') {
          this.demote();
          this.violation({ ...sub, drift: null }, 'enqueued row not visible to the next query', { message: `after ${inner.form} in PL/pgSQL the next query does not see the row` },
            { note: `inner call ${i}: ${inner.form}` });
        }
        continue;
      }
      const e = { code: m[3], message: m[6] };
      this.judge(sub, inner.fn, e, inner.hz);
      if (m[4] !== 't') {
        this.demote();
        this.violation(sub, 'rows left behind (inside PL/pgSQL exception block)', e, { note: `inner call ${i}: ${inner.expr.slice(0, 300)}` });
      } else if (m[5] !== 't' && this.mustNotWrite(sub, inner.fn, e.code)) {
        this.demote();
        this.violation(sub, 'wrote before failing (inside PL/pgSQL exception block)', e, { note: `inner call ${i}: ${inner.expr.slice(0, 300)}` });
      }
    }
    if (err) {
      // Not caught by WHEN OTHERS (57014), or a failure of the block itself: charge it to the
      // first inner call that did not report.
      let i = 0;
      while (seen.has(i)) i++;
      const inner = call.inner[Math.min(i, call.inner.length - 1)];
      const hz = new Set(inner.hz);
      this.judge({ ...call, unbounded: call.unbounded }, inner.fn, err, hz);
    }
  }

  lostConnection(e) {
    return this.dead || !e.code || /^57P0[123]$/.test(e.code);
  }

  async connectionLost(call, e, afterCall = false) {
    if (!afterCall) {
      this.callsTried++;
      this.count(call.fn, 'connection lost', 'violation');
      this.failed++;
    } else {
      this.demote();
    }
    this.violation(call, 'connection lost (server crash?)', e);
    console.log(`!! connection lost at call #${call.idx} (${call.fn}): ${e.message}; reconnecting`);
    await this.reconnect();
    this.expectCommitted = null;
  }

  // ---- after the run --------------------------------------------------------------------

  checkServer() {
    const problems = [];
    if (this.logOffset !== null && fs.existsSync(this.logPath)) {
      const fd = fs.openSync(this.logPath, 'r');
      const size = fs.fstatSync(fd).size;
      const len = Math.max(0, size - this.logOffset);
      const buf = Buffer.alloc(Math.min(len, 200 * 1024 * 1024));
      fs.readSync(fd, buf, 0, buf.length, this.logOffset);
      fs.closeSync(fd);
      const text = buf.toString('utf8');
      for (const line of text.split('\n')) {
        if (/server process .* (was terminated|exited with exit code)|terminated by signal|PANIC:|TRAP:/.test(line))
          problems.push(`server log: ${line.slice(0, 300)}`);
      }
    } else {
      problems.push(`server log ${this.logPath} not readable: crashes can only be seen as lost connections`);
      this.logUnreadable = true;
    }
    const pid = this.readPostmasterPid();
    if (this.postmasterPid && pid !== this.postmasterPid) problems.push(`postmaster PID changed: ${this.postmasterPid} -> ${pid}`);
    return problems;
  }

  report(seconds, serverProblems) {
    const o = this.o;
    const line = (s) => console.log(s);
    line(`\n== dbos_client fuzz: seed ${o.seed}, ${this.callsTried} calls in ${seconds.toFixed(1)} s`);
    const fns = [...this.stats.keys()].sort();
    line('calls per function: ' + fns.map((f) => `${f} ${[...this.stats.get(f).values()].reduce((a, b) => a + b, 0)}`).join(', '));
    line('\noutcomes (SQLSTATE  name  class: count)');
    const totals = new Map();
    for (const f of fns) for (const [k, n] of this.stats.get(f)) totals.set(k, (totals.get(k) || 0) + n);
    const keys = [...totals.keys()].sort((a, b) => (a === 'success' ? -1 : b === 'success' ? 1 : a.localeCompare(b)));
    for (const k of keys) {
      const cls = this.classes.get(k);
      const clsText = cls ? [...cls.entries()].map(([c, n]) => `${c} ${n}`).join(', ') : '';
      const per = fns.filter((f) => this.stats.get(f).has(k)).map((f) => `${f} ${this.stats.get(f).get(k)}`).join(', ');
      line(`  ${k.padEnd(16)} ${(SQLSTATE_NAMES[k] || '').padEnd(34)} ${String(totals.get(k)).padStart(6)}  [${clsText || 'ok'}]  ${per}`);
    }
    if (this.slowest.length) {
      this.slowest.sort((a, b) => b[0] - a[0]);
      line('\nslowest calls: ' + this.slowest.slice(0, 5).map(([ms, f, i]) => `#${i} ${f} ${ms} ms`).join(', '));
    }
    if (this.reconnects) line(`reconnects after a lost connection: ${this.reconnects}`);
    for (const p of serverProblems) line(`!! ${p}`);

    if (this.violations.length) {
      const groups = new Map();
      for (const v of this.violations) {
        if (!groups.has(v.sig)) groups.set(v.sig, []);
        groups.get(v.sig).push(v);
      }
      fs.mkdirSync(o.reproDir, { recursive: true });
      line(`\n== ${this.violations.length} violations in ${groups.size} kinds (reproductions in ${o.reproDir})`);
      let k = 0;
      for (const [, list] of groups) {
        const first = list.reduce((a, b) => (b.repro.length < a.repro.length ? b : a));
        const file = path.join(o.reproDir, `seed${o.seed}-call${first.idx}.sql`);
        fs.writeFileSync(file, first.repro + '\n');
        line(`\n[${++k}] ${first.kind} in ${first.fn}: ${first.code || '-'} ${first.message.slice(0, 300)}`);
        if (first.detail) line(`    DETAIL: ${String(first.detail).slice(0, 300)}`);
        if (first.file) line(`    raised at ${first.file}:${first.line} (${first.routine})`);
        if (first.note) line(`    ${first.note.slice(0, 300)}`);
        line(`    ${list.length}x, calls #${list.slice(0, 8).map((x) => x.idx).join(', #')}${list.length > 8 ? ', ...' : ''}`);
        line(`    reproduce: psql -d ${o.db} -f ${file}   (or: node test/fuzz/fuzz.js --seed ${o.seed} --calls ${first.idx + 1})`);
        const r = first.repro.length > 1500 ? first.repro.slice(0, 1500) + `\n    ... (${first.repro.length} chars, see file)` : first.repro;
        line('    ' + r.split('\n').join('\n    '));
      }
    }
  }
}

async function main() {
  const o = parseArgs(process.argv);
  const f = new Fuzzer(o);
  await f.connect();
  await f.setup();
  console.log(`fuzz: seed ${o.seed}, ${o.calls} calls, database ${o.db} on ${o.host}:${o.port}, log ${f.logPath}`);
  const t0 = Date.now();
  let i = 0;
  for (; i < o.calls; i++) {
    if (o.maxSeconds && (Date.now() - t0) / 1000 > o.maxSeconds) break;
    if (i > 0 && i % o.resetEvery === 0) await f.reset();
    const call = f.buildCall(i);
    if (o.selftestCrash === i) {
      // Self-test of the crash detection: a backend killed by SIGSEGV in the middle of a call.
      call.sql = 'SELECT pg_catalog.pg_sleep(2)';
      const pid = f.backendPid;
      setTimeout(() => { try { process.kill(pid, 'SIGSEGV'); } catch (e) { console.log(`selftest: cannot kill ${pid}: ${e.message}`); } }, 300);
    }
    if (o.verbose) console.log(`#${i} ${call.fn}: ${call.sql.slice(0, 200)}`);
    await f.runCall(call);
    if (process.env.DBOS_FUZZ_PROFILE && i % 200 === 199) console.log('profile', JSON.stringify(f.prof), JSON.stringify(f.fnProf));
    if (!o.verbose && i > 0 && i % 1000 === 0) console.log(`  ... ${i} calls, ${f.failed} failed, ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  }
  const seconds = (Date.now() - t0) / 1000;
  await f.client.end().catch(() => {});
  // Give the postmaster a moment to log a crash of the last call.
  await new Promise((r) => setTimeout(r, 300));
  const problems = f.checkServer();
  const serverFailures = problems.filter((p) => !/not readable/.test(p)).length;
  f.report(seconds, problems);
  // The run is one test: it passes when no call and no server check found a violation.
  const violations = f.violations.length + serverFailures;
  const ok = violations === 0 && f.failed === 0 && f.callsTried > 0;
  console.log(`\nfuzz: ${f.callsTried} calls, ${violations} violations (${f.failed} calls failed; seed ${o.seed}, ${seconds.toFixed(1)} s)`);
  console.log(`suite ${process.env.DBOS_SUITE_PREFIX || ''}fuzz (${f.mode}): ${ok ? '1 passed, 0 failed' : '0 passed, 1 failed'}`);
  process.exit(ok ? 0 : 1);
}

main().catch((e) => {
  console.error(`fuzz: harness failure: ${e.stack || e.message}`);
  console.log(`suite ${process.env.DBOS_SUITE_PREFIX || ''}fuzz: 0 passed, 1 failed`);
  process.exit(1);
});
