// Env: a task plus the time limit, action clipping and episode bookkeeping.
#pragma once
#include <cstdint>
#include <memory>
#include <vector>

#include "crossq/tasks/task.h"

namespace crossq {

struct EnvStep {
  double reward = 0.0;
  bool terminated = false;  // true terminal state (no bootstrap)
  bool truncated = false;   // time limit reached (bootstrap through it)
  bool success = false;
};

class Env {
 public:
  explicit Env(std::unique_ptr<Task> task);
  const TaskSpec& spec() const { return task_->spec(); }
  Task& task() { return *task_; }

  // starts an episode; obs is (obs_dim)
  void reset(Rng& rng, float* obs);
  // one env step; `action` (act_dim) in the task's units. Values outside the bounds are
  // clipped and counted; a NaN or Inf action throws crossq::Error.
  EnvStep step(const float* action, float* obs);

  int64_t episode_step() const { return episode_step_; }
  int64_t clipped_actions() const { return clipped_; }  // components clipped so far
  void set_episode_step(int64_t t) { episode_step_ = t; }

 private:
  std::unique_ptr<Task> task_;
  std::vector<float> action_;  // (act_dim) clipped copy
  int64_t episode_step_ = 0;
  int64_t clipped_ = 0;
};

}  // namespace crossq
