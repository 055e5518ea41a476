// crossq sweep plan | run | status FILE: a grid of runs from one sweep file (docs/sweeps.md).
#include <algorithm>
#include <fstream>
#include <iterator>
#include <map>
#include <thread>

#include <fmt/core.h>

#include "crossq/cli/cli.h"
#include "crossq/core/error.h"
#include "crossq/train/run_folder.h"
#include "crossq/train/slurm.h"
#include "crossq/train/sweep.h"
#include "crossq/train/trainer.h"

namespace crossq::cli {

namespace {
// "0-5,9": indices into the sweep's plan, each checked against its size
std::vector<size_t> run_indices(const std::string& text, const Sweep& sw, const std::string& file) {
  auto bad = [&](const std::string& why) {
    return usage_error(fmt::format("--runs '{}': {}", printable(text), why),
                       fmt::format("write indices of `crossq sweep plan {}` (0 to {}), e.g. --runs 0-3,7", file,
                                   sw.runs.size() - 1));
  };
  std::vector<size_t> out;
  size_t pos = 0;
  while (pos <= text.size()) {
    const size_t comma = text.find(',', pos);
    const std::string part = text.substr(pos, comma == std::string::npos ? std::string::npos : comma - pos);
    const size_t dash = part.find('-');
    const std::string a = part.substr(0, dash), b = dash == std::string::npos ? a : part.substr(dash + 1);
    auto number = [&](const std::string& t) {
      if (t.empty() || t.size() > 9 || t.find_first_not_of("0123456789") != std::string::npos)
        throw bad("'" + printable(part) + "' is not an index or a range of them");
      return static_cast<size_t>(std::stoull(t));
    };
    const size_t lo = number(a), hi = number(b);
    if (hi < lo) throw bad("the range " + printable(part) + " runs backwards");
    if (hi >= sw.runs.size()) throw bad(fmt::format("the sweep has runs 0 to {}, not {}", sw.runs.size() - 1, hi));
    for (size_t k = lo; k <= hi; ++k)
      if (std::find(out.begin(), out.end(), k) == out.end()) out.push_back(k);
    if (comma == std::string::npos) break;
    pos = comma + 1;
  }
  return out;
}
}  // namespace

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
    for (size_t i = 0; i < sw.runs.size(); ++i) {
      const SweepRun& r = sw.runs[i];
      fmt::print("  {:>4}  {:<18} {:<16} {:<12} seed {:<4} {}\n", i, r.task, r.algo, r.variant.empty() ? "-" : r.variant, r.seed, r.dir);
    }
  });

  auto* run = cmd->add_subcommand("run", "Run the sweep's unfinished runs (finished ones are skipped, interrupted ones resumed)");
  run->add_option("FILE", *file, "the sweep file")->required();
  auto backend = std::make_shared<std::string>("local");
  auto jobs = std::make_shared<int>(0);
  auto quiet = std::make_shared<bool>(false);
  auto dry_run = std::make_shared<bool>(false);
  auto runs = std::make_shared<std::string>();
  run->add_option("--runs", *runs,
                  "only these runs, by their index in `crossq sweep plan` (e.g. 0-5,9): a part of the grid "
                  "that fits this machine's time; the rest stays for later")
      ->type_name("LIST");
  run->add_option("--backend", *backend,
                  "where the runs go: local (this machine's cores) or slurm (one sbatch array job; "
                  "crossq must be at the same path on every node)")
      ->capture_default_str()
      ->check(CLI::IsMember({"local", "slurm"}));
  run->add_option("--jobs", *jobs,
                  "runs at a time (local default: the cores / cores per run; slurm default: no limit)")
      ->check(CLI::Range(1, 100000));
  run->add_flag("--dry-run", *dry_run, "slurm: write the array script and print it, submit nothing");
  run->add_flag("--quiet", *quiet, "no progress lines");
  run->callback([file, backend, jobs, quiet, dry_run, runs] {
    const Sweep sw = load_sweep(*file);
    const std::vector<size_t> only = runs->empty() ? std::vector<size_t>{} : run_indices(*runs, sw, *file);
    if (*backend == "slurm") {
      const SlurmSubmission sub = submit_sweep_slurm(sw, *jobs, *dry_run, only);
      if (!*quiet)
        for (const auto& l : sub.left_out) fmt::print("  left out: {}\n", l);
      if (sub.indices.empty()) {
        fmt::print("nothing to submit: every run of {} is done, running or queued\n", *file);
        return;
      }
      if (*dry_run) {
        fmt::print("dry run: {} runs would be submitted with\n  sbatch {}\n", sub.indices.size(), sub.script_path);
        if (!*quiet) {
          std::ifstream in(sub.script_path);
          fmt::print("{}", std::string(std::istreambuf_iterator<char>(in), {}));
        }
        return;
      }
      fmt::print("submitted job {}: {} runs as array tasks {} ({})\n", sub.job_id, sub.indices.size(),
                 index_list(sub.indices), sub.script_path);
      fmt::print("follow it with: crossq sweep status {}\n", *file);
      return;
    }
    if (*dry_run) throw usage_error("--dry-run is for --backend slurm", "crossq sweep plan FILE lists what a local run would do");
    const int cores = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
    const int j = *jobs > 0 ? *jobs : std::max(1, cores / sw.cores);
    const int failed = run_sweep_local(sw, j, *quiet, only);
    if (failed > 0)
      throw Error(fmt::format("{} of {} runs failed; each folder's error.txt says why", failed, sw.runs.size()),
                  "crossq sweep status " + *file + " lists them; fix the cause and run the sweep again");
  });

  auto* task = cmd->add_subcommand("task", "Run one run of the sweep, by its index in `plan` (what a Slurm array task runs)");
  auto index = std::make_shared<long long>(-1);
  task->add_option("FILE", *file, "the sweep file")->required();
  task->add_option("INDEX", *index, "the run's index, from 0 (as `crossq sweep plan` numbers them)")->required();
  task->callback([file, index] {
    const Sweep sw = load_sweep(*file);
    if (*index < 0 || *index >= static_cast<long long>(sw.runs.size()))
      throw usage_error(fmt::format("sweep {} has runs 0 to {}, not {}", *file, sw.runs.size() - 1, *index),
                        "crossq sweep plan " + *file + " numbers them");
    install_stop_handlers();
    const RunOutcome o = run_sweep_run(sw, sw.runs[static_cast<size_t>(*index)], [](const std::string& l) {
      fmt::print("{}\n", l);
      std::fflush(stdout);
    });
    if (o.kind == RunOutcome::Kind::kStopped || o.kind == RunOutcome::Kind::kFailed || o.kind == RunOutcome::Kind::kHeld)
      throw Error(o.message, o.kind == RunOutcome::Kind::kStopped ? "the run resumes from its checkpoint when the task runs again"
                                                                   : "crossq sweep status " + *file + " shows it",
                  o.exit_code);
  });

  auto* status = cmd->add_subcommand("status", "Where every run of the sweep stands (exit 0: all done, 1: some failed, 4: some unfinished)");
  status->add_option("FILE", *file, "the sweep file")->required();
  status->callback([file] {
    const Sweep sw = load_sweep(*file);
    std::string note;
    const std::map<std::string, SlurmTask> tasks = slurm_tasks(sw, &note);
    if (!note.empty()) fmt::print(stderr, "note: {}\n", note);
    int done = 0, failed = 0;
    for (const SweepRun& r : sw.runs) {
      RunStatus st = run_status(r);
      std::string slurm;
      if (auto it = tasks.find(run_key(r.dir)); it != tasks.end()) {
        st = with_slurm(st, it->second);
        slurm = fmt::format("  slurm {} {}", it->second.job, it->second.state.empty() ? "?" : it->second.state);
      }
      fmt::print("  {:<11} {:>9}/{:<9} {:<18} {:<16} {:<12} seed {:<4}{}{}\n", state_name(st.state), st.env_step,
                 r.config["steps"].get<int64_t>(), r.task, r.algo, r.variant.empty() ? "-" : r.variant, r.seed, slurm,
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
