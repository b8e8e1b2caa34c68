# camoe-worker agents against a real coordinator over gRPC: in-process (agents
# as threads, gangs over ThreadWorlds).
camoe_add_test(agent_test
  SOURCES agent_test.cc
  LIBS camoe_agent camoe_coordinator_service camoe_coordinator_core camoe_store
       camoe_trainer_test_util)

# The real binaries: camoe-coordinator, `mpirun -np 2 camoe-worker`, a gRPC
# client; restart under a running pool, cancel, SIGTERM.
camoe_add_test(service_e2e_test
  SOURCES service_e2e_test.cc
  LIBS camoe_proto camoe_trainer_test_util camoe_metrics_test_util
  LABELS mpi)
target_compile_definitions(service_e2e_test PRIVATE CAMOE_MPIRUN="${CAMOE_MPIRUN}")
add_dependencies(service_e2e_test camoe-coordinator camoe-worker)
