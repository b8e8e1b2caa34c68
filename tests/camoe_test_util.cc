#include "tests/camoe_test_util.h"

namespace camoe::testing {

ClipConfig TinyCamoeClip() {
  ClipConfig c;
  c.set_embed_dim(32);
  c.mutable_vision()->set_image_resolution(32);
  c.mutable_vision()->set_patch_size(16);
  c.mutable_vision()->set_width(64);
  c.mutable_vision()->set_layers(1);
  c.mutable_vision()->set_heads(2);
  c.mutable_text()->set_context_length(16);
  c.mutable_text()->set_width(64);
  c.mutable_text()->set_layers(1);
  c.mutable_text()->set_heads(2);
  return c;
}

CamoeConfig TinyCamoeHeads(MoeVariant variant, SentenceStrategy sentence, int frames) {
  CamoeConfig c;
  c.set_variant(variant);
  c.set_sentence(sentence);
  c.set_max_frames(frames);
  c.mutable_entity_expert()->set_attention_heads(4);
  c.mutable_action_expert()->set_attention_heads(4);
  c.mutable_fusion_expert()->set_se_reduction(2);
  c.mutable_gate_input()->set_se_reduction(2);
  return c;
}

VideoInput RandomVideos(int64_t batch, int64_t frames, int64_t resolution, uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  VideoInput v;
  v.frames = torch::randn({batch, frames, 3, resolution, resolution}, gen);
  v.frame_mask = torch::ones({batch, frames}, torch::kBool);
  for (int64_t b = 1; b < batch; b += 2) v.frame_mask[b][frames - 1] = false;
  return v;
}

TextInput RandomTexts(int64_t batch, int64_t length, uint64_t seed) {
  auto gen = at::detail::createCPUGenerator(seed);
  TextInput t;
  t.tokens = torch::zeros({batch, length}, torch::kLong);
  t.entity_keep = torch::zeros({batch, length}, torch::kBool);
  t.action_keep = torch::zeros({batch, length}, torch::kBool);
  t.entity_tokens = torch::zeros({batch, length}, torch::kLong);
  t.action_tokens = torch::zeros({batch, length}, torch::kLong);
  t.has_entity = torch::ones({batch}, torch::kBool);
  t.has_action = torch::ones({batch}, torch::kBool);
  for (int64_t b = 0; b < batch; ++b) {
    const int64_t words = 3 + b % 4;  // 3..6 words, EOT at words + 1 < length
    t.tokens[b][0] = 49406;
    for (int64_t w = 1; w <= words; ++w) {
      t.tokens[b][w] = torch::randint(1, 49000, {1}, gen).item<int64_t>();
    }
    t.tokens[b][words + 1] = 49407;
    for (auto* keep : {&t.entity_keep, &t.action_keep}) {
      (*keep)[b][0] = true;
      (*keep)[b][words + 1] = true;
    }
    t.entity_keep[b][1] = true;
    t.action_keep[b][2] = true;
    // RKW: "SOT keyword EOT"
    t.entity_tokens[b][0] = 49406;
    t.entity_tokens[b][1] = t.tokens[b][1];
    t.entity_tokens[b][2] = 49407;
    t.action_tokens[b][0] = 49406;
    t.action_tokens[b][1] = t.tokens[b][2];
    t.action_tokens[b][2] = 49407;
  }
  return t;
}

}  // namespace camoe::testing
