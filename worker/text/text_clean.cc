#include "worker/text/text_clean.h"

#include <unicode/bytestream.h>
#include <unicode/casemap.h>
#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <utility>

#include "common/status_macros.h"
#include "worker/text/html_unescape.h"
#include "worker/text/utf8.h"

namespace camoe {
namespace {

// ftfy.fix_text handles text in segments of at most this many code points
// (TextFixerConfig.max_decode_length).
constexpr size_t kMaxSegmentCodePoints = 1000000;

// ftfy repeats its fixers until the text stops changing. Every fixer here
// reaches a fixed point within a few rounds (unescaping only shrinks the
// text); the bound only guards against an unforeseen cycle.
constexpr int kMaxFixRounds = 64;

// fix_c1_controls: C1 control U+0080 + i becomes kSloppyWindows1252C1[i],
// its windows-1252 reading ("sloppy": the five bytes windows-1252 leaves
// undefined stay as they are).
constexpr char32_t kSloppyWindows1252C1[32] = {
    0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
    0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
    0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
};

// ICU's normalisation and case data are compiled into libicudata; failing to
// load them means a broken installation, not bad input.
[[noreturn]] void IcuFatal(const char* what, UErrorCode code) {
  std::fprintf(stderr, "camoe: ICU %s failed: %s (is libicu installed correctly?)\n", what,
               u_errorName(code));
  std::abort();
}

const icu::Normalizer2& Nfc() {
  static const icu::Normalizer2* const nfc = [] {
    UErrorCode code = U_ZERO_ERROR;
    const icu::Normalizer2* n = icu::Normalizer2::getNFCInstance(code);
    if (U_FAILURE(code)) IcuFatal("NFC data", code);
    return n;
  }();
  return *nfc;
}

// fix_character_width: U+FF01..U+FFEF become their NFKC form where it
// differs (fullwidth ASCII, halfwidth katakana and Hangul), U+3000 a space.
constexpr char32_t kWidthFirst = 0xFF01;
constexpr char32_t kWidthLast = 0xFFEF;
using WidthMap = std::array<std::string, kWidthLast - kWidthFirst + 1>;

const WidthMap& Widths() {
  static const WidthMap* const map = [] {
    UErrorCode code = U_ZERO_ERROR;
    const icu::Normalizer2* nfkc = icu::Normalizer2::getNFKCInstance(code);
    if (U_FAILURE(code)) IcuFatal("NFKC data", code);
    auto* m = new WidthMap();
    for (char32_t c = kWidthFirst; c <= kWidthLast; ++c) {
      icu::UnicodeString normalized =
          nfkc->normalize(icu::UnicodeString(static_cast<UChar32>(c)), code);
      if (U_FAILURE(code)) IcuFatal("NFKC normalisation", code);
      if (normalized != icu::UnicodeString(static_cast<UChar32>(c))) {
        normalized.toUTF8String((*m)[c - kWidthFirst]);
      }
    }
    return m;
  }();
  return *map;
}

// fix_latin_ligatures: ftfy's table (Latin typographic ligatures and the
// legacy digraph code points, but not ones like U+00E6 that are letters).
struct LigatureEntry {
  char32_t code;
  const char* letters;
};
// clang-format off
constexpr LigatureEntry kLigatures[] = {
    {0x0132, "IJ"}, {0x0133, "ij"},
    {0x0149, "\xCA\xBCn"},  // U+02BC n; uncurl_quotes then straightens the U+02BC.
    {0x01C4, "D\xC5\xBD"}, {0x01C5, "D\xC5\xBE"}, {0x01C6, "d\xC5\xBE"},
    {0x01C7, "LJ"}, {0x01C8, "Lj"}, {0x01C9, "lj"},
    {0x01CA, "NJ"}, {0x01CB, "Nj"}, {0x01CC, "nj"},
    {0x01F1, "DZ"}, {0x01F2, "Dz"}, {0x01F3, "dz"},
    {0xFB00, "ff"}, {0xFB01, "fi"}, {0xFB02, "fl"}, {0xFB03, "ffi"}, {0xFB04, "ffl"},
    {0xFB05, "\xC5\xBFt"},  // Long s + t.
    {0xFB06, "st"},
};
// clang-format on

// The letters of ligature `c`, or nullptr if it is not one.
const char* Ligature(char32_t c) {
  if (c < 0x0132 || (c > 0x01F3 && c < 0xFB00) || c > 0xFB06) return nullptr;
  for (const LigatureEntry& entry : kLigatures) {
    if (entry.code == c) return entry.letters;
  }
  return nullptr;
}

// remove_control_chars: controls that are never meant to be in text. Tab,
// line feed, form feed and carriage return stay (line breaks were already
// normalised), as do bidi controls; Unicode tag characters stay too, since
// ftfy 6 keeps them for emoji tag sequences.
bool IsFtfyControl(char32_t c) {
  return c <= 0x08 || c == 0x0B || (c >= 0x0E && c <= 0x1F) || c == 0x7F ||
         (c >= 0x206A && c <= 0x206F) || c == 0xFEFF || (c >= 0xFFF9 && c <= 0xFFFC);
}

// uncurl_quotes and fix_line_breaks (for all but CR, which needs context),
// then optionally remove_control_chars, for one character.
void EmitFixed(char32_t c, bool remove_controls, std::string* out) {
  if (c == 0x02BC || (c >= 0x2018 && c <= 0x201B)) {
    c = '\'';
  } else if (c >= 0x201C && c <= 0x201F) {
    c = '"';
  } else if (c == 0x2028 || c == 0x2029 || c == 0x85) {
    c = '\n';
  }
  if (remove_controls && IsFtfyControl(c)) return;
  AppendUtf8(c, out);
}

void EmitAllFixed(std::string_view chars, bool remove_controls, std::string* out) {
  for (size_t i = 0; i < chars.size();) EmitFixed(NextCodePoint(chars, &i), remove_controls, out);
}

// The per-character fixers, in ftfy's order: fix_c1_controls,
// fix_latin_ligatures, fix_character_width, uncurl_quotes, fix_line_breaks
// and, when the text has no terminal escapes to remove first,
// remove_control_chars. Composing per-character maps like this is the same as
// running each over the whole text, because none of them looks at neighbours
// (CR LF is the one exception, handled here) or produces a CR or LF.
std::string MapCharacters(std::string_view text, bool remove_controls) {
  std::string out;
  out.reserve(text.size() + 8);
  size_t pos = 0;
  while (pos < text.size()) {
    const unsigned char byte = static_cast<unsigned char>(text[pos]);
    if (byte >= 0x20 && byte < 0x7F) {  // No fixer touches printable ASCII.
      out.push_back(static_cast<char>(byte));
      ++pos;
      continue;
    }
    char32_t c = NextCodePoint(text, &pos);
    if (c == '\r') {
      out.push_back('\n');
      if (pos < text.size() && text[pos] == '\n') ++pos;
      continue;
    }
    if (c >= 0x80 && c <= 0x9F) c = kSloppyWindows1252C1[c - 0x80];
    if (const char* letters = Ligature(c); letters != nullptr) {
      EmitAllFixed(letters, remove_controls, &out);
      continue;
    }
    if (c == 0x3000) {
      out.push_back(' ');
      continue;
    }
    if (c >= kWidthFirst && c <= kWidthLast && !Widths()[c - kWidthFirst].empty()) {
      EmitAllFixed(Widths()[c - kWidthFirst], remove_controls, &out);
      continue;
    }
    EmitFixed(c, remove_controls, &out);
  }
  return out;
}

bool IsAsciiLetter(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// remove_terminal_escapes: ftfy's `\033\[((?:\d|;)*)([a-zA-Z])`, where `\d`
// is any Unicode decimal digit (Python's re on str).
std::string RemoveTerminalEscapes(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t esc = text.find('\x1B', pos);
    if (esc == std::string_view::npos) {
      out.append(text.substr(pos));
      break;
    }
    out.append(text.substr(pos, esc - pos));
    if (esc + 1 < text.size() && text[esc + 1] == '[') {
      size_t k = esc + 2;
      while (k < text.size()) {
        size_t next = k;
        const char32_t c = NextCodePoint(text, &next);
        if (c != ';' && u_charType(static_cast<UChar32>(c)) != U_DECIMAL_DIGIT_NUMBER) break;
        k = next;
      }
      if (k < text.size() && IsAsciiLetter(text[k])) {
        pos = k + 1;
        continue;
      }
    }
    out.push_back('\x1B');
    pos = esc + 1;
  }
  return out;
}

std::string RemoveControlChars(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (size_t pos = 0; pos < text.size();) {
    const char32_t c = NextCodePoint(text, &pos);
    if (!IsFtfyControl(c)) AppendUtf8(c, &out);
  }
  return out;
}

bool IsAscii(std::string_view text) {
  for (char c : text) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

std::string NormalizeNfc(std::string text) {
  if (IsAscii(text)) return text;
  const icu::Normalizer2& nfc = Nfc();
  UErrorCode code = U_ZERO_ERROR;
  const icu::StringPiece piece(text.data(), static_cast<int32_t>(text.size()));
  if (nfc.isNormalizedUTF8(piece, code) && U_SUCCESS(code)) return text;
  std::string out;
  icu::StringByteSink<std::string> sink(&out, static_cast<int32_t>(text.size()));
  code = U_ZERO_ERROR;
  nfc.normalizeUTF8(0, piece, sink, nullptr, code);
  if (U_FAILURE(code)) IcuFatal("NFC normalisation", code);
  return out;
}

// One round of ftfy's fix_and_explain loop body.
std::string FixRound(std::string_view text, bool unescape_html) {
  std::string fixed = unescape_html ? FtfyUnescapeHtml(text) : std::string(text);
  if (fixed.find('\x1B') == std::string::npos) {
    fixed = MapCharacters(fixed, /*remove_controls=*/true);
  } else {
    // Terminal escapes must go before remove_control_chars strips their ESC.
    fixed = RemoveControlChars(RemoveTerminalEscapes(MapCharacters(fixed, false)));
  }
  return NormalizeNfc(std::move(fixed));
}

std::string FixSegment(std::string_view segment, bool unescape_html) {
  std::string text(segment);
  for (int round = 0; round < kMaxFixRounds; ++round) {
    std::string fixed = FixRound(text, unescape_html);
    if (fixed == text) break;
    text = std::move(fixed);
  }
  return text;
}

// Whether FixText would leave `text` as it is: printable ASCII, tabs, line
// and form feeds, and no '&' that unescaping could act on.
bool NothingToFix(std::string_view text) {
  for (char c : text) {
    const unsigned char byte = static_cast<unsigned char>(c);
    if ((byte < 0x20 && c != '\t' && c != '\n' && c != '\f') || byte >= 0x7F || c == '&') {
      return false;
    }
  }
  return true;
}

// Python's strip(), re.sub(r'\s+', ' ', ...) with regex's `\s`, strip() again.
// The second strip has nothing left to do: the ends are non-space after the
// first one and collapsing never puts a space at an end.
std::string CollapseWhitespace(std::string_view text) {
  size_t begin = text.size();
  size_t end = 0;
  for (size_t pos = 0; pos < text.size();) {
    const size_t start = pos;
    if (!IsPythonSpace(NextCodePoint(text, &pos))) {
      if (begin == text.size()) begin = start;
      end = pos;
    }
  }
  std::string out;
  if (begin >= end) return out;
  out.reserve(end - begin);
  bool in_space = false;
  for (size_t pos = begin; pos < end;) {
    const size_t start = pos;
    if (IsRegexSpace(NextCodePoint(text, &pos))) {
      if (!in_space) out.push_back(' ');
      in_space = true;
    } else {
      out.append(text.substr(start, pos - start));
      in_space = false;
    }
  }
  return out;
}

// Python's str.lower(): full case mapping, including multi-character results
// (U+0130 -> "i" U+0307) and the final-sigma rule, never language-specific
// (ICU's root locale "", not the process locale).
absl::StatusOr<std::string> LowerCase(std::string text) {
  if (IsAscii(text)) {
    for (char& c : text) {
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    }
    return text;
  }
  std::string out;
  icu::StringByteSink<std::string> sink(&out, static_cast<int32_t>(text.size()));
  UErrorCode code = U_ZERO_ERROR;
  icu::CaseMap::utf8ToLower("", 0, icu::StringPiece(text.data(), static_cast<int32_t>(text.size())),
                            sink, nullptr, code);
  if (U_FAILURE(code)) {
    return absl::InternalError(std::string("ICU lower-casing failed: ") + u_errorName(code));
  }
  return out;
}

}  // namespace

std::string FixText(std::string_view text) {
  if (NothingToFix(text)) return std::string(text);
  std::string out;
  out.reserve(text.size());
  bool unescape_html = true;
  size_t pos = 0;
  while (pos < text.size()) {
    // ftfy fixes line by line (each segment keeps its '\n'), cutting lines
    // longer than max_decode_length code points.
    const size_t newline = text.find('\n', pos);
    size_t end = newline == std::string_view::npos ? text.size() : newline + 1;
    if (end - pos > kMaxSegmentCodePoints) {
      size_t cut = pos;
      for (size_t n = 0; n < kMaxSegmentCodePoints && cut < end; ++n) NextCodePoint(text, &cut);
      end = cut;
    }
    const std::string_view segment = text.substr(pos, end - pos);
    // Once a segment contains '<' the text may be real HTML, so ftfy stops
    // unescaping for that segment and every later one.
    if (unescape_html && segment.find('<') != std::string_view::npos) unescape_html = false;
    out.append(FixSegment(segment, unescape_html));
    pos = end;
  }
  return out;
}

absl::StatusOr<std::string> CleanCaption(std::string_view text) {
  CAMOE_RETURN_IF_ERROR(ValidateUtf8(text));
  const std::string fixed = FixText(text);
  const std::string unescaped = HtmlUnescape(HtmlUnescape(fixed));
  return LowerCase(CollapseWhitespace(unescaped));
}

}  // namespace camoe
