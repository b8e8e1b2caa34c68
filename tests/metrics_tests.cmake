# The coordinator's Prometheus exporter (coordinator/metrics) and the deploy/
# files that use it: promtool checks, alert rule unit tests, the Grafana
# dashboard's queries against the exported names. `prometheus` marks the test
# that runs a real Prometheus server (skips without /usr/bin/prometheus).
add_library(camoe_metrics_test_util metrics_test_util.cc)
target_link_libraries(camoe_metrics_test_util
  PUBLIC camoe_common absl::status absl::statusor
  PRIVATE absl::strings)

camoe_add_test(metrics_test
  SOURCES metrics_exporter_test.cc metrics_deploy_test.cc
  LIBS camoe_metrics_exporter camoe_metrics_test_util Threads::Threads)

camoe_add_test(metrics_prometheus_test
  SOURCES metrics_prometheus_test.cc
  LIBS camoe_metrics_exporter camoe_metrics_test_util
  LABELS prometheus)
