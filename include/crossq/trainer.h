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
#include "crossq/config.h"
#include "crossq/tasks/env.h"

namespace crossq {

struct EvalResult {
  std::vector<double> returns;   // one per episode
  std::vector<bool> successes;   // the success flag at each episode's end
  double mean() const;
  double stddev() const;         // population (ddof 0)
  double success_rate() const;
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

class Trainer {
 public:
  // `cfg` is a full, validated configuration (config.h); the run writes into `run_dir`
  Trainer(const nlohmann::json& cfg, std::string run_dir);
  ~Trainer();
  // trains to cfg.steps; calls `progress` about once a second and after each evaluation
  void run(const std::function<void(const Progress&)>& progress = {});

  Agent& agent() { return *agent_; }
  const RunConfig& config() const { return rc_; }
  // wall seconds spent inside agent updates, and in total (for `crossq bench loop`)
  double update_seconds() const { return update_s_; }
  double total_seconds() const { return total_s_; }

 private:
  void write_eval_row(int64_t env_step, const EvalResult& r, double wall);

  nlohmann::json cfg_;
  RunConfig rc_;
  std::string dir_;
  std::unique_ptr<Env> env_, eval_env_;
  std::unique_ptr<Agent> agent_;
  double update_s_ = 0, total_s_ = 0;
};

// creates the agent an algorithm names
std::unique_ptr<Agent> make_agent(const RunConfig& rc, Rng& rng);

}  // namespace crossq
