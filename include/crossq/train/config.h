// Every setting of a run, declared once (CleanRL style): its key, type, help line and checks.
// The same key is `--key-with-dashes` on the command line, `key = value` in --set and a key in
// config.json. Defaults resolve in layers (below, default_config), then --config FILE, then
// --set, then flags.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "crossq/agents/crossq_agent.h"
#include "crossq/agents/residual_agent.h"
#include "crossq/agents/tdmpc2_agent.h"
#include "crossq/tasks/task.h"

namespace crossq {

struct OptionSpec {
  enum class Type { kInt, kFloat, kBool, kString };
  std::string key;
  Type type;
  std::string help;
  double min = -1e300, max = 1e300;   // numeric range (inclusive)
  std::vector<std::string> choices;   // strings: allowed values (empty: any)
  bool run_key = false;               // bookkeeping, not an experimental setting
};

// every option, in --help order
const std::vector<OptionSpec>& option_specs();
// the algorithms `--algo` accepts
const std::vector<std::string>& algo_names();
// simba, bro and bro-fast (the residual agent family); the rest are the MLP family
bool is_residual_algo(const std::string& algo);
// keys crossq writes into config.json beside the settings (suite, run_keys, version, sources,
// run_id)
bool is_bookkeeping_key(const std::string& key);

// Precedence of defaults, lowest first: the algorithm's column, then the task's own defaults
// (steps, warm-up, evaluation interval, action repeat, discount, reward scale), then the
// algorithm's suite column: the values the seed paper's Table 1 gives that algorithm on dmc and
// myo tasks (action_repeat, discount, warmup), which win over the task's. config.json records
// under "sources" which layer each value came from ("algorithm", "task", "algorithm-suite",
// "config", "set", "flag"; "jobs" for threads chosen from the cores and --jobs).
const std::vector<std::string>& suite_column_keys();
// the algorithm's suite column on a suite (empty for suites Table 1 does not cover)
nlohmann::json suite_column(const std::string& algo, const std::string& suite);

// defaults of an algorithm on a task: a full, valid configuration
nlohmann::json default_config(const std::string& algo, const std::string& task);
// adds the settings a run written by an earlier crossq lacks, with the values it ran with
// (checkpoints and config.json from before a setting existed)
void upgrade_config(nlohmann::json& cfg);
// applies `overrides` (already typed JSON) onto `cfg`, checking keys, types and ranges; throws
// a usage error naming the key and the fix (unknown keys get a did-you-mean)
void apply_overrides(nlohmann::json& cfg, const nlohmann::json& overrides, const std::string& origin,
                     const std::string& source = "override");
// parses `key=value` (from --set) into typed JSON using the option's type
nlohmann::json parse_set(const std::string& assignment);
// the table of every algorithm's defaults on cheetah-run and myo-reach (markdown), as
// docs/algorithms.md holds it (`crossq algos --defaults-markdown`)
std::string defaults_markdown();
// the settings a user gives, in precedence order (lowest first): a settings file or object
// (--config FILE; Python's keyword arguments), `key=value` assignments (--set), flags (key to
// value text). "task" and "algo" among them choose the defaults instead of overriding them.
struct GivenSettings {
  std::string file_label;                       // names the file in errors ("--config cfg.json")
  nlohmann::json file = nlohmann::json::object();
  std::vector<std::string> sets;
  std::map<std::string, std::string> flags;
};
// the algorithm and task the given settings name (a flag wins over the file), else the fallbacks
std::pair<std::string, std::string> given_algo_task(const GivenSettings& given, const std::string& algo,
                                                    const std::string& task);
// The one precedence function of new runs and resumes: `base` (an algorithm's defaults on a
// task, or the settings of the run being resumed) with the file, the assignments and the flags
// applied in that order, checking each key's name, type and range; "sources" records which
// input set each value ("config", "set", "flag").
nlohmann::json apply_given(nlohmann::json base, const GivenSettings& given);
// the keys the given settings name (task and algo included)
std::vector<std::string> given_keys(const GivenSettings& given);

// checks cross-field constraints (batch <= replay capacity, ...) after all layers
void validate_config(const nlohmann::json& cfg);
// the one check every configuration passes before a run uses it, wherever it came from (flags,
// --set, --config, config.json, a checkpoint, Python): an object naming a known task and
// algorithm, holding every setting with a value of the right type in range, and meeting the
// constraints between settings. Returns it in canonical form; throws a usage error naming the
// key and `origin`.
nlohmann::json checked_config(const nlohmann::json& cfg, const std::string& origin);

// the typed view the trainer uses
struct RunConfig {
  std::string task, algo;
  uint64_t seed = 0;
  int64_t steps = 0, warmup = 0, eval_every = 0, log_every = 0, replay_capacity = 0;
  int eval_episodes = 5, action_repeat = 1, utd = 1, threads = 1;
  int64_t reset_every = 0;
  int64_t checkpoint_every = 0;  // env steps between checkpoints (0: only at the end)
  std::vector<int64_t> reset_steps;  // explicit env steps of full resets (BRO)
  double reward_scale = 1.0;
  bool pretrain = false;    // `warmup` updates at once when the warm-up ends (TD-MPC2)
  CrossQConfig agent;       // crossq-wn, crossq, sac, sr-sac
  ResidualConfig residual;  // simba, bro, bro-fast
  Tdmpc2Config tdmpc2;      // tdmpc2
};
RunConfig to_run_config(const nlohmann::json& cfg, const TaskSpec& task);

}  // namespace crossq
