// Retrieval evaluation of a CAMoE model on an evaluation split: every video
// encoded once, every caption encoded, and for each stream the text x video
// similarity ranked with worker/eval (plain metrics always; DSL re-ranking next
// to them). The fusion stream is the model's retrieval score (the paper's
// headline); the entity and action streams alone give the per-expert table
// (paper Table 7). Also the mean gate weights over the evaluation videos.
//
// With several ranks each encodes its share and the embeddings are gathered;
// every rank computes the same report. Videos that cannot be read are left out
// with their captions and counted. Not thread-safe (uses the model).
#ifndef CAMOE_WORKER_TRAIN_EVALUATE_H_
#define CAMOE_WORKER_TRAIN_EVALUATE_H_

#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "camoe/config.pb.h"
#include "worker/camoe/camoe_model.h"
#include "worker/dist/communicator.h"
#include "worker/eval/metrics.h"
#include "worker/loader/frame_source.h"
#include "worker/pos/caption_streams.h"

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

struct EvaluateOptions {
  int batch_size = 64;        // videos or captions per forward pass
  int loader_threads = 2;
  int prefetch_batches = 2;
  Precision precision = PRECISION_FP32;
};

absl::StatusOr<EvaluationResult> Evaluate(CamoeModel& model, const data::DatasetSplit& split,
                                          const std::vector<CaptionStreams>& streams,
                                          data::FrameSource& frames, const EvalConfig& config,
                                          const EvaluateOptions& options, Communicator& comm,
                                          const torch::Device& device);

// A text table of the result: per stream, t2v and v2t R@1/5/10, MdR, MnR,
// plain and DSL, and the gate weights.
std::string FormatEvaluation(const EvaluationResult& result);

}  // namespace camoe

#endif  // CAMOE_WORKER_TRAIN_EVALUATE_H_
