// walker-stand, walker-walk, walker-run.
#include <string>

#include "crossq/tasks/mujoco_task.h"
#include "crossq/tasks/suite.h"
#include "crossq/tasks/tolerance.h"

namespace crossq {

namespace {
constexpr double kStandHeight = 1.2;

class Walker final : public MujocoTask {
 public:
  explicit Walker(double move_speed)
      : MujocoTask(move_speed == 0 ? "walker-stand" : move_speed == 1 ? "walker-walk"
                                                                       : "walker-run",
                   asset_path("walker.xml"), 0.025),
        move_speed_(move_speed) {
    torso_ = body_id("torso");
    set_dmc_spec(spec_);
    spec_.description = move_speed == 0 ? "planar biped: stand up and stay upright (DMC)"
                                        : "planar biped: move forward at " +
                                              std::to_string(static_cast<int>(move_speed)) +
                                              " m/s or faster (DMC)";
    finish_spec();
  }
  double torso_upright() const { return xmat(torso_, 'z', 'z'); }
  double torso_height() const { return d_->xpos[3 * torso_ + 2]; }
  double horizontal_velocity() { return subtree_linvel(torso_)[0]; }

 private:
  void initialize_episode(Rng& rng) override {
    randomize_limited_and_rotational_joints(m_, d_, rng);
  }
  void observation(std::vector<double>& out) override {
    // xx and xz of every body but the world (14), torso height (1), qvel (9)
    for (int b = 1; b < m_->nbody; ++b) {
      out.push_back(xmat(b, 'x', 'x'));
      out.push_back(xmat(b, 'x', 'z'));
    }
    out.push_back(torso_height());
    out.insert(out.end(), d_->qvel, d_->qvel + m_->nv);
  }
  double reward() override {
    const double standing = tolerance(torso_height(), kStandHeight, 1e300, kStandHeight / 2);
    const double upright = (1 + torso_upright()) / 2;
    const double stand_reward = (3 * standing + upright) / 4;
    if (move_speed_ == 0) return stand_reward;
    const double move = tolerance(horizontal_velocity(), move_speed_, 1e300, move_speed_ / 2,
                                  Sigmoid::kLinear, 0.5);
    return stand_reward * (5 * move + 1) / 6;
  }
  double move_speed_;
  int torso_ = 0;
};

}  // namespace

std::unique_ptr<Task> make_walker(double move_speed) {
  return std::make_unique<Walker>(move_speed);
}

}  // namespace crossq
