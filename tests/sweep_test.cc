// `crossq sweep` through the binary: plan lists the grid; run trains it into the folders
// `crossq train` would write, skips finished runs on a second call and continues an
// interrupted sweep; status reads the folders and its exit status says whether all finished;
// bad sweep files are refused naming the problem.
#include <gtest/gtest.h>

#include "cli_util.h"
#include "crossq/train/sweep.h"

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
  // published run folders keep their logs, not their checkpoints: still done, never rerun
  for (const auto& e : fs::recursive_directory_iterator(out))
    if (e.path().filename() == "checkpoint.bin") fs::remove(e.path());
  r = run("sweep status " + file);
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("8 of 8 runs done, 0 failed"), std::string::npos) << r.output;
  r = run("sweep run " + file);
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(r.output.find("starting"), std::string::npos) << r.output;
  EXPECT_EQ(slurp(run_dir(out) + "/eval.csv"), eval);
  EXPECT_EQ(run("report " + out + " --out " + dir + "/report").status, 0);
  fs::remove_all(dir);
}

// --runs picks part of the grid by the plan's indices; the rest waits; bad lists are refused
TEST(Sweep, RunsSelectsPartOfTheGridByPlanIndex) {
  const std::string dir = temp_dir("sweep_runs");
  fs::create_directories(dir);
  const std::string out = dir + "/runs", file = sweep_file(dir, out, 600);
  for (const std::string bad : {"8", "3-1", "x", "1,,2", "-1"}) {
    const Result e = run("sweep run " + file + " --runs " + bad);
    EXPECT_EQ(e.status, 2) << bad << ": " << e.output;
    EXPECT_NE(e.output.find("--runs"), std::string::npos) << e.output;
  }
  EXPECT_FALSE(fs::exists(out));  // nothing started
  Result r = run("sweep run " + file + " --runs 1,3 --jobs 2");
  ASSERT_EQ(r.status, 0) << r.output;
  r = run("sweep status " + file);
  EXPECT_EQ(r.status, 4) << r.output;
  EXPECT_NE(r.output.find("2 of 8 runs done"), std::string::npos) << r.output;
  // the same selection for Slurm: only the unfinished among them (none here)
  r = run("sweep run " + file + " --backend slurm --dry-run --runs 1,3");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("nothing to submit"), std::string::npos) << r.output;
  r = run("sweep run " + file + " --backend slurm --dry-run --runs 0-2");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("dry run: 2 runs would be submitted"), std::string::npos) << r.output;
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

// a sweep runner killed (SIGKILL) mid-grid, then run again, completes the grid; every run's
// logs equal those of a sweep that was never interrupted (one thread per run)
TEST(Sweep, AKilledSweepCompletesTheGridAsAnUninterruptedOneWould) {
  const std::string dir = temp_dir("sweep_kill");
  fs::create_directories(dir);
  auto file_for = [&](const std::string& name) {
    const std::string path = dir + "/" + name + ".json";
    write_file(path, R"({"out": ")" + dir + "/" + name + R"(", "tasks": ["pendulum"], "algos": ["crossq-wn", "sac"],
      "seeds": "0-1", "settings": {"steps": 3000, "warmup": 300, "eval_every": 500, "eval_episodes": 1,
      "critic_hidden": 32, "actor_hidden": 32, "batch_size": 32, "checkpoint_every": 500}, "resources": {"cores": 1}})");
    return path;
  };
  const std::string killed = file_for("killed"), whole = file_for("whole");
  const pid_t pid = start("sweep run " + killed + " --jobs 2 --quiet");
  const auto t0 = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - t0 < std::chrono::seconds(60)) {
    const std::string d = fs::exists(dir + "/killed") ? run_dir(dir + "/killed") : "";
    if (!d.empty() && line_count(d + "/eval.csv") >= 3) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  kill(pid, SIGKILL);
  EXPECT_EQ(wait_status(pid), 128 + SIGKILL);
  EXPECT_EQ(run("sweep status " + killed).status, 4);
  Result r = run("sweep run " + killed + " --jobs 2");
  ASSERT_EQ(r.status, 0) << r.output;
  ASSERT_EQ(run("sweep run " + whole + " --jobs 2 --quiet").status, 0);
  int compared = 0;
  for (const auto& e : fs::recursive_directory_iterator(dir + "/whole")) {
    if (e.path().filename() != "eval.csv") continue;
    const std::string b = e.path().parent_path().string();
    const std::string a = dir + "/killed" + b.substr((dir + "/whole").size());
    EXPECT_EQ(csv_without(a + "/eval.csv", {"wall_time_s"}), csv_without(b + "/eval.csv", {"wall_time_s"})) << a;
    EXPECT_EQ(csv_without(a + "/train.csv", {"charts/sps"}), csv_without(b + "/train.csv", {"charts/sps"})) << a;
    EXPECT_EQ(line_count(a + "/eval.csv"), 7) << a;  // env steps 0, 500, ..., 3000
    ++compared;
  }
  EXPECT_EQ(compared, 4);
  fs::remove_all(dir);
}

// the Slurm backend's script, written with --dry-run (no Slurm needed; tests/slurm/slurm_test.sh
// runs it against a real one): one array task per unfinished run, the resources of the sweep
// file, --requeue and the time-limit signal; `sweep task` runs one run by its index
TEST(Sweep, SlurmScriptHoldsTheUnfinishedRunsAndTheResources) {
  const std::string dir = temp_dir("sweep_slurm");
  fs::create_directories(dir);
  const std::string file = dir + "/grid.json";
  write_file(file, R"({"out": ")" + dir + R"(/runs", "tasks": ["pendulum"], "algos": ["crossq-wn", "sac"], "seeds": "0-3",
    "settings": {"steps": 600, "warmup": 200, "eval_every": 300, "eval_episodes": 1, "critic_hidden": 32,
                 "actor_hidden": 32, "batch_size": 32},
    "resources": {"cores": 2, "time": "2:00:00", "partition": "short", "mem": "4G", "sbatch": ["--account=rl"]}})");
  Result r = run("sweep run " + file + " --backend slurm --dry-run --jobs 3");
  ASSERT_EQ(r.status, 0) << r.output;
  for (const char* line : {"#SBATCH --array=0-7%3\n", "#SBATCH --cpus-per-task=2\n", "#SBATCH --time=2:00:00\n",
                           "#SBATCH --partition=short\n", "#SBATCH --mem=4G\n", "#SBATCH --account=rl\n",
                           "#SBATCH --requeue\n", "#SBATCH --signal=B:USR1@300\n", "#SBATCH --open-mode=append\n",
                           "sweep task '", "scontrol requeue"})
    EXPECT_NE(r.output.find(line), std::string::npos) << line << "\n" << r.output;
  EXPECT_NE(r.output.find("#SBATCH --output=" + dir + "/runs/.sweep/logs/%A_%a.out"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("#SBATCH --chdir=" + fs::current_path().string() + "\n"), std::string::npos) << r.output;
  // the script is a valid bash script
  const std::string script = r.output.substr(r.output.find("  sbatch ") + 9, r.output.find(".sbatch") + 7 - r.output.find("  sbatch ") - 9);
  EXPECT_EQ(run("bash -n " + script, false).status, 0) << script;
  // run 5 (as an array task would), then only the other seven are left to submit
  r = run("sweep task " + file + " 5");
  ASSERT_EQ(r.status, 0) << r.output;
  r = run("sweep run " + file + " --backend slurm --dry-run");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("#SBATCH --array=0-4,6-7\n"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("left out: pendulum sac - seed 1: done"), std::string::npos) << r.output;
  r = run("sweep task " + file + " 5");  // done: skipped
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("done, skipped"), std::string::npos) << r.output;
  // refusals: an index out of range, --dry-run without slurm, sbatch missing
  r = run("sweep task " + file + " 8");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("has runs 0 to 7, not 8"), std::string::npos) << r.output;
  EXPECT_EQ(run("sweep run " + file + " --dry-run").status, 2);
  r = run("/usr/bin/env PATH=/nonexistent " + std::string(CROSSQ_BINARY) + " sweep run " + file + " --backend slurm", false);
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("sbatch is not on PATH"), std::string::npos) << r.output;
  fs::remove_all(dir);
}

// a variant may name the algorithms it applies to (the paper's grids: crossq-wn at UTD 1, 2
// and 5, crossq at 1 and 5); the local runner takes the lowest seeds of every cell first
TEST(Sweep, VariantsForSomeAlgosAndSeedMajorOrder) {
  const std::string dir = temp_dir("sweep_valgos");
  fs::create_directories(dir);
  write_file(dir + "/s.json", R"({"out": ")" + dir + R"(/runs", "tasks": ["pendulum"], "algos": ["crossq-wn", "crossq"],
    "seeds": "0-1", "variants": [{"name": "utd1", "settings": {"utd": 1}},
                                 {"name": "utd2", "settings": {"utd": 2}, "algos": ["crossq-wn"]},
                                 {"name": "utd5", "settings": {"utd": 5}}]})");
  const Sweep sw = load_sweep(dir + "/s.json");
  std::vector<std::string> got;
  for (const SweepRun& r : sw.runs) got.push_back(r.algo + "/" + r.variant + "/" + std::to_string(r.seed));
  const std::vector<std::string> plan = {"crossq-wn/utd1/0", "crossq-wn/utd1/1", "crossq-wn/utd2/0", "crossq-wn/utd2/1",
                                         "crossq-wn/utd5/0", "crossq-wn/utd5/1", "crossq/utd1/0",    "crossq/utd1/1",
                                         "crossq/utd5/0",    "crossq/utd5/1"};
  EXPECT_EQ(got, plan);
  std::vector<std::string> ordered;
  for (size_t i : local_order(sw)) ordered.push_back(got[i]);
  const std::vector<std::string> seed_major = {"crossq-wn/utd1/0", "crossq-wn/utd2/0", "crossq-wn/utd5/0", "crossq/utd1/0",
                                               "crossq/utd5/0",    "crossq-wn/utd1/1", "crossq-wn/utd2/1", "crossq-wn/utd5/1",
                                               "crossq/utd1/1",    "crossq/utd5/1"};
  EXPECT_EQ(ordered, seed_major);
  const Result r = run("sweep plan " + dir + "/s.json");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("10 runs -> "), std::string::npos) << r.output;
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
      {"{" + base + R"(, "resources": {"time": "5"}})", "resources.time \"5\" is under 10 minutes"},
      {"{" + base + R"(, "resources": {"time": "1:2:3:4"}})", "is not a Slurm time limit"},
      {"{" + base + R"(, "resources": {"partition": "a b"}})", "resources.partition must be one word"},
      {"{" + base + R"(, "resources": {"mem": "8X"}})", "resources.mem \"8X\" is not a memory size"},
      {"{" + base + R"(, "resources": {"sbatch": ["--array=0-3"]}})", "sets --array, which crossq's script sets itself"},
      {"{" + base + R"(, "resources": {"sbatch": ["qos=low"]}})", "not an sbatch option"},
      {"{" + base + R"(, "resources": {"nodes": 2}})", "resources: unknown key \"nodes\""},
      {"{" + base + R"(, "variants": [{"name": "v", "algos": ["crossq-wn"]}]})",
       "variant v: \"algos\" names \"crossq-wn\", which is not in the grid's \"algos\""},
      {"{" + base + R"(, "variants": [{"name": "v", "algos": []}]})", "variant v: \"algos\" must be a non-empty list"},
      {"{" + base + R"(, "variants": [{"name": "v", "algo": ["sac"]}]})", "variant v: unknown key \"algo\""},
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
