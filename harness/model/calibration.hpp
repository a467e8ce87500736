#pragma once
// Calibration of the cost model (issue 22): per collective op and link class, time =
// alpha x hops(op, n) + bytes on the link / beta, fitted by weighted least squares over measured
// sizes, with the residual of every fitted point kept; local copies: alpha + bytes read and
// written / copy bandwidth. Pure arithmetic: the readers (calibration_io.hpp) turn results JSON
// and nccl-tests output into points.
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "comm/collectives.hpp"
#include "model/topology.hpp"

namespace bb {

// Latency steps of one call on a group of n (NCCL's ring: n-1 steps for an all-gather, 2(n-1) for
// an all-reduce; an all-to-all pays n-1 peers; a grouped send/recv one exchange).
int latency_hops(CollOp op, int n);

// Bytes a collective copies through the one memory of the shared medium (the emulation: every
// rank a thread on one GPU, harness/comm/emulate_comm.cpp) per byte of the table's bytes_per_rank,
// for the call's placement there (the collective table's shared_medium_factor): out of place, an
// all-gather and an all-to-all copy every block, the rank's own included: n / (n-1); an all-reduce's
// sum reads n inputs and writes one output, (n+1)/2 copies of the message; staged (in place), one
// more copy of the result; send/recv copies what arrives. 1 on the other media (NCCL moves the
// table's bytes). Structural, from the backend's code: it makes one fit price every group size
// and placement.
double medium_bytes_factor(Medium m, CollOp op, int n, Placement where);

// One measured call: bytes on the link per rank (the collective table's bytes_per_rank; on a
// shared medium the sum over every rank on it) and its time.
struct FitPoint {
  CollOp op = CollOp::all_gather;
  LinkClass link = LinkClass::nvlink;
  int group_size = 2;
  double link_bytes = 0;
  double measured_us = 0;
  std::string source;       // file and row it came from
  double fitted_us = 0;     // after fitting
  double residual = 0;      // fitted / measured - 1
};

struct LinkFit {
  double alpha_us = 0;   // per latency hop
  double beta_GBps = 0;  // bytes on the link per second, 1e9
  bool calibrated = false;
  std::string source;    // "fit of N points (...)", "default: ...", "borrowed from all_gather"
  std::vector<FitPoint> points;
  double time_us(CollOp op, int n, double link_bytes) const {
    return n > 1 ? alpha_us * latency_hops(op, n) + link_bytes / (beta_GBps * 1e3) : 0.0;
  }
};

struct CopyFit {
  double alpha_us = 4;        // one copy launch
  double copy_GBps = 2600;    // read + written bytes per second, one GPU alone
  bool calibrated = false;
  std::string source = "default: H100/H200 HBM device copy, 2600 GB/s read+write (uncalibrated)";
};

// The fixed cost of a timed interval: the suite times a phase and a round trip between two GPU
// marks (measure/phases.cpp), and two marks with nothing between them still take this long (an
// empty round trip: a config whose strategy moves nothing). Every phase and every round trip
// pays it once.
struct TimerFloor {
  double us = 0;
  bool calibrated = false;
  std::string source;
};
// Without a measured one: docs/cost-model.md, "The default calibration" (uncalibrated).
TimerFloor default_floor(Medium m);
// The median of a run's empty round trips (ms), labelled with `source`; uncalibrated when none.
TimerFloor floor_of(std::vector<double> empty_round_trip_ms, const std::string& source);

struct Calibration {
  std::map<std::pair<CollOp, LinkClass>, LinkFit> fits;
  CopyFit copy;
  TimerFloor floor;  // measured, else default_floor(medium) (floor_for)
  std::vector<std::string> sources;  // what it was read from
  // The fit for (op, link): its own, else another op's on the same link (all_to_all and send_recv
  // borrow all_gather's, which moves the same bytes per rank), else the documented default.
  LinkFit lookup(CollOp op, LinkClass link) const;
  bool calibrated(CollOp op, LinkClass link) const;
  TimerFloor floor_for(Medium m) const { return floor.calibrated ? floor : default_floor(m); }
};

// Weighted least squares of t = alpha x hops + bytes / beta over `points` (all of one op and
// link); weights 1/t^2, so every size counts by its relative error and large sizes do not swamp
// small ones. alpha is kept >= 0 (refit with alpha = 0 when the free fit goes negative).
// Error("bad_calibration") when fewer than 2 points or no positive bandwidth fits.
LinkFit fit_link(std::vector<FitPoint> points);

// Fits every (op, link) that has points; the rest stay to lookup()'s fallbacks.
Calibration fit_all(const std::vector<FitPoint>& points, const CopyFit& copy, std::vector<std::string> sources,
                    const TimerFloor& floor = {});

// The documented default (issue 22 item 2c): H100/H200 NVLink 4 and one 400 Gb/s InfiniBand NIC
// per GPU, labelled uncalibrated (calibrated = false everywhere). docs/cost-model.md gives the
// numbers and where they come from.
Calibration default_calibration();
LinkFit default_fit(CollOp op, LinkClass link);

}  // namespace bb
