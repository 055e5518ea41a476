// crossq report RUNS... --out DIR: the paper's statistics and figures from run folders
// (rliable protocol, docs/report.md).
#include <fmt/core.h>

#include <chrono>

#include "crossq/cli/cli.h"
#include "crossq/report/report.h"

namespace crossq::cli {

void add_report(CLI::App& app) {
  struct Args {
    std::vector<std::string> runs;
    std::string out;
    int reps = 50000;
    uint64_t seed = 0;
    double ci = 0.90;
    int threads = 2;
    std::string incomplete = "drop";
    bool skip_bad = false;
  };
  auto a = std::make_shared<Args>();
  auto* cmd = app.add_subcommand(
      "report", "Aggregate run folders into statistics (IQM, mean, median, optimality gap with "
                "stratified bootstrap CIs, performance profiles, probability of improvement), "
                "figures and an HTML page");
  cmd->add_option("runs", a->runs, "Run folders, or folders holding them (e.g. runs/)")->required();
  cmd->add_option("--out", a->out, "Output folder (created; its parent must exist)")->required();
  cmd->add_option("--reps", a->reps, "Bootstrap replicates")->capture_default_str()->check(CLI::PositiveNumber);
  cmd->add_option("--seed", a->seed, "Bootstrap seed")->capture_default_str();
  cmd->add_option("--ci", a->ci, "Confidence interval size")->capture_default_str()->check(CLI::Range(0.5, 0.999));
  cmd->add_option("--threads", a->threads, "Bootstrap threads")->capture_default_str()->check(CLI::Range(1, 64));
  cmd->add_option("--incomplete", a->incomplete,
                  "Runs ending before the others of their variant and task: drop (leave them "
                  "out) or align (cut all to the common steps)")
      ->capture_default_str()
      ->check(CLI::IsMember({"drop", "align"}));
  cmd->add_flag("--skip-bad", a->skip_bad, "Leave out unreadable runs (listed in the report) instead of failing");
  cmd->callback([a] {
    const auto t0 = std::chrono::steady_clock::now();
    report::ReportOptions opt;
    opt.summary.boot = {.reps = a->reps, .seed = a->seed, .ci = a->ci, .threads = a->threads};
    opt.incomplete = a->incomplete == "align" ? report::Incomplete::kAlign : report::Incomplete::kDrop;
    opt.skip_bad = a->skip_bad;
    const auto s = report::write_report(a->runs, a->out, opt);
    const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    for (const auto& e : s["excluded"])
      fmt::print(stderr, "crossq: left out {}: {}\n", e["path"].get<std::string>(), e["reason"].get<std::string>());
    for (const auto& n : s["notes"]) fmt::print(stderr, "crossq: note: {}\n", n.get<std::string>());
    fmt::print("report: {} runs, {} variants, {} figures in {:.1f} s -> {}/index.html\n",
               s["runs"].size(), s["variants"].size(), s["figures"].size(), secs, a->out);
  });
}

}  // namespace crossq::cli
