#include "worker/data/loader_util.h"

#include <filesystem>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/file_util.h"
#include "common/status_macros.h"
#include "worker/data/csv_reader.h"

namespace camoe::data::internal {

std::string JoinPath(const std::string& dir, const std::string& name) {
  if (dir.empty()) return name;
  return (std::filesystem::path(dir) / name).string();
}

absl::StatusOr<std::string> ReadAnnotationFile(const std::string& dir, const std::string& name,
                                               const std::string& where_to_get_it) {
  std::string path = JoinPath(dir, name);
  if (!FileExists(path)) {
    return absl::NotFoundError(
        absl::StrCat(path, ": annotation file not found; ", where_to_get_it));
  }
  return ReadFile(path);
}

absl::StatusOr<JsonValue> ReadAnnotationJson(const std::string& dir, const std::string& name,
                                             const std::string& where_to_get_it) {
  CAMOE_ASSIGN_OR_RETURN(std::string text, ReadAnnotationFile(dir, name, where_to_get_it));
  return ParseJson(text, JoinPath(dir, name));
}

absl::Status JsonTypeError(const std::string& source, const std::string& json_path,
                           const JsonValue& value, const std::string& expected) {
  return absl::InvalidArgumentError(absl::StrFormat("%s:%d: %s: expected %s, found %s", source,
                                                    value.line(), json_path, expected,
                                                    value.type_name()));
}

absl::StatusOr<const JsonValue*> Expect(const JsonValue& value, JsonValue::Type type,
                                        const std::string& source, const std::string& json_path) {
  if (value.type() != type) {
    return JsonTypeError(source, json_path, value,
                         absl::StrCat("a", type == JsonValue::Type::kArray ||
                                                   type == JsonValue::Type::kObject
                                               ? "n "
                                               : " ",
                                      JsonValue::TypeName(type)));
  }
  return &value;
}

absl::StatusOr<const JsonValue*> ExpectMember(const JsonValue& object, const std::string& key,
                                              JsonValue::Type type, const std::string& source,
                                              const std::string& json_path) {
  const JsonValue* member = object.Find(key);
  if (member == nullptr) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s:%d: %s: the member \"%s\" is missing", source, object.line(), json_path, key));
  }
  return Expect(*member, type, source, JsonKeyPath(json_path, key));
}

std::string JsonIndexPath(const std::string& parent, size_t index) {
  return absl::StrCat(parent, "[", index, "]");
}

std::string JsonKeyPath(const std::string& parent, const std::string& key) {
  return absl::StrCat(parent, "[\"", key, "\"]");
}

std::string JoinParagraph(const std::vector<std::string>& sentences) {
  std::vector<std::string> parts;
  for (const std::string& s : sentences) {
    std::string trimmed(absl::StripAsciiWhitespace(s));
    if (!trimmed.empty()) parts.push_back(std::move(trimmed));
  }
  return absl::StrJoin(parts, " ");
}

absl::StatusOr<std::vector<std::string>> ReadCsvColumn(const std::string& text,
                                                       const std::string& source,
                                                       const std::string& column) {
  CAMOE_ASSIGN_OR_RETURN(std::vector<CsvRow> rows, ParseCsv(text, source));
  if (rows.empty()) {
    return absl::InvalidArgumentError(
        absl::StrCat(source, ": the file is empty; expected a header with a \"", column,
                     "\" column"));
  }
  const std::vector<std::string>& header = rows[0].fields;
  int index = -1;
  for (size_t i = 0; i < header.size(); ++i) {
    if (absl::StripAsciiWhitespace(header[i]) == column) index = static_cast<int>(i);
  }
  if (index < 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s:%d: the header (%s) has no \"%s\" column", source, rows[0].line,
        absl::StrJoin(header, ","), column));
  }
  std::vector<std::string> values;
  values.reserve(rows.size() - 1);
  for (size_t r = 1; r < rows.size(); ++r) {
    if (static_cast<int>(rows[r].fields.size()) <= index) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s:%d: %d fields, but the header has %d; every row needs the \"%s\" column", source,
          rows[r].line, rows[r].fields.size(), header.size(), column));
    }
    values.emplace_back(absl::StripAsciiWhitespace(rows[r].fields[index]));
  }
  return values;
}

}  // namespace camoe::data::internal
