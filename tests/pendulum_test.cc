// The built-in pendulum against a trajectory recorded from Gymnasium 1.0.0's Pendulum-v1.
#include <fstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "crossq/tasks/env.h"
#include "crossq/tasks/pendulum.h"

namespace crossq {
namespace {

TEST(GymPendulum, MatchesRecordedGymnasiumTrajectory) {
  std::ifstream f(CROSSQ_TESTDATA_DIR "/gymnasium-pendulum-v1-seed123.json");
  ASSERT_TRUE(f) << "missing fixture";
  const auto ref = nlohmann::json::parse(f);
  auto task = std::make_unique<GymPendulum>();
  GymPendulum* p = task.get();
  Env env(std::move(task));
  Rng rng(0);
  float obs[3];
  env.reset(rng, obs);
  p->set_physics(ref["initial_state_float64"][0], ref["initial_state_float64"][1]);
  double max_obs = 0, max_rew = 0, max_state = 0;
  int n = 0;
  for (const auto& st : ref["steps"]) {
    const float a = st["action_float32"].get<float>();
    const EnvStep r = env.step(&a, obs);
    for (int i = 0; i < 3; ++i) max_obs = std::max(max_obs, std::abs(obs[i] - st["obs"][i].get<double>()));
    max_rew = std::max(max_rew, std::abs(r.reward - st["reward"].get<double>()));
    const auto s = p->state();
    for (int i = 0; i < 2; ++i)
      max_state = std::max(max_state, std::abs(s[i] - st["state_after_float64"][i].get<double>()));
    EXPECT_EQ(r.terminated, st["terminated"].get<bool>());
    EXPECT_EQ(r.truncated, st["truncated"].get<bool>());
    ++n;
  }
  std::printf("pendulum vs gymnasium over %d steps: max|obs| %.3g  max|reward| %.3g  max|state| %.3g\n",
              n, max_obs, max_rew, max_state);
  EXPECT_EQ(n, 50);
  EXPECT_LT(max_state, 1e-12);
  EXPECT_LT(max_rew, 1e-12);
  EXPECT_LT(max_obs, 1e-6);
}

TEST(GymPendulum, CostNormalizesAnglesOfEitherSign) {
  // Gymnasium's angle_normalize is ((x + pi) % (2 pi)) - pi with Python's floored modulo
  GymPendulum p;
  float obs[3];
  const float a = 0.f;
  for (double th : {-7.0, -4.0, -1.0, 1.0, 4.0, 7.0}) {
    p.set_physics(th, 0.0);
    const StepResult r = p.step(&a, obs);
    const double norm = std::remainder(th, 2 * M_PI);  // in [-pi, pi]
    EXPECT_NEAR(r.reward, -norm * norm, 1e-12) << "theta " << th;
    EXPECT_GE(r.reward, -M_PI * M_PI);
  }
}

TEST(GymPendulum, TruncatesAt200AndNeverTerminates) {
  Env env(std::make_unique<GymPendulum>());
  Rng rng(1);
  float obs[3];
  env.reset(rng, obs);
  const float a = 0.f;
  for (int t = 1; t <= 200; ++t) {
    const EnvStep r = env.step(&a, obs);
    EXPECT_FALSE(r.terminated);
    EXPECT_EQ(r.truncated, t == 200);
  }
}

TEST(GymPendulum, ClipsAndCountsOutOfBoundActionsAndRefusesNaN) {
  Env env(std::make_unique<GymPendulum>());
  Rng rng(2);
  float obs[3];
  env.reset(rng, obs);
  float a = 5.f;
  env.step(&a, obs);
  EXPECT_EQ(env.clipped_actions(), 1);
  a = std::nanf("");
  EXPECT_THROW(env.step(&a, obs), std::exception);
}

}  // namespace
}  // namespace crossq
