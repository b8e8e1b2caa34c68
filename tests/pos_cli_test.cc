// `camoe pos`, run in process through RunCli: output format, exit statuses,
// --help and the tag cache file.
#include <sstream>
#include <string>
#include <vector>

#include "common/file_util.h"
#include "gtest/gtest.h"
#include "tests/test_paths.h"
#include "tests/cli_runner.h"

namespace camoe {
namespace {

using Result = testing::CliResult;
using testing::RunCamoe;

class PosCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    vocab_ = testing::BpeVocabPath();
    if (vocab_.empty()) GTEST_SKIP() << "the BPE merges are missing: run scripts/fetch-assets.sh";
  }
  std::string vocab_;
};

TEST_F(PosCliTest, PrintsOneLineOfTaggedWordsPerText) {
  const Result r = RunCamoe({"pos", "--vocab=" + vocab_, "a man is playing guitar",
                             "People dancing at a party.", "the man's dog"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "a/OTHER man/NOUN is/OTHER playing/VERB guitar/NOUN\n"
            "people/NOUN dancing/VERB at/OTHER a/OTHER party/NOUN ./OTHER\n"
            "the/OTHER man/NOUN 's/OTHER dog/NOUN\n");
  EXPECT_EQ(r.err, "");
}

TEST_F(PosCliTest, AnEmptyTextGivesAnEmptyLine) {
  const Result r = RunCamoe({"pos", "--vocab=" + vocab_, "", "a dog"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out, "\na/OTHER dog/NOUN\n");
}

TEST_F(PosCliTest, TagsAFileOnSeveralThreadsInOrder) {
  const std::string input = testing::TempDir("pos_cli_input") + "/captions.txt";
  ASSERT_TRUE(WriteFileAtomically(input, "a dog barks\npeople dancing\na dog barks\n").ok());
  const Result r =
      RunCamoe({"pos", "--vocab=" + vocab_, "--input=" + input, "--threads=2", "--stats", "a cat"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "a/OTHER cat/NOUN\n"
            "a/OTHER dog/NOUN barks/VERB\n"
            "people/NOUN dancing/VERB\n"
            "a/OTHER dog/NOUN barks/VERB\n");
  EXPECT_NE(r.err.find("camoe pos: 4 texts"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("re-parsed with the lead-in"), std::string::npos) << r.err;

  const Result missing = RunCamoe({"pos", "--vocab=" + vocab_, "--input=" + input + ".none"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_EQ(RunCamoe({"pos", "--threads=0", "a dog"}).code, 2);
}

TEST_F(PosCliTest, WritesAndReusesATagCache) {
  const std::string cache = testing::TempDir("pos_cli") + "/tags.tsv";
  const Result first = RunCamoe({"pos", "--vocab=" + vocab_, "--cache=" + cache, "a cat sleeps"});
  ASSERT_EQ(first.code, 0) << first.err;
  auto data = ReadFile(cache);
  ASSERT_TRUE(data.ok());
  EXPECT_NE(data->find("camoe-pos-tags\t1\t"), std::string::npos);
  EXPECT_NE(data->find("a cat sleeps\t-\t2:5:N 6:12:V\n"), std::string::npos) << *data;
  const Result second = RunCamoe({"pos", "--vocab=" + vocab_, "--cache=" + cache, "a cat sleeps"});
  ASSERT_EQ(second.code, 0) << second.err;
  EXPECT_EQ(second.out, first.out);

  // A cache from another tagger version is reported and rewritten.
  ASSERT_TRUE(WriteFileAtomically(cache, "camoe-pos-tags\t1\tolder\n").ok());
  const Result stale = RunCamoe({"pos", "--vocab=" + vocab_, "--cache=" + cache, "a cat sleeps"});
  ASSERT_EQ(stale.code, 0) << stale.err;
  EXPECT_NE(stale.err.find("another tagger version"), std::string::npos) << stale.err;
  EXPECT_NE(ReadFile(cache)->find("a cat sleeps"), std::string::npos);

  ASSERT_TRUE(WriteFileAtomically(cache, "garbage\n").ok());
  const Result damaged = RunCamoe({"pos", "--vocab=" + vocab_, "--cache=" + cache, "a cat"});
  EXPECT_EQ(damaged.code, 1);
  EXPECT_NE(damaged.err.find("delete it"), std::string::npos) << damaged.err;
}

TEST(PosCliUsageTest, HelpAndUsageErrors) {
  const Result help = RunCamoe({"pos", "--help"});
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.out.find("word/NOUN"), std::string::npos) << help.out;
  EXPECT_NE(help.out.find("--dictionary"), std::string::npos);

  const Result no_text = RunCamoe({"pos"});
  EXPECT_EQ(no_text.code, 2);
  EXPECT_NE(no_text.err.find("no TEXT"), std::string::npos);

  const Result bad_flag = RunCamoe({"pos", "--dictionry=en", "a dog"});
  EXPECT_EQ(bad_flag.code, 2);
  EXPECT_NE(bad_flag.err.find("dictionary"), std::string::npos) << bad_flag.err;

  const Result bad_limit = RunCamoe({"pos", "--max_parse_seconds=0", "a dog"});
  EXPECT_EQ(bad_limit.code, 2);

  const Result listed = RunCamoe({"--help"});
  EXPECT_NE(listed.out.find("pos "), std::string::npos);
}

TEST_F(PosCliTest, AMissingDictionaryFailsWithAHint) {
  const Result r =
      RunCamoe({"pos", "--vocab=" + vocab_,
                "--dictionary=" + testing::TempDir("pos_cli_dict") + "/none", "a dog"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("camoe pos: cannot open the link-grammar dictionary"), std::string::npos)
      << r.err;
}

}  // namespace
}  // namespace camoe
