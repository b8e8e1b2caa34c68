# worker/video: FFmpeg decoding and sampling, the writer, bad files, the
# synthetic dataset and the `camoe frames` / `camoe make-synthetic` commands.
add_library(camoe_video_test_util video_test_util.cc)
target_link_libraries(camoe_video_test_util PUBLIC camoe_video camoe_image)

camoe_add_test(video_test
  SOURCES video_decode_test.cc video_frame_selection_test.cc video_writer_test.cc
          video_bad_files_test.cc video_benchmark_test.cc
  LIBS camoe_video camoe_video_test_util)

camoe_add_test(synthetic_test
  SOURCES synthetic_dataset_test.cc
  LIBS camoe_video camoe_video_test_util protobuf::libprotobuf)

# The commands, in-process (camoe_cli pulls in the model library's link).
camoe_add_test(video_cli_test
  SOURCES video_cli_test.cc
  LIBS camoe_cli_runner camoe_video camoe_video_test_util camoe_image)
