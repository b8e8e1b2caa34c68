// Turns loader output (uint8 frames, frame masks) and precomputed caption
// streams into the model's input tensors: frames normalised with CLIP's mean
// and standard deviation into [B, C, 3, S, S] float, keyword masks and RKW
// sentences as in worker/pos. Stateless; thread-safe.
#ifndef CAMOE_WORKER_TRAIN_BATCH_TENSORS_H_
#define CAMOE_WORKER_TRAIN_BATCH_TENSORS_H_

#include <torch/torch.h>

#include <vector>

#include "worker/camoe/camoe_model.h"
#include "worker/loader/batch_loader.h"
#include "worker/pos/caption_streams.h"

namespace camoe {

// Frames of `batch` (uint8 [B, C, S, S, 3]) as a normalised float VideoInput on `device`.
VideoInput MakeVideoInput(const data::LoadedBatch& batch, const torch::Device& device);

// The text streams of `captions` (indices into `streams`) on `device`.
TextInput MakeTextInput(const std::vector<CaptionStreams>& streams,
                        const std::vector<int32_t>& captions, const torch::Device& device);

}  // namespace camoe

#endif  // CAMOE_WORKER_TRAIN_BATCH_TENSORS_H_
