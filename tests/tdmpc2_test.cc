// TD-MPC2 (agents/tdmpc2_agent.h): three updates and one MPPI planning call against the PyTorch
// fixture of tools/golden_tdmpc2.py (float64 autograd, every random draw given); MPPI improves a
// known quadratic objective over its iterations; sub-sequences never cross an episode's end;
// the learner saves and loads a TD-MPC2 run exactly (the planner's warm start included); a
// terminal transition is refused; no allocation in update and act.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <tuple>

#include <gtest/gtest.h>

#include "crossq/nn/fused.h"
#include "crossq/agents/tdmpc2_agent.h"
#include "crossq/core/error.h"
#include "crossq/tasks/env.h"
#include "crossq/tasks/registry.h"
#include "crossq/train/config.h"
#include "crossq/train/learner.h"
#include "crossq/train/replay.h"
#include "golden_fixture.h"

namespace crossq {
namespace {

using golden::Fixture;
using golden::load;
using golden::to_f;

// max |got - want| over the tensor's scale (max |want|, at least `floor`)
double rel_diff(const std::string& name, const float* got, const std::vector<double>& want, double floor = 1e-6) {
  double d = 0, scale = floor;
  for (size_t i = 0; i < want.size(); ++i) {
    d = std::max(d, std::abs(static_cast<double>(got[i]) - want[i]));
    scale = std::max(scale, std::abs(want[i]));
  }
  std::printf("  %-26s n=%-6zu max|diff| %.2e  rel %.2e\n", name.c_str(), want.size(), d, d / scale);
  return d / scale;
}

Tdmpc2Config golden_config(const Fixture& fx, int threads) {
  Tdmpc2Config c;
  c.obs_dim = static_cast<int>(fx.scalar("cfg.obs"));
  c.act_dim = static_cast<int>(fx.scalar("cfg.act"));
  c.batch_size = static_cast<int>(fx.scalar("cfg.batch"));
  c.horizon = static_cast<int>(fx.scalar("cfg.horizon"));
  c.enc_hidden = static_cast<int>(fx.scalar("cfg.enc"));
  c.latent = static_cast<int>(fx.scalar("cfg.latent"));
  c.simnorm = static_cast<int>(fx.scalar("cfg.simnorm"));
  c.mlp = static_cast<int>(fx.scalar("cfg.mlp"));
  c.num_q = static_cast<int>(fx.scalar("cfg.num_q"));
  c.bins = static_cast<int>(fx.scalar("cfg.bins"));
  c.vmin = static_cast<float>(fx.scalar("cfg.vmin"));
  c.vmax = static_cast<float>(fx.scalar("cfg.vmax"));
  c.dropout = static_cast<float>(fx.scalar("cfg.dropout"));
  c.rho = static_cast<float>(fx.scalar("cfg.rho"));
  c.discount = static_cast<float>(fx.scalar("cfg.gamma"));
  c.consistency_coef = static_cast<float>(fx.scalar("cfg.consistency_coef"));
  c.reward_coef = static_cast<float>(fx.scalar("cfg.reward_coef"));
  c.value_coef = static_cast<float>(fx.scalar("cfg.value_coef"));
  c.entropy_coef = static_cast<float>(fx.scalar("cfg.entropy_coef"));
  c.log_std_min = static_cast<float>(fx.scalar("cfg.log_std_min"));
  c.log_std_max = static_cast<float>(fx.scalar("cfg.log_std_max"));
  c.lr = c.pi_lr = static_cast<float>(fx.scalar("cfg.lr"));
  c.enc_lr_scale = static_cast<float>(fx.scalar("cfg.enc_lr_scale"));
  c.beta1 = static_cast<float>(fx.scalar("cfg.beta1"));
  c.beta2 = static_cast<float>(fx.scalar("cfg.beta2"));
  c.adam_eps = static_cast<float>(fx.scalar("cfg.model_adam_eps"));
  c.pi_adam_eps = static_cast<float>(fx.scalar("cfg.pi_adam_eps"));
  c.grad_clip = static_cast<float>(fx.scalar("cfg.model_clip"));
  c.pi_grad_clip = static_cast<float>(fx.scalar("cfg.pi_clip"));
  c.tau = static_cast<float>(fx.scalar("cfg.tau"));
  c.samples = static_cast<int>(fx.scalar("cfg.plan_samples"));
  c.pi_trajs = static_cast<int>(fx.scalar("cfg.plan_pi_trajs"));
  c.elites = static_cast<int>(fx.scalar("cfg.plan_elites"));
  c.iterations = static_cast<int>(fx.scalar("cfg.plan_iters"));
  c.temperature = static_cast<float>(fx.scalar("cfg.plan_temperature"));
  c.min_std = static_cast<float>(fx.scalar("cfg.plan_min_std"));
  c.max_std = static_cast<float>(fx.scalar("cfg.plan_max_std"));
  c.threads = threads;
  return c;
}

// every network of the agent with its fixture prefix
std::vector<std::pair<std::string, nn::LnMlp*>> networks(Tdmpc2Agent& a, bool targets) {
  std::vector<std::pair<std::string, nn::LnMlp*>> out = {
      {"enc", &a.encoder()}, {"dyn", &a.dynamics()}, {"rew", &a.reward()}, {"pi", &a.policy()}};
  for (int k = 0; k < a.config().num_q; ++k) out.push_back({"q" + std::to_string(k), &a.q(k)});
  if (targets)
    for (int k = 0; k < a.config().num_q; ++k) out.push_back({"tq" + std::to_string(k), &a.target_q(k)});
  return out;
}

// loads init.<prefix>.<tensor> into every network; the targets start as copies of the Qs
void load_init(Tdmpc2Agent& a, const Fixture& fx) {
  for (auto& [p, net] : networks(a, false)) {
    nn::ParamSet& ps = net->params();
    for (const nn::Tensor& t : ps.tensors) {
      const auto& v = fx["init." + p + "." + t.name];
      ASSERT_EQ(static_cast<long>(v.size()), t.size()) << p << "." << t.name;
      for (long i = 0; i < t.size(); ++i) ps.w[t.offset + i] = static_cast<float>(v[i]);
    }
  }
  for (int k = 0; k < a.config().num_q; ++k) a.target_q(k).params().w = a.q(k).params().w;
}

// the largest relative difference over every tensor of every network against <stage>.*
// The parameters after Adam steps against PyTorch's. Adam moves an element by about lr per step
// whatever its gradient's size, so an element whose gradient is at float32 noise (a near-
// cancellation, where the GEMM library's summation order or the compiler's contractions decide
// the sign) may step the other way: the bulk of each tensor must match (its 99th percentile of
// |diff|, against the tensor's scale: the returned value), and no element may be further off
// than `steps` Adam steps allow, 2 lr each (checked here).
double compare_params(Tdmpc2Agent& a, const Fixture& fx, const std::string& stage, int steps, double lr) {
  double worst = 0;
  for (auto& [p, net] : networks(a, true))
    for (const nn::Tensor& t : net->params().tensors) {
      const std::string name = stage + "." + p + "." + t.name;
      const float* got = net->params().w.data() + t.offset;
      const std::vector<double>& want = fx[name];
      std::vector<double> d(want.size());
      double scale = 1e-3, far = 0;
      for (size_t i = 0; i < want.size(); ++i) {
        d[i] = std::abs(static_cast<double>(got[i]) - want[i]);
        scale = std::max(scale, std::abs(want[i]));
        far = std::max(far, d[i]);
      }
      std::sort(d.begin(), d.end());
      const double bulk = d.empty() ? 0 : d[static_cast<size_t>(0.99 * static_cast<double>(d.size() - 1))];
      std::printf("  %-26s n=%-6zu max|diff| %.2e  p99 rel %.2e\n", name.c_str(), want.size(), far, bulk / scale);
      EXPECT_LE(far, 2.0 * lr * steps * (1 + 1e-3)) << name << ": an element beyond what Adam's steps allow";
      worst = std::max(worst, bulk / scale);
    }
  return worst;
}

struct GoldenNoise {
  std::vector<float> td_eps, q_mask, pi_eps, pi_mask;
  Tdmpc2UpdateNoise noise;
  explicit GoldenNoise(const Fixture& fx)
      : td_eps(to_f(fx["td.eps"])), q_mask(to_f(fx["q.mask"])), pi_eps(to_f(fx["pi.eps"])), pi_mask(to_f(fx["pi.mask"])) {
    noise.td_eps = td_eps.data();
    noise.q_mask = q_mask.data();
    noise.pi_eps = pi_eps.data();
    noise.pi_mask = pi_mask.data();
    for (int j = 0; j < 2; ++j) {
      noise.td_pair[j] = static_cast<int>(fx["td.qpair"][j]);
      noise.pi_pair[j] = static_cast<int>(fx["pi.qpair"][j]);
    }
  }
};

// (lanes, reference kernels): the golden checks run on the fused kernels (nn/fused.h) and on
// the plain ones they replace
class Tdmpc2Golden : public ::testing::TestWithParam<std::tuple<int, bool>> {
 protected:
  void SetUp() override { nn::set_reference_kernels(std::get<1>(GetParam())); }
  void TearDown() override { nn::set_reference_kernels(false); }
  static int lanes() { return std::get<0>(GetParam()); }
};

TEST_P(Tdmpc2Golden, ThreeUpdatesMatchPyTorch) {
  const Fixture fx = load(CROSSQ_TESTDATA_DIR "/tdmpc2_golden.bin");
  const Tdmpc2Config cfg = golden_config(fx, lanes());
  Rng rng(0);
  Tdmpc2Agent agent(cfg, rng);
  load_init(agent, fx);
  Batch b(cfg.batch_size, cfg.obs_dim, cfg.act_dim, cfg.horizon);
  b.obs = to_f(fx["obs"]);
  b.act = to_f(fx["action"]);
  b.reward = to_f(fx["reward"]);
  ASSERT_EQ(b.obs.size(), fx["obs"].size());
  const GoldenNoise gn(fx);

  agent.update_with(b, gn.noise);
  const Tdmpc2Losses& L = agent.losses();
  std::printf("  losses: consistency %.6f reward %.6f value %.6f total %.6f pi %.6f\n", L.consistency, L.reward,
              L.value, L.total, L.pi);
  EXPECT_NEAR(L.consistency, fx.scalar("loss.consistency"), 1e-4 * std::abs(fx.scalar("loss.consistency")));
  EXPECT_NEAR(L.reward, fx.scalar("loss.reward"), 1e-5 * std::abs(fx.scalar("loss.reward")));
  EXPECT_NEAR(L.value, fx.scalar("loss.value"), 1e-5 * std::abs(fx.scalar("loss.value")));
  EXPECT_NEAR(L.total, fx.scalar("loss.total"), 1e-5 * std::abs(fx.scalar("loss.total")));
  EXPECT_NEAR(L.pi, fx.scalar("loss.pi"), 1e-4 * std::abs(fx.scalar("loss.pi")) + 1e-6);
  EXPECT_NEAR(L.model_grad_norm, fx.scalar("model.grad_norm"), 1e-4 * fx.scalar("model.grad_norm"));
  EXPECT_NEAR(L.pi_grad_norm, fx.scalar("pi.grad_norm"), 1e-4 * fx.scalar("pi.grad_norm"));
  EXPECT_NEAR(L.scale, fx.scalar("scale"), 1e-5 * fx.scalar("scale"));
  EXPECT_LT(rel_diff("td", agent.td_target().data(), fx["td"]), 1e-5);
  EXPECT_LT(rel_diff("zs", agent.latents().data(), fx["zs"]), 1e-5);
  // the gradients before the clip: the model's were scaled by clip / (norm + 1e-6) in place
  const double coef = std::min(1.0, cfg.grad_clip / (L.model_grad_norm + 1e-6));
  EXPECT_EQ(fx.scalar("model.clipped"), coef < 1.0 ? 1.0 : 0.0);
  double worst_grad = 0;
  for (auto& [p, net] : networks(agent, false)) {
    const double c = p == "pi" ? 1.0 : coef;
    for (const nn::Tensor& t : net->params().tensors) {
      std::vector<float> g(net->params().g.begin() + t.offset, net->params().g.begin() + t.offset + t.size());
      for (float& x : g) x = static_cast<float>(x / c);
      worst_grad = std::max(worst_grad, rel_diff("grad." + p + "." + t.name, g.data(), fx["grad." + p + "." + t.name], 1e-4));
    }
  }
  EXPECT_LT(worst_grad, 1e-3) << "a gradient differs from PyTorch's";
  // Adam normalizes each step by sqrt(v), so near-zero gradients show float32 rounding in a few
  // elements (compare_params); the bulk must match closely
  EXPECT_LT(compare_params(agent, fx, "after1", 1, cfg.lr), 1e-4);
  agent.update_with(b, gn.noise);
  agent.update_with(b, gn.noise);
  EXPECT_LT(compare_params(agent, fx, "after3", 3, cfg.lr), 2e-4);
  EXPECT_NEAR(agent.scale(), fx.scalar("after3.scale"), 1e-5 * fx.scalar("after3.scale"));
}

struct PlanLog {
  std::vector<std::vector<float>> values, means, stds;
  std::vector<std::vector<int>> elites;
  int S = 0, E = 0, HA = 0;
};

void record(void* ctx, int, const float* values, const int* elites, const float* mean, const float* std) {
  PlanLog& log = *static_cast<PlanLog*>(ctx);
  log.values.emplace_back(values, values + log.S);
  log.elites.emplace_back(elites, elites + log.E);
  log.means.emplace_back(mean, mean + log.HA);
  log.stds.emplace_back(std, std + log.HA);
}

TEST_P(Tdmpc2Golden, OnePlanningCallMatchesPyTorch) {
  const Fixture fx = load(CROSSQ_TESTDATA_DIR "/tdmpc2_golden.bin");
  const Tdmpc2Config cfg = golden_config(fx, lanes());
  Rng rng(0);
  Tdmpc2Agent agent(cfg, rng);
  load_init(agent, fx);
  const int H = cfg.horizon, A = cfg.act_dim, S = cfg.samples, E = cfg.elites, I = cfg.iterations;
  PlanLog log;
  log.S = S;
  log.E = E;
  log.HA = H * A;
  agent.set_iteration_hook(&record, &log);
  // the warm start of slot 0 is the fixture's previous mean: plan once from it, reading the
  // state through the checkpoint view (plan.prev_mean holds both slots)
  for (const StateRef& r : agent.state())
    if (r.name == "plan.prev_mean") {
      const auto pm = to_f(fx["plan.prev_mean"]);
      std::memcpy(r.data, pm.data(), pm.size() * sizeof(float));
    }
  const auto obs = to_f(fx["plan.obs"]), traj = to_f(fx["plan.pi_traj_eps"]), r = to_f(fx["plan.r"]);
  const auto veps = to_f(fx["plan.value_eps"]), gumbel = to_f(fx["plan.gumbel"]), noise = to_f(fx["plan.noise"]);
  std::vector<int> pairs;
  for (double x : fx["plan.value_qpair"]) pairs.push_back(static_cast<int>(x));
  Tdmpc2PlanNoise nz;
  nz.pi_traj_eps = traj.data();
  nz.r = r.data();
  nz.value_eps = veps.data();
  nz.value_pair = pairs.data();
  nz.gumbel = gumbel.data();
  nz.noise = noise.data();
  std::vector<float> action(A);
  agent.plan(obs.data(), false, 0, nz, false, action.data());
  ASSERT_EQ(static_cast<int>(log.values.size()), I);
  const auto& want_v = fx["plan.values"];
  const auto& want_e = fx["plan.elites"];
  for (int it = 0; it < I; ++it) {
    const std::vector<double> v(want_v.begin() + it * S, want_v.begin() + (it + 1) * S);
    // values pass through symexp (e^|x|): float32 rounding shows at about 6e-5 of their scale
    EXPECT_LT(rel_diff("plan.values[" + std::to_string(it) + "]", log.values[it].data(), v), 2e-4);
    for (int e = 0; e < E; ++e) EXPECT_EQ(log.elites[it][e], static_cast<int>(want_e[it * E + e])) << "iteration " << it;
    const auto& wm = fx["plan.means"];
    const auto& ws = fx["plan.stds"];
    EXPECT_LT(rel_diff("plan.means", log.means[it].data(), std::vector<double>(wm.begin() + it * H * A, wm.begin() + (it + 1) * H * A)), 3e-4);
    EXPECT_LT(rel_diff("plan.stds", log.stds[it].data(), std::vector<double>(ws.begin() + it * H * A, ws.begin() + (it + 1) * H * A)), 3e-4);
  }
  EXPECT_EQ(agent.plan_choice(), static_cast<int>(fx.scalar("plan.choice")));
  EXPECT_LT(rel_diff("plan.action", action.data(), fx["plan.action"]), 3e-4);
  EXPECT_LT(rel_diff("plan.mean_action", agent.plan_mean(), fx["plan.mean_action"]), 3e-4);
  for (const StateRef& s : agent.state()) {
    if (s.name == "plan.prev_mean") {
      EXPECT_LT(rel_diff("plan.new_prev_mean", static_cast<const float*>(s.data), fx["plan.new_prev_mean"]), 3e-4);
    }
  }
  // evaluation acts with the plan's mean
  std::vector<float> eval_action(A);
  agent.plan(obs.data(), false, 1, nz, true, eval_action.data());
  for (int j = 0; j < A; ++j) EXPECT_FLOAT_EQ(eval_action[j], std::clamp(agent.plan_mean()[j], -1.f, 1.f));
}

INSTANTIATE_TEST_SUITE_P(LanesAndKernels, Tdmpc2Golden, ::testing::Combine(::testing::Values(1, 2), ::testing::Bool()));

TEST(Mppi, ElitesImproveAKnownQuadraticOverTheIterations) {
  // value(a) = -sum_t,j (a_tj - c_tj)^2 with the optimum c inside [-1, 1]
  const int H = 3, A = 4, S = 256, E = 32, iters = 8;
  const float c[H * A] = {0.5f, -0.3f, 0.8f, -0.7f, 0.1f, 0.2f, -0.9f, 0.4f, -0.2f, 0.6f, 0.0f, 0.3f};
  std::vector<float> actions(H * S * A), r(H * S * A), value(S), score(E), mean(H * A, 0.f), std(H * A, 2.f);
  std::vector<int> order(S), elites(E);
  Rng rng(11);
  double prev_best_mean = -1e30;
  for (int it = 0; it < iters; ++it) {
    for (float& x : r) x = static_cast<float>(rng.normal());
    mppi_sample(actions.data(), mean.data(), std.data(), r.data(), H, S, 0, A);
    for (int s = 0; s < S; ++s) {
      double v = 0;
      for (int t = 0; t < H; ++t)
        for (int j = 0; j < A; ++j) {
          const double d = actions[(t * S + s) * A + j] - c[t * A + j];
          v -= d * d;
        }
      value[s] = static_cast<float>(v);
    }
    mppi_refit(actions.data(), value.data(), H, S, A, E, 0.5f, 0.05f, 2.f, order.data(), elites.data(), score.data(),
               mean.data(), std.data());
    double elite_mean = 0;
    for (int e = 0; e < E; ++e) elite_mean += value[elites[e]] / E;
    for (int e = 1; e < E; ++e) EXPECT_GE(value[elites[e - 1]], value[elites[e]]);  // best first
    std::printf("  iteration %d: elite mean value %.4f\n", it, elite_mean);
    EXPECT_GT(elite_mean, prev_best_mean - 1e-3) << "iteration " << it;
    prev_best_mean = elite_mean;
  }
  for (int k = 0; k < H * A; ++k) EXPECT_NEAR(mean[k], c[k], 0.1) << k;
  EXPECT_GT(prev_best_mean, -0.05);
}

TEST(Replay, SubSequencesNeverCrossTheEndOfAnEpisode) {
  // episodes of 5 transitions: obs = (episode, step); a sub-sequence of 3 never mixes episodes
  const int H = 3;
  ReplayBuffer rb(37, 2, 1);  // wraps: 60 transitions into 37 slots
  for (int ep = 0; ep < 12; ++ep)
    for (int t = 0; t < 5; ++t) {
      const float o[2] = {static_cast<float>(ep), static_cast<float>(t)};
      const float n[2] = {static_cast<float>(ep), static_cast<float>(t + 1)};
      const float a = static_cast<float>(t) / 10.f;
      rb.add(o, &a, static_cast<float>(ep * 10 + t), n, false, t == 4);
    }
  Batch b(500, 2, 1, H);
  Rng rng(5);
  rb.sample_sequences(rng, b);
  std::vector<int> start_count(5, 0);
  for (int n = 0; n < b.size; ++n) {
    const float ep = b.obs[(0 * b.size + n) * 2], t0 = b.obs[(0 * b.size + n) * 2 + 1];
    ++start_count[static_cast<int>(t0)];
    for (int t = 0; t <= H; ++t) {
      EXPECT_EQ(b.obs[(t * b.size + n) * 2], ep) << "sequence " << n << " crosses into another episode";
      EXPECT_EQ(b.obs[(t * b.size + n) * 2 + 1], t0 + t);
    }
    for (int t = 0; t < H; ++t) {
      EXPECT_EQ(b.reward[t * b.size + n], ep * 10 + t0 + t);
      EXPECT_FLOAT_EQ(b.act[t * b.size + n], (t0 + t) / 10.f);
    }
  }
  // starts 0..2 of each episode are valid, 3 and 4 are not
  EXPECT_GT(start_count[0], 100);
  EXPECT_GT(start_count[2], 100);
  EXPECT_EQ(start_count[3] + start_count[4], 0);
  // a buffer holding only episodes shorter than the horizon is refused, naming the fix
  ReplayBuffer shortb(10, 2, 1);
  for (int t = 0; t < 6; ++t) {
    const float o[2] = {0, 0}, a = 0;
    shortb.add(o, &a, 0.f, o, false, true);
  }
  Batch sb(4, 2, 1, H);
  try {
    shortb.sample_sequences(rng, sb);
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("no sub-sequence of 3 steps"), std::string::npos) << e.what();
  }
}

nlohmann::json tiny_tdmpc2() {
  nlohmann::json cfg = default_config("tdmpc2", "pendulum");
  apply_overrides(cfg, {{"warmup", 100}, {"batch_size", 16}, {"critic_hidden", 32}, {"latent_dim", 16},
                        {"enc_hidden", 16}, {"plan_samples", 32}, {"plan_pi_trajs", 4}, {"plan_elites", 8},
                        {"plan_iterations", 2}, {"threads", 1}, {"seed", 3}},
                  "test");
  return cfg;
}

std::vector<float> drive(Learner& l, Env& env, Rng& rng, std::vector<float>& obs, int steps) {
  std::vector<float> actions, next(obs.size()), a(1), u(1);
  for (int k = 0; k < steps; ++k) {
    l.act(obs.data(), false, a.data());
    actions.push_back(a[0]);
    u[0] = 2.f * a[0];
    const EnvStep r = env.step(u.data(), next.data());
    l.observe(obs.data(), a.data(), static_cast<float>(r.reward), next.data(), r.terminated, r.truncated);
    if (r.terminated || r.truncated) env.reset(rng, obs.data()); else obs.swap(next);
  }
  return actions;
}

TEST(Tdmpc2Learner, SaveAndLoadContinueExactlyMidEpisode) {
  namespace fs = std::filesystem;
  Env env(make_task("pendulum"));
  Rng rng(7);
  std::vector<float> obs(3);
  env.reset(rng, obs.data());
  Learner a(tiny_tdmpc2(), 3, 1);
  drive(a, env, rng, obs, 150);  // mid-episode: the planner's warm start is live
  EXPECT_EQ(a.updates(), 51 + 100) << "pretraining: 100 updates when the 100 seed steps end";
  const fs::path dir = fs::temp_directory_path() / ("crossq_tdmpc2_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  a.save(dir.string());
  Learner b(tiny_tdmpc2(), 3, 1);
  b.load(dir.string());
  Env env_b(make_task("pendulum"));
  env_b.task().set_state(env.task().state());
  env_b.set_episode_step(env.episode_step());
  Rng rng_b = rng;
  std::vector<float> obs_b = obs;
  const std::vector<float> xa = drive(a, env, rng, obs, 120), xb = drive(b, env_b, rng_b, obs_b, 120);
  EXPECT_EQ(xa, xb);
  const auto sa = a.agent().state(), sb = b.agent().state();
  ASSERT_EQ(sa.size(), sb.size());
  for (size_t i = 0; i < sa.size(); ++i) EXPECT_EQ(std::memcmp(sa[i].data, sb[i].data, sa[i].bytes), 0) << sa[i].name;
  fs::remove_all(dir);
}

TEST(Tdmpc2Learner, ATerminalTransitionIsRefusedNamingTheFix) {
  Learner l(tiny_tdmpc2(), 3, 1);
  const std::vector<float> o(3, 0.f), a(1, 0.f);
  try {
    l.observe(o.data(), a.data(), 0.f, o.data(), true, false);
    ADD_FAILURE() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("tdmpc2 learns only tasks whose episodes end by time limit"), std::string::npos)
        << e.what();
    EXPECT_EQ(e.exit_code(), 2);
  }
}

TEST(Tdmpc2Config, ResolvesTheEpisodeRulesAndRefusesSettingsItIgnores) {
  const nlohmann::json dmc = default_config("tdmpc2", "cheetah-run");
  EXPECT_EQ(dmc["warmup"], 2500);  // max(1000, 5 x 500 agent steps)
  EXPECT_DOUBLE_EQ(dmc["discount"].get<double>(), 0.99);
  EXPECT_EQ(dmc["sources"]["warmup"], "algorithm-episode");
  const nlohmann::json pend = default_config("tdmpc2", "pendulum");
  EXPECT_EQ(pend["warmup"], 1000);
  EXPECT_NEAR(pend["discount"].get<double>(), 39.0 / 40.0, 1e-12);
  nlohmann::json bad = dmc;
  bad["policy_delay"] = 3;
  EXPECT_THROW(checked_config(bad, "test"), Error);
  nlohmann::json bad2 = default_config("crossq-wn", "cheetah-run");
  bad2["horizon"] = 5;
  EXPECT_THROW(checked_config(bad2, "test"), Error);
  nlohmann::json bad3 = dmc;
  bad3["plan_elites"] = 1000;
  EXPECT_THROW(checked_config(bad3, "test"), Error);
  // |A| >= 20: two more MPPI iterations (TD-MPC2's rule)
  EXPECT_EQ(to_run_config(default_config("tdmpc2", "humanoid-run"), task_spec("humanoid-run")).tdmpc2.iterations, 8);
  EXPECT_EQ(to_run_config(dmc, task_spec("cheetah-run")).tdmpc2.iterations, 6);
}

}  // namespace
}  // namespace crossq
