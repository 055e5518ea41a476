// Every number of a report, computed from aligned runs (rliable protocol), as one JSON document: what
// summary.json holds and what the tables and figures are drawn from (schema: docs/report.md).
#pragma once
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "crossq/report/runs.h"
#include "crossq/report/stats.h"

namespace crossq::report {

struct SummaryOptions {
  BootstrapOptions boot;        // replicates, seed, interval size, threads
  int profile_points = 101;     // thresholds of a performance profile, from 0 to max(1, best)
  int diagnostics_points = 60;  // env-step grid of the diagnostics curves
};

// `runs` must have been through group_variants and align_runs; `excluded` and `notes` are
// copied into the summary so nothing left out goes unreported
nlohmann::json summarize(const std::vector<Run>& runs, const std::vector<Variant>& variants,
                         const std::vector<Excluded>& excluded,
                         const std::vector<std::string>& notes, const SummaryOptions& opt);

}  // namespace crossq::report
