// MSR-VTT as CLIP4Clip distributes it (msrvtt_data.zip), see docs/data.md.
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "common/file_util.h"
#include "common/status_macros.h"
#include "worker/data/csv_reader.h"
#include "worker/data/loader_util.h"
#include "worker/data/loaders.h"

namespace camoe::data {
namespace {

using internal::ExpectMember;
using internal::JoinPath;
using Type = JsonValue::Type;

constexpr char kWhereZip[] =
    "MSR-VTT's split lists and captions come in CLIP4Clip's msrvtt_data.zip (docs/data.md, "
    "MSR-VTT)";

// The 1k-A test set (JSFusion): key,vid_key,video_id,sentence, one row per
// video; no MSRVTT_data.json needed.
absl::Status Load1kA(const std::string& dir, DatasetBuilder* builder, std::string* source) {
  *source = JoinPath(dir, kMsrvttTest1kA);
  CAMOE_ASSIGN_OR_RETURN(std::string text,
                         internal::ReadAnnotationFile(dir, kMsrvttTest1kA, kWhereZip));
  CAMOE_ASSIGN_OR_RETURN(std::vector<CsvRow> rows, ParseCsv(text, *source));
  if (rows.empty()) return absl::InvalidArgumentError(absl::StrCat(*source, ": the file is empty"));
  int video_col = -1, sentence_col = -1;
  for (size_t i = 0; i < rows[0].fields.size(); ++i) {
    std::string name(absl::StripAsciiWhitespace(rows[0].fields[i]));
    if (name == "video_id") video_col = static_cast<int>(i);
    if (name == "sentence") sentence_col = static_cast<int>(i);
  }
  if (video_col < 0 || sentence_col < 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s:%d: expected a header with \"video_id\" and \"sentence\" columns, found %s", *source,
        rows[0].line, absl::StrJoin(rows[0].fields, ",")));
  }
  for (size_t r = 1; r < rows.size(); ++r) {
    const CsvRow& row = rows[r];
    if (row.fields.size() != rows[0].fields.size()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s:%d: %d fields, but the header has %d (a sentence with a comma must be quoted)",
          *source, row.line, row.fields.size(), rows[0].fields.size()));
    }
    std::string id(absl::StripAsciiWhitespace(row.fields[video_col]));
    int32_t v = builder->AddVideo(id, {id});
    builder->AddCaption(v, row.fields[sentence_col]);
  }
  return absl::OkStatus();
}

// Video ids of a split: from its list file, or (full splits) from the json's
// "split" field when the list is absent.
absl::StatusOr<std::vector<std::string>> SplitVideoIds(const std::string& dir,
                                                       const std::string& list_file,
                                                       const std::string& json_split,
                                                       const JsonValue& json,
                                                       const std::string& json_source,
                                                       std::string* source) {
  std::string list_path = JoinPath(dir, list_file);
  if (FileExists(list_path) || json_split.empty()) {
    CAMOE_ASSIGN_OR_RETURN(std::string text,
                           internal::ReadAnnotationFile(dir, list_file, kWhereZip));
    *source = absl::StrCat(list_path, " + ", json_source);
    return internal::ReadCsvColumn(text, list_path, "video_id");
  }
  *source = absl::StrCat(json_source, " (\"split\": \"", json_split, "\")");
  CAMOE_ASSIGN_OR_RETURN(const JsonValue* videos,
                         ExpectMember(json, "videos", Type::kArray, json_source, "$"));
  std::vector<std::string> ids;
  for (size_t i = 0; i < videos->array().size(); ++i) {
    const JsonValue& video = videos->array()[i];
    std::string path = internal::JsonIndexPath("$[\"videos\"]", i);
    CAMOE_RETURN_IF_ERROR(internal::Expect(video, Type::kObject, json_source, path).status());
    CAMOE_ASSIGN_OR_RETURN(const JsonValue* split,
                           ExpectMember(video, "split", Type::kString, json_source, path));
    CAMOE_ASSIGN_OR_RETURN(const JsonValue* id,
                           ExpectMember(video, "video_id", Type::kString, json_source, path));
    if (split->string() == json_split) ids.push_back(id->string());
  }
  return ids;
}

}  // namespace

absl::StatusOr<DatasetSplit> LoadMsrvtt(const std::string& dir, SplitRole role,
                                        const std::string& split) {
  const bool train = role == SplitRole::kTrain;
  CAMOE_ASSIGN_OR_RETURN(
      std::string name,
      CanonicalSplitName(DATASET_MSRVTT, role, split, train ? "data.train_split" : "data.eval_split"));
  DatasetSplit out;
  out.format = DATASET_MSRVTT;
  out.split_name = name;
  out.annotation_dir = dir;
  DatasetBuilder builder;
  if (!train && name == "1k-a") {
    CAMOE_RETURN_IF_ERROR(Load1kA(dir, &builder, &out.source));
    builder.Finish(out.source, &out);
    return out;
  }

  const std::string json_source = JoinPath(dir, kMsrvttJson);
  CAMOE_ASSIGN_OR_RETURN(
      JsonValue json,
      internal::ReadAnnotationJson(
          dir, kMsrvttJson,
          absl::StrCat("the ", name, " ", SplitRoleName(role),
                       " split takes its captions from it (20 per video). ", kWhereZip)));
  CAMOE_RETURN_IF_ERROR(internal::Expect(json, Type::kObject, json_source, "$").status());

  std::string list_file, json_split;
  if (train && name == "9k") list_file = kMsrvttTrain9k;
  if (train && name == "7k") list_file = kMsrvttTrain7k;
  if (train && name == "full") list_file = "MSRVTT_train.full.csv", json_split = "train";
  if (!train && name == "full") list_file = "MSRVTT_test.full.csv", json_split = "test";
  if (!train && name == "val") list_file = "MSRVTT_val.full.csv", json_split = "validate";
  CAMOE_ASSIGN_OR_RETURN(std::vector<std::string> ids,
                         SplitVideoIds(dir, list_file, json_split, json, json_source, &out.source));
  for (const std::string& id : ids) builder.AddVideo(id, {id});

  // Every sentence of a listed video, in the json's order: CLIP4Clip's
  // "expanded" training set (9k: 180,000 pairs).
  CAMOE_ASSIGN_OR_RETURN(const JsonValue* sentences,
                         ExpectMember(json, "sentences", Type::kArray, json_source, "$"));
  for (size_t i = 0; i < sentences->array().size(); ++i) {
    const JsonValue& s = sentences->array()[i];
    std::string path = internal::JsonIndexPath("$[\"sentences\"]", i);
    CAMOE_RETURN_IF_ERROR(internal::Expect(s, Type::kObject, json_source, path).status());
    CAMOE_ASSIGN_OR_RETURN(const JsonValue* video_id,
                           ExpectMember(s, "video_id", Type::kString, json_source, path));
    int32_t v = builder.FindVideo(video_id->string());
    if (v < 0) continue;
    CAMOE_ASSIGN_OR_RETURN(const JsonValue* caption,
                           ExpectMember(s, "caption", Type::kString, json_source, path));
    builder.AddCaption(v, caption->string());
  }
  builder.Finish(out.source, &out);
  return out;
}

}  // namespace camoe::data
