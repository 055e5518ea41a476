#include "crossq/nn/fused.h"

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
