// humanoid-stand, humanoid-walk, humanoid-run on MuJoCo's sample humanoid
// (Debian libmujoco-samples), which has dm_control's joint layout: nq 28, nv 27, nu 21.
#include <cmath>
#include <string>

#include "crossq/tasks/mujoco_task.h"
#include "crossq/tasks/suite.h"
#include "crossq/tasks/tolerance.h"

namespace crossq {

namespace {
constexpr double kStandHeight = 1.4;
constexpr int kMaxInitTries = 1000;

class Humanoid final : public MujocoTask {
 public:
  explicit Humanoid(double move_speed)
      : MujocoTask(move_speed == 0 ? "humanoid-stand" : move_speed == 1 ? "humanoid-walk"
                                                                         : "humanoid-run",
                   mujoco_sample_path("humanoid/humanoid.xml"), 0.025),
        move_speed_(move_speed) {
    torso_ = body_id("torso");
    head_ = body_id("head");
    extremities_[0] = body_id("left_hand");
    extremities_[1] = body_id("left_foot");
    extremities_[2] = body_id("right_hand");
    extremities_[3] = body_id("right_foot");
    set_dmc_spec(spec_);
    spec_.description = move_speed == 0 ? "3D humanoid: stand up and stay still (DMC)"
                                        : "3D humanoid: move at " +
                                              std::to_string(static_cast<int>(move_speed)) +
                                              " m/s or faster (DMC)";
    finish_spec();
  }
  double head_height() const { return d_->xpos[3 * head_ + 2]; }
  double torso_upright() const { return xmat(torso_, 'z', 'z'); }
  const double* com_velocity() { return subtree_linvel(torso_); }

 private:
  void initialize_episode(Rng& rng) override {
    // random orientation and joint angles, redrawn until nothing touches
    for (int i = 0; i < kMaxInitTries; ++i) {
      randomize_limited_and_rotational_joints(m_, d_, rng);
      mj_forward(m_, d_);
      if (d_->ncon == 0) break;
    }
  }
  void observation(std::vector<double>& out) override {
    out.insert(out.end(), d_->qpos + 7, d_->qpos + m_->nq);  // joint angles (21)
    out.push_back(head_height());                             // (1)
    // hands and feet relative to the torso, in the torso frame (12)
    const double* tp = d_->xpos + 3 * torso_;
    const double* R = d_->xmat + 9 * torso_;
    for (int b : extremities_) {
      const double* p = d_->xpos + 3 * b;
      const double v[3] = {p[0] - tp[0], p[1] - tp[1], p[2] - tp[2]};
      for (int c = 0; c < 3; ++c) out.push_back(v[0] * R[c] + v[1] * R[3 + c] + v[2] * R[6 + c]);
    }
    out.push_back(xmat(torso_, 'z', 'x'));  // torso vertical (3)
    out.push_back(xmat(torso_, 'z', 'y'));
    out.push_back(xmat(torso_, 'z', 'z'));
    const double* cv = com_velocity();  // (3)
    out.insert(out.end(), cv, cv + 3);
    out.insert(out.end(), d_->qvel, d_->qvel + m_->nv);  // (27)
  }
  double reward() override {
    const double standing = tolerance(head_height(), kStandHeight, 1e300, kStandHeight / 4);
    const double upright = tolerance(torso_upright(), 0.9, 1e300, 1.9, Sigmoid::kLinear, 0.0);
    double small_control = 0;
    for (int i = 0; i < m_->nu; ++i)
      small_control += tolerance(d_->ctrl[i], 0, 0, 1.0, Sigmoid::kQuadratic, 0.0);
    small_control = (4 + small_control / m_->nu) / 5;
    const double* v = com_velocity();
    if (move_speed_ == 0) {
      const double dont_move = (tolerance(v[0], 0, 0, 2.0) + tolerance(v[1], 0, 0, 2.0)) / 2;
      return small_control * standing * upright * dont_move;
    }
    const double speed = std::hypot(v[0], v[1]);
    const double move =
        tolerance(speed, move_speed_, 1e300, move_speed_, Sigmoid::kLinear, 0.0);
    return small_control * standing * upright * (5 * move + 1) / 6;
  }
  double move_speed_;
  int torso_ = 0, head_ = 0;
  int extremities_[4] = {};
};

}  // namespace

std::unique_ptr<Task> make_humanoid(double move_speed) {
  return std::make_unique<Humanoid>(move_speed);
}

}  // namespace crossq
