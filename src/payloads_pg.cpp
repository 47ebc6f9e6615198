// Postgres-side adapters of the payload codec: jsonb in and out, text Datums, the workflow
// error. C++ strings live only inside these functions, behind pg_guard.
#include <string>

#include "error_bridge.hpp"
#include "dbos_client.hpp"

extern "C" {
#include "utils/datum.h"
}


namespace dbos_client {
namespace {

char *jsonb_text(Jsonb *value) {
  return JsonbToCString(nullptr, &value->root, VARSIZE(value));
}

Datum text_datum(const std::string &s) {
  return pg_guard([&] { return PointerGetDatum(cstring_to_text_with_len(s.data(), (int)s.size())); });
}

}  // namespace

Datum payload_to_jsonb(const char *tag, const char *text, payloads::Kind kind) {
  // DBOS never stores a NULL payload (its columns are NOT NULL), but a loosened schema may:
  // read it as JSON null rather than dereference it.
  std::string json = text ? payloads::decode(tag, text, kind) : std::string("null");
  return pg_guard([&] { return DirectFunctionCall1(jsonb_in, CStringGetDatum(json.c_str())); });
}

Datum inputs_to_text(payloads::Format format, Jsonb *args, Jsonb *named_args) {
  char *args_json = jsonb_text(args);
  char *named_json = named_args ? jsonb_text(named_args) : nullptr;
  std::string s = payloads::encode_inputs(format, args_json, named_json ? named_json : "");
  return text_datum(s);
}

Datum value_to_text(payloads::Format format, Jsonb *value) {
  char *json = value ? jsonb_text(value) : pstrdup("null");
  if (format == payloads::Format::portable_json) return CStringGetTextDatum(json);
  std::string s = payloads::encode_value(format, json);
  return text_datum(s);
}

Datum row_change_inputs_text(const char *op, const char *schema, const char *table,
                             const char *new_json, const char *old_json) {
  std::string s = payloads::encode_row_change(op, schema, table, new_json ? new_json : "",
                                              old_json ? old_json : "");
  return text_datum(s);
}

void raise_workflow_error(const char *workflow_id, Datum error_jsonb) {
  char *json = pg_guard([&] { return DatumGetCString(DirectFunctionCall1(jsonb_out, error_jsonb)); });
  payloads::ErrorSummary e = payloads::summarize_error(json);
  std::string detail = std::string("Workflow \"") + workflow_id + "\" ended in status ERROR";
  if (!e.name.empty()) detail += " with " + e.name;
  if (!e.code.empty()) detail += " (code " + e.code + ")";
  detail += ". Error: " + std::string(json);
  throw Error(sqlstate::workflow_error, e.message, detail,
              "The error is the workflow's own; see dbos.get_status() for the workflow.");
}

void workflow_info_values(HeapTuple row, TupleDesc desc, Datum *values, bool *nulls) {
  for (int i = 0; i < kStatusPlainColumns; i++) {
    values[i] = SPI_getbinval(row, desc, i + 1, &nulls[i]);
    if (!nulls[i]) {
      Form_pg_attribute att = TupleDescAttr(desc, i);
      values[i] = datumCopy(values[i], att->attbyval, att->attlen);
    }
  }
  char *serialization = SPI_getvalue(row, desc, kStatusPlainColumns + 4);
  const payloads::Kind kinds[3] = {payloads::Kind::inputs, payloads::Kind::value, payloads::Kind::error};
  for (int k = 0; k < 3; k++) {
    int out = kStatusPlainColumns + k;
    char *raw = SPI_getvalue(row, desc, out + 1);
    nulls[out] = raw == nullptr;
    values[out] = raw ? payload_to_jsonb(serialization, raw, kinds[k]) : (Datum)0;
  }
  values[kStatusPlainColumns + 3] = serialization ? CStringGetTextDatum(serialization) : (Datum)0;
  nulls[kStatusPlainColumns + 3] = serialization == nullptr;
}

// Strong random bytes, drawn 4 kB at a time: one call per UUID costs a system call
// (OpenSSL checks getpid() on every call), which showed up at 4% of a bulk enqueue.
static uint8 random_pool[4096];
static size_t random_pos = sizeof random_pool;

char *new_uuid() {
  if (random_pos + 16 > sizeof random_pool) {
    if (!pg_strong_random(random_pool, sizeof random_pool))
      ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("could not generate random values")));
    random_pos = 0;
  }
  uint8 *b = random_pool + random_pos;
  random_pos += 16;
  b[6] = (b[6] & 0x0f) | 0x40;  // version 4
  b[8] = (b[8] & 0x3f) | 0x80;  // RFC 4122 variant
  static const char hex[] = "0123456789abcdef";
  char *out = (char *)palloc(37);
  char *p = out;
  for (int i = 0; i < 16; i++) {
    if (i == 4 || i == 6 || i == 8 || i == 10) *p++ = '-';
    *p++ = hex[b[i] >> 4];
    *p++ = hex[b[i] & 15];
  }
  *p = '\0';
  return out;
}

}  // namespace dbos_client
