// Epoch-millisecond time for the DBOS tables: the wall clock, its conversion to and from
// TimestampTz, and the created_at rule that keeps a backend's rows in dequeue order.
// Postgres side.
#include "dbos_client.hpp"

namespace dbos_client {
namespace {

constexpr int64 kUnixEpochOffsetMs = (int64)(POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY * 1000;
constexpr int64 kMaxAheadMs = 1000;  // created_at never runs further ahead of the clock
int64 last_created_at = 0;           // the latest created_at this backend handed out

}  // namespace

int64 epoch_ms_now() { return timestamp_to_epoch_ms(GetCurrentTimestamp()); }

int64 timestamp_to_epoch_ms(TimestampTz ts) { return ts / 1000 + kUnixEpochOffsetMs; }

// DBOS dequeues by (priority, created_at): consecutive rows of a backend get consecutive
// milliseconds so that they run in the order they were enqueued, but never more than 1 s
// ahead of the wall clock. Beyond 1,000 rows a second the rest share the capped millisecond.
CreatedAt reserve_created_at(int64 count) {
  int64 now = epoch_ms_now();
  CreatedAt c;
  c.limit = now + kMaxAheadMs;
  c.base = last_created_at + 1 > now ? last_created_at + 1 : now;
  if (c.base > c.limit) c.base = c.limit;
  last_created_at = created_at_of(c, count > 0 ? count - 1 : 0);
  return c;
}

}  // namespace dbos_client
