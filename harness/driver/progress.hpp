#pragma once
// The sweep's progress line: "[config 12/48] id  (elapsed 30s, eta 95s)" or "[collective 3/30]
// ...": round trips and bare collectives counted apart. The eta comes from EtaModel: a cost
// model of each run, fitted online from the runs already done.
#include <chrono>
#include <string>
#include <vector>

namespace bb {

// The eta's model: each run's seconds ~ a + rate[kind] x work, where `work` is known before
// anything runs (SweepRun::cost: the bytes a run moves per pass times its passes, so round
// trips and bare collectives of any size are on one scale). Fitted from the runs done:
//   - rate[kind]: that kind's seconds per unit of work so far, net of the overhead; a kind with
//     nothing done yet takes the other kind's rate times kCollectiveRate (kind 1 over kind 0);
//   - a: the per-run overhead (set-up, the warm-up's minimum time), the intercept of a least-
//     squares line through the runs done, once their work spans at least 2x (before that, 0:
//     one size alone cannot tell overhead from rate), kept between 0 and the fastest run.
// So the first few small runs already price the large ones and the other kind, instead of the
// small runs' pace per run (or per byte, overhead included) being promised for everything.
class EtaModel {
 public:
  // A bare collective's seconds per unit of work over a round trip's: 3.5 on the recorded host
  // sweep (tests/data/sweep_timings_host.csv: per unit, fan-in round trips 0.47-0.52, fan-out
  // 0.33, bare collectives 1.5-1.7 of every layout); used only until a run of each kind is done.
  static constexpr double kCollectiveRate = 3.5;
  void plan(int kind, double work);  // one run to come (kind 0 or 1)
  void done(int kind, double work, double seconds);
  // Seconds for every planned run not yet done; < 0 while nothing is done.
  double remaining_s() const;

 private:
  struct Run {
    int kind;
    double work, s;
  };
  double planned_work_[2] = {0, 0};
  int planned_[2] = {0, 0};
  std::vector<Run> done_;
};

class SweepProgress {
 public:
  enum Kind { config = 0, collective = 1 };
  // Counting pass: one run to come (a repetition is a run of its own).
  void plan(Kind kind, double work);
  int planned() const { return planned_[0] + planned_[1]; }
  // Before the first run: elapsed counts from here.
  void begin() { t0_ = last_ = std::chrono::steady_clock::now(); }
  // A run starts: closes the previous one and prints the line.
  void start(Kind kind, double work, const std::string& id);

 private:
  int planned_[2] = {0, 0}, started_[2] = {0, 0};
  EtaModel eta_;
  int last_kind_ = -1;
  double last_work_ = 0;
  std::chrono::steady_clock::time_point t0_, last_;
};

}  // namespace bb
