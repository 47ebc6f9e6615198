// Cron schedules as DBOS TypeScript 5.3 checks them (scheduler/crontab.js, validateCrontab):
// pure C++, no Postgres here.
#pragma once
#include <string>

namespace dbos_client::cron {

// Throws Error (22023) with DBOS's reason in the detail when DBOS would refuse `pattern`:
// 5 or 6 fields ([second] minute hour day-of-month month day-of-week) or a nickname
// (@yearly, @annually, @monthly, @weekly, @daily, @midnight, @hourly).
void validate(const char *pattern);

// The reason DBOS gives for refusing `pattern`, or "" when it accepts it.
std::string problem(const std::string &pattern);

}  // namespace dbos_client::cron

namespace dbos_client::cron {

// Local wall-clock time of an instant in the schedule's time zone, supplied by the caller.
struct WallClock {
  int year, month, day, hour, minute, second;
};
typedef void (*WallFn)(long long ms, void *ctx, WallClock *out);

// The instants in [start_ms, end_ms) at which DBOS's backfillSchedule fires `pattern` (its
// TimeMatcher: local wall-clock matching, DST gaps skipped and repeats fired under both
// offsets), ascending, into out[0..max). Returns their count, or -1 when there are more than
// max. `pattern` must be valid (validate() first).
long occurrences(const char *pattern, long long start_ms, long long end_ms, WallFn wall, void *ctx, long long *out,
                 long max);

}  // namespace dbos_client::cron
