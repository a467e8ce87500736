#pragma once
// "rule: message" of the bb::Error a call throws, "" when it throws none: refusal tests compare
// both the rule and the text the user sees.
#include <functional>
#include <string>

#include "core/error.hpp"

namespace bbtest {

inline std::string rule_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const bb::Error& e) {
    return e.rule() + ": " + e.what();
  }
  return "";
}

}  // namespace bbtest
