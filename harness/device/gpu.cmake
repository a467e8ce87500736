# The CUDA Device (included from harness/CMakeLists.txt, so paths are relative to harness/).
target_sources(bb_harness PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/device/cuda_device.cu)
