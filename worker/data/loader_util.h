// Helpers shared by the annotation loaders (internal to worker/data): reading
// an annotation file with a hint on where to get it, type-checked access to
// JSON members with errors that give the file and the value's JSON path, and
// the paragraph joining that ActivityNet and DiDeMo share. Stateless and
// thread-safe.
#ifndef CAMOE_WORKER_DATA_LOADER_UTIL_H_
#define CAMOE_WORKER_DATA_LOADER_UTIL_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "worker/data/json_reader.h"

namespace camoe::data::internal {

std::string JoinPath(const std::string& dir, const std::string& name);

// The bytes of dir/name. A missing file is NotFound naming the path and
// ending with `where_to_get_it`.
absl::StatusOr<std::string> ReadAnnotationFile(const std::string& dir, const std::string& name,
                                               const std::string& where_to_get_it);

// ReadAnnotationFile + ParseJson.
absl::StatusOr<JsonValue> ReadAnnotationJson(const std::string& dir, const std::string& name,
                                             const std::string& where_to_get_it);

// InvalidArgument "source:line: json_path: expected <expected>, found <type>".
absl::Status JsonTypeError(const std::string& source, const std::string& json_path,
                           const JsonValue& value, const std::string& expected);

// `value` if it has `type`, else JsonTypeError.
absl::StatusOr<const JsonValue*> Expect(const JsonValue& value, JsonValue::Type type,
                                        const std::string& source, const std::string& json_path);

// The member `key` of the object `object` with `type`; a missing member is
// InvalidArgument naming json_path.key.
absl::StatusOr<const JsonValue*> ExpectMember(const JsonValue& object, const std::string& key,
                                              JsonValue::Type type, const std::string& source,
                                              const std::string& json_path);

// `parent[index]` and `parent["key"]` in JSON path notation.
std::string JsonIndexPath(const std::string& parent, size_t index);
std::string JsonKeyPath(const std::string& parent, const std::string& key);

// Sentences trimmed of surrounding whitespace, empty ones dropped, joined with
// one space: one paragraph caption.
std::string JoinParagraph(const std::vector<std::string>& sentences);

// The `column` values of a CSV file with a header row (e.g. MSR-VTT's
// split lists and its JSFusion test file), in order.
absl::StatusOr<std::vector<std::string>> ReadCsvColumn(const std::string& text,
                                                       const std::string& source,
                                                       const std::string& column);

}  // namespace camoe::data::internal

#endif  // CAMOE_WORKER_DATA_LOADER_UTIL_H_
