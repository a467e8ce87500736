#pragma once
// A compute-bound bf16 GEMM load (cuBLAS) on its own stream of one GPU, to measure what a bridge
// costs the model it shares the GPU with. Knows nothing of ranks or of the bridge: a caller
// starts it, runs whatever it wants on other streams, and stops it; the load says how many
// GEMM FLOPs it got through in that window. Built only with CUDA (harness/measure/gpu.cmake).
#include <atomic>
#include <cstdint>
#include <exception>
#include <memory>
#include <string>
#include <thread>
#include <vector>

namespace bb {

struct GemmStats {
  double gemms = 0;      // GEMMs completed in the window (the one cut by the window's end counted pro rata)
  double window_ms = 0;  // from the first GEMM's start to stop()
  double tflops = 0;     // gemms * 2 n^3 / window
};

class GemmLoad {
 public:
  // n x n x n bf16 GEMMs (fp32 accumulation, bf16 output) on CUDA device `ordinal`; `depth`
  // GEMMs queued ahead at most, so stop() ends the load within a few GEMMs.
  explicit GemmLoad(int ordinal, int64_t n = 8192, int depth = 3);
  ~GemmLoad();
  GemmLoad(const GemmLoad&) = delete;
  GemmLoad& operator=(const GemmLoad&) = delete;

  int64_t n() const { return n_; }
  // Runs the exact case (m x n x k small, values in {-1,0,1}, k <= 256) through the same cuBLAS
  // call and types as the load and compares with the host product (measure/gemm_reference.hpp).
  // Returns the number of wrong elements; `first` describes the first.
  int64_t check_exact(int64_t m, int64_t n, int64_t k, std::string* first);
  // GEMMs back to back from a host thread until stop(). Throws if already running.
  void start();
  GemmStats stop();
  // The load alone for at least `ms` (nothing else should run on the GPU).
  GemmStats run_alone(double ms);

 private:
  void gemm(const void* a, const void* b, void* c, int64_t m, int64_t n, int64_t k);
  void feed();

  int ordinal_;
  int64_t n_;
  int depth_;
  void* stream_ = nullptr;   // cudaStream_t
  void* marker_ = nullptr;   // cudaStream_t: stamps the window's end while GEMMs still queue
  void* handle_ = nullptr;   // cublasHandle_t
  void* a_ = nullptr;
  void* b_ = nullptr;
  void* c_ = nullptr;
  void* start_ev_ = nullptr;
  std::vector<void*> ends_;  // per GEMM of the window, its end event (cudaEvent_t)
  std::vector<void*> pool_;  // recycled events
  std::thread feeder_;
  std::atomic<bool> stop_{false};
  std::exception_ptr error_;
  bool running_ = false;
};

}  // namespace bb
