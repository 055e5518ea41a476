// The task interface (dm_control's shape): a task owns its physics and knows its observation,
// reward and initial-state distribution. It does NOT own the time limit or action clipping:
// `Env` (env.h) does, so truncation is never mistaken for termination.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "crossq/core/rng.h"

namespace crossq {

// training defaults a task carries where the paper's defaults do not fit it;
// a value of 0 means "use the algorithm's default"
struct TaskDefaults {
  int64_t steps = 1000000;      // env steps of training
  int64_t warmup = 5000;        // uniform random transitions before learning (0: algo default)
  int64_t eval_every = 25000;   // env steps between evaluations
  int action_repeat = 2;        // env steps per agent step (the seed paper: 2 on DMC and muscle tasks)
  double discount = 0.99;       // 0.95 for muscle tasks
  double reward_scale = 1.0;    // rewards enter the replay buffer multiplied by this
  // a network size preset for small tasks (0: the algorithm's own widths); the units of every
  // critic and actor hidden layer
  int critic_hidden = 0, actor_hidden = 0;
};

// constant description of a task
struct TaskSpec {
  std::string name;               // e.g. "cheetah-run"
  int obs_dim = 0;                // observation size
  int act_dim = 0;                // action size
  int episode_steps = 1000;       // env steps until truncation
  double control_dt = 0.0;        // seconds per env step
  std::vector<float> act_low;     // (act_dim) lower action bounds
  std::vector<float> act_high;    // (act_dim) upper action bounds
  std::string suite;              // "dmc", "myo", "arm", "builtin" or "custom": groups tasks in reports
  bool has_success = false;       // episodes report a `success` flag (muscle tasks)
  bool random_start = true;       // the initial state depends on the seed (MyoSuite's fixed
                                  // tasks start every episode from one state)
  // normalized score of an evaluation (rliable protocol): DMC return / 1000; muscle tasks the success
  // rate; other tasks (return - score_low) / (score_high - score_low), clipped to [0, 1]
  // an environment of the caller's own (suite "custom"): the return itself
  enum class Score { kReturnOver1000, kSuccessRate, kAffine, kReturn } score = Score::kReturnOver1000;
  double score_low = 0.0, score_high = 1000.0;  // for Score::kAffine
  TaskDefaults defaults;
  std::string description;        // one line for `crossq tasks`
};

// what one env step produced
struct StepResult {
  double reward = 0.0;
  bool terminated = false;  // a true terminal state: the value does not bootstrap
  bool success = false;     // task-defined success at this step (muscle tasks)
  bool truncated = false;   // the task's own time limit ended the episode (an outside
                            // environment's; crossq's tasks leave the limit to Env)
};

// the normalized score of an evaluation's mean return and success rate (rliable protocol)
double normalized_score(const TaskSpec& spec, double return_mean, double success_rate);

class Task {
 public:
  virtual ~Task() = default;
  virtual const TaskSpec& spec() const = 0;
  // starts an episode from a random initial state drawn with `rng`; writes obs (obs_dim)
  virtual void reset(Rng& rng, float* obs) = 0;
  // advances one control step with `action` (act_dim) already inside the bounds; writes the
  // next observation (obs_dim)
  virtual StepResult step(const float* action, float* obs) = 0;
  // the physics state (positions, velocities, activations, time, task variables such as a
  // target), for checkpoints; set_state restores it exactly
  virtual std::vector<double> state() const = 0;
  virtual void set_state(const std::vector<double>& state) = 0;
  // MyoSuite's `done` (the episode failed: fingertips far from the target, the object or the
  // pen dropped...) ends the episode as terminal when on; returns false for a task without
  // such a condition (the default)
  virtual bool set_task_done(bool on) { return !on; }
};

}  // namespace crossq
