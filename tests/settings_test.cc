// The one precedence function (apply_given) of new runs and resumes: --config < --set < flags,
// each value's source recorded; the algorithm and task are chosen before the layers apply.
#include <gtest/gtest.h>

#include "crossq/core/error.h"
#include "crossq/train/config.h"

namespace crossq {
namespace {

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
