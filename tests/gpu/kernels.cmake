# CUDA kernel and CUDA Device tests (label "gpu"); they skip with a message where no GPU is present.
if(BB_HAVE_CUDA)
  add_executable(test_kernels ${CMAKE_CURRENT_SOURCE_DIR}/gpu/test_kernels.cpp)
  target_link_libraries(test_kernels PRIVATE bb_harness bb_kernels_host GTest::gtest GTest::gtest_main)
  gtest_discover_tests(test_kernels DISCOVERY_MODE PRE_TEST PROPERTIES LABELS "gpu")
endif()
