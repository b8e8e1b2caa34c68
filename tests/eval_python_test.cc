// Retrieval metrics against the independent numpy reference
// tests/reference/eval_ref.py on random matrices written as CSV. Ranks must
// match exactly; metrics within 1e-9 (numpy divides in another order).
// Skips when Debian's python3-numpy is missing.
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <map>
#include <random>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "common/file_util.h"
#include "common/strings.h"
#include "tests/test_paths.h"
#include "worker/eval/retrieval_eval.h"
#include "worker/eval/similarity_csv.h"

namespace camoe {
namespace {

constexpr double kMetricTolerance = 1e-9;

// Normal noise (sd 3) plus `signal` on text i's own video i / k, rounded to
// multiples of `step` when it is positive.
std::string RandomCsv(int64_t rows, int64_t cols, int64_t k, float signal, uint32_t seed,
                      float step) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 3.0f);
  std::string csv = "# random similarities\n";
  for (int64_t i = 0; i < rows; ++i) {
    for (int64_t j = 0; j < cols; ++j) {
      float x = normal(rng) + (j == i / k ? signal : 0.0f);
      if (step > 0) x = std::round(x / step) * step;
      csv += (j ? "," : "") + FormatFloat(x);
    }
    csv += "\n";
  }
  return csv;
}

struct Reference {
  std::map<std::string, std::vector<int64_t>> ranks;
  std::map<std::string, std::vector<double>> metrics;
  int64_t activated = -1;
};

Reference ParseReference(const std::string& text) {
  Reference ref;
  for (absl::string_view line : absl::StrSplit(text, '\n', absl::SkipEmpty())) {
    std::vector<std::string> parts = absl::StrSplit(line, ' ');
    if (parts[0] == "activated") {
      EXPECT_TRUE(absl::SimpleAtoi(parts[1], &ref.activated));
      continue;
    }
    for (size_t p = 2; p < parts.size(); ++p) {
      double value;
      EXPECT_TRUE(absl::SimpleAtod(parts[p], &value)) << parts[p];
      if (parts[0] == "ranks") ref.ranks[parts[1]].push_back(static_cast<int64_t>(value));
      if (parts[0] == "metrics") ref.metrics[parts[1]].push_back(value);
    }
  }
  return ref;
}

void ExpectMetricsNear(const RetrievalMetrics& m, const std::vector<double>& ref,
                       const std::string& name) {
  ASSERT_EQ(ref.size(), 6u) << name;
  EXPECT_NEAR(m.r1, ref[0], kMetricTolerance) << name;
  EXPECT_NEAR(m.r5, ref[1], kMetricTolerance) << name;
  EXPECT_NEAR(m.r10, ref[2], kMetricTolerance) << name;
  EXPECT_NEAR(m.mdr, ref[3], kMetricTolerance) << name;
  EXPECT_NEAR(m.mnr, ref[4], kMetricTolerance) << name;
  EXPECT_EQ(m.queries, static_cast<int64_t>(ref[5])) << name;
}

class EvalPythonTest : public ::testing::TestWithParam<float> {
 protected:
  void SetUp() override {
    if (!testing::PythonHasModules("numpy")) {
      GTEST_SKIP() << testing::Python() << " cannot import numpy (Debian: python3-numpy)";
    }
  }
};

TEST_P(EvalPythonTest, RanksAndMetricsMatchNumpy) {
  const float step = GetParam();  // 0: continuous scores; else a grid with ties
  const int64_t videos = 40, k = 3;
  const std::string dir = testing::TempDir("eval_python");
  const std::string sim_path = dir + "/sim.csv", bank_path = dir + "/bank.csv";
  ASSERT_TRUE(WriteFileAtomically(sim_path, RandomCsv(videos * k, videos, k, 4.0f, 1, step)).ok());
  // A small bank, so that the activation set leaves some queries raw.
  ASSERT_TRUE(WriteFileAtomically(bank_path, RandomCsv(12, videos, 1, 0.0f, 2, step)).ok());

  for (auto [temperature, qb_k] : {std::pair<double, int64_t>{1.0, 1}, {5.0, 2}}) {
    std::string out;
    const std::string command =
        absl::StrCat(testing::Python(), " ", testing::SourceDir(),
                     "/tests/reference/eval_ref.py --sim ", sim_path, " --bank ", bank_path,
                     " --captions_per_video ", k, " --temperature ", temperature, " --k ", qb_k);
    ASSERT_EQ(testing::RunCommand(command, &out), 0) << command;
    Reference ref = ParseReference(out);

    DenseSimilarity sim = ReadSimilarityCsv(sim_path).value();
    DenseSimilarity bank = ReadSimilarityCsv(bank_path).value();
    EvalOptions options;
    options.block_rows = 17;
    options.block_cols = 9;
    options.dsl_temperature = temperature;
    options.qb_norm.k = qb_k;
    RetrievalRanks ranks =
        ComputeRanks(sim, ConsecutiveCaptions(videos, k), options, &bank).value();
    EXPECT_EQ(ranks.t2v, ref.ranks["t2v"]);
    EXPECT_EQ(ranks.v2t, ref.ranks["v2t"]);
    EXPECT_EQ(ranks.t2v_dsl, ref.ranks["t2v_dsl"]) << "T = " << temperature;
    EXPECT_EQ(ranks.v2t_dsl, ref.ranks["v2t_dsl"]) << "T = " << temperature;
    EXPECT_EQ(ranks.t2v_qbnorm, ref.ranks["t2v_qbnorm"]);

    RetrievalReport report = ReportFromRanks(ranks);
    ExpectMetricsNear(report.t2v, ref.metrics["t2v"], "t2v");
    ExpectMetricsNear(report.v2t, ref.metrics["v2t"], "v2t");
    ExpectMetricsNear(*report.t2v_dsl, ref.metrics["t2v_dsl"], "t2v_dsl");
    ExpectMetricsNear(*report.v2t_dsl, ref.metrics["v2t_dsl"], "v2t_dsl");
    ExpectMetricsNear(*report.t2v_qbnorm, ref.metrics["t2v_qbnorm"], "t2v_qbnorm");
    EXPECT_EQ(report.qbnorm_activated, ref.activated);
    std::cout << "numpy reference agrees (T = " << temperature << ", QB-Norm k = " << qb_k
              << " activating " << ref.activated << " of " << videos * k << " queries, grid "
              << step << "): ranks exactly, metrics within " << kMetricTolerance << "\n";
  }
}

INSTANTIATE_TEST_SUITE_P(ContinuousAndTiedScores, EvalPythonTest, ::testing::Values(0.0f, 0.5f));

}  // namespace
}  // namespace camoe
