# CUPTI overhead on a bridge-like loop (reports/cupti_overhead.md). Included from bench/.
if(BB_HAVE_CUDA)
  add_executable(cupti_overhead ${CMAKE_CURRENT_SOURCE_DIR}/cupti_overhead.cu)
  target_link_libraries(cupti_overhead PRIVATE bb_harness)
endif()
