#include "common/text_proto.h"

#include <regex>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "common/file_util.h"
#include "common/strings.h"
#include "google/protobuf/descriptor.h"
#include "google/protobuf/io/tokenizer.h"
#include "google/protobuf/text_format.h"

namespace camoe {
namespace {

using google::protobuf::Descriptor;
using google::protobuf::DescriptorPool;

// Adds a "did you mean" hint to protobuf's unknown-field message, whose shape is
//   Message type "pkg.Type" has no field named "name".
std::string WithSuggestion(const std::string& message) {
  static const std::regex kUnknownField(R"re(Message type "([\w.]+)" has no field named "(\w+)")re");
  std::smatch match;
  if (!std::regex_search(message, match, kUnknownField)) return message;
  const Descriptor* type = DescriptorPool::generated_pool()->FindMessageTypeByName(match[1].str());
  if (type == nullptr) return message;
  std::vector<std::string> names;
  for (int i = 0; i < type->field_count(); ++i) names.push_back(type->field(i)->name());
  std::string hint = ClosestMatch(match[2].str(), names);
  if (hint.empty()) {
    return absl::StrCat(message, " (fields of ", type->name(), ": ", absl::StrJoin(names, ", "), ")");
  }
  return absl::StrCat(message, " (did you mean \"", hint, "\"?)");
}

class CollectingErrorCollector : public google::protobuf::io::ErrorCollector {
 public:
  explicit CollectingErrorCollector(const std::string& source) : source_(source) {}

  void AddError(int line, int column, const std::string& message) override {
    // protobuf counts lines and columns from 0; editors count from 1.
    errors_.push_back(absl::StrCat(source_, ":", line + 1, ":", column + 1, ": ",
                                   WithSuggestion(message)));
  }
  void AddWarning(int line, int column, const std::string& message) override {
    AddError(line, column, absl::StrCat("warning: ", message));
  }

  const std::vector<std::string>& errors() const { return errors_; }

 private:
  std::string source_;
  std::vector<std::string> errors_;
};

}  // namespace

absl::Status ParseTextProto(std::string_view text, const std::string& source_name,
                            google::protobuf::Message* message) {
  CollectingErrorCollector collector(source_name);
  google::protobuf::TextFormat::Parser parser;
  parser.RecordErrorsTo(&collector);
  parser.AllowUnknownField(false);
  parser.AllowUnknownExtension(false);
  parser.AllowPartialMessage(false);
  message->Clear();
  bool ok = parser.ParseFromString(std::string(text), message);
  if (ok && collector.errors().empty()) return absl::OkStatus();
  if (collector.errors().empty()) {
    return absl::InvalidArgumentError(absl::StrCat(source_name, ": cannot parse as ",
                                                   message->GetTypeName()));
  }
  return absl::InvalidArgumentError(absl::StrJoin(collector.errors(), "\n"));
}

absl::Status ParseTextProtoFile(const std::string& path, google::protobuf::Message* message) {
  auto text = ReadFile(path);
  if (!text.ok()) return text.status();
  return ParseTextProto(*text, path, message);
}

std::string ToTextProto(const google::protobuf::Message& message) {
  std::string out;
  google::protobuf::TextFormat::PrintToString(message, &out);
  return out;
}

}  // namespace camoe
