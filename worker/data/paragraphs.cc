// The two paragraph-retrieval datasets: ActivityNet Captions and DiDeMo. Each
// video's sentences become one caption, matched against the whole video
// (ActivityNet) or its annotated first 30 s (DiDeMo); see docs/data.md.
#include <algorithm>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "common/status_macros.h"
#include "worker/data/loader_util.h"
#include "worker/data/loaders.h"

namespace camoe::data {
namespace {

using internal::ExpectMember;
using Type = JsonValue::Type;

constexpr char kWhereActivityNet[] =
    "ActivityNet Captions' annotations are at https://cs.stanford.edu/people/ranjaykrishna/"
    "densevid/ (captions.zip; docs/data.md, ActivityNet)";
constexpr char kWhereDidemo[] =
    "DiDeMo's annotations are in github.com/LisaAnne/LocalizingMoments, data/ (docs/data.md, "
    "DiDeMo)";

// DiDeMo annotators marked 5-second chunks 0..5 of at most the first 30 s
// (longer videos were cut to 30 s for annotation): frames after 30 s show
// nothing the paragraph describes. CLIP4Clip uses [0, 31] for the same
// reason; the decoder clamps the end to the video's length.
constexpr double kDidemoEndSeconds = 30;

// ActivityNet video files are named with or without the "v_" prefix of the
// annotation keys (the official download keeps it; CLIP4Clip strips it).
std::vector<std::string> ActivityNetHints(const std::string& id) {
  std::vector<std::string> hints = {id};
  if (id.size() > 2 && id.compare(0, 2, "v_") == 0) hints.push_back(id.substr(2));
  return hints;
}

// "name.mov" -> "name"; a trailing bare '.' goes too ("name." occurs).
std::string StripExtension(const std::string& file_name) {
  size_t dot = file_name.rfind('.');
  size_t slash = file_name.rfind('/');
  if (dot == std::string::npos || (slash != std::string::npos && dot < slash)) return file_name;
  return file_name.substr(0, dot);
}

}  // namespace

absl::StatusOr<DatasetSplit> LoadActivityNet(const std::string& dir, SplitRole role,
                                             const std::string& split) {
  const bool train = role == SplitRole::kTrain;
  CAMOE_ASSIGN_OR_RETURN(std::string name,
                         CanonicalSplitName(DATASET_ACTIVITYNET, role, split,
                                            train ? "data.train_split" : "data.eval_split"));
  std::string file = absl::StrCat(name, ".json");
  DatasetSplit out;
  out.format = DATASET_ACTIVITYNET;
  out.split_name = name;
  out.annotation_dir = dir;
  out.source = internal::JoinPath(dir, file);
  CAMOE_ASSIGN_OR_RETURN(JsonValue json,
                         internal::ReadAnnotationJson(dir, file, kWhereActivityNet));
  CAMOE_RETURN_IF_ERROR(internal::Expect(json, Type::kObject, out.source, "$").status());

  DatasetBuilder builder;
  for (const auto& [id, video] : json.object()) {
    std::string path = internal::JsonKeyPath("$", id);
    CAMOE_RETURN_IF_ERROR(internal::Expect(video, Type::kObject, out.source, path).status());
    CAMOE_ASSIGN_OR_RETURN(const JsonValue* sentences,
                           ExpectMember(video, "sentences", Type::kArray, out.source, path));
    std::vector<std::string> texts;
    for (size_t i = 0; i < sentences->array().size(); ++i) {
      const JsonValue& s = sentences->array()[i];
      CAMOE_RETURN_IF_ERROR(internal::Expect(s, Type::kString, out.source,
                                             internal::JsonIndexPath(path + "[\"sentences\"]", i))
                                .status());
      texts.push_back(s.string());
    }
    // The whole video: CLIP4Clip's [0, ceil(duration)] is the same thing.
    int32_t v = builder.AddVideo(id, ActivityNetHints(id));
    std::string paragraph = internal::JoinParagraph(texts);
    if (!paragraph.empty()) builder.AddCaption(v, std::move(paragraph));
  }
  builder.Finish(out.source, &out);
  return out;
}

absl::StatusOr<DatasetSplit> LoadDidemo(const std::string& dir, SplitRole role,
                                        const std::string& split) {
  const bool train = role == SplitRole::kTrain;
  CAMOE_ASSIGN_OR_RETURN(
      std::string name,
      CanonicalSplitName(DATASET_DIDEMO, role, split, train ? "data.train_split" : "data.eval_split"));
  std::string file = absl::StrCat(name, "_data.json");
  DatasetSplit out;
  out.format = DATASET_DIDEMO;
  out.split_name = name;
  out.annotation_dir = dir;
  out.source = internal::JoinPath(dir, file);
  CAMOE_ASSIGN_OR_RETURN(JsonValue json, internal::ReadAnnotationJson(dir, file, kWhereDidemo));
  CAMOE_RETURN_IF_ERROR(internal::Expect(json, Type::kArray, out.source, "$").status());

  // Descriptions grouped by video in file order, then one paragraph each.
  // Keyed by the name without its extension: a few videos appear under two
  // extensions (".avi" and ".mp4") and are one video.
  DatasetBuilder builder;
  std::vector<std::vector<std::string>> descriptions;
  for (size_t i = 0; i < json.array().size(); ++i) {
    const JsonValue& item = json.array()[i];
    std::string path = internal::JsonIndexPath("$", i);
    CAMOE_RETURN_IF_ERROR(internal::Expect(item, Type::kObject, out.source, path).status());
    CAMOE_ASSIGN_OR_RETURN(const JsonValue* video,
                           ExpectMember(item, "video", Type::kString, out.source, path));
    CAMOE_ASSIGN_OR_RETURN(const JsonValue* description,
                           ExpectMember(item, "description", Type::kString, out.source, path));
    std::string id = StripExtension(video->string());
    int32_t v = builder.FindVideo(id);
    if (v < 0) {
      // The original name first (a download kept it), then the bare name for
      // extension probing (converted copies are usually .mp4).
      std::vector<std::string> hints;
      if (video->string() != id && video->string().back() != '.') hints.push_back(video->string());
      hints.push_back(id);
      v = builder.AddVideo(id, std::move(hints), 0, kDidemoEndSeconds);
      descriptions.emplace_back();
    } else if (video->string() != id && video->string().back() != '.') {
      // The same video under a second extension: another place to look.
      const std::vector<std::string>& known = builder.video(v).path_hints;
      if (std::find(known.begin(), known.end(), video->string()) == known.end()) {
        builder.AddVideoHint(v, video->string());
      }
    }
    descriptions[v].push_back(description->string());
  }
  for (size_t v = 0; v < descriptions.size(); ++v) {
    std::string paragraph = internal::JoinParagraph(descriptions[v]);
    if (!paragraph.empty()) builder.AddCaption(static_cast<int32_t>(v), std::move(paragraph));
  }
  builder.Finish(out.source, &out);
  return out;
}

}  // namespace camoe::data
