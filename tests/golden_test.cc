// CrossQ + WN against PyTorch autograd (tools/golden_crossq.py, float64): the joint-batch
// critic step with target critics in train mode, AdamW with split decay, the WN projection and
// Polyak over 5 steps; then the actor and temperature step with critics in eval mode.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <tuple>
#include <vector>

#include <gtest/gtest.h>

#include "crossq/agents/crossq_agent.h"
#include "crossq/nn/fused.h"
#include "golden_fixture.h"

namespace crossq {
namespace {

using golden::Fixture;
using golden::load;
using golden::to_f;

// max |a - b| relative to the tensor's scale (max |b|). Elements under `mask` (parameters of
// units whose pre-activation came within 1e-5 of the ReLU kink in the float64 reference, where
// float32 may take the other branch) are reported apart and held to `mask_tol`.
double compare(const std::string& name, const float* got, const std::vector<double>& want,
               const double* mask = nullptr, double mask_tol = 1e-2) {
  double maxdiff = 0, maxdiff_kink = 0, scale = 0;
  size_t kinks = 0;
  for (size_t i = 0; i < want.size(); ++i) {
    const double d = std::abs(got[i] - want[i]);
    if (mask && mask[i] > 0) {
      maxdiff_kink = std::max(maxdiff_kink, d);
      ++kinks;
    } else {
      maxdiff = std::max(maxdiff, d);
    }
    scale = std::max(scale, std::abs(want[i]));
  }
  scale = std::max(scale, 1e-6);
  std::printf("  %-24s n=%-7zu max|diff| %.2e  scale %.2e  rel %.2e", name.c_str(), want.size(),
              maxdiff, scale, maxdiff / scale);
  if (mask) std::printf("  | %zu near-kink: rel %.2e", kinks, maxdiff_kink / scale);
  std::printf("\n");
  EXPECT_LT(maxdiff_kink / scale, mask_tol) << name << " (near-kink elements)";
  return maxdiff / scale;
}

// (threads, reference kernels): the fused kernels (the default) and their plain references
class GoldenTest : public ::testing::TestWithParam<std::tuple<int, bool>> {
 protected:
  void SetUp() override { nn::set_reference_kernels(std::get<1>(GetParam())); }
  void TearDown() override { nn::set_reference_kernels(false); }
};

TEST_P(GoldenTest, CriticAndActorStepsMatchPyTorch) {
  const Fixture fx = load(CROSSQ_TESTDATA_DIR "/crossq_golden.bin");
  CrossQConfig cfg;
  cfg.obs_dim = 17;
  cfg.act_dim = 6;
  cfg.batch_size = 256;
  cfg.target_entropy = -3.f;
  cfg.threads = std::get<0>(GetParam());
  Rng rng(0);
  CrossQAgent agent(cfg, rng);
  for (int i = 0; i < 2; ++i) {
    const auto p = to_f(fx["init.critic" + std::to_string(i) + ".params"]);
    const auto r = to_f(fx["init.critic" + std::to_string(i) + ".running"]);
    ASSERT_EQ(p.size(), agent.critic(i).params().w.size());
    ASSERT_EQ(r.size(), agent.critic(i).running().size());
    agent.critic(i).params().w = p;
    agent.critic(i).running() = r;
    agent.target(i).params().w = p;
  }
  ASSERT_EQ(fx["init.actor.params"].size(), agent.actor().params().w.size());
  agent.actor().params().w = to_f(fx["init.actor.params"]);
  agent.actor().running() = to_f(fx["init.actor.running"]);
  agent.log_alpha() = static_cast<float>(fx["init.log_alpha"][0]);

  Batch b(256, 17, 6);
  b.obs = to_f(fx["batch.obs"]);
  b.act = to_f(fx["batch.act"]);
  b.reward = to_f(fx["batch.reward"]);
  b.next_obs = to_f(fx["batch.next_obs"]);
  b.terminated = to_f(fx["batch.terminated"]);
  const auto next_eps = to_f(fx["batch.next_eps"]);
  const auto eps = to_f(fx["batch.eps"]);

  const double tol = 1e-4;
  std::printf("critic step 1 (threads %d, %s kernels):\n", std::get<0>(GetParam()),
              std::get<1>(GetParam()) ? "reference" : "fused");
  const double loss1 = agent.critic_update(b, next_eps.data());
  const float lossf = static_cast<float>(loss1);
  EXPECT_LT(compare("loss", &lossf, fx["step1.loss"]), tol);
  EXPECT_LT(compare("y", agent.last_target().data(), fx["step1.y"]), tol);
  for (int i = 0; i < 2; ++i) {
    const std::string n = "critic" + std::to_string(i);
    const std::vector<double>& want = fx["step1." + n + ".grad"];
    const double* kink = fx["kink." + n].data();
    // per tensor, so a small tensor's error is not hidden by a large one's scale
    for (const auto& t : agent.critic(i).params().tensors) {
      std::vector<double> w(want.begin() + t.offset, want.begin() + t.offset + t.size());
      EXPECT_LT(compare(n + ".grad." + t.name, agent.critic(i).params().g.data() + t.offset, w,
                        kink + t.offset),
                tol)
          << t.name;
    }
  }
  std::vector<float> losses = {lossf};
  for (int s = 1; s < 5; ++s) losses.push_back(static_cast<float>(agent.critic_update(b, next_eps.data())));
  std::printf("after 5 critic steps:\n");
  EXPECT_LT(compare("losses", losses.data(), fx["steps.loss"]), tol);
  for (int i = 0; i < 2; ++i) {
    const std::string n = std::to_string(i);
    const double* kink = fx["kink.critic" + n].data();
    EXPECT_LT(compare("critic" + n + ".params", agent.critic(i).params().w.data(),
                      fx["after.critic" + n + ".params"], kink), tol);
    EXPECT_LT(compare("critic" + n + ".running", agent.critic(i).running().data(),
                      fx["after.critic" + n + ".running"]), tol);
    EXPECT_LT(compare("target" + n + ".params", agent.target(i).params().w.data(),
                      fx["after.target" + n + ".params"], kink), tol);
  }
  std::printf("actor and temperature step:\n");
  UpdateStats st;
  agent.actor_update(b, eps.data(), st);
  const float al = static_cast<float>(st.actor_loss), tl = static_cast<float>(st.alpha_loss);
  EXPECT_LT(compare("actor.loss", &al, fx["actor.loss"]), tol);
  EXPECT_LT(compare("alpha_loss", &tl, fx["actor.alpha_loss"]), tol);
  EXPECT_LT(compare("actor.grad", agent.actor().params().g.data(), fx["actor.grad"]), tol);
  EXPECT_LT(compare("actor.params", agent.actor().params().w.data(), fx["after.actor.params"]), tol);
  EXPECT_LT(compare("actor.running", agent.actor().running().data(), fx["after.actor.running"]), tol);
  EXPECT_LT(compare("log_alpha", &agent.log_alpha(), fx["after.log_alpha"]), tol);
}

INSTANTIATE_TEST_SUITE_P(ThreadsAndKernels, GoldenTest,
                         ::testing::Combine(::testing::Values(1, 2), ::testing::Bool()));

}  // namespace
}  // namespace crossq
