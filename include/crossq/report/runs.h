// Reading the run folders that `crossq train` writes (docs/run-format.md) and sorting them into
// variants whose runs are comparable.
#pragma once
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace crossq::report {

// train.csv's diagnostics, each averaged over the critic<c>/ columns (the paper's Figure 3)
struct Diagnostics {
  std::vector<double> env_step;    // (rows)
  std::vector<double> param_norm;  // (rows) NaN where the cells are empty
  std::vector<double> grad_norm;   // (rows)
  std::vector<double> elr;         // (rows) effective learning rate
  std::vector<double> dead_frac;   // (rows) fraction of dead ReLU units
};

// one run folder
struct Run {
  std::string path;              // the folder
  std::string task, algo, suite;
  int64_t seed = 0;
  nlohmann::json config;         // config.json as written
  std::string variant;           // set by group_variants
  std::vector<int64_t> steps;    // (evals) eval.csv env_step, increasing
  std::vector<double> scores;    // (evals) eval.csv score, normalized (rliable protocol)
  Diagnostics diagnostics;       // empty without train.csv
};

// a run left out of the report, and why
struct Excluded {
  std::string path, reason;
};

// an algorithm with one assignment of the settings that differ between its runs
struct Variant {
  std::string name;           // "crossq-wn" or "crossq-wn utd=5"
  std::string algo;
  nlohmann::json settings;    // the distinguishing settings, e.g. {"utd": 5}
};

// every folder holding a config.json under `roots` (a root may itself be a run), sorted, each
// once; throws a usage error naming a root that does not exist
std::vector<std::filesystem::path> find_run_dirs(const std::vector<std::string>& roots);

// reads config.json, eval.csv and (if present) train.csv; throws Error naming the file and
// line of malformed input
Run read_run(const std::filesystem::path& dir);

// reads every run under `roots`; a run that fails to read throws, or with skip_bad is listed
// in `excluded`; throws a usage error when no run is found
std::vector<Run> load_runs(const std::vector<std::string>& roots, bool skip_bad,
                           std::vector<Excluded>& excluded);

// names each run's variant: a config key that is not bookkeeping (`run_keys`, task, seed,
// suite) and takes two values among one algorithm's runs on one task splits the algorithm
std::vector<Variant> group_variants(std::vector<Run>& runs);

// how runs of one (variant, task) that end at different steps are handled
enum class Incomplete {
  kDrop,   // leave out runs whose last evaluation comes before the others'
  kAlign,  // keep them; cut every run of the (variant, task) to the steps all share
};

// makes the runs of every (variant, task) share one list of evaluation steps: leaves out
// duplicates of a seed and, per `policy`, incomplete runs (listed in `excluded`), cuts runs to
// the common steps (each cut listed in `notes`)
void align_runs(std::vector<Run>& runs, Incomplete policy, std::vector<Excluded>& excluded,
                std::vector<std::string>& notes);

}  // namespace crossq::report
