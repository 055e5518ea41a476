// `crossq sweep` through the binary: plan lists the grid; run trains it into the folders
// `crossq train` would write, skips finished runs on a second call and continues an
// interrupted sweep; status reads the folders and its exit status says whether all finished;
// bad sweep files are refused naming the problem.
#include <gtest/gtest.h>

#include "cli_util.h"

namespace crossq {
namespace {

using namespace testutil;

std::string sweep_file(const std::string& dir, const std::string& out, int steps) {
  const std::string path = dir + "/sweep.json";
  write_file(path, R"({"out": ")" + out + R"(", "tasks": ["pendulum"], "algos": ["crossq-wn", "sac"], "seeds": "0-1",
    "settings": {"steps": )" + std::to_string(steps) + R"(, "warmup": 300, "eval_every": 500, "eval_episodes": 1,
                 "critic_hidden": 32, "actor_hidden": 32, "batch_size": 32, "checkpoint_every": 500},
    "variants": [{"name": "utd1", "settings": {"utd": 1}}, {"name": "utd2", "settings": {"utd": 2}}]})");
  return path;
}

TEST(Sweep, PlanRunSkipAndStatus) {
  const std::string dir = temp_dir("sweep");
  fs::create_directories(dir);
  const std::string out = dir + "/runs", file = sweep_file(dir, out, 1500);
  Result r = run("sweep plan " + file);
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("8 runs -> " + out), std::string::npos) << r.output;
  // before: every run waits (exit 4)
  EXPECT_EQ(run("sweep status " + file).status, 4);
  r = run("sweep run " + file + " --jobs 2");
  ASSERT_EQ(r.status, 0) << r.output;
  r = run("sweep status " + file);
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("8 of 8 runs done, 0 failed"), std::string::npos) << r.output;
  // the folders are crossq train's: the same settings give the same folder name
  EXPECT_TRUE(fs::exists(out + "/pendulum/crossq-wn_warmup=300_eval_every=500_eval_episodes=1_utd=2_batch_size=32_"
                               "critic_hidden=32_actor_hidden=32/seed1/eval.csv"));
  // a second call finds everything done and changes nothing
  const std::string eval = slurp(run_dir(out) + "/eval.csv");
  r = run("sweep run " + file);
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("done, skipped"), std::string::npos) << r.output;
  EXPECT_EQ(slurp(run_dir(out) + "/eval.csv"), eval);
  EXPECT_EQ(run("report " + out + " --out " + dir + "/report").status, 0);
  fs::remove_all(dir);
}

TEST(Sweep, AnInterruptedSweepContinuesWhereItStopped) {
  const std::string dir = temp_dir("sweep_int");
  fs::create_directories(dir);
  const std::string out = dir + "/runs", file = sweep_file(dir, out, 20000);
  const pid_t pid = start("sweep run " + file + " --jobs 2 --quiet");
  // wait for the first checkpoints after step 0, then Ctrl-C
  const auto t0 = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - t0 < std::chrono::seconds(60)) {
    const std::string d = fs::exists(out) ? run_dir(out) : "";
    if (!d.empty() && line_count(d + "/eval.csv") >= 3) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill(pid, SIGINT);
  EXPECT_EQ(wait_status(pid), 130);
  Result r = run("sweep status " + file);
  EXPECT_EQ(r.status, 4) << r.output;
  EXPECT_NE(r.output.find("interrupted"), std::string::npos) << r.output;
  r = run("sweep run " + file + " --jobs 2");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("resuming at env step"), std::string::npos) << r.output;
  EXPECT_EQ(run("sweep status " + file).status, 0);
  fs::remove_all(dir);
}

TEST(Sweep, BadSweepFilesAreRefusedNamingTheProblem) {
  const std::string dir = temp_dir("sweep_bad");
  fs::create_directories(dir);
  const std::string base = R"("out": ")" + dir + R"(/runs", "tasks": ["pendulum"], "algos": ["sac"], "seeds": [0])";
  struct Case {
    std::string body, expect;
  };
  const std::vector<Case> cases = {
      {"{" + base + R"(, "seedz": 1})", "unknown key \"seedz\""},
      {R"({"out": "x", "tasks": ["nope"], "algos": ["sac"], "seeds": [0]})", "unknown task 'nope'"},
      {R"({"out": "x", "tasks": [], "algos": ["sac"], "seeds": [0]})", "\"tasks\" must be a non-empty list"},
      {"{" + base + R"(, "variants": [{"name": "a"}, {"name": "a"}]})", "two variants are named a"},
      {"{" + base + R"(, "variants": [{"name": "a", "settings": {"utd": 2}}, {"name": "b", "settings": {"utd": 2}}]})",
       "resolve to one folder"},
      {"{" + base + R"(, "settings": {"utd": 0}})", "'utd' is 0, outside"},
      {"{" + base + R"(, "variants": [{"name": "v", "settings": {"critic_lrr": 1}}]})", "variant v: unknown setting 'critic_lrr'"},
      {R"({"tasks": ["pendulum"], "algos": ["sac"], "seeds": [0]})", "no \"out\" folder"},
  };
  for (const Case& c : cases) {
    write_file(dir + "/s.json", c.body);
    const Result r = run("sweep plan " + dir + "/s.json");
    EXPECT_EQ(r.status, 2) << c.body << "\n" << r.output;
    EXPECT_NE(r.output.find(c.expect), std::string::npos) << c.body << "\n" << r.output;
  }
  EXPECT_EQ(run("sweep run " + dir + "/s.json --backend cloud").status, 2);
  EXPECT_FALSE(fs::exists(dir + "/runs"));
  fs::remove_all(dir);
}

}  // namespace
}  // namespace crossq
