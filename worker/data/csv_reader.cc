#include "worker/data/csv_reader.h"

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"

namespace camoe::data {
namespace {

std::string_view StripBom(std::string_view text) {
  if (text.substr(0, 3) == "\xEF\xBB\xBF") text.remove_prefix(3);
  return text;
}

// Lines without their '\n' and a CR before it (std::string_view in, since
// Debian's absl::StrSplit takes only absl::string_view).
std::vector<std::string_view> SplitLines(std::string_view text) {
  std::vector<std::string_view> lines;
  size_t begin = 0;
  while (begin <= text.size()) {
    size_t nl = text.find('\n', begin);
    std::string_view l = text.substr(begin, nl == std::string_view::npos ? text.npos : nl - begin);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    lines.push_back(l);
    if (nl == std::string_view::npos) break;
    begin = nl + 1;
  }
  return lines;
}

std::string_view Strip(std::string_view s) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v'; };
  while (!s.empty() && space(s.front())) s.remove_prefix(1);
  while (!s.empty() && space(s.back())) s.remove_suffix(1);
  return s;
}

bool IsBlank(const CsvRow& row) { return row.fields.size() == 1 && row.fields[0].empty(); }

}  // namespace

absl::StatusOr<std::vector<CsvRow>> ParseCsv(std::string_view text, const std::string& source,
                                             char delimiter) {
  text = StripBom(text);
  std::vector<CsvRow> rows;
  CsvRow row;
  row.line = 1;
  std::string field;
  int line = 1;
  size_t i = 0;
  auto end_row = [&]() {
    row.fields.push_back(std::move(field));
    field.clear();
    if (!IsBlank(row)) rows.push_back(std::move(row));
    row = CsvRow();
  };
  while (i < text.size()) {
    char c = text[i];
    if (c == '"' && field.empty()) {
      // A quoted field: runs to the next quote that is not doubled.
      int quote_line = line;
      ++i;
      bool closed = false;
      while (i < text.size()) {
        char q = text[i];
        if (q == '"') {
          if (i + 1 < text.size() && text[i + 1] == '"') {
            field.push_back('"');
            i += 2;
            continue;
          }
          ++i;
          closed = true;
          break;
        }
        if (q == '\n') ++line;
        field.push_back(q);
        ++i;
      }
      if (!closed) {
        return absl::InvalidArgumentError(absl::StrCat(
            source, ":", quote_line, ": a quoted field is never closed (a '\"' is missing; quotes "
            "inside a quoted field are written as \"\")"));
      }
      // After the closing quote only a delimiter or the end of the row may follow.
      if (i < text.size() && text[i] != delimiter && text[i] != '\n' &&
          !(text[i] == '\r' && (i + 1 == text.size() || text[i + 1] == '\n'))) {
        return absl::InvalidArgumentError(absl::StrCat(
            source, ":", line, ": unexpected text after a closing quote; a field with quotes "
            "inside must be quoted whole, with each inner '\"' doubled"));
      }
      continue;
    }
    if (c == delimiter) {
      row.fields.push_back(std::move(field));
      field.clear();
      ++i;
      continue;
    }
    if (c == '\r' && (i + 1 == text.size() || text[i + 1] == '\n')) {
      ++i;
      continue;
    }
    if (c == '\n') {
      end_row();
      ++line;
      row.line = line;
      ++i;
      continue;
    }
    if (c == '"') {
      return absl::InvalidArgumentError(absl::StrCat(
          source, ":", line, ": a '\"' inside an unquoted field; quote the whole field and double "
          "the quote (\"a \"\"b\"\" c\")"));
    }
    field.push_back(c);
    ++i;
  }
  if (!field.empty() || !row.fields.empty()) end_row();
  return rows;
}

std::vector<CsvRow> ParseTsvPlain(std::string_view text) {
  std::vector<CsvRow> rows;
  int line = 0;
  for (std::string_view l : SplitLines(StripBom(text))) {
    ++line;
    if (Strip(l).empty()) continue;
    CsvRow row;
    row.line = line;
    size_t begin = 0;
    while (true) {
      size_t tab = l.find('\t', begin);
      row.fields.emplace_back(l.substr(begin, tab == std::string_view::npos ? l.npos : tab - begin));
      if (tab == std::string_view::npos) break;
      begin = tab + 1;
    }
    rows.push_back(std::move(row));
  }
  return rows;
}

std::vector<std::string> SplitListLines(std::string_view text) {
  std::vector<std::string> lines;
  for (std::string_view l : SplitLines(StripBom(text))) {
    l = Strip(l);
    if (!l.empty()) lines.emplace_back(l);
  }
  return lines;
}

}  // namespace camoe::data
