// TD-MPC2's layers, by their properties: SimNorm's groups are distributions, two-hot targets
// encode a scalar exactly (their expected bin value is the clamped symlog), decoding inverts
// encoding, and the soft cross-entropy is smallest at the target.
#include <cmath>
#include <vector>

#include <gtest/gtest.h>

#include "crossq/core/rng.h"
#include "crossq/nn/layers.h"

namespace crossq::nn {
namespace {

TEST(TdmpcLayers, SimNormGroupsSumToOne) {
  Rng rng(1);
  const int N = 5, C = 512, G = 8;
  std::vector<float> x(N * C), y(N * C);
  for (auto& v : x) v = static_cast<float>(10 * rng.normal());
  simnorm_forward(y.data(), x.data(), N, C, G);
  for (int s = 0; s < N * C; s += G) {
    double sum = 0;
    for (int k = 0; k < G; ++k) {
      EXPECT_GE(y[s + k], 0.0f);
      sum += y[s + k];
    }
    EXPECT_NEAR(sum, 1.0, 1e-6) << "group at " << s;
  }
}

TEST(TdmpcLayers, TwoHotEncodesAndDecodesAScalar) {
  const TwoHotBins b;  // TD-MPC2's: 101 bins on [-10, 10]
  EXPECT_NEAR(b.width(), 0.2, 1e-15);
  const std::vector<double> xs = {0.0, 1.0, -1.0, 3.7, -250.0, 1000.0, 12345.0, 0.013, -0.5};
  std::vector<double> t(b.bins), logits(b.bins), p(b.bins);
  for (double x : xs) {
    two_hot(t.data(), &x, 1, b);
    double sum = 0, mean = 0;
    int nonzero = 0;
    for (int k = 0; k < b.bins; ++k) {
      sum += t[k];
      mean += t[k] * b.value(k);
      nonzero += t[k] != 0;
    }
    EXPECT_NEAR(sum, 1.0, 1e-12) << x;
    EXPECT_LE(nonzero, 2) << x;
    EXPECT_NEAR(mean, std::clamp(symlog(x), -10.0, 10.0), 1e-12) << x;
    // logits log(t) (almost: zeros become -60) decode back to x, within the clamp
    for (int k = 0; k < b.bins; ++k) logits[k] = t[k] > 0 ? std::log(t[k]) : -60.0;
    double back = 0;
    two_hot_decode(&back, p.data(), logits.data(), 1, b);
    const double want = symexp(std::clamp(symlog(x), -10.0, 10.0));
    EXPECT_NEAR(back, want, 1e-9 * std::max(1.0, std::abs(want))) << x;
  }
  EXPECT_NEAR(symexp(symlog(-42.5)), -42.5, 1e-12);
}

TEST(TdmpcLayers, SoftCrossEntropyIsSmallestAtTheTarget) {
  const TwoHotBins b;
  const double x = 2.3;
  std::vector<double> t(b.bins), scratch(b.bins), logits(b.bins);
  two_hot(t.data(), &x, 1, b);
  auto ce = [&] {
    double loss = 0;
    two_hot_cross_entropy(&loss, static_cast<double*>(nullptr), scratch.data(), logits.data(), &x,
                          static_cast<const double*>(nullptr), 1, b);
    return loss;
  };
  for (int k = 0; k < b.bins; ++k) logits[k] = t[k] > 0 ? std::log(t[k]) : -60.0;
  double entropy = 0;
  for (double v : t)
    if (v > 0) entropy -= v * std::log(v);
  EXPECT_NEAR(ce(), entropy, 1e-9);  // the cross-entropy of a distribution with itself
  std::fill(logits.begin(), logits.end(), 0.0);
  EXPECT_NEAR(ce(), std::log(101.0), 1e-12);  // uniform logits
  EXPECT_GT(ce(), entropy);
}

}  // namespace
}  // namespace crossq::nn
