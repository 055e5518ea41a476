// The learner API (crossq::Learner): save and load continue a learner exactly; the background
// mode learns, publishes its policy to act() and catches up on sync(); load refuses another
// configuration; bad sizes are refused.
#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "crossq/train/config.h"
#include "crossq/core/error.h"
#include "crossq/train/learner.h"
#include "crossq/tasks/env.h"
#include "crossq/tasks/registry.h"

namespace crossq {
namespace {

namespace fs = std::filesystem;

nlohmann::json tiny(const std::string& algo = "crossq-wn") {
  nlohmann::json cfg = default_config(algo, "pendulum");
  apply_overrides(cfg, {{"warmup", 100}, {"batch_size", 32}, {"critic_hidden", 32}, {"actor_hidden", 32},
                        {"threads", 1}, {"seed", 3}}, "test");
  return cfg;
}

std::string temp_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("crossq_learner_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  fs::create_directories(d);
  return d.string();
}

// drives a learner on the pendulum for `steps` transitions with its own actions; returns them
std::vector<float> drive(Learner& l, Env& env, Rng& rng, std::vector<float>& obs, int steps) {
  std::vector<float> actions, next(obs.size()), a(1), u(1);
  for (int k = 0; k < steps; ++k) {
    l.act(obs.data(), false, a.data());
    actions.push_back(a[0]);
    u[0] = 2.f * a[0];  // pendulum torque bounds are [-2, 2]
    const EnvStep r = env.step(u.data(), next.data());
    l.observe(obs.data(), a.data(), static_cast<float>(r.reward), next.data(), r.terminated, r.truncated);
    if (r.terminated || r.truncated) env.reset(rng, obs.data()); else obs.swap(next);
  }
  return actions;
}

TEST(Learner, SaveAndLoadContinueExactly) {
  for (const std::string algo : {"crossq-wn", "simba"}) {
    Env env(make_task("pendulum"));
    Rng rng(7);
    std::vector<float> obs(3);
    env.reset(rng, obs.data());
    Learner a(tiny(algo), 3, 1);
    drive(a, env, rng, obs, 300);
    const std::string dir = temp_dir(algo);
    a.save(dir);
    Learner b(tiny(algo), 3, 1);
    b.load(dir);
    EXPECT_EQ(b.transitions(), 300);
    EXPECT_EQ(b.updates(), a.updates());
    // both continue on the same transitions: the same actions and the same state after
    Env env_b(make_task("pendulum"));
    env_b.task().set_state(env.task().state());
    env_b.set_episode_step(env.episode_step());
    Rng rng_b = rng;
    std::vector<float> obs_b = obs;
    const std::vector<float> xa = drive(a, env, rng, obs, 150), xb = drive(b, env_b, rng_b, obs_b, 150);
    EXPECT_EQ(xa, xb) << algo;
    const auto sa = a.agent().state(), sb = b.agent().state();
    ASSERT_EQ(sa.size(), sb.size());
    for (size_t i = 0; i < sa.size(); ++i)
      EXPECT_EQ(std::memcmp(sa[i].data, sb[i].data, sa[i].bytes), 0) << algo << " " << sa[i].name;
    fs::remove_all(dir);
  }
}

TEST(Learner, InlineUpdatesFollowTheUtdSchedule) {
  nlohmann::json cfg = tiny();
  cfg["utd"] = 3;
  Learner l(cfg, 3, 1);
  Env env(make_task("pendulum"));
  Rng rng(1);
  std::vector<float> obs(3);
  env.reset(rng, obs.data());
  drive(l, env, rng, obs, 99);
  EXPECT_EQ(l.updates(), 0);  // warm-up: 100 transitions
  drive(l, env, rng, obs, 1);
  EXPECT_EQ(l.updates(), 3);
  drive(l, env, rng, obs, 50);
  EXPECT_EQ(l.updates(), 3 * 51);
}

TEST(Learner, TheBackgroundLearnerPublishesItsPolicyAndCatchesUpOnSync) {
  Learner l(tiny(), 3, 1, LearnerMode::kBackground);
  const std::vector<float> probe = {0.3f, -0.2f, 0.5f};
  float before = 0, after = 0;
  l.act(probe.data(), true, &before);
  Env env(make_task("pendulum"));
  Rng rng(2);
  std::vector<float> obs(3);
  env.reset(rng, obs.data());
  drive(l, env, rng, obs, 400);  // act() never waits while the learner works
  l.sync();
  EXPECT_EQ(l.transitions(), 400);
  EXPECT_EQ(l.updates(), 400 - 100 + 1);
  l.act(probe.data(), true, &after);  // the published policy has learned
  EXPECT_NE(before, after);
  // a reset runs on the learner thread; save pauses the thread and writes a loadable state
  l.reset_parameters();
  l.sync();
  const std::string dir = temp_dir("background");
  l.save(dir);
  Learner inl(tiny(), 3, 1);
  inl.load(dir);
  EXPECT_EQ(inl.updates(), l.updates());
  EXPECT_EQ(inl.transitions(), 400);
  fs::remove_all(dir);
}

TEST(Learner, LoadRefusesACheckpointOfOtherSettingsAndBadSizesAreRefused) {
  const std::string dir = temp_dir("other");
  Learner a(tiny(), 3, 1);
  a.save(dir);
  nlohmann::json cfg = tiny();
  cfg["utd"] = 2;
  Learner b(cfg, 3, 1);
  try {
    b.load(dir);
    FAIL() << "loaded a checkpoint of other settings";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("utd = 1, this learner has 2"), std::string::npos) << e.what();
    EXPECT_EQ(e.exit_code(), kExitUsage);
  }
  EXPECT_THROW(Learner(tiny(), 0, 1), Error);
  nlohmann::json bad = tiny();
  bad["batch_size"] = 0;
  try {
    Learner l(bad, 3, 1);
    FAIL() << "accepted batch_size 0";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'batch_size' is 0"), std::string::npos) << e.what();
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace crossq
