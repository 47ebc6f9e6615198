// Epoch-millisecond time for the DBOS tables: the wall clock, its conversion to and from
// TimestampTz, and the created_at rule that keeps a backend's rows in dequeue order.
// Postgres side.
#include "dbos_client.hpp"

namespace dbos_client {
namespace {

constexpr int64 kUnixEpochOffsetMs = (int64)(POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * 1000;
constexpr int64 kMaxAheadMs = 1000;  // never further ahead of the wall clock

// The latest value a backend handed out, one series per column: a bulk enqueue must not
// push the backend's messages ahead of other sessions' (recv reads by created_at).
struct Series {
  int64 last;
};
Series workflow_series = {0}, message_series = {0};

CreatedAt reserve(Series *series, int64 count) {
  int64 now = epoch_ms_now();
  CreatedAt c;
  c.limit = now + kMaxAheadMs;
  c.base = series->last + 1 > now ? series->last + 1 : now;
  if (c.base > c.limit) c.base = c.limit;
  series->last = created_at_of(c, count > 0 ? count - 1 : 0);
  return c;
}

}  // namespace

int64 epoch_ms_now() { return timestamp_to_epoch_ms(GetCurrentTimestamp()); }

int64 timestamp_to_epoch_ms(TimestampTz ts) { return ts / 1000 + kUnixEpochOffsetMs; }

// DBOS dequeues by (priority, created_at): consecutive rows of a backend get consecutive
// milliseconds so that they run in the order they were enqueued, but never more than 1 s
// ahead of the wall clock. Beyond 1,000 rows a second the rest share the capped millisecond.
CreatedAt reserve_created_at(int64 count) { return reserve(&workflow_series, count); }

// notifications.created_at_epoch_ms: the same rule on its own series, so that a backend's
// messages are received in the order it sent them.
int64 next_message_epoch_ms() { return reserve(&message_series, 1).base; }

}  // namespace dbos_client
