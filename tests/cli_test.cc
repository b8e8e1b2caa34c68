#include "common/cli.h"

#include <gtest/gtest.h>

namespace camoe {
namespace {

class FlagSetTest : public ::testing::Test {
 protected:
  FlagSetTest() : flags_("cmd [flags] ARGS...", "Does a thing.") {
    flags_.AddString("vocab", &vocab_, "vocab path");
    flags_.AddInt("max_words", &max_words_, "sequence length");
    flags_.AddDouble("scale", &scale_, "a scale");
    flags_.AddBool("pad", &pad_, "pad to max_words");
  }
  FlagSet flags_;
  std::string vocab_ = "default.txt";
  int64_t max_words_ = 77;
  double scale_ = 1.0;
  bool pad_ = false;
  std::vector<std::string> positional_;
};

TEST_F(FlagSetTest, ParsesEqualsAndSpaceSeparatedValues) {
  ASSERT_TRUE(flags_.Parse({"--vocab=a.txt", "--max_words", "32", "hello", "--scale=0.5"},
                           &positional_).ok());
  EXPECT_EQ(vocab_, "a.txt");
  EXPECT_EQ(max_words_, 32);
  EXPECT_DOUBLE_EQ(scale_, 0.5);
  EXPECT_EQ(positional_, std::vector<std::string>({"hello"}));
}

TEST_F(FlagSetTest, BoolFlagsTakeNoValueAndCanBeNegated) {
  ASSERT_TRUE(flags_.Parse({"--pad"}, &positional_).ok());
  EXPECT_TRUE(pad_);
  ASSERT_TRUE(flags_.Parse({"--nopad"}, &positional_).ok());
  EXPECT_FALSE(pad_);
  ASSERT_TRUE(flags_.Parse({"--pad=true"}, &positional_).ok());
  EXPECT_TRUE(pad_);
}

TEST_F(FlagSetTest, DoubleDashEndsFlags) {
  ASSERT_TRUE(flags_.Parse({"--", "--pad", "-x"}, &positional_).ok());
  EXPECT_FALSE(pad_);
  EXPECT_EQ(positional_, std::vector<std::string>({"--pad", "-x"}));
}

TEST_F(FlagSetTest, UnknownFlagSuggestsClosest) {
  absl::Status status = flags_.Parse({"--max_word=3"}, &positional_);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("unknown flag --max_word"), std::string::npos);
  EXPECT_NE(status.message().find("did you mean --max_words"), std::string::npos);
}

TEST_F(FlagSetTest, BadIntegerNamesTheFlag) {
  absl::Status status = flags_.Parse({"--max_words=ten"}, &positional_);
  EXPECT_EQ(status.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_NE(status.message().find("--max_words=ten: expected an integer"), std::string::npos);
}

TEST_F(FlagSetTest, MissingValueIsAnError) {
  EXPECT_FALSE(flags_.Parse({"--vocab"}, &positional_).ok());
}

TEST_F(FlagSetTest, HelpListsFlagsWithDefaults) {
  ASSERT_TRUE(flags_.Parse({"--help", "--bogus"}, &positional_).ok());
  EXPECT_TRUE(flags_.help_requested());
  std::string help = flags_.Help("camoe");
  EXPECT_NE(help.find("usage: camoe cmd [flags] ARGS..."), std::string::npos);
  EXPECT_NE(help.find("--max_words"), std::string::npos);
  EXPECT_NE(help.find("(default: 77)"), std::string::npos);
  EXPECT_NE(help.find("(default: default.txt)"), std::string::npos);
}

}  // namespace
}  // namespace camoe
