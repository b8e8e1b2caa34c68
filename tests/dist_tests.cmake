# Communicators and data-parallel gradients.
camoe_add_test(comm_test
  SOURCES comm_test.cc
  LIBS camoe_comm)

camoe_add_test(dist_grad_test
  SOURCES dist_grad_test.cc
  LIBS camoe_dist camoe_test_util)
target_precompile_headers(dist_grad_test REUSE_FROM camoe_model)

# MPI across real processes: mpirun starts 3 ranks of one gtest binary.
find_program(CAMOE_MPIRUN mpirun)
add_executable(mpi_comm_test mpi_comm_test.cc)
target_link_libraries(mpi_comm_test PRIVATE camoe_comm camoe_test_support GTest::gtest)
if(CAMOE_MPIRUN)
  add_test(NAME MpiCommunicator.ThreeProcesses
           COMMAND ${CAMOE_MPIRUN} --allow-run-as-root --oversubscribe -np 3
                   $<TARGET_FILE:mpi_comm_test>)
  set_tests_properties(MpiCommunicator.ThreeProcesses PROPERTIES TIMEOUT 180 LABELS mpi)
endif()

# NCCL: built with the CUDA toolkit; device tests skip without a GPU.
if(TARGET camoe_nccl)
  camoe_add_test(nccl_test
    SOURCES nccl_test.cc
    LIBS camoe_nccl CUDA::cudart
    LABELS gpu)
endif()
