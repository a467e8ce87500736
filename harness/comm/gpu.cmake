# NCCL and single-GPU emulation backends and the GPU launchers (included from harness/).
target_sources(bb_gpu PRIVATE
  ${CMAKE_CURRENT_SOURCE_DIR}/comm/nccl_comm.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/comm/emulate_comm.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/comm/gpu_launch.cpp)
# The backends use the Rendezvous and error types of bb_harness, which links bb_gpu: a cycle of
# static libraries, which CMake resolves by repeating them on the link line.
target_link_libraries(bb_gpu PUBLIC bb_harness)
