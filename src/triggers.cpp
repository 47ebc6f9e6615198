// dbos.enqueue_trigger: a workflow per changed row, written when the trigger fires, in the
// transaction of the change. Row-level triggers write their row with the cached one-row
// statements; statement-level triggers read the transition tables and write them with
// set-based statements (enqueue_batch), whatever fired them: INSERT, UPDATE, DELETE, COPY.
// Postgres side.
#include "error_bridge.hpp"
#include "dbos_client.hpp"

extern "C" {
#include "access/htup_details.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/trigger.h"
#include "executor/tuptable.h"
#include "utils/array.h"
#include "utils/datetime.h"
#include "utils/datum.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
#include "utils/tuplestore.h"
#include "utils/json.h"
#include "utils/rel.h"
#include "utils/typcache.h"
}

namespace dbos_client {
namespace {

constexpr int kChunkRows = 10000;  // rows per set-based write: bounds a statement's memory

// A column list option: attribute numbers in the table.
struct Columns {
  int count;
  AttrNumber *attnums;
};

// Parsed trigger arguments, cached per trigger until its table changes.
struct TriggerConfig {
  Oid tgoid;  // hash key
  Oid relid;
  MemoryContext context;
  char *queue, *workflow_class, *workflow_name;
  char *schema, *table;
  AttrNumber id_column, dedup_column, partition_column;  // 0: none
  int32 priority;
  char *app_version, *application_name;
  int64 delay_ms, timeout_ms;
  Columns columns;       // empty: the whole row
  TupleDesc projection;  // blessed descriptor of `columns`
  Columns when_changed;  // UPDATE enqueues only when one of these changed
  Oid *when_changed_eq;  // their types' equality functions (InvalidOid: compare bytes)
  AttrNumber debounce_column;                  // 1.3: debounce by this column (0: none)
  int64 debounce_period_ms, debounce_timeout_ms;  // -1: none
};

HTAB *configs = nullptr;

void invalidate_configs(Datum, Oid relid) {
  if (!configs) return;
  HASH_SEQ_STATUS seq;
  hash_seq_init(&seq, configs);
  TriggerConfig *c;
  while ((c = (TriggerConfig *)hash_seq_search(&seq)) != nullptr) {
    if (relid != InvalidOid && c->relid != relid) continue;
    if (c->context) MemoryContextDelete(c->context);
    (void)hash_search(configs, &c->tgoid, HASH_REMOVE, nullptr);
  }
}

[[noreturn]] void bad_argument(Trigger *tg, Relation rel, const char *arg, int code, const char *detail) {
  ereport(ERROR, (errcode(code),
                  errmsg("invalid argument \"%s\" of trigger \"%s\" on table \"%s\"", arg, tg->tgname,
                         RelationGetRelationName(rel)),
                  errdetail("%s", detail),
                  errhint("Arguments are: queue, workflow class ('' for none), workflow name, then "
                          "options such as 'workflow_id_column=id', 'priority=5', 'delay=10 s', "
                          "'columns=a,b', 'when_changed=a,b'.")));
}

AttrNumber column_number(Trigger *tg, Relation rel, const char *arg, const char *name) {
  TupleDesc desc = RelationGetDescr(rel);
  for (int i = 0; i < desc->natts; i++) {
    Form_pg_attribute att = TupleDescAttr(desc, i);
    if (!att->attisdropped && strcmp(NameStr(att->attname), name) == 0) return att->attnum;
  }
  bad_argument(tg, rel, arg, ERRCODE_UNDEFINED_COLUMN,
               psprintf("Table \"%s\" has no column \"%s\".", RelationGetRelationName(rel), name));
}

// A column whose text becomes a workflow ID, deduplication ID or partition key: its text
// must not depend on session settings (DateStyle, TimeZone, extra_float_digits), or
// replaying the same change under other settings would enqueue another workflow.
AttrNumber key_column(Trigger *tg, Relation rel, const char *arg, const char *name) {
  AttrNumber attnum = column_number(tg, rel, arg, name);
  Oid type = getBaseType(TupleDescAttr(RelationGetDescr(rel), attnum - 1)->atttypid);
  switch (type) {
    case TEXTOID: case VARCHAROID: case BPCHAROID: case NAMEOID: case CHAROID:
    case INT2OID: case INT4OID: case INT8OID: case NUMERICOID: case UUIDOID: case BOOLOID:
      return attnum;
    default: {
      char category;
      bool preferred;
      get_type_category_preferred(type, &category, &preferred);
      if (category == TYPCATEGORY_STRING) return attnum;  // e.g. citext
    }
  }
  bad_argument(tg, rel, arg, ERRCODE_DATATYPE_MISMATCH,
               psprintf("Column \"%s\" is of type %s, whose text depends on session settings.", name,
                        format_type_be(type)));
}

Columns column_list(Trigger *tg, Relation rel, const char *arg, const char *value) {
  Columns cols = {0, (AttrNumber *)palloc(sizeof(AttrNumber) * (strlen(value) + 1))};
  char *copy = pstrdup(value);
  for (char *save = nullptr, *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(nullptr, ",", &save)) {
    while (*tok == ' ') tok++;
    char *end = tok + strlen(tok);
    while (end > tok && end[-1] == ' ') *--end = '\0';
    if (!*tok) continue;
    AttrNumber attnum = column_number(tg, rel, arg, tok);
    for (int i = 0; i < cols.count; i++)
      if (cols.attnums[i] == attnum)
        bad_argument(tg, rel, arg, ERRCODE_DUPLICATE_COLUMN, psprintf("Column \"%s\" is listed twice.", tok));
    cols.attnums[cols.count++] = attnum;
  }
  if (cols.count == 0) bad_argument(tg, rel, arg, ERRCODE_INVALID_PARAMETER_VALUE, "The column list is empty.");
  return cols;
}

// interval_in's parsing without its ERROR, so that a bad value is reported as a bad argument.
bool parse_interval(const char *value, Interval *result) {
  char *fields[MAXDATEFIELDS];
  int ftypes[MAXDATEFIELDS];
  char workbuf[256];
  int nf, dtype;
  struct pg_itm_in itm;
  memset(&itm, 0, sizeof itm);
  int err = ParseDateTime(value, workbuf, sizeof workbuf, fields, ftypes, MAXDATEFIELDS, &nf);
  if (err == 0) err = DecodeInterval(fields, ftypes, nf, INTERVAL_FULL_RANGE, &dtype, &itm);
  if (err == DTERR_BAD_FORMAT) {
    memset(&itm, 0, sizeof itm);
    char *copy = pstrdup(value);
    err = DecodeISO8601Interval(copy, &dtype, &itm);
  }
  return err == 0 && dtype == DTK_DELTA && itmin2interval(&itm, result) == 0;
}

int64 interval_ms(Trigger *tg, Relation rel, const char *arg, const char *value, bool positive) {
  Interval parsed;
  Interval *iv = &parsed;
  if (!parse_interval(value, iv))
    bad_argument(tg, rel, arg, ERRCODE_INVALID_DATETIME_FORMAT,
                 psprintf("\"%s\" is not an interval such as '10 s' or '1 hour'.", value));
  __int128 us = (__int128)iv->time + (__int128)iv->day * USECS_PER_DAY +
                (__int128)iv->month * DAYS_PER_MONTH * USECS_PER_DAY;
  if (us < 0 || (positive && us == 0) || us > ((__int128)1 << 62))
    bad_argument(tg, rel, arg, ERRCODE_INVALID_PARAMETER_VALUE,
                 positive ? "The interval must be positive." : "The interval must not be negative.");
  return (int64)((us + 999) / 1000);
}

// Parses the trigger's arguments into c, in a memory context that is kept only on success.
void parse_config(TriggerData *td, TriggerConfig *c) {
  Trigger *tg = td->tg_trigger;
  Relation rel = td->tg_relation;
  c->relid = RelationGetRelid(rel);
  c->context = AllocSetContextCreate(CurrentMemoryContext, "dbos_client trigger", ALLOCSET_SMALL_SIZES);
  MemoryContext old = MemoryContextSwitchTo(c->context);
  if (tg->tgnargs < 3)
    ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                    errmsg("trigger \"%s\" on table \"%s\" needs at least 3 arguments", tg->tgname,
                           RelationGetRelationName(rel)),
                    errhint("EXECUTE FUNCTION dbos.enqueue_trigger('queue', 'Class' or '', 'workflow' [, 'option=value' ...]).")));
  c->queue = pstrdup(tg->tgargs[0]);
  c->workflow_class = tg->tgargs[1][0] ? pstrdup(tg->tgargs[1]) : nullptr;
  c->workflow_name = pstrdup(tg->tgargs[2]);
  if (!*c->queue) bad_argument(tg, rel, tg->tgargs[0], ERRCODE_INVALID_PARAMETER_VALUE, "The queue name is empty.");
  if (!*c->workflow_name)
    bad_argument(tg, rel, tg->tgargs[2], ERRCODE_INVALID_PARAMETER_VALUE, "The workflow name is empty.");
  c->schema = get_namespace_name(RelationGetNamespace(rel));
  c->table = pstrdup(RelationGetRelationName(rel));
  c->timeout_ms = -1;
  c->debounce_period_ms = c->debounce_timeout_ms = -1;
  const char *debounce_arg = nullptr;
  for (int i = 3; i < tg->tgnargs; i++) {
    const char *arg = tg->tgargs[i];
    const char *eq = strchr(arg, '=');
    if (!eq) bad_argument(tg, rel, arg, ERRCODE_INVALID_PARAMETER_VALUE, "Options have the form name=value.");
    char *name = pnstrdup(arg, eq - arg);
    const char *value = eq + 1;
    if (!*value) bad_argument(tg, rel, arg, ERRCODE_INVALID_PARAMETER_VALUE, "The option has no value.");
    if (!strcmp(name, "workflow_id_column"))
      c->id_column = key_column(tg, rel, arg, value);
    else if (!strcmp(name, "deduplication_column"))
      c->dedup_column = key_column(tg, rel, arg, value);
    else if (!strcmp(name, "partition_column"))
      c->partition_column = key_column(tg, rel, arg, value);
    else if (!strcmp(name, "priority")) {
      char *end;
      errno = 0;
      long v = strtol(value, &end, 10);
      if (*end || errno || v < 0 || v > PG_INT32_MAX)
        bad_argument(tg, rel, arg, ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE,
                     "DBOS priorities are integers from 0 to 2147483647.");
      c->priority = (int32)v;
    } else if (!strcmp(name, "app_version"))
      c->app_version = pstrdup(value);
    else if (!strcmp(name, "application_name"))
      c->application_name = pstrdup(value);
    else if (!strcmp(name, "delay"))
      c->delay_ms = interval_ms(tg, rel, arg, value, false);
    else if (!strcmp(name, "timeout"))
      c->timeout_ms = interval_ms(tg, rel, arg, value, true);
    else if (!strcmp(name, "columns"))
      c->columns = column_list(tg, rel, arg, value);
    else if (!strcmp(name, "when_changed")) {
      c->when_changed = column_list(tg, rel, arg, value);
      c->when_changed_eq = (Oid *)palloc(sizeof(Oid) * c->when_changed.count);
      for (int k = 0; k < c->when_changed.count; k++) {
        Form_pg_attribute att = TupleDescAttr(RelationGetDescr(rel), c->when_changed.attnums[k] - 1);
        TypeCacheEntry *type = lookup_type_cache(att->atttypid, TYPECACHE_EQ_OPR);
        c->when_changed_eq[k] = OidIsValid(type->eq_opr) ? get_opcode(type->eq_opr) : InvalidOid;
      }
    }
    else if (!strcmp(name, "debounce_column"))
      c->debounce_column = key_column(tg, rel, arg, value), debounce_arg = arg;
    else if (!strcmp(name, "debounce_period"))
      c->debounce_period_ms = interval_ms(tg, rel, arg, value, true), debounce_arg = arg;
    else if (!strcmp(name, "debounce_timeout"))
      c->debounce_timeout_ms = interval_ms(tg, rel, arg, value, true), debounce_arg = arg;
    else
      bad_argument(tg, rel, arg, ERRCODE_INVALID_PARAMETER_VALUE,
                   "Known options: workflow_id_column, deduplication_column, partition_column, "
                   "priority, app_version, application_name, delay, timeout, columns, when_changed, "
                   "debounce_column, debounce_period, debounce_timeout.");
  }
  // A debounce owns the deduplication ID and the delay, and has no priority or partition
  // (DebouncerClient refuses them too).
  if (debounce_arg && (!c->debounce_column || c->debounce_period_ms < 0))
    bad_argument(tg, rel, debounce_arg, ERRCODE_INVALID_PARAMETER_VALUE,
                 "Debouncing needs both debounce_column and debounce_period (debounce_timeout is optional).");
  if (c->debounce_column && (c->dedup_column || c->delay_ms > 0 || c->priority != 0 || c->partition_column))
    bad_argument(tg, rel, debounce_arg, ERRCODE_INVALID_PARAMETER_VALUE,
                 "A debounced trigger cannot also take deduplication_column, delay, priority or partition_column: "
                 "the debounce key is the deduplication ID and the period is the delay.");
  if (c->columns.count > 0) {
    TupleDesc desc = RelationGetDescr(rel);
    TupleDesc proj = CreateTemplateTupleDesc(c->columns.count);
    for (int i = 0; i < c->columns.count; i++)
      TupleDescCopyEntry(proj, (AttrNumber)(i + 1), desc, c->columns.attnums[i]);
    c->projection = BlessTupleDesc(proj);
  }
  MemoryContextSwitchTo(old);
  MemoryContextSetParent(c->context, TopMemoryContext);  // parsed: keep it
}

// A copy of the cached arguments in the current memory context: a relcache invalidation
// (ANALYZE, autovacuum) may drop the cache entry while a long statement-level call runs.
TriggerConfig *copy_config(const TriggerConfig *c) {
  TriggerConfig *copy = (TriggerConfig *)palloc(sizeof(TriggerConfig));
  *copy = *c;
  copy->context = nullptr;
  auto dup = [](const char *s) { return s ? pstrdup(s) : nullptr; };
  copy->queue = dup(c->queue);
  copy->workflow_class = dup(c->workflow_class);
  copy->workflow_name = dup(c->workflow_name);
  copy->schema = dup(c->schema);
  copy->table = dup(c->table);
  copy->app_version = dup(c->app_version);
  copy->application_name = dup(c->application_name);
  const Columns *lists[2] = {&c->columns, &c->when_changed};
  Columns *copies[2] = {&copy->columns, &copy->when_changed};
  for (int k = 0; k < 2; k++) {
    copies[k]->attnums = (AttrNumber *)palloc(sizeof(AttrNumber) * (lists[k]->count + 1));
    if (lists[k]->count) memcpy(copies[k]->attnums, lists[k]->attnums, sizeof(AttrNumber) * lists[k]->count);
  }
  copy->when_changed_eq = (Oid *)palloc(sizeof(Oid) * (c->when_changed.count + 1));
  if (c->when_changed.count) memcpy(copy->when_changed_eq, c->when_changed_eq, sizeof(Oid) * c->when_changed.count);
  if (c->projection) copy->projection = CreateTupleDescCopy(c->projection);  // keeps the blessed typmod
  return copy;
}

TriggerConfig *config_for(TriggerData *td) {
  if (!configs) {
    HASHCTL ctl;
    ctl.keysize = sizeof(Oid);
    ctl.entrysize = sizeof(TriggerConfig);
    configs = hash_create("dbos_client triggers", 16, &ctl, HASH_ELEM | HASH_BLOBS);
    CacheRegisterRelcacheCallback(invalidate_configs, (Datum)0);
  }
  Oid tgoid = td->tg_trigger->tgoid;
  bool found;
  TriggerConfig *c = (TriggerConfig *)hash_search(configs, &tgoid, HASH_FIND, &found);
  if (found) return c;
  // Parse into a local copy first: a bad argument leaves no entry (and its memory goes with
  // the failed transaction).
  TriggerConfig parsed;
  memset(&parsed, 0, sizeof parsed);
  parsed.tgoid = tgoid;
  parse_config(td, &parsed);
  c = (TriggerConfig *)hash_search(configs, &tgoid, HASH_ENTER, &found);
  *c = parsed;
  return c;  // callers use copy_config()
}

// The JSON text of a row, or of the configured columns only.
char *row_json(const TriggerConfig *c, HeapTuple tuple, TupleDesc desc) {
  if (!tuple) return nullptr;
  Datum row;
  if (c->columns.count == 0) {
    row = heap_copy_tuple_as_datum(tuple, desc);
  } else {
    Datum *values = (Datum *)palloc(sizeof(Datum) * c->columns.count);
    bool *nulls = (bool *)palloc(sizeof(bool) * c->columns.count);
    for (int i = 0; i < c->columns.count; i++)
      values[i] = heap_getattr(tuple, c->columns.attnums[i], desc, &nulls[i]);
    row = HeapTupleGetDatum(heap_form_tuple(c->projection, values, nulls));
  }
  return text_to_cstring(DatumGetTextPP(DirectFunctionCall1(row_to_json, row)));
}

// A column's value as text (nullptr for NULL), for IDs, deduplication and partition keys.
char *column_text(HeapTuple tuple, TupleDesc desc, AttrNumber attnum) {
  return attnum ? SPI_getvalue(tuple, desc, attnum) : nullptr;
}

bool changed(const TriggerConfig *c, HeapTuple old_tuple, HeapTuple new_tuple, TupleDesc desc) {
  if (c->when_changed.count == 0 || !old_tuple || !new_tuple) return true;
  for (int i = 0; i < c->when_changed.count; i++) {
    AttrNumber a = c->when_changed.attnums[i];
    bool old_null, new_null;
    Datum o = heap_getattr(old_tuple, a, desc, &old_null);
    Datum n = heap_getattr(new_tuple, a, desc, &new_null);
    if (old_null != new_null) return true;
    if (old_null) continue;
    Form_pg_attribute att = TupleDescAttr(desc, a - 1);
    // Equal values count as unchanged, however they are stored (ORMs write every column).
    if (OidIsValid(c->when_changed_eq[i])) {
      if (!DatumGetBool(OidFunctionCall2Coll(c->when_changed_eq[i], att->attcollation, o, n))) return true;
    } else if (att->attlen == -1) {
      struct varlena *ov = PG_DETOAST_DATUM_PACKED(o), *nv = PG_DETOAST_DATUM_PACKED(n);
      if (VARSIZE_ANY_EXHDR(ov) != VARSIZE_ANY_EXHDR(nv) ||
          memcmp(VARDATA_ANY(ov), VARDATA_ANY(nv), VARSIZE_ANY_EXHDR(ov)) != 0)
        return true;
    } else if (!datumIsEqual(o, n, att->attbyval, att->attlen)) {
      return true;
    }
  }
  return false;
}

const char *op_name(TriggerEvent event) {
  if (TRIGGER_FIRED_BY_INSERT(event)) return "INSERT";
  if (TRIGGER_FIRED_BY_UPDATE(event)) return "UPDATE";
  return "DELETE";
}

// One row change, ready to enqueue (values in the current memory context).
struct Change {
  char *workflow_id, *dedup, *partition, *debounce_key;
  Datum inputs;
};

[[noreturn]] void bad_key(const TriggerConfig *c, TupleDesc desc, AttrNumber column, const char *what,
                          const char *value) {
  const char *name = NameStr(TupleDescAttr(desc, column - 1)->attname);
  if (!value)
    ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
                    errmsg("workflow ID column \"%s\" is NULL in a row of table \"%s\"", name, c->table),
                    errhint("Make the column NOT NULL, or drop the workflow_id_column option to get a new UUID per row.")));
  ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                  errmsg("%s column \"%s\" is empty%s in a row of table \"%s\"", what, name,
                         column == c->id_column ? " or blank" : "", c->table),
                  errdetail("The value is \"%s\".", value),
                  column == c->id_column
                      ? errhint("Give every row a workflow ID, or drop the workflow_id_column option to get a new UUID per row.")
                      : errhint("Use NULL for none: dbos.enqueue refuses an empty deduplication ID or partition key.")));
}

// The workflow ID, deduplication ID and partition key of a row, checked as dbos.enqueue
// checks them (the ID is a new UUID without workflow_id_column).
void row_keys(const TriggerConfig *c, TupleDesc desc, HeapTuple row, Change *ch) {
  ch->workflow_id = c->id_column ? column_text(row, desc, c->id_column) : new_uuid();
  if (c->id_column && (!ch->workflow_id || strspn(ch->workflow_id, " \t\r\n\v\f") == strlen(ch->workflow_id)))
    bad_key(c, desc, c->id_column, "workflow ID", ch->workflow_id);
  ch->dedup = column_text(row, desc, c->dedup_column);
  if (ch->dedup && !*ch->dedup) bad_key(c, desc, c->dedup_column, "deduplication", ch->dedup);
  ch->partition = column_text(row, desc, c->partition_column);
  if (ch->partition && !*ch->partition) bad_key(c, desc, c->partition_column, "partition", ch->partition);
  ch->debounce_key = column_text(row, desc, c->debounce_column);
  if (c->debounce_column && !ch->debounce_key)
    ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
                    errmsg("debounce column \"%s\" is NULL in a row of table \"%s\"",
                           NameStr(TupleDescAttr(desc, c->debounce_column - 1)->attname), c->table),
                    errhint("Make the column NOT NULL, or skip such rows with a WHEN clause on the trigger.")));
  check_key_sizes(c->queue, ch->workflow_id, ch->dedup, ch->partition,
                  c->application_name ? c->application_name : setting_application_name());
}

Change describe(const TriggerConfig *c, Relation rel, const char *op, HeapTuple old_tuple, HeapTuple new_tuple) {
  TupleDesc desc = RelationGetDescr(rel);
  Change ch;
  row_keys(c, desc, new_tuple ? new_tuple : old_tuple, &ch);
  ch.inputs = row_change_inputs_text(op, c->schema, c->table, row_json(c, new_tuple, desc),
                                     row_json(c, old_tuple, desc));
  return ch;
}

EnqueueRow row_for(const TriggerConfig *c, const Change *ch) {
  EnqueueRow row;
  memset(&row, 0, sizeof row);
  row.workflow_id = ch->workflow_id;
  row.workflow_name = c->workflow_name;
  row.workflow_class = c->workflow_class;
  row.queue_name = c->queue;
  row.app_version = c->app_version ? c->app_version : setting_app_version();
  row.application_name = c->application_name ? c->application_name : setting_application_name();
  row.priority = c->priority;
  row.deduplication_id = ch->dedup;
  row.timeout_ms = c->timeout_ms;
  row.delay_ms = c->delay_ms;
  row.partition_key = ch->partition;
  row.serialization = "portable_json";
  row.inputs = ch->inputs;
  row.new_id = c->id_column == 0;
  return row;
}

// 1.3: a row of a debounced trigger, as dbos.debounce with the row's key column: a workflow
// ID from workflow_id_column is used only when the call starts a new workflow.
void debounce_one(const TriggerConfig *c, const Profile *p, EnqueueRow *row, const Change *ch) {
  row->workflow_id = c->id_column ? ch->workflow_id : nullptr;
  (void)debounce_row(p, row, ch->debounce_key, c->debounce_period_ms, c->debounce_timeout_ms);
}

// One chunk of a statement's rows, written with set-based statements.
struct Chunk {
  int count;
  const char **ids, **dedups, **partitions;
  Datum *inputs;
};

// In a nested SPI connection: what the write allocates in SPI's procedure context is freed
// with each chunk, so a statement's memory does not grow with its rows.
void write_chunk(const TriggerConfig *c, const Profile *p, const EnqueueRow *shared, const Chunk *chunk) {
  EnqueueBatch batch = {shared,        chunk->count, chunk->ids,
                        c->id_column == 0, chunk->inputs, c->dedup_column ? chunk->dedups : nullptr,
                        c->partition_column ? chunk->partitions : nullptr};
  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  (void)enqueue_batch(p, &batch);
  SPI_finish();
}

// Reads the next row change (its new and/or old version: UPDATE transition tables list them
// in the same order) into `scratch`, reset first, so that memory stays bounded by one row
// however many rows a when_changed filter skips. False at the end.
bool next_change(Tuplestorestate *news, Tuplestorestate *olds, TupleTableSlot *new_slot, TupleTableSlot *old_slot,
                 MemoryContext scratch, HeapTuple *new_tuple, HeapTuple *old_tuple) {
  // A tuplestore spilled to disk hands out tuples allocated in the current context that the
  // slots free themselves: let go of them before the reset.
  if (new_slot) ExecClearTuple(new_slot);
  if (old_slot) ExecClearTuple(old_slot);
  MemoryContextReset(scratch);
  MemoryContext caller = MemoryContextSwitchTo(scratch);
  bool has_new = news && tuplestore_gettupleslot(news, true, false, new_slot);
  bool has_old = olds && tuplestore_gettupleslot(olds, true, false, old_slot);
  *new_tuple = has_new ? ExecFetchSlotHeapTuple(new_slot, false, nullptr) : nullptr;
  *old_tuple = has_old ? ExecFetchSlotHeapTuple(old_slot, false, nullptr) : nullptr;
  MemoryContextSwitchTo(caller);
  return has_new || has_old;
}

// Every enqueued row's keys are checked before the first chunk is written, so that a bad row
// anywhere in the statement writes nothing (as dbos.enqueue checks before writing); rows a
// when_changed filter skips are not checked, as a row-level trigger would not see them.
void check_statement_keys(const TriggerConfig *c, TupleDesc desc, Tuplestorestate *news, Tuplestorestate *olds,
                          TupleTableSlot *new_slot, TupleTableSlot *old_slot, MemoryContext scratch) {
  if (!c->id_column && !c->dedup_column && !c->partition_column && !c->debounce_column) return;
  if (news) tuplestore_rescan(news);
  if (olds) tuplestore_rescan(olds);
  HeapTuple new_tuple, old_tuple;
  while (next_change(news, olds, new_slot, old_slot, scratch, &new_tuple, &old_tuple)) {
    CHECK_FOR_INTERRUPTS();
    MemoryContext caller = MemoryContextSwitchTo(scratch);
    if (changed(c, old_tuple, new_tuple, desc)) {
      Change ch;
      row_keys(c, desc, new_tuple ? new_tuple : old_tuple, &ch);  // keys of NEW, or OLD for DELETE
    }
    MemoryContextSwitchTo(caller);
  }
}

void write_statement_rows(TriggerData *td, const TriggerConfig *c, const Profile *p) {
  Relation rel = td->tg_relation;
  TriggerEvent event = td->tg_event;
  const char *op = op_name(event);
  Tuplestorestate *news = TRIGGER_FIRED_BY_DELETE(event) ? nullptr : td->tg_newtable;
  Tuplestorestate *olds = TRIGGER_FIRED_BY_INSERT(event) ? nullptr : td->tg_oldtable;
  if (!news && !olds)
    ereport(ERROR,
            (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
             errmsg("statement-level trigger \"%s\" on table \"%s\" needs a transition table",
                    td->tg_trigger->tgname, RelationGetRelationName(rel)),
             errhint("Declare it with REFERENCING NEW TABLE AS new_rows (and OLD TABLE AS old_rows "
                     "for UPDATE and DELETE), or make it FOR EACH ROW.")));
  if (c->when_changed.count > 0 && TRIGGER_FIRED_BY_UPDATE(event) && (!news || !olds))
    ereport(ERROR,
            (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
             errmsg("statement-level trigger \"%s\" on table \"%s\" needs both transition tables for when_changed",
                    td->tg_trigger->tgname, RelationGetRelationName(rel)),
             errhint("Declare it with REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows.")));
  TupleDesc desc = RelationGetDescr(rel);
  TupleTableSlot *new_slot = news ? MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple) : nullptr;
  TupleTableSlot *old_slot = olds ? MakeSingleTupleTableSlot(desc, &TTSOpsMinimalTuple) : nullptr;
  MemoryContext scratch = AllocSetContextCreate(CurrentMemoryContext, "dbos_client row", ALLOCSET_DEFAULT_SIZES);
  MemoryContext rows = AllocSetContextCreate(CurrentMemoryContext, "dbos_client rows", ALLOCSET_DEFAULT_SIZES);
  check_statement_keys(c, desc, news, olds, new_slot, old_slot, scratch);
  if (news) tuplestore_rescan(news);
  if (olds) tuplestore_rescan(olds);
  Change empty = {};
  EnqueueRow shared = row_for(c, &empty);
  Chunk chunk;
  chunk.count = 0;
  chunk.ids = (const char **)palloc(sizeof(char *) * kChunkRows);
  chunk.dedups = (const char **)palloc(sizeof(char *) * kChunkRows);
  chunk.partitions = (const char **)palloc(sizeof(char *) * kChunkRows);
  chunk.inputs = (Datum *)palloc(sizeof(Datum) * kChunkRows);
  for (;;) {
    CHECK_FOR_INTERRUPTS();
    HeapTuple new_tuple, old_tuple;
    bool more = next_change(news, olds, new_slot, old_slot, scratch, &new_tuple, &old_tuple);
    if (more) {
      MemoryContext caller = MemoryContextSwitchTo(scratch);
      bool keep = changed(c, old_tuple, new_tuple, desc);
      if (keep) {
        MemoryContextSwitchTo(rows);  // what a chunk keeps until it is written
        Change ch = describe(c, rel, op, old_tuple, new_tuple);
        if (c->debounce_column) {  // one key at a time, in row order: each meets the one before
          EnqueueRow row = row_for(c, &ch);
          debounce_one(c, p, &row, &ch);
          MemoryContextSwitchTo(caller);
          MemoryContextReset(rows);
          continue;
        }
        chunk.ids[chunk.count] = ch.workflow_id;
        chunk.dedups[chunk.count] = ch.dedup;
        chunk.partitions[chunk.count] = ch.partition;
        chunk.inputs[chunk.count] = ch.inputs;
        chunk.count++;
      }
      MemoryContextSwitchTo(caller);
      if (chunk.count < kChunkRows) continue;
    }
    if (chunk.count > 0) write_chunk(c, p, &shared, &chunk);
    if (!more) break;
    chunk.count = 0;
    MemoryContextReset(rows);
  }
  if (new_slot) ExecDropSingleTupleTableSlot(new_slot);
  if (old_slot) ExecDropSingleTupleTableSlot(old_slot);
  MemoryContextDelete(rows);
  MemoryContextDelete(scratch);
}

}  // namespace

}  // namespace dbos_client

using namespace dbos_client;

// dbos.enqueue_trigger('queue', 'Class', 'workflow' [, 'option=value' ...]) RETURNS trigger
DBOS_FUNCTION(dbos_enqueue_trigger) {
  if (!CALLED_AS_TRIGGER(fcinfo))
    ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
                    errmsg("dbos.enqueue_trigger() must be called as a trigger")));
  TriggerData *td = (TriggerData *)fcinfo->context;
  Relation rel = td->tg_relation;
  TriggerEvent event = td->tg_event;
  if (!TRIGGER_FIRED_AFTER(event))
    ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
                    errmsg("trigger \"%s\" on \"%s\" must fire AFTER the change", td->tg_trigger->tgname,
                           RelationGetRelationName(rel)),
                    errdetail("A workflow is enqueued for a change that has happened; BEFORE and "
                              "INSTEAD OF triggers could still see the change cancelled."),
                    errhint("Declare it as AFTER INSERT OR UPDATE OR DELETE.")));
  char kind = rel->rd_rel->relkind;
  if (kind != RELKIND_RELATION && kind != RELKIND_PARTITIONED_TABLE)
    ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
                    errmsg("trigger \"%s\" is on \"%s\", which is not a table", td->tg_trigger->tgname,
                           RelationGetRelationName(rel)),
                    errhint("dbos.enqueue_trigger works on tables and partitioned tables.")));
  if (TRIGGER_FIRED_BY_TRUNCATE(event))
    ereport(ERROR, (errcode(ERRCODE_E_R_I_E_TRIGGER_PROTOCOL_VIOLATED),
                    errmsg("trigger \"%s\" on \"%s\" cannot fire on TRUNCATE", td->tg_trigger->tgname,
                           RelationGetRelationName(rel)),
                    errdetail("TRUNCATE does not say which rows it removes.")));
  const TriggerConfig *c = copy_config(config_for(td));

  if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
  const Profile *p = current_profile();
  const char *app_name = c->application_name ? c->application_name : setting_application_name();
  check_enqueue_features(p, c->delay_ms > 0, c->partition_column != 0, app_name != nullptr);
  check_queue_registered(p, c->queue);
  if (TRIGGER_FIRED_FOR_ROW(event)) {
    HeapTuple old_tuple = nullptr, new_tuple = nullptr;
    if (TRIGGER_FIRED_BY_INSERT(event)) new_tuple = td->tg_trigtuple;
    else if (TRIGGER_FIRED_BY_DELETE(event)) old_tuple = td->tg_trigtuple;
    else {
      old_tuple = td->tg_trigtuple;
      new_tuple = td->tg_newtuple;
    }
    if (changed(c, old_tuple, new_tuple, RelationGetDescr(rel))) {
      Change ch = describe(c, rel, op_name(event), old_tuple, new_tuple);
      EnqueueRow row = row_for(c, &ch);
      if (c->debounce_column) debounce_one(c, p, &row, &ch);
      else (void)enqueue_row(p, &row);
    }
  } else {
    write_statement_rows(td, c, p);
  }
  SPI_finish();
  return PointerGetDatum(nullptr);
}
