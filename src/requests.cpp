// Validation and defaults of enqueue and send requests.
#include "pure_cpp.hpp"
#include "requests.hpp"

#include <cmath>
#include <cstring>
#include <string>

#include "error.hpp"

namespace dbos_client::requests {
namespace {


bool blank(const char *s) {
  for (; *s; s++)
    if (!std::strchr(" \t\r\n\v\f", *s)) return false;
  return true;
}

std::string quoted(const char *s) { return std::string("\"") + s + "\""; }

payloads::Format parse_format(const char *serialization) {
  if (!serialization || !std::strcmp(serialization, "portable_json"))
    return payloads::Format::portable_json;
  if (!std::strcmp(serialization, "js_superjson")) return payloads::Format::js_superjson;
  throw Error(sqlstate::invalid_value, "unknown serialization " + quoted(serialization),
              {}, "Use 'portable_json' (the default, read by every DBOS SDK) or 'js_superjson' "
                  "(TypeScript only).");
}

// Whole milliseconds of an interval (a month counts 30 days, as Postgres does);
// a positive fraction of a millisecond rounds up so that it is not mistaken for zero.
int64_t span_ms(const Span &span, const char *argument) {
  __int128 us = static_cast<__int128>(span.time_us) +
                static_cast<__int128>(span.days) * 86400000000LL +
                static_cast<__int128>(span.months) * 30 * 86400000000LL;
  if (us < 0)
    throw Error(sqlstate::invalid_value, std::string(argument) + " must not be negative", {},
                std::string("Give a positive interval, or NULL for no ") + argument + ".");
  __int128 ms = (us + 999) / 1000;
  if (ms > static_cast<__int128>(1) << 52)
    throw Error(sqlstate::datetime_overflow, std::string(argument) + " is out of range", {},
                "Give an interval shorter than 100,000 years.");
  return static_cast<int64_t>(ms);
}

}  // namespace

void require_text(const char *value, const char *argument) {
  if (!value)
    throw Error(sqlstate::null_value, std::string(argument) + " must not be null");
  if (!*value) throw Error(sqlstate::invalid_value, std::string(argument) + " must not be empty");
}

void check_workflow_id(const char *value, const char *argument) {
  if (value && blank(value))
    throw Error(sqlstate::invalid_value, std::string(argument) + " must not be empty or blank", {},
                "Pass NULL to have a new UUID generated.");
}

void check_deduplication_id(const char *value, const char *argument) {
  if (value && !*value)
    throw Error(sqlstate::invalid_value, std::string(argument) + " must not be empty", {},
                "Pass NULL for no deduplication.");
}

void check_partition_key(const char *value, const char *argument) {
  if (value && !*value)
    throw Error(sqlstate::invalid_value, std::string(argument) + " must not be empty", {},
                "Pass NULL on queues that are not partitioned.");
}

namespace {
// DBOS stores class and config names as varchar(255).
void check_name_length(const char *value, const char *argument) {
  size_t chars = 0;
  for (const char *c = value; c && *c; c++) chars += (*c & 0xC0) != 0x80;  // UTF-8 characters
  if (chars > 255)
    throw Error(sqlstate::too_long, std::string(argument) + " is too long",
                std::string("It has ") + std::to_string(chars) + " characters; DBOS stores at most 255.",
                "Use a shorter name.");
}
}  // namespace

void validate(Enqueue &r) {
  require_text(r.queue_name, "queue_name");
  require_text(r.workflow_name, "workflow_name");
  if (r.args_null)
    throw Error(sqlstate::null_value, "args must not be null", {},
                "Pass '[]' for a workflow without arguments.");
  if (!r.args_is_array)
    throw Error(sqlstate::invalid_value, "args must be a JSON array",
                {}, "Pass the positional arguments as an array, e.g. '[1, \"a\"]'.");
  if (r.named_args_present && !r.named_args_is_object)
    throw Error(sqlstate::invalid_value, "named_args must be a JSON object", {},
                "Pass keyword arguments as an object, e.g. '{\"k\": 1}', or NULL.");
  check_workflow_id(r.workflow_id, "workflow_id");
  if (r.workflow_class && !*r.workflow_class) r.workflow_class = nullptr;
  if (r.config_name && !*r.config_name) r.config_name = nullptr;
  check_name_length(r.workflow_class, "workflow_class");
  check_name_length(r.config_name, "config_name");
  if (r.app_version && !*r.app_version) r.app_version = nullptr;
  if (r.application_name && !*r.application_name) r.application_name = nullptr;
  if (!r.priority_null && r.priority < 0)
    throw Error(sqlstate::out_of_range, "priority " + std::to_string(r.priority) + " is out of range",
                "DBOS priorities range from 0 to 2147483647.", "Lower values run first; use 0 or NULL for the default.");
  check_deduplication_id(r.deduplication_id, "deduplication_id");
  check_partition_key(r.partition_key, "partition_key");
  r.format = parse_format(r.serialization);
  if (r.format == payloads::Format::js_superjson && r.named_args_present)
    throw Error(sqlstate::invalid_value, "named_args cannot be sent with serialization \"js_superjson\"",
                "TypeScript workflows take positional arguments only.",
                "Use serialization 'portable_json' for named arguments.");
  const char *policy = r.duplication_policy ? r.duplication_policy : "reject";
  if (!std::strcmp(policy, "reject"))
    r.return_existing = false;
  else if (!std::strcmp(policy, "return_existing") || !std::strcmp(policy, "return-existing"))
    r.return_existing = true;
  else
    throw Error(sqlstate::invalid_value, "unknown duplication_policy " + quoted(policy), {},
                "Use 'reject' (the default) or 'return_existing'.");
  if (r.return_existing && !r.deduplication_id)
    throw Error(sqlstate::invalid_value, "duplication_policy \"return_existing\" needs a deduplication_id",
                {}, "Pass deduplication_id, or use the default policy 'reject'.");
  r.timeout_ms = -1;
  if (r.timeout.present) {
    r.timeout_ms = span_ms(r.timeout, "timeout");
    if (r.timeout_ms == 0)
      throw Error(sqlstate::invalid_value, "timeout must be positive", {},
                  "Give a positive interval, or NULL for no timeout.");
  }
  r.delay_ms = r.delay.present ? span_ms(r.delay, "delay") : 0;
}

void validate(Send &r) {
  require_text(r.destination_id, "destination_id");
  if (r.idempotency_key && !*r.idempotency_key)
    throw Error(sqlstate::invalid_value, "idempotency_key must not be empty", {},
                "Pass NULL for a message without idempotency.");
  r.format = parse_format(r.serialization);
}

int64_t wait_timeout_ms(bool is_null, double seconds, const char *argument) {
  if (is_null) return -1;
  if (std::isnan(seconds))
    throw Error(sqlstate::invalid_value, std::string(argument) + " must not be NaN");
  if (seconds < 0)
    throw Error(sqlstate::invalid_value, std::string(argument) + " must not be negative", {},
                "Use 0 to check once without waiting.");
  if (std::isinf(seconds) || seconds > 1e12) return -1;
  return static_cast<int64_t>(std::ceil(seconds * 1000.0));
}

}  // namespace dbos_client::requests
