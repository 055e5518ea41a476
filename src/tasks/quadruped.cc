// quadruped-walk and quadruped-run (dm_control): move forward in the torso's heading at 0.5 or
// 5 m/s, starting from a random orientation.
#include <cmath>
#include <string>

#include "crossq/core/error.h"
#include "crossq/tasks/mujoco_task.h"
#include "crossq/tasks/suite.h"
#include "crossq/tasks/tolerance.h"

namespace crossq {

namespace {
constexpr const char* kToes[4] = {"front_left", "front_right", "back_right", "back_left"};
constexpr int kMaxHeightTries = 10000;

class Quadruped final : public MujocoTask {
 public:
  explicit Quadruped(double move_speed)
      : MujocoTask(move_speed < 1 ? "quadruped-walk" : "quadruped-run",
                   asset_path("quadruped.xml"), 0.02),
        move_speed_(move_speed) {
    torso_ = body_id("torso");
    velocimeter_ = sensor_adr("velocimeter");
    accel_ = sensor_adr("imu_accel");
    gyro_ = sensor_adr("imu_gyro");
    for (int i = 0; i < 4; ++i) {
      force_[i] = sensor_adr(("force_toe_" + std::string(kToes[i])).c_str());
      torque_[i] = sensor_adr(("torque_toe_" + std::string(kToes[i])).c_str());
    }
    set_dmc_spec(spec_);
    spec_.description = std::string("four-legged walker: move forward at ") +
                        (move_speed < 1 ? "0.5" : "5") + " m/s from a random orientation (DMC)";
    finish_spec();
  }
  double torso_upright() const { return xmat(torso_, 'z', 'z'); }
  // forward velocity in the torso's frame (the velocimeter)
  double torso_velocity_x() const { return d_->sensordata[velocimeter_]; }

 private:
  void initialize_episode(Rng& rng) override {
    // a uniformly random orientation, then the lowest non-contacting height in 1 cm steps
    double q[4], n = 0;
    for (double& c : q) { c = rng.normal(); n += c * c; }
    n = std::sqrt(n);
    d_->qpos[0] = d_->qpos[1] = 0;
    for (int i = 0; i < 4; ++i) d_->qpos[3 + i] = q[i] / n;
    double z = 0;
    for (int i = 0;; ++i) {
      if (i == kMaxHeightTries)
        throw Error("task '" + spec_.name + "': no contact-free starting height found");
      d_->qpos[2] = z;
      mj_forward(m_, d_);
      if (d_->ncon == 0) break;
      z += 0.01;
    }
  }
  void observation(std::vector<double>& out) override {
    out.insert(out.end(), d_->qpos + 7, d_->qpos + m_->nq);      // hinge angles (16)
    out.insert(out.end(), d_->qvel + 6, d_->qvel + m_->nv);      // hinge velocities (16)
    out.insert(out.end(), d_->act, d_->act + m_->na);            // actuator states (12)
    out.insert(out.end(), d_->sensordata + velocimeter_, d_->sensordata + velocimeter_ + 3);
    out.push_back(torso_upright());
    out.insert(out.end(), d_->sensordata + accel_, d_->sensordata + accel_ + 3);
    out.insert(out.end(), d_->sensordata + gyro_, d_->sensordata + gyro_ + 3);
    for (int adr : force_)
      for (int c = 0; c < 3; ++c) out.push_back(std::asinh(d_->sensordata[adr + c]));
    for (int adr : torque_)
      for (int c = 0; c < 3; ++c) out.push_back(std::asinh(d_->sensordata[adr + c]));
  }
  double reward() override {
    const double upright = tolerance(torso_upright(), 1.0, 1e300, 2.0, Sigmoid::kLinear, 0.0);
    const double move = tolerance(torso_velocity_x(), move_speed_, 1e300, move_speed_,
                                  Sigmoid::kLinear, 0.5);
    return upright * move;
  }

  double move_speed_;
  int torso_ = 0, velocimeter_ = 0, accel_ = 0, gyro_ = 0;
  int force_[4] = {}, torque_[4] = {};
};

}  // namespace

std::unique_ptr<Task> make_quadruped(double move_speed) {
  return std::make_unique<Quadruped>(move_speed);
}

}  // namespace crossq
