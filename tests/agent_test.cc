// The CrossQ + WN agent's pieces against hand-computed values.
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "crossq/agents/crossq_agent.h"
#include "crossq/nn/layers.h"

namespace crossq {
namespace {

CrossQConfig small_config() {
  CrossQConfig c;
  c.obs_dim = 5;
  c.act_dim = 2;
  c.batch_size = 16;
  c.critic_hidden = 32;
  c.actor_hidden = 16;
  c.target_entropy = -1.f;
  c.threads = 1;
  return c;
}

Batch random_batch(const CrossQConfig& c, Rng& rng) {
  Batch b(c.batch_size, c.obs_dim, c.act_dim);
  for (auto& x : b.obs) x = static_cast<float>(rng.normal());
  for (auto& x : b.next_obs) x = static_cast<float>(rng.normal());
  for (auto& x : b.act) x = static_cast<float>(rng.uniform(-1, 1));
  for (auto& x : b.reward) x = static_cast<float>(rng.uniform());
  for (auto& x : b.terminated) x = 0.f;
  return b;
}

// recomputes the critic target by hand from the networks as they are before the update: from
// the target critics (frozen statistics), or with `online` from the online critics' train-mode
// joint pass (vanilla CrossQ)
std::vector<float> expected_target(CrossQAgent& agent, const Batch& b, const std::vector<float>& eps,
                                   bool joint_rows, bool online = false) {
  const CrossQConfig& c = agent.config();
  const int B = c.batch_size, A = c.act_dim, O = c.obs_dim, D = O + A;
  const float* head = agent.actor().forward(b.next_obs.data(), B, nn::Mode::kEval);
  std::vector<float> a(B * A), logp(B);
  nn::tanh_gaussian_forward(a.data(), logp.data(), head, eps.data(), B, A);
  std::vector<float> x(2 * B * D);
  for (int n = 0; n < B; ++n) {
    for (int j = 0; j < O; ++j) x[n * D + j] = b.obs[n * O + j];
    for (int j = 0; j < A; ++j) x[n * D + O + j] = b.act[n * A + j];
    for (int j = 0; j < O; ++j) x[(B + n) * D + j] = b.next_obs[n * O + j];
    for (int j = 0; j < A; ++j) x[(B + n) * D + O + j] = a[n * A + j];
  }
  std::vector<float> qt[2];
  for (int i = 0; i < 2; ++i) {
    nn::Mlp& net = online ? agent.critic(i) : agent.target(i);
    const nn::Mode mode = online ? nn::Mode::kTrain : nn::Mode::kTrainFrozen;
    const float* q = joint_rows ? net.forward(x.data(), 2 * B, mode) + B : net.forward(x.data() + B * D, B, mode);
    qt[i].assign(q, q + B);
  }
  const float alpha = std::exp(agent.log_alpha());
  std::vector<float> y(B);
  for (int n = 0; n < B; ++n)
    y[n] = b.reward[n] + c.discount * (1 - b.terminated[n]) * (std::min(qt[0][n], qt[1][n]) - alpha * logp[n]);
  return y;
}

TEST(CrossQAgent, TargetUsesJointBatchStatisticsAndStopsAtTermination) {
  CrossQConfig c = small_config();
  Rng rng(3);
  CrossQAgent agent(c, rng);
  Batch b = random_batch(c, rng);
  b.terminated[0] = 1.f;  // a terminal transition: y = r
  // (a truncated transition is stored as not terminated and bootstraps like row 1)
  std::vector<float> eps(c.batch_size * c.act_dim);
  for (auto& e : eps) e = static_cast<float>(rng.normal());
  const auto want = expected_target(agent, b, eps, true);
  const auto split = expected_target(agent, b, eps, false);
  agent.critic_update(b, eps.data());
  const auto& y = agent.last_target();
  double max_joint = 0, max_split = 0;
  for (int n = 0; n < c.batch_size; ++n) {
    max_joint = std::max(max_joint, static_cast<double>(std::abs(y[n] - want[n])));
    max_split = std::max(max_split, static_cast<double>(std::abs(y[n] - split[n])));
  }
  EXPECT_LT(max_joint, 1e-5);
  EXPECT_GT(max_split, 1e-3) << "the target critic must normalize over the joint 2B rows";
  EXPECT_FLOAT_EQ(y[0], b.reward[0]);
  EXPECT_NE(y[1], b.reward[1]);
}

// each unit's [w; b] has unit norm (the default, weight_norm_bias); the bias tensor follows its
// weight in the parameter buffer
TEST(CrossQAgent, WeightNormKeepsUnitRowsAfterEveryStep) {
  CrossQConfig c = small_config();
  ASSERT_TRUE(c.weight_norm_bias);
  Rng rng(4);
  CrossQAgent agent(c, rng);
  for (int step = 0; step <= 6; ++step) {
    for (int i = 0; i < 2; ++i) {
      const nn::ParamSet& ps = agent.critic(i).params();
      int wn_tensors = 0;
      for (size_t ti = 0; ti < ps.tensors.size(); ++ti) {
        const auto& t = ps.tensors[ti];
        if (!t.weight_norm) continue;
        ++wn_tensors;
        const auto& bias = ps.tensors[ti + 1];
        ASSERT_EQ(bias.cols, t.rows) << t.name;
        for (int r = 0; r < t.rows; ++r) {
          double ss = std::pow(ps.w[bias.offset + r], 2);
          for (int k = 0; k < t.cols; ++k) ss += std::pow(ps.w[t.offset + r * t.cols + k], 2);
          ASSERT_NEAR(std::sqrt(ss), 1.0, 1e-5) << t.name << " row " << r << " after step " << step;
        }
      }
      EXPECT_EQ(wn_tensors, 2);  // the first two Linear layers, not the output layer
    }
    Batch b = random_batch(c, rng);
    agent.update(b, rng);
  }
}

TEST(CrossQAgent, DecayGroupsFollowTheSpec) {
  CrossQConfig c = small_config();
  Rng rng(5);
  CrossQAgent agent(c, rng);
  for (const auto& t : agent.critic(0).params().tensors) {
    const bool wn_layer = t.name.rfind("l0.", 0) == 0 || t.name.rfind("l1.", 0) == 0;
    EXPECT_FLOAT_EQ(t.weight_decay, wn_layer ? 0.f : 1e-2f) << t.name;
    EXPECT_EQ(t.weight_norm, wn_layer && t.name.back() == 'w') << t.name;
  }
  for (const auto& t : agent.actor().params().tensors) {
    EXPECT_FLOAT_EQ(t.weight_decay, 1e-2f) << t.name;
    EXPECT_FALSE(t.weight_norm) << t.name;
  }
  c.weight_norm = false;  // the "no WN" ablation: every critic tensor is decayed
  CrossQAgent plain(c, rng);
  for (const auto& t : plain.critic(0).params().tensors) EXPECT_FLOAT_EQ(t.weight_decay, 1e-2f) << t.name;
}

TEST(CrossQAgent, ActorUpdateLeavesCriticsUntouched) {
  CrossQConfig c = small_config();
  Rng rng(6);
  CrossQAgent agent(c, rng);
  Batch b = random_batch(c, rng);
  agent.update(b, rng);  // moments and running statistics are non-trivial
  std::vector<float> before[2][4];
  for (int i = 0; i < 2; ++i) {
    auto& ps = agent.critic(i).params();
    before[i][0] = ps.w;
    before[i][1] = ps.m;
    before[i][2] = agent.critic(i).running();
    before[i][3] = agent.target(i).params().w;
  }
  const auto actor_before = agent.actor().params().w;
  std::vector<float> eps(c.batch_size * c.act_dim);
  for (auto& e : eps) e = static_cast<float>(rng.normal());
  UpdateStats st;
  agent.actor_update(b, eps.data(), st);
  for (int i = 0; i < 2; ++i) {
    EXPECT_EQ(agent.critic(i).params().w, before[i][0]);
    EXPECT_EQ(agent.critic(i).params().m, before[i][1]);
    EXPECT_EQ(agent.critic(i).running(), before[i][2]);
    EXPECT_EQ(agent.target(i).params().w, before[i][3]);
  }
  EXPECT_NE(agent.actor().params().w, actor_before);
  EXPECT_TRUE(st.actor_updated);
}

TEST(CrossQAgent, PolicyDelayAndDeterminismAcrossThreads) {
  CrossQConfig c = small_config();
  std::vector<float> params[2];
  for (int threads : {1, 2}) {
    c.threads = threads;
    Rng rng(7);
    CrossQAgent agent(c, rng);
    int actor_updates = 0;
    for (int k = 0; k < 9; ++k) {
      Batch b = random_batch(c, rng);
      actor_updates += agent.update(b, rng).actor_updated ? 1 : 0;
    }
    EXPECT_EQ(actor_updates, 3);  // every third critic update
    params[threads - 1] = agent.critic(1).params().w;
    params[threads - 1].insert(params[threads - 1].end(), agent.actor().params().w.begin(),
                               agent.actor().params().w.end());
  }
  EXPECT_EQ(params[0], params[1]) << "one and two lanes must give bit-identical results";
}

TEST(CrossQAgent, VanillaCrossQTakesTheTargetFromTheOnlineJointPass) {
  CrossQConfig c = small_config();
  c.target_network = false;
  c.weight_norm = false;
  Rng rng(8);
  CrossQAgent agent(c, rng);
  Batch b = random_batch(c, rng);
  std::vector<float> eps(c.batch_size * c.act_dim);
  for (auto& e : eps) e = static_cast<float>(rng.normal());
  // the target nets hold other parameters (their use would show); y must be the one the online
  // critics' own train-mode pass over the joint 2B rows gives
  for (int i = 0; i < 2; ++i)
    for (auto& w : agent.target(i).params().w) w *= 0.5f;
  const auto want = expected_target(agent, b, eps, true, /*online=*/true);
  const auto from_targets = expected_target(agent, b, eps, true);
  agent.critic_update(b, eps.data());
  const auto& y = agent.last_target();
  double max_online = 0, max_targets = 0;
  for (int n = 0; n < c.batch_size; ++n) {
    max_online = std::max(max_online, static_cast<double>(std::abs(y[n] - want[n])));
    max_targets = std::max(max_targets, static_cast<double>(std::abs(y[n] - from_targets[n])));
  }
  EXPECT_LT(max_online, 1e-5);
  EXPECT_GT(max_targets, 1e-3) << "the test could not tell the online pass from the target nets";
}

}  // namespace
}  // namespace crossq
