#include "worker/pos/tag_cache.h"

#include <algorithm>
#include <cstdlib>
#include <utility>

#include "absl/strings/str_cat.h"
#include "common/file_util.h"

namespace camoe {
namespace {

constexpr char kMagic[] = "camoe-pos-tags";
constexpr int kFormat = 1;

// Texts may hold any byte; tabs, newlines and backslashes are escaped so that
// one entry is one line.
std::string Escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        out.push_back(c);
    }
  }
  return out;
}

bool Unescape(std::string_view text, std::string* out) {
  out->clear();
  for (size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '\\') {
      out->push_back(text[i]);
      continue;
    }
    if (++i == text.size()) return false;
    switch (text[i]) {
      case '\\':
        out->push_back('\\');
        break;
      case 't':
        out->push_back('\t');
        break;
      case 'n':
        out->push_back('\n');
        break;
      case 'r':
        out->push_back('\r');
        break;
      default:
        return false;
    }
  }
  return true;
}

std::vector<std::string_view> SplitBy(std::string_view text, char sep) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  while (true) {
    const size_t pos = text.find(sep, start);
    if (pos == std::string_view::npos) {
      parts.push_back(text.substr(start));
      return parts;
    }
    parts.push_back(text.substr(start, pos - start));
    start = pos + 1;
  }
}

bool ParseInt(std::string_view text, int32_t* value) {
  if (text.empty() || text.size() > 9) return false;
  int32_t v = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *value = v;
  return true;
}

// "12:17:V" -> {12, 17, kVerb}.
bool ParseSpan(std::string_view text, KeywordSpan* span) {
  const std::vector<std::string_view> f = SplitBy(text, ':');
  if (f.size() != 3 || !ParseInt(f[0], &span->begin) || !ParseInt(f[1], &span->end) ||
      span->end <= span->begin) {
    return false;
  }
  if (f[2] == "N") {
    span->tag = PosTag::kNoun;
  } else if (f[2] == "V") {
    span->tag = PosTag::kVerb;
  } else {
    return false;
  }
  return true;
}

}  // namespace

TagCache::TagCache(std::string version, size_t max_entries)
    : version_(std::move(version)), max_entries_(max_entries) {}

bool TagCache::Lookup(std::string_view text, TaggedText* tags) const {
  absl::ReaderMutexLock lock(&mu_);
  auto it = entries_.find(std::string(text));
  if (it == entries_.end()) return false;
  *tags = it->second;
  return true;
}

void TagCache::Insert(std::string_view text, const TaggedText& tags) {
  absl::MutexLock lock(&mu_);
  if (max_entries_ > 0 && entries_.size() >= max_entries_) return;
  entries_.insert_or_assign(std::string(text), tags);
}

size_t TagCache::size() const {
  absl::ReaderMutexLock lock(&mu_);
  return entries_.size();
}

absl::Status TagCache::Save(const std::string& path) const {
  std::vector<std::pair<std::string, TaggedText>> sorted;
  {
    absl::ReaderMutexLock lock(&mu_);
    sorted.assign(entries_.begin(), entries_.end());
  }
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::string data = absl::StrCat(kMagic, "\t", kFormat, "\t", version_, "\n");
  for (const auto& [text, tags] : sorted) {
    std::string flags;
    if (tags.used_lead_in) flags += 'L';
    if (tags.timed_out) flags += 'T';
    if (flags.empty()) flags = "-";
    absl::StrAppend(&data, Escape(text), "\t", flags, "\t");
    for (size_t i = 0; i < tags.keywords.size(); ++i) {
      const KeywordSpan& k = tags.keywords[i];
      absl::StrAppend(&data, i == 0 ? "" : " ", k.begin, ":", k.end, ":",
                      k.tag == PosTag::kNoun ? "N" : "V");
    }
    data += '\n';
  }
  absl::Status status = WriteFileAtomically(path, data);
  if (!status.ok()) {
    return absl::Status(status.code(),
                        absl::StrCat("saving the POS tag cache: ", status.message()));
  }
  return absl::OkStatus();
}

absl::StatusOr<TagCacheLoad> TagCache::Load(const std::string& path) {
  absl::StatusOr<std::string> data = ReadFile(path);
  if (!data.ok()) return data.status();
  const std::string_view all(*data);
  TagCacheLoad result;
  auto bad = [&](size_t line, const std::string& why) {
    return absl::DataLossError(
        absl::StrCat(path, ":", line, ": ", why,
                     "; the POS tag cache is damaged: delete it and it will be rebuilt"));
  };
  size_t header_end = all.find('\n');
  const std::vector<std::string_view> header =
      SplitBy(all.substr(0, header_end == std::string_view::npos ? all.size() : header_end), '\t');
  if (header.size() != 3 || header[0] != kMagic) {
    return bad(1, absl::StrCat("not a camoe POS tag cache (the first line must start with '",
                               kMagic, "')"));
  }
  result.file_version = std::string(header[2]);
  if (header[1] != std::to_string(kFormat) || header[2] != version_) {
    result.stale = true;
    return result;
  }
  std::vector<std::pair<std::string, TaggedText>> parsed;
  size_t line_no = 1;
  size_t pos = header_end == std::string_view::npos ? all.size() : header_end + 1;
  while (pos < all.size()) {
    ++line_no;
    size_t end = all.find('\n', pos);
    if (end == std::string_view::npos) return bad(line_no, "the last line has no newline");
    const std::string_view line = all.substr(pos, end - pos);
    pos = end + 1;
    const std::vector<std::string_view> fields = SplitBy(line, '\t');
    if (fields.size() != 3) return bad(line_no, "expected TEXT, FLAGS and SPANS separated by tabs");
    std::string text;
    if (!Unescape(fields[0], &text)) return bad(line_no, "bad escape in the text");
    TaggedText tags;
    for (char c : fields[1]) {
      if (c == 'L') {
        tags.used_lead_in = true;
      } else if (c == 'T') {
        tags.timed_out = true;
      } else if (c != '-') {
        return bad(line_no, "flags must be '-' or letters from 'LT'");
      }
    }
    if (!fields[2].empty()) {
      int32_t last_end = 0;
      for (std::string_view span_text : SplitBy(fields[2], ' ')) {
        KeywordSpan span;
        if (!ParseSpan(span_text, &span) || span.begin < last_end ||
            span.end > static_cast<int32_t>(text.size())) {
          return bad(line_no, absl::StrCat("bad keyword span '", std::string(span_text),
                                           "' (expected BEGIN:END:N|V inside the text, in order)"));
        }
        last_end = span.end;
        tags.keywords.push_back(span);
      }
    }
    parsed.emplace_back(std::move(text), std::move(tags));
  }
  for (auto& [text, tags] : parsed) Insert(text, tags);
  result.loaded = parsed.size();
  return result;
}

}  // namespace camoe
