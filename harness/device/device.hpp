#pragma once
// One rank's memory and local kernels. The host twin runs the same segment lists and patterns
// over host memory; the CUDA device runs them on the rank's stream. Strategy code is written
// once against this interface: one host twin for every kernel (README, "Layout of the repository").
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/dtype.hpp"
#include "pattern.hpp"
#include "segments.hpp"

namespace bb {

class Device {
 public:
  virtual ~Device() = default;
  virtual std::string kind() const = 0;  // "host" or "cuda"

  virtual void* alloc(size_t bytes) = 0;  // throws Error("out_of_memory") on failure
  virtual void release(void* p) = 0;

  // Stream-ordered on a GPU; synchronous on the host.
  virtual void copy(const std::vector<CopySegment>& segs) = 0;
  virtual void fill(void* t, const PatternGeom& g, const std::vector<int64_t>& table) = 0;
  virtual void poison(void* t, size_t bytes) = 0;  // 0xFF bytes: a NaN in every dtype
  virtual VerifyResult verify(const void* t, const PatternGeom& g,
                              const std::vector<int64_t>& table) = 0;
  // dst[i] = sum_k srcs[k][i]; dst may alias a source. Used by backends that emulate all_reduce.
  virtual void sum(void* dst, const std::vector<const void*>& srcs, int64_t count, DType t) = 0;

  // Timing marks on this rank's stream (CUDA events on a GPU, a steady clock on the host).
  virtual int mark() = 0;
  virtual double elapsed_ms(int from, int to) = 0;  // waits for both marks
  virtual void reset_marks() = 0;
  // Test-only (the planted slowdown, measure/phases.hpp PhaseDelay): holds this rank's device
  // for `us` microseconds, stream-ordered between the marks around it: on a GPU a one-thread spin
  // kernel (on a highest-priority stream joined to this rank's, so other streams' queued blocks
  // do not hold it back), a sleep of the rank's thread on the host. 0 or less waits for nothing
  // and launches nothing, but readies what a spin needs (its stream), which may wait for running
  // work: call it before a gate is closed.
  virtual void wait_us(double us) = 0;
  virtual void synchronize() = 0;
  virtual void* native_stream() = 0;  // cudaStream_t, or nullptr on the host
  virtual int ordinal() const { return -1; }  // CUDA device ordinal
  // CUDA-graph capture of this rank's stream work: capture once, replay many times. Marks taken
  // while capturing are recorded at every replay. Only GPU devices support it.
  virtual bool supports_graphs() const { return false; }
  virtual void begin_capture() { throw Error("graph_unsupported", kind() + " device cannot capture graphs"); }
  virtual int end_capture() { throw Error("graph_unsupported", kind() + " device cannot capture graphs"); }
  virtual void replay(int /*graph*/) { throw Error("graph_unsupported", kind() + " device cannot replay graphs"); }
  // Destroys a captured graph. A graph that captured NCCL collectives holds NCCL's persistent
  // resources of those communicators: it must go before they are destroyed (at the end of its
  // config, not the end of the process), or tearing the communicators down can wait forever.
  virtual void release_graph(int /*graph*/) {}
  // The launch gate (GPU devices): hold_gate() queues a wait on this rank's stream that only
  // open_gate() ends, so everything queued in between starts together, whatever the host's
  // launch latency. A gate still closed after gate_timeout_s opens by itself and is counted in
  // gate_expiries() (a measurement to distrust, never a hang). No-ops on the host.
  virtual void hold_gate(double /*gate_timeout_s*/) {}
  virtual void open_gate() {}
  virtual int gate_expiries() const { return 0; }
  // Bytes that may still be allocated (free device memory, or available host RAM); -1 unknown.
  virtual int64_t memory_budget_bytes() const { return -1; }
};

std::unique_ptr<Device> make_host_device();

// RAII buffer on a Device.
class DeviceBuffer {
 public:
  DeviceBuffer() = default;
  DeviceBuffer(Device& d, size_t bytes) : dev_(&d), bytes_(bytes), ptr_(bytes ? d.alloc(bytes) : nullptr) {}
  DeviceBuffer(DeviceBuffer&& o) noexcept { *this = std::move(o); }
  DeviceBuffer& operator=(DeviceBuffer&& o) noexcept {
    reset();
    dev_ = o.dev_; ptr_ = o.ptr_; bytes_ = o.bytes_;
    o.ptr_ = nullptr; o.bytes_ = 0;
    return *this;
  }
  ~DeviceBuffer() { reset(); }
  void reset() {
    if (ptr_) dev_->release(ptr_);
    ptr_ = nullptr;
    bytes_ = 0;
  }
  void* get() const { return ptr_; }
  size_t bytes() const { return bytes_; }

 private:
  Device* dev_ = nullptr;
  size_t bytes_ = 0;
  void* ptr_ = nullptr;
};

}  // namespace bb
