# The coordinator's domain and gRPC layer (coordinator/core, coordinator/service):
# the scheduler and spec validation as plain code with a FakeClock, the
# Coordinator over a file-backed store, and the services in-process over loopback.
add_library(camoe_coordinator_test_util coordinator_test_util.cc)
target_link_libraries(camoe_coordinator_test_util PUBLIC camoe_proto camoe_common)
target_include_directories(camoe_coordinator_test_util PUBLIC ${PROJECT_SOURCE_DIR})

camoe_add_test(scheduler_test
  SOURCES scheduler_test.cc validation_test.cc
  LIBS camoe_coordinator_core camoe_coordinator_test_util)

find_package(SQLite3 REQUIRED)  # coordinator_test locks the database from outside
camoe_add_test(coordinator_test
  SOURCES coordinator_test.cc
  LIBS camoe_coordinator_core camoe_store camoe_coordinator_test_util SQLite::SQLite3
       Threads::Threads)

camoe_add_test(coordinator_service_test
  SOURCES coordinator_service_test.cc
  LIBS camoe_coordinator_service camoe_coordinator_core camoe_store camoe_coordinator_test_util
       Threads::Threads)
