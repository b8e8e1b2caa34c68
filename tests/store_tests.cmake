# The coordinator's SQLite store (coordinator/store): jobs, metrics, events,
# workers, counters, migrations, durability under SIGKILL, threads.
find_package(SQLite3 REQUIRED)  # the tests inspect and tamper with the file directly
camoe_add_test(store_test
  SOURCES store_jobs_test.cc store_metrics_test.cc store_durability_test.cc store_test_util.cc
  LIBS camoe_store SQLite::SQLite3 Threads::Threads)

# Not a test: times storing and reading back step reports (docs/store.md has
# the figures and the command).
add_executable(store_bench store_bench.cc)
target_link_libraries(store_bench PRIVATE camoe_store camoe_common)
