// `crossq train` through the real binary: bad input fails at once (exit 2, one message naming
// the key and the fix, nothing written); a run killed (SIGKILL) or stopped (SIGTERM/SIGINT) and
// resumed writes the same eval.csv and train.csv as the uninterrupted run; divergence exits 3
// and keeps the last good checkpoint.
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "crossq/train/checkpoint.h"
#include "cli_util.h"

namespace crossq {
namespace {

namespace fs = std::filesystem;
using namespace testutil;

TEST(TrainCli, BadInputFailsAtOnceNamingTheKeyAndWritesNothing) {
  const std::string base = temp_dir("bad");
  fs::create_directories(base);
  write_file(base + "/wrong_type.json", R"({"utd": "five"})");
  write_file(base + "/unknown_key.json", R"({"critic_lrr": 0.1})");
  write_file(base + "/broken.json", R"({"utd": )");
  write_file(base + "/a_file", "x");
  write_file(base + "/deep.json", std::string(100000, '[') + std::string(100000, ']'));
  write_file(base + "/task_number.json", R"({"task": 3})");
  // a whole number beyond int64 written as a float (found by fuzz.config under UBSan)
  write_file(base + "/huge.json", R"({"batch_size": 6400000000000000000000000000000000000000})");
  struct Case {
    std::string args, expect;
  };
  const std::vector<Case> cases = {
      {"--set utdd=3", "did you mean 'utd'"},
      {"--utd 0", "'utd' is 0, outside [1, 1000]"},
      {"--utd five", "utd: 'five' is not a number"},
      {"--batch-size 512 --replay-capacity 100", "batch_size 512 is larger than replay_capacity 100"},
      {"--critic-lr=-0.001", "'critic_lr' is -0.001, outside"},
      {"--tau 2", "'tau' is 2, outside [0.0, 1.0]"},
      {"--task nope", "nope"},
      {"--algo nope", "unknown algorithm 'nope'"},
      {"--bn layernorm", "unknown bn 'layernorm'"},
      {"--target-network maybe", "'maybe' is not true or false"},
      {"--config " + base + "/wrong_type.json", "'utd' must be an integer"},
      {"--config " + base + "/unknown_key.json", "did you mean 'critic_lr'"},
      {"--config " + base + "/huge.json", "'batch_size' is 6.4e+39, outside [1, 1000000]"},
      {"--set seed=1e300", "'seed' is 1e+300, outside [0, 9200000000000000000]"},
      {"--steps 2.5", "'steps' must be an integer, got 2.5"},
      {"--config " + base + "/broken.json", "broken.json: not valid JSON"},
      {"--config " + base + "/missing.json", "--config " + base + "/missing.json: cannot read"},
      {"--config " + base, "--config " + base + ": " + base + " is a folder, not a regular file"},
      {"--config " + base + "/deep.json", "nested more than 64 levels deep"},
      {"--config " + base + "/task_number.json", "'task' must be a string"},
      // an empty value is an error naming the flag, never the default
      {"--task ''", "--task: an empty value is not allowed"},
      {"--steps ''", "--steps: an empty value is not allowed"},
      {"--resume ''", "--resume: an empty value is not allowed"},
      {"--seeds ''", "--seeds: an empty value is not allowed"},
      {"--set ''", "--set: an empty value is not allowed"},
      {"--config ''", "--config: an empty value is not allowed"},
      // a replay buffer the machine cannot hold is refused before anything is allocated
      {"--steps 1000000000000 --replay-capacity 10000000000", "more than this machine's"},
      {"--seeds 3-1", "is not a list of seeds"},
      {"--no-such-flag 1", "no-such-flag"},
      {"--task cheetah-run --set myo_done=true", "myo_done applies to the MyoSuite hand tasks (myo-*), not to 'cheetah-run'"},
      {"--task myo-reach --algo tdmpc2 --set myo_done=true", "which tdmpc2 does not train on"},
  };
  for (const Case& c : cases) {
    const std::string out = base + "/out";
    const Result r = run("train --quiet --out " + out + " " + c.args);
    EXPECT_EQ(r.status, 2) << c.args << "\n" << r.output;
    EXPECT_NE(r.output.find(c.expect), std::string::npos) << c.args << "\n" << r.output;
    EXPECT_FALSE(fs::exists(out)) << c.args << " wrote " << out;
    // one message (and its fix), not a stack of errors or a usage dump
    EXPECT_LE(std::count(r.output.begin(), r.output.end(), '\n'), 3) << c.args << "\n" << r.output;
  }
  // --resume of a folder that is not a run
  for (const Case& c : std::vector<Case>{{base + "/nowhere", "no such run folder"}, {base, "holds no checkpoint.bin"}}) {
    const Result r = run("train --quiet --resume " + c.args);
    EXPECT_EQ(r.status, 2) << c.args << "\n" << r.output;
    EXPECT_NE(r.output.find(c.expect), std::string::npos) << c.args << "\n" << r.output;
  }
  // an output folder that cannot be created
  const Result r = run("train --quiet --steps 10 --out " + base + "/a_file/sub");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("cannot write to output folder"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("choose a writable --out"), std::string::npos) << r.output;
  fs::remove_all(base);
}

TEST(TrainCli, AnExistingRunFolderNeedsOverwriteOrResume) {
  const std::string base = temp_dir("exists");
  const std::string dir = base + "/pendulum/crossq-wn/seed0";
  fs::create_directories(dir);
  write_file(dir + "/eval.csv", "keep me\n");
  const Result r = run("train --quiet --out " + base);
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("already exists"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("--overwrite"), std::string::npos) << r.output;
  EXPECT_EQ(slurp(dir + "/eval.csv"), "keep me\n");
  fs::remove_all(base);
}

// the uninterrupted reference run, trained once for the tests below
class ResumeTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ref_out_ = temp_dir("ref");
    const Result r = run(kRunArgs + " --out " + ref_out_);
    ASSERT_EQ(r.status, 0) << r.output;
    ref_dir_ = run_dir(ref_out_);
  }
  static void TearDownTestSuite() { fs::remove_all(ref_out_); }

  static std::string ref_out_, ref_dir_;
};
std::string ResumeTest::ref_out_, ResumeTest::ref_dir_;

TEST_F(ResumeTest, SigkillThenResumeGivesTheSameRun) {
  const std::string out = temp_dir("kill");
  ASSERT_EQ(interrupt(out, SIGKILL), 128 + SIGKILL) << "the run finished before it was killed";
  const std::string dir = run_dir(out);
  // the run stopped part way: fewer evaluations than the reference
  const auto evals = csv_without(dir + "/eval.csv", {});
  EXPECT_LT(evals.size(), csv_without(ref_dir_ + "/eval.csv", {}).size());
  const Result r = run("train --quiet --resume " + dir);
  ASSERT_EQ(r.status, 0) << r.output;
  expect_same_run(ref_dir_, dir);
  // a finished run resumes to nothing and stays the same
  const std::string eval = slurp(dir + "/eval.csv");
  EXPECT_EQ(run("train --quiet --resume " + dir).status, 0);
  EXPECT_EQ(slurp(dir + "/eval.csv"), eval);
  fs::remove_all(out);
}

TEST_F(ResumeTest, SigtermWritesACheckpointExits143AndResumesToTheSameRun) {
  const std::string out = temp_dir("term");
  ASSERT_EQ(interrupt(out, SIGTERM), 143);
  const std::string dir = run_dir(out);
  // settings that would change the run are refused; bookkeeping ones are accepted
  Result r = run("train --quiet --resume " + dir + " --utd 2");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("--utd 2 conflicts with the run being resumed (utd = 1"), std::string::npos) << r.output;
  r = run("train --quiet --resume " + dir + " --seeds 0-1");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("--seeds cannot be combined with --resume"), std::string::npos) << r.output;
  r = run("train --quiet --resume " + dir + " --checkpoint-every 700 --task pendulum --critic-hidden 32");
  ASSERT_EQ(r.status, 0) << r.output;
  expect_same_run(ref_dir_, dir);
  fs::remove_all(out);
}

TEST_F(ResumeTest, SigintPrintsHowToResumeAndExits130) {
  const std::string out = temp_dir("int");
  // through popen to see the message: start in the background, interrupt after a checkpoint
  const std::string cmd = "sh -c '" + std::string(CROSSQ_BINARY) + " " + kRunArgs + " --out " + out +
                          " 2>" + out + ".err & pid=$!; while [ \"$(cat $(find " + out +
                          " -name eval.csv) </dev/null 2>/dev/null | wc -l)\" -lt 3 ]; do sleep 0.005; done; kill -INT $pid;"
                          " wait $pid; echo status=$?'";
  FILE* p = popen(cmd.c_str(), "r");
  ASSERT_NE(p, nullptr);
  std::string text;
  std::array<char, 256> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) text.append(buf.data(), n);
  pclose(p);
  EXPECT_NE(text.find("status=130"), std::string::npos) << text;
  const std::string err = slurp(out + ".err");
  EXPECT_NE(err.find("interrupted by SIGINT at env step"), std::string::npos) << err;
  EXPECT_NE(err.find("crossq train --resume " + run_dir(out)), std::string::npos) << err;
  fs::remove_all(out);
  fs::remove(out + ".err");
}

TEST_F(ResumeTest, CorruptCheckpointIsRefused) {
  const std::string out = temp_dir("corrupt");
  fs::create_directories(out);
  const std::string dir = out + "/run";
  fs::copy(ref_dir_, dir);
  std::string bytes = slurp(dir + "/checkpoint.bin");
  bytes[bytes.size() / 2] ^= 0x40;
  write_file(dir + "/checkpoint.bin", bytes);
  Result r = run("train --quiet --resume " + dir);
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("checksum mismatch in section"), std::string::npos) << r.output;
  write_file(dir + "/checkpoint.bin", bytes.substr(0, bytes.size() / 3));
  r = run("train --quiet --resume " + dir);
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("is invalid"), std::string::npos) << r.output;
  fs::remove_all(out);
}

TEST_F(ResumeTest, NonFiniteStateStopsWithExit3AndKeepsTheLastGoodCheckpoint) {
  // a checkpoint whose BN running statistics of target0 hold a NaN (nothing reads them with
  // plain BN, so only the finiteness check can notice) and whose run has steps left
  const std::string out = temp_dir("nan");
  ASSERT_EQ(interrupt(out, SIGKILL), 128 + SIGKILL);
  const std::string dir = run_dir(out);
  Checkpoint ck = Checkpoint::load(dir + "/checkpoint.bin");
  CheckpointWriter w;
  std::vector<std::string> copies;
  copies.reserve(ck.names().size());
  for (const std::string& name : ck.names()) {
    copies.emplace_back(ck.get(name));
    if (name == "agent/target0.running") {
      const float nan = std::numeric_limits<float>::quiet_NaN();
      std::memcpy(copies.back().data(), &nan, sizeof(nan));
    }
    w.add(name, copies.back().data(), copies.back().size());
  }
  w.write(dir + "/checkpoint.bin");
  const std::string poisoned = slurp(dir + "/checkpoint.bin");
  const Result r = run("train --quiet --resume " + dir);
  EXPECT_EQ(r.status, 3) << r.output;
  EXPECT_NE(r.output.find("training diverged: BN running statistics of target0 hold NaN"), std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("at env step"), std::string::npos) << r.output;
  EXPECT_EQ(slurp(dir + "/checkpoint.bin"), poisoned);  // never replaced by a diverged state
  fs::remove_all(out);
}

}  // namespace
}  // namespace crossq
