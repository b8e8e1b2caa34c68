# The CAMoE heads, text streams, losses and precision.
add_library(camoe_test_util camoe_test_util.cc)
target_link_libraries(camoe_test_util PUBLIC camoe_camoe)
target_precompile_headers(camoe_test_util REUSE_FROM camoe_model)

camoe_add_test(camoe_model_test
  SOURCES camoe_model_test.cc
  LIBS camoe_test_util)
target_precompile_headers(camoe_model_test REUSE_FROM camoe_model)

camoe_add_test(camoe_loss_test
  SOURCES camoe_loss_test.cc
  LIBS camoe_test_util)
target_precompile_headers(camoe_loss_test REUSE_FROM camoe_model)
