// Run folders that cannot be corrupted (docs/robustness.md), through the real binary: a resume
// checks the checkpoint against the folder and changes nothing when it refuses; a checkpoint's
// settings pass the same validation as flags; a failed log write exits 1 naming the file and
// keeps the last good checkpoint; one process writes a run folder at a time; empty values,
// long values and a policy that produces NaN get their documented exits.
#include <sys/stat.h>

#include <cmath>
#include <cstring>
#include <fstream>
#include <functional>
#include <limits>
#include <map>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "cli_util.h"
#include "crossq/train/checkpoint.h"
#include "crossq/core/error.h"
#include "crossq/train/run_folder.h"

namespace crossq {
namespace {

using namespace testutil;

// every file of a run folder but its lock, by name (a FIFO or other special file by its kind,
// never opened)
std::map<std::string, std::string> snapshot(const std::string& dir) {
  std::map<std::string, std::string> files;
  for (const auto& e : fs::directory_iterator(dir)) {
    if (e.path().filename() == kLockFile) continue;
    files[e.path().filename().string()] = e.is_regular_file() && !e.is_symlink() ? slurp(e.path().string()) : "<special>";
  }
  return files;
}

// rewrites a checkpoint with valid checksums after `edit` changed a section's bytes
template <class Edit>
void rewrite_checkpoint(const std::string& path, Edit edit) {
  const Checkpoint ck = Checkpoint::load(path);
  std::vector<std::string> bytes;
  bytes.reserve(ck.names().size());
  CheckpointWriter w;
  for (const std::string& name : ck.names()) {
    bytes.emplace_back(ck.get(name));
    edit(name, bytes.back());
    w.add(name, bytes.back().data(), bytes.back().size());
  }
  w.write(path);
}

// the reference run, and a run of the same settings killed part way (copied fresh per test)
class RunSafety : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    ref_out_ = temp_dir("safety_ref");
    ASSERT_EQ(run(kRunArgs + " --out " + ref_out_).status, 0);
    ref_dir_ = run_dir(ref_out_);
    killed_out_ = temp_dir("safety_killed");
    ASSERT_EQ(interrupt(killed_out_, SIGKILL), 128 + SIGKILL) << "the run finished before it was killed";
    killed_dir_ = run_dir(killed_out_);
  }
  static void TearDownTestSuite() {
    fs::remove_all(ref_out_);
    fs::remove_all(killed_out_);
  }
  // a fresh copy of the killed run in its own folder
  std::string killed_copy(const std::string& name) {
    const std::string out = temp_dir("safety_" + name);
    fs::create_directories(out);
    const std::string dir = out + "/run";
    fs::copy(killed_dir_, dir);
    outs_.push_back(out);
    return dir;
  }
  void TearDown() override {
    for (const auto& o : outs_) fs::remove_all(o);
  }
  static std::string ref_out_, ref_dir_, killed_out_, killed_dir_;
  std::vector<std::string> outs_;
};
std::string RunSafety::ref_out_, RunSafety::ref_dir_, RunSafety::killed_out_, RunSafety::killed_dir_;

TEST_F(RunSafety, ACheckpointFromAnotherRunIsRefusedAndChangesNothing) {
  // the reference has the same settings and seed but is another run (another run id); a run
  // with another step budget differs in a setting
  const std::string other = temp_dir("safety_other");
  ASSERT_EQ(run(with_flags({{"--steps", "3000"}}) + " --out " + other).status, 0);
  struct Case {
    std::string from, expect;
  };
  for (const Case& c : {Case{ref_dir_, "checkpoint.bin belongs to another run: run_id is"},
                        Case{run_dir(other), "checkpoint.bin belongs to another run: steps is 3000 in checkpoint.bin, "
                                             "12000 in config.json"}}) {
    const std::string dir = killed_copy("foreign");
    fs::copy_file(c.from + "/checkpoint.bin", dir + "/checkpoint.bin", fs::copy_options::overwrite_existing);
    const auto before = snapshot(dir);
    const Result r = run("train --quiet --resume " + dir);
    EXPECT_EQ(r.status, 2) << r.output;
    EXPECT_NE(r.output.find("cannot resume " + dir + ": " + c.expect), std::string::npos) << r.output;
    EXPECT_EQ(snapshot(dir), before) << "a refused resume changed the folder";
  }
  fs::remove_all(other);
}

TEST_F(RunSafety, EditedLogsAndSettingsFilesAreRefusedAndChangeNothing) {
  const std::string dir = killed_copy("edited");
  const auto original = snapshot(dir);
  struct Case {
    std::string what;
    std::function<void()> edit;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {"a byte of eval.csv", [&] {
         std::string e = original.at("eval.csv");
         e[e.find('\n') + 3] ^= 1;  // inside the first evaluation row
         write_file(dir + "/eval.csv", e);
       }, "of eval.csv differ from what the checkpoint recorded"},
      {"train.csv cut short", [&] { write_file(dir + "/train.csv", original.at("train.csv").substr(0, 10)); },
       "train.csv holds 10 bytes, the checkpoint recorded"},
      {"eval.csv replaced by a FIFO", [&] {
         fs::remove(dir + "/eval.csv");
         ASSERT_EQ(::mkfifo((dir + "/eval.csv").c_str(), 0644), 0);
       }, "eval.csv is a FIFO (named pipe), not a regular file"},
      {"config.json removed", [&] { fs::remove(dir + "/config.json"); }, "config.json: cannot read"},
      {"config.json of another setting", [&] {
         nlohmann::json c = nlohmann::json::parse(original.at("config.json"));
         c["utd"] = 3;
         write_file(dir + "/config.json", c.dump(2));
       }, "belongs to another run: utd is 1 in checkpoint.bin, 3 in config.json"},
  };
  for (const Case& c : cases) {
    c.edit();
    const auto before = snapshot(dir);
    const Result r = run("timeout 60 " + std::string(CROSSQ_BINARY) + " train --quiet --resume " + dir, false);
    EXPECT_EQ(r.status, 2) << c.what << "\n" << r.output;
    EXPECT_NE(r.output.find(c.expect), std::string::npos) << c.what << "\n" << r.output;
    EXPECT_EQ(snapshot(dir), before) << c.what << ": a refused resume changed the folder";
    // put the folder back as it was
    for (const auto& e : fs::directory_iterator(dir))
      if (e.path().filename() != kLockFile) fs::remove(e.path());
    for (const auto& [name, text] : original) write_file(dir + "/" + name, text);
  }
  // the refusals changed nothing: the restored folder resumes to the reference run
  const Result r = run("train --quiet --resume " + dir);
  ASSERT_EQ(r.status, 0) << r.output;
  expect_same_run(ref_dir_, dir);
}

TEST_F(RunSafety, ACheckpointsSettingsPassTheSameChecksAsFlags) {
  // edited settings with recomputed checksums: each once crashed (SIGSEGV, SIGFPE) or hung
  struct Case {
    std::string key;
    nlohmann::json value;
    std::string expect;
  };
  const std::vector<Case> cases = {
      {"batch_size", 0, "'batch_size' is 0, outside [1, 1000000]"},
      {"log_every", 0, "'log_every' is 0, outside"},
      {"action_repeat", 0, "'action_repeat' is 0, outside"},
      {"eval_every", 0, "'eval_every' is 0, outside"},
      {"checkpoint_every", -5, "'checkpoint_every' is -5, outside"},
      {"steps", "many", "'steps' must be an integer"},
      {"task", "../../etc", "../../etc"},
      {"critic_lrr", 0.1, "unknown setting 'critic_lrr'"},
      {"replay_capacity", 5, "batch_size 32 is larger than replay_capacity 5"},
  };
  for (const Case& c : cases) {
    const std::string dir = killed_copy("settings");
    rewrite_checkpoint(dir + "/checkpoint.bin", [&](const std::string& name, std::string& bytes) {
      if (name != "config") return;
      nlohmann::json cfg = nlohmann::json::parse(bytes);
      cfg[c.key] = c.value;
      bytes = cfg.dump();
    });
    const auto before = snapshot(dir);
    const Result r = run("timeout 60 " + std::string(CROSSQ_BINARY) + " train --quiet --resume " + dir, false);
    EXPECT_EQ(r.status, 2) << c.key << "\n" << r.output;
    EXPECT_NE(r.output.find(c.expect), std::string::npos) << c.key << "\n" << r.output;
    EXPECT_NE(r.output.find("the settings in checkpoint"), std::string::npos) << c.key << "\n" << r.output;
    EXPECT_EQ(snapshot(dir), before) << c.key;
  }
}

// a run written before later settings existed (no matmul_precision, no myo_done in its
// checkpoint or its config.json) resumes with the values it ran with, to the same run
TEST_F(RunSafety, ARunWrittenBeforeLaterSettingsExistedResumesToTheSameRun) {
  const std::string dir = killed_copy("old_settings");
  const char* later[] = {"matmul_precision", "myo_done"};
  rewrite_checkpoint(dir + "/checkpoint.bin", [&](const std::string& name, std::string& bytes) {
    if (name != "config") return;
    nlohmann::json cfg = nlohmann::json::parse(bytes);
    for (const char* k : later) cfg.erase(k);
    bytes = cfg.dump();
  });
  nlohmann::json folder;
  {
    std::ifstream f(dir + "/config.json");
    folder = nlohmann::json::parse(f);
  }
  for (const char* k : later) folder.erase(k);
  std::ofstream(dir + "/config.json") << folder.dump(2) << "\n";
  const Result r = run("timeout 120 " + std::string(CROSSQ_BINARY) + " train --quiet --resume " + dir, false);
  ASSERT_EQ(r.status, 0) << r.output;
  expect_same_run(ref_dir_, dir);
}

TEST_F(RunSafety, ResumingWithCheckpointEveryZeroFinishesTheRun) {
  const std::string dir = killed_copy("ck0");
  const Result r = run("timeout 120 " + std::string(CROSSQ_BINARY) + " train --quiet --resume " + dir +
                           " --checkpoint-every 0",
                       false);
  ASSERT_EQ(r.status, 0) << r.output;
  expect_same_run(ref_dir_, dir);
}

TEST_F(RunSafety, ANonFinitePolicyExits3AndChangesNothing) {
  // NaN actor weights are refused before the folder changes; finite but huge ones (the forward
  // pass overflows) stop the run at its first update, keeping the checkpoint
  for (const float poison : {std::numeric_limits<float>::quiet_NaN(), 3e38f}) {
    const std::string dir = killed_copy("nan_policy");
    rewrite_checkpoint(dir + "/checkpoint.bin", [&](const std::string& name, std::string& bytes) {
      if (name != "agent/actor.w") return;
      for (size_t i = 0; i + 4 <= bytes.size(); i += 4) {
        const float x = (i / 4) % 2 ? poison : -poison;
        std::memcpy(bytes.data() + i, &x, 4);
      }
    });
    const auto before = snapshot(dir);
    const Result r = run("train --quiet --resume " + dir);
    EXPECT_EQ(r.status, 3) << r.output;
    EXPECT_NE(r.output.find("training diverged: "), std::string::npos) << r.output;
    EXPECT_EQ(slurp(dir + "/checkpoint.bin"), before.at("checkpoint.bin"));
    if (std::isnan(poison)) {
      EXPECT_NE(r.output.find("parameters of actor hold NaN"), std::string::npos) << r.output;
      EXPECT_EQ(snapshot(dir), before);
    }
  }
}

TEST_F(RunSafety, AFailedLogWriteExits1NamingTheFileAndKeepsTheLastGoodCheckpoint) {
  // a file-size limit makes train.csv's writes fail (EFBIG, as a full disk gives ENOSPC) after
  // the first checkpoint (at step 0, about 170 kB) and before the run's end
  const std::string out = temp_dir("safety_fsize");
  outs_.push_back(out);
  const std::string args = with_flags({{"--log-every", "1"}, {"--checkpoint-every", "0"}}) + " --out " + out;
  const Result r = run("bash -c 'ulimit -f 300; exec " + std::string(CROSSQ_BINARY) + " " + args + "'", false);
  EXPECT_EQ(r.status, 1) << r.output;
  const std::string dir = run_dir(out);
  EXPECT_NE(r.output.find("cannot write " + dir + "/train.csv"), std::string::npos) << r.output;
  // the last good checkpoint is the one of step 0, whole
  const Checkpoint ck = Checkpoint::load(dir + "/checkpoint.bin");
  int64_t env_step = -1;
  std::memcpy(&env_step, ck.get("loop.counters").data(), sizeof(env_step));
  EXPECT_EQ(env_step, 0);
  // with the limit gone the run resumes from it and finishes
  const Result again = run("train --quiet --resume " + dir);
  ASSERT_EQ(again.status, 0) << again.output;
  EXPECT_EQ(line_count(dir + "/eval.csv"), line_count(ref_dir_ + "/eval.csv"));
}

TEST(RunSafetyReplay, AResumeAfterTheReplayRingWrapsGivesTheSameRun) {
  // 2000 slots for 12000 transitions: the ring has wrapped several times when the run is killed
  const std::string args = with_flags({{"--replay-capacity", "2000"}});
  const std::string ref = temp_dir("wrap_ref"), out = temp_dir("wrap_killed");
  ASSERT_EQ(run(args + " --out " + ref).status, 0);
  ASSERT_EQ(interrupt(out, SIGKILL, 7, args), 128 + SIGKILL) << "the run finished before it was killed";
  const std::string dir = run_dir(out);
  const Checkpoint ck = Checkpoint::load(dir + "/checkpoint.bin");
  int64_t transitions = 0;  // learner.counters[0]
  std::memcpy(&transitions, ck.get("learner.counters").data(), sizeof(transitions));
  EXPECT_GT(transitions, 4000) << "the checkpoint was written before the ring wrapped";
  const Result r = run("train --quiet --resume " + dir);
  ASSERT_EQ(r.status, 0) << r.output;
  expect_same_run(run_dir(ref), dir);
  fs::remove_all(ref);
  fs::remove_all(out);
}

TEST(RunSafetyLanes, AResumeOnTwoLanesGivesTheSameRun) {
  // each critic on its own lane: killed and resumed, the run equals the uninterrupted one
  const std::string args = with_flags({{"--threads", "2"}});
  const std::string ref = temp_dir("lanes_ref"), out = temp_dir("lanes_killed");
  ASSERT_EQ(run(args + " --out " + ref).status, 0);
  ASSERT_EQ(interrupt(out, SIGKILL, 5, args), 128 + SIGKILL) << "the run finished before it was killed";
  const Result r = run("train --quiet --resume " + run_dir(out));
  ASSERT_EQ(r.status, 0) << r.output;
  expect_same_run(run_dir(ref), run_dir(out));
  fs::remove_all(ref);
  fs::remove_all(out);
}

TEST(RunFolder, ALogWriteToAFullDeviceThrowsNamingTheFile) {
  try {
    CsvLog::create("/dev/full", "a,b\n");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_EQ(e.exit_code(), kExitRuntime);
    EXPECT_NE(std::string(e.what()).find("cannot write /dev/full: No space left on device"), std::string::npos)
        << e.what();
  }
}

TEST_F(RunSafety, OneProcessWritesARunFolderAtATime) {
  // a long run holds its folder; a second resume or an --overwrite of it is refused, naming
  // the holder, and the folder keeps its files
  const std::string out = temp_dir("safety_lock");
  outs_.push_back(out);
  const std::string args = with_flags({{"--steps", "2000000"}}) + " --out " + out;
  const pid_t holder = start(args);
  std::string dir;
  const auto t0 = std::chrono::steady_clock::now();
  while (std::chrono::steady_clock::now() - t0 < std::chrono::seconds(60)) {
    dir = fs::exists(out) ? run_dir(out) : "";
    if (!dir.empty() && line_count(dir + "/eval.csv") >= 2) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_FALSE(dir.empty());
  Result r = run("train --quiet --resume " + dir);
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("run folder " + dir + " is in use by another process (pid " + std::to_string(holder)),
            std::string::npos)
      << r.output;
  r = run(args + " --overwrite");
  EXPECT_EQ(r.status, 2) << r.output;
  EXPECT_NE(r.output.find("is in use by another process"), std::string::npos) << r.output;
  EXPECT_GE(line_count(dir + "/eval.csv"), 2) << "--overwrite cleared a folder another process writes";
  // the kernel releases the lock of a killed process: the folder can be taken at once
  kill(holder, SIGKILL);
  EXPECT_EQ(wait_status(holder), 128 + SIGKILL);
  EXPECT_TRUE(RunLock::acquire(dir).held());
}

TEST_F(RunSafety, LongSettingValuesGetAShortStableFolderName) {
  std::string steps;
  for (int k = 1; k <= 60; ++k) steps += (steps.empty() ? "" : ",") + std::to_string(100000 + k * 1000);
  const std::string out = temp_dir("safety_long");
  outs_.push_back(out);
  const Result r = run("train --quiet --task pendulum --steps 200 --warmup 100 --critic-hidden 8 --actor-hidden 8 "
                       "--batch-size 8 --threads 1 --reset-steps " + steps + " --out " + out);
  ASSERT_EQ(r.status, 0) << r.output;
  const std::string group = fs::path(run_dir(out)).parent_path().filename().string();
  EXPECT_LT(group.size(), 200u) << group;
  EXPECT_NE(group.find("_reset_steps=h"), std::string::npos) << group;
  // the same value always gives the same name
  EXPECT_NE(group.find("_reset_steps=h" + short_hash(steps)), std::string::npos) << group;
}

}  // namespace
}  // namespace crossq
