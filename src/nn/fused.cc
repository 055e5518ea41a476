#include "crossq/nn/fused.h"

#include <algorithm>
#include <atomic>
#include <cmath>

#include "crossq/nn/layers.h"

#if defined(__AVX512F__)
#include <immintrin.h>
#endif

namespace crossq::nn {

namespace {

std::atomic<bool> g_reference{false};

#if defined(__AVX512F__)
// exp(x) for x in about [-87, 88]: x = n ln2 + r with |r| <= ln2 / 2, e^r by Cephes' expf
// polynomial (degree 7 with the 1 + r terms), then scaled by 2^n
inline __m512 exp16(__m512 x) {
  x = _mm512_min_ps(_mm512_max_ps(x, _mm512_set1_ps(-87.3f)), _mm512_set1_ps(88.3f));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);  // ln2 in two parts
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), r);
  p = _mm512_add_ps(p, _mm512_set1_ps(1.f));
  return _mm512_scalef_ps(p, n);
}

// Mish as the reference computes it: e = exp(min(x, 20)), q = e (e + 2), x q / (q + 2), and x
// itself above 20
inline __m512 mish16(__m512 x) {
  const __m512 e = exp16(_mm512_min_ps(x, _mm512_set1_ps(20.f)));
  const __m512 q = _mm512_mul_ps(e, _mm512_add_ps(e, _mm512_set1_ps(2.f)));
  const __m512 y = _mm512_div_ps(_mm512_mul_ps(x, q), _mm512_add_ps(q, _mm512_set1_ps(2.f)));
  const __mmask16 big = _mm512_cmp_ps_mask(x, _mm512_set1_ps(20.f), _CMP_GT_OQ);
  return _mm512_mask_mov_ps(y, big, x);
}

inline __m512 mish_grad16(__m512 x) {
  const __m512 e = exp16(_mm512_min_ps(x, _mm512_set1_ps(20.f)));
  const __m512 q = _mm512_mul_ps(e, _mm512_add_ps(e, _mm512_set1_ps(2.f)));
  const __m512 s = _mm512_add_ps(q, _mm512_set1_ps(2.f));
  const __m512 num = _mm512_mul_ps(_mm512_mul_ps(x, _mm512_set1_ps(4.f)), _mm512_mul_ps(e, _mm512_add_ps(e, _mm512_set1_ps(1.f))));
  const __m512 g = _mm512_add_ps(_mm512_div_ps(q, s), _mm512_div_ps(num, _mm512_mul_ps(s, s)));
  const __mmask16 big = _mm512_cmp_ps_mask(x, _mm512_set1_ps(20.f), _CMP_GT_OQ);
  return _mm512_mask_mov_ps(g, big, _mm512_set1_ps(1.f));
}

inline __mmask16 tail_mask(long left) { return static_cast<__mmask16>(left >= 16 ? 0xffffu : (1u << left) - 1u); }
#endif

}  // namespace

void set_reference_kernels(bool on) { g_reference.store(on); }
bool reference_kernels() { return g_reference.load(std::memory_order_relaxed); }

void exp_fast(float* out, const float* in, long n) {
#if defined(__AVX512F__)
  for (long i = 0; i < n; i += 16) {
    const __mmask16 m = tail_mask(n - i);
    _mm512_mask_storeu_ps(out + i, m, exp16(_mm512_maskz_loadu_ps(m, in + i)));
  }
#else
  for (long i = 0; i < n; ++i) out[i] = std::exp(in[i]);
#endif
}

void layernorm_mish_forward(float* out, float* ln, float* xhat, float* rstd, const float* in, const float* gamma,
                            const float* beta, float eps, int N, int C, bool mish) {
#if defined(__AVX512F__)
  for (int r = 0; r < N; ++r) {
    const float* x = in + static_cast<long>(r) * C;
    float* xh = xhat + static_cast<long>(r) * C;
    float* y = ln + static_cast<long>(r) * C;
    // mean, then the variance around it (two passes, as the reference)
    __m512 acc = _mm512_setzero_ps();
    for (int c = 0; c < C; c += 16) acc = _mm512_add_ps(acc, _mm512_maskz_loadu_ps(tail_mask(C - c), x + c));
    const float m = _mm512_reduce_add_ps(acc) / static_cast<float>(C);
    const __m512 vm = _mm512_set1_ps(m);
    acc = _mm512_setzero_ps();
    for (int c = 0; c < C; c += 16) {
      const __mmask16 k = tail_mask(C - c);
      const __m512 d = _mm512_maskz_sub_ps(k, _mm512_maskz_loadu_ps(k, x + c), vm);
      acc = _mm512_fmadd_ps(d, d, acc);
    }
    const float v = _mm512_reduce_add_ps(acc) / static_cast<float>(C);
    const float rs = 1.f / std::sqrt(v + eps);
    rstd[r] = rs;
    const __m512 vr = _mm512_set1_ps(rs);
    float* o = mish ? out + static_cast<long>(r) * C : nullptr;
    for (int c = 0; c < C; c += 16) {
      const __mmask16 k = tail_mask(C - c);
      const __m512 h = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, x + c), vm), vr);
      _mm512_mask_storeu_ps(xh + c, k, h);
      const __m512 l = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(k, gamma + c), h, _mm512_maskz_loadu_ps(k, beta + c));
      _mm512_mask_storeu_ps(y + c, k, l);
      if (o) _mm512_mask_storeu_ps(o + c, k, mish16(l));
    }
  }
#else
  layernorm_forward(ln, xhat, rstd, in, gamma, beta, eps, N, C);
  if (mish) mish_forward(out, ln, static_cast<long>(N) * C);
#endif
}

namespace {

#if defined(__AVX512F__)
// the upper and lower 8 floats of v widened to double
inline __m512d lo_pd(__m512 v) { return _mm512_cvtps_pd(_mm512_castps512_ps256(v)); }
inline __m512d hi_pd(__m512 v) {
  return _mm512_cvtps_pd(_mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1)));
}
#endif

// din's column sums into db (the reference path's extra pass)
[[maybe_unused]] void column_sums(float* db, const float* x, int N, int C) {
  std::fill(db, db + C, 0.f);
  for (int n = 0; n < N; ++n) {
    const float* row = x + static_cast<long>(n) * C;
    for (int c = 0; c < C; ++c) db[c] += row[c];
  }
}

}  // namespace

void relu_batchnorm_forward_train(float* out, float* a, float* xhat, float* mean, float* rstd, float* r,
                                  float* d, double* dscratch, const float* gamma, const float* beta,
                                  const BatchNormRun<float>& run, int N, int C, bool relu) {
#if defined(__AVX512F__)
  double* s1 = dscratch;      // column sums
  double* s2 = dscratch + C;  // column sums of squares
  std::fill(dscratch, dscratch + 2 * static_cast<long>(C), 0.0);
  const __m512 zero = _mm512_setzero_ps();
  for (int n = 0; n < N; ++n) {
    float* x = a + static_cast<long>(n) * C;
    for (int c = 0; c < C; c += 16) {
      const __mmask16 k = tail_mask(C - c);
      __m512 v = _mm512_maskz_loadu_ps(k, x + c);
      if (relu) {
        v = _mm512_max_ps(v, zero);
        _mm512_mask_storeu_ps(x + c, k, v);
      }
      const __mmask8 kl = static_cast<__mmask8>(k & 0xff), kh = static_cast<__mmask8>(k >> 8);
      const __m512d l = lo_pd(v), h = hi_pd(v);
      _mm512_mask_storeu_pd(s1 + c, kl, _mm512_add_pd(_mm512_maskz_loadu_pd(kl, s1 + c), l));
      _mm512_mask_storeu_pd(s2 + c, kl, _mm512_fmadd_pd(l, l, _mm512_maskz_loadu_pd(kl, s2 + c)));
      if (kh) {
        _mm512_mask_storeu_pd(s1 + c + 8, kh, _mm512_add_pd(_mm512_maskz_loadu_pd(kh, s1 + c + 8), h));
        _mm512_mask_storeu_pd(s2 + c + 8, kh, _mm512_fmadd_pd(h, h, _mm512_maskz_loadu_pd(kh, s2 + c + 8)));
      }
    }
  }
  // the per-column statistics, as the reference computes them from the mean and the variance
  const double inv_n = 1.0 / N;
  for (int c = 0; c < C; ++c) {
    const double md = s1[c] * inv_n;
    const float m = static_cast<float>(md);
    const float v = static_cast<float>(std::max(s2[c] * inv_n - md * md, 0.0));
    mean[c] = m;
    const float sigma = std::sqrt(v + run.eps);
    if (run.renorm) {
      const float sigma_run = std::sqrt(run.var[c] + run.eps);
      r[c] = std::clamp(sigma / sigma_run, 1.f / run.r_max, run.r_max);
      d[c] = std::clamp((m - run.mean[c]) / sigma_run, -run.d_max, run.d_max);
    } else {
      r[c] = 1.f;
      d[c] = 0.f;
    }
    if (run.update) {
      run.mean[c] = run.momentum * run.mean[c] + (1.f - run.momentum) * m;
      run.var[c] = run.momentum * run.var[c] + (1.f - run.momentum) * v;
    }
    rstd[c] = 1.f / sigma;
  }
  for (int n = 0; n < N; ++n) {
    const float* x = a + static_cast<long>(n) * C;
    float* xh = xhat ? xhat + static_cast<long>(n) * C : nullptr;
    float* y = out + static_cast<long>(n) * C;
    for (int c = 0; c < C; c += 16) {
      const __mmask16 k = tail_mask(C - c);
      const __m512 h = _mm512_mul_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(k, x + c), _mm512_maskz_loadu_ps(k, mean + c)),
                                     _mm512_maskz_loadu_ps(k, rstd + c));
      if (xh) _mm512_mask_storeu_ps(xh + c, k, h);
      const __m512 yr = _mm512_fmadd_ps(h, _mm512_maskz_loadu_ps(k, r + c), _mm512_maskz_loadu_ps(k, d + c));
      _mm512_mask_storeu_ps(y + c, k,
                            _mm512_fmadd_ps(_mm512_maskz_loadu_ps(k, gamma + c), yr, _mm512_maskz_loadu_ps(k, beta + c)));
    }
  }
#else
  (void)dscratch;
  if (relu) relu_forward(a, a, static_cast<long>(N) * C);
  if (xhat) {
    batchnorm_forward_train(out, xhat, mean, rstd, r, d, a, gamma, beta, run, N, C);
  } else {
    // the reference needs its xhat cache: normalize into out first, then overwrite
    batchnorm_forward_train(out, out, mean, rstd, r, d, a, gamma, beta, run, N, C);
  }
#endif
}

void relu_batchnorm_forward_eval(float* out, float* a, float* scratch, const float* gamma, const float* beta,
                                 const float* run_mean, const float* run_var, float eps, int N, int C, bool relu) {
  float* s = scratch;      // per-column scale
  float* t = scratch + C;  // per-column shift
  for (int c = 0; c < C; ++c) {
    s[c] = gamma[c] / std::sqrt(run_var[c] + eps);
    t[c] = beta[c] - run_mean[c] * s[c];
  }
#if defined(__AVX512F__)
  const __m512 zero = _mm512_setzero_ps();
  for (int n = 0; n < N; ++n) {
    float* x = a + static_cast<long>(n) * C;
    float* y = out + static_cast<long>(n) * C;
    for (int c = 0; c < C; c += 16) {
      const __mmask16 k = tail_mask(C - c);
      __m512 v = _mm512_maskz_loadu_ps(k, x + c);
      if (relu) {
        v = _mm512_max_ps(v, zero);
        _mm512_mask_storeu_ps(x + c, k, v);
      }
      _mm512_mask_storeu_ps(y + c, k, _mm512_fmadd_ps(v, _mm512_maskz_loadu_ps(k, s + c), _mm512_maskz_loadu_ps(k, t + c)));
    }
  }
#else
  for (int n = 0; n < N; ++n) {
    float* x = a + static_cast<long>(n) * C;
    float* y = out + static_cast<long>(n) * C;
    for (int c = 0; c < C; ++c) {
      if (relu && !(x[c] > 0.f)) x[c] = 0.f;
      y[c] = x[c] * s[c] + t[c];
    }
  }
#endif
}

void batchnorm_relu_backward_train(float* din, float* dgamma, float* dbeta, float* db, float* scratch,
                                   const float* dout, const float* xhat, const float* rstd, const float* r,
                                   const float* d, const float* gamma, const float* relu_out, int N, int C) {
#if defined(__AVX512F__)
  float* sum_g = scratch;
  float* sum_gx = scratch + C;
  std::fill(scratch, scratch + 2 * static_cast<long>(C), 0.f);
  for (int n = 0; n < N; ++n) {
    const float* dy = dout + static_cast<long>(n) * C;
    const float* xh = xhat + static_cast<long>(n) * C;
    for (int c = 0; c < C; c += 16) {
      const __mmask16 k = tail_mask(C - c);
      const __m512 g = _mm512_maskz_loadu_ps(k, dy + c);
      _mm512_mask_storeu_ps(sum_g + c, k, _mm512_add_ps(_mm512_maskz_loadu_ps(k, sum_g + c), g));
      _mm512_mask_storeu_ps(sum_gx + c, k,
                            _mm512_fmadd_ps(g, _mm512_maskz_loadu_ps(k, xh + c), _mm512_maskz_loadu_ps(k, sum_gx + c)));
    }
  }
  for (int c = 0; c < C; ++c) {
    if (dgamma) dgamma[c] = sum_gx[c] * r[c] + sum_g[c] * d[c];
    if (dbeta) dbeta[c] = sum_g[c];
    const float kk = gamma[c] * r[c];
    sum_g[c] *= kk / static_cast<float>(N);
    sum_gx[c] *= kk / static_cast<float>(N);
  }
  if (db) std::fill(db, db + C, 0.f);
  const __m512 zero = _mm512_setzero_ps();
  for (int n = 0; n < N; ++n) {
    const float* dy = dout + static_cast<long>(n) * C;
    const float* xh = xhat + static_cast<long>(n) * C;
    const float* ro = relu_out ? relu_out + static_cast<long>(n) * C : nullptr;
    float* dx = din + static_cast<long>(n) * C;
    for (int c = 0; c < C; c += 16) {
      __mmask16 k = tail_mask(C - c);
      const __m512 g = _mm512_mul_ps(_mm512_mul_ps(_mm512_maskz_loadu_ps(k, dy + c), _mm512_maskz_loadu_ps(k, gamma + c)),
                                     _mm512_maskz_loadu_ps(k, r + c));
      const __m512 inner = _mm512_fnmadd_ps(_mm512_maskz_loadu_ps(k, xh + c), _mm512_maskz_loadu_ps(k, sum_gx + c),
                                            _mm512_sub_ps(g, _mm512_maskz_loadu_ps(k, sum_g + c)));
      __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(k, rstd + c), inner);
      if (ro) v = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(_mm512_maskz_loadu_ps(k, ro + c), zero, _CMP_GT_OQ), v);
      _mm512_mask_storeu_ps(dx + c, k, v);
      if (db) _mm512_mask_storeu_ps(db + c, k, _mm512_add_ps(_mm512_maskz_loadu_ps(k, db + c), v));
    }
  }
#else
  batchnorm_backward_train(din, dgamma, dbeta, scratch, dout, xhat, rstd, r, d, gamma, N, C);
  if (relu_out) relu_backward(din, din, relu_out, static_cast<long>(N) * C);
  if (db) column_sums(db, din, N, C);
#endif
}

void batchnorm_relu_backward_eval(float* din, float* db, float* scratch, const float* dout, const float* gamma,
                                  const float* run_var, float eps, const float* relu_out, int N, int C) {
  float* s = scratch;
  for (int c = 0; c < C; ++c) s[c] = gamma[c] / std::sqrt(run_var[c] + eps);
#if defined(__AVX512F__)
  if (db) std::fill(db, db + C, 0.f);
  const __m512 zero = _mm512_setzero_ps();
  for (int n = 0; n < N; ++n) {
    const float* dy = dout + static_cast<long>(n) * C;
    const float* ro = relu_out ? relu_out + static_cast<long>(n) * C : nullptr;
    float* dx = din + static_cast<long>(n) * C;
    for (int c = 0; c < C; c += 16) {
      const __mmask16 k = tail_mask(C - c);
      __m512 v = _mm512_mul_ps(_mm512_maskz_loadu_ps(k, dy + c), _mm512_maskz_loadu_ps(k, s + c));
      if (ro) v = _mm512_maskz_mov_ps(_mm512_cmp_ps_mask(_mm512_maskz_loadu_ps(k, ro + c), zero, _CMP_GT_OQ), v);
      _mm512_mask_storeu_ps(dx + c, k, v);
      if (db) _mm512_mask_storeu_ps(db + c, k, _mm512_add_ps(_mm512_maskz_loadu_ps(k, db + c), v));
    }
  }
#else
  for (int n = 0; n < N; ++n) {
    const float* dy = dout + static_cast<long>(n) * C;
    float* dx = din + static_cast<long>(n) * C;
    const float* ro = relu_out ? relu_out + static_cast<long>(n) * C : nullptr;
    for (int c = 0; c < C; ++c) dx[c] = (ro && !(ro[c] > 0.f)) ? 0.f : dy[c] * s[c];
  }
  if (db) column_sums(db, din, N, C);
#endif
}

void mish_backward_fast(float* din, const float* dout, const float* in, long n) {
#if defined(__AVX512F__)
  for (long i = 0; i < n; i += 16) {
    const __mmask16 m = tail_mask(n - i);
    const __m512 g = mish_grad16(_mm512_maskz_loadu_ps(m, in + i));
    _mm512_mask_storeu_ps(din + i, m, _mm512_mul_ps(_mm512_maskz_loadu_ps(m, dout + i), g));
  }
#else
  mish_backward(din, dout, in, n);
#endif
}

}  // namespace crossq::nn
