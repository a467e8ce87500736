#pragma once
// bridge-plan --predict (issue 22 item 3): the cost model's answer for a layout at any scale.
#include <string>

#include "model/reorder.hpp"

namespace bb {

struct PredictRequest {
  LayoutSpec layout;
  int64_t batch = 0;  // the plan's --batch (narrowing side); 0: the plan's smallest
  int64_t seq = 4096, hidden = 4096;
  std::string mem = "bsh", dtype = "bf16", medium = "nodes", calibration, format = "json";
  int gpus_per_node = 8;
};

// Prints the prediction (JSON or a table); throws Error with the rule of bad input.
void print_prediction(const PredictRequest& r);

}  // namespace bb
