// CAMoE's training objective: per stream, a symmetric contrastive loss on the
// logit-scaled cosine similarity of text and video embeddings, either plain
// InfoNCE or the Dual Softmax Loss, summed over streams with per-stream weights.
//
// The functions take embeddings of the GLOBAL batch (gathered from every rank
// when training data-parallel) and never assume the batch is local: row i of
// the text embeddings matches row i of the video embeddings, wherever they came
// from. Math runs in fp32 for fp32/bf16/fp16 inputs (fp64 stays fp64).
// Stateless.
#ifndef CAMOE_WORKER_CAMOE_LOSSES_H_
#define CAMOE_WORKER_CAMOE_LOSSES_H_

#include <torch/torch.h>

#include "camoe/config.pb.h"
#include "worker/camoe/camoe_model.h"

namespace camoe {

// (CE over the rows of `logits` + CE over the rows of logits^T) / 2, with the
// diagonal as the target. logits: [N, N], texts x videos.
torch::Tensor SymmetricInfoNce(const torch::Tensor& logits);

// The official Dual Softmax Loss for one direction: S' = S * softmax(S / T,
// dim 0) * N, then the mean over rows of -log_softmax(S')[i, i].
torch::Tensor DualSoftmaxDirection(const torch::Tensor& logits, double temperature);

// (DualSoftmaxDirection(S) + DualSoftmaxDirection(S^T)) / 2. As T grows the
// prior tends to 1/N and the loss to SymmetricInfoNce(S).
torch::Tensor DualSoftmaxLoss(const torch::Tensor& logits, double temperature);

// scale * normalize(text) @ normalize(video)^T, in fp32.
torch::Tensor ScaledCosineLogits(const torch::Tensor& text, const torch::Tensor& video,
                                 const torch::Tensor& scale);

struct LossOutput {
  torch::Tensor total;                  // weighted sum over streams (0-dim, requires grad)
  torch::Tensor per_stream[kNumStreams];  // unweighted; undefined for absent or empty streams
  // Captions left out of a stream's loss because they have no keyword for it.
  int64_t excluded[kNumStreams] = {0, 0, 0};
};

// The summed loss of every stream the model has. `has_entity`/`has_action`
// ([N] bool) say which samples take part in those streams; a stream's loss is
// computed on the sub-batch of samples that have its keywords (rows and
// columns), and a stream with fewer than two such samples contributes nothing.
LossOutput CamoeLoss(const StreamEmbeddings& text, const StreamEmbeddings& video,
                     const torch::Tensor& has_entity, const torch::Tensor& has_action,
                     const torch::Tensor& logit_scale, const LossConfig& config);

}  // namespace camoe

#endif  // CAMOE_WORKER_CAMOE_LOSSES_H_
