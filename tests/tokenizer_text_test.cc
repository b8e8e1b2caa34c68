// The tokenizer's text stages on their own: UTF-8 handling, the ftfy subset
// (FixText), the full cleaning (CleanCaption) and the pre-tokeniser
// (SplitWords). Expected values were printed by the Python reference
// (tests/reference/clip_tokenizer_ref.py: fix_text, clean, WORD_RE.findall).
#include <string>
#include <string_view>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "worker/text/pretokenizer.h"
#include "worker/text/text_clean.h"
#include "worker/text/utf8.h"

namespace camoe {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;

std::string Clean(std::string_view text) {
  absl::StatusOr<std::string> cleaned = CleanCaption(text);
  EXPECT_TRUE(cleaned.ok()) << cleaned.status();
  return cleaned.ok() ? *cleaned : "<error>";
}

std::vector<std::string> Split(std::string_view text) {
  std::vector<std::string> words;
  for (std::string_view word : SplitWords(text)) words.emplace_back(word);
  return words;
}

TEST(Utf8Test, RejectsMalformedSequencesWithTheirOffset) {
  EXPECT_TRUE(ValidateUtf8("caf\xC3\xA9 \xF0\x9F\x98\x80").ok());
  for (const auto& [bad, offset] : std::vector<std::pair<std::string, std::string>>{
           {"ab\xFF"
            "cd",
            "offset 2"},
           {"\xC3", "offset 0"},              // Truncated.
           {"x\xC0\xAF", "offset 1"},         // Overlong '/'.
           {"xy\xED\xA0\x80", "offset 2"},    // Surrogate U+D800.
           {"\xF4\x90\x80\x80", "offset 0"},  // Above U+10FFFF.
           {"ok\xE2\x82", "offset 2"}}) {
    absl::Status status = ValidateUtf8(bad);
    EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(status.message()), HasSubstr(offset));
  }
}

TEST(Utf8Test, LossyDecodeReplacesEachMaximalBadSubsequence) {
  // Python: b'a\xe2\x82b\xff\xf0\x9f\x98'.decode('utf-8', 'replace').
  EXPECT_EQ(DecodeUtf8Lossy("a\xE2\x82"
                            "b\xFF\xF0\x9F\x98"),
            "a\xEF\xBF\xBD"
            "b\xEF\xBF\xBD\xEF\xBF\xBD");
  EXPECT_EQ(DecodeUtf8Lossy("caf\xC3\xA9"), "caf\xC3\xA9");
}

TEST(FixTextTest, RepeatsUnescapingUntilStable) { EXPECT_EQ(FixText("&amp;amp;amp;"), "&"); }

TEST(FixTextTest, StopsUnescapingFromTheFirstLineWithLessThan) {
  EXPECT_EQ(FixText("<b>&amp;</b>"), "<b>&amp;</b>");
  EXPECT_EQ(FixText("&amp;\n<\n&amp;"), "&\n<\n&amp;");
}

TEST(FixTextTest, ReadsC1ControlsAsWindows1252) {
  EXPECT_EQ(FixText("\xC2\x93quoted\xC2\x94"), "\"quoted\"");
}

TEST(FixTextTest, NormalisesLineBreaksAndKeepsTagCharacters) {
  EXPECT_EQ(FixText("a\r\nb"), "a\nb");
  EXPECT_EQ(FixText("\xF3\xA0\x81\xA7 tag"), "\xF3\xA0\x81\xA7 tag");  // U+E0067.
}

TEST(CleanCaptionTest, CollapsesWhitespaceAndLowerCases) {
  EXPECT_EQ(Clean("  A  Dog\t\tRuns\n"), "a dog runs");
  EXPECT_EQ(Clean("a\xC2\xA0"
                  "b\xE2\x80\x89"
                  "c"),
            "a b c");
  EXPECT_EQ(Clean("a\r\nb\rc"), "a b c");
  EXPECT_EQ(Clean(""), "");
}

TEST(CleanCaptionTest, UnescapesHtmlThroughFtfyAndTwiceMore) {
  EXPECT_EQ(Clean("Tom &amp;amp; Jerry"), "tom & jerry");
  EXPECT_EQ(Clean("&amp;amp;amp;amp;"), "&");
  // With '<' ftfy does not unescape, so only html.unescape's two rounds run.
  EXPECT_EQ(Clean("a < b &amp;amp;amp;"), "a < b &amp;");
}

TEST(CleanCaptionTest, LowerCasesWithFullUnicodeRules) {
  EXPECT_EQ(Clean("\xCE\x9F\xCE\x94\xCE\x9F\xCE\xA3"),
            "\xCE\xBF\xCE\xB4\xCE\xBF\xCF\x82");            // Final sigma.
  EXPECT_EQ(Clean("\xC4\xB0stanbul"), "i\xCC\x87stanbul");  // U+0130 -> i + U+0307.
}

TEST(CleanCaptionTest, AppliesTheFtfySubset) {
  EXPECT_EQ(Clean("cafe\xCC\x81"), "caf\xC3\xA9");  // NFC.
  EXPECT_EQ(Clean("\xEF\xAC\x81sh"), "fish");       // Ligature.
  EXPECT_EQ(Clean("\xEF\xBC\xA8\xEF\xBD\x85\xEF\xBD\x8C\xEF\xBD\x8C\xEF\xBD\x8F\xE3\x80\x80"
                  "\xEF\xBC\xB7\xEF\xBD\x8F\xEF\xBD\x92\xEF\xBD\x8C\xEF\xBD\x84"),
            "hello world");  // Fullwidth.
  EXPECT_EQ(Clean("\xE2\x80\x9CHi\xE2\x80\x9D \xE2\x80\x98x\xE2\x80\x99"), "\"hi\" 'x'");
  EXPECT_EQ(Clean("\xC5\x89"), "'n");  // U+0149 -> U+02BC n -> ' n.
  EXPECT_EQ(Clean(std::string("\0nul\x1B[31mred\x1B[0m", 17)), "nulred");
  EXPECT_EQ(Clean("a\xC2\x85"
                  "b"),
            "a\xE2\x80\xA6"
            "b");  // NEL is C1: an ellipsis.
  EXPECT_EQ(Clean("\xEF\xBB\xBF"
                  "bom"),
            "bom");
}

TEST(CleanCaptionTest, RejectsInvalidUtf8) {
  absl::StatusOr<std::string> cleaned = CleanCaption(
      "ab\xFF"
      "cd");
  EXPECT_EQ(cleaned.status().code(), absl::StatusCode::kInvalidArgument);
  EXPECT_THAT(std::string(cleaned.status().message()), HasSubstr("byte offset 2"));
}

TEST(SplitWordsTest, SplitsContractionsLettersNumbersAndPunctuation) {
  EXPECT_THAT(Split("don't stop"), ElementsAre("don", "'t", "stop"));
  EXPECT_THAT(Split("it's"), ElementsAre("it", "'s"));
  EXPECT_THAT(Split("''s"), ElementsAre("''", "s"));
  EXPECT_THAT(Split("2024"), ElementsAre("2", "0", "2", "4"));
  EXPECT_THAT(Split("hello,world!!"), ElementsAre("hello", ",", "world", "!!"));
  EXPECT_THAT(Split("caf\xC3\xA9 \xE4\xB8\x80\xE4\xB8\xAA"),
              ElementsAre("caf\xC3\xA9", "\xE4\xB8\x80\xE4\xB8\xAA"));
  EXPECT_THAT(Split("\xC2\xBD\xC2\xBD"), ElementsAre("\xC2\xBD", "\xC2\xBD"));  // No: one per word.
  EXPECT_THAT(Split("x\xE2\x80\x8By"), ElementsAre("x", "\xE2\x80\x8B", "y"));
  EXPECT_THAT(Split(" \t\n"), IsEmpty());
}

TEST(SplitWordsTest, MatchesSpecialTokensOnlyWhereAWordCanStart) {
  EXPECT_THAT(Split("a <|endoftext|> b"), ElementsAre("a", "<|endoftext|>", "b"));
  EXPECT_THAT(Split("!<|endoftext|>"), ElementsAre("!<|", "endoftext", "|>"));
}

TEST(SplitWordsTest, FollowsIgnoreCaseQuirks) {
  // See Note [IGNORECASE] in pretokenizer.cc.
  EXPECT_THAT(Split("<|\xC5\xBFtartoftext|>"), ElementsAre("<|\xC5\xBFtartoftext|>"));
  EXPECT_THAT(Split("'\xC5\xBF"), ElementsAre("'\xC5\xBF"));
  EXPECT_THAT(Split("a\xCD\x85"
                    "b"),
              ElementsAre("a", "b"));  // U+0345 is skipped.
}

}  // namespace
}  // namespace camoe
