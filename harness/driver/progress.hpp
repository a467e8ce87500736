#pragma once
// The sweep's progress line: "[config 12/48] id  (elapsed 30s, eta 95s)" or "[collective 3/30]
// ...": round trips and bare collectives counted apart. The eta weighs each run by its cost
// (the bytes it moves, from the shapes alone): a kind's seconds per unit of cost so far, times
// the cost still to come of that kind (a kind not started yet at the other kind's rate), so a
// sweep whose large shapes come last is not promised the small shapes' pace.
#include <chrono>
#include <string>

namespace bb {

class SweepProgress {
 public:
  enum Kind { config = 0, collective = 1 };
  // Counting pass: one run to come (a repetition is a run of its own).
  void plan(Kind kind, double cost);
  int planned() const { return planned_[0] + planned_[1]; }
  // Before the first run: elapsed counts from here.
  void begin() { t0_ = last_ = std::chrono::steady_clock::now(); }
  // A run starts: closes the previous one and prints the line.
  void start(Kind kind, double cost, const std::string& id);

 private:
  int planned_[2] = {0, 0}, started_[2] = {0, 0};
  double planned_cost_[2] = {0, 0}, done_cost_[2] = {0, 0}, spent_s_[2] = {0, 0};
  int last_kind_ = -1;
  double last_cost_ = 0;
  std::chrono::steady_clock::time_point t0_, last_;
};

}  // namespace bb
