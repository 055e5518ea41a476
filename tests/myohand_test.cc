// The muscle hand and MyoSuite's ten hand tasks (src/tasks/myohand.cc, assets/myohand): the
// model files are the generator's output; each joint has antagonistic muscles; every slice of
// each observation is the quantity it claims to be; rewards and `solved` on hand-set states;
// a scripted muscle controller reaches success on the fixed reach and pose tasks.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "crossq/core/rng.h"
#include "crossq/tasks/env.h"
#include "crossq/tasks/mujoco_task.h"
#include "crossq/tasks/registry.h"

namespace crossq {
namespace {

constexpr int kHand = 23;
constexpr double kPi = 3.14159265358979323846;
const char* const kTips[5] = {"THtip", "IFtip", "MFtip", "RFtip", "LFtip"};

std::unique_ptr<MujocoTask> hand_task(const std::string& name) {
  std::unique_ptr<Task> t = make_task(name);
  auto* mt = dynamic_cast<MujocoTask*>(t.get());
  EXPECT_NE(mt, nullptr);
  t.release();
  return std::unique_ptr<MujocoTask>(mt);
}

// steps a task with random actions so that every observed quantity is away from zero
void shake(MujocoTask& t, std::vector<float>& obs, int steps, uint64_t seed) {
  Rng rng(seed);
  std::vector<float> a(t.spec().act_dim);
  t.reset(rng, obs.data());
  for (int s = 0; s < steps; ++s) {
    for (float& x : a) x = static_cast<float>(rng.uniform(-1, 1));
    t.step(a.data(), obs.data());
  }
}

int site(const MujocoTask& t, const char* name) {
  const int id = mj_name2id(t.model(), mjOBJ_SITE, name);
  EXPECT_GE(id, 0) << name;
  return id;
}

void expect_slice(const std::vector<float>& obs, size_t at, const std::vector<double>& want, const char* what) {
  ASSERT_LE(at + want.size(), obs.size()) << what;
  for (size_t i = 0; i < want.size(); ++i)
    EXPECT_NEAR(obs[at + i], want[i], 1e-6 * (1 + std::abs(want[i]))) << what << " [" << i << "]";
}

std::vector<double> range(const double* p, int n, double scale = 1.0) {
  std::vector<double> v(p, p + n);
  for (double& x : v) x *= scale;
  return v;
}

TEST(MyoHand, TheModelFilesAreTheGeneratorsOutput) {
  const std::string src = CROSSQ_SOURCE_DIR;
  char dir[] = "/tmp/crossq-myohand-XXXXXX";
  ASSERT_NE(mkdtemp(dir), nullptr);
  ASSERT_EQ(std::system(("/usr/bin/python3 " + src + "/tools/make_myohand_xml.py " + dir).c_str()), 0);
  for (const char* f : {"myohand_assets.xml", "myohand_body.xml", "myohand_pose.xml", "myohand_keyturn.xml",
                        "myohand_hold.xml", "myohand_pen.xml"}) {
    std::ifstream a(src + "/assets/myohand/" + f), b(std::string(dir) + "/" + f);
    std::stringstream sa, sb;
    sa << a.rdbuf();
    sb << b.rdbuf();
    EXPECT_FALSE(sa.str().empty()) << f;
    EXPECT_EQ(sa.str(), sb.str()) << f << ": regenerate with /usr/bin/python3 tools/make_myohand_xml.py assets/myohand";
    std::remove((std::string(dir) + "/" + f).c_str());
  }
  rmdir(dir);
}

TEST(MyoHand, TheHandHas23HingesAnd39MusclesWithAntagonistsOnEveryJoint) {
  auto t = hand_task("myo-pose");
  const mjModel* m = t->model();
  ASSERT_EQ(m->nq, kHand);
  ASSERT_EQ(m->nu, 39);
  ASSERT_EQ(m->na, 39);
  EXPECT_DOUBLE_EQ(m->opt.timestep, 0.002);
  for (int j = 0; j < kHand; ++j) EXPECT_EQ(m->jnt_type[j], mjJNT_HINGE);
  for (int u = 0; u < m->nu; ++u) {
    EXPECT_EQ(m->actuator_dyntype[u], mjDYN_MUSCLE) << u;
    EXPECT_EQ(m->actuator_gaintype[u], mjGAIN_MUSCLE) << u;
    EXPECT_EQ(m->actuator_trntype[u], mjTRN_TENDON) << u;
  }
  mjData* d = t->data();
  mj_resetData(m, d);
  mj_forward(m, d);
  for (int j = 0; j < kHand; ++j) {
    double pos = 0, neg = 0;
    for (int u = 0; u < m->nu; ++u) {
      pos = std::max(pos, d->actuator_moment[u * m->nv + j]);
      neg = std::min(neg, d->actuator_moment[u * m->nv + j]);
    }
    EXPECT_GE(pos, 1e-3) << mj_id2name(m, mjOBJ_JOINT, j);
    EXPECT_LE(neg, -1e-3) << mj_id2name(m, mjOBJ_JOINT, j);
  }
}

TEST(MyoHand, ReachObservationSlices) {
  for (const char* name : {"myo-reach", "myo-reach-hard"}) {
    auto t = hand_task(name);
    std::vector<float> obs(t->spec().obs_dim);
    ASSERT_EQ(obs.size(), 115u);
    shake(*t, obs, 7, 1);
    const mjData* d = t->data();
    expect_slice(obs, 0, range(d->qpos, kHand), "qpos");
    expect_slice(obs, 23, range(d->qvel, kHand, 0.02), "qvel dt");
    std::vector<double> tips, err;
    const std::vector<double> s = t->state();
    const std::vector<double> target(s.end() - 15, s.end());  // the task state: the 5 targets
    for (int k = 0; k < 5; ++k)
      for (int i = 0; i < 3; ++i) {
        tips.push_back(d->site_xpos[3 * site(*t, kTips[k]) + i]);
        err.push_back(target[3 * k + i] - tips.back());
      }
    expect_slice(obs, 46, tips, "tip positions");
    expect_slice(obs, 61, err, "target - tip");
    expect_slice(obs, 76, range(d->act, 39), "activations");
  }
}

TEST(MyoHand, PoseKeyHoldAndPenObservationSlices) {
  {
    auto t = hand_task("myo-pose");
    std::vector<float> obs(t->spec().obs_dim);
    ASSERT_EQ(obs.size(), 108u);
    shake(*t, obs, 7, 2);
    const mjData* d = t->data();
    expect_slice(obs, 0, range(d->qpos, kHand), "qpos");
    expect_slice(obs, 23, range(d->qvel, kHand, 0.02), "qvel dt");
    // myoHandPoseFixed-v0's target: cmc_abduction -0.0904, pm3_flexion 0.76979
    EXPECT_NEAR(obs[46 + 3], -0.0904 - d->qpos[3], 1e-6);
    EXPECT_NEAR(obs[46 + 13], 0.76979 - d->qpos[13], 1e-6);
    expect_slice(obs, 69, range(d->act, 39), "activations");
  }
  {
    auto t = hand_task("myo-key-turn");
    std::vector<float> obs(t->spec().obs_dim);
    ASSERT_EQ(obs.size(), 93u);
    shake(*t, obs, 7, 3);
    const mjData* d = t->data();
    expect_slice(obs, 0, range(d->qpos, kHand), "hand qpos");
    expect_slice(obs, 23, range(d->qvel, kHand, 0.02), "hand qvel dt");
    expect_slice(obs, 46, {d->qpos[23], d->qvel[23] * 0.02}, "key angle, rate dt");
    const int key = site(*t, "keyhead"), fi = site(*t, "IFtip"), th = site(*t, "THtip");
    std::vector<double> a;
    for (int tip : {fi, th})
      for (int i = 0; i < 3; ++i) a.push_back(d->site_xpos[3 * key + i] - d->site_xpos[3 * tip + i]);
    expect_slice(obs, 48, a, "keyhead - index tip, keyhead - thumb tip");
    expect_slice(obs, 54, range(d->act, 39), "activations");
  }
  {
    auto t = hand_task("myo-obj-hold-hard");
    std::vector<float> obs(t->spec().obs_dim);
    ASSERT_EQ(obs.size(), 91u);
    shake(*t, obs, 7, 4);
    const mjData* d = t->data();
    expect_slice(obs, 0, range(d->qpos, kHand), "hand qpos");
    expect_slice(obs, 23, range(d->qvel, kHand, 0.02), "hand qvel dt");
    const int o = site(*t, "object"), g = site(*t, "goal");
    expect_slice(obs, 46, range(d->site_xpos + 3 * o, 3), "object position");
    expect_slice(obs, 49, {d->site_xpos[3 * g] - d->site_xpos[3 * o], d->site_xpos[3 * g + 1] - d->site_xpos[3 * o + 1],
                           d->site_xpos[3 * g + 2] - d->site_xpos[3 * o + 2]}, "goal - object");
    expect_slice(obs, 52, range(d->act, 39), "activations");
  }
  {
    auto t = hand_task("myo-pen-twirl-hard");
    std::vector<float> obs(t->spec().obs_dim);
    ASSERT_EQ(obs.size(), 83u);
    shake(*t, obs, 7, 5);
    const mjData* d = t->data();
    const mjModel* m = t->model();
    expect_slice(obs, 0, range(d->qpos, kHand), "hand qpos");
    const int pen = mj_name2id(m, mjOBJ_BODY, "Object");
    expect_slice(obs, 23, range(d->xpos + 3 * pen, 3), "pen position");
    expect_slice(obs, 26, range(d->qvel + m->nv - 6, 6, 0.01), "pen velocity dt");
    const int top = site(*t, "object_top"), bot = site(*t, "object_bottom");
    const int ttop = site(*t, "target_top"), tbot = site(*t, "target_bottom");
    std::vector<double> rot, des, perr, rerr;
    const int ball = site(*t, "eps_ball");
    for (int i = 0; i < 3; ++i) {
      rot.push_back((d->site_xpos[3 * top + i] - d->site_xpos[3 * bot + i]) / 0.13);
      des.push_back((d->site_xpos[3 * ttop + i] - d->site_xpos[3 * tbot + i]) / 0.13);
      perr.push_back(d->xpos[3 * pen + i] - d->site_xpos[3 * ball + i]);
      rerr.push_back(rot[i] - des[i]);
    }
    expect_slice(obs, 32, rot, "pen axis");
    expect_slice(obs, 35, des, "target axis");
    expect_slice(obs, 38, perr, "position error");
    expect_slice(obs, 41, rerr, "axis error");
    expect_slice(obs, 44, range(d->act, 39), "activations");
  }
}

// the task state is the last entries of state(): overwrite it and restore
void set_task_state(MujocoTask& t, const std::vector<double>& task) {
  std::vector<double> s = t.state();
  std::copy(task.begin(), task.end(), s.end() - task.size());
  t.set_state(s);
}

TEST(MyoHand, ReachRewardOnHandSetTargets) {
  auto t = hand_task("myo-reach");
  Rng rng(1);
  std::vector<float> obs(t->spec().obs_dim);
  t->reset(rng, obs.data());
  const mjData* d = t->data();
  // at the start the tips are ~9.6 cm (all five stacked) from MyoSuite's fixed targets
  const double d0 = std::sqrt([&] { double e = 0; for (int i = 61; i < 76; ++i) e += obs[i] * obs[i]; return e; }());
  EXPECT_NEAR(t->current_reward(), -d0, 1e-6);
  EXPECT_FALSE(t->current_success());
  // targets on the tips: -0 + 4 (1 + 1), solved
  std::vector<double> tips;
  for (const char* s : kTips)
    for (int i = 0; i < 3; ++i) tips.push_back(d->site_xpos[3 * site(*t, s) + i]);
  set_task_state(*t, tips);
  EXPECT_NEAR(t->current_reward(), 8.0, 1e-9);
  EXPECT_TRUE(t->current_success());
  // 5 cm off on one tip: inside 2 x near (0.125), outside near (0.0625)
  tips[3] += 0.1;
  set_task_state(*t, tips);
  EXPECT_NEAR(t->current_reward(), -0.1 + 4.0, 1e-9);
  EXPECT_FALSE(t->current_success());
  // beyond far (5 x 0.044): -50, but only after the first two control steps
  tips[3] += 0.2;
  set_task_state(*t, tips);
  EXPECT_NEAR(t->current_reward(), -0.3, 1e-9);
  std::vector<double> s = t->state();
  s[0] = 3 * 0.02;  // time
  t->set_state(s);
  EXPECT_NEAR(t->current_reward(), -0.3 - 50.0, 1e-9);
}

TEST(MyoHand, PoseRewardOnHandSetStates) {
  auto t = hand_task("myo-pose");
  Rng rng(1);
  std::vector<float> obs(t->spec().obs_dim);
  t->reset(rng, obs.data());
  mjData* d = t->data();
  std::vector<double> target(kHand);
  for (int j = 0; j < kHand; ++j) target[j] = d->qpos[j] + obs[46 + j];
  for (int j = 0; j < kHand; ++j) d->qpos[j] = target[j];
  t->forward();
  EXPECT_NEAR(t->current_reward(), 8.0, 1e-6);  // no activation yet
  EXPECT_TRUE(t->current_success());
  d->qpos[13] = target[13] - 0.8;  // 0.8 rad off: only the 1.5 x threshold bonus
  for (int u = 0; u < 39; ++u) d->act[u] = 0.5;
  t->forward();
  EXPECT_NEAR(t->current_reward(), -0.8 + 4.0 - std::sqrt(39 * 0.25) / 39, 1e-6);
  EXPECT_FALSE(t->current_success());
}

TEST(MyoHand, KeyTurnRewardOnHandSetStates) {
  for (const char* name : {"myo-key-turn", "myo-key-turn-hard"}) {
    auto t = hand_task(name);
    Rng rng(2);
    std::vector<float> obs(t->spec().obs_dim);
    t->reset(rng, obs.data());
    mjData* d = t->data();
    const bool hard = std::string(name).find("hard") != std::string::npos;
    d->qpos[23] = 3.2;  // past pi (solved on the fixed task, not the 2 pi of the hard one)
    t->forward();
    const int key = site(*t, "keyhead");
    auto approach = [&](const char* tip) {
      const int s = site(*t, tip);
      double r = 0;
      for (int i = 0; i < 3; ++i) r += std::pow(d->site_xpos[3 * key + i] - d->site_xpos[3 * s + i], 2);
      return std::abs(std::sqrt(r) - 0.03);
    };
    const double fi = approach("IFtip"), th = approach("THtip");
    const double want = 3.2 - 10 * fi - 10 * th + 4.0 * 2 - 25.0 * ((fi > 0.05) + (th > 0.05));
    EXPECT_NEAR(t->current_reward(), want, 1e-9) << name;
    EXPECT_EQ(t->current_success(), !hard) << name;
    d->qpos[23] = 6.3;
    t->forward();
    EXPECT_TRUE(t->current_success()) << name;
  }
}

TEST(MyoHand, ObjHoldRewardOnHandSetStates) {
  for (const char* name : {"myo-obj-hold", "myo-obj-hold-hard"}) {
    auto t = hand_task(name);
    Rng rng(3);
    std::vector<float> obs(t->spec().obs_dim);
    t->reset(rng, obs.data());
    mjData* d = t->data();
    // the object (free joint, qpos 23-25) onto the goal
    for (int i = 0; i < 3; ++i) d->qpos[23 + i] += obs[49 + i];
    t->forward();
    EXPECT_NEAR(t->current_reward(), 8.0, 1e-6) << name;
    EXPECT_TRUE(t->current_success()) << name;
    d->qpos[23] += 0.015;  // 1.5 cm away: one bonus
    t->forward();
    EXPECT_NEAR(t->current_reward(), -1.5 + 4.0, 1e-6) << name;
    EXPECT_FALSE(t->current_success()) << name;
    d->qpos[25] -= 1.0;  // dropped: -100 d - 10
    t->forward();
    EXPECT_LT(t->current_reward(), -100.0) << name;
  }
}

TEST(MyoHand, PenTwirlRewardOnHandSetStates) {
  auto t = hand_task("myo-pen-twirl");
  Rng rng(4);
  std::vector<float> obs(t->spec().obs_dim);
  t->reset(rng, obs.data());
  mjData* d = t->data();
  // MyoSuite's fixed target stands upright: the pen upright at the ball's centre
  const int ball = site(*t, "eps_ball");
  for (int i = 0; i < 3; ++i) d->qpos[23 + i] = d->site_xpos[3 * ball + i];
  d->qpos[26] = 1, d->qpos[27] = d->qpos[28] = d->qpos[29] = 0;
  t->forward();
  EXPECT_NEAR(t->current_reward(), 1.0 + 10.0 * 6, 1e-6);  // cos 1, bonus 10 (1 + 5)
  EXPECT_TRUE(t->current_success());
  // tilted by 0.5 rad about x: cos 0.878, no bonus
  d->qpos[26] = std::cos(0.25), d->qpos[27] = std::sin(0.25);
  t->forward();
  EXPECT_NEAR(t->current_reward(), std::cos(0.5), 1e-6);
  EXPECT_FALSE(t->current_success());
  // dropped 10 cm below: -pos + cos - 5
  d->qpos[26] = 1, d->qpos[27] = 0;
  d->qpos[25] -= 0.1;
  t->forward();
  EXPECT_NEAR(t->current_reward(), -0.1 + 1.0 - 5.0, 1e-6);
  EXPECT_FALSE(t->current_success());
}

TEST(MyoHand, HardVariantsDrawTheirTaskVariablesInMyoSuitesRanges) {
  Rng rng(9);
  for (int e = 0; e < 20; ++e) {
    auto key = hand_task("myo-key-turn-hard");
    std::vector<float> obs(key->spec().obs_dim);
    key->reset(rng, obs.data());
    EXPECT_LE(std::abs(key->data()->qpos[23]), kPi / 2);
    const mjModel* m = key->model();
    const int b = mj_name2id(m, mjOBJ_BODY, "key");
    EXPECT_LE(std::abs(m->body_pos[3 * b] + 0.15), 0.01);
    auto hold = hand_task("myo-obj-hold-hard");
    std::vector<float> o2(hold->spec().obs_dim);
    hold->reset(rng, o2.data());
    const int g = mj_name2id(hold->model(), mjOBJ_GEOM, "object");
    for (int i = 0; i < 3; ++i) {
      EXPECT_GE(hold->model()->geom_size[3 * g + i], 0.02);
      EXPECT_LE(hold->model()->geom_size[3 * g + i], 0.03);
    }
    EXPECT_LE(std::abs(hold->data()->site_xpos[3 * site(*hold, "goal")] + 0.235), 0.03 + 1e-12);
  }
}

TEST(MyoHand, MyoSuitesDoneEndsTheEpisodeOnlyWhenAskedFor) {
  for (bool on : {false, true}) {
    Env env(make_task("myo-obj-hold"));
    EXPECT_TRUE(env.task().set_task_done(on));
    Rng rng(0);
    std::vector<float> obs(env.spec().obs_dim), a(env.spec().act_dim, 0.f);
    env.reset(rng, obs.data());
    int steps = 0;
    bool terminated = false;
    while (!terminated && steps < env.spec().episode_steps) {
      const EnvStep r = env.step(a.data(), obs.data());
      ++steps;
      terminated = r.terminated;
      // obs 49-51: goal - object; MyoSuite's done: more than 0.3 m apart
      const double d = std::sqrt(obs[49] * obs[49] + obs[50] * obs[50] + obs[51] * obs[51]);
      EXPECT_EQ(r.terminated, on && d > 0.3) << "step " << steps;
    }
    // with zero actions the object falls out of the palm: the episode ends early only when on
    EXPECT_EQ(terminated, on);
    EXPECT_EQ(steps < env.spec().episode_steps, on);
  }
  EXPECT_FALSE(make_task("cheetah-run")->set_task_done(true));
  EXPECT_TRUE(make_task("cheetah-run")->set_task_done(false));
}

// A scripted muscle controller: joint-space PD torques, turned into activations by
// non-negative least squares over each muscle's moment arms times its peak force (projected
// gradient), then into actions by inverting MyoSuite's sigmoid
class PoseController {
 public:
  explicit PoseController(const mjModel* m) : m_(m) {}
  void act(const mjData* d, const std::vector<double>& q_target, std::vector<float>& action) const {
    const int nu = m_->nu, nv = m_->nv;
    std::vector<double> tau(kHand), A(nu * kHand), a(nu, 0.0);
    for (int j = 0; j < kHand; ++j) tau[j] = kp_ * (q_target[j] - d->qpos[j]) - kd_ * d->qvel[j];
    // muscle u's torque per unit activation on joint j: -F_u * moment (the force pulls)
    for (int u = 0; u < nu; ++u)
      for (int j = 0; j < kHand; ++j) A[u * kHand + j] = -m_->actuator_gainprm[mjNGAIN * u + 2] * d->actuator_moment[u * nv + j];
    // step 1 / the largest eigenvalue of A A^T (power iteration)
    std::vector<double> x(nu, 1.0), y(kHand);
    double lambda = 1;
    for (int it = 0; it < 30; ++it) {
      for (int j = 0; j < kHand; ++j) {
        y[j] = 0;
        for (int u = 0; u < nu; ++u) y[j] += A[u * kHand + j] * x[u];
      }
      double n = 0;
      for (int u = 0; u < nu; ++u) {
        x[u] = 0;
        for (int j = 0; j < kHand; ++j) x[u] += A[u * kHand + j] * y[j];
        n += x[u] * x[u];
      }
      lambda = std::sqrt(n);
      for (double& v : x) v /= lambda;
    }
    const double step = 1.0 / lambda;
    for (int it = 0; it < 2000; ++it) {
      std::vector<double> r(kHand);
      for (int j = 0; j < kHand; ++j) {
        r[j] = -tau[j];
        for (int u = 0; u < nu; ++u) r[j] += A[u * kHand + j] * a[u];
      }
      for (int u = 0; u < nu; ++u) {
        double g = 1e-4 * a[u];
        for (int j = 0; j < kHand; ++j) g += A[u * kHand + j] * r[j];
        a[u] = std::clamp(a[u] - step * g, 0.001, 0.92);
      }
    }
    for (int u = 0; u < nu; ++u)
      action[u] = static_cast<float>(std::clamp(0.5 + std::log(a[u] / (1 - a[u])) / 5.0, -1.0, 1.0));
  }

 private:
  const mjModel* m_;
  double kp_ = 1.0, kd_ = 0.05;
};

// the joint configuration whose fingertips sit on the reach targets (damped least squares on
// the model's kinematics)
std::vector<double> reach_configuration(MujocoTask& t, const std::vector<double>& targets) {
  const mjModel* m = t.model();
  mjData* d = mj_makeData(m);
  std::vector<double> jac(3 * m->nv);
  for (int it = 0; it < 300; ++it) {
    mj_kinematics(m, d);
    mj_comPos(m, d);
    std::vector<double> dq(m->nv, 0.0);
    for (int k = 0; k < 5; ++k) {
      const int s = mj_name2id(m, mjOBJ_SITE, kTips[k]);
      mj_jacSite(m, d, jac.data(), nullptr, s);
      for (int v = 0; v < m->nv; ++v)
        for (int i = 0; i < 3; ++i) dq[v] += jac[i * m->nv + v] * (targets[3 * k + i] - d->site_xpos[3 * s + i]);
    }
    for (int v = 0; v < m->nv; ++v)
      d->qpos[v] = std::clamp(d->qpos[v] + 20.0 * dq[v], m->jnt_range[2 * v], m->jnt_range[2 * v + 1]);
  }
  std::vector<double> q(d->qpos, d->qpos + kHand);
  mj_deleteData(d);
  return q;
}

// success at any step of the episode, as MyoSuite's baselines score it
bool run_scripted(MujocoTask& t, const std::vector<double>& q_target, double* best) {
  Env env(make_task(t.spec().name));
  auto& task = static_cast<MujocoTask&>(env.task());
  PoseController ctl(task.model());
  Rng rng(0);
  std::vector<float> obs(env.spec().obs_dim), action(env.spec().act_dim);
  env.reset(rng, obs.data());
  bool solved = false;
  *best = 1e9;
  for (int s = 0; s < env.spec().episode_steps; ++s) {
    ctl.act(task.data(), q_target, action);
    const EnvStep r = env.step(action.data(), obs.data());
    solved = solved || r.success;
    double e = 0;
    for (int j = 0; j < kHand; ++j) e += std::pow(q_target[j] - task.data()->qpos[j], 2);
    *best = std::min(*best, std::sqrt(e));
  }
  return solved;
}

TEST(MyoHand, AScriptedMuscleControllerSolvesTheFixedPose) {
  auto t = hand_task("myo-pose");
  Rng rng(0);
  std::vector<float> obs(t->spec().obs_dim);
  t->reset(rng, obs.data());
  std::vector<double> target(kHand);
  for (int j = 0; j < kHand; ++j) target[j] = t->data()->qpos[j] + obs[46 + j];
  double best = 0;
  EXPECT_TRUE(run_scripted(*t, target, &best)) << "closest joint error " << best << " rad (success < 0.7)";
}

TEST(MyoHand, AScriptedMuscleControllerSolvesTheFixedReach) {
  auto t = hand_task("myo-reach");
  const std::vector<double> s = t->state();
  const std::vector<double> targets(s.end() - 15, s.end());
  const std::vector<double> q = reach_configuration(*t, targets);
  // the kinematic solution itself is within the success radius
  mjData* d = t->data();
  for (int j = 0; j < kHand; ++j) d->qpos[j] = q[j];
  t->forward();
  EXPECT_TRUE(t->current_success()) << "no joint configuration puts the tips on MyoSuite's targets";
  double best = 0;
  EXPECT_TRUE(run_scripted(*t, q, &best)) << "closest joint error " << best;
}

}  // namespace
}  // namespace crossq
