// GpuActivity on the CUPTI activity API (see gpu_activity.hpp for the contract).
//
// How a GPU interval finds its phase: while a phase is pushed, CUPTI emits, for every CUDA
// runtime/driver API call on that thread, an EXTERNAL_CORRELATION record (our phase id, the
// call's correlation id); the kernel/memcpy/memset record of the work the call launched carries
// the same correlation id. API records are only produced for enabled API kinds, so RUNTIME and
// DRIVER are enabled too (NCCL launches through the driver API) and their records ignored.
//
// Records arrive in buffers, on CUPTI's worker thread or inside cuptiActivityFlushAll, in no
// promised order across buffers: a kernel can be delivered before or after its correlation.
// So both sides are kept for one extra take_busy_ms() round before being forgotten.
//
// Work launched for a phase from another thread: NCCL's non-blocking communicators launch each
// collective's kernels (cuLaunchKernelEx) from a helper thread of their own, where no external
// correlation id is pushed, so at world >= 2 every NCCL kernel would belong to no phase. A
// driver-API callback on the launch and async-copy calls catches them: a call on the stream of an
// open phase belongs to that phase (threads of one process each have their rank's stream); a call
// naming no stream belongs to the process's one open phase, if exactly one is open.
#include <string>  // gpu_activity.hpp uses std::string without including it

#include "measure/gpu_activity.hpp"

#ifdef BB_HAVE_CUPTI

#include <cuda_runtime_api.h>
#include <cupti.h>

// cupti.h brings the driver calls' parameter structs (generated_cuda_meta.h, which has no guard).

#include <cstdio>
#include <cstdlib>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "core/error.hpp"
#include "measure/interval_union.hpp"

namespace bb {
namespace {

// Big enough that a timed loop of thousands of launches fills few buffers between flushes.
constexpr size_t kBufferBytes = 8u << 20;
constexpr CUpti_ExternalCorrelationKind kPhaseKind = CUPTI_EXTERNAL_CORRELATION_KIND_CUSTOM0;

const CUpti_ActivityKind kKinds[] = {
    CUPTI_ACTIVITY_KIND_EXTERNAL_CORRELATION,  // before the API kinds, so no API call is missed
    CUPTI_ACTIVITY_KIND_RUNTIME,
    CUPTI_ACTIVITY_KIND_DRIVER,
    CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL,  // not KIND_KERNEL: that one serializes kernels
    CUPTI_ACTIVITY_KIND_MEMCPY,
    CUPTI_ACTIVITY_KIND_MEMCPY2,  // peer-to-peer copies
    CUPTI_ACTIVITY_KIND_MEMSET,
};

std::string cupti_message(const char* what, CUptiResult r) {
  const char* s = nullptr;
  if (cuptiGetResultString(r, &s) != CUPTI_SUCCESS || !s) s = "unknown CUPTI error";
  return std::string(what) + ": " + s + " (" + std::to_string(static_cast<int>(r)) + ")";
}

class CuptiActivity;

thread_local int t_own_phases = 0;  // phases this thread has pushed and not popped

// The instance the driver-API callback reports to: its own lock, so the callback (on NCCL's
// launch path) never waits for a buffer being parsed under g_live_mu.
std::mutex g_off_mu;
CuptiActivity* g_off = nullptr;

// CUPTI's buffer callbacks are plain functions: they reach the live instance through this.
std::mutex g_live_mu;
CuptiActivity* g_live = nullptr;

class CuptiActivity final : public GpuActivity {
 public:
  CuptiActivity() = default;
  ~CuptiActivity() override;

  void push_phase(uint64_t id, const void* stream) override {
    CUptiResult r = cuptiActivityPushExternalCorrelationId(kPhaseKind, id);
    if (r != CUPTI_SUCCESS) throw Error("cupti", cupti_message("push_phase", r));
    ++t_own_phases;
    std::lock_guard<std::mutex> lock(off_mu_);
    open_[std::this_thread::get_id()] = {id, stream};
  }

  void pop_phase() override {
    uint64_t last = 0;
    CUptiResult r = cuptiActivityPopExternalCorrelationId(kPhaseKind, &last);
    // QUEUE_EMPTY: a pop without a push on this thread, a harness bug worth stopping for.
    if (r != CUPTI_SUCCESS) throw Error("cupti", cupti_message("pop_phase", r));
    --t_own_phases;
    std::lock_guard<std::mutex> lock(off_mu_);
    open_.erase(std::this_thread::get_id());
  }

  // A launch or async copy entered on some thread (driver-API callback): when that thread has no
  // phase of its own, the call's correlation id gets the phase that owns its stream.
  void off_thread_call(uint32_t correlation, const void* stream, bool names_stream) {
    std::lock_guard<std::mutex> lock(off_mu_);  // never mu_: a buffer parse must not delay a launch
    uint64_t phase = 0;
    if (names_stream) {
      for (const auto& [tid, o] : open_)
        if (o.stream == stream && stream != nullptr) phase = o.id;
    } else if (open_.size() == 1) {
      phase = open_.begin()->second.id;
    }
    if (phase != 0) off_ext_.emplace_back(correlation, phase);
  }

  std::map<std::pair<uint64_t, int>, double> take_busy_ms() override;
  std::map<std::pair<uint64_t, int>, PhaseActivity> last_counts() const override {
    std::lock_guard<std::mutex> lock(mu_);
    return counts_;
  }

  void consume(uint8_t* buffer, size_t valid, uint64_t dropped);

  size_t enabled = 0;  // leading entries of kKinds enabled so far

 private:
  struct Work {
    uint32_t correlation;
    int device;
    Interval span;
    ActivityRecord what;  // for the path detector's counts
  };

  void add_work(uint32_t correlation, uint32_t device, uint64_t start, uint64_t end, ActivityRecord what) {
    work_.push_back({correlation, static_cast<int>(device), {start, end}, std::move(what)});
  }

  static ActivityRecord::CopyKind copy_kind(uint8_t k) {
    switch (k) {
      case CUPTI_ACTIVITY_MEMCPY_KIND_DTOD: return ActivityRecord::dtod;
      case CUPTI_ACTIVITY_MEMCPY_KIND_PTOP: return ActivityRecord::ptop;
      case CUPTI_ACTIVITY_MEMCPY_KIND_HTOD: return ActivityRecord::htod;
      case CUPTI_ACTIVITY_MEMCPY_KIND_DTOH: return ActivityRecord::dtoh;
      default: return ActivityRecord::other;
    }
  }

  struct Open {
    uint64_t id;
    const void* stream;
  };
  std::mutex off_mu_;                                // guards open_ and off_ext_
  std::unordered_map<std::thread::id, Open> open_;   // every thread's open phase
  std::vector<std::pair<uint32_t, uint64_t>> off_ext_;  // off-thread correlation -> phase, not yet merged

  std::map<std::pair<uint64_t, int>, PhaseActivity> counts_;  // of the latest take_busy_ms()
  mutable std::mutex mu_;
  std::vector<Work> work_;                      // delivered since the last take
  std::vector<Work> unresolved_;                // last round's work with no correlation yet
  std::unordered_map<uint32_t, uint64_t> ext_;  // correlation id -> phase id, this round
  std::unordered_map<uint32_t, uint64_t> ext_prev_;
  uint64_t dropped_ = 0;
  std::string parse_error_;
};

// The stream a launch or async-copy driver call names; false for a call this does not read.
bool call_stream(CUpti_CallbackId cbid, const void* params, const void** stream) {
#define BB_STREAM_OF(name, expr)                                   \
  case CUPTI_DRIVER_TRACE_CBID_##name: {                          \
    const auto* p = static_cast<const name##_params*>(params);     \
    *stream = (expr);                                              \
    return true;                                                   \
  }
  switch (cbid) {
    BB_STREAM_OF(cuLaunchKernel, p->hStream)
    BB_STREAM_OF(cuLaunchKernel_ptsz, p->hStream)
    BB_STREAM_OF(cuLaunchKernelEx, p->config ? p->config->hStream : nullptr)
    BB_STREAM_OF(cuLaunchKernelEx_ptsz, p->config ? p->config->hStream : nullptr)
    BB_STREAM_OF(cuLaunchCooperativeKernel, p->hStream)
    BB_STREAM_OF(cuMemcpyAsync, p->hStream)
    BB_STREAM_OF(cuMemcpyAsync_ptsz, p->hStream)
    BB_STREAM_OF(cuMemcpyPeerAsync, p->hStream)
    BB_STREAM_OF(cuMemcpyDtoDAsync_v2, p->hStream)
    BB_STREAM_OF(cuMemcpyBatchAsync, p->hStream)
    BB_STREAM_OF(cuMemcpyBatchAsync_v2, p->hStream)
    default:
      return false;
  }
#undef BB_STREAM_OF
}

const CUpti_CallbackId kOffThreadCalls[] = {
    CUPTI_DRIVER_TRACE_CBID_cuLaunchKernel,      CUPTI_DRIVER_TRACE_CBID_cuLaunchKernel_ptsz,
    CUPTI_DRIVER_TRACE_CBID_cuLaunchKernelEx,    CUPTI_DRIVER_TRACE_CBID_cuLaunchKernelEx_ptsz,
    CUPTI_DRIVER_TRACE_CBID_cuLaunchCooperativeKernel, CUPTI_DRIVER_TRACE_CBID_cuMemcpyAsync,
    CUPTI_DRIVER_TRACE_CBID_cuMemcpyAsync_ptsz,  CUPTI_DRIVER_TRACE_CBID_cuMemcpyPeerAsync,
    CUPTI_DRIVER_TRACE_CBID_cuMemcpyDtoDAsync_v2, CUPTI_DRIVER_TRACE_CBID_cuMemcpyBatchAsync,
    CUPTI_DRIVER_TRACE_CBID_cuMemcpyBatchAsync_v2,
};

void CUPTIAPI on_driver_call(void*, CUpti_CallbackDomain domain, CUpti_CallbackId cbid, const void* data) {
  if (domain != CUPTI_CB_DOMAIN_DRIVER_API) return;
  const auto* cb = static_cast<const CUpti_CallbackData*>(data);
  if (cb->callbackSite != CUPTI_API_ENTER) return;
  if (t_own_phases > 0) return;  // the thread's own external correlation id covers the call
  const void* stream = nullptr;
  const bool names = call_stream(cbid, cb->functionParams, &stream);
  std::lock_guard<std::mutex> lock(g_off_mu);
  if (g_off) g_off->off_thread_call(cb->correlationId, stream, names);
}

void CuptiActivity::consume(uint8_t* buffer, size_t valid, uint64_t dropped) {
  std::lock_guard<std::mutex> lock(mu_);
  dropped_ += dropped;
  CUpti_Activity* rec = nullptr;
  for (;;) {
    CUptiResult r = cuptiActivityGetNextRecord(buffer, valid, &rec);
    if (r == CUPTI_ERROR_MAX_LIMIT_REACHED) break;  // end of the buffer
    if (r != CUPTI_SUCCESS) {
      parse_error_ = cupti_message("cuptiActivityGetNextRecord", r);
      break;
    }
    switch (rec->kind) {
      case CUPTI_ACTIVITY_KIND_CONCURRENT_KERNEL:
      case CUPTI_ACTIVITY_KIND_KERNEL: {
        auto* k = reinterpret_cast<const CUpti_ActivityKernel10*>(rec);
        add_work(k->correlationId, k->deviceId, k->start, k->end,
                 {ActivityRecord::kernel, k->name ? k->name : "", ActivityRecord::other, 0});
        break;
      }
      case CUPTI_ACTIVITY_KIND_MEMCPY: {
        auto* m = reinterpret_cast<const CUpti_ActivityMemcpy6*>(rec);
        add_work(m->correlationId, m->deviceId, m->start, m->end,
                 {ActivityRecord::memcpy, "", copy_kind(m->copyKind), int64_t(m->bytes)});
        break;
      }
      case CUPTI_ACTIVITY_KIND_MEMCPY2: {
        auto* m = reinterpret_cast<const CUpti_ActivityMemcpyPtoP4*>(rec);
        // A copy between two GPUs' memories, whatever the copy kind says.
        add_work(m->correlationId, m->deviceId, m->start, m->end,
                 {ActivityRecord::memcpy, "", ActivityRecord::ptop, int64_t(m->bytes)});
        break;
      }
      case CUPTI_ACTIVITY_KIND_MEMSET: {
        auto* m = reinterpret_cast<const CUpti_ActivityMemset4*>(rec);
        add_work(m->correlationId, m->deviceId, m->start, m->end,
                 {ActivityRecord::memset, "", ActivityRecord::other, int64_t(m->bytes)});
        break;
      }
      case CUPTI_ACTIVITY_KIND_EXTERNAL_CORRELATION: {
        auto* e = reinterpret_cast<const CUpti_ActivityExternalCorrelation*>(rec);
        if (e->externalKind == kPhaseKind) ext_[e->correlationId] = e->externalId;
        break;
      }
      default:  // API records: only needed so that correlations are emitted
        break;
    }
  }
}

std::map<std::pair<uint64_t, int>, double> CuptiActivity::take_busy_ms() {
  // Outside mu_: the flush may deliver buffers on this thread, through consume().
  CUptiResult r = cuptiActivityFlushAll(0);
  if (r != CUPTI_SUCCESS) throw Error("cupti", cupti_message("cuptiActivityFlushAll", r));

  std::lock_guard<std::mutex> lock(mu_);
  if (!parse_error_.empty()) {
    std::string e = std::move(parse_error_);
    parse_error_.clear();
    throw Error("cupti", e);
  }
  if (dropped_ != 0) {
    // Busy times would silently read low: refuse them rather than report wrong numbers.
    std::string e = "CUPTI dropped " + std::to_string(dropped_) + " activity records";
    dropped_ = 0;
    throw Error("cupti_records_dropped", e);
  }

  {
    std::lock_guard<std::mutex> off(off_mu_);
    for (const auto& [corr, ph] : off_ext_) ext_[corr] = ph;
    off_ext_.clear();
  }
  auto phase_of = [&](uint32_t correlation, uint64_t* phase) {
    auto it = ext_.find(correlation);
    if (it == ext_.end()) {
      it = ext_prev_.find(correlation);
      if (it == ext_prev_.end()) return false;
    }
    *phase = it->second;
    return true;
  };

  std::map<std::pair<uint64_t, int>, std::vector<Interval>> groups;
  std::vector<Work> still_unresolved;
  counts_.clear();
  uint64_t phase = 0;
  for (const Work& w : unresolved_)  // second chance over: work outside any phase
    if (phase_of(w.correlation, &phase)) {
      groups[{phase, w.device}].push_back(w.span);
      counts_[{phase, w.device}].add(w.what);
    }
  for (const Work& w : work_) {
    if (phase_of(w.correlation, &phase)) {
      groups[{phase, w.device}].push_back(w.span);
      counts_[{phase, w.device}].add(w.what);
    } else
      still_unresolved.push_back(w);
  }
  work_.clear();
  unresolved_ = std::move(still_unresolved);
  ext_prev_ = std::move(ext_);
  ext_.clear();

  std::map<std::pair<uint64_t, int>, double> busy;
  for (auto& [key, spans] : groups) busy[key] = union_length(std::move(spans)) * 1e-6;  // ns
  return busy;
}

void CUPTIAPI buffer_requested(uint8_t** buffer, size_t* size, size_t* max_records) {
  // CUPTI wants 8-byte aligned buffers; a null buffer makes it drop records (counted).
  *buffer = static_cast<uint8_t*>(std::aligned_alloc(8, kBufferBytes));
  *size = *buffer ? kBufferBytes : 0;
  *max_records = 0;
}

void CUPTIAPI buffer_completed(CUcontext ctx, uint32_t stream, uint8_t* buffer, size_t,
                               size_t valid) {
  size_t dropped = 0;
  if (cuptiActivityGetNumDroppedRecords(ctx, stream, &dropped) != CUPTI_SUCCESS) dropped = 0;
  {
    std::lock_guard<std::mutex> lock(g_live_mu);
    if (g_live && buffer) g_live->consume(buffer, valid, dropped);
  }
  std::free(buffer);
}

CuptiActivity::~CuptiActivity() {
  // Tracing off first so the final flush is the last delivery; errors can only be reported.
  for (size_t i = 0; i < enabled; ++i) {
    CUptiResult r = cuptiActivityDisable(kKinds[i]);
    if (r != CUPTI_SUCCESS)
      std::fprintf(stderr, "bridgebench: %s\n", cupti_message("cuptiActivityDisable", r).c_str());
  }
  CUptiResult r = cuptiActivityFlushAll(CUPTI_ACTIVITY_FLAG_FLUSH_FORCED);
  if (r != CUPTI_SUCCESS)
    std::fprintf(stderr, "bridgebench: %s\n", cupti_message("cuptiActivityFlushAll", r).c_str());
  {
    std::lock_guard<std::mutex> off(g_off_mu);
    if (g_off == this) g_off = nullptr;
  }
  std::lock_guard<std::mutex> lock(g_live_mu);
  if (g_live == this) g_live = nullptr;
}

}  // namespace

std::shared_ptr<GpuActivity> start_gpu_activity(std::string* why) {
  static std::mutex start_mu;
  static std::weak_ptr<CuptiActivity> current;
  static bool callbacks_registered = false;
  std::lock_guard<std::mutex> lock(start_mu);
  if (auto live = current.lock()) return live;  // one CUPTI client per process

  auto fail = [&](std::string reason) -> std::shared_ptr<GpuActivity> {
    if (why) *why = std::move(reason);
    return nullptr;
  };
  int devices = 0;
  cudaError_t ce = cudaGetDeviceCount(&devices);
  if (ce != cudaSuccess) return fail(std::string("no CUDA device: ") + cudaGetErrorString(ce));
  if (devices == 0) return fail("no CUDA device");

  if (!callbacks_registered) {
    // Fails with MULTIPLE_SUBSCRIBERS_NOT_SUPPORTED when another CUPTI client (nsys, ncu,
    // a framework profiler) already holds the activity API.
    CUptiResult r = cuptiActivityRegisterCallbacks(buffer_requested, buffer_completed);
    if (r != CUPTI_SUCCESS) return fail(cupti_message("cuptiActivityRegisterCallbacks", r));
    callbacks_registered = true;
  }

  auto activity = std::make_shared<CuptiActivity>();
  {
    std::lock_guard<std::mutex> live(g_live_mu);
    g_live = activity.get();
  }
  for (CUpti_ActivityKind k : kKinds) {
    CUptiResult r = cuptiActivityEnable(k);
    if (r != CUPTI_SUCCESS) {
      std::string reason = cupti_message("cuptiActivityEnable", r) + " for activity kind " +
                           std::to_string(static_cast<int>(k));
      activity.reset();  // the destructor disables what was enabled
      return fail(reason);
    }
    ++activity->enabled;
  }
  // Launches from threads outside any phase (NCCL's helper threads), by their stream. Another
  // CUPTI subscriber (a profiler) makes this fail: busy times then miss off-thread work, said once.
  static CUpti_SubscriberHandle subscriber = nullptr;
  if (!subscriber) {
    CUptiResult r = cuptiSubscribe(&subscriber, on_driver_call, nullptr);
    for (CUpti_CallbackId id : kOffThreadCalls)
      if (r == CUPTI_SUCCESS) r = cuptiEnableCallback(1, subscriber, CUPTI_CB_DOMAIN_DRIVER_API, id);
    if (r != CUPTI_SUCCESS) {
      std::fprintf(stderr, "bridgebench: note: %s: NCCL kernels launched from its own threads are not attributed "
                           "to phases\n", cupti_message("cuptiSubscribe/cuptiEnableCallback", r).c_str());
      subscriber = nullptr;
    }
  }
  {
    std::lock_guard<std::mutex> off(g_off_mu);
    g_off = activity.get();
  }
  current = activity;
  return activity;
}

}  // namespace bb

#else  // built without CUPTI: callers get the documented nullptr

namespace bb {
std::shared_ptr<GpuActivity> start_gpu_activity(std::string* why) {
  if (why) *why = "built without CUPTI (libcupti not found next to the CUDA toolkit)";
  return nullptr;
}
}  // namespace bb

#endif
