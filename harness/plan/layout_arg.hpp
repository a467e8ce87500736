#pragma once
// Parsing of layout flags shared by the CLIs and sweep files: "tp=2,cp=2,dp=2" and "tp,cp,pp,dp".
#include <map>
#include <string>
#include <vector>

namespace bb {

std::map<std::string, int> parse_sizes(const std::string& s);      // Error("bad_flag")
std::vector<std::string> parse_order(const std::string& s);        // Error("bad_flag")

}  // namespace bb
