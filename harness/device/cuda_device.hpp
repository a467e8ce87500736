#pragma once
// The CUDA Device: one rank's GPU memory, its own stream, and the kernels of kernels/cuda.
// Built only with CUDA (harness/device/cuda_device.cu).
#include <memory>

#include "device/device.hpp"

namespace bb {

// A device on GPU `ordinal` with a fresh non-blocking stream. Several may share one GPU (the
// emulation backend gives each virtual rank its own). Throws Error("no_gpu") when unusable.
std::unique_ptr<Device> make_cuda_device(int ordinal);

}  // namespace bb
