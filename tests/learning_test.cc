// Learning checks on the built-in pendulum, fixed seeds, no retries:
//  - crossq-wn at UTD 1 reaches a mean eval return of at least -250 by 10,000 env steps on each
//    of 3 seeds. Every setting is the paper's default or the pendulum task's (docs/tasks.md),
//    whose network preset is 64 units. The same again with bf16 products, where they run.
//  - tdmpc2, shrunk to a latent of 64 and 256 planning samples (its defaults plan with 512
//    samples through 512-wide networks), lifts both of 2 seeds from random (about -1200) to
//    above -800 by 4,000 env steps, their mean above -500 (measured: -466 and -120).
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace {

std::vector<std::pair<long, double>> read_eval(const std::string& path) {
  std::ifstream f(path);
  std::string line;
  std::getline(f, line);  // header: env_step,return_mean,...
  std::vector<std::pair<long, double>> rows;
  while (std::getline(f, line)) {
    std::stringstream ss(line);
    std::string step, ret;
    std::getline(ss, step, ',');
    std::getline(ss, ret, ',');
    rows.emplace_back(std::stol(step), std::stod(ret));
  }
  return rows;
}

// crossq-wn on pendulum, 10k env steps, seeds 0-2: every final evaluation at least -250
void crossq_wn_solves_pendulum(const std::string& extra, const std::string& folder) {
  const std::string cmd = std::string(CROSSQ_BINARY) +
                          " train --task pendulum --algo crossq-wn --utd 1 --steps 10000"
                          " --seeds 0-2 --jobs 2 --quiet" + extra + " --out " + folder;
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  for (int seed = 0; seed < 3; ++seed) {
    std::string run;
    for (const auto& e : std::filesystem::directory_iterator(folder + "/pendulum"))
      run = (e.path() / ("seed" + std::to_string(seed))).string();
    const auto rows = read_eval(run + "/eval.csv");
    ASSERT_FALSE(rows.empty());
    EXPECT_EQ(rows.back().first, 10000);
    double best = -1e9;
    for (const auto& [step, ret] : rows) best = std::max(best, ret);
    std::printf("seed %d: first eval %.1f, best %.1f, final (10k steps) %.1f\n", seed,
                rows.front().second, best, rows.back().second);
    EXPECT_GE(rows.back().second, -250.0) << "seed " << seed << " final evaluation";
    EXPECT_LT(rows.front().second, -600.0) << "seed " << seed << ": the first evaluation should still be poor";
  }
}

TEST(Learning, CrossQWnSolvesPendulumWithin10kStepsOnThreeSeeds) {
  // a folder of this process's own, so concurrent test runs never share it
  const auto out = std::filesystem::temp_directory_path() /
                   ("crossq-learning-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(out);
  crossq_wn_solves_pendulum("", out.string());
  std::filesystem::remove_all(out);
}

// the same check with bf16 products (--matmul-precision bf16), where the machine runs them
TEST(Learning, CrossQWnSolvesPendulumWithBf16Products) {
  const std::string probe = std::string(CROSSQ_BINARY) + " bench update --hidden 16 --batch 8 --seconds 0.01"
                            " --matmul-precision bf16 > /dev/null 2>&1";
  if (std::system(probe.c_str()) != 0) GTEST_SKIP() << "no bf16 products on this machine or build";
  const auto out = std::filesystem::temp_directory_path() /
                   ("crossq-learning-bf16-" + std::to_string(::getpid()));
  std::filesystem::remove_all(out);
  crossq_wn_solves_pendulum(" --matmul-precision bf16", out.string());
  std::filesystem::remove_all(out);
}

TEST(Learning, Tdmpc2LearnsPendulumWithin4kStepsOnTwoSeeds) {
  const auto out = std::filesystem::temp_directory_path() /
                   ("crossq-learning-tdmpc2-" + std::to_string(::getpid()));
  std::filesystem::remove_all(out);
  const std::string cmd = std::string(CROSSQ_BINARY) +
                          " train --task pendulum --algo tdmpc2 --steps 4000 --eval-every 4000"
                          " --latent-dim 64 --enc-hidden 64 --batch-size 128 --plan-samples 256"
                          " --plan-elites 32 --plan-pi-trajs 12 --threads 1"
                          " --seeds 0-1 --jobs 2 --quiet --out " +
                          out.string();
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  std::vector<std::string> evals;
  for (const auto& e : std::filesystem::recursive_directory_iterator(out))
    if (e.path().filename() == "eval.csv") evals.push_back(e.path().string());
  std::sort(evals.begin(), evals.end());
  ASSERT_EQ(evals.size(), 2u);
  double sum = 0;
  for (const auto& path : evals) {
    const auto rows = read_eval(path);
    ASSERT_FALSE(rows.empty());
    EXPECT_EQ(rows.back().first, 4000);
    std::printf("%s: final (4k steps) %.1f\n", path.c_str(), rows.back().second);
    EXPECT_GE(rows.back().second, -800.0) << path;
    sum += rows.back().second;
  }
  EXPECT_GE(sum / 2, -500.0) << "the mean over the two seeds";
  std::filesystem::remove_all(out);
}

}  // namespace
