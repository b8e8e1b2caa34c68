# The job report of `camoe report` (coordinator/report, torch-free): the SVG
# chart helper, the page, and screenshots with headless Chromium (label
# `browser`; skips without /usr/bin/chromium).
add_library(camoe_report_test_util report_test_util.cc)
target_link_libraries(camoe_report_test_util PUBLIC camoe_proto camoe_test_support)

camoe_add_test(report_test
  SOURCES report_chart_test.cc report_test.cc
  LIBS camoe_report camoe_report_test_util)

camoe_add_test(report_browser_test
  SOURCES report_browser_test.cc
  LIBS camoe_report camoe_report_test_util
  LABELS browser)
