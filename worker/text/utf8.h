// UTF-8 decoding and encoding and the whitespace sets of Python's str and
// regex modules, for the tokenizer's text pipeline. Stateless, thread-safe
// functions; no ICU here, so this header stays cheap to include.
#ifndef CAMOE_WORKER_TEXT_UTF8_H_
#define CAMOE_WORKER_TEXT_UTF8_H_

#include <cstddef>
#include <string>
#include <string_view>

#include "absl/status/status.h"

namespace camoe {

// OK if `text` is well-formed UTF-8 as Python's strict decoder defines it (no
// overlong forms, surrogates or code points above U+10FFFF); otherwise
// InvalidArgument naming the byte offset of the first bad sequence.
absl::Status ValidateUtf8(std::string_view text);

// The code point starting at `*pos` in well-formed UTF-8 `text`; advances
// `*pos` past it. REQUIRES: ValidateUtf8(text).ok() and *pos < text.size().
inline char32_t NextCodePoint(std::string_view text, size_t* pos) {
  const auto byte = [&](size_t i) { return static_cast<unsigned char>(text[i]); };
  const unsigned char lead = byte(*pos);
  if (lead < 0x80) {
    ++*pos;
    return lead;
  }
  if (lead < 0xE0) {
    char32_t c = ((lead & 0x1Fu) << 6) | (byte(*pos + 1) & 0x3Fu);
    *pos += 2;
    return c;
  }
  if (lead < 0xF0) {
    char32_t c =
        ((lead & 0x0Fu) << 12) | ((byte(*pos + 1) & 0x3Fu) << 6) | (byte(*pos + 2) & 0x3Fu);
    *pos += 3;
    return c;
  }
  char32_t c = ((lead & 0x07u) << 18) | ((byte(*pos + 1) & 0x3Fu) << 12) |
               ((byte(*pos + 2) & 0x3Fu) << 6) | (byte(*pos + 3) & 0x3Fu);
  *pos += 4;
  return c;
}

// Appends the UTF-8 encoding of `c`. REQUIRES: c <= 0x10FFFF, not a surrogate.
inline void AppendUtf8(char32_t c, std::string* out) {
  if (c < 0x80) {
    out->push_back(static_cast<char>(c));
  } else if (c < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (c >> 6)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else if (c < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (c >> 12)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (c >> 18)));
    out->push_back(static_cast<char>(0x80 | ((c >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((c >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (c & 0x3F)));
  }
}

// `bytes` decoded like Python's bytes.decode("utf-8", errors="replace"): each
// maximal ill-formed subsequence becomes one U+FFFD.
std::string DecodeUtf8Lossy(std::string_view bytes);

// The number of code points in well-formed UTF-8 `text`.
size_t CountCodePoints(std::string_view text);

// regex's `\s` on str (the Unicode White_Space property): U+0009..U+000D,
// U+0020, U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029, U+202F,
// U+205F, U+3000.
inline bool IsRegexSpace(char32_t c) {
  if (c <= 0x20) return c == 0x20 || (c >= 0x09 && c <= 0x0D);
  if (c < 0x85) return false;
  return c == 0x85 || c == 0xA0 || c == 0x1680 || (c >= 0x2000 && c <= 0x200A) || c == 0x2028 ||
         c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

// Python's str.isspace(): IsRegexSpace plus U+001C..U+001F, which Python
// counts as whitespace (bidi class B/S) but regex's `\s` does not.
inline bool IsPythonSpace(char32_t c) { return IsRegexSpace(c) || (c >= 0x1C && c <= 0x1F); }

}  // namespace camoe

#endif  // CAMOE_WORKER_TEXT_UTF8_H_
