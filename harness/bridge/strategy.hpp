#pragma once
// A strategy is one way to run the bridge's forward and backward (semantics §4) that every
// run checks against the same oracle. Strategies are written once over a Comm and a Device, so
// the host simulation, the single-GPU emulation and NCCL all run the same code.
#include <array>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "boxes.hpp"
#include "comm/collectives.hpp"
#include "comm/comm.hpp"
#include "device/device.hpp"
#include "measure/phases.hpp"
#include "oracle/oracle.hpp"
#include "plan/plan.hpp"

namespace bb {

// One rank's view of a bridge run: the plan, shape, comms, buffers and the phase recorder.
class RankBridge {
 public:
  RankBridge(const Plan& plan, const BridgeShape& shape, Comm& world, Device& dev);

  const Plan& plan() const { return plan_; }
  const BridgeShape& shape() const { return shape_; }
  int rank() const { return rank_; }
  Device& dev() { return dev_; }
  int64_t dest_batch() const { return dest_batch_; }
  int cp() const { return plan_.dest_cp; }
  int cp_rank() const { return plan_.dest_of(rank_).cp; }
  Comm* gather_comm() const { return gather_; }
  Comm* cp_comm() const { return cp_; }

  // Tensor shapes of this rank (ptr filled from the current buffer set).
  TensorRef src_ref(void* p) const;         // [b, s, h] in the shape's memory order
  TensorRef dest_ref(void* p) const;        // [b', s, h]
  TensorRef shard_ref(void* p) const;       // [b', s/c, h]
  TensorRef tensor(void* p, int64_t batch, int64_t seq, MemOrder l) const;

  // The buffers every strategy reads or writes. Outputs may be re-pointed by a strategy that
  // produces them in place elsewhere (e.g. an identity that aliases its input).
  struct Buffers {
    void* src = nullptr;         // input: encoder activations
    void* dest = nullptr;        // forward result (full sequence), if the strategy makes one
    void* shard = nullptr;       // the LLM's CP shard of the forward result
    void* grad_shard = nullptr;  // input: the LLM's gradient w.r.t. its shard
    void* dest_grad = nullptr;   // zero-padded full gradient, if the strategy makes one
    void* src_grad = nullptr;    // backward result: the encoder's gradient
    std::map<std::string, void*> ws;  // strategy workspaces
  };
  Buffers& buf() { return *cur_; }
  void use_set(size_t i) { cur_ = &sets_[i % sets_.size()]; }
  std::vector<Buffers>& sets() { return sets_; }

  // Phase bracketing: sets the comm's phase name (for timeout messages) and the recorder.
  void set_recorder(PhaseRecorder* r) { rec_ = r; }
  void enter(Phase p);
  void leave();

  // Operations that account their bytes to the current phase (through the collective table).
  void local(const std::vector<CopySegment>& segs);
  void all_gather(Comm& c, const void* send, void* recv, size_t bytes);
  void all_reduce(Comm& c, void* buf, size_t count);
  void all_to_all(Comm& c, const void* send, void* recv, size_t bytes_per_peer);
  void send_recv(Comm& c, const std::vector<P2POp>& ops);  // counts what it receives from peers

  // A strategy's own per-rank state for this plan and shape (built on first use, kept for the
  // RankBridge's life: one config on one rank), e.g. its exchange lists.
  template <class T, class Make>
  T& state(Make make) {
    if (!state_) state_ = std::make_shared<T>(make());
    return *static_cast<T*>(state_.get());
  }

  // Gather and CP subgroup handles of this rank (created once by the caller and reused).
  void set_comms(Comm* gather, Comm* cp) { gather_ = gather; cp_ = cp; }

 private:
  PhaseWork& work();
  const Plan& plan_;
  BridgeShape shape_;
  Comm& world_;
  Device& dev_;
  int rank_;
  int64_t dest_batch_;
  Comm* gather_ = nullptr;
  Comm* cp_ = nullptr;
  std::vector<Buffers> sets_;
  Buffers* cur_ = nullptr;
  PhaseRecorder* rec_ = nullptr;
  PhaseWork scratch_;
  std::shared_ptr<void> state_;
};

struct WorkspaceSpec {
  std::string name;
  int64_t bytes;
};

// A collective a strategy calls: the bare collectives of a sweep follow from these.
struct CollectiveUse {
  Phase phase;
  CollOp op;
  std::vector<std::vector<int>> groups;  // world ranks; every group runs it at once
  int64_t msg_bytes = 0;                 // the table's per-rank message (max over ranks if it varies)
};

// What one rank receives over the link in one phase (semantics §10's bytes_per_rank), as declared by
// the strategy from the plan and shape alone; tests hold it equal to what the rank really moves.
struct PhaseBytes {
  std::string op;       // the collective table's row name; empty: nothing over the link
  int64_t bytes = 0;    // received from other ranks, padding included
  int64_t padding = 0;  // of which padding (an all-to-all padded to equal counts)
};
using ByteModel = std::array<PhaseBytes, kPhaseCount>;

class Strategy {
 public:
  virtual ~Strategy() = default;
  virtual std::string name() const = 0;
  virtual std::string description() const = 0;
  // Which standard buffers this strategy writes (dest, dest_grad) and its workspaces.
  virtual bool makes_dest(const RankBridge& rb) const = 0;
  virtual bool makes_dest_grad(const RankBridge& rb) const = 0;
  virtual std::vector<WorkspaceSpec> workspaces(const RankBridge& rb) const = 0;
  // Gather groups in concatenation order; the plan's unless a strategy needs others.
  virtual std::vector<std::vector<int>> gather_groups(const Plan& p) const { return p.gather_groups; }
  // The collectives this strategy calls for a plan and shape.
  virtual std::vector<CollectiveUse> collectives(const Plan& p, const BridgeShape& sh) const = 0;
  // Bytes `rank` receives per phase. By default each declared collective's table row, on the
  // ranks of its groups; strategies whose bytes differ by rank declare their own.
  virtual ByteModel byte_model(const Plan& p, const BridgeShape& sh, int rank) const;
  // The largest grid (ranks) whose collectives and byte model this strategy declares in well
  // under a second; 0: any. The cost model (harness/model/) leaves larger grids unpriced, saying so.
  virtual int max_declared_ranks() const { return 0; }
  // src -> shard (through dest if makes_dest), then grad_shard -> src_grad.
  virtual void forward(RankBridge& rb) const = 0;
  virtual void backward(RankBridge& rb) const = 0;
};

// The reference, optionally broken on purpose: the oracle's own tests prove it catches these.
struct ReferenceFaults {
  bool skip_cp_reduce = false;   // forget the intra-CP all_reduce
  bool reverse_gather = false;   // concatenate the gather group in the wrong order
};
std::unique_ptr<Strategy> make_reference(ReferenceFaults faults = {});

// The point-to-point strategy, optionally broken on purpose (the oracle must catch both).
struct P2PFaults {
  bool drop_chunk = false;        // one cell that crosses the link is never sent
  bool wrong_cp_sibling = false;  // one forward cell goes to the receiver's CP sibling instead
};
std::unique_ptr<Strategy> make_p2p(P2PFaults faults = {});

// The table of strategies, by name (harness/bridge/strategies.def: one line per strategy).
const std::vector<std::string>& strategy_names();
std::unique_ptr<Strategy> make_strategy(const std::string& name);  // Error("bad_strategy")
// Strategy names as a user lists them: "all", anywhere in the list, stands for every registered
// strategy; an unknown name is Error("bad_strategy") naming `where` (the flag or the file key).
// Repeats are kept (the sweep drops them and says so).
std::vector<std::string> expand_strategies(const std::vector<std::string>& names, const std::string& where);

}  // namespace bb
