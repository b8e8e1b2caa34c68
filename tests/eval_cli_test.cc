// `camoe metrics`, run in-process through RunCli, plus the binary once.
#include <gtest/gtest.h>

#include <sstream>

#include "common/file_util.h"
#include "tests/test_paths.h"
#include "tests/cli_runner.h"

namespace camoe {
namespace {

using Result = testing::CliResult;
using testing::RunCamoe;

class MetricsCommandTest : public ::testing::Test {
 protected:
  void SetUp() override { dir_ = testing::TempDir("eval_cli"); }

  std::string Write(const std::string& name, const std::string& text) {
    const std::string path = dir_ + "/" + name;
    EXPECT_TRUE(WriteFileAtomically(path, text).ok());
    return path;
  }

  static Result Run(const std::vector<std::string>& args) {
    std::vector<std::string> full = {"metrics"};
    full.insert(full.end(), args.begin(), args.end());
    return RunCamoe(full);
  }

  std::string dir_;
};

TEST_F(MetricsCommandTest, PrintsPlainAndDslMetricsAsJson) {
  // The multi-caption example of eval_ranking_test, default (strict) rule:
  // t2v [2 1 1 1]: t1 [4 4] is not beaten by the tie; v2t [1 1]: video 1's best
  // own 4 is only tied; t2v DSL [2 1 1 1]; v2t DSL [1 1] (text 0's 3.810 ties).
  const std::string sim = Write("sim.csv", "# 4 texts x 2 videos\n1,4\n4,4\n1,4\n3,4\n");
  Result r = Run({"--sim=" + sim, "--captions_per_video=2"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "{\n"
            "  \"t2v\": {\"r1\": 75, \"r5\": 100, \"r10\": 100, \"mdr\": 1, \"mnr\": 1.25, "
            "\"queries\": 4},\n"
            "  \"v2t\": {\"r1\": 100, \"r5\": 100, \"r10\": 100, \"mdr\": 1, \"mnr\": 1, "
            "\"queries\": 2},\n"
            "  \"t2v_dsl\": {\"r1\": 75, \"r5\": 100, \"r10\": 100, \"mdr\": 1, \"mnr\": 1.25, "
            "\"queries\": 4},\n"
            "  \"v2t_dsl\": {\"r1\": 100, \"r5\": 100, \"r10\": 100, \"mdr\": 1, \"mnr\": 1, "
            "\"queries\": 2}\n"
            "}\n");
  EXPECT_EQ(r.err, "");
}

TEST_F(MetricsCommandTest, TiesAgainstCountsTiesAheadOfTheTrueItem) {
  // The same file with ties counted against the query: t2v [2 2 1 1],
  // v2t [1 3], t2v DSL [2 1 1 1], v2t DSL [1 2].
  const std::string sim = Write("sim.csv", "# 4 texts x 2 videos\n1,4\n4,4\n1,4\n3,4\n");
  Result r = Run({"--sim=" + sim, "--captions_per_video=2", "--ties=against"});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(r.out,
            "{\n"
            "  \"t2v\": {\"r1\": 50, \"r5\": 100, \"r10\": 100, \"mdr\": 1.5, \"mnr\": 1.5, "
            "\"queries\": 4},\n"
            "  \"v2t\": {\"r1\": 50, \"r5\": 100, \"r10\": 100, \"mdr\": 2, \"mnr\": 2, "
            "\"queries\": 2},\n"
            "  \"t2v_dsl\": {\"r1\": 75, \"r5\": 100, \"r10\": 100, \"mdr\": 1, \"mnr\": 1.25, "
            "\"queries\": 4},\n"
            "  \"v2t_dsl\": {\"r1\": 50, \"r5\": 100, \"r10\": 100, \"mdr\": 1.5, \"mnr\": 1.5, "
            "\"queries\": 2}\n"
            "}\n");
  EXPECT_EQ(r.err, "");
}

TEST_F(MetricsCommandTest, AddsQbNormWithABank) {
  // The QB-Norm example of eval_ranking_test with one caption per video:
  // plain t2v [1 2 3], QB-Norm [2 1 3] with two queries activated.
  const std::string sim = Write("sim.csv", ".8,.7,.1\n.75,.7,.2\n.95,.97,.9\n");
  const std::string bank = Write("bank.csv", ".9,.1,.2\n.8,.3,.1\n.1,.2,.7\n");
  Result r = Run({"--sim=" + sim, "--bank_sim=" + bank});
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("\"t2v_qbnorm\": {\"r1\": 33.333333333333336, \"r5\": 100, \"r10\": 100, "
                       "\"mdr\": 2, \"mnr\": 2, \"queries\": 3}"),
            std::string::npos)
      << r.out;
  EXPECT_NE(r.out.find("\"qbnorm_activated\": 2"), std::string::npos) << r.out;
}

TEST_F(MetricsCommandTest, RejectsRowsThatAreNotKTimesTheVideos) {
  const std::string sim = Write("sim.csv", "1,2\n3,4\n5,6\n");
  Result r = Run({"--sim=" + sim, "--captions_per_video=2"});
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("has 3 text rows and 2 video columns, but --captions_per_video=2 needs "
                       "2 x 2 = 4 rows"),
            std::string::npos)
      << r.err;
}

TEST_F(MetricsCommandTest, NamesFileAndLineOfBadCsv) {
  Result ragged = Run({"--sim=" + Write("ragged.csv", "1,2\n3\n")});
  EXPECT_EQ(ragged.code, 1);
  EXPECT_NE(ragged.err.find("ragged.csv:2: row has 1 values but line 1 has 2"), std::string::npos)
      << ragged.err;
  Result text = Run({"--sim=" + Write("text.csv", "1,0\n0,x\n")});
  EXPECT_EQ(text.code, 1);
  EXPECT_NE(text.err.find("text.csv:2: column 2: 'x' is not a number"), std::string::npos)
      << text.err;
  Result nan = Run({"--sim=" + Write("nan.csv", "1,0\n0,NaN\n")});
  EXPECT_EQ(nan.code, 1);
  EXPECT_NE(nan.err.find("nan.csv:2: column 2 is 'NaN'"), std::string::npos) << nan.err;
}

TEST_F(MetricsCommandTest, MissingFilesFailAndBadFlagsAreUsageErrors) {
  Result missing = Run({"--sim=" + dir_ + "/none.csv"});
  EXPECT_EQ(missing.code, 1);
  EXPECT_NE(missing.err.find("none.csv"), std::string::npos) << missing.err;
  EXPECT_EQ(Run({}).code, 2);
  const std::string sim = Write("sim.csv", "1,0\n0,1\n");
  EXPECT_EQ(Run({"--sim=" + sim, "--captions_per_video=0"}).code, 2);
  EXPECT_EQ(Run({"--sim=" + sim, "--temperature=0"}).code, 2);
  EXPECT_EQ(Run({"--sim=" + sim, "--captions_per_vidoe=2"}).code, 2);
  Result bank = Run({"--sim=" + sim, "--bank_sim=" + Write("bank.csv", "1,0,0\n")});
  EXPECT_EQ(bank.code, 1);
  EXPECT_NE(bank.err.find("bank.csv has 3 columns"), std::string::npos) << bank.err;
}

TEST_F(MetricsCommandTest, BinaryPrintsJsonAndExitsWithTheStatus) {
  const std::string camoe = testing::BinaryDir() + "/camoe";
  if (!FileExists(camoe)) GTEST_SKIP() << camoe << " is not built";
  const std::string sim = Write("sim.csv", "1,0\n0,1\n");
  std::string out;
  EXPECT_EQ(testing::RunCommand(camoe + " metrics --sim=" + sim, &out), 0);
  EXPECT_NE(out.find("\"t2v\": {\"r1\": 100"), std::string::npos) << out;
  EXPECT_EQ(
      testing::RunCommand(camoe + " metrics --sim=" + dir_ + "/none.csv 2>/dev/null", nullptr), 1);
}

}  // namespace
}  // namespace camoe
