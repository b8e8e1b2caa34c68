// Retrieval metrics from ranks (worker/eval/metrics.h), worked by hand.
#include <gtest/gtest.h>

#include "worker/eval/metrics.h"

namespace camoe {
namespace {

TEST(MetricsFromRanksTest, MedianOfOddCountIsTheMiddleRank) {
  RetrievalMetrics m = MetricsFromRanks({7, 1, 3});
  EXPECT_EQ(m.mdr, 3.0);
  EXPECT_EQ(m.mnr, 11.0 / 3.0);
  EXPECT_EQ(m.queries, 3);
}

TEST(MetricsFromRanksTest, MedianOfEvenCountIsTheMeanOfTheTwoMiddleRanks) {
  // Sorted 1 2 5 100: numpy.median gives (2 + 5) / 2.
  RetrievalMetrics m = MetricsFromRanks({100, 2, 1, 5});
  EXPECT_EQ(m.mdr, 3.5);
  EXPECT_EQ(m.mnr, 27.0);
  EXPECT_EQ(MetricsFromRanks({4, 2}).mdr, 3.0);
}

TEST(MetricsFromRanksTest, RecallCountsRanksUpToAndIncludingK) {
  // Boundaries: 1 is in R@1; 5 in R@5 but 6 not; 10 in R@10 but 11 not.
  RetrievalMetrics m = MetricsFromRanks({1, 2, 5, 6, 10, 11, 1, 3});
  EXPECT_EQ(m.r1, 100.0 * 2 / 8);
  EXPECT_EQ(m.r5, 100.0 * 5 / 8);
  EXPECT_EQ(m.r10, 100.0 * 7 / 8);
  EXPECT_EQ(m.mnr, (1 + 2 + 5 + 6 + 10 + 11 + 1 + 3) / 8.0);
  EXPECT_EQ(m.mdr, 4.0);  // sorted 1 1 2 3 5 6 10 11
}

TEST(MetricsFromRanksTest, AllFirstIsPerfect) {
  RetrievalMetrics m = MetricsFromRanks({1, 1, 1});
  EXPECT_EQ(m.r1, 100.0);
  EXPECT_EQ(m.r10, 100.0);
  EXPECT_EQ(m.mdr, 1.0);
  EXPECT_EQ(m.mnr, 1.0);
}

TEST(MetricsFromRanksTest, NoRanksGiveZeroQueries) {
  RetrievalMetrics m = MetricsFromRanks({});
  EXPECT_EQ(m.queries, 0);
  EXPECT_EQ(m.r1, 0.0);
}

TEST(RetrievalReportJsonTest, WritesPlainThenReRankedDirections) {
  RetrievalReport report;
  report.t2v = MetricsFromRanks({1, 2});
  report.v2t = MetricsFromRanks({1, 3, 3});
  std::string json = RetrievalReportJson(report, /*multiline=*/false);
  EXPECT_EQ(json,
            "{\"t2v\": {\"r1\": 50, \"r5\": 100, \"r10\": 100, \"mdr\": 1.5, \"mnr\": 1.5, "
            "\"queries\": 2}, \"v2t\": {\"r1\": 33.333333333333336, \"r5\": 100, \"r10\": 100, "
            "\"mdr\": 3, \"mnr\": 2.3333333333333335, \"queries\": 3}}");

  report.t2v_dsl = report.t2v;
  report.v2t_dsl = report.v2t;
  report.t2v_qbnorm = report.t2v;
  report.qbnorm_activated = 1;
  json = RetrievalReportJson(report);
  for (const char* key : {"\"t2v\"", "\"v2t\"", "\"t2v_dsl\"", "\"v2t_dsl\"", "\"t2v_qbnorm\"",
                          "\"qbnorm_activated\": 1"}) {
    EXPECT_NE(json.find(key), std::string::npos) << key << " missing from " << json;
  }
  EXPECT_LT(json.find("\"v2t\""), json.find("\"t2v_dsl\""));
  EXPECT_EQ(json.front(), '{');
  EXPECT_EQ(json.back(), '}');
}

}  // namespace
}  // namespace camoe
