// Central finite differences in double precision for every layer's backward (STYLE 4).
#include <cmath>
#include <functional>
#include <vector>

#include <gtest/gtest.h>

#include "crossq/nn/layers.h"
#include "crossq/core/rng.h"

namespace crossq::nn {
namespace {

using Vec = std::vector<double>;

Vec randn(size_t n, Rng& rng, double scale = 1.0) {
  Vec v(n);
  for (auto& x : v) x = scale * rng.normal();
  return v;
}

// loss(x) = sum(out(x) * proj); checks d loss / d x against `analytic` by central differences
// and returns the max relative error
double check(Vec& x, const std::function<Vec()>& out, const Vec& proj, const Vec& analytic,
             double h = 1e-6) {
  auto loss = [&] {
    const Vec o = out();
    double s = 0;
    for (size_t i = 0; i < o.size(); ++i) s += o[i] * proj[i];
    return s;
  };
  double worst = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double keep = x[i];
    x[i] = keep + h;
    const double lp = loss();
    x[i] = keep - h;
    const double lm = loss();
    x[i] = keep;
    const double fd = (lp - lm) / (2 * h);
    const double err = std::abs(fd - analytic[i]) / std::max(1.0, std::abs(fd) + std::abs(analytic[i]));
    worst = std::max(worst, err);
  }
  return worst;
}

constexpr double kTol = 1e-7;

TEST(GradCheck, Linear) {
  Rng rng(1);
  const int N = 5, I = 4, O = 3;
  for (bool bias : {true, false}) {
    Vec x = randn(N * I, rng), w = randn(O * I, rng), b = randn(O, rng), proj = randn(N * O, rng);
    Vec out(N * O), dx(N * I), dw(O * I), db(O);
    auto fwd = [&] {
      linear_forward(out.data(), x.data(), w.data(), bias ? b.data() : nullptr, N, I, O);
      return out;
    };
    fwd();
    linear_backward(dx.data(), dw.data(), bias ? db.data() : nullptr, proj.data(), x.data(), w.data(), N, I, O);
    EXPECT_LT(check(x, fwd, proj, dx), kTol);
    EXPECT_LT(check(w, fwd, proj, dw), kTol);
    if (bias) {
      EXPECT_LT(check(b, fwd, proj, db), kTol);
    }
  }
}

TEST(GradCheck, Relu) {
  Rng rng(2);
  Vec x = randn(20, rng), proj = randn(20, rng), out(20), dx(20);
  for (auto& v : x)
    if (std::abs(v) < 1e-3) v = 0.5;  // keep away from the kink
  auto fwd = [&] { relu_forward(out.data(), x.data(), 20); return out; };
  fwd();
  relu_backward(dx.data(), proj.data(), out.data(), 20);
  EXPECT_LT(check(x, fwd, proj, dx), kTol);
}

void batchnorm_case(bool renorm) {
  Rng rng(renorm ? 4 : 3);
  const int N = 7, C = 3;
  Vec x = randn(N * C, rng, 2.0), g = randn(C, rng), b = randn(C, rng), proj = randn(N * C, rng);
  Vec run_mean = randn(C, rng, 0.5), run_var(C, 1.5);
  Vec out(N * C), xhat(N * C), mean(C), rstd(C), r(C), d(C), dx(N * C), dg(C), db(C), scratch(2 * C);
  auto fwd = [&] {
    BatchNormRun<double> run{run_mean.data(), run_var.data(), 0.99, 1e-3, false, renorm, 3.0, 5.0};
    batchnorm_forward_train(out.data(), xhat.data(), mean.data(), rstd.data(), r.data(), d.data(),
                            x.data(), g.data(), b.data(), run, N, C);
    return out;
  };
  fwd();
  if (renorm) {
    // the case must exercise the corrections: r away from 1 and d away from 0
    for (int c = 0; c < C; ++c) EXPECT_GT(std::abs(r[c] - 1) + std::abs(d[c]), 1e-3);
  }
  batchnorm_backward_train(dx.data(), dg.data(), db.data(), scratch.data(), proj.data(), xhat.data(),
                           rstd.data(), r.data(), d.data(), g.data(), N, C);
  if (!renorm) {
    EXPECT_LT(check(x, fwd, proj, dx), kTol);
  } else {
    // r and d are taken without gradient: check against finite differences with them frozen
    const Vec r0 = r, d0 = d;
    auto frozen = [&] {
      Vec o(N * C);
      for (int c = 0; c < C; ++c) {
        double m = 0, v = 0;
        for (int n = 0; n < N; ++n) m += x[n * C + c];
        m /= N;
        for (int n = 0; n < N; ++n) v += (x[n * C + c] - m) * (x[n * C + c] - m);
        v /= N;
        for (int n = 0; n < N; ++n)
          o[n * C + c] = g[c] * ((x[n * C + c] - m) / std::sqrt(v + 1e-3) * r0[c] + d0[c]) + b[c];
      }
      return o;
    };
    EXPECT_LT(check(x, frozen, proj, dx), kTol);
  }
  EXPECT_LT(check(g, fwd, proj, dg), kTol);
  EXPECT_LT(check(b, fwd, proj, db), kTol);
}

TEST(GradCheck, BatchNormTrain) { batchnorm_case(false); }
TEST(GradCheck, BatchRenormTrain) { batchnorm_case(true); }

TEST(GradCheck, BatchNormEvalInput) {
  Rng rng(5);
  const int N = 4, C = 3;
  Vec x = randn(N * C, rng), g = randn(C, rng), b = randn(C, rng), proj = randn(N * C, rng);
  Vec rm = randn(C, rng), rv(C, 0.7), out(N * C), dx(N * C);
  auto fwd = [&] {
    batchnorm_forward_eval(out.data(), x.data(), g.data(), b.data(), rm.data(), rv.data(), 1e-3, N, C);
    return out;
  };
  fwd();
  batchnorm_backward_eval(dx.data(), proj.data(), g.data(), rv.data(), 1e-3, N, C);
  EXPECT_LT(check(x, fwd, proj, dx), kTol);
}

TEST(GradCheck, BatchNormRunningStatisticsUseBiasedVarianceAndMomentum) {
  const int N = 4, C = 1;
  Vec x = {1, 2, 3, 6}, g = {1}, b = {0}, rm = {0}, rv = {1};
  Vec out(4), xhat(4), mean(1), rstd(1), r(1), d(1);
  BatchNormRun<double> run{rm.data(), rv.data(), 0.99, 1e-3, true, false, 3, 5};
  batchnorm_forward_train(out.data(), xhat.data(), mean.data(), rstd.data(), r.data(), d.data(),
                          x.data(), g.data(), b.data(), run, N, C);
  // batch mean 3, biased variance (4 + 1 + 0 + 9) / 4 = 3.5
  EXPECT_NEAR(rm[0], 0.01 * 3.0, 1e-15);
  EXPECT_NEAR(rv[0], 0.99 + 0.01 * 3.5, 1e-15);
  EXPECT_NEAR(out[3], 3.0 / std::sqrt(3.5 + 1e-3), 1e-12);
}

TEST(GradCheck, LayerNorm) {
  Rng rng(6);
  const int N = 3, C = 5;
  Vec x = randn(N * C, rng), g = randn(C, rng), b = randn(C, rng), proj = randn(N * C, rng);
  Vec out(N * C), xhat(N * C), rstd(N), dx(N * C), dg(C), db(C);
  auto fwd = [&] {
    layernorm_forward(out.data(), xhat.data(), rstd.data(), x.data(), g.data(), b.data(), 1e-5, N, C);
    return out;
  };
  fwd();
  layernorm_backward(dx.data(), dg.data(), db.data(), proj.data(), xhat.data(), rstd.data(), g.data(), N, C);
  EXPECT_LT(check(x, fwd, proj, dx), kTol);
  EXPECT_LT(check(g, fwd, proj, dg), kTol);
  EXPECT_LT(check(b, fwd, proj, db), kTol);
}

TEST(GradCheck, ResidualBlock) {
  Rng rng(7);
  const int N = 3, C = 4, E = 16;
  Vec x = randn(N * C, rng), lg = randn(C, rng), lb = randn(C, rng), w1 = randn(E * C, rng, 0.5),
      b1 = randn(E, rng, 0.5), w2 = randn(C * E, rng, 0.5), b2 = randn(C, rng), proj = randn(N * C, rng);
  Vec out(N * C), ln(N * C), xhat(N * C), rstd(N), h(N * E);
  ResidualCache<double> k{ln.data(), xhat.data(), rstd.data(), h.data()};
  auto fwd = [&] {
    residual_forward(out.data(), k, x.data(), lg.data(), lb.data(), w1.data(), b1.data(), w2.data(),
                     b2.data(), 1e-5, N, C, E);
    return out;
  };
  fwd();
  Vec dx(N * C), dlg(C), dlb(C), dw1(E * C), db1(E), dw2(C * E), db2(C), dh(N * E), dln(N * C);
  residual_backward(dx.data(), dlg.data(), dlb.data(), dw1.data(), db1.data(), dw2.data(), db2.data(),
                    dh.data(), dln.data(), proj.data(), k, lg.data(), w1.data(), w2.data(), N, C, E);
  EXPECT_LT(check(x, fwd, proj, dx), 1e-6);
  EXPECT_LT(check(lg, fwd, proj, dlg), 1e-6);
  EXPECT_LT(check(lb, fwd, proj, dlb), 1e-6);
  EXPECT_LT(check(w1, fwd, proj, dw1), 1e-6);
  EXPECT_LT(check(b1, fwd, proj, db1), 1e-6);
  EXPECT_LT(check(w2, fwd, proj, dw2), 1e-6);
  EXPECT_LT(check(b2, fwd, proj, db2), 1e-6);
}

TEST(GradCheck, BroBlock) {
  Rng rng(9);
  const int N = 3, C = 5;
  Vec x = randn(N * C, rng), w1 = randn(C * C, rng, 0.5), b1 = randn(C, rng, 0.5),
      g1 = randn(C, rng), be1 = randn(C, rng), w2 = randn(C * C, rng, 0.5), b2 = randn(C, rng),
      g2 = randn(C, rng), be2 = randn(C, rng), proj = randn(N * C, rng);
  Vec out(N * C), tmp(N * C), xh1(N * C), rs1(N), h(N * C), xh2(N * C), rs2(N);
  BroBlockCache<double> k{tmp.data(), xh1.data(), rs1.data(), h.data(), xh2.data(), rs2.data()};
  auto fwd = [&] {
    bro_block_forward(out.data(), k, x.data(), w1.data(), b1.data(), g1.data(), be1.data(),
                      w2.data(), b2.data(), g2.data(), be2.data(), 1e-5, N, C);
    return out;
  };
  fwd();
  for (double v : h) EXPECT_TRUE(v == 0 || v > 1e-4);  // no unit sits on the ReLU kink
  Vec dx(N * C), dw1(C * C), db1(C), dg1(C), dbe1(C), dw2(C * C), db2(C), dg2(C), dbe2(C),
      da(N * C), dbb(N * C);
  bro_block_backward(dx.data(), dw1.data(), db1.data(), dg1.data(), dbe1.data(), dw2.data(),
                     db2.data(), dg2.data(), dbe2.data(), da.data(), dbb.data(), proj.data(), k,
                     x.data(), w1.data(), g1.data(), w2.data(), g2.data(), N, C);
  EXPECT_LT(check(x, fwd, proj, dx), 1e-6);
  EXPECT_LT(check(w1, fwd, proj, dw1), 1e-6);
  EXPECT_LT(check(b1, fwd, proj, db1), 1e-6);
  EXPECT_LT(check(g1, fwd, proj, dg1), 1e-6);
  EXPECT_LT(check(be1, fwd, proj, dbe1), 1e-6);
  EXPECT_LT(check(w2, fwd, proj, dw2), 1e-6);
  EXPECT_LT(check(b2, fwd, proj, db2), 1e-6);
  EXPECT_LT(check(g2, fwd, proj, dg2), 1e-6);
  EXPECT_LT(check(be2, fwd, proj, dbe2), 1e-6);
}

TEST(GradCheck, TanhGaussianLogProbAndAction) {
  Rng rng(8);
  const int N = 4, A = 3;
  Vec head = randn(N * 2 * A, rng, 0.7), eps = randn(N * A, rng);
  head[A] = 2.5;  // one log-std above the clip: its gradient must be zero
  Vec act(N * A), logp(N), dhead(N * 2 * A);
  const Vec pa = randn(N * A, rng), pl = randn(N, rng);
  auto fwd = [&] {
    tanh_gaussian_forward(act.data(), logp.data(), head.data(), eps.data(), N, A);
    Vec o(act);
    o.insert(o.end(), logp.begin(), logp.end());
    return o;
  };
  fwd();
  Vec proj(pa);
  proj.insert(proj.end(), pl.begin(), pl.end());
  tanh_gaussian_backward(dhead.data(), pa.data(), pl.data(), head.data(), eps.data(), act.data(), N, A);
  EXPECT_LT(check(head, fwd, proj, dhead), 1e-6);
  EXPECT_EQ(dhead[A], 0.0);
  // the log-probability equals the change-of-variables density of the squashed Gaussian
  fwd();  // (check() left the last evaluation perturbed)
  for (int n = 0; n < N; ++n) {
    double lp = 0;
    for (int j = 0; j < A; ++j) {
      const double mu = head[n * 2 * A + j], ls = std::clamp(head[n * 2 * A + A + j], -20.0, 2.0);
      const double u = mu + std::exp(ls) * eps[n * A + j];
      lp += -0.5 * std::pow((u - mu) / std::exp(ls), 2) - ls - 0.5 * std::log(2 * M_PI) -
            2 * std::log(1 / std::cosh(u));  // log(1 - tanh^2 u), exact for moderate u
    }
    EXPECT_NEAR(logp[n], lp, 1e-9);
  }
}


// ---- TD-MPC2's layers

TEST(GradCheck, Mish) {
  Rng rng(11);
  Vec x = randn(30, rng, 3.0), proj = randn(30, rng), out(30), dx(30);
  x[0] = 25.0;  // the large-input branch of softplus
  x[1] = -25.0;
  auto fwd = [&] { mish_forward(out.data(), x.data(), 30); return out; };
  fwd();
  mish_backward(dx.data(), proj.data(), x.data(), 30);
  EXPECT_LT(check(x, fwd, proj, dx), kTol);
  EXPECT_NEAR(out[0], 25.0, 1e-12);  // mish(x) -> x for large x, -> 0 for very negative x
  EXPECT_NEAR(out[1], 0.0, 1e-9);
}

TEST(GradCheck, SimNorm) {
  Rng rng(12);
  const int N = 3, C = 16, G = 8;
  Vec x = randn(N * C, rng, 2.0), proj = randn(N * C, rng), out(N * C), dx(N * C);
  auto fwd = [&] { simnorm_forward(out.data(), x.data(), N, C, G); return out; };
  fwd();
  simnorm_backward(dx.data(), proj.data(), out.data(), N, C, G);
  EXPECT_LT(check(x, fwd, proj, dx), kTol);
}

TEST(GradCheck, DropoutWithAFixedMask) {
  Rng rng(13);
  const long n = 200;
  Vec x = randn(n, rng), proj = randn(n, rng), mask(n), out(n), dx(n);
  dropout_mask(mask.data(), n, 0.25, [&] { return rng.uniform(); });
  long zeros = 0;
  for (double m : mask) {
    EXPECT_TRUE(m == 0.0 || std::abs(m - 1 / 0.75) < 1e-15);
    zeros += m == 0.0;
  }
  EXPECT_GT(zeros, 25);  // about 50 of 200
  EXPECT_LT(zeros, 80);
  auto fwd = [&] { dropout_apply(out.data(), x.data(), mask.data(), n); return out; };
  fwd();
  dropout_apply(dx.data(), proj.data(), mask.data(), n);
  EXPECT_LT(check(x, fwd, proj, dx), kTol);
}

TEST(GradCheck, TwoHotCrossEntropy) {
  Rng rng(14);
  const TwoHotBins b{11, -2.0, 2.0};
  const int N = 4;
  Vec logits = randn(N * b.bins, rng), x = {-30.0, -0.7, 0.0, 2.5}, scale = {1.0, 0.5, 2.0, 0.1};
  Vec loss(N), dl(N * b.bins), target(N * b.bins);
  auto fwd = [&] {
    two_hot_cross_entropy(loss.data(), static_cast<double*>(nullptr), target.data(), logits.data(), x.data(),
                          static_cast<const double*>(nullptr), N, b);
    return loss;
  };
  fwd();
  two_hot_cross_entropy(loss.data(), dl.data(), target.data(), logits.data(), x.data(), scale.data(), N, b);
  EXPECT_LT(check(logits, fwd, scale, dl), kTol);
}

TEST(GradCheck, TwoHotDecode) {
  Rng rng(15);
  const TwoHotBins b{21, -3.0, 3.0};
  const int N = 3;
  Vec logits = randn(N * b.bins, rng), out(N), p(N * b.bins), dl(N * b.bins);
  const Vec proj = randn(N, rng);
  auto fwd = [&] { two_hot_decode(out.data(), p.data(), logits.data(), N, b); return out; };
  fwd();
  two_hot_decode_backward(dl.data(), proj.data(), p.data(), N, b);
  EXPECT_LT(check(logits, fwd, proj, dl), kTol);
}

}  // namespace
}  // namespace crossq::nn
