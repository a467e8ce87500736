# CUPTI per-phase GPU busy time (included from harness/CMakeLists.txt: paths are from harness/).
# Without libcupti the source still builds and start_gpu_activity() says why it returns nullptr.
find_path(CUPTI_INCLUDE_DIR cupti.h
          HINTS ${CUDAToolkit_INCLUDE_DIRS} ${CUDAToolkit_LIBRARY_ROOT}/extras/CUPTI/include)
target_sources(bb_harness PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/measure/cupti_activity.cpp)
# The toolkit include dir also carries NVTX3 (measure/nvtx.hpp); NVTX3 dlopens its tool.
target_include_directories(bb_harness PUBLIC ${CUDAToolkit_INCLUDE_DIRS})
target_link_libraries(bb_harness PUBLIC ${CMAKE_DL_LIBS})
if(CUPTI_LIBRARY AND CUPTI_INCLUDE_DIR)
  target_include_directories(bb_harness PRIVATE ${CUPTI_INCLUDE_DIR})
  target_link_libraries(bb_harness PUBLIC ${CUPTI_LIBRARY})
  set_source_files_properties(${CMAKE_CURRENT_SOURCE_DIR}/measure/cupti_activity.cpp
                              PROPERTIES COMPILE_DEFINITIONS BB_HAVE_CUPTI)
else()
  message(STATUS "bridgebench: CUPTI not found; GPU busy times will be null")
endif()
# The GEMM contention load (cuBLAS from the CUDA Toolkit).
target_sources(bb_harness PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/measure/gemm_load.cpp)
target_link_libraries(bb_harness PUBLIC CUDA::cublas)
