// Payload formats of the DBOS system tables: encoding what we write, decoding what apps wrote.
#pragma once
#include <string>
#include <string_view>

namespace dbos_client::payloads {

enum class Format { portable_json, js_superjson };

// The tag stored in the serialization columns for a format we write.
const char *format_tag(Format format);

// Workflow inputs: the portable envelope {"positionalArgs":[...],"namedArgs":{...}}, or the
// superjson form of the positional array. args_json is a JSON array; named_json a JSON
// object or empty (absent).
std::string encode_inputs(Format format, std::string_view args_json, std::string_view named_json);

// Inputs of a row-change workflow: {"positionalArgs":[{"op":...,"schema":...,"table":...,
// "new":<row or null>,"old":<row or null>}]}. Rows are JSON text; empty means null.
std::string encode_row_change(std::string_view op, std::string_view schema, std::string_view table,
                              std::string_view new_json, std::string_view old_json);

// A single value (a message): portable JSON as is, or wrapped in the superjson envelope.
std::string encode_value(Format format, std::string_view value_json);

// What a stored payload holds, which changes how it is unwrapped.
enum class Kind { value, inputs, error };

// Decodes a stored payload to JSON text that jsonb accepts. tag is the row's serialization
// (nullptr when NULL). Payloads SQL cannot decode come back as the opaque wrapper
// {"__dbos_opaque__": {"serialization": tag, "text": raw}}.
std::string decode(const char *tag, std::string_view text, Kind kind);

// Summary of a decoded workflow error, for the message and detail of our ERROR.
struct ErrorSummary {
  std::string message;  // the error's message (or the whole JSON when it has none)
  std::string name;     // e.g. "Error"; empty when absent
  std::string code;     // code as text; empty when absent or null
};
ErrorSummary summarize_error(std::string_view decoded_json);

}  // namespace dbos_client::payloads
