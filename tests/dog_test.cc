// The dog tasks: the model's facts (dm_control's dog: 73 hinges, 38 filtered actuators, 10.81
// kg, timestep 0.005 with 3 substeps), every slice of the 223 observations against the quantity
// it claims to be, the stand and move rewards on hand-set states, the reset's randomization,
// and stability under random actions.
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "crossq/core/rng.h"
#include "crossq/tasks/mujoco_task.h"
#include "crossq/tasks/registry.h"
#include "crossq/tasks/tolerance.h"
#include "task_util.h"

namespace crossq {
namespace {

constexpr double kPi = 3.14159265358979323846;
using testutil::at_rest;

double sensor(const MujocoTask& t, const char* name, int k = 0) {
  const int id = mj_name2id(t.model(), mjOBJ_SENSOR, name);
  EXPECT_GE(id, 0) << name;
  return t.data()->sensordata[t.model()->sensor_adr[id] + k];
}

TEST(Dog, ModelFacts) {
  auto t = at_rest("dog-stand");
  const mjModel* m = t->model();
  int hinges = 0, free = 0;
  for (int j = 0; j < m->njnt; ++j) {
    hinges += m->jnt_type[j] == mjJNT_HINGE;
    free += m->jnt_type[j] == mjJNT_FREE;
  }
  EXPECT_EQ(hinges, 73);
  EXPECT_EQ(free, 1);
  EXPECT_EQ(m->nq, 80);
  EXPECT_EQ(m->nv, 79);
  EXPECT_EQ(m->nu, 38);
  EXPECT_EQ(m->na, 38);
  EXPECT_EQ(m->ntendon, 8);
  EXPECT_NEAR(m->body_subtreemass[mj_name2id(m, mjOBJ_BODY, "torso")], 10.807, 0.005);
  EXPECT_DOUBLE_EQ(m->opt.timestep, 0.005);
  EXPECT_EQ(m->opt.noslip_iterations, 4);
  EXPECT_EQ(t->substeps(), 3);
  int on_tendons = 0;
  for (int a = 0; a < m->nu; ++a) {
    EXPECT_EQ(m->actuator_dyntype[a], mjDYN_FILTER);
    EXPECT_DOUBLE_EQ(m->actuator_ctrlrange[2 * a], -1.0);
    EXPECT_DOUBLE_EQ(m->actuator_ctrlrange[2 * a + 1], 1.0);
    on_tendons += m->actuator_trntype[a] == mjTRN_TENDON;
  }
  EXPECT_EQ(on_tendons, 8);
  EXPECT_EQ(t->spec().obs_dim, 223);
  EXPECT_EQ(t->spec().act_dim, 38);
  EXPECT_EQ(t->spec().episode_steps, 1000);
  // the default pose stands: torso and pelvis at dm_control's heights, nothing touching
  const mjData* d = t->data();
  EXPECT_NEAR(d->xpos[3 * mj_name2id(m, mjOBJ_BODY, "torso") + 2], 0.41522, 1e-5);
  EXPECT_NEAR(d->xpos[3 * mj_name2id(m, mjOBJ_BODY, "pelvis") + 2], 0.4762, 1e-4);
  EXPECT_EQ(d->ncon, 0);
}

TEST(Dog, EachObservationSliceIsItsQuantity) {
  auto t = at_rest("dog-walk");
  const mjModel* m = t->model();
  mjData* d = t->data();
  Rng rng(4);
  std::vector<float> obs(223);
  t->reset(rng, obs.data());
  // a state with every component non-trivial: random hinges, velocities, activations, tilted
  for (int j = 0; j < m->njnt; ++j)
    if (m->jnt_type[j] == mjJNT_HINGE)
      d->qpos[m->jnt_qposadr[j]] = rng.uniform(m->jnt_range[2 * j], m->jnt_range[2 * j + 1]);
  for (int k = 0; k < m->nv; ++k) d->qvel[k] = rng.normal();
  for (int k = 0; k < m->na; ++k) d->act[k] = rng.uniform(-1, 1);
  d->qpos[2] = 0.3;
  const double a = 0.4;
  d->qpos[3] = std::cos(a);
  d->qpos[4] = std::sin(a);
  d->qpos[5] = d->qpos[6] = 0;
  t->forward();
  t->observe(obs.data());
  size_t k = 0;
  auto expect = [&](double want, const std::string& what) {
    ASSERT_LT(k, obs.size());
    EXPECT_NEAR(obs[k], want, 1e-5 * (1 + std::abs(want))) << what << " at " << k;
    ++k;
  };
  for (int j = 0; j < m->njnt; ++j)
    if (m->jnt_type[j] == mjJNT_HINGE) expect(d->qpos[m->jnt_qposadr[j]], std::string("angle of ") + mj_id2name(m, mjOBJ_JOINT, j));
  for (int j = 0; j < m->njnt; ++j)
    if (m->jnt_type[j] == mjJNT_HINGE) expect(d->qvel[m->jnt_dofadr[j]], std::string("velocity of ") + mj_id2name(m, mjOBJ_JOINT, j));
  const int torso = mj_name2id(m, mjOBJ_BODY, "torso"), pelvis = mj_name2id(m, mjOBJ_BODY, "pelvis"),
            skull = mj_name2id(m, mjOBJ_BODY, "skull");
  expect(d->xpos[3 * torso + 2], "torso height");
  expect(d->xpos[3 * pelvis + 2], "pelvis height");
  for (int b : {skull, torso, pelvis})
    for (int c = 0; c < 3; ++c) expect(d->xmat[9 * b + 6 + c], "z-projection");
  // the torso subtree's COM velocity, computed here from the bodies, in the torso frame
  mj_subtreeVel(m, d);
  const double* v = d->subtree_linvel + 3 * torso;
  const double* R = d->xmat + 9 * torso;
  for (int c = 0; c < 3; ++c) expect(v[0] * R[c] + v[1] * R[3 + c] + v[2] * R[6 + c], "torso COM velocity");
  for (const char* s : {"accelerometer", "velocimeter", "gyro"})
    for (int c = 0; c < 3; ++c) expect(sensor(*t, s, c), s);
  for (const char* s : {"foot_L", "foot_R", "hand_L", "hand_R"})
    for (int c = 0; c < 3; ++c) expect(sensor(*t, s, c), s);
  for (const char* s : {"palm_L", "palm_R", "sole_L", "sole_R"}) expect(sensor(*t, s), s);
  for (int c = 0; c < m->na; ++c) expect(d->act[c], "activation");
  EXPECT_EQ(k, 223u);
}

TEST(Dog, StandAndMoveRewardsOnHandSetStates) {
  auto t = at_rest("dog-stand");
  mjData* d = t->data();
  // the default pose in the air: heights above 0.9 of themselves, upright, no touch (0.9)
  EXPECT_NEAR(t->current_reward(), 0.9, 1e-9);
  // rolled 90 degrees about x: each of the three upright factors is linear at cos = 0
  d->qpos[3] = std::cos(kPi / 4);
  d->qpos[4] = std::sin(kPi / 4);
  t->forward();
  const double c30 = std::cos(kPi / 6);
  const double up = 1 - c30 / (c30 + 1);
  const mjModel* m = t->model();
  const double tz = d->xpos[3 * mj_name2id(m, mjOBJ_BODY, "torso") + 2];
  const double pz = d->xpos[3 * mj_name2id(m, mjOBJ_BODY, "pelvis") + 2];
  mjData* d0 = mj_makeData(m);  // the stand heights: 0.9 of the default pose's
  mj_forward(m, d0);
  const double ht = 0.9 * d0->xpos[3 * mj_name2id(m, mjOBJ_BODY, "torso") + 2];
  const double hp = 0.9 * d0->xpos[3 * mj_name2id(m, mjOBJ_BODY, "pelvis") + 2];
  mj_deleteData(d0);
  const double want = tolerance(tz, ht, 1e300, ht) * tolerance(pz, hp, 1e300, hp) * up * up * up * 0.9;
  EXPECT_NEAR(t->current_reward(), want, 1e-4);
  // lowered upright: the height factors are gaussian (0.1 at a margin of the stand height)
  mj_resetData(m, d);
  d->qpos[2] -= 0.3;
  t->forward();
  const double tz2 = d->xpos[3 * mj_name2id(m, mjOBJ_BODY, "torso") + 2];
  const double pz2 = d->xpos[3 * mj_name2id(m, mjOBJ_BODY, "pelvis") + 2];
  // the feet now press into the floor: the touch factor is linear in the soles' and palms'
  // summed normal force, up to the body weight
  EXPECT_GT(d->ncon, 0);
  const double touch = sensor(*t, "palm_L") + sensor(*t, "palm_R") + sensor(*t, "sole_L") + sensor(*t, "sole_R");
  EXPECT_GT(touch, 0.0);
  const double weight = -m->opt.gravity[2] * m->body_subtreemass[mj_name2id(m, mjOBJ_BODY, "torso")];
  EXPECT_LT(tolerance(tz2, ht, 1e300, ht), 0.9);
  EXPECT_NEAR(t->current_reward(),
              tolerance(tz2, ht, 1e300, ht) * tolerance(pz2, hp, 1e300, hp) *
                  tolerance(touch, weight, 1e300, weight, Sigmoid::kLinear, 0.9),
              1e-6);
  // moving: the forward factor is linear from 0 at v - max(1, v) to 1 on [v, 2v]
  for (auto [name, speed] : {std::pair<const char*, double>{"dog-walk", 1}, {"dog-trot", 3}, {"dog-run", 9}}) {
    auto mv = at_rest(name);
    for (double vx : {1.5 * speed, 0.5 * speed, 0.0, 3 * speed}) {
      mj_resetData(mv->model(), mv->data());
      mv->data()->qvel[0] = vx;  // the whole body, heading +x
      mv->forward();
      const double fwd = tolerance(vx, speed, 2 * speed, std::max(1.0, speed), Sigmoid::kLinear, 0.0);
      EXPECT_NEAR(mv->current_reward(), 0.9 * (4 * fwd + 1) / 5, 1e-6) << name << " at " << vx << " m/s";
    }
  }
}

TEST(Dog, ResetRandomizesHeadingVelocityAndActivationsAndStaysStable) {
  auto t = at_rest("dog-run");
  const mjModel* m = t->model();
  Rng rng(1);
  std::vector<float> obs(223), act(38);
  double yaw_prev = 1e9;
  for (int ep = 0; ep < 3; ++ep) {
    t->reset(rng, obs.data());
    const mjData* d = t->data();
    EXPECT_NEAR(d->qpos[4], 0.0, 1e-9);  // a heading only: a rotation about z
    EXPECT_NEAR(d->qpos[5], 0.0, 1e-9);
    const double yaw = 2 * std::atan2(d->qpos[6], d->qpos[3]);
    EXPECT_NE(yaw, yaw_prev);
    yaw_prev = yaw;
    bool act_inside = true;
    for (int k = 0; k < m->na; ++k) act_inside = act_inside && std::abs(d->act[k]) <= 1;
    EXPECT_TRUE(act_inside);
    EXPECT_NE(d->qvel[0], 0.0);
  }
  // 3 episodes of random actions: finite observations, no MuJoCo warning
  for (int ep = 0; ep < 3; ++ep) {
    t->reset(rng, obs.data());
    for (int s = 0; s < 1000; ++s) {
      for (auto& x : act) x = static_cast<float>(rng.uniform(-1, 1));
      const StepResult r = t->step(act.data(), obs.data());
      ASSERT_TRUE(std::isfinite(r.reward));
      ASSERT_GE(r.reward, 0.0);
      ASSERT_LE(r.reward, 1.0);
    }
    for (float x : obs) ASSERT_TRUE(std::isfinite(x));
    EXPECT_EQ(t->warnings(), 0);
  }
}

// assets/dog.xml is the generator's output, not edited by hand
TEST(Dog, TheModelFileIsTheGeneratorsOutput) {
  const std::string src = CROSSQ_SOURCE_DIR;
  FILE* p = popen(("/usr/bin/python3 " + src + "/tools/make_dog_xml.py").c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string generated;
  char buf[4096];
  for (size_t n; (n = fread(buf, 1, sizeof buf, p)) > 0;) generated.append(buf, n);
  ASSERT_EQ(pclose(p), 0);
  std::ifstream f(src + "/assets/dog.xml");
  std::stringstream ss;
  ss << f.rdbuf();
  EXPECT_EQ(ss.str(), generated) << "regenerate: /usr/bin/python3 tools/make_dog_xml.py > assets/dog.xml";
}

}  // namespace
}  // namespace crossq
