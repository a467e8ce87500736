# The bridge end to end on a GPU (emulation and NCCL world 1); skips without a GPU.
if(BB_HAVE_CUDA)
  add_executable(test_bridge_gpu ${CMAKE_CURRENT_SOURCE_DIR}/gpu/test_bridge_gpu.cpp)
  target_link_libraries(test_bridge_gpu PRIVATE bb_harness GTest::gtest GTest::gtest_main)
  gtest_discover_tests(test_bridge_gpu DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "gpu")
  if(BB_HAVE_MPI AND MPIEXEC_EXECUTABLE)
    add_test(NAME bridge_nccl_mpi_np1
             COMMAND ${MPIEXEC_EXECUTABLE} -np 1 --allow-run-as-root --oversubscribe
                     $<TARGET_FILE:test_bridge_gpu> --gtest_filter=NcclBridge.*)
    set_tests_properties(bridge_nccl_mpi_np1 PROPERTIES LABELS "gpu")
  endif()
endif()

# The timing method's fault-injection proof in emulation; runs alone (its medians are compared).
add_executable(test_skew_gpu ${CMAKE_CURRENT_SOURCE_DIR}/gpu/test_skew_gpu.cpp)
target_link_libraries(test_skew_gpu PRIVATE bb_harness GTest::gtest GTest::gtest_main)
gtest_discover_tests(test_skew_gpu DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "gpu" RUN_SERIAL TRUE)
