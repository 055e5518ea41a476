// Per-task rewards on hand-set states, and model facts (masses, sizes) against TASKS.md.
#include <cmath>
#include <memory>

#include <gtest/gtest.h>

#include "crossq/core/error.h"
#include "crossq/tasks/mujoco_task.h"
#include "crossq/tasks/registry.h"
#include "task_util.h"

namespace crossq {
namespace {

constexpr double kPi = 3.14159265358979323846;

using testutil::at_rest;

double total_mass(const mjModel* m) {
  double s = 0;
  for (int b = 0; b < m->nbody; ++b) s += m->body_mass[b];
  return s;
}

TEST(TaskRewards, PendulumUprightIsOneHangingIsZero) {
  auto t = at_rest("pendulum-swingup");
  t->data()->qpos[0] = 0.0;
  t->forward();
  EXPECT_EQ(t->current_reward(), 1.0);
  t->data()->qpos[0] = 7.9 * kPi / 180;
  t->forward();
  EXPECT_EQ(t->current_reward(), 1.0);
  t->data()->qpos[0] = 8.1 * kPi / 180;
  t->forward();
  EXPECT_EQ(t->current_reward(), 0.0);
  t->data()->qpos[0] = kPi;
  t->forward();
  EXPECT_EQ(t->current_reward(), 0.0);
}

TEST(TaskRewards, CartpoleBalancedCenteredStillIsOneHangingIsZero) {
  auto t = at_rest("cartpole-swingup");
  t->forward();
  EXPECT_NEAR(t->current_reward(), 1.0, 1e-12);
  t->data()->qpos[1] = kPi;  // hanging: upright term (cos + 1) / 2 = 0
  t->forward();
  EXPECT_NEAR(t->current_reward(), 0.0, 1e-12);
  // upright, cart one margin (2 m) off center: centered = (1 + 0.1) / 2
  t->data()->qpos[1] = 0;
  t->data()->qpos[0] = 2.0;
  t->forward();
  EXPECT_NEAR(t->current_reward(), 0.55, 1e-12);
}

TEST(TaskRewards, CheetahRewardIsSpeedOverTen) {
  auto t = at_rest("cheetah-run");
  EXPECT_NEAR(total_mass(t->model()), 14.0, 1e-9);
  t->data()->qvel[0] = 10.0;  // rootx: the whole body moves at 10 m/s
  t->forward();
  EXPECT_NEAR(t->current_reward(), 1.0, 1e-12);
  t->data()->qvel[0] = 15.0;
  t->forward();
  EXPECT_NEAR(t->current_reward(), 1.0, 1e-12);
  t->data()->qvel[0] = 5.0;
  t->forward();
  EXPECT_NEAR(t->current_reward(), 0.5, 1e-12);
  t->data()->qvel[0] = -3.0;
  t->forward();
  EXPECT_EQ(t->current_reward(), 0.0);
}

TEST(TaskRewards, WalkerStandingUprightIsOneLyingDownIsLow) {
  auto t = at_rest("walker-stand");
  EXPECT_NEAR(total_mass(t->model()), 28.54, 0.01);
  EXPECT_NEAR(t->model()->body_mass[1], 10.67, 0.01);  // torso
  // reference pose: torso at 1.3 m, upright
  EXPECT_NEAR(t->current_reward(), 1.0, 1e-12);
  // lying on its back on the floor: rootz brings the torso to 0.07 m, rooty = 90 deg
  mjData* d = t->data();
  d->qpos[0] = 0.07 - 1.3;
  d->qpos[2] = kPi / 2;
  t->forward();
  const double lying = t->current_reward();
  // standing term ~ 0.1^((1.13/0.6)^2) ~ 3e-4, upright (1 + 0) / 2: (3 * 3e-4 + 0.5) / 4
  EXPECT_NEAR(lying, 0.125, 0.001);
  auto walk = at_rest("walker-walk");
  walk->data()->qvel[1] = 1.0;  // rootx at the walk speed, standing upright
  walk->forward();
  EXPECT_NEAR(walk->current_reward(), 1.0, 1e-12);
  walk->data()->qvel[1] = 0.0;  // still: move term 0.5 - 0.5 * 1 / 0.5 -> 0, (5 * 0 + 1) / 6
  walk->forward();
  EXPECT_NEAR(walk->current_reward(), 1.0 / 6, 1e-12);
  auto run = at_rest("walker-run");
  run->data()->qvel[1] = 6.0;  // linear, v 0.5 at 4 m/s below: 1 - 0.5 * 2 / 4 = 0.75
  run->forward();
  EXPECT_NEAR(run->current_reward(), (5 * 0.75 + 1) / 6, 1e-12);
}

TEST(TaskRewards, HopperStandsInTheHeightBandAndHopsAtTwoMetersPerSecond) {
  auto t = at_rest("hopper-stand");
  EXPECT_NEAR(total_mass(t->model()), 12.44, 0.05);
  // reference pose: the leg straight below the torso, height of torso COM above foot ~ 1
  EXPECT_NEAR(t->current_reward(), 1.0, 1e-12);
  t->data()->ctrl[0] = 1.0;  // one of four motors at full: small control (3/4 + 4) / 5
  t->forward();
  EXPECT_NEAR(t->current_reward(), (0.75 + 4) / 5, 1e-12);
  // lying flat (rooty 90 deg): torso COM level with the foot COM, not standing
  t->data()->ctrl[0] = 0.0;
  t->data()->qpos[2] = kPi / 2;
  t->forward();
  EXPECT_EQ(t->current_reward(), 0.0);
  auto hop = at_rest("hopper-hop");
  hop->data()->qvel[0] = 2.0;
  hop->forward();
  EXPECT_NEAR(hop->current_reward(), 1.0, 1e-12);
  hop->data()->qvel[0] = 1.0;
  hop->forward();
  EXPECT_NEAR(hop->current_reward(), 0.5, 1e-12);
}

TEST(TaskRewards, ModelFactsMatchTheOriginals) {
  auto w = at_rest("walker-walk");
  EXPECT_EQ(w->model()->nbody, 8);
  EXPECT_EQ(w->model()->nq, 9);
  EXPECT_EQ(w->substeps(), 10);
  auto h = at_rest("hopper-hop");
  EXPECT_EQ(h->model()->nbody, 6);
  EXPECT_EQ(h->model()->nq, 7);
  EXPECT_EQ(h->substeps(), 4);
  auto c = at_rest("cheetah-run");
  EXPECT_EQ(c->model()->nbody, 8);
  EXPECT_EQ(c->model()->nq, 9);
  EXPECT_EQ(c->substeps(), 1);
}

TEST(TaskLoading, MissingAssetGivesAClearError) {
  setenv("CROSSQ_ASSET_DIR", "/nonexistent-crossq-assets", 1);
  try {
    make_task("cheetah-run");
    unsetenv("CROSSQ_ASSET_DIR");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    unsetenv("CROSSQ_ASSET_DIR");
    EXPECT_NE(std::string(e.what()).find("cheetah.xml"), std::string::npos) << e.what();
    EXPECT_NE(e.hint().find("CROSSQ_ASSET_DIR"), std::string::npos);
  }
}

}  // namespace
}  // namespace crossq

namespace crossq {
namespace {

// places the humanoid standing upright at the reference pose (head at ~1.6 m)
TEST(TaskRewards, HumanoidStandingStillIsOneLyingIsZero) {
  auto t = at_rest("humanoid-stand");
  EXPECT_EQ(t->model()->nq, 28);
  EXPECT_EQ(t->model()->nv, 27);
  EXPECT_EQ(t->model()->nu, 21);
  EXPECT_NEAR(t->current_reward(), 1.0, 1e-12);  // head above 1.4, upright, still, no control
  // lying: torso pitched 90 degrees (quaternion about y) at 0.1 m
  mjData* d = t->data();
  d->qpos[2] = 0.1;
  d->qpos[3] = std::cos(kPi / 4);
  d->qpos[5] = std::sin(kPi / 4);
  t->forward();
  EXPECT_LT(t->current_reward(), 1e-3);
  auto run = at_rest("humanoid-run");
  run->data()->qvel[0] = 10.0;  // the whole body at 10 m/s, upright
  run->forward();
  EXPECT_NEAR(run->current_reward(), 1.0, 1e-12);
  run->data()->qvel[0] = 6.0;
  run->data()->qvel[1] = 8.0;  // |(vx, vy)| = 10 in any direction counts
  run->forward();
  EXPECT_NEAR(run->current_reward(), 1.0, 1e-12);
  run->data()->qvel[0] = 5.0;
  run->data()->qvel[1] = 0.0;  // linear, v 0 over a margin of 10: move 0.5
  run->forward();
  EXPECT_NEAR(run->current_reward(), (5 * 0.5 + 1) / 6, 1e-12);
}

TEST(TaskRewards, ArmPoseAtTheTargetSucceedsAndEarnsTheBonus) {
  for (const char* name : {"arm-pose", "arm-pose-hard"}) {
    auto t = at_rest(name);
    Rng rng(3);
    std::vector<float> obs(t->spec().obs_dim);
    t->reset(rng, obs.data());
    // obs = qpos (2), qvel dt (2), pose_err (2), act (6): move onto the target
    mjData* d = t->data();
    d->qpos[0] += obs[4];
    d->qpos[1] += obs[5];
    t->forward();
    // -0 + 4 (1 + 1), no activation; the error came through a float32 observation
    EXPECT_NEAR(t->current_reward(), 8.0, 1e-6) << name;
    auto* task = static_cast<Task*>(t.get());
    const std::vector<double> s = task->state();
    EXPECT_EQ(s.size(), 1 + 2 + 2 * 2 + 6 + 6 + 2u) << name;
  }
}

TEST(TaskRewards, ArmReachTipAtTheTargetSucceeds) {
  auto t = at_rest("arm-reach");
  Rng rng(4);
  std::vector<float> obs(t->spec().obs_dim);
  t->reset(rng, obs.data());
  // the fixed target is the fingertip of (0.8, 1.2) rad
  mjData* d = t->data();
  d->qpos[0] = 0.8;
  d->qpos[1] = 1.2;
  t->forward();
  EXPECT_NEAR(t->current_reward(), 8.0, 1e-9);
  d->qpos[0] = 0.0;
  d->qpos[1] = 0.0;  // straight arm: the tip ~0.8 m from the target
  t->forward();
  EXPECT_LT(t->current_reward(), -0.5);
}

TEST(TaskRewards, ArmActionsMapThroughTheSigmoidAndMoveTheArm) {
  auto t = at_rest("arm-pose");
  EXPECT_EQ(t->spec().act_low[0], -1.f);
  EXPECT_EQ(t->spec().act_high[0], 1.f);
  Rng rng(5);
  std::vector<float> obs(t->spec().obs_dim);
  t->reset(rng, obs.data());
  std::vector<float> a(6, -1.f);
  a[2] = 1.f;  // elbow flexor EF on, the rest off
  const double elbow0 = t->data()->qpos[1];
  for (int i = 0; i < 30; ++i) t->step(a.data(), obs.data());
  EXPECT_NEAR(t->data()->ctrl[0], 1 / (1 + std::exp(7.5)), 1e-12);
  EXPECT_NEAR(t->data()->ctrl[2], 1 / (1 + std::exp(-2.5)), 1e-12);
  EXPECT_GT(t->data()->act[2], 0.8);
  EXPECT_NE(t->data()->qpos[1], elbow0);
}

}  // namespace
}  // namespace crossq

namespace crossq {
namespace {

TEST(TaskRewards, FingerTipInsideTheTargetIsOneOppositeIsZero) {
  for (const char* name : {"finger-turn-easy", "finger-turn-hard"}) {
    auto t = at_rest(name);
    Rng rng(8);
    std::vector<float> obs(t->spec().obs_dim);
    t->reset(rng, obs.data());
    // obs[9..10] = target - spinner hinge (x, z): turn the spinner's tip onto it (the hinge
    // axis is -y, so a positive angle turns the tip towards -x)
    const double a = -std::atan2(obs[9], obs[10]);
    const int hinge = t->model()->jnt_qposadr[mj_name2id(t->model(), mjOBJ_JOINT, "hinge")];
    t->data()->qpos[hinge] = a;
    t->forward();
    EXPECT_EQ(t->current_reward(), 1.0) << name;
    t->observe(obs.data());
    const double radius = std::string(name) == "finger-turn-easy" ? 0.07 : 0.03;
    EXPECT_NEAR(obs[11], -radius, 1e-6) << name;  // dist_to_target: centre on the tip
    t->data()->qpos[hinge] = a + kPi;
    t->forward();
    EXPECT_EQ(t->current_reward(), 0.0) << name;
  }
}

}  // namespace
}  // namespace crossq

namespace crossq {
namespace {

TEST(TaskRewards, FishUprightAtTheTargetIsOneUpsideDownFarIsLow) {
  auto t = at_rest("fish-swim");
  EXPECT_EQ(t->model()->nq, 14);
  EXPECT_EQ(t->model()->nv, 13);
  EXPECT_NEAR(total_mass(t->model()), 0.0345, 1e-9);
  Rng rng(9);
  std::vector<float> obs(t->spec().obs_dim);
  t->reset(rng, obs.data());
  // obs[8..10] = target - mouth in the mouth frame; put the fish upright with its mouth there
  mjData* d = t->data();
  d->qpos[3] = 1;
  d->qpos[4] = d->qpos[5] = d->qpos[6] = 0;
  t->forward();
  t->observe(obs.data());
  for (int i = 0; i < 3; ++i) d->qpos[i] += obs[8 + i];  // identity orientation: frame = world
  t->forward();
  EXPECT_NEAR(t->current_reward(), 1.0, 1e-12);
  t->observe(obs.data());
  for (int i = 0; i < 3; ++i) EXPECT_NEAR(obs[8 + i], 0.0, 1e-6);
  // 0.09 m (one margin) beyond the edge of the target, upright: (7 * 0.1 + 1) / 8 (the mouth
  // was placed through a float32 observation, hence the tolerance)
  d->qpos[0] += 0.045 + 0.09;
  t->forward();
  EXPECT_NEAR(t->current_reward(), (7 * 0.1 + 1) / 8, 1e-6);
  d->qpos[0] -= 0.045 + 0.09;
  // upside down (180 degrees about x), 1 m away: in_target ~ 0, upright 0
  d->qpos[3] = 0;
  d->qpos[4] = 1;
  d->qpos[0] += 1.0;
  t->forward();
  EXPECT_LT(t->current_reward(), 1e-6);
}

}  // namespace
}  // namespace crossq

namespace crossq {
namespace {

TEST(TaskRewards, QuadrupedUprightAtSpeedIsOneStillIsHalfUpsideDownIsZero) {
  auto t = at_rest("quadruped-run");
  EXPECT_EQ(t->model()->nbody, 18);
  EXPECT_EQ(t->model()->nq, 23);
  EXPECT_EQ(t->model()->nv, 22);
  EXPECT_EQ(t->model()->na, 12);
  EXPECT_NEAR(t->model()->body_mass[1], 67.86, 0.01);  // torso ellipsoid at density 1000
  mjData* d = t->data();
  d->qvel[0] = 5.0;  // upright at the run speed along the heading
  t->forward();
  EXPECT_NEAR(t->current_reward(), 1.0, 1e-12);
  d->qvel[0] = 0.0;  // still: move = (0 + 5) / 10
  t->forward();
  EXPECT_NEAR(t->current_reward(), 0.5, 1e-12);
  d->qpos[3] = 0;  // upside down (180 degrees about x)
  d->qpos[4] = 1;
  t->forward();
  EXPECT_NEAR(t->current_reward(), 0.0, 1e-12);
  auto w = at_rest("quadruped-walk");
  w->data()->qvel[0] = -0.25;  // backwards at half the walk speed: (0.5 - 0.25) / 1
  w->forward();
  EXPECT_NEAR(w->current_reward(), 0.25, 1e-12);
}

}  // namespace
}  // namespace crossq
