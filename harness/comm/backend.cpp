#include "comm/backend.hpp"

#include "comm/named_row.hpp"

namespace bb {

const std::vector<BackendTraits>& backends() {
  //                                   gpu    shares captures links  emulated one_gpu
  static const std::vector<BackendTraits> t{
      {"host", /*gpu=*/false, /*shares_memory=*/true, /*captures_graphs=*/false, /*over_links=*/false,
       /*emulated=*/false, /*one_gpu_per_rank=*/false},
      {"emulate", true, true, false, false, true, false},
      {"nccl", true, false, true, true, false, true},
  };
  return t;
}

const BackendTraits& backend_traits(const std::string& name) {
  return row_named(backends(), name, "bad_flag", "backend");
}

}  // namespace bb
