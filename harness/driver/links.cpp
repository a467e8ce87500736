#include "driver/links.hpp"

#include <cstdio>

#include "comm/launch_env.hpp"

namespace bb {

namespace {

void set_floors(const RunLinks& links, double link_GBps, Floors& floors) {
  floors.link_class = links.verdict.link_class.empty() ? "unknown" : links.verdict.link_class;
  if (links.shared_gpu) {
    floors.no_link_floor = "shared_gpu (ranks share one GPU: times are not link measurements)";
  } else if (link_GBps > 0) {
    floors.link_GBps = link_GBps;
  } else if (floors.link_class != "nvlink") {
    floors.no_link_floor = "link class " + floors.link_class + " has no known bandwidth (give --link-bandwidth=GBPS)";
  }
}

}  // namespace

void learn_links(Comm& world, bool at_start, double link_GBps, RunLinks& links, Floors& floors) {
  std::string why;
  const std::vector<std::string> seen = agree_transports(world, &why);
  if (world.rank() != 0) return;
  const auto& ranks = launch_record().ranks;
  links.learned = true;
  links.shared_gpu = ranks_share_a_gpu(ranks);
  links.not_captured = why;
  (at_start ? links.at_start : links.observed) = seen;
  links.verdict = judge_transports(seen, ranks);
  if (!at_start) return;
  set_floors(links, link_GBps, floors);
  if (links.shared_gpu)
    std::fprintf(stderr, "bridge_bench: ranks share one GPU (transport %s): collective times are not link "
                         "measurements; no floor ratios\n",
                 seen.empty() ? "unknown" : seen.front().c_str());
  for (const auto& w : links.verdict.warnings) std::fprintf(stderr, "bridge_bench: warning: %s\n", w.c_str());
}

nlohmann::ordered_json RunLinks::to_json() const {
  using oj = nlohmann::ordered_json;
  if (!learned) return nullptr;
  oj j;
  j["transports"] = observed.empty() ? at_start : observed;
  j["transports_at_start"] = at_start;
  j["link_class"] = verdict.link_class.empty() ? oj(nullptr) : oj(verdict.link_class);
  j["shared_gpu"] = shared_gpu;
  j["source"] = "NCCL's INFO lines (INIT, NET), one file per process, read after the world's first collective and "
                "after the sweep";
  j["not_captured"] = not_captured.empty() ? oj(nullptr) : oj(not_captured);
  j["warnings"] = verdict.warnings;
  return j;
}

}  // namespace bb
