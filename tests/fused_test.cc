// The fused float kernels (nn/fused.h) against their plain references (layers.h), run in
// double: exp over the range the networks use; LayerNorm + Mish forward on odd and even widths
// (masked tails), with and without Mish; Mish's backward; CrossQ's ReLU + BatchNorm forward and
// backward in train and eval mode (odd widths, renorm, an input far from zero mean); AdamW +
// WN + Polyak in one sweep against the three sweeps. And TD-MPC2's and CrossQ's networks give
// the same forward and gradients with either kernel set.
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "crossq/core/rng.h"
#include "crossq/nn/fused.h"
#include "crossq/nn/layers.h"
#include "crossq/nn/ln_mlp.h"
#include "crossq/nn/mlp.h"
#include "crossq/nn/params.h"

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

// relative closeness of a float kernel's result to the double reference
void expect_close(const float* got, const std::vector<double>& want, double tol, const char* what, int C) {
  for (size_t k = 0; k < want.size(); ++k)
    ASSERT_NEAR(got[k], want[k], tol * (1 + std::abs(want[k]))) << what << " C " << C << " at " << k;
}

TEST(Fused, ReluBatchNormForwardTrainMatchesTheReference) {
  Rng rng(11);
  for (int C : {512, 88, 23, 5})
    for (int variant = 0; variant < 4; ++variant) {
      const bool relu = variant % 2 == 0, renorm = variant >= 2;
      const int N = C == 512 ? 512 : 37;
      const long n = static_cast<long>(N) * C;
      // an input BN sees raw observations: a large offset with a small spread
      const double offset = relu ? 0.2 : 100.0, spread = relu ? 1.0 : 0.05;
      std::vector<float> a(n), g(C), b(C), out(n), xh(n), mean(C), rstd(C), r(C), d(C), rm(C), rv(C);
      std::vector<double> ds(2 * static_cast<size_t>(C));
      for (auto& v : a) v = static_cast<float>(offset + spread * rng.normal());
      for (auto& v : g) v = static_cast<float>(1 + 0.3 * rng.normal());
      for (auto& v : b) v = static_cast<float>(0.2 * rng.normal());
      for (int c = 0; c < C; ++c) {
        rm[c] = static_cast<float>(offset + 0.1 * rng.normal());
        rv[c] = static_cast<float>(spread * spread * (0.5 + rng.uniform(0, 1)));
      }
      // the double reference: relu, then BN, from the same inputs
      std::vector<double> da(a.begin(), a.end()), dg(g.begin(), g.end()), db(b.begin(), b.end());
      std::vector<double> drm(rm.begin(), rm.end()), drv(rv.begin(), rv.end());
      std::vector<double> dout(n), dxh(n), dmean(C), drstd(C), dr(C), dd(C);
      if (relu) relu_forward(da.data(), da.data(), n);
      BatchNormRun<double> drun{drm.data(), drv.data(), 0.99, 1e-3, true, renorm, 3.0, 5.0};
      batchnorm_forward_train(dout.data(), dxh.data(), dmean.data(), drstd.data(), dr.data(), dd.data(), da.data(),
                              dg.data(), db.data(), drun, N, C);
      BatchNormRun<float> run{rm.data(), rv.data(), 0.99f, 1e-3f, true, renorm, 3.f, 5.f};
      relu_batchnorm_forward_train(out.data(), a.data(), xh.data(), mean.data(), rstd.data(), r.data(), d.data(),
                                   ds.data(), g.data(), b.data(), run, N, C, relu);
      expect_close(a.data(), da, 1e-6, "relu(a)", C);
      expect_close(mean.data(), dmean, 1e-6, "mean", C);
      expect_close(rstd.data(), drstd, 2e-5, "rstd", C);
      expect_close(r.data(), dr, 2e-5, "r", C);
      expect_close(d.data(), dd, 2e-4, "d", C);
      expect_close(rm.data(), drm, 1e-6, "running mean", C);
      expect_close(rv.data(), drv, 2e-5, "running var", C);
      // the input's offset costs float digits in x - mean, the same in both
      const double tol = relu ? 1e-5 : 2e-3;
      expect_close(xh.data(), dxh, tol, "xhat", C);
      expect_close(out.data(), dout, tol, "out", C);
      // without a cache (target networks), the output is the same
      std::vector<float> out2(n);
      BatchNormRun<float> frozen{rm.data(), rv.data(), 0.99f, 1e-3f, false, renorm, 3.f, 5.f};
      std::vector<float> rm0 = rm, rv0 = rv;
      relu_batchnorm_forward_train(out2.data(), a.data(), nullptr, mean.data(), rstd.data(), r.data(), d.data(),
                                   ds.data(), g.data(), b.data(), frozen, N, C, relu);
      ASSERT_EQ(rm, rm0) << "frozen statistics were updated";
      ASSERT_EQ(rv, rv0);
      if (!renorm) {
        ASSERT_EQ(out2, out) << "the output depends on the xhat cache";
      }
    }
}

TEST(Fused, ReluBatchNormForwardEvalMatchesTheReference) {
  Rng rng(12);
  for (int C : {512, 23})
    for (bool relu : {true, false}) {
      const int N = 19;
      const long n = static_cast<long>(N) * C;
      std::vector<float> a(n), g(C), b(C), rm(C), rv(C), out(n), scratch(2 * static_cast<size_t>(C));
      for (auto& v : a) v = static_cast<float>(rng.normal());
      for (int c = 0; c < C; ++c) {
        g[c] = static_cast<float>(1 + 0.3 * rng.normal());
        b[c] = static_cast<float>(0.2 * rng.normal());
        rm[c] = static_cast<float>(0.3 * rng.normal());
        rv[c] = static_cast<float>(0.2 + rng.uniform(0, 1));
      }
      std::vector<double> da(a.begin(), a.end()), dg(g.begin(), g.end()), db(b.begin(), b.end());
      std::vector<double> drm(rm.begin(), rm.end()), drv(rv.begin(), rv.end()), dout(n);
      if (relu) relu_forward(da.data(), da.data(), n);
      batchnorm_forward_eval(dout.data(), da.data(), dg.data(), db.data(), drm.data(), drv.data(), 1e-3, N, C);
      relu_batchnorm_forward_eval(out.data(), a.data(), scratch.data(), g.data(), b.data(), rm.data(), rv.data(), 1e-3f,
                                  N, C, relu);
      expect_close(a.data(), da, 1e-7, "relu(a)", C);
      expect_close(out.data(), dout, 1e-5, "out", C);
    }
}

TEST(Fused, BatchNormReluBackwardMatchesTheReference) {
  Rng rng(13);
  for (int C : {512, 88, 23})
    for (int variant = 0; variant < 4; ++variant) {
      const bool relu = variant % 2 == 0, eval = variant >= 2;
      const int N = 41;
      const long n = static_cast<long>(N) * C;
      std::vector<float> dy(n), xh(n), ro(n), rstd(C), r(C), d(C), g(C), rv(C), din(n), dg(C), dbeta(C), db(C);
      std::vector<float> scratch(2 * static_cast<size_t>(C));
      for (auto& v : dy) v = static_cast<float>(rng.normal());
      for (auto& v : xh) v = static_cast<float>(rng.normal());
      for (auto& v : ro) v = rng.uniform(0, 1) < 0.4 ? 0.f : static_cast<float>(rng.uniform(0, 2));
      for (int c = 0; c < C; ++c) {
        rstd[c] = static_cast<float>(0.5 + rng.uniform(0, 2));
        r[c] = static_cast<float>(0.5 + rng.uniform(0, 1));
        d[c] = static_cast<float>(0.3 * rng.normal());
        g[c] = static_cast<float>(1 + 0.3 * rng.normal());
        rv[c] = static_cast<float>(0.2 + rng.uniform(0, 1));
      }
      std::vector<double> ddy(dy.begin(), dy.end()), dxh(xh.begin(), xh.end()), dro(ro.begin(), ro.end());
      std::vector<double> drstd(rstd.begin(), rstd.end()), dr(r.begin(), r.end()), ddd(d.begin(), d.end());
      std::vector<double> dgm(g.begin(), g.end()), drv(rv.begin(), rv.end());
      std::vector<double> want(n), wdg(C), wdbeta(C), wdb(C, 0.0), dscr(2 * static_cast<size_t>(C));
      if (eval) {
        batchnorm_backward_eval(want.data(), ddy.data(), dgm.data(), drv.data(), 1e-3, N, C);
      } else {
        batchnorm_backward_train(want.data(), wdg.data(), wdbeta.data(), dscr.data(), ddy.data(), dxh.data(),
                                 drstd.data(), dr.data(), ddd.data(), dgm.data(), N, C);
      }
      if (relu) relu_backward(want.data(), want.data(), dro.data(), n);
      for (long k = 0; k < n; ++k) wdb[k % C] += want[k];
      if (eval) {
        batchnorm_relu_backward_eval(din.data(), db.data(), scratch.data(), dy.data(), g.data(), rv.data(), 1e-3f,
                                     relu ? ro.data() : nullptr, N, C);
      } else {
        // in place, as the network runs it
        din = dy;
        batchnorm_relu_backward_train(din.data(), dg.data(), dbeta.data(), db.data(), scratch.data(), din.data(),
                                      xh.data(), rstd.data(), r.data(), d.data(), g.data(), relu ? ro.data() : nullptr,
                                      N, C);
        expect_close(dg.data(), wdg, 1e-5, "dgamma", C);
        expect_close(dbeta.data(), wdbeta, 1e-5, "dbeta", C);
      }
      expect_close(din.data(), want, 1e-5, "din", C);
      expect_close(db.data(), wdb, 1e-5, "db", C);
      for (long k = 0; relu && k < n; ++k) {
        if (ro[k] == 0.f) {
          ASSERT_EQ(din[k], 0.f) << "gradient through a dead unit";
        }
      }
    }
}

// a small network's parameter set: a WN layer and its bias, a plain layer, BN-like vectors
ParamSet make_params(Rng& rng) {
  ParamSet ps;
  ps.add("l0.w", 40, 37, 0.f, true, true);
  ps.add("l0.b", 1, 40, 0.f);
  ps.add("bn.gamma", 1, 40, 0.01f);
  ps.add("l1.w", 24, 40, 0.f, true, true);
  ps.add("l1.b", 1, 24, 0.f);
  ps.add("out.w", 3, 24, 0.01f);
  ps.add("out.b", 1, 3, 0.01f);
  ps.finalize();
  for (auto& v : ps.w) v = static_cast<float>(rng.normal());
  ps.w[ps.tensors[0].offset + 37] = 0.f;  // an all-zero row stays zero
  for (int c = 0; c < 37; ++c) ps.w[ps.tensors[0].offset + 37 + c] = 0.f;
  return ps;
}

TEST(Fused, AdamWProjectPolyakMatchesTheThreeSweeps) {
  for (bool wn : {true, false})
    for (bool bias : {false, true})
      for (bool target : {true, false}) {
        Rng rng(14);
        ParamSet a = make_params(rng);
        a.w[a.tensors[0].offset + 37] = 0.f;
        ParamSet b = a;
        std::vector<float> ta(a.w.size()), tb;
        for (auto& v : ta) v = static_cast<float>(rng.normal());
        tb = ta;
        const AdamConfig cfg{1e-3f, 0.9f, 0.999f, 1e-8f};
        for (int step = 0; step < 4; ++step) {
          for (size_t k = 0; k < a.g.size(); ++k) a.g[k] = b.g[k] = static_cast<float>(rng.normal());
          StepFusion f;
          f.weight_norm = wn;
          f.weight_norm_bias = bias;
          f.target = target ? ta.data() : nullptr;
          f.tau = 0.05f;
          adamw_project_polyak(a, cfg, f);
          adamw_step(b, cfg);
          if (wn) weight_norm_project(b, bias);
          if (target) polyak_update(tb.data(), b.w.data(), b.size(), 0.05f);
        }
        ASSERT_EQ(a.steps, b.steps);
        for (size_t k = 0; k < a.w.size(); ++k) {
          ASSERT_NEAR(a.w[k], b.w[k], 1e-6 * (1 + std::abs(b.w[k]))) << "w " << k << " wn " << wn << " bias " << bias;
          ASSERT_EQ(a.m[k], b.m[k]) << "m " << k;
          ASSERT_EQ(a.v[k], b.v[k]) << "v " << k;
          ASSERT_NEAR(ta[k], tb[k], 1e-6 * (1 + std::abs(tb[k]))) << "target " << k;
        }
        if (wn) {  // the rows are unit norm (with the bias when it joins them)
          const Tensor& t = a.tensors[3];
          for (int r = 0; r < t.rows; ++r) {
            double ss = 0;
            for (int c = 0; c < t.cols; ++c) ss += std::pow(a.w[t.offset + r * t.cols + c], 2);
            if (bias) ss += std::pow(a.w[a.tensors[4].offset + r], 2);
            ASSERT_NEAR(ss, 1.0, 1e-5);
          }
        }
      }
}

TEST(Fused, CrossQTrunkIsTheSameWithEitherKernelSet) {
  for (Norm norm : {Norm::kBatchNorm, Norm::kBatchRenorm})
    for (Mode mode : {Mode::kTrain, Mode::kEval}) {
      MlpConfig c;
      c.in = 23;
      c.hidden = 96;
      c.layers = 2;
      c.out = 1;
      c.norm = norm;
      c.brn_warmup = 0;
      c.weight_norm = true;
      c.max_rows = 64;
      std::vector<float> y[2], g[2], dx[2], run[2];
      const int N = 64;
      for (int ref = 0; ref < 2; ++ref) {
        set_reference_kernels(ref == 1);
        Rng rng(15);
        Mlp net(c, rng);
        std::vector<float> x(static_cast<size_t>(N) * c.in), dout(N);
        for (auto& v : x) v = static_cast<float>(rng.normal());
        for (auto& v : dout) v = static_cast<float>(rng.normal());
        // a few train passes first, so that eval mode and renorm see moved statistics
        for (int k = 0; k < 3; ++k) net.forward(x.data(), N, Mode::kTrain);
        const float* out = net.forward(x.data(), N, mode);
        y[ref].assign(out, out + N);
        std::fill(net.params().g.begin(), net.params().g.end(), 0.f);
        dx[ref].resize(x.size());
        net.backward(dout.data(), mode == Mode::kTrain, dx[ref].data());
        g[ref] = net.params().g;
        run[ref] = net.running();
      }
      set_reference_kernels(false);
      for (size_t k = 0; k < y[0].size(); ++k) ASSERT_NEAR(y[0][k], y[1][k], 1e-5 * (1 + std::abs(y[1][k])));
      for (size_t k = 0; k < g[0].size(); ++k) ASSERT_NEAR(g[0][k], g[1][k], 1e-4 * (1 + std::abs(g[1][k]))) << k;
      for (size_t k = 0; k < dx[0].size(); ++k) ASSERT_NEAR(dx[0][k], dx[1][k], 1e-4 * (1 + std::abs(dx[1][k])));
      for (size_t k = 0; k < run[0].size(); ++k) ASSERT_NEAR(run[0][k], run[1][k], 1e-5 * (1 + std::abs(run[1][k])));
    }
}

TEST(Fused, BackwardAfterAFrozenPassIsRefused) {
  MlpConfig c;
  c.in = 5;
  c.hidden = 16;
  c.norm = Norm::kBatchNorm;
  c.max_rows = 8;
  Rng rng(16);
  Mlp net(c, rng);
  std::vector<float> x(8 * 5, 0.5f), dout(8, 1.f);
  x[3] = -1.f;
  net.forward(x.data(), 8, Mode::kTrainFrozen);
  EXPECT_THROW(net.backward(dout.data(), true, nullptr), std::logic_error);
  net.forward(x.data(), 8, Mode::kTrain);
  EXPECT_NO_THROW(net.backward(dout.data(), true, nullptr));
}

}  // namespace
}  // namespace crossq::nn
