// hopper-stand and hopper-hop.
#include <cmath>

#include "crossq/tasks/mujoco_task.h"
#include "crossq/tasks/suite.h"
#include "crossq/tasks/tolerance.h"

namespace crossq {

namespace {
constexpr double kStandHeight = 0.6;
constexpr double kHopSpeed = 2.0;

class Hopper final : public MujocoTask {
 public:
  explicit Hopper(bool hopping)
      : MujocoTask(hopping ? "hopper-hop" : "hopper-stand", asset_path("hopper.xml"), 0.02),
        hopping_(hopping) {
    torso_ = body_id("torso");
    foot_ = body_id("foot");
    toe_ = sensor_adr("touch_toe");
    heel_ = sensor_adr("touch_heel");
    set_dmc_spec(spec_);
    spec_.description = hopping ? "one-legged hopper: hop forward at 2 m/s (DMC)"
                                : "one-legged hopper: stand up with little control (DMC)";
    finish_spec();
  }
  // torso COM height above the foot COM
  double height() const { return d_->xipos[3 * torso_ + 2] - d_->xipos[3 * foot_ + 2]; }
  double speed() { return subtree_linvel(torso_)[0]; }

 private:
  void initialize_episode(Rng& rng) override {
    randomize_limited_and_rotational_joints(m_, d_, rng);
  }
  void observation(std::vector<double>& out) override {
    out.insert(out.end(), d_->qpos + 1, d_->qpos + m_->nq);  // all but rootx (6)
    out.insert(out.end(), d_->qvel, d_->qvel + m_->nv);      // (7)
    out.push_back(std::log1p(d_->sensordata[toe_]));         // touch (2)
    out.push_back(std::log1p(d_->sensordata[heel_]));
  }
  double reward() override {
    const double standing = tolerance(height(), kStandHeight, 2.0);
    if (hopping_) {
      return standing *
             tolerance(speed(), kHopSpeed, 1e300, kHopSpeed / 2, Sigmoid::kLinear, 0.5);
    }
    double small_control = 0;
    for (int i = 0; i < m_->nu; ++i)
      small_control += tolerance(d_->ctrl[i], 0, 0, 1.0, Sigmoid::kQuadratic, 0.0);
    small_control = (small_control / m_->nu + 4) / 5;
    return standing * small_control;
  }
  bool hopping_;
  int torso_ = 0, foot_ = 0, toe_ = 0, heel_ = 0;
};

}  // namespace

std::unique_ptr<Task> make_hopper(bool hopping) { return std::make_unique<Hopper>(hopping); }

}  // namespace crossq
