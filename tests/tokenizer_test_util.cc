#include "tests/tokenizer_test_util.h"

#include <cstdlib>
#include <string_view>

#include "common/file_util.h"
#include "gtest/gtest.h"
#include "tests/test_paths.h"
#include "worker/text/utf8.h"

namespace camoe {
namespace {

std::vector<std::string> ReadLines(const std::string& relative) {
  absl::StatusOr<std::string> text = ReadFile(testing::SourceDir() + "/" + relative);
  EXPECT_TRUE(text.ok()) << text.status();
  std::vector<std::string> lines;
  if (!text.ok()) return lines;
  size_t pos = 0;
  while (pos < text->size()) {
    size_t end = text->find('\n', pos);
    if (end == std::string::npos) end = text->size();
    if (end > pos) lines.push_back(text->substr(pos, end - pos));
    pos = end + 1;
  }
  return lines;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Reads \uXXXX at `*pos` (just after the backslash-u). -1 if malformed.
long ReadHex4(std::string_view s, size_t* pos) {
  if (*pos + 4 > s.size()) return -1;
  long value = 0;
  for (int i = 0; i < 4; ++i) {
    const int digit = HexDigit(s[*pos + i]);
    if (digit < 0) return -1;
    value = value * 16 + digit;
  }
  *pos += 4;
  return value;
}

// A JSON string literal (the whole line) as UTF-8; false if malformed.
bool ParseJsonString(std::string_view s, std::string* out) {
  if (s.size() < 2 || s.front() != '"' || s.back() != '"') return false;
  for (size_t pos = 1; pos + 1 < s.size();) {
    const char c = s[pos++];
    if (c != '\\') {
      out->push_back(c);
      continue;
    }
    if (pos + 1 >= s.size()) return false;
    const char escape = s[pos++];
    switch (escape) {
      case '"':
        out->push_back('"');
        break;
      case '\\':
        out->push_back('\\');
        break;
      case '/':
        out->push_back('/');
        break;
      case 'b':
        out->push_back('\b');
        break;
      case 'f':
        out->push_back('\f');
        break;
      case 'n':
        out->push_back('\n');
        break;
      case 'r':
        out->push_back('\r');
        break;
      case 't':
        out->push_back('\t');
        break;
      case 'u': {
        long code = ReadHex4(s, &pos);
        if (code < 0) return false;
        if (code >= 0xD800 && code <= 0xDBFF) {  // A surrogate pair.
          if (pos + 2 > s.size() || s[pos] != '\\' || s[pos + 1] != 'u') return false;
          pos += 2;
          const long low = ReadHex4(s, &pos);
          if (low < 0xDC00 || low > 0xDFFF) return false;
          code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
        } else if (code >= 0xDC00 && code <= 0xDFFF) {
          return false;
        }
        AppendUtf8(static_cast<char32_t>(code), out);
        break;
      }
      default:
        return false;
    }
  }
  return true;
}

bool ParseIntArray(std::string_view s, std::vector<int32_t>* out) {
  if (s.size() < 2 || s.front() != '[' || s.back() != ']') return false;
  std::string body(s.substr(1, s.size() - 2));
  const char* p = body.c_str();
  while (*p != '\0') {
    char* end = nullptr;
    const long value = std::strtol(p, &end, 10);
    if (end == p) return false;
    out->push_back(static_cast<int32_t>(value));
    p = end;
    while (*p == ' ' || *p == ',') ++p;
  }
  return true;
}

}  // namespace

std::string MissingVocabMessage() {
  return "CLIP's BPE merges (bpe_simple_vocab_16e6.txt.gz) were not found: run "
         "scripts/fetch-assets.sh " +
         testing::BinaryDir() + "/assets (or into your CAMOE_ASSET_DIR)";
}

std::vector<std::string> ReadCaptions() {
  std::vector<std::string> captions;
  for (const std::string& line : ReadLines(kCaptionsFile)) {
    std::string caption;
    if (!ParseJsonString(line, &caption)) {
      ADD_FAILURE() << kCaptionsFile << ": not a JSON string: " << line;
      break;
    }
    captions.push_back(std::move(caption));
  }
  return captions;
}

std::vector<std::vector<int32_t>> ReadGoldenIds() {
  std::vector<std::vector<int32_t>> golden;
  for (const std::string& line : ReadLines(kGoldenFile)) {
    std::vector<int32_t> ids;
    if (!ParseIntArray(line, &ids)) {
      ADD_FAILURE() << kGoldenFile << ": not a JSON integer array: " << line;
      break;
    }
    golden.push_back(std::move(ids));
  }
  return golden;
}

std::string IdsToString(const std::vector<int32_t>& ids) {
  std::string out = "[";
  for (size_t i = 0; i < ids.size(); ++i) out += (i ? ", " : "") + std::to_string(ids[i]);
  return out + "]";
}

}  // namespace camoe
