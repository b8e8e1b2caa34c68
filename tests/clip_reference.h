// An independent CLIP forward pass for tests: plain ATen ops over a name ->
// tensor map in OpenAI's layout, written separately from worker/model (no
// modules, sequence-first layout, an explicit loop over heads, patches cut with
// reshapes instead of a convolution). Agreement with ClipModel within 1e-5 is
// evidence that both follow OpenAI's semantics.
#ifndef CAMOE_TESTS_CLIP_REFERENCE_H_
#define CAMOE_TESTS_CLIP_REFERENCE_H_

#include <torch/torch.h>

#include <map>
#include <string>

namespace camoe::testing {

using WeightMap = std::map<std::string, at::Tensor>;

// images [B, 3, R, R] -> [B, D]; `heads` of the vision tower.
at::Tensor ReferenceEncodeImage(const WeightMap& w, const at::Tensor& images, int64_t heads);

// tokens [B, L] int64 -> [B, D]; `heads` of the text tower.
at::Tensor ReferenceEncodeText(const WeightMap& w, const at::Tensor& tokens, int64_t heads);

}  // namespace camoe::testing

#endif  // CAMOE_TESTS_CLIP_REFERENCE_H_
