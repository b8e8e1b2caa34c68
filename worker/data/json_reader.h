// A small JSON reader for dataset annotation files: parses a whole document
// into an immutable tree of JsonValue. Each value remembers the line it starts
// on, so a loader that finds a well-formed but wrong value ("sentences" is not
// an array) can still name file and line. Syntax errors are InvalidArgument
// "source:line:column: what was expected". Numbers are doubles (every count and
// time in the annotation files fits exactly). Object members keep file order;
// duplicate keys are kept and Find returns the first. A JsonValue is a value
// type; a const tree may be read from any number of threads.
//
// Why not a library: Debian 12 has nlohmann-json3-dev, but this project only
// reads annotation files, whose errors should read like every other camoe
// error (file:line:column, then a hint), and this adds no build dependency.
#ifndef CAMOE_WORKER_DATA_JSON_READER_H_
#define CAMOE_WORKER_DATA_JSON_READER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "absl/status/statusor.h"

namespace camoe::data {

class JsonValue {
 public:
  enum class Type { kNull, kBool, kNumber, kString, kArray, kObject };
  using Array = std::vector<JsonValue>;
  using Object = std::vector<std::pair<std::string, JsonValue>>;

  JsonValue() = default;

  Type type() const { return static_cast<Type>(value_.index()); }
  // 1-based line of the value's first character.
  int line() const { return line_; }

  bool is_null() const { return type() == Type::kNull; }
  bool is_bool() const { return type() == Type::kBool; }
  bool is_number() const { return type() == Type::kNumber; }
  bool is_string() const { return type() == Type::kString; }
  bool is_array() const { return type() == Type::kArray; }
  bool is_object() const { return type() == Type::kObject; }

  // REQUIRES: the matching is_*() is true.
  bool bool_value() const { return std::get<bool>(value_); }
  double number() const { return std::get<double>(value_); }
  const std::string& string() const { return std::get<std::string>(value_); }
  const Array& array() const { return std::get<Array>(value_); }
  const Object& object() const { return std::get<Object>(value_); }

  // The first member named `key` of an object; nullptr if absent or not an object.
  const JsonValue* Find(std::string_view key) const;

  // "null", "boolean", "number", "string", "array" or "object".
  static const char* TypeName(Type type);
  const char* type_name() const { return TypeName(type()); }

 private:
  friend class JsonParser;
  std::variant<std::monostate, bool, double, std::string, Array, Object> value_;
  int line_ = 0;
};

// Parses `text`, which came from `source` (named in errors), as one JSON value
// followed only by whitespace. `first_line` is the line number of text[0]
// (JSONL parses one line at a time). A UTF-8 byte order mark is skipped.
absl::StatusOr<JsonValue> ParseJson(std::string_view text, const std::string& source,
                                    int first_line = 1);

// ReadFile + ParseJson.
absl::StatusOr<JsonValue> ReadJsonFile(const std::string& path);

}  // namespace camoe::data

#endif  // CAMOE_WORKER_DATA_JSON_READER_H_
