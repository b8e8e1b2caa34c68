# worker/image: decoding, CLIP preprocessing and the shape renderer. The
# Pillow comparison needs Debian's python3-pil and python3-numpy (label
# `python`; it skips with a message without them).
camoe_add_test(image_test
  SOURCES image_decode_test.cc image_preprocess_test.cc image_shapes_test.cc
  LIBS camoe_image PkgConfig::STB GTest::gmock)

camoe_add_test(image_reference_test
  SOURCES image_reference_test.cc
  LIBS camoe_image PkgConfig::STB
  LABELS python)
