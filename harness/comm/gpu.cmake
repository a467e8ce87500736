# NCCL and single-GPU emulation backends and the GPU launchers (included from harness/).
target_sources(bb_harness PRIVATE
  ${CMAKE_CURRENT_SOURCE_DIR}/comm/nccl_comm.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/comm/emulate_comm.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/comm/gpu_launch.cpp)
