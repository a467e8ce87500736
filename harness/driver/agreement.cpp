#include "driver/agreement.hpp"

#include "core/error.hpp"

namespace bb {

void ConfigAgreement::announce(int k) { world_.max_over_ranks(double(k)); }

void ConfigAgreement::finish() { world_.max_over_ranks(kDone); }

void ConfigAgreement::follow(const std::function<void(int)>& run) {
  for (;;) {
    const double k = world_.max_over_ranks(kListening);
    if (k < 0) return;
    try {
      run(int(k));
    } catch (const CommError&) {
      throw;
    } catch (const Error&) {
      // Rank 0 meets the same refusal at the same agreement and records it.
    }
  }
}

}  // namespace bb
