# Interval union: pure host logic, runs everywhere (no gpu label).
add_executable(test_interval_union ${CMAKE_CURRENT_SOURCE_DIR}/test_interval_union.cpp)
target_include_directories(test_interval_union PRIVATE ${PROJECT_SOURCE_DIR}/harness)
target_link_libraries(test_interval_union PRIVATE GTest::gtest_main)
gtest_discover_tests(test_interval_union)

# CUPTI on a real GPU; skips with a message where there is none.
if(BB_HAVE_CUDA)
  add_executable(test_cupti ${CMAKE_CURRENT_SOURCE_DIR}/gpu/test_cupti.cu)
  target_link_libraries(test_cupti PRIVATE bb_harness GTest::gtest_main Threads::Threads)
  gtest_discover_tests(test_cupti PROPERTIES LABELS gpu DISCOVERY_MODE PRE_TEST)
endif()
