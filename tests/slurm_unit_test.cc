// The Slurm backend's pure parts: array index lists, Slurm time limits, squeue/sacct output and
// how a task's Slurm state corrects a run folder's status. tests/slurm/slurm_test.sh runs the
// backend against a real Slurm.
#include <gtest/gtest.h>

#include "crossq/train/slurm.h"

namespace crossq {
namespace {

TEST(Slurm, IndexListsAreRanges) {
  EXPECT_EQ(index_list({0, 1, 2, 3, 5, 7, 8, 9}), "0-3,5,7-9");
  EXPECT_EQ(index_list({4}), "4");
  EXPECT_EQ(index_list({}), "");
  EXPECT_EQ(index_list({1, 3}), "1,3");
}

TEST(Slurm, TimeLimitsInEverySlurmFormat) {
  EXPECT_EQ(slurm_time_seconds("90"), 90 * 60);
  EXPECT_EQ(slurm_time_seconds("10:30"), 10 * 60 + 30);
  EXPECT_EQ(slurm_time_seconds("12:00:00"), 12 * 3600);
  EXPECT_EQ(slurm_time_seconds("2-00"), 48 * 3600);
  EXPECT_EQ(slurm_time_seconds("1-02:03"), (26 * 60 + 3) * 60);
  EXPECT_EQ(slurm_time_seconds("1-02:03:04"), (26 * 60 + 3) * 60 + 4);
  for (const char* bad : {"", "x", "1:2:3:4", "1-", "-5", "1h", "1--2", "12:", ":30", "1-2-3"})
    EXPECT_EQ(slurm_time_seconds(bad), -1) << bad;
}

TEST(Slurm, JobStatesFromSqueueAndSacct) {
  const auto s = parse_job_states("12_0|RUNNING\n12_1|PENDING\n13_4|CANCELLED by 0\ngarbage\n\n14_2|COMPLETED\r\n");
  EXPECT_EQ(s.size(), 4u);
  EXPECT_EQ(s.at("12_0"), "RUNNING");
  EXPECT_EQ(s.at("12_1"), "PENDING");
  EXPECT_EQ(s.at("13_4"), "CANCELLED");
  EXPECT_EQ(s.at("14_2"), "COMPLETED");
}

TEST(Slurm, TaskStatesCorrectTheFolderStatus) {
  using S = RunStatus::State;
  auto status = [](S s) {
    RunStatus r;
    r.state = s;
    return r;
  };
  auto task = [](const char* state) { return SlurmTask{"12_3", state, "/logs/12_3.out"}; };
  EXPECT_EQ(with_slurm(status(S::kDone), task("CANCELLED")).state, S::kDone);
  EXPECT_EQ(with_slurm(status(S::kInterrupted), task("CANCELLED")).state, S::kCancelled);
  EXPECT_EQ(with_slurm(status(S::kWaiting), task("PENDING")).state, S::kWaiting);
  EXPECT_EQ(with_slurm(status(S::kInterrupted), task("PENDING")).state, S::kWaiting);  // requeued
  EXPECT_EQ(with_slurm(status(S::kWaiting), task("RUNNING")).state, S::kRunning);
  EXPECT_EQ(with_slurm(status(S::kInterrupted), task("")).state, S::kInterrupted);    // Slurm does not know
  const RunStatus oom = with_slurm(status(S::kInterrupted), task("OUT_OF_MEMORY"));
  EXPECT_EQ(oom.state, S::kFailed);
  EXPECT_NE(oom.error.find("Slurm ended task 12_3 with OUT_OF_MEMORY; its log: /logs/12_3.out"), std::string::npos);
  RunStatus failed = status(S::kFailed);
  failed.error = "diverged";
  EXPECT_EQ(with_slurm(failed, task("FAILED")).error, "diverged");       // the run's own error stays
  EXPECT_EQ(with_slurm(failed, task("PENDING")).state, S::kWaiting);     // submitted again
}

}  // namespace
}  // namespace crossq
