#pragma once
// "Run config k on every rank": rank 0 chooses the configs (Google Benchmark runs there, with
// its filter and repetitions); every other rank runs what rank 0 announces, in the same order,
// so each collective of a config meets all its peers. The announcement is an agreement over the
// world communicator, the one operation every backend has that moves a value to all ranks.
#include <functional>

#include "comm/comm.hpp"

namespace bb {

class ConfigAgreement {
 public:
  explicit ConfigAgreement(Comm& world) : world_(world) {}
  // Rank 0: config k runs next (every rank, rank 0 included, then runs it).
  void announce(int k);
  // Rank 0: no more configs; the other ranks' follow() returns.
  void finish();
  // Ranks > 0: run every announced config until finish(). A config's own error (a refusal, a
  // mismatch) is rank 0's to record; a CommError (a peer failed, a timeout) ends the run.
  void follow(const std::function<void(int)>& run);

 private:
  // Ranks > 0 offer kListening, below every config index and kDone, so the world's maximum is
  // rank 0's announcement.
  static constexpr double kDone = -1.0, kListening = -2.0;
  Comm& world_;
};

}  // namespace bb
