# worker/pos: part-of-speech tagging (link-grammar) and CAMoE's text streams.
# pos_tagger_test and pos_accuracy_test need link-grammar's English dictionary
# (link-grammar-dictionaries-en, a build dependency); pos_streams_test and
# pos_accuracy_test need the BPE merges (scripts/fetch-assets.sh) and skip,
# saying so, without them. pos_cli_test runs `camoe pos` in process.
camoe_add_test(pos_rules_test
  SOURCES pos_word_class_test.cc pos_tag_cache_test.cc
  LIBS camoe_pos)

camoe_add_test(pos_tagger_test
  SOURCES pos_tagger_test.cc
  LIBS camoe_pos)

camoe_add_test(pos_streams_test
  SOURCES pos_streams_test.cc
  LIBS camoe_pos camoe_text)

camoe_add_test(pos_accuracy_test
  SOURCES pos_accuracy_test.cc
  LIBS camoe_pos camoe_text)

camoe_add_test(pos_cli_test
  SOURCES pos_cli_test.cc
  LIBS camoe_cli_runner camoe_pos)
