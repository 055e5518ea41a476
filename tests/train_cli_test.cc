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

#include "crossq/checkpoint.h"

namespace crossq {
namespace {

namespace fs = std::filesystem;

struct Result {
  int status = -1;
  std::string output;  // stdout and stderr
};

Result run(const std::string& args) {
  Result r;
  FILE* p = popen((std::string(CROSSQ_BINARY) + " " + args + " 2>&1").c_str(), "r");
  if (!p) return r;
  std::array<char, 4096> buf;
  size_t n;
  while ((n = fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  const int st = pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

std::string temp_dir(const std::string& name) {
  const fs::path d = fs::temp_directory_path() / ("crossq_cli_" + name + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  return d.string();
}

void write_file(const std::string& path, const std::string& text) {
  std::ofstream f(path);
  f << text;
}

std::string slurp(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

TEST(TrainCli, BadInputFailsAtOnceNamingTheKeyAndWritesNothing) {
  const std::string base = temp_dir("bad");
  fs::create_directories(base);
  write_file(base + "/wrong_type.json", R"({"utd": "five"})");
  write_file(base + "/unknown_key.json", R"({"critic_lrr": 0.1})");
  write_file(base + "/broken.json", R"({"utd": )");
  write_file(base + "/a_file", "x");
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
      {"--config " + base + "/broken.json", "is not valid JSON"},
      {"--config " + base + "/missing.json", "cannot read --config"},
      {"--seeds 3-1", "is not a list of seeds"},
      {"--no-such-flag 1", "no-such-flag"},
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

// a small pendulum run that checkpoints often: tiny networks keep it to a few seconds
const std::string kRunArgs =
    "train --quiet --task pendulum --steps 12000 --warmup 300 --eval-every 1000 --eval-episodes 2 "
    "--log-every 50 --checkpoint-every 1500 --threads 1 --critic-hidden 32 --actor-hidden 32 "
    "--batch-size 32";

std::string run_dir(const std::string& out) {
  for (const auto& e : fs::recursive_directory_iterator(out))
    if (e.path().filename() == "config.json") return e.path().parent_path().string();
  return "";
}

// a CSV without the columns named in `drop` (wall-clock measurements)
std::vector<std::string> csv_without(const std::string& path, const std::vector<std::string>& drop) {
  std::ifstream f(path);
  std::vector<std::string> rows;
  std::vector<bool> keep;
  std::string line;
  while (std::getline(f, line)) {
    std::vector<std::string> cells;
    std::stringstream ss(line);
    std::string cell;
    while (std::getline(ss, cell, ',')) cells.push_back(cell);
    if (!line.empty() && line.back() == ',') cells.push_back("");
    if (keep.empty())
      for (const auto& c : cells) keep.push_back(std::find(drop.begin(), drop.end(), c) == drop.end());
    std::string row;
    for (size_t i = 0; i < cells.size(); ++i)
      if (i >= keep.size() || keep[i]) row += cells[i] + ",";
    rows.push_back(row);
  }
  return rows;
}

void expect_same_run(const std::string& a, const std::string& b) {
  const auto ea = csv_without(a + "/eval.csv", {"wall_time_s"}), eb = csv_without(b + "/eval.csv", {"wall_time_s"});
  const auto ta = csv_without(a + "/train.csv", {"charts/sps"}), tb = csv_without(b + "/train.csv", {"charts/sps"});
  ASSERT_GT(ea.size(), 10u);
  ASSERT_GT(ta.size(), 100u);
  EXPECT_EQ(ea, eb);
  EXPECT_EQ(ta, tb);
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

  // starts a run, waits for its first checkpoint, sends `sig`, returns the exit status
  static int interrupt(const std::string& out, int sig) {
    const pid_t pid = fork();
    if (pid == 0) {
      const int null = open("/dev/null", O_WRONLY);
      dup2(null, 1);
      dup2(null, 2);
      execl("/bin/sh", "sh", "-c", ("exec " + std::string(CROSSQ_BINARY) + " " + kRunArgs + " --out " + out).c_str(),
            static_cast<char*>(nullptr));
      _exit(127);
    }
    // poll for checkpoint.bin; the run takes seconds, the first checkpoint comes early
    const auto t0 = std::chrono::steady_clock::now();
    while (std::chrono::steady_clock::now() - t0 < std::chrono::seconds(60)) {
      const std::string d = fs::exists(out) ? run_dir(out) : "";
      if (!d.empty() && fs::exists(d + "/checkpoint.bin")) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    kill(pid, sig);
    int st = 0;
    waitpid(pid, &st, 0);
    if (WIFSIGNALED(st)) return 128 + WTERMSIG(st);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  }

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
                          " 2>" + out + ".err & pid=$!; while [ -z \"$(find " + out +
                          " -name checkpoint.bin 2>/dev/null)\" ]; do sleep 0.005; done; kill -INT $pid;"
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
