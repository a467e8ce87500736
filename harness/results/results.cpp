#include "results/results.hpp"

#include "results/output_file.hpp"

#include "core/checked.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <cstdio>
#include <fstream>
#include <numeric>

#include <unistd.h>

#include "comm/backend.hpp"
#include "plan/exchange.hpp"

namespace bb {

nlohmann::ordered_json phase_table_json() {
  nlohmann::ordered_json t = nlohmann::ordered_json::array();
  for (int k = 0; k < kPhaseCount; ++k) {
    const PhaseInfo& p = phase_info(Phase(k));
    char rgb[8];
    std::snprintf(rgb, sizeof rgb, "#%06X", unsigned(p.argb & 0xFFFFFFu));
    t.push_back({{"name", p.name}, {"role", p.role}, {"color", rgb}});
  }
  return t;
}

void require_complete_check(const CheckOutcome& c) {
  if (c.elements_checked <= 0)
    throw Error("incomplete_check", "the oracle checked 0 elements of this config (" +
                                        std::to_string(c.tensors_checked) +
                                        " tensors on rank 0): a result that was not checked is not reported as correct");
  if (c.elements_expected > 0 && c.elements_checked < c.elements_expected)
    throw Error("incomplete_check", "the oracle checked " + std::to_string(c.elements_checked) + " of the " +
                                        std::to_string(c.elements_expected) +
                                        " elements the bridge's tensors hold over its member ranks");
}

Floor phase_floor(const Floors& f, bool collective, int64_t bytes) {
  Floor fl;
  if (collective && f.collectives_over_links) {
    if (!f.no_link_floor.empty()) {
      fl.known = false;
      fl.basis = "none: " + f.no_link_floor;
      return fl;
    }
    fl.ms = double(bytes) / (f.link_GBps * 1e6);
    fl.basis = f.link_class;
  } else {
    fl.ms = (collective ? 2.0 * double(bytes) : double(bytes)) * f.ranks_per_memory / (f.copy_GBps * 1e6);
  }
  return fl;
}

void write_json_atomic(const std::string& path, const nlohmann::ordered_json& j) {
  write_file_atomic(path, j.dump(1) + "\n");
}

}  // namespace bb
