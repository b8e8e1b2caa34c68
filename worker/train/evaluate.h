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
#include "worker/loader/frame_source.h"
#include "worker/pos/caption_streams.h"
#include "worker/train/evaluation_result.h"

namespace camoe {

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

}  // namespace camoe

#endif  // CAMOE_WORKER_TRAIN_EVALUATE_H_
