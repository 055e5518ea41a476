// Run folders -> Runs (docs/run-format.md). Every malformed input names its file and line.
#include "crossq/report/runs.h"

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <map>
#include <set>
#include <sstream>

#include <fmt/core.h>

#include "crossq/error.h"

namespace crossq::report {
namespace fs = std::filesystem;
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// a CSV of numbers with a header row; empty cells are NaN
struct Csv {
  std::vector<std::string> header;
  std::vector<std::vector<double>> rows;  // (rows)(columns)
  std::vector<int> line;                  // (rows) line number in the file, for errors

  int column(const std::string& name) const {
    const auto it = std::find(header.begin(), header.end(), name);
    return it == header.end() ? -1 : static_cast<int>(it - header.begin());
  }
};

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::string cell;
  std::istringstream in(s);
  while (std::getline(in, cell, ',')) out.push_back(cell);
  if (!s.empty() && s.back() == ',') out.emplace_back();
  return out;
}

Csv read_csv(const fs::path& file) {
  std::ifstream in(file);
  if (!in) throw Error(fmt::format("cannot open {}", file.string()), "check the run folder was written by `crossq train`");
  Csv csv;
  std::string text;
  int lineno = 0;
  while (std::getline(in, text)) {
    ++lineno;
    if (!text.empty() && text.back() == '\r') text.pop_back();
    if (text.empty()) continue;
    std::vector<std::string> cells = split(text);
    if (csv.header.empty()) {
      csv.header = std::move(cells);
      continue;
    }
    if (cells.size() != csv.header.size())
      throw Error(fmt::format("{}:{}: {} cells, the header has {}", file.string(), lineno,
                              cells.size(), csv.header.size()),
                  "the file is truncated or corrupt; rerun the run or leave it out (--skip-bad)");
    std::vector<double> row(cells.size());
    for (size_t c = 0; c < cells.size(); ++c) {
      const std::string& cell = cells[c];
      if (cell.empty()) {
        row[c] = kNaN;
        continue;
      }
      char* end = nullptr;
      row[c] = std::strtod(cell.c_str(), &end);
      if (end != cell.c_str() + cell.size())
        throw Error(fmt::format("{}:{}: column '{}' holds '{}', not a number", file.string(),
                                lineno, csv.header[c], cell),
                    "the file is corrupt; rerun the run or leave it out (--skip-bad)");
    }
    csv.rows.push_back(std::move(row));
    csv.line.push_back(lineno);
  }
  if (csv.header.empty()) throw Error(fmt::format("{}: empty file, no header row", file.string()),
                                      "rerun the run or leave it out (--skip-bad)");
  return csv;
}

int require_column(const Csv& csv, const fs::path& file, const std::string& name) {
  const int c = csv.column(name);
  if (c < 0)
    throw Error(fmt::format("{}:1: no '{}' column", file.string(), name),
                "see docs/run-format.md for the columns `crossq train` writes");
  return c;
}

// the mean over critics of critic<c>/<metric>, skipping empty cells
std::vector<double> critic_mean(const Csv& csv, const std::string& metric) {
  std::vector<int> cols;
  for (int c = 0;; ++c) {
    const int col = csv.column(fmt::format("critic{}/{}", c, metric));
    if (col < 0) break;
    cols.push_back(col);
  }
  std::vector<double> out(csv.rows.size(), kNaN);
  for (size_t r = 0; r < csv.rows.size(); ++r) {
    double sum = 0;
    int n = 0;
    for (int col : cols)
      if (std::isfinite(csv.rows[r][col])) sum += csv.rows[r][col], ++n;
    if (n > 0) out[r] = sum / n;
  }
  return out;
}

std::string value_text(const nlohmann::json& v) {
  return v.is_string() ? v.get<std::string>() : v.dump();
}

}  // namespace

std::vector<fs::path> find_run_dirs(const std::vector<std::string>& roots) {
  std::set<fs::path> found;
  for (const auto& root : roots) {
    std::error_code ec;
    if (!fs::exists(root, ec))
      throw usage_error(fmt::format("run path '{}' does not exist", root),
                        "pass folders written by `crossq train` (e.g. runs/)");
    if (fs::is_regular_file(fs::path(root) / "config.json")) {
      found.insert(fs::weakly_canonical(root));
      continue;
    }
    for (auto it = fs::recursive_directory_iterator(root, fs::directory_options::skip_permission_denied, ec);
         it != fs::recursive_directory_iterator(); it.increment(ec)) {
      if (ec) throw Error(fmt::format("cannot list {}: {}", root, ec.message()));
      if (it->is_regular_file() && it->path().filename() == "config.json")
        found.insert(fs::weakly_canonical(it->path().parent_path()));
    }
  }
  return {found.begin(), found.end()};
}

Run read_run(const fs::path& dir) {
  Run run;
  run.path = dir.string();
  const fs::path cfg_file = dir / "config.json";
  std::ifstream cf(cfg_file);
  if (!cf) throw Error(fmt::format("cannot open {}", cfg_file.string()));
  try {
    run.config = nlohmann::json::parse(cf);
  } catch (const nlohmann::json::exception& e) {  // parse_error, and out_of_range on number overflow (found by fuzz_runs)
    throw Error(fmt::format("{}: not valid JSON ({})", cfg_file.string(), e.what()),
                "rerun the run or leave it out (--skip-bad)");
  }
  if (!run.config.is_object()) throw Error(fmt::format("{}: not a JSON object", cfg_file.string()));
  auto key = [&](const char* k) -> const nlohmann::json& {
    if (!run.config.contains(k))
      throw Error(fmt::format("{}: missing key '{}'", cfg_file.string(), k),
                  "see docs/run-format.md for the keys config.json must hold");
    return run.config[k];
  };
  try {
    run.task = key("task").get<std::string>();
    run.algo = key("algo").get<std::string>();
    run.suite = key("suite").get<std::string>();
    run.seed = key("seed").get<int64_t>();
  } catch (const nlohmann::json::type_error& e) {
    throw Error(fmt::format("{}: task, algo, suite must be strings and seed an integer ({})",
                            cfg_file.string(), e.what()));
  }

  const fs::path eval_file = dir / "eval.csv";
  const Csv eval = read_csv(eval_file);
  const int c_step = require_column(eval, eval_file, "env_step");
  const int c_score = require_column(eval, eval_file, "score");
  for (size_t r = 0; r < eval.rows.size(); ++r) {
    const double step = eval.rows[r][c_step], score = eval.rows[r][c_score];
    if (!std::isfinite(step) || !std::isfinite(score))
      throw Error(fmt::format("{}:{}: env_step and score must be numbers", eval_file.string(), eval.line[r]));
    if (step < 0 || step > 1e15 || step != std::floor(step))
      throw Error(fmt::format("{}:{}: env_step {} is not a whole number of env steps in [0, 1e15]",
                              eval_file.string(), eval.line[r], step));
    if (!run.steps.empty() && step <= static_cast<double>(run.steps.back()))
      throw Error(fmt::format("{}:{}: env_step {} does not increase", eval_file.string(), eval.line[r], step));
    run.steps.push_back(static_cast<int64_t>(step));
    run.scores.push_back(score);
  }

  const fs::path train_file = dir / "train.csv";
  if (fs::exists(train_file)) {
    const Csv train = read_csv(train_file);
    const int c = require_column(train, train_file, "env_step");
    Diagnostics& d = run.diagnostics;
    for (const auto& row : train.rows) d.env_step.push_back(row[c]);
    d.param_norm = critic_mean(train, "param_norm");
    d.grad_norm = critic_mean(train, "grad_norm");
    d.elr = critic_mean(train, "elr");
    d.dead_frac = critic_mean(train, "dead_frac");
  }
  return run;
}

std::vector<Run> load_runs(const std::vector<std::string>& roots, bool skip_bad,
                           std::vector<Excluded>& excluded) {
  std::vector<Run> runs;
  for (const auto& dir : find_run_dirs(roots)) {
    try {
      runs.push_back(read_run(dir));
    } catch (const Error& e) {
      if (!skip_bad) throw;
      excluded.push_back({dir.string(), std::string("unreadable: ") + e.what()});
    }
  }
  if (runs.empty()) {
    std::string list;
    for (const auto& r : roots) list += (list.empty() ? "" : ", ") + r;
    throw usage_error(fmt::format("no readable run folders under {}", list),
                      "pass folders written by `crossq train`: each run holds config.json and eval.csv");
  }
  return runs;
}

std::vector<Variant> group_variants(std::vector<Run>& runs) {
  static const std::set<std::string> kFixed = {"task", "algo", "seed", "suite", "run_keys", "sources", "version", "run_id"};
  auto bookkeeping = [](const Run& r) {
    std::set<std::string> keys(kFixed.begin(), kFixed.end());
    if (r.config.contains("run_keys") && r.config["run_keys"].is_array())
      for (const auto& k : r.config["run_keys"])
        if (k.is_string()) keys.insert(k.get<std::string>());
    return keys;
  };
  // per algorithm: (key, task) -> the values seen
  std::map<std::string, std::map<std::string, std::map<std::string, std::set<std::string>>>> seen;
  std::map<std::string, std::map<std::string, int>> task_runs;  // algo -> task -> runs
  std::map<std::string, std::set<std::string>> keys_of;         // algo -> every setting key
  for (const Run& r : runs) {
    const auto skip = bookkeeping(r);
    ++task_runs[r.algo][r.task];
    for (const auto& [k, v] : r.config.items())
      if (!skip.count(k)) keys_of[r.algo].insert(k);
  }
  for (const Run& r : runs) {
    for (const auto& k : keys_of[r.algo]) {
      if (bookkeeping(r).count(k)) continue;
      seen[r.algo][k][r.task].insert(r.config.contains(k) ? r.config[k].dump() : "(absent)");
    }
  }
  std::map<std::string, std::vector<std::string>> split_keys;  // algo -> variant keys
  for (const auto& [algo, keys] : seen)
    for (const auto& [k, per_task] : keys)
      for (const auto& [task, values] : per_task)
        if (values.size() > 1) {
          split_keys[algo].push_back(k);
          break;
        }
  std::map<std::string, Variant> variants;
  for (Run& r : runs) {
    Variant v{r.algo, r.algo, nlohmann::json::object()};
    for (const auto& k : split_keys[r.algo]) {
      const nlohmann::json val = r.config.contains(k) ? r.config[k] : nlohmann::json();
      v.settings[k] = val;
      v.name += fmt::format(" {}={}", k, r.config.contains(k) ? value_text(val) : "(absent)");
    }
    r.variant = v.name;
    variants.emplace(v.name, std::move(v));
  }
  std::vector<Variant> out;
  for (auto& [name, v] : variants) out.push_back(std::move(v));
  return out;
}

void align_runs(std::vector<Run>& runs, Incomplete policy, std::vector<Excluded>& excluded,
                std::vector<std::string>& notes) {
  std::map<std::pair<std::string, std::string>, std::vector<size_t>> groups;  // (variant, task)
  for (size_t i = 0; i < runs.size(); ++i) groups[{runs[i].variant, runs[i].task}].push_back(i);
  std::vector<bool> keep(runs.size(), true);
  for (auto& [key, idx] : groups) {
    const auto& [variant, task] = key;
    // one run per seed: the first path wins, the others are named
    std::map<int64_t, size_t> by_seed;
    std::vector<size_t> live;
    for (size_t i : idx) {
      if (runs[i].steps.empty()) {
        keep[i] = false;
        excluded.push_back({runs[i].path, "eval.csv has no evaluation rows yet"});
        continue;
      }
      const auto [it, fresh] = by_seed.emplace(runs[i].seed, i);
      if (!fresh) {
        keep[i] = false;
        excluded.push_back({runs[i].path, fmt::format("duplicate of seed {} of {} on {} (kept {})",
                                                      runs[i].seed, variant, task, runs[it->second].path)});
        continue;
      }
      live.push_back(i);
    }
    if (live.empty()) continue;
    int64_t last = 0;
    for (size_t i : live) last = std::max(last, runs[i].steps.back());
    if (policy == Incomplete::kDrop) {
      std::vector<size_t> complete;
      for (size_t i : live) {
        if (runs[i].steps.back() < last) {
          keep[i] = false;
          excluded.push_back({runs[i].path, fmt::format(
              "incomplete: last evaluation at step {}, other runs of {} on {} reach {} "
              "(--incomplete align keeps it, cutting all to the common steps)",
              runs[i].steps.back(), variant, task, last)});
        } else {
          complete.push_back(i);
        }
      }
      live = std::move(complete);
    }
    // the evaluation steps every remaining run has
    std::vector<int64_t> common = runs[live[0]].steps;
    for (size_t i : live) {
      std::vector<int64_t> both;
      std::set_intersection(common.begin(), common.end(), runs[i].steps.begin(),
                            runs[i].steps.end(), std::back_inserter(both));
      common = std::move(both);
    }
    for (size_t i : live) {
      Run& r = runs[i];
      if (r.steps == common) continue;
      if (common.empty()) {
        keep[i] = false;
        excluded.push_back({r.path, fmt::format("shares no evaluation step with the other runs of {} on {}", variant, task)});
        continue;
      }
      notes.push_back(fmt::format("{}: cut from {} evaluations (last step {}) to the {} steps all "
                                  "runs of {} on {} share (last step {})",
                                  r.path, r.steps.size(), r.steps.back(), common.size(), variant,
                                  task, common.back()));
      std::vector<double> scores;
      for (int64_t s : common)
        scores.push_back(r.scores[std::lower_bound(r.steps.begin(), r.steps.end(), s) - r.steps.begin()]);
      r.steps = common;
      r.scores = std::move(scores);
    }
  }
  std::vector<Run> kept;
  for (size_t i = 0; i < runs.size(); ++i)
    if (keep[i]) kept.push_back(std::move(runs[i]));
  runs = std::move(kept);
}

}  // namespace crossq::report
