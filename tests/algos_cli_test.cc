// `crossq algos`: every algorithm with the parameter count of the agent it builds.
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "crossq/train/config.h"
#include "crossq/tasks/registry.h"
#include "crossq/train/trainer.h"

namespace crossq {
namespace {

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

TEST(AlgosCli, JsonCountsTheParametersOfEachAgent) {
  const auto [rc, out] = run(std::string(CROSSQ_BINARY) + " algos --task pendulum --json");
  ASSERT_EQ(rc, 0);
  const auto j = nlohmann::json::parse(out);
  ASSERT_EQ(j.size(), algo_names().size());
  for (const auto& a : j) {
    // the two 8.6M-parameter agents are skipped to keep the test fast; one large one is enough
    if (a["algo"] == "crossq" || a["algo"] == "simba") continue;
    nlohmann::json cfg = default_config(a["algo"], "pendulum");
    cfg["threads"] = 1;
    Rng rng(0);
    const int64_t want = make_agent(to_run_config(cfg, task_spec("pendulum")), rng)->num_parameters();
    EXPECT_EQ(a["parameters"].get<int64_t>(), want) << a["algo"];
  }
  EXPECT_EQ(run(std::string(CROSSQ_BINARY) + " algos --task nope").first, 2);
}

}  // namespace
}  // namespace crossq
