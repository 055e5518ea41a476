// crossq sweep plan | run | status FILE: a grid of runs from one sweep file (docs/sweeps.md).
#include <thread>

#include <fmt/core.h>

#include "crossq/cli/cli.h"
#include "crossq/core/error.h"
#include "crossq/train/sweep.h"

namespace crossq::cli {

void add_sweep(CLI::App& app) {
  auto* cmd = app.add_subcommand("sweep", "Run a grid of runs (tasks x algorithms x variants x seeds) from a sweep file");
  cmd->require_subcommand(1);
  cmd->footer("A sweep file is JSON: {\"out\": \"runs/utd\", \"tasks\": [...], \"algos\": [...], \"seeds\": \"0-2\",\n"
              "\"settings\": {...}, \"variants\": [{\"name\": \"utd5\", \"settings\": {\"utd\": 5}}], \"resources\": {\"cores\": 1}}\n"
              "(docs/sweeps.md). Every run folder is the one `crossq train` writes; `crossq report OUT` reads them.");
  auto file = std::make_shared<std::string>();

  auto* plan = cmd->add_subcommand("plan", "Print every run of the sweep and its run folder");
  plan->add_option("FILE", *file, "the sweep file")->required();
  plan->callback([file] {
    const Sweep sw = load_sweep(*file);
    fmt::print("{} runs -> {} (cores per run {})\n", sw.runs.size(), sw.out, sw.cores);
    for (const SweepRun& r : sw.runs)
      fmt::print("  {:<18} {:<16} {:<12} seed {:<4} {}\n", r.task, r.algo, r.variant.empty() ? "-" : r.variant, r.seed, r.dir);
  });

  auto* run = cmd->add_subcommand("run", "Run the sweep's unfinished runs (finished ones are skipped, interrupted ones resumed)");
  run->add_option("FILE", *file, "the sweep file")->required();
  auto backend = std::make_shared<std::string>("local");
  auto jobs = std::make_shared<int>(0);
  auto quiet = std::make_shared<bool>(false);
  run->add_option("--backend", *backend, "where the runs go: local (this machine's cores)")->capture_default_str()
      ->check(CLI::IsMember({"local"}));
  run->add_option("--jobs", *jobs, "runs at a time (default: the cores / cores per run)")->check(CLI::Range(1, 64));
  run->add_flag("--quiet", *quiet, "no progress lines");
  run->callback([file, jobs, quiet] {
    const Sweep sw = load_sweep(*file);
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const int j = *jobs > 0 ? *jobs : std::max(1, cores / sw.cores);
    const int failed = run_sweep_local(sw, j, *quiet);
    if (failed > 0)
      throw Error(fmt::format("{} of {} runs failed; each folder's error.txt says why", failed, sw.runs.size()),
                  "crossq sweep status " + *file + " lists them; fix the cause and run the sweep again");
  });

  auto* status = cmd->add_subcommand("status", "Where every run of the sweep stands (exit 0: all done, 1: some failed, 4: some unfinished)");
  status->add_option("FILE", *file, "the sweep file")->required();
  status->callback([file] {
    const Sweep sw = load_sweep(*file);
    int done = 0, failed = 0;
    for (const SweepRun& r : sw.runs) {
      const RunStatus st = run_status(r);
      fmt::print("  {:<11} {:>9}/{:<9} {:<18} {:<16} {:<12} seed {:<4}{}\n", state_name(st.state), st.env_step,
                 r.config["steps"].get<int64_t>(), r.task, r.algo, r.variant.empty() ? "-" : r.variant, r.seed,
                 st.error.empty() ? "" : "  " + st.error);
      done += st.state == RunStatus::State::kDone;
      failed += st.state == RunStatus::State::kFailed;
    }
    fmt::print("{} of {} runs done, {} failed\n", done, sw.runs.size(), failed);
    if (failed > 0) throw Error("", "", 1);
    if (done < static_cast<int>(sw.runs.size())) throw Error("", "", 4);
  });
}

}  // namespace crossq::cli
