#include "crossq/tasks/measure.h"

#include <chrono>
#include <cmath>
#include <vector>

#include "crossq/core/error.h"
#include "crossq/tasks/env.h"
#include "crossq/tasks/registry.h"

namespace crossq {

TaskMeasurement measure_task(const std::string& name, int episodes, uint64_t seed) {
  if (episodes < 1) throw usage_error("--episodes must be at least 1", "pass e.g. --episodes 10");
  Env env(make_task(name));
  const TaskSpec& sp = env.spec();
  Rng rng(seed);
  std::vector<float> obs(sp.obs_dim), act(sp.act_dim);
  std::vector<double> returns;
  int64_t steps = 0, successes = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int e = 0; e < episodes; ++e) {
    env.reset(rng, obs.data());
    double ret = 0;
    EnvStep r;
    bool solved = false;  // at any step, as MyoSuite's published baselines score it
    do {
      for (int i = 0; i < sp.act_dim; ++i)
        act[i] = static_cast<float>(rng.uniform(sp.act_low[i], sp.act_high[i]));
      r = env.step(act.data(), obs.data());
      ret += r.reward;
      solved = solved || r.success;
      ++steps;
    } while (!r.terminated && !r.truncated);
    successes += solved ? 1 : 0;
    returns.push_back(ret);
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  TaskMeasurement m;
  m.name = name;
  m.episodes = episodes;
  double sum = 0, sq = 0;
  for (double r : returns) sum += r;
  m.random_return_mean = sum / episodes;
  for (double r : returns) sq += (r - m.random_return_mean) * (r - m.random_return_mean);
  m.random_return_std = std::sqrt(sq / episodes);
  m.success_rate = static_cast<double>(successes) / episodes;
  m.steps_per_second = steps / secs;
  return m;
}

}  // namespace crossq
