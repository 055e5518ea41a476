// A cheap muscle suite in the MyoSuite style (Caggiano et al. 2022) on MuJoCo's sample arm26 (2
// hinges, 6 muscles; Debian libmujoco-samples): arm-reach / arm-reach-hard (fixed / random
// fingertip target) and arm-pose / arm-pose-hard (fixed / random joint target), thresholds
// rescaled to the 1 m arm (docs/tasks.md). MyoSuite's hand tasks are in myohand.cc.
#include <cmath>
#include <string>

#include "crossq/core/error.h"
#include "crossq/tasks/mujoco_task.h"
#include "crossq/tasks/suite.h"

namespace crossq {

namespace {
constexpr double kTimestep = 0.002;   // MyoSuite's physics timestep
constexpr double kControlDt = 0.02;   // frame skip 10
constexpr double kForearmLength = 0.5;
constexpr double kReachNear = 0.05;   // m: success radius of the fingertip (5% of the reach)
constexpr double kPoseThreshold = 0.25;  // rad: |pose_err| for success (0.175 per joint x sqrt 2)
// fixed targets: the joint configuration (shoulder, elbow) in rad; the reach target is the
// fingertip position of this configuration
constexpr double kFixedPose[2] = {0.8, 1.2};

class MyoArm final : public MujocoTask {
 public:
  MyoArm(bool reach, bool random_target)
      : MujocoTask(std::string(reach ? "arm-reach" : "arm-pose") + (random_target ? "-hard" : ""),
                   mujoco_sample_path("tendon_arm/arm26.xml"), kControlDt),
        reach_(reach),
        random_target_(random_target) {
    set_timestep(kTimestep);
    // arm26's bodies are unnamed: find the forearm through its geom
    const int geom = mj_name2id(m_, mjOBJ_GEOM, "forearm");
    if (geom < 0) throw Error("task '" + spec_.name + "': arm26.xml has no geom 'forearm'");
    forearm_ = m_->geom_bodyid[geom];
    spec_.suite = "arm";
    spec_.episode_steps = 100;
    spec_.has_success = true;
    spec_.score = TaskSpec::Score::kSuccessRate;
    spec_.defaults.action_repeat = 2;
    spec_.defaults.discount = 0.95;
    spec_.description = std::string("muscle arm (arm26): ") +
                        (reach ? "bring the fingertip to a " : "hold a ") +
                        (random_target ? "random " : "fixed ") +
                        (reach ? "target (MyoSuite reach)" : "joint pose (MyoSuite pose)");
    fixed_pose_target_[0] = kFixedPose[0];
    fixed_pose_target_[1] = kFixedPose[1];
    tip_of(kFixedPose, fixed_reach_target_);
    for (int i = 0; i < 3; ++i) reach_target_[i] = fixed_reach_target_[i];
    for (int i = 0; i < 2; ++i) pose_target_[i] = fixed_pose_target_[i];
    finish_spec();
    // actions in [-1, 1], mapped through MyoSuite's sigmoid in before_step
    spec_.act_low.assign(m_->nu, -1.f);
    spec_.act_high.assign(m_->nu, 1.f);
  }

  // the fingertip: the far end of the forearm
  void tip(double out[3]) const {
    const double* p = d_->xpos + 3 * forearm_;
    const double* R = d_->xmat + 9 * forearm_;
    for (int i = 0; i < 3; ++i) out[i] = p[i] + R[3 * i] * kForearmLength;
  }
  double error() const {
    double e = 0;
    if (reach_) {
      double t[3];
      tip(t);
      for (int i = 0; i < 3; ++i) e += (reach_target_[i] - t[i]) * (reach_target_[i] - t[i]);
    } else {
      for (int i = 0; i < 2; ++i)
        e += (pose_target_[i] - d_->qpos[i]) * (pose_target_[i] - d_->qpos[i]);
    }
    return std::sqrt(e);
  }

 private:
  // fingertip of a joint configuration (forward kinematics on the model)
  void tip_of(const double q[2], double out[3]) {
    mj_resetData(m_, d_);
    d_->qpos[0] = q[0];
    d_->qpos[1] = q[1];
    mj_kinematics(m_, d_);
    tip(out);
    mj_resetData(m_, d_);
  }
  double lo(int j) const { return m_->jnt_range[2 * j]; }
  double hi(int j) const { return m_->jnt_range[2 * j + 1]; }

  void initialize_episode(Rng& rng) override {
    if (reach_) {
      if (random_target_) {
        const double q[2] = {rng.uniform(lo(0), hi(0)), rng.uniform(lo(1), hi(1))};
        tip_of(q, reach_target_);
      }
      // a small jitter around the rest pose so that episodes differ (MyoSuite's fixed reach
      // starts from one pose)
      d_->qpos[0] = rng.uniform(lo(0), lo(0) + 0.1);
      d_->qpos[1] = rng.uniform(lo(1), lo(1) + 0.1);
    } else {
      if (random_target_) {
        pose_target_[0] = rng.uniform(lo(0), hi(0));
        pose_target_[1] = rng.uniform(lo(1), hi(1));
      }
      d_->qpos[0] = rng.uniform(lo(0), hi(0));
      d_->qpos[1] = rng.uniform(lo(1), hi(1));
    }
  }
  void before_step(const float* action) override {
    // MyoSuite's action normalization: ctrl = sigmoid(5 (a - 0.5)), in (0, 1)
    for (int i = 0; i < m_->nu; ++i) d_->ctrl[i] = 1.0 / (1.0 + std::exp(-5.0 * (action[i] - 0.5)));
  }
  void observation(std::vector<double>& out) override {
    out.insert(out.end(), d_->qpos, d_->qpos + m_->nq);
    for (int i = 0; i < m_->nv; ++i) out.push_back(d_->qvel[i] * kControlDt);
    if (reach_) {
      double t[3];
      tip(t);
      out.insert(out.end(), t, t + 3);
      for (int i = 0; i < 3; ++i) out.push_back(reach_target_[i] - t[i]);
    } else {
      for (int i = 0; i < 2; ++i) out.push_back(pose_target_[i] - d_->qpos[i]);
    }
    out.insert(out.end(), d_->act, d_->act + m_->na);
  }
  double reward() override {
    const double d = error();
    if (reach_) return -d + 4.0 * ((d < 2 * kReachNear) + (d < kReachNear));
    double act = 0;
    for (int i = 0; i < m_->na; ++i) act += d_->act[i] * d_->act[i];
    return -d + 4.0 * ((d < kPoseThreshold) + (d < 1.5 * kPoseThreshold)) -
           std::sqrt(act) / m_->na - 50.0 * (d > 2 * 3.14159265358979323846);
  }
  bool success() override { return error() < (reach_ ? kReachNear : kPoseThreshold); }
  std::vector<double> task_state() const override {
    if (reach_) return {reach_target_[0], reach_target_[1], reach_target_[2]};
    return {pose_target_[0], pose_target_[1]};
  }
  size_t task_state_size() const override { return reach_ ? 3 : 2; }
  void set_task_state(const std::vector<double>& s, size_t k) override {
    double* target = reach_ ? reach_target_ : pose_target_;
    for (size_t i = 0; i < task_state_size(); ++i) target[i] = s[k + i];
  }

  bool reach_, random_target_;
  int forearm_ = 0;
  double reach_target_[3] = {}, fixed_reach_target_[3] = {};
  double pose_target_[2] = {}, fixed_pose_target_[2] = {};
};

}  // namespace

std::unique_ptr<Task> make_arm_reach(bool random_target) {
  return std::make_unique<MyoArm>(true, random_target);
}
std::unique_ptr<Task> make_arm_pose(bool random_target) {
  return std::make_unique<MyoArm>(false, random_target);
}

}  // namespace crossq
