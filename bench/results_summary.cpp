// results_summary: the stdout summary (driver/summary.hpp, the table bridge_bench prints after a
// run) of a results file written earlier, read back into records (results/records_read.hpp).
// Files of schema version 4 or later are read as they are; an
// older one has no "key" objects yet: scripts/summary.py upgrades it in memory
// (scripts/bbreport/schema.py, the one upgrade step) and feeds it here on stdin.
//
//   results_summary RESULTS.json [NAME]    ("-": the JSON on stdin; NAME: what the last line
//                                          calls the file, default RESULTS.json)
// exit: 0 printed; 2 bad input (error: bad_results: ...), before anything is printed.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "driver/summary.hpp"
#include "results/records_read.hpp"

namespace {

using json = nlohmann::ordered_json;

json read_doc(const std::string& path) {
  json doc;
  try {
    if (path == "-") {
      doc = json::parse(std::cin);
    } else {
      std::ifstream f(path);
      if (!f) throw bb::Error("bad_results", path + ": cannot open");
      doc = json::parse(f);
    }
  } catch (const json::exception& e) {
    throw bb::Error("bad_results", path + ": not JSON (" + e.what() + ")");
  }
  if (!doc.is_object() || doc.value("schema", "") != "bridgebench/results")
    throw bb::Error("bad_results", path + ": not a bridgebench/results document");
  for (const char* k : {"configs", "failures", "skipped"})
    if (!doc.contains(k) || !doc[k].is_array()) throw bb::Error("bad_results", path + ": no '" + k + "' list");
  if (!doc.contains("environment") || !doc["environment"].is_object())
    throw bb::Error("bad_results", path + ": no 'environment' object");
  return doc;
}

// The file's configs as records (results/records_read.hpp, the one reader), and what else the
// summary shows: the failures, the counts, the backend, cadence and transport.
bb::RunSummary read_summary(const std::string& path) {
  const json doc = read_doc(path);
  bb::RunSummary s;
  try {
    for (const auto& c : doc["configs"]) s.configs.push_back(bb::config_record_from_json(c));
    for (const auto& f : doc["failures"])
      s.failures.push_back(bb::refusal_from_json(f));
    const json& env = doc["environment"];
    s.backend = env.at("backend").get<std::string>();
    s.cadence = bb::parse_cadence(env.at("cadence").get<std::string>());
    if (env.contains("injected_phase_delay") && env["injected_phase_delay"].is_object())
      s.planted = bb::planted_line(env["injected_phase_delay"].value("phase", std::string("?")),
                                   env["injected_phase_delay"].value("pct", 0.0));
    if (env.contains("transport") && env["transport"].is_object()) {
      const json& t = env["transport"];
      s.transport = bb::SummaryTransport{t.at("transports").get<std::vector<std::string>>(),
                                         t.at("warnings").get<std::vector<std::string>>(), t.at("shared_gpu").get<bool>()};
    }
  } catch (const bb::Error& e) {
    throw bb::Error("bad_results", path + ": " + e.what());
  }
  s.skipped = doc["skipped"].size();
  s.aborted = !doc.value("aborted", json()).is_null();
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2 && argc != 3) {
    std::cerr << "error: bad_flag: usage: results_summary RESULTS.json [NAME] (- for stdin)\n";
    return 2;
  }
  const char* name = argc == 3 ? argv[2] : argv[1];
  try {
    const bb::RunSummary run = read_summary(argv[1]);
    // Printed to memory first: a config missing a field fails before a line reaches stdout.
    char* buf = nullptr;
    size_t n = 0;
    std::FILE* mem = open_memstream(&buf, &n);
    if (!mem) throw bb::Error("io_error", "open_memstream failed");
    try {
      bb::print_summary(mem, run, name);
    } catch (...) {
      std::fclose(mem);
      std::free(buf);
      throw;
    }
    std::fclose(mem);
    std::fwrite(buf, 1, n, stdout);
    std::free(buf);
  } catch (const bb::Error& e) {
    std::cerr << "error: " << e.rule() << ": " << e.what() << "\n";
    return 2;
  } catch (const json::exception& e) {
    std::cerr << "error: bad_results: " << argv[1] << ": a config lacks a field the summary shows (" << e.what() << ")\n";
    return 2;
  }
  return 0;
}
