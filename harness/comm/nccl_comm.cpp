#include "comm/nccl_comm.hpp"

#include <cuda_runtime.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <deque>
#include <exception>
#include <sstream>
#include <thread>

#include "comm/poll_wait.hpp"
#include "comm/rendezvous.hpp"

namespace bb {
namespace {

using Clock = std::chrono::steady_clock;

ncclDataType_t nccl_type(DType t) {
  switch (t) {
    case DType::bf16: return ncclBfloat16;
    case DType::fp16: return ncclFloat16;
    case DType::fp32: return ncclFloat32;
  }
  throw Error("bad_dtype", "nccl: unknown dtype");
}

// One collective enqueued since the last completed synchronize: its event tells whether it is
// done, so a timeout names the first unfinished one (its phase and group), not merely the
// phase current at synchronize().
struct Pending {
  cudaEvent_t ev;
  std::string what;
  Clock::time_point enqueued;
  std::string comm_key;            // Progress key of its communicator
  std::vector<int> members;        // its group, world ranks
  std::string behind;              // filled when the timeout names the missing ranks
};

// Everything one rank holds: its stream, its live communicators (world and splits) and the
// deadline. Used only by the rank's own thread, so no locking: a peer thread never calls NCCL on
// this rank's communicators; it raises the world abort flag, which every poll loop here checks.
struct NcclRank {
  int world_rank = 0;
  cudaStream_t stream = nullptr;
  double timeout_s = 120;
  std::shared_ptr<AbortState> world_abort;
  std::vector<ncclComm_t> comms;
  bool aborted = false;
  std::deque<Pending> pending;
  std::vector<cudaEvent_t> spare;
  double* d_scalar = nullptr;  // device scratch for barrier / max_over_ranks
  float* d_align = nullptr;    // device scratch of align() (apart: it may run behind a closed gate)
  double* h_scalar = nullptr;  // pinned, so the copy back is truly async and pollable

  ~NcclRank() {
    for (auto& p : pending) cudaEventDestroy(p.ev);
    for (auto e : spare) cudaEventDestroy(e);
    // Only after every comm is gone (finalized or aborted): nothing can still hang on these.
    if (d_scalar) cudaFree(d_scalar);
    if (d_align) cudaFree(d_align);
    if (h_scalar) cudaFreeHost(h_scalar);
  }

  int comm_seq = 0;  // communicators created so far (world 0, then one per split call)

  // Aborts every communicator of the rank, each in its own thread: an abort of a comm whose
  // kernel waits for a peer joins that comm's threads, and N of them one after another would
  // add up. Returns the seconds it took.
  double abort_all() {
    if (aborted) return 0;
    aborted = true;
    const auto t0 = Clock::now();
    std::vector<std::thread> ts;
    for (auto c : comms) ts.emplace_back([c] { ncclCommAbort(c); });
    for (auto& t : ts) t.join();
    return std::chrono::duration<double>(Clock::now() - t0).count();
  }

  [[noreturn]] void fail(const std::string& rule, const std::string& msg) {
    const size_t n = comms.size();
    const double s = abort_all();
    std::ostringstream o;
    o << msg << " (all " << n << " NCCL communicators of world rank " << world_rank << " aborted in " << s << " s)";
    throw CommError(rule, o.str());
  }

  void cuda_check(cudaError_t e, const std::string& where) {
    if (e != cudaSuccess) fail("cuda_error", where + ": " + cudaGetErrorString(e));
  }

  // Raises a peer thread's failure, the deadline, or an asynchronous NCCL error of any comm.
  void poll_checks(Clock::time_point deadline, const std::string& where) {
    if (world_abort && world_abort->aborted.load())
      fail("aborted", where + ": aborted because " + world_abort->why());
    for (auto c : comms) {
      ncclResult_t st = ncclSuccess;
      ncclResult_t r = ncclCommGetAsyncError(c, &st);
      if (r != ncclSuccess) st = r;
      if (st != ncclSuccess && st != ncclInProgress)
        fail("nccl_error", where + ": " + ncclGetErrorString(st) + " (" + ncclGetLastError(c) + ")" + gone_peers(st));
    }
    if (Clock::now() >= deadline) {
      std::ostringstream o;
      o << where << ": not done after " << timeout_s << " s";
      if (const Pending* p = first_unfinished()) {
        o << "; first unfinished: " << p->what << ", enqueued "
          << std::chrono::duration<double>(Clock::now() - p->enqueued).count() << " s ago";
        o << "; " << (p->behind.empty() ? "no rank visible to this process is behind on it (under MPI a process sees only itself)"
                                         : p->behind);
      }
      fail("collective_timeout", o.str());
    }
  }

  // A remote error (a peer process exited or its network failed): NCCL does not say which peer,
  // but it is one of the other members of the group this rank is waiting on.
  std::string gone_peers(ncclResult_t st) {
    if (st != ncclRemoteError) return "";
    const Pending* p = first_unfinished();
    if (!p) return "";
    std::vector<int> others;
    for (int m : p->members)
      if (m != world_rank) others.push_back(m);
    return others.empty() ? "" : "; the rank that went away is world rank " + ranks_str(others) +
                                     (others.size() > 1 ? " (one of them)" : "");
  }

  Clock::time_point deadline() const {
    return Clock::now() + std::chrono::duration_cast<Clock::duration>(
                              std::chrono::duration<double>(timeout_s));
  }

  // Non-blocking NCCL: a call may return ncclInProgress; the comm is usable once its async state
  // is ncclSuccess.
  void wait_ready(ncclComm_t c, ncclResult_t r, const std::string& where) {
    if (r != ncclSuccess && r != ncclInProgress)
      fail("nccl_error", where + ": " + ncclGetErrorString(r) + " (" + ncclGetLastError(c) + ")");
    const auto dl = deadline();
    PollWait w;
    for (;;) {
      ncclResult_t st = ncclSuccess;
      ncclResult_t q = ncclCommGetAsyncError(c, &st);
      if (q != ncclSuccess) st = q;
      if (st == ncclSuccess) return;
      if (st != ncclInProgress)
        fail("nccl_error", where + ": " + ncclGetErrorString(st) + " (" + ncclGetLastError(c) + ")");
      poll_checks(dl, where);
      w.pause();
    }
  }

  void note(const std::string& what, const std::string& comm_key, const std::vector<int>& members) {
    cudaEvent_t ev;
    if (!spare.empty()) {
      ev = spare.back();
      spare.pop_back();
    } else {
      cuda_check(cudaEventCreateWithFlags(&ev, cudaEventDisableTiming), what + ": cudaEventCreate");
    }
    cuda_check(cudaEventRecord(ev, stream), what + ": cudaEventRecord");
    pending.push_back({ev, what, Clock::now(), comm_key, members, ""});
    if (world_abort) world_abort->progress.note(comm_key, world_rank);
    // Long timed loops enqueue many ops between synchronizes: recycle the finished ones.
    while (pending.size() > 64) {
      cudaError_t q = cudaEventQuery(pending.front().ev);
      if (q == cudaErrorNotReady) break;
      cuda_check(q, "cudaEventQuery");
      spare.push_back(pending.front().ev);
      pending.pop_front();
    }
  }

  // The oldest collective not done yet (nullptr when none is queued), with who never arrived.
  Pending* first_unfinished() {
    if (pending.empty()) return nullptr;
    Pending* p = &pending.back();
    for (auto& q : pending)
      if (cudaEventQuery(q.ev) != cudaSuccess) {
        p = &q;
        break;
      }
    if (world_abort) p->behind = world_abort->progress.behind(p->comm_key, p->members, world_rank);
    return p;
  }

  void synchronize(const std::string& where) {
    const auto dl = deadline();
    PollWait w;
    for (;;) {
      cudaError_t q = cudaStreamQuery(stream);
      if (q == cudaSuccess) break;
      if (q != cudaErrorNotReady) fail("cuda_error", where + ": " + cudaGetErrorString(q));
      poll_checks(dl, where);
      w.pause();
    }
    // A collective can fail without stalling the stream: check once more after completion.
    poll_checks(Clock::time_point::max(), where);
    for (auto& p : pending) spare.push_back(p.ev);
    pending.clear();
  }
};

class NcclComm final : public Comm {
 public:
  NcclComm(std::shared_ptr<NcclRank> st, ncclComm_t c, int rank, std::vector<int> world_ranks, int seq)
      : st_(std::move(st)), comm_(c), rank_(rank) {
    world_ranks_ = std::move(world_ranks);
    key_ = "comm " + std::to_string(seq) + " " + ranks_str(world_ranks_);
  }

  ~NcclComm() override {
    auto& st = *st_;
    const bool healthy = !st.aborted && std::uncaught_exceptions() == 0 &&
                         !(st.world_abort && st.world_abort->aborted.load());
    if (healthy) {
      // Finalize waits for peers to be quiescent; a peer that is gone or stuck turns into an
      // abort once the deadline passes, never a hang in a destructor.
      try {
        st.synchronize(where("teardown"));
        st.wait_ready(comm_, ncclCommFinalize(comm_), where("ncclCommFinalize"));
      } catch (...) {
      }
    } else {
      st.abort_all();
    }
    if (!st.aborted) ncclCommDestroy(comm_);
    st.comms.erase(std::remove(st.comms.begin(), st.comms.end(), comm_), st.comms.end());
    if (scratch_) cudaFreeAsync(scratch_, st.stream);
  }

  std::string backend() const override { return "nccl"; }

  std::unique_ptr<Comm> split_cta(const std::vector<std::vector<int>>& groups, int cta_policy) override {
    cta_next_ = cta_policy;
    try {
      auto c = split(groups);
      cta_next_ = 0;
      return c;
    } catch (...) {
      cta_next_ = 0;
      throw;
    }
  }

  std::unique_ptr<BufferProvider> make_buffer_provider(const NcclPathRow& path) override;
  ncclComm_t native() const { return comm_; }
  NcclRank& rank_state() { return *st_; }
  std::string where_public(const std::string& op) const { return where(op); }

  int rank() const override { return rank_; }
  int size() const override { return int(world_ranks_.size()); }

  std::unique_ptr<Comm> split(const std::vector<std::vector<int>>& groups) override {
    validate_groups(groups, size());
    int idx = 0;
    const int g = group_of(groups, rank_, &idx);
    ncclConfig_t cfg = NCCL_CONFIG_INITIALIZER;
    cfg.blocking = 0;
    if (cta_next_ != 0) cfg.CTAPolicy = cta_next_;  // split_cta(): e.g. NCCL_CTA_POLICY_ZERO
    // NCCL writes the new handle from its init thread once the split is done (tracked on the
    // parent), so the slot lives on the heap: leaked on purpose if we abort before it lands.
    auto* slot = new ncclComm_t(nullptr);
    const int seq = ++st_->comm_seq;  // every rank calls split in the same order, members or not
    // key = index in the group: NCCL orders the new comm by key, so rank order is list order.
    ncclResult_t r = ncclCommSplit(comm_, g < 0 ? NCCL_SPLIT_NOCOLOR : g, g < 0 ? 0 : idx, slot, &cfg);
    st_->wait_ready(comm_, r, where("ncclCommSplit"));
    ncclComm_t nc = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
    delete slot;
    if (nc) {
      st_->comms.push_back(nc);  // from here a failure aborts it too
      st_->wait_ready(nc, ncclSuccess, where("ncclCommSplit (new comm)"));
    }
    if ((g < 0) != (nc == nullptr))
      st_->fail("nccl_error", where("ncclCommSplit") + ": NCCL returned an unexpected communicator");
    if (g < 0) return nullptr;
    std::vector<int> wr;
    for (int k : groups[size_t(g)]) wr.push_back(world_ranks_[size_t(k)]);
    auto c = std::make_unique<NcclComm>(st_, nc, idx, std::move(wr), seq);
    c->set_phase(phase());
    return c;
  }

  void all_gather(const void* send, void* recv, size_t bytes) override {
    if (!bytes) return;
    // NCCL's in-place form (send is recv's own block) is exactly what the interface allows.
    enqueue("all_gather", ncclAllGather(send, recv, bytes, ncclInt8, comm_, st_->stream));
  }

  void all_reduce_sum(const void* send, void* recv, size_t count, DType t) override {
    if (!count) return;
    enqueue("all_reduce_sum",
            ncclAllReduce(send, recv, count, nccl_type(t), ncclSum, comm_, st_->stream));
  }

  void all_to_all(const void* send, void* recv, size_t bpp) override {
    if (!bpp) return;
    const size_t total = bpp * size_t(size());
    const char* s = static_cast<const char*>(send);
    if (overlaps(send, total, recv, total)) s = stage(send, total);  // sends must read old data
#if NCCL_VERSION_CODE >= NCCL_VERSION(2, 28, 0)
    // NCCL's own all-to-all (one count for every peer, since 2.28): it may take paths, such as
    // the copy engines, that a group of sends and receives never does.
    enqueue("all_to_all", ncclAlltoAll(s, recv, bpp, ncclInt8, comm_, st_->stream));
#else
    char* d = static_cast<char*>(recv);
    group_begin();
    for (int k = 0; k < size(); ++k) {
      in_group(ncclSend(s + size_t(k) * bpp, bpp, ncclInt8, k, comm_, st_->stream), "ncclSend");
      in_group(ncclRecv(d + size_t(k) * bpp, bpp, ncclInt8, k, comm_, st_->stream), "ncclRecv");
    }
    enqueue("all_to_all", ncclGroupEnd());
#endif
  }

  void send_recv(const std::vector<P2POp>& ops) override {
    // Like the host backend, every send reads the data as it was before any receive of this call
    // lands: a send buffer that overlaps a receive buffer is staged first.
    size_t stage_bytes = 0;
    std::vector<const void*> src(ops.size(), nullptr);
    for (size_t i = 0; i < ops.size(); ++i) {
      const auto& op = ops[i];
      if (op.peer < 0 || op.peer >= size())
        throw Error("bad_peer", "send_recv: peer " + std::to_string(op.peer) + " out of range");
      if (op.kind != P2POp::send || !op.bytes) continue;
      for (const auto& o : ops)
        if (o.kind == P2POp::recv && overlaps(op.buf, op.bytes, o.buf, o.bytes)) {
          stage_bytes += (op.bytes + 255) / 256 * 256;
          break;
        }
    }
    char* staged = stage_bytes ? scratch(stage_bytes) : nullptr;
    for (size_t i = 0, off = 0; i < ops.size(); ++i) {
      const auto& op = ops[i];
      src[i] = op.buf;
      if (op.kind != P2POp::send || !op.bytes) continue;
      for (const auto& o : ops)
        if (o.kind == P2POp::recv && overlaps(op.buf, op.bytes, o.buf, o.bytes)) {
          st_->cuda_check(cudaMemcpyAsync(staged + off, op.buf, op.bytes, cudaMemcpyDeviceToDevice,
                                          st_->stream),
                          where("send_recv staging"));
          src[i] = staged + off;
          off += (op.bytes + 255) / 256 * 256;
          break;
        }
    }
    group_begin();
    for (size_t i = 0; i < ops.size(); ++i) {
      const auto& op = ops[i];
      if (op.kind == P2POp::send)
        in_group(ncclSend(src[i], op.bytes, ncclInt8, op.peer, comm_, st_->stream), "ncclSend");
      else
        in_group(ncclRecv(op.buf, op.bytes, ncclInt8, op.peer, comm_, st_->stream), "ncclRecv");
    }
    enqueue("send_recv", ncclGroupEnd());
  }

  void barrier() override { max_over_ranks(0.0); }

  // A one-element all-reduce on the stream: NCCL's kernel returns on each rank only once every
  // rank's kernel has started, which is the device barrier (the host does not wait).
  void align() override {
    enqueue("align", ncclAllReduce(st_->d_align, st_->d_align, 1, ncclFloat32, ncclMax, comm_, st_->stream));
  }

  void synchronize() override { st_->synchronize(where("synchronize")); }

  double max_over_ranks(double v) override {
    auto& st = *st_;
    *st.h_scalar = v;
    st.cuda_check(cudaMemcpyAsync(st.d_scalar, st.h_scalar, sizeof(double), cudaMemcpyHostToDevice,
                                  st.stream),
                  where("max_over_ranks"));
    enqueue("max_over_ranks",
            ncclAllReduce(st.d_scalar, st.d_scalar, 1, ncclFloat64, ncclMax, comm_, st.stream));
    st.cuda_check(cudaMemcpyAsync(st.h_scalar, st.d_scalar, sizeof(double), cudaMemcpyDeviceToHost,
                                  st.stream),
                  where("max_over_ranks"));
    st.synchronize(where("max_over_ranks"));
    return *st.h_scalar;
  }

  std::vector<double> max_over_ranks_each(std::vector<double> v) override {
    if (v.size() <= 1) return v.empty() ? v : std::vector<double>{max_over_ranks(v[0])};
    auto& st = *st_;
    const size_t bytes = v.size() * sizeof(double);
    double* d = reinterpret_cast<double*>(scratch(bytes));  // stream-ordered: after earlier users
    st.cuda_check(cudaMemcpyAsync(d, v.data(), bytes, cudaMemcpyHostToDevice, st.stream), where("max_over_ranks"));
    enqueue("max_over_ranks", ncclAllReduce(d, d, v.size(), ncclFloat64, ncclMax, comm_, st.stream));
    st.cuda_check(cudaMemcpyAsync(v.data(), d, bytes, cudaMemcpyDeviceToHost, st.stream), where("max_over_ranks"));
    st.synchronize(where("max_over_ranks"));
    return v;
  }

 private:
  std::string where(const std::string& op) const {
    return "phase '" + phase() + "', group " + ranks_str(world_ranks_) + ", world rank " +
           std::to_string(st_->world_rank) + ", " + op;
  }

  void enqueue(const char* op, ncclResult_t r) {
    const std::string w = where(op);
    st_->wait_ready(comm_, r, w);
    st_->note(w, key_, world_ranks_);
  }

  void group_begin() {
    ncclResult_t r = ncclGroupStart();
    if (r != ncclSuccess) st_->fail("nccl_error", where("ncclGroupStart") + ": " + ncclGetErrorString(r));
  }

  void in_group(ncclResult_t r, const char* op) {
    if (r == ncclSuccess || r == ncclInProgress) return;
    ncclGroupEnd();  // leave the thread's group state clean before the error propagates
    st_->fail("nccl_error", where(op) + ": " + ncclGetErrorString(r) + " (" + ncclGetLastError(comm_) + ")");
  }

  // Stream-ordered scratch: growing it never blocks the host (cudaFree would wait for the device,
  // which may be stuck in a collective that is about to time out).
  char* scratch(size_t bytes) {
    if (bytes > scratch_bytes_) {
      if (scratch_) st_->cuda_check(cudaFreeAsync(scratch_, st_->stream), where("scratch"));
      scratch_ = nullptr;
      scratch_bytes_ = 0;
      st_->cuda_check(cudaMallocAsync(reinterpret_cast<void**>(&scratch_), bytes, st_->stream),
                      where("scratch"));
      scratch_bytes_ = bytes;
    }
    return scratch_;
  }

  const char* stage(const void* src, size_t bytes) {
    char* s = scratch(bytes);
    st_->cuda_check(cudaMemcpyAsync(s, src, bytes, cudaMemcpyDeviceToDevice, st_->stream),
                    where("staging"));
    return s;
  }

  std::shared_ptr<NcclRank> st_;
  std::string key_;
  ncclComm_t comm_;
  int rank_;
  char* scratch_ = nullptr;
  size_t scratch_bytes_ = 0;
  int cta_next_ = 0;  // CTA policy of the next split (split_cta)
};

static_assert(NCCL_CTA_POLICY_ZERO == kCtaPolicyZero, "comm/nccl_path.hpp: kCtaPolicyZero is NCCL_CTA_POLICY_ZERO");
static_assert(NCCL_WIN_REQUIRED_ALIGNMENT == kWindowAlign, "window offsets are rounded to kWindowAlign");

std::atomic<int64_t> g_registers{0}, g_deregisters{0}, g_windows{0}, g_window_deregisters{0}, g_mem_allocs{0},
    g_mem_frees{0};

// The registered / symmetric / zero-cta paths' memory: ncclMemAlloc (cuMem) arenas, registered
// on every communicator that touches them. With cuMem on (NCCL's default), ncclCommRegister of a
// cudaMalloc buffer fails (register.cc), so every path but default allocates here.
class NcclBufferProvider final : public BufferProvider {
 public:
  NcclBufferProvider(const NcclPathRow& p, NcclComm& owner) : path_(p), owner_(owner) {}
  ~NcclBufferProvider() override {
    // Normally empty here (each arena's owner released it); never throw from a destructor.
    while (!regs_.empty()) {
      try {
        release(regs_.begin()->first);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "bridgebench: releasing NCCL path memory: %s\n", e.what());
      }
    }
  }
  NcclPath path() const override { return path_.path; }
  bool registers() const override { return true; }

  void* acquire(size_t bytes, const std::vector<Comm*>& comms) override {
    NcclRank& st = owner_.rank_state();
    void* base = nullptr;
    const ncclResult_t r = ncclMemAlloc(&base, bytes);
    if (r != ncclSuccess || !base)
      st.fail("nccl_error", owner_.where_public("ncclMemAlloc") + " of " + std::to_string(bytes) + " bytes: " + ncclGetErrorString(r));
    ++g_mem_allocs;
    auto& regs = regs_[base];
    std::vector<ncclComm_t> done;
    for (Comm* c : comms) {
      auto* nc = dynamic_cast<NcclComm*>(c);
      if (!nc || std::find(done.begin(), done.end(), nc->native()) != done.end()) continue;
      done.push_back(nc->native());
      Reg g{nc->native(), nullptr, path_.registration == NcclRegistration::symmetric_window};
      const std::string w = nc->where_public(g.window ? "ncclCommWindowRegister" : "ncclCommRegister");
      if (g.window) {
        ncclWindow_t win = nullptr;
        // Collective over the comm's members; a missing symmetric support silently falls back
        // to a plain registration (dev_runtime.cc), which the path detector then shows.
        st.wait_ready(nc->native(), ncclCommWindowRegister(nc->native(), base, bytes, &win, NCCL_WIN_COLL_SYMMETRIC), w);
        g.handle = win;
        ++g_windows;
      } else {
        st.wait_ready(nc->native(), ncclCommRegister(nc->native(), base, bytes, &g.handle), w);
        ++g_registers;
      }
      regs.push_back(g);
    }
    return base;
  }

  // Deregisters on every communicator (in reverse), then frees: never free registered memory.
  void release(void* base) override {
    auto it = regs_.find(base);
    if (it == regs_.end()) return;
    NcclRank& st = owner_.rank_state();
    std::string err;
    for (auto g = it->second.rbegin(); g != it->second.rend(); ++g) {
      if (st.aborted) break;  // an aborted comm's registrations went with it
      const ncclResult_t r = g->window ? ncclCommWindowDeregister(g->comm, static_cast<ncclWindow_t>(g->handle))
                                       : ncclCommDeregister(g->comm, g->handle);
      try {
        st.wait_ready(g->comm, r, owner_.where_public(g->window ? "ncclCommWindowDeregister" : "ncclCommDeregister"));
      } catch (const std::exception& e) {
        if (err.empty()) err = e.what();
      }
      ++(g->window ? g_window_deregisters : g_deregisters);
    }
    regs_.erase(it);
    const ncclResult_t r = ncclMemFree(base);
    ++g_mem_frees;
    if (err.empty() && r != ncclSuccess) err = std::string("ncclMemFree: ") + ncclGetErrorString(r);
    if (!err.empty() && std::uncaught_exceptions() == 0) throw CommError("nccl_error", err);
  }

 private:
  struct Reg {
    ncclComm_t comm;
    void* handle;
    bool window;
  };
  const NcclPathRow& path_;
  NcclComm& owner_;
  std::map<void*, std::vector<Reg>> regs_;
};

std::unique_ptr<BufferProvider> NcclComm::make_buffer_provider(const NcclPathRow& path) {
  return std::make_unique<NcclBufferProvider>(path, *this);
}

}  // namespace

int nccl_runtime_version() {
  int v = 0;
  if (ncclGetVersion(&v) != ncclSuccess) throw Error("nccl_error", "ncclGetVersion failed");
  return v;
}

NcclRegistrationCounts nccl_registration_counts() {
  NcclRegistrationCounts c;
  c.registers = g_registers.load();
  c.deregisters = g_deregisters.load();
  c.windows = g_windows.load();
  c.window_deregisters = g_window_deregisters.load();
  c.mem_allocs = g_mem_allocs.load();
  c.mem_frees = g_mem_frees.load();
  return c;
}

std::unique_ptr<Comm> make_nccl_world_comm(const ncclUniqueId& id, int size, int rank, Device& dev,
                                           std::shared_ptr<AbortState> world_abort,
                                           double timeout_s) {
  auto st = std::make_shared<NcclRank>();
  st->world_rank = rank;
  st->stream = static_cast<cudaStream_t>(dev.native_stream());
  st->timeout_s = timeout_s;
  st->world_abort = std::move(world_abort);
  if (!st->stream) throw Error("bad_device", "nccl backend needs a CUDA device (got " + dev.kind() + ")");
  const std::string where = "phase 'init', world rank " + std::to_string(rank);
  st->cuda_check(cudaMalloc(reinterpret_cast<void**>(&st->d_scalar), sizeof(double)), where);
  st->cuda_check(cudaMallocHost(reinterpret_cast<void**>(&st->h_scalar), sizeof(double)), where);
  st->cuda_check(cudaMalloc(reinterpret_cast<void**>(&st->d_align), sizeof(float)), where);
  st->cuda_check(cudaMemset(st->d_align, 0, sizeof(float)), where);

  ncclConfig_t cfg = NCCL_CONFIG_INITIALIZER;
  cfg.blocking = 0;
  ncclComm_t c = nullptr;
  ncclUniqueId uid = id;
  ncclResult_t r = ncclCommInitRankConfig(&c, size, uid, rank, &cfg);
  if (c) st->comms.push_back(c);
  if (!c) {
    throw CommError("nccl_error", where + ": ncclCommInitRankConfig: " +
                                      std::string(ncclGetErrorString(r)));
  }
  st->wait_ready(c, r, where + ", ncclCommInitRankConfig");
  std::vector<int> wr(static_cast<size_t>(size));
  for (int k = 0; k < size; ++k) wr[size_t(k)] = k;
  return std::make_unique<NcclComm>(st, c, rank, std::move(wr), 0);
}

}  // namespace bb
