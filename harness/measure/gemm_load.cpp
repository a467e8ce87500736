#include "measure/gemm_load.hpp"

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <chrono>

#include "core/error.hpp"
#include "measure/gemm_reference.hpp"

namespace bb {
namespace {

void ck(cudaError_t e, const char* what) {
  if (e != cudaSuccess) throw Error("cuda_error", std::string("gemm load: ") + what + ": " + cudaGetErrorString(e));
}
void ck(cublasStatus_t s, const char* what) {
  if (s != CUBLAS_STATUS_SUCCESS)
    throw Error("cublas_error", std::string("gemm load: ") + what + ": " + cublasGetStatusString(s));
}
cudaStream_t S(void* p) { return static_cast<cudaStream_t>(p); }
cudaEvent_t E(void* p) { return static_cast<cudaEvent_t>(p); }

}  // namespace

GemmLoad::GemmLoad(int ordinal, int64_t n, int depth) : ordinal_(ordinal), n_(n), depth_(depth < 1 ? 1 : depth) {
  ck(cudaSetDevice(ordinal_), "cudaSetDevice");
  cudaStream_t s, m;
  ck(cudaStreamCreateWithFlags(&s, cudaStreamNonBlocking), "cudaStreamCreate");
  stream_ = s;
  ck(cudaStreamCreateWithFlags(&m, cudaStreamNonBlocking), "cudaStreamCreate");
  marker_ = m;
  cublasHandle_t h;
  ck(cublasCreate(&h), "cublasCreate");
  handle_ = h;
  ck(cublasSetStream(h, s), "cublasSetStream");
  const size_t bytes = size_t(n_) * size_t(n_) * 2;
  ck(cudaMalloc(&a_, bytes), "cudaMalloc A");
  ck(cudaMalloc(&b_, bytes), "cudaMalloc B");
  ck(cudaMalloc(&c_, bytes), "cudaMalloc C");
  // Finite, non-zero inputs (bf16 0x3C3C ~ 0.0115): sums of n of their products stay finite.
  ck(cudaMemsetAsync(a_, 0x3C, bytes, s), "cudaMemset A");
  ck(cudaMemsetAsync(b_, 0x3C, bytes, s), "cudaMemset B");
  cudaEvent_t e;
  ck(cudaEventCreate(&e), "cudaEventCreate");
  start_ev_ = e;
  ck(cudaStreamSynchronize(s), "cudaStreamSynchronize");
}

GemmLoad::~GemmLoad() {
  if (running_) {
    stop_ = true;
    if (feeder_.joinable()) feeder_.join();
  }
  // Errors can only be ignored here; every one was checked while running.
  if (stream_) cudaStreamSynchronize(S(stream_));
  for (void* e : ends_) cudaEventDestroy(E(e));
  for (void* e : pool_) cudaEventDestroy(E(e));
  if (start_ev_) cudaEventDestroy(E(start_ev_));
  if (handle_) cublasDestroy(static_cast<cublasHandle_t>(handle_));
  cudaFree(a_);
  cudaFree(b_);
  cudaFree(c_);
  if (marker_) cudaStreamDestroy(S(marker_));
  if (stream_) cudaStreamDestroy(S(stream_));
}

void GemmLoad::gemm(const void* a, const void* b, void* c, int64_t m, int64_t n, int64_t k) {
  const float alpha = 1.0f, beta = 0.0f;
  ck(cublasGemmEx(static_cast<cublasHandle_t>(handle_), CUBLAS_OP_N, CUBLAS_OP_N, int(m), int(n), int(k), &alpha, a,
                  CUDA_R_16BF, int(m), b, CUDA_R_16BF, int(k), &beta, c, CUDA_R_16BF, int(m), CUBLAS_COMPUTE_32F,
                  CUBLAS_GEMM_DEFAULT),
     "cublasGemmEx");
}

int64_t GemmLoad::check_exact(int64_t m, int64_t n, int64_t k, std::string* first) {
  if (running_) throw Error("gemm_busy", "check_exact while the load runs");
  ck(cudaSetDevice(ordinal_), "cudaSetDevice");
  const auto ha = gemm_exact_a_bf16(m, k), hb = gemm_exact_b_bf16(k, n);
  std::vector<uint16_t> hc(size_t(m * n), 0xFFFF);  // NaN poison: a skipped GEMM cannot pass
  void *a = nullptr, *b = nullptr, *c = nullptr;
  auto free_all = [&] { cudaFree(a); cudaFree(b); cudaFree(c); };
  try {
    ck(cudaMalloc(&a, ha.size() * 2), "cudaMalloc");
    ck(cudaMalloc(&b, hb.size() * 2), "cudaMalloc");
    ck(cudaMalloc(&c, hc.size() * 2), "cudaMalloc");
    ck(cudaMemcpyAsync(a, ha.data(), ha.size() * 2, cudaMemcpyHostToDevice, S(stream_)), "cudaMemcpy A");
    ck(cudaMemcpyAsync(b, hb.data(), hb.size() * 2, cudaMemcpyHostToDevice, S(stream_)), "cudaMemcpy B");
    ck(cudaMemcpyAsync(c, hc.data(), hc.size() * 2, cudaMemcpyHostToDevice, S(stream_)), "cudaMemcpy C");
    gemm(a, b, c, m, n, k);
    ck(cudaMemcpyAsync(hc.data(), c, hc.size() * 2, cudaMemcpyDeviceToHost, S(stream_)), "cudaMemcpy C back");
    ck(cudaStreamSynchronize(S(stream_)), "cudaStreamSynchronize");
  } catch (...) {
    free_all();
    throw;
  }
  free_all();
  return gemm_exact_mismatches(hc, m, n, k, first);
}

void GemmLoad::feed() {
  try {
    ck(cudaSetDevice(ordinal_), "cudaSetDevice (feeder)");
    size_t done = 0;  // ends_[done..] may still be queued
    while (!stop_.load()) {
      if (ends_.size() - done >= size_t(depth_)) {
        const cudaError_t q = cudaEventQuery(E(ends_[done]));
        if (q == cudaErrorNotReady) {
          std::this_thread::sleep_for(std::chrono::microseconds(50));
          continue;
        }
        ck(q, "cudaEventQuery");
        ++done;
        continue;
      }
      cudaEvent_t e;
      if (!pool_.empty()) {
        e = E(pool_.back());
        pool_.pop_back();
      } else {
        ck(cudaEventCreate(&e), "cudaEventCreate");
      }
      gemm(a_, b_, c_, n_, n_, n_);
      ck(cudaEventRecord(e, S(stream_)), "cudaEventRecord");
      ends_.push_back(e);
    }
  } catch (...) {
    error_ = std::current_exception();
  }
}

void GemmLoad::start() {
  if (running_) throw Error("gemm_busy", "gemm load already running");
  ck(cudaSetDevice(ordinal_), "cudaSetDevice");
  for (void* e : ends_) pool_.push_back(e);
  ends_.clear();
  error_ = nullptr;
  stop_ = false;
  ck(cudaEventRecord(E(start_ev_), S(stream_)), "cudaEventRecord start");
  running_ = true;
  feeder_ = std::thread([this] { feed(); });
}

GemmStats GemmLoad::stop() {
  if (!running_) throw Error("gemm_busy", "gemm load not running");
  ck(cudaSetDevice(ordinal_), "cudaSetDevice");
  // The window ends now, on the GPU: a marker on a stream of its own is stamped as soon as the
  // GPU reaches it, while the GEMMs already queued keep running past it.
  cudaEvent_t end;
  ck(cudaEventCreate(&end), "cudaEventCreate");
  stop_ = true;
  feeder_.join();
  running_ = false;
  GemmStats st;
  try {
    ck(cudaEventRecord(end, S(marker_)), "cudaEventRecord end");
    if (error_) std::rethrow_exception(error_);
    ck(cudaStreamSynchronize(S(stream_)), "cudaStreamSynchronize");
    ck(cudaEventSynchronize(end), "cudaEventSynchronize");
    float w = 0;
    ck(cudaEventElapsedTime(&w, E(start_ev_), end), "cudaEventElapsedTime");
    st.window_ms = w;
    float prev = 0;  // back to back: a GEMM starts where the one before it ended
    for (void* e : ends_) {
      float t = 0;
      ck(cudaEventElapsedTime(&t, E(start_ev_), E(e)), "cudaEventElapsedTime");
      if (t <= w) {
        st.gemms += 1;
      } else {
        if (prev < w && t > prev) st.gemms += double(w - prev) / double(t - prev);
        break;
      }
      prev = t;
    }
  } catch (...) {
    cudaEventDestroy(end);
    throw;
  }
  ck(cudaEventDestroy(end), "cudaEventDestroy");
  st.tflops = st.window_ms > 0 ? st.gemms * gemm_flops(n_, n_, n_) / (st.window_ms * 1e9) : 0;
  return st;
}

GemmStats GemmLoad::run_alone(double ms) {
  start();
  std::this_thread::sleep_for(std::chrono::microseconds(int64_t(ms * 1000)));
  return stop();
}

}  // namespace bb
