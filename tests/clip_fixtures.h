// Test fixtures for CLIP weight files, built in C++: random OpenAI-layout
// weights, written as a TorchScript archive (like OpenAI's release, optionally
// fp16, with its input_resolution/context_length/vocab_size entries and the
// text blocks' attn_mask) or as a torch.save-style zip of a dict.
#ifndef CAMOE_TESTS_CLIP_FIXTURES_H_
#define CAMOE_TESTS_CLIP_FIXTURES_H_

#include <string>

#include "camoe/config.pb.h"
#include "worker/model/clip_encoder.h"
#include "tests/clip_reference.h"

namespace camoe::testing {

// A small CLIP: width 64 and 2 heads per tower (head size 32), 2 layers,
// 32 px images, the full 49408-token vocabulary.
ClipConfig TinyClipConfig();

// Random weights for `config`, OpenAI names, fp32, reproducible from `seed`.
WeightMap RandomClipWeights(const ClipConfig& config, uint64_t seed);

// Writes `weights` as a TorchScript archive with OpenAI's module structure.
void WriteTorchScriptArchive(const std::string& path, const WeightMap& weights, bool fp16,
                             const ClipConfig& config);

// Writes `weights` as torch::pickle_save of a dict (a zip that torch.load reads).
void WriteTorchSaveZip(const std::string& path, const WeightMap& weights);

// `weights` rounded through fp16, as fp32 (what loading an fp16 archive yields).
WeightMap RoundedToHalf(const WeightMap& weights);

// A [rows, cols] tensor as a FloatMatrix.
FloatMatrix ToMatrix(const at::Tensor& t);

// Largest absolute elementwise difference; infinity if the shapes differ.
double MaxAbsDiff(const FloatMatrix& a, const FloatMatrix& b);

}  // namespace camoe::testing

#endif  // CAMOE_TESTS_CLIP_FIXTURES_H_
