# The trainer end to end on a tiny synthetic dataset.
add_library(camoe_trainer_test_util trainer_test_util.cc)
target_link_libraries(camoe_trainer_test_util PUBLIC camoe_train camoe_video camoe_test_support)

camoe_add_test(trainer_test
  SOURCES trainer_test.cc
  LIBS camoe_trainer_test_util)

# Two real processes under mpirun against one process.
add_executable(trainer_mpi_test trainer_mpi_test.cc)
target_link_libraries(trainer_mpi_test PRIVATE camoe_trainer_test_util GTest::gtest)
if(CAMOE_MPIRUN)
  add_test(NAME TrainerMpi.TwoProcessesEqualOneProcess
           COMMAND ${CAMOE_MPIRUN} --allow-run-as-root --oversubscribe -np 2
                   $<TARGET_FILE:trainer_mpi_test>)
  set_tests_properties(TrainerMpi.TwoProcessesEqualOneProcess PROPERTIES TIMEOUT 600 LABELS mpi)
endif()

# The demo config learns (about two minutes on 2 cores).
camoe_add_test(demo_learns_test
  SOURCES demo_learns_test.cc
  LIBS camoe_train camoe_video
  LABELS slow)
