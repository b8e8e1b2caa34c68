// Shared helpers for the CAMoE tests: a tiny CLIP + CAMoE config and random
// batches with keyword masks laid out as worker/pos builds them.
#ifndef CAMOE_TESTS_CAMOE_TEST_UTIL_H_
#define CAMOE_TESTS_CAMOE_TEST_UTIL_H_

#include <torch/torch.h>

#include "camoe/config.pb.h"
#include "worker/camoe/camoe_model.h"

namespace camoe::testing {

// CLIP with 32 px images, 16-token context, width 64, embed 32; CAMoE with
// `frames` max frames and 4-head self-attention experts.
ClipConfig TinyCamoeClip();
CamoeConfig TinyCamoeHeads(MoeVariant variant = MOE_SINGLE_GATE,
                           SentenceStrategy sentence = SENTENCE_MUW, int frames = 4);

// A batch of `batch` videos with `frames` frames; video b has frames - (b % 2)
// real frames (odd videos end with one padding frame).
VideoInput RandomVideos(int64_t batch, int64_t frames, int64_t resolution, uint64_t seed);

// Captions "SOT w1 .. wn EOT 0..": word 1 an entity keyword, word 2 an action
// keyword (except where noted), RKW sentences built from them.
TextInput RandomTexts(int64_t batch, int64_t length, uint64_t seed);

}  // namespace camoe::testing

#endif  // CAMOE_TESTS_CAMOE_TEST_UTIL_H_
