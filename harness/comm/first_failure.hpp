#pragma once
// What a launcher rethrows when ranks fail: the first real failure. A peer's "aborted" is a
// consequence of it and yields to a cause that arrives later.
#include <exception>
#include <mutex>

#include "core/error.hpp"

namespace bb {

class FirstFailure {
 public:
  void offer(const std::exception& e) {
    std::lock_guard<std::mutex> lk(mu_);
    const auto* ce = dynamic_cast<const Error*>(&e);
    const bool consequence = ce && ce->rule() == "aborted";
    if (!first_ || (first_is_consequence_ && !consequence)) {
      first_ = std::current_exception();
      first_is_consequence_ = consequence;
    }
  }
  void rethrow() {
    if (first_) std::rethrow_exception(first_);
  }

 private:
  std::mutex mu_;
  std::exception_ptr first_;
  bool first_is_consequence_ = false;
};

}  // namespace bb
