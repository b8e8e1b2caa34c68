#include "worker/loader/dataset_stats.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <thread>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_split.h"
#include "common/json.h"
#include "worker/video/video_decoder.h"

namespace camoe::data {
namespace {

// Runs fn(0) .. fn(n - 1) on up to `threads` threads.
void ParallelFor(size_t n, int threads, const std::function<void(size_t)>& fn) {
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i = next++; i < n; i = next++) fn(i);
  };
  const int count = static_cast<int>(std::clamp<size_t>(n, 1, std::max(1, threads)));
  std::vector<std::thread> pool;
  for (int t = 1; t < count; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
}

std::vector<std::pair<std::string, int64_t>> MostCommon(
    const std::map<std::string, int64_t>& counts, size_t keep) {
  std::vector<std::pair<std::string, int64_t>> sorted(counts.begin(), counts.end());
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  if (sorted.size() > keep) sorted.resize(keep);
  return sorted;
}

ProbeStats Probe(const DatasetSplit& split, int threads) {
  std::vector<std::string> paths;
  for (const VideoRecord& v : split.videos) {
    if (!v.path.empty()) paths.push_back(v.path);
  }
  // Segments of one file share it: probe each file once.
  std::sort(paths.begin(), paths.end());
  paths.erase(std::unique(paths.begin(), paths.end()), paths.end());
  std::vector<absl::StatusOr<video::VideoInfo>> infos(paths.size(),
                                                      absl::UnknownError("not probed"));
  ParallelFor(paths.size(), threads, [&](size_t i) { infos[i] = video::ProbeVideo(paths[i]); });
  ProbeStats stats;
  std::vector<double> duration, fps, width, height;
  std::map<std::string, int64_t> resolutions, codecs;
  for (size_t i = 0; i < paths.size(); ++i) {
    if (!infos[i].ok()) {
      std::string reason(infos[i].status().message());
      // ProbeVideo's messages start with the path; the report names it apart.
      if (reason.rfind(paths[i] + ": ", 0) == 0) reason = reason.substr(paths[i].size() + 2);
      stats.unreadable.emplace_back(paths[i], reason);
      continue;
    }
    const video::VideoInfo& info = *infos[i];
    ++stats.readable;
    if (info.duration_seconds > 0) duration.push_back(info.duration_seconds);
    if (info.fps > 0) fps.push_back(info.fps);
    width.push_back(info.width);
    height.push_back(info.height);
    ++resolutions[absl::StrFormat("%dx%d", info.width, info.height)];
    ++codecs[info.codec];
  }
  stats.duration_seconds = Summarize(std::move(duration));
  stats.fps = Summarize(std::move(fps));
  stats.width = Summarize(std::move(width));
  stats.height = Summarize(std::move(height));
  stats.resolutions = MostCommon(resolutions, 5);
  stats.codecs = MostCommon(codecs, 5);
  return stats;
}

// "min 1, mean 2.5, p50 2, p95 4, max 5" with `digits` decimals.
std::string Describe(const Distribution& d, int digits) {
  if (d.count == 0) return "(none)";
  return absl::StrFormat("min %.*f, mean %.*f, p50 %.*f, p95 %.*f, max %.*f", digits, d.min,
                         std::max(digits, 1), d.mean, digits, d.p50, digits, d.p95, digits, d.max);
}

std::string Json(const Distribution& d) {
  return absl::StrFormat(
      "{\"count\": %d, \"min\": %.6g, \"mean\": %.6g, \"p50\": %.6g, \"p95\": %.6g, \"max\": "
      "%.6g}",
      d.count, d.min, d.mean, d.p50, d.p95, d.max);
}

std::string JsonCounts(const std::vector<std::pair<std::string, int64_t>>& counts) {
  std::string out = "{";
  for (size_t i = 0; i < counts.size(); ++i) {
    absl::StrAppend(&out, i ? ", " : "", JsonString(counts[i].first), ": ", counts[i].second);
  }
  return out + "}";
}

std::string JsonStrings(const std::vector<std::string>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i)
    absl::StrAppend(&out, i ? ", " : "", JsonString(values[i]));
  return out + "]";
}

}  // namespace

Distribution Summarize(std::vector<double> values) {
  Distribution d;
  if (values.empty()) return d;
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  auto rank = [&](double p) {
    size_t r = static_cast<size_t>(std::ceil(p / 100.0 * static_cast<double>(n)));
    return values[std::clamp<size_t>(r, 1, n) - 1];
  };
  double sum = 0;
  for (double v : values) sum += v;
  d.count = static_cast<int64_t>(n);
  d.min = values.front();
  d.max = values.back();
  d.mean = sum / static_cast<double>(n);
  d.p50 = rank(50);
  d.p95 = rank(95);
  return d;
}

absl::StatusOr<SplitStats> ComputeSplitStats(const DatasetSplit& split, SplitRole role,
                                             const VideoPathReport& paths,
                                             const DatasetStatsOptions& options) {
  SplitStats s;
  s.role = SplitRoleName(role);
  s.description = DescribeSplit(split);
  s.videos = static_cast<int64_t>(split.videos.size());
  s.captions = static_cast<int64_t>(split.captions.size());
  s.max_words = options.max_words;
  s.videos_found = paths.found;
  s.videos_missing = paths.missing;
  s.missing_examples = paths.missing_examples;

  std::vector<double> per_video(split.videos.size(), 0), words;
  words.reserve(split.captions.size());
  for (const CaptionRecord& c : split.captions) {
    ++per_video[c.video];
    words.push_back(static_cast<double>(
        std::vector<std::string>(
            absl::StrSplit(c.text, absl::ByAnyChar(" \t\r\n"), absl::SkipEmpty()))
            .size()));
  }
  s.captions_per_video = Summarize(std::move(per_video));
  s.words = Summarize(std::move(words));

  if (options.count_tokens) {
    std::vector<absl::StatusOr<int>> counts(split.captions.size(), 0);
    ParallelFor(split.captions.size(), options.threads,
                [&](size_t i) { counts[i] = options.count_tokens(split.captions[i].text); });
    std::vector<double> tokens;
    tokens.reserve(counts.size());
    for (size_t i = 0; i < counts.size(); ++i) {
      if (!counts[i].ok()) {
        const CaptionRecord& c = split.captions[i];
        return absl::Status(
            counts[i].status().code(),
            absl::StrFormat("%s: caption %d of video %s: %s", split.source, i,
                            split.videos[c.video].id, counts[i].status().message()));
      }
      tokens.push_back(*counts[i]);
      if (*counts[i] + 2 > options.max_words) ++s.over_max_words;
    }
    s.has_tokens = true;
    s.tokens = Summarize(std::move(tokens));
  }
  if (options.probe) {
    s.probed = true;
    s.probe = Probe(split, options.threads);
  }
  return s;
}

std::string FormatSplitStats(const SplitStats& s) {
  std::string out = absl::StrCat(s.role, ": ", s.description, "\n");
  absl::StrAppend(&out, "  captions per video: ", Describe(s.captions_per_video, 0), "\n");
  absl::StrAppend(&out, "  caption words:      ", Describe(s.words, 0), "\n");
  if (s.has_tokens) {
    absl::StrAppend(&out, "  caption BPE tokens: ", Describe(s.tokens, 0), "\n");
    absl::StrAppend(
        &out,
        absl::StrFormat(
            "  over max_words:     %d of %d captions have more than %d tokens with SOT and EOT "
            "(cut to fit)\n",
            s.over_max_words, s.captions, s.max_words));
  }
  absl::StrAppend(&out, absl::StrFormat("  videos on disk:     %d of %d found", s.videos_found,
                                        s.videos_found + s.videos_missing));
  if (s.videos_missing > 0) {
    absl::StrAppend(&out, absl::StrFormat("; %d missing, e.g.:", s.videos_missing));
    for (const std::string& e : s.missing_examples) absl::StrAppend(&out, "\n    ", e);
  }
  absl::StrAppend(&out, "\n");
  if (!s.probed) return out;
  const ProbeStats& p = s.probe;
  absl::StrAppend(&out, absl::StrFormat("  probe:              %d readable, %d unreadable\n",
                                        p.readable, p.unreadable.size()));
  for (const auto& [path, reason] : p.unreadable) {
    absl::StrAppend(&out, "    unreadable: ", path, ": ", reason, "\n");
  }
  absl::StrAppend(&out, "  duration (s):       ", Describe(p.duration_seconds, 2), "\n");
  absl::StrAppend(&out, "  frame rate (fps):   ", Describe(p.fps, 2), "\n");
  absl::StrAppend(&out, "  width (px):         ", Describe(p.width, 0), "\n");
  absl::StrAppend(&out, "  height (px):        ", Describe(p.height, 0), "\n");
  auto list = [](const std::vector<std::pair<std::string, int64_t>>& counts) {
    std::string text;
    for (const auto& [name, count] : counts) {
      absl::StrAppend(&text, text.empty() ? "" : ", ", name, " (", count, ")");
    }
    return text.empty() ? std::string("(none)") : text;
  };
  absl::StrAppend(&out, "  resolutions:        ", list(p.resolutions), "\n");
  absl::StrAppend(&out, "  codecs:             ", list(p.codecs), "\n");
  return out;
}

std::string SplitStatsJson(const SplitStats& s) {
  std::string out = absl::StrFormat(
      "{\"role\": %s, \"description\": %s, \"videos\": %d, \"captions\": %d, "
      "\"captions_per_video\": %s, \"words\": %s",
      JsonString(s.role), JsonString(s.description), s.videos, s.captions,
      Json(s.captions_per_video), Json(s.words));
  if (s.has_tokens) {
    absl::StrAppend(&out, ", \"tokens\": ", Json(s.tokens), ", \"max_words\": ", s.max_words,
                    ", \"over_max_words\": ", s.over_max_words);
  }
  absl::StrAppend(&out, ", \"videos_found\": ", s.videos_found,
                  ", \"videos_missing\": ", s.videos_missing,
                  ", \"missing_examples\": ", JsonStrings(s.missing_examples));
  if (s.probed) {
    const ProbeStats& p = s.probe;
    std::string unreadable = "[";
    for (size_t i = 0; i < p.unreadable.size(); ++i) {
      absl::StrAppend(&unreadable, i ? ", " : "", "{\"path\": ", JsonString(p.unreadable[i].first),
                      ", \"reason\": ", JsonString(p.unreadable[i].second), "}");
    }
    absl::StrAppend(&unreadable, "]");
    absl::StrAppend(
        &out, ", \"probe\": {\"readable\": ", p.readable, ", \"unreadable\": ", unreadable,
        ", \"duration_seconds\": ", Json(p.duration_seconds), ", \"fps\": ", Json(p.fps),
        ", \"width\": ", Json(p.width), ", \"height\": ", Json(p.height),
        ", \"resolutions\": ", JsonCounts(p.resolutions), ", \"codecs\": ", JsonCounts(p.codecs),
        "}");
  }
  return out + "}";
}

}  // namespace camoe::data
