// `pendulum`: Gymnasium Pendulum-v1 dynamics, built in (no MuJoCo), for quick checks.
#pragma once
#include "crossq/tasks/task.h"

namespace crossq {

class GymPendulum final : public Task {
 public:
  GymPendulum();
  const TaskSpec& spec() const override { return spec_; }
  void reset(Rng& rng, float* obs) override;
  StepResult step(const float* action, float* obs) override;
  std::vector<double> state() const override { return {th_, thdot_}; }
  void set_state(const std::vector<double>& s) override;

  // sets the state directly (tests compare against recorded Gymnasium trajectories)
  void set_physics(double th, double thdot) { th_ = th; thdot_ = thdot; }
  void observe(float* obs) const;

 private:
  TaskSpec spec_;
  double th_ = 0.0;     // angle, 0 = upright
  double thdot_ = 0.0;  // angular velocity
};

}  // namespace crossq
