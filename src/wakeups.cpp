// Commit-time wake-ups for waiting get_event/get_result calls, when the library is in
// shared_preload_libraries: every backend notes the DBOS tables its statements write, and at
// commit sets the latch of each backend waiting in the same database for that kind of row.
// Without preloading nothing here is active and waits poll with a backoff.
#include "dbos_client.hpp"

extern "C" {
#include "access/xact.h"
#include "executor/executor.h"
#include "parser/parsetree.h"
#include "port/atomics.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lwlock.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "tcop/utility.h"
#include "utils/hsearch.h"
#include "utils/inval.h"
}

namespace dbos_client {
namespace {

// One slot per backend (indexed by my_backend_slot()): what it waits for, in which database.
struct WaiterSlot {
  pg_atomic_uint32 kinds;  // WAKE_* bits; 0 when not waiting
  Oid database;
  int pgprocno;
};

struct WakeupState {
  int slot_count;
  WaiterSlot slots[FLEXIBLE_ARRAY_MEMBER];
};

WakeupState *state = nullptr;
bool enabled = false;          // preloaded and shared memory attached
uint32 written_kinds = 0;      // DBOS tables this transaction wrote to (WAKE_* bits)
WaiterSlot *my_slot = nullptr;

shmem_request_hook_type prev_shmem_request = nullptr;
shmem_startup_hook_type prev_shmem_startup = nullptr;
ExecutorStart_hook_type prev_executor_start = nullptr;
ProcessUtility_hook_type prev_process_utility = nullptr;

HTAB *relation_kinds = nullptr;  // relid -> WAKE_* bits (0 for any other table)
struct RelationKind {
  Oid relid;
  uint32 kinds;
};

Size state_size() { return add_size(offsetof(WakeupState, slots), mul_size(MaxBackends, sizeof(WaiterSlot))); }

void request_shmem() {
  if (prev_shmem_request) prev_shmem_request();
  RequestAddinShmemSpace(state_size());
}

void startup_shmem() {
  if (prev_shmem_startup) prev_shmem_startup();
  LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
  bool found;
  state = (WakeupState *)ShmemInitStruct("dbos_client wakeups", state_size(), &found);
  if (!found) {
    state->slot_count = MaxBackends;
    for (int i = 0; i < MaxBackends; i++) {
      pg_atomic_init_u32(&state->slots[i].kinds, 0);
      state->slots[i].database = InvalidOid;
      state->slots[i].pgprocno = -1;
    }
  }
  LWLockRelease(AddinShmemInitLock);
}

void forget_relations(Datum, Oid) {
  if (relation_kinds) {
    hash_destroy(relation_kinds);
    relation_kinds = nullptr;
  }
}

// Which kind of DBOS row a table holds, by name: any schema counts, since waiters may use
// another dbos.system_schema than the writer. A spurious wake-up costs one poll.
uint32 kinds_of(Oid relid) {
  bool found;
  if (relation_kinds) {
    RelationKind *entry = (RelationKind *)hash_search(relation_kinds, &relid, HASH_FIND, &found);
    if (found) return entry->kinds;
  }
  // get_rel_name may process invalidations, which destroy relation_kinds: look the name up
  // before holding any entry.
  const char *name = get_rel_name(relid);
  uint32 kinds = 0;
  if (name && strcmp(name, "workflow_events") == 0) kinds = WAKE_EVENTS;
  if (name && (strcmp(name, "workflow_status") == 0 || strcmp(name, "workflow_output") == 0)) kinds = WAKE_STATUS;
  if (name && strcmp(name, "streams") == 0) kinds = WAKE_STREAMS;
  if (!relation_kinds) {
    HASHCTL ctl;
    ctl.keysize = sizeof(Oid);
    ctl.entrysize = sizeof(RelationKind);
    relation_kinds = hash_create("dbos_client relation kinds", 64, &ctl, HASH_ELEM | HASH_BLOBS);
  }
  RelationKind *entry = (RelationKind *)hash_search(relation_kinds, &relid, HASH_ENTER, &found);
  entry->kinds = kinds;
  return kinds;
}

// COMMIT PREPARED makes visible rows that another session wrote: wake every waiter.
void process_utility(PlannedStmt *stmt, const char *query, bool read_only, ProcessUtilityContext context,
                     ParamListInfo params, QueryEnvironment *env, DestReceiver *dest, QueryCompletion *qc) {
  if (IsA(stmt->utilityStmt, TransactionStmt) &&
      ((TransactionStmt *)stmt->utilityStmt)->kind == TRANS_STMT_COMMIT_PREPARED)
    written_kinds |= WAKE_EVENTS | WAKE_STATUS;
  if (prev_process_utility)
    prev_process_utility(stmt, query, read_only, context, params, env, dest, qc);
  else
    standard_ProcessUtility(stmt, query, read_only, context, params, env, dest, qc);
}

void executor_start(QueryDesc *query, int eflags) {
  PlannedStmt *stmt = query->plannedstmt;
  if (stmt->commandType != CMD_SELECT || stmt->hasModifyingCTE) {
    ListCell *lc;
    foreach (lc, stmt->resultRelations) {
      RangeTblEntry *rte = rt_fetch(lfirst_int(lc), stmt->rtable);
      if (rte->rtekind == RTE_RELATION) written_kinds |= kinds_of(rte->relid);
    }
  }
  if (prev_executor_start)
    prev_executor_start(query, eflags);
  else
    standard_ExecutorStart(query, eflags);
}

// After commit (the rows are visible to new snapshots): wake the waiters for what we wrote.
void on_transaction_end(XactEvent event, void *) {
  bool committed = event == XACT_EVENT_COMMIT || event == XACT_EVENT_PARALLEL_COMMIT;
  if (!committed && event != XACT_EVENT_ABORT && event != XACT_EVENT_PARALLEL_ABORT &&
      event != XACT_EVENT_PREPARE)
    return;  // PRE_COMMIT and friends: the rows are not visible yet
  if (my_slot) pg_atomic_write_u32(&my_slot->kinds, 0);
  uint32 kinds = written_kinds;
  written_kinds = 0;
  if (kinds == 0 || !committed) return;
  pg_memory_barrier();
  for (int i = 0; i < state->slot_count; i++) {
    WaiterSlot *slot = &state->slots[i];
    if ((pg_atomic_read_u32(&slot->kinds) & kinds) && slot->database == MyDatabaseId && slot->pgprocno >= 0)
      SetLatch(&ProcGlobal->allProcs[slot->pgprocno].procLatch);
  }
}

}  // namespace

void define_wakeups() {
  if (!process_shared_preload_libraries_in_progress) return;
  prev_shmem_request = shmem_request_hook;
  shmem_request_hook = request_shmem;
  prev_shmem_startup = shmem_startup_hook;
  shmem_startup_hook = startup_shmem;
  prev_executor_start = ExecutorStart_hook;
  ExecutorStart_hook = executor_start;
  prev_process_utility = ProcessUtility_hook;
  ProcessUtility_hook = process_utility;
  RegisterXactCallback(on_transaction_end, nullptr);
  CacheRegisterRelcacheCallback(forget_relations, (Datum)0);
  enabled = true;
}

// A regular backend's slot, 0 .. MaxBackends - 1, or -1. PostgreSQL 17 replaced the 1-based
// backend IDs by 0-based proc numbers (the first MaxBackends PGPROCs are the backends').
static int my_backend_slot() {
#if PG_VERSION_NUM >= 170000
  return MyProcNumber;
#else
  return MyBackendId == InvalidBackendId ? -1 : MyBackendId - 1;
#endif
}

static int my_proc_number() {
#if PG_VERSION_NUM >= 170000
  return MyProcNumber;
#else
  return MyProc->pgprocno;
#endif
}

bool wakeups_enabled() { return enabled && state != nullptr && my_backend_slot() >= 0; }

void begin_waiting(uint32 kinds) {
  if (!wakeups_enabled() || my_backend_slot() >= state->slot_count) return;
  my_slot = &state->slots[my_backend_slot()];
  my_slot->database = MyDatabaseId;
  my_slot->pgprocno = my_proc_number();
  pg_write_barrier();
  pg_atomic_write_u32(&my_slot->kinds, kinds);
  // A writer that commits after this point sees the registration and sets our latch; one
  // that committed before is visible to our next poll's snapshot.
  pg_memory_barrier();
}

void end_waiting() {
  if (my_slot) pg_atomic_write_u32(&my_slot->kinds, 0);
}

}  // namespace dbos_client
