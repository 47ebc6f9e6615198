// The wait loop shared by get_event and get_result: poll in a fresh snapshot, sleep on the
// latch with a short backoff, stay interruptible (cancel, statement_timeout, termination).
#include "dbos_client.hpp"

extern "C" {
#include "access/xlog.h"
#include "access/xlogrecovery.h"
#include "pgstat.h"
#include "storage/latch.h"
#include "utils/wait_event.h"
}

namespace dbos_client {
namespace {
constexpr int64 kFirstSleepMs = 1;     // polling: backoff from 1 ms ...
constexpr int64 kMaxSleepMs = 100;     // ... to 100 ms
constexpr int64 kReplayStepMs = 5;     // on a hot standby: how often the replay position is read

// On a hot standby rows appear when their commit is replayed, which runs no hook: sleep in
// short steps until the replay position moves (or nap_ms passes), so that a wait ends a few
// milliseconds after the replay rather than at its next backoff poll.
void sleep_until_replay_moves(int64 nap_ms) {
  XLogRecPtr seen = GetXLogReplayRecPtr(nullptr);
  for (int64 slept = 0; slept < nap_ms; slept += kReplayStepMs) {
    long step = (long)(nap_ms - slept < kReplayStepMs ? nap_ms - slept : kReplayStepMs);
    (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, step, PG_WAIT_EXTENSION);
    ResetLatch(MyLatch);
    CHECK_FOR_INTERRUPTS();
    if (GetXLogReplayRecPtr(nullptr) != seen) return;
  }
}
}  // namespace

void check_can_wait(const char *workflow_id, TransactionId status_xmin, const char *what) {
  if (IsolationUsesXactSnapshot())
    ereport(ERROR,
            (errcode(ERRCODE_INVALID_TRANSACTION_STATE),
             errmsg("cannot wait for %s under transaction isolation %s", what,
                    IsolationIsSerializable() ? "SERIALIZABLE" : "REPEATABLE READ"),
             errdetail("Workflow \"%s\" has not produced it yet, and this transaction's snapshot "
                       "would never show it.",
                       workflow_id),
             errhint("Call it in a READ COMMITTED transaction, or pass timeout_seconds => 0 to "
                     "check once.")));
  if (TransactionIdIsValid(status_xmin) && TransactionIdIsCurrentTransactionId(status_xmin))
    ereport(ERROR,
            (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
             errmsg("cannot wait for %s of workflow \"%s\" written by this transaction", what,
                    workflow_id),
             errdetail("No DBOS application can see the workflow before this transaction commits."),
             errhint("Commit first, then wait in a new transaction.")));
}

bool wait_until(PollFn poll, void *state, int64 timeout_ms, uint32 kinds) {
  TimestampTz start = GetCurrentTimestamp();
  // A hot standby replays commits without running any hook: follow the replay there.
  bool standby = RecoveryInProgress();
  bool woken_at_commit = wakeups_enabled() && !standby;
  // Woken at commit: still re-check every dbos.wait_recheck_interval, for writes the hooks
  // cannot see (COPY into the DBOS tables, a commit on another server).
  int64 sleep_ms = woken_at_commit ? setting_wait_recheck_ms() : kFirstSleepMs;
  if (woken_at_commit) begin_waiting(kinds);
  for (;;) {
    // Reset before polling: a commit after the poll sets the latch and ends the sleep at once.
    ResetLatch(MyLatch);
    CHECK_FOR_INTERRUPTS();
    if (poll(state)) break;
    int64 waited = (GetCurrentTimestamp() - start) / 1000;
    if (timeout_ms >= 0 && waited >= timeout_ms) {
      end_waiting();
      return false;
    }
    int64 nap = sleep_ms;
    if (timeout_ms >= 0 && nap > timeout_ms - waited) nap = timeout_ms - waited;
    if (standby) {
      int64 remaining = timeout_ms >= 0 ? timeout_ms - waited : kMaxSleepMs;
      sleep_until_replay_moves(remaining < kMaxSleepMs ? remaining : kMaxSleepMs);
      continue;
    }
    (void)WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, (long)nap,
                    PG_WAIT_EXTENSION);
    if (!woken_at_commit) sleep_ms = sleep_ms * 2 > kMaxSleepMs ? kMaxSleepMs : sleep_ms * 2;
  }
  end_waiting();
  return true;
}

}  // namespace dbos_client
