#pragma once
// One error type for everything a user can get wrong: it carries the id of the rule that was
// broken (semantics §3 ids, or suite-level ids) so CLIs can print `error: <rule>: <message>`.
#include <stdexcept>
#include <string>

namespace bb {

class Error : public std::runtime_error {
 public:
  Error(std::string rule, const std::string& message)
      : std::runtime_error(message), rule_(std::move(rule)) {}
  const std::string& rule() const { return rule_; }

 private:
  std::string rule_;
};

// A collective that did not finish in time, or a peer that failed: the run must abort.
class CommError : public Error {
 public:
  using Error::Error;
};

}  // namespace bb
