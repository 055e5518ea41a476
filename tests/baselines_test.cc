// The baselines' pieces: observation normalizer, quantile Huber loss, reset schedule
// (unit and through the trainer), the optimistic actor's KL weight, and the residual agents.
#include <cmath>
#include <cstring>
#include <filesystem>
#include <vector>

#include <gtest/gtest.h>

#include "crossq/agents/obs_normalizer.h"
#include "crossq/agents/residual_agent.h"
#include "crossq/train/config.h"
#include "crossq/core/error.h"
#include "crossq/nn/layers.h"
#include "crossq/train/reset_schedule.h"
#include "crossq/tasks/registry.h"
#include "crossq/train/trainer.h"

namespace crossq {
namespace {

TEST(ObsNormalizer, MatchesTwoPassStatistics) {
  const int dim = 3, n = 1000;
  Rng rng(11);
  std::vector<float> xs(static_cast<size_t>(n) * dim);
  for (int i = 0; i < n; ++i) {
    xs[i * dim + 0] = static_cast<float>(1000.0 + rng.normal());  // large offset, small spread
    xs[i * dim + 1] = static_cast<float>(rng.uniform(-5, 5));
    xs[i * dim + 2] = static_cast<float>(3.0 * rng.normal() - 2.0);
  }
  ObsNormalizer norm(dim);
  for (int i = 0; i < n; ++i) norm.update(xs.data() + i * dim);
  const std::vector<double> var = norm.variance();
  for (int c = 0; c < dim; ++c) {
    double m = 0, v = 0;
    for (int i = 0; i < n; ++i) m += xs[i * dim + c];
    m /= n;
    for (int i = 0; i < n; ++i) v += (xs[i * dim + c] - m) * (xs[i * dim + c] - m);
    v /= n;  // population variance
    EXPECT_NEAR(norm.mean()[c], m, 1e-9 * std::max(1.0, std::abs(m)));
    EXPECT_NEAR(var[c], v, 1e-9 * v);
  }
  EXPECT_EQ(norm.count(), n);
  // normalized data has mean 0 and variance 1 (up to eps and float32)
  std::vector<float> out(xs.size());
  norm.normalize(out.data(), xs.data(), n);
  for (int c = 0; c < dim; ++c) {
    double m = 0, v = 0;
    for (int i = 0; i < n; ++i) m += out[i * dim + c];
    m /= n;
    for (int i = 0; i < n; ++i) v += (out[i * dim + c] - m) * (out[i * dim + c] - m);
    EXPECT_NEAR(m, 0.0, 1e-3);
    EXPECT_NEAR(v / n, 1.0, 1e-3);
  }
}

TEST(ObsNormalizer, IdentityBeforeAnyUpdate) {
  ObsNormalizer norm(2);
  const float in[2] = {3.f, -4.f};
  float out[2];
  norm.normalize(out, in, 1);
  EXPECT_NEAR(out[0], 3.f, 1e-6);
  EXPECT_NEAR(out[1], -4.f, 1e-6);
}

TEST(QuantileHuber, HandComputedValuesAndGradient) {
  // K = 2: tau = (0.25, 0.75); pred (0, 1), target (0.5, 3), kappa 1.
  // k=0: u = 0.5 -> 0.25 * 0.125; u = 3 -> 0.25 * 2.5;  k=1: u = -0.5 -> 0.25 * 0.125;
  // u = 2 -> 0.75 * 1.5. Sum 1.8125, mean over j: 0.90625.
  const double pred[2] = {0, 1}, target[2] = {0.5, 3};
  double d[2];
  EXPECT_NEAR(nn::quantile_huber_loss(d, pred, target, 1, 2, 1.0), 0.90625, 1e-15);
  // d/dpred_0 = -(0.25 * 0.5 + 0.25 * 1) / 2; d/dpred_1 = -(0.25 * -0.5 + 0.75 * 1) / 2
  EXPECT_NEAR(d[0], -0.1875, 1e-15);
  EXPECT_NEAR(d[1], -0.3125, 1e-15);
}

TEST(QuantileHuber, GradientMatchesFiniteDifferences) {
  Rng rng(12);
  const int N = 3, K = 7;
  for (double kappa : {1.0, 0.3}) {
    std::vector<double> pred(N * K), target(N * K), d(N * K);
    for (auto& x : pred) x = 2 * rng.normal();
    for (auto& x : target) x = 2 * rng.normal();
    nn::quantile_huber_loss(d.data(), pred.data(), target.data(), N, K, kappa);
    const double h = 1e-6;
    for (int i = 0; i < N * K; ++i) {
      const double keep = pred[i];
      pred[i] = keep + h;
      const double lp = nn::quantile_huber_loss<double>(nullptr, pred.data(), target.data(), N, K, kappa);
      pred[i] = keep - h;
      const double lm = nn::quantile_huber_loss<double>(nullptr, pred.data(), target.data(), N, K, kappa);
      pred[i] = keep;
      EXPECT_NEAR((lp - lm) / (2 * h), d[i], 1e-8) << i;
    }
  }
}

TEST(ResetSchedule, FiresExactlyAtListedAndPeriodicSteps) {
  ResetSchedule s(100, {250, 30});
  std::vector<int64_t> fired;
  for (int64_t t = 1; t <= 320; ++t)
    if (s.due(t)) fired.push_back(t);
  EXPECT_EQ(fired, (std::vector<int64_t>{30, 100, 200, 250, 300}));
  // action repeat 2 (odd step 31 never occurs): due at the first step at or past it
  ResetSchedule r(0, {31, 32, 60});
  fired.clear();
  for (int64_t t = 2; t <= 80; t += 2)
    if (r.due(t)) fired.push_back(t);
  EXPECT_EQ(fired, (std::vector<int64_t>{32, 60}));
  ResetSchedule none(0, {});
  for (int64_t t = 1; t < 1000; ++t) EXPECT_FALSE(none.due(t));
}

TEST(ResetSchedule, ParsesListsAndRejectsBadEntries) {
  EXPECT_EQ(parse_reset_steps("15000, 50000,250000"), (std::vector<int64_t>{15000, 50000, 250000}));
  EXPECT_TRUE(parse_reset_steps("").empty());
  EXPECT_THROW(parse_reset_steps("15000,,3"), Error);
  EXPECT_THROW(parse_reset_steps("15k"), Error);
  EXPECT_THROW(parse_reset_steps("-5"), Error);
}

// a short pendulum run with tiny networks
nlohmann::json tiny_run(const std::string& algo) {
  nlohmann::json c = default_config(algo, "pendulum");
  apply_overrides(c,
                  {{"steps", 400}, {"warmup", 50}, {"eval_every", 100000}, {"eval_episodes", 1},
                   {"utd", 1}, {"batch_size", 16}, {"critic_hidden", 16}, {"actor_hidden", 16},
                   {"threads", 1}, {"log_every", 1000000}},
                  "test");
  return c;
}

std::string temp_dir(const std::string& name) {
  const auto d = std::filesystem::temp_directory_path() / ("crossq_baselines_" + name);
  std::filesystem::remove_all(d);
  std::filesystem::create_directories(d);
  return d.string();
}

TEST(ResetSchedule, TrainerResetsAtItsStepsAndKeepsTheReplayBuffer) {
  for (const std::string algo : {"sac", "bro-fast"}) {
    nlohmann::json c = tiny_run(algo);
    apply_overrides(c, {{"reset_steps", "120,333"}, {"reset_every", 200}, {"steps", 390}}, "test");
    if (algo == "bro-fast") apply_overrides(c, {{"quantiles", 5}}, "test");
    validate_config(c);
    Trainer t(c, temp_dir(algo));
    t.run();
    const auto& r = t.resets();
    ASSERT_EQ(r.size(), 3u) << algo;
    const int64_t want[3] = {120, 200, 333};
    for (int k = 0; k < 3; ++k) {
      EXPECT_EQ(r[k].env_step, want[k]) << algo;
      // action repeat 1: one transition per env step, none dropped by the reset
      EXPECT_EQ(r[k].replay_size, want[k]) << algo;
    }
  }
}

TEST(BaselineConfig, DefaultsAreValidAndForeignSettingsAreRejected) {
  for (const std::string algo : {"sr-sac", "simba", "bro", "bro-fast"}) {
    const nlohmann::json c = default_config(algo, "cheetah-run");
    EXPECT_NO_THROW(validate_config(c)) << algo;
  }
  EXPECT_EQ(default_config("bro", "cheetah-run")["utd"], 10);
  EXPECT_EQ(default_config("bro-fast", "cheetah-run")["utd"], 2);
  EXPECT_EQ(default_config("sr-sac", "cheetah-run")["reset_every"], 80000);
  nlohmann::json sac = default_config("sac", "cheetah-run");
  apply_overrides(sac, {{"quantiles", 100}}, "test");
  EXPECT_THROW(validate_config(sac), Error);  // sac has no quantile critic
  nlohmann::json simba = default_config("simba", "cheetah-run");
  apply_overrides(simba, {{"weight_norm", true}}, "test");
  EXPECT_THROW(validate_config(simba), Error);  // simba's trunk has no WN layers
  nlohmann::json bro = default_config("bro", "cheetah-run");
  apply_overrides(bro, {{"reset_steps", "100,x"}}, "test");
  EXPECT_THROW(validate_config(bro), Error);
}

ResidualConfig tiny_residual(bool bro) {
  ResidualConfig c;
  c.obs_dim = 4;
  c.act_dim = 2;
  c.batch_size = 8;
  c.kind = bro ? nn::ResKind::kBro : nn::ResKind::kSimba;
  c.critic_hidden = 16;
  c.actor_hidden = 8;
  c.quantiles = bro ? 5 : 1;
  c.pessimism = bro ? 0.f : 1.f;
  c.critics = bro ? 2 : 1;  // the defaults: simba one critic, bro two
  c.optimistic = bro;
  c.obs_norm = !bro;
  c.threads = 1;
  return c;
}

Batch random_batch(const ResidualConfig& c, Rng& rng) {
  Batch b(c.batch_size, c.obs_dim, c.act_dim);
  for (auto& x : b.obs) x = static_cast<float>(rng.normal());
  for (auto& x : b.next_obs) x = static_cast<float>(rng.normal());
  for (auto& x : b.act) x = static_cast<float>(rng.uniform(-1, 1));
  for (auto& x : b.reward) x = static_cast<float>(rng.uniform());
  for (auto& x : b.terminated) x = 0.f;
  return b;
}

TEST(OptimisticActor, KlWeightMovesTowardTheTarget) {
  for (float target : {0.f, 100.f}) {
    ResidualConfig c = tiny_residual(true);
    c.kl_target = target;
    Rng rng(3);
    ResidualAgent agent(c, rng);
    const Batch b = random_batch(c, rng);
    std::vector<float> eps(c.batch_size * c.act_dim), eps2(eps.size());
    for (auto& x : eps) x = static_cast<float>(rng.normal());
    for (auto& x : eps2) x = static_cast<float>(rng.normal());
    const float w0 = agent.log_kl_weight();
    UpdateStats st;
    agent.actor_update(b, eps.data(), eps2.data(), st);
    // the KL is positive (std multiplier 0.75 alone gives 0.069 per dimension)
    EXPECT_GT(agent.last_kl(), 2 * 0.06);
    if (target == 0.f) {
      EXPECT_GT(agent.log_kl_weight(), w0);  // KL above target: the weight grows
    } else {
      EXPECT_LT(agent.log_kl_weight(), w0);  // KL below target: the weight shrinks
    }
  }
}

TEST(OptimisticActor, KlOfTheStdMultiplierAlone) {
  // right after construction, make the optimistic mean equal the conservative mean: the KL is
  // then A * (-log m + m^2 / 2 - 1/2)
  ResidualConfig c = tiny_residual(true);
  Rng rng(5);
  ResidualAgent agent(c, rng);
  // zero the optimistic actor's output layer: mu_o = 0; and the actor's mean head: mu_c = 0
  auto zero_out = [](nn::ResNet& net, int rows) {
    nn::ParamSet& ps = net.params();
    const int w = ps.find("out.w"), bb = ps.find("out.b");
    std::fill_n(ps.param(w), static_cast<size_t>(ps.tensors[w].size()) * rows / ps.tensors[w].rows, 0.f);
    std::fill_n(ps.param(bb), rows, 0.f);
  };
  zero_out(agent.optimistic_actor(), c.act_dim);
  zero_out(agent.actor(), c.act_dim);  // first A rows are the mean head
  const Batch b = random_batch(c, rng);
  std::vector<float> eps(c.batch_size * c.act_dim, 0.f);
  UpdateStats st;
  agent.actor_update(b, eps.data(), eps.data(), st);
  const double m = 0.75;
  EXPECT_NEAR(agent.last_kl(), c.act_dim * (-std::log(m) + m * m / 2 - 0.5), 1e-5);
}

TEST(ResidualAgent, UpdatesStayFiniteAndResetRestoresFreshState) {
  for (bool bro : {false, true}) {
    ResidualConfig c = tiny_residual(bro);
    Rng rng(7);
    ResidualAgent agent(c, rng);
    const Batch b = random_batch(c, rng);
    for (int k = 0; k < 64; ++k) agent.observe(b.obs.data() + (k % c.batch_size) * c.obs_dim);
    for (int k = 0; k < 5; ++k) {
      const UpdateStats st = agent.update(b, rng);
      EXPECT_TRUE(std::isfinite(st.critic_loss));
      EXPECT_TRUE(st.actor_updated);
      EXPECT_TRUE(std::isfinite(st.actor_loss));
    }
    EXPECT_EQ(agent.critic(0).params().steps, 5);
    const std::vector<float> before = agent.critic(0).params().w;
    const double count = agent.normalizer().count();
    agent.reset_parameters(rng);
    EXPECT_NE(agent.critic(0).params().w, before);
    EXPECT_EQ(agent.critic(0).params().steps, 0);
    EXPECT_EQ(agent.critic(0).params().w, agent.target(0).params().w);
    EXPECT_FLOAT_EQ(std::exp(agent.log_alpha()), c.init_temperature);
    EXPECT_EQ(agent.normalizer().count(), count);  // data statistics survive resets
    // state() covers every parameter buffer, all sizes fixed
    size_t bytes = 0;
    for (const StateRef& s : agent.state()) bytes += s.bytes;
    EXPECT_GT(bytes, 4u * static_cast<size_t>(agent.num_parameters()));
  }
}

// simba's one critic on two lanes splits its products (GemmSplit) instead of leaving the second
// lane idle; bro's two critics take a lane each. Either way two lanes give the one-lane numbers.
TEST(ResidualAgent, TwoLanesGiveTheOneLaneResultsBitForBit) {
  for (bool bro : {false, true}) {
    std::vector<float> params[2];
    for (int threads : {1, 2}) {
      ResidualConfig c = tiny_residual(bro);
      c.batch_size = 256;  // products large enough to be split
      c.critic_hidden = 256;  // a critic past the size at which AdamW and Polyak split too
      c.actor_hidden = 64;
      c.threads = threads;
      Rng rng(11);
      ResidualAgent agent(c, rng);
      ASSERT_GE(agent.critic(0).params().size(), 1L << 18);
      const Batch b = random_batch(c, rng);
      for (int k = 0; k < 64; ++k) agent.observe(b.obs.data() + (k % c.batch_size) * c.obs_dim);
      for (int k = 0; k < 3; ++k) agent.update(b, rng);
      params[threads - 1] = agent.critic(0).params().w;
      params[threads - 1].insert(params[threads - 1].end(), agent.actor().params().w.begin(),
                                 agent.actor().params().w.end());
    }
    EXPECT_EQ(params[0], params[1]) << (bro ? "bro" : "simba");
  }
}

TEST(ResidualAgent, StateRestoresEverythingAnUpdateReads) {
  // copying state() bytes from a trained agent into a fresh one makes them indistinguishable:
  // the next update and the next actions agree bit for bit
  for (bool bro : {false, true}) {
    ResidualConfig c = tiny_residual(bro);
    Rng rng(21), other(99);
    ResidualAgent a(c, rng), b(c, other);
    const Batch batch = random_batch(c, rng);
    for (int k = 0; k < 10; ++k) a.observe(batch.obs.data() + (k % c.batch_size) * c.obs_dim);
    for (int k = 0; k < 3; ++k) a.update(batch, rng);
    std::vector<StateRef> sa = a.state(), sb = b.state();
    ASSERT_EQ(sa.size(), sb.size());
    for (size_t k = 0; k < sa.size(); ++k) {
      ASSERT_EQ(sa[k].name, sb[k].name);
      ASSERT_EQ(sa[k].bytes, sb[k].bytes) << sa[k].name;
      std::memcpy(sb[k].data, sa[k].data, sa[k].bytes);
    }
    Rng ra(5), rb(5);
    a.update(batch, ra);
    b.update(batch, rb);
    EXPECT_EQ(a.critic(0).params().w, b.critic(0).params().w);
    EXPECT_EQ(a.actor().params().w, b.actor().params().w);
    float xa[2], xb[2];
    a.act(batch.obs.data(), false, ra, xa);
    b.act(batch.obs.data(), false, rb, xb);
    EXPECT_EQ(xa[0], xb[0]);
    EXPECT_EQ(xa[1], xb[1]);
  }
}

TEST(ResidualAgent, ParameterCountsOfTheDefaults) {
  // simba on a 17/6 task: critic in 23 -> 512, 2 blocks of (LN 2*512, 512 -> 2048 -> 512),
  // final LN, out 1; actor 17 -> 128, 1 block (128 -> 512 -> 128), LN, out 12
  const RunConfig r = to_run_config(default_config("simba", "cheetah-run"), task_spec("cheetah-run"));
  Rng rng(0);
  ResidualAgent a(r.residual, rng);
  auto block = [](int64_t h, int64_t e) { return 2 * h + h * e + e + e * h + h; };
  const int64_t critic = 23 * 512 + 512 + 2 * block(512, 2048) + 2 * 512 + 512 + 1;
  const int64_t actor = 17 * 128 + 128 + block(128, 512) + 2 * 128 + 128 * 12 + 12;
  EXPECT_EQ(r.residual.critics, 1);  // the seed paper's Table 1
  EXPECT_EQ(a.num_parameters(), critic + actor + 1);
  ResidualConfig two = r.residual;
  two.critics = 2;
  ResidualAgent b(two, rng);
  EXPECT_EQ(b.num_parameters(), 2 * critic + actor + 1);
}

}  // namespace
}  // namespace crossq
