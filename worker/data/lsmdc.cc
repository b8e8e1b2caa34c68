// LSMDC16 (Large Scale Movie Description Challenge), see docs/data.md.
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "worker/data/csv_reader.h"
#include "worker/data/loader_util.h"
#include "worker/data/loaders.h"

namespace camoe::data {
namespace {

constexpr char kWhere[] =
    "LSMDC's annotations are handed out by MPII after registration (docs/data.md, LSMDC)";
constexpr int kFields = 6;

// LSMDC's clips are stored per movie: <movie>/<clip id>.avi, where the clip
// id is the movie name, '_', then the start-end time. Also try the clip id
// directly under video_dir, for flattened copies.
std::vector<std::string> ClipHints(const std::string& clip_id) {
  std::vector<std::string> hints = {clip_id};
  size_t cut = clip_id.rfind('_');
  if (cut != std::string::npos && cut > 0) hints.push_back(clip_id.substr(0, cut) + "/" + clip_id);
  return hints;
}

}  // namespace

absl::StatusOr<DatasetSplit> LoadLsmdc(const std::string& dir, SplitRole role,
                                       const std::string& split) {
  const bool train = role == SplitRole::kTrain;
  CAMOE_ASSIGN_OR_RETURN(
      std::string name,
      CanonicalSplitName(DATASET_LSMDC, role, split, train ? "data.train_split" : "data.eval_split"));
  const char* file = train ? kLsmdcTrain : (name == "val" ? kLsmdcVal : kLsmdcTest);
  DatasetSplit out;
  out.format = DATASET_LSMDC;
  out.split_name = name;
  out.annotation_dir = dir;
  out.source = internal::JoinPath(dir, file);
  CAMOE_ASSIGN_OR_RETURN(std::string text, internal::ReadAnnotationFile(dir, file, kWhere));

  DatasetBuilder builder;
  // Tabs only, no quoting: sentences hold bare '"' characters.
  for (const CsvRow& row : ParseTsvPlain(text)) {
    if (row.fields.size() != kFields) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s:%d: %d tab-separated fields; LSMDC16 rows have %d (CLIP_ID, START_ALIGNED, "
          "END_ALIGNED, START_EXTRACTED, END_EXTRACTED, SENTENCE)",
          out.source, row.line, row.fields.size(), kFields));
    }
    std::string clip_id(absl::StripAsciiWhitespace(row.fields[0]));
    std::string sentence(absl::StripAsciiWhitespace(row.fields[5]));
    if (clip_id.empty()) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s:%d: the clip id (first field) is empty", out.source, row.line));
    }
    if (sentence.empty()) {
      // The blind challenge test files leave the sentence out; they cannot
      // be used for retrieval.
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s:%d: the sentence (sixth field) is empty; retrieval needs every clip's sentence",
          out.source, row.line));
    }
    // Each clip file is cut already: use it whole (the aligned times say where
    // it came from in the movie, not where to cut it).
    int32_t v = builder.AddVideo(clip_id, ClipHints(clip_id));
    builder.AddCaption(v, std::move(sentence));
  }
  builder.Finish(out.source, &out);
  return out;
}

}  // namespace camoe::data
