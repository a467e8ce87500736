// The CUDA Device: one rank's view of a GPU, with its own non-blocking stream (several Devices
// may share a GPU). Everything is stream-ordered; only verify, elapsed_ms and synchronize wait.
#include <cuda_runtime.h>

#include <algorithm>
#include <string>
#include <vector>

#include "check.cuh"
#include "comm/gpu_launch.hpp"
#include "cuda_kernels.cuh"
#include "device/cuda_device.hpp"

namespace bb {

int gpu_count_impl() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    cudaGetLastError();  // no driver or no GPU: clear the error so later calls do not see it
    return 0;
  }
  return n;
}

namespace {

class CudaDevice final : public Device {
 public:
  explicit CudaDevice(int ordinal) : ordinal_(ordinal) {
    const int n = gpu_count_impl();
    if (ordinal < 0 || ordinal >= n)
      throw Error("no_gpu", "CUDA device " + std::to_string(ordinal) + " requested, " + std::to_string(n) + " present");
    BB_CUDA(cudaSetDevice(ordinal_));
    BB_CUDA(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    BB_CUDA(cudaMalloc(&record_, sizeof(CudaVerifyRecord)));
    BB_CUDA(cudaMallocHost(&host_record_, sizeof(CudaVerifyRecord)));
    // The gate's flag and expiry counter live in mapped pinned memory: the host opens the gate
    // with a plain store, no stream operation (the stream is the thing being held).
    BB_CUDA(cudaHostAlloc(reinterpret_cast<void**>(&gate_), sizeof(GateWords), cudaHostAllocMapped));
    gate_->open = 0;
    gate_->expired = 0;
    BB_CUDA(cudaHostGetDevicePointer(reinterpret_cast<void**>(&gate_dev_), gate_, 0));
    // CUDA loads a kernel's module at its first launch (lazy loading), and a load waits for the
    // kernels already running: the first spin of a planted slowdown, queued behind a closed gate,
    // waited for the gate to expire (10 s, a config's times to distrust). Loaded here instead.
    cuda_spin_load();
  }
  ~CudaDevice() override {
    // No throwing from a destructor: errors here are dropped on purpose.
    cudaSetDevice(ordinal_);
    cudaStreamSynchronize(stream_);
    for (cudaGraphExec_t g : graphs_)
      if (g) cudaGraphExecDestroy(g);
    for (cudaEvent_t e : events_) cudaEventDestroy(e);
    cudaFree(record_);
    cudaFreeHost(host_record_);
    cudaFreeHost(gate_);
    if (spin_stream_) {
      cudaStreamSynchronize(spin_stream_);
      cudaEventDestroy(spin_fork_);
      cudaEventDestroy(spin_join_);
      cudaStreamDestroy(spin_stream_);
    }
    cudaStreamDestroy(stream_);
  }

  std::string kind() const override { return "cuda"; }
  int ordinal() const override { return ordinal_; }
  void* native_stream() override { return stream_; }
  int64_t memory_budget_bytes() const override {
    size_t free_b = 0, total_b = 0;
    cudaSetDevice(ordinal_);
    if (cudaMemGetInfo(&free_b, &total_b) != cudaSuccess) {
      cudaGetLastError();
      return -1;
    }
    return int64_t(free_b);
  }

  void* alloc(size_t bytes) override {
    use();
    void* p = nullptr;
    const cudaError_t e = cudaMalloc(&p, bytes);
    if (e != cudaSuccess) {
      cudaGetLastError();
      throw Error("out_of_memory", "cudaMalloc of " + std::to_string(bytes) + " bytes on GPU " +
                                       std::to_string(ordinal_) + " failed: " + cudaGetErrorString(e));
    }
    return p;
  }
  void release(void* p) override {
    use();
    BB_CUDA(cudaFree(p));
  }

  void copy(const std::vector<CopySegment>& segs) override {
    use();
    cuda_copy_segments(segs, stream_);
  }
  void fill(void* t, const PatternGeom& g, const std::vector<int64_t>& table) override {
    use();
    const int64_t* dt = upload(table);
    cuda_fill_pattern(t, g, dt, stream_);
    BB_CUDA(cudaFreeAsync(const_cast<int64_t*>(dt), stream_));
  }
  void poison(void* t, size_t bytes) override {
    use();
    BB_CUDA(cudaMemsetAsync(t, 0xff, bytes, stream_));
  }
  VerifyResult verify(const void* t, const PatternGeom& g, const std::vector<int64_t>& table) override {
    use();
    const int64_t* dt = upload(table);
    cuda_verify_pattern(t, g, dt, record_, stream_);
    BB_CUDA(cudaFreeAsync(const_cast<int64_t*>(dt), stream_));
    BB_CUDA(cudaMemcpyAsync(host_record_, record_, sizeof(CudaVerifyRecord), cudaMemcpyDeviceToHost, stream_));
    BB_CUDA(cudaStreamSynchronize(stream_));
    return to_verify_result(*host_record_);
  }
  void sum(void* dst, const std::vector<const void*>& srcs, int64_t count, DType t) override {
    use();
    cuda_sum(dst, srcs.data(), int(srcs.size()), count, int(t), stream_);
  }

  int mark() override {
    use();
    if (next_mark_ == events_.size()) {
      cudaEvent_t e;
      BB_CUDA(cudaEventCreate(&e));
      events_.push_back(e);
    }
    // Inside a capture the record must become a graph node that records at every replay.
    BB_CUDA(cudaEventRecordWithFlags(events_[next_mark_], stream_, capturing_ ? cudaEventRecordExternal : 0));
    return int(next_mark_++);
  }
  double elapsed_ms(int from, int to) override {
    use();
    if (from < 0 || to < 0 || size_t(from) >= next_mark_ || size_t(to) >= next_mark_)
      throw Error("bad_mark", "elapsed_ms(" + std::to_string(from) + ", " + std::to_string(to) + ") of " +
                                  std::to_string(next_mark_) + " marks");
    BB_CUDA(cudaEventSynchronize(events_[size_t(from)]));
    BB_CUDA(cudaEventSynchronize(events_[size_t(to)]));
    float ms = 0.f;
    BB_CUDA(cudaEventElapsedTime(&ms, events_[size_t(from)], events_[size_t(to)]));
    return ms;
  }
  void reset_marks() override { next_mark_ = 0; }  // the events are reused, not destroyed
  void wait_us(double us) override {
    use();
    // Made at the first call, not with the device: only a planted slowdown spins, and every
    // stream takes one of CUDA's hardware queues (CUDA_DEVICE_MAX_CONNECTIONS), which the ranks'
    // own streams need. The caller makes that first call before any gate (wait_us(0)).
    if (!spin_stream_) {
      int least = 0, greatest = 0;
      BB_CUDA(cudaDeviceGetStreamPriorityRange(&least, &greatest));
      BB_CUDA(cudaStreamCreateWithPriority(&spin_stream_, cudaStreamNonBlocking, greatest));
      BB_CUDA(cudaEventCreateWithFlags(&spin_fork_, cudaEventDisableTiming));
      BB_CUDA(cudaEventCreateWithFlags(&spin_join_, cudaEventDisableTiming));
    }
    const int64_t ns = int64_t(us * 1e3);
    if (ns <= 0) return;
    // The spin runs on a stream of the highest priority, forked from and joined back into this
    // rank's stream, so it stays stream-ordered between the marks around it. On the rank's own
    // stream its one block waited for a free SM behind every block other streams had queued
    // before it (blocks are dispatched oldest kernel first): on an H100 a 50 us spin beside
    // another stream's 0.9 ms copy took 756 us, this one 66 us (Gpu.WaitUsSpinsForItsLength-
    // BesideBusyStreams, reports/planted-h100-s7). A higher priority takes the next free slot.
    BB_CUDA(cudaEventRecord(spin_fork_, stream_));
    BB_CUDA(cudaStreamWaitEvent(spin_stream_, spin_fork_, 0));
    cuda_spin(ns, spin_stream_);
    BB_CUDA(cudaEventRecord(spin_join_, spin_stream_));
    BB_CUDA(cudaStreamWaitEvent(stream_, spin_join_, 0));
  }

  bool supports_graphs() const override { return true; }
  void begin_capture() override {
    use();
    // Thread-local: the other ranks' threads keep allocating and synchronizing meanwhile.
    BB_CUDA(cudaStreamBeginCapture(stream_, cudaStreamCaptureModeThreadLocal));
    capturing_ = true;
  }
  int end_capture() override {
    use();
    capturing_ = false;
    cudaGraph_t g = nullptr;
    BB_CUDA(cudaStreamEndCapture(stream_, &g));
    cudaGraphExec_t exec = nullptr;
    const cudaError_t e = cudaGraphInstantiate(&exec, g, 0);
    cudaGraphDestroy(g);
    BB_CUDA(e);
    graphs_.push_back(exec);
    return int(graphs_.size()) - 1;
  }
  void release_graph(int graph) override {
    if (graph < 0 || size_t(graph) >= graphs_.size() || !graphs_[size_t(graph)]) return;
    use();
    cudaStreamSynchronize(stream_);  // no replay of it may still be running
    cudaGraphExecDestroy(graphs_[size_t(graph)]);
    graphs_[size_t(graph)] = nullptr;  // indices of the other graphs stay valid
  }
  void replay(int graph) override {
    use();
    if (graph < 0 || size_t(graph) >= graphs_.size() || !graphs_[size_t(graph)])
      throw Error("bad_graph", "no graph " + std::to_string(graph));
    BB_CUDA(cudaGraphLaunch(graphs_[size_t(graph)], stream_));
  }
  void hold_gate(double timeout_s) override {
    use();
    cuda_gate(&gate_dev_->open, ++ticket_, timeout_s, &gate_dev_->expired, stream_);
  }
  void open_gate() override {
    // Release store: every launch this thread queued before it is already on the stream.
    __atomic_store_n(&gate_->open, ticket_, __ATOMIC_RELEASE);
  }
  int gate_expiries() const override { return int(__atomic_load_n(&gate_->expired, __ATOMIC_ACQUIRE)); }

  void synchronize() override {
    use();
    BB_CUDA(cudaStreamSynchronize(stream_));
  }

 private:
  // The calling thread may have another GPU current (one thread per rank, or a shared pool).
  void use() { BB_CUDA(cudaSetDevice(ordinal_)); }

  // The table lives in stream-ordered memory freed after its kernel: the caller's vector may die
  // as soon as we return, and a pageable cudaMemcpyAsync stages the bytes before returning.
  const int64_t* upload(const std::vector<int64_t>& table) {
    void* p = nullptr;
    const size_t bytes = std::max<size_t>(table.size(), 1) * sizeof(int64_t);
    BB_CUDA(cudaMallocAsync(&p, bytes, stream_));
    if (!table.empty())
      BB_CUDA(cudaMemcpyAsync(p, table.data(), table.size() * sizeof(int64_t), cudaMemcpyHostToDevice, stream_));
    return static_cast<const int64_t*>(p);
  }

  struct GateWords {
    unsigned long long open;
    unsigned int expired;
  };
  GateWords* gate_ = nullptr;      // host view
  GateWords* gate_dev_ = nullptr;  // the same words, device view
  unsigned long long ticket_ = 0;
  int ordinal_;
  bool capturing_ = false;
  std::vector<cudaGraphExec_t> graphs_;
  cudaStream_t stream_ = nullptr;
  // wait_us: the spin's stream (highest priority) and the events that fork it from and join it back
  // into stream_; null until the first wait_us.
  cudaStream_t spin_stream_ = nullptr;
  cudaEvent_t spin_fork_ = nullptr, spin_join_ = nullptr;
  CudaVerifyRecord* record_ = nullptr;
  CudaVerifyRecord* host_record_ = nullptr;
  std::vector<cudaEvent_t> events_;
  size_t next_mark_ = 0;
};

}  // namespace

std::unique_ptr<Device> make_cuda_device(int ordinal) { return std::make_unique<CudaDevice>(ordinal); }

}  // namespace bb
