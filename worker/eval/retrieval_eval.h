// Blockwise text-video retrieval evaluation (docs/metrics.md): ranks in which
// ties count against the query, in both directions; DSL re-ranking
// (S * softmax(S) over the whole query set); and QB-Norm's dynamic inverted
// softmax over a bank of training captions. The similarity is read through `SimilaritySource` in
// tiles of at most block_rows x block_cols, so memory is one tile plus O(texts + videos)
// statistics, and the results do not depend on the tile size or the thread
// count (bit for bit). Per-expert evaluation is one call per stream's matrix.
// Stateless functions; the sources are only read (their Fill must be
// deterministic and, with threads > 1, is still called from one thread).
#ifndef CAMOE_WORKER_EVAL_RETRIEVAL_EVAL_H_
#define CAMOE_WORKER_EVAL_RETRIEVAL_EVAL_H_

#include <cstdint>
#include <vector>

#include "absl/status/statusor.h"
#include "camoe/config.pb.h"
#include "worker/eval/metrics.h"
#include "worker/eval/similarity_source.h"

namespace camoe {

// QB-Norm (Bogolin et al., CVPR 2022), the dynamic inverted softmax, t2v.
struct QbNormOptions {
  // Inverse temperature of the softmax over bank queries.
  double beta = 20;
  // A video is "activated" when it is in the top-k of at least one bank query.
  int64_t k = 1;
  // Bank rows used (the first ones); 0: all.
  int64_t bank_size = 0;
};

struct EvalOptions {
  // Tile shape: at most block_rows texts x block_cols videos are held at once
  // (4 bytes each).
  int64_t block_rows = 4096;
  int64_t block_cols = 4096;
  // Also rank with DSL re-ranking.
  bool dsl = true;
  // DSL softmax temperature T in S * softmax(S / T); 1 at inference.
  double dsl_temperature = 1.0;
  // Threads sharing the work on each tile (Fill itself stays on one thread).
  int threads = 1;
  // Used when a query bank is passed.
  QbNormOptions qb_norm;
  // false (the specification's rule): rank = 1 + competitors scoring strictly
  // higher. true: a competitor that ties the true item counts ahead of it, so
  // ties can never flatter (Note [Ties count against the query]).
  bool ties_count_against = false;
};

// The options an EvalConfig asks for (block_size is both tile sides). Whether
// to pass a bank (config.qb_norm) is the caller's decision.
EvalOptions EvalOptionsFromConfig(const EvalConfig& config);

// Per-query ranks, 1 = best. t2v rows are texts, v2t rows are videos.
struct RetrievalRanks {
  std::vector<int64_t> t2v;
  std::vector<int64_t> v2t;
  std::vector<int64_t> t2v_dsl;     // empty without DSL
  std::vector<int64_t> v2t_dsl;     // empty without DSL
  std::vector<int64_t> t2v_qbnorm;  // empty without a bank
  // Per text: 1 when QB-Norm replaced its scores, 0 when it kept the raw ones.
  std::vector<uint8_t> qbnorm_activated;
};

// Text i is a caption of video video_of_text[i]. `bank`, when given, holds the
// similarities of training captions (rows) to the same test videos (columns)
// and turns on QB-Norm. InvalidArgument names the problem: a text without a
// valid video, a video without any caption, a non-finite similarity (with its
// row and column), mismatched bank columns, bad options.
absl::StatusOr<RetrievalRanks> ComputeRanks(const SimilaritySource& sim,
                                            const std::vector<int64_t>& video_of_text,
                                            const EvalOptions& options,
                                            const SimilaritySource* bank = nullptr);

RetrievalReport ReportFromRanks(const RetrievalRanks& ranks);

// ComputeRanks then ReportFromRanks.
absl::StatusOr<RetrievalReport> EvaluateRetrieval(const SimilaritySource& sim,
                                                  const std::vector<int64_t>& video_of_text,
                                                  const EvalOptions& options,
                                                  const SimilaritySource* bank = nullptr);

// The usual layout with `captions_per_video` consecutive texts per video:
// video_of_text[i] = i / captions_per_video, for videos * captions_per_video texts.
std::vector<int64_t> ConsecutiveCaptions(int64_t videos, int64_t captions_per_video);

}  // namespace camoe

#endif  // CAMOE_WORKER_EVAL_RETRIEVAL_EVAL_H_
