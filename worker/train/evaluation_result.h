// The result of evaluating a CAMoE model: retrieval metrics per stream (plain
// and re-ranked), mean gate weights, what was left out. Torch-free, so the CLI,
// the service and reports can use it. Plain value types.
#ifndef CAMOE_WORKER_TRAIN_EVALUATION_RESULT_H_
#define CAMOE_WORKER_TRAIN_EVALUATION_RESULT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "worker/camoe/streams.h"
#include "worker/eval/metrics.h"

namespace camoe {

struct StreamEvaluation {
  int stream = kFusion;
  RetrievalReport report;
  int64_t captions = 0;           // captions ranked in this stream
  int64_t videos = 0;             // videos ranked in this stream
  int64_t captions_without = 0;   // left out: no keyword for the stream
};

struct EvaluationResult {
  std::vector<StreamEvaluation> streams;  // fusion first
  double gate_mean[kNumStreams] = {0, 0, 0};  // mean gate weights; 0 without a gate
  int64_t videos = 0;
  int64_t captions = 0;
  std::vector<std::string> bad_videos;    // "path: reason"
  double seconds = 0;
};

// A text table of the result: per stream, t2v and v2t R@1/5/10, MdR, MnR,
// plain and DSL, and the gate weights.
std::string FormatEvaluation(const EvaluationResult& result);

}  // namespace camoe

#endif  // CAMOE_WORKER_TRAIN_EVALUATION_RESULT_H_
