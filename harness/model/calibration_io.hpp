#pragma once
// Readers of measured collectives for the cost model's calibration (issue 22 item 2):
//  - a results JSON's bare collectives ("collectives", docs/results-schema.md) and its copy
//    bandwidth (environment.copy_bandwidth_GBps);
//  - nccl-tests output: its text table (stdout) or its -J JSON;
//  - a folder of those (every *.json, *.txt and *.log in it, sorted).
// Each point gets the bridge's placement (in place for all_reduce, out of place otherwise: the
// collective table's bridge_in_place) and the link class its ranks used.
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "model/calibration.hpp"

namespace bb {

struct Measurements {
  std::vector<FitPoint> points;
  CopyFit copy;                      // default unless a results JSON measured it
  std::vector<double> empty_round_trip_ms;  // configs of a results JSON that run no phase
  std::string empty_source;                 // the files they came from
  std::vector<std::string> sources;  // one line per file read
};

// The link class a results JSON's collectives ran over: emulate/host -> shared; nccl with one GPU
// for several ranks -> socket; nccl over several hosts -> network; else nvlink.
LinkClass results_link(const nlohmann::json& results);
void read_results_collectives(const nlohmann::json& results, const std::string& name, Measurements& m);
void read_nccl_tests_text(const std::string& text, const std::string& name, Measurements& m);
void read_nccl_tests_json(const nlohmann::json& j, const std::string& name, Measurements& m);

// A file or a folder, by content; Error("bad_calibration") for what is none of these, or for a
// path that does not exist or yields no point.
Measurements read_measurements(const std::string& path);
// read_measurements, then fit_all.
Calibration calibrate(const std::string& path);

// The calibration as JSON: per (op, link) alpha, beta, calibrated, source, and every fitted point
// with its residual; the copy fit.
nlohmann::ordered_json calibration_json(const Calibration& c);
// The timer floor as JSON (bridge-plan --predict's calibration.floor): us, calibrated, source.
nlohmann::ordered_json floor_json(const TimerFloor& f);

}  // namespace bb
