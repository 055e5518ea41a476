// Random-policy return and simulation speed of a task (docs/tasks.md, `crossq tasks --measure`).
#pragma once
#include <cstdint>
#include <string>

namespace crossq {

struct TaskMeasurement {
  std::string name;
  int episodes = 0;
  double random_return_mean = 0.0;  // uniform random actions in the bounds, full episodes
  double random_return_std = 0.0;
  double success_rate = 0.0;        // fraction of episodes with success at any step
  double steps_per_second = 0.0;    // env steps per second of wall time, one thread
};

// runs `episodes` full episodes with uniform random actions (seeded with `seed`)
TaskMeasurement measure_task(const std::string& name, int episodes, uint64_t seed);

}  // namespace crossq
