# worker/loader: FrameSource and the frame cache round trip, `camoe
# cache-frames` (parallel, resumable, bad files), BatchLoader (order,
# prefetch bound, dropped samples, masks, stats) and `camoe dataset-stats`.
# Tiny generated clips keep the suite at a few seconds on 2 cores.
camoe_add_test(loader_test
  SOURCES loader_test_util.cc loader_frame_cache_test.cc loader_cache_frames_test.cc
          loader_batch_test.cc loader_dataset_stats_test.cc
  LIBS camoe_loader camoe_cli_runner camoe_text camoe_video_test_util GTest::gmock)

# Not a test: times reading a dataset from the frame cache or by decoding
# (docs/data.md has the figures and the commands).
add_executable(loader_bench loader_bench.cc)
target_link_libraries(loader_bench PRIVATE camoe_loader camoe_common)
