target_sources(bb_gpu PRIVATE ${CMAKE_CURRENT_SOURCE_DIR}/results/gpu_env.cpp)
