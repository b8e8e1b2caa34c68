#include "worker/eval/similarity_csv.h"

#include <charconv>
#include <cmath>
#include <cstring>
#include <vector>

#include "absl/strings/str_format.h"
#include "common/file_util.h"
#include "common/status_macros.h"

namespace camoe {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\r'; }

std::string_view Trim(std::string_view s) {
  while (!s.empty() && IsSpace(s.front())) s.remove_prefix(1);
  while (!s.empty() && IsSpace(s.back())) s.remove_suffix(1);
  return s;
}

// Shows a bad cell without flooding the terminal.
std::string Quote(std::string_view cell) {
  constexpr size_t kMax = 24;
  std::string shown(cell.substr(0, kMax));
  if (cell.size() > kMax) shown += "...";
  return "'" + shown + "'";
}

// One cell as a float, or an error message (without the file:line prefix).
// `first_row`: a word there is probably a header, which gets a hint.
bool ParseCell(std::string_view cell, int64_t column, bool first_row, float* value,
               std::string* error) {
  std::string_view number = Trim(cell);
  if (number.empty()) {
    *error =
        absl::StrFormat("column %d is empty (two commas in a row, or a trailing comma?)", column);
    return false;
  }
  // std::from_chars takes no leading '+', which other writers may emit.
  if (number.size() > 1 && number[0] == '+' && number[1] != '-') number.remove_prefix(1);
  const char* end = number.data() + number.size();
  auto [ptr, ec] = std::from_chars(number.data(), end, *value);
  if (ptr != end || ec == std::errc::invalid_argument) {
    *error = absl::StrFormat("column %d: %s is not a number%s", column, Quote(cell),
                             first_row ? " (a header line must start with '#')" : "");
    return false;
  }
  if (ec == std::errc::result_out_of_range) {
    // Underflow to zero is harmless for a similarity; overflow is not a float.
    double wide = 0;
    std::from_chars(number.data(), end, wide);
    if (std::fabs(wide) < 1.0) {
      *value = std::signbit(wide) ? -0.0f : 0.0f;
      return true;
    }
    *error = absl::StrFormat("column %d: %s does not fit a float", column, Quote(cell));
    return false;
  }
  if (!std::isfinite(*value)) {
    *error = absl::StrFormat(
        "column %d is %s; similarities must be finite (check the embeddings for NaN)", column,
        Quote(number));
    return false;
  }
  return true;
}

}  // namespace

absl::StatusOr<DenseSimilarity> ParseSimilarityCsv(std::string_view text, const std::string& name) {
  std::vector<float> values;
  int64_t rows = 0, cols = 0, first_line = 0;
  int64_t line_number = 0;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t newline = text.find('\n', pos);
    if (newline == std::string_view::npos) newline = text.size();
    std::string_view line = text.substr(pos, newline - pos);
    pos = newline + 1;
    ++line_number;
    std::string_view content = Trim(line);
    if (content.empty() || content.front() == '#') continue;

    int64_t column = 0;
    size_t start = 0;
    while (true) {
      size_t comma = line.find(',', start);
      std::string_view cell =
          line.substr(start, comma == std::string_view::npos ? line.size() - start : comma - start);
      ++column;
      float value;
      std::string error;
      if (!ParseCell(cell, column, rows == 0, &value, &error)) {
        return absl::InvalidArgumentError(absl::StrFormat("%s:%d: %s", name, line_number, error));
      }
      values.push_back(value);
      if (comma == std::string_view::npos) break;
      start = comma + 1;
    }
    if (rows == 0) {
      cols = column;
      first_line = line_number;
      // One reservation from the first row's length instead of ~log2(n) regrowths.
      values.reserve(static_cast<size_t>(cols) * (text.size() / (line.size() + 1) + 1));
    } else if (column != cols) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "%s:%d: row has %d values but line %d has %d; every row needs one value per video", name,
          line_number, column, first_line, cols));
    }
    ++rows;
  }
  if (rows == 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%s: no rows of numbers; expected one line per text with one comma-separated "
        "similarity per video",
        name));
  }
  return DenseSimilarity::Create(rows, cols, std::move(values));
}

absl::StatusOr<DenseSimilarity> ReadSimilarityCsv(const std::string& path) {
  CAMOE_ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> file, MappedFile::Open(path));
  return ParseSimilarityCsv(file->data(), path);
}

}  // namespace camoe
