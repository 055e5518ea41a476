// One property test over every registered task (STYLE 6): deterministic under a seed,
// initial state randomized, observations finite and of the declared size, rewards in [0, 1]
// for DMC tasks, truncation at the declared length, no MuJoCo warnings, finite for a whole
// episode with zero and with random actions, and an exact state()/set_state() round trip.
#include <cmath>
#include <cstring>
#include <vector>

#include <gtest/gtest.h>

#include "crossq/core/error.h"
#include "crossq/tasks/env.h"
#include "crossq/tasks/mujoco_task.h"
#include "crossq/tasks/registry.h"

namespace crossq {
namespace {

constexpr float kGuard = 12345.f;  // written past the declared size; must survive

class TaskProperties : public ::testing::TestWithParam<std::string> {};

void random_action(const TaskSpec& sp, Rng& rng, std::vector<float>& a) {
  for (int i = 0; i < sp.act_dim; ++i)
    a[i] = static_cast<float>(rng.uniform(sp.act_low[i], sp.act_high[i]));
}

TEST_P(TaskProperties, SpecIsConsistent) {
  const TaskSpec sp = task_spec(GetParam());
  EXPECT_EQ(sp.name, GetParam());
  EXPECT_GT(sp.obs_dim, 0);
  EXPECT_GT(sp.act_dim, 0);
  EXPECT_GT(sp.episode_steps, 0);
  EXPECT_GT(sp.control_dt, 0.0);
  ASSERT_EQ(sp.act_low.size(), static_cast<size_t>(sp.act_dim));
  ASSERT_EQ(sp.act_high.size(), static_cast<size_t>(sp.act_dim));
  for (int i = 0; i < sp.act_dim; ++i) EXPECT_LT(sp.act_low[i], sp.act_high[i]);
  if (sp.suite == "dmc") {
    EXPECT_EQ(sp.episode_steps, 1000);
    EXPECT_EQ(sp.score, TaskSpec::Score::kReturnOver1000);
    EXPECT_EQ(sp.defaults.action_repeat, 2);
  }
  if (sp.suite == "myo" || sp.suite == "arm") {
    EXPECT_EQ(sp.episode_steps, 100);
    EXPECT_TRUE(sp.has_success);
    EXPECT_EQ(sp.score, TaskSpec::Score::kSuccessRate);
    EXPECT_DOUBLE_EQ(sp.defaults.discount, 0.95);
  }
  const std::unique_ptr<Task> task = make_task(GetParam());
  if (auto* mt = dynamic_cast<MujocoTask*>(task.get())) {
    EXPECT_NEAR(mt->substeps() * mt->model()->opt.timestep, sp.control_dt, 1e-12);
  }
}

TEST_P(TaskProperties, DeterministicUnderASeed) {
  Env a(make_task(GetParam())), b(make_task(GetParam()));
  const TaskSpec& sp = a.spec();
  std::vector<float> oa(sp.obs_dim), ob(sp.obs_dim), act(sp.act_dim);
  Rng ra(7), rb(7), ract(3);
  a.reset(ra, oa.data());
  b.reset(rb, ob.data());
  ASSERT_EQ(oa, ob);
  for (int t = 0; t < 50; ++t) {
    random_action(sp, ract, act);
    const EnvStep sa = a.step(act.data(), oa.data());
    const EnvStep sb = b.step(act.data(), ob.data());
    ASSERT_EQ(oa, ob) << "step " << t;
    ASSERT_EQ(sa.reward, sb.reward) << "step " << t;
  }
}

TEST_P(TaskProperties, InitialStateIsRandomizedAcrossSeeds) {
  auto task = make_task(GetParam());
  const TaskSpec sp = task->spec();
  std::vector<float> o1(sp.obs_dim), o2(sp.obs_dim);
  Rng r1(1), r2(2);
  task->reset(r1, o1.data());
  const std::vector<double> s1 = task->state();
  task->reset(r2, o2.data());
  const std::vector<double> s2 = task->state();
  if (sp.random_start) {
    EXPECT_NE(s1, s2);
    EXPECT_NE(o1, o2);
  } else {  // MyoSuite's fixed tasks: one initial state, whatever the seed
    EXPECT_EQ(s1, s2);
    EXPECT_EQ(o1, o2);
  }
}

void run_full_episode(const std::string& name, bool random_actions) {
  Env env(make_task(name));
  const TaskSpec& sp = env.spec();
  std::vector<float> obs(sp.obs_dim + 1, kGuard), act(sp.act_dim, 0.f);
  Rng rng(11), ract(12);
  env.reset(rng, obs.data());
  ASSERT_EQ(obs[sp.obs_dim], kGuard) << "reset wrote past obs_dim";
  for (int t = 1; t <= sp.episode_steps; ++t) {
    if (random_actions) random_action(sp, ract, act);
    const EnvStep r = env.step(act.data(), obs.data());
    ASSERT_EQ(obs[sp.obs_dim], kGuard) << "step wrote past obs_dim";
    for (int i = 0; i < sp.obs_dim; ++i)
      ASSERT_TRUE(std::isfinite(obs[i])) << "obs[" << i << "] at step " << t;
    ASSERT_TRUE(std::isfinite(r.reward)) << "step " << t;
    if (sp.suite == "dmc") {
      ASSERT_GE(r.reward, 0.0) << "step " << t;
      ASSERT_LE(r.reward, 1.0) << "step " << t;
    }
    ASSERT_FALSE(r.terminated) << "step " << t;
    ASSERT_EQ(r.truncated, t == sp.episode_steps) << "step " << t;
  }
  if (auto* mt = dynamic_cast<MujocoTask*>(&env.task())) {
    EXPECT_EQ(mt->warnings(), 0) << "MuJoCo warnings during the episode";
    for (int i = 0; i < mt->model()->nq; ++i) ASSERT_TRUE(std::isfinite(mt->data()->qpos[i]));
  }
  EXPECT_EQ(env.clipped_actions(), 0);
}

TEST_P(TaskProperties, FullEpisodeWithZeroActions) { run_full_episode(GetParam(), false); }
TEST_P(TaskProperties, FullEpisodeWithRandomActions) { run_full_episode(GetParam(), true); }

TEST_P(TaskProperties, StateRoundTripReplaysTheNextStepsExactly) {
  auto task = make_task(GetParam());
  const TaskSpec sp = task->spec();
  std::vector<float> obs(sp.obs_dim), act(sp.act_dim);
  Rng rng(5), ract(6);
  task->reset(rng, obs.data());
  for (int t = 0; t < 20; ++t) {
    random_action(sp, ract, act);
    task->step(act.data(), obs.data());
  }
  const std::vector<double> saved = task->state();
  const Rng ract_saved = ract;
  std::vector<std::vector<float>> obs_ref;
  std::vector<double> rew_ref;
  for (int t = 0; t < 20; ++t) {
    random_action(sp, ract, act);
    rew_ref.push_back(task->step(act.data(), obs.data()).reward);
    obs_ref.push_back(obs);
  }
  const std::vector<double> end_ref = task->state();
  // restore into a fresh instance (as a checkpoint would) and into the same one
  for (int pass = 0; pass < 2; ++pass) {
    auto fresh = make_task(GetParam());
    Task* t2 = pass == 0 ? fresh.get() : task.get();
    t2->set_state(saved);
    EXPECT_EQ(t2->state(), saved);
    ract = ract_saved;
    for (int t = 0; t < 20; ++t) {
      random_action(sp, ract, act);
      ASSERT_EQ(t2->step(act.data(), obs.data()).reward, rew_ref[t]) << "pass " << pass;
      ASSERT_EQ(obs, obs_ref[t]) << "pass " << pass << " step " << t;
    }
    EXPECT_EQ(t2->state(), end_ref);
  }
  std::vector<double> bad = saved;
  bad.push_back(0.0);
  EXPECT_THROW(task->set_state(bad), std::exception);
}

INSTANTIATE_TEST_SUITE_P(AllTasks, TaskProperties, ::testing::ValuesIn(task_names()),
                         [](const auto& info) {
                           std::string n = info.param;
                           for (char& c : n)
                             if (c == '-') c = '_';
                           return n;
                         });

TEST(TaskRegistry, UnknownNameListsTheKnownOnes) {
  try {
    make_task("no-such-task");
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.hint()).find("cheetah-run"), std::string::npos);
    EXPECT_EQ(e.exit_code(), kExitUsage);
  }
}

}  // namespace
}  // namespace crossq
