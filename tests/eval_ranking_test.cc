// Ranks, DSL and QB-Norm re-ranking (worker/eval/retrieval_eval.h) on small
// matrices worked by hand; the expected values are derived in the comments.
#include <gtest/gtest.h>

#include <vector>

#include "worker/eval/retrieval_eval.h"

namespace camoe {
namespace {

using Ranks = std::vector<int64_t>;

DenseSimilarity Matrix(const std::vector<std::vector<float>>& rows) {
  std::vector<float> values;
  for (const auto& row : rows) values.insert(values.end(), row.begin(), row.end());
  return DenseSimilarity::Create(rows.size(), rows[0].size(), values).value();
}

EvalOptions TiesAgainst();

RetrievalRanks Rank(const SimilaritySource& sim, const std::vector<int64_t>& video_of_text,
                    EvalOptions options = TiesAgainst(), const SimilaritySource* bank = nullptr) {
  absl::StatusOr<RetrievalRanks> ranks = ComputeRanks(sim, video_of_text, options, bank);
  EXPECT_TRUE(ranks.ok()) << ranks.status();
  return ranks.ok() ? *ranks : RetrievalRanks{};
}

// The hand-worked examples below use the rule that cannot flatter (a tie is
// ahead of the true item); StrictRule* tests cover the default.
EvalOptions TiesAgainst() {
  EvalOptions options;
  options.ties_count_against = true;
  return options;
}

class RankingTest : public ::testing::Test {};

TEST_F(RankingTest, StrictRuleIsTheDefaultAndResolvesTiesForTheQuery) {
  // The specification's rank: 1 + competitors scoring strictly higher.
  //   row 0 [.9 .5 .9]: video 2 ties the true .9 but is not higher -> rank 1
  //   row 2 [.7 .6 .2]: .7 and .6 beat .2 -> rank 3
  DenseSimilarity s = Matrix({{.9f, .5f, .9f}, {.1f, .8f, .3f}, {.7f, .6f, .2f}});
  RetrievalRanks r = Rank(s, ConsecutiveCaptions(3, 1), EvalOptions());
  EXPECT_EQ(r.t2v, (Ranks{1, 1, 3}));
  EXPECT_EQ(r.v2t, (Ranks{1, 1, 3}));
  // Which is why the pessimistic rule exists: constant scores look perfect here.
  DenseSimilarity flat = Matrix({{1, 1}, {1, 1}});
  RetrievalReport report = EvaluateRetrieval(flat, ConsecutiveCaptions(2, 1), {}).value();
  EXPECT_EQ(report.t2v.r1, 100.0);
  EXPECT_EQ(report.v2t.mdr, 1.0);
}

TEST_F(RankingTest, TieWithTheTrueItemCountsAgainstTheQuery) {
  // t2v, text i -> video i:
  //   row 0 [.9 .5 .9]: video 2 ties the true .9 -> rank 2 (never 1)
  //   row 1 [.1 .8 .3]: nothing reaches .8     -> rank 1
  //   row 2 [.7 .6 .2]: .7 and .6 beat .2      -> rank 3
  // v2t, video j against its column:
  //   col 0 [.9 .1 .7]: own .9, none reach it   -> 1
  //   col 1 [.5 .8 .6]: own .8                  -> 1
  //   col 2 [.9 .3 .2]: own .2, .9 and .3 ahead -> 3
  DenseSimilarity s = Matrix({{.9f, .5f, .9f}, {.1f, .8f, .3f}, {.7f, .6f, .2f}});
  RetrievalRanks r = Rank(s, ConsecutiveCaptions(3, 1));
  EXPECT_EQ(r.t2v, (Ranks{2, 1, 3}));
  EXPECT_EQ(r.v2t, (Ranks{1, 1, 3}));
}

TEST_F(RankingTest, ConstantScoresRankLastNotFirst) {
  // A model that scores everything alike has learned nothing.
  DenseSimilarity s = Matrix({{1, 1, 1, 1}, {1, 1, 1, 1}, {1, 1, 1, 1}, {1, 1, 1, 1}});
  RetrievalReport report = EvaluateRetrieval(s, ConsecutiveCaptions(4, 1), TiesAgainst()).value();
  EXPECT_EQ(report.t2v.r1, 0.0);
  EXPECT_EQ(report.t2v.mdr, 4.0);
  EXPECT_EQ(report.v2t.mnr, 4.0);
  EXPECT_EQ(report.t2v_dsl->mdr, 4.0);
}

TEST_F(RankingTest, MultiCaptionRanksEachCaptionAndEachVideoByItsBestCaption) {
  // Two videos with three captions each: texts 0-2 -> video 0, 3-5 -> video 1.
  //   t2v: each caption against both videos; a caption ties -> rank 2.
  //     t0 [.9 .1] 1 | t1 [.2 .4] 2 | t2 [.3 .3] 2 (tie) | t3 [.5 .6] 1 |
  //     t4 [.1 .7] 1 | t5 [.8 .2] 2
  //   v2t: video 0's best own caption is t0 (.9); column 0's other texts
  //     .5 .1 .8 are below -> 1. Video 1's best own is t4 (.7); texts of video
  //     0 in column 1 are .1 .4 .3, below -> 1. Own captions (t3 .6, t5 .2)
  //     never compete.
  DenseSimilarity s =
      Matrix({{.9f, .1f}, {.2f, .4f}, {.3f, .3f}, {.5f, .6f}, {.1f, .7f}, {.8f, .2f}});
  RetrievalRanks r = Rank(s, ConsecutiveCaptions(2, 3));
  EXPECT_EQ(r.t2v, (Ranks{1, 2, 2, 1, 1, 2}));
  EXPECT_EQ(r.v2t, (Ranks{1, 1}));

  // Lower video 0's best caption to .75 and let t5 (a caption of video 1)
  // score .75 too: the tie puts t5 ahead -> v2t rank 2.
  DenseSimilarity lowered =
      Matrix({{.75f, .1f}, {.2f, .4f}, {.3f, .3f}, {.5f, .6f}, {.1f, .7f}, {.75f, .2f}});
  EXPECT_EQ(Rank(lowered, ConsecutiveCaptions(2, 3)).v2t, (Ranks{2, 1}));
}

TEST_F(RankingTest, ExplicitAssignmentNeedNotBeConsecutive) {
  // Texts 0 and 2 describe video 1, text 1 describes video 0.
  DenseSimilarity s = Matrix({{.2f, .9f}, {.8f, .1f}, {.5f, .4f}});
  RetrievalRanks r = Rank(s, {1, 0, 1});
  EXPECT_EQ(r.t2v, (Ranks{1, 1, 2}));
  // Video 0: own .8; text 0 (.2), text 2 (.5) below -> 1. Video 1: own best
  // .9 -> 1.
  EXPECT_EQ(r.v2t, (Ranks{1, 1}));
}

class DslTest : public ::testing::Test {};

TEST_F(DslTest, ReRanksWithSoftmaxOverTextsForT2vAndOverVideosForV2t) {
  // S = [[1 2 3], [2 4 2], [3 4 4]], text i -> video i.
  // Plain t2v: row 0 true 1 < 2, 3 -> 3; row 1 -> 1; row 2 true 4 ties 4 -> 2.
  // Plain v2t: col 0 own 1 < 2, 3 -> 3; col 1 own 4 tied by text 2 -> 2;
  //   col 2 own 4 -> 1.
  // t2v DSL, D = S * softmax over each column (over texts):
  //   D[2][0] = 3e^3/(e+e^2+e^3) = 1.996, D[2][1] = 4e^4/(e^2+2e^4) = 1.873,
  //   D[2][2] = 4e^4/(e^3+e^2+e^4) = 2.661: the tie is resolved, rank 1.
  //   Row 0: D = [.090 .127 .734] -> 3. Row 1: [.489 1.873 .180] -> 1.
  // v2t DSL, E = S * softmax over each row (over videos):
  //   E = [[.090 .489 1.996], [.213 3.148 .213], [.466 1.689 1.689]]
  //   col 0 own .090 -> 3; col 1 own 3.148 -> 1; col 2 own 1.689 < 1.996 -> 2.
  // Softmax along the wrong axis would give t2v [3 1 2] and v2t [3 2 1].
  DenseSimilarity s = Matrix({{1, 2, 3}, {2, 4, 2}, {3, 4, 4}});
  RetrievalRanks r = Rank(s, ConsecutiveCaptions(3, 1));
  EXPECT_EQ(r.t2v, (Ranks{3, 1, 2}));
  EXPECT_EQ(r.v2t, (Ranks{3, 2, 1}));
  EXPECT_EQ(r.t2v_dsl, (Ranks{3, 1, 1}));
  EXPECT_EQ(r.v2t_dsl, (Ranks{3, 1, 2}));
}

TEST_F(DslTest, AppliesToTheWholeTextByVideoMatrixBeforeRegrouping) {
  // S = [[1 4], [4 4], [1 4], [3 4]], texts 0,1 -> video 0, texts 2,3 -> video 1.
  // Plain t2v: [2 2 1 1] (text 1 ties). Plain v2t: video 0 best own 4 (text 1),
  //   others 1, 3 -> 1; video 1 best own 4, texts 0 and 1 tie it -> 3.
  // t2v DSL over all four texts per column: column 1 is constant, so
  //   D[.][1] = 4/4 = 1; column 0 [1 4 1 3] gives D[.][0] =
  //   [.034 2.726 .034 .752]. Ranks: t0 .034 < 1 -> 2; t1 2.726 > 1 -> 1;
  //   t2 1 > .034 -> 1; t3 1 > .752 -> 1.
  // v2t DSL over both videos per text: E rows [.047 3.810], [2 2],
  //   [.047 3.810], [.807 2.924]. Video 0 best own max(.047, 2) = 2, others
  //   .047 .807 -> 1. Video 1 best own max(3.810, 2.924) = 3.810; text 0
  //   (identical row, identical E) ties it -> 2.
  DenseSimilarity s = Matrix({{1, 4}, {4, 4}, {1, 4}, {3, 4}});
  RetrievalRanks r = Rank(s, ConsecutiveCaptions(2, 2));
  EXPECT_EQ(r.t2v, (Ranks{2, 2, 1, 1}));
  EXPECT_EQ(r.v2t, (Ranks{1, 3}));
  EXPECT_EQ(r.t2v_dsl, (Ranks{2, 1, 1, 1}));
  EXPECT_EQ(r.v2t_dsl, (Ranks{1, 2}));
}

TEST_F(DslTest, HugeTemperatureGivesThePlainRanking) {
  // softmax(S / T) -> uniform as T grows, so S * softmax ranks like S.
  std::vector<std::vector<float>> rows;
  for (int i = 0; i < 12; ++i) {
    std::vector<float> row;
    for (int j = 0; j < 4; ++j) row.push_back(static_cast<float>((i * 7 + j * 5) % 11) - 3.0f);
    rows.push_back(row);
  }
  DenseSimilarity s = Matrix(rows);
  EvalOptions options = TiesAgainst();
  options.dsl_temperature = 1e30;
  RetrievalRanks r = Rank(s, ConsecutiveCaptions(4, 3), options);
  EXPECT_EQ(r.t2v_dsl, r.t2v);
  EXPECT_EQ(r.v2t_dsl, r.v2t);
  options.dsl_temperature = 1.0;
  EXPECT_NE(Rank(s, ConsecutiveCaptions(4, 3), options).t2v_dsl, r.t2v);
}

TEST_F(DslTest, CanBeTurnedOff) {
  EvalOptions options = TiesAgainst();
  options.dsl = false;
  RetrievalReport report =
      EvaluateRetrieval(Matrix({{1, 0}, {0, 1}}), ConsecutiveCaptions(2, 1), options).value();
  EXPECT_FALSE(report.t2v_dsl.has_value());
  EXPECT_FALSE(report.v2t_dsl.has_value());
  EXPECT_EQ(report.t2v.r1, 100.0);
}

class QbNormTest : public ::testing::Test {
 protected:
  // Bank of three training captions over the three test videos. Top-1:
  // q0 -> video 0, q1 -> video 0, q2 -> video 2, so with k = 1 the activation
  // set is {0, 2}; with k = 2 it is every video.
  // beta = 20: log Z_0 = log(e^18 + e^16 + e^2) = 18.1269,
  //            log Z_1 = log(e^2 + e^6 + e^4)  = 6.1429,
  //            log Z_2 = log(e^4 + e^2 + e^14) = 14.0001.
  DenseSimilarity bank_ = Matrix({{.9f, .1f, .2f}, {.8f, .3f, .1f}, {.1f, .2f, .7f}});
  // Texts -> videos {0, 1, 2, 1}; normalised scores 20 s - log Z:
  //   t0 [.8 .7 .1]    top-1 video 0 (active): [-2.13 7.86 -12.0] -> 2 (raw 1)
  //   t1 [.75 .7 .2]   top-1 video 0 (active): [-3.13 7.86 -10.0] -> 1 (raw 2)
  //   t2 [.95 .97 .9]  top-1 video 1 (not active with k = 1): raw 3 kept,
  //                    although normalised [0.87 13.26 4.0] would give 2
  //   t3 [.2 .5 .45]   top-1 video 1 (not active): raw 1 kept
  DenseSimilarity test_ =
      Matrix({{.8f, .7f, .1f}, {.75f, .7f, .2f}, {.95f, .97f, .9f}, {.2f, .5f, .45f}});
  std::vector<int64_t> videos_ = {0, 1, 2, 1};
};

TEST_F(QbNormTest, NormalisesOnlyQueriesWhoseTopKReachesTheActivationSet) {
  RetrievalRanks r = Rank(test_, videos_, {}, &bank_);
  EXPECT_EQ(r.t2v, (Ranks{1, 2, 3, 1}));
  EXPECT_EQ(r.t2v_qbnorm, (Ranks{2, 1, 3, 1}));
  EXPECT_EQ(r.qbnorm_activated, (std::vector<uint8_t>{1, 1, 0, 0}));
  RetrievalReport report = ReportFromRanks(r);
  EXPECT_EQ(report.qbnorm_activated, 2);
  EXPECT_EQ(report.t2v_qbnorm->mnr, 7.0 / 4.0);
}

TEST_F(QbNormTest, LargerKActivatesMoreVideos) {
  EvalOptions options = TiesAgainst();
  options.qb_norm.k = 2;
  RetrievalRanks r = Rank(test_, videos_, options, &bank_);
  EXPECT_EQ(r.qbnorm_activated, (std::vector<uint8_t>{1, 1, 1, 1}));
  EXPECT_EQ(r.t2v_qbnorm, (Ranks{2, 1, 2, 1}));
}

TEST_F(QbNormTest, BankSizeUsesTheFirstBankRows) {
  // Only q0 and q1: activation set {0}; log Z = [18.127 6.018 4.127].
  //   t0 [-2.127 7.982 -2.127(-0.0000007)] -> 2; t1 [-3.13 7.98 -0.13] -> 1;
  //   t2 is not active: raw 3, although normalised [.87 13.38 13.87] gives 1.
  EvalOptions options = TiesAgainst();
  options.qb_norm.bank_size = 2;
  RetrievalRanks r = Rank(test_, videos_, options, &bank_);
  EXPECT_EQ(r.qbnorm_activated, (std::vector<uint8_t>{1, 1, 0, 0}));
  EXPECT_EQ(r.t2v_qbnorm, (Ranks{2, 1, 3, 1}));
}

TEST_F(QbNormTest, TiesAtTheKthPlaceAreAllInTheTopK) {
  // One bank query scoring videos 1 and 2 alike: both are in its top-1.
  DenseSimilarity bank = Matrix({{.1f, .5f, .5f}});
  RetrievalRanks r = Rank(test_, videos_, {}, &bank);
  // t2 and t3 have raw top-1 video 1, now active; t0 and t1 (video 0) are not.
  EXPECT_EQ(r.qbnorm_activated, (std::vector<uint8_t>{0, 0, 1, 1}));
}

class EvalValidationTest : public ::testing::Test {
 protected:
  DenseSimilarity s_ = Matrix({{1, 0}, {0, 1}});
};

TEST_F(EvalValidationTest, RejectsAVideoWithoutCaptions) {
  absl::StatusOr<RetrievalRanks> r = ComputeRanks(s_, {0, 0}, {});
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("video 1 has no caption"), absl::string_view::npos)
      << r.status();
}

TEST_F(EvalValidationTest, RejectsAssignmentsOfTheWrongLengthOrRange) {
  EXPECT_EQ(ComputeRanks(s_, {0}, {}).status().code(), absl::StatusCode::kInvalidArgument);
  absl::Status out_of_range = ComputeRanks(s_, {0, 2}, {}).status();
  EXPECT_NE(out_of_range.message().find("text 1 belongs to video 2"), absl::string_view::npos)
      << out_of_range;
}

TEST_F(EvalValidationTest, RejectsNonFiniteSimilaritiesNamingTheCell) {
  DenseSimilarity s = Matrix({{1, 0}, {std::numeric_limits<float>::quiet_NaN(), 1}});
  absl::Status status = ComputeRanks(s, {0, 1}, {}).status();
  EXPECT_NE(status.message().find("text 1 and video 0"), absl::string_view::npos) << status;
}

TEST_F(EvalValidationTest, RejectsBadOptionsAndMismatchedBanks) {
  EvalOptions options;
  options.block_rows = 0;
  EXPECT_FALSE(ComputeRanks(s_, {0, 1}, options).ok());
  options = {};
  options.dsl_temperature = 0;
  EXPECT_FALSE(ComputeRanks(s_, {0, 1}, options).ok());
  options = {};
  options.threads = 0;
  EXPECT_FALSE(ComputeRanks(s_, {0, 1}, options).ok());
  DenseSimilarity bank = Matrix({{1, 0, 0}});
  absl::Status status = ComputeRanks(s_, {0, 1}, {}, &bank).status();
  EXPECT_NE(status.message().find("bank is 1 x 3"), absl::string_view::npos) << status;
  DenseSimilarity small_bank = Matrix({{1, 0}});
  options = {};
  options.qb_norm.bank_size = 5;
  EXPECT_FALSE(ComputeRanks(s_, {0, 1}, options, &small_bank).ok());
}

TEST(EvalOptionsTest, FollowTheEvalConfig) {
  EvalConfig config;  // defaults: DSL on, beta 20, k 1, 4096 x 4096 tiles
  EvalOptions options = EvalOptionsFromConfig(config);
  EXPECT_TRUE(options.dsl);
  EXPECT_EQ(options.dsl_temperature, 1.0);
  EXPECT_EQ(options.block_rows, 4096);
  EXPECT_EQ(options.block_cols, 4096);
  EXPECT_EQ(options.qb_norm.beta, 20.0);
  EXPECT_EQ(options.qb_norm.k, 1);
  config.set_dsl(false);
  config.set_block_size(128);
  config.set_qb_norm_k(3);
  config.set_qb_norm_bank_size(1000);
  options = EvalOptionsFromConfig(config);
  EXPECT_FALSE(options.dsl);
  EXPECT_EQ(options.block_rows, 128);
  EXPECT_EQ(options.qb_norm.k, 3);
  EXPECT_EQ(options.qb_norm.bank_size, 1000);
}

}  // namespace
}  // namespace camoe
