#include "crossq/agents/obs_normalizer.h"

#include <cmath>

namespace crossq {

ObsNormalizer::ObsNormalizer(int dim, double eps)
    : dim_(dim), eps_(eps), mean_(dim, 0.0), m2_(dim, 0.0) {}

void ObsNormalizer::update(const float* obs) {
  // Welford: mean += d / n; M2 += d (x - mean_new)
  count_ += 1.0;
  for (int i = 0; i < dim_; ++i) {
    const double x = obs[i];
    const double d = x - mean_[i];
    mean_[i] += d / count_;
    m2_[i] += d * (x - mean_[i]);
  }
}

std::vector<double> ObsNormalizer::variance() const {
  std::vector<double> v(dim_, 1.0);
  if (count_ > 0)
    for (int i = 0; i < dim_; ++i) v[i] = m2_[i] / count_;
  return v;
}

void ObsNormalizer::set(const std::vector<double>& mean, const std::vector<double>& var,
                        double count) {
  count_ = count;
  for (int i = 0; i < dim_; ++i) {
    mean_[i] = mean[i];
    m2_[i] = var[i] * count;
  }
}

void ObsNormalizer::normalize(float* out, const float* in, int N) const {
  // computed from the state each call (no cache), so restoring the state bytes is enough
  for (int i = 0; i < dim_; ++i) {
    const double var = count_ > 0 ? m2_[i] / count_ : 1.0;
    const float shift = static_cast<float>(mean_[i]);
    const float scale = static_cast<float>(1.0 / std::sqrt(var + eps_));
    for (int n = 0; n < N; ++n) {
      const long k = static_cast<long>(n) * dim_ + i;
      out[k] = (in[k] - shift) * scale;
    }
  }
}

}  // namespace crossq
