# worker/data: annotation readers and loaders (on the hand-written fixtures in
# tests/data/datasets), samplers and views, the frame cache, DataConfig
# validation. data_real_files_test reads the real annotation files in the
# shared folder in place and skips, saying so, without it.
camoe_add_test(data_test
  SOURCES data_readers_test.cc data_datasets_test.cc data_sampling_test.cc
          data_frame_cache_test.cc data_config_test.cc
  LIBS camoe_data GTest::gmock)

camoe_add_test(data_real_files_test
  SOURCES data_real_files_test.cc
  LIBS camoe_data GTest::gmock)
