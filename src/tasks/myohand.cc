// MyoSuite's ten hand tasks (Caggiano et al. 2022; MyoSuite envs/myo/myobase) on crossq's
// muscle-driven hand (assets/myohand, written by tools/make_myohand_xml.py): reach, pose,
// key turn, object hold and pen twirl, each fixed and randomized ("-hard"). Observations,
// rewards, `solved` and the resets follow MyoSuite's task code; the joint, site and body names
// are MyoSuite's, so the same code runs on MyoSuite's own model files (CROSSQ_MYO_MODEL_DIR).
#include <cmath>
#include <cstring>
#include <string>

#include "crossq/core/error.h"
#include "crossq/tasks/mujoco_task.h"
#include "crossq/tasks/suite.h"

namespace crossq {

namespace {
constexpr double kPi = 3.14159265358979323846;
constexpr int kHandJoints = 23;
constexpr int kTips = 5;
const char* const kTipSites[kTips] = {"THtip", "IFtip", "MFtip", "RFtip", "LFtip"};
const char* const kHandJointNames[kHandJoints] = {
    "pro_sup",      "deviation",      "flexion",     "cmc_abduction", "cmc_flexion",
    "mp_flexion",   "ip_flexion",     "mcp2_flexion", "mcp2_abduction", "pm2_flexion",
    "md2_flexion",  "mcp3_flexion",   "mcp3_abduction", "pm3_flexion", "md3_flexion",
    "mcp4_flexion", "mcp4_abduction", "pm4_flexion", "md4_flexion",   "mcp5_flexion",
    "mcp5_abduction", "pm5_flexion",  "md5_flexion"};

// myoHandReachFixed-v0's fingertip targets (world frame, m) and far thresholds per tip
constexpr double kReachTarget[kTips][3] = {{-0.165, -0.537, 1.495},
                                           {-0.151, -0.547, 1.455},
                                           {-0.146, -0.547, 1.447},
                                           {-0.148, -0.543, 1.445},
                                           {-0.148, -0.528, 1.434}};
constexpr double kReachFarFixed = 0.044, kReachFarRandom = 0.034, kReachNear = 0.0125;
// myoHandReachRandom-v0's boxes around the fixed targets: thumb (lo, hi) offsets, then fingers
constexpr double kThumbBox[2][3] = {{-0.020, -0.040, -0.040}, {0.040, 0.020, 0.040}};
constexpr double kFingerBox[3] = {0.040, 0.020, 0.010};  // +-

// myoHandPoseFixed-v0's target and the ten sign-language (ASL) poses whose per-joint range
// myoHandPoseRandom-v0 samples
constexpr double kPoseFixed[kHandJoints] = {
    0, 0, 0, -0.0904, 0.0824475, -0.681555, -0.514888, 0, -0.013964, -0.0458132, 0, 0.67553,
    -0.020944, 0.76979, 0.65982, 0, 0, 0, 0, 0.479155, -0.099484, 0.95831, 0};
constexpr double kAslPoses[10][kHandJoints] = {
    {0, 0, 0, 0.5624, 0.28272, -0.75573, -1.309, 1.30045, -0.006982, 1.45492, 0.998897, 1.26466, 0,
     1.40604, 0.227795, 1.07614, -0.020944, 1.46103, 0.06284, 0.83263, -0.14399, 1.571, 1.38248},
    {0, 0, 0, 0.0248, 0.04536, -0.7854, -1.309, 0.366605, 0.010473, 0.269258, 0.111722, 1.48459,
     0, 1.45318, 1.44532, 1.44532, -0.204204, 1.46103, 1.44532, 1.48459, -0.2618, 1.47674, 1.48459},
    {0, 0, 0, 0.0248, 0.04536, -0.7854, -1.13447, 0.514973, 0.010473, 0.128305, 0.111722, 0.510575,
     0, 0.37704, 0.117825, 1.44532, -0.204204, 1.46103, 1.44532, 1.48459, -0.2618, 1.47674, 1.48459},
    {0, 0, 0, 0.3384, 0.25305, 0.01569, -0.0262045, 0.645885, 0.010473, 0.128305, 0.111722,
     0.510575, 0, 0.37704, 0.117825, 1.571, -0.036652, 1.52387, 1.45318, 1.40604, -0.068068,
     1.39033, 1.571},
    {0, 0, 0, 0.6392, -0.147495, -0.7854, -1.309, 0.637158, 0.010473, 0.128305, 0.111722,
     0.510575, 0, 0.37704, 0.117825, 0.306345, -0.010472, 0.400605, 0.133535, 0.21994, -0.068068,
     0.274925, 0.01571},
    {0, 0, 0, 0.3384, 0.25305, 0.01569, -0.0262045, 0.645885, 0.010473, 0.128305, 0.111722,
     0.510575, 0, 0.37704, 0.117825, 0.306345, -0.010472, 0.400605, 0.133535, 0.21994, -0.068068,
     0.274925, 0.01571},
    {0, 0, 0, 0.6392, -0.147495, -0.7854, -1.309, 0.637158, 0.010473, 0.128305, 0.111722,
     0.510575, 0, 0.37704, 0.117825, 0.306345, -0.010472, 0.400605, 0.133535, 1.1861, -0.2618,
     1.35891, 1.48459},
    {0, 0, 0, 0.524, 0.01569, -0.7854, -1.309, 0.645885, -0.006982, 0.128305, 0.111722, 0.510575,
     0, 0.37704, 0.117825, 1.28036, -0.115192, 1.52387, 1.45318, 0.432025, -0.068068, 0.18852,
     0.149245},
    {0, 0, 0, 0.428, 0.22338, -0.7854, -1.309, 0.645885, -0.006982, 0.128305, 0.194636, 1.39033, 0,
     1.08399, 0.573415, 0.667675, -0.020944, 0, 0.06284, 0.432025, -0.068068, 0.18852, 0.149245},
    {0, 0, 0, 0.5624, 0.28272, -0.75573, -1.309, 1.30045, -0.006982, 1.45492, 0.998897, 0.39275, 0,
     0.18852, 0.227795, 0.667675, -0.020944, 0, 0.06284, 0.432025, -0.068068, 0.18852, 0.149245}};
constexpr double kPoseThreshold = 0.7;

constexpr double kKeyApproach = 0.030, kKeyFar = 0.1;
constexpr double kHoldGoalThreshold = 0.010, kHoldDrop = 0.300;
constexpr double kPenDrop = 0.075;
constexpr double kPalmUp = -1.5;  // pro_sup of the object tasks' start

double norm3(const double* a) { return std::sqrt(a[0] * a[0] + a[1] * a[1] + a[2] * a[2]); }

// MyoSuite's euler2quat (static x-y-z angles) as a MuJoCo quaternion (w, x, y, z)
void euler_to_quat(double ex, double ey, double ez, double q[4]) {
  const double ai = ez / 2, aj = -ey / 2, ak = ex / 2;
  const double si = std::sin(ai), sj = std::sin(aj), sk = std::sin(ak);
  const double ci = std::cos(ai), cj = std::cos(aj), ck = std::cos(ak);
  const double cc = ci * ck, cs = ci * sk, sc = si * ck, ss = si * sk;
  q[0] = cj * cc + sj * ss;
  q[3] = cj * sc - sj * cs;
  q[2] = -(cj * ss + sj * cc);
  q[1] = cj * cs - sj * sc;
}

const char* task_label(MyoHandTask t) {
  switch (t) {
    case MyoHandTask::kReach: return "reach";
    case MyoHandTask::kPose: return "pose";
    case MyoHandTask::kKeyTurn: return "key-turn";
    case MyoHandTask::kObjHold: return "obj-hold";
    case MyoHandTask::kPenTwirl: return "pen-twirl";
  }
  return "";
}
const char* model_file(MyoHandTask t) {
  switch (t) {
    case MyoHandTask::kKeyTurn: return "myohand_keyturn.xml";
    case MyoHandTask::kObjHold: return "myohand_hold.xml";
    case MyoHandTask::kPenTwirl: return "myohand_pen.xml";
    default: return "myohand_pose.xml";
  }
}

class MyoHand final : public MujocoTask {
 public:
  MyoHand(MyoHandTask task, bool hard)
      : MujocoTask(std::string("myo-") + task_label(task) + (hard ? "-hard" : ""),
                   myo_model_path(model_file(task)),
                   task == MyoHandTask::kPenTwirl ? 0.01 : 0.02),  // frame skip 5 / 10
        task_(task),
        hard_(hard) {
    set_timestep(0.002);
    for (int j = 0; j < kHandJoints; ++j) {
      const char* name = j < m_->njnt ? mj_id2name(m_, mjOBJ_JOINT, j) : nullptr;
      if (!name || std::strcmp(name, kHandJointNames[j]) != 0)
        throw Error("task '" + spec_.name + "': joint " + std::to_string(j) + " of " +
                        model_file(task) + " is not the hand's '" + kHandJointNames[j] + "'",
                    "use a MyoSuite hand model (its 23 hand joints first, in MyoSuite's order)");
    }
    if (m_->nu != 39 || m_->na != 39)
      throw Error("task '" + spec_.name + "': the model has " + std::to_string(m_->nu) +
                      " actuators, MyoSuite's hand has 39 muscles",
                  "use a MyoSuite hand model");
    for (int i = 0; i < kTips; ++i) tip_[i] = site(kTipSites[i]);
    switch (task_) {
      case MyoHandTask::kKeyTurn:
        keyhead_ = site("keyhead");
        key_body_ = body_id("key");
        for (int i = 0; i < 3; ++i) key_pos_[i] = key_pos0_[i] = m_->body_pos[3 * key_body_ + i];
        break;
      case MyoHandTask::kObjHold: {
        object_ = site("object");
        goal_ = site("goal");
        object_geom_ = mj_name2id(m_, mjOBJ_GEOM, "object");
        if (object_geom_ < 0) throw Error("task '" + spec_.name + "': the model has no geom 'object'");
        // the object site's initial world position: the object body starts at its own pos
        const int b = m_->site_bodyid[object_];
        for (int i = 0; i < 3; ++i) {
          object_pos0_[i] = m_->body_pos[3 * b + i] + m_->site_pos[3 * object_ + i];
          goal_pos_[i] = m_->site_pos[3 * goal_ + i];
          size_[i] = m_->geom_size[3 * object_geom_ + i];
        }
        break;
      }
      case MyoHandTask::kPenTwirl: {
        pen_ = body_id("Object");
        target_ = body_id("target");
        eps_ball_ = site("eps_ball");
        pen_top_ = site("object_top");
        pen_bottom_ = site("object_bottom");
        target_top_ = site("target_top");
        target_bottom_ = site("target_bottom");
        for (int i = 0; i < 4; ++i) target_quat_[i] = m_->body_quat[4 * target_ + i];
        pen_length_ = site_distance(pen_top_, pen_bottom_);
        target_length_ = site_distance(target_top_, target_bottom_);
        break;
      }
      default: break;
    }
    if (task_ == MyoHandTask::kReach)
      for (int t = 0; t < kTips; ++t) target_site_[t] = mj_name2id(m_, mjOBJ_SITE, (std::string(kTipSites[t]) + "_target").c_str());
    for (int t = 0; t < kTips; ++t)
      for (int i = 0; i < 3; ++i) reach_target_[t][i] = kReachTarget[t][i];
    for (int j = 0; j < kHandJoints; ++j) {
      pose_target_[j] = kPoseFixed[j];
      pose_lo_[j] = pose_hi_[j] = kAslPoses[0][j];
      for (const auto& p : kAslPoses) pose_lo_[j] = std::fmin(pose_lo_[j], p[j]), pose_hi_[j] = std::fmax(pose_hi_[j], p[j]);
    }
    spec_.suite = "myo";
    spec_.episode_steps = 100;
    spec_.has_success = true;
    spec_.random_start = hard_;
    spec_.score = TaskSpec::Score::kSuccessRate;
    spec_.defaults.action_repeat = 2;
    spec_.defaults.discount = 0.95;
    spec_.description = std::string("muscle hand (39 muscles): MyoSuite ") + task_label(task) +
                        (hard ? ", randomized" : ", fixed");
    finish_spec();
    spec_.act_low.assign(m_->nu, -1.f);
    spec_.act_high.assign(m_->nu, 1.f);
  }

  bool set_task_done(bool on) override {
    task_done_ = on;
    return true;
  }
  StepResult step(const float* action, float* obs) override {
    StepResult r = MujocoTask::step(action, obs);
    r.terminated = task_done_ && failed();
    return r;
  }

  // the dense reward's distance: reach |target - tips|, pose |target - q|, key-turn the key
  // angle, obj-hold |goal - object|, pen-twirl the cosine between pen and target axes
  double reach_distance() const {
    double e = 0;
    for (int t = 0; t < kTips; ++t)
      for (int i = 0; i < 3; ++i) {
        const double r = reach_target_[t][i] - d_->site_xpos[3 * tip_[t] + i];
        e += r * r;
      }
    return std::sqrt(e);
  }
  double pose_distance() const {
    double e = 0;
    for (int j = 0; j < kHandJoints; ++j) e += (pose_target_[j] - d_->qpos[j]) * (pose_target_[j] - d_->qpos[j]);
    return std::sqrt(e);
  }
  double key_angle() const { return d_->qpos[m_->nq - 1]; }
  double approach(int tip) const {  // | |keyhead - tip| - 3 cm |
    double r[3];
    for (int i = 0; i < 3; ++i) r[i] = d_->site_xpos[3 * keyhead_ + i] - d_->site_xpos[3 * tip + i];
    return std::abs(norm3(r) - kKeyApproach);
  }
  double goal_distance() const {
    double r[3];
    for (int i = 0; i < 3; ++i) r[i] = d_->site_xpos[3 * goal_ + i] - d_->site_xpos[3 * object_ + i];
    return norm3(r);
  }
  double pen_position_error() const {
    double r[3];
    for (int i = 0; i < 3; ++i) r[i] = d_->xpos[3 * pen_ + i] - d_->site_xpos[3 * eps_ball_ + i];
    return norm3(r);
  }
  void pen_axes(double rot[3], double des[3]) const {
    for (int i = 0; i < 3; ++i) {
      rot[i] = (d_->site_xpos[3 * pen_top_ + i] - d_->site_xpos[3 * pen_bottom_ + i]) / pen_length_;
      des[i] = (d_->site_xpos[3 * target_top_ + i] - d_->site_xpos[3 * target_bottom_ + i]) / target_length_;
    }
  }
  double pen_cosine() const {
    double a[3], b[3];
    pen_axes(a, b);
    return (a[0] * b[0] + a[1] * b[1] + a[2] * b[2]) / (norm3(a) * norm3(b));
  }
  // MyoSuite's `done`: the episode failed (tips too far from the target or the key, the object
  // or the pen dropped); it ends an episode only with set_task_done(true) (config myo_done);
  // by default episodes run the seed paper's fixed 100 steps
  bool failed() const {
    switch (task_) {
      case MyoHandTask::kReach: return after_first_steps() && reach_distance() > reach_far();
      case MyoHandTask::kPose: return pose_distance() > 2 * kPi;
      case MyoHandTask::kKeyTurn: return approach(tip_[1]) > kKeyFar || approach(tip_[0]) > kKeyFar;
      case MyoHandTask::kObjHold: return goal_distance() > kHoldDrop;
      case MyoHandTask::kPenTwirl: return pen_position_error() > kPenDrop;
    }
    return false;
  }

 private:
  int site(const char* name) const {
    const int id = mj_name2id(m_, mjOBJ_SITE, name);
    if (id < 0) throw Error("task '" + spec_.name + "': the model has no site '" + name + "'",
                            "use a MyoSuite hand model");
    return id;
  }
  double site_distance(int a, int b) const {
    double r[3];
    for (int i = 0; i < 3; ++i) r[i] = m_->site_pos[3 * a + i] - m_->site_pos[3 * b + i];
    return norm3(r);
  }
  double reach_far() const { return kTips * (hard_ ? kReachFarRandom : kReachFarFixed); }
  // MyoSuite's reach has no far penalty while time <= 2 control steps
  bool after_first_steps() const { return std::lround(d_->time / spec_.control_dt) > 2; }
  double activation_norm() const {
    double s = 0;
    for (int i = 0; i < m_->na; ++i) s += d_->act[i] * d_->act[i];
    return std::sqrt(s) / m_->na;
  }

  // writes the episode's task variables into the model (the key's, goal's and target's poses
  // and the object's size are model fields, as in MyoSuite)
  void apply_task_variables() {
    if (task_ == MyoHandTask::kKeyTurn)
      for (int i = 0; i < 3; ++i) m_->body_pos[3 * key_body_ + i] = key_pos_[i];
    if (task_ == MyoHandTask::kObjHold)
      for (int i = 0; i < 3; ++i) {
        m_->site_pos[3 * goal_ + i] = goal_pos_[i];
        m_->geom_size[3 * object_geom_ + i] = size_[i];
        m_->site_size[3 * goal_ + i] = size_[i];
      }
    if (task_ == MyoHandTask::kPenTwirl)
      for (int i = 0; i < 4; ++i) m_->body_quat[4 * target_ + i] = target_quat_[i];
    if (task_ == MyoHandTask::kReach)
      for (int t = 0; t < kTips; ++t)
        if (target_site_[t] >= 0)
          for (int i = 0; i < 3; ++i) m_->site_pos[3 * target_site_[t] + i] = reach_target_[t][i];
  }

  void initialize_episode(Rng& rng) override {
    // MyoSuite's start: every hand joint at 0 (the object tasks palm up); the -hard variants
    // draw their task variables
    switch (task_) {
      case MyoHandTask::kReach:
        if (hard_) {
          for (int i = 0; i < 3; ++i)
            reach_target_[0][i] = kReachTarget[0][i] + rng.uniform(kThumbBox[0][i], kThumbBox[1][i]);
          for (int t = 1; t < kTips; ++t)
            for (int i = 0; i < 3; ++i)
              reach_target_[t][i] = kReachTarget[t][i] + rng.uniform(-kFingerBox[i], kFingerBox[i]);
        }
        break;
      case MyoHandTask::kPose:
        if (hard_) {
          for (int j = 0; j < kHandJoints; ++j) pose_target_[j] = rng.uniform(pose_lo_[j], pose_hi_[j]);
          for (int j = 0; j < kHandJoints; ++j)
            d_->qpos[j] = rng.uniform(m_->jnt_range[2 * j], m_->jnt_range[2 * j + 1]);
        }
        break;
      case MyoHandTask::kKeyTurn:
        for (int i = 0; i < 3; ++i) key_pos_[i] = key_pos0_[i];
        if (hard_) {
          d_->qpos[m_->nq - 1] = rng.uniform(-kPi / 2, kPi / 2);
          for (int i = 0; i < 3; ++i) key_pos_[i] = key_pos0_[i] + rng.uniform(-0.01, 0.01);
        }
        break;
      case MyoHandTask::kObjHold:
        d_->qpos[0] = kPalmUp;
        if (hard_) {
          for (int i = 0; i < 3; ++i) goal_pos_[i] = object_pos0_[i] + rng.uniform(-0.03, 0.03);
          for (int i = 0; i < 3; ++i) size_[i] = rng.uniform(0.02, 0.03);
        }
        break;
      case MyoHandTask::kPenTwirl:
        d_->qpos[0] = kPalmUp;
        if (hard_) {
          const double ex = rng.uniform(-1, 1), ey = rng.uniform(-1, 1);
          euler_to_quat(ex, ey, 0.0, target_quat_);
        }
        break;
    }
    apply_task_variables();
  }

  void before_step(const float* action) override {
    // MyoSuite's action normalization: ctrl = sigmoid(5 (a - 0.5)), in (0, 1)
    for (int i = 0; i < m_->nu; ++i) d_->ctrl[i] = 1.0 / (1.0 + std::exp(-5.0 * (action[i] - 0.5)));
  }

  void hand_state(std::vector<double>& out, bool with_velocity) const {
    out.insert(out.end(), d_->qpos, d_->qpos + kHandJoints);
    if (with_velocity)
      for (int j = 0; j < kHandJoints; ++j) out.push_back(d_->qvel[j] * spec_.control_dt);
  }
  void observation(std::vector<double>& out) override {
    const double dt = spec_.control_dt;
    switch (task_) {
      case MyoHandTask::kReach:  // qpos, qvel dt, tip positions, target - tip
        hand_state(out, true);
        for (int t = 0; t < kTips; ++t) out.insert(out.end(), d_->site_xpos + 3 * tip_[t], d_->site_xpos + 3 * tip_[t] + 3);
        for (int t = 0; t < kTips; ++t)
          for (int i = 0; i < 3; ++i) out.push_back(reach_target_[t][i] - d_->site_xpos[3 * tip_[t] + i]);
        break;
      case MyoHandTask::kPose:  // qpos, qvel dt, target - qpos
        hand_state(out, true);
        for (int j = 0; j < kHandJoints; ++j) out.push_back(pose_target_[j] - d_->qpos[j]);
        break;
      case MyoHandTask::kKeyTurn:  // hand q, hand qvel dt, key angle, key rate dt, keyhead - tips
        hand_state(out, true);
        out.push_back(d_->qpos[m_->nq - 1]);
        out.push_back(d_->qvel[m_->nv - 1] * dt);
        for (int tip : {tip_[1], tip_[0]})
          for (int i = 0; i < 3; ++i) out.push_back(d_->site_xpos[3 * keyhead_ + i] - d_->site_xpos[3 * tip + i]);
        break;
      case MyoHandTask::kObjHold:  // hand q, hand qvel dt, object position, goal - object
        hand_state(out, true);
        out.insert(out.end(), d_->site_xpos + 3 * object_, d_->site_xpos + 3 * object_ + 3);
        for (int i = 0; i < 3; ++i) out.push_back(d_->site_xpos[3 * goal_ + i] - d_->site_xpos[3 * object_ + i]);
        break;
      case MyoHandTask::kPenTwirl: {  // hand q, pen position, pen velocity dt, axes, errors
        hand_state(out, false);
        const double* p = d_->xpos + 3 * pen_;
        out.insert(out.end(), p, p + 3);
        for (int i = m_->nv - 6; i < m_->nv; ++i) out.push_back(d_->qvel[i] * dt);
        double rot[3], des[3];
        pen_axes(rot, des);
        out.insert(out.end(), rot, rot + 3);
        out.insert(out.end(), des, des + 3);
        for (int i = 0; i < 3; ++i) out.push_back(p[i] - d_->site_xpos[3 * eps_ball_ + i]);
        for (int i = 0; i < 3; ++i) out.push_back(rot[i] - des[i]);
        break;
      }
    }
    out.insert(out.end(), d_->act, d_->act + m_->na);
  }

  double reward() override {
    switch (task_) {
      case MyoHandTask::kReach: {
        const double d = reach_distance(), near = kTips * kReachNear;
        return -d + 4.0 * ((d < 2 * near) + (d < near)) - 50.0 * (after_first_steps() && d > reach_far());
      }
      case MyoHandTask::kPose: {
        const double d = pose_distance();
        return -d + 4.0 * ((d < kPoseThreshold) + (d < 1.5 * kPoseThreshold)) - 50.0 * (d > 2 * kPi) -
               activation_norm();
      }
      case MyoHandTask::kKeyTurn: {
        const double th = key_angle(), fi = approach(tip_[1]), ft = approach(tip_[0]);
        return th - 10.0 * fi - 10.0 * ft - activation_norm() + 4.0 * ((th > kPi / 2) + (th > kPi)) -
               25.0 * ((fi > kKeyFar / 2) + (ft > kKeyFar / 2));
      }
      case MyoHandTask::kObjHold: {
        const double d = goal_distance();
        return -100.0 * d + 4.0 * ((d < 2 * kHoldGoalThreshold) + (d < kHoldGoalThreshold)) - 10.0 * (d > kHoldDrop);
      }
      case MyoHandTask::kPenTwirl: {
        const double pos = pen_position_error(), cos = pen_cosine();
        const bool dropped = pos > kPenDrop;
        return -pos + cos - 5.0 * activation_norm() - 5.0 * dropped +
               10.0 * ((cos > 0.9) * (pos < kPenDrop) + 5.0 * (cos > 0.95) * (pos < kPenDrop));
      }
    }
    return 0.0;
  }
  bool success() override {
    switch (task_) {
      case MyoHandTask::kReach: return reach_distance() < kTips * kReachNear;
      case MyoHandTask::kPose: return pose_distance() < kPoseThreshold;
      case MyoHandTask::kKeyTurn: return key_angle() > (hard_ ? 2 * kPi : 3.14);
      case MyoHandTask::kObjHold: return goal_distance() < kHoldGoalThreshold;
      case MyoHandTask::kPenTwirl: return pen_cosine() > 0.95 && pen_position_error() <= kPenDrop;
    }
    return false;
  }

  std::vector<double> task_state() const override {
    std::vector<double> s;
    switch (task_) {
      case MyoHandTask::kReach: for (const auto& t : reach_target_) s.insert(s.end(), t, t + 3); break;
      case MyoHandTask::kPose: s.assign(pose_target_, pose_target_ + kHandJoints); break;
      case MyoHandTask::kKeyTurn: s.assign(key_pos_, key_pos_ + 3); break;
      case MyoHandTask::kObjHold:
        s.assign(goal_pos_, goal_pos_ + 3);
        s.insert(s.end(), size_, size_ + 3);
        break;
      case MyoHandTask::kPenTwirl: s.assign(target_quat_, target_quat_ + 4); break;
    }
    return s;
  }
  size_t task_state_size() const override {
    switch (task_) {
      case MyoHandTask::kReach: return 3 * kTips;
      case MyoHandTask::kPose: return kHandJoints;
      case MyoHandTask::kKeyTurn: return 3;
      case MyoHandTask::kObjHold: return 6;
      case MyoHandTask::kPenTwirl: return 4;
    }
    return 0;
  }
  void set_task_state(const std::vector<double>& s, size_t k) override {
    switch (task_) {
      case MyoHandTask::kReach:
        for (int t = 0; t < kTips; ++t)
          for (int i = 0; i < 3; ++i) reach_target_[t][i] = s[k + 3 * t + i];
        break;
      case MyoHandTask::kPose: for (int j = 0; j < kHandJoints; ++j) pose_target_[j] = s[k + j]; break;
      case MyoHandTask::kKeyTurn: for (int i = 0; i < 3; ++i) key_pos_[i] = s[k + i]; break;
      case MyoHandTask::kObjHold:
        for (int i = 0; i < 3; ++i) goal_pos_[i] = s[k + i], size_[i] = s[k + 3 + i];
        break;
      case MyoHandTask::kPenTwirl: for (int i = 0; i < 4; ++i) target_quat_[i] = s[k + i]; break;
    }
    apply_task_variables();
  }

  MyoHandTask task_;
  bool hard_;
  bool task_done_ = false;
  int tip_[kTips] = {};
  int target_site_[kTips] = {-1, -1, -1, -1, -1};
  double reach_target_[kTips][3] = {};
  double pose_target_[kHandJoints] = {}, pose_lo_[kHandJoints] = {}, pose_hi_[kHandJoints] = {};
  int keyhead_ = -1, key_body_ = -1;
  double key_pos_[3] = {}, key_pos0_[3] = {};
  int object_ = -1, goal_ = -1, object_geom_ = -1;
  double object_pos0_[3] = {}, goal_pos_[3] = {}, size_[3] = {};
  int pen_ = -1, target_ = -1, eps_ball_ = -1, pen_top_ = -1, pen_bottom_ = -1, target_top_ = -1, target_bottom_ = -1;
  double target_quat_[4] = {1, 0, 0, 0};
  double pen_length_ = 1, target_length_ = 1;
};

}  // namespace

std::unique_ptr<Task> make_myo_hand(MyoHandTask task, bool hard) {
  return std::make_unique<MyoHand>(task, hard);
}

}  // namespace crossq
