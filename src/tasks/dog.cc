// dog-stand, dog-walk, dog-trot, dog-run (dm_control's dog, Tassa et al. 2020): stand up
// from a random heading and root velocity, then move forward in the torso's heading at 1, 3
// or 9 m/s. The model is crossq's assets/dog.xml (tools/make_dog_xml.py), or dm_control's own
// dog.xml from $CROSSQ_DMC_MODEL_DIR: every name this code uses is the original's.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "crossq/core/error.h"
#include "crossq/tasks/mujoco_task.h"
#include "crossq/tasks/suite.h"
#include "crossq/tasks/tolerance.h"

namespace crossq {

namespace {
constexpr double kStandHeightFraction = 0.9;  // of the default pose's torso and pelvis heights
constexpr double kMaxUprightDegrees = 30;
constexpr double kPi = 3.14159265358979323846;

std::string dog_name(double speed) {
  if (speed == 0) return "dog-stand";
  if (speed == 1) return "dog-walk";
  if (speed == 3) return "dog-trot";
  return "dog-run";
}

class Dog final : public MujocoTask {
 public:
  explicit Dog(double move_speed)
      : MujocoTask(dog_name(move_speed), dmc_model_path("dog.xml"), 0.015), move_speed_(move_speed) {
    torso_ = body_id("torso");
    pelvis_ = body_id("pelvis");
    skull_ = body_id("skull");
    root_ = joint_id("root");
    for (int j = 0; j < m_->njnt; ++j)
      if (m_->jnt_type[j] == mjJNT_HINGE) {
        hinge_qpos_.push_back(m_->jnt_qposadr[j]);
        hinge_dof_.push_back(m_->jnt_dofadr[j]);
      }
    if (hinge_qpos_.size() != 73 || m_->nu != 38 || m_->na != 38)
      throw Error("task '" + spec_.name + "': the dog model needs 73 hinges and 38 filtered actuators, has " +
                      std::to_string(hinge_qpos_.size()) + " and " + std::to_string(m_->nu),
                  "point CROSSQ_DMC_MODEL_DIR at dm_control's suite folder, or unset it for crossq's own model");
    linvel_ = sensor_adr("torso_linvel");
    for (const char* s : {"accelerometer", "velocimeter", "gyro"}) inertial_.push_back(sensor_adr(s));
    for (const char* s : {"foot_L", "foot_R", "hand_L", "hand_R"}) force_.push_back(sensor_adr(s));
    for (const char* s : {"palm_L", "palm_R", "sole_L", "sole_R"}) touch_.push_back(sensor_adr(s));
    // the stand heights and the body weight, from the default pose
    mj_resetData(m_, d_);
    mj_forward(m_, d_);
    stand_torso_ = kStandHeightFraction * d_->xpos[3 * torso_ + 2];
    stand_pelvis_ = kStandHeightFraction * d_->xpos[3 * pelvis_ + 2];
    body_weight_ = -m_->opt.gravity[2] * m_->body_subtreemass[torso_];
    set_dmc_spec(spec_);
    spec_.description = move_speed == 0 ? "38-actuator dog: stand up from a random heading and velocity (DMC)"
                                        : "38-actuator dog: move forward at " +
                                              std::to_string(static_cast<int>(move_speed)) + " m/s (DMC)";
    finish_spec();
  }

  double torso_height() const { return d_->xpos[3 * torso_ + 2]; }
  double pelvis_height() const { return d_->xpos[3 * pelvis_ + 2]; }
  double stand_torso() const { return stand_torso_; }
  double stand_pelvis() const { return stand_pelvis_; }
  double body_weight() const { return body_weight_; }
  // the torso subtree's centre-of-mass velocity in the torso's frame
  void torso_com_velocity(double* out) const {
    const double* v = d_->sensordata + linvel_;
    const double* R = d_->xmat + 9 * torso_;
    for (int c = 0; c < 3; ++c) out[c] = v[0] * R[c] + v[1] * R[3 + c] + v[2] * R[6 + c];
  }
  double touch_sum() const {
    double s = 0;
    for (int a : touch_) s += d_->sensordata[a];
    return s;
  }

 private:
  void initialize_episode(Rng& rng) override {
    // a uniformly random heading, random horizontal root velocities and yaw rate, random
    // actuator activations
    const double azimuth = rng.uniform(0, 2 * kPi);
    const int q = m_->jnt_qposadr[root_], dv = m_->jnt_dofadr[root_];
    d_->qpos[q + 3] = std::cos(azimuth / 2);
    d_->qpos[q + 4] = 0;
    d_->qpos[q + 5] = 0;
    d_->qpos[q + 6] = std::sin(azimuth / 2);
    d_->qvel[dv + 0] = 2 * rng.normal();
    d_->qvel[dv + 1] = 2 * rng.normal();
    d_->qvel[dv + 5] = 2 * rng.normal();
    for (int i = 0; i < m_->nu; ++i) d_->act[i] = rng.uniform(m_->actuator_ctrlrange[2 * i], m_->actuator_ctrlrange[2 * i + 1]);
  }
  void observation(std::vector<double>& out) override {
    for (int a : hinge_qpos_) out.push_back(d_->qpos[a]);  // joint angles (73)
    for (int a : hinge_dof_) out.push_back(d_->qvel[a]);   // joint velocities (73)
    out.push_back(torso_height());                          // torso and pelvis height (2)
    out.push_back(pelvis_height());
    for (int b : {skull_, torso_, pelvis_})                 // z-projections (9)
      for (char c : {'x', 'y', 'z'}) out.push_back(xmat(b, 'z', c));
    double v[3];
    torso_com_velocity(v);                                  // (3)
    out.insert(out.end(), v, v + 3);
    for (int a : inertial_) out.insert(out.end(), d_->sensordata + a, d_->sensordata + a + 3);  // (9)
    for (int a : force_) out.insert(out.end(), d_->sensordata + a, d_->sensordata + a + 3);     // (12)
    for (int a : touch_) out.push_back(d_->sensordata[a]);                                      // (4)
    out.insert(out.end(), d_->act, d_->act + m_->na);                                           // (38)
  }
  // the product of: torso height, pelvis height, upright skull / torso / pelvis, touch, and
  // (moving tasks) forward speed
  double reward() override {
    const double min_cos = std::cos(kMaxUprightDegrees * kPi / 180);
    double r = tolerance(torso_height(), stand_torso_, 1e300, stand_torso_) *
               tolerance(pelvis_height(), stand_pelvis_, 1e300, stand_pelvis_) *
               tolerance(touch_sum(), body_weight_, 1e300, body_weight_, Sigmoid::kLinear, 0.9);
    for (int b : {skull_, torso_, pelvis_})
      r *= tolerance(xmat(b, 'z', 'z'), min_cos, 1e300, min_cos + 1, Sigmoid::kLinear, 0.0);
    if (move_speed_ > 0) {
      double v[3];
      torso_com_velocity(v);
      const double fwd = tolerance(v[0], move_speed_, 2 * move_speed_, std::max(1.0, move_speed_), Sigmoid::kLinear, 0.0);
      r *= (4 * fwd + 1) / 5;
    }
    return r;
  }
  double move_speed_;
  int torso_ = 0, pelvis_ = 0, skull_ = 0, root_ = 0, linvel_ = 0;
  std::vector<int> hinge_qpos_, hinge_dof_, inertial_, force_, touch_;
  double stand_torso_ = 0, stand_pelvis_ = 0, body_weight_ = 0;
};

}  // namespace

std::unique_ptr<Task> make_dog(double move_speed) { return std::make_unique<Dog>(move_speed); }

}  // namespace crossq
