// When to reset every parameter (SR-SAC, D'Oro et al. 2023: every 80k env steps; BRO, Nauman et al. 2024: BRO at 15k, 50k, 250k,
// 500k, 750k). A reset is due at the first agent step whose env-step count reaches a scheduled
// step; with action repeat 1 that is exactly the scheduled step. Points passed within one
// agent step (action repeat larger than their gap) cause one reset, not several.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace crossq {

class ResetSchedule {
 public:
  // `every`: period in env steps (0: none); `steps`: explicit env steps, any order
  ResetSchedule(int64_t every, std::vector<int64_t> steps);
  // true when a reset is due at `env_step` (call once per agent step, env_step increasing)
  bool due(int64_t env_step);

 private:
  int64_t every_, next_periodic_;
  std::vector<int64_t> steps_;  // sorted, unique
  size_t next_listed_ = 0;
};

// parses "15000,50000,250000" (spaces allowed; "" is empty); throws a usage error naming the bad
// entry
std::vector<int64_t> parse_reset_steps(const std::string& text);

}  // namespace crossq
