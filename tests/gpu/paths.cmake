# NCCL paths and the GEMM load on a GPU (NCCL world 1); skips without a GPU.
if(BB_HAVE_CUDA)
  add_executable(test_paths_gpu ${CMAKE_CURRENT_SOURCE_DIR}/gpu/test_paths_gpu.cpp)
  target_link_libraries(test_paths_gpu PRIVATE bb_harness GTest::gtest GTest::gtest_main)
  gtest_discover_tests(test_paths_gpu DISCOVERY_TIMEOUT 60 PROPERTIES LABELS "gpu" RUN_SERIAL TRUE)
endif()
