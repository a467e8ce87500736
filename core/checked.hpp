#pragma once
// Checked integer arithmetic for every size and count a user can type: parsing that refuses
// what does not fit instead of wrapping, and products that refuse to overflow. A value out of
// range is `too_large` (naming the value), malformed text is `bad_flag` (or the caller's rule).
#include <cerrno>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <string>
#include <vector>

#include "core/error.hpp"

namespace bb {

// The most ranks a layout, world or offset may name. Far above any machine, far below int's
// range, so rank arithmetic (offset + size, products of grid dims) cannot overflow.
constexpr int64_t kMaxRanks = int64_t(1) << 20;

// a * b, or Error("too_large", what ...) when the product does not fit in int64.
inline int64_t checked_mul(int64_t a, int64_t b, const std::string& what) {
  int64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r))
    throw Error("too_large", what + " overflows 64 bits (" + std::to_string(a) + " x " + std::to_string(b) + ")");
  return r;
}

inline int64_t checked_add(int64_t a, int64_t b, const std::string& what) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r))
    throw Error("too_large", what + " overflows 64 bits (" + std::to_string(a) + " + " + std::to_string(b) + ")");
  return r;
}

// Whole-string decimal integer in [lo, hi]. Not an integer: Error(bad_rule); an integer out of
// range (including one beyond 64 bits): Error("too_large") or, below lo, Error(bad_rule).
inline int64_t parse_int64(const std::string& text, int64_t lo, int64_t hi, const std::string& what,
                           const std::string& bad_rule = "bad_flag") {
  const char* s = text.c_str();
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(s, &end, 10);
  const bool digits = !text.empty() && end == s + text.size() && text.find_first_of(" \t\n") == std::string::npos;
  if (!digits) throw Error(bad_rule, what + " needs an integer, got '" + text + "'");
  if (errno == ERANGE || v > hi) {
    if (errno == ERANGE && text[0] == '-')
      throw Error(bad_rule, what + " needs an integer >= " + std::to_string(lo) + ", got '" + text + "'");
    throw Error("too_large", what + " is " + text + "; at most " + std::to_string(hi) + " is accepted");
  }
  if (v < lo) throw Error(bad_rule, what + " needs an integer >= " + std::to_string(lo) + ", got '" + text + "'");
  return int64_t(v);
}

// A comma-separated list a flag takes: every item non-empty, wherever it is ("a,", ",a" and
// "a,,b" are all refused, naming the flag), and the list itself non-empty.
inline std::vector<std::string> split_list(const std::string& text, const std::string& flag) {
  if (text.empty()) throw Error("bad_flag", flag + " is empty (give one or more names, comma-separated)");
  std::vector<std::string> items;
  size_t from = 0;
  for (;;) {
    const size_t comma = text.find(',', from);
    items.push_back(text.substr(from, comma == std::string::npos ? std::string::npos : comma - from));
    if (items.back().empty())
      throw Error("bad_flag", flag + " has an empty item in '" + text + "' (a stray comma?)");
    if (comma == std::string::npos) return items;
    from = comma + 1;
  }
}

// A message for people: a single word (a value someone typed, a path) longer than `keep`
// characters is cut to its start and end with its length said, so a 100,000-character value
// does not fill the terminal.
inline std::string clip_long_words(const std::string& msg, size_t keep = 200) {
  std::string out;
  size_t i = 0;
  while (i < msg.size()) {
    const size_t end = msg.find_first_of(" \n\t", i);
    const size_t stop = end == std::string::npos ? msg.size() : end;
    if (stop - i > keep) {
      out += msg.substr(i, keep / 2) + "..." + msg.substr(stop - keep / 4, keep / 4) + " (" +
             std::to_string(stop - i) + " characters)";
    } else {
      out.append(msg, i, stop - i);
    }
    if (end == std::string::npos) break;
    out += msg[end];
    i = end + 1;
  }
  return out;
}

}  // namespace bb
