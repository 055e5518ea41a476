#include "crossq/nn/params.h"

#include <algorithm>
#include <cmath>

#include "crossq/nn/gemm.h"
#include "crossq/core/parallel.h"

namespace crossq::nn {

int ParamSet::add(const std::string& name, int rows, int cols, float weight_decay,
                  bool weight_norm, bool dense_weight) {
  Tensor t;
  t.name = name;
  t.offset = tensors.empty() ? 0 : tensors.back().offset + tensors.back().size();
  t.rows = rows;
  t.cols = cols;
  t.weight_decay = weight_decay;
  t.weight_norm = weight_norm;
  t.dense_weight = dense_weight;
  tensors.push_back(t);
  return static_cast<int>(tensors.size()) - 1;
}

void ParamSet::finalize() {
  const long n = tensors.empty() ? 0 : tensors.back().offset + tensors.back().size();
  w.assign(n, 0.f);
  g.assign(n, 0.f);
  m.assign(n, 0.f);
  v.assign(n, 0.f);
  steps = 0;
}

int ParamSet::find(const std::string& name) const {
  for (size_t i = 0; i < tensors.size(); ++i)
    if (tensors[i].name == name) return static_cast<int>(i);
  return -1;
}

namespace {

// buffers at least this long are split over the two lanes of an active GemmSplit (about 10 us
// of hand-off against about 0.5 ms of work); every element's arithmetic is the same either way
constexpr long kSplitMinElements = 1L << 18;

// runs body(lo, hi) over [0, n): split in two at a multiple of 16 on the lanes of the current
// GemmSplit when there is one and the range is large, else whole on this thread
template <class Body>
void over_range(long n, Body& body) {
  LanePair* lanes = GemmSplit::active();
  if (lanes == nullptr || lanes->threads() < 2 || n < kSplitMinElements) {
    body(0L, n);
    return;
  }
  const long mid = (n / 2 + 15) / 16 * 16;
  auto half = [&](int lane) { lane == 0 ? body(0L, mid) : body(mid, n); };
  lanes->run(half);
}

}  // namespace

void adamw_step(ParamSet& ps, const AdamConfig& cfg) {
  ++ps.steps;
  const double bc1 = 1.0 - std::pow(static_cast<double>(cfg.beta1), static_cast<double>(ps.steps));
  const double bc2 = 1.0 - std::pow(static_cast<double>(cfg.beta2), static_cast<double>(ps.steps));
  const float step_size = static_cast<float>(cfg.lr / bc1);
  const float inv_sqrt_bc2 = static_cast<float>(1.0 / std::sqrt(bc2));
  const float b1 = cfg.beta1, b2 = cfg.beta2, eps = cfg.eps;
  // the elements [lo, hi) of the flat buffers, each with its tensor's decay
  auto body = [&](long lo, long hi) {
    for (const Tensor& t : ps.tensors) {
      const long t0 = std::max(lo, t.offset), t1 = std::min(hi, t.offset + t.size());
      if (t0 >= t1) continue;
      float* __restrict w = ps.w.data() + t0;
      float* __restrict m = ps.m.data() + t0;
      float* __restrict v = ps.v.data() + t0;
      const float* __restrict g = ps.g.data() + t0;
      const float keep = 1.f - cfg.lr * t.weight_decay;
      const long n = t1 - t0;
      for (long i = 0; i < n; ++i) {
        m[i] = b1 * m[i] + (1.f - b1) * g[i];
        v[i] = b2 * v[i] + (1.f - b2) * g[i] * g[i];
        const float denom = std::sqrt(v[i]) * inv_sqrt_bc2 + eps;
        w[i] = w[i] * keep - step_size * m[i] / denom;
      }
    }
  };
  over_range(ps.size(), body);
}

void adam_reset(ParamSet& ps) {
  std::fill(ps.m.begin(), ps.m.end(), 0.f);
  std::fill(ps.v.begin(), ps.v.end(), 0.f);
  ps.steps = 0;
}

void polyak_update(float* target, const float* source, long n, float tau) {
  const float keep = 1.f - tau;
  auto body = [&](long lo, long hi) {
    for (long i = lo; i < hi; ++i) target[i] = keep * target[i] + tau * source[i];
  };
  over_range(n, body);
}

void weight_norm_project(ParamSet& ps, bool include_bias) {
  for (size_t k = 0; k < ps.tensors.size(); ++k) {
    const Tensor& t = ps.tensors[k];
    if (!t.weight_norm) continue;
    float* b = nullptr;
    if (include_bias && k + 1 < ps.tensors.size() && ps.tensors[k + 1].rows == 1 &&
        ps.tensors[k + 1].cols == t.rows)
      b = ps.w.data() + ps.tensors[k + 1].offset;
    for (int r = 0; r < t.rows; ++r) {
      float* row = ps.w.data() + t.offset + static_cast<long>(r) * t.cols;
      double ss = 0;
      for (int c = 0; c < t.cols; ++c) ss += static_cast<double>(row[c]) * row[c];
      if (b) ss += static_cast<double>(b[r]) * b[r];
      if (ss <= 0) continue;  // an all-zero row has no direction to keep
      const float inv = static_cast<float>(1.0 / std::sqrt(ss));
      for (int c = 0; c < t.cols; ++c) row[c] *= inv;
      if (b) b[r] *= inv;
    }
  }
}

void init_uniform_fan_in(ParamSet& ps, int tensor, int bias_tensor, Rng& rng) {
  const Tensor& t = ps.tensors[tensor];
  const double bound = 1.0 / std::sqrt(static_cast<double>(t.cols));
  float* w = ps.param(tensor);
  for (long i = 0; i < t.size(); ++i) w[i] = static_cast<float>(rng.uniform(-bound, bound));
  if (bias_tensor >= 0) {
    float* b = ps.param(bias_tensor);
    for (long i = 0; i < ps.tensors[bias_tensor].size(); ++i)
      b[i] = static_cast<float>(rng.uniform(-bound, bound));
  }
}

void init_orthogonal_rows(ParamSet& ps, int tensor, int bias_tensor, int row0, int rows,
                          double gain, Rng& rng) {
  const Tensor& t = ps.tensors[tensor];
  const int cols = t.cols;
  // orthonormalize the shorter side: k vectors of length n
  const bool by_rows = rows <= cols;
  const int k = by_rows ? rows : cols, n = by_rows ? cols : rows;
  std::vector<double> q(static_cast<size_t>(k) * n);  // init only, never in an update
  for (double& x : q) x = rng.normal();
  for (int i = 0; i < k; ++i) {  // modified Gram-Schmidt, twice for stability
    double* qi = q.data() + static_cast<size_t>(i) * n;
    for (int pass = 0; pass < 2; ++pass)
      for (int j = 0; j < i; ++j) {
        const double* qj = q.data() + static_cast<size_t>(j) * n;
        double dot = 0;
        for (int c = 0; c < n; ++c) dot += qi[c] * qj[c];
        for (int c = 0; c < n; ++c) qi[c] -= dot * qj[c];
      }
    double ss = 0;
    for (int c = 0; c < n; ++c) ss += qi[c] * qi[c];
    const double inv = 1.0 / std::sqrt(ss);
    for (int c = 0; c < n; ++c) qi[c] *= inv;
  }
  float* w = ps.param(tensor) + static_cast<long>(row0) * cols;
  for (int r = 0; r < rows; ++r)
    for (int c = 0; c < cols; ++c) {
      const double v = by_rows ? q[static_cast<size_t>(r) * n + c] : q[static_cast<size_t>(c) * n + r];
      w[static_cast<long>(r) * cols + c] = static_cast<float>(gain * v);
    }
  if (bias_tensor >= 0) std::fill_n(ps.param(bias_tensor) + row0, rows, 0.f);
}

}  // namespace crossq::nn
