// Users' own data: JSONL and CSV, one file per split; see docs/data.md.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "common/file_util.h"
#include "common/status_macros.h"
#include "common/strings.h"
#include "worker/data/csv_reader.h"
#include "worker/data/json_reader.h"
#include "worker/data/loaders.h"

namespace camoe::data {
namespace {

const std::vector<std::string>& JsonlKeys() {
  static const auto* keys =
      new std::vector<std::string>{"video", "caption", "captions", "start", "end", "id"};
  return *keys;
}
const std::vector<std::string>& CsvColumns() {
  static const auto* columns =
      new std::vector<std::string>{"video", "caption", "start", "end", "id"};
  return *columns;
}

// One annotation row, whatever the file format.
struct Row {
  int line = 0;
  std::string video;
  std::vector<std::string> captions;
  double start = -1;
  double end = -1;
  std::string id;
};

std::string DidYouMean(const std::string& word, const std::vector<std::string>& candidates) {
  std::string match = ClosestMatch(word, candidates);
  return match.empty() ? "" : absl::StrCat(" (did you mean \"", match, "\"?)");
}

// Collects rows into videos keyed by id (or path and segment) and checks that
// a key always means the same video.
class UserDatasetBuilder {
 public:
  explicit UserDatasetBuilder(std::string source) : source_(std::move(source)) {}

  absl::Status Add(Row row) {
    auto where = [&](const std::string& what) {
      return absl::InvalidArgumentError(absl::StrFormat("%s:%d: %s", source_, row.line, what));
    };
    std::string video(absl::StripAsciiWhitespace(row.video));
    if (video.empty()) return where("\"video\" is empty; give the video file's path");
    if (row.captions.empty()) return where("no caption; give \"caption\" (or \"captions\")");
    for (std::string& caption : row.captions) {
      caption = std::string(absl::StripAsciiWhitespace(caption));
      if (caption.empty()) return where("a caption is empty");
    }
    if (!std::isfinite(row.start) || !std::isfinite(row.end) ||
        (row.start < 0 && row.start != -1) || (row.end < 0 && row.end != -1)) {
      return where(absl::StrFormat("start %g / end %g: times are seconds >= 0", row.start, row.end));
    }
    if (row.start >= 0 && row.end >= 0 && row.end <= row.start) {
      return where(absl::StrFormat("end %g is not after start %g", row.end, row.start));
    }
    std::string key = row.id;
    if (key.empty()) {
      key = video;
      if (row.start >= 0 || row.end >= 0) {
        // %.10g: exact to well below a frame for videos up to days long, and
        // "1.5" rather than "1.5000000000000000" for the usual times.
        key += absl::StrFormat("#%.10g-%s", std::max(row.start, 0.0),
                               row.end >= 0 ? absl::StrFormat("%.10g", row.end) : "end");
      }
    }
    auto [it, inserted] = first_.try_emplace(key, First{row.line, video, row.start, row.end});
    if (!inserted) {
      const First& f = it->second;
      if (f.video != video || f.start != row.start || f.end != row.end) {
        return where(absl::StrFormat(
            "id \"%s\" was given to a different video or segment at line %d (%s [%g, %g]); ids "
            "must name one video",
            key, f.line, f.video, f.start, f.end));
      }
    }
    int32_t v = builder_.AddVideo(key, {video}, row.start, row.end);
    for (std::string& caption : row.captions) builder_.AddCaption(v, std::move(caption));
    return absl::OkStatus();
  }

  DatasetSplit Finish(DatasetFormat format) {
    DatasetSplit split;
    split.format = format;
    split.split_name = std::filesystem::path(source_).filename().string();
    split.source = source_;
    split.annotation_dir = std::filesystem::path(source_).parent_path().string();
    builder_.Finish(source_, &split);
    return split;
  }

 private:
  struct First {
    int line;
    std::string video;
    double start, end;
  };
  std::string source_;
  DatasetBuilder builder_;
  absl::flat_hash_map<std::string, First> first_;
};

absl::StatusOr<double> JsonSeconds(const JsonValue& value, const std::string& source, int line,
                                   const std::string& key) {
  if (value.is_null()) return -1.0;
  if (!value.is_number()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s:%d: \"%s\" must be a number of seconds, found %s", source, line, key, value.type_name()));
  }
  if (value.number() < 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s:%d: \"%s\" is %g; times are seconds >= 0", source, line, key, value.number()));
  }
  return value.number();
}

absl::StatusOr<Row> ParseJsonlRow(const JsonValue& object, const std::string& source, int line) {
  if (!object.is_object()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s:%d: expected one JSON object per line, found %s", source, line, object.type_name()));
  }
  Row row;
  row.line = line;
  auto need_string = [&](const JsonValue& v, const std::string& key) -> absl::Status {
    if (v.is_string()) return absl::OkStatus();
    return absl::InvalidArgumentError(absl::StrFormat("%s:%d: \"%s\" must be a string, found %s",
                                                      source, line, key, v.type_name()));
  };
  bool has_video = false;
  for (const auto& [key, value] : object.object()) {
    if (key == "video") {
      CAMOE_RETURN_IF_ERROR(need_string(value, key));
      row.video = value.string();
      has_video = true;
    } else if (key == "caption") {
      CAMOE_RETURN_IF_ERROR(need_string(value, key));
      row.captions.push_back(value.string());
    } else if (key == "captions") {
      if (!value.is_array()) {
        return absl::InvalidArgumentError(absl::StrFormat(
            "%s:%d: \"captions\" must be an array of strings, found %s", source, line,
            value.type_name()));
      }
      for (const JsonValue& c : value.array()) {
        CAMOE_RETURN_IF_ERROR(need_string(c, "captions[]"));
        row.captions.push_back(c.string());
      }
    } else if (key == "start" || key == "end") {
      CAMOE_ASSIGN_OR_RETURN(double seconds, JsonSeconds(value, source, line, key));
      (key == "start" ? row.start : row.end) = seconds;
    } else if (key == "id") {
      CAMOE_RETURN_IF_ERROR(need_string(value, key));
      row.id = value.string();
    } else {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s:%d: unknown key \"%s\"%s; the keys are %s", source, line, key,
          DidYouMean(key, JsonlKeys()), absl::StrJoin(JsonlKeys(), ", ")));
    }
  }
  if (!has_video) {
    return absl::InvalidArgumentError(
        absl::StrFormat("%s:%d: the key \"video\" is missing", source, line));
  }
  return row;
}

absl::StatusOr<double> CsvSeconds(const std::string& field, const std::string& source, int line,
                                  const std::string& column) {
  std::string s(absl::StripAsciiWhitespace(field));
  if (s.empty()) return -1.0;
  double value;
  if (!absl::SimpleAtod(s, &value) || !std::isfinite(value) || value < 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s:%d: %s \"%s\" is not a number of seconds >= 0", source, line, column, s));
  }
  return value;
}

}  // namespace

absl::StatusOr<DatasetSplit> LoadJsonl(const std::string& path) {
  CAMOE_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  UserDatasetBuilder builder(path);
  int line = 0;
  for (absl::string_view raw : absl::StrSplit(text, '\n')) {
    ++line;
    std::string l(absl::StripAsciiWhitespace(raw));
    if (l.empty()) continue;
    CAMOE_ASSIGN_OR_RETURN(JsonValue value, ParseJson(l, path, line));
    CAMOE_ASSIGN_OR_RETURN(Row row, ParseJsonlRow(value, path, line));
    CAMOE_RETURN_IF_ERROR(builder.Add(std::move(row)));
  }
  return builder.Finish(DATASET_JSONL);
}

absl::StatusOr<DatasetSplit> LoadCsv(const std::string& path) {
  CAMOE_ASSIGN_OR_RETURN(std::string text, ReadFile(path));
  CAMOE_ASSIGN_OR_RETURN(std::vector<CsvRow> rows, ParseCsv(text, path));
  if (rows.empty()) {
    return absl::InvalidArgumentError(absl::StrCat(
        path, ": the file is empty; expected a header row such as video,caption,start,end"));
  }
  absl::flat_hash_map<std::string, int> column;
  for (size_t i = 0; i < rows[0].fields.size(); ++i) {
    std::string name = absl::AsciiStrToLower(absl::StripAsciiWhitespace(rows[0].fields[i]));
    if (std::find(CsvColumns().begin(), CsvColumns().end(), name) == CsvColumns().end()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s:%d: unknown column \"%s\"%s; the columns are %s (video and caption required)", path,
          rows[0].line, name, DidYouMean(name, CsvColumns()), absl::StrJoin(CsvColumns(), ", ")));
    }
    if (!column.try_emplace(name, static_cast<int>(i)).second) {
      return absl::InvalidArgumentError(
          absl::StrFormat("%s:%d: the column \"%s\" appears twice", path, rows[0].line, name));
    }
  }
  for (const char* required : {"video", "caption"}) {
    if (!column.contains(required)) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s:%d: the header has no \"%s\" column; the first row must name the columns, e.g. "
          "video,caption,start,end",
          path, rows[0].line, required));
    }
  }
  UserDatasetBuilder builder(path);
  for (size_t r = 1; r < rows.size(); ++r) {
    const CsvRow& csv = rows[r];
    if (csv.fields.size() != rows[0].fields.size()) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s:%d: %d fields, but the header has %d (quote fields that contain commas)", path,
          csv.line, csv.fields.size(), rows[0].fields.size()));
    }
    Row row;
    row.line = csv.line;
    row.video = csv.fields[column["video"]];
    row.captions.push_back(csv.fields[column["caption"]]);
    if (column.contains("start")) {
      CAMOE_ASSIGN_OR_RETURN(row.start, CsvSeconds(csv.fields[column["start"]], path, csv.line, "start"));
    }
    if (column.contains("end")) {
      CAMOE_ASSIGN_OR_RETURN(row.end, CsvSeconds(csv.fields[column["end"]], path, csv.line, "end"));
    }
    if (column.contains("id")) row.id = std::string(absl::StripAsciiWhitespace(csv.fields[column["id"]]));
    CAMOE_RETURN_IF_ERROR(builder.Add(std::move(row)));
  }
  return builder.Finish(DATASET_CSV);
}

}  // namespace camoe::data
