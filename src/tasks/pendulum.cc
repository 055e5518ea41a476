#include "crossq/tasks/pendulum.h"

#include <algorithm>
#include <cmath>

#include "crossq/core/error.h"

namespace crossq {

namespace {
// Gymnasium Pendulum-v1 constants
constexpr double kG = 10.0, kM = 1.0, kL = 1.0, kDt = 0.05;
constexpr double kMaxSpeed = 8.0, kMaxTorque = 2.0;
constexpr double kPi = 3.14159265358979323846;

// ((x + pi) mod 2 pi) - pi with Python's floored modulo, so the result is in [-pi, pi) for
// negative angles too (std::fmod keeps the sign of x)
double angle_normalize(double x) {
  const double y = x + kPi;
  return y - 2 * kPi * std::floor(y / (2 * kPi)) - kPi;
}
}  // namespace

GymPendulum::GymPendulum() {
  spec_.name = "pendulum";
  spec_.obs_dim = 3;
  spec_.act_dim = 1;
  spec_.episode_steps = 200;
  spec_.control_dt = kDt;
  spec_.act_low = {static_cast<float>(-kMaxTorque)};
  spec_.act_high = {static_cast<float>(kMaxTorque)};
  spec_.suite = "builtin";
  // returns are negative costs: score 0 at -1500 (worse than random, ~ -1200), 1 at 0
  spec_.score = TaskSpec::Score::kAffine;
  spec_.score_low = -1500.0;
  spec_.score_high = 0.0;
  spec_.description = "Gymnasium Pendulum-v1 swing-up (built in, no MuJoCo); good ~ -150";
  // a 200-step task: short warm-up, frequent evaluation, no action repeat
  spec_.defaults.steps = 10000;
  spec_.defaults.warmup = 1000;
  spec_.defaults.eval_every = 1000;
  spec_.defaults.action_repeat = 1;
  spec_.defaults.discount = 0.99;
  // a small task: 64-unit networks learn it as well as the paper's sizes (measured: crossq-wn,
  // 10k steps, seeds 0-2 end at -144, -186, -122 with 64 units and -144, -184, -121 with 128)
  // in a fraction of the time
  spec_.defaults.critic_hidden = 64;
  spec_.defaults.actor_hidden = 64;
}

void GymPendulum::reset(Rng& rng, float* obs) {
  th_ = rng.uniform(-kPi, kPi);
  thdot_ = rng.uniform(-1.0, 1.0);
  observe(obs);
}

void GymPendulum::observe(float* obs) const {
  obs[0] = static_cast<float>(std::cos(th_));
  obs[1] = static_cast<float>(std::sin(th_));
  obs[2] = static_cast<float>(thdot_);
}

StepResult GymPendulum::step(const float* action, float* obs) {
  // the action arrives as float32 (as in Gymnasium) and is used in float64
  const double u = std::clamp(static_cast<double>(action[0]), -kMaxTorque, kMaxTorque);
  const double an = angle_normalize(th_);
  const double cost = an * an + 0.1 * thdot_ * thdot_ + 0.001 * u * u;
  double newthdot = thdot_ + (3 * kG / (2 * kL) * std::sin(th_) + 3.0 / (kM * kL * kL) * u) * kDt;
  newthdot = std::clamp(newthdot, -kMaxSpeed, kMaxSpeed);
  th_ = th_ + newthdot * kDt;
  thdot_ = newthdot;
  observe(obs);
  StepResult r;
  r.reward = -cost;
  return r;
}

void GymPendulum::set_state(const std::vector<double>& s) {
  if (s.size() != 2) throw Error("pendulum: state has " + std::to_string(s.size()) + " values, expected 2");
  th_ = s[0];
  thdot_ = s[1];
}

}  // namespace crossq
