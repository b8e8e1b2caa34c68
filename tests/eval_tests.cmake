# Retrieval metrics, DSL and QB-Norm re-ranking, blockwise evaluation
# (worker/eval, torch-free) and the `camoe metrics` command.
camoe_add_test(eval_test
  SOURCES eval_metrics_test.cc eval_ranking_test.cc eval_blockwise_test.cc eval_csv_test.cc
  LIBS camoe_eval)

camoe_add_test(eval_python_test
  SOURCES eval_python_test.cc
  LIBS camoe_eval
  LABELS python)

camoe_add_test(eval_cli_test
  SOURCES eval_cli_test.cc
  LIBS camoe_cli_runner)
add_dependencies(eval_cli_test camoe)

# Not a test: times a 100k x 100k evaluation from a synthetic source
# (docs/metrics.md has the figures and the command).
add_executable(eval_bench eval_bench.cc)
target_link_libraries(eval_bench PRIVATE camoe_eval camoe_common Threads::Threads)
