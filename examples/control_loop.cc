// A control loop that owns the clock, as a robot's does: every tick it reads the "sensors",
// asks the learner for an action, applies it and hands the transition back. The learner trains
// on its own thread (crossq::LearnerMode::kBackground), so a tick never waits for an update.
// A crossq task stands in for the robot.
//
//   control_loop [--task pendulum] [--algo crossq-wn] [--rate 100] [--seconds 30] [--seed 0]
//                [--set key=value ...]
//
// Prints one line per finished episode (its return, the learner's counters and the slowest
// act() so far) and a summary; exit status 1 if a tick overran its period by more than the
// period itself (the loop could not keep its rate).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

#include "crossq/train/config.h"
#include "crossq/core/error.h"
#include "crossq/train/learner.h"
#include "crossq/tasks/env.h"
#include "crossq/tasks/registry.h"

namespace {

struct Options {
  std::string task = "pendulum", algo = "crossq-wn";
  double rate_hz = 100, seconds = 30;
  uint64_t seed = 0;
  std::vector<std::string> sets;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw crossq::usage_error(a + " needs a value", "see the usage at the top of control_loop.cc");
      return argv[++i];
    };
    if (a == "--task") o.task = value();
    else if (a == "--algo") o.algo = value();
    else if (a == "--rate") o.rate_hz = std::stod(value());
    else if (a == "--seconds") o.seconds = std::stod(value());
    else if (a == "--seed") o.seed = std::stoull(value());
    else if (a == "--set") o.sets.push_back(value());
    else throw crossq::usage_error("unknown option " + a, "options: --task --algo --rate --seconds --seed --set");
  }
  if (!(o.rate_hz > 0 && o.rate_hz <= 100000) || !(o.seconds > 0))
    throw crossq::usage_error("--rate must be in (0, 100000] and --seconds positive", "e.g. --rate 100 --seconds 30");
  return o;
}

// maps an action in [-1, 1] to the task's actuator range
void to_task_units(const crossq::TaskSpec& sp, const float* a, float* u) {
  for (int i = 0; i < sp.act_dim; ++i) u[i] = sp.act_low[i] + 0.5f * (a[i] + 1.f) * (sp.act_high[i] - sp.act_low[i]);
}

int run(const Options& o) {
  using Clock = std::chrono::steady_clock;
  // the learner: crossq train's settings for the algorithm and task, plus --set overrides
  nlohmann::json cfg = crossq::default_config(o.algo, o.task);
  cfg["seed"] = o.seed;
  cfg["threads"] = 1;  // one core for the learner, one for this loop
  for (const std::string& s : o.sets) crossq::apply_overrides(cfg, crossq::parse_set(s), "--set " + s);
  // the robot: a crossq task with its time limit
  crossq::Env robot(crossq::make_task(o.task));
  const crossq::TaskSpec& sp = robot.spec();
  crossq::Learner learner(cfg, sp.obs_dim, sp.act_dim, crossq::LearnerMode::kBackground);

  crossq::Rng rng(o.seed);
  std::vector<float> obs(sp.obs_dim), next(sp.obs_dim), a(sp.act_dim), u(sp.act_dim);
  robot.reset(rng, obs.data());
  const auto period = std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(1.0 / o.rate_hz));
  const auto t_end = Clock::now() + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(o.seconds));
  auto next_tick = Clock::now();
  double ret = 0, worst_act_us = 0, worst_late_s = 0;
  int episodes = 0;
  int64_t ticks = 0;
  std::vector<double> returns;
  while (Clock::now() < t_end) {
    const auto t0 = Clock::now();
    learner.act(obs.data(), false, a.data());  // never waits for the learner
    worst_act_us = std::max(worst_act_us, std::chrono::duration<double, std::micro>(Clock::now() - t0).count());
    to_task_units(sp, a.data(), u.data());
    const crossq::EnvStep r = robot.step(u.data(), next.data());
    learner.observe(obs.data(), a.data(), static_cast<float>(r.reward), next.data(), r.terminated, r.truncated);
    ret += r.reward;
    ++ticks;
    if (r.terminated || r.truncated) {
      ++episodes;
      returns.push_back(ret);
      std::printf("episode %3d  return %9.2f  transitions %7lld  updates %7lld  slowest act %.1f us\n", episodes, ret,
                  static_cast<long long>(learner.transitions()), static_cast<long long>(learner.updates()),
                  worst_act_us);
      std::fflush(stdout);
      ret = 0;
      robot.reset(rng, obs.data());
    } else {
      obs.swap(next);
    }
    // the loop keeps its rate: sleep to the next tick
    next_tick += period;
    const auto now = Clock::now();
    if (now > next_tick) worst_late_s = std::max(worst_late_s, std::chrono::duration<double>(now - next_tick).count());
    std::this_thread::sleep_until(next_tick);
  }
  learner.sync();
  std::printf("%lld ticks at %.0f Hz, %d episodes, %lld updates; slowest act %.1f us, worst lateness %.2f ms\n",
              static_cast<long long>(ticks), o.rate_hz, episodes, static_cast<long long>(learner.updates()),
              worst_act_us, 1e3 * worst_late_s);
  return worst_late_s > 1.0 / o.rate_hz ? 1 : 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(parse(argc, argv));
  } catch (const crossq::Error& e) {
    std::fprintf(stderr, "control_loop: error: %s\n  fix: %s\n", e.what(), e.hint().c_str());
    return e.exit_code();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "control_loop: error: %s\n", e.what());
    return 1;
  }
}
