// Validation and defaults of enqueue and send requests (pure C++: no Postgres here).
#pragma once
#include <cstdint>

#include "payloads.hpp"

namespace dbos_client::requests {

// Interval split as Postgres stores it; converted here to whole milliseconds.
struct Span {
  bool present;
  int64_t time_us;
  int32_t days;
  int32_t months;
};

// What the entry point decoded from the SQL arguments. Strings are NUL-terminated and
// owned by the caller; nullptr means SQL NULL. Validation fills the derived fields.
struct Enqueue {
  const char *queue_name;
  const char *workflow_class;
  const char *workflow_name;
  bool args_null, args_is_array;
  const char *workflow_id;
  const char *app_version;
  bool priority_null;
  int32_t priority;
  const char *deduplication_id;
  Span timeout, delay;
  const char *partition_key;
  bool named_args_present, named_args_is_object;
  const char *config_name;
  const char *application_name;
  const char *serialization;
  const char *duplication_policy;

  // Derived by validate():
  payloads::Format format;
  bool return_existing;
  int64_t timeout_ms;  // -1: none
  int64_t delay_ms;    // 0: none (ENQUEUED)
};

// Throws Error (with its SQLSTATE) for any bad argument; normalises '' class/config to NULL.
void validate(Enqueue &request);

struct Send {
  const char *destination_id;
  const char *topic;
  const char *idempotency_key;
  const char *serialization;
  payloads::Format format;
};
void validate(Send &request);

// Wait timeouts in seconds: NaN and negatives refused; infinity and SQL NULL wait forever.
// Returns -1 for "forever", else milliseconds.
int64_t wait_timeout_ms(bool is_null, double seconds, const char *argument);

// Required text argument: NULL and empty refused.
void require_text(const char *value, const char *argument);
// A workflow ID given by the caller (NULL: generate one): empty and blank refused.
void check_workflow_id(const char *value, const char *argument);
// Optional per-workflow keys: NULL allowed, empty refused.
void check_deduplication_id(const char *value, const char *argument);
void check_partition_key(const char *value, const char *argument);

}  // namespace dbos_client::requests
