// Payload encoding and decoding (portable_json, js_superjson, legacy and opaque formats).
#include "pure_cpp.hpp"
#include "payloads.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "json.hpp"

namespace dbos_client::payloads {
namespace {

using rapidjson::Document;
using rapidjson::SizeType;
using rapidjson::Value;
using Writer = rapidjson::Writer<rapidjson::StringBuffer>;

// Deeper payloads are refused by the DOM-based decoders (the writer recurses).
constexpr unsigned kMaxDomDepth = 1000;
constexpr unsigned kParseFlags = rapidjson::kParseIterativeFlag | rapidjson::kParseStopWhenDoneFlag |
                                 rapidjson::kParseFullPrecisionFlag;
// Numbers jsonb (numeric) cannot hold: refuse them here rather than fail in jsonb_in.
// Whether jsonb (numeric) can hold a JSON number: exponent within +-1000, at most 131,072
// digits before the point and 16,383 after, once the exponent is applied. A number jsonb
// stores must read back, whatever its length; one it cannot hold must stay opaque.
bool jsonb_number_fits(const char *s, size_t n) {
  size_t i = 0, int_digits = 0, frac_digits = 0;
  if (i < n && s[i] == '-') i++;
  for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) int_digits++;
  if (i < n && s[i] == '.')
    for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++) frac_digits++;
  long exponent = 0;
  if (i < n && (s[i] == 'e' || s[i] == 'E')) {
    bool minus = ++i < n && s[i] == '-';
    if (i < n && (s[i] == '-' || s[i] == '+')) i++;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
      exponent = exponent * 10 + (s[i] - '0');
      if (exponent > 1000) return false;
    }
    if (minus) exponent = -exponent;
  }
  return (long)frac_digits - exponent <= 16383 && (long)int_digits + exponent <= 131072;
}

// RapidJSON rejects numbers beyond a double's range even when it keeps them as text. For
// validation and span finding only, a copy of the text with each such number replaced by a
// zero of the same length ("0.000..."), so that offsets stay those of the original.
std::string tame_numbers(std::string_view text) {
  std::string out(text);
  bool in_string = false;
  for (size_t i = 0; i < out.size(); i++) {
    char c = out[i];
    if (in_string) {
      if (c == '\\') i++;
      else if (c == '"') in_string = false;
      continue;
    }
    if (c == '"') {
      in_string = true;
      continue;
    }
    if (c != '-' && (c < '0' || c > '9')) continue;
    size_t end = i;
    size_t int_digits = 0, exp_at = 0;
    while (end < out.size() && std::strchr("+-0123456789.eE", out[end])) {
      if ((out[end] == 'e' || out[end] == 'E') && !exp_at) exp_at = end;
      if (!exp_at && out[end] >= '0' && out[end] <= '9') int_digits++;
      end++;
    }
    long exponent = exp_at ? std::labs(std::atol(out.c_str() + exp_at + 1)) : 0;
    size_t len = end - i;
    bool jsonb_holds = jsonb_number_fits(out.data() + i, len);  // else it must stay invalid
    if ((int_digits > 300 || exponent > 300) && len >= 3 && jsonb_holds) {
      size_t k = i;
      if (out[k] == '-' && len >= 4) k++;
      out[k] = '0';
      out[k + 1] = '.';
      for (size_t j = k + 2; j < end; j++) out[j] = '0';
    }
    i = end - 1;
  }
  return out;
}

// SAX pass that checks what jsonb will accept and measures the nesting depth.
struct Scanner : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, Scanner> {
  unsigned depth = 0, max_depth = 0;
  bool has_nul = false;
  bool bad_number = false;
  bool Default() { return true; }
  bool RawNumber(const char *s, SizeType n, bool) {
    if (!jsonb_number_fits(s, n)) bad_number = true;
    return true;
  }
  bool String(const char *s, SizeType n, bool) {
    if (std::memchr(s, '\0', n)) has_nul = true;
    return true;
  }
  bool Key(const char *s, SizeType n, bool c) { return String(s, n, c); }
  bool StartObject() { return Push(); }
  bool EndObject(SizeType) { depth--; return true; }
  bool StartArray() { return Push(); }
  bool EndArray(SizeType) { depth--; return true; }
  bool Push() {
    max_depth = std::max(max_depth, ++depth);
    return true;
  }
};

struct ScanResult {
  bool valid;
  unsigned max_depth;
};

// Valid JSON (one value, only trailing whitespace) that jsonb can store as it is.
ScanResult scan(std::string_view original) {
  if (original.size() >= 3 && original.compare(0, 3, "\xEF\xBB\xBF") == 0) return {false, 0};  // jsonb refuses a BOM
  std::string tamed = tame_numbers(original);
  std::string_view text = tamed;
  rapidjson::MemoryStream is(text.data(), text.size());
  Scanner handler;
  rapidjson::Reader reader;
  rapidjson::ParseResult ok =
      reader.Parse<kParseFlags | rapidjson::kParseValidateEncodingFlag | rapidjson::kParseNumbersAsStringsFlag>(
          is, handler);
  if (!ok) return {false, 0};
  for (size_t i = is.Tell(); i < text.size(); i++)
    if (!std::strchr(" \t\r\n", text[i])) return {false, 0};
  return {!handler.has_nul && !handler.bad_number, handler.max_depth};
}

// The exact text of the "positionalArgs" member of a top-level object (numbers keep every
// digit), or "[]" when absent or null; empty when the text is not such an object.
struct ArgsFinder : rapidjson::BaseReaderHandler<rapidjson::UTF8<>, ArgsFinder> {
  const rapidjson::MemoryStream *stream = nullptr;
  int depth = 0;
  bool top_object = false, want = false, in_value = false;
  size_t start = 0, end = 0;
  bool found = false, is_null = false;
  bool Default() { return Value(); }
  bool Bool(bool) { return Value(); }
  bool Null() {
    if (want && depth == 1) is_null = true;
    return Value();
  }
  bool RawNumber(const char *, SizeType, bool) { return Value(); }
  bool String(const char *, SizeType, bool) { return Value(); }
  bool Key(const char *s, SizeType n, bool) {
    if (depth == 1) {
      want = n == 14 && std::memcmp(s, "positionalArgs", 14) == 0;
      if (want) start = stream->Tell();  // just after the key: ':' and the value follow
    }
    return true;
  }
  bool StartObject() {
    if (depth == 0) top_object = true;
    depth++;
    return true;
  }
  bool EndObject(SizeType) { return End(); }
  bool StartArray() {
    depth++;
    return true;
  }
  bool EndArray(SizeType) { return End(); }
  // The iterative parser calls EndArray/EndObject before it takes the closing bracket.
  bool End() {
    depth--;
    return Value(1);
  }
  bool Value(size_t pending_closer = 0) {  // a value ended; at depth 1 it may be the member we want
    if (want && depth == 1) {
      end = stream->Tell() + pending_closer;
      found = true;
      want = false;
    }
    return true;
  }
};

std::string raw_positional_args(std::string_view original) {
  std::string tamed = tame_numbers(original);
  std::string_view text = tamed;
  rapidjson::MemoryStream is(text.data(), text.size());
  ArgsFinder finder;
  finder.stream = &is;
  rapidjson::Reader reader;
  if (!reader.Parse<kParseFlags | rapidjson::kParseNumbersAsStringsFlag>(is, finder) || !finder.top_object) return {};
  if (!finder.found || finder.is_null) return "[]";
  std::string_view span = original.substr(finder.start, finder.end - finder.start);
  return std::string(span.substr(span.find_first_not_of(" \t\r\n:")));
}

std::string write(const Value &v) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  v.Accept(w);
  return std::string(sb.GetString(), sb.GetSize());
}

std::string opaque(const char *tag, std::string_view text) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("__dbos_opaque__");
  w.StartObject();
  w.Key("serialization");
  if (tag)
    w.String(tag);
  else
    w.Null();
  w.Key("text");
  w.String(text.data(), static_cast<SizeType>(text.size()));
  w.EndObject();
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

// Parses text into doc when it is valid, jsonb-storable and shallow enough for the DOM.
bool parse_dom(std::string_view text, Document &doc) {
  ScanResult s = scan(text);
  if (!s.valid) return false;
  if (s.max_depth > kMaxDomDepth)
    throw Error(sqlstate::too_complex, "payload is nested too deeply to decode",
                "The payload nests " + std::to_string(s.max_depth) + " levels; at most " +
                    std::to_string(kMaxDomDepth) + " are decoded.");
  doc.Parse<kParseFlags>(text.data(), text.size());
  return !doc.HasParseError();
}

bool is_superjson(const Value &v) {
  if (!v.IsObject() || !v.HasMember("json")) return false;
  auto marker = v.FindMember("__dbos_serializer");
  return marker != v.MemberEnd() && marker->value.IsString() &&
         std::strcmp(marker->value.GetString(), "superjson") == 0;
}

// --- superjson meta ---------------------------------------------------------------------

// Follows a superjson path ("a.0.b") from root; nullptr when it leads nowhere.
Value *follow(Value *node, const std::string &path) {
  size_t start = 0;
  if (path.empty()) return node;
  while (node && start <= path.size()) {
    size_t dot = path.find('.', start);
    std::string seg = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (node->IsObject()) {
      auto it = node->FindMember(Value(seg.c_str(), static_cast<SizeType>(seg.size())));
      node = it == node->MemberEnd() ? nullptr : &it->value;
    } else if (node->IsArray()) {
      char *end = nullptr;
      errno = 0;
      unsigned long idx = std::strtoul(seg.c_str(), &end, 10);
      node = (seg.empty() || *end || errno || idx >= node->Size()) ? nullptr
                                                                  : &(*node)[static_cast<SizeType>(idx)];
    } else {
      node = nullptr;
    }
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return node;
}

void apply_annotation(Value &node, const Value &annotation, Document::AllocatorType &alloc);

// Applies {path: annotation} below node, deepest paths first so that a parent's
// transformation (a map becoming an object) cannot hide its children.
void apply_tree(Value &node, const Value &tree, Document::AllocatorType &alloc) {
  if (!tree.IsObject()) return;
  std::vector<std::pair<size_t, Value::ConstMemberIterator>> order;
  for (auto it = tree.MemberBegin(); it != tree.MemberEnd(); ++it) {
    const char *name = it->name.GetString();
    order.emplace_back(std::count(name, name + it->name.GetStringLength(), '.'), it);
  }
  std::stable_sort(order.begin(), order.end(), [](auto &a, auto &b) { return a.first > b.first; });
  for (auto &entry : order) {
    const Value &name = entry.second->name;
    Value *target = follow(&node, std::string(name.GetString(), name.GetStringLength()));
    if (target) apply_annotation(*target, entry.second->value, alloc);
  }
}

void transform(Value &node, const char *type, Document::AllocatorType &alloc) {
  if (!std::strcmp(type, "undefined")) {
    node.SetNull();
  } else if (!std::strcmp(type, "bigint") && node.IsString()) {
    char *end = nullptr;
    errno = 0;
    long long v = std::strtoll(node.GetString(), &end, 10);
    if (!errno && end && !*end && node.GetStringLength() > 0) node.SetInt64(v);
  } else if (!std::strcmp(type, "number") && node.IsString()) {
    if (!std::strcmp(node.GetString(), "-0"))
      node.SetInt(0);
    else
      node.SetNull();  // NaN, Infinity, -Infinity have no JSON form
  } else if (!std::strcmp(type, "map") && node.IsArray()) {
    bool string_keys = true;
    for (auto &pair : node.GetArray())
      if (!pair.IsArray() || pair.Size() != 2 || !pair[0].IsString()) string_keys = false;
    if (!string_keys) return;  // stays an array of [key, value] pairs
    Value obj(rapidjson::kObjectType);
    for (auto &pair : node.GetArray()) obj.AddMember(pair[0], pair[1], alloc);
    node = obj;
  }
  // Date, regexp, URL stay strings; set stays an array; Error, custom, class stay as stored.
}

void apply_annotation(Value &node, const Value &annotation, Document::AllocatorType &alloc) {
  if (!annotation.IsArray() || annotation.Empty()) return;
  if (annotation.Size() > 1) apply_tree(node, annotation[1], alloc);  // inside a map or set
  if (annotation[0].IsString()) transform(node, annotation[0].GetString(), alloc);
}

// The plain JSON of a superjson document, with meta applied.
std::string decode_superjson(Document &doc) {
  Value &json = doc["json"];
  auto meta = doc.FindMember("meta");
  if (meta != doc.MemberEnd() && meta->value.IsObject()) {
    auto values = meta->value.FindMember("values");
    if (values != meta->value.MemberEnd()) {
      if (values->value.IsArray())
        apply_annotation(json, values->value, doc.GetAllocator());
      else
        apply_tree(json, values->value, doc.GetAllocator());
    }
  }
  return write(json);
}

// Legacy TS 4.x JSON: {"dbos_type":"dbos_Date","dbos_data":...} becomes its data.
void unwrap_legacy(Value &v) {
  if (v.IsObject()) {
    auto type = v.FindMember("dbos_type");
    auto data = v.FindMember("dbos_data");
    if (type != v.MemberEnd() && data != v.MemberEnd() && v.MemberCount() == 2) {
      Value inner;
      inner = data->value;  // moves
      v = inner;
      return;
    }
    for (auto &m : v.GetObject()) unwrap_legacy(m.value);
  } else if (v.IsArray()) {
    for (auto &e : v.GetArray()) unwrap_legacy(e);
  }
}

bool base64_decode(std::string_view in, std::string &out) {
  static const std::string alphabet =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  if (in.empty() || in.size() % 4) return false;
  unsigned buf = 0;
  int bits = 0;
  size_t pad = 0;
  for (size_t i = 0; i < in.size(); i++) {
    char c = in[i];
    if (c == '=') {
      if (i < in.size() - 2) return false;
      pad++;
      continue;
    }
    if (pad) return false;
    size_t pos = alphabet.find(c);
    if (pos == std::string::npos) return false;
    buf = (buf << 6) | static_cast<unsigned>(pos);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<char>((buf >> bits) & 0xFF));
    }
  }
  return true;
}

// Positional arguments out of an inputs document.
std::string positional_args(Value &root) {
  if (root.IsObject()) {
    auto it = root.FindMember("positionalArgs");
    if (it == root.MemberEnd() || it->value.IsNull()) return "[]";
    return write(it->value);
  }
  return write(root);
}

}  // namespace

const char *format_tag(Format format) {
  return format == Format::portable_json ? "portable_json" : "js_superjson";
}

std::string encode_inputs(Format format, std::string_view args_json, std::string_view named_json) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  if (format == Format::portable_json) {
    w.Key("positionalArgs");
    w.RawValue(args_json.data(), args_json.size(), rapidjson::kArrayType);
    if (!named_json.empty()) {
      w.Key("namedArgs");
      w.RawValue(named_json.data(), named_json.size(), rapidjson::kObjectType);
    }
  } else {
    w.Key("json");
    w.RawValue(args_json.data(), args_json.size(), rapidjson::kArrayType);
    w.Key("__dbos_serializer");
    w.String("superjson");
  }
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

std::string encode_row_change(std::string_view op, std::string_view schema, std::string_view table,
                              std::string_view new_json, std::string_view old_json) {
  rapidjson::StringBuffer sb;
  Writer w(sb);
  auto str = [&](std::string_view v) { w.String(v.data(), static_cast<SizeType>(v.size())); };
  auto row = [&](std::string_view v) {
    if (v.empty())
      w.Null();
    else
      w.RawValue(v.data(), v.size(), rapidjson::kObjectType);
  };
  w.StartObject();
  w.Key("positionalArgs");
  w.StartArray();
  w.StartObject();
  w.Key("op");
  str(op);
  w.Key("schema");
  str(schema);
  w.Key("table");
  str(table);
  w.Key("new");
  row(new_json);
  w.Key("old");
  row(old_json);
  w.EndObject();
  w.EndArray();
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

std::string encode_value(Format format, std::string_view value_json) {
  if (format == Format::portable_json) return std::string(value_json);
  rapidjson::StringBuffer sb;
  Writer w(sb);
  w.StartObject();
  w.Key("json");
  w.RawValue(value_json.data(), value_json.size(), rapidjson::kObjectType);
  w.Key("__dbos_serializer");
  w.String("superjson");
  w.EndObject();
  return std::string(sb.GetString(), sb.GetSize());
}

std::string decode(const char *tag, std::string_view text, Kind kind) {
  const bool portable = tag && !std::strcmp(tag, "portable_json");
  const bool superjson = tag && !std::strcmp(tag, "js_superjson");
  if (tag && !std::strcmp(tag, "DBOS_JSON")) {  // Go: base64 of JSON
    if (text == "__DBOS_NIL") return "null";
    std::string inner;
    if (base64_decode(text, inner) && scan(inner).valid) return inner;
    return opaque(tag, text);
  }
  if (tag && !portable && !superjson) return opaque(tag, text);  // py_pickle, gob, custom...

  if (portable && kind != Kind::inputs) {
    // Already plain JSON: hand it to jsonb as is (jsonb checks depth itself).
    return scan(text).valid ? std::string(text) : opaque(tag, text);
  }
  if (portable) {  // inputs: the positional arguments, digit for digit
    ScanResult checked = scan(text);
    std::string args = checked.valid ? raw_positional_args(text) : std::string();
    return args.empty() ? opaque(tag, text) : args;
  }
  Document doc;
  if (!parse_dom(text, doc)) return opaque(tag, text);
  if (is_superjson(doc)) {
    std::string plain = decode_superjson(doc);
    if (kind != Kind::inputs) return plain;
    Document args;
    args.Parse<kParseFlags>(plain.data(), plain.size());
    return positional_args(args);
  }
  if (superjson) return opaque(tag, text);  // tagged superjson without the marker
  // NULL tag, plain JSON: legacy TS JSON (or a portable envelope written untagged).
  unwrap_legacy(doc);
  return kind == Kind::inputs ? positional_args(doc) : write(doc);
}

ErrorSummary summarize_error(std::string_view decoded_json) {
  ErrorSummary s;
  Document doc;
  doc.Parse<kParseFlags>(decoded_json.data(), decoded_json.size());
  auto text_of = [](const Value &v) -> std::string {
    if (v.IsString()) return std::string(v.GetString(), v.GetStringLength());
    if (v.IsNull()) return {};
    return write(v);
  };
  if (!doc.HasParseError() && doc.IsObject()) {
    auto m = doc.FindMember("message");
    auto n = doc.FindMember("name");
    auto c = doc.FindMember("code");
    if (m != doc.MemberEnd()) s.message = text_of(m->value);
    if (n != doc.MemberEnd()) s.name = text_of(n->value);
    if (c != doc.MemberEnd()) s.code = text_of(c->value);
  } else if (!doc.HasParseError() && doc.IsString()) {
    s.message = doc.GetString();
  }
  if (s.message.empty()) s.message = std::string(decoded_json);
  return s;
}

}  // namespace dbos_client::payloads
