# worker/text: the CLIP BPE tokenizer. tokenizer_test needs the BPE merges
# (scripts/fetch-assets.sh) and fails, saying so, without them. The `python`
# test re-runs tests/reference/clip_tokenizer_ref.py (Debian's python3-regex)
# to show that the committed golden ids are reproducible; it skips without it.
camoe_add_test(text_test
  SOURCES html_unescape_test.cc tokenizer_text_test.cc
  LIBS camoe_text GTest::gmock)

camoe_add_test(tokenizer_test
  SOURCES tokenizer_test.cc tokenizer_test_util.cc
  LIBS camoe_text GTest::gmock)

camoe_add_test(tokenizer_python_test
  SOURCES tokenizer_python_test.cc tokenizer_test_util.cc
  LIBS camoe_text
  LABELS python)
