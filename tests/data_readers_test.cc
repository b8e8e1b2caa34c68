// The JSON and delimited-text readers under the annotation loaders.
#include <string>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "worker/data/csv_reader.h"
#include "worker/data/json_reader.h"

namespace camoe::data {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(JsonReaderTest, ParsesNestedValuesInFileOrder) {
  auto value = ParseJson(R"({"b": [1, -2.5e1, true, null], "a": {"x": "y"}, "b": 3})", "t.json");
  ASSERT_TRUE(value.ok()) << value.status();
  ASSERT_TRUE(value->is_object());
  ASSERT_EQ(value->object().size(), 3u);
  EXPECT_EQ(value->object()[0].first, "b");
  EXPECT_EQ(value->object()[1].first, "a");
  const JsonValue* b = value->Find("b");  // the first of two "b" members
  ASSERT_NE(b, nullptr);
  ASSERT_TRUE(b->is_array());
  EXPECT_EQ(b->array()[0].number(), 1);
  EXPECT_EQ(b->array()[1].number(), -25);
  EXPECT_TRUE(b->array()[2].bool_value());
  EXPECT_TRUE(b->array()[3].is_null());
  EXPECT_EQ(value->Find("a")->Find("x")->string(), "y");
  EXPECT_EQ(value->Find("missing"), nullptr);
}

TEST(JsonReaderTest, DecodesEscapesIncludingSurrogatePairs) {
  auto value = ParseJson(R"(["pi\u00f1ata", "\ud83d\ude00", "a\"b\\c\/d\n\t"])", "t.json");
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_EQ(value->array()[0].string(), "pi\xC3\xB1" "ata");
  EXPECT_EQ(value->array()[1].string(), "\xF0\x9F\x98\x80");
  EXPECT_EQ(value->array()[2].string(), "a\"b\\c/d\n\t");
}

TEST(JsonReaderTest, RemembersTheLineOfEachValue) {
  auto value = ParseJson("{\n  \"a\": 1,\n\n  \"b\": [\n 2]}", "t.json", 10);
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_EQ(value->line(), 10);
  EXPECT_EQ(value->Find("a")->line(), 11);
  EXPECT_EQ(value->Find("b")->line(), 13);
  EXPECT_EQ(value->Find("b")->array()[0].line(), 14);
}

TEST(JsonReaderTest, SyntaxErrorsNameFileLineAndColumn) {
  struct Case {
    std::string text;
    std::string expected;
  };
  for (const Case& c : std::vector<Case>{
           {"{\"a\": 1,\n \"b\" 2}", "t.json:2:6: expected ':' after \"b\""},
           {"[1, 2,]", "t.json:1:7: trailing comma"},
           {"{'a': 1}", "t.json:1:2: unexpected '''; expected a member name in double quotes"},
           {"[\"abc", "t.json:1:6: unterminated string"},
           {"[\"a\nb\"]", "a line ends inside it"},
           {"[01]", "t.json:1:3: unexpected '1' in an array"},
           {"[1.]", "digits after '.'"},
           {"[\"\\ud800\"]", "unpaired UTF-16 surrogate"},
           {"[\"\\x\"]", "invalid escape \\x"},
           {"{} []", "t.json:1:4: unexpected '[' after the end of the JSON value"},
           {"", "the document is empty"},
           {"[1, 2", "a ']' is missing"},
           {"nul", "expected a JSON value"},
       }) {
    auto value = ParseJson(c.text, "t.json");
    ASSERT_FALSE(value.ok()) << c.text;
    EXPECT_EQ(value.status().code(), absl::StatusCode::kInvalidArgument);
    EXPECT_THAT(std::string(value.status().message()), HasSubstr(c.expected)) << c.text;
  }
}

TEST(JsonReaderTest, RejectsHostileNestingWithoutCrashing) {
  std::string deep(100000, '[');
  auto value = ParseJson(deep, "deep.json");
  ASSERT_FALSE(value.ok());
  EXPECT_THAT(std::string(value.status().message()), HasSubstr("nesting deeper than"));
}

TEST(JsonReaderTest, SkipsByteOrderMark) {
  auto value = ParseJson("\xEF\xBB\xBF{\"a\": 1}", "bom.json");
  ASSERT_TRUE(value.ok()) << value.status();
  EXPECT_EQ(value->Find("a")->number(), 1);
}

TEST(CsvReaderTest, HandlesQuotedCommasQuotesAndLineBreaks) {
  auto rows = ParseCsv("video,caption\r\na.mp4,\"one, two\"\nb.mp4,\"say \"\"hi\"\"\nthen go\"\n\n"
                       "c.mp4,\n",
                       "t.csv");
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 4u);
  EXPECT_THAT((*rows)[0].fields, ElementsAre("video", "caption"));
  EXPECT_THAT((*rows)[1].fields, ElementsAre("a.mp4", "one, two"));
  EXPECT_THAT((*rows)[2].fields, ElementsAre("b.mp4", "say \"hi\"\nthen go"));
  EXPECT_EQ((*rows)[2].line, 3);
  EXPECT_THAT((*rows)[3].fields, ElementsAre("c.mp4", ""));
  EXPECT_EQ((*rows)[3].line, 6);  // after the two-line field and a blank line
}

TEST(CsvReaderTest, LastRowWithoutNewlineAndEmptyQuotedField) {
  auto rows = ParseCsv("a,\"\",c", "t.csv");
  ASSERT_TRUE(rows.ok()) << rows.status();
  ASSERT_EQ(rows->size(), 1u);
  EXPECT_THAT((*rows)[0].fields, ElementsAre("a", "", "c"));
}

TEST(CsvReaderTest, MalformedQuotingNamesTheLine) {
  auto unclosed = ParseCsv("a,b\nc,\"never closed\n", "t.csv");
  ASSERT_FALSE(unclosed.ok());
  EXPECT_THAT(std::string(unclosed.status().message()),
              HasSubstr("t.csv:2: a quoted field is never closed"));
  auto stray = ParseCsv("a,b\nc,d \"e\" f\n", "t.csv");
  ASSERT_FALSE(stray.ok());
  EXPECT_THAT(std::string(stray.status().message()), HasSubstr("t.csv:2: a '\"' inside an unquoted"));
  auto after = ParseCsv("\"a\"b,c\n", "t.csv");
  ASSERT_FALSE(after.ok());
  EXPECT_THAT(std::string(after.status().message()), HasSubstr("after a closing quote"));
}

TEST(CsvReaderTest, PlainTsvKeepsQuotesAndCountsLines) {
  std::vector<CsvRow> rows = ParseTsvPlain("a\tb \"c\tq\r\n\n  \nd\te\n");
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_THAT(rows[0].fields, ElementsAre("a", "b \"c", "q"));
  EXPECT_EQ(rows[1].line, 4);
  EXPECT_THAT(rows[1].fields, ElementsAre("d", "e"));
}

TEST(CsvReaderTest, ListLinesToleratesMissingFinalNewlineAndCrlf) {
  EXPECT_THAT(SplitListLines("-a_1_2\r\nb\n\n c \nd"), ElementsAre("-a_1_2", "b", "c", "d"));
}

}  // namespace
}  // namespace camoe::data
