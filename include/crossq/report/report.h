// `crossq report`: run folders -> summary.json, summary.md, figures/ (PNG + SVG) and
// index.html in one output folder (docs/report.md).
#pragma once
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "crossq/report/runs.h"
#include "crossq/report/summary.h"

namespace crossq::report {

struct ReportOptions {
  SummaryOptions summary;
  Incomplete incomplete = Incomplete::kDrop;  // runs that end early: left out or aligned
  bool skip_bad = false;                      // leave out unreadable runs instead of failing
  ReadLimits limits;                          // what one run folder may hold
  std::string python = "/usr/bin/python3";    // Debian's, with python3-matplotlib
};

// the figures a summary calls for (each a {file, kind, suite?, title} object)
nlohmann::json figure_plan(const nlohmann::json& summary);

// summary.md's tables
std::string summary_markdown(const nlohmann::json& summary);

// index.html: every figure and table on one page that needs no network
std::string index_html(const nlohmann::json& summary);

// the whole report; `out`'s parent must exist. Returns the summary.
nlohmann::json write_report(const std::vector<std::string>& roots,
                            const std::filesystem::path& out, const ReportOptions& opt);

}  // namespace crossq::report
