#include "crossq/nn/ln_mlp.h"

#include <algorithm>
#include <cstring>

#include "crossq/core/error.h"
#include "crossq/nn/fused.h"
#include "crossq/nn/gemm.h"
#include "crossq/nn/layers.h"

namespace crossq::nn {

void init_trunc_normal(float* w, long n, double std, double lo, double hi, Rng& rng) {
  for (long i = 0; i < n; ++i) {
    double x;
    do x = std * rng.normal();
    while (x < lo || x > hi);
    w[i] = static_cast<float>(x);
  }
}

LnMlp::LnMlp(const LnMlpConfig& cfg, Rng& rng) : cfg_(cfg) {
  if (cfg.in <= 0 || cfg.hidden <= 0 || cfg.out <= 0 || cfg.layers < 0)
    throw Error("ln_mlp: sizes must be positive");
  if (cfg.head == LnHead::kSimNorm && (cfg.simnorm_group <= 0 || cfg.out % cfg.simnorm_group != 0))
    throw Error("ln_mlp: a SimNorm head needs out a multiple of the group size");
  if (cfg.dropout && cfg.layers < 1) throw Error("ln_mlp: dropout needs a hidden layer");
  const int n = cfg.layers + 1;
  for (int i = 0; i < n; ++i) {
    Layer L;
    L.in = i == 0 ? cfg.in : cfg.hidden;
    L.out = i == n - 1 ? cfg.out : cfg.hidden;
    const std::string p = "l" + std::to_string(i);
    L.w = ps_.add(p + ".w", L.out, L.in, 0.f, false, true);
    L.b = ps_.add(p + ".b", 1, L.out);
    const bool normed = i < n - 1 || cfg.head == LnHead::kSimNorm;
    if (normed) {
      L.g = ps_.add(p + ".ln.g", 1, L.out);
      L.be = ps_.add(p + ".ln.b", 1, L.out);
    }
    dense_.push_back(L.w);
    layers_.push_back(L);
  }
  ps_.finalize();
  reinitialize(rng);
}

void LnMlp::reinitialize(Rng& rng) {
  for (size_t i = 0; i < layers_.size(); ++i) {
    const Layer& L = layers_[i];
    const bool head = i + 1 == layers_.size();
    float* w = ps_.param(L.w);
    const long nw = ps_.tensors[L.w].size();
    if (head && cfg_.zero_head)
      std::fill(w, w + nw, 0.f);
    else
      init_trunc_normal(w, nw, 0.02, -2.0, 2.0, rng);
    std::fill(ps_.param(L.b), ps_.param(L.b) + L.out, 0.f);
    if (L.g >= 0) {
      std::fill(ps_.param(L.g), ps_.param(L.g) + L.out, 1.f);
      std::fill(ps_.param(L.be), ps_.param(L.be) + L.out, 0.f);
    }
  }
  adam_reset(ps_);
  std::fill(ps_.g.begin(), ps_.g.end(), 0.f);
}

LnMlpCache LnMlp::make_cache(int rows) const {
  LnMlpCache c;
  c.rows = rows;
  const size_t r = static_cast<size_t>(rows);
  int widest = cfg_.in;
  for (const Layer& L : layers_) {
    widest = std::max({widest, L.in, L.out});
    if (L.g < 0) continue;
    LnMlpCache::Layer cl;
    cl.xhat.assign(r * L.out, 0.f);
    cl.ln.assign(r * L.out, 0.f);
    cl.out.assign(r * L.out, 0.f);
    cl.rstd.assign(r, 0.f);
    c.layers.push_back(std::move(cl));
  }
  c.out.assign(r * cfg_.out, 0.f);
  c.d0.assign(r * widest, 0.f);
  c.d1.assign(r * widest, 0.f);
  c.dcol.assign(static_cast<size_t>(widest), 0.f);
  return c;
}

namespace {

// out (N,O) = x (N,I) W^T + b
void dense(float* out, const float* x, const float* W, const float* b, int N, int I, int O) {
  gemm(false, true, N, O, I, 1.f, x, I, W, I, 0.f, out, O);
  for (int n = 0; n < N; ++n) {
    float* o = out + static_cast<long>(n) * O;
    for (int k = 0; k < O; ++k) o[k] += b[k];
  }
}

}  // namespace

const float* LnMlp::forward(LnMlpCache& c, const float* x, int N, const float* mask) const {
  if (N > c.rows || N < 1) throw Error("ln_mlp: forward on more rows than the cache holds");
  c.x = x;
  c.mask = mask;
  c.n = N;
  const float* in = x;
  for (size_t i = 0; i < layers_.size(); ++i) {
    const Layer& L = layers_[i];
    const long n = static_cast<long>(N) * L.out;
    if (L.g < 0) {  // plain head
      dense(c.out.data(), in, ps_.param(L.w), ps_.param(L.b), N, L.in, L.out);
      return c.out.data();
    }
    LnMlpCache::Layer& cl = c.layers[i];
    float* pre = cl.out.data();  // the Linear's output, overwritten by the activation below
    dense(pre, in, ps_.param(L.w), ps_.param(L.b), N, L.in, L.out);
    if (i == 0 && mask) dropout_apply(pre, pre, mask, n);
    const bool last = i + 1 == layers_.size();
    if (reference_kernels()) {  // the plain layers (layers.h)
      layernorm_forward(cl.ln.data(), cl.xhat.data(), cl.rstd.data(), pre, ps_.param(L.g), ps_.param(L.be),
                        cfg_.ln_eps, N, L.out);
      if (!last) mish_forward(cl.out.data(), cl.ln.data(), n);
    } else {  // LayerNorm and Mish in one vectorized pass (fused.h)
      layernorm_mish_forward(cl.out.data(), cl.ln.data(), cl.xhat.data(), cl.rstd.data(), pre, ps_.param(L.g),
                             ps_.param(L.be), cfg_.ln_eps, N, L.out, !last);
    }
    if (last) simnorm_forward(cl.out.data(), cl.ln.data(), N, L.out, cfg_.simnorm_group);
    in = cl.out.data();
  }
  return in;
}

void LnMlp::backward(LnMlpCache& c, const float* dout, bool param_grads, float* dx) {
  const int N = c.n;
  float* d = c.d0.data();   // gradient w.r.t. the current layer's output
  float* e = c.d1.data();   // scratch
  const int last = static_cast<int>(layers_.size()) - 1;
  std::memcpy(d, dout, sizeof(float) * static_cast<size_t>(N) * cfg_.out);
  for (int i = last; i >= 0; --i) {
    const Layer& L = layers_[i];
    const long n = static_cast<long>(N) * L.out;
    if (L.g >= 0) {
      LnMlpCache::Layer& cl = c.layers[i];
      // activation, then LayerNorm: d becomes the gradient w.r.t. the Linear's output
      if (i == last)
        simnorm_backward(e, d, cl.out.data(), N, L.out, cfg_.simnorm_group);
      else if (reference_kernels())
        mish_backward(e, d, cl.ln.data(), n);
      else
        mish_backward_fast(e, d, cl.ln.data(), n);
      float* dg = param_grads ? c.dcol.data() : nullptr;
      layernorm_backward<float>(d, dg, nullptr, e, cl.xhat.data(), cl.rstd.data(), ps_.param(L.g), N, L.out);
      if (param_grads) {
        float* G = ps_.grad(L.g);
        float* Bt = ps_.grad(L.be);
        for (int k = 0; k < L.out; ++k) G[k] += c.dcol[k];
        for (int r = 0; r < N; ++r) {
          const float* er = e + static_cast<long>(r) * L.out;
          for (int k = 0; k < L.out; ++k) Bt[k] += er[k];
        }
      }
      if (i == 0 && c.mask) dropout_apply(d, d, c.mask, n);
    }
    const float* in = i == 0 ? c.x : c.layers[i - 1].out.data();
    if (param_grads) {
      // dW += d^T in; db += column sums of d
      gemm(true, false, L.out, L.in, N, 1.f, d, L.out, in, L.in, 1.f, ps_.grad(L.w), L.in);
      float* db = ps_.grad(L.b);
      for (int r = 0; r < N; ++r) {
        const float* dr = d + static_cast<long>(r) * L.out;
        for (int k = 0; k < L.out; ++k) db[k] += dr[k];
      }
    }
    if (i == 0) {
      if (dx) gemm(false, false, N, L.in, L.out, 1.f, d, L.out, ps_.param(L.w), L.in, 0.f, dx, L.in);
    } else {
      // the previous layer's output gradient, into e; then swap
      gemm(false, false, N, L.in, L.out, 1.f, d, L.out, ps_.param(L.w), L.in, 0.f, e, L.in);
      std::swap(d, e);
    }
  }
}

}  // namespace crossq::nn
