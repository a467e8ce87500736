#pragma once
// Test-only: one member's tensors of the checked round trip, written as raw files so an outside
// implementation (upstream Megatron-LM's ColocatedBridgeCommunicator, scripts/torch_bridge.py)
// can be fed the same inputs and compared with the suite's outputs element for element
// (tests/python/test_upstream_parity.py). bridge_bench --dump-tensors=DIR, host backend only:
// on the host device a buffer is host memory, so nothing here knows a GPU.
//
// DIR/rank<R>.<name>.bin holds the tensor's bytes in its memory order ([b][s][h] for bsh,
// [s][b][h] for sbh; bf16 as its 16 bits); DIR/rank<R>.json lists them:
//   {"rank", "mem", "dtype", "tensors": {name: {"file", "shape"}}}   (shape in memory order)
// Every file is written to a temp name in DIR and renamed, so a reader never sees half a file.
#include <string>

#include <nlohmann/json.hpp>

#include "boxes.hpp"
#include "core/shape.hpp"

namespace bb {

class TensorDump {
 public:
  TensorDump(std::string dir, int rank, const BridgeShape& shape);
  void add(const std::string& name, const TensorRef& t);  // Error("io_error") if it cannot write
  void finish();                                           // the index, last

 private:
  std::string dir_;
  int rank_;
  BridgeShape shape_;
  nlohmann::ordered_json tensors_ = nlohmann::ordered_json::object();
};

}  // namespace bb
