#include "crossq/tasks/env.h"

#include <cmath>
#include <string>

#include "crossq/core/error.h"

namespace crossq {

double normalized_score(const TaskSpec& spec, double return_mean, double success_rate) {
  switch (spec.score) {
    case TaskSpec::Score::kReturnOver1000: return return_mean / 1000.0;
    case TaskSpec::Score::kSuccessRate: return success_rate;
    case TaskSpec::Score::kReturn: return return_mean;
    case TaskSpec::Score::kAffine: {
      const double s = (return_mean - spec.score_low) / (spec.score_high - spec.score_low);
      return s < 0 ? 0 : (s > 1 ? 1 : s);
    }
  }
  return 0.0;
}

Env::Env(std::unique_ptr<Task> task) : task_(std::move(task)) {
  action_.resize(static_cast<size_t>(task_->spec().act_dim));
}

void Env::reset(Rng& rng, float* obs) {
  episode_step_ = 0;
  task_->reset(rng, obs);
}

EnvStep Env::step(const float* action, float* obs) {
  const TaskSpec& sp = task_->spec();
  // clip into the bounds, count what was clipped, refuse non-finite actions
  for (int i = 0; i < sp.act_dim; ++i) {
    float a = action[i];
    if (!std::isfinite(a)) {
      throw Error("task '" + sp.name + "': action component " + std::to_string(i) + " is " +
                      (std::isnan(a) ? "NaN" : "Inf") + " at episode step " +
                      std::to_string(episode_step_),
                  "the policy produced a non-finite action; check the agent for divergence", kExitDiverged);
    }
    if (a < sp.act_low[i]) { a = sp.act_low[i]; ++clipped_; }
    if (a > sp.act_high[i]) { a = sp.act_high[i]; ++clipped_; }
    action_[i] = a;
  }
  const StepResult r = task_->step(action_.data(), obs);
  ++episode_step_;
  EnvStep out;
  out.reward = r.reward;
  out.terminated = r.terminated;
  out.success = r.success;
  out.truncated = !r.terminated && (r.truncated || episode_step_ >= sp.episode_steps);
  return out;
}

}  // namespace crossq
