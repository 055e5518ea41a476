#include "crossq/train/bench.h"

#include <algorithm>

#include <unistd.h>

#include <chrono>
#include <vector>

#include <filesystem>

#include "crossq/agents/crossq_agent.h"
#include "crossq/agents/tdmpc2_agent.h"
#include "crossq/train/config.h"
#include "crossq/train/learner.h"
#include "crossq/tasks/env.h"
#include "crossq/tasks/registry.h"
#include "crossq/train/trainer.h"
#include "crossq/nn/gemm.h"
#include "crossq/core/parallel.h"
#include "crossq/core/error.h"

namespace crossq {

namespace {

using Clock = std::chrono::steady_clock;

struct Shape {
  bool ta, tb;
  int M, N, K;
};

// the GEMM calls of one critic's share of a critic update, in order (layers.h, mlp.cc)
std::vector<Shape> critic_shapes(int R, int D, int H) {
  std::vector<Shape> s;
  for (int pass = 0; pass < 2; ++pass) {  // target forward, online forward
    s.push_back({false, true, R, H, D});
    s.push_back({false, true, R, H, H});
    s.push_back({false, true, R, 1, H});
  }
  s.push_back({false, false, R, H, 1});  // out: din
  s.push_back({true, false, 1, H, R});   // out: dW
  s.push_back({false, false, R, H, H});  // l1: din
  s.push_back({true, false, H, H, R});   // l1: dW
  s.push_back({false, false, R, D, H});  // l0: din (feeds the input BN's gradients)
  s.push_back({true, false, H, D, R});   // l0: dW
  return s;
}

std::vector<Shape> actor_shapes(int B, int O, int Ha, int A) {
  return {{false, true, B, Ha, O}, {false, true, B, Ha, Ha}, {false, true, B, 2 * A, Ha}};
}

double flop(const std::vector<Shape>& v) {
  double f = 0;
  for (const auto& s : v) f += 2.0 * s.M * s.N * s.K;
  return f;
}

struct GemmSet {
  std::vector<Shape> shapes;
  std::vector<std::vector<float>> a, b, c;
  explicit GemmSet(std::vector<Shape> s) : shapes(std::move(s)) {
    for (const auto& x : shapes) {
      a.emplace_back(static_cast<size_t>(x.M) * x.K, 0.01f);
      b.emplace_back(static_cast<size_t>(x.K) * x.N, 0.01f);
      c.emplace_back(static_cast<size_t>(x.M) * x.N, 0.f);
    }
  }
  void run() {
    for (size_t i = 0; i < shapes.size(); ++i) {
      const Shape& s = shapes[i];
      gemm(s.ta, s.tb, s.M, s.N, s.K, 1.f, a[i].data(), s.ta ? s.M : s.K, b[i].data(),
           s.tb ? s.K : s.N, 0.f, c[i].data(), s.N);
    }
  }
};

}  // namespace

nlohmann::json UpdateBench::to_json() const {
  return {{"algo", algo}, {"obs_dim", obs_dim}, {"act_dim", act_dim}, {"hidden", hidden}, {"batch", batch}, {"products", products},
          {"threads", threads}, {"gemm_backend", gemm_backend()}, {"gemm_detail", gemm_detail()},
          {"matmul_precision", precision}, {"updates", updates},
          {"ms_per_update", ms_per_update}, {"gflop_per_update", gflop}, {"gflops", gflops},
          {"gemm_bound_ms", gemm_bound_ms},
          {"update_over_gemm_bound", gemm_bound_ms > 0 ? ms_per_update / gemm_bound_ms : 0.0}};
}

namespace {

// The GEMM-only bound of recorded products: each lane's in order, both lanes at once, in the
// thread's current precision; ms per `per` of the recording (min_seconds of measuring). Also
// the recording's GFLOP per `per`.
struct RecordedBound {
  double ms = 0, gflop = 0;
  int products = 0;
};
RecordedBound replay_bound(const std::vector<GemmCall>& calls, int per, int threads, double min_seconds) {
  std::vector<Shape> per_lane[2];
  double f = 0;
  for (const GemmCall& c : calls) {
    per_lane[c.lane == 1 ? 1 : 0].push_back({c.trans_a, c.trans_b, c.M, c.N, c.K});
    f += 2.0 * c.M * c.N * c.K;
  }
  GemmSet sets[2] = {GemmSet(per_lane[0]), GemmSet(per_lane[1])};
  LanePair lanes(threads, &gemm_set_single_threaded);
  auto lane_job = [&](int i) { sets[i].run(); };
  for (int i = 0; i < 2; ++i) lanes.run(lane_job);
  int m = 0;
  const auto t0 = Clock::now();
  double el = 0;
  while (el < min_seconds || m < 3) {
    lanes.run(lane_job);
    ++m;
    el = std::chrono::duration<double>(Clock::now() - t0).count();
  }
  return {1e3 * el / m / per, f * 1e-9 / per, static_cast<int>(calls.size()) / per};
}

// one whole update of any agent but TD-MPC2, at the algorithm's default sizes
void run_agent_update_bench(UpdateBench& b) {
  if (b.algo == "tdmpc2")
    throw usage_error("crossq bench update --algo tdmpc2: TD-MPC2 has its own benchmark", "run `crossq bench tdmpc2`");
  nlohmann::json cfg = default_config(b.algo, "cheetah-run");  // the algorithm's paper-size defaults
  cfg["threads"] = b.threads;
  cfg["matmul_precision"] = b.precision;
  validate_config(cfg);
  TaskSpec ts;
  ts.name = "bench";
  ts.obs_dim = b.obs_dim;
  ts.act_dim = b.act_dim;
  ts.act_low.assign(static_cast<size_t>(b.act_dim), -1.f);
  ts.act_high.assign(static_cast<size_t>(b.act_dim), 1.f);
  const RunConfig rc = to_run_config(cfg, ts);
  Rng rng(1);
  std::unique_ptr<Agent> agent = make_agent(rc, rng);
  agent->set_collect_dead_fraction(false);
  b.batch = static_cast<int>(cfg["batch_size"].get<int64_t>());
  b.hidden = static_cast<int>(cfg["critic_hidden"].get<int64_t>());
  Batch batch(b.batch, b.obs_dim, b.act_dim);
  for (auto& x : batch.obs) x = static_cast<float>(rng.normal());
  for (auto& x : batch.next_obs) x = static_cast<float>(rng.normal());
  for (auto& x : batch.act) x = static_cast<float>(rng.uniform(-1, 1));
  for (auto& x : batch.reward) x = static_cast<float>(rng.uniform());
  for (int i = 0; i < b.batch; ++i) agent->observe(&batch.obs[static_cast<size_t>(i) * b.obs_dim]);
  for (int i = 0; i < 3; ++i) agent->update(batch, rng);  // warm caches
  // the products of kRecorded consecutive updates (a multiple of every policy delay the
  // algorithms use: 1, 2, 3), so the bound averages over updates with and without an actor step
  constexpr int kRecorded = 6;
  std::vector<GemmCall> calls;
  {
    GemmRecording rec;
    for (int i = 0; i < kRecorded; ++i) agent->update(batch, rng);
    calls = rec.calls();
  }
  int n = 0;
  const auto t0 = Clock::now();
  double el = 0;
  while (el < b.min_seconds || n < 5) {
    agent->update(batch, rng);
    ++n;
    el = std::chrono::duration<double>(Clock::now() - t0).count();
  }
  b.updates = n;
  b.ms_per_update = 1e3 * el / n;

  // the bound: each lane's recorded products in order, both lanes at once, same precision
  const GemmPrecision precision(rc.agent.precision);
  const RecordedBound rb = replay_bound(calls, kRecorded, b.threads, b.min_seconds);
  b.products = rb.products;
  b.gflop = rb.gflop;
  b.gemm_bound_ms = rb.ms;
  b.gflops = b.gflop / (b.ms_per_update * 1e-3);
}

}  // namespace

void run_update_bench(UpdateBench& b) {
  gemm_set_single_threaded();
  if (b.algo != "crossq-wn") {
    run_agent_update_bench(b);
    return;
  }
  CrossQConfig cfg;
  cfg.obs_dim = b.obs_dim;
  cfg.act_dim = b.act_dim;
  cfg.critic_hidden = b.hidden;
  cfg.batch_size = b.batch;
  cfg.threads = b.threads;
  cfg.precision = b.precision == "bf16" ? MatmulPrecision::kBf16 : MatmulPrecision::kFp32;
  check_precision(cfg.precision);
  const GemmPrecision precision(cfg.precision);  // the bound's products too
  Rng rng(1);
  CrossQAgent agent(cfg, rng);
  Batch batch(b.batch, b.obs_dim, b.act_dim);
  for (auto& x : batch.obs) x = static_cast<float>(rng.normal());
  for (auto& x : batch.next_obs) x = static_cast<float>(rng.normal());
  for (auto& x : batch.act) x = static_cast<float>(rng.uniform(-1, 1));
  for (auto& x : batch.reward) x = static_cast<float>(rng.uniform());
  std::vector<float> eps(static_cast<size_t>(b.batch) * b.act_dim);
  for (auto& x : eps) x = static_cast<float>(rng.normal());
  agent.set_collect_dead_fraction(false);

  // the update
  for (int i = 0; i < 3; ++i) agent.critic_update(batch, eps.data());  // warm caches
  int n = 0;
  const auto t0 = Clock::now();
  double el = 0;
  while (el < b.min_seconds || n < 5) {
    agent.critic_update(batch, eps.data());
    ++n;
    el = std::chrono::duration<double>(Clock::now() - t0).count();
  }
  b.updates = n;
  b.ms_per_update = 1e3 * el / n;

  // the GEMM-only bound: the same shapes on the same lanes (actor on lane 0 first)
  const int R = 2 * b.batch, D = b.obs_dim + b.act_dim;
  GemmSet actor(actor_shapes(b.batch, b.obs_dim, cfg.actor_hidden, b.act_dim));
  GemmSet crit[2] = {GemmSet(critic_shapes(R, D, b.hidden)), GemmSet(critic_shapes(R, D, b.hidden))};
  b.gflop = (flop(actor.shapes) + 2 * flop(crit[0].shapes)) * 1e-9;
  b.products = static_cast<int>(actor.shapes.size() + 2 * crit[0].shapes.size());
  LanePair lanes(b.threads, &gemm_set_single_threaded);
  auto lane_job = [&](int i) { crit[i].run(); };
  for (int i = 0; i < 3; ++i) { actor.run(); lanes.run(lane_job); }
  int m = 0;
  const auto t1 = Clock::now();
  el = 0;
  while (el < b.min_seconds || m < 5) {
    actor.run();
    lanes.run(lane_job);
    ++m;
    el = std::chrono::duration<double>(Clock::now() - t1).count();
  }
  b.gemm_bound_ms = 1e3 * el / m;
  b.gflops = b.gflop / (b.ms_per_update * 1e-3);
}

nlohmann::json LoopBench::to_json() const {
  return {{"task", task}, {"algo", algo}, {"steps", steps}, {"warmup", warmup}, {"threads", threads},
          {"utd", utd}, {"matmul_precision", precision}, {"env_steps_per_s", env_steps_per_s}, {"total_s", total_s},
          {"update_s", update_s}, {"outside_fraction", outside_fraction}};
}

void run_loop_bench(LoopBench& b) {
  nlohmann::json cfg = default_config(b.algo, b.task);
  cfg["steps"] = b.steps + b.warmup * cfg["action_repeat"].get<int64_t>();
  cfg["warmup"] = b.warmup;
  cfg["eval_every"] = cfg["steps"];  // one evaluation, at the end
  cfg["threads"] = b.threads;
  cfg["utd"] = b.utd;
  cfg["matmul_precision"] = b.precision;
  cfg["checkpoint_every"] = 0;  // only the final checkpoint, outside the timed loop
  validate_config(cfg);
  const auto dir = std::filesystem::temp_directory_path() /
                   ("crossq-bench-loop-" + std::to_string(::getpid()));
  std::filesystem::create_directories(dir);
  Trainer tr(cfg, dir.string());
  tr.run();
  std::filesystem::remove_all(dir);
  b.total_s = tr.total_seconds();
  b.update_s = tr.update_seconds();
  // the measured env steps (not the warm-up's) over the whole time; the warm-up's random
  // steps take well under 1% of it
  b.env_steps_per_s = static_cast<double>(b.steps) / b.total_s;
  b.outside_fraction = 1.0 - b.update_s / b.total_s;
}

nlohmann::json ActBench::to_json() const {
  return {{"task", task}, {"algo", algo}, {"samples", samples}, {"threads", threads},
          {"inline_median_us", inline_median_us}, {"inline_p999_us", inline_p999_us}, {"median_us", median_us},
          {"p99_us", p99_us}, {"p999_us", p999_us}, {"max_us", max_us}, {"updates_during", updates_during},
          {"timed_s", timed_s}};
}

namespace {
// the q-quantile of sorted values
double quantile(const std::vector<double>& v, double q) {
  if (v.empty()) return 0;
  const size_t i = std::min(v.size() - 1, static_cast<size_t>(q * static_cast<double>(v.size() - 1) + 0.5));
  return v[i];
}
}  // namespace

void run_act_bench(ActBench& b) {
  nlohmann::json cfg = default_config(b.algo, b.task);
  cfg["threads"] = b.threads;
  cfg["seed"] = 0;
  const int64_t warmup = cfg["warmup"].get<int64_t>();
  cfg["steps"] = std::max<int64_t>(cfg["steps"].get<int64_t>(), 2 * (warmup + b.backlog));
  std::unique_ptr<Task> task = make_task(b.task);
  const int O = task->spec().obs_dim, A = task->spec().act_dim;
  Env env(std::move(task));
  Rng rng(1);
  std::vector<float> obs(O), next(O), a(A);
  std::vector<double> lat;
  lat.reserve(static_cast<size_t>(b.samples));
  auto timed_acts = [&](Learner& l) {
    lat.clear();
    env.reset(rng, obs.data());
    const auto t0 = std::chrono::steady_clock::now();
    for (int64_t k = 0; k < b.samples; ++k) {
      const auto t = std::chrono::steady_clock::now();
      l.act(obs.data(), false, a.data());
      lat.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t).count());
      if (k % 4 == 0) obs[k % O] += 1e-3f;  // the observation drifts a little, as a robot's would
    }
    std::sort(lat.begin(), lat.end());
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  };
  // feeds warm-up + backlog transitions of random actions from the task
  auto feed = [&](Learner& l, int64_t n) {
    env.reset(rng, obs.data());
    for (int64_t k = 0; k < n; ++k) {
      for (int j = 0; j < A; ++j) a[j] = static_cast<float>(rng.uniform(-1.0, 1.0));
      const EnvStep r = env.step(a.data(), next.data());
      l.observe(obs.data(), a.data(), static_cast<float>(r.reward), next.data(), r.terminated, r.truncated);
      if (r.terminated || r.truncated) env.reset(rng, obs.data()); else obs.swap(next);
    }
  };
  {
    // past warm-up without updates: act() is the policy's forward pass alone
    nlohmann::json no_warm = cfg;
    no_warm["warmup"] = 0;
    Learner l(no_warm, O, A, LearnerMode::kInline);
    timed_acts(l);
    b.inline_median_us = quantile(lat, 0.5);
    b.inline_p999_us = quantile(lat, 0.999);
  }
  Learner l(cfg, O, A, LearnerMode::kBackground);
  feed(l, warmup + b.backlog);  // the learner thread now has utd x backlog updates to run
  const int64_t u0 = l.updates();
  b.timed_s = timed_acts(l);
  b.updates_during = l.updates() - u0;
  b.median_us = quantile(lat, 0.5);
  b.p99_us = quantile(lat, 0.99);
  b.p999_us = quantile(lat, 0.999);
  b.max_us = lat.empty() ? 0 : lat.back();
}

nlohmann::json Tdmpc2Bench::to_json() const {
  return {{"task", task}, {"threads", threads}, {"matmul_precision", precision}, {"update_ms", update_ms}, {"plan_ms", plan_ms},
          {"plan_eval_ms", plan_eval_ms}, {"parameters", parameters}, {"updates", updates}, {"plans", plans},
          {"update_gemm_bound_ms", update_bound_ms}, {"update_gflop", update_gflop}, {"plan_gemm_bound_ms", plan_bound_ms},
          {"plan_gflop", plan_gflop}, {"gemm_detail", gemm_detail()},
          {"gemm", gemm_backend()}};
}

void run_tdmpc2_bench(Tdmpc2Bench& b) {
  nlohmann::json cfg = default_config("tdmpc2", b.task);
  cfg["threads"] = b.threads;
  cfg["matmul_precision"] = b.precision;
  const TaskSpec ts = task_spec(b.task);
  const RunConfig rc = to_run_config(cfg, ts);
  check_precision(rc.tdmpc2.precision);
  Rng rng(1);
  Tdmpc2Agent agent(rc.tdmpc2, rng);
  b.parameters = agent.num_parameters();
  const Tdmpc2Config& c = rc.tdmpc2;
  Batch batch(c.batch_size, c.obs_dim, c.act_dim, c.horizon);
  for (auto& x : batch.obs) x = static_cast<float>(rng.normal());
  for (auto& x : batch.act) x = static_cast<float>(rng.uniform(-1.0, 1.0));
  for (auto& x : batch.reward) x = static_cast<float>(rng.uniform());
  std::vector<float> obs(static_cast<size_t>(c.obs_dim), 0.1f), act(static_cast<size_t>(c.act_dim));
  auto timed = [&](auto&& body, int& count) {
    body();  // first touch
    count = 0;
    const auto t0 = Clock::now();
    double el = 0;
    while (el < b.min_seconds || count < 3) {
      body();
      ++count;
      el = std::chrono::duration<double>(Clock::now() - t0).count();
    }
    return 1e3 * el / count;
  };
  b.update_ms = timed([&] { agent.update(batch, rng); }, b.updates);
  b.plan_ms = timed([&] { agent.act(obs.data(), false, rng, act.data()); }, b.plans);
  int n = 0;
  b.plan_eval_ms = timed([&] { agent.act(obs.data(), true, rng, act.data()); }, n);

  // the GEMM-only bounds: the products of two updates and of two planning steps, replayed alone
  const GemmPrecision precision(c.precision);
  std::vector<GemmCall> upd, plan;
  {
    GemmRecording rec;
    for (int i = 0; i < 2; ++i) agent.update(batch, rng);
    upd = rec.calls();
  }
  {
    GemmRecording rec;
    for (int i = 0; i < 2; ++i) agent.act(obs.data(), false, rng, act.data());
    plan = rec.calls();
  }
  const RecordedBound ub = replay_bound(upd, 2, b.threads, b.min_seconds / 2);
  const RecordedBound pb = replay_bound(plan, 2, b.threads, b.min_seconds / 2);
  b.update_bound_ms = ub.ms;
  b.update_gflop = ub.gflop;
  b.plan_bound_ms = pb.ms;
  b.plan_gflop = pb.gflop;
}

}  // namespace crossq
