// MSVD (YouTube2Text clips), see docs/data.md.
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/string_view.h"
#include "common/status_macros.h"
#include "worker/data/csv_reader.h"
#include "worker/data/loader_util.h"
#include "worker/data/loaders.h"

namespace camoe::data {
namespace {

using Type = JsonValue::Type;

constexpr char kWhere[] =
    "MSVD's split lists come with CLIP4Clip/CLIP2Video (msvd_data); captions_msvd.json can be "
    "written from their raw-captions.pkl (docs/data.md, MSVD)";

// One caption: a string, or a token list (raw-captions.pkl's form) joined
// with spaces.
absl::StatusOr<std::string> CaptionText(const JsonValue& value, const std::string& source,
                                        const std::string& path) {
  if (value.is_string()) return value.string();
  if (value.is_array()) {
    std::vector<std::string> tokens;
    for (size_t i = 0; i < value.array().size(); ++i) {
      const JsonValue& token = value.array()[i];
      if (!token.is_string()) {
        return internal::JsonTypeError(source, internal::JsonIndexPath(path, i), token,
                                       "a string (a token)");
      }
      tokens.push_back(token.string());
    }
    return absl::StrJoin(tokens, " ");
  }
  return internal::JsonTypeError(source, path, value, "a caption string or a token list");
}

}  // namespace

absl::StatusOr<DatasetSplit> LoadMsvd(const std::string& dir, SplitRole role,
                                      const std::string& split) {
  const bool train = role == SplitRole::kTrain;
  CAMOE_ASSIGN_OR_RETURN(
      std::string name,
      CanonicalSplitName(DATASET_MSVD, role, split, train ? "data.train_split" : "data.eval_split"));
  DatasetSplit out;
  out.format = DATASET_MSVD;
  out.split_name = name;
  out.annotation_dir = dir;

  std::string list_file = absl::StrCat(name, "_list.txt");
  CAMOE_ASSIGN_OR_RETURN(std::string list_text,
                         internal::ReadAnnotationFile(dir, list_file, kWhere));
  const std::string json_source = internal::JoinPath(dir, kMsvdCaptions);
  CAMOE_ASSIGN_OR_RETURN(JsonValue json, internal::ReadAnnotationJson(dir, kMsvdCaptions, kWhere));
  CAMOE_RETURN_IF_ERROR(internal::Expect(json, Type::kObject, json_source, "$").status());
  out.source = absl::StrCat(internal::JoinPath(dir, list_file), " + ", json_source);

  // The json holds every split's clips: index it once rather than search it
  // once per listed clip.
  absl::flat_hash_map<absl::string_view, const JsonValue*> by_id;
  for (const auto& [key, value] : json.object()) by_id.try_emplace(absl::string_view(key), &value);

  DatasetBuilder builder;
  for (const std::string& id : SplitListLines(list_text)) {
    int32_t v = builder.AddVideo(id, {id});
    auto it = by_id.find(absl::string_view(id));
    if (it == by_id.end()) continue;  // counted by Finish
    const JsonValue* captions = it->second;
    std::string path = internal::JsonKeyPath("$", id);
    CAMOE_RETURN_IF_ERROR(internal::Expect(*captions, Type::kArray, json_source, path).status());
    for (size_t i = 0; i < captions->array().size(); ++i) {
      CAMOE_ASSIGN_OR_RETURN(std::string text, CaptionText(captions->array()[i], json_source,
                                                           internal::JsonIndexPath(path, i)));
      builder.AddCaption(v, std::move(text));
    }
  }
  builder.Finish(out.source, &out);
  return out;
}

}  // namespace camoe::data
