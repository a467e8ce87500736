#pragma once
// One sweep from flags to results JSON, with no benchmark framework in it: validate everything
// up front, set up the floors and the GPU, launch the ranks, run config k on every rank (rank 0
// chooses k), check each by the oracle before its timing counts, and keep what was measured.
// bench/bridge_bench.cpp drives it from Google Benchmark; a test can drive it from a loop.
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "run/round_trip.hpp"
#include "comm/launch_env.hpp"
#include "driver/agreement.hpp"
#include "driver/configs.hpp"
#include "driver/links.hpp"
#include "driver/options.hpp"
#include "driver/progress.hpp"
#include "driver/summary.hpp"
#include "results/floors.hpp"
#include "results/output_file.hpp"
#include "results/records.hpp"

namespace bb {

// What one run of a config gave rank 0: measured (its record of this repetition, a round trip's
// or a bare collective's, and the median that stands for it), or refused/failed (the message;
// the sweep records it and goes on).
struct Outcome {
  bool measured = false;
  double median_ms = 0;
  std::optional<ConfigRecord> config;
  std::optional<CollectiveRecord> collective;
  std::string error;
};

class SweepRun {
 public:
  // Every refusal that can be known before anything runs is thrown here (Error, docs/bad-input.md).
  explicit SweepRun(const BenchOptions& opt);

  // Configs 0..points-1 are round trips, the rest bare collectives.
  size_t size() const { return points_.size() + bares_.size(); }
  std::string name(size_t k) const;  // "bridge/<id>" or "coll/<id>"
  bool is_round_trip(size_t k) const { return k < points_.size(); }
  const std::string& backend() const { return backend_; }
  int world() const { return world_; }
  const BenchOptions& options() const { return opt_; }
  size_t skipped() const { return skipped_.size(); }
  bool writes_results() const { return env_.rank == 0; }  // this process holds rank 0's results
  // Counting pass (Google Benchmark's filter and repetitions): config k will run once more.
  void plan_run(size_t k);
  int planned_runs() const { return progress_.planned(); }

  // Floors, GPU warm-up, the copy roofline and CUPTI, before the first config.
  void prepare();
  // Starts the world's ranks; on rank 0 `drive` runs and calls run(k) per config, the other
  // ranks follow its announcements. Returns when every rank is done; throws what aborted it.
  void launch(const std::function<void()>& drive);
  // Rank 0, inside `drive`: runs config k on every rank and records what it gave.
  Outcome run(size_t k);

  // The results JSON (docs/results-schema.md) of what was measured; `aborted` says why it ended early.
  nlohmann::ordered_json results_json(const nlohmann::ordered_json& aborted) const;
  // The stdout summary's view of the same records (driver/summary.hpp).
  RunSummary summary(bool aborted) const;
  size_t measured() const { return configs_.records.size() + collectives_.records.size(); }
  size_t failed() const { return failures_.size(); }
  // The signal (SIGINT, SIGTERM) of any rank that stopped the sweep at a config boundary, or 0
  // (driver/interrupt.hpp, driver/agreement.hpp).
  int interrupted_by() const { return stopped_by_; }

 private:
  RunResult run_point(size_t k, Device& dev, CommCache& cache);
  BareResult run_bare(size_t j, Comm& world, Device& dev, CommCache& cache);
  void run_any(size_t k, Comm& world, Device& dev, CommCache& cache);
  bool fault_here(size_t k, int rank);
  Outcome record_point(size_t k, const RunResult& r);
  Outcome record_bare(size_t j, const BareResult& r);
  // Config k's id and key (config/config_key.hpp), for the stderr lines and the JSON's records.
  std::string id_of(size_t k) const;
  nlohmann::ordered_json key_of(size_t k) const;
  Refusal refusal(size_t k, const std::string& rule, const std::string& message) const;
  Outcome refused(size_t k, const Error& e);
  Outcome failed(size_t k, const std::string& rule, const std::string& message);
  // The kept records of configs or of collectives, and where each id sits among them; a
  // repetition appends its samples to its config's record (results/repetitions.hpp).
  template <class Record>
  struct Kept {
    std::vector<Record> records;
    std::map<std::string, size_t> at;
    void keep(const Record& r);
  };
  double cost(size_t k) const;
  SweepProgress::Kind kind(size_t k) const { return is_round_trip(k) ? SweepProgress::config : SweepProgress::collective; }

  BenchOptions opt_;
  LaunchEnv env_;
  std::string backend_;
  int world_ = 0;
  std::vector<Point> points_;
  std::vector<Bare> bares_;
  Floors floors_;
  RunLinks links_;  // rank 0's: the transport NCCL used, ranks sharing a GPU (driver/links.hpp)
  int64_t l2_bytes_ = 32ll << 20;
  std::shared_ptr<GpuActivity> cupti_;
  std::unique_ptr<OutputLock> output_lock_;  // rank 0: --json's lock, from the checks until written
  // Rank 0's handles while its launch runs.
  Comm* world0_ = nullptr;
  Device* dev0_ = nullptr;
  CommCache* cache0_ = nullptr;
  // What was measured, in first-run order; a repetition merges into its config's entry.
  Kept<ConfigRecord> configs_;
  Kept<CollectiveRecord> collectives_;
  std::vector<Refusal> failures_, skipped_;
  SweepProgress progress_;
  int stopped_by_ = 0;
};

}  // namespace bb
