// Throughput measurements behind `crossq bench` and bench/ (never in unit tests).
#pragma once
#include <string>

#include <nlohmann/json.hpp>

namespace crossq {

struct UpdateBench {
  int obs_dim = 67, act_dim = 21, hidden = 512, batch = 256, threads = 1;
  double min_seconds = 2.0;  // measure at least this long
  // results
  double ms_per_update = 0;  // one critic update (joint pass, target, backward, AdamW, WN, Polyak)
  double gflop = 0;          // GEMM FLOP of one update, in GFLOP
  double gflops = 0;         // gflop / time
  double gemm_bound_ms = 0;  // the same GEMM shapes alone, same lanes
  int updates = 0;
  nlohmann::json to_json() const;
};

// times CrossQ + WN critic updates at the given size; fills the results
void run_update_bench(UpdateBench& b);

}  // namespace crossq
