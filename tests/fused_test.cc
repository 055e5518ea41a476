// The fused float kernels (nn/fused.h) against their plain references (layers.h), run in
// double: exp over the range the networks use; LayerNorm + Mish forward on odd and even widths
// (masked tails), with and without Mish; Mish's backward. And TD-MPC2's network gives the same
// forward and gradients with either kernel set.
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "crossq/core/rng.h"
#include "crossq/nn/fused.h"
#include "crossq/nn/layers.h"
#include "crossq/nn/ln_mlp.h"

namespace crossq::nn {
namespace {

TEST(Fused, ExpMatchesTheLibraryWithin2e7Relative) {
  std::vector<float> x, y;
  for (float v = -87.f; v <= 88.f; v += 0.0137f) x.push_back(v);
  y.resize(x.size());
  exp_fast(y.data(), x.data(), static_cast<long>(x.size()));
  double worst = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double want = std::exp(static_cast<double>(x[i]));
    worst = std::max(worst, std::abs(y[i] - want) / want);
  }
  EXPECT_LT(worst, 2e-7) << "worst relative error";
}

TEST(Fused, LayerNormMishMatchesTheReference) {
  Rng rng(5);
  for (int C : {512, 37, 16, 5})
    for (bool mish : {true, false}) {
      const int N = 9;
      const long n = static_cast<long>(N) * C;
      std::vector<float> in(n), g(C), b(C), out(n, -7.f), ln(n), xh(n), rs(N);
      for (auto& v : in) v = static_cast<float>(3 * rng.normal() + 0.5);
      for (auto& v : g) v = static_cast<float>(1 + 0.3 * rng.normal());
      for (auto& v : b) v = static_cast<float>(0.2 * rng.normal());
      layernorm_mish_forward(out.data(), ln.data(), xh.data(), rs.data(), in.data(), g.data(), b.data(), 1e-5f, N, C,
                             mish);
      std::vector<double> din(in.begin(), in.end()), dg(g.begin(), g.end()), db(b.begin(), b.end());
      std::vector<double> rln(n), rxh(n), rrs(N), rout(n);
      layernorm_forward(rln.data(), rxh.data(), rrs.data(), din.data(), dg.data(), db.data(), 1e-5, N, C);
      mish_forward(rout.data(), rln.data(), n);
      for (int r = 0; r < N; ++r) EXPECT_NEAR(rs[r], rrs[r], 1e-5 * rrs[r]) << "C " << C;
      for (long k = 0; k < n; ++k) {
        ASSERT_NEAR(xh[k], rxh[k], 1e-5 * (1 + std::abs(rxh[k]))) << "C " << C << " at " << k;
        ASSERT_NEAR(ln[k], rln[k], 1e-5 * (1 + std::abs(rln[k]))) << "C " << C << " at " << k;
        if (mish) ASSERT_NEAR(out[k], rout[k], 1e-5 * (1 + std::abs(rout[k]))) << "C " << C << " at " << k;
        else ASSERT_EQ(out[k], -7.f) << "out is not written without Mish";
      }
    }
}

TEST(Fused, MishBackwardMatchesTheReference) {
  Rng rng(6);
  const long n = 1000 + 13;
  std::vector<float> x(n), dy(n), dx(n);
  for (auto& v : x) v = static_cast<float>(6 * rng.normal());
  x[0] = 25.f;
  x[1] = -95.f;
  x[2] = 20.f;
  for (auto& v : dy) v = static_cast<float>(rng.normal());
  mish_backward_fast(dx.data(), dy.data(), x.data(), n);
  std::vector<double> xd(x.begin(), x.end()), dyd(dy.begin(), dy.end()), want(n);
  mish_backward(want.data(), dyd.data(), xd.data(), n);
  for (long k = 0; k < n; ++k) ASSERT_NEAR(dx[k], want[k], 2e-6 * (1 + std::abs(want[k]))) << "x " << x[k];
}

TEST(Fused, Tdmpc2NetworkIsTheSameWithEitherKernelSet) {
  LnMlpConfig c;
  c.in = 24;
  c.hidden = 96;
  c.layers = 2;
  c.out = 40;
  c.head = LnHead::kSimNorm;
  Rng rng(9);
  LnMlp net(c, rng);
  const int N = 33;
  LnMlpCache cache = net.make_cache(N);
  std::vector<float> x(static_cast<size_t>(N) * c.in), dout(static_cast<size_t>(N) * c.out);
  for (auto& v : x) v = static_cast<float>(rng.normal());
  for (auto& v : dout) v = static_cast<float>(rng.normal());
  std::vector<float> y[2], g[2], dx[2];
  for (int ref = 0; ref < 2; ++ref) {
    set_reference_kernels(ref == 1);
    const float* out = net.forward(cache, x.data(), N, nullptr);
    y[ref].assign(out, out + dout.size());
    std::fill(net.params().g.begin(), net.params().g.end(), 0.f);
    dx[ref].resize(x.size());
    net.backward(cache, dout.data(), true, dx[ref].data());
    g[ref] = net.params().g;
  }
  set_reference_kernels(false);
  for (size_t k = 0; k < y[0].size(); ++k) ASSERT_NEAR(y[0][k], y[1][k], 1e-5 * (1 + std::abs(y[1][k])));
  for (size_t k = 0; k < g[0].size(); ++k) ASSERT_NEAR(g[0][k], g[1][k], 1e-4 * (1 + std::abs(g[1][k]))) << k;
  for (size_t k = 0; k < dx[0].size(); ++k) ASSERT_NEAR(dx[0][k], dx[1][k], 1e-4 * (1 + std::abs(dx[1][k])));
}

}  // namespace
}  // namespace crossq::nn
