// SimBa and BRO against PyTorch autograd (tools/golden_baselines.py, float64). Critic step:
// observation normalization, a' from the residual actor, the target from two target critics
// (min for SimBa, mean for BRO per quantile), MSE or quantile Huber loss, AdamW, Polyak. Then
// the actor and temperature step, and BRO's optimistic actor and KL-weight step.
#include <cmath>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "crossq/agents/residual_agent.h"

namespace crossq {
namespace {

std::map<std::string, std::vector<float>> load(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error("cannot open " + path);
  char magic[4];
  uint32_t version, count;
  f.read(magic, 4);
  f.read(reinterpret_cast<char*>(&version), 4);
  f.read(reinterpret_cast<char*>(&count), 4);
  if (std::memcmp(magic, "CQGF", 4) != 0 || version != 1) throw std::runtime_error("bad fixture");
  std::map<std::string, std::vector<float>> fx;
  for (uint32_t i = 0; i < count; ++i) {
    uint32_t len, ndim;
    f.read(reinterpret_cast<char*>(&len), 4);
    std::string name(len, '\0');
    f.read(name.data(), len);
    f.read(reinterpret_cast<char*>(&ndim), 4);
    size_t n = 1;
    for (uint32_t d = 0; d < ndim; ++d) {
      uint32_t dim;
      f.read(reinterpret_cast<char*>(&dim), 4);
      n *= dim;
    }
    std::vector<float> data(n);
    f.read(reinterpret_cast<char*>(data.data()), static_cast<std::streamsize>(n * 4));
    fx[name] = data;
  }
  if (!f) throw std::runtime_error("truncated fixture");
  return fx;
}

// max |got - want| / max |want|, printed per tensor
double rel_diff(const std::string& name, const float* got, const std::vector<float>& want) {
  double d = 0, scale = 1e-6;
  for (size_t i = 0; i < want.size(); ++i) {
    d = std::max(d, std::abs(static_cast<double>(got[i]) - want[i]));
    scale = std::max(scale, std::abs(static_cast<double>(want[i])));
  }
  std::printf("  %-28s n=%-6zu max|diff| %.2e  rel %.2e\n", name.c_str(), want.size(), d, d / scale);
  return d / scale;
}

// kind: simba | bro; critics: 2, or 1 (fixture simba1_golden.bin)
void run_case(const std::string& kind, int threads, int critics = 2) {
  const std::string file = kind + (critics == 1 ? "1" : "") + "_golden.bin";
  auto fx = load(std::string(CROSSQ_TESTDATA_DIR) + "/" + file);
  auto at = [&](const std::string& k) -> std::vector<float>& {
    auto it = fx.find(k);
    if (it == fx.end()) throw std::runtime_error("fixture has no tensor " + k);
    return it->second;
  };
  const bool bro = kind == "bro";
  ResidualConfig c;
  c.obs_dim = 5;
  c.act_dim = 2;
  c.batch_size = 32;
  c.kind = bro ? nn::ResKind::kBro : nn::ResKind::kSimba;
  c.critic_hidden = 32;
  c.critic_blocks = 2;
  c.actor_hidden = 16;
  c.actor_blocks = 1;
  c.quantiles = bro ? 10 : 1;
  c.pessimism = bro ? 0.f : 1.f;
  c.obs_norm = !bro;
  c.optimistic = bro;
  c.critic_lr = bro ? 3e-4f : 1e-4f;
  c.weight_decay = bro ? 1e-4f : 1e-2f;
  c.threads = threads;
  c.critics = critics;
  Rng rng(0);
  ResidualAgent agent(c, rng);
  EXPECT_EQ(fx.count("init.critic1"), critics == 2 ? 1u : 0u);
  for (int i = 0; i < critics; ++i) {
    const std::string n = std::to_string(i);
    ASSERT_EQ(at("init.critic" + n).size(), agent.critic(i).params().w.size());
    agent.critic(i).params().w = at("init.critic" + n);
    agent.target(i).params().w = at("init.target" + n);
  }
  ASSERT_EQ(at("init.actor").size(), agent.actor().params().w.size());
  agent.actor().params().w = at("init.actor");
  if (bro) {
    ASSERT_EQ(at("init.opt_actor").size(), agent.optimistic_actor().params().w.size());
    agent.optimistic_actor().params().w = at("init.opt_actor");
  }
  agent.log_alpha() = at("log_alpha")[0];
  const auto& m = at("norm.mean");
  const auto& v = at("norm.var");
  agent.normalizer().set({m.begin(), m.end()}, {v.begin(), v.end()}, 100.0);
  Batch b(32, 5, 2);
  b.obs = at("batch.obs");
  b.act = at("batch.act");
  b.reward = at("batch.reward");
  b.next_obs = at("batch.next_obs");
  b.terminated = at("batch.terminated");
  std::printf("%s critic step (threads %d):\n", kind.c_str(), threads);
  const float loss = static_cast<float>(agent.critic_update(b, at("batch.next_eps").data()));
  const double tol = 1e-4;
  EXPECT_LT(rel_diff("loss", &loss, at("loss")), tol);
  EXPECT_LT(rel_diff("y", agent.last_target().data(), at("y")), tol);
  for (int i = 0; i < critics; ++i) {
    const std::string n = std::to_string(i);
    const nn::ParamSet& ps = agent.critic(i).params();
    const std::vector<float>& g = at("grad.critic" + n);
    for (const nn::Tensor& t : ps.tensors) {  // per tensor: small tensors are not hidden
      std::vector<float> want(g.begin() + t.offset, g.begin() + t.offset + t.size());
      EXPECT_LT(rel_diff("critic" + n + ".grad." + t.name, ps.g.data() + t.offset, want), tol);
    }
    EXPECT_LT(rel_diff("critic" + n + ".after", ps.w.data(), at("after.critic" + n)), tol);
    EXPECT_LT(rel_diff("target" + n + ".after", agent.target(i).params().w.data(),
                       at("after.target" + n)), tol);
  }
  std::printf("%s actor step:\n", kind.c_str());
  UpdateStats st;
  agent.actor_update(b, at("batch.eps").data(), at("batch.eps_opt").data(), st);
  const float al = static_cast<float>(st.actor_loss);
  EXPECT_LT(rel_diff("actor.loss", &al, at("actor.loss")), tol);
  EXPECT_LT(rel_diff("actor.grad", agent.actor().params().g.data(), at("actor.grad")), tol);
  EXPECT_LT(rel_diff("actor.after", agent.actor().params().w.data(), at("after.actor")), tol);
  EXPECT_LT(rel_diff("log_alpha", &agent.log_alpha(), at("after.log_alpha")), tol);
  if (bro) {
    const float kl = static_cast<float>(agent.last_kl());
    EXPECT_LT(rel_diff("opt.kl", &kl, at("opt.kl")), tol);
    EXPECT_LT(rel_diff("opt.grad", agent.optimistic_actor().params().g.data(), at("opt.grad")), tol);
    EXPECT_LT(rel_diff("opt.after", agent.optimistic_actor().params().w.data(),
                       at("after.opt_actor")), tol);
    EXPECT_LT(rel_diff("log_kl_weight", &agent.log_kl_weight(), at("after.log_kl_weight")), tol);
  }
}

TEST(GoldenBaselines, SimbaCriticAndActorStepsMatchPyTorch) {
  run_case("simba", 1);
  run_case("simba", 2);
}

TEST(GoldenBaselines, SingleCriticSimbaStepsMatchPyTorch) {
  // the default simba: one critic (no clipped double Q), as in the seed paper's Table 1
  run_case("simba", 1, 1);
  run_case("simba", 2, 1);
}

TEST(GoldenBaselines, BroCriticAndActorStepsMatchPyTorch) {
  run_case("bro", 1);
  run_case("bro", 2);
}

}  // namespace
}  // namespace crossq
