#include "plan/plan_json.hpp"

namespace bb {

namespace {

using oj = nlohmann::ordered_json;

// Appends a key known to be new. ordered_json's operator[] searches its keys first (a linear
// scan), which made a plan's rank tables quadratic in the world.
void append_new(oj& object, const std::string& key, oj value) {
  auto& pairs = static_cast<std::vector<std::pair<const std::string, oj>>&>(object.get_ref<oj::object_t&>());
  pairs.emplace_back(key, std::move(value));
}

}  // namespace

nlohmann::ordered_json plan_to_json(const Plan& p, std::optional<int64_t> batch) {
  oj j;
  j["direction"] = direction_name(p.direction);
  j["scale"] = p.scale;
  oj src = oj::object(), dest = oj::object();
  for (int r = p.offset(); r < p.offset() + p.size(); ++r) {
    append_new(src, std::to_string(r), {p.src_of(r).dp, p.src_of(r).tp});
    append_new(dest, std::to_string(r), {p.dest_of(r).dp, p.dest_of(r).tp, p.dest_of(r).cp});
  }
  j["rank_to_src_pos"] = src;
  j["rank_to_dest_coords"] = dest;
  j["gather_groups"] = p.gather_groups.empty() ? oj::array() : oj(p.gather_groups);
  j["cp_groups"] = p.cp_groups.empty() ? oj::array() : oj(p.cp_groups);
  if (batch) {
    oj sl = oj::object();
    for (int r = p.offset(); r < p.offset() + p.size(); ++r) {
      Slice s = p.slice(r, *batch);
      append_new(sl, std::to_string(r), {s.start, s.size});
    }
    j["slices"] = sl;
  }
  return j;
}

nlohmann::ordered_json audit_to_json(const Audit& a) {
  nlohmann::ordered_json j;
  j["ok"] = a.ok;
  j["src_batch"] = a.src_batch;
  j["misrouted_ranks"] = a.misrouted_ranks;
  j["cp_consistent"] = a.cp_consistent;
  if (a.first) {
    j["first_misrouted"] = {{"rank", a.first->rank}, {"receives", a.first->receives}, {"owns", a.first->owns},
                            {"truncated", a.first->truncated}};
  } else {
    j["first_misrouted"] = nullptr;
  }
  j["summary"] = a.summary;
  return j;
}

}  // namespace bb
