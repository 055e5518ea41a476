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

// what one run folder may hold (docs/report.md#limits). A run beyond a limit is unreadable: the
// error names the file and the limit. The defaults are far above what `crossq train` writes.
struct ReadLimits {
  uint64_t config_bytes = uint64_t{1} << 20;      // config.json: 1 MiB
  int json_depth = 64;                            // arrays and objects nested in config.json
  uint64_t csv_bytes = uint64_t{256} << 20;       // eval.csv, train.csv: 256 MiB each
  size_t csv_line_bytes = size_t{64} << 10;       // one line of a CSV: 64 KiB
  size_t eval_rows = 100'000;                     // evaluations in eval.csv
  size_t train_rows = 2'000'000;                  // rows of train.csv
  size_t name_bytes = 128;                        // task, algo, suite
  int folder_depth = 32;                          // folders below a run path searched for runs
};

// whether `name` (a task, algo or suite from config.json; the suite becomes part of figure file
// names) is 1 to `max_bytes` characters of A-Z a-z 0-9 . _ = + - and not "." or ".."
bool safe_name(const std::string& name, size_t max_bytes = ReadLimits{}.name_bytes);

// `text` (a key or value from config.json) as it appears in a variant name or legend:
// control characters and bytes that are not UTF-8 as \xNN, at most about 64 bytes (a longer
// text is cut and tagged with a hash of the whole, so two long texts stay two names)
std::string label_text(const std::string& text);

// every folder holding a config.json under `roots` (a root may itself be a run), sorted, each
// once. Symbolic links are not followed below a root (a root may be one); entries that are
// not run folders are ignored; a folder that cannot be listed or lies deeper than
// `folder_depth`, and a symbolic link to a run folder, are listed in `skipped` with the reason.
// Throws a usage error naming a root that does not exist or is not a folder.
std::vector<std::filesystem::path> find_run_dirs(const std::vector<std::string>& roots,
                                                 std::vector<Excluded>& skipped,
                                                 const ReadLimits& limits = {});

// reads config.json, eval.csv and (if present) train.csv; throws Error naming the file and
// line of malformed input, a file that is not a regular file (a FIFO, device or folder; a
// symbolic link to a regular file is followed), a limit exceeded, or an unsafe name
Run read_run(const std::filesystem::path& dir, const ReadLimits& limits = {});

// reads every run under `roots`; a run that fails to read throws (the hint names --skip-bad),
// or with skip_bad is listed in `excluded`, as are the folders find_run_dirs skipped; throws a
// usage error when no run is found
std::vector<Run> load_runs(const std::vector<std::string>& roots, bool skip_bad,
                           std::vector<Excluded>& excluded, const ReadLimits& limits = {});

// names each run's variant: a config key that is not bookkeeping (`run_keys`, task, seed,
// suite) and takes two values among one algorithm's runs on one task splits the algorithm.
// A key missing from a run's config.json (written before crossq had the setting) takes the
// value other runs of the algorithm on the task got from the defaults (their `sources` say
// "algorithm..." or "task"): a setting is added with the old behaviour as its default. Each
// such fill is added to `notes`.
std::vector<Variant> group_variants(std::vector<Run>& runs, std::vector<std::string>* notes = nullptr);

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
