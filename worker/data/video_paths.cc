#include "worker/data/video_paths.h"

#include <sys/stat.h>

#include <algorithm>
#include <filesystem>

#include "absl/strings/str_cat.h"
#include "common/failure.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"

namespace camoe::data {
namespace {

constexpr size_t kMaxExamples = 10;

bool IsRegularFile(const std::string& path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// Every path FindVideoFile tries, in order, until `visit` returns true.
template <typename Visit>
void ForEachCandidate(const VideoRecord& video, const std::string& annotation_dir,
                      const VideoPathOptions& options, Visit visit) {
  const std::vector<std::string>& extensions =
      options.extensions.empty() ? DefaultVideoExtensions() : options.extensions;
  std::vector<std::string> bases;
  if (!options.video_dir.empty()) bases.push_back(options.video_dir);
  if (!annotation_dir.empty() && annotation_dir != options.video_dir) bases.push_back(annotation_dir);
  if (bases.empty()) bases.push_back("");
  for (const std::string& base : bases) {
    for (const std::string& hint : video.path_hints) {
      std::filesystem::path p(hint);
      std::string stem = p.is_absolute() || base.empty() ? hint : (std::filesystem::path(base) / p).string();
      if (visit(stem)) return;
      for (const std::string& ext : extensions) {
        if (visit(stem + ext)) return;
      }
    }
  }
}

}  // namespace

const std::vector<std::string>& DefaultVideoExtensions() {
  static const auto* extensions =
      new std::vector<std::string>{".mp4", ".avi", ".webm", ".mkv", ".mov"};
  return *extensions;
}

VideoPathOptions VideoPathOptionsFromConfig(const DataConfig& config) {
  VideoPathOptions options;
  options.video_dir = config.video_dir();
  for (const std::string& ext : config.video_extensions()) {
    options.extensions.push_back(ext.empty() || ext[0] == '.' ? ext : "." + ext);
  }
  if (options.extensions.empty()) options.extensions = DefaultVideoExtensions();
  if (config.format() == DATASET_DIDEMO) {
    // DiDeMo's Flickr originals keep their upload's container.
    for (const char* ext : {".mpg", ".m4v", ".3gp", ".wmv", ".3g2", ".mts", ".m2ts", ".MOV",
                            ".MP4", ".AVI"}) {
      if (std::find(options.extensions.begin(), options.extensions.end(), ext) ==
          options.extensions.end()) {
        options.extensions.push_back(ext);
      }
    }
  }
  return options;
}

std::optional<std::string> FindVideoFile(const VideoRecord& video, const std::string& annotation_dir,
                                         const VideoPathOptions& options) {
  std::optional<std::string> found;
  ForEachCandidate(video, annotation_dir, options, [&](const std::string& candidate) {
    if (!IsRegularFile(candidate)) return false;
    found = candidate;
    return true;
  });
  return found;
}

VideoPathReport ResolveVideoPaths(const VideoPathOptions& options, DatasetSplit* split) {
  VideoPathReport report;
  for (VideoRecord& video : split->videos) {
    std::optional<std::string> path = FindVideoFile(video, split->annotation_dir, options);
    if (path.has_value()) {
      video.path = *path;
      ++report.found;
      continue;
    }
    video.path.clear();
    ++report.missing;
    if (report.missing_examples.size() < kMaxExamples) {
      // The first base and hint with the extensions tried, e.g.
      // "/videos/video7[.mp4|.avi|...]": enough to spot a wrong video_dir.
      std::string first;
      ForEachCandidate(video, split->annotation_dir, options, [&](const std::string& candidate) {
        first = candidate;
        return true;
      });
      const std::vector<std::string>& extensions =
          options.extensions.empty() ? DefaultVideoExtensions() : options.extensions;
      report.missing_examples.push_back(
          first.empty() ? absl::StrCat(video.id, " (no path hints)")
                        : absl::StrCat(video.id, " (looked for ", first, "[",
                                       absl::StrJoin(extensions, "|"), "], ...)"));
    }
  }
  return report;
}

std::string DescribeVideoPathReport(const VideoPathReport& report) {
  std::string text =
      absl::StrFormat("%d of %d videos found", report.found, report.found + report.missing);
  if (report.missing > 0) {
    absl::StrAppend(&text, absl::StrFormat("; %d missing, e.g. %s", report.missing,
                                           absl::StrJoin(report.missing_examples, "; ")));
  }
  return text;
}

absl::Status CheckBadVideoFraction(int64_t bad, int64_t total, double max_fraction,
                                   const std::string& what) {
  if (bad == 0) return absl::OkStatus();
  double fraction = total > 0 ? static_cast<double>(bad) / total : 1.0;
  // The limit is a proto float (0.01 is stored as 0.0099999998): compare with
  // a tolerance so exactly 1 bad video in 100 is within a 1% limit.
  if (fraction <= max_fraction + 1e-7) return absl::OkStatus();
  return WithFailureClass(absl::FailedPreconditionError(absl::StrFormat(
      "%s: %d of %d videos (%.2f%%) are missing or unreadable, more than "
      "data.max_bad_video_fraction allows (%.2f%%); check data.video_dir and the files, or raise "
      "the limit",
      what, bad, total, 100.0 * fraction, 100.0 * max_fraction)), kFailureData);
}

}  // namespace camoe::data
