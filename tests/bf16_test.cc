// The opt-in bf16 products (--matmul-precision bf16) against fp32 on one CrossQ + WN update at
// the paper's size: the same agent, batch and noise, once per precision.
//
// The tolerance is stated against the update's own sensitivity: this update's gradients move by
// 5-15% (relative L2 per tensor) when only its weights are rounded to bfloat16 and everything
// else runs in fp32, because BatchNorm's backward subtracts the batch means of the incoming
// gradient and leaves a small remainder. bf16 products round every product's inputs that way;
// the check is that they change the gradients by at most twice what rounding the weights alone
// does (measured: 1.1-1.25x), and the losses by under 1e-3 relative. Each product is checked
// exactly against its rounded inputs in gemm_test.cc.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "crossq/agents/crossq_agent.h"
#include "crossq/nn/gemm.h"

namespace crossq {
namespace {

double rel_l2(const float* a, const float* b, long n) {
  double d = 0, s = 0;
  for (long k = 0; k < n; ++k) {
    d += (static_cast<double>(a[k]) - b[k]) * (static_cast<double>(a[k]) - b[k]);
    s += static_cast<double>(b[k]) * b[k];
  }
  return std::sqrt(d / std::max(s, 1e-30));
}

// the largest relative L2 difference over the tensors whose gradient is not zero by
// construction (a bias right before BatchNorm gets none)
double worst_grad_error(nn::ParamSet& x, nn::ParamSet& ref) {
  double worst = 0;
  for (size_t t = 0; t < ref.tensors.size(); ++t) {
    const float* g = ref.grad(static_cast<int>(t));
    double norm = 0;
    for (long k = 0; k < ref.tensors[t].size(); ++k) norm += std::abs(g[k]);
    if (norm < 1e-6 * ref.tensors[t].size()) continue;
    worst = std::max(worst, rel_l2(x.grad(static_cast<int>(t)), g, ref.tensors[t].size()));
  }
  return worst;
}

void round_to_bf16(std::vector<float>& w) {
  for (float& x : w) {
    uint32_t u;
    std::memcpy(&u, &x, 4);
    u = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
    std::memcpy(&x, &u, 4);
  }
}

TEST(Bf16, OneCrossQWnUpdateMovesTheGradientsNoMoreThanBf16WeightsDo) {
  if (!bf16_available()) GTEST_SKIP() << "no bf16 products on this machine or build";
  CrossQConfig c;
  c.obs_dim = 17;
  c.act_dim = 6;
  c.threads = 2;
  Rng init_fp(7), init_bf(7), init_rw(7);
  CrossQAgent fp(c, init_fp);
  CrossQAgent rw(c, init_rw);  // fp32 products, weights rounded to bf16
  for (int i = 0; i < 2; ++i) {
    round_to_bf16(rw.critic(i).params().w);
    round_to_bf16(rw.target(i).params().w);
  }
  round_to_bf16(rw.actor().params().w);
  c.precision = MatmulPrecision::kBf16;
  CrossQAgent bf(c, init_bf);
  Rng rng(11);
  Batch batch(c.batch_size, c.obs_dim, c.act_dim);
  for (auto& x : batch.obs) x = static_cast<float>(rng.normal());
  for (auto& x : batch.next_obs) x = static_cast<float>(rng.normal());
  for (auto& x : batch.act) x = static_cast<float>(rng.uniform(-1, 1));
  for (auto& x : batch.reward) x = static_cast<float>(rng.uniform());
  std::vector<float> eps(static_cast<size_t>(c.batch_size) * c.act_dim);
  for (auto& x : eps) x = static_cast<float>(rng.normal());

  const double loss_fp = fp.critic_update(batch, eps.data()), loss_bf = bf.critic_update(batch, eps.data());
  rw.critic_update(batch, eps.data());
  std::printf("critic loss fp32 %.6f bf16 %.6f\n", loss_fp, loss_bf);
  EXPECT_NEAR(loss_bf, loss_fp, 1e-3 * std::abs(loss_fp));
  for (int i = 0; i < 2; ++i) {
    const double e_bf = worst_grad_error(bf.critic(i).params(), fp.critic(i).params());
    const double e_rw = worst_grad_error(rw.critic(i).params(), fp.critic(i).params());
    std::printf("critic %d: worst gradient error bf16 %.3f, bf16-rounded weights %.3f (ratio %.2f)\n", i, e_bf, e_rw,
                e_bf / e_rw);
    EXPECT_GT(e_rw, 0.0);
    EXPECT_LT(e_bf, 2.0 * e_rw) << "critic " << i;
  }
  UpdateStats s_fp, s_bf, s_rw;
  fp.actor_update(batch, eps.data(), s_fp);
  bf.actor_update(batch, eps.data(), s_bf);
  rw.actor_update(batch, eps.data(), s_rw);
  std::printf("actor loss fp32 %.6f bf16 %.6f\n", s_fp.actor_loss, s_bf.actor_loss);
  EXPECT_NEAR(s_bf.actor_loss, s_fp.actor_loss, 1e-3 * (1 + std::abs(s_fp.actor_loss)));
  const double e_bf = worst_grad_error(bf.actor().params(), fp.actor().params());
  const double e_rw = worst_grad_error(rw.actor().params(), fp.actor().params());
  std::printf("actor: worst gradient error bf16 %.3f, bf16-rounded weights %.3f (ratio %.2f)\n", e_bf, e_rw,
              e_bf / e_rw);
  EXPECT_LT(e_bf, 2.0 * e_rw);
}

TEST(Bf16, PrecisionIsAScopeAndTheDefaultIsFp32) {
  EXPECT_EQ(GemmPrecision::current(), MatmulPrecision::kFp32);
  {
    const GemmPrecision outer(MatmulPrecision::kBf16);
    EXPECT_EQ(GemmPrecision::current(), MatmulPrecision::kBf16);
    {
      const GemmPrecision inner(MatmulPrecision::kFp32);
      EXPECT_EQ(GemmPrecision::current(), MatmulPrecision::kFp32);
    }
    EXPECT_EQ(GemmPrecision::current(), MatmulPrecision::kBf16);
  }
  EXPECT_EQ(GemmPrecision::current(), MatmulPrecision::kFp32);
  EXPECT_STREQ(matmul_precision_name(MatmulPrecision::kBf16), "bf16");
  CrossQConfig c;
  EXPECT_EQ(c.precision, MatmulPrecision::kFp32);
}

}  // namespace
}  // namespace crossq
