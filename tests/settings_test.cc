// The one precedence function (apply_given) of new runs and resumes: --config < --set < flags,
// each value's source recorded; the algorithm and task are chosen before the layers apply.
#include <gtest/gtest.h>

#include "crossq/core/error.h"
#include "crossq/train/config.h"

namespace crossq {
namespace {

// a checkpoint written before later settings existed (init ... matmul_precision, myo_done and
// TD-MPC2's keys) still resumes: upgrade_config fills them with the values it ran with
TEST(Settings, ACheckpointWrittenBeforeLaterSettingsExistedStillPassesTheChecks) {
  for (const char* task : {"cheetah-run", "myo-reach"}) {
    const nlohmann::json full = default_config("crossq-wn", task);
    nlohmann::json old = full;
    for (const char* k : {"init", "log_std_min", "lr_schedule", "lr_final", "actor_bn_every_step", "myo_done",
                          "matmul_precision", "horizon", "plan_eval", "pretrain"})
      old.erase(k);
    EXPECT_THROW(checked_config(old, "old run"), Error);
    upgrade_config(old);
    const nlohmann::json checked = checked_config(old, "old run");
    EXPECT_EQ(checked["matmul_precision"], "fp32");
    EXPECT_EQ(checked["myo_done"], false);
    EXPECT_EQ(checked["init"], full["init"]);
    EXPECT_EQ(checked["horizon"], full["horizon"]);
  }
}

TEST(Settings, FileThenSetThenFlagsEachRecordedInSources) {
  GivenSettings g;
  g.file_label = "--config f.json";
  g.file = {{"utd", 2}, {"batch_size", 64}, {"critic_lr", 1e-3}, {"task", "cheetah-run"}};
  g.sets = {"utd=3", "batch_size=128"};
  g.flags = {{"utd", "4"}, {"algo", "sac"}};
  const auto [algo, task] = given_algo_task(g, "crossq-wn", "pendulum");
  EXPECT_EQ(algo, "sac");           // the flag
  EXPECT_EQ(task, "cheetah-run");   // the file (no flag names a task)
  const nlohmann::json cfg = apply_given(default_config(algo, task), g);
  EXPECT_EQ(cfg["utd"], 4);
  EXPECT_EQ(cfg["batch_size"], 128);
  EXPECT_EQ(cfg["critic_lr"], 1e-3);
  EXPECT_EQ(cfg["sources"]["utd"], "flag");
  EXPECT_EQ(cfg["sources"]["batch_size"], "set");
  EXPECT_EQ(cfg["sources"]["critic_lr"], "config");
  EXPECT_EQ(cfg["sources"]["discount"], "algorithm-suite");
  const auto keys = given_keys(g);
  for (const char* k : {"utd", "batch_size", "critic_lr", "task", "algo"})
    EXPECT_NE(std::find(keys.begin(), keys.end(), k), keys.end()) << k;
}

TEST(Settings, BadGivenSettingsNameTheirInput) {
  GivenSettings g;
  g.file_label = "--config f.json";
  g.file = {{"task", 3}};
  EXPECT_THROW(given_algo_task(g, "crossq-wn", "pendulum"), Error);
  g.file = {{"critic_lrr", 1}};
  try {
    apply_given(default_config("crossq-wn", "pendulum"), g);
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--config f.json: unknown setting 'critic_lrr'"), std::string::npos) << e.what();
  }
  g.file = nlohmann::json::object();
  g.flags = {{"utd", "zero"}};
  EXPECT_THROW(apply_given(default_config("crossq-wn", "pendulum"), g), Error);
}

}  // namespace
}  // namespace crossq
