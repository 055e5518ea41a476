// pendulum-swingup and cartpole-swingup.
#include <algorithm>
#include <cmath>

#include "crossq/tasks/mujoco_task.h"
#include "crossq/tasks/suite.h"
#include "crossq/tasks/tolerance.h"

namespace crossq {

namespace {
constexpr double kPi = 3.14159265358979323846;

class PendulumSwingup final : public MujocoTask {
 public:
  PendulumSwingup() : MujocoTask("pendulum-swingup", asset_path("pendulum.xml"), 0.02) {
    pole_ = body_id("pole");
    set_dmc_spec(spec_);
    spec_.description = "swing a torque-limited pendulum up and balance it (DMC)";
    finish_spec();
  }

 private:
  double pole_vertical() const { return xmat(pole_, 'z', 'z'); }
  void initialize_episode(Rng& rng) override { d_->qpos[0] = rng.uniform(-kPi, kPi); }
  void observation(std::vector<double>& out) override {
    out.push_back(pole_vertical());
    out.push_back(xmat(pole_, 'x', 'z'));
    out.push_back(d_->qvel[0]);
  }
  // 1 within 8 degrees of upright
  double reward() override { return tolerance(pole_vertical(), std::cos(8 * kPi / 180), 1.0); }
  int pole_ = 0;
};

class CartpoleSwingup final : public MujocoTask {
 public:
  CartpoleSwingup() : MujocoTask("cartpole-swingup", asset_path("cartpole.xml"), 0.01) {
    pole_ = body_id("pole_1");
    set_dmc_spec(spec_);
    spec_.description = "swing up and balance a pole on a cart (DMC)";
    finish_spec();
  }

 private:
  double cart_position() const { return d_->qpos[0]; }
  double pole_cos() const { return xmat(pole_, 'z', 'z'); }
  void initialize_episode(Rng& rng) override {
    d_->qpos[0] = 0.01 * rng.normal();
    d_->qpos[1] = kPi + 0.01 * rng.normal();
    for (int i = 0; i < m_->nv; ++i) d_->qvel[i] = 0.01 * rng.normal();
  }
  void observation(std::vector<double>& out) override {
    out.push_back(cart_position());
    out.push_back(pole_cos());
    out.push_back(xmat(pole_, 'x', 'z'));
    out.push_back(d_->qvel[0]);
    out.push_back(d_->qvel[1]);
  }
  double reward() override {
    const double upright = (pole_cos() + 1) / 2;
    const double centered = (1 + tolerance(cart_position(), 0, 0, 2.0)) / 2;
    const double small_control =
        (4 + tolerance(d_->ctrl[0], 0, 0, 1.0, Sigmoid::kQuadratic, 0.0)) / 5;
    const double small_velocity = (1 + tolerance(d_->qvel[1], 0, 0, 5.0)) / 2;
    return upright * centered * small_control * small_velocity;
  }
  int pole_ = 0;
};

}  // namespace

std::unique_ptr<Task> make_pendulum_swingup() { return std::make_unique<PendulumSwingup>(); }
std::unique_ptr<Task> make_cartpole_swingup() { return std::make_unique<CartpoleSwingup>(); }

}  // namespace crossq
