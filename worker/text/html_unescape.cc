#include "worker/text/html_unescape.h"

#include <algorithm>
#include <cstdint>
#include <iterator>

#include "absl/container/flat_hash_map.h"
#include "worker/text/utf8.h"

namespace camoe {
namespace {

struct NamedEntity {
  const char* name;
  const char* value;
};
struct NumericEntity {
  uint32_t number;
  const char* value;
};
struct CodepointRange {
  uint32_t first;
  uint32_t last;
};

#include "worker/text/html_entities.inc"

using EntityMap = absl::flat_hash_map<std::string_view, std::string_view>;

// html.entities.html5, keyed by name without '&' (legacy names appear both
// with and without their ';').
const EntityMap& Html5Map() {
  static const EntityMap* const map = [] {
    auto* m = new EntityMap();
    m->reserve(std::size(kHtml5Entities));
    for (const NamedEntity& e : kHtml5Entities) m->emplace(e.name, e.value);
    return m;
  }();
  return *map;
}

// ftfy's HTML_ENTITIES without the leading '&': the html5 names that end in
// ';' plus the upper-case variants.
const EntityMap& FtfyMap() {
  static const EntityMap* const map = [] {
    auto* m = new EntityMap();
    for (const NamedEntity& e : kHtml5Entities) {
      std::string_view name(e.name);
      if (!name.empty() && name.back() == ';') m->emplace(name, e.value);
    }
    for (const NamedEntity& e : kFtfyUpperEntities) m->emplace(e.name, e.value);
    return m;
  }();
  return *map;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsHexDigit(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
bool IsAsciiAlnum(char c) { return IsDigit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
int HexValue(char c) {
  if (IsDigit(c)) return c - '0';
  return (c | 0x20) - 'a' + 10;
}

// Any number above U+10FFFF is treated alike (U+FFFD), so parsing saturates
// here instead of overflowing on "&#99999999999999999999;".
constexpr uint32_t kSaturated = 0x110000;

// What html.unescape's _replace_charref returns for a numeric reference.
void AppendNumericReplacement(uint32_t number, std::string* out) {
  for (const NumericEntity& e : kInvalidCharrefs) {
    if (e.number == number) {
      out->append(e.value);
      return;
    }
  }
  if ((number >= 0xD800 && number <= 0xDFFF) || number > 0x10FFFF) {
    out->append("\xEF\xBF\xBD");
    return;
  }
  for (const CodepointRange& r : kInvalidCodepoints) {
    if (number >= r.first && number <= r.last) return;
  }
  AppendUtf8(number, out);
}

// Tries the charref pattern at `amp` (text[amp] == '&'). On a match, appends
// the replacement and returns the end of the match; otherwise returns 0.
size_t ReplaceCharref(std::string_view text, size_t amp, std::string* out) {
  const size_t n = text.size();
  size_t i = amp + 1;
  if (i < n && text[i] == '#') {
    size_t j = i + 1;
    uint32_t number = 0;
    if (j < n && IsDigit(text[j])) {
      for (; j < n && IsDigit(text[j]); ++j) {
        number = std::min<uint64_t>(uint64_t{number} * 10 + (text[j] - '0'), kSaturated);
      }
    } else if (j + 1 < n && (text[j] == 'x' || text[j] == 'X') && IsHexDigit(text[j + 1])) {
      for (++j; j < n && IsHexDigit(text[j]); ++j) {
        number = std::min<uint64_t>(uint64_t{number} * 16 + HexValue(text[j]), kSaturated);
      }
    } else {
      return 0;  // "&#" without digits; the name alternative cannot start with '#'.
    }
    if (j < n && text[j] == ';') ++j;
    AppendNumericReplacement(number, out);
    return j;
  }

  // A name: up to 32 characters (code points, not bytes) outside "\t\n\f <&#;".
  size_t k = i;
  int count = 0;
  while (k < n && count < 32) {
    const char c = text[k];
    if (c == '\t' || c == '\n' || c == '\f' || c == ' ' || c == '<' || c == '&' || c == '#' ||
        c == ';') {
      break;
    }
    NextCodePoint(text, &k);
    ++count;
  }
  if (count == 0) return 0;
  if (k < n && text[k] == ';') ++k;
  const std::string_view name = text.substr(i, k - i);
  const EntityMap& html5 = Html5Map();
  if (auto it = html5.find(name); it != html5.end()) {
    out->append(it->second);
    return k;
  }
  // Longest known prefix of 2..len-1 characters. Names are ASCII, so a byte
  // prefix can only match where it is also a character prefix.
  for (size_t x = name.size() - 1; x >= 2; --x) {
    if (auto it = html5.find(name.substr(0, x)); it != html5.end()) {
      out->append(it->second);
      out->append(name.substr(x));
      return k;
    }
  }
  out->append(text.substr(amp, k - amp));
  return k;
}

}  // namespace

std::string HtmlUnescape(std::string_view text) {
  if (text.find('&') == std::string_view::npos) return std::string(text);
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t amp = text.find('&', pos);
    if (amp == std::string_view::npos) {
      out.append(text.substr(pos));
      break;
    }
    out.append(text.substr(pos, amp - pos));
    const size_t end = ReplaceCharref(text, amp, &out);
    if (end == 0) {
      out.push_back('&');
      pos = amp + 1;
    } else {
      pos = end;
    }
  }
  return out;
}

std::string FtfyUnescapeHtml(std::string_view text) {
  if (text.find('&') == std::string_view::npos) return std::string(text);
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  const size_t n = text.size();
  while (pos < n) {
    const size_t amp = text.find('&', pos);
    if (amp == std::string_view::npos) {
      out.append(text.substr(pos));
      break;
    }
    out.append(text.substr(pos, amp - pos));
    const bool numeric = amp + 1 < n && text[amp + 1] == '#';
    const size_t start = amp + 1 + (numeric ? 1 : 0);
    size_t k = start;
    while (k < n && IsAsciiAlnum(text[k])) ++k;
    const size_t run = k - start;
    if (run < 1 || run > 24 || k >= n || text[k] != ';') {
      out.push_back('&');
      pos = amp + 1;
      continue;
    }
    const std::string_view entity = text.substr(amp, k + 1 - amp);
    if (numeric) {
      // ftfy keeps the reference when html.unescape did not consume its ';'.
      std::string decoded = HtmlUnescape(entity);
      if (decoded.find(';') == std::string::npos) {
        out.append(decoded);
      } else {
        out.append(entity);
      }
    } else {
      const EntityMap& ftfy = FtfyMap();
      auto it = ftfy.find(entity.substr(1));
      out.append(it != ftfy.end() ? it->second : entity);
    }
    pos = k + 1;
  }
  return out;
}

}  // namespace camoe
