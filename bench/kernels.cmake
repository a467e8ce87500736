# Bandwidth of the CUDA kernels vs cudaMemcpy (include()d from bench/CMakeLists.txt).
if(BB_HAVE_CUDA)
  add_executable(bench_kernels ${CMAKE_CURRENT_SOURCE_DIR}/bench_kernels.cpp)
  target_link_libraries(bench_kernels PRIVATE bb_harness benchmark::benchmark)
endif()
