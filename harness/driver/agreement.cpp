#include "driver/agreement.hpp"

#include "core/error.hpp"

namespace bb {

double ConfigAgreement::offer(double value) const {
  const int sig = interrupted_ ? interrupted_() : 0;
  return world_.max_over_ranks(sig ? kStop + sig : value);
}

int ConfigAgreement::announce(int k) { return stopped_by(offer(double(k))); }

void ConfigAgreement::finish() { world_.max_over_ranks(kDone); }

int ConfigAgreement::follow(const std::function<void(int)>& run) {
  for (;;) {
    const double k = offer(kListening);
    if (const int sig = stopped_by(k)) return sig;
    if (k < 0) return 0;
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
