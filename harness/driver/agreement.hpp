#pragma once
// "Run config k on every rank": rank 0 chooses the configs (Google Benchmark runs there, with
// its filter and repetitions); every other rank runs what rank 0 announces, in the same order,
// so each collective of a config meets all its peers. The announcement is an agreement over the
// world communicator, the one operation every backend has that moves a value to all ranks.
//
// Any rank may stop the run at a config boundary (a SIGINT/SIGTERM it received, in whichever
// process of a launcher): at the next agreement it offers "stop" instead, which outranks every
// config, so all ranks learn it at the same boundary, none starts the config, and no collective
// is left waiting for a peer.
#include <functional>

#include "comm/comm.hpp"

namespace bb {

class ConfigAgreement {
 public:
  // `interrupted` (may be empty): the signal pending for this rank, 0 if none.
  explicit ConfigAgreement(Comm& world, std::function<int()> interrupted = {})
      : world_(world), interrupted_(std::move(interrupted)) {}
  // Rank 0: config k runs next (every rank, rank 0 included, then runs it). Returns 0, or the
  // signal of a rank that stopped the run: then no rank runs k and every follow() has returned.
  int announce(int k);
  // Rank 0: no more configs; the other ranks' follow() returns.
  void finish();
  // Ranks > 0: run every announced config until finish() or a stop. A config's own error (a
  // refusal, a mismatch) is rank 0's to record; a CommError (a peer failed, a timeout) ends the
  // run. Returns 0 after finish(), else the signal that stopped the run.
  int follow(const std::function<void(int)>& run);

 private:
  // Ranks > 0 offer kListening, below every config index and kDone, so the world's maximum is
  // rank 0's announcement; a stop (kStop + the signal) is above every config index.
  static constexpr double kDone = -1.0, kListening = -2.0, kStop = 1e15;
  double offer(double value) const;
  static int stopped_by(double agreed) { return agreed >= kStop ? int(agreed - kStop) : 0; }
  Comm& world_;
  std::function<int()> interrupted_;
};

}  // namespace bb
