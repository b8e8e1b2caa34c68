#include "worker/train/batch_tensors.h"

#include <cstring>

namespace camoe {
namespace {

// CLIP's normalisation constants (docs/images.md).
constexpr float kMean[3] = {0.48145466f, 0.4578275f, 0.40821073f};
constexpr float kStd[3] = {0.26862954f, 0.26130258f, 0.27577711f};

torch::Tensor Rows(const std::vector<CaptionStreams>& streams, const std::vector<int32_t>& captions,
                   std::vector<int32_t> CaptionStreams::*field) {
  const int64_t n = static_cast<int64_t>(captions.size());
  const int64_t width = n > 0 ? static_cast<int64_t>((streams[captions[0]].*field).size()) : 0;
  torch::Tensor out = torch::zeros({n, width}, torch::kInt64);
  auto acc = out.accessor<int64_t, 2>();
  for (int64_t i = 0; i < n; ++i) {
    const auto& row = streams[captions[i]].*field;
    for (int64_t j = 0; j < width && j < static_cast<int64_t>(row.size()); ++j) acc[i][j] = row[j];
  }
  return out;
}

torch::Tensor Masks(const std::vector<CaptionStreams>& streams, const std::vector<int32_t>& captions,
                    std::vector<uint8_t> CaptionStreams::*field) {
  const int64_t n = static_cast<int64_t>(captions.size());
  const int64_t width = n > 0 ? static_cast<int64_t>((streams[captions[0]].*field).size()) : 0;
  torch::Tensor out = torch::zeros({n, width}, torch::kBool);
  auto acc = out.accessor<bool, 2>();
  for (int64_t i = 0; i < n; ++i) {
    const auto& row = streams[captions[i]].*field;
    for (int64_t j = 0; j < width && j < static_cast<int64_t>(row.size()); ++j) acc[i][j] = row[j] != 0;
  }
  return out;
}

}  // namespace

VideoInput MakeVideoInput(const data::LoadedBatch& batch, const torch::Device& device) {
  const int64_t n = static_cast<int64_t>(batch.samples.size());
  const int64_t c = batch.frames, s = batch.size;
  torch::Tensor host = torch::from_blob(const_cast<uint8_t*>(batch.pixels.data()),
                                        {n, c, s, s, 3}, torch::kUInt8);
  // On a GPU, copy from pinned memory without blocking the host; the frames
  // are normalised on the device.
  torch::Tensor pixels = device.is_cuda()
                             ? host.pin_memory().to(device, /*non_blocking=*/true)
                             : host.clone();
  torch::Tensor mean = torch::tensor({kMean[0], kMean[1], kMean[2]}).to(device).view({1, 1, 3, 1, 1});
  torch::Tensor std = torch::tensor({kStd[0], kStd[1], kStd[2]}).to(device).view({1, 1, 3, 1, 1});
  VideoInput input;
  input.frames = (pixels.permute({0, 1, 4, 2, 3}).to(torch::kFloat32) / 255.0 - mean) / std;
  input.frame_mask = torch::from_blob(const_cast<uint8_t*>(batch.frame_mask.data()), {n, c},
                                      torch::kUInt8)
                         .to(device, /*non_blocking=*/false, /*copy=*/true)
                         .to(torch::kBool);
  return input;
}

TextInput MakeTextInput(const std::vector<CaptionStreams>& streams,
                        const std::vector<int32_t>& captions, const torch::Device& device) {
  TextInput input;
  input.tokens = Rows(streams, captions, &CaptionStreams::tokens).to(device);
  input.entity_keep = Masks(streams, captions, &CaptionStreams::entity_keep).to(device);
  input.action_keep = Masks(streams, captions, &CaptionStreams::action_keep).to(device);
  input.entity_tokens = Rows(streams, captions, &CaptionStreams::entity_sentence).to(device);
  input.action_tokens = Rows(streams, captions, &CaptionStreams::action_sentence).to(device);
  const int64_t n = static_cast<int64_t>(captions.size());
  std::vector<uint8_t> entity(n), action(n);
  for (int64_t i = 0; i < n; ++i) {
    entity[i] = streams[captions[i]].has_entity;
    action[i] = streams[captions[i]].has_action;
  }
  input.has_entity = torch::from_blob(entity.data(), {n}, torch::kUInt8).to(device).to(torch::kBool);
  input.has_action = torch::from_blob(action.data(), {n}, torch::kUInt8).to(device).to(torch::kBool);
  return input;
}

}  // namespace camoe
