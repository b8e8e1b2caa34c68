# Weight files (torch-free) and the CLIP towers (torch).
camoe_add_test(weights_test
  SOURCES weights_test.cc
  LIBS camoe_weights)

camoe_add_test(clip_model_test
  SOURCES clip_model_test.cc clip_reference.cc clip_fixtures.cc
  LIBS camoe_model)
target_precompile_headers(clip_model_test PRIVATE <torch/torch.h>)

# Weight files written by PyTorch itself, against PyTorch's outputs.
camoe_add_test(clip_pytorch_test
  SOURCES clip_pytorch_test.cc clip_reference.cc clip_fixtures.cc
  LIBS camoe_model
  LABELS python)
target_precompile_headers(clip_pytorch_test REUSE_FROM clip_model_test)

# A ViT-B/32-sized forward: right shapes, runs once.
camoe_add_test(clip_vitb32_smoke_test
  SOURCES clip_vitb32_smoke_test.cc
  LIBS camoe_model
  LABELS slow)
