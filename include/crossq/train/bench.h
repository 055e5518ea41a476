// Throughput measurements behind `crossq bench` and bench/ (never in unit tests).
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace crossq {

struct UpdateBench {
  // crossq-wn: one critic update at hidden / batch (the paper's size by default). Any other
  // algorithm but tdmpc2: one whole agent update (critics, actor, temperature) at the
  // algorithm's default sizes (hidden and batch are then the algorithm's, filled in)
  std::string algo = "crossq-wn";
  int obs_dim = 67, act_dim = 21, hidden = 512, batch = 256, threads = 1;
  std::string precision = "fp32";  // of the products: fp32 | bf16
  double min_seconds = 2.0;  // measure at least this long
  // results
  double ms_per_update = 0;  // one critic update (joint pass, target, backward, AdamW, WN, Polyak)
  double gflop = 0;          // GEMM FLOP of one update, in GFLOP
  double gflops = 0;         // gflop / time
  double gemm_bound_ms = 0;  // the same GEMM shapes alone, same lanes
  int products = 0;          // GEMM calls per update (what each lane runs)
  int updates = 0;
  nlohmann::json to_json() const;
};

// times updates of b.algo; fills the results. The GEMM bound: crossq-wn's update's shapes
// (the actor's on lane 0, then a critic's per lane); for other algorithms, the products one
// updates ran, recorded (GemmRecording) over six consecutive updates (so that policy delays
// average out) and replayed alone, each lane's in order, both lanes at once (no
// synchronization between them: a lower bound)
void run_update_bench(UpdateBench& b);

struct LoopBench {
  std::string task = "pendulum";
  std::string algo = "crossq-wn";
  int64_t steps = 3000;   // env steps measured after warm-up
  int64_t warmup = 500;   // transitions of random actions first (not timed separately)
  int threads = 2;
  int utd = 1;
  std::string precision = "fp32";
  // results
  double env_steps_per_s = 0;    // whole loop, learning phase included
  double total_s = 0, update_s = 0;
  double outside_fraction = 0;   // share of wall time outside agent updates
  nlohmann::json to_json() const;
};

// runs the real trainer (paper-size networks, algorithm defaults) into a temporary folder
void run_loop_bench(LoopBench& b);

struct ActBench {
  std::string task = "cheetah-run";
  std::string algo = "crossq-wn";
  int64_t samples = 20000;  // act() calls timed
  int64_t backlog = 2000;   // transitions queued past warm-up before timing: the learner's work
  int threads = 1;          // learner lanes (the control thread needs the other core)
  // results, in microseconds
  double inline_median_us = 0, inline_p999_us = 0;  // act() of an inline learner, no updates
  double median_us = 0, p99_us = 0, p999_us = 0, max_us = 0;  // with the background learner busy
  int64_t updates_during = 0;  // updates the learner ran while act() was timed
  double timed_s = 0;
  nlohmann::json to_json() const;
};

// times Learner::act: inline, then in background mode while the learner thread works through
// a backlog of updates (the robot's situation: the control loop must never wait)
void run_act_bench(ActBench& b);

struct Tdmpc2Bench {
  std::string task = "cheetah-run";  // the model's sizes: TD-MPC2's defaults on this task
  int threads = 2;
  std::string precision = "fp32";
  double min_seconds = 3.0;  // measure each figure at least this long
  // results
  double update_ms = 0;      // one update: model losses, backward, Adam, policy prior, targets
  double plan_ms = 0;        // one agent step's planning (MPPI), training mode
  double plan_eval_ms = 0;   // the same in evaluation mode
  // the products of an update and of a planning step alone (recorded, replayed on the same
  // lanes), and their GFLOP
  double update_bound_ms = 0, update_gflop = 0, plan_bound_ms = 0, plan_gflop = 0;
  int64_t parameters = 0;
  int updates = 0, plans = 0;
  nlohmann::json to_json() const;
};

// times TD-MPC2's update and its planning per agent step at the default (5M) size
void run_tdmpc2_bench(Tdmpc2Bench& b);

}  // namespace crossq
