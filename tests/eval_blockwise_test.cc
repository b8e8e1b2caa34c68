// Blockwise evaluation (worker/eval/retrieval_eval.h) against a naive dense
// reference written independently here, and against itself across tile shapes
// and thread counts, which must agree bit for bit.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <optional>
#include <random>
#include <tuple>
#include <vector>

#include "absl/strings/str_format.h"
#include "worker/eval/retrieval_eval.h"
#include "worker/eval/similarity_source.h"
#include "worker/eval/tile_sweep.h"

namespace camoe {
namespace {

struct Problem {
  int64_t texts, videos;
  std::vector<float> sim;  // texts x videos
  std::vector<int64_t> video_of_text;
};

// Random similarities in [-scale, scale]; `levels` > 0 rounds them to that many
// steps per unit so that ties are common. Texts are assigned to videos at
// random, each video getting at least one caption.
Problem RandomProblem(int64_t texts, int64_t videos, uint32_t seed, float scale = 5.0f,
                      int levels = 0) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> value(-scale, scale);
  Problem p{texts, videos, {}, {}};
  for (int64_t c = 0; c < texts * videos; ++c) {
    float x = value(rng);
    if (levels > 0) x = std::round(x * levels) / levels;
    p.sim.push_back(x);
  }
  for (int64_t i = 0; i < texts; ++i) {
    p.video_of_text.push_back(i < videos ? i : static_cast<int64_t>(rng() % videos));
  }
  std::shuffle(p.video_of_text.begin(), p.video_of_text.end(), rng);
  return p;
}

// The textbook computation on the whole matrix: softmax with a max-shifted
// two-pass sum, ranks by direct counting.
// The tie rule both implementations use (EvalOptions::ties_count_against).
bool ties_against = false;

bool NaiveAhead(double competitor, double truth) {
  return ties_against ? competitor >= truth : competitor > truth;
}

RetrievalRanks NaiveRanks(const Problem& p, double temperature, const Problem* bank = nullptr,
                          double beta = 20, int64_t k = 1) {
  const int64_t n = p.texts, m = p.videos;
  auto s = [&](int64_t i, int64_t j) { return static_cast<double>(p.sim[i * m + j]); };
  std::vector<double> col_lse(m), row_lse(n);
  for (int64_t j = 0; j < m; ++j) {
    double mx = -INFINITY, sum = 0;
    for (int64_t i = 0; i < n; ++i) mx = std::max(mx, s(i, j) / temperature);
    for (int64_t i = 0; i < n; ++i) sum += std::exp(s(i, j) / temperature - mx);
    col_lse[j] = mx + std::log(sum);
  }
  for (int64_t i = 0; i < n; ++i) {
    double mx = -INFINITY, sum = 0;
    for (int64_t j = 0; j < m; ++j) mx = std::max(mx, s(i, j) / temperature);
    for (int64_t j = 0; j < m; ++j) sum += std::exp(s(i, j) / temperature - mx);
    row_lse[i] = mx + std::log(sum);
  }
  auto t2v_dsl = [&](int64_t i, int64_t j) {
    return s(i, j) * std::exp(s(i, j) / temperature - col_lse[j]);
  };
  auto v2t_dsl = [&](int64_t i, int64_t j) {
    return s(i, j) * std::exp(s(i, j) / temperature - row_lse[i]);
  };
  auto t2v_rank = [&](int64_t i, auto score) {
    int64_t rank = 1;
    for (int64_t j = 0; j < m; ++j) {
      rank += j != p.video_of_text[i] && NaiveAhead(score(i, j), score(i, p.video_of_text[i]));
    }
    return rank;
  };
  auto v2t_rank = [&](int64_t j, auto score) {
    double best = -INFINITY;
    for (int64_t i = 0; i < n; ++i) {
      if (p.video_of_text[i] == j) best = std::max(best, score(i, j));
    }
    int64_t rank = 1;
    for (int64_t i = 0; i < n; ++i) rank += p.video_of_text[i] != j && NaiveAhead(score(i, j), best);
    return rank;
  };
  RetrievalRanks r;
  for (int64_t i = 0; i < n; ++i) {
    r.t2v.push_back(t2v_rank(i, s));
    r.t2v_dsl.push_back(t2v_rank(i, t2v_dsl));
  }
  for (int64_t j = 0; j < m; ++j) {
    r.v2t.push_back(v2t_rank(j, s));
    r.v2t_dsl.push_back(v2t_rank(j, v2t_dsl));
  }
  if (bank == nullptr) return r;
  // QB-Norm: log Z per video over the bank, activation by top-k membership.
  std::vector<double> log_z(m);
  std::vector<bool> active(m, false);
  for (int64_t j = 0; j < m; ++j) {
    double mx = -INFINITY, sum = 0;
    for (int64_t q = 0; q < bank->texts; ++q) mx = std::max(mx, beta * bank->sim[q * m + j]);
    for (int64_t q = 0; q < bank->texts; ++q) sum += std::exp(beta * bank->sim[q * m + j] - mx);
    log_z[j] = mx + std::log(sum);
  }
  auto in_top_k = [&](const std::vector<float>& x, int64_t row, int64_t j) {
    int64_t higher = 0;
    for (int64_t c = 0; c < m; ++c) higher += x[row * m + c] > x[row * m + j];
    return higher < k;
  };
  for (int64_t q = 0; q < bank->texts; ++q) {
    for (int64_t j = 0; j < m; ++j) active[j] = active[j] || in_top_k(bank->sim, q, j);
  }
  auto normalised = [&](int64_t i, int64_t j) { return beta * s(i, j) - log_z[j]; };
  for (int64_t i = 0; i < n; ++i) {
    bool activated = false;
    for (int64_t j = 0; j < m; ++j) activated = activated || (in_top_k(p.sim, i, j) && active[j]);
    r.qbnorm_activated.push_back(activated);
    r.t2v_qbnorm.push_back(activated ? t2v_rank(i, normalised) : r.t2v[i]);
  }
  return r;
}

void ExpectSameRanks(const RetrievalRanks& a, const RetrievalRanks& b, const std::string& what) {
  EXPECT_EQ(a.t2v, b.t2v) << what;
  EXPECT_EQ(a.v2t, b.v2t) << what;
  EXPECT_EQ(a.t2v_dsl, b.t2v_dsl) << what;
  EXPECT_EQ(a.v2t_dsl, b.v2t_dsl) << what;
  EXPECT_EQ(a.t2v_qbnorm, b.t2v_qbnorm) << what;
  EXPECT_EQ(a.qbnorm_activated, b.qbnorm_activated) << what;
}

RetrievalRanks Blockwise(const Problem& p, int64_t block_rows, int64_t block_cols, int threads = 1,
                         const Problem* bank = nullptr, double temperature = 1.0) {
  DenseSimilarity sim = DenseSimilarity::View(p.texts, p.videos, p.sim.data()).value();
  std::optional<DenseSimilarity> bank_sim;
  if (bank) bank_sim = DenseSimilarity::View(bank->texts, bank->videos, bank->sim.data()).value();
  EvalOptions options;
  options.block_rows = block_rows;
  options.block_cols = block_cols;
  options.threads = threads;
  options.dsl_temperature = temperature;
  options.ties_count_against = ties_against;
  absl::StatusOr<RetrievalRanks> ranks =
      ComputeRanks(sim, p.video_of_text, options, bank_sim ? &*bank_sim : nullptr);
  EXPECT_TRUE(ranks.ok()) << ranks.status();
  return ranks.ok() ? *ranks : RetrievalRanks{};
}

class BlockwiseTest : public ::testing::Test {
 protected:
  const std::vector<int64_t> block_sizes_ = {1, 2, 3, 5, 7, 13, 31, 64, 1000};
};

TEST_F(BlockwiseTest, MatchesTheNaiveDenseReferenceForEveryBlockSize) {
  for (auto [texts, videos] : {std::pair<int64_t, int64_t>{12, 12}, {40, 9}, {31, 30}, {57, 19}}) {
    Problem p = RandomProblem(texts, videos, static_cast<uint32_t>(texts * 100 + videos));
    RetrievalRanks expected = NaiveRanks(p, 1.0);
    for (int64_t rows : block_sizes_) {
      for (int64_t cols : {int64_t{1}, int64_t{4}, int64_t{11}, rows, int64_t{5000}}) {
        ExpectSameRanks(Blockwise(p, rows, cols), expected,
                        absl::StrFormat("%d x %d in %d x %d tiles", texts, videos, rows, cols));
      }
    }
  }
}

TEST_F(BlockwiseTest, MultiCaptionLayoutMatchesTheReference) {
  Problem p = RandomProblem(60, 20, 7);
  p.video_of_text = ConsecutiveCaptions(20, 3);
  RetrievalRanks expected = NaiveRanks(p, 1.0);
  for (int64_t block : block_sizes_) {
    ExpectSameRanks(Blockwise(p, block, block), expected, absl::StrFormat("block %d", block));
  }
}

TEST_F(BlockwiseTest, TiedScoresGiveIdenticalResultsForEveryTileShapeAndThreadCount) {
  // Scores on a 0.5 grid: many exact ties, which only an identical sequence of
  // floating-point operations resolves identically.
  Problem p = RandomProblem(45, 15, 3, 3.0f, /*levels=*/2);
  Problem bank = RandomProblem(30, 15, 4, 3.0f, 2);
  RetrievalRanks by_rule[2];
  for (bool against : {false, true}) {
    ties_against = against;
    RetrievalRanks whole = Blockwise(p, 1000, 1000, 1, &bank);
    EXPECT_EQ(whole.t2v, NaiveRanks(p, 1.0).t2v);
    EXPECT_EQ(whole.v2t, NaiveRanks(p, 1.0).v2t);
    for (int64_t rows : block_sizes_) {
      for (int64_t cols : {int64_t{1}, int64_t{2}, int64_t{7}, int64_t{15}}) {
        ExpectSameRanks(Blockwise(p, rows, cols, 1, &bank), whole,
                        absl::StrFormat("%d x %d tiles, ties against %d", rows, cols, against));
      }
    }
    by_rule[against] = whole;
  }
  ties_against = false;
  // On a grid the two rules differ, and counting ties against never ranks better.
  EXPECT_NE(by_rule[0].t2v, by_rule[1].t2v);
  for (size_t i = 0; i < by_rule[0].t2v.size(); ++i) EXPECT_LE(by_rule[0].t2v[i], by_rule[1].t2v[i]);
}

TEST_F(BlockwiseTest, ThreadsDoNotChangeAnything) {
  // Large enough tiles that the work is really split over threads.
  Problem p = RandomProblem(600, 500, 11);
  Problem bank = RandomProblem(300, 500, 12);
  RetrievalRanks one = Blockwise(p, 600, 500, 1, &bank);
  ExpectSameRanks(one, NaiveRanks(p, 1.0, &bank), "naive");
  for (int threads : {2, 3, 8}) {
    ExpectSameRanks(Blockwise(p, 600, 500, threads, &bank), one,
                    absl::StrFormat("%d threads", threads));
    ExpectSameRanks(Blockwise(p, 257, 300, threads, &bank), one,
                    absl::StrFormat("%d threads, 257 x 300 tiles", threads));
  }
}

TEST_F(BlockwiseTest, QbNormMatchesTheReference) {
  Problem p = RandomProblem(50, 17, 21, 1.0f);
  Problem bank = RandomProblem(80, 17, 22, 1.0f);
  for (int64_t k : {1, 2, 5}) {
    RetrievalRanks expected = NaiveRanks(p, 1.0, &bank, 20, k);
    for (int64_t block : {1, 3, 16, 100}) {
      DenseSimilarity sim = DenseSimilarity::View(p.texts, p.videos, p.sim.data()).value();
      DenseSimilarity bank_sim =
          DenseSimilarity::View(bank.texts, bank.videos, bank.sim.data()).value();
      EvalOptions options;
      options.block_rows = options.block_cols = block;
      options.qb_norm.k = k;
      RetrievalRanks r = ComputeRanks(sim, p.video_of_text, options, &bank_sim).value();
      ExpectSameRanks(r, expected, absl::StrFormat("k %d, block %d", k, block));
    }
  }
}

TEST_F(BlockwiseTest, TemperatureIsAppliedInsideTheSoftmax) {
  Problem p = RandomProblem(30, 30, 5);
  for (double temperature : {0.1, 1.0, 7.0}) {
    ExpectSameRanks(Blockwise(p, 4, 9, 1, nullptr, temperature), NaiveRanks(p, temperature),
                    absl::StrFormat("T = %g", temperature));
  }
}

// Serves a dense matrix and records every block asked for; can fail on demand.
class RecordingSource : public SimilaritySource {
 public:
  RecordingSource(const Problem& p, int fail_on_call) : p_(p), fail_on_call_(fail_on_call) {}
  int64_t rows() const override { return p_.texts; }
  int64_t cols() const override { return p_.videos; }
  absl::Status Fill(int64_t r0, int64_t r1, int64_t c0, int64_t c1, float* out) const override {
    if (++calls_ == fail_on_call_) return absl::UnavailableError("device lost");
    max_cells_ = std::max(max_cells_, (r1 - r0) * (c1 - c0));
    for (int64_t i = r0; i < r1; ++i) {
      for (int64_t j = c0; j < c1; ++j) {
        out[(i - r0) * (c1 - c0) + (j - c0)] = p_.sim[i * p_.videos + j];
      }
    }
    return absl::OkStatus();
  }
  int64_t max_cells() const { return max_cells_; }

 private:
  const Problem& p_;
  int fail_on_call_;
  mutable int calls_ = 0;
  mutable int64_t max_cells_ = 0;
};

TEST_F(BlockwiseTest, NeverAsksForMoreThanOneTile) {
  Problem p = RandomProblem(100, 80, 9);
  RecordingSource source(p, /*fail_on_call=*/-1);
  EvalOptions options;
  options.block_rows = 16;
  options.block_cols = 10;
  ASSERT_TRUE(ComputeRanks(source, p.video_of_text, options).ok());
  EXPECT_EQ(source.max_cells(), 16 * 10);
}

TEST_F(BlockwiseTest, SourceErrorsArePassedOnWithTheBlock) {
  Problem p = RandomProblem(20, 20, 9);
  RecordingSource source(p, /*fail_on_call=*/6);
  EvalOptions options;
  options.block_rows = options.block_cols = 10;
  absl::Status status = ComputeRanks(source, p.video_of_text, options).status();
  EXPECT_EQ(status.code(), absl::StatusCode::kUnavailable);
  EXPECT_NE(status.message().find("rows [0, 10) x videos [10, 20)"), std::string::npos) << status;
  EXPECT_NE(status.message().find("device lost"), std::string::npos);
}

// Note [Tile-independent results]: whatever the tiles and threads, row-owned
// work sees each row's columns in order and column-owned work each column's
// rows in order, each index owned by one call per tile.
TEST(TileSweepTest, VisitsEveryRowAndColumnInOrderForAnyTiling) {
  Problem p = RandomProblem(300, 250, 1);
  DenseSimilarity sim = DenseSimilarity::View(p.texts, p.videos, p.sim.data()).value();
  for (auto [block_rows, block_cols, threads] : {std::tuple<int64_t, int64_t, int>{1, 1, 1},
                                                 {7, 300, 1},
                                                 {300, 13, 2},
                                                 {300, 250, 3},
                                                 {299, 251, 2}}) {
    std::vector<std::vector<int64_t>> row_seen(p.texts), col_seen(p.videos);
    eval_internal::Sweep sweep;
    sweep.by_rows = [&](const eval_internal::Tile& t, int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; ++i) {
        for (int64_t j = t.c0; j < t.c1; ++j) {
          ASSERT_EQ(t.Row(i)[j - t.c0], p.sim[i * p.videos + j]);
          row_seen[i].push_back(j);
        }
      }
    };
    sweep.by_cols = [&](const eval_internal::Tile& t, int64_t begin, int64_t end) {
      for (int64_t i = t.r0; i < t.r1; ++i) {
        for (int64_t j = begin; j < end; ++j) col_seen[j].push_back(i);
      }
    };
    std::vector<float> buffer;
    ASSERT_TRUE(
        eval_internal::RunSweep(sim, p.texts, block_rows, block_cols, threads, sweep, &buffer)
            .ok());
    EXPECT_LE(static_cast<int64_t>(buffer.size()), block_rows * block_cols);
    std::vector<int64_t> all_cols(p.videos), all_rows(p.texts);
    std::iota(all_cols.begin(), all_cols.end(), 0);
    std::iota(all_rows.begin(), all_rows.end(), 0);
    for (const auto& seen : row_seen) ASSERT_EQ(seen, all_cols) << block_rows << "x" << block_cols;
    for (const auto& seen : col_seen) ASSERT_EQ(seen, all_rows) << block_rows << "x" << block_cols;
  }
}

TEST(TopKTest, ThresholdIsTheKthLargestWhateverTheInsertionOrder) {
  eval_internal::TopK top(2, 3);
  for (float x : {3.0f, 1.0f, 5.0f, 2.0f, 5.0f, 4.0f}) top.Add(0, x);
  EXPECT_EQ(top.Threshold(0), 4.0f);  // 5 5 4
  top.Add(1, 2.0f);
  top.Add(1, 7.0f);
  EXPECT_EQ(top.Threshold(1), -INFINITY);  // fewer than k values: everything is in the top-k
  top.Add(1, 1.0f);
  EXPECT_EQ(top.Threshold(1), 1.0f);
}

TEST(EmbeddingSimilarityTest, CellsAreDotProductsWhateverTheBlock) {
  const int64_t texts = 37, videos = 70, dim = 19;
  std::mt19937 rng(1);
  std::normal_distribution<float> normal;
  std::vector<float> t(texts * dim), v(videos * dim);
  for (float& x : t) x = normal(rng);
  for (float& x : v) x = normal(rng);
  EmbeddingSimilarity sim =
      EmbeddingSimilarity::Create(texts, videos, dim, t.data(), v.data(), 2.0f).value();
  std::vector<float> whole(texts * videos);
  ASSERT_TRUE(sim.Fill(0, texts, 0, videos, whole.data()).ok());
  for (int64_t i = 0; i < texts; ++i) {
    for (int64_t j = 0; j < videos; ++j) {
      double dot = 0;
      for (int64_t d = 0; d < dim; ++d) dot += double{t[i * dim + d]} * v[j * dim + d];
      EXPECT_NEAR(whole[i * videos + j], 2.0 * dot, 1e-4) << i << ", " << j;
    }
  }
  std::vector<float> part(5 * 66);
  ASSERT_TRUE(sim.Fill(30, 35, 3, 69, part.data()).ok());
  for (int64_t i = 0; i < 5; ++i) {
    for (int64_t j = 0; j < 66; ++j) {
      ASSERT_EQ(part[i * 66 + j], whole[(30 + i) * videos + 3 + j]) << i << ", " << j;
    }
  }
  EXPECT_FALSE(sim.Fill(0, 38, 0, 1, part.data()).ok());
  EXPECT_FALSE(sim.Fill(3, 3, 0, 1, part.data()).ok());
}

TEST(DenseSimilarityTest, RejectsAWrongValueCount) {
  absl::StatusOr<DenseSimilarity> s = DenseSimilarity::Create(2, 3, std::vector<float>(5));
  ASSERT_FALSE(s.ok());
  EXPECT_NE(s.status().message().find("needs 6 values but 5"), std::string::npos) << s.status();
}

}  // namespace
}  // namespace camoe
