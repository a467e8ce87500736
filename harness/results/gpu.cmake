target_sources(bb_harness PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/results/gpu_env.cpp)
