#pragma once
// Predicted against measured in every run (issue 22 item 4): the cost model calibrated on the
// run's own bare collectives (and its measured copy bandwidth) predicts each config's round trip
// and phases; the results JSON gets the calibration ("model") and, per config, the prediction
// and its residual ("predicted"), docs/results-schema.md "Predicted against measured".
#include <nlohmann/json.hpp>

namespace bb {

// Adds "model" to `results` and "predicted" to each of its configs. Never throws for what the
// run lacks (no bare collectives, a fit that fails): "model" then says why and configs get none.
void attach_predictions(nlohmann::ordered_json& results);

}  // namespace bb
