#pragma once
// Every CUDA call is checked; a failure throws bb::Error("cuda_error", "<call>: <reason> at file:line").
#include <cuda_runtime.h>

#include <string>

#include "core/error.hpp"

namespace bb {

[[noreturn]] inline void cuda_fail(cudaError_t e, const char* call, const char* file, int line) {
  throw Error("cuda_error", std::string(call) + ": " + cudaGetErrorString(e) + " at " + file + ":" +
                                std::to_string(line));
}

}  // namespace bb

#define BB_CUDA(call)                                                  \
  do {                                                                 \
    cudaError_t bb_err_ = (call);                                      \
    if (bb_err_ != cudaSuccess) ::bb::cuda_fail(bb_err_, #call, __FILE__, __LINE__); \
  } while (0)

// After a launch: launch-configuration errors surface here, named after the kernel, not at the
// next unrelated call.
#define BB_CUDA_LAUNCHED(what)                                                      \
  do {                                                                              \
    cudaError_t bb_err_ = cudaGetLastError();                                       \
    if (bb_err_ != cudaSuccess) ::bb::cuda_fail(bb_err_, "launch of " what, __FILE__, __LINE__); \
  } while (0)
