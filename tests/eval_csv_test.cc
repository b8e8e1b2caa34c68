// The similarity CSV reader (worker/eval/similarity_csv.h): accepted layouts
// and errors that name file:line.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "common/file_util.h"
#include "tests/test_paths.h"
#include "worker/eval/similarity_csv.h"

namespace camoe {
namespace {

std::vector<float> Values(const DenseSimilarity& s) {
  return std::vector<float>(s.data(), s.data() + s.rows() * s.cols());
}

std::string ErrorOf(const std::string& text) {
  absl::StatusOr<DenseSimilarity> s = ParseSimilarityCsv(text, "sim.csv");
  return s.ok() ? "" : std::string(s.status().message());
}

TEST(SimilarityCsvTest, ParsesRowsOfCommaSeparatedNumbers) {
  absl::StatusOr<DenseSimilarity> s = ParseSimilarityCsv("0.5,-1,2e-3\n+3, 4.25 ,1E2\n", "sim.csv");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->rows(), 2);
  EXPECT_EQ(s->cols(), 3);
  EXPECT_EQ(Values(*s), (std::vector<float>{0.5f, -1.0f, 2e-3f, 3.0f, 4.25f, 100.0f}));
}

TEST(SimilarityCsvTest, SkipsCommentsBlankLinesAndCarriageReturns) {
  absl::StatusOr<DenseSimilarity> s =
      ParseSimilarityCsv("# texts x videos\r\n\r\n1,2\r\n   \n3,4\r\n# end", "sim.csv");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(Values(*s), (std::vector<float>{1, 2, 3, 4}));
}

TEST(SimilarityCsvTest, ReadsFloatsExactlyFromNinedigitText) {
  // "%.9g" round-trips every float.
  absl::StatusOr<DenseSimilarity> s = ParseSimilarityCsv("0.100000001,0.333333343", "x");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(Values(*s), (std::vector<float>{0.1f, 1.0f / 3.0f}));
}

TEST(SimilarityCsvTest, RejectsRaggedRowsNamingBothLines) {
  EXPECT_EQ(ErrorOf("# header\n1,2,3\n4,5\n"),
            "sim.csv:3: row has 2 values but line 2 has 3; every row needs one value per video");
}

TEST(SimilarityCsvTest, RejectsNonNumericCellsNamingLineAndColumn) {
  std::string error = ErrorOf("1,2\n3,abc\n");
  EXPECT_EQ(error, "sim.csv:2: column 2: 'abc' is not a number");
  EXPECT_NE(ErrorOf("video_0,video_1\n1,2\n")
                .find("sim.csv:1: column 1: 'video_0' is not a "
                      "number (a header line must start with '#')"),
            std::string::npos);
  EXPECT_EQ(ErrorOf("1,2\n3,4x\n"), "sim.csv:2: column 2: '4x' is not a number");
  EXPECT_EQ(ErrorOf("1,2\n3,\n"),
            "sim.csv:2: column 2 is empty (two commas in a row, or a trailing comma?)");
}

TEST(SimilarityCsvTest, RejectsNonFiniteAndOverflowingValues) {
  EXPECT_NE(ErrorOf("1,nan\n").find("sim.csv:1: column 2 is 'nan'; similarities must be finite"),
            std::string::npos);
  EXPECT_NE(ErrorOf("1,2\n-inf,3\n").find("sim.csv:2: column 1 is '-inf'"), std::string::npos);
  EXPECT_EQ(ErrorOf("1e39,0\n"), "sim.csv:1: column 1: '1e39' does not fit a float");
  // Underflow is harmless: it reads as zero.
  absl::StatusOr<DenseSimilarity> tiny = ParseSimilarityCsv("1e-60,1", "x");
  ASSERT_TRUE(tiny.ok()) << tiny.status();
  EXPECT_EQ(Values(*tiny)[0], 0.0f);
}

TEST(SimilarityCsvTest, RejectsAFileWithoutNumbers) {
  EXPECT_NE(ErrorOf("# only a comment\n\n").find("sim.csv: no rows of numbers"), std::string::npos);
}

TEST(SimilarityCsvTest, ReadsFilesAndNamesMissingOnes) {
  const std::string dir = testing::TempDir("eval_csv");
  ASSERT_TRUE(WriteFileAtomically(dir + "/s.csv", "1,2\n3,4\n").ok());
  absl::StatusOr<DenseSimilarity> s = ReadSimilarityCsv(dir + "/s.csv");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->rows(), 2);
  absl::Status missing = ReadSimilarityCsv(dir + "/missing.csv").status();
  EXPECT_EQ(missing.code(), absl::StatusCode::kNotFound);
  EXPECT_NE(missing.message().find("missing.csv"), absl::string_view::npos);
}

}  // namespace
}  // namespace camoe
