// Trainer: owns one run (task, agent, replay, random streams, schedule) and writes its folder
// (docs/run-format.md). Evaluator: a separately seeded task instance and the deterministic
// policy.
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "crossq/agents/agent.h"
#include "crossq/train/checkpoint.h"
#include "crossq/train/config.h"
#include "crossq/train/learner.h"
#include "crossq/train/run_folder.h"
#include "crossq/tasks/env.h"

namespace crossq {

struct EvalResult {
  std::vector<double> returns;   // one per episode
  std::vector<bool> successes;       // per episode: the task's success held at any step
  std::vector<bool> successes_last;  // per episode: success at the episode's last step
  double mean() const;
  double stddev() const;         // population (ddof 0)
  double success_rate() const;   // fraction of episodes with success at any step (the score)
  double success_last_rate() const;
};

// runs `episodes` episodes of the deterministic policy with `action_repeat`
EvalResult evaluate(Agent& agent, Env& env, Rng& rng, int episodes, int action_repeat);

// what the trainer reports while it runs
struct Progress {
  int64_t env_step = 0, total_steps = 0;
  double sps = 0.0;              // env steps per second since the start
  double eta_s = 0.0;
  bool has_eval = false;
  double last_eval_return = 0.0;
};

class RunLoop;

class Trainer {
 public:
  // `cfg` is checked first (checked_config: every path to a run passes the same validation);
  // the run writes into `run_dir`, which it locks for its lifetime (run_folder.h): pass the
  // lock when the caller took it already (before clearing the folder), else it is taken here
  Trainer(const nlohmann::json& cfg, std::string run_dir, RunLock lock = {});
  // the same on tasks the caller made (a Python environment's adapter): `task` trains,
  // `eval_task` evaluates; null ones are made from cfg["task"]
  Trainer(const nlohmann::json& cfg, std::string run_dir, std::unique_ptr<Task> task, std::unique_ptr<Task> eval_task,
          RunLock lock = {});
  ~Trainer();
  // trains to cfg.steps; calls `progress` about once a second and after each evaluation.
  // A new run writes config.json, the log headers and a first checkpoint before its first
  // step; then <run_dir>/checkpoint.bin every cfg.checkpoint_every env steps and at the end.
  // With `resume` (a checkpoint of this run, consumed: its memory is released once restored)
  // the checkpoint is checked against the folder first (run id, settings, the logs' lengths
  // and checksums; docs/robustness.md) and the run continues exactly where it left off;
  // nothing in the folder changes unless the checks pass. On SIGINT/SIGTERM
  // (install_stop_handlers) it finishes the current agent step, writes a checkpoint and throws
  // an Error with exit code 130/143; on a non-finite loss, gradient, parameter or action it
  // throws with exit code 3 and leaves the last good checkpoint in place; a failed write of
  // any file throws with exit code 1, keeping the last good checkpoint.
  void run(const std::function<void(const Progress&)>& progress = {}, Checkpoint* resume = nullptr);

  Agent& agent();
  const RunConfig& config() const { return rc_; }
  // wall seconds spent inside agent updates, and in total (for `crossq bench loop`)
  double update_seconds() const;
  double total_seconds() const { return total_s_; }
  // each parameter reset of the last run: the env step and the replay size at that moment
  struct ResetEvent {
    int64_t env_step = 0, replay_size = 0;
  };
  const std::vector<ResetEvent>& resets() const { return resets_; }

 private:
  friend class RunLoop;
  nlohmann::json cfg_;
  RunConfig rc_;
  std::string dir_;
  RunLock lock_;
  std::unique_ptr<Env> env_, eval_env_;
  std::unique_ptr<Learner> learner_;
  double total_s_ = 0;
  std::vector<ResetEvent> resets_;
};

// the settings a checkpoint holds, upgraded (upgrade_config) and checked like any others
// (checked_config): an edited checkpoint with recomputed checksums is refused naming the key;
// `path` names the file in errors
nlohmann::json checkpoint_settings(const Checkpoint& ck, const std::string& path);

// refuses (exit status 2) a run whose replay buffer would not fit in this machine's memory
void check_memory(const RunConfig& rc, const TaskSpec& task);
// checks that a configuration can run (checked_config, check_memory) without building
// anything: the CLI calls it before it clears a folder for --overwrite
void preflight(const nlohmann::json& cfg);

// throws (exit code 3) naming the first agent state array with a NaN or Inf
void check_finite(Agent& agent, const std::string& run_dir, int64_t env_step, int64_t updates);

// the checkpoint file of a run folder
std::string checkpoint_path(const std::string& run_dir);

// SIGINT and SIGTERM only record the signal (a second one of the same kind kills at once);
// Trainer::run polls it between agent steps. SIGXFSZ is ignored, so a write past the file-size
// limit fails with an error the run reports instead of killing the process.
void install_stop_handlers();
int pending_stop_signal();     // 0, SIGINT or SIGTERM


}  // namespace crossq
