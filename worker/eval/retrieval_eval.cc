#include "worker/eval/retrieval_eval.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <optional>

#include "absl/strings/str_format.h"
#include "common/status_macros.h"
#include "worker/eval/tile_sweep.h"

namespace camoe {

using eval_internal::LogSumExp;
using eval_internal::RunSweep;
using eval_internal::Sweep;
using eval_internal::Tile;
using eval_internal::TopK;

EvalOptions EvalOptionsFromConfig(const EvalConfig& config) {
  EvalOptions options;
  options.block_rows = config.block_size();
  options.block_cols = config.block_size();
  options.dsl = config.dsl();
  options.qb_norm.beta = config.qb_norm_beta();
  options.qb_norm.k = config.qb_norm_k();
  options.qb_norm.bank_size = config.qb_norm_bank_size();
  return options;
}

std::vector<int64_t> ConsecutiveCaptions(int64_t videos, int64_t captions_per_video) {
  std::vector<int64_t> video_of_text(static_cast<size_t>(videos * captions_per_video));
  for (size_t i = 0; i < video_of_text.size(); ++i) {
    video_of_text[i] = static_cast<int64_t>(i) / captions_per_video;
  }
  return video_of_text;
}

namespace {

constexpr float kMinusInf = -std::numeric_limits<float>::infinity();

// The DSL score of similarity s in a row or column whose log-sum-exp of s / T
// is `log_norm`: s * softmax(s / T). Computed in double so that a positive
// common factor cannot merge two different floats into a tie; one function
// for every use so the true pair and its competitors are scored alike.
inline double DslScore(float s, double temperature, double log_norm) {
  return static_cast<double>(s) * std::exp(static_cast<double>(s) / temperature - log_norm);
}

inline double DslLogit(float s, double temperature) { return static_cast<double>(s) / temperature; }

// QB-Norm's normalised score: log of exp(beta * s) / sum_bank exp(beta * b).
inline double QbScore(float s, double beta, double log_z) {
  return beta * static_cast<double>(s) - log_z;
}

absl::Status Validate(const SimilaritySource& sim, const std::vector<int64_t>& video_of_text,
                      const EvalOptions& options, const SimilaritySource* bank) {
  const int64_t texts = sim.rows(), videos = sim.cols();
  if (texts <= 0 || videos <= 0) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "the similarity is %d x %d; evaluation needs at least one text and one video", texts,
        videos));
  }
  if (static_cast<int64_t>(video_of_text.size()) != texts) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "%d text-to-video assignments for a similarity with %d text rows; give one video "
        "index per text",
        video_of_text.size(), texts));
  }
  std::vector<uint8_t> has_caption(static_cast<size_t>(videos), 0);
  for (int64_t i = 0; i < texts; ++i) {
    const int64_t v = video_of_text[i];
    if (v < 0 || v >= videos) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "text %d belongs to video %d, but the similarity has videos 0..%d; fix the "
          "text-to-video assignment",
          i, v, videos - 1));
    }
    has_caption[v] = 1;
  }
  for (int64_t v = 0; v < videos; ++v) {
    if (!has_caption[v]) {
      return absl::InvalidArgumentError(absl::StrFormat(
          "video %d has no caption among the %d texts, so it has no video-to-text rank; "
          "drop its column or add its captions",
          v, texts));
    }
  }
  if (options.block_rows < 1 || options.block_cols < 1) {
    return absl::InvalidArgumentError(
        absl::StrFormat("block size %d x %d: both sides must be at least 1", options.block_rows,
                        options.block_cols));
  }
  if (options.threads < 1) {
    return absl::InvalidArgumentError(
        absl::StrFormat("threads is %d; use at least 1", options.threads));
  }
  if (options.dsl && !(options.dsl_temperature > 0 && std::isfinite(options.dsl_temperature))) {
    return absl::InvalidArgumentError(
        absl::StrFormat("DSL temperature %g: it must be a positive finite number (1 at inference)",
                        options.dsl_temperature));
  }
  if (bank == nullptr) return absl::OkStatus();
  const QbNormOptions& qb = options.qb_norm;
  if (!(qb.beta > 0 && std::isfinite(qb.beta)) || qb.k < 1) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "QB-Norm beta %g and k %d: beta must be positive and finite (20 in the paper) and k "
        "at least 1",
        qb.beta, qb.k));
  }
  if (bank->cols() != videos || bank->rows() < 1) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "the QB-Norm bank is %d x %d but the test similarity has %d videos; the bank needs "
        "one row per training caption and one column per test video",
        bank->rows(), bank->cols(), videos));
  }
  if (qb.bank_size < 0 || qb.bank_size > bank->rows()) {
    return absl::InvalidArgumentError(absl::StrFormat(
        "QB-Norm bank size %d, but the bank has %d queries; use at most that (0: all)",
        qb.bank_size, bank->rows()));
  }
  return absl::OkStatus();
}

// What QB-Norm learns from the bank: log Z_j = logsumexp_q(beta * B_qj) per
// video, and the activation set (videos in some bank query's top-k).
struct BankStatistics {
  std::vector<double> log_z;
  std::vector<uint8_t> activated;
};

absl::StatusOr<BankStatistics> ScanBank(const SimilaritySource& bank, const EvalOptions& options,
                                        std::vector<float>* buffer) {
  const QbNormOptions& qb = options.qb_norm;
  const int64_t rows = qb.bank_size > 0 ? qb.bank_size : bank.rows();
  const int64_t videos = bank.cols();
  std::vector<LogSumExp> z(static_cast<size_t>(videos));
  TopK top(rows, qb.k);

  Sweep stats;
  stats.check_finite = true;
  stats.what = "QB-Norm bank similarity";
  stats.row_name = "bank query";
  stats.by_rows = [&](const Tile& t, int64_t begin, int64_t end) {
    for (int64_t q = begin; q < end; ++q) {
      const float* row = t.Row(q);
      for (int64_t j = 0; j < t.width(); ++j) top.Add(q, row[j]);
    }
  };
  stats.by_cols = [&](const Tile& t, int64_t begin, int64_t end) {
    for (int64_t q = t.r0; q < t.r1; ++q) {
      const float* row = t.Row(q);
      for (int64_t j = begin; j < end; ++j) {
        z[j].Add(qb.beta * static_cast<double>(row[j - t.c0]));
      }
    }
  };
  CAMOE_RETURN_IF_ERROR(
      RunSweep(bank, rows, options.block_rows, options.block_cols, options.threads, stats, buffer));

  BankStatistics result;
  result.activated.assign(static_cast<size_t>(videos), 0);
  Sweep mark;
  mark.what = stats.what;
  mark.by_cols = [&](const Tile& t, int64_t begin, int64_t end) {
    for (int64_t q = t.r0; q < t.r1; ++q) {
      const float* row = t.Row(q);
      const float threshold = top.Threshold(q);
      for (int64_t j = begin; j < end; ++j) result.activated[j] |= row[j - t.c0] >= threshold;
    }
  };
  CAMOE_RETURN_IF_ERROR(
      RunSweep(bank, rows, options.block_rows, options.block_cols, options.threads, mark, buffer));
  result.log_z.resize(static_cast<size_t>(videos));
  for (int64_t j = 0; j < videos; ++j) result.log_z[j] = z[j].Value();
  return result;
}

// Note [Ties count against the query]
// A query's rank is 1 + the number of competitors ranked ahead of its true
// item. The project's specification (and CLIP4Clip's compute_metrics) counts
// only competitors scoring STRICTLY higher, so that is the default. It lets a
// tie resolve in the true item's favour: a model whose similarities are all
// equal would get R@1 = 100. EvalOptions::ties_count_against switches to the
// pessimistic rule (a tie is ahead), which cannot flatter; evaluations can run
// both to show whether ties matter. The true item is never its own competitor
// (it ties itself), nor are a video's other captions in v2t.
template <typename T>
inline bool Ahead(T competitor, T truth, bool ties_ahead) {
  return ties_ahead ? competitor >= truth : competitor > truth;
}

// Number of competitors ahead of `truth` among tile columns j in [0, width),
// except `skip` (the true video; may lie outside the tile). Excluding it by
// index, not by value, keeps it out whatever rounding does.
template <typename Score>
int64_t CountAhead(int64_t width, int64_t skip, const Score& score, double truth,
                   bool ties_ahead) {
  int64_t count = 0;
  const int64_t split = std::clamp<int64_t>(skip, 0, width);
  for (int64_t j = 0; j < split; ++j) count += Ahead(score(j), truth, ties_ahead);
  for (int64_t j = std::max(split, skip + 1); j < width; ++j) {
    count += Ahead(score(j), truth, ties_ahead);
  }
  return count;
}

// The same for raw floats, kept separate so the compiler can vectorise it.
int64_t CountAheadFloat(const float* row, int64_t width, int64_t skip, float truth,
                        bool ties_ahead) {
  int64_t count = 0;
  const int64_t split = std::clamp<int64_t>(skip, 0, width);
  if (ties_ahead) {
    for (int64_t j = 0; j < split; ++j) count += row[j] >= truth;
    for (int64_t j = std::max(split, skip + 1); j < width; ++j) count += row[j] >= truth;
  } else {
    for (int64_t j = 0; j < split; ++j) count += row[j] > truth;
    for (int64_t j = std::max(split, skip + 1); j < width; ++j) count += row[j] > truth;
  }
  return count;
}

// What the statistics sweep learns about the test matrix.
struct TestStatistics {
  std::vector<float> true_score;  // S[i][v(i)] per text
  std::vector<double> row_log;    // DSL: logsumexp_j(S[i][j] / T) per text; empty without DSL
  std::vector<double> col_log;    // DSL: logsumexp_i(S[i][j] / T) per video
  TopK top{0, 1};                 // QB-Norm: each text's top-k threshold
};

absl::StatusOr<TestStatistics> ScanTestStatistics(const SimilaritySource& sim,
                                                  const std::vector<int64_t>& owner,
                                                  const EvalOptions& options, bool qb,
                                                  std::vector<float>* buffer) {
  const int64_t texts = sim.rows(), videos = sim.cols();
  const bool dsl = options.dsl;
  const double temperature = options.dsl_temperature;
  TestStatistics stats;
  stats.true_score.assign(static_cast<size_t>(texts), kMinusInf);
  std::vector<LogSumExp> row_lse(dsl ? texts : 0), col_lse(dsl ? videos : 0);
  if (qb) stats.top = TopK(texts, options.qb_norm.k);
  Sweep sweep;
  sweep.check_finite = true;
  sweep.what = "similarity";
  sweep.row_name = "text";
  sweep.by_rows = [&](const Tile& t, int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const float* row = t.Row(i);
      if (owner[i] >= t.c0 && owner[i] < t.c1) stats.true_score[i] = row[owner[i] - t.c0];
      if (dsl) {
        for (int64_t j = 0; j < t.width(); ++j) row_lse[i].Add(DslLogit(row[j], temperature));
      }
      if (qb) {
        for (int64_t j = 0; j < t.width(); ++j) stats.top.Add(i, row[j]);
      }
    }
  };
  if (dsl) {
    sweep.by_cols = [&](const Tile& t, int64_t begin, int64_t end) {
      for (int64_t i = t.r0; i < t.r1; ++i) {
        const float* row = t.Row(i);
        for (int64_t j = begin; j < end; ++j) {
          col_lse[j].Add(DslLogit(row[j - t.c0], temperature));
        }
      }
    };
  }
  CAMOE_RETURN_IF_ERROR(
      RunSweep(sim, texts, options.block_rows, options.block_cols, options.threads, sweep, buffer));
  for (const LogSumExp& lse : row_lse) stats.row_log.push_back(lse.Value());
  for (const LogSumExp& lse : col_lse) stats.col_log.push_back(lse.Value());
  return stats;
}

// The score a competitor must reach to be ahead of the true item: per text for
// t2v, per video (its best own caption) for v2t. Empty when not asked for.
struct TrueScores {
  std::vector<float> best_own;
  std::vector<double> t2v_dsl;
  std::vector<double> best_own_dsl;
  std::vector<double> qb;
};

TrueScores ComputeTrueScores(const TestStatistics& stats, const std::vector<int64_t>& owner,
                             int64_t videos, const EvalOptions& options,
                             const BankStatistics* bank) {
  const bool dsl = options.dsl;
  const double temperature = options.dsl_temperature;
  TrueScores truth;
  truth.best_own.assign(static_cast<size_t>(videos), kMinusInf);
  if (dsl) truth.best_own_dsl.assign(static_cast<size_t>(videos), -INFINITY);
  for (size_t i = 0; i < owner.size(); ++i) {
    const int64_t v = owner[i];
    const float s = stats.true_score[i];
    truth.best_own[v] = std::max(truth.best_own[v], s);
    if (dsl) {
      truth.t2v_dsl.push_back(DslScore(s, temperature, stats.col_log[v]));
      truth.best_own_dsl[v] =
          std::max(truth.best_own_dsl[v], DslScore(s, temperature, stats.row_log[i]));
    }
    if (bank) truth.qb.push_back(QbScore(s, options.qb_norm.beta, bank->log_z[v]));
  }
  return truth;
}

// Per query, the number of competitors ahead of the true item.
struct AheadCounts {
  std::vector<int64_t> t2v, v2t, t2v_dsl, v2t_dsl, qb;
  std::vector<uint8_t> activated;  // QB-Norm: the text's raw top-k meets the activation set
};

absl::StatusOr<AheadCounts> CountAheadSweep(const SimilaritySource& sim,
                                            const std::vector<int64_t>& owner,
                                            const EvalOptions& options, const TestStatistics& stats,
                                            const TrueScores& truth, const BankStatistics* bank,
                                            std::vector<float>* buffer) {
  const int64_t texts = sim.rows(), videos = sim.cols();
  const bool dsl = options.dsl;
  const double temperature = options.dsl_temperature;
  const double beta = options.qb_norm.beta;
  const bool ties = options.ties_count_against;
  AheadCounts ahead;
  ahead.t2v.assign(static_cast<size_t>(texts), 0);
  ahead.v2t.assign(static_cast<size_t>(videos), 0);
  if (dsl) {
    ahead.t2v_dsl.assign(static_cast<size_t>(texts), 0);
    ahead.v2t_dsl.assign(static_cast<size_t>(videos), 0);
  }
  if (bank) {
    ahead.qb.assign(static_cast<size_t>(texts), 0);
    ahead.activated.assign(static_cast<size_t>(texts), 0);
  }
  Sweep sweep;
  sweep.what = "similarity";
  sweep.by_rows = [&](const Tile& t, int64_t begin, int64_t end) {
    for (int64_t i = begin; i < end; ++i) {
      const float* row = t.Row(i);
      const int64_t skip = owner[i] - t.c0;  // the true video, in tile columns
      ahead.t2v[i] += CountAheadFloat(row, t.width(), skip, stats.true_score[i], ties);
      if (dsl) {
        ahead.t2v_dsl[i] += CountAhead(
            t.width(), skip,
            [&](int64_t j) { return DslScore(row[j], temperature, stats.col_log[t.c0 + j]); },
            truth.t2v_dsl[i], ties);
      }
      if (bank) {
        ahead.qb[i] += CountAhead(
            t.width(), skip,
            [&](int64_t j) { return QbScore(row[j], beta, bank->log_z[t.c0 + j]); }, truth.qb[i],
            ties);
        const float threshold = stats.top.Threshold(i);
        for (int64_t j = 0; j < t.width() && !ahead.activated[i]; ++j) {
          ahead.activated[i] = row[j] >= threshold && bank->activated[t.c0 + j];
        }
      }
    }
  };
  sweep.by_cols = [&](const Tile& t, int64_t begin, int64_t end) {
    for (int64_t i = t.r0; i < t.r1; ++i) {
      const float* row = t.Row(i);
      // A video's own captions never compete with it: they trail or tie the best one.
      const int64_t own = owner[i];
      for (int64_t j = begin; j < end; ++j) {
        ahead.v2t[j] += j != own && Ahead(row[j - t.c0], truth.best_own[j], ties);
      }
      if (!dsl) continue;
      const double log_norm = stats.row_log[i];
      for (int64_t j = begin; j < end; ++j) {
        if (j == own) continue;
        ahead.v2t_dsl[j] +=
            Ahead(DslScore(row[j - t.c0], temperature, log_norm), truth.best_own_dsl[j], ties);
      }
    }
  };
  CAMOE_RETURN_IF_ERROR(
      RunSweep(sim, texts, options.block_rows, options.block_cols, options.threads, sweep, buffer));
  return ahead;
}

std::vector<int64_t> RanksFromCounts(const std::vector<int64_t>& ahead) {
  std::vector<int64_t> ranks(ahead.size());
  for (size_t q = 0; q < ahead.size(); ++q) ranks[q] = ahead[q] + 1;
  return ranks;
}

}  // namespace

absl::StatusOr<RetrievalRanks> ComputeRanks(const SimilaritySource& sim,
                                            const std::vector<int64_t>& video_of_text,
                                            const EvalOptions& options,
                                            const SimilaritySource* bank) {
  CAMOE_RETURN_IF_ERROR(Validate(sim, video_of_text, options, bank));
  std::vector<float> buffer;  // the one tile, reused by every sweep
  std::optional<BankStatistics> bank_stats;
  if (bank != nullptr) {
    CAMOE_ASSIGN_OR_RETURN(bank_stats, ScanBank(*bank, options, &buffer));
  }
  const BankStatistics* qb = bank_stats ? &*bank_stats : nullptr;
  CAMOE_ASSIGN_OR_RETURN(TestStatistics stats,
                         ScanTestStatistics(sim, video_of_text, options, qb != nullptr, &buffer));
  const TrueScores truth = ComputeTrueScores(stats, video_of_text, sim.cols(), options, qb);
  CAMOE_ASSIGN_OR_RETURN(AheadCounts ahead,
                         CountAheadSweep(sim, video_of_text, options, stats, truth, qb, &buffer));
  RetrievalRanks ranks;
  ranks.t2v = RanksFromCounts(ahead.t2v);
  ranks.v2t = RanksFromCounts(ahead.v2t);
  ranks.t2v_dsl = RanksFromCounts(ahead.t2v_dsl);
  ranks.v2t_dsl = RanksFromCounts(ahead.v2t_dsl);
  if (qb != nullptr) {
    // Dynamic inverted softmax: only queries whose raw top-k reaches an
    // activated video are normalised; the rest keep their raw ranking.
    for (size_t i = 0; i < ahead.qb.size(); ++i) {
      ranks.t2v_qbnorm.push_back(ahead.activated[i] ? ahead.qb[i] + 1 : ranks.t2v[i]);
    }
    ranks.qbnorm_activated = std::move(ahead.activated);
  }
  return ranks;
}

RetrievalReport ReportFromRanks(const RetrievalRanks& ranks) {
  RetrievalReport report;
  report.t2v = MetricsFromRanks(ranks.t2v);
  report.v2t = MetricsFromRanks(ranks.v2t);
  if (!ranks.t2v_dsl.empty()) report.t2v_dsl = MetricsFromRanks(ranks.t2v_dsl);
  if (!ranks.v2t_dsl.empty()) report.v2t_dsl = MetricsFromRanks(ranks.v2t_dsl);
  if (!ranks.t2v_qbnorm.empty()) {
    report.t2v_qbnorm = MetricsFromRanks(ranks.t2v_qbnorm);
    int64_t activated = 0;
    for (uint8_t a : ranks.qbnorm_activated) activated += a;
    report.qbnorm_activated = activated;
  }
  return report;
}

absl::StatusOr<RetrievalReport> EvaluateRetrieval(const SimilaritySource& sim,
                                                  const std::vector<int64_t>& video_of_text,
                                                  const EvalOptions& options,
                                                  const SimilaritySource* bank) {
  CAMOE_ASSIGN_OR_RETURN(RetrievalRanks ranks, ComputeRanks(sim, video_of_text, options, bank));
  return ReportFromRanks(ranks);
}

}  // namespace camoe
