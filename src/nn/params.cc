#include "crossq/nn/params.h"

#include <algorithm>
#include <cmath>

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

#include "crossq/nn/fused.h"
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

namespace {

// the sum of squares of n floats, in double
double sum_squares(const float* x, long n) {
#if defined(__AVX512F__)
  __m512d a0 = _mm512_setzero_pd(), a1 = _mm512_setzero_pd();
  long i = 0;
  for (; i + 16 <= n; i += 16) {
    const __m512d lo = _mm512_cvtps_pd(_mm256_loadu_ps(x + i));
    const __m512d hi = _mm512_cvtps_pd(_mm256_loadu_ps(x + i + 8));
    a0 = _mm512_fmadd_pd(lo, lo, a0);
    a1 = _mm512_fmadd_pd(hi, hi, a1);
  }
  double ss = _mm512_reduce_add_pd(_mm512_add_pd(a0, a1));
#else
  double ss = 0;
  long i = 0;
#endif
  for (; i < n; ++i) ss += static_cast<double>(x[i]) * x[i];
  return ss;
}

struct AdamConsts {
  float step_size, inv_sqrt_bc2, b1, b2, eps;
};

// AdamW on n elements with one decay factor `keep` (the reference's loop)
inline void adam_span(float* __restrict w, float* __restrict m, float* __restrict v, const float* __restrict g, long n,
                      float keep, const AdamConsts& k) {
  for (long i = 0; i < n; ++i) {
    m[i] = k.b1 * m[i] + (1.f - k.b1) * g[i];
    v[i] = k.b2 * v[i] + (1.f - k.b2) * g[i] * g[i];
    const float denom = std::sqrt(v[i]) * k.inv_sqrt_bc2 + k.eps;
    w[i] = w[i] * keep - k.step_size * m[i] / denom;
  }
}

inline void polyak_span(float* __restrict target, const float* __restrict source, long n, float tau) {
  const float keep = 1.f - tau;
  for (long i = 0; i < n; ++i) target[i] = keep * target[i] + tau * source[i];
}

}  // namespace

void adamw_project_polyak(ParamSet& ps, const AdamConfig& cfg, const StepFusion& f) {
  if (reference_kernels()) {
    adamw_step(ps, cfg);
    if (f.weight_norm) weight_norm_project(ps, f.weight_norm_bias);
    if (f.target) polyak_update(f.target, ps.w.data(), ps.size(), f.tau);
    return;
  }
  ++ps.steps;
  const double bc1 = 1.0 - std::pow(static_cast<double>(cfg.beta1), static_cast<double>(ps.steps));
  const double bc2 = 1.0 - std::pow(static_cast<double>(cfg.beta2), static_cast<double>(ps.steps));
  const AdamConsts k{static_cast<float>(cfg.lr / bc1), static_cast<float>(1.0 / std::sqrt(bc2)), cfg.beta1,
                     cfg.beta2, cfg.eps};
  float* w = ps.w.data();
  float* m = ps.m.data();
  float* v = ps.v.data();
  const float* g = ps.g.data();
  auto keep_of = [&](const Tensor& t) { return 1.f - cfg.lr * t.weight_decay; };
  // elements [lo, hi) of every tensor that is not weight-normalized; WN rows go whole below
  auto plain = [&](long lo, long hi) {
    for (const Tensor& t : ps.tensors) {
      if (f.weight_norm && t.weight_norm) continue;
      const long t0 = std::max(lo, t.offset), t1 = std::min(hi, t.offset + t.size());
      if (t0 >= t1) continue;
      adam_span(w + t0, m + t0, v + t0, g + t0, t1 - t0, keep_of(t), k);
      if (f.target) polyak_span(f.target + t0, w + t0, t1 - t0, f.tau);
    }
  };
  if (!f.weight_norm) {
    over_range(ps.size(), plain);
    return;
  }
  // with WN (CrossQ + WN's critics and actor: one lane per network, no split)
  for (size_t ti = 0; ti < ps.tensors.size(); ++ti) {
    const Tensor& t = ps.tensors[ti];
    if (!t.weight_norm) {
      // a bias folded into the previous WN tensor's rows is handled there
      const bool folded = f.weight_norm_bias && ti > 0 && ps.tensors[ti - 1].weight_norm && t.rows == 1 &&
                          t.cols == ps.tensors[ti - 1].rows;
      if (folded) continue;
      plain(t.offset, t.offset + t.size());
      continue;
    }
    const Tensor* bt = nullptr;
    if (f.weight_norm_bias && ti + 1 < ps.tensors.size() && ps.tensors[ti + 1].rows == 1 &&
        ps.tensors[ti + 1].cols == t.rows)
      bt = &ps.tensors[ti + 1];
    const float keep = keep_of(t);
    const float bkeep = bt ? keep_of(*bt) : 1.f;
    for (int r = 0; r < t.rows; ++r) {
      const long o = t.offset + static_cast<long>(r) * t.cols;
      adam_span(w + o, m + o, v + o, g + o, t.cols, keep, k);
      double ss = sum_squares(w + o, t.cols);
      const long bo = bt ? bt->offset + r : 0;
      if (bt) {
        adam_span(w + bo, m + bo, v + bo, g + bo, 1, bkeep, k);
        ss += static_cast<double>(w[bo]) * w[bo];
      }
      if (ss > 0) {  // an all-zero row has no direction to keep
        const float inv = static_cast<float>(1.0 / std::sqrt(ss));
        float* row = w + o;
        for (int c = 0; c < t.cols; ++c) row[c] *= inv;
        if (bt) w[bo] *= inv;
      }
      if (f.target) {
        polyak_span(f.target + o, w + o, t.cols, f.tau);
        if (bt) polyak_span(f.target + bo, w + bo, 1, f.tau);
      }
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
