// `crossq tasks`: the JSON listing and the --measure option, through the real binary.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <memory>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "crossq/tasks/registry.h"

namespace crossq {
namespace {

// runs a command; returns (exit status, stdout)
std::pair<int, std::string> run(const std::string& cmd) {
  std::string out;
  FILE* p = popen((cmd + " 2>/dev/null").c_str(), "r");
  if (!p) return {-1, ""};
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) out.append(buf.data(), n);
  const int status = pclose(p);
  return {WEXITSTATUS(status), out};
}

TEST(TasksCli, JsonListsEveryTaskWithItsSizes) {
  const auto [rc, out] = run(std::string(CROSSQ_BINARY) + " tasks --json");
  ASSERT_EQ(rc, 0);
  const auto j = nlohmann::json::parse(out);
  ASSERT_EQ(j.size(), task_names().size());
  for (const auto& t : j) {
    const TaskSpec sp = task_spec(t["name"].get<std::string>());
    EXPECT_EQ(t["obs_dim"].get<int>(), sp.obs_dim);
    EXPECT_EQ(t["act_dim"].get<int>(), sp.act_dim);
    EXPECT_EQ(t["episode_steps"].get<int>(), sp.episode_steps);
  }
}

TEST(TasksCli, MeasureReportsReturnAndSpeedAndRejectsUnknownTasks) {
  const auto [rc, out] =
      run(std::string(CROSSQ_BINARY) +
          " tasks --measure --episodes 2 --task cartpole-swingup --json");
  ASSERT_EQ(rc, 0);
  const auto j = nlohmann::json::parse(out);
  ASSERT_EQ(j.size(), 1u);
  EXPECT_EQ(j[0]["episodes"].get<int>(), 2);
  EXPECT_GT(j[0]["steps_per_second"].get<double>(), 0.0);
  const double ret = j[0]["random_return_mean"].get<double>();
  EXPECT_GE(ret, 0.0);
  EXPECT_LE(ret, 1000.0);
  const auto [rc2, out2] =
      run(std::string(CROSSQ_BINARY) + " tasks --measure --task no-such-task");
  EXPECT_EQ(rc2, 2);
  EXPECT_EQ(out2, "");
}

}  // namespace
}  // namespace crossq
