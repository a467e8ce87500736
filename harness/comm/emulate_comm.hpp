#pragma once
// Single-GPU emulation: N virtual ranks as threads on one GPU, each with its own Device (own
// stream) and buffers. Collectives are device-to-device copies ordered with CUDA events and a
// host rendezvous. Kernel timings are real; collective timings are copy-engine timings on one
// GPU, not NVLink timings (backend() is "emulate" so results say so).
// Built only with CUDA (harness/comm/gpu.cmake).
#include <memory>

#include "comm/comm.hpp"
#include "comm/rendezvous.hpp"
#include "device/device.hpp"

namespace bb {

class EmulateWorld {
 public:
  EmulateWorld(int size, double timeout_s);
  // `dev` must be a CUDA device (on the one GPU) that outlives the Comm and its splits.
  std::unique_ptr<Comm> comm(int rank, Device& dev);
  // Makes every waiting rank of the world throw at once (a peer failed).
  void abort(const std::string& why) { abort_->abort(why); }

 private:
  std::shared_ptr<AbortState> abort_;
  std::shared_ptr<Rendezvous> root_;
};

}  // namespace bb
