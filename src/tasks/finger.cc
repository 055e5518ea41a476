// finger-turn-easy and finger-turn-hard: turn the spinner so its tip lands in a
// target of radius 0.07 (easy) or 0.03 (hard).
#include <cmath>

#include "crossq/tasks/mujoco_task.h"
#include "crossq/tasks/suite.h"

namespace crossq {

namespace {
constexpr double kPi = 3.14159265358979323846;
constexpr double kSpinnerRadius = 0.13;  // hinge to tip
constexpr int kMaxInitTries = 1000;

class FingerTurn final : public MujocoTask {
 public:
  explicit FingerTurn(bool hard)
      : MujocoTask(hard ? "finger-turn-hard" : "finger-turn-easy", asset_path("finger.xml"),
                   0.02),
        target_radius_(hard ? 0.03 : 0.07) {
    spinner_ = body_id("spinner");
    proximal_ = joint_id("proximal");
    distal_ = joint_id("distal");
    hinge_ = joint_id("hinge");
    tip_site_ = mj_name2id(m_, mjOBJ_SITE, "tip");
    touch_top_ = sensor_adr("touchtop");
    touch_bottom_ = sensor_adr("touchbottom");
    set_dmc_spec(spec_);
    spec_.description = std::string("turn a spinner into a ") + (hard ? "small" : "large") +
                        " target with a two-link finger (DMC)";
    finish_spec();
  }
  // signed distance from the spinner tip to the target's edge (negative inside)
  double dist_to_target() const {
    const double* tip = d_->site_xpos + 3 * tip_site_;
    return std::hypot(target_[0] - tip[0], target_[1] - tip[2]) - target_radius_;
  }
  // places the target on the spinner's circle at angle `a` from the top
  void set_target_angle(double a) {
    const double* hinge = d_->xpos + 3 * spinner_;
    target_[0] = hinge[0] + kSpinnerRadius * std::sin(a);
    target_[1] = hinge[2] + kSpinnerRadius * std::cos(a);
  }

 private:
  void initialize_episode(Rng& rng) override {
    mj_kinematics(m_, d_);  // the spinner's position for the target
    set_target_angle(rng.uniform(-kPi, kPi));
    // redraw the joints until the finger does not touch the spinner
    for (int i = 0; i < kMaxInitTries; ++i) {
      randomize_limited_and_rotational_joints(m_, d_, rng);
      mj_forward(m_, d_);
      if (d_->ncon == 0) break;
    }
  }
  void observation(std::vector<double>& out) override {
    const double* tip = d_->site_xpos + 3 * tip_site_;
    const double* hinge = d_->xpos + 3 * spinner_;
    out.push_back(d_->qpos[m_->jnt_qposadr[proximal_]]);  // position (4)
    out.push_back(d_->qpos[m_->jnt_qposadr[distal_]]);
    out.push_back(tip[0] - hinge[0]);
    out.push_back(tip[2] - hinge[2]);
    out.push_back(d_->qvel[m_->jnt_dofadr[proximal_]]);  // velocity (3)
    out.push_back(d_->qvel[m_->jnt_dofadr[distal_]]);
    out.push_back(d_->qvel[m_->jnt_dofadr[hinge_]]);
    out.push_back(std::log1p(d_->sensordata[touch_top_]));  // touch (2)
    out.push_back(std::log1p(d_->sensordata[touch_bottom_]));
    out.push_back(target_[0] - hinge[0]);  // target position (2)
    out.push_back(target_[1] - hinge[2]);
    out.push_back(dist_to_target());  // (1)
  }
  double reward() override { return dist_to_target() <= 0 ? 1.0 : 0.0; }
  std::vector<double> task_state() const override { return {target_[0], target_[1]}; }
  size_t task_state_size() const override { return 2; }
  void set_task_state(const std::vector<double>& s, size_t k) override {
    target_[0] = s[k];
    target_[1] = s[k + 1];
  }

  double target_radius_;
  double target_[2] = {0, 0};  // (x, z) of the target's center
  int spinner_ = 0, proximal_ = 0, distal_ = 0, hinge_ = 0, tip_site_ = 0;
  int touch_top_ = 0, touch_bottom_ = 0;
};

}  // namespace

std::unique_ptr<Task> make_finger_turn(bool hard) { return std::make_unique<FingerTurn>(hard); }

}  // namespace crossq
