#include "worker/text/pretokenizer.h"

#include <unicode/uchar.h>

#include <array>
#include <cstdint>

#include "worker/text/utf8.h"

namespace camoe {
namespace {

// Which of the pattern's character classes a code point belongs to.
enum class CharClass : uint8_t {
  kSkip,    // Matches no alternative: regex's \s (and U+0345, see below).
  kLetter,  // \p{L}: Lu Ll Lt Lm Lo.
  kNumber,  // \p{N}: Nd Nl No.
  kOther,   // [^\s\p{L}\p{N}]: punctuation, symbols, controls, unassigned...
};

constexpr std::array<CharClass, 128> MakeAsciiClasses() {
  std::array<CharClass, 128> classes{};
  for (int c = 0; c < 128; ++c) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
      classes[c] = CharClass::kLetter;
    } else if (c >= '0' && c <= '9') {
      classes[c] = CharClass::kNumber;
    } else if (c == ' ' || (c >= 0x09 && c <= 0x0D)) {
      classes[c] = CharClass::kSkip;
    } else {
      classes[c] = CharClass::kOther;
    }
  }
  return classes;
}
constexpr std::array<CharClass, 128> kAsciiClasses = MakeAsciiClasses();

// Note [IGNORECASE]
// OpenAI compiles the pattern with re.IGNORECASE (regex module). On
// lower-cased text that changes two things, both checked against the regex
// module over every code point:
//  * U+0345 COMBINING GREEK YPOGEGRAMMENI (Mn) case-folds to iota, a letter,
//    so the negated class [^\s\p{L}\p{N}] no longer matches it, while
//    [\p{L}] does not either: no alternative matches and it is skipped like
//    whitespace.
//  * The literal 's' also matches U+017F LATIN SMALL LETTER LONG S, so "'ſ"
//    is a contraction and "<|ſtartoftext|>" is one word (which, not being the
//    special token itself, is BPE-encoded as ordinary text).
// Upper-case ASCII letters also match their lower-case literals; they cannot
// survive CleanCaption, but SplitWords accepts them for the same reason.
CharClass Classify(char32_t c) {
  if (c < 0x80) return kAsciiClasses[c];
  if (IsRegexSpace(c) || c == 0x0345) return CharClass::kSkip;
  switch (u_charType(static_cast<UChar32>(c))) {
    case U_UPPERCASE_LETTER:
    case U_LOWERCASE_LETTER:
    case U_TITLECASE_LETTER:
    case U_MODIFIER_LETTER:
    case U_OTHER_LETTER:
      return CharClass::kLetter;
    case U_DECIMAL_DIGIT_NUMBER:
    case U_LETTER_NUMBER:
    case U_OTHER_NUMBER:
      return CharClass::kNumber;
    default:
      return CharClass::kOther;
  }
}

// Whether text character `c` matches pattern character `literal` (ASCII)
// under IGNORECASE; see Note [IGNORECASE].
bool MatchesIgnoringCase(char32_t c, char literal) {
  if (c == static_cast<unsigned char>(literal)) return true;
  if (literal >= 'a' && literal <= 'z') {
    if (c == static_cast<char32_t>(literal - 'a' + 'A')) return true;
    if (literal == 's' && c == 0x017F) return true;
  }
  return false;
}

// If `literal` matches at `pos`, sets `*end` past the match.
bool MatchLiteral(std::string_view text, size_t pos, std::string_view literal, size_t* end) {
  for (char expected : literal) {
    if (pos >= text.size()) return false;
    if (!MatchesIgnoringCase(NextCodePoint(text, &pos), expected)) return false;
  }
  *end = pos;
  return true;
}

constexpr std::string_view kSpecialTokens[] = {"<|startoftext|>", "<|endoftext|>"};
constexpr std::string_view kContractions[] = {"'s", "'t", "'re", "'ve", "'m", "'ll", "'d"};

}  // namespace

std::vector<std::string_view> SplitWords(std::string_view text) {
  std::vector<std::string_view> words;
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = 0;
    // The literal alternatives come first in the pattern, so they win over
    // the character classes at the same position.
    bool matched = false;
    if (text[pos] == '<') {
      for (std::string_view special : kSpecialTokens) {
        if (MatchLiteral(text, pos, special, &end)) {
          matched = true;
          break;
        }
      }
    } else if (text[pos] == '\'') {
      for (std::string_view contraction : kContractions) {
        if (MatchLiteral(text, pos, contraction, &end)) {
          matched = true;
          break;
        }
      }
    }
    if (!matched) {
      end = pos;
      const CharClass first = Classify(NextCodePoint(text, &end));
      if (first == CharClass::kSkip) {
        pos = end;
        continue;
      }
      // Letters and "other" characters form maximal runs; numbers are single
      // characters ("2024" is four words).
      if (first != CharClass::kNumber) {
        while (end < text.size()) {
          size_t next = end;
          if (Classify(NextCodePoint(text, &next)) != first) break;
          end = next;
        }
      }
    }
    words.push_back(text.substr(pos, end - pos));
    pos = end;
  }
  return words;
}

}  // namespace camoe
