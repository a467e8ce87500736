# Communicator tests (included from tests/CMakeLists.txt).
# test_host_comm: the host backend alone; no GPU, no "gpu" label: it runs in CI.
add_executable(test_host_comm ${CMAKE_CURRENT_SOURCE_DIR}/test_host_comm.cpp)
target_link_libraries(test_host_comm PRIVATE bb_harness GTest::gtest_main)
gtest_discover_tests(test_host_comm DISCOVERY_MODE PRE_TEST PROPERTIES TIMEOUT 120)

# test_comm: NCCL (world 1) and emulation (2..16 virtual ranks) against the host backend. Each
# test skips with "no CUDA GPU: ..." where there is none.
add_executable(test_comm ${CMAKE_CURRENT_SOURCE_DIR}/gpu/test_comm.cpp)
target_link_libraries(test_comm PRIVATE bb_harness GTest::gtest_main)
if(BB_HAVE_CUDA)
  target_link_libraries(test_comm PRIVATE CUDA::cudart)
endif()
gtest_discover_tests(test_comm DISCOVERY_MODE PRE_TEST PROPERTIES LABELS gpu TIMEOUT 300)

# The same binary under mpirun: the NCCL tests then take the MPI launcher.
if(BB_HAVE_MPI AND MPIEXEC_EXECUTABLE)
  add_test(NAME comm_nccl_mpi_np1
           COMMAND ${MPIEXEC_EXECUTABLE} -np 1 --allow-run-as-root --oversubscribe
                   $<TARGET_FILE:test_comm> --gtest_filter=NcclComm.*)
  set_tests_properties(comm_nccl_mpi_np1 PROPERTIES LABELS gpu TIMEOUT 300)
endif()
