#pragma once
// Work that runs beside the timed iterations (the GEMM contention load, measure/gemm_load.hpp),
// one per rank: started just before the first measured iteration, stopped after the last
// (run/contention.hpp runs the loop beside it).
namespace bb {

struct LoadWindow {
  double work = 0;       // units of work done in the window (GEMMs)
  double window_ms = 0;
  double tflops = 0;
};
class ConcurrentLoad {
 public:
  virtual ~ConcurrentLoad() = default;
  virtual void start() = 0;
  virtual LoadWindow stop() = 0;
  virtual LoadWindow alone(double ms) = 0;  // the load by itself, for the same-run reference
};

}  // namespace bb
