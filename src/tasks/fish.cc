// fish-swim: swim the fish's mouth into a randomly placed target, staying upright.
#include <cmath>

#include "crossq/core/error.h"
#include "crossq/tasks/mujoco_task.h"
#include "crossq/tasks/suite.h"
#include "crossq/tasks/tolerance.h"

namespace crossq {

namespace {
constexpr double kTargetRadius = 0.04, kMouthRadius = 0.005;
constexpr const char* kJoints[7] = {"tail1",          "tail_twist",    "tail2",
                                    "finright_roll", "finright_pitch", "finleft_roll",
                                    "finleft_pitch"};

class FishSwim final : public MujocoTask {
 public:
  FishSwim() : MujocoTask("fish-swim", asset_path("fish.xml"), 0.04) {
    torso_ = body_id("torso");
    mouth_ = mj_name2id(m_, mjOBJ_SITE, "mouth");
    if (mouth_ < 0) throw Error("task 'fish-swim': fish.xml has no site 'mouth'");
    for (int i = 0; i < 7; ++i) joints_[i] = m_->jnt_qposadr[joint_id(kJoints[i])];
    set_dmc_spec(spec_);
    spec_.description = "swim a fish to a random target and stay upright (DMC)";
    finish_spec();
  }
  double upright() const { return xmat(torso_, 'z', 'z'); }
  double mouth_to_target_distance() const {
    const double* p = d_->site_xpos + 3 * mouth_;
    return std::sqrt((target_[0] - p[0]) * (target_[0] - p[0]) +
                     (target_[1] - p[1]) * (target_[1] - p[1]) +
                     (target_[2] - p[2]) * (target_[2] - p[2]));
  }
  void set_target(double x, double y, double z) {
    target_[0] = x;
    target_[1] = y;
    target_[2] = z;
  }

 private:
  void initialize_episode(Rng& rng) override {
    // a uniformly random orientation (normalized randn(4)), joints ~ U(-0.2, 0.2)
    double q[4], n = 0;
    for (double& c : q) { c = rng.normal(); n += c * c; }
    n = std::sqrt(n);
    for (int i = 0; i < 4; ++i) d_->qpos[3 + i] = q[i] / n;
    for (int a : joints_) d_->qpos[a] = rng.uniform(-0.2, 0.2);
    target_[0] = rng.uniform(-0.4, 0.4);
    target_[1] = rng.uniform(-0.4, 0.4);
    target_[2] = rng.uniform(0.1, 0.3);
  }
  void observation(std::vector<double>& out) override {
    for (int a : joints_) out.push_back(d_->qpos[a]);  // joint angles (7)
    out.push_back(upright());                          // (1)
    // target relative to the mouth, in the mouth's frame (3)
    const double* p = d_->site_xpos + 3 * mouth_;
    const double* R = d_->site_xmat + 9 * mouth_;
    const double v[3] = {target_[0] - p[0], target_[1] - p[1], target_[2] - p[2]};
    for (int c = 0; c < 3; ++c) out.push_back(v[0] * R[c] + v[1] * R[3 + c] + v[2] * R[6 + c]);
    out.insert(out.end(), d_->qvel, d_->qvel + m_->nv);  // (13)
  }
  double reward() override {
    const double radii = kTargetRadius + kMouthRadius;
    const double in_target = tolerance(mouth_to_target_distance(), 0, radii, 2 * radii);
    const double is_upright = 0.5 * (upright() + 1);
    return (7 * in_target + is_upright) / 8;
  }
  std::vector<double> task_state() const override {
    return {target_[0], target_[1], target_[2]};
  }
  size_t task_state_size() const override { return 3; }
  void set_task_state(const std::vector<double>& s, size_t k) override {
    for (int i = 0; i < 3; ++i) target_[i] = s[k + i];
  }

  int torso_ = 0, mouth_ = 0;
  int joints_[7] = {};
  double target_[3] = {0, 0, 0.2};
};

}  // namespace

std::unique_ptr<Task> make_fish_swim() { return std::make_unique<FishSwim>(); }

}  // namespace crossq
