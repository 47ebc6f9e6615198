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
